fn main() {
    let names = vec!["Jason", "Ada"];
    let _ = instructor::prompt!("Which of {names:?} is the oldest?");
    let _ = instructor::prompt!("Which of {names:#?} is the oldest?");
}
