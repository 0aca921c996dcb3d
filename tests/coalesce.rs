//! Helm's coalescing of user values over the chart's defaults, source by source (issue #10,
//! item 1). Helm keeps the user's values (files merged among themselves, then `--set-json`,
//! `--set`, `--set-string`, `--set-file`, each kind in command-line order) apart from the
//! defaults and coalesces them at the end: a user map never wipes the defaults below it, a user
//! `null` removes a default. The expectations below follow Helm's `MergeValues` and
//! `CoalesceValues`, not skygen's output.

mod common;

use serde_json::Value;

fn render(stdin: &str, args: &[&str]) -> Vec<Value> {
    let mut argv: Vec<String> = ["skygen", "render", "--format", "json"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    argv.extend(args.iter().map(|s| s.to_string()));
    let out = skygen::run(argv, &mut stdin.as_bytes()).expect("arguments parse");
    let messages: Vec<String> = out.diagnostics.iter().map(|d| d.render()).collect();
    assert_eq!(out.status, skygen::ExitStatus::Success, "{messages:#?}");
    let list: Value = serde_json::from_str(&out.stdout).expect("JSON output");
    list["items"].as_array().expect("a List").clone()
}

fn pvc(objects: &[Value]) -> Option<&Value> {
    objects
        .iter()
        .find(|o| o["kind"] == "PersistentVolumeClaim")
}

fn api_deployment(objects: &[Value]) -> &Value {
    objects
        .iter()
        .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "skypilot-api-server")
        .expect("the API server Deployment")
}

fn api_resources(objects: &[Value]) -> &Value {
    let deploy = api_deployment(objects);
    let containers = deploy["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers");
    &containers
        .iter()
        .find(|c| c["name"] == "skypilot-api")
        .expect("the API container")["resources"]
}

