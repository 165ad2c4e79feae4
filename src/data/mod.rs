//! Labelled data: reading `id,text,label` CSV files (or workbooks) and checking a data directory
//! (`heihui data check`): unknown labels, empty texts, repeated ids and texts, and near
//! duplicates anywhere across the splits by character-trigram Jaccard similarity, found
//! through an inverted index rather than by comparing every pair.

mod check;
pub mod sources;

pub use check::{
    check_dir, check_dir_column, near_duplicates, CheckReport, Lengths, Problem, SplitSummary,
};

use std::path::Path;

use crate::error::{DataError, Error, Result};
use crate::labels::Label;

/// Two rows whose character-trigram sets overlap more than this (Jaccard) are near
/// duplicates.
pub const NEAR_DUPLICATE_JACCARD: f64 = 0.6;

/// The genres a labelled row may have (GUIDELINES.md defines each).
pub const GENRES: [&str; 18] = [
    "sms",
    "chat",
    "group_chat",
    "call_transcript",
    "cs_session",
    "comment",
    "comment_thread",
    "forum_post",
    "social_post",
    "letter",
    "ticket",
    "app_review",
    "notice",
    "news",
    "article",
    "poster_ocr",
    "asr",
    "other",
];

/// The split files of a data directory, in order.
pub const SPLITS: [&str; 3] = ["train", "dev", "test"];

/// A split checked with the others when its file is present: rows written apart from the
/// three splits, by other writers, and never trained on or used to choose anything.
pub const HELD_OUT: &str = "blind";

/// One labelled row.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// The row's id.
    pub id: String,
    /// The text.
    pub text: String,
    /// Its gold label.
    pub label: Label,
    /// 1-based row number in the file, the header being row 1.
    pub row: u64,
    /// The `genre` column, where the file has one and the row a value.
    pub genre: Option<String>,
    /// The `hard` column (`yes`/`no`), where the file has one.
    pub hard: Option<bool>,
}

/// A row that could not be read as a labelled example.
#[derive(Debug, Clone, PartialEq)]
pub struct BadRow {
    /// 1-based row number, the header being row 1.
    pub row: u64,
    /// What is wrong, naming the column.
    pub message: String,
}

/// Reads a labelled CSV file, failing on the first bad row.
///
/// # Errors
/// An unreadable file, a missing `text` or `label` column, or a bad row (invalid UTF-8,
/// unknown label, broken quoting), naming the file, row and column.
pub fn read_labeled(path: &Path) -> Result<Vec<Example>> {
    read_labeled_column(path, "text")
}

/// Reads a labelled CSV file whose texts are in `text_column`, failing on the first bad row.
///
/// # Errors
/// As [`read_labeled`].
pub fn read_labeled_column(path: &Path, text_column: &str) -> Result<Vec<Example>> {
    read_labeled_sheet_strict(path, text_column, None)
}

/// As [`read_labeled_column`], reading `sheet` of a workbook (the first when `None`).
///
/// # Errors
/// As [`read_labeled`], or no such sheet.
pub fn read_labeled_sheet_strict(
    path: &Path,
    text_column: &str,
    sheet: Option<&str>,
) -> Result<Vec<Example>> {
    let (examples, bad) = read_labeled_sheet(path, text_column, sheet)?;
    if let Some(first) = bad.into_iter().next() {
        return Err(DataError::Row {
            path: path.to_path_buf(),
            row: first.row,
            column: None,
            message: first.message,
        }
        .into());
    }
    Ok(examples)
}

/// Reads a labelled CSV file, collecting bad rows instead of stopping at them.
///
/// # Errors
/// An unreadable file or a header without `text` and `label` columns.
pub fn read_labeled_lenient(path: &Path) -> Result<(Vec<Example>, Vec<BadRow>)> {
    read_labeled_lenient_column(path, "text")
}

/// As [`read_labeled_lenient`], with the texts in `text_column`.
///
/// # Errors
/// An unreadable file or a header without the text and `label` columns.
pub fn read_labeled_lenient_column(
    path: &Path,
    text_column: &str,
) -> Result<(Vec<Example>, Vec<BadRow>)> {
    read_labeled_sheet(path, text_column, None)
}

