//! Taking over a Helm release (issue #12): `skygen diff` with Helm's output as OLD and skygen's
//! render of the same values as NEW. For every reference case (real `helm template` output in
//! `tests/fixtures/reference/`): Helm's bookkeeping never shows, nothing is `immutable` or
//! `data-loss`, and every remaining change is one that docs/helm-compat.md lists, checked by
//! what it is (script comments, blank lines and a trailing newline; the config's trailing
//! newline), not by its text. The same with Helm's hooks left out, as `helm get manifest` leaves
//! them out. A `kubectl get -o yaml` dump (`tests/fixtures/takeover/live-default.yaml`, made by
//! `make_live.py` next to it) with `--ignore-defaults`: the same changes, plus the removal its
//! last-applied annotation reveals.

mod common;
use common::{reference_cases as cases, render_reference as render};
use std::path::{Path, PathBuf};

use serde_json::Value;
use skygen::diff::{self, Change, Options, Report};
use skygen::manifest::Manifest;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn load(path: &Path) -> Vec<Value> {
    diff::input::load(path.to_str().unwrap(), &mut std::io::empty())
        .unwrap_or_else(|d| panic!("{}: {d:#?}", path.display()))
        .into_objects()
}

fn is_hook(o: &Value) -> bool {
    o.pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .is_some_and(|a| a.keys().any(|k| k.starts_with("helm.sh/hook")))
}

fn is_test_hook(o: &Value) -> bool {
    o.pointer("/metadata/annotations/helm.sh~1hook")
        .and_then(Value::as_str)
        .is_some_and(|h| h.split(',').any(|h| h.trim() == "test"))
}

/// A script without what the shell ignores: comment lines, blank lines, trailing whitespace,
/// quotes around a word that needs none (the Nebius tenant id row of docs/helm-compat.md).
fn commands(script: &str) -> Vec<String> {
    script
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(common::unquote_safe_words)
        .collect()
}

/// Every change must be one docs/helm-compat.md lists; returns the ones that are not.
fn unlisted_changes(case: &str, old: &[Value], new: &[Value], report: &Report) -> Vec<String> {
    let find = |side: &[Value], id: &skygen::manifest::ObjectId| {
        side.iter()
            .find(|o| skygen::manifest::ObjectId::of(o) == *id)
            .cloned()
            .unwrap()
    };
    let compat =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/helm-compat.md"))
            .unwrap();
    let mut bad = vec![];
    for d in &report.objects {
        if d.change == Change::Removed {
            let o = find(old, &d.id);
            // "`helm test` objects … not rendered" and the Grafana admin Secret skygen never
            // invents ("The admin password in the Secret `<release>-grafana`").
            let listed = (is_test_hook(&o) && compat.contains("`helm test` objects"))
                || (d.id.kind == "Secret"
                    && d.id.name.ends_with("-grafana")
                    && compat.contains("The admin password in the Secret `<release>-grafana`"));
            if !listed {
                bad.push(format!("{case}: {} removed", d.id));
            }
            continue;
        }
        if d.change != Change::Changed {
            bad.push(format!("{case}: {} {}", d.id, d.change.as_str()));
            continue;
        }
        let (o, n) = (find(old, &d.id), find(new, &d.id));
        for p in &d.paths {
            let (a, b) = (
                o.pointer(p).and_then(Value::as_str),
                n.pointer(p).and_then(Value::as_str),
            );
            let listed = match (d.id.kind.as_str(), a, b) {
                // "Script comments" (and the blank lines and trailing newline around them).
                ("Deployment", Some(a), Some(b)) if p.contains("/args/") => {
                    commands(a) == commands(b)
                }
                // "skygen's own dashboards (`dashboards/`)": same names and keys, other JSON.
                ("ConfigMap", Some(_), Some(_))
                    if p.starts_with("/data/")
                        && o.pointer("/metadata/labels/grafana_dashboard").is_some() =>
                {
                    compat.contains("skygen's own dashboards (`dashboards/`)")
                }
                // "`prometheus.yml` … the same configuration … without comments".
                ("ConfigMap", Some(a), Some(b)) if p == "/data/prometheus.yml" => {
                    let parse = |t: &str| skygen::yaml::read_stream(t).unwrap()[0].value.clone();
                    parse(a) == parse(b)
                }
                // "`apiService.config` written as a `|-` block (its trailing newline removed)".
                ("ConfigMap", Some(a), Some(b)) if p == "/data/config.yaml" => {
                    a.trim_end_matches('\n') == b.trim_end_matches('\n')
                }
                _ => reordered(&o, &n, p) || metadata_key_listed(&o, &n, p, &compat),
            };
            if !listed {
                bad.push(format!("{case}: {} {p}: {a:?} -> {b:?}", d.id));
            }
        }
    }
    bad
}

