//! The forward pass against the machine's f32 matrix-multiply rate, both measured with
//! candle in the same run: candle's own matmul GFLOP/s on the shapes the model multiplies, and
//! the model's forward pass in GFLOP/s (its multiply-adds counted analytically) at batch 32 and
//! sequence lengths 64 and 128. BENCHMARKS.md reports the ratio.

use std::path::Path;

use candle_core::{Device, Tensor};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use heihui::model::Model;

fn forward(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/heihui-zh-small");
    let model = Model::load(&dir).expect("the shipped model");
    let cfg = model.config().clone();
    let (h, i, l) = (
        cfg.hidden_size,
        cfg.intermediate_size,
        cfg.num_hidden_layers,
    );
    let mut group = c.benchmark_group("model");
    group.sample_size(20);

    // The matmul rate: activations (batch*seq, hidden) times a (hidden, intermediate) weight,
    // the largest product of the encoder.
    let rows = 32 * 128;
    let a = Tensor::randn(0f32, 1.0, (rows, h), &Device::Cpu).unwrap();
    let b = Tensor::randn(0f32, 1.0, (h, i), &Device::Cpu).unwrap();
    group.throughput(Throughput::Elements((2 * rows * h * i) as u64));
    group.bench_function(format!("matmul/{rows}x{h}x{i} (flop)"), |bench| {
        bench.iter(|| a.matmul(&b).unwrap())
    });

    for seq in [64usize, 128] {
        let ids: Vec<Vec<u32>> = (0..32)
            .map(|k| {
                (0..seq)
                    .map(|j| ((k * 31 + j * 7) % 4000 + 5) as u32)
                    .collect()
            })
            .collect();
        let refs: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
        let flops = 32 * seq * l * (8 * h * h + 4 * h * i + 4 * seq * h);
        group.throughput(Throughput::Elements(flops as u64));
        group.bench_function(format!("forward/batch32/seq{seq} (flop)"), |bench| {
            bench.iter(|| model.forward_encoded(&refs).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, forward);
criterion_main!(benches);
