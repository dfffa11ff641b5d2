//! Settings from environment variables (an optional `--config` file of
//! `KEY=value` lines may add to them; the environment wins).
//!
//! Every variable is parsed here, once, at start. A bad value is reported as
//! one line naming the variable, and the program exits non-zero. The value
//! parsers are in `parse`, the typed values in `values` (the secrets
//! among them); where each key is found is the `keys` module's concern.

mod parse;
mod smtp_url;
#[cfg(test)]
mod tests;
mod values;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use lettre::message::Mailbox;

use self::parse::{Lookup, duration, duration_within, get, number, on_off, parse_with};
pub use self::smtp_url::{SmtpSecurity, SmtpUrl};
pub use self::values::{DeliveryKey, EmbedOrigins, MIN_METRICS_TOKEN, MetricsToken, PublicUrl, SecretKey};
use crate::db::DatabaseUrl;
use crate::vault::MasterKey;

/// A setting that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

/// Every variable the binary reads, with what it does; README and
/// deploy/.env.example list the same.
pub const VARIABLES: &[(&str, &str)] = &[
    ("DATABASE_URL", "postgres:// URL, or SQLite file path (default undersigned.db)"),
    ("DATABASE_POOL_SIZE", "connections in the pool (default 16; on SQLite one more, that writes)"),
    ("BIND", "address and port to listen on (default 127.0.0.1:8080)"),
    ("PUBLIC_URL", "base of every link in mail (default http:// + BIND)"),
    ("SMTP_URL", "lettre SMTP URL; unset: mail is written as .eml files to OUTBOX_DIR"),
    ("OUTBOX_DIR", "where .eml files go when SMTP_URL is unset (default ./outbox)"),
    ("MAIL_FROM", "sender of every mail (default Undersigned <noreply@localhost>)"),
    ("MAIL_CONCURRENCY", "mails sent at once (default 8)"),
    (
        "MAIL_WORKER",
        "on (default): this instance sends the outbox's mail; off: it only serves HTTP and queues mail for instances that send",
    ),
    ("MAIL_RETRY_BASE", "first retry delay after a failed send, doubling each time (default 5s)"),
    ("MAIL_RETRY_MAX", "longest delay between retries (default 15m)"),
    (
        "KEY_FILE",
        "the key file (mode 0600) holding every secret below (`undersigned keys init --out FILE`); \
         unset on SQLite: DATABASE_URL's file + .keys, created on first start",
    ),
    ("DATA_KEYS", "master keys wrapping the petitions' data keys, base64, comma-separated, the current first"),
    ("SECRET_KEY", "at least 32 characters; unset: from the key file"),
    ("DELIVERY_SIGNING_KEY", "base64 Ed25519 seed signing delivery packets; unset: from the key file"),
    ("LOG_SIGNING_KEY", "base64 Ed25519 seed signing the transparency logs; unset: from the key file"),
    ("LOG_INTERVAL", "how often confirmations are appended to the transparency logs (default 2s, at most 5s)"),
    ("CONFIRMATION_TTL", "how long a confirmation link works (default 7d)"),
    ("COUNT_REFRESH", "how often public counts are refreshed (default and most 1s)"),
    ("HTTP_WORKERS", "HTTP worker threads (default: one per core)"),
    (
        "REQUEST_BODY_TIMEOUT",
        "time a client has to send a whole request body after its head (default 10s, 1s to 5m); then 408 and the connection is closed",
    ),
    (
        "LOGIN_QUEUE",
        "logins checked or waiting for the password hasher at once (default 4 per core); more get 503 with Retry-After",
    ),
    (
        "TRUSTED_PROXIES",
        "reverse proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For is believed; default none",
    ),
    (
        "SIGN_RATE_LIMIT",
        "signatures per petition from one network (IPv4 address or IPv6 /64) before the rest are held for review: \
         N/duration pairs, comma-separated (default 30/10m,300/1d); off turns limits off (load tests only)",
    ),
    (
        "FORM_MIN_TIME",
        "sign forms sent back sooner than this after they were shown are held for review (default 3s; 0s: off)",
    ),
    (
        "DISPOSABLE_EMAIL_DOMAINS",
        "refused email domains: builtin (default, a list of throwaway-mail services), none, or a file (one domain a line)",
    ),
    ("PENDING_GRACE", "unconfirmed signatures are deleted this long after their last link expired (default 7d)"),
    (
        "ERASE_AFTER_CLOSE",
        "names, emails and postcodes are erased this long after a petition closes; counts stay (default 90d; never: keep)",
    ),
    (
        "EMBED_ORIGINS",
        "sites allowed to show the sign form (/p/SLUG/embed) in a frame: * (default, any) or origins, comma-separated",
    ),
    (
        "METRICS_TOKEN",
        "bearer token (at least 32 characters) that /metrics asks for on BIND; unset: /metrics answers only on METRICS_BIND",
    ),
    ("METRICS_BIND", "a second address and port serving only /metrics, without a token (for the monitoring network)"),
    ("RUST_LOG", "log filter (default info)"),
];

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub bind: SocketAddr,
    /// None: derived from the address actually bound.
    pub public_url: Option<PublicUrl>,
    pub mail: MailSettings,
    pub keys: KeySettings,
    /// How often the transparency logs are appended to.
    pub log_interval: Duration,
    pub confirmation_ttl: Duration,
    pub count_refresh: Duration,
    pub http_workers: Option<usize>,
    /// How long a client has to send a request body (`routes::body_deadline`).
    pub body_timeout: Duration,
    /// Logins the password hasher holds at once; None: 4 per core.
    pub login_queue: Option<usize>,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub abuse: AbuseSettings,
    pub retention: RetentionSettings,
    /// Who may frame the embeddable sign form.
    pub embed_origins: EmbedOrigins,
    pub metrics: MetricsSettings,
}

