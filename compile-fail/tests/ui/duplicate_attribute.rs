#[derive(serde::Deserialize, instructor::Instructor)]
struct User {
    #[instructor(description = "The user's full name.", description = "The name.")]
    name: String,
}

fn main() {}
