//! Creating, editing, opening and closing petitions from the dashboard.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::FORM_LIMIT;
use crate::db;
use crate::domain::{
    Addressee, FieldErrors, Goal, Language, NewPetition, PetitionBody, PetitionEdit, PetitionTitle, Slug,
};
use crate::error::AppError;
use crate::organise::petitions::{self as organise, CreateError, StateError};
use crate::routes::caller::CurrentOrganiser;
use crate::routes::extract::{self, OrganiserPost, impl_organiser_form};
use crate::routes::views::{html, see_other};
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

impl_organiser_form!(PetitionForm: FORM_LIMIT, StateForm: 4096);

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

/// The petition form (for a new petition unless `editing` one), with what
/// was typed and what was wrong.
fn form_page(
    status: StatusCode,
    organiser: &CurrentOrganiser,
    editing: Option<&str>,
    form: &PetitionForm,
    errors: &FieldErrors,
) -> Result<HttpResponse, AppError> {
    html(status, FormPage { organiser: &organiser.email, csrf: &organiser.csrf, editing, form, errors })
}

pub async fn new_form(organiser: CurrentOrganiser) -> Result<HttpResponse, AppError> {
    form_page(StatusCode::OK, &organiser, None, &PetitionForm::default(), &FieldErrors::default())
}

pub async fn create(
    state: web::Data<AppState>,
    OrganiserPost { organiser, form }: OrganiserPost<PetitionForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let slug = errors.check("slug", Slug::parse(&form.slug));
    let common = parse_common(&form, &mut errors);
    let (Some(slug), Some(common)) = (slug, common) else {
        return form_page(StatusCode::UNPROCESSABLE_ENTITY, &organiser, None, &form, &errors);
    };
    let new = common.into_new(slug);
    let slug = new.slug.as_str().to_owned();
    match organise::create(&state.db, new, organiser.recorder().clone()).await {
        Ok(()) => {
            tracing::info!(petition = %slug, organiser_id = organiser.id, "petition created");
            let _ = crate::jobs::counter::refresh_once(&state.db, &state.catalog).await;
            Ok(see_other(format!("/admin/petitions/{slug}")))
        }
        Err(CreateError::SlugTaken) => {
            errors.add("slug", "a petition with this slug already exists");
            form_page(StatusCode::UNPROCESSABLE_ENTITY, &organiser, None, &form, &errors)
        }
        Err(CreateError::Db(e)) => Err(e.into()),
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
    form_page(StatusCode::OK, &organiser, Some(&row.slug), &form, &FieldErrors::default())
}

/// Saves an edit. A change of title, text or addressee is recorded as a new
/// revision, with when and by whom; the public page then says when the text
/// changed.
pub async fn update(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    OrganiserPost { organiser, form }: OrganiserPost<PetitionForm>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let Some(edit) = parse_common(&form, &mut errors) else {
        return form_page(StatusCode::UNPROCESSABLE_ENTITY, &organiser, Some(&slug), &form, &errors);
    };
    let text_changed =
        organise::edit(&state.db, &slug, edit, organiser.recorder().clone()).await?.ok_or(AppError::NotFound)?;
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
    slug: web::Path<String>,
    OrganiserPost { organiser, form }: OrganiserPost<StateForm>,
) -> Result<HttpResponse, AppError> {
    let changed = match form.action.as_str() {
        "close" => organise::close(&state.db, &slug, organiser.recorder().clone()).await,
        "open" => organise::reopen(&state.db, &slug, None, organiser.recorder().clone()).await,
        _ => {
            // An unknown petition is 404 whatever the action.
            extract::petition(&state, &slug).await?;
            return Err(AppError::BadRequest("action must be open or close".into()));
        }
    };
    changed.map_err(|e| match e {
        StateError::NotFound => AppError::NotFound,
        StateError::AlreadyOpen => AppError::Conflict("The petition is already open.".into()),
        StateError::AlreadyClosed => AppError::Conflict("The petition is already closed.".into()),
        StateError::Erased => {
            AppError::Conflict("Its signers' personal data has been erased; it cannot take signatures again.".into())
        }
        StateError::ClosingDatePassed => AppError::Conflict(
            "Its closing date has passed: edit the petition to set a new one (or none) first.".into(),
        ),
        StateError::Db(e) => e.into(),
    })?;
    tracing::info!(petition = %slug, organiser_id = organiser.id, "petition state changed");
    let _ = crate::jobs::counter::refresh_once(&state.db, &state.catalog).await;
    Ok(see_other(format!("/admin/petitions/{slug}")))
}
