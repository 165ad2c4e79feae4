//! Evaluation: the systems side by side on labelled rows (corpus only, the n-gram model only,
//! the transformer only, and the combined decision that `label` uses), through the same
//! [`Classifier`] path as `label`, with breakdowns by length band and genre, calibration, and
//! the gates CI uses to fail on regressions.

pub mod gate;
pub mod html;
pub mod metrics;
pub mod tune;

use serde::Serialize;

use crate::classifier::Classifier;
use crate::clues::Contact;
use crate::data::Example;
use crate::decide::{corpus_only, Decision, Evidence, Verdict};
use crate::error::Result;
use crate::labels::Label;
use crate::matcher::Hit;
use crate::model::argmax;

pub use gate::{Gate, GateMetric, Measure, Measured, System};
pub use metrics::{Calibration, LabelScores, Metrics, ReliabilityBin};

/// What each system said about one labelled row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowOutcome {
    /// The gold label.
    pub gold: Label,
    /// The corpus-only system's label.
    pub corpus_only: Label,
    /// The transformer's label (argmax of its probabilities).
    pub model_only: Label,
    /// The n-gram model's label, where there is one.
    pub ngram_only: Option<Label>,
    /// The combined decision that labelling uses.
    pub combined: Verdict,
    /// What the decision rested on.
    pub evidence: Evidence,
    /// The phrase hits, as many as the classifier lists.
    pub hits: Vec<Hit>,
    /// How many hits the text had, listed or not.
    pub hit_count: usize,
    /// The contacts found (for the error list; not in the report).
    #[serde(skip)]
    pub contacts: Vec<Contact>,
    /// The text's length in characters.
    pub chars: usize,
    /// The row's genre, where the file has a `genre` column.
    pub genre: Option<String>,
}

impl RowOutcome {
    /// The label `system` gave; `None` for a system that was not run.
    pub fn predicted(&self, system: System) -> Option<Label> {
        match system {
            System::Corpus => Some(self.corpus_only),
            System::Ngram => self.ngram_only,
            System::Transformer => Some(self.model_only),
            System::Combined => Some(self.combined.label),
        }
    }
}

/// The metrics of every system on one set of rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Systems {
    /// Rows measured.
    pub rows: usize,
    /// Corpus phrases alone.
    pub corpus: Metrics,
    /// The n-gram model alone, where the model directory has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ngram: Option<Metrics>,
    /// The transformer alone.
    pub transformer: Metrics,
    /// The combined decision, with its calibration.
    pub combined: Metrics,
}

impl Systems {
    /// The metrics of `rows`.
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a RowOutcome> + Clone) -> Self {
        let metrics = |system: System| {
            Metrics::from_pairs(
                rows.clone()
                    .into_iter()
                    .filter_map(|r| r.predicted(system).map(|p| (r.gold, p))),
            )
        };
        let count = rows.clone().into_iter().count();
        let has_ngram = count > 0 && rows.clone().into_iter().all(|r| r.ngram_only.is_some());
        Systems {
            rows: count,
            corpus: metrics(System::Corpus),
            ngram: has_ngram.then(|| metrics(System::Ngram)),
            transformer: metrics(System::Transformer),
            combined: metrics(System::Combined).with_calibration(
                rows.clone()
                    .into_iter()
                    .map(|r| (r.combined.confidence, r.combined.label == r.gold)),
            ),
        }
    }

    /// The metrics of one system; `None` when it was not run.
    pub fn get(&self, system: System) -> Option<&Metrics> {
        match system {
            System::Corpus => Some(&self.corpus),
            System::Ngram => self.ngram.as_ref(),
            System::Transformer => Some(&self.transformer),
            System::Combined => Some(&self.combined),
        }
    }
}

impl Measured for Systems {
    fn value(&self, measure: &Measure) -> Option<f64> {
        self.get(measure.system)?.value(&measure.metric)
    }
}

/// How a breakdown groups rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakdown {
    /// By length in characters: under 60, 60 to 199, 200 and more.
    Length,
    /// By the `genre` column.
    Genre,
}

