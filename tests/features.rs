//! The chart's features, one at a time: each test renders values that switch a feature on and
//! asserts the objects and fields it changes (and that nothing else appears). Whole objects are
//! in the goldens (`tests/golden/`); here are the precise facts a reviewer would check.
//!
//! Tests run the library's `run` with command-line arguments, like the binary, and read the
//! `--format json` output.

mod common;

use common::{find, names, refused, render, render_with};
use serde_json::{json, Value};

fn pod(objects: &[Value]) -> &Value {
    &find(objects, "Deployment", "skypilot-api-server")["spec"]["template"]["spec"]
}

fn api_container(objects: &[Value]) -> &Value {
    container(pod(objects), "containers", "skypilot-api")
}

fn container<'a>(pod: &'a Value, list: &str, name: &str) -> &'a Value {
    pod[list]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no {list} entry {name}"))
}

fn named<'a>(list: &'a Value, name: &str) -> Option<&'a Value> {
    list.as_array()?.iter().find(|e| e["name"] == name)
}

fn env<'a>(container: &'a Value, name: &str) -> Option<&'a Value> {
    named(&container["env"], name)
}

fn env_names(container: &Value) -> Vec<&str> {
    container["env"]
        .as_array()
        .map(|l| l.iter().map(|e| e["name"].as_str().unwrap()).collect())
        .unwrap_or_default()
}

fn mount<'a>(container: &'a Value, path: &str) -> Option<&'a Value> {
    container["volumeMounts"]
        .as_array()?
        .iter()
        .find(|m| m["mountPath"] == path)
}

fn script(objects: &[Value]) -> String {
    api_container(objects)["args"][2]
        .as_str()
        .unwrap()
        .to_owned()
}

const ROLLING: &str = "
apiService:
  upgradeStrategy: RollingUpdate
  dbConnectionSecretName: sky-db
storage:
  accessMode: ReadWriteMany
";

// --- RollingUpdate ---------------------------------------------------------------------------

