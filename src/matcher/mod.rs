//! Phrase matching: finds corpus phrases in text, however they were disguised, and reports
//! each hit with its span in the ORIGINAL text.
//!
//! Two matchers run over the normalised text:
//! - an Aho-Corasick automaton (leftmost-longest) over every phrase's normalised form and its
//!   variant spellings;
//! - a pinyin matcher over whole Latin-letter tokens: a phrase's full pinyin (tingxiguazhang)
//!   and, for phrases of four or more characters, its initials (txgz). Letters inside a
//!   longer word or a URL never fire, and spaced single letters (t x g z) are joined.

use std::collections::HashMap;
use std::ops::Range;

use crate::corpus::{Category, Corpus, Phrase, Scope};
use crate::error::Result;
use crate::normalize::{normalize, Normalized};
use crate::segment::{Hmm, Segmenter};
use aho_corasick::{AhoCorasick, MatchKind};

mod latin;
mod pinyin;

use latin::latin_edges_clear;
#[cfg(test)]
use latin::looks_like_link;
use pinyin::pinyin_keys;
pub use pinyin::{MIN_CHARS_FOR_INITIALS, MIN_PINYIN_LETTERS};

/// How a hit was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    /// The original text holds the phrase exactly as written in the corpus.
    Exact,
    /// After clean-up: width, case, traditional characters, interference symbols.
    Evasion,
    /// Through a homophone or look-alike spelling from `variants.tsv`.
    Variant,
    /// As pinyin or pinyin initials in Latin letters.
    Pinyin,
}

impl HitKind {
    /// The kind's name in output.
    pub fn name(self) -> &'static str {
        match self {
            HitKind::Exact => "exact",
            HitKind::Evasion => "evasion",
            HitKind::Variant => "variant",
            HitKind::Pinyin => "pinyin",
        }
    }
}

/// One phrase found in one text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    /// The phrase as written in the corpus.
    pub phrase: String,
    /// Its category.
    pub category: Category,
    /// Its weight.
    pub weight: f32,
    /// How it was found.
    pub kind: HitKind,
    /// Byte offset in the original text where the hit starts.
    pub start: usize,
    /// Byte offset in the original text one past its end.
    pub end: usize,
    /// Character offset in the original text where the hit starts (see
    /// [`crate::normalize::CharOffsets`]).
    pub start_char: usize,
    /// Character offset in the original text one past its end.
    pub end_char: usize,
    /// The original text of the hit.
    pub text: String,
}

/// What an automaton pattern stands for.
#[derive(Debug, Clone, Copy)]
struct Pattern {
    phrase: usize,
    variant: bool,
}

/// The compiled matcher for one corpus.
pub struct Matcher {
    phrases: Vec<Phrase>,
    automaton: AhoCorasick,
    patterns: Vec<Pattern>,
    pinyin: HashMap<String, usize>,
    longest_pinyin_tokens: usize,
    segmenter: Option<Segmenter>,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("phrases", &self.phrases.len())
            .field("patterns", &self.patterns.len())
            .field("pinyin_keys", &self.pinyin.len())
            .finish()
    }
}

impl Matcher {
    /// Compiles the corpus: its phrases, their variant spellings and their pinyin.
    ///
    /// # Errors
    /// A malformed corpus dictionary file (needed for whole-word phrases).
    pub fn new(corpus: &Corpus) -> Result<Self> {
        let phrases: Vec<Phrase> = corpus.phrases().cloned().collect();
        let mut keys: Vec<String> = Vec::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        // Canonical forms first, so that a variant spelling which happens to be another
        // phrase never takes that phrase's place.
        for (i, phrase) in phrases.iter().enumerate() {
            if seen.insert(phrase.key.clone(), i).is_none() {
                keys.push(phrase.key.clone());
                patterns.push(Pattern {
                    phrase: i,
                    variant: false,
                });
            }
        }
        for (i, phrase) in phrases.iter().enumerate() {
            for form in corpus.variants().expand(&phrase.key) {
                if seen.insert(form.clone(), i).is_none() {
                    keys.push(form);
                    patterns.push(Pattern {
                        phrase: i,
                        variant: true,
                    });
                }
            }
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&keys)
            .expect("a few thousand short patterns always fit the automaton");

        // Pinyin keys: stronger phrases first, so that a collision keeps the stronger one.
        let mut order: Vec<usize> = (0..phrases.len()).collect();
        order.sort_by(|&a, &b| phrases[b].weight.abs().total_cmp(&phrases[a].weight.abs()));
        let mut pinyin = HashMap::new();
        for i in order {
            for key in pinyin_keys(&phrases[i].key) {
                pinyin.entry(key).or_insert(i);
            }
        }
        let longest_pinyin_tokens = phrases
            .iter()
            .map(|p| p.key.chars().count())
            .max()
            .unwrap_or(0);
        let segmenter = if phrases.iter().any(|p| p.scope == Scope::WholeWord) {
            Some(Segmenter::new(corpus, Hmm::On)?)
        } else {
            None
        };
        Ok(Matcher {
            phrases,
            automaton,
            patterns,
            pinyin,
            longest_pinyin_tokens,
            segmenter,
        })
    }

