//! Facts for the Gateway API mode (`gateway.*`): the HTTPRoute to the API Service and the
//! policies its implementation needs for this server (long-lived streams, health checks on
//! `/api/health`). Computed once here so `templates/skypilot/gateway.yaml` only decides
//! structure. Only port 80 of the API Service is ever a backend: the metrics port (9090) has
//! no auth and must not be reachable through the Gateway. See docs/edge.md and #13.

use serde_json::{json, Value};

use super::context::fullname;
use super::Release;
use crate::values::edge::root;
use crate::values::model::{GatewayImplementation, Values};

/// How long a stream (log follow, websocket) may stay silent: ingress-nginx's
/// `proxy-read-timeout`/`proxy-send-timeout` of 3600 s, which the Ingress sets.
pub const STREAM_IDLE_SECONDS: u32 = 3600;
/// The API server's health endpoint, open without auth in every auth mode (the kubelet probes it).
pub const HEALTH_PATH: &str = "/api/health";

/// Everything the gateway template needs, under the context key `gateway` (null when off).
pub fn facts(v: &Values, release: &Release) -> Value {
    let g = &v.gateway;
    if !g.enabled {
        return Value::Null;
    }
    let f = fullname(v, release);
    let route = format!("{f}-api");
    let service = format!("{f}-api-service");
    let gke = g.implementation == GatewayImplementation::Gke;
    let path = if root(&g.path) { "/" } else { g.path.as_str() };
    json!({
        "route": route,
        "service": service,
        "parent_refs": g.parent_refs,
        "hostnames": g.hostnames,
        "annotations": g.annotations.as_ref().map(|a| a.0.clone()).filter(|a| !a.is_empty()),
        "path": path,
        // The prefix is removed before the server sees the request, as the Ingress's
        // `rewrite-target` does.
        "rewrite": !root(&g.path),
        // GKE has no route timeouts; its backend timeout is in the GCPBackendPolicy.
        "request_timeout": g.request_timeout.as_ref().filter(|_| !gke),
        "envoy_gateway": g.implementation == GatewayImplementation::EnvoyGateway,
        "gke": gke,
        "stream_idle": format!("{STREAM_IDLE_SECONDS}s"),
        "stream_idle_seconds": STREAM_IDLE_SECONDS,
        "health_path": HEALTH_PATH,
    })
}
