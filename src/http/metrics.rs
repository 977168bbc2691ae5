//! Prometheus metrics at `/metrics` (text format 0.0.4): HTTP requests by route, method and
//! status with latency histograms; access checks; SAML failures by reason; SCIM errors by
//! `scimType`; and, read at scrape time, each loaded workspace's index revision lag and each
//! webhook's backlog. Counters live in process memory (per instance), as Prometheus expects.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex, OnceLock,
    },
};

use actix_web::{web, HttpResponse};

use super::AppState;

/// Latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

#[derive(Default)]
struct Registry {
    requests: Mutex<BTreeMap<(String, String, u16), Histogram>>,
    saml_failures: Mutex<BTreeMap<&'static str, u64>>,
    scim_errors: Mutex<BTreeMap<String, u64>>,
    checks: AtomicU64,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::default)
}

/// Records one served request (`route` is the matched pattern, never the raw path).
pub fn observe_request(route: &str, method: &str, status: u16, seconds: f64) {
    let mut requests = registry().requests.lock().expect("metrics lock");
    let h = requests
        .entry((route.to_string(), method.to_string(), status))
        .or_default();
    h.count += 1;
    h.sum += seconds;
    for (i, bound) in BUCKETS.iter().enumerate() {
        if seconds <= *bound {
            h.buckets[i] += 1;
        }
    }
}

/// Counts access checks answered.
pub fn count_checks(n: u64) {
    registry().checks.fetch_add(n, Ordering::Relaxed);
}

/// Counts a refused SAML login by reason.
pub fn count_saml_failure(reason: &'static str) {
    *registry()
        .saml_failures
        .lock()
        .expect("metrics lock")
        .entry(reason)
        .or_default() += 1;
}

/// Counts a SCIM error response by `scimType` (or status when there is none).
pub fn count_scim_error(scim_type: Option<&str>, status: u16) {
    let key = scim_type
        .map(str::to_string)
        .unwrap_or_else(|| format!("status_{status}"));
    *registry()
        .scim_errors
        .lock()
        .expect("metrics lock")
        .entry(key)
        .or_default() += 1;
}

fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', " ")
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics));
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let r = registry();
    let mut out = String::new();
    out.push_str("# HELP gatehouse_http_requests_total HTTP requests served.\n# TYPE gatehouse_http_requests_total counter\n");
    let mut latency = String::from("# HELP gatehouse_http_request_duration_seconds Time to serve a request.\n# TYPE gatehouse_http_request_duration_seconds histogram\n");
    {
        let requests = r.requests.lock().expect("metrics lock");
        for ((route, method, status), h) in requests.iter() {
            let labels = format!(
                "route=\"{}\",method=\"{}\",status=\"{status}\"",
                label(route),
                label(method)
            );
            let _ = writeln!(out, "gatehouse_http_requests_total{{{labels}}} {}", h.count);
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    latency,
                    "gatehouse_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                    h.buckets[i]
                );
            }
            let _ = writeln!(
                latency,
                "gatehouse_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                latency,
                "gatehouse_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                latency,
                "gatehouse_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
    }
    out.push_str(&latency);
    let _ = writeln!(out, "# HELP gatehouse_access_checks_total Access checks answered (rate() gives checks per second).\n# TYPE gatehouse_access_checks_total counter\ngatehouse_access_checks_total {}", r.checks.load(Ordering::Relaxed));
    out.push_str("# HELP gatehouse_saml_failures_total Refused SAML logins by reason.\n# TYPE gatehouse_saml_failures_total counter\n");
    for (reason, n) in r.saml_failures.lock().expect("metrics lock").iter() {
        let _ = writeln!(
            out,
            "gatehouse_saml_failures_total{{reason=\"{reason}\"}} {n}"
        );
    }
    out.push_str("# HELP gatehouse_scim_errors_total SCIM error responses by scimType.\n# TYPE gatehouse_scim_errors_total counter\n");
    for (kind, n) in r.scim_errors.lock().expect("metrics lock").iter() {
        let _ = writeln!(
            out,
            "gatehouse_scim_errors_total{{scim_type=\"{}\"}} {n}",
            label(kind)
        );
    }
    // Read at scrape time: how far each loaded index trails the database, and each webhook's
    // undelivered changes.
    out.push_str("# HELP gatehouse_cache_revision_lag Revisions the in-memory index of a workspace trails the database by.\n# TYPE gatehouse_cache_revision_lag gauge\n");
    out.push_str("# HELP gatehouse_webhook_backlog Changes not yet delivered to a webhook.\n# TYPE gatehouse_webhook_backlog gauge\n");
    if let Ok(revisions) = state.store.workspace_revisions().await {
        for (workspace_id, db_revision) in &revisions {
            if let Some(applied) = state.access.cache.loaded_revision(*workspace_id) {
                let _ = writeln!(
                    out,
                    "gatehouse_cache_revision_lag{{workspace=\"{workspace_id}\"}} {}",
                    (db_revision - applied).max(0)
                );
            }
        }
        if let Ok(webhooks) = state.store.webhooks(None).await {
            for w in webhooks {
                let revision = revisions
                    .iter()
                    .find(|(id, _)| *id == w.workspace_id)
                    .map(|(_, r)| *r)
                    .unwrap_or(0);
                let _ = writeln!(
                    out,
                    "gatehouse_webhook_backlog{{webhook=\"{}\"}} {}",
                    w.id,
                    (revision - w.cursor_revision).max(0)
                );
            }
        }
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(out)
}
