//! Cutting a byte stream into records and records into fields: records end at a newline
//! outside quotes (CSV, TSV) or at every newline (JSON lines); fields are split by csv-core.
//! A quoted field that never closes would swallow the rest of the file, so the reader can
//! put back all but a record's first line and read on from there.

use std::io::{self, Read};

/// The longest record read; a quoted field still open after this many bytes is taken for
/// broken quoting.
pub const MAX_RECORD_BYTES: usize = 32 << 20;

/// Splits one record's bytes into raw fields with csv-core (quotes removed, doubled quotes
/// unescaped).
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
    let mut fields = Vec::with_capacity(ends_at);
    let mut start = 0;
    for &end in &ends[..ends_at] {
        fields.push(output[start..end].to_vec());
        start = end;
    }
    Some(fields)
}

/// The bytes of one record, with where it starts.
#[derive(Debug, Clone)]
pub(crate) struct RawRecord {
    /// The record's bytes, line end included.
    pub(crate) bytes: Vec<u8>,
    /// 1-based line where it starts.
    pub(crate) line: u64,
    /// Physical lines it spans.
    pub(crate) lines: u64,
}

impl RawRecord {
    pub(crate) fn first_line(&self) -> RawRecord {
        let end = self
            .bytes
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.bytes.len(), |i| i + 1);
        RawRecord {
            bytes: self.bytes[..end].to_vec(),
            line: self.line,
            lines: 1,
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
}

/// Cuts a byte stream into records: at newlines outside quoted fields (CSV, TSV), or at
/// every newline (JSON lines, `delimiter` `None`).
pub(crate) struct Splitter {
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    start: usize,
    eof: bool,
    line: u64,
    /// The field delimiter, or `None` for JSON lines.
    pub(crate) delimiter: Option<u8>,
}

impl Splitter {
    pub(crate) fn new(reader: Box<dyn Read + Send>) -> Self {
        Splitter {
            reader,
            buf: Vec::with_capacity(1 << 16),
            start: 0,
            eof: false,
            line: 1,
            delimiter: Some(b','),
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

    pub(crate) fn next_record(&mut self) -> io::Result<Option<RawRecord>> {
        let mut state = Scan::FieldStart;
        let mut at = self.start;
        let mut newlines = 0u64;
        loop {
            while at < self.buf.len() {
                let b = self.buf[at];
                at += 1;
                if b == b'\n' {
                    newlines += 1;
                }
                let Some(delimiter) = self.delimiter else {
                    if b == b'\n' {
                        return Ok(Some(self.take(at, newlines)));
                    }
                    continue;
                };
                state = match (state, b) {
                    (Scan::FieldStart, b'"') => Scan::Quoted,
                    (Scan::Quoted, b'"') => Scan::QuoteInQuoted,
                    (Scan::Quoted, _) => Scan::Quoted,
                    (Scan::QuoteInQuoted, b'"') => Scan::Quoted,
                    (_, b'\n') => return Ok(Some(self.take(at, newlines))),
                    (_, d) if d == delimiter => Scan::FieldStart,
                    _ => Scan::Unquoted,
                };
            }
            if at - self.start > MAX_RECORD_BYTES && state == Scan::Quoted {
                // An unclosed quote: end the record here; the field count check rejects it.
                return Ok(Some(self.take(at, newlines)));
            }
            let consumed = at - self.start;
            if !self.fill()? {
                if self.start < self.buf.len() {
                    let end = self.buf.len();
                    return Ok(Some(self.take(end, newlines)));
                }
                return Ok(None);
            }
            at = self.start + consumed;
        }
    }

    fn take(&mut self, end: usize, newlines: u64) -> RawRecord {
        let bytes = self.buf[self.start..end].to_vec();
        self.start = end;
        let line = self.line;
        self.line += newlines;
        // Physical lines: a final newline ends the last line rather than starting another.
        let lines = if bytes.last() == Some(&b'\n') {
            newlines
        } else {
            newlines + 1
        };
        RawRecord {
            bytes,
            line,
            lines: lines.max(1),
        }
    }

    /// Puts back everything of `record` after its first line, to be read again.
    pub(crate) fn resume_after_first_line(&mut self, record: &RawRecord) {
        let Some(first_end) = record.bytes.iter().position(|&b| b == b'\n') else {
            return;
        };
        let rest = &record.bytes[first_end + 1..];
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
    record
        .bytes
        .split(|&b| b == b'\n')
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
