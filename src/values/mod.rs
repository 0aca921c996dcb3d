//! Stage 1 and 2: values. Load every source (defaults, files, `--set*` flags) in order, merge
//! them with Helm's rules while remembering where each value came from, then validate the result
//! against the schema and the chart's cross-field rules.
//!
//! Takes [`ValueSource`]s; returns [`Validated`] values (the only way to get them is
//! [`validate`]) or every problem found, as diagnostics. Never renders anything.

pub mod auth;
pub mod defaults;
pub mod deprecations;
pub mod edge;
pub mod effective;
pub mod grafana;
pub mod kube_version;
pub mod merge;
pub mod model;
pub mod monitoring;
pub mod nginx_cves;
pub mod nginx_image;
pub mod prometheus;
pub mod quantity;
pub mod resolve;
pub mod rules;
pub mod schema;
pub mod schema_check;
pub mod set;
pub mod static_json;
pub mod tokens;
mod validate;

pub(crate) use validate::dotted as validate_dotted;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::diagnostics::{quote, Code, Diagnostic, Origin};
use crate::yaml::{self, Pos};
use merge::{Nulls, Origins};
use set::{RawValue, Seg, SetFlag};

pub use resolve::{Release, Resolved};
pub use validate::{validate, validate_with, Policy, Validated};

/// skygen's default values, with comments (printed by `skygen values`).
pub const DEFAULTS_YAML: &str = include_str!("defaults.yaml");

/// Largest values file (or `--set-file` file) read, in bytes.
pub const MAX_INPUT_BYTES: u64 = 4 * 1024 * 1024;

/// Deepest nesting of mappings and lists in the values (the top mapping is level 1), whatever
/// brings them: a file, an overlay's `values`, a `--set` path or a `--set-json` value. Values
/// need about a dozen levels; rendering puts a value at most a few levels deeper inside an
/// object, so every rendered object stays well within [`yaml::MAX_DEPTH`] (issue 17: a deep
/// `--set` path used to pass here and fail in render as a bug).
pub const MAX_DEPTH: usize = 32;

/// Most nodes (mappings, lists, scalars; a mapping entry is its key and its value) the values
/// sources of one run may bring in all: values files, overlays' `values`, `--set` paths and
/// values. The chart's defaults hold about 1,000; time grows with the nodes (one file of 99,000
/// took a second, issue 17), and without a total the number of files would multiply it.
pub const MAX_NODES: usize = 50_000;

/// The pointer (below `at`) of the first mapping or list nested deeper than [`MAX_DEPTH`], when
/// `v` sits `level` levels deep. Recursion is safe: every reader has bounded the depth already.
fn too_deep(v: &Value, level: usize, at: &str) -> Option<String> {
    let mut path = Vec::new();
    deepest(v, level, &mut path).then(|| {
        let mut pointer = at.to_owned();
        for seg in path.iter().rev() {
            pointer.push('/');
            pointer.push_str(&yaml::escape_pointer(seg));
        }
        pointer
    })
}

/// Whether `v` nests deeper than [`MAX_DEPTH`]; if so, `path` holds the keys down to the first
/// node that does, innermost first (built only on the way out, so a valid tree costs no
/// allocation).
fn deepest(v: &Value, level: usize, path: &mut Vec<String>) -> bool {
    let level = match v {
        Value::Object(_) | Value::Array(_) => level + 1,
        _ => return false,
    };
    if level > MAX_DEPTH {
        return true;
    }
    let found = match v {
        Value::Object(m) => m
            .iter()
            .find(|(_, x)| deepest(x, level, path))
            .map(|(k, _)| k.clone()),
        Value::Array(a) => a
            .iter()
            .position(|x| deepest(x, level, path))
            .map(|i| i.to_string()),
        _ => None,
    };
    found.map(|seg| path.push(seg)).is_some()
}

