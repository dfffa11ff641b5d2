//! Prometheus metrics: what happened since start (counters, kept in this
//! process) and how things stand (gauges, read from the database when
//! `/metrics` is scraped). HTTP request counts and latency histograms by
//! route come from `actix-web-prom`, registered in the same registry; its
//! route label is the route pattern (`/s/{token}`), never the path.

use prometheus::{Encoder, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};

use crate::abuse::Verdict;

/// Every metric undersigned keeps, in one registry.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Sign requests by what they were judged to be (before the address
    /// is looked up): never split by whether the address had signed.
    pub submissions: IntCounterVec,
    pub confirmations: IntCounter,
    pub mails_sent: IntCounterVec,
    /// Sends that failed (each is retried until its link would expire).
    pub mails_failed: IntCounter,
    /// Signatures by state, set at scrape.
    pub signatures: IntGaugeVec,
    pub outbox_depth: IntGauge,
    pub outbox_oldest_age: IntGauge,
    /// 1 if the last scrape could read the database.
    pub database_up: IntGauge,
}

/// The label values of `undersigned_sign_requests_total` other than a
/// judged request's (see [`Metrics::judged`]).
#[derive(Debug, Clone, Copy)]
pub enum Submission {
    Invalid,
    Disposable,
    Closed,
}

impl Submission {
    fn label(self) -> &'static str {
        match self {
            Self::Invalid => "invalid",
            Self::Disposable => "disposable",
            Self::Closed => "closed",
        }
    }
}

/// The label of a judged sign request: `accepted`, `honeypot`, or the
/// reason it was flagged (`rate_limit`, `too_fast`, `form_stamp`).
fn verdict_label(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Clean => "accepted",
        Verdict::Honeypot => "honeypot",
        Verdict::Flagged { reason, .. } => reason.as_str(),
    }
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let m = Self {
            submissions: IntCounterVec::new(
                Opts::new(
                    "undersigned_sign_requests_total",
                    "Sign requests by verdict (accepted, honeypot, or why flagged) or refusal",
                ),
                &["outcome"],
            )?,
            confirmations: IntCounter::new("undersigned_confirmations_total", "Signatures confirmed by email")?,
            mails_sent: IntCounterVec::new(Opts::new("undersigned_mails_sent_total", "Mails sent"), &["kind"])?,
            mails_failed: IntCounter::new(
                "undersigned_mails_failed_total",
                "Mail sends that failed (retried until their link would expire)",
            )?,
            signatures: IntGaugeVec::new(
                Opts::new("undersigned_signatures", "Signatures by state (held: pending, held for review)"),
                &["state"],
            )?,
            outbox_depth: IntGauge::new("undersigned_outbox_depth", "Mails waiting to be sent")?,
            outbox_oldest_age: IntGauge::new(
                "undersigned_outbox_oldest_age_seconds",
                "Age of the oldest mail waiting to be sent (0 if none)",
            )?,
            database_up: IntGauge::new("undersigned_database_up", "1 if the database answered this scrape")?,
            registry,
        };
        m.registry.register(Box::new(m.submissions.clone()))?;
        m.registry.register(Box::new(m.confirmations.clone()))?;
        m.registry.register(Box::new(m.mails_sent.clone()))?;
        m.registry.register(Box::new(m.mails_failed.clone()))?;
        m.registry.register(Box::new(m.signatures.clone()))?;
        m.registry.register(Box::new(m.outbox_depth.clone()))?;
        m.registry.register(Box::new(m.outbox_oldest_age.clone()))?;
        m.registry.register(Box::new(m.database_up.clone()))?;
        Ok(m)
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn submitted(&self, outcome: Submission) {
        self.submissions.with_label_values(&[outcome.label()]).inc();
    }

    /// Counts a sign request by its verdict, decided from the request alone.
    pub fn judged(&self, verdict: Verdict) {
        self.submissions.with_label_values(&[verdict_label(verdict)]).inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }

    /// Middleware counting HTTP requests and timing them by route pattern.
    pub fn http_middleware(
        &self,
    ) -> Result<actix_web_prom::PrometheusMetrics, Box<dyn std::error::Error + Send + Sync>> {
        actix_web_prom::PrometheusMetricsBuilder::new("undersigned")
            .registry(self.registry.clone())
            .mask_unmatched_patterns("<unmatched>")
            .build()
    }
}
