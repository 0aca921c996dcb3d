//! The upgrade corpus (issue #12, issue #16): real pairs of values in `tests/upgrades/<pair>/`
//! (`old.values.yaml`, `new.values.yaml`), each rendered by skygen and diffed. Every pair asserts
//! the exact set of risk classes; each expectation below is reasoned from Kubernetes and SkyPilot
//! semantics (written before looking at skygen's output), not copied from it. The same pairs
//! check the Markdown comment (`--format markdown`): its structure, masking and size bound.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;
use skygen::diff::{self, markdown, Options, Report};
use skygen::inputs::Inputs;
use skygen::manifest::Manifest;
use skygen::render::Release;
use skygen::values::ValueSource;

fn dir(pair: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/upgrades")
        .join(pair)
}

fn render(pair: &str, side: &str, overlays: &[&str]) -> Vec<Value> {
    let path = dir(pair).join(format!("{side}.values.yaml"));
    let inputs = Inputs {
        sources: vec![ValueSource::File(path.to_string_lossy().into_owned())],
        overlays: overlays.iter().map(|s| s.to_string()).collect(),
        release: Release {
            name: "skypilot".into(),
            namespace: "skypilot".into(),
            kube_version: (1, 35),
        },
        allow_vulnerable_ingress_nginx: false,
        skypilot_version: None,
        lifecycle: Default::default(),
    };
    match skygen::render_deployment(&inputs, &mut std::io::empty()) {
        Ok(r) => r.objects.into_objects(),
        Err(d) => panic!("{pair}/{side}: {d:#?}"),
    }
}

/// (pair, overlays of the new side, expected classes, why).
const PAIRS: &[(&str, &[&str], &[&str], &str)] = &[
    (
        "image-bump",
        &[],
        &["restart", "downtime"],
        "the API server's pod template changes (image), so its pod is replaced; the chart's \
         default strategy is Recreate, so the old pod stops before the new one serves",
    ),
    (
        "storage-class",
        &[],
        &["immutable"],
        "a bound PVC's spec.storageClassName cannot change; nothing else renders differently",
    ),
    (
        "storage-growth",
        &[],
        &[],
        "resources.requests.storage may grow in place (volume expansion); no pod template changes",
    ),
    (
        "fullname-override",
        &[],
        &["data-loss", "downtime"],
        "every object is renamed: the state PVC skypilot-state is removed and a new empty one \
         claimed; the API server Deployment is removed and a new one starts. Grants, auth and \
         exposure are the same under the new names, so no privilege or exposure",
    ),
    (
        "auth-removed",
        &[],
        &["exposure", "restart", "downtime"],
        "the Ingress loses its basic-auth annotations; the API server's env changes \
         (SKYPILOT_INGRESS_BASIC_AUTH_ENABLED goes), so its Recreate pod is replaced",
    ),
    (
        "traefik-nginx-auth",
        &[],
        &["exposure"],
        "traefik does not read nginx.ingress.kubernetes.io/auth-*: the Ingress is served without \
         authentication (skygen renders it only with ingress.nginxCompatible=true, a promise the \
         objects do not carry); no pod template changes",
    ),
    (
        "extra-rbac",
        &[],
        &["privilege"],
        "the API server's ClusterRole gains get/list on secrets cluster-wide",
    ),
    (
        "config-change",
        &[],
        &["config-not-applied"],
        "only the config ConfigMap changes; the server keeps ~/.sky/config.yaml on its PVC and \
         seeds it from the ConfigMap only when empty",
    ),
    (
        "cookie-secret-source",
        &[],
        &["logout", "restart"],
        "oauth2-proxy's cookie secret moves from a derived value to a Secret key: a different \
         secret, so cookies no longer decrypt; its env changes, so its pod is replaced \
         (oauth2-proxy is neither the API server nor the ingress controller: no downtime class)",
    ),
    (
        "replicas",
        &[],
        &[],
        "scaling changes spec.replicas, not the pod template: no pod is replaced",
    ),
    (
        "minimal-rbac-overlay",
        &["minimal-rbac"],
        &["config-not-applied"],
        "the overlay writes kubernetes.remote_identity into config.yaml (not applied to a \
         running server) and only removes RBAC and the skypilot-system Namespace, which holds \
         no PVC: less privilege, no data",
    ),
    (
        "ingress-nginx-disabled",
        &[],
        &["downtime"],
        "the bundled controller goes while the Ingress still names class nginx: nothing in the \
         release serves it any more; only removals, so nothing else",
    ),
];

fn pair_report(pair: &str, overlays: &[&str]) -> Report {
    compare(
        render(pair, "old", &[]),
        render(pair, "new", overlays),
        &Options::default(),
    )
}

