//! Stage 2: check merged values against the schema and the rules; produce [`Validated`].

use serde_json::Value;

use super::merge::Untouched;
use super::model::Values;
use super::resolve::{resolve, Release, Resolved};
use super::schema::SchemaWalker;
use super::set::Seg;
use super::static_json::{Json, Node};
use super::{kind_of, rules, schema, Merged};
use crate::diagnostics::{did_you_mean, quote, Code, Diagnostic};

/// Values that passed every check, for one release, with what they mean resolved. Only
/// [`validate`] builds one, so nothing renders unchecked input.
#[derive(Clone, Debug)]
pub struct Validated {
    values: Values,
    resolved: Resolved,
    warnings: Vec<Diagnostic>,
    /// The merged values as written (before typing) and where each came from, so later stages
    /// can point a problem in the output at the key that caused it.
    tree: Value,
    origins: super::merge::Origins,
}

impl Validated {
    /// The values, legacy spellings folded into their current keys.
    pub fn values(&self) -> &Values {
        &self.values
    }

    /// Names, images, auth modes and the other facts the values imply for the release.
    pub fn resolved(&self) -> &Resolved {
        &self.resolved
    }

    pub fn release(&self) -> &Release {
        &self.resolved.release
    }

    /// Findings that do not stop the render (YAML 1.1 words, deprecated keys).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The merged values tree, before typing (the JSON the user's sources built).
    pub fn tree(&self) -> &Value {
        &self.tree
    }

    /// Where each value of [`Validated::tree`] came from.
    pub fn origins(&self) -> &super::merge::Origins {
        &self.origins
    }
}

/// Keys that the chart once had (and the deployment guide may still show), with what replaced them.
const REMOVED_KEYS: &[(&str, &str)] = &[
    ("/rbac/rules", "removed from the chart; use rbac.namespaceRules and rbac.clusterRules"),
    ("/rbac/grantedNamespaces", "removed from the chart; SkyPilot now uses one namespace (kubernetesCredentials.inclusterNamespace)"),
    ("/ingress/auth", "removed from the chart; use ingress.authCredentials (htpasswd text) or ingress.authSecret"),
    ("/apiService/imagePullSecrets", "moved; use global.imagePullSecrets"),
    ("/apiService/probes", "replaced by apiService.livenessProbe and apiService.readinessProbe"),
    ("/vastdataCredentials", "never existed in the chart (the guide is wrong); VAST Data needs no credentials here"),
    ("/podSecurityContext/capabilities", "moved to the container-level securityContext.capabilities"),
    ("/podSecurityContext/allowPrivilegeEscalation", "moved to securityContext.allowPrivilegeEscalation"),
];

pub use crate::pointer::dotted;
use crate::pointer::to_path as segs;

/// Choices from the command line that change what the rules accept, and the release the values
/// are for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// `--allow-vulnerable-ingress-nginx`: accept controller images older than the CVE-2025-1974 fix.
    pub allow_vulnerable_ingress_nginx: bool,
    /// `--release-name`, `--namespace` and `--kube-version`.
    pub release: Release,
    /// `--skypilot-version`: the release whose schema checks `apiService.config`; `None` reads
    /// the tag of `apiService.image`.
    pub skypilot_version: Option<crate::skyconfig::version::SkyVersion>,
}

/// [`validate_with`] the default policy.
pub fn validate(merged: Merged) -> Result<Validated, Vec<Diagnostic>> {
    validate_with(merged, &Policy::default())
}

