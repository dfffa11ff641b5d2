//! Reviewing signatures held back by the abuse checks.

use chrono::NaiveDateTime;
use diesel::result::QueryResult;

use crate::audit::{Kind, Recorder};
use crate::db::{self, Db, DbConnection, DbError, held::Selection};
use crate::domain::HoldReason;
use crate::vault::Vault;

/// A held signature as organisers see it.
#[derive(Debug, Clone)]
pub struct HeldRow {
    pub id: i64,
    pub name: Option<String>,
    pub email: Option<String>,
    pub country: String,
    pub reason: Option<HoldReason>,
    pub created_at: NaiveDateTime,
}

/// The oldest `limit` held signatures of a petition, their names and
/// addresses opened (a row that does not open fails the list, naming it).
pub fn list(conn: &mut DbConnection, vault: &Vault, petition_id: i64, limit: i64) -> QueryResult<Vec<HeldRow>> {
    let stored = db::held::list(conn, petition_id, limit)?;
    let mut rows = Vec::with_capacity(stored.len());
    for row in stored {
        let personal = match &row.personal {
            Some(p) => Some(vault.open(conn, row.petition_id, row.id, &row.email_key, p)?),
            None => None,
        };
        let (name, email) = personal.map(|p| (p.name, p.email)).unzip();
        rows.push(HeldRow {
            id: row.id,
            name,
            email,
            country: row.country,
            reason: row.reason,
            created_at: row.created_at,
        });
    }
    Ok(rows)
}

/// What an organiser does with held signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    /// Let them through: each is mailed its confirmation link, as if just signed.
    Release,
    /// Delete them.
    Discard,
}

impl Review {
    /// `release` or `discard`, as forms send them.
    pub fn parse(action: &str) -> Option<Self> {
        match action {
            "release" => Some(Self::Release),
            "discard" => Some(Self::Discard),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Release => "release",
            Self::Discard => "discard",
        }
    }
}

/// What a review did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reviewed {
    /// How many held signatures it applied to.
    pub count: usize,
    /// Confirmation mails were queued: wake the mail worker.
    pub mail_queued: bool,
}

/// Releases or discards the selected held signatures of a petition.
pub async fn review(
    db: &Db,
    petition_id: i64,
    review: Review,
    which: Selection,
    by: Recorder,
) -> Result<Reviewed, DbError> {
    let now = crate::now();
    let count = db
        .write(move |c| {
            let count = match review {
                Review::Release => db::held::release(c, petition_id, which, now)?,
                Review::Discard => db::held::discard(c, petition_id, which)?,
            };
            let detail = format!("{} {count} held signature(s): {}", review.as_str(), describe(which));
            by.append(c, Kind::HeldReviewed, Some(petition_id), &detail)?;
            Ok(count)
        })
        .await?;
    Ok(Reviewed { count, mail_queued: review == Review::Release && count > 0 })
}

/// A selection of held signatures, in words, for the audit trail.
fn describe(which: Selection) -> String {
    match which {
        Selection::One(id) => format!("signature {id}"),
        Selection::Reason(reason) => format!("all held as {}", reason.as_str()),
        Selection::All => "all held".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reviews_are_release_or_discard() {
        for r in [Review::Release, Review::Discard] {
            assert_eq!(Review::parse(r.as_str()), Some(r));
        }
        for other in ["", "Release", "delete", "all"] {
            assert_eq!(Review::parse(other), None, "{other}");
        }
    }
}
