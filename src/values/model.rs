//! The typed values model: every key the upstream chart accepts, with its type and meaning.
//!
//! The JSON Schema (`schema/values.schema.json`) is generated from these types with schemars; the
//! doc comments become its descriptions. Structs reject unknown keys, except the maps Kubernetes
//! owns (annotations, resources, probes, affinity, extra containers…), which are passed through
//! as written. Defaults are not here: they live in `defaults.yaml`, merged as the first layer, so
//! that `skygen values` can print them with comments. A key removed with `null` falls back to the
//! Rust default (empty, false, zero), as an absent key does in the chart's templates.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A Kubernetes-owned object, passed through as written (resources, affinity, a probe…).
pub type KubeObject = Map<String, Value>;

/// A string-to-string map owned by Kubernetes (annotations, labels, node selectors).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct StringMap(
    #[schemars(with = "std::collections::BTreeMap<String, String>")] pub KubeObject,
);

/// Schema of an optional [`StringMap`]: one `["object", "null"]` node instead of `anyOf`, so a
/// wrong entry is reported at its own key (`apiService.annotations.a: expected a string`)
/// rather than as the whole map failing every branch.
pub(crate) fn nullable_string_map(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": ["object", "null"],
        "additionalProperties": {"type": "string"}
    })
}

/// An integer or a percentage such as `25%`, as in a Deployment's rolling-update settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum IntOrPercent {
    Int(#[schemars(range(min = 0))] i64),
    Percent(#[schemars(regex(pattern = r"^[0-9]+%$"))] String),
}

/// A number or a text, for oauth2-proxy settings the chart declares as either (cookie timings).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TextOrNumber {
    Number(serde_json::Number),
    Text(String),
}

impl std::fmt::Display for TextOrNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TextOrNumber::Number(n) => write!(f, "{n}"),
            TextOrNumber::Text(t) => f.write_str(t),
        }
    }
}

/// All values skygen accepts: the upstream chart's values, same names, same nesting.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "skygen values (SkyPilot API server chart)")]
pub struct Values {
    pub global: Global,
    /// Replaces the release name as the prefix of every object name (`<fullnameOverride>-api-server`).
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub fullname_override: Option<String>,
    pub api_service: ApiService,
    pub auth: Auth,
    pub storage: Storage,
    pub ingress: Ingress,
    pub gateway: Gateway,
    /// skygen's own: objects for a monitoring stack already running in the cluster
    /// (kube-prometheus-stack). Not a key of the upstream chart. See docs/monitoring.md.
    pub monitoring: Monitoring,
    #[serde(rename = "ingress-nginx")]
    pub ingress_nginx: IngressNginx,
    pub rbac: Rbac,
    pub kubernetes_credentials: KubernetesCredentials,
    pub aws_credentials: AwsCredentials,
    pub gcp_credentials: GcpCredentials,
    pub runpod_credentials: RunpodCredentials,
    pub digitalocean_credentials: DigitaloceanCredentials,
    pub lambda_credentials: LambdaCredentials,
    pub vast_credentials: VastCredentials,
    pub nebius_credentials: NebiusCredentials,
    pub r2_credentials: R2Credentials,
    pub coreweave_credentials: CoreweaveCredentials,
    pub slurm_credentials: SlurmCredentials,
    /// Init containers appended to the API server pod, as Kubernetes container objects.
    pub extra_init_containers: Option<Vec<KubeObject>>,
    /// The API server pod's `securityContext` (omitted when empty).
    pub pod_security_context: KubeObject,
    /// The `securityContext` of the API server container and of every init container.
    pub security_context: KubeObject,
    /// The API server pod's `runtimeClassName`.
    pub runtime_class_name: Option<String>,
    pub prometheus: super::prometheus::Prometheus,
    pub grafana: Grafana,
}

/// Settings shared by every image and pod the chart creates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Global {
    /// Registry prepended to the chart's images. A first path segment that names a registry
    /// (contains `.` or `:`, or is `localhost`) is replaced.
    pub image_registry: Option<String>,
    /// `imagePullSecrets` of the API server pod (objects with a `name`).
    pub image_pull_secrets: Option<Vec<KubeObject>>,
    /// Environment variables put before the chart's own in the API server container.
    pub extra_envs: Option<Vec<KubeObject>>,
}

/// How the API server Deployment is replaced on upgrade.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum UpgradeStrategy {
    /// Stop the old pod before starting the new one (works with ReadWriteOnce storage).
    #[default]
    Recreate,
    /// Start the new pod first; needs an external database and no ReadWriteOnce chart storage.
    RollingUpdate,
}

/// The address the API server binds to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum BindHost {
    /// All IPv4 addresses.
    #[default]
    #[serde(rename = "0.0.0.0")]
    Ipv4Any,
    /// All IPv6 (and, dual-stack, IPv4) addresses; Services become PreferDualStack.
    #[serde(rename = "::")]
    Ipv6Any,
}

