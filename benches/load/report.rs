//! The results table: one line per figure, with its ceiling and target.

use crate::Settings;

/// A line of the results table.
pub(crate) struct Figure {
    measure: String,
    value: String,
    ceiling: String,
    ratio: String,
    target: String,
    met: Option<bool>,
}

impl Figure {
    pub(crate) fn new(measure: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            measure: measure.into(),
            value: value.into(),
            ceiling: String::new(),
            ratio: String::new(),
            target: String::new(),
            met: None,
        }
    }

    pub(crate) fn ceiling(mut self, ceiling: impl Into<String>, ratio: f64) -> Self {
        self.ceiling = ceiling.into();
        self.ratio = format!("{ratio:.2}");
        self
    }

    pub(crate) fn target(mut self, target: impl Into<String>, met: bool) -> Self {
        self.target = target.into();
        self.met = Some(met);
        self
    }
}

pub(crate) fn thousands(n: f64) -> String {
    undersigned::text::thousands(n.round() as i64)
}

/// Prints one database's figures as a Markdown table.
pub(crate) fn print_table(settings: &Settings, label: &str, figures: &[Figure]) {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    println!(
        "\n### {label}\n\n{cores} cores, server and wrk on the same machine, wrk -t2, {} s per run, median of {} runs; \
         command: cargo bench --bench load\n",
        settings.seconds, settings.runs
    );
    println!("| measure | figure | ceiling | ratio | target | met |");
    println!("|---|---|---|---|---|---|");
    for f in figures {
        let met = match f.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "",
        };
        println!("| {} | {} | {} | {} | {} | {met} |", f.measure, f.value, f.ceiling, f.ratio, f.target);
    }
}
