//! Builds the application: database, keys, HTTP server and background tasks.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{Logger, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tokio::sync::Notify;

use crate::auth::PasswordHasher;
use crate::catalog::Catalog;
use crate::configuration::{DatabaseSettings, PublicUrl, Settings};
use crate::db::Db;
use crate::email::Mailer;
use crate::jobs::counter;
use crate::jobs::mail_worker::{LinkMaker, MailWorker};
use crate::metrics::Metrics;
use crate::routes;
use crate::state::AppState;

// Connection limits. A connection costs a worker no thread (each worker is
// one event loop serving many), only a little memory and a file descriptor;
// what must not happen is that slow or idle clients pile up without bound.
// The request body has its own deadline (`routes::body_deadline`).

/// Connections one HTTP worker serves at once; beyond them the listener stops
/// accepting (new clients wait in the kernel's backlog) until some close.
/// Far above what the load tests open (64 at once), and below actix-web's
/// default (25,000): with the 65,536 file descriptors that
/// deploy/undersigned.service allows, a flood of connections meets this
/// limit first (up to 15 workers) rather than failing `accept`.
const MAX_CONNECTIONS_PER_WORKER: usize = 4096;
/// TLS handshakes one worker runs at once. No TLS is served here (a reverse
/// proxy terminates it), so this never binds; set so that it is not a
/// surprise if TLS is ever added.
const MAX_TLS_HANDSHAKES_PER_WORKER: usize = 256;
/// An idle keep-alive connection is closed after this.
const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// The request head (request line and headers) must arrive within this from
/// the connection's opening or the previous answer, else 408 and closed: a
/// client sending headers one byte a second is dropped.
const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// Once the server closes a connection, the client has this long to take the
/// rest of the answer before the socket is dropped.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Opens the pool (giving up after 10 s if the database cannot be reached)
/// and applies pending migrations; returns the names of those applied.
pub async fn open_database(settings: &DatabaseSettings) -> anyhow::Result<(Db, Vec<String>)> {
    let url = settings.url.clone();
    let pool_size = settings.pool_size;
    let db = tokio::task::spawn_blocking(move || {
        Db::connect(&url, pool_size, Duration::from_secs(10))
            .with_context(|| format!("DATABASE_URL: cannot open {url:?}"))
    })
    .await??;
    let applied = db.migrate().await.context("applying database migrations")?;
    if !applied.is_empty() {
        tracing::info!(count = applied.len(), "database migrations applied");
    }
    // Started: from now on a request waits briefly for a connection, then 503.
    Ok((db.with_checkout_timeout(crate::db::CHECKOUT_TIMEOUT), applied))
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    /// None with MAIL_WORKER=off: other instances send the mail.
    worker: Option<MailWorker>,
    sign_writer: crate::signing::SignWriter,
    count_refresh: Duration,
    log_interval: Duration,
    retention: crate::configuration::RetentionSettings,
}

