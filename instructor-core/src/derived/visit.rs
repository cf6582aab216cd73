//! The validation visitor and the garde path translation: what [`Instructor::validate_at`]
//! and [`Instructor::json_path`] do by default for a derived type, walking the values that
//! [`Instructor::__visit`] hands out with the paths of its manifest. garde's reports are
//! read in `garde_path.rs`.
//!
//! [`Instructor::validate_at`]: crate::Instructor::validate_at
//! [`Instructor::json_path`]: crate::Instructor::json_path
//! [`Instructor::__visit`]: crate::Instructor::__visit

use super::garde_path::segments;
use super::manifest::Table;
use super::path::{push_verbatim, PathSegment};
use crate::validation::{JsonPath, ValidationErrors};

/// What [`Instructor::__visit`](crate::Instructor::__visit) hands its value to: [`Instructor::validate_at`](crate::Instructor::validate_at)'s and
/// [`Instructor::json_path`](crate::Instructor::json_path)'s defaults.
pub trait Visitor {
    /// A value of a derived type, as [`Visited`] describes it.
    fn visit(&mut self, value: Visited<'_>);
}

/// A value of a derived type as [`Instructor::__visit`](crate::Instructor::__visit) hands
/// it to a [`Visitor`].
#[derive(Clone, Copy)]
pub struct Visited<'a> {
    /// The type's table.
    pub table: &'static Table,
    /// Which of the manifest's `paths` the value is (0 for a struct; `usize::MAX` for an
    /// enum variant without fields).
    pub variant: usize,
    /// Its garde rules, when they run with the default context.
    pub garde: Option<&'a dyn Garde>,
    /// The values of its fields whose types may hold rules, in the order of the manifest's
    /// `nested` indices.
    pub nested: &'a [&'a dyn Nested],
}

/// What [`validated`] and [`garde_errors`] ask of the value whose rules they report,
/// through one vtable per type, so that they are compiled once, not once per type. Made of
/// a reference (`&&T as &dyn Nested`), whose vtable drops nothing: a vtable of `T` itself
/// would compile `T`'s drop glue.
#[diagnostic::on_unimplemented(
    message = "a field's type cannot be described to a model: it does not implement `Instructor`",
    label = "a field's type has no JSON Schema (see the error at the field)"
)]
pub trait Nested {
    /// [`Instructor::validate_at`](crate::Instructor::validate_at).
    fn validate_at(&self, path: &mut JsonPath, errors: &mut ValidationErrors, run_garde: bool);
    /// [`Instructor::json_path`](crate::Instructor::json_path).
    fn json_path(&self, rest: &[PathSegment<'_>], out: &mut JsonPath);
}

/// A value's garde rules, run with the default context (`&&T as &dyn Garde`).
pub trait Garde {
    /// garde's report.
    fn report(&self) -> Result<(), garde::Report>;
    /// The value, to translate the report's paths.
    fn value(&self) -> &dyn Nested;
}

/// Which parts of [`Validate`] run: a type with `#[instructor(validate = ..)]`
/// functions runs its garde rules, then those, then its fields.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// garde, then the fields.
    All,
    /// garde only.
    Garde,
    /// The fields only.
    Fields,
}

/// The visitor of [`Instructor::validate_at`](crate::Instructor::validate_at)'s default:
/// runs garde (unless the caller ran it already), then validates the nested values, each at
/// its path.
pub struct Validate<'a> {
    /// Where the value sits.
    path: &'a mut JsonPath,
    /// Where the failures go.
    errors: &'a mut ValidationErrors,
    /// Whether the value's garde rules run here (not when the enclosing type's ran them).
    run_garde: bool,
    /// Which parts run.
    phase: Phase,
}

impl<'a> Validate<'a> {
    /// A visitor validating a value found at `path` into `errors`.
    pub fn new(
        path: &'a mut JsonPath,
        errors: &'a mut ValidationErrors,
        run_garde: bool,
        phase: Phase,
    ) -> Self {
        Validate {
            path,
            errors,
            run_garde,
            phase,
        }
    }
}

