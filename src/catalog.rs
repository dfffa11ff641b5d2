//! The public read model: every petition and its confirmed counts, held in
//! memory and replaced as a whole every `COUNT_REFRESH` (1 s by default).
//!
//! Public pages and the count API read only this snapshot, so a crowd
//! refreshing a petition page costs no database work at all, and the database
//! sees a few queries per second whatever the read traffic.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwap;
use chrono::NaiveDateTime;

use crate::db::{self, Db, DbError, PetitionRow, TranslationRow};
use crate::domain::{Language, PetitionState, Slug};

/// A petition as the public sees it.
#[derive(Debug, Clone)]
pub struct PetitionView {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub body: String,
    pub addressee: Option<String>,
    pub goal: Option<i64>,
    state: PetitionState,
    pub closes_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// When the title, text or addressee last changed, if ever.
    pub text_changed_at: Option<NaiveDateTime>,
    pub counts: db::counts::ByCountry,
    pub total: i64,
    /// The language of its own title and text.
    pub lang: Language,
    /// Its title and text in other languages.
    pub translations: HashMap<Language, Text>,
    /// When its transparency log's latest checkpoint was signed; None until
    /// the log exists (the append round after the petition is created).
    pub checkpoint_at: Option<NaiveDateTime>,
    /// What a public read of it answers, made once for this view (see
    /// [`Prepared`]).
    prepared: Prepared,
}

/// A response body made once per view of a petition and its state (open or
/// closed), not once per request: a view lives until the next snapshot, so
/// a crowd reading the count costs one serialisation a second. A view whose
/// counts are changed (see [`Catalog::with_counts`]) starts without one.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    open: OnceLock<bytes::Bytes>,
    closed: OnceLock<bytes::Bytes>,
}

impl Prepared {
    fn get<E>(&self, state: PetitionState, make: impl FnOnce() -> Result<bytes::Bytes, E>) -> Result<bytes::Bytes, E> {
        let slot = match state {
            PetitionState::Open => &self.open,
            PetitionState::Closed => &self.closed,
        };
        if let Some(body) = slot.get() {
            return Ok(body.clone());
        }
        let body = make()?;
        // Another request may have made it meanwhile: the same bytes.
        Ok(slot.get_or_init(|| body).clone())
    }
}

/// A petition's title, text and addressee in one language.
#[derive(Debug, Clone)]
pub struct Text {
    pub title: String,
    pub body: String,
    pub addressee: Option<String>,
}

impl PetitionView {
    fn new(
        row: PetitionRow,
        counts: db::counts::ByCountry,
        translations: Vec<TranslationRow>,
        checkpoint_at: Option<NaiveDateTime>,
    ) -> Self {
        let total = counts.values().sum();
        let translations = translations
            .into_iter()
            .filter_map(|t| {
                let lang = Language::parse(&t.lang)?;
                Some((lang, Text { title: t.title, body: t.body, addressee: t.addressee }))
            })
            .collect();
        Self {
            lang: Language::from_db(&row.lang),
            translations,
            id: row.id,
            slug: row.slug,
            title: row.title,
            body: row.body,
            addressee: row.addressee,
            goal: row.goal,
            state: row.state,
            closes_at: row.closes_at,
            created_at: row.created_at,
            text_changed_at: row.text_changed_at,
            counts,
            total,
            checkpoint_at,
            prepared: Prepared::default(),
        }
    }

    /// The body `make` makes for this view in `state`, made once (again
    /// only if it failed).
    pub fn prepared<E>(
        &self,
        state: PetitionState,
        make: impl FnOnce() -> Result<bytes::Bytes, E>,
    ) -> Result<bytes::Bytes, E> {
        self.prepared.get(state, make)
    }

    /// This view with other counts (and no prepared body: it was made for
    /// the old ones).
    fn with_counts(&self, counts: db::counts::ByCountry) -> Self {
        Self { total: counts.values().sum(), counts, prepared: Prepared::default(), ..self.clone() }
    }

    /// Closed by an organiser, or past its closing time.
    pub fn state_at(&self, now: NaiveDateTime) -> PetitionState {
        self.state.at(self.closes_at, now)
    }

    /// This petition as closed: what the page shows when signing found it
    /// closed before the snapshot did.
    pub fn as_closed(&self) -> Self {
        Self { state: PetitionState::Closed, ..self.clone() }
    }

    /// Its title, text and addressee in `lang` if it has them, else in its
    /// own language; and the language they are in.
    pub fn text_in(&self, lang: Language) -> (&str, &str, Option<&str>, Language) {
        match self.translations.get(&lang) {
            Some(t) if lang != self.lang => {
                (&t.title, &t.body, t.addressee.as_deref().or(self.addressee.as_deref()), lang)
            }
            _ => (&self.title, &self.body, self.addressee.as_deref(), self.lang),
        }
    }

    /// The paragraphs of a text.
    pub fn paragraphs(body: &str) -> impl Iterator<Item = &str> {
        body.split("\n\n").map(str::trim).filter(|p| !p.is_empty())
    }
}

#[derive(Default)]
struct Snapshot {
    /// The refresh that read it: a later one's reads are newer.
    generation: u64,
    /// Newest first.
    petitions: Vec<Arc<PetitionView>>,
    by_slug: HashMap<String, Arc<PetitionView>>,
}

impl Snapshot {
    /// Of what is stored and what a refresh read, the one read later.
    fn newer(current: &Arc<Self>, fresh: &Arc<Self>) -> Arc<Self> {
        Arc::clone(if current.generation > fresh.generation { current } else { fresh })
    }
}

#[derive(Default)]
pub struct Catalog {
    snapshot: ArcSwap<Snapshot>,
    /// The last generation handed to a refresh.
    generations: AtomicU64,
}

