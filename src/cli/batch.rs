//! What the commands that label whole files share (`label`, `clues`, `campaigns`): the input
//! options, opening the inputs, running the pipeline over all of them with one progress bar,
//! rejects, and which columns give a row's id, date and channel.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use heihui::classifier::{Classification, Classifier};
use heihui::input::{Fields, Format, InputReader, InputSpec, Row};
use heihui::mining::RowRef;
use heihui::output::RejectWriter;
use heihui::pipeline::{self, Outcome, PipelineSettings};
use heihui::Label;

use super::args::{QuietArg, TextColumnArg};
use super::progress::{LabelBar, Progress};
use super::{CorpusArg, ModelArg};

/// Input options of the commands that read whole files, as `label` has them.
#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Input files; `-` reads standard input
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
    #[command(flatten)]
    pub text: TextColumnArg,
    /// Input format [default: from each file's extension; a workbook is known by its
    /// first bytes]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// The sheet of a workbook (.xlsx, .xls, .ods) to read [default: the first]
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Longest field read whole; a row with a longer one is one reject (512K, 64MiB, 1G)
    #[arg(long, value_name = "SIZE", default_value = "64MiB",
          value_parser = heihui::input::parse_size)]
    pub max_field_size: usize,
    /// Preparation threads (normalise, match, tokenise) running beside inference
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Texts per forward pass
    #[arg(long, default_value_t = heihui::model::DEFAULT_BATCH_SIZE)]
    pub batch_size: usize,
    /// Where unreadable rows go [default: beside the output, else beside the first input,
    /// NAME.rejects.csv]
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    #[command(flatten)]
    pub quiet: QuietArg,
    #[command(flatten)]
    pub model: ModelArg,
    #[command(flatten)]
    pub corpus: CorpusArg,
}

/// Opens every input before any work, so a missing file or column stops the run at once;
/// inputs must share their columns.
///
/// # Errors
/// An unreadable input, standard input named twice, or inputs with different columns.
pub fn open_inputs(
    inputs: &[String],
    format: Option<Format>,
    text_column: Option<&str>,
    max_field_bytes: usize,
    sheet: Option<&str>,
) -> Result<(Vec<InputSpec>, Vec<InputReader>)> {
    let specs: Vec<InputSpec> = inputs
        .iter()
        .map(|i| InputSpec {
            path: (i != "-").then(|| PathBuf::from(i)),
            format,
            text_column: text_column.map(str::to_string),
            max_field_bytes,
            sheet: sheet.map(str::to_string),
        })
        .collect();
    if specs.iter().filter(|s| s.path.is_none()).count() > 1 {
        bail!("standard input (-) can be read only once");
    }
    let readers = specs
        .iter()
        .map(InputReader::open)
        .collect::<heihui::Result<Vec<_>>>()?;
    let first = &readers[0];
    for other in &readers[1..] {
        if other.header() != first.header() {
            bail!(
                "{} has columns {:?} but {} has {:?}: label files with different columns separately",
                other.name(),
                other.header(),
                first.name(),
                first.header()
            );
        }
    }
    Ok((specs, readers))
}

/// The inputs' size in bytes, for a progress bar; `None` when one is standard input.
pub fn total_bytes(specs: &[InputSpec]) -> Option<u64> {
    specs
        .iter()
        .map(|s| {
            s.path
                .as_ref()
                .and_then(|p| std::fs::metadata(p).ok())
                .map(|m| m.len())
        })
        .sum()
}

/// Whether a report is written as JSON lines: `--json`, or an output named `.jsonl`/`.json`.
pub fn json_report(json: bool, output: Option<&Path>) -> bool {
    json || output.and_then(Format::from_extension) == Some(Format::Jsonl)
}

/// The rejects file: `--rejects`, else beside the output, else beside the first input.
pub fn rejects_path(args: &InputArgs, output: Option<&Path>) -> PathBuf {
    rejects_path_of(args.rejects.as_deref(), output, &args.inputs)
}

/// [`rejects_path`] from its parts, for `label`, whose input flags are its own.
pub fn rejects_path_of(
    rejects: Option<&Path>,
    output: Option<&Path>,
    inputs: &[String],
) -> PathBuf {
    if let Some(path) = rejects {
        return path.to_path_buf();
    }
    let beside = |p: &Path| {
        let stem = p
            .file_stem()
            .map_or("heihui".into(), |s| s.to_string_lossy().into_owned());
        p.with_file_name(format!("{stem}.rejects.csv"))
    };
    match (output, inputs.first()) {
        (Some(out), _) => beside(out),
        (None, Some(input)) if input != "-" => beside(Path::new(input)),
        _ => PathBuf::from("heihui-rejects.csv"),
    }
}

