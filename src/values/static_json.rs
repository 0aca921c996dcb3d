//! A JSON document fixed when skygen is built, kept as static Rust data (slices of slices) that
//! a run reads in place: nothing is built, hashed or freed. The values schema is kept this way
//! (`build.rs` writes it from `schema/values.schema.json` with [`write`]), so the schema walk
//! and the fast schema check ([`super::schema_check`]) read it directly instead of first
//! building a `serde_json` tree of ~1,800 nodes and then looking up each keyword through a
//! SipHash-keyed map (#11). [`Node`] is what those readers need from a schema document; it is
//! implemented for this form and for `serde_json::Value`, so the same code reads both and tests
//! hold the two readings equal. [`to_value`] gives the `serde_json` tree (for `jsonschema`,
//! which only the error path compiles).
//!
//! This file depends on `serde_json` alone: `build.rs` includes it too.

use serde_json::{Map, Number, Value};

/// One JSON value as static data. A mapping keeps the document's order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// An integer ≥ 0 (serde_json keeps it apart from a negative one and from a float).
    Pos(u64),
    Neg(i64),
    Float(f64),
    Str(&'static str),
    List(&'static [Json]),
    Map(&'static [(&'static str, Json)]),
}

/// The `serde_json` tree of `j`.
pub fn to_value(j: &Json) -> Value {
    match *j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(b),
        Json::Pos(n) => Value::from(n),
        Json::Neg(n) => Value::from(n),
        Json::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        Json::Str(s) => Value::String(s.to_owned()),
        Json::List(items) => Value::Array(items.iter().map(to_value).collect()),
        Json::Map(entries) => {
            let mut m = Map::with_capacity(entries.len());
            for (k, v) in entries {
                m.insert((*k).to_owned(), to_value(v));
            }
            Value::Object(m)
        }
    }
}

/// Append `v` as a Rust expression of type [`Json`] (`use …::Json::*` where it is included),
/// one entry a line, indented by depth.
pub fn write(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Null => out.push_str("Null"),
        Value::Bool(b) => out.push_str(&format!("Bool({b})")),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => out.push_str(&format!("Pos({u})")),
            (None, Some(i), _) => out.push_str(&format!("Neg({i})")),
            (None, None, Some(f)) => out.push_str(&format!("Float({f:?})")),
            _ => unreachable!("a JSON number is an integer or a float"),
        },
        Value::String(s) => out.push_str(&format!("Str({s:?})")),
        Value::Array(a) => {
            out.push_str("List(&[\n");
            for x in a {
                out.push_str(&"    ".repeat(indent + 1));
                write(x, indent + 1, out);
                out.push_str(",\n");
            }
            out.push_str(&"    ".repeat(indent));
            out.push_str("])");
        }
        Value::Object(m) => {
            out.push_str("Map(&[\n");
            for (k, x) in m {
                out.push_str(&"    ".repeat(indent + 1));
                out.push_str(&format!("({k:?}, "));
                write(x, indent + 1, out);
                out.push_str("),\n");
            }
            out.push_str(&"    ".repeat(indent));
            out.push_str("])");
        }
    }
}

/// What the schema readers need from a JSON schema document: its values' kinds and contents, and
/// how a value compares with an instance (a `serde_json` tree).
pub trait Node: Sized + 'static {
    /// The schema `true` (accepts anything), for a child that no keyword restricts.
    fn accept_all() -> &'static Self;
    fn as_bool(&self) -> Option<bool>;
    fn as_str(&self) -> Option<&str>;
    /// An integer ≥ 0.
    fn as_u64(&self) -> Option<u64>;
    /// An integer that fits `i64` (never a float).
    fn as_i64(&self) -> Option<i64>;
    fn is_object(&self) -> bool;
    fn as_list(&self) -> Option<&[Self]>;
    /// A mapping's entries in document order; `None` for anything else.
    fn entries(&self) -> Option<impl Iterator<Item = (&str, &Self)>>;
    /// The value of a mapping's entry `key` (a property name, a definition).
    fn get(&self, key: &str) -> Option<&Self>;
    /// A keyword of a schema node. Found by comparing names: a node has a handful of keywords.
    fn keyword(&self, name: &str) -> Option<&Self> {
        self.entries()?.find_map(|(k, v)| (k == name).then_some(v))
    }
    /// Whether `self` and `v` are equal as JSON values (as `serde_json` compares them: `1` and
    /// `1.0` differ, a mapping's order does not count).
    fn same_as(&self, v: &Value) -> bool;
    /// Whether a float is anywhere in the value.
    fn has_float(&self) -> bool;
    /// The value as a `serde_json` tree (for messages).
    fn to_value(&self) -> Value;
}

