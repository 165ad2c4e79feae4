//! int8 inference for the encoder's dense layers: dynamic quantisation, as ONNX Runtime's
//! `quantize_dynamic` and PyTorch's `quantize_dynamic` do it.
//!
//! Each weight row (one output channel) is stored as int8 with its own scale,
//! `max |w| / 127`; each row of activations is quantised the same way when the product runs,
//! so `x . w ~ scale_x * scale_w * (qx . qw)` with the integer dot product accumulated in
//! int32 and rescaled to f32 once. Both sides stay in `[-127, 127]` (never -128), which keeps
//! AVX2's pairwise 16-bit sums below saturation (`2 * 127 * 127 < 32767`). Embeddings, layer
//! norms, softmax, the attention products and the classification head stay in f32; the bias
//! is added by the fused kernels that follow each product, as in the fp32 path.
//!
//! The products run on the widest integer instructions the processor has, chosen at run time:
//! AVX-512 VNNI (`vpdpbusd`: unsigned times signed bytes, four at a time into int32, so the
//! activations are offset by 128 to unsigned and the offset taken back with each channel's
//! weight sum), AVX-512BW or AVX2 (`vpmaddubsw` on the activations' magnitudes and the weights
//! carrying the activations' signs, then `vpmaddwd` into int32, at 512 or 256 bits), or
//! portable Rust. All four compute the same integers and rescale them in the same order, so
//! they give the same bits (a unit test holds them to it).
//!
//! Weights are packed for these kernels in panels of 16 output channels: for each group of
//! four inputs, the panel's 16 channels' four weights side by side (64 bytes, one AVX-512
//! vector), so that one activation group broadcast to every lane multiplies 16 channels at
//! once and the accumulators never need a horizontal sum.

use std::sync::Arc;

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape};
use rayon::prelude::*;

use super::packed::kernels::contiguous_f32;

/// The arithmetic of the encoder's dense layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// 32-bit floats throughout, as the checkpoint is.
    #[default]
    Fp32,
    /// int8 weights and activations in the encoder's dense layers.
    Int8,
}

impl Precision {
    /// Its name on the command line and in `config.json`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::Fp32 => "fp32",
            Precision::Int8 => "int8",
        }
    }
}

/// The name of a quantised layer's int8 weights, `(out, in)`, beside its fp32 `weight`.
pub const WEIGHT_INT8: &str = "weight_int8";
/// The name of a quantised layer's per-output-channel scales, `(out,)`.
pub const WEIGHT_SCALE: &str = "weight_scale";

/// Output channels per packed panel: one AVX-512 vector of int32 accumulators.
const PANEL: usize = 16;
/// Inputs per group: the bytes `vpdpbusd` sums into one int32.
const GROUP: usize = 4;

/// Quantises rows of `width` numbers to int8 with one scale each (`max |x| / 127`; 0 for a
/// row of zeros). Non-finite numbers give a non-finite scale, so the products they reach are
/// not finite either and the model's finiteness check stops them.
pub fn quantize_rows(values: &[f32], width: usize) -> (Vec<i8>, Vec<f32>) {
    let mut q = vec![0i8; values.len()];
    let mut scales = vec![0f32; values.len().div_ceil(width.max(1))];
    pulp::Arch::new().dispatch(QuantizeRows {
        x: values,
        inputs: width.max(1),
        q: &mut q,
        stride: width.max(1),
        scales: &mut scales,
    });
    (q, scales)
}

/// Quantises one row into `out` (as long as `row`; what follows is left alone) and returns
/// its scale.
#[inline(always)]
fn quantize_row(row: &[f32], out: &mut [i8]) -> f32 {
    // Running maxima of |x| and sums of `x * 0` (NaN once any x is not finite) in lanes the
    // compiler vectorises.
    let mut top = [0f32; LANES];
    let mut poison = [0f32; LANES];
    let chunks = row.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for ((m, p), &x) in top.iter_mut().zip(&mut poison).zip(chunk) {
            let a = x.abs();
            *m = if a > *m { a } else { *m };
            *p += x * 0.0;
        }
    }
    for (m, p) in rest.iter().map(|&x| (x.abs(), x * 0.0)) {
        top[0] = if m > top[0] { m } else { top[0] };
        poison[0] += p;
    }
    if poison.iter().sum::<f32>() != 0.0 {
        out[..row.len()].fill(0);
        return f32::INFINITY;
    }
    let top = top.iter().copied().fold(0f32, f32::max);
    let inverse = if top > 0.0 { 127.0 / top } else { 0.0 };
    let base = ROUNDING.to_bits() as i32;
    for (o, &x) in out.iter_mut().zip(row) {
        // Rounded to nearest (ties to even) by adding 1.5 * 2^23: the sum's low mantissa bits
        // are then the integer, in [-127, 127] by construction, read off as integer bits. A
        // float-to-int `as` would saturate, which compiles to scalar code (a third of a
        // bert-base int8 run's samples under `perf`).
        *o = ((x * inverse + ROUNDING).to_bits() as i32 - base) as i8;
    }
    top / 127.0
}

