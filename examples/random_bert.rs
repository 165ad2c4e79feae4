//! Writes a randomly initialised BERT sequence classifier of a given shape, with the shipped
//! model's tokenizer (so its vocabulary is the shipped 5,068 tokens), for timing heihui at
//! sizes larger than its own model. Weights are normal with transformers' initializer range,
//! layer norms 1 and 0, biases 0. `benches/int8_vs_fp32.sh` uses it for a bert-base shape.
//!
//!     cargo run --release --example random_bert -- OUT_DIR LAYERS HIDDEN HEADS INTERMEDIATE

use std::path::Path;

use heihui::model::{Config, ModelSize};
use heihui::rng::Rng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, layers, hidden, heads, intermediate] = args.as_slice() else {
        return Err("usage: random_bert OUT_DIR LAYERS HIDDEN HEADS INTERMEDIATE".into());
    };
    let shipped = Path::new("models/heihui-zh-small");
    let base = Config::load(&shipped.join("config.json"))?;
    let size = ModelSize {
        layers: layers.parse()?,
        hidden: hidden.parse()?,
        heads: heads.parse()?,
        intermediate: intermediate.parse()?,
        max_len: base.max_position_embeddings,
    };
    let config = Config::new(base.vocab_size, &size);
    let (h, i) = (size.hidden, size.intermediate);
    let mut shapes: Vec<(String, Vec<usize>)> = vec![
        (
            "bert.embeddings.word_embeddings.weight".into(),
            vec![config.vocab_size, h],
        ),
        (
            "bert.embeddings.position_embeddings.weight".into(),
            vec![config.max_position_embeddings, h],
        ),
        (
            "bert.embeddings.token_type_embeddings.weight".into(),
            vec![2, h],
        ),
        ("bert.embeddings.LayerNorm.weight".into(), vec![h]),
        ("bert.embeddings.LayerNorm.bias".into(), vec![h]),
        ("bert.pooler.dense.weight".into(), vec![h, h]),
        ("bert.pooler.dense.bias".into(), vec![h]),
        ("classifier.weight".into(), vec![3, h]),
        ("classifier.bias".into(), vec![3]),
    ];
    for l in 0..size.layers {
        let p = format!("bert.encoder.layer.{l}");
        for (name, out, input) in [
            ("attention.self.query", h, h),
            ("attention.self.key", h, h),
            ("attention.self.value", h, h),
            ("attention.output.dense", h, h),
            ("intermediate.dense", i, h),
            ("output.dense", h, i),
        ] {
            shapes.push((format!("{p}.{name}.weight"), vec![out, input]));
            shapes.push((format!("{p}.{name}.bias"), vec![out]));
        }
        for norm in ["attention.output.LayerNorm", "output.LayerNorm"] {
            shapes.push((format!("{p}.{norm}.weight"), vec![h]));
            shapes.push((format!("{p}.{norm}.bias"), vec![h]));
        }
    }
    let mut rng = Rng::new(17);
    let data: Vec<Vec<u8>> = shapes
        .iter()
        .map(|(name, shape)| {
            let n: usize = shape.iter().product();
            let value = |rng: &mut Rng| -> f32 {
                if name.ends_with("LayerNorm.weight") {
                    1.0
                } else if name.ends_with(".bias") {
                    0.0
                } else {
                    (rng.normal() * config.initializer_range) as f32
                }
            };
            (0..n).flat_map(|_| value(&mut rng).to_le_bytes()).collect()
        })
        .collect();
    let views = shapes
        .iter()
        .zip(&data)
        .map(|((name, shape), bytes)| {
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes)
                .map(|v| (name.clone(), v))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let out = Path::new(out);
    std::fs::create_dir_all(out)?;
    safetensors::tensor::serialize_to_file(views, None, &out.join("model.safetensors"))?;
    std::fs::write(
        out.join("config.json"),
        serde_json::to_string_pretty(&config)? + "\n",
    )?;
    std::fs::copy(shipped.join("tokenizer.json"), out.join("tokenizer.json"))?;
    println!("wrote {} ({} tensors)", out.display(), shapes.len());
    Ok(())
}