    /// Normalises `text` and finds every hit in it.
    pub fn find(&self, text: &str) -> Vec<Hit> {
        self.find_in(text, &normalize(text))
    }

    /// Finds every hit in `original`, given its normalised form; hits are in text order.
    pub fn find_in(&self, original: &str, normalized: &Normalized) -> Vec<Hit> {
        self.find_first(original, normalized, usize::MAX, |_, _| {})
            .0
    }

    /// Finds every hit in `original`, as [`Matcher::find_in`] does, but keeps only the first
    /// `limit` of them as [`Hit`]s: each hit, kept or not, is passed to `weigh` (its category
    /// and weight, in text order), and the count of all of them is returned beside the kept
    /// ones. A huge text made of phrases has millions of hits; this way its memory follows
    /// the text, not its hits, while what is weighed is every one of them.
    pub fn find_first(
        &self,
        original: &str,
        normalized: &Normalized,
        limit: usize,
        mut weigh: impl FnMut(Category, f32),
    ) -> (Vec<Hit>, usize) {
        let mut kept = Vec::new();
        let mut count = 0usize;
        let mut chars = crate::normalize::CharOffsets::new(original);
        self.scan(original, normalized, |phrase, kind, span| {
            weigh(phrase.category, phrase.weight);
            count += 1;
            if kept.len() < limit {
                kept.push(hit(phrase, kind, original, span, &mut chars));
            }
        });
        (kept, count)
    }

    /// Calls `each` with every hit's phrase, kind and span in the original text, in text
    /// order (by start, then end; at the same span an automaton hit comes before a pinyin
    /// one). Both matchers find their hits in text order, so the two are merged as they are
    /// read rather than gathered and sorted.
    fn scan(
        &self,
        original: &str,
        normalized: &Normalized,
        mut each: impl FnMut(&Phrase, HitKind, Range<usize>),
    ) {
        let text = normalized.as_str();
        let mut word_bounds: Option<Vec<usize>> = None;
        let mut automaton = self
            .automaton
            .find_iter(text)
            .filter_map(|m| {
                let pattern = self.patterns[m.pattern().as_usize()];
                let phrase = &self.phrases[pattern.phrase];
                if !latin_edges_clear(text, m.range()) {
                    return None;
                }
                if phrase.scope == Scope::WholeWord {
                    let bounds = word_bounds.get_or_insert_with(|| self.word_bounds(text));
                    if bounds.binary_search(&m.start()).is_err()
                        || bounds.binary_search(&m.end()).is_err()
                    {
                        return None;
                    }
                }
                let span = normalized.original_span(m.range());
                let found = &original[span.clone()];
                let kind = if pattern.variant {
                    HitKind::Variant
                } else if found == phrase.text || found == phrase.key {
                    HitKind::Exact
                } else {
                    HitKind::Evasion
                };
                Some((pattern.phrase, kind, span))
            })
            .peekable();
        let mut pinyin = (!self.pinyin.is_empty())
            .then(|| self.pinyin_hits(text))
            .into_iter()
            .flatten()
            .map(|(range, phrase)| (phrase, HitKind::Pinyin, normalized.original_span(range)))
            .peekable();
        loop {
            let automaton_first = match (automaton.peek(), pinyin.peek()) {
                (None, None) => return,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some((_, _, a)), Some((_, _, p))) => (a.start, a.end) <= (p.start, p.end),
            };
            let next = if automaton_first {
                automaton.next()
            } else {
                pinyin.next()
            };
            let (phrase, kind, span) = next.expect("peeked");
            each(&self.phrases[phrase], kind, span);
        }
    }

    /// Byte offsets where jieba puts token boundaries.
    fn word_bounds(&self, text: &str) -> Vec<usize> {
        let Some(segmenter) = &self.segmenter else {
            return Vec::new();
        };
        let mut bounds = vec![0];
        bounds.extend(segmenter.cut(text).iter().map(|t| t.end));
        bounds
    }
}

