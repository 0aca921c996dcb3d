//! Facts for the bundled Grafana (the grafana subchart 9.2.2, Grafana 12.0.1) and the chart's
//! own Grafana objects (the Prometheus datasource, the dashboard ConfigMaps, the authenticated
//! Ingress and the `/grafana` path of a unified Ingress). Computed once here so
//! `templates/grafana/*.yaml` and `templates/skypilot/grafana.yaml` only decide structure.
//!
//! As for the bundled ingress-nginx, Helm's own label (`helm.sh/chart`) is left out, the
//! subchart's `helm test` objects are not rendered, and nothing is random: the admin password is
//! the user's (`adminPassword`, `admin.existingSecret`, or a Secret they create), and the
//! `checksum/*` pod annotations are SHA-256 sums of the canonical JSON of the `data` skygen
//! renders (docs/helm-compat.md). See: #14.

use std::fmt::Write as _;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::dashboards::DASHBOARDS;
use crate::values::model::{KubeObject, ServiceType, Values};
use crate::values::resolve::Names;
use crate::values::rules::non_empty;
use crate::values::Validated;

/// The subchart's `appVersion`: the Grafana image tag and the `app.kubernetes.io/version` label
/// unless `grafana.image.tag` is set.
pub const APP_VERSION: &str = "12.0.1";
/// Images of the subchart's defaults (registry first, so `global.imageRegistry` replaces it).
const GRAFANA_IMAGE: (&str, &str) = ("docker.io", "grafana/grafana");
const SIDECAR_IMAGE: (&str, &str) = ("quay.io", "kiwigrid/k8s-sidecar:1.30.0");
const CHOWN_IMAGE: (&str, &str) = ("docker.io", "library/busybox:1.31.1");
/// Where the dashboard sidecar writes the dashboards it finds, and its provider file.
const DASHBOARD_FOLDER: &str = "/tmp/dashboards";
/// The chart labels its dashboard and datasource ConfigMaps for the sidecars with this value.
const SIDECAR_LABEL_VALUE: &str = "true";

/// The subchart's `grafana.ini` defaults, under the chart's and the user's.
fn default_ini(v: &Values) -> Value {
    // The subchart's own `server.domain` is a template: the first host of its Ingress, or `''`.
    let g = &v.grafana;
    let domain = match (&g.ingress.hosts, g.ingress.enabled) {
        (Some(hosts), true) if !hosts.is_empty() => hosts[0].clone(),
        (None, true) => "chart-example.local".to_owned(),
        _ => "''".to_owned(),
    };
    json!({
        "paths": {
            "data": "/var/lib/grafana/",
            "logs": "/var/log/grafana",
            "plugins": "/var/lib/grafana/plugins",
            "provisioning": "/etc/grafana/provisioning",
        },
        "analytics": {"check_for_updates": true},
        "log": {"mode": "console"},
        "grafana_net": {"url": "https://grafana.net"},
        "server": {"domain": domain},
    })
}

/// A value as Go's `fmt` prints it in `key = value` (Helm reads numbers in values files as
/// float64: `1e+06`, `0.5`, `30`), lists as JSON, null as nothing.
fn ini_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) => go_float(f),
            None => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// Go's `%v` of a float64 (strconv's `'g'` with the shortest digits): exponent form when the
