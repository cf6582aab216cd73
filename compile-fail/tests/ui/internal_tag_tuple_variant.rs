#[derive(serde::Deserialize, instructor::Instructor)]
#[serde(tag = "type")]
enum Shape {
    Circle { radius: f64 },
    Rect(f64, f64),
}

fn main() {}
