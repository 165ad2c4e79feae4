//! The transformer at int8 against fp32 on labelled or benchmark CSV files (a `text`
//! column, or `benches/gen_rows.py`'s `投诉内容`): how often its labels agree, how far its probabilities move, and its rows per
//! second at each precision, timed in turns. `benches/int8_vs_fp32.sh` runs it.
//!
//!     cargo run --release --example precision_agreement -- MODEL_DIR ROUNDS FILE...

use std::path::Path;
use std::time::Instant;

use heihui::model::{argmax, LoadSettings, Model, Precision, DEFAULT_BATCH_SIZE};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    heihui::model::allocator::keep_freed_activations();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model_dir, rounds, files @ ..] = args.as_slice() else {
        return Err("usage: precision_agreement MODEL_DIR ROUNDS FILE...".into());
    };
    let rounds: usize = rounds.parse()?;
    let load = |precision| {
        let settings = LoadSettings {
            precision: Some(precision),
            ..LoadSettings::default()
        };
        Model::load_with(Path::new(model_dir), settings)
    };
    let (fp32, int8) = (load(Precision::Fp32)?, load(Precision::Int8)?);
    let mut texts = Vec::new();
    for file in files {
        let mut reader = csv::Reader::from_path(file)?;
        let column = reader
            .headers()?
            .iter()
            .position(|h| h == "text" || h == "投诉内容")
            .ok_or_else(|| format!("{file}: no text or 投诉内容 column"))?;
        for record in reader.records() {
            texts.push(record?[column].to_string());
        }
    }
    // As the classifier reads them: normalised, empty texts left out, as windows.
    let windows: Vec<Vec<Vec<u32>>> = texts
        .iter()
        .map(|t| heihui::normalize::normalize(t))
        .filter(|n| !n.as_str().trim().is_empty())
        .map(|n| fp32.read(n.as_str()))
        .collect();
    let tokens: usize = windows.iter().flatten().map(Vec::len).sum();
    println!(
        "{} rows from {} ({} windows, {tokens} tokens), model {model_dir}",
        windows.len(),
        files.join(" + "),
        windows.iter().map(Vec::len).sum::<usize>()
    );
    let a = fp32.probabilities_windows(&windows, DEFAULT_BATCH_SIZE)?;
    let b = int8.probabilities_windows(&windows, DEFAULT_BATCH_SIZE)?;
    let agree = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| argmax(x) == argmax(y))
        .count();
    let diffs: Vec<f32> = a
        .iter()
        .zip(&b)
        .flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| (p - q).abs()))
        .collect();
    let max = diffs.iter().copied().fold(0f32, f32::max);
    let mean = diffs.iter().map(|&d| f64::from(d)).sum::<f64>() / diffs.len().max(1) as f64;
    println!(
        "transformer labels: int8 agrees with fp32 on {agree} of {} rows ({:.2}%), {} differ",
        a.len(),
        100.0 * agree as f64 / a.len().max(1) as f64,
        a.len() - agree
    );
    println!("probabilities: largest |int8 - fp32| {max:.6}, mean {mean:.6} (over every label)");
    let worst =
        |x: &[f32; 3], y: &[f32; 3]| (0..3).map(|k| (x[k] - y[k]).abs()).fold(0f32, f32::max);
    let mut rows: Vec<usize> = (0..a.len()).collect();
    rows.sort_by(|&i, &j| worst(&b[j], &a[j]).total_cmp(&worst(&b[i], &a[i])));
    for (n, &i) in rows.iter().take(3).enumerate() {
        println!(
            "  row {i} ({} windows, {} tokens): fp32 {:?}, int8 {:?}",
            windows[i].len(),
            windows[i].iter().map(Vec::len).sum::<usize>(),
            a[i],
            b[i]
        );
        // The windows of the row that moves most, before they are pooled.
        if n == 0 && windows[i].len() > 1 {
            let (x, y) = (
                fp32.probabilities_encoded(&windows[i], DEFAULT_BATCH_SIZE)?,
                int8.probabilities_encoded(&windows[i], DEFAULT_BATCH_SIZE)?,
            );
            for (w, (x, y)) in x.iter().zip(&y).enumerate() {
                println!("    window {w}: fp32 {x:?}, int8 {y:?}");
            }
        }
    }
    let mut speeds = [Vec::new(), Vec::new()];
    for round in 1..=rounds {
        for (i, (name, model)) in [("fp32", &fp32), ("int8", &int8)].into_iter().enumerate() {
            let started = Instant::now();
            model.probabilities_windows(&windows, DEFAULT_BATCH_SIZE)?;
            let rate = windows.len() as f64 / started.elapsed().as_secs_f64();
            println!("round {round}: {name} {rate:.1} rows/s");
            speeds[i].push(rate);
        }
    }
    if rounds > 0 {
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (f, i) = (median(&mut speeds[0]), median(&mut speeds[1]));
        println!(
            "median of {rounds} rounds: fp32 {f:.1} rows/s, int8 {i:.1} rows/s ({:.2}x)",
            i / f
        );
    }
    Ok(())
}
