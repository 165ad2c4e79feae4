//! Model directories that are broken or disagree with themselves stop `label` with exit 2 and
//! one line naming the file, before any row is labelled.

use crate::common::*;
use std::path::Path;

/// Rewrites `model.safetensors` with `edit` applied to each tensor's f32 values.
fn edit_weights(model: &Path, edit: impl Fn(&str, &[usize], &mut Vec<f32>)) {
    let path = model.join("model.safetensors");
    let bytes = std::fs::read(&path).unwrap();
    let tensors = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut owned: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (name, view) in tensors.tensors() {
        let mut values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        edit(&name, view.shape(), &mut values);
        let data = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        owned.push((name, view.shape().to_vec(), data));
    }
    let views: Vec<(&str, safetensors::tensor::TensorView<'_>)> = owned
        .iter()
        .map(|(n, s, d)| {
            let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), d)
                .unwrap();
            (n.as_str(), view)
        })
        .collect();
    safetensors::tensor::serialize_to_file(views, None, &path).unwrap();
}

/// Labels `input` (CSV text) with `model`; returns (exit code, stderr, whether out.csv exists).
fn label_with(
    dir: &Path,
    model: &Path,
    input: &str,
    extra: &[&str],
) -> (Option<i32>, String, bool) {
    let file = dir.join("in.csv");
    std::fs::write(&file, input).unwrap();
    let out = dir.join("out.csv");
    let mut args = vec![
        "label",
        file.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "-q",
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    (o.status.code(), stderr(&o), out.exists())
}

fn assert_refused(dir: &Path, model: &Path, want: &str) {
    let (code, err, written) = label_with(dir, model, SAMPLE, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.trim_end(), format!("heihui: {want}"));
    assert!(!written, "no output for a broken model");
}

const NOT_FINITE: &str = "check config.json (layer_norm_eps must be positive) and \
model.safetensors for NaN or infinite weights";

#[test]
fn nan_weights_are_caught_by_the_probe_at_load() {
    let (dir, model) = model_copy("checks_nan_weights");
    edit_weights(&model, |name, _, v| {
        if name == "classifier.bias" {
            v[0] = f32::NAN;
        }
    });
    assert_refused(
        &dir,
        &model,
        &format!(
            "{}: the model gives probabilities that are not numbers (NaN or infinite) for a \
             probe text: {NOT_FINITE}",
            model.display()
        ),
    );
}

/// A token whose embedding is NaN passes the probe (the probe does not use it) and is caught
/// in the batch that holds it (by a decision that uses the transformer, so that `label` runs it).
#[test]
fn nan_probabilities_in_a_batch_stop_the_run() {
    let (dir, model) = model_copy("checks_nan_batch");
    edit_json(&model.join("decision.json"), |d| {
        d["stack"]["transformer"] = serde_json::json!([0.1, 0.2, 0.1]);
    });
    let tokenizer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(model.join("tokenizer.json")).unwrap())
            .unwrap();
    let cat = tokenizer["model"]["vocab"]["猫"].as_u64().unwrap() as usize;
    edit_weights(&model, |name, shape, v| {
        if name == "bert.embeddings.word_embeddings.weight" {
            v[cat * shape[1]] = f32::NAN;
        }
    });
    let (code, err, written) = label_with(&dir, &model, "id,text\n1,还款\n2,我家的猫\n", &[]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        err.trim_end(),
        format!(
            "heihui: {}: the model gives probabilities that are not numbers (NaN or infinite) \
             for a batch of texts: {NOT_FINITE}",
            model.display()
        )
    );
    assert!(!written);
}

#[test]
fn a_negative_layer_norm_eps_is_refused() {
    let (dir, model) = model_copy("checks_eps");
    let config = model.join("config.json");
    edit_json(&config, |v| v["layer_norm_eps"] = (-1).into());
    assert_refused(
        &dir,
        &model,
        &format!(
            "{}: field layer_norm_eps: -1 is not a small positive number (BERT's is 1e-12)",
            config.display()
        ),
    );
}

