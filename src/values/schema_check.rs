//! A fast pass/fail check of values against the values schema, so the common case (valid values)
//! never compiles a `jsonschema` validator (about 2 ms, half of it meta-validating our own
//! schema). It understands exactly the keywords the generated schema uses and answers
//! [`Verdict::Unsure`] for anything else (a keyword, a `$ref` form, a number it cannot compare
//! exactly, a pattern Rust's regex might read differently from ECMA 262). Only
//! [`Verdict::Valid`] skips `jsonschema`; on anything else the validate stage runs `jsonschema`,
//! which finds and explains the errors. So this check never decides that values are wrong, and
//! it is right when it says they are valid: the test `agrees_with_jsonschema` holds it to that.
//!
//! Like the validate stage, it ignores `additionalProperties: false` outside `anyOf`/`oneOf`
//! branches: unknown keys are reported (with did-you-mean) by the unknown-key walk instead.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{Map, Value};

/// What the fast check concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    Invalid,
    /// Outside what the fast check understands: ask `jsonschema`.
    Unsure,
}

use Verdict::{Invalid, Unsure, Valid};

/// Keywords that never constrain a value.
const ANNOTATIONS: &[&str] = &["description", "title", "$schema", "$defs", "default"];

/// Is `instance` valid against `root` (the values schema)?
pub fn check(root: &Value, instance: &Value) -> Verdict {
    Checker { root }.node(root, instance, false)
}

struct Checker<'a> {
    root: &'a Value,
}

/// Combine verdicts that must all hold.
fn all(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
    let mut out = Valid;
    for v in verdicts {
        match v {
            Invalid => return Invalid,
            Unsure => out = Unsure,
            Valid => {}
        }
    }
    out
}

fn regex(pattern: &str) -> Option<regex::Regex> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<regex::Regex>>>> = OnceLock::new();
    // Classes whose meaning differs between ECMA 262 and Rust's regex (Unicode `\d`, `\w`, …).
    if pattern.contains(['\\'])
        && pattern.chars().collect::<Vec<_>>().windows(2).any(|w| {
            w[0] == '\\'
                && matches!(
                    w[1],
                    'd' | 'D' | 'w' | 'W' | 's' | 'S' | 'b' | 'B' | 'p' | 'P' | 'u' | 'c' | 'k'
                )
        })
    {
        return None;
    }
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
    cache
        .entry(pattern.to_owned())
        .or_insert_with(|| regex::Regex::new(pattern).ok())
        .clone()
}

/// A number as an exact integer when it is one that `f64` also holds exactly.
fn exact_int(v: &Value) -> Option<i64> {
    let n = v.as_number()?;
    let i = n.as_i64()?;
    (i.unsigned_abs() <= 1 << 53).then_some(i)
}