#[test]
fn rolling_update_strategy_env_and_ephemeral_sky_dir() {
    let objects = render(ROLLING);
    let deployment = find(&objects, "Deployment", "skypilot-api-server");
    assert_eq!(
        deployment["spec"]["strategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})
    );
    let api = api_container(&objects);
    assert_eq!(
        env(api, "SKYPILOT_APISERVER_UUID").unwrap()["valueFrom"],
        json!({"fieldRef": {"fieldPath": "metadata.uid"}})
    );
    assert_eq!(
        env(api, "SKYPILOT_ROLLING_UPDATE_ENABLED").unwrap()["value"],
        "true"
    );
    assert_eq!(api["readinessProbe"]["successThreshold"], 3);
    assert_eq!(
        mount(api, "/root/.sky"),
        Some(&json!({"name": "sky-ephemeral", "mountPath": "/root/.sky"}))
    );
    assert_eq!(
        mount(api, "/root/.sky/api_server/clients"),
        Some(
            &json!({"name": "state-volume", "mountPath": "/root/.sky/api_server/clients", "subPath": "api_server/clients"})
        )
    );
    let logrotate = container(pod(&objects), "containers", "logrotate");
    assert_eq!(
        mount(logrotate, "/root/.sky").unwrap()["name"],
        "sky-ephemeral"
    );
    assert_eq!(
        named(&pod(&objects)["volumes"], "sky-ephemeral"),
        Some(&json!({"name": "sky-ephemeral", "emptyDir": {}}))
    );
    let annotations = &find(&objects, "Ingress", "skypilot-ingress")["metadata"]["annotations"];
    for (key, value) in [
        ("affinity", "cookie"),
        ("session-cookie-name", "SKYPILOT_ROUTEID"),
        ("affinity-mode", "persistent"),
        ("session-cookie-change-on-failure", "true"),
        ("proxy-next-upstream", "http_502 non_idempotent"),
        ("proxy-next-upstream-tries", "3"),
    ] {
        assert_eq!(
            annotations[format!("nginx.ingress.kubernetes.io/{key}")],
            value,
            "{key}"
        );
    }
}

#[test]
fn rolling_update_zero_and_percent_are_kept_and_null_falls_back() {
    let objects = render_with(
        ROLLING,
        &[
            "--set",
            "apiService.rollingUpdate.maxSurge=0",
            "--set",
            "apiService.rollingUpdate.maxUnavailable=25%",
        ],
    );
    assert_eq!(
        find(&objects, "Deployment", "skypilot-api-server")["spec"]["strategy"]["rollingUpdate"],
        json!({"maxSurge": 0, "maxUnavailable": "25%"})
    );
    let objects = render_with(ROLLING, &["--set", "apiService.rollingUpdate=null"]);
    assert_eq!(
        find(&objects, "Deployment", "skypilot-api-server")["spec"]["strategy"]["rollingUpdate"],
        json!({"maxSurge": 1, "maxUnavailable": 0})
    );
}

#[test]
fn rolling_update_without_session_affinity_keeps_only_retries() {
    let objects = render_with(ROLLING, &["--set", "ingress.sessionAffinity=false"]);
    let annotations = find(&objects, "Ingress", "skypilot-ingress")["metadata"]["annotations"]
        .as_object()
        .unwrap();
    assert!(!annotations.contains_key("nginx.ingress.kubernetes.io/affinity"));
    assert_eq!(
        annotations["nginx.ingress.kubernetes.io/proxy-next-upstream-tries"],
        "3"
    );
}

#[test]
fn rolling_update_with_existing_claim_and_custom_clients_path() {
    let objects = render(
        "
apiService:
  upgradeStrategy: RollingUpdate
  dbConnectionString: postgresql://db/sky
storage:
  enabled: false
  existingClaim: shared-nfs
  clientsSubPath: uploads/clients
",
    );
    let api = api_container(&objects);
    assert_eq!(mount(api, "/root/.sky").unwrap()["name"], "sky-ephemeral");
    assert_eq!(
        mount(api, "/root/.sky/api_server/clients").unwrap()["subPath"],
        "uploads/clients"
    );
    assert_eq!(
        named(&pod(&objects)["volumes"], "state-volume").unwrap()["persistentVolumeClaim"]
            ["claimName"],
        "shared-nfs"
    );
    assert!(!objects.iter().any(|o| o["kind"] == "PersistentVolumeClaim"));
}

#[test]
fn rolling_update_without_storage_has_no_ephemeral_volume() {
    let objects = render(
        "
apiService: {upgradeStrategy: RollingUpdate, dbConnectionSecretName: db}
storage: {enabled: false}
",
    );
    let api = api_container(&objects);
    assert_eq!(mount(api, "/root/.sky").unwrap()["name"], "state-volume");
    assert!(named(&pod(&objects)["volumes"], "sky-ephemeral").is_none());
    assert_eq!(
        named(&pod(&objects)["volumes"], "state-volume").unwrap()["emptyDir"],
        json!({})
    );
}

#[test]
fn rolling_update_rules_name_the_keys() {
    let msg = refused(
        "apiService: {upgradeStrategy: RollingUpdate}\nstorage: {accessMode: ReadWriteMany}\n",
    );
    assert!(msg.contains("apiService.dbConnectionSecretName"), "{msg}");
    assert!(msg.contains("apiService.dbConnectionString"), "{msg}");
    let msg = refused("apiService: {upgradeStrategy: RollingUpdate, dbConnectionSecretName: db}\n");
    assert!(msg.contains("storage.accessMode"), "{msg}");
    assert!(msg.contains("ReadWriteMany"), "{msg}");
    assert!(msg.contains("storage.existingClaim"), "{msg}");
}

// --- probes ----------------------------------------------------------------------------------

#[test]
fn probes_default_override_null_and_other_handlers() {
    let objects = render("");
    let api = api_container(&objects);
    assert_eq!(api["readinessProbe"]["successThreshold"], 1);
    assert_eq!(
        api["livenessProbe"]["httpGet"],
        json!({"path": "/api/health", "port": 46580})
    );

    let objects = render_with(
        "",
        &["--set", "apiService.readinessProbe.successThreshold=7"],
    );
    assert_eq!(
        api_container(&objects)["readinessProbe"]["successThreshold"],
        7
    );

    let objects = render_with(
        "",
        &[
            "--set",
            "apiService.livenessProbe=null",
            "--set",
            "apiService.readinessProbe=null",
        ],
    );
    let api = api_container(&objects);
    assert!(api.get("livenessProbe").is_none() && api.get("readinessProbe").is_none());

    let objects = render(
        "
apiService:
  livenessProbe: null
  readinessProbe: null
",
    );
    assert!(api_container(&objects).get("readinessProbe").is_none());

    let objects = render(
        "
apiService:
  livenessProbe:
    httpGet: null
    exec: {command: [sky, api, status]}
    periodSeconds: 10
  readinessProbe:
    httpGet: null
    tcpSocket: {port: 46580}
",
    );
    let api = api_container(&objects);
    // Maps merge with the defaults (as in Helm); the default handler is removed with null.
    assert_eq!(
        api["livenessProbe"],
        json!({"periodSeconds": 10, "timeoutSeconds": 1, "exec": {"command": ["sky", "api", "status"]}})
    );
    assert_eq!(api["readinessProbe"]["tcpSocket"], json!({"port": 46580}));
    assert!(api["readinessProbe"].get("httpGet").is_none());

    // Forgetting the null leaves two handlers, which Kubernetes refuses: skygen says so first.
    let msg = refused("apiService:\n  livenessProbe:\n    exec: {command: [true]}\n");
    assert!(msg.contains("apiService.livenessProbe"), "{msg}");
    assert!(msg.contains("httpGet") && msg.contains("exec"), "{msg}");
    assert!(
        msg.contains("apiService.livenessProbe.httpGet: null"),
        "{msg}"
    );
}

// --- dev mode, host, logs, metrics -------------------------------------------------------------

#[test]
fn dev_mode_runs_privileged_without_server_or_probes() {
    let objects = render("apiService: {devMode: {enabled: true}}\n");
    let api = api_container(&objects);
    assert_eq!(
        api["securityContext"],
        json!({"privileged": true, "runAsUser": 0, "runAsGroup": 0, "readOnlyRootFilesystem": false})
    );
    assert!(api.get("livenessProbe").is_none() && api.get("readinessProbe").is_none());
    let script = script(&objects);
    assert!(
        script.trim_end().ends_with("exec tail -f /dev/null"),
        "{script}"
    );
    assert!(!script.contains("sky api start"), "{script}");
}

#[test]
fn ipv6_host_binds_and_makes_the_service_dual_stack() {
    let objects = render("apiService: {host: '::'}\n");
    assert!(script(&objects).contains("--host=:: "));
    assert_eq!(
        find(&objects, "Service", "skypilot-api-service")["spec"]["ipFamilyPolicy"],
        "PreferDualStack"
    );
    let objects = render("");
    assert!(script(&objects).contains("--host=0.0.0.0 "));
    assert!(find(&objects, "Service", "skypilot-api-service")["spec"]
        .get("ipFamilyPolicy")
        .is_none());
    let msg = refused("apiService: {host: 127.0.0.1}\n");
    assert!(msg.contains("apiService.host"), "{msg}");
}

#[test]
fn server_log_and_logrotate_switches() {
    let objects = render("apiService: {logs: {retention: {size: 50M}}}\n");
    let logrotate = container(pod(&objects), "containers", "logrotate");
    assert!(logrotate["args"][0].as_str().unwrap().contains("size 50M"));
    assert!(logrotate.get("securityContext").is_none());
    assert!(script(&objects).contains("tee -a /root/.sky/api_server/server.log"));

    let objects = render("apiService: {serveServerLog: false}\n");
    assert!(named(&pod(&objects)["containers"], "logrotate").is_none());
    let script = script(&objects);
    assert!(!script.contains("server.log"), "{script}");
    assert!(
        script.contains("SKYPILOT_SERVER_LOG_MIRROR_DIR"),
        "the mirror still works: {script}"
    );

    let objects = render("apiService: {logs: {retention: {enabled: false}}}\n");
    assert!(named(&pod(&objects)["containers"], "logrotate").is_none());
}

#[test]
fn metrics_annotations_port_and_env() {
    let objects =
        render("apiService: {metrics: {enabled: true, port: 9100}, annotations: {team: ml}}\n");
    let deployment = find(&objects, "Deployment", "skypilot-api-server");
    assert_eq!(
        deployment["spec"]["template"]["metadata"]["annotations"],
        json!({"prometheus.io/scrape": "true", "prometheus.io/path": "/metrics", "prometheus.io/port": "9100", "team": "ml"})
    );
    assert!(
        deployment["metadata"].get("annotations").is_none(),
        "pod annotations only"
    );
    let service = find(&objects, "Service", "skypilot-api-service");
    assert_eq!(
        named(&service["spec"]["ports"], "metrics"),
        Some(&json!({"name": "metrics", "port": 9100, "targetPort": 9100, "protocol": "TCP"}))
    );
    assert_eq!(
        env(api_container(&objects), "SKY_API_SERVER_METRICS_ENABLED").unwrap()["value"],
        "true"
    );

    let objects = render(
        "apiService: {metrics: {enabled: true}}\nprometheus: {useDedicatedScrapeConfig: true}\n",
    );
    let annotations = &find(&objects, "Deployment", "skypilot-api-server")["spec"]["template"]
        ["metadata"]["annotations"];
    assert_eq!(
        annotations,
        &json!({"skypilot.co/scrape": "true", "skypilot.co/path": "/metrics", "skypilot.co/port": "9090"})
    );
}

// --- pod settings ------------------------------------------------------------------------------

#[test]
fn scheduling_security_and_pod_settings() {
    let objects = render(
        "
apiService:
  nodeSelector: {pool: cpu}
  tolerations: [{key: dedicated, operator: Exists, effect: NoSchedule}]
  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [a]}]}]}}}
  topologySpreadTopologyKey: topology.kubernetes.io/zone
  imagePullPolicy: IfNotPresent
  terminationGracePeriodSeconds: 300
  authUserHeaderName: X-User
  skypilotDev: true