/// Nodes of `v` (a mapping entry counts its key and its value), counting stops past `limit`.
fn nodes(v: &Value, limit: usize) -> usize {
    let mut n = 1;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                n += 2 * m.len();
                stack.extend(m.values());
            }
            Value::Array(a) => {
                n += a.len();
                stack.extend(a);
            }
            _ => {}
        }
        if n > limit {
            break;
        }
    }
    n
}

fn too_deep_error(pointer: &str, origin: Origin) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error(
            Code::InvalidValue,
            format!("values nest deeper than {MAX_DEPTH} levels here"),
        )
        .with_key(validate_dotted(pointer))
        .with_origin(Some(origin))
        .with_help("no values key needs that depth; check the indentation or the path"),
    )
}

/// One input of the values stage, in command-line order.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueSource {
    /// `-f FILE`; `-` is stdin.
    File(String),
    /// A `--set`-family flag and its argument.
    Set(SetFlag, String),
    /// Values from an overlay: the text of its `overlay.yaml` (`name` is its path, for
    /// messages) and the JSON pointer of the values mapping inside it, so positions stay those
    /// of the file.
    Overlay {
        name: String,
        text: String,
        pointer: String,
    },
}

/// A plain YAML 1.1 scalar that ended up in the values, with where it was written.
#[derive(Clone, Debug)]
pub struct TrapSite {
    pub pointer: String,
    pub text: String,
    pub origin: Origin,
}

/// Merged, not yet validated values.
#[derive(Clone, Debug)]
pub struct Merged {
    pub tree: Value,
    pub origins: Origins,
    pub traps: Vec<TrapSite>,
    /// The text of each values file read, by path: positions inside an embedded document
    /// (`apiService.config: |`) are found from it.
    pub texts: BTreeMap<String, Arc<str>>,
    /// What overlays wrote into `apiService.config`, if anything.
    pub config_edits: Option<crate::skyconfig::ConfigEdits>,
}

impl Merged {
    fn empty() -> Merged {
        Merged {
            tree: Value::Object(Default::default()),
            origins: Origins::default(),
            traps: Vec::new(),
            texts: BTreeMap::new(),
            config_edits: None,
        }
    }
}

/// Read a file (or stdin for `-`) as UTF-8 text, refusing what cannot be a values file.
pub fn read_text(path: &str, stdin: &mut dyn Read) -> Result<String, String> {
    use crate::text::{self, TextError};
    let read = if path == "-" {
        text::read_bounded(stdin, MAX_INPUT_BYTES)
    } else {
        text::read_file(Path::new(path), MAX_INPUT_BYTES)
    };
    read.map_err(|e| match e {
        TextError::NotFound => "no such file".to_owned(),
        TextError::IsDirectory => "is a directory, expected a YAML file".into(),
        TextError::Io(e) if path == "-" => format!("cannot read standard input: {e}"),
        TextError::Io(e) => format!("cannot read: {e}"),
        TextError::TooBig => format!(
            "larger than {} MiB; a values file is never that big",
            MAX_INPUT_BYTES / 1024 / 1024
        ),
        TextError::Binary => "is a binary file (it contains NUL bytes), expected YAML text".into(),
        TextError::NotUtf8(at) => format!("is not UTF-8 text (invalid byte at offset {at})"),
    })
}

fn yaml_error(origin_name: &str, builtin: bool, e: yaml::ReadError) -> Diagnostic {
    let origin = if builtin {
        Origin::Builtin {
            name: origin_name.into(),
            pos: e.pos,
        }
    } else {
        Origin::File {
            path: origin_name.into(),
            pos: e.pos,
        }
    };
    Diagnostic::error(Code::Yaml, e.kind.to_string()).with_origin(Some(origin))
}

