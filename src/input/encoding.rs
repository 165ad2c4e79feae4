//! Which text encoding a file is in, and turning its bytes into UTF-8: the byte-order mark
//! first, else the encoding (UTF-8 or GB18030) with fewer malformed sequences in the first
//! bytes; UTF-16 is transcoded to UTF-8 as it is read.

use std::io::{self, Read};

use encoding_rs::{Encoding, GB18030};

/// The text encoding detected for a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// GB18030, a superset of GBK and GB2312.
    Gb18030,
    /// UTF-16 with a byte-order mark, transcoded to UTF-8 while reading.
    Utf16,
}

impl TextEncoding {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Gb18030 => "GB18030",
            TextEncoding::Utf16 => "UTF-16",
        }
    }

    /// `bytes` as text, or `None` where they are invalid in this encoding (UTF-16 has been
    /// transcoded to UTF-8 before records are cut).
    pub(crate) fn decode(self, bytes: &[u8]) -> Option<String> {
        match self {
            TextEncoding::Utf8 | TextEncoding::Utf16 => {
                std::str::from_utf8(bytes).ok().map(str::to_string)
            }
            TextEncoding::Gb18030 => GB18030
                .decode_without_bom_handling_and_without_replacement(bytes)
                .map(|c| c.into_owned()),
        }
    }

    /// `bytes` as text with replacement characters where they are invalid, without the
    /// line end: how a rejected record is shown.
    pub(crate) fn lossy(self, bytes: &[u8]) -> String {
        let encoding: &Encoding = match self {
            TextEncoding::Gb18030 => GB18030,
            _ => encoding_rs::UTF_8,
        };
        encoding
            .decode_without_bom_handling(bytes)
            .0
            .trim_end_matches(['\r', '\n'])
            .to_string()
    }
}

/// The encoding of a file from its first bytes, and how many bytes of byte-order mark to
/// skip.
pub fn detect_encoding(peek: &[u8]) -> (TextEncoding, usize) {
    if peek.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return (TextEncoding::Utf8, 3);
    }
    if peek.starts_with(&[0xFF, 0xFE]) || peek.starts_with(&[0xFE, 0xFF]) {
        return (TextEncoding::Utf16, 2);
    }
    // The encoding with fewer malformed sequences in the sample wins, UTF-8 on a tie: a
    // UTF-8 file with a few corrupt bytes stays UTF-8 (those rows are rejected), while GBK
    // text read as UTF-8 is malformed almost everywhere.
    let utf8 = malformed(encoding_rs::UTF_8, peek);
    if utf8 == 0 || utf8 <= malformed(GB18030, peek) {
        (TextEncoding::Utf8, 0)
    } else {
        (TextEncoding::Gb18030, 0)
    }
}

/// Malformed sequences in `sample` decoded as `encoding` (a sequence cut off at the end of
/// the sample does not count).
fn malformed(encoding: &'static Encoding, sample: &[u8]) -> usize {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut out = vec![0u8; 4096];
    let mut rest = sample;
    let mut count = 0;
    loop {
        let (result, read, _) = decoder.decode_to_utf8_without_replacement(rest, &mut out, false);
        rest = &rest[read..];
        match result {
            encoding_rs::DecoderResult::InputEmpty => return count,
            encoding_rs::DecoderResult::OutputFull => {}
            encoding_rs::DecoderResult::Malformed(_, _) => count += 1,
        }
    }
}

/// Transcodes a UTF-16 stream to UTF-8 as it is read.
pub(crate) struct Utf16Reader {
    inner: Box<dyn Read + Send>,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    output: Vec<u8>,
    out_at: usize,
    done: bool,
}

impl Utf16Reader {
    pub(crate) fn new(inner: Box<dyn Read + Send>, encoding: &'static Encoding) -> Self {
        Utf16Reader {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            input: vec![0; 1 << 15],
            output: Vec::new(),
            out_at: 0,
            done: false,
        }
    }
}

impl Read for Utf16Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_at >= self.output.len() {
            if self.done {
                return Ok(0);
            }
            let n = self.inner.read(&mut self.input)?;
            let last = n == 0;
            self.output.clear();
            self.output.resize(n * 2 + 16, 0);
            let (_, _, written, _) =
                self.decoder
                    .decode_to_utf8(&self.input[..n], &mut self.output, last);
            self.output.truncate(written);
            self.out_at = 0;
            self.done = last;
        }
        let n = buf.len().min(self.output.len() - self.out_at);
        buf[..n].copy_from_slice(&self.output[self.out_at..self.out_at + n]);
        self.out_at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_corrupt_bytes_do_not_make_utf8_gbk() {
        let mut sample = "编号,内容\n1,停息挂账找我们\n2,还款没到账了\n"
            .repeat(3)
            .into_bytes();
        sample.extend_from_slice(&[0xff, 0xfe]);
        assert_eq!(detect_encoding(&sample).0, TextEncoding::Utf8);
        let gbk = GB18030
            .encode("编号,内容\n1,停息挂账找我们\n")
            .0
            .into_owned();
        assert_eq!(detect_encoding(&gbk).0, TextEncoding::Gb18030);
        assert_eq!(detect_encoding("停息".as_bytes()).0, TextEncoding::Utf8);
    }
}
