//! One phrase file read and written faithfully: its lines, comments and order, each phrase
//! line parsed and checked (weight sign, letters, length).

use std::path::{Path, PathBuf};

use super::{Category, Finding, Phrase, Scope, Severity};
use crate::normalize::normalize;

/// One phrase line of a file together with the comment lines right above it.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) comments: Vec<String>,
    pub(super) phrase: Phrase,
}

/// One category file, kept whole so that edits rewrite it faithfully.
#[derive(Debug, Clone)]
pub(super) struct PhraseFile {
    pub(super) path: PathBuf,
    pub(super) category: Category,
    pub(super) header: Vec<String>,
    pub(super) entries: Vec<Entry>,
    pub(super) trailer: Vec<String>,
}

impl PhraseFile {
    /// Parses a file leniently: malformed lines become findings and are skipped.
    pub(super) fn parse(path: &Path, category: Category, text: &str) -> (Self, Vec<Finding>) {
        let mut findings = Vec::new();
        let mut file = PhraseFile {
            path: path.to_path_buf(),
            category,
            header: Vec::new(),
            entries: Vec::new(),
            trailer: Vec::new(),
        };
        let mut pending: Vec<String> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                pending.push(line.to_string());
                continue;
            }
            match parse_phrase_line(path, i + 1, category, line) {
                Ok(phrase) => {
                    let comments = std::mem::take(&mut pending);
                    if file.entries.is_empty() {
                        file.header = comments;
                        file.entries.push(Entry {
                            comments: Vec::new(),
                            phrase,
                        });
                    } else {
                        file.entries.push(Entry { comments, phrase });
                    }
                }
                Err(message) => findings.push(Finding {
                    severity: Severity::Error,
                    path: path.to_path_buf(),
                    line: i + 1,
                    message,
                }),
            }
        }
        if file.entries.is_empty() {
            file.header = pending;
        } else {
            file.trailer = pending;
        }
        (file, findings)
    }

    pub(super) fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.header {
            out.push_str(line);
            out.push('\n');
        }
        for entry in &self.entries {
            for line in &entry.comments {
                out.push_str(line);
                out.push('\n');
            }
            out.push_str(&render_phrase(&entry.phrase));
            out.push('\n');
        }
        for line in &self.trailer {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    pub(super) fn sort(&mut self) {
        self.entries
            .sort_by(|a, b| a.phrase.text.cmp(&b.phrase.text));
    }

    pub(super) fn is_sorted(&self) -> bool {
        self.entries
            .windows(2)
            .all(|w| w[0].phrase.text <= w[1].phrase.text)
    }
}

pub(super) fn render_phrase(p: &Phrase) -> String {
    let mut line = format!("{}\t{}\t{}", p.text, p.weight, p.note);
    if p.scope == Scope::WholeWord {
        line.push_str("\tword");
    }
    line
}

/// Parses `phrase<TAB>weight<TAB>note[<TAB>word]`.
pub(super) fn parse_phrase_line(
    path: &Path,
    line_no: usize,
    category: Category,
    line: &str,
) -> std::result::Result<Phrase, String> {
    let cols: Vec<&str> = line.split('\t').collect();
    if cols.len() < 2 {
        return Err("expected `phrase<TAB>weight<TAB>note`, found no tab".into());
    }
    if cols.len() > 4 {
        return Err(format!(
            "expected at most 4 columns (phrase, weight, note, word), found {}",
            cols.len()
        ));
    }
    let text = cols[0].trim().to_string();
    let weight: f32 = cols[1]
        .trim()
        .parse()
        .map_err(|_| format!("weight `{}` is not a number", cols[1].trim()))?;
    if !weight.is_finite() {
        return Err(format!(
            "weight `{}` is not a finite number",
            cols[1].trim()
        ));
    }
    let scope = match cols.get(3).map(|s| s.trim()) {
        None | Some("") => Scope::Anywhere,
        Some("word") => Scope::WholeWord,
        Some(other) => {
            return Err(format!(
                "fourth column must be `word` or empty, found `{other}`"
            ))
        }
    };
    let key = normalize(&text).as_str().to_string();
    if key.chars().count() < 2 {
        return Err(format!(
            "phrase `{text}` is shorter than two characters after normalisation"
        ));
    }
    if key.chars().count() > MAX_PHRASE_CHARS {
        return Err(format!(
            "phrase `{}…` is {} characters long, more than {MAX_PHRASE_CHARS}: a phrase is a \
             term or short expression, not a sentence",
            text.chars().take(16).collect::<String>(),
            key.chars().count()
        ));
    }
    Ok(Phrase {
        text,
        key,
        category,
        weight,
        note: cols.get(2).map_or("", |s| s.trim()).to_string(),
        scope,
        source: (path.to_path_buf(), line_no),
    })
}

/// The longest phrase, in characters after normalisation. The longest shipped phrase has 12;
/// a sentence-length phrase never matches disguised text and slows every start-up (a
/// 10,000-character phrase made each command take 49 s to start).
pub const MAX_PHRASE_CHARS: usize = 64;

/// The fewest digits in a phrase of digits only: service hotlines such as 12378 (the
/// regulator's, shipped in the corpus) and 12315 have five, while shorter numbers are dates,
/// amounts and months (`12` hits twice in 2012年12月).
pub const MIN_NUMBER_DIGITS: usize = 5;

/// Refuses a phrase with no letters: punctuation only, or digits (and punctuation) that are
/// not a number of at least [`MIN_NUMBER_DIGITS`] digits.
pub(super) fn check_letters(phrase: &Phrase) -> std::result::Result<(), String> {
    let key = &phrase.key;
    if key.chars().any(char::is_alphabetic) {
        return Ok(());
    }
    if key.chars().all(|c| c.is_ascii_digit()) && key.len() >= MIN_NUMBER_DIGITS {
        return Ok(());
    }
    if key.chars().any(|c| c.is_ascii_digit()) {
        Err(format!(
            "phrase `{}` is digits or punctuation only: it would fire inside dates, amounts \
             and phone numbers (a number needs at least {MIN_NUMBER_DIGITS} digits, like a \
             hotline)",
            phrase.text
        ))
    } else {
        Err(format!(
            "phrase `{}` is punctuation only: it would fire on ordinary punctuation",
            phrase.text
        ))
    }
}

pub(super) fn check_weight(category: Category, weight: f32) -> std::result::Result<(), String> {
    match (category.negative(), weight) {
        (true, w) if w >= 0.0 => Err(format!(
            "weight {w} must be negative in {category}: these phrases count against a trade label"
        )),
        (false, w) if w <= 0.0 => Err(format!(
            "weight {w} must be positive in {category}; negative evidence belongs in warning_context"
        )),
        _ => Ok(()),
    }
}
