//! Reading spreadsheet workbooks (.xlsx, .xlsm, .xlsb, .xls, .ods) with calamine: one sheet
//! (the first, or the one named), its first non-empty row as the header, every later row
//! as text cells.
//!
//! Cells come out as Excel shows them where that is unambiguous: numbers without an
//! exponent or a trailing `.0` (a phone number typed as a number stays `13800000000`),
//! booleans as `TRUE`/`FALSE`, dates in their number format when it is made only of date
//! and time parts (`yyyy/m/d`, `yyyy"年"m"月"d"日"`), else as ISO 8601. A merged block gives
//! its value to every cell it covers, as Excel shows it across them; empty cells are empty
//! strings; a row wholly empty is skipped (and counted), as a blank line is in a CSV file. A
//! cell holding an error (`#DIV/0!`, `#N/A`) makes its row a reject naming the sheet, row and
//! column. Row numbers are the sheet's own, as Excel shows them in the margin.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Dimensions, Range, Reader, Sheets, StyleRange};

/// The first bytes of a zip archive (.xlsx, .xlsm, .xlsb, .ods).
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// The first bytes of an OLE compound file (.xls).
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Whether a file's first bytes are a workbook's: a zip archive or an OLE compound file.
/// No text file starts with either, so these win over the file's extension.
pub(crate) fn has_workbook_magic(start: &[u8]) -> bool {
    start.starts_with(ZIP_MAGIC) || start.starts_with(OLE_MAGIC)
}

/// Whether a file name's extension is a workbook's.
pub(crate) fn has_workbook_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .is_some_and(|e| matches!(e.as_str(), "xlsx" | "xlsm" | "xlsb" | "xls" | "ods"))
}

/// One row of a sheet after the header.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SheetRow {
    /// The row number Excel shows (1-based).
    pub row: u64,
    /// The cells as text, one per header column; or why the row cannot be read.
    pub cells: Result<Vec<String>, String>,
    /// The row's cells joined as a CSV line, for the rejects file.
    pub raw: String,
}

/// A sheet opened for reading, positioned after its header.
pub(crate) struct Sheet {
    /// The sheet's name.
    pub name: String,
    /// The header row's cells.
    pub header: Vec<String>,
    range: Range<Data>,
    styles: StyleRange,
    merged: Vec<Dimensions>,
    /// Relative index of the next row to read.
    next: usize,
    /// Wholly empty rows skipped after the header.
    empty_rows: u64,
}

/// Column letters as Excel names them: 0 is A, 25 is Z, 26 is AA.
pub(crate) fn column_letters(mut col: u32) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII")
}

impl Sheet {
    /// Opens the workbook in `bytes` and reads `sheet` (the first when `None`) up to its
    /// header row.
    ///
    /// # Errors
    /// Bytes that are no workbook calamine reads, a sheet not in the workbook (the message
    /// lists the sheets), or a sheet without a non-empty row.
    pub fn open(bytes: Vec<u8>, sheet: Option<&str>) -> Result<Sheet, String> {
        let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
            .map_err(|e| format!("not a readable workbook: {e}"))?;
        let names = book.sheet_names();
        let name = match sheet {
            Some(wanted) => names
                .iter()
                .find(|n| n.as_str() == wanted)
                .or_else(|| {
                    names
                        .iter()
                        .find(|n| n.trim().eq_ignore_ascii_case(wanted.trim()))
                })
                .cloned()
                .ok_or_else(|| {
                    format!(
                        "no sheet named `{wanted}`; the sheets are: {}",
                        names.join(", ")
                    )
                })?,
            None => names
                .first()
                .cloned()
                .ok_or_else(|| "the workbook has no sheet".to_string())?,
        };
        let range = book
            .worksheet_range(&name)
            .map_err(|e| format!("sheet {name}: {e}"))?;
        // Styles give date formats; a reader without them leaves dates in ISO 8601.
        let styles = book
            .worksheet_style(&name)
            .unwrap_or_else(|_| StyleRange::empty());
        let merged = match &mut book {
            Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
            Sheets::Xls(x) => x.merge_cells_by_sheet_name(&name).unwrap_or_default(),
            Sheets::Xlsb(_) | Sheets::Ods(_) => Vec::new(),
        };
        let mut sheet = Sheet {
            name,
            header: Vec::new(),
            range,
            styles,
            merged,
            next: 0,
            empty_rows: 0,
        };
        loop {
            let Some(row) = sheet.take_row() else {
                return Err(format!(
                    "sheet {} is empty: expected a header row",
                    sheet.name
                ));
            };
            if let Some(cells) = row {
                sheet.header = cells
                    .into_iter()
                    .map(|(_, c)| c.map_or_else(|e| e, |s| s.trim().to_string()))
                    .collect();
                return Ok(sheet);
            }
        }
    }

    /// How many rows (header included) the sheet spans, for progress.
    pub fn height(&self) -> usize {
        self.range.height()
    }

    /// How many of them have been read.
    pub fn rows_read(&self) -> usize {
        self.next
    }

