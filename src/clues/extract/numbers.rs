//! Contacts written as numbers: masked numbers (`138****0000`) and bare digit runs (mobiles,
//! landlines, hotlines), skipped where their context says they are not contacts (an order,
//! contract or ID-card number, an amount or a date); and the canonical form of each.

use std::ops::Range;

use super::accounts::is_wechat_char;
use super::{is_separator, Scan};
use crate::clues::ContactKind;

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

impl Scan<'_> {
    /// `138****0000`, `189xxxx1234`: digits, a mask of 3 to 6 characters, digits, 11 in all.
    pub(super) fn masked(&mut self) {
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

    /// Bare digit runs: mobiles, landlines and hotlines, split into the groups they were
    /// written in.
    pub(super) fn numbers(&mut self) {
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
}

/// The canonical 11 digits of a mainland mobile, with or without +86 / 0086 / 86.
pub(super) fn mobile(digits: &str) -> Option<String> {
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
pub(super) fn hotline(digits: &str, parts: usize) -> Option<String> {
    let short = parts == 1
        && digits.len() == 5
        && (digits.starts_with("123") || digits.starts_with("95") || digits.starts_with("100"));
    let service = digits.len() == 10 && (digits.starts_with("400") || digits.starts_with("800"));
    (short || service).then(|| digits.to_string())
}

pub(super) fn is_mask(c: char) -> bool {
    matches!(c, '*' | 'x' | '×' | '#' | '●' | '•' | '∗' | '○')
}
