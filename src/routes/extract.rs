//! What handlers start with, written once as extractors: the petition a
//! path's `{slug}` names (404 otherwise), an organiser's page about one,
//! and an organiser's form, read and CSRF-checked.

use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use super::input;
use crate::catalog::PetitionView;
use crate::error::AppError;
use crate::routes::caller::CurrentOrganiser;
use crate::state::AppState;

/// The petition called `slug`, from the public snapshot (or the database
/// if it is newer than the snapshot); 404 if there is none.
pub async fn petition(state: &AppState, slug: &str) -> Result<Arc<PetitionView>, AppError> {
    state.catalog.find(&state.db, slug).await?.ok_or(AppError::NotFound)
}

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| AppError::Internal(anyhow::anyhow!("no app state")))
}

/// The petition the path's `{slug}` names ([`petition`]), for public pages.
pub struct PetitionBySlug(pub Arc<PetitionView>);

impl FromRequest for PetitionBySlug {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let (state, slug) = (app_state(req), req.match_info().query("slug").to_owned());
        Box::pin(async move { Ok(Self(petition(&*state?, &slug).await?)) })
    }
}

/// A signed-in organiser's page about the petition the path names: the
/// login redirect first, then 404 if there is no such petition.
pub struct OrganiserPetition {
    pub organiser: CurrentOrganiser,
    pub petition: Arc<PetitionView>,
}

impl FromRequest for OrganiserPetition {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let organiser = CurrentOrganiser::from_request(req, payload);
        let (state, slug) = (app_state(req), req.match_info().query("slug").to_owned());
        Box::pin(async move {
            let organiser = organiser.await?;
            Ok(Self { organiser, petition: petition(&*state?, &slug).await? })
        })
    }
}

/// A form an organiser sends from a dashboard page: it carries the
/// session's CSRF token (hidden field `csrf_token`).
pub trait OrganiserForm: DeserializeOwned + 'static {
    /// Larger bodies are refused (413).
    const LIMIT: usize;

    /// The token the form sent back.
    fn csrf_token(&self) -> &str;
}

/// A signed-in organiser's form: the login redirect first, then the body
/// read ([`input::form`]) and refused (403) unless it carries the session's
/// CSRF token.
pub struct OrganiserPost<T> {
    pub organiser: CurrentOrganiser,
    pub form: T,
}

impl<T: OrganiserForm> FromRequest for OrganiserPost<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let organiser = CurrentOrganiser::from_request(req, &mut Payload::None);
        let (req, mut payload) = (req.clone(), payload.take());
        Box::pin(async move {
            let organiser = organiser.await?;
            let body = web::Payload::from_request(&req, &mut payload)
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
            let form: T = input::form(&req, body, T::LIMIT).await?;
            organiser.check_csrf(form.csrf_token())?;
            Ok(Self { organiser, form })
        })
    }
}

/// Implements [`OrganiserForm`] for forms whose token is the field
/// `csrf_token`, each with its size limit: `impl_organiser_form!(Form: 4096)`.
macro_rules! impl_organiser_form {
    ($($form:ty: $limit:expr),+ $(,)?) => {
        $(impl $crate::routes::extract::OrganiserForm for $form {
            const LIMIT: usize = $limit;

            fn csrf_token(&self) -> &str {
                &self.csrf_token
            }
        })+
    };
}
pub(crate) use impl_organiser_form;
