//! The one place progress bars are made: on stderr, hidden when stderr is not a terminal or
//! the user asked for quiet.

use std::io::IsTerminal;

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

/// A bar over input bytes (a spinner when the size is unknown), with rate and ETA.
pub fn bytes_bar(total: Option<u64>, mode: Progress) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(total, target(mode));
    let template = if total.is_some() {
        "labelling [{bar:30}] {bytes}/{total_bytes}, {bytes_per_sec}, eta {eta}"
    } else {
        "labelling {spinner} {bytes} read, {bytes_per_sec}"
    };
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar
}
