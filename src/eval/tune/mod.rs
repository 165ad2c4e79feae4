//! Fitting the decision on labelled rows that neither model was trained on (the dev split):
//! the stacked form by logistic regression when every row has n-gram probabilities, the
//! weighted form by grid search otherwise, and cross-validation of the stacked form to show
//! what each component adds.

use serde::Serialize;

use crate::decide::{Decision, Evidence};
use crate::error::Result;
use crate::labels::Label;
use crate::rng::Rng;

use super::metrics::Metrics;

mod stack;
mod weighted;

pub use stack::{fit_stack, MIN_HIT_WEIGHT, STACK_L2};
pub use weighted::tune_weighted;
/// Which components a stacked decision may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Components {
    /// Transformer, n-gram model and hits.
    All,
    /// N-gram model and hits; the transformer's weights are held at zero.
    WithoutTransformer,
}

/// Folds and seed of the cross-validation that decides whether the stack keeps the transformer.
const CHOICE_FOLDS: usize = 5;
const CHOICE_SEED: u64 = 42;

/// Fits the decision on `rows`: the stacked form when every row has n-gram probabilities,
/// else the weighted grid search. Returns it with its macro-F1 on `rows`.
///
/// The stack keeps the transformer only where it earns its place: where, cross-validated on
/// `rows`, the stack with it beats the stack of the n-gram model and the hits alone by more
/// than one standard error of the paired difference ([`transformer_earns_its_place`]).
/// Otherwise its weights are zero and `label` does not run it at all.
///
/// # Errors
/// A failed fit of the stacked form.
pub fn tune(rows: &[(Evidence, Label)]) -> Result<(Decision, f64)> {
    tune_with(rows, None)
}

/// As [`tune`], the stack's components given rather than chosen when `components` is `Some`.
///
/// # Errors
/// As [`tune`].
pub fn tune_with(
    rows: &[(Evidence, Label)],
    components: Option<Components>,
) -> Result<(Decision, f64)> {
    if !rows.is_empty() && rows.iter().all(|(e, _)| e.ngram.is_some()) {
        let components = match components {
            Some(given) => given,
            None if transformer_earns_its_place(rows)? => Components::All,
            None => Components::WithoutTransformer,
        };
        let stack = fit_stack(rows, components)?;
        let decision = Decision {
            stack: Some(stack),
            ..Decision::default()
        };
        let f1 = macro_f1(&decision, rows);
        Ok((decision, f1))
    } else {
        Ok(tune_weighted(rows))
    }
}

/// Whether the stack with the transformer beats the stack without it, cross-validated on
/// `rows` (the same folds for both), by more than one standard error of the per-fold
/// difference: the "one standard error" rule, which keeps the simpler and much cheaper
/// decision unless the data clearly asks for the transformer.
///
/// # Errors
/// A failed fit.
pub fn transformer_earns_its_place(rows: &[(Evidence, Label)]) -> Result<bool> {
    if rows.iter().any(|(e, _)| e.transformer.is_none()) {
        return Ok(false);
    }
    let with = fold_scores(rows, Components::All, CHOICE_FOLDS, CHOICE_SEED)?;
    let without = fold_scores(
        rows,
        Components::WithoutTransformer,
        CHOICE_FOLDS,
        CHOICE_SEED,
    )?;
    let gains: Vec<f64> = with.iter().zip(&without).map(|(a, b)| a - b).collect();
    let (mean, std) = mean_std(&gains);
    let standard_error = std / (gains.len().max(2) as f64 - 1.0).sqrt();
    Ok(mean > standard_error)
}

/// Macro-F1 of a decision on evidence rows.
pub fn macro_f1(decision: &Decision, rows: &[(Evidence, Label)]) -> f64 {
    Metrics::from_pairs(
        rows.iter()
            .map(|(e, gold)| (*gold, decision.decide(e).label)),
    )
    .macro_f1
}

/// Mean and spread of a score over folds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FoldScores {
    /// Mean macro-F1 over the folds.
    pub mean: f64,
    /// Standard deviation over the folds.
    pub std: f64,
    /// Folds.
    pub folds: usize,
}

/// K-fold cross-validated macro-F1 of the stacked decision fitted with `components`: the
/// rows are shuffled with `seed` and split into `folds` parts; each part is decided by a
/// stack fitted on the others.
///
/// # Errors
/// A failed fit.
pub fn cross_validate_stack(
    rows: &[(Evidence, Label)],
    components: Components,
    folds: usize,
    seed: u64,
) -> Result<FoldScores> {
    let scores = fold_scores(rows, components, folds, seed)?;
    let (mean, std) = mean_std(&scores);
    Ok(FoldScores {
        mean,
        std,
        folds: scores.len(),
    })
}

