//! Self-attention over packed texts: the inference kernel behind
//! [`Network::forward_packed`](crate::model::Network::forward_packed).
//!
//! Texts are laid end to end as rows of one `(tokens, hidden)` matrix, with no padding, so
//! every dense layer multiplies only real tokens and attention needs no mask: each text attends
//! within its own rows. One pass over each text and head computes scores, softmax and the
//! weighted values without materialising a `(batch, heads, seq, seq)` tensor or copying
//! heads into their own layout, which is where candle's padded attention spends its time at
//! this model size (BENCHMARKS.md). Texts run in parallel on rayon's pool, candle's own.
//!
//! The products are written with pulp's vectors, dispatched at run time to AVX-512 or AVX2:
//! four queries at a time share each key and value load, and their accumulators stay in
//! registers. Written as plain arrays for the compiler to vectorise, the four-query loops
//! kept their accumulators on the stack (scalar multiply-adds under `perf annotate`), and the
//! packed forward pass ran at 99.6 GFLOP/s (batch 32, sequence 128, `cargo bench --bench
//! model`); with the vectors, in the next run, at 161.6 (BENCHMARKS.md).

use std::sync::Arc;

use candle_core::{CpuStorage, InplaceOp2, Layout, Result};
use pulp::Simd;
use rayon::prelude::*;

use super::kernels::{contiguous_f32, contiguous_f32_mut, exp, max, sum};

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
/// the kernel adds as it reads them (and the `scale` with the query bias). In place: the
/// outputs, heads merged, replace the queries.
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

    /// One text, every head: `rows` holds its query rows on the way in and their outputs on
    /// the way out. Compiled for the widest vector instructions the processor has (pulp's
    /// runtime dispatch): AVX-512 or AVX2 where there is one.
    fn attend(&self, span: &Span, rows: &mut [f32], kv: &[f32]) {
        pulp::Arch::new().dispatch(Attend {
            op: self,
            span,
            rows,
            kv,
        });
    }

    /// [`PackedAttention::attend`] with the vectors of `simd`.
    #[inline(always)]
    fn attend_with<S: Simd>(&self, simd: S, span: &Span, rows: &mut [f32], kv: &[f32]) {
        let lanes = S::F32_LANES;
        let width = self.heads * self.head_size;
        let d = self.head_size;
        let len = span.len;
        let padded = len.div_ceil(lanes) * lanes;
        let mut keys = vec![0f32; padded * d];
        let mut scores = vec![0f32; QUERY_GROUP * padded];
        let blocks = padded / lanes;
        let mut q = vec![0f32; QUERY_GROUP * d];
        let text_kv = &kv[span.start * 2 * width..(span.start + len) * 2 * width];
        let asking = self.query_rows(span);
        for head in 0..self.heads {
            let cols = head * d..(head + 1) * d;
            for (j, kv_row) in text_kv.chunks_exact(2 * width).enumerate() {
                let (block, lane) = (j / lanes, j % lanes);
                let bias = &self.key_bias[cols.clone()];
                for (c, (&k, &b)) in kv_row[cols.clone()].iter().zip(bias).enumerate() {
                    keys[(block * d + c) * lanes + lane] = k + b;
                }
            }
            let keys = Keys {
                blocks: S::as_simd_f32s(&keys).0,
                width: d,
            };
            let values = Values {
                rows: text_kv,
                stride: 2 * width,
                offset: width + head * d,
            };
            let mut first = 0;
            while first < asking {
                let n = (asking - first).min(QUERY_GROUP);
                // The group's queries, copied out with their bias and scale before their rows
                // take the outputs.
                for (r, q) in q.chunks_exact_mut(d).take(n).enumerate() {
                    let row = &rows[(first + r) * width..][cols.clone()];
                    let bias = &self.query_bias[cols.clone()];
                    for ((q, &x), &b) in q.iter_mut().zip(row).zip(bias) {
                        *q = (x + b) * self.scale;
                    }
                }
                let vectors = S::as_mut_simd_f32s(&mut scores).0;
                match n {
                    // Queries times key blocks at once: 4 x 2 or 1 x 8 accumulators, enough
                    // independent multiply-adds to cover the FMA latency, and with the keys
                    // and a broadcast query component within AVX2's 16 registers.
                    QUERY_GROUP => keys.score::<S, QUERY_GROUP, 2>(simd, &q, vectors),
                    _ => {
                        let pairs = q.chunks_exact(d).zip(vectors.chunks_exact_mut(blocks));
                        for (q, scores) in pairs.take(n) {
                            keys.score::<S, 1, 8>(simd, q, scores);
                        }
                    }
                }
                let mut inv = [0f32; QUERY_GROUP];
                for (r, probs) in scores.chunks_exact_mut(padded).take(n).enumerate() {
                    let probs = &mut probs[..len];
                    let top = max(probs);
                    for s in probs.iter_mut() {
                        *s = exp(*s - top);
                    }
                    inv[r] = 1.0 / sum(probs);
                }
                let probs: [&[f32]; QUERY_GROUP] =
                    std::array::from_fn(|r| &scores[r * padded..r * padded + len]);
                let out = &mut rows[first * width..(first + n) * width];
                match n {
                    QUERY_GROUP => values.weigh(simd, probs, out, width, head * d, d),
                    _ => {
                        for (probs, out) in probs.iter().zip(out.chunks_exact_mut(width)) {
                            values.weigh(simd, [*probs], out, width, head * d, d);
                        }
                    }
                }
                // The probabilities sum to one, so the value bias adds once.
                let bias = &self.value_bias[cols.clone()];
                for (&inv, out) in inv.iter().zip(out.chunks_exact_mut(width)) {
                    for (o, &b) in out[cols.clone()].iter_mut().zip(bias) {
                        *o = o.mul_add(inv, b);
                    }
                }
                first += n;
            }
        }
    }
}

