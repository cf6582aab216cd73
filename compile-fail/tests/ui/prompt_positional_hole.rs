fn main() {
    let text = "Jason is 20";
    let _ = instructor::prompt!("Extract the people in: {}", text);
    let _ = instructor::prompt!("Extract the people in: {0}", text = text);
    let _ = instructor::prompt!("Extract the people in: {text:>1$}", width = 8);
}
