//! A fast pass/fail check of values against the values schema, so the common case (valid values)
//! never compiles a `jsonschema` validator (about 2 ms, half of it meta-validating our own
//! schema). It understands exactly the keywords the generated schema uses and answers
//! [`Verdict::Unsure`] for anything else (a keyword, a `$ref` form, a number it cannot compare
//! exactly, a pattern Rust's regex might read differently from ECMA 262). Only
//! [`Verdict::Valid`] skips `jsonschema`; on anything else the validate stage runs `jsonschema`,
//! which finds and explains the errors. So this check never decides that values are wrong, and
//! it is right when it says they are valid: the test `agrees_with_jsonschema` holds it to that.
//!
//! For the values schema ([`check`]) it ignores `additionalProperties: false` outside
//! `anyOf`/`oneOf` branches, like the validate stage: unknown keys are reported (with
//! did-you-mean) by the unknown-key walk instead. The SkyPilot config schemas (draft-07, checked
//! by `skyconfig`) go through [`check_draft7`], where every keyword counts: compiling one of them
//! costs about 25 M instructions and most of a render's page faults, checking a config this way a
//! few thousand.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{Map, Value};

use super::static_json::Node;

/// What the fast check concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    Invalid,
    /// Outside what the fast check understands: ask `jsonschema`.
    Unsure,
}

use Verdict::{Invalid, Unsure, Valid};

/// Keywords that never constrain a value (and any `x-…` extension keyword, which validators
/// ignore too).
const ANNOTATIONS: &[&str] = &[
    "description",
    "title",
    "$schema",
    "$defs",
    "definitions",
    "default",
    "$comment",
    "examples",
];

/// Is `instance` valid against `root` (the values schema: the static one at run time, see
/// [`super::static_json`])?
pub fn check<S: Node>(root: &S, instance: &Value) -> Verdict {
    Checker {
        root,
        strict: false,
        known: None,
    }
    .node(root, instance, false)
}

/// [`check`], skipping the values whose pointer `known_valid` names: subtrees known to pass
/// their schema (values left at their defaults, see [`super::merge::Origins::untouched`]). Only
/// values reached from the root by `properties` alone are skipped, where the schema that applies
/// to a value depends on its path only. Debug builds (every test) check the full answer too.
pub fn check_known<S: Node>(
    root: &S,
    instance: &Value,
    known_valid: &dyn Fn(&str) -> bool,
) -> Verdict {
    let fast = Checker {
        root,
        strict: false,
        known: Some(Known {
            valid: known_valid,
            pointer: Default::default(),
        }),
    }
    .node_at(root, instance, false, true);
    #[cfg(debug_assertions)]
    assert_eq!(
        fast,
        check(root, instance),
        "skipping known-valid values changed the schema check; this is a skygen bug"
    );
    fast
}

/// Is `instance` valid against `root`, a draft-07 schema, every keyword counting (unknown keys
/// included)? For the SkyPilot config schemas and skygen's SSH node pools schema.
pub fn check_draft7<S: Node>(root: &S, instance: &Value) -> Verdict {
    Checker {
        root,
        strict: true,
        known: None,
    }
    .node(root, instance, true)
}

struct Checker<'a, S: Node> {
    root: &'a S,
    /// `additionalProperties: false` counts everywhere, and the draft-07 rules apply (`$ref`
    /// replaces its siblings, references point into `definitions`).
    strict: bool,
    known: Option<Known<'a>>,
}

/// Values known to pass (see [`check_known`]), and the pointer of the value being checked while
/// the check follows `properties` from the root.
struct Known<'a> {
    valid: &'a dyn Fn(&str) -> bool,
    pointer: std::cell::RefCell<String>,
}

/// Combine verdicts that must all hold.
fn all(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
    let mut out = Valid;
    for v in verdicts {
        match v {
            Invalid => return Invalid,
            Unsure => out = Unsure,
            Valid => {}
        }
    }
    out
}

