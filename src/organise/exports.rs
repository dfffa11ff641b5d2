//! One export, from the command line or over HTTP: the petition is checked
//! (signers' names are refused once erased), the export log entry is opened,
//! the export is written from one snapshot to any `Write` (a file, standard
//! output, an HTTP response's [`ChunkSender`](crate::export::ChunkSender)),
//! how it ended is classified, and the log entry is closed with the rows
//! written.
//!
//! A delivery packet is tied to the petition's transparency log: the queue
//! is appended first, and the packet is written only from a snapshot in
//! which nothing waits to be appended and the log counts exactly the
//! confirmed signatures (`export::delivery::tie`). Confirmations that keep
//! arriving are given a few attempts, then the packet is refused rather
//! than made with a count its checkpoint does not have.

use std::io::{self, Write};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use chrono::NaiveDateTime;
use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::audit::{Kind, Recorder};
use crate::db::{self, Db, DbConnection, DbError, exports::Ending};
use crate::export::delivery::{self, Untied};
use crate::export::{self, Columns, ExportError, Format, Written};
use crate::jobs::counter::append_batch;
use crate::transparency::{self, Appender, Turn};
use crate::vault::Vault;

/// Snapshots a delivery packet is tried from, each after appending the
/// queue, before it is refused because confirmations keep arriving.
pub const TIE_ATTEMPTS: u32 = 5;

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

/// What a delivery packet needs: the key that signs it, and how it reaches
/// the log whose checkpoint it carries.
#[derive(Debug, Clone)]
pub struct PacketKeys {
    pub delivery: SigningKey,
    pub log: LogAccess,
}

/// How a packet gets the log to cover every confirmation.
#[derive(Debug, Clone)]
pub enum LogAccess {
    /// The server: it appends the queue itself, with its own key and origin.
    Append(Appender),
    /// The command line: it waits for the server's appender (it may not
    /// hold the server's log key or `PUBLIC_URL`, and must never sign or
    /// name a log), and checks the checkpoint with the log key it is given.
    WaitFor(VerifyingKey),
}

/// How long the command line waits between attempts for the server to
/// append (its `LOG_INTERVAL` is at most 5 s).
const WAIT_FOR_APPENDER: std::time::Duration = std::time::Duration::from_secs(2);

impl LogAccess {
    fn key(&self) -> VerifyingKey {
        match self {
            Self::Append(appender) => appender.signer.public_key(),
            Self::WaitFor(key) => *key,
        }
    }

    /// Before the `attempt`-th try (from 0): the server appends now; the
    /// command line gives the server's appender time, from the second try.
    fn catch_up(&self, db: &Db, attempt: u32) -> Result<(), DbError> {
        match self {
            Self::Append(appender) => append_queue(db, appender),
            Self::WaitFor(_) => {
                if attempt > 0 {
                    std::thread::sleep(WAIT_FOR_APPENDER);
                }
                Ok(())
            }
        }
    }
}

/// An export whose log entry is open: run it with [`Started::run_blocking`].
pub struct Started {
    db: Db,
    vault: Arc<Vault>,
    petition_id: i64,
    what: What,
    keys: Option<PacketKeys>,
    /// The export log entry.
    pub log_id: i64,
}

/// Opens the export log entry, and the audit trail's record, for `by`'s export of `what` from the
/// petition (checked with [`petition`]). A delivery packet needs `keys`
/// (without them, the export fails).
pub async fn start(
    db: &Db,
    vault: Arc<Vault>,
    petition_id: i64,
    by: Recorder,
    what: What,
    keys: Option<PacketKeys>,
) -> Result<Started, DbError> {
    let (now, logged) = (crate::now(), what.logged_as());
    let log_id = db
        .write(move |c| {
            let actor = by.actor();
            let log_id = db::exports::start(c, petition_id, actor.organiser_id, &actor.description, &logged, now)?;
            by.append(c, Kind::Export, Some(petition_id), &format!("{logged} (export log {log_id})"))?;
            Ok(log_id)
        })
        .await?;
    Ok(Started { db: db.clone(), vault, petition_id, what, keys, log_id })
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
    /// Every snapshot tried still had confirmations or withdrawals waiting
    /// for the log: the packet's count would not have been its checkpoint's.
    #[error(
        "no delivery packet was made: confirmations kept arriving, and after {attempts} attempts {pending} \
         confirmation(s) or withdrawal(s) still waited to be added to the transparency log, so the packet's count \
         would have differed from its checkpoint's. Try again in a moment, or once the petition is closed."
    )]
    LogBehind { attempts: u32, pending: i64 },
    #[error("the export panicked")]
    Panicked,
}

