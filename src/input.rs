//! Reading the files analysts label: CSV or TSV (UTF-8, UTF-8 with BOM, GB18030/GBK from
//! Excel on Chinese Windows, UTF-16 "Unicode text") or JSON lines, streamed record by record.
//!
//! A record that cannot be read (broken quoting, wrong field count, bytes invalid in the
//! detected encoding, malformed JSON) becomes a [`Reject`] with its line number and the
//! reason, and reading goes on. A quoted field that never closes would otherwise swallow the
//! rest of the file: when a record spanning several lines has the wrong field count, only its
//! first line is rejected and reading resumes on the next line.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE};

use crate::error::{Error, Result};

/// The longest record read; a quoted field still open after this many bytes is taken for
/// broken quoting.
pub const MAX_RECORD_BYTES: usize = 32 << 20;

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

/// The shape of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values (the delimiter is detected: comma, semicolon or pipe).
    Csv,
    /// Tab-separated values.
    Tsv,
    /// One JSON object per line.
    Jsonl,
}

impl Format {
    /// The format a file name's extension names: `.csv`; `.tsv` or `.tab`; `.jsonl`,
    /// `.ndjson` or `.json`. `None` for any other extension (or none).
    pub fn from_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "tsv" | "tab" => Some(Format::Tsv),
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

/// The text encoding detected for a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// GB18030, a superset of GBK and GB2312.
    Gb18030,
    /// UTF-16 with a byte-order mark, transcoded to UTF-8 while reading.
    Utf16,
}

impl TextEncoding {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Gb18030 => "GB18030",
            TextEncoding::Utf16 => "UTF-16",
        }
    }
}

/// The fields of a readable record.
#[derive(Debug, Clone, PartialEq)]
pub enum Fields {
    /// CSV or TSV fields, in header order.
    Table(Vec<String>),
    /// A JSON object.
    Json(serde_json::Map<String, serde_json::Value>),
}

/// A record that was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 1-based line where the record starts.
    pub line: u64,
    /// Its fields.
    pub fields: Fields,
    /// The text to classify.
    pub text: String,
}

/// A record that could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    /// 1-based line where the record starts.
    pub line: u64,
    /// Why it was rejected, naming the column where one is at fault.
    pub reason: String,
    /// The record's bytes, decoded with replacement characters where they are invalid.
    pub raw: String,
}

/// One record of input, in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// Read and ready to classify.
    Row(Row),
    /// Not readable; goes to the rejects file.
    Reject(Reject),
}

/// How to read one input.
#[derive(Debug, Clone)]
pub struct InputSpec {
    /// The file, or `None` for standard input.
    pub path: Option<PathBuf>,
    /// The format; from the file name, else CSV, when `None`.
    pub format: Option<Format>,
    /// The text column's name; detected from [`TEXT_COLUMNS`] when `None`.
    pub text_column: Option<String>,
}

impl InputSpec {
    /// The name used in messages: the path, or `<stdin>`.
    pub fn name(&self) -> String {
        self.path
            .as_ref()
            .map_or("<stdin>".to_string(), |p| p.display().to_string())
    }
}

/// Counts the bytes read so far, for progress.
#[derive(Debug, Clone, Default)]
pub struct BytesRead(Arc<AtomicU64>);

impl BytesRead {
    /// Bytes read so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

struct Counting<R> {
    inner: R,
    count: BytesRead,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// An open input, positioned after its header.
pub struct InputReader {
    name: String,
    format: Format,
    encoding: TextEncoding,
    delimiter: u8,
    header: Vec<String>,
    text_column: String,
    text_index: usize,
    splitter: Splitter,
    bytes_read: BytesRead,
}

impl std::fmt::Debug for InputReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputReader")
            .field("name", &self.name)
            .field("format", &self.format)
            .field("encoding", &self.encoding)
            .finish()
    }
}

fn setup_error(name: &str, message: impl Into<String>) -> Error {
    Error::Row {
        path: PathBuf::from(name),
        row: 1,
        column: None,
        message: message.into(),
    }
}