/// Queries scored and weighed together: each key or value loaded serves this many, and the
/// group's accumulators are enough independent multiply-adds to keep both FMA units busy.
const QUERY_GROUP: usize = 4;

/// One head's keys (with their bias), in blocks of as many keys as a vector has lanes:
/// `blocks[block * width + c]` holds component `c` of the block's keys.
struct Keys<'a, V> {
    blocks: &'a [V],
    /// The head width.
    width: usize,
}

impl<V: Copy> Keys<'_, V> {
    /// Scores of `Q` queries (`q`, `Q` rows of the head width) against every key: vector
    /// `scores[r * blocks + b]` holds query `r`'s scores for block `b`. `G` blocks at a time,
    /// so that `Q * G` accumulators stay in registers across the components.
    #[inline(always)]
    fn score<S: Simd<f32s = V>, const Q: usize, const G: usize>(
        &self,
        simd: S,
        q: &[f32],
        scores: &mut [V],
    ) {
        let d = self.width;
        let blocks = self.blocks.len() / d;
        let queries: [&[f32]; Q] = std::array::from_fn(|r| &q[r * d..(r + 1) * d]);
        let mut first = 0;
        while first < blocks {
            let group = (blocks - first).min(G);
            let mut acc = [[simd.splat_f32s(0.0); G]; Q];
            let keys = &self.blocks[first * d..(first + group) * d];
            if group == G {
                for c in 0..d {
                    let k: [V; G] = std::array::from_fn(|g| keys[g * d + c]);
                    for (acc, query) in acc.iter_mut().zip(&queries) {
                        let qc = simd.splat_f32s(query[c]);
                        for (a, &k) in acc.iter_mut().zip(&k) {
                            *a = simd.mul_add_e_f32s(qc, k, *a);
                        }
                    }
                }
            } else {
                // Fewer than `G` blocks left: one at a time.
                for (g, keys) in keys.chunks_exact(d).enumerate() {
                    for (c, &k) in keys.iter().enumerate() {
                        for (acc, query) in acc.iter_mut().zip(&queries) {
                            let qc = simd.splat_f32s(query[c]);
                            acc[g] = simd.mul_add_e_f32s(qc, k, acc[g]);
                        }
                    }
                }
            }
            for (r, acc) in acc.iter().enumerate() {
                scores[r * blocks + first..][..group].copy_from_slice(&acc[..group]);
            }
            first += group;
        }
    }
}

