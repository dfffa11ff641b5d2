//! Export downloads. Each streams from one database snapshot through a
//! bounded channel, is access-controlled (session or API token) and is
//! recorded in the export log with who, when, what and how many rows.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::{Actor, Caller};
use crate::db::{self, DbConnection, exports::Ending};
use crate::error::AppError;
use crate::export::{self, ChunkSender, Columns, ExportError, Format};
use crate::state::AppState;

/// What an export job reports: rows written, and the SHA-256 of the whole
/// output when it has one (the delivery packet).
type JobResult = Result<(u64, Option<String>), ExportError>;

/// Starts `job` on the blocking pool inside one snapshot and streams what it
/// writes. The log entry is opened now and closed when the job ends
/// (complete, aborted by the client going away, or failed).
async fn stream(
    state: &AppState,
    actor: Actor,
    petition_id: i64,
    what: String,
    content_type: &'static str,
    filename: String,
    job: impl FnOnce(&mut DbConnection, &mut ChunkSender) -> JobResult + Send + 'static,
) -> Result<HttpResponse, AppError> {
    let (now, logged_what) = (crate::now(), what.clone());
    let log_id = state
        .db
        .write(move |c| db::exports::start(c, petition_id, actor.organiser_id, &actor.description, &logged_what, now))
        .await?;
    let permit = state.export_permits.clone().acquire_owned().await.map_err(|e| AppError::Internal(e.into()))?;
    let (mut sender, body) = export::channel();
    let db = state.db.clone();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let result = db.snapshot_blocking(|c| Ok(job(c, &mut sender)));
        let (ending, rows, sha256) = match result {
            Ok(Ok((rows, sha256))) => (Ending::Complete, rows, sha256),
            Ok(Err(e)) if e.is_disconnect() => (Ending::Aborted, 0, None),
            Ok(Err(e)) => {
                tracing::error!(error = %e, log_id, "export failed");
                (Ending::Failed, 0, None)
            }
            Err(e) => {
                tracing::error!(error = %e, log_id, "export failed");
                (Ending::Failed, 0, None)
            }
        };
        drop(sender);
        let finished = crate::now();
        if let Err(e) = db.write_blocking(|c| db::exports::finish(c, log_id, ending, rows, sha256.as_deref(), finished))
        {
            tracing::error!(error = %e, log_id, "cannot close the export log entry");
        }
        tracing::info!(log_id, rows, ?ending, "export finished");
    });
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body))
}

async fn petition_id(state: &AppState, slug: &str) -> Result<i64, AppError> {
    Ok(state.catalog.find(&state.db, slug).await?.ok_or(AppError::NotFound)?.id)
}

fn filename(slug: &str, what: &str) -> String {
    format!("{slug}-{what}-{}", crate::now().format("%Y%m%d-%H%M%S"))
}

#[derive(Deserialize)]
pub struct SignaturesQuery {
    /// Any value asks for the contact columns (email and keep_informed).
    contacts: Option<String>,
}

/// `signatures.csv`, `.json` or `.ndjson`: confirmed signatures only.
pub async fn signatures(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    query: web::Query<SignaturesQuery>,
) -> Result<HttpResponse, AppError> {
    let (slug, format) = path.into_inner();
    let format = Format::from_extension(&format).ok_or(AppError::NotFound)?;
    let id = petition_id(&state, &slug).await?;
    let columns = if query.contacts.is_some() { Columns::WithContacts } else { Columns::Standard };
    let what =
        format!("signatures{}.{}", if columns == Columns::WithContacts { "+contacts" } else { "" }, format.extension());
    let name = filename(&slug, &what.replace('+', "-"));
    stream(&state, caller.actor, id, what, format.content_type(), name, move |c, out| {
        Ok((export::write_signatures(c, id, format, columns, out)?.rows, None))
    })
    .await
}

/// `totals.csv`: confirmed signatures by country, with the total.
pub async fn totals(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = petition_id(&state, &slug).await?;
    stream(
        &state,
        caller.actor,
        id,
        "totals.csv".into(),
        Format::Csv.content_type(),
        filename(&slug, "totals.csv"),
        move |c, out| {
            let totals = export::totals(c, id)?;
            Ok((export::write_totals(&totals, out)?, None))
        },
    )
    .await
}

/// `delivery.zip`: the signed packet to hand over.
pub async fn delivery(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = petition_id(&state, &slug).await?;
    let key = state.keys.delivery().clone();
    stream(
        &state,
        caller.actor,
        id,
        "delivery.zip".into(),
        "application/zip",
        filename(&slug, "delivery.zip"),
        move |c, out| {
            let packet = export::delivery::write_packet(c, id, &key, crate::now(), out)?;
            Ok((packet.rows, Some(packet.sha256)))
        },
    )
    .await
}