/// `1.5 * 2^23`: added to a float of magnitude under `2^22`, it leaves the float rounded to
/// an integer, the integer plus `1.5 * 2^23` in its low mantissa bits.
const ROUNDING: f32 = 12_582_912.0;

/// Numbers per lane group in [`quantize_row`]'s running maxima.
const LANES: usize = 16;

/// A task's rows quantised, as pulp's dispatch takes it, so that the loops compile for the
/// widest vectors the processor has.
struct QuantizeRows<'a> {
    x: &'a [f32],
    inputs: usize,
    q: &'a mut [i8],
    stride: usize,
    scales: &'a mut [f32],
}

impl pulp::WithSimd for QuantizeRows<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        for ((row, q), scale) in self
            .x
            .chunks(self.inputs)
            .zip(self.q.chunks_mut(self.stride))
            .zip(self.scales.iter_mut())
        {
            *scale = quantize_row(row, q);
        }
    }
}

/// A dense layer's weights in int8, packed for the kernels.
#[derive(Debug, Clone)]
pub struct Int8Matrix {
    /// Output channels.
    outputs: usize,
    /// Inputs.
    inputs: usize,
    /// Groups of [`GROUP`] inputs (the last zero-padded).
    groups: usize,
    /// Panel `p`, group `g`, channel `j`, input `i` at `((p * groups + g) * PANEL + j) * GROUP
    /// + i`; channels past `outputs` and inputs past `inputs` are zero.
    packed: Vec<i8>,
    /// Each channel's scale, zero past `outputs`.
    scales: Vec<f32>,
    /// Each channel's weight sum times 128: what the activations' offset to unsigned adds.
    offsets: Vec<i32>,
}

impl Int8Matrix {
    /// Packs row-major `(outputs, inputs)` int8 weights and their per-row scales.
    ///
    /// # Errors
    /// Sizes that do not fit together, or a weight of -128 (outside the symmetric range).
    pub fn from_rows(q: &[i8], scales: &[f32], outputs: usize, inputs: usize) -> Result<Self> {
        if q.len() != outputs * inputs || scales.len() != outputs {
            candle_core::bail!(
                "int8 weights: {} weights and {} scales for {outputs} x {inputs}",
                q.len(),
                scales.len()
            );
        }
        if q.contains(&i8::MIN) {
            candle_core::bail!("int8 weights: -128 is outside the symmetric range [-127, 127]");
        }
        let groups = inputs.div_ceil(GROUP);
        let panels = outputs.div_ceil(PANEL);
        let mut packed = vec![0i8; panels * groups * PANEL * GROUP];
        let mut padded_scales = vec![0f32; panels * PANEL];
        let mut offsets = vec![0i32; panels * PANEL];
        for (o, row) in q.chunks(inputs.max(1)).take(outputs).enumerate() {
            let (p, j) = (o / PANEL, o % PANEL);
            for (k, &w) in row.iter().enumerate() {
                let (g, i) = (k / GROUP, k % GROUP);
                packed[((p * groups + g) * PANEL + j) * GROUP + i] = w;
            }
            padded_scales[o] = scales[o];
            offsets[o] = 128 * row.iter().map(|&w| i32::from(w)).sum::<i32>();
        }
        Ok(Int8Matrix {
            outputs,
            inputs,
            groups,
            packed,
            scales: padded_scales,
            offsets,
        })
    }

    /// Quantises row-major `(outputs, inputs)` f32 weights.
    ///
    /// # Errors
    /// As [`Int8Matrix::from_rows`].
    pub fn quantize(weights: &[f32], outputs: usize, inputs: usize) -> Result<Self> {
        let (q, scales) = quantize_rows(weights, inputs);
        Self::from_rows(&q, &scales, outputs, inputs)
    }

