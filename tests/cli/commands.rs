//! What every command shares: help and one-line set-up errors.

use crate::common::*;

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
