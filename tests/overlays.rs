//! Overlays end to end (issue 4): each built-in alone and combined, a user overlay directory
//! using every patch type, and every failure mode.
//!
//! What belongs here: what `--overlay` does to the rendered objects and how overlay mistakes are
//! reported. Changes are asserted exactly: each test lists every JSON pointer an overlay changes
//! (object by object), so an overlay that touches one field too many fails. Runs go through the
//! library's `run` (the same code path as the binary) with JSON output; user overlays are
//! written to a fresh temp directory per test, removed when the test ends.

mod common;
use common::TempDir;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use skygen::manifest::ObjectId;
use skygen::{ExitStatus, Outcome};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Outcome {
    let mut argv = vec!["skygen".to_owned()];
    argv.extend(args.iter().map(|a| a.to_string()));
    skygen::run(argv, &mut std::io::empty()).expect("arguments parse")
}

fn stderr(o: &Outcome) -> String {
    o.diagnostics
        .iter()
        .map(|d| d.render())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Render with `args` (JSON output) and return the objects by identity.
fn render(args: &[&str]) -> BTreeMap<String, Value> {
    let mut all = vec!["render", "--format", "json"];
    all.extend_from_slice(args);
    let o = run(&all);
    assert_eq!(o.status, ExitStatus::Success, "{args:?}:\n{}", stderr(&o));
    let list: Value = serde_json::from_str(&o.stdout).unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|obj| (ObjectId::of(obj).to_string(), obj.clone()))
        .collect()
}

/// Render expecting failure: exit 2, no output; returns the printed diagnostics.
fn fails(args: &[&str]) -> String {
    let mut all = vec!["render"];
    all.extend_from_slice(args);
    let o = run(&all);
    let text = stderr(&o);
    assert_eq!(o.status, ExitStatus::Error, "{args:?} should fail:\n{text}");
    assert_eq!(o.status.code(), 2);
    assert!(o.stdout.is_empty(), "{args:?} wrote output");
    text
}

fn diff_value(a: &Value, b: &Value, at: String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let child = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match y.get(k) {
                    Some(w) => diff_value(v, w, child, out),
                    None => out.push(format!("-{child}")),
                }
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                out.push(format!("+{at}/{}", k.replace('~', "~0").replace('/', "~1")));
            }
        }
        _ if a == b => {}
        _ => out.push(format!("~{at}")),
    }
}

