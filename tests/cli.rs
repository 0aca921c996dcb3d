//! Command-line tests: the `skygen` binary run as a user runs it.
//!
//! What belongs here: how the CLI behaves at its edges, seen only from outside
//! (exit code, stdout, stderr). Bad input of every kind (broken or hostile
//! values files, bad `--set*` arguments, bad flags, values the rules refuse)
//! must end with exit code 2, nothing on stdout, and one short, specific
//! message on stderr that names the file, key path or flag at fault, never a
//! panic or a hang. Plus the positive contract of the commands and flags
//! (`render`/`template`, `--format json`, `-f -`, flag precedence, `validate`,
//! `values`, `schema`, `--version`, a closed stdout pipe).
//!
//! What does not belong here: the content of the rendered manifests (see
//! `tests/oracles.rs`) and unit tests of the library's stages.
//!
//! Every run has a watchdog thread that kills the process after 20 s, so a
//! hang fails the test instead of blocking the suite; no timing is asserted.
//! Temporary files live in a fresh directory under the system temp dir, one per
//! test, removed when the test ends. Output is parsed with `serde_json` and
//! `serde_saphyr`, which are already dependencies of the crate.

mod common;
use common::TempDir;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_skygen");
/// The watchdog's limit; generous, only there to turn a hang into a failure.
const HANG_LIMIT: Duration = Duration::from_secs(20);
/// An error message longer than this is not a message any more.
const MAX_STDERR: usize = 4000;

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

/// What one run of the binary produced.
struct Run {
    args: Vec<String>,
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn stdout_str(&self) -> &str {
        std::str::from_utf8(&self.stdout)
            .unwrap_or_else(|e| panic!("{}: stdout is not UTF-8: {e}", self.describe()))
    }

    fn describe(&self) -> String {
        format!(
            "skygen {:?}\nstatus: {:?}\nstdout ({} bytes): {}\nstderr ({} bytes): {}",
            self.args,
            self.status,
            self.stdout.len(),
            String::from_utf8_lossy(&self.stdout[..self.stdout.len().min(500)]),
            self.stderr.len(),
            &self.stderr[..floor_char_boundary(&self.stderr, 2000)]
        )
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{}", self.describe()))
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Waits for `child` on a watchdog thread that kills it after [`HANG_LIMIT`].
/// Panics (failing the test) when the watchdog had to kill it.
fn wait_with_watchdog(mut child: Child, args: &[String]) -> ExitStatus {
    let watchdog = thread::spawn(move || {
        let start = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) if start.elapsed() > HANG_LIMIT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(());
                }
                Ok(None) => thread::sleep(Duration::from_millis(5)),
                Err(e) => panic!("waiting for skygen: {e}"),
            }
        }
    });
    match watchdog.join().expect("watchdog thread panicked") {
        Ok(status) => status,
        Err(()) => panic!("skygen {args:?} did not finish within {HANG_LIMIT:?}; killed"),
    }
}