impl<'a> Checker<'a> {
    fn node(&self, schema: &'a Value, inst: &Value, in_branch: bool) -> Verdict {
        let s = match schema {
            Value::Bool(true) => return Valid,
            Value::Bool(false) => return Invalid,
            Value::Object(s) => s,
            _ => return Unsure,
        };
        let mut out = Valid;
        for (k, kv) in s {
            let v = match k.as_str() {
                k if ANNOTATIONS.contains(&k) => Valid,
                "format" => {
                    // The only format the schema uses; jsonschema does not know it (annotation).
                    if kv == "int64" {
                        Valid
                    } else {
                        Unsure
                    }
                }
                "$ref" => match kv.as_str().and_then(|r| r.strip_prefix("#/$defs/")) {
                    Some(name) if !name.contains(['/', '~']) => {
                        match self.root.get("$defs").and_then(|d| d.get(name)) {
                            Some(target) => self.node(target, inst, in_branch),
                            None => Unsure,
                        }
                    }
                    _ => Unsure,
                },
                "type" => type_check(kv, inst),
                "enum" => match kv.as_array() {
                    Some(list) => one_of_values(list.iter(), inst),
                    None => Unsure,
                },
                "const" => one_of_values(std::iter::once(kv), inst),
                "minimum" | "maximum" => match (inst.is_number(), exact_int(kv)) {
                    (false, _) => Valid,
                    (true, Some(bound)) => match exact_int(inst) {
                        Some(n) if k == "minimum" => verdict(n >= bound),
                        Some(n) => verdict(n <= bound),
                        None => Unsure,
                    },
                    (true, None) => Unsure,
                },
                "maxLength" => match (inst.as_str(), kv.as_u64()) {
                    (None, _) => Valid,
                    (Some(text), Some(max)) => verdict(text.chars().count() as u64 <= max),
                    (Some(_), None) => Unsure,
                },
                "pattern" => match (inst.as_str(), kv.as_str().and_then(regex)) {
                    (None, _) => Valid,
                    (Some(text), Some(re)) => verdict(re.is_match(text)),
                    (Some(_), None) => Unsure,
                },
                "items" => match (inst.as_array(), kv) {
                    (None, _) => Valid,
                    (Some(items), Value::Object(_) | Value::Bool(_)) => {
                        all(items.iter().map(|i| self.node(kv, i, in_branch)))
                    }
                    _ => Unsure,
                },
                "properties" => match (inst.as_object(), kv.as_object()) {
                    (None, _) => Valid,
                    (Some(obj), Some(props)) => all(obj.iter().filter_map(|(name, val)| {
                        Some(self.node(props.get(name)?, val, in_branch))
                    })),
                    _ => Unsure,
                },
                "additionalProperties" => match inst.as_object() {
                    None => Valid,
                    Some(obj) => self.additional(s, kv, obj, in_branch),
                },
                "anyOf" | "oneOf" => match kv.as_array() {
                    Some(branches) => {
                        let vs: Vec<Verdict> =
                            branches.iter().map(|b| self.node(b, inst, true)).collect();
                        let valid = vs.iter().filter(|v| **v == Valid).count();
                        if vs.contains(&Unsure) {
                            // An unsure branch could still decide either way.
                            if k == "anyOf" && valid > 0 {
                                Valid
                            } else {
                                Unsure
                            }
                        } else if k == "anyOf" {
                            verdict(valid > 0)
                        } else {
                            verdict(valid == 1)
                        }
                    }
                    None => Unsure,
                },
                _ => Unsure,
            };
            match v {
                Invalid => return Invalid,
                Unsure => out = Unsure,
                Valid => {}
            }
        }
        out
    }

    /// `additionalProperties`: the keys `properties` does not name.
    fn additional(
        &self,
        s: &'a Map<String, Value>,
        kv: &'a Value,
        obj: &Map<String, Value>,
        in_branch: bool,
    ) -> Verdict {
        if s.contains_key("patternProperties") {
            return Unsure;
        }
        let props = s.get("properties").and_then(Value::as_object);
        let mut extra = obj
            .iter()
            .filter(|(k, _)| props.is_none_or(|p| !p.contains_key(*k)));
        match kv {
            // Outside a branch an unknown key is the unknown-key walk's to report (see above).
            Value::Bool(false) if !in_branch => Valid,
            Value::Bool(false) => verdict(extra.next().is_none()),
            _ => all(extra.map(|(_, v)| self.node(kv, v, in_branch))),
        }
    }
}

fn verdict(ok: bool) -> Verdict {
    if ok {
        Valid
    } else {
        Invalid
    }
}

/// `type`: one name or a list of names.
fn type_check(kv: &Value, inst: &Value) -> Verdict {
    let names: Vec<&str> = match kv {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => match a.iter().map(Value::as_str).collect::<Option<Vec<_>>>() {
            Some(n) => n,
            None => return Unsure,
        },
        _ => return Unsure,
    };
    let mut out = Invalid;
    for name in names {
        let v = match (name, inst) {
            ("null", Value::Null)
            | ("boolean", Value::Bool(_))
            | ("string", Value::String(_))
            | ("array", Value::Array(_))
            | ("object", Value::Object(_))
            | ("number", Value::Number(_)) => Valid,
            ("integer", Value::Number(n)) if n.is_i64() || n.is_u64() => Valid,
            // `1.0` is an integer to JSON Schema; leave such edge cases to jsonschema.
            ("integer", Value::Number(_)) => Unsure,
            ("null" | "boolean" | "string" | "array" | "object" | "number" | "integer", _) => {
                Invalid
            }
            _ => Unsure,
        };
        match v {
            Valid => return Valid,
            Unsure => out = Unsure,
            Invalid => {}
        }
    }
    out
}

