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

// ---- heihui label ----

/// Labels `bytes` written to `name` in a fresh directory; returns (output, stderr, code, dir).
fn label_bytes(
    test: &str,
    name: &str,
    bytes: &[u8],
    extra: &[&str],
) -> (String, String, Option<i32>, PathBuf) {
    let dir = scratch(test);
    let input = dir.join(name);
    std::fs::write(&input, bytes).unwrap();
    let out = dir.join("out.csv");
    let mut args = vec![
        "label",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    let output = std::fs::read(&out)
        .map(|b| String::from_utf8(b).unwrap())
        .unwrap_or_default();
    (output, stderr(&o), o.status.code(), dir)
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let tabs = text.lines().next().is_some_and(|l| l.contains('\t'));
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(if tabs { b'\t' } else { b',' })
        .from_reader(text.as_bytes());
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect()
}

const SAMPLE: &str = "编号,投诉内容\n1,网贷逾期别慌，专业团队帮你停息挂账，先服务后收费，加V详聊\n2,我上个月的还款已经扣了，但账单还显示逾期，麻烦帮我查一下\n3,本人诉求如下：1.全部息费减免 2.只还本金 3.消除征信记录，否则向监管投诉\n";

#[test]
fn label_utf8_keeps_columns_and_adds_labels() {
    let (out, err, code, _) = label_bytes("label_utf8", "in.csv", SAMPLE.as_bytes(), &[]);
    assert_eq!(code, Some(0), "{err}");
    let rows = csv_rows(&out);
    assert_eq!(
        rows[0],
        [
            "编号",
            "投诉内容",
            "label",
            "confidence",
            "p_normal",
            "p_malicious_complaint",
            "p_debt_optimization",
            "needs_review",
            "hits"
        ]
    );
    let labels: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
    assert_eq!(
        labels,
        ["debt_optimization", "normal", "malicious_complaint"]
    );
    assert!(rows[1][8].contains("停息挂账(debt_optimization,+2)"));
    let p: f32 = rows[2][4].parse().unwrap();
    assert!(p > 0.5);
    assert!(err.contains("3 rows in, 3 labelled, 0 rejected"), "{err}");
}

#[test]
fn label_detects_bom_gbk_utf16_and_delimiters() {
    let expected = ["debt_optimization", "normal", "malicious_complaint"];
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(SAMPLE.as_bytes());
    let gbk = encoding_rs::GB18030.encode(SAMPLE).0.into_owned();
    let mut utf16 = vec![0xFF, 0xFE];
    for u in SAMPLE.replace(',', "\t").encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let tsv = SAMPLE.replace(',', "\t");
    let semicolon = SAMPLE.replace(',', ";");
    for (name, file, bytes) in [
        ("bom", "in.csv", bom),
        ("gbk", "in.csv", gbk),
        ("utf16", "in.txt", utf16),
        ("tsv", "in.tsv", tsv.into_bytes()),
        ("semicolon", "in.csv", semicolon.into_bytes()),
    ] {
        let (out, err, code, _) = label_bytes(&format!("label_enc_{name}"), file, &bytes, &[]);
        assert_eq!(code, Some(0), "{name}: {err}");
        let rows = csv_rows(&out);
        assert_eq!(rows[0][0], "编号", "{name}");
        let labels: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
        assert_eq!(labels, expected, "{name}");
    }
}

#[test]
fn label_names_the_columns_when_it_cannot_find_the_text() {
    let (_, err, code, _) =
        label_bytes("label_nocol", "in.csv", "编号,备注\n1,x\n".as_bytes(), &[]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("no text column found; the columns are: 编号, 备注"),
        "{err}"
    );
    let (out, _, code, _) = label_bytes(
        "label_col",
        "in.csv",
        "编号,备注\n1,停息挂账找我\n".as_bytes(),
        &["--text-column", "备注"],
    );
    assert_eq!(code, Some(0));
    assert_eq!(csv_rows(&out).len(), 2);
}

#[test]
fn label_sends_broken_rows_to_rejects_and_keeps_the_rest() {
    let mut bytes = b"id,text\n1,\xe5\xa5\xbd\n2,a,b\n3,\"open quote\n4,ok then\n5,".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe, b'\n']);
    bytes.extend_from_slice("6,\n7,最后一行\n".as_bytes());
    let (out, err, code, dir) = label_bytes("label_broken", "in.csv", &bytes, &[]);
    assert_eq!(code, Some(1), "{err}");
    let rows = csv_rows(&out);
    let ids: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["1", "4", "6", "7"]);
    assert_eq!(rows[3][2], "normal", "an empty text is normal");
    let rejects = std::fs::read_to_string(dir.join("out.rejects.csv")).unwrap();
    let reject_rows = csv_rows(&rejects);
    let lines: Vec<&str> = reject_rows[1..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(lines, ["3", "4", "6"]);
    assert!(reject_rows[1][2].starts_with("expected 2 fields, found 3"));
    assert!(reject_rows[3][2].contains("bytes invalid in UTF-8"));
    assert!(err.contains("7 rows in, 4 labelled, 3 rejected"), "{err}");
}

