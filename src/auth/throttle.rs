//! Slowing down password guessing without letting strangers lock organisers out.
//!
//! Failed logins are recorded under keyed hashes of the typed email, the
//! client address (an IPv6 /64 counts as one address) and, when the browser
//! shows a device cookie from an earlier successful login to that account,
//! the device. Over any hour:
//! - an account takes at most 100 failures in all;
//! - clients without a device cookie for it share 80 of them, and each
//!   address at most 30: a stranger can use those up, but not the rest;
//! - each device known to the account has its own 10, so an organiser on a
//!   browser they have signed in from before can still sign in while the
//!   account is under attack.
//!
//! The answer when throttled is the same for every account, known or not.

use std::net::IpAddr;

use crate::db::organisers::RecentFailures;
use crate::keys::Keys;

pub const WINDOW: chrono::TimeDelta = chrono::TimeDelta::hours(1);
pub const ACCOUNT_LIMIT: i64 = 100;
pub const ACCOUNT_UNTRUSTED_LIMIT: i64 = 80;
pub const CLIENT_LIMIT: i64 = 30;
pub const DEVICE_LIMIT: i64 = 10;

/// What throttling is keyed on for one login attempt.
#[derive(Debug, Clone)]
pub struct AttemptKeys {
    pub account: [u8; 32],
    pub client: [u8; 32],
    /// Present when the client showed a valid device cookie for this account.
    pub device: Option<[u8; 32]>,
}

impl AttemptKeys {
    pub fn new(keys: &Keys, typed_email: &str, client: Option<IpAddr>, device_cookie: Option<&str>) -> Self {
        Self {
            account: keys.login_key("account", typed_email.trim().to_lowercase().as_bytes()),
            client: keys.login_key("client", client_prefix(client).as_bytes()),
            device: device_cookie.map(|d| keys.login_key("device", d.as_bytes())),
        }
    }
}

/// An IPv4 address, or the /64 network of an IPv6 address.
pub fn client_prefix(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => "unknown".into(),
    }
}

/// Whether another attempt may be checked now.
pub fn allowed(recent: &RecentFailures, trusted_device: bool) -> bool {
    if recent.account >= ACCOUNT_LIMIT {
        return false;
    }
    if trusted_device {
        recent.device < DEVICE_LIMIT
    } else {
        recent.account_untrusted < ACCOUNT_UNTRUSTED_LIMIT && recent.client < CLIENT_LIMIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(account: i64, account_untrusted: i64, device: i64, client: i64) -> RecentFailures {
        RecentFailures { account, account_untrusted, device, client }
    }

    #[test]
    fn never_more_than_a_hundred_an_hour() {
        assert!(!allowed(&f(100, 80, 0, 0), true));
        assert!(!allowed(&f(100, 0, 0, 0), false));
        assert!(allowed(&f(99, 79, 9, 29), true));
        assert!(allowed(&f(99, 79, 9, 29), false));
    }

    #[test]
    fn strangers_cannot_lock_out_a_known_device() {
        let under_attack = f(80, 80, 0, 30);
        assert!(!allowed(&under_attack, false), "strangers are throttled");
        assert!(allowed(&under_attack, true), "the organiser's own browser is not");
        assert!(!allowed(&f(90, 80, 10, 0), true), "a device has its own limit");
    }

    #[test]
    fn ipv6_networks_count_as_one_client() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_prefix(Some(a)), client_prefix(Some(b)));
        assert_ne!(client_prefix(Some(a)), client_prefix(Some(c)));
        assert_eq!(client_prefix(Some("::ffff:10.0.0.1".parse().unwrap())), "10.0.0.1");
    }
}
