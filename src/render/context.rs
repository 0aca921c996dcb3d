//! The render context: the validated values plus the facts templates need, computed once here
//! from [`Validated`] (names, images and auth modes come resolved from the values stage) so
//! templates only decide structure. [`Context`] is a typed struct: a template that reads a field
//! no longer computed fails to compile the field's users here, not at run time on one branch.

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::values::model::{BindHost, IntOrPercent, KubeObject, UpgradeStrategy, Values};
use crate::values::resolve::Names;
use crate::values::rules::non_empty;
use crate::values::Validated;

/// Everything a template of `templates/` sees, by top-level key.
#[derive(Serialize)]
pub struct Context<'a> {
    pub release: ReleaseFacts<'a>,
    pub names: &'a Names,
    /// The values as validated (legacy spellings folded).
    pub v: &'a Values,
    pub api: Api<'a>,
    /// The bundled ingress-nginx controller ([`super::ingress_nginx::facts`]).
    pub nginx: super::ingress_nginx::Nginx<'a>,
    /// oauth2-proxy, server config and the API server's auth ([`super::auth::facts`]).
    pub auth: super::auth::Auth<'a>,
    pub ingress: Ingress<'a>,
    /// Gateway API mode ([`super::gateway::facts`]); `None` unless `gateway.enabled`. (#13)
    pub gateway: Option<super::gateway::Gateway<'a>>,
    /// An existing monitoring stack ([`super::monitoring::facts`]). (#14)
    pub monitoring: super::monitoring::Monitoring<'a>,
    /// The bundled Prometheus ([`super::prometheus::facts`]); `None` unless
    /// `prometheus.enabled`. (#14)
    pub prometheus: Option<super::prometheus::Prometheus<'a>>,
    /// The bundled Grafana ([`super::grafana::facts`]); `None` unless `grafana.enabled`. (#14)
    pub grafana: Option<super::grafana::Grafana>,
}

#[derive(Serialize)]
pub struct ReleaseFacts<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
}

/// The API server's Deployment, Service and storage.
#[derive(Serialize)]
pub struct Api<'a> {
    pub image: &'a str,
    pub gcp_image: &'a str,
    /// The address the server binds: `0.0.0.0` or `::`.
    pub host: &'static str,
    pub ipv6: bool,
    /// `upgradeStrategy: RollingUpdate`.
    pub rolling: bool,
    pub max_surge: IntOrPercent,
    pub max_unavailable: IntOrPercent,
    /// A PVC (created or existing) holds the server's state.
    pub storage_active: bool,
    pub claim: String,
    pub persist_ssh: bool,
    pub readiness_probe: Option<KubeObject>,
    pub liveness_probe: Option<KubeObject>,
    pub dev_mode: bool,
    pub container_security_context: Option<Value>,
    pub sky_ephemeral: bool,
    pub clients_sub_path: &'a str,
    pub metrics_annotation_prefix: &'static str,
    pub ssh_node_pools: bool,
    pub kubeconfig_mount: &'static str,
    pub aws_init: bool,
    pub init_containers: bool,
    /// Some credential or mount that few releases use (SSH node pools or identity, Slurm, a
    /// kubeconfig Secret, clouds other than AWS and GCP): the Deployment then includes its
    /// parts under `templates/skypilot/api-deployment/`, which are otherwise never compiled
    /// (#11). True whenever any of those parts writes something (it may be true when none
    /// does; each part checks its own values).
    pub other_credentials: bool,
    pub user_sets_pod_ip: bool,
    pub service_accounts: bool,
    pub db_secret: Option<String>,
    pub pre_deploy_hook: &'a str,
    pub config_text: &'a str,
}

/// The main Ingress.
#[derive(Serialize)]
pub struct Ingress<'a> {
    pub annotations: Map<String, Value>,
    pub basic_auth_env: bool,
    pub basic_auth_secret: Option<String>,
    pub create_basic_auth_secret: bool,
    pub root_path: bool,
    pub path: String,
    pub host: Option<&'a str>,
    pub class_name: Option<&'a str>,
}

