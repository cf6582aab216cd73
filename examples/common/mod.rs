//! What the examples share: the seed's type, extracted from "Jason is 20" in
//! `examples/anyscale.rs` (which shows it in full).

/// A person mentioned in the text.
#[derive(Debug, serde::Deserialize, instructor::Instructor, garde::Validate)]
pub struct UserDetails {
    /// The person's first name.
    #[garde(length(min = 1))]
    pub name: String,
    /// Age in whole years.
    #[garde(range(max = 150))]
    pub age: u8,
}
