//! Contacts in every row: `label`'s `contacts` column and `classify`'s display.

use crate::common::*;

const ROWS: &str = "id,text\n1,专业停息挂账，加V信：Tingxi_888，电话 138 0000 1234\n2,请拨打12378投诉，尾号138****0000\n3,今天天气不错\n";

#[test]
fn label_csv_has_a_contacts_column() {
    let (out, err, code, _) = label_bytes("contacts_csv", "in.csv", ROWS.as_bytes(), &[]);
    assert_eq!(code, Some(0), "{err}");
    let rows = csv_rows(&out);
    let col = rows[0].iter().position(|c| c == "contacts").unwrap();
    assert_eq!(rows[1][col], "wechat:tingxi_888; phone:13800001234");
    assert_eq!(rows[2][col], "hotline:12378; masked:138****0000");
    assert_eq!(rows[3][col], "");
}

#[test]
fn label_jsonl_lists_contacts_with_original_spans() {
    let text = "加V信：Tingxi_888，电话 138 0000 1234";
    let line = serde_json::json!({"id": "a", "text": text}).to_string() + "\n";
    let o = run_stdin(&["label", "-", "--format", "jsonl", "-q"], line.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let contacts = v["contacts"].as_array().unwrap();
    assert_eq!(contacts.len(), 2, "{v}");
    let at = text.find("138").unwrap();
    let at_char = text[..at].chars().count();
    assert_eq!(
        contacts[1],
        serde_json::json!({
            "kind": "phone",
            "value": "13800001234",
            "start": at,
            "end": text.len(),
            "start_char": at_char,
            "end_char": text.chars().count(),
        })
    );
    let w = text.find("Tingxi").unwrap();
    assert_eq!(contacts[0]["kind"], "wechat");
    assert_eq!(contacts[0]["value"], "tingxi_888");
    assert_eq!(contacts[0]["start"], w);
}

#[test]
fn classify_shows_contacts() {
    let o = run(&["classify", "停息挂账加微信 abc_1234"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("contacts: wechat:abc_1234 (abc_1234)"),
        "{}",
        stdout(&o)
    );
    let o = run(&["classify", "--json", "电话一三八零零零零一二三四"]);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["contacts"][0]["value"], "13800001234");
    assert_eq!(v["contacts"][0]["kind"], "phone");
}
