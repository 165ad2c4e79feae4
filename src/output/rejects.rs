//! The rejects file: every unreadable record with its source, line and reason.

use super::table::guard;
use super::FormulaGuard;
use crate::error::{Error, Result};
use crate::input::Reject;

/// Writes rejected records: `source,line,reason,raw`, into a temporary file that replaces
/// the rejects file at [`RejectWriter::finish`].
pub struct RejectWriter {
    writer: csv::Writer<crate::fs::AtomicFile>,
    path: std::path::PathBuf,
    count: u64,
}

impl RejectWriter {
    /// Starts the rejects file.
    ///
    /// # Errors
    /// An unwritable path.
    pub fn create(path: &std::path::Path) -> Result<Self> {
        let file = crate::fs::AtomicFile::create(path)?;
        let mut writer = csv::Writer::from_writer(file);
        writer
            .write_record(["source", "line", "reason", "raw"])
            .map_err(|e| Error::io(path, e.into()))?;
        Ok(RejectWriter {
            writer,
            path: path.to_path_buf(),
            count: 0,
        })
    }

    /// Records one rejected record.
    ///
    /// # Errors
    /// A failed write.
    pub fn write(&mut self, source: &str, reject: &Reject) -> Result<()> {
        self.count += 1;
        self.writer
            .write_record([
                source,
                &reject.line.to_string(),
                &reject.reason,
                &guard(&reject.raw, FormulaGuard::On),
            ])
            .map_err(|e| Error::io(&self.path, e.into()))
    }

    /// Rejects written.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Flushes the file and puts it in place of the rejects file.
    ///
    /// # Errors
    /// A failed write or rename.
    pub fn finish(self) -> Result<()> {
        self.writer
            .into_inner()
            .map_err(|e| Error::io(&self.path, e.into_error()))?
            .commit()
    }
}
