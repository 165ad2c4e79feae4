//! `corpus lint`: every problem of the corpus files at once, errors and warnings.

use std::collections::HashMap;
use std::path::Path;

use super::file::{check_letters, check_weight};
use super::{Corpus, Finding, Phrase, Severity};
use crate::error::Result;

impl Corpus {
    /// Checks the corpus: malformed lines (a phrase over [`MAX_PHRASE_CHARS`] among them),
    /// unsorted files, duplicates after normalisation, weights of the wrong sign, phrases of
    /// digits or punctuation only, duplicate variant lines, phrases shadowed by a longer phrase of another category,
    /// and variants that no phrase uses. Sorted by file and line.
    pub fn lint(dir: &Path) -> Result<Vec<Finding>> {
        let corpus = Self::load_lenient(dir)?;
        let mut findings = corpus.findings.clone();
        for file in &corpus.files {
            if !file.is_sorted() {
                findings.push(Finding {
                    severity: Severity::Error,
                    path: file.path.clone(),
                    line: 0,
                    message: "phrases are not sorted; `heihui corpus add` keeps them sorted".into(),
                });
            }
        }
        let mut by_key: HashMap<&str, &Phrase> = HashMap::new();
        for phrase in corpus.phrases() {
            if let Some(message) = check_weight(phrase.category, phrase.weight).err() {
                findings.push(finding_at(phrase, Severity::Error, message));
            }
            if let Some(message) = check_letters(phrase).err() {
                findings.push(finding_at(phrase, Severity::Error, message));
            }
            if let Some(first) = by_key.get(phrase.key.as_str()) {
                findings.push(finding_at(
                    phrase,
                    Severity::Error,
                    format!(
                        "`{}` duplicates `{}` at {}:{} after normalisation",
                        phrase.text,
                        first.text,
                        first.source.0.display(),
                        first.source.1
                    ),
                ));
            } else {
                by_key.insert(&phrase.key, phrase);
            }
        }
        findings.extend(shadowed(&corpus));
        let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
        for variant in corpus.variants.entries() {
            let key = (variant.variant.as_str(), variant.canonical.as_str());
            if let Some(first) = seen.get(&key) {
                findings.push(Finding {
                    severity: Severity::Error,
                    path: corpus.variants.path().to_path_buf(),
                    line: variant.line,
                    message: format!(
                        "`{}` -> `{}` duplicates line {first} after normalisation; delete one",
                        variant.variant, variant.canonical
                    ),
                });
            } else {
                seen.insert(key, variant.line);
            }
        }
        for variant in corpus.variants.entries() {
            if !corpus.phrases().any(|p| p.key.contains(&variant.canonical)) {
                findings.push(Finding {
                    severity: Severity::Error,
                    path: corpus.variants.path().to_path_buf(),
                    line: variant.line,
                    message: format!(
                        "unknown variant: no phrase contains `{}`, so `{}` never matches",
                        variant.canonical, variant.variant
                    ),
                });
            }
        }
        findings.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        Ok(findings)
    }
}

/// Phrases that never fire on their own because a longer phrase of another category contains
/// them and leftmost-longest matching prefers the longer one.
fn shadowed(corpus: &Corpus) -> Vec<Finding> {
    let phrases: Vec<&Phrase> = corpus.phrases().collect();
    let automaton = aho_corasick::AhoCorasick::new(phrases.iter().map(|p| p.key.as_str()))
        .expect("phrase keys build an automaton");
    let mut findings = Vec::new();
    for longer in &phrases {
        for found in automaton.find_overlapping_iter(longer.key.as_str()) {
            let shorter = phrases[found.pattern().as_usize()];
            if shorter.key.len() < longer.key.len() && shorter.category != longer.category {
                findings.push(finding_at(
                    shorter,
                    Severity::Warning,
                    format!(
                        "`{}` ({}) is shadowed by the longer `{}` ({}) wherever that occurs",
                        shorter.text, shorter.category, longer.text, longer.category
                    ),
                ));
            }
        }
    }
    findings
}

fn finding_at(phrase: &Phrase, severity: Severity, message: String) -> Finding {
    Finding {
        severity,
        path: phrase.source.0.clone(),
        line: phrase.source.1,
        message,
    }
}
