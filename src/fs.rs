//! Writing files so that a reader never sees half of one. [`AtomicFile`] writes into a
//! temporary file in the target's folder, flushes and syncs it, then renames it over the
//! target; [`AtomicDir`] does the same for a whole folder (a model directory). A temporary
//! that is dropped before its `commit` (an error, a panic) is removed, and every temporary
//! still open is listed so that the binary can remove them on SIGINT or SIGTERM
//! ([`remove_temporaries`]).
//!
//! The target is checked when writing starts, so that a bad `-o` stops a run before any work:
//! a symlink is written through (the link stays, its target is replaced, created when it
//! dangles); a folder, a device or a socket is refused; a FIFO is streamed to without a
//! temporary file (renaming over it would cut off the reader waiting on it); a missing or
//! unwritable folder is an error naming the user's path, never the hidden temporary one.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::error::{Error, Result};

/// The temporary files and folders not yet committed or dropped.
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temporaries() -> MutexGuard<'static, Vec<PathBuf>> {
    TEMPORARIES.lock().unwrap_or_else(PoisonError::into_inner)
}

fn forget(list: &mut Vec<PathBuf>, path: &Path) {
    list.retain(|p| p != path);
}

/// Holds off every commit while it lives: returned by [`remove_temporaries`], so that no
/// rename can happen between the clean-up and the process's exit.
#[derive(Debug)]
pub struct TemporariesRemoved(#[allow(dead_code)] MutexGuard<'static, Vec<PathBuf>>);

/// Removes every temporary file and folder still open, for a process about to exit on a
/// signal. Commits wait until the returned guard is dropped, so a target is either fully
/// replaced or left as it was.
pub fn remove_temporaries() -> TemporariesRemoved {
    let mut list = temporaries();
    for path in list.drain(..) {
        let _ = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
    }
    TemporariesRemoved(list)
}

/// What a path to be written names today.
enum Target {
    /// A regular file or nothing yet: replaced through a temporary file at this path.
    Replace(PathBuf),
    /// A FIFO: written to directly.
    Stream,
}

fn refused(shown: &Path, message: &str) -> Error {
    Error::io(shown, io::Error::new(io::ErrorKind::InvalidInput, message))
}

/// Where writing `shown` goes, checked: its folder exists, and it is not a folder, a device
/// or a socket.
fn resolve(shown: &Path) -> Result<Target> {
    let path = match std::fs::metadata(shown) {
        Ok(m) if m.is_dir() => return Err(refused(shown, "is a folder: name a file to write")),
        Ok(m) if is_fifo(&m) => return Ok(Target::Stream),
        Ok(m) if !m.is_file() => {
            return Err(refused(
                shown,
                "is a device or socket, not a file: name a file, or leave out -o and redirect \
                 standard output",
            ))
        }
        Ok(_) => std::fs::canonicalize(shown).map_err(|e| Error::io(shown, e))?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => dangling_target(shown)?,
        Err(e) => return Err(Error::io(shown, e)),
    };
    let folder = folder_of(&path);
    if !folder.is_dir() {
        return Err(refused(
            shown,
            &format!("the folder {} does not exist", folder.display()),
        ));
    }
    Ok(Target::Replace(path))
}

/// The file a path that does not exist yet would create: the end of its chain of symlinks.
fn dangling_target(shown: &Path) -> Result<PathBuf> {
    let mut path = shown.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&path).map_err(|e| Error::io(shown, e))?;
                path = folder_of(&path).join(link);
            }
            _ => return Ok(path),
        }
    }
    Err(refused(shown, "too many levels of symbolic links"))
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The operating system's own words for an error, without the temporary path that the
/// tempfile crate adds to them.
fn plain(e: &io::Error) -> io::Error {
    e.raw_os_error()
        .map_or_else(|| io::Error::from(e.kind()), io::Error::from_raw_os_error)
}

fn unwritable_folder(shown: &Path, folder: &Path, e: &io::Error) -> Error {
    let cause = plain(e);
    Error::io(
        shown,
        io::Error::new(
            cause.kind(),
            format!("cannot write in the folder {}: {cause}", folder.display()),
        ),
    )
}

fn temp_name(target: &Path) -> String {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}.")
}

/// Checks that `target` could be written, as [`AtomicFile::create`] would, without creating
/// anything: for a file that is opened only when there is something to write in it.
///
/// # Errors
/// As [`AtomicFile::create`].
pub fn check_writable(target: &Path) -> Result<()> {
    if let Target::Replace(path) = resolve(target)? {
        let folder = folder_of(&path);
        tempfile::Builder::new()
            .prefix(&temp_name(&path))
            .suffix(".tmp")
            .tempfile_in(&folder)
            .map_err(|e| unwritable_folder(target, &folder, &e))?;
    }
    Ok(())
}

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
        let mut list = temporaries();
        let temp = tempfile::Builder::new()
            .prefix(&temp_name(&resolved))
            .suffix(".tmp")
            .tempfile_in(&folder)
            .map_err(|e| unwritable_folder(target, &folder, &e))?;
        list.push(temp.path().to_path_buf());
        drop(list);
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
            let path = temp.path().to_path_buf();
            drop(temp);
            forget(&mut temporaries(), &path);
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

/// A folder being written in place of a target folder: filled at [`AtomicDir::path`], then
/// swapped in whole by [`AtomicDir::commit`], so a reader never sees a checkpoint half
/// written or a mix of two.
pub struct AtomicDir {
    target: PathBuf,
    /// `None` once committed.
    temp: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for AtomicDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicDir")
            .field("target", &self.target)
            .finish()
    }
}