/// Every difference between two renders: `+ID` / `-ID` for added and removed objects,
/// `ID +/ptr`, `ID -/ptr`, `ID ~/ptr` for added, removed and changed fields.
fn changes(before: &BTreeMap<String, Value>, after: &BTreeMap<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for (id, a) in before {
        match after.get(id) {
            None => out.push(format!("-{id}")),
            Some(b) => {
                let mut d = Vec::new();
                diff_value(a, b, String::new(), &mut d);
                out.extend(d.into_iter().map(|p| format!("{id} {p}")));
            }
        }
    }
    out.extend(
        after
            .keys()
            .filter(|id| !before.contains_key(*id))
            .map(|id| format!("+{id}")),
    );
    out.sort();
    out
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

const CONTROLLER_SVC: &str = "Service/skypilot/skypilot-ingress-nginx-controller";
const PVC: &str = "PersistentVolumeClaim/skypilot/skypilot-state";
const CONFIG: &str = "ConfigMap/skypilot/skypilot-config";

fn nodeport_changes() -> Vec<String> {
    sorted(&[
        &format!("{CONTROLLER_SVC} ~/spec/type"),
        // Lists compare whole; the node ports are checked field by field below.
        &format!("{CONTROLLER_SVC} ~/spec/ports"),
    ])
}

fn eks_changes() -> Vec<String> {
    sorted(&[
        "+StorageClass.storage.k8s.io/skypilot-gp3",
        &format!("{PVC} +/spec/storageClassName"),
        &format!("{CONTROLLER_SVC} -/metadata/annotations/cloud.google.com~1l4-rbs"),
        &format!("{CONTROLLER_SVC} -/metadata/annotations/service.beta.kubernetes.io~1port_443_health-probe_protocol"),
        &format!("{CONTROLLER_SVC} -/metadata/annotations/service.beta.kubernetes.io~1port_80_health-probe_protocol"),
    ])
}

fn minimal_rbac_changes() -> Vec<String> {
    sorted(&[
        &format!("{CONFIG} ~/data/config.yaml"),
        // The server may no longer create cluster roles, roles, bindings or service accounts.
        "ClusterRole.rbac.authorization.k8s.io/skypilot-api-role ~/rules",
        "Role.rbac.authorization.k8s.io/skypilot/skypilot-api-role ~/rules",
        // No system components: their namespace and RBAC go.
        "-Namespace/skypilot-system",
        "-ClusterRole.rbac.authorization.k8s.io/skypilot-system-cluster-role",
        "-ClusterRoleBinding.rbac.authorization.k8s.io/skypilot-system-cluster-role-binding",
        "-Role.rbac.authorization.k8s.io/skypilot-system/skypilot-system-role",
        "-RoleBinding.rbac.authorization.k8s.io/skypilot-system/skypilot-system-role-binding",
    ])
}

#[test]
fn nodeport_changes_only_the_controller_service_type_and_ports() {
    let before = render(&[]);
    let after = render(&["--overlay", "nodeport"]);
    assert_eq!(changes(&before, &after), nodeport_changes());
    let svc = &after[CONTROLLER_SVC];
    assert_eq!(svc["spec"]["type"], "NodePort");
    assert_eq!(svc["spec"]["ports"][0]["name"], "http");
    assert_eq!(svc["spec"]["ports"][0]["nodePort"], 30050);
    assert_eq!(svc["spec"]["ports"][1]["name"], "https");
    assert_eq!(svc["spec"]["ports"][1]["nodePort"], 30051);
    let mut ports = svc["spec"]["ports"].clone();
    for p in ports.as_array_mut().unwrap() {
        p.as_object_mut().unwrap().remove("nodePort");
    }
    assert_eq!(ports, before[CONTROLLER_SVC]["spec"]["ports"]);
}

#[test]
fn eks_adds_a_gp3_class_used_by_the_pvc_and_keeps_only_aws_annotations() {
    let before = render(&[]);
    let after = render(&["--overlay", "eks"]);
    assert_eq!(changes(&before, &after), eks_changes());
    let sc = &after["StorageClass.storage.k8s.io/skypilot-gp3"];
    assert_eq!(sc["provisioner"], "ebs.csi.aws.com");
    assert_eq!(sc["volumeBindingMode"], "WaitForFirstConsumer");
    assert_eq!(sc["allowVolumeExpansion"], true);
    assert_eq!(
        sc["parameters"],
        json!({"type": "gp3", "encrypted": "true"})
    );
    assert_eq!(after[PVC]["spec"]["storageClassName"], "skypilot-gp3");
    assert_eq!(
        after[CONTROLLER_SVC]["metadata"]["annotations"],
        json!({"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"})
    );
}

#[test]
fn eks_leaves_a_storage_class_the_user_chose() {
    let after = render(&["--overlay", "eks", "--set", "storage.storageClassName=fast"]);
    assert_eq!(after[PVC]["spec"]["storageClassName"], "fast");
    assert!(!after.keys().any(|k| k.starts_with("StorageClass")));
    // No PVC, no class: an existing claim.
    let after = render(&["--overlay", "eks", "--set", "storage.existingClaim=old"]);
    assert!(!after.keys().any(|k| k.starts_with("StorageClass")));
}

#[test]
fn gke_uses_standard_rwo_and_keeps_only_the_gke_annotation() {
    let before = render(&[]);
    let after = render(&["--overlay", "gke"]);
    assert_eq!(
        changes(&before, &after),
        sorted(&[
            &format!("{PVC} +/spec/storageClassName"),
            &format!("{CONTROLLER_SVC} -/metadata/annotations/service.beta.kubernetes.io~1aws-load-balancer-type"),
            &format!("{CONTROLLER_SVC} -/metadata/annotations/service.beta.kubernetes.io~1port_443_health-probe_protocol"),
            &format!("{CONTROLLER_SVC} -/metadata/annotations/service.beta.kubernetes.io~1port_80_health-probe_protocol"),
        ])
    );
    assert_eq!(after[PVC]["spec"]["storageClassName"], "standard-rwo");
    assert_eq!(
        after[CONTROLLER_SVC]["metadata"]["annotations"],
        json!({"cloud.google.com/l4-rbs": "enabled"})
    );
}

#[test]
fn minimal_rbac_turns_management_off_and_names_the_identity() {
    let before = render(&[]);
    let after = render(&["--overlay", "minimal-rbac"]);
    assert_eq!(changes(&before, &after), minimal_rbac_changes());
    assert_eq!(
        after[CONFIG]["data"]["config.yaml"],
        "kubernetes:\n  remote_identity: skypilot-api-sa\n"
    );
    // The same objects as the chart renders for the deployment guide's minimal-RBAC values.
    let helm_like = render(&[
        "--set",
        "rbac.manageRbacPolicies=false,rbac.manageSystemComponents=false",
        "--set-string",
        "apiService.config=kubernetes:\n  remote_identity: skypilot-api-sa\n",
    ]);
    assert_eq!(after, helm_like);
}

#[test]
fn minimal_rbac_keeps_the_users_config_and_follows_the_release_names() {
    let after = render(&[
        "--overlay",
        "minimal-rbac",
        "--release-name",
        "sky",
        "--set-string",
        "apiService.config=allowed_clouds: [kubernetes]\nkubernetes:\n  allowed_contexts: [a]\n",
    ]);
    assert_eq!(
        after["ConfigMap/skypilot/sky-config"]["data"]["config.yaml"],
        "allowed_clouds:\n- kubernetes\nkubernetes:\n  allowed_contexts:\n  - a\n  remote_identity: sky-api-sa\n"
    );
    // The same identity written by the user is no conflict and leaves the text alone.
    let text = "kubernetes:\n  remote_identity: sky-api-sa  # mine\n";
    let after = render(&[
        "--overlay",
        "minimal-rbac",
        "--release-name",
        "sky",
        "--set-string",
        &format!("apiService.config={text}"),
    ]);
    assert_eq!(
        after["ConfigMap/skypilot/sky-config"]["data"]["config.yaml"],
        text
    );
}

#[test]
fn minimal_rbac_refuses_a_different_identity() {
    let dir = TempDir::new("identity");
    let values = dir.write(
        "values.yaml",
        "apiService:\n  config: |\n    kubernetes:\n      remote_identity: SERVICE_ACCOUNT\n",
    );
    let err = fails(&["--overlay", "minimal-rbac", "-f", &values]);
    assert!(
        err.starts_with(&format!("error: {values}:3:5: apiService.config: ")),
        "{err}"
    );
    assert!(
        err.contains("overlay `minimal-rbac` needs kubernetes.remote_identity = `skypilot-api-sa` in apiService.config, which sets it to `SERVICE_ACCOUNT`"),
        "{err}"
    );
    assert!(err.contains("drop --overlay minimal-rbac"), "{err}");
}

#[test]
fn minimal_rbac_with_a_database_warns_instead_of_writing_config() {
    let o = run(&[
        "render",
        "--overlay",
        "minimal-rbac",
        "--set",
        "apiService.dbConnectionSecretName=db",
    ]);
    assert_eq!(o.status, ExitStatus::Success, "{}", stderr(&o));
    let text = stderr(&o);
    assert!(
        text.starts_with("warning: built-in overlay 'minimal-rbac' (overlay.yaml line "),
        "{text}"
    );
    assert!(
        text.contains("kubernetes.remote_identity: `skypilot-api-sa`"),
        "{text}"
    );
    assert!(text.contains("dashboard"), "{text}");
}

#[test]
fn combined_builtins_change_exactly_what_each_changes_alone() {
    let before = render(&[]);
    let after = render(&["--overlay", "eks,nodeport", "--overlay", "minimal-rbac"]);
    let mut want = eks_changes();
    want.extend(nodeport_changes());
    want.extend(minimal_rbac_changes());
    want.sort();
    assert_eq!(changes(&before, &after), want);
}

#[test]
fn user_values_win_over_overlay_values() {
    let after = render(&[
        "--overlay",
        "nodeport",
        "--set",
        "ingress-nginx.controller.service.nodePorts.http=31000",
    ]);
    let ports = &after[CONTROLLER_SVC]["spec"]["ports"];
    assert_eq!(ports[0]["nodePort"], 31000);
    assert_eq!(ports[1]["nodePort"], 30051);
}

#[test]
fn validate_takes_overlays_too() {
    let o = run(&["validate", "--overlay", "eks"]);
    assert_eq!(o.status, ExitStatus::Success, "{}", stderr(&o));
    assert!(o.stdout.starts_with("ok: "), "{}", o.stdout);
    let o = run(&["validate", "--overlay", "eks", "--overlay", "gke"]);
    assert_eq!(o.status, ExitStatus::Error);
}

#[test]
fn overlays_command_lists_every_builtin_with_a_description() {
    let o = run(&["overlays"]);
    assert_eq!(o.status, ExitStatus::Success);
    let names: Vec<&str> = o
        .stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "argocd",
            "eks",
            "flux",
            "gke",
            "hardened",
            "minimal-rbac",
            "nodeport"
        ]
    );
    for line in o.stdout.lines() {
        assert!(line.split_whitespace().count() > 4, "{line}");
    }
    assert!(o.stdout.contains("30050"), "{}", o.stdout);
}

// ---------------------------------------------------------------------------
// A user overlay directory
// ---------------------------------------------------------------------------

