#[derive(serde::Deserialize, instructor::Instructor)]
enum Status {
    #[instructor(descripton = "Not shipped yet.")]
    Pending,
    Shipped,
}

fn main() {}
