//! Read one embedded document and check it against a JSON Schema, with every finding placed in
//! the user's input.
//!
//! Takes the document's text, where it came from ([`Blame`]) and a compiled schema; returns all
//! findings at once (errors and, for keys the schema cannot know, warnings). Messages say what
//! was expected in words where the schema allows (`a list of strings or `all``, the values of an
//! enum, a did-you-mean), quote a pattern only when it is one, and never show a credential's
//! value.

use jsonschema::error::ValidationErrorKind;
use jsonschema::ValidationError;
use serde_json::Value;

use super::locate::{self, Source};
use super::schemas::{self, Embedded};
use super::version::Choice;
use super::{ConfigEdits, CONFIG_POINTER};
use crate::diagnostics::{did_you_mean, quote, shorten, Code, Diagnostic, Origin, Severity};
use crate::values::schema_check::{self, Verdict};
use crate::values::{kind_of, validate_dotted as dotted, Merged};
use crate::yaml::{self, escape_pointer, Document};

/// Where each node of an embedded document is in the user's input.
pub(super) struct Blame<'a> {
    /// The document whose positions are the user's text.
    user: Option<Document>,
    source: Source,
    edits: Option<&'a ConfigEdits>,
}

impl Blame<'_> {
    /// Where the node at `pointer` was written (`key`: its key rather than its value), and words
    /// to add to the message.
    fn at(&self, pointer: &str, key: bool) -> (Option<Origin>, Option<String>) {
        let in_user = self
            .user
            .as_ref()
            .is_some_and(|d| d.value.pointer(pointer).is_some());
        if !in_user {
            if let Some(edits) = self.edits {
                let by = edits
                    .overlays
                    .iter()
                    .find(|(_, _, entries)| entries.pointer(pointer).is_some())
                    .or(edits.overlays.first());
                if let Some((name, origin, _)) = by {
                    return (
                        Some(origin.clone()),
                        Some(format!("written by overlay {}", quote(name))),
                    );
                }
            }
        }
        let pos = self.user.as_ref().and_then(|d| {
            key.then(|| d.keys.get(pointer).copied())
                .flatten()
                .or_else(|| d.position_of(pointer))
        });
        self.source.locate(pos)
    }
}

/// Read the embedded text at `pointer` of `merged`: the document and where its nodes are. For
/// the config, `edits` says what overlays wrote.
pub(super) fn read<'a>(
    merged: &'a Merged,
    pointer: &str,
    name: &str,
    text: &str,
    edits: Option<&'a ConfigEdits>,
) -> Result<(Document, Blame<'a>), Box<Diagnostic>> {
    let source = locate::source_of(merged.origins.of(pointer), pointer, |p| {
        merged.texts.get(p).map(|t| t.as_ref())
    });
    let parse = |text: &str| {
        yaml::read_one_with_keys(text).map(|mut doc| {
            pyyaml_scalars(&mut doc);
            doc
        })
    };
    // After an overlay edit, positions come from the text the user wrote.
    let user_text = match edits {
        Some(e) => e.original.as_deref(),
        None => Some(text),
    };
    let user = match user_text.map(parse) {
        Some(Err(e)) => {
            let (origin, words) = source.locate(e.pos);
            let what = match e.kind {
                yaml::ReadErrorKind::Syntax(m) => m,
                other => other.to_string(),
            };
            let help = if pointer == CONFIG_POINTER {
                "SkyPilot ignores a config it cannot read and starts without one"
            } else {
                "`sky ssh up` fails on a file it cannot read"
            };
            return Err(Box::new(
                finish(
                    Diagnostic::error(Code::Yaml, format!("{name} is not valid YAML: {what}")),
                    origin,
                    words,
                )
                .with_help(help),
            ));
        }
        Some(Ok(doc)) => Some(doc),
        None => None,
    };
    let doc = match (edits, &user) {
        (None, Some(doc)) => doc.clone(),
        _ => parse(text).map_err(|e| {
            Box::new(Diagnostic::error(
                Code::Render,
                format!(
                    "{name} as edited by the overlays is not valid YAML ({}); this is a skygen bug",
                    e.kind
                ),
            ))
        })?,
    };
    Ok((
        doc,
        Blame {
            user,
            source,
            edits,
        },
    ))
}

/// PyYAML (what SkyPilot reads with) takes `y` and `n` as text, where skygen's Helm-compatible
/// reader takes them as booleans.
fn pyyaml_scalars(doc: &mut Document) {
    for trap in &doc.traps {
        if matches!(trap.text.as_str(), "y" | "Y" | "n" | "N") {
            if let Some(v) = doc.value.pointer_mut(&trap.pointer) {
                *v = Value::String(trap.text.clone());
            }
        }
    }
}

