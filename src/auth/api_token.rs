//! API tokens sent as `Authorization: Bearer`: who a token speaks for, and
//! recording its use without a write per request.

use chrono::{NaiveDateTime, TimeDelta};

use super::Actor;
use crate::db::{self, Db, DbError};
use crate::domain::ApiToken;

/// A token's use (`last_used_at`) is recorded at most this often, so that a
/// busy script does not cost a write per request.
pub const USE_RECORDED_EVERY: TimeDelta = TimeDelta::minutes(1);

/// Whether a use at `now` is worth a write, given when one was last recorded.
pub fn use_worth_recording(last_recorded: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    last_recorded.is_none_or(|last| now - last >= USE_RECORDED_EVERY)
}

/// How a token appears in the export log.
fn describe(email: &str, name: &str) -> String {
    format!("{email} (API token \"{name}\")")
}

/// Who `token` speaks for, or None if it is unknown, revoked or expired.
///
/// The lookup is a read: a made-up or dead token costs no write (and on
/// SQLite does not queue behind the one writer). Only a live token takes a
/// write, to record its use, and at most once per [`USE_RECORDED_EVERY`].
pub async fn authenticate(db: &Db, token: &ApiToken, now: NaiveDateTime) -> Result<Option<Actor>, DbError> {
    let hash = token.hash();
    let Some(live) = db.read(move |c| db::organisers::find_live_token(c, &hash.0, now)).await? else {
        return Ok(None);
    };
    if use_worth_recording(live.last_used_at, now) {
        let (id, unless_since) = (live.token_id, now - USE_RECORDED_EVERY);
        db.write(move |c| db::organisers::record_token_use(c, id, now, unless_since)).await?;
    }
    Ok(Some(Actor { organiser_id: Some(live.organiser_id), description: describe(&live.organiser_email, &live.name) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn a_use_is_recorded_at_most_once_a_minute() {
        let now = at("2026-12-01 12:00:00");
        assert!(use_worth_recording(None, now), "the first use is recorded");
        assert!(!use_worth_recording(Some(at("2026-12-01 11:59:01")), now));
        assert!(!use_worth_recording(Some(now), now));
        assert!(use_worth_recording(Some(at("2026-12-01 11:59:00")), now));
        assert!(use_worth_recording(Some(at("2026-11-30 12:00:00")), now));
    }
}
