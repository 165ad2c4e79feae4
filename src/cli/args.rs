//! The flags several commands share, each defined once and flattened into the commands that
//! take it, so it means the same everywhere: `--json` (JSON lines), `--quiet` (no progress
//! bar, no summary), `-o/--output` (the table's file), `--text-column`, and the model and
//! corpus selection with the one helper that loads them.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use heihui::builtin::{self, Unpacked};
use heihui::classifier::Classifier;

/// `--json`: JSON lines instead of text or a table.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct JsonArg {
    /// Write JSON lines (one object a line) instead of text or a table
    #[arg(long)]
    pub json: bool,
}

/// `-q/--quiet`: nothing on stderr but errors.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct QuietArg {
    /// No progress bar and no summary on stderr
    #[arg(long, short)]
    pub quiet: bool,
}

/// `-o/--output`: where the table goes.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArg {
    /// Output file (written to a temporary file, renamed at the end) [default: stdout]
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
}

/// `--text-column`: the column holding the texts.
#[derive(Debug, Clone, clap::Args)]
pub struct TextColumnArg {
    /// The column (or JSON field) holding the text [default: found by name (text, content,
    /// 内容, 投诉内容, ...); `text` in labelled files]
    #[arg(long, value_name = "NAME")]
    pub text_column: Option<String>,
}

impl TextColumnArg {
    /// The column of a labelled file: the one named, else `text`.
    pub fn labelled(&self) -> &str {
        self.text_column.as_deref().unwrap_or("text")
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
    pub(super) fn dir(path: PathBuf) -> Self {
        Resolved {
            path,
            builtin: None,
        }
    }

    pub(super) fn builtin(unpacked: Unpacked) -> Self {
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
    pub fn resolve(&self) -> Result<Resolved> {
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
    /// The transformer's arithmetic: fp32, or int8 (its encoder's dense layers quantised as
    /// it loads, or read quantised from a directory `heihui quantize` wrote) [default: fp32;
    /// int8 for a directory `heihui quantize` wrote]
    #[arg(long, value_enum, value_name = "PRECISION")]
    precision: Option<PrecisionArg>,
}

/// `--precision`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PrecisionArg {
    /// 32-bit floats
    Fp32,
    /// int8 weights and activations in the encoder's dense layers
    Int8,
}

impl From<PrecisionArg> for heihui::model::Precision {
    fn from(p: PrecisionArg) -> Self {
        match p {
            PrecisionArg::Fp32 => heihui::model::Precision::Fp32,
            PrecisionArg::Int8 => heihui::model::Precision::Int8,
        }
    }
}

impl ModelArg {
    /// Whether a checkpoint's tensors that `config.json` does not use are refused.
    pub fn unused_weights(&self) -> heihui::model::UnusedWeights {
        if self.allow_unused_weights {
            heihui::model::UnusedWeights::Allow
        } else {
            heihui::model::UnusedWeights::Refuse
        }
    }

    /// How the model loads: `--allow-unused-weights` and `--precision`.
    pub fn settings(&self) -> heihui::model::LoadSettings {
        heihui::model::LoadSettings {
            unused: self.unused_weights(),
            precision: self.precision.map(Into::into),
        }
    }

    /// The model directory to use: `--model`, then `HEIHUI_MODEL`, then
    /// `./models/heihui-zh-small`, then the built-in one.
    pub fn resolve(&self) -> Result<Resolved> {
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

/// A classifier with the model and corpus directories it came from (held, so a built-in one
/// stays unpacked while the command runs).
#[derive(Debug)]
pub struct Loaded {
    /// The classifier.
    pub classifier: Classifier,
    /// The model directory.
    pub model: Resolved,
    /// The corpus directory.
    pub corpus: Resolved,
}

/// Resolves `--model` and `--corpus` and loads the classifier from them: the one way every
/// classifying command loads its model.
///
/// # Errors
/// An unusable model or corpus directory.
pub fn load_classifier(model: &ModelArg, corpus: &CorpusArg) -> Result<Loaded> {
    let (model_dir, corpus_dir) = (model.resolve()?, corpus.resolve()?);
    let classifier = Classifier::load_with(&model_dir, &corpus_dir, model.settings())?;
    Ok(Loaded {
        classifier,
        model: model_dir,
        corpus: corpus_dir,
    })
}
