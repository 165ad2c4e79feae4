//! The building blocks every family's network is made of, with transformers' tensor names:
//! dense layers, layer norms, the embedding block and the classification head.
//!
//! Training needs real dropout and a layer norm with a backward pass (candle-nn's fused layer
//! norm has none), so every `forward` takes a [`Mode`]: inference uses the fused kernels,
//! training the differentiable composites.

use std::cell::RefCell;
use std::sync::Arc;

use candle_core::{DType, Module, Result, Tensor, D};
use candle_nn::{embedding, Embedding, VarBuilder};

use super::config::Config;
use super::packed::kernels::AddLayerNorm;
use super::packed::Packed;
use super::quant::{self, Int8Matrix, Int8Product, Precision};
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
pub(crate) fn dropout(xs: &Tensor, p: f64, mode: Mode) -> Result<Tensor> {
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
pub(crate) struct Linear {
    pub(crate) weight: Weight,
    pub(crate) bias: Tensor,
}

/// A dense layer's weights, in the precision it runs at.
#[derive(Debug, Clone)]
pub(crate) enum Weight {
    /// The fp32 weight, transposed to `(in, out)` for the matrix product.
    F32(Tensor),
    /// The int8 weight and its scales ([`quant`](super::quant)).
    Int8(Arc<Int8Matrix>),
}

/// Loads a dense layer from `vb`'s `weight` and `bias`.
pub(crate) fn linear(input: usize, output: usize, vb: VarBuilder) -> Result<Linear> {
    let inner = candle_nn::linear(input, output, vb)?;
    Ok(Linear {
        weight: Weight::F32(inner.weight().t()?),
        bias: inner.bias().expect("candle_nn::linear has a bias").clone(),
    })
}

/// Loads a dense layer at `precision`: in int8 from `vb`'s `weight_int8` and `weight_scale`
/// where the checkpoint has them (a directory `heihui quantize` wrote), else quantised from
/// its fp32 `weight` as it loads.
pub(crate) fn linear_at(
    input: usize,
    output: usize,
    vb: VarBuilder,
    precision: Precision,
) -> Result<Linear> {
    if precision == Precision::Fp32 {
        return linear(input, output, vb);
    }
    let matrix = if vb.contains_tensor(quant::WEIGHT_INT8) {
        // candle has no int8 type: the weights come as their bytes in a u8 tensor.
        let bytes = vb
            .get_with_hints_dtype(
                (output, input),
                quant::WEIGHT_INT8,
                candle_nn::Init::Const(0.0),
                DType::U8,
            )?
            .flatten_all()?
            .to_vec1::<u8>()?;
        let q: Vec<i8> = bytes.into_iter().map(|b| b as i8).collect();
        let scales = vb.get(output, quant::WEIGHT_SCALE)?.to_vec1::<f32>()?;
        Int8Matrix::from_rows(&q, &scales, output, input)?
    } else {
        let weight = vb.get((output, input), "weight")?;
        Int8Matrix::quantize(&weight.flatten_all()?.to_vec1()?, output, input)?
    };
    Ok(Linear {
        weight: Weight::Int8(Arc::new(matrix)),
        bias: vb.get(output, "bias")?,
    })
}

/// `(rows, in)` times the weights of `layers`, their outputs side by side and without their
/// biases: one matrix product for layers that read the same input (query, key and value).
pub(crate) fn products(layers: &[&Linear], xs: &Tensor) -> Result<Tensor> {
    let mut fp32 = Vec::with_capacity(layers.len());
    let mut int8 = Vec::with_capacity(layers.len());
    for layer in layers {
        match &layer.weight {
            Weight::F32(w) => fp32.push(w),
            Weight::Int8(m) => int8.push(Arc::clone(m)),
        }
    }
    match (fp32.len(), int8.len()) {
        (1, 0) => xs.matmul(fp32[0]),
        // The weights side by side: a copy of in x out numbers, small next to the product,
        // and differentiable.
        (_, 0) => xs.matmul(&Tensor::cat(&fp32, 1)?),
        (0, _) => xs.contiguous()?.apply_op1_no_bwd(&Int8Product::new(int8)),
        _ => candle_core::bail!("layers multiplied together must share one precision"),
    }
}

impl Linear {
    /// `(rows, in)` times the weight, without the bias.
    pub(crate) fn product(&self, xs: &Tensor) -> Result<Tensor> {
        products(&[self], xs)
    }
}

impl Module for Linear {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let dims = xs.dims().to_vec();
        let input = dims[dims.len() - 1];
        let rows = xs.elem_count() / input.max(1);
        let flat = self.product(&xs.reshape((rows, input))?)?;
        let flat = flat.broadcast_add(&self.bias)?;
        let mut out_dims = dims;
        let last = out_dims.len() - 1;
        out_dims[last] = flat.dim(1)?;
        flat.reshape(out_dims)
    }
}

