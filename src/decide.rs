//! The decision stage: the components' probabilities and the corpus hits combined into a
//! label, a confidence and reasons.
//!
//! Two forms, both stored beside the model in `decision.json`:
//! - **stacked** (a model directory with an n-gram component): per label, a logistic
//!   regression over the transformer's log-probability, the n-gram model's log-probability,
//!   the summed weight of the hits supporting that label and the summed warning-context weight.
//!   Its weights are fitted on rows neither model was trained on (`heihui train` uses dev).
//! - **weighted** (a transformer alone): the transformer's log-probability, plus a bias, plus
//!   `hit_scale` times the supporting hits' weights; warning-context hits (negative weights)
//!   count, times `warning_scale`, against both non-normal labels.
//!
//! Either way hits enter through their weights, so a phrase added to the corpus takes effect at
//! once, without retraining. The label is the best score; the combined probabilities are the
//! scores' softmax.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::corpus::Category;
use crate::error::{Error, ModelError, Result};
use crate::labels::Label;
use crate::matcher::Hit;
use crate::model::{softmax, Probabilities};

/// The corpus-only system's threshold: the summed weight a label's hits must reach.
pub const CORPUS_ONLY_THRESHOLD: f32 = 1.5;

/// Probabilities are floored here before their logarithm is taken.
const LOG_FLOOR: f32 = 1e-7;

/// The parameters of the combined decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Multiplies the weights of hits supporting a label (weighted form).
    pub hit_scale: f32,
    /// Multiplies the (negative) weights of warning-context hits, applied to both
    /// non-normal labels (weighted form).
    pub warning_scale: f32,
    /// Added to each label's score, in [`Label::ALL`] order (weighted form).
    pub bias: [f32; 3],
    /// A decision whose top two combined probabilities are closer than this needs review.
    pub review_margin: f32,
    /// The stacked form's weights; used whenever the n-gram model's probabilities are there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<Stack>,
}

/// The stacked decision's weights, per label in [`Label::ALL`] order: label `k` scores
/// `bias[k] + transformer[k] ln p_transformer[k] + ngram[k] ln p_ngram[k] + hits[k] support[k]
/// + warning[k] warning`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stack {
    /// Weight of the transformer's log-probability of the label.
    pub transformer: [f32; 3],
    /// Weight of the n-gram model's log-probability of the label.
    pub ngram: [f32; 3],
    /// Weight of the summed weights of the hits supporting the label.
    pub hits: [f32; 3],
    /// Weight of the summed (negative) warning-context weight.
    pub warning: [f32; 3],
    /// The label's intercept.
    pub bias: [f32; 3],
}

impl Default for Decision {
    fn default() -> Self {
        Decision {
            hit_scale: 0.5,
            warning_scale: 0.5,
            bias: [0.0; 3],
            review_margin: 0.2,
            stack: None,
        }
    }
}

/// What the decision rests on for one text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// The transformer's probabilities, in [`Label::ALL`] order; none where the decision
    /// does not use the transformer and it was not run.
    #[serde(serialize_with = "crate::labels::by_label_opt")]
    pub transformer: Option<Probabilities>,
    /// The n-gram model's probabilities, where the model directory has one.
    #[serde(serialize_with = "crate::labels::by_label_opt")]
    pub ngram: Option<Probabilities>,
    /// Summed weights of the hits supporting each label.
    #[serde(serialize_with = "crate::labels::by_label")]
    pub support: [f32; 3],
    /// Summed weight of the warning-context hits (zero or negative).
    pub warning: f32,
}

impl Evidence {
    /// The evidence of the components' probabilities and the hits.
    pub fn new(transformer: Probabilities, ngram: Option<Probabilities>, hits: &[Hit]) -> Self {
        Self::of(Some(transformer), ngram, hits)
    }

    /// The evidence where the transformer was not run: the n-gram model and the hits.
    pub fn without_transformer(ngram: Probabilities, hits: &[Hit]) -> Self {
        Self::of(None, Some(ngram), hits)
    }

    fn of(transformer: Option<Probabilities>, ngram: Option<Probabilities>, hits: &[Hit]) -> Self {
        Self::tallied(transformer, ngram, &HitTally::of(hits))
    }

