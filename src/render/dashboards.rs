//! skygen's own Grafana dashboards (issue #14), one per dashboard the upstream chart ships. The
//! JSON lives in `dashboards/` and is embedded here; the ConfigMap names, data keys, `uid`s and
//! titles are the chart's, so links and bookmarks survive a take-over from Helm. Both monitoring
//! modes use this one list: the bundled Grafana (label `grafana_dashboard: "true"`) and an
//! existing kube-prometheus-stack Grafana (its sidecar's default label value `"1"`).
//!
//! The JSON is generated from the short descriptions in `dashboards/spec/` (panels, PromQL,
//! units) and checked by `tests/dashboards.rs`; docs/monitoring.md says what each one shows.

/// One dashboard and the ConfigMap that carries it.
#[derive(Clone, Copy, Debug)]
pub struct Dashboard {
    /// The ConfigMap is named `<fullname>-<configmap_suffix>`.
    pub configmap_suffix: &'static str,
    /// The key under the ConfigMap's `data` (the file name Grafana's sidecar writes).
    pub data_key: &'static str,
    /// The chart's `uid` and title: the render takes them from the JSON; they are listed here
    /// so a test holds each file to them (a changed uid breaks every link to the dashboard).
    #[cfg_attr(not(test), allow(dead_code))]
    pub uid: &'static str,
    #[cfg_attr(not(test), allow(dead_code))]
    pub title: &'static str,
    /// Shipped only with `prometheus.scrapeEndpointMetrics` (the upstream chart's gate).
    pub needs_endpoint_metrics: bool,
    /// The dashboard JSON, as committed under `dashboards/`.
    pub json: &'static str,
}

macro_rules! dashboard {
    ($suffix:literal, $key:literal, $uid:literal, $title:literal, $endpoint:literal) => {
        Dashboard {
            configmap_suffix: $suffix,
            data_key: $key,
            uid: $uid,
            title: $title,
            needs_endpoint_metrics: $endpoint,
            json: include_str!(concat!("../../dashboards/", $key)),
        }
    };
}

/// Every dashboard, in the order the chart's templates render them.
pub const DASHBOARDS: &[Dashboard] = &[
    dashboard!(
        "api-server-overview-dashboard",
        "api-server-overview.json",
        "skypilot-apiserver-overview",
        "SkyPilot API Server",
        false
    ),
    dashboard!(
        "compute-overview-dashboard",
        "compute-overview-dashboard.json",
        "skypilot-compute-overview",
        "SkyPilot History",
        false
    ),
    dashboard!(
        "dcgm-cluster-dashboard",
        "dcgm-cluster-dashboard.json",
        "skypilot-dcgm-cluster-dashboard",
        "SkyPilot DCGM Kubernetes Cluster Dashboard",
        false
    ),
    dashboard!(
        "dcgm-skycluster-dashboard",
        "dcgm-skycluster-dashboard.json",
        "skypilot-dcgm-gpu",
        "SkyPilot DCGM GPU Metrics",
        false
    ),
    dashboard!(
        "autoscaling-dashboard",
        "autoscaling-dashboard.json",
        "skypilot-autoscaling",
        "SkyPilot Endpoint Autoscaling",
        true
    ),
    dashboard!(
        "vllm-serving-dashboard",
        "vllm-serving-dashboard.json",
        "skypilot-vllm-serving",
        "SkyPilot vLLM Serving Metrics",
        true
    ),
];

#[cfg(test)]
mod tests {
    use super::DASHBOARDS;

    /// The uids and titles are the upstream chart's (as in Helm's render,
    /// tests/fixtures/reference/monitoring.helm-output.yaml); each file must say the same.
    #[test]
    fn every_file_carries_its_listed_uid_and_title() {
        for d in DASHBOARDS {
            let json: serde_json::Value = serde_json::from_str(d.json).expect(d.data_key);
            assert_eq!(json["uid"], d.uid, "{}", d.data_key);
            assert_eq!(json["title"], d.title, "{}", d.data_key);
        }
    }
}
