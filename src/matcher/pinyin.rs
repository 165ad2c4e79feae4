//! The pinyin side of matching: each phrase's full pinyin and initials as keys, and the runs
//! of Latin tokens in a text that spell one.

use std::collections::VecDeque;
use std::ops::Range;

use ::pinyin::ToPinyinMulti;

use super::latin::{joinable, latin_tokens};
use super::Matcher;
use crate::normalize::is_cjk;

/// Phrases shorter than this (in characters) get no initials key: two- and three-letter
/// initials collide with ordinary abbreviations.
pub const MIN_CHARS_FOR_INITIALS: usize = 4;

/// Full-pinyin keys shorter than this (in letters) are not used; short syllable strings are
/// ordinary English words too often.
pub const MIN_PINYIN_LETTERS: usize = 6;

/// At most this many readings of one phrase are registered (phrases with several
/// characters of more than one reading).
const MAX_READINGS: usize = 16;

impl Matcher {
    /// Pinyin hits: runs of whole Latin tokens, joined across short separators, whose
    /// letters are a phrase's pinyin or initials. Longest run first at each token. Found as
    /// they are read, in text order, so that a text's hits are never all held at once.
    pub(super) fn pinyin_hits<'a>(
        &'a self,
        text: &'a str,
    ) -> impl Iterator<Item = (Range<usize>, usize)> + 'a {
        // The next few tokens only, read ahead as far as the longest key reaches.
        let longest = self.longest_pinyin_tokens.max(1);
        let mut tokens = latin_tokens(text);
        let mut ahead: VecDeque<Range<usize>> = VecDeque::with_capacity(longest);
        let mut joined = String::new();
        std::iter::from_fn(move || loop {
            while ahead.len() < longest {
                match tokens.next() {
                    Some(t) => ahead.push_back(t),
                    None => break,
                }
            }
            if ahead.is_empty() {
                return None;
            }
            joined.clear();
            let mut best = None;
            for j in 0..ahead.len() {
                if j > 0 && !joinable(text, ahead[j - 1].end, ahead[j].start) {
                    break;
                }
                joined.push_str(&text[ahead[j].clone()]);
                if let Some(&phrase) = self.pinyin.get(joined.as_str()) {
                    best = Some((j, phrase));
                }
            }
            match best {
                Some((last, phrase)) => {
                    let found = (ahead[0].start..ahead[last].end, phrase);
                    ahead.drain(..=last);
                    return Some(found);
                }
                None => {
                    ahead.pop_front();
                }
            }
        })
    }
}

/// Full-pinyin and initials keys for a normalised phrase made only of CJK characters.
pub(super) fn pinyin_keys(key: &str) -> Vec<String> {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 2 || !chars.iter().all(|&c| is_cjk(c)) {
        return Vec::new();
    }
    let mut readings: Vec<Vec<&'static str>> = Vec::with_capacity(chars.len());
    for &c in &chars {
        let Some(multi) = c.to_pinyin_multi() else {
            return Vec::new();
        };
        let mut options: Vec<&'static str> =
            (0..multi.count()).map(|i| multi.get(i).plain()).collect();
        options.dedup();
        readings.push(options);
    }
    let mut combos: Vec<String> = vec![String::new()];
    for options in &readings {
        let mut next = Vec::new();
        for prefix in &combos {
            for option in options {
                if next.len() < MAX_READINGS {
                    next.push(format!("{prefix}{option}"));
                }
            }
        }
        combos = next;
    }
    let mut keys: Vec<String> = combos
        .into_iter()
        .filter(|k| k.len() >= MIN_PINYIN_LETTERS && k.is_ascii())
        .collect();
    if chars.len() >= MIN_CHARS_FOR_INITIALS {
        let mut initials = vec![String::new()];
        for options in &readings {
            let mut next = Vec::new();
            for prefix in &initials {
                for option in options {
                    let letter = &option[..option.chars().next().map_or(0, char::len_utf8)];
                    let candidate = format!("{prefix}{letter}");
                    if !next.contains(&candidate) && next.len() < MAX_READINGS {
                        next.push(candidate);
                    }
                }
            }
            initials = next;
        }
        keys.extend(initials.into_iter().filter(|k| k.is_ascii()));
    }
    keys.sort();
    keys.dedup();
    keys
}
