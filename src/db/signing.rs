//! The writes of signing: a batch of new signatures with their mails and
//! tallies (group commit), and the statements a repeat submission is given
//! by `signing::policy`. Each function runs inside the caller's transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::NewSignatureRow;
use super::models::columns;
use super::schema::signatures as s;
use super::{DbConnection, counts, is_unique_violation, outbox};
use crate::domain::{
    HoldReason, Language, MailKind, RepeatPlan, RepeatWrite, SignItem, SignOutcome, SignatureStatus, StoredPersonal,
    StoredSignature, Tally, TallyItem,
};

/// What a batch's insert did with one submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// The petition closed before the signature could be stored.
    PetitionClosed,
    /// Its row went in (with its mail, if it is mailed at once).
    Inserted,
    /// The address had signed already (or was earlier in this batch).
    AlreadyThere,
}

/// Signs a batch in the caller's transaction (group commit): one multi-row
/// INSERT … ON CONFLICT DO NOTHING for the signatures, one for their mails,
/// one for the tallies of submissions that stored nothing. Returns what
/// became of each item, in order.
pub fn sign_batch(
    conn: &mut DbConnection,
    items: &[SignItem],
    tallies: &[TallyItem],
    now: NaiveDateTime,
) -> QueryResult<Vec<Stored>> {
    counts::record_tallies(conn, tallies)?;
    if items.is_empty() {
        return Ok(Vec::new());
    }
    // The petition's state as of this transaction decides, not the public
    // snapshot (which may be a second old): closing takes effect at once.
    let mut petition_ids: Vec<i64> = items.iter().map(|i| i.petition_id).collect();
    petition_ids.sort_unstable();
    petition_ids.dedup();
    let open: std::collections::HashSet<i64> =
        super::petitions::open_among(conn, &petition_ids, now)?.into_iter().collect();
    let (indexes, open_items): (Vec<usize>, Vec<&SignItem>) =
        items.iter().enumerate().filter(|(_, item)| open.contains(&item.petition_id)).unzip();
    let mut stored = vec![Stored::PetitionClosed; items.len()];
    for (index, one) in indexes.into_iter().zip(sign_open(conn, &open_items, now)?) {
        stored[index] = one;
    }
    Ok(stored)
}

fn sign_open(conn: &mut DbConnection, items: &[&SignItem], now: NaiveDateTime) -> QueryResult<Vec<Stored>> {
    let rows: Vec<NewSignatureRow<'_>> = items.iter().map(|item| NewSignatureRow::pending(item, now)).collect();
    let mut inserted: std::collections::HashMap<(i64, Vec<u8>), i64> = std::collections::HashMap::new();
    let returned: Vec<(i64, i64, Option<Vec<u8>>)> = match conn {
        // One constant statement for the whole batch, signatures and their
        // mails together: arrays instead of a VALUES list, so the server
        // parses and plans it once and reuses the plan.
        #[cfg(feature = "postgres")]
        DbConnection::Postgres(c) => {
            pg::insert_batch(c, &rows, now)?.into_iter().map(|r| (r.id, r.petition_id, Some(r.email_key))).collect()
        }
        // In-process: a statement per row costs little; the commit is what counts.
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(c) => {
            let mut returned = Vec::with_capacity(rows.len());
            for row in &rows {
                let one = diesel::insert_into(s::table)
                    .values(row)
                    .on_conflict_do_nothing()
                    .returning((s::id, s::petition_id, s::email_key))
                    .get_result(c);
                returned.extend(one.optional()?);
            }
            returned
        }
    };
    inserted.extend(returned.into_iter().filter_map(|(id, petition, key)| Some(((petition, key?), id))));
    let mut stored = Vec::with_capacity(items.len());
    let mut mailed = Vec::new();
    // On PostgreSQL the batch statement queued the new signatures' mails itself.
    #[cfg(feature = "postgres")]
    let mails_queued = matches!(conn, DbConnection::Postgres(_));
    #[cfg(not(feature = "postgres"))]
    let mails_queued = false;
    for item in items {
        // The first item with a key that was inserted is the one that inserted it.
        match inserted.remove(&(item.petition_id, item.email_key.to_vec())) {
            Some(id) => {
                if item.mailed {
                    mailed.push(id);
                }
                stored.push(Stored::Inserted);
            }
            None => stored.push(Stored::AlreadyThere),
        }
    }
    if !mails_queued {
        outbox::enqueue_many(conn, &mailed, MailKind::Confirm, now)?;
    }
    Ok(stored)
}

