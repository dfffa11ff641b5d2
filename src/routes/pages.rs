//! Public pages: the list, a petition with its sign form, "check your email".

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::input;
use super::views::{SignForm, Summary, html};
use crate::catalog::PetitionView;
use crate::error::AppError;
use crate::signing::{self, SignError};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    open: Vec<Summary>,
    closed: Vec<Summary>,
}

pub async fn home(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let now = crate::now();
    let (open, closed) = state.catalog.all().iter().map(|p| Summary::new(p, now)).partition(|s| s.open);
    html(StatusCode::OK, IndexPage { open, closed })
}

#[derive(Template)]
#[template(path = "petition.html")]
struct PetitionPage<'a> {
    petition: Summary,
    paragraphs: Vec<&'a str>,
    form: SignForm,
    /// "27 November 2026", if the text was changed after publication.
    text_changed: Option<String>,
}

fn petition_page(status: StatusCode, p: &PetitionView, form: SignForm) -> Result<HttpResponse, AppError> {
    let text_changed = p.text_changed_at.map(|t| t.format("%-d %B %Y").to_string());
    html(
        status,
        PetitionPage {
            petition: Summary::new(p, crate::now()),
            paragraphs: p.paragraphs().collect(),
            form,
            text_changed,
        },
    )
}

pub async fn petition(state: web::Data<AppState>, slug: web::Path<String>) -> Result<HttpResponse, AppError> {
    let p = state.catalog.find(&state.db, &slug).await?.ok_or(AppError::NotFound)?;
    petition_page(StatusCode::OK, &p, SignForm::default())
}

/// POST of the sign form: 303 to "check your email", or the form again with
/// a message at each bad field (422).
pub async fn sign(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let (input, honeypot) = input::sign_form(&req, payload).await?;
    match signing::sign(&state, &slug, input.clone(), honeypot).await {
        Ok(p) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/p/{}/check-email", p.slug)))
            .finish()),
        Err(SignError::Invalid(p, errors)) => {
            petition_page(StatusCode::UNPROCESSABLE_ENTITY, &p, SignForm::with_errors(&input, &errors))
        }
        Err(SignError::Closed(p)) => petition_page(StatusCode::CONFLICT, &p.as_closed(), SignForm::default()),
        Err(SignError::NotFound) => Err(AppError::NotFound),
        Err(SignError::Db(e)) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "check_email.html")]
struct CheckEmailPage {
    petition: Summary,
    valid_for: String,
}

pub async fn check_email(state: web::Data<AppState>, slug: web::Path<String>) -> Result<HttpResponse, AppError> {
    let p = state.catalog.find(&state.db, &slug).await?.ok_or(AppError::NotFound)?;
    html(
        StatusCode::OK,
        CheckEmailPage {
            petition: Summary::new(&p, crate::now()),
            valid_for: crate::text::duration_words(state.confirmation_ttl),
        },
    )
}
