//! The Kubernetes version rule: the bundled ingress-nginx controller's chart installs only on
//! Kubernetes 1.21 or newer (its `kubeVersion`), checked against `--kube-version`.

use super::deprecations::at;
use super::merge::Origins;
use super::model::Values;
use crate::diagnostics::{Code, Diagnostic};

/// Oldest Kubernetes the ingress-nginx chart 4.11 installs on (its `kubeVersion`).
pub const MIN_KUBE_VERSION: (u32, u32) = (1, 21);

/// The bundled controller needs Kubernetes 1.21 or newer (the chart's `kubeVersion`).
pub fn check_kube_version(v: &Values, origins: &Origins, kube: (u32, u32)) -> Vec<Diagnostic> {
    if !v.ingress_nginx.enabled || kube >= MIN_KUBE_VERSION {
        return Vec::new();
    }
    vec![at(
        true,
        Code::Rule,
        origins,
        "/ingress-nginx/enabled",
        format!(
            "the bundled ingress-nginx controller needs Kubernetes {}.{} or newer; the target \
             is {}.{}",
            MIN_KUBE_VERSION.0, MIN_KUBE_VERSION.1, kube.0, kube.1
        ),
    )
    .with_help("set ingress-nginx.enabled=false and use a controller that supports your cluster")]
}
