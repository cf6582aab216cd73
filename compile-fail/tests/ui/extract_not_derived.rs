#[derive(serde::Deserialize)]
struct NotDerived {
    name: String,
}

fn main() {
    let client = instructor::Client::anyscale("key");
    let _request = client.extract::<NotDerived>();
}