fn has_env(list: &Option<Vec<KubeObject>>, name: &str) -> bool {
    list.iter()
        .flatten()
        .any(|e| e.get("name").and_then(Value::as_str) == Some(name))
}

fn api(validated: &Validated) -> Api<'_> {
    let v = validated.values();
    let r = validated.resolved();
    let api = &v.api_service;
    let rolling = api.upgrade_strategy == UpgradeStrategy::RollingUpdate;
    let storage_active = v.storage.enabled || non_empty(&v.storage.existing_claim).is_some();
    let dev_mode = api.dev_mode.enabled;
    let mut readiness = api.readiness_probe.clone().filter(|_| !dev_mode);
    if let Some(p) = readiness.as_mut() {
        // During a rolling update a new pod must stay ready a while before the old one goes.
        p.entry("successThreshold")
            .or_insert(json!(if rolling { 3 } else { 1 }));
    }
    // Dev mode lets a developer edit and restart the server in the pod: root, all capabilities.
    let container_security_context = if dev_mode {
        Some(json!({
            "privileged": true,
            "runAsUser": 0,
            "runAsGroup": 0,
            "readOnlyRootFilesystem": false,
        }))
    } else {
        Some(Value::Object(v.security_context.clone()))
            .filter(|c| c.as_object().is_some_and(|m| !m.is_empty()))
    };
    let ssh_node_pools = non_empty(&api.ssh_node_pools).is_some();
    let aws_init = v.aws_credentials.enabled && !v.aws_credentials.use_credentials_file;
    let init_containers = aws_init
        || v.r2_credentials.enabled
        || v.gcp_credentials.enabled
        || v.coreweave_credentials.enabled
        || v.runpod_credentials.enabled
        || v.digitalocean_credentials.enabled
        || v.lambda_credentials.enabled
        || v.vast_credentials.enabled
        || v.extra_init_containers
            .as_ref()
            .is_some_and(|l| !l.is_empty());
    let other_credentials = ssh_node_pools
        || api.ssh_key_secret.as_deref().is_some_and(|s| !s.is_empty())
        || v.slurm_credentials
            .config
            .as_deref()
            .is_some_and(|s| !s.is_empty())
        || v.kubernetes_credentials.use_kubeconfig
        || v.r2_credentials.enabled
        || v.coreweave_credentials.enabled
        || v.runpod_credentials.enabled
        || v.digitalocean_credentials.enabled
        || v.lambda_credentials.enabled
        || v.vast_credentials.enabled
        || v.nebius_credentials.enabled;
    let dedicated_scrape = v.prometheus.dedicated_scrape();
    let rolling_update = api.rolling_update.clone().unwrap_or_default();
    Api {
        image: &r.api_image,
        gcp_image: &r.gcp_image,
        host: match api.host {
            BindHost::Ipv4Any => "0.0.0.0",
            BindHost::Ipv6Any => "::",
        },
        ipv6: api.host == BindHost::Ipv6Any,
        rolling,
        max_surge: rolling_update.max_surge.unwrap_or(IntOrPercent::Int(1)),
        max_unavailable: rolling_update
            .max_unavailable
            .unwrap_or(IntOrPercent::Int(0)),
        storage_active,
        claim: non_empty(&v.storage.existing_claim)
            .unwrap_or(&r.names.state)
            .to_owned(),
        persist_ssh: storage_active && api.persist_ssh_config != Some(false),
        readiness_probe: readiness,
        liveness_probe: api.liveness_probe.clone().filter(|_| !dev_mode),
        dev_mode,
        container_security_context,
        sky_ephemeral: rolling && storage_active,
        clients_sub_path: non_empty(&v.storage.clients_sub_path).unwrap_or("api_server/clients"),
        metrics_annotation_prefix: if dedicated_scrape {
            "skypilot.co"
        } else {
            "prometheus.io"
        },
        ssh_node_pools,
        kubeconfig_mount: if ssh_node_pools {
            "/var/skypilot/kubeconfig"
        } else {
            "/root/.kube"
        },
        aws_init,
        init_containers,
        other_credentials,
        user_sets_pod_ip: has_env(&v.global.extra_envs, "POD_IP")
            || has_env(&api.extra_envs, "POD_IP"),
        service_accounts: r.service_accounts,
        db_secret: non_empty(&api.db_connection_secret_name)
            .map(str::to_owned)
            .or_else(|| {
                non_empty(&api.db_connection_string).map(|_| r.names.db_connection.clone())
            }),
        pre_deploy_hook: api.pre_deploy_hook.as_deref().unwrap_or_default(),
        config_text: non_empty(&api.config).unwrap_or("{}"),
    }
}