    /// Output channels.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// Inputs.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    fn panels(&self) -> usize {
        self.scales.len() / PANEL
    }
}

/// Which instructions the products run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// AVX-512 F, BW and VNNI: `vpdpbusd` on 512-bit vectors.
    Avx512Vnni,
    /// AVX-512 F and BW: `vpmaddubsw` and `vpmaddwd` on 512-bit vectors.
    Avx512Bw,
    /// AVX2: `vpmaddubsw` and `vpmaddwd` on 256-bit vectors.
    Avx2,
    /// Portable Rust.
    Scalar,
}

impl Kernel {
    /// Its name, as benchmarks print it.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Avx512Vnni => "avx512-vnni",
            Kernel::Avx512Bw => "avx512bw",
            Kernel::Avx2 => "avx2",
            Kernel::Scalar => "portable",
        }
    }

    /// The fastest this processor runs.
    pub fn best() -> Kernel {
        static BEST: std::sync::OnceLock<Kernel> = std::sync::OnceLock::new();
        *BEST.get_or_init(|| Kernel::available()[0])
    }

    /// Every kernel this processor runs, fastest first.
    pub fn available() -> Vec<Kernel> {
        let mut kernels = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            let avx512bw = std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw");
            if avx512bw && std::arch::is_x86_feature_detected!("avx512vnni") {
                kernels.push(Kernel::Avx512Vnni);
            }
            if avx512bw {
                kernels.push(Kernel::Avx512Bw);
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                kernels.push(Kernel::Avx2);
            }
        }
        kernels.push(Kernel::Scalar);
        kernels
    }
}

/// The most activation rows a micro-kernel takes (the AVX-512 ones); tasks take a multiple.
const ROWS: usize = 4;
/// Most rows per parallel task: the task's quantised rows stay in cache while every panel of
/// the weights passes over them.
const ROWS_PER_TASK: usize = 64;

/// Several int8 layers applied to the same `(rows, inputs)` f32 input, their outputs side by
/// side in one `(rows, sum of outputs)` f32 matrix, without their biases: the query, key and
/// value layers share one quantisation of their input this way.
#[derive(Debug, Clone)]
pub struct Int8Product {
    /// The layers, all with the same inputs.
    layers: Vec<Arc<Int8Matrix>>,
    /// The kernel to run: one of [`Kernel::available`], which is what makes running it sound.
    kernel: Kernel,
}

impl Int8Product {
    /// The product on the best kernel this processor has.
    pub fn new(layers: Vec<Arc<Int8Matrix>>) -> Self {
        Int8Product {
            layers,
            kernel: Kernel::best(),
        }
    }

    /// The product on `kernel`, if this processor runs it.
    pub fn with_kernel(layers: Vec<Arc<Int8Matrix>>, kernel: Kernel) -> Option<Self> {
        Kernel::available()
            .contains(&kernel)
            .then_some(Int8Product { layers, kernel })
    }

    fn inputs(&self) -> usize {
        self.layers.first().map_or(0, |m| m.inputs)
    }

    fn outputs(&self) -> usize {
        self.layers.iter().map(|m| m.outputs).sum()
    }

    /// `(rows, inputs)` row-major input to `(rows, outputs)` row-major output.
    pub fn run(&self, x: &[f32], rows: usize) -> Vec<f32> {
        let (inputs, width) = (self.inputs(), self.outputs());
        let groups = inputs.div_ceil(GROUP);
        let mut out = vec![0f32; rows * width];
        if rows == 0 || width == 0 || inputs == 0 {
            return out;
        }
        // Enough tasks for every thread even for a batch's 32 first tokens.
        let threads = rayon::current_num_threads().max(1);
        let per_task = rows
            .div_ceil(threads * 2)
            .next_multiple_of(ROWS)
            .clamp(ROWS, ROWS_PER_TASK);
        out.par_chunks_mut(per_task * width)
            .zip(x.par_chunks(per_task * inputs))
            .for_each(|(out, x)| {
                let rows = out.len() / width;
                let mut q = vec![0i8; rows * groups * GROUP];
                let mut scales = vec![0f32; rows];
                pulp::Arch::new().dispatch(QuantizeRows {
                    x,
                    inputs,
                    q: &mut q,
                    stride: groups * GROUP,
                    scales: &mut scales,
                });
                if self.kernel == Kernel::Avx512Vnni {
                    // Offset to unsigned for `vpdpbusd`, once for every layer: `x + 128` is
                    // `x ^ 0x80` in two's complement.
                    q.iter_mut().for_each(|x| *x ^= i8::MIN);
                }
                let mut column = 0;
                for m in &self.layers {
                    let block = Block {
                        m,
                        q: &q,
                        scales: &scales,
                        rows,
                        width,
                        column,
                    };
                    block.run(self.kernel, out);
                    column += m.outputs;
                }
            });
        out
    }
}

