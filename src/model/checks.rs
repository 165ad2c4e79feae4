//! A model directory checked against itself when it loads, so that one that disagrees with
//! itself stops with one clear line instead of labelling silently wrong: checkpoint tensors
//! the configuration leaves unused (`num_hidden_layers` smaller than the checkpoint's
//! layers), a tokenizer whose size is not `vocab_size`, and a network whose probabilities are
//! not finite numbers (NaN weights, a negative `layer_norm_eps`).

use std::collections::BTreeSet;
use std::path::Path;

use crate::error::{Error, ModelError, Result};

/// Whether checkpoint tensors that the configuration does not use are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnusedWeights {
    /// They are an error: the configuration and the checkpoint disagree.
    #[default]
    Refuse,
    /// They are ignored (a deliberately truncated model, say the first layers of a larger one).
    Allow,
}

/// A text every model is run on once when it loads; its words are of the trade, so that the
/// probe passes through the same layers a real row does.
pub const PROBE_TEXT: &str = "网贷逾期别慌，专业团队帮你停息挂账，先服务后收费";

/// Tensors transformers saves that are buffers, not weights: never read, never a sign of a
/// disagreement.
fn is_buffer(name: &str) -> bool {
    name.ends_with("position_ids")
}

/// Whether `name` is one form of a dense layer's weight whose other form the network read: a
/// quantised directory holds both the fp32 `weight` and the int8 `weight_int8` and
/// `weight_scale`, and a network reads one or the other.
fn stands_in(name: &str, used: &BTreeSet<String>) -> bool {
    use super::quant::{WEIGHT_INT8, WEIGHT_SCALE};
    let Some((layer, leaf)) = name.rsplit_once('.') else {
        return false;
    };
    let others: &[&str] = match leaf {
        "weight" => &[WEIGHT_INT8],
        l if l == WEIGHT_INT8 || l == WEIGHT_SCALE => &["weight"],
        _ => &[],
    };
    others
        .iter()
        .any(|other| used.contains(&format!("{layer}.{other}")))
}

/// Refuses a checkpoint with tensors that the network did not read (unless `policy` allows
/// them), naming how many and the first few, and the layer counts when those disagree.
///
/// # Errors
/// Unused tensors under [`UnusedWeights::Refuse`].
pub(crate) fn unused_tensors(
    weights: &Path,
    all: &[String],
    used: &BTreeSet<String>,
    layers: usize,
    policy: UnusedWeights,
) -> Result<()> {
    let mut unused: Vec<&String> = all
        .iter()
        .filter(|n| !used.contains(*n) && !is_buffer(n) && !stands_in(n, used))
        .collect();
    unused.sort();
    if unused.is_empty() || policy == UnusedWeights::Allow {
        return Ok(());
    }
    let checkpoint_layers = all
        .iter()
        .filter_map(|n| {
            n.split("encoder.layer.")
                .nth(1)?
                .split('.')
                .next()?
                .parse()
                .ok()
        })
        .map(|i: usize| i + 1)
        .max()
        .unwrap_or(0);
    let why = if checkpoint_layers > layers {
        format!(
            "it holds {checkpoint_layers} encoder layers but config.json's num_hidden_layers is \
             {layers}, so "
        )
    } else {
        String::new()
    };
    let shown: Vec<&str> = unused.iter().take(3).map(|n| n.as_str()).collect();
    Err(ModelError::Invalid {
        path: weights.to_path_buf(),
        message: format!(
            "{why}{} tensors would go unused ({}{}): correct config.json, or pass \
             --allow-unused-weights to load the model without them",
            unused.len(),
            shown.join(", "),
            if unused.len() > shown.len() {
                ", ..."
            } else {
                ""
            }
        ),
    }
    .into())
}

/// Refuses a tokenizer whose vocabulary is not the embedding table's size: ids past the table
/// cannot be embedded, and a smaller vocabulary means the tokenizer is not the model's.
///
/// # Errors
/// The sizes differ.
pub(crate) fn vocabulary(tokenizer: &Path, tokens: usize, vocab_size: usize) -> Result<()> {
    if tokens == vocab_size {
        return Ok(());
    }
    Err(ModelError::Invalid {
        path: tokenizer.to_path_buf(),
        message: format!(
            "{tokens} tokens, but config.json's vocab_size is {vocab_size}: the tokenizer is not \
             this model's"
        ),
    }
    .into())
}

/// The error for probabilities that are not finite numbers.
pub(crate) fn not_finite(dir: &Path, what: &str) -> Error {
    ModelError::Invalid {
        path: dir.to_path_buf(),
        message: format!(
            "the model gives probabilities that are not numbers (NaN or infinite) {what}: check \
             config.json (layer_norm_eps must be positive) and model.safetensors for NaN or \
             infinite weights"
        ),
    }
    .into()
}

/// Whether every probability is a finite number.
pub fn all_finite<'a>(rows: impl IntoIterator<Item = &'a [f32; 3]>) -> bool {
    rows.into_iter().flatten().all(|p| p.is_finite())
}
