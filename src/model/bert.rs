//! BERT for sequence classification, with Hugging Face's tensor names
//! (`bert.embeddings.*`, `bert.encoder.layer.N.*`, `bert.pooler.dense.*`, `classifier.*`).
//!
//! It follows candle-transformers' `bert.rs` layer for layer, and adds what that encoder
//! lacks: the pooler and classification head, and a training mode. Training needs real
//! dropout and a layer norm with a backward pass (candle-nn's fused layer norm has none), so
//! every layer's `forward` takes a [`Mode`]: inference uses the fused kernels, training the
//! differentiable composites.
//!
//! Batch inference takes a second way through the same layers, `forward_packed`: texts laid
//! end to end with no padding ([`Packed`]), attention per text (`attention.rs`), fused
//! elementwise steps (`kernels.rs`), and a last layer computed for the first token only. It
//! gives the padded forward pass's probabilities (a unit test holds them to 1e-5) in about a
//! third of the time (BENCHMARKS.md).

use std::cell::RefCell;
use std::sync::Arc;

use candle_core::{DType, Device, Module, Result, Tensor, D};
use candle_nn::{embedding, Embedding, VarBuilder};

use super::config::{Config, HiddenAct};
use super::packed::attention::{PackedAttention, Queries, Span};
use super::packed::kernels::{AddLayerNorm, BiasGelu};
use crate::rng::Rng;

/// How a forward pass runs.
#[derive(Clone, Copy)]
pub enum Mode<'a> {
    /// No dropout; fused kernels.
    Infer,
    /// Dropout drawn from the given generator; differentiable layer norm.
    Train(&'a RefCell<Rng>),
}

/// Drops activations with probability `p` in training, scaling the rest by `1 / (1 - p)`.
fn dropout(xs: &Tensor, p: f64, mode: Mode) -> Result<Tensor> {
    let Mode::Train(rng) = mode else {
        return Ok(xs.clone());
    };
    if p <= 0.0 {
        return Ok(xs.clone());
    }
    let scale = (1.0 / (1.0 - p)) as f32;
    let mut rng = rng.borrow_mut();
    let mask: Vec<f32> = (0..xs.elem_count())
        .map(|_| if rng.next_f64() < p { 0.0 } else { scale })
        .collect();
    let mask = Tensor::from_vec(mask, xs.shape(), xs.device())?.to_dtype(xs.dtype())?;
    xs.mul(&mask)
}

/// A dense layer with transformers' `weight` `(out, in)` and `bias` names. Inputs of any rank
/// are multiplied as one `(rows, in)` matrix: one large matrix product instead of a batch of
/// small ones, which is how candle-nn's `Linear` multiplies 3-D inputs.
#[derive(Debug, Clone)]
struct Linear {
    weight_t: Tensor,
    bias: Tensor,
}

fn linear(input: usize, output: usize, vb: VarBuilder) -> Result<Linear> {
    let inner = candle_nn::linear(input, output, vb)?;
    Ok(Linear {
        weight_t: inner.weight().t()?,
        bias: inner.bias().expect("candle_nn::linear has a bias").clone(),
    })
}

impl Linear {
    /// `(rows, in)` times the weight, without the bias.
    fn product(&self, xs: &Tensor) -> Result<Tensor> {
        xs.matmul(&self.weight_t)
    }
}

impl Module for Linear {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let dims = xs.dims().to_vec();
        let input = dims[dims.len() - 1];
        let rows = xs.elem_count() / input.max(1);
        let flat = xs.reshape((rows, input))?.matmul(&self.weight_t)?;
        let flat = flat.broadcast_add(&self.bias)?;
        let mut out_dims = dims;
        let last = out_dims.len() - 1;
        out_dims[last] = flat.dim(1)?;
        flat.reshape(out_dims)
    }
}

/// Layer norm with weight and bias, named `weight` and `bias` as transformers saves them.
#[derive(Debug, Clone)]
struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl LayerNorm {
    fn load(size: usize, eps: f64, vb: VarBuilder) -> Result<Self> {
        Ok(LayerNorm {
            weight: vb.get_with_hints(size, "weight", candle_nn::Init::Const(1.0))?,
            bias: vb.get_with_hints(size, "bias", candle_nn::Init::Const(0.0))?,
            eps,
        })
    }

    /// This layer norm after adding two inputs and `bias`, fused (inference only).
    fn after_sum(&self, bias: &Tensor) -> Result<AddLayerNorm> {
        Ok(AddLayerNorm {
            bias: bias.to_vec1()?,
            gamma: self.weight.to_vec1()?,
            beta: self.bias.to_vec1()?,
            eps: self.eps as f32,
        })
    }

    fn forward(&self, xs: &Tensor, mode: Mode) -> Result<Tensor> {
        if matches!(mode, Mode::Infer) && xs.is_contiguous() {
            return candle_nn::ops::layer_norm(xs, &self.weight, &self.bias, self.eps as f32);
        }
        let mean = xs.mean_keepdim(D::Minus1)?;
        let centered = xs.broadcast_sub(&mean)?;
        let variance = centered.sqr()?.mean_keepdim(D::Minus1)?;
        let normed = centered.broadcast_div(&(variance + self.eps)?.sqrt()?)?;
        normed
            .broadcast_mul(&self.weight)?
            .broadcast_add(&self.bias)
    }
}

