//! What both targets check: whatever the bytes, the reader opens them or refuses them with
//! an error, never panics, and gives records in file order, each with the header's number
//! of fields.

use std::io::Write;

use heihui::input::{Fields, Format, InputReader, InputSpec, Item};

/// Reads `bytes` as `format` with fields limited to `max_field_bytes`.
pub fn read(bytes: &[u8], format: Format, max_field_bytes: usize) {
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    file.write_all(bytes).expect("written");
    let Ok(mut input) = InputReader::open(&InputSpec {
        path: Some(file.path().to_path_buf()),
        format: Some(format),
        text_column: None,
        max_field_bytes,
        sheet: None,
    }) else {
        return;
    };
    let columns = input.header().len();
    let mut last = 0;
    while let Some(item) = input.next_item().expect("no I/O error on a temporary file") {
        let line = match &item {
            Item::Row(row) => {
                if let Fields::Table(fields) = &row.fields {
                    assert_eq!(fields.len(), columns, "a row with the header's fields");
                }
                let _ = row.text();
                row.line
            }
            Item::Reject(reject) => {
                assert!(!reject.reason.is_empty());
                reject.line
            }
        };
        assert!(line > last, "line {line} after line {last}");
        last = line;
    }
}
