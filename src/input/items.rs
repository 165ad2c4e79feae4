//! From a record's bytes to a row or a reject: fields split, counted against the header,
//! checked for a swallowed record or a file cut inside quotes, and decoded; a JSON line
//! parsed as an object holding the text field.

use std::sync::atomic::Ordering;

use super::records::{parse_record, swallowed_a_record, Ending, RawRecord};
use super::{show_size, Fields, Format, InputReader, Item, Reject, Row, Text};
use crate::error::{Error, Result};

impl InputReader {
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
