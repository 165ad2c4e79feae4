//! Cutting a byte stream into records and records into fields: records end at a line end
//! (CR, LF or CRLF) outside quotes (CSV, TSV) or at every LF (JSON lines); fields are split
//! by csv-core. A quoted field that never closes would swallow the rest of the file, so the
//! reader can put back all but a record's first line and read on from there. A field longer
//! than the limit is not kept: its record is read to its end and rejected as one. A line
//! that is empty or holds only spaces, tabs and line ends, outside quotes, is no record: it
//! is skipped and counted, as pandas skips it (and the csv crate an empty one).

use std::io::{self, Read};

/// The longest field read whole unless set otherwise (`--max-field-size`): 64 MiB, far
/// beyond any complaint or chat text, small enough that one stray quote cannot make a
/// record eat memory without bound.
pub const DEFAULT_MAX_FIELD_BYTES: usize = 64 << 20;

/// Records bigger than this take the reading buffer's allocation rather than a copy.
const BIG_RECORD: usize = 1 << 20;

/// A size from the command line: bytes, or a number with `K`, `M`, `G` (or `KiB`, `MiB`,
/// `GiB`, `KB`, `MB`, `GB`, all powers of 1024).
///
/// # Errors
/// Anything else, or zero.
pub fn parse_size(text: &str) -> std::result::Result<usize, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => {
            return Err(format!(
                "`{text}` is not a size (say 64MiB, 512K or 1000000)"
            ))
        }
    };
    let n: usize = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (say 64MiB, 512K or 1000000)"))?;
    if n == 0 {
        return Err("the size must be more than 0".into());
    }
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is too big"))
}

/// A size for messages: `64 MiB`, `4 KiB`, or bytes.
pub fn show_size(bytes: usize) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} bytes")
}

/// Splits one record's bytes into raw fields with csv-core (quotes removed, doubled quotes
/// unescaped). The largest field keeps the parse buffer instead of a copy of it.
pub(crate) fn parse_record(bytes: &[u8], delimiter: u8) -> Option<Vec<Vec<u8>>> {
    let mut reader = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut output = vec![0u8; bytes.len() + 1];
    let mut ends = vec![0usize; bytes.iter().filter(|&&b| b == delimiter).count() + 2];
    let mut input = bytes;
    let (mut out_at, mut ends_at) = (0, 0);
    loop {
        let (result, nin, nout, nend) =
            reader.read_record(input, &mut output[out_at..], &mut ends[ends_at..]);
        input = &input[nin..];
        out_at += nout;
        ends_at += nend;
        match result {
            csv_core::ReadRecordResult::InputEmpty => {
                if input.is_empty() {
                    // Signal the end of input so the last field is closed.
                    let (result, _, _, nend) =
                        reader.read_record(&[], &mut output[out_at..], &mut ends[ends_at..]);
                    ends_at += nend;
                    if matches!(result, csv_core::ReadRecordResult::Record) {
                        break;
                    }
                    if matches!(result, csv_core::ReadRecordResult::End) && ends_at > 0 {
                        break;
                    }
                    return None;
                }
            }
            csv_core::ReadRecordResult::Record => break,
            csv_core::ReadRecordResult::End => break,
            csv_core::ReadRecordResult::OutputFull | csv_core::ReadRecordResult::OutputEndsFull => {
                return None
            }
        }
    }
    let mut spans = Vec::with_capacity(ends_at);
    let mut start = 0;
    for &end in &ends[..ends_at] {
        spans.push((start, end));
        start = end;
    }
    let largest = (0..spans.len()).max_by_key(|&i| spans[i].1 - spans[i].0)?;
    let mut fields: Vec<Vec<u8>> = spans
        .iter()
        .enumerate()
        .map(|(i, &(s, e))| {
            if i == largest {
                Vec::new()
            } else {
                output[s..e].to_vec()
            }
        })
        .collect();
    let (s, e) = spans[largest];
    output.truncate(e);
    output.drain(..s);
    fields[largest] = output;
    Some(fields)
}

