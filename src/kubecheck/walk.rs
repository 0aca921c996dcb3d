//! The schema walker: checks one object against its Kubernetes definition ([`Ty`]) and lists
//! every place it breaks it, as a JSON pointer inside the object and a [`Problem`].
//!
//! It implements everything the generated definitions say (types, integer sizes, the
//! int-or-string and quantity unions, required fields, strict field lists), plus the syntax of
//! a quantity string, which the API server checks and the JSON schema does not. It never stops
//! at the first problem and never allocates for a field that is fine.

use serde_json::Value;

use super::schema::{Def, Prop, Schema, Ty};
use crate::yaml::escape_pointer;

/// Deepest nesting walked; objects are bounded by the YAML reader's depth limit well below it.
const MAX_DEPTH: usize = 128;

/// One way a field breaks its definition.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// The value has the wrong type; `expected` is a phrase ("a string").
    WrongType { expected: &'static str },
    /// A field the definition does not have; `known` lists the ones it has.
    UnknownField { known: Vec<String> },
    /// A required field is absent (the pointer is the object that lacks it).
    Missing { field: String },
    /// An integer outside the range the API stores it in.
    OutOfRange { bits: u32 },
    /// A string that is not a Kubernetes quantity.
    BadQuantity { why: String },
    /// A name or namespace Kubernetes refuses (see `names`).
    BadName {
        rule: String,
        suggestion: Option<String>,
    },
}

/// A problem at a pointer inside one object, with the Kubernetes type and field it concerns
/// (`EnvVar.value`), for messages.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub pointer: String,
    pub field: String,
    pub problem: Problem,
}

/// Walk `value` against the definition `def`, appending every problem to `out`.
pub fn walk(schema: &Schema, def: Def, value: &Value, out: &mut Vec<Violation>) {
    let mut w = Walker {
        schema,
        out,
        path: Vec::new(),
    };
    if !value.is_null() {
        w.reference(def, value, Field(short(def.name()), ""), 0);
    }
}

/// The struct and field a node belongs to (`EnvVar`, `value`), joined only for a message.
#[derive(Clone, Copy)]
struct Field<'a>(&'a str, &'a str);

impl Field<'_> {
    fn text(self) -> String {
        if self.1.is_empty() {
            self.0.to_owned()
        } else {
            format!("{}.{}", self.0, self.1)
        }
    }
}

/// One step of the path from the object to the node being walked; the JSON pointer is built
/// only when a problem is reported.
#[derive(Clone, Copy)]
enum Seg<'v> {
    Key(&'v str),
    Index(usize),
}

/// The field names of a struct, sorted by name, for a message.
fn sorted_names(props: &[Prop]) -> Vec<String> {
    let mut names: Vec<String> = props.iter().map(|p| p.name.to_owned()).collect();
    names.sort_unstable();
    names
}

/// `core.v1.EnvVar` → `EnvVar`.
fn short(def: &str) -> &str {
    def.rsplit('.').next().unwrap_or(def)
}

/// The types are static data; `'v` is the object walked.
struct Walker<'a, 'v> {
    schema: &'a Schema,
    out: &'a mut Vec<Violation>,
    path: Vec<Seg<'v>>,
}

impl<'a, 'v> Walker<'a, 'v> {
    fn report(&mut self, field: Field<'_>, problem: Problem) {
        let mut pointer = String::new();
        for seg in &self.path {
            pointer.push('/');
            match seg {
                Seg::Key(k) => pointer.push_str(&escape_pointer(k)),
                Seg::Index(i) => pointer.push_str(&i.to_string()),
            }
        }
        self.out.push(Violation {
            pointer,
            field: field.text(),
            problem,
        });
    }

    fn wrong(&mut self, field: Field<'_>, expected: &'static str) {
        self.report(field, Problem::WrongType { expected });
    }

    /// Walk into `seg` for the duration of `f`.
    fn enter(&mut self, seg: Seg<'v>, f: impl FnOnce(&mut Self)) {
        self.path.push(seg);
        f(self);
        self.path.pop();
    }

