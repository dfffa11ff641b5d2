//! Writing and sending mail. What to send lives in the outbox table
//! (`db::outbox`); the worker in `jobs::mail_worker` calls [`Mailer::send`].

mod messages;

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub use messages::{MailContent, MailLinks, render as render_mail};

use crate::configuration::{MailSettings, MailTransport};

/// Where mail goes: an SMTP server through a connection pool, or .eml files.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files { dir: PathBuf, transport: AsyncFileTransport<Tokio1Executor> },
}

/// Why a send failed, without the server's words (they may quote an address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    /// The server refused this message for good (5xx); retrying will not help.
    pub permanent: bool,
    pub reason: String,
}

impl Mailer {
    pub fn new(settings: &MailSettings) -> anyhow::Result<Self> {
        Ok(match &settings.transport {
            MailTransport::Smtp(url) => Self::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
                    .pool_config(PoolConfig::new().max_size(settings.concurrency as u32))
                    .timeout(Some(Duration::from_secs(15)))
                    .build(),
            ),
            MailTransport::Files(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| anyhow::anyhow!("OUTBOX_DIR: cannot create {}: {e}", dir.display()))?;
                Self::Files { dir: dir.clone(), transport: AsyncFileTransport::<Tokio1Executor>::new(dir) }
            }
        })
    }

    /// Hands one message to the transport. Ok once the SMTP server accepted
    /// it (or the file is written); the result names where it went.
    pub async fn send(&self, message: Message) -> Result<String, SendFailure> {
        match self {
            Self::Smtp(smtp) => match smtp.send(message).await {
                Ok(_) => Ok("smtp".into()),
                Err(e) => Err(SendFailure {
                    permanent: e.is_permanent(),
                    reason: match e.status() {
                        Some(code) => format!("SMTP server answered {code}"),
                        None if e.is_timeout() => "SMTP timeout".into(),
                        None if e.is_tls() => "SMTP TLS error".into(),
                        None => "SMTP connection failed".into(),
                    },
                }),
            },
            Self::Files { dir, transport } => match transport.send(message).await {
                Ok(id) => Ok(dir.join(format!("{id}.eml")).display().to_string()),
                Err(_) => Err(SendFailure { permanent: false, reason: format!("cannot write to {}", dir.display()) }),
            },
        }
    }
}

/// Builds the multipart (plain text + HTML) message for one recipient.
pub fn build_message(from: &Mailbox, to_name: &str, to_address: &str, content: MailContent) -> anyhow::Result<Message> {
    let to = Mailbox::new(Some(to_name.to_owned()), to_address.parse()?);
    Ok(Message::builder()
        .from(from.clone())
        .to(to)
        .subject(content.subject)
        .message_id(None)
        .multipart(MultiPart::alternative_plain_html(content.text, content.html))?)
}
