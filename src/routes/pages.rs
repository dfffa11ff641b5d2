//! Public pages: the list, a petition with its sign form, "check your email".

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;

use super::client::client_ip;
use super::extract::PetitionBySlug;
use super::input;
use super::views::{SignForm, Summary, html, no_store, see_other};
use crate::catalog::PetitionView;
use crate::domain::SignatureInput;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::signing::{self, Honeypot, SignError, Signed, Submission};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    tr: Tr,
    open: Vec<Summary>,
    closed: Vec<Summary>,
}

pub async fn home(state: web::Data<AppState>, tr: Tr) -> Result<HttpResponse, AppError> {
    let now = crate::now();
    let (open, closed) = state.catalog.all().iter().map(|p| Summary::new(p, now, &tr)).partition(|s| s.open);
    html(StatusCode::OK, IndexPage { tr, open, closed })
}

#[derive(Template)]
#[template(path = "petition.html")]
struct PetitionPage<'a> {
    tr: Tr,
    petition: Summary,
    paragraphs: Vec<&'a str>,
    form: SignForm,
    /// "27 November 2026", if the text was changed after publication.
    text_changed: Option<String>,
    /// The form's signed timestamp (hidden field `started`).
    started: String,
    /// Where the form is sent.
    action: String,
    /// How long ago the petition's log was last checkpointed.
    log_status: String,
}

/// The petition page's line about its transparency log: how long ago the
/// latest checkpoint was signed (the log trails the count by a few
/// seconds), or that there is none yet.
fn log_status(tr: &Tr, checkpoint_at: Option<NaiveDateTime>, now: NaiveDateTime) -> String {
    match checkpoint_at {
        // Another instance's clock may be a little ahead: never "in 1 second".
        Some(at) => tr.t1("log-last-checkpoint", "ago", &tr.ago((now - at).to_std().unwrap_or_default())),
        None => tr.t("log-no-checkpoint"),
    }
}

/// The petition with its sign form, stamped with the time it is shown.
fn petition_page(
    state: &AppState,
    status: StatusCode,
    p: &PetitionView,
    form: SignForm,
) -> Result<HttpResponse, AppError> {
    let tr = form.tr;
    let text_changed = p.text_changed_at.map(|t| tr.date(t.date()));
    let (_, body, _, _) = p.text_in(tr.lang);
    let now = crate::now();
    let res = html(
        status,
        PetitionPage {
            tr,
            petition: Summary::new(p, now, &tr),
            paragraphs: PetitionView::paragraphs(body).collect(),
            form,
            text_changed,
            started: state.keys.form_stamp(p.id, chrono::Utc::now()),
            action: format!("/p/{}/sign", p.slug),
            log_status: log_status(&tr, p.checkpoint_at, now),
        },
    )?;
    // The page carries a per-view form stamp: caches must not share it.
    Ok(no_store(res))
}

pub async fn petition(
    state: web::Data<AppState>,
    PetitionBySlug(p): PetitionBySlug,
    tr: Tr,
) -> Result<HttpResponse, AppError> {
    petition_page(&state, StatusCode::OK, &p, SignForm::empty(tr))
}

/// POST of the sign form: 303 to "check your email" (or, if the signature is
/// held for review, to the page that says so), or the form again with a
/// message at each bad field (422).
pub async fn sign(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let read = input::sign_form(&req, payload).await?;
    match sign_from_form(&state, &slug, &req, read).await? {
        (tr, FormResult::Signed(p, Signed::Pending)) => {
            Ok(see_other(format!("/p/{}/check-email?lang={}", p.slug, tr.code())))
        }
        (tr, FormResult::Signed(p, Signed::Held { .. })) => {
            Ok(see_other(format!("/p/{}/held?lang={}", p.slug, tr.code())))
        }
        (_, FormResult::Again(status, again)) => petition_page(&state, status, &again.0, again.1),
    }
}

