use chrono::{NaiveDate, NaiveDateTime};
use unicode_segmentation::UnicodeSegmentation;

/// The URL name of a petition: 1 to 80 of `a-z`, `0-9` and inner hyphens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

/// A petition's headline: 1 to 200 characters, one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PetitionTitle(String);

/// The text people sign: plain text, paragraphs separated by blank lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PetitionBody(String);

/// Whom the petition is addressed to, e.g. "UN High Commissioner for Human Rights".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressee(String);

/// The number of signatures the campaign aims for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Goal(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PetitionError {
    #[error("slug must be 1 to 80 characters of a-z, 0-9 and hyphens, not starting or ending with a hyphen")]
    Slug,
    #[error("title must be 1 to 200 characters on one line")]
    Title,
    #[error("text must be 1 to 20000 characters")]
    Body,
    #[error("addressee must be 1 to 200 characters on one line")]
    Addressee,
    #[error("goal must be a whole number from 1 to 10000000000")]
    Goal,
    #[error("closing date must be after today")]
    ClosesInPast,
}

/// Organisers' forms are in English only.
impl super::errors::Localised for PetitionError {
    fn message_id(&self) -> Option<&'static str> {
        None
    }
}

fn one_line(input: &str, max: usize) -> Option<String> {
    let s = input.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = s.graphemes(true).count();
    (n >= 1 && n <= max && !input.chars().any(|c| c.is_control() && !c.is_whitespace())).then_some(s)
}

impl Slug {
    pub fn parse(input: &str) -> Result<Self, PetitionError> {
        let s = input.trim();
        let ok = (1..=80).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        ok.then(|| Self(s.to_owned())).ok_or(PetitionError::Slug)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PetitionTitle {
    pub fn parse(input: &str) -> Result<Self, PetitionError> {
        one_line(input, 200).map(Self).ok_or(PetitionError::Title)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Addressee {
    pub fn parse(input: &str) -> Result<Self, PetitionError> {
        one_line(input, 200).map(Self).ok_or(PetitionError::Addressee)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PetitionBody {
    pub fn parse(input: &str) -> Result<Self, PetitionError> {
        let s = input.replace("\r\n", "\n");
        let s = s.trim();
        let n = s.chars().count();
        let ok = (1..=20_000).contains(&n) && !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t');
        ok.then(|| Self(s.to_owned())).ok_or(PetitionError::Body)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Goal {
    pub fn new(n: i64) -> Result<Self, PetitionError> {
        (1..=10_000_000_000).contains(&n).then_some(Self(n)).ok_or(PetitionError::Goal)
    }
    pub fn get(self) -> i64 {
        self.0
    }
}

/// Everything needed to open a new petition, already checked.
#[derive(Debug, Clone)]
pub struct NewPetition {
    pub slug: Slug,
    pub title: PetitionTitle,
    pub body: PetitionBody,
    pub addressee: Option<Addressee>,
    pub goal: Option<Goal>,
    /// Signing stops at the start of this instant (UTC).
    pub closes_at: Option<NaiveDateTime>,
    /// The language the title and text are written in.
    pub lang: super::Language,
}

impl NewPetition {
    /// A closing date means "open until the end of that day, UTC".
    pub fn closes_at_end_of(date: NaiveDate, today: NaiveDate) -> Result<NaiveDateTime, PetitionError> {
        if date < today {
            return Err(PetitionError::ClosesInPast);
        }
        date.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)).ok_or(PetitionError::ClosesInPast)
    }
}

/// What an edit may change: everything but the slug. The text is title,
/// body and addressee.
#[derive(Debug, Clone)]
pub struct PetitionEdit {
    pub title: PetitionTitle,
    pub body: PetitionBody,
    pub addressee: Option<Addressee>,
    pub goal: Option<Goal>,
    /// Signing stops at the start of this instant (UTC).
    pub closes_at: Option<NaiveDateTime>,
    /// The language the title and text are written in.
    pub lang: super::Language,
}

impl PetitionEdit {
    /// The new petition these fields make under `slug`.
    pub fn into_new(self, slug: Slug) -> NewPetition {
        NewPetition {
            slug,
            title: self.title,
            body: self.body,
            addressee: self.addressee,
            goal: self.goal,
            closes_at: self.closes_at,
            lang: self.lang,
        }
    }
}

/// Whether a petition takes signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PetitionState {
    Open,
    Closed,
}

impl PetitionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    pub fn from_db(s: &str) -> Self {
        if s == "open" { Self::Open } else { Self::Closed }
    }

    /// The state at `now` of a petition stored as `self`: closed by an
    /// organiser, or past its closing time (`closes_at`), it is closed.
    pub fn at(self, closes_at: Option<NaiveDateTime>, now: NaiveDateTime) -> Self {
        match (self, closes_at) {
            (Self::Open, Some(closes)) if closes <= now => Self::Closed,
            (state, _) => state,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(Slug::parse("release-the-xinjiang-report").is_ok());
        for bad in ["", "-a", "a-", "Caps", "with space", "ü", &"a".repeat(81)] {
            assert!(Slug::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn titles_and_bodies() {
        assert_eq!(PetitionTitle::parse("  Release   the report ").unwrap().as_str(), "Release the report");
        assert!(PetitionTitle::parse("").is_err());
        assert!(PetitionTitle::parse(&"x".repeat(201)).is_err());
        assert_eq!(PetitionBody::parse("a\r\n\r\nb\n").unwrap().as_str(), "a\n\nb");
        assert!(PetitionBody::parse(" \n ").is_err());
        assert!(PetitionBody::parse("bell\u{7}").is_err());
    }

    #[test]
    fn goals_and_dates() {
        assert!(Goal::new(0).is_err());
        assert_eq!(Goal::new(1_000_000).unwrap().get(), 1_000_000);
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let end = NewPetition::closes_at_end_of(today, today).unwrap();
        assert_eq!(end.to_string(), "2026-11-28 00:00:00");
        assert!(NewPetition::closes_at_end_of(today.pred_opt().unwrap(), today).is_err());
    }

    #[test]
    fn an_open_petition_closes_at_its_closing_time() {
        let now = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap().and_hms_opt(12, 0, 0).unwrap();
        let hour = chrono::TimeDelta::hours(1);
        assert_eq!(PetitionState::Open.at(None, now), PetitionState::Open);
        assert_eq!(PetitionState::Open.at(Some(now + hour), now), PetitionState::Open);
        assert_eq!(PetitionState::Open.at(Some(now), now), PetitionState::Closed);
        assert_eq!(PetitionState::Open.at(Some(now - hour), now), PetitionState::Closed);
        assert_eq!(PetitionState::Closed.at(Some(now + hour), now), PetitionState::Closed);
        assert_eq!(PetitionState::Closed.at(None, now), PetitionState::Closed);
    }
}