/// Merge one parsed document as a layer.
fn merge_document(
    merged: &mut Merged,
    doc: yaml::Document,
    make_origin: &dyn Fn(Option<Pos>) -> Origin,
    name: &str,
    nulls: Nulls,
    used_nodes: &mut usize,
) -> Result<(), Box<Diagnostic>> {
    let yaml::Document {
        value,
        positions,
        traps,
        ..
    } = doc;
    match value {
        Value::Null => return Ok(()),
        Value::Object(_) => {}
        other => {
            return Err(Box::new(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!(
                        "a values file must be a mapping of keys, found {}",
                        kind_of(&other)
                    ),
                )
                .with_origin(Some(make_origin(positions.get("").copied())))
                .with_help(format!("check that {name} is the values file you meant")),
            ));
        }
    }
    if let Some(deep) = too_deep(&value, 0, "") {
        let pos = yaml::Document {
            positions,
            ..Default::default()
        }
        .position_of(&deep);
        return Err(too_deep_error(&deep, make_origin(pos)));
    }
    *used_nodes += nodes(&value, MAX_NODES);
    if *used_nodes > MAX_NODES {
        return Err(Box::new(
            Diagnostic::error(
                Code::InvalidValue,
                format!("the values given up to here reach more than {MAX_NODES} keys, list items and values in all; values are never that many"),
            )
            .with_origin(Some(make_origin(None)))
            .with_help("a values file sets what differs from the defaults (the defaults hold about 1,000); check that this is the values file you meant"),
        ));
    }
    let origin_at = |p: &str| {
        let mut q = p;
        loop {
            if let Some(pos) = positions.get(q) {
                return make_origin(Some(*pos));
            }
            match q.rfind('/') {
                Some(i) => q = &q[..i],
                None => return make_origin(None),
            }
        }
    };
    merge::merge_with(
        &mut merged.tree,
        value,
        "",
        &mut merged.origins,
        &origin_at,
        nulls,
    );
    for t in traps {
        merged.traps.push(TrapSite {
            origin: make_origin(Some(t.pos)),
            pointer: t.pointer,
            text: t.text,
        });
    }
    Ok(())
}

/// The part of `doc` at `pointer` as a document of its own, with positions and traps re-keyed
/// (an empty pointer is the whole document; a missing node is an empty one).
fn subdocument(doc: yaml::Document, pointer: &str) -> yaml::Document {
    if pointer.is_empty() {
        return doc;
    }
    let rekey = |p: &str| -> Option<String> {
        let rest = p.strip_prefix(pointer)?;
        (rest.is_empty() || rest.starts_with('/')).then(|| rest.to_owned())
    };
    yaml::Document {
        value: doc.value.pointer(pointer).cloned().unwrap_or(Value::Null),
        positions: doc
            .positions
            .iter()
            .filter_map(|(p, pos)| Some((rekey(p)?, *pos)))
            .collect(),
        keys: Default::default(),
        traps: doc
            .traps
            .into_iter()
            .filter_map(|t| {
                Some(yaml::Trap {
                    pointer: rekey(&t.pointer)?,
                    ..t
                })
            })
            .collect(),
    }
}

/// A short name for a JSON value's type, for messages.
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// The defaults as the first layer: their tree built from the form precomputed at build time
/// ([`defaults`]), every node's origin the defaults (implicit, see [`Origins::defaults`]). The
/// defaults are trusted text; their plain scalars are not user mistakes, so they bring no traps.
fn merged_defaults() -> Merged {
    Merged {
        tree: defaults::tree(),
        origins: Origins::defaults(),
        ..Merged::empty()
    }
}

