//! `heihui label`: the main job. Label complaint files in batch, every row kept in order,
//! unreadable rows sent to a rejects file with the reason.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use heihui::input::Format;
use heihui::output::{
    Explain, FormulaGuard, LabelWriter, OutputSettings, RejectWriter, RunSummary,
};
use heihui::pipeline::{self, Outcome, PipelineSettings};
use heihui::Label;

use super::args::{load_classifier, JsonArg, OutputArg, QuietArg, TextColumnArg};
use super::progress::{LabelBar, Progress};
use super::{exit_code, CorpusArg, ModelArg};

/// Label CSV, TSV or JSON-lines files or workbooks: every row comes out with label, confidence,
/// probabilities, needs_review and the phrase hits; unreadable rows go to a rejects file.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Input: UTF-8 (with or without BOM), GB18030/GBK and UTF-16 (with or \
without BOM) are detected; workbooks (.xlsx, .xls, .ods) are known by their first bytes; LF, CRLF and a lone CR end lines; the delimiter is detected; the text column is found by name (text, content, 内容, \
投诉内容, 文本, message, ...) or named with --text-column.\n\n\
JSON lines: hit and contact spans give start/end in UTF-8 bytes and start_char/end_char in \
characters (Unicode scalar values, as Python's str indexes) of the original text.\n\n\
Exit codes: 0 every row labelled; 1 some rows rejected (see the rejects file); 2 set-up error.\n\n\
Examples:\n  heihui label examples/complaints.csv -o labelled.csv --excel\n  \
heihui label a.csv b.csv --explain > labelled.csv\n  \
cat lines.jsonl | heihui label - --format jsonl > labelled.jsonl   # one line out per line in"
)]
pub struct Args {
    /// Input files; `-` reads standard input
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
    #[command(flatten)]
    out: OutputArg,
    #[command(flatten)]
    text: TextColumnArg,
    /// The longest field (or JSON line) read; a row with a longer one is rejected whole
    /// (bytes as in the file: 512K, 64MiB, 1G)
    #[arg(long, value_name = "SIZE", default_value = "64MiB",
          value_parser = heihui::input::parse_size)]
    max_field_size: usize,
    /// Input and output format [default: each from its file's extension (.csv, .tsv,
    /// .jsonl or .json, .xlsx), a workbook input from its first bytes; output without one
    /// follows the input, CSV for a workbook]
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first]
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
    /// Preparation threads (normalise, match, tokenise) running beside inference
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Texts per forward pass
    #[arg(long, default_value_t = heihui::model::DEFAULT_BATCH_SIZE)]
    batch_size: usize,
    /// Add a `reason` column explaining each label in words
    #[arg(long)]
    explain: bool,
    /// The most phrase hits a row lists in `hits` and `reason`, the first in text order; a
    /// row with more says how many more, JSON lines give `hit_count`, and the label weighs
    /// every hit whatever this is
    #[arg(long, value_name = "N", default_value_t = heihui::classifier::DEFAULT_MAX_HITS)]
    max_hits_per_row: usize,
    /// Where unreadable rows go [default: beside the output, NAME.rejects.csv]
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// Write UTF-8 with a byte-order mark, so Excel opens Chinese text correctly (CSV and
    /// TSV only: JSON lines never get one)
    #[arg(long)]
    excel: bool,
    /// Write cells starting with = + - @ (or ＝ ＋ － ＠, or any of them after spaces) as they
    /// are (by default they get a ' prefix)
    #[arg(long)]
    no_formula_guard: bool,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    quiet: QuietArg,
    /// Run as a mapper (Spark RDD.pipe, Hadoop Streaming): every line but a blank one is
    /// answered, a bad one by an error line with its id and raw text; exit 0 unless set-up
    /// fails (2); no rejects file unless --rejects is given
    #[arg(long)]
    mapper: bool,
    #[command(flatten)]
    model: ModelArg,
    #[command(flatten)]
    corpus: CorpusArg,
}

/// Opens the rejects file on the first reject.
struct Rejects {
    path: PathBuf,
    writer: Option<RejectWriter>,
}

impl Rejects {
    fn write(&mut self, source: &str, reject: &heihui::input::Reject) -> Result<()> {
        if self.writer.is_none() {
            self.writer = Some(RejectWriter::create(&self.path)?);
        }
        self.writer
            .as_mut()
            .expect("just opened")
            .write(source, reject)?;
        Ok(())
    }
}

