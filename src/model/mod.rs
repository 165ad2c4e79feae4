//! The model stage: a Hugging Face-compatible BERT classifier directory loaded with candle.
//!
//! A model directory holds `config.json` (BertConfig with `id2label`), `tokenizer.json`,
//! `model.safetensors` (BertForSequenceClassification tensor names), and, for heihui-trained
//! models, `decision.json`, `metrics.json` and `MODEL_CARD.md`.

pub mod allocator;
pub mod bert;
pub mod checks;
pub mod config;
pub mod ngram;
pub mod packed;
pub mod solve;

use std::path::{Path, PathBuf};

use candle_core::{DType, Device};
use candle_nn::VarBuilder;

use crate::encode::Encoder;
use crate::error::{Error, ModelError, Result};
use crate::labels::Label;

pub use bert::{BertClassifier, Mode, Packed};
pub use checks::UnusedWeights;
pub use config::{Config, HiddenAct, ModelSize, Pooling, Reading};

/// Probabilities in [`Label::ALL`] order.
pub type Probabilities = [f32; 3];

/// Texts per forward pass when none is given: as fast as 96 and faster than 128 on a
/// 20,000-row `heihui label` run, with the least memory (BENCHMARKS.md).
pub const DEFAULT_BATCH_SIZE: usize = 32;

/// A loaded classifier.
pub struct Model {
    dir: PathBuf,
    config: Config,
    /// `class_to_label[i]` is the label of output class `i`.
    class_to_label: Vec<Label>,
    encoder: Encoder,
    bert: BertClassifier,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("dir", &self.dir)
            .field("layers", &self.config.num_hidden_layers)
            .field("hidden", &self.config.hidden_size)
            .finish()
    }
}

/// Wraps a candle error with the file it concerns.
pub(crate) fn candle_error(path: &Path, e: candle_core::Error) -> Error {
    ModelError::Candle {
        path: path.to_path_buf(),
        source: e,
    }
    .into()
}

impl Model {
    /// Loads a model directory, refusing checkpoint tensors it does not use.
    ///
    /// # Errors
    /// As [`Model::load_with`].
    pub fn load(dir: &Path) -> Result<Self> {
        Self::load_with(dir, UnusedWeights::Refuse)
    }

    /// Loads a model directory and runs it once on [`checks::PROBE_TEXT`].
    ///
    /// # Errors
    /// A missing file, a malformed `config.json` (naming the field), a tokenizer without
    /// BERT's special tokens or of another size than `vocab_size`, a tensor that is missing or
    /// of the wrong shape (naming it), unused tensors (unless `unused` allows them), or a probe
    /// whose probabilities are not finite.
    pub fn load_with(dir: &Path, unused: UnusedWeights) -> Result<Self> {
        if !dir.is_dir() {
            return Err(ModelError::Invalid {
                path: dir.to_path_buf(),
                message: "not a model directory (expected config.json, tokenizer.json and model.safetensors in it)".into(),
            }.into());
        }
        let config = Config::load(&dir.join("config.json"))?;
        let class_to_label = config.labels().map_err(|m| ModelError::Invalid {
            path: dir.join("config.json"),
            message: format!("field id2label: {m}"),
        })?;
        let encoder = Encoder::load(
            &dir.join("tokenizer.json"),
            config.max_position_embeddings.min(512),
        )?;
        if encoder.max_len() > config.max_position_embeddings {
            return Err(ModelError::Invalid {
                path: dir.join("tokenizer.json"),
                message: format!(
                    "truncation length {} exceeds max_position_embeddings {} in config.json",
                    encoder.max_len(),
                    config.max_position_embeddings
                ),
            }
            .into());
        }
        checks::vocabulary(
            &dir.join("tokenizer.json"),
            encoder.vocab_size(),
            config.vocab_size,
        )?;
        let weights = dir.join("model.safetensors");
        let bytes = std::fs::read(&weights).map_err(|e| Error::io(&weights, e))?;
        let tensors = candle_core::safetensors::BufferedSafetensors::new(bytes)
            .map_err(|e| candle_error(&weights, e))?;
        let all: Vec<String> = tensors.tensors().into_iter().map(|(n, _)| n).collect();
        let used = std::sync::Arc::default();
        let backend = checks::Recording::new(tensors, std::sync::Arc::clone(&used));
        let vb = VarBuilder::from_backend(Box::new(backend), DType::F32, Device::Cpu);
        let bert = BertClassifier::load(vb, &config).map_err(|e| candle_error(&weights, e))?;
        checks::unused_tensors(
            &weights,
            &all,
            &used
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
            config.num_hidden_layers,
            unused,
        )?;
        let model = Model {
            dir: dir.to_path_buf(),
            config,
            class_to_label,
            encoder,
            bert,
        };
        let probe = model
            .encoder
            .encode(crate::normalize::normalize(checks::PROBE_TEXT).as_str());
        if !checks::all_finite(&model.forward_unchecked(&[&probe])?) {
            return Err(checks::not_finite(dir, "for a probe text"));
        }
        Ok(model)
    }