impl InputReader {
    /// Opens an input, detects its encoding and delimiter, reads its header and finds its
    /// text column.
    ///
    /// # Errors
    /// An unreadable file; a CSV/TSV file without a header or whose text column cannot be
    /// found (the message lists the columns seen).
    pub fn open(spec: &InputSpec) -> Result<Self> {
        let name = spec.name();
        let bytes_read = BytesRead::default();
        let raw: Box<dyn Read + Send> = match &spec.path {
            Some(path) => Box::new(File::open(path).map_err(|e| Error::io(path, e))?),
            None => Box::new(io::stdin()),
        };
        let mut reader = BufReader::with_capacity(
            1 << 16,
            Counting {
                inner: raw,
                count: bytes_read.clone(),
            },
        );
        let mut peek = Vec::with_capacity(1 << 16);
        (&mut reader)
            .take(1 << 16)
            .read_to_end(&mut peek)
            .map_err(|e| Error::io(&name, e))?;
        let (encoding, skip) = detect_encoding(&peek);
        let stream: Box<dyn Read + Send> =
            Box::new(io::Cursor::new(peek[skip..].to_vec()).chain(reader));
        let stream: Box<dyn Read + Send> = match encoding {
            TextEncoding::Utf16 => Box::new(Utf16Reader::new(
                stream,
                if peek.starts_with(&[0xFF, 0xFE]) {
                    UTF_16LE
                } else {
                    UTF_16BE
                },
            )),
            _ => stream,
        };
        let format = spec
            .format
            .or_else(|| spec.path.as_deref().and_then(Format::from_extension))
            .unwrap_or(Format::Csv);
        let mut splitter = Splitter::new(stream);
        let mut input = InputReader {
            name,
            format,
            encoding,
            delimiter: b',',
            header: Vec::new(),
            text_column: spec.text_column.clone().unwrap_or_else(|| "text".into()),
            text_index: 0,
            splitter: Splitter::new(Box::new(io::empty())),
            bytes_read,
        };
        if format == Format::Jsonl {
            splitter.delimiter = None;
            input.splitter = splitter;
            return Ok(input);
        }
        input.delimiter = match format {
            Format::Tsv => b'\t',
            _ => detect_delimiter(&peek[skip..]),
        };
        splitter.delimiter = Some(input.delimiter);
        let header = splitter
            .next_record()
            .map_err(|e| Error::io(&input.name, e))?
            .ok_or_else(|| setup_error(&input.name, "empty file: expected a header row"))?;
        let fields = parse_record(&header.bytes, input.delimiter)
            .ok_or_else(|| setup_error(&input.name, "unreadable header row"))?;
        input.header = fields
            .iter()
            .map(|f| {
                input
                    .decode(f)
                    .unwrap_or_else(|| String::from_utf8_lossy(f).into_owned())
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .to_string()
            })
            .collect();
        input.text_index = find_text_column(&input.header, spec.text_column.as_deref())
            .ok_or_else(|| {
                let wanted = spec
                    .text_column
                    .as_ref()
                    .map_or("no text column found".to_string(), |c| {
                        format!("no column named `{c}`")
                    });
                setup_error(
                    &input.name,
                    format!(
                        "{wanted}; the columns are: {}. Name the text column with --text-column",
                        input.header.join(", ")
                    ),
                )
            })?;
        input.text_column = input.header[input.text_index].clone();
        input.splitter = splitter;
        Ok(input)
    }

    /// The input's name in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The header's column names (empty for JSON lines).
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The detected encoding.
    pub fn encoding(&self) -> TextEncoding {
        self.encoding
    }

    /// The format read.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The field delimiter (CSV and TSV).
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// The text column's name.
    pub fn text_column(&self) -> &str {
        &self.text_column
    }

    /// A handle on the count of bytes read, for progress.
    pub fn bytes_read(&self) -> BytesRead {
        self.bytes_read.clone()
    }

    fn decode(&self, bytes: &[u8]) -> Option<String> {
        match self.encoding {
            TextEncoding::Utf8 | TextEncoding::Utf16 => {
                std::str::from_utf8(bytes).ok().map(str::to_string)
            }
            TextEncoding::Gb18030 => GB18030
                .decode_without_bom_handling_and_without_replacement(bytes)
                .map(|c| c.into_owned()),
        }
    }

    fn lossy(&self, bytes: &[u8]) -> String {
        let encoding: &Encoding = match self.encoding {
            TextEncoding::Gb18030 => GB18030,
            _ => encoding_rs::UTF_8,
        };
        encoding
            .decode_without_bom_handling(bytes)
            .0
            .trim_end_matches(['\r', '\n'])
            .to_string()
    }

    /// The next record, read or rejected; `None` at the end.
    ///
    /// # Errors
    /// Only I/O failures of the underlying file; bad records are [`Item::Reject`]s.
    pub fn next_item(&mut self) -> Result<Option<Item>> {
        let Some(record) = self
            .splitter
            .next_record()
            .map_err(|e| Error::io(&self.name, e))?
        else {
            return Ok(None);
        };
        let item = match self.format {
            Format::Jsonl => self.json_item(&record),
            Format::Csv | Format::Tsv => self.table_item(record),
        };
        Ok(Some(item))
    }