/// One task's rows against one layer: quantised activations `q` (`rows` rows of the layer's
/// groups; offset to unsigned bytes for [`Kernel::Avx512Vnni`]), written to columns
/// `column..column + m.outputs` of `out`'s rows of `width`.
struct Block<'a> {
    m: &'a Int8Matrix,
    q: &'a [i8],
    scales: &'a [f32],
    rows: usize,
    width: usize,
    column: usize,
}

impl Block<'_> {
    fn run(&self, kernel: Kernel, out: &mut [f32]) {
        match kernel {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: an `Int8Product` holds only a kernel `Kernel::available` listed, and it
            // lists this one only where the processor has the features.
            Kernel::Avx512Vnni => unsafe { x86::vnni(self, out) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Kernel::Avx512Bw => unsafe { x86::avx512bw(self, out) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Kernel::Avx2 => unsafe { x86::avx2(self, out) },
            _ => self.scalar(out),
        }
    }

    /// Writes the rescaled accumulators of row `r`, channels `p * PANEL..` (as many as the
    /// layer has): `acc * scale_x * scale_w`, in that order in every kernel.
    #[inline(always)]
    fn store(&self, out: &mut [f32], r: usize, p: usize, acc: &[i32; PANEL]) {
        let first = p * PANEL;
        let n = PANEL.min(self.m.outputs - first);
        let at = r * self.width + self.column + first;
        let sx = self.scales[r];
        for j in 0..n {
            out[at + j] = acc[j] as f32 * sx * self.m.scales[first + j];
        }
    }

    fn scalar(&self, out: &mut [f32]) {
        let groups = self.m.groups;
        for r in 0..self.rows {
            let x = &self.q[r * groups * GROUP..(r + 1) * groups * GROUP];
            for p in 0..self.m.panels() {
                let mut acc = [0i32; PANEL];
                let panel = &self.m.packed[p * groups * PANEL * GROUP..];
                for (g, xs) in x.chunks_exact(GROUP).enumerate() {
                    let ws = &panel[g * PANEL * GROUP..(g + 1) * PANEL * GROUP];
                    for (a, w) in acc.iter_mut().zip(ws.chunks_exact(GROUP)) {
                        for (&xi, &wi) in xs.iter().zip(w) {
                            *a += i32::from(xi) * i32::from(wi);
                        }
                    }
                }
                self.store(out, r, p, &acc);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{Block, GROUP, PANEL};

    /// A micro-kernel: rows `r..r + R` of a block against its panels `p..p + C`.
    type Tile = unsafe fn(&Block, usize, usize, &mut [f32]);

    /// The instances of a tile for every `R` and `C` up to the kernel's tile: `tiles!(f, [1 2],
    /// [1 2])` is `[[f::<1, 1>, f::<1, 2>], [f::<2, 1>, f::<2, 2>]]`.
    macro_rules! tiles {
        ($tile:ident, [$($r:literal)*], $panels:tt) => {
            [$(tiles!(@row $tile, $r, $panels)),*]
        };
        (@row $tile:ident, $r:literal, [$($c:literal)*]) => {
            [$($tile::<$r, $c> as Tile),*]
        };
    }

    /// Every row block and panel block of `b`, panel blocks outermost so that a panel block's
    /// weights stay in cache while every row passes over them; the last blocks of each take
    /// what is left, `tiles[rows - 1][panels - 1]`.
    ///
    /// # Safety
    /// The processor has the features the tiles are compiled for.
    unsafe fn walk<const R: usize, const C: usize>(
        b: &Block,
        tiles: &[[Tile; C]; R],
        out: &mut [f32],
    ) {
        let panels = b.m.panels();
        for p in (0..panels).step_by(C) {
            let np = C.min(panels - p);
            for r in (0..b.rows).step_by(R) {
                let nr = R.min(b.rows - r);
                tiles[nr - 1][np - 1](b, r, p, out);
            }
        }
    }

    /// Every block of `b` with `vpdpbusd`, 4 rows x 4 panels at a time (16 accumulators of 32
    /// registers); `b.q` holds the activations offset to unsigned.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) unsafe fn vnni(b: &Block, out: &mut [f32]) {
        walk(b, &tiles!(vnni_tile, [1 2 3 4], [1 2 3 4]), out);
    }

    /// Every block of `b` with `vpmaddubsw` and `vpmaddwd` on 512-bit vectors, 4 rows x 4
    /// panels at a time, as [`vnni`].
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) unsafe fn avx512bw(b: &Block, out: &mut [f32]) {
        walk(b, &tiles!(avx512bw_tile, [1 2 3 4], [1 2 3 4]), out);
    }

    /// Every block of `b` with `vpmaddubsw` and `vpmaddwd` on 256-bit vectors, 2 rows x 2
    /// panels (4 vectors each) at a time, of 16 registers.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn avx2(b: &Block, out: &mut [f32]) {
        walk(b, &tiles!(avx2_tile, [1 2], [1 2]), out);
    }

    /// How a 512-bit kernel multiplies one group of four activations, broadcast to every
    /// lane, by a panel's 16 channels' four weights and adds the 16 sums to its accumulators.
    trait Dot512 {
        /// The activations are offset by 128 to unsigned, and each channel's weight sum
        /// times 128 ([`super::Int8Matrix`]'s `offsets`) is taken back from its sums.
        const UNSIGNED: bool;
        /// A row's broadcast group as [`Dot512::add`] takes it, made once for every panel.
        type X: Copy;

        /// # Safety
        /// The processor has the kernel's features.
        unsafe fn prepare(xs: __m512i) -> Self::X;

        /// # Safety
        /// As [`Dot512::prepare`].
        unsafe fn add(acc: __m512i, x: Self::X, w: __m512i) -> __m512i;
    }

    /// `vpdpbusd`: unsigned times signed bytes, four at a time into int32.
    struct Vnni;

    impl Dot512 for Vnni {
        const UNSIGNED: bool = true;
        type X = __m512i;

        #[inline(always)]
        unsafe fn prepare(xs: __m512i) -> __m512i {
            xs
        }

        #[inline(always)]
        unsafe fn add(acc: __m512i, x: __m512i, w: __m512i) -> __m512i {
            _mm512_dpbusd_epi32(acc, x, w)
        }
    }

    /// AVX2's arithmetic at 512 bits, which has no `vpsignb`: the activations' magnitudes as
    /// unsigned bytes and the weights negated where their activation is negative (a mask of
    /// the activations' sign bits), so that `vpmaddubsw`'s pairs keep their signs and stay
    /// below saturation, then `vpmaddwd` by ones into int32.
    struct Avx512Bw;

    impl Dot512 for Avx512Bw {
        const UNSIGNED: bool = false;
        /// The negative activations' bytes, and the magnitudes.
        type X = (__mmask64, __m512i);

        #[inline(always)]
        unsafe fn prepare(xs: __m512i) -> (__mmask64, __m512i) {
            (_mm512_movepi8_mask(xs), _mm512_abs_epi8(xs))
        }

        #[inline(always)]
        unsafe fn add(acc: __m512i, (negative, magnitude): Self::X, w: __m512i) -> __m512i {
            let signed = _mm512_mask_sub_epi8(w, negative, _mm512_setzero_si512(), w);
            let pairs = _mm512_maddubs_epi16(magnitude, signed);
            _mm512_add_epi32(acc, _mm512_madd_epi16(pairs, _mm512_set1_epi16(1)))
        }
    }

    /// [`tile512`] with `vpdpbusd`, compiled for VNNI.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn vnni_tile<const R: usize, const C: usize>(
        b: &Block,
        r: usize,
        p: usize,
        out: &mut [f32],
    ) {
        tile512::<Vnni, R, C>(b, r, p, out);
    }

    /// [`tile512`] with AVX-512BW's arithmetic, compiled without VNNI so that it runs where
    /// VNNI is missing (the compiler may fuse `vpmaddwd` and its add into VNNI's `vpdpwssd`).
    #[target_feature(enable = "avx512f,avx512bw")]
    unsafe fn avx512bw_tile<const R: usize, const C: usize>(
        b: &Block,
        r: usize,
        p: usize,
        out: &mut [f32],
    ) {
        tile512::<Avx512Bw, R, C>(b, r, p, out);
    }

    /// Rows `r..r + R` against panels `p..p + C` with `D`'s arithmetic; always inlined into a
    /// tile compiled for `D`'s features, and for no others.
    #[inline(always)]
    unsafe fn tile512<D: Dot512, const R: usize, const C: usize>(
        b: &Block,
        r: usize,
        p: usize,
        out: &mut [f32],
    ) {
        let groups = b.m.groups;
        let stride = groups * GROUP;
        let panel_bytes = groups * PANEL * GROUP;
        let mut acc = [[_mm512_setzero_si512(); C]; R];
        let x = b.q.as_ptr().add(r * stride);
        let w = b.m.packed.as_ptr().add(p * panel_bytes);
        for g in 0..groups {
            let mut ws = [_mm512_setzero_si512(); C];
            for (c, v) in ws.iter_mut().enumerate() {
                *v = _mm512_loadu_si512(w.add(c * panel_bytes + g * PANEL * GROUP).cast());
            }
            for (i, row) in acc.iter_mut().enumerate() {
                let xs = D::prepare(_mm512_set1_epi32(
                    x.add(i * stride + g * GROUP).cast::<i32>().read_unaligned(),
                ));
                for (a, &v) in row.iter_mut().zip(&ws) {
                    *a = D::add(*a, xs, v);
                }
            }
        }
        for (i, row) in acc.iter().enumerate() {
            let sx = _mm512_set1_ps(b.scales[r + i]);
            for (c, a) in row.iter().enumerate() {
                let first = (p + c) * PANEL;
                let exact = if D::UNSIGNED {
                    let offset = _mm512_loadu_si512(b.m.offsets.as_ptr().add(first).cast());
                    _mm512_sub_epi32(*a, offset)
                } else {
                    *a
                };
                if first + PANEL <= b.m.outputs {
                    let scales = _mm512_loadu_ps(b.m.scales.as_ptr().add(first));
                    let y = _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(exact), sx), scales);
                    let at = (r + i) * b.width + b.column + first;
                    _mm512_storeu_ps(out[at..at + PANEL].as_mut_ptr(), y);
                } else {
                    let sums: [i32; PANEL] = std::mem::transmute(exact);
                    b.store(out, r + i, p + c, &sums);
                }
            }
        }
    }

    /// Rows `r..r + R` against panels `p..p + C`, each panel as two 8-channel halves.
    #[target_feature(enable = "avx2")]
    unsafe fn avx2_tile<const R: usize, const C: usize>(
        b: &Block,
        r: usize,
        p: usize,
        out: &mut [f32],
    ) {
        let groups = b.m.groups;
        let stride = groups * GROUP;
        let panel_bytes = groups * PANEL * GROUP;
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[[_mm256_setzero_si256(); 2]; C]; R];
        let x = b.q.as_ptr().add(r * stride);
        let w = b.m.packed.as_ptr().add(p * panel_bytes);
        for g in 0..groups {
            for (i, row) in acc.iter_mut().enumerate() {
                let xs =
                    _mm256_set1_epi32(x.add(i * stride + g * GROUP).cast::<i32>().read_unaligned());
                // |x| as unsigned bytes, and each weight given x's sign: the products keep
                // their signs and the unsigned operand stays under 128.
                let magnitude = _mm256_sign_epi8(xs, xs);
                for (c, halves) in row.iter_mut().enumerate() {
                    for (h, a) in halves.iter_mut().enumerate() {
                        let v = _mm256_loadu_si256(
                            w.add(c * panel_bytes + g * PANEL * GROUP + h * 32).cast(),
                        );
                        let pairs = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(v, xs));
                        *a = _mm256_add_epi32(*a, _mm256_madd_epi16(pairs, ones));
                    }
                }
            }
        }
        for (i, row) in acc.iter().enumerate() {
            let sx = _mm256_set1_ps(b.scales[r + i]);
            for (c, halves) in row.iter().enumerate() {
                let first = (p + c) * PANEL;
                if first + PANEL <= b.m.outputs {
                    let at = (r + i) * b.width + b.column + first;
                    let out = &mut out[at..at + PANEL];
                    for (h, a) in halves.iter().enumerate() {
                        let scales = _mm256_loadu_ps(b.m.scales.as_ptr().add(first + 8 * h));
                        let y = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(*a), sx), scales);
                        _mm256_storeu_ps(out[8 * h..].as_mut_ptr(), y);
                    }
                } else {
                    let sums: [i32; PANEL] = std::mem::transmute(*halves);
                    b.store(out, r + i, p + c, &sums);
                }
            }
        }
    }
}

