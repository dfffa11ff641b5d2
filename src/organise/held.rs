//! Reviewing signatures held back by the abuse checks.

use crate::db::{self, Db, DbError, held::Selection};

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
pub async fn review(db: &Db, petition_id: i64, review: Review, which: Selection) -> Result<Reviewed, DbError> {
    let now = crate::now();
    let count = match review {
        Review::Release => db.write(move |c| db::held::release(c, petition_id, which, now)).await?,
        Review::Discard => db.write(move |c| db::held::discard(c, petition_id, which)).await?,
    };
    Ok(Reviewed { count, mail_queued: review == Review::Release && count > 0 })
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
