//! The organisers' view of how petitions are doing.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::chart::Chart;
use crate::db;
use crate::domain::{Country, PetitionState, SignatureStatus, Tally};
use crate::error::AppError;
use crate::routes::caller::CurrentOrganiser;
use crate::routes::extract::OrganiserPetition;
use crate::routes::views::{Summary, html};
use crate::state::AppState;
use crate::text::thousands;

pub struct Row {
    pub summary: Summary,
    pub pending: String,
}

#[derive(Template)]
#[template(path = "admin/index.html")]
struct IndexPage {
    organiser: String,
    csrf: String,
    petitions: Vec<Row>,
}

pub async fn index(state: web::Data<AppState>, organiser: CurrentOrganiser) -> Result<HttpResponse, AppError> {
    let pending: HashMap<i64, i64> = state.db.read(db::exports::pending_by_petition).await?.into_iter().collect();
    let now = crate::now();
    let petitions = state
        .catalog
        .all()
        .iter()
        .map(|p| Row {
            summary: Summary::new(p, now, &crate::i18n::Tr::ENGLISH),
            pending: thousands(pending.get(&p.id).copied().unwrap_or(0)),
        })
        .collect();
    html(StatusCode::OK, IndexPage { organiser: organiser.email, csrf: organiser.csrf, petitions })
}

pub struct CountryRow {
    pub code: String,
    pub name: String,
    pub count: String,
}

pub struct LogRow {
    pub when: String,
    pub actor: String,
    pub what: String,
    pub rows: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "admin/petition.html")]
struct PetitionPage {
    organiser: String,
    csrf: String,
    petition: Summary,
    state_open: bool,
    confirmed: String,
    pending: String,
    withdrawn: String,
    /// Held for review now.
    held: String,
    /// Merged, refused and held submissions by reason: (what, count).
    tallies: Vec<(String, String)>,
    countries: Vec<CountryRow>,
    chart: Chart,
    log: Vec<LogRow>,
    revisions: Vec<(String, String)>,
    text_changed: Option<String>,
}

/// A log entry as the dashboard lists it: exports by their file name, views
/// of held signatures in words.
fn log_row(e: db::exports::LogEntry) -> LogRow {
    let held_view = e.what == db::exports::HELD_VIEW;
    LogRow {
        when: minute(e.started_at),
        actor: e.actor,
        what: if held_view { "Viewed held signatures (names and emails)".into() } else { e.what },
        rows: e.rows_written.map(thousands).unwrap_or_default(),
        status: if held_view { "shown".into() } else { e.status },
    }
}

fn minute(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub async fn petition(
    state: web::Data<AppState>,
    OrganiserPetition { organiser, petition: view }: OrganiserPetition,
) -> Result<HttpResponse, AppError> {
    let id = view.id;
    let (row, counts, daily, tallies, statuses, log, revisions, held) = state
        .db
        .snapshot(move |c| {
            Ok((
                db::petitions::find(c, id)?,
                db::counts::for_petition(c, id)?,
                db::counts::daily(c, id)?,
                db::counts::tallies(c, id)?,
                db::exports::by_status(c, id)?,
                db::exports::log_for_petition(c, id, 50)?,
                db::petitions::revisions(c, id)?,
                db::held::count_by_reason(c, id)?.values().sum::<i64>(),
            ))
        })
        .await?;
    let row = row.ok_or(AppError::NotFound)?;
    let now = crate::now();
    let mut countries: Vec<CountryRow> = counts
        .iter()
        .map(|(code, n)| CountryRow {
            code: code.clone(),
            name: Country::parse(code).map(|c| c.name().to_owned()).unwrap_or_else(|_| code.clone()),
            count: thousands(*n),
        })
        .collect();
    countries.sort_by_key(|c| std::cmp::Reverse(counts.get(&c.code).copied().unwrap_or(0)));
    let end = row.closed_at.or(row.closes_at.filter(|t| *t <= now)).unwrap_or(now);
    let chart = Chart::new(&daily, row.created_at.date(), end.date());
    let mut summary = Summary::new(&view, now, &crate::i18n::Tr::ENGLISH);
    // The dashboard shows the exact count, not the public snapshot's.
    summary.count = thousands(counts.values().sum());
    let page = PetitionPage {
        organiser: organiser.email,
        csrf: organiser.csrf,
        state_open: row.state == PetitionState::Open,
        confirmed: summary.count.clone(),
        petition: summary,
        pending: thousands(statuses.get(SignatureStatus::Pending) - held),
        held: thousands(held),
        withdrawn: thousands(statuses.get(SignatureStatus::Withdrawn)),
        tallies: Tally::ALL.iter().map(|t| (t.describe(), thousands(tallies.get(t).copied().unwrap_or(0)))).collect(),
        countries,
        chart,
        log: log.into_iter().map(log_row).collect(),
        revisions: revisions.into_iter().map(|(t, by)| (minute(t), by)).collect(),
        text_changed: row.text_changed_at.map(minute),
    };
    html(StatusCode::OK, page)
}
