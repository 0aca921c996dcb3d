//! From a problem inside an object to its cause, as a diagnostic a person can act on.
//!
//! The render stage knows which template made an object but not which value made a field. Most
//! fields that can be wrong pass a user's value through unchanged (`extraEnvs`, `resources`,
//! annotations, labels, `nodeSelector`, tolerations, affinity, volumes, …), so the cause is
//! found by looking for a node of the merged values that holds the same value under a matching
//! path suffix: `…/env/5/value` = 4 matches `apiService.extraEnvs[0].value` = 4 (list indices
//! match any index; key names must agree, starting from the last one). Its origin (file, line
//! and column, or `--set` argument) is where the error points. An overlay's own resource points
//! at its file and line instead. When nothing matches, the message names the object, the
//! template or overlay that made it, any overlay patch that changed it, and the field.

use serde_json::Value;

use super::walk::{Problem, Violation};
use super::{Provenance, Source};
use crate::diagnostics::{did_you_mean, quote, shorten, Code, Diagnostic, Origin};
use crate::manifest::ObjectId;
use crate::values::merge::Origins;
use crate::values::validate_dotted as dotted;
use crate::yaml::Pos;

/// Most field names listed when a field is unknown.
const MAX_LISTED: usize = 12;

pub fn diagnose(
    obj: &Value,
    id: &ObjectId,
    v: &Violation,
    prov: &Provenance<'_>,
    version: (u32, u32),
) -> Diagnostic {
    let node = obj.pointer(&v.pointer).unwrap_or(&Value::Null);
    let (message, help) = describe(v, node, version);
    let what = format!(
        "{} {}{} at {}",
        id.kind,
        if id.namespace.is_empty() {
            String::new()
        } else {
            format!("{}/", id.namespace)
        },
        if id.name.is_empty() { "\"\"" } else { &id.name },
        if v.pointer.is_empty() {
            "the top".to_owned()
        } else {
            dotted(&v.pointer)
        }
    );
    let mut d = Diagnostic::error(Code::Output, message);
    d.help.extend(help);
    match prov.sources.of(id) {
        Some(Source::OverlayResource {
            file,
            template,
            rendered,
            positions,
        }) => {
            let (pos, exact) = overlay_position(&v.pointer, template, rendered, positions);
            d = d
                .with_origin(Some(Origin::Builtin {
                    name: file.clone(),
                    pos,
                }))
                .with_help(format!(
                    "kubectl would refuse {what}; fix the overlay's resource"
                ));
            if !exact && pos.is_some() {
                d = d.with_help("the line is that of the rendered template");
            }
        }
        source => match find_key(prov.values, prov.origins, &v.pointer, node) {
            Some(pointer) => {
                d = d
                    .with_key(dotted(&pointer))
                    .with_origin(prov.origins.blame(&pointer).cloned())
                    .with_help(format!("it becomes {what}, which kubectl would refuse"));
            }
            None => {
                let from = match source {
                    Some(Source::Template(t)) => format!(" (made by {t})"),
                    _ => String::new(),
                };
                d = d.with_help(format!(
                    "kubectl would refuse {what}{from}; no values key holds this value: it comes from the values or overlays that produced the object"
                ));
                // A patch that changed the object is the likeliest cause of a value no values
                // key holds; the last one applied is where the error points.
                if let Some(patch) = prov.sources.patches_of(id).last() {
                    d = d.with_origin(Some(patch.clone()));
                }
            }
        },
    }
    for by in prov.sources.patches_of(id) {
        d = d.with_help(format!(
            "the object was changed by the overlay patch at {by}"
        ));
    }
    d
}

/// The message and help lines for a violation whose node is `node`.
fn describe(v: &Violation, node: &Value, version: (u32, u32)) -> (String, Vec<String>) {
    let field = format!("Kubernetes {} {}", version_text(version), v.field);
    match &v.problem {
        Problem::WrongType { expected } => {
            let mut help = Vec::new();
            if expected.contains("string") && (node.is_number() || node.is_boolean()) {
                help.push(format!("quote it: \"{node}\""));
            }
            if let (Some(text), true) = (node.as_str(), expected.contains("integer")) {
                if text.trim().parse::<i64>().is_ok() {
                    help.push(format!("write it without quotes: {}", text.trim()));
                }
            }
            if let (Some(text), true) = (node.as_str(), expected.contains("boolean")) {
                if matches!(text, "true" | "false") {
                    help.push(format!("write it without quotes: {text}"));
                }
            }
            (
                format!("expected {expected} ({field}), found {}", found(node)),
                help,
            )
        }
        Problem::UnknownField { known } => {
            let name = v.pointer.rsplit('/').next().unwrap_or_default();
            let name = name.replace("~1", "/").replace("~0", "~");
            let mut help = Vec::new();
            match did_you_mean(&name, known.iter().map(String::as_str)) {
                Some(m) => help.push(format!("did you mean `{m}`?")),
                None => {
                    let mut list: Vec<&str> =
                        known.iter().take(MAX_LISTED).map(String::as_str).collect();
                    if known.len() > MAX_LISTED {
                        list.push("…");
                    }
                    help.push(format!("{} has: {}", v.field, list.join(", ")));
                }
            }
            (format!("unknown field {} ({field})", quote(&name)), help)
        }
        Problem::Missing { field: missing } => (
            format!("{field} needs the field `{missing}`, which is missing"),
            vec![format!("add `{missing}`")],
        ),
        Problem::OutOfRange { bits } => (
            format!("{} does not fit in {bits} bits ({field})", found(node)),
            vec![if *bits == 32 {
                "use an integer from -2147483648 to 2147483647".to_owned()
            } else {
                "use an integer from -9223372036854775808 to 9223372036854775807".to_owned()
            }],
        ),
        Problem::BadQuantity { why } => (format!("{why} ({field})"), vec![]),
        Problem::BadName { rule, suggestion } => (
            if node.as_str() == Some("") {
                rule.clone()
            } else {
                format!("{rule}, found {}", found(node))
            },
            suggestion
                .iter()
                .map(|s| format!("for example `{s}`"))
                .collect(),
        ),
    }
}