/// How a record ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// At a line end outside quotes, or at the end of the file after a closed field.
    Whole,
    /// At the end of the file with a quoted field still open: a truncated file, or a quote
    /// that never closes.
    InQuotes,
    /// Field `field` (0-based) grew past the limit; the record was read to its end but only
    /// its first line is kept.
    TooLong {
        /// The field that grew past the limit.
        field: usize,
        /// Whether the file ended with a quoted field still open.
        in_quotes: bool,
    },
}

/// The bytes of one record, with where it starts.
#[derive(Debug, Clone)]
pub(crate) struct RawRecord {
    /// The record's bytes, line end included (for [`Ending::TooLong`], its first line only).
    pub(crate) bytes: Vec<u8>,
    /// 1-based line where it starts.
    pub(crate) line: u64,
    /// Physical lines it spans.
    pub(crate) lines: u64,
    /// How it ended.
    pub(crate) ending: Ending,
}

/// Where the first line of `bytes` ends (after its CR, LF or CRLF), if it does.
pub(crate) fn first_line_end(bytes: &[u8]) -> Option<usize> {
    let i = bytes.iter().position(|&b| b == b'\n' || b == b'\r')?;
    Some(if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
        i + 2
    } else {
        i + 1
    })
}

/// The lines of `bytes`, each without its line end (CR, LF or CRLF).
pub(crate) fn lines(mut bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        if bytes.is_empty() {
            return None;
        }
        let end = first_line_end(bytes).unwrap_or(bytes.len());
        let mut line = &bytes[..end];
        bytes = &bytes[end..];
        line = line.strip_suffix(b"\n").unwrap_or(line);
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    })
}

impl RawRecord {
    pub(crate) fn first_line(&self) -> RawRecord {
        let end = first_line_end(&self.bytes).unwrap_or(self.bytes.len());
        RawRecord {
            bytes: self.bytes[..end].to_vec(),
            line: self.line,
            lines: 1,
            ending: Ending::Whole,
        }
    }
}

/// Where the record-boundary scan is inside a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scan {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
    /// Just after a CR that ends the record: a following LF belongs to it.
    AfterCr,
}

/// Whether what the scan found is a blank line rather than a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blank {
    Yes,
    No,
}

/// Cuts a byte stream into records: at line ends (CR, LF or CRLF, as the csv crate reads
/// them) outside quoted fields (CSV, TSV), or at every LF (JSON lines, `delimiter` `None`).
pub(crate) struct Splitter {
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    start: usize,
    eof: bool,
    line: u64,
    /// The field delimiter, or `None` for JSON lines.
    pub(crate) delimiter: Option<u8>,
    /// The longest field read whole, in bytes.
    pub(crate) max_field: usize,
    /// Blank lines skipped so far.
    pub(crate) blank_lines: u64,
}

/// How much of a too-long record's first line is kept for the rejects file.
const KEPT_OF_TOO_LONG: usize = 64 << 10;

