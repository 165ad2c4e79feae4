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

use unicode_normalization::char::decompose_compatible;

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

/// The character offsets of the byte range `bytes` of `text`: counted in Unicode scalar
/// values, as Python's `str` indexes (Java and JavaScript index UTF-16 units instead, where an
/// emoji counts two). Spans in output carry both, so no reader has to convert.
///
/// `bytes` must lie on character boundaries of `text`, as every span heihui reports does.
pub fn char_span(text: &str, bytes: Range<usize>) -> Range<usize> {
    let start = text[..bytes.start].chars().count();
    start..start + text[bytes].chars().count()
}

/// Text in canonical form with a map back to the original.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalized {
    text: String,
    /// Byte offset in `text` of each normalised character, plus `text.len()` at the end.
    starts: Vec<usize>,
    /// Byte span in the original text of each normalised character.
    origin: Vec<(usize, usize)>,
    original_len: usize,
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
        if self.origin.is_empty() {
            return 0..0;
        }
        let first = self.char_index_at(range.start);
        if range.end <= range.start {
            let at = self
                .origin
                .get(first)
                .map_or(self.original_len, |span| span.0);
            return at..at;
        }
        let last = self.char_index_at(range.end - 1);
        let start = self.origin[first.min(self.origin.len() - 1)].0;
        let end = self.origin[last.min(self.origin.len() - 1)].1;
        start..end.max(start)
    }

    /// The index of the character containing normalised byte `byte` (or one past the last).
    fn char_index_at(&self, byte: usize) -> usize {
        match self.starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }
}

/// A character on its way through the pipeline, with the original span it came from.
#[derive(Clone, Copy)]
struct Piece {
    ch: char,
    from: (usize, usize),
}

/// Normalises `input`. Never panics; runs in time linear in `input`.
pub fn normalize(input: &str) -> Normalized {
    let pieces = fold_forms(input);
    let pieces = to_simplified(pieces);
    let pieces = drop_interference(pieces);
    let pieces = canonical_contact_numbers(pieces);
    let mut out = Normalized {
        text: String::with_capacity(input.len()),
        starts: Vec::with_capacity(pieces.len() + 1),
        origin: Vec::with_capacity(pieces.len()),
        original_len: input.len(),
    };
    for piece in pieces {
        out.starts.push(out.text.len());
        out.text.push(piece.ch);
        out.origin.push(piece.from);
    }
    out.starts.push(out.text.len());
    out
}

/// Steps 1 and 2: drop format characters, fold compatibility forms and case.
fn fold_forms(input: &str) -> Vec<Piece> {
    let mut pieces = Vec::with_capacity(input.len() / 2 + 1);
    for (at, ch) in input.char_indices() {
        let from = (at, at + ch.len_utf8());
        if is_format(ch) {
            continue;
        }
        if ch.is_ascii() {
            pieces.push(Piece {
                ch: ch.to_ascii_lowercase(),
                from,
            });
            continue;
        }
        // CJK punctuation stays as it is: NFKC would turn the full-width comma into an ASCII
        // comma, which reads as interference rather than a clause boundary.
        if is_common_cjk(ch) || is_boundary(ch) {
            pieces.push(Piece { ch, from });
            continue;
        }
        if let Some(letter) = unfolded_letter(ch) {
            pieces.push(Piece { ch: letter, from });
            continue;
        }
        decompose_compatible(ch, |folded| {
            if is_format(folded) {
                return;
            }
            for lower in folded.to_lowercase() {
                pieces.push(Piece { ch: lower, from });
            }
        });
    }
    pieces
}

/// Letters that NFKC leaves alone but that read as plain Latin letters: negative circled and
/// negative squared letters (🅐, 🅰) and regional indicators (🇻).
fn unfolded_letter(ch: char) -> Option<char> {
    let code = ch as u32;
    let offset = match code {
        0x1F150..=0x1F169 => code - 0x1F150,
        0x1F170..=0x1F189 => code - 0x1F170,
        0x1F1E6..=0x1F1FF => code - 0x1F1E6,
        _ => return None,
    };
    char::from_u32('a' as u32 + offset)
}

/// Step 3: traditional to simplified, one character for one character.
fn to_simplified(mut pieces: Vec<Piece>) -> Vec<Piece> {
    if !pieces.iter().any(|p| is_cjk(p.ch)) {
        return pieces;
    }
    let text: String = pieces.iter().map(|p| p.ch).collect();
    let converted: Vec<char> = fast2s::convert(&text).chars().collect();
    if converted.len() != pieces.len() {
        // The converter maps one character to one; if it ever did not, keep the text as it
        // was rather than misplace every offset after the change.
        return pieces;
    }
    // A traditional character that converted and is not ambiguous shows the text around it
    // is traditional; ambiguous ones convert only within three characters of such evidence.
    let evidence: Vec<bool> = pieces
        .iter()
        .zip(&converted)
        .map(|(p, &c)| p.ch != c && !AMBIGUOUS_TRADITIONAL.contains(&p.ch))
        .collect();
    for i in 0..pieces.len() {
        let simplified = converted[i];
        if simplified == pieces[i].ch {
            continue;
        }
        if AMBIGUOUS_TRADITIONAL.contains(&pieces[i].ch) {
            let lo = i.saturating_sub(3);
            let hi = (i + 4).min(pieces.len());
            if !evidence[lo..hi].iter().any(|&e| e) {
                continue;
            }
        }
        pieces[i].ch = simplified;
    }
    pieces
}

