//! SMTP connections for the mail worker: lettre speaks the protocol; we open
//! the sockets (with TCP_NODELAY) and pool them with deadpool.
//!
//! Why not lettre's own transport: it writes a message and its terminating
//! `.` in two writes, and without TCP_NODELAY the second waits for the
//! server's delayed ACK, about 40 ms per message per connection (measured:
//! 180 mails/s over 8 connections). With TCP_NODELAY the same connections
//! carry thousands a second.

use std::time::Duration;

use deadpool::managed::{self, Metrics, RecycleError, RecycleResult};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;

use crate::configuration::{SmtpSecurity as Security, SmtpUrl};

/// How long connecting, or sending one message, may take.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// A pooled connection idle longer than this is checked (NOOP) before reuse.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(30);

/// Where and how to send: `SMTP_URL` ([`SmtpUrl`], parsed by
/// configuration) in lettre's terms. Without a helo-name in the URL the
/// greeting names `PUBLIC_URL`'s host (see [`SmtpTarget::greeting_as`]),
/// never the machine's hostname.
#[derive(Clone)]
pub struct SmtpTarget {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    /// None: not given in the URL.
    hello: Option<ClientId>,
}

impl std::fmt::Debug for SmtpTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SmtpTarget({}:{}, {:?}, credentials: {})",
            self.host,
            self.port,
            self.security,
            self.credentials.is_some()
        )
    }
}

impl From<&SmtpUrl> for SmtpTarget {
    fn from(url: &SmtpUrl) -> Self {
        Self {
            host: url.host.clone(),
            port: url.port,
            security: url.security.clone(),
            credentials: url
                .credentials
                .as_ref()
                .map(|(user, password)| Credentials::new(user.clone(), password.clone())),
            hello: url.hello.as_ref().map(|name| ClientId::Domain(name.clone())),
        }
    }
}

impl SmtpTarget {
    /// The name the EHLO greeting gives: the URL's helo-name if it has one,
    /// else `host` (PUBLIC_URL's), so that the machine's own name is not
    /// told to the mail relay (and written into every mail's headers).
    pub fn greeting_as(mut self, host: &str) -> Self {
        if self.hello.is_none() {
            self.hello = Some(match host.trim_matches(['[', ']']).parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V4(ip)) => ClientId::Ipv4(ip),
                Ok(std::net::IpAddr::V6(ip)) => ClientId::Ipv6(ip),
                Err(_) => ClientId::Domain(host.to_owned()),
            });
        }
        self
    }

    fn hello(&self) -> ClientId {
        self.hello.clone().unwrap_or_default()
    }

    fn tls(&self) -> Result<TlsParameters, SmtpError> {
        Ok(TlsParameters::new(self.host.clone())?)
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SmtpError> {
        let hello = self.hello();
        let mut conn = match self.security {
            // lettre wraps the socket in TLS itself here (no NODELAY hook).
            Security::Wrapper => {
                AsyncSmtpConnection::connect_tokio1(
                    (self.host.as_str(), self.port),
                    Some(TIMEOUT),
                    &hello,
                    Some(self.tls()?),
                    None,
                )
                .await?
            }
            _ => {
                let tcp =
                    tokio::time::timeout(TIMEOUT, tokio::net::TcpStream::connect((self.host.as_str(), self.port)))
                        .await
                        .map_err(|_| SmtpError::Timeout)??;
                tcp.set_nodelay(true)?;
                AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello).await?
            }
        };
        if let Security::StartTls { required } = self.security
            && (required || conn.can_starttls())
        {
            conn.starttls(self.tls()?, &hello).await?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials).await?;
        }
        Ok(conn)
    }
}

/// Why talking to the SMTP server failed.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    #[error("timed out")]
    Timeout,
}

pub struct Manager {
    target: SmtpTarget,
}

impl managed::Manager for Manager {
    type Type = AsyncSmtpConnection;
    type Error = SmtpError;

    async fn create(&self) -> Result<AsyncSmtpConnection, Self::Error> {
        self.target.connect().await
    }

    async fn recycle(&self, conn: &mut AsyncSmtpConnection, metrics: &Metrics) -> RecycleResult<Self::Error> {
        if conn.has_broken() {
            return Err(RecycleError::message("connection broken"));
        }
        if metrics.last_used() > CHECK_AFTER_IDLE && !conn.test_connected().await {
            return Err(RecycleError::message("connection closed by the server"));
        }
        Ok(())
    }
}

pub type Pool = managed::Pool<Manager>;

pub fn pool(target: SmtpTarget, size: usize) -> anyhow::Result<Pool> {
    Ok(managed::Pool::builder(Manager { target }).max_size(size).runtime(deadpool::Runtime::Tokio1).build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> SmtpTarget {
        SmtpTarget::from(&SmtpUrl::parse(url).unwrap())
    }

    /// The URL itself is read by `configuration::SmtpUrl` (tested there);
    /// this is what the target makes of it.
    #[test]
    fn a_url_becomes_lettre_credentials_and_a_greeting() {
        let t = target("smtp://user:p%40ss@mail.example.org?tls=required");
        assert_eq!((t.port, &t.security), (587, &Security::StartTls { required: true }));
        assert!(t.credentials.is_some());
        assert!(!format!("{t:?}").contains("p@ss"), "credentials are never printed");
        let named = target("smtp://relay.example.org/mx.campaign.example");
        assert_eq!(named.greeting_as("sign.example.org").hello(), ClientId::Domain("mx.campaign.example".into()));
        let unnamed = target("smtp://relay.example.org");
        assert_eq!(unnamed.greeting_as("sign.example.org").hello(), ClientId::Domain("sign.example.org".into()));
        let local = target("smtp://relay.example.org").greeting_as("127.0.0.1");
        assert_eq!(local.hello(), ClientId::Ipv4([127, 0, 0, 1].into()), "an address literal, not a domain");
    }
}
