//! The command line: clap types live here and stop here; each subcommand's file resolves its
//! arguments into the library's plain settings and wires the stages together.

mod args;
mod batch;
mod campaigns;
mod classify;
mod clues;
mod colour;
mod completions;
mod corpus;
mod data;
mod eval;
mod inputs;
mod label;
mod r#match;
mod model;
mod progress;
mod quantize;
mod segment;
mod signals;
mod train;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

pub use args::{CorpusArg, ModelArg, Resolved};

/// Exit code for a run that did its work but found problems (lint errors, failed checks).
pub const EXIT_FOUND_PROBLEMS: u8 = 1;
/// Exit code for a set-up error: missing corpus, unreadable file, bad arguments.
pub const EXIT_SETUP: u8 = 2;

/// The exit code of a run that did its work: [`EXIT_FOUND_PROBLEMS`] when it found any of
/// `problems` (rows rejected, lint errors, failed checks), success when it found none.
fn exit_code(problems: u64) -> ExitCode {
    if problems > 0 {
        ExitCode::from(EXIT_FOUND_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    }
}

/// heihui finds the anti-collection (反催收) black and grey trade in Chinese complaint and
/// chat text: debt-optimisation sales scripts and complaints used as leverage against lenders.
#[derive(Debug, Parser)]
#[command(name = "heihui", version, about, long_about = None, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Label complaint files in batch (the main job).
    Label(Box<label::Args>),
    /// Contacts that recur across rows and the groups of rows they link.
    Clues(Box<clues::Args>),
    /// Waves of template complaints: clusters of near-duplicate texts.
    Campaigns(Box<campaigns::Args>),
    /// Classify texts one at a time and show why.
    Classify(Box<classify::Args>),
    /// Cut texts into words with jieba, corpus phrases kept whole.
    Segment(segment::Args),
    /// Find corpus phrases in texts, however they are disguised.
    Match(r#match::Args),
    /// Maintain the phrase corpus: add, remove, list, lint, stats.
    #[command(subcommand)]
    Corpus(corpus::Command),
    /// Check labelled data files.
    #[command(subcommand)]
    Data(data::Command),
    /// Write a model directory whose encoder runs at int8.
    Quantize(quantize::Args),
    /// Work with the model built into heihui.
    #[command(subcommand)]
    Model(model::Command),
    /// Train a classifier and write a model directory.
    Train(Box<train::Args>),
    /// Measure corpus, model and combined decision on labelled data; gate CI; tune.
    Eval(Box<eval::Args>),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::CompletionsArgs),
    /// Print a manual page (roff), heihui's or one command's.
    Man(completions::ManArgs),
}

/// Parses the command line and runs the command.
pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    signals::clean_up_on_signal();
    match cli.command {
        Command::Label(args) => label::run(*args),
        Command::Clues(args) => clues::run(*args),
        Command::Campaigns(args) => campaigns::run(*args),
        Command::Classify(args) => classify::run(*args),
        Command::Segment(args) => segment::run(args),
        Command::Match(args) => r#match::run(args),
        Command::Corpus(cmd) => corpus::run(cmd),
        Command::Data(cmd) => data::run(cmd),
        Command::Quantize(args) => quantize::run(args),
        Command::Model(cmd) => model::run(cmd),
        Command::Train(args) => train::run(*args),
        Command::Eval(args) => eval::run(*args),
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => completions::man(args),
    }
}

/// Writes a report to `path` (through a temporary file renamed at the end, so a failed run
/// leaves no half file) or to stdout.
///
/// # Errors
/// A failed write, or what `write` returns.
pub fn write_output(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn std::io::Write) -> Result<()>,
) -> Result<()> {
    match path {
        Some(path) => {
            let mut file = heihui::fs::AtomicFile::create(path)?;
            write(&mut file)?;
            file.commit()?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            write(&mut out)?;
            std::io::Write::flush(&mut out)?;
        }
    }
    Ok(())
}
