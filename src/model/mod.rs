//! The model stage: a Hugging Face sequence-classifier directory (BERT, RoBERTa or ELECTRA)
//! loaded with candle.
//!
//! A model directory holds `config.json` (the family's config with `id2label`),
//! `tokenizer.json`, `model.safetensors` (the family's `...ForSequenceClassification` tensor
//! names), and, for heihui-trained models, `decision.json`, `metrics.json` and
//! `MODEL_CARD.md`. A directory saved by transformers needs nothing more: a missing
//! `decision.json` is the default decision, a missing n-gram part leaves the transformer alone.

pub mod allocator;
mod bert;
pub mod checks;
pub mod config;
mod electra;
pub mod encoder;
pub mod layers;
pub mod ngram;
pub mod packed;
pub mod quant;
mod roberta;
mod save;
mod scores;
pub mod solve;
#[cfg(test)]
mod tests;
mod weights;

use std::path::{Path, PathBuf};

use candle_core::{DType, Device};
use candle_nn::VarBuilder;

use crate::encode::Encoder;
use crate::error::{Error, ModelError, Result};
use crate::labels::Label;

pub use checks::UnusedWeights;
pub use config::{Config, Family, HiddenAct, ModelSize, Pooling, Reading};
pub use encoder::Network;
pub use layers::{Mode, Positions};
pub use packed::Packed;
pub use quant::Precision;
pub use save::{quantize_dir, save_safetensors, Quantized};
pub use scores::{argmax, pool, softmax};

/// The network's name from when BERT was the only family; training still calls it so.
pub type BertClassifier = Network;

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
    network: Network,
    precision: Precision,
}

/// How a model directory is loaded.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadSettings {
    /// Whether checkpoint tensors the configuration does not use are refused.
    pub unused: UnusedWeights,
    /// The encoder's precision; `None`, the directory's own (`heihui_precision` in
    /// `config.json`: int8 for a directory `heihui quantize` wrote, else fp32).
    pub precision: Option<Precision>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("dir", &self.dir)
            .field("layers", &self.config.num_hidden_layers)
            .field("family", &self.network.family())
            .field("hidden", &self.config.hidden_size)
            .field("precision", &self.precision)
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
        Self::load_with(dir, LoadSettings::default())
    }

    /// Loads a model directory and runs it once on [`checks::PROBE_TEXT`].
    ///
    /// # Errors
    /// A missing file, a malformed `config.json` (naming the field), a tokenizer without
    /// start and end tokens or of another size than `vocab_size`, a tensor that is missing or
    /// of the wrong shape (naming it), unused tensors (unless `unused` allows them), or a probe
    /// whose probabilities are not finite.
    pub fn load_with(dir: &Path, settings: LoadSettings) -> Result<Self> {
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
        let encoder = Encoder::load(&dir.join("tokenizer.json"), config.max_tokens().min(512))?;
        if encoder.max_len() > config.max_tokens() {
            return Err(ModelError::Invalid {
                path: dir.join("tokenizer.json"),
                message: format!(
                    "truncation length {} exceeds the {} tokens that max_position_embeddings {} \
                     in config.json covers",
                    encoder.max_len(),
                    config.max_tokens(),
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
        let used = std::sync::Arc::default();
        let backend = weights::MappedWeights::open(&weights, std::sync::Arc::clone(&used))?;
        let all = backend.names();
        let vb = VarBuilder::from_backend(Box::new(backend), DType::F32, Device::Cpu);
        let precision = settings
            .precision
            .or(config.heihui_precision)
            .unwrap_or_default();
        let network =
            Network::load_at(vb, &config, precision).map_err(|e| candle_error(&weights, e))?;
        checks::unused_tensors(
            &weights,
            &all,
            &used
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
            config.num_hidden_layers,
            settings.unused,
        )?;
        let model = Model {
            dir: dir.to_path_buf(),
            config,
            class_to_label,
            encoder,
            network,
            precision,
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
        network: Network,
    ) -> Self {
        let class_to_label = config.labels().unwrap_or_else(|_| Label::ALL.to_vec());
        Model {
            dir,
            config,
            class_to_label,
            encoder,
            network,
            precision: Precision::Fp32,
        }
    }

    /// The precision its encoder runs at.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The network, for training and for measuring its forward passes.
    pub fn network(&self) -> &Network {
        &self.network
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
            let packed = self.network.pack(encoded)?;
            let logits = self.network.forward_packed(&packed)?;
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
