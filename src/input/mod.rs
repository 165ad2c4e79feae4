//! Reading the files analysts label: CSV or TSV (UTF-8, UTF-8 with BOM, GB18030/GBK from
//! Excel on Chinese Windows, UTF-16 "Unicode text") or JSON lines, streamed record by record,
//! and spreadsheet workbooks (.xlsx, .xls, .ods), read one sheet at a time.
//!
//! A record that cannot be read (broken quoting, wrong field count, bytes invalid in the
//! detected encoding, malformed JSON) becomes a [`Reject`] with its line number and the
//! reason, and reading goes on. A quoted field that never closes would otherwise swallow the
//! rest of the file: when a record spanning several lines has the wrong field count, only its
//! first line is rejected and reading resumes on the next line.
//!
//! [`encoding`] detects and decodes the text encoding, [`records`] cuts records and fields,
//! [`columns`] finds the delimiter and the text column, [`xlsx`] reads workbooks; this module
//! joins them into rows. A file is read as a workbook when its first bytes are a zip archive's
//! or an OLE file's (whatever its extension), or when `--format xlsx` says so.

mod columns;
mod encoding;
mod records;
mod xlsx;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::{Error, InputError, Result};

pub use columns::{detect_delimiter, TEXT_COLUMNS};
pub use encoding::{detect_encoding, TextEncoding};
pub use records::{parse_size, show_size, DEFAULT_MAX_FIELD_BYTES};

use columns::find_text_column;
use encoding::{detect, Utf16Reader};
use records::{parse_record, swallowed_a_record, Ending, RawRecord, Splitter};
pub(crate) use xlsx::SheetRow;

/// The shape of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values (the delimiter is detected: comma, semicolon or pipe).
    Csv,
    /// Tab-separated values.
    Tsv,
    /// One JSON object per line.
    Jsonl,
    /// A spreadsheet workbook: .xlsx, .xlsm, .xlsb, .xls or .ods read (one sheet), .xlsx
    /// written.
    #[value(alias = "xls", alias = "ods", alias = "excel")]
    Xlsx,
}

impl Format {
    /// The format a file name's extension names: `.csv`; `.tsv` or `.tab`; `.jsonl`,
    /// `.ndjson` or `.json`; `.xlsx`, `.xlsm`, `.xlsb`, `.xls` or `.ods`. `None` for any
    /// other extension (or none).
    pub fn from_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "tsv" | "tab" => Some(Format::Tsv),
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            _ if xlsx::has_workbook_extension(path) => Some(Format::Xlsx),
            _ => None,
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
    /// Where the text to classify is: read from the fields, not a copy of one, so that a
    /// huge text is held once.
    text: Text,
}

/// Where a row's text is.
#[derive(Debug, Clone, PartialEq)]
enum Text {
    /// The table field at this index.
    Field(usize),
    /// The JSON object's string under this key.
    Key(String),
    /// A JSON value that is not a string, written as JSON (empty for `null`).
    Own(String),
}

impl Row {
    /// A row of table fields whose text is field `text_index`.
    fn table(line: u64, fields: Vec<String>, text_index: usize) -> Row {
        Row {
            line,
            fields: Fields::Table(fields),
            text: Text::Field(text_index),
        }
    }

