//! Every input limit of docs/limits.md at the limit: the last value that passes and the first
//! that is refused (exit 2, nothing on stdout, the message names the limit).
//!
//! What belongs here: one test per named limit constant, built from the constant so the test
//! follows it. Limits whose constants live next to a unit test (YAML depth and nodes, template
//! tokens) are tested there; the reproducers are in `tests/regression.rs`.

mod common;
use common::TempDir;
use serde_json::{json, Value};
use skygen::overlay::guard;
use skygen::{values, yaml, ExitStatus};

fn run(args: &[&str]) -> skygen::Outcome {
    let mut all = vec!["skygen".to_owned()];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    skygen::run(all, &mut std::io::empty()).expect("arguments parse")
}

fn messages(o: &skygen::Outcome) -> String {
    o.diagnostics
        .iter()
        .map(|d| d.render())
        .collect::<Vec<_>>()
        .join("\n")
}

#[track_caller]
fn passes(args: &[&str]) -> String {
    let o = run(args);
    assert_eq!(o.status, ExitStatus::Success, "{}", messages(&o));
    o.stdout
}

#[track_caller]
fn refused(args: &[&str], needle: &str) {
    let o = run(args);
    let m = messages(&o);
    assert_eq!(o.status, ExitStatus::Error, "should be refused: {args:?}");
    assert!(o.stdout.is_empty());
    assert!(m.contains(needle), "no {needle:?} in:\n{m}");
}

/// The values stage takes the input; the output check may still refuse the object it makes
/// (Kubernetes' `Affinity` has no field `a`), but never for its depth.
#[track_caller]
fn within_depth(args: &[&str]) {
    let o = run(args);
    let m = messages(&o);
    assert!(
        !m.contains("nest deeper"),
        "refused for depth: {args:?}\n{m}"
    );
    if o.status != ExitStatus::Success {
        assert!(m.contains("unknown field `a`"), "{args:?}\n{m}");
    }
}

/// `{"a": {"a": … "x"}}`, `depth` mappings deep.
fn chain(depth: usize) -> Value {
    (0..depth).fold(json!("x"), |v, _| json!({ "a": v }))
}

/// An overlay directory with `overlay.yaml` and a resource template `r.yaml`.
fn overlay(dir: &TempDir, overlay_yaml: &str, resource: &str) -> String {
    dir.write("ov/overlay.yaml", overlay_yaml);
    dir.write("ov/r.yaml", resource);
    dir.join("ov")
}

fn config_maps(n: usize) -> String {
    (0..n)
        .map(|i| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i}}}\n"))
        .collect()
}

#[test]
fn values_depth_from_files_set_paths_and_set_json() {
    // apiService.affinity is at level 2 (the top mapping is 1): a chain of N mappings under it,
    // or a --set path of N more keys, reaches level 2 + N.
    let at = values::MAX_DEPTH - 2;
    let dir = TempDir::new("values-depth");
    for (n, ok) in [(at, true), (at + 1, false)] {
        let json_arg = format!("apiService.affinity={}", chain(n));
        let file = dir.write(
            "v.yaml",
            serde_json::to_string(&json!({"apiService": {"affinity": chain(n)}})).unwrap(),
        );
        let path = format!("apiService.affinity{}=x", ".a".repeat(n));
        for args in [
            ["render", "--set-json", &json_arg],
            ["render", "-f", &file],
            ["render", "--set-string", &path],
        ] {
            if ok {
                within_depth(&args);
            } else {
                refused(&args, "values nest deeper than 32 levels");
            }
        }
    }
}

