#[derive(serde::Deserialize, instructor::Instructor)]
struct User {
    #[instructor(descripton = "The user's full name.")]
    name: String,
}

fn main() {}