    /// Assembles a model from parts already in memory (used while training).
    pub(crate) fn from_parts(
        dir: PathBuf,
        config: Config,
        encoder: Encoder,
        bert: BertClassifier,
    ) -> Self {
        let class_to_label = config.labels().unwrap_or_else(|_| Label::ALL.to_vec());
        Model {
            dir,
            config,
            class_to_label,
            encoder,
            bert,
        }
    }

    /// The network, for training and for measuring its forward passes.
    pub fn network(&self) -> &BertClassifier {
        &self.bert
    }

    /// For each label (in [`Label::ALL`] order), the output class that stands for it.
    pub(crate) fn class_of_label(&self) -> [usize; 3] {
        let mut classes = [0; 3];
        for (class, label) in self.class_to_label.iter().enumerate() {
            classes[label.index()] = class;
        }
        classes
    }

    /// The directory it was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Its tokenizer stage.
    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    /// Token ids of one normalised text as the model reads it: one window, or several.
    pub fn read(&self, normalized: &str) -> Vec<Vec<u32>> {
        match self.config.reading() {
            Reading::HeadTail => vec![self.encoder.encode(normalized)],
            Reading::Windows { stride, .. } => self.encoder.windows(normalized, stride),
        }
    }

    /// Label probabilities of texts read as windows ([`Model::read`]): every window of every
    /// text in batches of `batch_size`, then pooled per text as the config says.
    ///
    /// # Errors
    /// A candle failure, which well-formed inputs do not cause.
    pub fn probabilities_windows<T: AsRef<[Vec<u32>]>>(
        &self,
        texts: &[T],
        batch_size: usize,
    ) -> Result<Vec<Probabilities>> {
        let pooling = match self.config.reading() {
            Reading::Windows { pooling, .. } => pooling,
            Reading::HeadTail => Pooling::Mean,
        };
        self.probabilities_pooled(texts, batch_size, pooling)
    }

    /// As [`Model::probabilities_windows`], pooled as `pooling` says.
    ///
    /// # Errors
    /// A candle failure, which well-formed inputs do not cause.
    pub fn probabilities_pooled<T: AsRef<[Vec<u32>]>>(
        &self,
        texts: &[T],
        batch_size: usize,
        pooling: Pooling,
    ) -> Result<Vec<Probabilities>> {
        let flat: Vec<&[u32]> = texts
            .iter()
            .flat_map(|t| t.as_ref().iter().map(Vec::as_slice))
            .collect();
        let windows = self.probabilities_encoded(&flat, batch_size)?;
        let mut at = 0;
        Ok(texts
            .iter()
            .map(|t| {
                let n = t.as_ref().len();
                let p = pool(&windows[at..at + n], pooling);
                at += n;
                p
            })
            .collect())
    }

    /// Label probabilities for already encoded texts, in one forward pass.
    ///
    /// # Errors
    /// A candle failure, which well-formed inputs do not cause, or probabilities that are not
    /// finite numbers (a broken model; a set-up error, not a bad row).
    pub fn forward_encoded(&self, encoded: &[&[u32]]) -> Result<Vec<Probabilities>> {
        let rows = self.forward_unchecked(encoded)?;
        if !checks::all_finite(&rows) {
            return Err(checks::not_finite(&self.dir, "for a batch of texts"));
        }
        Ok(rows)
    }

    fn forward_unchecked(&self, encoded: &[&[u32]]) -> Result<Vec<Probabilities>> {
        if encoded.is_empty() {
            return Ok(Vec::new());
        }
        let weights = self.dir.join("model.safetensors");
        let run = || -> candle_core::Result<Vec<Vec<f32>>> {
            let packed = Packed::new(encoded, self.bert.device())?;
            let logits = self.bert.forward_packed(&packed)?;
            candle_nn::ops::softmax_last_dim(&logits)?.to_vec2::<f32>()
        };
        let rows = run().map_err(|e| candle_error(&weights, e))?;
        Ok(rows
            .into_iter()
            .map(|row| self.to_label_order(&row))
            .collect())
    }

