#[derive(serde::Deserialize, instructor::Instructor)]
#[instructor(example(text = "Jason is 20"))]
struct User {
    name: String,
    age: u8,
}

#[derive(serde::Deserialize, instructor::Instructor)]
#[instructor(example(text = "Jason is 20", answer = "{}", note = "x"))]
struct Person {
    name: String,
}

fn main() {}
