//! `heihui completions SHELL` and `heihui man [COMMAND]`: shell completion scripts and manual
//! pages, both made from the same clap definition as `--help`, so they cannot drift from it.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

/// Print a completion script for SHELL on standard output.
#[derive(Debug, clap::Args)]
#[command(after_help = "Install (then open a new shell):\n  \
bash:  heihui completions bash > ~/.local/share/bash-completion/completions/heihui\n  \
zsh:   heihui completions zsh > ~/.zfunc/_heihui   (with fpath+=~/.zfunc before compinit)\n  \
fish:  heihui completions fish > ~/.config/fish/completions/heihui.fish\n  \
powershell:  heihui completions powershell >> $PROFILE\n  \
elvish:  heihui completions elvish >> ~/.config/elvish/rc.elv")]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    shell: Shell,
}

/// Print a manual page (roff) on standard output: heihui's, or one command's.
#[derive(Debug, clap::Args)]
#[command(after_help = "Read one: heihui man label | man -l -\n\
Install: heihui man > ~/.local/share/man/man1/heihui.1, and heihui man label > \
~/.local/share/man/man1/heihui-label.1 for each command (`man heihui-label` then works)")]
pub struct ManArgs {
    /// The command, as typed after `heihui` (`label`, `corpus add`) [default: heihui itself]
    command: Vec<String>,
}

pub fn completions(args: CompletionsArgs) -> Result<ExitCode> {
    let mut cmd = Cli::command();
    // Into a buffer first: clap_complete panics on a failed write, and a closed pipe
    // (`heihui completions bash | head`) is a normal end.
    let mut buffer = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "heihui", &mut buffer);
    let mut out = std::io::stdout().lock();
    out.write_all(&buffer)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub fn man(args: ManArgs) -> Result<ExitCode> {
    // Built once with the help subcommand off, so every subcommand knows its full name
    // (`heihui-corpus-add`) and no page is made for `help`.
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut page = &cmd;
    for (depth, name) in args.command.iter().enumerate() {
        let Some(sub) = page.find_subcommand(name) else {
            let known: Vec<&str> = page.get_subcommands().map(|c| c.get_name()).collect();
            let parent = std::iter::once("heihui")
                .chain(args.command[..depth].iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" ");
            if known.is_empty() {
                bail!("`{parent}` has no subcommands");
            }
            bail!(
                "no command `{parent} {name}`: expected one of {}",
                known.join(", ")
            );
        };
        page = sub;
    }
    let mut buffer = Vec::new();
    clap_mangen::Man::new(page.clone())
        .source(format!("heihui {}", env!("CARGO_PKG_VERSION")))
        .render(&mut buffer)?;
    let mut out = std::io::stdout().lock();
    out.write_all(&buffer)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
