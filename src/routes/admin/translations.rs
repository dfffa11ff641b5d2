//! A petition's text in the other UN languages: readers whose language has
//! a translation see it; the others see the petition's own language.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::FORM_LIMIT;
use crate::audit::Kind;
use crate::db::{self, TranslationRow};
use crate::domain::{FieldErrors, Language, PetitionBody, PetitionTitle};
use crate::error::AppError;
use crate::routes::caller::CurrentOrganiser;
use crate::routes::extract::{OrganiserPost, impl_organiser_form};
use crate::routes::views::{html, see_other};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TranslationForm {
    csrf_token: String,
    title: String,
    addressee: String,
    body: String,
    /// "save" or "remove".
    action: String,
}

impl_organiser_form!(TranslationForm: FORM_LIMIT);

#[derive(Template)]
#[template(path = "admin/translation.html")]
struct TranslationPage<'a> {
    organiser: &'a str,
    csrf: &'a str,
    slug: &'a str,
    /// The petition's own title and language.
    title: &'a str,
    main: Language,
    lang: Language,
    /// Every other language: (language, translated on, if it is).
    others: Vec<(Language, Option<String>)>,
    exists: bool,
    form: &'a TranslationForm,
    errors: &'a FieldErrors,
}

impl TranslationPage<'_> {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).first().copied()
    }
}

struct Context {
    row: db::PetitionRow,
    translations: Vec<TranslationRow>,
}

async fn context(state: &AppState, slug: &str) -> Result<(Context, Language), AppError> {
    let lookup = slug.to_owned();
    let found = state
        .db
        .snapshot(move |c| {
            let Some(row) = db::petitions::find_by_slug(c, &lookup)? else {
                return Ok(None);
            };
            let translations = db::petitions::translations_of(c, row.id)?;
            Ok(Some(Context { row, translations }))
        })
        .await?;
    let ctx = found.ok_or(AppError::NotFound)?;
    let main = Language::from_db(&ctx.row.lang);
    Ok((ctx, main))
}

fn page(
    organiser: &CurrentOrganiser,
    ctx: &Context,
    main: Language,
    lang: Language,
    form: &TranslationForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let others = Language::ALL
        .into_iter()
        .filter(|l| *l != main)
        .map(|l| {
            let done = ctx.translations.iter().find(|t| t.lang == l.code());
            (l, done.map(|t| t.updated_at.format("%Y-%m-%d %H:%M UTC").to_string()))
        })
        .collect();
    html(
        status,
        TranslationPage {
            organiser: &organiser.email,
            csrf: &organiser.csrf,
            slug: &ctx.row.slug,
            title: &ctx.row.title,
            main,
            lang,
            others,
            exists: ctx.translations.iter().any(|t| t.lang == lang.code()),
            form,
            errors,
        },
    )
}

fn language(tag: &str, main: Language) -> Result<Language, AppError> {
    match Language::parse(tag) {
        Some(l) if l.code() == tag && l != main => Ok(l),
        _ => Err(AppError::NotFound),
    }
}

/// GET: the translation form for one language, with links to the others.
pub async fn form(
    state: web::Data<AppState>,
    organiser: CurrentOrganiser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, tag) = path.into_inner();
    let (ctx, main) = context(&state, &slug).await?;
    let lang = language(&tag, main)?;
    let form = match ctx.translations.iter().find(|t| t.lang == lang.code()) {
        Some(t) => TranslationForm {
            title: t.title.clone(),
            addressee: t.addressee.clone().unwrap_or_default(),
            body: t.body.clone(),
            ..Default::default()
        },
        None => TranslationForm::default(),
    };
    page(&organiser, &ctx, main, lang, &form, &FieldErrors::default(), StatusCode::OK)
}

/// POST: saves (or removes) the translation.
pub async fn save(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    OrganiserPost { organiser, form }: OrganiserPost<TranslationForm>,
) -> Result<HttpResponse, AppError> {
    let (slug, tag) = path.into_inner();
    let (ctx, main) = context(&state, &slug).await?;
    let lang = language(&tag, main)?;
    let petition_id = ctx.row.id;
    let now = crate::now();
    let (actor, by) = (organiser.actor().description, organiser.recorder().clone());
    if form.action == "remove" {
        state
            .db
            .write(move |c| {
                db::petitions::delete_translation(c, petition_id, lang, now, &actor)?;
                by.append(c, Kind::TranslationRemoved, Some(petition_id), lang.code())
            })
            .await?;
        tracing::info!(petition = %slug, lang = lang.code(), organiser_id = organiser.id, "translation removed");
    } else {
        let mut errors = FieldErrors::default();
        let title = errors.check("title", PetitionTitle::parse(&form.title));
        let body = errors.check("body", PetitionBody::parse(&form.body));
        let addressee = super::petitions::optional_addressee(&form.addressee, &mut errors);
        let (Some(title), Some(body), Some(addressee)) = (title, body, addressee) else {
            return page(&organiser, &ctx, main, lang, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY);
        };
        state
            .db
            .write(move |c| {
                let text = (&title, &body, addressee.as_ref());
                db::petitions::save_translation(c, petition_id, lang, text, now, &actor)?;
                by.append(c, Kind::TranslationSaved, Some(petition_id), lang.code())
            })
            .await?;
        tracing::info!(petition = %slug, lang = lang.code(), organiser_id = organiser.id, "translation saved");
    }
    let _ = crate::jobs::counter::refresh_once(&state.db, &state.catalog).await;
    Ok(see_other(format!("/admin/petitions/{slug}/translations/{}", lang.code())))
}