fn hit(
    phrase: &Phrase,
    kind: HitKind,
    original: &str,
    span: Range<usize>,
    chars: &mut crate::normalize::CharOffsets<'_>,
) -> Hit {
    let chars = chars.span(span.clone());
    Hit {
        phrase: phrase.text.clone(),
        category: phrase.category,
        weight: phrase.weight,
        kind,
        start_char: chars.start,
        end_char: chars.end,
        text: original[span.clone()].to_string(),
        start: span.start,
        end: span.end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Corpus;
    use std::path::Path;
    use std::sync::OnceLock;

    /// The shipped corpus: the table below checks what maintainers actually ship.
    fn matcher() -> &'static Matcher {
        static M: OnceLock<Matcher> = OnceLock::new();
        M.get_or_init(|| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
            Matcher::new(&Corpus::load(&dir).unwrap()).unwrap()
        })
    }

    /// Named cases: the input and every hit it must give, in order, as (phrase, kind, byte
    /// span of the original text). An extra, missing or moved hit fails the case.
    type Expected = &'static [(&'static str, HitKind, usize, usize)];
    const FIRES: &[(&str, &str, Expected)] = &[
        (
            "exact phrase after other words",
            "专业停息挂账",
            &[("停息挂账", HitKind::Exact, 6, 18)],
        ),
        (
            "symbols and spaces between characters",
            "停*息 挂.账",
            &[("停息挂账", HitKind::Evasion, 0, 15)],
        ),
        (
            "an emoji between characters",
            "停❤息挂账",
            &[("停息挂账", HitKind::Evasion, 0, 15)],
        ),
        (
            "traditional characters",
            "債務優化找我",
            &[("债务优化", HitKind::Evasion, 0, 12)],
        ),
        (
            "dashes between characters",
            "债-务-优-化",
            &[("债务优化", HitKind::Evasion, 0, 15)],
        ),
        (
            "two homophone variants",
            "亭息挂帐",
            &[("停息挂账", HitKind::Variant, 0, 12)],
        ),
        (
            "one look-alike variant",
            "停息挂帐",
            &[("停息挂账", HitKind::Variant, 0, 12)],
        ),
        (
            "homophone in a credit phrase",
            "正信修复",
            &[("征信修复", HitKind::Variant, 0, 12)],
        ),
        (
            "a character split into its parts",
            "征亻言修复",
            &[("征信修复", HitKind::Variant, 0, 15)],
        ),
        (
            "pinyin initials after a lure phrase",
            "了解一下 txgz",
            &[
                ("了解一下", HitKind::Exact, 0, 12),
                ("停息挂账", HitKind::Pinyin, 13, 17),
            ],
        ),
        (
            "upper-case initials",
            "TXGZ找我",
            &[("停息挂账", HitKind::Pinyin, 0, 4)],
        ),
        (
            "initials with spaces",
            "t x g z",
            &[("停息挂账", HitKind::Pinyin, 0, 7)],
        ),
        (
            "initials with dots",
            "t.x.g.z",
            &[("停息挂账", HitKind::Pinyin, 0, 7)],
        ),
        (
            "full pinyin",
            "tingxiguazhang",
            &[("停息挂账", HitKind::Pinyin, 0, 14)],
        ),
        (
            "full pinyin with spaces",
            "ting xi gua zhang",
            &[("停息挂账", HitKind::Pinyin, 0, 17)],
        ),
        (
            "full-width initials",
            "ＺＷＹＨ",
            &[("债务优化", HitKind::Pinyin, 0, 12)],
        ),
        (
            "initials with digits after",
            "zwyh888",
            &[("债务优化", HitKind::Pinyin, 0, 4)],
        ),
        (
            "enclosed letters",
            "🅃🅇🄶🅉",
            &[("停息挂账", HitKind::Pinyin, 0, 16)],
        ),
        (
            "spaces between every character",
            "协 商 减 免",
            &[("协商减免", HitKind::Evasion, 0, 15)],
        ),
        (
            "a demand phrase",
            "全部息费减免",
            &[("全部息费减免", HitKind::Exact, 0, 18)],
        ),
        (
            "principal-only demand",
            "只还本金",
            &[("只还本金", HitKind::Exact, 0, 12)],
        ),
        (
            "a WeChat lure variant",
            "加薇信",
            &[("加微信", HitKind::Variant, 0, 9)],
        ),
        (
            "a mixed Latin lure variant",
            "加V信",
            &[("加微信", HitKind::Variant, 0, 7)],
        ),
        (
            "a warning phrase",
            "谨防上当",
            &[("谨防", HitKind::Exact, 0, 6)],
        ),
        (
            "上岸 on its own",
            "我已经上岸了",
            &[("上岸", HitKind::Exact, 9, 15)],
        ),
        (
            "the longer phrase wins over 上岸",
            "帮你上岸",
            &[("帮你上岸", HitKind::Exact, 0, 12)],
        ),
        (
            "call forwarding instruction",
            "设置呼叫转移",
            &[("设置呼叫转移", HitKind::Exact, 0, 18)],
        ),
        (
            "call forwarding inside a sentence",
            "手机开了呼叫转移",
            &[("呼叫转移", HitKind::Exact, 12, 24)],
        ),
    ];

    /// input, phrase that must NOT fire.
    const SILENT: &[(&str, &str)] = &[
        ("今年考研上岸了", "上岸"),
        ("公考上岸经验分享", "上岸"),
        ("我们要优化流程", "债务优化"),
        ("见 https://example.com/txgz/page", "停息挂账"),
        ("mail me at txgz@example.cn", "停息挂账"),
        ("这台车是V8发动机", "加微信"),
        ("V8 engine", "加微信"),
        ("vxworks 系统", "加微信"),
        ("txgzabc", "停息挂账"),
        ("停息", "停息挂账"),
        ("停。息挂账", "停息挂账"),
        ("地方政府债务", "债务优化"),
    ];

    fn phrases_found(text: &str) -> Vec<(String, HitKind)> {
        matcher()
            .find(text)
            .into_iter()
            .map(|h| (h.phrase, h.kind))
            .collect()
    }

    #[test]
    fn fires_table() {
        for (name, input, expected) in FIRES {
            let found: Vec<(String, HitKind, usize, usize)> = matcher()
                .find(input)
                .into_iter()
                .map(|h| (h.phrase, h.kind, h.start, h.end))
                .collect();
            let expected: Vec<(String, HitKind, usize, usize)> = expected
                .iter()
                .map(|&(p, k, s, e)| (p.to_string(), k, s, e))
                .collect();
            assert_eq!(found, expected, "{name}: {input:?}");
        }
    }

    #[test]
    fn silent_table() {
        for (input, phrase) in SILENT {
            let found = phrases_found(input);
            assert!(
                !found.iter().any(|(p, _)| p == phrase),
                "{input:?} must not hit {phrase}, found {found:?}"
            );
        }
    }

    #[test]
    fn hits_carry_original_spans() {
        let text = "您好！債*務*優*化，加 Ｖ 信";
        for hit in matcher().find(text) {
            assert_eq!(&text[hit.start..hit.end], hit.text);
        }
        let hits = matcher().find(text);
        let debt = hits.iter().find(|h| h.phrase == "债务优化").unwrap();
        assert_eq!(debt.text, "債*務*優*化");
    }

    #[test]
    fn find_first_keeps_the_first_hits_and_weighs_them_all() {
        // Automaton and pinyin hits interleaved, so the merge of the two is in the order.
        let text = "txgz 停息挂账，了解一下 zwyh888 谨防上当 加V信 tingxiguazhang 停息挂账";
        let normalized = normalize(text);
        let all = matcher().find_in(text, &normalized);
        assert!(all.len() >= 6, "{all:?}");
        assert!(all
            .windows(2)
            .all(|w| (w[0].start, w[0].end) <= (w[1].start, w[1].end)));
        for limit in [0, 1, 3, all.len(), all.len() + 5] {
            let mut weighed = Vec::new();
            let (kept, count) = matcher().find_first(text, &normalized, limit, |c, w| {
                weighed.push((c, w));
            });
            assert_eq!(kept, all[..limit.min(all.len())], "limit {limit}");
            assert_eq!(count, all.len());
            let every: Vec<(Category, f32)> = all.iter().map(|h| (h.category, h.weight)).collect();
            assert_eq!(weighed, every, "limit {limit}");
        }
    }

    #[test]
    fn pinyin_keys_cover_full_and_initials() {
        let keys = pinyin_keys("停息挂账");
        assert!(keys.contains(&"tingxiguazhang".to_string()), "{keys:?}");
        assert!(keys.contains(&"txgz".to_string()), "{keys:?}");
        assert!(pinyin_keys("征信").contains(&"zhengxin".to_string()));
        assert!(!pinyin_keys("征信").iter().any(|k| k.len() == 2));
        assert!(pinyin_keys("加v").is_empty());
    }

    #[test]
    fn link_detection() {
        assert!(looks_like_link("https://a.b/txgz"));
        assert!(looks_like_link("abc.com/txgz"));
        assert!(!looks_like_link("txgz"));
        assert!(!looks_like_link("a.commit"));
    }

    proptest::proptest! {
        /// Whatever the text, matching never panics and every hit's span is a slice of it.
        #[test]
        fn any_text_matches_safely(input in "(\\PC|[停息挂账债务优化上岸考研txgzvVX加微信 *.❤①Ⓥ，。\\n]|https://a.cn/)*") {
            for hit in matcher().find(&input) {
                proptest::prop_assert!(hit.start <= hit.end && hit.end <= input.len());
                proptest::prop_assert_eq!(&input[hit.start..hit.end], hit.text.as_str());
            }
        }
    }
}
