//! `--json` in the corpus commands: one object per line, label and category names as keys or
//! values, never positions; weights printed as the f32 values they are.

use crate::common::*;

fn lines(o: &std::process::Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn corpus_list_json_is_one_phrase_a_line() {
    let dir = corpus_copy("json_list");
    let d = dir.to_str().unwrap();
    let o = run(&[
        "corpus",
        "add",
        "债务重组专家",
        "-c",
        "debt_optimization",
        "-w",
        "0.8",
        "--word",
        "--corpus",
        d,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&[
        "corpus",
        "list",
        "--json",
        "-c",
        "debt_optimization",
        "--corpus",
        d,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let added = text
        .lines()
        .find(|l| l.contains("债务重组专家"))
        .expect("the added phrase is listed");
    assert_eq!(
        added,
        format!(
            r#"{{"schema":{},"phrase":"债务重组专家","category":"debt_optimization","weight":0.8,"scope":"word","note":""}}"#,
            heihui::output::json::SCHEMA
        )
    );
    let all = lines(&o);
    assert!(all.len() > 20);
    assert!(all.iter().all(|p| p["category"] == "debt_optimization"));
    assert!(all.iter().any(|p| p["scope"] == "anywhere"));
}

#[test]
fn corpus_lint_json_is_one_finding_a_line() {
    let dir = corpus_copy("json_lint");
    let path = dir.join("phrases/contact_lure.tsv");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("私下聊\tlots\tbad weight\n");
    std::fs::write(&path, text).unwrap();
    let o = run(&[
        "corpus",
        "lint",
        "--json",
        "--corpus",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let findings = lines(&o);
    let bad = findings
        .iter()
        .find(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .contains("weight `lots` is not a number")
        })
        .expect("the bad weight is reported");
    assert_eq!(bad["severity"], "error");
    assert!(bad["file"]
        .as_str()
        .unwrap()
        .ends_with("phrases/contact_lure.tsv"));
    assert!(bad["line"].as_u64().unwrap() > 1);
}
