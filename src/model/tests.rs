//! The model directory as a whole: transformers' own checkpoints give transformers'
//! probabilities, the packed path gives the padded path's, and broken directories stop with
//! errors that name the file and the field.

use std::path::{Path, PathBuf};

use candle_core::Device;

use super::*;

fn fixture_named(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn fixture() -> PathBuf {
    fixture_named("hf-tiny")
}

#[derive(serde::Deserialize)]
struct Expected {
    texts: Vec<String>,
    input_ids: Vec<Vec<u32>>,
    probabilities: Vec<[f32; 3]>,
}

/// The checkpoints transformers saved, one per family (tests/fixtures/make_hf_tiny.py and
/// make_families.py), with the family each is.
const FAMILIES: [(&str, Family); 3] = [
    ("hf-tiny", Family::Bert),
    ("roberta-tiny", Family::Roberta),
    ("electra-tiny", Family::Electra),
];

fn close(ours: &[Probabilities], theirs: &[[f32; 3]], what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}");
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        for k in 0..3 {
            assert!(
                (a[k] - b[k]).abs() < 1e-4,
                "{what}, text {i}: {a:?} vs {b:?}"
            );
        }
    }
}

/// A model of each family saved by transformers' `save_pretrained` loads here as it is and
/// gives the token ids and probabilities transformers computed, where they were batched with
/// padding and here are packed without it, and also when padded here.
#[test]
fn transformers_models_of_every_family_give_transformers_probabilities() {
    for (name, family) in FAMILIES {
        let dir = fixture_named(name);
        let model = Model::load(&dir).unwrap();
        assert_eq!(model.network().family(), family, "{name}");
        let expected: Expected =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        for (text, ids) in expected.texts.iter().zip(&expected.input_ids) {
            assert_eq!(
                &model.encoder().encode(text),
                ids,
                "{name}: token ids for {text}"
            );
        }
        let refs: Vec<&[u32]> = expected.input_ids.iter().map(Vec::as_slice).collect();
        let packed = model.forward_encoded(&refs).unwrap();
        close(&packed, &expected.probabilities, &format!("{name}, packed"));
        // One at a time (no padding) gives the same.
        let single = model.forward_encoded(&refs[..1]).unwrap();
        close(
            &single,
            &expected.probabilities[..1],
            &format!("{name}, alone"),
        );
        // The padded path, whose position ids skip the padding as transformers' do.
        let (input, mask) = model.encoder().batch(&refs, &Device::Cpu).unwrap();
        let padded: Vec<Probabilities> = model
            .network()
            .forward(&input, &mask, Mode::Infer)
            .and_then(|logits| candle_nn::ops::softmax_last_dim(&logits))
            .and_then(|p| p.to_vec2::<f32>())
            .unwrap()
            .iter()
            .map(|row| model.to_label_order(row))
            .collect();
        close(&padded, &expected.probabilities, &format!("{name}, padded"));
    }
}

/// RoBERTa counts positions past the padding id, and a padding token inside a text keeps
/// the padding position, as transformers' `create_position_ids_from_input_ids`.
#[test]
fn positions_from_zero_or_past_the_padding_id() {
    let mut out = Vec::new();
    Positions::FromZero.extend(&[5, 6, 7], &mut out);
    assert_eq!(out, [0, 1, 2]);
    out.clear();
    Positions::PastPadding { pad: 1 }.extend(&[0, 9, 2, 1, 1], &mut out);
    assert_eq!(out, [2, 3, 4, 1, 1]);
    out.clear();
    Positions::PastPadding { pad: 1 }.extend(&[0, 1, 9], &mut out);
    assert_eq!(out, [2, 1, 3]);
}

/// A RoBERTa model reads at most `max_position_embeddings - pad_token_id - 1` tokens: the
/// fixture's 66 positions hold 64, where BERT's 64 hold 64.
#[test]
fn roberta_inputs_stop_where_its_positions_do() {
    let model = Model::load(&fixture_named("roberta-tiny")).unwrap();
    assert_eq!(model.config().max_tokens(), 64);
    assert_eq!(model.encoder().max_len(), 64);
    let long = "我的还款没有到账，麻烦查一下".repeat(20);
    let ids = model.encoder().encode(&long);
    assert_eq!(ids.len(), 64);
    let p = model.forward_encoded(&[&ids]).unwrap();
    assert!(checks::all_finite(&p));
}

