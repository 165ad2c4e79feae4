//! `heihui corpus ...`: the maintainers' commands.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use heihui::corpus::stats;
use heihui::corpus::suggest::suggest;
use heihui::corpus::Severity;
use heihui::output::json;
use heihui::{data, Category, Corpus, Matcher, Scope};
use heihui::{Hmm, Label, Segmenter};

use super::args::{JsonArg, OutputArg, QuietArg, TextColumnArg};
use super::progress::{rows_bar, Progress};
use super::{exit_code, CorpusArg};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Add a phrase to its category file (kept sorted, written atomically)
    #[command(
        after_help = "Examples:\n  heihui corpus add 停息挂账 --category debt_optimization --weight 2 --note 'core sales term'\n  heihui corpus add 上岸 --category debt_optimization --weight 0.5 --word"
    )]
    Add {
        /// The phrase: 2 to 64 characters, not punctuation only; a number needs 5 digits
        phrase: String,
        /// Its category: debt_optimization, malicious_complaint, contact_lure or warning_context
        #[arg(long, short)]
        category: String,
        /// How much a hit counts [default: 1 for the trade's categories, 0.5 for contact_lure,
        /// -1 for warning_context]
        #[arg(long, short, allow_negative_numbers = true)]
        weight: Option<f32>,
        /// A note for maintainers
        #[arg(long, short, default_value = "")]
        note: String,
        /// Fire only where jieba's segmentation makes the phrase a whole word
        #[arg(long)]
        word: bool,
        #[command(flatten)]
        corpus: CorpusArg,
    },
    /// Remove a phrase (matched after normalisation, in any category)
    Remove {
        /// The phrase
        phrase: String,
        #[command(flatten)]
        corpus: CorpusArg,
    },
    /// List phrases: phrase, category, weight, scope, note
    List {
        /// Only this category
        #[arg(long, short)]
        category: Option<String>,
        #[command(flatten)]
        json: JsonArg,
        #[command(flatten)]
        corpus: CorpusArg,
    },
    /// Write the corpus built into heihui to DIR (a new or empty folder), to edit it and use
    /// it with --corpus DIR
    Export {
        /// The folder to write
        dir: PathBuf,
    },
    /// Check the corpus; exits 1 when there are errors, so CI can run it
    Lint {
        #[command(flatten)]
        json: JsonArg,
        #[command(flatten)]
        quiet: QuietArg,
        #[command(flatten)]
        corpus: CorpusArg,
    },
    /// Hits of every phrase on labelled data, by gold label, misfiring phrases first
    Stats {
        /// A labelled CSV file with text and label columns
        #[arg(long, value_name = "LABELLED.csv")]
        data: PathBuf,
        #[command(flatten)]
        text: TextColumnArg,
        #[command(flatten)]
        out: OutputArg,
        #[command(flatten)]
        json: JsonArg,
        /// Show only the first N phrases
        #[arg(long, value_name = "N")]
        top: Option<usize>,
        #[command(flatten)]
        quiet: QuietArg,
        #[command(flatten)]
        corpus: CorpusArg,
    },
    /// Candidate phrases: n-grams over-represented in a trade label's rows against normal
    /// rows, not yet covered by the corpus, ranked by weighted log-odds (Fightin' Words)
    #[command(
        after_help = "Each candidate comes with its rows per label, its z-score, three example \
row ids and the original (evasive) spellings seen. Review them by hand before `corpus add`; \
`corpus stats` then shows whether an added phrase misfires on normal rows.\n\nExamples:\n  \
heihui corpus suggest --data corpus/labeled/train.csv --category debt_optimization --top 30"
    )]
    Suggest {
        /// A labelled CSV file with text and label columns
        #[arg(long, value_name = "LABELLED.csv")]
        data: PathBuf,
        /// The category to suggest for: debt_optimization or malicious_complaint [default:
        /// both]
        #[arg(long, short)]
        category: Option<String>,
        /// Candidates per category
        #[arg(long, value_name = "N", default_value_t = 30)]
        top: usize,
        #[command(flatten)]
        text: TextColumnArg,
        #[command(flatten)]
        out: OutputArg,
        #[command(flatten)]
        json: JsonArg,
        #[command(flatten)]
        corpus: CorpusArg,
    },
}

