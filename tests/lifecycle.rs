//! The release's lifecycle (issue #10, items 3 to 6): `--create-namespace`, the release labels
//! and keep marks, and the commands of docs/lifecycle.md checked by shape against what skygen
//! renders. Nothing here talks to a cluster: a command is right when its flags parse, its label
//! selectors match the objects skygen writes (and never a Namespace or a PVC when it deletes), the
//! kinds it prunes or deletes are every kind the goldens hold, and the ApplySet ids it states are
//! the ones kubectl computes.
//!
//! What belongs here: docs/lifecycle.md and README commands, and the lifecycle flags. The
//! labels' place in each object is also covered by the goldens.

mod common;
use common::TempDir;

use std::collections::BTreeSet;
use std::path::Path;

use base64::Engine;
use serde_json::Value;
use sha2::Digest;
use skygen::ExitStatus;

fn repo(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Run skygen through the library; (status, stdout, stderr lines as printed).
fn run(args: &[String]) -> (ExitStatus, String, String) {
    let argv = std::iter::once("skygen".to_owned()).chain(args.iter().cloned());
    let out = skygen::run(argv, &mut std::io::empty())
        .unwrap_or_else(|e| panic!("{args:?} does not parse: {e}"));
    let stderr: Vec<String> = out.diagnostics.iter().map(|d| d.render()).collect();
    (out.status, out.stdout, stderr.join("\n"))
}

fn render(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["render".to_owned()];
    all.extend(args.iter().map(|s| s.to_string()));
    let (status, out, err) = run(&all);
    assert_eq!(status, ExitStatus::Success, "{args:?}: {err}");
    objects(&out)
}

fn objects(yaml: &str) -> Vec<Value> {
    skygen::yaml::read_stream(yaml)
        .expect("skygen output is YAML")
        .into_iter()
        .map(|d| d.value)
        .filter(Value::is_object)
        .collect()
}

/// Every object of every golden render: all kinds skygen emits for the cases and overlays.
fn golden_objects() -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        out.extend(objects(&std::fs::read_to_string(path).unwrap()));
    }
    out
}

fn kind(o: &Value) -> &str {
    o["kind"].as_str().unwrap()
}

/// (API group, kind) of an object; the core group is "".
fn group_kind(o: &Value) -> (String, String) {
    let api = o["apiVersion"].as_str().unwrap();
    let group = api.split_once('/').map(|(g, _)| g).unwrap_or("");
    (group.to_owned(), kind(o).to_owned())
}

fn is_kept_kind(k: &str) -> bool {
    matches!(k, "Namespace" | "PersistentVolumeClaim")
}

/// The resource name kubectl takes for a kind (`Ingress` → `ingresses`).
fn plural_of(kind: &str) -> String {
    let lower = kind.to_lowercase();
    if let Some(stem) = lower.strip_suffix('y') {
        format!("{stem}ies")
    } else if lower.ends_with('s') {
        format!("{lower}es")
    } else {
        format!("{lower}s")
    }
}

fn label<'a>(o: &'a Value, key: &str) -> Option<&'a str> {
    o["metadata"]["labels"][key].as_str()
}

// ---------------------------------------------------------------------------
// The commands of docs/lifecycle.md
// ---------------------------------------------------------------------------

/// Split a shell word list: spaces separate, single and double quotes group.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    let mut in_word = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    assert!(quote.is_none(), "unclosed quote in {line}");
    if in_word {
        words.push(cur);
    }
    words
}

/// The commands of the ```sh blocks of a Markdown text, continuation lines joined, pipelines
/// split: each is one program's words.
fn commands_of(markdown: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_block = line == "```sh";
            continue;
        }
        if !in_block {
            continue;
        }
        let line = line.trim();
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let full = std::mem::take(&mut pending);
        for part in full.split(" | ") {
            let mut words = shell_words(part);
            // `> file` is the shell's, not the program's.
            if let Some(i) = words.iter().position(|w| w == ">") {
                words.truncate(i);
            }
            if !words.is_empty() && words[0] != "export" {
                out.push(words);
            }
        }
    }
    out
}

fn lifecycle_commands() -> Vec<Vec<String>> {
    commands_of(&repo("docs/lifecycle.md"))
}

/// The value of `--flag=V` or `--flag V` (or the short form), every occurrence.
fn flag_values(words: &[String], names: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        for n in names {
            if w == n {
                out.push(words[i + 1].clone());
            } else if let Some(v) = w.strip_prefix(&format!("{n}=")) {
                out.push(v.to_owned());
            }
        }
        i += 1;
    }
    out
}

