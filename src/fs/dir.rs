//! [`AtomicDir`]: a whole folder (a model directory) filled beside its target and swapped in
//! for it on commit.

use std::io;
use std::path::{Path, PathBuf};

use super::{
    discard, folder_of, forget, listed_temporary, refused, temp_name, temporaries,
    unwritable_folder,
};
use crate::error::{Error, Result};

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
        let temp = listed_temporary(target, |b| b.tempdir_in(&parent))
            .map_err(|e| unwritable_folder(target, &parent, &e))?;
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
            discard(temp);
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
