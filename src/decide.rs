//! The decision stage: the model's probabilities and the corpus hits combined into a label,
//! a confidence and reasons.
//!
//! Per label, the score is the model's log-probability, plus a bias, plus `hit_scale` times
//! the weights of the hits that support that label; warning-context hits (negative weights)
//! count, times `warning_scale`, against both non-normal labels. The label is the best score;
//! the combined probabilities are the scores' softmax. A phrase added to the corpus therefore
//! takes effect at once, without retraining. The parameters live beside the model in
//! `decision.json`; `heihui eval --tune` fits them on the dev split.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::corpus::Category;
use crate::error::{Error, Result};
use crate::label::Label;
use crate::matcher::Hit;
use crate::model::Probabilities;

/// The corpus-only system's threshold: the summed weight a label's hits must reach.
pub const CORPUS_ONLY_THRESHOLD: f32 = 1.5;

/// The parameters of the combined decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Multiplies the weights of hits supporting a label.
    pub hit_scale: f32,
    /// Multiplies the (negative) weights of warning-context hits, applied to both
    /// non-normal labels.
    pub warning_scale: f32,
    /// Added to each label's score, in [`Label::ALL`] order; the per-label thresholds.
    pub bias: [f32; 3],
    /// A decision whose top two combined probabilities are closer than this needs review.
    pub review_margin: f32,
}

impl Default for Decision {
    fn default() -> Self {
        Decision {
            hit_scale: 0.5,
            warning_scale: 0.5,
            bias: [0.0; 3],
            review_margin: 0.2,
        }
    }
}

/// The outcome for one text, with what it rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// The label.
    pub label: Label,
    /// The combined probability of that label.
    pub confidence: f32,
    /// Combined probabilities, in [`Label::ALL`] order.
    pub probabilities: Probabilities,
    /// The model's own probabilities, in [`Label::ALL`] order.
    pub model_probabilities: Probabilities,
    /// Whether the top two labels are too close to call.
    pub needs_review: bool,
}

/// Summed hit weights per label (warning-context hits go to no label) and the summed
/// warning weight.
pub fn hit_evidence(hits: &[Hit]) -> ([f32; 3], f32) {
    let mut support = [0.0f32; 3];
    let mut warning = 0.0f32;
    for hit in hits {
        match hit.category.supports() {
            Some(label) => support[label.index()] += hit.weight,
            None => warning += hit.weight,
        }
    }
    (support, warning)
}

impl Decision {
    /// Reads `decision.json`; a missing file gives the defaults.
    ///
    /// # Errors
    /// An unreadable or malformed file.
    pub fn load(path: &Path) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| Error::Model {
                path: path.to_path_buf(),
                message: format!("malformed decision parameters: {e}"),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Decision::default()),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// Writes `decision.json`.
    ///
    /// # Errors
    /// An unwritable file.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("plain numbers serialise");
        crate::corpus::write_atomic(path, &(text + "\n"))
    }

    /// Per-label scores from the model's probabilities and the hit evidence.
    pub fn scores(&self, model: &Probabilities, support: &[f32; 3], warning: f32) -> [f32; 3] {
        let mut scores = [0.0f32; 3];
        for label in Label::ALL {
            let i = label.index();
            let mut s = model[i].max(1e-7).ln() + self.bias[i] + self.hit_scale * support[i];
            if label != Label::Normal {
                s += self.warning_scale * warning;
            }
            scores[i] = s;
        }
        scores
    }

    /// The combined decision for one text.
    pub fn decide(&self, model: &Probabilities, hits: &[Hit]) -> Verdict {
        let (support, warning) = hit_evidence(hits);
        self.decide_evidence(model, &support, warning)
    }

    /// The combined decision from precomputed hit evidence.
    pub fn decide_evidence(
        &self,
        model: &Probabilities,
        support: &[f32; 3],
        warning: f32,
    ) -> Verdict {
        let scores = self.scores(model, support, warning);
        let probabilities = softmax(&scores);
        let mut order = [0usize, 1, 2];
        order.sort_by(|&a, &b| probabilities[b].total_cmp(&probabilities[a]));
        Verdict {
            label: Label::ALL[order[0]],
            confidence: probabilities[order[0]],
            probabilities,
            model_probabilities: *model,
            needs_review: probabilities[order[0]] - probabilities[order[1]] < self.review_margin,
        }
    }
}

