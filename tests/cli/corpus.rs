//! `match`, `segment` and the corpus commands.

use crate::common::*;
use std::process::Stdio;

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
    // JSON lines: one object a phrase.
    let rows: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows[0]["phrase"], "停息挂账");
    assert_eq!(
        rows[0]["hits"],
        serde_json::json!({"normal": 2, "malicious_complaint": 0, "debt_optimization": 1})
    );
    let full = rows.iter().find(|r| r["phrase"] == "全部息费减免").unwrap();
    assert_eq!(full["precision"], 1.0);
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
