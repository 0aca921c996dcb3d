//! The template rules and the embedded templates, shared by render and by overlay resources.
//!
//! [`TEMPLATES`] is every file under `templates/`, listed by `build.rs` at build time, so a file
//! in the directory is always embedded and rendered. [`environment`] is built once per process
//! ([`std::sync::OnceLock`]) and loads them lazily: a template is compiled the first time a render
//! uses it and kept for the rest of the process, so a release without Prometheus never pays for
//! compiling its templates, and a second release reuses what the first compiled. A template's
//! first line may be a guard, `{# when: EXPR #}` ([`guard`]): the render evaluates EXPR and
//! skips (never compiles) the template when it is false; a template's rarely used sections may be
//! parts ([`is_part`]) that it includes only when needed. [`rules`] is an empty environment with
//! the same rules for an overlay's own resource templates: undefined variables are errors,
//! `{{ … }}` in a `.yaml` template is written as JSON (always a correctly quoted YAML flow node),
//! and in a `.sh` template it is shell-quoted. Never reads the values; never parses YAML.

use std::sync::OnceLock;

use minijinja::{AutoEscape, Environment, Expression, UndefinedBehavior};

use crate::render::shell;

/// Every template, by name (its path under `templates/`), sorted by name. `.yaml` templates
/// produce objects; `.sh` templates produce scripts that the object templates embed as
/// `scripts.<stem>` (`api-start.sh` → `scripts.api_start`). A file one directory deeper,
/// `<chart>/<template>/<part>.yaml`, is a part of that template ([`is_part`]).
pub const TEMPLATES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// Whether the template `name` is a part of another (`skypilot/api-deployment/init-r2.yaml`):
/// text the other template includes (`{% include %}`, under an `{% if %}`) only when a release
/// needs it, so most renders never compile it. Compiling costs per tag, whether or not its
/// branch is taken, so sections that few releases use are parts (#11). A part is never
/// rendered on its own.
pub fn is_part(name: &str) -> bool {
    name.matches('/').count() > 1
}

/// The key under which a `.sh` template's text is given to the object templates.
pub fn script_key(name: &str) -> String {
    let stem = name.rsplit('/').next().unwrap_or(name);
    stem.trim_end_matches(".sh").replace('-', "_")
}

/// Text that JSON (and YAML, in double quotes) writes unchanged between quotes: printable ASCII
/// without `"` and `\`.
fn is_plain_json_text(text: &str) -> bool {
    text.bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
}

/// An environment with the rules of `templates/` and no templates; overlays add their resources
/// to it.
pub fn rules() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .expect("static syntax config; this is a skygen bug");
    env.set_syntax(syntax);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".sh") {
            AutoEscape::Custom("shell".into())
        } else if name.ends_with(".yaml") {
            AutoEscape::Json
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(|out, state, value| {
        if let AutoEscape::Custom(kind) = state.auto_escape() {
            if kind == "shell" {
                if value.is_safe() {
                    return out
                        .write_str(value.as_str().unwrap_or_default())
                        .map_err(Into::into);
                }
                let text = match value.as_str() {
                    Some(s) => s.to_owned(),
                    None => value.to_string(),
                };
                // The values stage refuses a NUL in every value a script uses (#17); one here
                // means a script uses a value that rule does not know.
                if text.contains('\0') {
                    return Err(minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        "a NUL character reached a shell script; this is a skygen bug",
                    ));
                }
                return out.write_str(&shell::quote(&text)).map_err(Into::into);
            }
        }
        if matches!(state.auto_escape(), AutoEscape::Json) && !value.is_safe() {
            // Most values are short printable-ASCII strings, which JSON writes as they are
            // between quotes: written so directly, without a serializer (#11).
            if let Some(text) = value.as_str().filter(|t| is_plain_json_text(t)) {
                out.write_str("\"")?;
                out.write_str(text)?;
                return out.write_str("\"").map_err(Into::into);
            }
            // minijinja writes JSON, which may carry DEL, C1 controls or U+FFFE raw; YAML
            // cannot (issue 17). Written as serde_json does, then those escaped.
            let json = serde_json::to_string(value).map_err(|e| {
                minijinja::Error::new(
                    minijinja::ErrorKind::BadSerialization,
                    format!("cannot write the value as JSON: {e}"),
                )
            })?;
            // Nearly every value is ASCII; serde_json escapes the C0 controls, so then only DEL
            // needs an escape. Both checks are far cheaper than a look at each character.
            if json.is_ascii() && !json.contains('\x7f') {
                return out.write_str(&json).map_err(Into::into);
            }
            return out
                .write_str(&crate::yaml::escape_json_for_yaml(&json))
                .map_err(Into::into);
        }
        minijinja::escape_formatter(out, state, value)
    });
    env
}

