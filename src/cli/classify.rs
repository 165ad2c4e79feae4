//! `heihui classify`: one text at a time, for a person at a terminal.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use heihui::classifier::Classification;
use heihui::decide::Decision;
use heihui::output::{fields, json, Decided, Explain};
use heihui::{Category, Label};

use super::args::{JsonArg, QuietArg};
use super::colour::Colour;
use super::{inputs, CorpusArg, ModelArg};

/// Classify texts and show why: the label, the probabilities as bars, and the text with each
/// phrase hit highlighted and named.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "JSON lines: one object per text: schema, text, the fields label adds (label, confidence, probabilities, needs_review, hits, contacts, reason), then model_probabilities, ngram_probabilities and contributions, each keyed by label. Hit and contact spans: start/end count UTF-8 bytes, start_char/end_char characters (Unicode scalar values, as Python's str indexes).\n\nExamples:\n  heihui classify '网贷逾期？专业停息挂账，加V详聊'\n  \
heihui classify --json < texts.txt"
)]
pub struct Args {
    /// Texts to classify; one per line on standard input when none are given
    texts: Vec<String>,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    quiet: QuietArg,
    /// Colour: auto (on a terminal, unless NO_COLOR is set or TERM is dumb), always or never
    #[arg(long, value_enum, default_value_t = Colour::Auto)]
    color: Colour,
    #[command(flatten)]
    model: ModelArg,
    #[command(flatten)]
    corpus: CorpusArg,
}

pub fn run(args: Args) -> Result<ExitCode> {
    // Every component's view is shown, the transformer's too where the decision does not use it.
    let classifier = super::args::load_classifier(&args.model, &args.corpus)?
        .classifier
        .every_model();
    let decision = classifier.decision().clone();
    let colour = args.color.for_stdout();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    inputs::for_each_text(&args.texts, |text| {
        let c = classifier
            .classify(&[text])?
            .pop()
            .expect("one result per text");
        if args.json.json {
            // The text, the fields `label` adds (from the one table), then what only
            // classify shows: each part's probabilities and contributions.
            let decided = Decided::from(&c);
            let mut line = serde_json::Map::new();
            line.insert("schema".into(), json::SCHEMA.into());
            line.insert("text".into(), text.into());
            for col in fields(Explain::On) {
                line.insert(col.name(), col.value(&decided));
            }
            line.insert(
                "model_probabilities".into(),
                c.verdict
                    .model_probabilities
                    .as_ref()
                    .map(json::by_label)
                    .into(),
            );
            line.insert(
                "ngram_probabilities".into(),
                c.verdict
                    .ngram_probabilities
                    .as_ref()
                    .map(json::by_label)
                    .into(),
            );
            line.insert(
                "contributions".into(),
                contributions(classifier.decision(), &c),
            );
            writeln!(out, "{}", serde_json::Value::Object(line))?;
        } else {
            write_human(&mut out, text, &c, &decision, colour)?;
        }
        Ok(())
    })?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// What each part added to each label's score, label-keyed.
fn contributions(decision: &Decision, c: &Classification) -> serde_json::Value {
    if c.reason == "empty" {
        return serde_json::Value::Null;
    }
    let parts = decision.contributions(&c.evidence);
    Label::ALL
        .iter()
        .map(|l| {
            let p = &parts[l.index()];
            let mut part = json::to_value(p);
            part["score"] = json::f32_value(p.total());
            (l.name().to_string(), part)
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

const RESET: &str = "\x1b[0m";

fn paint(colour: bool, code: &str, text: &str) -> String {
    if colour {
        format!("\x1b[{code}m{text}{RESET}")
    } else {
        text.to_string()
    }
}

fn label_colour(label: Label) -> &'static str {
    match label {
        Label::Normal => "32",
        Label::MaliciousComplaint => "33",
        Label::DebtOptimization => "31",
    }
}

fn category_colour(category: Category) -> &'static str {
    match category {
        Category::DebtOptimization => "1;31",
        Category::MaliciousComplaint => "1;33",
        Category::ContactLure => "1;35",
        Category::WarningContext => "1;32",
    }
}

fn write_human(
    out: &mut impl Write,
    text: &str,
    c: &Classification,
    decision: &Decision,
    colour: bool,
) -> std::io::Result<()> {
    let v = &c.verdict;
    let review = if v.needs_review {
        "  (needs review)"
    } else {
        ""
    };
    writeln!(
        out,
        "{}  {:.0}%{review}",
        paint(
            colour,
            &format!("1;{}", label_colour(v.label)),
            v.label.name()
        ),
        v.confidence * 100.0
    )?;
    for label in Label::ALL {
        let p = v.probabilities[label.index()];
        let width = (p * 20.0).round() as usize;
        let views: Vec<String> = [
            ("model", v.model_probabilities),
            ("n-gram", v.ngram_probabilities),
        ]
        .into_iter()
        .filter_map(|(name, p)| p.map(|p| format!("{name} {:.1}%", p[label.index()] * 100.0)))
        .collect();
        writeln!(
            out,
            "  {:<20} {}{} {:>5.1}%  ({})",
            label.name(),
            paint(colour, label_colour(label), &"█".repeat(width)),
            "·".repeat(20 - width.min(20)),
            p * 100.0,
            views.join(", ")
        )?;
    }
    if c.reason != "empty" && v.ngram_probabilities.is_some() && decision.stack.is_some() {
        let p = decision.contributions(&c.evidence)[v.label.index()];
        writeln!(
            out,
            "  score of {}: transformer {:+.2}, n-gram {:+.2}, hits {:+.2}, warnings {:+.2}, bias {:+.2}",
            v.label, p.transformer, p.ngram, p.hits, p.warning, p.bias
        )?;
    }
    // The text with hits marked: [hit] in colour on a terminal, 「hit」 otherwise.
    let mut marked = String::with_capacity(text.len() + 32);
    let mut at = 0;
    for hit in &c.hits {
        if hit.start < at || hit.end > text.len() {
            continue;
        }
        marked.push_str(&text[at..hit.start]);
        let piece = &text[hit.start..hit.end];
        if colour {
            marked.push_str(&paint(
                colour,
                &format!("4;{}", category_colour(hit.category)),
                piece,
            ));
        } else {
            marked.push_str(&format!("「{piece}」"));
        }
        at = hit.end;
    }
    marked.push_str(&text[at..]);
    writeln!(out, "  {marked}")?;
    for hit in &c.hits {
        writeln!(
            out,
            "    {} {} ({}, {:+}, {})",
            paint(colour, category_colour(hit.category), &hit.text),
            if hit.text == hit.phrase {
                String::new()
            } else {
                format!("= {}", hit.phrase)
            },
            hit.category,
            hit.weight,
            hit.kind.name()
        )?;
    }
    if c.hit_count > c.hits.len() {
        writeln!(
            out,
            "    ... and {} more hits ({} in all)",
            c.hit_count - c.hits.len(),
            c.hit_count
        )?;
    }
    if !c.contacts.is_empty() {
        writeln!(
            out,
            "    contacts: {}",
            c.contacts
                .iter()
                .map(|k| format!("{}:{} ({})", k.kind, k.value, &text[k.start..k.end]))
                .collect::<Vec<_>>()
                .join("; ")
        )?;
    }
    if c.hits.is_empty() && c.reason == "empty" {
        writeln!(out, "    (empty text)")?;
    }
    writeln!(out)
}
