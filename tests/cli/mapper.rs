//! `label --mapper` and the JSON-lines fields a distributed engine needs.

use crate::common::*;
use std::io::Write;
use std::process::Stdio;

fn label_in(dir: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = heihui()
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

const LINES: &str = "{\"id\":\"a1\",\"text\":\"专业停息挂账，加V信：Tingxi888\"}\n{\"id\":\"b2\",\"text\":\"未闭合\n{\"id\":\"x7\",\"text\":12345}\n";

#[test]
fn mapper_skips_blank_lines_and_keeps_line_numbers() {
    let dir = scratch("mapper_blank");
    let o = label_in(
        &dir,
        &["label", "-", "--format", "jsonl", "--mapper", "--quiet"],
        "\n{\"id\":\"a1\",\"text\":\"你好\"}\n \r\n\n{not json\n",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0]["id"], "a1");
    assert_eq!(lines[1]["line"], 5);
    assert!(lines[1]["error"].is_string());
}

#[test]
fn mapper_answers_every_line_and_exits_0_without_a_rejects_file() {
    let dir = scratch("mapper_lines");
    let o = label_in(
        &dir,
        &["label", "-", "--format", "jsonl", "--mapper"],
        LINES,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0]["id"], "a1");
    assert_eq!(lines[0]["label"], "debt_optimization");
    assert!(lines[1]["error"].is_string());
    assert_eq!(lines[1]["raw"], "{\"id\":\"b2\",\"text\":\"未闭合");
    assert_eq!(lines[2]["id"], "x7");
    assert_eq!(
        lines[2]["error"],
        "field \"text\" is a number, not a string: quote the text"
    );
    assert!(lines[2]["label"].is_null());
    assert!(
        std::fs::read_dir(&dir).unwrap().next().is_none(),
        "no rejects file in the working directory"
    );
}

#[test]
fn non_string_text_is_an_error_line_without_mapper_too() {
    let dir = scratch("mapper_number");
    let o = label_in(
        &dir,
        &["label", "-", "--format", "jsonl", "-q"],
        "{\"id\":1,\"text\":12345}\n",
    );
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["id"], 1);
    assert!(v["error"].as_str().unwrap().contains("is a number"));
}

#[test]
fn mapper_writes_rejects_only_when_asked() {
    let dir = scratch("mapper_rejects");
    let o = label_in(
        &dir,
        &[
            "label",
            "-",
            "--format",
            "jsonl",
            "--mapper",
            "--rejects",
            "r.csv",
        ],
        LINES,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rejects = std::fs::read_to_string(dir.join("r.csv")).unwrap();
    assert_eq!(
        rejects.lines().count(),
        3,
        "header and two rejects: {rejects}"
    );
}

#[test]
fn jsonl_output_carries_lsh_band_keys() {
    let a = "本人张三于2023年在好借贷借款5000元，平台收取砍头息和高额服务费，严重违规，要求退还全部利息，否则将向银保监会投诉";
    let b = "本人李四于2024年在快易花借款12000元，平台收取砍头息和高额服务费，严重违规，要求退还全部利息，否则将向银保监会投诉";
    let input = format!(
        "{}\n{}\n{}\n",
        serde_json::json!({"text": a}),
        serde_json::json!({"text": b}),
        serde_json::json!({"text": "好的"})
    );
    let o = run_stdin(&["label", "-", "--format", "jsonl", "-q"], input.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    let lines = json_lines(&stdout(&o));
    let keys = |v: &serde_json::Value| -> Vec<String> {
        v["lsh"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect()
    };
    let (ka, kb) = (keys(&lines[0]), keys(&lines[1]));
    assert!(!ka.is_empty() && ka[0].starts_with("b0:"), "{ka:?}");
    assert!(
        ka.iter().any(|k| kb.contains(k)),
        "near copies share a band key"
    );
    assert!(keys(&lines[2]).is_empty(), "a short text has no keys");
}

#[test]
fn jsonl_output_carries_the_signature_campaigns_verifies_with() {
    let dir = scratch("mapper_minhash");
    let rows = [
        ("a", "本人张三于2023年在好借贷借款5000元，平台收取砍头息和高额服务费，严重违规，要求退还全部利息，否则将向银保监会投诉"),
        ("b", "本人李四于2024年在快易花借款12000元，平台收取砍头息和高额服务费，严重违规，要求退还全部利息，否则将向银保监会投诉"),
        ("c", "今天天气很好，我们一家人去公园散步，孩子们玩得很开心，晚上回家吃了火锅"),
        ("d", "好的"),
    ];
    let input: String = rows
        .iter()
        .map(|(id, text)| format!("{}\n", serde_json::json!({"id": id, "text": text})))
        .collect();
    let file = dir.join("rows.jsonl");
    std::fs::write(&file, &input).unwrap();
    let o = run_stdin(&["label", "-", "--format", "jsonl", "-q"], input.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    let signatures: Vec<Vec<u64>> = stdout(&o)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["minhash"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect()
        })
        .collect();
    let lengths: Vec<usize> = signatures.iter().map(Vec::len).collect();
    assert_eq!(lengths, [64, 64, 64, 0], "a short text has no signature");
    let share = |x: &[u64], y: &[u64]| {
        x.iter().zip(y).filter(|(p, q)| p == q).count() as f64 / x.len() as f64
    };
    assert!(share(&signatures[0], &signatures[1]) >= 0.55);
    assert!(share(&signatures[0], &signatures[2]) < 0.55);
    // campaigns keeps exactly the pair whose printed signatures reach its threshold.
    let o = run(&["campaigns", file.to_str().unwrap(), "--json", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let campaigns = json_lines(&stdout(&o));
    assert_eq!(campaigns.len(), 1, "{campaigns:?}");
    assert_eq!(campaigns[0]["row_ids"], serde_json::json!(["a", "b"]));
}
