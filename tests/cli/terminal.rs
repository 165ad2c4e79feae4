//! Colour and progress on a terminal: each test runs heihui under `script`, which gives it a
//! pseudo-terminal, and reads what it drew.

use std::process::Command;

use crate::common::*;

/// What heihui writes to a terminal (stdout and stderr both), run with `env` set.
fn on_a_terminal(args: &str, env: &[(&str, &str)]) -> String {
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_heihui"));
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "-c", &command, "/dev/null"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().expect("script runs");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const TEXT: &str = "'停*息挂账找我们，加薇信'";

#[test]
fn classify_colours_a_terminal() {
    assert!(on_a_terminal(&format!("classify {TEXT}"), &[]).contains("\x1b["));
}

#[test]
fn no_color_and_a_dumb_terminal_turn_colour_off() {
    for env in [[("NO_COLOR", "1")], [("NO_COLOR", "0")], [("TERM", "dumb")]] {
        let shown = on_a_terminal(&format!("classify {TEXT}"), &env);
        assert!(shown.contains("debt_optimization"), "{shown}");
        assert!(!shown.contains("\x1b["), "{env:?}: {shown:?}");
    }
    // An explicit --color always still wins.
    let shown = on_a_terminal(
        &format!("classify --color always {TEXT}"),
        &[("NO_COLOR", "1")],
    );
    assert!(shown.contains("\x1b["));
}

#[test]
fn label_shows_rows_and_their_rate_on_a_terminal_and_nothing_when_quiet() {
    let dir = scratch("terminal_label");
    let input = dir.join("in.csv");
    let mut text = String::from("编号,投诉内容\n");
    for (i, line) in SAMPLE.lines().skip(1).cycle().take(15000).enumerate() {
        let (_, body) = line.split_once(',').unwrap();
        text.push_str(&format!("{i},{body}\n"));
    }
    std::fs::write(&input, text).unwrap();
    let args = format!(
        "label {} -o {}",
        input.display(),
        dir.join("out.csv").display()
    );
    let shown = on_a_terminal(&args, &[]);
    assert!(shown.contains("labelling ["), "{shown:?}");
    assert!(
        shown.contains(" rows, ") && shown.contains(" rows/s"),
        "{shown:?}"
    );
    assert!(shown.contains("15000 rows in, 15000 labelled"), "{shown:?}");
    let shown = on_a_terminal(&format!("{args} --quiet"), &[]);
    assert_eq!(shown, "");
}
