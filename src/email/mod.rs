//! Writing and sending mail. What to send lives in the outbox table
//! (`db::outbox`); the worker in `jobs::mail_worker` calls [`Mailer::send`].

pub mod files;
mod messages;
pub mod smtp;

use lettre::Message;
use lettre::message::{Mailbox, MultiPart};

pub use files::MailFiles;
pub use messages::{MailContent, MailLinks, render as render_mail};

use crate::configuration::{MailSettings, MailTransport};

/// The longest handing one mail to the SMTP server may take, from waiting
/// for a pooled connection to the server's answer (connecting and sending
/// are each bounded by `smtp::TIMEOUT` as well).
pub const SEND_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Where mail goes: an SMTP server through a pool of connections, or .eml files.
#[derive(Clone)]
pub enum Mailer {
    Smtp(smtp::Pool),
    Files(MailFiles),
}

/// Why a send failed, without the server's words (they may quote an address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    /// The server refused this message for good (5xx); retrying may not help.
    pub permanent: bool,
    /// No session with the relay could be opened (the connection was
    /// refused or timed out, or TLS or the greeting failed): the relay is
    /// the problem, not this mail. A refusal of one message is not this.
    pub unreachable: bool,
    pub reason: String,
}

impl SendFailure {
    fn from_smtp(e: &smtp::SmtpError) -> Self {
        match e {
            smtp::SmtpError::Smtp(e) => Self {
                permanent: e.is_permanent(),
                unreachable: false,
                reason: match e.status() {
                    Some(code) => format!("SMTP server answered {code}"),
                    None if e.is_timeout() => "SMTP timeout".into(),
                    None if e.is_tls() => "SMTP TLS error".into(),
                    None => "SMTP connection failed".into(),
                },
            },
            smtp::SmtpError::Io(_) => {
                Self { permanent: false, unreachable: false, reason: "SMTP connection failed".into() }
            }
            smtp::SmtpError::Timeout => Self { permanent: false, unreachable: false, reason: "SMTP timeout".into() },
        }
    }

    /// No pooled connection could be had: a new one failed to open.
    fn from_pool(e: deadpool::managed::PoolError<smtp::SmtpError>) -> Self {
        let failure = match e {
            deadpool::managed::PoolError::Backend(e) => Self::from_smtp(&e),
            _ => Self { permanent: false, unreachable: false, reason: "SMTP connection failed".into() },
        };
        Self { permanent: false, unreachable: true, ..failure }
    }
}

impl Mailer {
    /// `public_host` (PUBLIC_URL's) is the name the SMTP greeting gives,
    /// unless SMTP_URL names one.
    pub fn new(settings: &MailSettings, public_host: &str) -> anyhow::Result<Self> {
        if let Some(files) = MailFiles::configured(settings)? {
            return Ok(Self::Files(files));
        }
        match &settings.transport {
            MailTransport::Smtp(url) => {
                let target = smtp::SmtpTarget::from(url);
                Ok(Self::Smtp(smtp::pool(target.greeting_as(public_host), settings.concurrency)?))
            }
            MailTransport::Files(dir) => anyhow::bail!("OUTBOX_DIR: {} is not open", dir.display()),
        }
    }

    /// The file outbox, when mail goes to files.
    pub fn files(&self) -> Option<&MailFiles> {
        match self {
            Self::Files(files) => Some(files),
            Self::Smtp(_) => None,
        }
    }

    /// Hands one message, written for a signature, to the transport. Ok once
    /// the SMTP server accepted it (or the file is written); the result names
    /// where it went.
    pub async fn send(&self, message: Message, signature_id: i64) -> Result<String, SendFailure> {
        match self {
            // Bounded as a whole (waiting for a pooled connection, the
            // greeting, TLS and AUTH included), so that a mail worker knows
            // how long its claim on a mail must last while it sends it.
            Self::Smtp(pool) => tokio::time::timeout(SEND_LIMIT, Self::send_smtp(pool, message))
                .await
                .unwrap_or_else(|_| Err(SendFailure::from_smtp(&smtp::SmtpError::Timeout))),
            Self::Files(files) => match files.write(signature_id, message.formatted()).await {
                Ok(path) => Ok(path.display().to_string()),
                Err(_) => {
                    let reason = format!("cannot write to {}", files.dir().display());
                    Err(SendFailure { permanent: false, unreachable: false, reason })
                }
            },
        }
    }

    /// Whether the relay opens a session now (a pooled connection, or a new
    /// one), for a worker waiting out an outage without taking mail.
    pub async fn probe(&self) -> Result<(), SendFailure> {
        match self {
            Self::Smtp(pool) => match tokio::time::timeout(SEND_LIMIT, pool.get()).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(SendFailure::from_pool(e)),
                Err(_) => Err(SendFailure { unreachable: true, ..SendFailure::from_smtp(&smtp::SmtpError::Timeout) }),
            },
            Self::Files(_) => Ok(()),
        }
    }

    async fn send_smtp(pool: &smtp::Pool, message: Message) -> Result<String, SendFailure> {
        let mut conn = pool.get().await.map_err(SendFailure::from_pool)?;
        let sent = tokio::time::timeout(smtp::TIMEOUT, conn.send(message.envelope(), &message.formatted())).await;
        match sent {
            Ok(Ok(_)) => Ok("smtp".into()),
            Ok(Err(e)) => {
                // A refusal leaves the session usable; anything else does not.
                if e.status().is_none() {
                    let _ = deadpool::managed::Object::take(conn);
                }
                Err(SendFailure::from_smtp(&smtp::SmtpError::Smtp(e)))
            }
            Err(_) => {
                let _ = deadpool::managed::Object::take(conn);
                Err(SendFailure::from_smtp(&smtp::SmtpError::Timeout))
            }
        }
    }
}

/// Random bytes in a Message-ID: 128 bits, so that no two mails ever share one.
const MESSAGE_ID_RANDOM_BYTES: usize = 16;

/// `<32 hex digits@host>`, where `host` is the public host (`PUBLIC_URL`'s):
/// never the machine's own name, which says where the server runs.
fn message_id(host: &str) -> String {
    format!("<{}@{host}>", hex::encode(rand::random::<[u8; MESSAGE_ID_RANDOM_BYTES]>()))
}

/// Builds the multipart (plain text + HTML) message for one recipient;
/// its Message-ID names `public_host`.
pub fn build_message(
    from: &Mailbox,
    to_name: &str,
    to_address: &str,
    content: MailContent,
    public_host: &str,
) -> anyhow::Result<Message> {
    let to = Mailbox::new(Some(to_name.to_owned()), to_address.parse()?);
    Ok(Message::builder()
        .from(from.clone())
        .to(to)
        .subject(content.subject)
        .message_id(Some(message_id(public_host)))
        .multipart(MultiPart::alternative_plain_html(content.text, content.html))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_name_the_public_host_and_are_random() {
        let id = message_id("sign.example.org");
        let (left, right) = id.strip_prefix('<').and_then(|i| i.strip_suffix('>')).unwrap().split_once('@').unwrap();
        assert_eq!(right, "sign.example.org");
        assert_eq!(left.len(), 2 * MESSAGE_ID_RANDOM_BYTES);
        assert!(left.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(id, message_id("sign.example.org"));
    }
}
