//! Cross-field rules: combinations of values that the chart refuses (its `fail` calls) and that
//! skygen refuses on top. Each rule names every key involved and how to fix it.

use serde_json::Value;

use super::merge::Origins;
use super::model::{AccessMode, UpgradeStrategy, Values};
use super::quantity;
use crate::diagnostics::{Code, Diagnostic};

/// Smallest CPU request (cores) and memory request (bytes) the API server is known to run with.
pub const MIN_CPU: f64 = 4.0;
pub const MIN_MEMORY: f64 = 8.0 * 1024.0 * 1024.0 * 1024.0;

pub(crate) fn rule(origins: &Origins, pointer: &str, message: String) -> Diagnostic {
    at_key(Diagnostic::error(Code::Rule, message), origins, pointer)
}

/// A rule's warning at the values key `pointer`, located as [`rule`] locates an error.
pub(crate) fn rule_warning(origins: &Origins, pointer: &str, message: &str) -> Diagnostic {
    at_key(Diagnostic::warning(Code::Rule, message), origins, pointer)
}

/// `d` located at the values key `pointer`: its dotted name and where it was set.
pub(crate) fn at_key(d: Diagnostic, origins: &Origins, pointer: &str) -> Diagnostic {
    d.with_key(super::validate_dotted(pointer))
        .with_origin(origins.of(pointer).cloned())
}

/// Run every rule and return all findings.
pub fn check(v: &Values, origins: &Origins) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    resources(v, origins, &mut out);
    rolling_update(v, origins, &mut out);
    database_config(v, origins, &mut out);
    config_seeds_once(v, origins, &mut out);
    quantities(v, origins, &mut out);
    probe_handlers(v, origins, &mut out);
    tls_host(v, origins, &mut out);
    no_nul_in_scripts(v, origins, &mut out);
    removed_required(v, origins, &mut out);
    out.extend(super::auth::check(v, origins));
    out.extend(super::grafana::check(v, origins));
    out.extend(super::prometheus::check(v, origins));
    out
}

/// # What it checks
/// `apiService.resources.requests` are at least 4 CPUs and 8Gi of memory, unless
/// `apiService.skipResourceCheck` is true.
/// # Why
/// The API server runs many worker processes; below this it is killed or stalls under load.
/// # Example
/// `--set apiService.resources.requests.cpu=2`
/// # Fix
/// Raise the requests, or set `apiService.skipResourceCheck=true` for a test install.
fn resources(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
    if v.api_service.skip_resource_check {
        return;
    }
    let requests = v
        .api_service
        .resources
        .as_ref()
        .and_then(|r| r.get("requests"))
        .and_then(Value::as_object);
    let fix = "raise the request, or set apiService.skipResourceCheck=true to run with less";
    for (name, min, shown) in [("cpu", MIN_CPU, "4 CPUs"), ("memory", MIN_MEMORY, "8Gi")] {
        let pointer = format!("/apiService/resources/requests/{name}");
        let value = requests.and_then(|r| r.get(name));
        let problem = match value {
            None | Some(Value::Null) => Some(format!("the API server needs a {name} request of at least {shown}; none is set")),
            Some(q) => match quantity::parse_value(q) {
                Err(e) => Some(e),
                Ok(n) if n < min => Some(format!(
                    "the API server needs at least {shown}; apiService.resources.requests.{name} is {}",
                    q
                )),
                Ok(_) => None,
            },
        };
        if let Some(msg) = problem {
            out.push(rule(origins, &pointer, msg).with_help(fix));
        }
    }
    requests_within_limits(v, origins, out);
}

/// # What it checks
/// No request in `apiService.resources` is larger than its limit.
/// # Why
/// The API server refuses such a pod at apply time; raising only the requests (e.g. to pass the
/// minimum above) is an easy mistake.
/// # Fix
/// Raise the limit with the request, or remove the limit.
fn requests_within_limits(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
    let Some(res) = &v.api_service.resources else {
        return;
    };
    let (Some(requests), Some(limits)) = (
        res.get("requests").and_then(Value::as_object),
        res.get("limits").and_then(Value::as_object),
    ) else {
        return;
    };
    for (name, request) in requests {
        let Some(limit) = limits.get(name) else {
            continue;
        };
        if let (Ok(r), Ok(l)) = (quantity::parse_value(request), quantity::parse_value(limit)) {
            if r > l {
                out.push(
                    rule(
                        origins,
                        &format!("/apiService/resources/requests/{name}"),
                        format!(
                            "apiService.resources.requests.{name} ({request}) is larger than apiService.resources.limits.{name} ({limit}); Kubernetes refuses such a pod"
                        ),
                    )
                    .with_help(format!("raise apiService.resources.limits.{name} too, or set it to null to remove the limit")),
                );
            }
        }
    }
}

