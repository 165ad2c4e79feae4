//! The command line: clap types live here and stop here; each subcommand's file resolves its
//! arguments into the library's plain settings and wires the stages together.

mod corpus;
mod data;
mod inputs;
mod r#match;
mod progress;
mod segment;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};

/// Exit code for a run that did its work but found problems (lint errors, failed checks).
pub const EXIT_FOUND_PROBLEMS: u8 = 1;
/// Exit code for a set-up error: missing corpus, unreadable file, bad arguments.
pub const EXIT_SETUP: u8 = 2;

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
}

/// Parses the command line and runs the command.
pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Segment(args) => segment::run(args),
        Command::Match(args) => r#match::run(args),
        Command::Corpus(cmd) => corpus::run(cmd),
        Command::Data(cmd) => data::run(cmd),
    }
}

/// Options every command that reads the corpus shares.
#[derive(Debug, clap::Args)]
pub struct CorpusArg {
    /// The corpus directory (phrases/*.tsv, variants.tsv) [default: ./corpus, else the
    /// corpus shipped with heihui]
    #[arg(long, value_name = "DIR", env = "HEIHUI_CORPUS", global = true)]
    corpus: Option<PathBuf>,
}

impl CorpusArg {
    /// The corpus directory to use.
    fn resolve(&self) -> Result<PathBuf> {
        if let Some(dir) = &self.corpus {
            if !dir.join("phrases").is_dir() {
                bail!(
                    "{}: not a corpus directory (no phrases/ folder in it)",
                    dir.display()
                );
            }
            return Ok(dir.clone());
        }
        let here = Path::new("corpus");
        if here.join("phrases").is_dir() {
            return Ok(here.to_path_buf());
        }
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        if shipped.join("phrases").is_dir() {
            return Ok(shipped);
        }
        bail!("no corpus directory found: pass --corpus DIR (a folder holding phrases/*.tsv)")
    }
}
