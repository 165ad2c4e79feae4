//! `heihui train`: build a model directory from labelled data.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use heihui::eval::System;
use heihui::model::ngram::NgramSettings;
use heihui::model::ModelSize;
use heihui::train::pretrain::PretrainSettings;
use heihui::train::{train, TrainObserver, TrainSettings, TransformerTraining};
use indicatif::ProgressBar;

use super::args::{JsonArg, QuietArg, TextColumnArg};
use super::progress::{steps_bar, Progress};
use super::CorpusArg;

/// Train a BERT classifier on CPU and write a Hugging Face-compatible model directory.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The best checkpoint by dev macro-F1 is written to --out whenever it \
improves, so Ctrl-C leaves the best model so far intact. At the end the decision \
(model + phrase hits) is tuned on --dev and MODEL_CARD.md and metrics.json are written.\n\n\
Examples:\n  heihui train --out models/my-model\n  heihui train --out models/tuned --init models/heihui-zh-small --epochs 3"
)]
pub struct Args {
    /// Labelled training rows (id,text,label)
    #[arg(long, value_name = "FILE", default_value = "corpus/labeled/train.csv")]
    train: PathBuf,
    /// Labelled rows for checkpoint selection and decision tuning
    #[arg(long, value_name = "FILE", default_value = "corpus/labeled/dev.csv")]
    dev: PathBuf,
    /// Labelled rows reported in the model card only
    #[arg(long, value_name = "FILE")]
    test: Option<PathBuf>,
    /// The model directory to write
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Fine-tune this model directory instead of training from scratch (its size and
    /// tokenizer are kept)
    #[arg(long, value_name = "DIR")]
    init: Option<PathBuf>,
    /// Most passes over the training data
    #[arg(long, default_value_t = 12, value_parser = at_least::<1>)]
    epochs: usize,
    /// Peak learning rate [default: 5e-4 from scratch, 5e-5 with --init]
    #[arg(long)]
    lr: Option<f64>,
    /// Rows per optimiser step
    #[arg(long, default_value_t = 32, value_parser = at_least::<1>)]
    batch_size: usize,
    /// Longest input in tokens; longer texts keep their head and tail
    #[arg(long, default_value_t = 128, value_parser = at_least::<MIN_MAX_LEN>)]
    max_len: usize,
    /// Transformer layers
    #[arg(long, default_value_t = 2, value_parser = at_least::<1>)]
    layers: usize,
    /// Hidden size
    #[arg(long, default_value_t = 128, value_parser = at_least::<1>)]
    hidden: usize,
    /// Attention heads
    #[arg(long, default_value_t = 4, value_parser = at_least::<1>)]
    heads: usize,
    /// Feed-forward size [default: 4 x hidden]
    #[arg(long, value_parser = at_least::<1>)]
    intermediate: Option<usize>,
    /// Random seed: the same seed gives the same model
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Stop after this many epochs without dev improvement
    #[arg(long, default_value_t = 3)]
    patience: usize,
    /// Share of training rows rewritten with evasions each epoch
    #[arg(long, default_value_t = 0.3)]
    augment: f64,
    /// AdamW weight decay
    #[arg(long, default_value_t = 0.01)]
    weight_decay: f64,
    /// Share of steps spent warming up
    #[arg(long, default_value_t = 0.1)]
    warmup: f64,
    /// Characters always in the vocabulary [default: the corpus's common_chars.txt]
    #[arg(long, value_name = "FILE")]
    common_chars: Option<PathBuf>,
    /// Keep --init's transformer as it is: only fit the n-gram part and the decision
    #[arg(long, requires = "init")]
    keep_transformer: bool,
    /// Masked-language pre-training before fine-tuning: passes over the unlabelled texts
    /// (the train and dev texts without labels, and --pretrain-texts); 0 skips it
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        conflicts_with = "keep_transformer"
    )]
    pretrain_epochs: usize,
    /// More unlabelled texts for pre-training (CSV, TSV, JSON lines or xlsx; the text column
    /// is found as `label` finds it); repeatable
    #[arg(long, value_name = "FILE", requires = "pretrain_epochs")]
    pretrain_texts: Vec<PathBuf>,
    /// Share of jieba words masked in each pre-training window
    #[arg(long, value_name = "SHARE", default_value_t = 0.15, value_parser = share)]
    mask_rate: f64,
    /// Peak learning rate of pre-training
    #[arg(long, value_name = "LR", default_value_t = 5e-4, value_parser = above_zero)]
    pretrain_lr: f64,
    /// N-gram part: drop character and word n-grams seen in fewer training rows
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = at_least::<1>)]
    ngram_min_df: usize,
    /// N-gram part: inverse regularisation strength of its logistic regression
    #[arg(
        long,
        value_name = "C",
        default_value_t = 30.0,
        value_parser = above_zero,
        allow_negative_numbers = true
    )]
    ngram_c: f64,
    /// N-gram part: longest run of jieba words in its word block (0 leaves the block out)
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=3))]
    ngram_words: u8,
    /// N-gram part: longest run of pinyin syllables in its pinyin block, which reads each
    /// character by its sound, so that a homophone spelling shares the features of the word it
    /// stands for (0 leaves the block out)
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=3))]
    ngram_pinyin: u8,
    /// N-gram part: inverse regularisation strength of its second, NB-weighted head (each
    /// label's features scaled by their log-count ratios, one regression per label against the
    /// rest, its log-probabilities averaged with the first head's); 0 leaves the head out
    #[arg(long, value_name = "C", default_value_t = 30.0, value_parser = zero_or_above)]
    ngram_nb_c: f64,
    /// N-gram part: a CSV with `id` and `source` columns naming the batch of writing (writer,
    /// export, campaign) each training row came from; rows are weighted so that large batches
    /// do not outweigh the rest (see --source-power). The project's own is
    /// corpus/labeled/sources.csv
    #[arg(long, value_name = "FILE")]
    sources: Option<PathBuf>,
    /// With --sources: each row's weight is 1 / (rows of its batch)^POWER, scaled to a mean of
    /// 1; 0 weighs every row alike, 1 gives every batch the same total weight
    #[arg(long, value_name = "POWER", default_value_t = 0.5, requires = "sources", value_parser = power)]
    source_power: f64,
    /// Fit the decision on the n-gram model and the corpus hits alone, giving the transformer no
    /// weight (so `label` never runs it), instead of keeping it where cross-validation on dev
    /// says it helps; for a fast model, or to score the decision on rows the transformer saw
    #[arg(long)]
    decision_without_transformer: bool,
    #[command(flatten)]
    text: TextColumnArg,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    quiet: QuietArg,
    #[command(flatten)]
    corpus: CorpusArg,
}

