//! Training (`heihui train`): a BERT classifier from scratch or fine-tuned from a model
//! directory, on CPU with candle's autograd. AdamW with warm-up then linear decay, dropout,
//! class weights, evasion augmentation; the best checkpoint by dev macro-F1 is written
//! atomically whenever it improves, so an interrupted run leaves the best model so far intact;
//! early stopping; deterministic for a given seed.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::{DType, Device, Tensor, D};
use candle_nn::{Optimizer, VarBuilder, VarMap};
use serde::Serialize;

use crate::augment::Augmenter;
use crate::corpus::Corpus;
use crate::data::{read_labeled, Example};
use crate::decide::{tune, Decision};
use crate::encode::{load_chars, Encoder};
use crate::error::{Error, Result};
use crate::eval::{evaluate, Evaluation, Metrics};
use crate::label::Label;
use crate::matcher::Matcher;
use crate::model::{candle_error, BertClassifier, Config, Mode, Model, ModelSize};
use crate::normalize::normalize;
use crate::rng::Rng;

/// Everything a training run needs.
#[derive(Debug, Clone)]
pub struct TrainSettings {
    /// Labelled training rows.
    pub train: PathBuf,
    /// Labelled rows for model selection and decision tuning.
    pub dev: PathBuf,
    /// Labelled rows reported in the model card, never used for selection.
    pub test: Option<PathBuf>,
    /// The model directory to write.
    pub out: PathBuf,
    /// A model directory to fine-tune instead of starting from scratch.
    pub init: Option<PathBuf>,
    /// Size of a model trained from scratch.
    pub size: ModelSize,
    /// Most passes over the training rows.
    pub epochs: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// Rows per optimiser step.
    pub batch_size: usize,
    /// Seeds initial weights, shuffling, augmentation and dropout.
    pub seed: u64,
    /// Epochs without dev improvement before stopping.
    pub patience: usize,
    /// Share of training rows given an evasive rewrite each epoch.
    pub augment: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Share of steps spent warming up the learning rate.
    pub warmup: f64,
    /// The corpus (variants for augmentation, phrases for the decision).
    pub corpus: PathBuf,
    /// Common characters added to the vocabulary.
    pub common_chars: PathBuf,
    /// The command line, for the model card.
    pub command: String,
}

/// Told what training is doing; the CLI draws a progress bar from it.
pub trait TrainObserver {
    /// Training starts: total optimiser steps planned.
    fn start(&mut self, total_steps: u64, parameters: usize);
    /// One optimiser step done, with its loss.
    fn step(&mut self, epoch: usize, loss: f32);
    /// An epoch ended with this dev macro-F1; `best` when it was saved.
    fn epoch(&mut self, epoch: usize, dev_macro_f1: f64, best: bool);
    /// The final evaluation and decision tuning are running.
    fn finishing(&mut self);
}

/// What a training run achieved.
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    /// Epochs run.
    pub epochs_run: usize,
    /// The epoch whose weights were kept.
    pub best_epoch: usize,
    /// Trainable parameters.
    pub parameters: usize,
    /// Size of `model.safetensors` in bytes.
    pub model_bytes: u64,
    /// Wall-clock training time, evaluation included.
    pub seconds: f64,
    /// Dev macro-F1 per epoch.
    pub dev_curve: Vec<f64>,
    /// The three systems on dev, with the tuned decision.
    pub dev: Evaluation,
    /// The three systems on test, when given.
    pub test: Option<Evaluation>,
    /// The tuned decision parameters.
    pub decision: Decision,
}

