//! A render compiles only the templates it uses (#11): the template environment loads each on
//! first use, skips a template whose `{# when: … #}` guard is false and renders a script only
//! when the Deployment reads it. This file holds one test so that nothing else in its process
//! compiles templates; the environment's debug form lists the templates compiled so far.

fn inputs() -> skygen::inputs::Inputs {
    skygen::inputs::Inputs {
        sources: vec![skygen::values::ValueSource::File(
            concat!(env!("CARGO_MANIFEST_DIR"), "/benches/realistic.values.yaml").into(),
        )],
        overlays: vec![],
        release: skygen::values::Release::default(),
        allow_vulnerable_ingress_nginx: true,
        skypilot_version: None,
        lifecycle: Default::default(),
    }
}

#[test]
fn a_render_compiles_only_what_it_renders() {
    let names = ["blue".to_owned(), "green".to_owned()];
    let out = skygen::render_releases(&inputs(), &names, &mut std::io::empty()).unwrap();
    assert_eq!(out.len(), 2);
    let env = format!("{:?}", skygen::templates::environment());
    // What the realistic values render: the API server, its scripts for AWS and GCP, the
    // bundled ingress-nginx.
    for used in [
        "skypilot/api-deployment.yaml",
        "skypilot/api-start.sh",
        "skypilot/aws-init.sh",
        "skypilot/gcp-init.sh",
        "skypilot/ingress.yaml",
        "ingress-nginx/controller.yaml",
    ] {
        assert!(env.contains(used), "{used} was not compiled: {env}");
    }
    // Off in these values: guarded templates and scripts nobody reads.
    for unused in [
        "prometheus/server.yaml",
        "grafana/deployment.yaml",
        "skypilot/oauth2-proxy.yaml",
        "skypilot/gateway.yaml",
        "ingress-nginx/legacy-nodeport.yaml",
        "ingress-nginx/metrics-service.yaml",
        "ingress-nginx/scaling.yaml",
        "skypilot/r2-init.sh",
        "skypilot/vast-init.sh",
        // Parts of the Deployment for credentials these values do not use.
        "skypilot/api-deployment/mounts-r2-coreweave.yaml",
        "skypilot/api-deployment/init-more.yaml",
        "skypilot/api-deployment/volumes-more.yaml",
    ] {
        assert!(!env.contains(unused), "{unused} was compiled: {env}");
    }
}
