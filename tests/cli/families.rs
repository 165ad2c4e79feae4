//! Hugging Face directories of each family, as transformers saved them (no decision.json,
//! no n-gram part), labelled by the binary with transformers' probabilities
//! (tests/fixtures/make_hf_tiny.py, make_families.py).

use std::path::Path;

use crate::common::*;

#[derive(serde::Deserialize)]
struct Expected {
    texts: Vec<String>,
    probabilities: Vec<[f64; 3]>,
}

const LABELS: [&str; 3] = ["normal", "malicious_complaint", "debt_optimization"];

fn classify_matches_transformers(fixture: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    let expected: Expected =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let mut args = vec!["classify", "--json", "--model", dir.to_str().unwrap()];
    args.extend(expected.texts.iter().map(String::as_str));
    let o = run(&args);
    assert!(o.status.success(), "{fixture}: {}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), expected.texts.len(), "{fixture}");
    for (i, (line, theirs)) in lines.iter().zip(&expected.probabilities).enumerate() {
        for (label, p) in LABELS.iter().zip(theirs) {
            let ours = line["model_probabilities"][label].as_f64().unwrap();
            assert!(
                (ours - p).abs() < 1e-4,
                "{fixture}, text {i}, {label}: heihui {ours}, transformers {p}"
            );
        }
    }
}

#[test]
fn a_bert_directory_from_transformers_gives_its_probabilities() {
    classify_matches_transformers("hf-tiny");
}

#[test]
fn a_roberta_directory_from_transformers_gives_its_probabilities() {
    classify_matches_transformers("roberta-tiny");
}

#[test]
fn an_electra_directory_from_transformers_gives_its_probabilities() {
    classify_matches_transformers("electra-tiny");
}

#[test]
fn an_unsupported_family_is_named() {
    let dir = scratch("family-gpt2");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/roberta-tiny");
    for f in [
        "tokenizer.json",
        "tokenizer_config.json",
        "model.safetensors",
    ] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    let config = std::fs::read_to_string(src.join("config.json"))
        .unwrap()
        .replace("\"roberta\"", "\"gpt2\"");
    std::fs::write(dir.join("config.json"), config).unwrap();
    let o = run(&["classify", "--model", dir.to_str().unwrap(), "好"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains(
            "config.json: field model_type: unsupported value `gpt2`; heihui supports bert, \
             roberta, electra"
        ),
        "{err}"
    );
}
