//! Self-attention over packed texts: the inference kernel behind
//! [`BertClassifier::forward_packed`](super::BertClassifier::forward_packed).
//!
//! Texts are laid end to end as rows of one `(tokens, hidden)` matrix, with no padding, so
//! every dense layer multiplies only real tokens and attention needs no mask: each text attends
//! within its own rows. One pass over each text and head computes scores, softmax and the
//! weighted values without materialising a `(batch, heads, seq, seq)` tensor or copying
//! heads into their own layout, which is where candle's padded attention spends its time at
//! this model size (BENCHMARKS.md). Texts run in parallel on rayon's pool, candle's own.

use std::sync::Arc;

use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape};
use rayon::prelude::*;

use super::kernels::{contiguous_f32, exp, max, sum, LANES};

/// Where one text's tokens sit among the packed rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First row.
    pub start: usize,
    /// Rows (tokens), at least one.
    pub len: usize,
}

/// Which tokens ask the question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queries {
    /// Every token: the query rows are the packed rows.
    All,
    /// Only each text's first token (`[CLS]`), one query row per text: all the last layer
    /// needs, since the classifier reads nothing else.
    First,
}

/// Attention of queries `(rows, hidden)` over keys and values side by side in
/// `(tokens, 2 * hidden)`, both multiplied by their weights but without their biases, which
/// the kernel adds as it reads them (and the `scale` with the query bias). The output has the
/// queries' shape, heads merged.
#[derive(Debug, Clone)]
pub struct PackedAttention {
    /// The texts, in row order.
    pub spans: Arc<[Span]>,
    /// Attention heads.
    pub heads: usize,
    /// Width of one head.
    pub head_size: usize,
    /// All tokens or the first of each text.
    pub queries: Queries,
    /// Multiplies the scores: `1 / sqrt(head_size)`.
    pub scale: f32,
    /// Query bias, `(hidden,)`.
    pub query_bias: Vec<f32>,
    /// Key bias, `(hidden,)`.
    pub key_bias: Vec<f32>,
    /// Value bias, `(hidden,)`.
    pub value_bias: Vec<f32>,
}

impl PackedAttention {
    fn query_rows(&self, span: &Span) -> usize {
        match self.queries {
            Queries::All => span.len,
            Queries::First => 1,
        }
    }

    /// One text, every head: `query` holds its query rows, `out` their outputs. Compiled for
    /// the widest vector instructions the processor has (pulp's runtime dispatch), so the
    /// loops vectorise to AVX2 where there is AVX2, as candle's matmul does.
    fn attend(&self, span: &Span, query: &[f32], kv: &[f32], out: &mut [f32]) {
        pulp::Arch::new().dispatch(Attend {
            op: self,
            span,
            query,
            kv,
            out,
        });
    }

    #[inline(always)]
    fn attend_plain(&self, span: &Span, query: &[f32], kv: &[f32], out: &mut [f32]) {
        let width = self.heads * self.head_size;
        let d = self.head_size;
        let len = span.len;
        let blocks = len.div_ceil(LANES);
        let mut keys = vec![0f32; blocks * d * LANES];
        let mut scores = vec![0f32; blocks * LANES];
        let mut q = vec![0f32; d];
        let text_kv = &kv[span.start * 2 * width..(span.start + len) * 2 * width];
        for head in 0..self.heads {
            for (j, kv_row) in text_kv.chunks_exact(2 * width).enumerate() {
                let (block, lane) = (j / LANES, j % LANES);
                let key = &kv_row[head * d..(head + 1) * d];
                let bias = &self.key_bias[head * d..(head + 1) * d];
                for (c, (&k, &b)) in key.iter().zip(bias).enumerate() {
                    keys[(block * d + c) * LANES + lane] = k + b;
                }
            }
            for r in 0..self.query_rows(span) {
                let row = &query[r * width + head * d..r * width + (head + 1) * d];
                let bias = &self.query_bias[head * d..(head + 1) * d];
                for ((q, &x), &b) in q.iter_mut().zip(row).zip(bias) {
                    *q = (x + b) * self.scale;
                }
                score_blocks(&q, &keys, &mut scores);
                let probs = &mut scores[..len];
                let top = max(probs);
                for s in probs.iter_mut() {
                    *s = exp(*s - top);
                }
                let total = sum(probs);
                let dst = &mut out[r * width + head * d..r * width + (head + 1) * d];
                weigh_values(probs, text_kv, 2 * width, width + head * d, dst);
                // The probabilities sum to one, so the value bias adds once.
                let inv = 1.0 / total;
                let bias = &self.value_bias[head * d..(head + 1) * d];
                for (o, &b) in dst.iter_mut().zip(bias) {
                    *o = o.mul_add(inv, b);
                }
            }
        }
    }
}

/// Key blocks scored together, so that as many multiply-adds are in flight at once.
const GROUP: usize = 4;