podSecurityContext: {fsGroup: 1000}
securityContext: {runAsNonRoot: false}
runtimeClassName: gvisor
kubernetesCredentials: {useApiServerCluster: false}
",
    );
    let pod = pod(&objects);
    assert_eq!(pod["nodeSelector"], json!({"pool": "cpu"}));
    assert_eq!(pod["tolerations"][0]["key"], "dedicated");
    assert_eq!(
        pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
            ["nodeSelectorTerms"][0]["matchExpressions"][0]["values"],
        json!(["a"])
    );
    assert_eq!(
        pod["topologySpreadConstraints"],
        json!([{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"app": "skypilot-api"}}}])
    );
    assert_eq!(pod["securityContext"], json!({"fsGroup": 1000}));
    assert_eq!(pod["runtimeClassName"], "gvisor");
    assert_eq!(pod["terminationGracePeriodSeconds"], 300);
    assert_eq!(pod["automountServiceAccountToken"], false);
    let api = api_container(&objects);
    // Maps merge with the defaults, as in Helm.
    assert_eq!(
        api["securityContext"],
        json!({"capabilities": {"drop": ["ALL"]}, "allowPrivilegeEscalation": false, "runAsNonRoot": false})
    );
    assert_eq!(api["imagePullPolicy"], "IfNotPresent");
    assert_eq!(
        env(api, "SKYPILOT_GRACE_PERIOD_SECONDS").unwrap()["value"],
        "300"
    );
    assert_eq!(
        env(api, "SKYPILOT_AUTH_USER_HEADER").unwrap()["value"],
        "X-User"
    );
    assert_eq!(env(api, "SKYPILOT_DEV").unwrap()["value"], "true");
}

