#[derive(serde::Deserialize, instructor::Instructor, garde::Validate)]
struct User {
    #[garde(range(min = 1, max = 50))]
    name: String,
}

fn main() {}