impl CustomOp1 for Int8Product {
    fn name(&self) -> &'static str {
        "int8-product"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (rows, inputs) = layout.shape().dims2()?;
        if self.layers.iter().any(|m| m.inputs != inputs) {
            candle_core::bail!(
                "int8 product: input of width {inputs} for layers of {}",
                self.inputs()
            );
        }
        let x = contiguous_f32(storage, layout, self.name(), "input")?;
        let out = self.run(x, rows);
        Ok((CpuStorage::F32(out), Shape::from((rows, self.outputs()))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn random(rng: &mut Rng, n: usize, spread: f64) -> Vec<f32> {
        (0..n)
            .map(|_| ((rng.next_f64() * 2.0 - 1.0) * spread) as f32)
            .collect()
    }

    /// `x (rows, k)` times `w (n, k)` transposed, in f64.
    fn reference(x: &[f32], w: &[f32], rows: usize, k: usize, n: usize) -> Vec<f64> {
        let mut out = vec![0f64; rows * n];
        for r in 0..rows {
            for o in 0..n {
                out[r * n + o] = (0..k)
                    .map(|i| f64::from(x[r * k + i]) * f64::from(w[o * k + i]))
                    .sum();
            }
        }
        out
    }

    /// The quantisation error bound of one output: with `x = sx (qx + ex)`,
    /// `w = sw (qw + ew)` and `|ex|, |ew| <= 1/2`, `x . w - sx sw qx . qw` is at most
    /// `sx sw sum (|qx| + |qw| + 1/2) / 2`; plus f32 rounding of the rescaled result.
    fn bound(qx: &[i8], sx: f32, qw: &[i8], sw: f32) -> f64 {
        let terms: f64 = qx
            .iter()
            .zip(qw)
            .map(|(&a, &b)| (f64::from(a).abs() + f64::from(b).abs() + 0.5) / 2.0)
            .sum();
        let size: f64 = qx
            .iter()
            .zip(qw)
            .map(|(&a, &b)| (f64::from(a) * f64::from(b)).abs())
            .sum();
        f64::from(sx) * f64::from(sw) * (terms + size * 1e-6)
    }

    /// Odd shapes on every kernel this processor runs: inputs that are not a whole number of
    /// groups or vectors, one row, a partial row block, outputs that are not a whole panel,
    /// more rows than one task, and two layers side by side. Each within the quantisation
    /// bound of the f64 product, and every kernel equal to the portable one to the bit.
    #[test]
    fn every_kernel_is_within_the_quantisation_bound() {
        let mut rng = Rng::new(11);
        for (rows, k, n) in [
            (1usize, 1usize, 1usize),
            (1, 7, 3),
            (3, 13, 17),
            (5, 64, 16),
            (9, 130, 70),
            (70, 67, 33),
            (131, 128, 129),
        ] {
            let x = random(&mut rng, rows * k, 3.0);
            let w1 = random(&mut rng, n * k, 0.2);
            let w2 = random(&mut rng, 5 * k, 1.0);
            let layers = vec![
                Arc::new(Int8Matrix::quantize(&w1, n, k).unwrap()),
                Arc::new(Int8Matrix::quantize(&w2, 5, k).unwrap()),
            ];
            let (qx, sx) = quantize_rows(&x, k);
            let (qw1, sw1) = quantize_rows(&w1, k);
            let (qw2, sw2) = quantize_rows(&w2, k);
            let (want1, want2) = (
                reference(&x, &w1, rows, k, n),
                reference(&x, &w2, rows, k, 5),
            );
            let portable = Int8Product {
                layers: layers.clone(),
                kernel: Kernel::Scalar,
            }
            .run(&x, rows);
            for kernel in Kernel::available() {
                let got = Int8Product {
                    layers: layers.clone(),
                    kernel,
                }
                .run(&x, rows);
                assert_eq!(got.len(), rows * (n + 5));
                for r in 0..rows {
                    let qxr = &qx[r * k..(r + 1) * k];
                    let parts = [(n, &want1, &qw1, &sw1, 0), (5, &want2, &qw2, &sw2, n)];
                    for (width, want, qw, sw, column) in parts {
                        for o in 0..width {
                            let ours = f64::from(got[r * (n + 5) + column + o]);
                            let theirs = want[r * width + o];
                            let limit = bound(qxr, sx[r], &qw[o * k..(o + 1) * k], sw[o]);
                            assert!(
                                (ours - theirs).abs() <= limit,
                                "{kernel:?} {rows}x{k}x{n} row {r} column {}: {ours} vs \
                                 {theirs}, bound {limit}",
                                column + o
                            );
                        }
                    }
                }
                assert_eq!(
                    got, portable,
                    "{kernel:?} {rows}x{k}x{n} differs from portable"
                );
            }
        }
    }

    /// VNNI, then AVX-512BW, then AVX2, then portable, as far as the processor has them, and
    /// the best is the first.
    #[test]
    fn kernels_are_listed_fastest_first() {
        let order = [
            Kernel::Avx512Vnni,
            Kernel::Avx512Bw,
            Kernel::Avx2,
            Kernel::Scalar,
        ];
        let available = Kernel::available();
        let ranks: Vec<usize> = available
            .iter()
            .map(|k| order.iter().position(|o| o == k).unwrap())
            .collect();
        assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{available:?}");
        assert_eq!(available.last(), Some(&Kernel::Scalar));
        assert_eq!(Kernel::best(), available[0]);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512bw") {
            assert!(available.contains(&Kernel::Avx512Bw), "{available:?}");
        }
        let layers = vec![Arc::new(Int8Matrix::quantize(&[1.0], 1, 1).unwrap())];
        for kernel in order {
            let product = Int8Product::with_kernel(layers.clone(), kernel);
            assert_eq!(product.is_some(), available.contains(&kernel), "{kernel:?}");
        }
    }

    #[test]
    fn quantised_rows_keep_the_symmetric_range_and_zero_rows() {
        let (q, scales) = quantize_rows(&[1.0, -2.0, 0.5, 0.0, 0.0, 0.0], 3);
        assert_eq!(q, [64, -127, 32, 0, 0, 0]);
        assert_eq!(scales, [2.0 / 127.0, 0.0]);
        let (q, scales) = quantize_rows(&[1.0, f32::NAN], 2);
        assert!(!scales[0].is_finite());
        assert_eq!(q, [0, 0]);
        // Every value rounds to the nearest integer of `x * 127 / max |x|`, ties to even.
        let mut rng = Rng::new(7);
        let width = 333;
        let values = random(&mut rng, 20 * width, 3.0);
        let (q, scales) = quantize_rows(&values, width);
        for (r, row) in values.chunks(width).enumerate() {
            let top = row.iter().fold(0f32, |m, x| m.max(x.abs()));
            assert_eq!(scales[r], top / 127.0);
            for (i, &x) in row.iter().enumerate() {
                let want = (x * (127.0 / top)).round_ties_even();
                assert_eq!(f32::from(q[r * width + i]), want, "row {r}, {x}");
            }
        }
        let (q, _) = quantize_rows(&[0.5, 1.5, -0.5, 2.0], 4);
        assert_eq!(q, [32, 95, -32, 127]);
        assert!(Int8Matrix::from_rows(&[i8::MIN], &[1.0], 1, 1).is_err());
        assert!(Int8Matrix::from_rows(&[1, 2], &[1.0], 1, 1).is_err());
    }

    #[test]
    fn a_product_of_a_non_finite_row_is_not_finite() {
        let m = Arc::new(Int8Matrix::quantize(&[1.0, 1.0], 1, 2).unwrap());
        for kernel in Kernel::available() {
            let out = Int8Product {
                layers: vec![Arc::clone(&m)],
                kernel,
            }
            .run(&[f32::INFINITY, 1.0, 1.0, 1.0], 2);
            assert!(!out[0].is_finite(), "{kernel:?}");
            assert!((out[1] - 2.0).abs() < 0.05, "{kernel:?}: {}", out[1]);
        }
    }
}