/// The shortest `--max-len`: `[CLS]`, one token and `[SEP]`.
const MIN_MAX_LEN: usize = 3;

/// A whole number of at least `MIN`, for counts and sizes where zero (or less than `MIN`)
/// would divide by zero or train nothing.
fn at_least<const MIN: usize>(value: &str) -> std::result::Result<usize, String> {
    let n: usize = value
        .parse()
        .map_err(|_| format!("expected a whole number of at least {MIN}"))?;
    if n < MIN {
        return Err(format!("must be at least {MIN}"));
    }
    Ok(n)
}

/// A finite number above zero (a regularisation strength).
fn above_zero(value: &str) -> std::result::Result<f64, String> {
    match value.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err("expected a number above 0".into()),
    }
}

/// A finite number of 0 or more (0 turns the setting off).
fn zero_or_above(value: &str) -> std::result::Result<f64, String> {
    match value.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err("expected a number of 0 or more".into()),
    }
}

/// A power from 0 to 1.
fn power(value: &str) -> std::result::Result<f64, String> {
    match value.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err("expected a number from 0 to 1 (for example 0.5)".into()),
    }
}

/// A share strictly between 0 and 1.
fn share(value: &str) -> std::result::Result<f64, String> {
    match value.parse::<f64>() {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        _ => Err("expected a number between 0 and 1 (for example 0.15)".into()),
    }
}

/// What clap cannot check alone: arguments that must agree with each other. Runs before any
/// data is read, so a bad combination is one clear line instead of a failure halfway.
fn check(args: &Args) -> Result<()> {
    if !args.hidden.is_multiple_of(args.heads) {
        bail!(
            "--hidden {} is not divisible by --heads {}: each head gets an equal share of the \
             hidden size (e.g. --hidden 128 --heads 4)",
            args.hidden,
            args.heads
        );
    }
    Ok(())
}

struct Bar {
    bar: ProgressBar,
    mode: Progress,
    last_f1: Option<f64>,
    loss: f32,
}

impl Bar {
    /// A line above the bar, or on stderr when there is no bar (not a terminal).
    fn say(&self, line: String) {
        if !self.bar.is_hidden() {
            self.bar.println(line);
        } else if self.mode == Progress::Auto {
            eprintln!("{line}");
        }
    }
}

impl Bar {
    /// Folds one step's loss into the running loss the bar shows.
    fn smooth(&mut self, loss: f32) {
        self.loss = if self.loss == 0.0 {
            loss
        } else {
            0.95 * self.loss + 0.05 * loss
        };
    }
}

impl TrainObserver for Bar {
    fn start(&mut self, total_steps: u64, parameters: usize) {
        self.bar.finish_and_clear();
        self.bar = steps_bar(total_steps, self.mode);
        self.say(format!(
            "training {parameters} parameters, {total_steps} steps at most"
        ));
    }