/// Inserts one pending signature (and its mail, if it is mailed at once)
/// inside a savepoint, so that a duplicate leaves the outer transaction
/// usable. The inner `Err` is the unique violation of an address that has
/// signed already.
pub fn insert_one(
    conn: &mut DbConnection,
    item: &SignItem,
    now: NaiveDateTime,
) -> QueryResult<Result<i64, diesel::result::Error>> {
    let row = NewSignatureRow::pending(item, now);
    match conn.transaction(|c| diesel::insert_into(s::table).values(&row).returning(s::id).get_result(c)) {
        Ok(id) => {
            if item.mailed {
                outbox::enqueue(conn, id, MailKind::Confirm, now)?;
            }
            Ok(Ok(id))
        }
        Err(e) if is_unique_violation(&e) => Ok(Err(e)),
        Err(e) => Err(e),
    }
}

/// The columns a repeat is decided on, as [`existing`] reads them.
type ExistingRow = (
    i64,
    String,
    Option<NaiveDateTime>,
    Option<String>,
    Option<Vec<u8>>,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    bool,
    String,
);

/// Addresses one lookup of [`existing_many`] asks for at most.
const LOOKUP_CHUNK: usize = 500;

macro_rules! existing_columns {
    () => {
        (
            s::id,
            s::status,
            s::last_mail_at,
            s::held_reason,
            s::personal,
            s::email,
            s::name,
            s::country,
            s::postcode,
            s::keep_informed,
            s::lang,
        )
    };
}

fn stored_signature(row: ExistingRow) -> StoredSignature {
    let (id, status, last_mail_at, held, personal, email, name, country, postcode, keep_informed, lang) = row;
    StoredSignature {
        id,
        status: SignatureStatus::from_db(&status),
        last_mail_at,
        // A reason this version does not know is one only an organiser lifts.
        held: held.map(|r| HoldReason::from_db(&r).unwrap_or(HoldReason::FormStamp)),
        personal: StoredPersonal::from_columns(personal, email, name, postcode),
        country,
        language: Language::from_db(&lang),
        keep_informed,
    }
}

/// The signature an address gave a petition, if there is one.
pub fn existing(conn: &mut DbConnection, petition_id: i64, email_key: &[u8]) -> QueryResult<Option<StoredSignature>> {
    let row: Option<ExistingRow> = s::table
        .filter(s::petition_id.eq(petition_id))
        .filter(s::email_key.eq(email_key))
        .select(existing_columns!())
        .first(conn)
        .optional()?;
    Ok(row.map(stored_signature))
}