/// Trains a model and writes its directory.
///
/// # Errors
/// Unreadable data or corpus, an unusable `--init` model, an unwritable output directory.
pub fn train(settings: &TrainSettings, observer: &mut dyn TrainObserver) -> Result<TrainReport> {
    let started = Instant::now();
    let corpus = Corpus::load(&settings.corpus)?;
    let train_rows = read_labeled(&settings.train)?;
    let dev_rows = read_labeled(&settings.dev)?;
    if train_rows.is_empty() || dev_rows.is_empty() {
        return Err(Error::Refused(
            "training needs at least one training row and one dev row".into(),
        ));
    }
    let device = Device::Cpu;
    let normalized_train: Vec<String> = train_rows
        .iter()
        .map(|e| normalize(&e.text).as_str().to_string())
        .collect();

    let (config, encoder) = match &settings.init {
        Some(dir) => {
            let model = Model::load(dir)?;
            let encoder = Encoder::load(&dir.join("tokenizer.json"), model.encoder().max_len())?;
            (model.config().clone(), encoder)
        }
        None => {
            let common = load_chars(&settings.common_chars)?;
            let encoder = Encoder::build(
                normalized_train.iter().map(String::as_str),
                &common,
                settings.size.max_len,
            )?;
            (Config::new(encoder.vocab_size(), &settings.size), encoder)
        }
    };
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
    let weights_path = settings.out.join("model.safetensors");
    let bert = BertClassifier::load(vb, &config).map_err(|e| candle_error(&weights_path, e))?;
    let mut rng = Rng::new(settings.seed);
    match &settings.init {
        Some(dir) => {
            let path = dir.join("model.safetensors");
            let mut varmap = varmap.clone();
            varmap.load(&path).map_err(|e| candle_error(&path, e))?;
        }
        None => {
            init_weights(&varmap, &config, &mut rng).map_err(|e| candle_error(&weights_path, e))?
        }
    }
    let parameters: usize = varmap.all_vars().iter().map(|v| v.elem_count()).sum();
    let model = Model::from_parts(settings.out.clone(), config.clone(), encoder, bert);

    let class_weights = class_weights(&train_rows);
    let augmenter = Augmenter::new(&corpus);
    let dev_encoded: Vec<Vec<u32>> = dev_rows
        .iter()
        .map(|e| model.encoder().encode(normalize(&e.text).as_str()))
        .collect();

    let batch_size = settings.batch_size.max(1);
    let steps_per_epoch = train_rows.len().div_ceil(batch_size);
    let total_steps = (steps_per_epoch * settings.epochs.max(1)) as u64;
    let warmup_steps = ((total_steps as f64) * settings.warmup).ceil().max(1.0) as u64;
    observer.start(total_steps, parameters);

    let mut optimizer = candle_nn::AdamW::new(
        varmap.all_vars(),
        candle_nn::ParamsAdamW {
            lr: settings.lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: settings.weight_decay,
        },
    )
    .map_err(|e| candle_error(&weights_path, e))?;
    let dropout_rng = RefCell::new(Rng::new(settings.seed.wrapping_add(1)));
    let mut step: u64 = 0;
    let mut best: Option<(usize, f64)> = None;
    let mut dev_curve = Vec::new();
    let mut epochs_run = 0;
    for epoch in 1..=settings.epochs.max(1) {
        epochs_run = epoch;
        let encoded: Vec<(Vec<u32>, Label)> = train_rows
            .iter()
            .zip(&normalized_train)
            .map(|(e, n)| {
                let ids = if rng.next_f64() < settings.augment {
                    let rewritten = augmenter.augment(&e.text, &mut rng);
                    model.encoder().encode(normalize(&rewritten).as_str())
                } else {
                    model.encoder().encode(n)
                };
                (ids, e.label)
            })
            .collect();
        for batch in length_bucketed_batches(&encoded, batch_size, &mut rng) {
            let lr = learning_rate(settings.lr, step, warmup_steps, total_steps);
            optimizer.set_learning_rate(lr);
            let loss = train_step(&model, &batch, &class_weights, &dropout_rng, &mut optimizer)
                .map_err(|e| candle_error(&weights_path, e))?;
            step += 1;
            observer.step(epoch, loss);
        }
        let probabilities = model.probabilities_encoded(&dev_encoded, 64)?;
        let dev = Metrics::from_pairs(
            dev_rows
                .iter()
                .zip(&probabilities)
                .map(|(e, p)| (e.label, crate::model::argmax(p))),
        );
        dev_curve.push(dev.macro_f1);
        let improved = best.is_none_or(|(_, f1)| dev.macro_f1 > f1);
        if improved {
            best = Some((epoch, dev.macro_f1));
            write_model_dir(&settings.out, &config, model.encoder(), &varmap)?;
        }
        observer.epoch(epoch, dev.macro_f1, improved);
        if best.is_some_and(|(e, _)| epoch - e >= settings.patience) {
            break;
        }
    }

    observer.finishing();
    let best_epoch = best.map_or(0, |(e, _)| e);
    let model = Model::load(&settings.out)?;
    let matcher = Matcher::new(&corpus)?;
    let provisional = evaluate(
        &model,
        &matcher,
        &Decision::default(),
        &dev_rows,
        64,
        |_| {},
    )?;
    let (decision, _) = tune(&provisional.tuning_rows());
    let dev = provisional.redecide(&decision);
    let test = match &settings.test {
        Some(path) => {
            let rows = read_labeled(path)?;
            Some(evaluate(&model, &matcher, &decision, &rows, 64, |_| {})?)
        }
        None => None,
    };
    let model_bytes = std::fs::metadata(&weights_path)
        .map(|m| m.len())
        .unwrap_or(0);
    let report = TrainReport {
        epochs_run,
        best_epoch,
        parameters,
        model_bytes,
        seconds: started.elapsed().as_secs_f64(),
        dev_curve,
        dev,
        test,
        decision: decision.clone(),
    };
    // The best weights are already in place; the run's results go beside them, each file
    // written atomically.
    write_results(
        &settings.out,
        &decision,
        settings,
        &config,
        &report,
        train_rows.len(),
        dev_rows.len(),
    )?;
    Ok(report)
}

