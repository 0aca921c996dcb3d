//! Generated files: `schema/values.schema.json` is rebuilt from the Rust types and compared with
//! the committed copy (set `UPDATE_SCHEMA=1` to rewrite it), `src/values/defaults_tree.rs` from
//! `src/values/defaults.yaml` (set `UPDATE_DEFAULTS=1`), and the default values must pass their
//! own schema and render without warnings.

use std::path::PathBuf;

/// The committed generated file at `rel` is `fresh`; with `env` set, rewrite it first.
fn committed_is(rel: &str, fresh: &str, env: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel);
    if std::env::var_os(env).is_some() {
        std::fs::write(&path, fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{rel} is stale: run `{env}=1 cargo test --test schema` and commit it"
    );
}

#[test]
fn committed_schema_is_up_to_date() {
    let fresh = skygen::values::schema::generate_text();
    committed_is("schema/values.schema.json", &fresh, "UPDATE_SCHEMA");
}

#[test]
fn committed_defaults_tree_is_up_to_date() {
    let fresh = skygen::values::defaults::generate_text();
    committed_is("src/values/defaults_tree.rs", &fresh, "UPDATE_DEFAULTS");
}

#[test]
fn schema_rejects_unknown_keys_and_describes_keys() {
    let schema = skygen::values::schema::generate();
    assert_eq!(schema["additionalProperties"], false);
    let api = &schema["$defs"]["ApiService"];
    assert_eq!(api["additionalProperties"], false);
    assert!(api["properties"]["image"]["description"]
        .as_str()
        .is_some_and(|d| !d.is_empty()));
    assert_eq!(api["properties"]["replicas"]["minimum"], 0);
}

#[test]
fn defaults_validate_cleanly() {
    let merged = skygen::values::load(&[], &mut std::io::empty()).unwrap();
    let validated = skygen::values::validate(merged).unwrap();
    // The one expected finding: the bundled ingress-nginx is retired (#13).
    let others: Vec<_> = validated
        .warnings()
        .iter()
        .filter(|d| d.key.as_deref() != Some("ingress-nginx.enabled"))
        .collect();
    assert_eq!(validated.warnings().len(), 1, "{:?}", validated.warnings());
    assert!(others.is_empty(), "{:?}", validated.warnings());
}