impl Application {
    /// Connects, applies migrations, binds `BIND` (port 0 picks a free port)
    /// and prepares everything; nothing runs until [`run_until_stopped`].
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let (db, _) = open_database(&settings.database).await?;
        Self::build_with_db(settings, db).await
    }

    pub async fn build_with_db(settings: Settings, db: Db) -> anyhow::Result<Self> {
        let keys = crate::keys::load(&db, &settings.keys, crate::keys::FirstStart::CreateKeyFile)
            .await
            .context("loading the keys")?;
        let listener =
            TcpListener::bind(settings.bind).with_context(|| format!("BIND: cannot listen on {}", settings.bind))?;
        let address = listener.local_addr()?;
        let metrics_listener = match settings.metrics.bind {
            Some(bind) => {
                Some(TcpListener::bind(bind).with_context(|| format!("METRICS_BIND: cannot listen on {bind}"))?)
            }
            None => None,
        };
        let metrics_access = crate::state::MetricsAccess {
            token: settings.metrics.token.clone(),
            listener: metrics_listener.as_ref().map(TcpListener::local_addr).transpose()?,
        };
        if metrics_access.token.is_none() && metrics_access.listener.is_none() {
            tracing::info!("neither METRICS_TOKEN nor METRICS_BIND is set: /metrics answers nobody");
        }
        let public_url = match settings.public_url.clone() {
            Some(url) => url,
            None => PublicUrl::parse(&format!("http://{address}")).map_err(anyhow::Error::msg)?,
        };
        let mailer = Mailer::new(&settings.mail, public_url.host())?;
        let mail_files = mailer.files().cloned();
        if let Some(files) = &mail_files {
            tracing::warn!(
                dir = %files.dir().display(),
                "SMTP_URL is unset: mail is written to files (names, addresses and live links); \
                 for trying the service only, not for a campaign"
            );
        }
        let catalog = Arc::new(Catalog::default());
        catalog.refresh(&db).await.context("loading petitions")?;
        let wakeup = Arc::new(Notify::new());
        let metrics = Metrics::new().context("setting up metrics")?;
        let worker = settings.mail.worker.then(|| {
            MailWorker::new(
                db.clone(),
                mailer,
                &settings.mail,
                LinkMaker { public_url: public_url.clone(), keys: keys.clone() },
                settings.confirmation_ttl,
                Arc::clone(&wakeup),
                metrics.clone(),
            )
        });
        if worker.is_none() {
            tracing::info!("MAIL_WORKER=off: this instance queues mail but does not send it");
        }
        // Batches in flight at once: SQLite has one writer; on PostgreSQL a
        // second lets one batch gather while another commits (more hurt: the
        // batches get smaller and the server busier, measured with benches/load).
        let writers = match db.backend() {
            crate::db::Backend::Sqlite => 1,
            crate::db::Backend::Postgres => 2,
        };
        let (signer, sign_writer) = crate::signing::SignQueue::new(
            db.clone(),
            keys.clone(),
            settings.confirmation_ttl,
            Arc::clone(&wakeup),
            writers,
        );
        let state = web::Data::new(AppState {
            signer,
            db,
            catalog,
            keys,
            public_url,
            mail_wakeup: wakeup,
            confirmation_ttl: settings.confirmation_ttl,
            body_timeout: settings.body_timeout,
            passwords: PasswordHasher::new(settings.login_queue)?,
            export_permits: Arc::new(tokio::sync::Semaphore::new(4)),
            trusted_proxies: settings.trusted_proxies.clone(),
            guards: Arc::new(crate::signing::Guards::new(&settings.abuse)),
            metrics: metrics.clone(),
            frame_ancestors: settings.embed_origins.frame_ancestors(),
            mail_files,
            metrics_access,
        });
        let app_state = state.clone();
        let http_metrics = metrics.http_middleware().map_err(|e| anyhow::anyhow!("setting up HTTP metrics: {e}"))?;
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                // Inside the error pages, so that its 404 is the usual page.
                .wrap(from_fn(routes::refuse_paths_that_are_not_text))
                // Inside the error pages, so that its 408 gets one too.
                .wrap(from_fn(routes::body_deadline::body_deadline))
                .wrap(from_fn(routes::error_page::render_error_pages))
                // Outside the error pages, so that they too vary by language.
                .wrap(from_fn(routes::language::remember_language))
                .wrap(from_fn(routes::security::headers))
                .wrap(http_metrics.clone())
                .wrap(from_fn(routes::refuse_unknown_methods))
                .wrap(from_fn(routes::metrics_listener_only))
                .wrap(access_log())
                .configure(|cfg| routes::configure(cfg, &app_state))
        })
        .max_connections(MAX_CONNECTIONS_PER_WORKER)
        .max_connection_rate(MAX_TLS_HANDSHAKES_PER_WORKER)
        .keep_alive(KEEP_ALIVE)
        .client_request_timeout(REQUEST_HEAD_TIMEOUT)
        .client_disconnect_timeout(DISCONNECT_TIMEOUT)
        .listen(listener)?
        .shutdown_timeout(30);
        if let Some(metrics_listener) = metrics_listener {
            tracing::info!(address = %metrics_listener.local_addr()?, "serving /metrics");
            server = server.listen(metrics_listener)?;
        }
        if let Some(n) = settings.http_workers {
            server = server.workers(n);
        }
        tracing::info!(%address, "listening");
        Ok(Self {
            port: address.port(),
            server: server.run(),
            state,
            worker,
            sign_writer,
            count_refresh: settings.count_refresh,
            log_interval: settings.log_interval,
            retention: settings.retention,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGINT/SIGTERM or until stopped through [`handle`]. On
    /// stop, requests in flight are answered first (up to 30 s), then the mail
    /// worker finishes the round it is sending and stops. The count refresher
    /// and housekeeping run alongside.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mail_worker = self.worker;
        let worker = tokio::spawn(async move {
            if let Some(worker) = mail_worker {
                worker.run(stopped).await;
            }
        });
        let sign_writer = tokio::spawn(self.sign_writer.run());
        let state = self.state.clone();
        let log = counter::LogRounds { appender: state.appender(), every: self.log_interval };
        let refresher =
            tokio::spawn(counter::run(state.db.clone(), Arc::clone(&state.catalog), self.count_refresh, log));
        let sealing = tokio::spawn(crate::jobs::sealing::run(state.db.clone(), Arc::clone(state.keys.vault())));
        let housekeeping = tokio::spawn(crate::jobs::housekeeping::run(
            state.db.clone(),
            Arc::clone(state.keys.vault()),
            state.mail_files.clone(),
            Arc::clone(&state.guards),
            self.retention,
            state.confirmation_ttl,
        ));
        let result = self.server.await;
        tracing::info!("HTTP server stopped; stopping the mail worker");
        let _ = stop.send(true);
        if tokio::time::timeout(Duration::from_secs(30), worker).await.is_err() {
            tracing::warn!("the mail worker did not stop within 30 s; its claimed mail is retried after the lease");
        }
        refresher.abort();
        housekeeping.abort();
        sealing.abort();
        // Every request has been answered; what their batches left to do
        // after the answers (repeats, held tallies) is finished first.
        if tokio::time::timeout(Duration::from_secs(10), state.signer.settled()).await.is_err() {
            tracing::warn!("signature follow-ups did not finish within 10 s");
        }
        sign_writer.abort();
        tracing::info!("stopped");
        result.map_err(Into::into)
    }
}

/// One line per request: method, route pattern (never the path: paths carry
/// tokens), status and time. No addresses, no query strings.
fn access_log() -> Logger {
    Logger::new("%{method}xi %{route}xi %s %Dms")
        .custom_request_replace("method", |req| req.method().to_string())
        .custom_request_replace("route", |req| req.match_pattern().unwrap_or_else(|| "<unmatched>".into()))
}