/// Step 4: drop short runs of interference symbols between two CJK characters.
fn drop_interference(pieces: Vec<Piece>) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::with_capacity(pieces.len());
    let mut i = 0;
    while i < pieces.len() {
        let ch = pieces[i].ch;
        if is_interference(ch) && out.last().is_some_and(|p| is_cjk(p.ch)) {
            let run_end = pieces[i..]
                .iter()
                .position(|p| !is_interference(p.ch))
                .map_or(pieces.len(), |n| i + n);
            let run_len = run_end - i;
            let joins_cjk = pieces.get(run_end).is_some_and(|p| is_cjk(p.ch));
            if joins_cjk && run_len <= MAX_INTERFERENCE_RUN {
                i = run_end;
                continue;
            }
            out.extend_from_slice(&pieces[i..run_end]);
            i = run_end;
            continue;
        }
        out.push(pieces[i]);
        i += 1;
    }
    out
}

/// Step 5: rewrite digit runs that look like contact numbers as ASCII digits.
fn canonical_contact_numbers(mut pieces: Vec<Piece>) -> Vec<Piece> {
    if !pieces.iter().any(|p| digit_value(p.ch).is_some()) {
        return pieces;
    }
    let mut out: Vec<Piece> = Vec::with_capacity(pieces.len());
    let mut i = 0;
    while i < pieces.len() {
        if digit_value(pieces[i].ch).is_none() {
            out.push(pieces[i]);
            i += 1;
            continue;
        }
        // A run of digits where single separators may stand between digit groups.
        let start = i;
        let mut end = i;
        let mut digits = 0;
        let mut j = i;
        while j < pieces.len() {
            if digit_value(pieces[j].ch).is_some() {
                digits += 1;
                j += 1;
                end = j;
            } else if is_number_separator(pieces[j].ch)
                && pieces
                    .get(j + 1)
                    .is_some_and(|p| digit_value(p.ch).is_some())
            {
                j += 1;
            } else {
                break;
            }
        }
        // Chinese numerals in a long digit run are a disguise; ASCII digits with separators
        // need more digits, so that dates and amounts (2024-01-05) stay as they are.
        let numerals = pieces[start..end]
            .iter()
            .any(|p| digit_value(p.ch).is_some() && !p.ch.is_ascii_digit());
        let separated = pieces[start..end].iter().any(|p| is_number_separator(p.ch));
        let rewrite = (numerals && digits >= MIN_CONTACT_DIGITS)
            || (separated && digits >= MIN_SEPARATED_DIGITS);
        for piece in &mut pieces[start..end] {
            match digit_value(piece.ch) {
                Some(d) if rewrite => {
                    piece.ch = char::from(b'0' + d);
                    out.push(*piece);
                }
                Some(_) => out.push(*piece),
                None if rewrite => {}
                None => out.push(*piece),
            }
        }
        i = end;
    }
    out
}