    /// Walk `v` against the definition `def`.
    fn reference(&mut self, def: Def, v: &'v Value, field: Field<'static>, depth: usize) {
        let name = def.name();
        match self.schema.def(def) {
            // A message names the struct a field belongs to (`EnvVar.value`); a scalar
            // definition (Quantity, IntOrString, Time) keeps the field's own name.
            Some(t @ Ty::Struct(_)) => self.ty(t, v, Field(short(name), ""), depth + 1),
            Some(t) => self.ty(t, v, field, depth + 1),
            None => panic!("schema/kubernetes.jsonl has no {name}; this is a skygen bug"),
        }
    }

    fn ty(&mut self, ty: &'static Ty, v: &'v Value, field: Field<'static>, depth: usize) {
        if v.is_null() || depth > MAX_DEPTH {
            return;
        }
        match ty {
            Ty::Any => {}
            Ty::String => {
                if !v.is_string() {
                    self.wrong(field, "a string");
                }
            }
            Ty::Boolean => {
                if !v.is_boolean() {
                    self.wrong(field, "a boolean (true or false)");
                }
            }
            Ty::Number => {
                if !v.is_number() {
                    self.wrong(field, "a number");
                }
            }
            Ty::Integer(bits) => self.integer(v, *bits, field, "an integer"),
            Ty::IntOrString => {
                if !v.is_string() {
                    self.integer(v, Some(32), field, "an integer or a string");
                }
            }
            Ty::Quantity => match v {
                Value::Number(_) => {}
                Value::String(s) => {
                    if let Err(why) = crate::values::quantity::parse(s) {
                        self.report(field, Problem::BadQuantity { why });
                    }
                }
                _ => self.wrong(field, "a quantity (a number, or a string like 500m or 8Gi)"),
            },
            Ty::Object => {
                if !v.is_object() {
                    self.wrong(field, "a mapping");
                }
            }
            Ty::Ref(def) => self.reference(*def, v, field, depth),
            Ty::List(item) => match v {
                Value::Array(a) => {
                    for (i, x) in a.iter().enumerate() {
                        self.enter(Seg::Index(i), |w| w.ty(item, x, field, depth + 1));
                    }
                }
                _ => self.wrong(field, "a list"),
            },
            Ty::Map(item) => match v {
                Value::Object(m) => {
                    for (k, x) in m {
                        self.enter(Seg::Key(k), |w| w.ty(item, x, field, depth + 1));
                    }
                }
                _ => self.wrong(field, "a mapping"),
            },
            Ty::Struct(s) => {
                let Value::Object(m) = v else {
                    self.wrong(field, "a mapping");
                    return;
                };
                // Required fields seen with a value; keys are unique, so when every required
                // field is counted none is missing and the look-ups below are skipped.
                let mut present = 0;
                for (k, x) in m {
                    match s
                        .props
                        .binary_search_by(|p| Prop::order(p.name).cmp(&Prop::order(k)))
                    {
                        Ok(i) => {
                            let p = &s.props[i];
                            present += usize::from(p.required && !x.is_null());
                            let inner = Field(field.0, p.name);
                            self.enter(Seg::Key(k), |w| w.ty(&p.ty, x, inner, depth + 1));
                        }
                        Err(_) => self.enter(Seg::Key(k), |w| {
                            w.report(
                                Field(field.0, ""),
                                Problem::UnknownField {
                                    known: sorted_names(s.props),
                                },
                            )
                        }),
                    }
                }
                if present == s.required.len() {
                    return;
                }
                for r in s.required {
                    if m.get(*r).is_none_or(Value::is_null) {
                        self.report(
                            Field(field.0, ""),
                            Problem::Missing {
                                field: (*r).to_owned(),
                            },
                        );
                    }
                }
            }
        }
    }

    fn integer(&mut self, v: &Value, bits: Option<u32>, field: Field<'_>, expected: &'static str) {
        let Value::Number(n) = v else {
            self.wrong(field, expected);
            return;
        };
        // 4.0 is an integer to JSON Schema and to kubectl's YAML reader; 4.5 is not.
        let f = n.as_f64().unwrap_or(f64::NAN);
        if f.fract() != 0.0 {
            self.wrong(field, expected);
            return;
        }
        let fits = match bits {
            Some(32) => (i32::MIN as f64..=i32::MAX as f64).contains(&f),
            _ => n.as_i64().is_some() || (n.is_f64() && f.abs() < 9.2e18),
        };
        if !fits {
            self.report(
                field,
                Problem::OutOfRange {
                    bits: bits.unwrap_or(64),
                },
            );
        }
    }
}
