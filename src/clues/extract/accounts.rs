//! Contacts written as text: e-mail addresses, links, and the WeChat or QQ account a lure
//! (微信 / VX / QQ / 扣扣 ...) introduces.

use std::ops::Range;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use super::numbers::{hotline, is_mask, mobile};
use super::Scan;
use crate::clues::ContactKind;

/// WeChat ids are 6 to 20 characters (WeChat's own rule: a letter first, then letters,
/// digits, `_` or `-`).
const WECHAT_ID_LEN: std::ops::RangeInclusive<usize> = 6..=20;

/// QQ numbers are 5 to 11 digits.
const QQ_LEN: std::ops::RangeInclusive<usize> = 5..=11;

/// At most this many filler characters (`：`, `号`, spaces, brackets) between a lure and
/// the account it introduces.
const MAX_FILLERS: usize = 6;

/// Which account a lure introduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lure {
    Wechat,
    Qq,
}

/// Lures in normalised form (lower case, full-width folded). `加V`, `➕V` and `V❤` are the
/// lure `v` with a filler before or after it, so `加VX` still finds `vx`.
const LURES: &[(&str, Lure)] = &[
    ("微信号", Lure::Wechat),
    ("微信", Lure::Wechat),
    ("威信", Lure::Wechat),
    ("薇信", Lure::Wechat),
    ("维信", Lure::Wechat),
    ("徽信", Lure::Wechat),
    ("威心", Lure::Wechat),
    ("薇", Lure::Wechat),
    ("v信", Lure::Wechat),
    ("vx号", Lure::Wechat),
    ("vx", Lure::Wechat),
    ("wx", Lure::Wechat),
    ("weixin", Lure::Wechat),
    ("wechat", Lure::Wechat),
    ("v", Lure::Wechat),
    ("qq号", Lure::Qq),
    ("qq群", Lure::Qq),
    ("qq", Lure::Qq),
    ("扣扣", Lure::Qq),
    ("企鹅号", Lure::Qq),
    ("企鹅", Lure::Qq),
    ("球球", Lure::Qq),
    ("q群", Lure::Qq),
    ("q", Lure::Qq),
];

static LURE_AUTOMATON: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(LURES.iter().map(|(p, _)| p))
        .expect("the lure table builds")
});

/// Characters that may stand between a lure and its account.
const FILLERS: &[char] = &[
    ' ', '\u{3000}', ':', '：', '号', '码', '是', '为', '搜', '索', '加', '群', '+', '➕', '❤',
    '♥', '-', '(', ')', '（', '）', '【', '】', '[', ']', '「', '」', '"', '“', '”', '\'', '=',
    '~', '/', '·', '|',
];

/// Top-level domains a bare domain (no `http://`) must end in to count as a link.
const BARE_TLDS: &[&str] = &[
    "com", "cn", "net", "org", "top", "xyz", "cc", "vip", "info", "me", "io", "co", "ly", "gl",
    "la", "link", "club", "site", "online", "shop", "app", "wang", "ink", "ren", "fun", "icu",
    "ltd", "biz", "tv", "hk", "tw", "mo", "pro", "work", "live", "store", "tech", "asia", "cloud",
];