/// The API server Deployment and what runs inside it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ApiService {
    /// Image of the API server container (and of the logrotate sidecar and credential init containers).
    pub image: String,
    /// Number of API server pods. More than one is only sensible with RollingUpdate and an external DB.
    /// `null` leaves it to Kubernetes (1), as the chart does.
    #[schemars(range(min = 0))]
    pub replicas: Option<i64>,
    pub host: BindHost,
    /// Shell run by the container before the API server starts (for example to install an
    /// admin policy). Runs after `set -e`.
    pub pre_deploy_hook: Option<String>,
    pub upgrade_strategy: UpgradeStrategy,
    pub rolling_update: Option<RollingUpdate>,
    /// Deprecated: let the API server manage basic-auth users itself.
    pub enable_user_management: bool,
    /// Deprecated fallback for `auth.serviceAccount.enabled`.
    pub enable_service_accounts: bool,
    /// htpasswd line of the first user when `enableUserManagement` is on.
    pub initial_basic_auth_credentials: Option<String>,
    /// Secret (key `auth`) holding the first user instead of `initialBasicAuthCredentials`.
    pub initial_basic_auth_secret: Option<String>,
    /// Header that carries the authenticated user's name from a proxy in front of the server.
    pub auth_user_header_name: Option<String>,
    /// Seconds Kubernetes waits for the server to stop; also passed to the server. `null` leaves
    /// it to Kubernetes (30), as the chart does.
    #[schemars(range(min = 0))]
    pub termination_grace_period_seconds: Option<i64>,
    pub dev_mode: DevMode,
    /// Liveness probe of the API container, as a Kubernetes probe. `null` removes it.
    pub liveness_probe: Option<KubeObject>,
    /// Readiness probe of the API container. Without `successThreshold`, skygen sets 1
    /// (Recreate) or 3 (RollingUpdate). `null` removes it.
    pub readiness_probe: Option<KubeObject>,
    /// SkyPilot config (`~/.sky/config.yaml`) as YAML text; used on first start only, when the
    /// file on the volume is empty. Must be null when a database is configured.
    pub config: Option<String>,
    /// Secret (key `connection_string`) holding the database URI. Wins over `dbConnectionString`.
    pub db_connection_secret_name: Option<String>,
    /// Database URI; skygen stores it in the Secret `<fullname>-db-connection`.
    pub db_connection_string: Option<String>,
    /// SSH node pools file content (YAML text), stored in a Secret and linked into `~/.sky`.
    pub ssh_node_pools: Option<String>,
    /// Secret whose files are SSH private keys, linked into `/root/.ssh`.
    pub ssh_key_secret: Option<String>,
    /// Keep `~/.ssh` on the state volume. Only an explicit `false` turns it off.
    #[serde(rename = "persistSSHConfig")]
    pub persist_ssh_config: Option<bool>,
    pub metrics: Metrics,
    /// Annotations of the API server pod template.
    #[schemars(schema_with = "nullable_string_map")]
    pub annotations: Option<StringMap>,
    /// Skip the check that requests are at least 4 CPU and 8Gi of memory.
    pub skip_resource_check: bool,
    /// `resources` of the API container (requests and limits), as in Kubernetes.
    pub resources: Option<KubeObject>,
    /// Environment variables appended to the API container (after `global.extraEnvs`).
    pub extra_envs: Option<Vec<KubeObject>>,
    /// Extra pod volumes.
    pub extra_volumes: Option<Vec<KubeObject>>,
    /// Extra mounts of the API container.
    pub extra_volume_mounts: Option<Vec<KubeObject>>,
    /// Extra containers of the API server pod.
    pub sidecar_containers: Option<Vec<KubeObject>>,
    /// Run SkyPilot in developer mode (`SKYPILOT_DEV`).
    pub skypilot_dev: bool,
    /// Also write the server's output to `~/.sky/api_server/server.log`.
    pub serve_server_log: bool,
    pub logs: Logs,
    /// `imagePullPolicy` of the API container. `null` leaves it to Kubernetes (by the image tag).
    pub image_pull_policy: Option<ImagePullPolicy>,
    /// Node selector of the API server pod.
    #[schemars(schema_with = "nullable_string_map")]
    pub node_selector: Option<StringMap>,
    /// Tolerations of the API server pod.
    pub tolerations: Option<Vec<KubeObject>>,
    /// Affinity of the API server pod.
    pub affinity: Option<KubeObject>,
    /// Spread API server pods over this topology key (one constraint, maxSkew 1).
    pub topology_spread_topology_key: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ImagePullPolicy {
    #[default]
    Always,
    IfNotPresent,
    Never,
}

