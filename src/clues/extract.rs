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