/// A file a command is about to write, for [`check_written`].
#[derive(Debug, Clone, Copy)]
pub struct Written<'a> {
    /// What it is, for the message ("the output").
    pub what: &'static str,
    /// Where it goes.
    pub path: &'a Path,
    /// The flag that moves it, named in the message ("-o").
    pub flag: &'static str,
}

/// Refuses, before any work, a file to be written that is an input (the same file under any
/// name: a symlink, a hard link, `./x.csv`), or two written files that are one: writing would
/// destroy the input or mix one file into another.
///
/// # Errors
/// The first clash, naming both files and the flag to change.
pub fn check_written(inputs: &[String], written: &[Written]) -> Result<()> {
    for input in inputs.iter().filter(|i| *i != "-") {
        for w in written {
            if heihui::fs::same_file(Path::new(input), w.path) {
                bail!(
                    "{} {} is the input {input}: it would overwrite the input; choose another {}",
                    w.what,
                    w.path.display(),
                    w.flag
                );
            }
        }
    }
    for (i, a) in written.iter().enumerate() {
        for b in &written[i + 1..] {
            if heihui::fs::same_file(a.path, b.path) {
                bail!(
                    "{} {} and {} {} are the same file: choose another {}",
                    a.what,
                    a.path.display(),
                    b.what,
                    b.path.display(),
                    b.flag
                );
            }
        }
    }
    Ok(())
}

/// The files a batch command writes: its output (`-o`, when given; `what` names it) and the
/// rejects file.
pub fn written_files<'a>(
    what: &'static str,
    output: Option<&'a Path>,
    rejects: &'a Path,
) -> Vec<Written<'a>> {
    let mut written: Vec<Written> = output
        .map(|path| Written {
            what,
            path,
            flag: "-o",
        })
        .into_iter()
        .collect();
    written.push(Written {
        what: "the rejects file",
        path: rejects,
        flag: "--rejects",
    });
    written
}

/// Which columns (or JSON fields) give a row's id, date and channel.
#[derive(Debug, Clone, Default)]
pub struct RefColumns {
    id: Option<String>,
    date: Option<String>,
    channel: Option<String>,
    header: Vec<String>,
    /// Prefix ids with the source when several inputs are read.
    several: bool,
}

const ID_COLUMNS: &[&str] = &[
    "id",
    "row_id",
    "uuid",
    "编号",
    "序号",
    "投诉编号",
    "工单号",
    "单号",
    "no",
];
const DATE_COLUMNS: &[&str] = &[
    "date",
    "time",
    "created_at",
    "created",
    "timestamp",
    "datetime",
    "日期",
    "时间",
    "投诉时间",
    "创建时间",
    "发布时间",
];
const CHANNEL_COLUMNS: &[&str] = &[
    "channel",
    "platform",
    "source_channel",
    "渠道",
    "来源",
    "平台",
    "投诉渠道",
];

impl RefColumns {
    /// Finds the columns in `reader`'s header (for JSON lines, fields are looked up by the
    /// same names in each row).
    pub fn find(reader: &InputReader, several: bool) -> Self {
        let header = reader.header().to_vec();
        let pick = |names: &[&str]| -> Option<String> {
            if header.is_empty() {
                return Some(names.join("\u{0}"));
            }
            names.iter().find_map(|n| {
                header
                    .iter()
                    .find(|h| h.trim().eq_ignore_ascii_case(n))
                    .cloned()
            })
        };
        RefColumns {
            id: pick(ID_COLUMNS),
            date: pick(DATE_COLUMNS),
            channel: pick(CHANNEL_COLUMNS),
            header,
            several,
        }
    }

    /// A row's value in `column`, trimmed; none when empty.
    fn field(&self, row: &Row, column: &Option<String>) -> Option<String> {
        let column = column.as_ref()?;
        let value = match &row.fields {
            Fields::Table(fields) => {
                let i = self.header.iter().position(|h| h == column)?;
                fields.get(i).cloned()
            }
            Fields::Json(map) => column.split('\u{0}').find_map(|name| match map.get(name)? {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            }),
        }?;
        let value = value.trim().to_string();
        (!value.is_empty()).then_some(value)
    }

