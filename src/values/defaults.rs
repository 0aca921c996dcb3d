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

use serde_json::{Map, Value};

use super::merge::{self, Nulls, Origins};
use super::tokens::{self, build, Tok};
use crate::diagnostics::Origin;

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

/// The defaults as the YAML reads them and a defaults layer merges them (the slow way, which the
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
    tokens::write(&tree, 1, &mut out);
    let mut all = Vec::new();
    pointers(&tree, &mut String::new(), &mut all);
    out.push_str("];\n\n/// The pointer of every node of [`TREE`], sorted.\n#[rustfmt::skip]\npub(super) static POINTERS: &[&str] = &[\n");
    all.sort();
    for p in all {
        out.push_str(&format!("    {p:?},\n"));
    }
    out.push_str("];\n");
    out
}

/// The pointer of every node of `v` (at `pointer`).
pub(super) fn pointers(v: &Value, pointer: &mut String, all: &mut Vec<String>) {
    all.push(pointer.clone());
    let len = pointer.len();
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                pointer.push('/');
                crate::pointer::push_escaped(pointer, k);
                pointers(x, pointer, all);
                pointer.truncate(len);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pointer.push_str(&format!("/{i}"));
                pointers(x, pointer, all);
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
        pointers(&slow, &mut String::new(), &mut expected);
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
