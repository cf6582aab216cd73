//! What the schema tree's indices point at: the schema functions of the fields' types
//! (`<T as Instructor>::schema`, `schema_with` paths) and the values computed at run time
//! (examples, constants used as bounds), collected while the tree is written; and the code
//! that hands them over: `fn schema`, and the array of values `__read` hands its reader.

use syn::{Expr, Type};

use super::out::{Out, Toks};

/// What the tree's indices point at, collected while it is written.
#[derive(Default)]
pub(super) struct Sources<'a> {
    /// The fields' schema functions, in the order the tree counts them.
    schemas: Vec<Source<'a>>,
    /// The values computed at run time, in the order the tree counts them.
    values: Vec<Value<'a>>,
}

/// A field's schema function.
pub(super) enum Source<'a> {
    /// `<T as Instructor>::schema`.
    Type(&'a Type),
    /// `|gen| path(gen)`: called through a closure, as it was called before the schema was
    /// a table (whatever `path(gen)` compiles for is taken).
    With(&'a syn::Path),
}

/// A value computed at run time.
pub(super) enum Value<'a> {
    /// `#[instructor(example = ..)]` values, as one JSON array.
    Examples(&'a [Expr]),
    /// A constant used as a `range` bound, serialized.
    Range(&'a Expr),
    /// A constant used as a `length` bound.
    Length(&'a Expr),
}

impl<'a> Sources<'a> {
    /// Adds a schema function; its index in the tree.
    pub(super) fn schema(&mut self, s: Source<'a>) -> usize {
        self.schemas.push(s);
        self.schemas.len() - 1
    }

    /// Adds a value computed at run time; its index in the tree.
    pub(super) fn value(&mut self, v: Value<'a>) -> usize {
        self.values.push(v);
        self.values.len() - 1
    }
}

/// `fn schema`, for every type but a named struct (whose schema is recorded by its
/// `__read`: see `partial`).
pub(super) fn schema_fn(src: &Sources, o: &mut Out) {
    if src.schemas.iter().any(|s| matches!(s, Source::With(_))) {
        o.s("#[allow(clippy::redundant_closure)]");
    }
    o.s("#[inline] fn schema(__gen: &mut __p::SchemaGenerator) -> __p::Value ");
    o.brace(|o| {
        o.s("__p::schema::<Self>").paren(|o| {
            o.s("__gen, &__T, &");
            if src.schemas.is_empty() {
                o.s("[]");
            } else {
                let mut t = Toks::new();
                t.bracket(|t| {
                    for s in &src.schemas {
                        match s {
                            Source::Type(ty) => {
                                t.s("<").t(ty).s(" as __p::Instructor>::schema");
                            }
                            // Called through a closure, as it was called before the
                            // schema was a table (whatever `path(gen)` compiles for is taken).
                            Source::With(path) => {
                                t.s("|__gen| ").t(path).paren(|t| {
                                    t.s("__gen");
                                });
                            }
                        }
                        t.s(",");
                    }
                });
                o.tokens(t.finish());
            }
            o.s(", &");
            values(src, o);
        });
    });
}

/// Whether the type's tree points at values computed at run time.
pub(super) fn has_values(src: &Sources) -> bool {
    !src.values.is_empty()
}

/// The values computed at run time, as an array of closures: `[]` for none.
pub(super) fn values(src: &Sources, o: &mut Out) {
    if src.values.is_empty() {
        o.s("[]");
        return;
    }
    let mut t = Toks::new();
    t.bracket(|t| {
        for v in &src.values {
            t.s("||");
            match v {
                Value::Examples(e) => {
                    t.s("__p::json!").paren(|t| {
                        t.bracket(|t| {
                            for e in e.iter() {
                                t.s("__p::example").paren(|t| {
                                    t.t(e);
                                });
                                t.s(",");
                            }
                        });
                    });
                }
                Value::Range(e) => {
                    t.s("__p::json!").paren(|t| {
                        t.t(e);
                    });
                }
                Value::Length(e) => {
                    t.s("__p::Value::from").paren(|t| {
                        t.paren(|t| {
                            t.t(e);
                        });
                        t.s("as u64");
                    });
                }
            }
            t.s(",");
        }
    });
    o.tokens(t.finish());
}
