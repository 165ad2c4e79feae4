//! The anti-collection phrase corpus: `corpus/phrases/<category>.tsv` files that maintainers
//! edit, and the variants table beside them. This module owns reading, checking (`lint`) and
//! editing them; matching lives in [`crate::matcher`].
//!
//! Phrase file format, one phrase a line, sorted by phrase so a diff shows exactly what
//! changed: `phrase<TAB>weight<TAB>note[<TAB>word]`. The optional fourth column `word` marks a
//! phrase that only counts when it stands as a whole word by jieba's segmentation (上岸 fires
//! in 已经上岸, not in 考研上岸). `#` comment lines stay attached to the phrase below them.

pub mod stats;
pub mod suggest;
pub mod variants;

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::corpus::variants::VariantTable;
use crate::error::{CorpusError, Error, Result};
use crate::labels::Label;
use crate::normalize::normalize;

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

/// One phrase line of a file together with the comment lines right above it.
#[derive(Debug, Clone)]
struct Entry {
    comments: Vec<String>,
    phrase: Phrase,
}

/// One category file, kept whole so that edits rewrite it faithfully.
#[derive(Debug, Clone)]
struct PhraseFile {
    path: PathBuf,
    category: Category,
    header: Vec<String>,
    entries: Vec<Entry>,
    trailer: Vec<String>,
}

impl PhraseFile {
    /// Parses a file leniently: malformed lines become findings and are skipped.
    fn parse(path: &Path, category: Category, text: &str) -> (Self, Vec<Finding>) {
        let mut findings = Vec::new();
        let mut file = PhraseFile {
            path: path.to_path_buf(),
            category,
            header: Vec::new(),
            entries: Vec::new(),
            trailer: Vec::new(),
        };
        let mut pending: Vec<String> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                pending.push(line.to_string());
                continue;
            }
            match parse_phrase_line(path, i + 1, category, line) {
                Ok(phrase) => {
                    let comments = std::mem::take(&mut pending);
                    if file.entries.is_empty() {
                        file.header = comments;
                        file.entries.push(Entry {
                            comments: Vec::new(),
                            phrase,
                        });
                    } else {
                        file.entries.push(Entry { comments, phrase });
                    }
                }
                Err(message) => findings.push(Finding {
                    severity: Severity::Error,
                    path: path.to_path_buf(),
                    line: i + 1,
                    message,
                }),
            }
        }
        if file.entries.is_empty() {
            file.header = pending;
        } else {
            file.trailer = pending;
        }
        (file, findings)
    }

    fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.header {
            out.push_str(line);
            out.push('\n');
        }
        for entry in &self.entries {
            for line in &entry.comments {
                out.push_str(line);
                out.push('\n');
            }
            out.push_str(&render_phrase(&entry.phrase));
            out.push('\n');
        }
        for line in &self.trailer {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    fn sort(&mut self) {
        self.entries
            .sort_by(|a, b| a.phrase.text.cmp(&b.phrase.text));
    }

    fn is_sorted(&self) -> bool {
        self.entries
            .windows(2)
            .all(|w| w[0].phrase.text <= w[1].phrase.text)
    }
}

fn render_phrase(p: &Phrase) -> String {
    let mut line = format!("{}\t{}\t{}", p.text, p.weight, p.note);
    if p.scope == Scope::WholeWord {
        line.push_str("\tword");
    }
    line
}

/// Parses `phrase<TAB>weight<TAB>note[<TAB>word]`.
fn parse_phrase_line(
    path: &Path,
    line_no: usize,
    category: Category,
    line: &str,
) -> std::result::Result<Phrase, String> {
    let cols: Vec<&str> = line.split('\t').collect();
    if cols.len() < 2 {
        return Err("expected `phrase<TAB>weight<TAB>note`, found no tab".into());
    }
    if cols.len() > 4 {
        return Err(format!(
            "expected at most 4 columns (phrase, weight, note, word), found {}",
            cols.len()
        ));
    }
    let text = cols[0].trim().to_string();
    let weight: f32 = cols[1]
        .trim()
        .parse()
        .map_err(|_| format!("weight `{}` is not a number", cols[1].trim()))?;
    if !weight.is_finite() {
        return Err(format!(
            "weight `{}` is not a finite number",
            cols[1].trim()
        ));
    }
    let scope = match cols.get(3).map(|s| s.trim()) {
        None | Some("") => Scope::Anywhere,
        Some("word") => Scope::WholeWord,
        Some(other) => {
            return Err(format!(
                "fourth column must be `word` or empty, found `{other}`"
            ))
        }
    };
    let key = normalize(&text).as_str().to_string();
    if key.chars().count() < 2 {
        return Err(format!(
            "phrase `{text}` is shorter than two characters after normalisation"
        ));
    }
    if key.chars().count() > MAX_PHRASE_CHARS {
        return Err(format!(
            "phrase `{}…` is {} characters long, more than {MAX_PHRASE_CHARS}: a phrase is a \
             term or short expression, not a sentence",
            text.chars().take(16).collect::<String>(),
            key.chars().count()
        ));
    }
    Ok(Phrase {
        text,
        key,
        category,
        weight,
        note: cols.get(2).map_or("", |s| s.trim()).to_string(),
        scope,
        source: (path.to_path_buf(), line_no),
    })
}

/// The longest phrase, in characters after normalisation. The longest shipped phrase has 12;
/// a sentence-length phrase never matches disguised text and slows every start-up (a
/// 10,000-character phrase made each command take 49 s to start).
pub const MAX_PHRASE_CHARS: usize = 64;

