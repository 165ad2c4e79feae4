//! When output is coloured: `--color always` and `--color never` decide; `auto` colours a
//! terminal unless `NO_COLOR` is set to anything but the empty string (no-color.org) or
//! `TERM` is `dumb`.

use std::ffi::OsStr;
use std::io::IsTerminal;

/// The `--color` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Colour {
    /// Colour a terminal, unless NO_COLOR is set or TERM is dumb.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl Colour {
    /// Whether standard output gets colour.
    pub fn for_stdout(self) -> bool {
        wanted(
            self,
            std::io::stdout().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
            std::env::var_os("TERM").as_deref(),
        )
    }
}

fn wanted(choice: Colour, terminal: bool, no_color: Option<&OsStr>, term: Option<&OsStr>) -> bool {
    match choice {
        Colour::Always => true,
        Colour::Never => false,
        Colour::Auto => {
            terminal && no_color.is_none_or(OsStr::is_empty) && term.is_none_or(|t| t != "dumb")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_turns_auto_colour_off() {
        let os = |s: &'static str| Some(OsStr::new(s));
        for (choice, terminal, no_color, term, expected) in [
            (Colour::Auto, true, None, os("xterm-256color"), true),
            (Colour::Auto, true, None, None, true),
            (Colour::Auto, false, None, os("xterm"), false),
            (Colour::Auto, true, os("1"), os("xterm"), false),
            (Colour::Auto, true, os("0"), os("xterm"), false),
            (Colour::Auto, true, os(""), os("xterm"), true),
            (Colour::Auto, true, None, os("dumb"), false),
            (Colour::Always, false, os("1"), os("dumb"), true),
            (Colour::Never, true, None, os("xterm"), false),
        ] {
            assert_eq!(
                wanted(choice, terminal, no_color, term),
                expected,
                "{choice:?} terminal={terminal} NO_COLOR={no_color:?} TERM={term:?}"
            );
        }
    }
}
