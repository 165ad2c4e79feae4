//! The forward pass against the machine's f32 matrix-multiply rate, both measured with
//! candle in the same run: candle's own matmul GFLOP/s on the encoder's largest product, and
//! the model's forward pass in GFLOP/s at batch 32 and sequence lengths 64 and 128, counting
//! the multiply-adds each path actually performs. Two paths: the packed inference path that
//! `heihui label` runs (no padding; the last layer computes the first token only), and the
//! padded batch (`BertClassifier::forward`, as candle's stock BERT runs). BENCHMARKS.md
//! reports the ratios.
//!
//! Then one int8 product (`src/model/quant.rs`) on every kernel this processor runs, in the
//! same run so the kernels compare: the encoder's largest product at bert-base width and at
//! the shipped model's.

use std::path::Path;
use std::sync::Arc;

use candle_core::{Device, Tensor};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use heihui::model::quant::{Int8Matrix, Int8Product, Kernel};
use heihui::model::{Config, Mode, Model};

const BATCH: usize = 32;

/// FLOPs of a full encoder over `texts` texts of `seq` tokens (every layer, every token).
fn padded_flops(cfg: &Config, texts: usize, seq: usize) -> usize {
    let (h, i, l) = (
        cfg.hidden_size,
        cfg.intermediate_size,
        cfg.num_hidden_layers,
    );
    texts * seq * l * (8 * h * h + 4 * h * i + 4 * seq * h)
}

/// FLOPs of the packed path: all layers but the last in full; in the last, keys and values
/// for every token, and queries, attention, output and feed-forward for the first token only.
fn packed_flops(cfg: &Config, texts: usize, seq: usize) -> usize {
    let (h, i) = (cfg.hidden_size, cfg.intermediate_size);
    let full = padded_flops(cfg, texts, seq) / cfg.num_hidden_layers.max(1);
    let last = texts * (seq * 4 * h * h + 4 * h * h + 4 * h * i + 4 * seq * h);
    full * cfg.num_hidden_layers.saturating_sub(1) + last
}

fn forward(c: &mut Criterion) {
    // As the `heihui` binary runs.
    heihui::model::allocator::keep_freed_activations();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/heihui-zh-small");
    let model = Model::load(&dir).expect("the shipped model");
    let cfg = model.config().clone();
    let (h, i) = (cfg.hidden_size, cfg.intermediate_size);
    let mut group = c.benchmark_group("model");
    group.sample_size(20);

    // The matmul rate: activations (batch*seq, hidden) times a (hidden, intermediate) weight,
    // the largest product of the encoder.
    let rows = BATCH * 128;
    let a = Tensor::randn(0f32, 1.0, (rows, h), &Device::Cpu).unwrap();
    let b = Tensor::randn(0f32, 1.0, (h, i), &Device::Cpu).unwrap();
    group.throughput(Throughput::Elements((2 * rows * h * i) as u64));
    group.bench_function(format!("matmul/{rows}x{h}x{i} (flop)"), |bench| {
        bench.iter(|| a.matmul(&b).unwrap())
    });
    // The same product at bert-base width (hidden 768, feed-forward 3072), where the kernel
    // rather than the memory traffic decides the rate.
    let (bh, bi) = (768, 3072);
    let a = Tensor::randn(0f32, 1.0, (rows, bh), &Device::Cpu).unwrap();
    let b = Tensor::randn(0f32, 1.0, (bh, bi), &Device::Cpu).unwrap();
    group.throughput(Throughput::Elements((2 * rows * bh * bi) as u64));
    group.bench_function(format!("matmul/{rows}x{bh}x{bi} (flop)"), |bench| {
        bench.iter(|| a.matmul(&b).unwrap())
    });

    for seq in [64usize, 128] {
        let ids: Vec<Vec<u32>> = (0..BATCH)
            .map(|k| {
                (0..seq)
                    .map(|j| ((k * 31 + j * 7) % 4000 + 5) as u32)
                    .collect()
            })
            .collect();
        let refs: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
        group.throughput(Throughput::Elements(packed_flops(&cfg, BATCH, seq) as u64));
        group.bench_function(format!("packed/batch{BATCH}/seq{seq} (flop)"), |bench| {
            bench.iter(|| model.forward_encoded(&refs).unwrap())
        });
        let (input, mask) = model.encoder().batch(&refs, &Device::Cpu).unwrap();
        group.throughput(Throughput::Elements(padded_flops(&cfg, BATCH, seq) as u64));
        group.bench_function(format!("padded/batch{BATCH}/seq{seq} (flop)"), |bench| {
            bench.iter(|| model.network().forward(&input, &mask, Mode::Infer).unwrap())
        });
    }
    group.finish();
}

/// `(rows, inputs)` activations times an `(inputs, outputs)` int8 weight, per kernel, in
/// integer operations (a multiply and an add per weight and row).
fn int8_products(c: &mut Criterion) {
    heihui::model::allocator::keep_freed_activations();
    let mut rng = heihui::rng::Rng::new(7);
    let mut random = |n: usize| -> Vec<f32> {
        (0..n)
            .map(|_| (rng.next_f64() * 2.0 - 1.0) as f32)
            .collect()
    };
    let mut group = c.benchmark_group("int8");
    group.sample_size(20);
    let rows = BATCH * 128;
    for (inputs, outputs) in [(768, 3072), (128, 512)] {
        let x = random(rows * inputs);
        let w = Arc::new(Int8Matrix::quantize(&random(outputs * inputs), outputs, inputs).unwrap());
        group.throughput(Throughput::Elements((2 * rows * inputs * outputs) as u64));
        // Portable Rust runs only where there is no AVX2.
        for kernel in Kernel::available()
            .into_iter()
            .filter(|&k| k != Kernel::Scalar)
        {
            let product = Int8Product::with_kernel(vec![Arc::clone(&w)], kernel).unwrap();
            let name = format!("{}/{rows}x{inputs}x{outputs} (op)", kernel.name());
            group.bench_function(name, |bench| bench.iter(|| product.run(&x, rows)));
        }
    }
    group.finish();
}

criterion_group!(benches, forward, int8_products);
criterion_main!(benches);