/// The fewest digits in a phrase of digits only: service hotlines such as 12378 (the
/// regulator's, shipped in the corpus) and 12315 have five, while shorter numbers are dates,
/// amounts and months (`12` hits twice in 2012年12月).
pub const MIN_NUMBER_DIGITS: usize = 5;

/// Refuses a phrase with no letters: punctuation only, or digits (and punctuation) that are
/// not a number of at least [`MIN_NUMBER_DIGITS`] digits.
fn check_letters(phrase: &Phrase) -> std::result::Result<(), String> {
    let key = &phrase.key;
    if key.chars().any(char::is_alphabetic) {
        return Ok(());
    }
    if key.chars().all(|c| c.is_ascii_digit()) && key.len() >= MIN_NUMBER_DIGITS {
        return Ok(());
    }
    if key.chars().any(|c| c.is_ascii_digit()) {
        Err(format!(
            "phrase `{}` is digits or punctuation only: it would fire inside dates, amounts \
             and phone numbers (a number needs at least {MIN_NUMBER_DIGITS} digits, like a \
             hotline)",
            phrase.text
        ))
    } else {
        Err(format!(
            "phrase `{}` is punctuation only: it would fire on ordinary punctuation",
            phrase.text
        ))
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

    /// Checks the corpus: malformed lines (a phrase over [`MAX_PHRASE_CHARS`] among them),
    /// unsorted files, duplicates after normalisation, weights of the wrong sign, phrases of
    /// digits or punctuation only, duplicate variant lines, phrases shadowed by a longer phrase of another category,
    /// and variants that no phrase uses. Sorted by file and line.
    pub fn lint(dir: &Path) -> Result<Vec<Finding>> {
        let corpus = Self::load_lenient(dir)?;
        let mut findings = corpus.findings.clone();
        for file in &corpus.files {
            if !file.is_sorted() {
                findings.push(Finding {
                    severity: Severity::Error,
                    path: file.path.clone(),
                    line: 0,
                    message: "phrases are not sorted; `heihui corpus add` keeps them sorted".into(),
                });
            }
        }
        let mut by_key: HashMap<&str, &Phrase> = HashMap::new();
        for phrase in corpus.phrases() {
            if let Some(message) = check_weight(phrase.category, phrase.weight).err() {
                findings.push(finding_at(phrase, Severity::Error, message));
            }
            if let Some(message) = check_letters(phrase).err() {
                findings.push(finding_at(phrase, Severity::Error, message));
            }
            if let Some(first) = by_key.get(phrase.key.as_str()) {
                findings.push(finding_at(
                    phrase,
                    Severity::Error,
                    format!(
                        "`{}` duplicates `{}` at {}:{} after normalisation",
                        phrase.text,
                        first.text,
                        first.source.0.display(),
                        first.source.1
                    ),
                ));
            } else {
                by_key.insert(&phrase.key, phrase);
            }
        }
        findings.extend(shadowed(&corpus));
        let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
        for variant in corpus.variants.entries() {
            let key = (variant.variant.as_str(), variant.canonical.as_str());
            if let Some(first) = seen.get(&key) {
                findings.push(Finding {
                    severity: Severity::Error,
                    path: corpus.variants.path().to_path_buf(),
                    line: variant.line,
                    message: format!(
                        "`{}` -> `{}` duplicates line {first} after normalisation; delete one",
                        variant.variant, variant.canonical
                    ),
                });
            } else {
                seen.insert(key, variant.line);
            }
        }
        for variant in corpus.variants.entries() {
            if !corpus.phrases().any(|p| p.key.contains(&variant.canonical)) {
                findings.push(Finding {
                    severity: Severity::Error,
                    path: corpus.variants.path().to_path_buf(),
                    line: variant.line,
                    message: format!(
                        "unknown variant: no phrase contains `{}`, so `{}` never matches",
                        variant.canonical, variant.variant
                    ),
                });
            }
        }
        findings.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        Ok(findings)
    }
}

/// Phrases that never fire on their own because a longer phrase of another category contains
/// them and leftmost-longest matching prefers the longer one.
fn shadowed(corpus: &Corpus) -> Vec<Finding> {
    let phrases: Vec<&Phrase> = corpus.phrases().collect();
    let automaton = aho_corasick::AhoCorasick::new(phrases.iter().map(|p| p.key.as_str()))
        .expect("phrase keys build an automaton");
    let mut findings = Vec::new();
    for longer in &phrases {
        for found in automaton.find_overlapping_iter(longer.key.as_str()) {
            let shorter = phrases[found.pattern().as_usize()];
            if shorter.key.len() < longer.key.len() && shorter.category != longer.category {
                findings.push(finding_at(
                    shorter,
                    Severity::Warning,
                    format!(
                        "`{}` ({}) is shadowed by the longer `{}` ({}) wherever that occurs",
                        shorter.text, shorter.category, longer.text, longer.category
                    ),
                ));
            }
        }
    }
    findings
}

fn finding_at(phrase: &Phrase, severity: Severity, message: String) -> Finding {
    Finding {
        severity,
        path: phrase.source.0.clone(),
        line: phrase.source.1,
        message,
    }
}

fn bad_phrase(message: String) -> Error {
    CorpusError::BadPhrase { message }.into()
}

fn check_weight(category: Category, weight: f32) -> std::result::Result<(), String> {
    match (category.negative(), weight) {
        (true, w) if w >= 0.0 => Err(format!(
            "weight {w} must be negative in {category}: these phrases count against a trade label"
        )),
        (false, w) if w <= 0.0 => Err(format!(
            "weight {w} must be positive in {category}; negative evidence belongs in warning_context"
        )),
        _ => Ok(()),
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