/// Rolling-update limits, used only with `upgradeStrategy: RollingUpdate`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct RollingUpdate {
    pub max_surge: Option<IntOrPercent>,
    pub max_unavailable: Option<IntOrPercent>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct DevMode {
    /// Privileged root container that idles instead of starting the server (for debugging).
    pub enabled: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Metrics {
    /// Expose Prometheus metrics on the API Service and annotate the pod for scraping.
    pub enabled: bool,
    #[schemars(range(min = 1, max = 65535))]
    pub port: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Logs {
    pub retention: LogRetention,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct LogRetention {
    /// Run the logrotate sidecar that keeps `server.log` small.
    pub enabled: bool,
    /// Rotate when the log is larger than this (logrotate size, e.g. `10M`).
    #[schemars(regex(pattern = r"^[0-9]+[kMG]?$"))]
    pub size: String,
}

/// Authentication of API server users.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Auth {
    pub oauth: OAuth,
    pub service_account: ServiceAccountAuth,
    pub external_proxy: ExternalProxy,
    /// Turn off the API server's own basic-auth middleware (env `SKYPILOT_DISABLE_BASIC_AUTH_MIDDLEWARE`).
    pub disable_basic_auth_middleware: Option<bool>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SessionStore {
    #[default]
    Redis,
    Cookie,
}

/// OAuth2/OIDC login through an oauth2-proxy that the API server talks to.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OAuth {
    pub enabled: bool,
    /// Image of the oauth2-proxy container (default `quay.io/oauth2-proxy/oauth2-proxy:v7.9.0`).
    pub image: Option<String>,
    #[serde(rename = "oidc-issuer-url")]
    pub oidc_issuer_url: Option<String>,
    #[serde(rename = "client-id")]
    pub client_id: Option<String>,
    #[serde(rename = "client-secret")]
    pub client_secret: Option<String>,
    /// Secret holding `client-id` and `client-secret` instead of the two values above.
    #[serde(rename = "client-details-from-secret")]
    pub client_details_from_secret: Option<String>,
    #[serde(rename = "email-domain")]
    pub email_domain: Option<String>,
    #[serde(rename = "session-store-type")]
    pub session_store_type: SessionStore,
    #[serde(rename = "redis-url")]
    pub redis_url: Option<String>,
    /// Secret whose key `redis_url` holds the redis URL (instead of `redis-url`).
    #[serde(rename = "redis-secret")]
    pub redis_secret: Option<String>,
    #[serde(rename = "redis-image")]
    pub redis_image: Option<String>,
    #[serde(rename = "cookie-refresh")]
    pub cookie_refresh: Option<TextOrNumber>,
    #[serde(rename = "cookie-expire")]
    pub cookie_expire: Option<TextOrNumber>,
    /// skygen only: the oauth2-proxy cookie secret (16, 24 or 32 bytes, or their URL-safe
    /// base64). Without it skygen takes key `cookie-secret` of `client-details-from-secret`, or
    /// derives one from the client secret (see docs/helm-compat.md).
    #[serde(rename = "cookie-secret")]
    pub cookie_secret: Option<String>,
    /// skygen only: a Secret whose key `cookie-secret` holds the oauth2-proxy cookie secret.
    #[serde(rename = "cookie-secret-from-secret")]
    pub cookie_secret_from_secret: Option<String>,
    #[serde(rename = "use-https")]
    pub use_https: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceAccountAuth {
    /// Service-account tokens for API access; null falls back to `apiService.enableServiceAccounts`.
    pub enabled: Option<bool>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HeaderFormat {
    #[default]
    Plaintext,
    Jwt,
}

/// Trust an authenticating proxy in front of the API server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ExternalProxy {
    pub enabled: bool,
    pub header_name: Option<String>,
    pub header_format: HeaderFormat,
    pub jwt_identity_claim: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AccessMode {
    #[default]
    ReadWriteOnce,
    ReadWriteMany,
    ReadOnlyMany,
    ReadWriteOncePod,
}

/// The API server's state volume (`~/.sky`, `~/.ssh`, `~/sky_logs`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Storage {
    /// Create the PersistentVolumeClaim `<fullname>-state`.
    pub enabled: bool,
    /// Use this existing claim instead of creating one (turns storage on).
    pub existing_claim: Option<String>,
    /// Sub-path of `~/.sky/api_server/clients` under RollingUpdate.
    pub clients_sub_path: Option<String>,
    /// Storage class of the claim; empty means the cluster default.
    pub storage_class_name: Option<String>,
    pub access_mode: AccessMode,
    /// Requested size, a Kubernetes quantity such as `10Gi`.
    pub size: String,
    /// Label selector of the claim.
    pub selector: Option<KubeObject>,
    /// Bind the claim to this PersistentVolume.
    pub volume_name: Option<String>,
    /// Annotations of the claim.
    #[schemars(schema_with = "nullable_string_map")]
    pub annotations: Option<StringMap>,
}

/// The Ingress in front of the API server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Ingress {
    /// Put `/oauth2` (and `/grafana`) on the main Ingress instead of separate Ingresses.
    pub unified: bool,
    pub enabled: bool,
    /// Existing Secret (key `auth`, htpasswd) for ingress basic auth.
    pub auth_secret: Option<String>,
    /// htpasswd line(s) for ingress basic auth; skygen stores them in `<fullname>-basic-auth`.
    pub auth_credentials: Option<String>,
    /// Host name of the Ingress rule (a DNS name, optionally `*.` wildcard; null matches every host).
    #[schemars(
        regex(
            pattern = r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
        ),
        length(max = 253)
    )]
    pub host: Option<String>,
    /// URL path prefix of the API server, starting with `/`.
    #[schemars(regex(pattern = r"^/[^ \t\r\n]*$"))]
    pub path: String,
    /// IngressClass of the Ingress.
    pub ingress_class_name: Option<String>,
    /// skygen only: the controller of `ingressClassName` honours ingress-nginx's `auth-*`
    /// annotations (ingress basic auth, legacy ingress OAuth). null: only the class `nginx` and
    /// the bundled controller's class are trusted to.
    pub nginx_compatible: Option<bool>,
    /// Extra annotations of the Ingress, applied last.
    #[schemars(schema_with = "nullable_string_map")]
    pub annotations: Option<StringMap>,
    /// Sticky sessions under RollingUpdate.
    pub session_affinity: bool,
    #[serde(rename = "oauth2-proxy")]
    pub oauth2_proxy: IngressOAuth2Proxy,
    pub tls: IngressTls,
    /// Deprecated: also create the NodePort Service `<release>-ingress-controller-np`.
    pub node_port_enabled: Option<bool>,
    /// Deprecated: http node port of that Service.
    #[schemars(range(min = 1, max = 65535))]
    pub http_node_port: Option<i64>,
    /// Deprecated: https node port of that Service.
    #[schemars(range(min = 1, max = 65535))]
    pub https_node_port: Option<i64>,
}