#[test]
fn extra_envs_order_and_pod_ip_deduplication() {
    let objects = render(
        "
global: {extraEnvs: [{name: FIRST, value: '1'}]}
apiService: {extraEnvs: [{name: SECOND, value: '2'}]}
",
    );
    let api = api_container(&objects);
    let names = env_names(api);
    assert_eq!(&names[..3], ["FIRST", "SECOND", "SKYPILOT_DEV"]);
    assert_eq!(
        env(api, "POD_IP").unwrap()["valueFrom"]["fieldRef"]["fieldPath"],
        "status.podIP"
    );

    for values in [
        "global: {extraEnvs: [{name: POD_IP, value: 10.0.0.1}]}\n",
        "apiService: {extraEnvs: [{name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIPs}}}]}\n",
    ] {
        let objects = render(values);
        let api = api_container(&objects);
        let count = env_names(api).iter().filter(|n| **n == "POD_IP").count();
        assert_eq!(count, 1, "{values}");
        assert!(env(api, "POD_IP").unwrap().get("value").is_some() || values.contains("podIPs"));
    }
}

#[test]
fn extra_volumes_mounts_sidecars_and_init_containers() {
    let objects = render(
        "
apiService:
  extraVolumes: [{name: cache, emptyDir: {}}]
  extraVolumeMounts: [{name: cache, mountPath: /cache}]
  sidecarContainers: [{name: proxy, image: envoy:1}]
extraInitContainers: [{name: wait, image: busybox, command: [sleep, '1']}]
",
    );
    let pod = pod(&objects);
    assert_eq!(
        named(&pod["volumes"], "cache"),
        Some(&json!({"name": "cache", "emptyDir": {}}))
    );
    assert_eq!(
        mount(api_container(&objects), "/cache").unwrap()["name"],
        "cache"
    );
    assert_eq!(container(pod, "containers", "proxy")["image"], "envoy:1");
    assert_eq!(
        pod["initContainers"],
        json!([{"name": "wait", "image": "busybox", "command": ["sleep", "1"]}])
    );
}