/// Mean and (population) standard deviation.
fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let std = (values.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n).sqrt();
    (mean, std)
}

/// Each fold's macro-F1 for [`cross_validate_stack`].
fn fold_scores(
    rows: &[(Evidence, Label)],
    components: Components,
    folds: usize,
    seed: u64,
) -> Result<Vec<f64>> {
    let folds = folds.clamp(2, rows.len().max(2));
    let mut order: Vec<usize> = (0..rows.len()).collect();
    Rng::new(seed).shuffle(&mut order);
    let mut scores = Vec::with_capacity(folds);
    for fold in 0..folds {
        let mut train = Vec::new();
        let mut test = Vec::new();
        for (position, &i) in order.iter().enumerate() {
            if position % folds == fold {
                test.push(rows[i].clone());
            } else {
                train.push(rows[i].clone());
            }
        }
        if train.is_empty() || test.is_empty() {
            continue;
        }
        let decision = Decision {
            stack: Some(fit_stack(&train, components)?),
            ..Decision::default()
        };
        scores.push(macro_f1(&decision, &test));
    }
    Ok(scores)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stack_learns_to_trust_the_component_that_is_right() {
        // The n-gram model is right on every row, the transformer on a third of them.
        let mut rng = Rng::new(3);
        let rows: Vec<(Evidence, Label)> = (0..300)
            .map(|i| {
                let gold = Label::ALL[i % 3];
                let wrong = Label::ALL[(i + 1 + rng.below(2)) % 3];
                let mut ngram = [0.1; 3];
                ngram[gold.index()] = 0.8;
                let mut transformer = [0.1; 3];
                transformer[if i % 3 == 0 { gold } else { wrong }.index()] = 0.8;
                (Evidence::new(transformer, Some(ngram), &[]), gold)
            })
            .collect();
        let stack = fit_stack(&rows, Components::All).unwrap();
        for k in 0..3 {
            assert!(stack.ngram[k] > stack.transformer[k].abs(), "{stack:?}");
        }
        let (decision, f1) = tune(&rows).unwrap();
        assert!(decision.stack.is_some());
        assert!((f1 - 1.0).abs() < 1e-9, "{f1}");
        // The transformer adds nothing the n-gram model does not know: it is left out, and
        // `label` need not run it.
        assert!(!transformer_earns_its_place(&rows).unwrap());
        assert_eq!(decision.stack.as_ref().unwrap().transformer, [0.0; 3]);
        assert!(!decision.uses_transformer());
        let cv = cross_validate_stack(&rows, Components::WithoutTransformer, 5, 1).unwrap();
        assert_eq!(cv.folds, 5);
        assert!((cv.mean - 1.0).abs() < 1e-9, "{cv:?}");
        let without = fit_stack(&rows, Components::WithoutTransformer).unwrap();
        assert_eq!(without.transformer, [0.0; 3]);
    }

    #[test]
    fn the_transformer_is_kept_where_it_knows_what_the_ngram_model_does_not() {
        // Each model is unsure (uniform) on a different third of the rows and right on the
        // rest: only together are they right everywhere.
        let rows: Vec<(Evidence, Label)> = (0..300)
            .map(|i| {
                let gold = Label::ALL[i % 3];
                let sure = |unsure: bool| {
                    let mut p = [1.0 / 3.0; 3];
                    if !unsure {
                        p = [0.1; 3];
                        p[gold.index()] = 0.8;
                    }
                    p
                };
                let third = (i / 3) % 3;
                (
                    Evidence::new(sure(third == 0), Some(sure(third == 1)), &[]),
                    gold,
                )
            })
            .collect();
        assert!(transformer_earns_its_place(&rows).unwrap());
        let (decision, _) = tune(&rows).unwrap();
        assert!(decision.uses_transformer());
        // Unless the decision is told to do without it.
        let (given, _) = tune_with(&rows, Some(Components::WithoutTransformer)).unwrap();
        assert!(!given.uses_transformer());
        assert_eq!(given.stack.unwrap().transformer, [0.0; 3]);
        // Evidence without the transformer never keeps it.
        let without: Vec<(Evidence, Label)> = rows
            .iter()
            .map(|(e, gold)| (Evidence::without_transformer(e.ngram.unwrap(), &[]), *gold))
            .collect();
        assert!(!transformer_earns_its_place(&without).unwrap());
    }
}
