//! Opening an input: a workbook by its first bytes or its name, otherwise text whose
//! encoding and delimiter are detected from its first 64 KiB before its header is read and
//! its text column found.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use super::columns::find_text_column;
use super::encoding::{detect, Utf16Reader};
use super::records::{parse_record, Ending, Splitter};
use super::{detect_delimiter, xlsx, BytesRead, Format, InputReader, InputSpec, TextEncoding};
use crate::error::{Error, InputError, Result};

struct Counting<R> {
    inner: R,
    count: BytesRead,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}
/// Opens `sheet` (the first when `None`) of the file at `path` when the file is a workbook
/// (by its first bytes, or by its extension); `Ok(None)` when it is not one.
///
/// # Errors
/// An unreadable file, a workbook calamine cannot read, or no such sheet.
pub(crate) fn open_sheet(path: &Path, sheet: Option<&str>) -> Result<Option<xlsx::Sheet>> {
    let mut start = [0u8; 8];
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let n = file.read(&mut start).map_err(|e| Error::io(path, e))?;
    if !xlsx::has_workbook_magic(&start[..n]) {
        if Format::from_extension(path) == Some(Format::Xlsx) {
            return Err(workbook_error(
                &path.display().to_string(),
                "not a workbook (it is neither a zip archive nor an OLE file)",
            ));
        }
        return Ok(None);
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    xlsx::Sheet::open(bytes, sheet)
        .map(Some)
        .map_err(|message| workbook_error(&path.display().to_string(), message))
}

/// A workbook that cannot be read, or has no such sheet: no row is at fault.
fn workbook_error(name: &str, message: impl Into<String>) -> Error {
    Error::io(
        name,
        io::Error::new(io::ErrorKind::InvalidData, message.into()),
    )
}

impl InputReader {
    /// Opens an input, detects its encoding and delimiter, reads its header and finds its
    /// text column.
    ///
    /// # Errors
    /// An unreadable file; a CSV/TSV file without a header or whose text column cannot be
    /// found (the message lists the columns seen).
    pub fn open(spec: &InputSpec) -> Result<Self> {
        let name = spec.name();
        let bytes_read = BytesRead::default();
        let raw: Box<dyn Read + Send> = match &spec.path {
            Some(path) => Box::new(File::open(path).map_err(|e| Error::io(path, e))?),
            None => Box::new(io::stdin()),
        };
        let mut reader = BufReader::with_capacity(
            1 << 16,
            Counting {
                inner: raw,
                count: bytes_read.clone(),
            },
        );
        let mut peek = Vec::with_capacity(1 << 16);
        (&mut reader)
            .take(1 << 16)
            .read_to_end(&mut peek)
            .map_err(|e| Error::io(&name, e))?;
        let workbook = match spec.format {
            Some(format) => format == Format::Xlsx,
            None => {
                xlsx::has_workbook_magic(&peek)
                    || spec.path.as_deref().and_then(Format::from_extension) == Some(Format::Xlsx)
            }
        };
        if workbook {
            return Self::open_workbook(spec, name, peek, reader, bytes_read);
        }
        let detected = detect(&peek);
        let (encoding, skip) = (detected.encoding, detected.bom);
        let stream: Box<dyn Read + Send> =
            Box::new(io::Cursor::new(peek[skip..].to_vec()).chain(reader));
        let stream: Box<dyn Read + Send> = match detected.utf16 {
            Some(order) => Box::new(Utf16Reader::new(stream, order)),
            None => stream,
        };
        let format = spec
            .format
            .or_else(|| spec.path.as_deref().and_then(Format::from_extension))
            .unwrap_or(Format::Csv);
        let mut splitter = Splitter::new(stream);
        splitter.max_field = spec.max_field_bytes;
        let mut input = InputReader {
            name,
            format,
            encoding,
            delimiter: b',',
            header: Vec::new(),
            text_column: spec.text_column.clone().unwrap_or_else(|| "text".into()),
            text_index: 0,
            splitter: Splitter::new(Box::new(io::empty())),
            bytes_read,
            sheet: None,
            sheet_bytes: 0,
        };
        if format == Format::Jsonl {
            splitter.delimiter = None;
            input.splitter = splitter;
            return Ok(input);
        }
        input.delimiter = match format {
            Format::Tsv => b'\t',
            _ => detect_delimiter(&peek[skip..]),
        };
        splitter.delimiter = Some(input.delimiter);
        let header = splitter
            .next_record()
            .map_err(|e| Error::io(&input.name, e))?
            .ok_or_else(|| InputError::Empty {
                path: PathBuf::from(&input.name),
            })?;
        if header.ending != Ending::Whole {
            return Err(InputError::Header {
                path: PathBuf::from(&input.name),
            }
            .into());
        }
        let fields =
            parse_record(&header.bytes, input.delimiter).ok_or_else(|| InputError::Header {
                path: PathBuf::from(&input.name),
            })?;
        let header_encoding = input.encoding.of_record(&header.bytes);
        input.header = fields
            .iter()
            .map(|f| {
                header_encoding
                    .decode(f)
                    .unwrap_or_else(|| String::from_utf8_lossy(f).into_owned())
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .to_string()
            })
            .collect();
        input.find_text_column(spec)?;
        input.splitter = splitter;
        Ok(input)
    }

    /// Reads a whole workbook and opens its sheet, positioned after the header row.
    fn open_workbook(
        spec: &InputSpec,
        name: String,
        mut bytes: Vec<u8>,
        mut rest: impl Read,
        bytes_read: BytesRead,
    ) -> Result<Self> {
        rest.read_to_end(&mut bytes)
            .map_err(|e| Error::io(&name, e))?;
        if !xlsx::has_workbook_magic(&bytes) {
            return Err(workbook_error(
                &name,
                "not a workbook (it is neither a zip archive nor an OLE file); if it is text, \
                 name its format with --format csv",
            ));
        }
        let sheet_bytes = bytes.len() as u64;
        // Counted again row by row as the sheet is read.
        bytes_read.0.store(0, Ordering::Relaxed);
        let sheet = xlsx::Sheet::open(bytes, spec.sheet.as_deref())
            .map_err(|message| workbook_error(&name, message))?;
        let mut input = InputReader {
            name,
            format: Format::Xlsx,
            encoding: TextEncoding::Utf8,
            delimiter: b',',
            header: sheet.header.clone(),
            text_column: String::new(),
            text_index: 0,
            splitter: Splitter::new(Box::new(io::empty())),
            bytes_read,
            sheet: Some(sheet),
            sheet_bytes,
        };
        input.find_text_column(spec)?;
        Ok(input)
    }

    fn find_text_column(&mut self, spec: &InputSpec) -> Result<()> {
        let input = self;
        input.text_index = find_text_column(&input.header, spec.text_column.as_deref())
            .ok_or_else(|| InputError::NoTextColumn {
                path: PathBuf::from(&input.name),
                wanted: spec.text_column.clone(),
                columns: input.header.clone(),
            })?;
        input.text_column = input.header[input.text_index].clone();
        Ok(())
    }
}
