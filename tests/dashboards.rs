//! skygen's Grafana dashboards (`dashboards/*.json`, #14): generated from their descriptions
//! (`dashboards/spec/*.yaml`, see `dashboards/generate.rs`), valid Grafana dashboard JSON,
//! every query valid PromQL, every metric the upstream chart's dashboard of the same uid queries
//! still queried (tests/fixtures/dashboards/upstream-metrics.txt), and the panel ids and
//! variables the SkyPilot web UI embeds kept.
//!
//! PromQL is checked with the `promql-parser` crate. Grafana's variables are not PromQL, so
//! they are substituted first: the interval and range macros (`$__rate_interval`,
//! `$__interval`, `$__range`) by a duration (`5m`), any other `$name` / `${name}` (they only
//! appear inside label-matcher strings) by a plain word.

#[path = "dashboards/generate.rs"]
mod generate;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use promql_parser::parser::{self, Expr};
use regex::Regex;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every description, by the stem of its file.
fn specs() -> BTreeMap<String, Value> {
    let dir = root().join("dashboards/spec");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("dashboards/spec") {
        let path = entry.expect("entry").path();
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let docs = skygen::yaml::read_stream(&text).unwrap_or_else(|e| panic!("{stem}: {e:?}"));
        out.insert(stem, docs.into_iter().next().expect("one document").value);
    }
    out
}

/// Every committed dashboard, by file name.
fn dashboards() -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(root().join("dashboards")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            let json = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
            out.insert(name, json);
        }
    }
    assert_eq!(out.len(), 6, "six dashboards, one per upstream dashboard");
    out
}

#[test]
fn committed_dashboards_are_generated_from_their_descriptions() {
    let update = std::env::var_os("UPDATE_DASHBOARDS").is_some();
    let specs = specs();
    let files: BTreeSet<String> = dashboards().into_keys().collect();
    let described: BTreeSet<String> = specs.keys().map(|s| format!("{s}.json")).collect();
    assert_eq!(
        files, described,
        "each dashboards/*.json has a dashboards/spec/*.yaml"
    );
    for (stem, spec) in &specs {
        let path = root().join(format!("dashboards/{stem}.json"));
        let want = generate::text(spec);
        if update {
            // Written aside and renamed: the other tests of this file read the files meanwhile.
            let tmp = path.with_extension("json.tmp");
            std::fs::write(&tmp, &want).unwrap();
            std::fs::rename(&tmp, &path).unwrap();
        } else {
            let have = std::fs::read_to_string(&path).unwrap();
            assert!(
                have == want,
                "{} is stale: run UPDATE_DASHBOARDS=1 cargo test --test dashboards",
                path.display()
            );
        }
    }
}

/// Panels at the top level and inside collapsed rows.
fn all_panels(d: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for p in d["panels"].as_array().expect("panels") {
        out.push(p);
        out.extend(p["panels"].as_array().into_iter().flatten());
    }
    out
}

/// The names of the dashboard's Prometheus datasource variables.
fn datasource_variables(d: &Value) -> BTreeSet<String> {
    d["templating"]["list"]
        .as_array()
        .expect("templating.list")
        .iter()
        .filter(|v| v["type"] == "datasource" && v["query"] == "prometheus")
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect()
}

/// A datasource reference is a Prometheus one through a datasource variable of the dashboard
/// (never a fixed uid that one Grafana has and another has not).
fn check_datasource(name: &str, what: &str, r: &Value, vars: &BTreeSet<String>) {
    assert_eq!(r["type"], "prometheus", "{name}: {what}: {r}");
    let uid = r["uid"].as_str().unwrap_or_default();
    let var = uid
        .strip_prefix("${")
        .and_then(|u| u.strip_suffix('}'))
        .or_else(|| uid.strip_prefix('$'));
    assert!(
        var.is_some_and(|v| vars.contains(v)),
        "{name}: {what}: datasource uid {uid:?} is not one of the variables {vars:?}"
    );
}

