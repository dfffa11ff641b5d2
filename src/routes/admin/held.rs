//! Reviewing signatures held back by the abuse checks: list them, release
//! them (they are then mailed a confirmation link like any new signature),
//! or discard them.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::audit::Kind;
use crate::db::{self, held::Selection};
use crate::domain::HoldReason;
use crate::error::AppError;
use crate::organise::held::{self as organise, Review};
use crate::routes::extract::{OrganiserPetition, OrganiserPost, impl_organiser_form};
use crate::routes::views::{Summary, html, see_other};
use crate::state::AppState;
use crate::text::thousands;

/// Rows shown at once; the rest are reached by releasing or discarding.
const PAGE: i64 = 500;

struct HeldRowView {
    id: i64,
    name: String,
    email: String,
    country: String,
    reason: &'static str,
    when: String,
}

#[derive(Template)]
#[template(path = "admin/held.html")]
struct HeldPage {
    organiser: String,
    csrf: String,
    petition: Summary,
    /// (reason code, description, count)
    reasons: Vec<(&'static str, &'static str, String)>,
    total: String,
    shown: usize,
    /// More are held than shown.
    partial: bool,
    rows: Vec<HeldRowView>,
}

pub async fn list(
    state: web::Data<AppState>,
    OrganiserPetition { organiser, petition: view }: OrganiserPetition,
) -> Result<HttpResponse, AppError> {
    let id = view.id;
    let vault = std::sync::Arc::clone(state.keys.vault());
    let (counts, rows) = state
        .db
        .snapshot(move |c| Ok((db::held::count_by_reason(c, id)?, crate::organise::held::list(c, &vault, id, PAGE)?)))
        .await?;
    // Names and emails are shown only once the view is in the export log
    // (an empty page shows none, and is not recorded).
    let (actor, shown, now) = (organiser.actor(), rows.len() as u64, crate::now());
    if shown > 0 {
        let by = organiser.recorder().clone();
        state
            .db
            .write(move |c| {
                by.append(c, Kind::HeldViewed, Some(id), &format!("{shown} held signature(s) shown with names"))?;
                db::exports::record_access(
                    c,
                    id,
                    actor.organiser_id,
                    &actor.description,
                    db::exports::HELD_VIEW,
                    shown,
                    now,
                )
            })
            .await?;
    }
    let page = HeldPage {
        organiser: organiser.email,
        csrf: organiser.csrf,
        petition: Summary::new(&view, now, &crate::i18n::Tr::ENGLISH),
        reasons: counts.iter().map(|(r, n)| (r.as_str(), r.describe(), thousands(*n))).collect(),
        total: thousands(counts.values().sum()),
        shown: rows.len(),
        partial: counts.values().sum::<i64>() > rows.len() as i64,
        rows: rows
            .into_iter()
            .map(|r| HeldRowView {
                id: r.id,
                name: r.name.unwrap_or_default(),
                email: r.email.unwrap_or_default(),
                country: r.country,
                reason: r.reason.map_or("", HoldReason::describe),
                when: r.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            })
            .collect(),
    };
    html(StatusCode::OK, page)
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    csrf_token: String,
    /// release or discard
    #[serde(default)]
    action: String,
    /// all, a reason code, or a signature id
    #[serde(default)]
    which: String,
}

impl_organiser_form!(ReviewForm: 4096);

fn selection(which: &str) -> Result<Selection, AppError> {
    if which == "all" {
        return Ok(Selection::All);
    }
    if let Some(reason) = HoldReason::from_db(which) {
        return Ok(Selection::Reason(reason));
    }
    which.parse().map(Selection::One).map_err(|_| AppError::BadRequest("which must be all, a reason or an id".into()))
}

/// Releases or discards held signatures.
pub async fn review(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    OrganiserPost { organiser, form }: OrganiserPost<ReviewForm>,
) -> Result<HttpResponse, AppError> {
    let which = selection(&form.which)?;
    let view = crate::routes::extract::petition(&state, &slug).await?;
    let review =
        Review::parse(&form.action).ok_or_else(|| AppError::BadRequest("action must be release or discard".into()))?;
    let done = organise::review(&state.db, view.id, review, which, organiser.recorder().clone()).await?;
    if done.mail_queued {
        state.mail_wakeup.notify_one();
    }
    tracing::info!(petition = %slug, organiser_id = organiser.id, action = review.as_str(), count = done.count, "held signatures reviewed");
    Ok(see_other(format!("/admin/petitions/{slug}/held")))
}
