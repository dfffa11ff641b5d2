//! Export downloads. Each streams from one database snapshot through a
//! bounded channel, is access-controlled (session or API token) and is
//! recorded in the export log with who, when, what and how many rows.

use std::panic::AssertUnwindSafe;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::{Actor, Caller};
use crate::db::{self, DbConnection, exports::Ending};
use crate::error::AppError;
use crate::export::{self, ChunkSender, Columns, ExportError, Format, Written};
use crate::state::AppState;

/// An export: writes to the sender, counting rows in `Written` as it goes;
/// returns the SHA-256 of the whole output when it has one (the packet).
type Job =
    Box<dyn FnOnce(&mut DbConnection, &mut ChunkSender, &mut Written) -> Result<Option<String>, ExportError> + Send>;

/// Starts `job` on the blocking pool inside one snapshot and streams what it
/// writes. The log entry is opened now and closed when the job ends:
/// complete; aborted (the client went away or stalled), with the rows handed
/// out until then; or failed, in which case the response ends in an error
/// rather than passing for a complete file.
async fn stream(
    state: &AppState,
    actor: Actor,
    petition_id: i64,
    what: String,
    content_type: &'static str,
    filename: String,
    job: Job,
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
        let mut written = Written::default();
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            db.snapshot_blocking(|c| Ok(job(c, &mut sender, &mut written)))
        }));
        let (ending, sha256) = match result {
            Ok(Ok(Ok(sha256))) => (Ending::Complete, sha256),
            Ok(Ok(Err(e))) if e.is_disconnect() => (Ending::Aborted, None),
            Ok(Ok(Err(e))) => {
                tracing::error!(error = %e, log_id, "export failed");
                (Ending::Failed, None)
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, log_id, "export failed");
                (Ending::Failed, None)
            }
            Err(_) => {
                tracing::error!(log_id, "export panicked");
                (Ending::Failed, None)
            }
        };
        if ending == Ending::Failed {
            sender.fail();
        } else {
            drop(sender);
        }
        let rows = written.rows;
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

/// The petition's id, if its signers' personal data is still kept (410 once
/// the retention rules have erased it; the totals stay available).
async fn petition_with_names(state: &AppState, slug: &str) -> Result<i64, AppError> {
    let id = petition_id(state, slug).await?;
    let row = state.db.read(move |c| db::petitions::find(c, id)).await?.ok_or(AppError::NotFound)?;
    match row.erased_at {
        Some(t) => Err(AppError::Gone(format!(
            "The names and emails of this petition's signers were erased on {} under the retention rules \
             (ERASE_AFTER_CLOSE). The totals by country remain available.",
            t.format("%-d %B %Y")
        ))),
        None => Ok(id),
    }
}

/// `ada-signatures-20261127-141500.csv`.
fn filename(slug: &str, stem: &str, extension: &str) -> String {
    format!("{slug}-{stem}-{}.{extension}", crate::now().format("%Y%m%d-%H%M%S"))
}

#[derive(Deserialize)]
pub struct SignaturesQuery {
    /// `1` or `true` asks for the contact columns (email and keep_informed).
    contacts: Option<String>,
}

/// The columns `?contacts=` asks for: the contacts only when asked for
/// plainly (`1`, `true`); `0`, `false` or no parameter mean the standard
/// export; anything else is refused rather than guessed at, so that a typo
/// never hands out emails, nor withholds them silently.
fn columns(contacts: Option<&str>) -> Result<Columns, AppError> {
    match contacts {
        None | Some("0" | "false") => Ok(Columns::Standard),
        Some("1" | "true") => Ok(Columns::WithContacts),
        Some(_) => Err(AppError::BadRequest(
            "contacts: give contacts=1 (or true) to add the contact columns, contacts=0 (or false, or no contacts \
             parameter) for the standard export"
                .into(),
        )),
    }
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
    let columns = columns(query.contacts.as_deref())?;
    let id = petition_with_names(&state, &slug).await?;
    let stem = if columns == Columns::WithContacts { "signatures+contacts" } else { "signatures" };
    let name = filename(&slug, &stem.replace('+', "-"), format.extension());
    let job: Job =
        Box::new(move |c, out, written| export::write_signatures(c, id, format, columns, out, written).map(|()| None));
    stream(&state, caller.actor, id, format!("{stem}.{}", format.extension()), format.content_type(), name, job).await
}

/// `totals.csv`: confirmed signatures by country, with the total.
pub async fn totals(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = petition_id(&state, &slug).await?;
    let job: Job = Box::new(move |c, out, written| {
        written.rows = export::write_totals(&export::totals(c, id)?, out)?;
        Ok(None)
    });
    stream(
        &state,
        caller.actor,
        id,
        "totals.csv".into(),
        Format::Csv.content_type(),
        filename(&slug, "totals", "csv"),
        job,
    )
    .await
}

/// `delivery.zip`: the signed packet to hand over.
pub async fn delivery(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = petition_with_names(&state, &slug).await?;
    let key = state.keys.delivery().clone();
    let job: Job = Box::new(move |c, out, written| {
        export::delivery::write_packet(c, id, &key, crate::now(), out, written).map(Some)
    });
    stream(&state, caller.actor, id, "delivery.zip".into(), "application/zip", filename(&slug, "delivery", "zip"), job)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_only_when_asked_for_plainly() {
        assert_eq!(columns(None).unwrap(), Columns::Standard);
        for standard in ["0", "false"] {
            assert_eq!(columns(Some(standard)).unwrap(), Columns::Standard, "{standard}");
        }
        for with in ["1", "true"] {
            assert_eq!(columns(Some(with)).unwrap(), Columns::WithContacts, "{with}");
        }
        for unclear in ["", "yes", "TRUE", "2", " 1"] {
            assert!(
                matches!(columns(Some(unclear)), Err(AppError::BadRequest(m)) if m.starts_with("contacts:")),
                "{unclear:?}"
            );
        }
    }
}