/// Layer norm with weight and bias, named `weight` and `bias` as transformers saves them.
#[derive(Debug, Clone)]
pub(crate) struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl LayerNorm {
    pub(crate) fn load(size: usize, eps: f64, vb: VarBuilder) -> Result<Self> {
        Ok(LayerNorm {
            weight: vb.get_with_hints(size, "weight", candle_nn::Init::Const(1.0))?,
            bias: vb.get_with_hints(size, "bias", candle_nn::Init::Const(0.0))?,
            eps,
        })
    }

    /// This layer norm after adding two inputs and `bias`, fused (inference only).
    pub(crate) fn after_sum(&self, bias: &Tensor) -> Result<AddLayerNorm> {
        Ok(AddLayerNorm {
            bias: bias.to_vec1()?,
            gamma: self.weight.to_vec1()?,
            beta: self.bias.to_vec1()?,
            eps: self.eps as f32,
        })
    }

    pub(crate) fn forward(&self, xs: &Tensor, mode: Mode) -> Result<Tensor> {
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

/// Where a text's position ids start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Positions {
    /// `0, 1, 2, ...` (BERT, ELECTRA).
    FromZero,
    /// Past the padding token's id: the `k`-th token that is not padding is at `pad + k`
    /// (from 1), padding at `pad` (RoBERTa's `create_position_ids_from_input_ids`).
    PastPadding {
        /// The padding token's id, `pad_token_id`.
        pad: u32,
    },
}

impl Positions {
    /// Appends the position ids of one text's (or one padded row's) tokens to `out`.
    pub fn extend(self, ids: &[u32], out: &mut Vec<u32>) {
        match self {
            Positions::FromZero => out.extend(0..ids.len() as u32),
            Positions::PastPadding { pad } => {
                let mut seen = 0;
                out.extend(ids.iter().map(|&id| {
                    if id == pad {
                        pad
                    } else {
                        seen += 1;
                        pad + seen
                    }
                }));
            }
        }
    }

    /// The first position a text can reach (its last is this plus its length, less one).
    pub fn first(self) -> usize {
        match self {
            Positions::FromZero => 0,
            Positions::PastPadding { pad } => pad as usize + 1,
        }
    }
}

/// Word, position and token-type embeddings, summed and layer-normed at `width`
/// (`embedding_size`), then projected to `hidden_size` where the family has a projection
/// (ELECTRA's `embeddings_project` when the two differ).
pub(crate) struct Embeddings {
    word_embeddings: Embedding,
    position_embeddings: Embedding,
    token_type_embeddings: Embedding,
    layer_norm: LayerNorm,
    positions: Positions,
    project: Option<Linear>,
    dropout: f64,
}

impl Embeddings {
    /// Loads `vb`'s `word_embeddings`, `position_embeddings`, `token_type_embeddings` and
    /// `LayerNorm`, all `width` wide.
    pub(crate) fn load(
        vb: VarBuilder,
        cfg: &Config,
        width: usize,
        positions: Positions,
    ) -> Result<Self> {
        Ok(Self {
            word_embeddings: embedding(cfg.vocab_size, width, vb.pp("word_embeddings"))?,
            position_embeddings: embedding(
                cfg.max_position_embeddings,
                width,
                vb.pp("position_embeddings"),
            )?,
            token_type_embeddings: embedding(
                cfg.type_vocab_size,
                width,
                vb.pp("token_type_embeddings"),
            )?,
            layer_norm: LayerNorm::load(width, cfg.layer_norm_eps, vb.pp("LayerNorm"))?,
            positions,
            project: None,
            dropout: cfg.hidden_dropout_prob,
        })
    }

    /// These embeddings followed by `project`.
    pub(crate) fn projected(self, project: Linear) -> Self {
        Self {
            project: Some(project),
            ..self
        }
    }

    /// The word embedding matrix `(vocab, width)`.
    pub(crate) fn words(&self) -> &Tensor {
        self.word_embeddings.embeddings()
    }

    /// How position ids are counted.
    pub(crate) fn positions(&self) -> Positions {
        self.positions
    }

    /// `(batch, seq, hidden)` from padded `(batch, seq)` ids.
    pub(crate) fn forward(&self, input_ids: &Tensor, mode: Mode) -> Result<Tensor> {
        let (batch, seq_len) = input_ids.dims2()?;
        let words = self.word_embeddings.forward(input_ids)?;
        let mut positions = Vec::with_capacity(batch * seq_len);
        for row in input_ids.to_vec2::<u32>()? {
            self.positions.extend(&row, &mut positions);
        }
        let positions = Tensor::from_vec(positions, (batch, seq_len), input_ids.device())?;
        let positions = self.position_embeddings.forward(&positions)?;
        // Every token is of type 0: heihui classifies single texts.
        let types = self.token_type_embeddings.forward(&Tensor::zeros(
            1,
            DType::U32,
            input_ids.device(),
        )?)?;
        let embeddings = words.broadcast_add(&positions)?.broadcast_add(&types)?;
        let embeddings = self.layer_norm.forward(&embeddings, mode)?;
        let embeddings = dropout(&embeddings, self.dropout, mode)?;
        match &self.project {
            Some(project) => project.forward(&embeddings),
            None => Ok(embeddings),
        }
    }

    /// Inference over packed texts: `(tokens, hidden)` from [`Packed`]'s ids and positions.
    pub(crate) fn forward_packed(&self, packed: &Packed) -> Result<Tensor> {
        let words = self.word_embeddings.forward(packed.ids())?;
        let positions = self.position_embeddings.forward(packed.positions())?;
        let types = self.token_type_embeddings.embeddings().get(0)?;
        words.inplace_op2(&positions, &self.layer_norm.after_sum(&types)?)?;
        match &self.project {
            Some(project) => project.forward(&words),
            None => Ok(words),
        }
    }
}

/// The activation between a classification head's two dense layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeadActivation {
    /// BERT's pooler and RoBERTa's head.
    Tanh,
    /// ELECTRA's head: exact (erf) GELU.
    Gelu,
}