fn rejects_path(args: &Args) -> PathBuf {
    super::batch::rejects_path_of(
        args.rejects.as_deref(),
        args.out.output.as_deref(),
        &args.inputs,
    )
}

pub fn run(args: Args) -> Result<ExitCode> {
    let started = Instant::now();
    let rejects_file = rejects_path(&args);
    let written =
        super::batch::written_files("the output", args.out.output.as_deref(), &rejects_file);
    super::batch::check_written(&args.inputs, &written)?;
    // Opened before any work, so that a bad -o or --rejects stops the run at once.
    let output = args
        .out
        .output
        .as_deref()
        .map(heihui::fs::AtomicFile::create)
        .transpose()?;
    // The rejects file is made only at the first reject; its folder is checked now when
    // the user chose it or it sits beside -o (a default beside an input or in the working
    // folder is left alone: a clean run never needs it).
    if args.rejects.is_some() || args.out.output.is_some() {
        heihui::fs::check_writable(&rejects_path(&args))?;
    }
    let super::args::Loaded {
        mut classifier,
        model,
        corpus,
    } = load_classifier(&args.model, &args.corpus)?;
    classifier = classifier.with_max_hits(args.max_hits_per_row);
    // Open every input first, so a missing file or column stops the run before any output.
    let (specs, mut inputs) = super::batch::open_inputs(
        &args.inputs,
        args.format,
        args.text.text_column.as_deref(),
        args.max_field_size,
        args.sheet.as_deref(),
    )?;
    let first = &inputs[0];
    // `--format` names both sides and `--json` the output; without them the extension decides, so
    // `-o out.jsonl` writes JSON lines whatever the input was.
    let format = args
        .format
        .or(args.json.json.then_some(Format::Jsonl))
        .or_else(|| args.out.output.as_deref().and_then(Format::from_extension))
        .unwrap_or(match first.format() {
            // A workbook read without -o is written as CSV.
            Format::Xlsx => Format::Csv,
            format => format,
        });
    let settings = OutputSettings {
        format,
        // A byte-order mark is for spreadsheets; on a JSON line it breaks JSON parsers.
        excel_bom: args.excel && matches!(format, Format::Csv | Format::Tsv),
        // A workbook's cells are strings, never formulas: no guard is needed.
        formula_guard: if args.no_formula_guard || format == Format::Xlsx {
            FormulaGuard::Off
        } else {
            FormulaGuard::On
        },
        explain: if args.explain {
            Explain::On
        } else {
            Explain::Off
        },
        source_column: inputs.len() > 1,
    };
    let header: Vec<String> = if first.format() == Format::Jsonl {
        vec!["text".into()]
    } else {
        first.header().to_vec()
    };
    let sink: Box<dyn Write + Send> = match &output {
        Some(file) => Box::new(file.handle()?),
        None => Box::new(std::io::stdout()),
    };
    let out_name = args
        .out
        .output
        .as_ref()
        .map_or("<stdout>".into(), |p| p.display().to_string());
    let mut writer = LabelWriter::new(sink, &out_name, settings, &header)?;
    if format == Format::Jsonl {
        // Band keys beside the contacts, so a distributed engine can group near duplicates.
        let hasher =
            heihui::mining::minhash::MinHasher::new(heihui::mining::campaigns::DEFAULT_THRESHOLD);
        classifier = classifier.with_sketch(hasher.clone());
        writer = writer.with_lsh(hasher);
    }
    let write_rejects = !args.mapper || args.rejects.is_some();
    let mut errors = 0u64;
    let mut rejects = Rejects {
        path: rejects_path(&args),
        writer: None,
    };

    let mode = Progress::from_quiet(args.quiet.quiet);
    let mut bar = LabelBar::new(super::batch::total_bytes(&specs), mode);
    let bytes_done = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let pipeline_settings = PipelineSettings {
        threads: args.threads,
        batch_size: args.batch_size,
        bytes_done: Some(bytes_done.clone()),
        ..PipelineSettings::default()
    };
    let (mut rows_in, mut rows_out, mut per_label, mut review) = (0u64, 0u64, [0u64; 3], 0u64);
    let mut blank_lines = 0u64;
    let mut done_bytes = 0u64;
    let result = (|| -> Result<()> {
        for input in &mut inputs {
            let source = input.name().to_string();
            bytes_done.store(0, std::sync::atomic::Ordering::Relaxed);
            let text_field = input.text_column().to_string();
            pipeline::run(
                &classifier,
                input,
                &pipeline_settings,
                |outcome| -> Result<()> {
                    rows_in += 1;
                    let outcome = match outcome {
                        Outcome::Labeled(row, c) => match non_string_text(&row, &text_field) {
                            Some(reject) => Outcome::Rejected(reject),
                            None => Outcome::Labeled(row, c),
                        },
                        rejected => rejected,
                    };
                    match outcome {
                        Outcome::Labeled(row, c) => {
                            rows_out += 1;
                            per_label[c.verdict.label.index()] += 1;
                            review += u64::from(c.verdict.needs_review);
                            writer.write(&source, &row, &c)?;
                        }
                        Outcome::Rejected(r) => {
                            errors += 1;
                            writer.write_reject(&r)?;
                            if write_rejects {
                                // A failed rejects file loses rows, unlike a closed standard
                                // output: it is reported, never taken for `| head` closing.
                                rejects
                                    .write(&source, &r)
                                    .map_err(|e| anyhow::anyhow!("{e:#}"))?;
                            }
                        }
                    }
                    if rows_in % 64 == 0 {
                        let bytes = bytes_done.load(std::sync::atomic::Ordering::Relaxed);
                        bar.update(rows_in, done_bytes + bytes);
                    }
                    Ok(())
                },
            )?;
            blank_lines += input.blank_lines();
            done_bytes += input.bytes_read().get();
        }
        Ok(())
    })();
    bar.finish();
    // On an error the temporary files are dropped: the earlier output and rejects stay.
    result?;
    let rejected = rejects.writer.as_ref().map_or(0, RejectWriter::count);
    writer.set_summary(RunSummary {
        inputs: args.inputs.clone(),
        rows_in,
        per_label,
        rejected,
        rejects_file: (rejected > 0).then(|| rejects.path.display().to_string()),
        blank_lines,
        needs_review: review,
        model: model.describe(heihui::builtin::MODEL_NAME),
        corpus: corpus.describe("corpus"),
    });
    writer.finish()?;
    if let Some(file) = output {
        file.commit()?;
    }
    match rejects.writer.take() {
        Some(w) => w.finish()?,
        // Rejects left by an earlier run would pass for this run's.
        None if write_rejects => remove_stale(&rejects.path)?,
        None => {}
    }
    if !args.quiet.quiet {
        let seconds = started.elapsed().as_secs_f64();
        let labels: Vec<String> = Label::ALL
            .iter()
            .map(|l| format!("{} {}", l.name(), per_label[l.index()]))
            .collect();
        eprintln!(
            "heihui: {rows_in} rows in, {rows_out} labelled, {rejected} rejected{}{}; {}; {review} need review; {:.0} rows/s",
            if rejected > 0 { format!(" (see {})", rejects.path.display()) } else { String::new() },
            super::batch::blank_lines_note(blank_lines),
            labels.join(", "),
            rows_in as f64 / seconds.max(1e-9)
        );
    }
    if args.mapper && !args.quiet.quiet && errors > rejected {
        eprintln!("heihui: {errors} error lines written in place of bad input lines");
    }
    // A mapper answers every line and exits 0: its error lines are the rejects.
    Ok(exit_code(if args.mapper { 0 } else { rejected }))
}

/// Removes a rejects file left by an earlier run, when this run rejected nothing.
fn remove_stale(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("{}: cannot remove the earlier rejects", path.display()))
        }
        _ => Ok(()),
    }
}

/// A JSON line whose text field holds a number, an object or a list is not text: it gets an
/// error line rather than a label for its JSON spelling.
fn non_string_text(row: &heihui::input::Row, field: &str) -> Option<heihui::input::Reject> {
    let heihui::input::Fields::Json(map) = &row.fields else {
        return None;
    };
    let value = map.get(field)?;
    let kind = match value {
        serde_json::Value::String(_) | serde_json::Value::Null => return None,
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    };
    Some(heihui::input::Reject {
        line: row.line,
        reason: format!("field \"{field}\" is {kind}, not a string: quote the text"),
        raw: serde_json::Value::Object(map.clone()).to_string(),
    })
}