/// The corpus-only system: the label whose hits sum highest, if that reaches
/// [`CORPUS_ONLY_THRESHOLD`] after warning context is subtracted; otherwise normal.
pub fn corpus_only(hits: &[Hit]) -> Label {
    let (support, warning) = hit_evidence(hits);
    let best =
        if support[Label::DebtOptimization.index()] >= support[Label::MaliciousComplaint.index()] {
            Label::DebtOptimization
        } else {
            Label::MaliciousComplaint
        };
    if support[best.index()] + warning >= CORPUS_ONLY_THRESHOLD {
        best
    } else {
        Label::Normal
    }
}

fn softmax(scores: &[f32; 3]) -> [f32; 3] {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp = scores.map(|s| (s - max).exp());
    let sum: f32 = exp.iter().sum();
    exp.map(|e| e / sum)
}

/// Explains a verdict in words: the model's view, then each hit with its weight.
pub fn reason(verdict: &Verdict, hits: &[Hit]) -> String {
    let p = &verdict.model_probabilities;
    let mut out = format!(
        "model: normal {:.2}, malicious_complaint {:.2}, debt_optimization {:.2}",
        p[0], p[1], p[2]
    );
    for hit in hits {
        let counts = match hit.category {
            Category::WarningContext => "against the trade labels".to_string(),
            c => format!("for {}", c.supports().map_or("", |l| l.name())),
        };
        out.push_str(&format!(
            "; 「{}」 {} ({}, {:+}, {})",
            hit.text,
            hit.phrase,
            hit.kind.name(),
            hit.weight,
            counts
        ));
    }
    out
}

/// Fits the decision parameters on labelled evidence: a grid search over the hit scales and
/// the two non-normal biases (normal's bias is the reference, 0), scored by macro-F1.
///
/// The grid has thousands of settings and a dev split a few hundred rows, so the single best
/// setting fits that split's noise: on this project's data it chose a debt-optimisation bias of
/// -2.0, which gained 0.014 macro-F1 on dev and lost 0.003 on test against the untuned
/// default (0.012 and 0.008 against the model alone). The fit therefore keeps the setting nearest [`Decision::default`] among those
/// within one standard error of the best score (the "one standard error" rule of model
/// selection), and moves away from the default only as far as the data clearly asks.
/// Returns the setting and its macro-F1 on `rows`.
pub fn tune(rows: &[(Probabilities, [f32; 3], f32, Label)]) -> (Decision, f64) {
    let scales = [0.0f32, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0];
    let biases: Vec<f32> = (-8..=8).map(|i| i as f32 * 0.25).collect();
    let mut candidates = Vec::new();
    for &hit_scale in &scales {
        for &warning_scale in &scales {
            for &b1 in &biases {
                for &b2 in &biases {
                    let d = Decision {
                        hit_scale,
                        warning_scale,
                        bias: [0.0, b1, b2],
                        review_margin: Decision::default().review_margin,
                    };
                    let mut confusion = [[0usize; 3]; 3];
                    for (p, support, warning, gold) in rows {
                        let s = d.scores(p, support, *warning);
                        let mut pred = 0;
                        for i in 1..3 {
                            if s[i] > s[pred] {
                                pred = i;
                            }
                        }
                        confusion[gold.index()][pred] += 1;
                    }
                    let f1 = crate::eval::Metrics::from_confusion(confusion).macro_f1;
                    candidates.push((d, f1));
                }
            }
        }
    }
    nearest_within_one_error(candidates, rows.len())
}

/// How far a decision's parameters are from [`Decision::default`]'s.
fn distance_from_default(d: &Decision) -> f32 {
    let default = Decision::default();
    (d.hit_scale - default.hit_scale).abs()
        + (d.warning_scale - default.warning_scale).abs()
        + d.bias
            .iter()
            .zip(default.bias)
            .map(|(b, d)| (b - d).abs())
            .sum::<f32>()
}

