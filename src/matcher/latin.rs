//! The Latin-letter side of matching: whole ASCII-letter tokens outside links, addresses and
//! domains, when two may be joined, and whether a match's Latin edges stand free.

use std::ops::Range;

use crate::normalize::{is_boundary, is_cjk};

/// A match that begins or ends with a Latin letter must not continue a longer Latin word
/// (加v fires in 加v123, not in 加vip; vx does not fire in vxworks).
pub(super) fn latin_edges_clear(text: &str, range: Range<usize>) -> bool {
    let starts_latin = text[range.clone()]
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic());
    let ends_latin = text[range.clone()]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphabetic());
    let before = text[..range.start].chars().next_back();
    let after = text[range.end..].chars().next();
    !(starts_latin && before.is_some_and(|c| c.is_ascii_alphabetic())
        || ends_latin && after.is_some_and(|c| c.is_ascii_alphabetic()))
}

/// Maximal runs of ASCII letters, outside URLs, e-mail addresses and domain names, in text
/// order. Found as they are read, so that a long text's tokens are never all held at once.
pub(super) fn latin_tokens(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let links = link_spans(text);
    let (mut i, mut link) = (0, 0);
    std::iter::from_fn(move || loop {
        while i < bytes.len() && !bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        if i == bytes.len() {
            return None;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        // Links are in text order and do not overlap: skip those ending before the token.
        while link < links.len() && links[link].end < i {
            link += 1;
        }
        let in_link = links
            .get(link)
            .is_some_and(|l| l.start <= start && i <= l.end);
        if !in_link {
            return Some(start..i);
        }
    })
}

/// Spans of whitespace-free non-CJK runs that look like links, addresses or domains.
pub(super) fn link_spans(text: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut start = None;
    for (at, ch) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        let part = !ch.is_whitespace() && !is_cjk(ch) && !is_boundary(ch) && ch.is_ascii();
        match (part, start) {
            (true, None) => start = Some(at),
            (false, Some(s)) => {
                if looks_like_link(&text[s..at]) {
                    spans.push(s..at);
                }
                start = None;
            }
            _ => {}
        }
    }
    spans
}

pub(super) fn looks_like_link(run: &str) -> bool {
    const TLDS: &[&str] = &[
        ".com", ".cn", ".net", ".org", ".io", ".top", ".xyz", ".cc", ".me",
    ];
    run.contains("://")
        || run.starts_with("www.")
        || run.contains('@')
        || TLDS.iter().any(|t| {
            run.match_indices(t).any(|(at, _)| {
                at > 0
                    && !run[at + t.len()..]
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphabetic())
            })
        })
}

/// Two Latin tokens may be joined when one to two separator characters (spaces, dots,
/// dashes, emoji) stand between them, with no CJK, digit or sentence boundary.
pub(super) fn joinable(text: &str, left_end: usize, right_start: usize) -> bool {
    let gap = &text[left_end..right_start];
    let n = gap.chars().count();
    (1..=2).contains(&n)
        && gap
            .chars()
            .all(|c| !is_cjk(c) && !c.is_alphanumeric() && !is_boundary(c))
}