/// Scores of one query against keys laid out in blocks of [`LANES`] keys
/// (`keys[(block * d + c) * LANES + lane]` is component `c` of key `block * LANES + lane`):
/// `scores[j] = q · key_j`. Accumulators stay in registers across the components, and each
/// component is one vector multiply-add per block.
#[inline(always)]
fn score_blocks(q: &[f32], keys: &[f32], scores: &mut [f32]) {
    let block = q.len() * LANES;
    let mut key_groups = keys.chunks_exact(block * GROUP);
    let mut score_groups = scores.chunks_exact_mut(LANES * GROUP);
    for (keys, scores) in (&mut key_groups).zip(&mut score_groups) {
        let mut acc = [[0f32; LANES]; GROUP];
        for (c, &qc) in q.iter().enumerate() {
            for (g, acc) in acc.iter_mut().enumerate() {
                let k = &keys[g * block + c * LANES..][..LANES];
                for (a, &k) in acc.iter_mut().zip(k) {
                    *a = qc.mul_add(k, *a);
                }
            }
        }
        for (dst, acc) in scores.chunks_exact_mut(LANES).zip(&acc) {
            dst.copy_from_slice(acc);
        }
    }
    let rest = key_groups.remainder().chunks_exact(block);
    for (keys, scores) in rest.zip(score_groups.into_remainder().chunks_exact_mut(LANES)) {
        let mut acc = [0f32; LANES];
        for (c, &qc) in q.iter().enumerate() {
            for (a, &k) in acc.iter_mut().zip(&keys[c * LANES..][..LANES]) {
                *a = qc.mul_add(k, *a);
            }
        }
        scores.copy_from_slice(&acc);
    }
}

/// Width of the value accumulator kept in registers: four 256-bit vectors.
const VALUE_CHUNK: usize = 4 * LANES;

/// `dst = Σ_j probs[j] * value_j`, the value of row `j` being `rows[j * stride + offset..]`
/// `[..dst.len()]`. The accumulator for a chunk of the head stays in registers across rows.
#[inline(always)]
fn weigh_values(probs: &[f32], rows: &[f32], stride: usize, offset: usize, dst: &mut [f32]) {
    let mut start = 0;
    while start + VALUE_CHUNK <= dst.len() {
        let mut acc = [0f32; VALUE_CHUNK];
        for (&p, row) in probs.iter().zip(rows.chunks_exact(stride)) {
            let value = &row[offset + start..][..VALUE_CHUNK];
            for (a, &v) in acc.iter_mut().zip(value) {
                *a = p.mul_add(v, *a);
            }
        }
        dst[start..start + VALUE_CHUNK].copy_from_slice(&acc);
        start += VALUE_CHUNK;
    }
    let rest = &mut dst[start..];
    rest.fill(0.0);
    for (&p, row) in probs.iter().zip(rows.chunks_exact(stride)) {
        let value = &row[offset + start..][..rest.len()];
        for (a, &v) in rest.iter_mut().zip(value) {
            *a = p.mul_add(v, *a);
        }
    }
}

/// One call of [`PackedAttention::attend`], as pulp's dispatch takes it: everything on the
/// way to the loops is inlined, so they compile with the dispatched instruction set.
struct Attend<'a> {
    op: &'a PackedAttention,
    span: &'a Span,
    query: &'a [f32],
    kv: &'a [f32],
    out: &'a mut [f32],
}

impl pulp::WithSimd for Attend<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        self.op
            .attend_plain(self.span, self.query, self.kv, self.out);
    }
}

impl CustomOp2 for PackedAttention {
    fn name(&self) -> &'static str {
        "packed-attention"
    }

    fn cpu_fwd(
        &self,
        q_storage: &CpuStorage,
        q_layout: &Layout,
        kv_storage: &CpuStorage,
        kv_layout: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let width = self.heads * self.head_size;
        let query = contiguous_f32(q_storage, q_layout, self.name(), "queries")?;
        let kv = contiguous_f32(kv_storage, kv_layout, self.name(), "keys and values")?;
        let tokens: usize = self.spans.iter().map(|s| s.len).sum();
        let query_rows: usize = self.spans.iter().map(|s| self.query_rows(s)).sum();
        if q_layout.dims() != [query_rows, width] || kv_layout.dims() != [tokens, 2 * width] {
            candle_core::bail!(
                "packed attention: queries {:?} and keys/values {:?} do not fit {} texts of {tokens} tokens",
                q_layout.dims(),
                kv_layout.dims(),
                self.spans.len()
            );
        }
        let mut out = vec![0f32; query_rows * width];
        // Each text's query rows and output rows, cut apart so texts run in parallel.
        let mut jobs = Vec::with_capacity(self.spans.len());
        let (mut query_rest, mut out_rest) = (query, out.as_mut_slice());
        for span in self.spans.iter() {
            let n = self.query_rows(span) * width;
            let (q, q_next) = query_rest.split_at(n);
            let (o, o_next) = std::mem::take(&mut out_rest).split_at_mut(n);
            jobs.push((span, q, o));
            query_rest = q_next;
            out_rest = o_next;
        }
        jobs.into_par_iter()
            .for_each(|(span, q, o)| self.attend(span, q, kv, o));
        Ok((CpuStorage::F32(out), Shape::from((query_rows, width))))
    }
}
