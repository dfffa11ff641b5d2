//! What keeps bots and floods from inflating a petition: per-network rate
//! limits, the signed form timestamp, and the list of disposable email
//! domains. Nothing here drops a real person's signature: what trips a limit
//! is held for review (see `HoldReason`), only what is plainly invalid is
//! refused.

use std::collections::HashSet;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

/// Email domains refused as disposable. A domain is refused if it, or any
/// domain it is a subdomain of, is listed.
#[derive(Clone, Default)]
pub struct DomainList(Arc<HashSet<String>>);

impl std::fmt::Debug for DomainList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DomainList({} domains)", self.0.len())
    }
}

impl DomainList {
    /// The list shipped with undersigned.
    pub fn builtin() -> Self {
        Self::parse(include_str!("disposable_domains.txt"))
    }

    /// One domain a line; blank lines and `#` comments are skipped.
    pub fn parse(text: &str) -> Self {
        Self(Arc::new(
            text.lines()
                .map(|l| l.split('#').next().unwrap_or_default().trim().trim_end_matches('.').to_ascii_lowercase())
                .filter(|l| !l.is_empty())
                .collect(),
        ))
    }

    /// Whether `domain` (lower-case ASCII) or a parent of it is listed.
    pub fn contains(&self, domain: &str) -> bool {
        let mut rest = domain;
        loop {
            if self.0.contains(rest) {
                return true;
            }
            match rest.split_once('.') {
                Some((_, parent)) if parent.contains('.') || self.0.contains(parent) => rest = parent,
                _ => return false,
            }
        }
    }
}

/// The network a client is counted under: an IPv4 address, or the /64 an
/// IPv6 address belongs to (one household or phone gets a whole /64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    V4([u8; 4]),
    V6([u8; 8]),
}

impl Network {
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self::V4(v4.octets()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::V4(v4.octets()),
                None => {
                    let o = v6.octets();
                    Self::V6([o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]])
                }
            },
        }
    }
}

/// What a sign request is, judged by the request alone (its network, its
/// form stamp, its honeypot), never by the address it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    /// A bot filled the hidden field: answered as if accepted, nothing stored.
    Honeypot,
    Flagged {
        reason: crate::domain::HoldReason,
        retry_after: Option<Duration>,
    },
}

type Keyed = RateLimiter<(i64, Network), DefaultKeyedStateStore<(i64, Network)>, DefaultClock>;

/// Signatures per petition per network, over one or more windows (GCRA: a
/// burst of N, then one more every window/N).
pub struct SignLimits {
    /// Each limiter with its period (window / N).
    limiters: Vec<(Keyed, Duration)>,
}

impl SignLimits {
    /// `limits` as (signatures, window); empty means no limit.
    pub fn new(limits: &[(u32, Duration)]) -> Self {
        let mut limits = limits.to_vec();
        // Shortest window first: it is the one a burst trips, and a refusal
        // there leaves the longer windows' budget untouched.
        limits.sort_by_key(|(_, window)| *window);
        let limiters = limits
            .iter()
            .filter_map(|&(n, window)| {
                let n = NonZeroU32::new(n)?;
                let period = (window / n.get()).max(Duration::from_nanos(1));
                Quota::with_period(period).map(|q| (RateLimiter::keyed(q.allow_burst(n)), period))
            })
            .collect();
        Self { limiters }
    }

    pub fn enabled(&self) -> bool {
        !self.limiters.is_empty()
    }

    /// Counts one signature from `ip` for a petition. `Err` says how long
    /// to wait before trying again: the period of the limit that refused
    /// (GCRA lets one more through within a period of a refusal). A fixed
    /// figure, not the exact remaining time, so that every refused request
    /// of a network gets the same answer.
    pub fn check(&self, petition_id: i64, ip: IpAddr) -> Result<(), Duration> {
        let key = (petition_id, Network::of(ip));
        for (limiter, period) in &self.limiters {
            if limiter.check_key(&key).is_err() {
                return Err(*period);
            }
        }
        Ok(())
    }

    /// Forgets networks whose limits have fully recovered (memory stays
    /// proportional to recent senders).
    pub fn forget_idle(&self) {
        for (limiter, _) in &self.limiters {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomains_of_listed_domains_are_listed() {
        let list = DomainList::parse("# comment\nmailinator.com\n\nYOPMAIL.fr.  # trailing\n");
        assert!(list.contains("mailinator.com"));
        assert!(list.contains("x.y.mailinator.com"));
        assert!(list.contains("yopmail.fr"));
        assert!(!list.contains("notmailinator.com"));
        assert!(!list.contains("com"));
        assert!(!list.contains("example.org"));
        assert!(DomainList::builtin().contains("guerrillamail.com"));
    }

    #[test]
    fn ipv6_counts_by_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(Network::of(a), Network::of(b));
        assert_ne!(Network::of(a), Network::of(c));
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap();
        assert_eq!(Network::of(mapped), Network::of("203.0.113.7".parse().unwrap()));
    }

    #[test]
    fn a_burst_passes_then_the_network_waits_per_petition() {
        let limits = SignLimits::new(&[(3, Duration::from_secs(60)), (100, Duration::from_secs(86_400))]);
        let ip: IpAddr = "198.51.100.4".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limits.check(1, ip), Ok(()));
        }
        assert_eq!(limits.check(1, ip), Err(Duration::from_secs(20)), "one more every 60 s / 3");
        assert_eq!(limits.check(1, ip), Err(Duration::from_secs(20)), "the same answer each time");
        assert_eq!(limits.check(2, ip), Ok(()), "another petition has its own budget");
        assert_eq!(limits.check(1, "198.51.100.5".parse().unwrap()), Ok(()), "another address too");
        assert!(!SignLimits::new(&[]).enabled());
        assert_eq!(SignLimits::new(&[]).check(1, ip), Ok(()));
    }
}
