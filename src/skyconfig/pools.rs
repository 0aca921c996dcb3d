//! `apiService.sshNodePools`: the server's `~/.sky/ssh_node_pools.yaml`.
//!
//! SkyPilot has no schema for this file; its loader reads `pool → {user, identity_file,
//! password, hosts: [address | {ip, user, identity_file, password}]}` (unchanged from 0.10 to
//! 0.14) and only when someone runs `sky ssh up`, so a mistake surfaces late. This module holds
//! skygen's own JSON Schema of that format and checks the document against it, whatever the
//! SkyPilot version. Unknown keys are warnings (SkyPilot ignores them); everything else is an
//! error. The file holds passwords, so no message shows a value.

use std::sync::OnceLock;

use serde_json::{json, Value};

use super::check::{self, Wording};
use super::POOLS_POINTER;
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::values::{kind_of, Merged};

/// skygen's schema of `ssh_node_pools.yaml`, compiled by `jsonschema` only to explain errors.
fn validator() -> &'static jsonschema::Validator {
    static COMPILED: OnceLock<jsonschema::Validator> = OnceLock::new();
    COMPILED.get_or_init(|| {
        jsonschema::draft7::new(schema())
            .expect("the SSH node pools schema compiles; this is a skygen bug")
    })
}

/// skygen's schema of `ssh_node_pools.yaml`.
fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let credentials = json!({
            "user": {"type": "string"},
            "identity_file": {"type": "string"},
            "password": {"type": ["string", "null"]},
        });
        let mut host = json!({
            "type": "object",
            "required": ["ip"],
            "additionalProperties": false,
            "properties": {"ip": {"type": "string"}},
        });
        let mut pool = json!({
            "type": "object",
            "required": ["hosts"],
            "additionalProperties": false,
            "properties": {
                "hosts": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"anyOf": [{"type": "string"}, Value::Null]},
                },
            },
        });
        for (k, v) in credentials.as_object().expect("a literal mapping") {
            host["properties"][k] = v.clone();
            pool["properties"][k] = v.clone();
        }
        pool["properties"]["hosts"]["items"]["anyOf"][1] = host;
        json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "additionalProperties": pool,
        })
    })
}

/// Check the node pools document.
pub(super) fn check(merged: &Merged, text: &str) -> Vec<Diagnostic> {
    let name = "apiService.sshNodePools";
    let (doc, blame) = match check::read(merged, POOLS_POINTER, name, text, None) {
        Ok(r) => r,
        Err(d) => return vec![*d],
    };
    if doc.value.is_null() {
        return Vec::new();
    }
    if !doc.value.is_object() {
        return vec![Diagnostic::error(
            Code::InvalidValue,
            format!(
                "must be a mapping of pool names to pools, found {}",
                kind_of(&doc.value)
            ),
        )
        .with_key(name)
        .with_origin(merged.origins.of(POOLS_POINTER).cloned())
        .with_help(
            "write `my-pool: {hosts: [10.0.0.1], user: ubuntu, identity_file: ~/.ssh/key}`",
        )];
    }
    let wording = Wording {
        name,
        secret: |_| true,
        unknown: Severity::Warning,
        release: None,
    };
    check::against(&doc, &blame, schema(), || (schema(), validator()), &wording)
}