/// Check merged values: unknown keys, YAML 1.1 traps, the schema, then the cross-field rules.
pub fn validate_with(mut merged: Merged, policy: &Policy) -> Result<Validated, Vec<Diagnostic>> {
    let schema = schema::compiled();
    let walker = SchemaWalker::new(schema);
    let mut diags = Vec::new();

    // A whole float where an integer goes (`replicas: 1e3` in a file, `2.0` from `--set-json`)
    // is that integer, as Helm renders it; a fraction or a number beyond 64 bits stays an error.
    if has_float(&merged.tree) {
        whole_floats_to_integers(&mut merged.tree, &walker, &mut Vec::new());
    }
    let mut root = Walk {
        pointer: &mut String::new(),
        nodes: walker.root(),
    };
    let untouched = merged.origins.untouched_index();
    tree_checks(
        &merged,
        &untouched,
        &walker,
        &merged.tree,
        &mut root,
        &mut diags,
    );
    list_known_keys_once(&mut diags);
    coerce_traps(&mut merged, &walker, &mut diags);

    // Valid values (the common case) need no jsonschema validator; anything else gets one,
    // which finds and explains every error.
    let untouched = merged.origins.untouched_index();
    let fast = super::schema_check::check_known(schema, &merged.tree, &|p| untouched.at(p));
    let errors = match fast {
        super::schema_check::Verdict::Valid => None,
        _ => Some(schema::validator().iter_errors(&merged.tree)),
    };
    for err in errors.into_iter().flatten() {
        if matches!(
            err.kind(),
            jsonschema::error::ValidationErrorKind::AdditionalProperties { .. }
        ) {
            continue;
        }
        let pointer = err.instance_path().as_str().to_owned();
        let instance = err.instance();
        let found = match instance.as_ref() {
            _ if is_secret(&pointer) => {
                format!("{} (value not shown: a secret)", kind_of(instance))
            }
            Value::String(s) => format!("{} {}", kind_of(instance), quote(s)),
            Value::Null => "null".to_owned(),
            other => format!(
                "{} {}",
                kind_of(other),
                crate::diagnostics::shorten(&other.to_string())
            ),
        };
        let expected = expected_of(&walker, &pointer);
        let mut d = Diagnostic::error(
            Code::InvalidValue,
            format!("expected {expected}, found {found}"),
        )
        .with_key(dotted(&pointer))
        .with_origin(merged.origins.blame(&pointer).cloned());
        if let Some(help) = type_help(&walker, &pointer, instance.as_ref()) {
            d = d.with_help(help);
        }
        diags.push(d);
    }
    // One message per key: anyOf branches can report the same value several times.
    diags.dedup_by(|a, b| a.key == b.key && a.message == b.message && a.code == b.code);
    // The SkyPilot documents embedded as strings (#15); nothing happens when they are unset.
    // Reported with the rules' findings, so a config problem never hides a rule's.
    let skyconfig = crate::skyconfig::check(&merged, policy.skypilot_version);

    if diags.iter().any(Diagnostic::is_error) {
        diags.extend(skyconfig);
        return Err(diags);
    }
    let mut values: Values = match typed(&merged.tree) {
        Ok(v) => v,
        Err(e) => {
            // What the schema lets through and the model refuses (a whole number too large for
            // it, say) is still reported at its key and where it was set (issue 17).
            let pointer: String = e
                .path()
                .iter()
                .map(|seg| match seg {
                    serde_path_to_error::Segment::Seq { index } => format!("/{index}"),
                    serde_path_to_error::Segment::Map { key } => {
                        format!("/{}", crate::yaml::escape_pointer(key))
                    }
                    serde_path_to_error::Segment::Enum { .. }
                    | serde_path_to_error::Segment::Unknown => String::new(),
                })
                .collect();
            diags.push(
                Diagnostic::error(Code::InvalidValue, format!("{}", e.inner()))
                    .with_key(dotted(&pointer))
                    .with_origin(merged.origins.blame(&pointer).cloned()),
            );
            return Err(diags);
        }
    };
    // Edge rules read the values as written; then the Gateway mode is normalized so every
    // later rule and stage sees whether the Ingress and the bundled controller are rendered.
    diags.extend(super::edge::check(&values, &merged.origins));
    super::edge::normalize(&mut values);
    diags.extend(rules::check(&values, &merged.origins));
    diags.extend(super::monitoring::check(&values, &merged.origins));
    diags.extend(super::deprecations::check(&values, &merged.origins));
    diags.extend(super::deprecations::check_nginx_tag(
        &values,
        &merged.origins,
        policy.allow_vulnerable_ingress_nginx,
    ));
    diags.extend(super::deprecations::check_kube_version(
        &values,
        &merged.origins,
        policy.release.kube_version,
    ));
    diags.extend(skyconfig);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    diags.extend(super::nginx_cves::retired_warning(&values));
    diags.extend(super::grafana::warnings(&values, &policy.release));
    let resolved = resolve(&mut values, &policy.release);
    Ok(Validated {
        values,
        resolved,
        warnings: diags,
        tree: merged.tree,
        origins: merged.origins,
    })
}

