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

mod dir;
mod file;

pub use dir::AtomicDir;
pub use file::AtomicFile;

/// The temporary files and folders not yet committed or dropped.
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temporaries() -> MutexGuard<'static, Vec<PathBuf>> {
    TEMPORARIES.lock().unwrap_or_else(PoisonError::into_inner)
}

fn forget(list: &mut Vec<PathBuf>, path: &Path) {
    list.retain(|p| p != path);
}

/// A temporary file or folder for `target`, made by `make` in the target's folder with the
/// name `.<target's name>.XXXXXX.tmp`, and listed for [`remove_temporaries`] under the list's
/// lock, so a signal's clean-up never misses one that exists.
fn listed_temporary<T: AsRef<Path>>(
    target: &Path,
    make: impl FnOnce(&tempfile::Builder) -> io::Result<T>,
) -> io::Result<T> {
    let mut list = temporaries();
    let temp = unlisted_temporary(target, make)?;
    list.push(temp.as_ref().to_path_buf());
    Ok(temp)
}

/// As [`listed_temporary`], not listed: for one removed at once.
fn unlisted_temporary<T>(
    target: &Path,
    make: impl FnOnce(&tempfile::Builder) -> io::Result<T>,
) -> io::Result<T> {
    let prefix = temp_name(target);
    make(tempfile::Builder::new().prefix(&prefix).suffix(".tmp"))
}

/// Removes a temporary that was not committed, and takes it off the list.
fn discard<T: AsRef<Path>>(temp: T) {
    let path = temp.as_ref().to_path_buf();
    drop(temp);
    forget(&mut temporaries(), &path);
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
        unlisted_temporary(&path, |b| b.tempfile_in(&folder))
            .map_err(|e| unwritable_folder(target, &folder, &e))?;
    }
    Ok(())
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
