//! JSON lines input: the first byte picks the line limit, the rest is the file.
#![no_main]

use heihui::input::Format;

#[path = "read.rs"]
mod read;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    read::read(bytes, Format::Jsonl, 8 + usize::from(pick) * 32);
});