fn finish(mut d: Diagnostic, origin: Option<Origin>, words: Option<String>) -> Diagnostic {
    if let Some(w) = words {
        d.message = format!("{} ({w})", d.message);
    }
    d.with_origin(origin)
}

/// How findings about one document are worded.
pub(super) struct Wording<'a> {
    /// `apiService.config`.
    pub name: &'a str,
    /// Whether the value at an inner pointer is a credential.
    pub secret: fn(&str) -> bool,
    /// Severity of an unknown key.
    pub unknown: Severity,
    /// The schema checked against, when it is a SkyPilot release (for version hints).
    pub release: Option<&'static Embedded>,
}

/// One problem, before it is placed.
struct Finding {
    pointer: String,
    at_key: bool,
    code: Code,
    message: String,
    help: Vec<String>,
    severity: Severity,
}

/// Check `doc` against a schema; every finding, placed. The fast walk
/// ([`schema_check::check_draft7`]) over `fast` (the schema, or the part of it that can apply
/// to `doc`) answers for a valid document; only otherwise is the whole schema parsed and
/// compiled (`full`, once per process) to find and explain the errors.
pub(super) fn against(
    doc: &Document,
    blame: &Blame<'_>,
    fast: &Value,
    full: impl FnOnce() -> (&'static Value, &'static jsonschema::Validator),
    wording: &Wording<'_>,
) -> Vec<Diagnostic> {
    if schema_check::check_draft7(fast, &doc.value) == Verdict::Valid {
        return Vec::new();
    }
    let (schema, validator) = full();
    let mut findings = Vec::new();
    for err in validator.iter_errors(&doc.value) {
        explain(&err, schema, wording, &mut findings);
    }
    let mut out: Vec<Diagnostic> = Vec::new();
    for f in findings {
        let key = if f.pointer.is_empty() {
            wording.name.to_owned()
        } else {
            format!("{}: {}", wording.name, dotted(&f.pointer))
        };
        let (origin, words) = blame.at(&f.pointer, f.at_key);
        let mut d = finish(Diagnostic::error(f.code, f.message), origin, words).with_key(key);
        d.severity = f.severity;
        d.help = f.help;
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

/// The schema node that holds the keyword an error is about.
fn node_of<'s>(schema: &'s Value, err: &ValidationError<'_>) -> Option<&'s Value> {
    let path = err.schema_path().as_str();
    let parent = &path[..path.rfind('/')?];
    schema.pointer(parent)
}

fn explain(err: &ValidationError<'_>, schema: &Value, w: &Wording<'_>, out: &mut Vec<Finding>) {
    let pointer = err.instance_path().as_str().to_owned();
    let instance = err.instance().as_ref();
    let found = || found(instance, (w.secret)(&pointer));
    let node = node_of(schema, err);
    let finding = |code, message: String| Finding {
        pointer: pointer.clone(),
        // An empty value has no text of its own: point at its key.
        at_key: instance.is_null(),
        code,
        message,
        help: Vec::new(),
        severity: Severity::Error,
    };
    match err.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let known: Vec<&str> = node
                .and_then(|n| n.get("properties"))
                .and_then(Value::as_object)
                .map(|m| m.keys().map(String::as_str).collect())
                .unwrap_or_default();
            for key in unexpected {
                let key_pointer = format!("{pointer}/{}", escape_pointer(key));
                let mut f = finding(Code::UnknownKey, format!("unknown key {}", quote(key)));
                f.pointer = key_pointer.clone();
                f.at_key = true;
                f.severity = w.unknown;
                match did_you_mean(key, known.iter().copied()) {
                    Some(best) => f
                        .message
                        .push_str(&format!(" — did you mean {}?", quote(best))),
                    None if !known.is_empty() => {
                        let mut sorted = known.clone();
                        sorted.sort_unstable();
                        f.help
                            .push(format!("known keys here: {}", sorted.join(", ")));
                    }
                    None => {}
                }
                if let Some(release) = w.release {
                    f.help.extend(schemas::key_history(&key_pointer, release));
                }
                out.push(f);
            }
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            // Like Python jsonschema's best_match: when only one branch has the right type and
            // its errors are about what is inside the value (a key, a list item), they are the
            // useful ones. A scalar that fits no branch is described by all of them.
            let typed: Vec<_> = context
                .iter()
                .filter(|branch| {
                    !branch.iter().all(|e| {
                        matches!(e.kind(), ValidationErrorKind::Type { .. })
                            && e.instance_path().as_str() == pointer
                    })
                })
                .collect();
            let inside = |e: &ValidationError<'_>| {
                e.instance_path().as_str() != pointer
                    || matches!(
                        e.kind(),
                        ValidationErrorKind::AdditionalProperties { .. }
                            | ValidationErrorKind::Required { .. }
                    )
            };
            if let [branch] = typed
                .as_slice()
                .iter()
                .filter(|b| b.iter().all(inside))
                .collect::<Vec<_>>()
                .as_slice()
            {
                for e in branch.iter() {
                    explain(e, schema, w, out);
                }
            } else {
                let expected = node.map(describe).unwrap_or_else(|| "a valid value".into());
                out.push(finding(
                    Code::InvalidValue,
                    format!("expected {expected}, found {}", found()),
                ));
            }
        }
        ValidationErrorKind::Type { .. }
        | ValidationErrorKind::Enum { .. }
        | ValidationErrorKind::Constant { .. }
        | ValidationErrorKind::Pattern { .. } => {
            let expected = match (err.kind(), node) {
                (ValidationErrorKind::Pattern { pattern }, Some(n))
                    if n.get("x-case-insensitive-enum").is_none() =>
                {
                    literal_pattern(pattern)
                        .map(quote)
                        .unwrap_or_else(|| format!("text matching {}", quote(pattern)))
                }
                (_, Some(n)) => describe(n),
                (_, None) => "a valid value".into(),
            };
            let mut f = finding(
                Code::InvalidValue,
                format!("expected {expected}, found {}", found()),
            );
            if !(w.secret)(&pointer) {
                f.help.extend(closest_choice(node, instance));
            }
            out.push(f);
        }
        ValidationErrorKind::Required { property } => {
            let key = property.as_str().unwrap_or_default();
            let mut f = finding(Code::InvalidValue, format!("missing key {}", quote(key)));
            // Point at the mapping's own key (`gpu:`), not at its first entry.
            f.at_key = true;
            out.push(f);
        }
        ValidationErrorKind::Not { schema: not } => {
            let forbidden: Vec<String> = not
                .get("anyOf")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .chain(std::iter::once(not))
                .filter_map(|b| b.get("required")?.as_array())
                .flatten()
                .filter_map(|k| k.as_str().map(quote))
                .collect();
            let message = if forbidden.is_empty() {
                "this value is not allowed here".to_owned()
            } else {
                format!("must not set {}", forbidden.join(" or "))
            };
            out.push(finding(Code::InvalidValue, message));
        }
        _ if (w.secret)(&pointer) => out.push(finding(
            Code::InvalidValue,
            format!(
                "{} is not valid here (value not shown: a secret)",
                kind_of(instance)
            ),
        )),
        // Bounds (minimum, minItems, uniqueItems, …): the validator's words are clear.
        _ => out.push(finding(Code::InvalidValue, err.to_string())),
    }
}

