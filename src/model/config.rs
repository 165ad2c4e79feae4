//! The model's `config.json`: Hugging Face's `BertConfig` fields, read and written so that a
//! directory saved by transformers loads here and one written here loads in transformers.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ModelError, Result};
use crate::labels::Label;

use super::quant::Precision;

/// The activation between the feed-forward layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HiddenAct {
    /// Exact GELU (erf), BERT's default.
    Gelu,
    /// GELU's tanh approximation.
    #[serde(alias = "gelu_pytorch_tanh")]
    GeluNew,
    /// ReLU.
    Relu,
}

/// The architecture a checkpoint is of, from `model_type`: which names its tensors have,
/// how its positions count and what its classification head is (`bert.rs`, `roberta.rs`,
/// `electra.rs`). All three share one encoder stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `bert`: `BertForSequenceClassification`.
    Bert,
    /// `roberta`: `RobertaForSequenceClassification`.
    Roberta,
    /// `electra`: `ElectraForSequenceClassification`.
    Electra,
}

impl Family {
    /// The `model_type` that names it.
    pub fn name(self) -> &'static str {
        match self {
            Family::Bert => "bert",
            Family::Roberta => "roberta",
            Family::Electra => "electra",
        }
    }

    /// The base model's tensor prefix, as transformers names it.
    pub fn prefix(self) -> &'static str {
        self.name()
    }
}

/// A BERT, RoBERTa or ELECTRA configuration as Hugging Face writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Tokens in the vocabulary.
    pub vocab_size: usize,
    /// Width of every hidden layer.
    pub hidden_size: usize,
    /// ELECTRA's embedding width, projected to `hidden_size` where it differs; absent,
    /// `hidden_size`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding_size: Option<usize>,
    /// Transformer layers.
    pub num_hidden_layers: usize,
    /// Attention heads per layer.
    pub num_attention_heads: usize,
    /// Width of the feed-forward layer.
    pub intermediate_size: usize,
    /// Feed-forward activation, as a name (checked by [`Config::activation`]).
    pub hidden_act: String,
    /// Dropout on hidden states while training.
    #[serde(default = "default_dropout")]
    pub hidden_dropout_prob: f64,
    /// Dropout on attention probabilities while training.
    #[serde(default = "default_dropout")]
    pub attention_probs_dropout_prob: f64,
    /// Longest sequence the position embeddings cover.
    pub max_position_embeddings: usize,
    /// Token types (segments).
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: usize,
    /// Standard deviation of the initial weights.
    #[serde(default = "default_initializer_range")]
    pub initializer_range: f64,
    /// Layer-norm epsilon.
    #[serde(default = "default_layer_norm_eps")]
    pub layer_norm_eps: f64,
    /// Id of the padding token (`null`, as some checkpoints write it, reads as absent: 0).
    #[serde(default, deserialize_with = "null_as_default")]
    pub pad_token_id: usize,
    /// Only `absolute` is supported.
    #[serde(default = "default_position_embedding_type")]
    pub position_embedding_type: String,
    /// Dropout before the classifier; `hidden_dropout_prob` when absent.
    #[serde(default)]
    pub classifier_dropout: Option<f64>,
    /// Class index to label name.
    #[serde(default)]
    pub id2label: BTreeMap<String, String>,
    /// Label name to class index.
    #[serde(default)]
    pub label2id: BTreeMap<String, usize>,
    /// `["BertForSequenceClassification"]` for models written here.
    #[serde(default)]
    pub architectures: Vec<String>,
    /// `bert`, `roberta` or `electra` (checked by [`Config::family`]).
    #[serde(default = "default_model_type")]
    pub model_type: String,
    /// Anything else transformers wrote, kept when the file is written back.
    /// heihui's own: a text longer than one window is read as windows starting every this
    /// many tokens; absent, it is read as one window of its head and tail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heihui_window_stride: Option<usize>,
    /// heihui's own: how the windows' probabilities become the text's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heihui_pooling: Option<Pooling>,
    /// heihui's own: `int8` in a directory `heihui quantize` wrote, whose
    /// `model.safetensors` holds int8 weights beside the fp32 ones; such a directory runs at
    /// int8 unless told otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heihui_precision: Option<Precision>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// A field's default where the file has `null`.
fn null_as_default<'de, D, T>(deserializer: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

fn default_dropout() -> f64 {
    0.1
}
fn default_type_vocab() -> usize {
    2
}
fn default_initializer_range() -> f64 {
    0.02
}
fn default_layer_norm_eps() -> f64 {
    1e-12
}
fn default_position_embedding_type() -> String {
    "absolute".into()
}
fn default_model_type() -> String {
    "bert".into()
}

/// How the windows' probabilities become a text's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// The mean of the windows' probabilities.
    Mean,
    /// The probabilities of the window least likely to be normal: one window of trade
    /// content in a long chat decides it.
    Max,
}