/// The bundled Grafana: the chart's `grafana` subchart (grafana 9.2.2, Grafana 12.0.1) and the
/// chart's own Grafana objects (datasource, dashboards, the authenticated Ingress). Only the keys
/// below are rendered; any other key of the subchart is refused at its line (docs/monitoring.md).
/// See: #14.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Grafana {
    /// Render Grafana (`<release>-grafana`), its datasource and dashboard ConfigMaps and its Ingress.
    pub enabled: bool,
    /// Name of the subchart's objects instead of `<release>-grafana`. The chart's own objects
    /// still point at `<fullname>-grafana`, as upstream.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub fullname_override: Option<String>,
    pub image: GrafanaImage,
    /// The admin user name (stored in the Secret `<release>-grafana` with `adminPassword`).
    pub admin_user: Option<String>,
    /// The admin password. Set: skygen renders the Secret `<release>-grafana` with it (the
    /// password is then in the manifests). Unset and no `admin.existingSecret`: the Secret is
    /// yours to create (render prints the command).
    pub admin_password: Option<String>,
    pub admin: GrafanaAdmin,
    /// The Deployment's `strategy` (the chart's default: `Recreate`, for the ReadWriteOnce volume).
    pub deployment_strategy: Option<KubeObject>,
    pub persistence: GrafanaPersistence,
    pub service: GrafanaService,
    /// The Grafana container's `resources`.
    pub resources: Option<KubeObject>,
    /// `nodeSelector` of the Grafana pod.
    #[schemars(schema_with = "nullable_string_map")]
    pub node_selector: Option<StringMap>,
    /// `tolerations` of the Grafana pod.
    pub tolerations: Option<Vec<KubeObject>>,
    /// Grafana's configuration, section by section (`server`, `auth.proxy`, …); merged over the
    /// subchart's defaults and written as `grafana.ini`.
    #[serde(rename = "grafana.ini")]
    pub ini: KubeObject,
    pub ingress: GrafanaIngress,
    pub sidecar: GrafanaSidecar,
    /// Dashboard provider files under `/etc/grafana/provisioning/dashboards/`, by file name.
    pub dashboard_providers: Option<KubeObject>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GrafanaImage {
    /// Tag of `docker.io/grafana/grafana` (default: the subchart's app version, 12.0.1).
    pub tag: Option<String>,
}