/// Who may read `/metrics`: nobody without one of these.
#[derive(Debug, Clone, Default)]
pub struct MetricsSettings {
    /// Asked for as `Authorization: Bearer …` on the main address.
    pub token: Option<MetricsToken>,
    /// A second listener that serves only /metrics, without a token.
    pub bind: Option<SocketAddr>,
}
/// What holds back or refuses suspicious signatures.
#[derive(Debug, Clone)]
pub struct AbuseSettings {
    /// (signatures, window) per petition per network; empty: no limit.
    pub rate_limits: Vec<(u32, Duration)>,
    /// Zero: no minimum.
    pub form_min_time: Duration,
    pub disposable_domains: crate::abuse::DomainList,
}

impl Default for AbuseSettings {
    fn default() -> Self {
        Self {
            rate_limits: parse::rate_limits(parse::DEFAULT_RATE_LIMITS).unwrap_or_default(),
            form_min_time: Duration::from_secs(3),
            disposable_domains: crate::abuse::DomainList::builtin(),
        }
    }
}

/// How long personal data is kept.
#[derive(Debug, Clone, Copy)]
pub struct RetentionSettings {
    pub pending_grace: Duration,
    /// None: never erased.
    pub erase_after_close: Option<Duration>,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            pending_grace: Duration::from_secs(7 * 86_400),
            erase_after_close: Some(Duration::from_secs(90 * 86_400)),
        }
    }
}

/// Where the deployment's secrets come from: each from its variable, else
/// from the key file (see `keys::load`).
#[derive(Debug, Clone, Default)]
pub struct KeySettings {
    /// KEY_FILE, or on SQLite the default beside the database.
    pub key_file: Option<KeyFilePath>,
    /// DATA_KEYS: the master keys, the current first.
    pub data_keys: Vec<MasterKey>,
    pub secret_key: Option<SecretKey>,
    pub delivery_key: Option<DeliveryKey>,
    pub log_key: Option<DeliveryKey>,
}

/// Which key file, and whether it was named or is the embedded default
/// (which the server creates on first start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFilePath {
    Configured(PathBuf),
    Default(PathBuf),
}

impl KeyFilePath {
    pub fn path(&self) -> &std::path::Path {
        match self {
            Self::Configured(p) | Self::Default(p) => p,
        }
    }
}