/// `enum`/`const`: equal to one of the values. Numbers of different representations (`1` and
/// `1.0`) are left to jsonschema.
fn one_of_values<'v>(mut values: impl Iterator<Item = &'v Value>, inst: &Value) -> Verdict {
    let mut out = Invalid;
    for v in values.by_ref() {
        if v == inst {
            return Valid;
        }
        if has_float(v) || has_float(inst) {
            out = Unsure;
        }
    }
    out
}

fn has_float(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_f64(),
        Value::Array(a) => a.iter().any(has_float),
        Value::Object(m) => m.values().any(has_float),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jsonschema_valid(schema: &Value, inst: &Value) -> bool {
        let v = jsonschema::options().build(schema).unwrap();
        let invalid = v.iter_errors(inst).any(|e| {
            !matches!(
                e.kind(),
                jsonschema::error::ValidationErrorKind::AdditionalProperties { .. }
            )
        });
        !invalid
    }

    /// Whenever the fast check says valid or invalid, jsonschema (as the validate stage reads
    /// it) agrees: over many valid and invalid mutations of the default values.
    #[test]
    fn agrees_with_jsonschema() {
        let schema = crate::values::schema::shared();
        let base = crate::values::load(&[], &mut std::io::empty())
            .unwrap()
            .tree;
        let mut cases = vec![base.clone()];
        let edits: &[(&str, Value)] = &[
            ("/apiService/metrics/port", json!(0)),
            ("/apiService/metrics/port", json!(70000)),
            ("/apiService/metrics/port", json!(9090)),
            ("/apiService/metrics/port", json!("9090")),
            ("/apiService/metrics/port", json!(9090.0)),
            ("/apiService/metrics/port", json!(9090.5)),
            ("/ingress/host", json!("sky.example.com")),
            ("/ingress/host", json!("Sky.example.com")),
            ("/ingress/host", json!("*.example.com")),
            ("/ingress/host", json!("bad host\n")),
            ("/ingress/path", json!("/sky")),
            ("/ingress/path", json!("sky")),
            ("/apiService/replicas", json!(-1)),
            ("/apiService/replicas", json!(2)),
            ("/apiService/upgradeStrategy", json!("RollingUpdate")),
            ("/apiService/upgradeStrategy", json!("Rolling")),
            (
                "/apiService/rollingUpdate",
                json!({"maxSurge": "25%", "maxUnavailable": 0}),
            ),
            (
                "/apiService/rollingUpdate",
                json!({"maxSurge": "25", "maxUnavailable": -1}),
            ),
            ("/storage/size", json!("10Gi")),
            ("/storage/size", json!(10)),
            ("/storage/accessMode", json!("ReadWriteMany")),
            ("/storage/accessMode", json!("ReadWriteSome")),
            ("/apiService/annotations", json!({"a": "b"})),
            ("/apiService/annotations", json!({"a": 1})),
            (
                "/apiService/extraEnvs",
                json!([{"name": "A", "value": "b"}]),
            ),
            ("/apiService/extraEnvs", json!("A=b")),
            ("/ingress/enabled", json!("yes")),
            ("/auth/oauth/enabled", json!(true)),
            ("/auth/oauth/cookie-refresh", json!(30)),
            ("/auth/oauth/cookie-refresh", json!([30])),
            ("/rbac/serviceAccountName", json!("sa")),
            ("/rbac/serviceAccountName", json!("SA_")),
            (
                "/ingress-nginx/controller/service/nodePorts/http",
                json!(30000),
            ),
            (
                "/ingress-nginx/controller/service/nodePorts/http",
                json!(true),
            ),
            ("/ingress-nginx/controller/replicaCount", json!(1.5)),
        ];
        for (pointer, value) in edits {
            let mut tree = base.clone();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            let Some(Value::Object(m)) = tree.pointer_mut(parent) else {
                panic!("{parent} is not in the defaults")
            };
            m.insert(key.to_owned(), value.clone());
            cases.push(tree);
        }
        let mut decided = 0;
        for (i, case) in cases.iter().enumerate() {
            let fast = check(schema, case);
            let slow = jsonschema_valid(schema, case);
            match fast {
                Valid => assert!(slow, "case {i}: fast says valid, jsonschema does not"),
                Invalid => assert!(!slow, "case {i}: fast says invalid, jsonschema does not"),
                Unsure => continue,
            }
            decided += 1;
        }
        assert_eq!(
            check(schema, &base),
            Valid,
            "the defaults take the fast path"
        );
        assert!(
            decided >= cases.len() - 4,
            "the fast check decides most cases"
        );
    }
}
