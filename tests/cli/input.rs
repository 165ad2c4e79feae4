//! How `heihui label` reads what messy exports hold: line ends of every kind, files that
//! change encoding halfway, truncated files, huge fields, UTF-16 without a byte-order mark.

use crate::common::*;

fn rejects(dir: &std::path::Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(dir.join("out.rejects.csv"))
        .map(|t| csv_rows(&t))
        .unwrap_or_default()
}

#[test]
fn lone_cr_lf_and_crlf_all_end_lines() {
    let text = "id,text\r1,停息挂账找我们\r2,我的还款没到账\r\n3,今天天气不错\n";
    let (out, err, code, _) = label_bytes("input_cr", "in.csv", text.as_bytes(), &[]);
    assert_eq!(code, Some(0), "{err}");
    let rows = csv_rows(&out);
    let texts: Vec<&str> = rows[1..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(texts, ["停息挂账找我们", "我的还款没到账", "今天天气不错"]);
    assert!(err.contains("3 rows in, 3 labelled"), "{err}");
}

#[test]
fn a_cr_inside_an_unquoted_last_field_does_not_cut_text() {
    // The CR ends the line, so the text after it is a line of its own (one field where
    // two are expected): rejected with its line number, not dropped.
    let text = "id,text\n1,停息挂账\r找我们办理\n2,还款没到账\n";
    let (out, err, code, dir) = label_bytes("input_cr_field", "in.csv", text.as_bytes(), &[]);
    assert_eq!(code, Some(1), "{err}");
    let rows = csv_rows(&out);
    let texts: Vec<&str> = rows[1..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(texts, ["停息挂账", "还款没到账"]);
    let rejects = rejects(&dir);
    assert_eq!(rejects[1][1], "3");
    assert_eq!(rejects[1][3], "找我们办理");
    assert!(
        rejects[1][2].starts_with("expected 2 fields, found 1"),
        "{:?}",
        rejects[1]
    );
}

#[test]
fn utf8_rows_in_a_gbk_file_are_read_as_utf8() {
    let gbk_part = "编号,投诉内容\n1,我的还款没到账请核实\n2,催收人员电话骚扰我的家人\n";
    let mut bytes = encoding_rs::GB18030.encode(gbk_part).0.into_owned();
    bytes.extend_from_slice("3,停息挂账找我们\n4,先服务后收费\n".as_bytes());
    let (out, err, code, _) = label_bytes("input_mixed", "in.csv", &bytes, &[]);
    assert_eq!(code, Some(0), "{err}");
    let rows = csv_rows(&out);
    let texts: Vec<&str> = rows[1..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        texts,
        [
            "我的还款没到账请核实",
            "催收人员电话骚扰我的家人",
            "停息挂账找我们",
            "先服务后收费"
        ]
    );
    assert!(!out.contains("鍋滄伅"), "no mojibake");
}

#[test]
fn a_file_cut_inside_its_last_quoted_field_rejects_the_fragment() {
    let text = "id,text\n1,我的还款没到账\n2,\"停息挂账找我们，\n先服务后收";
    let (out, err, code, dir) = label_bytes("input_cut", "in.csv", text.as_bytes(), &[]);
    assert_eq!(code, Some(1), "{err}");
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 2, "only the whole row is labelled: {rows:?}");
    let rejects = rejects(&dir);
    assert_eq!(rejects.len(), 2);
    assert_eq!(rejects[1][1], "3");
    assert_eq!(rejects[1][2], "the file ends inside a quoted field");
    assert!(rejects[1][3].contains("先服务后收"), "{:?}", rejects[1]);
}

#[test]
fn fields_up_to_the_limit_are_read_whole_and_a_longer_one_is_one_reject() {
    let long = "停息挂账找我们，先服务后收费。".repeat(100);
    let text = format!("id,text\n1,\"{long}\n{long}\"\n2,还款没到账\n3,\"{long}\"\n");
    assert!(long.len() > 4096 && 2 * long.len() < 16384);
    let (out, err, code, _) = label_bytes(
        "input_limit_ok",
        "in.csv",
        text.as_bytes(),
        &["--max-field-size", "16KiB"],
    );
    assert_eq!(code, Some(0), "{err}");
    let rows = csv_rows(&out);
    assert_eq!(rows[1][1], format!("{long}\n{long}"));
    assert_eq!(rows[3][1], long);

    let (out, err, code, dir) = label_bytes(
        "input_limit_over",
        "in.csv",
        text.as_bytes(),
        &["--max-field-size", "4KiB"],
    );
    assert_eq!(code, Some(1), "{err}");
    let rows = csv_rows(&out);
    let ids: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["2"], "the rows around the long ones are read");
    let rejects = rejects(&dir);
    let lines: Vec<&str> = rejects[1..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(lines, ["2", "5"], "one reject per long row");
    assert_eq!(
        rejects[1][2],
        "column text is longer than the limit of 4 KiB; raise it with --max-field-size"
    );
    assert!(err.contains("3 rows in, 1 labelled, 2 rejected"), "{err}");
}

#[test]
fn utf16_without_a_bom_is_detected() {
    let bytes: Vec<u8> = "id,text\n1,停息挂账找我们\n2,还款没到账\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let (out, err, code, _) = label_bytes("input_utf16_nobom", "in.csv", &bytes, &[]);
    assert_eq!(code, Some(0), "{err}");
    let rows = csv_rows(&out);
    assert_eq!(rows[0][..2], ["id", "text"]);
    assert_eq!(rows[1][1], "停息挂账找我们");
}

#[test]
fn a_lone_surrogate_in_utf16_is_a_reject() {
    let mut bytes = vec![0xFF, 0xFE];
    let units: Vec<u16> = "id,text\n1,停息"
        .encode_utf16()
        .chain([0xD800])
        .chain("挂账\n2,还款没到账\n".encode_utf16())
        .collect();
    bytes.extend(units.iter().flat_map(|u| u.to_le_bytes()));
    let (out, err, code, dir) = label_bytes("input_surrogate", "in.csv", &bytes, &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(!out.contains('\u{fffd}'), "no silent replacement character");
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][1], "还款没到账");
    let rejects = rejects(&dir);
    assert_eq!(rejects[1][1], "2");
    assert_eq!(rejects[1][2], "column text: bytes invalid in UTF-16");
}

