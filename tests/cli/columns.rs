//! The added columns come from one table: `label` (CSV and JSON lines), `classify --json` and
//! `eval --errors` write the same columns, with the same values.

use crate::common::*;

const TEXT: &str = "网贷逾期？专业停*息挂账，加V详聊 13800001234";

#[test]
fn classify_json_has_every_column_label_adds_with_the_same_values() {
    let dir = scratch("columns_classify");
    let input = dir.join("in.csv");
    std::fs::write(&input, format!("text\n{TEXT}\n")).unwrap();
    let labelled = run(&[
        "label",
        "-q",
        "--explain",
        "--json",
        input.to_str().unwrap(),
    ]);
    assert!(labelled.status.success(), "{}", stderr(&labelled));
    let row: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(stdout(&labelled).trim()).unwrap();
    let classified = run(&["classify", "--json", TEXT]);
    assert!(classified.status.success(), "{}", stderr(&classified));
    let line: serde_json::Value = serde_json::from_str(stdout(&classified).trim()).unwrap();
    let added: Vec<&String> = row
        .keys()
        .filter(|k| !["text", "lsh", "minhash"].contains(&k.as_str()))
        .collect();
    assert_eq!(
        added,
        [
            "schema",
            "label",
            "confidence",
            "probabilities",
            "needs_review",
            "hits",
            "hit_count",
            "contacts",
            "reason"
        ]
    );
    for key in added {
        assert_eq!(line[key], row[key], "{key}");
    }
}

#[test]
fn eval_errors_has_the_columns_label_adds_in_the_same_order() {
    let dir = scratch("columns_eval_errors");
    let data = tiny_split(&dir, "dev", 4);
    let errors = dir.join("errors.csv");
    let o = run(&[
        "eval",
        "-q",
        data.to_str().unwrap(),
        "--errors",
        errors.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let header = csv_rows(&std::fs::read_to_string(&errors).unwrap())[0].clone();

    let labelled = run(&["label", "-q", "--explain", data.to_str().unwrap()]);
    assert!(labelled.status.success(), "{}", stderr(&labelled));
    let label_header = csv_rows(&stdout(&labelled))[0].clone();
    let input_columns = csv_rows(&std::fs::read_to_string(&data).unwrap())[0].len();
    let added: Vec<String> = label_header[input_columns..]
        .iter()
        .map(|c| c.trim_start_matches("heihui_").to_string())
        .collect();
    assert_eq!(header[..3], ["id", "text", "gold"]);
    assert_eq!(header[3..3 + added.len()], added[..]);
    assert_eq!(
        header[3 + added.len()..],
        [
            "model_p_normal",
            "model_p_malicious_complaint",
            "model_p_debt_optimization",
            "ngram_p_normal",
            "ngram_p_malicious_complaint",
            "ngram_p_debt_optimization"
        ]
    );
}
