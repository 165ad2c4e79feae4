//! The output stage: labelled rows written as CSV, TSV, JSON lines or an .xlsx workbook, with
//! every original column kept and heihui's columns added; and the rejects file.
//!
//! Cells that start with `=`, `+`, `-` or `@`, their full-width forms `＝ ＋ － ＠`, any of
//! these after leading spaces or tabs, or a tab or carriage return, are prefixed with a single
//! quote in CSV and TSV, so spreadsheet programs show them instead of running them as
//! formulas (OWASP's CSV-injection guidance: spreadsheets skip leading blanks and read the
//! full-width signs as formula starts too).

use std::io::Write;

use crate::classifier::Classification;
use crate::clues::Contact;
use crate::decide::Verdict;
use crate::error::{Error, Result};
use crate::input::{Format, Reject, Row};
use crate::labels::Label;
use crate::matcher::Hit;

pub mod json;
mod jsonl;
mod rejects;
mod table;
mod xlsx;

pub use rejects::RejectWriter;
pub use table::guard_cell;
pub use xlsx::{RunSummary, MAX_CELL_CHARS};

/// Whether spreadsheet formulas are neutralised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormulaGuard {
    /// Prefix risky cells with `'` (the default for CSV and TSV).
    On,
    /// Write cells as they are.
    Off,
}

/// Whether a `reason` column is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Explain {
    /// Add `reason`.
    On,
    /// Leave it out.
    Off,
}

/// How labelled output is written.
#[derive(Debug, Clone)]
pub struct OutputSettings {
    /// CSV, TSV or JSON lines.
    pub format: Format,
    /// Start with a UTF-8 byte-order mark, so Excel reads Chinese text right (ignored for
    /// JSON lines, where a BOM is not valid JSON).
    pub excel_bom: bool,
    /// Neutralise formulas.
    pub formula_guard: FormulaGuard,
    /// Add a `reason` column.
    pub explain: Explain,
    /// Add a first `source` column naming the input file (several inputs in one output).
    pub source_column: bool,
}

/// One labelled row as the added columns read it: the verdict, the hits, the contacts and
/// the reason. Labelling, `classify --json` and `eval --errors` all write through it.
#[derive(Debug, Clone, Copy)]
pub struct Decided<'a> {
    /// Label, confidence and probabilities.
    pub verdict: &'a Verdict,
    /// The phrase hits listed (the first of them, where there were many).
    pub hits: &'a [Hit],
    /// How many hits there were, listed or not.
    pub hit_count: usize,
    /// The contacts found.
    pub contacts: &'a [Contact],
    /// Why, in words.
    pub reason: &'a str,
}

impl<'a> From<&'a Classification> for Decided<'a> {
    fn from(c: &'a Classification) -> Self {
        Decided {
            verdict: &c.verdict,
            hits: &c.hits,
            hit_count: c.hit_count,
            contacts: &c.contacts,
            reason: &c.reason,
        }
    }
}

/// A column heihui adds after the input's own. [`columns`] lists them in order for tables,
/// [`fields`] for JSON; each knows its name, its CSV/TSV cell and its JSON value, so a new
/// column is one edit here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The combined decision's label.
    Label,
    /// Its confidence.
    Confidence,
    /// One label's probability, `p_<label>` (tables: CSV, TSV, workbooks).
    Probability(Label),
    /// Every label's probability, label-keyed (JSON, in place of the `p_<label>` columns).
    Probabilities,
    /// Whether the row needs a person's look.
    NeedsReview,
    /// The phrase hits (the first ones, where there are more than are listed: tables say
    /// how many more in the cell).
    Hits,
    /// How many hits there were, listed or not (JSON, beside `hits`).
    HitCount,
    /// The contacts.
    Contacts,
    /// Why, in words (with [`Explain::On`]).
    Reason,
}

/// The added table columns, in order: label, confidence, one `p_<label>` per label,
/// needs_review, hits, contacts and, with [`Explain::On`], reason.
pub fn columns(explain: Explain) -> Vec<Column> {
    let mut cols = vec![Column::Label, Column::Confidence];
    cols.extend(Label::ALL.iter().map(|&l| Column::Probability(l)));
    cols.extend([Column::NeedsReview, Column::Hits, Column::Contacts]);
    if explain == Explain::On {
        cols.push(Column::Reason);
    }
    cols
}

/// The added JSON fields, in order: as [`columns`], with one label-keyed `probabilities`
/// object in place of the flat `p_<label>` columns and `hit_count` after `hits`.
pub fn fields(explain: Explain) -> Vec<Column> {
    let mut cols = vec![Column::Label, Column::Confidence, Column::Probabilities];
    cols.extend([
        Column::NeedsReview,
        Column::Hits,
        Column::HitCount,
        Column::Contacts,
    ]);
    if explain == Explain::On {
        cols.push(Column::Reason);
    }
    cols
}

