//! Creating, editing, opening and closing petitions from the dashboard.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::FORM_LIMIT;
use crate::auth::CurrentOrganiser;
use crate::db::{self, DbError, petitions::PetitionEdit};
use crate::domain::{Addressee, FieldErrors, Goal, Language, NewPetition, PetitionBody, PetitionTitle, Slug};
use crate::error::AppError;
use crate::routes::input;
use crate::routes::views::html;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PetitionForm {
    csrf_token: String,
    slug: String,
    title: String,
    addressee: String,
    goal: String,
    closes_at: String,
    body: String,
    lang: String,
}

#[derive(Template)]
#[template(path = "admin/petition_form.html")]
struct FormPage<'a> {
    organiser: &'a str,
    csrf: &'a str,
    /// None when creating.
    editing: Option<&'a str>,
    form: &'a PetitionForm,
    errors: &'a FieldErrors,
}

impl FormPage<'_> {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).first().copied()
    }

    fn languages(&self) -> [(Language, bool); 6] {
        let chosen = Language::parse(&self.form.lang).unwrap_or_default();
        Language::ALL.map(|l| (l, l == chosen))
    }
}

/// An optional addressee: empty is none; else it must parse.
pub(super) fn optional_addressee(value: &str, errors: &mut FieldErrors) -> Option<Option<Addressee>> {
    if value.trim().is_empty() { Some(None) } else { errors.check("addressee", Addressee::parse(value)).map(Some) }
}

/// The fields every petition has, checked; errors are collected by field.
fn parse_common(form: &PetitionForm, errors: &mut FieldErrors) -> Option<PetitionEdit> {
    let title = errors.check("title", PetitionTitle::parse(&form.title));
    let body = errors.check("body", PetitionBody::parse(&form.body));
    let addressee = optional_addressee(&form.addressee, errors);
    let goal = if form.goal.trim().is_empty() {
        Some(None)
    } else {
        let parsed =
            form.goal.trim().replace([',', ' '], "").parse::<i64>().map_err(|_| crate::domain::PetitionError::Goal);
        errors.check("goal", parsed.and_then(Goal::new)).map(Some)
    };
    let closes_at = if form.closes_at.trim().is_empty() {
        Some(None)
    } else {
        let today = crate::now().date();
        let parsed = NaiveDate::parse_from_str(form.closes_at.trim(), "%Y-%m-%d")
            .map_err(|_| crate::domain::PetitionError::ClosesInPast)
            .and_then(|d| NewPetition::closes_at_end_of(d, today));
        match parsed {
            Ok(t) => Some(Some(t)),
            Err(_) => {
                errors.add("closes_at", "closing date must be a date (YYYY-MM-DD) from today on");
                None
            }
        }
    };
    let lang = if form.lang.trim().is_empty() {
        Some(Language::En)
    } else {
        let lang = Language::parse(&form.lang);
        if lang.is_none() {
            errors.add("lang", "choose a language from the list");
        }
        lang
    };
    Some(PetitionEdit {
        title: title?,
        body: body?,
        addressee: addressee?,
        goal: goal?,
        closes_at: closes_at?,
        lang: lang?,
    })
}

pub(super) fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

pub async fn new_form(organiser: CurrentOrganiser) -> Result<HttpResponse, AppError> {
    let form = PetitionForm::default();
    let page = FormPage {
        organiser: &organiser.email,
        csrf: &organiser.csrf,
        editing: None,
        form: &form,
        errors: &FieldErrors::default(),
    };
    html(StatusCode::OK, page)
}

