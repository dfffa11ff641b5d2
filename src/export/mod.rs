//! Exports: every confirmed signature of a petition, written in one
//! consistent snapshot, batch by batch, to any `Write` (an HTTP response
//! through a bounded channel, a file, a ZIP entry), so memory stays flat
//! however many rows there are.

pub mod delivery;
mod stream;

use std::collections::BTreeMap;
use std::io::{self, Write};

use chrono::NaiveDateTime;
use serde::Serialize;

pub use stream::{ChunkSender, channel};

use crate::db::{self, DbConnection};
use crate::domain::{Country, StoredPersonal};
use crate::vault::{PetitionKeys, Vault, VaultError};

/// One confirmed signature as exports write it, its details opened.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub id: i64,
    pub name: Option<String>,
    pub country: String,
    pub postcode: Option<String>,
    pub confirmed_at: Option<NaiveDateTime>,
    /// Only in exports with contacts.
    pub email: Option<String>,
    pub keep_informed: bool,
}

/// Opens a row with the petition's keys (`None`: it has none, so only a
/// row stored in the clear opens). The address is kept only `with_emails`.
/// A row that does not open fails the export, naming it.
fn open_row(
    keys: Option<&PetitionKeys>,
    petition_id: i64,
    row: db::exports::StoredExportRow,
    with_emails: bool,
) -> Result<ExportRow, ExportError> {
    let personal = match (&row.personal, keys) {
        (None, _) => None,
        (Some(stored), Some(keys)) => Some(Vault::open_with(keys, row.id, &row.email_key, stored)),
        (Some(StoredPersonal::Clear(p)), None) => Some(Ok(p.clone())),
        (Some(StoredPersonal::Sealed(_)), None) => Some(Err(VaultError::NoKeys { signature_id: row.id, petition_id })),
    }
    .transpose()
    .map_err(|e| ExportError::Db(e.into_query()))?;
    let (name, email, postcode) = match personal {
        Some(p) => (Some(p.name), with_emails.then_some(p.email), p.postcode),
        None => (None, None, None),
    };
    Ok(ExportRow {
        id: row.id,
        name,
        country: row.country,
        postcode,
        confirmed_at: row.confirmed_at,
        email,
        keep_informed: row.keep_informed,
    })
}

/// Rows read from the database per batch. Small enough that the two
/// threads' batches stay a few megabytes (with 10,000 the server's peak
/// grew to 61–75 MiB over three exports of a million rows, as each thread's
/// malloc arena kept its own), large enough that a query per batch costs
/// nothing measurable (docs/performance.md, 2026-12-03).
const BATCH: i64 = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Ndjson,
}

impl Format {
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext {
            "csv" => Some(Self::Csv),
            "json" => Some(Self::Json),
            "ndjson" => Some(Self::Ndjson),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Ndjson => "ndjson",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Json => "application/json",
            Self::Ndjson => "application/x-ndjson",
        }
    }
}

/// Which columns an export carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Columns {
    /// name, country, postcode, confirmed_at.
    Standard,
    /// The standard columns plus email and keep_informed; the email is filled
    /// only for people who ticked "keep me informed".
    WithContacts,
    /// name and country: what is delivered.
    Delivery,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("ZIP: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// A delivery packet could not be tied to the transparency log.
    #[error(transparent)]
    Untied(#[from] delivery::Untied),
}

impl ExportError {
    /// The receiver went away (an HTTP client that stopped reading).
    pub fn is_disconnect(&self) -> bool {
        match self {
            Self::Io(e) => e.kind() == io::ErrorKind::BrokenPipe,
            Self::Zip(zip::result::ZipError::Io(e)) => e.kind() == io::ErrorKind::BrokenPipe,
            _ => false,
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    pub rows: u64,
    pub by_country: BTreeMap<String, u64>,
}

/// A cell that a spreadsheet would read as a formula starts with one of
/// these; such cells get a leading apostrophe (OWASP "CSV injection").
const FORMULA_STARTS: [char; 8] = ['=', '+', '-', '@', '\t', '\r', '\n', '\0'];

pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) { format!("'{cell}").into() } else { cell.into() }
}

fn timestamp(t: Option<NaiveDateTime>) -> String {
    t.map(|t| t.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default()
}

/// A moment as RFC 3339 in UTC to the second (`2026-11-30T08:23:51Z`), as
/// [`timestamp`] writes it (empty for none), kept on the stack: an export
/// writes one per row.
#[derive(Clone, Copy)]
struct Stamp {
    text: [u8; 32],
    len: usize,
}

impl Stamp {
    fn new(t: Option<NaiveDateTime>) -> Self {
        use chrono::{Datelike, Timelike};
        let mut text = [0; 32];
        let Some(t) = t else {
            return Self { text, len: 0 };
        };
        let year = t.year();
        if !(0..=9999).contains(&year) {
            // Outside four-digit years chrono's own form (a sign, more digits).
            let long = timestamp(Some(t));
            let len = long.len().min(text.len());
            text[..len].copy_from_slice(&long.as_bytes()[..len]);
            return Self { text, len };
        }
        let mut at = 0;
        let mut put = |n: u32, digits: u32, after: u8| {
            for d in (0..digits).rev() {
                text[at] = b'0' + (n / 10u32.pow(d) % 10) as u8;
                at += 1;
            }
            text[at] = after;
            at += 1;
        };
        put(year.unsigned_abs(), 4, b'-');
        put(t.month(), 2, b'-');
        put(t.day(), 2, b'T');
        put(t.hour(), 2, b':');
        put(t.minute(), 2, b':');
        // A leap second (nanosecond ≥ 1e9) is written as :60, like chrono.
        put(t.second() + t.nanosecond() / 1_000_000_000, 2, b'Z');
        Self { text, len: 20 }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.text[..self.len]).unwrap_or_default()
    }
}

impl Serialize for Stamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Serialize)]
struct Record<'a> {
    name: &'a str,
    country: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    postcode: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confirmed_at: Option<Stamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keep_informed: Option<bool>,
}

