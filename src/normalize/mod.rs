//! The normaliser: turns raw text into the canonical form that phrase matching and the model
//! both see, and keeps a map from every normalised character back to the bytes of the
//! original text it came from, so that any hit can be shown on what the user wrote.
//!
//! Steps, each linear in the input:
//! 1. format characters (zero-width spaces and joiners, BOM, bidi controls, variation
//!    selectors, combining marks) are dropped;
//! 2. Unicode compatibility forms are folded (NFKC per character: full-width letters and
//!    digits, circled and parenthesised forms, squared letters), plus the negative circled and
//!    squared letters and regional indicators that NFKC leaves alone, then case is folded;
//! 3. traditional characters become simplified (債務優化 -> 债务优化), but a character that is
//!    also a live simplified character with its own meaning (乾, 瞭, 於, ...) is converted only
//!    when the text around it is evidently traditional;
//! 4. short runs of interference symbols between two CJK characters are dropped (停*息 挂.账,
//!    停❤息, 协 商 减 免), but never a sentence boundary (。！？；，、：, newline);
//! 5. contact numbers written with Chinese numerals or separators (一三八 0000 1234) become
//!    plain ASCII digits when the run holds at least [`MIN_CONTACT_DIGITS`] digits.
//!
//! Homophone variants (亭 -> 停) are not rewritten here: the matcher expands corpus phrases
//! into their variant spellings instead, so unrelated text is never touched.

use std::ops::Range;

mod steps;
use steps::{
    canonical_contact_numbers, digit_value, drop_interference, fold_char, fold_forms,
    is_common_cjk, to_simplified,
};
pub use steps::{is_boundary, is_cjk, is_format};

/// The fewest digits a run must hold to be taken for a phone, QQ or account number.
pub const MIN_CONTACT_DIGITS: usize = 7;

/// The fewest digits a run of ASCII digits with separators must hold to be taken for a
/// contact number: mobile numbers have 11, landlines with area codes 10 to 12, dates 8.
pub const MIN_SEPARATED_DIGITS: usize = 10;

/// The longest run of interference symbols dropped between two CJK characters; a longer run
/// is more likely decoration or layout than an attempt to split one word.
pub const MAX_INTERFERENCE_RUN: usize = 4;

/// Traditional characters that are also simplified characters in their own right, so a lone
/// one is left alone (乾坤 is not 干坤, 瞭望 is not 了望).
const AMBIGUOUS_TRADITIONAL: &[char] =
    &['乾', '瞭', '於', '夥', '餘', '甦', '藉', '著', '覆', '麼'];

/// Character offsets of byte offsets in one text, counted in Unicode scalar values, as
/// Python's `str` indexes (Java and JavaScript index UTF-16 units instead, where an emoji
/// counts two). Spans in output carry both, so no reader has to convert.
///
/// It remembers where it last stood and counts only the characters between there and the
/// offset asked for, in either direction: the spans of one text, asked in about the order
/// they occur, cost one pass over it together, not one pass each.
#[derive(Debug, Clone)]
pub struct CharOffsets<'a> {
    text: &'a str,
    byte: usize,
    char: usize,
}

impl<'a> CharOffsets<'a> {
    /// Offsets into `text`, starting from its beginning.
    pub fn new(text: &'a str) -> Self {
        Self {
            text,
            byte: 0,
            char: 0,
        }
    }

    /// The character offset of byte offset `byte`, which must lie on a character boundary,
    /// as every span heihui reports does.
    pub fn at(&mut self, byte: usize) -> usize {
        if byte >= self.byte {
            self.char += self.text[self.byte..byte].chars().count();
        } else {
            self.char -= self.text[byte..self.byte].chars().count();
        }
        self.byte = byte;
        self.char
    }

    /// The character range of the byte range `bytes`.
    pub fn span(&mut self, bytes: Range<usize>) -> Range<usize> {
        let start = self.at(bytes.start);
        start..self.at(bytes.end)
    }
}

/// Text in canonical form with a map back to the original.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalized {
    text: String,
    /// Where stretches of `text` come from, in text order: one anchor per stretch that
    /// maps byte for byte (most text: ASCII, CJK, characters simplified to one of the same
    /// length), one per character otherwise. A per-character map would take 24 bytes for
    /// every byte of ASCII text.
    anchors: Vec<Anchor>,
    original_len: usize,
}

/// Where the normalised text from byte `norm` on comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Anchor {
    norm: usize,
    orig: usize,
    /// `Some(end)`: the one character at `norm` comes from `orig..end`. `None`: every
    /// character up to the next anchor comes from the original bytes at the same distance
    /// from `orig`, of its own length.
    orig_end: Option<usize>,
}

impl Normalized {
    /// The normalised text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Maps a byte range of the normalised text to the byte range of the original text that
    /// produced it. Ranges that do not fall on character boundaries are widened to them; an
    /// empty range maps to an empty range at the matching position.
    pub fn original_span(&self, range: Range<usize>) -> Range<usize> {
        let Some(last_char) = self.char_start(self.text.len().saturating_sub(1)) else {
            return 0..0;
        };
        if range.end <= range.start {
            let at = self
                .char_start(range.start)
                .map_or(self.original_len, |at| self.span_of(at).start);
            return at..at;
        }
        let first = self.char_start(range.start).unwrap_or(last_char);
        let last = self.char_start(range.end - 1).unwrap_or(last_char);
        let start = self.span_of(first).start;
        let end = self.span_of(last).end;
        start..end.max(start)
    }

