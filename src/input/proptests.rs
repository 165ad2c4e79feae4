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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// The encoding the reader found, every item it read, and the blank lines it skipped.
fn read(
    bytes: &[u8],
    format: Option<Format>,
    max_field_bytes: usize,
) -> (TextEncoding, Vec<Item>, u64) {
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
    (input.encoding(), items, input.blank_lines())
}

/// A blank line's content (its line end is added): empty, or spaces and tabs.
fn blank_line() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", " ", "\t", "  \t ", "\t\t"])
}

/// Whether bytes written as GB18030 were taken for UTF-8. Some GB18030 text is valid UTF-8
/// too (a停 is 61 CD A3, which UTF-8 reads as "aͣ"), and a file whose sample is all such text
/// is read as UTF-8: a reading the bytes allow, not one a round trip can check.
fn gb18030_read_as_utf8(how: Written, found: TextEncoding) -> bool {
    how == Written::Gb18030 && found != TextEncoding::Gb18030
}

/// Whether bytes written as UTF-16 without a byte-order mark were taken for another
/// encoding: UTF-16 is found by the NULs beside its ASCII characters, and a file with fewer
/// than four of them (a line or two of `{}`, blank lines) does not show it.
fn utf16_unseen(how: Written, found: TextEncoding) -> bool {
    how == Written::Utf16LeNoBom && found != TextEncoding::Utf16
}

/// A JSON value as exports and logs hold them: text, integers, exact fractions, booleans,
/// null, and lists and objects of those.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        4 => cell().prop_map(serde_json::Value::from),
        2 => any::<i64>().prop_map(serde_json::Value::from),
        // Quarters print exactly, so they read back as the same f64.
        1 => (-4000i32..4000).prop_map(|n| serde_json::Value::from(f64::from(n) / 4.0)),
        1 => any::<bool>().prop_map(serde_json::Value::from),
        1 => Just(serde_json::Value::Null),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::vec((json_key(), inner), 0..4)
                .prop_map(|pairs| serde_json::Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// Field names: ASCII, CJK, spaces, quotes and escapes, the empty name.
fn json_key() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "id",
        "text",
        "note",
        "渠道",
        "投诉内容",
        "a b",
        "quote\"d",
        "back\\slash",
        "tab\t",
        "",
        "schema",
        "😀",
    ])
    .prop_map(str::to_string)
}