/// As [`read_labeled_lenient_column`]; a workbook (.xlsx, .xls, .ods) is read from `sheet`,
/// or its first sheet when `None`, with the row numbers the sheet shows.
///
/// # Errors
/// An unreadable file or workbook, no such sheet, or a header without the text and `label`
/// columns.
pub fn read_labeled_sheet(
    path: &Path,
    text_column: &str,
    sheet: Option<&str>,
) -> Result<(Vec<Example>, Vec<BadRow>)> {
    if let Some(mut sheet) = crate::input::open_sheet(path, sheet)? {
        let columns = LabeledColumns::find(path, &sheet.header, text_column)?;
        let (mut examples, mut bad) = (Vec::new(), Vec::new());
        while let Some(crate::input::SheetRow { row, cells, .. }) = sheet.next_row() {
            let parsed = cells.and_then(|cells| {
                columns.example(row, |col, _| {
                    Ok(cells.get(col).cloned().unwrap_or_default())
                })
            });
            match parsed {
                Ok(example) => examples.push(example),
                Err(message) => bad.push(BadRow { row, message }),
            }
        }
        return Ok((examples, bad));
    }
    // Read whole: the csv crate skips empty lines without counting them in its line numbers,
    // and a record's byte offset is where those skipped lines began, so each record's line is
    // counted here from the first byte after them.
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let mut lines = LineCounter::default();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bytes.as_slice());
    let headers = reader
        .byte_headers()
        .map_err(|e| csv_error(path, e))?
        .clone();
    let header: Vec<String> = headers
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    let columns = LabeledColumns::find(path, &header, text_column)?;

    let mut examples = Vec::new();
    let mut bad = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut row: u64 = 1;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                row += 1;
                bad.push(BadRow {
                    row,
                    message: format!("unreadable CSV: {e}"),
                });
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        }
        row = record
            .position()
            .map_or(row + 1, |p| lines.line_at(&bytes, p.byte() as usize));
        if is_blank(&record) {
            continue;
        }
        let field = |col: usize, name: &str| -> std::result::Result<String, String> {
            let bytes = record
                .get(col)
                .ok_or_else(|| format!("column {name}: missing field"))?;
            std::str::from_utf8(bytes)
                .map(str::to_string)
                .map_err(|e| format!("column {name}: invalid UTF-8 at byte {}", e.valid_up_to()))
        };
        match columns.example(row, field) {
            Ok(example) => examples.push(example),
            Err(message) => bad.push(BadRow { row, message }),
        }
    }
    Ok((examples, bad))
}

/// Whether a record is a line of only spaces or tabs. The csv crate skips empty lines; such a
/// line is as blank (the input reader skips both alike).
fn is_blank(record: &csv::ByteRecord) -> bool {
    record.len() == 1 && record[0].iter().all(|&b| b == b' ' || b == b'\t')
}

/// The line of a byte offset, for offsets visited in increasing order: each byte is scanned
/// once whatever the number of lookups.
#[derive(Default)]
struct LineCounter {
    scanned: usize,
    newlines: u64,
}

impl LineCounter {
    /// The line of the first byte at or after `offset` that ends no line.
    fn line_at(&mut self, bytes: &[u8], offset: usize) -> u64 {
        let mut offset = offset.clamp(self.scanned, bytes.len());
        while matches!(bytes.get(offset), Some(b'\n' | b'\r')) {
            offset += 1;
        }
        self.newlines += bytes[self.scanned..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.scanned = offset;
        self.newlines + 1
    }
}

/// Where a labelled file's columns are.
struct LabeledColumns {
    text_name: String,
    text: usize,
    label: usize,
    id: Option<usize>,
    genre: Option<usize>,
    hard: Option<usize>,
}

impl LabeledColumns {
    fn find(path: &Path, header: &[String], text_column: &str) -> Result<Self> {
        let position = |name: &str| column_position(header, name);
        Ok(LabeledColumns {
            text_name: text_column.to_string(),
            text: required_column(path, header, text_column)?,
            label: required_column(path, header, "label")?,
            id: position("id"),
            genre: position("genre"),
            hard: position("hard"),
        })
    }

    /// The example in one row, whose fields `field(index, name)` gives.
    fn example(
        &self,
        row: u64,
        field: impl Fn(usize, &str) -> std::result::Result<String, String>,
    ) -> std::result::Result<Example, String> {
        let text = field(self.text, &self.text_name)?;
        let label = field(self.label, "label")?;
        let label: Label = label
            .parse()
            .map_err(|e: crate::labels::UnknownLabel| format!("column label: {e}"))?;
        let id = match self.id {
            Some(col) => field(col, "id")?,
            None => (row - 1).to_string(),
        };
        let genre = match self.genre {
            Some(col) => Some(field(col, "genre")?).filter(|g| !g.trim().is_empty()),
            None => None,
        };
        let hard = match self.hard {
            Some(col) => match field(col, "hard")?.trim() {
                "yes" => Some(true),
                "no" => Some(false),
                "" => None,
                other => return Err(format!("column hard: `{other}` is neither yes nor no")),
            },
            None => None,
        };
        Ok(Example {
            id,
            text,
            label,
            row,
            genre,
            hard,
        })
    }
}

/// Where the header names `name` (a byte-order mark and spaces around a name ignored).
fn column_position(header: &[String], name: &str) -> Option<usize> {
    header
        .iter()
        .position(|h| h.trim_start_matches('\u{feff}').trim() == name)
}

/// Where the header names `name`, or an error naming the file and the column.
fn required_column(path: &Path, header: &[String], name: &str) -> Result<usize> {
    column_position(header, name).ok_or_else(|| {
        DataError::Row {
            path: path.to_path_buf(),
            row: 1,
            column: Some(name.to_string()),
            message: format!("missing column; the header has {}", header.join(",")),
        }
        .into()
    })
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    let row = e.position().map_or(1, |p| p.line());
    DataError::Row {
        path: path.to_path_buf(),
        row,
        column: None,
        message: e.to_string(),
    }
    .into()
}