/// decimal exponent is below -4 or at least 6.
fn go_float(f: f64) -> String {
    if f == 0.0 {
        return "0".into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits, like Go's shortest formatting.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` always has an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` writes a decimal exponent");
    if (-4..6).contains(&exp) {
        return format!("{f}");
    }
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

/// The subchart's `grafana.ini` text: top-level entries first, then `[section]`s, keys in
/// byte order (Go ranges over maps sorted), one `key = value` line each.
fn ini(merged: &Map<String, Value>) -> String {
    let mut keys: Vec<&String> = merged.keys().collect();
    keys.sort();
    let mut out = String::new();
    for k in &keys {
        if !merged[*k].is_object() {
            let _ = writeln!(out, "{k} = {}", ini_text(&merged[*k]));
        }
    }
    for k in &keys {
        if let Value::Object(section) = &merged[*k] {
            let _ = writeln!(out, "[{k}]");
            let mut inner: Vec<&String> = section.keys().collect();
            inner.sort();
            for e in inner {
                let _ = writeln!(out, "{e} = {}", ini_text(&section[e]));
            }
        }
    }
    out
}

/// Is `s` safe as a plain YAML scalar that reads back as the same text (YAML 1.1 and 1.2)?
fn plain_safe(s: &str) -> bool {
    let words = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    ];
    !s.is_empty()
        && !words.contains(&s.to_ascii_lowercase().as_str())
        && s.parse::<f64>().is_err()
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_.-".contains(c))
}

/// YAML as Helm's `toYaml` writes it (keys sorted, list items at their key's indentation,
/// two spaces per level), for the dashboard provider files. Text that is not plain-safe is
/// written as a JSON string, which YAML reads the same.
fn go_yaml(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for k in keys {
                let key = scalar(&Value::String(k.clone()));
                match &map[k] {
                    Value::Object(m) if !m.is_empty() => {
                        let _ = writeln!(out, "{pad}{key}:");
                        go_yaml(&map[k], indent + 2, out);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        let _ = writeln!(out, "{pad}{key}:");
                        go_yaml(&map[k], indent, out);
                    }
                    other => {
                        let _ = writeln!(out, "{pad}{key}: {}", scalar(other));
                    }
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                let mut inner = String::new();
                match item {
                    Value::Object(m) if !m.is_empty() => go_yaml(item, indent + 2, &mut inner),
                    Value::Array(a) if !a.is_empty() => go_yaml(item, indent + 2, &mut inner),
                    other => inner = format!("{pad}  {}\n", scalar(other)),
                }
                // The first line of the item goes after the dash.
                let _ = write!(out, "{pad}- {}", &inner[indent + 2..]);
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{}", scalar(other));
        }
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) if plain_safe(s) => s.clone(),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

/// `checksum/*`: SHA-256 of the canonical JSON (keys sorted) of what the object carries.
fn checksum(data: &Map<String, Value>) -> String {
    let sorted: std::collections::BTreeMap<&String, &Value> = data.iter().collect();
    let text = serde_json::to_string(&sorted).expect("JSON values always serialize");
    let mut hex = String::with_capacity(64);
    for b in Sha256::digest(text.as_bytes()) {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// The subchart's image spelling: `global.imageRegistry` replaces the registry.
fn image(v: &Values, (registry, rest): (&str, &str)) -> String {
    let registry = non_empty(&v.global.image_registry).unwrap_or(registry);
    format!("{registry}/{rest}")
}

/// The `[paths]` of `grafana.ini`.
#[derive(Serialize)]
pub struct Paths {
    pub data: String,
    pub logs: String,
    pub plugins: String,
    pub provisioning: String,
}

/// Where the admin user and password come from.
#[derive(Serialize)]
pub struct Admin {
    pub secret: String,
    pub user_key: String,
    pub password_key: String,
}

/// The PVC `<G>` (`persistence.enabled` without `existingClaim`).
#[derive(Serialize)]
pub struct Pvc {
    pub access_modes: Vec<String>,
    pub size: String,
    pub storage_class: Option<String>,
}

/// The subchart's Ingress (`grafana.ingress.enabled`).
#[derive(Serialize)]
pub struct SubchartIngress {
    pub hosts: Vec<String>,
    pub annotations: Map<String, Value>,
    pub tls: Option<Vec<KubeObject>>,
}

/// The chart's `<fullname>-prometheus-datasource` ConfigMap.
#[derive(Serialize)]
pub struct Datasource {
    pub name: String,
    /// Its `prometheus.yaml`.
    pub text: String,
}

/// The chart's `<fullname>-grafana-authed` Ingress.
#[derive(Serialize)]
pub struct AuthedIngress {
    pub name: String,
    pub annotations: Map<String, Value>,
    pub host: Option<String>,
}

/// One dashboard ConfigMap of the chart.
#[derive(Serialize)]
pub struct DashboardMap {
    pub name: String,
    pub key: &'static str,
    pub json: &'static str,
}

/// Everything the Grafana templates need, under the context key `grafana` (absent unless
/// `grafana.enabled`).
#[derive(Serialize)]
pub struct Grafana {
    /// The subchart's objects' name (`<release>-grafana`).
    pub name: String,
    pub labels: Map<String, Value>,
    pub selector: Map<String, Value>,
    pub image: String,
    pub sidecar_image: String,
    pub chown_image: String,
    pub image_pull_secrets: Vec<Value>,
    /// The Secret `name` with `adminPassword`: its `data`.
    pub secret_data: Option<Map<String, Value>>,
    pub admin: Admin,
    /// The dashboard reloader's credentials (`REQ_USERNAME`, `REQ_PASSWORD`).
    pub admin_env: Vec<Value>,
    pub config_data: Map<String, Value>,
    pub provider_data: Map<String, Value>,
    /// The provider files of `dashboardProviders`, mounted one by one.
    pub provider_files: Vec<String>,
    /// `grafana.ini` `[paths]`, for the `GF_PATHS_*` variables.
    pub paths: Paths,
    /// The `securityContext` of the sidecars and of Grafana itself.
    pub sidecar_security: Value,
    pub pod_annotations: Map<String, Value>,
    pub pvc: Option<Pvc>,
    /// The claim of the `storage` volume; none: an emptyDir.
    pub claim: Option<String>,
    pub strategy: Option<KubeObject>,
    pub service_type: ServiceType,
    pub resources: Option<KubeObject>,
    pub node_selector: Option<KubeObject>,
    pub tolerations: Option<Vec<KubeObject>>,
    pub datasources: bool,
    pub init_datasources: bool,
    pub dashboards_sidecar: bool,
    /// `grafana.ingress.path`, of both Grafana Ingresses and the unified path.
    pub path: String,
    pub class_name: Option<String>,
    pub ingress: Option<SubchartIngress>,
    // The chart's own objects.
    /// The Service the chart routes to: `<fullname>-grafana`, whatever the subchart's name.
    pub backend: String,
    pub sidecar_label_value: &'static str,
    pub datasource: Option<Datasource>,
    pub dashboards: Vec<DashboardMap>,
    pub authed_ingress: Option<AuthedIngress>,
    /// `/grafana` on the main Ingress (`ingress.unified`).
    pub unified_path: bool,
}

/// The subchart's labels and selector; the version label is the image tag without a digest.
fn labels(tag: &str, release: &str) -> (Map<String, Value>, Map<String, Value>) {
    let without_digest = tag.split("@sha").next().unwrap_or(tag);
    let cut: String = without_digest.chars().take(63).collect();
    let version = match cut.trim_end_matches('-') {
        "" => APP_VERSION,
        v => v,
    };
    let mut selector = Map::new();
    selector.insert(
        "app.kubernetes.io/name".into(),
        json!(crate::values::grafana::CHART_NAME),
    );
    selector.insert("app.kubernetes.io/instance".into(), json!(release));
    let mut labels = selector.clone();
    labels.insert("app.kubernetes.io/version".into(), json!(version));
    (labels, selector)
}

/// The admin credentials' Secret and keys, the sidecar's env reading them, and the Secret's
/// `data` when skygen renders it (`adminPassword` without `admin.existingSecret`).
fn admin(v: &Values, name: &str) -> (Admin, Vec<Value>, Option<Map<String, Value>>) {
    let g = &v.grafana;
    let existing = non_empty(&g.admin.existing_secret);
    let admin = Admin {
        secret: existing.unwrap_or(name).to_owned(),
        user_key: non_empty(&g.admin.user_key)
            .unwrap_or("admin-user")
            .to_owned(),
        password_key: non_empty(&g.admin.password_key)
            .unwrap_or("admin-password")
            .to_owned(),
    };
    let env = [
        ("REQ_USERNAME", &admin.user_key),
        ("REQ_PASSWORD", &admin.password_key),
    ]
    .map(|(env, key)| {
        json!({"name": env, "valueFrom": {"secretKeyRef": {"name": admin.secret, "key": key}}})
    })
    .to_vec();
    let data = match (existing, non_empty(&g.admin_password)) {
        (None, Some(password)) => {
            let user = non_empty(&g.admin_user).unwrap_or("admin");
            let mut d = Map::new();
            d.insert("admin-user".into(), json!(STANDARD.encode(user)));
            d.insert("admin-password".into(), json!(STANDARD.encode(password)));
            d.insert("ldap-toml".into(), json!(""));
            Some(d)
        }
        _ => None,
    };
    (admin, env, data)
}

/// The ConfigMap `<G>`'s data (`grafana.ini` and the provider files), the provider files, and
/// the `[paths]` of the merged `grafana.ini`.
fn config(v: &Values) -> (Map<String, Value>, Vec<String>, Paths) {
    let g = &v.grafana;
    let mut merged = default_ini(v);
    crate::values::merge::deep_merge(&mut merged, Value::Object(g.ini.clone()));
    let merged = merged.as_object().expect("the defaults are a map");
    let path_of = |k: &str| {
        merged
            .get("paths")
            .and_then(|p| p.get(k))
            .map(ini_text)
            .unwrap_or_default()
    };
    let paths = Paths {
        data: path_of("data"),
        logs: path_of("logs"),
        plugins: path_of("plugins"),
        provisioning: path_of("provisioning"),
    };
    let mut data = Map::new();
    data.insert("grafana.ini".into(), json!(ini(merged)));
    let providers = g.dashboard_providers.clone().unwrap_or_default();
    let mut files: Vec<String> = providers.keys().cloned().collect();
    files.sort();
    for file in &files {
        let mut text = String::new();
        go_yaml(&providers[file], 0, &mut text);
        data.insert(file.clone(), json!(text));
    }
    (data, files, paths)
}

/// The dashboard sidecar's provider file (`<G>-config-dashboards`), with the subchart's defaults.
fn provider_data() -> Map<String, Value> {
    let mut data = Map::new();
    data.insert(
        "provider.yaml".into(),
        json!(format!(
            "apiVersion: 1\nproviders:\n  - name: 'sidecarProvider'\n    orgId: 1\n    folder: ''\n    folderUid: ''\n    type: file\n    disableDeletion: false\n    allowUiUpdates: false\n    updateIntervalSeconds: 30\n    options:\n      foldersFromFilesStructure: false\n      path: {DASHBOARD_FOLDER}"
        )),
    );
    data
}

/// The chart's datasource and dashboard ConfigMaps, each gated by its sidecar.
fn chart_configmaps(v: &Values, fullname: &str) -> (Option<Datasource>, Vec<DashboardMap>) {
    let sidecar = &v.grafana.sidecar;
    let datasource = sidecar.datasources.enabled.then(|| Datasource {
        name: format!("{fullname}-prometheus-datasource"),
        text: format!(
            "apiVersion: 1\ndatasources:\n  - name: Prometheus\n    type: prometheus\n    url: http://{fullname}-prometheus-server:80\n    editable: false\n    uid: prometheus\n    access: proxy"
        ),
    });
    let endpoint_metrics = v.prometheus.endpoint_metrics();
    let dashboards = DASHBOARDS
        .iter()
        .filter(|_| sidecar.dashboards.enabled)
        .filter(|d| endpoint_metrics || !d.needs_endpoint_metrics)
        .map(|d| DashboardMap {
            name: format!("{fullname}-{}", d.configmap_suffix),
            key: d.data_key,
            json: d.json,
        })
        .collect();
    (datasource, dashboards)
}

/// The chart's Grafana Ingress: the API server's auth as nginx annotations (oauth2-proxy if an
/// OAuth mode is on, else basic auth), the header Grafana's proxy auth reads, then the user's.
fn authed_ingress(
    v: &Values,
    names: &Names,
    user_annotations: &Map<String, Value>,
) -> Option<AuthedIngress> {
    let g = &v.grafana;
    if !g.ingress.enable_authed_ingress || v.ingress.unified {
        return None;
    }
    let mut a = Map::new();
    let mut put = |k: &str, val: String| {
        a.insert(
            format!("nginx.ingress.kubernetes.io/{k}"),
            Value::String(val),
        );
    };
    if let Some(proxy) = crate::values::auth::proxy(v) {
        let scheme = if proxy.use_https { "https" } else { "http" };
        put(
            "auth-signin",
            format!("{scheme}://$host/oauth2/start?rd=$escaped_request_uri"),
        );
        put("auth-url", format!("{scheme}://$host/oauth2/auth"));
        let header = g
            .ini
            .get("auth.proxy")
            .and_then(|s| s.get("header_name"))
            .map(ini_text)
            .unwrap_or_default();
        put("auth-response-headers", header);
    } else {
        put("auth-type", "basic".into());
        put("auth-realm", "SkyPilot API Server".into());
        put(
            "auth-secret",
            non_empty(&v.ingress.auth_secret)
                .unwrap_or(&names.basic_auth)
                .to_owned(),
        );
    }
    put(
        "configuration-snippet",
        "proxy_set_header X-WEBAUTH-USER admin;\n".into(),
    );
    a.extend(user_annotations.clone());
    Some(AuthedIngress {
        name: format!("{}-grafana-authed", names.fullname),
        annotations: a,
        host: non_empty(&v.ingress.host).map(str::to_owned),
    })
}

/// The facts of the bundled Grafana, or `None` unless `grafana.enabled`.
pub fn facts(validated: &Validated) -> Option<Grafana> {
    let v = validated.values();
    let g = &v.grafana;
    if !g.enabled {
        return None;
    }
    let release = validated.release();
    let names = &validated.resolved().names;
    let name = crate::values::grafana::fullname(v, release);
    let tag = non_empty(&g.image.tag).unwrap_or(APP_VERSION);
    let (labels, selector) = labels(tag, &release.name);
    let (admin, admin_env, secret_data) = admin(v, &name);
    let (config_data, provider_files, paths) = config(v);
    let provider_data = provider_data();

    let mut pod_annotations = Map::new();
    pod_annotations.insert("checksum/config".into(), json!(checksum(&config_data)));
    // As the subchart: summed even when the sidecar, and so the ConfigMap, is off.
    pod_annotations.insert(
        "checksum/sc-dashboard-provider-config".into(),
        json!(checksum(&provider_data)),
    );
    if let Some(d) = &secret_data {
        pod_annotations.insert("checksum/secret".into(), json!(checksum(d)));
    }
    pod_annotations.insert(
        "kubectl.kubernetes.io/default-container".into(),
        json!("grafana"),
    );

    let p = &g.persistence;
    let existing_claim = non_empty(&p.existing_claim);
    let pvc = (p.enabled && existing_claim.is_none()).then(|| Pvc {
        access_modes: p
            .access_modes
            .clone()
            .unwrap_or_else(|| vec!["ReadWriteOnce".into()]),
        size: non_empty(&p.size).unwrap_or("10Gi").to_owned(),
        storage_class: non_empty(&p.storage_class_name).map(str::to_owned),
    });
    let claim = p
        .enabled
        .then(|| existing_claim.unwrap_or(&name).to_owned());

    let user_annotations = g
        .ingress
        .annotations
        .as_ref()
        .map(|a| a.0.clone())
        .unwrap_or_default();
    let ingress = g.ingress.enabled.then(|| SubchartIngress {
        hosts: g
            .ingress
            .hosts
            .clone()
            .unwrap_or_else(|| vec!["chart-example.local".into()]),
        annotations: user_annotations.clone(),
        tls: g.ingress.tls.clone().filter(|t| !t.is_empty()),
    });
    let (datasource, dashboards) = chart_configmaps(v, &names.fullname);

    Some(Grafana {
        labels,
        selector,
        image: format!("{}:{tag}", image(v, GRAFANA_IMAGE)),
        sidecar_image: image(v, SIDECAR_IMAGE),
        chown_image: image(v, CHOWN_IMAGE),
        image_pull_secrets: v
            .global
            .image_pull_secrets
            .iter()
            .flatten()
            .filter_map(|s| s.get("name").cloned())
            .map(|n| json!({"name": n}))
            .collect(),
        secret_data,
        admin,
        admin_env,
        config_data,
        provider_data,
        provider_files,
        paths,
        sidecar_security: json!({
            "allowPrivilegeEscalation": false,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        }),
        pod_annotations,
        pvc,
        claim,
        strategy: g.deployment_strategy.clone().filter(|s| !s.is_empty()),
        service_type: g.service.service_type.unwrap_or(ServiceType::ClusterIP),
        resources: g.resources.clone().filter(|r| !r.is_empty()),
        node_selector: g
            .node_selector
            .as_ref()
            .map(|n| n.0.clone())
            .filter(|n| !n.is_empty()),
        tolerations: g.tolerations.clone().filter(|t| !t.is_empty()),
        datasources: g.sidecar.datasources.enabled,
        init_datasources: g.sidecar.datasources.init_datasources,
        dashboards_sidecar: g.sidecar.dashboards.enabled,
        path: g.ingress.path.clone(),
        class_name: non_empty(&g.ingress.ingress_class_name).map(str::to_owned),
        ingress,
        backend: format!("{}-grafana", names.fullname),
        sidecar_label_value: SIDECAR_LABEL_VALUE,
        datasource,
        dashboards,
        authed_ingress: authed_ingress(v, names, &user_annotations),
        unified_path: v.ingress.unified && v.ingress.enabled,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_like_go_prints_a_float64() {
        assert_eq!(go_float(30.0), "30");
        assert_eq!(go_float(0.5), "0.5");
        assert_eq!(go_float(123456.0), "123456");
        assert_eq!(go_float(1_000_000.0), "1e+06");
        assert_eq!(go_float(1_234_567.0), "1.234567e+06");
        assert_eq!(go_float(0.00001), "1e-05");
    }

    /// The chart's default provider file, as Helm's `toYaml` wrote it in the reference render.
    #[test]
    fn provider_yaml_is_written_like_helm_to_yaml() {
        let value = json!({"apiVersion": 1, "providers": [{
            "name": "default", "orgId": 1, "folder": "", "type": "file",
            "disableDeletion": false, "allowUiUpdates": false, "updateIntervalSeconds": 30,
            "options": {"path": "/var/lib/grafana/dashboards/default"},
        }]});
        let mut out = String::new();
        go_yaml(&value, 0, &mut out);
        assert_eq!(
            out,
            "apiVersion: 1\nproviders:\n- allowUiUpdates: false\n  disableDeletion: false\n  folder: \"\"\n  name: default\n  options:\n    path: /var/lib/grafana/dashboards/default\n  orgId: 1\n  type: file\n  updateIntervalSeconds: 30\n"
        );
    }

    #[test]
    fn ini_puts_plain_entries_before_sections() {
        let m = json!({"z": {"b": 1, "a": "x"}, "top": true, "auth.proxy": {"enabled": true}});
        assert_eq!(
            ini(m.as_object().unwrap()),
            "top = true\n[auth.proxy]\nenabled = true\n[z]\na = x\nb = 1\n"
        );
    }
}
