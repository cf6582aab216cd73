#[derive(serde::Deserialize, instructor::Instructor)]
#[instructor(example(text = "Ada is 36", text = "Ada", answer = r#"{"name": "Ada"}"#))]
struct User {
    name: String,
}

fn main() {}