/// Whether `text` matches `pattern` as Rust's regex reads it (searched anywhere), or `None` when
/// ECMA 262 could read the pattern differently (or it does not compile).
///
/// The pattern is compiled with `regex-lite`, the regex crate's small sibling: the same syntax,
/// a backtracker or PikeVM instead of `regex`'s prefilters and lazy DFAs, and no Unicode case
/// folding or Unicode classes (`\p{…}`, the Unicode `\d`/`\w`/`\s`, refused below anyway).
/// Values are short, so its search costs nothing, and compiling a schema pattern takes about
/// 27,000 instructions where `regex::Regex::new` took 180,000 and regex-automata's PikeVM
/// 110,000 (#11). `regex_lite_answers_as_regex` checks that it gives `regex::Regex`'s answer
/// for every pattern of the schemas. Compiled once per pattern per process.
fn regex_match(pattern: &str, text: &str) -> Option<bool> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<regex_lite::Regex>>>> = OnceLock::new();
    // Classes whose meaning differs between ECMA 262 and Rust's regex (Unicode `\d`, `\w`, …).
    if pattern.contains(['\\'])
        && pattern.chars().collect::<Vec<_>>().windows(2).any(|w| {
            w[0] == '\\'
                && matches!(
                    w[1],
                    'd' | 'D' | 'w' | 'W' | 's' | 'S' | 'b' | 'B' | 'p' | 'P' | 'u' | 'c' | 'k'
                )
        })
    {
        return None;
    }
    // Flags such as `(?i)`: regex-lite folds case for ASCII only, so non-ASCII text is left to
    // the full check.
    if pattern.contains("(?") && !text.is_ascii() {
        return None;
    }
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
    let re = cache
        .entry(pattern.to_owned())
        .or_insert_with(|| {
            // `regex::Regex::new`'s limit on the compiled size (10 MiB).
            regex_lite::RegexBuilder::new(pattern)
                .size_limit(10 * (1 << 20))
                .build()
                .ok()
        })
        .as_ref()?;
    Some(re.is_match(text))
}

/// Does `text` match `pattern` (ECMA 262, searched anywhere)? A default value under its schema
/// pattern is answered from the list made when skygen was built
/// ([`super::defaults::known_match`]); anything else is [`computed_match`].
fn matches(pattern: &str, text: &str) -> Verdict {
    if super::defaults::known_match(pattern, text) {
        return Valid;
    }
    computed_match(pattern, text)
}

/// [`matches`] by searching. Unsure where Rust's regex could read the pattern differently: the
/// classes [`regex_match`] refuses, and line terminators other than `\n`, which ECMA's `.` does
/// not match but Rust's does.
pub(crate) fn computed_match(pattern: &str, text: &str) -> Verdict {
    if text.contains(['\r', '\u{2028}', '\u{2029}']) {
        return Unsure;
    }
    if let Some(found) = literal_alternation(pattern, text) {
        return verdict(found);
    }
    match regex_match(pattern, text) {
        Some(found) => verdict(found),
        None => Unsure,
    }
}

/// A pattern that is a list of words (`^(?i:aws|gcp)$`, `^(a|b)$`, `^all$`, the SkyPilot
/// schemas' case-insensitive enums) matched against ASCII text by comparing, without compiling
/// a regex (a Unicode case-insensitive one costs more than the rest of the walk). For ASCII text
/// and ASCII words this is exactly the regex's answer; anything else is `None`.
fn literal_alternation(pattern: &str, text: &str) -> Option<bool> {
    let inner = pattern.strip_prefix('^')?.strip_suffix('$')?;
    let (fold, words) = match inner.strip_prefix("(?i:") {
        Some(rest) => (true, rest.strip_suffix(')')?),
        None => match inner.strip_prefix('(') {
            Some(rest) => (false, rest.strip_suffix(')')?),
            None => (false, inner),
        },
    };
    let plain = words
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'|' | b'-' | b'_'));
    if !plain || !text.is_ascii() {
        return None;
    }
    Some(words.split('|').any(|w| {
        if fold {
            w.eq_ignore_ascii_case(text)
        } else {
            w == text
        }
    }))
}

/// A number as an exact integer when it is one that `f64` also holds exactly.
fn exact_int<S: Node>(v: &S) -> Option<i64> {
    let i = v.as_i64()?;
    (i.unsigned_abs() <= 1 << 53).then_some(i)
}

impl<'a, S: Node> Checker<'a, S> {
    fn node(&self, schema: &'a S, inst: &Value, in_branch: bool) -> Verdict {
        self.node_at(schema, inst, in_branch, false)
    }

