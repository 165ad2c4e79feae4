//! The default model (transformer, n-gram part and decision) and the corpus, compiled into
//! the library, so that a copied binary, or a program that depends on heihui, classifies
//! without the source tree. Loading goes through the same directory loaders as any model:
//! the files are unpacked into a private temporary folder, read, and the folder removed.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One file of the built-in model or corpus, by its path inside its directory.
#[derive(Debug, Clone, Copy)]
pub struct File {
    /// The path inside the directory, `/`-separated.
    pub path: &'static str,
    /// The file's contents.
    pub bytes: &'static [u8],
}

/// The name of the built-in model (its folder under `models/` in heihui's repository).
pub const MODEL_NAME: &str = "heihui-zh-small";

macro_rules! model_file {
    ($name:literal) => {
        File {
            path: $name,
            bytes: include_bytes!(concat!("../models/heihui-zh-small/", $name)),
        }
    };
}

macro_rules! corpus_file {
    ($name:literal) => {
        File {
            path: $name,
            bytes: include_bytes!(concat!("../corpus/", $name)),
        }
    };
}

/// The built-in model directory: `config.json`, `tokenizer.json`, `model.safetensors`, the
/// n-gram part (`ngram.json`, `ngram.safetensors`), `decision.json` and its card.
pub static MODEL: &[File] = &[
    model_file!("MODEL_CARD.md"),
    model_file!("config.json"),
    model_file!("decision.json"),
    model_file!("metrics.json"),
    model_file!("model.safetensors"),
    model_file!("ngram.json"),
    model_file!("ngram.safetensors"),
    model_file!("tokenizer.json"),
    model_file!("tokenizer_config.json"),
];

/// The built-in corpus directory: phrase lists, variants, dictionary, the training
/// characters and the labelled data with its guidelines.
pub static CORPUS: &[File] = &[
    corpus_file!("common_chars.txt"),
    corpus_file!("dictionary.tsv"),
    corpus_file!("labeled/GUIDELINES.md"),
    corpus_file!("labeled/blind.csv"),
    corpus_file!("labeled/dev.csv"),
    corpus_file!("labeled/sources.csv"),
    corpus_file!("labeled/test.csv"),
    corpus_file!("labeled/train.csv"),
    corpus_file!("phrases/contact_lure.tsv"),
    corpus_file!("phrases/debt_optimization.tsv"),
    corpus_file!("phrases/malicious_complaint.tsv"),
    corpus_file!("phrases/warning_context.tsv"),
    corpus_file!("variants.tsv"),
];

/// Which files an unpacked copy needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Everything.
    All,
    /// What classifying reads: the labelled data stays packed.
    ForLoading,
}

/// Writes `files` under `dir` (creating it and its subfolders), refusing to overwrite a file
/// that is there already. Returns the number of files written.
///
/// # Errors
/// A file that exists (nothing is written then), or one that cannot be written.
pub fn export(files: &[File], dir: &Path) -> Result<usize> {
    if let Some(existing) = files.iter().map(|f| target(dir, f)).find(|p| p.exists()) {
        return Err(Error::Exists { path: existing });
    }
    write(files, dir, Part::All)
}

fn target(dir: &Path, file: &File) -> PathBuf {
    file.path
        .split('/')
        .fold(dir.to_path_buf(), |p, c| p.join(c))
}

fn write(files: &[File], dir: &Path, part: Part) -> Result<usize> {
    let mut written = 0;
    for file in files {
        if part == Part::ForLoading && file.path.starts_with("labeled/") {
            continue;
        }
        let path = target(dir, file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&path, file.bytes).map_err(|e| Error::io(&path, e))?;
        written += 1;
    }
    Ok(written)
}

/// A built-in directory unpacked into a temporary folder, removed when this is dropped.
#[derive(Debug)]
pub struct Unpacked {
    dir: tempfile::TempDir,
}

impl Unpacked {
    /// Unpacks the built-in model.
    ///
    /// # Errors
    /// The temporary folder cannot be made or written (set `TMPDIR` to a writable folder).
    pub fn model() -> Result<Self> {
        Self::unpack(MODEL, "model")
    }

    /// Unpacks the built-in corpus (phrases, variants, dictionary, training characters).
    ///
    /// # Errors
    /// The temporary folder cannot be made or written (set `TMPDIR` to a writable folder).
    pub fn corpus() -> Result<Self> {
        Self::unpack(CORPUS, "corpus")
    }

    fn unpack(files: &[File], what: &'static str) -> Result<Self> {
        let tmp = std::env::temp_dir();
        let dir = tempfile::Builder::new()
            .prefix(&format!("heihui-builtin-{what}-"))
            .tempdir_in(&tmp)
            .map_err(|cause| Error::Unpack {
                folder: tmp.clone(),
                what,
                cause,
            })?;
        write(files, dir.path(), Part::ForLoading)?;
        Ok(Unpacked { dir })
    }

    /// The unpacked directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of the source tree's model and corpus is listed, so a file added there is
    /// not silently left out of the binary. `labeled/raw/` is the writers' untracked working
    /// folder (see `.gitignore`), not part of the corpus.
    fn listing(root: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy();
                if name.starts_with('.') || path.ends_with("labeled/raw") {
                    continue;
                }
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path.strip_prefix(root).unwrap();
                    let parts: Vec<_> = rel.iter().map(|c| c.to_string_lossy()).collect();
                    out.push(parts.join("/"));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn the_lists_hold_every_file_of_the_source_tree() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let names = |files: &[File]| files.iter().map(|f| f.path.to_string()).collect::<Vec<_>>();
        assert_eq!(names(MODEL), listing(&root.join("models").join(MODEL_NAME)));
        assert_eq!(names(CORPUS), listing(&root.join("corpus")));
    }

    #[test]
    fn export_refuses_to_overwrite_and_writes_nothing_then() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("phrases")).unwrap();
        std::fs::write(dir.path().join("variants.tsv"), "mine").unwrap();
        let err = export(CORPUS, dir.path()).unwrap_err().to_string();
        assert!(
            err.ends_with("variants.tsv: already exists; export into an empty or new folder"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("variants.tsv")).unwrap(),
            "mine"
        );
        assert!(!dir.path().join("dictionary.tsv").exists());
    }

    #[test]
    fn the_unpacked_corpus_leaves_the_labelled_data_packed() {
        let unpacked = Unpacked::corpus().unwrap();
        assert!(unpacked
            .path()
            .join("phrases/debt_optimization.tsv")
            .is_file());
        assert!(!unpacked.path().join("labeled").exists());
        let path = unpacked.path().to_path_buf();
        drop(unpacked);
        assert!(!path.exists());
    }
}
