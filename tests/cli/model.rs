//! `train` and `eval`, and the shipped model against its gate.

use crate::common::*;
use std::path::Path;

#[test]
fn train_a_tiny_model_then_eval_with_gates() {
    let dir = scratch("train_tiny");
    let tiny = tiny_split(&dir, "train", 48);
    let out = dir.join("model");
    let o = train_tiny(&tiny, &out, &["--batch-size", "16"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for file in [
        "config.json",
        "tokenizer.json",
        "model.safetensors",
        "decision.json",
        "metrics.json",
        "MODEL_CARD.md",
        "ngram.json",
        "ngram.safetensors",
    ] {
        assert!(out.join(file).is_file(), "{file}");
    }
    let card = std::fs::read_to_string(out.join("MODEL_CARD.md")).unwrap();
    assert!(
        card.contains("heihui train --train"),
        "the card records the command"
    );

    let errors = dir.join("errors.csv");
    let report = dir.join("report.json");
    let o = run(&[
        "eval",
        tiny.to_str().unwrap(),
        "--model",
        out.to_str().unwrap(),
        "--quiet",
        "--json-out",
        report.to_str().unwrap(),
        "--errors",
        errors.to_str().unwrap(),
        "--gate",
        "accuracy>=0.0",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("== combined"));
    assert!(stdout(&o).contains("== n-gram only"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["systems"]["rows"], 48);
    let wrong = csv_rows(&std::fs::read_to_string(&errors).unwrap());
    let accuracy = json["systems"]["combined"]["accuracy"].as_f64().unwrap();
    assert_eq!(wrong.len() - 1, ((1.0 - accuracy) * 48.0).round() as usize);

    let o = run(&[
        "eval",
        tiny.to_str().unwrap(),
        "--model",
        out.to_str().unwrap(),
        "--quiet",
        "--gate",
        "macro_f1>=1.01",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("gate macro_f1>=1.01 failed: measured"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn eval_predicts_exactly_what_label_writes() {
    let dir = scratch("eval_agrees_with_label");
    let test = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/labeled/test.csv");
    // The shipped test split, plus rows the two paths once disagreed on.
    let mut data = std::fs::read_to_string(&test).unwrap();
    data.push_str("extra-1,\"   \",normal,chat,no\nextra-2,\"\u{3000}\n\",normal,sms,no\n");
    let file = dir.join("rows.csv");
    std::fs::write(&file, data).unwrap();
    let predictions = dir.join("predictions.csv");
    let o = run(&[
        "eval",
        file.to_str().unwrap(),
        "--quiet",
        "--predictions",
        predictions.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let labelled = dir.join("labelled.csv");
    let o = run(&[
        "label",
        file.to_str().unwrap(),
        "-o",
        labelled.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let predicted = csv_rows(&std::fs::read_to_string(&predictions).unwrap());
    let written = csv_rows(&std::fs::read_to_string(&labelled).unwrap());
    let column = |rows: &[Vec<String>], name: &str| {
        let i = rows[0].iter().position(|h| h == name).unwrap();
        rows[1..].iter().map(|r| r[i].clone()).collect::<Vec<_>>()
    };
    assert_eq!(predicted.len(), written.len());
    assert!(predicted.len() > 700);
    assert_eq!(column(&predicted, "id"), column(&written, "id"));
    assert_eq!(
        column(&predicted, "combined"),
        column(&written, "heihui_label")
    );
}

#[test]
fn training_is_deterministic_and_fine_tunes_from_a_model() {
    let dir = scratch("train_determinism");
    let tiny = tiny_split(&dir, "dev", 40);
    let train = |out: &Path, extra: &[&str]| {
        let mut args = vec!["--batch-size", "8", "--seed", "5"];
        args.extend_from_slice(extra);
        let o = train_tiny(&tiny, out, &args);
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read(out.join("model.safetensors")).unwrap()
    };
    let a = train(&dir.join("a"), &[]);
    let b = train(&dir.join("b"), &[]);
    assert!(a == b, "the same seed gives the same weights");
    let init = dir.join("a");
    let c = train(&dir.join("c"), &["--init", init.to_str().unwrap()]);
    assert_eq!(a.len(), c.len(), "fine-tuning keeps the size");
    assert!(a != c, "fine-tuning changes the weights");
}

#[test]
fn eval_names_a_bad_row() {
    let dir = scratch("eval_bad");
    let file = dir.join("bad.csv");
    std::fs::write(&file, "id,text,label\n1,好,normal\n2,坏,spam\n").unwrap();
    let o = run(&["eval", file.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bad.csv: row 3: column label: unknown label `spam`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn shipped_model_meets_its_gate_on_test() {
    let o = run(&[
        "eval",
        "corpus/labeled/test.csv",
        "--quiet",
        "--gate",
        "macro_f1>=0.85",
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn train_refuses_bad_arguments_before_reading_data() {
    let dir = scratch("train_bad_args");
    let missing = dir.join("no-such-train.csv");
    let out = dir.join("model");
    for (flag, value, says) in [
        ("--heads", "0", "'--heads <HEADS>': must be at least 1"),
        ("--epochs", "0", "'--epochs <EPOCHS>': must be at least 1"),
        ("--layers", "0", "'--layers <LAYERS>': must be at least 1"),
        (
            "--batch-size",
            "0",
            "'--batch-size <BATCH_SIZE>': must be at least 1",
        ),
        (
            "--max-len",
            "0",
            "'--max-len <MAX_LEN>': must be at least 3",
        ),
        (
            "--ngram-min-df",
            "0",
            "'--ngram-min-df <N>': must be at least 1",
        ),
        (
            "--ngram-c",
            "0",
            "'--ngram-c <C>': expected a number above 0",
        ),
        (
            "--ngram-c",
            "-1",
            "'--ngram-c <C>': expected a number above 0",
        ),
        (
            "--hidden",
            "30",
            "--hidden 30 is not divisible by --heads 4",
        ),
    ] {
        let o = run(&[
            "train",
            "--train",
            missing.to_str().unwrap(),
            "--dev",
            missing.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            flag,
            value,
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{flag} {value}: {err}");
        assert!(err.contains(says), "{flag} {value}: {err}");
        assert!(!err.contains("panicked"), "{flag} {value}: {err}");
        assert!(!err.contains("no-such-train"), "{flag} {value}: {err}");
        assert!(!out.exists(), "{flag} {value}: nothing written");
    }
}

/// `train --keep-transformer` of the shipped transformer on `data` (as train and dev) into `out`.
fn refit(data: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "train",
        "--init",
        "models/heihui-zh-small",
        "--keep-transformer",
        "--train",
        data.to_str().unwrap(),
        "--dev",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn keep_transformer_writes_a_new_model_directory() {
    let dir = scratch("keep_transformer");
    let tiny = tiny_split(&dir, "train", 60);
    let out = dir.join("refit").join("model");
    let o = refit(&tiny, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let shipped = std::fs::read("models/heihui-zh-small/model.safetensors").unwrap();
    assert_eq!(
        std::fs::read(out.join("model.safetensors")).unwrap(),
        shipped
    );
    for file in ["ngram.safetensors", "decision.json", "MODEL_CARD.md"] {
        assert!(out.join(file).is_file(), "{file}");
    }
    let card = std::fs::read_to_string(out.join("MODEL_CARD.md")).unwrap();
    assert!(
        card.contains(
            "The transformer was kept as it is in `models/heihui-zh-small`, not trained here"
        ),
        "{card}"
    );
    assert!(!card.contains("AdamW"), "{card}");
}

#[test]
fn sources_weight_the_ngram_rows_by_batch() {
    let dir = scratch("sources");
    let tiny = tiny_split(&dir, "train", 60);
    // train-00001..10 one batch, 11..50 another; the last ten rows are not listed.
    let mut listed = String::from("id,source\n");
    for i in 1..=50 {
        let batch = if i <= 10 { "small" } else { "big" };
        listed.push_str(&format!("train-{i:05},{batch}\n"));
    }
    let sources = dir.join("sources.csv");
    std::fs::write(&sources, listed).unwrap();
    let refit_into = |name: &str, extra: &[&str]| {
        let out = dir.join(name);
        let o = refit(&tiny, &out, extra);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        out
    };
    let plain = refit_into("plain", &[]);
    let flat = refit_into(
        "flat",
        &[
            "--sources",
            sources.to_str().unwrap(),
            "--source-power",
            "0",
        ],
    );
    let balanced = refit_into("balanced", &["--sources", sources.to_str().unwrap()]);
    let weights = |out: &Path| std::fs::read(out.join("ngram.safetensors")).unwrap();
    // Power 0 weighs every row 1: the very fit of no weighting. The default power moves it.
    assert_eq!(weights(&flat), weights(&plain));
    assert_ne!(weights(&balanced), weights(&plain));
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(balanced.join("metrics.json")).unwrap())
            .unwrap();
    let batches = &metrics["source_batches"];
    assert_eq!(batches["batches"], 3, "{batches}");
    assert_eq!(batches["unlisted_rows"], 10, "{batches}");
    assert_eq!(batches["power"], 0.5, "{batches}");
    let card = std::fs::read_to_string(balanced.join("MODEL_CARD.md")).unwrap();
    assert!(
        card.contains("(10 rows it does not list count as one batch)"),
        "{card}"
    );
    assert!(std::fs::read_to_string(plain.join("MODEL_CARD.md"))
        .map(|c| !c.contains("batches of writing"))
        .unwrap());

    // A bad file stops the run before anything is trained, naming the file and row.
    std::fs::write(&sources, "id,source\ntrain-00001,\n").unwrap();
    let out = dir.join("bad");
    let o = refit(&tiny, &out, &["--sources", sources.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("sources.csv: row 2, column source: empty source"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn pretraining_reads_the_unlabelled_texts_learns_and_leaves_no_head_behind() {
    let dir = scratch("pretrain");
    let tiny = tiny_split(&dir, "train", 40);
    let extra = dir.join("unlabelled.jsonl");
    std::fs::write(
        &extra,
        "{\"text\":\"加我微信帮你办理停息挂账，专业团队协商还款\"}\n\
         {\"text\":\"客服电话一直打不通，我想问问账单的事情\"}\n\
         {\"text\":\"投诉到银保监会，要求全额退还利息和服务费\"}\n",
    )
    .unwrap();
    let out = dir.join("model");
    let o = train_tiny(
        &tiny,
        &out,
        &[
            "--pretrain-epochs",
            "3",
            "--pretrain-texts",
            extra.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let pretrain = &report["pretrain"];
    // The train file doubles as dev here: 40 rows twice, and the three unlabelled lines.
    assert_eq!(pretrain["texts"], 83, "{pretrain}");
    let losses: Vec<f64> = pretrain["loss_curve"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(losses.len(), 3);
    assert!(losses[2] < losses[0], "masked-token loss falls: {losses:?}");
    assert!(pretrain["held_out"].as_u64().unwrap() >= 1);

    let card = std::fs::read_to_string(out.join("MODEL_CARD.md")).unwrap();
    assert!(card.contains("masked-language pre-training"), "{card}");
    let weights = std::fs::read(out.join("model.safetensors")).unwrap();
    let tensors = safetensors::SafeTensors::deserialize(&weights).unwrap();
    assert!(
        tensors.names().iter().all(|n| !n.starts_with("cls.")),
        "the masked-language head is not saved"
    );
    let o = run(&[
        "classify",
        "--model",
        out.to_str().unwrap(),
        "加我微信帮你办理停息挂账",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn pretraining_names_an_unreadable_text_file() {
    let dir = scratch("pretrain_missing");
    let tiny = tiny_split(&dir, "train", 10);
    let missing = dir.join("no-such-texts.csv");
    let o = train_tiny(
        &tiny,
        &dir.join("model"),
        &[
            "--pretrain-epochs",
            "1",
            "--pretrain-texts",
            missing.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no-such-texts.csv"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"));
}