/// The signatures the addresses `wanted` (petition, email key) gave, keyed
/// likewise: one query per petition and [`LOOKUP_CHUNK`] addresses. An
/// address that has not signed is absent.
///
/// On PostgreSQL the rows are locked (`FOR UPDATE`, in id order) until the
/// caller's transaction ends, so that nothing read changes before the
/// caller writes and follow-ups running at once take their row locks in
/// one order (no deadlock between them); SQLite's writing transaction
/// holds the whole database already. The rest of the transaction plans its
/// statements for the tables as they are now ([`super::plan_for_now`]).
pub fn existing_many(
    conn: &mut DbConnection,
    wanted: &[(i64, &[u8])],
) -> QueryResult<HashMap<(i64, Vec<u8>), StoredSignature>> {
    let mut by_petition: BTreeMap<i64, Vec<&[u8]>> = BTreeMap::new();
    for (petition_id, key) in wanted {
        by_petition.entry(*petition_id).or_default().push(key);
    }
    super::plan_for_now(conn)?;
    let mut found = HashMap::with_capacity(wanted.len());
    for (petition_id, keys) in by_petition {
        for chunk in keys.chunks(LOOKUP_CHUNK) {
            let query = s::table
                .filter(s::petition_id.eq(petition_id))
                .filter(s::email_key.eq_any(chunk))
                .order(s::id)
                .select((s::email_key, existing_columns!()));
            let rows: Vec<(Option<Vec<u8>>, ExistingRow)> = match &mut *conn {
                #[cfg(feature = "postgres")]
                DbConnection::Postgres(c) => query.for_update().load(c)?,
                #[cfg(feature = "sqlite")]
                DbConnection::Sqlite(c) => query.load(c)?,
            };
            found.extend(rows.into_iter().filter_map(|(key, row)| Some(((petition_id, key?), stored_signature(row)))));
        }
    }
    Ok(found)
}

/// Deletes a pending signature whose links have all expired, and its mail.
pub fn remove_stale(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    let pending = s::table.find(id).filter(s::status.eq(SignatureStatus::Pending.as_str()));
    if diesel::delete(pending).execute(conn)? == 1 {
        outbox::delete_for_signature(conn, id)?;
    }
    Ok(())
}

/// A repeat submission with what the policy decided for the signature
/// (`id`) it found.
pub struct RepeatAct<'a> {
    pub item: &'a SignItem,
    pub id: i64,
    pub plan: RepeatPlan,
}

