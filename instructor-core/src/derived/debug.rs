//! The partial companion's `Debug`: a struct printed with the Rust names of its fields,
//! read from the manifest, and each field's value printed with its `Debug` where its type
//! has one, by its type's name otherwise (autoref specialization, [`DebugField`]).

use super::manifest::Table;

/// A partial companion's `Debug`: a struct named `name` with the companion's fields of
/// `table`, whose values are `values`.
pub fn debug_partial(
    f: &mut std::fmt::Formatter<'_>,
    name: &str,
    table: &'static Table,
    values: &[FieldDebug<'_>],
) -> std::fmt::Result {
    let mut d = f.debug_struct(name);
    for (field, value) in table.manifest().partial.iter().zip(values) {
        d.field(&field.rust, value);
    }
    d.finish()
}

/// A partial companion's field, printed with its `Debug` when it has one and as its type name
/// otherwise (autoref specialization: `DebugViaTrait` is found first when it applies).
pub struct DebugField<'a, T>(pub &'a T);

/// What `debug_field` returns: the field's `Debug`, or its type's name.
pub enum FieldDebug<'a> {
    /// The field's own `Debug`.
    Debug(&'a dyn std::fmt::Debug),
    /// The type has no `Debug`.
    Opaque(&'static str),
}

impl std::fmt::Debug for FieldDebug<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldDebug::Debug(d) => d.fmt(f),
            FieldDebug::Opaque(name) => write!(f, "<{name}>"),
        }
    }
}

/// Picked when the field is `Debug`.
pub trait DebugViaTrait {
    /// The field's `Debug`.
    fn debug_field(&self) -> FieldDebug<'_>;
}

impl<T: std::fmt::Debug> DebugViaTrait for DebugField<'_, T> {
    fn debug_field(&self) -> FieldDebug<'_> {
        FieldDebug::Debug(self.0)
    }
}

/// Picked otherwise.
pub trait DebugViaName {
    /// The field's type name.
    fn debug_field(&self) -> FieldDebug<'_>;
}

impl<T> DebugViaName for &DebugField<'_, T> {
    fn debug_field(&self) -> FieldDebug<'_> {
        FieldDebug::Opaque(std::any::type_name::<T>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static TABLE: Table = Table::new(
        r#"{"schema": {"json": {}}, "partial": [{"rust": "name"}, {"rust": "secret"}]}"#,
    );

    /// A type without `Debug`.
    struct Opaque;

    /// A companion as the derive writes its `Debug`.
    struct Companion {
        name: Option<String>,
        secret: Option<Opaque>,
    }

    impl std::fmt::Debug for Companion {
        // Written as the derive writes it: the borrow picks the impl.
        #[allow(clippy::needless_borrow)]
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            #[allow(unused_imports)]
            use super::{DebugViaName as _, DebugViaTrait as _};
            debug_partial(
                f,
                "PartialUser",
                &TABLE,
                &[
                    (&DebugField(&self.name)).debug_field(),
                    (&DebugField(&self.secret)).debug_field(),
                ],
            )
        }
    }

    #[test]
    fn fields_print_with_their_debug_or_their_type_name() {
        let c = Companion {
            name: Some("Ada".into()),
            secret: Some(Opaque),
        };
        let opaque = std::any::type_name::<Option<Opaque>>();
        assert_eq!(
            format!("{c:?}"),
            format!("PartialUser {{ name: Some(\"Ada\"), secret: <{opaque}> }}")
        );
    }
}
