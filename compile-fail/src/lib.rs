//! See `tests/compile_fail.rs`.