    /// The evidence of the components' probabilities (the transformer's where it was run)
    /// and a text's hits as tallied, all of them, listed or not.
    pub fn tallied(
        transformer: Option<Probabilities>,
        ngram: Option<Probabilities>,
        hits: &HitTally,
    ) -> Self {
        Evidence {
            transformer,
            ngram,
            support: hits.support,
            warning: hits.warning,
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
    /// Combined probabilities, in [`Label::ALL`] order (label-keyed in JSON, as every
    /// per-label array is).
    #[serde(serialize_with = "crate::labels::by_label")]
    pub probabilities: Probabilities,
    /// The transformer's own probabilities, in [`Label::ALL`] order; none where the decision
    /// does not use the transformer and it was not run.
    #[serde(serialize_with = "crate::labels::by_label_opt")]
    pub model_probabilities: Option<Probabilities>,
    /// The n-gram model's own probabilities, where there is one.
    #[serde(serialize_with = "crate::labels::by_label_opt")]
    pub ngram_probabilities: Option<Probabilities>,
    /// Whether the top two labels are too close to call.
    pub needs_review: bool,
}

/// One component's share of a label's score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Contributions {
    /// From the transformer.
    pub transformer: f32,
    /// From the n-gram model.
    pub ngram: f32,
    /// From the supporting hits.
    pub hits: f32,
    /// From the warning-context hits.
    pub warning: f32,
    /// The label's intercept.
    pub bias: f32,
}

impl Contributions {
    /// The label's score: the sum of the parts.
    pub fn total(&self) -> f32 {
        self.transformer + self.ngram + self.hits + self.warning + self.bias
    }
}

/// What the decision reads from a text's hits, added up one hit at a time: the summed weights
/// of the hits supporting each label (warning-context hits go to no label), the summed
/// warning weight, and how many hits there were. A text with more hits than a row lists
/// (see [`crate::classifier::Classifier::with_max_hits`]) is decided on every one of them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HitTally {
    /// Summed weights of the hits supporting each label, in [`Label::ALL`] order.
    pub support: [f32; 3],
    /// Summed weight of the warning-context hits (zero or negative).
    pub warning: f32,
    /// Hits counted.
    pub count: usize,
}

impl HitTally {
    /// Counts one hit of `category` and `weight`.
    pub fn add(&mut self, category: Category, weight: f32) {
        match category.supports() {
            Some(label) => self.support[label.index()] += weight,
            None => self.warning += weight,
        }
        self.count += 1;
    }

    /// The tally of `hits`, in their order.
    pub fn of(hits: &[Hit]) -> Self {
        let mut tally = HitTally::default();
        for hit in hits {
            tally.add(hit.category, hit.weight);
        }
        tally
    }
}

fn ln(p: f32) -> f32 {
    p.max(LOG_FLOOR).ln()
}

