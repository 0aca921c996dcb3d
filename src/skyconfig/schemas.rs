//! The SkyPilot config schemas skygen carries: one JSON Schema per release, generated from the
//! release itself by `scripts/skypilot-config-schemas.sh` and committed under `schema/skypilot/`.
//!
//! The files are embedded as text; a schema is parsed and compiled only when a config is checked
//! against it, once per process. Adding a release: run the script, add a line to [`SCHEMAS`]
//! (version and the `built` date from the file's `x-skypilot`), run the tests.

use std::sync::OnceLock;

use serde_json::Value;

/// One embedded schema.
#[derive(Debug)]
pub struct Embedded {
    /// The PyPI version (`0.14.1`, or `1.0.0.devYYYYMMDD` for skypilot-nightly).
    pub version: &'static str,
    /// When the wheel was built (`x-skypilot.built`): a nightly is matched by date.
    pub built: &'static str,
    pub json: &'static str,
    /// Where the entries of every `properties` object of `json` are (each key, start and end;
    /// then the object's start and end; sorted by start), written by `build.rs` with
    /// [`super::scan`], so a prune jumps to the keys a config has instead of scanning past the
    /// others. `None`: scan.
    pub properties: prune::Index,
}

macro_rules! schema {
    ($version:literal, $built:literal) => {
        Embedded {
            version: $version,
            built: $built,
            json: include_str!(concat!("../../schema/skypilot/config-", $version, ".json")),
            properties: include!(concat!(
                env!("OUT_DIR"),
                "/skypilot-config-",
                $version,
                ".properties.rs"
            )),
        }
    };
}

/// Every embedded schema: releases oldest first, then nightlies oldest first.
pub static SCHEMAS: &[Embedded] = &[
    schema!("0.10.0", "2025-07-12"),
    schema!("0.10.1", "2025-08-09"),
    schema!("0.10.2", "2025-08-27"),
    schema!("0.10.3", "2025-09-09"),
    schema!("0.10.5", "2025-11-06"),
    schema!("0.11.0", "2025-12-10"),
    schema!("0.11.1", "2025-12-15"),
    schema!("0.11.2", "2026-03-03"),
    schema!("0.12.0", "2026-03-24"),
    schema!("0.12.1", "2026-04-24"),
    schema!("0.12.2", "2026-05-15"),
    schema!("0.12.3", "2026-05-23"),
    schema!("0.13.0", "2026-07-22"),
    schema!("0.14.0", "2026-10-05"),
    schema!("0.14.1", "2026-10-19"),
    schema!("1.0.0.dev20261027", "2026-10-27"),
];

fn index_of(e: &Embedded) -> usize {
    SCHEMAS
        .iter()
        .position(|s| std::ptr::eq(s, e))
        .expect("schemas come from SCHEMAS; this is a skygen bug")
}

