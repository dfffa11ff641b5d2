//! `token create | list | revoke`: API tokens for scripts that download exports.

use clap::Subcommand;

use super::organisers::organiser_email;
use crate::audit::Kind;
use crate::db::{self, Db};
use crate::domain::ApiToken;

#[derive(Debug, Subcommand)]
pub(super) enum TokenCommand {
    /// Create an API token for an organiser; it is printed once, and stored only as a hash.
    Create {
        #[arg(long, value_name = "EMAIL")]
        organiser: String,
        /// What the token is for, e.g. "nightly backup".
        #[arg(long)]
        name: String,
        /// Stop accepting the token this long from now, e.g. 90d or 12h
        /// (without it, the token works until revoked).
        #[arg(long, value_name = "DURATION", value_parser = parse_token_lifetime)]
        expires: Option<chrono::TimeDelta>,
    },
    /// List tokens (never the tokens themselves).
    List,
    /// Revoke a token by its id (see `token list`).
    Revoke { id: i64 },
}

/// The longest `--expires`; without the flag a token does not expire.
const TOKEN_LIFETIME_MAX: std::time::Duration = std::time::Duration::from_secs(3650 * 86_400);

/// `--expires`: a humantime duration (`90d`, `12h`), more than zero and at
/// most ten years.
fn parse_token_lifetime(s: &str) -> Result<chrono::TimeDelta, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{e} (expected a duration like 12h, 30d, 90d)"))?;
    if d.is_zero() || d > TOKEN_LIFETIME_MAX {
        return Err("must be more than zero and at most 3650d (leave --expires out for no expiry)".into());
    }
    chrono::TimeDelta::from_std(d).map_err(|_| format!("{s:?} is too long"))
}

pub(super) async fn token(cmd: TokenCommand, db: Db) -> anyhow::Result<()> {
    let now = crate::now();
    match cmd {
        TokenCommand::Create { organiser, name, expires } => {
            let email = organiser_email(&organiser)?;
            let name = name.trim().to_owned();
            if name.is_empty() || name.chars().count() > 100 {
                anyhow::bail!("--name must be 1 to 100 characters");
            }
            let token = ApiToken::generate();
            let (hash, prefix) = (token.hash(), token.display_prefix());
            let expires_at = expires.map(|d| now + d);
            let (e, by) = (email.clone(), super::recorder(&db).await?);
            let id = db
                .write(move |c| {
                    let Some(o) = db::organisers::find_by_email(c, &e)? else { return Ok(None) };
                    let id = db::organisers::insert_token(c, o.id, &name, &hash.0, &prefix, now, expires_at)?;
                    by.append(c, Kind::TokenCreated, None, &format!("token {id} {name:?} for {e}"))?;
                    Ok(Some(id))
                })
                .await?
                .ok_or_else(|| anyhow::anyhow!("no organiser {email}"))?;
            match expires_at {
                Some(t) => eprintln!(
                    "token {id} created for {email}, valid until {} UTC; it is shown only this once:",
                    t.format("%Y-%m-%d %H:%M")
                ),
                None => eprintln!("token {id} created for {email}; it is shown only this once:"),
            }
            println!("{}", token.reveal());
        }
        TokenCommand::List => {
            let rows = db.read(db::organisers::list_tokens).await?;
            println!(
                "{:>4} {:<30} {:<20} {:<10} {:<17} {:<17} {:<17} STATE",
                "ID", "ORGANISER", "NAME", "PREFIX", "CREATED", "LAST USED", "EXPIRES"
            );
            for t in rows {
                let day = |t: Option<chrono::NaiveDateTime>| {
                    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "-".into())
                };
                let state = match (t.revoked_at, t.expires_at) {
                    (Some(_), _) => "revoked",
                    (None, Some(e)) if e <= now => "expired",
                    _ => "active",
                };
                println!(
                    "{:>4} {:<30} {:<20} {:<10} {:<17} {:<17} {:<17} {}",
                    t.id,
                    t.organiser_email,
                    t.name,
                    t.prefix,
                    day(Some(t.created_at)),
                    day(t.last_used_at),
                    t.expires_at.map_or_else(|| "never".into(), |e| day(Some(e))),
                    state
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let by = super::recorder(&db).await?;
            let revoked = db.write(move |c| {
                let revoked = db::organisers::revoke_token(c, id, now)?;
                if revoked {
                    by.append(c, Kind::TokenRevoked, None, &format!("token {id}"))?;
                }
                Ok(revoked)
            });
            if !revoked.await? {
                anyhow::bail!("no active token {id}");
            }
            println!("revoked token {id}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn token_lifetimes_are_humantime_durations_within_ten_years() {
        assert_eq!(super::parse_token_lifetime("90d"), Ok(chrono::TimeDelta::days(90)));
        assert_eq!(super::parse_token_lifetime("12h"), Ok(chrono::TimeDelta::hours(12)));
        assert_eq!(super::parse_token_lifetime("3650d"), Ok(chrono::TimeDelta::days(3650)));
        for bad in ["0s", "3651d", "soon", "", "-1d"] {
            assert!(super::parse_token_lifetime(bad).is_err(), "{bad}");
        }
    }
}
