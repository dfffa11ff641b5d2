//! Checking a receipt on the server, for the `/p/{slug}/verify` page: the
//! receipt's leaf, its inclusion proof in the latest checkpoint, and the
//! server's own re-check of that proof against the signed checkpoint, as
//! anyone's verifier would do it (`tlog::merkle`, not the crate the server
//! appends with).
//!
//! The answer depends on the receipt alone: a 256-bit secret that only its
//! holder has, so it tells nobody else whether a given person signed.

use diesel::QueryResult;

use super::read::{self, ReceiptCheck};
use crate::db::DbConnection;
use crate::db::tlog as rows;
use crate::domain::{Commitment, Receipt};
use crate::tlog::merkle::{ProofError, verify_inclusion};
use crate::tlog::{Checkpoint, CheckpointError, Leaf, LogSigner, leaf_hash};

/// What the log says of a receipt, as of its latest checkpoint.
#[derive(Debug, Clone)]
pub enum ReceiptOutcome {
    /// A leaf of the log carries the receipt's commitment.
    Included(Box<Included>),
    /// The confirmation is recorded and waits to be appended (the log trails
    /// confirmations by a round, a few seconds).
    Queued {
        /// The size of the latest checkpoint (0 if the log has none yet).
        size: u64,
    },
    /// No leaf of the log carries it, and none waits to be appended: a
    /// mistyped receipt, or one of another petition.
    NotInLog { size: u64 },
}

/// A receipt's leaf with its proof, and whether the proof held when the
/// server checked it.
#[derive(Debug, Clone)]
pub struct Included {
    pub check: ReceiptCheck,
    pub recheck: Result<(), RecheckFault>,
}

/// Why the server's re-check of a proof failed: each would mean that the
/// log's stored rows disagree with what it signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecheckFault {
    #[error("{0}")]
    Checkpoint(CheckpointError),
    #[error("the signed checkpoint ({signed} leaves) is not the log's head ({head} leaves)")]
    NotTheHead { signed: u64, head: u64 },
    #[error("the leaf found does not carry the receipt's commitment")]
    NotTheReceipt,
    #[error("{0}")]
    Proof(ProofError),
}

/// Looks `receipt` up in the log of `petition_id`, in one snapshot, and
/// re-checks the proof found against the checkpoint signed by `signer`.
pub fn check_receipt(
    conn: &mut DbConnection,
    petition_id: i64,
    signer: &LogSigner,
    receipt: &Receipt,
) -> QueryResult<ReceiptOutcome> {
    let commitment = receipt.commitment();
    let head = rows::head(conn, petition_id)?;
    if let Some(head) = &head
        && let Some(check) = read::receipt(conn, head, &commitment.0)?
    {
        let recheck = recheck(&check, &commitment, &signer.verifier_key(&head.origin));
        return Ok(ReceiptOutcome::Included(Box::new(Included { check, recheck })));
    }
    let size = head.map_or(0, |h| u64::try_from(h.size).unwrap_or(0));
    Ok(if rows::is_queued(conn, petition_id, &commitment.0)? {
        ReceiptOutcome::Queued { size }
    } else {
        ReceiptOutcome::NotInLog { size }
    })
}

