//! RFC 7386 JSON merge patch (`type: merge`), applied with the `json-patch` crate: maps merge,
//! `null` removes a key, anything else (lists included) replaces.

use serde_json::Value;

use super::patch::{require_mapping, Effect, Patcher, Problem};

pub struct MergePatch(Value);

impl MergePatch {
    pub fn new(patch: &Value) -> Result<MergePatch, Problem> {
        require_mapping(patch)?;
        Ok(MergePatch(patch.clone()))
    }
}

impl Patcher for MergePatch {
    fn apply(&self, object: &mut Value) -> Result<Effect, String> {
        json_patch::merge(object, &self.0);
        Ok(Effect::Keep)
    }

    fn cost(&self) -> usize {
        super::guard::measure(&self.0, usize::MAX).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_merge_nulls_remove_lists_replace() {
        let p = MergePatch::new(&json!({"a": {"b": null, "c": 2}, "l": [3]})).unwrap();
        let mut obj = json!({"a": {"b": 1, "d": 4}, "l": [1, 2]});
        p.apply(&mut obj).unwrap();
        assert_eq!(obj, json!({"a": {"d": 4, "c": 2}, "l": [3]}));
        assert!(MergePatch::new(&json!([1])).is_err());
    }
}
