//! A byte buffer in front of the caller's `io::Write`: rows are formatted straight into a `Vec<u8>` (no
//! per-cell write calls) and handed on in blocks of about [`BLOCK`] bytes, so memory stays bounded whatever
//! the result size.

use std::io::{self, Write};

/// Bytes gathered before they are written on.
pub(crate) const BLOCK: usize = 64 * 1024;

/// The buffered output of a writer.
pub(crate) struct Out<W: Write> {
    /// Pending bytes, formatted but not yet written.
    pub buf: Vec<u8>,
    inner: W,
}

impl<W: Write> Out<W> {
    pub(crate) fn new(inner: W) -> Self {
        Out {
            buf: Vec::with_capacity(BLOCK + BLOCK / 4),
            inner,
        }
    }

    /// Appends bytes.
    #[inline]
    pub(crate) fn push(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    /// Writes the buffer on once it holds a block; call between rows.
    #[inline]
    pub(crate) fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= BLOCK {
            self.flush_buf()
        } else {
            Ok(())
        }
    }

    /// Writes all pending bytes on (without flushing the inner writer).
    pub(crate) fn flush_buf(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.inner.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes everything on and flushes the inner writer.
    pub(crate) fn flush_all(&mut self) -> io::Result<()> {
        self.flush_buf()?;
        self.inner.flush()
    }

    /// The inner writer, for formats that copy a spool file into it.
    pub(crate) fn inner_mut(&mut self) -> &mut W {
        &mut self.inner
    }
}
