//! The homophone and look-alike variant table (`corpus/variants.tsv`): spellings such as
//! 亭 for 停, 帐 for 账 or 薇信 for 微信 that dodge keyword filters. Rather than rewriting
//! the text (which would also rewrite unrelated words), each corpus phrase is expanded into
//! its variant spellings, and the matcher looks for those too.
//!
//! File format: `variant<TAB>canonical<TAB>note`, `#` comments and blank lines allowed, both
//! columns taken through the normaliser, so `V信` and `v信` are the same entry.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::normalize::normalize;

/// The most spellings one phrase expands into; a phrase with many variant positions would
/// otherwise grow exponentially.
pub const MAX_FORMS_PER_PHRASE: usize = 64;

/// One line of the variants table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// The evasive spelling, normalised.
    pub variant: String,
    /// What it stands for, normalised.
    pub canonical: String,
    /// Free text for maintainers.
    pub note: String,
    /// 1-based line in the file.
    pub line: usize,
}

/// The loaded variants table.
#[derive(Debug, Clone, Default)]
pub struct VariantTable {
    path: PathBuf,
    entries: Vec<Variant>,
}

impl VariantTable {
    /// Reads and checks a variants file.
    ///
    /// # Errors
    /// An unreadable file, or a malformed line as `file:line: what is wrong`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::fs::read_utf8(path)?;
        Self::parse(path, &text)
    }

    /// Parses the text of a variants file; `path` is used in messages only.
    ///
    /// # Errors
    /// A malformed line as `file:line: what is wrong`.
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let mut entries = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let trimmed = raw.trim_end_matches('\r');
            if trimmed.trim().is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let mut cols = trimmed.split('\t');
            let variant = cols.next().unwrap_or("").trim();
            let canonical = cols
                .next()
                .ok_or_else(|| {
                    Error::syntax(
                        path,
                        line,
                        "expected `variant<TAB>canonical<TAB>note`, found no tab",
                    )
                })?
                .trim();
            let note = cols.next().unwrap_or("").trim().to_string();
            if cols.next().is_some() {
                return Err(Error::syntax(
                    path,
                    line,
                    "too many columns: expected `variant<TAB>canonical<TAB>note`",
                ));
            }
            let variant = normalize(variant).as_str().to_string();
            let canonical = normalize(canonical).as_str().to_string();
            if variant.is_empty() || canonical.is_empty() {
                return Err(Error::syntax(
                    path,
                    line,
                    "empty variant or canonical column",
                ));
            }
            if variant == canonical {
                return Err(Error::syntax(
                    path,
                    line,
                    format!(
                        "variant `{variant}` is the same as its canonical form after normalisation"
                    ),
                ));
            }
            entries.push(Variant {
                variant,
                canonical,
                note,
                line,
            });
        }
        Ok(VariantTable {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// The file this table was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The entries, in file order.
    pub fn entries(&self) -> &[Variant] {
        &self.entries
    }

    /// Every spelling of `phrase` (already normalised) that the table allows, not including
    /// `phrase` itself, at most [`MAX_FORMS_PER_PHRASE`].
    pub fn expand(&self, phrase: &str) -> Vec<String> {
        let mut forms = Vec::new();
        let mut current = String::with_capacity(phrase.len() * 2);
        self.expand_from(phrase, 0, &mut current, false, &mut forms);
        forms
    }

    fn expand_from(
        &self,
        phrase: &str,
        at: usize,
        current: &mut String,
        changed: bool,
        forms: &mut Vec<String>,
    ) {
        if forms.len() >= MAX_FORMS_PER_PHRASE {
            return;
        }
        let rest = &phrase[at..];
        let Some(ch) = rest.chars().next() else {
            if changed && !forms.contains(current) {
                forms.push(current.clone());
            }
            return;
        };
        let mark = current.len();
        current.push(ch);
        self.expand_from(phrase, at + ch.len_utf8(), current, changed, forms);
        current.truncate(mark);
        for entry in &self.entries {
            if rest.starts_with(entry.canonical.as_str()) {
                current.push_str(&entry.variant);
                self.expand_from(phrase, at + entry.canonical.len(), current, true, forms);
                current.truncate(mark);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> VariantTable {
        VariantTable::parse(Path::new("variants.tsv"), text).unwrap()
    }

    #[test]
    fn expands_every_combination() {
        let t = table("亭\t停\t\n帐\t账\tsame sound\n");
        let mut forms = t.expand("停息挂账");
        forms.sort();
        assert_eq!(forms, vec!["亭息挂帐", "亭息挂账", "停息挂帐"]);
    }

    #[test]
    fn multi_character_variants_and_normalised_columns() {
        let t = table("Ｖ信\t微信\t\n薇信\t微信\t\n");
        let mut forms = t.expand("加微信");
        forms.sort();
        assert_eq!(forms, vec!["加v信", "加薇信"]);
    }

    #[test]
    fn expansion_is_bounded() {
        let t = table("a\tb\t\nc\tb\t\nd\tb\t\n");
        assert_eq!(t.expand("bbbbbbbbbbbb").len(), MAX_FORMS_PER_PHRASE);
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        let err = VariantTable::parse(Path::new("v.tsv"), "# c\n亭停\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "v.tsv:2: expected `variant<TAB>canonical<TAB>note`, found no tab"
        );
        let err = VariantTable::parse(Path::new("v.tsv"), "停\t停\t\n").unwrap_err();
        assert!(err.to_string().starts_with("v.tsv:1: variant `停`"));
    }
}
