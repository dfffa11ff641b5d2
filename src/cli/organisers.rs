//! `organiser add | list | remove | passwd`: the dashboard's users.

use anyhow::Context;
use clap::Subcommand;

use crate::audit::Kind;
use crate::auth::password;
use crate::db::{self, Db};
use crate::domain::{EmailAddress, Password};

#[derive(Debug, Subcommand)]
pub(super) enum OrganiserCommand {
    /// Add an organiser; the password (12 to 128 characters) is read from standard input.
    Add {
        email: String,
        /// Read the password from standard input (one line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List organisers.
    List,
    /// Remove an organiser, with their sessions and API tokens.
    Remove { email: String },
    /// Set a new password (read from standard input), end the organiser's sessions and revoke their API tokens.
    Passwd {
        email: String,
        /// Read the password from standard input (one line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

fn read_password() -> anyhow::Result<Password> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
    let password = line.strip_suffix('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).unwrap_or(&line);
    Ok(Password::parse(password)?)
}

pub(super) fn organiser_email(email: &str) -> anyhow::Result<String> {
    Ok(EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("{email:?}: {e}"))?.as_str().to_lowercase())
}

pub(super) async fn organiser(cmd: OrganiserCommand, db: Db) -> anyhow::Result<()> {
    let now = crate::now();
    match cmd {
        OrganiserCommand::Add { email, .. } => {
            let email = organiser_email(&email)?;
            let hash = password::hash_blocking(&read_password()?)?;
            let (e, by) = (email.clone(), super::recorder(&db).await?);
            let added = db.write(move |c| {
                let id = db::organisers::insert(c, &e, &hash, now)?;
                by.append(c, Kind::OrganiserAdded, None, &format!("organiser {id} {e}"))
            });
            match added.await {
                Ok(_) => println!("added organiser {email}"),
                Err(db::DbError::Query(err)) if db::is_unique_violation(&err) => {
                    anyhow::bail!("an organiser {email} already exists (use `organiser passwd` to change the password)")
                }
                Err(e) => return Err(e.into()),
            }
        }
        OrganiserCommand::List => {
            let rows = db.read(db::organisers::list).await?;
            println!("{:<40} {:<20} PASSWORD CHANGED", "EMAIL", "ADDED");
            for o in rows {
                println!(
                    "{:<40} {:<20} {}",
                    o.email,
                    o.created_at.format("%Y-%m-%d %H:%M"),
                    o.password_changed_at.format("%Y-%m-%d %H:%M")
                );
            }
        }
        OrganiserCommand::Remove { email } => {
            let email = organiser_email(&email)?;
            let (e, by) = (email.clone(), super::recorder(&db).await?);
            let removed = db.write(move |c| {
                let removed = db::organisers::remove(c, &e)?;
                if removed {
                    by.append(c, Kind::OrganiserRemoved, None, &format!("organiser {e}"))?;
                }
                Ok(removed)
            });
            if !removed.await? {
                anyhow::bail!("no organiser {email}");
            }
            println!("removed organiser {email}, their sessions and API tokens");
        }
        OrganiserCommand::Passwd { email, .. } => {
            let email = organiser_email(&email)?;
            let hash = password::hash_blocking(&read_password()?)?;
            let (e, by) = (email.clone(), super::recorder(&db).await?);
            let changed = db.write(move |c| {
                let changed = db::organisers::set_password(c, &e, &hash, now)?;
                if changed {
                    by.append(c, Kind::PasswordChanged, None, &format!("organiser {e}"))?;
                }
                Ok(changed)
            });
            if !changed.await? {
                anyhow::bail!("no organiser {email}");
            }
            println!("password changed for {email}; their sessions have ended and their API tokens are revoked");
        }
    }
    Ok(())
}
