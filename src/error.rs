//! The library's error type: every message is lowercase, names the file (and the line, row
//! or column where there is one) and says what to do about it.

use std::path::{Path, PathBuf};

/// Everything that can go wrong in heihui's library: file errors any area meets, and one
/// enum per area joined by `#[from]`.
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
    /// An export would overwrite a file; nothing was written.
    #[error("{}: already exists; export into an empty or new folder", path.display())]
    Exists {
        /// The first file that is there already.
        path: PathBuf,
    },
    /// The built-in model or corpus cannot be unpacked into the temporary folder.
    #[error(
        "{}: cannot unpack the built-in {what}: {cause}; set TMPDIR to a writable folder or pass --{what} DIR",
        folder.display()
    )]
    Unpack {
        /// The temporary folder.
        folder: PathBuf,
        /// `model` or `corpus`.
        what: &'static str,
        /// What the operating system said.
        cause: std::io::Error,
    },
    /// Reading rows to label.
    #[error(transparent)]
    Input(#[from] InputError),
    /// Reading or editing the phrase corpus.
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    /// Loading, running, fitting or saving a model.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Reading labelled data.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Fitting the decision.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// Training.
    #[error(transparent)]
    Train(#[from] TrainError),
}

/// Errors reading the rows to label, found before the first row.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file has no header row.
    #[error("{}: row 1: empty file: expected a header row", path.display())]
    Empty {
        /// The file, or `-` for standard input.
        path: PathBuf,
    },
    /// The header row cannot be parsed.
    #[error("{}: row 1: unreadable header row", path.display())]
    Header {
        /// The file.
        path: PathBuf,
    },
    /// No column holds the text.
    #[error(
        "{}: row 1: {}; the columns are: {}. Name the text column with --text-column",
        path.display(),
        wanted.as_ref().map_or("no text column found".to_string(), |c| format!("no column named `{c}`")),
        columns.join(", ")
    )]
    NoTextColumn {
        /// The file.
        path: PathBuf,
        /// The column asked for with `--text-column`, if one was.
        wanted: Option<String>,
        /// The header's columns.
        columns: Vec<String>,
    },
}

/// Errors reading or editing the phrase corpus; an edit that fails writes nothing.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// A line of a corpus, variants or dictionary file is malformed.
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A category name that is not one of the corpus's.
    #[error("unknown category `{name}`: expected one of {}", crate::corpus::Category::ALL.map(crate::corpus::Category::name).join(", "))]
    UnknownCategory {
        /// The name given.
        name: String,
    },
    /// A phrase or note to add holds a tab or line break.
    #[error("a phrase or note may not contain tabs or line breaks")]
    LineBreak,
    /// A phrase to add is malformed: its weight has the wrong sign, it is too short or long,
    /// or it has no letters.
    #[error("{message}")]
    BadPhrase {
        /// What is wrong with it, as `corpus lint` says it.
        message: String,
    },
    /// A phrase to add is another's after normalisation.
    #[error("`{text}` duplicates `{existing}` in {}:{line} after normalisation; nothing was written", path.display())]
    Duplicate {
        /// The phrase given.
        text: String,
        /// The phrase already there.
        existing: String,
        /// Its file.
        path: PathBuf,
        /// Its line.
        line: usize,
    },
    /// A phrase to remove is not in the corpus.
    #[error("`{text}` is not in the corpus; `heihui corpus list` shows what is")]
    NotFound {
        /// The phrase given.
        text: String,
    },
}

/// Errors loading, running, fitting or saving a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A model directory file is missing a field, has a wrong value or a wrong tensor.
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong, naming the field or tensor.
        message: String,
    },
    /// candle failed on a model file's tensors (a missing tensor, a wrong shape).
    #[error("{}", path.display())]
    Candle {
        /// The file whose tensors were in use.
        path: PathBuf,
        /// candle's error, with its own chain.
        #[source]
        source: candle_core::Error,
    },
    /// The tokenizers crate failed on a tokenizer file.
    #[error("{}", path.display())]
    Tokenizer {
        /// The tokenizer file.
        path: PathBuf,
        /// The tokenizers crate's error.
        #[source]
        source: tokenizers::Error,
    },
    /// The n-gram part was given no rows to fit on.
    #[error("the n-gram model needs at least one labelled row")]
    NoNgramRows,
    /// The n-gram part's solver failed.
    #[error("the n-gram model's fit failed: {0}")]
    NgramFit(String),
}

/// Errors reading labelled data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A row of a labelled file is malformed.
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
}

/// Errors fitting the decision.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// No rows to fit on.
    #[error("the decision needs labelled rows to fit on")]
    NoRows,
    /// The solver failed.
    #[error("the decision's fit failed: {0}")]
    Fit(String),
}

/// Errors training a model, found before training starts.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The training or dev file has no rows.
    #[error("training needs at least one training row and one dev row")]
    NoRows,
    /// Keeping the transformer with no model to keep it from.
    #[error("keeping the transformer needs --init MODEL_DIR to take it from")]
    KeepWithoutInit,
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

    /// A syntax error at `path:line` of a corpus file.
    pub fn syntax(path: impl AsRef<Path>, line: usize, message: impl Into<String>) -> Self {
        CorpusError::Syntax {
            path: path.as_ref().to_path_buf(),
            line,
            message: message.into(),
        }
        .into()
    }

    /// A model file at fault, `message` naming the field or tensor.
    pub fn model(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        ModelError::Invalid {
            path: path.as_ref().to_path_buf(),
            message: message.into(),
        }
        .into()
    }
}