/// Runs `skygen ARGS` with `stdin` as its standard input (empty when `None`).
fn run_with_stdin(args: &[&str], stdin: Option<&[u8]>, cwd: Option<&Path>) -> Run {
    let args: Vec<String> = args.iter().map(|&a| a.to_owned()).collect();
    let mut cmd = Command::new(BIN);
    cmd.args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    let mut child = cmd.spawn().expect("cannot spawn skygen");
    let mut child_stdin = child.stdin.take().expect("stdin piped");
    let input = stdin.unwrap_or_default().to_vec();
    let writer = thread::spawn(move || {
        // The binary may exit before reading everything; that is its right.
        let _ = child_stdin.write_all(&input);
    });
    let mut out = child.stdout.take().expect("stdout piped");
    let mut err = child.stderr.take().expect("stderr piped");
    let out_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });
    let status = wait_with_watchdog(child, &args);
    let _ = writer.join();
    let stdout = out_reader.join().expect("stdout reader");
    let stderr = err_reader.join().expect("stderr reader");
    Run {
        args,
        status,
        stdout,
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

fn run(args: &[&str]) -> Run {
    run_with_stdin(args, None, None)
}

fn run_in(dir: &TempDir, args: &[&str]) -> Run {
    run_with_stdin(args, None, Some(dir.path()))
}

/// Asserts the contract for bad input: exit code 2, nothing on stdout, a short
/// message on stderr that contains every one of `needles`, and no panic.
#[track_caller]
fn assert_input_error(r: &Run, needles: &[&str]) {
    let d = r.describe();
    assert_eq!(r.status.code(), Some(2), "exit code must be 2\n{d}");
    assert!(r.stdout.is_empty(), "stdout must be empty\n{d}");
    assert!(!r.stderr.trim().is_empty(), "stderr must explain\n{d}");
    assert!(
        r.stderr.len() < MAX_STDERR,
        "stderr must be shorter than {MAX_STDERR} bytes\n{d}"
    );
    assert_no_panic(r);
    for needle in needles {
        assert!(
            r.stderr.contains(needle),
            "stderr must mention {needle:?}\n{d}"
        );
    }
}

#[track_caller]
fn assert_no_panic(r: &Run) {
    let d = r.describe();
    assert!(!r.stderr.contains("panicked"), "skygen panicked\n{d}");
    assert!(
        !r.stderr.contains("internal error"),
        "skygen hit an internal error\n{d}"
    );
}

/// Asserts success: exit code 0, something on stdout, no panic.
#[track_caller]
fn assert_ok(r: &Run) {
    let d = r.describe();
    assert_eq!(r.status.code(), Some(0), "exit code must be 0\n{d}");
    assert!(!r.stdout.is_empty(), "stdout must not be empty\n{d}");
    assert_no_panic(r);
}

/// The objects of a `--format json` render.
fn items(r: &Run) -> Vec<serde_json::Value> {
    let v = r.json();
    assert_eq!(v["kind"], "List", "{}", r.describe());
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("List without items\n{}", r.describe()))
        .clone()
}

/// The API server Deployment of a `--format json` render.
fn deployment(r: &Run) -> serde_json::Value {
    items(r)
        .into_iter()
        .find(|o| o["kind"] == "Deployment")
        .unwrap_or_else(|| panic!("no Deployment rendered\n{}", r.describe()))
}

/// The API server container (the first container) of a `--format json` render.
fn api_container(r: &Run) -> serde_json::Value {
    deployment(r)["spec"]["template"]["spec"]["containers"][0].clone()
}

// ---------------------------------------------------------------------------
// Broken or hostile values files
// ---------------------------------------------------------------------------

#[test]
fn malformed_yaml_names_the_file() {
    let t = TempDir::new("malformed");
    t.write("broken.yaml", "apiService:\n  replicas: [1\n");
    let r = run_in(&t, &["render", "-f", "broken.yaml"]);
    assert_input_error(&r, &["broken.yaml"]);
}

#[test]
fn duplicate_keys_are_refused() {
    let t = TempDir::new("duplicate");
    t.write("dup.yaml", "apiService:\n  replicas: 1\n  replicas: 2\n");
    let r = run_in(&t, &["render", "-f", "dup.yaml"]);
    assert_input_error(&r, &["dup.yaml", "duplicate", "replicas"]);
}

#[test]
fn alias_bomb_is_refused() {
    // Billion laughs: 9 levels, each a list of 10 aliases to the previous one.
    let t = TempDir::new("aliasbomb");
    let mut doc = String::from("l0: &l0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for level in 1..9 {
        let prev = format!("*l{}", level - 1);
        let refs = [prev.as_str(); 10].join(", ");
        doc.push_str(&format!("l{level}: &l{level} [{refs}]\n"));
    }
    t.write("bomb.yaml", doc);
    let r = run_in(&t, &["render", "-f", "bomb.yaml"]);
    assert_input_error(&r, &["bomb.yaml"]);
}

