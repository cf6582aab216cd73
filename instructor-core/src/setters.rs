//! [`setters!`]: the methods of a builder that set one field and give the builder back.

/// Builder methods, each `pub fn name(mut self, arg: Type) -> Self` that sets one field of
/// `self` (or a field of a field) to an expression of its argument and gives `self` back,
/// written `fn name(arg: Type) { field = value }` under its docs and attributes.
macro_rules! setters {
    ($(
        $(#[$attr:meta])*
        fn $name:ident($arg:ident: $ty:ty) { $($field:ident).+ = $value:expr }
    )+) => {$(
        $(#[$attr])*
        pub fn $name(mut self, $arg: $ty) -> Self {
            self.$($field).+ = $value;
            self
        }
    )+};
}

pub(crate) use setters;
