//! The command line: clap types live here and stop here; each subcommand's file resolves its
//! arguments into the library's plain settings and wires the stages together.

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
mod segment;
mod signals;
mod train;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};
use heihui::builtin::{self, Unpacked};

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
        Command::Model(cmd) => model::run(cmd),
        Command::Train(args) => train::run(*args),
        Command::Eval(args) => eval::run(*args),
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => completions::man(args),
    }
}

/// A model or corpus directory as resolved: the user's own, or the built-in one unpacked for
/// this run (removed when this is dropped, so hold it until everything is loaded: the
/// segmenter reads the corpus's `dictionary.tsv` after the phrases).
#[derive(Debug)]
pub struct Resolved {
    path: PathBuf,
    builtin: Option<Unpacked>,
}

impl Resolved {
    fn dir(path: PathBuf) -> Self {
        Resolved {
            path,
            builtin: None,
        }
    }

    fn builtin(unpacked: Unpacked) -> Self {
        Resolved {
            path: unpacked.path().to_path_buf(),
            builtin: Some(unpacked),
        }
    }

    /// Whether this is the built-in model or corpus.
    pub fn is_builtin(&self) -> bool {
        self.builtin.is_some()
    }

    /// How to name it to the user: its path, or `built-in`.
    pub fn describe(&self, what: &str) -> String {
        if self.is_builtin() {
            format!("built-in {what}")
        } else {
            self.path.display().to_string()
        }
    }
}

impl std::ops::Deref for Resolved {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
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
    /// The corpus directory (phrases/*.tsv, variants.tsv) [default: ./corpus when it has
    /// phrases/, else the corpus built into heihui]
    #[arg(long, value_name = "DIR", env = "HEIHUI_CORPUS", global = true)]
    corpus: Option<PathBuf>,
}

impl CorpusArg {
    /// The corpus directory to use: `--corpus`, then `HEIHUI_CORPUS`, then `./corpus`, then
    /// the built-in one.
    fn resolve(&self) -> Result<Resolved> {
        if let Some(dir) = &self.corpus {
            if !dir.join("phrases").is_dir() {
                bail!(
                    "{}: not a corpus directory (no phrases/ folder in it)",
                    dir.display()
                );
            }
            return Ok(Resolved::dir(dir.clone()));
        }
        let here = Path::new("corpus");
        if here.join("phrases").is_dir() {
            return Ok(Resolved::dir(here.to_path_buf()));
        }
        Ok(Resolved::builtin(Unpacked::corpus()?))
    }
}

/// The model directory option every command that classifies shares.
#[derive(Debug, clap::Args)]
pub struct ModelArg {
    /// A model directory (config.json, tokenizer.json, model.safetensors) [default:
    /// ./models/heihui-zh-small when it has config.json, else the model built into heihui]
    #[arg(long, value_name = "DIR", env = "HEIHUI_MODEL")]
    model: Option<PathBuf>,
    /// Load a model whose model.safetensors holds tensors its config.json does not use (more
    /// layers than num_hidden_layers, say), ignoring them [default: refuse it]
    #[arg(long)]
    allow_unused_weights: bool,
}

impl ModelArg {
    /// Whether a checkpoint's tensors that `config.json` does not use are refused.
    fn unused_weights(&self) -> heihui::model::UnusedWeights {
        if self.allow_unused_weights {
            heihui::model::UnusedWeights::Allow
        } else {
            heihui::model::UnusedWeights::Refuse
        }
    }

    /// The model directory to use: `--model`, then `HEIHUI_MODEL`, then
    /// `./models/heihui-zh-small`, then the built-in one.
    fn resolve(&self) -> Result<Resolved> {
        if let Some(dir) = &self.model {
            return Ok(Resolved::dir(dir.clone()));
        }
        let here = Path::new("models").join(builtin::MODEL_NAME);
        if here.join("config.json").is_file() {
            return Ok(Resolved::dir(here));
        }
        Ok(Resolved::builtin(Unpacked::model()?))
    }
}
