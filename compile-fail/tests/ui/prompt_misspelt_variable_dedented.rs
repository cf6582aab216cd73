fn main() {
    let text = "Jason is 20";
    let _ = instructor::prompt!(
        "
        Extract the people in the text.

        Text: {txet}
        "
    );
    let _ = text;
}