impl Decision {
    /// Reads `decision.json`; a missing file gives the defaults.
    ///
    /// # Errors
    /// An unreadable or malformed file.
    pub fn load(path: &Path) -> Result<Self> {
        let decision: Decision = match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| ModelError::Invalid {
                path: path.to_path_buf(),
                message: format!("malformed decision parameters: {e}"),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Decision::default(),
            Err(e) => return Err(Error::io(path, e)),
        };
        if !(0.0..=1.0).contains(&decision.review_margin) {
            return Err(ModelError::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "field review_margin: {} is not between 0 and 1 (a difference of two \
                     probabilities; 0 sends nothing to review)",
                    decision.review_margin
                ),
            }
            .into());
        }
        Ok(decision)
    }

    /// Refuses a decision under which a label other than normal can never win: each is tried
    /// on the clearest evidence for it (both models certain, one supporting phrase of weight
    /// 1), which any usable decision labels as that label. A bias or weights that outweigh
    /// such evidence would label every real text normal (or all as one label) silently.
    ///
    /// # Errors
    /// A label that loses its clearest case, naming what it gets instead.
    pub fn check_can_label(&self, path: &Path, with_ngram: bool) -> Result<()> {
        for label in Label::ALL.into_iter().filter(|&l| l != Label::Normal) {
            let mut sure = [0.0f32; 3];
            sure[label.index()] = 1.0;
            let mut support = [0.0f32; 3];
            support[label.index()] = 1.0;
            let evidence = Evidence {
                transformer: Some(sure),
                ngram: with_ngram.then_some(sure),
                support,
                warning: 0.0,
            };
            let got = self.decide(&evidence).label;
            if got != label {
                return Err(ModelError::Invalid {
                    path: path.to_path_buf(),
                    message: format!(
                        "labels even a text that both models are sure is {label}, with a \
                         phrase for it, as {got}: its bias or weights outweigh the models; \
                         retune with `heihui eval DEV.csv --tune` or delete the file"
                    ),
                }
                .into());
            }
        }
        Ok(())
    }

    /// Writes `decision.json`.
    ///
    /// # Errors
    /// An unwritable file.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("plain numbers serialise");
        crate::fs::write_atomic(path, (text + "\n").as_bytes())
    }

    /// Each component's part of each label's score, in [`Label::ALL`] order.
    pub fn contributions(&self, e: &Evidence) -> [Contributions; 3] {
        std::array::from_fn(|i| match (&self.stack, &e.ngram) {
            (Some(stack), Some(ngram)) => Contributions {
                transformer: e
                    .transformer
                    .map_or(0.0, |p| stack.transformer[i] * ln(p[i])),
                ngram: stack.ngram[i] * ln(ngram[i]),
                hits: stack.hits[i] * e.support[i],
                warning: stack.warning[i] * e.warning,
                bias: stack.bias[i],
            },
            _ => Contributions {
                transformer: e.transformer.map_or(0.0, |p| ln(p[i])),
                ngram: 0.0,
                hits: self.hit_scale * e.support[i],
                warning: if Label::ALL[i] == Label::Normal {
                    0.0
                } else {
                    self.warning_scale * e.warning
                },
                bias: self.bias[i],
            },
        })
    }

    /// Whether deciding needs the transformer's probabilities: always in the weighted form,
    /// and in the stacked form unless every transformer weight is zero (the fit found that
    /// the transformer did not earn its place), when it need not be run at all.
    pub fn uses_transformer(&self) -> bool {
        self.stack
            .as_ref()
            .is_none_or(|s| s.transformer.iter().any(|&w| w != 0.0))
    }

    /// Per-label scores.
    pub fn scores(&self, e: &Evidence) -> [f32; 3] {
        self.contributions(e).map(|c| c.total())
    }

    /// The combined decision for one text.
    pub fn decide(&self, e: &Evidence) -> Verdict {
        let probabilities = softmax(&self.scores(e));
        let mut order = [0usize, 1, 2];
        order.sort_by(|&a, &b| probabilities[b].total_cmp(&probabilities[a]));
        Verdict {
            label: Label::ALL[order[0]],
            confidence: probabilities[order[0]],
            probabilities,
            model_probabilities: e.transformer,
            ngram_probabilities: e.ngram,
            needs_review: probabilities[order[0]] - probabilities[order[1]] < self.review_margin,
        }
    }
}