impl Splitter {
    pub(crate) fn new(reader: Box<dyn Read + Send>) -> Self {
        Splitter {
            reader,
            buf: Vec::with_capacity(1 << 16),
            start: 0,
            eof: false,
            line: 1,
            delimiter: Some(b','),
            max_field: DEFAULT_MAX_FIELD_BYTES,
            blank_lines: 0,
        }
    }

    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + (1 << 16), 0);
        let n = loop {
            match self.reader.read(&mut self.buf[old..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(e);
                }
            }
        };
        self.buf.truncate(old + n);
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    /// The first line of the record so far, as much as is kept of a too-long record.
    fn kept(&self, at: usize) -> Vec<u8> {
        let record = &self.buf[self.start..at];
        let line = first_line_end(record).unwrap_or(record.len());
        let mut keep = line.min(KEPT_OF_TOO_LONG);
        // Cut at a character's start (UTF-8 and transcoded UTF-16), not inside it.
        while keep < line && keep > 0 && record[keep] & 0xC0 == 0x80 {
            keep -= 1;
        }
        record[..keep].to_vec()
    }

    /// The next record, blank lines skipped (and counted); `None` at the end.
    pub(crate) fn next_record(&mut self) -> io::Result<Option<RawRecord>> {
        loop {
            match self.next_line_or_record()? {
                Some((record, Blank::No)) => return Ok(Some(record)),
                Some((_, Blank::Yes)) => self.blank_lines += 1,
                None => return Ok(None),
            }
        }
    }

    /// The next record, or a blank line standing where one could start.
    fn next_line_or_record(&mut self) -> io::Result<Option<(RawRecord, Blank)>> {
        let mut state = Scan::FieldStart;
        let mut at = self.start;
        let mut newlines = 0u64;
        let mut prev_cr = false;
        let mut field = 0usize;
        let mut field_start = at;
        // Set once a field outgrows the limit: the kept first line and the field's index.
        let mut too_long: Option<(Vec<u8>, usize)> = None;
        // Whether every byte so far is a space, a tab or a line end (and not the delimiter):
        // such a record has no quote either, so it is one line.
        let mut blank = true;
        // Where the record ends and where its last field's bytes end (before the line end).
        let (end, content_end, in_quotes) = 'scan: loop {
            while at < self.buf.len() {
                let b = self.buf[at];
                if state == Scan::AfterCr {
                    let content_end = at - 1;
                    if b == b'\n' {
                        at += 1;
                    }
                    break 'scan (at, content_end, false);
                }
                at += 1;
                if blank {
                    blank = matches!(b, b' ' | b'\t' | b'\r' | b'\n') && Some(b) != self.delimiter;
                }
                if (b == b'\n' && !prev_cr) || b == b'\r' {
                    newlines += 1;
                }
                prev_cr = b == b'\r';
                let Some(delimiter) = self.delimiter else {
                    if b == b'\n' {
                        break 'scan (at, at - 1, false);
                    }
                    continue;
                };
                state = match (state, b) {
                    (Scan::FieldStart, b'"') => Scan::Quoted,
                    (Scan::Quoted, b'"') => Scan::QuoteInQuoted,
                    (Scan::Quoted, _) => Scan::Quoted,
                    (Scan::QuoteInQuoted, b'"') => Scan::Quoted,
                    (_, b'\n') => break 'scan (at, at - 1, false),
                    (_, b'\r') => Scan::AfterCr,
                    (_, d) if d == delimiter => {
                        if too_long.is_none() && at - 1 - field_start > self.max_field {
                            too_long = Some((self.kept(at), field));
                        }
                        field += 1;
                        field_start = at;
                        Scan::FieldStart
                    }
                    _ => Scan::Unquoted,
                };
            }
            if too_long.is_none() && at - field_start > self.max_field {
                too_long = Some((self.kept(at), field));
            }
            if too_long.is_some() {
                // Read on to the record's end without keeping its bytes.
                self.buf.drain(self.start..at);
                at = self.start;
                field_start = at;
            }
            let (consumed, field_at) = (at - self.start, field_start - self.start);
            if !self.fill()? {
                if self.start < self.buf.len() || too_long.is_some() {
                    let end = self.buf.len();
                    let content_end = if state == Scan::AfterCr {
                        end.saturating_sub(1)
                    } else {
                        end
                    };
                    break 'scan (end, content_end, state == Scan::Quoted);
                }
                return Ok(None);
            }
            at = self.start + consumed;
            field_start = self.start + field_at;
        };
        if too_long.is_none() && content_end.saturating_sub(field_start) > self.max_field {
            too_long = Some((self.kept(end), field));
        }
        let record = self.take(end, newlines, too_long, in_quotes);
        Ok(Some((record, if blank { Blank::Yes } else { Blank::No })))
    }

    fn take(
        &mut self,
        end: usize,
        newlines: u64,
        too_long: Option<(Vec<u8>, usize)>,
        in_quotes: bool,
    ) -> RawRecord {
        let ends_with_line_end = end > self.start && matches!(self.buf[end - 1], b'\n' | b'\r');
        let (bytes, ending) = match too_long {
            Some((kept, field)) => {
                self.buf.drain(self.start..end);
                (kept, Ending::TooLong { field, in_quotes })
            }
            None => {
                let bytes = if end - self.start > BIG_RECORD {
                    // A big record keeps the buffer's allocation instead of a copy of it.
                    let rest = self.buf.split_off(end);
                    let mut bytes = std::mem::replace(&mut self.buf, rest);
                    bytes.drain(..self.start);
                    bytes.shrink_to_fit();
                    self.start = 0;
                    bytes
                } else {
                    let bytes = self.buf[self.start..end].to_vec();
                    self.start = end;
                    bytes
                };
                let ending = if in_quotes {
                    Ending::InQuotes
                } else {
                    Ending::Whole
                };
                (bytes, ending)
            }
        };
        let line = self.line;
        self.line += newlines;
        // Physical lines: a final line end ends the last line rather than starting another.
        let lines = if ends_with_line_end {
            newlines
        } else {
            newlines + 1
        };
        RawRecord {
            bytes,
            line,
            lines: lines.max(1),
            ending,
        }
    }

    /// Puts back everything of `record` after its first line, to be read again.
    pub(crate) fn resume_after_first_line(&mut self, record: &RawRecord) {
        let Some(first_end) = first_line_end(&record.bytes) else {
            return;
        };
        let rest = &record.bytes[first_end..];
        self.buf
            .splice(self.start..self.start, rest.iter().copied());
        self.line = record.line + 1;
    }
}

