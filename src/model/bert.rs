//! BERT's own parts (`BertForSequenceClassification`): the base model under `bert.`, position
//! ids from 0, and the pooler (`bert.pooler.dense`, tanh) before `classifier`.

use candle_core::Result;
use candle_nn::VarBuilder;

use super::config::Config;
use super::layers::{linear, Embeddings, Head, HeadActivation, HeadDropout, Positions};

/// The embeddings, from the base model's `vb` (`bert`).
pub(super) fn embeddings(base: &VarBuilder, cfg: &Config) -> Result<Embeddings> {
    Embeddings::load(
        base.pp("embeddings"),
        cfg,
        cfg.hidden_size,
        Positions::FromZero,
    )
}

/// The pooler and classifier, from the checkpoint's root `vb`.
pub(super) fn head(vb: &VarBuilder, cfg: &Config) -> Result<Head> {
    let pooler = linear(
        cfg.hidden_size,
        cfg.hidden_size,
        vb.pp("bert").pp("pooler").pp("dense"),
    )?;
    let classifier = linear(cfg.hidden_size, cfg.id2label.len(), vb.pp("classifier"))?;
    Ok(Head::new(
        pooler,
        HeadActivation::Tanh,
        classifier,
        cfg,
        HeadDropout::AfterActivation,
    ))
}