/// The corpus-only system: the label whose hits sum highest in `evidence`, if that reaches
/// [`CORPUS_ONLY_THRESHOLD`] after warning context is subtracted; otherwise normal.
pub fn corpus_only(evidence: &Evidence) -> Label {
    let (support, warning) = (evidence.support, evidence.warning);
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

/// Explains a verdict in words: each component's view, each listed hit with its weight (and,
/// where `hit_count` says the text had more than are listed, how many more), and, for the
/// chosen label, what each component added to its score.
pub fn reason(
    decision: &Decision,
    evidence: &Evidence,
    verdict: &Verdict,
    hits: &[Hit],
    hit_count: usize,
) -> String {
    // The transformer is named only where the decision uses it, so the reason is the same
    // whether or not it was run (`classify` runs it to show it; `label` need not).
    let uses_transformer = decision.uses_transformer();
    let mut views = Vec::new();
    if let Some(p) = verdict
        .model_probabilities
        .as_ref()
        .filter(|_| uses_transformer)
    {
        views.push(format!(
            "model: normal {:.2}, malicious_complaint {:.2}, debt_optimization {:.2}",
            p[0], p[1], p[2]
        ));
    }
    if let Some(n) = &verdict.ngram_probabilities {
        views.push(format!(
            "n-gram: normal {:.2}, malicious_complaint {:.2}, debt_optimization {:.2}",
            n[0], n[1], n[2]
        ));
    }
    let mut out = views.join("; ");
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
    if hit_count > hits.len() {
        out.push_str(&format!(
            "; and {} more hits ({hit_count} in all, every one weighed)",
            hit_count - hits.len()
        ));
    }
    if verdict.ngram_probabilities.is_some() && decision.stack.is_some() {
        let c = decision.contributions(evidence)[verdict.label.index()];
        let transformer = if uses_transformer {
            format!("transformer {:+.2}, ", c.transformer)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "; score of {}: {transformer}n-gram {:+.2}, hits {:+.2}, warnings {:+.2}, bias {:+.2}",
            verdict.label, c.ngram, c.hits, c.warning, c.bias
        ));
    }
    out
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
            start_char: 0,
            end_char: 1,
            text: "x".into(),
        }
    }

    #[test]
    fn hits_move_the_decision_and_warnings_pull_back() {
        let d = Decision::default();
        let unsure = [0.5, 0.1, 0.4];
        assert_eq!(
            d.decide(&Evidence::new(unsure, None, &[])).label,
            Label::Normal
        );
        let sales = [hit(Category::DebtOptimization, 2.0)];
        assert_eq!(
            d.decide(&Evidence::new(unsure, None, &sales)).label,
            Label::DebtOptimization
        );
        let warned = [
            hit(Category::DebtOptimization, 2.0),
            hit(Category::WarningContext, -2.0),
        ];
        assert_eq!(
            d.decide(&Evidence::new(unsure, None, &warned)).label,
            Label::Normal
        );
    }

    #[test]
    fn probabilities_sum_to_one_and_review_flags_close_calls() {
        let d = Decision::default();
        let v = d.decide(&Evidence::new([0.45, 0.1, 0.45], None, &[]));
        assert!((v.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(v.needs_review);
        assert!(
            !d.decide(&Evidence::new([0.9, 0.05, 0.05], None, &[]))
                .needs_review
        );
    }

    #[test]
    fn corpus_only_needs_enough_weight() {
        let of = |hits: &[Hit]| corpus_only(&Evidence::new([1.0, 0.0, 0.0], None, hits));
        assert_eq!(of(&[hit(Category::ContactLure, 0.5)]), Label::Normal);
        assert_eq!(
            of(&[hit(Category::MaliciousComplaint, 2.0)]),
            Label::MaliciousComplaint
        );
    }

    #[test]
    fn the_stack_weighs_each_component_and_explains_its_parts() {
        let d = Decision {
            stack: Some(Stack {
                transformer: [0.5; 3],
                ngram: [1.0; 3],
                hits: [0.0, 1.0, 1.0],
                warning: [0.0, 1.0, 1.0],
                bias: [0.0; 3],
            }),
            ..Decision::default()
        };
        // The n-gram model is sure of debt optimisation; the transformer leans normal.
        let e = Evidence::new([0.6, 0.2, 0.2], Some([0.05, 0.05, 0.9]), &[]);
        let v = d.decide(&e);
        assert_eq!(v.label, Label::DebtOptimization);
        let c = d.contributions(&e)[Label::DebtOptimization.index()];
        assert!((c.ngram - 0.9f32.ln()).abs() < 1e-6);
        assert!((c.transformer - 0.5 * 0.2f32.ln()).abs() < 1e-6);
        // A warning pulls it back to normal; without n-gram probabilities the weighted form
        // decides.
        let warned = [hit(Category::WarningContext, -5.0)];
        assert_eq!(
            d.decide(&Evidence::new(
                [0.6, 0.2, 0.2],
                Some([0.05, 0.05, 0.9]),
                &warned
            ))
            .label,
            Label::Normal
        );
        assert_eq!(
            d.decide(&Evidence::new([0.6, 0.2, 0.2], None, &[])).label,
            Label::Normal
        );
        let text = reason(&d, &e, &v, &[], 0);
        assert!(text.contains("n-gram: normal 0.05"), "{text}");
        assert!(
            text.contains("score of debt_optimization: transformer -0.80, n-gram -0.11"),
            "{text}"
        );
    }
}
