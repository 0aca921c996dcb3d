//! `overlay.yaml`: read it, check every field (unknown fields are errors with file:line and a
//! did-you-mean), check each patch's form and every template's syntax, and build an
//! [`Overlay`]. Takes the overlay's [`Files`]; needs no values and applies nothing.

use serde_json::{Map, Value};

use super::check::Check;
use super::patch::PatchType;
use super::source::{relative, Files};
use super::strings::{is_template, string_environment};
use super::target::Target;
use super::{Overlay, Patch, Resource};
use crate::diagnostics::{did_you_mean, quote, Code, Diagnostic, Origin};
use crate::yaml::{self, Document};

const FIELDS: &[&str] = &[
    "description",
    "conflicts",
    "requires",
    "values",
    "config",
    "resources",
    "patches",
    "checks",
];
const CHECK_FIELDS: &[&str] = &["when", "key", "error", "help"];
const PATCH_FIELDS: &[&str] = &["target", "type", "patch", "path", "expect", "when"];
/// Most objects one patch may be expected to match.
pub const MAX_EXPECT: u64 = 1000;

/// Diagnostics for one file, pointing at nodes by JSON pointer.
struct Reader<'a> {
    file: String,
    doc: &'a Document,
    errors: Vec<Diagnostic>,
}

impl Reader<'_> {
    fn origin(&self, pointer: &str) -> Origin {
        Origin::Builtin {
            name: self.file.clone(),
            pos: self.doc.position_of(pointer),
        }
    }

    fn error(&mut self, pointer: &str, msg: impl Into<String>, help: impl Into<String>) {
        let d = Diagnostic::error(Code::Overlay, msg)
            .with_origin(Some(self.origin(pointer)))
            .with_help(help);
        self.errors.push(d);
    }

    /// Report every key of the mapping at `pointer` not in `allowed`.
    fn known_keys(&mut self, map: &Map<String, Value>, pointer: &str, allowed: &[&str]) {
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                let at = format!("{pointer}/{}", crate::pointer::escape(key));
                let help = match did_you_mean(key, allowed.iter().copied()) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("the fields here are {}", allowed.join(", ")),
                };
                self.error(&at, format!("unknown field {}", quote(key)), help);
            }
        }
    }

    fn strings(&mut self, v: Option<&Value>, pointer: &str) -> Vec<String> {
        match v {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
                .iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect(),
            Some(_) => {
                let field = pointer.trim_start_matches('/');
                let example = if field == "resources" {
                    "e.g. [networkpolicy.yaml]"
                } else {
                    "e.g. [eks]"
                };
                self.error(
                    pointer,
                    format!("`{field}` must be a list of strings"),
                    example,
                );
                Vec::new()
            }
        }
    }

    /// Every templated string below `pointer` must compile.
    fn templates_compile(&mut self, v: &Value, pointer: &str) {
        match v {
            Value::String(s) if is_template(s) => {
                if let Err(e) = string_environment().template_from_str(s) {
                    self.error(
                        pointer,
                        format!("invalid template: {e}"),
                        "strings may use the release names, e.g. \"{{ fullname }}-api-server\"",
                    );
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    self.templates_compile(x, &format!("{pointer}/{i}"));
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    self.templates_compile(x, &format!("{pointer}/{}", crate::pointer::escape(k)));
                }
            }
            _ => {}
        }
    }
}

