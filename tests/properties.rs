//! Property tests over the pipeline's entry points (issue 17), through `skygen::run` as the
//! command line calls it.
//!
//! Inputs are random: values files (deep trees around the depth limit, keys and strings with
//! control characters, non-characters and YAML syntax, YAML 1.1 words and huge numbers written
//! plain), `--set`/`--set-string`/`--set-json` arguments, overlay directories (values, config,
//! many resources, patches of the three kinds, checks whose `when:` nests around the limits) and
//! manifest streams for `diff`. The property: exit 0 with output that reads back (the YAML stream
//! read by skygen's reader equals the `--format json` output), or exit 2 with a located message
//! and nothing on stdout; never a panic, an internal error ("skygen bug") or a stall.
//!
//! Each case runs on its own thread with the 8 MiB stack of the binary's main thread, so a
//! recursion that would overflow the real process overflows here too.
//!
//! The case count per property is `PROPTEST_CASES` (default 12, a few seconds under
//! `cargo test`). A longer run, for maintainers (docs/limits.md):
//!
//! ```sh
//! PROPTEST_CASES=3000 PROPTEST_RNG_SEED=4 cargo test --test properties
//! ```
//!
//! A failure prints the seed and the shrunk input; proptest keeps failing seeds in
//! `tests/properties.proptest-regressions` and replays them first on every run.

mod common;
use common::TempDir;
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::Value;
use skygen::ExitStatus;

// ---------------------------------------------------------------------------
// Running skygen and checking the contract
// ---------------------------------------------------------------------------

struct Out {
    status: ExitStatus,
    stdout: String,
    messages: String,
    located: bool,
}

/// Run skygen in process on a thread with the binary's stack size; a panic is a failure.
fn run(args: Vec<String>) -> Result<Out, TestCaseError> {
    let shown = format!("{args:?}");
    let handle = std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            let mut all = vec!["skygen".to_owned()];
            all.extend(args);
            skygen::run(all, &mut std::io::empty())
        })
        .expect("spawn");
    let outcome = match handle.join() {
        Ok(Ok(o)) => o,
        // clap refused the arguments: a usage error, printed by clap.
        Ok(Err(e)) => {
            return Ok(Out {
                status: if e.use_stderr() {
                    ExitStatus::Error
                } else {
                    ExitStatus::Success
                },
                stdout: String::new(),
                messages: e.to_string(),
                located: true,
            })
        }
        Err(_) => return Err(TestCaseError::fail(format!("panic: skygen {shown}"))),
    };
    let messages: Vec<String> = outcome.diagnostics.iter().map(|d| d.render()).collect();
    let located = outcome
        .diagnostics
        .first()
        .is_none_or(|d| d.origin.is_some() || d.key.is_some());
    Ok(Out {
        status: outcome.status,
        stdout: outcome.stdout,
        messages: messages.join("\n"),
        located,
    })
}

/// The contract for one run; returns the objects of a successful render.
fn contract(out: &Out, args: &[String]) -> Result<(), TestCaseError> {
    prop_assert!(
        !out.messages.contains("skygen bug") && !out.messages.contains("internal error"),
        "internal error for {args:?}:\n{}",
        out.messages
    );
    if out.status == ExitStatus::Error {
        prop_assert!(out.stdout.is_empty(), "stdout on error for {args:?}");
        prop_assert!(!out.messages.is_empty(), "silent error for {args:?}");
        prop_assert!(
            out.located,
            "first error has no location for {args:?}:\n{}",
            out.messages
        );
    }
    Ok(())
}

