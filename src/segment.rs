//! Word segmentation with jieba-rs. Every corpus phrase (and each of its variant spellings)
//! is added to jieba's dictionary so that it comes out as one token, and so are the words of
//! `corpus/dictionary.tsv`: ordinary words that contain a whole-word phrase but mean
//! something else (考研上岸, 优化流程), which keep such phrases from firing inside them.

use std::path::Path;

use jieba_rs::Jieba;

use crate::corpus::Corpus;
use crate::error::{Error, Result};
use crate::normalize::normalize;

/// Whether jieba may guess new words with its hidden Markov model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hmm {
    /// Guess words not in the dictionary (jieba's default for `cut`).
    On,
    /// Only dictionary words and single characters.
    Off,
}

/// A jieba segmenter that knows the corpus.
pub struct Segmenter {
    jieba: Jieba,
    hmm: Hmm,
}

impl std::fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segmenter").field("hmm", &self.hmm).finish()
    }
}

/// One token: a slice of the text it was cut from, with its byte span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// The token's text.
    pub word: &'a str,
    /// Byte offset of its first byte.
    pub start: usize,
    /// Byte offset one past its last byte.
    pub end: usize,
}

impl Segmenter {
    /// jieba's default dictionary plus the corpus phrases, their variant spellings and the
    /// corpus dictionary words.
    ///
    /// # Errors
    /// A malformed `dictionary.tsv`, as `file:line: ...`.
    pub fn new(corpus: &Corpus, hmm: Hmm) -> Result<Self> {
        let mut jieba = Jieba::new();
        for phrase in corpus.phrases() {
            add_word(&mut jieba, &phrase.key);
            for form in corpus.variants().expand(&phrase.key) {
                add_word(&mut jieba, &form);
            }
        }
        // Added after the phrases, so that the frequencies jieba suggests for them already
        // account for the phrases they contain.
        for word in load_dictionary(&corpus.dir().join("dictionary.tsv"))? {
            add_word(&mut jieba, &word);
        }
        Ok(Segmenter { jieba, hmm })
    }

    /// Cuts already normalised text into tokens.
    pub fn cut<'a>(&self, normalized: &'a str) -> Vec<Token<'a>> {
        self.jieba
            .cut(normalized, self.hmm == Hmm::On)
            .into_iter()
            .map(|t| Token {
                word: t.word,
                start: t.byte_start,
                end: t.byte_end,
            })
            .collect()
    }
}

fn add_word(jieba: &mut Jieba, word: &str) {
    // Only words with a CJK character shape jieba's dictionary; Latin words are kept whole by
    // jieba anyway.
    if word.chars().any(crate::normalize::is_cjk) {
        jieba.add_word(word, None, None);
    }
}

/// Reads `dictionary.tsv` (`word<TAB>note`, `#` comments); a missing file is an empty list.
fn load_dictionary(path: &Path) -> Result<Vec<String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut words = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let word = line.split('\t').next().unwrap_or("").trim();
        let key = normalize(word).as_str().to_string();
        if key.chars().count() < 2 {
            return Err(Error::syntax(
                path,
                i + 1,
                format!("dictionary word `{word}` is shorter than two characters"),
            ));
        }
        words.push(key);
    }
    Ok(words)
}