#[test]
fn label_explain_excel_and_formula_guard() {
    let text = "id,text\n=1+1,\"=HYPERLINK(\"\"x\"\")\"\n-2,@停息挂账\n";
    let (out, _, code, _) = label_bytes(
        "label_guard",
        "in.csv",
        text.as_bytes(),
        &["--explain", "--excel"],
    );
    assert_eq!(code, Some(0));
    assert!(out.starts_with('\u{feff}'), "--excel writes a BOM");
    let rows = csv_rows(out.trim_start_matches('\u{feff}'));
    assert_eq!(rows[0].last().unwrap(), "reason");
    assert_eq!(rows[1][0], "'=1+1");
    assert_eq!(rows[1][1], "'=HYPERLINK(\"x\")");
    assert_eq!(rows[2][1], "'@停息挂账");
    assert!(rows[2].last().unwrap().contains("停息挂账"));
    let (out, _, _, _) = label_bytes(
        "label_noguard",
        "in.csv",
        text.as_bytes(),
        &["--no-formula-guard"],
    );
    assert_eq!(csv_rows(&out)[1][0], "=1+1");
}

#[test]
fn label_handles_a_one_megabyte_field() {
    let mut long = "我的还款已经扣了但是账单还显示逾期。".repeat(20_000);
    long.push_str("最后补一句：停息挂账找我们");
    assert!(long.len() > 1_000_000);
    let text = format!("id,text\n1,{long}\n2,短\n");
    let (out, err, code, _) = label_bytes("label_long", "in.csv", text.as_bytes(), &[]);
    assert_eq!(code, Some(0), "{err}");
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1][1].len(), long.len());
    assert!(
        rows[1].last().unwrap().contains("停息挂账"),
        "phrase matching sees the whole text"
    );
}

#[test]
fn label_keeps_order_with_several_threads() {
    let mut text = String::from("id,text\n");
    let sources = [
        "网贷逾期别慌，专业团队帮你停息挂账",
        "我的还款没有到账",
        "要求全部息费减免，否则投诉到监管",
        "",
        "今天天气不错",
    ];
    for i in 0..1500 {
        text.push_str(&format!(
            "{i},{}{}\n",
            sources[i % sources.len()],
            if i % 7 == 0 { "。" } else { "" }
        ));
    }
    let (out, err, code, _) = label_bytes(
        "label_order",
        "in.csv",
        text.as_bytes(),
        &["--threads", "3", "--batch-size", "7"],
    );
    assert_eq!(code, Some(0), "{err}");
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 1501);
    for (i, row) in rows[1..].iter().enumerate() {
        assert_eq!(row[0], i.to_string());
    }
    // The same text gets the same label wherever it stands.
    assert_eq!(rows[1][2], rows[6][2]);
    assert_eq!(rows[4][2], "normal");
}

#[test]
fn label_jsonl_is_one_line_out_per_line_in() {
    let input = "{\"id\":1,\"text\":\"停*息挂账找我们，加薇信\"}\nnot json\n{\"id\":3,\"text\":\"\"}\n{\"id\":4,\"text\":\"我的还款没到账\",\"label\":\"gold\"}\n";
    let dir = scratch("label_jsonl");
    let o = heihui()
        .current_dir(&dir)
        .args(["label", "-", "--format", "jsonl", "--quiet"])
        .env(
            "HEIHUI_MODEL",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("models/heihui-zh-small"),
        )
        .env(
            "HEIHUI_CORPUS",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().unwrap().write_all(input.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["id"], 1);
    assert_eq!(lines[0]["label"], "debt_optimization");
    assert!(lines[1]["error"]
        .as_str()
        .unwrap()
        .starts_with("malformed JSON"));
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[2]["label"], "normal");
    assert_eq!(lines[3]["label"], "gold", "the input's own field is kept");
    assert_eq!(lines[3]["heihui_label"], "normal");
    assert!(dir.join("heihui-rejects.csv").exists());
}

