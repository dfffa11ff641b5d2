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

/// Serves SMTP with `handler` on a free port, in the background; its port.
fn serve(handler: impl mailin_embedded::Handler + Clone + Send + 'static) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut server = mailin_embedded::Server::new(handler);
    server
        .with_name("sink")
        .with_ssl(mailin_embedded::SslConfig::None)
        .unwrap()
        .with_num_threads(64)
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    port
}

/// Starts the sink on a free port: its port and its count.
pub(crate) fn start_sink() -> (u16, Arc<AtomicU64>) {
    let received = Arc::new(AtomicU64::new(0));
    (serve(Sink { received: Arc::clone(&received) }), received)
}

/// A sink that reads each mail's confirmation link (its path, `/s/TOKEN`)
/// and hands it on as the mail is accepted, as a reader clicking at once.
#[derive(Clone)]
struct LinkSink {
    links: tokio::sync::mpsc::UnboundedSender<String>,
    received: Arc<AtomicU64>,
    data: Vec<u8>,
}

impl mailin_embedded::Handler for LinkSink {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, _to: &[String]) -> mailin_embedded::Response {
        self.data.clear();
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        self.received.fetch_add(1, Ordering::Relaxed);
        if let Some(link) = confirmation_link(&self.data) {
            let _ = self.links.send(link);
        }
        mailin_embedded::response::OK
    }
}

/// The path of the confirmation link in a mail's plain-text part.
fn confirmation_link(raw: &[u8]) -> Option<String> {
    let message = mail_parser::MessageParser::default().parse(raw)?;
    let text = message.body_text(0)?;
    text.split_whitespace()
        .filter_map(|word| word.find("/s/").map(|at| &word[at..]))
        .find(|path| !path.ends_with("/withdraw"))
        .map(|path| path.trim_end_matches(['.', ',', ')', '>']).to_owned())
}

/// Starts a link-reading sink on a free port: its port, the links as they
/// arrive, and the count of mails received.
pub(crate) fn start_link_sink() -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>, Arc<AtomicU64>) {
    let (links, rx) = tokio::sync::mpsc::unbounded_channel();
    let received = Arc::new(AtomicU64::new(0));
    let port = serve(LinkSink { links, received: Arc::clone(&received), data: Vec::new() });
    (port, rx, received)
}