    fn to_label_order(&self, row: &[f32]) -> Probabilities {
        let mut out = [0.0; 3];
        for (class, &p) in row.iter().enumerate() {
            out[self.class_to_label[class].index()] = p;
        }
        out
    }

    /// Label probabilities for normalised texts, `batch_size` texts per forward pass, packed
    /// without padding. Batches still group texts of similar length, as they did when they were
    /// padded (not re-measured since packing); results come back in input order.
    ///
    /// # Errors
    /// A candle failure, which well-formed inputs do not cause.
    pub fn probabilities(
        &self,
        normalized: &[&str],
        batch_size: usize,
    ) -> Result<Vec<Probabilities>> {
        let encoded: Vec<Vec<u32>> = normalized.iter().map(|t| self.encoder.encode(t)).collect();
        self.probabilities_encoded(&encoded, batch_size)
    }

    /// As [`Model::probabilities`], for texts already encoded.
    ///
    /// # Errors
    /// A candle failure, which well-formed inputs do not cause.
    pub fn probabilities_encoded<T: AsRef<[u32]>>(
        &self,
        encoded: &[T],
        batch_size: usize,
    ) -> Result<Vec<Probabilities>> {
        let mut order: Vec<usize> = (0..encoded.len()).collect();
        order.sort_by_key(|&i| encoded[i].as_ref().len());
        let mut out = vec![[0.0; 3]; encoded.len()];
        for chunk in order.chunks(batch_size.max(1)) {
            let batch: Vec<&[u32]> = chunk.iter().map(|&i| encoded[i].as_ref()).collect();
            for (&i, p) in chunk.iter().zip(self.forward_encoded(&batch)?) {
                out[i] = p;
            }
        }
        Ok(out)
    }
}

/// Softmax of three scores: the probabilities of the stacked decision and the n-gram model.
pub fn softmax(scores: &[f32; 3]) -> [f32; 3] {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp = scores.map(|s| (s - max).exp());
    let sum: f32 = exp.iter().sum();
    exp.map(|e| e / sum)
}

/// The pooled probabilities of one text's windows; a text without windows is normal.
pub fn pool(windows: &[Probabilities], pooling: Pooling) -> Probabilities {
    let normal = Label::Normal.index();
    match (windows, pooling) {
        ([], _) => {
            let mut p = [0.0; 3];
            p[normal] = 1.0;
            p
        }
        ([one], _) => *one,
        (many, Pooling::Mean) => {
            let mut p = [0.0f32; 3];
            for w in many {
                for (a, b) in p.iter_mut().zip(w) {
                    *a += b;
                }
            }
            p.map(|v| v / many.len() as f32)
        }
        (many, Pooling::Max) => *many
            .iter()
            .min_by(|a, b| a[normal].total_cmp(&b[normal]))
            .expect("not empty"),
    }
}

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

