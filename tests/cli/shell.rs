//! `heihui completions` and `heihui man`: what they print is the shell's and man's own format,
//! made from the same definition as `--help`.

use crate::common::*;

#[test]
fn completions_for_every_shell_name_the_commands() {
    for (shell, marker) in [
        ("bash", "_heihui()"),
        ("zsh", "#compdef heihui"),
        ("fish", "complete -c heihui"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[heihui]"),
    ] {
        let o = run(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        assert!(script.contains(marker), "{shell}: no {marker}");
        for word in ["label", "classify", "corpus", "text-column"] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
    }
}

#[test]
fn bash_completes_label_s_flags() {
    let o = run(&["completions", "bash"]);
    let script = stdout(&o);
    let dir = scratch("completions_bash");
    let path = dir.join("heihui.bash");
    std::fs::write(&path, &script).unwrap();
    // Load the script into bash and ask it what follows `heihui label --te`.
    let probe = format!(
        "source {}; COMP_WORDS=(heihui label --te); COMP_CWORD=2; COMP_LINE='heihui label --te'; \
         COMP_POINT=${{#COMP_LINE}}; _heihui heihui --te label; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display()
    );
    let o = std::process::Command::new("bash")
        .args(["-c", &probe])
        .output()
        .unwrap();
    assert_eq!(stdout(&o).trim(), "--text-column", "{}", stderr(&o));
}

#[test]
fn completions_refuse_an_unknown_shell() {
    let o = run(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("invalid value 'tcsh'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn man_pages_for_heihui_and_each_command() {
    let o = run(&["man"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.contains(".TH heihui 1  \"heihui 0.1.0\""), "{page}");
    assert!(page.contains("heihui\\-label(1)"), "{page}");

    let o = run(&["man", "label"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(
        page.contains(".TH heihui-label 1  \"heihui 0.1.0\""),
        "{page}"
    );
    assert!(
        page.contains("heihui\\-label \\- Label complaint files in batch"),
        "{page}"
    );
    assert!(page.contains("\\-\\-text\\-column"), "{page}");

    let o = run(&["man", "corpus", "add"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(".TH heihui-corpus-add 1"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn man_names_an_unknown_command_and_the_known_ones() {
    let o = run(&["man", "lable"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.starts_with(
            "heihui: no command `heihui lable`: expected one of label, clues, campaigns, classify,"
        ),
        "{err}"
    );
}
