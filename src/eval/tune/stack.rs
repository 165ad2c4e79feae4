//! The stacked decision's fit: multinomial logistic regression of the gold label on each
//! component's log-probabilities, the supporting hits and the warning.

use crate::decide::{Evidence, Stack};
use crate::error::{EvalError, Result};
use crate::labels::Label;

use super::Components;

/// L2 penalty on the stack's weights (not its intercepts), relative to the mean log loss.
/// With about 15 weights and a dev split of hundreds of rows it only keeps the fit finite
/// when a component separates the rows perfectly.
pub const STACK_L2: f64 = 1e-3;

/// Least weight a trade label's supporting hits keep in the stacked decision. Where the
/// n-gram model already knows a phrase, a free fit gives hits a weight near zero (or below):
/// this floor keeps the promise that a phrase added to the corpus moves the label at once.
/// At 0.25 a weight-1 phrase adds a quarter to the label's log-odds, half of what the
/// weighted form's default gives it.
pub const MIN_HIT_WEIGHT: f64 = 0.25;

/// The stack's features for one label of one row: transformer log-probability, n-gram
/// log-probability, supporting hits, warning.
fn features(e: &Evidence, label: usize) -> [f64; 4] {
    let ln = |p: f32| f64::from(p.max(1e-7)).ln();
    let ngram = e.ngram.map_or(0.0, |n| ln(n[label]));
    [
        e.transformer.map_or(0.0, |p| ln(p[label])),
        ngram,
        f64::from(e.support[label]),
        f64::from(e.warning),
    ]
}

/// Fits the stacked decision's weights by multinomial logistic regression on `rows` (mean log
/// loss plus [`STACK_L2`] on the weights).
///
/// # Errors
/// No rows, or a solver failure.
pub fn fit_stack(rows: &[(Evidence, Label)], components: Components) -> Result<Stack> {
    if rows.is_empty() {
        return Err(EvalError::NoRows.into());
    }
    let mut problem = StackProblem {
        x: rows
            .iter()
            .map(|(e, _)| std::array::from_fn(|k| features(e, k)))
            .collect(),
        y: rows.iter().map(|(_, l)| l.index()).collect(),
        components,
        fixed_hits: None,
    };
    let free = solve_stack(&problem)?;
    // A trade label whose hits came out under the floor: fit again with its hit weight held
    // at the floor (the others keep what they found).
    let held: [Option<f64>; 3] = std::array::from_fn(|k| {
        let weight = free[k * 5 + 2];
        (Label::ALL[k] != Label::Normal && weight < MIN_HIT_WEIGHT).then_some(MIN_HIT_WEIGHT)
    });
    let w = if held.iter().any(Option::is_some) {
        problem.fixed_hits = Some(held);
        solve_stack(&problem)?
    } else {
        free
    };
    let w = problem.masked(&w);
    let pick = |j: usize| std::array::from_fn(|k| w[k * 5 + j] as f32);
    Ok(Stack {
        transformer: pick(0),
        ngram: pick(1),
        hits: pick(2),
        warning: pick(3),
        bias: pick(4),
    })
}

/// Minimises the stack's objective from a neutral start.
fn solve_stack(problem: &StackProblem) -> Result<Vec<f64>> {
    let components = problem.components;
    // Start from "trust each model's log-probability once, hits as the weighted form does".
    let mut start = vec![0.0f64; PARAMS];
    for k in 0..3 {
        start[k * 5] = if components == Components::All {
            0.5
        } else {
            0.0
        };
        start[k * 5 + 1] = 0.5;
        start[k * 5 + 2] = 0.5;
        start[k * 5 + 3] = if k == 0 { 0.0 } else { 0.5 };
    }
    let tolerance = crate::model::solve::Tolerance {
        grad: 1e-8,
        cost: 1e-12,
    };
    let w = crate::model::solve::minimize(
        start,
        500,
        tolerance,
        &|w, g| problem.loss_and_gradient(w, g),
        &mut || {},
    )
    .map_err(EvalError::Fit)?;
    Ok(problem.masked(&w))
}

/// Parameters: per label, weights for the four features then an intercept.
const PARAMS: usize = 15;

struct StackProblem {
    x: Vec<[[f64; 4]; 3]>,
    y: Vec<usize>,
    components: Components,
    /// Hit weights held at a value instead of fitted, per label.
    fixed_hits: Option<[Option<f64>; 3]>,
}

impl StackProblem {
    fn masked(&self, w: &[f64]) -> Vec<f64> {
        let mut w = w.to_vec();
        if self.components == Components::WithoutTransformer {
            for k in 0..3 {
                w[k * 5] = 0.0;
            }
        }
        if let Some(fixed) = self.fixed_hits {
            for (k, v) in fixed.iter().enumerate() {
                if let Some(v) = v {
                    w[k * 5 + 2] = *v;
                }
            }
        }
        w
    }

    fn loss_and_gradient(&self, w: &[f64], mut grad: Option<&mut Vec<f64>>) -> f64 {
        let w = self.masked(w);
        let n = self.x.len() as f64;
        if let Some(g) = grad.as_deref_mut() {
            g.clear();
            g.resize(PARAMS, 0.0);
        }
        let mut loss = 0.0;
        for (x, &y) in self.x.iter().zip(&self.y) {
            let z: [f64; 3] = std::array::from_fn(|k| {
                w[k * 5 + 4] + (0..4).map(|j| w[k * 5 + j] * x[k][j]).sum::<f64>()
            });
            let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let log_sum = max + z.iter().map(|s| (s - max).exp()).sum::<f64>().ln();
            loss += log_sum - z[y];
            if let Some(g) = grad.as_deref_mut() {
                for k in 0..3 {
                    let d = ((z[k] - log_sum).exp() - f64::from(u8::from(k == y))) / n;
                    for j in 0..4 {
                        g[k * 5 + j] += d * x[k][j];
                    }
                    g[k * 5 + 4] += d;
                }
            }
        }
        let mut penalty = 0.0;
        for k in 0..3 {
            for j in 0..4 {
                penalty += 0.5 * STACK_L2 * w[k * 5 + j] * w[k * 5 + j];
                if let Some(g) = grad.as_deref_mut() {
                    g[k * 5 + j] += STACK_L2 * w[k * 5 + j];
                }
            }
        }
        if let Some(g) = grad {
            for k in 0..3 {
                if self.components == Components::WithoutTransformer {
                    g[k * 5] = 0.0;
                }
                if self.fixed_hits.is_some_and(|f| f[k].is_some()) {
                    g[k * 5 + 2] = 0.0;
                }
            }
        }
        loss / n + penalty
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trade_hits_keep_at_least_the_floor_weight() {
        // Hits that say nothing the n-gram model does not already say: a free fit would give
        // them no weight; the floor keeps a new phrase effective.
        let rows: Vec<(Evidence, Label)> = (0..300)
            .map(|i| {
                let gold = Label::ALL[i % 3];
                let mut ngram = [0.1; 3];
                ngram[gold.index()] = 0.8;
                let mut e = Evidence::new([1.0 / 3.0; 3], Some(ngram), &[]);
                if i % 2 == 0 {
                    e.support = [0.0, 1.0, 1.0];
                }
                (e, gold)
            })
            .collect();
        let stack = fit_stack(&rows, Components::All).unwrap();
        for label in [Label::MaliciousComplaint, Label::DebtOptimization] {
            assert!(
                f64::from(stack.hits[label.index()]) >= MIN_HIT_WEIGHT - 1e-6,
                "{stack:?}"
            );
        }
    }
}