impl Failure {
    /// The receiver went away (an HTTP client that stopped reading).
    pub fn is_disconnect(&self) -> bool {
        matches!(self, Self::Export(e) if e.is_disconnect())
    }

    /// Why the packet could not be tied to the log, if that is the failure.
    pub fn untied(&self) -> Option<&Untied> {
        match self {
            Self::Export(ExportError::Untied(u)) => Some(u),
            _ => None,
        }
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
    /// Writes the export inside one snapshot to what `open` gives, then
    /// closes the log entry. `open` is called inside that snapshot once the
    /// export can go ahead (for a packet: once it is tied to the log), and
    /// not at all if it cannot: so a sink that cannot be opened is a failed
    /// export too, and an HTTP answer can wait for `open` to learn whether
    /// a download is coming. Blocking: call from the blocking pool.
    pub fn run_blocking<W: Write>(self, open: impl FnOnce() -> io::Result<W>) -> Ran {
        let Self { db, vault, petition_id, what, keys, log_id } = self;
        let mut written = Written::default();
        let mut open = Some(open);
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| match (what, keys.as_ref()) {
            (What::Signatures { format, columns }, _) => plain(&db, &mut open, &mut written, |c, out, written| {
                export::write_signatures(c, &vault, petition_id, format, columns, out, written)
            }),
            (What::Totals, _) => plain(&db, &mut open, &mut written, |c, out, written| {
                written.rows = export::write_totals(&export::totals(c, petition_id)?, out)?;
                Ok(())
            }),
            (What::Delivery, Some(keys)) => deliver(&db, &vault, petition_id, keys, &mut open, &mut written).map(Some),
            (What::Delivery, None) => Err(Failure::NoKey),
        }))
        .unwrap_or(Err(Failure::Panicked));
        let (ending, rows, finished) = (ending(&result), written.rows, crate::now());
        let (sha256, failure) = match result {
            Ok(sha256) => (sha256, None),
            Err(e) => (None, Some(e)),
        };
        let logged = db.write_blocking(|c| db::exports::finish(c, log_id, ending, rows, sha256.as_deref(), finished));
        Ran { ending, rows, failure, logged }
    }
}

/// The sink, opened once (the first call).
fn opened<W>(open: &mut Option<impl FnOnce() -> io::Result<W>>) -> Result<W, Failure> {
    let open = open.take().ok_or_else(|| Failure::Export(io::Error::other("the sink was opened twice").into()))?;
    open().map_err(|e| Failure::Export(e.into()))
}

/// Writes an export with no precondition (signatures, totals) from one
/// snapshot, the sink opened inside it.
fn plain<W: Write>(
    db: &Db,
    open: &mut Option<impl FnOnce() -> io::Result<W>>,
    written: &mut Written,
    write: impl FnOnce(&mut DbConnection, &mut W, &mut Written) -> Result<(), ExportError>,
) -> Result<Option<String>, Failure> {
    db.snapshot_blocking(|c| {
        Ok((|| {
            let mut out = opened(open)?;
            write(c, &mut out, written)?;
            out.flush().map_err(ExportError::from)?;
            Ok(None)
        })())
    })?
}

/// Appends everything the logs' queue holds, waiting for another
/// appender's turn rather than skipping it (the count task's round may be
/// under way): the rounds of the count task, run now.
fn append_queue(db: &Db, appender: &Appender) -> Result<(), DbError> {
    let batch = append_batch(db.backend());
    loop {
        let done = db.write_blocking(|c| transparency::append_with(c, appender, crate::now(), batch, Turn::Wait))?;
        if done.drained(batch) {
            return Ok(());
        }
    }
}

/// What one attempt at a packet came to.
#[derive(Debug)]
enum Attempt<T> {
    Written(T),
    /// This many rows still waited for the log in the snapshot.
    Pending(i64),
}

