//! The repeats phase: the same addresses submitted over and over (people
//! who sign again while their mail is slow, or an opponent replaying known
//! addresses), beside new signatures measured in the same run; then new
//! signers while a steady flood of repeats runs beside them.

use crate::Bench;
use crate::report::{Figure, thousands};
use crate::wrk::{Wrk, WrkRun};

/// Addresses the repeats cycle through, each signed (pending) beforehand.
const POOL: usize = 1_000;
/// The flood beside new signers: repeats offered per second, over this
/// many connections (each paced, see `paced.lua`). 2,000/s is what repeats
/// reached before they went through the batch (issue 17).
const FLOOD_RATE: f64 = 2_000.0;
const FLOOD_CONNECTIONS: u32 = 16;
/// The targets (issue 17).
const REPEAT_RATIO: f64 = 0.7;
const UNAFFECTED: f64 = 0.2;

impl Bench<'_> {
    pub(crate) fn repeats(&mut self, base: &str, db: &undersigned::db::Db) {
        let conns = self.settings.connections;
        let path = "/api/v1/petitions/bench/signatures";
        let pool = POOL.to_string();
        eprintln!("  repeats");
        self.settle(db);
        // Every address of the pool signs once (pending, mailed) first.
        let seed = WrkRun { seconds: 2, ..self.wrk(&self.scripts.sign, base, path, conns, Vec::new()) };
        let seed =
            WrkRun { args: vec!["again".into(), "json".into(), String::new(), String::new(), pool.clone()], ..seed };
        assert_eq!(seed.run().errors, 0, "seeding the repeats failed");
        let new = self
            .repeat(|i| self.wrk(&self.scripts.sign, base, path, conns, vec![format!("new{i}"), "json".into()]).run());
        let again = self.repeat(|_| {
            let args = vec!["again".into(), "json".into(), String::new(), String::new(), pool.clone()];
            self.wrk(&self.scripts.sign, base, path, conns, args).run()
        });
        assert_eq!(new.errors + again.errors, 0, "signing failed");
        self.figures.push(
            Figure::new(
                format!(
                    "repeats: the same {POOL} pending addresses again and again, {conns} connections (submissions/s)"
                ),
                format!("{} (p99 {:.1} ms)", thousands(again.rps), again.p99_ms),
            )
            .ceiling(format!("new signatures: {} (p99 {:.1} ms)", thousands(new.rps), new.p99_ms), again.rps / new.rps)
            .target(format!("≥ {REPEAT_RATIO} × new signatures"), again.rps >= REPEAT_RATIO * new.rps),
        );
        self.settle(db);
        let pause_ms = f64::from(FLOOD_CONNECTIONS) * 1000.0 / FLOOD_RATE;
        let runs: Vec<(Wrk, Wrk)> = (0..self.settings.runs)
            .map(|i| {
                let flood_args =
                    vec!["again".into(), "json".into(), String::new(), format!("{pause_ms:.1}"), pool.clone()];
                let flood = self.wrk(&self.scripts.paced_sign, base, path, FLOOD_CONNECTIONS, flood_args).spawn();
                let signing =
                    self.wrk(&self.scripts.sign, base, path, conns, vec![format!("beside{i}"), "json".into()]).run();
                (signing, WrkRun::finish(flood))
            })
            .collect();
        let beside = crate::wrk::med(&runs.iter().map(|r| r.0).collect::<Vec<_>>());
        let flood = crate::wrk::med(&runs.iter().map(|r| r.1).collect::<Vec<_>>());
        assert_eq!(beside.errors + flood.errors, 0, "signing failed");
        let unaffected = beside.rps >= (1.0 - UNAFFECTED) * new.rps && beside.p99_ms <= (1.0 + UNAFFECTED) * new.p99_ms;
        self.figures.push(
            Figure::new(
                format!(
                    "new signatures while {} repeats/s arrive ({FLOOD_CONNECTIONS} connections), {conns} connections (signatures/s)",
                    thousands(flood.rps)
                ),
                format!("{} (p99 {:.1} ms)", thousands(beside.rps), beside.p99_ms),
            )
            .ceiling(format!("new signatures alone: {} (p99 {:.1} ms)", thousands(new.rps), new.p99_ms), beside.rps / new.rps)
            .target("within 20 % of alone (throughput and p99)", unaffected),
        );
    }
}
