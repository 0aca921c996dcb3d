//! Rules of the existing-stack monitoring mode (`monitoring.*`, skygen's own keys): what the
//! PodMonitor, the dashboards and the NetworkPolicy need from the rest of the values, and the
//! switches that follow `monitoring.serviceMonitor.enabled` unless set.
//!
//! Takes the typed [`Values`] after the edge normalization; returns diagnostics. It never
//! renders anything: `render::monitoring` reads [`dashboards_on`] and [`network_policy_on`].
//! See: #14, docs/monitoring.md.

use super::merge::Origins;
use super::model::Values;
use crate::diagnostics::{Code, Diagnostic};

/// The port the API server's metrics app listens on, whatever `apiService.metrics.port` says:
/// the chart never passes `--metrics-port`, and the server's default is 9090.
pub const SERVER_METRICS_PORT: i64 = 9090;

/// The dashboard ConfigMaps are rendered: `monitoring.dashboards.enabled`, or when unset,
/// `monitoring.serviceMonitor.enabled`.
pub fn dashboards_on(v: &Values) -> bool {
    let m = &v.monitoring;
    m.dashboards.enabled.unwrap_or(m.service_monitor.enabled)
}

/// The metrics NetworkPolicy is rendered (same default as [`dashboards_on`]).
pub fn network_policy_on(v: &Values) -> bool {
    let m = &v.monitoring;
    m.network_policy
        .enabled
        .unwrap_or(m.service_monitor.enabled)
}