/// The values as the typed model, or the error with the path where it happened. Most values
/// fit, and tracking the path of every node costs as much as deserializing: the path is tracked
/// only to explain an error, by deserializing again. Both read the same tree with the same
/// `Deserialize`, so they agree; debug builds (every test) check it.
fn typed(tree: &Value) -> Result<Values, serde_path_to_error::Error<serde_json::Error>> {
    use serde::Deserialize;
    match Values::deserialize(tree) {
        Ok(values) => {
            #[cfg(debug_assertions)]
            match serde_path_to_error::deserialize::<_, Values>(tree.clone()) {
                Ok(slow) => assert!(
                    slow == values,
                    "typed values differ by the way they are read"
                ),
                Err(e) => panic!("the values deserialize from a reference but not by value: {e}"),
            }
            Ok(values)
        }
        Err(_) => serde_path_to_error::deserialize(tree.clone()),
    }
}

/// A schema keyword (ignored by validators) holding what a value must be, in words.
pub const EXPECTED_KEYWORD: &str = "x-skygen-expected";

/// The [`EXPECTED_KEYWORD`] text of a schema node, also through `$ref` and the alternatives of
/// `anyOf`/`oneOf` (an optional value is `anyOf: [{$ref: …}, {type: null}]`).
fn expected_words<'a>(walker: &SchemaWalker<'a>, node: &'a Json) -> Option<&'a str> {
    let node = walker.deref(node);
    if let Some(words) = node.keyword(EXPECTED_KEYWORD).and_then(Node::as_str) {
        return Some(words);
    }
    ["anyOf", "oneOf"]
        .iter()
        .filter_map(|k| node.keyword(k).and_then(Node::as_list))
        .flatten()
        .find_map(|b| expected_words(walker, b))
}

/// Describe what the schema wants at a pointer, in words.
fn expected_of(walker: &SchemaWalker<'_>, pointer: &str) -> String {
    let path = segs(pointer);
    // A schema whose constraints read badly (a long pattern) says what it wants in words.
    if let Some(words) = walker
        .at(&path)
        .iter()
        .find_map(|n| expected_words(walker, n))
    {
        return words.to_owned();
    }
    let mut enums: Vec<String> = Vec::new();
    let mut extra = Vec::new();
    for node in walker.at(&path) {
        for b in walker.branches(node) {
            if let Some(c) = b.keyword("const") {
                enums.push(c.to_value().to_string());
            }
            if let Some(list) = b.keyword("enum").and_then(Node::as_list) {
                enums.extend(list.iter().map(|x| x.to_value().to_string()));
            }
            if let Some(p) = b.keyword("pattern").and_then(Node::as_str) {
                extra.push(format!("text matching {p}"));
            }
            if let Some(m) = b.keyword("minimum") {
                extra.push(format!("a number ≥ {}", m.to_value()));
            }
            if let Some(m) = b.keyword("maximum") {
                extra.push(format!("a number ≤ {}", m.to_value()));
            }
        }
    }
    if !enums.is_empty() {
        return format!("one of {}", enums.join(", "));
    }
    let acc = walker.accepts(&path);
    let mut kinds = Vec::new();
    for (flag, name) in [
        (acc.string, "a string"),
        (acc.boolean, "a boolean (true or false)"),
        (acc.integer, "an integer"),
        (acc.number && !acc.integer, "a number"),
        (acc.object, "a mapping"),
        (acc.array, "a list"),
    ] {
        if flag {
            kinds.push(name);
        }
    }
    let mut text = if kinds.is_empty() {
        "a valid value".to_owned()
    } else {
        kinds.join(" or ")
    };
    if !extra.is_empty() {
        text.push_str(&format!(" ({})", extra.join(", ")));
    }
    text
}

