//! `classify` on single texts.

use crate::common::*;

#[test]
fn classify_json_separates_model_and_combined() {
    let o = run(&["classify", "--json", "网贷逾期？专业停*息挂账，加V详聊"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["label"], "debt_optimization");
    assert!(
        v["model_probabilities"]["debt_optimization"]
            .as_f64()
            .unwrap()
            > 0.5
    );
    assert!(v["probabilities"]["normal"].as_f64().unwrap() < 0.5);
    assert!(v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["text"] == "停*息挂账"));
}

#[test]
fn classify_marks_hits_without_colour_off_a_terminal() {
    let o = run_stdin(&["classify"], "专业停息挂账\n".as_bytes());
    let out = stdout(&o);
    assert!(out.starts_with("debt_optimization"), "{out}");
    assert!(out.contains("「停息挂账」"), "{out}");
    assert!(
        !out.contains('\x1b'),
        "no colour codes when stdout is not a terminal"
    );
}
