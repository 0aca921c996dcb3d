//! Facts for the Gateway API mode (`gateway.*`): the HTTPRoute to the API Service and the
//! policies its implementation needs for this server (long-lived streams, health checks on
//! `/api/health`). Computed once here so `templates/skypilot/gateway.yaml` only decides
//! structure. Only port 80 of the API Service is ever a backend: the metrics port (9090) has
//! no auth and must not be reachable through the Gateway. See docs/edge.md and #13.

use serde::Serialize;

use crate::values::edge::root;
use crate::values::model::{GatewayImplementation, KubeObject, UpgradeStrategy};
use crate::values::Validated;

/// How long a stream (log follow, websocket) may stay silent: ingress-nginx's
/// `proxy-read-timeout`/`proxy-send-timeout` of 3600 s, which the Ingress sets.
pub const STREAM_IDLE_SECONDS: u32 = 3600;
/// The API server's health endpoint, open without auth in every auth mode (the kubelet probes it).
pub const HEALTH_PATH: &str = "/api/health";
/// The cookie that keeps a client on one pod while old and new pods overlap (the Ingress's
/// `session-cookie-name`).
pub const ROUTE_COOKIE: &str = "SKYPILOT_ROUTEID";

/// What `templates/skypilot/gateway.yaml` reads, under the context key `gateway`.
#[derive(Serialize)]
pub struct Gateway<'a> {
    /// The HTTPRoute's name (and the BackendTrafficPolicy's): `<fullname>-api`.
    pub route: String,
    /// The API Service, the only backend: `<fullname>-api-service`, port 80.
    pub service: &'a str,
    pub parent_refs: &'a [KubeObject],
    pub hostnames: &'a [String],
    pub annotations: Option<&'a KubeObject>,
    pub path: &'a str,
    /// Remove the path prefix before the server sees the request, as the Ingress's
    /// `rewrite-target` does.
    pub rewrite: bool,
    /// The route's `timeouts.request`; never on GKE, which has no route timeouts (its backend
    /// timeout is in the GCPBackendPolicy).
    pub request_timeout: Option<&'a str>,
    pub envoy_gateway: bool,
    pub gke: bool,
    pub stream_idle: String,
    pub stream_idle_seconds: u32,
    pub health_path: &'static str,
    /// Under RollingUpdate: retry a request that met a pod going away (502), as the Ingress's
    /// `proxy-next-upstream: http_502 non_idempotent` with 3 tries does. Envoy Gateway only.
    pub retry_502: bool,
    /// Under RollingUpdate with `ingress.sessionAffinity`: the sticky cookie's name.
    pub sticky_cookie: Option<&'static str>,
}

/// The gateway facts, or `None` when `gateway.enabled` is off.
pub fn facts(validated: &Validated) -> Option<Gateway<'_>> {
    let g = &validated.values().gateway;
    if !g.enabled {
        return None;
    }
    let names = &validated.resolved().names;
    let gke = g.implementation == GatewayImplementation::Gke;
    let v = validated.values();
    let rolling = v.api_service.upgrade_strategy == UpgradeStrategy::RollingUpdate;
    Some(Gateway {
        route: format!("{}-api", names.fullname),
        service: &names.api_service,
        parent_refs: &g.parent_refs,
        hostnames: &g.hostnames,
        annotations: g
            .annotations
            .as_ref()
            .map(|a| &a.0)
            .filter(|a| !a.is_empty()),
        path: if root(&g.path) { "/" } else { &g.path },
        rewrite: !root(&g.path),
        request_timeout: g.request_timeout.as_deref().filter(|_| !gke),
        envoy_gateway: g.implementation == GatewayImplementation::EnvoyGateway,
        gke,
        stream_idle: format!("{STREAM_IDLE_SECONDS}s"),
        stream_idle_seconds: STREAM_IDLE_SECONDS,
        health_path: HEALTH_PATH,
        retry_502: rolling,
        sticky_cookie: (rolling && v.ingress.session_affinity).then_some(ROUTE_COOKIE),
    })
}
