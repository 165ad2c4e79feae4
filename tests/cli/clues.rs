//! `clues`: contacts across rows and the groups they link, through the binary.

use crate::common::*;

const ROWS: &str = "id,date,channel,text\n\
A1,2024-03-02,app,网贷逾期别慌，专业停息挂账，加V信：Tingxi888，电话 138 0000 1234\n\
A2,2024-03-01,web,我要投诉这个平台，对方电话13800001234，要求退还全部利息\n\
A3,2024-03-05,app,债务优化，协商还款，微信 tingxi888 或 QQ 5201314\n\
A4,2024-03-04,web,请认准官方客服95588，尾号138****0000的用户请注意\n\
A5,2024-03-03,sms,我的电话159-1234-5678，请回电\n\
A6,2024-03-06,web,今天天气不错\n";

fn lines(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn clues_json_lists_contacts_and_linked_groups() {
    let dir = scratch("clues_json");
    let input = dir.join("in.csv");
    std::fs::write(&input, ROWS).unwrap();
    let o = run(&["clues", input.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let all = lines(&stdout(&o));
    let contacts: Vec<&serde_json::Value> = all.iter().filter(|v| v["type"] == "contact").collect();
    let groups: Vec<&serde_json::Value> = all.iter().filter(|v| v["type"] == "group").collect();
    let values: Vec<&str> = contacts
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert_eq!(values.len(), 4, "no hotline, no masked number: {values:?}");
    for v in ["13800001234", "tingxi888", "5201314", "15912345678"] {
        assert!(values.contains(&v), "{v} in {values:?}");
    }
    let phone = contacts
        .iter()
        .find(|c| c["value"] == "13800001234")
        .unwrap();
    assert_eq!(phone["kind"], "phone");
    assert_eq!(phone["rows"], 2);
    assert_eq!(phone["row_ids"], serde_json::json!(["A1", "A2"]));
    assert_eq!(phone["first_date"], "2024-03-01");
    assert_eq!(phone["last_date"], "2024-03-02");
    assert_eq!(phone["channels"], serde_json::json!(["app", "web"]));
    let labels = phone["labels"].as_object().unwrap();
    assert_eq!(labels.values().map(|n| n.as_u64().unwrap()).sum::<u64>(), 2);
    // A1 and A2 share the phone, A1 and A3 the WeChat id: one agency.
    assert_eq!(groups.len(), 2);
    let agency = groups.iter().find(|g| g["rows"] == 3).unwrap();
    assert_eq!(agency["row_ids"], serde_json::json!(["A1", "A2", "A3"]));
    assert_eq!(agency["contacts"].as_array().unwrap().len(), 3);
    assert_eq!(phone["group"], agency["group"]);
    let wechat = contacts.iter().find(|c| c["value"] == "tingxi888").unwrap();
    assert_eq!(wechat["group"], agency["group"]);
    let lone = contacts
        .iter()
        .find(|c| c["value"] == "15912345678")
        .unwrap();
    assert_ne!(lone["group"], agency["group"]);
    assert!(
        stderr(&o).contains("4 contacts in 4 rows, 2 linked groups; 2 rows without contacts"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn clues_csv_has_one_line_per_contact_with_its_group() {
    let dir = scratch("clues_csv");
    let input = dir.join("in.csv");
    std::fs::write(&input, ROWS).unwrap();
    let out = dir.join("clues.csv");
    let o = run(&[
        "clues",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--min-rows",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = csv_rows(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(
        &rows[0][..5],
        ["group", "group_rows", "kind", "value", "rows"]
    );
    assert_eq!(rows.len(), 3, "only contacts in two rows or more: {rows:?}");
    let phone = rows.iter().find(|r| r[3] == "13800001234").unwrap();
    assert_eq!(
        (phone[0].as_str(), phone[1].as_str(), phone[2].as_str()),
        ("1", "3", "phone")
    );
    let ids = rows[0].iter().position(|c| c == "row_ids").unwrap();
    assert_eq!(phone[ids], "A1; A2");
}

#[test]
fn clues_refuses_an_output_that_is_an_input() {
    let dir = scratch("clues_clash");
    let input = dir.join("in.csv");
    std::fs::write(&input, ROWS).unwrap();
    let o = run(&[
        "clues",
        input.to_str().unwrap(),
        "-o",
        input.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("the clue file") && stderr(&o).contains("would overwrite the input"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&input).unwrap(), ROWS);
}

#[test]
fn clues_refuses_a_rejects_file_that_is_its_output() {
    let dir = scratch("clues_rejects_clash");
    let input = dir.join("in.csv");
    std::fs::write(&input, ROWS).unwrap();
    let out = dir.join("out.csv");
    let out = out.to_str().unwrap();
    let o = run(&[
        "clues",
        input.to_str().unwrap(),
        "-o",
        out,
        "--rejects",
        out,
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).trim_end(),
        format!(
            "heihui: the clue file {out} and the rejects file {out} are the same file: choose \
             another --rejects"
        )
    );
    assert!(!dir.join("out.csv").exists(), "nothing written");
}

#[test]
fn clues_without_an_id_column_uses_line_numbers_and_counts_rejects() {
    let o = run_stdin(
        &[
            "clues",
            "-",
            "--format",
            "jsonl",
            "--json",
            "--rejects",
            scratch("clues_lines").join("r.csv").to_str().unwrap(),
        ],
        "{\"text\":\"加微信 abc_1234\"}\n{not json\n{\"text\":\"微信：abc_1234 详聊\"}\n"
            .as_bytes(),
    );
    assert_eq!(o.status.code(), Some(1), "a rejected row: {}", stderr(&o));
    let all = lines(&stdout(&o));
    assert_eq!(all[0]["row_ids"], serde_json::json!(["1", "3"]));
    assert!(
        stderr(&o).contains("3 rows in, 2 labelled, 1 rejected"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn clues_skip_blank_lines_and_say_so() {
    let o = run_stdin(
        &["clues", "-", "--format", "jsonl", "--json"],
        "{\"text\":\"加微信 abc_1234\"}\n\n  \n{\"text\":\"微信：abc_1234 详聊\"}\n".as_bytes(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let all = lines(&stdout(&o));
    assert_eq!(all[0]["row_ids"], serde_json::json!(["1", "4"]));
    assert!(
        stderr(&o).contains("2 rows in, 2 labelled, 0 rejected, 2 blank lines skipped;"),
        "{}",
        stderr(&o)
    );
}
