//! What a training run writes beside the weights: the tuned `decision.json`, `metrics.json`
//! and `MODEL_CARD.md`.

use std::path::Path;

use crate::decide::Decision;
use crate::error::Result;
use crate::eval::{Evaluation, Metrics, System};
use crate::model::Config;

use super::{TrainReport, TrainSettings, TransformerTraining};

/// Writes the tuned decision, `metrics.json` and `MODEL_CARD.md` into the model directory.
pub(super) fn write_results(
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
        "dev": report.dev,
        "test": report.test,
        "stack_cv": report.stack_cv.as_ref().map(|(all, without)| serde_json::json!({
            "combined": all,
            "without_transformer": without,
        })),
        "ngram_seconds": report.ngram_seconds,
        "source_batches": report.batches.map(|(batches, unlisted)| serde_json::json!({
            "batches": batches,
            "unlisted_rows": unlisted,
            "power": settings.source_power,
        })),
        "dev_curve": report.dev_curve,
        "best_epoch": report.best_epoch,
        "epochs_run": report.epochs_run,
        "parameters": report.parameters,
        "training_seconds": report.seconds,
    });
    crate::fs::write_atomic(
        &out.join("metrics.json"),
        (serde_json::to_string_pretty(&metrics).expect("metrics serialise") + "\n").as_bytes(),
    )?;
    crate::fs::write_atomic(
        &out.join("MODEL_CARD.md"),
        model_card(settings, config, report, train_n, dev_n).as_bytes(),
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
        System::ALL
            .iter()
            .filter_map(|&s| e.all.get(s).map(|m| row(system_name(s), m)))
            .collect::<String>()
    };
    let header = "| system | macro-F1 | accuracy | F1 normal | F1 malicious_complaint | F1 debt_optimization |\n| --- | --- | --- | --- | --- | --- |\n";
    let mut card = format!(
        "# heihui model card\n\n\
         A classifier for heihui's three labels (normal, malicious_complaint,\n\
         debt_optimization): a BERT encoder in Hugging Face's BertForSequenceClassification\n\
         layout, an n-gram model (TF-IDF over character n-grams, logistic regression) in\n\
         `ngram.json` and `ngram.safetensors`, and the decision that stacks them with the\n\
         corpus hits in `decision.json`.\n\n\
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
    let training = match (&settings.transformer, &settings.init) {
        (TransformerTraining::Keep, Some(init)) => format!(
            "The transformer was kept as it is in `{}`, not trained here; the n-gram part and the\n\
             decision were fitted, in {:.1} minutes on this machine's CPU, evaluation included.",
            init.display(),
            report.seconds / 60.0
        ),
        _ => format!(
            "AdamW (peak learning rate {}, weight decay {}), {:.0}% warm-up then linear decay,\n\
             batch size {}, dropout {}, class weights, seed {}; {} of at most {} epochs run, best\n\
             dev macro-F1 at epoch {}; {:.1} minutes on this machine's CPU, evaluation included.\n\
             Dev macro-F1 by epoch: {}.",
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
                .join(", ")
        ),
    };
    let training = match &report.pretrain {
        Some(p) => format!(
            "{training}\n\n\
             Before fine-tuning, masked-language pre-training (whole jieba words, {:.0}% of \
             words masked,\npeak learning rate {}): {} epochs over {} windows of {} unlabelled \
             texts, {:.1} minutes.\nLoss by epoch: {}. Masked-token accuracy on {} held-out \
             windows by epoch: {}.",
            settings.pretrain.mask_rate * 100.0,
            settings.pretrain.lr,
            p.loss_curve.len(),
            p.windows,
            p.texts,
            p.seconds / 60.0,
            p.loss_curve
                .iter()
                .map(|f| format!("{f:.3}"))
                .collect::<Vec<_>>()
                .join(", "),
            p.held_out,
            p.accuracy_curve
                .iter()
                .map(|f| format!("{f:.3}"))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        None => training,
    };
    card.push_str(&format!(
        "\n## Size\n\n\
         {} layers, hidden size {}, {} heads, feed-forward {}, windows of at most {} tokens ({}),\n\
         vocabulary {} tokens; {} parameters, `model.safetensors` {:.1} MB.\n\n\
         ## Training\n\n{training}\n\n\
         ## Metrics on dev (decision tuned on dev)\n\n{header}{}",
        config.num_hidden_layers,
        config.hidden_size,
        config.num_attention_heads,
        config.intermediate_size,
        settings.size.max_len.min(config.max_position_embeddings),
        match config.heihui_window_stride {
            Some(_) => "longer texts as overlapping windows",
            None => "head and tail of longer texts",
        },
        config.vocab_size,
        report.parameters,
        report.model_bytes as f64 / 1e6,
        system_rows(&report.dev),
    ));
    if let Some(test) = &report.test {
        card.push_str(&format!(
            "\n## Metrics on test\n\n{header}{}",
            system_rows(test)
        ));
    }
    let ngram = &settings.ngram;
    let words = match ngram.word_max_n {
        0 => String::new(),
        1 => ", and jieba's words as a second block".to_string(),
        n => format!(", and runs of 1 to {n} of jieba's words as a second block"),
    };
    let pinyin = match ngram.pinyin_max_n {
        0 => String::new(),
        1 => ", the toneless pinyin syllables as another".to_string(),
        n => format!(", runs of 1 to {n} toneless pinyin syllables as another"),
    };
    card.push_str(&format!(
        "\n## N-gram model\n\n\
         Character {}-{} grams of the normalised text{words}{pinyin}, each seen in at least {} training\n\
         rows, TF-IDF (sublinear tf, each block scaled to unit length), logistic regression with\n\
         C = {}; fitted in {:.1} s.\n",
        ngram.min_n, ngram.max_n, ngram.min_df, ngram.c, report.ngram_seconds
    ));
    if ngram.nb_c > 0.0 {
        card.push_str(&format!(
            "A second head reads the same features NB-weighted (each label's scaled by their\n\
             log-count ratios, one logistic regression per label against the rest, C = {}, its\n\
             fit in the time above); its probabilities and the first head's are averaged in the\n\
             log domain.\n",
            ngram.nb_c
        ));
    }
    if let (Some((batches, unlisted)), Some(path)) = (report.batches, &settings.sources) {
        card.push_str(&format!(
            "Each training row's log loss weighs 1 / (rows of its batch)^{} (mean 1): {batches}\n\
             batches of writing named by `{}`{}, so that no batch's habits outweigh the rest.\n",
            settings.source_power,
            path.display(),
            match unlisted {
                0 => String::new(),
                n => format!(" ({n} rows it does not list count as one batch)"),
            }
        ));
    }
    if let Some((pooling, max, mean)) = &report.pooling {
        card.push_str(&format!(
            "\n## Long texts\n\n\
             A text longer than one window is read as overlapping windows (stride {} tokens),\n\
             each window's probabilities from the encoder, pooled into the text's. Training\n\
             takes, each epoch, the window the current model finds least likely normal.\n\
             Pooling chosen on dev: {} (transformer dev macro-F1 {max:.3} with max, {mean:.3} with mean).\n",
            config.heihui_window_stride.unwrap_or(0),
            match pooling {
                crate::model::Pooling::Max => "max",
                crate::model::Pooling::Mean => "mean",
            },
        ));
    }
    card.push_str(&decision_section(&report.decision));
    if settings.decision_without_transformer {
        card.push_str(
            "\nThe decision was fitted without the transformer (`--decision-without-transformer`).\n",
        );
    }
    if let Some((all, without)) = &report.stack_cv {
        card.push_str(&format!(
            "\nFive-fold cross-validation of the stacked decision on dev: macro-F1 {:.3} (sd {:.3})\n\
             with the transformer, {:.3} (sd {:.3}) with the n-gram model and the corpus alone.\n",
            all.mean, all.std, without.mean, without.std
        ));
    }
    card
}

/// The row name of a system in the card's tables.
fn system_name(system: System) -> &'static str {
    match system {
        System::Corpus => "corpus only",
        System::Ngram => "n-gram only",
        System::Transformer => "transformer only",
        System::Combined => "combined",
    }
}

fn decision_section(d: &Decision) -> String {
    let f = |v: &[f32; 3]| format!("{:.3}, {:.3}, {:.3}", v[0], v[1], v[2]);
    match &d.stack {
        Some(s) => format!(
            "\n## Decision\n\n\
             `decision.json`, stacked, fitted on dev (per label: normal, malicious_complaint,\n\
             debt_optimization): transformer log-probability weights {}; n-gram log-probability\n\
             weights {}; hit weights {}; warning weights {}; intercepts {}; review margin {}.\n",
            f(&s.transformer),
            f(&s.ngram),
            f(&s.hits),
            f(&s.warning),
            f(&s.bias),
            d.review_margin
        ),
        None => format!(
            "\n## Decision\n\n`decision.json`: hit scale {}, warning scale {}, biases {:?} (normal,\n\
             malicious_complaint, debt_optimization), review margin {}.\n",
            d.hit_scale, d.warning_scale, d.bias, d.review_margin
        ),
    }
}
