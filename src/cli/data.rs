//! `heihui data check`: the labelled data's own CI.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use heihui::{data, Label};

use super::args::{JsonArg, QuietArg, TextColumnArg};
use super::exit_code;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Check train.csv, dev.csv and test.csv (and blind.csv, the held-out rows, when present):
    /// labels, empty texts, repeated ids and texts, near duplicates across all splits; print
    /// counts, lengths and hard-negative and evasion shares. Exits 1 when anything is wrong.
    Check {
        /// The data directory
        #[arg(default_value = "corpus/labeled")]
        dir: PathBuf,
        #[command(flatten)]
        text: TextColumnArg,
        #[command(flatten)]
        json: JsonArg,
        #[command(flatten)]
        quiet: QuietArg,
    },
}

pub fn run(cmd: Command) -> Result<ExitCode> {
    let Command::Check {
        dir,
        text,
        json,
        quiet,
    } = cmd;
    let report = data::check_dir_column(&dir, text.labelled())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if json.json {
        writeln!(out, "{}", heihui::output::json::line(&report))?;
    } else {
        writeln!(
            out,
            "split\trows\t{}\tlen min/p10/median/p90/max\thard negatives\tevasions",
            Label::ALL.map(Label::name).join("\t")
        )?;
        for s in &report.splits {
            let l = &s.lengths;
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}/{}/{}/{}/{}\t{:.0}% of normal\t{:.0}% of debt_optimization",
                s.name,
                s.rows,
                s.per_label[0],
                s.per_label[1],
                s.per_label[2],
                l.min,
                l.p10,
                l.median,
                l.p90,
                l.max,
                s.hard_negative_share * 100.0,
                s.evasion_share * 100.0
            )?;
        }
        let genres: std::collections::BTreeSet<&String> = report
            .splits
            .iter()
            .flat_map(|s| s.per_genre.keys())
            .collect();
        if !genres.is_empty() {
            writeln!(
                out,
                "\ngenre\t{}",
                report
                    .splits
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join("\t")
            )?;
            for g in genres {
                let counts: Vec<String> = report
                    .splits
                    .iter()
                    .map(|s| s.per_genre.get(g).copied().unwrap_or(0).to_string())
                    .collect();
                writeln!(out, "{g}\t{}", counts.join("\t"))?;
            }
            let hard: Vec<String> = report.splits.iter().map(|s| s.hard.to_string()).collect();
            writeln!(out, "hard\t{}", hard.join("\t"))?;
        }
        for p in &report.problems {
            writeln!(out, "{}: {}", p.location, p.message)?;
        }
    }
    out.flush()?;
    if !quiet.quiet {
        eprintln!(
            "{}: {} rows, {} problems",
            dir.display(),
            report.splits.iter().map(|s| s.rows).sum::<usize>(),
            report.problems.len()
        );
    }
    Ok(exit_code(report.problems.len() as u64))
}