/// Parse and check an overlay's `overlay.yaml` and the files it names.
pub fn parse(files: &Files) -> Result<Overlay, Vec<Diagnostic>> {
    let file = files.display("overlay.yaml");
    let text = match files.read("overlay.yaml") {
        Ok(t) => t,
        Err(why) => {
            return Err(vec![Diagnostic::error(Code::Io, why).with_origin(Some(
                Origin::Builtin {
                    name: file,
                    pos: None,
                },
            ))])
        }
    };
    let text = text.as_str();
    let doc = yaml::read_one(text).map_err(|e| {
        vec![
            Diagnostic::error(Code::Yaml, e.kind.to_string()).with_origin(Some(Origin::Builtin {
                name: file.clone(),
                pos: e.pos,
            })),
        ]
    })?;
    let mut r = Reader {
        file: file.clone(),
        doc: &doc,
        errors: Vec::new(),
    };
    let Value::Object(top) = &doc.value else {
        r.error(
            "",
            "overlay.yaml must be a mapping",
            "start with `description: …` (docs/overlays.md shows the format)",
        );
        return Err(r.errors);
    };
    r.known_keys(top, "", FIELDS);

    let description = match top.get("description") {
        Some(Value::String(s)) if !s.trim().is_empty() && !s.trim().contains('\n') => {
            s.trim().to_owned()
        }
        _ => {
            r.error(
                "/description",
                "`description` must be a one-line text",
                "say what the overlay changes; `skygen overlays` prints it",
            );
            String::new()
        }
    };
    let conflicts = r.strings(top.get("conflicts"), "/conflicts");
    let requires = r.strings(top.get("requires"), "/requires");
    let values_text = match top.get("values") {
        None | Some(Value::Null) => None,
        Some(Value::Object(_)) => Some(text.to_owned()),
        Some(_) => {
            r.error(
                "/values",
                "`values` must be a mapping of values keys",
                "write values as in a values file, e.g. `storage: {storageClassName: gp3}`",
            );
            None
        }
    };
    let config = match top.get("config") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => {
            r.templates_compile(&Value::Object(m.clone()), "/config");
            Some((m.clone(), r.origin("/config")))
        }
        Some(_) => {
            r.error(
                "/config",
                "`config` must be a mapping of SkyPilot config entries",
                "e.g. `kubernetes: {remote_identity: \"{{ service_account }}\"}`",
            );
            None
        }
    };
    let resources = resources(&mut r, files, top.get("resources"));
    let mut patches = Vec::new();
    match top.get("patches") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                if let Some(p) = patch(&mut r, files, item, &format!("/patches/{i}")) {
                    patches.push(p);
                }
            }
        }
        Some(_) => r.error(
            "/patches",
            "`patches` must be a list",
            "each item has target, type and patch",
        ),
    }
    let checks = checks(&mut r, top.get("checks"));
    if r.errors.is_empty() {
        Ok(Overlay {
            name: files.name.clone(),
            builtin: files.builtin,
            key: files.key.clone(),
            file,
            description,
            conflicts,
            requires,
            values_text,
            config,
            resources,
            patches,
            checks,
        })
    } else {
        Err(r.errors)
    }
}