impl KeySettings {
    pub fn from_lookup(lookup: Lookup<'_>, database: &DatabaseUrl) -> Result<Self, ConfigError> {
        let configured = parse_with(lookup, "KEY_FILE", None, |s| {
            if s.trim().is_empty() { Err("must name a file".into()) } else { Ok(Some(PathBuf::from(s))) }
        })?;
        let key_file = match (configured, database) {
            (Some(path), _) => Some(KeyFilePath::Configured(path)),
            (None, DatabaseUrl::Sqlite(db)) if db != ":memory:" => {
                let mut path = std::ffi::OsString::from(db);
                path.push(".keys");
                Some(KeyFilePath::Default(PathBuf::from(path)))
            }
            (None, _) => None,
        };
        Ok(Self {
            key_file,
            data_keys: parse_with(lookup, "DATA_KEYS", Vec::new(), |s| {
                s.split(',').map(MasterKey::parse).collect::<Result<Vec<_>, _>>()
            })?,
            secret_key: parse_with(lookup, "SECRET_KEY", None, |s| SecretKey::parse(s).map(Some))?,
            delivery_key: parse_with(lookup, "DELIVERY_SIGNING_KEY", None, |s| DeliveryKey::parse(s).map(Some))?,
            log_key: parse_with(lookup, "LOG_SIGNING_KEY", None, |s| DeliveryKey::parse(s).map(Some))?,
        })
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        let database = DatabaseSettings::from_env()?;
        Self::from_lookup(&|k| std::env::var(k).ok(), &database.url)
    }
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub pool_size: u32,
}

#[derive(Debug, Clone)]
pub struct MailSettings {
    pub transport: MailTransport,
    pub from: Mailbox,
    pub concurrency: usize,
    /// Whether this instance sends the outbox's mail (MAIL_WORKER).
    pub worker: bool,
    pub retry_base: Duration,
    pub retry_max: Duration,
}

#[derive(Clone)]
pub enum MailTransport {
    /// A lettre SMTP URL, parsed (it may carry credentials, which its
    /// Debug output leaves out).
    Smtp(SmtpUrl),
    /// Each mail becomes an .eml file in this directory.
    Files(PathBuf),
}

impl std::fmt::Debug for MailTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Smtp(_) => f.write_str("Smtp(<redacted>)"),
            Self::Files(dir) => write!(f, "Files({})", dir.display()),
        }
    }
}

