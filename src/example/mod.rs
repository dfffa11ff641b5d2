//! The example campaign a new SQLite site starts with (`serve --example`).

mod translations;

use crate::db::{self, Db, DbError};
use crate::domain::{Addressee, Goal, Language, NewPetition, PetitionBody, PetitionTitle, Slug};
use translations::TRANSLATIONS;

struct Example {
    slug: &'static str,
    title: &'static str,
    addressee: &'static str,
    body: &'static str,
    goal: i64,
}

const EXAMPLES: [Example; 2] = [
    Example {
        slug: "release-the-xinjiang-report",
        title: "Release the report on Xinjiang now",
        addressee: "UN High Commissioner for Human Rights",
        goal: 1_000_000,
        body: "We call on the UN High Commissioner for Human Rights to publish, without further delay, the Office's assessment of the human rights situation in the Xinjiang Uyghur Autonomous Region of China.

The Office has gathered evidence for years. Survivors, families of the detained and human rights defenders have given testimony at great personal risk. Every month the report stays unpublished, those who spoke up are left without an answer, and those responsible are left without scrutiny.

The United Nations exists to speak plainly about grave violations, whoever commits them. Publish the report in full, present it to the Human Rights Council, and set out the steps the Office will take next.",
    },
    Example {
        slug: "open-selection-of-the-high-commissioner",
        title: "Appoint the next High Commissioner in an open, transparent process",
        addressee: "UN Secretary-General",
        goal: 500_000,
        body: "We call on the UN Secretary-General to appoint the next UN High Commissioner for Human Rights through an open, transparent and merit-based process, on clear criteria published in advance.

The High Commissioner must be independent, of proven integrity and with a record of defending human rights without fear or favour. Those qualities cannot be judged behind closed doors.

Publish the criteria and the timetable. Publish the names of the candidates. Give civil society and victims' groups the chance to question them in public, and explain the final choice against the criteria.",
    },
];

/// Adds each example petition that is not there yet, with its translations
/// into the other UN languages; returns how many.
pub async fn seed(db: &Db) -> Result<usize, DbError> {
    let now = crate::now();
    let petitions: Vec<NewPetition> = EXAMPLES
        .iter()
        .filter_map(|e| {
            Some(NewPetition {
                slug: Slug::parse(e.slug).ok()?,
                title: PetitionTitle::parse(e.title).ok()?,
                body: PetitionBody::parse(e.body).ok()?,
                addressee: Some(Addressee::parse(e.addressee).ok()?),
                goal: Some(Goal::new(e.goal).ok()?),
                closes_at: None,
                lang: Language::En,
            })
        })
        .collect();
    db.write(move |c| {
        let mut added = 0;
        for p in &petitions {
            if db::petitions::find_by_slug(c, p.slug.as_str())?.is_none() {
                let id = db::petitions::insert(c, p, now, "example campaign")?;
                for t in TRANSLATIONS.iter().filter(|t| t.slug == p.slug.as_str()) {
                    let (Some(lang), Ok(title), Ok(body), Ok(addressee)) = (
                        Language::parse(t.lang),
                        PetitionTitle::parse(t.title),
                        PetitionBody::parse(t.body),
                        Addressee::parse(t.addressee),
                    ) else {
                        continue;
                    };
                    let text = (&title, &body, Some(&addressee));
                    db::petitions::save_translation(c, id, lang, text, now, "example campaign")?;
                }
                added += 1;
            }
        }
        Ok(added)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_are_valid_petitions() {
        for e in &EXAMPLES {
            assert!(Slug::parse(e.slug).is_ok());
            assert!(PetitionTitle::parse(e.title).is_ok());
            assert!(PetitionBody::parse(e.body).is_ok());
            assert!(Addressee::parse(e.addressee).is_ok());
        }
        for t in TRANSLATIONS {
            assert!(EXAMPLES.iter().any(|e| e.slug == t.slug), "{}", t.slug);
            assert!(Language::parse(t.lang).is_some_and(|l| l != Language::En));
            assert!(PetitionTitle::parse(t.title).is_ok(), "{} {}", t.slug, t.lang);
            assert!(PetitionBody::parse(t.body).is_ok(), "{} {}", t.slug, t.lang);
            assert!(Addressee::parse(t.addressee).is_ok(), "{} {}", t.slug, t.lang);
        }
        assert_eq!(TRANSLATIONS.len(), 10, "both petitions in the five other languages");
    }
}
