//! `skygen values --effective`: the merged values as YAML (like `helm get values --all`), and
//! with `--show-origin` each value's line ends in a comment naming where it came from.
//!
//! Takes [`Merged`] values (after overlays, files and `--set*` flags); returns text. Scalars and
//! keys are written by the same YAML writer as manifests, so every string reads back as itself;
//! only the layout around them (indentation, `- `, comments) is ours. Never validates.

use serde_json::Value;

use super::Merged;
use crate::yaml::escape_pointer;

/// The merged values as YAML; with `show_origin`, a `# origin` comment on every value.
pub fn to_text(merged: &Merged, show_origin: bool) -> String {
    if !show_origin {
        return crate::manifest::to_yaml(&merged.tree);
    }
    let mut out = String::new();
    match &merged.tree {
        Value::Object(m) if !m.is_empty() => mapping(merged, m, "", 0, &mut out),
        other => out.push_str(&crate::manifest::to_yaml(other)),
    }
    out
}

fn origin(merged: &Merged, pointer: &str) -> String {
    merged
        .origins
        .of(pointer)
        .map_or_else(|| "<defaults>".to_owned(), |o| o.to_string())
}

/// `v` written as YAML on its own, without the trailing newline.
fn scalar(v: &Value) -> String {
    crate::manifest::to_yaml(v)
        .trim_end_matches('\n')
        .to_owned()
}

fn is_leaf(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => true,
    }
}

/// Write a leaf after `lead` (`key:` or `-`), with its origin comment. A block scalar (`|-`)
/// keeps its header on the line and its text indented below it.
fn leaf(v: &Value, lead: &str, indent: usize, comment: &str, out: &mut String) {
    let text = scalar(v);
    let pad = " ".repeat(indent);
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    out.push_str(&format!("{pad}{lead} {first}  # {comment}\n"));
    for line in lines {
        // The writer indents block text by two spaces from column 0; keep that relative to us.
        out.push_str(&format!("{pad}{line}\n"));
    }
}

fn mapping(
    merged: &Merged,
    m: &serde_json::Map<String, Value>,
    pointer: &str,
    indent: usize,
    out: &mut String,
) {
    let pad = " ".repeat(indent);
    for (k, v) in m {
        let here = format!("{pointer}/{}", escape_pointer(k));
        let key = format!("{}:", scalar(&Value::String(k.clone())));
        node(merged, v, &here, &key, &pad, indent, out);
    }
}

/// One mapping entry or list item: a leaf on the `lead` line, or the `lead` line and the
/// children below it.
fn node(
    merged: &Merged,
    v: &Value,
    pointer: &str,
    lead: &str,
    pad: &str,
    indent: usize,
    out: &mut String,
) {
    if is_leaf(v) {
        leaf(v, lead, indent, &origin(merged, pointer), out);
        return;
    }
    out.push_str(&format!("{pad}{lead}  # {}\n", origin(merged, pointer)));
    match v {
        Value::Object(m) => mapping(merged, m, pointer, indent + 2, out),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let here = format!("{pointer}/{i}");
                // Items of a list are written as `- ` followed by the item on its own lines.
                node(
                    merged,
                    item,
                    &here,
                    "-",
                    &" ".repeat(indent + 2),
                    indent + 2,
                    out,
                );
            }
        }
        _ => unreachable!("a non-leaf is a mapping or a list"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Origin;
    use serde_json::json;

    #[test]
    fn every_value_gets_its_origin_and_reads_back_the_same() {
        let mut merged = Merged {
            tree: json!({
                "a": {"b": "on", "c": [1, {"d": "x\ny\n"}], "e": {}},
                "k: ey": null,
            }),
            origins: Default::default(),
            traps: vec![],
        };
        merged.origins.set("".into(), Origin::Defaults);
        merged.origins.set(
            "/a/b".into(),
            Origin::Flag {
                flag: "--set",
                arg: "a.b=on".into(),
            },
        );
        let text = to_text(&merged, true);
        assert!(text.contains("b: \"on\"  # --set a.b=on\n"), "{text}");
        assert!(text.contains("\"k: ey\": null  # <defaults>\n"), "{text}");
        let back = crate::yaml::read_one(&text).unwrap();
        assert_eq!(back.value, merged.tree, "{text}");
    }
}
