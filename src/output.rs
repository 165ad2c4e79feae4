//! The output stage: labelled rows written as CSV, TSV or JSON lines, with every original
//! column kept and heihui's columns added; and the rejects file.
//!
//! Cells that start with `=`, `+`, `-` or `@`, their full-width forms `＝ ＋ － ＠`, any of
//! these after leading spaces or tabs, or a tab or carriage return, are prefixed with a single
//! quote in CSV and TSV, so spreadsheet programs show them instead of running them as
//! formulas (OWASP's CSV-injection guidance: spreadsheets skip leading blanks and read the
//! full-width signs as formula starts too).

use std::io::Write;

use crate::classify::Classification;
use crate::error::{Error, Result};
use crate::input::{Fields, Format, Reject, Row};
use crate::label::Label;

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

/// The columns heihui adds, after the input's own: label, confidence, one `p_<label>` per
/// label, needs_review, hits, contacts and, with [`Explain::On`], reason. A name the input already
/// uses (a gold `label` column, say) gets a `heihui_` prefix, so no column is shadowed.
pub fn added_columns(explain: Explain, existing: &[String]) -> Vec<String> {
    let mut cols = vec!["label".to_string(), "confidence".to_string()];
    cols.extend(Label::ALL.iter().map(|l| format!("p_{}", l.name())));
    cols.push("needs_review".into());
    cols.push("hits".into());
    cols.push("contacts".into());
    if explain == Explain::On {
        cols.push("reason".into());
    }
    cols.into_iter()
        .map(|c| {
            if existing.iter().any(|e| e.trim() == c) {
                format!("heihui_{c}")
            } else {
                c
            }
        })
        .collect()
}

/// Hits in one compact cell: `phrase(category,+weight); ...`.
pub fn compact_hits(c: &Classification) -> String {
    c.hits
        .iter()
        .map(|h| format!("{}({},{:+})", h.phrase, h.category, h.weight))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Characters of a rejected line kept in its JSON error line.
pub const RAW_CHARS: usize = 200;

/// Characters a spreadsheet reads as the start of a formula.
const FORMULA_STARTS: [char; 8] = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];

/// Whether a spreadsheet could run `cell` as a formula: it starts with a tab or carriage
/// return, or its first character after any spaces (ASCII or ideographic) and tabs is a
/// formula sign.
fn risky(cell: &str) -> bool {
    cell.starts_with(['\t', '\r'])
        || cell
            .trim_start_matches([' ', '\t', '\u{3000}'])
            .starts_with(FORMULA_STARTS)
}

/// A cell as written to CSV with the formula guard on.
pub fn guard_cell(cell: &str) -> String {
    guard(cell, FormulaGuard::On).into_owned()
}

fn guard(cell: &str, guard: FormulaGuard) -> std::borrow::Cow<'_, str> {
    if guard == FormulaGuard::On && risky(cell) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// Writes labelled rows.
