//! The transformer's weights on disk: initial weights drawn as transformers draws them, a
//! checkpoint written as one model directory, the files copied from a model kept as it is,
//! and a weights file's parameter count.

use std::path::Path;

use candle_core::{Device, Tensor};
use candle_nn::VarMap;

use crate::decide::Decision;
use crate::encode::Encoder;
use crate::error::{Error, ModelError, Result};
use crate::model::Config;
use crate::rng::Rng;

/// Initial weights as transformers draws them: normal(0, initializer_range) for weight
/// matrices and embeddings, ones and zeros for layer norms, zeros for biases. Names are
/// visited in sorted order so the same seed gives the same weights.
pub(super) fn init_weights(
    varmap: &VarMap,
    config: &Config,
    rng: &mut Rng,
) -> candle_core::Result<()> {
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

/// Writes a checkpoint atomically ([`crate::fs::AtomicDir`]): config, tokenizer, weights and
/// the default decision into a temporary directory beside `out`, then swapped in for it.
/// Results of an earlier run in `out` (card, metrics) go with it: they described other weights.
pub(super) fn write_model_dir(
    out: &Path,
    config: &Config,
    encoder: &Encoder,
    varmap: &VarMap,
) -> Result<()> {
    let dir = crate::fs::AtomicDir::create(out)?;
    let tmp = dir.path();
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
    dir.commit()
}

/// The transformer's files, copied from `from` into `to` (nothing to do when they are one
/// folder).
pub(super) fn copy_transformer(from: &Path, to: &Path) -> Result<()> {
    let same = match (std::fs::canonicalize(from), std::fs::canonicalize(to)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Ok(());
    }
    std::fs::create_dir_all(to).map_err(|e| Error::io(to, e))?;
    for file in [
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "model.safetensors",
    ] {
        let source = from.join(file);
        if !source.exists() && file == "tokenizer_config.json" {
            continue;
        }
        let bytes = std::fs::read(&source).map_err(|e| Error::io(&source, e))?;
        crate::fs::write_atomic(&to.join(file), &bytes)?;
    }
    Ok(())
}

/// Elements in every tensor of a safetensors file.
pub(super) fn count_parameters(path: &Path) -> Result<usize> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let tensors =
        safetensors::SafeTensors::deserialize(&bytes).map_err(|e| ModelError::Invalid {
            path: path.to_path_buf(),
            message: format!("not a safetensors file: {e}"),
        })?;
    Ok(tensors
        .tensors()
        .iter()
        .map(|(_, t)| t.shape().iter().product::<usize>())
        .sum())
}