    /// [`Checker::node`]; `tracked` when `inst` is at the pointer [`Known`] holds.
    fn node_at(&self, schema: &'a S, inst: &Value, in_branch: bool, tracked: bool) -> Verdict {
        match schema.as_bool() {
            Some(true) => return Valid,
            Some(false) => return Invalid,
            None => {}
        }
        let Some(entries) = schema.entries() else {
            return Unsure;
        };
        let mut out = Valid;
        for (k, kv) in entries {
            let v = match k {
                "format" => {
                    // The only format the schema uses; jsonschema does not know it (annotation).
                    if kv.as_str() == Some("int64") {
                        Valid
                    } else {
                        Unsure
                    }
                }
                "$ref" => self.reference(schema, kv, inst, in_branch, tracked),
                "type" => type_check(kv, inst),
                "enum" => match kv.as_list() {
                    Some(list) => one_of_values(list.iter(), inst),
                    None => Unsure,
                },
                "const" => one_of_values(std::iter::once(kv), inst),
                "minimum" | "maximum" => match (inst.is_number(), exact_int(kv)) {
                    (false, _) => Valid,
                    (true, Some(bound)) => match exact_int(inst) {
                        Some(n) if k == "minimum" => verdict(n >= bound),
                        Some(n) => verdict(n <= bound),
                        None => Unsure,
                    },
                    (true, None) => Unsure,
                },
                "maxLength" => match (inst.as_str(), kv.as_u64()) {
                    (None, _) => Valid,
                    (Some(text), Some(max)) => verdict(text.chars().count() as u64 <= max),
                    (Some(_), None) => Unsure,
                },
                "pattern" => match (inst.as_str(), kv.as_str()) {
                    (None, _) => Valid,
                    (Some(text), Some(p)) => matches(p, text),
                    (Some(_), None) => Unsure,
                },
                "items" => match inst.as_array() {
                    None => Valid,
                    Some(items) if kv.is_object() || kv.as_bool().is_some() => {
                        all(items.iter().map(|i| self.node(kv, i, in_branch)))
                    }
                    Some(_) => Unsure,
                },
                "properties" => match inst.as_object() {
                    None => Valid,
                    Some(obj) if tracked && !in_branch && kv.is_object() => {
                        self.known_properties(kv, obj)
                    }
                    Some(obj) if kv.is_object() => all(obj
                        .iter()
                        .filter_map(|(name, val)| Some(self.node(kv.get(name)?, val, in_branch)))),
                    Some(_) => Unsure,
                },
                "additionalProperties" => match inst.as_object() {
                    None => Valid,
                    Some(obj) => self.additional(schema, kv, obj, in_branch),
                },
                "anyOf" | "oneOf" => match kv.as_list() {
                    Some(branches) => {
                        let vs: Vec<Verdict> =
                            branches.iter().map(|b| self.node(b, inst, true)).collect();
                        let valid = vs.iter().filter(|v| **v == Valid).count();
                        if vs.contains(&Unsure) {
                            // An unsure branch could still decide either way.
                            if k == "anyOf" && valid > 0 {
                                Valid
                            } else {
                                Unsure
                            }
                        } else if k == "anyOf" {
                            verdict(valid > 0)
                        } else {
                            verdict(valid == 1)
                        }
                    }
                    None => Unsure,
                },
                "not" => match self.node(kv, inst, true) {
                    Valid => Invalid,
                    Invalid => Valid,
                    Unsure => Unsure,
                },
                "if" => match self.node(kv, inst, true) {
                    Valid => schema
                        .keyword("then")
                        .map_or(Valid, |t| self.node(t, inst, in_branch)),
                    Invalid => schema
                        .keyword("else")
                        .map_or(Valid, |e| self.node(e, inst, in_branch)),
                    Unsure => Unsure,
                },
                // Read together with `if` (above); alone they do nothing.
                "then" | "else" => Valid,
                "required" => match (inst.as_object(), kv.as_list()) {
                    (None, _) => Valid,
                    (Some(obj), Some(names)) => all(names.iter().map(|n| match n.as_str() {
                        Some(n) => verdict(obj.contains_key(n)),
                        None => Unsure,
                    })),
                    (Some(_), None) => Unsure,
                },
                "exclusiveMinimum" | "exclusiveMaximum" => {
                    match (inst.is_number(), exact_int(kv)) {
                        (false, _) => Valid,
                        (true, Some(bound)) => match exact_int(inst) {
                            Some(n) if k == "exclusiveMinimum" => verdict(n > bound),
                            Some(n) => verdict(n < bound),
                            None => Unsure,
                        },
                        (true, None) => Unsure,
                    }
                }
                "minLength" => match (inst.as_str(), kv.as_u64()) {
                    (None, _) => Valid,
                    (Some(text), Some(min)) => verdict(text.chars().count() as u64 >= min),
                    (Some(_), None) => Unsure,
                },
                "minItems" | "maxItems" => match (inst.as_array(), kv.as_u64()) {
                    (None, _) => Valid,
                    (Some(a), Some(n)) => verdict(bound_holds(k == "minItems", a.len(), n)),
                    (Some(_), None) => Unsure,
                },
                "minProperties" | "maxProperties" => match (inst.as_object(), kv.as_u64()) {
                    (None, _) => Valid,
                    (Some(m), Some(n)) => verdict(bound_holds(k == "minProperties", m.len(), n)),
                    (Some(_), None) => Unsure,
                },
                "uniqueItems" => match (inst.as_array(), kv.as_bool()) {
                    (None, _) | (_, Some(false)) => Valid,
                    // `1` and `1.0` are equal to JSON Schema: leave floats to jsonschema.
                    (Some(a), Some(true)) if a.iter().any(Node::has_float) => Unsure,
                    (Some(a), Some(true)) => verdict(
                        a.iter()
                            .enumerate()
                            .all(|(i, x)| a[..i].iter().all(|y| x != y)),
                    ),
                    (Some(_), None) => Unsure,
                },
                "propertyNames" => match inst.as_object() {
                    None => Valid,
                    Some(obj) => all(obj
                        .keys()
                        .map(|key| self.node(kv, &Value::String(key.clone()), true))),
                },
                "patternProperties" => match (inst.as_object(), kv.entries()) {
                    (None, _) => Valid,
                    (Some(obj), Some(patterns)) => all(patterns.flat_map(|(p, sub)| {
                        obj.iter().map(move |(key, val)| match matches(p, key) {
                            Valid => self.node(sub, val, in_branch),
                            Invalid => Valid,
                            Unsure => Unsure,
                        })
                    })),
                    _ => Unsure,
                },
                // Checked last: most keywords are the ones above.
                k if ANNOTATIONS.contains(&k) || k.starts_with("x-") => Valid,
                _ => Unsure,
            };
            match v {
                Invalid => return Invalid,
                Unsure => out = Unsure,
                Valid => {}
            }
        }
        out
    }

