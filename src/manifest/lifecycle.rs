//! What Helm does for a release besides templating, as data on the objects (issue #10): the
//! release's identity labels, the Namespace `--create-namespace` asks for, and the marks that keep
//! Namespaces and volumes out of every prune and uninstall.
//!
//! Takes the objects after overlays ([`Patched`], so an overlay cannot drop a label by accident)
//! and returns them stamped; normalize sorts them afterwards. It touches `metadata` only: pod templates and
//! selectors stay the chart's, so taking over a Helm release never changes a Deployment selector
//! or restarts a pod. It never reads the cluster. The commands that use these labels are in
//! docs/lifecycle.md, and `tests/lifecycle.rs` checks them against what this module writes.

use std::borrow::Cow;

use serde_json::{json, Map, Value};

use crate::overlay::Patched;
use crate::render::{Object, Release};

/// Release name of the release that owns the object.
pub const RELEASE_LABEL: &str = "skygen.io/release";
/// Namespace of the release that owns the object. With [`RELEASE_LABEL`] it identifies the
/// release as Helm does (a release name is unique per namespace), also on cluster-scoped objects
/// and on objects in other namespaces (`skypilot-system`).
pub const RELEASE_NAMESPACE_LABEL: &str = "skygen.io/release-namespace";
/// On objects no prune or uninstall may delete (Namespaces, PersistentVolumeClaims): selectors in
/// docs/lifecycle.md exclude it, and `kubectl apply -l skygen.io/keep=true` applies them alone.
pub const KEEP_LABEL: &str = "skygen.io/keep";
const ARGOCD_SYNC_OPTIONS: &str = "argocd.argoproj.io/sync-options";
/// Annotations the GitOps tools honour to never prune or delete an object.
pub const KEEP_ANNOTATIONS: &[(&str, &str)] = &[
    (ARGOCD_SYNC_OPTIONS, "Prune=false,Delete=false"),
    ("kustomize.toolkit.fluxcd.io/prune", "disabled"),
];

/// Kinds whose deletion loses what the release does not own or cannot recreate: a Namespace takes
/// everything in it (and `skypilot-system` or `kubernetesCredentials.inclusterNamespace` may be
/// shared with other releases and with SkyPilot's clusters); a PersistentVolumeClaim holds the API
/// server's state.
pub const KEPT_KINDS: &[&str] = &["Namespace", "PersistentVolumeClaim"];

/// The lifecycle choices of a render, from the command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `--create-namespace`: emit the release's Namespace (Helm's flag of the same name).
    pub create_namespace: bool,
    /// `--skip-kept`: leave out the kept objects, for `kubectl apply --prune --applyset`, which
    /// makes every object it is given a member of the set and prunes members that leave it.
    pub skip_kept: bool,
    /// `--only-namespace NS`: only the objects `kubectl apply -n NS` accepts: those of namespace
    /// NS, plus the cluster-scoped ones when NS is the release's namespace (so each lands in
    /// exactly one part). kubectl's ApplySet takes its parent's namespace from `-n` and then
    /// refuses objects of any other namespace, so a release that spans namespaces is applied as
    /// one ApplySet per namespace.
    pub only_namespace: Option<String>,
}

/// Is this one of the objects every prune and uninstall must leave alone?
pub fn is_kept(obj: &Value) -> bool {
    obj.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| KEPT_KINDS.contains(&k))
}

/// Stamp the objects of `release`: its Namespace when asked, identity labels on every object it
/// owns (all but Namespaces, which a release never owns: Helm's `--create-namespace` Namespace
/// is not part of the release either), keep marks on the kept objects.
pub fn stamp(mut patched: Patched, release: &Release, opts: &Options) -> Patched {
    let objects = &mut patched.objects;
    let has_namespace = objects.iter().any(|o| {
        o.value["kind"] == "Namespace"
            && o.value.pointer("/metadata/name") == Some(&json!(release.namespace))
    });
    if opts.create_namespace && !has_namespace {
        objects.push(Object {
            value: json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": release.namespace},
            }),
            template: Cow::Borrowed("--create-namespace"),
        });
    }
    if opts.skip_kept {
        objects.retain(|o| !is_kept(&o.value));
    }
    if let Some(ns) = &opts.only_namespace {
        objects.retain(|o| {
            match o
                .value
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
            {
                Some(own) => own == ns,
                None => *ns == release.namespace,
            }
        });
    }
    for obj in objects.iter_mut().map(|o| &mut o.value) {
        let kept = is_kept(obj);
        let owned = obj["kind"] != "Namespace";
        let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
            continue;
        };
        let labels = map_at(meta, "labels");
        if owned {
            labels.insert(RELEASE_LABEL.into(), json!(release.name));
            labels.insert(RELEASE_NAMESPACE_LABEL.into(), json!(release.namespace));
        }
        if kept {
            labels.insert(KEEP_LABEL.into(), json!("true"));
            keep_annotations(map_at(meta, "annotations"));
        }
    }
    patched
}