/// One optimiser step on one batch; returns the loss.
fn train_step(
    model: &Model,
    batch: &[&(Vec<u32>, Label)],
    class_weights: &[f32; 3],
    dropout_rng: &RefCell<Rng>,
    optimizer: &mut candle_nn::AdamW,
) -> candle_core::Result<f32> {
    let device = Device::Cpu;
    let ids: Vec<&[u32]> = batch.iter().map(|(ids, _)| ids.as_slice()).collect();
    let (input, mask) = model.encoder().batch(&ids, &device)?;
    let logits = model
        .network()
        .forward(&input, &mask, Mode::Train(dropout_rng))?;
    let classes = model.class_of_label();
    let mut one_hot = vec![0f32; batch.len() * 3];
    let mut weights = Vec::with_capacity(batch.len());
    for (i, (_, label)) in batch.iter().enumerate() {
        one_hot[i * 3 + classes[label.index()]] = 1.0;
        weights.push(class_weights[label.index()]);
    }
    let one_hot = Tensor::from_vec(one_hot, (batch.len(), 3), &device)?;
    let weights = Tensor::from_vec(weights, batch.len(), &device)?;
    let log_probs = candle_nn::ops::log_softmax(&logits, D::Minus1)?;
    let nll = (log_probs * one_hot)?.sum(1)?.neg()?;
    let loss = ((nll * &weights)?.sum_all()? / weights.sum_all()?.to_scalar::<f32>()? as f64)?;
    optimizer.backward_step(&loss)?;
    loss.to_scalar::<f32>()
}

/// Linear warm-up to `peak`, then linear decay to zero.
fn learning_rate(peak: f64, step: u64, warmup: u64, total: u64) -> f64 {
    if step < warmup {
        peak * (step + 1) as f64 / warmup as f64
    } else {
        let left = total.saturating_sub(step) as f64;
        let span = total.saturating_sub(warmup).max(1) as f64;
        peak * (left / span).max(0.0)
    }
}

/// Inverse-frequency class weights, normalised so a balanced set weighs 1 each.
fn class_weights(rows: &[Example]) -> [f32; 3] {
    let mut counts = [0usize; 3];
    for r in rows {
        counts[r.label.index()] += 1;
    }
    counts.map(|n| {
        if n == 0 {
            0.0
        } else {
            rows.len() as f32 / (3.0 * n as f32)
        }
    })
}

/// Shuffled batches of rows of similar length: rows are shuffled, sorted by length within
/// windows of 50 batches, cut into batches, and the batches shuffled.
fn length_bucketed_batches<'a>(
    rows: &'a [(Vec<u32>, Label)],
    batch_size: usize,
    rng: &mut Rng,
) -> Vec<Vec<&'a (Vec<u32>, Label)>> {
    let mut order: Vec<&(Vec<u32>, Label)> = rows.iter().collect();
    rng.shuffle(&mut order);
    let mut batches = Vec::new();
    for window in order.chunks_mut(batch_size * 50) {
        window.sort_by_key(|(ids, _)| ids.len());
        batches.extend(window.chunks(batch_size).map(<[_]>::to_vec));
    }
    rng.shuffle(&mut batches);
    batches
}

