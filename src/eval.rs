//! Evaluation: per-label precision, recall and F1, accuracy, macro and weighted F1 and the
//! confusion matrix, and the gates CI uses to fail on regressions.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::data::Example;
use crate::decide::{corpus_only, hit_evidence, Decision, Verdict};
use crate::error::Result;
use crate::label::Label;
use crate::matcher::{Hit, Matcher};
use crate::model::{argmax, Model};
use crate::normalize::normalize;

/// Scores of one label.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LabelScores {
    /// Of the rows predicted as this label, the share that are.
    pub precision: f64,
    /// Of the rows that are this label, the share predicted so.
    pub recall: f64,
    /// Harmonic mean of the two.
    pub f1: f64,
    /// Rows that are this label.
    pub support: usize,
}

/// Classification metrics over a set of rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// `confusion[gold][predicted]`, in [`Label::ALL`] order.
    pub confusion: [[usize; 3]; 3],
    /// Per label, in [`Label::ALL`] order.
    pub labels: [LabelScores; 3],
    /// Share of rows predicted right.
    pub accuracy: f64,
    /// Mean F1 over labels.
    pub macro_f1: f64,
    /// F1 weighted by support.
    pub weighted_f1: f64,
}

impl Metrics {
    /// Metrics of `(gold, predicted)` pairs.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (Label, Label)>) -> Self {
        let mut confusion = [[0usize; 3]; 3];
        for (gold, predicted) in pairs {
            confusion[gold.index()][predicted.index()] += 1;
        }
        Self::from_confusion(confusion)
    }

    /// Metrics of a confusion matrix `[gold][predicted]`.
    pub fn from_confusion(confusion: [[usize; 3]; 3]) -> Self {
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let total: usize = confusion.iter().flatten().sum();
        let labels = std::array::from_fn(|i| {
            let tp = confusion[i][i];
            let predicted: usize = (0..3).map(|g| confusion[g][i]).sum();
            let support: usize = confusion[i].iter().sum();
            let precision = ratio(tp, predicted);
            let recall = ratio(tp, support);
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            LabelScores {
                precision,
                recall,
                f1,
                support,
            }
        });
        let correct: usize = (0..3).map(|i| confusion[i][i]).sum();
        let macro_f1 = labels.iter().map(|l: &LabelScores| l.f1).sum::<f64>() / 3.0;
        let weighted_f1 = if total == 0 {
            0.0
        } else {
            labels.iter().map(|l| l.f1 * l.support as f64).sum::<f64>() / total as f64
        };
        Metrics {
            confusion,
            labels,
            accuracy: ratio(correct, total),
            macro_f1,
            weighted_f1,
        }
    }

    /// The value a gate's metric names.
    pub fn value(&self, metric: &GateMetric) -> f64 {
        match metric {
            GateMetric::Accuracy => self.accuracy,
            GateMetric::MacroF1 => self.macro_f1,
            GateMetric::WeightedF1 => self.weighted_f1,
            GateMetric::Precision(l) => self.labels[l.index()].precision,
            GateMetric::Recall(l) => self.labels[l.index()].recall,
            GateMetric::F1(l) => self.labels[l.index()].f1,
        }
    }

    /// A plain-text table: per-label scores, the summary line and the confusion matrix.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<20} {:>9} {:>9} {:>9} {:>8}\n",
            "label", "precision", "recall", "f1", "support"
        );
        for label in Label::ALL {
            let s = &self.labels[label.index()];
            out.push_str(&format!(
                "{:<20} {:>9.3} {:>9.3} {:>9.3} {:>8}\n",
                label.name(),
                s.precision,
                s.recall,
                s.f1,
                s.support
            ));
        }
        out.push_str(&format!(
            "accuracy {:.3}  macro_f1 {:.3}  weighted_f1 {:.3}\n",
            self.accuracy, self.macro_f1, self.weighted_f1
        ));
        out.push_str("confusion (rows gold, columns predicted: normal, malicious_complaint, debt_optimization)\n");
        for label in Label::ALL {
            let row = &self.confusion[label.index()];
            out.push_str(&format!(
                "  {:<20} {:>6} {:>6} {:>6}\n",
                label.name(),
                row[0],
                row[1],
                row[2]
            ));
        }
        out
    }
}

/// What a gate measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GateMetric {
    /// `accuracy`
    Accuracy,
    /// `macro_f1`
    MacroF1,
    /// `weighted_f1`
    WeightedF1,
    /// `precision:LABEL`
    Precision(Label),
    /// `recall:LABEL`
    Recall(Label),
    /// `f1:LABEL`
    F1(Label),
}

/// A CI gate such as `macro_f1>=0.90` or `recall:debt_optimization>=0.95`.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// What is measured.
    pub metric: GateMetric,
    /// The least acceptable value.
    pub min: f64,
    text: String,
}

impl Gate {
    /// `None` when `metrics` passes; otherwise a one-line reason.
    pub fn check(&self, metrics: &Metrics) -> Option<String> {
        let value = metrics.value(&self.metric);
        (value < self.min).then(|| format!("gate {} failed: measured {:.4}", self.text, value))
    }
}