/// Load and merge all sources over the defaults. Every problem is reported, not just the first.
pub fn load(sources: &[ValueSource], stdin: &mut dyn Read) -> Result<Merged, Vec<Diagnostic>> {
    // Two trees, as in Helm: the defaults (with the overlays' values, skygen's own layer below
    // the user's), and the user's values (files, then flags). The user's tree is coalesced over
    // the defaults at the end, so a flag that replaces a map (`--set-json storage={…}`) replaces
    // only what the user wrote before, never the defaults below it. See: #10.
    let mut merged = merged_defaults();
    let mut user = Merged::empty();

    let walker = schema::SchemaWalker::new(schema::compiled());
    let mut errors = Vec::new();
    let mut budget = Budget::default();
    for source in sources {
        match source {
            ValueSource::File(path) => {
                let text = match read_text(path, stdin) {
                    Ok(t) => t,
                    Err(msg) => {
                        errors.push(
                            Diagnostic::error(
                                Code::Io,
                                format!("values file {}: {msg}", quote(path)),
                            )
                            .with_origin(Some(Origin::File {
                                path: path.clone(),
                                pos: None,
                            })),
                        );
                        continue;
                    }
                };
                let origin = |pos| Origin::File {
                    path: path.clone(),
                    pos,
                };
                let parsed = yaml::read_stream(&text);
                merged.texts.insert(path.clone(), Arc::from(text));
                match parsed {
                    Err(e) => errors.push(yaml_error(path, false, e)),
                    Ok(docs) => {
                        for doc in docs {
                            if let Err(d) = merge_document(
                                &mut user,
                                doc,
                                &origin,
                                path,
                                Nulls::Keep,
                                &mut budget.nodes,
                            ) {
                                errors.push(*d);
                            }
                        }
                    }
                }
            }
            ValueSource::Overlay {
                name,
                text,
                pointer,
            } => {
                let origin = |pos| Origin::Builtin {
                    name: name.clone(),
                    pos,
                };
                match yaml::read_one(text) {
                    Err(e) => errors.push(yaml_error(name, true, e)),
                    Ok(doc) => {
                        let doc = subdocument(doc, pointer);
                        if let Err(d) = merge_document(
                            &mut merged,
                            doc,
                            &origin,
                            name,
                            Nulls::Remove,
                            &mut budget.nodes,
                        ) {
                            errors.push(*d);
                        }
                    }
                }
            }
            ValueSource::Set(flag, arg) => {
                if let Err(d) = apply_set(&mut user, *flag, arg, &walker, stdin, &mut budget) {
                    errors.push(*d);
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let Merged {
        tree,
        origins: user_origins,
        traps,
        ..
    } = user;
    merge::merge_with(
        &mut merged.tree,
        tree,
        "",
        &mut merged.origins,
        &|p| user_origins.of(p).cloned().unwrap_or(Origin::Defaults),
        Nulls::Remove,
    );
    merged.traps.extend(traps);
    Ok(merged)
}

/// What the values sources of one run have built so far, against their limits.
#[derive(Default)]
struct Budget {
    /// List items created by `--set` indexes ([`set::MAX_SET_ITEMS`]).
    items: usize,
    /// Nodes of every source, `--set` paths included ([`MAX_NODES`]).
    nodes: usize,
}

fn apply_set(
    merged: &mut Merged,
    flag: SetFlag,
    arg: &str,
    walker: &schema::SchemaWalker<'_>,
    stdin: &mut dyn Read,
    budget: &mut Budget,
) -> Result<(), Box<Diagnostic>> {
    let origin = Origin::Flag {
        flag: flag.name(),
        arg: arg.into(),
    };
    let example = match flag {
        SetFlag::SetJson => r#"--set-json apiService.nodeSelector={"pool":"cpu"}"#,
        SetFlag::SetFile => "--set-file apiService.config=config.yaml",
        SetFlag::Set | SetFlag::SetString => {
            "--set apiService.image=repo/sky:1.0,apiService.replicas=2"
        }
    };
    let usage = |msg: String| {
        Box::new(
            Diagnostic::error(Code::Usage, msg)
                .with_origin(Some(origin.clone()))
                .with_help(format!(
                    "{} takes key=value pairs separated by commas, e.g. {example}",
                    flag.name()
                )),
        )
    };
    let assignments = set::parse(flag, arg).map_err(usage)?;
    // A flag that sets a credential is shown by its keys only, in every later message.
    let sets_secret = assignments
        .iter()
        .any(|a| validate::is_secret(&set::pointer(&a.path)));
    let origin = if sets_secret && flag != SetFlag::SetFile {
        let keys: Vec<String> = assignments
            .iter()
            .map(|a| {
                format!(
                    "{}=<value not shown>",
                    validate_dotted(&set::pointer(&a.path))
                )
            })
            .collect();
        Origin::Flag {
            flag: flag.name(),
            arg: keys.join(",").into(),
        }
    } else {
        origin
    };
    for a in assignments {
        // The path nests one level per segment; checked before anything is built.
        if a.path.len() > MAX_DEPTH {
            let at = set::pointer(&a.path[..MAX_DEPTH]);
            return Err(too_deep_error(&at, origin));
        }
        budget.items += set::items_created(&a.path);
        if budget.items > set::MAX_SET_ITEMS {
            return Err(Box::new(
                Diagnostic::error(
                    Code::Usage,
                    format!(
                        "the list indexes of the --set flags create more than {} list items in all",
                        set::MAX_SET_ITEMS
                    ),
                )
                .with_origin(Some(origin))
                .with_help("values lists are short: use small indexes, or a values file"),
            ));
        }
        let value = match a.value {
            RawValue::Text(text) => typed(&text, &walker.accepts(&a.path)),
            RawValue::TextList(items) => {
                let mut item_path = a.path.clone();
                item_path.push(Seg::Index(0));
                let acc = walker.accepts(&item_path);
                Value::Array(items.iter().map(|t| typed(t, &acc)).collect())
            }
            RawValue::Str(s) if flag == SetFlag::SetFile => {
                let content = read_text(&s, stdin).map_err(|msg| {
                    Box::new(
                        Diagnostic::error(Code::Io, format!("file {}: {msg}", quote(&s)))
                            .with_origin(Some(origin.clone())),
                    )
                })?;
                Value::String(content)
            }
            RawValue::Str(s) => Value::String(s),
            RawValue::StrList(items) => {
                Value::Array(items.into_iter().map(Value::String).collect())
            }
            RawValue::Json(v) => v,
        };
        if let Some(deep) = too_deep(&value, a.path.len(), &set::pointer(&a.path)) {
            return Err(too_deep_error(&deep, origin));
        }
        budget.nodes += a.path.len() + nodes(&value, MAX_NODES);
        if budget.nodes > MAX_NODES {
            return Err(Box::new(
                Diagnostic::error(
                    Code::Usage,
                    format!("the values given up to here reach more than {MAX_NODES} keys, list items and values in all; values are never that many"),
                )
                .with_origin(Some(origin))
                .with_help("put values in a values file (-f); flags are for a few changes"),
            ));
        }
        // Nodes this assignment creates belong to it, so an unknown key anywhere on the path
        // points at the flag, not at the defaults.
        for depth in 1..a.path.len() {
            let prefix = set::pointer(&a.path[..depth]);
            if merged.tree.pointer(&prefix).is_none() {
                merged.origins.set(prefix, origin.clone());
            }
        }
        let pointer = set::pointer(&a.path);
        merged.origins.clear_below(&pointer);
        merged.origins.set(pointer, origin.clone());
        set::apply(&mut merged.tree, &a.path, value);
        // `x[3]=…` pads a shorter list with nulls (as Helm does); they are this flag's doing.
        for (depth, seg) in a.path.iter().enumerate() {
            if let Seg::Index(i) = seg {
                let list = set::pointer(&a.path[..depth]);
                for j in 0..*i {
                    let item = format!("{list}/{j}");
                    if merged.tree.pointer(&item).is_some_and(Value::is_null) {
                        merged.origins.set(item, origin.clone());
                    }
                }
            }
        }
    }
    Ok(())
}

/// Type a `--set` text by what the key accepts: text fields keep it exactly (`1.10` stays
/// `"1.10"`); elsewhere Helm's guess applies.
fn typed(text: &str, accepts: &schema::Accepts) -> Value {
    if text == "null" {
        return Value::Null;
    }
    if accepts.only_string() {
        return Value::String(text.to_owned());
    }
    let guessed = set::guess(text);
    if accepts.any {
        return guessed;
    }
    match &guessed {
        Value::Bool(_) if accepts.boolean => guessed,
        Value::Number(_) if accepts.integer || accepts.number => guessed,
        _ => {
            // Only a field that takes fractions reads `1e1` or `1.5` as a number; an integer
            // field keeps such text (and `01`, and integers beyond 64 bits) as text, as Helm
            // does, so the schema check names the key and the flag. See: #10.
            if accepts.number && !accepts.string {
                if let Ok(f) = text.parse::<f64>() {
                    if let Some(n) = serde_json::Number::from_f64(f) {
                        return Value::Number(n);
                    }
                }
            }
            Value::String(text.to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn load_args(sources: &[ValueSource]) -> Merged {
        load(sources, &mut std::io::empty()).unwrap()
    }

    #[test]
    fn set_keeps_strings_for_string_fields() {
        let m = load_args(&[
            ValueSource::Set(SetFlag::Set, "apiService.image=repo:1.10".into()),
            ValueSource::Set(
                SetFlag::Set,
                "apiService.replicas=3,ingress.host=007".into(),
            ),
            ValueSource::Set(
                SetFlag::Set,
                "apiService.readinessProbe.successThreshold=7".into(),
            ),
        ]);
        assert_eq!(m.tree["apiService"]["image"], json!("repo:1.10"));
        assert_eq!(m.tree["apiService"]["replicas"], json!(3));
        assert_eq!(m.tree["ingress"]["host"], json!("007"));
        assert_eq!(
            m.tree["apiService"]["readinessProbe"]["successThreshold"],
            json!(7)
        );
    }

    /// A subtree counts as untouched only when no source set or removed anything at or below
    /// it, nor replaced a node above it.
    #[test]
    fn untouched_means_exactly_the_defaults() {
        let m = load_args(&[
            ValueSource::Set(SetFlag::Set, "apiService.image=repo:1".into()),
            ValueSource::Set(
                SetFlag::Set,
                "apiService.livenessProbe.periodSeconds=null".into(),
            ),
            ValueSource::Set(SetFlag::SetJson, r#"storage={"enabled":true}"#.into()),
            ValueSource::Set(SetFlag::Set, "rbac.nope.deeper=1".into()),
        ]);
        let defaults = defaults::tree();
        let o = &m.origins;
        for p in [
            "/ingress",
            "/apiService/readinessProbe",
            "/apiService/readinessProbe/httpGet",
        ] {
            assert!(o.untouched(p), "{p}");
            assert_eq!(m.tree.pointer(p), defaults.pointer(p), "{p}");
        }
        for p in [
            "",
            "/apiService",
            "/apiService/image",
            "/apiService/livenessProbe",
            "/storage",
            "/storage/enabled",
            "/rbac",
            "/rbac/nope",
            "/nope",
        ] {
            assert!(!o.untouched(p), "{p}");
        }
        // Nothing set: everything the defaults hold is untouched.
        let plain = load_args(&[]);
        assert!(plain.origins.untouched("/apiService") && plain.origins.untouched("/rbac/create"));
    }

    #[test]
    fn later_sources_win_and_null_removes() {
        let m = load_args(&[
            ValueSource::Set(SetFlag::Set, "apiService.livenessProbe=null".into()),
            ValueSource::Set(SetFlag::SetString, "apiService.replicas=2".into()),
            ValueSource::Set(SetFlag::SetJson, r#"apiService.replicas=5"#.into()),
        ]);
        assert!(m.tree["apiService"].get("livenessProbe").is_none());
        assert_eq!(m.tree["apiService"]["replicas"], json!(5));
    }
}