/// How a text longer than the model's window is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// One window: the head and tail of its tokens.
    HeadTail,
    /// Overlapping windows every `stride` tokens, pooled.
    Windows {
        /// Tokens between window starts.
        stride: usize,
        /// How the windows' probabilities are pooled.
        pooling: Pooling,
    },
}

/// Three quarters of a window's content: 96 tokens for a 128-token window, so each
/// window overlaps the next by a quarter.
pub fn default_stride(max_len: usize) -> usize {
    (max_len.saturating_sub(2) * 3 / 4).max(1)
}

impl Config {
    /// A new configuration for a heihui model of the given size.
    pub fn new(vocab_size: usize, size: &ModelSize) -> Self {
        let id2label = Label::ALL
            .iter()
            .map(|l| (l.index().to_string(), l.name().to_string()))
            .collect();
        let label2id = Label::ALL
            .iter()
            .map(|l| (l.name().to_string(), l.index()))
            .collect();
        Config {
            vocab_size,
            hidden_size: size.hidden,
            embedding_size: None,
            num_hidden_layers: size.layers,
            num_attention_heads: size.heads,
            intermediate_size: size.intermediate,
            hidden_act: "gelu".into(),
            hidden_dropout_prob: 0.1,
            attention_probs_dropout_prob: 0.1,
            max_position_embeddings: size.max_len,
            type_vocab_size: 2,
            initializer_range: 0.02,
            layer_norm_eps: 1e-12,
            pad_token_id: 0,
            position_embedding_type: "absolute".into(),
            classifier_dropout: None,
            id2label,
            label2id,
            architectures: vec!["BertForSequenceClassification".into()],
            model_type: "bert".into(),
            heihui_window_stride: Some(default_stride(size.max_len)),
            heihui_pooling: Some(Pooling::Max),
            heihui_precision: None,
            extra: BTreeMap::new(),
        }
    }

    /// How a long text is read.
    pub fn reading(&self) -> Reading {
        match self.heihui_window_stride {
            Some(stride) if stride > 0 => Reading::Windows {
                stride,
                pooling: self.heihui_pooling.unwrap_or(Pooling::Max),
            },
            _ => Reading::HeadTail,
        }
    }

