//! Writing a network's weights as transformers reads them, and quantised directories.

use std::path::Path;

use super::candle_error;
use super::quant::{quantize_rows, Precision, WEIGHT_INT8, WEIGHT_SCALE};
use super::{LoadSettings, Model, UnusedWeights};
use crate::error::{Error, ModelError, Result};

/// Writes every variable of `varmap` to a safetensors file with the `format: pt` metadata
/// that transformers checks for.
///
/// # Errors
/// An unwritable file.
pub fn save_safetensors(varmap: &candle_nn::VarMap, path: &Path) -> Result<()> {
    let data = varmap.data().lock().expect("not poisoned");
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    let mut buffers: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::with_capacity(names.len());
    for name in names {
        let tensor = data[name].as_tensor();
        let values: Vec<f32> = tensor
            .flatten_all()
            .and_then(|t| t.to_vec1())
            .map_err(|e| candle_error(path, e))?;
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        buffers.push((name.clone(), tensor.dims().to_vec(), bytes));
    }
    let views = buffers
        .iter()
        .map(|(name, shape, bytes)| {
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes)
                .map(|view| (name.as_str(), view))
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| ModelError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    let metadata = std::collections::HashMap::from([("format".to_string(), "pt".to_string())]);
    safetensors::tensor::serialize_to_file(views, Some(metadata), path).map_err(|e| {
        ModelError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
        .into()
    })
}

/// What [`quantize_dir`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quantized {
    /// Dense layers stored in int8.
    pub layers: usize,
    /// Bytes of int8 weights and scales added to `model.safetensors`.
    pub added_bytes: usize,
}

/// Writes `from`'s model directory to `to` with its encoder's dense layers quantised: every
/// file copied, `config.json` marked `"heihui_precision": "int8"`, and `model.safetensors`
/// holding, beside every fp32 tensor it had (so `--precision fp32` and transformers still find
/// them), each quantised layer's `<layer>.weight_int8` (int8, `(out, in)`) and
/// `<layer>.weight_scale` (f32, `(out,)`; a weight is `weight_int8 * weight_scale` per row).
/// Int8 tensors already in `from` (a quantised directory) are quantised afresh. `to` is
/// written beside itself and swapped in whole, after the written directory has loaded at int8
/// and run its probe text.
///
/// # Errors
/// A source directory that does not load at fp32, or an unwritable `to`.
pub fn quantize_dir(from: &Path, to: &Path) -> Result<Quantized> {
    let settings = LoadSettings {
        unused: UnusedWeights::Refuse,
        precision: Some(Precision::Fp32),
    };
    let model = Model::load_with(from, settings)?;
    let mut config = model.config().clone();
    drop(model);
    let weights = from.join("model.safetensors");
    let bytes = std::fs::read(&weights).map_err(|e| Error::io(&weights, e))?;
    let tensors = safetensors::SafeTensors::deserialize(&bytes)
        .map_err(|e| candle_error(&weights, candle_core::Error::from(e)))?;
    let invalid = |message: String| ModelError::Invalid {
        path: weights.clone(),
        message,
    };
    let names = super::encoder::int8_layer_names(&config).map_err(&invalid)?;
    let mut added: Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    for layer in &names {
        let name = format!("{layer}.weight");
        let view = tensors
            .tensor(&name)
            .map_err(|e| invalid(format!("tensor {name}: {e}")))?;
        let [outputs, inputs] = view.shape() else {
            return Err(invalid(format!("tensor {name} is not a matrix")).into());
        };
        if view.dtype() != safetensors::Dtype::F32 {
            return Err(invalid(format!("tensor {name} is {:?}, not F32", view.dtype())).into());
        }
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let (q, scales) = quantize_rows(&values, *inputs);
        added.push((
            format!("{layer}.{WEIGHT_INT8}"),
            safetensors::Dtype::I8,
            vec![*outputs, *inputs],
            q.iter().map(|&w| w as u8).collect(),
        ));
        added.push((
            format!("{layer}.{WEIGHT_SCALE}"),
            safetensors::Dtype::F32,
            vec![*outputs],
            scales.iter().flat_map(|s| s.to_le_bytes()).collect(),
        ));
    }
    let stale = |name: &str| {
        name.ends_with(&format!(".{WEIGHT_INT8}")) || name.ends_with(&format!(".{WEIGHT_SCALE}"))
    };
    let mut views: Vec<(String, safetensors::tensor::TensorView)> = tensors
        .tensors()
        .into_iter()
        .filter(|(name, _)| !stale(name))
        .collect();
    for (name, dtype, shape, data) in &added {
        let view = safetensors::tensor::TensorView::new(*dtype, shape.clone(), data)
            .map_err(|e| invalid(e.to_string()))?;
        views.push((name.clone(), view));
    }
    views.sort_by(|a, b| a.0.cmp(&b.0));
    config.heihui_precision = Some(Precision::Int8);

    let dir = crate::fs::AtomicDir::create(to)?;
    let tmp = dir.path();
    for entry in std::fs::read_dir(from).map_err(|e| Error::io(from, e))? {
        let entry = entry.map_err(|e| Error::io(from, e))?;
        let name = entry.file_name();
        let is_file = entry
            .file_type()
            .map_err(|e| Error::io(entry.path(), e))?
            .is_file();
        if !is_file || name == "config.json" || name == "model.safetensors" {
            continue;
        }
        std::fs::copy(entry.path(), tmp.join(&name)).map_err(|e| Error::io(entry.path(), e))?;
    }
    let config_path = tmp.join("config.json");
    let text = serde_json::to_string_pretty(&config).expect("config serialises") + "\n";
    std::fs::write(&config_path, text).map_err(|e| Error::io(&config_path, e))?;
    let metadata = std::collections::HashMap::from([("format".to_string(), "pt".to_string())]);
    let out = tmp.join("model.safetensors");
    safetensors::tensor::serialize_to_file(views, Some(metadata), &out).map_err(|e| {
        ModelError::Invalid {
            path: to.join("model.safetensors"),
            message: e.to_string(),
        }
    })?;
    Model::load(tmp)?;
    dir.commit()?;
    Ok(Quantized {
        layers: names.len(),
        added_bytes: added.iter().map(|(_, _, _, data)| data.len()).sum(),
    })
}
