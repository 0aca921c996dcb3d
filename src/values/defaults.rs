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
//!
//! The same file lists the default texts that match the schema `pattern` they sit under
//! ([`known_match`]), so checking values that keep their defaults compiles no regex for them.

use serde_json::{Map, Value};

use super::merge::{self, Nulls, Origins};
use super::schema::SchemaWalker;
use super::schema_check::Verdict;
use super::set::Seg;
use super::static_json::{Json, Node};
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

/// Whether `text` is known to match the schema pattern `pattern` (searched as the fast schema
/// check searches, see [`super::schema_check`]): a default value and its pattern. A pair is a
/// fact about the two texts alone, so the list can miss pairs (a check then runs the regex) but
/// never holds a wrong one; the tests hold every pair against the regex. See: #11.
pub fn known_match(pattern: &str, text: &str) -> bool {
    generated::MATCHING
        .iter()
        .any(|(p, t)| *t == text && *p == pattern)
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
    out.push_str("];\n\n/// Default texts and the schema patterns they match, sorted (see [`super::known_match`]).\n#[rustfmt::skip]\npub(super) static MATCHING: &[(&str, &str)] = &[\n");
    for (pattern, text) in matching_pairs(&tree) {
        out.push_str(&format!("    ({pattern:?}, {text:?}),\n"));
    }
    out.push_str("];\n");
    out
}

/// Every default text with a schema `pattern` at its place that it matches, as (pattern, text).
fn matching_pairs(tree: &Value) -> Vec<(&'static str, String)> {
    fn walk(
        walker: &SchemaWalker<'static>,
        nodes: &[&'static Json],
        v: &Value,
        out: &mut Vec<(&'static str, String)>,
    ) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    walk(walker, &walker.step(nodes, &Seg::Key(k.clone())), x, out);
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(walker, &walker.step(nodes, &Seg::Index(i)), x, out);
                }
            }
            Value::String(text) => {
                for n in nodes {
                    for b in walker.branches(n) {
                        if let Some(p) = b.keyword("pattern").and_then(Node::as_str) {
                            if super::schema_check::computed_match(p, text) == Verdict::Valid {
                                out.push((p, text.clone()));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let walker = SchemaWalker::new(super::schema::compiled());
    let mut out = Vec::new();
    walk(&walker, &walker.root(), tree, &mut out);
    out.sort();
    out.dedup();
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

    /// Every listed pair matches by the regex crate (the reference the fast check is held to)
    /// and by the fast check's own search, and the defaults bring pairs to list.
    #[test]
    fn known_matches_match() {
        assert!(generated::MATCHING.len() >= 5, "{:?}", generated::MATCHING);
        for (pattern, text) in generated::MATCHING {
            assert!(
                regex::Regex::new(pattern).unwrap().is_match(text),
                "{pattern} {text:?}"
            );
            assert_eq!(
                super::super::schema_check::computed_match(pattern, text),
                Verdict::Valid,
                "{pattern} {text:?}"
            );
            assert!(known_match(pattern, text));
        }
        assert!(!known_match("^[0-9]+[kMG]?$", "10X"));
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
