#[derive(serde::Deserialize, instructor::Instructor, garde::Validate)]
struct User {
    #[garde(length(min = 1))]
    age: u8,
}

fn main() {}
