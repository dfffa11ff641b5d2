//! `audit verify [--since HEAD]`: checks the organisers' audit trail.

use clap::Subcommand;

use crate::audit::{self, AuditKey, Head, Verdict};
use crate::configuration::KeySettings;
use crate::db::Db;
use crate::keys::FirstStart;

#[derive(Debug, Subcommand)]
pub(super) enum AuditCommand {
    /// Check the audit trail's chain: every record's mac under the key
    /// derived from SECRET_KEY, in order, without gaps. Prints the head
    /// (ID:MAC) to save: given later with --since, it also finds records
    /// removed from the end.
    Verify {
        /// A head printed by an earlier `audit verify`: the trail must still
        /// hold it as it was; the check goes on from there.
        #[arg(long, value_name = "HEAD")]
        since: Option<String>,
    },
}

pub(super) async fn audit(cmd: AuditCommand, db: Db) -> anyhow::Result<()> {
    match cmd {
        AuditCommand::Verify { since } => {
            let since: Option<Head> = since.map(|s| s.parse()).transpose()?;
            let keys = crate::keys::load(&db, &KeySettings::from_env()?, FirstStart::Refuse).await?;
            let key = AuditKey::of(&keys);
            match db.read(move |c| audit::verify(c, &key, since.as_ref())).await? {
                Verdict::Intact { checked, head: Some(head) } => {
                    println!("the audit trail is intact: {checked} record(s) checked; its head is");
                    println!("{head}");
                    eprintln!(
                        "(keep the head apart from the database: `audit verify --since HEAD` then also finds records removed from the end)"
                    );
                    Ok(())
                }
                Verdict::Intact { head: None, .. } => {
                    println!("the audit trail is empty");
                    Ok(())
                }
                Verdict::Broken(why) => anyhow::bail!("the audit trail is broken: {why}"),
            }
        }
    }
}