    /// The row's id (the id column's value, else its line), date and channel.
    pub fn row_ref(&self, source: &str, row: &Row) -> RowRef {
        let id = self
            .field(row, &self.id)
            .unwrap_or_else(|| row.line.to_string());
        RowRef {
            id: if self.several {
                format!("{source}:{id}")
            } else {
                id
            },
            date: self.field(row, &self.date),
            channel: self.field(row, &self.channel),
        }
    }
}

/// What a run over all inputs counted.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    /// Records read.
    pub rows_in: u64,
    /// Records labelled.
    pub labelled: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Labelled rows per label.
    pub per_label: [u64; 3],
    /// Labelled rows whose text was empty.
    pub empty: u64,
    /// Blank lines (and a workbook's empty rows) skipped: not records, so not in `rows_in`.
    pub blank_lines: u64,
}

/// `, N blank lines skipped` for a summary line; nothing when none was.
pub fn blank_lines_note(blank_lines: u64) -> String {
    match blank_lines {
        0 => String::new(),
        1 => ", 1 blank line skipped".into(),
        n => format!(", {n} blank lines skipped"),
    }
}

impl Totals {
    /// `heihui: N rows in, ...` as `label` prints it.
    pub fn summary(&self, rejects: &Path, seconds: f64) -> String {
        let labels: Vec<String> = Label::ALL
            .iter()
            .map(|l| format!("{} {}", l.name(), self.per_label[l.index()]))
            .collect();
        format!(
            "heihui: {} rows in, {} labelled, {} rejected{}{}; {}; {} without text; {:.0} rows/s",
            self.rows_in,
            self.labelled,
            self.rejected,
            if self.rejected > 0 {
                format!(" (see {})", rejects.display())
            } else {
                String::new()
            },
            blank_lines_note(self.blank_lines),
            labels.join(", "),
            self.empty,
            self.rows_in as f64 / seconds.max(1e-9)
        )
    }
}

/// Labels every row of every input with one progress bar, sending unreadable rows to the
/// rejects file (opened on the first) and calling `each` with every labelled row.
///
/// # Errors
/// A pipeline failure, an unwritable rejects file, or the first error `each` returns.
pub fn label_all(
    args: &InputArgs,
    classifier: &Classifier,
    specs: &[InputSpec],
    inputs: &mut [InputReader],
    rejects: &Path,
    mut each: impl FnMut(&RowRef, &Row, &Classification) -> Result<()>,
) -> Result<Totals> {
    let mode = Progress::from_quiet(args.quiet.quiet);
    let mut bar = LabelBar::new(total_bytes(specs), mode);
    let bytes_done = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let settings = PipelineSettings {
        threads: args.threads,
        batch_size: args.batch_size,
        bytes_done: Some(bytes_done.clone()),
        ..PipelineSettings::default()
    };
    let several = inputs.len() > 1;
    let mut totals = Totals::default();
    let mut writer: Option<RejectWriter> = None;
    let mut done_bytes = 0u64;
    let result = (|| -> Result<()> {
        for input in inputs.iter_mut() {
            let source = input.name().to_string();
            let columns = RefColumns::find(input, several);
            bytes_done.store(0, std::sync::atomic::Ordering::Relaxed);
            pipeline::run(classifier, input, &settings, |outcome| -> Result<()> {
                totals.rows_in += 1;
                match outcome {
                    Outcome::Labeled(row, c) => {
                        totals.labelled += 1;
                        totals.per_label[c.verdict.label.index()] += 1;
                        totals.empty += u64::from(row.text().trim().is_empty());
                        each(&columns.row_ref(&source, &row), &row, &c)?;
                    }
                    Outcome::Rejected(r) => {
                        totals.rejected += 1;
                        if writer.is_none() {
                            writer = Some(RejectWriter::create(rejects)?);
                        }
                        writer.as_mut().expect("just opened").write(&source, &r)?;
                    }
                }
                if totals.rows_in % 64 == 0 {
                    let bytes = bytes_done.load(std::sync::atomic::Ordering::Relaxed);
                    bar.update(totals.rows_in, done_bytes + bytes);
                }
                Ok(())
            })?;
            totals.blank_lines += input.blank_lines();
            done_bytes += input.bytes_read().get();
        }
        Ok(())
    })();
    bar.finish();
    result?;
    if let Some(w) = writer {
        w.finish()?;
    }
    Ok(totals)
}
