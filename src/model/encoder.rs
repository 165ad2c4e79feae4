//! The network every family shares: its embeddings (`bert.rs`, `roberta.rs`, `electra.rs`
//! say how each family's are named and counted), the transformer layers
//! (`<prefix>.encoder.layer.N.*`, the same in all three) and its classification head.
//!
//! It follows candle-transformers' `bert.rs` layer for layer, and adds what that encoder
//! lacks: the classification heads and a training mode.
//!
//! Batch inference takes a second way through the same layers, `forward_packed`: texts laid
//! end to end with no padding ([`Packed`]), attention per text (`packed/attention.rs`), fused
//! elementwise steps (`packed/kernels.rs`), and a last layer computed for the first token only.
//! It gives the padded forward pass's probabilities (a unit test holds them to 1e-5) in about a
//! third of the time (BENCHMARKS.md).
//!
//! Loaded at int8 ([`Network::load_at`]), the transformer layers' six dense layers each run
//! quantised (`quant.rs`), on either path; everything else is as at fp32.

use std::sync::Arc;

use candle_core::{DType, Device, Module, Result, Tensor, D};
use candle_nn::VarBuilder;

use super::config::{Config, Family, HiddenAct};
use super::layers::{dropout, linear_at, products, Embeddings, Head, LayerNorm, Linear, Mode};
use super::packed::attention::{PackedAttention, Queries};
use super::packed::kernels::BiasGelu;
use super::packed::Packed;
use super::quant::Precision;
use super::{bert, electra, roberta};

struct SelfAttention {
    query: Linear,
    key: Linear,
    value: Linear,
    heads: usize,
    head_size: usize,
    dropout: f64,
}

impl SelfAttention {
    fn load(vb: VarBuilder, cfg: &Config, precision: Precision) -> Result<Self> {
        let head_size = cfg.hidden_size / cfg.num_attention_heads;
        let all = cfg.num_attention_heads * head_size;
        Ok(Self {
            query: linear_at(cfg.hidden_size, all, vb.pp("query"), precision)?,
            key: linear_at(cfg.hidden_size, all, vb.pp("key"), precision)?,
            value: linear_at(cfg.hidden_size, all, vb.pp("value"), precision)?,
            heads: cfg.num_attention_heads,
            head_size,
            dropout: cfg.attention_probs_dropout_prob,
        })
    }

    fn forward(&self, hidden: &Tensor, mask: &Tensor, mode: Mode) -> Result<Tensor> {
        let (batch, seq, width) = hidden.dims3()?;
        // Query, key and value in one matrix product.
        let bias = Tensor::cat(&[&self.query.bias, &self.key.bias, &self.value.bias], 0)?;
        let flat = hidden.reshape((batch * seq, width))?;
        let qkv = products(&[&self.query, &self.key, &self.value], &flat)?
            .broadcast_add(&bias)?
            .reshape((batch, seq, 3, self.heads, self.head_size))?
            .permute((2, 0, 3, 1, 4))?;
        // Scaling the queries costs seq x head_size per head, less than scaling the scores.
        let query = (qkv.get(0)?.contiguous()? / (self.head_size as f64).sqrt())?;
        let key = qkv.get(1)?.contiguous()?;
        let value = qkv.get(2)?.contiguous()?;
        let scores = query.matmul(&key.t()?)?.broadcast_add(mask)?;
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let probs = dropout(&probs, self.dropout, mode)?;
        let context = probs.matmul(&value)?.transpose(1, 2)?.contiguous()?;
        context.flatten_from(D::Minus2)
    }

    /// Inference over packed texts: the context of `asking`, the rows of `hidden` that
    /// `queries` names, `(rows, hidden)`.
    fn forward_packed(
        &self,
        hidden: &Tensor,
        asking: &Tensor,
        packed: &Packed,
        queries: Queries,
    ) -> Result<Tensor> {
        let kv = products(&[&self.key, &self.value], hidden)?;
        let query = self.query.product(asking)?;
        query.inplace_op2(
            &kv,
            &PackedAttention {
                spans: Arc::clone(packed.spans()),
                heads: self.heads,
                head_size: self.head_size,
                queries,
                scale: 1.0 / (self.head_size as f32).sqrt(),
                query_bias: self.query.bias.to_vec1()?,
                key_bias: self.key.bias.to_vec1()?,
                value_bias: self.value.bias.to_vec1()?,
            },
        )?;
        Ok(query)
    }
}

/// The dense layer, dropout, residual and layer norm that close both the attention block and
/// the feed-forward block (`attention.output` and `output` in transformers).
struct Output {
    dense: Linear,
    layer_norm: LayerNorm,
    dropout: f64,
}