struct BertEmbeddings {
    word_embeddings: Embedding,
    position_embeddings: Embedding,
    token_type_embeddings: Embedding,
    layer_norm: LayerNorm,
    dropout: f64,
}

impl BertEmbeddings {
    fn load(vb: VarBuilder, cfg: &Config) -> Result<Self> {
        Ok(Self {
            word_embeddings: embedding(cfg.vocab_size, cfg.hidden_size, vb.pp("word_embeddings"))?,
            position_embeddings: embedding(
                cfg.max_position_embeddings,
                cfg.hidden_size,
                vb.pp("position_embeddings"),
            )?,
            token_type_embeddings: embedding(
                cfg.type_vocab_size,
                cfg.hidden_size,
                vb.pp("token_type_embeddings"),
            )?,
            layer_norm: LayerNorm::load(cfg.hidden_size, cfg.layer_norm_eps, vb.pp("LayerNorm"))?,
            dropout: cfg.hidden_dropout_prob,
        })
    }

    fn forward(&self, input_ids: &Tensor, mode: Mode) -> Result<Tensor> {
        let (_batch, seq_len) = input_ids.dims2()?;
        let words = self.word_embeddings.forward(input_ids)?;
        let positions = Tensor::arange(0u32, seq_len as u32, input_ids.device())?;
        let positions = self.position_embeddings.forward(&positions)?;
        // Every token is of type 0: heihui classifies single texts.
        let types = self.token_type_embeddings.forward(&Tensor::zeros(
            1,
            DType::U32,
            input_ids.device(),
        )?)?;
        let embeddings = words.broadcast_add(&positions)?.broadcast_add(&types)?;
        let embeddings = self.layer_norm.forward(&embeddings, mode)?;
        dropout(&embeddings, self.dropout, mode)
    }

    /// Inference over packed texts: `(tokens, hidden)` from `(tokens,)` ids and positions.
    fn forward_packed(&self, packed: &Packed) -> Result<Tensor> {
        let words = self.word_embeddings.forward(&packed.ids)?;
        let positions = self.position_embeddings.forward(&packed.positions)?;
        let types = self.token_type_embeddings.embeddings().get(0)?;
        words.inplace_op2(&positions, &self.layer_norm.after_sum(&types)?)?;
        Ok(words)
    }
}

struct BertSelfAttention {
    query: Linear,
    key: Linear,
    value: Linear,
    heads: usize,
    head_size: usize,
    dropout: f64,
}

impl BertSelfAttention {
    fn load(vb: VarBuilder, cfg: &Config) -> Result<Self> {
        let head_size = cfg.hidden_size / cfg.num_attention_heads;
        let all = cfg.num_attention_heads * head_size;
        Ok(Self {
            query: linear(cfg.hidden_size, all, vb.pp("query"))?,
            key: linear(cfg.hidden_size, all, vb.pp("key"))?,
            value: linear(cfg.hidden_size, all, vb.pp("value"))?,
            heads: cfg.num_attention_heads,
            head_size,
            dropout: cfg.attention_probs_dropout_prob,
        })
    }