#[test]
fn fewer_layers_than_the_checkpoint_are_refused_unless_allowed() {
    let (dir, model) = model_copy("checks_layers");
    edit_json(&model.join("config.json"), |v| {
        v["num_hidden_layers"] = 1.into()
    });
    assert_refused(
        &dir,
        &model,
        &format!(
            "{}: it holds 2 encoder layers but config.json's num_hidden_layers is 1, so 16 \
             tensors would go unused (bert.encoder.layer.1.attention.output.LayerNorm.bias, \
             bert.encoder.layer.1.attention.output.LayerNorm.weight, \
             bert.encoder.layer.1.attention.output.dense.bias, ...): correct config.json, or \
             pass --allow-unused-weights to load the model without them",
            model.join("model.safetensors").display()
        ),
    );
    let (code, err, written) = label_with(&dir, &model, SAMPLE, &["--allow-unused-weights"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(written);
}

#[test]
fn a_tokenizer_of_another_size_than_vocab_size_is_refused() {
    let (dir, model) = model_copy("checks_vocab");
    edit_json(&model.join("config.json"), |v| {
        v["vocab_size"] = 5000.into()
    });
    assert_refused(
        &dir,
        &model,
        &format!(
            "{}: 5068 tokens, but config.json's vocab_size is 5000: the tokenizer is not this \
             model's",
            model.join("tokenizer.json").display()
        ),
    );
}

#[test]
fn label2id_disagreeing_with_id2label_is_refused() {
    let (dir, model) = model_copy("checks_label2id");
    let config = model.join("config.json");
    edit_json(
        &config,
        |v| {
            v["label2id"] =
                serde_json::json!({"normal": 1, "malicious_complaint": 0, "debt_optimization": 2})
        },
    );
    assert_refused(
        &dir,
        &model,
        &format!(
            "{}: field label2id: malicious_complaint is class 0, but id2label says class 0 is \
             normal",
            config.display()
        ),
    );
}

#[test]
fn a_negative_review_margin_is_refused() {
    let (dir, model) = model_copy("checks_margin");
    let decision = model.join("decision.json");
    edit_json(&decision, |v| v["review_margin"] = (-0.1).into());
    assert_refused(
        &dir,
        &model,
        &format!(
            "{}: field review_margin: -0.1 is not between 0 and 1 (a difference of two \
             probabilities; 0 sends nothing to review)",
            decision.display()
        ),
    );
}

/// A bias that outweighs every model: found by trying each label's clearest case, in the
/// stacked form (with the n-gram model) and in the weighted form (without it).
#[test]
fn a_bias_that_labels_everything_normal_is_refused() {
    let want = |decision: &Path| {
        format!(
            "{}: labels even a text that both models are sure is malicious_complaint, with a \
             phrase for it, as normal: its bias or weights outweigh the models; retune with \
             `heihui eval DEV.csv --tune` or delete the file",
            decision.display()
        )
    };
    let (dir, model) = model_copy("checks_bias_stacked");
    let decision = model.join("decision.json");
    edit_json(&decision, |v| v["stack"]["bias"][0] = 100.into());
    assert_refused(&dir, &model, &want(&decision));

    let (dir, model) = model_copy("checks_bias_weighted");
    let decision = model.join("decision.json");
    std::fs::remove_file(model.join("ngram.json")).unwrap();
    std::fs::remove_file(model.join("ngram.safetensors")).unwrap();
    edit_json(&decision, |v| {
        v.as_object_mut().unwrap().remove("stack");
        v["bias"][0] = 30.into();
    });
    assert_refused(&dir, &model, &want(&decision));
    // The same file with a modest bias still loads.
    edit_json(&decision, |v| v["bias"][0] = 1.into());
    let (code, err, _) = label_with(&dir, &model, SAMPLE, &[]);
    assert_eq!(code, Some(0), "{err}");
}
