//! What became of submissions that did not simply become a signature: the
//! tallies organisers see on the dashboard and in the delivery packet.

use super::HoldReason;

/// What happened to submissions that did not simply become a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tally {
    /// A repeat submission by someone who had already signed, merged into
    /// their signature.
    Duplicate,
    /// A submission that filled the hidden honeypot field, discarded.
    Honeypot,
    /// A submission refused for its disposable email domain.
    Disposable,
    /// A signature held for review, by reason.
    Held(HoldReason),
    /// A held signature released (by an organiser, or by signing again
    /// within the limits).
    Released,
    /// A held signature an organiser discarded.
    Discarded,
}

impl Tally {
    /// Every tally, in the order organisers see them.
    pub const ALL: [Tally; 8] = [
        Tally::Duplicate,
        Tally::Honeypot,
        Tally::Disposable,
        Tally::Held(HoldReason::RateLimit),
        Tally::Held(HoldReason::TooFast),
        Tally::Held(HoldReason::FormStamp),
        Tally::Released,
        Tally::Discarded,
    ];

    /// Its name in `count_events.metric` and `petition_tallies.metric`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Duplicate => "duplicate",
            Self::Honeypot => "honeypot",
            Self::Disposable => "disposable",
            Self::Held(HoldReason::RateLimit) => "held_rate_limit",
            Self::Held(HoldReason::TooFast) => "held_too_fast",
            Self::Held(HoldReason::FormStamp) => "held_form_stamp",
            Self::Released => "released",
            Self::Discarded => "discarded",
        }
    }

    /// The tally stored under `metric`, if any.
    pub fn from_db(metric: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == metric)
    }

    /// For organisers and the delivery packet's cover.
    pub fn describe(self) -> String {
        match self {
            Self::Duplicate => "Repeat submissions merged".into(),
            Self::Honeypot => "Refused: caught by the honeypot field".into(),
            Self::Disposable => "Refused: disposable email address".into(),
            Self::Held(reason) => format!("Held for review: {}", reason.describe()),
            Self::Released => "Held signatures released".into(),
            Self::Discarded => "Held signatures discarded".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tally_has_its_own_name() {
        for tally in Tally::ALL {
            assert_eq!(Tally::from_db(tally.as_str()), Some(tally));
        }
        assert_eq!(Tally::from_db("confirmed"), None, "the confirmed count is no tally");
    }
}
