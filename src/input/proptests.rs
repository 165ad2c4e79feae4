//! Property tests: random tables written in every way exports write them (delimiters,
//! quoting, line ends, encodings, long fields), random JSON lines and random bytes, read back.
//! Whatever the input, the reader never panics, keeps order, and gives every record once:
//! read with exactly the cells that were written, or rejected.

use std::io::Write;

use encoding_rs::GB18030;
use proptest::prelude::*;

use super::*;

const HEADER: [&str; 3] = ["编号", "text", "note"];

/// Text as exports hold it: CJK, ASCII, delimiters, quotes, every line end, long runs.
fn cell() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "停", "息", "挂账", "，", "。", "a", "Z", "7", " ", ",", ";", "|", "\t", "\"", "\r", "\n",
        "\r\n", "é", "😀", "",
    ]);
    prop_oneof![
        8 => prop::collection::vec(piece.clone(), 0..12).prop_map(|p| p.concat()),
        // Past the reader's 64 KiB buffer now and then.
        1 => (prop::collection::vec(piece, 1..4), 1usize..30_000)
            .prop_map(|(p, n)| p.concat().repeat(n)),
    ]
}

#[derive(Debug, Clone, Copy)]
enum Written {
    Utf8,
    Utf8Bom,
    Gb18030,
    Utf16Le,
    Utf16Be,
    Utf16LeNoBom,
}

fn encode(text: &str, how: Written) -> Vec<u8> {
    let utf16 = |bom: bool, le: bool| {
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice(if le { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
        }
        for u in text.encode_utf16() {
            out.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        out
    };
    match how {
        Written::Utf8 => text.as_bytes().to_vec(),
        Written::Utf8Bom => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
        Written::Gb18030 => GB18030.encode(text).0.into_owned(),
        Written::Utf16Le => utf16(true, true),
        Written::Utf16Be => utf16(true, false),
        Written::Utf16LeNoBom => utf16(false, true),
    }
}

fn written() -> impl Strategy<Value = Written> {
    prop::sample::select(vec![
        Written::Utf8,
        Written::Utf8Bom,
        Written::Gb18030,
        Written::Utf16Le,
        Written::Utf16Be,
        Written::Utf16LeNoBom,
    ])
}

fn read(bytes: &[u8], format: Option<Format>, max_field_bytes: usize) -> Vec<Item> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    let mut input = InputReader::open(&InputSpec {
        path: Some(file.path().to_path_buf()),
        format,
        text_column: None,
        max_field_bytes,
        sheet: None,
    })
    .unwrap();
    let mut items = Vec::new();
    while let Some(item) = input.next_item().unwrap() {
        items.push(item);
    }
    items
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn tables_read_back_cell_for_cell(
        cells in prop::collection::vec((cell(), cell()), 0..8),
        delimiter in prop::sample::select(vec![b',', b';', b'|', b'\t']),
        line_end in prop::sample::select(vec!["\n", "\r\n", "\r"]),
        always_quote in any::<bool>(),
        how in written(),
        limit in prop_oneof![Just(DEFAULT_MAX_FIELD_BYTES), 1000usize..100_000],
    ) {
        let mut w = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(match line_end {
                "\r\n" => csv::Terminator::CRLF,
                other => csv::Terminator::Any(other.as_bytes()[0]),
            })
            .quote_style(if always_quote { csv::QuoteStyle::Always } else { csv::QuoteStyle::Necessary })
            .from_writer(Vec::new());
        w.write_record(HEADER).unwrap();
        let rows: Vec<[String; 3]> = cells
            .into_iter()
            .enumerate()
            .map(|(i, (text, note))| [format!("编号{i}"), text, note])
            .collect();
        for row in &rows {
            w.write_record(row).unwrap();
        }
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let format = (delimiter == b'\t').then_some(Format::Tsv);
        let items = read(&encode(&text, how), format, limit);
        prop_assert_eq!(items.len(), rows.len(), "one item per row: {:?}", items);
        let mut last_line = 1;
        for (item, row) in items.iter().zip(&rows) {
            // Written bytes of a cell: at most twice its UTF-8 (quotes doubled) plus quotes;
            // GB18030 can shrink CJK to two thirds.
            let longest = row.iter().map(String::len).max().unwrap_or(0);
            match item {
                Item::Row(r) => {
                    prop_assert!(r.line > last_line);
                    last_line = r.line;
                    prop_assert_eq!(&r.fields, &Fields::Table(row.to_vec()));
                    prop_assert_eq!(r.text(), row[1].as_str());
                    prop_assert!(longest * 2 / 3 <= limit, "a field over the limit is read");
                }
                Item::Reject(r) => {
                    prop_assert!(r.line > last_line);
                    last_line = r.line;
                    prop_assert!(longest * 2 + 2 > limit, "rejected: {} {:?}", r.reason, row);
                    prop_assert!(r.reason.contains("longer than the limit"), "{}", r.reason);
                }
            }
        }
    }

    #[test]
    fn json_lines_read_back_one_item_per_line(
        lines in prop::collection::vec(
            prop_oneof![
                3 => cell().prop_map(Some),
                1 => Just(None),
            ],
            0..12,
        ),
        crlf in any::<bool>(),
    ) {
        let mut bytes = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            match line {
                Some(text) => {
                    let value = serde_json::json!({ "id": i, "text": text });
                    bytes.extend_from_slice(value.to_string().as_bytes());
                }
                None => bytes.extend_from_slice(b"{\"id\": not json"),
            }
            bytes.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        }
        let items = read(&bytes, Some(Format::Jsonl), DEFAULT_MAX_FIELD_BYTES);
        prop_assert_eq!(items.len(), lines.len());
        for (i, (item, line)) in items.iter().zip(&lines).enumerate() {
            match (item, line) {
                (Item::Row(r), Some(text)) => {
                    prop_assert_eq!(r.line, i as u64 + 1);
                    prop_assert_eq!(r.text(), text.as_str());
                }
                (Item::Reject(r), None) => prop_assert_eq!(r.line, i as u64 + 1),
                (item, line) => prop_assert!(false, "{:?} for {:?}", item, line),
            }
        }
    }

    #[test]
    fn random_bytes_never_panic_and_keep_order(
        bytes in prop::collection::vec(
            prop_oneof![
                4 => prop::sample::select(b"id,text\r\n\";|\t a1".to_vec()),
                1 => any::<u8>(),
            ],
            0..400,
        ),
        format in prop::sample::select(vec![Format::Csv, Format::Tsv, Format::Jsonl]),
        limit in 8usize..200,
    ) {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"id,text\n").unwrap();
        file.write_all(&bytes).unwrap();
        let Ok(mut input) = InputReader::open(&InputSpec {
            path: Some(file.path().to_path_buf()),
            format: Some(format),
            text_column: None,
            max_field_bytes: limit,
            sheet: None,
        }) else {
            return Ok(());
        };
        let mut last = 0;
        while let Some(item) = input.next_item().unwrap() {
            let line = match item {
                Item::Row(r) => r.line,
                Item::Reject(r) => r.line,
            };
            prop_assert!(line > last, "line {} after {}", line, last);
            last = line;
        }
    }
}
