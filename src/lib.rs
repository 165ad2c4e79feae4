//! heihui finds the anti-collection (反催收) black and grey trade in Chinese complaint and
//! chat text: scripts that sell "debt optimisation" to debtors, and complaints used as
//! leverage against lenders.
//!
//! A text flows one way through the stages, one module each:
//! [`normalize()`] (canonical form with an offset map back to the original) ->
//! [`segment`] (jieba, corpus phrases as words) -> [`matcher`] (corpus phrase hits with
//! original spans) -> [`encode`] (tokenizer) -> [`model`] (candle BERT classifier) ->
//! [`decide`] (probabilities + weighted hits -> label, confidence, reasons); [`clues`] finds
//! each row's contacts and [`mining`] works across rows (linked groups, campaigns). [`train`] and
//! [`eval`] build and measure models. The phrase corpus itself is read, checked and edited by [`corpus`] and
//! [`corpus::variants`]; labelled data is read and checked by [`data`].

pub mod builtin;
pub mod classifier;
pub mod clues;
pub mod corpus;
pub mod data;
pub mod decide;
pub mod encode;
pub mod error;
pub mod eval;
pub mod fs;
pub mod input;
pub mod labels;
pub mod matcher;
pub mod mining;
pub mod model;
pub mod normalize;
pub mod output;
pub mod pipeline;
pub mod rng;
pub mod segment;
pub mod train;

pub use corpus::{Category, Corpus, Phrase, Scope};
pub use error::{Error, Result};
pub use labels::Label;
pub use matcher::{Hit, HitKind, Matcher};
pub use normalize::{normalize, Normalized};
pub use segment::{Hmm, Segmenter};
