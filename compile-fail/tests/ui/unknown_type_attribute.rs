#[derive(serde::Deserialize, instructor::Instructor)]
#[instructor(validator = check)]
struct User {
    name: String,
}

fn check(_: &User) -> Result<(), String> {
    Ok(())
}

fn main() {}
