//! The two sides of a diff, read from disk or stdin: a manifest file (a YAML stream, a `List`,
//! or the JSON `render --format json` prints), a directory written by `render -o`, or `-`.
//!
//! Takes a path as given on the command line; returns the objects in canonical form
//! ([`crate::manifest::normalize`]) or diagnostics that name the file and line. Every object must
//! have an identity (kind, metadata.name) and appear once. Never renders.

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use super::dir;
use crate::diagnostics::{Code, Diagnostic, Origin};
use crate::manifest::{self, ObjectId};
use crate::yaml;

/// One side of a diff: its objects in canonical form, or why it could not be read.
pub type Loaded = Result<manifest::Manifest, Vec<Diagnostic>>;

/// An object and where it was read, for messages about duplicates.
struct Located {
    value: Value,
    origin: Origin,
}

/// Read one side of a diff: `-` (stdin), a directory written by `render -o`, or a manifest file.
pub fn load(spec: &str, stdin: &mut dyn Read) -> Loaded {
    let mut objects = Vec::new();
    let mut errors = Vec::new();
    if spec == "-" {
        let text = crate::text::read_bounded(stdin, dir::MAX_FILE_BYTES)
            .map_err(|e| vec![stdin_error(dir::text_error(e))])?;
        parse_into("-", &text, &mut objects, &mut errors);
    } else if Path::new(spec).is_dir() {
        // The files together are bounded like one manifest: a kustomization may list the same
        // big file many times.
        let mut total = 0;
        for path in dir::resource_files(Path::new(spec))? {
            match dir::read_text(&path) {
                Ok(text) if (total + text.len()) as u64 > dir::MAX_FILE_BYTES => {
                    errors.push(
                        Diagnostic::error(
                            Code::Io,
                            format!(
                                "the files of {} are larger than {} MiB together, too big for a manifest",
                                crate::diagnostics::quote(spec),
                                dir::MAX_FILE_BYTES / 1024 / 1024
                            ),
                        )
                        .with_origin(Some(at(&path.display().to_string(), None))),
                    );
                    break;
                }
                Ok(text) => {
                    total += text.len();
                    parse_into(
                        &path.display().to_string(),
                        &text,
                        &mut objects,
                        &mut errors,
                    )
                }
                Err(e) => errors.push((*e).with_help(format!(
                    "the file is listed in {}; render the directory again with `skygen render -o`",
                    manifest::dir::KUSTOMIZATION
                ))),
            }
        }
    } else {
        match dir::read_text(Path::new(spec)) {
            Ok(text) => parse_into(spec, &text, &mut objects, &mut errors),
            Err(e) if !Path::new(spec).exists() => errors.push((*e).with_help(
                "give a manifest file, a directory written by `skygen render -o DIR`, or `-` for standard input",
            )),
            Err(e) => errors.push(*e),
        }
    }
    // As many objects as a render may have: comparing costs time per object (#17).
    if objects.len() > crate::overlay::guard::MAX_OBJECTS {
        errors.push(
            Diagnostic::error(
                Code::Usage,
                format!(
                    "{} objects; a render has at most {}, and so does a side of a diff",
                    objects.len(),
                    crate::overlay::guard::MAX_OBJECTS
                ),
            )
            .with_origin(Some(at(spec, None))),
        );
        return Err(errors);
    }
    check_unique(&objects, &mut errors);
    if errors.is_empty() {
        Ok(manifest::Manifest::from_objects(
            objects.into_iter().map(|o| o.value).collect(),
        ))
    } else {
        Err(errors)
    }
}

/// Read both sides of a diff, in parallel when both come from disk (parsing is most of a
/// diff's time). At most one side may be `-`; standard input is read first, on this thread.
pub fn load_pair(old: &str, new: &str, stdin: &mut dyn Read) -> (Loaded, Loaded) {
    let mut piped = Vec::new();
    if old == "-" || new == "-" {
        if let Err(e) = stdin.take(dir::MAX_FILE_BYTES + 1).read_to_end(&mut piped) {
            let err = Err(vec![stdin_error(e.to_string())]);
            return if old == "-" {
                (err, load(new, &mut std::io::empty()))
            } else {
                (load(old, &mut std::io::empty()), err)
            };
        }
    }
    std::thread::scope(|s| {
        let old_side = s.spawn(|| load(old, &mut piped.as_slice()));
        let new_side = load(new, &mut piped.as_slice());
        let old_side = old_side
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (old_side, new_side)
    })
}

