//! Workbooks: labelled rows as an .xlsx sheet (rust_xlsxwriter), and a second sheet with the
//! run's summary.
//!
//! The sheet holds the input's columns and the added ones of [`super::added_columns`], the
//! header frozen and filtered, probabilities and confidence as numbers, `label` cells coloured
//! by label, long texts wrapped. Every cell is written as a string or a number, never as a
//! formula, so `=1+1` in a complaint stays text and needs no `'` guard. The workbook is built
//! in memory and written out whole by [`XlsxTable::finish`].

use std::io::Write;

use rust_xlsxwriter::{Color, Format, Workbook, Worksheet, XlsxError};

use super::{compact_hits, Explain, OutputSettings};
use crate::classifier::Classification;
use crate::error::{Error, Result};
use crate::input::{Fields, Row};
use crate::labels::Label;

/// Excel's longest cell, in characters; longer texts are cut to it (and counted).
pub const MAX_CELL_CHARS: usize = 32_767;
/// Excel's rows per sheet, the header included.
const MAX_ROWS: u32 = 1_048_576;
/// A cell longer than this many characters is wrapped.
const WRAP_CHARS: usize = 40;
/// The widest a column is made, in character widths.
const MAX_WIDTH: f64 = 60.0;

/// What the summary sheet says about the run.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    /// The input files.
    pub inputs: Vec<String>,
    /// Rows read.
    pub rows_in: u64,
    /// Rows labelled, per label in [`Label::ALL`] order.
    pub per_label: [u64; 3],
    /// Rows sent to the rejects file.
    pub rejected: u64,
    /// Where the rejects went, when there were any.
    pub rejects_file: Option<String>,
    /// Blank lines (or empty rows) skipped: not records, so not among the rows in.
    pub blank_lines: u64,
    /// Rows flagged for review.
    pub needs_review: u64,
    /// The model, as named to the user.
    pub model: String,
    /// The corpus, as named to the user.
    pub corpus: String,
}

/// A labelled sheet being filled.
pub(super) struct XlsxTable {
    sheet: Worksheet,
    /// The next row to write (0 is the header).
    next_row: u32,
    columns: usize,
    /// Widest cell per column, in character widths.
    widths: Vec<f64>,
    wrap: Format,
    header: Format,
    labels: [Format; 3],
    number: Format,
    /// Cells cut to [`MAX_CELL_CHARS`].
    cut: u64,
    summary: Option<RunSummary>,
}

fn xlsx_error(name: &str, e: XlsxError) -> Error {
    Error::io(name, std::io::Error::other(e.to_string()))
}

/// A cell's width in character widths: CJK and other wide characters count two.
fn width(text: &str) -> f64 {
    text.lines()
        .map(|l| {
            l.chars()
                .map(|c| if (c as u32) >= 0x1100 { 2.0 } else { 1.0 })
                .sum::<f64>()
        })
        .fold(0.0, f64::max)
}

impl XlsxTable {
    /// A sheet named `labelled` with `header` (the input's columns, then the added ones).
    pub fn new(name: &str, header: &[String]) -> Result<Self> {
        let mut sheet = Worksheet::new();
        sheet
            .set_name("labelled")
            .map_err(|e| xlsx_error(name, e))?;
        let fill = |rgb: u32| Format::new().set_background_color(Color::RGB(rgb));
        let mut table = XlsxTable {
            sheet,
            next_row: 0,
            columns: header.len(),
            widths: vec![0.0; header.len()],
            wrap: Format::new().set_text_wrap(),
            header: Format::new().set_bold(),
            // Excel's own "good", "neutral" and "bad" fills.
            labels: [fill(0xC6EFCE), fill(0xFFEB9C), fill(0xFFC7CE)],
            number: Format::new().set_num_format("0.0000"),
            cut: 0,
            summary: None,
        };
        debug_assert_eq!(Label::ALL.map(|l| l.index()), [0, 1, 2]);
        let cells: Vec<Cell> = header.iter().map(|h| Cell::Text(h.clone())).collect();
        table.write_cells(name, &cells, Some(Style::Header))?;
        Ok(table)
    }

    /// Writes one labelled row; its cells follow the header's order.
    pub fn write(
        &mut self,
        name: &str,
        settings: &OutputSettings,
        source: &str,
        row: &Row,
        c: &Classification,
    ) -> Result<()> {
        let cells = row_cells(settings, source, row, c);
        debug_assert_eq!(cells.len(), self.columns);
        self.write_cells(name, &cells, None)
    }

    /// Keeps the run's summary for the second sheet.
    pub fn set_summary(&mut self, summary: RunSummary) {
        self.summary = Some(summary);
    }

    fn write_cells(&mut self, name: &str, cells: &[Cell], style: Option<Style>) -> Result<()> {
        if self.next_row >= MAX_ROWS {
            return Err(Error::io(
                name,
                std::io::Error::other(format!(
                    "more than {} rows do not fit in one sheet: write CSV instead (-o out.csv)",
                    MAX_ROWS - 1
                )),
            ));
        }
        let r = self.next_row;
        for (i, cell) in cells.iter().enumerate() {
            let col = i as u16;
            let written = match cell {
                Cell::Number(x) => {
                    self.widths[i] = self.widths[i].max(6.0);
                    self.sheet
                        .write_number_with_format(r, col, *x, &self.number)
                }
                Cell::Label(label) => {
                    self.widths[i] = self.widths[i].max(width(label.name()));
                    let format = &self.labels[label.index()];
                    self.sheet
                        .write_string_with_format(r, col, label.name(), format)
                }
                Cell::Text(text) => {
                    let text = if text.chars().count() > MAX_CELL_CHARS {
                        self.cut += 1;
                        let end = text
                            .char_indices()
                            .nth(MAX_CELL_CHARS)
                            .map_or(text.len(), |(b, _)| b);
                        &text[..end]
                    } else {
                        text.as_str()
                    };
                    self.widths[i] = self.widths[i].max(width(text));
                    match style {
                        Some(Style::Header) => {
                            self.sheet
                                .write_string_with_format(r, col, text, &self.header)
                        }
                        None if text.chars().count() > WRAP_CHARS || text.contains('\n') => self
                            .sheet
                            .write_string_with_format(r, col, text, &self.wrap),
                        None => self.sheet.write_string(r, col, text),
                    }
                }
            };
            written.map_err(|e| xlsx_error(name, e))?;
        }
        self.next_row += 1;
        Ok(())
    }