/// The whole list of known keys is printed once per place; later unknown keys at the same place
/// refer to it, so many typos stay a short report (the list itself is never cut). See: #10.
fn list_known_keys_once(diags: &mut [Diagnostic]) {
    let mut seen = std::collections::HashSet::new();
    for d in diags {
        for h in &mut d.help {
            if h.starts_with(KNOWN_KEYS) && !seen.insert(h.clone()) {
                *h = format!("{KNOWN_KEYS} as listed above");
            }
        }
    }
}

const KNOWN_KEYS: &str = "known keys here:";

/// A hint for two type errors whose cause is not obvious from the value. See: #10.
fn type_help(walker: &SchemaWalker<'_>, pointer: &str, found: &Value) -> Option<String> {
    match found {
        // `--set list[3]=x` on a shorter list fills the gap with nulls.
        Value::Null if pointer.rsplit('/').next().is_some_and(|s| s.parse::<usize>().is_ok()) => {
            Some("`--set` fills a list with nulls up to the index it sets (as Helm does); give the whole list instead, e.g. `--set key={a,b,c}`".into())
        }
        Value::String(s)
            if s.trim().parse::<f64>().is_ok() && {
                let acc = walker.accepts(&segs(pointer));
                acc.integer && !acc.string
            } =>
        {
            Some("write the number with digits only: no leading zero, exponent or fraction, at most 9223372036854775807".into())
        }
        _ => None,
    }
}

/// JSON Schema counts `1e1` and `1e20` as integers; the model's integer fields hold 64-bit whole
/// numbers. A number that is not one, where only integers are accepted, is an error at its key
/// (not a "does not fit the model" message without one). See: #10.
fn whole_number(
    merged: &Merged,
    walker: &SchemaWalker<'_>,
    n: &serde_json::Number,
    at: &Walk<'_, '_>,
    diags: &mut Vec<Diagnostic>,
) {
    if n.is_i64() {
        return;
    }
    let accepts = walker.accepts_at(&at.nodes);
    if accepts.integer && !accepts.number && !accepts.any {
        let pointer = at.pointer.as_str();
        diags.push(
            Diagnostic::error(Code::InvalidValue, format!("expected a whole number, found {n}"))
                .with_key(dotted(pointer))
                .with_origin(merged.origins.blame(pointer).cloned())
                .with_help("write the number with digits only (no exponent, no fraction), at most 9223372036854775807"),
        );
    }
}

/// Where a walk of the values tree is: the pointer of the node, and the schemas at its path
/// (each step derived from the parent's, so the walk never starts again from the schema root).
struct Walk<'p, 'a> {
    pointer: &'p mut String,
    nodes: Vec<&'a Json>,
}

impl<'a> Walk<'_, 'a> {
    /// The walk one step down, at the key `key` (a list index when `None`, `index`), where the
    /// schemas are `nodes`; the caller restores the pointer.
    fn down<'q>(
        &'q mut self,
        nodes: Vec<&'a Json>,
        key: Option<&str>,
        index: usize,
    ) -> Walk<'q, 'a> {
        self.pointer.push('/');
        match key {
            Some(k) => crate::pointer::push_escaped(self.pointer, k),
            None => self.pointer.push_str(&index.to_string()),
        }
        Walk {
            pointer: self.pointer,
            nodes,
        }
    }
}

