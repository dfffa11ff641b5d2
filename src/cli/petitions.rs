//! `petition create | list | close | open | edit`, through the same
//! operations as the dashboard (`organise::petitions`).

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Subcommand;

use crate::db::{self, Db};
use crate::domain::{Addressee, Goal, Language, NewPetition, PetitionBody, PetitionEdit, PetitionTitle, Slug};
use crate::organise::petitions::{self as organise, CreateError, StateError};

#[derive(Debug, Subcommand)]
pub(super) enum PetitionCommand {
    /// Open a new petition.
    Create {
        /// Short name used in its address: /p/SLUG (a-z, 0-9, hyphens).
        #[arg(long)]
        slug: String,
        /// Headline, one line.
        #[arg(long)]
        title: String,
        /// File with the petition text; blank lines separate paragraphs.
        #[arg(long, value_name = "FILE")]
        body_file: PathBuf,
        /// Whom the petition is addressed to.
        #[arg(long)]
        addressee: Option<String>,
        /// Number of signatures aimed for.
        #[arg(long)]
        goal: Option<i64>,
        /// Last day signatures are taken (UTC), YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        closes_at: Option<NaiveDate>,
        /// Language of the title and text: ar, zh, en (default), fr, ru or es.
        #[arg(long, value_name = "LANG")]
        lang: Option<String>,
    },
    /// List petitions with their counts.
    List,
    /// Stop taking signatures on a petition.
    Close {
        /// The petition's slug.
        slug: String,
    },
    /// Take signatures again on a closed petition.
    Open {
        /// The petition's slug.
        slug: String,
        /// New last day signatures are taken (UTC), YYYY-MM-DD; needed if the old one has passed.
        #[arg(long, value_name = "YYYY-MM-DD")]
        closes_at: Option<NaiveDate>,
    },
    /// Change a petition; a changed title, text or addressee is recorded as a new revision.
    Edit {
        /// The petition's slug.
        slug: String,
        #[arg(long)]
        title: Option<String>,
        /// File with the new text.
        #[arg(long, value_name = "FILE")]
        body_file: Option<PathBuf>,
        #[arg(long)]
        addressee: Option<String>,
        #[arg(long)]
        goal: Option<i64>,
        /// Last day signatures are taken (UTC), YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        closes_at: Option<NaiveDate>,
        /// Language of the title and text: ar, zh, en, fr, ru or es.
        #[arg(long, value_name = "LANG")]
        lang: Option<String>,
    },
}

fn parse_language(tag: &str) -> anyhow::Result<Language> {
    Language::parse(tag).ok_or_else(|| anyhow::anyhow!("--lang: {tag:?} is not one of ar, zh, en, fr, ru, es"))
}