    /// Freezes the header, sets the filter and the column widths, adds the summary sheet and
    /// writes the workbook to `out`.
    ///
    /// # Errors
    /// A failed write.
    pub fn finish(mut self, name: &str, out: &mut dyn Write) -> Result<()> {
        let err = |e| xlsx_error(name, e);
        self.sheet.set_freeze_panes(1, 0).map_err(err)?;
        if self.columns > 0 {
            let last_row = self.next_row.saturating_sub(1);
            self.sheet
                .autofilter(0, 0, last_row, (self.columns - 1) as u16)
                .map_err(err)?;
        }
        for (i, w) in self.widths.iter().enumerate() {
            self.sheet
                .set_column_width(i as u16, (w + 2.0).clamp(8.0, MAX_WIDTH))
                .map_err(err)?;
        }
        let mut book = Workbook::new();
        book.push_worksheet(self.sheet);
        let summary = book.add_worksheet();
        summary.set_name("summary").map_err(err)?;
        let bold = Format::new().set_bold();
        summary
            .write_string_with_format(0, 0, "item", &bold)
            .map_err(err)?;
        summary
            .write_string_with_format(0, 1, "value", &bold)
            .map_err(err)?;
        let s = self.summary.unwrap_or_default();
        let mut lines: Vec<(String, Cell)> = vec![
            ("inputs".into(), Cell::Text(s.inputs.join("\n"))),
            ("rows in".into(), Cell::Number(s.rows_in as f64)),
            (
                "rows labelled".into(),
                Cell::Number(s.per_label.iter().sum::<u64>() as f64),
            ),
        ];
        for label in Label::ALL {
            lines.push((
                label.name().to_string(),
                Cell::Number(s.per_label[label.index()] as f64),
            ));
        }
        lines.push(("needs review".into(), Cell::Number(s.needs_review as f64)));
        lines.push(("rejected".into(), Cell::Number(s.rejected as f64)));
        if let Some(file) = s.rejects_file {
            lines.push(("rejects file".into(), Cell::Text(file)));
        }
        lines.push((
            "blank lines skipped".into(),
            Cell::Number(s.blank_lines as f64),
        ));
        lines.push((
            format!("cells cut to {MAX_CELL_CHARS} characters"),
            Cell::Number(self.cut as f64),
        ));
        lines.push(("model".into(), Cell::Text(s.model)));
        lines.push(("corpus".into(), Cell::Text(s.corpus)));
        for (i, (item, value)) in lines.iter().enumerate() {
            let r = i as u32 + 1;
            summary.write_string(r, 0, item).map_err(err)?;
            match value {
                Cell::Number(x) => summary.write_number(r, 1, *x).map(|_| ()),
                Cell::Text(t) => summary.write_string(r, 1, t).map(|_| ()),
                Cell::Label(l) => summary.write_string(r, 1, l.name()).map(|_| ()),
            }
            .map_err(err)?;
        }
        summary.set_column_width(0, 28).map_err(err)?;
        summary.set_column_width(1, 60).map_err(err)?;
        let bytes = book.save_to_buffer().map_err(err)?;
        out.write_all(&bytes).map_err(|e| Error::io(name, e))?;
        out.flush().map_err(|e| Error::io(name, e))
    }
}

#[derive(Clone, Copy)]
enum Style {
    Header,
}

/// A cell of the sheet.
enum Cell {
    Text(String),
    Number(f64),
    Label(Label),
}

/// An f32 as the f64 it prints as (`0.8`, not `0.800000011920929`).
fn f32_value(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(f64::from(x))
}

/// One labelled row as cells, in the order of [`super::added_columns`] after the input's.
fn row_cells(settings: &OutputSettings, source: &str, row: &Row, c: &Classification) -> Vec<Cell> {
    let v = &c.verdict;
    let mut cells = Vec::new();
    if settings.source_column {
        cells.push(Cell::Text(source.to_string()));
    }
    match &row.fields {
        Fields::Table(fields) => cells.extend(fields.iter().cloned().map(Cell::Text)),
        Fields::Json(_) => cells.push(Cell::Text(row.text().to_string())),
    }
    cells.push(Cell::Label(v.label));
    cells.push(Cell::Number(f32_value(v.confidence)));
    cells.extend(v.probabilities.iter().map(|p| Cell::Number(f32_value(*p))));
    cells.push(Cell::Text(v.needs_review.to_string()));
    cells.push(Cell::Text(compact_hits(&c.hits, c.hit_count)));
    cells.push(Cell::Text(crate::clues::compact(&c.contacts)));
    if settings.explain == Explain::On {
        cells.push(Cell::Text(c.reason.clone()));
    }
    cells
}