fn found(v: &Value, secret: bool) -> String {
    match v {
        _ if secret => format!("{} (value not shown: a secret)", kind_of(v)),
        Value::Null => "null (no value)".into(),
        Value::String(s) => format!("{} {}", kind_of(v), quote(s)),
        Value::Array(_) | Value::Object(_) => kind_of(v).to_owned(),
        other => format!("{} {}", kind_of(other), shorten(&other.to_string())),
    }
}

/// What a schema node accepts, in words.
pub(super) fn describe(node: &Value) -> String {
    let show = |v: &Value| choices(std::slice::from_ref(v));
    if let Some(list) = node
        .get("x-case-insensitive-enum")
        .and_then(Value::as_array)
    {
        return format!("one of {} (any case)", choices(list));
    }
    if let Some(list) = node.get("enum").and_then(Value::as_array) {
        return format!("one of {}", choices(list));
    }
    if let Some(c) = node.get("const") {
        return show(c);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = node.get(key).and_then(Value::as_array) {
            let mut words: Vec<String> = Vec::new();
            for b in branches {
                let d = describe(b);
                if !words.contains(&d) {
                    words.push(d);
                }
            }
            return words.join(" or ");
        }
    }
    let types: Vec<&str> = match node.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ if node.get("pattern").is_some() => vec!["string"],
        _ => Vec::new(),
    };
    if types.is_empty() {
        return "a valid value".into();
    }
    let words: Vec<String> = types
        .iter()
        .map(|t| match *t {
            "array" => match node.get("items") {
                Some(items) => format!("a list of {}", plural(&describe(items))),
                None => "a list".into(),
            },
            "string" => match node.get("pattern").and_then(Value::as_str) {
                Some(p) => literal_pattern(p)
                    .map(quote)
                    .unwrap_or_else(|| format!("text matching {}", quote(p))),
                None => "a string".into(),
            },
            "integer" | "number" => {
                let mut s = if *t == "integer" {
                    "an integer"
                } else {
                    "a number"
                }
                .to_owned();
                if let Some(m) = node.get("minimum") {
                    s.push_str(&format!(" ≥ {m}"));
                }
                if let Some(m) = node.get("exclusiveMinimum") {
                    s.push_str(&format!(" > {m}"));
                }
                if let Some(m) = node.get("maximum") {
                    s.push_str(&format!(" ≤ {m}"));
                }
                s
            }
            "object" => "a mapping".into(),
            "boolean" => "true or false".into(),
            "null" => "null".into(),
            other => other.to_owned(),
        })
        .collect();
    words.join(" or ")
}

