//! What templates are given: plain values, already in the reader's language.

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use askama::Template;
use chrono::NaiveDateTime;

use crate::catalog::PetitionView;
use crate::domain::{Country, FieldErrors, Language, PetitionState, SignatureInput};
use crate::error::AppError;
use crate::i18n::Tr;

/// Renders a template as an HTML response with the given status.
pub fn html(status: StatusCode, page: impl Template) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(page.render()?))
}

/// The response, marked for no cache to keep (a page with a per-view form
/// stamp or a CSRF token, an export).
pub fn no_store(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    res
}

/// 303 See Other to `location`: where a form's POST sends the browser next.
pub fn see_other(location: impl AsRef<str>) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.as_ref())).finish()
}

/// A petition's headline facts, as lists and pages show them, in the
/// reader's language (its title and addressee in the petition's own
/// language if there is no translation).
pub struct Summary {
    pub slug: String,
    pub title: String,
    pub addressee: Option<String>,
    /// The language of `title` and `addressee`.
    pub text_lang: Language,
    /// The petition's own language.
    pub lang: Language,
    /// "1,234 signatures" (or "… of a goal of …"), in the reader's language.
    pub count_text: String,
    /// The count and the goal as numbers in the reader's language.
    pub count: String,
    pub goal: Option<String>,
    /// Progress towards the goal, 0 to 100.
    pub percent: i64,
    pub goal_text: Option<String>,
    pub open: bool,
    pub closes_on: Option<String>,
}

impl Summary {
    pub fn new(p: &PetitionView, now: NaiveDateTime, tr: &Tr) -> Self {
        let percent = match p.goal {
            Some(goal) if goal > 0 => (p.total.saturating_mul(100) / goal).clamp(0, 100),
            _ => 0,
        };
        let (title, _, addressee, text_lang) = p.text_in(tr.lang);
        Self {
            slug: p.slug.clone(),
            title: title.to_owned(),
            addressee: addressee.map(|a| tr.t1("addressed-to", "addressee", a)),
            text_lang,
            lang: p.lang,
            count_text: match p.goal {
                Some(goal) => tr.count_of_goal(p.total, goal),
                None => tr.count("signature-count", p.total),
            },
            count: tr.number(p.total),
            goal: p.goal.map(|g| tr.number(g)),
            percent,
            goal_text: p.goal.map(|_| tr.t1("goal-progress", "percent", &percent.to_string())),
            open: p.state_at(now) == PetitionState::Open,
            // closes_at is the start of the day after the last signing day.
            closes_on: p.closes_at.map(|t| tr.date((t - chrono::TimeDelta::seconds(1)).date())),
        }
    }

    /// The first language other than its own, for the organisers' link to
    /// the translations.
    pub fn first_translation(&self) -> &'static str {
        Language::ALL.into_iter().find(|l| *l != self.lang).unwrap_or_default().code()
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

/// The sign form's fields in the order they are shown: the error summary
/// lists problems in this order.
const FIELD_ORDER: [&str; 4] = ["name", "email", "country", "postcode"];

/// The sign form with what was typed and what was wrong, in the reader's
/// language.
pub struct SignForm {
    pub tr: Tr,
    pub name: Field,
    pub email: Field,
    pub country: Field,
    pub postcode: Field,
    pub keep_informed: bool,
    /// (field id, message) for the error summary at the top of the form.
    pub summary: Vec<(&'static str, String)>,
}

impl SignForm {
    pub fn empty(tr: Tr) -> Self {
        Self {
            tr,
            name: Field::default(),
            email: Field::default(),
            country: Field::default(),
            postcode: Field::default(),
            keep_informed: false,
            summary: Vec::new(),
        }
    }

    pub fn with_errors(input: &SignatureInput, errors: &FieldErrors, tr: Tr) -> Self {
        let field = |value: &str, name: &str| Field {
            value: value.to_owned(),
            errors: errors.problems(name).iter().map(|p| tr.problem(p)).collect(),
        };
        Self {
            tr,
            name: field(&input.name, "name"),
            email: field(&input.email, "email"),
            country: field(input.country.trim(), "country"),
            postcode: field(&input.postcode, "postcode"),
            keep_informed: input.keep_informed,
            // The form's fields in order, then any other (none today).
            summary: FIELD_ORDER
                .iter()
                .copied()
                .chain(errors.fields().map(|(f, _)| f).filter(|f| !FIELD_ORDER.contains(f)))
                .flat_map(|f| errors.problems(f).iter().map(move |p| (f, tr.problem(p))))
                .collect(),
        }
    }

    pub fn countries(&self) -> &'static [(Country, String)] {
        self.tr.countries()
    }
}