/// One walk of the tree: unknown keys (their subtrees are not looked into), and numbers that are
/// not whole where the schema wants an integer.
fn tree_checks<'a>(
    merged: &Merged,
    untouched: &Untouched<'_>,
    walker: &SchemaWalker<'a>,
    node: &Value,
    at: &mut Walk<'_, 'a>,
    diags: &mut Vec<Diagnostic>,
) {
    let len = at.pointer.len();
    match node {
        Value::Object(map) => {
            // The alternatives once for all the children.
            let branches = walker.branches_at(&at.nodes);
            let allowed = walker.closed_keys_of(&branches);
            for (key, child) in map {
                if let Some(allowed) = &allowed {
                    if !allowed.contains(&key.as_str()) {
                        at.pointer.push('/');
                        crate::pointer::push_escaped(at.pointer, key);
                        diags.push(unknown_key(merged, at.pointer, key, allowed));
                        at.pointer.truncate(len);
                        continue;
                    }
                }
                if !checked(child) {
                    continue;
                }
                let nodes = walker.child_of(&branches, Some(key));
                let mut below = at.down(nodes, Some(key), 0);
                // The defaults have no unknown key and only whole numbers: a subtree left at
                // its defaults has nothing to report (debug builds check it below).
                if untouched.at(below.pointer) {
                    #[cfg(debug_assertions)]
                    {
                        let mut found = Vec::new();
                        tree_checks(merged, untouched, walker, child, &mut below, &mut found);
                        assert!(
                            found.is_empty(),
                            "the defaults at {} have findings: {found:?}",
                            below.pointer
                        );
                    }
                    at.pointer.truncate(len);
                    continue;
                }
                tree_checks(merged, untouched, walker, child, &mut below, diags);
                at.pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            let branches = walker.branches_at(&at.nodes);
            for (i, child) in items.iter().enumerate().filter(|(_, c)| checked(c)) {
                let mut below = at.down(walker.child_of(&branches, None), None, i);
                tree_checks(merged, untouched, walker, child, &mut below, diags);
                at.pointer.truncate(len);
            }
        }
        Value::Number(n) => whole_number(merged, walker, n, at, diags),
        _ => {}
    }
}

/// Whether [`tree_checks`] has anything to check in `v`: a mapping or a list, or a number that is
/// not a 64-bit integer. Other values are not visited, so their schemas are never looked up.
fn checked(v: &Value) -> bool {
    match v {
        Value::Object(_) | Value::Array(_) => true,
        Value::Number(n) => !n.is_i64(),
        _ => false,
    }
}

/// Subcharts skygen renders only in part: an unknown key under one of these prefixes lists the
/// keys supported there and says what to do instead.
const SUBCHART_HELP: &[(&str, &str)] = &[
    ("/ingress-nginx/", "other settings of the ingress-nginx chart are not rendered; patch the rendered objects with an overlay, or run your own controller (ingress-nginx.enabled=false)"),
    ("/prometheus/", "other settings of the prometheus chart are not rendered (docs/monitoring.md, Bundled Prometheus); patch the rendered objects with an overlay, or run your own Prometheus (prometheus.enabled=false)"),
    ("/grafana/", "other settings of the grafana chart are not rendered (docs/monitoring.md, Bundled Grafana); patch the rendered objects with an overlay, or run your own Grafana (grafana.enabled=false)"),
];

fn subchart_help(pointer: &str) -> Option<&'static (&'static str, &'static str)> {
    SUBCHART_HELP
        .iter()
        .find(|(prefix, _)| pointer.starts_with(prefix))
}

fn unknown_key(merged: &Merged, pointer: &str, key: &str, allowed: &[&str]) -> Diagnostic {
    let key_path = dotted(pointer);
    let mut d = Diagnostic::error(Code::UnknownKey, format!("unknown key {key_path}"))
        .with_origin(merged.origins.of(pointer).cloned());
    if let Some((_, hint)) = REMOVED_KEYS.iter().find(|(p, _)| *p == pointer) {
        d.message = format!("unknown key {key_path}: {hint}");
        return d;
    }
    let mut keys: Vec<&str> = allowed.to_vec();
    keys.sort_unstable();
    let subchart = subchart_help(pointer);
    if let Some(best) = did_you_mean(key, allowed.iter().copied()) {
        let parent = dotted(&pointer[..pointer.rfind('/').unwrap_or(0)]);
        let suggestion = if parent.is_empty() {
            best.to_owned()
        } else {
            format!("{parent}.{best}")
        };
        d.message = format!("unknown key {key_path} — did you mean {suggestion}?");
        if subchart.is_some() {
            d = d.with_help(format!(
                "skygen supports only these keys here: {}",
                keys.join(", ")
            ));
        }
    } else if let Some((_, help)) = subchart {
        d = d
            .with_help(format!(
                "skygen supports only these keys here: {}",
                keys.join(", ")
            ))
            .with_help(*help);
    } else {
        d = d.with_help(format!("{KNOWN_KEYS} {}", keys.join(", ")));
    }
    d
}