/// The state volume of the API server pod: a PVC claim, or something else.
fn state_volume_is_claim(objects: &[Value]) -> bool {
    let deploy = api_deployment(objects);
    deploy["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .any(|v| v["persistentVolumeClaim"]["claimName"] == "skypilot-state")
}

fn assert_state_pvc(objects: &[Value], size: &str) {
    let claim = pvc(objects).expect("the state PVC is still rendered");
    assert_eq!(claim["metadata"]["name"], "skypilot-state");
    assert_eq!(claim["spec"]["resources"]["requests"]["storage"], size);
    assert_eq!(claim["spec"]["accessModes"][0], "ReadWriteOnce");
    assert!(state_volume_is_claim(objects), "state must stay on the PVC");
}

#[test]
fn issue10_set_json_map_keeps_the_defaults_below_it() {
    let objects = render("", &["--set-json", r#"storage={"size":"30Gi"}"#]);
    assert_state_pvc(&objects, "30Gi");
}

#[test]
fn issue10_set_json_resources_keep_the_other_defaults() {
    let objects = render(
        "",
        &[
            "--set-json",
            r#"apiService.resources={"limits":{"memory":"16Gi"}}"#,
        ],
    );
    let r = api_resources(&objects);
    assert_eq!(r["requests"]["cpu"], "4");
    assert_eq!(r["requests"]["memory"], "8Gi");
    assert_eq!(r["limits"]["cpu"], "4");
    assert_eq!(r["limits"]["memory"], "16Gi");
}

#[test]
fn issue10_set_json_null_inside_a_map_removes_that_default() {
    let objects = render(
        "",
        &["--set-json", r#"apiService.resources={"limits":null}"#],
    );
    let r = api_resources(&objects);
    assert_eq!(r["requests"]["memory"], "8Gi");
    assert!(r.get("limits").is_none(), "{r}");
}

#[test]
fn issue10_values_from_stdin_and_files_merge_over_the_defaults() {
    let objects = render("storage:\n  size: 30Gi\n", &["-f", "-"]);
    assert_state_pvc(&objects, "30Gi");

    let dir = common::TempDir::new("files");
    let a = dir.write(
        "a.yaml",
        "apiService:\n  resources:\n    requests:\n      cpu: '8'\n",
    );
    let b = dir.write(
        "b.yaml",
        "apiService:\n  resources:\n    limits:\n      cpu: '16'\n",
    );
    let objects = render("", &["-f", &a, "-f", &b]);
    let r = api_resources(&objects);
    assert_eq!(r["requests"]["cpu"], "8");
    assert_eq!(r["requests"]["memory"], "8Gi");
    assert_eq!(r["limits"]["cpu"], "16");
    assert_eq!(r["limits"]["memory"], "8Gi");
}

#[test]
fn issue10_a_map_after_a_null_in_an_earlier_file_gets_the_defaults_back() {
    // Helm: the first file's null is replaced by the second file's map in the user values,
    // and only then coalesced over the defaults.
    let dir = common::TempDir::new("null-then-map");
    let a = dir.write("a.yaml", "storage: null\n");
    let b = dir.write("b.yaml", "storage:\n  size: 30Gi\n");
    let objects = render("", &["-f", &a, "-f", &b]);
    assert_state_pvc(&objects, "30Gi");
}

#[test]
fn issue10_a_null_in_the_last_layer_removes_the_default() {
    let objects = render(
        "",
        &[
            "--set-json",
            r#"apiService.resources={"limits":{"memory":"16Gi"}}"#,
            "--set",
            "apiService.resources.limits=null",
        ],
    );
    let r = api_resources(&objects);
    assert_eq!(r["requests"]["memory"], "8Gi");
    assert!(r.get("limits").is_none(), "{r}");
}

#[test]
fn issue10_set_json_replaces_what_earlier_user_layers_wrote_there() {
    // Helm's --set-json replaces the key in the user values (dropping the file's
    // storageClassName), then the defaults fill in below.
    let objects = render(
        "storage:\n  storageClassName: fast\n",
        &["-f", "-", "--set-json", r#"storage={"size":"30Gi"}"#],
    );
    let claim = pvc(&objects).expect("PVC");
    assert_eq!(claim["spec"]["resources"]["requests"]["storage"], "30Gi");
    assert!(claim["spec"].get("storageClassName").is_none(), "{claim}");
}

#[test]
fn issue10_flags_apply_in_helms_order_set_json_before_set() {
    // Helm applies every --set-json before every --set, whatever the command-line order.
    let objects = render(
        "",
        &[
            "--set",
            "storage.size=40Gi",
            "--set-json",
            r#"storage={"size":"30Gi"}"#,
        ],
    );
    assert_state_pvc(&objects, "40Gi");
    // --set before --set-string, --set-string before --set-file.
    let dir = common::TempDir::new("order");
    let file = dir.write("size.txt", "50Gi");
    let objects = render(
        "",
        &[
            "--set-file",
            &format!("storage.size={file}"),
            "--set-string",
            "storage.size=45Gi",
            "--set",
            "storage.size=44Gi",
        ],
    );
    assert_state_pvc(&objects, "50Gi");
}

#[test]
fn issue10_set_into_a_default_list_replaces_the_list() {
    // Helm's --set writes into the user values only: `a[0].x=…` makes a new one-element list
    // that replaces the default list; it does not edit the default's first element.
    let objects = render(
        "",
        &[
            "--set",
            "rbac.manageRbacPolicies=false,rbac.namespaceRules[0].apiGroups={},rbac.namespaceRules[0].resources={pods},rbac.namespaceRules[0].verbs={get}",
        ],
    );
    let role = objects
        .iter()
        .find(|o| o["kind"] == "Role" && o["metadata"]["name"] == "skypilot-api-role")
        .expect("the API server's Role");
    assert_eq!(
        role["rules"],
        serde_json::json!([{"apiGroups": [], "resources": ["pods"], "verbs": ["get"]}])
    );
}