fn ingress(validated: &Validated) -> Ingress<'_> {
    let v = validated.values();
    let r = validated.resolved();
    let rolling = v.api_service.upgrade_strategy == UpgradeStrategy::RollingUpdate;
    let ingress_auth = r.auth.ingress_basic_auth;
    let user_management = r.auth.suppresses_ingress_basic_auth;
    let basic_auth_secret = if !ingress_auth || user_management {
        None
    } else {
        Some(
            non_empty(&v.ingress.auth_secret)
                .unwrap_or(&r.names.basic_auth)
                .to_owned(),
        )
    };
    let path = v.ingress.path.as_str();
    let root_path = path == "/" || path.is_empty();
    let mut annotations = Map::new();
    let mut put = |k: &str, val: &str| {
        annotations.insert(k.to_owned(), Value::String(val.to_owned()));
    };
    if let Some(secret) = &basic_auth_secret {
        put("nginx.ingress.kubernetes.io/auth-type", "basic");
        put(
            "nginx.ingress.kubernetes.io/auth-realm",
            "SkyPilot API Server",
        );
        put("nginx.ingress.kubernetes.io/auth-secret", secret);
    }
    // Long-running requests (log streaming, uploads) need long timeouts and large bodies.
    put("nginx.ingress.kubernetes.io/proxy-read-timeout", "3600");
    put("nginx.ingress.kubernetes.io/proxy-send-timeout", "3600");
    put("nginx.ingress.kubernetes.io/proxy-body-size", "1000m");
    if rolling {
        // While old and new pods overlap, keep a client on one pod and retry a request that
        // hit a pod going away.
        if v.ingress.session_affinity {
            for (k, val) in [
                ("affinity", "cookie"),
                ("session-cookie-name", "SKYPILOT_ROUTEID"),
                ("affinity-mode", "persistent"),
                ("session-cookie-change-on-failure", "true"),
            ] {
                put(&format!("nginx.ingress.kubernetes.io/{k}"), val);
            }
        }
        put(
            "nginx.ingress.kubernetes.io/proxy-next-upstream",
            "http_502 non_idempotent",
        );
        put("nginx.ingress.kubernetes.io/proxy-next-upstream-tries", "3");
    }
    if !root_path {
        put("nginx.ingress.kubernetes.io/rewrite-target", "/$2");
        put("skypilot.co/ingress-path", path);
    }
    annotations.extend(super::auth::ingress_annotations(v));
    // The user's annotations come last and win.
    if let Some(user) = &v.ingress.annotations {
        for (k, val) in &user.0 {
            annotations.insert(k.clone(), val.clone());
        }
    }
    Ingress {
        annotations,
        basic_auth_env: ingress_auth,
        create_basic_auth_secret: ingress_auth
            && !user_management
            && non_empty(&v.ingress.auth_secret).is_none(),
        basic_auth_secret,
        root_path,
        path: if root_path {
            "/".to_owned()
        } else {
            format!("{path}(/|$)(.*)")
        },
        host: non_empty(&v.ingress.host),
        class_name: non_empty(&v.ingress.ingress_class_name),
    }
}

/// The context of every template, for one validated release.
pub fn build(validated: &Validated) -> Context<'_> {
    let release = validated.release();
    Context {
        release: ReleaseFacts {
            name: &release.name,
            namespace: &release.namespace,
        },
        names: &validated.resolved().names,
        v: validated.values(),
        api: api(validated),
        nginx: super::ingress_nginx::facts(validated),
        auth: super::auth::facts(validated),
        ingress: ingress(validated),
        gateway: super::gateway::facts(validated),
        monitoring: super::monitoring::facts(validated),
        prometheus: super::prometheus::facts(validated),
        grafana: super::grafana::facts(validated),
    }
}