    /// The text to classify.
    pub fn text(&self) -> &str {
        match (&self.text, &self.fields) {
            (Text::Field(i), Fields::Table(fields)) => &fields[*i],
            (Text::Key(key), Fields::Json(map)) => {
                map.get(key).and_then(|v| v.as_str()).unwrap_or("")
            }
            (Text::Own(text), _) => text,
            _ => "",
        }
    }
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
    /// The longest field (or JSON line) read, in bytes; a record with a longer one is
    /// rejected ([`DEFAULT_MAX_FIELD_BYTES`] unless set).
    pub max_field_bytes: usize,
    /// The sheet of a workbook to read; the first when `None`.
    pub sheet: Option<String>,
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
    /// The sheet being read, for a workbook (read whole before its first row).
    sheet: Option<xlsx::Sheet>,
    /// A workbook's size, shared out over its rows as they are read, for progress.
    sheet_bytes: u64,
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

/// Opens `sheet` (the first when `None`) of the file at `path` when the file is a workbook
/// (by its first bytes, or by its extension); `Ok(None)` when it is not one.
///
/// # Errors
/// An unreadable file, a workbook calamine cannot read, or no such sheet.
pub(crate) fn open_sheet(path: &Path, sheet: Option<&str>) -> Result<Option<xlsx::Sheet>> {
    let mut start = [0u8; 8];
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let n = file.read(&mut start).map_err(|e| Error::io(path, e))?;
    if !xlsx::has_workbook_magic(&start[..n]) {
        if Format::from_extension(path) == Some(Format::Xlsx) {
            return Err(workbook_error(
                &path.display().to_string(),
                "not a workbook (it is neither a zip archive nor an OLE file)",
            ));
        }
        return Ok(None);
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    xlsx::Sheet::open(bytes, sheet)
        .map(Some)
        .map_err(|message| workbook_error(&path.display().to_string(), message))
}

/// A workbook that cannot be read, or has no such sheet: no row is at fault.
fn workbook_error(name: &str, message: impl Into<String>) -> Error {
    Error::io(
        name,
        io::Error::new(io::ErrorKind::InvalidData, message.into()),
    )
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
        let workbook = match spec.format {
            Some(format) => format == Format::Xlsx,
            None => {
                xlsx::has_workbook_magic(&peek)
                    || spec.path.as_deref().and_then(Format::from_extension) == Some(Format::Xlsx)
            }
        };
        if workbook {
            return Self::open_workbook(spec, name, peek, reader, bytes_read);
        }
        let detected = detect(&peek);
        let (encoding, skip) = (detected.encoding, detected.bom);
        let stream: Box<dyn Read + Send> =
            Box::new(io::Cursor::new(peek[skip..].to_vec()).chain(reader));
        let stream: Box<dyn Read + Send> = match detected.utf16 {
            Some(order) => Box::new(Utf16Reader::new(stream, order)),
            None => stream,
        };
        let format = spec
            .format
            .or_else(|| spec.path.as_deref().and_then(Format::from_extension))
            .unwrap_or(Format::Csv);
        let mut splitter = Splitter::new(stream);
        splitter.max_field = spec.max_field_bytes;
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
            sheet: None,
            sheet_bytes: 0,
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
            .ok_or_else(|| InputError::Empty {
                path: PathBuf::from(&input.name),
            })?;
        if header.ending != Ending::Whole {
            return Err(InputError::Header {
                path: PathBuf::from(&input.name),
            }
            .into());
        }
        let fields =
            parse_record(&header.bytes, input.delimiter).ok_or_else(|| InputError::Header {
                path: PathBuf::from(&input.name),
            })?;
        let header_encoding = input.encoding.of_record(&header.bytes);
        input.header = fields
            .iter()
            .map(|f| {
                header_encoding
                    .decode(f)
                    .unwrap_or_else(|| String::from_utf8_lossy(f).into_owned())
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .to_string()
            })
            .collect();
        input.find_text_column(spec)?;
        input.splitter = splitter;
        Ok(input)
    }

    /// Reads a whole workbook and opens its sheet, positioned after the header row.
    fn open_workbook(
        spec: &InputSpec,
        name: String,
        mut bytes: Vec<u8>,
        mut rest: impl Read,
        bytes_read: BytesRead,
    ) -> Result<Self> {
        rest.read_to_end(&mut bytes)
            .map_err(|e| Error::io(&name, e))?;
        if !xlsx::has_workbook_magic(&bytes) {
            return Err(workbook_error(
                &name,
                "not a workbook (it is neither a zip archive nor an OLE file); if it is text, \
                 name its format with --format csv",
            ));
        }
        let sheet_bytes = bytes.len() as u64;
        // Counted again row by row as the sheet is read.
        bytes_read.0.store(0, Ordering::Relaxed);
        let sheet = xlsx::Sheet::open(bytes, spec.sheet.as_deref())
            .map_err(|message| workbook_error(&name, message))?;
        let mut input = InputReader {
            name,
            format: Format::Xlsx,
            encoding: TextEncoding::Utf8,
            delimiter: b',',
            header: sheet.header.clone(),
            text_column: String::new(),
            text_index: 0,
            splitter: Splitter::new(Box::new(io::empty())),
            bytes_read,
            sheet: Some(sheet),
            sheet_bytes,
        };
        input.find_text_column(spec)?;
        Ok(input)
    }

    fn find_text_column(&mut self, spec: &InputSpec) -> Result<()> {
        let input = self;
        input.text_index = find_text_column(&input.header, spec.text_column.as_deref())
            .ok_or_else(|| InputError::NoTextColumn {
                path: PathBuf::from(&input.name),
                wanted: spec.text_column.clone(),
                columns: input.header.clone(),
            })?;
        input.text_column = input.header[input.text_index].clone();
        Ok(())
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

    /// The next record, read or rejected; `None` at the end.
    ///
    /// # Errors
    /// Only I/O failures of the underlying file; bad records are [`Item::Reject`]s.
    pub fn next_item(&mut self) -> Result<Option<Item>> {
        if let Some(sheet) = &mut self.sheet {
            let Some(row) = sheet.next_row() else {
                self.bytes_read.0.store(self.sheet_bytes, Ordering::Relaxed);
                return Ok(None);
            };
            let done = self.sheet_bytes * sheet.rows_read() as u64 / sheet.height().max(1) as u64;
            self.bytes_read.0.store(done, Ordering::Relaxed);
            return Ok(Some(match row.cells {
                Ok(fields) => Item::Row(Row::table(row.row, fields, self.text_index)),
                Err(reason) => Item::Reject(Reject {
                    line: row.row,
                    reason,
                    raw: row.raw,
                }),
            }));
        }
        let Some(record) = self
            .splitter
            .next_record()
            .map_err(|e| Error::io(&self.name, e))?
        else {
            return Ok(None);
        };
        let item = match self.format {
            Format::Jsonl => self.json_item(&record),
            Format::Csv | Format::Tsv | Format::Xlsx => self.table_item(record),
        };
        Ok(Some(item))
    }

    fn reject(&self, record: &RawRecord, reason: String) -> Item {
        Item::Reject(Reject {
            line: record.line,
            reason,
            raw: self.encoding.of_record(&record.bytes).lossy(&record.bytes),
        })
    }

    /// Why a record with a field over the limit is rejected.
    fn too_long(&self, field: usize, in_quotes: bool) -> String {
        let what = match self.format {
            Format::Jsonl => "the line".to_string(),
            _ => match self.header.get(field) {
                Some(name) => format!("column {name}"),
                None => format!("field {}", field + 1),
            },
        };
        let mut reason = format!(
            "{what} is longer than the limit of {}; raise it with --max-field-size",
            show_size(self.splitter.max_field)
        );
        if in_quotes {
            reason.push_str(" (the file ends inside a quoted field)");
        }
        reason
    }

    fn json_item(&self, record: &RawRecord) -> Item {
        if let Ending::TooLong { field, in_quotes } = record.ending {
            return self.reject(record, self.too_long(field, in_quotes));
        }
        let encoding = self.encoding.of_record(&record.bytes);
        let Some(text) = encoding.decode(&record.bytes) else {
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
            Some(serde_json::Value::String(_)) => Text::Key(self.text_column.clone()),
            Some(serde_json::Value::Null) => Text::Own(String::new()),
            Some(other) => Text::Own(other.to_string()),
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
        if let Ending::TooLong { field, in_quotes } = record.ending {
            return self.reject(&record, self.too_long(field, in_quotes));
        }
        let Some(raw_fields) = parse_record(&record.bytes, self.delimiter) else {
            return self.reject(&record, "unreadable record".into());
        };
        if raw_fields.len() != self.header.len() {
            let reason = if record.ending == Ending::InQuotes && record.lines == 1 {
                "the file ends inside a quoted field".to_string()
            } else {
                format!(
                    "expected {} fields, found {} (broken quoting or a stray delimiter)",
                    self.header.len(),
                    raw_fields.len()
                )
            };
            if record.lines > 1 {
                // Probably an unclosed quote: give up on the first line only.
                let first_line = record.first_line();
                self.splitter.resume_after_first_line(&record);
                return self.reject(&first_line, reason);
            }
            return self.reject(&record, reason);
        }
        if record.lines > 1
            && swallowed_a_record(&record, &raw_fields, self.delimiter, self.header.len())
        {
            let first_line = record.first_line();
            self.splitter.resume_after_first_line(&record);
            return self.reject(
                &first_line,
                "a quoted field is not closed on this line (broken quoting)".into(),
            );
        }
        if record.ending == Ending::InQuotes {
            // The fields add up: the last one was cut off with the file (a truncated export).
            return self.reject(&record, "the file ends inside a quoted field".into());
        }
        let encoding = self.encoding.of_record(&record.bytes);
        let mut fields = Vec::with_capacity(raw_fields.len());
        for (i, f) in raw_fields.into_iter().enumerate() {
            match encoding.decode_owned(f) {
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
        Item::Row(Row::table(record.line, fields, self.text_index))
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