#[test]
fn every_dashboard_is_grafana_dashboard_json() {
    for (name, d) in dashboards() {
        for key in ["uid", "title"] {
            assert!(
                d[key].as_str().is_some_and(|s| !s.is_empty()),
                "{name}: {key}"
            );
        }
        assert!(
            d["schemaVersion"].as_u64().is_some_and(|v| v >= 36),
            "{name}: schemaVersion"
        );
        let vars = datasource_variables(&d);
        assert!(
            !vars.is_empty(),
            "{name}: no Prometheus datasource variable"
        );
        // Its default is the uid both Grafanas provision their Prometheus datasource with: the
        // chart's datasource ConfigMap and kube-prometheus-stack's values both say
        // `uid: prometheus` (reference/rendered/monitoring.helm-output.yaml,
        // reference/gateway-and-monitoring.md §2.3).
        for v in d["templating"]["list"].as_array().unwrap() {
            if v["type"] == "datasource" {
                assert_eq!(v["current"]["value"], "prometheus", "{name}: {v}");
            }
        }
        let mut names = BTreeSet::new();
        for v in d["templating"]["list"].as_array().unwrap() {
            let var = v["name"].as_str().expect("variable name");
            assert!(names.insert(var), "{name}: variable {var} twice");
            if v["type"] == "query" {
                check_datasource(&name, &format!("variable {var}"), &v["datasource"], &vars);
            }
        }
        let mut ids = BTreeSet::new();
        let panels = all_panels(&d);
        assert!(panels.len() > 1, "{name}: panels");
        for p in panels {
            let id = p["id"]
                .as_u64()
                .unwrap_or_else(|| panic!("{name}: a panel without id"));
            assert!(ids.insert(id), "{name}: panel id {id} twice");
            let g = &p["gridPos"];
            let [h, w, x, y] = ["h", "w", "x", "y"].map(|k| {
                g[k].as_u64()
                    .unwrap_or_else(|| panic!("{name}: panel {id}: gridPos.{k}"))
            });
            assert!(
                h > 0 && w > 0 && x + w <= 24,
                "{name}: panel {id}: gridPos {g}"
            );
            let _ = y;
            let kind = p["type"].as_str().unwrap();
            if kind == "row" {
                continue;
            }
            assert!(
                ["timeseries", "stat"].contains(&kind),
                "{name}: panel {id}: type {kind}"
            );
            assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()));
            assert!(
                p["fieldConfig"]["defaults"]["unit"].is_string(),
                "{name}: panel {id}: no unit"
            );
            check_datasource(&name, &format!("panel {id}"), &p["datasource"], &vars);
            let targets = p["targets"].as_array().expect("targets");
            assert!(!targets.is_empty(), "{name}: panel {id}: no targets");
            let mut refs = BTreeSet::new();
            for t in targets {
                let r = t["refId"].as_str().expect("refId");
                assert!(refs.insert(r), "{name}: panel {id}: refId {r} twice");
                assert!(
                    t["expr"].as_str().is_some_and(|e| !e.trim().is_empty()),
                    "{name}: panel {id}: target {r} without expr"
                );
                check_datasource(
                    &name,
                    &format!("panel {id} target {r}"),
                    &t["datasource"],
                    &vars,
                );
            }
        }
    }
}

