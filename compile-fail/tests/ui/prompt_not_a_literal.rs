const TEMPLATE: &str = "Extract the people in: {text}";

fn main() {
    let _ = instructor::prompt!(TEMPLATE);
}