impl Scan<'_> {
    /// `local@domain.tld`.
    pub(super) fn emails(&mut self) {
        for i in 0..self.len() {
            if self.chars[i] != '@' || self.taken[i] {
                continue;
            }
            let mut a = i;
            while a > 0 && is_local_char(self.chars[a - 1]) {
                a -= 1;
            }
            while a < i && self.chars[a] == '.' {
                a += 1;
            }
            let mut b = i + 1;
            while b < self.len() && is_host_char(self.chars[b]) {
                b += 1;
            }
            while b > i + 1 && matches!(self.chars[b - 1], '.' | '-') {
                b -= 1;
            }
            if a == i || !valid_host(&self.text(i + 1..b), Tlds::Any) || !self.free(a..b) {
                continue;
            }
            self.push(ContactKind::Email, self.text(a..b), a..b);
            self.take(a..b);
        }
    }

    /// `http(s)://host/path`, and bare domains with a known top-level domain.
    pub(super) fn urls(&mut self) {
        let mut i = 0;
        while i < self.len() {
            let starts_token = self.chars[i].is_ascii_alphanumeric()
                && (i == 0 || !is_url_char(self.chars[i - 1]))
                && !self.taken[i];
            if !starts_token {
                i += 1;
                continue;
            }
            let (host_start, tlds) = if self.starts_with(i, "https://") {
                (i + 8, Tlds::Any)
            } else if self.starts_with(i, "http://") {
                (i + 7, Tlds::Any)
            } else {
                (i, Tlds::Known)
            };
            let mut host_end = host_start;
            while host_end < self.len() && is_host_char(self.chars[host_end]) {
                host_end += 1;
            }
            while host_end > host_start && matches!(self.chars[host_end - 1], '.' | '-') {
                host_end -= 1;
            }
            let host = self.text(host_start..host_end);
            if !valid_host(&host, tlds) || self.ch(host_end) == Some('@') {
                i = host_end.max(i + 1);
                continue;
            }
            let mut end = host_end;
            // A port is part of where the link goes but not of its canonical value.
            if self.ch(end) == Some(':') && self.ch(end + 1).is_some_and(|c| c.is_ascii_digit()) {
                end += 1;
                while self.ch(end).is_some_and(|c| c.is_ascii_digit()) {
                    end += 1;
                }
            }
            let path_start = end;
            if self.ch(end) == Some('/') {
                while end < self.len() && is_path_char(self.chars[end]) {
                    end += 1;
                }
                while end > path_start + 1
                    && matches!(self.chars[end - 1], '.' | ',' | ';' | ':' | '!' | '?' | ')')
                {
                    end -= 1;
                }
            }
            if !self.free(i..end) {
                i = end;
                continue;
            }
            // The path keeps its case as written (short links are case-sensitive); the host
            // is lower case.
            let path_end = (path_start..end)
                .find(|&k| matches!(self.chars[k], '?' | '#'))
                .unwrap_or(end);
            let mut path = self.text(path_start..path_end);
            if path_end > path_start {
                let span = self.original_span(path_start..path_end);
                let written = &self.original[span];
                if written.is_ascii() && written.len() == path.len() {
                    path = written.to_string();
                }
            }
            if path == "/" {
                path.clear();
            }
            self.push(ContactKind::Url, format!("{host}{path}"), i..end);
            self.take(i..end);
            i = end;
        }
    }

    /// The account after each lure: a WeChat id (or a phone number given as one), or a QQ
    /// number.
    pub(super) fn lures(&mut self) {
        let base = self.at[0];
        let found: Vec<(Range<usize>, Lure)> = LURE_AUTOMATON
            .find_iter(self.text)
            .map(|m| {
                let first = self.at.partition_point(|&b| b < base + m.start());
                let end = self.at.partition_point(|&b| b < base + m.end());
                (first..end, LURES[m.pattern().as_usize()].1)
            })
            .collect();
        for (lure, kind) in found {
            let first = self.chars[lure.start];
            let last = self.chars[lure.end - 1];
            if first.is_ascii_alphanumeric()
                && lure.start > 0
                && self.chars[lure.start - 1].is_ascii_alphanumeric()
            {
                continue;
            }
            if last.is_ascii_alphabetic()
                && self.ch(lure.end).is_some_and(|c| c.is_ascii_alphabetic())
            {
                continue;
            }
            if !self.free(lure.clone()) {
                continue;
            }
            let mut at = lure.end;
            let mut skipped = 0;
            while skipped < MAX_FILLERS {
                if self.ch(at).is_some_and(|c| FILLERS.contains(&c)) {
                    at += 1;
                } else if self.starts_with(at, "id") && !self.ch(at + 2).is_some_and(is_wechat_char)
                {
                    at += 2;
                } else {
                    break;
                }
                skipped += 1;
            }
            match (kind, self.ch(at)) {
                (Lure::Wechat, Some(c)) if c.is_ascii_alphabetic() => {
                    let mut end = at;
                    while self.ch(end).is_some_and(is_wechat_char) {
                        end += 1;
                    }
                    while end > at && self.chars[end - 1] == '-' {
                        end -= 1;
                    }
                    let followed_by_host = matches!(self.ch(end), Some('@' | '.'))
                        && self.ch(end + 1).is_some_and(|c| c.is_ascii_alphanumeric());
                    if WECHAT_ID_LEN.contains(&(end - at))
                        && !followed_by_host
                        && self.free(at..end)
                    {
                        self.push(ContactKind::Wechat, self.text(at..end), at..end);
                    }
                }
                (_, Some(c)) if c.is_ascii_digit() => {
                    let (end, digits) = self.separated_digits(at);
                    if !self.free(at..end) || self.ch(end).is_some_and(is_mask) {
                        continue;
                    }
                    let value = match kind {
                        Lure::Wechat => mobile(&digits).map(|m| (ContactKind::Wechat, m)),
                        Lure::Qq => (QQ_LEN.contains(&digits.len())
                            && !digits.starts_with('0')
                            && hotline(&digits, 1).is_none())
                        .then_some((ContactKind::Qq, digits)),
                    };
                    if let Some((kind, value)) = value {
                        self.push(kind, value, at..end);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Which top-level domains a host may end in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tlds {
    /// Any alphabetic one (after `http://` or `@`).
    Any,
    /// One of [`BARE_TLDS`] (a bare domain).
    Known,
}

fn valid_host(host: &str, tlds: Tlds) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    let Some(tld) = labels.last() else {
        return false;
    };
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && !l.starts_with('-'))
        && tld.len() >= 2
        && tld.bytes().all(|b| b.is_ascii_lowercase())
        && (tlds == Tlds::Any || BARE_TLDS.contains(tld))
}

fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_host_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-')
}

fn is_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@' | '/' | ':')
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_graphic()
        && !matches!(
            c,
            '"' | '\'' | '<' | '>' | '`' | '(' | '[' | ']' | '{' | '}'
        )
}

pub(super) fn is_wechat_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-')
}