/// Where a head drops out in training.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeadDropout {
    /// After the activation only (BERT: the pooler has none of its own).
    AfterActivation,
    /// Before the first dense layer and after the activation (RoBERTa, ELECTRA).
    AroundDense,
}

/// A classification head on the first token's hidden state: dense, activation, dense to
/// the labels. BERT's pooler and classifier, RoBERTa's and ELECTRA's `classifier.dense` and
/// `classifier.out_proj` compute this alike, and differ in names, activation and dropout.
pub(crate) struct Head {
    dense: Linear,
    activation: HeadActivation,
    out: Linear,
    dropout: f64,
    dropout_at: HeadDropout,
}

impl Head {
    /// RoBERTa's and ELECTRA's head, from the checkpoint's root `vb`: `classifier.dense`, the
    /// family's activation, `classifier.out_proj`, dropout around the dense layer.
    pub(crate) fn dense_out_proj(
        vb: &VarBuilder,
        cfg: &Config,
        activation: HeadActivation,
    ) -> Result<Self> {
        let classifier = vb.pp("classifier");
        Ok(Head::new(
            linear(cfg.hidden_size, cfg.hidden_size, classifier.pp("dense"))?,
            activation,
            linear(
                cfg.hidden_size,
                cfg.id2label.len(),
                classifier.pp("out_proj"),
            )?,
            cfg,
            HeadDropout::AroundDense,
        ))
    }

    /// A head of `dense` (`hidden -> hidden`) and `out` (`hidden -> labels`).
    pub(crate) fn new(
        dense: Linear,
        activation: HeadActivation,
        out: Linear,
        cfg: &Config,
        dropout_at: HeadDropout,
    ) -> Self {
        Head {
            dense,
            activation,
            out,
            dropout: cfg.classifier_dropout(),
            dropout_at,
        }
    }

    /// Logits `(texts, labels)` from the first tokens' states `(texts, hidden)`.
    pub(crate) fn forward(&self, first: &Tensor, mode: Mode) -> Result<Tensor> {
        let first = match self.dropout_at {
            HeadDropout::AroundDense => dropout(first, self.dropout, mode)?,
            HeadDropout::AfterActivation => first.clone(),
        };
        let dense = self.dense.forward(&first)?;
        let activated = match self.activation {
            HeadActivation::Tanh => dense.tanh()?,
            HeadActivation::Gelu => dense.gelu_erf()?,
        };
        let activated = dropout(&activated, self.dropout, mode)?;
        self.out.forward(&activated)
    }
}