/// The parsed schema.
pub fn parsed(e: &'static Embedded) -> &'static Value {
    static PARSED: OnceLock<Vec<OnceLock<Value>>> = OnceLock::new();
    let cells = PARSED.get_or_init(|| SCHEMAS.iter().map(|_| OnceLock::new()).collect());
    cells[index_of(e)].get_or_init(|| {
        serde_json::from_str(e.json).expect(
            "embedded SkyPilot schemas are JSON (a test reads them all); this is a skygen bug",
        )
    })
}

/// The part of the schema that can apply to `config`: all of it but, at every level the
/// config reaches, the `properties` it does not have. The fast walk visits nothing else
/// (`properties` only looks at the keys the config has, and `additionalProperties` asks only
/// whether those keys are listed), so it answers the same. Checking a valid config then reads
/// the schema's 60 KB once, building values only along the config's keys (a full parse costs
/// more than the rest of the check): the parts it leaves out are skipped by a byte scan
/// ([`prune`]), the parts it keeps are parsed by serde_json. A schema with a `$ref` (which could
/// point into a pruned part) comes back whole.
pub fn pruned(e: &'static Embedded, config: &Value) -> Value {
    if memchr::memmem::find(e.json.as_bytes(), b"\"$ref\"").is_some() {
        return parsed(e).clone();
    }
    prune::pruned(e.json, e.properties, config).unwrap_or_else(|| parsed(e).clone())
}

/// The scanner of [`pruned`]. It reads only JSON that serde_json has read whole (the embedded
/// schemas: a test parses every one), so it checks structure only as far as it needs to find
/// where each value ends; anything unexpected gives `None` and the caller parses the whole
/// schema.
mod prune {
    use super::super::scan;
    use serde_json::{Map, Value};

    /// One indexed `properties` object: its entries (key, start, end), its start and end.
    pub type Indexed = (&'static [(&'static str, usize, usize)], usize, usize);

    /// `Embedded::properties`.
    pub type Index = Option<&'static [Indexed]>;

    /// The pruned schema of `json` for `instance`; `index` locates the root's `properties`.
    pub fn pruned(json: &str, index: Index, instance: &Value) -> Option<Value> {
        let mut s = Scan { text: json, at: 0 };
        let v = s.node(Some(instance), index)?;
        s.spaces();
        (s.at == json.len()).then_some(v)
    }

    struct Scan<'t> {
        text: &'t str,
        at: usize,
    }

    impl Scan<'_> {
        fn bytes(&self) -> &[u8] {
            self.text.as_bytes()
        }

        fn peek(&self) -> Option<u8> {
            self.bytes().get(self.at).copied()
        }

        fn spaces(&mut self) {
            self.at = scan::spaces(self.bytes(), self.at);
        }

        fn eat(&mut self, c: u8) -> Option<()> {
            self.spaces();
            (self.peek() == Some(c)).then(|| self.at += 1)
        }

        fn skip_value(&mut self) -> Option<()> {
            self.at = scan::skip_value(self.bytes(), self.at)?;
            Some(())
        }

        /// The value that starts here, parsed whole.
        fn value(&mut self) -> Option<Value> {
            self.spaces();
            let start = self.at;
            self.skip_value()?;
            serde_json::from_str(&self.text[start..self.at]).ok()
        }

        /// An object key (at its `"`).
        fn key(&mut self) -> Option<String> {
            self.spaces();
            if self.peek()? != b'"' {
                return None;
            }
            let start = self.at;
            self.at = scan::skip_string(self.bytes(), start)?;
            let quoted = &self.text[start..self.at];
            if quoted.contains('\\') {
                serde_json::from_str(quoted).ok()
            } else {
                Some(quoted[1..quoted.len() - 1].to_owned())
            }
        }

        /// The entries of the object that starts here; `entry` reads each value into the map
        /// (or skips it).
        fn object(
            &mut self,
            mut entry: impl FnMut(&mut Self, String, &mut Map<String, Value>) -> Option<()>,
        ) -> Option<Value> {
            self.eat(b'{')?;
            let mut out = Map::new();
            if self.eat(b'}').is_some() {
                return Some(Value::Object(out));
            }
            loop {
                let key = self.key()?;
                self.eat(b':')?;
                entry(self, key, &mut out)?;
                self.spaces();
                match self.peek()? {
                    b',' => self.at += 1,
                    b'}' => {
                        self.at += 1;
                        return Some(Value::Object(out));
                    }
                    _ => return None,
                }
            }
        }

        /// A schema node read for an instance node (`None`: absent): every keyword parsed, but
        /// `properties` pruned (with `index`, found without scanning).
        fn node(&mut self, instance: Option<&Value>, index: Index) -> Option<Value> {
            self.spaces();
            if self.peek()? != b'{' {
                return self.value();
            }
            self.object(|s, key, out| {
                let v = if key == "properties" {
                    s.spaces();
                    let at = s.at;
                    let found = index
                        .and_then(|list| list.binary_search_by_key(&at, |p| p.1).ok())
                        .and_then(|i| index?.get(i));
                    match found {
                        Some(&(entries, start, end)) => {
                            s.indexed(instance, index, entries, start, end)?
                        }
                        None => s.properties(instance, index)?,
                    }
                } else {
                    s.value()?
                };
                out.insert(key, v);
                Some(())
            })
        }

        /// The value of `properties`: only the instance's keys, each a pruned node.
        fn properties(&mut self, instance: Option<&Value>, index: Index) -> Option<Value> {
            self.spaces();
            if self.peek()? != b'{' {
                return self.value();
            }
            self.object(|s, key, out| {
                match instance.and_then(|i| i.get(&key)) {
                    Some(child) => {
                        let v = s.node(Some(child), index)?;
                        out.insert(key, v);
                    }
                    None => {
                        s.skip_value()?;
                    }
                }
                Some(())
            })
        }

        /// [`Self::properties`] from the build's index of the object at `start..end`: only the
        /// entries the instance has are read.
        fn indexed(
            &mut self,
            instance: Option<&Value>,
            index: Index,
            entries: &[(&'static str, usize, usize)],
            start: usize,
            end: usize,
        ) -> Option<Value> {
            self.spaces();
            if self.at != start {
                return None;
            }
            let mut out = Map::new();
            for &(key, from, to) in entries {
                if let Some(child) = instance.and_then(|i| i.get(key)) {
                    self.at = from;
                    let v = self.node(Some(child), index)?;
                    if self.at != to {
                        return None;
                    }
                    out.insert(key.to_owned(), v);
                }
            }
            self.at = end;
            Some(Value::Object(out))
        }
    }
}

