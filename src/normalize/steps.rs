//! The normaliser's steps over pieces of text, in the order `normalize` runs them, and the
//! character classes they share with the matcher and the contact scan.

use unicode_normalization::char::decompose_compatible;

use super::{
    Piece, AMBIGUOUS_TRADITIONAL, MAX_INTERFERENCE_RUN, MIN_CONTACT_DIGITS, MIN_SEPARATED_DIGITS,
};

/// Steps 1 and 2 on a stretch of text starting at byte `base` of the original.
pub(super) fn fold_forms(input: &str, base: usize) -> Vec<Piece> {
    let mut pieces = Vec::with_capacity(input.len() / 2 + 1);
    for (at, ch) in input.char_indices() {
        fold_char(base + at, ch, &mut |p| pieces.push(p));
    }
    pieces
}

/// Steps 1 and 2 for one character at byte `at`: drop format characters, fold
/// compatibility forms and case.
pub(super) fn fold_char(at: usize, ch: char, push: &mut impl FnMut(Piece)) {
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
pub(super) fn to_simplified(mut pieces: Vec<Piece>) -> Vec<Piece> {
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
pub(super) fn drop_interference(pieces: Vec<Piece>) -> Vec<Piece> {
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
pub(super) fn canonical_contact_numbers(mut pieces: Vec<Piece>) -> Vec<Piece> {
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
pub(super) fn digit_value(ch: char) -> Option<u8> {
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
pub(super) fn is_common_cjk(ch: char) -> bool {
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