/// What a sign form came to: signed, or the form to show again.
pub(super) enum FormResult {
    Signed(Arc<PetitionView>, Signed),
    /// 422 with the problems, or 409 if the petition has closed.
    Again(StatusCode, Box<(PetitionView, SignForm)>),
}

/// Signs from a form (the petition page's or the embed's) that was read as
/// `read`; the answer is in the form's language.
pub(super) async fn sign_from_form(
    state: &AppState,
    slug: &str,
    req: &HttpRequest,
    read: (SignatureInput, Honeypot, String),
) -> Result<(Tr, FormResult), AppError> {
    let (input, honeypot, stamp) = read;
    let tr = Tr::new(input.language);
    let client = client_ip(req, &state.trusted_proxies);
    let submission = Submission { input: input.clone(), honeypot, client, form_stamp: Some(stamp) };
    let result = match signing::sign(&state.signing(), slug, submission).await {
        Ok((p, signed)) => FormResult::Signed(p, signed),
        Err(SignError::Invalid(p, errors)) => {
            let form = SignForm::with_errors(&input, &errors, tr);
            FormResult::Again(StatusCode::UNPROCESSABLE_ENTITY, Box::new(((*p).clone(), form)))
        }
        Err(SignError::Closed(p)) => {
            FormResult::Again(StatusCode::CONFLICT, Box::new((p.as_closed(), SignForm::empty(tr))))
        }
        Err(SignError::NotFound) => return Err(AppError::NotFound),
        Err(SignError::Db(e)) => return Err(e.into()),
    };
    Ok((tr, result))
}

/// GET of the form's address (the language menu on a page that shows the
/// form again after a POST): back to the petition, keeping the query.
pub async fn sign_page(slug: web::Path<String>, req: HttpRequest) -> HttpResponse {
    let query = req.query_string();
    see_other(if query.is_empty() { format!("/p/{slug}") } else { format!("/p/{slug}?{query}") })
}

#[derive(Template)]
#[template(path = "check_email.html")]
struct CheckEmailPage {
    tr: Tr,
    petition: Summary,
    valid_for: String,
}

pub async fn check_email(
    state: web::Data<AppState>,
    PetitionBySlug(p): PetitionBySlug,
    tr: Tr,
) -> Result<HttpResponse, AppError> {
    html(
        StatusCode::OK,
        CheckEmailPage {
            tr,
            petition: Summary::new(&p, crate::now(), &tr),
            valid_for: tr.duration(state.confirmation_ttl),
        },
    )
}

#[derive(Template)]
#[template(path = "held.html")]
struct HeldPage {
    tr: Tr,
    petition: Summary,
}

/// After a signature was held for review.
pub async fn held(PetitionBySlug(p): PetitionBySlug, tr: Tr) -> Result<HttpResponse, AppError> {
    html(StatusCode::OK, HeldPage { tr, petition: Summary::new(&p, crate::now(), &tr) })
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::domain::Language;

    #[test]
    fn the_log_line_says_how_long_ago_the_checkpoint_was_signed() {
        let tr = Tr::new(Language::En);
        let now = crate::now();
        assert_eq!(log_status(&tr, None, now), "Public log of signatures: no checkpoint yet.");
        assert_eq!(
            log_status(&tr, Some(now - TimeDelta::seconds(4)), now),
            "Public log of signatures: last checkpoint 4 seconds ago."
        );
        assert_eq!(
            log_status(&tr, Some(now - TimeDelta::minutes(150)), now),
            "Public log of signatures: last checkpoint 2 hours ago."
        );
        assert_eq!(
            log_status(&tr, Some(now + TimeDelta::seconds(2)), now),
            "Public log of signatures: last checkpoint 0 seconds ago.",
            "a clock a little ahead is not shown as the future"
        );
        let fr = log_status(&Tr::new(Language::Fr), Some(now - TimeDelta::seconds(4)), now);
        assert!(fr.contains("il y a 4 secondes"), "{fr}");
    }
}