/// Carries out what the policy decided for repeat submissions, each of a
/// different signature: their writes and tallies at once, then each mail
/// the signature's budget allows. A batch of repeats costs a few
/// statements (the mail claims, one per resend interval; one per language,
/// per tally and per kind of mail), not a few per repeat, except for
/// writes of new details, which are rare (held signatures, and new details
/// with the mail that carries their link).
/// Returns what each repeat came to, in order.
pub fn carry_out(conn: &mut DbConnection, acts: &[RepeatAct<'_>], now: NaiveDateTime) -> QueryResult<Vec<SignOutcome>> {
    let mut languages: BTreeMap<&'static str, Vec<i64>> = BTreeMap::new();
    let mut tallies: BTreeMap<(i64, Tally, &'static str), i32> = BTreeMap::new();
    let mut claims: BTreeMap<(NaiveDateTime, i32), Vec<i64>> = BTreeMap::new();
    for RepeatAct { item, id, plan } in acts {
        match plan.write {
            RepeatWrite::Nothing => {}
            RepeatWrite::Details => write_details(conn, item, *id, false)?,
            RepeatWrite::DetailsReleased => write_details(conn, item, *id, true)?,
            RepeatWrite::Language => languages.entry(item.signature.language.code()).or_default().push(*id),
        }
        *tallies.entry((item.petition_id, plan.tally, item.signature.country.code())).or_default() += 1;
        if let Some(mail) = plan.mail {
            claims.entry((mail.due, mail.cap)).or_default().push(*id);
        }
    }
    for (lang, ids) in languages {
        for chunk in ids.chunks(LOOKUP_CHUNK) {
            diesel::update(s::table.filter(s::id.eq_any(chunk))).set(s::lang.eq(lang)).execute(conn)?;
        }
    }
    for ((petition_id, tally, country), n) in tallies {
        counts::add_tally(conn, petition_id, tally, country, n)?;
    }
    let mut claimed: HashSet<i64> = HashSet::new();
    for ((due, cap), ids) in claims {
        for chunk in ids.chunks(LOOKUP_CHUNK) {
            claimed.extend(claim_mails(conn, chunk, now, due, cap)?);
        }
    }
    let mut outcomes = Vec::with_capacity(acts.len());
    let mut mails: Vec<(MailKind, Vec<i64>)> = Vec::new();
    for RepeatAct { item, id, plan } in acts {
        let Some(mail) = plan.mail else {
            outcomes.push(plan.outcome);
            continue;
        };
        // Each claim is one mail: a second act on the same signature (which
        // a round never has) finds it taken.
        if !claimed.remove(id) {
            outcomes.push(SignOutcome::MailLimited);
            continue;
        }
        if mail.with_details {
            write_details(conn, item, *id, false)?;
        }
        match mails.iter_mut().find(|(kind, _)| *kind == mail.kind) {
            Some((_, ids)) => ids.push(*id),
            None => mails.push((mail.kind, vec![*id])),
        }
        outcomes.push(plan.outcome);
    }
    for (kind, ids) in mails {
        outbox::enqueue_many(conn, &ids, kind, now)?;
    }
    Ok(outcomes)
}

/// Writes a repeat's details (and address) to its signature while it is
/// pending, lifting its hold if `release`.
fn write_details(conn: &mut DbConnection, item: &SignItem, id: i64, release: bool) -> QueryResult<()> {
    let new = &item.signature;
    let pending = s::table.find(id).filter(s::status.eq(SignatureStatus::Pending.as_str()));
    let (personal, email, name, postcode) = columns(&item.personal);
    let details = (
        s::personal.eq(personal),
        s::email.eq(email),
        s::name.eq(name),
        s::country.eq(new.country.code()),
        s::postcode.eq(postcode),
        s::keep_informed.eq(new.keep_informed),
        s::lang.eq(new.language.code()),
    );
    if release {
        diesel::update(pending).set((details, s::held_reason.eq(None::<String>))).execute(conn)?;
    } else {
        diesel::update(pending).set(details).execute(conn)?;
    }
    Ok(())
}

/// Takes one mail from the budget of each signature `ids` that had fewer
/// than `cap` queued and whose last mail went at or before `due`;
/// conditional, so that two concurrent repeats cannot both pass the limits.
/// Returns the signatures it took one from.
fn claim_mails(
    conn: &mut DbConnection,
    ids: &[i64],
    now: NaiveDateTime,
    due: NaiveDateTime,
    cap: i32,
) -> QueryResult<Vec<i64>> {
    let due_now = s::table
        .filter(s::id.eq_any(ids))
        .filter(s::mails_queued.lt(cap))
        .filter(s::last_mail_at.is_null().or(s::last_mail_at.le(due)));
    crate::on_each_backend!(&mut *conn, |c| diesel::update(due_now)
        .set((s::mails_queued.eq(s::mails_queued + 1), s::last_mail_at.eq(now)))
        .returning(s::id)
        .get_results(c))
}

/// The PostgreSQL batch statement, its columns those of the row builders.
#[cfg(feature = "postgres")]
mod pg {
    use std::sync::LazyLock;

    use chrono::NaiveDateTime;
    use diesel::prelude::*;

    use super::super::models::{NewOutboxRow, NewSignatureRow, OUTBOX_COLUMNS, SIGNATURE_COLUMNS};
    use crate::domain::MailKind;

    #[derive(QueryableByName)]
    pub(super) struct InsertedRow {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        pub id: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        pub petition_id: i64,
        #[diesel(sql_type = diesel::sql_types::Binary)]
        pub email_key: Vec<u8>,
    }

    /// Inserts the batch's signatures from one array per column, and a
    /// confirmation mail for each one that is mailed at once: the outbox
    /// row's values are bound after the signatures', except its signature.
    static SQL: LazyLock<String> = LazyLock::new(|| {
        let n = SIGNATURE_COLUMNS.len();
        let arrays: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
        let mut next = n;
        let mail_values: Vec<String> = OUTBOX_COLUMNS
            .iter()
            .map(|column| {
                if *column == "signature_id" {
                    "id".to_owned()
                } else {
                    next += 1;
                    format!("${next}")
                }
            })
            .collect();
        format!(
            "WITH new AS ( \
               INSERT INTO signatures ({}) SELECT * FROM unnest({}) \
               ON CONFLICT DO NOTHING \
               RETURNING id, petition_id, email_key, mails_queued), \
             mail AS ( \
               INSERT INTO outbox ({}) SELECT {} FROM new WHERE mails_queued > 0) \
             SELECT id, petition_id, email_key FROM new",
            SIGNATURE_COLUMNS.join(", "),
            arrays.join(", "),
            OUTBOX_COLUMNS.join(", "),
            mail_values.join(", "),
        )
    });

    /// One array per column of [`NewSignatureRow`], in [`SIGNATURE_COLUMNS`]'s order.
    #[derive(Default)]
    struct Columns<'a> {
        petition_id: Vec<i64>,
        email_key: Vec<&'a [u8]>,
        personal: Vec<Option<&'a [u8]>>,
        email: Vec<Option<&'a str>>,
        name: Vec<Option<&'a str>>,
        country: Vec<&'a str>,
        postcode: Vec<Option<&'a str>>,
        keep_informed: Vec<bool>,
        status: Vec<&'a str>,
        created_at: Vec<NaiveDateTime>,
        mails_queued: Vec<i32>,
        last_mail_at: Vec<Option<NaiveDateTime>>,
        held_reason: Vec<Option<&'a str>>,
        lang: Vec<&'a str>,
    }

    pub(super) fn insert_batch(
        c: &mut diesel::PgConnection,
        rows: &[NewSignatureRow<'_>],
        now: NaiveDateTime,
    ) -> QueryResult<Vec<InsertedRow>> {
        use diesel::sql_types::{Array, BigInt, Binary, Bool, Integer, Nullable, Text, Timestamp};
        let mut cols = Columns::default();
        for row in rows {
            // Every field, by name: a new column cannot be left out here.
            let NewSignatureRow {
                petition_id,
                email_key,
                personal,
                email,
                name,
                country,
                postcode,
                keep_informed,
                status,
                created_at,
                mails_queued,
                last_mail_at,
                held_reason,
                lang,
            } = row.clone();
            cols.petition_id.push(petition_id);
            cols.email_key.push(email_key);
            cols.personal.push(personal);
            cols.email.push(email);
            cols.name.push(name);
            cols.country.push(country);
            cols.postcode.push(postcode);
            cols.keep_informed.push(keep_informed);
            cols.status.push(status);
            cols.created_at.push(created_at);
            cols.mails_queued.push(mails_queued);
            cols.last_mail_at.push(last_mail_at);
            cols.held_reason.push(held_reason);
            cols.lang.push(lang);
        }
        let NewOutboxRow { kind, signature_id: _, attempts, next_attempt_at, created_at } =
            NewOutboxRow::due_now(0, MailKind::Confirm, now);
        diesel::sql_query(SQL.as_str())
            .bind::<Array<BigInt>, _>(cols.petition_id)
            .bind::<Array<Binary>, _>(cols.email_key)
            .bind::<Array<Nullable<Binary>>, _>(cols.personal)
            .bind::<Array<Nullable<Text>>, _>(cols.email)
            .bind::<Array<Nullable<Text>>, _>(cols.name)
            .bind::<Array<Text>, _>(cols.country)
            .bind::<Array<Nullable<Text>>, _>(cols.postcode)
            .bind::<Array<Bool>, _>(cols.keep_informed)
            .bind::<Array<Text>, _>(cols.status)
            .bind::<Array<Timestamp>, _>(cols.created_at)
            .bind::<Array<Integer>, _>(cols.mails_queued)
            .bind::<Array<Nullable<Timestamp>>, _>(cols.last_mail_at)
            .bind::<Array<Nullable<Text>>, _>(cols.held_reason)
            .bind::<Array<Text>, _>(cols.lang)
            .bind::<Text, _>(kind)
            .bind::<Integer, _>(attempts)
            .bind::<Timestamp, _>(next_attempt_at)
            .bind::<Timestamp, _>(created_at)
            .load(c)
    }
}
