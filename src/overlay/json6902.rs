//! RFC 6902 JSON patch (`type: json6902`): a list of operations, applied with the `json-patch`
//! crate. All operations apply or none: a failing one leaves the object as it was.

use serde_json::Value;

use json_patch::PatchOperation;

use super::guard::{self, MAX_COPY_NODES};
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
        // One operation at a time on a copy (all or nothing, as before), so each result is
        // checked: a chain of `add`s or `copy`s could otherwise nest an object deeper than any
        // reader takes, or double it until memory runs out (issue 17).
        let mut work = object.clone();
        for (i, op) in self.0 .0.iter().enumerate() {
            let path = op.path().as_str();
            let shown = if path.is_empty() { "/" } else { path };
            json_patch::patch(&mut work, std::slice::from_ref(op))
                .map_err(|e| format!("operation {i} ({shown}) failed: {}", e.kind))?;
            if matches!(op, PatchOperation::Test(_) | PatchOperation::Remove(_)) {
                continue;
            }
            let placed = match path.strip_suffix("/-") {
                Some(list) => work.pointer(list).and_then(|l| l.as_array()?.last()),
                None => work.pointer(path),
            };
            let (nodes, depth) = placed.map_or((0, 0), |v| guard::measure(v, MAX_COPY_NODES));
            if matches!(op, PatchOperation::Copy(_)) && nodes > MAX_COPY_NODES {
                return Err(format!(
                    "operation {i} ({shown}) copies more than {MAX_COPY_NODES} nodes"
                ));
            }
            if path.matches('/').count() + depth > crate::yaml::MAX_DEPTH {
                return Err(format!(
                    "operation {i} ({shown}) nests the object deeper than {} levels",
                    crate::yaml::MAX_DEPTH
                ));
            }
        }
        *object = work;
        Ok(Effect::Keep)
    }

    fn cost(&self) -> usize {
        self.0
             .0
            .iter()
            .map(|op| match op {
                PatchOperation::Add(a) => guard::measure(&a.value, usize::MAX).0,
                PatchOperation::Replace(r) => guard::measure(&r.value, usize::MAX).0,
                PatchOperation::Copy(_) => MAX_COPY_NODES,
                _ => 1,
            })
            .sum()
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
