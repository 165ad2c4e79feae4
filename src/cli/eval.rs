//! `heihui eval`: measure corpus only, model only and the combined decision on labelled data,
//! gate CI on the result, and tune the decision.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use heihui::data::read_labeled;
use heihui::decide::{reason, tune, Decision};
use heihui::eval::{evaluate, Evaluation, Gate};
use heihui::{Corpus, Label, Matcher};

use super::progress::{rows_bar, Progress};
use super::{CorpusArg, ModelArg, EXIT_FOUND_PROBLEMS};

/// Evaluate on labelled data: per-label precision, recall, F1, accuracy, macro and weighted
/// F1 and the confusion matrix, for corpus only, model only and the combined decision.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Gates apply to the combined decision; a failed gate exits 1 with a \
one-line reason.\n\nExamples:\n  heihui eval corpus/labeled/test.csv --gate macro_f1>=0.85\n  \
heihui eval corpus/labeled/dev.csv --tune\n  heihui eval data.csv --errors worklist.csv --json report.json"
)]
pub struct Args {
    /// Labelled CSV (text and label columns; id optional)
    file: PathBuf,
    /// METRIC>=VALUE, METRIC one of accuracy, macro_f1, weighted_f1, precision:LABEL,
    /// recall:LABEL, f1:LABEL; repeatable
    #[arg(long, value_name = "GATE")]
    gate: Vec<Gate>,
    /// Write the metrics of all three systems as JSON
    #[arg(long, value_name = "OUT")]
    json: Option<PathBuf>,
    /// Write every row the combined decision gets wrong, with probabilities and hits
    #[arg(long, value_name = "OUT.csv")]
    errors: Option<PathBuf>,
    /// Fit the decision's weights and thresholds on FILE (use the dev split) and write them
    /// to the model's decision.json: the setting nearest the defaults within one standard
    /// error of the best macro-F1
    #[arg(long)]
    tune: bool,
    /// Texts per forward pass
    #[arg(long, default_value_t = heihui::model::DEFAULT_BATCH_SIZE)]
    batch_size: usize,
    /// No progress bar
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    model: ModelArg,
    #[command(flatten)]
    corpus: CorpusArg,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let model = args.model.load()?;
    let corpus = Corpus::load(&args.corpus.resolve()?)?;
    let matcher = Matcher::new(&corpus)?;
    let decision_path = model.dir().join("decision.json");
    let mut decision = Decision::load(&decision_path)?;
    let examples = read_labeled(&args.file)?;
    let bar = rows_bar(
        examples.len() as u64,
        "evaluating",
        Progress::from_quiet(args.quiet),
    );
    let started = std::time::Instant::now();
    let mut evaluation = evaluate(
        &model,
        &matcher,
        &decision,
        &examples,
        args.batch_size,
        |n| bar.inc(n as u64),
    )?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "evaluated {} rows in {:.1} s ({:.0} rows/s, model and corpus)",
        examples.len(),
        seconds,
        examples.len() as f64 / seconds.max(1e-9)
    );
    if args.tune {
        let (tuned, f1) = tune(&evaluation.tuning_rows());
        eprintln!(
            "tuned on {}: combined macro-F1 {:.4} -> {:.4}; wrote {}",
            args.file.display(),
            evaluation.combined.macro_f1,
            f1,
            decision_path.display()
        );
        tuned.save(&decision_path)?;
        evaluation = evaluation.redecide(&tuned);
        decision = tuned;
    }
    print_report(&args.file, &evaluation);
    if let Some(path) = &args.json {
        let json = serde_json::json!({
            "file": args.file,
            "model": model.dir(),
            "rows": examples.len(),
            "corpus_only": evaluation.corpus_only,
            "model_only": evaluation.model_only,
            "combined": evaluation.combined,
            "decision": decision,
        });
        std::fs::write(path, serde_json::to_string_pretty(&json)? + "\n")
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    if let Some(path) = &args.errors {
        write_errors(path, &examples, &evaluation)?;
    }
    let failed: Vec<String> = args
        .gate
        .iter()
        .filter_map(|g| g.check(&evaluation.combined))
        .collect();
    for reason in &failed {
        eprintln!("heihui: {reason}");
    }
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FOUND_PROBLEMS)
    })
}

fn print_report(file: &std::path::Path, e: &Evaluation) {
    println!("{} ({} rows)\n", file.display(), e.rows.len());
    for (name, m) in [
        ("corpus only", &e.corpus_only),
        ("model only", &e.model_only),
        ("combined (what `label` uses)", &e.combined),
    ] {
        println!("== {name}\n{}", m.table());
    }
    println!(
        "summary: macro-F1 corpus only {:.4}, model only {:.4}, combined {:.4}",
        e.corpus_only.macro_f1, e.model_only.macro_f1, e.combined.macro_f1
    );
}

fn write_errors(
    path: &std::path::Path,
    examples: &[heihui::data::Example],
    e: &Evaluation,
) -> Result<()> {
    let mut w = csv::Writer::from_path(path)
        .with_context(|| format!("{}: cannot write", path.display()))?;
    let mut header = vec!["id", "text", "gold", "predicted"];
    let p_cols: Vec<String> = Label::ALL
        .iter()
        .map(|l| format!("p_{}", l.name()))
        .collect();
    let m_cols: Vec<String> = Label::ALL
        .iter()
        .map(|l| format!("model_p_{}", l.name()))
        .collect();
    header.extend(p_cols.iter().map(String::as_str));
    header.extend(m_cols.iter().map(String::as_str));
    header.extend(["hits", "reason"]);
    w.write_record(&header)?;
    for (example, row) in examples.iter().zip(&e.rows) {
        if row.combined.label == row.gold {
            continue;
        }
        let mut record = vec![
            example.id.clone(),
            example.text.clone(),
            row.gold.to_string(),
            row.combined.label.to_string(),
        ];
        record.extend(row.combined.probabilities.iter().map(|p| format!("{p:.4}")));
        record.extend(
            row.combined
                .model_probabilities
                .iter()
                .map(|p| format!("{p:.4}")),
        );
        record.push(
            row.hits
                .iter()
                .map(|h| format!("{}:{}:{:+}", h.phrase, h.category, h.weight))
                .collect::<Vec<_>>()
                .join("; "),
        );
        record.push(reason(&row.combined, &row.hits));
        w.write_record(&record)?;
    }
    w.flush()?;
    Ok(())
}