/// The packed inference path gives the padded path's probabilities, on the shipped model,
/// for texts of many lengths in one batch, at fp32 and at int8 (where a real token's row is
/// quantised alike on both paths, so only a rounding flipped by the attention's last bits
/// tells them apart).
#[test]
fn packed_inference_matches_padded_inference() {
    for (precision, tolerance) in [(Precision::Fp32, 1e-5), (Precision::Int8, 1e-3)] {
        packed_matches_padded(precision, tolerance);
    }
}

fn packed_matches_padded(precision: Precision, tolerance: f32) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/heihui-zh-small");
    let settings = LoadSettings {
        precision: Some(precision),
        ..LoadSettings::default()
    };
    let model = Model::load_with(&dir, settings).unwrap();
    assert_eq!(model.precision(), precision);
    let ids: Vec<Vec<u32>> = [2usize, 3, 17, 64, 128, 5, 100]
        .iter()
        .enumerate()
        .map(|(k, &len)| {
            (0..len)
                .map(|j| ((k * 131 + j * 17) % 4000 + 5) as u32)
                .collect()
        })
        .collect();
    let refs: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
    let packed = model.forward_encoded(&refs).unwrap();
    let (input, mask) = model.encoder().batch(&refs, &Device::Cpu).unwrap();
    let padded = model
        .network()
        .forward(&input, &mask, Mode::Infer)
        .and_then(|logits| candle_nn::ops::softmax_last_dim(&logits))
        .and_then(|p| p.to_vec2::<f32>())
        .unwrap();
    for (i, (a, row)) in packed.iter().zip(&padded).enumerate() {
        let b = model.to_label_order(row);
        for k in 0..3 {
            assert!(
                (a[k] - b[k]).abs() < tolerance,
                "{precision:?}, text {i}: {a:?} vs {b:?}"
            );
        }
    }
}

fn broken_copy(name: &str, edit: impl FnOnce(&Path)) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("heihui-model-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["config.json", "tokenizer.json", "model.safetensors"] {
        std::fs::copy(fixture().join(f), dir.join(f)).unwrap();
    }
    edit(&dir);
    dir
}

fn edit_config(dir: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("config.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(&path, v.to_string()).unwrap();
}

#[test]
fn errors_name_the_file_and_field() {
    type Edit = Box<dyn FnOnce(&Path)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "missing",
            Box::new(|d: &Path| std::fs::remove_file(d.join("model.safetensors")).unwrap()),
            "model.safetensors: No such file",
        ),
        (
            "act",
            Box::new(|d: &Path| edit_config(d, |v| v["hidden_act"] = "swish".into())),
            "config.json: field hidden_act: unsupported value `swish`",
        ),
        (
            "family",
            Box::new(|d: &Path| edit_config(d, |v| v["model_type"] = "gpt2".into())),
            "config.json: field model_type: unsupported value `gpt2`; heihui supports bert, roberta, electra",
        ),
        (
            "position",
            Box::new(|d: &Path| {
                edit_config(d, |v| v["position_embedding_type"] = "relative_key".into())
            }),
            "config.json: field position_embedding_type: unsupported value `relative_key`",
        ),
        (
            "labels",
            Box::new(|d: &Path| {
                edit_config(d, |v| {
                    v["id2label"] = serde_json::json!({"0": "normal", "1": "malicious_complaint"})
                })
            }),
            "config.json: field id2label: 2 labels, but heihui needs exactly 3",
        ),
        (
            "shape",
            Box::new(|d: &Path| edit_config(d, |v| v["hidden_size"] = 48.into())),
            "model.safetensors: shape mismatch for bert.encoder.layer.0.attention.self.query.weight, expected: [48, 48], got: [32, 32]",
        ),
    ];
    for (name, edit, message) in cases {
        let dir = broken_copy(name, edit);
        // As the binary prints it: the error and its sources, joined by `: `.
        let err = format!("{:#}", anyhow::Error::from(Model::load(&dir).unwrap_err()));
        assert!(err.contains(message), "{name}: {err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn candle_errors_keep_their_source() {
    let dir = broken_copy("shape_source", |d: &Path| {
        edit_config(d, |v| v["hidden_size"] = 48.into())
    });
    let err = Model::load(&dir).unwrap_err();
    let source = std::error::Error::source(&err).expect("candle's error as the source");
    assert!(
        source.downcast_ref::<candle_core::Error>().is_some(),
        "{source:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
