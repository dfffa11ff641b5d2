//! The machine's CPU time, from /proc/stat: how much of all cores a
//! measurement used, so that a rate can be told as CPU per request
//! against the budget the cores allow.

use std::time::Instant;

/// Linux reports /proc/stat in USER_HZ ticks, 100 a second on every
/// architecture it runs on (`getconf CLK_TCK`).
const TICKS_PER_SECOND: f64 = 100.0;

/// Busy CPU time of all cores so far, and when it was read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CpuClock {
    busy_seconds: f64,
    at: Instant,
}

impl CpuClock {
    pub(crate) fn now() -> Self {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        Self { busy_seconds: busy_ticks(&stat) as f64 / TICKS_PER_SECOND, at: Instant::now() }
    }

    /// Busy core-seconds since `self`, and wall seconds.
    pub(crate) fn elapsed(self) -> (f64, f64) {
        let later = Self::now();
        (later.busy_seconds - self.busy_seconds, later.at.duration_since(self.at).as_secs_f64())
    }
}

/// Busy ticks of all cores from /proc/stat's first line: user, nice,
/// system, irq, softirq and steal (guest time is counted in user already;
/// idle and iowait are not busy).
fn busy_ticks(stat: &str) -> u64 {
    let fields: Vec<u64> =
        stat.lines().next().unwrap_or_default().split_whitespace().skip(1).filter_map(|f| f.parse().ok()).collect();
    [0, 1, 2, 5, 6, 7].iter().filter_map(|&i| fields.get(i)).sum()
}

/// CPU microseconds per item: `items` done in a measurement that kept the
/// cores busy `busy_seconds` in all.
pub(crate) fn micros_per(busy_seconds: f64, items: f64) -> f64 {
    if items > 0.0 { busy_seconds * 1e6 / items } else { f64::NAN }
}
