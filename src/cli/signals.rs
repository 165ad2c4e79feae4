//! SIGINT and SIGTERM: the temporary files of an unfinished write are removed and the process
//! exits as a shell reports a killed job, 128 plus the signal (130 for SIGINT, 143 for
//! SIGTERM), so that a script can tell an interrupted run from a finished one.

/// Starts a thread that waits for SIGINT or SIGTERM, then removes every temporary file still
/// open ([`heihui::fs::remove_temporaries`]) and exits. The removal runs on that thread, not
/// in a signal handler, so it may take locks and touch the file system.
#[cfg(unix)]
pub fn clean_up_on_signal() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        // Without the handler the default action still stops the process; only the
        // clean-up is lost.
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let _held = heihui::fs::remove_temporaries();
            std::process::exit(128 + signal);
        }
    });
}

/// Elsewhere the default handling stays.
#[cfg(not(unix))]
pub fn clean_up_on_signal() {}
