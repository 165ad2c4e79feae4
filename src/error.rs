//! The library's error type: every message is lowercase, names the file (and the line, row
//! or column where there is one) and says what to do about it.

use std::path::{Path, PathBuf};

/// Everything that can go wrong in heihui's library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{}: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said (in the message, so not repeated as a source).
        cause: std::io::Error,
    },
    /// A line of a corpus or variants file is malformed.
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A row of a data file is malformed.
    #[error("{}: row {row}{}: {message}", path.display(), column.as_ref().map(|c| format!(", column {c}")).unwrap_or_default())]
    Row {
        /// The file.
        path: PathBuf,
        /// 1-based row number, counting the header as row 1.
        row: u64,
        /// The column, where one is at fault.
        column: Option<String>,
        /// What is wrong with it.
        message: String,
    },
    /// A model directory file is missing a field, has a wrong value or a wrong tensor.
    #[error("{}: {message}", path.display())]
    Model {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong, naming the field or tensor.
        message: String,
    },
    /// A corpus edit was refused; nothing was written.
    #[error("{0}")]
    Refused(String),
    /// Input that is not valid UTF-8.
    #[error("{}: invalid UTF-8 at line {line}, byte {byte}: convert the file to UTF-8", path.display())]
    Utf8 {
        /// The file, or `-` for standard input.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// 0-based byte offset within the line.
        byte: usize,
    },
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            cause: source,
        }
    }

    /// The kind of I/O error behind this one, if it is one (so that the binary can tell a
    /// closed pipe from a real failure).
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        let Error::Io { cause, .. } = self else {
            return None;
        };
        // The csv crate's writer errors arrive wrapped as `Other`; the kind is inside.
        let inner = cause
            .get_ref()
            .and_then(|e| e.downcast_ref::<csv::Error>())
            .and_then(|e| match e.kind() {
                csv::ErrorKind::Io(io) => Some(io.kind()),
                _ => None,
            });
        Some(inner.unwrap_or(cause.kind()))
    }

    /// A syntax error at `path:line`.
    pub fn syntax(path: impl AsRef<Path>, line: usize, message: impl Into<String>) -> Self {
        Error::Syntax {
            path: path.as_ref().to_path_buf(),
            line,
            message: message.into(),
        }
    }
}
