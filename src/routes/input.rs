//! Reading request bodies: size limit, content type, strict UTF-8, and
//! turning form or JSON fields into a `SignatureInput`.

use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::domain::{FieldErrors, Language, SignatureInput};
use crate::error::AppError;
use crate::signing::Honeypot;

/// Larger request bodies are refused with 413.
pub const MAX_BODY: usize = 16 * 1024;

async fn read_body(payload: web::Payload, limit: usize) -> Result<Bytes, AppError> {
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(AppError::BadRequest("The request body could not be read.".into())),
        Err(_) => Err(AppError::PayloadTooLarge(limit)),
    }
}

fn content_type_is(req: &HttpRequest, expected: &str) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(expected))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SignForm {
    name: String,
    email: String,
    country: String,
    postcode: String,
    keep_informed: Option<String>,
    /// The honeypot: hidden from people, tempting to bots.
    website: String,
    /// When the form was shown, signed (see `Keys::form_stamp`).
    started: String,
    /// The language the form was shown in.
    lang: String,
}

/// Reads an `application/x-www-form-urlencoded` form of at most `limit`
/// bytes. Invalid UTF-8, raw or percent-encoded, is refused (400) rather than
/// silently replaced.
pub async fn form<T: DeserializeOwned>(req: &HttpRequest, payload: web::Payload, limit: usize) -> Result<T, AppError> {
    if !content_type_is(req, "application/x-www-form-urlencoded") {
        return Err(AppError::UnsupportedMediaType("Send the form as application/x-www-form-urlencoded."));
    }
    parse_form(&read_body(payload, limit).await?)
}

/// An urlencoded body as `T`, refusing invalid UTF-8.
pub fn parse_form<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let text = std::str::from_utf8(body).map_err(|_| not_utf8())?;
    for part in text.split(['&', '=']) {
        percent_decode_str(&part.replace('+', " ")).decode_utf8().map_err(|_| not_utf8())?;
    }
    serde_urlencoded::from_str(text).map_err(|e| AppError::BadRequest(format!("The form data could not be read: {e}.")))
}

/// Reads the sign form: its fields, honeypot and form stamp.
pub async fn sign_form(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(SignatureInput, Honeypot, String), AppError> {
    if !content_type_is(req, "application/x-www-form-urlencoded") {
        return Err(AppError::UnsupportedMediaType("Send the form as application/x-www-form-urlencoded."));
    }
    parse_sign_form(&read_body(payload, MAX_BODY).await?, super::language::negotiate(req))
}

/// The sign form's body (urlencoded) as fields, honeypot and form stamp.
/// The language is the form's own (hidden field `lang`), else `fallback`.
pub fn parse_sign_form(body: &[u8], fallback: Language) -> Result<(SignatureInput, Honeypot, String), AppError> {
    let form: SignForm = parse_form(body)?;
    let honeypot = if form.website.trim().is_empty() { Honeypot::Empty } else { Honeypot::Filled };
    Ok((
        SignatureInput {
            name: form.name,
            email: form.email,
            country: form.country,
            postcode: form.postcode,
            keep_informed: form.keep_informed.is_some(),
            language: Language::parse(&form.lang).unwrap_or(fallback),
        },
        honeypot,
        form.started,
    ))
}

fn not_utf8() -> AppError {
    AppError::BadRequest("The request is not valid UTF-8.".into())
}

/// Reads a JSON sign request. Malformed JSON is 400; a field of the wrong
/// type is 422 naming the field, like any other invalid field.
pub async fn sign_json(req: &HttpRequest, payload: web::Payload) -> Result<(SignatureInput, Honeypot), AppError> {
    if !content_type_is(req, "application/json") {
        return Err(AppError::UnsupportedMediaType("Send the request as application/json."));
    }
    parse_sign_json(&read_body(payload, MAX_BODY).await?, super::language::negotiate(req))
}

/// A JSON sign request's body as fields and honeypot. Its language is
/// `lang` if given (one of the six, else 422), else `fallback`.
pub fn parse_sign_json(body: &[u8], fallback: Language) -> Result<(SignatureInput, Honeypot), AppError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("The body is not valid JSON: {e}.")))?;
    let Value::Object(map) = value else {
        return Err(AppError::BadRequest("The body must be a JSON object.".into()));
    };
    let mut errors = FieldErrors::default();
    let mut text = |field: &'static str| match map.get(field) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            errors.add(field, "Must be a string");
            String::new()
        }
    };
    let input = SignatureInput {
        name: text("name"),
        email: text("email"),
        country: text("country"),
        postcode: text("postcode"),
        keep_informed: false,
        language: fallback,
    };
    let website = text("website");
    let lang = text("lang");
    let keep_informed = json_bool(&map, "keep_informed", &mut errors);
    let language = match lang.trim() {
        "" => fallback,
        tag => Language::parse(tag).unwrap_or_else(|| {
            errors.add("lang", "Must be one of ar, zh, en, fr, ru, es");
            fallback
        }),
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let honeypot = if website.trim().is_empty() { Honeypot::Empty } else { Honeypot::Filled };
    Ok((SignatureInput { keep_informed, language, ..input }, honeypot))
}

fn json_bool(map: &Map<String, Value>, field: &'static str, errors: &mut FieldErrors) -> bool {
    match map.get(field) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.add(field, "Must be true or false");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::ResponseError;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn any_body_parses_or_is_the_clients_fault(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Err(e) = parse_sign_form(&body, Language::En) {
                prop_assert!(e.status_code().is_client_error(), "{e}");
            }
            if let Err(e) = parse_sign_json(&body, Language::En) {
                prop_assert!(e.status_code().is_client_error(), "{e}");
            }
        }

        #[test]
        fn any_json_object_of_strings_is_read_field_for_field(
            name in ".{0,50}", email in ".{0,50}", country in ".{0,5}", started in "[0-9a-f.]{0,40}",
        ) {
            let body = serde_json::json!({"name": name, "email": email, "country": country, "extra": 1});
            let (input, honeypot) = parse_sign_json(body.to_string().as_bytes(), Language::En).unwrap();
            prop_assert_eq!((input.name, input.email, input.country), (name.clone(), email.clone(), country.clone()));
            prop_assert_eq!(honeypot, Honeypot::Empty);
            let form = serde_urlencoded::to_string([("name", &name), ("email", &email), ("started", &started)]).unwrap();
            let (input, _, stamp) = parse_sign_form(form.as_bytes(), Language::En).unwrap();
            prop_assert_eq!((input.name, input.email, stamp), (name, email, started));
        }

        #[test]
        fn a_field_of_the_wrong_type_is_named(field in prop::sample::select(vec!["name", "email", "country", "postcode", "keep_informed"])) {
            let body = serde_json::json!({ field: [1, 2] });
            match parse_sign_json(body.to_string().as_bytes(), Language::En) {
                Err(AppError::Invalid(errors)) => prop_assert!(!errors.get(field).is_empty()),
                other => prop_assert!(false, "{other:?}"),
            }
        }
    }
}