pub async fn create(
    state: web::Data<AppState>,
    organiser: CurrentOrganiser,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let form: PetitionForm = input::form(&req, payload, FORM_LIMIT).await?;
    organiser.check_csrf(&form.csrf_token)?;
    let mut errors = FieldErrors::default();
    let slug = errors.check("slug", Slug::parse(&form.slug));
    let common = parse_common(&form, &mut errors);
    let (Some(slug), Some(common)) = (slug, common) else {
        let page = FormPage {
            organiser: &organiser.email,
            csrf: &organiser.csrf,
            editing: None,
            form: &form,
            errors: &errors,
        };
        return html(StatusCode::UNPROCESSABLE_ENTITY, page);
    };
    let new = NewPetition {
        slug,
        title: common.title,
        body: common.body,
        addressee: common.addressee,
        goal: common.goal,
        closes_at: common.closes_at,
        lang: common.lang,
    };
    let slug = new.slug.as_str().to_owned();
    let actor = organiser.actor().description;
    let now = crate::now();
    match state.db.write(move |c| db::petitions::insert(c, &new, now, &actor)).await {
        Ok(_) => {
            tracing::info!(petition = %slug, organiser_id = organiser.id, "petition created");
            let _ = crate::jobs::counter::refresh_once(&state.db, &state.catalog).await;
            Ok(see_other(format!("/admin/petitions/{slug}")))
        }
        Err(DbError::Query(e)) if db::is_unique_violation(&e) => {
            errors.add("slug", "a petition with this slug already exists");
            let page = FormPage {
                organiser: &organiser.email,
                csrf: &organiser.csrf,
                editing: None,
                form: &form,
                errors: &errors,
            };
            html(StatusCode::UNPROCESSABLE_ENTITY, page)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_form(
    state: web::Data<AppState>,
    organiser: CurrentOrganiser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let lookup = slug.clone();
    let row = state.db.read(move |c| db::petitions::find_by_slug(c, &lookup)).await?.ok_or(AppError::NotFound)?;
    let form = PetitionForm {
        csrf_token: String::new(),
        slug: row.slug.clone(),
        title: row.title,
        addressee: row.addressee.unwrap_or_default(),
        goal: row.goal.map(|g| g.to_string()).unwrap_or_default(),
        closes_at: row
            .closes_at
            .map(|t| (t - chrono::TimeDelta::seconds(1)).format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        body: row.body,
        lang: row.lang,
    };
    let page = FormPage {
        organiser: &organiser.email,
        csrf: &organiser.csrf,
        editing: Some(&row.slug),
        form: &form,
        errors: &FieldErrors::default(),
    };
    html(StatusCode::OK, page)
}

/// Saves an edit. A change of title, text or addressee is recorded as a new
/// revision, with when and by whom; the public page then says when the text
/// changed.
pub async fn update(
    state: web::Data<AppState>,
    organiser: CurrentOrganiser,
    slug: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let form: PetitionForm = input::form(&req, payload, FORM_LIMIT).await?;
    organiser.check_csrf(&form.csrf_token)?;
    let mut errors = FieldErrors::default();
    let Some(edit) = parse_common(&form, &mut errors) else {
        let page = FormPage {
            organiser: &organiser.email,
            csrf: &organiser.csrf,
            editing: Some(&slug),
            form: &form,
            errors: &errors,
        };
        return html(StatusCode::UNPROCESSABLE_ENTITY, page);
    };
    let (slug, actor, now) = (slug.into_inner(), organiser.actor().description, crate::now());
    let s = slug.clone();
    let changed = state.db.write(move |c| db::petitions::edit(c, &s, &edit, now, &actor)).await?;
    let text_changed = changed.ok_or(AppError::NotFound)?;
    tracing::info!(petition = %slug, organiser_id = organiser.id, text_changed, "petition edited");
    let _ = crate::jobs::counter::refresh_once(&state.db, &state.catalog).await;
    Ok(see_other(format!("/admin/petitions/{slug}")))
}

#[derive(Deserialize)]
pub struct StateForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    action: String,
}

/// Opens or closes a petition.
pub async fn set_state(
    state: web::Data<AppState>,
    organiser: CurrentOrganiser,
    slug: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let form: StateForm = input::form(&req, payload, 4096).await?;
    organiser.check_csrf(&form.csrf_token)?;
    let (s, now) = (slug.clone(), crate::now());
    let outcome = state
        .db
        .write(move |c| {
            let Some(p) = db::petitions::find_by_slug(c, &s)? else { return Ok(Err(AppError::NotFound)) };
            Ok(match (form.action.as_str(), p.state.as_str()) {
                ("close", "open") => db::petitions::close(c, &s, now).map(|_| Ok(()))?,
                ("open", "closed") if p.erased_at.is_some() => Err(AppError::Conflict(
                    "Its signers' personal data has been erased; it cannot take signatures again.".into(),
                )),
                ("open", "closed") if p.closes_at.is_some_and(|t| t <= now) => Err(AppError::Conflict(
                    "Its closing date has passed: edit the petition to set a new one (or none) first.".into(),
                )),
                ("open", "closed") => db::petitions::reopen(c, &s, p.closes_at, now).map(|_| Ok(()))?,
                ("open" | "close", state) => Err(AppError::Conflict(format!("The petition is already {state}."))),
                _ => Err(AppError::BadRequest("action must be open or close".into())),
            })
        })
        .await?;
    outcome?;
    tracing::info!(petition = %slug, organiser_id = organiser.id, "petition state changed");
    let _ = crate::jobs::counter::refresh_once(&state.db, &state.catalog).await;
    Ok(see_other(format!("/admin/petitions/{slug}")))
}
