//! Misuse of `#[derive(Instructor)]` and of `prompt!` is a compile error that points at the
//! offending token and says the fix. One case per file in `tests/ui/` (or the misuses of one
//! attribute together, each error in the file's one `.stderr` snapshot).
//!
//! Regenerate the snapshots with `TRYBUILD=overwrite cargo test -p instructor-compile-fail`, then
//! read every changed `.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
