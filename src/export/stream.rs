//! From a blocking export to an HTTP body: the export writes into a
//! [`ChunkSender`], which hands 64 KiB chunks to a bounded channel that the
//! response streams from. A slow client makes the export wait (memory stays
//! flat); a client that goes away makes the next write fail, ending it.

use std::io::{self, Write};

use actix_web::web::Bytes;
use futures_util::Stream;
use tokio::sync::mpsc;

const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the export and the client.
const DEPTH: usize = 4;

pub struct ChunkSender {
    tx: mpsc::Sender<Bytes>,
    buf: Vec<u8>,
}

/// A writer for a blocking thread, and the stream of what it writes.
pub fn channel() -> (ChunkSender, impl Stream<Item = Result<Bytes, actix_web::Error>>) {
    let (tx, rx) = mpsc::channel::<Bytes>(DEPTH);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (Ok(b), rx)) });
    (ChunkSender { tx, buf: Vec::with_capacity(CHUNK) }, stream)
}

impl ChunkSender {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx.blocking_send(chunk).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChunkSender {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}