    /// Wholly empty rows skipped after the header so far.
    pub fn empty_rows(&self) -> u64 {
        self.empty_rows
    }

    /// The next non-empty row after the header; `None` at the end.
    pub fn next_row(&mut self) -> Option<SheetRow> {
        loop {
            let index = self.next;
            let cells = self.take_row()?;
            let Some(cells) = cells else {
                self.empty_rows += 1;
                continue;
            };
            let row = self.absolute_row(index) as u64 + 1;
            let raw = csv_line(cells.iter().map(|(_, c)| match c {
                Ok(s) => s.as_str(),
                Err(e) => e.as_str(),
            }));
            let bad = cells.iter().find_map(|(col, c)| {
                c.as_ref().err().map(|e| {
                    let named = self
                        .header
                        .get(self.relative_col(*col))
                        .filter(|h| !h.is_empty())
                        .map(|h| format!(" ({h})"))
                        .unwrap_or_default();
                    format!(
                        "sheet {}, row {row}, column {}{named}: the cell holds the error {e}",
                        self.name,
                        column_letters(*col)
                    )
                })
            });
            let cells = match bad {
                Some(reason) => Err(reason),
                None => Ok(cells
                    .into_iter()
                    .map(|(_, c)| c.unwrap_or_default())
                    .collect()),
            };
            return Some(SheetRow { row, cells, raw });
        }
    }

    fn absolute_row(&self, index: usize) -> u32 {
        self.range.start().map_or(0, |s| s.0) + index as u32
    }

    fn relative_col(&self, col: u32) -> usize {
        (col - self.range.start().map_or(0, |s| s.1)) as usize
    }

    /// Reads the next row: `None` past the end, `Some(None)` for a row wholly empty, else
    /// each cell with its absolute column, as text or the error it holds.
    #[allow(clippy::type_complexity)]
    fn take_row(&mut self) -> Option<Option<Vec<(u32, Result<String, String>)>>> {
        let (start_row, start_col) = self.range.start()?;
        if self.next >= self.range.height() {
            return None;
        }
        let abs_row = start_row + self.next as u32;
        self.next += 1;
        let width = self.range.width() as u32;
        let cells: Vec<(u32, Result<String, String>)> = (0..width)
            .map(|i| {
                let col = start_col + i;
                let (r, c) = self
                    .merged
                    .iter()
                    .find(|m| m.contains(abs_row, col))
                    .map_or((abs_row, col), |m| m.start);
                let value = self.range.get_value((r, c)).unwrap_or(&Data::Empty);
                let format = self
                    .styles
                    .get((r, c))
                    .and_then(|s| s.number_format.as_ref())
                    .map(|f| f.format_code.as_str());
                (col, cell_text(value, format))
            })
            .collect();
        if cells
            .iter()
            .all(|(_, c)| matches!(c, Ok(s) if s.is_empty()))
        {
            return Some(None);
        }
        Some(Some(cells))
    }
}

