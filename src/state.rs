//! What every request handler can reach.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use crate::auth::PasswordHasher;
use crate::catalog::Catalog;
use crate::configuration::PublicUrl;
use crate::db::Db;
use crate::keys::Keys;

pub struct AppState {
    pub db: Db,
    pub catalog: Arc<Catalog>,
    pub keys: Keys,
    pub public_url: PublicUrl,
    /// Poked after a mail is queued, so the mail worker starts at once.
    pub mail_wakeup: Arc<Notify>,
    /// Where signatures go to be committed in groups.
    pub signer: crate::signing::SignQueue,
    pub confirmation_ttl: Duration,
    /// How long a client has to send a request body (`REQUEST_BODY_TIMEOUT`).
    pub body_timeout: Duration,
    pub passwords: PasswordHasher,
    /// Exports running at once (each holds a database connection).
    pub export_permits: Arc<Semaphore>,
    /// Reverse proxies whose X-Forwarded-For is believed (`TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Rate limits, form timing and refused domains for signing.
    pub guards: std::sync::Arc<crate::signing::Guards>,
    pub metrics: crate::metrics::Metrics,
    /// CSP `frame-ancestors` of the embeddable sign form (`EMBED_ORIGINS`).
    pub frame_ancestors: String,
    /// The file outbox, when SMTP_URL is unset: a withdrawal deletes its files.
    pub mail_files: Option<crate::email::MailFiles>,
    pub metrics_access: MetricsAccess,
}

impl AppState {
    /// What appending to the transparency logs needs.
    pub fn appender(&self) -> crate::transparency::Appender {
        crate::transparency::Appender {
            signer: self.keys.log().clone(),
            origin_base: self.public_url.log_origin_base(),
        }
    }

    /// What signing needs of the application.
    pub fn signing(&self) -> crate::signing::Signing<'_> {
        crate::signing::Signing {
            db: &self.db,
            catalog: &self.catalog,
            keys: &self.keys,
            guards: &self.guards,
            metrics: &self.metrics,
            queue: &self.signer,
        }
    }
}

/// Who may read /metrics (see `routes::health::may_read_metrics`).
#[derive(Debug, Clone, Default)]
pub struct MetricsAccess {
    pub token: Option<crate::configuration::MetricsToken>,
    /// The address `METRICS_BIND` was bound to: it serves /metrics only.
    pub listener: Option<std::net::SocketAddr>,
}
