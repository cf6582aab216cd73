#[derive(serde::Deserialize, instructor::Instructor, garde::Validate)]
struct Product {
    #[garde(pattern(r"(?i)^sku-[0-9]+$"))]
    sku: String,
}

fn main() {}