/// A selector's requirements: `k=v` → (k, Some(v)); `!k` → (k, None).
fn selector(s: &str) -> Vec<(String, Option<String>)> {
    s.split(',')
        .map(|r| match r.strip_prefix('!') {
            Some(k) => (k.to_owned(), None),
            None => {
                let (k, v) = r
                    .split_once('=')
                    .unwrap_or_else(|| panic!("requirement {r}"));
                (k.to_owned(), Some(v.to_owned()))
            }
        })
        .collect()
}

fn matches(o: &Value, sel: &[(String, Option<String>)]) -> bool {
    sel.iter().all(|(k, v)| match v {
        Some(v) => label(o, k) == Some(v.as_str()),
        None => label(o, k).is_none(),
    })
}

/// Run a documented skygen command (its values file replaced by an empty one); its objects.
fn run_documented(words: &[String], values: &str) -> Vec<Value> {
    assert_eq!(words[0], "skygen");
    let args: Vec<String> = words[1..]
        .iter()
        .map(|w| {
            if w == "values.yaml" {
                values.to_owned()
            } else {
                w.clone()
            }
        })
        .collect();
    let (status, out, err) = run(&args);
    assert_eq!(status, ExitStatus::Success, "{words:?}: {err}");
    objects(&out)
}

/// What kubectl labels an ApplySet parent with (`applyset.kubernetes.io/id`): kubectl's
/// `ApplySet.ID()` in `staging/src/k8s.io/kubectl/pkg/cmd/apply/applyset.go`.
fn applyset_id(name: &str, namespace: &str, kind: &str, group: &str) -> String {
    let digest = sha2::Sha256::digest(format!("{name}.{namespace}.{kind}.{group}").as_bytes());
    format!(
        "applyset-{}-v1",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
    )
}

#[test]
fn applyset_id_is_kubectls() {
    // The parent Secret `my-set` in namespace `test` of kubectl's own apply_test.go.
    assert_eq!(
        applyset_id("my-set", "test", "Secret", ""),
        "applyset-0eFHV8ySqp7XoShsGvyWFQD3s96yqwHmzc4e0HR1dsY-v1"
    );
}

/// See: #10. Every skygen command of docs/lifecycle.md runs; the release labels every kubectl
/// selector asks for exist with those values; the kept objects are exactly what
/// `-l skygen.io/keep=true` selects.
#[test]
fn issue_10_documented_commands_match_the_render() {
    let dir = TempDir::new("documented");
    let values = dir.write("values.yaml", "{}\n");
    let cmds = lifecycle_commands();
    assert!(cmds.len() >= 10, "{cmds:?}");
    let full = render(&["-f", &values, "--create-namespace"]);
    let mut skygen_runs = 0;
    for words in &cmds {
        match words[0].as_str() {
            "skygen" => {
                run_documented(words, &values);
                skygen_runs += 1;
            }
            "kubectl" => {
                for sel in flag_values(words, &["-l"]) {
                    let sel = selector(&sel);
                    let chosen: Vec<&Value> = full.iter().filter(|o| matches(o, &sel)).collect();
                    assert!(!chosen.is_empty(), "{words:?} selects nothing");
                    if sel.iter().any(|(k, _)| k == "skygen.io/keep") && sel.len() == 1 {
                        // The kept objects' own apply: exactly the Namespaces and PVCs.
                        assert!(chosen.iter().all(|o| is_kept_kind(kind(o))), "{words:?}");
                        assert_eq!(
                            chosen.len(),
                            full.iter().filter(|o| is_kept_kind(kind(o))).count()
                        );
                    }
                }
            }
            other => panic!("unexpected program {other} in docs/lifecycle.md"),
        }
    }
    assert!(skygen_runs >= 4);
}

