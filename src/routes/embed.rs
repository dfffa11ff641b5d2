//! The sign form and count for a campaign's own site: `/p/{slug}/embed`,
//! the one page that may be framed (by `EMBED_ORIGINS`), and
//! `/p/{slug}/badge.svg`, a live count for an `<img>`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::extract::PetitionBySlug;
use super::input;
use super::pages::{FormResult, sign_from_form};
use super::views::{SignForm, Summary, html, no_store, see_other};
use crate::catalog::PetitionView;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::signing::Signed;
use crate::state::AppState;

/// What the embed shows instead of the form after a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    Form,
    Sent,
    Held,
}

#[derive(Template)]
#[template(path = "embed.html")]
struct EmbedPage {
    tr: Tr,
    petition: Summary,
    form: SignForm,
    started: String,
    action: String,
    after: After,
    valid_for: String,
}

fn embed_page(
    state: &AppState,
    status: StatusCode,
    p: &PetitionView,
    form: SignForm,
    after: After,
) -> Result<HttpResponse, AppError> {
    let tr = form.tr;
    let page = EmbedPage {
        tr,
        petition: Summary::new(p, crate::now(), &tr),
        form,
        started: state.keys.form_stamp(p.id, chrono::Utc::now()),
        action: format!("/p/{}/embed", p.slug),
        after,
        valid_for: tr.duration(state.confirmation_ttl),
    };
    let mut res = no_store(html(status, page)?);
    let (name, value) = super::security::framable(&state.frame_ancestors);
    res.headers_mut().insert(name, value);
    Ok(res)
}

/// GET: the form (or, after signing, what happens next).
pub async fn show(
    state: web::Data<AppState>,
    PetitionBySlug(p): PetitionBySlug,
    req: HttpRequest,
    tr: Tr,
) -> Result<HttpResponse, AppError> {
    let after = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "after")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let after = match after.as_str() {
        "sent" => After::Sent,
        "held" => After::Held,
        _ => After::Form,
    };
    embed_page(&state, StatusCode::OK, &p, SignForm::empty(tr), after)
}

/// POST: signs exactly like the petition page's form, then shows the
/// outcome inside the frame.
pub async fn sign(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let read = match input::sign_form(&req, payload).await {
        Ok(read) => read,
        // Unreadable forms get the error page, still allowed in the frame.
        Err(e) => {
            let mut res = actix_web::ResponseError::error_response(&e);
            let (name, value) = super::security::framable(&state.frame_ancestors);
            res.headers_mut().insert(name, value);
            return Ok(res);
        }
    };
    let see_other = |p: &PetitionView, after: &str, tr: Tr| {
        see_other(format!("/p/{}/embed?after={after}&lang={}", p.slug, tr.code()))
    };
    match sign_from_form(&state, &slug, &req, read).await? {
        (tr, FormResult::Signed(p, Signed::Pending)) => Ok(see_other(&p, "sent", tr)),
        (tr, FormResult::Signed(p, Signed::Held { .. })) => Ok(see_other(&p, "held", tr)),
        (_, FormResult::Again(status, again)) => embed_page(&state, status, &again.0, again.1, After::Form),
    }
}

/// A count badge: "12,345 | signatures", in the reader's language (or
/// `?lang=`). Cached for a minute by browsers and proxies.
pub async fn badge(PetitionBySlug(p): PetitionBySlug, tr: Tr) -> HttpResponse {
    let svg = badge_svg(&tr.number(p.total), &tr.count("badge-label", p.total), tr);
    HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .body(svg)
}

/// Escapes text for SVG (XML) content and attributes.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Width of text in the badge, roughly: 7 px a Latin character, 12 px a
/// wide (CJK) one.
fn text_width(text: &str) -> u32 {
    text.chars().map(|c| if (c as u32) >= 0x2E80 { 12 } else { 7 }).sum::<u32>() + 12
}

fn badge_svg(count: &str, label: &str, tr: Tr) -> String {
    let (w_count, w_label) = (text_width(count), text_width(label));
    let width = w_count + w_label;
    let (count, label) = (xml(count), xml(label));
    // In a right-to-left language the label comes first from the right.
    let (x_count, x_label) =
        if tr.dir() == "rtl" { (w_label + w_count / 2, w_label / 2) } else { (w_count / 2, w_count + w_label / 2) };
    let (count_box, label_box) = if tr.dir() == "rtl" { (w_label, 0) } else { (0, w_count) };
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="24" role="img" aria-label="{count} {label}" lang="{lang}"><title>{count} {label}</title><rect x="{count_box}" width="{w_count}" height="24" fill="#0b5394"/><rect x="{label_box}" width="{w_label}" height="24" fill="#1b1b1b"/><g fill="#ffffff" font-family="system-ui, sans-serif" font-size="13" text-anchor="middle"><text x="{x_count}" y="16" font-weight="700">{count}</text><text x="{x_label}" y="16">{label}</text></g></svg>"##,
        lang = tr.code(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_badge_is_well_formed_and_escaped() {
        let svg = badge_svg("1,234", "<signatures>", Tr::ENGLISH);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("&lt;signatures&gt;") && !svg.contains("<signatures>"));
        assert!(svg.contains("<title>1,234 &lt;signatures&gt;</title>"));
    }
}