#[test]
fn every_pair_has_exactly_the_reasoned_risk_classes() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = PAIRS.iter().map(|p| p.0.to_owned()).collect();
    assert_eq!(on_disk, listed, "every pair directory is listed here");
    let mut failures = vec![];
    for (pair, overlays, expected, why) in PAIRS {
        let report = pair_report(pair, overlays);
        assert!(!report.is_empty(), "{pair}: the two renders differ");
        let got: BTreeSet<&str> = report
            .objects
            .iter()
            .flat_map(|o| o.risks.iter().map(|r| r.kind.as_str()))
            .collect();
        let want: BTreeSet<&str> = expected.iter().copied().collect();
        if got != want {
            let lines: Vec<String> = report
                .objects
                .iter()
                .flat_map(|o| {
                    o.risks
                        .iter()
                        .map(move |r| format!("  {} {}: {}", o.id, r.kind, r.message))
                })
                .collect();
            failures.push(format!(
                "{pair}: expected {want:?} ({why}), got {got:?}\n{}",
                lines.join("\n")
            ));
        }
        for o in &report.objects {
            for r in &o.risks {
                assert!(
                    !r.message.is_empty() && !r.message.contains('\n'),
                    "{pair}: one line: {r:?}"
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn risks_name_the_field_that_causes_them() {
    let r = pair_report("image-bump", &[]);
    let api = &r.objects[0];
    assert_eq!(api.id.name, "skypilot-api-server");
    let restart = api
        .risks
        .iter()
        .find(|r| r.kind.as_str() == "restart")
        .unwrap();
    assert_eq!(restart.path, "/spec/template/spec/containers/0/image");
    assert!(
        restart.message.contains("containers[skypilot-api].image"),
        "{}",
        restart.message
    );
    let down = api
        .risks
        .iter()
        .find(|r| r.kind.as_str() == "downtime")
        .unwrap();
    assert_eq!(down.path, "/spec/strategy/type");
    let r = pair_report("storage-class", &[]);
    assert_eq!(r.objects[0].risks[0].path, "/spec/storageClassName");
    let r = pair_report("traefik-nginx-auth", &[]);
    assert_eq!(r.objects[0].risks[0].path, "/spec/ingressClassName");
}

/// The `<details>` sections of a comment, in order: their summary lines.
fn sections(md: &str) -> Vec<&str> {
    md.lines().filter(|l| l.starts_with("<details>")).collect()
}

#[test]
fn markdown_comment_has_counts_a_risk_table_and_a_section_per_object() {
    for (pair, overlays, expected, _) in PAIRS {
        let report = pair_report(pair, overlays);
        let md = markdown::render(&report, &markdown::Limits::default());
        let (c, a, r) = report.counts();
        assert!(
            md.starts_with(&format!(
                "### skygen diff: {c} changed, {a} added, {r} removed"
            )),
            "{pair}: {md}"
        );
        assert_eq!(sections(&md).len(), report.objects.len(), "{pair}");
        assert_eq!(
            md.matches("</details>").count(),
            report.objects.len(),
            "{pair}"
        );
        for class in *expected {
            assert!(
                md.contains(&format!("| `{class}` |")),
                "{pair}: {class} in the table"
            );
        }
        if expected.is_empty() {
            assert!(md.contains("No risks found."), "{pair}");
        }
        let risks: usize = report.objects.iter().map(|o| o.risks.len()).sum();
        let rows = md
            .lines()
            .filter(|l| l.starts_with("| ") && l.contains(" | `") && !l.starts_with("| `"))
            .count();
        assert_eq!(rows, risks, "{pair}: one row per risk");
        // Every fence opened is closed.
        assert_eq!(
            md.lines().filter(|l| l.starts_with("```")).count() % 2,
            0,
            "{pair}"
        );
    }
}

#[test]
fn markdown_masks_secrets() {
    // The htpasswd line of the basic-auth Secret and the OAuth client secret in the proxy's env.
    let md = markdown::render(
        &pair_report("auth-removed", &[]),
        &markdown::Limits::default(),
    );
    assert!(md.contains("<hidden, 46 bytes>"), "{md}");
    assert!(!md.contains("$apr1$"), "{md}");
    let md = markdown::render(
        &pair_report("cookie-secret-source", &[]),
        &markdown::Limits::default(),
    );
    assert!(!md.contains("s3cr3t-client-value"), "{md}");
}

#[test]
fn markdown_is_bounded_and_says_what_was_cut() {
    let report = pair_report("fullname-override", &[]);
    let limits = markdown::Limits {
        max_chars: 8_000,
        max_object_lines: 20,
        max_risk_rows: 1,
    };
    let md = markdown::render(&report, &limits);
    assert!(
        md.chars().count() <= limits.max_chars,
        "{} chars",
        md.chars().count()
    );
    assert!(md.contains("more lines cut"), "{md}");
    assert!(md.contains("1 more risks not listed"), "{md}");
    let shown = sections(&md).len();
    assert!(shown < report.objects.len());
    assert!(
        md.contains(&format!(
            "the diffs of {} more objects are not shown",
            report.objects.len() - shown
        )),
        "{md}"
    );
    // The default bound holds for the largest pair too.
    let md = markdown::render(&report, &markdown::Limits::default());
    assert!(md.chars().count() <= markdown::Limits::default().max_chars);
}

/// `diff::compare` of two object lists.
fn compare(old: Vec<Value>, new: Vec<Value>, opts: &Options) -> Report {
    diff::compare(
        Manifest::from_objects(old),
        Manifest::from_objects(new),
        opts,
    )
}