/// # What it checks
/// `apiService.upgradeStrategy: RollingUpdate` has an external database
/// (`apiService.dbConnectionSecretName` or `apiService.dbConnectionString`) and does not use a
/// ReadWriteOnce volume created by the chart (`storage.enabled` without `storage.existingClaim`).
/// # Why
/// Two API servers run side by side during a rolling update; they must share state through the
/// database, and both must mount the volume.
/// # Fix
/// Configure a database and use `storage.accessMode: ReadWriteMany`, an existing claim, or no
/// storage — or keep `upgradeStrategy: Recreate`.
fn rolling_update(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
    let api = &v.api_service;
    if api.upgrade_strategy != UpgradeStrategy::RollingUpdate {
        return;
    }
    if !has_db(v) {
        out.push(
            rule(
                origins,
                "/apiService/upgradeStrategy",
                "upgradeStrategy RollingUpdate needs an external database: set apiService.dbConnectionSecretName or apiService.dbConnectionString".into(),
            )
            .with_help("or keep apiService.upgradeStrategy=Recreate"),
        );
    }
    let chart_pvc = v.storage.enabled && non_empty(&v.storage.existing_claim).is_none();
    if chart_pvc && v.storage.access_mode != AccessMode::ReadWriteMany {
        out.push(
            rule(
                origins,
                "/storage/accessMode",
                format!(
                    "upgradeStrategy RollingUpdate cannot share a {:?} volume between the old and new pod (storage.enabled with storage.accessMode {:?})",
                    v.storage.access_mode, v.storage.access_mode
                ),
            )
            .with_help("set storage.accessMode=ReadWriteMany, use storage.existingClaim, set storage.enabled=false, or use upgradeStrategy Recreate"),
        );
    }
}

pub fn has_db(v: &Values) -> bool {
    non_empty(&v.api_service.db_connection_secret_name).is_some()
        || non_empty(&v.api_service.db_connection_string).is_some()
}

pub fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// # What it checks
/// Warns (one line) whenever `apiService.config` is set.
/// # Why
/// The start script copies it onto the volume only when the volume has no `config.yaml` yet, so
/// a later change reaches the ConfigMap but never the running server (the chart warns in its
/// upgrade NOTES, which a GitOps tool never shows). See: #10.
/// # Example
/// `--set-file apiService.config=config.yaml` on an existing install.
/// # Fix
/// docs/lifecycle.md, "A changed apiService.config": remove the volume's copy and restart.
fn config_seeds_once(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
    if non_empty(&v.api_service.config).is_none() {
        return;
    }
    out.push(rule_warning(
        origins,
        "/apiService/config",
        "seeds ~/.sky/config.yaml on the first start only; a changed config does not reach a running server (see docs/lifecycle.md)",
    ));
}

/// # What it checks
/// `apiService.config` is null when a database is configured.
/// # Why
/// With a database the server keeps its config there; a config from values would be ignored
/// or overwrite what admins set in the dashboard.
/// # Fix
/// Remove `apiService.config` and set the config in the dashboard.
fn database_config(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
    if has_db(v) && non_empty(&v.api_service.config).is_some() {
        out.push(
            rule(
                origins,
                "/apiService/config",
                "apiService.config must be null when a database is configured (apiService.dbConnectionString or apiService.dbConnectionSecretName)".into(),
            )
            .with_help("remove apiService.config and set the configuration in the dashboard"),
        );
    }
}

/// # What it checks
/// Sizes are Kubernetes quantities: `storage.size`, and every `resources` request and limit.
/// # Why
/// The API server would refuse them at apply time, after part of the stream was applied.
fn quantities(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
    if let Err(e) = quantity::parse(&v.storage.size) {
        out.push(rule(origins, "/storage/size", e));
    }
    if let Some(res) = &v.api_service.resources {
        for (section, entries) in res {
            let Some(entries) = entries.as_object() else {
                continue;
            };
            for (name, q) in entries {
                if let Err(e) = quantity::parse_value(q) {
                    let pointer = format!("/apiService/resources/{section}/{name}");
                    if !(section == "requests" && (name == "cpu" || name == "memory")) {
                        out.push(rule(origins, &pointer, e));
                    }
                }
            }
        }
    }
}