/// One line of a JSON-lines file, and what the reader must make of it.
#[derive(Debug, Clone)]
enum JsonLine {
    /// An object: a row when it has a `text` field (whatever its type), else a reject.
    Object(serde_json::Map<String, serde_json::Value>),
    /// Valid JSON that is not an object: a reject.
    NotAnObject(serde_json::Value),
    /// Not JSON: a reject.
    Broken,
    /// Empty, or spaces and tabs: no record, skipped.
    Blank(&'static str),
}

impl JsonLine {
    fn written(&self) -> String {
        match self {
            JsonLine::Object(map) => serde_json::Value::Object(map.clone()).to_string(),
            JsonLine::NotAnObject(value) => value.to_string(),
            JsonLine::Broken => "{\"id\": not json".to_string(),
            JsonLine::Blank(blank) => blank.to_string(),
        }
    }
}

fn json_line() -> impl Strategy<Value = JsonLine> {
    let fields = || prop::collection::vec((json_key(), json_value()), 0..5);
    prop_oneof![
        // A text field among the others, anywhere in the object, mostly a string.
        6 => (
            fields(),
            prop_oneof![4 => cell().prop_map(serde_json::Value::from), 1 => json_value()],
            any::<prop::sample::Index>(),
        )
            .prop_map(|(fields, text, at)| {
                let mut fields: Vec<(String, serde_json::Value)> =
                    fields.into_iter().filter(|(k, _)| k != "text").collect();
                fields.insert(at.index(fields.len() + 1), ("text".into(), text));
                JsonLine::Object(unique(fields))
            }),
        1 => fields().prop_map(|f| {
            JsonLine::Object(unique(f.into_iter().filter(|(k, _)| k != "text").collect()))
        }),
        1 => json_value()
            .prop_filter("not an object", |v| !v.is_object())
            .prop_map(JsonLine::NotAnObject),
        1 => Just(JsonLine::Broken),
        2 => blank_line().prop_map(JsonLine::Blank),
    ]
}

/// The fields with each name once (the first of a repeated name kept), in order.
fn unique(fields: Vec<(String, serde_json::Value)>) -> serde_json::Map<String, serde_json::Value> {
    let mut map = serde_json::Map::new();
    for (key, value) in fields {
        map.entry(key).or_insert(value);
    }
    map
}

/// Whether a line (its line end cut or not) is blank: spaces, tabs and line ends only, none
/// of them the delimiter.
fn blank(line: &[u8], delimiter: Option<u8>) -> bool {
    line.iter()
        .all(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n') && Some(b) != delimiter)
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
        // Before the header, after it, and after each row.
        blanks in prop::collection::vec(prop::option::weighted(0.3, blank_line()), 10),
    ) {
        // In a TSV file a tab is a delimiter: a line holding one is a record, not blank.
        let blanks: Vec<Option<String>> = blanks
            .into_iter()
            .map(|b| b.map(|b| if delimiter == b'\t' { b.replace('\t', " ") } else { b.to_string() }))
            .collect();
        // Each record written on its own, so that blank lines can go between them.
        let record = |fields: &[String]| {
            let mut w = csv::WriterBuilder::new()
                .delimiter(delimiter)
                .terminator(match line_end {
                    "\r\n" => csv::Terminator::CRLF,
                    other => csv::Terminator::Any(other.as_bytes()[0]),
                })
                .quote_style(if always_quote { csv::QuoteStyle::Always } else { csv::QuoteStyle::Necessary })
                .from_writer(Vec::new());
            w.write_record(fields).unwrap();
            String::from_utf8(w.into_inner().unwrap()).unwrap()
        };
        let mut text = String::new();
        let put_blank = |text: &mut String, at: usize| {
            if let Some(blank) = &blanks[at] {
                text.push_str(blank);
                text.push_str(line_end);
            }
        };
        put_blank(&mut text, 0);
        text.push_str(&record(&HEADER.map(String::from)));
        put_blank(&mut text, 1);
        let rows: Vec<[String; 3]> = cells
            .into_iter()
            .enumerate()
            .map(|(i, (text, note))| [format!("编号{i}"), text, note])
            .collect();
        // The line each row starts on: one more than the lines written before it.
        let mut starts = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            starts.push(records::lines(text.as_bytes()).count() as u64 + 1);
            text.push_str(&record(row));
            put_blank(&mut text, i + 2);
        }
        let format = (delimiter == b'\t').then_some(Format::Tsv);
        let (found, items, blank_lines) = read(&encode(&text, how), format, limit);
        prop_assume!(!gb18030_read_as_utf8(how, found));
        prop_assert_eq!(items.len(), rows.len(), "one item per row: {:?}", items);
        let written_blanks = blanks[..rows.len() + 2].iter().flatten().count() as u64;
        prop_assert_eq!(blank_lines, written_blanks);
        let mut last_line = 1;
        for ((item, row), &start) in items.iter().zip(&rows).zip(&starts) {
            // Written bytes of a cell: at most twice its UTF-8 (quotes doubled) plus quotes;
            // GB18030 can shrink CJK to two thirds.
            let longest = row.iter().map(String::len).max().unwrap_or(0);
            match item {
                Item::Row(r) => {
                    prop_assert!(r.line > last_line);
                    prop_assert_eq!(r.line, start);
                    last_line = r.line;
                    prop_assert_eq!(&r.fields, &Fields::Table(row.to_vec()));
                    prop_assert_eq!(r.text(), row[1].as_str());
                    prop_assert!(longest * 2 / 3 <= limit, "a field over the limit is read");
                }
                Item::Reject(r) => {
                    prop_assert!(r.line > last_line);
                    prop_assert_eq!(r.line, start);
                    last_line = r.line;
                    prop_assert!(longest * 2 + 2 > limit, "rejected: {} {:?}", r.reason, row);
                    prop_assert!(r.reason.contains("longer than the limit"), "{}", r.reason);
                }
            }
        }
    }