/// The length bands of [`Breakdown::Length`], as (name, lowest, highest + 1) in characters.
pub const LENGTH_BANDS: [(&str, usize, usize); 3] = [
    ("<60", 0, 60),
    ("60-199", 60, 200),
    ("200+", 200, usize::MAX),
];

/// The systems side by side on one data set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Every system on every row.
    #[serde(flatten)]
    pub all: Systems,
    /// Per row, in input order.
    #[serde(skip)]
    pub rows: Vec<RowOutcome>,
}

impl Evaluation {
    /// An evaluation of already decided rows.
    pub fn of_rows(rows: Vec<RowOutcome>) -> Self {
        Evaluation {
            all: Systems::of(&rows),
            rows,
        }
    }

    /// The metrics of the combined decision.
    pub fn combined(&self) -> &Metrics {
        &self.all.combined
    }

    /// The same rows decided again with other decision parameters; the models and the corpus
    /// are not run again (their outputs do not depend on the decision).
    pub fn redecide(&self, decision: &Decision) -> Evaluation {
        let rows = self
            .rows
            .iter()
            .map(|r| RowOutcome {
                combined: decision.decide(&r.evidence),
                ..r.clone()
            })
            .collect();
        Evaluation::of_rows(rows)
    }

    /// The rows as the decision tuner wants them: evidence and gold label.
    pub fn tuning_rows(&self) -> Vec<(Evidence, Label)> {
        self.rows
            .iter()
            .map(|r| (r.evidence.clone(), r.gold))
            .collect()
    }

    /// The systems on each group of rows, groups in a fixed order (length bands as listed,
    /// genres by name); empty when grouping by genre and no row has one.
    pub fn breakdown(&self, by: Breakdown) -> Vec<(String, Systems)> {
        match by {
            Breakdown::Length => LENGTH_BANDS
                .iter()
                .map(|&(name, lo, hi)| {
                    let rows: Vec<&RowOutcome> = self
                        .rows
                        .iter()
                        .filter(|r| (lo..hi).contains(&r.chars))
                        .collect();
                    (name.to_string(), Systems::of(rows.iter().copied()))
                })
                .collect(),
            Breakdown::Genre => {
                let mut genres: Vec<&str> = self
                    .rows
                    .iter()
                    .filter_map(|r| r.genre.as_deref())
                    .collect();
                genres.sort_unstable();
                genres.dedup();
                genres
                    .into_iter()
                    .map(|g| {
                        let rows: Vec<&RowOutcome> = self
                            .rows
                            .iter()
                            .filter(|r| r.genre.as_deref() == Some(g))
                            .collect();
                        (g.to_string(), Systems::of(rows.iter().copied()))
                    })
                    .collect()
            }
        }
    }
}

impl Measured for Evaluation {
    fn value(&self, measure: &Measure) -> Option<f64> {
        self.all.value(measure)
    }
}

