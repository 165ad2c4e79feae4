//! `data check` on broken and shipped labelled files.

use crate::common::*;

#[test]
fn data_check_catches_each_problem() {
    let dir = scratch("data_check");
    std::fs::write(
        dir.join("train.csv"),
        "id,text,label\n1,网贷逾期别慌，专业团队帮你停息挂账，成功后再收费,debt_optimization\n2,今天天气不错,normal\n3,\"多行\n文本, 带逗号\",spam\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("dev.csv"),
        "id,text,label\n1,网贷逾期别慌！专业团队帮你停息挂账，成功以后再收费,debt_optimization\n5,  ,normal\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("test.csv"),
        "id,text,label\n6,今天天气不错,normal\n",
    )
    .unwrap();
    let o = run(&["data", "check", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("train.csv:4: column label: unknown label `spam`"),
        "{out}"
    );
    assert!(out.contains("dev.csv:2: id `1` repeats"), "{out}");
    assert!(out.contains("dev.csv:2: near duplicate of"), "{out}");
    assert!(out.contains("dev.csv:3: column text: empty"), "{out}");
    assert!(out.contains("test.csv:2: text repeats"), "{out}");
}

#[test]
fn data_check_names_a_missing_column() {
    let dir = scratch("data_missing_column");
    for split in ["train", "dev", "test"] {
        std::fs::write(
            dir.join(format!("{split}.csv")),
            "id,content,label\n1,x,normal\n",
        )
        .unwrap();
    }
    let o = run(&["data", "check", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "train.csv: row 1, column text: missing column; the header has id,content,label"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn shipped_data_passes_its_check() {
    let o = run(&["data", "check"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let o = run(&["data", "check", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rows: u64 = report["splits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["rows"].as_u64().unwrap())
        .sum();
    assert!(rows >= 4000, "{rows} rows");
}

#[test]
fn blank_lines_in_labelled_files_are_skipped_and_rows_keep_their_lines() {
    let dir = scratch("data_blank_lines");
    std::fs::write(
        dir.join("train.csv"),
        "id,text,label,genre,hard\n1,今天天气不错,normal,chat,no\n   \n\t\n\n2,停息挂账找我们,spam,sms,no\n",
    )
    .unwrap();
    for (split, text) in [("dev", "明天去公园散步"), ("test", "这家店的面很好吃")] {
        std::fs::write(
            dir.join(format!("{split}.csv")),
            format!("id,text,label,genre,hard\n{split},{text},normal,chat,no\n  \n"),
        )
        .unwrap();
    }
    let o = run(&["data", "check", dir.to_str().unwrap()]);
    let out = stdout(&o);
    // The one problem is the unknown label, on its own line of the file.
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    assert!(
        out.contains("train.csv:6: column label: unknown label `spam`"),
        "{out}"
    );
    assert!(!out.contains("missing field"), "{out}");
    assert_eq!(out.matches("data_blank_lines/").count(), 1, "{out}");
}
