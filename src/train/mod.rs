//! Training (`heihui train`): a BERT classifier from scratch or fine-tuned from a model
//! directory, on CPU with candle's autograd. AdamW with warm-up then linear decay, dropout,
//! class weights, evasion augmentation; the best checkpoint by dev macro-F1 is written
//! atomically whenever it improves, so an interrupted run leaves the best model so far intact;
//! early stopping; deterministic for a given seed.

use std::cell::RefCell;
use std::path::PathBuf;
use std::time::Instant;

use candle_core::{DType, Device, Tensor, D};
use candle_nn::{Optimizer, VarBuilder, VarMap};
use serde::Serialize;

pub mod augment;
mod card;
mod checkpoint;
mod finish;
pub mod pretrain;
mod schedule;

use checkpoint::{copy_transformer, count_parameters, init_weights, write_model_dir};
use finish::{finish, Finished, TrainRows};
use schedule::{class_weights, learning_rate, length_bucketed_batches};

use crate::corpus::Corpus;
use crate::data::read_labeled_column;
use crate::data::sources::Sources;
use crate::decide::Decision;
use crate::encode::{load_chars, Encoder};
use crate::error::{Result, TrainError};
use crate::eval::tune::FoldScores;
use crate::eval::{Evaluation, Metrics};
use crate::labels::Label;
use crate::model::ngram::NgramSettings;
use crate::model::{candle_error, BertClassifier, Config, Mode, Model, ModelSize, Pooling};
use crate::normalize::normalize;
use crate::rng::Rng;
use crate::segment::{Hmm, Segmenter};
use crate::train::augment::Augmenter;
use crate::train::pretrain::{pretrain, PretrainReport, PretrainSettings};

/// Everything a training run needs.
#[derive(Debug, Clone)]
pub struct TrainSettings {
    /// Labelled training rows.
    pub train: PathBuf,
    /// Labelled rows for model selection and decision tuning.
    pub dev: PathBuf,
    /// Labelled rows reported in the model card, never used for selection.
    pub test: Option<PathBuf>,
    /// The column of the labelled files holding the texts.
    pub text_column: String,
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
    /// Whether to train the transformer or keep `init`'s as it is.
    pub transformer: TransformerTraining,
    /// How the n-gram component is fitted.
    pub ngram: NgramSettings,
    /// Each training row's batch of writing (`id,source`), to weight the n-gram part's rows by
    /// batch size; `None` weighs all rows alike.
    pub sources: Option<PathBuf>,
    /// Rows weigh `1 / batch size^source_power` (0 none, 1 every batch the same in all).
    pub source_power: f64,
    /// Fit the decision on the n-gram model and the hits alone, whatever cross-validation says
    /// of the transformer.
    pub decision_without_transformer: bool,
    /// Masked-language pre-training of the transformer before it is fine-tuned.
    pub pretrain: PretrainSettings,
}

/// What training does with the transformer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransformerTraining {
    /// Train it (from scratch, or fine-tune `init`).
    Train,
    /// Keep `init`'s weights as they are; only the n-gram component and the decision are
    /// fitted.
    Keep,
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
    /// The n-gram model's fit took one more solver step.
    fn ngram_step(&mut self) {}
    /// Pre-training starts: optimiser steps planned, windows to train on.
    fn pretrain_start(&mut self, _total_steps: u64, _windows: usize) {}
    /// One pre-training step done, with its masked-token loss.
    fn pretrain_step(&mut self, _epoch: usize, _loss: f32) {}
    /// A pre-training epoch ended: its mean loss and the held-out masked-token accuracy.
    fn pretrain_epoch(&mut self, _epoch: usize, _loss: f64, _accuracy: f64) {}
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
    /// Every system on dev, with the tuned decision.
    pub dev: Evaluation,
    /// Every system on test, when given.
    pub test: Option<Evaluation>,
    /// The tuned decision parameters.
    pub decision: Decision,
    /// Cross-validated macro-F1 on dev of the stacked decision with every component, and
    /// without the transformer: what the transformer adds.
    pub stack_cv: Option<(FoldScores, FoldScores)>,
    /// Seconds spent fitting the n-gram model.
    pub ngram_seconds: f64,
    /// With `sources`: the batches among the training rows, and the rows the file did not list.
    pub batches: Option<(usize, usize)>,
    /// For a model reading long texts as windows: the pooling chosen, and the transformer's
    /// dev macro-F1 with max and with mean pooling.
    pub pooling: Option<(Pooling, f64, f64)>,
    /// What masked-language pre-training did, when it ran.
    pub pretrain: Option<PretrainReport>,
}