/// An existing Secret with the admin credentials, instead of `adminUser`/`adminPassword`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct GrafanaAdmin {
    /// Name of the Secret; no `<release>-grafana` Secret is rendered then.
    pub existing_secret: Option<String>,
    /// Its key holding the user name (default `admin-user`).
    pub user_key: Option<String>,
    /// Its key holding the password (default `admin-password`).
    pub password_key: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct GrafanaPersistence {
    /// Keep Grafana's data (`/var/lib/grafana`) on a PVC `<release>-grafana`; off: an emptyDir.
    pub enabled: bool,
    /// Requested size of the PVC (default `10Gi`).
    pub size: Option<String>,
    pub storage_class_name: Option<String>,
    /// Access modes of the PVC (default `[ReadWriteOnce]`).
    pub access_modes: Option<Vec<String>>,
    /// Use this PVC instead of creating `<release>-grafana`.
    pub existing_claim: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GrafanaService {
    /// Type of the Service `<release>-grafana` (default `ClusterIP`).
    #[serde(rename = "type")]
    pub service_type: Option<ServiceType>,
}

/// The Grafana Ingresses: the chart's own `<fullname>-grafana-authed` (`enableAuthedIngress`)
/// and the subchart's `<release>-grafana` (`enabled`, off by default).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct GrafanaIngress {
    /// The subchart's own Ingress, without auth (off in the chart).
    pub enabled: bool,
    /// The chart's Ingress `<fullname>-grafana-authed`: the API server's auth in front of Grafana,
    /// which then trusts the `X-WEBAUTH-USER` header (not with `ingress.unified`).
    pub enable_authed_ingress: bool,
    /// URL path of Grafana (it must match `grafana.ini` `server.root_url`).
    #[schemars(regex(pattern = r"^/[^ \t\r\n]*$"))]
    pub path: String,
    /// IngressClass of both Grafana Ingresses.
    pub ingress_class_name: Option<String>,
    /// Hosts of the subchart's Ingress (null: the subchart's `chart-example.local`).
    #[schemars(inner(
        regex(
            pattern = r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
        ),
        length(max = 253)
    ))]
    pub hosts: Option<Vec<String>>,
    /// Extra annotations of both Grafana Ingresses.
    #[schemars(schema_with = "nullable_string_map")]
    pub annotations: Option<StringMap>,
    /// `tls` of the subchart's Ingress, passed through.
    pub tls: Option<Vec<KubeObject>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GrafanaSidecar {
    pub datasources: GrafanaDatasourceSidecar,
    pub dashboards: GrafanaDashboardSidecar,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct GrafanaDatasourceSidecar {
    /// Load datasources from ConfigMaps labelled `grafana_datasource` (and render the chart's
    /// `<fullname>-prometheus-datasource`).
    pub enabled: bool,
    /// Load them once in an init container (true) or watch them in a sidecar (false).
    pub init_datasources: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GrafanaDashboardSidecar {
    /// Load dashboards from ConfigMaps labelled `grafana_dashboard` (and render the chart's
    /// dashboard ConfigMaps).
    pub enabled: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IngressTls {
    /// Add a TLS entry for `ingress.host` with the Secret `<fullname>-tls-secrets`.
    pub enabled: bool,
}

/// skygen only: a Gateway API `HTTPRoute` (gateway.networking.k8s.io/v1) to the API server
/// instead of the Ingress and the bundled ingress-nginx. Auth must then happen in the API server.
/// See docs/edge.md.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Gateway {
    /// Render the HTTPRoute `<fullname>-api` (and the implementation's policies). The Ingress
    /// and the bundled ingress-nginx are then left out unless `keepIngress` is true.
    pub enabled: bool,
    /// The Gateways (or their listeners) the route attaches to: Gateway API ParentReference
    /// objects (`name`, `namespace`, `sectionName`, `port`…), passed through.
    pub parent_refs: Vec<KubeObject>,
    /// Host names the route answers for (empty: every host of the listener).
    #[schemars(inner(
        regex(
            pattern = r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
        ),
        length(max = 253)
    ))]
    pub hostnames: Vec<String>,
    /// URL path prefix of the API server, as `ingress.path`: the prefix is removed before the
    /// request reaches the server. `/`, or segments without a trailing `/`.
    #[schemars(regex(
        pattern = r"^/([-A-Za-z0-9._~!$&'()*+,;=:@]+(/[-A-Za-z0-9._~!$&'()*+,;=:@]+)*)?$"
    ))]
    pub path: String,
    /// The Gateway's implementation, for the policies it needs beyond the portable HTTPRoute:
    /// `""` (none), `envoy-gateway`, `gke`.
    pub implementation: GatewayImplementation,
    /// Annotations of the HTTPRoute.
    #[schemars(schema_with = "nullable_string_map")]
    pub annotations: Option<StringMap>,
    /// The HTTPRoute's `timeouts.request` (total time for a request, Gateway API duration such
    /// as `0s` for none or `1h`). null leaves it out, for implementations without route timeouts.
    /// Not used with `implementation: gke` (GKE has no route timeouts; see docs/edge.md).
    #[schemars(regex(pattern = r"^([0-9]{1,5}(h|m|s|ms)){1,4}$"))]
    pub request_timeout: Option<String>,
    /// Also render the Ingress and, if enabled, the bundled ingress-nginx, for a cut-over from
    /// the Ingress to the Gateway with both serving.
    pub keep_ingress: bool,
}

/// An existing monitoring stack (the Prometheus Operator and Grafana of kube-prometheus-stack):
/// what skygen renders for it. See docs/monitoring.md. (#14)
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Monitoring {
    pub service_monitor: ServiceMonitor,
    pub dashboards: MonitoringDashboards,
    pub network_policy: MetricsNetworkPolicy,
}

/// A Prometheus duration as the Prometheus Operator accepts it (`30s`, `1m30s`).
pub const DURATION_PATTERN: &str =
    r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$";