#[test]
fn set_list_items_in_all() {
    // Each `kN[10000]` pads a list to 10,001 items.
    let per = values::set::MAX_SET_INDEX + 1;
    let fits = values::set::MAX_SET_ITEMS / per;
    let arg = |n: usize| {
        (0..n)
            .map(|i| {
                format!(
                    "apiService.annotations.k{i}[{}]=x",
                    values::set::MAX_SET_INDEX
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    // Within the budget the values stage goes on (and the schema refuses lists as annotations).
    let o = run(&["render", "--set", &arg(fits)]);
    assert!(
        !messages(&o).contains("list items in all"),
        "{}",
        messages(&o)
    );
    refused(&["render", "--set", &arg(fits + 1)], "list items in all");
}

#[test]
fn values_nodes_in_all() {
    let dir = TempDir::new("nodes");
    // The top mapping, `apiService` and its mapping, `annotations` and its mapping: 5 nodes, then
    // 2 per annotation (key and value), so the limit falls between two annotation counts.
    let file = |name: &str, entries: usize| {
        let lines: String = (0..entries).map(|i| format!("    a{i}: v\n")).collect();
        dir.write(name, format!("apiService:\n  annotations:\n{lines}"))
    };
    let fits = (values::MAX_NODES - 5) / 2;
    let at_limit = file("at.yaml", fits);
    passes(&["render", "-f", &at_limit]);
    let over = file("over.yaml", fits + 1);
    refused(
        &["render", "-f", &over],
        &format!(
            "over.yaml: the values given up to here reach more than {} keys",
            values::MAX_NODES
        ),
    );
    // The limit is for all sources together: two files of half each, then a `--set` flag.
    let half = file("half.yaml", fits / 2);
    let other = file("other.yaml", fits / 2 + 2);
    refused(
        &["render", "-f", &half, "-f", &other],
        "other.yaml: the values given up to here",
    );
    refused(
        &[
            "render",
            "-f",
            &at_limit,
            "--set",
            "apiService.annotations.x=1",
        ],
        "--set apiService.annotations.x=1: the values given up to here reach more than",
    );
}

#[test]
fn when_tokens() {
    // `not` × (N-1) then `true`: N tokens. An odd count of `not`s makes it false: no error.
    let n = guard::MAX_TAG_TOKENS;
    let dir = TempDir::new("when-tokens");
    let when = |nots: usize| {
        format!(
            "description: limit\nchecks:\n  - when: \"{}true\"\n    error: boom\n",
            "not ".repeat(nots)
        )
    };
    let ov = overlay(&dir, &when(n - 1), "");
    passes(&["render", "--overlay", &ov]);
    let ov = overlay(&dir, &when(n), "");
    refused(&["render", "--overlay", &ov], "more than 256 tokens");
}

#[test]
fn elif_branches() {
    let dir = TempDir::new("elif");
    let resource = |n: usize| {
        format!(
            "{{% if false %}}{}{{% endif %}}apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\n",
            "{% elif false %}".repeat(n)
        )
    };
    let head = "description: limit\nresources: [r.yaml]\n";
    passes(&[
        "render",
        "--overlay",
        &overlay(&dir, head, &resource(guard::MAX_ELIF)),
    ]);
    refused(
        &[
            "render",
            "--overlay",
            &overlay(&dir, head, &resource(guard::MAX_ELIF + 1)),
        ],
        "elif",
    );
}

#[test]
fn template_fuel() {
    let dir = TempDir::new("fuel");
    let head = "description: limit\nresources: [r.yaml]\n";
    let looped = |n: usize| {
        format!(
            "{{% for i in range({n}) %}}{{% for j in range({n}) %}}{{% endfor %}}{{% endfor %}}apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\n"
        )
    };
    // A few thousand steps are nothing; a million loop iterations is more than the fuel.
    passes(&["render", "--overlay", &overlay(&dir, head, &looped(30))]);
    refused(
        &["render", "--overlay", &overlay(&dir, head, &looped(1000))],
        "fuel",
    );
}

#[test]
fn patches_per_overlay() {
    let dir = TempDir::new("patches");
    let patches = |n: usize| {
        let one = "  - {target: {kind: Service, name: \"{{ api_service }}\"}, type: merge, patch: {metadata: {labels: {a: b}}}}\n";
        format!("description: limit\npatches:\n{}", one.repeat(n))
    };
    passes(&[
        "render",
        "--overlay",
        &overlay(&dir, &patches(guard::MAX_PATCHES), ""),
    ]);
    refused(
        &[
            "render",
            "--overlay",
            &overlay(&dir, &patches(guard::MAX_PATCHES + 1), ""),
        ],
        "an overlay has at most 1000",
    );
}

#[test]
fn objects_in_all() {
    let base = serde_json::from_str::<Value>(&passes(&["render", "--format", "json"])).unwrap()
        ["items"]
        .as_array()
        .unwrap()
        .len();
    let dir = TempDir::new("objects");
    let head = "description: limit\nresources: [r.yaml]\n";
    let fits = guard::MAX_OBJECTS - base;
    passes(&[
        "render",
        "--overlay",
        &overlay(&dir, head, &config_maps(fits)),
    ]);
    refused(
        &[
            "render",
            "--overlay",
            &overlay(&dir, head, &config_maps(fits + 1)),
        ],
        "more objects than the limit of 10000",
    );
}

#[test]
fn patch_nodes_in_all() {
    // A merge patch of `metadata.annotations` with K entries has K + 3 nodes (the patch, metadata,
    // annotations, K strings); applied to M ConfigMaps it counts (K + 3 + 1) × M nodes (one more
    // per object patched).
    let m = skygen::overlay::MAX_EXPECT as usize;
    let k = guard::MAX_PATCH_NODES / m - 4;
    let dir = TempDir::new("patch-nodes");
    let patch = |k: usize| {
        let annotations: Vec<String> = (0..k).map(|i| format!("a{i}: v")).collect();
        format!(
            "description: limit\nresources: [r.yaml]\npatches:\n  - target: {{kind: ConfigMap, labelSelector: \"budget=yes\"}}\n    type: merge\n    expect: {m}\n    patch: {{metadata: {{annotations: {{{}}}}}}}\n",
            annotations.join(", ")
        )
    };
    let labelled: String = (0..m)
        .map(|i| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i}, labels: {{budget: \"yes\"}}}}\n"))
        .collect();
    passes(&["render", "--overlay", &overlay(&dir, &patch(k), &labelled)]);
    refused(
        &[
            "render",
            "--overlay",
            &overlay(&dir, &patch(k + 1), &labelled),
        ],
        "write more than 250000 nodes",
    );
}

#[test]
fn patch_scans_in_all() {
    let base = serde_json::from_str::<Value>(&passes(&["render", "--format", "json"])).unwrap()
        ["items"]
        .as_array()
        .unwrap()
        .len();
    // MAX_PATCHES patches that match nothing, over N objects: each looks at all N.
    let n = guard::MAX_PATCH_SCANS / guard::MAX_PATCHES;
    let dir = TempDir::new("patch-scans");
    let patches: String = (0..guard::MAX_PATCHES)
        .map(|i| format!("  - target: {{kind: ConfigMap, name: none-{i}}}\n    type: merge\n    expect: 0\n    patch: {{}}\n"))
        .collect();
    let head = format!("description: limit\nresources: [r.yaml]\npatches:\n{patches}");
    passes(&[
        "render",
        "--overlay",
        &overlay(&dir, &head, &config_maps(n - base)),
    ]);
    refused(
        &[
            "render",
            "--overlay",
            &overlay(&dir, &head, &config_maps(n - base + 1)),
        ],
        "look at more than 250000 objects in all",
    );
}

#[test]
fn json6902_copy_nodes_and_depth() {
    let dir = TempDir::new("json6902");
    let copy = |n: usize| {
        // `data` gets n - 1 entries: n nodes with the mapping itself.
        let data: Vec<String> = (0..n - 1).map(|i| format!("k{i}: v")).collect();
        format!(
            "description: limit\npatches:\n  - target: {{kind: Service, name: \"{{{{ api_service }}}}\"}}\n    type: json6902\n    patch:\n      - {{op: add, path: /data, value: {{{}}}}}\n      - {{op: copy, from: /data, path: /copied}}\n      - {{op: remove, path: /data}}\n      - {{op: remove, path: /copied}}\n",
            data.join(", ")
        )
    };
    passes(&[
        "render",
        "--overlay",
        &overlay(&dir, &copy(guard::MAX_COPY_NODES), ""),
    ]);
    refused(
        &[
            "render",
            "--overlay",
            &overlay(&dir, &copy(guard::MAX_COPY_NODES + 1), ""),
        ],
        "copies more than 10000 nodes",
    );
    // Two adds: a chain of 30 mappings at /metadata/x, then one at 32 segments deep in it.
    let deep = |d2: usize| {
        format!(
            "description: limit\npatches:\n  - target: {{kind: Service, name: \"{{{{ api_service }}}}\"}}\n    type: json6902\n    patch:\n      - {{op: add, path: /metadata/x, value: {}}}\n      - {{op: add, path: /metadata/x{}/y, value: {}}}\n      - {{op: remove, path: /metadata/x}}\n",
            chain(30),
            "/a".repeat(29),
            chain(d2)
        )
    };
    let at = yaml::MAX_DEPTH - 32;
    passes(&["render", "--overlay", &overlay(&dir, &deep(at), "")]);
    refused(
        &["render", "--overlay", &overlay(&dir, &deep(at + 1), "")],
        "deeper than 64 levels",
    );
}

#[test]
fn overlays_per_run() {
    let dir = TempDir::new("overlays");
    let dirs: Vec<String> = (0..=guard::MAX_OVERLAYS)
        .map(|i| {
            dir.write(&format!("o{i}/overlay.yaml"), "description: limit\n");
            dir.join(&format!("o{i}"))
        })
        .collect();
    let args = |n: usize| {
        let mut a = vec!["render".to_owned()];
        for d in &dirs[..n] {
            a.extend(["--overlay".to_owned(), d.clone()]);
        }
        a
    };
    let to_refs = |v: &[String]| {
        v.iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\u{0}")
    };
    let at = args(guard::MAX_OVERLAYS);
    passes(&to_refs(&at).split('\u{0}').collect::<Vec<_>>());
    let over = args(guard::MAX_OVERLAYS + 1);
    refused(
        &to_refs(&over).split('\u{0}').collect::<Vec<_>>(),
        "one run applies at most 32",
    );
}

#[test]
fn fuel_of_all_resource_templates() {
    // Each template spends a few hundred thousand of the 1,000,000 one template may use (90,000
    // loop turns of a few steps each); forty of them spend more than the run's 10,000,000.
    let dir = TempDir::new("run-fuel");
    let busy = "{% for i in range(300) %}{% for j in range(300) %}{% set x = i * j %}{% endfor %}{% endfor %}";
    let resources = |n: usize| {
        for i in 0..n {
            dir.write(
                &format!("ov/r{i}.yaml"),
                format!("{busy}apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: r{i}}}\n"),
            );
        }
        let list: Vec<String> = (0..n).map(|i| format!("r{i}.yaml")).collect();
        dir.write(
            "ov/overlay.yaml",
            format!("description: limit\nresources: [{}]\n", list.join(", ")),
        );
        dir.join("ov")
    };
    passes(&["render", "--overlay", &resources(2)]);
    refused(&["render", "--overlay", &resources(40)], "fuel");
}

#[test]
fn check_routes_per_render() {
    let dir = TempDir::new("routes");
    // One Ingress with `n` paths under one rule: `n` routes.
    let render = |name: &str, n: usize| {
        let paths: Vec<Value> = (0..n)
            .map(|i| json!({"path": format!("/{name}{i}"), "pathType": "Prefix", "backend": {"service": {"name": "s", "port": {"number": 80}}}}))
            .collect();
        let ingress = json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": name},
            "spec": {"rules": [{"http": {"paths": paths}}]},
        });
        dir.write(&format!("{name}.json"), ingress.to_string())
    };
    let a = render("a", skygen::check::MAX_ROUTES);
    let b = render("b", 1);
    let o = run(&["check", &a, &b]);
    assert_eq!(o.status, ExitStatus::Success, "{}", messages(&o));
    let over = render("c", skygen::check::MAX_ROUTES + 1);
    refused(
        &["check", &a, &over],
        &format!(
            "c.json: {} Ingress paths and HTTPRoute matches; check compares at most",
            skygen::check::MAX_ROUTES + 1
        ),
    );
}

#[test]
fn diff_side_size() {
    let dir = TempDir::new("diff-size");
    let max = 8 * 1024 * 1024;
    // A ConfigMap padded to `bytes` bytes of YAML.
    let manifest = |bytes: usize| {
        let head = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {x: \"";
        let tail = "\"}\n";
        format!(
            "{head}{}{tail}",
            "x".repeat(bytes - head.len() - tail.len())
        )
    };
    let at_limit = dir.write("at.yaml", manifest(max));
    let over = dir.write("over.yaml", manifest(max + 1));
    let o = run(&["diff", &at_limit, &at_limit]);
    assert_eq!(o.status, ExitStatus::Success, "{}", messages(&o));
    refused(&["diff", &at_limit, &over], "larger than 8 MiB");
    // A directory's files count together: the same file listed twice is twice its size.
    let half = manifest(max / 2 + 1);
    dir.write("d/a.yaml", &half);
    dir.write("d/kustomization.yaml", "resources: [a.yaml, a.yaml]\n");
    refused(
        &["diff", &dir.join("d"), &at_limit],
        "are larger than 8 MiB together",
    );
    let many = format!("resources: [{}]\n", vec!["a.yaml"; 10_001].join(", "));
    dir.write("d/kustomization.yaml", many);
    refused(
        &["diff", &dir.join("d"), &at_limit],
        "10001 resources; a directory written by `skygen render -o` lists at most 10000",
    );
}

#[test]
fn diff_side_objects() {
    let dir = TempDir::new("diff-objects");
    let at_limit = dir.write("at.yaml", config_maps(guard::MAX_OBJECTS));
    let over = dir.write("over.yaml", config_maps(guard::MAX_OBJECTS + 1));
    let o = run(&["diff", &at_limit, &at_limit]);
    assert_eq!(o.status, ExitStatus::Success, "{}", messages(&o));
    refused(
        &["diff", &at_limit, &over],
        "over.yaml: 10001 objects; a render has at most 10000",
    );
}
