//! `heihui eval`: measure every system (corpus only, n-gram only, transformer only, and the
//! combined decision) on labelled data, broken down by length band and genre; gate CI on the
//! result; and tune the decision.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use heihui::data::{read_labeled_sheet_strict, Example};
use heihui::decide::{reason, Decision};
use heihui::eval::tune::{tune_with, Components};
use heihui::eval::{evaluate, Breakdown, Evaluation, Gate, Metrics, System, Systems};
use heihui::output::{columns, json, Decided, Explain};
use heihui::Label;

use super::args::{JsonArg, QuietArg, TextColumnArg};
use super::progress::{rows_bar, Progress};
use super::{exit_code, CorpusArg, ModelArg};

/// Evaluate on labelled data: per-label precision, recall, F1, accuracy, macro and weighted
/// F1 and the confusion matrix of corpus only, the n-gram model only, the transformer only
/// and the combined decision `label` uses; by length band and by genre; calibration.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "A gate is [SYSTEM.]METRIC>=VALUE or [SYSTEM.]METRIC>=SYSTEM.METRIC[+-]MARGIN \
(or <=), SYSTEM one of corpus, ngram, transformer, combined (the default), METRIC one of \
accuracy, macro_f1, weighted_f1, ece, precision:LABEL, recall:LABEL, f1:LABEL. A failed gate \
exits 1 with a one-line reason.\n\nExamples:\n  heihui eval corpus/labeled/test.csv --gate \
macro_f1>=0.85\n  heihui eval corpus/labeled/test.csv --gate \"combined.macro_f1>=ngram.macro_f1\"\n  \
heihui eval corpus/labeled/dev.csv --tune\n  heihui eval data.csv --errors worklist.csv --json-out report.json"
)]
pub struct Args {
    /// Labelled CSV or workbook (a text column and a label column; id, genre and hard
    /// optional)
    file: PathBuf,
    /// Anything after FILE: caught to explain it (`--json FILE` was the JSON file once)
    #[arg(hide = true)]
    extra: Vec<String>,
    #[command(flatten)]
    text: TextColumnArg,
    /// The sheet of a workbook (.xlsx, .xls, .ods) to read [default: the first]
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
    /// A gate (see below); repeatable
    #[arg(long, value_name = "GATE")]
    gate: Vec<Gate>,
    #[command(flatten)]
    json: JsonArg,
    /// Also write the report as JSON to OUT (`-`: stdout, as --json)
    #[arg(long, value_name = "OUT")]
    json_out: Option<PathBuf>,
    /// Write the report as one self-contained HTML page (inline CSS and SVG, no script):
    /// the systems side by side, confusion heatmaps, precision-recall curves, reliability,
    /// the breakdowns and the 50 most confident errors with their hits marked
    #[arg(long, value_name = "OUT.html")]
    report: Option<PathBuf>,
    /// Write every row the combined decision gets wrong, with probabilities and hits
    #[arg(long, value_name = "OUT.csv")]
    errors: Option<PathBuf>,
    /// Break the report down by these (repeatable): length bands (<60, 60-199, 200+
    /// characters) or the file's genre column; each group gets every metric in --json, and
    /// macro-F1 and accuracy per system in the table [default: length and genre]
    #[arg(long, value_enum, value_name = "BY")]
    by: Vec<By>,
    /// Write every row's label from each system (id, gold, corpus, ngram, transformer,
    /// combined, confidence)
    #[arg(long, value_name = "OUT.csv")]
    predictions: Option<PathBuf>,
    /// Fit the decision on FILE (use the dev split) and write it to the model's
    /// decision.json: stacked by logistic regression when the model has an n-gram part,
    /// otherwise the weighted form's setting nearest the defaults within one standard error
    /// of the best macro-F1
    #[arg(long)]
    tune: bool,
    /// With --tune: fit the decision on the n-gram model and the corpus hits alone, giving the
    /// transformer no weight (so `label` never runs it), as `train
    /// --decision-without-transformer` does; for a fast model, or to tune on rows the
    /// transformer was trained on
    #[arg(long, requires = "tune")]
    without_transformer: bool,
    /// Texts per forward pass
    #[arg(long, default_value_t = heihui::model::DEFAULT_BATCH_SIZE)]
    batch_size: usize,
    #[command(flatten)]
    quiet: QuietArg,
    #[command(flatten)]
    model: ModelArg,
    #[command(flatten)]
    corpus: CorpusArg,
}