    /// The start of the character holding normalised byte `byte`; `None` past the end.
    fn char_start(&self, mut byte: usize) -> Option<usize> {
        if byte >= self.text.len() {
            return None;
        }
        while !self.text.is_char_boundary(byte) {
            byte -= 1;
        }
        Some(byte)
    }

    /// The original bytes of the character starting at normalised byte `at`.
    fn span_of(&self, at: usize) -> Range<usize> {
        let anchor = self.anchors[self.anchors.partition_point(|a| a.norm <= at) - 1];
        match anchor.orig_end {
            Some(end) => anchor.orig..end,
            None => {
                let start = anchor.orig + (at - anchor.norm);
                let len = self.text[at..].chars().next().map_or(0, char::len_utf8);
                start..start + len
            }
        }
    }

    /// Appends one normalised character.
    fn push(&mut self, piece: Piece) {
        let (at, (start, end)) = (self.text.len(), piece.from);
        let same_length = end - start == piece.ch.len_utf8();
        let continues = self.anchors.last().is_some_and(|a| {
            a.orig_end.is_none() && a.orig + (at - a.norm) == start && same_length
        });
        if !continues {
            self.anchors.push(Anchor {
                norm: at,
                orig: start,
                orig_end: (!same_length).then_some(end),
            });
        }
        self.text.push(piece.ch);
    }
}

/// A character on its way through the pipeline, with the original span it came from.
#[derive(Clone, Copy)]
struct Piece {
    ch: char,
    from: (usize, usize),
}

/// Normalises `input`. Never panics; runs in time linear in `input`.
///
/// A long text is normalised a stretch of about [`STRETCH`] bytes at a time, cut where
/// no step looks across the cut (see [`quiet`]), so that memory beyond the result stays
/// small whatever the text's size, and the result is the same as in one go.
pub fn normalize(input: &str) -> Normalized {
    let mut out = Normalized {
        text: String::with_capacity(input.len()),
        anchors: Vec::new(),
        original_len: input.len(),
    };
    // Step 3 runs on the whole text or not at all, as in one go.
    let simplify = has_cjk(input);
    let mut start = 0;
    while start < input.len() {
        let end = stretch_end(input, start);
        let pieces = fold_forms(&input[start..end], start);
        let pieces = if simplify {
            to_simplified(pieces)
        } else {
            pieces
        };
        let pieces = drop_interference(pieces);
        for piece in canonical_contact_numbers(pieces) {
            out.push(piece);
        }
        start = end;
    }
    out.text.shrink_to_fit();
    out.anchors.shrink_to_fit();
    out
}

/// How much text is normalised at a time.
const STRETCH: usize = 256 << 10;

/// A stretch with no quiet place to cut is cut here anyway, so that memory stays bounded
/// (only a text with no plain letter or CJK character in a megabyte gets there).
const MAX_STRETCH: usize = 4 << 20;

/// Where the stretch of `input` from `start` ends: the end of the text, or the middle of
/// the first six quiet characters in a row after [`STRETCH`] bytes.
fn stretch_end(input: &str, start: usize) -> usize {
    if input.len() - start <= STRETCH {
        return input.len();
    }
    let mut from = start + STRETCH;
    while !input.is_char_boundary(from) {
        from += 1;
    }
    let mut run: Vec<usize> = Vec::with_capacity(6);
    for (i, ch) in input[from..].char_indices() {
        let at = from + i;
        if at - start > MAX_STRETCH {
            return at;
        }
        if !quiet(ch) {
            run.clear();
            continue;
        }
        run.push(at);
        if run.len() == 6 {
            return run[3];
        }
    }
    input.len()
}

/// A character no step changes or looks across when three of them stand on each side of
/// a cut: a plain ASCII letter, a clause boundary, or a common CJK character that is not a
/// numeral digit and that no context turns simplified (steps 3 to 5 look at most three
/// characters around one that changes, or along runs of digits and symbols).
fn quiet(ch: char) -> bool {
    if ch.is_ascii_alphabetic() || is_boundary(ch) {
        return true;
    }
    if !is_common_cjk(ch) || digit_value(ch).is_some() || AMBIGUOUS_TRADITIONAL.contains(&ch) {
        return false;
    }
    // Characters the converter turns simplified only in some words.
    if matches!(
        ch,
        '藉' | '著' | '苧' | '闔' | '鍾' | '讎' | '畫' | '兒' | '麽' | '幺'
    ) {
        return false;
    }
    let mut one = [0u8; 4];
    fast2s::convert(ch.encode_utf8(&mut one)).starts_with(ch)
}

/// Whether step 2 leaves any CJK character in `input` (step 3 runs only then).
fn has_cjk(input: &str) -> bool {
    let mut found = false;
    for (at, ch) in input.char_indices() {
        fold_char(at, ch, &mut |p: Piece| found |= is_cjk(p.ch));
        if found {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests;
