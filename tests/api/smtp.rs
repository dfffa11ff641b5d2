//! A real SMTP server for tests (mailin-embedded), keeping what it receives.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use mailin_embedded::response::{INTERNAL_ERROR, NO_MAILBOX, OK};
use mailin_embedded::{Handler, Response, Server, SslConfig};

/// A message as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub to: Vec<String>,
    pub raw: Vec<u8>,
    /// The name the sender gave in its EHLO greeting.
    pub helo: String,
}

impl ReceivedMail {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default().parse(&self.raw).expect("a parseable message")
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    pub fn text(&self) -> String {
        self.parsed().body_text(0).expect("a text part").into_owned()
    }

    pub fn html(&self) -> String {
        self.parsed().body_html(0).expect("an HTML part").into_owned()
    }

    /// Every link in the plain-text part.
    pub fn links(&self) -> Vec<String> {
        let text = self.text();
        linkify::LinkFinder::new().links(&text).map(|l| l.as_str().to_owned()).collect()
    }
}

#[derive(Default)]
struct Inbox {
    mails: Mutex<Vec<ReceivedMail>>,
    /// Messages still to refuse with a temporary error (451).
    refuse: Mutex<usize>,
    /// Messages still to refuse with a permanent error (550).
    reject: Mutex<usize>,
}

#[derive(Clone)]
struct SinkHandler {
    inbox: Arc<Inbox>,
    to: Vec<String>,
    data: Vec<u8>,
    helo: String,
}

impl Handler for SinkHandler {
    /// Refusals happen at MAIL FROM (mailin stops answering a session that
    /// was refused at the end of DATA).
    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, _from: &str) -> Response {
        let mut refuse = self.inbox.refuse.lock().unwrap();
        if *refuse > 0 {
            *refuse -= 1;
            return INTERNAL_ERROR;
        }
        let mut reject = self.inbox.reject.lock().unwrap();
        if *reject > 0 {
            *reject -= 1;
            return NO_MAILBOX;
        }
        OK
    }

    fn data_start(&mut self, domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.helo = domain.to_owned();
        self.data.clear();
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let mail = ReceivedMail {
            to: std::mem::take(&mut self.to),
            raw: std::mem::take(&mut self.data),
            helo: self.helo.clone(),
        };
        self.inbox.mails.lock().unwrap().push(mail);
        OK
    }
}

/// Threads of each test's SMTP server. Two instances at the default
/// MAIL_CONCURRENCY (8 pooled connections each), and a probe, with room to
/// spare. The servers run until the test process ends (mailin cannot be
/// stopped), so every thread here stays for the rest of the run: at 64 a
/// server, the suite's ~260 servers held about 17,000 idle threads and
/// their stacks' mappings came near the kernel's default limit of 65,530
/// mappings a process (`vm.max_map_count`), where the process aborts.
const SINK_THREADS: u32 = 24;

/// A running SMTP server on 127.0.0.1. It runs until the test process ends.
#[derive(Clone)]
pub struct MailSink {
    pub port: u16,
    inbox: Arc<Inbox>,
}

impl MailSink {
    pub fn start() -> Self {
        Self::start_on(TcpListener::bind("127.0.0.1:0").unwrap())
    }

    /// Serves on `listener` with enough threads for every pooled connection
    /// the applications sending to it may hold open (mailin serves one
    /// connection per thread): [`SINK_THREADS`].
    pub fn start_on(listener: TcpListener) -> Self {
        let port = listener.local_addr().unwrap().port();
        let inbox = Arc::new(Inbox::default());
        let handler = SinkHandler { inbox: Arc::clone(&inbox), to: Vec::new(), data: Vec::new(), helo: String::new() };
        let mut server = Server::new(handler);
        server
            .with_name("sink.test")
            .with_ssl(SslConfig::None)
            .unwrap()
            .with_num_threads(SINK_THREADS)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Self { port, inbox }
    }

    /// Refuse the next `n` messages with "451 try again later".
    pub fn refuse_next(&self, n: usize) {
        *self.inbox.refuse.lock().unwrap() = n;
    }

    /// Refuse the next `n` messages with "550 mailbox unavailable", as a
    /// misconfigured relay would.
    pub fn reject_next(&self, n: usize) {
        *self.inbox.reject.lock().unwrap() = n;
    }

    pub fn received(&self) -> Vec<ReceivedMail> {
        self.inbox.mails.lock().unwrap().clone()
    }

    pub fn received_by(&self, address: &str) -> Vec<ReceivedMail> {
        self.received().into_iter().filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address))).collect()
    }
}