/// The rule of a tied packet's attempts: `append`, then `attempt` in a
/// fresh snapshot, up to `attempts` times while rows are found pending;
/// then [`Failure::LogBehind`].
fn until_tied<T>(
    attempts: u32,
    mut append: impl FnMut(u32) -> Result<(), Failure>,
    mut attempt: impl FnMut() -> Result<Attempt<T>, Failure>,
) -> Result<T, Failure> {
    let mut pending = 0;
    for n in 0..attempts {
        append(n)?;
        match attempt()? {
            Attempt::Written(done) => return Ok(done),
            Attempt::Pending(rows) => pending = rows,
        }
    }
    Err(Failure::LogBehind { attempts, pending })
}

/// Writes the delivery packet, tied to the log: appends the queue, then
/// writes the packet from a snapshot in which it is tied
/// ([`delivery::tie`]), trying [`TIE_ATTEMPTS`] times while confirmations
/// keep arriving. Returns the packet's SHA-256.
fn deliver<W: Write>(
    db: &Db,
    vault: &Vault,
    petition_id: i64,
    keys: &PacketKeys,
    open: &mut Option<impl FnOnce() -> io::Result<W>>,
    written: &mut Written,
) -> Result<String, Failure> {
    let log_key = keys.log.key();
    let result = until_tied(
        TIE_ATTEMPTS,
        |n| Ok(keys.log.catch_up(db, n)?),
        || {
            db.snapshot_blocking(|c| {
                Ok((|| {
                    let tied = match delivery::tie(c, petition_id, &log_key) {
                        Err(ExportError::Untied(Untied::Pending { rows })) => return Ok(Attempt::Pending(rows)),
                        other => other?,
                    };
                    let mut out = opened(open)?;
                    let sha256 =
                        delivery::write_packet(c, vault, &keys.delivery, &tied, crate::now(), &mut out, written)?;
                    out.flush().map_err(ExportError::from)?;
                    Ok(Attempt::Written(sha256))
                })())
            })?
        },
    );
    if let Err(Failure::LogBehind { attempts, pending }) = &result {
        tracing::warn!(petition_id, pending, attempts, "delivery packet refused: confirmations kept arriving");
    }
    result
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
    fn a_packet_is_tried_a_bounded_number_of_times_then_refused() {
        let (mut appended, mut tried) = (0, 0);
        let refused = until_tied::<()>(
            TIE_ATTEMPTS,
            |n| {
                assert_eq!(n, appended, "told which attempt comes");
                appended += 1;
                Ok(())
            },
            || {
                tried += 1;
                Ok(Attempt::Pending(7 - tried))
            },
        );
        assert!(matches!(refused, Err(Failure::LogBehind { attempts: TIE_ATTEMPTS, pending: 2 })), "{refused:?}");
        assert_eq!((appended, tried), (5, 5), "appended before each attempt");
        let message = refused.unwrap_err().to_string();
        assert!(message.contains("confirmations kept arriving") && message.contains("after 5 attempts 2"), "{message}");

        let mut tried = 0;
        let written = until_tied(
            TIE_ATTEMPTS,
            |_| Ok(()),
            || {
                tried += 1;
                Ok(if tried < 3 { Attempt::Pending(1) } else { Attempt::Written("sha") })
            },
        );
        assert_eq!(written.unwrap(), "sha");
        assert_eq!(tried, 3, "no attempt after the one that wrote");
        // Any other failure ends it at once.
        let mut tried = 0;
        let failed = until_tied::<()>(
            TIE_ATTEMPTS,
            |_| Ok(()),
            || {
                tried += 1;
                Err(Failure::NoKey)
            },
        );
        assert!(matches!(failed, Err(Failure::NoKey)));
        assert_eq!(tried, 1);
        assert!(matches!(until_tied::<()>(3, |_| Err(Failure::Panicked), || unreachable!()), Err(Failure::Panicked)));
    }

    #[test]
    fn a_receiver_that_went_away_aborts_anything_else_fails() {
        let gone = io::Error::new(io::ErrorKind::BrokenPipe, "gone");
        assert_eq!(ending(&Ok::<(), Failure>(())), Ending::Complete);
        assert_eq!(ending::<()>(&Err(Failure::Export(gone.into()))), Ending::Aborted);
        assert_eq!(ending::<()>(&Err(Failure::Export(io::Error::other("disk full").into()))), Ending::Failed);
        assert_eq!(ending::<()>(&Err(Failure::Panicked)), Ending::Failed);
        assert_eq!(ending::<()>(&Err(Failure::NoKey)), Ending::Failed);
        assert_eq!(ending::<()>(&Err(Failure::LogBehind { attempts: 5, pending: 1 })), Ending::Failed);
    }
}