impl DatabaseSettings {
    pub fn from_lookup(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            url: parse_with(lookup, "DATABASE_URL", DatabaseUrl::Sqlite("undersigned.db".into()), DatabaseUrl::parse)?,
            pool_size: parse_with(lookup, "DATABASE_POOL_SIZE", 16, number(1, 1000))?,
        })
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|k| std::env::var(k).ok())
    }
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|k| std::env::var(k).ok())
    }

    pub fn from_lookup(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let database = DatabaseSettings::from_lookup(lookup)?;
        let bind = parse_with(lookup, "BIND", SocketAddr::from(([127, 0, 0, 1], 8080)), |s| {
            s.parse().map_err(|_| format!("{s:?} is not an address and port like 127.0.0.1:8080"))
        })?;
        let public_url = parse_with(lookup, "PUBLIC_URL", None, |s| PublicUrl::parse(s).map(Some))?;
        let transport = match get(lookup, "SMTP_URL") {
            Some(url) => {
                let url = SmtpUrl::parse(&url).map_err(|e| ConfigError {
                    var: "SMTP_URL",
                    problem: format!(
                        "not a usable SMTP URL ({e}); expected e.g. smtp://host:25 or smtps://user:pass@host"
                    ),
                })?;
                MailTransport::Smtp(url)
            }
            None => MailTransport::Files(PathBuf::from(get(lookup, "OUTBOX_DIR").unwrap_or_else(|| "outbox".into()))),
        };
        let from = get(lookup, "MAIL_FROM").unwrap_or_else(|| DEFAULT_SENDER.to_owned());
        let from = Mailbox::from_str(&from).map_err(|e| ConfigError {
            var: "MAIL_FROM",
            problem: format!("{e}; expected e.g. Campaign <noreply@example.org>"),
        })?;
        let mail = MailSettings {
            transport,
            from,
            concurrency: parse_with(lookup, "MAIL_CONCURRENCY", 8, number(1, 256))?,
            worker: parse_with(lookup, "MAIL_WORKER", true, on_off)?,
            retry_base: parse_with(
                lookup,
                "MAIL_RETRY_BASE",
                Duration::from_secs(5),
                duration_within(Duration::from_millis(10), Duration::from_secs(3600)),
            )?,
            retry_max: parse_with(
                lookup,
                "MAIL_RETRY_MAX",
                Duration::from_secs(15 * 60),
                duration_within(Duration::from_millis(10), Duration::from_secs(24 * 3600)),
            )?,
        };
        if mail.retry_max < mail.retry_base {
            return Err(ConfigError {
                var: "MAIL_RETRY_MAX",
                problem: "must not be shorter than MAIL_RETRY_BASE".into(),
            });
        }
        let keys = KeySettings::from_lookup(lookup, &database.url)?;
        let log_interval = parse_with(
            lookup,
            "LOG_INTERVAL",
            Duration::from_secs(2),
            duration_within(Duration::from_millis(10), Duration::from_secs(5)),
        )?;
        let confirmation_ttl = parse_with(
            lookup,
            "CONFIRMATION_TTL",
            Duration::from_secs(7 * 24 * 3600),
            duration_within(Duration::from_secs(60), Duration::from_secs(365 * 24 * 3600)),
        )?;
        let count_refresh = parse_with(lookup, "COUNT_REFRESH", Duration::from_secs(1), |s| {
            duration(s).and_then(|d| {
                if d.is_zero() || d > Duration::from_secs(1) {
                    Err("must be more than 0 and at most 1s (counts must show a confirmation within 2 seconds)".into())
                } else {
                    Ok(d)
                }
            })
        })?;
        let http_workers = parse_with(lookup, "HTTP_WORKERS", None, |s| number(1usize, 1024)(s).map(Some))?;
        let body_timeout = parse_with(
            lookup,
            "REQUEST_BODY_TIMEOUT",
            DEFAULT_BODY_TIMEOUT,
            duration_within(Duration::from_secs(1), Duration::from_secs(300)),
        )?;
        let login_queue = parse_with(lookup, "LOGIN_QUEUE", None, |s| number(1usize, 10_000)(s).map(Some))?;
        let trusted_proxies = parse_with(lookup, "TRUSTED_PROXIES", Vec::new(), parse::networks)?;
        let rate_limits = parse_with(lookup, "SIGN_RATE_LIMIT", AbuseSettings::default().rate_limits, |s| {
            parse::rate_limits(s).map_err(|e| format!("{e}; expected e.g. 30/10m,300/1d or off"))
        })?;
        let form_min_time = parse_with(
            lookup,
            "FORM_MIN_TIME",
            Duration::from_secs(3),
            duration_within(Duration::ZERO, Duration::from_secs(60)),
        )?;
        let disposable_domains =
            parse_with(lookup, "DISPOSABLE_EMAIL_DOMAINS", crate::abuse::DomainList::builtin(), |s| match s {
                "builtin" => Ok(crate::abuse::DomainList::builtin()),
                "none" => Ok(crate::abuse::DomainList::default()),
                path => std::fs::read_to_string(path)
                    .map(|text| crate::abuse::DomainList::parse(&text))
                    .map_err(|e| format!("cannot read {path:?} ({e}); expected builtin, none or a file")),
            })?;
        let retention = RetentionSettings {
            pending_grace: parse_with(
                lookup,
                "PENDING_GRACE",
                RetentionSettings::default().pending_grace,
                duration_within(Duration::ZERO, Duration::from_secs(366 * 86_400)),
            )?,
            erase_after_close: parse_with(
                lookup,
                "ERASE_AFTER_CLOSE",
                RetentionSettings::default().erase_after_close,
                |s| {
                    if s == "never" {
                        Ok(None)
                    } else {
                        duration_within(Duration::ZERO, Duration::from_secs(10 * 366 * 86_400))(s).map(Some)
                    }
                },
            )?,
        };
        let embed_origins = parse_with(lookup, "EMBED_ORIGINS", EmbedOrigins::Any, EmbedOrigins::parse)?;
        let metrics = MetricsSettings {
            token: parse_with(lookup, "METRICS_TOKEN", None, |s| MetricsToken::parse(s).map(Some))?,
            bind: parse_with(lookup, "METRICS_BIND", None, |s| {
                s.parse().map(Some).map_err(|_| format!("{s:?} is not an address and port like 127.0.0.1:9090"))
            })?,
        };
        Ok(Self {
            embed_origins,
            metrics,
            database,
            bind,
            public_url,
            mail,
            keys,
            log_interval,
            confirmation_ttl,
            count_refresh,
            http_workers,
            body_timeout,
            login_queue,
            trusted_proxies,
            abuse: AbuseSettings { rate_limits, form_min_time, disposable_domains },
            retention,
        })
    }
}

const DEFAULT_SENDER: &str = "Undersigned <noreply@localhost>";

/// REQUEST_BODY_TIMEOUT when unset: how long a client has to send a whole
/// request body, from the end of its head (`routes::body_deadline`). A 16 KiB
/// form takes well under a second even on a poor mobile link.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);
