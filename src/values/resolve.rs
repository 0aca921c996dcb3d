//! The resolved model: what the validated values mean for one release, computed once at the end
//! of the values stage so later stages never recompute it. Object names (the chart's and the
//! bundled controller's), images with `global.imageRegistry` applied, which auth mode is on, and
//! the legacy spellings folded into one shape (`apiService.enableServiceAccounts` into
//! `auth.serviceAccount.enabled`; `ingress.nodePortEnabled` into [`Resolved::legacy_node_port`]).
//!
//! Takes typed [`Values`] and the [`Release`]; returns a [`Resolved`]. Never checks anything: the
//! rules have run before (see [`super::validate`]).

use serde::Serialize;

use super::auth::{self, Mode};
use super::model::Values;
use super::rules::non_empty;

/// The default of `--release-name`.
pub const DEFAULT_RELEASE_NAME: &str = "skypilot";
/// The default of `-n/--namespace`.
pub const DEFAULT_NAMESPACE: &str = "skypilot";
/// The default of `--kube-version`, `major.minor`: the newest Kubernetes minor skygen is tested
/// with. The one place it is written ([`Release::default`] reads it too).
pub const DEFAULT_KUBE_VERSION: &str = "1.35";

/// [`DEFAULT_KUBE_VERSION`] as `(major, minor)`.
pub fn default_kube_version() -> (u32, u32) {
    let (major, minor) = DEFAULT_KUBE_VERSION
        .split_once('.')
        .expect("DEFAULT_KUBE_VERSION is major.minor; this is a skygen bug");
    let num = |s: &str| {
        s.parse()
            .expect("DEFAULT_KUBE_VERSION is numeric; this is a skygen bug")
    };
    (num(major), num(minor))
}

/// The release being rendered: what Helm takes from the command line and the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    pub name: String,
    pub namespace: String,
    /// `major.minor` of the target cluster.
    pub kube_version: (u32, u32),
}

impl Default for Release {
    fn default() -> Self {
        Release {
            name: DEFAULT_RELEASE_NAME.into(),
            namespace: DEFAULT_NAMESPACE.into(),
            kube_version: default_kube_version(),
        }
    }
}

/// Helm's `trunc 63 | trimSuffix "-"`.
pub fn dns_name(s: &str) -> String {
    let cut: String = s.chars().take(63).collect();
    cut.strip_suffix('-').unwrap_or(&cut).to_owned()
}

/// `fullnameOverride` or the release name, cut to 63 characters without a trailing `-`.
pub fn fullname(fullname_override: Option<&str>, release: &Release) -> String {
    let base = fullname_override
        .filter(|s| !s.is_empty())
        .unwrap_or(&release.name);
    let cut: String = base.chars().take(63).collect();
    cut.trim_end_matches('-').to_owned()
}

/// The names of the objects skygen creates, as the chart names them. Templates see them as
/// `names.*`; overlay strings see them at the top (`{{ service_account }}`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Names {
    pub fullname: String,
    pub api_app: String,
    pub api_server: String,
    pub api_service: String,
    pub service_account: String,
    pub api_role: String,
    pub api_role_binding: String,
    pub system_role: String,
    pub system_role_binding: String,
    pub system_cluster_role: String,
    pub system_cluster_role_binding: String,
    pub config: String,
    pub state: String,
    pub ingress: String,
    pub basic_auth: String,
    pub initial_basic_auth: String,
    pub db_connection: String,
    pub ssh_node_pools: String,
    pub slurm_config: String,
    pub server_config: String,
    pub tls: String,
    pub oauth2_proxy: String,
    pub oauth2_proxy_redis: String,
    pub system_namespace: String,
    pub workload_namespace: String,
}

