#[derive(serde::Deserialize)]
struct Address {
    city: String,
}

#[derive(serde::Deserialize, instructor::Instructor)]
struct User {
    name: String,
    address: Address,
}

fn main() {}