/// The scrape of the API server's metrics by an existing Prometheus Operator. Rendered as a
/// PodMonitor `<fullname>-api` (the pods already carry the label it selects, and the Service
/// carries none); needs `apiService.metrics.enabled`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceMonitor {
    /// Render the PodMonitor and, unless turned off below, the dashboards and the NetworkPolicy.
    pub enabled: bool,
    /// Labels of the PodMonitor, for the operator's `podMonitorSelector`: kube-prometheus-stack
    /// selects `release: <its release name>` unless its selector was opened.
    #[schemars(schema_with = "nullable_string_map")]
    pub labels: Option<StringMap>,
    /// How often `/metrics` is scraped (null: the Prometheus default).
    #[schemars(regex(pattern = DURATION_PATTERN))]
    pub interval: Option<String>,
    /// Timeout of the `/metrics` scrape (null: the Prometheus default); at most `interval`.
    #[schemars(regex(pattern = DURATION_PATTERN))]
    pub scrape_timeout: Option<String>,
    /// `/gpu-metrics`: DCGM and node series the server federates from each Kubernetes context's
    /// Prometheus (labels kept: `honorLabels`).
    pub gpu_metrics: FederatedScrape,
    /// `/endpoints-metrics`: vLLM series of SkyPilot serving endpoints (the chart's
    /// `prometheus.scrapeEndpointMetrics`); also ships the autoscaling and vLLM dashboards.
    pub endpoints_metrics: FederatedScrape,
}

/// One federated endpoint of the API server's metrics port.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct FederatedScrape {
    pub enabled: bool,
    #[schemars(regex(pattern = DURATION_PATTERN))]
    pub interval: String,
    /// Must leave the server time to ask every context (it gives each up to 30 s).
    #[schemars(regex(pattern = DURATION_PATTERN))]
    pub scrape_timeout: String,
}

/// skygen's Grafana dashboards as ConfigMaps for an existing Grafana's dashboard sidecar.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct MonitoringDashboards {
    /// null: with `monitoring.serviceMonitor.enabled`. true renders them alone too (a
    /// Prometheus that scrapes the pod annotations).
    pub enabled: Option<bool>,
    /// Namespace of the ConfigMaps (null: the release namespace; kube-prometheus-stack's sidecar
    /// searches every namespace).
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub namespace: Option<String>,
    /// The label the sidecar looks for (a Kubernetes label key).
    #[schemars(
        regex(
            pattern = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
        ),
        length(max = 317)
    )]
    pub label: String,
    /// Its value: kube-prometheus-stack's sidecar wants exactly `"1"`; the chart's bundled
    /// Grafana uses `"true"`.
    #[schemars(
        regex(pattern = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"),
        length(max = 63)
    )]
    pub label_value: String,
    /// Annotations of the ConfigMaps (e.g. a folder annotation the sidecar is configured for).
    #[schemars(schema_with = "nullable_string_map")]
    pub annotations: Option<StringMap>,
}

/// A NetworkPolicy on the API server pods that admits the unauthenticated metrics port only
/// from the monitoring namespace; every other port stays open to everyone, as without it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricsNetworkPolicy {
    /// null: with `monitoring.serviceMonitor.enabled`.
    pub enabled: Option<bool>,
    /// Namespaces allowed to reach the metrics port: a Kubernetes label selector.
    pub namespace_selector: KubeObject,
    /// Pods of those namespaces allowed (null: every pod there), a Kubernetes label selector.
    pub pod_selector: Option<KubeObject>,
}

/// Gateway API implementations skygen renders policies for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum GatewayImplementation {
    /// The portable HTTPRoute only.
    #[default]
    #[serde(rename = "")]
    Portable,
    /// Envoy Gateway: a BackendTrafficPolicy (stream idle timeout, active health check).
    #[serde(rename = "envoy-gateway")]
    EnvoyGateway,
    /// GKE Gateway: a GCPBackendPolicy (backend timeout) and a HealthCheckPolicy.
    #[serde(rename = "gke")]
    Gke,
}

