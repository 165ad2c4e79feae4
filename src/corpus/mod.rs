//! The anti-collection phrase corpus: `corpus/phrases/<category>.tsv` files that maintainers
//! edit, and the variants table beside them. This module owns reading, checking (`lint`) and
//! editing them; matching lives in [`crate::matcher`].
//!
//! Phrase file format, one phrase a line, sorted by phrase so a diff shows exactly what
//! changed: `phrase<TAB>weight<TAB>note[<TAB>word]`. The optional fourth column `word` marks a
//! phrase that only counts when it stands as a whole word by jieba's segmentation (上岸 fires
//! in 已经上岸, not in 考研上岸). `#` comment lines stay attached to the phrase below them.

mod edit;
mod file;
mod lint;
pub mod stats;
pub mod suggest;
pub mod variants;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::corpus::variants::VariantTable;
use crate::error::{CorpusError, Error, Result};
use crate::labels::Label;
use crate::normalize::normalize;
use file::PhraseFile;
pub use file::{MAX_PHRASE_CHARS, MIN_NUMBER_DIGITS};

/// What a phrase is evidence of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// The trade's sales and coaching vocabulary (停息挂账, 征信修复, 呼叫转移).
    DebtOptimization,
    /// Template complaint and leverage vocabulary (全部息费减免, 只还本金, 委托人).
    MaliciousComplaint,
    /// Invitations to move to a private channel (加V, 薇信, 私聊).
    ContactLure,
    /// Anti-fraud warnings, news and disclaimers that mention the trade's words; negative.
    WarningContext,
}

impl Category {
    /// Every category, in file-name order.
    pub const ALL: [Category; 4] = [
        Category::ContactLure,
        Category::DebtOptimization,
        Category::MaliciousComplaint,
        Category::WarningContext,
    ];

    /// The category's name, which is also its file stem.
    pub fn name(self) -> &'static str {
        match self {
            Category::DebtOptimization => "debt_optimization",
            Category::MaliciousComplaint => "malicious_complaint",
            Category::ContactLure => "contact_lure",
            Category::WarningContext => "warning_context",
        }
    }

    /// The label a hit of this category is evidence for; `None` for warning context, which
    /// counts against both non-normal labels.
    pub fn supports(self) -> Option<Label> {
        match self {
            Category::DebtOptimization | Category::ContactLure => Some(Label::DebtOptimization),
            Category::MaliciousComplaint => Some(Label::MaliciousComplaint),
            Category::WarningContext => None,
        }
    }

    /// The weight `corpus add` gives when none is named.
    pub fn default_weight(self) -> f32 {
        match self {
            Category::DebtOptimization | Category::MaliciousComplaint => 1.0,
            Category::ContactLure => 0.5,
            Category::WarningContext => -1.0,
        }
    }

    /// Whether weights in this category must be negative (true) or positive (false).
    pub fn negative(self) -> bool {
        self == Category::WarningContext
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Category {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Category::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                CorpusError::UnknownCategory {
                    name: s.to_string(),
                }
                .into()
            })
    }
}

/// Where a phrase may match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Anywhere in the text.
    Anywhere,
    /// Only where jieba's segmentation puts word boundaries at both ends.
    WholeWord,
}

/// One phrase of the corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct Phrase {
    /// As written in the file.
    pub text: String,
    /// Normalised; what the matcher looks for.
    pub key: String,
    /// Its category (the file it lives in).
    pub category: Category,
    /// How much a hit counts; negative for warning context.
    pub weight: f32,
    /// Free text for maintainers.
    pub note: String,
    /// Where it may match.
    pub scope: Scope,
    /// The file and 1-based line it came from.
    pub source: (PathBuf, usize),
}

/// A comment or malformed-line finding from reading a phrase file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How serious it is.
    pub severity: Severity,
    /// The file.
    pub path: PathBuf,
    /// 1-based line, 0 when the finding is about the whole file.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// How serious a lint finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth a look; does not fail `corpus lint`.
    Warning,
    /// Fails `corpus lint`.
    Error,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        if self.line == 0 {
            write!(f, "{}: {kind}: {}", self.path.display(), self.message)
        } else {
            write!(
                f,
                "{}:{}: {kind}: {}",
                self.path.display(),
                self.line,
                self.message
            )
        }
    }
}

/// The whole corpus: every category file and the variants table.
#[derive(Debug, Clone)]
pub struct Corpus {
    dir: PathBuf,
    files: Vec<PhraseFile>,
    variants: VariantTable,
    findings: Vec<Finding>,
}