pub struct LabelWriter {
    settings: OutputSettings,
    /// Names of the added columns (and JSON keys), in order.
    columns: Vec<String>,
    /// The input's columns: the JSON keys of a CSV or TSV row written as JSON lines.
    header: Vec<String>,
    table: Option<csv::Writer<Box<dyn Write + Send>>>,
    lines: Option<std::io::BufWriter<Box<dyn Write + Send>>>,
    name: String,
    /// Writes each row's MinHash band keys (`lsh`) and signature (`minhash`) in JSON lines
    /// when set.
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
        if settings.excel_bom && settings.format != Format::Jsonl {
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
            name: name.to_string(),
            lsh: None,
            settings,
        };
        match writer.settings.format {
            Format::Jsonl => writer.lines = Some(std::io::BufWriter::with_capacity(1 << 16, out)),
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

    /// Also writes each row's MinHash band keys, `"lsh": ["b0:...", ...]`, and its signature,
    /// `"minhash": [u32, ...]`, in JSON lines (from the classification's signature; both
    /// empty for texts too short to compare).
    pub fn with_lsh(mut self, hasher: crate::mining::minhash::MinHasher) -> Self {
        self.lsh = Some(hasher);
        self
    }

    /// Writes one labelled row.
    ///
    /// # Errors
    /// A failed write.
    pub fn write(&mut self, source: &str, row: &Row, c: &Classification) -> Result<()> {
        let v = &c.verdict;
        if let Some(lines) = &mut self.lines {
            let mut object = serde_json::Map::new();
            if self.settings.source_column {
                object.insert("source".into(), source.into());
            }
            match &row.fields {
                Fields::Json(map) => object.extend(map.clone()),
                // A table row keeps every column, named by the header.
                Fields::Table(fields) => object.extend(
                    self.header
                        .iter()
                        .zip(fields)
                        .map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str()))),
                ),
            }
            let mut values: Vec<serde_json::Value> =
                vec![v.label.name().into(), round(v.confidence).into()];
            values.extend(v.probabilities.iter().map(|&p| round(p).into()));
            values.push(v.needs_review.into());
            values.push(serde_json::to_value(&c.hits).expect("hits serialise"));
            values.push(serde_json::to_value(&c.contacts).expect("contacts serialise"));
            if self.settings.explain == Explain::On {
                values.push(c.reason.clone().into());
            }
            for (key, value) in self.columns.iter().zip(values) {
                let key = if object.contains_key(key) {
                    format!("heihui_{key}")
                } else {
                    key.clone()
                };
                object.insert(key, value);
            }
            if let Some(hasher) = &self.lsh {
                let keys = c
                    .signature
                    .as_ref()
                    .map(|sig| hasher.band_strings(sig))
                    .unwrap_or_default();
                object.insert("lsh".into(), keys.into());
                // The signature itself, so a pair found on a band key can be verified by the
                // same estimate `campaigns` uses (the share of equal positions).
                let signature = c.signature.clone().unwrap_or_default();
                object.insert("minhash".into(), signature.into());
            }
            serde_json::to_writer(&mut *lines, &object)
                .map_err(|e| Error::io(&self.name, e.into()))?;
            lines
                .write_all(b"\n")
                .map_err(|e| Error::io(&self.name, e))?;
            return Ok(());
        }
        let guard_mode = self.settings.formula_guard;
        let mut record: Vec<String> = Vec::new();
        if self.settings.source_column {
            record.push(guard(source, guard_mode).into_owned());
        }
        match &row.fields {
            Fields::Table(fields) => {
                record.extend(fields.iter().map(|f| guard(f, guard_mode).into_owned()))
            }
            Fields::Json(_) => record.push(guard(&row.text, guard_mode).into_owned()),
        }
        record.push(v.label.name().into());
        record.push(format!("{:.4}", v.confidence));
        record.extend(v.probabilities.iter().map(|p| format!("{p:.4}")));
        record.push(v.needs_review.to_string());
        record.push(guard(&compact_hits(c), guard_mode).into_owned());
        record.push(guard(&crate::clues::compact(&c.contacts), guard_mode).into_owned());
        if self.settings.explain == Explain::On {
            record.push(guard(&c.reason, guard_mode).into_owned());
        }
        self.table
            .as_mut()
            .expect("a table writer for CSV and TSV")
            .write_record(&record)
            .map_err(|e| Error::io(&self.name, e.into()))
    }

    /// For JSON lines: the line standing for a rejected input line, so that output keeps
    /// exactly one line per input line. Nothing for CSV and TSV (rejects go to their file).
    ///
    /// # Errors
    /// A failed write.
    pub fn write_reject(&mut self, reject: &Reject) -> Result<()> {
        if let Some(lines) = &mut self.lines {
            // `line` counts within this input (a partition, under a distributed engine), so
            // the line's own id and a cut of the raw line say which record it was.
            let id = serde_json::from_str::<serde_json::Value>(&reject.raw)
                .ok()
                .and_then(|v| v.get("id").cloned());
            let mut object = serde_json::json!({
                "error": reject.reason,
                "line": reject.line,
                "label": null,
            });
            if let Some(id) = id {
                object["id"] = id;
            }
            object["raw"] = reject
                .raw
                .chars()
                .take(RAW_CHARS)
                .collect::<String>()
                .into();
            serde_json::to_writer(&mut *lines, &object)
                .map_err(|e| Error::io(&self.name, e.into()))?;
            lines
                .write_all(b"\n")
                .map_err(|e| Error::io(&self.name, e))?;
        }
        Ok(())
    }

    /// Flushes everything written.
    ///
    /// # Errors
    /// A failed write.
    pub fn finish(mut self) -> Result<()> {
        if let Some(table) = &mut self.table {
            table.flush().map_err(|e| Error::io(&self.name, e))?;
        }
        if let Some(lines) = &mut self.lines {
            lines.flush().map_err(|e| Error::io(&self.name, e))?;
        }
        Ok(())
    }
}

fn round(p: f32) -> f64 {
    (p as f64 * 10_000.0).round() / 10_000.0
}

/// Writes rejected records: `source,line,reason,raw`, into a temporary file that replaces
/// the rejects file at [`RejectWriter::finish`].
pub struct RejectWriter {
    writer: csv::Writer<crate::fs::AtomicFile>,
    path: std::path::PathBuf,
    count: u64,
}

impl RejectWriter {
    /// Starts the rejects file.
    ///
    /// # Errors
    /// An unwritable path.
    pub fn create(path: &std::path::Path) -> Result<Self> {
        let file = crate::fs::AtomicFile::create(path)?;
        let mut writer = csv::Writer::from_writer(file);
        writer
            .write_record(["source", "line", "reason", "raw"])
            .map_err(|e| Error::io(path, e.into()))?;
        Ok(RejectWriter {
            writer,
            path: path.to_path_buf(),
            count: 0,
        })
    }

    /// Records one rejected record.
    ///
    /// # Errors
    /// A failed write.
    pub fn write(&mut self, source: &str, reject: &Reject) -> Result<()> {
        self.count += 1;
        self.writer
            .write_record([
                source,
                &reject.line.to_string(),
                &reject.reason,
                &guard(&reject.raw, FormulaGuard::On),
            ])
            .map_err(|e| Error::io(&self.path, e.into()))
    }

    /// Rejects written.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Flushes the file and puts it in place of the rejects file.
    ///
    /// # Errors
    /// A failed write or rename.
    pub fn finish(self) -> Result<()> {
        self.writer
            .into_inner()
            .map_err(|e| Error::io(&self.path, e.into_error()))?
            .commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_guard_prefixes_risky_cells() {
        for (cell, want) in [
            ("=SUM(A1)", "'=SUM(A1)"),
            ("+86 138", "'+86 138"),
            ("-1", "'-1"),
            ("@cmd", "'@cmd"),
            ("＝SUM(A1)", "'＝SUM(A1)"),
            ("＋86 138", "'＋86 138"),
            ("－1", "'－1"),
            ("＠cmd", "'＠cmd"),
            ("  =1+1", "'  =1+1"),
            ("\t=1+1", "'\t=1+1"),
            (" \t+1", "' \t+1"),
            ("\u{3000}@x", "'\u{3000}@x"),
            ("  停息挂账", "  停息挂账"),
            ("a＝b", "a＝b"),
            ("停息挂账", "停息挂账"),
            ("a=b", "a=b"),
        ] {
            assert_eq!(guard(cell, FormulaGuard::On), want);
            assert_eq!(guard(cell, FormulaGuard::Off), cell);
        }
    }
}
