//! The logistic regression's objective and its fit by the shared L-BFGS solver.

use super::Features;
use crate::error::{ModelError, Result};

/// The fit's objective, scaled by `1 / (C n)` so the solver's tolerances mean the same for any
/// data size: mean (row-weighted) log loss plus `|W|^2 / (2 C n)`. Parameters: the weights
/// `[label][feature]` then the three intercepts.
pub(super) struct Objective<'a> {
    pub(super) x: &'a [Features],
    pub(super) y: Vec<usize>,
    /// Each row's weight in the loss (a mean of 1 keeps `C`'s meaning); `None` weighs all alike.
    pub(super) weights: Option<&'a [f64]>,
    pub(super) features: usize,
    pub(super) c: f64,
}

impl Objective<'_> {
    fn loss_and_gradient(&self, w: &[f64], gradient: Option<&mut Vec<f64>>) -> f64 {
        let f = self.features;
        let n = self.x.len() as f64;
        let bias = &w[3 * f..];
        let mut loss = 0.0;
        let mut grad = gradient;
        if let Some(g) = grad.as_deref_mut() {
            g.clear();
            g.resize(w.len(), 0.0);
        }
        for (row, (x, &y)) in self.x.iter().zip(&self.y).enumerate() {
            let weight = self.weights.map_or(1.0, |w| w[row]);
            let z: [f64; 3] = std::array::from_fn(|k| {
                let row = &w[k * f..(k + 1) * f];
                bias[k]
                    + x.iter()
                        .map(|&(i, v)| row[i as usize] * v as f64)
                        .sum::<f64>()
            });
            let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = z.iter().map(|s| (s - max).exp()).sum();
            let log_sum = max + sum.ln();
            loss += weight * (log_sum - z[y]);
            if let Some(g) = grad.as_deref_mut() {
                for k in 0..3 {
                    let d = weight * ((z[k] - log_sum).exp() - if k == y { 1.0 } else { 0.0 }) / n;
                    for &(i, v) in x {
                        g[k * f + i as usize] += d * v as f64;
                    }
                    g[3 * f + k] += d;
                }
            }
        }
        let penalty = 1.0 / (self.c * n);
        let squares: f64 = w[..3 * f].iter().map(|v| v * v).sum();
        if let Some(g) = grad {
            for (gi, wi) in g[..3 * f].iter_mut().zip(&w[..3 * f]) {
                *gi += penalty * wi;
            }
        }
        loss / n + 0.5 * penalty * squares
    }

    pub(super) fn solve(
        &self,
        max_iters: u64,
        on_iteration: &mut dyn FnMut(u64),
    ) -> Result<(Vec<f32>, [f32; 3])> {
        let tolerance = crate::model::solve::Tolerance {
            grad: 1e-6,
            cost: 1e-10,
        };
        let best = crate::model::solve::minimize(
            vec![0.0f64; 3 * self.features + 3],
            max_iters,
            tolerance,
            &|w, g| self.loss_and_gradient(w, g),
            &mut || on_iteration(1),
        )
        .map_err(ModelError::NgramFit)?;
        let f = self.features;
        let weight = best[..3 * f].iter().map(|&v| v as f32).collect();
        let bias = [
            best[3 * f] as f32,
            best[3 * f + 1] as f32,
            best[3 * f + 2] as f32,
        ];
        Ok((weight, bias))
    }
}
