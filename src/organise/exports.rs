//! One export, from the command line or over HTTP: the petition is checked
//! (signers' names are refused once erased), the export log entry is opened,
//! the export is written from one snapshot to any `Write` (a file, standard
//! output, an HTTP response's [`ChunkSender`](crate::export::ChunkSender)),
//! how it ended is classified, and the log entry is closed with the rows
//! written.

use std::io::{self, Write};
use std::panic::AssertUnwindSafe;

use chrono::NaiveDateTime;
use ed25519_dalek::SigningKey;

use crate::auth::Actor;
use crate::db::{self, Db, DbConnection, DbError, exports::Ending};
use crate::export::{self, Columns, ExportError, Format, Written};

/// What is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    /// The confirmed signatures, in `format`, with `columns`.
    Signatures { format: Format, columns: Columns },
    /// Confirmed signatures by country, with the total, as CSV.
    Totals,
    /// The signed delivery packet (a ZIP).
    Delivery,
}

impl What {
    /// Whether the export carries signers' names (refused once erased).
    pub fn needs_names(self) -> bool {
        matches!(self, Self::Signatures { .. } | Self::Delivery)
    }

    /// How the export log names it: its file, `signatures+contacts.csv`,
    /// `totals.csv`, `delivery.zip`.
    pub fn logged_as(self) -> String {
        match self {
            Self::Signatures { format, columns } => format!("{}.{}", signatures_stem(columns), format.extension()),
            Self::Totals => "totals.csv".into(),
            Self::Delivery => "delivery.zip".into(),
        }
    }
}

/// `signatures`, or `signatures+contacts` with the contact columns.
pub fn signatures_stem(columns: Columns) -> &'static str {
    if columns == Columns::WithContacts { "signatures+contacts" } else { "signatures" }
}

/// Why an export is refused before it starts.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("no such petition")]
    NotFound,
    /// The retention rules erased the signers' personal data at this time;
    /// the totals remain.
    #[error("the signers' personal data was erased on {0} UTC")]
    Erased(NaiveDateTime),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The "personal data erased" rule: exports with names are refused once
/// the retention rules have erased them.
pub fn refusal(what: What, erased_at: Option<NaiveDateTime>) -> Option<Refused> {
    erased_at.filter(|_| what.needs_names()).map(Refused::Erased)
}

/// The id of the petition called `slug`, if `what` may be exported from it.
pub async fn petition(db: &Db, slug: &str, what: What) -> Result<i64, Refused> {
    let slug = slug.to_owned();
    let row = db.read(move |c| db::petitions::find_by_slug(c, &slug)).await?.ok_or(Refused::NotFound)?;
    match refusal(what, row.erased_at) {
        Some(refused) => Err(refused),
        None => Ok(row.id),
    }
}

/// An export whose log entry is open: run it with [`Started::run_blocking`].
pub struct Started {
    db: Db,
    petition_id: i64,
    what: What,
    key: Option<SigningKey>,
    /// The export log entry.
    pub log_id: i64,
}

/// Opens the export log entry for `actor`'s export of `what` from the
/// petition (checked with [`petition`]). A delivery packet is signed with
/// `key` (without it, the export fails).
pub async fn start(
    db: &Db,
    petition_id: i64,
    actor: Actor,
    what: What,
    key: Option<SigningKey>,
) -> Result<Started, DbError> {
    let (now, logged) = (crate::now(), what.logged_as());
    let log_id = db
        .write(move |c| db::exports::start(c, petition_id, actor.organiser_id, &actor.description, &logged, now))
        .await?;
    Ok(Started { db: db.clone(), petition_id, what, key, log_id })
}

/// Why an export did not complete.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("no key to sign the delivery packet with")]
    NoKey,
    #[error("the export panicked")]
    Panicked,
}

impl Failure {
    /// The receiver went away (an HTTP client that stopped reading).
    pub fn is_disconnect(&self) -> bool {
        matches!(self, Self::Export(e) if e.is_disconnect())
    }
}

/// How a run ended, as the log records it: complete; aborted (the receiver
/// went away or stalled); or failed.
pub fn ending<T>(result: &Result<T, Failure>) -> Ending {
    match result {
        Ok(_) => Ending::Complete,
        Err(e) if e.is_disconnect() => Ending::Aborted,
        Err(_) => Ending::Failed,
    }
}

