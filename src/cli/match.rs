//! `heihui match`: find corpus phrases in texts and show where they are.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use heihui::output::json;
use heihui::{normalize, Corpus, Matcher};

use super::args::{JsonArg, QuietArg};
use super::{inputs, CorpusArg};

/// Find corpus phrases in texts, however they are disguised (symbols, homophones,
/// traditional characters, full-width letters, pinyin).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "JSON lines: one object per input: text, normalized, hits (phrase, category, weight, kind, start, end, start_char, end_char, text).\n\n\
Each hit shows the phrase, its category and weight, how it matched (exact, evasion, variant, \
pinyin), its span in the original text and that text. Spans: start/end count UTF-8 bytes, \
start_char/end_char characters (Unicode scalar values, as Python's str indexes).\n\n\
Examples:\n  heihui match '停*息 挂.账 找我，薇信 zwyh888'\n  heihui match --json < texts.txt"
)]
pub struct Args {
    /// Texts to search; one per line on standard input when none are given
    texts: Vec<String>,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    quiet: QuietArg,
    #[command(flatten)]
    corpus: CorpusArg,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let corpus_dir = args.corpus.resolve()?;
    let corpus = Corpus::load(&corpus_dir)?;
    let matcher = Matcher::new(&corpus)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut n = 0;
    inputs::for_each_text(&args.texts, |text| {
        n += 1;
        let normalized = normalize(text);
        let hits = matcher.find_in(text, &normalized);
        if args.json.json {
            let line = serde_json::json!({
                "schema": json::SCHEMA,
                "text": text,
                "normalized": normalized.as_str(),
                "hits": json::to_value(&hits),
            });
            writeln!(out, "{line}")?;
            return Ok(());
        }
        let shown: String = text.chars().take(60).collect();
        let more = if shown.len() < text.len() { "…" } else { "" };
        writeln!(out, "#{n} {shown}{more}")?;
        if hits.is_empty() {
            writeln!(out, "  (no hits)")?;
        }
        for hit in &hits {
            writeln!(
                out,
                "  {}\t{}\t{:+}\t{}\t{}..{}\t{}",
                hit.phrase,
                hit.category,
                hit.weight,
                hit.kind.name(),
                hit.start,
                hit.end,
                hit.text
            )?;
        }
        Ok(())
    })?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
