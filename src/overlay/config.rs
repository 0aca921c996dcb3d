//! An overlay's `config`: SkyPilot config entries merged into `apiService.config` (the text that
//! seeds `~/.sky/config.yaml`), between loading and validating the values.
//!
//! The user's config keeps every entry it has; the overlay's entries are added. An entry the user
//! set to a different value is an error, never silently overridden: the overlay depends on it
//! (`minimal-rbac` needs `kubernetes.remote_identity` to be the server's own ServiceAccount).
//! Strings may use the release names (`{{ service_account }}`), computed from the merged values
//! exactly as the render stage names objects. With a database configured, the server keeps its
//! config there and `apiService.config` must stay empty, so the entries become a warning saying
//! what to set in the dashboard. When entries are added, the config is written back as YAML
//! (comments in it are not kept).

use serde_json::{Map, Value};

use super::Overlay;
use crate::diagnostics::{quote, Code, Diagnostic, Origin};
use crate::skyconfig::ConfigEdits;
use crate::values::resolve::{Names, Release};
use crate::values::Merged;

const POINTER: &str = "/apiService/config";

/// The release names from merged, not yet validated values. Only `fullnameOverride` and
/// `rbac.serviceAccountName` are read (`workload_namespace` is the release's namespace here).
fn names(tree: &Value, release: &Release) -> Names {
    let text = |p: &str| tree.pointer(p).and_then(Value::as_str);
    Names::new(
        text("/fullnameOverride"),
        text("/rbac/serviceAccountName"),
        None,
        release,
    )
}

fn leaves(m: &Map<String, Value>, prefix: &str, out: &mut Vec<(String, Value)>) {
    for (k, v) in m {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Object(inner) if !inner.is_empty() => leaves(inner, &key, out),
            _ => out.push((key, v.clone())),
        }
    }
}

/// What merging config entries found: whether entries were added, and the keys the user set
/// to something else (key, the user's value, the overlay's).
#[derive(Debug, Default, PartialEq)]
struct Merge {
    added: bool,
    conflicts: Vec<(String, Value, Value)>,
}

/// Merge `add` into `base`.
fn merge(base: &mut Map<String, Value>, add: &Map<String, Value>, prefix: &str) -> Merge {
    let mut out = Merge::default();
    for (k, v) in add {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match (base.get_mut(k), v) {
            (None, _) => {
                base.insert(k.clone(), v.clone());
                out.added = true;
            }
            (Some(Value::Object(bm)), Value::Object(am)) => {
                let inner = merge(bm, am, &key);
                out.added |= inner.added;
                out.conflicts.extend(inner.conflicts);
            }
            (Some(existing), _) if existing == v => {}
            (Some(existing), _) => out.conflicts.push((key, existing.clone(), v.clone())),
        }
    }
    out
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        other => quote(&other.to_string()),
    }
}