fn version_text(v: (u32, u32)) -> String {
    format!("{}.{}", v.0, v.1)
}

fn found(node: &Value) -> String {
    match node {
        Value::String(s) if s.is_empty() => "an empty string".to_owned(),
        Value::String(s) => format!("a string {}", quote(s)),
        other => format!(
            "{} {}",
            crate::values::kind_of(other),
            shorten(&other.to_string())
        ),
    }
}

/// The values node that most likely produced `node` at `pointer` of an object: equal value,
/// the longest matching path suffix, set by a user rather than the defaults.
fn find_key(values: &Value, origins: &Origins, pointer: &str, node: &Value) -> Option<String> {
    let target: Vec<&str> = pointer.split('/').skip(1).collect();
    let composite = match node {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    };
    let mut best: Option<(bool, usize, String)> = None;
    let mut path = Vec::new();
    visit(values, &mut path, &mut |segs, candidate| {
        if candidate != node {
            return;
        }
        let score = suffix_score(&target, segs);
        if score == 0 && !composite {
            return;
        }
        let p: String = segs.iter().map(|s| format!("/{s}")).collect();
        let by_user = !matches!(origins.blame(&p), None | Some(Origin::Defaults));
        let better = match &best {
            None => true,
            Some((u, s, _)) => (by_user, score) > (*u, *s),
        };
        if better {
            best = Some((by_user, score, p));
        }
    });
    best.map(|(_, _, p)| p)
}

/// How many key segments agree from the end, list indices matching any index; 0 when the
/// shapes differ at the end.
fn suffix_score(a: &[&str], b: &[String]) -> usize {
    let index = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    let mut score = 0;
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        match (index(x), index(y)) {
            (true, true) => {}
            (false, false) if *x == y.as_str() => score += 1,
            _ => break,
        }
    }
    score
}

/// Call `f` with every node of `v` and its pointer segments (escaped).
fn visit(v: &Value, path: &mut Vec<String>, f: &mut dyn FnMut(&[String], &Value)) {
    if !path.is_empty() {
        f(path, v);
    }
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                path.push(crate::yaml::escape_pointer(k));
                visit(x, path, f);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(i.to_string());
                visit(x, path, f);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Where a node of an overlay resource is written. Positions are of the rendered text; when
/// that line appears exactly once in the template, its line there (the usual case: templating
/// tags can shift lines). The flag says whether the position is the template's.
fn overlay_position(
    pointer: &str,
    template: &str,
    rendered: &str,
    positions: &std::collections::BTreeMap<String, Pos>,
) -> (Option<Pos>, bool) {
    let mut p = pointer;
    let pos = loop {
        if let Some(pos) = positions.get(p) {
            break *pos;
        }
        match p.rfind('/') {
            Some(i) => p = &p[..i],
            None => return (None, false),
        }
    };
    let Some(line) = rendered.lines().nth(pos.line.saturating_sub(1)) else {
        return (Some(pos), false);
    };
    let mut same = template.lines().enumerate().filter(|(_, l)| *l == line);
    match (same.next(), same.next()) {
        (Some((i, _)), None) => (
            Some(Pos {
                line: i + 1,
                col: pos.col,
            }),
            true,
        ),
        _ => (Some(pos), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn suffixes_match_keys_from_the_end_and_any_index() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let obj = [
            "spec",
            "template",
            "spec",
            "containers",
            "0",
            "env",
            "5",
            "value",
        ];
        assert_eq!(
            suffix_score(&obj, &s(&["apiService", "extraEnvs", "0", "value"])),
            1
        );
        assert_eq!(suffix_score(&obj, &s(&["apiService", "name"])), 0);
        assert_eq!(suffix_score(&["a", "b"], &s(&["x", "a", "b"])), 2);
    }

    #[test]
    fn the_user_value_wins_over_an_equal_default() {
        let values = json!({"a": {"value": 4}, "b": {"extraEnvs": [{"value": 4}]}});
        let mut origins = Origins::default();
        origins.set("/a/value".into(), Origin::Defaults);
        origins.set(
            "/b/extraEnvs/0/value".into(),
            Origin::Flag {
                flag: "--set",
                arg: "b.extraEnvs[0].value=4".into(),
            },
        );
        let found = find_key(&values, &origins, "/spec/env/3/value", &json!(4));
        assert_eq!(found.as_deref(), Some("/b/extraEnvs/0/value"));
        assert_eq!(find_key(&values, &origins, "/spec/other", &json!(4)), None);
    }
}