/// Most choices listed in a message; the rest are counted.
const MAX_CHOICES: usize = 8;

fn choices(list: &[Value]) -> String {
    let mut items: Vec<String> = list
        .iter()
        .take(MAX_CHOICES)
        .map(|v| match v {
            Value::String(s) => quote(s),
            other => quote(&other.to_string()),
        })
        .collect();
    if list.len() > MAX_CHOICES {
        items.push(format!("… ({} in all)", list.len()));
    }
    items.join(", ")
}

/// The closest allowed value to a misspelled one (`kubernets` → `kubernetes`).
fn closest_choice(node: Option<&Value>, instance: &Value) -> Option<String> {
    let word = instance.as_str()?;
    let node = node?;
    let list = node
        .get("x-case-insensitive-enum")
        .or_else(|| node.get("enum"))?
        .as_array()?;
    did_you_mean(word, list.iter().filter_map(Value::as_str))
        .map(|c| format!("did you mean {}?", quote(c)))
}

/// `^all$` → `all`: a pattern that accepts one word.
fn literal_pattern(p: &str) -> Option<&str> {
    let word = p.strip_prefix('^')?.strip_suffix('$')?;
    (!word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    .then_some(word)
}

fn plural(one: &str) -> String {
    match one {
        "a string" => "strings".into(),
        "a mapping" => "mappings".into(),
        "an integer" => "integers".into(),
        "a number" => "numbers".into(),
        "true or false" => "booleans".into(),
        other if other.starts_with("one of ") => format!("items, each {other}"),
        other => format!("items that are {other}"),
    }
}

/// Check `apiService.config` against the chosen release's schema.
pub(super) fn config(merged: &Merged, text: &str, choice: &Choice) -> Vec<Diagnostic> {
    let name = "apiService.config";
    let (doc, blame) = match read(
        merged,
        CONFIG_POINTER,
        name,
        text,
        merged.config_edits.as_ref(),
    ) {
        Ok(r) => r,
        Err(d) => return vec![*d],
    };
    if !matches!(doc.value, Value::Object(_) | Value::Null) {
        return vec![Diagnostic::error(
            Code::InvalidValue,
            format!(
                "must be a mapping of SkyPilot config keys, found {}",
                kind_of(&doc.value)
            ),
        )
        .with_origin(blame.at("", false).0)
        .with_key(name)
        .with_help("it becomes ~/.sky/config.yaml on the server; see https://docs.skypilot.co/en/latest/reference/config.html")];
    }
    if doc.value.is_null() {
        return Vec::new();
    }
    let fast = schemas::pruned(choice.schema, &doc.value);
    let wording = Wording {
        name,
        secret: |p| {
            ["/db", "/api_server/service_account_token"]
                .iter()
                .any(|s| {
                    p.strip_prefix(s)
                        .is_some_and(|r| r.is_empty() || r.starts_with('/'))
                })
        },
        unknown: if choice.ahead {
            Severity::Warning
        } else {
            Severity::Error
        },
        release: Some(choice.schema),
    };
    let full = || schemas::compiled(choice.schema);
    against(&doc, &blame, &fast, full, &wording)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::Pos;
    use serde_json::json;

    #[test]
    fn schema_nodes_in_words() {
        let contexts = json!({"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string", "pattern": "^all$"}]});
        assert_eq!(describe(&contexts), "a list of strings or `all`");
        assert_eq!(
            describe(
                &json!({"type": "string", "x-case-insensitive-enum": ["aws", "gcp"], "pattern": "^(?i:aws|gcp)$"})
            ),
            "one of `aws`, `gcp` (any case)"
        );
        assert_eq!(
            describe(&json!({"type": "integer", "minimum": 1})),
            "an integer ≥ 1"
        );
    }

    #[test]
    fn pyyaml_reads_y_and_n_as_text() {
        let mut doc = yaml::read_one_with_keys("a: y\nb: yes\nc: N\n").unwrap();
        pyyaml_scalars(&mut doc);
        assert_eq!(doc.value, json!({"a": "y", "b": true, "c": "N"}));
        assert_eq!(doc.keys.get("/b"), Some(&Pos { line: 2, col: 1 }));
    }
}