/// The parsed schema and its validator (draft-07, as SkyPilot validates).
pub fn compiled(e: &'static Embedded) -> (&'static Value, &'static jsonschema::Validator) {
    static COMPILED: OnceLock<Vec<OnceLock<jsonschema::Validator>>> = OnceLock::new();
    let cells = COMPILED.get_or_init(|| SCHEMAS.iter().map(|_| OnceLock::new()).collect());
    let schema = parsed(e);
    let validator = cells[index_of(e)].get_or_init(|| {
        jsonschema::draft7::new(schema).expect(
            "embedded SkyPilot schemas compile (a test compiles them all); this is a skygen bug",
        )
    });
    (schema, validator)
}

/// Whether `schema` accepts a node at `pointer` (by key, not by value).
fn has_path(schema: &Value, segments: &[String]) -> bool {
    let Some((first, rest)) = segments.split_first() else {
        return true;
    };
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            if branches.iter().any(|b| has_path(b, segments)) {
                return true;
            }
        }
    }
    if let Some(next) = schema.get("properties").and_then(|p| p.get(first)) {
        return has_path(next, rest);
    }
    if let Some(next) = schema.get("additionalProperties").filter(|a| a.is_object()) {
        return has_path(next, rest);
    }
    if first.parse::<usize>().is_ok() {
        if let Some(items) = schema.get("items") {
            return has_path(items, rest);
        }
    }
    false
}

