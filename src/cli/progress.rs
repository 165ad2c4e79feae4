//! The one place progress bars are made: on stderr, hidden when stderr is not a terminal or
//! the user asked for quiet.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether progress may be drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Draw on stderr when it is a terminal.
    Auto,
    /// Never draw (`--quiet`).
    Hidden,
}

impl Progress {
    /// From a `--quiet` flag.
    pub fn from_quiet(quiet: bool) -> Self {
        if quiet {
            Progress::Hidden
        } else {
            Progress::Auto
        }
    }
}

/// A bar counting `total` rows, with rate and ETA.
pub fn rows_bar(total: u64, what: &str, mode: Progress) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), target(mode));
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} rows, {per_sec}, eta {eta}")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

fn target(mode: Progress) -> ProgressDrawTarget {
    if mode == Progress::Hidden || !std::io::stderr().is_terminal() {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    }
}

/// A bar counting training steps, with a message (loss, dev F1) and ETA.
pub fn steps_bar(total: u64, mode: Progress) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), target(mode));
    bar.set_style(
        ProgressStyle::with_template("[{bar:30}] {pos}/{len} steps, {msg}, eta {eta}")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar
}

/// A rate (units per second): the plain average over the first `window`, then smoothed
/// exponentially over about `window`, so that a burst (the first chunk of rows arriving at
/// once, a warm cache) fades within a few windows instead of weighing on the estimate for
/// the whole run, and no estimate is given from the first instant alone.
#[derive(Debug, Clone)]
pub struct SmoothedRate {
    window: f64,
    first: Option<(f64, u64)>,
    last: Option<(f64, u64)>,
    rate: Option<f64>,
}

/// Seconds of progress needed before any rate is given.
const FIRST_RATE_AFTER: f64 = 0.25;

impl SmoothedRate {
    /// A rate smoothed over about `window`.
    pub fn new(window: Duration) -> Self {
        SmoothedRate {
            window: window.as_secs_f64().max(1e-3),
            first: None,
            last: None,
            rate: None,
        }
    }

    /// Records that `position` units were done `at` seconds into the run.
    pub fn record(&mut self, at: f64, position: u64) {
        let (Some((t0, p0)), Some((t1, p1))) = (self.first, self.last) else {
            self.first = Some((at, position));
            self.last = Some((at, position));
            return;
        };
        let (dt, since_first) = (at - t1, at - t0);
        if dt <= 0.0 || position < p1 {
            return;
        }
        self.last = Some((at, position));
        if since_first < FIRST_RATE_AFTER {
            return;
        }
        if since_first <= self.window || self.rate.is_none() {
            self.rate = Some((position - p0) as f64 / since_first);
            return;
        }
        let now = (position - p1) as f64 / dt;
        let weight = 1.0 - (-dt / self.window).exp();
        let rate = self.rate.unwrap_or(now);
        self.rate = Some(rate + weight * (now - rate));
    }

    /// Units per second, once two positions are known.
    pub fn per_second(&self) -> Option<f64> {
        self.rate
    }

    /// Seconds until `total` at the smoothed rate, from the last recorded position.
    pub fn eta(&self, total: u64) -> Option<f64> {
        let (_, position) = self.last?;
        let rate = self.rate.filter(|r| *r > 0.0)?;
        Some(total.saturating_sub(position) as f64 / rate)
    }
}

/// `label`'s bar: rows done and rows per second, and the ETA from the input bytes those rows
/// came from at a smoothed byte rate (rows vary in length, bytes say how much is left).
#[derive(Debug)]
pub struct LabelBar {
    bar: ProgressBar,
    started: Instant,
    total_bytes: Option<u64>,
    bytes: SmoothedRate,
    rows: SmoothedRate,
}

