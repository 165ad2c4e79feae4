//! Phrase hit-frequency statistics over labelled data (`heihui corpus stats`): for each
//! phrase, how many rows of each gold label it fires on and its precision for the label its
//! category stands for, misfiring phrases first, so maintainers see what to fix.

use std::collections::HashMap;

use crate::corpus::{Category, Corpus};
use crate::data::Example;
use crate::labels::Label;
use crate::matcher::Matcher;

/// How one phrase fares on labelled data.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PhraseStats {
    /// The phrase as written in the corpus.
    pub phrase: String,
    /// Its category.
    pub category: Category,
    /// Its weight.
    pub weight: f32,
    /// Rows it fired on, per gold label in [`Label::ALL`] order (a row counts once;
    /// label-keyed in JSON).
    #[serde(serialize_with = "crate::labels::by_label")]
    pub hits: [usize; 3],
    /// Share of its hits on rows of the label its category stands for (normal for warning
    /// context); `None` when it never fired.
    pub precision: Option<f64>,
}

impl PhraseStats {
    /// Rows it fired on.
    pub fn total(&self) -> usize {
        self.hits.iter().sum()
    }

    /// The label a hit of this phrase should come from.
    pub fn intended(&self) -> Label {
        self.category.supports().unwrap_or(Label::Normal)
    }
}

/// Counts every phrase's hits on `examples`. Phrases that fire on the wrong label most often
/// (lowest precision, then most misfires) come first; phrases that never fired come last.
/// `on_row` is called after each example, for progress reporting.
pub fn phrase_stats(
    corpus: &Corpus,
    matcher: &Matcher,
    examples: &[Example],
    mut on_row: impl FnMut(),
) -> Vec<PhraseStats> {
    let mut stats: Vec<PhraseStats> = corpus
        .phrases()
        .map(|p| PhraseStats {
            phrase: p.text.clone(),
            category: p.category,
            weight: p.weight,
            hits: [0; 3],
            precision: None,
        })
        .collect();
    let index: HashMap<&str, usize> = corpus
        .phrases()
        .enumerate()
        .map(|(i, p)| (p.text.as_str(), i))
        .collect();
    let mut fired: Vec<usize> = Vec::new();
    for example in examples {
        fired.clear();
        fired.extend(
            matcher
                .find(&example.text)
                .iter()
                .filter_map(|h| index.get(h.phrase.as_str()).copied()),
        );
        fired.sort_unstable();
        fired.dedup();
        for &i in &fired {
            stats[i].hits[example.label.index()] += 1;
        }
        on_row();
    }
    for s in &mut stats {
        let total = s.total();
        if total > 0 {
            s.precision = Some(s.hits[s.intended().index()] as f64 / total as f64);
        }
    }
    stats.sort_by(|a, b| {
        let misfires = |s: &PhraseStats| s.total() - s.hits[s.intended().index()];
        b.precision
            .is_some()
            .cmp(&a.precision.is_some())
            .then(
                a.precision
                    .unwrap_or(1.0)
                    .total_cmp(&b.precision.unwrap_or(1.0)),
            )
            .then(misfires(b).cmp(&misfires(a)))
            .then(a.phrase.cmp(&b.phrase))
    });
    stats
}
