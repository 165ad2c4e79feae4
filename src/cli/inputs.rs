//! Texts given on the command line, or else one per line on standard input.

use std::io::BufRead;
use std::path::PathBuf;

use heihui::Error;

/// Calls `each` with every input text: the arguments if there are any, else each line of
/// standard input (without its line ending). Invalid UTF-8 on stdin is an error naming the
/// line and byte.
pub fn for_each_text(
    args: &[String],
    mut each: impl FnMut(&str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    if !args.is_empty() {
        for text in args {
            each(text)?;
        }
        return Ok(());
    }
    let stdin = std::io::stdin();
    let mut reader = stdin.lock();
    let mut buf = Vec::new();
    let mut line = 0;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::io("<stdin>", e))?;
        if n == 0 {
            return Ok(());
        }
        line += 1;
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        let text = std::str::from_utf8(&buf).map_err(|e| Error::Utf8 {
            path: PathBuf::from("<stdin>"),
            line,
            byte: e.valid_up_to(),
        })?;
        each(text)?;
    }
}