    /// Reads and checks `config.json`.
    ///
    /// # Errors
    /// A missing or malformed file, an unsupported `hidden_act` or `position_embedding_type`,
    /// sizes that do not fit together, or labels that are not heihui's three, naming the file
    /// and the field.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let config: Config = serde_json::from_str(&text).map_err(|e| ModelError::Invalid {
            path: path.to_path_buf(),
            message: format!("not a BERT, RoBERTa or ELECTRA config: {e}"),
        })?;
        config.check(path)?;
        Ok(config)
    }

    fn check(&self, path: &Path) -> Result<()> {
        let field = |name: &str, message: String| {
            ModelError::Invalid {
                path: path.to_path_buf(),
                message: format!("field {name}: {message}"),
            }
            .into()
        };
        let family = self.family().map_err(|m| field("model_type", m))?;
        self.activation().map_err(|m| field("hidden_act", m))?;
        if self.embedding_width() == 0 {
            return Err(field("embedding_size", "0 is not a width".into()));
        }
        if self.max_tokens() < 3 {
            return Err(field(
                "max_position_embeddings",
                format!(
                    "{} positions leave no room for a text between its start and end tokens{}",
                    self.max_position_embeddings,
                    if family == Family::Roberta {
                        format!(" (RoBERTa's start past pad_token_id {})", self.pad_token_id)
                    } else {
                        String::new()
                    }
                ),
            ));
        }
        if self.position_embedding_type != "absolute" {
            return Err(field(
                "position_embedding_type",
                format!(
                    "unsupported value `{}`; heihui supports `absolute`",
                    self.position_embedding_type
                ),
            ));
        }
        if self.num_attention_heads == 0
            || !self.hidden_size.is_multiple_of(self.num_attention_heads)
        {
            return Err(field(
                "num_attention_heads",
                format!(
                    "{} heads do not divide hidden_size {}",
                    self.num_attention_heads, self.hidden_size
                ),
            ));
        }
        self.labels().map_err(|m| field("id2label", m))?;
        self.label_ids_agree().map_err(|m| field("label2id", m))?;
        if !(self.layer_norm_eps.is_finite() && self.layer_norm_eps > 0.0) {
            return Err(field(
                "layer_norm_eps",
                format!(
                    "{} is not a small positive number (BERT's is 1e-12)",
                    self.layer_norm_eps
                ),
            ));
        }
        Ok(())
    }

    /// `label2id`, where present, must be `id2label` turned round: transformers reads one
    /// and heihui the other, so a disagreement would label differently in each.
    fn label_ids_agree(&self) -> std::result::Result<(), String> {
        if self.label2id.is_empty() {
            return Ok(());
        }
        for (name, id) in &self.label2id {
            match self.id2label.get(&id.to_string()) {
                Some(other) if other == name => {}
                Some(other) => {
                    return Err(format!(
                        "{name} is class {id}, but id2label says class {id} is {other}"
                    ))
                }
                None => return Err(format!("{name} is class {id}, which id2label lacks")),
            }
        }
        if self.label2id.len() != self.id2label.len() {
            return Err(format!(
                "{} labels, but id2label has {}",
                self.label2id.len(),
                self.id2label.len()
            ));
        }
        Ok(())
    }

    /// The family named by `model_type`.
    ///
    /// # Errors
    /// An unsupported name, as a message.
    pub fn family(&self) -> std::result::Result<Family, String> {
        [Family::Bert, Family::Roberta, Family::Electra]
            .into_iter()
            .find(|f| f.name() == self.model_type)
            .ok_or_else(|| {
                format!(
                    "unsupported value `{}`; heihui supports bert, roberta, electra",
                    self.model_type
                )
            })
    }

    /// The embeddings' width: `embedding_size` where given, else `hidden_size`.
    pub fn embedding_width(&self) -> usize {
        self.embedding_size.unwrap_or(self.hidden_size)
    }

    /// The longest input in tokens, start and end tokens included, that the position
    /// embeddings cover: `max_position_embeddings`, less `pad_token_id + 1` for RoBERTa,
    /// whose positions start past the padding id (514 positions hold 512 tokens).
    pub fn max_tokens(&self) -> usize {
        match self.family() {
            Ok(Family::Roberta) => self
                .max_position_embeddings
                .saturating_sub(self.pad_token_id + 1),
            _ => self.max_position_embeddings,
        }
    }

    /// The activation named by `hidden_act`.
    ///
    /// # Errors
    /// An unsupported name, as a message.
    pub fn activation(&self) -> std::result::Result<HiddenAct, String> {
        match self.hidden_act.as_str() {
            "gelu" => Ok(HiddenAct::Gelu),
            "gelu_new" | "gelu_pytorch_tanh" => Ok(HiddenAct::GeluNew),
            "relu" => Ok(HiddenAct::Relu),
            other => Err(format!(
                "unsupported value `{other}`; heihui supports gelu, gelu_new, relu"
            )),
        }
    }

    /// The label of each output class, in class order.
    ///
    /// # Errors
    /// Labels that are not exactly heihui's three, as a message.
    pub fn labels(&self) -> std::result::Result<Vec<Label>, String> {
        if self.id2label.len() != Label::ALL.len() {
            return Err(format!(
                "{} labels, but heihui needs exactly {} ({})",
                self.id2label.len(),
                Label::ALL.len(),
                Label::ALL.map(Label::name).join(", ")
            ));
        }
        let mut labels = vec![None; Label::ALL.len()];
        for (id, name) in &self.id2label {
            let index: usize = id
                .parse()
                .ok()
                .filter(|&i| i < labels.len())
                .ok_or_else(|| format!("class id `{id}` is not 0, 1 or 2"))?;
            let label: Label = name.parse().map_err(|e| format!("{e}"))?;
            labels[index] = Some(label);
        }
        let labels: Vec<Label> = labels.into_iter().flatten().collect();
        if labels.len() != Label::ALL.len() || Label::ALL.iter().any(|l| !labels.contains(l)) {
            return Err("every label must appear exactly once".into());
        }
        Ok(labels)
    }

    /// The dropout before the classifier.
    pub fn classifier_dropout(&self) -> f64 {
        self.classifier_dropout.unwrap_or(self.hidden_dropout_prob)
    }
}

/// The size of a model to train from scratch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSize {
    /// Transformer layers.
    pub layers: usize,
    /// Hidden width.
    pub hidden: usize,
    /// Attention heads.
    pub heads: usize,
    /// Feed-forward width.
    pub intermediate: usize,
    /// Longest input in tokens, `[CLS]` and `[SEP]` included.
    pub max_len: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_null_pad_token_id_reads_as_absent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let mut config = serde_json::to_value(Config::new(
            100,
            &ModelSize {
                layers: 1,
                hidden: 8,
                heads: 2,
                intermediate: 16,
                max_len: 16,
            },
        ))
        .unwrap();
        config["pad_token_id"] = serde_json::Value::Null;
        std::fs::write(&path, config.to_string()).unwrap();
        let loaded = Config::load(&path).unwrap();
        assert_eq!(loaded.pad_token_id, 0);
        config["pad_token_id"] = 3.into();
        std::fs::write(&path, config.to_string()).unwrap();
        assert_eq!(Config::load(&path).unwrap().pad_token_id, 3);
        config["pad_token_id"] = "x".into();
        std::fs::write(&path, config.to_string()).unwrap();
        assert!(Config::load(&path).is_err());
    }
}
