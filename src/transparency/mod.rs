//! The signature transparency log on the server: appending confirmations
//! and withdrawals as leaves, signing checkpoints, and reading tiles,
//! entry bundles and proofs back out (docs/transparency.md).
//!
//! A confirmation queues its leaf in the transaction that confirms it
//! (`db::tlog::queue_confirmed`); the count task calls [`append`] every
//! round, which moves the queue into the tree in one transaction: the
//! leaves, their stored hashes, the new head and its signed checkpoint are
//! committed together or not at all, under one appender at a time. So a
//! crash mid-batch leaves the queue as it was, and two instances cannot
//! fork a log: the second waits for the first's lock, and a head moves only
//! from the size it was read at.

mod append;
mod check;
mod read;

pub use append::{Appended, Appender, Turn, append, append_with};
pub use check::{Included, ReceiptOutcome, RecheckFault, check_receipt, recheck};
pub use read::{ReceiptCheck, receipt, tile};
