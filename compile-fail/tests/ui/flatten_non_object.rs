#[derive(serde::Deserialize, instructor::Instructor)]
struct User {
    name: String,
    #[serde(flatten)]
    age: u32,
}

fn main() {}
