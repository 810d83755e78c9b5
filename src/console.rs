//! What the commands print on stdout, in one place, so that a reader going away is not an
//! error. `huizong rule --all | head -n1` closes the pipe after one line; Rust ignores SIGPIPE,
//! so the next write fails with `BrokenPipe`, which `println!` turns into a panic (and the
//! clerk saw 程序内部错误). Here it becomes [`Error::StdoutClosed`], which `cli::main` ends with
//! exit 0 and no message: the reader had what it wanted. Any other stdout failure (a full disk
//! behind `>`) is a real write error, exit 2.

use std::io::Write;

use crate::{Error, Result};

/// Writes `text` to stdout as is and flushes it.
pub fn text(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(from_io)
}

/// Writes one line (`line` and a newline) to stdout.
pub fn line(line: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(line.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(from_io)
}

fn from_io(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Error::StdoutClosed
    } else {
        Error::write("标准输出", e)
    }
}

/// A hint or progress line on stderr. A closed stderr (`2>&1 | head`) must not end the program
/// the way `eprintln!` would (it panics on a failed write): the line is dropped instead.
pub fn hint(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err
        .write_all(line.as_bytes())
        .and_then(|()| err.write_all(b"\n"));
}

/// `eprintln!` for hints: formats one line and writes it with [`hint`].
#[macro_export]
macro_rules! hintln {
    ($($arg:tt)*) => {
        $crate::console::hint(&format!($($arg)*))
    };
}

/// `println!` for command output: formats one line and writes it with [`line`], giving a
/// [`crate::Result`] to pass on with `?`.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::console::line(&format!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_pipe_is_the_quiet_error_and_others_are_write_errors() {
        let e = from_io(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(matches!(e, Error::StdoutClosed));
        let e = from_io(std::io::Error::other("设备上没有空间"));
        assert!(e.to_string().contains("标准输出"), "{e}");
    }
}