/// Initial weights as transformers draws them: normal(0, initializer_range) for weight
/// matrices and embeddings, ones and zeros for layer norms, zeros for biases. Names are
/// visited in sorted order so the same seed gives the same weights.
fn init_weights(varmap: &VarMap, config: &Config, rng: &mut Rng) -> candle_core::Result<()> {
    let data = varmap.data().lock().expect("not poisoned");
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for name in names {
        let var = &data[name];
        let shape = var.shape().clone();
        let n = shape.elem_count();
        let values: Vec<f32> = if name.ends_with("LayerNorm.weight") {
            vec![1.0; n]
        } else if name.ends_with(".bias") {
            vec![0.0; n]
        } else {
            (0..n)
                .map(|_| (rng.normal() * config.initializer_range) as f32)
                .collect()
        };
        var.set(&Tensor::from_vec(values, shape, &Device::Cpu)?)?;
    }
    Ok(())
}

/// Writes a checkpoint atomically: config, tokenizer, weights and the default decision into
/// a temporary directory beside `out`, then renamed over it. Results of an earlier run in
/// `out` (card, metrics) go with it: they described other weights.
fn write_model_dir(out: &Path, config: &Config, encoder: &Encoder, varmap: &VarMap) -> Result<()> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let write = |file: &str, text: String| -> Result<()> {
        let path = tmp.join(file);
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))
    };
    write(
        "config.json",
        serde_json::to_string_pretty(config).expect("config serialises") + "\n",
    )?;
    encoder.save(&tmp.join("tokenizer.json"))?;
    // So that transformers' AutoTokenizer knows the special tokens and the length.
    write(
        "tokenizer_config.json",
        serde_json::to_string_pretty(&serde_json::json!({
            "tokenizer_class": "PreTrainedTokenizerFast",
            "do_lower_case": true,
            "unk_token": "[UNK]",
            "pad_token": "[PAD]",
            "cls_token": "[CLS]",
            "sep_token": "[SEP]",
            "mask_token": "[MASK]",
            "model_max_length": encoder.max_len(),
        }))
        .expect("plain JSON")
            + "\n",
    )?;
    crate::model::save_safetensors(varmap, &tmp.join("model.safetensors"))?;
    Decision::default().save(&tmp.join("decision.json"))?;
    if out.exists() {
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        std::fs::rename(out, &old).map_err(|e| Error::io(out, e))?;
        std::fs::rename(&tmp, out).map_err(|e| Error::io(out, e))?;
        let _ = std::fs::remove_dir_all(&old);
    } else {
        std::fs::rename(&tmp, out).map_err(|e| Error::io(out, e))?;
    }
    Ok(())
}

/// Writes the tuned decision, `metrics.json` and `MODEL_CARD.md` into the model directory.
fn write_results(
    out: &Path,
    decision: &Decision,
    settings: &TrainSettings,
    config: &Config,
    report: &TrainReport,
    train_n: usize,
    dev_n: usize,
) -> Result<()> {
    decision.save(&out.join("decision.json"))?;
    let metrics = serde_json::json!({
        "dev": {
            "corpus_only": report.dev.corpus_only,
            "model_only": report.dev.model_only,
            "combined": report.dev.combined,
        },
        "test": report.test.as_ref().map(|t| serde_json::json!({
            "corpus_only": t.corpus_only,
            "model_only": t.model_only,
            "combined": t.combined,
        })),
        "dev_curve": report.dev_curve,
        "best_epoch": report.best_epoch,
        "epochs_run": report.epochs_run,
        "parameters": report.parameters,
        "training_seconds": report.seconds,
    });
    crate::corpus::write_atomic(
        &out.join("metrics.json"),
        &(serde_json::to_string_pretty(&metrics).expect("metrics serialise") + "\n"),
    )?;
    crate::corpus::write_atomic(
        &out.join("MODEL_CARD.md"),
        &model_card(settings, config, report, train_n, dev_n),
    )
}