/// Is `p` inside a list whose items are the same on both sides, in another order? ("Order of
/// the API server's volumes" in docs/helm-compat.md.)
fn reordered(old: &Value, new: &Value, p: &str) -> bool {
    let segs: Vec<&str> = p.split('/').collect();
    (1..segs.len()).any(|end| {
        let at = segs[..end].join("/");
        match (old.pointer(&at), new.pointer(&at)) {
            (Some(Value::Array(a)), Some(Value::Array(b))) => {
                let sorted = |l: &Vec<Value>| {
                    let mut v: Vec<String> = l.iter().map(Value::to_string).collect();
                    v.sort();
                    v
                };
                a != b && sorted(a) == sorted(b)
            }
            _ => false,
        }
    })
}

/// Is `p` a label or annotation (or a whole labels/annotations map) whose every differing key
/// docs/helm-compat.md names? skygen's own metadata (release labels, keep marks) is listed there.
fn metadata_key_listed(old: &Value, new: &Value, p: &str, compat: &str) -> bool {
    let Some((map_at, key)) = ["/labels", "/annotations"].iter().find_map(|m| {
        let i = p.find(&format!("metadata{m}"))?;
        let end = i + "metadata".len() + m.len();
        Some((&p[..end], p[end..].trim_start_matches('/')))
    }) else {
        return false;
    };
    let keys: Vec<String> = if key.is_empty() {
        let map = |v: &Value| {
            v.pointer(map_at)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let (a, b) = (map(old), map(new));
        a.keys()
            .chain(b.keys())
            .filter(|k| a.get(*k) != b.get(*k))
            .cloned()
            .collect()
    } else {
        vec![key.replace("~1", "/").replace("~0", "~")]
    };
    !keys.is_empty() && keys.iter().all(|k| compat.contains(k.as_str()))
}

fn assert_safe(case: &str, report: &Report) {
    for d in &report.objects {
        for r in &d.risks {
            assert!(
                !matches!(r.kind.as_str(), "immutable" | "data-loss"),
                "{case}: {} {}: {}",
                d.id,
                r.kind,
                r.message
            );
        }
    }
}

#[test]
fn helm_compat_lists_the_differences_this_test_accepts() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/helm-compat.md"))
            .unwrap();
    assert!(doc.contains("Script comments"));
    assert!(doc.contains("`apiService.config` written as a `|-` block"));
    assert!(doc.contains("helm.sh/"));
    assert!(doc.contains("Order of the API server's `volumes`"));
}