fn stdin_error(message: String) -> Diagnostic {
    Diagnostic::error(Code::Io, format!("cannot read standard input: {message}"))
}

fn at(path: &str, pos: Option<yaml::Pos>) -> Origin {
    Origin::File {
        path: path.to_owned(),
        pos,
    }
}

/// Parse a YAML stream and add its objects (the items of a `List` count as objects).
fn parse_into(path: &str, text: &str, out: &mut Vec<Located>, errors: &mut Vec<Diagnostic>) {
    // Messages point at objects and List items, never deeper.
    let docs = match yaml::read_manifest_stream(text, 3) {
        Ok(d) => d,
        Err(e) => {
            errors.push(
                Diagnostic::error(Code::Yaml, e.kind.to_string())
                    .with_origin(Some(at(path, e.pos))),
            );
            return;
        }
    };
    for doc in docs {
        match &doc.value {
            Value::Null => {}
            Value::Object(m) if m.get("kind").and_then(Value::as_str) == Some("List") => {
                match m.get("items") {
                    Some(Value::Array(items)) => {
                        for (i, item) in items.iter().enumerate() {
                            check_object(path, &doc, &format!("/items/{i}"), item, out, errors);
                        }
                    }
                    None => {}
                    Some(_) => errors.push(
                        Diagnostic::error(Code::Yaml, "the `items` of a List must be a list")
                            .with_origin(Some(at(path, doc.position_of("/items")))),
                    ),
                }
            }
            value => check_object(path, &doc, "", value, out, errors),
        }
    }
}

/// Accept `value` as an object when it has what an identity needs.
fn check_object(
    path: &str,
    doc: &yaml::Document,
    pointer: &str,
    value: &Value,
    out: &mut Vec<Located>,
    errors: &mut Vec<Diagnostic>,
) {
    let origin = at(path, doc.position_of(pointer));
    if value.get("kind").and_then(Value::as_str) == Some("Kustomization") {
        errors.push(
            Diagnostic::error(
                Code::Usage,
                "this is a kustomization, not a manifest of Kubernetes objects",
            )
            .with_origin(Some(origin))
            .with_help("give the directory that holds it (skygen diff reads the files it lists)"),
        );
        return;
    }
    let too_deep = format!(
        "{} (an object in a `List` as on its own)",
        yaml::ReadErrorKind::TooDeep
    );
    let problem = if !value.is_object() {
        Some("expected a Kubernetes object (a mapping), found something else")
    } else if yaml::depth_of(value) > yaml::MAX_DEPTH {
        // The stream may nest deeper around a `List`'s items; each object gets the one limit.
        Some(too_deep.as_str())
    } else if value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
    {
        Some("this object has no `kind`")
    } else if !value.get("apiVersion").is_some_and(Value::is_string) {
        Some("this object has no `apiVersion`")
    } else if value
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
    {
        Some("this object has no `metadata.name`")
    } else if value
        .get("metadata")
        .and_then(|m| m.get("namespace"))
        .is_some_and(|ns| !ns.is_null() && !ns.is_string())
    {
        // YAML 1.1 reads an unquoted `n`, `no` or `on` as a boolean.
        Some("`metadata.namespace` must be a string (quote it if YAML reads it as a boolean or number)")
    } else {
        None
    };
    match problem {
        Some(p) => errors.push(
            Diagnostic::error(Code::InvalidValue, p)
                .with_origin(Some(origin))
                .with_help("skygen diff compares objects by API group, kind, namespace and name; every document needs them"),
        ),
        None => out.push(Located {
            value: value.clone(),
            origin,
        }),
    }
}

/// Two objects with one identity cannot be matched to the other side: refuse them.
fn check_unique(objects: &[Located], errors: &mut Vec<Diagnostic>) {
    let mut seen: std::collections::BTreeMap<ObjectId, &Origin> = Default::default();
    for o in objects {
        let id = ObjectId::of(&o.value);
        if let Some(first) = seen.get(&id) {
            errors.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!("{id} appears twice (first at {first})"),
                )
                .with_origin(Some(o.origin.clone()))
                .with_help("remove one of them; an object can be applied only once"),
            );
        } else {
            seen.insert(id, &o.origin);
        }
    }
}