impl Output {
    fn load(vb: VarBuilder, cfg: &Config, input: usize, precision: Precision) -> Result<Self> {
        Ok(Self {
            dense: linear_at(input, cfg.hidden_size, vb.pp("dense"), precision)?,
            layer_norm: LayerNorm::load(cfg.hidden_size, cfg.layer_norm_eps, vb.pp("LayerNorm"))?,
            dropout: cfg.hidden_dropout_prob,
        })
    }

    fn forward(&self, hidden: &Tensor, residual: &Tensor, mode: Mode) -> Result<Tensor> {
        let hidden = self.dense.forward(hidden)?;
        let hidden = dropout(&hidden, self.dropout, mode)?;
        self.layer_norm.forward(&(hidden + residual)?, mode)
    }

    /// As `forward` at inference, with bias, residual and layer norm fused.
    fn forward_fused(&self, hidden: &Tensor, residual: &Tensor) -> Result<Tensor> {
        let norm = self.layer_norm.after_sum(&self.dense.bias)?;
        let out = self.dense.product(hidden)?;
        out.inplace_op2(residual, &norm)?;
        Ok(out)
    }
}

struct Layer {
    attention: SelfAttention,
    attention_output: Output,
    intermediate: Linear,
    activation: HiddenAct,
    output: Output,
}

impl Layer {
    fn load(
        vb: VarBuilder,
        cfg: &Config,
        activation: HiddenAct,
        precision: Precision,
    ) -> Result<Self> {
        Ok(Self {
            attention: SelfAttention::load(vb.pp("attention").pp("self"), cfg, precision)?,
            attention_output: Output::load(
                vb.pp("attention").pp("output"),
                cfg,
                cfg.hidden_size,
                precision,
            )?,
            intermediate: linear_at(
                cfg.hidden_size,
                cfg.intermediate_size,
                vb.pp("intermediate").pp("dense"),
                precision,
            )?,
            activation,
            output: Output::load(vb.pp("output"), cfg, cfg.intermediate_size, precision)?,
        })
    }

    fn forward(&self, hidden: &Tensor, mask: &Tensor, mode: Mode) -> Result<Tensor> {
        let attended = self.attention.forward(hidden, mask, mode)?;
        let attended = self.attention_output.forward(&attended, hidden, mode)?;
        let inner = self.intermediate.forward(&attended)?;
        let inner = match self.activation {
            HiddenAct::Gelu => inner.gelu_erf()?,
            HiddenAct::GeluNew => inner.gelu()?,
            HiddenAct::Relu => inner.relu()?,
        };
        self.output.forward(&inner, &attended, mode)
    }

    /// Inference over packed texts, for the rows of `queries` only.
    fn forward_packed(&self, hidden: &Tensor, packed: &Packed, queries: Queries) -> Result<Tensor> {
        let residual = packed.query_rows(hidden, queries)?;
        let context = self
            .attention
            .forward_packed(hidden, &residual, packed, queries)?;
        let attended = self.attention_output.forward_fused(&context, &residual)?;
        let inner = match self.activation {
            HiddenAct::Gelu => {
                let inner = self.intermediate.product(&attended)?;
                inner.inplace_op2(&self.intermediate.bias, &BiasGelu)?;
                inner
            }
            HiddenAct::GeluNew => self.intermediate.forward(&attended)?.gelu()?,
            HiddenAct::Relu => self.intermediate.forward(&attended)?.relu()?,
        };
        self.output.forward_fused(&inner, &attended)
    }
}

/// The dense layers that run at int8 ([`Network::load_at`]), as the checkpoint names them
/// (`<prefix>.encoder.layer.N.attention.self.query`, ...): each transformer layer's query,
/// key, value, attention output, intermediate and output layers.
///
/// # Errors
/// An unsupported `model_type`.
pub fn int8_layer_names(cfg: &Config) -> std::result::Result<Vec<String>, String> {
    let prefix = cfg.family()?.prefix();
    let mut names = Vec::with_capacity(6 * cfg.num_hidden_layers);
    for i in 0..cfg.num_hidden_layers {
        for layer in [
            "attention.self.query",
            "attention.self.key",
            "attention.self.value",
            "attention.output.dense",
            "intermediate.dense",
            "output.dense",
        ] {
            names.push(format!("{prefix}.encoder.layer.{i}.{layer}"));
        }
    }
    Ok(names)
}

/// A sequence classifier of any supported family, as transformers'
/// `BertForSequenceClassification`, `RobertaForSequenceClassification` and
/// `ElectraForSequenceClassification`: embeddings, transformer layers, and a head on the first
/// token (`[CLS]` or `<s>`).
pub struct Network {
    family: Family,
    embeddings: Embeddings,
    layers: Vec<Layer>,
    head: Head,
    device: Device,
}

