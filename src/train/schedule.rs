//! The training schedule: the learning rate by step, class weights, and batches of rows of
//! similar length.

use crate::data::Example;
use crate::rng::Rng;

/// Linear warm-up to `peak`, then linear decay to zero.
pub(super) fn learning_rate(peak: f64, step: u64, warmup: u64, total: u64) -> f64 {
    if step < warmup {
        peak * (step + 1) as f64 / warmup as f64
    } else {
        let left = total.saturating_sub(step) as f64;
        let span = total.saturating_sub(warmup).max(1) as f64;
        peak * (left / span).max(0.0)
    }
}

/// Inverse-frequency class weights, normalised so a balanced set weighs 1 each.
pub(super) fn class_weights(rows: &[Example]) -> [f32; 3] {
    let mut counts = [0usize; 3];
    for r in rows {
        counts[r.label.index()] += 1;
    }
    counts.map(|n| {
        if n == 0 {
            0.0
        } else {
            rows.len() as f32 / (3.0 * n as f32)
        }
    })
}

/// Shuffled batches of rows of similar length: rows are shuffled, sorted by length within
/// windows of 50 batches, cut into batches, and the batches shuffled.
/// `tokens` gives a row's length.
pub(super) fn length_bucketed_batches<'a, T>(
    rows: &'a [T],
    tokens: impl Fn(&T) -> usize,
    batch_size: usize,
    rng: &mut Rng,
) -> Vec<Vec<&'a T>> {
    let mut order: Vec<&T> = rows.iter().collect();
    rng.shuffle(&mut order);
    let mut batches = Vec::new();
    for window in order.chunks_mut(batch_size * 50) {
        window.sort_by_key(|row| tokens(row));
        batches.extend(window.chunks(batch_size).map(<[_]>::to_vec));
    }
    rng.shuffle(&mut batches);
    batches
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::Label;

    #[test]
    fn schedule_warms_up_then_decays() {
        assert!((learning_rate(1.0, 0, 10, 100) - 0.1).abs() < 1e-9);
        assert!((learning_rate(1.0, 9, 10, 100) - 1.0).abs() < 1e-9);
        assert!((learning_rate(1.0, 55, 10, 100) - 0.5).abs() < 1e-9);
        assert_eq!(learning_rate(1.0, 100, 10, 100), 0.0);
    }

    #[test]
    fn class_weights_balance_counts() {
        let row = |label| Example {
            id: String::new(),
            text: String::new(),
            label,
            row: 0,
            genre: None,
            hard: None,
        };
        let rows = vec![
            row(Label::Normal),
            row(Label::Normal),
            row(Label::MaliciousComplaint),
            row(Label::DebtOptimization),
        ];
        let w = class_weights(&rows);
        assert!((w[0] * 2.0 - w[1]).abs() < 1e-6);
        assert!((w[1] - w[2]).abs() < 1e-6);
    }

    #[test]
    fn batches_cover_every_row_once() {
        let rows: Vec<(Vec<u32>, Label)> =
            (0..103).map(|i| (vec![0; i % 17], Label::Normal)).collect();
        let batches = length_bucketed_batches(
            &rows,
            |(ids, _): &(Vec<u32>, Label)| ids.len(),
            10,
            &mut Rng::new(1),
        );
        assert_eq!(batches.len(), 11);
        assert_eq!(batches.iter().map(Vec::len).sum::<usize>(), 103);
    }
}
