//! The model and corpus built into the binary: a copy of it labels from any folder, and
//! `model export` / `corpus export` write them out as the repository holds them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::*;

/// A copy of the binary alone in a fresh folder, and another fresh folder to run it from,
/// with neither `./corpus` nor `./models` nor the environment variables to find the checkout.
fn copied_binary(test: &str) -> (PathBuf, PathBuf) {
    let home = scratch(&format!("{test}_bin"));
    let bin = home.join("heihui");
    std::fs::copy(env!("CARGO_BIN_EXE_heihui"), &bin).unwrap();
    (bin, scratch(&format!("{test}_work")))
}

fn run_in(bin: &Path, dir: &Path, args: &[&str]) -> Output {
    Command::new(bin)
        .current_dir(dir)
        .env_remove("HEIHUI_MODEL")
        .env_remove("HEIHUI_CORPUS")
        .args(args)
        .output()
        .unwrap()
}

fn same_tree(exported: &Path, source: &Path) {
    let mut n = 0;
    let mut stack = vec![source.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            // The writers' untracked working folder is not part of the corpus.
            if path.ends_with("labeled/raw") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(source).unwrap();
            let copy = std::fs::read(exported.join(rel))
                .unwrap_or_else(|e| panic!("{} not exported: {e}", rel.display()));
            assert!(
                copy == std::fs::read(&path).unwrap(),
                "{} differs",
                rel.display()
            );
            n += 1;
        }
    }
    assert!(n > 5, "{n} files");
}

#[test]
fn a_copied_binary_labels_and_evaluates_from_any_folder() {
    let (bin, work) = copied_binary("builtin_label");
    std::fs::write(work.join("in.csv"), SAMPLE).unwrap();
    let o = run_in(
        &bin,
        &work,
        &["label", "in.csv", "-o", "out.csv", "--quiet"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = csv_rows(&std::fs::read_to_string(work.join("out.csv")).unwrap());
    let labels: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
    assert_eq!(
        labels,
        ["debt_optimization", "normal", "malicious_complaint"]
    );

    std::fs::write(
        work.join("gold.csv"),
        "id,text,label\n1,网贷逾期别慌，专业团队帮你停息挂账，先服务后收费，加V详聊,debt_optimization\n2,我上个月的还款已经扣了，但账单还显示逾期,normal\n",
    )
    .unwrap();
    let o = run_in(&bin, &work, &["eval", "gold.csv", "--json", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(report["model"], "built-in heihui-zh-small");
    // Nothing was left behind in the working folder or beside the binary.
    let mut names: Vec<String> = std::fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["gold.csv", "in.csv", "out.csv"]);
    assert_eq!(std::fs::read_dir(bin.parent().unwrap()).unwrap().count(), 1);
}

#[test]
fn export_writes_the_repository_s_model_and_corpus() {
    let (bin, work) = copied_binary("builtin_export");
    let o = run_in(&bin, &work, &["model", "export", "m"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "wrote the built-in model heihui-zh-small (9 files) to m\n"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    same_tree(&work.join("m"), &root.join("models/heihui-zh-small"));
    let o = run_in(&bin, &work, &["corpus", "export", "c"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    same_tree(&work.join("c"), &root.join("corpus"));

    // A second export into the same folder overwrites nothing.
    let o = run_in(&bin, &work, &["corpus", "export", "c"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "heihui: c/common_chars.txt: already exists; export into an empty or new folder\n"
    );
    // The exported corpus is a corpus: edits go there.
    let o = run_in(
        &bin,
        &work,
        &[
            "corpus",
            "add",
            "债务重组专家",
            "-c",
            "debt_optimization",
            "--corpus",
            "c",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn the_built_in_corpus_and_model_are_not_edited() {
    let (bin, work) = copied_binary("builtin_readonly");
    let o = run_in(
        &bin,
        &work,
        &["corpus", "add", "债务重组专家", "-c", "debt_optimization"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "heihui: no corpus directory to edit (no ./corpus here, no --corpus or HEIHUI_CORPUS), \
         and the built-in corpus cannot be changed: write it out with `heihui corpus export DIR`, \
         then pass --corpus DIR\n"
    );
    std::fs::write(work.join("gold.csv"), "id,text,label\n1,你好,normal\n").unwrap();
    let o = run_in(&bin, &work, &["eval", "gold.csv", "--tune", "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("heihui: --tune writes decision.json into the model directory"),
        "{}",
        stderr(&o)
    );
}

/// The source tree's path is read at compile time only by tests: library and binary code
/// find the model and corpus at run time, or use the built-in ones.
#[test]
fn no_source_path_is_compiled_into_the_program() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stack = vec![root.join("src"), root.join("examples")];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            // The writers' untracked working folder is not part of the corpus.
            if path.ends_with("labeled/raw") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            // A test module in a file of its own (`#[cfg(test)] mod tests;`) is test code.
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("tests.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            if code.contains("CARGO_MANIFEST_DIR") {
                found.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    assert!(found.is_empty(), "{found:?}");
}