/// Runs every system over `examples` through `classifier`'s one prepare -> infer -> decide
/// path, so each row gets exactly the label `heihui label` would write; `on_rows` is told how
/// many rows each batch finished, for progress.
///
/// # Errors
/// A model failure.
pub fn evaluate(
    classifier: &Classifier,
    examples: &[Example],
    batch_size: usize,
    mut on_rows: impl FnMut(usize),
) -> Result<Evaluation> {
    use rayon::prelude::*;
    assert!(
        classifier.runs_every_model(),
        "evaluation scores every component: load the classifier with every_model()"
    );
    let mut rows = Vec::with_capacity(examples.len());
    for chunk in examples.chunks(256) {
        let prepared = chunk
            .par_iter()
            .map(|e| classifier.prepare(&e.text))
            .collect();
        let classified = classifier.infer(prepared, batch_size)?;
        for (example, c) in chunk.iter().zip(classified) {
            rows.push(RowOutcome {
                gold: example.label,
                corpus_only: corpus_only(&c.evidence),
                model_only: c
                    .verdict
                    .model_probabilities
                    .as_ref()
                    .map_or(Label::Normal, argmax),
                ngram_only: c.verdict.ngram_probabilities.as_ref().map(argmax),
                combined: c.verdict,
                evidence: c.evidence,
                hits: c.hits,
                hit_count: c.hit_count,
                contacts: c.contacts,
                chars: example.text.chars().count(),
                genre: example.genre.clone(),
            });
        }
        on_rows(chunk.len());
    }
    Ok(Evaluation::of_rows(rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Label::*;

    #[test]
    fn metrics_by_hand() {
        let pairs = [
            (Normal, Normal),
            (Normal, Normal),
            (Normal, DebtOptimization),
            (MaliciousComplaint, MaliciousComplaint),
            (DebtOptimization, DebtOptimization),
            (DebtOptimization, Normal),
        ];
        let m = Metrics::from_pairs(pairs);
        assert_eq!(m.confusion[0], [2, 0, 1]);
        assert!((m.accuracy - 4.0 / 6.0).abs() < 1e-9);
        let n = m.labels[0];
        assert!((n.precision - 2.0 / 3.0).abs() < 1e-9);
        assert!((n.recall - 2.0 / 3.0).abs() < 1e-9);
        assert!((m.labels[1].f1 - 1.0).abs() < 1e-9);
        assert!((m.macro_f1 - (2.0 / 3.0 + 1.0 + 0.5) / 3.0).abs() < 1e-9);
        // A label that is neither gold nor predicted does not count.
        let two = Metrics::from_pairs([(Normal, Normal), (DebtOptimization, DebtOptimization)]);
        assert!((two.macro_f1 - 1.0).abs() < 1e-9);
    }

    #[test]
    fn calibration_by_hand() {
        // Two rows at 0.95, one right; two at 0.55, both right.
        let c = Calibration::of(
            [(0.95, true), (0.95, false), (0.55, true), (0.55, true)],
            10,
        );
        assert_eq!(c.bins[9].rows, 2);
        assert_eq!(c.bins[5].rows, 2);
        assert!((c.bins[9].accuracy - 0.5).abs() < 1e-9);
        let expected = 0.5 * (0.95f32 as f64 - 0.5) + 0.5 * (1.0 - 0.55f32 as f64);
        assert!((c.ece - expected).abs() < 1e-6, "{}", c.ece);
        assert_eq!(Calibration::of([(1.0, true)], 10).bins[9].rows, 1);
    }

    fn outcome(gold: Label, combined: Label, chars: usize, genre: &str) -> RowOutcome {
        let mut p = [0.0; 3];
        p[combined.index()] = 1.0;
        let evidence = Evidence::new(p, Some(p), &[]);
        RowOutcome {
            gold,
            corpus_only: Normal,
            model_only: combined,
            ngram_only: Some(gold),
            combined: Decision::default().decide(&evidence),
            evidence,
            hits: Vec::new(),
            hit_count: 0,
            contacts: Vec::new(),
            chars,
            genre: Some(genre.into()),
        }
    }

    #[test]
    fn breakdowns_group_rows_by_length_and_genre() {
        let e = Evaluation::of_rows(vec![
            outcome(Normal, Normal, 10, "sms"),
            outcome(DebtOptimization, Normal, 250, "group_chat"),
            outcome(DebtOptimization, DebtOptimization, 80, "sms"),
        ]);
        let by_length = e.breakdown(Breakdown::Length);
        let names: Vec<&str> = by_length.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["<60", "60-199", "200+"]);
        assert_eq!(by_length[2].1.rows, 1);
        assert_eq!(by_length[2].1.combined.accuracy, 0.0);
        assert_eq!(by_length[2].1.ngram.as_ref().unwrap().accuracy, 1.0);
        let by_genre = e.breakdown(Breakdown::Genre);
        assert_eq!(by_genre[0].0, "group_chat");
        assert_eq!(by_genre[1].0, "sms");
        assert_eq!(by_genre[1].1.rows, 2);
        assert_eq!(by_genre[1].1.combined.accuracy, 1.0);
        let gate: Gate = "combined.accuracy>=ngram.accuracy".parse().unwrap();
        assert!(gate
            .check(&e)
            .unwrap()
            .contains("measured 0.6667 against 1.0000"));
    }
}
