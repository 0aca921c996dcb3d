//! `skygen diff` and `skygen render -o DIR`, run as a user runs them (issue #5).
//!
//! What belongs here: the diff of real variants asserted on exact output (default against
//! basic-auth, nodeport and an image upgrade), Secret masking (a secret value never reaches
//! stdout or stderr), noise that must not show (object order, key order, null against absent, a
//! `List` against a stream), exit codes (0 same, 1 different, 2 error), the output directory
//! (same objects as stdout, a kustomization listing them, atomic on error, pruning only its own
//! files) and the drift check `diff --against DIR`.
//!
//! Inputs are the committed golden renders in `tests/golden/` and values in `tests/cases/`;
//! everything else is written to a fresh temp dir per test. No timing is asserted (see
//! `benches/diff.rs`).

mod common;
use common::TempDir;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_skygen");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn golden(name: &str) -> String {
    root()
        .join(format!("tests/golden/{name}.yaml"))
        .to_str()
        .unwrap()
        .to_owned()
}

fn case(name: &str) -> String {
    root()
        .join(format!("tests/cases/{name}.values.yaml"))
        .to_str()
        .unwrap()
        .to_owned()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_with(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("skygen runs");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.as_bytes().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn run(args: &[&str]) -> Run {
    run_with(args, "", &[])
}

/// Every entry in a directory (not recursive) with its bytes (a subdirectory has none).
fn snapshot(dir: &str) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = if e.path().is_dir() {
                Vec::new()
            } else {
                std::fs::read(e.path()).unwrap()
            };
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Diffs of real variants, on exact output
// ---------------------------------------------------------------------------

#[test]
fn default_against_basic_auth() {
    let r = run(&["diff", &golden("default"), &golden("basic-auth")]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    assert_eq!(
        r.stdout,
        r#"skypilot, skypilot-basic-auth, Secret (v1) has been added:
+apiVersion: v1
+kind: Secret
+metadata:
+  name: skypilot-basic-auth
+  namespace: skypilot
+  labels:
+    skygen.io/release: skypilot
+    skygen.io/release-namespace: skypilot
+type: Opaque
+stringData:
+  auth: <hidden, 46 bytes>

skypilot, skypilot-api-server, Deployment (apps) has changed:
! restart: spec.template.spec.containers[skypilot-api].env[SKYPILOT_INGRESS_BASIC_AUTH_ENABLED].name changed: the pods of Deployment skypilot-api-server are replaced
! downtime: the API server uses the Recreate strategy: its pod stops before the new one is ready, so requests fail meanwhile (Deployment skypilot-api-server)
@@ -44,7 +44,7 @@
         - name: SKYPILOT_RELEASE_NAME
           value: skypilot
         - name: SKYPILOT_INGRESS_HOST
-        - name: ENABLE_SERVICE_ACCOUNTS
+        - name: SKYPILOT_INGRESS_BASIC_AUTH_ENABLED
           value: "true"
         - name: SKYPILOT_GRACE_PERIOD_SECONDS
           value: "60"

skypilot, skypilot-ingress, Ingress (networking.k8s.io) has changed:
@@ -4,6 +4,9 @@
   name: skypilot-ingress
   namespace: skypilot
   annotations:
+    nginx.ingress.kubernetes.io/auth-type: basic
+    nginx.ingress.kubernetes.io/auth-realm: SkyPilot API Server
+    nginx.ingress.kubernetes.io/auth-secret: skypilot-basic-auth
     nginx.ingress.kubernetes.io/proxy-read-timeout: "3600"
     nginx.ingress.kubernetes.io/proxy-send-timeout: "3600"
     nginx.ingress.kubernetes.io/proxy-body-size: 1000m

2 changed, 1 added, 0 removed; risks: restart 1, downtime 1
"#
    );
}

#[test]
fn default_against_nodeport() {
    let r = run(&["diff", &golden("default"), &golden("nodeport")]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        r#"skypilot, skypilot-ingress-nginx-controller, Service (v1) has changed:
@@ -17,7 +17,7 @@
     service.beta.kubernetes.io/port_443_health-probe_protocol: TCP
     service.beta.kubernetes.io/port_80_health-probe_protocol: TCP
 spec:
-  type: LoadBalancer
+  type: NodePort
   ipFamilyPolicy: SingleStack
   ipFamilies:
   - IPv4
@@ -27,11 +27,13 @@
     protocol: TCP
     targetPort: http
     appProtocol: http
+    nodePort: 30050
   - name: https
     port: 443
     protocol: TCP
     targetPort: https
     appProtocol: https
+    nodePort: 30051
   selector:
     app.kubernetes.io/name: ingress-nginx
     app.kubernetes.io/instance: skypilot

1 changed, 0 added, 0 removed
"#
    );
}

#[test]
fn image_upgrade_with_one_line_of_context() {
    let t = TempDir::new("upgrade");
    let new = run(&[
        "render",
        "--set",
        "apiService.image=berkeleyskypilot/skypilot-nightly:1.0.0.dev20251101",
    ]);
    assert_eq!(new.code, 0, "{}", new.stderr);
    let new_path = t.write("new.yaml", &new.stdout);
    let r = run(&["diff", "-C", "1", &golden("default"), &new_path]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        r#"skypilot, skypilot-api-server, Deployment (apps) has changed:
! restart: spec.template.spec.containers[skypilot-api].image changed: the pods of Deployment skypilot-api-server are replaced
! downtime: the API server uses the Recreate strategy: its pod stops before the new one is ready, so requests fail meanwhile (Deployment skypilot-api-server)
@@ -26,3 +26,3 @@
       - name: skypilot-api
-        image: berkeleyskypilot/skypilot-nightly:latest
+        image: berkeleyskypilot/skypilot-nightly:1.0.0.dev20251101
         imagePullPolicy: Always
@@ -140,3 +140,3 @@
       - name: logrotate
-        image: berkeleyskypilot/skypilot-nightly:latest
+        image: berkeleyskypilot/skypilot-nightly:1.0.0.dev20251101
         command:

1 changed, 0 added, 0 removed; risks: restart 1, downtime 1
"#
    );
    // The same comparison through stdin, for either side.
    let piped = run_with(
        &["diff", "-C", "1", &golden("default"), "-"],
        &new.stdout,
        &[],
    );
    assert_eq!((piped.code, &piped.stdout), (1, &r.stdout));
    let default = std::fs::read_to_string(golden("default")).unwrap();
    let piped = run_with(&["diff", "-C", "1", "-", &new_path], &default, &[]);
    assert_eq!((piped.code, &piped.stdout), (1, &r.stdout));
}

#[test]
fn json_lists_changed_objects_with_pointers() {
    let r = run(&[
        "diff",
        "--format",
        "json",
        &golden("default"),
        &golden("basic-auth"),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({
            "objects": [
                {"apiGroup": "", "kind": "Secret", "namespace": "skypilot", "name": "skypilot-basic-auth",
                 "change": "added", "paths": [""], "risks": []},
                {"apiGroup": "apps", "kind": "Deployment", "namespace": "skypilot", "name": "skypilot-api-server",
                 "change": "changed", "paths": ["/spec/template/spec/containers/0/env/3/name"],
                 "risks": [
                    {"kind": "restart", "path": "/spec/template/spec/containers/0/env/3/name",
                     "message": "spec.template.spec.containers[skypilot-api].env[SKYPILOT_INGRESS_BASIC_AUTH_ENABLED].name changed: the pods of Deployment skypilot-api-server are replaced"},
                    {"kind": "downtime", "path": "/spec/strategy/type",
                     "message": "the API server uses the Recreate strategy: its pod stops before the new one is ready, so requests fail meanwhile (Deployment skypilot-api-server)"}
                 ]},
                {"apiGroup": "networking.k8s.io", "kind": "Ingress", "namespace": "skypilot", "name": "skypilot-ingress",
                 "change": "changed", "paths": [
                    "/metadata/annotations/nginx.ingress.kubernetes.io~1auth-type",
                    "/metadata/annotations/nginx.ingress.kubernetes.io~1auth-realm",
                    "/metadata/annotations/nginx.ingress.kubernetes.io~1auth-secret"],
                 "risks": []}
            ],
            "summary": {"changed": 2, "added": 1, "removed": 0},
            "risks": {"restart": 1, "downtime": 1, "immutable": 0, "data-loss": 0, "exposure": 0,
                      "privilege": 0, "logout": 0, "config-not-applied": 0}
        })
    );
    let same = run(&[
        "diff",
        "--format",
        "json",
        &golden("default"),
        &golden("default"),
    ]);
    assert_eq!(same.code, 0);
    let doc: Value = serde_json::from_str(&same.stdout).unwrap();
    assert_eq!(doc["objects"], serde_json::json!([]));
}

#[test]
fn removed_objects_are_shown_whole() {
    let r = run(&["diff", "-C", "0", &golden("basic-auth"), &golden("default")]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.starts_with(
            "skypilot, skypilot-basic-auth, Secret (v1) has been removed:\n-apiVersion: v1\n-kind: Secret\n"
        ),
        "{}",
        r.stdout
    );
    // Removing basic auth: the Ingress is open, the API server's env changes (Recreate).
    assert!(r
        .stdout
        .ends_with("\n2 changed, 0 added, 1 removed; risks: restart 1, downtime 1, exposure 1\n"));
    // No context lines with -C 0: every line in a hunk is a change.
    let deployment = r.stdout.split("\n\n").nth(1).unwrap();
    assert!(
        deployment
            .lines()
            .skip(1)
            .filter(|l| !l.starts_with("! ") && !l.starts_with("@@"))
            .all(|l| l.starts_with(['-', '+'])),
        "{deployment}"
    );
}

// ---------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------

const SECRET_OLD: &str = "s3cr3t-Old-Value";
const SECRET_NEW: &str = "s3cr3t-New-Value-longer";

fn secret(value: &str) -> String {
    use std::fmt::Write as _;
    let b64 = base64(value);
    let mut s = String::new();
    writeln!(
        s,
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: skypilot\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{{\"data\":{{\"password\":\"{b64}\"}}}}'\ntype: Opaque\ndata:\n  password: {b64}\n  same: c2FtZQ==\nstringData:\n  token: {value}"
    )
    .unwrap();
    s
}

/// Standard base64, enough for the test (no crate needed).
fn base64(s: &str) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, c)| acc | (u32::from(*c) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn secret_values_never_reach_the_output() {
    let t = TempDir::new("secrets");
    let old = t.write("old.yaml", secret(SECRET_OLD));
    let new = t.write("new.yaml", secret(SECRET_NEW));
    let forbidden = [
        SECRET_OLD.to_owned(),
        SECRET_NEW.to_owned(),
        base64(SECRET_OLD),
        base64(SECRET_NEW),
        "c2FtZQ==".to_owned(),
    ];
    let check = |r: &Run| {
        for f in &forbidden {
            assert!(
                !r.stdout.contains(f.as_str()) && !r.stderr.contains(f.as_str()),
                "{f} leaked:\n{}\n{}",
                r.stdout,
                r.stderr
            );
        }
    };
    let text = run(&["diff", "-C", "9", &old, &new]);
    assert_eq!(text.code, 1);
    check(&text);
    assert!(text.stdout.contains(
        "-    kubectl.kubernetes.io/last-applied-configuration: <hidden, 48 bytes, old value>\n"
    ));
    assert!(text.stdout.contains(
        "-  password: <hidden, 16 bytes, old value>\n+  password: <hidden, 23 bytes, new value>\n"
    ), "{}", text.stdout);
    assert!(text.stdout.contains("\n   same: <hidden, 4 bytes>\n"));
    assert!(text.stdout.contains(
        "-  token: <hidden, 16 bytes, old value>\n+  token: <hidden, 23 bytes, new value>\n"
    ));
    let json = run(&["diff", "--format", "json", &old, &new]);
    check(&json);
    let added = run(&["diff", &golden("default"), &new]);
    assert_eq!(added.code, 1);
    check(&added);
    // Same length, different value: still shown as a change.
    let same_len = t.write("same-len.yaml", secret("s3cr3t-OLD-Value"));
    let r = run(&["diff", &old, &same_len]);
    assert!(
        r.stdout.contains("+  token: <hidden, 16 bytes, new value>"),
        "{}",
        r.stdout
    );
    check(&r);
    // An error about a file full of secrets names objects, never values.
    let twice = t.write(
        "twice.yaml",
        format!("{}---\n{}", secret(SECRET_OLD), secret(SECRET_NEW)),
    );
    let e = run(&["diff", &twice, &old]);
    assert_eq!(e.code, 2);
    assert!(
        e.stderr.contains("Secret/skypilot/creds appears twice"),
        "{}",
        e.stderr
    );
    check(&e);
    // --show-secrets opts out.
    let shown = run(&["diff", "--show-secrets", &old, &new]);
    assert!(
        shown.stdout.contains(&format!("+  token: {SECRET_NEW}")),
        "{}",
        shown.stdout
    );
}

// ---------------------------------------------------------------------------
// No noise
// ---------------------------------------------------------------------------

#[test]
fn identical_inputs_give_exit_0_and_no_output() {
    for name in [
        "default",
        "basic-auth",
        "nodeport",
        "string-traps",
        "tls-host",
    ] {
        let r = run(&["diff", &golden(name), &golden(name)]);
        assert_eq!(
            (r.code, r.stdout.as_str(), r.stderr.as_str()),
            (0, "", ""),
            "{name}"
        );
    }
}

/// Reverse the order of every mapping's keys and of the objects, and add nulls.
fn scramble(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = std::mem::take(m).into_iter().collect();
            entries.reverse();
            for (k, mut v) in entries {
                scramble(&mut v);
                m.insert(k, v);
            }
            m.insert("zzAddedNull".into(), Value::Null);
        }
        Value::Array(a) => a.iter_mut().for_each(scramble),
        _ => {}
    }
}

#[test]
fn reordered_objects_and_keys_and_nulls_are_no_change() {
    let t = TempDir::new("reorder");
    let json = run(&["render", "--format", "json", "-f", &case("basic-auth")]);
    assert_eq!(json.code, 0);
    let mut list: Value = serde_json::from_str(&json.stdout).unwrap();
    let items = list["items"].as_array_mut().unwrap();
    items.reverse();
    items.iter_mut().for_each(scramble);
    let scrambled = t.write("scrambled.json", serde_json::to_string(&list).unwrap());
    // A JSON List on one side, a YAML stream on the other.
    let r = run(&["diff", &scrambled, &golden("basic-auth")]);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "", ""));
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

#[test]
fn bad_inputs_exit_2_with_file_and_line() {
    let t = TempDir::new("errors");
    let broken = t.write(
        "broken.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [\n",
    );
    let r = run(&["diff", &broken, &golden("default")]);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    assert!(
        r.stderr.starts_with(&format!("error: {broken}:")),
        "{}",
        r.stderr
    );

    let nameless = t.write(
        "nameless.yaml",
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: x\n",
    );
    let r = run(&["diff", &golden("default"), &nameless]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(&format!(
            "{nameless}:2:1: this object has no `metadata.name`"
        )),
        "{}",
        r.stderr
    );

    let missing = t.join("missing.yaml");
    let r = run(&["diff", &missing, &golden("default")]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no such file"), "{}", r.stderr);

    let plain_dir = t.join("plain");
    std::fs::create_dir(&plain_dir).unwrap();
    let r = run(&["diff", &plain_dir, &golden("default")]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("kustomization.yaml"), "{}", r.stderr);

    // A kustomization that transforms its resources cannot be compared file by file.
    let patched = t.join("patched");
    std::fs::create_dir(&patched).unwrap();
    std::fs::write(
        Path::new(&patched).join("kustomization.yaml"),
        "resources:\n- a.yaml\npatches:\n- path: p.yaml\n",
    )
    .unwrap();
    let r = run(&["diff", &patched, &golden("default")]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("kustomization.yaml:4:3: skygen diff reads only `resources`"),
        "{}",
        r.stderr
    );
    let escaping = t.join("escaping");
    std::fs::create_dir(&escaping).unwrap();
    std::fs::write(
        Path::new(&escaping).join("kustomization.yaml"),
        "resources:\n- ../x.yaml\n",
    )
    .unwrap();
    let r = run(&["diff", &escaping, &golden("default")]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("resources[0]: a resource must be a file path inside the directory"),
        "{}",
        r.stderr
    );

    let r = run(&["diff", "-", "-"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot both be `-`"), "{}", r.stderr);

    let r = run(&[
        "diff",
        &golden("default"),
        &golden("default"),
        "--set",
        "a=b",
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--set applies only with --against"),
        "{}",
        r.stderr
    );

    let r = run(&["diff", &golden("default")]);
    assert_eq!(r.code, 2);
}

#[test]
fn huge_context_shows_whole_objects() {
    let r = run(&[
        "diff",
        "-C",
        &usize::MAX.to_string(),
        &golden("default"),
        &golden("nodeport"),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let lines = r.stdout.lines().filter(|l| l.starts_with("@@")).count();
    assert_eq!(lines, 1, "one hunk covers the whole object:\n{}", r.stdout);
    assert!(r.stdout.contains("\n apiVersion: v1\n kind: Service\n"));
}

// ---------------------------------------------------------------------------
// Color
// ---------------------------------------------------------------------------

#[test]
fn color_only_when_asked_or_on_a_terminal() {
    let args = ["diff", &golden("default"), &golden("nodeport")];
    let plain = run(&args);
    assert!(!plain.stdout.contains('\x1b'), "not a terminal: no color");
    let always = run(&[&args[..], &["--color", "always"]].concat());
    assert!(always
        .stdout
        .contains("\x1b[31m-  type: LoadBalancer\x1b[0m\n"));
    assert!(always.stdout.contains("\x1b[32m+  type: NodePort\x1b[0m\n"));
    let never = run_with(&[&args[..], &["--color", "never"]].concat(), "", &[]);
    assert_eq!(never.stdout, plain.stdout);
    let no_color = run_with(&args, "", &[("NO_COLOR", "1")]);
    assert_eq!(no_color.stdout, plain.stdout);
}

// ---------------------------------------------------------------------------
// render -o DIR and the drift check
// ---------------------------------------------------------------------------

#[test]
fn output_dir_holds_the_same_objects_as_stdout() {
    let t = TempDir::new("outdir");
    for name in ["default", "basic-auth", "release-ns"] {
        let dir = t.join(name);
        let text = std::fs::read_to_string(case(name)).unwrap();
        let header = |key: &str, default: &str| {
            text.lines()
                .take(3)
                .find_map(|l| l.strip_prefix(&format!("# {key}: ")).map(str::trim))
                .unwrap_or(default)
                .to_owned()
        };
        let (release, ns) = (
            header("release", "skypilot"),
            header("namespace", "skypilot"),
        );
        let flags = ["--release-name", &release, "-n", &ns, "-f", &case(name)];
        let r = run(&[&["render", "-o", &dir][..], &flags[..]].concat());
        assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
        // The kustomization lists the files in stream order; joined, they are the stdout render.
        let kustomization =
            std::fs::read_to_string(Path::new(&dir).join("kustomization.yaml")).unwrap();
        let files: Vec<&str> = kustomization
            .lines()
            .filter_map(|l| l.strip_prefix("- "))
            .collect();
        let mut joined = String::new();
        for f in &files {
            joined.push_str("---\n");
            joined.push_str(&std::fs::read_to_string(Path::new(&dir).join(f)).unwrap());
        }
        assert_eq!(
            joined,
            std::fs::read_to_string(golden(name)).unwrap(),
            "{name}"
        );
        assert!(files
            .iter()
            .all(|f| *f == f.to_lowercase() && f.ends_with(".yaml")));
        // A directory against the stream it came from, and against a fresh render.
        let r = run(&["diff", &dir, &golden(name)]);
        assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
        let r = run(&[&["diff", "--against", &dir][..], &flags[..]].concat());
        assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
    }
}

#[test]
fn drift_check_fails_after_a_values_change() {
    let t = TempDir::new("drift");
    let dir = t.join("deploy");
    assert_eq!(run(&["render", "-o", &dir]).code, 0);
    let r = run(&["diff", "--against", &dir]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""));
    let r = run(&["diff", "--against", &dir, "-f", &case("nodeport")]);
    assert_eq!(r.code, 1);
    assert!(r
        .stdout
        .starts_with("skypilot, skypilot-ingress-nginx-controller, Service (v1) has changed:\n"));
    assert!(r.stdout.ends_with("\n1 changed, 0 added, 0 removed\n"));
    // A hand edit of a committed file is drift too.
    let path = Path::new(&dir).join("service-skypilot-api-service.yaml");
    let edited = std::fs::read_to_string(&path)
        .unwrap()
        .replace("port: 80", "port: 81");
    std::fs::write(&path, edited).unwrap();
    let r = run(&["diff", "--against", &dir]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    // Bad render inputs are an error, not a difference.
    let r = run(&["diff", "--against", &dir, "--set", "apiService.nope=1"]);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
}

#[test]
fn an_error_leaves_the_directory_untouched() {
    let t = TempDir::new("atomic");
    let dir = t.join("deploy");
    assert_eq!(
        run(&["render", "-o", &dir, "-f", &case("basic-auth")]).code,
        0
    );
    let before = snapshot(&dir);
    // A values error: nothing written.
    let bad = t.write("bad.yaml", "apiService:\n  imge: x\n");
    let r = run(&["render", "-o", &dir, "-f", &bad]);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    assert_eq!(snapshot(&dir), before);
    // A file skygen would write but did not write before: refused, nothing written.
    let user = Path::new(&dir).join("service-skypilot-ingress-nginx-controller.yaml");
    std::fs::remove_file(&user).unwrap();
    let mut index: Value =
        serde_json::from_slice(&std::fs::read(Path::new(&dir).join(".skygen-index.json")).unwrap())
            .unwrap();
    index["files"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f != "service-skypilot-ingress-nginx-controller.yaml");
    std::fs::write(
        Path::new(&dir).join(".skygen-index.json"),
        index.to_string(),
    )
    .unwrap();
    std::fs::write(&user, "# mine\n").unwrap();
    let before = snapshot(&dir);
    let r = run(&["render", "-o", &dir]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("service-skypilot-ingress-nginx-controller.yaml: refusing to overwrite"),
        "{}",
        r.stderr
    );
    assert_eq!(snapshot(&dir), before);
    // No temporary directory is left beside DIR.
    let beside: Vec<String> = snapshot(&t.path().to_string_lossy()).into_keys().collect();
    assert_eq!(beside, ["bad.yaml", "deploy"]);
    // --format json does not apply to files.
    let r = run(&["render", "-o", &dir, "--format", "json"]);
    assert_eq!(r.code, 2);
    assert_eq!(snapshot(&dir), before);
    // DIR that is a file: refused.
    let file = t.write("file", "x");
    let r = run(&["render", "-o", &file]);
    assert_eq!(r.code, 2);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
}

#[test]
fn pruning_removes_only_files_skygen_wrote() {
    let t = TempDir::new("prune");
    let dir = t.join("deploy");
    assert_eq!(
        run(&["render", "-o", &dir, "-f", &case("basic-auth")]).code,
        0
    );
    let secret = Path::new(&dir).join("secret-skypilot-basic-auth.yaml");
    assert!(secret.exists());
    std::fs::write(Path::new(&dir).join("README.md"), "# our deploy notes\n").unwrap();
    std::fs::write(Path::new(&dir).join("secret-extra.yaml"), "# mine\n").unwrap();
    let r = run(&["render", "-o", &dir]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!secret.exists(), "the stale Secret file is removed");
    assert_eq!(
        std::fs::read_to_string(Path::new(&dir).join("README.md")).unwrap(),
        "# our deploy notes\n"
    );
    assert!(Path::new(&dir).join("secret-extra.yaml").exists());
    let r = run(&["diff", "--against", &dir]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
    // Rendering the same again changes nothing at all.
    let before = snapshot(&dir);
    assert_eq!(run(&["render", "-o", &dir]).code, 0);
    assert_eq!(snapshot(&dir), before);
}

// ---------------------------------------------------------------------------
// Found in review (see: #5)
// ---------------------------------------------------------------------------

/// Two kinds skygen does not know (they share one place in the kind order) with the same
/// namespace and name once made `diff` panic: the ids of both sides were not merged.
#[test]
fn unknown_kinds_with_one_name_are_two_objects() {
    let t = TempDir::new("crds");
    let objs = |a: u32| {
        format!(
            "apiVersion: example.com/v1\nkind: Foo\nmetadata: {{name: x, namespace: ns}}\nspec: {{a: {a}}}\n---\n\
             apiVersion: example.com/v1\nkind: Bar\nmetadata: {{name: x, namespace: ns}}\nspec: {{a: {a}}}\n"
        )
    };
    let old = t.write("old.yaml", objs(1));
    let new = t.write("new.yaml", objs(2));
    let r = run(&["diff", &old, &new, "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let kinds: Vec<&str> = doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["Bar", "Foo"]);
    assert_eq!(doc["summary"]["changed"], 2);
    let r = run(&["diff", &old, &old]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
}

/// Names come from files a reviewer may not trust (a pull request's output directory): a
/// newline or terminal escape in a name must not forge lines or colors in the diff.
#[test]
fn control_characters_in_names_are_escaped_in_headers() {
    let t = TempDir::new("escape");
    let new = t.write(
        "new.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"x\\n0 changed, 0 added, 0 removed\\e[2J\"\n  namespace: \"n\\tm\"\n",
    );
    let empty = t.write("empty.yaml", "");
    let r = run(&["diff", &empty, &new, "--color", "never"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let first = r.stdout.lines().next().unwrap();
    assert_eq!(
        first,
        r#""n\tm", "x\n0 changed, 0 added, 0 removed\u{1b}[2J", ConfigMap (v1) has been added:"#
    );
    assert!(!r.stdout.contains('\u{1b}'), "{}", r.stdout);
    assert_eq!(
        r.stdout.lines().last(),
        Some("0 changed, 1 added, 0 removed")
    );
}

/// YAML 1.1 reads an unquoted `n` as false; such a namespace is not a string, and the object
/// once silently became cluster-scoped (matched against nothing on the other side).
#[test]
fn a_namespace_that_is_not_a_string_is_an_error() {
    let t = TempDir::new("nsbool");
    let doc = t.write(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: n\n",
    );
    let ok = t.write(
        "ok.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: null\n",
    );
    let r = run(&["diff", &doc, &ok]);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    assert!(
        r.stderr.contains("cm.yaml:1:1")
            && r.stderr.contains("`metadata.namespace` must be a string"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("ok.yaml"), "{}", r.stderr);
}

/// Rendering the same output again rewrites nothing: not the object files, not the
/// kustomization, not skygen's index (each keeps its inode; a rewrite is a rename of a new file).
#[cfg(unix)]
#[test]
fn rendering_again_rewrites_no_file() {
    use std::os::unix::fs::MetadataExt;
    let t = TempDir::new("again");
    let dir = t.join("deploy");
    let inodes = || -> BTreeMap<String, u64> {
        std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let name = e.file_name().to_string_lossy().into_owned();
                (name, e.metadata().unwrap().ino())
            })
            .collect()
    };
    assert_eq!(run(&["render", "-o", &dir]).code, 0);
    let before = inodes();
    assert!(before.contains_key(".skygen-index.json"));
    let r = run(&["render", "-o", &dir]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(inodes(), before);
    // A render that only removes objects rewrites the index but not the files that stay.
    assert_eq!(
        run(&["render", "-o", &dir, "-f", &case("basic-auth")]).code,
        0
    );
    let with_secret = inodes();
    assert_eq!(run(&["render", "-o", &dir]).code, 0);
    let after = inodes();
    assert_eq!(after.len(), before.len());
    assert_ne!(
        after[".skygen-index.json"],
        with_secret[".skygen-index.json"]
    );
    assert_eq!(
        after["service-skypilot-api-service.yaml"],
        before["service-skypilot-api-service.yaml"]
    );
}

/// kustomize refuses a directory with two kustomization files (`kustomization.yml` or
/// `Kustomization` beside ours), so a render that would make one is refused and writes nothing.
#[test]
fn a_second_kustomization_file_is_refused() {
    for other in ["kustomization.yml", "Kustomization"] {
        let t = TempDir::new("twokust");
        let dir = t.join("deploy");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(Path::new(&dir).join(other), "resources: [mine.yaml]\n").unwrap();
        let before = snapshot(&dir);
        let r = run(&["render", "-o", &dir]);
        assert_eq!(r.code, 2, "{other}: {}", r.stderr);
        assert!(
            r.stderr
                .contains(&format!("{other}: refusing to write kustomization.yaml")),
            "{}",
            r.stderr
        );
        assert_eq!(snapshot(&dir), before);
    }
}

/// Objects whose kind and name collide get the namespace in their file names; the directory is
/// still what stdout holds, and a drift check against it is clean.
#[test]
fn colliding_names_get_their_namespace() {
    let t = TempDir::new("collide");
    let overlay = t.join("extra");
    std::fs::create_dir(&overlay).unwrap();
    std::fs::write(
        Path::new(&overlay).join("overlay.yaml"),
        "description: a second skypilot-config\nresources:\n  - cm.yaml\n",
    )
    .unwrap();
    std::fs::write(
        Path::new(&overlay).join("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: skypilot-config\n  namespace: other\ndata:\n  a: b\n",
    )
    .unwrap();
    let dir = t.join("deploy");
    let r = run(&["render", "-o", &dir, "--overlay", &overlay]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let files: Vec<String> = snapshot(&dir)
        .into_keys()
        .filter(|f| f.contains("skypilot-config"))
        .collect();
    assert_eq!(
        files,
        [
            "configmap-other-skypilot-config.yaml",
            "configmap-skypilot-skypilot-config.yaml"
        ]
    );
    let r = run(&["diff", "--against", &dir, "--overlay", &overlay]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
}

/// Giving a directory's `kustomization.yaml` instead of the directory points at the directory.
#[test]
fn a_kustomization_file_points_to_its_directory() {
    let t = TempDir::new("kustfile");
    let dir = t.join("deploy");
    assert_eq!(run(&["render", "-o", &dir]).code, 0);
    let file = format!("{dir}/kustomization.yaml");
    let r = run(&["diff", &file, &golden("default")]);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    assert!(
        r.stderr.contains("this is a kustomization")
            && r.stderr.contains("give the directory that holds it"),
        "{}",
        r.stderr
    );
    let r = run(&["diff", &dir, &golden("default")]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
}

// ---------------------------------------------------------------------------
// Risks, --fail-on and Markdown (issues #12 and #16)
// ---------------------------------------------------------------------------

#[test]
fn fail_on_exits_3_after_printing_when_a_named_risk_is_present() {
    let t = TempDir::new("fail-on");
    let new = run(&["render", "--set", "apiService.image=repo/skypilot:2"]);
    let new = t.write("new.yaml", &new.stdout);
    let plain = run(&["diff", &golden("default"), &new]);
    assert_eq!(plain.code, 1);
    // An image bump restarts the Recreate API server: restart and downtime, nothing else.
    for (classes, code) in [
        ("downtime", 3),
        ("exposure,privilege", 1),
        ("any", 3),
        ("data-loss,restart", 3),
    ] {
        let r = run(&["diff", "--fail-on", classes, &golden("default"), &new]);
        assert_eq!((r.code, &r.stdout), (code, &plain.stdout), "{classes}");
    }
    let json = run(&[
        "diff",
        "--format",
        "json",
        "--fail-on",
        "restart",
        &golden("default"),
        &new,
    ]);
    assert_eq!(json.code, 3);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["risks"]["restart"], 1);
    let same = run(&[
        "diff",
        "--fail-on",
        "any",
        &golden("default"),
        &golden("default"),
    ]);
    assert_eq!((same.code, same.stdout.as_str()), (0, ""));
    let typo = run(&["diff", "--fail-on", "dataloss", &golden("default"), &new]);
    assert_eq!((typo.code, typo.stdout.as_str()), (2, ""));
    assert!(
        typo.stderr.contains("did you mean data-loss?"),
        "{}",
        typo.stderr
    );
}

#[test]
fn markdown_prints_a_comment_and_refuses_show_secrets() {
    let r = run(&[
        "diff",
        "--format",
        "markdown",
        &golden("default"),
        &golden("basic-auth"),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.starts_with(
        "### skygen diff: 2 changed, 1 added, 0 removed; risks: restart 1, downtime 1\n"
    ));
    assert!(r.stdout.contains("<hidden, 46 bytes>") && !r.stdout.contains("$apr1$"));
    assert_eq!(r.stdout.matches("<details>").count(), 3);
    let shown = run(&[
        "diff",
        "--format",
        "markdown",
        "--show-secrets",
        &golden("default"),
        &golden("basic-auth"),
    ]);
    assert_eq!((shown.code, shown.stdout.as_str()), (2, ""));
    assert!(shown.stderr.contains("--show-secrets"), "{}", shown.stderr);
}
