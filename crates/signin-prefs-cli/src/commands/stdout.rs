//! Standard output that its reader may close early (`| head`): from then on what is printed is
//! dropped and the command goes on to its end and exit code, quietly, where `println!` would
//! panic. Every command printing bulk results prints through here.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Standard output that a reader may close early: from then on, writes are dropped.
pub(crate) struct UntilClosed<W> {
    inner: W,
    closed: bool,
}

impl UntilClosed<std::io::BufWriter<std::io::Stdout>> {
    pub(crate) fn stdout() -> Self {
        Self {
            inner: std::io::BufWriter::new(std::io::stdout()),
            closed: false,
        }
    }
}

impl<W: Write> Write for UntilClosed<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(bytes.len());
        }
        match self.inner.write(bytes) {
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(bytes.len())
            }
            written => written,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            flushed => flushed,
        }
    }
}

/// Whether the reader of standard output has gone, for [`print()`].
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Prints `text` to standard output, unless its reader has gone. A failure other than a closed
/// pipe is logged, not fatal: what is printed here also goes to files, or can be printed again.
pub(crate) fn print(text: &str) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            CLOSED.store(true, Ordering::Relaxed);
        }
        Err(error) => tracing::warn!(%error, "cannot print to standard output"),
        Ok(()) => {}
    }
}

/// `println!` through [`print()`].
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::commands::stdout::print(&format!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use say;