/// Of `(decision, score)` candidates scored on `rows` rows, the one nearest the default among
/// those within one standard error of the best score, `sqrt(best (1 - best) / rows)`; the
/// higher score breaks a tie. `(default, -1)` when there are none.
fn nearest_within_one_error(candidates: Vec<(Decision, f64)>, rows: usize) -> (Decision, f64) {
    let best = candidates
        .iter()
        .map(|(_, f1)| *f1)
        .fold(f64::NEG_INFINITY, f64::max);
    let error = (best * (1.0 - best) / rows.max(1) as f64).max(0.0).sqrt();
    candidates
        .into_iter()
        .filter(|(_, f1)| *f1 >= best - error - 1e-9)
        .min_by(|(a, fa), (b, fb)| {
            distance_from_default(a)
                .total_cmp(&distance_from_default(b))
                .then(fb.total_cmp(fa))
        })
        .unwrap_or((Decision::default(), -1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::HitKind;

    fn hit(category: Category, weight: f32) -> Hit {
        Hit {
            phrase: "x".into(),
            category,
            weight,
            kind: HitKind::Exact,
            start: 0,
            end: 1,
            text: "x".into(),
        }
    }

    #[test]
    fn hits_move_the_decision_and_warnings_pull_back() {
        let d = Decision::default();
        let unsure = [0.5, 0.1, 0.4];
        assert_eq!(d.decide(&unsure, &[]).label, Label::Normal);
        let sales = [hit(Category::DebtOptimization, 2.0)];
        assert_eq!(d.decide(&unsure, &sales).label, Label::DebtOptimization);
        let warned = [
            hit(Category::DebtOptimization, 2.0),
            hit(Category::WarningContext, -2.0),
        ];
        assert_eq!(d.decide(&unsure, &warned).label, Label::Normal);
    }

    #[test]
    fn probabilities_sum_to_one_and_review_flags_close_calls() {
        let d = Decision::default();
        let v = d.decide(&[0.45, 0.1, 0.45], &[]);
        assert!((v.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(v.needs_review);
        assert!(!d.decide(&[0.9, 0.05, 0.05], &[]).needs_review);
    }

    #[test]
    fn corpus_only_needs_enough_weight() {
        assert_eq!(
            corpus_only(&[hit(Category::ContactLure, 0.5)]),
            Label::Normal
        );
        assert_eq!(
            corpus_only(&[hit(Category::MaliciousComplaint, 2.0)]),
            Label::MaliciousComplaint
        );
    }

    #[test]
    fn tuning_finds_a_bias_the_data_needs() {
        // The model under-calls malicious complaints; a positive bias fixes it.
        let rows: Vec<_> = (0..20)
            .map(|i| {
                if i % 2 == 0 {
                    ([0.6, 0.4, 0.0], [0.0; 3], 0.0, Label::MaliciousComplaint)
                } else {
                    ([0.9, 0.1, 0.0], [0.0; 3], 0.0, Label::Normal)
                }
            })
            .collect();
        let (d, f1) = tune(&rows);
        assert!(d.bias[1] > 0.0, "{d:?}");
        assert!(f1 > 0.6, "{f1}");
    }

    fn with_bias(b2: f32) -> Decision {
        Decision {
            bias: [0.0, 0.0, b2],
            ..Decision::default()
        }
    }

    #[test]
    fn tuning_keeps_the_nearest_setting_within_one_standard_error() {
        // On 400 rows at macro-F1 0.93 one standard error is about 0.0128.
        let candidates = vec![
            (with_bias(-2.0), 0.930),
            (with_bias(-0.5), 0.920),
            (with_bias(-0.25), 0.910),
            (Decision::default(), 0.905),
        ];
        let (d, f1) = nearest_within_one_error(candidates.clone(), 400);
        assert_eq!((d, f1), (with_bias(-0.5), 0.920));
        // With ten times the rows the error is about 0.004 and only the best qualifies.
        let (d, _) = nearest_within_one_error(candidates, 4000);
        assert_eq!(d, with_bias(-2.0));
        // Equally near: the better score.
        let tied = vec![(with_bias(0.5), 0.90), (with_bias(-0.5), 0.91)];
        assert_eq!(nearest_within_one_error(tied, 100).0, with_bias(-0.5));
    }
}
