//! The chart's defaults, the first values layer, without reading YAML at run time.
//!
//! `defaults.yaml` is the source (people edit it; `skygen values` prints it with its comments).
//! What a run needs from it is fixed when skygen is built: the tree it merges to (nulls removed,
//! as a defaults layer does) and the pointer of every node in it (all of them come from the
//! defaults, see [`super::merge::Origins`]). Both are kept in `defaults_tree.rs`, generated from
//! the YAML by [`generate_text`] and committed like `schema/values.schema.json`: building the tree
//! from its token list costs a fraction of parsing and merging the YAML (about 3.7 M
//! instructions, an eighth of a whole render). `tests/schema.rs` fails when the committed file
//! differs from what the YAML gives (set `UPDATE_DEFAULTS=1` to rewrite it), and debug builds
//! (every test) compare the two trees once per process.

use serde_json::{Map, Number, Value};

use super::merge::{self, Nulls, Origins};
use crate::diagnostics::Origin;

/// One step of the tree in document order: a mapping or a list announces its entries (a
/// mapping's each as a [`Tok::Key`] then the value), then come the entries.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tok {
    Map(usize),
    List(usize),
    Key(&'static str),
    Str(&'static str),
    /// An integer ≥ 0 (serde_json keeps it apart from a negative one and from a float).
    Pos(u64),
    Neg(i64),
    Float(f64),
    Bool(bool),
    Null,
}

#[path = "defaults_tree.rs"]
mod generated;

/// The merged defaults, built fresh (every release of a run merges its own layers into it).
pub fn tree() -> Value {
    #[cfg(debug_assertions)]
    {
        static CHECKED: std::sync::Once = std::sync::Once::new();
        CHECKED.call_once(|| {
            assert!(
                build(&mut generated::TREE.iter()) == parsed(),
                "src/values/defaults_tree.rs is stale: run `UPDATE_DEFAULTS=1 cargo test --test schema`"
            );
        });
    }
    build(&mut generated::TREE.iter())
}

/// Whether the defaults tree has a node at `pointer` (the root is `""`).
pub fn has(pointer: &str) -> bool {
    generated::POINTERS.binary_search(&pointer).is_ok()
}

fn build(tokens: &mut std::slice::Iter<'static, Tok>) -> Value {
    let tok = tokens
        .next()
        .expect("the defaults token list is complete; this is a skygen bug");
    match *tok {
        Tok::Map(n) => {
            let mut m = Map::with_capacity(n);
            for _ in 0..n {
                let Some(Tok::Key(k)) = tokens.next() else {
                    panic!("a defaults mapping entry starts with its key; this is a skygen bug")
                };
                m.insert((*k).to_owned(), build(tokens));
            }
            Value::Object(m)
        }
        Tok::List(n) => Value::Array((0..n).map(|_| build(tokens)).collect()),
        Tok::Str(s) => Value::String(s.to_owned()),
        Tok::Pos(n) => Value::from(n),
        Tok::Neg(n) => Value::from(n),
        Tok::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        Tok::Bool(b) => Value::Bool(b),
        Tok::Null => Value::Null,
        Tok::Key(_) => {
            panic!("a key outside a mapping in the defaults tokens; this is a skygen bug")
        }
    }
}

/// The defaults as the YAML reads and a defaults layer merges them (the slow way, which the
/// generated file stands for).
pub fn parsed() -> Value {
    let value = crate::template_yaml::read_own(super::DEFAULTS_YAML)
        .ok()
        .and_then(|docs| docs.into_iter().next())
        .expect("the embedded defaults are one YAML document; this is a skygen bug");
    assert!(
        value.is_object(),
        "the embedded defaults are a mapping; this is a skygen bug"
    );
    let mut tree = Value::Object(Map::new());
    merge::merge_with(
        &mut tree,
        value,
        "",
        &mut Origins::default(),
        &|_| Origin::Defaults,
        Nulls::Remove,
    );
    tree
}

/// The text of `defaults_tree.rs` for the defaults as they are now.
pub fn generate_text() -> String {
    let tree = parsed();
    let mut out = String::from(
        "// @generated from src/values/defaults.yaml by `UPDATE_DEFAULTS=1 cargo test --test schema`\n\
         // (see src/values/defaults.rs); do not edit.\n\n\
         use super::Tok::{self, *};\n\n\
         /// The merged defaults, in document order.\n\
         #[rustfmt::skip]\n\
         pub(super) static TREE: &[Tok] = &[\n",
    );
    let mut pointers = Vec::new();
    tokens(&tree, &mut String::new(), 1, &mut out, &mut pointers);
    out.push_str("];\n\n/// The pointer of every node of [`TREE`], sorted.\n#[rustfmt::skip]\npub(super) static POINTERS: &[&str] = &[\n");
    pointers.sort();
    for p in pointers {
        out.push_str(&format!("    {p:?},\n"));
    }
    out.push_str("];\n");
    out
}

fn tokens(v: &Value, pointer: &mut String, indent: usize, out: &mut String, all: &mut Vec<String>) {
    all.push(pointer.clone());
    let pad = "    ".repeat(indent);
    let line = match v {
        Value::Object(m) => format!("Map({})", m.len()),
        Value::Array(a) => format!("List({})", a.len()),
        Value::String(s) => format!("Str({s:?})"),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => format!("Pos({u})"),
            (None, Some(i), _) => format!("Neg({i})"),
            (None, None, Some(f)) => format!("Float({f:?})"),
            _ => unreachable!("a JSON number is an integer or a float"),
        },
        Value::Bool(b) => format!("Bool({b})"),
        Value::Null => "Null".to_owned(),
    };
    out.push_str(&format!("{pad}{line},\n"));
    let len = pointer.len();
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                out.push_str(&format!("{pad}    Key({k:?}),\n"));
                pointer.push('/');
                crate::pointer::push_escaped(pointer, k);
                tokens(x, pointer, indent + 1, out, all);
                pointer.truncate(len);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pointer.push_str(&format!("/{i}"));
                tokens(x, pointer, indent + 1, out, all);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The token list builds exactly the tree the YAML merges to, and the pointer list names
    /// exactly its nodes.
    #[test]
    fn tokens_build_the_parsed_tree() {
        let slow = parsed();
        assert_eq!(build(&mut generated::TREE.iter()), slow);
        let mut expected = Vec::new();
        tokens(
            &slow,
            &mut String::new(),
            0,
            &mut String::new(),
            &mut expected,
        );
        expected.sort();
        assert_eq!(generated::POINTERS, expected);
        assert!(has("") && has("/apiService/image") && !has("/apiService/nope"));
    }

    /// A wrong token (what a stale file would hold) is caught by the comparison above.
    #[test]
    fn a_changed_token_changes_the_tree() {
        let mut toks = generated::TREE.to_vec();
        let i = toks
            .iter()
            .position(|t| matches!(t, Tok::Str(_)))
            .expect("the defaults hold a string");
        toks[i] = Tok::Str("something else");
        let toks: &'static [Tok] = Box::leak(toks.into_boxed_slice());
        assert_ne!(build(&mut toks.iter()), parsed());
    }
}
