//! `heihui campaigns`: label every row once and find the waves of template complaints:
//! clusters of near-duplicate texts (MinHash with LSH banding, verified pairs).

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use heihui::mining::campaigns::{Campaign, CampaignReport, Campaigns, DEFAULT_THRESHOLD};
use heihui::Label;

use super::args::{load_classifier, JsonArg, OutputArg};
use super::batch::{self, InputArgs};
use super::exit_code;

/// Find template complaints filed in waves: clusters of two or more near-duplicate texts
/// (names, numbers, punctuation and sentence order may differ).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Output: CSV (one line per campaign) by default; JSON lines with \
--json or an -o ending in .jsonl: {\"campaign\":C,\"size\":N,\"labels\":{...},\"row_ids\":[...],\
\"example\":\"...\"} per line, biggest first.\n\n\
Exit codes: 0 every row labelled; 1 some rows rejected (see the rejects file); 2 set-up error.\n\n\
Examples:\n  heihui campaigns complaints.csv -o campaigns.csv\n  \
heihui campaigns complaints.csv --json --threshold 0.6"
)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    out: OutputArg,
    #[command(flatten)]
    json: JsonArg,
    /// Estimated Jaccard similarity (of character 3-shingles) two texts need to share a
    /// campaign
    #[arg(long, value_name = "J", default_value_t = DEFAULT_THRESHOLD)]
    threshold: f64,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let started = Instant::now();
    if !(args.threshold > 0.0 && args.threshold <= 1.0) {
        bail!(
            "--threshold {}: expected a similarity above 0 and at most 1",
            args.threshold
        );
    }
    let rejects = batch::rejects_path(&args.input, args.out.output.as_deref());
    let written = batch::written_files("the campaign file", args.out.output.as_deref(), &rejects);
    batch::check_written(&args.input.inputs, &written)?;
    let mut campaigns = Campaigns::new(args.threshold);
    let classifier = load_classifier(&args.input.model, &args.input.corpus)?
        .classifier
        .with_sketch(campaigns.hasher().clone());
    let (specs, mut inputs) = batch::open_inputs(
        &args.input.inputs,
        args.input.format,
        args.input.text.text_column.as_deref(),
        args.input.max_field_size,
        args.input.sheet.as_deref(),
    )?;
    let totals = batch::label_all(
        &args.input,
        &classifier,
        &specs,
        &mut inputs,
        &rejects,
        |row_ref, row, c| {
            campaigns.add(row_ref, c.verdict.label, row.text(), c.signature.as_ref());
            Ok(())
        },
    )?;
    let report = campaigns.finish();
    let json = batch::json_report(args.json.json, args.out.output.as_deref());
    super::write_output(args.out.output.as_deref(), |out| {
        if json {
            write_json(out, &report)
        } else {
            write_csv(out, &report)
        }
    })?;
    if !args.input.quiet.quiet {
        eprintln!(
            "{}",
            totals.summary(&rejects, started.elapsed().as_secs_f64())
        );
        let rows: usize = report.campaigns.iter().map(Campaign::size).sum();
        eprintln!(
            "heihui: {} campaigns holding {rows} rows; {} rows too short to compare",
            report.campaigns.len(),
            report.too_short
        );
    }
    Ok(exit_code(totals.rejected))
}

fn write_json(out: &mut dyn Write, report: &CampaignReport) -> Result<()> {
    for c in &report.campaigns {
        let line = serde_json::json!({
            "schema": heihui::output::json::SCHEMA,
            "campaign": c.campaign,
            "size": c.size(),
            "labels": c.labels.to_json(),
            "row_ids": c.row_ids,
            "example": c.example,
            "first": c.span.first,
            "last": c.span.last,
            "first_date": c.span.first_date,
            "last_date": c.span.last_date,
        });
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn write_csv(out: &mut dyn Write, report: &CampaignReport) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec!["campaign", "size"];
    header.extend(Label::ALL.iter().map(|l| l.name()));
    header.extend([
        "first_row",
        "last_row",
        "first_date",
        "last_date",
        "example",
        "row_ids",
    ]);
    w.write_record(&header)?;
    for c in &report.campaigns {
        let mut record = vec![c.campaign.to_string(), c.size().to_string()];
        record.extend(c.labels.0.iter().map(u64::to_string));
        record.extend([
            c.span.first.clone(),
            c.span.last.clone(),
            c.span.first_date.clone().unwrap_or_default(),
            c.span.last_date.clone().unwrap_or_default(),
            c.example.clone(),
            c.row_ids.join("; "),
        ]);
        let record: Vec<String> = record
            .iter()
            .map(|cell| heihui::output::guard_cell(cell))
            .collect();
        w.write_record(&record)?;
    }
    w.flush()?;
    Ok(())
}
