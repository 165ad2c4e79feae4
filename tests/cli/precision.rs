//! `--precision` and `heihui quantize`: the transformer at int8, quantised as it loads or read
//! from a quantised directory.

use std::path::Path;

use crate::common::*;

const SHIPPED: &str = "models/heihui-zh-small";

/// The transformer's own probabilities (`classify --json`'s `model_probabilities`) for each
/// line of `examples/messages.txt`, in `Label::ALL` order.
fn transformer_probabilities(extra: &[&str]) -> Vec<[f64; 3]> {
    let texts =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/messages.txt")).unwrap();
    let mut args = vec!["classify", "--json"];
    args.extend_from_slice(extra);
    let o = run_stdin(&args, &texts);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let p = &v["model_probabilities"];
            ["normal", "malicious_complaint", "debt_optimization"]
                .map(|l| p[l].as_f64().unwrap_or_else(|| panic!("no {l} in {line}")))
        })
        .collect()
}

fn argmax(p: &[f64; 3]) -> usize {
    (0..3).fold(0, |best, i| if p[i] > p[best] { i } else { best })
}

#[test]
fn int8_and_fp32_agree_on_the_example_texts() {
    let fp32 = transformer_probabilities(&["--model", SHIPPED]);
    let int8 = transformer_probabilities(&["--model", SHIPPED, "--precision", "int8"]);
    assert_eq!(fp32.len(), 12);
    assert_eq!(fp32.len(), int8.len());
    for (i, (a, b)) in fp32.iter().zip(&int8).enumerate() {
        assert_eq!(
            argmax(a),
            argmax(b),
            "text {}: fp32 {a:?}, int8 {b:?}",
            i + 1
        );
        let worst = (0..3).map(|j| (a[j] - b[j]).abs()).fold(0f64, f64::max);
        assert!(worst < 0.05, "text {}: fp32 {a:?}, int8 {b:?}", i + 1);
    }
    assert_ne!(fp32, int8, "int8 is not the fp32 arithmetic");
    let default = transformer_probabilities(&["--model", SHIPPED, "--precision", "fp32"]);
    assert_eq!(default, fp32, "--precision fp32 is the default");
}

#[test]
fn quantize_writes_a_directory_that_loads_at_int8_and_classifies() {
    let dir = scratch("precision_quantize");
    let out = dir.join("int8");
    let o = run(&["quantize", SHIPPED, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("quantised 12 dense layers"),
        "{}",
        stderr(&o)
    );
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["heihui_precision"], "int8");
    for file in ["tokenizer.json", "decision.json", "ngram.json"] {
        assert_eq!(
            std::fs::read(out.join(file)).unwrap(),
            std::fs::read(Path::new(SHIPPED).join(file)).unwrap(),
            "{file} is copied"
        );
    }
    let bytes = std::fs::read(out.join("model.safetensors")).unwrap();
    let tensors = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let layer = "bert.encoder.layer.1.intermediate.dense";
    let q = tensors.tensor(&format!("{layer}.weight_int8")).unwrap();
    assert_eq!(q.dtype(), safetensors::Dtype::I8);
    assert_eq!(q.shape(), [512, 128]);
    let scale = tensors.tensor(&format!("{layer}.weight_scale")).unwrap();
    assert_eq!(
        (scale.dtype(), scale.shape()),
        (safetensors::Dtype::F32, &[512][..])
    );
    assert!(
        tensors.tensor(&format!("{layer}.weight")).is_ok(),
        "the fp32 weights stay"
    );
    assert!(!dir.read_dir().unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with(".tmp")));

    let out = out.to_str().unwrap();
    // Read quantised or quantised while loading, the same int8 numbers.
    let stored = transformer_probabilities(&["--model", out]);
    let at_load = transformer_probabilities(&["--model", SHIPPED, "--precision", "int8"]);
    assert_eq!(stored, at_load);
    let fp32 = transformer_probabilities(&["--model", out, "--precision", "fp32"]);
    assert_eq!(fp32, transformer_probabilities(&["--model", SHIPPED]));
    let o = run(&[
        "label",
        "-q",
        "--json",
        "--model",
        out,
        "examples/complaints.csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let fp32_labels = run(&["label", "-q", "--json", "examples/complaints.csv"]);
    assert_eq!(stdout(&o).lines().count(), 60);
    assert_eq!(
        stdout(&o),
        stdout(&fp32_labels),
        "the shipped decision gives the transformer no weight"
    );
    let o = run(&["quantize", out, "--out", out]);
    assert!(
        o.status.success(),
        "a quantised directory quantises again: {}",
        stderr(&o)
    );
    assert_eq!(transformer_probabilities(&["--model", out]), stored);
}

#[test]
fn every_model_command_takes_precision() {
    let dir = scratch("precision_commands");
    let data = tiny_split(&dir, "dev", 5);
    let data = data.to_str().unwrap();
    for args in [
        vec!["label", "-q", "examples/complaints.csv"],
        vec!["eval", "-q", data],
        vec!["clues", "examples/complaints.csv"],
        vec!["campaigns", "examples/complaints.csv"],
        vec!["classify", "专业停息挂账"],
    ] {
        let mut with = args.clone();
        with.extend(["--precision", "int8"]);
        let o = run(&with);
        assert!(o.status.success(), "{with:?}: {}", stderr(&o));
    }
}

#[test]
fn a_bad_precision_is_a_clear_error() {
    let o = run(&["classify", "--precision", "fp16", "专业停息挂账"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("invalid value 'fp16' for '--precision <PRECISION>'"),
        "{err}"
    );
    assert!(err.contains("[possible values: fp32, int8]"), "{err}");
    let o = run(&["quantize", "no-such-model", "--out", "unused"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no-such-model: not a model directory"),
        "{}",
        stderr(&o)
    );
}