/// A head's values among the packed key/value rows: the value of token `j` is
/// `rows[j * stride + offset..]`.
struct Values<'a> {
    rows: &'a [f32],
    stride: usize,
    offset: usize,
}

impl Values<'_> {
    /// For `Q` queries, `out[r * out_stride + out_offset..][..d] = Σ_j probs[r][j] * value_j`
    /// (unnormalised probabilities, one per value row). The head is taken two vectors at a
    /// time, so each value load serves `Q` queries and the `2 * Q` accumulators stay in
    /// registers across the rows.
    #[inline(always)]
    fn weigh<S: Simd, const Q: usize>(
        &self,
        simd: S,
        probs: [&[f32]; Q],
        out: &mut [f32],
        out_stride: usize,
        out_offset: usize,
        d: usize,
    ) {
        let rows = self.rows.chunks_exact(self.stride);
        let chunk = 2 * S::F32_LANES;
        let mut start = 0;
        while start + chunk <= d {
            let mut acc = [[simd.splat_f32s(0.0); 2]; Q];
            for (j, row) in rows.clone().enumerate() {
                let value = S::as_simd_f32s(&row[self.offset + start..][..chunk]).0;
                let value = [value[0], value[1]];
                for (acc, probs) in acc.iter_mut().zip(&probs) {
                    let p = simd.splat_f32s(probs[j]);
                    for (a, &v) in acc.iter_mut().zip(&value) {
                        *a = simd.mul_add_e_f32s(p, v, *a);
                    }
                }
            }
            for (r, acc) in acc.iter().enumerate() {
                let dst = &mut out[r * out_stride + out_offset + start..][..chunk];
                S::as_mut_simd_f32s(dst).0.copy_from_slice(acc);
            }
            start += chunk;
        }
        if start < d {
            // A head width that is not a whole number of chunks: the rest, query by query.
            for (r, probs) in probs.iter().enumerate() {
                let dst = &mut out[r * out_stride + out_offset + start..][..d - start];
                dst.fill(0.0);
                for (&p, row) in probs.iter().zip(rows.clone()) {
                    for (a, &v) in dst.iter_mut().zip(&row[self.offset + start..]) {
                        *a = p.mul_add(v, *a);
                    }
                }
            }
        }
    }
}

/// One call of [`PackedAttention::attend`], as pulp's dispatch takes it: everything on the
/// way to the loops is inlined, so they compile with the dispatched instruction set.
struct Attend<'a> {
    op: &'a PackedAttention,
    span: &'a Span,
    rows: &'a mut [f32],
    kv: &'a [f32],
}

impl pulp::WithSimd for Attend<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        self.op.attend_with(simd, self.span, self.rows, self.kv);
    }
}

