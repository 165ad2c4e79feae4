//! `heihui clues`: label every row once, then tie the rows together by their contacts: one
//! entry per contact and the linked groups (an agency's footprint).

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use heihui::mining::links::{ContactSummary, Group, LinkReport, Links};
use heihui::mining::Span;
use heihui::output::json::SCHEMA;
use heihui::Label;

use super::args::{load_classifier, JsonArg, OutputArg};
use super::batch::{self, InputArgs};
use super::exit_code;

/// Find the contacts (phones, WeChat and QQ accounts, links) that recur across rows, and the
/// groups of rows they link.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Output: CSV (one line per contact, with its group) by default; \
JSON lines with --json or an -o ending in .jsonl: one {\"type\":\"contact\",...} line per \
contact, then one {\"type\":\"group\",...} line per group. Masked numbers and hotlines are \
never clues.\n\n\
Exit codes: 0 every row labelled; 1 some rows rejected (see the rejects file); 2 set-up error.\n\n\
Examples:\n  heihui clues complaints.csv ads.csv -o clues.csv\n  \
heihui clues chats.jsonl --json --min-rows 2 > clues.jsonl"
)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    out: OutputArg,
    #[command(flatten)]
    json: JsonArg,
    /// Leave out contacts and groups seen in fewer rows
    #[arg(long, value_name = "N", default_value_t = 1)]
    min_rows: u64,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let started = Instant::now();
    let rejects = batch::rejects_path(&args.input, args.out.output.as_deref());
    let written = batch::written_files("the clue file", args.out.output.as_deref(), &rejects);
    batch::check_written(&args.input.inputs, &written)?;
    let classifier = load_classifier(&args.input.model, &args.input.corpus)?.classifier;
    let (specs, mut inputs) = batch::open_inputs(
        &args.input.inputs,
        args.input.format,
        args.input.text.text_column.as_deref(),
        args.input.max_field_size,
        args.input.sheet.as_deref(),
    )?;
    let mut links = Links::new();
    let totals = batch::label_all(
        &args.input,
        &classifier,
        &specs,
        &mut inputs,
        &rejects,
        |row_ref, row, c| {
            links.add(row_ref, c.verdict.label, row.text(), &c.contacts);
            Ok(())
        },
    )?;
    let report = links.finish(args.min_rows);
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
        eprintln!(
            "heihui: {} contacts in {} rows, {} linked groups; {} rows without contacts",
            report.contacts.len(),
            report.rows_with_contacts,
            report.groups.len(),
            report.rows_without_contacts
        );
    }
    Ok(exit_code(totals.rejected))
}

fn span_json(span: &Span) -> serde_json::Value {
    serde_json::json!({
        "first": span.first,
        "last": span.last,
        "first_date": span.first_date,
        "last_date": span.last_date,
    })
}

fn contact_json(c: &ContactSummary) -> serde_json::Value {
    let mut v = serde_json::json!({
        "schema": SCHEMA,
        "type": "contact",
        "kind": c.kind,
        "value": c.value,
        "rows": c.rows,
        "labels": c.labels.to_json(),
        "group": c.group,
        "row_ids": c.row_ids,
    });
    let map = v.as_object_mut().expect("an object");
    map.extend(span_json(&c.span).as_object().cloned().unwrap_or_default());
    map.insert("channels".into(), c.channels.clone().into());
    map.insert(
        "examples".into(),
        c.examples
            .iter()
            .map(|e| serde_json::json!({"row": e.id, "text": e.text}))
            .collect(),
    );
    v
}

fn group_json(g: &Group) -> serde_json::Value {
    let mut v = serde_json::json!({
        "schema": SCHEMA,
        "type": "group",
        "group": g.group,
        "rows": g.row_ids.len(),
        "contacts": g.contacts.iter().map(|(k, v)| serde_json::json!({"kind": k, "value": v})).collect::<Vec<_>>(),
        "labels": g.labels.to_json(),
        "row_ids": g.row_ids,
    });
    let map = v.as_object_mut().expect("an object");
    map.extend(span_json(&g.span).as_object().cloned().unwrap_or_default());
    v
}

fn write_json(out: &mut dyn Write, report: &LinkReport) -> Result<()> {
    for c in &report.contacts {
        writeln!(out, "{}", contact_json(c))?;
    }
    for g in &report.groups {
        writeln!(out, "{}", group_json(g))?;
    }
    Ok(())
}

/// One line per contact, with its group's size beside its own counts.
fn write_csv(out: &mut dyn Write, report: &LinkReport) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec!["group", "group_rows", "kind", "value", "rows"];
    let label_names: Vec<&str> = Label::ALL.iter().map(|l| l.name()).collect();
    header.extend(&label_names);
    header.extend([
        "first_row",
        "last_row",
        "first_date",
        "last_date",
        "channels",
        "examples",
        "row_ids",
    ]);
    w.write_record(&header)?;
    let group_rows: std::collections::HashMap<usize, usize> = report
        .groups
        .iter()
        .map(|g| (g.group, g.row_ids.len()))
        .collect();
    for c in &report.contacts {
        let mut record = vec![
            c.group.to_string(),
            group_rows.get(&c.group).copied().unwrap_or(0).to_string(),
            c.kind.name().to_string(),
            c.value.clone(),
            c.rows.to_string(),
        ];
        record.extend(c.labels.0.iter().map(u64::to_string));
        record.extend([
            c.span.first.clone(),
            c.span.last.clone(),
            c.span.first_date.clone().unwrap_or_default(),
            c.span.last_date.clone().unwrap_or_default(),
            c.channels.join("; "),
            c.examples
                .iter()
                .map(|e| format!("{}: {}", e.id, e.text))
                .collect::<Vec<_>>()
                .join(" | "),
            c.row_ids.join("; "),
        ]);
        // Cells come from user data: guard them as label does.
        let record: Vec<String> = record
            .iter()
            .map(|cell| heihui::output::guard_cell(cell))
            .collect();
        w.write_record(&record)?;
    }
    w.flush()?;
    Ok(())
}