/// Argmax of a probability row, as a label.
pub fn argmax(p: &Probabilities) -> Label {
    let mut best = 0;
    for i in 1..p.len() {
        if p[i] > p[best] {
            best = i;
        }
    }
    Label::ALL[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_by_mean_or_by_the_most_suspicious_window() {
        let windows = [[0.9, 0.05, 0.05], [0.2, 0.1, 0.7], [0.7, 0.2, 0.1]];
        assert_eq!(pool(&windows, Pooling::Max), [0.2, 0.1, 0.7]);
        let mean = pool(&windows, Pooling::Mean);
        assert!((mean[0] - 0.6).abs() < 1e-6 && (mean[2] - 0.85 / 3.0).abs() < 1e-6);
        assert_eq!(pool(&windows[..1], Pooling::Max), windows[0]);
        assert_eq!(pool(&[], Pooling::Mean), [1.0, 0.0, 0.0]);
    }

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hf-tiny")
    }

    #[derive(serde::Deserialize)]
    struct Expected {
        texts: Vec<String>,
        input_ids: Vec<Vec<u32>>,
        probabilities: Vec<[f32; 3]>,
    }

    /// A model saved by transformers' `save_pretrained` loads here and gives the same
    /// probabilities transformers computed (tests/fixtures/make_hf_tiny.py), where they were
    /// batched with padding and here are packed without it.
    #[test]
    fn transformers_model_gives_transformers_probabilities() {
        let model = Model::load(&fixture()).unwrap();
        let expected: Expected = serde_json::from_str(
            &std::fs::read_to_string(fixture().join("expected.json")).unwrap(),
        )
        .unwrap();
        for (text, ids) in expected.texts.iter().zip(&expected.input_ids) {
            assert_eq!(&model.encoder().encode(text), ids, "token ids for {text}");
        }
        let refs: Vec<&[u32]> = expected.input_ids.iter().map(Vec::as_slice).collect();
        let ours = model.forward_encoded(&refs).unwrap();
        for (i, (a, b)) in ours.iter().zip(&expected.probabilities).enumerate() {
            for k in 0..3 {
                assert!((a[k] - b[k]).abs() < 1e-4, "text {i}: {a:?} vs {b:?}");
            }
        }
        // One at a time (no padding) gives the same.
        let single = model.forward_encoded(&refs[..1]).unwrap();
        assert!((single[0][2] - expected.probabilities[0][2]).abs() < 1e-4);
    }

    /// The packed inference path gives the padded path's probabilities, on the shipped model,
    /// for texts of many lengths in one batch.
    #[test]
    fn packed_inference_matches_padded_inference() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/heihui-zh-small");
        let model = Model::load(&dir).unwrap();
        let ids: Vec<Vec<u32>> = [2usize, 3, 17, 64, 128, 5, 100]
            .iter()
            .enumerate()
            .map(|(k, &len)| {
                (0..len)
                    .map(|j| ((k * 131 + j * 17) % 4000 + 5) as u32)
                    .collect()
            })
            .collect();
        let refs: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
        let packed = model.forward_encoded(&refs).unwrap();
        let (input, mask) = model.encoder().batch(&refs, &Device::Cpu).unwrap();
        let padded = model
            .network()
            .forward(&input, &mask, Mode::Infer)
            .and_then(|logits| candle_nn::ops::softmax_last_dim(&logits))
            .and_then(|p| p.to_vec2::<f32>())
            .unwrap();
        for (i, (a, row)) in packed.iter().zip(&padded).enumerate() {
            let b = model.to_label_order(row);
            for k in 0..3 {
                assert!((a[k] - b[k]).abs() < 1e-5, "text {i}: {a:?} vs {b:?}");
            }
        }
    }

    fn broken_copy(name: &str, edit: impl FnOnce(&Path)) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("heihui-model-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["config.json", "tokenizer.json", "model.safetensors"] {
            std::fs::copy(fixture().join(f), dir.join(f)).unwrap();
        }
        edit(&dir);
        dir
    }

    fn edit_config(dir: &Path, f: impl FnOnce(&mut serde_json::Value)) {
        let path = dir.join("config.json");
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        f(&mut v);
        std::fs::write(&path, v.to_string()).unwrap();
    }

    #[test]
    fn errors_name_the_file_and_field() {
        type Edit = Box<dyn FnOnce(&Path)>;
        let cases: Vec<(&str, Edit, &str)> = vec![
            (
                "missing",
                Box::new(|d: &Path| std::fs::remove_file(d.join("model.safetensors")).unwrap()),
                "model.safetensors: No such file",
            ),
            (
                "act",
                Box::new(|d: &Path| edit_config(d, |v| v["hidden_act"] = "swish".into())),
                "config.json: field hidden_act: unsupported value `swish`",
            ),
            (
                "position",
                Box::new(|d: &Path| {
                    edit_config(d, |v| v["position_embedding_type"] = "relative_key".into())
                }),
                "config.json: field position_embedding_type: unsupported value `relative_key`",
            ),
            (
                "labels",
                Box::new(|d: &Path| {
                    edit_config(d, |v| {
                        v["id2label"] = serde_json::json!({"0": "normal", "1": "malicious_complaint"})
                    })
                }),
                "config.json: field id2label: 2 labels, but heihui needs exactly 3",
            ),
            (
                "shape",
                Box::new(|d: &Path| edit_config(d, |v| v["hidden_size"] = 48.into())),
                "model.safetensors: shape mismatch for bert.encoder.layer.0.attention.self.query.weight, expected: [48, 48], got: [32, 32]",
            ),
        ];
        for (name, edit, message) in cases {
            let dir = broken_copy(name, edit);
            // As the binary prints it: the error and its sources, joined by `: `.
            let err = format!("{:#}", anyhow::Error::from(Model::load(&dir).unwrap_err()));
            assert!(err.contains(message), "{name}: {err}");
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    #[test]
    fn candle_errors_keep_their_source() {
        let dir = broken_copy("shape_source", |d: &Path| {
            edit_config(d, |v| v["hidden_size"] = 48.into())
        });
        let err = Model::load(&dir).unwrap_err();
        let source = std::error::Error::source(&err).expect("candle's error as the source");
        assert!(
            source.downcast_ref::<candle_core::Error>().is_some(),
            "{source:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