impl InplaceOp2 for PackedAttention {
    fn name(&self) -> &'static str {
        "packed-attention"
    }

    fn cpu_fwd(
        &self,
        q_storage: &mut CpuStorage,
        q_layout: &Layout,
        kv_storage: &CpuStorage,
        kv_layout: &Layout,
    ) -> Result<()> {
        let width = self.heads * self.head_size;
        let query = contiguous_f32_mut(q_storage, q_layout, self.name(), "queries")?;
        let kv = contiguous_f32(kv_storage, kv_layout, self.name(), "keys and values")?;
        let tokens: usize = self.spans.iter().map(|s| s.len).sum();
        let query_rows: usize = self.spans.iter().map(|s| self.query_rows(s)).sum();
        if q_layout.dims() != [query_rows, width] || kv_layout.dims() != [tokens, 2 * width] {
            candle_core::bail!(
                "packed attention: queries {:?} and keys/values {:?} do not fit {} texts of \
                 {tokens} tokens",
                q_layout.dims(),
                kv_layout.dims(),
                self.spans.len()
            );
        }
        // Each text's query rows, cut apart so texts run in parallel.
        let mut jobs = Vec::with_capacity(self.spans.len());
        let mut rest = query;
        for span in self.spans.iter() {
            let (rows, next) =
                std::mem::take(&mut rest).split_at_mut(self.query_rows(span) * width);
            jobs.push((span, rows));
            rest = next;
        }
        jobs.into_par_iter()
            .for_each(|(span, rows)| self.attend(span, rows, kv));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Attention as the definition reads, one query, head and key at a time.
    fn reference(op: &PackedAttention, query: &[f32], kv: &[f32]) -> Vec<f32> {
        let (d, width) = (op.head_size, op.heads * op.head_size);
        let mut out = Vec::new();
        let mut row = 0;
        for span in op.spans.iter() {
            for _ in 0..op.query_rows(span) {
                let mut merged = vec![0f32; width];
                for h in 0..op.heads {
                    let q = |c: usize| query[row * width + h * d + c] + op.query_bias[h * d + c];
                    let key = |j: usize, c: usize| {
                        kv[(span.start + j) * 2 * width + h * d + c] + op.key_bias[h * d + c]
                    };
                    let scores: Vec<f32> = (0..span.len)
                        .map(|j| (0..d).map(|c| q(c) * key(j, c)).sum::<f32>() * op.scale)
                        .collect();
                    let top = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let weights: Vec<f32> = scores.iter().map(|s| (s - top).exp()).collect();
                    let total: f32 = weights.iter().sum();
                    for c in 0..d {
                        merged[h * d + c] = (0..span.len)
                            .map(|j| {
                                let v = kv[(span.start + j) * 2 * width + width + h * d + c];
                                weights[j] / total * (v + op.value_bias[h * d + c])
                            })
                            .sum();
                    }
                }
                out.extend(merged);
                row += 1;
            }
        }
        out
    }

    fn random(rng: &mut Rng, n: usize) -> Vec<f32> {
        (0..n)
            .map(|_| (rng.next_f64() * 2.0 - 1.0) as f32)
            .collect()
    }

    /// Vectors of 1, 8 and 16 lanes and the processor's own, every query grouping (groups of
    /// four and the rest) and key blocking (whole groups, a lone block, a partial block),
    /// against the definition.
    #[test]
    fn every_vector_width_matches_the_definition() {
        let mut rng = Rng::new(7);
        let lens = [1usize, 3, 4, 9, 16, 17, 33, 40];
        let mut spans = Vec::new();
        let mut start = 0;
        for &len in &lens {
            spans.push(Span { start, len });
            start += len;
        }
        // Head widths: whole two-vector chunks for both widths (32), and a remainder (20).
        for (heads, head_size) in [(4usize, 32usize), (2, 20)] {
            let width = heads * head_size;
            for queries in [Queries::All, Queries::First] {
                let op = PackedAttention {
                    spans: spans.clone().into(),
                    heads,
                    head_size,
                    queries,
                    scale: 1.0 / (head_size as f32).sqrt(),
                    query_bias: random(&mut rng, width),
                    key_bias: random(&mut rng, width),
                    value_bias: random(&mut rng, width),
                };
                let rows: usize = spans.iter().map(|s| op.query_rows(s)).sum();
                let query: Vec<f32> = random(&mut rng, rows * width)
                    .iter()
                    .map(|x| x * 3.0)
                    .collect();
                let kv = random(&mut rng, start * 2 * width);
                let want = reference(&op, &query, &kv);
                for lanes in [1, 8, 16, 0] {
                    let mut got = query.clone();
                    let mut rest = got.as_mut_slice();
                    for span in op.spans.iter() {
                        let (rows, next) =
                            std::mem::take(&mut rest).split_at_mut(op.query_rows(span) * width);
                        let kv = &kv;
                        let job = Attend {
                            op: &op,
                            span,
                            rows,
                            kv,
                        };
                        match lanes {
                            1 => pulp::Scalar::new().vectorize(job),
                            8 => pulp::Scalar256b.vectorize(job),
                            16 => pulp::Scalar512b.vectorize(job),
                            // This processor's own.
                            _ => pulp::Arch::new().dispatch(job),
                        }
                        rest = next;
                    }
                    let worst = got
                        .iter()
                        .zip(&want)
                        .map(|(a, b)| (a - b).abs())
                        .fold(0f32, f32::max);
                    assert!(
                        worst < 1e-5,
                        "{lanes} lanes, {heads}x{head_size}, {queries:?}: \
                         largest difference {worst}"
                    );
                }
            }
        }
    }
}
