#[derive(instructor::Instructor)]
union Number {
    int: u32,
    float: f32,
}

fn main() {}
