//! Finding contacts in one text. Everything is read from the normalised text, where
//! full-width and circled digits are ASCII, Chinese numeral digits in long runs (一三八, 幺,
//! 〇/零) are ASCII, separators inside long digit runs are gone and letters are lower case;
//! the normaliser's offset map gives every contact its span in the original text, and also
//! shows where it dropped a separator, so digit groups can be told apart again
//! (`2024-01-05 13800001234` is a date and a phone, not 19 digits).
//!
//! Passes, each claiming the characters it used so later passes do not reuse them:
//! e-mail addresses, links, masked numbers, accounts after a lure (微信 / VX / QQ / 扣扣 ...),
//! then bare digit runs (mobiles, landlines, hotlines), which are skipped where their context
//! says they are not contacts: an order, contract or ID-card number, an amount or a date.

use std::ops::Range;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use super::{Contact, ContactKind};
use crate::normalize::Normalized;

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

/// Letters that may be written right before a phone number (`vx13800001234`,
/// `tel13800001234`); other letters make the digits part of an account name.
const DIGIT_PREFIXES: &[&str] = &[
    "v", "vx", "wx", "q", "qq", "tel", "dh", "sj", "phone", "mobile", "mob", "call", "weixin",
    "wechat", "k", "kk",
];

/// Words that, right before a number (after `号`, `：`, spaces), say it is not a contact:
/// order, contract, ID-card, card, case, transaction and code numbers.
const NOT_CONTACT_BEFORE: &[&str] = &[
    "单",
    "合同",
    "编",
    "流水",
    "身份证",
    "证件",
    "证",
    "卡",
    "案",
    "交易",
    "借据",
    "批次",
    "票",
    "凭证",
    "序列",
    "验证",
    "密",
    "邮编",
    "邮政编",
    "工",
    "学",
    "no",
    "第",
];

/// Characters after a number that make it an amount or a date.
const NOT_CONTACT_AFTER: &[char] = &[
    '元', '块', '万', '千', '百', '亿', '%', '角', '美', '年', '月', '日', '号', '时', '点', '分',
    '秒', '岁', '期', '天', '笔', '个',
];

/// Currency signs before an amount.
const CURRENCY: &[char] = &['¥', '￥', '$', '€', '£'];

/// Top-level domains a bare domain (no `http://`) must end in to count as a link.
const BARE_TLDS: &[&str] = &[
    "com", "cn", "net", "org", "top", "xyz", "cc", "vip", "info", "me", "io", "co", "ly", "gl",
    "la", "link", "club", "site", "online", "shop", "app", "wang", "ink", "ren", "fun", "icu",
    "ltd", "biz", "tv", "hk", "tw", "mo", "pro", "work", "live", "store", "tech", "asia", "cloud",
];

/// Contacts in `original`, given its normalised form, sorted by where they start.
///
/// A text longer than [`WINDOW`] is read a window at a time, each with [`MARGIN`] of text
/// on either side for context, keeping the contacts that start in the window: the scan
/// holds 13 bytes for every character it reads, so a 50 MB field read at once would take
/// 650 MB. A contact longer than the margin is the only thing this can change.
pub fn extract(original: &str, normalized: &Normalized) -> Vec<Contact> {
    let text = normalized.as_str();
    let mut out = Vec::new();
    let mut start = 0;
    loop {
        let end = char_boundary(text, start + WINDOW);
        let context = char_boundary_before(text, start.saturating_sub(MARGIN))
            ..char_boundary(text, end + MARGIN);
        let mut scan = Scan::new(original, normalized, context, start..end);
        scan.emails();
        scan.urls();
        scan.masked();
        scan.lures();
        scan.numbers();
        out.append(&mut scan.out);
        if end >= text.len() {
            break;
        }
        start = end;
    }
    out.sort_by(|a, b| (a.start, a.kind, &a.value).cmp(&(b.start, b.kind, &b.value)));
    out.dedup();
    let mut chars = crate::normalize::CharOffsets::new(original);
    for contact in &mut out {
        let span = chars.span(contact.start..contact.end);
        (contact.start_char, contact.end_char) = (span.start, span.end);
    }
    out
}