/// Whether a record that spans several lines has, inside a quoted field, a line that is
/// itself a whole record starting with a key shaped like this record's first field
/// (GD2026110902 and GD2026110903): the sign of an unclosed quote in an export with an id
/// column.
pub(crate) fn swallowed_a_record(
    record: &RawRecord,
    fields: &[Vec<u8>],
    delimiter: u8,
    columns: usize,
) -> bool {
    let key = shape(&fields[0]);
    if key.is_empty() || !fields[0].iter().any(u8::is_ascii_digit) {
        return false;
    }
    lines(&record.bytes)
        .skip(1)
        .filter(|line| !line.is_empty())
        .any(|line| {
            parse_record(line, delimiter)
                .is_some_and(|inner| inner.len() == columns && shape(&inner[0]) == key)
        })
}

/// A field's shape: digits as `9`, ASCII letters as `a`, other bytes as they are.
fn shape(field: &[u8]) -> Vec<u8> {
    field
        .iter()
        .map(|&b| match b {
            b'0'..=b'9' => b'9',
            b'a'..=b'z' | b'A'..=b'Z' => b'a',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_show() {
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
        assert_eq!(show_size(64 << 20), "64 MiB");
        assert_eq!(show_size(1500), "1500 bytes");
        assert_eq!(show_size(DEFAULT_MAX_FIELD_BYTES), "64 MiB");
    }

    #[test]
    fn the_largest_field_is_kept_whole() {
        let fields = parse_record(b"1,\"a\"\"b\",ccc\r\n", b',').unwrap();
        assert_eq!(fields, [b"1".to_vec(), b"a\"b".to_vec(), b"ccc".to_vec()]);
    }

    #[test]
    fn lines_end_at_cr_lf_and_crlf() {
        let all: Vec<&[u8]> = lines(b"a\rb\nc\r\nd").collect();
        assert_eq!(all, [&b"a"[..], b"b", b"c", b"d"]);
    }
}