impl Network {
    /// Builds the model from `vb`, whose root holds the family's base model (`bert.*`,
    /// `roberta.*` or `electra.*`) and `classifier.*`.
    ///
    /// # Errors
    /// A missing tensor or one of the wrong shape; an unsupported family or activation.
    pub fn load(vb: VarBuilder, cfg: &Config) -> Result<Self> {
        Self::load_at(vb, cfg, Precision::Fp32)
    }

    /// As [`Network::load`], with the transformer layers' dense layers at `precision`
    /// (embeddings, layer norms, attention and the head stay fp32).
    ///
    /// # Errors
    /// As [`Network::load`].
    pub fn load_at(vb: VarBuilder, cfg: &Config, precision: Precision) -> Result<Self> {
        let family = cfg.family().map_err(candle_core::Error::msg)?;
        let activation = cfg.activation().map_err(candle_core::Error::msg)?;
        let base = vb.pp(family.prefix());
        let layers = (0..cfg.num_hidden_layers)
            .map(|i| {
                let vb = base.pp("encoder").pp("layer").pp(i);
                Layer::load(vb, cfg, activation, precision)
            })
            .collect::<Result<Vec<_>>>()?;
        let (embeddings, head) = match family {
            Family::Bert => (bert::embeddings(&base, cfg)?, bert::head(&vb, cfg)?),
            Family::Roberta => (roberta::embeddings(&base, cfg)?, roberta::head(&vb, cfg)?),
            Family::Electra => (electra::embeddings(&base, cfg)?, electra::head(&vb, cfg)?),
        };
        Ok(Self {
            family,
            embeddings,
            layers,
            head,
            device: vb.device().clone(),
        })
    }

    /// The family it was loaded as.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The device the weights live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Packs encoded texts (each with its special tokens, none empty) for
    /// [`Network::forward_packed`], with this family's position ids.
    ///
    /// # Errors
    /// An empty text, or a device allocation failure.
    pub fn pack(&self, encoded: &[&[u32]]) -> Result<Packed> {
        Packed::new(encoded, self.embeddings.positions(), &self.device)
    }

    /// Logits `(batch, labels)` for token ids `(batch, seq)` and a 0/1 attention mask of
    /// the same shape.
    ///
    /// # Errors
    /// Shape mismatches, which the encoder's batches never produce.
    pub fn forward(
        &self,
        input_ids: &Tensor,
        attention_mask: &Tensor,
        mode: Mode,
    ) -> Result<Tensor> {
        let hidden = self.hidden_states(input_ids, attention_mask, mode)?;
        let first = hidden.narrow(1, 0, 1)?.squeeze(1)?;
        self.head.forward(&first, mode)
    }

    /// The last layer's states `(batch, seq, hidden)` of every token, for token ids
    /// `(batch, seq)` and a 0/1 attention mask of the same shape: what the head reads the
    /// first token of, and what masked-language pre-training reads all of.
    ///
    /// # Errors
    /// Shape mismatches, which the encoder's batches never produce.
    pub fn hidden_states(
        &self,
        input_ids: &Tensor,
        attention_mask: &Tensor,
        mode: Mode,
    ) -> Result<Tensor> {
        let mut hidden = self.embeddings.forward(input_ids, mode)?;
        // 0 where attended, a large negative number where padded, broadcast over heads and
        // query positions, as transformers' extended attention mask.
        let mask = attention_mask.to_dtype(DType::F32)?;
        let mask = ((mask.ones_like()? - mask)? * f32::MIN as f64)?
            .unsqueeze(1)?
            .unsqueeze(1)?;
        for layer in &self.layers {
            hidden = layer.forward(&hidden, &mask, mode)?;
        }
        Ok(hidden)
    }

    /// The word embedding matrix `(vocab, embedding width)`, which a masked-language head
    /// shares as its output projection (transformers ties the two alike).
    pub(crate) fn word_embeddings(&self) -> &Tensor {
        self.embeddings.words()
    }

    /// Logits `(texts, labels)` for packed texts, at inference. The same numbers as
    /// [`Network::forward`] with [`Mode::Infer`], with less work: no padding, and the last
    /// layer runs its queries, feed-forward block and layer norms for each text's first token
    /// only, the one the head reads.
    ///
    /// # Errors
    /// Shape mismatches, which [`Network::pack`] never produces.
    pub fn forward_packed(&self, packed: &Packed) -> Result<Tensor> {
        let mut hidden = self.embeddings.forward_packed(packed)?;
        let last = self.layers.len().saturating_sub(1);
        for (i, layer) in self.layers.iter().enumerate() {
            let queries = if i == last {
                Queries::First
            } else {
                Queries::All
            };
            hidden = layer.forward_packed(&hidden, packed, queries)?;
        }
        let first = if self.layers.is_empty() {
            packed.query_rows(&hidden, Queries::First)?
        } else {
            hidden
        };
        self.head.forward(&first, Mode::Infer)
    }
}