/// A cell as text, or the error it holds (`#DIV/0!`).
fn cell_text(value: &Data, format: Option<&str>) -> Result<String, String> {
    Ok(match value {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Rust prints floats without an exponent and integers without `.0`.
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(d) => {
            if d.is_duration() {
                duration_text(d.as_f64())
            } else {
                let parts = d.to_ymd_hms_milli();
                format
                    .and_then(|f| formatted_date(f, parts))
                    .unwrap_or_else(|| iso_date(d.as_f64(), parts))
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Err(e.to_string()),
    })
}

type DateParts = (u16, u8, u8, u8, u8, u8, u16);

/// A date in ISO 8601: the date alone when it has no time, the time alone when it has no date.
fn iso_date(serial: f64, (y, mo, d, h, mi, s, _): DateParts) -> String {
    if serial.fract() == 0.0 {
        format!("{y:04}-{mo:02}-{d:02}")
    } else if serial.trunc() == 0.0 {
        format!("{h:02}:{mi:02}:{s:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
    }
}

fn duration_text(days: f64) -> String {
    let seconds = (days * 86_400.0).round() as i64;
    format!(
        "{}:{:02}:{:02}",
        seconds / 3600,
        (seconds / 60).rem_euclid(60),
        seconds.rem_euclid(60)
    )
}

/// A date written in its number format, when the format holds only year, month, day, hour,
/// minute and second parts and literal text; `None` for anything else (month names, AM/PM,
/// fractions of a second), which is then written in ISO 8601.
fn formatted_date(format: &str, (y, mo, d, h, mi, s, _): DateParts) -> Option<String> {
    let section = format.split(';').next()?;
    let chars: Vec<char> = section.chars().collect();
    let mut tokens: Vec<(char, usize)> = Vec::new(); // (part, run length); '\0' = literal
    let mut literal = String::new();
    let mut literals = Vec::new();
    let mut i = 0;
    let push_literal =
        |literal: &mut String, tokens: &mut Vec<(char, usize)>, ls: &mut Vec<String>| {
            if !literal.is_empty() {
                tokens.push(('\0', ls.len()));
                ls.push(std::mem::take(literal));
            }
        };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' => {
                let end = chars[i + 1..].iter().position(|&q| q == '"')? + i + 1;
                literal.extend(&chars[i + 1..end]);
                i = end + 1;
            }
            '\\' => {
                literal.push(*chars.get(i + 1)?);
                i += 2;
            }
            '[' => {
                // Locale and colour codes ([$-804], [Red]) show nothing.
                let end = chars[i..].iter().position(|&q| q == ']')? + i;
                if chars[i + 1..end].iter().any(|c| "hHmMsS".contains(*c)) {
                    return None;
                }
                i = end + 1;
            }
            'y' | 'Y' | 'm' | 'M' | 'd' | 'D' | 'h' | 'H' | 's' | 'S' => {
                push_literal(&mut literal, &mut tokens, &mut literals);
                let lower = c.to_ascii_lowercase();
                let run = chars[i..]
                    .iter()
                    .take_while(|q| q.to_ascii_lowercase() == lower)
                    .count();
                tokens.push((lower, run));
                i += run;
            }
            '_' | '*' => i += 2,
            c if c.is_ascii_alphabetic() || c == '.' || c == '0' || c == '#' || c == '@' => {
                return None
            }
            c => {
                literal.push(c);
                i += 1;
            }
        }
    }
    push_literal(&mut literal, &mut tokens, &mut literals);
    if !tokens.iter().any(|(t, _)| *t != '\0') {
        return None;
    }
    let parts: Vec<usize> = (0..tokens.len()).filter(|&k| tokens[k].0 != '\0').collect();
    let mut out = String::new();
    for (k, &(part, run)) in tokens.iter().enumerate() {
        let pad = |v: u32| {
            if run >= 2 {
                format!("{v:02}")
            } else {
                v.to_string()
            }
        };
        match part {
            '\0' => out.push_str(&literals[run]),
            'y' if run <= 2 => out.push_str(&format!("{:02}", y % 100)),
            'y' => out.push_str(&format!("{y:04}")),
            'd' if run <= 2 => out.push_str(&pad(d.into())),
            'h' if run <= 2 => out.push_str(&pad(h.into())),
            's' if run <= 2 => out.push_str(&pad(s.into())),
            'm' if run <= 2 => {
                // `m` after an hour or before a second is minutes, as Excel reads it.
                let at = parts.iter().position(|&p| p == k)?;
                let prev = at.checked_sub(1).map(|p| tokens[parts[p]].0);
                let next = parts.get(at + 1).map(|&p| tokens[p].0);
                let minutes = prev == Some('h') || next == Some('s');
                out.push_str(&pad(if minutes { mi.into() } else { mo.into() }));
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Fields joined as one CSV line, quoted where they need it.
fn csv_line<'a>(fields: impl Iterator<Item = &'a str>) -> String {
    fields
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_follow_excel() {
        for (col, name) in [
            (0, "A"),
            (2, "C"),
            (25, "Z"),
            (26, "AA"),
            (27, "AB"),
            (701, "ZZ"),
            (702, "AAA"),
        ] {
            assert_eq!(column_letters(col), name, "column {col}");
        }
    }

    #[test]
    fn dates_follow_their_format() {
        let parts = (2024, 3, 5, 14, 7, 9, 0);
        for (format, shown) in [
            ("yyyy/m/d", Some("2024/3/5")),
            ("yyyy-mm-dd", Some("2024-03-05")),
            ("yyyy\"年\"m\"月\"d\"日\"", Some("2024年3月5日")),
            ("yyyy年m月d日", Some("2024年3月5日")),
            ("[$-804]yyyy/m/d h:mm", Some("2024/3/5 14:07")),
            ("yyyy-mm-dd hh:mm:ss", Some("2024-03-05 14:07:09")),
            ("h:mm:ss", Some("14:07:09")),
            ("yy/mm/dd", Some("24/03/05")),
            ("mmm d, yyyy", None),
            ("h:mm AM/PM", None),
            ("General", None),
            ("0.00", None),
        ] {
            assert_eq!(
                formatted_date(format, parts).as_deref(),
                shown,
                "format {format}"
            );
        }
    }

    #[test]
    fn numbers_read_as_written() {
        for (value, shown) in [
            (Data::Float(13_800_000_000.0), "13800000000"),
            (Data::Float(3.0), "3"),
            (Data::Float(0.25), "0.25"),
            (Data::Int(-7), "-7"),
            (Data::Bool(true), "TRUE"),
            (Data::Empty, ""),
        ] {
            assert_eq!(cell_text(&value, None).unwrap(), shown, "{value:?}");
        }
    }

    #[test]
    fn magic_bytes_name_workbooks() {
        assert!(has_workbook_magic(b"PK\x03\x04rest"));
        assert!(has_workbook_magic(OLE_MAGIC));
        assert!(!has_workbook_magic(b"id,text\n"));
        assert!(has_workbook_extension(Path::new("a/B.XLSX")));
        assert!(has_workbook_extension(Path::new("b.ods")));
        assert!(!has_workbook_extension(Path::new("b.csv")));
    }
}