impl Column {
    /// The column's name (its JSON key).
    pub fn name(self) -> String {
        match self {
            Column::Label => "label".into(),
            Column::Confidence => "confidence".into(),
            Column::Probability(l) => format!("p_{}", l.name()),
            Column::Probabilities => "probabilities".into(),
            Column::NeedsReview => "needs_review".into(),
            Column::Hits => "hits".into(),
            Column::HitCount => "hit_count".into(),
            Column::Contacts => "contacts".into(),
            Column::Reason => "reason".into(),
        }
    }

    /// The CSV/TSV cell, before the formula guard: numbers to four places, hits and
    /// contacts compact.
    pub fn cell(self, d: &Decided<'_>) -> String {
        let v = d.verdict;
        match self {
            Column::Label => v.label.name().into(),
            Column::Confidence => format!("{:.4}", v.confidence),
            Column::Probability(l) => format!("{:.4}", v.probabilities[l.index()]),
            Column::Probabilities => Label::ALL
                .iter()
                .map(|l| format!("{}:{:.4}", l.name(), v.probabilities[l.index()]))
                .collect::<Vec<_>>()
                .join("; "),
            Column::NeedsReview => v.needs_review.to_string(),
            Column::Hits => compact_hits(d.hits, d.hit_count),
            Column::HitCount => d.hit_count.to_string(),
            Column::Contacts => crate::clues::compact(d.contacts),
            Column::Reason => d.reason.to_string(),
        }
    }

    /// The JSON value: numbers as the f32 values they are, probabilities label-keyed, hits
    /// and contacts as objects with their spans.
    pub fn value(self, d: &Decided<'_>) -> serde_json::Value {
        let v = d.verdict;
        match self {
            Column::Label => v.label.name().into(),
            Column::Confidence => json::f32_value(v.confidence),
            Column::Probability(l) => json::f32_value(v.probabilities[l.index()]),
            Column::Probabilities => json::by_label(&v.probabilities),
            Column::NeedsReview => v.needs_review.into(),
            Column::Hits => json::to_value(d.hits),
            Column::HitCount => d.hit_count.into(),
            Column::Contacts => json::to_value(d.contacts),
            Column::Reason => d.reason.into(),
        }
    }
}

/// The added columns' names after the input's own. A name the input already uses (a gold
/// `label` column, say) gets a `heihui_` prefix, so no column is shadowed.
pub fn added_columns(explain: Explain, existing: &[String]) -> Vec<String> {
    columns(explain)
        .into_iter()
        .map(|c| {
            let c = c.name();
            if existing.iter().any(|e| e.trim() == c) {
                format!("heihui_{c}")
            } else {
                c
            }
        })
        .collect()
}

/// Hits in one compact cell: `phrase(category,+weight); ...`, and where `hit_count` says
/// there were more than are listed, `; ... and N more (T hits in all)` at the end.
pub fn compact_hits(hits: &[Hit], hit_count: usize) -> String {
    let mut cell = hits
        .iter()
        .map(|h| format!("{}({},{:+})", h.phrase, h.category, h.weight))
        .collect::<Vec<_>>()
        .join("; ");
    if hit_count > hits.len() {
        if !cell.is_empty() {
            cell.push_str("; ");
        }
        cell.push_str(&format!(
            "... and {} more ({hit_count} hits in all)",
            hit_count - hits.len()
        ));
    }
    cell
}

/// Characters of a rejected line kept in its JSON error line.
pub const RAW_CHARS: usize = 200;

/// Writes labelled rows.
pub struct LabelWriter {
    settings: OutputSettings,
    /// Names of the added table columns, in order.
    columns: Vec<String>,
    /// The input's columns: the JSON keys of a CSV or TSV row written as JSON lines.
    header: Vec<String>,
    table: Option<csv::Writer<Box<dyn Write + Send>>>,
    lines: Option<std::io::BufWriter<Box<dyn Write + Send>>>,
    /// A workbook being filled, and where it goes at the end.
    workbook: Option<(xlsx::XlsxTable, Box<dyn Write + Send>)>,
    name: String,
    /// Writes each row's MinHash band keys (`lsh`) in JSON lines when set.
    lsh: Option<crate::mining::minhash::MinHasher>,
}

impl std::fmt::Debug for LabelWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabelWriter")
            .field("name", &self.name)
            .finish()
    }
}