/// # What it checks
/// Each of `apiService.livenessProbe` / `readinessProbe` has at most one handler (`httpGet`,
/// `exec`, `tcpSocket`, `grpc`).
/// # Why
/// Values merge with the defaults like Helm's, so a probe written as `exec: …` keeps the
/// default `httpGet` too; Kubernetes refuses a probe with two handlers at apply time.
/// # Fix
/// Set the default handler to null: `apiService.livenessProbe.httpGet: null`.
fn probe_handlers(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
    const HANDLERS: [&str; 4] = ["httpGet", "exec", "tcpSocket", "grpc"];
    let probes = [
        ("livenessProbe", &v.api_service.liveness_probe),
        ("readinessProbe", &v.api_service.readiness_probe),
    ];
    for (name, probe) in probes {
        let Some(probe) = probe else { continue };
        let present: Vec<&str> = HANDLERS
            .into_iter()
            .filter(|h| probe.get(*h).is_some_and(|x| !x.is_null()))
            .collect();
        if present.len() > 1 {
            // Point at the handler the user added, not the one inherited from the defaults.
            let added = present
                .iter()
                .find(|h| {
                    origins
                        .of(&format!("/apiService/{name}/{h}"))
                        .is_some_and(|o| !matches!(o, crate::diagnostics::Origin::Defaults))
                })
                .unwrap_or(&present[0]);
            let dropped: Vec<String> = present
                .iter()
                .filter(|h| *h != added)
                .map(|h| format!("apiService.{name}.{h}: null"))
                .collect();
            out.push(
                rule(
                    origins,
                    &format!("/apiService/{name}/{added}"),
                    format!(
                        "apiService.{name} has {} handlers ({}); Kubernetes allows one. Values merge with the defaults, so the default handler stays unless removed",
                        present.len(),
                        present.join(", ")
                    ),
                )
                .with_help(format!("set {}", dropped.join(" and "))),
            );
        }
    }
}

/// # What it checks
/// `ingress.tls.enabled` has an `ingress.host` to put in the certificate entry.
/// # Why
/// The chart writes the TLS entry for `ingress.host` alone; without a host it emits
/// `hosts: [null]`, which the API server refuses when the Ingress is applied, after part of the
/// stream was applied. Dropping the entry instead would serve plain HTTP although TLS was asked
/// for.
/// # Example
/// `--set ingress.tls.enabled=true` with no `ingress.host`
/// # Fix
/// Set `ingress.host` to the name in the certificate, or `ingress.tls.enabled=false`.
fn tls_host(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
    if v.ingress.enabled && v.ingress.tls.enabled && non_empty(&v.ingress.host).is_none() {
        out.push(
            rule(
                origins,
                "/ingress/tls/enabled",
                "ingress.tls.enabled needs ingress.host: the TLS entry (Secret <fullname>-tls-secrets) is for that host name, and none is set".to_owned(),
            )
            .with_help("set ingress.host to the host name of the certificate, or set ingress.tls.enabled=false"),
        );
    }
}

/// The values the start scripts (`templates/skypilot/*.sh`) contain, as JSON pointers; a test
/// keeps this list equal to what the scripts use.
pub const SCRIPT_VALUES: [&str; 4] = [
    "/apiService/preDeployHook",
    "/apiService/logs/retention/size",
    "/gcpCredentials/projectId",
    "/nebiusCredentials/tenantId",
];

/// # What it checks
/// The values that go into a start script (`apiService.preDeployHook`,
/// `apiService.logs.retention.size`, `gcpCredentials.projectId`, `nebiusCredentials.tenantId`)
/// hold no NUL character (`"\0"` in a values file, `\u0000` in JSON).
/// # Why
/// A shell cannot carry a NUL: bash drops it from the script with a warning and runs what is
/// left, so the command that runs is not the one written. No quoting can keep it. See: #17.
/// # Example
/// `gcpCredentials: {projectId: "my-project\0"}`
/// # Fix
/// Remove the NUL character from the value.
fn no_nul_in_scripts(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
    let api = &v.api_service;
    let values = [
        api.pre_deploy_hook.as_deref(),
        Some(api.logs.retention.size.as_str()),
        v.gcp_credentials.project_id.as_deref(),
        v.nebius_credentials.tenant_id.as_deref(),
    ];
    for (pointer, value) in SCRIPT_VALUES.into_iter().zip(values) {
        if value.is_some_and(|s| s.contains('\0')) {
            out.push(
                rule(
                    origins,
                    pointer,
                    "holds a NUL character (\\0), and this value goes into a shell script: a shell cannot carry NUL, no quoting can keep it".to_owned(),
                )
                .with_help("remove the NUL character from the value"),
            );
        }
    }
}