/// Trains a model and writes its directory.
///
/// # Errors
/// Unreadable data or corpus, an unusable `--init` model, an unwritable output directory.
pub fn train(settings: &TrainSettings, observer: &mut dyn TrainObserver) -> Result<TrainReport> {
    let started = Instant::now();
    let corpus = Corpus::load(&settings.corpus)?;
    let train_rows = read_labeled_column(&settings.train, &settings.text_column)?;
    let dev_rows = read_labeled_column(&settings.dev, &settings.text_column)?;
    if train_rows.is_empty() || dev_rows.is_empty() {
        return Err(TrainError::NoRows.into());
    }
    // Read before any training, so a bad file fails at once rather than after the transformer.
    let balance = match &settings.sources {
        Some(path) => Some(Sources::read(path)?.balance(
            train_rows.iter().map(|e| e.id.as_str()),
            settings.source_power,
        )),
        None => None,
    };
    let device = Device::Cpu;
    let normalized_train: Vec<String> = train_rows
        .iter()
        .map(|e| normalize(&e.text).as_str().to_string())
        .collect();

    if settings.transformer == TransformerTraining::Keep {
        let Some(init) = &settings.init else {
            return Err(TrainError::KeepWithoutInit.into());
        };
        let model = Model::load(init)?;
        copy_transformer(init, &settings.out)?;
        let parameters = count_parameters(&init.join("model.safetensors"))?;
        observer.finishing();
        return finish(
            settings,
            observer,
            &corpus,
            TrainRows {
                rows: &train_rows,
                normalized: &normalized_train,
                balance: balance.as_ref(),
            },
            &dev_rows,
            Finished {
                started,
                epochs_run: 0,
                best_epoch: 0,
                parameters,
                dev_curve: Vec::new(),
                config: model.config().clone(),
                pretrain: None,
            },
        );
    }
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
    let normalized_dev: Vec<String> = dev_rows
        .iter()
        .map(|e| normalize(&e.text).as_str().to_string())
        .collect();
    let pretrained = if settings.pretrain.epochs > 0 {
        let segmenter = Segmenter::new(&corpus, Hmm::On)?;
        let texts = normalized_train
            .iter()
            .chain(&normalized_dev)
            .cloned()
            .collect();
        Some(pretrain(
            &settings.pretrain,
            &model,
            &varmap,
            &segmenter,
            texts,
            settings.batch_size.max(1),
            settings.weight_decay,
            settings.warmup,
            settings.seed,
            observer,
        )?)
    } else {
        None
    };

    let class_weights = class_weights(&train_rows);
    let augmenter = Augmenter::new(&corpus);
    let dev_read: Vec<Vec<Vec<u32>>> = normalized_dev.iter().map(|n| model.read(n)).collect();

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
        let read: Vec<(Vec<Vec<u32>>, Label)> = train_rows
            .iter()
            .zip(&normalized_train)
            .map(|(e, n)| {
                let windows = if rng.next_f64() < settings.augment {
                    let rewritten = augmenter.augment(&e.text, &mut rng);
                    model.read(normalize(&rewritten).as_str())
                } else {
                    model.read(n)
                };
                (windows, e.label)
            })
            .collect();
        let encoded = most_suspicious_windows(&model, read)?;
        for batch in length_bucketed_batches(&encoded, |(ids, _)| ids.len(), batch_size, &mut rng) {
            let lr = learning_rate(settings.lr, step, warmup_steps, total_steps);
            optimizer.set_learning_rate(lr);
            let loss = train_step(&model, &batch, &class_weights, &dropout_rng, &mut optimizer)
                .map_err(|e| candle_error(&weights_path, e))?;
            step += 1;
            observer.step(epoch, loss);
        }
        let probabilities = model.probabilities_windows(&dev_read, 64)?;
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
    finish(
        settings,
        observer,
        &corpus,
        TrainRows {
            rows: &train_rows,
            normalized: &normalized_train,
            balance: balance.as_ref(),
        },
        &dev_rows,
        Finished {
            started,
            epochs_run,
            best_epoch,
            parameters,
            dev_curve,
            config,
            pretrain: pretrained,
        },
    )
}

/// One window per row to train on: the only one, or, for a text read as several, the window
/// the current model finds least likely to be normal. It is the window that max pooling lets
/// decide at inference, so training sees long texts the way they are read (for a trade text,
/// the window with the trade content; for a normal one, the hardest window).
fn most_suspicious_windows(
    model: &Model,
    read: Vec<(Vec<Vec<u32>>, Label)>,
) -> Result<Vec<(Vec<u32>, Label)>> {
    let several: Vec<usize> = (0..read.len()).filter(|&i| read[i].0.len() > 1).collect();
    let flat: Vec<&[u32]> = several
        .iter()
        .flat_map(|&i| read[i].0.iter().map(Vec::as_slice))
        .collect();
    let probabilities = model.probabilities_encoded(&flat, 64)?;
    let mut pick = vec![0usize; read.len()];
    let mut at = 0;
    for &i in &several {
        let n = read[i].0.len();
        let normal = Label::Normal.index();
        pick[i] = (0..n)
            .min_by(|&a, &b| {
                probabilities[at + a][normal].total_cmp(&probabilities[at + b][normal])
            })
            .unwrap_or(0);
        at += n;
    }
    Ok(read
        .into_iter()
        .zip(pick)
        .map(|((mut windows, label), k)| (windows.swap_remove(k), label))
        .collect())
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
