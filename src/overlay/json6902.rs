//! RFC 6902 JSON patch (`type: json6902`): a list of operations, applied with the `json-patch`
//! crate. All operations apply or none: a failing one leaves the object as it was.

use serde_json::Value;

use super::patch::{Effect, Patcher, Problem};

pub struct JsonPatch(json_patch::Patch);

impl JsonPatch {
    pub fn new(patch: &Value) -> Result<JsonPatch, Problem> {
        let Value::Array(ops) = patch else {
            return Err(Problem::at(
                "",
                format!(
                    "expected a list of operations, found {}",
                    crate::values::kind_of(patch)
                ),
            ));
        };
        let mut out = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            // One at a time, so the error names the operation.
            let parsed: json_patch::PatchOperation = serde_json::from_value(op.clone())
                .map_err(|e| Problem::at(format!("/{i}"), format!("operation {i}: {e}")))?;
            out.push(parsed);
        }
        Ok(JsonPatch(json_patch::Patch(out)))
    }
}

impl Patcher for JsonPatch {
    fn apply(&self, object: &mut Value) -> Result<Effect, String> {
        json_patch::patch(object, &self.0).map_err(|e| {
            format!(
                "operation {} ({}) failed: {}",
                e.operation,
                if e.path.as_str().is_empty() {
                    "/"
                } else {
                    e.path.as_str()
                },
                e.kind
            )
        })?;
        Ok(Effect::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operations_apply_and_failures_name_the_operation() {
        let p = JsonPatch::new(&json!([
            {"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "add", "path": "/metadata/labels/tier", "value": "api"}
        ]))
        .unwrap();
        let mut obj = json!({"metadata": {"labels": {}}, "spec": {"replicas": 1}});
        p.apply(&mut obj).unwrap();
        assert_eq!(
            obj,
            json!({"metadata": {"labels": {"tier": "api"}}, "spec": {"replicas": 3}})
        );
        let p = JsonPatch::new(&json!([{"op": "remove", "path": "/spec/nope"}])).unwrap();
        let err = p.apply(&mut obj).unwrap_err();
        assert!(err.contains("operation 0"), "{err}");
    }

    #[test]
    fn malformed_operations_are_refused() {
        assert!(JsonPatch::new(&json!({"op": "add"})).is_err());
        let e = JsonPatch::new(
            &json!([{"op": "add", "path": "/a", "value": 1}, {"op": "frobnicate", "path": "/a"}]),
        )
        .err()
        .unwrap();
        assert_eq!(e.pointer, "/1");
    }
}