/// Render with `args` as YAML and as JSON: both succeed or both fail, and a YAML stream that
/// skygen's reader reads back is exactly the JSON list's items.
fn render_agrees(args: Vec<String>) -> Result<(), TestCaseError> {
    let mut yaml_args = vec!["render".to_owned()];
    yaml_args.extend(args.iter().cloned());
    let yaml = run(yaml_args.clone())?;
    contract(&yaml, &yaml_args)?;
    if std::env::var_os("SKYGEN_PROPTEST_TRACE").is_some() {
        // How the cases end, to check that the generators reach both outcomes.
        let first = yaml.messages.lines().next().unwrap_or_default();
        eprintln!(
            "{:?}: {}",
            yaml.status,
            first.chars().take(150).collect::<String>()
        );
    }
    if yaml.status != ExitStatus::Success {
        prop_assert_eq!(yaml.status, ExitStatus::Error);
        return Ok(());
    }
    let mut json_args = yaml_args.clone();
    json_args.extend(["--format".to_owned(), "json".to_owned()]);
    let json = run(json_args.clone())?;
    contract(&json, &json_args)?;
    prop_assert_eq!(json.status, ExitStatus::Success);
    let list: Value = serde_json::from_str(&json.stdout)
        .map_err(|e| TestCaseError::fail(format!("JSON output does not parse: {e}")))?;
    let docs = skygen::yaml::read_stream(&yaml.stdout).map_err(|e| {
        TestCaseError::fail(format!(
            "YAML output does not read back for {yaml_args:?}: {:?} {}",
            e.pos, e.kind
        ))
    })?;
    let read: Vec<Value> = docs.into_iter().map(|d| d.value).collect();
    prop_assert_eq!(&Value::Array(read), &list["items"]);
    Ok(())
}

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

/// Characters that stress escaping: YAML syntax, C0 and C1 controls, DEL, line separators, the
/// BOM, non-characters, an astral character.
const SPECIALS: &[char] = &[
    '\t',
    '\n',
    '\r',
    '\0',
    '\u{1}',
    '\u{1b}',
    '\u{7f}',
    '\u{80}',
    '\u{85}',
    '\u{9f}',
    '\u{a0}',
    '\u{2028}',
    '\u{2029}',
    '\u{feff}',
    '\u{fffe}',
    '\u{ffff}',
    '\u{1fffe}',
    '😀',
    '"',
    '\\',
    '\'',
    '#',
    ':',
    ',',
    '{',
    '}',
    '[',
    ']',
    '&',
    '*',
    '!',
    '|',
    '>',
    '%',
    '@',
    '`',
    ' ',
    '-',
    '.',
    '=',
    '~',
    '/',
    '$',
];

/// Plain scalars that YAML 1.1 and 1.2 read differently, or that are huge or odd numbers.
const WORDS: &[&str] = &[
    "on",
    "off",
    "yes",
    "no",
    "y",
    "n",
    "~",
    "null",
    "true",
    "False",
    "0755",
    "1_000",
    "1e3",
    "1e400",
    "-0",
    ".inf",
    ".nan",
    "0x1F",
    "0o17",
    "0b101",
    "2001-12-14",
    "12:30:00",
    "99999999999999999999999",
    "-9223372036854775809",
    "18446744073709551616",
    "3.4e38",
    "1.5",
    "0",
    "x",
    "a b",
    "ReadWriteMany",
    "sky.example.com",
];

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::char::range('a', 'z'),
            2 => prop::sample::select(SPECIALS),
            1 => any::<char>(),
        ],
        0..12,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

/// A YAML node, written by hand so that plain words stay plain and strings use escapes.
#[derive(Clone, Debug)]
enum Node {
    Plain(String),
    Quoted(String),
    Map(Vec<(String, Node)>),
    List(Vec<Node>),
}

fn scalar() -> impl Strategy<Value = Node> {
    prop_oneof![
        prop::sample::select(WORDS).prop_map(|w| Node::Plain(w.to_owned())),
        text().prop_map(Node::Quoted),
    ]
}

/// Keys a values file or an object really has, mixed with random text.
const KEYS: &[&str] = &[
    "apiService",
    "annotations",
    "extraEnvs",
    "name",
    "value",
    "config",
    "image",
    "replicas",
    "affinity",
    "nodeSelector",
    "tolerations",
    "resources",
    "limits",
    "storage",
    "selector",
    "size",
    "accessMode",
    "enabled",
    "ingress",
    "host",
    "ingress-nginx",
    "controller",
    "service",
    "metadata",
    "labels",
    "spec",
    "data",
    "nebiusCredentials",
    "tenantId",
    "a",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(KEYS).prop_map(str::to_owned),
        1 => text(),
    ]
}

