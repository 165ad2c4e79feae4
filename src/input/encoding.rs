//! Which text encoding a file is in, and turning its bytes into UTF-8: the byte-order mark
//! first, else UTF-16 by its pattern of NUL bytes, else the encoding (UTF-8 or GB18030) with
//! fewer malformed sequences in the first bytes; UTF-16 is transcoded to UTF-8 as it is read.
//!
//! Files joined from two exports can be GBK for a while and UTF-8 after: in a GB18030 file a
//! record that is valid UTF-8 and reads as CJK text in UTF-8 is taken as UTF-8, because UTF-8
//! bytes almost always also decode as GBK, into mojibake (停息挂账 -> 鍋滄伅鎸傝处).

use std::io::{self, Read};

use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE};

/// The text encoding detected for a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// GB18030, a superset of GBK and GB2312.
    Gb18030,
    /// UTF-16 (with a byte-order mark, or found by its NUL bytes), transcoded to UTF-8 while
    /// reading.
    Utf16,
}

/// Written into the transcoded stream where UTF-16 is malformed (a lone surrogate): never
/// valid in UTF-8, so the record holding it is rejected instead of read with U+FFFD.
const MALFORMED_MARK: u8 = 0xFF;

impl TextEncoding {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Gb18030 => "GB18030",
            TextEncoding::Utf16 => "UTF-16",
        }
    }

    /// The encoding of one record of a file in this encoding: UTF-8 for a record of a
    /// GB18030 file that is valid UTF-8 and reads as CJK text in it, else this one.
    pub(crate) fn of_record(self, bytes: &[u8]) -> TextEncoding {
        if self == TextEncoding::Gb18030 && !bytes.is_ascii() {
            if let Ok(text) = std::str::from_utf8(bytes) {
                if reads_as_utf8(text) {
                    return TextEncoding::Utf8;
                }
            }
        }
        self
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

    /// Like [`TextEncoding::decode`], reusing the bytes' allocation for UTF-8.
    pub(crate) fn decode_owned(self, bytes: Vec<u8>) -> Option<String> {
        match self {
            TextEncoding::Utf8 | TextEncoding::Utf16 => String::from_utf8(bytes).ok(),
            TextEncoding::Gb18030 => self.decode(&bytes),
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

/// Whether valid UTF-8 reads as text rather than as GBK bytes that happen to be valid UTF-8:
/// more of its non-ASCII characters take three or four bytes (CJK) than two (Latin, Greek,
/// Cyrillic, combining marks: what GBK pairs such as 停 CD A3 become).
fn reads_as_utf8(text: &str) -> bool {
    let (mut wide, mut narrow) = (0usize, 0usize);
    for c in text.chars().filter(|c| !c.is_ascii()) {
        if c.len_utf8() >= 3 {
            wide += 1;
        } else {
            narrow += 1;
        }
    }
    wide > narrow
}

/// What the first bytes of a file say about its encoding.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Detected {
    /// The encoding.
    pub(crate) encoding: TextEncoding,
    /// Bytes of byte-order mark to skip.
    pub(crate) bom: usize,
    /// For UTF-16, which byte order.
    pub(crate) utf16: Option<&'static Encoding>,
}

/// The encoding of a file from its first bytes, and how many bytes of byte-order mark to
/// skip.
pub fn detect_encoding(peek: &[u8]) -> (TextEncoding, usize) {
    let detected = detect(peek);
    (detected.encoding, detected.bom)
}

pub(crate) fn detect(peek: &[u8]) -> Detected {
    let found = |encoding, bom, utf16| Detected {
        encoding,
        bom,
        utf16,
    };
    if peek.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return found(TextEncoding::Utf8, 3, None);
    }
    if peek.starts_with(&[0xFF, 0xFE]) {
        return found(TextEncoding::Utf16, 2, Some(UTF_16LE));
    }
    if peek.starts_with(&[0xFE, 0xFF]) {
        return found(TextEncoding::Utf16, 2, Some(UTF_16BE));
    }
    if let Some(order) = utf16_by_nuls(peek) {
        return found(TextEncoding::Utf16, 0, Some(order));
    }
    // The encoding with fewer malformed sequences in the sample wins, UTF-8 on a tie: a
    // UTF-8 file with a few corrupt bytes stays UTF-8 (those rows are rejected), while GBK
    // text read as UTF-8 is malformed almost everywhere.
    let utf8 = malformed(encoding_rs::UTF_8, peek);
    if utf8 == 0 || utf8 <= malformed(GB18030, peek) {
        found(TextEncoding::Utf8, 0, None)
    } else {
        found(TextEncoding::Gb18030, 0, None)
    }
}

/// UTF-16 without a byte-order mark, by its NUL bytes: ASCII (digits, delimiters, line
/// ends, an ASCII header) in UTF-16 is a NUL beside a byte under 0x80, on the same side in
/// every pair, while UTF-8 and GB18030 text has no NULs. The side with more such pairs names
/// the byte order, and the sample must then decode in it without a malformed sequence. Only
/// NULs beside an ASCII byte count: emoji surrogates (😀 is D83D DE00) and a few CJK
/// characters (一 is U+4E00) put NULs on the other side, but beside a byte of 0x80 or more,
/// or rarely.
fn utf16_by_nuls(peek: &[u8]) -> Option<&'static Encoding> {
    let ascii = |nul: u8, other: u8| usize::from(nul == 0 && other != 0 && other < 0x80);
    let (mut high, mut low) = (0usize, 0usize);
    for pair in peek.chunks_exact(2) {
        low += ascii(pair[1], pair[0]);
        high += ascii(pair[0], pair[1]);
    }
    let order = match (low, high) {
        (l, h) if l >= 4 && l > 2 * h => UTF_16LE,
        (l, h) if h >= 4 && h > 2 * l => UTF_16BE,
        _ => return None,
    };
    (malformed(order, peek) == 0).then_some(order)
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

/// Transcodes a UTF-16 stream to UTF-8 as it is read; a malformed sequence (a lone
/// surrogate, an odd last byte) becomes [`MALFORMED_MARK`].
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

    fn transcode(&mut self, n: usize, last: bool) {
        self.output.clear();
        self.out_at = 0;
        let mut rest = &self.input[..n];
        let mut written = 0;
        loop {
            if self.output.len() < written + 3 * rest.len() / 2 + 16 {
                self.output.resize(written + 3 * rest.len() / 2 + 16, 0);
            }
            let (result, read, w) = self.decoder.decode_to_utf8_without_replacement(
                rest,
                &mut self.output[written..],
                last,
            );
            rest = &rest[read..];
            written += w;
            match result {
                encoding_rs::DecoderResult::InputEmpty => break,
                encoding_rs::DecoderResult::OutputFull => {}
                encoding_rs::DecoderResult::Malformed(_, _) => {
                    if self.output.len() <= written {
                        self.output.resize(written + 16, 0);
                    }
                    self.output[written] = MALFORMED_MARK;
                    written += 1;
                }
            }
        }
        self.output.truncate(written);
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
            self.transcode(n, last);
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

    #[test]
    fn a_gbk_record_valid_as_utf8_by_chance_stays_gbk() {
        let gbk = GB18030.encode("1,停息\n").0.into_owned();
        assert!(
            std::str::from_utf8(&gbk).is_ok(),
            "停息 in GBK is valid UTF-8"
        );
        assert_eq!(TextEncoding::Gb18030.of_record(&gbk), TextEncoding::Gb18030);
        let utf8 = "1,停息挂账\n".as_bytes();
        assert_eq!(TextEncoding::Gb18030.of_record(utf8), TextEncoding::Utf8);
    }

    #[test]
    fn utf16_without_bom_is_found_by_its_nuls() {
        let le: Vec<u8> = "id,text\n1,停息\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let be: Vec<u8> = "id,text\n1,停息\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(detect(&le).utf16, Some(UTF_16LE));
        assert_eq!(detect(&be).utf16, Some(UTF_16BE));
        assert_eq!(detect(&le).bom, 0);
        assert_eq!(detect("id,text\n1,停息\n".as_bytes()).utf16, None);
    }

    #[test]
    fn a_lone_surrogate_is_marked_not_replaced() {
        let mut bytes: Vec<u8> = "a".encode_utf16().flat_map(u16::to_le_bytes).collect();
        bytes.extend_from_slice(&0xD800u16.to_le_bytes());
        bytes.extend(u16::to_le_bytes(u16::from(b'b')));
        let mut out = Vec::new();
        Utf16Reader::new(Box::new(io::Cursor::new(bytes)), UTF_16LE)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, [b'a', MALFORMED_MARK, b'b']);
    }
}