/// Whether `check` shows the leaf of `commitment` in the checkpoint it
/// names: the checkpoint's signature verifies with `vkey` and states the
/// size and root the proof is for, the leaf carries the commitment, and the
/// proof leads from the leaf's hash to that root (RFC 9162 §2.1.3.2).
pub fn recheck(check: &ReceiptCheck, commitment: &Commitment, vkey: &str) -> Result<(), RecheckFault> {
    let signed = Checkpoint::open(check.checkpoint.as_bytes(), vkey).map_err(RecheckFault::Checkpoint)?;
    if signed.size != check.size || signed.root != check.root {
        return Err(RecheckFault::NotTheHead { signed: signed.size, head: check.size });
    }
    if !matches!(check.leaf, Leaf::Confirmed { commitment: c, .. } if c == commitment.0) {
        return Err(RecheckFault::NotTheReceipt);
    }
    let hash = leaf_hash(&check.leaf.to_bytes());
    verify_inclusion(check.index, signed.size, &hash, &check.proof, &signed.root).map_err(RecheckFault::Proof)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use ed25519_dalek::SigningKey;

    use super::*;
    use crate::tlog::merkle::tests::Levels;
    use crate::tlog::merkle::{RootBuilder, inclusion_proof};
    use crate::tlog::{Hash, Totals};

    const ORIGIN: &str = "sign.example.org/p/report";

    fn signer() -> LogSigner {
        LogSigner::new(SigningKey::from_bytes(&[7; 32]))
    }

    fn leaf(commitment: Hash) -> Leaf {
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        Leaf::confirmed("DE", day, [3; 32], commitment).unwrap()
    }

    /// A log of five leaves, the receipt's at `index`, as `receipt()` would
    /// answer for it.
    fn check_of(receipt: &Receipt, index: u64) -> ReceiptCheck {
        let leaves: Vec<Leaf> = (0..5u8)
            .map(|i| if u64::from(i) == index { leaf(receipt.commitment().0) } else { leaf([i; 32]) })
            .collect();
        let hashes: Vec<Hash> = leaves.iter().map(|l| leaf_hash(&l.to_bytes())).collect();
        let mut root = RootBuilder::new();
        hashes.iter().for_each(|h| root.push(*h));
        let root = root.root();
        let proof = inclusion_proof(&Levels::new(hashes), index, 5).unwrap().unwrap();
        let checkpoint = Checkpoint { origin: ORIGIN.into(), size: 5, root, totals: Totals::default() };
        ReceiptCheck {
            index,
            leaf: leaves[usize::try_from(index).unwrap()],
            proof,
            cancelled_by: None,
            size: 5,
            root,
            checkpoint: signer().sign(&checkpoint).unwrap(),
        }
    }

    #[test]
    fn a_sound_proof_passes_the_recheck() {
        let receipt = Receipt::generate();
        let vkey = signer().verifier_key(ORIGIN);
        for index in 0..5 {
            assert_eq!(recheck(&check_of(&receipt, index), &receipt.commitment(), &vkey), Ok(()), "leaf {index}");
        }
    }

    #[test]
    fn each_disagreement_is_named() {
        let receipt = Receipt::generate();
        let vkey = signer().verifier_key(ORIGIN);
        let good = check_of(&receipt, 3);

        let other = Receipt::generate();
        assert_eq!(recheck(&good, &other.commitment(), &vkey), Err(RecheckFault::NotTheReceipt));

        let mut bent = good.clone();
        bent.proof[0][0] ^= 1;
        assert_eq!(recheck(&bent, &receipt.commitment(), &vkey), Err(RecheckFault::Proof(ProofError::Mismatch)));

        let mut short = good.clone();
        short.proof.pop();
        assert_eq!(recheck(&short, &receipt.commitment(), &vkey), Err(RecheckFault::Proof(ProofError::Length)));

        let mut moved = good.clone();
        moved.index = 2;
        assert!(matches!(recheck(&moved, &receipt.commitment(), &vkey), Err(RecheckFault::Proof(_))));

        let mut grown = good.clone();
        grown.size = 6;
        assert_eq!(recheck(&grown, &receipt.commitment(), &vkey), Err(RecheckFault::NotTheHead { signed: 5, head: 6 }));

        let mut rerooted = good.clone();
        rerooted.root = [0; 32];
        assert!(matches!(recheck(&rerooted, &receipt.commitment(), &vkey), Err(RecheckFault::NotTheHead { .. })));

        let stranger = LogSigner::new(SigningKey::from_bytes(&[8; 32])).verifier_key(ORIGIN);
        assert!(matches!(recheck(&good, &receipt.commitment(), &stranger), Err(RecheckFault::Checkpoint(_))));

        let mut withdrawal = good;
        withdrawal.leaf = Leaf::Withdrawn { cancels: 0 };
        assert_eq!(recheck(&withdrawal, &receipt.commitment(), &vkey), Err(RecheckFault::NotTheReceipt));
    }
}