impl AtomicDir {
    /// Starts a replacement for the folder `target`, creating its parent folders.
    ///
    /// # Errors
    /// `target` is a file, or its parent cannot be created or written to.
    pub fn create(target: &Path) -> Result<Self> {
        if target.exists() && !target.is_dir() {
            return Err(refused(target, "is not a folder"));
        }
        let parent = folder_of(target);
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(target, e))?;
        let mut list = temporaries();
        let temp = tempfile::Builder::new()
            .prefix(&temp_name(target))
            .suffix(".tmp")
            .tempdir_in(&parent)
            .map_err(|e| unwritable_folder(target, &parent, &e))?;
        list.push(temp.path().to_path_buf());
        drop(list);
        set_folder_permissions(temp.path()).map_err(|e| Error::io(target, e))?;
        Ok(AtomicDir {
            target: target.to_path_buf(),
            temp: Some(temp),
        })
    }

    /// The temporary folder to fill.
    pub fn path(&self) -> &Path {
        self.temp.as_ref().expect("not committed").path()
    }

    /// Moves the filled folder into place; whatever the target held before goes with it.
    ///
    /// # Errors
    /// A failed rename (naming the target).
    pub fn commit(mut self) -> Result<()> {
        let temp = self.temp.take().expect("committed once");
        let temp_path = temp.keep();
        let target = &self.target;
        let mut list = temporaries();
        let result = (|| {
            if target.exists() {
                let old = folder_of(target).join(format!(
                    "{}old-{}",
                    temp_name(target),
                    std::process::id()
                ));
                let _ = std::fs::remove_dir_all(&old);
                std::fs::rename(target, &old).map_err(|e| Error::io(target, e))?;
                list.push(old.clone());
                std::fs::rename(&temp_path, target).map_err(|e| Error::io(target, e))?;
                let _ = std::fs::remove_dir_all(&old);
                forget(&mut list, &old);
            } else {
                std::fs::rename(&temp_path, target).map_err(|e| Error::io(target, e))?;
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&temp_path);
        }
        forget(&mut list, &temp_path);
        result
    }
}

impl Drop for AtomicDir {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            let path = temp.path().to_path_buf();
            drop(temp);
            forget(&mut temporaries(), &path);
        }
    }
}

#[cfg(unix)]
fn is_fifo(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    m.file_type().is_fifo()
}

#[cfg(not(unix))]
fn is_fifo(_: &std::fs::Metadata) -> bool {
    false
}

#[cfg(unix)]
fn set_folder_permissions(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn set_folder_permissions(_: &Path) -> io::Result<()> {
    Ok(())
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

/// Whether `a` and `b` name the same file: the same device and inode on unix (so a symlink
/// or hard link to a file counts as that file), the same canonical path elsewhere. Two paths
/// that do not exist yet are the same when they are the same absolute path.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(ma), Ok(mb)) => same_metadata(a, &ma, b, &mb),
        (Err(_), Err(_)) => match (std::path::absolute(a), std::path::absolute(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        },
        _ => false,
    }
}

#[cfg(unix)]
fn same_metadata(_: &Path, a: &std::fs::Metadata, _: &Path, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_metadata(a: &Path, _: &std::fs::Metadata, b: &Path, _: &std::fs::Metadata) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Reads a whole text file; bytes that are not UTF-8 are an error naming the file, line and
/// byte, so a maintainer can find them.
///
/// # Errors
/// An unreadable file, or invalid UTF-8 as [`Error::Utf8`].
pub fn read_utf8(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        Error::Utf8 {
            path: path.to_path_buf(),
            line: valid.iter().filter(|&&b| b == b'\n').count() + 1,
            byte: valid.len() - line_start,
        }
    })
}

/// Replaces `path` with `contents` atomically.
///
/// # Errors
/// As [`AtomicFile::create`] and [`AtomicFile::commit`].
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(contents).map_err(|e| Error::io(path, e))?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_folder_is_swapped_whole_and_a_dropped_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("model");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("old.txt"), "old").unwrap();
        {
            let half = AtomicDir::create(&target).unwrap();
            std::fs::write(half.path().join("new.txt"), "half").unwrap();
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(target.join("old.txt").exists());
        let whole = AtomicDir::create(&target).unwrap();
        std::fs::write(whole.path().join("new.txt"), "new").unwrap();
        whole.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(target.join("new.txt")).unwrap(),
            "new"
        );
        assert!(
            !target.join("old.txt").exists(),
            "the old folder's files go with it"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn same_file_sees_through_links_and_spellings() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        std::fs::write(&a, "x").unwrap();
        let b = dir.path().join("b.csv");
        std::fs::write(&b, "x").unwrap();
        assert!(same_file(&a, &dir.path().join(".").join("a.csv")));
        assert!(!same_file(&a, &b));
        assert!(!same_file(&a, &dir.path().join("new.csv")));
        assert!(same_file(
            &dir.path().join("new.csv"),
            &dir.path().join("./new.csv")
        ));
        #[cfg(unix)]
        {
            let hard = dir.path().join("hard.csv");
            std::fs::hard_link(&a, &hard).unwrap();
            assert!(same_file(&a, &hard));
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_stays_and_its_target_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.txt");
        let link = dir.path().join("link.txt");
        std::fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
    }
}
