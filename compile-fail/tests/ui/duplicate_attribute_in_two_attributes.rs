#[derive(serde::Deserialize, instructor::Instructor)]
#[instructor(rename = "Person")]
#[instructor(description = "Someone.", rename = "Human")]
struct User {
    name: String,
}

#[derive(serde::Deserialize, instructor::Instructor)]
enum Status {
    #[instructor(description = "Not yet shipped.")]
    #[instructor(description = "Waiting.")]
    Pending,
}

fn main() {}