pub(super) async fn petition(cmd: PetitionCommand, db: Db) -> anyhow::Result<()> {
    match cmd {
        PetitionCommand::Create { slug, title, body_file, addressee, goal, closes_at, lang } => {
            let body = std::fs::read_to_string(&body_file)
                .with_context(|| format!("--body-file: cannot read {}", body_file.display()))?;
            let today = crate::now().date();
            let new = NewPetition {
                slug: Slug::parse(&slug).context("--slug")?,
                title: PetitionTitle::parse(&title).context("--title")?,
                body: PetitionBody::parse(&body).context("--body-file")?,
                addressee: addressee.as_deref().map(Addressee::parse).transpose().context("--addressee")?,
                goal: goal.map(Goal::new).transpose().context("--goal")?,
                closes_at: closes_at
                    .map(|d| NewPetition::closes_at_end_of(d, today))
                    .transpose()
                    .context("--closes-at")?,
                lang: lang.as_deref().map(parse_language).transpose()?.unwrap_or_default(),
            };
            let slug = new.slug.as_str().to_owned();
            match organise::create(&db, new, super::recorder(&db).await?).await {
                Ok(()) => {
                    println!("created petition {slug}: /p/{slug}");
                    Ok(())
                }
                Err(CreateError::SlugTaken) => anyhow::bail!("--slug: a petition called {slug:?} already exists"),
                Err(CreateError::Db(e)) => Err(e.into()),
            }
        }
        PetitionCommand::List => {
            let (rows, counts) = db.snapshot(|c| Ok((db::petitions::list(c)?, db::counts::all(c)?))).await?;
            let now = crate::now();
            println!("{:<40} {:<7} {:>12} {:>12}  TITLE", "SLUG", "STATE", "CONFIRMED", "GOAL");
            for row in rows {
                let confirmed: i64 = counts.get(&row.id).map(|c| c.values().sum()).unwrap_or(0);
                println!(
                    "{:<40} {:<7} {:>12} {:>12}  {}",
                    row.slug,
                    row.state.at(row.closes_at, now).as_str(),
                    confirmed,
                    row.goal.map(|g| g.to_string()).unwrap_or_else(|| "-".into()),
                    row.title
                );
            }
            Ok(())
        }
        PetitionCommand::Open { slug, closes_at } => {
            let today = crate::now().date();
            let closes_at =
                closes_at.map(|d| NewPetition::closes_at_end_of(d, today)).transpose().context("--closes-at")?;
            match organise::reopen(&db, &slug, closes_at, super::recorder(&db).await?).await {
                Ok(()) => {
                    println!("reopened petition {slug}");
                    Ok(())
                }
                Err(StateError::Db(e)) => Err(e.into()),
                Err(StateError::ClosingDatePassed) => {
                    anyhow::bail!(
                        "cannot reopen {slug:?}: its closing date has passed; give a new one with --closes-at"
                    )
                }
                Err(why) => anyhow::bail!("cannot reopen {slug:?}: {why}"),
            }
        }
        PetitionCommand::Edit { slug, title, body_file, addressee, goal, closes_at, lang } => {
            let s = slug.clone();
            let current = db
                .read(move |c| db::petitions::find_by_slug(c, &s))
                .await?
                .ok_or_else(|| anyhow::anyhow!("no petition {slug:?}"))?;
            let body = match body_file {
                Some(f) => {
                    std::fs::read_to_string(&f).with_context(|| format!("--body-file: cannot read {}", f.display()))?
                }
                None => current.body.clone(),
            };
            let today = crate::now().date();
            let edit = PetitionEdit {
                title: PetitionTitle::parse(title.as_deref().unwrap_or(&current.title)).context("--title")?,
                body: PetitionBody::parse(&body).context("--body-file")?,
                addressee: match addressee.as_deref().or(current.addressee.as_deref()) {
                    Some(a) if !a.trim().is_empty() => Some(Addressee::parse(a).context("--addressee")?),
                    _ => None,
                },
                goal: goal.or(current.goal).map(Goal::new).transpose().context("--goal")?,
                closes_at: match closes_at {
                    Some(d) => Some(NewPetition::closes_at_end_of(d, today).context("--closes-at")?),
                    None => current.closes_at,
                },
                lang: match lang {
                    Some(l) => parse_language(&l)?,
                    None => Language::from_db(&current.lang),
                },
            };
            match organise::edit(&db, &slug, edit, super::recorder(&db).await?).await? {
                Some(true) => println!("edited petition {slug}; the text change is recorded"),
                Some(false) => println!("edited petition {slug}; the text is unchanged"),
                None => anyhow::bail!("no petition {slug:?}"),
            }
            Ok(())
        }
        PetitionCommand::Close { slug } => match organise::close(&db, &slug, super::recorder(&db).await?).await {
            Ok(()) => {
                println!("closed petition {slug}");
                Ok(())
            }
            Err(StateError::Db(e)) => Err(e.into()),
            Err(_) => anyhow::bail!("no open petition called {slug:?}"),
        },
    }
}