/// Where a text field received an unquoted YAML 1.1 word or number, keep Helm's reading as text
/// (`yes` → "true", `0755` → "493") and say how to get what was probably meant.
/// Values that are credentials: messages name their key and type, never their content.
const SECRETS: [&str; 11] = [
    "/ingress/authCredentials",
    "/apiService/initialBasicAuthCredentials",
    "/apiService/dbConnectionString",
    "/apiService/sshNodePools",
    "/slurmCredentials/config",
    "/auth/oauth/client-secret",
    "/auth/oauth/cookie-secret",
    "/auth/oauth/redis-url",
    "/ingress/oauth2-proxy/client-secret",
    "/ingress/oauth2-proxy/cookie-secret",
    "/ingress/oauth2-proxy/redis-url",
];

/// Whether the value at `pointer` is (part of) a credential.
pub fn is_secret(pointer: &str) -> bool {
    SECRETS.iter().any(|s| {
        pointer
            .strip_prefix(s)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// `1e3` or `2.0` where only an integer is accepted is that integer, as Helm reads it (Go's
/// YAML and JSON give a float64 that the templates print as `1000`). Left a float, it passed the
/// schema (JSON Schema counts 2.0 as an integer) and then failed the typed model with no key to
/// point at (issue 17, found by tests/properties.rs). Recursion is bounded by the values depth.
fn whole_floats_to_integers(v: &mut Value, walker: &SchemaWalker<'_>, path: &mut Vec<Seg>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                path.push(Seg::Key(k.clone()));
                whole_floats_to_integers(x, walker, path);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                path.push(Seg::Index(i));
                whole_floats_to_integers(x, walker, path);
                path.pop();
            }
        }
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // Exactly representable whole numbers only (|f| < 2^53).
            if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
                let accepts = walker.accepts(path);
                if accepts.integer && !accepts.number && !accepts.any {
                    *v = Value::from(f as i64);
                }
            }
        }
        _ => {}
    }
}

/// Whether a float is anywhere in `v` (most values hold none, and then the walk above, which
/// builds a path per node, is skipped).
fn has_float(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.values().any(has_float),
        Value::Array(a) => a.iter().any(has_float),
        Value::Number(n) => n.is_f64(),
        _ => false,
    }
}

fn coerce_traps(merged: &mut Merged, walker: &SchemaWalker<'_>, diags: &mut Vec<Diagnostic>) {
    let traps = std::mem::take(&mut merged.traps);
    for trap in traps {
        // Only traps whose value survived later layers.
        if merged.origins.of(&trap.pointer) != Some(&trap.origin) {
            continue;
        }
        let Some(slot) = merged.tree.pointer_mut(&trap.pointer) else {
            continue;
        };
        if !walker.accepts(&segs(&trap.pointer)).only_string() {
            continue;
        }
        let helm_text = match slot {
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            _ => continue,
        };
        let warning = if is_secret(&trap.pointer) {
            Diagnostic::warning(
                Code::Yaml11Scalar,
                format!(
                    "an unquoted YAML 1.1 word is read as {} (as Helm and kubectl read it), not as the text written; value not shown: a secret",
                    kind_of(slot)
                ),
            )
            .with_help("quote the value if you meant the text as written")
        } else {
            Diagnostic::warning(
                Code::Yaml11Scalar,
                format!(
                    "unquoted {} is read as {} (YAML 1.1, as Helm and kubectl read it); using the text {}",
                    quote(&trap.text),
                    slot,
                    quote(&helm_text)
                ),
            )
            .with_help(format!("quote it (\"{}\") if you meant the text {}", trap.text, quote(&trap.text)))
        };
        diags.push(
            warning
                .with_key(dotted(&trap.pointer))
                .with_origin(Some(trap.origin.clone())),
        );
        *slot = Value::String(helm_text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_read_as_key_paths() {
        assert_eq!(dotted("/apiService/image"), "apiService.image");
        assert_eq!(
            dotted("/rbac/namespaceRules/0/verbs"),
            "rbac.namespaceRules[0].verbs"
        );
        assert_eq!(
            dotted("/ingress-nginx/controller"),
            "ingress-nginx.controller"
        );
        assert_eq!(dotted("/a~1b"), "a/b");
    }
}
