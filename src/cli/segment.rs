//! `heihui segment`: normalise, then cut with jieba, corpus phrases kept whole.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use heihui::normalize::CharOffsets;
use heihui::{normalize, Corpus, Hmm, Segmenter};

use super::args::{JsonArg, QuietArg};
use super::{inputs, CorpusArg};

/// Cut texts into words with jieba, after normalisation, with corpus phrases kept whole.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "JSON lines: one object per input: text, normalized, tokens with their spans in normalized: start/end in UTF-8 bytes, start_char/end_char in characters (Unicode scalar values, as Python indexes).\n\nExamples:\n  heihui segment 专业停息挂账，加V详聊\n  heihui segment --json < texts.txt"
)]
pub struct Args {
    /// Texts to cut; one per line on standard input when none are given
    texts: Vec<String>,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    quiet: QuietArg,
    /// Do not let jieba guess words that are not in its dictionary
    #[arg(long)]
    no_hmm: bool,
    #[command(flatten)]
    corpus: CorpusArg,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let corpus_dir = args.corpus.resolve()?;
    let corpus = Corpus::load(&corpus_dir)?;
    let hmm = if args.no_hmm { Hmm::Off } else { Hmm::On };
    let segmenter = Segmenter::new(&corpus, hmm)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    inputs::for_each_text(&args.texts, |text| {
        let normalized = normalize(text);
        let tokens = segmenter.cut(normalized.as_str());
        if args.json.json {
            let mut offsets = CharOffsets::new(normalized.as_str());
            let tokens: Vec<_> = tokens
                .iter()
                .map(|t| {
                    let chars = offsets.span(t.start..t.end);
                    serde_json::json!({
                        "word": t.word,
                        "start": t.start,
                        "end": t.end,
                        "start_char": chars.start,
                        "end_char": chars.end,
                    })
                })
                .collect();
            let line = serde_json::json!({
                "schema": heihui::output::json::SCHEMA,
                "text": text,
                "normalized": normalized.as_str(),
                "tokens": tokens,
            });
            writeln!(out, "{line}")?;
        } else {
            let words: Vec<&str> = tokens.iter().map(|t| t.word).collect();
            writeln!(out, "{}", words.join(" / "))?;
        }
        Ok(())
    })?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