pub fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Add {
            phrase,
            category,
            weight,
            note,
            word,
            corpus,
        } => {
            let category: Category = category.parse()?;
            let scope = if word {
                Scope::WholeWord
            } else {
                Scope::Anywhere
            };
            let added = Corpus::edit(&editable(&corpus)?, |corpus| {
                corpus.add(&phrase, category, weight, &note, scope).cloned()
            })?;
            eprintln!(
                "added `{}` ({}, weight {}) at {}:{}",
                added.text,
                added.category,
                added.weight,
                added.source.0.display(),
                added.source.1
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Remove { phrase, corpus } => {
            let removed = Corpus::edit(&editable(&corpus)?, |corpus| corpus.remove(&phrase))?;
            eprintln!(
                "removed `{}` from {}",
                removed.text,
                removed.source.0.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::List {
            category,
            json,
            corpus,
        } => {
            let category: Option<Category> = category.map(|c| c.parse()).transpose()?;
            let corpus_dir = corpus.resolve()?;
            let corpus = Corpus::load(&corpus_dir)?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            for p in corpus
                .phrases()
                .filter(|p| category.is_none_or(|c| c == p.category))
            {
                if json.json {
                    let line = PhraseLine {
                        phrase: &p.text,
                        category: p.category.name(),
                        weight: p.weight,
                        scope: if p.scope == Scope::WholeWord {
                            "word"
                        } else {
                            "anywhere"
                        },
                        note: &p.note,
                    };
                    writeln!(out, "{}", json::line(&line))?;
                    continue;
                }
                let scope = if p.scope == Scope::WholeWord {
                    "word"
                } else {
                    ""
                };
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    p.text, p.category, p.weight, scope, p.note
                )?;
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { dir } => {
            let n = heihui::builtin::export(heihui::builtin::CORPUS, &dir)?;
            eprintln!("wrote the built-in corpus ({n} files) to {}", dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Lint {
            json,
            quiet,
            corpus,
        } => {
            let dir = corpus.resolve()?;
            let findings = Corpus::lint(&dir)?;
            for finding in &findings {
                if json.json {
                    let line = serde_json::json!({
                        "schema": json::SCHEMA,
                        "severity": if finding.severity == Severity::Error { "error" } else { "warning" },
                        "file": finding.path,
                        "line": finding.line,
                        "message": finding.message,
                    });
                    println!("{line}");
                } else {
                    println!("{finding}");
                }
            }
            let errors = findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count();
            if !quiet.quiet {
                let phrases = Corpus::load(&dir).map(|c| c.phrases().count()).ok();
                eprintln!(
                    "{}: {} phrases, {} errors, {} warnings",
                    dir.describe("corpus"),
                    phrases.map_or("?".to_string(), |n| n.to_string()),
                    errors,
                    findings.len() - errors
                );
            }
            Ok(exit_code(errors as u64))
        }
        Command::Stats {
            data,
            text,
            out,
            json,
            top,
            quiet,
            corpus,
        } => {
            let corpus_dir = corpus.resolve()?;
            let corpus = Corpus::load(&corpus_dir)?;
            let matcher = Matcher::new(&corpus)?;
            let examples = data::read_labeled_column(&data, text.labelled())?;
            let bar = rows_bar(
                examples.len() as u64,
                "matching",
                Progress::from_quiet(quiet.quiet),
            );
            let mut rows = stats::phrase_stats(&corpus, &matcher, &examples, || bar.inc(1));
            bar.finish_and_clear();
            rows.truncate(top.unwrap_or(usize::MAX));
            super::write_output(out.output.as_deref(), |out| {
                if json.json {
                    for r in &rows {
                        writeln!(out, "{}", json::line(r))?;
                    }
                } else {
                    writeln!(
                    out,
                    "phrase\tcategory\tweight\tnormal\tmalicious_complaint\tdebt_optimization\tprecision"
                )?;
                    for r in &rows {
                        let precision =
                            r.precision.map_or("-".to_string(), |p| format!("{:.2}", p));
                        writeln!(
                            out,
                            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                            r.phrase,
                            r.category,
                            r.weight,
                            r.hits[0],
                            r.hits[1],
                            r.hits[2],
                            precision
                        )?;
                    }
                }
                Ok(())
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Suggest {
            data,
            category,
            top,
            text,
            out,
            json,
            corpus,
        } => {
            let labels = match category.as_deref() {
                None => vec![Label::DebtOptimization, Label::MaliciousComplaint],
                Some(c) => {
                    let category: Category = c.parse()?;
                    match category.supports() {
                        Some(label) => vec![label],
                        None => anyhow::bail!(
                            "--category {c}: suggestions are for debt_optimization or malicious_complaint"
                        ),
                    }
                }
            };
            let corpus_dir = corpus.resolve()?;
            let corpus = Corpus::load(&corpus_dir)?;
            let matcher = Matcher::new(&corpus)?;
            let segmenter = Segmenter::new(&corpus, Hmm::Off)?;
            let examples = data::read_labeled_column(&data, text.labelled())?;
            super::write_output(out.output.as_deref(), |out| {
                if !json.json {
                    writeln!(
                    out,
                    "phrase\tcategory\tz\tnormal\tmalicious_complaint\tdebt_optimization\texamples\tspellings"
                )?;
                }
                for label in labels {
                    for s in suggest(&examples, label, &matcher, &segmenter, top) {
                        if json.json {
                            writeln!(out, "{}", json::line(&s))?;
                        } else {
                            writeln!(
                                out,
                                "{}\t{}\t{:.2}\t{}\t{}\t{}\t{}\t{}",
                                s.phrase,
                                s.label,
                                s.z,
                                s.rows["normal"],
                                s.rows["malicious_complaint"],
                                s.rows["debt_optimization"],
                                s.examples.join(" "),
                                s.spellings.join(" | ")
                            )?;
                        }
                    }
                }
                Ok(())
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The corpus to edit: never the built-in one, which a run only reads.
fn editable(corpus: &CorpusArg) -> Result<super::Resolved> {
    let dir = corpus.resolve()?;
    if dir.is_builtin() {
        anyhow::bail!(
            "no corpus directory to edit (no ./corpus here, no --corpus or HEIHUI_CORPUS), and \
             the built-in corpus cannot be changed: write it out with `heihui corpus export DIR`, \
             then pass --corpus DIR"
        );
    }
    Ok(dir)
}

/// One phrase of `corpus list --json`, written through [`json::line`], so the f32 weight
/// prints as the f32 it is (`0.8`), not widened to f64 (`0.800000011920929`).
#[derive(serde::Serialize)]
struct PhraseLine<'a> {
    phrase: &'a str,
    category: &'a str,
    weight: f32,
    scope: &'a str,
    note: &'a str,
}