/// The file holding `category`'s phrases under corpus directory `dir`.
pub fn phrase_file(dir: &Path, category: Category) -> PathBuf {
    dir.join("phrases").join(format!("{}.tsv", category.name()))
}

impl Corpus {
    /// Reads a corpus directory (`phrases/*.tsv` and `variants.tsv`).
    ///
    /// # Errors
    /// An unreadable directory or file, or the first malformed line as `file:line: ...`.
    pub fn load(dir: &Path) -> Result<Self> {
        let corpus = Self::load_lenient(dir)?;
        if let Some(first) = corpus
            .findings
            .iter()
            .find(|f| f.severity == Severity::Error)
        {
            return Err(CorpusError::Syntax {
                path: first.path.clone(),
                line: first.line,
                message: first.message.clone(),
            }
            .into());
        }
        Ok(corpus)
    }

    /// Reads a corpus directory, keeping malformed lines as findings instead of failing.
    fn load_lenient(dir: &Path) -> Result<Self> {
        let phrases_dir = dir.join("phrases");
        let listing = fs::read_dir(&phrases_dir).map_err(|e| Error::io(&phrases_dir, e))?;
        let mut findings = Vec::new();
        for entry in listing {
            let entry = entry.map_err(|e| Error::io(&phrases_dir, e))?;
            let path = entry.path();
            let known = path
                .file_stem()
                .and_then(|s| s.to_str())
                .is_some_and(|stem| Category::ALL.iter().any(|c| c.name() == stem));
            if path.extension().is_some_and(|e| e == "tsv") && !known {
                findings.push(Finding {
                    severity: Severity::Error,
                    path,
                    line: 0,
                    message: format!(
                        "unknown category file: expected one of {}",
                        Category::ALL
                            .map(|c| format!("{}.tsv", c.name()))
                            .join(", ")
                    ),
                });
            }
        }
        let mut files = Vec::new();
        for category in Category::ALL {
            let path = phrase_file(dir, category);
            let text = if path.exists() {
                crate::fs::read_utf8(&path)?
            } else {
                String::new()
            };
            let (file, file_findings) = PhraseFile::parse(&path, category, &text);
            findings.extend(file_findings);
            files.push(file);
        }
        let variants_path = dir.join("variants.tsv");
        let variants = if variants_path.exists() {
            VariantTable::load(&variants_path)?
        } else {
            VariantTable::default()
        };
        Ok(Corpus {
            dir: dir.to_path_buf(),
            files,
            variants,
            findings,
        })
    }

    /// The directory this corpus was read from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every phrase, category by category, in file order.
    pub fn phrases(&self) -> impl Iterator<Item = &Phrase> {
        self.files
            .iter()
            .flat_map(|f| f.entries.iter().map(|e| &e.phrase))
    }

    /// The variants table.
    pub fn variants(&self) -> &VariantTable {
        &self.variants
    }

    /// Finds the phrase whose normalised form equals `text`'s.
    pub fn find(&self, text: &str) -> Option<&Phrase> {
        let key = normalize(text.trim());
        self.phrases().find(|p| p.key == key.as_str())
    }
}

