//! Throughput of the text stages over about 1 MB of mixed text (the labelled data's texts,
//! repeated): normalise, segment (against plain jieba-rs on the same text), and match (on
//! normalised text, and end to end from raw text).

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use heihui::{data, normalize, Corpus, Hmm, Matcher, Segmenter};

const TARGET_BYTES: usize = 1 << 20;

/// Lines of about 1 MB, from the shipped labelled data.
fn sample() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/labeled");
    let mut texts: Vec<String> = data::SPLITS
        .iter()
        .flat_map(|s| data::read_labeled(&dir.join(format!("{s}.csv"))).expect("shipped data"))
        .map(|e| e.text)
        .collect();
    let base = texts.clone();
    let mut total: usize = texts.iter().map(String::len).sum();
    while total < TARGET_BYTES {
        for t in &base {
            total += t.len();
            texts.push(t.clone());
            if total >= TARGET_BYTES {
                break;
            }
        }
    }
    texts
}

fn stages(c: &mut Criterion) {
    let texts = sample();
    let bytes: usize = texts.iter().map(String::len).sum();
    let corpus = Corpus::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")).unwrap();
    let matcher = Matcher::new(&corpus).unwrap();
    let segmenter = Segmenter::new(&corpus, Hmm::On).unwrap();
    let plain_jieba = jieba_rs::Jieba::new();
    let normalized: Vec<_> = texts.iter().map(|t| normalize(t)).collect();

    let mut group = c.benchmark_group("text");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.bench_function("normalize", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(normalize(t));
            }
        })
    });
    group.bench_function("segment/heihui", |b| {
        b.iter(|| {
            for n in &normalized {
                black_box(segmenter.cut(n.as_str()));
            }
        })
    });
    group.bench_function("segment/jieba-rs", |b| {
        b.iter(|| {
            for n in &normalized {
                black_box(plain_jieba.cut(n.as_str(), true));
            }
        })
    });
    group.bench_function("match/normalized", |b| {
        b.iter(|| {
            for (t, n) in texts.iter().zip(&normalized) {
                black_box(matcher.find_in(t, n));
            }
        })
    });
    group.bench_function("match/end-to-end", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(matcher.find(t));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