fn fixture() -> String {
    root()
        .join("tests/fixtures/overlays/all-patch-types")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn user_overlay_uses_every_patch_type() {
    let before = render(&[]);
    let after = render(&["--overlay", &fixture()]);
    let deploy = "Deployment.apps/skypilot/skypilot-api-server";
    let ingress = "Ingress.networking.k8s.io/skypilot/skypilot-ingress";
    let policy = "NetworkPolicy.networking.k8s.io/skypilot/skypilot-api";
    let c = "/spec/template/spec/containers";
    assert_eq!(
        changes(&before, &after),
        sorted(&[
            // values
            &format!("{PVC} ~/spec/resources/requests/storage"),
            // resource, and a patch on it
            &format!("+{policy}"),
            // strategic: env merged by name (one changed, one deleted), a mount, a sidecar
            // (lists compare whole here; the fields are checked below), and a volume
            &format!("{deploy} ~{c}"),
            &format!("{deploy} ~/spec/template/spec/volumes"),
            // merge
            "Service/skypilot/skypilot-api-service +/metadata/annotations",
            // json6902 from a file
            &format!("{ingress} ~/metadata/annotations/nginx.ingress.kubernetes.io~1proxy-body-size"),
            // json6902 on two objects chosen by label
            "Job.batch/skypilot/skypilot-ingress-nginx-admission-create ~/spec/ttlSecondsAfterFinished",
            "Job.batch/skypilot/skypilot-ingress-nginx-admission-patch ~/spec/ttlSecondsAfterFinished",
        ])
    );
    let containers = after[deploy]["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    let before_containers = before[deploy]["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    assert_eq!(containers.len(), before_containers.len() + 1);
    assert_eq!(containers[1..containers.len() - 1], before_containers[1..]);
    assert_eq!(
        containers.last().unwrap(),
        &json!({"name": "sidecar", "image": "busybox:1.36", "args": ["sleep", "infinity"]})
    );
    let env = containers[0]["env"].as_array().unwrap();
    let before_env = before[deploy]["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    assert_eq!(env.len(), before_env.len() - 1);
    assert_eq!(env[0], json!({"name": "SKYPILOT_DEV", "value": "true"}));
    assert!(!env.iter().any(|e| e["name"] == "SKYPILOT_INGRESS_HOST"));
    let mounts = containers[0]["volumeMounts"].as_array().unwrap();
    assert_eq!(
        mounts.last().unwrap(),
        &json!({"name": "scratch", "mountPath": "/scratch"})
    );
    assert_eq!(
        after[deploy]["spec"]["template"]["spec"]["volumes"]
            .as_array()
            .unwrap()
            .last()
            .unwrap(),
        &json!({"name": "scratch", "emptyDir": {}})
    );
    assert_eq!(
        after["Service/skypilot/skypilot-api-service"]["metadata"]["annotations"],
        json!({"example.com/owner": "skypilot-team"})
    );
    assert_eq!(
        after[ingress]["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"],
        "2000m"
    );
    // An object an overlay adds belongs to the release like the chart's own (#10).
    assert_eq!(
        after[policy]["metadata"]["labels"],
        json!({"example.com/patched": "yes", "skygen.io/release": "skypilot", "skygen.io/release-namespace": "skypilot"})
    );
    assert_eq!(
        after[policy]["spec"]["podSelector"]["matchLabels"]["app"],
        "skypilot-api"
    );
}

#[test]
fn user_overlay_targets_follow_the_release_name() {
    let after = render(&[
        "--overlay",
        &fixture(),
        "--release-name",
        "sky",
        "-n",
        "ops",
    ]);
    assert_eq!(
        after["Service/ops/sky-api-service"]["metadata"]["annotations"],
        json!({"example.com/owner": "sky-team"})
    );
    assert!(after.contains_key("NetworkPolicy.networking.k8s.io/ops/sky-api"));
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Writes `overlay_yaml` as `<name>/overlay.yaml` in `dir`; returns the overlay directory.
fn overlay_dir(dir: &TempDir, name: &str, overlay_yaml: &str) -> String {
    dir.write(&format!("{name}/overlay.yaml"), overlay_yaml);
    dir.join(name)
}

const HEAD: &str = "description: test overlay\n";

#[test]
fn unknown_overlay_name_lists_the_builtins() {
    let err = fails(&["--overlay", "ekss"]);
    assert!(err.contains("unknown overlay `ekss`"), "{err}");
    assert!(err.contains("did you mean `eks`?"), "{err}");
    assert!(
        err.contains("argocd, eks, flux, gke, hardened, minimal-rbac, nodeport"),
        "{err}"
    );
}

#[test]
fn conflicting_overlays_are_refused() {
    let err = fails(&["--overlay", "gke", "--overlay", "eks"]);
    assert!(err.contains("overlays `gke` and `eks` conflict"), "{err}");
    // A user overlay may declare a conflict with a built-in.
    let dir = TempDir::new("conflict");
    let mine = overlay_dir(&dir, "mine", &format!("{HEAD}conflicts: [nodeport]\n"));
    let err = fails(&["--overlay", "nodeport", "--overlay", &mine]);
    assert!(
        err.contains(&format!("overlays `nodeport` and `{mine}` conflict")),
        "{err}"
    );
}

#[test]
fn missing_requirements_and_duplicates_are_refused() {
    let dir = TempDir::new("requires");
    let mine = overlay_dir(&dir, "mine", &format!("{HEAD}requires: [nodeport]\n"));
    let err = fails(&["--overlay", &mine]);
    assert!(
        err.contains(&format!("overlay `{mine}` requires overlay `nodeport`")),
        "{err}"
    );
    assert!(err.contains("add --overlay nodeport"), "{err}");
    assert_eq!(
        run(&["render", "--overlay", "nodeport", "--overlay", &mine]).status,
        ExitStatus::Success
    );
    let err = fails(&["--overlay", "eks,eks"]);
    assert!(err.contains("overlay `eks` is given twice"), "{err}");
}

#[test]
fn a_patch_matching_nothing_names_the_closest_objects() {
    let dir = TempDir::new("zero");
    let mine = overlay_dir(&dir,
        "mine",
        &format!("{HEAD}patches:\n  - target: {{kind: Service, name: \"{{{{ fullname }}}}-api-servce\"}}\n    type: merge\n    patch: {{metadata: {{labels: {{a: b}}}}}}\n"),
    );
    let err = fails(&["--overlay", &mine]);
    assert!(err.contains(&format!("{mine}/overlay.yaml:3:5")), "{err}");
    assert!(
        err.contains(
            "patch target {kind=Service, name=skypilot-api-servce} matches 0 object(s), expected 1"
        ),
        "{err}"
    );
    assert!(
        err.contains("closest objects: Service/skypilot/skypilot-api-service"),
        "{err}"
    );
    assert!(
        err.contains("set `expect: 0` if the object is optional"),
        "{err}"
    );
}

#[test]
fn a_patch_matching_two_objects_lists_them() {
    let dir = TempDir::new("two");
    let mine = overlay_dir(&dir,
        "mine",
        &format!("{HEAD}patches:\n  - target: {{kind: Job}}\n    type: merge\n    patch: {{metadata: {{labels: {{a: b}}}}}}\n"),
    );
    let err = fails(&["--overlay", &mine]);
    assert!(err.contains("matches 2 object(s), expected 1"), "{err}");
    assert!(
        err.contains("matched: Job.batch/skypilot/skypilot-ingress-nginx-admission-create, Job.batch/skypilot/skypilot-ingress-nginx-admission-patch"),
        "{err}"
    );
    assert!(err.contains("set `expect`"), "{err}");
}

#[test]
fn malformed_patches_are_reported_with_file_and_line() {
    let dir = TempDir::new("malformed");
    let cases = [
        (
            "json6902",
            "  - target: {kind: Ingress}\n    type: json6902\n    patch:\n      - {op: add, path: /a, value: 1}\n      - {op: frobnicate, path: /a}\n",
            ":8:9",
            "malformed json6902 patch: operation 1:",
        ),
        (
            "merge",
            "  - target: {kind: Ingress}\n    type: merge\n    patch: [1, 2]\n",
            ":6:12",
            "malformed merge patch: expected a mapping",
        ),
        (
            "strategic",
            "  - target: {kind: Deployment}\n    type: strategic\n    expect: 2\n    patch:\n      spec:\n        template:\n          spec:\n            containers:\n              - image: x\n",
            ":12:17",
            "each item of `containers` needs `name`",
        ),
        (
            "type",
            "  - target: {kind: Ingress}\n    type: strategik\n    patch: {}\n",
            ":5:11",
            "unknown patch type `strategik`",
        ),
        (
            "target",
            "  - target: {kinds: Ingress}\n    type: merge\n    patch: {}\n",
            ":4:21",
            "unknown target field `kinds`; did you mean `kind`?",
        ),
        (
            "expect",
            "  - target: {kind: Ingress}\n    type: merge\n    expect: -1\n    patch: {}\n",
            ":6:13",
            "`expect` must be a whole number",
        ),        (
            // Review of #4: tolerations have no merge key, so the item was added, not deleted.
            "unkeyed-delete",
            "  - target: {kind: Deployment, name: skypilot-api-server}\n    type: strategic\n    patch:\n      spec:\n        template:\n          spec:\n            tolerations:\n              - key: dedicated\n                $patch: delete\n",
            ":12:25",
            "`tolerations` has no merge key: this list replaces",
        ),
        (
            // Review of #4: a `type` that is not a string was reported as missing.
            "type-not-a-string",
            "  - target: {kind: Ingress}\n    type: 5\n    patch: {}\n",
            ":5:11",
            "`type` must be json6902, merge or strategic, found an integer",
        ),
    ];
    for (name, patches, at, msg) in cases {
        let mine = overlay_dir(&dir, name, &format!("{HEAD}# line 2\npatches:\n{patches}"));
        let err = fails(&["--overlay", &mine]);
        assert!(
            err.contains(&format!("{mine}/overlay.yaml{at}")),
            "{name}: {err}"
        );
        assert!(err.contains(msg), "{name}: {err}");
    }
}

#[test]
fn a_patch_that_does_not_fit_its_object_is_an_error() {
    let dir = TempDir::new("nofit");
    let mine = overlay_dir(&dir,
        "mine",
        &format!("{HEAD}patches:\n  - target: {{kind: Ingress}}\n    type: json6902\n    patch: [{{op: remove, path: /spec/nothing}}]\n"),
    );
    let err = fails(&["--overlay", &mine]);
    assert!(
        err.contains("cannot apply the patch to Ingress.networking.k8s.io/skypilot/skypilot-ingress: operation 0 (/spec/nothing) failed"),
        "{err}"
    );
    assert!(
        err.contains("help: operations count from 0; a path's parent must exist"),
        "{err}"
    );
}

#[test]
fn unknown_overlay_yaml_fields_are_errors_with_file_and_line() {
    let dir = TempDir::new("fields");
    let mine = overlay_dir(&dir, "mine", &format!("{HEAD}value:\n  storage: {{size: 1Gi}}\npatches:\n  - target: {{kind: Ingress}}\n    type: merge\n    patches: {{}}\n"));
    let err = fails(&["--overlay", &mine]);
    assert!(
        err.contains(&format!("{mine}/overlay.yaml:3:3: unknown field `value`")),
        "{err}"
    );
    assert!(err.contains("did you mean `values`?"), "{err}");
    assert!(
        err.contains(&format!(
            "{mine}/overlay.yaml:7:14: unknown field `patches`"
        )),
        "{err}"
    );
    assert!(err.contains("did you mean `patch`?"), "{err}");
    let missing = overlay_dir(&dir, "nodesc", "values: {}\n");
    let err = fails(&["--overlay", &missing]);
    assert!(
        err.contains("`description` must be a one-line text"),
        "{err}"
    );
}

#[test]
fn overlay_values_are_checked_like_values_files() {
    let dir = TempDir::new("values");
    let mine = overlay_dir(
        &dir,
        "mine",
        &format!("{HEAD}values:\n  storage:\n    sise: 1Gi\n"),
    );
    let err = fails(&["--overlay", &mine]);
    assert!(
        err.contains(&format!(
            "{mine}/overlay.yaml:4:11: unknown key storage.sise"
        )),
        "{err}"
    );
}

#[test]
fn paths_outside_the_overlay_directory_are_refused() {
    let dir = TempDir::new("outside");
    dir.write(
        "secret.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    );
    let mine = overlay_dir(
        &dir,
        "mine",
        &format!("{HEAD}resources: [../secret.yaml]\n"),
    );
    let err = fails(&["--overlay", &mine]);
    assert!(
        err.contains("paths outside the overlay directory are refused"),
        "{err}"
    );
    let abs = overlay_dir(&dir,
        "abs",
        &format!("{HEAD}patches:\n  - target: {{kind: Ingress}}\n    type: merge\n    path: /etc/hostname\n"),
    );
    let err = fails(&["--overlay", &abs]);
    assert!(
        err.contains("paths outside the overlay directory are refused"),
        "{err}"
    );
    #[cfg(unix)]
    {
        let linked = overlay_dir(&dir, "linked", &format!("{HEAD}resources: [cm.yaml]\n"));
        std::os::unix::fs::symlink(
            dir.path().join("secret.yaml"),
            Path::new(&linked).join("cm.yaml"),
        )
        .unwrap();
        let err = fails(&["--overlay", &linked]);
        assert!(
            err.contains("outside the overlay directory; refused"),
            "{err}"
        );
    }
}

#[test]
fn directory_problems_are_errors() {
    let dir = TempDir::new("dirs");
    std::fs::create_dir_all(dir.path().join("empty")).unwrap();
    let err = fails(&["--overlay", &dir.path().join("empty").to_string_lossy()]);
    assert!(err.contains("has no overlay.yaml"), "{err}");
    let file = dir.write("file.yaml", HEAD);
    let err = fails(&["--overlay", &file]);
    assert!(err.contains("is a file, expected a directory"), "{err}");
    let broken = overlay_dir(&dir, "broken", "description: [unclosed\n");
    let err = fails(&["--overlay", &broken]);
    assert!(err.contains(&format!("{broken}/overlay.yaml:")), "{err}");
    let missing = overlay_dir(&dir, "missing", &format!("{HEAD}resources: [nope.yaml]\n"));
    let err = fails(&["--overlay", &missing]);
    assert!(err.contains("no file `nope.yaml`"), "{err}");
}

#[test]
fn resource_templates_follow_the_template_rules() {
    let dir = TempDir::new("resources");
    // Undefined names are errors (strict), with the template's file.
    let mine = overlay_dir(&dir, "mine", &format!("{HEAD}resources: [cm.yaml]\n"));
    dir.write(
        "mine/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ nope }}\n",
    );
    let err = fails(&["--overlay", &mine]);
    assert!(
        err.contains(&format!("{mine}/cm.yaml:4:1: template failed")),
        "{err}"
    );
    // Values are JSON-escaped: a value cannot add structure.
    let ok = overlay_dir(&dir, "ok", &format!("{HEAD}resources: [cm.yaml]\n"));
    dir.write(
        "ok/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ fullname ~ \"-extra\" }}\n  namespace: {{ release.namespace }}\ndata:\n  note: {{ v.storage.annotations.note }}\n",
    );
    let after = render(&[
        "--overlay",
        &ok,
        "--set-json",
        r#"storage.annotations={"note": "x\ninjected: true"}"#,
    ]);
    let cm = &after["ConfigMap/skypilot/skypilot-extra"];
    assert_eq!(cm["data"], json!({"note": "x\ninjected: true"}));
    // An object the deployment already has cannot be added again.
    let dup = overlay_dir(&dir, "dup", &format!("{HEAD}resources: [cm.yaml]\n"));
    dir.write(
        "dup/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ names.config }}\n  namespace: {{ release.namespace }}\n",
    );
    let err = fails(&["--overlay", &dup]);
    assert!(
        err.contains("adds ConfigMap/skypilot/skypilot-config, which the deployment already has"),
        "{err}"
    );
}

#[test]
fn overlays_apply_in_the_order_given() {
    let dir = TempDir::new("order");
    let a = overlay_dir(&dir, "a", &format!("{HEAD}values:\n  storage: {{size: 20Gi}}\npatches:\n  - target: {{kind: PersistentVolumeClaim}}\n    type: merge\n    patch: {{metadata: {{labels: {{by: a}}}}}}\n"));
    let b = overlay_dir(&dir, "b", &format!("{HEAD}values:\n  storage: {{size: 30Gi}}\npatches:\n  - target: {{kind: PersistentVolumeClaim}}\n    type: merge\n    patch: {{metadata: {{labels: {{by: b}}}}}}\n"));
    let ab = render(&["--overlay", &a, "--overlay", &b]);
    assert_eq!(ab[PVC]["spec"]["resources"]["requests"]["storage"], "30Gi");
    assert_eq!(ab[PVC]["metadata"]["labels"]["by"], "b");
    let ba = render(&["--overlay", &b, "--overlay", &a]);
    assert_eq!(ba[PVC]["spec"]["resources"]["requests"]["storage"], "20Gi");
    assert_eq!(ba[PVC]["metadata"]["labels"]["by"], "a");
}

#[test]
fn targets_can_name_the_bundled_controller() {
    let dir = TempDir::new("controller");
    let mine = overlay_dir(&dir,
        "mine",
        &format!("{HEAD}patches:\n  - target: {{kind: Service, name: \"{{{{ ingress_nginx.controller }}}}\"}}\n    type: strategic\n    patch: {{spec: {{externalTrafficPolicy: Local}}}}\n"),
    );
    let after = render(&["--overlay", &mine, "--release-name", "sky"]);
    assert_eq!(
        after["Service/skypilot/sky-ingress-nginx-controller"]["spec"]["externalTrafficPolicy"],
        "Local"
    );
}

/// Review of #4: a strategic patch whose `$patch` directives meet a field the object does not
/// have used to copy the patch in as it was, so deleting an env entry a container lacks added it.
#[test]
fn strategic_directives_on_missing_fields_change_nothing() {
    let dir = TempDir::new("missing");
    let mine = overlay_dir(&dir,
        "mine",
        &format!(
            "{HEAD}patches:\n  - target: {{kind: Deployment, name: \"{{{{ api_server }}}}\"}}\n    type: strategic\n    patch:\n      spec:\n        template:\n          spec:\n            initContainers:\n              - name: not-there\n                $patch: delete\n            containers:\n              - name: skypilot-api\n                envFrom: {{$patch: delete}}\n                volumeDevices:\n                  - devicePath: /dev/not-there\n                    $patch: delete\n"
        ),
    );
    let before = render(&[]);
    let after = render(&["--overlay", &mine]);
    assert_eq!(changes(&before, &after), Vec::<String>::new());
}

#[test]
fn a_strategic_delete_removes_a_whole_object() {
    let dir = TempDir::new("delete");
    let mine = overlay_dir(&dir,
        "mine",
        &format!("{HEAD}patches:\n  - target: {{kind: IngressClass}}\n    type: strategic\n    patch: {{$patch: delete}}\n"),
    );
    let before = render(&[]);
    let after = render(&["--overlay", &mine]);
    assert_eq!(
        changes(&before, &after),
        ["-IngressClass.networking.k8s.io/nginx"]
    );
}

#[test]
fn the_overlay_example_in_the_docs_renders() {
    // The indented block after "## Your own overlay" that starts with `description:` is the
    // example overlay.yaml; the files it names are the fixture's.
    let docs = std::fs::read_to_string(root().join("docs/overlays.md")).unwrap();
    let section = &docs[docs.find("## Your own overlay").unwrap()..];
    let example: String = section
        .lines()
        .skip_while(|l| !l.starts_with("    description:"))
        .take_while(|l| l.is_empty() || l.starts_with("    "))
        .map(|l| format!("{}\n", l.strip_prefix("    ").unwrap_or(l)))
        .collect();
    assert!(example.contains("patches:"), "{example}");
    let dir = TempDir::new("docs");
    let mine = overlay_dir(&dir, "mine", &example);
    let fixture = root().join("tests/fixtures/overlays/all-patch-types");
    for file in ["networkpolicy.yaml", "patches/ingress.yaml"] {
        dir.write(
            &format!("mine/{file}"),
            std::fs::read_to_string(fixture.join(file)).unwrap(),
        );
    }
    let err = fails(&["--overlay", &mine]);
    assert!(err.contains("requires overlay `nodeport`"), "{err}");
    let after = render(&["--overlay", "nodeport", "--overlay", &mine]);
    let env = &after["Deployment.apps/skypilot/skypilot-api-server"]["spec"]["template"]["spec"]
        ["containers"][0]["env"];
    assert!(env
        .as_array()
        .unwrap()
        .contains(&json!({"name": "MY_SETTING", "value": "on"})));
    assert_eq!(
        after[CONFIG]["data"]["config.yaml"],
        "kubernetes:\n  remote_identity: skypilot-api-sa\n"
    );
    assert_eq!(
        after[PVC]["spec"]["resources"]["requests"]["storage"],
        "20Gi"
    );
}

#[test]
fn only_the_files_overlay_yaml_names_are_read() {
    let dir = TempDir::new("unnamed");
    let mine = overlay_dir(&dir, "mine", &format!("{HEAD}resources: [cm.yaml]\n"));
    dir.write("mine/diagram.png", "\u{0}\u{1}binary");
    dir.write("mine/.git/config", "\u{0}");
    dir.write(
        "mine/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: {{ release.namespace }}\n",
    );
    assert!(render(&["--overlay", &mine]).contains_key("ConfigMap/skypilot/extra"));
    let named = overlay_dir(&dir, "named", &format!("{HEAD}resources: [bin.yaml]\n"));
    dir.write("named/bin.yaml", "\u{0}");
    let err = fails(&["--overlay", &named]);
    assert!(err.contains("bin.yaml`: is a binary file"), "{err}");
}

/// Review of #4: EBS volumes attach to one node, so a ReadWriteMany claim on the eks class was
/// accepted here and by Kubernetes, then stayed Pending forever.
#[test]
fn eks_refuses_an_access_mode_its_ebs_class_cannot_provide() {
    for mode in ["ReadWriteMany", "ReadOnlyMany"] {
        let err = fails(&[
            "--overlay",
            "eks",
            "--set",
            &format!("storage.accessMode={mode}"),
        ]);
        assert!(
            err.contains(&format!("built-in overlay 'eks' (overlay.yaml line 22): storage.accessMode: {mode} is not possible on the eks overlay's gp3 class")),
            "{err}"
        );
        assert!(
            err.contains("help: use storage.accessMode: ReadWriteOnce"),
            "{err}"
        );
    }
    // A class of the user's own (EFS, say) may share the volume; one pod may hold it alone.
    let efs = render(&[
        "--overlay",
        "eks",
        "--set",
        "storage.accessMode=ReadWriteMany",
        "--set",
        "storage.storageClassName=efs-sc",
    ]);
    assert_eq!(efs[PVC]["spec"]["accessModes"], json!(["ReadWriteMany"]));
    let pod = render(&[
        "--overlay",
        "eks",
        "--set",
        "storage.accessMode=ReadWriteOncePod",
    ]);
    assert_eq!(pod[PVC]["spec"]["storageClassName"], "skypilot-gp3");
}

#[test]
fn gke_refuses_read_write_many_on_its_persistent_disk_class() {
    let err = fails(&[
        "--overlay",
        "gke",
        "--set",
        "storage.accessMode=ReadWriteMany",
    ]);
    assert!(
        err.contains("built-in overlay 'gke' (overlay.yaml line 20): storage.accessMode: ReadWriteMany is not possible on the gke overlay's standard-rwo class"),
        "{err}"
    );
    let rwx = render(&[
        "--overlay",
        "gke",
        "--set",
        "storage.accessMode=ReadWriteMany",
        "--set",
        "storage.storageClassName=standard-rwx",
    ]);
    assert_eq!(rwx[PVC]["spec"]["storageClassName"], "standard-rwx");
}

#[test]
fn user_checks_fail_with_their_own_message_and_are_checked_when_loaded() {
    let dir = TempDir::new("checks");
    let mine = overlay_dir(&dir,
        "mine",
        &format!("{HEAD}checks:\n  - when: v.storage.size != \"20Gi\"\n    key: storage.size\n    error: \"needs 20Gi, not {{{{ v.storage.size }}}}\"\n    help: set storage.size to 20Gi\n"),
    );
    let err = fails(&["--overlay", &mine]);
    assert!(
        err.contains(&format!(
            "{mine}/overlay.yaml:3:5: storage.size: needs 20Gi, not 10Gi"
        )),
        "{err}"
    );
    assert!(err.contains("help: set storage.size to 20Gi"), "{err}");
    render(&["--overlay", &mine, "--set", "storage.size=20Gi"]);

    let bad = overlay_dir(&dir,
        "bad",
        &format!("{HEAD}checks:\n  - when: v.storage.size ==\n    error: x\n  - when: \"true\"\n    eror: x\n"),
    );
    let err = fails(&["--overlay", &bad]);
    assert!(
        err.contains(&format!("{bad}/overlay.yaml:3:11: invalid expression")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{bad}/overlay.yaml:6:11: unknown field `eror`")),
        "{err}"
    );
    assert!(err.contains("did you mean `error`?"), "{err}");
    assert!(
        err.contains(&format!(
            "{bad}/overlay.yaml:5:5: `error` of a check must be a non-empty string"
        )),
        "{err}"
    );
}

/// Review of #4: a user directory was known by its last component only, so a site's own
/// `overlays/gke` tweaks next to the built-in `gke` were "given twice", and next to `eks` they
/// "conflicted" (eks declares a conflict with the built-in gke, not with any directory so named).
#[test]
fn a_user_directory_named_like_a_builtin_is_not_that_builtin() {
    let dir = TempDir::new("samename");
    let mine = overlay_dir(&dir,
        "gke",
        &format!("{HEAD}patches:\n  - target: {{kind: Service, name: \"{{{{ api_service }}}}\"}}\n    type: merge\n    patch: {{metadata: {{labels: {{site: x}}}}}}\n"),
    );
    let both = render(&["--overlay", "gke", "--overlay", &mine]);
    assert_eq!(
        both["Service/skypilot/skypilot-api-service"]["metadata"]["labels"]["site"],
        "x"
    );
    let with_eks = render(&["--overlay", "eks", "--overlay", &mine]);
    assert_eq!(with_eks[PVC]["spec"]["storageClassName"], "skypilot-gp3");
    // The same directory twice is still refused, however it is spelled.
    let again = format!("{mine}/.");
    let err = fails(&["--overlay", &mine, "--overlay", &again]);
    assert!(err.contains("is given twice"), "{err}");
}

/// Review of #4: a hidden file named in overlay.yaml was reported as missing although it exists.
#[test]
fn a_hidden_file_is_named_as_hidden_not_missing() {
    let dir = TempDir::new("hidden");
    let mine = overlay_dir(&dir, "mine", &format!("{HEAD}resources: [.cm.yaml]\n"));
    dir.write(
        "mine/.cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    );
    let err = fails(&["--overlay", &mine]);
    assert!(
        err.contains(&format!(
            "{mine}/overlay.yaml:2:13: `{mine}/.cm.yaml` is hidden (a name starting with `.`)"
        )),
        "{err}"
    );
}

/// Review of #4: a patch could rename an object onto another's identity; both were emitted, and
/// `-o DIR` wrote them as `…-sa.yaml` and `…-sa-2.yaml`, so whichever applied last won.
#[test]
fn a_patch_may_not_give_an_object_the_identity_of_another() {
    let dir = TempDir::new("clash");
    let mine = overlay_dir(&dir,
        "mine",
        &format!("{HEAD}patches:\n  - target: {{kind: ServiceAccount, name: skypilot-ingress-nginx}}\n    type: merge\n    patch: {{metadata: {{name: skypilot-api-sa}}}}\n"),
    );
    let err = fails(&["--overlay", &mine]);
    assert!(
        err.contains(&format!("{mine}/overlay.yaml:3:5: the patch turns ServiceAccount/skypilot/skypilot-ingress-nginx into ServiceAccount/skypilot/skypilot-api-sa, which the deployment already has")),
        "{err}"
    );
    // Renaming to a free name is fine.
    let free = overlay_dir(&dir,
        "free",
        &format!("{HEAD}patches:\n  - target: {{kind: ServiceAccount, name: skypilot-ingress-nginx}}\n    type: merge\n    patch: {{metadata: {{name: renamed}}}}\n"),
    );
    let after = render(&["--overlay", &free]);
    assert!(after.contains_key("ServiceAccount/skypilot/renamed"));
}

/// Review of #4: a wrong type in `conflicts` did not name the field, and a multi-line
/// description (which breaks `skygen overlays`' one line per overlay) was accepted.
#[test]
fn wrong_types_in_overlay_yaml_name_the_field() {
    let dir = TempDir::new("types");
    let mine = overlay_dir(
        &dir,
        "mine",
        "description: |\n  two\n  lines\nconflicts: eks\nresources: {a: b}\n",
    );
    let err = fails(&["--overlay", &mine]);
    for (at, msg) in [
        (":2:3:", "`description` must be a one-line text"),
        (":4:12:", "`conflicts` must be a list of strings"),
        (":5:12:", "`resources` must be a list of strings"),
    ] {
        assert!(
            err.contains(&format!("{mine}/overlay.yaml{at} {msg}")),
            "{at} {msg}:\n{err}"
        );
    }
}

// --- Issue 16: the argocd, flux and hardened built-ins, and `when`, `expect: any`, `containing`.

const CREATE_JOB: &str = "Job.batch/skypilot/skypilot-ingress-nginx-admission-create";
const PATCH_JOB: &str = "Job.batch/skypilot/skypilot-ingress-nginx-admission-patch";
const WEBHOOK: &str =
    "ValidatingWebhookConfiguration.admissionregistration.k8s.io/skypilot-ingress-nginx-admission";
const API_SERVER: &str = "Deployment.apps/skypilot/skypilot-api-server";

fn annotation(obj: &Value, key: &str) -> Option<String> {
    obj["metadata"]["annotations"][key]
        .as_str()
        .map(str::to_owned)
}

#[test]
fn argocd_makes_the_certificate_jobs_sync_hooks_and_orders_the_webhook() {
    let before = render(&[]);
    let after = render(&["--overlay", "argocd"]);
    let mut want = vec![
        format!("{CREATE_JOB} +/metadata/annotations"),
        format!("{CREATE_JOB} -/spec/ttlSecondsAfterFinished"),
        format!("{PATCH_JOB} +/metadata/annotations"),
        format!("{PATCH_JOB} -/spec/ttlSecondsAfterFinished"),
        format!("{WEBHOOK} +/metadata/annotations"),
        // The Namespace already carries `Prune=false` among skygen's keep marks (#10).
    ];
    want.sort();
    assert_eq!(changes(&before, &after), want);
    for (job, wave) in [(CREATE_JOB, "0"), (PATCH_JOB, "2")] {
        let j = &after[job];
        assert_eq!(
            annotation(j, "argocd.argoproj.io/hook").as_deref(),
            Some("Sync")
        );
        assert_eq!(
            annotation(j, "argocd.argoproj.io/hook-delete-policy").as_deref(),
            Some("BeforeHookCreation")
        );
        assert_eq!(
            annotation(j, "argocd.argoproj.io/sync-wave").as_deref(),
            Some(wave)
        );
    }
    // The webhook after everything it could reject, before the Job that patches it.
    assert_eq!(
        annotation(&after[WEBHOOK], "argocd.argoproj.io/sync-wave").as_deref(),
        Some("1")
    );
    assert_eq!(
        annotation(
            &after["Namespace/skypilot-system"],
            "argocd.argoproj.io/sync-options"
        )
        .as_deref(),
        Some("Prune=false,Delete=false")
    );
}

#[test]
fn argocd_and_flux_work_without_the_objects_they_annotate() {
    // No admission webhook (no Jobs, no webhook), no ingress-nginx at all, no Namespace.
    for extra in [
        &[
            "--set",
            "ingress-nginx.controller.admissionWebhooks.enabled=false",
        ][..],
        &["--set", "ingress-nginx.enabled=false"],
        &["--overlay", "minimal-rbac"],
    ] {
        for overlay in ["argocd", "flux"] {
            let mut args = vec!["--overlay", overlay];
            args.extend_from_slice(extra);
            let out = render(&args);
            assert!(!out.contains_key(CREATE_JOB) || extra[1] == "minimal-rbac");
        }
    }
    // Two Namespaces (system components and the in-cluster credentials namespace): both kept.
    let out = render(&[
        "--overlay",
        "argocd,flux",
        "--set",
        "kubernetesCredentials.inclusterNamespace=sky-workloads",
    ]);
    let namespaces: Vec<&Value> = out
        .iter()
        .filter(|(id, _)| id.starts_with("Namespace/"))
        .map(|(_, o)| o)
        .collect();
    assert_eq!(namespaces.len(), 2);
    for ns in namespaces {
        // skygen's keep marks (#10) join the overlay's option.
        assert_eq!(
            annotation(ns, "argocd.argoproj.io/sync-options").as_deref(),
            Some("Prune=false,Delete=false")
        );
        assert_eq!(
            annotation(ns, "kustomize.toolkit.fluxcd.io/prune").as_deref(),
            Some("disabled")
        );
    }
}

#[test]
fn flux_force_replaces_jobs_and_keeps_dollar_braces_from_substitution() {
    let dir = TempDir::new("flux");
    let values = dir.write(
        "values.yaml",
        "apiService:\n  config: |\n    kubernetes:\n      custom_metadata:\n        labels:\n          team: \"${TEAM}\"\n",
    );
    let before = render(&["-f", &values]);
    let after = render(&["-f", &values, "--overlay", "flux"]);
    for job in [CREATE_JOB, PATCH_JOB] {
        assert_eq!(
            annotation(&after[job], "kustomize.toolkit.fluxcd.io/force").as_deref(),
            Some("enabled")
        );
        assert!(after[job]["spec"].get("ttlSecondsAfterFinished").is_none());
    }
    // Exactly the objects with `${` in some string opt out of substitution (found here by
    // searching the JSON text, not the way the overlay's target walks the object).
    for (id, obj) in &before {
        let has = obj.to_string().contains("${");
        let opted_out = annotation(&after[id], "kustomize.toolkit.fluxcd.io/substitute");
        assert_eq!(opted_out.is_some(), has, "{id}");
    }
    assert!(annotation(&after[CONFIG], "kustomize.toolkit.fluxcd.io/substitute").is_some());
    assert!(annotation(&after[API_SERVER], "kustomize.toolkit.fluxcd.io/substitute").is_some());
}

fn containers(pod: &Value) -> Vec<&Value> {
    ["initContainers", "containers"]
        .iter()
        .filter_map(|k| pod[*k].as_array())
        .flatten()
        .collect()
}

#[test]
fn hardened_bounds_every_container_and_keeps_what_the_api_server_needs() {
    let before = render(&[]);
    let after = render(&["--overlay", "hardened"]);
    for (id, obj) in &after {
        let pod = &obj["spec"]["template"]["spec"];
        if pod.is_null() {
            continue;
        }
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault",
            "{id}"
        );
        for c in containers(pod) {
            let name = &c["name"];
            for k in ["requests", "limits"] {
                for r in ["cpu", "memory"] {
                    assert!(c["resources"][k][r].is_string(), "{id} {name}: {k}.{r}");
                }
            }
            assert_eq!(
                c["securityContext"]["allowPrivilegeEscalation"], false,
                "{id} {name}"
            );
            assert_eq!(
                c["securityContext"]["capabilities"]["drop"],
                json!(["ALL"]),
                "{id} {name}"
            );
        }
    }
    // The API server: the same command, image, env, volumes, probes and token; only security
    // settings, and the sidecar's bounds and probe, differ.
    let (a, b) = (&before[API_SERVER], &after[API_SERVER]);
    let pod = |o: &Value| o["spec"]["template"]["spec"].clone();
    assert_eq!(pod(b)["automountServiceAccountToken"], true);
    assert_eq!(pod(a)["volumes"], pod(b)["volumes"]);
    let mut d = Vec::new();
    diff_value(
        &pod(a)["containers"][0],
        &pod(b)["containers"][0],
        String::new(),
        &mut d,
    );
    assert_eq!(d, ["+/securityContext/seccompProfile"]);
    let mut d = Vec::new();
    diff_value(
        &pod(a)["containers"][1],
        &pod(b)["containers"][1],
        String::new(),
        &mut d,
    );
    d.sort();
    assert_eq!(
        d,
        ["+/livenessProbe", "+/resources", "+/securityContext"],
        "the logrotate sidecar"
    );
    // No `*` verb is left in any role, and nothing granted before is lost but `impersonate`.
    for (id, obj) in &after {
        for rule in obj["rules"].as_array().into_iter().flatten() {
            assert!(
                !rule["verbs"].as_array().unwrap().contains(&json!("*")),
                "{id}"
            );
        }
    }
}

#[test]
fn hardened_network_policies_admit_the_controller_and_prometheus_only() {
    let out = render(&[
        "--overlay",
        "hardened",
        "--set",
        "apiService.metrics.enabled=true",
    ]);
    let np = &out["NetworkPolicy.networking.k8s.io/skypilot/skypilot-api-server"];
    let controller = &out["Deployment.apps/skypilot/skypilot-ingress-nginx-controller"];
    let pod_labels = controller["spec"]["template"]["metadata"]["labels"]
        .as_object()
        .unwrap();
    let rules = np["spec"]["ingress"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    // The API port from pods carrying every label of the selector: the controller's pods.
    assert_eq!(
        rules[0]["ports"],
        json!([{"port": 46580, "protocol": "TCP"}])
    );
    let from = rules[0]["from"][0]["podSelector"]["matchLabels"]
        .as_object()
        .unwrap();
    assert!(from.iter().all(|(k, v)| pod_labels.get(k) == Some(v)));
    assert_eq!(
        rules[1]["from"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
        "prometheus"
    );
    // The policy selects the API server's pods.
    let api_labels = &out[API_SERVER]["spec"]["template"]["metadata"]["labels"];
    for (k, v) in np["spec"]["podSelector"]["matchLabels"]
        .as_object()
        .unwrap()
    {
        assert_eq!(&api_labels[k], v);
    }
    // Without the bundled controller, the API port is open to any pod (your own controller).
    let out = render(&[
        "--overlay",
        "hardened",
        "--set",
        "ingress-nginx.enabled=false",
    ]);
    let np = &out["NetworkPolicy.networking.k8s.io/skypilot/skypilot-api-server"];
    assert!(np["spec"]["ingress"][0].get("from").is_none());
    assert_eq!(
        out.keys()
            .filter(|id| id.starts_with("NetworkPolicy"))
            .count(),
        1
    );
}

#[test]
fn hardened_rbac_follows_user_rules_and_refuses_dev_mode() {
    let dir = TempDir::new("hardened-rbac");
    // One namespace rule of the user's: the RBAC-management rules the template appends come
    // right after it, and the overlay finds them there.
    let values = dir.write(
        "values.yaml",
        "rbac:\n  namespaceRules:\n    - apiGroups: [\"\"]\n      resources: [pods]\n      verbs: [get, list]\n",
    );
    let out = render(&["--overlay", "hardened", "-f", &values]);
    let role = &out["Role.rbac.authorization.k8s.io/skypilot/skypilot-api-role"];
    assert_eq!(role["rules"][0]["verbs"], json!(["get", "list"]));
    assert_eq!(
        role["rules"][1]["resources"],
        json!(["roles", "rolebindings"])
    );
    assert!(role["rules"][1]["verbs"]
        .as_array()
        .unwrap()
        .contains(&json!("escalate")));
    assert_eq!(role["rules"][2]["resources"], json!(["serviceaccounts"]));
    assert!(!role["rules"][2]["verbs"]
        .as_array()
        .unwrap()
        .contains(&json!("impersonate")));
    // Management off: those rules are not there, and the patch is not applied.
    render(&[
        "--overlay",
        "hardened",
        "--set",
        "rbac.manageRbacPolicies=false",
    ]);
    render(&["--overlay", "hardened", "--set", "rbac.create=false"]);
    let err = fails(&[
        "--overlay",
        "hardened",
        "--set",
        "apiService.skypilotDev=true",
    ]);
    assert!(
        err.contains("built-in overlay 'hardened' (overlay.yaml line "),
        "{err}"
    );
    assert!(err.contains("privileged"), "{err}");
}

#[test]
fn patch_when_expect_any_and_containing() {
    let dir = TempDir::new("when");
    let ov = overlay_dir(
        &dir,
        "ov",
        &format!(
            "{HEAD}patches:\n  - when: v.storage.size == \"20Gi\"\n    target: {{kind: PersistentVolumeClaim}}\n    type: merge\n    patch: {{metadata: {{labels: {{big: \"yes\"}}}}}}\n  - target: {{kind: Secret}}\n    type: merge\n    expect: any\n    patch: {{metadata: {{labels: {{s: \"1\"}}}}}}\n  - target: {{containing: skypilot-api, kind: Service}}\n    type: merge\n    patch: {{metadata: {{labels: {{api: \"1\"}}}}}}\n  - target: {{kind: Ingress, name: \"{{{{ ingress }}}}\"}}\n    type: merge\n    patch: {{metadata: {{labels: {{size: \"{{{{ v.storage.size }}}}\"}}}}}}\n"
        ),
    );
    let plain = render(&["--overlay", &ov]);
    assert!(plain[PVC]["metadata"]["labels"].get("big").is_none());
    assert_eq!(
        plain["Service/skypilot/skypilot-api-service"]["metadata"]["labels"]["api"],
        "1"
    );
    let big = render(&["--overlay", &ov, "--set", "storage.size=20Gi"]);
    assert_eq!(big[PVC]["metadata"]["labels"]["big"], "yes");
    // Patch strings see the names (`ingress` is the Ingress's name here) and the values.
    let ingress = &big["Ingress.networking.k8s.io/skypilot/skypilot-ingress"];
    assert_eq!(ingress["metadata"]["labels"]["size"], "20Gi");

    let bad = overlay_dir(
        &dir,
        "bad",
        &format!("{HEAD}patches:\n  - when: \"v.storage.size ==\"\n    target: {{kind: Secret}}\n    type: merge\n    expect: some\n    patch: {{}}\n"),
    );
    let err = fails(&["--overlay", &bad]);
    assert!(
        err.contains("bad/overlay.yaml:3:11") && err.contains("invalid expression"),
        "{err}"
    );
    assert!(err.contains("or `any`"), "{err}");
}

#[test]
fn hardened_oauth_pods_have_no_token_and_probe_their_own_ports() {
    let case = root().join("tests/cases/oauth.values.yaml");
    let base = [
        "--release-name",
        "sky",
        "-n",
        "auth",
        "-f",
        case.to_str().unwrap(),
    ];
    let mut with = base.to_vec();
    with.extend(["--overlay", "hardened"]);
    let out = render(&with);
    for (name, container) in [
        ("sky-oauth2-proxy", "oauth2-proxy"),
        ("sky-oauth2-proxy-redis", "redis"),
    ] {
        let pod = &out[&format!("Deployment.apps/auth/{name}")]["spec"]["template"]["spec"];
        assert_eq!(pod["automountServiceAccountToken"], false, "{name}");
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{name}");
        let c = &pod["containers"][0];
        assert_eq!(c["name"], container);
        assert_eq!(
            c["securityContext"]["readOnlyRootFilesystem"], true,
            "{name}"
        );
        // The probes check the port the container listens on.
        let port = &c["ports"][0]["containerPort"];
        for probe in ["livenessProbe", "readinessProbe"] {
            let p = &c[probe];
            let probed = if p["httpGet"].is_object() {
                &p["httpGet"]["port"]
            } else {
                &p["tcpSocket"]["port"]
            };
            assert_eq!(probed, port, "{name} {probe}");
        }
        // Each is reachable only from the pods that need it.
        let np = &out[&format!("NetworkPolicy.networking.k8s.io/auth/{name}")];
        assert_eq!(
            np["spec"]["ingress"][0]["ports"][0]["port"], *port,
            "{name}"
        );
    }
    // redis writes only /data, an emptyDir now.
    let redis = &out["Deployment.apps/auth/sky-oauth2-proxy-redis"]["spec"]["template"]["spec"];
    assert_eq!(redis["volumes"], json!([{"name": "data", "emptyDir": {}}]));
    assert_eq!(
        redis["containers"][0]["volumeMounts"],
        json!([{"name": "data", "mountPath": "/data"}])
    );
    // Without OAuth nothing of this applies (the patches' `when`), and nothing fails.
    assert!(!render(&["--overlay", "hardened"])
        .keys()
        .any(|k| k.contains("oauth2")));
}
