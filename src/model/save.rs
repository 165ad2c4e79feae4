//! Writing a network's weights as transformers reads them.

use std::path::Path;

use super::candle_error;
use crate::error::{ModelError, Result};

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