    /// `$ref` to a definition of the same document (`#/$defs/NAME`, or `#/definitions/NAME`
    /// in draft-07, where a `$ref` replaces its sibling keywords: such a node is left to
    /// jsonschema).
    fn reference(
        &self,
        s: &'a S,
        kv: &'a S,
        inst: &Value,
        in_branch: bool,
        tracked: bool,
    ) -> Verdict {
        if self.strict
            && s.entries()
                .into_iter()
                .flatten()
                .any(|(k, _)| k != "$ref" && !ANNOTATIONS.contains(&k))
        {
            return Unsure;
        }
        let Some(r) = kv.as_str() else {
            return Unsure;
        };
        let found = ["$defs", "definitions"].iter().find_map(|defs| {
            let name = r
                .strip_prefix("#/")?
                .strip_prefix(defs)?
                .strip_prefix('/')?;
            (!name.contains(['/', '~', '%'])).then(|| self.root.keyword(defs)?.get(name))?
        });
        match found {
            Some(target) => self.node_at(target, inst, in_branch, tracked),
            None => Unsure,
        }
    }

    /// `properties` where the pointer of `obj` is known: a value [`Known`] names is skipped.
    fn known_properties(&self, props: &'a S, obj: &Map<String, Value>) -> Verdict {
        let known = self.known.as_ref().expect("tracked only with known values");
        all(obj.iter().filter_map(|(name, val)| {
            let schema = props.get(name)?;
            let len = {
                let mut pointer = known.pointer.borrow_mut();
                let len = pointer.len();
                pointer.push('/');
                crate::pointer::push_escaped(&mut pointer, name);
                if (known.valid)(&pointer) {
                    pointer.truncate(len);
                    return Some(Valid);
                }
                len
            };
            let v = self.node_at(schema, val, false, true);
            known.pointer.borrow_mut().truncate(len);
            Some(v)
        }))
    }