impl LabelBar {
    /// A bar over `total_bytes` of input (a spinner when standard input makes it unknown).
    pub fn new(total_bytes: Option<u64>, mode: Progress) -> Self {
        let bar = ProgressBar::with_draw_target(total_bytes, target(mode));
        let template = if total_bytes.is_some() {
            "labelling [{bar:30}] {msg}"
        } else {
            "labelling {spinner} {msg}"
        };
        bar.set_style(
            ProgressStyle::with_template(template)
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        LabelBar {
            bar,
            started: Instant::now(),
            total_bytes,
            bytes: SmoothedRate::new(Duration::from_secs(5)),
            rows: SmoothedRate::new(Duration::from_secs(5)),
        }
    }

    /// `rows` labelled so far, from the first `bytes` of the input.
    pub fn update(&mut self, rows: u64, bytes: u64) {
        let at = self.started.elapsed().as_secs_f64();
        self.bytes.record(at, bytes);
        self.rows.record(at, rows);
        self.bar.set_message(label_message(
            rows,
            self.rows.per_second(),
            self.total_bytes.and_then(|t| self.bytes.eta(t)),
        ));
        self.bar.set_position(bytes);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// Whether the bar is drawn at all.
    #[cfg(test)]
    pub fn is_hidden(&self) -> bool {
        self.bar.is_hidden()
    }
}

/// `1,234 rows, 2,830 rows/s, eta 12s`.
fn label_message(rows: u64, per_second: Option<f64>, eta: Option<f64>) -> String {
    let mut message = format!("{rows} rows");
    if let Some(rate) = per_second {
        message.push_str(&format!(", {rate:.0} rows/s"));
    }
    if let Some(eta) = eta {
        let secs = eta.round() as u64;
        let eta = if secs >= 3600 {
            format!("{}h{:02}m", secs / 3600, secs % 3600 / 60)
        } else if secs >= 60 {
            format!("{}m{:02}s", secs / 60, secs % 60)
        } else {
            format!("{secs}s")
        };
        message.push_str(&format!(", eta {eta}"));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_rate_gives_the_exact_eta() {
        let mut rate = SmoothedRate::new(Duration::from_secs(5));
        for second in 0..=10 {
            rate.record(second as f64, second * 100);
        }
        assert_eq!(rate.per_second(), Some(100.0));
        assert_eq!(rate.eta(3000), Some(20.0));
    }

    #[test]
    fn a_burst_at_the_start_fades_from_the_estimate() {
        // The reader fills its queues: 1,000 bytes in the first 0.1 s, then 100 bytes/s.
        let mut rate = SmoothedRate::new(Duration::from_secs(5));
        rate.record(0.0, 0);
        rate.record(0.1, 1000);
        let mut at = 0.1;
        let mut position = 1000;
        while at < 60.0 {
            at += 0.5;
            position += 50;
            rate.record(at, position);
        }
        let per_second = rate.per_second().unwrap();
        assert!((per_second - 100.0).abs() < 1.0, "{per_second}");
        // A plain average over the run would still say more than 115 bytes/s.
        let average = position as f64 / at;
        assert!(average > 115.0, "{average}");
    }

    #[test]
    fn no_rate_no_eta() {
        let mut rate = SmoothedRate::new(Duration::from_secs(5));
        assert_eq!(rate.eta(10), None);
        rate.record(1.0, 10);
        assert_eq!(rate.eta(10), None);
        // A first chunk of rows all at once says nothing yet.
        rate.record(1.01, 500);
        assert_eq!(rate.eta(1000), None);
        rate.record(2.0, 600);
        assert_eq!(rate.per_second(), Some(590.0));
    }

    #[test]
    fn the_label_message_counts_rows() {
        assert_eq!(label_message(0, None, None), "0 rows");
        assert_eq!(
            label_message(1234, Some(2830.4), Some(75.2)),
            "1234 rows, 2830 rows/s, eta 1m15s"
        );
        assert_eq!(
            label_message(5, Some(1.0), Some(7300.0)),
            "5 rows, 1 rows/s, eta 2h01m"
        );
    }

    #[test]
    fn quiet_hides_the_bar() {
        assert!(LabelBar::new(Some(10), Progress::Hidden).is_hidden());
    }
}
