//! Elementwise kernels for inference: `exp` and `erf` written so that the compiler vectorises
//! them (no calls into libm per element, no branches); the feed-forward block's bias addition
//! and erf GELU fused into one pass ([`BiasGelu`]); and a bias, residual and layer norm fused
//! into another ([`AddLayerNorm`]). Both ops write over their first input, a matrix product's
//! fresh output, rather than into a new zeroed buffer.
//!
//! The model's other per-element costs at inference were libm's scalar `erff` (about 6% of a
//! forward pass) and `expf` in attention (about 3%, and the largest single part of the
//! attention kernel's samples once its products were vectorised), measured with `perf` on
//! `cargo bench --bench model`.

use candle_core::{CpuStorage, InplaceOp2, Layout, Result};
use rayon::prelude::*;

/// `e^x`, with a relative error under 2e-7 for `x` in `[-87, 88]`, and `e^-87` (under 2e-38)
/// below it, which is 0 to a softmax (Cephes'
/// `expf`: `x = n ln 2 + r` with `|r| <= ln 2 / 2`, a degree-6 polynomial for `e^r`, and `n`
/// added to the exponent bits).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 88.0);
    let n = (x * std::f32::consts::LOG2_E + 0.5).floor();
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_1e-4f32;
    let p = p.mul_add(r, 1.398_199_9e-3);
    let p = p.mul_add(r, 8.333_452e-3);
    let p = p.mul_add(r, 4.166_579_6e-2);
    let p = p.mul_add(r, 1.666_666_5e-1);
    let p = p.mul_add(r, 0.5);
    let p = (p * r).mul_add(r, r) + 1.0;
    // 2^n from its exponent bits: adding 2^23 + 127 puts the integer n + 127 (0 to 215) in
    // the low mantissa bits, a bit cast rather than a float-to-int conversion, which would not
    // vectorise.
    let biased = (n + 8_388_735.0).to_bits();
    p * f32::from_bits(biased << 23)
}

/// The largest value, vectorised: [`LANES`] running maxima, then the largest of those.
#[inline(always)]
pub fn max(xs: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (m, &x) in lanes.iter_mut().zip(chunk) {
            *m = if x > *m { x } else { *m };
        }
    }
    rest.iter()
        .chain(&lanes)
        .copied()
        .fold(f32::NEG_INFINITY, f32::max)
}

/// The sum, vectorised: [`LANES`] running sums, then their sum.
#[inline(always)]
pub fn sum(xs: &[f32]) -> f32 {
    let mut lanes = [0f32; LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (s, &x) in lanes.iter_mut().zip(chunk) {
            *s += x;
        }
    }
    rest.iter().chain(&lanes).sum()
}

/// Numbers per 256-bit vector.
pub const LANES: usize = 8;

/// The error function, with an absolute error under 2e-7 (Abramowitz and Stegun 7.1.26,
/// with [`exp`]).
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / 0.327_591_1f32.mul_add(a, 1.0);
    let p = 1.061_405_4f32;
    let p = p.mul_add(t, -1.453_152_1);
    let p = p.mul_add(t, 1.421_413_8);
    let p = p.mul_add(t, -0.284_496_74);
    let p = p.mul_add(t, 0.254_829_6);
    let y = 1.0 - p * t * exp(-a * a);
    y.copysign(x)
}

/// `gelu(x + bias)` with the erf GELU over `(rows, width)` activations, in place, and a
/// `(width,)` bias. In place because the activations are a matrix product's fresh output:
/// a new 8 MB buffer at batch 32, sequence 128 cost its zeroing (`memset`, 4% of a forward
/// pass under perf) and a second trip through the cache.
#[derive(Debug, Clone, Copy)]
pub struct BiasGelu;

/// One chunk of rows, as pulp's dispatch takes it (see `attention.rs`).
struct GeluRows<'a> {
    rows: &'a mut [f32],
    bias: &'a [f32],
}

impl pulp::WithSimd for GeluRows<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let width = self.bias.len();
        for row in self.rows.chunks_exact_mut(width) {
            for (x, &b) in row.iter_mut().zip(self.bias) {
                let v = *x + b;
                *x = 0.5 * v * (1.0 + erf(v * std::f32::consts::FRAC_1_SQRT_2));
            }
        }
    }
}

/// The contiguous `f32` data of a CPU tensor, or an error naming the op and the input.
pub(crate) fn contiguous_f32<'a>(
    storage: &'a CpuStorage,
    layout: &Layout,
    op: &str,
    what: &str,
) -> Result<&'a [f32]> {
    let CpuStorage::F32(data) = storage else {
        candle_core::bail!("{op}: {what} must be f32");
    };
    let Some((start, end)) = layout.contiguous_offsets() else {
        candle_core::bail!("{op}: {what} must be contiguous");
    };
    Ok(&data[start..end])
}

