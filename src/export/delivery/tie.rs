//! Tying a delivery packet to its petition's transparency log: the packet
//! is written from one snapshot in which the log holds every confirmation
//! and withdrawal (nothing waits to be appended), and the log's latest
//! checkpoint counts exactly the signatures the packet lists, in all and by
//! country. The same comparison ([`differences`]) is what `verify-delivery`
//! makes of a packet that may come from anyone.

use std::collections::BTreeMap;

use ed25519_dalek::VerifyingKey;

use crate::db::tlog::HeadRow;
use crate::db::{self, DbConnection};
use crate::export::ExportError;
use crate::tlog::{Checkpoint, CheckpointError, Totals, verifier_key};

/// Where a packet is ready to carry the log's checkpoint.
#[derive(Debug, Clone)]
pub struct Tied {
    /// The log's head in the packet's snapshot; its signed checkpoint is
    /// `head.checkpoint`.
    pub head: HeadRow,
    /// That checkpoint, opened with the log key.
    pub checkpoint: Checkpoint,
    /// The verifier key it opened with.
    pub verifier_key: String,
}

/// One way in which a log's totals and counted signatures differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The country; None for the total.
    pub country: Option<String>,
    /// What the log's checkpoint counts.
    pub log: i64,
    /// What the signatures count.
    pub counted: u64,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.country {
            Some(country) => {
                write!(f, "country {country}: the log counts {}, the signatures {}", self.log, self.counted)
            }
            None => write!(f, "in all: the log counts {}, the signatures {}", self.log, self.counted),
        }
    }
}

/// Why a packet cannot be tied to the log now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Untied {
    /// Confirmations or withdrawals committed but not yet in the log: worth
    /// trying again once they are appended.
    #[error("{rows} confirmation(s) or withdrawal(s) still wait to be added to the petition's transparency log")]
    Pending { rows: i64 },
    #[error(
        "the petition has no transparency log yet: the server creates it within seconds of the petition \
         (is it running, on this database?)"
    )]
    NoLog,
    #[error(
        "the transparency log's latest checkpoint does not open with the deployment's log key \
         (was LOG_SIGNING_KEY changed?): {0}"
    )]
    Unsigned(CheckpointError),
    #[error("the transparency log and the confirmed signatures disagree ({})", list(.0))]
    Differs(Vec<Difference>),
    #[error("the transparency log has no entry bundle {0}")]
    MissingBundle(String),
    #[error("the transparency log has {leaves} leaves, more than a delivery packet can carry ({most} bundles)")]
    TooLarge { leaves: u64, most: usize },
}

fn list(differences: &[Difference]) -> String {
    differences.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// How counted signatures (`counted`, by country) differ from a log's
/// `totals`: the total first, then each country where they differ (one
/// that only one side has counts 0 on the other). Empty when they agree.
pub fn differences(totals: &Totals, counted: &BTreeMap<String, u64>) -> Vec<Difference> {
    let equal = |log: i64, counted: u64| i64::try_from(counted).is_ok_and(|c| c == log);
    let mut out = Vec::new();
    let sum = counted.values().fold(0u64, |a, n| a.saturating_add(*n));
    if !equal(totals.total, sum) {
        out.push(Difference { country: None, log: totals.total, counted: sum });
    }
    let countries: std::collections::BTreeSet<&String> = totals.by_country.keys().chain(counted.keys()).collect();
    for country in countries {
        let log = totals.by_country.get(country).copied().unwrap_or(0);
        let n = counted.get(country).copied().unwrap_or(0);
        if !equal(log, n) {
            out.push(Difference { country: Some(country.clone()), log, counted: n });
        }
    }
    out
}

/// Ties the packet of a petition to its log, in the caller's snapshot (the
/// one the packet is then written from): nothing may wait to be appended,
/// the head's checkpoint must open with `log_key`, and its totals must be
/// those of the confirmed signatures. The caller appends first; a
/// [`Untied::Pending`] means confirmations came meanwhile.
pub fn tie(conn: &mut DbConnection, petition_id: i64, log_key: &VerifyingKey) -> Result<Tied, ExportError> {
    let rows = db::tlog::pending_count(conn, petition_id)?;
    if rows > 0 {
        return Err(Untied::Pending { rows }.into());
    }
    let head = db::tlog::head(conn, petition_id)?.ok_or(Untied::NoLog)?;
    let verifier_key = verifier_key(&head.origin, log_key);
    let checkpoint = Checkpoint::open(head.checkpoint.as_bytes(), &verifier_key).map_err(Untied::Unsigned)?;
    let differ = differences(&checkpoint.totals, &crate::export::totals(conn, petition_id)?);
    if !differ.is_empty() {
        return Err(Untied::Differs(differ).into());
    }
    Ok(Tied { head, checkpoint, verifier_key })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(c, n)| (c.to_string(), *n)).collect()
    }

    fn totals(pairs: &[(&str, i64)]) -> Totals {
        Totals::from_countries(pairs.iter().map(|(c, n)| (c.to_string(), *n)).collect())
    }

    #[test]
    fn equal_counts_have_no_differences() {
        assert_eq!(differences(&totals(&[("DE", 2), ("FR", 1)]), &counted(&[("DE", 2), ("FR", 1)])), vec![]);
        assert_eq!(differences(&Totals::default(), &counted(&[])), vec![]);
    }

    #[test]
    fn the_total_comes_first_then_each_country_that_differs() {
        let d = differences(&totals(&[("DE", 2), ("FR", 1)]), &counted(&[("DE", 1), ("FR", 1), ("IT", 1)]));
        assert_eq!(
            d,
            vec![
                Difference { country: Some("DE".into()), log: 2, counted: 1 },
                Difference { country: Some("IT".into()), log: 0, counted: 1 },
            ],
            "the totals agree (3), two countries do not"
        );
        let d = differences(&totals(&[("DE", 2)]), &counted(&[("DE", 1)]));
        assert_eq!(d[0], Difference { country: None, log: 2, counted: 1 });
        assert_eq!(d[1].to_string(), "country DE: the log counts 2, the signatures 1");
        assert_eq!(d[0].to_string(), "in all: the log counts 2, the signatures 1");
        let d = differences(&totals(&[("DE", 1)]), &counted(&[]));
        assert_eq!(d.len(), 2, "a country only the log has");
        assert_eq!(d[1], Difference { country: Some("DE".into()), log: 1, counted: 0 });
    }

    #[test]
    fn counts_beyond_the_logs_range_differ() {
        let d = differences(&totals(&[]), &counted(&[("DE", u64::MAX)]));
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].counted, u64::MAX);
    }

    #[test]
    fn an_untied_packet_says_why() {
        let e = Untied::Differs(vec![Difference { country: Some("DE".into()), log: 2, counted: 1 }]);
        assert_eq!(
            e.to_string(),
            "the transparency log and the confirmed signatures disagree (country DE: the log counts 2, the \
             signatures 1)"
        );
        assert!(Untied::Pending { rows: 3 }.to_string().starts_with("3 confirmation(s) or withdrawal(s) still wait"));
    }
}
