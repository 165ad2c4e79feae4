//! Reading the files analysts label: CSV or TSV (UTF-8, UTF-8 with BOM, GB18030/GBK from
//! Excel on Chinese Windows, UTF-16 "Unicode text") or JSON lines, streamed record by record,
//! and spreadsheet workbooks (.xlsx, .xls, .ods), read one sheet at a time.
//!
//! A line that is empty or holds only spaces and tabs, outside any quoted field, is not a
//! record: it is skipped and counted ([`InputReader::blank_lines`]), in CSV, TSV and JSON
//! lines alike, as a wholly empty row is in a workbook. Line numbers stay the file's own.
//!
//! A record that cannot be read (broken quoting, wrong field count, bytes invalid in the
//! detected encoding, malformed JSON) becomes a [`Reject`] with its line number and the
//! reason, and reading goes on. A quoted field that never closes would otherwise swallow the
//! rest of the file: when a record spanning several lines has the wrong field count, only its
//! first line is rejected and reading resumes on the next line.
//!
//! [`encoding`] detects and decodes the text encoding, [`records`] cuts records and fields,
//! [`columns`] finds the delimiter and the text column, [`xlsx`] reads workbooks; [`open`]
//! opens an input and reads its header, [`items`] turns its records into rows and rejects. A file is read as a workbook when its first bytes are a zip archive's
//! or an OLE file's (whatever its extension), or when `--format xlsx` says so.

mod columns;
mod encoding;
mod items;
mod open;
mod records;
mod xlsx;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub use columns::{detect_delimiter, TEXT_COLUMNS};
pub use encoding::{detect_encoding, TextEncoding};
pub use records::{parse_size, show_size, DEFAULT_MAX_FIELD_BYTES};

pub(crate) use open::open_sheet;
use records::Splitter;
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

impl InputReader {
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

    /// Blank lines skipped so far (lines empty or only spaces and tabs, outside quotes), or
    /// for a workbook, wholly empty rows after the header: neither is a record.
    pub fn blank_lines(&self) -> u64 {
        match &self.sheet {
            Some(sheet) => sheet.empty_rows(),
            None => self.splitter.blank_lines,
        }
    }

    /// A handle on the count of bytes read, for progress.
    pub fn bytes_read(&self) -> BytesRead {
        self.bytes_read.clone()
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
