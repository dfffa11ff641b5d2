//! The chart of confirmed signatures per day, drawn on the server as SVG so
//! that it needs no script, with the same figures as a table beside it.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

/// Longer periods are drawn week by week.
const MAX_DAILY_BARS: i64 = 92;

pub const WIDTH: i64 = 720;
pub const HEIGHT: i64 = 240;
const LEFT: i64 = 56;
const BOTTOM: i64 = 28;
const TOP: i64 = 12;

pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
    pub label: String,
    pub value: i64,
}

pub struct Chart {
    pub bars: Vec<Bar>,
    pub max: i64,
    /// "day" or "week".
    pub unit: &'static str,
    pub first: String,
    pub last: String,
    pub baseline: i64,
    pub left: i64,
    pub top: i64,
}

impl Chart {
    /// Bars from `from` to `to` (inclusive), zero where nothing was confirmed.
    pub fn new(daily: &BTreeMap<NaiveDate, i64>, from: NaiveDate, to: NaiveDate) -> Self {
        let to = to.max(from);
        let days = (to - from).num_days() + 1;
        let weekly = days > MAX_DAILY_BARS;
        let mut buckets: BTreeMap<NaiveDate, i64> = BTreeMap::new();
        let bucket = |d: NaiveDate| {
            if weekly { d - chrono::TimeDelta::days(i64::from(d.weekday().num_days_from_monday())) } else { d }
        };
        let mut d = from;
        while d <= to {
            buckets.entry(bucket(d)).or_default();
            d += chrono::TimeDelta::days(1);
        }
        for (day, n) in daily.range(from..=to) {
            *buckets.entry(bucket(*day)).or_default() += n;
        }
        let max = buckets.values().copied().max().unwrap_or(0).max(1);
        let count = i64::try_from(buckets.len()).unwrap_or(1).max(1);
        let plot_width = WIDTH - LEFT - 8;
        let plot_height = HEIGHT - BOTTOM - TOP;
        let step = (plot_width / count).max(1);
        let bars = buckets
            .iter()
            .enumerate()
            .map(|(i, (day, n))| {
                let height = n.max(&0) * plot_height / max;
                Bar {
                    x: LEFT + i64::try_from(i).unwrap_or(0) * step,
                    y: TOP + plot_height - height,
                    width: (step - 1).max(1),
                    height,
                    label: day.format("%-d %b %Y").to_string(),
                    value: *n,
                }
            })
            .collect();
        Self {
            bars,
            max,
            unit: if weekly { "week" } else { "day" },
            first: from.format("%-d %b %Y").to_string(),
            last: to.format("%-d %b %Y").to_string(),
            baseline: HEIGHT - BOTTOM,
            left: LEFT,
            top: TOP,
        }
    }

    pub fn width(&self) -> i64 {
        WIDTH
    }

    pub fn height(&self) -> i64 {
        HEIGHT
    }

    pub fn right(&self) -> i64 {
        WIDTH - 8
    }

    pub fn label_y(&self) -> i64 {
        HEIGHT - 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn one_bar_per_day_scaled_to_the_highest() {
        let daily = BTreeMap::from([(day(2), 10), (day(4), 5)]);
        let chart = Chart::new(&daily, day(1), day(5));
        assert_eq!(chart.unit, "day");
        assert_eq!(chart.bars.iter().map(|b| b.value).collect::<Vec<_>>(), [0, 10, 0, 5, 0]);
        let tallest = &chart.bars[1];
        assert_eq!(tallest.y, TOP, "the highest bar reaches the top");
        assert_eq!(chart.bars[3].height * 2, tallest.height);
        assert_eq!(chart.bars[0].height, 0);
    }

    #[test]
    fn long_periods_are_weekly() {
        let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let daily = BTreeMap::from([(from, 3), (from + chrono::TimeDelta::days(1), 4)]);
        let chart = Chart::new(&daily, from, from + chrono::TimeDelta::days(200));
        assert_eq!(chart.unit, "week");
        assert!(chart.bars.len() <= 30);
        assert_eq!(chart.bars.iter().map(|b| b.value).sum::<i64>(), 7);
    }
}
