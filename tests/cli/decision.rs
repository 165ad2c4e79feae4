//! The combined decision as `label` runs it: a stack that gives the transformer no weight
//! decides without running it, and decides exactly as when it runs.

use crate::common::*;

#[test]
fn a_stack_without_transformer_weights_labels_without_running_it() {
    let (dir, model) = model_copy("decision_without_transformer");
    edit_json(&model.join("decision.json"), |d| {
        d["stack"]["transformer"] = serde_json::json!([0.0, 0.0, 0.0]);
    });
    let input = dir.join("in.csv");
    std::fs::write(&input, SAMPLE).unwrap();
    let out = dir.join("out.jsonl");
    let o = run(&[
        "label",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--explain",
        "--quiet",
        "--model",
        model.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let labelled: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(labelled.len(), 3);
    for (row, text) in labelled.iter().zip(csv_rows(SAMPLE).iter().skip(1)) {
        let reason = row["reason"].as_str().unwrap();
        assert!(reason.starts_with("n-gram: "), "{reason}");
        assert!(
            !reason.contains("model:") && !reason.contains("transformer"),
            "{reason}"
        );
        // `classify` runs every model to show each one's view; the decision is the same.
        let o = run(&[
            "classify",
            &text[1],
            "--json",
            "--model",
            model.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let shown: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
        assert!(shown["model_probabilities"].is_object(), "{shown}");
        assert_eq!(row["label"], shown["label"]);
        for label in ["normal", "malicious_complaint", "debt_optimization"] {
            let (a, b) = (
                row["probabilities"][label].as_f64().unwrap(),
                shown["probabilities"][label].as_f64().unwrap(),
            );
            assert!((a - b).abs() < 1e-3, "{label}: {a} vs {b}");
        }
    }
}

#[test]
fn tuning_without_the_transformer_gives_it_no_weight() {
    let (dir, model) = model_copy("tune_without_transformer");
    let decision = model.join("decision.json");
    edit_json(&decision, |d| {
        d["stack"]["transformer"] = serde_json::json!([0.5, 0.5, 0.5])
    });
    let rows = tiny_split(&dir, "dev", 300);
    let o = run(&[
        "eval",
        rows.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--tune",
        "--without-transformer",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let d: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&decision).unwrap()).unwrap();
    assert_eq!(
        d["stack"]["transformer"],
        serde_json::json!([0.0, 0.0, 0.0])
    );
    let ngram = d["stack"]["ngram"].as_array().unwrap();
    assert!(ngram.iter().all(|w| w.as_f64().unwrap() > 0.1), "{d}");
    // Only with --tune.
    let o = run(&["eval", rows.to_str().unwrap(), "--without-transformer"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
