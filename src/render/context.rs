//! The render context: the validated values plus the facts templates need, computed once here
//! (object names, images, which features are on) so templates only decide structure.

use serde_json::{json, Map, Value};

use super::Release;
use crate::values::model::{BindHost, UpgradeStrategy, Values};
use crate::values::rules::non_empty;

/// `fullnameOverride` or the release name, cut to 63 characters without a trailing `-`.
pub fn fullname(v: &Values, release: &Release) -> String {
    let base = non_empty(&v.fullname_override).unwrap_or(&release.name);
    let cut: String = base.chars().take(63).collect();
    cut.trim_end_matches('-').to_owned()
}

/// The names of the objects skygen creates, as the chart names them.
pub fn names(v: &Values, release: &Release) -> Value {
    let f = fullname(v, release);
    let service_account = non_empty(&v.rbac.service_account_name)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{f}-api-sa"));
    json!({
        "fullname": f,
        "api_app": format!("{f}-api"),
        "api_server": format!("{f}-api-server"),
        "api_service": format!("{f}-api-service"),
        "service_account": service_account,
        "api_role": format!("{f}-api-role"),
        "api_role_binding": format!("{f}-api-role-binding"),
        "system_role": format!("{f}-system-role"),
        "system_role_binding": format!("{f}-system-role-binding"),
        "system_cluster_role": format!("{f}-system-cluster-role"),
        "system_cluster_role_binding": format!("{f}-system-cluster-role-binding"),
        "config": format!("{f}-config"),
        "state": format!("{f}-state"),
        "ingress": format!("{f}-ingress"),
        "basic_auth": format!("{f}-basic-auth"),
        "initial_basic_auth": format!("{f}-initial-basic-auth"),
        "db_connection": format!("{f}-db-connection"),
        "ssh_node_pools": format!("{f}-ssh-node-pools"),
        "slurm_config": format!("{f}-slurm-config"),
        "server_config": format!("{f}-server-config"),
        "tls": format!("{f}-tls-secrets"),
        "system_namespace": "skypilot-system",
        "workload_namespace": non_empty(&v.kubernetes_credentials.incluster_namespace)
            .unwrap_or(&release.namespace),
    })
}

/// Put `global.imageRegistry` in front of an image, replacing a registry already named in it.
pub fn with_registry(image: &str, registry: Option<&str>) -> String {
    let Some(registry) = registry.filter(|r| !r.is_empty()) else {
        return image.to_owned();
    };
    let registry = registry.trim_end_matches('/');
    let path = match image.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            rest
        }
        _ => image,
    };
    format!("{registry}/{path}")
}

fn has_env(list: &Option<Vec<Map<String, Value>>>, name: &str) -> bool {
    list.iter()
        .flatten()
        .any(|e| e.get("name").and_then(Value::as_str) == Some(name))
}