fn model_card(
    settings: &TrainSettings,
    config: &Config,
    report: &TrainReport,
    train_n: usize,
    dev_n: usize,
) -> String {
    let system_rows = |e: &Evaluation| {
        let row = |name: &str, m: &Metrics| {
            format!(
                "| {name} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |\n",
                m.macro_f1, m.accuracy, m.labels[0].f1, m.labels[1].f1, m.labels[2].f1
            )
        };
        row("corpus only", &e.corpus_only)
            + &row("model only", &e.model_only)
            + &row("combined", &e.combined)
    };
    let header = "| system | macro-F1 | accuracy | F1 normal | F1 malicious_complaint | F1 debt_optimization |\n| --- | --- | --- | --- | --- | --- |\n";
    let mut card = format!(
        "# heihui model card\n\n\
         A BERT classifier for heihui's three labels (normal, malicious_complaint,\n\
         debt_optimization), in Hugging Face's BertForSequenceClassification layout.\n\n\
         ## Rebuild\n\n```sh\n{}\n```\n\n\
         ## Data\n\n\
         - train: `{}` ({train_n} rows), with evasion augmentation on {:.0}% of rows each epoch\n\
         - dev: `{}` ({dev_n} rows), for checkpoint selection and decision tuning\n",
        settings.command,
        settings.train.display(),
        settings.augment * 100.0,
        settings.dev.display(),
    );
    if let (Some(path), Some(test)) = (&settings.test, &report.test) {
        card.push_str(&format!(
            "- test: `{}` ({} rows), reported here only\n",
            path.display(),
            test.rows.len()
        ));
    }
    card.push_str(&format!(
        "\n## Size\n\n\
         {} layers, hidden size {}, {} heads, feed-forward {}, at most {} tokens (head and tail\n\
         of longer texts), vocabulary {} tokens; {} parameters, `model.safetensors` {:.1} MB.\n\n\
         ## Training\n\n\
         AdamW (peak learning rate {}, weight decay {}), {:.0}% warm-up then linear decay,\n\
         batch size {}, dropout {}, class weights, seed {}; {} of at most {} epochs run, best\n\
         dev macro-F1 at epoch {}; {:.1} minutes on this machine's CPU, evaluation included.\n\
         Dev macro-F1 by epoch: {}.\n\n\
         ## Metrics on dev (decision tuned on dev)\n\n{header}{}",
        config.num_hidden_layers,
        config.hidden_size,
        config.num_attention_heads,
        config.intermediate_size,
        settings.size.max_len.min(config.max_position_embeddings),
        config.vocab_size,
        report.parameters,
        report.model_bytes as f64 / 1e6,
        settings.lr,
        settings.weight_decay,
        settings.warmup * 100.0,
        settings.batch_size,
        config.hidden_dropout_prob,
        settings.seed,
        report.epochs_run,
        settings.epochs,
        report.best_epoch,
        report.seconds / 60.0,
        report
            .dev_curve
            .iter()
            .map(|f| format!("{f:.3}"))
            .collect::<Vec<_>>()
            .join(", "),
        system_rows(&report.dev),
    ));
    if let Some(test) = &report.test {
        card.push_str(&format!(
            "\n## Metrics on test\n\n{header}{}",
            system_rows(test)
        ));
    }
    card.push_str(&format!(
        "\n## Decision\n\n`decision.json`: hit scale {}, warning scale {}, biases {:?} (normal,\n\
         malicious_complaint, debt_optimization), review margin {}.\n",
        report.decision.hit_scale,
        report.decision.warning_scale,
        report.decision.bias,
        report.decision.review_margin
    ));
    card
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_warms_up_then_decays() {
        assert!((learning_rate(1.0, 0, 10, 100) - 0.1).abs() < 1e-9);
        assert!((learning_rate(1.0, 9, 10, 100) - 1.0).abs() < 1e-9);
        assert!((learning_rate(1.0, 55, 10, 100) - 0.5).abs() < 1e-9);
        assert_eq!(learning_rate(1.0, 100, 10, 100), 0.0);
    }

    #[test]
    fn class_weights_balance_counts() {
        let row = |label| Example {
            id: String::new(),
            text: String::new(),
            label,
            row: 0,
        };
        let rows = vec![
            row(Label::Normal),
            row(Label::Normal),
            row(Label::MaliciousComplaint),
            row(Label::DebtOptimization),
        ];
        let w = class_weights(&rows);
        assert!((w[0] * 2.0 - w[1]).abs() < 1e-6);
        assert!((w[1] - w[2]).abs() < 1e-6);
    }

    #[test]
    fn batches_cover_every_row_once() {
        let rows: Vec<(Vec<u32>, Label)> =
            (0..103).map(|i| (vec![0; i % 17], Label::Normal)).collect();
        let batches = length_bucketed_batches(&rows, 10, &mut Rng::new(1));
        assert_eq!(batches.len(), 11);
        assert_eq!(batches.iter().map(Vec::len).sum::<usize>(), 103);
    }
}
