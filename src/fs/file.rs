//! [`AtomicFile`]: one file written in place of a target, renamed over it on commit (a FIFO
//! is streamed to directly).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{
    discard, folder_of, forget, listed_temporary, plain, resolve, temporaries, unwritable_folder,
    Target,
};
use crate::error::{Error, Result};

enum Sink {
    Temp(tempfile::NamedTempFile),
    Stream(std::fs::File),
}

/// A file being written in place of a target. Writes are not buffered: wrap it (or the
/// handle from [`AtomicFile::handle`]) in a buffered writer.
pub struct AtomicFile {
    /// The path as the user gave it, for messages.
    shown: PathBuf,
    /// The file renamed over (a symlink resolved).
    target: PathBuf,
    /// `None` once committed.
    sink: Option<Sink>,
}

impl std::fmt::Debug for AtomicFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicFile")
            .field("target", &self.target)
            .finish()
    }
}

impl AtomicFile {
    /// Starts writing a replacement for `target` (see the module's header for symlinks,
    /// FIFOs and what is refused).
    ///
    /// # Errors
    /// A folder, device or socket target, a missing folder, or a folder that cannot be
    /// written to, naming `target` as given.
    pub fn create(target: &Path) -> Result<Self> {
        let resolved = match resolve(target)? {
            Target::Stream => {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(target)
                    .map_err(|e| Error::io(target, e))?;
                return Ok(AtomicFile {
                    shown: target.to_path_buf(),
                    target: target.to_path_buf(),
                    sink: Some(Sink::Stream(file)),
                });
            }
            Target::Replace(path) => path,
        };
        let folder = folder_of(&resolved);
        let temp = listed_temporary(&resolved, |b| b.tempfile_in(&folder))
            .map_err(|e| unwritable_folder(target, &folder, &e))?;
        // A temporary file is private (0600); the replacement keeps the target's permissions,
        // or gets a new file's usual ones.
        let permissions = match std::fs::metadata(&resolved) {
            Ok(m) => m.permissions(),
            Err(_) => new_file_permissions(),
        };
        let file = AtomicFile {
            shown: target.to_path_buf(),
            target: resolved,
            sink: Some(Sink::Temp(temp)),
        };
        file.file()
            .set_permissions(permissions)
            .map_err(|e| Error::io(target, e))?;
        Ok(file)
    }

    fn file(&self) -> &std::fs::File {
        match self.sink.as_ref().expect("not committed") {
            Sink::Temp(t) => t.as_file(),
            Sink::Stream(f) => f,
        }
    }

    /// The file that [`AtomicFile::commit`] replaces.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// A second handle on the file being written, for a writer that must own its sink: what
    /// it writes (once it is flushed) is what [`AtomicFile::commit`] keeps.
    ///
    /// # Errors
    /// The operating system cannot duplicate the handle.
    pub fn handle(&self) -> Result<std::fs::File> {
        self.file()
            .try_clone()
            .map_err(|e| Error::io(&self.shown, e))
    }

    /// Syncs the temporary file and renames it over the target (for a FIFO: nothing to do).
    ///
    /// # Errors
    /// A failed sync or rename (naming the target as given); the temporary file is removed.
    pub fn commit(mut self) -> Result<()> {
        let temp = match self.sink.take().expect("committed once") {
            Sink::Stream(_) => return Ok(()),
            Sink::Temp(temp) => temp,
        };
        let temp_path = temp.path().to_path_buf();
        let result = (|| {
            temp.as_file()
                .sync_all()
                .map_err(|e| Error::io(&self.shown, e))?;
            // Under the list's lock: a signal's clean-up either sees the temporary file or
            // finds the target already replaced.
            let mut list = temporaries();
            let persisted = temp.persist(&self.target);
            forget(&mut list, &temp_path);
            persisted.map_err(|e| Error::io(&self.shown, plain(&e.error)))?;
            Ok(())
        })();
        forget(&mut temporaries(), &temp_path);
        result
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(Sink::Temp(temp)) = self.sink.take() {
            discard(temp);
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.sink.as_mut().expect("not committed") {
            Sink::Temp(t) => t.write(buf),
            Sink::Stream(f) => f.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.sink.as_mut().expect("not committed") {
            Sink::Temp(t) => t.flush(),
            Sink::Stream(f) => f.flush(),
        }
    }
}

#[cfg(unix)]
fn new_file_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o644)
}

#[cfg(not(unix))]
fn new_file_permissions() -> std::fs::Permissions {
    tempfile::tempfile()
        .and_then(|f| f.metadata())
        .map(|m| m.permissions())
        .expect("a temporary file can be made")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::write_atomic;

    #[test]
    fn commit_replaces_and_drop_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, "old").unwrap();
        {
            let mut f = AtomicFile::create(&path).unwrap();
            f.write_all(b"half").unwrap();
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