fn checks(r: &mut Reader<'_>, v: Option<&Value>) -> Vec<Check> {
    let items = match v {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => {
            r.error(
                "/checks",
                "`checks` must be a list",
                "each item has `when` (an expression over the values, e.g. v.storage.enabled) and `error`",
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("/checks/{i}");
        let Value::Object(m) = item else {
            r.error(
                &at,
                "a check must be a mapping",
                "give when, error, and optionally key and help",
            );
            continue;
        };
        r.known_keys(m, &at, CHECK_FIELDS);
        let before = r.errors.len();
        let mut text = |field: &str, required: bool| match m.get(field) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            None if !required => None,
            _ => {
                r.error(
                    &format!("{at}/{field}"),
                    format!("`{field}` of a check must be a non-empty string"),
                    "when: an expression such as v.storage.enabled; error, help: text that may use {{ … }}",
                );
                None
            }
        };
        let (when, key, error, help) = (
            text("when", true),
            text("key", false),
            text("error", true),
            text("help", false),
        );
        if let Some(when) = &when {
            if let Err(e) = string_environment().compile_expression(when) {
                r.error(
                    &format!("{at}/when"),
                    format!("invalid expression: {e}"),
                    "an expression over the values, e.g. v.storage.accessMode == \"ReadWriteMany\"",
                );
            }
        }
        r.templates_compile(&Value::Object(m.clone()), &at);
        if r.errors.len() > before {
            continue;
        }
        if let (Some(when), Some(error)) = (when, error) {
            out.push(Check {
                when,
                key,
                error,
                help: help.into_iter().collect(),
                origin: r.origin(&at),
            });
        }
    }
    out
}

fn resources(r: &mut Reader<'_>, files: &Files, v: Option<&Value>) -> Vec<Resource> {
    let mut out = Vec::new();
    let paths = r.strings(v, "/resources");
    for (i, path) in paths.iter().enumerate() {
        let at = format!("/resources/{i}");
        let rel = match relative(path) {
            Ok(rel) if rel.ends_with(".yaml") => rel,
            Ok(_) => {
                r.error(
                    &at,
                    format!("resource {} is not a `.yaml` template", quote(path)),
                    "name the template file NAME.yaml",
                );
                continue;
            }
            Err(why) => {
                r.error(
                    &at,
                    format!("resource {}: {why}", quote(path)),
                    "name a file of the overlay directory, relative to it",
                );
                continue;
            }
        };
        let text = match files.read(&rel) {
            Ok(t) => t,
            Err(why) => {
                r.error(
                    &at,
                    why,
                    "put the file inside the overlay directory (links that lead out of it are refused), or fix the path (relative to the directory)",
                );
                continue;
            }
        };
        let name = files.display(&rel);
        let mut env = crate::templates::rules();
        if let Err(e) = env.add_template(&name, &text) {
            r.errors.push(
                Diagnostic::error(Code::Overlay, format!("template does not compile: {e}"))
                    .with_origin(Some(Origin::Builtin {
                        name: name.clone(),
                        pos: e.line().map(|line| yaml::Pos { line, col: 1 }),
                    })),
            );
            continue;
        }
        out.push(Resource { name, text });
    }
    out
}

fn patch(r: &mut Reader<'_>, files: &Files, item: &Value, at: &str) -> Option<Patch> {
    let Value::Object(m) = item else {
        r.error(
            at,
            "a patch must be a mapping",
            "give target, type and patch",
        );
        return None;
    };
    r.known_keys(m, at, PATCH_FIELDS);
    let errors_before = r.errors.len();
    let when = match m.get("when") {
        None => None,
        Some(Value::String(w)) => {
            if let Err(e) = string_environment().compile_expression(w) {
                r.error(
                    &format!("{at}/when"),
                    format!("invalid expression: {e}"),
                    "an expression over the values, e.g. v.apiService.logs.retention.enabled",
                );
            }
            Some(w.clone())
        }
        Some(other) => {
            r.error(
                &format!("{at}/when"),
                format!(
                    "`when` must be an expression in a string, found {}",
                    crate::values::kind_of(other)
                ),
                "e.g. when: v.apiService.logs.retention.enabled",
            );
            None
        }
    };
    let target = match m.get("target") {
        Some(t) => match Target::parse(t) {
            Ok(t) => {
                r.templates_compile(&t.as_value(), &format!("{at}/target"));
                Some(t)
            }
            Err((sub, msg)) => {
                r.error(&format!("{at}/target{sub}"), msg, "a target has kind, name, namespace, group or labelSelector, e.g. {kind: Deployment, name: \"{{ fullname }}-api-server\"}");
                None
            }
        },
        None => {
            r.error(
                at,
                "a patch needs a `target`",
                "e.g. target: {kind: Deployment, name: \"{{ fullname }}-api-server\"}",
            );
            None
        }
    };
    let kind = match m.get("type") {
        Some(Value::String(t)) => match PatchType::from_name(t) {
            Some(k) => Some(k),
            None => {
                let names = PatchType::NAMES;
                let help = match did_you_mean(t, names.iter().copied()) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("use one of {}", names.join(", ")),
                };
                r.error(
                    &format!("{at}/type"),
                    format!("unknown patch type {}", quote(t)),
                    help,
                );
                None
            }
        },
        Some(other) => {
            r.error(
                &format!("{at}/type"),
                format!(
                    "`type` must be json6902, merge or strategic, found {}",
                    crate::values::kind_of(other)
                ),
                "json6902 takes a list of operations; merge and strategic take a partial object",
            );
            None
        }
        None => {
            r.error(
                at,
                "a patch needs a `type`: json6902, merge or strategic",
                "json6902 takes a list of operations; merge and strategic take a partial object",
            );
            None
        }
    };
    let expect = match m.get("expect") {
        None => Some(1),
        Some(Value::String(s)) if s == "any" => None,
        Some(v) => match v.as_u64() {
            Some(n) if n <= MAX_EXPECT => Some(n as usize),
            _ => {
                r.error(
                    &format!("{at}/expect"),
                    format!("`expect` must be a whole number from 0 to {MAX_EXPECT}, or `any`"),
                    "it is how many objects the target must match (default 1); `any` patches every match, even none",
                );
                Some(1)
            }
        },
    };
    let body = match (m.get("patch"), m.get("path").and_then(Value::as_str)) {
        (Some(body), None) => {
            let body = body.clone();
            if let Some(kind) = kind {
                if let Err(p) = kind.build(&body) {
                    r.error(
                        &format!("{at}/patch{}", p.pointer),
                        format!("malformed {} patch: {}", kind.name(), p.message),
                        kind.hint(),
                    );
                }
            }
            r.templates_compile(&body, &format!("{at}/patch"));
            Some(body)
        }
        (None, Some(path)) => patch_file(r, files, path, kind, &format!("{at}/path")),
        (Some(_), Some(_)) => {
            r.error(
                at,
                "give either `patch` or `path`, not both",
                "`path` names a file of the overlay directory that holds the patch",
            );
            None
        }
        (None, None) => {
            r.error(
                at,
                "a patch needs `patch` (inline) or `path` (a file of the overlay directory)",
                "e.g. patch: {spec: {replicas: 2}}",
            );
            None
        }
    };
    if r.errors.len() > errors_before {
        return None;
    }
    Some(Patch {
        target: target?,
        kind: kind?,
        body: body?,
        expect,
        when,
        origin: r.origin(at),
    })
}