/// Merge every overlay's `config` into `apiService.config`. Returns warnings, or the errors.
pub fn merge_config(
    merged: &mut Merged,
    overlays: &[Overlay],
    release: &Release,
) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    let with_config: Vec<_> = overlays
        .iter()
        .filter_map(|o| Some((o, o.config.as_ref()?)))
        .collect();
    if with_config.is_empty() {
        return Ok(Vec::new());
    }
    let ctx = super::strings::string_context(&names(&merged.tree, release), None, release);
    let env = super::strings::string_environment();
    let user_origin = merged.origins.of(POINTER).cloned();
    let current = merged.tree.pointer(POINTER).cloned().unwrap_or(Value::Null);
    let has_db = [
        "/apiService/dbConnectionString",
        "/apiService/dbConnectionSecretName",
    ]
    .iter()
    .any(|p| {
        merged
            .tree
            .pointer(p)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    });
    let mut config = match &current {
        Value::Null => Map::new(),
        Value::String(s) if s.trim().is_empty() => Map::new(),
        Value::String(s) => match crate::yaml::read_one(s).map(|doc| doc.value) {
            Ok(Value::Object(m)) => m,
            Ok(Value::Null) => Map::new(),
            // Not YAML, or not a mapping: the config check reports it with its line (#15).
            _ => return Ok(Vec::new()),
        },
        // A wrong type is the schema's to report.
        _ => return Ok(Vec::new()),
    };
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut first_origin: Option<Origin> = None;
    let mut added = false;
    let mut edits = Vec::new();
    for (overlay, (entries, origin)) in with_config {
        let entries =
            match super::strings::render_strings(&env, &Value::Object(entries.clone()), &ctx, "") {
                Ok(Value::Object(m)) => m,
                Ok(_) => unreachable!("rendering keeps a mapping a mapping"),
                Err((at, e)) => {
                    errors.push(
                        Diagnostic::error(Code::Overlay, format!("config{at}: {e}"))
                            .with_origin(Some(origin.clone())),
                    );
                    continue;
                }
            };
        if has_db {
            let mut list = Vec::new();
            leaves(&entries, "", &mut list);
            let shown: Vec<String> = list
                .iter()
                .map(|(k, v)| format!("{k}: {}", show(v)))
                .collect();
            warnings.push(
                Diagnostic::warning(Code::Overlay, format!(
                    "overlay {} needs {} in the SkyPilot config, which lives in the database when one is configured",
                    quote(&overlay.name),
                    shown.join(", ")
                ))
                .with_origin(Some(origin.clone()))
                .with_help("set these entries in the dashboard's config editor"),
            );
            continue;
        }
        let result = merge(&mut config, &entries, "");
        added |= result.added;
        if result.added {
            edits.push((overlay.name.clone(), origin.clone(), Value::Object(entries)));
        }
        for (key, have, want) in result.conflicts {
            errors.push(
                Diagnostic::error(
                    Code::Rule,
                    format!(
                        "overlay {} needs {key} = {} in apiService.config, which sets it to {}",
                        quote(&overlay.name),
                        show(&want),
                        show(&have)
                    ),
                )
                .with_key("apiService.config")
                .with_origin(user_origin.clone())
                .with_help(format!("remove `{key}` from apiService.config (the overlay sets it), or drop --overlay {}", overlay.name)),
            );
        }
        first_origin.get_or_insert_with(|| origin.clone());
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if has_db || !added {
        // Nothing to add: the user's text stays exactly as written.
        return Ok(warnings);
    }
    let text = crate::yaml_write::to_string(&Value::Object(config));
    if current.as_str() != Some(text.as_str()) {
        if current.as_str().is_none_or(|s| s.trim().is_empty()) {
            merged
                .origins
                .set(POINTER.to_owned(), first_origin.expect("checked above"));
        }
        merged.config_edits = Some(ConfigEdits {
            original: current
                .as_str()
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned),
            overlays: edits,
        });
        if let Some(api) = merged
            .tree
            .get_mut("apiService")
            .and_then(Value::as_object_mut)
        {
            api.insert("config".into(), Value::String(text));
        }
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_adds_keeps_and_reports_conflicts() {
        let mut base = json!({"kubernetes": {"allowed_contexts": ["a"]}, "jobs": {"x": 1}});
        let add = json!({"kubernetes": {"remote_identity": "sa"}});
        let result = merge(base.as_object_mut().unwrap(), add.as_object().unwrap(), "");
        assert_eq!(
            result,
            Merge {
                added: true,
                conflicts: vec![]
            }
        );
        assert_eq!(
            base,
            json!({"kubernetes": {"allowed_contexts": ["a"], "remote_identity": "sa"}, "jobs": {"x": 1}})
        );
        let other = json!({"kubernetes": {"remote_identity": "other"}});
        let result = merge(
            base.as_object_mut().unwrap(),
            other.as_object().unwrap(),
            "",
        );
        assert!(!result.added);
        assert_eq!(
            result.conflicts,
            [(
                "kubernetes.remote_identity".to_owned(),
                json!("sa"),
                json!("other")
            )]
        );
    }
}
