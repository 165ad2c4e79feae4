//! RoBERTa's own parts (`RobertaForSequenceClassification`): the base model under `roberta.`,
//! position ids that start past `pad_token_id` (so `max_position_embeddings` is 514 for
//! 512-token inputs), as many token types as the config says (one, usually), no pooler, and a
//! head of `classifier.dense`, tanh and `classifier.out_proj` on `<s>`. The tokenizer brings
//! `<s>` and `</s>` (see `encode.rs`).

use candle_core::Result;
use candle_nn::VarBuilder;

use super::config::Config;
use super::layers::{Embeddings, Head, HeadActivation, Positions};

/// The embeddings, from the base model's `vb` (`roberta`).
pub(super) fn embeddings(base: &VarBuilder, cfg: &Config) -> Result<Embeddings> {
    let pad = u32::try_from(cfg.pad_token_id)
        .map_err(|_| candle_core::Error::msg("pad_token_id is out of range"))?;
    Embeddings::load(
        base.pp("embeddings"),
        cfg,
        cfg.hidden_size,
        Positions::PastPadding { pad },
    )
}

/// The classification head, from the checkpoint's root `vb`.
pub(super) fn head(vb: &VarBuilder, cfg: &Config) -> Result<Head> {
    Head::dense_out_proj(vb, cfg, HeadActivation::Tanh)
}