fn node() -> impl Strategy<Value = Node> {
    scalar().prop_recursive(8, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec((key(), inner.clone()), 0..6).prop_map(Node::Map),
            prop::collection::vec(inner, 0..4).prop_map(Node::List),
        ]
    })
}

/// A chain of single-key maps `depth` deep ending in a scalar: straddles the depth limit.
fn chain(depth: usize, leaf: Node) -> Node {
    (0..depth).fold(leaf, |n, _| Node::Map(vec![("a".into(), n)]))
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push_str(&format!("\\U{:08X}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Flow-style YAML (every string quoted with escapes, words plain).
fn yaml(n: &Node) -> String {
    match n {
        Node::Plain(w) => w.clone(),
        Node::Quoted(s) => quote(s),
        Node::Map(kv) => {
            // Duplicate keys are refused by every reader; keep the first of each.
            let mut seen = std::collections::BTreeSet::new();
            let items: Vec<String> = kv
                .iter()
                .filter(|(k, _)| seen.insert(k.as_str()))
                .map(|(k, v)| format!("{}: {}", quote(k), yaml(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Node::List(items) => {
            let items: Vec<String> = items.iter().map(yaml).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

/// JSON of a node (for `--set-json`): words become strings, like a careful user writes them.
fn json(n: &Node) -> Value {
    match n {
        Node::Plain(w) | Node::Quoted(w) => Value::String(w.clone()),
        Node::Map(kv) => Value::Object(kv.iter().map(|(k, v)| (k.clone(), json(v))).collect()),
        Node::List(items) => Value::Array(items.iter().map(json).collect()),
    }
}

/// Where values go: places the chart reads, maps Kubernetes owns, and unknown keys.
const PLACES: &[&[&str]] = &[
    &["apiService", "annotations"],
    &["apiService", "nodeSelector"],
    &["apiService", "affinity"],
    &["apiService", "resources"],
    &["apiService", "extraEnvs"],
    &["apiService", "config"],
    &["apiService", "image"],
    &["apiService", "replicas"],
    &["storage", "selector"],
    &["storage", "size"],
    &["ingress", "host"],
    &["ingress-nginx", "controller", "service", "annotations"],
    &["nebiusCredentials"],
    &["unknownKey"],
];

/// A values file: a few places, each given a random node or a deep chain.
fn values_file() -> impl Strategy<Value = String> {
    let placed = (
        prop::sample::select(PLACES),
        prop_oneof![
            3 => node(),
            1 => (20usize..40, scalar()).prop_map(|(d, leaf)| chain(d, leaf)),
            1 => prop::collection::btree_map(text(), text(), 0..8)
                .prop_map(|m| Node::Map(m.into_iter().map(|(k, v)| (k, Node::Quoted(v))).collect())),
        ],
    );
    prop::collection::vec(placed, 0..5).prop_map(|places| {
        let mut root: Vec<(String, Node)> = Vec::new();
        for (path, node) in places {
            let n = path.iter().rev().skip(1).fold(
                Node::Map(vec![(path[path.len() - 1].to_owned(), node)]),
                |n, k| Node::Map(vec![((*k).to_owned(), n)]),
            );
            if let Node::Map(kv) = n {
                // Later places with the same top key replace earlier ones (no duplicate keys).
                for (k, v) in kv {
                    root.retain(|(rk, _)| *rk != k);
                    root.push((k, v));
                }
            }
        }
        yaml(&Node::Map(root))
    })
}

/// One `--set`-family argument.
fn set_arg() -> impl Strategy<Value = (String, String)> {
    let seg = prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(str::to_owned),
        1 => (0usize..12_000).prop_map(|i| format!("[{i}]")),
        1 => text(),
    ];
    let path = (
        prop::sample::select(PLACES),
        prop::collection::vec(seg, 0..4),
        0usize..40,
    )
        .prop_map(|(place, extra, deep)| {
            let mut p = place.join(".");
            for s in extra {
                if !s.starts_with('[') {
                    p.push('.');
                }
                p.push_str(&s);
            }
            p.push_str(&".a".repeat(deep % 36));
            p
        });
    prop_oneof![
        (path.clone(), text()).prop_map(|(p, v)| ("--set".into(), format!("{p}={v}"))),
        (path.clone(), prop::sample::select(WORDS))
            .prop_map(|(p, v)| ("--set".into(), format!("{p}={v}"))),
        (path.clone(), text()).prop_map(|(p, v)| ("--set-string".into(), format!("{p}={v}"))),
        (path, node()).prop_map(|(p, n)| ("--set-json".into(), format!("{p}={}", json(&n)))),
    ]
}

/// A `when:` expression: the chains minijinja nests on, around the token limit.
fn when_expr() -> impl Strategy<Value = String> {
    let atom = prop::sample::select(
        &[
            "true",
            "false",
            "v.storage.enabled",
            "v.apiService.replicas > 1",
            "release.name == \"skypilot\"",
            "v.nope.deeper",
            "names.fullname ~ \"x\"",
            "1 / 0",
        ][..],
    );
    prop_oneof![
        (0usize..300, atom.clone()).prop_map(|(n, a)| format!("{}{a}", "not ".repeat(n))),
        (0usize..300, atom.clone()).prop_map(|(n, a)| format!("{}({a})", "-".repeat(n))),
        (0usize..200, atom.clone()).prop_map(|(n, a)| format!(
            "{}{a}{}",
            "(".repeat(n),
            ")".repeat(n)
        )),
        (1usize..300, atom.clone()).prop_map(|(n, a)| vec![a; n].join(" and ")),
        (0usize..300).prop_map(|n| format!("v{}", ".a".repeat(n))),
        text(),
    ]
}

const TARGETS: &[(&str, &str)] = &[
    ("Service", "{{ api_service }}"),
    ("Deployment", "{{ api_server }}"),
    ("ConfigMap", "cm-1"),
    ("ConfigMap", "cm-2"),
    ("Secret", "nope"),
];

fn patch() -> impl Strategy<Value = String> {
    let target = prop::sample::select(TARGETS);
    let op = prop::sample::select(&["add", "replace", "remove", "test", "move", "bad"][..]);
    let pointer = prop::collection::vec(
        prop_oneof![
            prop::sample::select(KEYS).prop_map(str::to_owned),
            text(),
            Just("-".to_owned()),
            Just("0".to_owned())
        ],
        0..5,
    )
    .prop_map(|segs| segs.iter().map(|s| format!("/{s}")).collect::<String>());
    prop_oneof![
        (target.clone(), node(), 0u8..3).prop_map(|((k, n), body, expect)| format!(
            "  - target: {{kind: {k}, name: {}}}\n    type: merge\n    expect: {expect}\n    patch: {{metadata: {{annotations: {}}}}}\n",
            quote(n),
            yaml(&body)
        )),
        (target.clone(), node()).prop_map(|((k, n), body)| format!(
            "  - target: {{kind: {k}, name: {}}}\n    type: strategic\n    patch: {{spec: {}}}\n",
            quote(n),
            yaml(&body)
        )),
        (target, op, pointer, node()).prop_map(|((k, n), op, path, value)| format!(
            "  - target: {{kind: {k}, name: {}}}\n    type: json6902\n    patch: [{{op: {op}, path: {}, from: /metadata, value: {}}}]\n",
            quote(n),
            quote(&path),
            yaml(&value)
        )),
    ]
}

/// An overlay directory's files: `overlay.yaml` and a resource template.
fn overlay() -> impl Strategy<Value = (String, String)> {
    (
        prop::option::of(values_file()),
        prop::option::of(prop::collection::btree_map(text(), text(), 0..4)),
        0usize..400,
        1usize..400,
        prop::collection::vec(patch(), 0..4),
        prop::collection::vec(when_expr(), 0..3),
        text(),
    )
        .prop_map(|(values, config, objects, distinct, patches, whens, data)| {
            let mut o = String::from("description: property test\n");
            if let Some(v) = values {
                o.push_str(&format!("values: {v}\n"));
            }
            if let Some(c) = config {
                let m = Node::Map(c.into_iter().map(|(k, v)| (k, Node::Quoted(v))).collect());
                o.push_str(&format!("config: {}\n", yaml(&m)));
            }
            o.push_str("resources: [r.yaml]\n");
            if !patches.is_empty() {
                o.push_str("patches:\n");
                o.extend(patches);
            }
            if !whens.is_empty() {
                o.push_str("checks:\n");
                for w in whens {
                    o.push_str(&format!("  - when: {}\n    error: \"{{{{ v.storage.size }}}}\"\n", quote(&w)));
                }
            }
            let r: String = (0..objects)
                .map(|i| {
                    format!(
                        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{}}}\ndata: {{a: {}, b: {{{{ v.apiService.annotations }}}}}}\n",
                        i % distinct,
                        quote(&data)
                    )
                })
                .collect();
            (o, r)
        })
}

/// A manifest stream for `diff`: objects with random data.
fn manifests() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(&["v1", "apps/v1", "x.example.com/v1", ""][..]),
            prop::sample::select(&["ConfigMap", "Secret", "Deployment", ""][..]),
            prop::option::of(text()),
            text(),
            node(),
        ),
        0..6,
    )
    .prop_map(|objs| {
        objs.iter()
            .map(|(api, kind, ns, name, data)| {
                let ns = ns
                    .as_ref()
                    .map(|n| format!(", namespace: {}", quote(n)))
                    .unwrap_or_default();
                format!(
                    "---\napiVersion: {}\nkind: {}\nmetadata: {{name: {}{ns}}}\ndata: {}\n",
                    quote(api),
                    quote(kind),
                    quote(name),
                    yaml(data)
                )
            })
            .collect()
    })
}

fn config() -> Config {
    // Honours PROPTEST_CASES; the default keeps `cargo test` to a few seconds.
    Config {
        cases: common::proptest_cases(12),
        max_shrink_iters: 200,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn values_files_render_or_are_refused(text in values_file()) {
        let dir = TempDir::new("values");
        let file = dir.write("values.yaml", &text);
        render_agrees(vec!["-f".into(), file])?;
    }

    #[test]
    fn set_flags_render_or_are_refused(sets in prop::collection::vec(set_arg(), 1..5)) {
        let args = sets.into_iter().flat_map(|(f, a)| [f, a]).collect();
        render_agrees(args)?;
    }

    #[test]
    fn overlays_render_or_are_refused((overlay_yaml, resource) in overlay(), sets in prop::collection::vec(set_arg(), 0..2)) {
        let dir = TempDir::new("overlay");
        dir.write("ov/overlay.yaml", &overlay_yaml);
        dir.write("ov/r.yaml", &resource);
        let mut args = vec!["--overlay".to_owned(), dir.join("ov")];
        args.extend(sets.into_iter().flat_map(|(f, a)| [f, a]));
        render_agrees(args)?;
    }

    #[test]
    fn diff_compares_or_refuses(old in manifests(), new in manifests()) {
        let dir = TempDir::new("diff");
        let a = dir.write("old.yaml", &old);
        let b = dir.write("new.yaml", &new);
        let args = vec!["diff".to_owned(), a.clone(), b];
        let out = run(args.clone())?;
        contract(&out, &args)?;
        // A stream compared with itself has no differences (or is refused as the same input).
        let same = vec!["diff".to_owned(), a.clone(), a];
        let out_same = run(same.clone())?;
        contract(&out_same, &same)?;
        prop_assert_ne!(out_same.status, ExitStatus::Failure, "{}", out_same.stdout);
        if out_same.status == ExitStatus::Error {
            prop_assert_eq!(out.status, ExitStatus::Error);
        }
    }
}
