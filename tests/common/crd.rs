//! Offline validation of custom resources against the `openAPIV3Schema` of their CRD (files in
//! `tests/fixtures/crds/`, see the README there), with the `jsonschema` crate.
//!
//! The API server does more than JSON Schema with a CRD schema: it *prunes* fields the schema
//! does not declare (they vanish silently) and, with `kubectl apply --validate=strict` (the
//! default since 1.25 for server-side field validation), refuses them. Either way an unknown
//! field is a bug in what skygen renders, so the conversion closes every object that declares
//! `properties` (`additionalProperties: false`) unless it says
//! `x-kubernetes-preserve-unknown-fields`. It also maps `x-kubernetes-int-or-string` and
//! `nullable` to plain JSON Schema. CEL rules (`x-kubernetes-validations`) are not evaluated:
//! tests that care check them by hand. `metadata` is left to the API server's own ObjectMeta
//! rules.

use std::path::Path;

use serde_json::{json, Value};

/// One CRD version's schema, ready to validate objects of `apiVersion`/`kind`.
pub struct CrdSchema {
    pub api_version: String,
    pub kind: String,
    validator: jsonschema::Validator,
}

impl CrdSchema {
    /// Every problem with `object`, as `path: message` lines (empty when valid).
    pub fn errors(&self, object: &Value) -> Vec<String> {
        self.validator
            .iter_errors(object)
            .map(|e| format!("{}: {}", e.instance_path(), e))
            .collect()
    }
}

/// Load every served version of the CRD in `file` (a path under `tests/fixtures/crds`).
pub fn load(file: &str) -> Vec<CrdSchema> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/crds")
        .join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let docs = skygen::yaml::read_stream(&text).expect("CRD fixture is YAML");
    let crd = &docs[0].value;
    assert_eq!(crd["kind"], "CustomResourceDefinition", "{file}");
    let group = crd["spec"]["group"].as_str().expect("spec.group");
    let kind = crd["spec"]["names"]["kind"]
        .as_str()
        .expect("spec.names.kind");
    let versions = crd["spec"]["versions"].as_array().expect("spec.versions");
    versions
        .iter()
        .filter(|v| v["served"] == true)
        .map(|v| {
            let mut schema = v["schema"]["openAPIV3Schema"].clone();
            strict(&mut schema);
            // ObjectMeta is validated by the API server itself, not by the CRD schema.
            schema["properties"]["metadata"] = json!({"type": "object"});
            let validator = jsonschema::options()
                .should_validate_formats(false)
                .build(&schema)
                .unwrap_or_else(|e| panic!("{file}: schema does not compile: {e}"));
            CrdSchema {
                api_version: format!("{group}/{}", v["name"].as_str().expect("version name")),
                kind: kind.to_owned(),
                validator,
            }
        })
        .collect()
}

/// Rewrite one schema node (and everything below it) to JSON Schema with pruning as refusal.
pub fn strict(node: &mut Value) {
    let Some(m) = node.as_object_mut() else {
        return;
    };
    if m.remove("x-kubernetes-int-or-string") == Some(Value::Bool(true)) {
        m.remove("type");
        m.insert(
            "anyOf".into(),
            json!([{"type": "integer"}, {"type": "string"}]),
        );
    }
    if m.remove("nullable") == Some(Value::Bool(true)) {
        if let Some(Value::String(t)) = m.get("type").cloned() {
            m.insert("type".into(), json!([t, "null"]));
        }
    }
    let preserve = m.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    let is_object = m.get("type").and_then(Value::as_str) == Some("object");
    if !preserve
        && (m.contains_key("properties") || is_object)
        && !m.contains_key("additionalProperties")
    {
        m.insert("additionalProperties".into(), Value::Bool(false));
    }
    if let Some(Value::Object(props)) = m.get_mut("properties") {
        props.values_mut().for_each(strict);
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child @ Value::Object(_)) = m.get_mut(key) {
            strict(child);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(list)) = m.get_mut(key) {
            list.iter_mut().for_each(strict);
        }
    }
}

/// The schema among `schemas` for an object's `apiVersion` and `kind`.
pub fn schema_for<'a>(schemas: &'a [CrdSchema], object: &Value) -> Option<&'a CrdSchema> {
    schemas.iter().find(|s| {
        object["apiVersion"] == s.api_version.as_str() && object["kind"] == s.kind.as_str()
    })
}