/// A breakdown of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum By {
    /// Length bands in characters.
    Length,
    /// The genre column.
    Genre,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let by: Vec<Breakdown> = if args.by.is_empty() {
        vec![Breakdown::Length, Breakdown::Genre]
    } else {
        args.by
            .iter()
            .map(|b| match b {
                By::Length => Breakdown::Length,
                By::Genre => Breakdown::Genre,
            })
            .collect()
    };
    // `--json -` and `--json-out -` name stdout, where `--json` writes anyway.
    let json_to_stdout = args.json.json || args.json_out.as_deref() == Some(Path::new("-"));
    let json_out = args.json_out.as_deref().filter(|p| *p != Path::new("-"));
    let extra: Vec<&String> = match args.extra.as_slice() {
        [dash] if dash == "-" && args.json.json => Vec::new(),
        extra => extra.iter().collect(),
    };
    if let Some(extra) = extra.first() {
        if args.json.json {
            bail!(
                "{extra}: --json takes no file, it prints the report as JSON lines on stdout; \
                 write the report to a file with --json-out {extra}"
            );
        }
        bail!("{extra}: eval reads one labelled file; evaluate each file in its own run");
    }
    let super::args::Loaded {
        classifier,
        model: model_dir,
        corpus: _corpus,
    } = super::args::load_classifier(&args.model, &args.corpus)?;
    if args.tune && model_dir.is_builtin() {
        bail!(
            "--tune writes decision.json into the model directory, and the built-in model \
             cannot be changed: write it out with `heihui model export DIR`, then pass --model DIR"
        );
    }
    let classifier = classifier.every_model();
    let decision_path = model_dir.join("decision.json");
    let examples =
        read_labeled_sheet_strict(&args.file, args.text.labelled(), args.sheet.as_deref())?;
    let bar = rows_bar(
        examples.len() as u64,
        "evaluating",
        Progress::from_quiet(args.quiet.quiet),
    );
    let started = std::time::Instant::now();
    let mut evaluation = evaluate(&classifier, &examples, args.batch_size, |n| {
        bar.inc(n as u64)
    })?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    if !args.quiet.quiet {
        eprintln!(
            "evaluated {} rows in {:.1} s ({:.0} rows/s, every system)",
            examples.len(),
            seconds,
            examples.len() as f64 / seconds.max(1e-9)
        );
    }
    let mut decision = classifier.decision().clone();
    if args.tune {
        let components = args
            .without_transformer
            .then_some(Components::WithoutTransformer);
        let (tuned, f1) = tune_with(&evaluation.tuning_rows(), components)?;
        if !args.quiet.quiet {
            eprintln!(
                "tuned on {}: combined macro-F1 {:.4} -> {:.4}; wrote {}",
                args.file.display(),
                evaluation.combined().macro_f1,
                f1,
                decision_path.display()
            );
        }
        tuned.save(&decision_path)?;
        evaluation = evaluation.redecide(&tuned);
        decision = tuned;
    }
    let report = serde_json::json!({
        "schema": json::SCHEMA,
        "file": args.file,
        "model": model_dir.describe(heihui::builtin::MODEL_NAME),
        "systems": evaluation.all,
        "by_length": by.contains(&Breakdown::Length).then(|| breakdown_json(&evaluation, Breakdown::Length)),
        "by_genre": by.contains(&Breakdown::Genre).then(|| breakdown_json(&evaluation, Breakdown::Genre)),
        "decision": json::decision(&decision),
    });
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if json_to_stdout {
        writeln!(out, "{}", serde_json::to_string(&report)?)?;
    } else {
        write!(out, "{}", text_report(&args.file, &evaluation, &by))?;
    }
    out.flush()?;
    if let Some(path) = json_out {
        heihui::fs::write_atomic(
            path,
            (serde_json::to_string_pretty(&report)? + "\n").as_bytes(),
        )
        .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    if let Some(path) = &args.report {
        let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
        let breakdowns = by
            .iter()
            .map(|b| match b {
                Breakdown::Length => ("length (characters)", evaluation.breakdown(*b)),
                Breakdown::Genre => ("genre", evaluation.breakdown(*b)),
            })
            .collect();
        let file = args.file.display().to_string();
        let model = model_dir.describe(heihui::builtin::MODEL_NAME);
        let page = heihui::eval::html::page(
            &evaluation,
            &heihui::eval::html::ReportInput {
                file: &file,
                model: &model,
                texts: &texts,
                breakdowns,
            },
        );
        heihui::fs::write_atomic(path, page.as_bytes())
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    if let Some(path) = &args.predictions {
        write_predictions(path, &examples, &evaluation)?;
    }
    if let Some(path) = &args.errors {
        write_errors(path, &decision, &examples, &evaluation)?;
    }
    let failed: Vec<String> = args
        .gate
        .iter()
        .filter_map(|g| g.check(&evaluation))
        .collect();
    for reason in &failed {
        eprintln!("heihui: {reason}");
    }
    Ok(exit_code(failed.len() as u64))
}

fn breakdown_json(e: &Evaluation, by: Breakdown) -> serde_json::Value {
    e.breakdown(by)
        .into_iter()
        .map(|(name, systems)| (name, serde_json::to_value(systems).expect("plain numbers")))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// The heading of a system in the report.
fn heading(system: System) -> &'static str {
    match system {
        System::Corpus => "corpus only",
        System::Ngram => "n-gram only",
        System::Transformer => "transformer only",
        System::Combined => "combined (what `label` uses)",
    }
}

fn text_report(file: &Path, e: &Evaluation, by: &[Breakdown]) -> String {
    let mut out = format!("{} ({} rows)\n\n", file.display(), e.rows.len());
    for system in System::ALL {
        if let Some(m) = e.all.get(system) {
            out.push_str(&format!("== {}\n{}", heading(system), m.table()));
        }
    }
    if let Some(c) = &e.combined().calibration {
        out.push_str(&format!(
            "\n== calibration of the combined confidence: expected calibration error {:.4}\n\
             {:<11} {:>6} {:>10} {:>9}\n",
            c.ece, "confidence", "rows", "mean conf", "accuracy"
        ));
        for b in c.bins.iter().filter(|b| b.rows > 0) {
            out.push_str(&format!(
                "{:<11} {:>6} {:>10.3} {:>9.3}\n",
                format!("{:.1}-{:.1}", b.from, b.to),
                b.rows,
                b.confidence,
                b.accuracy
            ));
        }
    }
    for (kind, title) in [
        (Breakdown::Length, "length (characters)"),
        (Breakdown::Genre, "genre"),
    ] {
        if !by.contains(&kind) {
            continue;
        }
        let groups = e.breakdown(kind);
        if groups.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n== macro-F1 by {title}\n{}",
            breakdown_table(&groups)
        ));
    }
    let f1 = |s: System| {
        e.all
            .get(s)
            .map_or("-".to_string(), |m| format!("{:.4}", m.macro_f1))
    };
    out.push_str(&format!(
        "\nsummary: macro-F1 corpus only {}, n-gram only {}, transformer only {}, combined {}\n",
        f1(System::Corpus),
        f1(System::Ngram),
        f1(System::Transformer),
        f1(System::Combined)
    ));
    out
}

