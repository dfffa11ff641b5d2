//! What handlers start with, written once: the petition a path names
//! (404 otherwise), and an organiser's form read and CSRF-checked.

use std::sync::Arc;

use actix_web::{HttpRequest, web};
use serde::de::DeserializeOwned;

use super::input;
use crate::auth::CurrentOrganiser;
use crate::catalog::PetitionView;
use crate::error::AppError;
use crate::state::AppState;

/// The petition called `slug`, from the public snapshot (or the database
/// if it is newer than the snapshot); 404 if there is none.
pub async fn petition(state: &AppState, slug: &str) -> Result<Arc<PetitionView>, AppError> {
    state.catalog.find(&state.db, slug).await?.ok_or(AppError::NotFound)
}

/// A form an organiser sends from a dashboard page: it carries the
/// session's CSRF token (hidden field `csrf_token`).
pub trait OrganiserForm: DeserializeOwned {
    /// The token the form sent back.
    fn csrf_token(&self) -> &str;
}

/// Reads an organiser's form of at most `limit` bytes ([`input::form`]) and
/// refuses it (403) unless it carries `organiser`'s CSRF token.
pub async fn organiser_form<T: OrganiserForm>(
    organiser: &CurrentOrganiser,
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<T, AppError> {
    let form: T = input::form(req, payload, limit).await?;
    organiser.check_csrf(form.csrf_token())?;
    Ok(form)
}

/// Implements [`OrganiserForm`] for forms whose token is the field `csrf_token`.
macro_rules! impl_organiser_form {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::routes::extract::OrganiserForm for $form {
            fn csrf_token(&self) -> &str {
                &self.csrf_token
            }
        })+
    };
}
pub(crate) use impl_organiser_form;