#[test]
fn blank_lines_are_skipped_in_csv_tsv_and_json_lines() {
    let cases: [(&str, &str, &[u8]); 3] = [
        (
            "input_blank_csv",
            "in.csv",
            b"id,text\n1,\xe4\xbd\xa0\xe5\xa5\xbd\n\n2,x\n\n",
        ),
        (
            "input_blank_tsv",
            "in.tsv",
            b"\r\nid\ttext\r\n1\ta\r\n  \r\n2\tb\r\n",
        ),
        (
            "input_blank_jsonl",
            "in.jsonl",
            b"{\"text\":\"a\"}\n\n \t\r\n{\"text\":\"b\"}\n",
        ),
    ];
    for (test, name, bytes) in cases {
        let (out, err, code, dir) = label_bytes(test, name, bytes, &[]);
        assert_eq!(code, Some(0), "{name}: {err}");
        let rows = csv_rows(&out);
        assert_eq!(rows.len(), 3, "{name}: a header and two rows: {out}");
        assert!(!dir.join("out.rejects.csv").exists(), "{name}: no rejects");
        assert!(
            err.contains("2 rows in, 2 labelled, 0 rejected, 2 blank lines skipped;"),
            "{name}: {err}"
        );
        let (_, err, code, _) = label_bytes(test, name, bytes, &["--quiet"]);
        assert_eq!((code, err.as_str()), (Some(0), ""), "{name}");
    }
}

#[test]
fn a_line_of_delimiters_is_still_a_record_and_later_lines_keep_their_numbers() {
    let text = "id,text\n\n,\n\n1,\"a\n\nb\"\n\n2,x,extra\n";
    let (out, err, code, dir) = label_bytes("input_blank_lines", "in.csv", text.as_bytes(), &[]);
    assert_eq!(code, Some(1), "{err}");
    let rows = csv_rows(&out);
    let texts: Vec<&str> = rows[1..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(texts, ["", "a\n\nb"]);
    let rejects = rejects(&dir);
    assert_eq!(rejects.len(), 2, "{rejects:?}");
    assert_eq!(rejects[1][1], "9", "the file's own line: {rejects:?}");
    assert!(
        err.contains("3 rows in, 2 labelled, 1 rejected (see "),
        "{err}"
    );
    assert!(err.contains(", 3 blank lines skipped;"), "{err}");
}
