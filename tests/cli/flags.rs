//! The shared flags mean the same in every command: `--json` (JSON lines), `-q/--quiet`,
//! `-o/--output` and `--text-column`.

use std::path::{Path, PathBuf};

use crate::common::*;

/// `tiny_split`'s rows with the `text` column renamed `内容`.
fn renamed_split(dir: &Path, split: &str, n: usize) -> PathBuf {
    let tiny = tiny_split(dir, split, n);
    let text = std::fs::read_to_string(&tiny).unwrap();
    let (header, rest) = text.split_once('\n').unwrap();
    let path = dir.join(format!("{split}.csv"));
    std::fs::write(&path, format!("{}\n{rest}", header.replace("text", "内容"))).unwrap();
    path
}

#[test]
fn label_json_writes_what_a_jsonl_output_file_gets() {
    let dir = scratch("flags_label_json");
    let out = dir.join("out.jsonl");
    let o = run(&["label", "-q", "--json", "examples/complaints.csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let to_file = run(&[
        "label",
        "-q",
        "-o",
        out.to_str().unwrap(),
        "examples/complaints.csv",
    ]);
    assert!(to_file.status.success(), "{}", stderr(&to_file));
    assert_eq!(stdout(&o), std::fs::read_to_string(&out).unwrap());
    assert!(stdout(&o).lines().all(|l| l.starts_with('{')));
}

#[test]
fn eval_says_json_takes_no_file_and_names_json_out() {
    let dir = scratch("flags_eval_json_file");
    let data = tiny_split(&dir, "dev", 3);
    let o = run(&["eval", data.to_str().unwrap(), "--json", "report.json"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).trim(),
        "heihui: report.json: --json takes no file, it prints the report as JSON lines on \
         stdout; write the report to a file with --json-out report.json"
    );
    assert!(!Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("report.json")
        .exists());
}

#[test]
fn eval_and_data_check_read_the_text_column_named() {
    let dir = scratch("flags_text_column");
    let data = renamed_split(&dir, "dev", 4);
    let without = run(&["eval", "-q", data.to_str().unwrap()]);
    assert_eq!(without.status.code(), Some(2), "{}", stderr(&without));
    let with = run(&[
        "eval",
        "-q",
        "--json",
        "--text-column",
        "内容",
        data.to_str().unwrap(),
    ]);
    assert!(with.status.success(), "{}", stderr(&with));
    assert_eq!(stdout(&with).lines().count(), 1, "{}", stdout(&with));

    for split in ["train", "test"] {
        renamed_split(&dir, split, 4);
    }
    let d = dir.to_str().unwrap();
    let without = run(&["data", "check", d]);
    assert_eq!(without.status.code(), Some(2), "{}", stderr(&without));
    let with = run(&["data", "check", "-q", "--json", "--text-column", "内容", d]);
    assert_ne!(with.status.code(), Some(2), "{}", stderr(&with));
    assert_eq!(stderr(&with), "", "--quiet: no summary");
    assert_eq!(stdout(&with).lines().count(), 1, "one JSON line");
    let report: serde_json::Value = serde_json::from_str(stdout(&with).trim()).unwrap();
    assert_eq!(report["splits"][0]["rows"], 4);
}

#[test]
fn train_reads_the_text_column_named_and_prints_its_report_as_json() {
    let dir = scratch("flags_train");
    let data = renamed_split(&dir, "train", 12);
    let out = dir.join("model");
    let o = train_tiny(&data, &out, &["--text-column", "内容", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let printed = stdout(&o);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let report: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert!(report["best_epoch"].is_u64(), "{report}");
}

#[test]
fn corpus_stats_writes_its_table_to_output_and_lint_is_quiet() {
    let dir = scratch("flags_corpus");
    let data = tiny_split(&dir, "dev", 6);
    let table = dir.join("stats.tsv");
    let o = run(&[
        "corpus",
        "stats",
        "-q",
        "--data",
        data.to_str().unwrap(),
        "-o",
        table.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    let written = std::fs::read_to_string(&table).unwrap();
    assert!(
        written.starts_with("phrase\tcategory\tweight\t"),
        "{written}"
    );

    let o = run(&["corpus", "lint", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
}

#[test]
fn text_commands_take_json_and_quiet() {
    for args in [
        &["classify", "--json", "-q", "专业停息挂账"][..],
        &["match", "--json", "-q", "专业停息挂账"][..],
        &["segment", "--json", "-q", "专业停息挂账"][..],
    ] {
        let o = run(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert_eq!(stdout(&o).lines().count(), 1, "{args:?}");
        assert!(serde_json::from_str::<serde_json::Value>(stdout(&o).trim()).is_ok());
    }
}
