//! The value parsers every setting is read with: durations, numbers, on/off,
//! lists, rate limits. Each returns the problem as a sentence; `parse_with`
//! adds the variable's name.

use std::str::FromStr;
use std::time::Duration;

use super::ConfigError;

/// How settings are looked up by name (the environment, or a test's map).
pub(super) type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A variable's value, trimmed; None if unset or blank.
pub(super) fn get(lookup: Lookup<'_>, var: &str) -> Option<String> {
    lookup(var).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// `var` parsed by `parse`, or `default` if unset; a problem names `var`.
pub(super) fn parse_with<T>(
    lookup: Lookup<'_>,
    var: &'static str,
    default: T,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    match get(lookup, var) {
        None => Ok(default),
        Some(v) => parse(&v).map_err(|problem| ConfigError { var, problem }),
    }
}

/// Any duration humantime reads: `30s`, `10m`, `7d`.
pub(super) fn duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (expected a duration like 30s, 10m, 7d)"))
}

/// A duration from `min` to `max` inclusive.
pub(super) fn duration_within(min: Duration, max: Duration) -> impl FnOnce(&str) -> Result<Duration, String> {
    move |s| {
        let d = duration(s)?;
        if d < min || d > max {
            Err(format!(
                "must be from {} to {}, got {s:?}",
                humantime::format_duration(min),
                humantime::format_duration(max)
            ))
        } else {
            Ok(d)
        }
    }
}

/// `on`/`off` (or true/false, yes/no, 1/0), in any case.
pub(super) fn on_off(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        _ => Err(format!("expected on or off, got {s:?}")),
    }
}

/// A whole number from `min` to `max` inclusive.
pub(super) fn number<T>(min: T, max: T) -> impl FnOnce(&str) -> Result<T, String>
where
    T: FromStr + PartialOrd + std::fmt::Display + Copy,
{
    move |s| match s.parse::<T>() {
        Ok(n) if n >= min && n <= max => Ok(n),
        _ => Err(format!("expected a whole number from {min} to {max}, got {s:?}")),
    }
}

/// SIGN_RATE_LIMIT when unset.
pub(super) const DEFAULT_RATE_LIMITS: &str = "30/10m,300/1d";

/// `30/10m,300/1d`, or `off`.
pub(super) fn rate_limits(s: &str) -> Result<Vec<(u32, Duration)>, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(str::trim)
        .map(|part| {
            let (n, window) = part.split_once('/').ok_or_else(|| format!("{part:?} is not like 30/10m"))?;
            let n: u32 =
                n.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| format!("{n:?} is not a count above 0"))?;
            let window = duration_within(Duration::from_secs(1), Duration::from_secs(366 * 86_400))(window.trim())?;
            Ok((n, window))
        })
        .collect()
}

/// TRUSTED_PROXIES: addresses or CIDRs, comma-separated (an address alone is
/// its own /32 or /128).
pub(super) fn networks(s: &str) -> Result<Vec<ipnet::IpNet>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("{p:?} is not an address or CIDR (e.g. 10.0.0.1, 10.0.0.0/8, ::1)"))
        })
        .collect()
}
