//! Editing the corpus: `add` and `remove` under one lock, each rewriting its category file
//! sorted and atomically.

use std::fs;
use std::path::{Path, PathBuf};

use super::file::{check_letters, check_weight, parse_phrase_line, Entry, PhraseFile};
use super::{phrase_file, write_atomic, Category, Corpus, Phrase, Scope};
use crate::error::{CorpusError, Error, Result};
use crate::normalize::normalize;

/// What [`Corpus::edit`] locks: the `phrases/` folder (unix can lock a directory).
#[cfg(unix)]
fn lock_target(dir: &Path) -> PathBuf {
    dir.join("phrases")
}

/// What [`Corpus::edit`] locks: a lock file, created once (a directory cannot be opened as a
/// file here).
#[cfg(not(unix))]
fn lock_target(dir: &Path) -> PathBuf {
    let path = dir.join(".heihui-lock");
    let _ = fs::OpenOptions::new().create(true).append(true).open(&path);
    path
}

impl Corpus {
    /// Loads the corpus at `dir` and runs `change` on it while holding an exclusive lock on
    /// the corpus, so that edits from several processes at once (twenty `corpus add`s in a
    /// script) each read the files as the previous edit left them: none is lost.
    ///
    /// The lock is an advisory `flock` on the `phrases/` folder itself on unix, so it leaves
    /// no file behind and survives the atomic renames that replace the phrase files; elsewhere
    /// it is a `.heihui-lock` file in the corpus folder.
    ///
    /// # Errors
    /// The lock cannot be taken, the corpus cannot be read, or `change` fails.
    pub fn edit<T>(dir: &Path, change: impl FnOnce(&mut Corpus) -> Result<T>) -> Result<T> {
        let target = lock_target(dir);
        let file = fs::File::open(&target).map_err(|e| Error::io(&target, e))?;
        let mut lock = fd_lock::RwLock::new(file);
        let _guard = lock.write().map_err(|e| Error::io(&target, e))?;
        let mut corpus = Self::load(dir)?;
        change(&mut corpus)
    }

    /// Adds a phrase and rewrites its category file, sorted, atomically.
    ///
    /// # Errors
    /// Refuses an empty or one-character phrase, one longer than [`MAX_PHRASE_CHARS`], one of
    /// digits or punctuation only, a phrase containing a tab or newline, a weight of the wrong
    /// sign, and a phrase that duplicates another after normalisation.
    pub fn add(
        &mut self,
        text: &str,
        category: Category,
        weight: Option<f32>,
        note: &str,
        scope: Scope,
    ) -> Result<&Phrase> {
        let text = text.trim();
        if text.contains(['\t', '\n', '\r']) || note.contains(['\t', '\n', '\r']) {
            return Err(CorpusError::LineBreak.into());
        }
        let weight = weight.unwrap_or(category.default_weight());
        check_weight(category, weight).map_err(bad_phrase)?;
        let path = phrase_file(&self.dir, category);
        let phrase = parse_phrase_line(&path, 0, category, &format!("{text}\t{weight}\t{note}"))
            .map_err(bad_phrase)?;
        let phrase = Phrase { scope, ..phrase };
        check_letters(&phrase).map_err(bad_phrase)?;
        if let Some(existing) = self.phrases().find(|p| p.key == phrase.key) {
            return Err(CorpusError::Duplicate {
                text: text.to_string(),
                existing: existing.text.clone(),
                path: existing.source.0.clone(),
                line: existing.source.1,
            }
            .into());
        }
        let file = self.file_mut(category);
        file.entries.push(Entry {
            comments: Vec::new(),
            phrase,
        });
        file.sort();
        write_atomic(&file.path, &file.render())?;
        self.renumber(category);
        let key = normalize(text);
        Ok(self
            .phrases()
            .find(|p| p.key == key.as_str())
            .expect("the phrase was just added"))
    }

    /// Removes the phrase whose normalised form equals `text`'s and rewrites its file.
    ///
    /// # Errors
    /// Refuses a phrase that is not in the corpus; an unwritable file.
    pub fn remove(&mut self, text: &str) -> Result<Phrase> {
        let key = normalize(text.trim());
        let Some(category) = self.find(text).map(|p| p.category) else {
            return Err(CorpusError::NotFound {
                text: text.trim().to_string(),
            }
            .into());
        };
        let file = self.file_mut(category);
        let at = file
            .entries
            .iter()
            .position(|e| e.phrase.key == key.as_str())
            .expect("find() saw it in this file");
        let removed = file.entries.remove(at);
        if let Some(next) = file.entries.get_mut(at) {
            let mut comments = removed.comments.clone();
            comments.append(&mut next.comments);
            next.comments = comments;
        }
        write_atomic(&file.path, &file.render())?;
        self.renumber(category);
        Ok(removed.phrase)
    }

    fn file_mut(&mut self, category: Category) -> &mut PhraseFile {
        self.files
            .iter_mut()
            .find(|f| f.category == category)
            .expect("every category has a file")
    }

    /// After a rewrite, line numbers shift: recompute them from the rendered file.
    fn renumber(&mut self, category: Category) {
        let file = self.file_mut(category);
        let mut line = file.header.len();
        for entry in &mut file.entries {
            line += entry.comments.len() + 1;
            entry.phrase.source.1 = line;
        }
    }
}

fn bad_phrase(message: String) -> Error {
    CorpusError::BadPhrase { message }.into()
}
