//! Minimising a smooth loss with L-BFGS (argmin's, with More-Thuente line search): the one
//! solver behind the n-gram model's fit and the stacked decision's. A caller gives the loss
//! and, when asked, its gradient in one function over `&[f64]`.

use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;

/// A loss that also writes its gradient into the vector when one is given.
pub type LossFn<'a> = dyn Fn(&[f64], Option<&mut Vec<f64>>) -> f64 + 'a;

/// When to stop, besides the iteration limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Stop when the gradient's norm falls under this.
    pub grad: f64,
    /// Stop when the loss changes by less than this.
    pub cost: f64,
}

/// The parameters that minimise `loss`, from `start`, in at most `max_iters` iterations;
/// `on_gradient` is told of each gradient evaluation, for progress.
///
/// # Errors
/// The solver's own failure, in words.
pub fn minimize(
    start: Vec<f64>,
    max_iters: u64,
    tolerance: Tolerance,
    loss: &LossFn<'_>,
    on_gradient: &mut dyn FnMut(),
) -> Result<Vec<f64>, String> {
    let problem = Problem {
        loss,
        on_gradient: std::cell::RefCell::new(on_gradient),
    };
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
        .with_tolerance_grad(tolerance.grad)
        .and_then(|s| s.with_tolerance_cost(tolerance.cost))
        .map_err(|e| e.to_string())?;
    let result = Executor::new(problem, solver)
        .configure(|state| state.param(start).max_iters(max_iters))
        .run()
        .map_err(|e| e.to_string())?;
    result
        .state()
        .get_best_param()
        .cloned()
        .ok_or_else(|| "no solution found".to_string())
}

struct Problem<'a, 'b> {
    loss: &'a LossFn<'a>,
    on_gradient: std::cell::RefCell<&'b mut dyn FnMut()>,
}

impl CostFunction for Problem<'_, '_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, w: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        Ok((self.loss)(w, None))
    }
}

impl Gradient for Problem<'_, '_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, w: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        let mut g = Vec::new();
        (self.loss)(w, Some(&mut g));
        (self.on_gradient.borrow_mut())();
        Ok(g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_a_quadratic() {
        // (x - 3)^2 + 2 (y + 1)^2
        let loss = |w: &[f64], g: Option<&mut Vec<f64>>| {
            if let Some(g) = g {
                *g = vec![2.0 * (w[0] - 3.0), 4.0 * (w[1] + 1.0)];
            }
            (w[0] - 3.0).powi(2) + 2.0 * (w[1] + 1.0).powi(2)
        };
        let mut calls = 0;
        let tolerance = Tolerance {
            grad: 1e-10,
            cost: 1e-14,
        };
        let w = minimize(vec![0.0, 0.0], 100, tolerance, &loss, &mut || calls += 1).unwrap();
        assert!(
            (w[0] - 3.0).abs() < 1e-6 && (w[1] + 1.0).abs() < 1e-6,
            "{w:?}"
        );
        assert!(calls > 0);
    }
}
