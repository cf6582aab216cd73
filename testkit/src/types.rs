//! The types the tests extract, derived like a user would derive them.

use instructor::Instructor;
use serde::{Deserialize, Serialize};

/// A person mentioned in the text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Instructor, garde::Validate)]
pub struct UserDetails {
    #[garde(length(min = 1))]
    pub name: String,
    #[garde(range(max = 120))]
    pub age: u8,
    #[serde(default)]
    #[garde(skip)]
    pub nickname: Option<String>,
}

/// The answer most tests expect: `{"name": "Jason", "age": 20}`.
pub const JASON: &str = r#"{"name": "Jason", "age": 20}"#;

pub fn jason() -> UserDetails {
    UserDetails {
        name: "Jason".into(),
        age: 20,
        nickname: None,
    }
}

/// The limit a [`Bounded`] value is checked against: a validation context without `Default`.
pub struct Limits {
    pub max: u32,
}

#[derive(Debug, Deserialize, Instructor, garde::Validate)]
#[garde(context(Limits))]
pub struct Bounded {
    #[garde(custom(at_most_max))]
    pub value: u32,
}

fn at_most_max(value: &u32, ctx: &Limits) -> garde::Result {
    if *value <= ctx.max {
        Ok(())
    } else {
        Err(garde::Error::new(format!("must be at most {}", ctx.max)))
    }
}