/// The normalised text read by one scan, in bytes.
const WINDOW: usize = 1 << 20;

/// Text read on either side of a window, in bytes: far longer than any contact.
const MARGIN: usize = 4 << 10;

/// The first character boundary of `text` at or after `at` (its length past the end).
fn char_boundary(text: &str, mut at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// The last character boundary of `text` at or before `at`.
fn char_boundary_before(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A stretch of the normalised text as characters, with what has been claimed so far.
struct Scan<'a> {
    original: &'a str,
    normalized: &'a Normalized,
    /// The normalised text read, from byte `at[0]`.
    text: &'a str,
    /// Contacts starting in this range of normalised bytes are kept.
    keep: Range<usize>,
    chars: Vec<char>,
    /// Byte offset in the normalised text of each character, plus the stretch's end.
    at: Vec<usize>,
    taken: Vec<bool>,
    out: Vec<Contact>,
}

impl<'a> Scan<'a> {
    fn new(
        original: &'a str,
        normalized: &'a Normalized,
        read: Range<usize>,
        keep: Range<usize>,
    ) -> Self {
        let text = &normalized.as_str()[read.clone()];
        let mut chars = Vec::with_capacity(text.len() / 2 + 1);
        let mut at = Vec::with_capacity(text.len() / 2 + 2);
        for (i, ch) in text.char_indices() {
            chars.push(ch);
            at.push(read.start + i);
        }
        at.push(read.end);
        Scan {
            original,
            normalized,
            text,
            keep,
            taken: vec![false; chars.len()],
            chars,
            at,
            out: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.chars.len()
    }

    fn ch(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn text(&self, range: Range<usize>) -> String {
        self.chars[range].iter().collect()
    }

    fn starts_with(&self, i: usize, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(k, c)| self.ch(i + k) == Some(c))
    }

    fn original_span(&self, range: Range<usize>) -> Range<usize> {
        self.normalized
            .original_span(self.at[range.start]..self.at[range.end])
    }

    fn free(&self, range: Range<usize>) -> bool {
        !self.taken[range].iter().any(|&t| t)
    }

    fn take(&mut self, range: Range<usize>) {
        for t in &mut self.taken[range] {
            *t = true;
        }
    }

    fn push(&mut self, kind: ContactKind, value: String, range: Range<usize>) {
        if !self.keep.contains(&self.at[range.start]) {
            return;
        }
        let span = self.original_span(range);
        // Character offsets are filled in by `extract` once every window is read.
        self.out.push(Contact {
            kind,
            value,
            start: span.start,
            end: span.end,
            start_char: 0,
            end_char: 0,
        });
    }

    /// `local@domain.tld`.
    fn emails(&mut self) {
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
    fn urls(&mut self) {
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

    /// `138****0000`, `189xxxx1234`: digits, a mask of 3 to 6 characters, digits, 11 in all.
    fn masked(&mut self) {
        for a in 0..self.len() {
            if !self.is_digit(a) || (a > 0 && self.is_digit(a - 1)) || self.taken[a] {
                continue;
            }
            let j = self.digits_from(a);
            let mut k = j;
            if self.ch(k).is_some_and(is_separator) {
                k += 1;
            }
            let mask_start = k;
            while self.ch(k).is_some_and(is_mask) {
                k += 1;
            }
            let mask = k - mask_start;
            let mut l = k;
            if self.ch(l).is_some_and(is_separator) {
                l += 1;
            }
            let tail_start = l;
            let l = self.digits_from(l);
            let (head, tail) = (j - a, l - tail_start);
            let shaped = (2..=4).contains(&head)
                && (3..=6).contains(&mask)
                && (2..=4).contains(&tail)
                && head + mask + tail == 11
                && self.chars[a] == '1';
            if !shaped || !self.free(a..l) {
                continue;
            }
            let value = format!(
                "{}{}{}",
                self.text(a..j),
                "*".repeat(mask),
                self.text(tail_start..l)
            );
            self.push(ContactKind::Masked, value, a..l);
            self.take(a..l);
        }
    }

    /// The account after each lure: a WeChat id (or a phone number given as one), or a QQ
    /// number.
    fn lures(&mut self) {
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

    /// Digits from `at`, single separators allowed between them: where the run ends and its
    /// digits.
    fn separated_digits(&self, at: usize) -> (usize, String) {
        let mut end = at;
        let mut j = at;
        let mut digits = String::new();
        while j < self.len() {
            if self.is_digit(j) {
                digits.push(self.chars[j]);
                j += 1;
                end = j;
            } else if is_separator(self.chars[j])
                && self.ch(j + 1).is_some_and(|c| c.is_ascii_digit())
            {
                j += 1;
            } else {
                break;
            }
        }
        (end, digits)
    }

    /// Bare digit runs: mobiles, landlines and hotlines, split into the groups they were
    /// written in.
    fn numbers(&mut self) {
        let mut i = 0;
        while i < self.len() {
            if !self.is_digit(i) || self.taken[i] {
                i += 1;
                continue;
            }
            let start = i;
            let mut groups: Vec<Range<usize>> = Vec::new();
            let mut group_start = i;
            let mut j = i;
            let mut end = i;
            while j < self.len() && !self.taken[j] {
                if self.is_digit(j) {
                    // A separator the normaliser dropped still splits groups.
                    if j > group_start && self.gap_before(j) {
                        groups.push(group_start..j);
                        group_start = j;
                    }
                    j += 1;
                    end = j;
                } else if is_separator(self.chars[j]) && self.is_digit(j + 1) && !self.taken[j + 1]
                {
                    groups.push(group_start..j);
                    j += 1;
                    group_start = j;
                } else {
                    break;
                }
            }
            groups.push(group_start..end);
            i = end.max(i + 1);
            if self.is_contact_context(start, end) {
                self.split_numbers(&groups);
            }
        }
    }

    /// Whether the original text had something (a separator, an invisible character)
    /// between normalised characters `i - 1` and `i`.
    fn gap_before(&self, i: usize) -> bool {
        self.original_span(i - 1..i).end < self.original_span(i..i + 1).start
    }

    /// Reads consecutive groups as numbers, longest first from each group.
    fn split_numbers(&mut self, groups: &[Range<usize>]) {
        let mut g = 0;
        while g < groups.len() {
            let mut digits = String::new();
            let mut found = None;
            for (k, group) in groups.iter().enumerate().skip(g) {
                digits.push_str(&self.text(group.clone()));
                if digits.len() > 15 {
                    break;
                }
                let parts = k - g + 1;
                // A short hotline stands alone: `12315.50` is an amount.
                let alone = if groups.len() == 1 { 1 } else { parts + 1 };
                let number = mobile(&digits)
                    .map(|m| (ContactKind::Phone, m))
                    .or_else(|| landline(&digits, parts, groups[g].len()))
                    .or_else(|| hotline(&digits, alone).map(|h| (ContactKind::Hotline, h)));
                if let Some(number) = number {
                    found = Some((k, number));
                    break;
                }
            }
            match found {
                Some((k, (kind, value))) => {
                    self.push(kind, value, groups[g].start..groups[k].end);
                    g = k + 1;
                }
                None => g += 1,
            }
        }
    }

    /// Whether the digit run `start..end` may be a contact: not part of an account name,
    /// not an amount, a date, or an order, contract or ID-card number.
    fn is_contact_context(&self, start: usize, end: usize) -> bool {
        if self
            .ch(end)
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '@' || c == '_')
        {
            return false;
        }
        if start > 0 && self.chars[start - 1].is_ascii_alphabetic() {
            let mut a = start;
            while a > 0 && self.chars[a - 1].is_ascii_alphabetic() {
                a -= 1;
            }
            let word = self.text(a..start);
            let word_alone = a == 0 || !is_wechat_char(self.chars[a - 1]);
            if !word_alone || !DIGIT_PREFIXES.contains(&word.as_str()) {
                return false;
            }
        }
        if start > 0 && matches!(self.chars[start - 1], '_' | '-' | '.' | ',' | '/') {
            // The tail of an account name, a decimal or a list of numbers.
            if start > 1 && self.chars[start - 2].is_ascii_alphanumeric() {
                return false;
            }
        }
        let mut after = end;
        while self.ch(after) == Some(' ') {
            after += 1;
        }
        if self
            .ch(after)
            .is_some_and(|c| NOT_CONTACT_AFTER.contains(&c))
            || self.starts_with(after, "rmb")
        {
            return false;
        }
        let mut before = start;
        let mut skipped = 0;
        while before > 0
            && skipped < 4
            && matches!(
                self.chars[before - 1],
                ' ' | '\u{3000}' | ':' | '：' | '号' | '码' | '#' | '是' | '为' | '.'
            )
        {
            before -= 1;
            skipped += 1;
        }
        if before > 0 && CURRENCY.contains(&self.chars[before - 1]) {
            return false;
        }
        let lead = self.text(before.saturating_sub(4)..before);
        !NOT_CONTACT_BEFORE.iter().any(|w| lead.ends_with(w)) && !lead.ends_with("rmb")
    }

    fn is_digit(&self, i: usize) -> bool {
        self.ch(i).is_some_and(|c| c.is_ascii_digit())
    }

    fn digits_from(&self, mut i: usize) -> usize {
        while self.is_digit(i) {
            i += 1;
        }
        i
    }
}

/// The canonical 11 digits of a mainland mobile, with or without +86 / 0086 / 86.
fn mobile(digits: &str) -> Option<String> {
    let number = match digits.len() {
        11 => digits,
        13 if digits.starts_with("86") => &digits[2..],
        15 if digits.starts_with("0086") => &digits[4..],
        _ => return None,
    };
    let b = number.as_bytes();
    (b[0] == b'1' && (b'3'..=b'9').contains(&b[1])).then(|| number.to_string())
}

/// `0xx-xxxxxxxx` or `0xxx-xxxxxxx`: an area code (three digits for 01x and 02x, else four)
/// and seven or eight digits, written as one group or with the area code apart.
fn landline(digits: &str, parts: usize, first: usize) -> Option<(ContactKind, String)> {
    let b = digits.as_bytes();
    if b.len() < 10 || b[0] != b'0' || b[1] == b'0' {
        return None;
    }
    let area = if matches!(b[1], b'1' | b'2') { 3 } else { 4 };
    let rest = b.len() - area;
    ((7..=8).contains(&rest) && (parts == 1 || first == area)).then(|| {
        (
            ContactKind::Landline,
            format!("{}-{}", &digits[..area], &digits[area..]),
        )
    })
}

/// Official numbers: regulators' and public services' 123xx (12378, 12315, 12363), carriers'
/// 100xx, banks' and insurers' 95xxx, and 400/800 service numbers.
fn hotline(digits: &str, parts: usize) -> Option<String> {
    let short = parts == 1
        && digits.len() == 5
        && (digits.starts_with("123") || digits.starts_with("95") || digits.starts_with("100"));
    let service = digits.len() == 10 && (digits.starts_with("400") || digits.starts_with("800"));
    (short || service).then(|| digits.to_string())
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

fn is_wechat_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-')
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '_' | '/' | '\u{3000}')
}

fn is_mask(c: char) -> bool {
    matches!(c, '*' | 'x' | '×' | '#' | '●' | '•' | '∗' | '○')
}

#[cfg(test)]
mod tests;