fn breakdown_table(groups: &[(String, Systems)]) -> String {
    let mut out = format!(
        "{:<16} {:>6} {:>8} {:>8} {:>12} {:>9} {:>9}\n",
        "group", "rows", "corpus", "n-gram", "transformer", "combined", "accuracy"
    );
    let cell = |m: Option<&Metrics>| m.map_or("-".to_string(), |m| format!("{:.3}", m.macro_f1));
    for (name, s) in groups {
        out.push_str(&format!(
            "{:<16} {:>6} {:>8} {:>8} {:>12} {:>9} {:>9.3}\n",
            name,
            s.rows,
            cell(Some(&s.corpus)),
            cell(s.ngram.as_ref()),
            cell(Some(&s.transformer)),
            cell(Some(&s.combined)),
            s.combined.accuracy
        ));
    }
    out
}

fn write_errors(
    path: &Path,
    decision: &Decision,
    examples: &[Example],
    e: &Evaluation,
) -> Result<()> {
    let mut file = heihui::fs::AtomicFile::create(path)?;
    {
        let mut w = csv::Writer::from_writer(&mut file);
        // id, text and gold, the columns `label` adds (from the one table, with reason),
        // then each model's own probabilities.
        let added = columns(Explain::On);
        let mut header = vec!["id".to_string(), "text".into(), "gold".into()];
        header.extend(added.iter().map(|c| c.name()));
        for prefix in ["model_p", "ngram_p"] {
            header.extend(Label::ALL.iter().map(|l| format!("{prefix}_{}", l.name())));
        }
        w.write_record(&header)?;
        for (example, row) in examples.iter().zip(&e.rows) {
            if row.combined.label == row.gold {
                continue;
            }
            let v = &row.combined;
            let reason = reason(decision, &row.evidence, v, &row.hits, row.hit_count);
            let decided = Decided {
                verdict: v,
                hits: &row.hits,
                hit_count: row.hit_count,
                contacts: &row.contacts,
                reason: &reason,
            };
            let mut record = vec![
                example.id.clone(),
                example.text.clone(),
                row.gold.to_string(),
            ];
            record.extend(added.iter().map(|c| c.cell(&decided)));
            let model = v.model_probabilities.unwrap_or_default();
            record.extend(model.iter().map(|p| format!("{p:.4}")));
            match &v.ngram_probabilities {
                Some(n) => record.extend(n.iter().map(|p| format!("{p:.4}"))),
                None => record.extend(std::iter::repeat_n(String::new(), 3)),
            }
            w.write_record(&record)?;
        }
        w.flush()?;
    }
    file.commit()?;
    Ok(())
}

fn write_predictions(path: &Path, examples: &[Example], e: &Evaluation) -> Result<()> {
    let mut file = heihui::fs::AtomicFile::create(path)?;
    {
        let mut w = csv::Writer::from_writer(&mut file);
        let mut header = vec!["id", "gold"];
        header.extend(System::ALL.iter().map(|s| s.name()));
        header.push("confidence");
        w.write_record(&header)?;
        for (example, row) in examples.iter().zip(&e.rows) {
            let mut record = vec![example.id.clone(), row.gold.to_string()];
            record.extend(
                System::ALL
                    .iter()
                    .map(|&s| row.predicted(s).map_or(String::new(), |l| l.to_string())),
            );
            record.push(format!("{:.4}", row.combined.confidence));
            w.write_record(&record)?;
        }
        w.flush()?;
    }
    file.commit()?;
    Ok(())
}