impl Names {
    /// The names from the three values they depend on: `fullnameOverride`,
    /// `rbac.serviceAccountName` and `kubernetesCredentials.inclusterNamespace`. The overlay
    /// stage uses it on merged, not yet validated values (the overlay's `config` may name the
    /// ServiceAccount); everything else gets [`Resolved::names`].
    pub fn new(
        fullname_override: Option<&str>,
        service_account_name: Option<&str>,
        incluster_namespace: Option<&str>,
        release: &Release,
    ) -> Names {
        let f = fullname(fullname_override, release);
        let n = |suffix: &str| format!("{f}-{suffix}");
        Names {
            service_account: service_account_name
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .unwrap_or_else(|| n("api-sa")),
            api_app: n("api"),
            api_server: n("api-server"),
            api_service: n("api-service"),
            api_role: n("api-role"),
            api_role_binding: n("api-role-binding"),
            system_role: n("system-role"),
            system_role_binding: n("system-role-binding"),
            system_cluster_role: n("system-cluster-role"),
            system_cluster_role_binding: n("system-cluster-role-binding"),
            config: n("config"),
            state: n("state"),
            ingress: n("ingress"),
            basic_auth: n("basic-auth"),
            initial_basic_auth: n("initial-basic-auth"),
            db_connection: n("db-connection"),
            ssh_node_pools: n("ssh-node-pools"),
            slurm_config: n("slurm-config"),
            server_config: n("server-config"),
            tls: n("tls-secrets"),
            oauth2_proxy: n("oauth2-proxy"),
            oauth2_proxy_redis: n("oauth2-proxy-redis"),
            system_namespace: "skypilot-system".into(),
            workload_namespace: incluster_namespace
                .filter(|s| !s.is_empty())
                .unwrap_or(&release.namespace)
                .to_owned(),
            fullname: f,
        }
    }

    fn of(v: &Values, release: &Release) -> Names {
        Names::new(
            v.fullname_override.as_deref(),
            v.rbac.service_account_name.as_deref(),
            v.kubernetes_credentials.incluster_namespace.as_deref(),
            release,
        )
    }
}

/// The subchart's name, which is also its `app.kubernetes.io/name` label.
pub const NGINX_CHART_NAME: &str = "ingress-nginx";

/// The names of the bundled ingress-nginx controller's objects, which follow its own
/// `fullnameOverride`. Templates see them as `nginx.names.*`; overlays as `ingress_nginx.*`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NginxNames {
    pub fullname: String,
    pub controller: String,
    pub admission: String,
    pub admission_service: String,
    pub create_job: String,
    pub patch_job: String,
    pub leader: String,
    /// The legacy NodePort Service of `ingress.nodePortEnabled`.
    pub legacy_node_port: String,
}

impl NginxNames {
    /// The subchart's `ingress-nginx.fullname`: its `fullnameOverride`, else the release name
    /// when it already contains `ingress-nginx`, else `<release>-ingress-nginx`; and the names
    /// derived from it.
    fn of(v: &Values, release: &Release) -> NginxNames {
        let full = if let Some(over) = non_empty(&v.ingress_nginx.fullname_override) {
            dns_name(over)
        } else if release.name.contains(NGINX_CHART_NAME) {
            dns_name(&release.name)
        } else {
            dns_name(&format!("{}-{NGINX_CHART_NAME}", release.name))
        };
        let controller = dns_name(&format!("{full}-controller"));
        let admission = dns_name(&format!("{full}-admission"));
        NginxNames {
            admission_service: dns_name(&format!("{controller}-admission")),
            create_job: dns_name(&format!("{admission}-create")),
            patch_job: dns_name(&format!("{admission}-patch")),
            leader: dns_name(&format!("{full}-leader")),
            legacy_node_port: format!("{}-ingress-controller-np", release.name),
            fullname: full,
            controller,
            admission,
        }
    }
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

/// Which auth is on, decided once from the values (the rules in [`auth::check`] keep the modes
/// apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthModes {
    /// The OAuth mode whose oauth2-proxy is deployed, if any.
    pub oauth: Option<Mode>,
    /// nginx basic auth on the Ingress (`ingress.authSecret` / `ingress.authCredentials`).
    pub ingress_basic_auth: bool,
    /// The API server's own basic auth (`--enable-basic-auth`).
    pub api_server_basic_auth: bool,
    /// Server-side basic auth or an OAuth mode replaces the ingress basic auth.
    pub suppresses_ingress_basic_auth: bool,
    /// `<fullname>-server-config` (an identity header to trust).
    pub server_config: bool,
}