    fn forward(&self, hidden: &Tensor, mask: &Tensor, mode: Mode) -> Result<Tensor> {
        let (batch, seq, width) = hidden.dims3()?;
        // Query, key and value in one matrix product: the three weights side by side (a
        // copy of 3 x hidden^2 numbers, small next to the product, and differentiable).
        let weight = Tensor::cat(
            &[
                &self.query.weight_t,
                &self.key.weight_t,
                &self.value.weight_t,
            ],
            1,
        )?;
        let bias = Tensor::cat(&[&self.query.bias, &self.key.bias, &self.value.bias], 0)?;
        let qkv = hidden
            .reshape((batch * seq, width))?
            .matmul(&weight)?
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
        let weight = Tensor::cat(&[&self.key.weight_t, &self.value.weight_t], 1)?;
        let kv = hidden.matmul(&weight)?;
        let query = self.query.product(asking)?;
        query.inplace_op2(
            &kv,
            &PackedAttention {
                spans: Arc::clone(&packed.spans),
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
struct BertOutput {
    dense: Linear,
    layer_norm: LayerNorm,
    dropout: f64,
}

impl BertOutput {
    fn load(vb: VarBuilder, cfg: &Config, input: usize) -> Result<Self> {
        Ok(Self {
            dense: linear(input, cfg.hidden_size, vb.pp("dense"))?,
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

struct BertLayer {
    attention: BertSelfAttention,
    attention_output: BertOutput,
    intermediate: Linear,
    activation: HiddenAct,
    output: BertOutput,
}

impl BertLayer {
    fn load(vb: VarBuilder, cfg: &Config, activation: HiddenAct) -> Result<Self> {
        Ok(Self {
            attention: BertSelfAttention::load(vb.pp("attention").pp("self"), cfg)?,
            attention_output: BertOutput::load(
                vb.pp("attention").pp("output"),
                cfg,
                cfg.hidden_size,
            )?,
            intermediate: linear(
                cfg.hidden_size,
                cfg.intermediate_size,
                vb.pp("intermediate").pp("dense"),
            )?,
            activation,
            output: BertOutput::load(vb.pp("output"), cfg, cfg.intermediate_size)?,
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

/// Texts laid end to end with no padding, for [`BertClassifier::forward_packed`].
pub struct Packed {
    ids: Tensor,
    positions: Tensor,
    firsts: Tensor,
    spans: Arc<[Span]>,
}

impl Packed {
    /// Packs encoded texts (each with its special tokens, none empty).
    ///
    /// # Errors
    /// An empty text, or a device allocation failure.
    pub fn new(encoded: &[&[u32]], device: &Device) -> Result<Self> {
        let tokens: usize = encoded.iter().map(|e| e.len()).sum();
        let mut ids = Vec::with_capacity(tokens);
        let mut positions = Vec::with_capacity(tokens);
        let mut firsts = Vec::with_capacity(encoded.len());
        let mut spans = Vec::with_capacity(encoded.len());
        for e in encoded {
            if e.is_empty() {
                candle_core::bail!("packed texts: a text has no tokens");
            }
            firsts.push(ids.len() as u32);
            spans.push(Span {
                start: ids.len(),
                len: e.len(),
            });
            ids.extend_from_slice(e);
            positions.extend(0..e.len() as u32);
        }
        Ok(Packed {
            ids: Tensor::from_vec(ids, tokens, device)?,
            positions: Tensor::from_vec(positions, tokens, device)?,
            firsts: Tensor::from_vec(firsts, encoded.len(), device)?,
            spans: spans.into(),
        })
    }

    /// The rows of `hidden` that `queries` names.
    fn query_rows(&self, hidden: &Tensor, queries: Queries) -> Result<Tensor> {
        match queries {
            Queries::All => Ok(hidden.clone()),
            Queries::First => hidden.index_select(&self.firsts, 0),
        }
    }
}

/// BERT with the pooler and a classification head, as transformers'
/// `BertForSequenceClassification`.
pub struct BertClassifier {
    embeddings: BertEmbeddings,
    layers: Vec<BertLayer>,
    pooler: Linear,
    classifier: Linear,
    classifier_dropout: f64,
    device: Device,
}

impl BertClassifier {
    /// Builds the model from `vb`, whose root holds `bert.*` and `classifier.*`.
    ///
    /// # Errors
    /// A missing tensor or one of the wrong shape; an unsupported activation.
    pub fn load(vb: VarBuilder, cfg: &Config) -> Result<Self> {
        let activation = cfg.activation().map_err(candle_core::Error::msg)?;
        let bert = vb.pp("bert");
        let layers = (0..cfg.num_hidden_layers)
            .map(|i| BertLayer::load(bert.pp("encoder").pp("layer").pp(i), cfg, activation))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            embeddings: BertEmbeddings::load(bert.pp("embeddings"), cfg)?,
            layers,
            pooler: linear(
                cfg.hidden_size,
                cfg.hidden_size,
                bert.pp("pooler").pp("dense"),
            )?,
            classifier: linear(cfg.hidden_size, cfg.id2label.len(), vb.pp("classifier"))?,
            classifier_dropout: cfg.classifier_dropout(),
            device: vb.device().clone(),
        })
    }

    /// The device the weights live on.
    pub fn device(&self) -> &Device {
        &self.device
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
        let first = hidden.narrow(1, 0, 1)?.squeeze(1)?;
        let pooled = self.pooler.forward(&first)?.tanh()?;
        let pooled = dropout(&pooled, self.classifier_dropout, mode)?;
        self.classifier.forward(&pooled)
    }

    /// Logits `(texts, labels)` for packed texts, at inference. The same numbers as
    /// [`BertClassifier::forward`] with [`Mode::Infer`], with less work: no padding, and the
    /// last layer runs its queries, feed-forward block and layer norms for each text's first
    /// token only, the one the pooler reads.
    ///
    /// # Errors
    /// Shape mismatches, which [`Packed::new`] never produces.
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
        let pooled = self.pooler.forward(&first)?.tanh()?;
        self.classifier.forward(&pooled)
    }
}