impl Catalog {
    /// Reloads every petition and count from the database. Refreshes may
    /// overlap (the count task's, one after an organiser's change): what a
    /// refresh read is kept only if no refresh that began after it has
    /// stored its own, so an older read never replaces a newer one.
    pub async fn refresh(&self, db: &Db) -> Result<(), DbError> {
        let generation = self.generations.fetch_add(1, Ordering::SeqCst) + 1;
        let (rows, mut counts, translations, checkpoints) = db
            .snapshot(|c| {
                Ok((
                    db::petitions::list(c)?,
                    db::counts::all(c)?,
                    db::petitions::translations(c)?,
                    db::tlog::checkpoint_times(c)?,
                ))
            })
            .await?;
        let checkpoints: HashMap<i64, NaiveDateTime> = checkpoints.into_iter().collect();
        let mut by_petition: HashMap<i64, Vec<TranslationRow>> = HashMap::new();
        for t in translations {
            by_petition.entry(t.petition_id).or_default().push(t);
        }
        let petitions: Vec<Arc<PetitionView>> = rows
            .into_iter()
            .map(|row| {
                let c = counts.remove(&row.id).unwrap_or_default();
                let t = by_petition.remove(&row.id).unwrap_or_default();
                let at = checkpoints.get(&row.id).copied();
                Arc::new(PetitionView::new(row, c, t, at))
            })
            .collect();
        let by_slug = petitions.iter().map(|p| (p.slug.clone(), Arc::clone(p))).collect();
        let fresh = Arc::new(Snapshot { generation, petitions, by_slug });
        self.snapshot.rcu(|current| Snapshot::newer(current, &fresh));
        Ok(())
    }

    pub fn all(&self) -> Vec<Arc<PetitionView>> {
        self.snapshot.load().petitions.clone()
    }

    /// A petition by slug: from the snapshot, or from the database if it was
    /// created since the last refresh.
    pub async fn find(&self, db: &Db, slug: &str) -> Result<Option<Arc<PetitionView>>, DbError> {
        if let Some(p) = self.snapshot.load().by_slug.get(slug) {
            return Ok(Some(Arc::clone(p)));
        }
        // Whatever cannot be a slug is not looked up at all.
        if Slug::parse(slug).is_err() {
            return Ok(None);
        }
        let slug = slug.to_owned();
        db.snapshot(move |c| {
            let Some(row) = db::petitions::find_by_slug(c, &slug)? else {
                return Ok(None);
            };
            let counts = db::counts::for_petition(c, row.id)?;
            let translations = db::petitions::translations_of(c, row.id)?;
            let checkpoint_at = db::tlog::checkpoint_time(c, row.id)?;
            Ok(Some(Arc::new(PetitionView::new(row, counts, translations, checkpoint_at))))
        })
        .await
    }

    /// The petition as the snapshot has it, with `counts` read from the
    /// database just now (by the transaction that confirmed a signature):
    /// for the page a signer sees right after confirming, without another read.
    pub async fn with_counts(
        &self,
        db: &Db,
        petition_id: i64,
        counts: &db::counts::ByCountry,
    ) -> Result<Option<PetitionView>, DbError> {
        let Some(cached) = self.snapshot.load().petitions.iter().find(|p| p.id == petition_id).cloned() else {
            return self.find_exact(db, petition_id).await;
        };
        Ok(Some(cached.with_counts(counts.clone())))
    }

    /// The petition with counts read from the database now, not the snapshot:
    /// for the page a signer sees right after confirming.
    pub async fn find_exact(&self, db: &Db, petition_id: i64) -> Result<Option<PetitionView>, DbError> {
        let Some(cached) = self.snapshot.load().petitions.iter().find(|p| p.id == petition_id).cloned() else {
            return db
                .snapshot(move |c| {
                    let row = db::petitions::find(c, petition_id)?;
                    let counts = db::counts::for_petition(c, petition_id)?;
                    let translations = db::petitions::translations_of(c, petition_id)?;
                    let checkpoint_at = db::tlog::checkpoint_time(c, petition_id)?;
                    Ok(row.map(|r| PetitionView::new(r, counts, translations, checkpoint_at)))
                })
                .await;
        };
        let counts = db.snapshot(move |c| db::counts::for_petition(c, petition_id)).await?;
        Ok(Some(cached.with_counts(counts)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_read_never_replaces_a_newer_one() {
        let at = |generation| Arc::new(Snapshot { generation, ..Snapshot::default() });
        let (older, newer) = (at(1), at(2));
        assert!(Arc::ptr_eq(&Snapshot::newer(&newer, &older), &newer), "a slow refresh that began first is dropped");
        assert!(Arc::ptr_eq(&Snapshot::newer(&older, &newer), &newer));
        assert!(Arc::ptr_eq(&Snapshot::newer(&at(0), &older), &older), "the first refresh replaces the empty start");
    }

    #[test]
    fn a_prepared_body_is_made_once_per_state_and_again_after_a_failure() {
        let prepared = Prepared::default();
        let made = std::cell::Cell::new(0);
        let make = |body: &'static str, fails: bool| {
            made.set(made.get() + 1);
            if fails { Err("no") } else { Ok(bytes::Bytes::from_static(body.as_bytes())) }
        };
        assert_eq!(prepared.get(PetitionState::Open, || make("open", true)), Err("no"));
        assert_eq!(prepared.get(PetitionState::Open, || make("open", false)).unwrap(), "open");
        assert_eq!(prepared.get(PetitionState::Open, || make("other", false)).unwrap(), "open");
        assert_eq!(prepared.get(PetitionState::Closed, || make("closed", false)).unwrap(), "closed");
        assert_eq!(made.get(), 3, "made once per state, and again after the failure");
    }
}
