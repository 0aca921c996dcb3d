//! Equivalence with the upstream chart: for every reference case in `tests/fixtures/reference`
//! (values + the output of `helm template` for them, copied from the chart's reference set), the
//! chart's own objects that skygen renders mean the same as Helm's. Helm's own labels and
//! annotations, nulls, list order and comment lines in scripts are not meaning; everything else
//! (names, namespaces, labels, selectors, env, volumes, script commands, rules) must match.
//! The ingress-nginx subchart's objects are compared in `tests/ingress_nginx.rs`.

mod common;
use common::{
    reference_cases as cases, reference_dir, reference_inputs, render_reference as render_case,
    unquote_safe_words,
};

use serde_json::Value;
use skygen::manifest::ObjectId;

/// The documents of a Helm output whose template belongs to the chart itself.
fn helm_own_objects(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for chunk in text.split("\n---") {
        let own = chunk
            .lines()
            .find(|l| l.starts_with("# Source: "))
            .is_some_and(|l| l.starts_with("# Source: skypilot/templates/"));
        if !own {
            continue;
        }
        let docs = skygen::yaml::read_stream(chunk).expect("reference output is YAML");
        out.extend(docs.into_iter().map(|d| d.value).filter(|v| !v.is_null()));
    }
    out
}

/// Remove what is not meaning: nulls, Helm's own metadata, comment lines and trailing
/// whitespace of multi-line strings, list order.
fn canonical(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, x| !x.is_null() && !k.starts_with("helm.sh/"));
            m.values_mut().for_each(canonical);
            // An emptied annotations or labels map is absent.
            m.retain(|k, x| {
                !(matches!(k.as_str(), "annotations" | "labels")
                    && x.as_object().is_some_and(|o| o.is_empty()))
            });
        }
        Value::Array(a) => {
            a.iter_mut().for_each(canonical);
            if a.iter().all(Value::is_object) {
                a.sort_by_key(|x| x.to_string());
            }
        }
        Value::String(s) if s.contains('\n') => {
            let kept: Vec<String> = s
                .lines()
                .map(str::trim_end)
                .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
                .map(unquote_safe_words)
                .collect();
            *s = kept.join("\n");
        }
        _ => {}
    }
}

/// An object of a subchart (compared in tests/ingress_nginx.rs, tests/prometheus.rs and
/// tests/grafana.rs), told apart by the subcharts' own name label.
fn is_subchart(obj: &Value) -> bool {
    let name = obj
        .pointer("/metadata/labels/app.kubernetes.io~1name")
        .and_then(Value::as_str);
    matches!(
        name,
        Some("ingress-nginx" | "prometheus" | "kube-state-metrics" | "grafana")
    ) || ObjectId::of(obj).name.ends_with("-ingress-controller-np")
}

/// skygen writes its own dashboards (issue #14): a dashboard ConfigMap means the same when its
/// name, labels and data keys do.
fn dashboards_aside(obj: &mut Value) {
    let is_dashboard = obj.pointer("/metadata/labels/grafana_dashboard").is_some();
    if let (true, Some(Value::Object(data))) = (is_dashboard, obj.get_mut("data")) {
        data.values_mut()
            .for_each(|v| *v = Value::String("(a dashboard)".into()));
    }
}

#[test]
fn chart_objects_match_helm_for_every_reference_case() {
    let mut failures = Vec::new();
    let all = cases();
    assert!(
        all.len() >= 12,
        "expected the reference cases, found {all:?}"
    );
    for name in &all {
        let helm_text =
            std::fs::read_to_string(reference_dir().join(format!("{name}.helm-output.yaml")))
                .unwrap();
        let mut expected: Vec<(ObjectId, Value)> = helm_own_objects(&helm_text)
            .into_iter()
            .map(|mut v| {
                dashboards_aside(&mut v);
                canonical(&mut v);
                (ObjectId::of(&v), v)
            })
            .collect();
        let mut actual: Vec<(ObjectId, Value)> = render_case(name)
            .into_iter()
            .filter(|o| !is_subchart(o))
            .map(|mut v| {
                // The release labels and keep marks are skygen's own (docs/helm-compat.md);
                // exactly those keys are ignored, on the object's metadata only.
                common::strip_lifecycle_metadata(&mut v);
                dashboards_aside(&mut v);
                canonical(&mut v);
                (ObjectId::of(&v), v)
            })
            .collect();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        actual.sort_by(|a, b| a.0.cmp(&b.0));
        let expected_ids: Vec<_> = expected.iter().map(|(id, _)| id.to_string()).collect();
        let actual_ids: Vec<_> = actual.iter().map(|(id, _)| id.to_string()).collect();
        if expected_ids != actual_ids {
            failures.push(format!(
                "{name}: objects differ\n  helm:   {expected_ids:?}\n  skygen: {actual_ids:?}"
            ));
            continue;
        }
        for ((id, want), (_, got)) in expected.iter().zip(&actual) {
            if want != got {
                failures.push(format!(
                    "{name}: {id} differs\n--- helm\n{}\n--- skygen\n{}",
                    serde_json::to_string_pretty(want).unwrap(),
                    serde_json::to_string_pretty(got).unwrap()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn refused_reference_cases_are_refused_with_the_keys_named() {
    for (name, key) in [
        ("fail-rolling-no-db", "dbConnectionString"),
        ("fail-small-resources", "apiService.resources.requests"),
    ] {
        let inputs = reference_inputs(name);
        let errors = match skygen::render_deployment(&inputs, &mut std::io::empty()) {
            Ok(_) => panic!("{name} must be refused"),
            Err(e) => e,
        };
        let all: String = errors
            .iter()
            .map(|d| d.render())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(all.contains(key), "{name}: {all}");
    }
}