    fn reject(&self, record: &RawRecord, reason: String) -> Item {
        Item::Reject(Reject {
            line: record.line,
            reason,
            raw: self.lossy(&record.bytes),
        })
    }

    fn json_item(&self, record: &RawRecord) -> Item {
        let Some(text) = self.decode(&record.bytes) else {
            return self.reject(record, format!("bytes invalid in {}", self.encoding.name()));
        };
        let line = text.trim_end_matches(['\r', '\n']);
        let value: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => return self.reject(record, format!("malformed JSON: {e}")),
        };
        let serde_json::Value::Object(map) = value else {
            return self.reject(record, "expected a JSON object".into());
        };
        let text = match map.get(&self.text_column) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Null) => String::new(),
            Some(other) => other.to_string(),
            None => {
                return self.reject(
                    record,
                    format!(
                        "no `{}` field; name the text field with --text-column",
                        self.text_column
                    ),
                )
            }
        };
        Item::Row(Row {
            line: record.line,
            fields: Fields::Json(map),
            text,
        })
    }

    fn table_item(&mut self, record: RawRecord) -> Item {
        let Some(raw_fields) = parse_record(&record.bytes, self.delimiter) else {
            return self.reject(&record, "unreadable record".into());
        };
        if raw_fields.len() != self.header.len() {
            let reason = format!(
                "expected {} fields, found {} (broken quoting or a stray delimiter)",
                self.header.len(),
                raw_fields.len()
            );
            if record.lines > 1 {
                // Probably an unclosed quote: give up on the first line only.
                let first_line = record.first_line();
                self.splitter.resume_after_first_line(&record);
                return self.reject(&first_line, reason);
            }
            return self.reject(&record, reason);
        }
        if record.lines > 1 && self.swallowed_a_record(&record, &raw_fields) {
            let first_line = record.first_line();
            self.splitter.resume_after_first_line(&record);
            return self.reject(
                &first_line,
                "a quoted field is not closed on this line (broken quoting)".into(),
            );
        }
        let mut fields = Vec::with_capacity(raw_fields.len());
        for (i, f) in raw_fields.iter().enumerate() {
            match self.decode(f) {
                Some(s) => fields.push(s),
                None => {
                    return self.reject(
                        &record,
                        format!(
                            "column {}: bytes invalid in {}",
                            self.header[i],
                            self.encoding.name()
                        ),
                    )
                }
            }
        }
        let text = fields[self.text_index].clone();
        Item::Row(Row {
            line: record.line,
            fields: Fields::Table(fields),
            text,
        })
    }
}

impl InputReader {
    /// Whether a record that spans several lines has, inside a quoted field, a line that is
    /// itself a whole record starting with a key shaped like this record's first field
    /// (GD2026110902 and GD2026110903): the sign of an unclosed quote in an export with an id
    /// column.
    fn swallowed_a_record(&self, record: &RawRecord, fields: &[Vec<u8>]) -> bool {
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
                parse_record(line, self.delimiter).is_some_and(|inner| {
                    inner.len() == self.header.len() && shape(&inner[0]) == key
                })
            })
    }
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

/// The encoding of a file from its first bytes, and how many bytes of byte-order mark to
/// skip.
pub fn detect_encoding(peek: &[u8]) -> (TextEncoding, usize) {
    if peek.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return (TextEncoding::Utf8, 3);
    }
    if peek.starts_with(&[0xFF, 0xFE]) || peek.starts_with(&[0xFE, 0xFF]) {
        return (TextEncoding::Utf16, 2);
    }
    // The encoding with fewer malformed sequences in the sample wins, UTF-8 on a tie: a
    // UTF-8 file with a few corrupt bytes stays UTF-8 (those rows are rejected), while GBK
    // text read as UTF-8 is malformed almost everywhere.
    let utf8 = malformed(encoding_rs::UTF_8, peek);
    if utf8 == 0 || utf8 <= malformed(GB18030, peek) {
        (TextEncoding::Utf8, 0)
    } else {
        (TextEncoding::Gb18030, 0)
    }
}

