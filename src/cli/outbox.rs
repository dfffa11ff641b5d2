//! `outbox status | retry`: the mail queue.

use clap::Subcommand;

use crate::audit::Kind;
use crate::db::{self, Db};

#[derive(Debug, Subcommand)]
pub(super) enum OutboxCommand {
    /// Mails waiting, failed, the oldest waiting, and the last error.
    Status,
    /// Queue every failed mail again (after fixing SMTP settings, say).
    Retry,
}

pub(super) async fn outbox(cmd: OutboxCommand, db: Db) -> anyhow::Result<()> {
    match cmd {
        OutboxCommand::Status => {
            let s = db.read(db::outbox::status).await?;
            println!("waiting: {}", s.waiting);
            println!("failed:  {}", s.failed);
            if let Some(t) = s.oldest_waiting {
                println!("oldest waiting since: {t} UTC");
            }
            if let Some(e) = s.last_error {
                println!("last error: {e}");
            }
        }
        OutboxCommand::Retry => {
            let (now, by) = (crate::now(), super::recorder(&db).await?);
            let n = db
                .write(move |c| {
                    let n = db::outbox::requeue_failed(c, now)?;
                    by.append(c, Kind::OutboxRetried, None, &format!("{n} failed mail(s) queued again"))?;
                    Ok(n)
                })
                .await?;
            println!("{n} failed mail(s) queued again");
        }
    }
    Ok(())
}
