//! The logistic regression's objective and its fit by the shared L-BFGS solver.

use super::Features;
use crate::error::{ModelError, Result};

/// When both fits stop, besides their iteration limits.
const TOLERANCE: crate::model::solve::Tolerance = crate::model::solve::Tolerance {
    grad: 1e-6,
    cost: 1e-10,
};

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
        let best = crate::model::solve::minimize(
            vec![0.0f64; 3 * self.features + 3],
            max_iters,
            TOLERANCE,
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

/// One label against the rest, over the features scaled by `scale` (the NB head's
/// log-count ratios): mean (row-weighted) log loss plus `|w|^2 / (2 C n)`, scaled as
/// [`Objective`] is. Parameters: the weights then the intercept.
pub(super) struct OneVsRest<'a> {
    pub(super) x: &'a [Features],
    /// Whether each row has the label.
    pub(super) y: Vec<bool>,
    pub(super) weights: Option<&'a [f64]>,
    /// Each feature's factor.
    pub(super) scale: &'a [f64],
    pub(super) c: f64,
}

impl OneVsRest<'_> {
    fn loss_and_gradient(&self, w: &[f64], mut grad: Option<&mut Vec<f64>>) -> f64 {
        let f = self.scale.len();
        let n = self.x.len() as f64;
        if let Some(g) = grad.as_deref_mut() {
            g.clear();
            g.resize(w.len(), 0.0);
        }
        let mut loss = 0.0;
        for (row, (x, &y)) in self.x.iter().zip(&self.y).enumerate() {
            let weight = self.weights.map_or(1.0, |w| w[row]);
            let z = w[f]
                + x.iter()
                    .map(|&(i, v)| w[i as usize] * self.scale[i as usize] * f64::from(v))
                    .sum::<f64>();
            // -ln sigmoid(m) for the margin m = +-z, computed without overflow.
            let m = if y { z } else { -z };
            loss += weight
                * (if m > 0.0 {
                    (-m).exp().ln_1p()
                } else {
                    -m + m.exp().ln_1p()
                });
            if let Some(g) = grad.as_deref_mut() {
                let p = 1.0 / (1.0 + (-z).exp());
                let d = weight * (p - if y { 1.0 } else { 0.0 }) / n;
                for &(i, v) in x {
                    g[i as usize] += d * self.scale[i as usize] * f64::from(v);
                }
                g[f] += d;
            }
        }
        let penalty = 1.0 / (self.c * n);
        if let Some(g) = grad {
            for (gi, wi) in g[..f].iter_mut().zip(&w[..f]) {
                *gi += penalty * wi;
            }
        }
        loss / n + 0.5 * penalty * w[..f].iter().map(|v| v * v).sum::<f64>()
    }

    /// The fitted weights, each times its feature's factor (so that they apply to the
    /// unscaled features), and the intercept.
    pub(super) fn solve(
        &self,
        max_iters: u64,
        on_iteration: &mut dyn FnMut(u64),
    ) -> Result<(Vec<f32>, f32)> {
        let f = self.scale.len();
        let best = crate::model::solve::minimize(
            vec![0.0f64; f + 1],
            max_iters,
            TOLERANCE,
            &|w, g| self.loss_and_gradient(w, g),
            &mut || on_iteration(1),
        )
        .map_err(ModelError::NgramFit)?;
        let weight = best[..f]
            .iter()
            .zip(self.scale)
            .map(|(w, r)| (w * r) as f32)
            .collect();
        Ok((weight, best[f] as f32))
    }
}