impl<'a> Record<'a> {
    fn new(row: &'a ExportRow, columns: Columns) -> Self {
        let contacts = columns == Columns::WithContacts;
        let standard = columns != Columns::Delivery;
        Self {
            name: row.name.as_deref().unwrap_or_default(),
            country: &row.country,
            postcode: standard.then_some(row.postcode.as_deref()),
            confirmed_at: standard.then(|| Stamp::new(row.confirmed_at)),
            email: contacts.then(|| row.email.as_deref().filter(|_| row.keep_informed)),
            keep_informed: contacts.then_some(row.keep_informed),
        }
    }

    fn csv_header(columns: Columns) -> &'static [&'static str] {
        match columns {
            Columns::Standard => &["name", "country", "postcode", "confirmed_at"],
            Columns::WithContacts => &["name", "country", "postcode", "confirmed_at", "email", "keep_informed"],
            Columns::Delivery => &["name", "country"],
        }
    }

    /// Writes the record as one CSV row, without a string per cell: an
    /// export of a million rows would otherwise allocate millions.
    fn write_csv<W: Write>(&self, csv: &mut csv::Writer<W>) -> csv::Result<()> {
        csv.write_field(neutralise(self.name).as_bytes())?;
        csv.write_field(self.country)?;
        if let Some(postcode) = self.postcode {
            csv.write_field(neutralise(postcode.unwrap_or_default()).as_bytes())?;
        }
        if let Some(t) = &self.confirmed_at {
            csv.write_field(t.as_str())?;
        }
        if let Some(email) = self.email {
            csv.write_field(neutralise(email.unwrap_or_default()).as_bytes())?;
        }
        if let Some(k) = self.keep_informed {
            csv.write_field(if k { "yes" } else { "no" })?;
        }
        csv.write_record(None::<&[u8]>)
    }
}

/// Writes every confirmed signature of a petition. Call inside one snapshot
/// (`Db::snapshot_blocking`) so that the rows are those of one moment.
/// `written` counts the rows handed to `out`, also when writing fails part way.
pub fn write_signatures<W: Write>(
    conn: &mut DbConnection,
    vault: &Vault,
    petition_id: i64,
    format: Format,
    columns: Columns,
    out: W,
    written: &mut Written,
) -> Result<(), ExportError> {
    match format {
        Format::Csv => {
            let mut csv = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out);
            csv.write_record(Record::csv_header(columns)).map_err(csv_error)?;
            each_row(conn, vault, petition_id, columns, written, |row| {
                Record::new(row, columns).write_csv(&mut csv).map_err(csv_error)
            })?;
            csv.flush()?;
        }
        Format::Json | Format::Ndjson => {
            let mut out = out;
            let json = format == Format::Json;
            if json {
                out.write_all(b"[")?;
            }
            let mut first = true;
            each_row(conn, vault, petition_id, columns, written, |row| {
                if json && !first {
                    out.write_all(b",")?;
                }
                first = false;
                if json {
                    out.write_all(b"\n")?;
                }
                // Serialised first, so that a failed write keeps its io::ErrorKind.
                out.write_all(&serde_json::to_vec(&Record::new(row, columns)).map_err(io::Error::other)?)?;
                if !json {
                    out.write_all(b"\n")?;
                }
                Ok(())
            })?;
            if json {
                out.write_all(b"\n]\n")?;
            }
            out.flush()?;
        }
    }
    Ok(())
}