#[test]
fn label_set_up_errors_exit_2() {
    let o = run(&["label", "no/such/file.csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/file.csv"), "{}", stderr(&o));
    let dir = scratch("label_nomodel");
    let input = dir.join("in.csv");
    std::fs::write(&input, SAMPLE).unwrap();
    let o = run(&[
        "label",
        input.to_str().unwrap(),
        "--model",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("config.json"), "{}", stderr(&o));
}

#[test]
fn label_several_inputs_add_a_source_column() {
    let dir = scratch("label_multi");
    let a = dir.join("a.csv");
    let b = dir.join("b.csv");
    std::fs::write(&a, SAMPLE).unwrap();
    std::fs::write(&b, "编号,投诉内容\n9,今天天气不错\n").unwrap();
    let o = run(&["label", a.to_str().unwrap(), b.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(0));
    let rows = csv_rows(&stdout(&o));
    assert_eq!(rows[0][0], "source");
    assert_eq!(rows.len(), 5);
    assert!(rows[4][0].ends_with("b.csv"));
}

#[test]
fn shipped_examples_label_as_documented() {
    let o = run(&["label", "examples/complaints.csv", "--quiet"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(csv_rows(&stdout(&o)).len(), 61);
    let o = run(&["label", "examples/complaints.gbk.csv", "--quiet"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(csv_rows(&stdout(&o)).len(), 61);
    let dir = scratch("label_examples_broken");
    let out = dir.join("broken.out.csv");
    let o = run(&[
        "label",
        "examples/complaints.broken.csv",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let labelled = csv_rows(&std::fs::read_to_string(&out).unwrap()).len() - 1;
    let rejected =
        csv_rows(&std::fs::read_to_string(dir.join("broken.out.rejects.csv")).unwrap()).len() - 1;
    assert_eq!((labelled, rejected), (18, 3));
}

// ---- heihui classify ----

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

/// The first `n` rows of a shipped split, written to `dir/tiny.csv`.
fn tiny_split(dir: &Path, split: &str, n: usize) -> PathBuf {
    let all = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("corpus/labeled/{split}.csv")),
    )
    .unwrap();
    let path = dir.join("tiny.csv");
    let mut w = csv::Writer::from_path(&path).unwrap();
    for r in csv_rows(&all).iter().take(n + 1) {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
    path
}

/// Trains a one-layer, 32-wide model for one epoch on `data` (as train and dev) into `out`.
fn train_tiny(data: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "train",
        "--train",
        data.to_str().unwrap(),
        "--dev",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--epochs",
        "1",
        "--layers",
        "1",
        "--hidden",
        "32",
        "--heads",
        "2",
        "--max-len",
        "32",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

// ---- heihui train and eval ----

#[test]
fn train_a_tiny_model_then_eval_with_gates() {
    let dir = scratch("train_tiny");
    let tiny = tiny_split(&dir, "train", 48);
    let out = dir.join("model");
    let o = train_tiny(&tiny, &out, &["--batch-size", "16"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for file in [
        "config.json",
        "tokenizer.json",
        "model.safetensors",
        "decision.json",
        "metrics.json",
        "MODEL_CARD.md",
        "ngram.json",
        "ngram.safetensors",
    ] {
        assert!(out.join(file).is_file(), "{file}");
    }
    let card = std::fs::read_to_string(out.join("MODEL_CARD.md")).unwrap();
    assert!(
        card.contains("heihui train --train"),
        "the card records the command"
    );

    let errors = dir.join("errors.csv");
    let report = dir.join("report.json");
    let o = run(&[
        "eval",
        tiny.to_str().unwrap(),
        "--model",
        out.to_str().unwrap(),
        "--quiet",
        "--json-out",
        report.to_str().unwrap(),
        "--errors",
        errors.to_str().unwrap(),
        "--gate",
        "accuracy>=0.0",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("== combined"));
    assert!(stdout(&o).contains("== n-gram only"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["systems"]["rows"], 48);
    let wrong = csv_rows(&std::fs::read_to_string(&errors).unwrap());
    let accuracy = json["systems"]["combined"]["accuracy"].as_f64().unwrap();
    assert_eq!(wrong.len() - 1, ((1.0 - accuracy) * 48.0).round() as usize);

    let o = run(&[
        "eval",
        tiny.to_str().unwrap(),
        "--model",
        out.to_str().unwrap(),
        "--quiet",
        "--gate",
        "macro_f1>=1.01",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("gate macro_f1>=1.01 failed: measured"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn eval_predicts_exactly_what_label_writes() {
    let dir = scratch("eval_agrees_with_label");
    let test = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/labeled/test.csv");
    // The shipped test split, plus rows the two paths once disagreed on.
    let mut data = std::fs::read_to_string(&test).unwrap();
    data.push_str("extra-1,\"   \",normal,chat,no\nextra-2,\"\u{3000}\n\",normal,sms,no\n");
    let file = dir.join("rows.csv");
    std::fs::write(&file, data).unwrap();
    let predictions = dir.join("predictions.csv");
    let o = run(&[
        "eval",
        file.to_str().unwrap(),
        "--quiet",
        "--predictions",
        predictions.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let labelled = dir.join("labelled.csv");
    let o = run(&[
        "label",
        file.to_str().unwrap(),
        "-o",
        labelled.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let predicted = csv_rows(&std::fs::read_to_string(&predictions).unwrap());
    let written = csv_rows(&std::fs::read_to_string(&labelled).unwrap());
    let column = |rows: &[Vec<String>], name: &str| {
        let i = rows[0].iter().position(|h| h == name).unwrap();
        rows[1..].iter().map(|r| r[i].clone()).collect::<Vec<_>>()
    };
    assert_eq!(predicted.len(), written.len());
    assert!(predicted.len() > 700);
    assert_eq!(column(&predicted, "id"), column(&written, "id"));
    assert_eq!(
        column(&predicted, "combined"),
        column(&written, "heihui_label")
    );
}

#[test]
fn training_is_deterministic_and_fine_tunes_from_a_model() {
    let dir = scratch("train_determinism");
    let tiny = tiny_split(&dir, "dev", 40);
    let train = |out: &Path, extra: &[&str]| {
        let mut args = vec!["--batch-size", "8", "--seed", "5"];
        args.extend_from_slice(extra);
        let o = train_tiny(&tiny, out, &args);
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read(out.join("model.safetensors")).unwrap()
    };
    let a = train(&dir.join("a"), &[]);
    let b = train(&dir.join("b"), &[]);
    assert!(a == b, "the same seed gives the same weights");
    let init = dir.join("a");
    let c = train(&dir.join("c"), &["--init", init.to_str().unwrap()]);
    assert_eq!(a.len(), c.len(), "fine-tuning keeps the size");
    assert!(a != c, "fine-tuning changes the weights");
}

#[test]
fn eval_names_a_bad_row() {
    let dir = scratch("eval_bad");
    let file = dir.join("bad.csv");
    std::fs::write(&file, "id,text,label\n1,好,normal\n2,坏,spam\n").unwrap();
    let o = run(&["eval", file.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bad.csv: row 3: column label: unknown label `spam`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn shipped_model_meets_its_gate_on_test() {
    let o = run(&[
        "eval",
        "corpus/labeled/test.csv",
        "--quiet",
        "--gate",
        "macro_f1>=0.85",
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}

// ---- issue 10: nothing lost, nothing corrupted ----

#[test]
fn train_refuses_bad_arguments_before_reading_data() {
    let dir = scratch("train_bad_args");
    let missing = dir.join("no-such-train.csv");
    let out = dir.join("model");
    for (flag, value, says) in [
        ("--heads", "0", "'--heads <HEADS>': must be at least 1"),
        ("--epochs", "0", "'--epochs <EPOCHS>': must be at least 1"),
        ("--layers", "0", "'--layers <LAYERS>': must be at least 1"),
        (
            "--batch-size",
            "0",
            "'--batch-size <BATCH_SIZE>': must be at least 1",
        ),
        (
            "--max-len",
            "0",
            "'--max-len <MAX_LEN>': must be at least 3",
        ),
        (
            "--ngram-min-df",
            "0",
            "'--ngram-min-df <N>': must be at least 1",
        ),
        (
            "--ngram-c",
            "0",
            "'--ngram-c <C>': expected a number above 0",
        ),
        (
            "--ngram-c",
            "-1",
            "'--ngram-c <C>': expected a number above 0",
        ),
        (
            "--hidden",
            "30",
            "--hidden 30 is not divisible by --heads 4",
        ),
    ] {
        let o = run(&[
            "train",
            "--train",
            missing.to_str().unwrap(),
            "--dev",
            missing.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            flag,
            value,
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{flag} {value}: {err}");
        assert!(err.contains(says), "{flag} {value}: {err}");
        assert!(!err.contains("panicked"), "{flag} {value}: {err}");
        assert!(!err.contains("no-such-train"), "{flag} {value}: {err}");
        assert!(!out.exists(), "{flag} {value}: nothing written");
    }
}

#[test]
fn formula_guard_covers_full_width_signs_and_leading_blanks() {
    let text = "id,text\n\"＝1+1\",＋86 停息挂账\n\"  =A1\",－1\n\"\t+2\",\" @cmd\"\n＠x,\u{3000}＝HYPERLINK()\n";
    let (out, err, code, _) = label_bytes("label_guard_wide", "in.csv", text.as_bytes(), &[]);
    assert_eq!(code, Some(0), "{err}");
    let rows = csv_rows(&out);
    let cells: Vec<[&str; 2]> = rows[1..]
        .iter()
        .map(|r| [r[0].as_str(), r[1].as_str()])
        .collect();
    assert_eq!(
        cells,
        [
            ["'＝1+1", "'＋86 停息挂账"],
            ["'  =A1", "'－1"],
            ["'\t+2", "' @cmd"],
            ["'＠x", "'\u{3000}＝HYPERLINK()"],
        ]
    );
}

#[test]
fn output_format_follows_the_output_extension_and_bom_is_only_for_tables() {
    let dir = scratch("label_out_ext");
    let input = dir.join("in.csv");
    std::fs::write(&input, "id,text\n1,停息挂账找我们\n2,今天天气不错\n").unwrap();
    let label = |out: &str, extra: &[&str]| {
        let out = dir.join(out);
        let mut args = vec![
            "label",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        String::from_utf8(std::fs::read(&out).unwrap()).unwrap()
    };
    for (name, extra) in [("out.jsonl", &[][..]), ("out.json", &["--excel"][..])] {
        let out = label(name, extra);
        assert!(out.starts_with('{'), "{name}: JSON lines, no BOM: {out:?}");
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{name}");
        assert_eq!(lines[0]["id"], "1", "{name}: the input's columns are kept");
        assert_eq!(lines[0]["text"], "停息挂账找我们", "{name}");
        assert!(lines[0]["label"].is_string(), "{name}: {out}");
    }
    let tsv = label("out.tsv", &["--excel"]);
    assert!(tsv.starts_with("\u{feff}id\ttext\tlabel"), "{tsv:?}");
    let csv = label("forced.jsonl", &["--format", "csv"]);
    assert!(csv.starts_with("id,text,label"), "--format wins: {csv:?}");
}

#[test]
fn an_output_or_rejects_path_that_is_an_input_is_refused_before_any_work() {
    let dir = scratch("label_same_file");
    let original = "id,text\n1,停息挂账\n2,\"bad\n";
    let input = dir.join("x.rejects.csv");
    std::fs::write(&input, original).unwrap();
    let i = input.to_str().unwrap();
    let out = dir.join("x.csv");
    let o_path = out.to_str().unwrap();
    let spelled = format!("{}/./x.rejects.csv", dir.display());
    let mut cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![i, "-o", o_path], "the rejects file"),
        (vec![i, "--rejects", &spelled], "the rejects file"),
        (vec![i, "-o", &spelled], "the output"),
    ];
    #[cfg(unix)]
    let link = dir.join("link.csv");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&input, &link).unwrap();
        cases.push((vec![i, "-o", link.to_str().unwrap()], "the output"));
    }
    for (args, what) in cases {
        let mut full = vec!["label", "--quiet"];
        full.extend_from_slice(&args);
        let o = run(&full);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
        assert!(
            err.contains(what) && err.contains("is the input"),
            "{args:?}: {err}"
        );
        assert!(err.contains(i), "{args:?}: names the input: {err}");
        assert_eq!(
            std::fs::read_to_string(&input).unwrap(),
            original,
            "{args:?}"
        );
        assert!(!out.exists(), "{args:?}: no output written");
    }
    let o = run(&["label", i, "-o", o_path, "--rejects", o_path]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("are the same file"), "{}", stderr(&o));
}

#[test]
fn corpus_refuses_long_and_letterless_phrases_and_lint_finds_bad_lines() {
    let dir = corpus_copy("corpus_phrase_checks");
    let d = dir.to_str().unwrap();
    let file = dir.join("phrases/debt_optimization.tsv");
    let before = std::fs::read_to_string(&file).unwrap();
    let long = "停".repeat(65);
    for (phrase, says) in [
        (long.as_str(), "more than 64"),
        ("12", "digits or punctuation only"),
        ("2012.12", "digits or punctuation only"),
    ] {
        let o = run(&[
            "corpus",
            "add",
            phrase,
            "-c",
            "debt_optimization",
            "--corpus",
            d,
        ]);
        assert_eq!(o.status.code(), Some(2), "{phrase}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{phrase}: {}", stderr(&o));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), before, "{phrase}");
    }
    let o = run(&[
        "corpus",
        "add",
        "64位专用",
        "-c",
        "debt_optimization",
        "--corpus",
        d,
    ]);
    assert!(
        o.status.success(),
        "a phrase with letters is fine: {}",
        stderr(&o)
    );

    // Lint: a digits-only phrase and a duplicated variant line.
    std::fs::write(&file, format!("{before}0000\t1\tdigits\n")).unwrap();
    let variants = dir.join("variants.tsv");
    let table = std::fs::read_to_string(&variants).unwrap();
    let last = table
        .lines()
        .rfind(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .unwrap()
        .to_string();
    std::fs::write(&variants, format!("{table}{last}\n")).unwrap();
    let o = run(&["corpus", "lint", "--corpus", d]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("`0000` is digits or punctuation only"),
        "{out}"
    );
    let dup_line = table.lines().count() + 1;
    assert!(
        out.contains(&format!("variants.tsv:{dup_line}: error:"))
            && out.contains("duplicates line"),
        "{out}"
    );

    // Bad UTF-8 in a phrases file names the file and line.
    let mut bytes = before.clone().into_bytes();
    bytes.extend_from_slice(b"\xff\xfe\t1\tbad\n");
    std::fs::write(&file, &bytes).unwrap();
    let o = run(&["corpus", "list", "--corpus", d]);
    assert_eq!(o.status.code(), Some(2));
    let line = before.lines().count() + 1;
    assert!(
        stderr(&o).contains(&format!(
            "debt_optimization.tsv: invalid UTF-8 at line {line}"
        )),
        "{}",
        stderr(&o)
    );
}

#[test]
fn twenty_concurrent_corpus_adds_all_keep_their_phrase() {
    let dir = corpus_copy("corpus_concurrent_add");
    let d = dir.to_str().unwrap();
    let phrases: Vec<String> = (0..20).map(|i| format!("并发测试词{i:02}号")).collect();
    let children: Vec<_> = phrases
        .iter()
        .map(|p| {
            heihui()
                .args(["corpus", "add", p, "-c", "debt_optimization", "--corpus", d])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("heihui runs")
        })
        .collect();
    for child in children {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = run(&["corpus", "list", "-c", "debt_optimization", "--corpus", d]);
    let listed = stdout(&o);
    let missing: Vec<&String> = phrases
        .iter()
        .filter(|p| !listed.contains(p.as_str()))
        .collect();
    assert!(missing.is_empty(), "lost: {missing:?}");
    let o = run(&["corpus", "lint", "--corpus", d]);
    assert!(o.status.success(), "sorted and lint-clean: {}", stdout(&o));
}

#[test]
fn label_exits_quietly_when_its_reader_closes_the_pipe() {
    use std::io::{BufRead, Write};
    let dir = scratch("closed_pipe");
    let file = dir.join("rows.csv");
    let mut data = String::from("id,text\n");
    for i in 0..3000 {
        data.push_str(&format!(
            "{i},第{i}条：周五前把钱还你，别急，晚上一起吃饭吗\n"
        ));
    }
    std::fs::write(&file, data).unwrap();
    let mut child = heihui()
        .args(["label", file.to_str().unwrap(), "--quiet"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        let stdout = child.stdout.take().unwrap();
        let mut first = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut first)
            .unwrap();
        assert!(first.starts_with("id,text"), "{first}");
    } // the reader goes away, as `| head -1` does
    let out = child.wait_with_output().unwrap();
    std::io::stderr().write_all(&out.stderr).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
