//! The values of the chart's bundled Prometheus (`prometheus.*`: the prometheus subchart 27.20.0
//! and its kube-state-metrics 5.33.2), their rules, and the scrape jobs of
//! `prometheus.extraScrapeConfigs`.
//!
//! Only the keys skygen renders are in the model; any other key of the subcharts is an unknown
//! key at its own location (docs/monitoring.md, "Bundled Prometheus", lists what is supported).
//! The rules refuse the sub-subcharts the chart keeps off (alertmanager, node-exporter,
//! pushgateway) and check `extraScrapeConfigs`, which Helm evaluates with `tpl` inside the
//! subchart: skygen understands the three expressions the chart's own text uses and refuses any
//! other template logic rather than passing it to Prometheus as text. Never renders anything.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::merge::Origins;
use super::model::{nullable_string_map, KubeObject, StringMap, Values};
use super::quantity;
use super::rules::{rule, rule_warning};
use crate::diagnostics::Diagnostic;

/// `prometheus.*`: the bundled Prometheus server and kube-state-metrics.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Prometheus {
    /// Render the bundled Prometheus server, kube-state-metrics and the `<fullname>-dcgm-exporter`
    /// scrape Service, as the chart's prometheus subchart does (docs/monitoring.md).
    pub enabled: bool,
    /// Annotate the API server pod with `skypilot.co/*` instead of `prometheus.io/*`, and (with
    /// the chart's scrape jobs) scrape it with a dedicated pod-discovery job.
    pub use_dedicated_scrape_config: Option<bool>,
    /// Add the scrape job of the API server's `/endpoints-metrics` (model-serving metrics).
    pub scrape_endpoint_metrics: Option<bool>,
    /// Scrape jobs appended to the server's `scrape_configs`, as YAML text (a list of jobs).
    /// Null: the chart's jobs (`/gpu-metrics` of the API Service, plus the jobs of
    /// `scrapeEndpointMetrics` and `useDedicatedScrapeConfig`). Of Helm's template syntax only
    /// `{{ include "skypilot.fullname" . }}`, `{{ .Release.Namespace }}` and
    /// `{{ .Release.Name }}` are understood.
    pub extra_scrape_configs: Option<String>,
    /// Accepted for values written for the chart, where it names the API Service in the scrape
    /// target; skygen always scrapes the API Service it renders.
    pub fullname_override: Option<String>,
    pub server: PrometheusServer,
    #[serde(rename = "kube-state-metrics")]
    pub kube_state_metrics: KubeStateMetrics,
    /// Not rendered by skygen: must stay off.
    pub alertmanager: Off,
    /// Not rendered by skygen: must stay off.
    #[serde(rename = "prometheus-node-exporter")]
    pub node_exporter: Off,
    /// Not rendered by skygen: must stay off.
    #[serde(rename = "prometheus-pushgateway")]
    pub pushgateway: Off,
}

impl Prometheus {
    pub fn dedicated_scrape(&self) -> bool {
        self.use_dedicated_scrape_config == Some(true)
    }

    pub fn endpoint_metrics(&self) -> bool {
        self.scrape_endpoint_metrics == Some(true)
    }
}

/// A sub-subchart of the prometheus chart that skygen does not render.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Off {
    pub enabled: bool,
}

/// `prometheus.server.*`: the Prometheus server Deployment and its storage.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct PrometheusServer {
    pub persistent_volume: PrometheusVolume,
    pub ingress: PrometheusIngress,
    /// How long samples are kept (`--storage.tsdb.retention.time`); empty for Prometheus' default.
    pub retention: Option<String>,
    /// Size at which the oldest samples are dropped (`--storage.tsdb.retention.size`, Prometheus
    /// units such as `43GB`); empty for none.
    pub retention_size: Option<String>,
    /// The `global` block of `prometheus.yml` (scrape_interval, scrape_timeout,
    /// evaluation_interval, external_labels…).
    pub global: KubeObject,
    /// `remote_write` targets of `prometheus.yml`, as Prometheus spells them (each with a
    /// `url`, where the expressions of `extraScrapeConfigs` are understood too).
    pub remote_write: Option<Vec<KubeObject>>,
    /// Annotations of the server pod.
    #[schemars(schema_with = "nullable_string_map")]
    pub pod_annotations: Option<StringMap>,
    /// `priorityClassName` of the server pod.
    pub priority_class_name: Option<String>,
    /// Resources of the `prometheus-server` container.
    pub resources: Option<KubeObject>,
    #[schemars(schema_with = "nullable_string_map")]
    pub node_selector: Option<StringMap>,
    pub tolerations: Option<Vec<KubeObject>>,
    pub affinity: Option<KubeObject>,
}

/// `prometheus.server.persistentVolume.*`: the claim that holds the samples.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct PrometheusVolume {
    /// Keep the samples on a PersistentVolumeClaim; off, they live in an `emptyDir` and are lost
    /// with the pod.
    pub enabled: bool,
    /// Requested size, a Kubernetes quantity such as `50Gi`.
    pub size: String,
    /// Storage class of the claim; `-` for `""` (no dynamic provisioning), empty for the
    /// cluster default.
    pub storage_class: Option<String>,
    /// Use this existing claim instead of creating `<release>-prometheus-server`.
    pub existing_claim: Option<String>,
    pub access_modes: Vec<String>,
    #[schemars(schema_with = "nullable_string_map")]
    pub annotations: Option<StringMap>,
}

