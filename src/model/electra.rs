//! ELECTRA's own parts (`ElectraForSequenceClassification`, the discriminator): the base
//! model under `electra.`, embeddings `embedding_size` wide, projected to `hidden_size` by
//! `electra.embeddings_project` where the two differ, no pooler, and a head of
//! `classifier.dense`, GELU and `classifier.out_proj` on the first token.

use candle_core::Result;
use candle_nn::VarBuilder;

use super::config::Config;
use super::layers::{linear, Embeddings, Head, HeadActivation, Positions};

/// The embeddings and their projection, from the base model's `vb` (`electra`).
pub(super) fn embeddings(base: &VarBuilder, cfg: &Config) -> Result<Embeddings> {
    let width = cfg.embedding_width();
    let embeddings = Embeddings::load(base.pp("embeddings"), cfg, width, Positions::FromZero)?;
    if width == cfg.hidden_size {
        return Ok(embeddings);
    }
    let project = linear(width, cfg.hidden_size, base.pp("embeddings_project"))?;
    Ok(embeddings.projected(project))
}

/// The classification head, from the checkpoint's root `vb`.
pub(super) fn head(vb: &VarBuilder, cfg: &Config) -> Result<Head> {
    Head::dense_out_proj(vb, cfg, HeadActivation::Gelu)
}
