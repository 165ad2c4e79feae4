//! One shape for JSON output across commands: `schema` first, per-label values keyed by
//! label name (never positions), f32 numbers as the f32 values they are, and `-` for stdout.

use crate::common::*;
use heihui::output::json::SCHEMA;

const LABELS: [&str; 3] = ["normal", "malicious_complaint", "debt_optimization"];

fn lines(o: &std::process::Output) -> Vec<serde_json::Value> {
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(1),
        "{}",
        stderr(o)
    );
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Asserts `v` is an object with exactly the three label names as keys.
fn label_keyed(v: &serde_json::Value, what: &str) {
    let keys: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("{what} is an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, LABELS, "{what}");
}

/// Asserts `x` is printed as an f32 value: the shortest decimal of the f32 it stands for.
fn printed_as_f32(x: &serde_json::Value, what: &str) {
    let x = x.as_f64().unwrap_or_else(|| panic!("{what} is a number"));
    let short: f64 = (x as f32).to_string().parse().unwrap();
    assert_eq!(x, short, "{what} printed with f64 digits");
}

#[test]
fn every_json_line_of_every_inspecting_command_starts_with_the_schema() {
    let dir = scratch("shapes_schema");
    // Two rows share a phone (a clue) and repeat one template (a campaign).
    let data = dir.join("rows.csv");
    let template = "专业停息挂账，协商还款，先服务后收费，成功率高，联系电话 13812345678 张经理";
    std::fs::write(
        &data,
        format!(
            "id,text,label\n1,{template},debt_optimization\n2,{template}！,debt_optimization\n\
             3,今天天气不错,normal\n"
        ),
    )
    .unwrap();
    let data = data.to_str().unwrap();
    let head = format!("{{\"schema\":{SCHEMA},");
    let text = "专业停息挂账，加微信 tingxi_888";
    for args in [
        &["match", "--json", text][..],
        &["segment", "--json", text],
        &["classify", "--json", text],
        &["corpus", "list", "--json"],
        &["corpus", "lint", "--json", "-q"],
        &[
            "corpus", "stats", "--data", data, "--json", "--top", "3", "-q",
        ],
        &["clues", data, "--json", "-q"],
        &["campaigns", data, "--json", "-q"],
        &["eval", data, "--json", "-q"],
    ] {
        let o = run(args);
        let out = stdout(&o);
        assert!(!out.is_empty(), "{args:?}: {}", stderr(&o));
        for line in out.lines() {
            assert!(line.starts_with(&head), "{args:?}: {line}");
        }
    }
    let labelled = run_stdin(
        &["label", "-", "--format", "jsonl", "-q"],
        "{\"id\":1,\"text\":\"停息挂账\"}\nnot json\n".as_bytes(),
    );
    let rows = lines(&labelled);
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["schema"] == SCHEMA), "{rows:?}");
}

#[test]
fn label_jsonl_and_classify_json_give_probabilities_one_label_keyed_shape() {
    let text = "网贷逾期？专业停*息挂账，加V详聊";
    let line = serde_json::json!({"id": 1, "text": text}).to_string() + "\n";
    let row = &lines(&run_stdin(
        &["label", "-", "--format", "jsonl", "-q"],
        line.as_bytes(),
    ))[0];
    let shown = &lines(&run(&["classify", "--json", text]))[0];
    for v in [row, shown] {
        label_keyed(&v["probabilities"], "probabilities");
        for l in LABELS {
            printed_as_f32(&v["probabilities"][l], l);
        }
        printed_as_f32(&v["confidence"], "confidence");
        assert!(
            v.get("p_normal").is_none(),
            "flat p_ columns are for tables: {v}"
        );
    }
    assert_eq!(row["probabilities"], shown["probabilities"]);
    label_keyed(&shown["model_probabilities"], "model_probabilities");
    label_keyed(&shown["contributions"], "contributions");
    printed_as_f32(
        &shown["contributions"]["debt_optimization"]["score"],
        "score",
    );
}

#[test]
fn match_json_prints_a_weight_as_its_f32_value() {
    // `详聊` is a contact lure of weight 0.8 in the shipped corpus.
    let o = run(&["match", "--json", "加vx详聊"]);
    let out = stdout(&o);
    assert!(
        out.contains(r#""phrase":"详聊","category":"contact_lure","weight":0.8,"#),
        "{out}"
    );
}

#[test]
fn data_check_json_counts_rows_per_label_by_name() {
    let dir = scratch("shapes_data_check");
    for split in ["train", "dev", "test"] {
        let path = tiny_split(&dir, split, 5);
        std::fs::rename(path, dir.join(format!("{split}.csv"))).unwrap();
    }
    let report = &lines(&run(&[
        "data",
        "check",
        dir.to_str().unwrap(),
        "--json",
        "-q",
    ]))[0];
    assert_eq!(report["schema"], SCHEMA);
    for split in report["splits"].as_array().unwrap() {
        label_keyed(&split["per_label"], "per_label");
        let sum: u64 = LABELS
            .iter()
            .map(|l| split["per_label"][l].as_u64().unwrap())
            .sum();
        assert_eq!(split["rows"].as_u64(), Some(sum));
    }
}

#[test]
fn eval_json_is_label_keyed() {
    let dir = scratch("shapes_eval");
    let data = tiny_split(&dir, "dev", 8);
    let report = &lines(&run(&["eval", data.to_str().unwrap(), "--json", "-q"]))[0];
    let combined = &report["systems"]["combined"];
    label_keyed(&combined["labels"], "labels");
    label_keyed(&combined["confusion"], "confusion");
    let mut total = 0;
    for gold in LABELS {
        label_keyed(&combined["confusion"][gold], "confusion row");
        let row: u64 = LABELS
            .iter()
            .map(|p| combined["confusion"][gold][p].as_u64().unwrap())
            .sum();
        assert_eq!(combined["labels"][gold]["support"].as_u64(), Some(row));
        total += row;
    }
    assert_eq!(report["systems"]["rows"].as_u64(), Some(total));
    label_keyed(&report["decision"]["bias"], "decision bias");
    for l in LABELS {
        printed_as_f32(&report["decision"]["bias"][l], "bias");
    }
    if let Some(stack) = report["decision"]["stack"].as_object() {
        for (name, weights) in stack {
            label_keyed(weights, name);
        }
    }
}

#[test]
fn eval_json_dash_is_stdout_not_a_file() {
    let dir = scratch("shapes_eval_dash");
    let data = tiny_split(&dir, "dev", 4);
    let data = data.to_str().unwrap();
    for args in [
        &["eval", data, "--json", "-", "-q"][..],
        &["eval", data, "--json-out", "-", "-q"],
    ] {
        let o = heihui()
            .current_dir(&dir)
            .args(args)
            .output()
            .expect("heihui runs");
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        let report = &lines(&o)[0];
        assert_eq!(report["schema"], SCHEMA, "{args:?}");
        assert!(!dir.join("-").exists(), "{args:?} wrote a file named -");
    }
}