/// A patch kept in a file of its own: read it and check its form against that file's lines.
fn patch_file(
    r: &mut Reader<'_>,
    files: &Files,
    path: &str,
    kind: Option<PatchType>,
    at: &str,
) -> Option<Value> {
    let rel = match relative(path) {
        Ok(rel) => rel,
        Err(why) => {
            r.error(
                at,
                format!("patch path {}: {why}", quote(path)),
                "name a file of the overlay directory, relative to it",
            );
            return None;
        }
    };
    let text = match files.read(&rel) {
        Ok(t) => t,
        Err(why) => {
            r.error(
                at,
                why,
                "put the file inside the overlay directory (links that lead out of it are refused), or fix the path (relative to the directory)",
            );
            return None;
        }
    };
    let name = files.display(&rel);
    let origin = |pos| {
        Some(Origin::Builtin {
            name: name.clone(),
            pos,
        })
    };
    let doc = match yaml::read_one(&text) {
        Ok(doc) => doc,
        Err(e) => {
            r.errors
                .push(Diagnostic::error(Code::Yaml, e.kind.to_string()).with_origin(origin(e.pos)));
            return None;
        }
    };
    if let Some(kind) = kind {
        if let Err(p) = kind.build(&doc.value) {
            r.errors.push(
                Diagnostic::error(
                    Code::Overlay,
                    format!("malformed {} patch: {}", kind.name(), p.message),
                )
                .with_origin(origin(doc.position_of(&p.pointer)))
                .with_help(kind.hint()),
            );
            return None;
        }
    }
    Some(doc.value)
}