/// As [`contiguous_f32`], for the tensor an in-place op writes.
pub(crate) fn contiguous_f32_mut<'a>(
    storage: &'a mut CpuStorage,
    layout: &Layout,
    op: &str,
    what: &str,
) -> Result<&'a mut [f32]> {
    let CpuStorage::F32(data) = storage else {
        candle_core::bail!("{op}: {what} must be f32");
    };
    let Some((start, end)) = layout.contiguous_offsets() else {
        candle_core::bail!("{op}: {what} must be contiguous");
    };
    Ok(&mut data[start..end])
}

/// Rows per parallel task: enough work to outweigh handing it to another thread.
const ROWS_PER_TASK: usize = 64;

impl InplaceOp2 for BiasGelu {
    fn name(&self) -> &'static str {
        "bias-gelu"
    }

    fn cpu_fwd(
        &self,
        x_storage: &mut CpuStorage,
        x_layout: &Layout,
        b_storage: &CpuStorage,
        b_layout: &Layout,
    ) -> Result<()> {
        let (rows, width) = x_layout.shape().dims2()?;
        let x = contiguous_f32_mut(x_storage, x_layout, self.name(), "activations")?;
        let bias = contiguous_f32(b_storage, b_layout, self.name(), "bias")?;
        if bias.len() != width || width == 0 {
            candle_core::bail!("bias-gelu: bias of {} for rows of {width}", bias.len());
        }
        debug_assert_eq!(x.len(), rows * width);
        x.par_chunks_mut(ROWS_PER_TASK * width)
            .for_each(|rows| pulp::Arch::new().dispatch(GeluRows { rows, bias }));
        Ok(())
    }
}

/// `a = layer_norm(a + b + bias)` in place over rows of `(rows, width)` inputs `a` and `b`: a
/// dense layer's bias, the residual connection and the layer norm after it in one pass (and,
/// for the embeddings, word + position + token-type rows). Runs on rayon's pool with the matrix
/// products, instead of candle's separate pool for elementwise steps: on two cores, waiting
/// for that pool's threads alone (`BarrierGuard::drop`) was 11% of a `heihui label` profile.
#[derive(Debug, Clone)]
pub struct AddLayerNorm {
    /// Added to every row, `(width,)`.
    pub bias: Vec<f32>,
    /// Layer norm weight, `(width,)`.
    pub gamma: Vec<f32>,
    /// Layer norm bias, `(width,)`.
    pub beta: Vec<f32>,
    /// Added to the variance.
    pub eps: f32,
}

/// One chunk of rows of [`AddLayerNorm`], as pulp's dispatch takes it.
struct AddNormRows<'a> {
    op: &'a AddLayerNorm,
    a: &'a mut [f32],
    b: &'a [f32],
}

impl pulp::WithSimd for AddNormRows<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let op = self.op;
        let width = op.gamma.len();
        for (out, b) in self
            .a
            .chunks_exact_mut(width)
            .zip(self.b.chunks_exact(width))
        {
            for ((o, &b), &bias) in out.iter_mut().zip(b).zip(&op.bias) {
                *o += b + bias;
            }
            let mean = sum(out) / width as f32;
            for o in out.iter_mut() {
                *o -= mean;
            }
            let variance = sum_squares(out) / width as f32;
            let inv = 1.0 / (variance + op.eps).sqrt();
            for ((o, &g), &beta) in out.iter_mut().zip(&op.gamma).zip(&op.beta) {
                *o = (*o * inv).mul_add(g, beta);
            }
        }
    }
}

impl InplaceOp2 for AddLayerNorm {
    fn name(&self) -> &'static str {
        "add-layer-norm"
    }

    fn cpu_fwd(
        &self,
        a_storage: &mut CpuStorage,
        a_layout: &Layout,
        b_storage: &CpuStorage,
        b_layout: &Layout,
    ) -> Result<()> {
        let (rows, width) = a_layout.shape().dims2()?;
        let a = contiguous_f32_mut(a_storage, a_layout, self.name(), "first input")?;
        let b = contiguous_f32(b_storage, b_layout, self.name(), "second input")?;
        let fits = [self.bias.len(), self.gamma.len(), self.beta.len()] == [width; 3];
        if b_layout.dims() != [rows, width] || !fits || width == 0 {
            candle_core::bail!(
                "add-layer-norm: inputs {:?} and {:?} with parameters of {}",
                a_layout.dims(),
                b_layout.dims(),
                self.gamma.len()
            );
        }
        let chunk = ROWS_PER_TASK * width;
        a.par_chunks_mut(chunk)
            .zip(b.par_chunks(chunk))
            .for_each(|(a, b)| pulp::Arch::new().dispatch(AddNormRows { op: self, a, b }));
        Ok(())
    }
}