/// For a key `current` does not know: which other releases accept it, as a help line.
pub fn key_history(pointer: &str, current: &'static Embedded) -> Option<String> {
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let here = index_of(current);
    let with: Vec<usize> = (0..SCHEMAS.len())
        .filter(|&i| has_path(parsed(&SCHEMAS[i]), &segments))
        .collect();
    let (first, last) = (*with.first()?, *with.last()?);
    let key = segments.last().map(String::as_str).unwrap_or_default();
    Some(if first > here {
        format!(
            "`{key}` is known from SkyPilot {} on; this check uses {} (the image's release): upgrade the image or drop the key",
            SCHEMAS[first].version, current.version
        )
    } else if last < here {
        format!(
            "`{key}` was known up to SkyPilot {}; {} no longer accepts it",
            SCHEMAS[last].version, current.version
        )
    } else {
        let list: Vec<&str> = with.iter().map(|&i| SCHEMAS[i].version).collect();
        format!("SkyPilot releases that know `{key}`: {}", list.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every embedded schema is JSON, compiles, and says which release it is.
    #[test]
    fn every_schema_compiles_and_matches_its_entry() {
        for e in SCHEMAS {
            let (schema, _) = compiled(e);
            assert_eq!(schema["x-skypilot"]["version"], e.version, "{}", e.version);
            assert_eq!(schema["x-skypilot"]["built"], e.built, "{}", e.version);
            assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        }
    }

    /// Whenever the fast walk decides a config (valid or not), the compiled schema agrees:
    /// configs that use many parts of the schema, and mistakes in each, against every release.
    /// The configs a render meets (the benchmark's, the golden cases') take the fast path.
    #[test]
    fn the_fast_walk_agrees_with_jsonschema() {
        use crate::values::schema_check::{check_draft7, Verdict};
        use serde_json::json;
        let valid = [
            json!({"allowed_clouds": ["aws", "gcp", "kubernetes"],
                   "kubernetes": {"allowed_contexts": ["in-cluster"]},
                   "jobs": {"controller": {"resources": {"cpus": "2+", "memory": "4+"}}}}),
            json!({"allowed_clouds": ["AWS", "kubernetes"],
                   "kubernetes": {"allowed_contexts": ["on"], "remote_identity": "yes"}}),
            json!({"kubernetes": {"pod_config": {"spec": {"nodeSelector": {"a": "b"}}},
                   "provision_timeout": 900, "remote_identity": "SERVICE_ACCOUNT"},
                   "aws": {"labels": {"team": "ml"}, "use_internal_ips": true,
                           "vpc_name": "vpc-1", "security_group_name": "sg"},
                   "gcp": {"project_id": "p", "use_internal_ips": false},
                   "admin_policy": "my.module.Policy"}),
            json!({}),
        ];
        let invalid = [
            json!({"allowed_clouds": "aws"}),
            json!({"allowed_clouds": ["nowhere"]}),
            json!({"kubernetes": {"provision_timeout": "soon"}}),
            json!({"kubernetes": {"no_such_key": 1}}),
            json!({"no_such_section": {}}),
            json!({"aws": {"use_internal_ips": "yes"}}),
            json!({"jobs": {"controller": {"resources": {"cpus": []}}}}),
            json!({"gcp": {"labels": {"a": 1}}}),
        ];
        let mut decided = 0;
        let mut total = 0;
        for e in SCHEMAS {
            let (schema, validator) = compiled(e);
            for config in valid.iter().chain(&invalid) {
                total += 1;
                let slow = validator.is_valid(config);
                let fast = check_draft7(schema, config);
                assert_eq!(
                    fast,
                    check_draft7(&pruned(e, config), config),
                    "{}: pruned",
                    e.version
                );
                match fast {
                    Verdict::Valid => {
                        assert!(slow, "{}: fast valid, jsonschema not: {config}", e.version)
                    }
                    Verdict::Invalid => assert!(
                        !slow,
                        "{}: fast invalid, jsonschema valid: {config}",
                        e.version
                    ),
                    Verdict::Unsure => continue,
                }
                decided += 1;
            }
            assert_eq!(
                check_draft7(schema, &valid[0]),
                Verdict::Valid,
                "{}: the benchmark's config takes the fast path",
                e.version
            );
        }
        assert!(decided * 10 >= total * 9, "decided {decided} of {total}");
    }

    /// The pruning as the doc of [`pruned`] states it, over the parsed schema.
    fn pruned_by_definition(schema: &Value, instance: Option<&Value>) -> Value {
        let Value::Object(m) = schema else {
            return schema.clone();
        };
        let out = m.iter().map(|(k, v)| {
            let v = match v {
                Value::Object(props) if k == "properties" => Value::Object(
                    props
                        .iter()
                        .filter_map(|(name, s)| {
                            let child = instance?.get(name)?;
                            Some((name.clone(), pruned_by_definition(s, Some(child))))
                        })
                        .collect(),
                ),
                other => other.clone(),
            };
            (k.clone(), v)
        });
        Value::Object(out.collect())
    }

    /// The byte scan prunes exactly as the definition says, keys in the file's order, for
    /// configs that reach deep and wide (and keys no schema has), against every release.
    #[test]
    fn the_scan_prunes_as_defined() {
        use serde_json::json;
        let configs = [
            json!({}),
            json!({"allowed_clouds": ["aws"], "kubernetes": {"allowed_contexts": ["x"],
                   "pod_config": {"spec": {"containers": [{"name": "a"}]}}},
                   "jobs": {"controller": {"resources": {"cpus": "2+"}}}}),
            json!({"aws": {"labels": {"a": "b"}, "vpc_name": "v", "no_such": 1},
                   "gcp": {"project_id": "p"}, "api_server": {"requests_retry_after": 1},
                   "db": "x", "admin_policy": "a.b", "no_such_section": {"x": 1}}),
            json!({"kubernetes": {"custom_metadata": {"labels": {}}, "ports": "ingress"},
                   "serve": {"controller": {"resources": {}}}, "docker": {"run_options": []}}),
            json!("not a mapping"),
        ];
        for e in SCHEMAS {
            for config in &configs {
                let fast = prune::pruned(e.json, e.properties, config)
                    .expect("the scan reads every schema");
                let scanned =
                    prune::pruned(e.json, None, config).expect("the scan reads every schema");
                assert_eq!(fast, scanned, "{}: index and scan", e.version);
                let slow = pruned_by_definition(parsed(e), Some(config));
                assert_eq!(
                    serde_json::to_string(&fast).unwrap(),
                    serde_json::to_string(&slow).unwrap(),
                    "{}: {config}",
                    e.version
                );
            }
        }
    }

    /// Every schema has the build's index, and it is the index of the embedded text.
    #[test]
    fn the_build_indexes_every_schema() {
        for e in SCHEMAS {
            let built = e.properties.expect("build.rs indexes every schema");
            let here = super::super::scan::properties_index(e.json).unwrap();
            assert_eq!(built.len(), here.len(), "{}", e.version);
            for ((entries, start, end), (list, s, t)) in built.iter().zip(&here) {
                assert_eq!(
                    (*entries, *start, *end),
                    (list.as_slice(), *s, *t),
                    "{}",
                    e.version
                );
            }
            // Every `properties` object the fast walk can meet is indexed (not only the root's).
            assert!(built.len() > 50, "{}: {}", e.version, built.len());
        }
    }

    /// The table lists every committed file, and nothing else.
    #[test]
    fn the_table_lists_every_committed_file() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/skypilot");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                Some(
                    name.strip_prefix("config-")?
                        .strip_suffix(".json")?
                        .to_owned(),
                )
            })
            .collect();
        files.sort();
        let mut listed: Vec<String> = SCHEMAS.iter().map(|e| e.version.to_owned()).collect();
        listed.sort();
        assert_eq!(files, listed);
    }
}