    fn step(&mut self, epoch: usize, loss: f32) {
        self.smooth(loss);
        let f1 = self.last_f1.map_or("-".into(), |f| format!("{f:.3}"));
        self.bar
            .set_message(format!("epoch {epoch} loss {:.3} dev F1 {f1}", self.loss));
        self.bar.inc(1);
    }

    fn epoch(&mut self, epoch: usize, dev_macro_f1: f64, best: bool) {
        self.last_f1 = Some(dev_macro_f1);
        let mark = if best { " (best, saved)" } else { "" };
        self.say(format!(
            "epoch {epoch}: dev macro-F1 {dev_macro_f1:.4}{mark}"
        ));
    }

    fn pretrain_start(&mut self, total_steps: u64, windows: usize) {
        self.bar = steps_bar(total_steps, self.mode);
        self.say(format!(
            "pre-training on {windows} windows of unlabelled text, {total_steps} steps"
        ));
    }

    fn pretrain_step(&mut self, epoch: usize, loss: f32) {
        self.smooth(loss);
        self.bar.set_message(format!(
            "pre-training epoch {epoch} masked-token loss {:.3}",
            self.loss
        ));
        self.bar.inc(1);
    }

    fn pretrain_epoch(&mut self, epoch: usize, loss: f64, accuracy: f64) {
        self.loss = 0.0;
        self.say(format!(
            "pre-training epoch {epoch}: loss {loss:.4}, held-out masked-token accuracy {accuracy:.4}"
        ));
    }

    fn finishing(&mut self) {
        self.bar.finish_and_clear();
        if self.mode == Progress::Auto {
            eprintln!(
                "fitting the n-gram part, tuning the decision on dev, writing the model card"
            );
        }
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    check(&args)?;
    let size = ModelSize {
        layers: args.layers,
        hidden: args.hidden,
        heads: args.heads,
        intermediate: args.intermediate.unwrap_or(4 * args.hidden),
        max_len: args.max_len,
    };
    let command = std::iter::once("heihui".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let corpus = args.corpus.resolve()?;
    let settings = TrainSettings {
        train: args.train,
        dev: args.dev,
        test: args.test,
        text_column: args.text.labelled().to_string(),
        out: args.out,
        lr: args
            .lr
            .unwrap_or(if args.init.is_some() { 5e-5 } else { 5e-4 }),
        init: args.init,
        size,
        epochs: args.epochs,
        batch_size: args.batch_size,
        seed: args.seed,
        patience: args.patience,
        augment: args.augment,
        weight_decay: args.weight_decay,
        warmup: args.warmup,
        common_chars: args
            .common_chars
            .unwrap_or_else(|| corpus.join("common_chars.txt")),
        corpus: corpus.to_path_buf(),
        command,
        transformer: if args.keep_transformer {
            TransformerTraining::Keep
        } else {
            TransformerTraining::Train
        },
        ngram: NgramSettings {
            min_df: args.ngram_min_df,
            c: args.ngram_c,
            word_max_n: usize::from(args.ngram_words),
            pinyin_max_n: usize::from(args.ngram_pinyin),
            nb_c: args.ngram_nb_c,
            ..NgramSettings::default()
        },
        sources: args.sources,
        source_power: args.source_power,
        decision_without_transformer: args.decision_without_transformer,
        pretrain: PretrainSettings {
            epochs: args.pretrain_epochs,
            mask_rate: args.mask_rate,
            texts: args.pretrain_texts,
            lr: args.pretrain_lr,
        },
    };
    let mode = Progress::from_quiet(args.quiet.quiet);
    let mut bar = Bar {
        bar: ProgressBar::hidden(),
        mode,
        last_f1: None,
        loss: 0.0,
    };
    let report = train(&settings, &mut bar)?;
    if args.json.json {
        let mut line = heihui::output::json::record(&report);
        line.insert(
            "decision".into(),
            heihui::output::json::decision(&report.decision),
        );
        println!("{}", serde_json::Value::Object(line));
    }
    if !args.quiet.quiet {
        let f1 = |s: System| {
            report
                .dev
                .all
                .get(s)
                .map_or("-".into(), |m| format!("{:.4}", m.macro_f1))
        };
        eprintln!(
            "{}: dev macro-F1 transformer {} (best epoch {} of {}), n-gram {}, combined {}{}; {:.1} min",
            settings.out.display(),
            f1(System::Transformer),
            report.best_epoch,
            report.epochs_run,
            f1(System::Ngram),
            f1(System::Combined),
            report
                .test
                .as_ref()
                .map(|t| format!(", test combined {:.4}", t.combined().macro_f1))
                .unwrap_or_default(),
            report.seconds / 60.0
        );
    }
    Ok(ExitCode::SUCCESS)
}