/// What a run came to.
#[derive(Debug)]
pub struct Ran {
    pub ending: Ending,
    /// Rows handed out (until the end, if it did not complete).
    pub rows: u64,
    /// Why it did not complete.
    pub failure: Option<Failure>,
    /// Whether the log entry could be closed.
    pub logged: Result<(), DbError>,
}

impl Started {
    /// Writes the export to what `open` gives (called first, so that a sink
    /// that cannot be opened is a failed export too), inside one snapshot,
    /// then closes the log entry. Blocking: call from the blocking pool.
    pub fn run_blocking<W: Write>(self, open: impl FnOnce() -> io::Result<W>) -> Ran {
        let Self { db, petition_id, what, key, log_id } = self;
        let mut written = Written::default();
        let result = match open() {
            Err(e) => Err(Failure::Export(e.into())),
            Ok(mut out) => std::panic::catch_unwind(AssertUnwindSafe(|| {
                let sha256 =
                    db.snapshot_blocking(|c| Ok(write(c, petition_id, what, key.as_ref(), &mut out, &mut written)))??;
                out.flush().map_err(ExportError::from)?;
                Ok(sha256)
            }))
            .unwrap_or(Err(Failure::Panicked)),
        };
        let (ending, rows, finished) = (ending(&result), written.rows, crate::now());
        let (sha256, failure) = match result {
            Ok(sha256) => (sha256, None),
            Err(e) => (None, Some(e)),
        };
        let logged = db.write_blocking(|c| db::exports::finish(c, log_id, ending, rows, sha256.as_deref(), finished));
        Ran { ending, rows, failure, logged }
    }
}

/// Writes the export; returns the SHA-256 of the whole output when it has
/// one (the packet).
fn write(
    c: &mut DbConnection,
    petition_id: i64,
    what: What,
    key: Option<&SigningKey>,
    out: &mut impl Write,
    written: &mut Written,
) -> Result<Option<String>, Failure> {
    match what {
        What::Signatures { format, columns } => {
            export::write_signatures(c, petition_id, format, columns, out, written)?;
            Ok(None)
        }
        What::Totals => {
            written.rows = export::write_totals(&export::totals(c, petition_id)?, out)?;
            Ok(None)
        }
        What::Delivery => {
            let key = key.ok_or(Failure::NoKey)?;
            Ok(Some(export::delivery::write_packet(c, petition_id, key, crate::now(), out, written)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: What = What::Signatures { format: Format::Csv, columns: Columns::Standard };

    #[test]
    fn names_are_refused_once_erased_totals_never() {
        let erased = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap().naive_utc();
        for what in [CSV, What::Delivery] {
            assert!(matches!(refusal(what, Some(erased)), Some(Refused::Erased(t)) if t == erased), "{what:?}");
            assert!(refusal(what, None).is_none(), "{what:?}");
        }
        assert!(refusal(What::Totals, Some(erased)).is_none());
    }

    #[test]
    fn exports_are_logged_by_their_file() {
        assert_eq!(CSV.logged_as(), "signatures.csv");
        let json = What::Signatures { format: Format::Json, columns: Columns::WithContacts };
        assert_eq!(json.logged_as(), "signatures+contacts.json");
        assert_eq!(What::Totals.logged_as(), "totals.csv");
        assert_eq!(What::Delivery.logged_as(), "delivery.zip");
    }

    #[test]
    fn a_receiver_that_went_away_aborts_anything_else_fails() {
        let gone = io::Error::new(io::ErrorKind::BrokenPipe, "gone");
        assert_eq!(ending(&Ok::<(), Failure>(())), Ending::Complete);
        assert_eq!(ending::<()>(&Err(Failure::Export(gone.into()))), Ending::Aborted);
        assert_eq!(ending::<()>(&Err(Failure::Export(io::Error::other("disk full").into()))), Ending::Failed);
        assert_eq!(ending::<()>(&Err(Failure::Panicked)), Ending::Failed);
        assert_eq!(ending::<()>(&Err(Failure::NoKey)), Ending::Failed);
    }
}