pub fn build(v: &Values, release: &Release) -> Value {
    let names = names(v, release);
    let api = &v.api_service;
    let registry = v.global.image_registry.as_deref();
    let rolling = api.upgrade_strategy == UpgradeStrategy::RollingUpdate;
    let storage_active = v.storage.enabled || non_empty(&v.storage.existing_claim).is_some();
    let ingress_auth = crate::values::auth::ingress_basic_auth(v);
    // Server-side basic auth or an OAuth mode replaces the ingress basic auth.
    let user_management = crate::values::auth::suppresses_ingress_basic_auth(v);
    // The chart turns service-account tokens off whenever ingress basic auth is on.
    let service_accounts = v
        .auth
        .service_account
        .enabled
        .unwrap_or(api.enable_service_accounts)
        && !ingress_auth;
    let basic_auth_secret = if !ingress_auth || user_management {
        None
    } else if let Some(s) = non_empty(&v.ingress.auth_secret) {
        Some(s.to_owned())
    } else {
        Some(name_of(&names, "basic_auth"))
    };

    let dev_mode = api.dev_mode.enabled;
    let mut readiness = api.readiness_probe.clone().filter(|_| !dev_mode);
    if let Some(p) = readiness.as_mut() {
        // During a rolling update a new pod must stay ready a while before the old one goes.
        p.entry("successThreshold")
            .or_insert(json!(if rolling { 3 } else { 1 }));
    }
    let liveness = api.liveness_probe.clone().filter(|_| !dev_mode);
    // Dev mode lets a developer edit and restart the server in the pod: root, all capabilities.
    let container_security_context = if dev_mode {
        Some(json!({
            "privileged": true,
            "runAsUser": 0,
            "runAsGroup": 0,
            "readOnlyRootFilesystem": false,
        }))
    } else {
        Some(json!(v.security_context)).filter(|c| c.as_object().is_some_and(|m| !m.is_empty()))
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
    let dedicated_scrape = v
        .prometheus
        .rest
        .get("useDedicatedScrapeConfig")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let path = v.ingress.path.as_str();
    let root_path = path == "/" || path.is_empty();
    let mut annotations = Map::new();
    if let Some(secret) = &basic_auth_secret {
        annotations.insert(
            "nginx.ingress.kubernetes.io/auth-type".into(),
            json!("basic"),
        );
        annotations.insert(
            "nginx.ingress.kubernetes.io/auth-realm".into(),
            json!("SkyPilot API Server"),
        );
        annotations.insert(
            "nginx.ingress.kubernetes.io/auth-secret".into(),
            json!(secret),
        );
    }
    // Long-running requests (log streaming, uploads) need long timeouts and large bodies.
    annotations.insert(
        "nginx.ingress.kubernetes.io/proxy-read-timeout".into(),
        json!("3600"),
    );
    annotations.insert(
        "nginx.ingress.kubernetes.io/proxy-send-timeout".into(),
        json!("3600"),
    );
    annotations.insert(
        "nginx.ingress.kubernetes.io/proxy-body-size".into(),
        json!("1000m"),
    );
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
                annotations.insert(format!("nginx.ingress.kubernetes.io/{k}"), json!(val));
            }
        }
        annotations.insert(
            "nginx.ingress.kubernetes.io/proxy-next-upstream".into(),
            json!("http_502 non_idempotent"),
        );
        annotations.insert(
            "nginx.ingress.kubernetes.io/proxy-next-upstream-tries".into(),
            json!("3"),
        );
    }
    if !root_path {
        annotations.insert(
            "nginx.ingress.kubernetes.io/rewrite-target".into(),
            json!("/$2"),
        );
        annotations.insert("skypilot.co/ingress-path".into(), json!(path));
    }
    annotations.extend(super::auth::ingress_annotations(v));
    // The user's annotations come last and win.
    if let Some(user) = &v.ingress.annotations {
        for (k, val) in &user.0 {
            annotations.insert(k.clone(), val.clone());
        }
    }
    let rolling_update = api.rolling_update.clone().unwrap_or_default();

    json!({
        "release": {"name": release.name, "namespace": release.namespace},
        "names": names,
        "v": v,
        "api": {
            "image": with_registry(&api.image, registry),
            "gcp_image": with_registry(&v.gcp_credentials.image, registry),
            "host": match api.host { BindHost::Ipv4Any => "0.0.0.0", BindHost::Ipv6Any => "::" },
            "ipv6": api.host == BindHost::Ipv6Any,
            "rolling": rolling,
            "max_surge": rolling_update.max_surge.map(|s| serde_json::to_value(s).unwrap_or(json!(1))).unwrap_or(json!(1)),
            "max_unavailable": rolling_update.max_unavailable.map(|s| serde_json::to_value(s).unwrap_or(json!(0))).unwrap_or(json!(0)),
            "storage_active": storage_active,
            "claim": non_empty(&v.storage.existing_claim).map(str::to_owned).unwrap_or_else(|| name_of(&names, "state")),
            "persist_ssh": storage_active && api.persist_ssh_config != Some(false),
            "readiness_probe": readiness,
            "liveness_probe": liveness,
            "dev_mode": dev_mode,
            "container_security_context": container_security_context,
            "sky_ephemeral": rolling && storage_active,
            "clients_sub_path": non_empty(&v.storage.clients_sub_path).unwrap_or("api_server/clients"),
            "metrics_annotation_prefix": if dedicated_scrape { "skypilot.co" } else { "prometheus.io" },
            "ssh_node_pools": ssh_node_pools,
            "kubeconfig_mount": if ssh_node_pools { "/var/skypilot/kubeconfig" } else { "/root/.kube" },
            "aws_init": aws_init,
            "init_containers": init_containers,
            "user_sets_pod_ip": has_env(&v.global.extra_envs, "POD_IP") || has_env(&api.extra_envs, "POD_IP"),
            "service_accounts": service_accounts,
            "db_secret": non_empty(&api.db_connection_secret_name).map(str::to_owned)
                .or_else(|| non_empty(&api.db_connection_string).map(|_| name_of(&names, "db_connection"))),
            "pre_deploy_hook": api.pre_deploy_hook.clone().unwrap_or_default(),
            "config_text": non_empty(&api.config).unwrap_or("{}"),
        },
        "nginx": super::ingress_nginx::facts(v, release),
        // Gateway API mode (#13): null unless gateway.enabled.
        "gateway": super::gateway::facts(v, release),
        "auth": super::auth::facts(v, release),
        "ingress": {
            "annotations": annotations,
            "basic_auth_env": ingress_auth,
            "basic_auth_secret": basic_auth_secret,
            "create_basic_auth_secret": ingress_auth && !user_management && non_empty(&v.ingress.auth_secret).is_none(),
            "root_path": root_path,
            "path": if root_path { "/".to_owned() } else { format!("{path}(/|$)(.*)") },
            "host": non_empty(&v.ingress.host),
            "class_name": non_empty(&v.ingress.ingress_class_name),
        },
    })
}

/// One of the names from [`names`], as an owned string.
fn name_of(names: &Value, key: &str) -> String {
    names[key].as_str().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_rule() {
        assert_eq!(
            with_registry("berkeleyskypilot/sky:1", Some("r.io")),
            "r.io/berkeleyskypilot/sky:1"
        );
        assert_eq!(
            with_registry("quay.io/o/p:v1", Some("r.io/")),
            "r.io/o/p:v1"
        );
        assert_eq!(with_registry("localhost/p", Some("r.io")), "r.io/p");
        assert_eq!(with_registry("redis:7", Some("r.io")), "r.io/redis:7");
        assert_eq!(with_registry("redis:7", None), "redis:7");
    }

    #[test]
    fn fullname_is_cut_and_trimmed() {
        let release = Release {
            name: format!("{}-x", "a".repeat(62)),
            namespace: "ns".into(),
            kube_version: (1, 35),
        };
        assert_eq!(fullname(&Values::default(), &release), "a".repeat(62));
    }
}