/// `expr` with Grafana's variables replaced so that a PromQL parser can read it.
fn substitute(expr: &str) -> String {
    let macros = Regex::new(r"\$\{?__(rate_interval|interval|range)\}?").unwrap();
    let vars = Regex::new(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?").unwrap();
    let expr = macros.replace_all(expr, "5m");
    vars.replace_all(&expr, "value").into_owned()
}

/// The PromQL of a panel target or of a `label_values(selector, label)` variable query.
fn queries(d: &Value) -> Vec<(String, String)> {
    let label_values = Regex::new(r"^label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\)$").unwrap();
    let mut out = Vec::new();
    for v in d["templating"]["list"].as_array().unwrap() {
        if v["type"] == "query" {
            let q = v["query"]["query"].as_str().expect("variable query");
            let selector = label_values
                .captures(q)
                .unwrap_or_else(|| panic!("variable {}: not label_values(…): {q}", v["name"]))[1]
                .to_owned();
            out.push((format!("variable {}", v["name"]), selector));
        }
    }
    for p in all_panels(d) {
        for t in p["targets"].as_array().into_iter().flatten() {
            out.push((
                format!("panel {} {}", p["id"], t["refId"]),
                t["expr"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out
}

/// Every metric name a PromQL expression selects.
fn metric_names(e: &Expr, out: &mut BTreeSet<String>) {
    match e {
        Expr::Aggregate(a) => {
            metric_names(&a.expr, out);
            if let Some(p) = &a.param {
                metric_names(p, out);
            }
        }
        Expr::Unary(u) => metric_names(&u.expr, out),
        Expr::Binary(b) => {
            metric_names(&b.lhs, out);
            metric_names(&b.rhs, out);
        }
        Expr::Paren(p) => metric_names(&p.expr, out),
        Expr::Subquery(s) => metric_names(&s.expr, out),
        Expr::VectorSelector(v) => out.extend(v.name.clone()),
        Expr::MatrixSelector(m) => out.extend(m.vs.name.clone()),
        Expr::Call(c) => c.args.args.iter().for_each(|a| metric_names(a, out)),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

#[test]
fn every_query_parses_as_promql() {
    for (name, d) in dashboards() {
        for (what, q) in queries(&d) {
            let text = substitute(&q);
            if let Err(e) = parser::parse(&text) {
                panic!("{name}: {what}: not PromQL: {e}\n{q}\n(as parsed: {text})");
            }
        }
    }
}

#[test]
fn the_promql_check_substitutes_grafana_variables_and_refuses_broken_queries() {
    let q = r#"sum by (pod) (rate(vllm:request_success_total{pod=~"$pod", ns="${ns}"}[$__rate_interval]))"#;
    assert!(
        parser::parse(q).is_err(),
        "raw Grafana variables are not PromQL"
    );
    assert_eq!(
        substitute(q),
        r#"sum by (pod) (rate(vllm:request_success_total{pod=~"value", ns="value"}[5m]))"#
    );
    parser::parse(&substitute(q)).unwrap();
    for broken in [
        "sum(rate(x[5m])",
        "histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m]))) +",
        r#"x{a="b"#,
    ] {
        assert!(parser::parse(&substitute(broken)).is_err(), "{broken}");
    }
}

#[test]
fn every_upstream_metric_is_queried_by_the_dashboard_of_the_same_uid() {
    let fixture = root().join("tests/fixtures/dashboards/upstream-metrics.txt");
    let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in std::fs::read_to_string(&fixture).unwrap().lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (uid, metric) = line.split_once(' ').expect("uid metric");
        wanted
            .entry(uid.to_owned())
            .or_default()
            .insert(metric.to_owned());
    }
    let by_uid: BTreeMap<String, Value> = dashboards()
        .into_values()
        .map(|d| (d["uid"].as_str().unwrap().to_owned(), d))
        .collect();
    assert_eq!(
        wanted.keys().collect::<Vec<_>>(),
        by_uid.keys().collect::<Vec<_>>(),
        "one dashboard per upstream uid"
    );
    for (uid, metrics) in wanted {
        let mut used = BTreeSet::new();
        for (_, q) in queries(&by_uid[&uid]) {
            metric_names(&parser::parse(&substitute(&q)).unwrap(), &mut used);
        }
        let missing: Vec<_> = metrics.difference(&used).collect();
        assert!(missing.is_empty(), "{uid}: never queried: {missing:?}");
    }
}

/// The SkyPilot web UI embeds single panels by id with `var-*` parameters (facts from
/// skypilot `sky/dashboard/src/components/TelemetrySection.jsx`, in its versions that embed
/// `skypilot-dcgm-gpu` panels 1–4, 6, 7 and `skypilot-dcgm-cluster-dashboard` panels 21, 22).
#[test]
fn panels_and_variables_the_skypilot_ui_embeds_are_kept() {
    let by_uid: BTreeMap<String, Value> = dashboards()
        .into_values()
        .map(|d| (d["uid"].as_str().unwrap().to_owned(), d))
        .collect();
    for (uid, panels, vars) in [
        (
            "skypilot-dcgm-gpu",
            &[
                (1, "GPU Utilization"),
                (2, "GPU Memory Utilization"),
                (3, "GPU Temperature"),
                (4, "GPU Power Usage"),
                (6, "CPU Usage (cores)"),
                (7, "Memory Usage"),
            ][..],
            &["datasource", "cluster", "node", "gpu"][..],
        ),
        (
            "skypilot-dcgm-cluster-dashboard",
            &[(22, "CPU Utilization"), (21, "Memory Utilization")][..],
            &["datasource", "cluster", "host", "gpu"][..],
        ),
    ] {
        let d = &by_uid[uid];
        for (id, title) in panels {
            let p = all_panels(d)
                .into_iter()
                .find(|p| p["id"] == *id)
                .unwrap_or_else(|| panic!("{uid}: no panel {id}"));
            assert_eq!(p["title"], *title, "{uid}: panel {id}");
        }
        let names: Vec<&str> = d["templating"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        for v in vars {
            assert!(names.contains(v), "{uid}: no variable {v}");
        }
    }
}
