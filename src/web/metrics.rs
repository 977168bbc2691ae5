//! Prometheus metrics at `/metrics` (text format 0.0.4) on the separate metrics listener
//! (`GATEHOUSE_METRICS_BIND`, off by default; never the public listener, since series name
//! workspaces and webhooks): HTTP requests by route, method and status with latency
//! histograms; access checks; SAML failures by reason; SCIM errors by `scimType`; and, read at
//! scrape time, each loaded workspace's index revision lag and each webhook's backlog.
//! Counters live in process memory (per instance), as Prometheus expects.

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

/// Writes one metric family: its HELP and TYPE lines, then every sample, together (the text
/// format wants a family's lines in one group).
fn family(out: &mut String, name: &str, kind: &str, help: &str, samples: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    out.push_str(samples);
}

/// Served on the metrics listener only (`GATEHOUSE_METRICS_BIND`), never on the public one:
/// series name workspaces and webhooks by id.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics));
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(render(&state).await)
}

/// The whole exposition.
pub async fn render(state: &AppState) -> String {
    let r = registry();
    let mut out = String::new();
    let (mut requests, mut latency) = (String::new(), String::new());
    for ((route, method, status), h) in r.requests.lock().expect("metrics lock").iter() {
        let labels = format!(
            "route=\"{}\",method=\"{}\",status=\"{status}\"",
            label(route),
            label(method)
        );
        let _ = writeln!(
            requests,
            "gatehouse_http_requests_total{{{labels}}} {}",
            h.count
        );
        for (i, bound) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                latency,
                "gatehouse_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                h.buckets[i]
            );
        }
        let _ = writeln!(
            latency,
            "gatehouse_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n\
             gatehouse_http_request_duration_seconds_sum{{{labels}}} {}\n\
             gatehouse_http_request_duration_seconds_count{{{labels}}} {}",
            h.count, h.sum, h.count
        );
    }
    family(
        &mut out,
        "gatehouse_http_requests_total",
        "counter",
        "HTTP requests served.",
        &requests,
    );
    family(
        &mut out,
        "gatehouse_http_request_duration_seconds",
        "histogram",
        "Time to serve a request.",
        &latency,
    );
    family(
        &mut out,
        "gatehouse_access_checks_total",
        "counter",
        "Access checks answered (rate() gives checks per second).",
        &format!(
            "gatehouse_access_checks_total {}\n",
            r.checks.load(Ordering::Relaxed)
        ),
    );
    let mut samples = String::new();
    for (reason, n) in r.saml_failures.lock().expect("metrics lock").iter() {
        let _ = writeln!(
            samples,
            "gatehouse_saml_failures_total{{reason=\"{reason}\"}} {n}"
        );
    }
    family(
        &mut out,
        "gatehouse_saml_failures_total",
        "counter",
        "Refused SAML logins by reason.",
        &samples,
    );
    let mut samples = String::new();
    for (kind, n) in r.scim_errors.lock().expect("metrics lock").iter() {
        let _ = writeln!(
            samples,
            "gatehouse_scim_errors_total{{scim_type=\"{}\"}} {n}",
            label(kind)
        );
    }
    family(
        &mut out,
        "gatehouse_scim_errors_total",
        "counter",
        "SCIM error responses by scimType.",
        &samples,
    );
    // Read at scrape time: how far each loaded index trails the database, and each webhook's
    // undelivered changes (ids and counts only: no webhook secret is read).
    let mut samples = String::new();
    if let Ok(revisions) = state.store.workspace_revisions().await {
        for (workspace_id, db_revision) in &revisions {
            if let Some(applied) = state.access.cache.loaded_revision(*workspace_id) {
                let _ = writeln!(
                    samples,
                    "gatehouse_cache_revision_lag{{workspace=\"{workspace_id}\"}} {}",
                    (db_revision - applied).max(0)
                );
            }
        }
    }
    family(
        &mut out,
        "gatehouse_cache_revision_lag",
        "gauge",
        "Revisions the in-memory index of a workspace trails the database by.",
        &samples,
    );
    let mut samples = String::new();
    if let Ok(backlogs) = state.store.webhook_backlogs().await {
        for (webhook_id, backlog) in backlogs {
            let _ = writeln!(
                samples,
                "gatehouse_webhook_backlog{{webhook=\"{webhook_id}\"}} {}",
                backlog.max(0)
            );
        }
    }
    family(
        &mut out,
        "gatehouse_webhook_backlog",
        "gauge",
        "Changes not yet delivered to a webhook.",
        &samples,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_family_is_one_group_of_lines() {
        let mut out = String::new();
        family(
            &mut out,
            "a_total",
            "counter",
            "A.",
            "a_total{x=\"1\"} 1\na_total{x=\"2\"} 2\n",
        );
        family(&mut out, "b", "gauge", "B.", "");
        family(&mut out, "c", "gauge", "C.", "c 3\n");
        assert_eq!(
            out,
            "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 1\na_total{x=\"2\"} 2\n\
             # HELP b B.\n# TYPE b gauge\n# HELP c C.\n# TYPE c gauge\nc 3\n"
        );
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c d");
    }
}
