//! Export downloads. Each streams from one database snapshot through a
//! bounded channel, is access-controlled (session or API token) and is
//! recorded in the export log with who, when, what and how many rows.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::audit::Recorder;
use crate::db::DbError;
use crate::db::exports::Ending;
use crate::error::AppError;
use crate::export::{self, Columns, Format};
use crate::organise::exports::{self as exporting, Failure, LogAccess, PacketKeys, Refused, What};
use crate::routes::caller::Caller;
use crate::routes::views::no_store;
use crate::state::AppState;

/// Checks and starts the export of `what` from the petition called `slug`
/// ([`exporting`]), then streams it from the blocking pool through a
/// bounded channel. The answer waits until the export has its snapshot and
/// may go ahead (a packet: tied to the log), so that a refusal is an error
/// answer rather than a broken download. The log entry is opened now and
/// closed when the export ends: complete; aborted (the client went away or
/// stalled), with the rows handed out until then; or failed, in which case
/// the response ends in an error rather than passing for a complete file.
async fn stream(
    state: &AppState,
    by: Recorder,
    slug: &str,
    what: What,
    content_type: &'static str,
    filename: String,
) -> Result<HttpResponse, AppError> {
    let id = exporting::petition(&state.db, slug, what).await.map_err(refused)?;
    let keys = (what == What::Delivery)
        .then(|| PacketKeys { delivery: state.keys.delivery().clone(), log: LogAccess::Append(state.appender()) });
    let started = exporting::start(&state.db, Arc::clone(state.keys.vault()), id, by, what, keys).await?;
    let permit = state.export_permits.clone().acquire_owned().await.map_err(|e| AppError::Internal(e.into()))?;
    let (mut sender, body) = export::channel();
    // Ok once the export opens its sink; the reason if it never does.
    let (ready, going) = tokio::sync::oneshot::channel::<Result<(), AppError>>();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let log_id = started.log_id;
        let mut ready = Some(ready);
        let ran = started.run_blocking(|| {
            if let Some(ready) = ready.take() {
                let _ = ready.send(Ok(()));
            }
            Ok(&mut sender)
        });
        match &ran.failure {
            Some(Failure::Panicked) => tracing::error!(log_id, "export panicked"),
            Some(e @ Failure::LogBehind { .. }) => tracing::warn!(error = %e, log_id, "export refused"),
            Some(e) if ran.ending == Ending::Failed => tracing::error!(error = %e, log_id, "export failed"),
            _ => {}
        }
        if let Some(ready) = ready.take() {
            let _ = ready.send(Err(not_started(ran.failure.as_ref())));
        }
        if ran.ending == Ending::Failed {
            sender.fail();
        } else {
            drop(sender);
        }
        if let Err(e) = ran.logged {
            tracing::error!(error = %e, log_id, "cannot close the export log entry");
        }
        tracing::info!(log_id, rows = ran.rows, ending = ?ran.ending, "export finished");
    });
    going.await.map_err(|_| AppError::Internal(anyhow::anyhow!("the export task ended without an answer")))??;
    let res = HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")))
        .streaming(body);
    Ok(no_store(res))
}

/// The answer to an export that ended before it opened its sink: 409 with
/// the reason for a packet that could not be tied to the log (confirmations
/// kept arriving: try again; or the log disagrees: the reason names only
/// counts and keys), 503 for a database away, 500 for anything else
/// (logged above).
fn not_started(failure: Option<&Failure>) -> AppError {
    match failure {
        Some(e @ Failure::LogBehind { .. }) => AppError::Conflict(e.to_string()),
        Some(e) if let Some(untied) = e.untied() => {
            AppError::Conflict(format!("no delivery packet was made: {untied}"))
        }
        Some(Failure::Db(DbError::Unavailable(_))) => AppError::Unavailable,
        Some(e) => AppError::Internal(anyhow::anyhow!("export failed before it began: {e}")),
        None => AppError::Internal(anyhow::anyhow!("the export ended before it began, with no reason")),
    }
}

/// 404, or 410 once the retention rules have erased the signers' names
/// (the totals stay available).
fn refused(refused: Refused) -> AppError {
    match refused {
        Refused::NotFound => AppError::NotFound,
        Refused::Erased(t) => AppError::Gone(format!(
            "The names and emails of this petition's signers were erased on {} under the retention rules \
             (ERASE_AFTER_CLOSE). The totals by country remain available.",
            t.format("%-d %B %Y")
        )),
        Refused::Db(e) => e.into(),
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
    let name = filename(&slug, &exporting::signatures_stem(columns).replace('+', "-"), format.extension());
    let what = What::Signatures { format, columns };
    stream(&state, caller.recorder, &slug, what, format.content_type(), name).await
}

/// `totals.csv`: confirmed signatures by country, with the total.
pub async fn totals(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let name = filename(&slug, "totals", "csv");
    stream(&state, caller.recorder, &slug, What::Totals, Format::Csv.content_type(), name).await
}

/// `delivery.zip`: the signed packet to hand over.
pub async fn delivery(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let name = filename(&slug, "delivery", "zip");
    stream(&state, caller.recorder, &slug, What::Delivery, "application/zip", name).await
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
