//! Batch labelling's engine: reading, preparation (normalise, match, tokenise) and inference
//! run at the same time on different threads, connected by bounded channels so memory stays
//! bounded whatever the input size, and results come out in input order.
//!
//! ```text
//! reader thread --chunks--> N preparation workers --> inference thread (in order) --> caller
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};

use crate::classifier::{Classification, Classifier, Prepared};
use crate::error::{Error, Result};
use crate::input::{InputReader, Item, Reject, Row};

/// How the pipeline runs.
#[derive(Debug, Clone)]
pub struct PipelineSettings {
    /// Preparation workers.
    pub threads: usize,
    /// Texts per forward pass.
    pub batch_size: usize,
    /// Records per chunk handed between stages; inference batches by length within a chunk.
    pub chunk_rows: usize,
    /// Where to count progress: after each chunk's outcomes have gone to the sink, set to the
    /// input bytes read up to that chunk's end. The reader runs ahead of labelling by the
    /// queued chunks (thousands of rows), so its own count says little about what is done.
    pub bytes_done: Option<Arc<AtomicU64>>,
}

impl Default for PipelineSettings {
    fn default() -> Self {
        PipelineSettings {
            threads: 1,
            batch_size: crate::model::DEFAULT_BATCH_SIZE,
            chunk_rows: 512,
            bytes_done: None,
        }
    }
}

/// What became of one input record.
// Outcomes are moved once each, straight to the sink; boxing the classification would add an
// allocation per row to save a copy.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Outcome {
    /// Read and classified.
    Labeled(Row, Classification),
    /// Not readable.
    Rejected(Reject),
}

/// Sequence number, records, and the input bytes read up to the chunk's end.
type Chunk = (u64, Vec<Item>, u64);
type PreparedChunk = (u64, Vec<Item>, Vec<Prepared>, u64);

/// Labels every record of `input`, calling `sink` with each outcome in input order.
///
/// # Errors
/// An I/O failure reading the input, a model failure, or the first error `sink` returns; the
/// other stages stop when one fails.
pub fn run<E: From<Error>>(
    classifier: &Classifier,
    input: &mut InputReader,
    settings: &PipelineSettings,
    mut sink: impl FnMut(Outcome) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let workers = settings.threads.max(1);
    let chunk_rows = settings.chunk_rows.max(1);
    std::thread::scope(|scope| -> std::result::Result<(), E> {
        let (chunk_tx, chunk_rx) = sync_channel::<Chunk>(workers * 2);
        let (prepared_tx, prepared_rx) = sync_channel::<PreparedChunk>(workers * 2);
        let (done_tx, done_rx) = sync_channel::<Result<(Vec<Item>, Vec<Classification>, u64)>>(2);

        let read = input.bytes_read();
        let reader = scope.spawn(move || -> Result<()> {
            let mut seq = 0u64;
            let mut chunk = Vec::with_capacity(chunk_rows);
            while let Some(item) = input.next_item()? {
                chunk.push(item);
                if chunk.len() == chunk_rows {
                    if chunk_tx
                        .send((seq, std::mem::take(&mut chunk), read.get()))
                        .is_err()
                    {
                        return Ok(());
                    }
                    seq += 1;
                }
            }
            if !chunk.is_empty() {
                let _ = chunk_tx.send((seq, chunk, read.get()));
            }
            Ok(())
        });

        let shared_rx: Arc<Mutex<Receiver<Chunk>>> = Arc::new(Mutex::new(chunk_rx));
        for _ in 0..workers {
            let rx = Arc::clone(&shared_rx);
            let tx = prepared_tx.clone();
            scope.spawn(move || loop {
                let next = rx.lock().map(|r| r.recv());
                let Ok(Ok((seq, items, bytes))) = next else {
                    return;
                };
                let prepared = items
                    .iter()
                    .filter_map(|item| match item {
                        Item::Row(row) => Some(classifier.prepare(row.text())),
                        Item::Reject(_) => None,
                    })
                    .collect();
                if tx.send((seq, items, prepared, bytes)).is_err() {
                    return;
                }
            });
        }
        // The workers hold the only handles now, so the reader sees when they are gone.
        drop(shared_rx);
        drop(prepared_tx);

        let batch_size = settings.batch_size;
        scope.spawn(move || {
            let mut waiting: BTreeMap<u64, (Vec<Item>, Vec<Prepared>, u64)> = BTreeMap::new();
            let mut next = 0u64;
            for (seq, items, prepared, bytes) in prepared_rx {
                waiting.insert(seq, (items, prepared, bytes));
                while let Some((items, prepared, bytes)) = waiting.remove(&next) {
                    next += 1;
                    let result = classifier
                        .infer(prepared, batch_size)
                        .map(|c| (items, c, bytes));
                    let failed = result.is_err();
                    if done_tx.send(result).is_err() || failed {
                        return;
                    }
                }
            }
        });

        let mut outcome = Ok(());
        for result in done_rx.iter() {
            let step = result
                .map_err(E::from)
                .and_then(|(items, classifications, bytes)| {
                    let mut classifications = classifications.into_iter();
                    for item in items {
                        match item {
                            Item::Row(row) => {
                                let c = classifications.next().expect("one classification per row");
                                sink(Outcome::Labeled(row, c))?;
                            }
                            Item::Reject(r) => sink(Outcome::Rejected(r))?,
                        }
                    }
                    if let Some(done) = &settings.bytes_done {
                        done.store(bytes, Ordering::Relaxed);
                    }
                    Ok(())
                });
            if let Err(e) = step {
                outcome = Err(e);
                break;
            }
        }
        // Dropping the receiving end stops the stages still running.
        drop(done_rx);
        let read = reader.join().unwrap_or(Ok(()));
        outcome.and(read.map_err(E::from))
    })
}