#[test]
fn global_registry_and_pull_secrets_reach_every_chart_image() {
    let objects = render(
        "
global:
  imageRegistry: mirror.example.com:5000
  imagePullSecrets: [{name: mirror-creds}]
  extraEnvs: [{name: HTTPS_PROXY, value: http://proxy:3128}]
apiService: {image: docker.io/berkeleyskypilot/skypilot:0.10.0}
awsCredentials: {enabled: true}
gcpCredentials: {enabled: true, projectId: p}
digitaloceanCredentials: {enabled: true}
vastCredentials: {enabled: true}
",
    );
    let pod = pod(&objects);
    assert_eq!(pod["imagePullSecrets"], json!([{"name": "mirror-creds"}]));
    let api_image = "mirror.example.com:5000/berkeleyskypilot/skypilot:0.10.0";
    assert_eq!(api_container(&objects)["image"], api_image);
    assert_eq!(
        container(pod, "containers", "logrotate")["image"],
        api_image
    );
    for init in [
        "create-aws-credentials",
        "create-digitalocean-credentials",
        "create-vast-credentials",
    ] {
        let c = container(pod, "initContainers", init);
        assert_eq!(c["image"], api_image, "{init}");
        assert_eq!(
            c["env"][0]["name"], "HTTPS_PROXY",
            "{init}: global.extraEnvs first"
        );
    }
    assert_eq!(
        container(pod, "initContainers", "setup-gcp-credentials")["image"],
        "mirror.example.com:5000/google/cloud-sdk:latest"
    );
}

#[test]
fn fullname_override_names_every_chart_object() {
    let objects = render_with(
        "",
        &[
            "--set",
            "fullnameOverride=sky-prod",
            "--set",
            "ingress.authCredentials=u:$apr1$x$y",
        ],
    );
    let own: Vec<&Value> = objects
        .iter()
        .filter(|o| {
            let name = o["metadata"]["name"].as_str().unwrap();
            !name.starts_with("skypilot-ingress-nginx")
                && name != "skypilot-system"
                && name != "skypilot"
                && name != "nginx"
        })
        .collect();
    assert!(own.len() >= 10, "{:?}", names(&objects));
    for o in own {
        let name = o["metadata"]["name"].as_str().unwrap();
        assert!(
            name.starts_with("sky-prod-"),
            "{name} does not use fullnameOverride"
        );
    }
    let deployment = find(&objects, "Deployment", "sky-prod-api-server");
    assert_eq!(
        deployment["spec"]["selector"]["matchLabels"],
        json!({"app": "sky-prod-api"})
    );
    assert_eq!(
        env(api_container_of(deployment), "SKYPILOT_RELEASE_NAME").unwrap()["value"],
        "sky-prod"
    );
}

fn api_container_of(deployment: &Value) -> &Value {
    container(
        &deployment["spec"]["template"]["spec"],
        "containers",
        "skypilot-api",
    )
}

// --- storage -----------------------------------------------------------------------------------

#[test]
fn storage_existing_claim_and_no_storage() {
    let objects = render("storage: {existingClaim: my-claim}\n");
    assert!(!objects.iter().any(|o| o["kind"] == "PersistentVolumeClaim"));
    assert_eq!(
        named(&pod(&objects)["volumes"], "state-volume").unwrap()["persistentVolumeClaim"]
            ["claimName"],
        "my-claim"
    );
    assert!(mount(api_container(&objects), "/root/sky_logs").is_some());

    let objects = render("storage: {enabled: false}\n");
    assert!(!objects.iter().any(|o| o["kind"] == "PersistentVolumeClaim"));
    assert_eq!(
        named(&pod(&objects)["volumes"], "state-volume").unwrap()["emptyDir"],
        json!({})
    );
    let api = api_container(&objects);
    assert!(mount(api, "/root/.ssh").is_none() && mount(api, "/root/sky_logs").is_none());
    assert!(env(api, "SKYPILOT_API_SERVER_STORAGE_ENABLED").is_none());

    let objects = render("apiService: {persistSSHConfig: false}\n");
    assert!(mount(api_container(&objects), "/root/.ssh").is_none());
    assert!(mount(api_container(&objects), "/root/sky_logs").is_some());
}

// --- credentials -------------------------------------------------------------------------------

#[test]
fn aws_credentials_file_mode_and_custom_key_names() {
    let objects = render(
        "awsCredentials: {enabled: true, useCredentialsFile: true, awsSecretName: aws-files}\n",
    );
    let pod = pod(&objects);
    assert!(pod.get("initContainers").is_none());
    assert_eq!(
        named(&pod["volumes"], "aws-config-files"),
        Some(&json!({"name": "aws-config-files", "secret": {"secretName": "aws-files"}}))
    );
    assert_eq!(
        mount(api_container(&objects), "/root/.aws"),
        Some(&json!({"name": "aws-config-files", "mountPath": "/root/.aws", "readOnly": true}))
    );

    let objects = render(
        "awsCredentials: {enabled: true, accessKeyIdKeyName: id, secretAccessKeyKeyName: secret}\n",
    );
    let init = container(pod_of(&objects), "initContainers", "create-aws-credentials");
    assert_eq!(
        env(init, "AWS_ACCESS_KEY_ID").unwrap()["valueFrom"]["secretKeyRef"],
        json!({"name": "aws-credentials", "key": "id"})
    );
    assert_eq!(
        env(init, "AWS_SECRET_ACCESS_KEY").unwrap()["valueFrom"]["secretKeyRef"],
        json!({"name": "aws-credentials", "key": "secret"})
    );
}

fn pod_of(objects: &[Value]) -> &Value {
    pod(objects)
}

#[test]
fn r2_coreweave_digitalocean_vast_inits_and_mounts() {
    let objects = render(
        "
r2Credentials: {enabled: true, r2SecretName: r2}
coreweaveCredentials: {enabled: true}
digitaloceanCredentials: {enabled: true, digitaloceanSecretName: do}
vastCredentials: {enabled: true}
",
    );
    let pod = pod(&objects);
    let api = api_container(&objects);
    let r2 = container(pod, "initContainers", "setup-r2-credentials");
    assert_eq!(
        env(r2, "R2_CREDENTIALS").unwrap()["valueFrom"]["secretKeyRef"],
        json!({"name": "r2", "key": "r2.credentials"})
    );
    assert_eq!(
        env(r2, "R2_ACCOUNT_ID").unwrap()["valueFrom"]["secretKeyRef"],
        json!({"name": "r2", "key": "accountid"})
    );
    let r2_script = r2["args"][0].as_str().unwrap();
    assert!(
        !r2_script.contains("head -n 1") && !r2_script.contains("cat /root/.cloudflare/accountid"),
        "no secrets in logs"
    );
    assert_eq!(mount(api, "/root/.cloudflare").unwrap()["readOnly"], true);

    let cw = container(pod, "initContainers", "setup-coreweave-credentials");
    assert!(cw.get("env").is_none(), "no env without global.extraEnvs");
    assert_eq!(
        named(&pod["volumes"], "coreweave-credentials").unwrap()["secret"]["secretName"],
        "coreweave-credentials"
    );
    assert_eq!(
        mount(cw, "/root/.coreweave_credentials").unwrap()["name"],
        "coreweave-credentials"
    );
    assert_eq!(
        mount(api, "/root/.coreweave").unwrap()["name"],
        "coreweave-config"
    );

    let doctl = container(pod, "initContainers", "create-digitalocean-credentials");
    assert_eq!(
        env(doctl, "DIGITALOCEAN_CREDENTIALS").unwrap()["valueFrom"]["secretKeyRef"],
        json!({"name": "do", "key": "api_key"})
    );
    assert_eq!(
        mount(doctl, "/.config/doctl").unwrap()["name"],
        "digitalocean-config"
    );
    assert_eq!(
        mount(api, "/root/.config/doctl").unwrap()["name"],
        "digitalocean-config"
    );

    let vast = container(pod, "initContainers", "create-vast-credentials");
    assert_eq!(
        env(vast, "VAST_API_KEY").unwrap()["valueFrom"]["secretKeyRef"],
        json!({"name": "vast-credentials", "key": "api_key"})
    );
    assert_eq!(
        mount(api, "/root/.config/vastai").unwrap()["readOnly"],
        true
    );

    let order: Vec<&str> = pod["initContainers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "setup-r2-credentials",
            "setup-coreweave-credentials",
            "create-digitalocean-credentials",
            "create-vast-credentials"
        ]
    );
}

#[test]
fn slurm_config_secret_and_mount() {
    let objects = render("slurmCredentials:\n  config: |\n    clusters: {a: {host: 'h: 1'}}\n");
    let secret = find(&objects, "Secret", "skypilot-slurm-config");
    assert_eq!(
        secret["stringData"]["config"],
        "clusters: {a: {host: 'h: 1'}}\n"
    );
    assert_eq!(
        mount(api_container(&objects), "/root/.slurm").unwrap()["name"],
        "slurm-config"
    );
    assert_eq!(
        named(&pod(&objects)["volumes"], "slurm-config").unwrap()["secret"]["secretName"],
        "skypilot-slurm-config"
    );
}

// --- database ----------------------------------------------------------------------------------

#[test]
fn database_string_survives_any_character() {
    let uri = "postgresql://user:p#ss: 'w\"%rd@db:5432/sky?sslmode=require&x=%20";
    let values = format!(
        "apiService:\n  dbConnectionString: {}\n",
        serde_json::to_string(uri).unwrap()
    );
    let objects = render(&values);
    assert_eq!(
        find(&objects, "Secret", "skypilot-db-connection")["stringData"]["connection_string"],
        uri
    );
    assert_eq!(
        env(api_container(&objects), "SKYPILOT_DB_CONNECTION_URI").unwrap()["valueFrom"]
            ["secretKeyRef"],
        json!({"name": "skypilot-db-connection", "key": "connection_string"})
    );
    // The YAML stream carries the same string (read back by our own reader).
    let argv = ["skygen", "render", "-f", "-"].map(String::from);
    let out = skygen::run(argv, &mut values.as_bytes()).unwrap();
    let docs = skygen::yaml::read_stream(&out.stdout).unwrap();
    assert!(docs
        .iter()
        .any(|d| d.value.pointer("/stringData/connection_string") == Some(&json!(uri))));
}

#[test]
fn database_secret_name_wins_over_string() {
    let objects = render(
        "apiService: {dbConnectionSecretName: mine, dbConnectionString: 'postgresql://x'}\n",
    );
    assert!(!objects
        .iter()
        .any(|o| o["metadata"]["name"] == "skypilot-db-connection"));
    assert_eq!(
        env(api_container(&objects), "SKYPILOT_DB_CONNECTION_URI").unwrap()["valueFrom"]
            ["secretKeyRef"]["name"],
        "mine"
    );
}

#[test]
fn database_with_config_is_refused_naming_both_keys() {
    let msg = refused("apiService: {dbConnectionSecretName: db, config: 'a: 1'}\n");
    assert!(
        msg.contains("apiService.config") && msg.contains("apiService.dbConnectionSecretName"),
        "{msg}"
    );
}

// --- SSH ---------------------------------------------------------------------------------------

#[test]
fn ssh_node_pools_secret_mounts_and_script() {
    let objects = render("apiService:\n  sshNodePools: |\n    my-pool:\n      hosts: [10.0.0.1]\n");
    assert_eq!(
        find(&objects, "Secret", "skypilot-ssh-node-pools")["stringData"]["ssh_node_pools.yaml"],
        "my-pool:\n  hosts: [10.0.0.1]\n"
    );
    let api = api_container(&objects);
    assert_eq!(
        mount(api, "/var/skypilot/ssh_node_pool").unwrap()["name"],
        "skypilot-ssh-node-pools"
    );
    assert_eq!(
        mount(api, "/root/.kube"),
        Some(&json!({"name": "state-volume", "mountPath": "/root/.kube", "subPath": ".kube"}))
    );
    assert!(env(api, "KUBECONFIG").is_none());
    let script = script(&objects);
    assert!(script.contains(
        "ln -sf /var/skypilot/ssh_node_pool/ssh_node_pools.yaml /root/.sky/ssh_node_pools.yaml"
    ));
    assert!(script.contains("echo \"{}\" > /root/.kube/config"));

    let objects = render(
        "apiService: {sshNodePools: 'p: {hosts: [10.0.0.1]}'}\nkubernetesCredentials: {useKubeconfig: true}\n",
    );
    let api = api_container(&objects);
    assert_eq!(
        mount(api, "/var/skypilot/kubeconfig").unwrap()["name"],
        "kube-config"
    );
    assert_eq!(
        env(api, "KUBECONFIG").unwrap()["value"],
        "/root/.kube/config:/var/skypilot/kubeconfig/config"
    );

    let objects =
        render("kubernetesCredentials: {useKubeconfig: true, kubeconfigSecretName: kc}\n");
    let api = api_container(&objects);
    assert_eq!(mount(api, "/root/.kube").unwrap()["name"], "kube-config");
    assert_eq!(
        named(&pod(&objects)["volumes"], "kube-config").unwrap()["secret"]["secretName"],
        "kc"
    );
}

#[test]
fn ssh_key_secret_volume_mode_and_links() {
    let objects = render("apiService: {sshKeySecret: my-keys}\n");
    assert_eq!(
        named(&pod(&objects)["volumes"], "skypilot-ssh-identity"),
        Some(
            &json!({"name": "skypilot-ssh-identity", "secret": {"secretName": "my-keys", "defaultMode": 0o600}})
        )
    );
    assert_eq!(
        mount(api_container(&objects), "/var/skypilot/ssh_keys").unwrap()["name"],
        "skypilot-ssh-identity"
    );
    assert!(script(&objects).contains("for file in /var/skypilot/ssh_keys/*; do"));
}

#[test]
fn shell_values_are_quoted_in_scripts() {
    let objects = render("nebiusCredentials: {enabled: true, tenantId: 'tenant; rm -rf / #'}\n");
    let script = script(&objects);
    assert!(
        script.contains("echo 'tenant; rm -rf / #' >> /root/.nebius/NEBIUS_TENANT_ID.txt"),
        "{script}"
    );
}

// --- --set on places the schema does not type ----------------------------------------------------

#[test]
fn set_guesses_types_like_helm_where_kubernetes_owns_the_shape() {
    let objects = render_with(
        "",
        &[
            "--set",
            "securityContext.readOnlyRootFilesystem=true",
            "--set",
            "apiService.readinessProbe.periodSeconds=10",
            "--set",
            "apiService.livenessProbe.httpGet.port=http",
            "--set",
            "apiService.resources.limits=null",
            "--set",
            "apiService.annotations.build=007",
        ],
    );
    let api = api_container(&objects);
    assert_eq!(api["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(api["readinessProbe"]["periodSeconds"], 10);
    assert_eq!(api["livenessProbe"]["httpGet"]["port"], "http");
    assert!(api["resources"].get("limits").is_none());
    assert_eq!(api["resources"]["requests"]["cpu"], "4");
    let annotations = &find(&objects, "Deployment", "skypilot-api-server")["spec"]["template"]
        ["metadata"]["annotations"];
    assert_eq!(annotations["build"], "007", "a leading zero keeps the text");
}

// --- the chart's own values file ---------------------------------------------------------------

/// Shell comments and blank lines, which differ between the chart's default pre-deploy hook and
/// ours, removed from every string in an object.
fn without_shell_comments(v: &mut Value) {
    match v {
        Value::String(s) if s.contains('\n') => {
            *s = s
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                .collect::<Vec<_>>()
                .join("\n");
        }
        Value::Array(a) => a.iter_mut().for_each(without_shell_comments),
        Value::Object(m) => m.values_mut().for_each(without_shell_comments),
        _ => {}
    }
}

#[test]
fn the_charts_own_values_file_is_accepted_and_means_the_defaults() {
    // A copy of the chart's values.yaml: every key it declares must load, and since they are the
    // defaults, the render must be skygen's default render.
    let upstream = include_str!("fixtures/reference/upstream-values.yaml");
    let mut from_upstream = render(upstream);
    let mut defaults = render("");
    from_upstream.iter_mut().for_each(without_shell_comments);
    defaults.iter_mut().for_each(without_shell_comments);
    assert_eq!(names(&from_upstream), names(&defaults));
    for (a, b) in from_upstream.iter().zip(&defaults) {
        assert_eq!(a, b, "{} differs", a["metadata"]["name"]);
    }
}

/// Review of #6: `ingress.tls.enabled` without a host. The chart writes `hosts: [null]`, which the
/// API server refuses at apply time; skygen used to drop the TLS entry silently (plain HTTP).
#[test]
fn tls_without_host_is_refused_naming_both_keys() {
    let message = refused("ingress:\n  tls:\n    enabled: true\n");
    assert!(message.contains("ingress.tls.enabled"), "{message}");
    assert!(message.contains("ingress.host"), "{message}");
    assert!(message.contains("help: set ingress.host"), "{message}");
    // Without the Ingress there is no TLS entry to write: accepted.
    render("ingress:\n  enabled: false\n  tls:\n    enabled: true\n");
}

/// Review of #6: `inclusterNamespace: skypilot-system` is also the system components'
/// namespace; the chart emits that Namespace twice, skygen once (object ids stay unique, so
/// overlays and diff can address it).
#[test]
fn incluster_namespace_equal_to_the_system_namespace_is_emitted_once() {
    let objects = render("kubernetesCredentials:\n  inclusterNamespace: skypilot-system\n");
    let namespaces: Vec<_> = objects
        .iter()
        .filter(|o| o["kind"] == "Namespace")
        .map(|o| o["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(namespaces, ["skypilot-system"]);
    let role = objects
        .iter()
        .find(|o| o["kind"] == "Role" && o["metadata"]["name"] == "skypilot-api-role")
        .expect("the API Role");
    assert_eq!(role["metadata"]["namespace"], "skypilot-system");
    // Without the system components the workload namespace still gets its own object.
    let objects = render(
        "rbac:\n  manageSystemComponents: false\nkubernetesCredentials:\n  inclusterNamespace: skypilot-system\n",
    );
    assert_eq!(
        objects.iter().filter(|o| o["kind"] == "Namespace").count(),
        1
    );
}

/// Review of #6: a `null` removes a key, as in Helm, and the chart then renders the field as
/// null so Kubernetes applies its own default (1 replica, a 30-second grace period, the pull
/// policy for the image's tag). skygen used to fill in zero instead: `replicas: 0` (no API
/// server at all), `terminationGracePeriodSeconds: 0` (killed at once) and `Always`.
#[test]
fn null_replicas_grace_period_and_pull_policy_leave_kubernetes_defaults() {
    let objects = render(
        "apiService:\n  replicas: null\n  terminationGracePeriodSeconds: null\n  imagePullPolicy: null\n  image: repo/sky:1.0\n",
    );
    let deployment = find(&objects, "Deployment", "skypilot-api-server");
    assert!(deployment["spec"].get("replicas").is_none(), "{deployment}");
    let pod = &deployment["spec"]["template"]["spec"];
    assert!(pod.get("terminationGracePeriodSeconds").is_none(), "{pod}");
    let api = api_container(&objects);
    assert!(api.get("imagePullPolicy").is_none(), "{api}");
    // The chart quotes the missing value into an empty env var.
    assert_eq!(
        env(api, "SKYPILOT_GRACE_PERIOD_SECONDS"),
        Some(&json!({"name": "SKYPILOT_GRACE_PERIOD_SECONDS"}))
    );
    // Explicit values still go through.
    let objects = render(
        "apiService:\n  replicas: 0\n  terminationGracePeriodSeconds: 5\n  imagePullPolicy: IfNotPresent\n",
    );
    let deployment = find(&objects, "Deployment", "skypilot-api-server");
    assert_eq!(deployment["spec"]["replicas"], 0);
    assert_eq!(
        deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"],
        5
    );
    let api = api_container(&objects);
    assert_eq!(api["imagePullPolicy"], "IfNotPresent");
    assert_eq!(
        env(api, "SKYPILOT_GRACE_PERIOD_SECONDS").unwrap()["value"],
        "5"
    );
}

/// Review of #6: a `null` that removes a value the objects cannot do without is refused with
/// the key and its default; the chart renders an empty image, a null Service port or an empty
/// logrotate `size`, which fail at apply or run time. With the feature off the null is harmless.
#[test]
fn null_on_a_value_the_objects_need_is_refused_naming_the_key() {
    for (yaml, key, default) in [
        (
            "apiService:\n  image: null\n",
            "apiService.image",
            "berkeleyskypilot/skypilot-nightly:latest",
        ),
        (
            "gcpCredentials:\n  enabled: true\n  image: null\n",
            "gcpCredentials.image",
            "google/cloud-sdk:latest",
        ),
        (
            "apiService:\n  metrics:\n    enabled: true\n    port: null\n",
            "apiService.metrics.port",
            "9090",
        ),
        (
            "apiService:\n  logs:\n    retention:\n      size: null\n",
            "apiService.logs.retention.size",
            "10M",
        ),
    ] {
        let message = refused(yaml);
        assert!(message.contains(&format!("{key} is not set")), "{message}");
        assert!(
            message.contains(&format!("help: set {key} (the default is {default})")),
            "{message}"
        );
    }
    let message = refused("vastCredentials:\n  enabled: true\n  vastSecretName: null\n");
    assert!(
        message
            .contains("help: set vastCredentials.vastSecretName (the default is vast-credentials)"),
        "{message}"
    );
    let message = refused("awsCredentials:\n  enabled: true\n  accessKeyIdKeyName: null\n");
    assert!(
        message.contains("awsCredentials.accessKeyIdKeyName is not set"),
        "{message}"
    );
    render("awsCredentials:\n  enabled: true\n  useCredentialsFile: true\n  accessKeyIdKeyName: null\n");
    render("vastCredentials:\n  vastSecretName: null\n");
    render("gcpCredentials:\n  image: null\n");
    render("apiService:\n  metrics:\n    port: null\n");
    render("apiService:\n  logs:\n    retention:\n      enabled: false\n      size: null\n");
}

/// Review of #6: a non-string annotation (`prometheus.io/port: 9090`, unquoted) is refused at
/// its own key; Kubernetes refuses it at apply time, and the message used to be "expected a
/// mapping, found a mapping" for the whole map.
#[test]
fn a_non_string_annotation_is_reported_at_its_own_key() {
    let message = refused("apiService:\n  annotations:\n    prometheus.io/port: 9090\n");
    assert!(
        message.contains(
            "apiService.annotations.prometheus.io/port: expected a string, found an integer 9090"
        ),
        "{message}"
    );
    assert!(message.contains("-:3:"), "{message}");
    let message = refused("rbac:\n  serviceAccountAnnotations:\n    a: true\n");
    assert!(
        message.contains("rbac.serviceAccountAnnotations.a: expected a string"),
        "{message}"
    );
}
