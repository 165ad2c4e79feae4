//! Probability rows: the softmax of the stacked decision's and the n-gram model's scores,
//! windows pooled into a text's probabilities, and the argmax label.

use super::{Pooling, Probabilities};
use crate::labels::Label;

/// Softmax of three scores: the probabilities of the stacked decision and the n-gram model.
pub fn softmax(scores: &[f32; 3]) -> [f32; 3] {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp = scores.map(|s| (s - max).exp());
    let sum: f32 = exp.iter().sum();
    exp.map(|e| e / sum)
}

/// The pooled probabilities of one text's windows; a text without windows is normal.
pub fn pool(windows: &[Probabilities], pooling: Pooling) -> Probabilities {
    let normal = Label::Normal.index();
    match (windows, pooling) {
        ([], _) => {
            let mut p = [0.0; 3];
            p[normal] = 1.0;
            p
        }
        ([one], _) => *one,
        (many, Pooling::Mean) => {
            let mut p = [0.0f32; 3];
            for w in many {
                for (a, b) in p.iter_mut().zip(w) {
                    *a += b;
                }
            }
            p.map(|v| v / many.len() as f32)
        }
        (many, Pooling::Max) => *many
            .iter()
            .min_by(|a, b| a[normal].total_cmp(&b[normal]))
            .expect("not empty"),
    }
}

/// Argmax of a probability row, as a label.
pub fn argmax(p: &Probabilities) -> Label {
    let mut best = 0;
    for i in 1..p.len() {
        if p[i] > p[best] {
            best = i;
        }
    }
    Label::ALL[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_by_mean_or_by_the_most_suspicious_window() {
        let windows = [[0.9, 0.05, 0.05], [0.2, 0.1, 0.7], [0.7, 0.2, 0.1]];
        assert_eq!(pool(&windows, Pooling::Max), [0.2, 0.1, 0.7]);
        let mean = pool(&windows, Pooling::Mean);
        assert!((mean[0] - 0.6).abs() < 1e-6 && (mean[2] - 0.85 / 3.0).abs() < 1e-6);
        assert_eq!(pool(&windows[..1], Pooling::Max), windows[0]);
        assert_eq!(pool(&[], Pooling::Mean), [1.0, 0.0, 0.0]);
    }
}