/// The text of the template `name` (a path under `templates/`).
pub fn source(name: &str) -> Option<&'static str> {
    TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// Every template of [`TEMPLATES`], each compiled the first time it is used
/// ([`Environment::get_template`]) and then kept for the rest of the process. A template that
/// does not compile is a skygen bug; the test `every_template_compiles` keeps that from shipping,
/// since a render may never use a broken template.
pub fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = rules();
        env.set_loader(|name| Ok(source(name)));
        env
    })
}

/// The template `name` of [`environment`], compiled on first use. It must exist and compile
/// (`every_template_compiles` checks every one); anything else is a skygen bug.
pub fn template(name: &str) -> minijinja::Template<'static, 'static> {
    environment()
        .get_template(name)
        .unwrap_or_else(|e| panic!("template {name} does not compile ({e}); this is a skygen bug"))
}

/// The guard text of a template: `EXPR` when its first line is `{# when: EXPR #}`.
fn guard_text(source: &str) -> Option<&str> {
    source
        .lines()
        .next()?
        .strip_prefix("{# when: ")?
        .strip_suffix(" #}")
}

/// The guard of the template `name`, compiled once per process: the render skips the template
/// when the guard is false for the context. The template's body then need not repeat it, and
/// is compiled only for a release that renders it. `None` for a template without a guard (it
/// is always rendered) or not in [`TEMPLATES`].
pub fn guard(name: &str) -> Option<&'static Expression<'static, 'static>> {
    static GUARDS: OnceLock<Vec<Option<Expression<'static, 'static>>>> = OnceLock::new();
    let guards = GUARDS.get_or_init(|| {
        TEMPLATES
            .iter()
            .map(|(name, text)| {
                guard_text(text).map(|expr| {
                    environment().compile_expression(expr).unwrap_or_else(|e| {
                        panic!("the guard of template {name} does not compile ({e}); this is a skygen bug")
                    })
                })
            })
            .collect()
    });
    let i = TEMPLATES.iter().position(|(n, _)| *n == name)?;
    guards[i].as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file under `templates/` is embedded (the build lists the directory), and every
    /// script is embedded by some object template, so none is silently unused.
    #[test]
    fn every_template_file_is_used() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut on_disk = Vec::new();
        let mut dirs = vec![root.clone()];
        while let Some(dir) = dirs.pop() {
            for f in std::fs::read_dir(&dir).unwrap() {
                let f = f.unwrap().path();
                if f.is_dir() {
                    dirs.push(f);
                    continue;
                }
                on_disk.push(
                    f.strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
        on_disk.sort();
        // Sorted as text here; the build sorts by path (a directory before a file of its name).
        let mut listed: Vec<String> = TEMPLATES.iter().map(|(n, _)| n.to_string()).collect();
        listed.sort();
        assert_eq!(listed, on_disk);
        for (name, _) in TEMPLATES.iter().filter(|(n, _)| n.ends_with(".sh")) {
            let used = format!("scripts.{}", script_key(name));
            assert!(
                TEMPLATES
                    .iter()
                    .any(|(n, text)| n.ends_with(".yaml") && text.contains(&used)),
                "{name} is never embedded ({used})"
            );
        }
        // A part is included by the template it belongs to, under an `{% if %}` (else it
        // would be compiled on every render that uses the template).
        for (name, _) in TEMPLATES.iter().filter(|(n, _)| is_part(n)) {
            let owner = format!("{}.yaml", name.rsplit_once('/').unwrap().0);
            let owner_text = source(&owner).unwrap_or_else(|| panic!("{name}: no {owner}"));
            let include = format!("{{% include \"{name}\" %}}");
            let at = owner_text
                .find(&include)
                .unwrap_or_else(|| panic!("{owner} never includes {name}"));
            assert!(
                owner_text[..at].trim_end().ends_with("%}")
                    && owner_text[..at]
                        .trim_end()
                        .rsplit('\n')
                        .next()
                        .unwrap()
                        .starts_with("{% if "),
                "{owner} includes {name} outside an `{{% if %}}` line"
            );
            assert!(name.ends_with(".yaml"), "{name}: parts are .yaml");
        }
        for (name, _) in TEMPLATES {
            assert!(
                name.ends_with(".yaml") || name.ends_with(".sh"),
                "{name}: templates are .yaml (objects) or .sh (scripts)"
            );
        }
    }

    /// Every value a script contains is one the NUL rule checks (`rules::SCRIPT_VALUES`): a
    /// shell cannot carry NUL, so such a value is refused at its key (#17). A new `{{ … }}` in a
    /// script fails here until the rule covers it (or it is listed as skygen's own text).
    #[test]
    fn every_value_in_a_script_is_checked_for_nul() {
        // Context fields that are skygen's own text, never the user's.
        let own = ["api.host"];
        // Context fields that carry a value as is.
        let fields = [("api.pre_deploy_hook", "/apiService/preDeployHook")];
        let mut used = std::collections::BTreeSet::new();
        for (name, text) in TEMPLATES.iter().filter(|(n, _)| n.ends_with(".sh")) {
            for expr in text.split("{{").skip(1) {
                let expr = expr.split("}}").next().unwrap();
                let path = expr.split('|').next().unwrap().trim();
                if own.contains(&path) {
                    continue;
                }
                let pointer = match path.strip_prefix("v.") {
                    Some(rest) => format!("/{}", rest.replace('.', "/")),
                    None => match fields.iter().find(|(f, _)| *f == path) {
                        Some((_, p)) => (*p).to_owned(),
                        None => panic!("{name}: `{path}` is not known to the NUL rule"),
                    },
                };
                used.insert(pointer);
            }
        }
        let checked: std::collections::BTreeSet<String> = crate::values::rules::SCRIPT_VALUES
            .iter()
            .map(|p| (*p).to_owned())
            .collect();
        assert_eq!(used, checked);
    }

    #[test]
    fn environment_is_built_once() {
        assert!(std::ptr::eq(environment(), environment()));
    }

    /// A render compiles only the templates it uses, so a template no golden case renders would
    /// otherwise fail only for the user who needs it: every template, and every guard, compiles.
    #[test]
    fn every_template_compiles() {
        for (name, _) in TEMPLATES {
            if let Err(e) = environment().get_template(name) {
                panic!("template {name} does not compile: {e:#}");
            }
            guard(name);
        }
        // The loader gives the same compiled template each time, not a new compile.
        let a = environment()
            .get_template("skypilot/api-service.yaml")
            .unwrap();
        let b = environment()
            .get_template("skypilot/api-service.yaml")
            .unwrap();
        assert_eq!(a.name(), b.name());
        assert!(environment().get_template("skypilot/none.yaml").is_err());
    }

    #[test]
    fn guards_are_read_from_the_first_line_only() {
        assert_eq!(guard_text("{# when: a and b #}\nx"), Some("a and b"));
        assert_eq!(guard_text("{# when: a #}"), Some("a"));
        assert_eq!(guard_text("{# a comment #}\n{# when: a #}"), None);
        assert_eq!(guard_text("{% if a %}"), None);
        assert_eq!(guard_text(""), None);
    }
}

#[cfg(test)]
mod formatter_tests {
    use super::rules;

    /// What the YAML templates' formatter wrote before the plain-text shortcut: serde_json's
    /// JSON, then the characters YAML cannot hold raw escaped.
    fn as_json_then_escaped(text: &str) -> String {
        crate::yaml::escape_json_for_yaml(&serde_json::to_string(text).unwrap()).into_owned()
    }

    #[test]
    fn a_string_in_a_yaml_template_is_written_as_escaped_json() {
        let mut env = rules();
        env.add_template("t.yaml", "{{ s }}").unwrap();
        let tmpl = env.get_template("t.yaml").unwrap();
        let mut texts: Vec<String> = [
            "",
            "plain",
            "with space",
            "a\"quote",
            "back\\slash",
            "tab\there",
            "line\nbreak",
            "del\x7f",
            "é",
            "\u{85}",
            "\u{fffe}",
            "~",
            " ",
            "{{",
            "#",
            "'",
            "\x1f",
            "\u{2028}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        texts.extend((0u8..=0x7f).map(|b| format!("x{}y", b as char)));
        for text in texts {
            let written = tmpl
                .render(minijinja::context! { s => text.clone() })
                .unwrap();
            assert_eq!(written, as_json_then_escaped(&text), "{text:?}");
        }
    }
}