#[test]
fn huge_file_is_refused() {
    let t = TempDir::new("huge");
    let mut doc = String::with_capacity(20 * 1024 * 1024 + 16);
    doc.push_str("x: \"");
    doc.push_str(&"a".repeat(20 * 1024 * 1024));
    doc.push_str("\"\n");
    t.write("huge.yaml", doc);
    let r = run_in(&t, &["render", "-f", "huge.yaml"]);
    assert_input_error(&r, &["huge.yaml"]);
}

#[test]
fn deep_flow_nesting_is_refused() {
    let t = TempDir::new("deepflow");
    let doc = format!("x: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    t.write("deep.yaml", doc);
    let r = run_in(&t, &["render", "-f", "deep.yaml"]);
    assert_input_error(&r, &["deep.yaml"]);
}

#[test]
fn deep_flow_mapping_nesting_is_refused() {
    let t = TempDir::new("deepflowmap");
    let doc = format!("x: {}1{}\n", "{a: ".repeat(10_000), "}".repeat(10_000));
    t.write("deep.yaml", doc);
    let r = run_in(&t, &["render", "-f", "deep.yaml"]);
    assert_input_error(&r, &["deep.yaml"]);
}

#[test]
fn deep_block_nesting_is_refused() {
    // Block sequences nest on one line (`- - - v`), so 10,000 levels stay small.
    let t = TempDir::new("deepblock");
    let doc = format!("x:\n{}v\n", "- ".repeat(10_000));
    t.write("deep.yaml", doc);
    let r = run_in(&t, &["render", "-f", "deep.yaml"]);
    assert_input_error(&r, &["deep.yaml"]);
}

#[test]
fn deep_block_mapping_nesting_is_refused() {
    // Indented block mappings, one space per level. 10,000 levels would be a
    // 50 MB file (refused for its size, see `huge_file_is_refused`); 1,000
    // levels (0.5 MB) reach the nesting limit instead.
    let t = TempDir::new("deepblockmap");
    let mut doc = String::new();
    for depth in 0..1_000 {
        doc.push_str(&" ".repeat(depth));
        doc.push_str("k:\n");
    }
    doc.push_str(&" ".repeat(1_000));
    doc.push_str("v\n");
    t.write("deep.yaml", doc);
    let r = run_in(&t, &["render", "-f", "deep.yaml"]);
    assert_input_error(&r, &["deep.yaml"]);
}

#[test]
fn invalid_utf8_is_refused() {
    let t = TempDir::new("utf8");
    t.write("latin.yaml", b"ingress:\n  host: \"\xff\xfe\xc3\"\n");
    let r = run_in(&t, &["render", "-f", "latin.yaml"]);
    assert_input_error(&r, &["latin.yaml", "UTF-8"]);
}

#[test]
fn binary_file_is_refused() {
    // A small file with NUL bytes: the start of the skygen binary itself.
    let t = TempDir::new("binary");
    let bytes = std::fs::read(BIN).expect("read the skygen binary");
    t.write("binary.yaml", &bytes[..bytes.len().min(64 * 1024)]);
    let r = run_in(&t, &["render", "-f", "binary.yaml"]);
    assert_input_error(&r, &["binary.yaml"]);
}

#[test]
fn whole_binary_is_refused() {
    // The skygen binary itself, as-is (large and full of NUL bytes).
    let r = run(&["render", "-f", BIN]);
    assert_input_error(&r, &[BIN]);
}

#[test]
fn directory_is_refused() {
    let t = TempDir::new("directory");
    std::fs::create_dir(t.path().join("values.d")).expect("mkdir");
    let r = run_in(&t, &["render", "-f", "values.d"]);
    assert_input_error(&r, &["values.d", "directory"]);
}

#[test]
fn missing_file_is_refused() {
    let t = TempDir::new("missing");
    let r = run_in(&t, &["render", "-f", "no-such-values.yaml"]);
    assert_input_error(&r, &["no-such-values.yaml"]);
}

#[test]
fn missing_file_is_refused_by_validate() {
    let t = TempDir::new("missingvalidate");
    let r = run_in(&t, &["validate", "-f", "no-such-values.yaml"]);
    assert_input_error(&r, &["no-such-values.yaml"]);
}

// ---------------------------------------------------------------------------
// Values the schema or the rules refuse
// ---------------------------------------------------------------------------

#[test]
fn wrong_type_integer_names_key_and_line() {
    let t = TempDir::new("wrongint");
    t.write("v.yaml", "apiService:\n  replicas: two\n");
    let r = run_in(&t, &["render", "-f", "v.yaml"]);
    assert_input_error(&r, &["apiService.replicas", "v.yaml:2"]);
}

#[test]
fn wrong_type_boolean_names_key_and_line() {
    let t = TempDir::new("wrongbool");
    t.write("v.yaml", "ingress:\n  enabled: \"maybe\"\n");
    let r = run_in(&t, &["render", "-f", "v.yaml"]);
    assert_input_error(&r, &["ingress.enabled", "v.yaml:2"]);
}

#[test]
fn wrong_type_via_set_names_key_and_flag() {
    let r = run(&["render", "--set", "apiService.replicas=two"]);
    assert_input_error(&r, &["apiService.replicas", "--set"]);
}

#[test]
fn negative_replicas_are_refused() {
    let t = TempDir::new("negative");
    t.write("v.yaml", "apiService:\n  replicas: -1\n");
    let r = run_in(&t, &["render", "-f", "v.yaml"]);
    assert_input_error(&r, &["apiService.replicas", "v.yaml:2"]);

    let r = run(&["render", "--set", "apiService.replicas=-1"]);
    assert_input_error(&r, &["apiService.replicas"]);
}

#[test]
fn unknown_key_suggests_the_right_one() {
    let t = TempDir::new("typo");
    t.write("v.yaml", "apiService:\n  imge: repo/sky:1.0\n");
    let r = run_in(&t, &["render", "-f", "v.yaml"]);
    assert_input_error(&r, &["v.yaml:2", "did you mean apiService.image"]);

    let r = run(&["render", "--set", "apiService.imge=repo/sky:1.0"]);
    assert_input_error(&r, &["did you mean apiService.image"]);
}

#[test]
fn unknown_nested_key_via_set_names_the_set_argument() {
    for arg in ["bogus.x=1", "bogus[0]=1", "apiService.imge.tag=1"] {
        let r = run(&["render", "--set", arg]);
        assert_input_error(&r, &[&format!("--set {arg}")]);
        assert!(
            !r.stderr.contains("<defaults>"),
            "the defaults are not at fault\n{}",
            r.describe()
        );
    }
}

#[test]
fn many_unknown_keys_give_a_bounded_report() {
    let t = TempDir::new("manyunknown");
    let doc: String = (0..1000).map(|i| format!("bogus{i}: 1\n")).collect();
    t.write("many.yaml", doc);
    let r = run_in(&t, &["render", "-f", "many.yaml"]);
    assert_input_error(&r, &["many.yaml:1", "bogus0"]);
}

#[test]
fn unknown_top_level_key_is_refused() {
    let t = TempDir::new("unknowntop");
    t.write("v.yaml", "bogusTopLevel: 1\n");
    let r = run_in(&t, &["render", "-f", "v.yaml"]);
    assert_input_error(&r, &["v.yaml:1", "bogusTopLevel"]);
}

#[test]
fn removed_legacy_key_hints_the_replacement() {
    let t = TempDir::new("legacy");
    t.write("v.yaml", "rbac:\n  rules: []\n");
    let r = run_in(&t, &["render", "-f", "v.yaml"]);
    assert_input_error(&r, &["rbac.rules", "rbac.namespaceRules"]);
}

#[test]
fn resource_check_refuses_too_few_cpus() {
    let r = run(&["render", "--set", "apiService.resources.requests.cpu=2"]);
    assert_input_error(&r, &["apiService.resources.requests.cpu"]);
}

#[test]
fn resource_check_accepts_enough() {
    // Limits rise with the requests: a request above its limit is refused (see below).
    let r = run(&[
        "render",
        "--set",
        "apiService.resources.requests.cpu=4.5,apiService.resources.limits.cpu=4.5",
    ]);
    assert_ok(&r);
    let r = run(&["render", "--set", "apiService.resources.requests.cpu=4.5"]);
    assert_input_error(&r, &["apiService.resources.limits.cpu"]);
    let r = run(&[
        "render",
        "--set",
        "apiService.resources.requests.memory=1Ti,apiService.resources.limits.memory=1Ti",
    ]);
    assert_ok(&r);
}

#[test]
fn rolling_update_without_database_is_refused() {
    let t = TempDir::new("rolling");
    t.write("v.yaml", "apiService:\n  upgradeStrategy: RollingUpdate\n");
    let r = run_in(&t, &["render", "-f", "v.yaml"]);
    assert_input_error(&r, &["v.yaml:2", "dbConnectionString"]);
}

#[test]
fn unknown_upgrade_strategy_is_refused() {
    let r = run(&["render", "--set", "apiService.upgradeStrategy=Sideways"]);
    assert_input_error(&r, &["apiService.upgradeStrategy", "Sideways"]);
}

#[test]
fn bad_storage_size_is_refused() {
    let r = run(&["render", "--set", "storage.size=lots"]);
    assert_input_error(&r, &["storage.size", "lots"]);
}

#[test]
fn config_with_database_is_refused() {
    let r = run(&[
        "render",
        "--set",
        "apiService.config=foo",
        "--set",
        "apiService.dbConnectionString=postgresql://db.example.com/sky",
    ]);
    assert_input_error(&r, &["apiService.config", "dbConnectionString"]);
}

// ---------------------------------------------------------------------------
// Bad --set* arguments and injection attempts
// ---------------------------------------------------------------------------

#[test]
fn set_without_value_is_refused() {
    let r = run(&["render", "--set", "novalue"]);
    assert_input_error(&r, &["--set", "novalue"]);
}

#[test]
fn set_with_empty_path_segment_is_refused() {
    let r = run(&["render", "--set", "a..b=1"]);
    assert_input_error(&r, &["--set", "a..b"]);
}

#[test]
fn set_with_bad_index_is_refused() {
    let r = run(&["render", "--set", "a[x]=1"]);
    assert_input_error(&r, &["--set", "a[x]"]);
}

#[test]
fn set_json_with_bad_json_is_refused() {
    let r = run(&["render", "--set-json", "apiService.replicas={"]);
    assert_input_error(&r, &["--set-json", "apiService.replicas"]);
}

#[test]
fn set_json_help_example_is_json() {
    let r = run(&["render", "--set-json", "apiService.replicas={"]);
    assert_input_error(&r, &["--set-json"]);
    if let Some((_, rest)) = r.stderr.split_once("e.g. --set-json ") {
        let example = rest.split_whitespace().next().unwrap_or_default();
        let (_, value) = example.split_once('=').unwrap_or(("", example));
        assert!(
            serde_json::from_str::<serde_json::Value>(value).is_ok(),
            "the example value {value:?} is not JSON\n{}",
            r.describe()
        );
    }
}

#[test]
fn set_file_with_missing_file_is_refused() {
    let t = TempDir::new("setfile");
    let r = run_in(
        &t,
        &[
            "render",
            "--set-file",
            "apiService.config=no-such-config.yaml",
        ],
    );
    assert_input_error(&r, &["--set-file", "no-such-config.yaml"]);
}

#[test]
fn newline_in_host_via_set_is_refused() {
    let r = run(&["render", "--set", "ingress.host=a.com\nx: y"]);
    assert_input_error(&r, &["ingress.host"]);
}

#[test]
fn newline_in_host_via_file_is_refused() {
    let t = TempDir::new("hostnewline");
    t.write("v.yaml", "ingress:\n  host: \"a.com\\nkind: Secret\"\n");
    let r = run_in(&t, &["render", "-f", "v.yaml"]);
    assert_input_error(&r, &["ingress.host", "v.yaml:2"]);
}

#[test]
fn colon_in_host_is_refused() {
    let r = run(&["render", "--set", "ingress.host=a: b"]);
    assert_input_error(&r, &["ingress.host"]);
}

// ---------------------------------------------------------------------------
// Bad flags
// ---------------------------------------------------------------------------

#[test]
fn release_name_with_underscore_and_capital_is_refused() {
    let r = run(&["render", "--release-name", "Bad_Name"]);
    assert_input_error(&r, &["release name", "Bad_Name"]);
}

#[test]
fn release_name_of_54_chars_is_refused() {
    let name = "a".repeat(54);
    let r = run(&["render", "--release-name", &name]);
    assert_input_error(&r, &["release name", &name]);
}

#[test]
fn long_names_never_yield_invalid_service_names() {
    // A Service name is a DNS-1035 label: at most 63 characters. A name skygen
    // accepts must give valid names, or be refused naming the flag or key.
    let release = "a".repeat(53);
    let full = format!("fullnameOverride={}", "b".repeat(63));
    let cases: [(&[&str], &str); 2] = [
        (&["--release-name", &release], "release"),
        (&["--set", &full], "fullnameOverride"),
    ];
    for (extra, culprit) in cases {
        let mut args = vec!["render", "--format", "json"];
        args.extend_from_slice(extra);
        let r = run(&args);
        if r.status.code() == Some(2) {
            assert_input_error(&r, &[culprit]);
            continue;
        }
        assert_ok(&r);
        for o in items(&r) {
            if o["kind"] == "Service" {
                let name = o["metadata"]["name"].as_str().unwrap_or_default();
                assert!(
                    name.len() <= 63,
                    "Service name {name:?} is {} characters (> 63)\n{}",
                    name.len(),
                    r.describe()
                );
            }
        }
    }
}

#[test]
fn release_name_starting_with_dash_is_refused() {
    let r = run(&["render", "--release-name=-x"]);
    assert_input_error(&r, &["release name", "-x"]);
    // Written with a space, clap takes `-x` for a flag; still a usage error naming it.
    let r = run(&["render", "--release-name", "-x"]);
    assert_input_error(&r, &["-x"]);
}

#[test]
fn uppercase_namespace_is_refused() {
    let r = run(&["render", "-n", "UPPER"]);
    assert_input_error(&r, &["namespace", "UPPER"]);
}

#[test]
fn old_kube_version_is_refused() {
    let r = run(&["render", "--kube-version", "1.17"]);
    assert_input_error(&r, &["--kube-version", "1.17"]);
}

#[test]
fn set_string_on_integer_is_refused() {
    let r = run(&["render", "--set-string", "apiService.replicas=2"]);
    assert_input_error(&r, &["--set-string", "apiService.replicas"]);
}

#[test]
fn validate_refuses_bad_input() {
    let r = run(&["validate", "--set", "apiService.replicas=two"]);
    assert_input_error(&r, &["apiService.replicas"]);
}

#[test]
fn unknown_format_is_a_usage_error() {
    let r = run(&["render", "--format", "xml"]);
    assert_input_error(&r, &["--format", "xml"]);
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let r = run(&["render", "--no-such-flag"]);
    assert_input_error(&r, &["--no-such-flag"]);
}

#[test]
fn credentials_never_appear_in_messages() {
    const SECRET: &str = "Hunter2-do-not-print";
    let oauth = [
        "--set=auth.oauth.enabled=true",
        "--set=auth.oauth.oidc-issuer-url=https://idp.example.com",
        "--set=auth.oauth.client-id=sky",
    ];
    let cases: Vec<Vec<String>> = vec![
        // Wrong types, by --set and --set-json.
        vec![format!("--set=auth.oauth.client-secret[0]={SECRET}")],
        vec![format!(
            "--set=apiService.dbConnectionString.uri=postgresql://u:{SECRET}@db/sky"
        )],
        vec![format!(
            r#"--set-json=ingress.authCredentials={{"user":"{SECRET}"}}"#
        )],
        // A rule refusing the value (a cookie secret of the wrong length).
        oauth
            .iter()
            .map(|s| s.to_string())
            .chain([
                "--set=auth.oauth.client-secret=abc".to_owned(),
                format!("--set=auth.oauth.cookie-secret={SECRET}"),
            ])
            .collect(),
    ];
    for args in cases {
        let mut argv = vec!["render"];
        argv.extend(args.iter().map(String::as_str));
        let r = run(&argv);
        assert_input_error(&r, &["value not shown"]);
        assert!(!r.stderr.contains(SECRET), "{}", r.describe());
    }
    // A values file: the YAML 1.1 trap warning must not repeat the word either.
    let dir = TempDir::new("secret-trap");
    let file = dir.write("v.yaml", "ingress:\n  authCredentials: yes\n");
    let r = run(&["render", "-f", &file]);
    assert_eq!(r.status.code(), Some(0), "{}", r.describe());
    assert!(
        r.stderr.contains("ingress.authCredentials"),
        "{}",
        r.describe()
    );
    assert!(!r.stderr.contains("yes"), "{}", r.describe());
}

// ---------------------------------------------------------------------------
// Positive CLI behaviour
// ---------------------------------------------------------------------------

#[test]
fn render_without_arguments_prints_a_yaml_stream() {
    let r = run(&["render"]);
    assert_ok(&r);
    assert!(r.stdout_str().starts_with("---"), "{}", r.describe());
}

#[test]
fn template_is_an_alias_of_render() {
    let a = run(&["render"]);
    let b = run(&["template"]);
    assert_ok(&a);
    assert_ok(&b);
    assert_eq!(a.stdout, b.stdout, "render and template differ");
}

#[test]
fn json_format_is_one_list() {
    let r = run(&["render", "--format", "json"]);
    assert_ok(&r);
    let v = r.json();
    assert_eq!(v["kind"], "List");
    assert!(!items(&r).is_empty(), "empty List\n{}", r.describe());
}

#[test]
fn values_from_stdin() {
    let r = run_with_stdin(
        &["render", "-f", "-", "--format", "json"],
        Some(b"apiService:\n  replicas: 2\n"),
        None,
    );
    assert_ok(&r);
    assert_eq!(deployment(&r)["spec"]["replicas"], 2, "{}", r.describe());
}

#[test]
fn later_values_file_wins() {
    let t = TempDir::new("laterwins");
    t.write("two.yaml", "apiService:\n  replicas: 2\n");
    t.write("three.yaml", "apiService:\n  replicas: 3\n");
    let r = run_in(
        &t,
        &[
            "render",
            "-f",
            "two.yaml",
            "-f",
            "three.yaml",
            "--format",
            "json",
        ],
    );
    assert_ok(&r);
    assert_eq!(deployment(&r)["spec"]["replicas"], 3, "{}", r.describe());
    let r = run_in(
        &t,
        &[
            "render",
            "-f",
            "three.yaml",
            "-f",
            "two.yaml",
            "--format",
            "json",
        ],
    );
    assert_ok(&r);
    assert_eq!(deployment(&r)["spec"]["replicas"], 2, "{}", r.describe());
}

#[test]
fn set_wins_over_files_regardless_of_flag_order() {
    let t = TempDir::new("setwins");
    t.write("two.yaml", "apiService:\n  replicas: 2\n");
    let r = run_in(
        &t,
        &[
            "render",
            "--set",
            "apiService.replicas=3",
            "-f",
            "two.yaml",
            "--format",
            "json",
        ],
    );
    assert_ok(&r);
    assert_eq!(deployment(&r)["spec"]["replicas"], 3, "{}", r.describe());
}

#[test]
fn set_keeps_image_tag_text_exactly() {
    // `1.10` must not become the float 1.1.
    let r = run(&[
        "render",
        "--set",
        "apiService.image=repo:1.10",
        "--format",
        "json",
    ]);
    assert_ok(&r);
    assert_eq!(api_container(&r)["image"], "repo:1.10", "{}", r.describe());
}

#[test]
fn set_types_integers_by_the_schema() {
    let r = run(&[
        "render",
        "--set",
        "apiService.readinessProbe.successThreshold=7",
        "--format",
        "json",
    ]);
    assert_ok(&r);
    let threshold = &api_container(&r)["readinessProbe"]["successThreshold"];
    assert_eq!(
        threshold,
        &serde_json::json!(7),
        "want the number 7\n{}",
        r.describe()
    );
}

#[test]
fn unquoted_on_as_host_warns_to_quote() {
    let t = TempDir::new("hoston");
    t.write("v.yaml", "ingress:\n  host: on\n");
    let r = run_in(&t, &["render", "-f", "v.yaml"]);
    assert_ok(&r);
    assert!(
        r.stderr.contains("quote"),
        "want a warning to quote\n{}",
        r.describe()
    );
}

#[test]
fn validate_prints_ok() {
    let r = run(&["validate"]);
    assert_ok(&r);
    assert!(r.stdout_str().contains("ok"), "{}", r.describe());
}

#[test]
fn values_output_is_yaml_and_renders_like_the_defaults() {
    let t = TempDir::new("values");
    let values = run(&["values"]);
    assert_ok(&values);
    let parsed: serde_json::Value = serde_saphyr::from_str(values.stdout_str())
        .unwrap_or_else(|e| panic!("`skygen values` is not YAML: {e}"));
    assert!(parsed.is_object(), "`skygen values` is not a mapping");
    t.write("defaults.yaml", &values.stdout);
    let with_file = run_in(&t, &["render", "-f", "defaults.yaml"]);
    let without = run(&["render"]);
    assert_ok(&with_file);
    assert_ok(&without);
    assert_eq!(
        with_file.stdout_str(),
        without.stdout_str(),
        "render -f <skygen values> differs from render"
    );
}

#[test]
fn schema_is_json() {
    let r = run(&["schema"]);
    assert_ok(&r);
    assert!(r.json().is_object(), "schema is not a JSON object");
}

#[test]
fn version_exits_zero() {
    let r = run(&["--version"]);
    assert_ok(&r);
    assert!(r.stdout_str().contains("skygen"), "{}", r.describe());
}

#[test]
fn closed_stdout_pipe_is_success() {
    // `skygen render | head -1`: make the output much larger than a pipe buffer
    // (via a long pre-deploy hook), read one line, then close the pipe.
    let t = TempDir::new("closedpipe");
    let hook: String = (0..100_000).map(|i| format!("echo line {i}\n")).collect();
    let hook_path = t.write("hook.sh", hook);
    let set_file = format!("apiService.preDeployHook={hook_path}");
    let args = ["render", "--set-file", set_file.as_str()];
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot spawn skygen");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut err = child.stderr.take().expect("stderr piped");
    let err_reader = thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut first = String::new();
    {
        let mut reader = BufReader::new(stdout);
        reader.read_line(&mut first).expect("read one line");
    } // the read end of the pipe is closed here
    let args: Vec<String> = args.iter().map(|&a| a.to_owned()).collect();
    let status = wait_with_watchdog(child, &args);
    let stderr = err_reader.join().expect("stderr reader");
    assert_eq!(first, "---\n");
    assert_eq!(
        status.code(),
        Some(0),
        "a closed pipe counts as success\nstderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}