fn csv_error(e: csv::Error) -> ExportError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => ExportError::Io(io),
        other => ExportError::Io(io::Error::other(format!("{other:?}"))),
    }
}

/// Hands every confirmed signature of the petition to `f`, in id order.
/// The next batch is read on a second thread while this one is opened and
/// written, so that the database and the decryption and writing work at
/// the same time, on both cores, instead of in turn.
fn each_row(
    conn: &mut DbConnection,
    vault: &Vault,
    petition_id: i64,
    columns: Columns,
    written: &mut Written,
    mut f: impl FnMut(&ExportRow) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let with_emails = columns == Columns::WithContacts;
    let keys = vault.existing_keys(conn, petition_id)?;
    std::thread::scope(|scope| {
        // A rendezvous: the reader holds the next batch until the writer
        // takes it, so memory stays two batches (this one and the next).
        let (batches, received) = std::sync::mpsc::sync_channel(0);
        let reader = move || {
            let mut after = 0;
            loop {
                let batch = db::exports::confirmed_after(conn, petition_id, after, BATCH).map_err(ExportError::from);
                let done = match &batch {
                    Ok(rows) => match rows.last() {
                        Some(last) => {
                            after = last.id;
                            false
                        }
                        None => true,
                    },
                    Err(_) => true,
                };
                // A send fails when the writer has stopped (its output failed).
                if batches.send(batch).is_err() || done {
                    return;
                }
            }
        };
        std::thread::Builder::new().name("export-reader".into()).spawn_scoped(scope, reader)?;
        for batch in received {
            for stored in batch? {
                // Opened here, one row at a time, while the reader reads
                // the next batch: nothing opened is kept past its row.
                let row = open_row(keys.as_deref(), petition_id, stored, with_emails)?;
                f(&row)?;
                written.rows += 1;
                match written.by_country.get_mut(&row.country) {
                    Some(n) => *n += 1,
                    None => {
                        written.by_country.insert(row.country.clone(), 1);
                    }
                }
            }
        }
        Ok(())
    })
}

/// Writes confirmed signatures per country with the total, as CSV.
pub fn write_totals<W: Write>(by_country: &BTreeMap<String, u64>, out: W) -> Result<u64, ExportError> {
    let mut csv = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out);
    csv.write_record(["country", "country_name", "signatures"]).map_err(csv_error)?;
    for (code, n) in by_country {
        let name = Country::parse(code).map(|c| c.name()).unwrap_or_default();
        csv.write_record([code.as_str(), name, &n.to_string()]).map_err(csv_error)?;
    }
    let total: u64 = by_country.values().sum();
    csv.write_record(["TOTAL", "", &total.to_string()]).map_err(csv_error)?;
    csv.flush()?;
    Ok(by_country.len() as u64 + 1)
}

/// Confirmed signatures per country, counted from the signatures themselves.
pub fn totals(conn: &mut DbConnection, petition_id: i64) -> Result<BTreeMap<String, u64>, ExportError> {
    Ok(db::exports::confirmed_by_country(conn, petition_id)?
        .into_iter()
        .map(|(country, n)| (country, u64::try_from(n).unwrap_or(0)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\nx", "\0x"] {
            assert!(neutralise(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(neutralise("Ada"), "Ada");
        assert_eq!(neutralise(""), "");
    }

    #[test]
    fn stamps_are_rfc3339_to_the_second() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 3, 9).unwrap().and_hms_opt(7, 5, 1).unwrap();
        assert_eq!(Stamp::new(Some(t)).as_str(), "2026-03-09T07:05:01Z");
        assert_eq!(serde_json::to_string(&Stamp::new(Some(t))).unwrap(), "\"2026-03-09T07:05:01Z\"");
        assert_eq!(Stamp::new(None).as_str(), timestamp(None));
    }

    proptest! {
        /// The stack-kept stamp writes exactly what chrono writes, leap
        /// seconds and years beyond four digits included.
        #[test]
        fn stamps_match_chrono(
            days in -4_000_000i32..4_000_000,
            secs in 0u32..86_400,
            nanos in 0u32..2_000_000_000,
        ) {
            let date = chrono::NaiveDate::from_num_days_from_ce_opt(days);
            let time = chrono::NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos)
                .or_else(|| chrono::NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos % 1_000_000_000));
            if let (Some(date), Some(time)) = (date, time) {
                let t = date.and_time(time);
                let stamp = Stamp::new(Some(t));
                prop_assert_eq!(stamp.as_str(), timestamp(Some(t)));
            }
        }

        #[test]
        fn no_neutralised_cell_starts_a_formula(s in "\\PC{0,20}") {
            prop_assert!(!neutralise(&s).starts_with(FORMULA_STARTS));
        }
    }
}
