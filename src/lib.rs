//! # instructor
//!
//! Structured, validated data from large language models.
//!
//! Derive [`Instructor`] on a plain Rust type; the macro writes the type's JSON Schema and
//! validation hooks at compile time.
//!
//! ```
//! use instructor::Instructor;
//!
//! /// A person mentioned in the text.
//! #[derive(Debug, serde::Deserialize, Instructor, garde::Validate)]
//! struct UserDetails {
//!     #[garde(length(min = 1))]
//!     name: String,
//!     /// Age in whole years.
//!     #[garde(range(max = 150))]
//!     age: u8,
//! }
//!
//! let schema = UserDetails::json_schema();
//! assert_eq!(schema["title"], "UserDetails");
//! assert_eq!(schema["properties"]["age"]["maximum"], 150);
//!
//! let user = UserDetails { name: String::new(), age: 200 };
//! let errors = Instructor::validate(&user).unwrap_err();
//! assert_eq!(errors.len(), 2);
//! ```

#![warn(missing_docs)]

pub use instructor_core::*;
pub use instructor_derive::Instructor;