/// # What it checks
/// Values that a `null` removed (as in Helm) but that an object skygen renders cannot do
/// without: `apiService.image`, `gcpCredentials.image` (with GCP credentials),
/// `apiService.metrics.port` (with metrics), `apiService.logs.retention.size` (with the
/// logrotate sidecar), the Secret names and keys of credentials that are switched on, and
/// `ingress-nginx.controller.ingressClassResource.name` (with the bundled controller).
/// # Why
/// The schema checks these values only when they are present. The chart renders an empty
/// image, a null port or an empty `size` line; the API server or logrotate refuses them at
/// apply or run time.
/// # Example
/// `--set apiService.image=null`
/// # Fix
/// Set the value, or remove the `null` to keep the default.
fn removed_required(v: &Values, origins: &Origins, out: &mut Vec<Diagnostic>) {
    let api = &v.api_service;
    let mut missing = |pointer: &str, default: &str| {
        let key = super::validate_dotted(pointer);
        out.push(
            rule(
                origins,
                pointer,
                format!("{key} is not set (a null removes the default) and the rendered objects need it"),
            )
            .with_help(format!("set {key} (the default is {default}), or remove the null")),
        );
    };
    if api.image.is_empty() {
        missing(
            "/apiService/image",
            "berkeleyskypilot/skypilot-nightly:latest",
        );
    }
    if v.gcp_credentials.enabled && v.gcp_credentials.image.is_empty() {
        missing("/gcpCredentials/image", "google/cloud-sdk:latest");
    }
    if api.metrics.enabled && !(1..=65535).contains(&api.metrics.port) {
        missing("/apiService/metrics/port", "9090");
    }
    if api.serve_server_log && api.logs.retention.enabled && api.logs.retention.size.is_empty() {
        missing("/apiService/logs/retention/size", "10M");
    }
    // Secret names (and keys) of credentials that are switched on.
    let aws = &v.aws_credentials;
    let kube = &v.kubernetes_credentials;
    for (on, name, pointer, default) in [
        (
            kube.use_kubeconfig,
            &kube.kubeconfig_secret_name,
            "/kubernetesCredentials/kubeconfigSecretName",
            "kube-credentials",
        ),
        (
            aws.enabled,
            &aws.aws_secret_name,
            "/awsCredentials/awsSecretName",
            "aws-credentials",
        ),
        (
            aws.enabled && !aws.use_credentials_file,
            &aws.access_key_id_key_name,
            "/awsCredentials/accessKeyIdKeyName",
            "aws_access_key_id",
        ),
        (
            aws.enabled && !aws.use_credentials_file,
            &aws.secret_access_key_key_name,
            "/awsCredentials/secretAccessKeyKeyName",
            "aws_secret_access_key",
        ),
        (
            v.gcp_credentials.enabled,
            &v.gcp_credentials.gcp_secret_name,
            "/gcpCredentials/gcpSecretName",
            "gcp-credentials",
        ),
        (
            v.runpod_credentials.enabled,
            &v.runpod_credentials.runpod_secret_name,
            "/runpodCredentials/runpodSecretName",
            "runpod-credentials",
        ),
        (
            v.digitalocean_credentials.enabled,
            &v.digitalocean_credentials.digitalocean_secret_name,
            "/digitaloceanCredentials/digitaloceanSecretName",
            "digitalocean-credentials",
        ),
        (
            v.lambda_credentials.enabled,
            &v.lambda_credentials.lambda_secret_name,
            "/lambdaCredentials/lambdaSecretName",
            "lambda-credentials",
        ),
        (
            v.vast_credentials.enabled,
            &v.vast_credentials.vast_secret_name,
            "/vastCredentials/vastSecretName",
            "vast-credentials",
        ),
        (
            v.r2_credentials.enabled,
            &v.r2_credentials.r2_secret_name,
            "/r2Credentials/r2SecretName",
            "r2-credentials",
        ),
        (
            v.coreweave_credentials.enabled,
            &v.coreweave_credentials.coreweave_secret_name,
            "/coreweaveCredentials/coreweaveSecretName",
            "coreweave-credentials",
        ),
        (
            v.nebius_credentials.enabled,
            &v.nebius_credentials.nebius_secret_name,
            "/nebiusCredentials/nebiusSecretName",
            "nebius-credentials",
        ),
        // The bundled controller's IngressClass (#17: a null rendered one named "").
        (
            v.ingress_nginx.enabled,
            &v.ingress_nginx.controller.ingress_class_resource.name,
            "/ingress-nginx/controller/ingressClassResource/name",
            "nginx",
        ),
    ] {
        if on && name.is_empty() {
            missing(pointer, default);
        }
    }
}
