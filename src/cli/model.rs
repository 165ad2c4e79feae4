//! `heihui model ...`: the built-in model as files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use heihui::builtin;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Write the model built into heihui to DIR (a new or empty folder): to read its card,
    /// tune it with `eval --tune --model DIR`, or start training from it with --init DIR
    Export {
        /// The folder to write
        dir: PathBuf,
    },
}

pub fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Export { dir } => {
            let n = builtin::export(builtin::MODEL, &dir)?;
            eprintln!(
                "wrote the built-in model {} ({n} files) to {}",
                builtin::MODEL_NAME,
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
