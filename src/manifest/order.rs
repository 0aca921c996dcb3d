//! The published order of kinds in a rendered stream (Helm's install order, extended): what
//! others depend on comes first — namespaces, then identities, config and storage, then RBAC,
//! Services, workloads, Ingresses — and admission webhooks last, so they never reject objects
//! of the same apply. Kinds not listed sort after the known ones and before the webhooks.

const KIND_ORDER: &[&str] = &[
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    // Gateway API mode (#13): the route, then the implementation policies that target it.
    "HTTPRoute",
    "BackendTrafficPolicy",
    "GCPBackendPolicy",
    "HealthCheckPolicy",
    "APIService",
];

const LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Position of a kind in the stream order.
pub fn kind_rank(kind: &str) -> usize {
    if let Some(i) = KIND_ORDER.iter().position(|k| *k == kind) {
        return i;
    }
    match LAST.iter().position(|k| *k == kind) {
        Some(i) => KIND_ORDER.len() + 1 + i,
        None => KIND_ORDER.len(),
    }
}