    /// `additionalProperties`: the keys neither `properties` nor `patternProperties` name.
    fn additional(
        &self,
        s: &'a S,
        kv: &'a S,
        obj: &Map<String, Value>,
        in_branch: bool,
    ) -> Verdict {
        let patterns: Vec<&str> = match s.keyword("patternProperties") {
            None => Vec::new(),
            Some(p) => match p.entries() {
                Some(p) => p.map(|(k, _)| k).collect(),
                None => return Unsure,
            },
        };
        let props = s.keyword("properties").filter(|p| p.is_object());
        let mut unsure = false;
        let mut extra = obj.iter().filter(|(k, _)| {
            props.is_none_or(|p| p.get(k).is_none())
                && !patterns.iter().any(|p| match matches(p, k) {
                    Valid => true,
                    Invalid => false,
                    Unsure => {
                        unsure = true;
                        false
                    }
                })
        });
        match kv.as_bool() {
            // Outside a branch an unknown key is the unknown-key walk's to report (see above).
            Some(false) if !in_branch && !self.strict => Valid,
            Some(false) => {
                let none = extra.next().is_none();
                if unsure {
                    Unsure
                } else {
                    verdict(none)
                }
            }
            _ => {
                let out = all(extra.map(|(_, v)| self.node(kv, v, in_branch)));
                if unsure {
                    all([out, Unsure])
                } else {
                    out
                }
            }
        }
    }
}

/// `minItems` (`min`) or `maxItems`-like bounds on a count.
fn bound_holds(min: bool, len: usize, bound: u64) -> bool {
    if min {
        len as u64 >= bound
    } else {
        len as u64 <= bound
    }
}

fn verdict(ok: bool) -> Verdict {
    if ok {
        Valid
    } else {
        Invalid
    }
}

/// `type`: one name or a list of names.
fn type_check<S: Node>(kv: &S, inst: &Value) -> Verdict {
    match (kv.as_str(), kv.as_list()) {
        (Some(name), _) => type_check_names([name], inst),
        (None, Some(list)) => match list.iter().map(Node::as_str).collect::<Option<Vec<_>>>() {
            Some(names) => type_check_names(names, inst),
            None => Unsure,
        },
        (None, None) => Unsure,
    }
}

fn type_check_names<'n>(names: impl IntoIterator<Item = &'n str>, inst: &Value) -> Verdict {
    let mut out = Invalid;
    for name in names {
        let v = match (name, inst) {
            ("null", Value::Null)
            | ("boolean", Value::Bool(_))
            | ("string", Value::String(_))
            | ("array", Value::Array(_))
            | ("object", Value::Object(_))
            | ("number", Value::Number(_)) => Valid,
            ("integer", Value::Number(n)) if n.is_i64() || n.is_u64() => Valid,
            // `1.0` is an integer to JSON Schema; leave such edge cases to jsonschema.
            ("integer", Value::Number(_)) => Unsure,
            ("null" | "boolean" | "string" | "array" | "object" | "number" | "integer", _) => {
                Invalid
            }
            _ => Unsure,
        };
        match v {
            Valid => return Valid,
            Unsure => out = Unsure,
            Invalid => {}
        }
    }
    out
}