/// Legacy OAuth at the ingress (oauth2-proxy behind nginx auth annotations).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IngressOAuth2Proxy {
    pub enabled: bool,
    pub image: Option<String>,
    #[serde(rename = "oidc-issuer-url")]
    pub oidc_issuer_url: Option<String>,
    #[serde(rename = "client-id")]
    pub client_id: Option<String>,
    #[serde(rename = "client-secret")]
    pub client_secret: Option<String>,
    #[serde(rename = "client-details-from-secret")]
    pub client_details_from_secret: Option<String>,
    #[serde(rename = "use-https")]
    pub use_https: bool,
    #[serde(rename = "email-domain")]
    pub email_domain: Option<String>,
    #[serde(rename = "session-store-type")]
    pub session_store_type: SessionStore,
    #[serde(rename = "redis-url")]
    pub redis_url: Option<String>,
    /// Secret whose key `redis_url` holds the redis URL (instead of `redis-url`).
    #[serde(rename = "redis-secret")]
    pub redis_secret: Option<String>,
    #[serde(rename = "redis-image")]
    pub redis_image: Option<String>,
    #[serde(rename = "cookie-refresh")]
    pub cookie_refresh: Option<TextOrNumber>,
    #[serde(rename = "cookie-expire")]
    pub cookie_expire: Option<TextOrNumber>,
    /// skygen only: the oauth2-proxy cookie secret (16, 24 or 32 bytes, or their URL-safe
    /// base64). Without it skygen takes key `cookie-secret` of `client-details-from-secret`, or
    /// derives one from the client secret (see docs/helm-compat.md).
    #[serde(rename = "cookie-secret")]
    pub cookie_secret: Option<String>,
    /// skygen only: a Secret whose key `cookie-secret` holds the oauth2-proxy cookie secret.
    #[serde(rename = "cookie-secret-from-secret")]
    pub cookie_secret_from_secret: Option<String>,
}

/// The bundled ingress-nginx controller (the keys skygen supports of its chart).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct IngressNginx {
    /// Render the bundled controller. Turn off to use a controller you already run.
    pub enabled: bool,
    /// Prefix of the controller's object names instead of `<release>-ingress-nginx`.
    pub fullname_override: Option<String>,
    pub controller: NginxController,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct NginxController {
    /// Allow `*-snippet` annotations on Ingresses (the OAuth modes need them).
    pub allow_snippet_annotations: bool,
    /// `Deployment` (with `replicaCount`, a PodDisruptionBudget above one replica, optional
    /// autoscaling) or `DaemonSet` (one pod per selected node).
    pub kind: NginxKind,
    #[schemars(range(min = 0))]
    pub replica_count: i64,
    /// `minAvailable` of the PodDisruptionBudget rendered when more than one replica runs.
    pub min_available: Option<IntOrPercent>,
    /// Annotations of the controller pods.
    #[schemars(schema_with = "nullable_string_map")]
    pub pod_annotations: Option<StringMap>,
    /// Extra controller flags: `name: value` gives `--name=value`, `name: ""` gives `--name`.
    #[schemars(with = "std::collections::BTreeMap<String, ArgValue>")]
    pub extra_args: KubeObject,
    pub metrics: NginxMetrics,
    pub autoscaling: NginxAutoscaling,
    pub image: NginxImage,
    pub service: NginxService,
    /// Controller ConfigMap entries, merged over skygen's defaults.
    pub config: KubeObject,
    pub resources: Option<KubeObject>,
    #[schemars(schema_with = "nullable_string_map")]
    pub node_selector: Option<StringMap>,
    pub tolerations: Option<Vec<KubeObject>>,
    pub affinity: Option<KubeObject>,
    pub ingress_class_resource: IngressClassResource,
    pub admission_webhooks: AdmissionWebhooks,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct NginxImage {
    pub registry: String,
    pub image: String,
    pub tag: String,
    /// `sha256:…` digest appended to the image; empty for none.
    pub digest: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ServiceType {
    ClusterIP,
    NodePort,
    #[default]
    LoadBalancer,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TrafficPolicy {
    #[default]
    Cluster,
    Local,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct NginxService {
    #[serde(rename = "type")]
    pub service_type: ServiceType,
    /// Annotations of the controller Service (cloud load-balancer settings).
    #[schemars(schema_with = "nullable_string_map")]
    pub annotations: Option<StringMap>,
    pub node_ports: NodePorts,
    #[serde(rename = "loadBalancerIP")]
    pub load_balancer_ip: Option<String>,
    pub load_balancer_source_ranges: Option<Vec<String>>,
    pub external_traffic_policy: Option<TrafficPolicy>,
}

/// Node ports of the controller Service. As in the subchart, a port may be written as text
/// (`"30050"`, the chart's own default is `""`); empty text or 0 lets Kubernetes choose.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NodePorts {
    pub http: Option<NodePort>,
    pub https: Option<NodePort>,
}

/// A node port as a number or as text of digits (empty: none).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum NodePort {
    Number(#[schemars(range(min = 0, max = 65535))] i64),
    Text(
        #[schemars(regex(
            pattern = r"^(|[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$"
        ))]
        String,
    ),
}

impl NodePort {
    /// The port to write, if any: Helm's `empty` test drops `""` and `0`.
    pub fn port(&self) -> Option<i64> {
        match self {
            NodePort::Number(n) => Some(*n).filter(|n| *n != 0),
            NodePort::Text(t) => t.parse().ok().filter(|n| *n != 0),
        }
    }
}

/// The workload kind of the bundled controller.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum NginxKind {
    #[default]
    Deployment,
    DaemonSet,
}

/// A value of `controller.extraArgs`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ArgValue {
    Text(String),
    Number(serde_json::Number),
    Flag(bool),
}

/// The controller's Prometheus metrics (port 10254).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NginxMetrics {
    /// Serve metrics and render the Service `<controller>-metrics` (ClusterIP, port 10254).
    pub enabled: bool,
}

