//! Nothing but tests: `tests/engines.rs` compiles the derive's conformance corpus with the
//! grammar engines LLM servers run and checks what each accepts.