/// `prometheus.server.ingress.*`: an Ingress to the server's Service (port 80), one rule per
/// host.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct PrometheusIngress {
    pub enabled: bool,
    /// The Ingress class; empty for the cluster's default class.
    pub ingress_class_name: Option<String>,
    #[schemars(schema_with = "nullable_string_map")]
    pub annotations: Option<StringMap>,
    /// Labels added to the server's own.
    #[schemars(schema_with = "nullable_string_map")]
    pub extra_labels: Option<StringMap>,
    /// Host names, one rule each (a `/path` after the host is ignored, as in the subchart).
    pub hosts: Vec<String>,
    /// Path of each rule.
    pub path: String,
    #[schemars(regex(pattern = r"^(Prefix|Exact|ImplementationSpecific)$"))]
    pub path_type: String,
    /// The Ingress `tls` entries (`secretName`, `hosts`), as written.
    pub tls: Option<Vec<KubeObject>>,
}

/// `prometheus.kube-state-metrics.*`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct KubeStateMetrics {
    /// Render kube-state-metrics (the GPU dashboards read `kube_pod_labels` from it).
    pub enabled: bool,
    /// `--metric-labels-allowlist` entries, such as `pods=[skypilot-cluster-name]`.
    pub metric_labels_allowlist: Vec<String>,
    pub resources: Option<KubeObject>,
    #[schemars(schema_with = "nullable_string_map")]
    pub node_selector: Option<StringMap>,
    pub tolerations: Option<Vec<KubeObject>>,
    pub affinity: Option<KubeObject>,
}

/// What `{{ … }}` in `extraScrapeConfigs` may stand for.
pub struct Substitutions<'a> {
    /// `include "skypilot.fullname" .`: the prefix of the API Service's name.
    pub fullname: &'a str,
    pub release: &'a str,
    pub namespace: &'a str,
}

/// Helm's `tpl` for the three expressions the chart's texts use; any other `{{ … }}` is an
/// error saying which. `{{-` and `-}}` trim the whitespace next to them, as in Go templates.
pub fn substitute(text: &str, subs: &Substitutions<'_>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err("`{{` without a closing `}}`".into());
        };
        let body = &after[..end];
        let trim_left = body.starts_with('-') && body[1..].starts_with(char::is_whitespace);
        let trim_right =
            body.ends_with('-') && body[..body.len() - 1].ends_with(char::is_whitespace);
        let inner = body.trim_matches(|c: char| c == '-' || c.is_whitespace());
        let value = match inner.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["include", "\"skypilot.fullname\"", "."] => subs.fullname,
            [".Release.Namespace"] => subs.namespace,
            [".Release.Name"] => subs.release,
            _ => {
                return Err(format!(
                    "the template expression `{{{{ {inner} }}}}` is not evaluated by skygen; only `{{{{ include \"skypilot.fullname\" . }}}}`, `{{{{ .Release.Namespace }}}}` and `{{{{ .Release.Name }}}}` are"
                ))
            }
        };
        if trim_left {
            out.truncate(out.trim_end().len());
        }
        out.push_str(value);
        rest = &after[end + 2..];
        if trim_right {
            rest = rest.trim_start();
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// `extraScrapeConfigs` as scrape jobs: the template expressions replaced ([`substitute`]),
/// then read as a YAML list of mappings. The error says what is wrong, for the key
/// `prometheus.extraScrapeConfigs`.
pub fn extra_jobs(text: &str, subs: &Substitutions<'_>) -> Result<Vec<Value>, String> {
    let out = substitute(text, subs)?;
    let doc = crate::yaml::read_one(&out)
        .map_err(|e| format!("the scrape jobs are not YAML: {}", e.kind))?;
    match doc.value {
        Value::Null => Ok(Vec::new()),
        Value::Array(jobs) => {
            if let Some(bad) = jobs.iter().position(|j| !j.is_object()) {
                return Err(format!(
                    "scrape job {} is {}, not a mapping with a job_name",
                    bad + 1,
                    super::kind_of(&jobs[bad])
                ));
            }
            Ok(jobs)
        }
        other => Err(format!(
            "expected a YAML list of scrape jobs, found {}",
            super::kind_of(&other)
        )),
    }
}

/// Names for checking texts: they only matter for the result, not for whether a text is valid.
const CHECK_SUBS: Substitutions<'static> = Substitutions {
    fullname: "f",
    release: "r",
    namespace: "n",
};

