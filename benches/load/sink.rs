//! A local SMTP server that only counts the mail it receives.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A minimal SMTP server counting what it receives.
#[derive(Clone)]
struct Sink {
    received: Arc<AtomicU64>,
}

impl mailin_embedded::Handler for Sink {
    fn data_end(&mut self) -> mailin_embedded::Response {
        self.received.fetch_add(1, Ordering::Relaxed);
        mailin_embedded::response::OK
    }
}

/// Starts the sink on a free port: its port and its count.
pub(crate) fn start_sink() -> (u16, Arc<AtomicU64>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(AtomicU64::new(0));
    let mut server = mailin_embedded::Server::new(Sink { received: Arc::clone(&received) });
    server
        .with_name("sink")
        .with_ssl(mailin_embedded::SslConfig::None)
        .unwrap()
        .with_num_threads(64)
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    (port, received)
}