/// Add the keep annotations to what an overlay may already have set: Argo CD's sync options are
/// a comma-separated list, so `Prune=false` and `Delete=false` join the options there unless
/// the overlay chose `Prune=` or `Delete=` itself; Flux's annotation is set only when absent.
fn keep_annotations(annotations: &mut Map<String, Value>) {
    for (key, wanted) in KEEP_ANNOTATIONS {
        let Some(existing) = annotations.get(*key).and_then(Value::as_str) else {
            annotations.insert((*key).into(), json!(wanted));
            continue;
        };
        if *key != ARGOCD_SYNC_OPTIONS {
            continue;
        }
        let mut options: Vec<String> = existing
            .split(',')
            .map(|o| o.trim().to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        for option in wanted.split(',') {
            let name = option.split('=').next().unwrap_or_default();
            if !options.iter().any(|o| o.starts_with(&format!("{name}="))) {
                options.push(option.to_owned());
            }
        }
        annotations.insert((*key).into(), json!(options.join(",")));
    }
}

/// The map at `key` of `meta`, created when missing or null.
fn map_at<'a>(meta: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let slot = meta.entry(key).or_insert_with(|| json!({}));
    if !slot.is_object() {
        *slot = json!({});
    }
    slot.as_object_mut().expect("made a map above")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patched(values: Vec<Value>) -> Patched {
        Patched {
            objects: values
                .into_iter()
                .map(|value| Object {
                    value,
                    template: Cow::Borrowed("test"),
                })
                .collect(),
        }
    }

    fn values(p: Patched) -> Vec<Value> {
        p.objects.into_iter().map(|o| o.value).collect()
    }

    fn release() -> Release {
        Release {
            name: "sky".into(),
            namespace: "ops".into(),
            kube_version: (1, 35),
        }
    }

    #[test]
    fn keep_annotations_join_an_overlays_options() {
        let mut a = Map::new();
        a.insert(
            ARGOCD_SYNC_OPTIONS.into(),
            json!("Prune=false, ServerSideApply=true"),
        );
        a.insert("kustomize.toolkit.fluxcd.io/prune".into(), json!("enabled"));
        keep_annotations(&mut a);
        assert_eq!(
            a[ARGOCD_SYNC_OPTIONS],
            "Prune=false,ServerSideApply=true,Delete=false"
        );
        assert_eq!(a["kustomize.toolkit.fluxcd.io/prune"], "enabled");
    }

    #[test]
    fn labels_go_on_metadata_only() {
        let deploy = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "labels": {"app": "x"}},
            "spec": {"selector": {"matchLabels": {"app": "x"}},
                     "template": {"metadata": {"labels": {"app": "x"}}}}});
        let out = values(stamp(
            patched(vec![deploy]),
            &release(),
            &Options::default(),
        ));
        assert_eq!(
            out[0]["metadata"]["labels"],
            json!({"app": "x", RELEASE_LABEL: "sky", RELEASE_NAMESPACE_LABEL: "ops"})
        );
        assert_eq!(
            out[0]["spec"]["selector"]["matchLabels"],
            json!({"app": "x"})
        );
        assert_eq!(
            out[0]["spec"]["template"]["metadata"]["labels"],
            json!({"app": "x"})
        );
    }

    #[test]
    fn namespaces_and_volumes_are_kept_and_namespaces_not_owned() {
        let pvc =
            json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "p"}});
        let opts = Options {
            create_namespace: true,
            ..Options::default()
        };
        let out = values(stamp(patched(vec![pvc]), &release(), &opts));
        let ns = out.iter().find(|o| o["kind"] == "Namespace").unwrap();
        assert_eq!(ns["metadata"]["name"], "ops");
        assert_eq!(ns["metadata"]["labels"], json!({KEEP_LABEL: "true"}));
        let pvc = out.iter().find(|o| o["kind"] != "Namespace").unwrap();
        assert_eq!(pvc["metadata"]["labels"][KEEP_LABEL], "true");
        assert_eq!(pvc["metadata"]["labels"][RELEASE_LABEL], "sky");
        assert_eq!(
            pvc["metadata"]["annotations"]["argocd.argoproj.io/sync-options"],
            "Prune=false,Delete=false"
        );

        let skipped = stamp(
            patched(out),
            &release(),
            &Options {
                create_namespace: true,
                skip_kept: true,
                only_namespace: None,
            },
        );
        assert!(skipped.objects.is_empty(), "{skipped:?}");
    }
}
