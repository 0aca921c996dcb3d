//! An overlay's `checks`: combinations of values the overlay cannot work with, each an error
//! naming the values key, what goes wrong and the fix. `eks` uses one to refuse a
//! `ReadWriteMany` state volume on its EBS class, which Kubernetes would otherwise accept and
//! leave Pending forever.
//!
//! Takes the checks as read from `overlay.yaml` and the context of resource templates (`v` for
//! the validated values, the release names); returns diagnostics. Never changes anything.

use minijinja::Environment;

use crate::diagnostics::{Code, Diagnostic, Origin};

/// One check as written: when the expression `when` is true, the overlay fails with `error`.
#[derive(Debug)]
pub struct Check {
    /// A minijinja expression over the resource template context, e.g. `v.storage.enabled`.
    pub when: String,
    /// The values key the check is about (`storage.accessMode`), shown with the error.
    pub key: Option<String>,
    /// The error and help lines; templates over the same context.
    pub error: String,
    pub help: Vec<String>,
    /// Where the check is written.
    pub origin: Origin,
}

impl Check {
    /// Evaluate the check; `None` when the values are fine.
    pub fn run(&self, env: &Environment<'_>, ctx: &minijinja::Value) -> Option<Diagnostic> {
        self.evaluate(env, ctx).unwrap_or_else(|(what, e)| {
            Some(
                Diagnostic::error(
                    Code::Overlay,
                    format!("check `{what}` failed to evaluate: {e}"),
                )
                .with_origin(Some(self.origin.clone()))
                .with_help("checks see the same names as resource templates: v, names, release, … (docs/overlays.md)"),
            )
        })
    }

    /// The check's error if `when` holds; a failure names the expression or text that failed.
    fn evaluate(
        &self,
        env: &Environment<'_>,
        ctx: &minijinja::Value,
    ) -> Result<Option<Diagnostic>, (String, minijinja::Error)> {
        let hit = env
            .compile_expression(&self.when)
            .and_then(|expr| expr.eval(ctx))
            .map_err(|e| (self.when.clone(), e))?;
        if !hit.is_true() {
            return Ok(None);
        }
        let text = |s: &str| env.render_str(s, ctx).map_err(|e| (s.to_owned(), e));
        let mut d = Diagnostic::error(Code::Rule, text(&self.error)?);
        for h in &self.help {
            d = d.with_help(text(h)?);
        }
        if let Some(key) = &self.key {
            d = d.with_key(key);
        }
        Ok(Some(d.with_origin(Some(self.origin.clone()))))
    }
}
