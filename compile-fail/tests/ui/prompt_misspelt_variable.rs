fn main() {
    let text = "Jason is 20";
    let _ = instructor::prompt!("Extract the people in: {txet}");
    let _ = text;
}
