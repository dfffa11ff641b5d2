//! What templates are given: plain, pre-formatted values.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use chrono::NaiveDateTime;

use crate::catalog::PetitionView;
use crate::domain::{Country, FieldErrors, PetitionState, SignatureInput};
use crate::error::AppError;
use crate::text::thousands;

/// Renders a template as an HTML response with the given status.
pub fn html(status: StatusCode, page: impl Template) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(page.render()?))
}

/// A petition's headline facts, as lists and pages show them.
pub struct Summary {
    pub slug: String,
    pub title: String,
    pub addressee: Option<String>,
    pub count: String,
    /// "signature" or "signatures".
    pub noun: &'static str,
    pub goal: Option<String>,
    /// Progress towards the goal, 0 to 100.
    pub percent: i64,
    pub open: bool,
    pub closes_on: Option<String>,
}

impl Summary {
    pub fn new(p: &PetitionView, now: NaiveDateTime) -> Self {
        let percent = match p.goal {
            Some(goal) if goal > 0 => (p.total.saturating_mul(100) / goal).clamp(0, 100),
            _ => 0,
        };
        Self {
            slug: p.slug.clone(),
            title: p.title.clone(),
            addressee: p.addressee.clone(),
            count: thousands(p.total),
            noun: if p.total == 1 { "signature" } else { "signatures" },
            goal: p.goal.map(thousands),
            percent,
            open: p.state_at(now) == PetitionState::Open,
            // closes_at is the start of the day after the last signing day.
            closes_on: p.closes_at.map(|t| (t - chrono::TimeDelta::seconds(1)).format("%-d %B %Y").to_string()),
        }
    }
}

#[derive(Default)]
pub struct Field {
    pub value: String,
    pub errors: Vec<String>,
}

impl Field {
    pub fn invalid(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// The sign form with what was typed and what was wrong.
#[derive(Default)]
pub struct SignForm {
    pub name: Field,
    pub email: Field,
    pub country: Field,
    pub postcode: Field,
    pub keep_informed: bool,
    /// (field id, message) for the error summary at the top of the form.
    pub summary: Vec<(&'static str, String)>,
}

impl SignForm {
    pub fn with_errors(input: &SignatureInput, errors: &FieldErrors) -> Self {
        let field = |value: &str, name: &str| Field { value: value.to_owned(), errors: errors.get(name).to_vec() };
        Self {
            name: field(&input.name, "name"),
            email: field(&input.email, "email"),
            country: field(input.country.trim(), "country"),
            postcode: field(&input.postcode, "postcode"),
            keep_informed: input.keep_informed,
            summary: errors.fields().flat_map(|(f, msgs)| msgs.iter().map(move |m| (f, m.clone()))).collect(),
        }
    }

    pub fn countries(&self) -> &'static [(Country, String)] {
        Country::all()
    }
}
