//! From a blocking export to an HTTP body: the export writes into a
//! [`ChunkSender`], which hands 64 KiB chunks to a bounded channel that the
//! response streams from. A slow client makes the export wait (memory stays
//! flat); a client that goes away, or stops reading for [`STALL_TIMEOUT`],
//! makes the next write fail, ending the export and freeing its connection.

use std::io::{self, Write};
use std::time::Duration;

use actix_web::web::Bytes;
use futures_util::Stream;
use tokio::runtime::Handle;
use tokio::sync::mpsc;

const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the export and the client.
const DEPTH: usize = 4;
/// A client that reads nothing for this long is given up on.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(120);

pub struct ChunkSender {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
    runtime: Handle,
}

/// A writer for a blocking thread, and the stream of what it writes. Call
/// from async code (the writer needs the runtime to wait on the channel).
pub fn channel() -> (ChunkSender, impl Stream<Item = Result<Bytes, actix_web::Error>>) {
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(DEPTH);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item.map_err(actix_web::error::ErrorInternalServerError), rx))
    });
    (ChunkSender { tx, buf: Vec::with_capacity(CHUNK), runtime: Handle::current() }, stream)
}

impl ChunkSender {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.runtime
            .block_on(self.tx.send_timeout(Ok(chunk), STALL_TIMEOUT))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away or stopped reading"))
    }

    /// Ends the response with an error instead of a clean end, so that a
    /// failed export cannot pass for a complete one.
    pub fn fail(self) {
        let _ = self.runtime.block_on(self.tx.send_timeout(Err(io::Error::other("export failed")), STALL_TIMEOUT));
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

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_export_ends_the_stream_with_an_error() {
        let (mut sender, stream) = channel();
        let writer = tokio::task::spawn_blocking(move || {
            sender.write_all(b"partial,row\r\n").unwrap();
            sender.flush().unwrap();
            sender.fail();
        });
        let items: Vec<_> = stream.collect().await;
        writer.await.unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].as_ref().unwrap().as_ref(), b"partial,row\r\n");
        assert!(items[1].is_err(), "the client sees a broken response, not a complete file");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_client_that_goes_away_stops_the_writer() {
        let (mut sender, stream) = channel();
        drop(stream);
        let result = tokio::task::spawn_blocking(move || sender.write_all(&[b'x'; 2 * CHUNK])).await.unwrap();
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::BrokenPipe);
    }
}