impl Node for Json {
    fn accept_all() -> &'static Json {
        &Json::Bool(true)
    }
    fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
    fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Pos(n) => Some(*n),
            _ => None,
        }
    }
    fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Pos(n) => i64::try_from(*n).ok(),
            Json::Neg(n) => Some(*n),
            _ => None,
        }
    }
    fn is_object(&self) -> bool {
        matches!(self, Json::Map(_))
    }
    fn as_list(&self) -> Option<&[Json]> {
        match self {
            Json::List(items) => Some(items),
            _ => None,
        }
    }
    fn entries(&self) -> Option<impl Iterator<Item = (&str, &Json)>> {
        match self {
            Json::Map(entries) => Some(entries.iter().map(|(k, v)| (*k, v))),
            _ => None,
        }
    }
    fn get(&self, key: &str) -> Option<&Json> {
        self.keyword(key)
    }
    fn same_as(&self, v: &Value) -> bool {
        match (self, v) {
            (Json::Null, Value::Null) => true,
            (Json::Bool(a), Value::Bool(b)) => a == b,
            (Json::Pos(a), Value::Number(n)) => !n.is_f64() && n.as_u64() == Some(*a),
            (Json::Neg(a), Value::Number(n)) => !n.is_f64() && n.as_i64() == Some(*a),
            (Json::Float(a), Value::Number(n)) => n.is_f64() && n.as_f64() == Some(*a),
            (Json::Str(a), Value::String(b)) => a == b,
            (Json::List(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as(y))
            }
            (Json::Map(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, x)| b.get(*k).is_some_and(|y| x.same_as(y)))
            }
            _ => false,
        }
    }
    fn has_float(&self) -> bool {
        match self {
            Json::Float(_) => true,
            Json::List(items) => items.iter().any(Node::has_float),
            Json::Map(entries) => entries.iter().any(|(_, v)| v.has_float()),
            _ => false,
        }
    }
    fn to_value(&self) -> Value {
        to_value(self)
    }
}

impl Node for Value {
    fn accept_all() -> &'static Value {
        &Value::Bool(true)
    }
    fn as_bool(&self) -> Option<bool> {
        Value::as_bool(self)
    }
    fn as_str(&self) -> Option<&str> {
        Value::as_str(self)
    }
    fn as_u64(&self) -> Option<u64> {
        Value::as_u64(self)
    }
    fn as_i64(&self) -> Option<i64> {
        self.as_number()?.as_i64()
    }
    fn is_object(&self) -> bool {
        Value::is_object(self)
    }
    fn as_list(&self) -> Option<&[Value]> {
        self.as_array().map(Vec::as_slice)
    }
    fn entries(&self) -> Option<impl Iterator<Item = (&str, &Value)>> {
        Some(self.as_object()?.iter().map(|(k, v)| (k.as_str(), v)))
    }
    fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.get(key)
    }
    fn same_as(&self, v: &Value) -> bool {
        self == v
    }
    fn has_float(&self) -> bool {
        match self {
            Value::Number(n) => n.is_f64(),
            Value::Array(a) => a.iter().any(Node::has_float),
            Value::Object(m) => m.values().any(Node::has_float),
            _ => false,
        }
    }
    fn to_value(&self) -> Value {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `same_as` answers as serde_json's equality, over values that differ in every way the
    /// two forms could confuse (number kinds, order of keys, lengths).
    #[test]
    fn same_as_is_serde_json_equality() {
        static VALUES: &[Json] = &[
            Json::Null,
            Json::Bool(true),
            Json::Bool(false),
            Json::Pos(1),
            Json::Pos(0),
            Json::Neg(-1),
            Json::Float(1.0),
            Json::Float(-1.0),
            Json::Str("1"),
            Json::Str(""),
            Json::List(&[]),
            Json::List(&[Json::Pos(1)]),
            Json::List(&[Json::Pos(1), Json::Str("a")]),
            Json::Map(&[]),
            Json::Map(&[("a", Json::Pos(1))]),
            Json::Map(&[("a", Json::Pos(1)), ("b", Json::Null)]),
            Json::Map(&[("b", Json::Null), ("a", Json::Pos(1))]),
            Json::Map(&[("a", Json::Float(1.0))]),
        ];
        let mut values: Vec<Value> = VALUES.iter().map(to_value).collect();
        values.extend([json!(u64::MAX), json!(1.5), json!({"a": 1, "c": null})]);
        for a in VALUES {
            for b in &values {
                assert_eq!(a.same_as(b), to_value(a) == *b, "{a:?} against {b}");
            }
        }
    }
}