/// Run every monitoring rule and return all findings.
pub fn check(v: &Values, origins: &Origins) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let at = |d: Diagnostic, pointer: &str, help: &str| {
        super::rules::at_key(d, origins, pointer).with_help(help)
    };
    let error = |pointer: &str, message: String, help: &str| {
        at(Diagnostic::error(Code::Rule, message), pointer, help)
    };
    let warning = |pointer: &str, message: String, help: &str| {
        at(Diagnostic::warning(Code::Rule, message), pointer, help)
    };
    let sm = &v.monitoring.service_monitor;
    let on = "/monitoring/serviceMonitor/enabled";

    // # What it checks
    // The PodMonitor has something to scrape: `apiService.metrics.enabled` starts the metrics
    // app and declares its port; on 9090, where the server listens.
    // # Why
    // Without it the PodMonitor finds no port named `metrics` and scrapes nothing, silently.
    // Turning metrics on here would change the API server pod behind the user's back.
    if sm.enabled && !v.api_service.metrics.enabled {
        out.push(error(
            on,
            "the PodMonitor needs the API server's metrics app, and apiService.metrics.enabled is false".into(),
            "set apiService.metrics.enabled=true (the API server pod restarts with the metrics app on port 9090)",
        ));
    }
    if sm.enabled
        && v.api_service.metrics.enabled
        && v.api_service.metrics.port != SERVER_METRICS_PORT
    {
        out.push(error(
            "/apiService/metrics/port",
            format!(
                "the API server serves metrics on port {SERVER_METRICS_PORT} whatever apiService.metrics.port says; {} would be scraped in vain",
                v.api_service.metrics.port
            ),
            "set apiService.metrics.port=9090",
        ));
    }

    // # What it checks
    // The existing-stack objects are not mixed with the chart's bundled Prometheus or Grafana.
    // # Why
    // The dashboard ConfigMaps have the same names in both modes (so a migration keeps them),
    // the federated endpoints would be scraped twice, and the NetworkPolicy admits only the
    // monitoring namespace, not the bundled Prometheus in the release namespace.
    let existing = sm.enabled || dashboards_on(v) || network_policy_on(v);
    for (bundled, pointer) in [
        (v.prometheus.enabled, "/prometheus/enabled"),
        (v.grafana.enabled, "/grafana/enabled"),
    ] {
        if existing && bundled {
            out.push(error(
                pointer,
                format!(
                    "the chart's bundled {} cannot be combined with the existing-stack objects of monitoring.*",
                    if pointer.contains("grafana") { "Grafana" } else { "Prometheus" }
                ),
                "pick one mode: turn off monitoring.serviceMonitor (and monitoring.dashboards / monitoring.networkPolicy), or the bundled prometheus and grafana; see docs/monitoring.md",
            ));
        }
    }
    if !sm.enabled {
        return out;
    }

    if sm.labels.as_ref().is_none_or(|l| l.0.is_empty()) {
        out.push(warning(
            "/monitoring/serviceMonitor/labels",
            "the PodMonitor has no labels; kube-prometheus-stack's Prometheus picks up only PodMonitors labelled release=<its release name>".into(),
            "set monitoring.serviceMonitor.labels.release to the name kube-prometheus-stack was installed as (or ignore this if your podMonitorSelector selects everything)",
        ));
    }

    // # What it checks
    // Each scrape's timeout is at most its interval (Prometheus refuses the whole configuration
    // otherwise, which stops every scrape the operator manages).
    let mut scrapes = vec![(
        sm.interval.as_deref(),
        sm.scrape_timeout.as_deref(),
        "/monitoring/serviceMonitor",
    )];
    for (f, p) in [
        (&sm.gpu_metrics, "/monitoring/serviceMonitor/gpuMetrics"),
        (
            &sm.endpoints_metrics,
            "/monitoring/serviceMonitor/endpointsMetrics",
        ),
    ] {
        if f.enabled {
            scrapes.push((
                Some(f.interval.as_str()),
                Some(f.scrape_timeout.as_str()),
                p,
            ));
        }
    }
    for (interval, timeout, base) in scrapes {
        let (Some(i), Some(t)) = (interval.and_then(seconds), timeout.and_then(seconds)) else {
            continue;
        };
        if t > i {
            out.push(error(
                &format!("{base}/scrapeTimeout"),
                format!(
                    "the scrape timeout {} is longer than its interval {}; Prometheus refuses such a configuration",
                    timeout.unwrap_or_default(),
                    interval.unwrap_or_default()
                ),
                &format!(
                    "lower {0}.scrapeTimeout or raise {0}.interval",
                    base[1..].replace('/', ".")
                ),
            ));
        }
    }

    // # What it checks
    // With several API server pods, the federated endpoints are scraped once per pod.
    // # Why
    // Every pod federates the same series; with `honorLabels` they arrive identical from each
    // target (Prometheus logs duplicate samples and keeps one).
    let federating = sm.gpu_metrics.enabled || sm.endpoints_metrics.enabled;
    if federating && v.api_service.replicas.is_some_and(|r| r > 1) {
        out.push(warning(
            "/apiService/replicas",
            "with more than one API server pod the PodMonitor scrapes the federated /gpu-metrics and /endpoints-metrics once per pod; the same series arrive from every pod".into(),
            "set monitoring.serviceMonitor.gpuMetrics.enabled=false (and endpointsMetrics) and scrape <fullname>-api-service:9090 with one static target (a ScrapeConfig) instead",
        ));
    }
    out
}

/// Seconds of a Prometheus duration (`1h30m`, `45s`, `500ms`); `None` if it is not one (the
/// schema's pattern reports that).
fn seconds(text: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let n: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let scale = match &rest[..unit] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            "w" => 604800.0,
            "y" => 31536000.0,
            "" if text == "0" => 0.0,
            _ => return None,
        };
        total += n * scale;
        rest = &rest[unit..];
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::seconds;

    #[test]
    fn durations_read_as_prometheus_does() {
        assert_eq!(seconds("45s"), Some(45.0));
        assert_eq!(seconds("1m30s"), Some(90.0));
        assert_eq!(seconds("1h"), Some(3600.0));
        assert_eq!(seconds("500ms"), Some(0.5));
        assert_eq!(seconds("0"), Some(0.0));
        assert_eq!(seconds("10"), None);
        assert_eq!(seconds("s"), None);
    }
}
