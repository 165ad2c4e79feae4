//! The rest of a training run once the transformer's weights are in place: the n-gram part
//! fitted, the pooling chosen, the decision tuned on dev, every system evaluated, and the
//! results written beside the weights.

use std::path::Path;
use std::time::Instant;

use super::card::write_results;
use super::{TrainObserver, TrainReport, TrainSettings};
use crate::classifier::Classifier;
use crate::corpus::Corpus;
use crate::data::sources::Balance;
use crate::data::{read_labeled_column, Example};
use crate::decide::Decision;
use crate::error::Result;
use crate::eval::tune::{cross_validate_stack, tune_with, Components};
use crate::eval::{evaluate, Metrics};
use crate::labels::Label;
use crate::matcher::Matcher;
use crate::model::ngram::NgramModel;
use crate::model::{Config, Model, Pooling, Reading};
use crate::normalize::normalize;

/// What the transformer's training left for the rest of the run.
pub(super) struct Finished {
    pub started: Instant,
    pub epochs_run: usize,
    pub best_epoch: usize,
    pub parameters: usize,
    pub dev_curve: Vec<f64>,
    pub config: Config,
    pub pretrain: Option<super::PretrainReport>,
}

/// The training rows as the n-gram part is fitted on them.
pub(super) struct TrainRows<'a> {
    pub rows: &'a [Example],
    /// Each row's text, normalised.
    pub normalized: &'a [String],
    /// Each row's weight by its batch of writing, with `--sources`.
    pub balance: Option<&'a Balance>,
}

/// Fits the n-gram model, tunes the decision on dev, evaluates, and writes the results
/// beside the transformer's weights in `settings.out`.
pub(super) fn finish(
    settings: &TrainSettings,
    observer: &mut dyn TrainObserver,
    corpus: &Corpus,
    train: TrainRows,
    dev_rows: &[Example],
    done: Finished,
) -> Result<TrainReport> {
    let weights_path = settings.out.join("model.safetensors");
    let ngram_started = Instant::now();
    let TrainRows {
        rows: train_rows,
        normalized: normalized_train,
        balance,
    } = train;
    let texts: Vec<&str> = normalized_train.iter().map(String::as_str).collect();
    let labels: Vec<Label> = train_rows.iter().map(|e| e.label).collect();
    let weights = balance.map(|b| b.weights.as_slice());
    let ngram = NgramModel::fit_weighted(&texts, &labels, weights, &settings.ngram, &mut |_| {
        observer.ngram_step()
    })?;
    ngram.save(&settings.out)?;
    let ngram_seconds = ngram_started.elapsed().as_secs_f64();
    let pooling = choose_pooling(&settings.out, dev_rows)?;
    let model = Model::load(&settings.out)?;
    let classifier = Classifier::from_parts(
        Matcher::new(corpus)?,
        model,
        Some(ngram),
        Decision::default(),
    )
    .every_model();
    let provisional = evaluate(&classifier, dev_rows, 64, |_| {})?;
    let tuning_rows = provisional.tuning_rows();
    let given = settings
        .decision_without_transformer
        .then_some(Components::WithoutTransformer);
    let (decision, _) = tune_with(&tuning_rows, given)?;
    let stack_cv = if decision.stack.is_some() {
        Some((
            cross_validate_stack(&tuning_rows, Components::All, 5, settings.seed)?,
            cross_validate_stack(
                &tuning_rows,
                Components::WithoutTransformer,
                5,
                settings.seed,
            )?,
        ))
    } else {
        None
    };
    let dev = provisional.redecide(&decision);
    let (matcher, model, ngram, _) = classifier.into_parts();
    let classifier = Classifier::from_parts(matcher, model, ngram, decision.clone()).every_model();
    let test = match &settings.test {
        Some(path) => {
            let rows = read_labeled_column(path, &settings.text_column)?;
            Some(evaluate(&classifier, &rows, 64, |_| {})?)
        }
        None => None,
    };
    let model_bytes = std::fs::metadata(&weights_path)
        .map(|m| m.len())
        .unwrap_or(0);
    let report = TrainReport {
        epochs_run: done.epochs_run,
        best_epoch: done.best_epoch,
        parameters: done.parameters,
        model_bytes,
        seconds: done.started.elapsed().as_secs_f64(),
        dev_curve: done.dev_curve,
        dev,
        test,
        decision: decision.clone(),
        stack_cv,
        ngram_seconds,
        batches: balance.map(|b| (b.batches, b.unlisted)),
        pooling,
        pretrain: done.pretrain,
    };
    // The best weights are already in place; the run's results go beside them, each file
    // written atomically.
    write_results(
        &settings.out,
        &decision,
        settings,
        &done.config,
        &report,
        train_rows.len(),
        dev_rows.len(),
    )?;
    Ok(report)
}

/// For a model that reads long texts as windows, the pooling (mean or max) with the better
/// transformer macro-F1 on dev, written into `config.json`; max on a tie.
fn choose_pooling(out: &Path, dev_rows: &[Example]) -> Result<Option<(Pooling, f64, f64)>> {
    let model = Model::load(out)?;
    let Reading::Windows { .. } = model.config().reading() else {
        return Ok(None);
    };
    let read: Vec<Vec<Vec<u32>>> = dev_rows
        .iter()
        .map(|e| model.read(normalize(&e.text).as_str()))
        .collect();
    let f1 = |pooling| -> Result<f64> {
        let p = model.probabilities_pooled(&read, 64, pooling)?;
        Ok(Metrics::from_pairs(
            dev_rows
                .iter()
                .zip(&p)
                .map(|(e, p)| (e.label, crate::model::argmax(p))),
        )
        .macro_f1)
    };
    let (max, mean) = (f1(Pooling::Max)?, f1(Pooling::Mean)?);
    let pooling = if mean > max {
        Pooling::Mean
    } else {
        Pooling::Max
    };
    let mut config = model.config().clone();
    config.heihui_pooling = Some(pooling);
    let path = out.join("config.json");
    crate::fs::write_atomic(
        &path,
        (serde_json::to_string_pretty(&config).expect("config serialises") + "\n").as_bytes(),
    )?;
    Ok(Some((pooling, max, mean)))
}
