//! The binary, end to end: every test runs the real `heihui` on fixtures it writes itself.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn heihui() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_heihui"));
    cmd.env_remove("HEIHUI_CORPUS");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn run(args: &[&str]) -> Output {
    heihui().args(args).output().expect("heihui runs")
}

fn run_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = heihui()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("heihui runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A scratch directory under the target dir, fresh for each test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A copy of the shipped corpus to edit.
fn corpus_copy(name: &str) -> PathBuf {
    let dir = scratch(name);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    std::fs::create_dir_all(dir.join("phrases")).unwrap();
    for entry in std::fs::read_dir(src.join("phrases")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join("phrases").join(entry.file_name())).unwrap();
    }
    for file in ["variants.tsv", "dictionary.tsv"] {
        std::fs::copy(src.join(file), dir.join(file)).unwrap();
    }
    dir
}

#[test]
fn match_json_reports_original_spans() {
    let text = "您好，債*務*優*化找我，薇信 zwyh888";
    let o = run(&["match", "--json", text]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let hits = v["hits"].as_array().unwrap();
    let debt = hits.iter().find(|h| h["phrase"] == "债务优化").unwrap();
    assert_eq!(debt["kind"], "evasion");
    assert_eq!(debt["category"], "debt_optimization");
    let (s, e) = (
        debt["start"].as_u64().unwrap() as usize,
        debt["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[s..e], "債*務*優*化");
    assert!(hits
        .iter()
        .any(|h| h["kind"] == "pinyin" && h["text"] == "zwyh"));
}

#[test]
fn match_reads_stdin_lines_and_reports_no_hits() {
    let o = run_stdin(&["match"], "今天天气不错\n停息挂账找我们\n".as_bytes());
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("#1 今天天气不错\n  (no hits)"), "{out}");
    assert!(
        out.contains("#2 停息挂账找我们\n  停息挂账\tdebt_optimization\t+2\texact\t0..12"),
        "{out}"
    );
}

#[test]
fn invalid_utf8_on_stdin_is_a_clear_error() {
    let o = run_stdin(&["match"], b"ok\n\xff\xfe bad\n");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        "heihui: <stdin>: invalid UTF-8 at line 2, byte 0: convert the file to UTF-8"
    );
}

#[test]
fn segment_keeps_phrases_whole() {
    let o = run(&["segment", "专业团队帮你停*息挂账"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("停息挂账"), "{out}");
    assert!(!out.contains("停息 / 挂账"), "{out}");
    let o = run(&["segment", "--json", "考研上岸"]);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["tokens"][0]["word"], "考研上岸");
}

#[test]
fn corpus_add_list_remove_round_trip() {
    let dir = corpus_copy("corpus_round_trip");
    let d = dir.to_str().unwrap();
    let o = run(&[
        "corpus",
        "add",
        "债务重整方案",
        "-c",
        "debt_optimization",
        "-w",
        "1.5",
        "-n",
        "new pitch",
        "--corpus",
        d,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let file = std::fs::read_to_string(dir.join("phrases/debt_optimization.tsv")).unwrap();
    assert!(file.contains("债务重整方案\t1.5\tnew pitch\n"));
    let lines: Vec<&str> = file.lines().filter(|l| !l.starts_with('#')).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted, "the file stays sorted");

    let o = run(&["corpus", "list", "-c", "debt_optimization", "--corpus", d]);
    assert!(stdout(&o).contains("债务重整方案\tdebt_optimization\t1.5\t\tnew pitch"));
    let o = run(&["match", "--json", "--corpus", d, "我们有债务重整方案"]);
    assert!(
        stdout(&o).contains("债务重整方案"),
        "a new phrase takes effect at once"
    );

    let o = run(&["corpus", "remove", "債務重整方案", "--corpus", d]);
    assert!(o.status.success(), "{}", stderr(&o));
    let after = std::fs::read_to_string(dir.join("phrases/debt_optimization.tsv")).unwrap();
    assert!(!after.contains("债务重整方案"));
}

#[test]
fn corpus_add_refusals() {
    let dir = corpus_copy("corpus_refusals");
    let d = dir.to_str().unwrap();
    let before = std::fs::read_to_string(dir.join("phrases/malicious_complaint.tsv")).unwrap();
    for (args, message) in [
        (
            vec!["停*息挂账", "-c", "malicious_complaint"],
            "duplicates `停息挂账`",
        ),
        (
            vec!["停", "-c", "debt_optimization"],
            "shorter than two characters",
        ),
        (vec!["新词组", "-c", "spam"], "unknown category `spam`"),
        (
            vec!["请勿轻信", "-c", "warning_context", "-w", "1"],
            "must be negative",
        ),
    ] {
        let mut full = vec!["corpus", "add"];
        full.extend(args);
        full.extend(["--corpus", d]);
        let o = run(&full);
        assert_eq!(o.status.code(), Some(2), "{full:?}");
        assert!(stderr(&o).contains(message), "{full:?}: {}", stderr(&o));
    }
    let after = std::fs::read_to_string(dir.join("phrases/malicious_complaint.tsv")).unwrap();
    assert_eq!(before, after, "a refused edit writes nothing");
}

#[test]
fn shipped_corpus_lints_clean() {
    let o = run(&["corpus", "lint"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(!stdout(&o).contains("error:"));
}

#[test]
fn lint_fails_on_a_broken_corpus() {
    let dir = corpus_copy("corpus_broken");
    let path = dir.join("phrases/contact_lure.tsv");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("私下聊\tlots\tbad weight\n");
    std::fs::write(&path, text).unwrap();
    let o = run(&["corpus", "lint", "--corpus", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("contact_lure.tsv:"));
    assert!(stdout(&o).contains("weight `lots` is not a number"));
    // Every other command refuses to start on it, naming file and line.
    let o = run(&["match", "--corpus", dir.to_str().unwrap(), "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("contact_lure.tsv:"), "{}", stderr(&o));
}

#[test]
fn corpus_stats_puts_misfiring_phrases_first() {
    let dir = scratch("stats");
    let data = dir.join("labelled.csv");
    std::fs::write(
        &data,
        "id,text,label\n1,专业停息挂账，先服务后收费,debt_optimization\n2,停息挂账是真的吗？谨防骗局,normal\n3,停息挂账是骗局吗,normal\n4,\"要求全部息费减免，否则投诉到底\",malicious_complaint\n",
    )
    .unwrap();
    let o = run(&[
        "corpus",
        "stats",
        "--data",
        data.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows[0]["phrase"], "停息挂账");
    assert_eq!(rows[0]["hits"], serde_json::json!([2, 0, 1]));
    let full = rows.iter().find(|r| r["phrase"] == "全部息费减免").unwrap();
    assert_eq!(full["precision"], 1.0);
}

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
fn help_lists_every_command() {
    let o = run(&["--help"]);
    let out = stdout(&o);
    for cmd in ["segment", "match", "corpus", "data"] {
        assert!(out.contains(cmd), "{out}");
    }
}

#[test]
fn missing_file_is_one_clear_line() {
    let o = run(&["data", "check", "no/such/dir"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        "heihui: no/such/dir/train.csv: No such file or directory (os error 2)"
    );
}
