//! The scripts (`templates/**/*.sh`) as the map `scripts` that object templates read:
//! `scripts.<stem>` is rendered, and its template compiled, the first time a template reads it,
//! so a release renders only the scripts its Deployment runs (an AWS init script only with AWS
//! credentials). Scripts see the render context without `scripts`. A script that fails is
//! undefined to its reader (an error there too) and its own error is kept for the render to
//! report ([`Scripts::take_errors`]). Never parses or writes YAML.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};

use super::template_error;
use crate::diagnostics::Diagnostic;
use crate::templates::{script_key, template, TEMPLATES};

#[derive(Debug)]
pub(super) struct Scripts {
    context: Value,
    /// Each script read so far, by template name: its text, or `None` if it failed.
    done: Mutex<BTreeMap<&'static str, Option<Value>>>,
    errors: Mutex<Vec<Diagnostic>>,
}

fn scripts() -> impl Iterator<Item = &'static str> {
    TEMPLATES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| name.ends_with(".sh"))
}

impl Scripts {
    /// The scripts for one render, with the context they are rendered with.
    pub(super) fn new(context: Value) -> Arc<Scripts> {
        Arc::new(Scripts {
            context,
            done: Mutex::default(),
            errors: Mutex::default(),
        })
    }

    /// The errors of the scripts rendered so far (each reported once).
    pub(super) fn take_errors(&self) -> Vec<Diagnostic> {
        std::mem::take(&mut *self.errors.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn script(&self, name: &'static str) -> Option<Value> {
        let done = self
            .done
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned();
        if let Some(done) = done {
            return done;
        }
        let tmpl = template(name);
        // Rendered without holding a lock: a script never reads `scripts`, but a lock held
        // across a render would turn one that did into a deadlock instead of an error.
        let text = match tmpl.render(&self.context) {
            Ok(text) => Some(Value::from(text)),
            Err(e) => {
                self.errors
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(template_error(name, e));
                None
            }
        };
        self.done
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name, text.clone());
        text
    }
}

impl Object for Scripts {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        let name = scripts().find(|name| script_key(name) == key)?;
        self.script(name)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(
            scripts()
                .map(|name| Value::from(script_key(name)))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A script is rendered when read, once, and only then.
    #[test]
    fn scripts_render_when_read() {
        let context =
            serde_json::json!({"v": {"apiService": {"logs": {"retention": {"size": "10M"}}}}});
        let s = Scripts::new(Value::from(minijinja::value::Serde(context)));
        let value = Value::from_dyn_object(s.clone());
        // `logrotate.sh` reads only the retention size.
        let text = value.get_attr("logrotate").unwrap();
        assert!(text.as_str().unwrap().contains("size 10M"), "{text}");
        assert_eq!(s.done.lock().unwrap().len(), 1);
        assert_eq!(value.get_attr("logrotate").unwrap(), text);
        assert_eq!(s.done.lock().unwrap().len(), 1);
        assert!(s.take_errors().is_empty());
        assert!(value.get_attr("no_such_script").unwrap().is_undefined());
        // The map lists every script.
        let keys: Vec<String> = value.try_iter().unwrap().map(|k| k.to_string()).collect();
        assert!(keys.contains(&"api_start".to_owned()), "{keys:?}");
        assert_eq!(keys.len(), scripts().count());
    }

    /// A script that fails to render is undefined and its error is reported once.
    #[test]
    fn a_failing_script_is_reported() {
        let s = Scripts::new(minijinja::context! {});
        let value = Value::from_dyn_object(s.clone());
        // `api-start.sh` reads values an empty context lacks.
        assert!(value.get_attr("api_start").unwrap().is_undefined());
        let errors = s.take_errors();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(s.take_errors().is_empty());
    }
}
