//! For operators and orchestrators: liveness, readiness, metrics.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::db;
use crate::domain::SignatureStatus;
use crate::error::AppError;
use crate::state::AppState;

/// Alive: the process answers HTTP.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok\n")
}

/// Ready: the database answers (else 503 with Retry-After, within about a
/// second: calls wait at most `db::CHECKOUT_TIMEOUT` for a connection).
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let ping = state.db.read(db::stats::ready);
    tokio::time::timeout(db::REQUEST_DEADLINE, ping).await.map_err(|_| AppError::Unavailable)??;
    Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ready\n"))
}

/// Whether a request may read /metrics: it came in on `METRICS_BIND`, or
/// carries `METRICS_TOKEN`. Nobody else: the figures are for operators.
pub fn may_read_metrics(state: &AppState, req: &HttpRequest) -> bool {
    if state.metrics_access.listener == Some(req.app_config().local_addr()) {
        return true;
    }
    match (&state.metrics_access.token, req.headers().get(header::AUTHORIZATION)) {
        (Some(token), Some(given)) => token.admits(given.as_bytes()),
        _ => false,
    }
}

/// Prometheus text format: counters since start, and gauges read now. With
/// the database away, the counters are still served, the gauges keep their
/// last values, and `undersigned_database_up` says 0.
pub async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    if !may_read_metrics(&state, &req) {
        return Err(AppError::Unauthorized);
    }
    let m = &state.metrics;
    let stats = tokio::time::timeout(db::REQUEST_DEADLINE, state.db.snapshot(db::stats::read)).await;
    match stats {
        Ok(Ok(stats)) => {
            m.database_up.set(1);
            for (label, n) in [
                (SignatureStatus::Pending.as_str(), stats.pending),
                ("held", stats.held),
                (SignatureStatus::Confirmed.as_str(), stats.confirmed),
                (SignatureStatus::Withdrawn.as_str(), stats.withdrawn),
            ] {
                m.signatures.with_label_values(&[label]).set(n);
            }
            m.outbox_depth.set(stats.outbox.waiting);
            let age = stats.outbox.oldest_waiting.map_or(0, |t| (crate::now() - t).num_seconds().max(0));
            m.outbox_oldest_age.set(age);
        }
        _ => m.database_up.set(0),
    }
    let body = m.render().map_err(|e| AppError::Internal(anyhow::anyhow!("rendering metrics: {e}")))?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(body))
}
