//! Classification metrics: per-label precision, recall and F1, accuracy, macro and weighted F1,
//! the confusion matrix, and calibration (expected calibration error, reliability table).

use serde::Serialize;

use crate::labels::Label;

use super::gate::{GateMetric, Measure, Measured};

/// Equal-width confidence bins of the reliability table.
pub const CALIBRATION_BINS: usize = 10;

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
    /// `confusion[gold][predicted]`, in [`Label::ALL`] order (in JSON: gold label to
    /// predicted label to rows).
    #[serde(serialize_with = "crate::labels::by_label_matrix")]
    pub confusion: [[usize; 3]; 3],
    /// Per label, in [`Label::ALL`] order (label-keyed in JSON).
    #[serde(serialize_with = "crate::labels::by_label")]
    pub labels: [LabelScores; 3],
    /// Share of rows predicted right.
    pub accuracy: f64,
    /// Mean F1 over labels.
    pub macro_f1: f64,
    /// F1 weighted by support.
    pub weighted_f1: f64,
    /// How well the confidence matches the accuracy, where confidences were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
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
        // Over the labels that occur, as gold or as prediction (scikit-learn's default): a
        // genre with no malicious complaints is not marked down for them.
        let present: Vec<usize> = (0..3)
            .filter(|&i| labels[i].support > 0 || (0..3).any(|g| confusion[g][i] > 0))
            .collect();
        let macro_f1 = if present.is_empty() {
            0.0
        } else {
            present.iter().map(|&i| labels[i].f1).sum::<f64>() / present.len() as f64
        };
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
            calibration: None,
        }
    }

    /// The value a gate's metric names; `None` for calibration when it was not measured.
    pub fn value(&self, metric: &GateMetric) -> Option<f64> {
        Some(match metric {
            GateMetric::Accuracy => self.accuracy,
            GateMetric::MacroF1 => self.macro_f1,
            GateMetric::WeightedF1 => self.weighted_f1,
            GateMetric::Precision(l) => self.labels[l.index()].precision,
            GateMetric::Recall(l) => self.labels[l.index()].recall,
            GateMetric::F1(l) => self.labels[l.index()].f1,
            GateMetric::Ece => return self.calibration.as_ref().map(|c| c.ece),
        })
    }

    /// The same metrics with the calibration of `(confidence, correct)` pairs attached.
    pub fn with_calibration(mut self, pairs: impl IntoIterator<Item = (f32, bool)>) -> Self {
        self.calibration = Some(Calibration::of(pairs, CALIBRATION_BINS));
        self
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

impl Measured for Metrics {
    fn value(&self, measure: &Measure) -> Option<f64> {
        Metrics::value(self, &measure.metric)
    }
}

/// One bin of a reliability table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReliabilityBin {
    /// Lowest confidence in the bin (inclusive).
    pub from: f64,
    /// Highest confidence in the bin (exclusive, but 1.0 belongs to the last bin).
    pub to: f64,
    /// Rows whose confidence falls in the bin.
    pub rows: usize,
    /// Their mean confidence.
    pub confidence: f64,
    /// The share of them predicted right.
    pub accuracy: f64,
}

/// Calibration of the predicted label's probability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// Expected calibration error: the row-weighted mean gap between confidence and
    /// accuracy over the bins.
    pub ece: f64,
    /// The reliability table.
    pub bins: Vec<ReliabilityBin>,
}

impl Calibration {
    /// The calibration of `(confidence, correct)` pairs over `bins` equal-width bins.
    pub fn of(pairs: impl IntoIterator<Item = (f32, bool)>, bins: usize) -> Self {
        let bins = bins.max(1);
        let mut sums = vec![(0usize, 0.0f64, 0usize); bins];
        let mut total = 0usize;
        for (confidence, correct) in pairs {
            let c = f64::from(confidence).clamp(0.0, 1.0);
            let b = ((c * bins as f64) as usize).min(bins - 1);
            sums[b].0 += 1;
            sums[b].1 += c;
            sums[b].2 += usize::from(correct);
            total += 1;
        }
        let mut ece = 0.0;
        let bins: Vec<ReliabilityBin> = sums
            .iter()
            .enumerate()
            .map(|(i, &(rows, conf, right))| {
                let (confidence, accuracy) = if rows == 0 {
                    (0.0, 0.0)
                } else {
                    (conf / rows as f64, right as f64 / rows as f64)
                };
                if total > 0 {
                    ece += rows as f64 / total as f64 * (confidence - accuracy).abs();
                }
                ReliabilityBin {
                    from: i as f64 / bins as f64,
                    to: (i + 1) as f64 / bins as f64,
                    rows,
                    confidence,
                    accuracy,
                }
            })
            .collect();
        Calibration { ece, bins }
    }
}
