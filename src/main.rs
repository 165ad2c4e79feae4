//! The `heihui` binary: parse the command line, run it, report errors once.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    heihui::model::allocator::keep_freed_activations();
    match cli::run() {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("heihui: {err:#}");
            ExitCode::from(cli::EXIT_SETUP)
        }
    }
}

/// A closed pipe (`heihui ... | head`) is a normal way for output to end.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        let kind = match cause.downcast_ref::<std::io::Error>() {
            Some(e) => Some(e.kind()),
            None => cause
                .downcast_ref::<heihui::Error>()
                .and_then(heihui::Error::io_kind),
        };
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}