impl fmt::Display for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Gate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let usage = || {
            format!(
                "bad gate `{s}`: expected METRIC>=VALUE, METRIC one of accuracy, macro_f1, \
                 weighted_f1, precision:LABEL, recall:LABEL, f1:LABEL"
            )
        };
        let (name, min) = s.split_once(">=").ok_or_else(usage)?;
        let min: f64 = min.trim().parse().map_err(|_| usage())?;
        let label = |l: &str| {
            l.parse::<Label>()
                .map_err(|e| format!("bad gate `{s}`: {e}"))
        };
        let metric = match name.trim().split_once(':') {
            None => match name.trim() {
                "accuracy" => GateMetric::Accuracy,
                "macro_f1" => GateMetric::MacroF1,
                "weighted_f1" => GateMetric::WeightedF1,
                _ => return Err(usage()),
            },
            Some(("precision", l)) => GateMetric::Precision(label(l)?),
            Some(("recall", l)) => GateMetric::Recall(label(l)?),
            Some(("f1", l)) => GateMetric::F1(label(l)?),
            Some(_) => return Err(usage()),
        };
        Ok(Gate {
            metric,
            min,
            text: s.to_string(),
        })
    }
}

/// What the three systems said about one labelled row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowOutcome {
    /// The gold label.
    pub gold: Label,
    /// The corpus-only system's label.
    pub corpus_only: Label,
    /// The model-only system's label.
    pub model_only: Label,
    /// The combined decision that labelling uses.
    pub combined: Verdict,
    /// The phrase hits.
    pub hits: Vec<Hit>,
}

/// The three systems side by side on one data set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Corpus phrases alone.
    pub corpus_only: Metrics,
    /// The model alone (argmax of its probabilities).
    pub model_only: Metrics,
    /// Model and corpus combined by the decision.
    pub combined: Metrics,
    /// Per row, in input order.
    #[serde(skip)]
    pub rows: Vec<RowOutcome>,
}

impl Evaluation {
    /// The same rows decided again with other decision parameters; the model and the corpus
    /// are not run again (their outputs do not depend on the decision).
    pub fn redecide(&self, decision: &Decision) -> Evaluation {
        let rows: Vec<RowOutcome> = self
            .rows
            .iter()
            .map(|r| RowOutcome {
                combined: decision.decide(&r.combined.model_probabilities, &r.hits),
                ..r.clone()
            })
            .collect();
        Evaluation {
            corpus_only: self.corpus_only.clone(),
            model_only: self.model_only.clone(),
            combined: Metrics::from_pairs(rows.iter().map(|r| (r.gold, r.combined.label))),
            rows,
        }
    }

    /// The rows as the decision tuner wants them: model probabilities, hit support, warning
    /// weight, gold label.
    pub fn tuning_rows(&self) -> Vec<([f32; 3], [f32; 3], f32, Label)> {
        self.rows
            .iter()
            .map(|r| {
                let (support, warning) = hit_evidence(&r.hits);
                (r.combined.model_probabilities, support, warning, r.gold)
            })
            .collect()
    }
}

/// Runs corpus-only, model-only and combined classification over `examples`; `on_rows` is
/// told how many rows each batch finished, for progress.
///
/// # Errors
/// A model failure.
pub fn evaluate(
    model: &Model,
    matcher: &Matcher,
    decision: &Decision,
    examples: &[Example],
    batch_size: usize,
    mut on_rows: impl FnMut(usize),
) -> Result<Evaluation> {
    let mut rows = Vec::with_capacity(examples.len());
    for chunk in examples.chunks(256) {
        let normalized: Vec<_> = chunk.iter().map(|e| normalize(&e.text)).collect();
        let texts: Vec<&str> = normalized.iter().map(|n| n.as_str()).collect();
        let probabilities = model.probabilities(&texts, batch_size)?;
        for ((example, n), p) in chunk.iter().zip(&normalized).zip(probabilities) {
            let hits = matcher.find_in(&example.text, n);
            rows.push(RowOutcome {
                gold: example.label,
                corpus_only: corpus_only(&hits),
                model_only: argmax(&p),
                combined: decision.decide(&p, &hits),
                hits,
            });
        }
        on_rows(chunk.len());
    }
    Ok(Evaluation {
        corpus_only: Metrics::from_pairs(rows.iter().map(|r| (r.gold, r.corpus_only))),
        model_only: Metrics::from_pairs(rows.iter().map(|r| (r.gold, r.model_only))),
        combined: Metrics::from_pairs(rows.iter().map(|r| (r.gold, r.combined.label))),
        rows,
    })
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
    }

    #[test]
    fn gates_parse_and_check() {
        let m = Metrics::from_pairs([(Normal, Normal), (DebtOptimization, Normal)]);
        let g: Gate = "recall:debt_optimization>=0.95".parse().unwrap();
        assert_eq!(
            g.check(&m).unwrap(),
            "gate recall:debt_optimization>=0.95 failed: measured 0.0000"
        );
        let g: Gate = "accuracy>=0.5".parse().unwrap();
        assert!(g.check(&m).is_none());
        assert!("macro>=1".parse::<Gate>().is_err());
        assert!("recall:spam>=1"
            .parse::<Gate>()
            .unwrap_err()
            .contains("unknown label"));
    }
}
