//! The reader end to end on small files: encodings, delimiters, quoting, rejects.

use super::*;
use encoding_rs::GB18030;

/// Opens `bytes` written to a file of their own.
fn open_bytes(bytes: &[u8], format: Option<Format>) -> crate::error::Result<InputReader> {
    let dir = std::env::temp_dir().join(format!("heihui-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    static N: AtomicU64 = AtomicU64::new(0);
    let path = dir.join(format!("in-{}.csv", N.fetch_add(1, Ordering::SeqCst)));
    std::fs::write(&path, bytes).unwrap();
    InputReader::open(&InputSpec {
        path: Some(path),
        format,
        text_column: None,
        max_field_bytes: DEFAULT_MAX_FIELD_BYTES,
        sheet: None,
    })
}

fn read_all(bytes: &[u8], format: Option<Format>) -> (InputReader, Vec<Item>) {
    let mut input = open_bytes(bytes, format).unwrap();
    let mut items = Vec::new();
    while let Some(item) = input.next_item().unwrap() {
        items.push(item);
    }
    (input, items)
}

fn texts(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|i| match i {
            Item::Row(r) => format!("{}:{}", r.line, r.text()),
            Item::Reject(r) => format!("{}:REJECT", r.line),
        })
        .collect()
}

#[test]
fn utf8_with_bom_quoted_newlines_and_commas() {
    let (input, items) = read_all(
        "\u{feff}id,内容\n1,\"多行\n文本, 有逗号\"\n2,\"他说\"\"你好\"\"\"\n".as_bytes(),
        None,
    );
    assert_eq!(input.header(), ["id", "内容"]);
    assert_eq!(input.text_column(), "内容");
    assert_eq!(texts(&items), ["2:多行\n文本, 有逗号", "4:他说\"你好\""]);
}

#[test]
fn gbk_is_detected_and_decoded() {
    let (bytes, _, _) = GB18030.encode("编号,投诉内容\n1,停息挂账找我们\n2,还款没到账\n");
    let (input, items) = read_all(&bytes, None);
    assert_eq!(input.encoding(), TextEncoding::Gb18030);
    assert_eq!(texts(&items), ["2:停息挂账找我们", "3:还款没到账"]);
}

#[test]
fn delimiters_are_detected() {
    let (input, items) = read_all("id;text\n1;停息\n".as_bytes(), None);
    assert_eq!(input.delimiter(), b';');
    assert_eq!(texts(&items), ["2:停息"]);
    let (input, _) = read_all("id\ttext\tx\n1\ta,b\t3\n".as_bytes(), None);
    assert_eq!(input.delimiter(), b'\t');
}

#[test]
fn unclosed_quote_rejects_one_line_and_reading_goes_on() {
    let (_, items) = read_all(
        "id,text,n\n1,ok,1\n2,\"broken,2\n3,fine,3\n4,\"also\nfine\",4\n".as_bytes(),
        None,
    );
    assert_eq!(
        texts(&items),
        ["2:ok", "3:REJECT", "4:fine", "5:also\nfine"]
    );
}

#[test]
fn unclosed_quote_before_an_id_column_row_is_caught() {
    let (_, items) = read_all(
        "id,text\nA001,\"open\nA002,fine\nA003,\"multi\nline\"\n".as_bytes(),
        None,
    );
    assert_eq!(texts(&items), ["2:REJECT", "3:fine", "4:multi\nline"]);
}

#[test]
fn wrong_field_count_and_bad_bytes_are_rejected_with_reasons() {
    let mut bytes = GB18030.encode("id,text\n1,a,extra\n2,").0.into_owned();
    bytes.extend_from_slice(&[0xff, 0xfe, 0x80]);
    bytes.extend_from_slice(&GB18030.encode("\n3,好\n").0);
    // The peek sees invalid UTF-8 and picks GB18030; 0xff is invalid there too.
    let (_, items) = read_all(&bytes, None);
    let Item::Reject(r) = &items[0] else { panic!() };
    assert!(
        r.reason.starts_with("expected 2 fields, found 3"),
        "{}",
        r.reason
    );
    let Item::Reject(r) = &items[1] else { panic!() };
    assert_eq!(r.reason, "column text: bytes invalid in GB18030");
    assert_eq!(r.line, 3);
    assert!(
        matches!(&items[2], Item::Row(row) if row.text() == "好"),
        "{:?}",
        items[2]
    );
}

#[test]
fn jsonl_reads_text_field_and_rejects_bad_lines() {
    let (_, items) = read_all(
        b"{\"id\":1,\"text\":\"\xe5\xa5\xbd\"}\nnot json\n{\"id\":3}\n",
        Some(Format::Jsonl),
    );
    assert_eq!(texts(&items), ["1:好", "2:REJECT", "3:REJECT"]);
}

#[test]
fn missing_text_column_lists_columns() {
    let err = open_bytes("id,备注\n1,x\n".as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no text column found; the columns are: id, 备注"),
        "{err}"
    );
}

#[test]
fn utf16_is_transcoded() {
    let mut bytes = vec![0xFF, 0xFE];
    for u in "id\ttext\n1\t停息\n".encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let (input, items) = read_all(&bytes, Some(Format::Tsv));
    assert_eq!(input.encoding(), TextEncoding::Utf16);
    assert_eq!(texts(&items), ["2:停息"]);
}

#[test]
fn blank_lines_are_skipped_and_counted_with_their_lines_kept() {
    // Blank and whitespace-only lines before the header, between rows and after them, with
    // every line end; a line of delimiters only is still a record.
    let (input, items) = read_all(
        "\n \t\r\nid,text\r\n1,停息\r\n\r\n   \r\n2,挂账\n\t\n,\r3,好\r\n\r\n  ".as_bytes(),
        None,
    );
    assert_eq!(input.header(), ["id", "text"]);
    assert_eq!(input.delimiter(), b',');
    assert_eq!(texts(&items), ["4:停息", "7:挂账", "9:", "10:好"]);
    assert_eq!(input.blank_lines(), 7);
}

#[test]
fn blank_lines_in_tsv_are_skipped_but_a_line_of_tabs_is_a_record() {
    let (input, items) = read_all(
        "id\ttext\r\n\r\n1\t停息\r\n  \r\n\t\r\n2\t挂账\r\n\r\n".as_bytes(),
        Some(Format::Tsv),
    );
    assert_eq!(texts(&items), ["3:停息", "5:", "6:挂账"]);
    assert_eq!(input.blank_lines(), 3);
}

#[test]
fn an_empty_line_inside_a_quoted_field_is_part_of_it() {
    let (input, items) = read_all(
        "id,text\r\n1,\"第一段\r\n\r\n  \r\n第二段\"\r\n\r\n2,\"\n\"\n".as_bytes(),
        None,
    );
    assert_eq!(texts(&items), ["2:第一段\r\n\r\n  \r\n第二段", "7:\n"]);
    assert_eq!(input.blank_lines(), 1);
}

#[test]
fn blank_lines_in_json_lines_are_skipped_and_counted() {
    let (input, items) = read_all(
        b"\r\n{\"text\":\"a\"}\r\n\r\n \t \r\n{\"text\":\"b\"}\n\n{\"id\":1}\n  ",
        Some(Format::Jsonl),
    );
    assert_eq!(texts(&items), ["2:a", "5:b", "7:REJECT"]);
    assert_eq!(input.blank_lines(), 5);
}

#[test]
fn a_file_of_blank_lines_has_no_header() {
    let err = open_bytes(b"\n  \r\n\t\n", None).unwrap_err();
    assert!(
        matches!(
            err,
            crate::error::Error::Input(crate::error::InputError::Empty { .. })
        ),
        "{err}"
    );
}

#[test]
fn the_delimiter_is_found_past_blank_lines() {
    assert_eq!(detect_delimiter(b"\r\n \t \n\nid;text\n1;a\n"), b';');
    assert_eq!(detect_delimiter(b" \t\n"), b',');
}

#[test]
fn utf16_with_a_blank_first_line_finds_its_delimiter_on_the_header() {
    let mut bytes = Vec::new();
    for u in " \t\r\nid,text\r\n\r\n1,停息\r\n".encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let (input, items) = read_all(&bytes, None);
    assert_eq!(input.encoding(), TextEncoding::Utf16);
    assert_eq!(input.delimiter(), b',');
    assert_eq!(texts(&items), ["4:停息"]);
    assert_eq!(input.blank_lines(), 2);
}
