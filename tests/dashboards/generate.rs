//! The generator of `dashboards/*.json` from the compact descriptions in `dashboards/spec/`
//! (title, PromQL, unit and size of each panel; variables; rows). Grafana's JSON repeats the
//! same layout, datasource and styling in every panel; the descriptions say only what differs,
//! so a reviewer reads queries, not boilerplate. `UPDATE_DASHBOARDS=1 cargo test --test
//! dashboards` rewrites the JSON; the test fails if a committed file differs from what its
//! description generates.
//!
//! Every panel, target and query variable uses the Prometheus datasource through the variable
//! `${datasource}` (its default is the datasource uid `prometheus`, which both the chart's
//! bundled datasource and kube-prometheus-stack's use), so the dashboards work with either
//! Grafana and with any other Prometheus datasource picked in the variable.

use serde_json::{json, Map, Value};

/// Grafana's dashboard schema version the JSON is written for (Grafana 10.x / 11.x read it).
pub const SCHEMA_VERSION: u64 = 39;
/// Grid width of a Grafana dashboard.
const GRID: u64 = 24;

fn datasource() -> Value {
    json!({"type": "prometheus", "uid": "${datasource}"})
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn u64_of(v: &Value, key: &str, default: u64) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(default)
}

fn variable(spec: &Value) -> Value {
    let name = str_of(spec, "name").expect("variable name");
    let query = str_of(spec, "query").expect("variable query");
    let multi = spec.get("multi").and_then(Value::as_bool).unwrap_or(false);
    let mut v = json!({
        "name": name,
        "label": str_of(spec, "label").unwrap_or(name),
        "type": "query",
        "datasource": datasource(),
        "definition": query,
        "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        // On time range change: values follow the series present in the range shown.
        "refresh": 2,
        "sort": 1,
        "multi": multi,
        "includeAll": multi,
        "current": {},
        "options": [],
        "hide": 0,
        "regex": "",
    });
    // "All" as `.*`: also matches series without the label (and stays valid when the label
    // has no values yet). Variables that select the API server's own pods list them instead,
    // because their queries also read cluster-wide cAdvisor series.
    if spec
        .get("all_matches_any")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        v["allValue"] = json!(".*");
    }
    v
}

fn panel(spec: &Value, id: u64, grid: Value) -> Value {
    let kind = str_of(spec, "type").unwrap_or("timeseries");
    let queries = spec["queries"].as_array().expect("panel queries");
    let targets: Vec<Value> = queries
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let ref_id = char::from(b'A' + u8::try_from(i).expect("few queries"));
            json!({
                "datasource": datasource(),
                "expr": str_of(q, "expr").expect("query expr"),
                "legendFormat": str_of(q, "legend").unwrap_or("__auto"),
                "range": true,
                "refId": ref_id.to_string(),
            })
        })
        .collect();
    let mut defaults = Map::new();
    defaults.insert("unit".into(), json!(str_of(spec, "unit").unwrap_or("none")));
    if let Some(max) = spec.get("max") {
        defaults.insert("min".into(), json!(0));
        defaults.insert("max".into(), max.clone());
    }
    let options = if kind == "stat" {
        defaults.insert("color".into(), json!({"mode": "thresholds"}));
        defaults.insert(
            "thresholds".into(),
            json!({"mode": "absolute", "steps": [{"color": "green", "value": null}]}),
        );
        json!({
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": false},
            "colorMode": "value",
            "graphMode": "area",
            "justifyMode": "auto",
            "orientation": "auto",
            "textMode": "auto",
        })
    } else {
        defaults.insert("color".into(), json!({"mode": "palette-classic"}));
        defaults.insert(
            "custom".into(),
            json!({
                "drawStyle": "line",
                "lineWidth": 1,
                "fillOpacity": 10,
                "showPoints": "never",
                "spanNulls": false,
            }),
        );
        json!({
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": true},
            "tooltip": {"mode": "multi", "sort": "desc"},
        })
    };
    let mut p = json!({
        "id": id,
        "type": kind,
        "title": str_of(spec, "title").expect("panel title"),
    });
    if let Some(d) = str_of(spec, "description") {
        p["description"] = json!(d);
    }
    p["datasource"] = datasource();
    p["gridPos"] = grid;
    p["fieldConfig"] = json!({"defaults": defaults, "overrides": []});
    p["options"] = options;
    p["targets"] = json!(targets);
    p
}

/// The dashboard JSON of one description.
pub fn dashboard(spec: &Value) -> Value {
    let rows = spec["rows"].as_array().expect("rows");
    // Ids the SkyPilot web UI embeds by number are written in the description; the others are
    // numbered around them.
    let fixed: Vec<u64> = rows
        .iter()
        .flat_map(|r| r["panels"].as_array().expect("row panels"))
        .filter_map(|p| p.get("id").and_then(Value::as_u64))
        .collect();
    let mut next = 0;
    let mut new_id = || loop {
        next += 1;
        if !fixed.contains(&next) {
            return next;
        }
    };
    let mut panels = Vec::new();
    let mut y = 0;
    for row in rows {
        if let Some(title) = str_of(row, "title") {
            panels.push(json!({
                "id": new_id(),
                "type": "row",
                "title": title,
                "collapsed": false,
                "gridPos": {"h": 1, "w": GRID, "x": 0, "y": y},
                "panels": [],
            }));
            y += 1;
        }
        let (mut x, mut line_height) = (0, 0);
        for p in row["panels"].as_array().expect("row panels") {
            let (w, h) = (u64_of(p, "width", 12), u64_of(p, "height", 8));
            if x + w > GRID {
                y += line_height;
                (x, line_height) = (0, 0);
            }
            let id = p
                .get("id")
                .and_then(Value::as_u64)
                .unwrap_or_else(&mut new_id);
            panels.push(panel(p, id, json!({"h": h, "w": w, "x": x, "y": y})));
            x += w;
            line_height = line_height.max(h);
        }
        y += line_height;
    }
    let mut variables = vec![json!({
        "name": "datasource",
        "label": "Data source",
        "type": "datasource",
        "query": "prometheus",
        "current": {"text": "Prometheus", "value": "prometheus"},
        "hide": 0,
        "refresh": 1,
        "regex": "",
        "options": [],
    })];
    variables.extend(
        spec.get("variables")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(variable),
    );
    json!({
        "uid": str_of(spec, "uid").expect("uid"),
        "title": str_of(spec, "title").expect("title"),
        "description": str_of(spec, "description").unwrap_or_default(),
        "tags": spec.get("tags").cloned().unwrap_or(json!([])),
        "editable": true,
        "graphTooltip": 1,
        "timezone": "browser",
        "refresh": "1m",
        "time": {"from": str_of(spec, "time").unwrap_or("now-6h"), "to": "now"},
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "annotations": {"list": []},
        "links": [],
        "templating": {"list": variables},
        "panels": panels,
    })
}

/// The file text: pretty JSON and a final newline.
pub fn text(spec: &Value) -> String {
    let mut s = serde_json::to_string_pretty(&dashboard(spec)).expect("JSON");
    s.push('\n');
    s
}
