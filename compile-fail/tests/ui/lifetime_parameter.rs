#[derive(serde::Deserialize, instructor::Instructor)]
struct User<'a> {
    name: &'a str,
}

fn main() {}