/// Writes `contents` to a temporary file beside `path`, then renames it over `path`, so an
/// interrupted write never leaves a half-written file.
///
/// # Errors
/// Any I/O failure, naming the file.
pub fn write_atomic(path: &Path, contents: &str) -> Result<()> {
    crate::fs::write_atomic(path, contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_corpus(files: &[(&str, &str)]) -> tempdir::TempDir {
        let dir = tempdir::TempDir::new();
        fs::create_dir_all(dir.path().join("phrases")).unwrap();
        for (name, text) in files {
            fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    /// A throwaway directory removed on drop; enough for these tests.
    mod tempdir {
        use std::path::{Path, PathBuf};
        use std::sync::atomic::{AtomicUsize, Ordering};

        pub struct TempDir(PathBuf);

        impl TempDir {
            pub fn new() -> Self {
                static N: AtomicUsize = AtomicUsize::new(0);
                let path = std::env::temp_dir().join(format!(
                    "heihui-corpus-test-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::SeqCst)
                ));
                std::fs::create_dir_all(&path).unwrap();
                TempDir(path)
            }
            pub fn path(&self) -> &Path {
                &self.0
            }
        }

        impl Drop for TempDir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn parses_columns_and_scope() {
        let dir = temp_corpus(&[(
            "phrases/debt_optimization.tsv",
            "# header\n上岸\t0.5\tescaped debt\tword\n停息挂账\t2\tcore\n",
        )]);
        let corpus = Corpus::load(dir.path()).unwrap();
        let phrases: Vec<_> = corpus.phrases().collect();
        assert_eq!(phrases.len(), 2);
        assert_eq!(phrases[0].scope, Scope::WholeWord);
        assert_eq!(phrases[1].weight, 2.0);
        assert_eq!(phrases[1].source.1, 3);
    }

    #[test]
    fn malformed_line_stops_load_with_file_and_line() {
        let dir = temp_corpus(&[(
            "phrases/contact_lure.tsv",
            "加微信\t0.5\tok\n私聊\theavy\tbad weight\n",
        )]);
        let err = Corpus::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.ends_with("contact_lure.tsv:2: weight `heavy` is not a number"),
            "{err}"
        );
    }

    #[test]
    fn add_keeps_sorted_and_refuses_duplicates() {
        let dir = temp_corpus(&[(
            "phrases/debt_optimization.tsv",
            "# sales\n停息挂账\t2\tcore\n",
        )]);
        let mut corpus = Corpus::load(dir.path()).unwrap();
        corpus
            .add(
                "债务优化",
                Category::DebtOptimization,
                None,
                "",
                Scope::Anywhere,
            )
            .unwrap();
        corpus
            .add(
                "个性化分期",
                Category::DebtOptimization,
                Some(1.5),
                "n",
                Scope::Anywhere,
            )
            .unwrap();
        let text = fs::read_to_string(phrase_file(dir.path(), Category::DebtOptimization)).unwrap();
        assert_eq!(
            text,
            "# sales\n个性化分期\t1.5\tn\n债务优化\t1\t\n停息挂账\t2\tcore\n"
        );
        let err = corpus
            .add(
                "債務優化",
                Category::MaliciousComplaint,
                None,
                "",
                Scope::Anywhere,
            )
            .unwrap_err();
        assert!(err.to_string().contains("duplicates `债务优化`"), "{err}");
        assert!(corpus
            .add("停", Category::DebtOptimization, None, "", Scope::Anywhere)
            .is_err());
        assert!(corpus
            .add(
                "谨防诈骗",
                Category::WarningContext,
                Some(1.0),
                "",
                Scope::Anywhere
            )
            .is_err());
    }

    #[test]
    fn remove_keeps_comments_and_refuses_unknown() {
        let dir = temp_corpus(&[(
            "phrases/debt_optimization.tsv",
            "个性化分期\t1\t\n# about the next\n债务优化\t1\t\n停息挂账\t2\t\n",
        )]);
        let mut corpus = Corpus::load(dir.path()).unwrap();
        corpus.remove("债务优化").unwrap();
        let text = fs::read_to_string(phrase_file(dir.path(), Category::DebtOptimization)).unwrap();
        assert_eq!(text, "个性化分期\t1\t\n# about the next\n停息挂账\t2\t\n");
        assert!(corpus.remove("不存在的词").is_err());
    }

    #[test]
    fn lint_reports_each_kind_of_problem() {
        let dir = temp_corpus(&[
            (
                "phrases/debt_optimization.tsv",
                "停息挂账\t2\t\n债务优化\t1\t\n減免\t1\t\n",
            ),
            (
                "phrases/malicious_complaint.tsv",
                "减免\t1\t\n全部减免\t1\tshadows nothing in its own category\n",
            ),
            ("phrases/warning_context.tsv", "谨防\t1\twrong sign\n"),
            ("phrases/spam.tsv", "x\t1\t\n"),
            ("variants.tsv", "亭\t停\t\n乐\t快\tunused\n"),
        ]);
        let findings = Corpus::lint(dir.path()).unwrap();
        let text: Vec<String> = findings.iter().map(|f| f.to_string()).collect();
        let joined = text.join("\n");
        assert!(
            joined.contains("debt_optimization.tsv: error: phrases are not sorted"),
            "{joined}"
        );
        assert!(joined.contains("`减免` duplicates `減免`"), "{joined}");
        assert!(joined.contains("must be negative"), "{joined}");
        assert!(
            joined.contains("spam.tsv: error: unknown category file"),
            "{joined}"
        );
        assert!(
            joined.contains("unknown variant: no phrase contains `快`"),
            "{joined}"
        );
        assert!(!joined.contains("`亭`"), "{joined}");
    }
}
