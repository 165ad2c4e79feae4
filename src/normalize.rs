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

/// Steps 1 and 2 on a stretch of text starting at byte `base` of the original.
fn fold_forms(input: &str, base: usize) -> Vec<Piece> {
    let mut pieces = Vec::with_capacity(input.len() / 2 + 1);
    for (at, ch) in input.char_indices() {
        fold_char(base + at, ch, &mut |p| pieces.push(p));
    }
    pieces
}

/// Steps 1 and 2 for one character at byte `at`: drop format characters, fold
/// compatibility forms and case.
fn fold_char(at: usize, ch: char, push: &mut impl FnMut(Piece)) {
    let from = (at, at + ch.len_utf8());
    if is_format(ch) {
        return;
    }
    if ch.is_ascii() {
        push(Piece {
            ch: ch.to_ascii_lowercase(),
            from,
        });
        return;
    }
    // CJK punctuation stays as it is: NFKC would turn the full-width comma into an ASCII
    // comma, which reads as interference rather than a clause boundary.
    if is_common_cjk(ch) || is_boundary(ch) {
        push(Piece { ch, from });
        return;
    }
    if let Some(letter) = unfolded_letter(ch) {
        push(Piece { ch: letter, from });
        return;
    }
    decompose_compatible(ch, |folded| {
        if is_format(folded) {
            return;
        }
        for lower in folded.to_lowercase() {
            push(Piece { ch: lower, from });
        }
    });
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

    #[test]
    fn char_offsets_walk_either_way() {
        // 停 is 3 bytes, the emoji 4, the letters 1.
        let text = "停a😀b停停c";
        let mut offsets = CharOffsets::new(text);
        let slice = |r: Range<usize>| text.chars().skip(r.start).take(r.len()).collect::<String>();
        let cases = [
            (8..9, "b"),
            (0..4, "停a"),
            (9..15, "停停"),
            (4..8, "😀"),
            (15..16, "c"),
        ];
        for (bytes, want) in cases {
            let chars = offsets.span(bytes.clone());
            assert_eq!(
                slice(chars.clone()),
                want,
                "bytes {bytes:?} gave chars {chars:?}"
            );
            assert_eq!(&text[bytes], want);
        }
        assert_eq!(offsets.at(text.len()), text.chars().count());
        assert_eq!(offsets.at(0), 0);
    }

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
    fn long_texts_normalise_as_in_one_go() {
        let unit =
            "債務優化，乾淨的衣服 停*息 挂.账 一三八 0000 1234 ＶＸ１３８ 共 10 000 元\u{200B}㈤";
        let input = unit.repeat(3 * STRETCH / unit.len());
        let mut one_go = Normalized {
            original_len: input.len(),
            ..Normalized::default()
        };
        let pieces = drop_interference(to_simplified(fold_forms(&input, 0)));
        for piece in canonical_contact_numbers(pieces) {
            one_go.push(piece);
        }
        assert_eq!(normalize(&input), one_go);
    }

    #[test]
    fn plain_text_keeps_one_anchor_not_one_per_character() {
        let n = normalize(&"please call me about the loan 停息挂账 ".repeat(30_000));
        assert_eq!(n.anchors.len(), 1);
        assert_eq!(n.original_span(7..11), 7..11);
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
                let Range { start, end } = n.span_of(i);
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
