//! `label`: reading, writing, rejects and the formats.

use crate::common::*;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

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
            "hits",
            "contacts"
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
    let hits = rows[0].iter().position(|c| c == "hits").unwrap();
    assert!(
        rows[1][hits].contains("停息挂账"),
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

/// Warnings first, then far more sales hits: listing only the first hits would show nothing
/// but warnings, while the label must weigh them all.
fn many_hits_text(warnings: usize, sales: usize) -> String {
    format!(
        "{}{}",
        "谨防上当。".repeat(warnings),
        "专业停息挂账，".repeat(sales)
    )
}

fn label_json(test: &str, text: &str, extra: &[&str]) -> serde_json::Value {
    let dir = scratch(test);
    let input = dir.join("in.csv");
    std::fs::write(&input, format!("id,text\n1,{text}\n")).unwrap();
    let mut args = vec![
        "label",
        "-q",
        "--json",
        "--explain",
        input.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_str(stdout(&o).trim()).unwrap()
}

#[test]
fn a_row_with_more_hits_than_the_cap_lists_the_cap_and_counts_them_all() {
    let text = many_hits_text(30, 1200);
    let whole = label_json("hits_uncapped", &text, &["--max-hits-per-row", "100000"]);
    let all = whole["hits"].as_array().unwrap();
    let total = all.len();
    assert!(total > 1200, "{total} hits");
    assert_eq!(whole["hit_count"], total);
    assert_eq!(whole["label"], "debt_optimization");
    assert!(!whole["reason"].as_str().unwrap().contains("more hits"));

    let capped = label_json("hits_capped", &text, &["--max-hits-per-row", "30"]);
    let listed = capped["hits"].as_array().unwrap();
    assert_eq!(listed.len(), 30);
    assert_eq!(listed[..], all[..30], "the first hits, in text order");
    assert!(
        listed.iter().all(|h| h["category"] == "warning_context"),
        "only warnings listed: {listed:?}"
    );
    assert_eq!(capped["hit_count"], total);
    for key in ["label", "confidence", "probabilities", "needs_review"] {
        assert_eq!(capped[key], whole[key], "{key}: the label weighs every hit");
    }
    let reason = capped["reason"].as_str().unwrap();
    assert_eq!(reason.matches("「").count(), 30, "{reason}");
    assert!(
        reason.contains(&format!(
            "(exact, -1.5, against the trade labels); and {} more hits ({total} in all, every one weighed); score of",
            total - 30
        )),
        "{reason}"
    );

    // Without the flag, a row lists 1,000.
    let default = label_json("hits_default", &text, &[]);
    assert_eq!(default["hits"].as_array().unwrap()[..], all[..1000]);
    assert_eq!(default["hit_count"], total);
    assert_eq!(default["label"], whole["label"]);
}

#[test]
fn a_csv_hits_cell_past_the_cap_says_how_many_more() {
    let text = many_hits_text(3, 40);
    let csv_text = format!("id,text\n1,{text}\n2,停息挂账\n");
    let (out, err, code, _) = label_bytes(
        "hits_csv_cell",
        "in.csv",
        csv_text.as_bytes(),
        &["--max-hits-per-row", "5"],
    );
    assert_eq!(code, Some(0), "{err}");
    let rows = csv_rows(&out);
    let hits = rows[0].iter().position(|c| c == "hits").unwrap();
    let items: Vec<&str> = rows[1][hits].split("; ").collect();
    assert_eq!(items.len(), 6, "{:?}", rows[1][hits]);
    assert!(
        items[..3].iter().all(|i| i.starts_with("谨防(")),
        "{items:?}"
    );
    assert!(items[3].starts_with("停息挂账("), "{items:?}");
    assert_eq!(items[5], "... and 38 more (43 hits in all)");
    assert_eq!(
        rows[2][hits], "停息挂账(debt_optimization,+2)",
        "a row under the cap"
    );
}
