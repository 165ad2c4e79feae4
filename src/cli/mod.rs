//! The command line: clap types live here and stop here; each subcommand's file resolves its
//! arguments into the library's plain settings and wires the stages together.

mod batch;
mod campaigns;
mod classify;
mod clues;
mod corpus;
mod data;
mod eval;
mod inputs;
mod label;
mod r#match;
mod progress;
mod segment;
mod train;

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
    /// Train a classifier and write a model directory.
    Train(Box<train::Args>),
    /// Measure corpus, model and combined decision on labelled data; gate CI; tune.
    Eval(Box<eval::Args>),
}

/// Parses the command line and runs the command.
pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Label(args) => label::run(*args),
        Command::Clues(args) => clues::run(*args),
        Command::Campaigns(args) => campaigns::run(*args),
        Command::Classify(args) => classify::run(*args),
        Command::Segment(args) => segment::run(args),
        Command::Match(args) => r#match::run(args),
        Command::Corpus(cmd) => corpus::run(cmd),
        Command::Data(cmd) => data::run(cmd),
        Command::Train(args) => train::run(*args),
        Command::Eval(args) => eval::run(*args),
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

/// The model directory option every command that classifies shares.
#[derive(Debug, clap::Args)]
pub struct ModelArg {
    /// A model directory (config.json, tokenizer.json, model.safetensors) [default:
    /// ./models/heihui-zh-small, else the model shipped with heihui]
    #[arg(long, value_name = "DIR", env = "HEIHUI_MODEL")]
    model: Option<PathBuf>,
}

impl ModelArg {
    /// The model directory to use.
    fn dir(&self) -> PathBuf {
        match &self.model {
            Some(dir) => dir.clone(),
            None => {
                let here = Path::new("models").join(DEFAULT_MODEL);
                if here.join("config.json").is_file() {
                    here
                } else {
                    Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("models")
                        .join(DEFAULT_MODEL)
                }
            }
        }
    }
}

/// The model shipped in `models/`.
pub const DEFAULT_MODEL: &str = "heihui-zh-small";