#[test]
fn taking_over_each_reference_release_changes_only_what_helm_compat_lists() {
    let mut bad = vec![];
    let all = cases();
    assert!(all.len() >= 12, "{all:?}");
    for case in &all {
        let helm = load(&fixtures().join(format!("reference/{case}.helm-output.yaml")));
        let new = render(case);
        let report = compare(helm.clone(), new.clone(), &Options::default());
        assert_safe(case, &report);
        bad.extend(unlisted_changes(case, &helm, &new, &report));
        // Helm's labels and annotations never show, in any object or pod template.
        for d in &report.objects {
            assert!(
                !d.old_text.contains("helm.sh/") && !d.old_text.contains("managed-by: Helm"),
                "{case}: {}",
                d.id
            );
        }
        // The API server's pod is replaced once (its script's wording differs); with the bundled
        // Grafana its pod too (the `checksum/*` annotations are of skygen's own dashboards and
        // config text, docs/helm-compat.md); nothing else.
        let mut expected = vec![format!("{}-api-server", fullname(case))];
        if helm.iter().any(|o| {
            o["kind"] == "Deployment"
                && o.pointer("/metadata/labels/app.kubernetes.io~1name") == Some(&"grafana".into())
        }) {
            expected.push(format!("{}-grafana", fullname(case)));
        }
        let restarts: Vec<String> = report
            .objects
            .iter()
            .filter(|d| d.risks.iter().any(|r| r.kind.as_str() == "restart"))
            .map(|d| d.id.name.clone())
            .collect();
        assert_eq!(restarts, expected, "{case}");
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

fn fullname(case: &str) -> String {
    let text =
        std::fs::read_to_string(fixtures().join(format!("reference/{case}.values.yaml"))).unwrap();
    text.lines()
        .take(3)
        .find_map(|l| l.strip_prefix("# release: "))
        .unwrap_or("skypilot")
        .trim()
        .to_owned()
}

#[test]
fn helm_get_manifest_leaves_out_hooks_which_then_show_as_added() {
    for case in cases() {
        let helm: Vec<Value> = load(&fixtures().join(format!("reference/{case}.helm-output.yaml")))
            .into_iter()
            .filter(|o| !is_hook(o))
            .collect();
        // `helm test` objects are not part of a release and skygen does not render them.
        let hooks: Vec<String> =
            load(&fixtures().join(format!("reference/{case}.helm-output.yaml")))
                .iter()
                .filter(|o| is_hook(o) && !is_test_hook(o))
                .map(|o| skygen::manifest::ObjectId::of(o).to_string())
                .collect();
        let report = compare(helm, render(&case), &Options::default());
        assert_safe(&case, &report);
        let mut added: Vec<String> = report
            .objects
            .iter()
            .filter(|d| d.change == Change::Added)
            .map(|d| d.id.to_string())
            .collect();
        let mut hooks = hooks;
        added.sort();
        hooks.sort();
        assert_eq!(added, hooks, "{case}: only Helm's hook objects are new");
    }
}

#[test]
fn a_live_dump_with_ignore_defaults_shows_only_real_changes() {
    let live = load(&fixtures().join("takeover/live-default.yaml"));
    let mut new = render("default");
    // The first apply adds skygen's release labels and keep marks to every object's metadata
    // (docs/lifecycle.md, #10), on purpose; exactly those keys are left out here so the changes
    // below are the ones that matter.
    new.iter_mut().for_each(common::strip_lifecycle_metadata);
    let hooks: Vec<String> = load(&fixtures().join("reference/default.helm-output.yaml"))
        .iter()
        .filter(|o| is_hook(o))
        .map(|o| skygen::manifest::ObjectId::of(o).to_string())
        .collect();
    let opts = Options {
        ignore_defaults: true,
        ..Options::default()
    };
    let report = compare(live.clone(), new.clone(), &opts);
    assert_safe("live", &report);
    let changed: Vec<(String, Vec<String>)> = report
        .objects
        .iter()
        .filter(|d| d.change != Change::Added || !hooks.contains(&d.id.to_string()))
        .map(|d| (d.id.to_string(), d.paths.clone()))
        .collect();
    assert_eq!(
        changed,
        [
            // The key only the last `kubectl apply` set: its removal is seen.
            (
                "ConfigMap/skypilot/skypilot-config".to_owned(),
                vec!["/data/legacy".to_owned()]
            ),
            (
                "Deployment.apps/skypilot/skypilot-api-server".to_owned(),
                vec![
                    "/spec/template/spec/containers/0/args/2".to_owned(),
                    "/spec/template/spec/containers/1/args/0".to_owned()
                ]
            ),
        ]
    );
    // Without --ignore-defaults the server's defaults show as removals (and the defaulted
    // storage class looks like a change of an immutable field): the reason for the flag.
    let plain = compare(live, new, &Options::default());
    assert!(plain.objects.iter().any(|d| d
        .paths
        .iter()
        .any(|p| p.ends_with("/terminationMessagePath"))));
    assert!(plain.has_risk(&[skygen::diff::risk::RiskKind::Immutable]));
}

#[test]
fn the_command_suggests_ignore_defaults_for_a_live_dump() {
    let tmp = common::TempDir::new("live");
    let new = tmp.write(
        "new.yaml",
        skygen::manifest::to_yaml_stream(&Manifest::from_objects(render("default"))),
    );
    let live = fixtures().join("takeover/live-default.yaml");
    let run = |extra: &[&str]| {
        let mut args = vec!["diff", live.to_str().unwrap(), new.as_str()];
        args.extend(extra);
        std::process::Command::new(env!("CARGO_BIN_EXE_skygen"))
            .args(&args)
            .output()
            .unwrap()
    };
    let plain = run(&[]);
    assert_eq!(plain.status.code(), Some(1));
    let stderr = String::from_utf8(plain.stderr).unwrap();
    assert!(stderr.contains("add --ignore-defaults"), "{stderr}");
    let gated = run(&["--ignore-defaults", "--fail-on", "immutable,data-loss"]);
    assert_eq!(gated.status.code(), Some(1));
    assert!(gated.stderr.is_empty());
}

/// `diff::compare` of two object lists.
fn compare(old: Vec<Value>, new: Vec<Value>, opts: &Options) -> Report {
    diff::compare(
        Manifest::from_objects(old),
        Manifest::from_objects(new),
        opts,
    )
}