/// `enum`/`const`: equal to one of the values. Numbers of different representations (`1` and
/// `1.0`) are left to jsonschema.
fn one_of_values<'v, S: Node>(mut values: impl Iterator<Item = &'v S>, inst: &Value) -> Verdict {
    let mut out = Invalid;
    for v in values.by_ref() {
        if v.same_as(inst) {
            return Valid;
        }
        if v.has_float() || inst.has_float() {
            out = Unsure;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Word-list patterns are answered without a regex, as the regex answers.
    #[test]
    fn word_lists_match_as_their_regex() {
        let patterns = ["^(?i:aws|gcp|do)$", "^(a-b|c_d)$", "^all$", "^(?i:x|)$"];
        let texts = [
            "aws", "AWS", "Gcp", "do ", "d", "", "a-b", "A-B", "c_d", "all", "ALL", "x\n",
        ];
        for p in patterns {
            let re = regex::Regex::new(p).unwrap();
            for t in texts {
                assert_eq!(literal_alternation(p, t), Some(re.is_match(t)), "{p} {t:?}");
            }
        }
        assert_eq!(literal_alternation("^(?i:aws)$", "\u{212A}"), None);
        assert_eq!(literal_alternation("^a.c$", "abc"), None);
        assert_eq!(literal_alternation("^(a|b)c$", "ac"), None);
    }

    /// Every `pattern` and `patternProperties` key of a schema.
    fn patterns(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x) {
                        ("pattern", Value::String(p)) => out.push(p.clone()),
                        ("patternProperties", Value::Object(ps)) => out.extend(ps.keys().cloned()),
                        _ => {}
                    }
                    patterns(x, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| patterns(x, out)),
            _ => {}
        }
    }

    /// regex-lite gives `regex::Regex`'s answer for every pattern of the values schema and of
    /// the SkyPilot config schemas, over texts made of each pattern's own characters and others
    /// (all short ones, and longer pseudo-random ones).
    #[test]
    fn regex_lite_answers_as_regex() {
        let mut all = Vec::new();
        patterns(crate::values::schema::shared(), &mut all);
        for e in crate::skyconfig::schemas::SCHEMAS {
            patterns(&serde_json::from_str(e.json).unwrap(), &mut all);
        }
        all.extend(
            [
                "^a.c$",
                "x{2,3}",
                "[^ \t\r\n]+$",
                "(?i:sky)",
                "^(\\*\\.)?[a-z]+$",
            ]
            .map(String::from),
        );
        all.sort();
        all.dedup();
        assert!(all.len() > 20, "patterns found: {}", all.len());
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let (mut compared, mut both) = (0, 0);
        for p in &all {
            let Ok(re) = regex::Regex::new(p) else {
                assert_eq!(regex_match(p, "x"), None, "{p}: regex refuses it");
                continue;
            };
            let mut alphabet: Vec<char> = p
                .chars()
                .filter(|c| !"^$()|?+{}\\[]".contains(*c))
                .collect();
            alphabet.extend([
                'a', 'Z', '0', '9', '-', '.', '/', '*', ' ', '\n', '\t', 'é', '%',
            ]);
            alphabet.sort_unstable();
            alphabet.dedup();
            let mut texts: Vec<String> = vec![String::new()];
            for c in &alphabet {
                texts.push(c.to_string());
                for d in &alphabet {
                    texts.push(format!("{c}{d}"));
                }
            }
            for _ in 0..400 {
                let len = (seed % 24) as usize;
                let mut t = String::new();
                for _ in 0..len {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    t.push(alphabet[(seed % alphabet.len() as u64) as usize]);
                }
                texts.push(t);
            }
            for t in [
                "sky.example.com",
                "30s",
                "1h30m",
                "512Mi",
                "25%",
                "/sky",
                "8080",
                "a/b",
            ] {
                texts.push(t.to_owned());
            }
            let mut answers = [false, false];
            for t in &texts {
                // `None` depends on the text only through the flag rule below.
                let Some(fast) = regex_match(p, t) else {
                    continue;
                };
                assert_eq!(fast, re.is_match(t), "{p:?} on {t:?}");
                answers[usize::from(fast)] = true;
                compared += 1;
            }
            both += usize::from(answers == [true, true]);
        }
        assert!(compared > 10_000, "texts compared: {compared}");
        // Where the engines differ, regex-lite is not asked: Unicode case folding.
        assert!(regex::Regex::new("(?i:é)").unwrap().is_match("É"));
        assert_eq!(regex_match("(?i:é)", "É"), None);
        assert_eq!(regex_match("(?i:sky)", "SKY"), Some(true));
        assert!(
            both * 2 > all.len(),
            "texts both matched and refused: {both} patterns"
        );
    }

    fn jsonschema_valid(schema: &Value, inst: &Value) -> bool {
        let v = jsonschema::options().build(schema).unwrap();
        let invalid = v.iter_errors(inst).any(|e| {
            !matches!(
                e.kind(),
                jsonschema::error::ValidationErrorKind::AdditionalProperties { .. }
            )
        });
        !invalid
    }

    /// Whenever the fast check says valid or invalid, jsonschema (as the validate stage reads
    /// it) agrees: over many valid and invalid mutations of the default values.
    #[test]
    fn agrees_with_jsonschema() {
        let schema = crate::values::schema::shared();
        let base = crate::values::load(&[], &mut std::io::empty())
            .unwrap()
            .tree;
        let mut cases = vec![base.clone()];
        let edits: &[(&str, Value)] = &[
            ("/apiService/metrics/port", json!(0)),
            ("/apiService/metrics/port", json!(70000)),
            ("/apiService/metrics/port", json!(9090)),
            ("/apiService/metrics/port", json!("9090")),
            ("/apiService/metrics/port", json!(9090.0)),
            ("/apiService/metrics/port", json!(9090.5)),
            ("/ingress/host", json!("sky.example.com")),
            ("/ingress/host", json!("Sky.example.com")),
            ("/ingress/host", json!("*.example.com")),
            ("/ingress/host", json!("bad host\n")),
            ("/ingress/path", json!("/sky")),
            ("/ingress/path", json!("sky")),
            ("/apiService/replicas", json!(-1)),
            ("/apiService/replicas", json!(2)),
            ("/apiService/upgradeStrategy", json!("RollingUpdate")),
            ("/apiService/upgradeStrategy", json!("Rolling")),
            (
                "/apiService/rollingUpdate",
                json!({"maxSurge": "25%", "maxUnavailable": 0}),
            ),
            (
                "/apiService/rollingUpdate",
                json!({"maxSurge": "25", "maxUnavailable": -1}),
            ),
            ("/storage/size", json!("10Gi")),
            ("/storage/size", json!(10)),
            ("/storage/accessMode", json!("ReadWriteMany")),
            ("/storage/accessMode", json!("ReadWriteSome")),
            ("/apiService/annotations", json!({"a": "b"})),
            ("/apiService/annotations", json!({"a": 1})),
            (
                "/apiService/extraEnvs",
                json!([{"name": "A", "value": "b"}]),
            ),
            ("/apiService/extraEnvs", json!("A=b")),
            ("/ingress/enabled", json!("yes")),
            ("/auth/oauth/enabled", json!(true)),
            ("/auth/oauth/cookie-refresh", json!(30)),
            ("/auth/oauth/cookie-refresh", json!([30])),
            ("/rbac/serviceAccountName", json!("sa")),
            ("/rbac/serviceAccountName", json!("SA_")),
            (
                "/ingress-nginx/controller/service/nodePorts/http",
                json!(30000),
            ),
            (
                "/ingress-nginx/controller/service/nodePorts/http",
                json!(true),
            ),
            ("/ingress-nginx/controller/replicaCount", json!(1.5)),
        ];
        for (pointer, value) in edits {
            let mut tree = base.clone();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            let Some(Value::Object(m)) = tree.pointer_mut(parent) else {
                panic!("{parent} is not in the defaults")
            };
            m.insert(key.to_owned(), value.clone());
            cases.push(tree);
        }
        let mut decided = 0;
        for (i, case) in cases.iter().enumerate() {
            let fast = check(schema, case);
            // The static schema (what a run reads) gives the serde_json tree's answer.
            assert_eq!(
                check(crate::values::schema::compiled(), case),
                fast,
                "case {i}: the static schema answers otherwise"
            );
            let slow = jsonschema_valid(schema, case);
            match fast {
                Valid => assert!(slow, "case {i}: fast says valid, jsonschema does not"),
                Invalid => assert!(!slow, "case {i}: fast says invalid, jsonschema does not"),
                Unsure => continue,
            }
            decided += 1;
        }
        assert_eq!(
            check(schema, &base),
            Valid,
            "the defaults take the fast path"
        );
        assert!(
            decided >= cases.len() - 4,
            "the fast check decides most cases"
        );
    }
}
