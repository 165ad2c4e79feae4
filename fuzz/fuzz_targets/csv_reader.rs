//! CSV and TSV input: the first byte picks the format and the field limit, the rest is the
//! file (header included, any encoding).
#![no_main]

use heihui::input::Format;

#[path = "read.rs"]
mod read;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let format = if pick & 1 == 0 { Format::Csv } else { Format::Tsv };
    let limit = 8 + usize::from(pick >> 1) * 32;
    read::read(bytes, format, limit);
});