impl LabelWriter {
    /// A writer to `out`; `name` is used in error messages. For CSV and TSV, `header` is the
    /// input's columns; the added columns follow.
    ///
    /// # Errors
    /// A failed write.
    pub fn new(
        mut out: Box<dyn Write + Send>,
        name: &str,
        settings: OutputSettings,
        header: &[String],
    ) -> Result<Self> {
        let io = |e: std::io::Error| Error::io(name, e);
        if settings.excel_bom && matches!(settings.format, Format::Csv | Format::Tsv) {
            out.write_all(b"\xEF\xBB\xBF").map_err(io)?;
        }
        let mut existing = header.to_vec();
        if settings.source_column {
            existing.push("source".into());
        }
        let mut writer = LabelWriter {
            columns: added_columns(settings.explain, &existing),
            header: header.to_vec(),
            table: None,
            lines: None,
            workbook: None,
            name: name.to_string(),
            lsh: None,
            settings,
        };
        match writer.settings.format {
            Format::Jsonl => writer.lines = Some(std::io::BufWriter::with_capacity(1 << 16, out)),
            Format::Xlsx => {
                let mut record: Vec<String> = Vec::new();
                if writer.settings.source_column {
                    record.push("source".into());
                }
                record.extend(header.iter().cloned());
                record.extend(writer.columns.iter().cloned());
                writer.workbook = Some((xlsx::XlsxTable::new(name, &record)?, out));
            }
            Format::Csv | Format::Tsv => {
                let delimiter = if writer.settings.format == Format::Tsv {
                    b'\t'
                } else {
                    b','
                };
                let mut table = csv::WriterBuilder::new()
                    .delimiter(delimiter)
                    .flexible(true)
                    .buffer_capacity(1 << 16)
                    .from_writer(out);
                let mut record: Vec<String> = Vec::new();
                if writer.settings.source_column {
                    record.push("source".into());
                }
                record.extend(header.iter().cloned());
                record.extend(writer.columns.iter().cloned());
                table
                    .write_record(&record)
                    .map_err(|e| Error::io(name, e.into()))?;
                writer.table = Some(table);
            }
        }
        Ok(writer)
    }

    /// Also writes each row's MinHash band keys, `"lsh": ["b0:...", ...]`, in JSON lines
    /// (from the classification's signature; empty for texts too short to compare).
    pub fn with_lsh(mut self, hasher: crate::mining::minhash::MinHasher) -> Self {
        self.lsh = Some(hasher);
        self
    }

    /// Writes one labelled row.
    ///
    /// # Errors
    /// A failed write.
    pub fn write(&mut self, source: &str, row: &Row, c: &Classification) -> Result<()> {
        if let Some(lines) = &mut self.lines {
            let object = jsonl::row_object(
                &self.settings,
                &self.header,
                self.lsh.as_ref(),
                source,
                row,
                c,
            );
            serde_json::to_writer(&mut *lines, &object)
                .map_err(|e| Error::io(&self.name, e.into()))?;
            lines
                .write_all(b"\n")
                .map_err(|e| Error::io(&self.name, e))?;
            return Ok(());
        }
        if let Some((book, _)) = &mut self.workbook {
            return book.write(&self.name, &self.settings, source, row, c);
        }
        let record = table::row_record(&self.settings, source, row, c);
        self.table
            .as_mut()
            .expect("a table writer for CSV and TSV")
            .write_record(record.iter().map(|cell| cell.as_bytes()))
            .map_err(|e| Error::io(&self.name, e.into()))
    }

    /// For JSON lines: the line standing for a rejected input line, so that output keeps
    /// exactly one line per input line that is not blank. Nothing for CSV and TSV (rejects go to their file).
    ///
    /// # Errors
    /// A failed write.
    pub fn write_reject(&mut self, reject: &Reject) -> Result<()> {
        if let Some(lines) = &mut self.lines {
            let object = jsonl::reject_object(reject);
            serde_json::to_writer(&mut *lines, &object)
                .map_err(|e| Error::io(&self.name, e.into()))?;
            lines
                .write_all(b"\n")
                .map_err(|e| Error::io(&self.name, e))?;
        }
        Ok(())
    }

    /// The run's summary, for a workbook's `summary` sheet (other formats have none).
    pub fn set_summary(&mut self, summary: RunSummary) {
        if let Some((book, _)) = &mut self.workbook {
            book.set_summary(summary);
        }
    }

    /// Flushes everything written; a workbook is written out whole now.
    ///
    /// # Errors
    /// A failed write.
    pub fn finish(mut self) -> Result<()> {
        if let Some((book, mut out)) = self.workbook.take() {
            book.finish(&self.name, &mut out)?;
        }
        if let Some(table) = &mut self.table {
            table.flush().map_err(|e| Error::io(&self.name, e))?;
        }
        if let Some(lines) = &mut self.lines {
            lines.flush().map_err(|e| Error::io(&self.name, e))?;
        }
        Ok(())
    }
}
