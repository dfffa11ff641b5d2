//! Driving wrk: the Lua scripts (files beside this one), one run, and the
//! median of several.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::median;

/// Prints wrk's summary in one parseable line; every script ends with it.
const REPORT: &str = include_str!("report.lua");

/// A signature with an email no other request uses: run prefix, thread, counter.
const SIGN: &str = include_str!("sign.lua");

/// POSTs confirmation links from a file of tokens, each thread its own share.
const CONFIRM: &str = include_str!("confirm.lua");

/// Signing as `SIGN` does, each connection waiting a fixed time (a fourth
/// argument, in milliseconds) between requests: an offered rate.
const PACE: &str = include_str!("paced.lua");

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Wrk {
    pub(crate) rps: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) errors: u64,
}

fn parse_wrk(output: &str) -> Wrk {
    let line =
        output.lines().find(|l| l.starts_with("RESULT ")).unwrap_or_else(|| panic!("no wrk result in:\n{output}"));
    let field = |name: &str| -> f64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    Wrk {
        rps: field("requests") / (field("duration_us") / 1e6),
        p50_ms: field("p50_us") / 1000.0,
        p99_ms: field("p99_us") / 1000.0,
        errors: (field("status_errors") + field("socket_errors")) as u64,
    }
}

/// A wrk run: script, url, connections, seconds, script arguments.
pub(crate) struct WrkRun {
    pub(crate) script: PathBuf,
    pub(crate) url: String,
    pub(crate) connections: u32,
    pub(crate) seconds: u64,
    pub(crate) args: Vec<String>,
}

impl WrkRun {
    pub(crate) fn spawn(&self) -> std::process::Child {
        Command::new("wrk")
            .args(["-t2", &format!("-c{}", self.connections), &format!("-d{}s", self.seconds), "--timeout", "10s"])
            .arg("-s")
            .arg(&self.script)
            .arg(&self.url)
            .arg("--")
            .args(&self.args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wrk runs")
    }

    pub(crate) fn run(&self) -> Wrk {
        Self::finish(self.spawn())
    }

    pub(crate) fn finish(child: std::process::Child) -> Wrk {
        let out = child.wait_with_output().unwrap();
        parse_wrk(&String::from_utf8_lossy(&out.stdout))
    }
}

/// Several runs of the same measurement: the median of each figure.
pub(crate) fn med(runs: &[Wrk]) -> Wrk {
    Wrk {
        rps: median(runs.iter().map(|r| r.rps).collect()),
        p50_ms: median(runs.iter().map(|r| r.p50_ms).collect()),
        p99_ms: median(runs.iter().map(|r| r.p99_ms).collect()),
        errors: runs.iter().map(|r| r.errors).sum(),
    }
}

/// The scripts, written where wrk can read them.
pub(crate) struct Scripts {
    pub(crate) report: PathBuf,
    pub(crate) sign: PathBuf,
    pub(crate) confirm: PathBuf,
    pub(crate) paced_sign: PathBuf,
}

/// Writes the scripts into `dir`, each followed by the reporting one.
pub(crate) fn write_scripts(dir: &Path) -> Scripts {
    let write = |name: &str, body: &str| {
        let path = dir.join(name);
        std::fs::write(&path, format!("{body}\n{REPORT}")).unwrap();
        path
    };
    Scripts {
        report: write("report.lua", ""),
        sign: write("sign.lua", SIGN),
        confirm: write("confirm.lua", CONFIRM),
        paced_sign: write("paced.lua", &format!("{SIGN}\n{PACE}")),
    }
}