/// Malformed sequences in `sample` decoded as `encoding` (a sequence cut off at the end of
/// the sample does not count).
fn malformed(encoding: &'static Encoding, sample: &[u8]) -> usize {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut out = vec![0u8; 4096];
    let mut rest = sample;
    let mut count = 0;
    loop {
        let (result, read, _) = decoder.decode_to_utf8_without_replacement(rest, &mut out, false);
        rest = &rest[read..];
        match result {
            encoding_rs::DecoderResult::InputEmpty => return count,
            encoding_rs::DecoderResult::OutputFull => {}
            encoding_rs::DecoderResult::Malformed(_, _) => count += 1,
        }
    }
}

/// The delimiter of a CSV file from its first line: the most frequent of comma, tab,
/// semicolon and pipe outside quotes; comma when there is none.
pub fn detect_delimiter(sample: &[u8]) -> u8 {
    let line_end = sample
        .iter()
        .position(|&b| b == b'\n')
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

fn find_text_column(header: &[String], wanted: Option<&str>) -> Option<usize> {
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    match wanted {
        Some(name) => header.iter().position(|h| same(h, name)),
        None => TEXT_COLUMNS
            .iter()
            .find_map(|name| header.iter().position(|h| same(h, name))),
    }
}

/// Splits one record's bytes into raw fields with csv-core (quotes removed, doubled quotes
/// unescaped).
fn parse_record(bytes: &[u8], delimiter: u8) -> Option<Vec<Vec<u8>>> {
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
struct RawRecord {
    bytes: Vec<u8>,
    line: u64,
    lines: u64,
}

impl RawRecord {
    fn first_line(&self) -> RawRecord {
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
struct Splitter {
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    start: usize,
    eof: bool,
    line: u64,
    delimiter: Option<u8>,
}

impl Splitter {
    fn new(reader: Box<dyn Read + Send>) -> Self {
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

    fn next_record(&mut self) -> io::Result<Option<RawRecord>> {
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
    fn resume_after_first_line(&mut self, record: &RawRecord) {
        let Some(first_end) = record.bytes.iter().position(|&b| b == b'\n') else {
            return;
        };
        let rest = &record.bytes[first_end + 1..];
        self.buf
            .splice(self.start..self.start, rest.iter().copied());
        self.line = record.line + 1;
    }
}

/// Transcodes a UTF-16 stream to UTF-8 as it is read.
struct Utf16Reader {
    inner: Box<dyn Read + Send>,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    output: Vec<u8>,
    out_at: usize,
    done: bool,
}

impl Utf16Reader {
    fn new(inner: Box<dyn Read + Send>, encoding: &'static Encoding) -> Self {
        Utf16Reader {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            input: vec![0; 1 << 15],
            output: Vec::new(),
            out_at: 0,
            done: false,
        }
    }
}

impl Read for Utf16Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_at >= self.output.len() {
            if self.done {
                return Ok(0);
            }
            let n = self.inner.read(&mut self.input)?;
            let last = n == 0;
            self.output.clear();
            self.output.resize(n * 2 + 16, 0);
            let (_, _, written, _) =
                self.decoder
                    .decode_to_utf8(&self.input[..n], &mut self.output, last);
            self.output.truncate(written);
            self.out_at = 0;
            self.done = last;
        }
        let n = buf.len().min(self.output.len() - self.out_at);
        buf[..n].copy_from_slice(&self.output[self.out_at..self.out_at + n]);
        self.out_at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8], format: Option<Format>) -> (InputReader, Vec<Item>) {
        let dir = std::env::temp_dir().join(format!("heihui-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        static N: AtomicU64 = AtomicU64::new(0);
        let path = dir.join(format!("in-{}.csv", N.fetch_add(1, Ordering::SeqCst)));
        std::fs::write(&path, bytes).unwrap();
        let mut input = InputReader::open(&InputSpec {
            path: Some(path),
            format,
            text_column: None,
        })
        .unwrap();
        let mut items = Vec::new();
        while let Some(item) = input.next_item().unwrap() {
            items.push(item);
        }
        (input, items)
    }

    fn texts(items: &[Item]) -> Vec<String> {
        items
            .iter()
            .map(|i| match i {
                Item::Row(r) => format!("{}:{}", r.line, r.text),
                Item::Reject(r) => format!("{}:REJECT", r.line),
            })
            .collect()
    }

    #[test]
    fn utf8_with_bom_quoted_newlines_and_commas() {
        let (input, items) = read_all(
            "\u{feff}id,内容\n1,\"多行\n文本, 有逗号\"\n2,\"他说\"\"你好\"\"\"\n".as_bytes(),
            None,
        );
        assert_eq!(input.header(), ["id", "内容"]);
        assert_eq!(input.text_column(), "内容");
        assert_eq!(texts(&items), ["2:多行\n文本, 有逗号", "4:他说\"你好\""]);
    }

    #[test]
    fn gbk_is_detected_and_decoded() {
        let (bytes, _, _) = GB18030.encode("编号,投诉内容\n1,停息挂账找我们\n2,还款没到账\n");
        let (input, items) = read_all(&bytes, None);
        assert_eq!(input.encoding(), TextEncoding::Gb18030);
        assert_eq!(texts(&items), ["2:停息挂账找我们", "3:还款没到账"]);
    }

    #[test]
    fn a_few_corrupt_bytes_do_not_make_utf8_gbk() {
        let mut sample = "编号,内容\n1,停息挂账找我们\n2,还款没到账了\n"
            .repeat(3)
            .into_bytes();
        sample.extend_from_slice(&[0xff, 0xfe]);
        assert_eq!(detect_encoding(&sample).0, TextEncoding::Utf8);
        let gbk = GB18030
            .encode("编号,内容\n1,停息挂账找我们\n")
            .0
            .into_owned();
        assert_eq!(detect_encoding(&gbk).0, TextEncoding::Gb18030);
        assert_eq!(detect_encoding("停息".as_bytes()).0, TextEncoding::Utf8);
    }

    #[test]
    fn delimiters_are_detected() {
        let (input, items) = read_all("id;text\n1;停息\n".as_bytes(), None);
        assert_eq!(input.delimiter(), b';');
        assert_eq!(texts(&items), ["2:停息"]);
        let (input, _) = read_all("id\ttext\tx\n1\ta,b\t3\n".as_bytes(), None);
        assert_eq!(input.delimiter(), b'\t');
    }

    #[test]
    fn unclosed_quote_rejects_one_line_and_reading_goes_on() {
        let (_, items) = read_all(
            "id,text,n\n1,ok,1\n2,\"broken,2\n3,fine,3\n4,\"also\nfine\",4\n".as_bytes(),
            None,
        );
        assert_eq!(
            texts(&items),
            ["2:ok", "3:REJECT", "4:fine", "5:also\nfine"]
        );
    }

    #[test]
    fn unclosed_quote_before_an_id_column_row_is_caught() {
        let (_, items) = read_all(
            "id,text\nA001,\"open\nA002,fine\nA003,\"multi\nline\"\n".as_bytes(),
            None,
        );
        assert_eq!(texts(&items), ["2:REJECT", "3:fine", "4:multi\nline"]);
    }

    #[test]
    fn wrong_field_count_and_bad_bytes_are_rejected_with_reasons() {
        let mut bytes = GB18030.encode("id,text\n1,a,extra\n2,").0.into_owned();
        bytes.extend_from_slice(&[0xff, 0xfe, 0x80]);
        bytes.extend_from_slice(&GB18030.encode("\n3,好\n").0);
        // The peek sees invalid UTF-8 and picks GB18030; 0xff is invalid there too.
        let (_, items) = read_all(&bytes, None);
        let Item::Reject(r) = &items[0] else { panic!() };
        assert!(
            r.reason.starts_with("expected 2 fields, found 3"),
            "{}",
            r.reason
        );
        let Item::Reject(r) = &items[1] else { panic!() };
        assert_eq!(r.reason, "column text: bytes invalid in GB18030");
        assert_eq!(r.line, 3);
        assert!(
            matches!(&items[2], Item::Row(row) if row.text == "好"),
            "{:?}",
            items[2]
        );
    }

    #[test]
    fn jsonl_reads_text_field_and_rejects_bad_lines() {
        let (_, items) = read_all(
            b"{\"id\":1,\"text\":\"\xe5\xa5\xbd\"}\nnot json\n{\"id\":3}\n",
            Some(Format::Jsonl),
        );
        assert_eq!(texts(&items), ["1:好", "2:REJECT", "3:REJECT"]);
    }

    #[test]
    fn missing_text_column_lists_columns() {
        let dir = std::env::temp_dir().join(format!("heihui-input-col-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.csv");
        std::fs::write(&path, "id,备注\n1,x\n").unwrap();
        let err = InputReader::open(&InputSpec {
            path: Some(path),
            format: None,
            text_column: None,
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("no text column found; the columns are: id, 备注"),
            "{err}"
        );
    }

    #[test]
    fn utf16_is_transcoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "id\ttext\n1\t停息\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let (input, items) = read_all(&bytes, Some(Format::Tsv));
        assert_eq!(input.encoding(), TextEncoding::Utf16);
        assert_eq!(texts(&items), ["2:停息"]);
    }
}