/// See: #10. Whatever prunes or deletes selects by the release labels, excludes the kept
/// objects, and covers every kind skygen emits except Namespaces and PVCs; the uninstall that
/// keeps the state never names a PVC or a Namespace.
#[test]
fn issue_10_prune_and_uninstall_cover_every_kind_and_never_a_kept_object() {
    // Custom resources (Gateway API, the Prometheus Operator's PodMonitor) are named in the
    // text instead (kubectl refuses kinds its cluster lacks).
    let gateway_groups = [
        "gateway.networking.k8s.io",
        "gateway.envoyproxy.io",
        "networking.gke.io",
        "monitoring.coreos.com",
    ];
    let all: BTreeSet<(String, String)> = golden_objects()
        .iter()
        .filter(|o| !is_kept_kind(kind(o)))
        .map(group_kind)
        .collect();
    let text = repo("docs/lifecycle.md");
    for (g, k) in all
        .iter()
        .filter(|(g, _)| gateway_groups.contains(&g.as_str()))
    {
        assert!(
            text.contains(&format!("{g}/")) && text.contains(&format!("/{k}`")),
            "{g}/{k}"
        );
    }
    let mut emitted: BTreeSet<(String, String)> = all
        .into_iter()
        .filter(|(g, _)| !gateway_groups.contains(&g.as_str()))
        .collect();
    // Rendered with `ingress-nginx.controller.autoscaling.enabled`, which no golden sets.
    emitted.insert(("autoscaling".into(), "HorizontalPodAutoscaler".into()));
    let cmds = lifecycle_commands();

    let prune = cmds
        .iter()
        .find(|w| {
            w[0] == "kubectl"
                && w.contains(&"--prune".to_owned())
                && !w.iter().any(|x| x.starts_with("--applyset"))
        })
        .expect("a label-based prune command");
    let allow: BTreeSet<(String, String)> = flag_values(prune, &["--prune-allowlist"])
        .iter()
        .map(|gvk| {
            let parts: Vec<&str> = gvk.split('/').collect();
            let group = if parts[0] == "core" { "" } else { parts[0] };
            (group.to_owned(), parts[2].to_owned())
        })
        .collect();
    assert_eq!(
        allow, emitted,
        "the prune allowlist against the kinds skygen emits"
    );
    let sel = flag_values(prune, &["-l"]);
    assert_eq!(sel.len(), 1);
    assert!(
        selector(&sel[0]).contains(&("skygen.io/keep".to_owned(), None)),
        "{sel:?}"
    );

    let uninstall = cmds
        .iter()
        .find(|w| w[0] == "kubectl" && w[1] == "delete" && w.contains(&"-A".to_owned()))
        .expect("the uninstall command");
    let sel = flag_values(uninstall, &["-l"]);
    assert!(
        selector(&sel[0]).contains(&("skygen.io/keep".to_owned(), None)),
        "{sel:?}"
    );
    let types = uninstall.last().unwrap();
    let deleted: BTreeSet<(String, String)> = types
        .split(',')
        .map(|t| {
            let (plural, group) = t.split_once('.').unwrap_or((t, ""));
            let kind = emitted
                .iter()
                .map(|(_, k)| k)
                .find(|k| plural_of(k) == plural)
                .unwrap_or_else(|| panic!("{t} is not a kind skygen emits"));
            (group.to_owned(), kind.clone())
        })
        .collect();
    assert_eq!(
        deleted, emitted,
        "the uninstall's types against the kinds skygen emits"
    );

    // The state goes only when asked: the one command that names PVCs selects the release.
    let pvc = cmds
        .iter()
        .filter(|w| w[0] == "kubectl" && w[1] == "delete" && w.contains(&"pvc".to_owned()))
        .collect::<Vec<_>>();
    assert_eq!(pvc.len(), 1, "{pvc:?}");
    let full = render(&[]);
    let sel = selector(&flag_values(pvc[0], &["-l"])[0]);
    let chosen: Vec<&Value> = full.iter().filter(|o| matches(o, &sel)).collect();
    assert!(chosen.iter().any(|o| kind(o) == "PersistentVolumeClaim"));
    let asked = text.find("Only when you mean to lose").unwrap();
    assert!(text.find("kubectl delete pvc").unwrap() > asked);
}

/// See: #10. Each ApplySet apply gets exactly the non-kept objects of its `-n` namespace, the
/// cluster-scoped ones go to the release's namespace, and the ids stated in the docs are the
/// ones kubectl puts on those parents.
#[test]
fn issue_10_applyset_commands_split_by_namespace() {
    let dir = TempDir::new("applyset");
    let values = dir.write("values.yaml", "{}\n");
    let text = repo("docs/lifecycle.md");
    let cmds = lifecycle_commands();
    let full = render(&["-f", &values]);
    let mut covered = 0;
    for (i, words) in cmds.iter().enumerate() {
        let parents = flag_values(words, &["--applyset"]);
        if parents.is_empty() {
            continue;
        }
        let ns = &flag_values(words, &["-n"])[0];
        let producer = &cmds[i - 1];
        assert_eq!(&flag_values(producer, &["--only-namespace"])[0], ns);
        assert!(producer.contains(&"--skip-kept".to_owned()), "{producer:?}");
        let part = run_documented(producer, &values);
        assert!(!part.is_empty());
        for o in &part {
            assert!(!is_kept_kind(kind(o)), "{ns}: {o}");
            match o["metadata"]["namespace"].as_str() {
                Some(own) => assert_eq!(own, ns),
                None => assert_eq!(ns, "skypilot", "cluster-scoped objects go with the release"),
            }
            assert!(
                o["metadata"]["labels"]["applyset.kubernetes.io/part-of"].is_null(),
                "kubectl refuses input that already has the ApplySet label"
            );
        }
        covered += part.len();
        let id = applyset_id(&parents[0], ns, "Secret", "");
        let row = format!("| `{}` | `{ns}` | `{id}` |", parents[0]);
        assert!(text.contains(&row), "docs/lifecycle.md should state {row}");
    }
    let non_kept = full.iter().filter(|o| !is_kept_kind(kind(o))).count();
    assert_eq!(
        covered, non_kept,
        "every non-kept object is in exactly one ApplySet"
    );
}

