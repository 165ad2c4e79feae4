//! Finding a table's shape from its first line: the delimiter, and which column holds the
//! text (by name, from a list of names exports use).

/// Column names taken for the text column, in order of preference (compared without case).
pub const TEXT_COLUMNS: &[&str] = &[
    "text",
    "content",
    "内容",
    "投诉内容",
    "文本",
    "message",
    "msg",
    "body",
    "正文",
    "投诉描述",
    "描述",
    "诉求",
    "comment",
    "评论",
    "聊天内容",
    "短信内容",
    "问题描述",
];

/// The delimiter of a CSV file from its first line (ended by LF, CRLF or a lone CR) that is
/// not blank (blank lines are skipped before the header too): the most frequent of comma,
/// tab, semicolon and pipe outside quotes; comma when there is none.
pub fn detect_delimiter(sample: &[u8]) -> u8 {
    // NUL too: a UTF-16 sample is looked at as bytes, each ASCII character beside a NUL.
    let blank = sample
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0))
        .unwrap_or(sample.len());
    // Back to the start of the first line that is not blank.
    let start = sample[..blank]
        .iter()
        .rposition(|&b| b == b'\n' || b == b'\r')
        .map_or(0, |i| i + 1);
    let sample = &sample[start..];
    let line_end = sample
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .unwrap_or(sample.len());
    let mut counts = [0usize; 4];
    let candidates = [b',', b'\t', b';', b'|'];
    let mut quoted = false;
    for &b in &sample[..line_end] {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(i) = candidates.iter().position(|&c| c == b) {
                counts[i] += 1;
            }
        }
    }
    let best = (0..4).max_by_key(|&i| (counts[i], 4 - i)).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        candidates[best]
    }
}

/// The index of the text column: the one named `wanted`, else the first of [`TEXT_COLUMNS`]
/// present (names compared trimmed and without ASCII case).
pub(crate) fn find_text_column(header: &[String], wanted: Option<&str>) -> Option<usize> {
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    match wanted {
        Some(name) => header.iter().position(|h| same(h, name)),
        None => TEXT_COLUMNS
            .iter()
            .find_map(|name| header.iter().position(|h| same(h, name))),
    }
}