impl Visitor for Validate<'_> {
    fn visit(&mut self, value: Visited<'_>) {
        let Visited {
            table,
            variant,
            garde,
            nested,
        } = value;
        if self.run_garde && self.phase != Phase::Fields {
            if let Some(g) = garde {
                garde_nested(g.report(), g.value(), self.path, self.errors);
            }
        }
        if self.phase == Phase::Garde || nested.is_empty() {
            return;
        }
        let m = table.manifest();
        let Some(p) = m.paths.get(variant) else {
            return;
        };
        let child_garde = !m.garde;
        let len = self.path.as_str().len();
        if let Some(prefix) = &p.prefix {
            self.path.push_key(prefix);
        }
        for f in &p.fields {
            let Some(value) = f.nested.and_then(|k| nested.get(k)) else {
                continue;
            };
            if p.newtype {
                value.validate_at(self.path, self.errors, child_garde);
            } else {
                let len = f.write(self.path);
                value.validate_at(self.path, self.errors, child_garde);
                self.path.truncate(len);
            }
        }
        self.path.truncate(len);
    }
}

/// The visitor of [`Instructor::json_path`](crate::Instructor::json_path)'s default: turns
/// the rest of a garde path into the JSON path of the value it visits, appended to `out`.
pub struct Translate<'a, 'r, 's> {
    /// What is left of garde's path.
    rest: &'r [PathSegment<'s>],
    /// The JSON path written so far.
    out: &'a mut JsonPath,
    /// Set once a derived value was visited (otherwise the path is copied as it is).
    done: bool,
}

impl<'a, 'r, 's> Translate<'a, 'r, 's> {
    /// A visitor translating `rest` into `out`.
    pub fn new(rest: &'r [PathSegment<'s>], out: &'a mut JsonPath) -> Self {
        Translate {
            rest,
            out,
            done: false,
        }
    }

    /// After the visit: a value that visited nothing (not derived) has its path copied as it
    /// is.
    pub fn finish(self) {
        if !self.done {
            push_verbatim(self.rest, self.out);
        }
    }
}

impl Visitor for Translate<'_, '_, '_> {
    fn visit(&mut self, value: Visited<'_>) {
        let Visited {
            table,
            variant,
            nested,
            ..
        } = value;
        self.done = true;
        let (rest, out) = (self.rest, &mut *self.out);
        let Some(p) = table.manifest().paths.get(variant) else {
            return push_verbatim(rest, out);
        };
        // A path into the content (not one at the value itself) goes under its prefix.
        if !rest.is_empty() {
            if let Some(key) = &p.prefix {
                out.push_key(key);
            }
        }
        if p.newtype {
            // garde names the inner value with an unnamed component, or none; the field of
            // a newtype variant by its position, `0`, which JSON does not have.
            let rest = match rest.split_first() {
                Some((PathSegment::Unnamed, tail)) => tail,
                Some((PathSegment::Index("0") | PathSegment::Key("0"), tail)) if p.variant => tail,
                _ => rest,
            };
            return match p.fields.first().and_then(|f| f.nested) {
                Some(k) => nested[k].json_path(rest, out),
                None => push_verbatim(rest, out),
            };
        }
        // The field garde named, by its Rust name or garde alias, written where it sits;
        // the rest for its type to translate, or copied as it is.
        let found = match rest.split_first() {
            Some((PathSegment::Key(k) | PathSegment::Index(k), tail)) => p
                .fields
                .iter()
                .find(|f| f.names.iter().any(|n| n == k))
                .map(|f| (f, tail)),
            _ => None,
        };
        let Some((f, tail)) = found else {
            return push_verbatim(rest, out);
        };
        f.write(out);
        match f.nested {
            Some(k) => nested[k].json_path(tail, out),
            None => push_verbatim(tail, out),
        }
    }
}

/// `validate_into` of a type that derives garde with a context: the report of garde run
/// with the caller's context at the root, then what the value's fields hold.
pub fn validated(
    report: Result<(), garde::Report>,
    value: &dyn Nested,
    errors: &mut ValidationErrors,
) {
    let mut path = JsonPath::root();
    garde_nested(report, value, &path, errors);
    value.validate_at(&mut path, errors, false);
}