/// What the validated values mean for the release; see the module documentation.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub release: Release,
    pub names: Names,
    pub nginx_names: NginxNames,
    /// `apiService.image` with the registry applied.
    pub api_image: String,
    /// `gcpCredentials.image` with the registry applied.
    pub gcp_image: String,
    pub auth: AuthModes,
    /// Service-account tokens are on: `auth.serviceAccount.enabled`, which defaults to the
    /// legacy `apiService.enableServiceAccounts`, and never with ingress basic auth (the chart
    /// turns them off then).
    pub service_accounts: bool,
    /// The legacy Service `<release>-ingress-controller-np` is rendered
    /// (`ingress.nodePortEnabled: true` with the bundled controller on).
    pub legacy_node_port: bool,
}

/// Fold the legacy spellings into `v` and resolve the rest. Called once, by
/// [`super::validate_with`], after every rule has run on the values as written.
pub fn resolve(v: &mut Values, release: &Release) -> Resolved {
    let legacy = v.api_service.enable_service_accounts;
    let sa = *v.auth.service_account.enabled.get_or_insert(legacy);
    let registry = v.global.image_registry.as_deref();
    let auth = AuthModes {
        oauth: auth::proxy(v).map(|p| p.mode),
        ingress_basic_auth: auth::ingress_basic_auth(v),
        api_server_basic_auth: auth::basic_auth_in_api_server(v),
        suppresses_ingress_basic_auth: auth::suppresses_ingress_basic_auth(v),
        server_config: auth::server_config_enabled(v),
    };
    Resolved {
        release: release.clone(),
        names: Names::of(v, release),
        nginx_names: NginxNames::of(v, release),
        api_image: with_registry(&v.api_service.image, registry),
        gcp_image: with_registry(&v.gcp_credentials.image, registry),
        service_accounts: sa && !auth.ingress_basic_auth,
        legacy_node_port: v.ingress.node_port_enabled == Some(true) && v.ingress_nginx.enabled,
        auth,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(name: &str) -> Release {
        Release {
            name: name.into(),
            ..Release::default()
        }
    }

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
        let long = format!("{}-x", "a".repeat(62));
        assert_eq!(fullname(None, &release(&long)), "a".repeat(62));
        assert_eq!(fullname(Some(""), &release("sky")), "sky");
    }

    #[test]
    fn nginx_fullname_follows_the_subchart_helper() {
        let v = Values::default();
        let full = |v: &Values, r: &str| NginxNames::of(v, &release(r)).fullname;
        assert_eq!(full(&v, "sky"), "sky-ingress-nginx");
        assert_eq!(full(&v, "my-ingress-nginx"), "my-ingress-nginx");
        let mut o = Values::default();
        o.ingress_nginx.fullname_override = Some("edge".into());
        assert_eq!(full(&o, "sky"), "edge");
        let long = format!("{}-x", "a".repeat(62));
        assert_eq!(full(&v, &long), "a".repeat(62));
    }

    #[test]
    fn legacy_service_account_switch_is_folded() {
        let mut v = Values::default();
        v.api_service.enable_service_accounts = false;
        let r = resolve(&mut v, &Release::default());
        assert_eq!(v.auth.service_account.enabled, Some(false));
        assert!(!r.service_accounts);
        let mut v = Values::default();
        v.api_service.enable_service_accounts = false;
        v.auth.service_account.enabled = Some(true);
        assert!(resolve(&mut v, &Release::default()).service_accounts);
    }
}