/// The sum of squares, vectorised as [`sum`].
#[inline(always)]
fn sum_squares(xs: &[f32]) -> f32 {
    let mut lanes = [0f32; LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (s, &x) in lanes.iter_mut().zip(chunk) {
            *s = x.mul_add(x, *s);
        }
    }
    rest.iter().map(|x| x * x).chain(lanes).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_its_error_bound() {
        for i in -870..=880 {
            let x = i as f32 / 10.0;
            let (ours, std) = (exp(x), x.exp());
            assert!(
                (ours - std).abs() <= 2e-7 * std,
                "exp({x}): {ours} vs {std}"
            );
        }
        assert_eq!(exp(-1000.0), exp(-87.0));
        assert!(exp(f32::NEG_INFINITY) < 2e-38);
    }

    #[test]
    fn max_and_sum_cover_every_element() {
        for len in [1usize, 7, 8, 9, 31, 130] {
            let xs: Vec<f32> = (0..len).map(|i| ((i * 37) % 11) as f32 - 5.0).collect();
            let biggest = xs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            assert_eq!(max(&xs), biggest, "len {len}");
            let total: f32 = xs.iter().sum();
            assert!((sum(&xs) - total).abs() < 1e-4, "len {len}");
        }
        let mut xs = vec![0f32; 20];
        xs[19] = 3.0;
        assert_eq!(max(&xs), 3.0);
    }

    #[test]
    fn erf_is_within_its_error_bound() {
        // Reference values of erf to 9 places.
        for (x, want) in [
            (0.0f32, 0.0f64),
            (0.1, 0.112_462_916),
            (0.5, 0.520_499_878),
            (1.0, 0.842_700_793),
            (1.5, 0.966_105_146),
            (2.0, 0.995_322_265),
            (3.0, 0.999_977_910),
            (-0.5, -0.520_499_878),
            (-2.0, -0.995_322_265),
            (10.0, 1.0),
        ] {
            let ours = f64::from(erf(x));
            assert!((ours - want).abs() < 2e-7, "erf({x}) = {ours} not {want}");
        }
    }

    fn largest_difference(a: &candle_core::Tensor, b: &candle_core::Tensor) -> f32 {
        (a - b)
            .and_then(|d| d.abs())
            .and_then(|d| d.flatten_all())
            .and_then(|d| d.max(0))
            .and_then(|d| d.to_scalar::<f32>())
            .unwrap()
    }

    #[test]
    fn add_layer_norm_matches_candle_steps() {
        use candle_core::{Device, Tensor};
        let dev = &Device::Cpu;
        let a = Tensor::randn(0f32, 2.0, (70, 20), dev).unwrap();
        let b = Tensor::randn(0f32, 1.0, (70, 20), dev).unwrap();
        let [bias, gamma, beta] =
            [0.5f32, 1.0, 0.1].map(|m| Tensor::randn(0f32, m, 20, dev).unwrap());
        let op = AddLayerNorm {
            bias: bias.to_vec1().unwrap(),
            gamma: gamma.to_vec1().unwrap(),
            beta: beta.to_vec1().unwrap(),
            eps: 1e-12,
        };
        let sum = (&a + &b).unwrap().broadcast_add(&bias).unwrap();
        a.inplace_op2(&b, &op).unwrap();
        let ours = a;
        let theirs = candle_nn::ops::layer_norm(&sum, &gamma, &beta, 1e-12).unwrap();
        let diff = largest_difference(&ours, &theirs);
        assert!(diff < 1e-5, "largest difference {diff}");
    }

    #[test]
    fn bias_gelu_matches_candle_gelu_erf() {
        use candle_core::{Device, Tensor};
        let x = Tensor::randn(0f32, 3.0, (130, 24), &Device::Cpu).unwrap();
        let b = Tensor::randn(0f32, 1.0, 24, &Device::Cpu).unwrap();
        let theirs = x.broadcast_add(&b).unwrap().gelu_erf().unwrap();
        x.inplace_op2(&b, &BiasGelu).unwrap();
        let ours = x;
        let diff = largest_difference(&ours, &theirs);
        assert!(diff < 1e-5, "largest difference {diff}");
    }
}