    #[test]
    fn json_lines_read_back_field_for_field(
        lines in prop::collection::vec(json_line(), 0..12),
        crlf in any::<bool>(),
        how in written(),
    ) {
        let mut text = String::new();
        for line in &lines {
            text.push_str(&line.written());
            text.push_str(if crlf { "\r\n" } else { "\n" });
        }
        let (found, items, blank_lines) =
            read(&encode(&text, how), Some(Format::Jsonl), DEFAULT_MAX_FIELD_BYTES);
        prop_assume!(!gb18030_read_as_utf8(how, found));
        prop_assume!(!utf16_unseen(how, found));
        // Every line but a blank one is an item, on its own line number.
        let records: Vec<(u64, &JsonLine)> = (1..)
            .zip(&lines)
            .filter(|(_, line)| !matches!(line, JsonLine::Blank(_)))
            .collect();
        prop_assert_eq!(items.len(), records.len(), "one item per line: {:?}", items);
        prop_assert_eq!(blank_lines as usize, lines.len() - records.len());
        for (item, &(at, line)) in items.iter().zip(&records) {
            match (item, line) {
                (Item::Row(r), JsonLine::Object(map)) => {
                    prop_assert_eq!(r.line, at);
                    // Every field, in the order written, with the value written.
                    let Fields::Json(read) = &r.fields else {
                        return Err(TestCaseError::fail(format!("a table row: {r:?}")));
                    };
                    let read: Vec<_> = read.iter().collect();
                    let written: Vec<_> = map.iter().collect();
                    prop_assert_eq!(read, written);
                    let text = match &map["text"] {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    prop_assert_eq!(r.text(), text.as_str());
                }
                (Item::Reject(r), JsonLine::Object(map)) => {
                    prop_assert_eq!(r.line, at);
                    prop_assert!(!map.contains_key("text"), "{}: {:?}", r.reason, map);
                    prop_assert!(r.reason.contains("no `text` field"), "{}", r.reason);
                }
                (Item::Reject(r), JsonLine::NotAnObject(_)) => {
                    prop_assert_eq!(r.line, at);
                    prop_assert_eq!(r.reason.as_str(), "expected a JSON object");
                }
                (Item::Reject(r), JsonLine::Broken) => {
                    prop_assert_eq!(r.line, at);
                    prop_assert!(r.reason.starts_with("malformed JSON"), "{}", r.reason);
                }
                (item, line) => prop_assert!(false, "{:?} for {:?}", item, line),
            }
        }
    }

    #[test]
    fn random_bytes_never_panic_keep_order_and_give_every_record_once(
        bytes in prop::collection::vec(
            prop_oneof![
                4 => prop::sample::select(b"id,text\r\n\";|\t a1".to_vec()),
                1 => any::<u8>(),
            ],
            0..400,
        ),
        quotes in any::<bool>(),
        format in prop::sample::select(vec![Format::Csv, Format::Tsv, Format::Jsonl]),
        limit in 8usize..200,
    ) {
        // Without quotes, where records end is plain to see: so half the cases have none.
        let bytes: Vec<u8> = if quotes {
            bytes
        } else {
            bytes.into_iter().filter(|&b| b != b'"').collect()
        };
        let header: &[u8] = if format == Format::Tsv { b"id\ttext\n" } else { b"id,text\n" };
        let file_bytes = [header, &bytes[..]].concat();
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&file_bytes).unwrap();
        let Ok(mut input) = InputReader::open(&InputSpec {
            path: Some(file.path().to_path_buf()),
            format: Some(format),
            text_column: None,
            max_field_bytes: limit,
            sheet: None,
        }) else {
            return Ok(());
        };
        // UTF-16 (found by a NUL pattern) is transcoded: its lines are not the bytes' lines.
        let plain = input.encoding() != TextEncoding::Utf16;
        let physical_lines = records::lines(&file_bytes).count() as u64;
        let delimiter = if format == Format::Tsv { b'\t' } else { b',' };
        // Without quotes a table's records are its lines: none may start on a blank one.
        let blank_lines: Vec<u64> = if format != Format::Jsonl && !bytes.contains(&b'"') {
            (1..)
                .zip(records::lines(&file_bytes))
                .filter(|(_, l)| blank(l, Some(delimiter)))
                .map(|(n, _)| n)
                .collect()
        } else {
            Vec::new()
        };
        let (mut last, mut items) = (0, 0usize);
        while let Some(item) = input.next_item().unwrap() {
            let line = match item {
                Item::Row(r) => r.line,
                Item::Reject(r) => r.line,
            };
            prop_assert!(line > last, "line {} after {}", line, last);
            prop_assert!(!plain || line <= physical_lines, "line {} of {}", line, physical_lines);
            prop_assert!(!plain || !blank_lines.contains(&line), "a record on blank line {}", line);
            last = line;
            items += 1;
        }
        // Rows out + rejects = records in, a blank line being none.
        let records_in = match format {
            // Every LF ends a JSON line (the first is the header, here a malformed one).
            Format::Jsonl => {
                let mut json_lines: Vec<&[u8]> = file_bytes.split(|&b| b == b'\n').collect();
                if file_bytes.ends_with(b"\n") {
                    json_lines.pop();
                }
                Some(json_lines.into_iter().filter(|l| !blank(l, None)).count())
            }
            // Outside quotes every line end (CR, LF or CRLF) ends a record.
            _ if !bytes.contains(&b'"') => Some(
                records::lines(&bytes)
                    .filter(|l| !blank(l, Some(delimiter)))
                    .count(),
            ),
            _ => None,
        };
        if let (true, Some(records_in)) = (plain, records_in) {
            prop_assert_eq!(items, records_in, "{:?}", String::from_utf8_lossy(&file_bytes));
        }
    }
}