// ---------------------------------------------------------------------------
// Labels, --create-namespace, the config warning
// ---------------------------------------------------------------------------

/// See: #10. The release labels are on every object but Namespaces, in metadata only: no pod
/// template and no selector of any golden carries a skygen key.
#[test]
fn issue_10_labels_on_metadata_never_on_pods_or_selectors() {
    for o in golden_objects() {
        let k = kind(&o);
        if k == "Namespace" {
            assert!(label(&o, "skygen.io/release").is_none());
            assert_eq!(label(&o, "skygen.io/keep"), Some("true"));
        } else {
            assert!(label(&o, "skygen.io/release").is_some(), "{o}");
            assert!(label(&o, "skygen.io/release-namespace").is_some(), "{o}");
        }
        for p in [
            "/spec/template/metadata",
            "/spec/jobTemplate/spec/template/metadata",
            "/spec/selector",
        ] {
            if let Some(v) = o.pointer(p) {
                assert!(!v.to_string().contains("skygen.io/"), "{k} {p}: {v}");
            }
        }
    }
}

/// See: #10. `--create-namespace` emits the release's Namespace first, on render, validate and
/// `diff --against`; without it there is none.
#[test]
fn issue_10_create_namespace() {
    let out = render(&["-n", "team-a", "--create-namespace"]);
    assert_eq!(kind(&out[0]), "Namespace");
    assert!(out
        .iter()
        .any(|o| kind(o) == "Namespace" && o["metadata"]["name"] == "team-a"));
    assert!(!render(&["-n", "team-a"])
        .iter()
        .any(|o| kind(o) == "Namespace" && o["metadata"]["name"] == "team-a"));

    let (status, out, err) = run(&["validate".into(), "--create-namespace".into()]);
    assert_eq!(status, ExitStatus::Success, "{err}");
    assert!(out.starts_with("ok: "), "{out}");

    let dir = TempDir::new("createns");
    let committed = dir.join("deploy");
    let (status, _, err) = run(&[
        "render".into(),
        "--create-namespace".into(),
        "-o".into(),
        committed.clone(),
    ]);
    assert_eq!(status, ExitStatus::Success, "{err}");
    let (status, _, err) = run(&[
        "diff".into(),
        "--against".into(),
        committed.clone(),
        "--create-namespace".into(),
    ]);
    assert_eq!(status, ExitStatus::Success, "{err}");
    let (status, out, _) = run(&["diff".into(), "--against".into(), committed]);
    assert_eq!(status, ExitStatus::Failure);
    assert!(out.contains("Namespace"), "{out}");
}

/// See: #10. One warning line when apiService.config is set, naming where it was set.
#[test]
fn issue_10_config_warning() {
    let (status, _, err) = run(&[
        "render".into(),
        "--set".into(),
        "apiService.config=allowed_clouds: [kubernetes]".into(),
    ]);
    assert_eq!(status, ExitStatus::Success, "{err}");
    let warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("apiService.config"))
        .collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(
        warnings[0].starts_with("warning: --set apiService.config="),
        "{err}"
    );
    assert!(warnings[0].contains("docs/lifecycle.md"), "{err}");
    let (_, _, quiet) = run(&["render".into()]);
    assert!(!quiet.contains("apiService.config"), "{quiet}");
}

/// See: #10. The README's first command works on an empty cluster (it creates the namespace),
/// and its `--reuse-values` section says what a render without the auth values does.
#[test]
fn issue_10_readme_first_command_and_reuse_values() {
    let readme = repo("README.md");
    let first = readme
        .lines()
        .find(|l| l.trim_start().starts_with("skygen render") && l.contains("kubectl apply"))
        .expect("a render | kubectl apply command");
    assert!(first.contains("--create-namespace"), "{first}");
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Values live in files"))
        .expect("the --reuse-values section");
    assert!(section.contains("--reuse-values"));
    assert!(section.contains("removes the auth"), "{section}");
}

/// See: #10. A namespace the render has nothing in gets a warning (kubectl refuses an empty
/// apply), and a malformed one is a usage error.
#[test]
fn issue_10_only_namespace_edges() {
    let (status, out, err) = run(&[
        "render".into(),
        "--skip-kept".into(),
        "--only-namespace".into(),
        "elsewhere".into(),
    ]);
    assert_eq!(status, ExitStatus::Success, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.starts_with("warning: --only-namespace elsewhere: the render has no object"),
        "{err}"
    );
    let (status, _, err) = run(&["render".into(), "--only-namespace".into(), "Bad_NS".into()]);
    assert_eq!(status, ExitStatus::Error);
    assert!(
        err.contains("--only-namespace `Bad_NS`: not a namespace name"),
        "{err}"
    );
}