/// A HorizontalPodAutoscaler for the controller Deployment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct NginxAutoscaling {
    pub enabled: bool,
    #[schemars(range(min = 1))]
    pub min_replicas: i64,
    #[schemars(range(min = 1))]
    pub max_replicas: i64,
    /// Target average CPU utilization in percent; null or 0 leaves the metric out.
    #[serde(rename = "targetCPUUtilizationPercentage")]
    #[schemars(range(min = 0))]
    pub target_cpu_utilization_percentage: Option<i64>,
    /// Target average memory utilization in percent; null or 0 leaves the metric out.
    #[schemars(range(min = 0))]
    pub target_memory_utilization_percentage: Option<i64>,
    /// The HPA's `behavior` (scale-up and scale-down policies), passed through.
    pub behavior: KubeObject,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct IngressClassResource {
    pub name: String,
    /// Make this IngressClass the cluster default.
    pub default: bool,
    pub controller_value: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AdmissionWebhooks {
    pub enabled: bool,
}

/// A rule of a Role or ClusterRole.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyRule {
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_names: Option<Vec<String>>,
    pub verbs: Vec<String>,
}

/// The API server's ServiceAccount and its permissions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Rbac {
    /// Create the ServiceAccount, Roles and bindings. Off: the pod uses `serviceAccountName`,
    /// which must exist.
    pub create: bool,
    /// Name of the ServiceAccount (default `<fullname>-api-sa`).
    pub service_account_name: Option<String>,
    /// Rules of the Role in the namespace where SkyPilot runs workloads.
    pub namespace_rules: Vec<PolicyRule>,
    /// Rules of the ClusterRole (skygen always adds read access to storage classes).
    pub cluster_rules: Vec<PolicyRule>,
    /// Let the server manage RBAC objects (roles, bindings, service accounts).
    pub manage_rbac_policies: bool,
    /// Let the server manage its system components in the `skypilot-system` namespace.
    pub manage_system_components: bool,
    /// Annotations of the ServiceAccount (IRSA, Workload Identity).
    #[schemars(schema_with = "nullable_string_map")]
    pub service_account_annotations: Option<StringMap>,
}

/// Access to Kubernetes clusters from the API server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct KubernetesCredentials {
    /// Mount the pod's service-account token (launch on the cluster the server runs in).
    pub use_api_server_cluster: bool,
    /// Mount a kubeconfig from the Secret `kubeconfigSecretName`.
    pub use_kubeconfig: bool,
    pub kubeconfig_secret_name: String,
    /// Namespace for SkyPilot workloads on this cluster (default: the release namespace).
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub incluster_namespace: Option<String>,
}

/// AWS credentials from a Secret.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct AwsCredentials {
    pub enabled: bool,
    pub aws_secret_name: String,
    /// Mount the Secret as `~/.aws` as it is (credentials/config files) instead of keys.
    pub use_credentials_file: bool,
    pub access_key_id_key_name: String,
    pub secret_access_key_key_name: String,
}

/// GCP service-account credentials from a Secret (key `gcp-cred.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct GcpCredentials {
    pub enabled: bool,
    pub project_id: Option<String>,
    pub gcp_secret_name: String,
    /// Image with `gcloud`, used by the init container.
    pub image: String,
}

macro_rules! api_key_credentials {
    ($(#[$doc:meta])* $name:ident, $field:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
        #[serde(default, deny_unknown_fields, rename_all = "camelCase")]
        pub struct $name {
            pub enabled: bool,
            /// Name of the Secret holding the credentials.
            pub $field: String,
        }
    };
}

api_key_credentials!(
    /// RunPod API key from a Secret (key `api_key`).
    RunpodCredentials, runpod_secret_name);
api_key_credentials!(
    /// DigitalOcean API token from a Secret (key `api_key`).
    DigitaloceanCredentials, digitalocean_secret_name);
api_key_credentials!(
    /// Lambda Cloud API key from a Secret (key `api_key`).
    LambdaCredentials, lambda_secret_name);
api_key_credentials!(
    /// Vast.ai API key from a Secret (key `api_key`).
    VastCredentials, vast_secret_name);
api_key_credentials!(
    /// Cloudflare R2 credentials from a Secret (keys `r2.credentials`, `accountid`).
    R2Credentials, r2_secret_name);
api_key_credentials!(
    /// CoreWeave credentials from a Secret (its files are copied to `~/.coreweave`).
    CoreweaveCredentials, coreweave_secret_name);

/// Nebius credentials from a Secret, mounted and linked into `~/.nebius`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct NebiusCredentials {
    pub enabled: bool,
    pub tenant_id: Option<String>,
    pub nebius_secret_name: String,
}

/// Slurm cluster configuration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SlurmCredentials {
    /// Content of the Slurm config file, stored in the Secret `<fullname>-slurm-config`.
    pub config: Option<String>,
}
