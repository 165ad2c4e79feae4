//! The batch of writing each labelled row came from (`sources.csv`: `id,source`), and the
//! training weights that keep a large batch from outweighing the rest.
//!
//! A model fitted on rows from a few large batches learns those writers' habits along with
//! the labels. Weighting each row by `1 / size^power` of its batch (then scaling the weights to
//! a mean of 1, so the regularisation means what it did) gives small batches a louder voice:
//! power 0 is no weighting, 1 gives every batch the same total weight.

use std::collections::HashMap;
use std::path::Path;

use super::{csv_error, is_blank, required_column, LineCounter};
use crate::error::{DataError, Error, Result};

/// Each row's batch, by row id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sources {
    by_id: HashMap<String, String>,
}

/// Per-row training weights and what they were made from.
#[derive(Debug, Clone, PartialEq)]
pub struct Balance {
    /// One weight per row, in the rows' order, with a mean of 1.
    pub weights: Vec<f64>,
    /// Batches among the rows (rows missing from the file count as one more).
    pub batches: usize,
    /// Rows whose id the file does not list.
    pub unlisted: usize,
}

impl Sources {
    /// Reads a CSV file with `id` and `source` columns.
    ///
    /// # Errors
    /// An unreadable file, a missing column, an empty source, or an id listed twice with two
    /// sources, naming the file and row.
    pub fn read(path: &Path) -> Result<Self> {
        // Read whole, so that rows after an empty line get their real line (`LineCounter`).
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let mut lines = LineCounter::default();
        // Flexible, so that a line of spaces is a record to skip; a short row's missing
        // source is then an empty one.
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(bytes.as_slice());
        let at = |row: u64, column: &str, message: String| -> Error {
            DataError::Row {
                path: path.to_path_buf(),
                row,
                column: Some(column.to_string()),
                message,
            }
            .into()
        };
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(path, e))?
            .iter()
            .map(str::to_string)
            .collect();
        let id = required_column(path, &header, "id")?;
        let source = required_column(path, &header, "source")?;
        let mut by_id = HashMap::new();
        for record in reader.records() {
            let record = record.map_err(|e| csv_error(path, e))?;
            if is_blank(record.as_byte_record()) {
                continue;
            }
            let row = record
                .position()
                .map_or(0, |p| lines.line_at(&bytes, p.byte() as usize));
            let field = |col: usize| record.get(col).unwrap_or("").trim();
            if field(source).is_empty() {
                return Err(at(row, "source", "empty source".into()));
            }
            match by_id.insert(field(id).to_string(), field(source).to_string()) {
                Some(before) if before != field(source) => {
                    return Err(at(
                        row,
                        "id",
                        format!(
                            "id {} is listed again with another source ({before}, then {})",
                            field(id),
                            field(source)
                        ),
                    ))
                }
                _ => {}
            }
        }
        Ok(Sources { by_id })
    }

    /// The batch of the row with this id, if the file lists it.
    pub fn source(&self, id: &str) -> Option<&str> {
        self.by_id.get(id).map(String::as_str)
    }

    /// Weights for rows with these ids: `1 / size^power` of each row's batch, scaled to a mean
    /// of 1. Rows the file does not list form one batch of their own.
    pub fn balance<'a>(&self, ids: impl IntoIterator<Item = &'a str>, power: f64) -> Balance {
        let batch: Vec<Option<&str>> = ids.into_iter().map(|id| self.source(id)).collect();
        let mut sizes: HashMap<Option<&str>, usize> = HashMap::new();
        for b in &batch {
            *sizes.entry(*b).or_insert(0) += 1;
        }
        let raw: Vec<f64> = batch
            .iter()
            .map(|b| (sizes[b] as f64).powf(-power))
            .collect();
        let mean = raw.iter().sum::<f64>() / raw.len().max(1) as f64;
        Balance {
            weights: raw.iter().map(|w| w / mean).collect(),
            batches: sizes.len(),
            unlisted: sizes.get(&None).copied().unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(text: &str) -> Result<Sources> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sources.csv");
        std::fs::write(&path, text).unwrap();
        Sources::read(&path)
    }

    #[test]
    fn a_batch_weighs_by_its_size_and_the_mean_is_one() {
        let s = sources("id,source\na1,a\na2,a\na3,a\na4,a\nb1,b\n").unwrap();
        let ids = ["a1", "a2", "a3", "a4", "b1", "x"];
        let even = s.balance(ids, 1.0);
        // Sizes 4, 1 and 1 (the unlisted row): raw weights 1/4 four times, then 1 and 1.
        let mean = (4.0 * 0.25 + 2.0) / 6.0;
        for (w, raw) in even.weights.iter().zip([0.25, 0.25, 0.25, 0.25, 1.0, 1.0]) {
            assert!((w - raw / mean).abs() < 1e-12, "{:?}", even.weights);
        }
        assert_eq!((even.batches, even.unlisted), (3, 1));
        // Power 1: each batch's weights add up to the same total.
        let a: f64 = even.weights[..4].iter().sum();
        assert!((a - even.weights[4]).abs() < 1e-12);
        let none = s.balance(ids, 0.0);
        assert!(none.weights.iter().all(|&w| (w - 1.0).abs() < 1e-12));
        let half = s.balance(ids, 0.5);
        assert!((half.weights[0] * 2.0 - half.weights[4]).abs() < 1e-12);
        let total: f64 = half.weights.iter().sum();
        assert!((total - 6.0).abs() < 1e-9);
    }

    #[test]
    fn bad_files_name_the_row_and_column() {
        let err = sources("id,batch\na,b\n").unwrap_err().to_string();
        assert!(
            err.contains("row 1, column source: missing column"),
            "{err}"
        );
        let err = sources("id,source\na,x\nb,\n").unwrap_err().to_string();
        assert!(err.contains("row 3, column source: empty source"), "{err}");
        let err = sources("id,source\na,x\na,y\n").unwrap_err().to_string();
        assert!(
            err.contains("row 3, column id: id a is listed again"),
            "{err}"
        );
        // Blank lines are skipped, and rows after them keep their lines.
        let err = sources("id,source\na,x\n\n  \n\nb,\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("row 6, column source: empty source"), "{err}");
        // The same pair twice is harmless.
        let s = sources("\u{feff}source,id\nx,a\nx,a\n").unwrap();
        assert_eq!(s.source("a"), Some("x"));
        assert_eq!(s.source("b"), None);
    }
}