/// The errors of garde's report on a value found at `path`, if it failed.
pub fn garde_nested(
    report: Result<(), garde::Report>,
    value: &dyn Nested,
    path: &JsonPath,
    errors: &mut ValidationErrors,
) {
    if let Err(report) = report {
        garde_errors(value, report, path, errors);
    }
}

/// Adds the errors of a garde report on a value found at `base`, with paths translated to
/// the serde names the model sees.
pub fn garde_errors(
    value: &dyn Nested,
    report: garde::Report,
    base: &JsonPath,
    errors: &mut ValidationErrors,
) {
    for (path, error) in report.into_inner() {
        let mut out = base.clone();
        value.json_path(&segments(&path), &mut out);
        errors.add(out.as_str(), error.message());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A struct `User { user_name: String, #[garde(dive)] address: Address }` whose serde
    /// names are `userName` and `home`, and a newtype around it, as the derive describes them.
    static USER: Table = Table::new(
        r#"{"schema": {"json": {}},
            "paths": [{"fields": [{"names": ["user_name"], "push": {"key": "userName"}},
                                  {"names": ["address", "addr"], "push": {"key": "home"}, "nested": 0}]}]}"#,
    );
    static WRAPPER: Table = Table::new(
        r#"{"schema": {"json": {}}, "paths": [{"newtype": true, "fields": [{"names": ["0"], "nested": 0}]}]}"#,
    );

    /// A nested value that fails with one error wherever it is, and translates a path into
    /// it as `city` → `town`.
    struct Address;

    impl Nested for Address {
        fn validate_at(&self, path: &mut JsonPath, errors: &mut ValidationErrors, _: bool) {
            errors.add(path.as_str(), "no such street");
        }
        fn json_path(&self, rest: &[PathSegment<'_>], out: &mut JsonPath) {
            match rest.split_first() {
                Some((PathSegment::Key("city"), tail)) => {
                    out.push_key("town");
                    push_verbatim(tail, out);
                }
                _ => push_verbatim(rest, out),
            }
        }
    }

    /// A struct of `table` whose one nested value is an [`Address`], without garde rules.
    fn visited(table: &'static Table) -> Visited<'static> {
        Visited {
            table,
            variant: 0,
            garde: None,
            nested: &[&Address],
        }
    }

    fn translate(table: &'static Table, rest: &[PathSegment<'_>]) -> String {
        let mut out = JsonPath::root();
        let mut t = Translate::new(rest, &mut out);
        t.visit(visited(table));
        t.finish();
        out.as_str().to_owned()
    }

    #[test]
    fn a_garde_path_is_translated_to_serde_names() {
        use PathSegment::{Index, Key, Unnamed};
        assert_eq!(translate(&USER, &[Key("user_name")]), "userName");
        assert_eq!(translate(&USER, &[Key("addr"), Key("city")]), "home.town");
        // A field the manifest does not name is copied as it is.
        assert_eq!(translate(&USER, &[Key("other"), Index("1")]), "other[1]");
        // A newtype's inner value has no name of its own.
        assert_eq!(translate(&WRAPPER, &[Unnamed, Key("city")]), "town");
    }

    #[test]
    fn a_value_that_visits_nothing_keeps_its_path() {
        let mut out = JsonPath::root();
        let rest = [PathSegment::Key("a"), PathSegment::Index("0")];
        Translate::new(&rest, &mut out).finish();
        assert_eq!(out.as_str(), "a[0]");
    }

    #[test]
    fn nested_values_are_validated_at_their_paths() {
        for (phase, want) in [
            (Phase::All, vec!["home"]),
            (Phase::Fields, vec!["home"]),
            (Phase::Garde, vec![]),
        ] {
            let mut path = JsonPath::root();
            let mut errors = ValidationErrors::new();
            Validate::new(&mut path, &mut errors, true, phase).visit(visited(&USER));
            let paths: Vec<&str> = errors.iter().map(|e| e.path()).collect();
            assert_eq!(paths, want);
            assert_eq!(path.as_str(), "", "the path is given back as it was");
        }
    }
}