/// The value of a digit written as an ASCII digit or a Chinese numeral digit.
fn digit_value(ch: char) -> Option<u8> {
    Some(match ch {
        '0'..='9' => ch as u8 - b'0',
        '零' | '〇' => 0,
        '一' | '幺' => 1,
        '二' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// Separators people put inside phone numbers.
fn is_number_separator(ch: char) -> bool {
    matches!(ch, ' ' | '-' | '.' | '_' | '/' | '\u{3000}')
}

/// CJK ideographs (and 〇), after compatibility folding.
pub fn is_cjk(ch: char) -> bool {
    matches!(ch as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2EBEF | 0x30000..=0x3134F | 0x3007)
}

/// The block where almost all Chinese text lives; NFKC leaves it unchanged.
fn is_common_cjk(ch: char) -> bool {
    matches!(ch as u32, 0x4E00..=0x9FFF)
}

/// Punctuation that ends a sentence or a clause: never dropped, never joined across.
pub fn is_boundary(ch: char) -> bool {
    matches!(
        ch,
        '。' | '！'
            | '？'
            | '；'
            | '，'
            | '、'
            | '：'
            | '…'
            | '!'
            | '?'
            | ';'
            | ':'
            | '\n'
            | '\r'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// A symbol that may be put between characters to split a word: anything that is neither a
/// letter, a digit, a CJK character nor a boundary.
fn is_interference(ch: char) -> bool {
    !is_cjk(ch) && !ch.is_alphanumeric() && !is_boundary(ch)
}

/// Invisible format characters and combining marks, dropped outright.
pub fn is_format(ch: char) -> bool {
    matches!(ch as u32,
        0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1D173..=0x1D17A | 0xE0000..=0xE0FFF
        | 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One line per case: input, expected normalised text.
    const CASES: &[(&str, &str)] = &[
        // width and case
        ("ＶＸ１３８", "vx138"),
        ("ＴＸＧＺ", "txgz"),
        ("加Ｖ信", "加v信"),
        // compatibility forms
        ("Ⓥ信", "v信"),
        ("①②③", "123"),
        ("㈤", "(五)"),
        ("🅃🅇🄶🅉", "txgz"),
        ("🅥🅧", "vx"),
        ("🆅🆇", "vx"),
        ("𝐕𝐗", "vx"),
        // format characters
        ("停\u{200B}息", "停息"),
        ("债\u{200D}务\u{FEFF}优化", "债务优化"),
        ("征\u{FE0F}信", "征信"),
        ("停\u{0336}息", "停息"),
        // traditional to simplified
        ("債務優化", "债务优化"),
        ("停息掛賬", "停息挂账"),
        ("徵信修復", "征信修复"),
        ("乾", "乾"),
        ("乾坤", "乾坤"),
        ("瞭望", "瞭望"),
        ("乾淨的衣服", "干净的衣服"),
        // interference symbols
        ("停*息 挂.账", "停息挂账"),
        ("停❤息", "停息"),
        ("债-务-优-化", "债务优化"),
        ("协 商 减 免", "协商减免"),
        ("征/信/修/复", "征信修复"),
        ("停 ** 息", "停息"),
        ("停💰💰💰💰💰息", "停💰💰💰💰💰息"),
        ("还款。停息", "还款。停息"),
        ("我同意，挂账", "我同意，挂账"),
        ("第一行\n第二行", "第一行\n第二行"),
        ("abc def", "abc def"),
        ("停 息\n挂 账", "停息\n挂账"),
        // contact numbers
        ("一三八 0000 1234", "13800001234"),
        ("1 3 8 0 0 0 0 1 2 3 4", "13800001234"),
        ("138-0000-1234", "13800001234"),
        ("13800001234", "13800001234"),
        ("一二三", "一二三"),
        ("一三八零零零零一二三四", "13800001234"),
        ("2024-01-05", "2024-01-05"),
        ("010-1234-5678", "01012345678"),
        ("共 10 000 元", "共 10 000 元"),
        ("", ""),
    ];

    #[test]
    fn table() {
        for (input, expected) in CASES {
            assert_eq!(normalize(input).as_str(), *expected, "input {input:?}");
        }
    }

    #[test]
    fn offsets_map_back_to_original() {
        let input = "加 Ｖ: 債*務*優*化";
        let n = normalize(input);
        let at = n.as_str().find("债务优化").unwrap();
        let span = n.original_span(at..at + "债务优化".len());
        assert_eq!(&input[span], "債*務*優*化");
        let v = n.as_str().find('v').unwrap();
        assert_eq!(&input[n.original_span(v..v + 1)], "Ｖ");
    }

    #[test]
    fn empty_range_maps_to_empty_range() {
        let n = normalize("停息");
        assert_eq!(n.original_span(3..3), 3..3);
        assert_eq!(n.original_span(6..6), 6..6);
        assert_eq!(normalize("").original_span(0..0), 0..0);
    }

    #[test]
    fn dropped_characters_keep_neighbours_in_place() {
        let input = "\u{200B}停息";
        let n = normalize(input);
        assert_eq!(n.as_str(), "停息");
        assert_eq!(n.original_span(0..3), 3..6);
    }

    proptest::proptest! {
        /// Whatever the text: no panic, and every normalised character maps to a non-empty
        /// span inside the original that falls on character boundaries, in order.
        #[test]
        fn never_panics_and_offsets_stay_inside(input in "(\\PC|[停息挂账债务优化*\u{200B}\u{FE0F}❤ ，。①Ⓥ一三八0-9 ])*") {
            let n = normalize(&input);
            let mut last_start = 0;
            for (i, _) in n.as_str().char_indices() {
                let (start, end) = n.origin[n.char_index_at(i)];
                proptest::prop_assert!(start < end && end <= input.len());
                proptest::prop_assert!(input.is_char_boundary(start) && input.is_char_boundary(end));
                proptest::prop_assert!(start >= last_start, "spans keep the original order");
                last_start = start;
                proptest::prop_assert_eq!(n.original_span(i..i + 1), start..end);
            }
            let all = n.original_span(0..n.as_str().len());
            proptest::prop_assert!(all.end <= input.len());
        }
    }
}
