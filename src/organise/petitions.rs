//! Creating, editing, opening and closing a petition.

use chrono::NaiveDateTime;

use crate::audit::{Kind, Recorder};
use crate::db::{self, Db, DbError};
use crate::domain::{NewPetition, PetitionEdit, PetitionState};

/// Why a petition could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("a petition with this slug already exists")]
    SlugTaken,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Opens a new petition, with its first text revision by `by`'s actor,
/// recorded in the audit trail.
pub async fn create(db: &Db, new: NewPetition, by: Recorder) -> Result<(), CreateError> {
    let now = crate::now();
    let created = db.write(move |c| {
        let id = db::petitions::insert(c, &new, now, &by.actor().description)?;
        by.append(c, Kind::PetitionCreated, Some(id), &format!("created {}", new.slug.as_str()))
    });
    match created.await {
        Ok(_) => Ok(()),
        Err(DbError::Query(e)) if db::is_unique_violation(&e) => Err(CreateError::SlugTaken),
        Err(e) => Err(e.into()),
    }
}

/// Applies an edit by `by`'s actor, recorded in the audit trail; a changed
/// title, text or addressee is recorded as a new revision. None if there is
/// no such petition, else whether the text changed.
pub async fn edit(db: &Db, slug: &str, edit: PetitionEdit, by: Recorder) -> Result<Option<bool>, DbError> {
    let (slug, now) = (slug.to_owned(), crate::now());
    db.write(move |c| {
        let Some(id) = db::petitions::find_by_slug(c, &slug)?.map(|p| p.id) else { return Ok(None) };
        let changed = db::petitions::edit(c, &slug, &edit, now, &by.actor().description)?;
        if let Some(text_changed) = changed {
            let what = if text_changed { "edited, text changed" } else { "edited, text unchanged" };
            by.append(c, Kind::PetitionEdited, Some(id), what)?;
        }
        Ok(changed)
    })
    .await
}

/// Why a petition's state did not change.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("no petition by that slug")]
    NotFound,
    #[error("it is already open")]
    AlreadyOpen,
    #[error("it is already closed")]
    AlreadyClosed,
    #[error("its signers' personal data has been erased; it cannot take signatures again")]
    Erased,
    #[error("its closing date has passed")]
    ClosingDatePassed,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The reopen rule: a closed petition takes signatures again unless its
/// signers' personal data was erased (there would be nobody to count
/// against), or its closing date (`closes_at`, the new one if given) has
/// passed. None if it may be reopened.
pub fn reopen_refusal(
    state: PetitionState,
    erased: bool,
    closes_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Option<StateError> {
    if state == PetitionState::Open {
        Some(StateError::AlreadyOpen)
    } else if erased {
        Some(StateError::Erased)
    } else if closes_at.is_some_and(|t| t <= now) {
        Some(StateError::ClosingDatePassed)
    } else {
        None
    }
}

/// Stops a petition taking signatures (recorded in the audit trail).
pub async fn close(db: &Db, slug: &str, by: Recorder) -> Result<(), StateError> {
    let (slug, now) = (slug.to_owned(), crate::now());
    db.write(move |c| {
        let Some(p) = db::petitions::find_by_slug(c, &slug)? else { return Ok(Err(StateError::NotFound)) };
        if p.state == PetitionState::Closed || !db::petitions::close(c, &slug, now)? {
            return Ok(Err(StateError::AlreadyClosed));
        }
        by.append(c, Kind::PetitionClosed, Some(p.id), "closed")?;
        Ok(Ok(()))
    })
    .await?
}

/// Takes signatures again on a closed petition, until `closes_at` if given
/// (else its closing date stays), if [`reopen_refusal`] allows it
/// (recorded in the audit trail).
pub async fn reopen(db: &Db, slug: &str, closes_at: Option<NaiveDateTime>, by: Recorder) -> Result<(), StateError> {
    let (slug, now) = (slug.to_owned(), crate::now());
    db.write(move |c| {
        let Some(p) = db::petitions::find_by_slug(c, &slug)? else { return Ok(Err(StateError::NotFound)) };
        let closes_at = closes_at.or(p.closes_at);
        if let Some(refusal) = reopen_refusal(p.state, p.erased_at.is_some(), closes_at, now) {
            return Ok(Err(refusal));
        }
        if !db::petitions::reopen(c, &slug, closes_at, now)? {
            return Ok(Err(StateError::AlreadyOpen));
        }
        let until =
            closes_at.map_or("no closing date".to_owned(), |t| format!("closing {}", t.format("%Y-%m-%d %H:%M")));
        by.append(c, Kind::PetitionOpened, Some(p.id), &format!("opened, {until}"))?;
        Ok(Ok(()))
    })
    .await?
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeDelta};

    use super::*;

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap().and_hms_opt(12, 0, 0).unwrap()
    }

    #[test]
    fn a_closed_petition_reopens_unless_erased_or_past_its_date() {
        let (now, hour) = (now(), TimeDelta::hours(1));
        assert!(reopen_refusal(PetitionState::Closed, false, None, now).is_none());
        assert!(reopen_refusal(PetitionState::Closed, false, Some(now + hour), now).is_none());
        assert!(matches!(
            reopen_refusal(PetitionState::Closed, false, Some(now), now),
            Some(StateError::ClosingDatePassed)
        ));
        assert!(matches!(
            reopen_refusal(PetitionState::Closed, false, Some(now - hour), now),
            Some(StateError::ClosingDatePassed)
        ));
        assert!(matches!(reopen_refusal(PetitionState::Closed, true, None, now), Some(StateError::Erased)));
        assert!(matches!(reopen_refusal(PetitionState::Closed, true, Some(now - hour), now), Some(StateError::Erased)));
    }

    #[test]
    fn an_open_petition_is_already_open_whatever_its_date() {
        let (now, hour) = (now(), TimeDelta::hours(1));
        for closes_at in [None, Some(now + hour), Some(now - hour)] {
            assert!(matches!(
                reopen_refusal(PetitionState::Open, false, closes_at, now),
                Some(StateError::AlreadyOpen)
            ));
        }
    }
}
