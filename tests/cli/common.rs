//! What every test module shares: the binary, scratch folders, fixtures and CSV helpers.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn heihui() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_heihui"));
    cmd.env_remove("HEIHUI_CORPUS");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

pub fn run(args: &[&str]) -> Output {
    heihui().args(args).output().expect("heihui runs")
}

pub fn run_stdin(args: &[&str], stdin: &[u8]) -> Output {
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

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A scratch directory under the target dir, fresh for each test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A copy of the shipped corpus to edit.
pub fn corpus_copy(name: &str) -> PathBuf {
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

/// Labels `bytes` written to `name` in a fresh directory; returns (output, stderr, code, dir).
pub fn label_bytes(
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

pub fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let tabs = text.lines().next().is_some_and(|l| l.contains('\t'));
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(if tabs { b'\t' } else { b',' })
        .from_reader(text.as_bytes());
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect()
}

pub const SAMPLE: &str = "编号,投诉内容\n1,网贷逾期别慌，专业团队帮你停息挂账，先服务后收费，加V详聊\n2,我上个月的还款已经扣了，但账单还显示逾期，麻烦帮我查一下\n3,本人诉求如下：1.全部息费减免 2.只还本金 3.消除征信记录，否则向监管投诉\n";

/// The first `n` rows of a shipped split, written to `dir/tiny.csv`.
pub fn tiny_split(dir: &Path, split: &str, n: usize) -> PathBuf {
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
pub fn train_tiny(data: &Path, out: &Path, extra: &[&str]) -> Output {
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

/// A copy of the shipped model directory, to break or edit.
pub fn model_copy(name: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(name);
    let model = dir.join("model");
    std::fs::create_dir(&model).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/heihui-zh-small");
    for entry in std::fs::read_dir(shipped).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), model.join(entry.file_name())).unwrap();
    }
    (dir, model)
}

pub fn edit_json(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

/// Each line of `out` parsed as JSON.
pub fn json_lines(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
