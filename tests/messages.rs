//! Messages a user meets on the way from Helm to skygen (issue #10, items 8 and 9): each names
//! the key or the argument at fault, is never cut inside its fix, and values files written for
//! the subchart load as the subchart reads them.
//!
//! What belongs here: the exact text of those messages (through the library's `run`, as the
//! binary prints them), and the values spellings the subchart accepts. Output content of a
//! successful render belongs in `tests/features.rs`.

mod common;
use common::TempDir;

use skygen::ExitStatus;

/// Run skygen; returns (status, stdout, stderr as the binary prints it).
fn run(args: &[&str]) -> (ExitStatus, String, String) {
    let argv = std::iter::once("skygen".to_owned()).chain(args.iter().map(|s| s.to_string()));
    let out = skygen::run(argv, &mut std::io::empty()).expect("arguments parse");
    let stderr: Vec<String> = out.diagnostics.iter().map(|d| d.render()).collect();
    (out.status, out.stdout, stderr.join("\n"))
}

fn error_of(args: &[&str]) -> String {
    let (status, stdout, stderr) = run(args);
    assert_eq!(status, ExitStatus::Error, "{args:?}: {stderr}");
    assert!(stdout.is_empty(), "{args:?}");
    stderr
}

/// See: #10. Integers Helm would keep as text (`01`, `1e1`, beyond 64 bits) are refused at the
/// key, naming the flag, instead of "values do not fit the model".
#[test]
fn issue_10_integers_name_key_and_flag() {
    for v in ["01", "1e1", "99999999999999999999"] {
        let arg = format!("apiService.replicas={v}");
        let err = error_of(&["render", "--set", &arg]);
        assert!(
            err.starts_with(&format!(
                "error: --set {arg}: apiService.replicas: expected an integer"
            )),
            "{err}"
        );
        assert!(err.contains(&format!("found a string `{v}`")), "{err}");
        assert!(
            err.contains("help: write the number with digits only"),
            "{err}"
        );
        assert!(!err.contains("do not fit the model"), "{err}");
    }
}

/// See: #10. The same numbers written in a values file (YAML reads them as floats).
#[test]
fn issue_10_float_integers_in_a_file_name_the_line() {
    let dir = TempDir::new("floats");
    // A whole float is the integer it equals, as Helm renders it (tests/regression.rs); one
    // beyond 64 bits is an error at its line.
    let f = dir.write("v.yaml", "apiService:\n  replicas: 99999999999999999999\n");
    let err = error_of(&["render", "-f", &f]);
    assert!(
        err.starts_with(&format!(
            "error: {f}:2:13: apiService.replicas: expected a whole number, found 1e+20"
        )),
        "{err}"
    );
}

/// See: #10. `--set list[3]=x` pads with nulls: blame the flag, say "null" once, explain.
#[test]
fn issue_10_padded_list_blames_the_flag() {
    let err = error_of(&["render", "--set", "rbac.namespaceRules[0].verbs[3]=get"]);
    assert!(!err.contains("<defaults>"), "{err}");
    assert!(!err.contains("null null"), "{err}");
    assert!(
        err.contains(
            "error: --set rbac.namespaceRules[0].verbs[3]=get: rbac.namespaceRules[0].verbs[1]: expected a string, found null"
        ),
        "{err}"
    );
    assert!(err.contains("fills a list with nulls"), "{err}");
}

/// See: #10. The known-keys list and the nodePortEnabled help were cut at 200 characters.
#[test]
fn issue_10_help_lines_are_whole() {
    let err = error_of(&["render", "--set", "apiService.forceConfigOverride=true"]);
    let help = err
        .lines()
        .find(|l| l.contains("known keys here"))
        .expect(&err);
    assert!(!help.ends_with('…'), "{help}");
    assert!(
        help.ends_with("topologySpreadTopologyKey, upgradeStrategy"),
        "{help}"
    );

    let (_, _, warn) = run(&["render", "--set", "ingress.nodePortEnabled=true"]);
    for line in warn.lines() {
        assert!(!line.ends_with('…'), "{line}");
    }
}

/// See: #10. The name-length rule quoted the name twice and was cut mid-word.
#[test]
fn issue_10_name_length_rule_is_whole() {
    let name = "a".repeat(53);
    let err = error_of(&["render", "--release-name", &name]);
    assert!(!err.contains('…'), "{err}");
    assert!(err.contains("which Kubernetes limits to 63"), "{err}");
}

/// See: #10. A built-in overlay's file is not on disk: the message names the overlay.
#[test]
fn issue_10_builtin_overlay_errors_name_the_overlay() {
    let err = error_of(&[
        "render",
        "--overlay",
        "eks",
        "--set",
        "storage.accessMode=ReadWriteMany",
    ]);
    assert!(
        err.starts_with("error: built-in overlay 'eks' (overlay.yaml line 22): storage.accessMode"),
        "{err}"
    );
    assert!(!err.contains("overlays/eks"), "{err}");
}

/// See: #10. Helm's positional release name gets a fix instead of "unexpected argument".
#[test]
fn issue_10_positional_release_name() {
    for cmd in ["render", "validate"] {
        let err = error_of(&[cmd, "myrelease", "skypilot/skypilot"]);
        assert!(err.contains("unexpected argument `myrelease`"), "{err}");
        assert!(err.contains("use --release-name myrelease"), "{err}");
    }
}

/// See: #10. `-o deploy/skypilot` in a fresh checkout creates `deploy/`.
#[test]
fn issue_10_output_dir_parents_are_created() {
    let dir = TempDir::new("parents");
    let out = dir.join("deploy/nested/skypilot");
    let (status, _, err) = run(&["render", "-o", &out]);
    assert_eq!(status, ExitStatus::Success, "{err}");
    assert!(std::path::Path::new(&out)
        .join("kustomization.yaml")
        .is_file());
}

/// See: #10. The subchart's own spelling of node ports: strings, and `""` for "let the cluster
/// pick". Rendered as integers where set (the subchart writes the text unquoted, so YAML reads a
/// number), left out where empty.
#[test]
fn issue_10_node_ports_as_the_subchart_writes_them() {
    let dir = TempDir::new("nodeports");
    let f = dir.write(
        "v.yaml",
        "ingress-nginx:\n  controller:\n    service:\n      type: NodePort\n      nodePorts:\n        http: \"30050\"\n        https: \"\"\n",
    );
    let (status, out, err) = run(&["render", "-f", &f, "--format", "json"]);
    assert_eq!(status, ExitStatus::Success, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let svc = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| {
            o["kind"] == "Service" && o["metadata"]["name"] == "skypilot-ingress-nginx-controller"
        })
        .expect("controller Service");
    let ports = svc["spec"]["ports"].as_array().unwrap();
    let http = ports.iter().find(|p| p["name"] == "http").unwrap();
    let https = ports.iter().find(|p| p["name"] == "https").unwrap();
    assert_eq!(http["nodePort"], serde_json::json!(30050));
    assert!(https.get("nodePort").is_none(), "{https}");

    for bad in ["70000", "x"] {
        let arg = format!("ingress-nginx.controller.service.nodePorts.http={bad}");
        let err = error_of(&["render", "--set-string", &arg]);
        assert!(
            err.contains(&format!(
                "--set-string {arg}: ingress-nginx.controller.service.nodePorts.http: expected"
            )),
            "{bad}: {err}"
        );
    }
}