/// # What it checks
/// With `prometheus.enabled`: a warning when `apiService.metrics.enabled` is off; the sub-subcharts skygen does not render (alertmanager,
/// prometheus-node-exporter, prometheus-pushgateway) are off, the server's volume size is a
/// quantity, each `server.remoteWrite` target has a `url`, and `prometheus.extraScrapeConfigs` is a YAML list of jobs using only the template
/// expressions skygen understands.
/// # Why
/// An enabled sub-subchart would silently be missing from the render; a bad size or scrape job
/// would only fail in the cluster, after part of the stream was applied.
/// # Example
/// `--set prometheus.alertmanager.enabled=true`
/// # Fix
/// Leave them off (run Alertmanager or node-exporter yourself), or fix the value named.
pub fn check(v: &Values, origins: &Origins) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let p = &v.prometheus;
    if !p.enabled {
        return out;
    }
    for (pointer, on, what) in [
        (
            "/prometheus/alertmanager/enabled",
            p.alertmanager.enabled,
            "Alertmanager",
        ),
        (
            "/prometheus/prometheus-node-exporter/enabled",
            p.node_exporter.enabled,
            "the node exporter",
        ),
        (
            "/prometheus/prometheus-pushgateway/enabled",
            p.pushgateway.enabled,
            "the Pushgateway",
        ),
    ] {
        if on {
            out.push(
                rule(
                    origins,
                    pointer,
                    format!("{what} of the prometheus chart is not rendered by skygen (the SkyPilot chart keeps it off)"),
                )
                .with_help("set it to false and run it yourself if you need it; see docs/monitoring.md"),
            );
        }
    }
    if !v.api_service.metrics.enabled {
        // The chart's jobs scrape the API server's metrics app, which runs only with
        // `apiService.metrics.enabled` (SKY_API_SERVER_METRICS_ENABLED).
        out.push(
            rule_warning(
                origins,
                "/prometheus/enabled",
                "the bundled Prometheus scrapes the API server's metrics, which are off: its jobs for the API server fail and the SkyPilot dashboards get no API server or GPU data",
            )
            .with_help("set apiService.metrics.enabled=true"),
        );
    }
    let ingress = &p.server.ingress;
    if ingress.enabled && ingress.hosts.is_empty() {
        out.push(
            rule(
                origins,
                "/prometheus/server/ingress/enabled",
                "the Prometheus Ingress needs at least one host in prometheus.server.ingress.hosts; the subchart renders an Ingress without rules, which Kubernetes refuses".into(),
            )
            .with_help("set prometheus.server.ingress.hosts, e.g. [prometheus.example.com]"),
        );
    }
    let pv = &p.server.persistent_volume;
    if pv.enabled && super::rules::non_empty(&pv.existing_claim).is_none() {
        if let Err(e) = quantity::parse(&pv.size) {
            out.push(rule(origins, "/prometheus/server/persistentVolume/size", e));
        }
    }
    for (i, target) in p.server.remote_write.iter().flatten().enumerate() {
        let pointer = format!("/prometheus/server/remoteWrite/{i}/url");
        let problem = match target.get("url") {
            Some(Value::String(url)) => substitute(url, &CHECK_SUBS).err(),
            _ => Some("each remote_write target needs a `url` (text)".to_owned()),
        };
        if let Some(e) = problem {
            out.push(
                rule(origins, &pointer, e)
                    .with_help("write the URL out, e.g. https://mimir.example.com/api/v1/push"),
            );
        }
    }
    if let Some(text) = &p.extra_scrape_configs {
        if let Err(e) = extra_jobs(text, &CHECK_SUBS) {
            out.push(
                rule(origins, "/prometheus/extraScrapeConfigs", e)
                    .with_help("write the scrape jobs out as a YAML list, or remove the key (null) to get the chart's jobs; see docs/monitoring.md"),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBS: Substitutions<'static> = Substitutions {
        fullname: "sky",
        release: "rel",
        namespace: "ops",
    };

    #[test]
    fn the_charts_expressions_are_replaced() {
        let text = "- job_name: x\n  static_configs:\n  - targets: ['{{ include \"skypilot.fullname\" . }}-api-service.{{ .Release.Namespace }}.svc:9090', '{{- .Release.Name -}}']\n";
        let jobs = extra_jobs(text, &SUBS).unwrap();
        assert_eq!(
            jobs[0]["static_configs"][0]["targets"],
            serde_json::json!(["sky-api-service.ops.svc:9090", "rel"])
        );
    }

    #[test]
    fn dashes_trim_whitespace_as_in_go_templates() {
        assert_eq!(
            substitute("a  {{- .Release.Name -}}  b {{ .Release.Name }}", &SUBS).unwrap(),
            "arelb rel"
        );
        // `{{-3}}` is not a trim marker (Go needs the space); it is refused as an expression.
        assert!(substitute("{{-3}}", &SUBS).is_err());
    }

    #[test]
    fn other_template_logic_is_refused() {
        let e = extra_jobs("{{- if .Values.x }}\n- job_name: a\n{{- end }}\n", &SUBS).unwrap_err();
        assert!(e.contains("`{{ if .Values.x }}` is not evaluated"), "{e}");
        assert!(extra_jobs("a: b\n", &SUBS).unwrap_err().contains("list"));
        assert!(extra_jobs("- 3\n", &SUBS).unwrap_err().contains("job 1"));
        assert_eq!(
            extra_jobs("# nothing\n", &SUBS).unwrap(),
            Vec::<Value>::new()
        );
    }
}
