//! Whole-output snapshots (insta): every `--help`, `classify`'s human output and `eval`'s
//! tables, so that any change to what a user reads shows up in review as a diff of
//! `tests/cli/snapshots/`. Update them with `INSTA_UPDATE=always cargo test --release` (or
//! `cargo insta review`) when the change is meant.

use crate::common::*;

/// Every command and subcommand, as typed after `heihui`.
const COMMANDS: &[&[&str]] = &[
    &[],
    &["label"],
    &["clues"],
    &["campaigns"],
    &["classify"],
    &["segment"],
    &["match"],
    &["corpus"],
    &["corpus", "add"],
    &["corpus", "remove"],
    &["corpus", "list"],
    &["corpus", "export"],
    &["corpus", "lint"],
    &["corpus", "stats"],
    &["corpus", "suggest"],
    &["data"],
    &["data", "check"],
    &["model"],
    &["model", "export"],
    &["train"],
    &["eval"],
    &["completions"],
    &["man"],
];

#[test]
fn every_help_page() {
    for command in COMMANDS {
        let mut args: Vec<&str> = command.to_vec();
        args.push("--help");
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        let name = if command.is_empty() {
            "help".to_string()
        } else {
            format!("help-{}", command.join("-"))
        };
        insta::assert_snapshot!(name, stdout(&o));
    }
}

#[test]
fn classify_human_output() {
    let o = run(&[
        "classify",
        "网贷逾期别慌，停*息挂账找我们，加薇信详聊",
        "我上个月的还款已经扣了，但账单还显示逾期，麻烦帮我查一下",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!("classify", stdout(&o));
}

#[test]
fn eval_tables() {
    let dir = scratch("snapshot_eval");
    let file = tiny_split(&dir, "test", 60);
    let path = file.to_str().unwrap();
    let o = run(&["eval", path, "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    insta::assert_snapshot!("eval", stdout(&o).replace(path, "[FILE]"));
}
