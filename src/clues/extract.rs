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
//!
//! The passes live beside this file: `accounts.rs` (e-mail, links, accounts after a lure) and
//! `numbers.rs` (masked and bare numbers, and the canonical forms of mobiles, landlines and
//! hotlines); the scan they share is here.

use std::ops::Range;

use super::{Contact, ContactKind};
use crate::normalize::Normalized;

mod accounts;
mod numbers;

/// Contacts in `original`, given its normalised form, sorted by where they start.
pub fn extract(original: &str, normalized: &Normalized) -> Vec<Contact> {
    let mut scan = Scan::new(original, normalized);
    scan.emails();
    scan.urls();
    scan.masked();
    scan.lures();
    scan.numbers();
    let mut out = scan.out;
    out.sort_by(|a, b| (a.start, a.kind, &a.value).cmp(&(b.start, b.kind, &b.value)));
    out.dedup();
    out
}

/// The normalised text as characters, with what has been claimed so far.
struct Scan<'a> {
    original: &'a str,
    normalized: &'a Normalized,
    chars: Vec<char>,
    /// Byte offset in the normalised text of each character, plus its length at the end.
    at: Vec<usize>,
    taken: Vec<bool>,
    out: Vec<Contact>,
}

impl<'a> Scan<'a> {
    fn new(original: &'a str, normalized: &'a Normalized) -> Self {
        let text = normalized.as_str();
        let mut chars = Vec::with_capacity(text.len());
        let mut at = Vec::with_capacity(text.len() + 1);
        for (i, ch) in text.char_indices() {
            chars.push(ch);
            at.push(i);
        }
        at.push(text.len());
        Scan {
            original,
            normalized,
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
        let span = self.original_span(range);
        let chars = crate::normalize::char_span(self.original, span.clone());
        self.out.push(Contact {
            kind,
            value,
            start: span.start,
            end: span.end,
            start_char: chars.start,
            end_char: chars.end,
        });
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

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '_' | '/' | '\u{3000}')
}

#[cfg(test)]
mod tests;
