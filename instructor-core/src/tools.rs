//! Parallel tools ([`Mode::ParallelTools`](crate::Mode::ParallelTools)): a list of an enum
//! whose variants each hold one type is asked for as one function tool per variant, and the
//! model answers with as many calls as the text needs, in one reply.
//!
//! ```text
//! enum Action { Weather(WeatherQuery), Search(SearchQuery) }   // #[instructor(tools)]
//!   -> tools: [{"name": "Weather", "parameters": <WeatherQuery>},
//!              {"name": "Search",  "parameters": <SearchQuery>}]
//!   <- tool_calls: [Weather({"city": "Lisbon"}), Search({"query": "..."})]
//!   -> [{"Weather": {"city": "Lisbon"}}, {"Search": {"query": "..."}}]   as Vec<Action>
//! ```
//!
//! The tools are read off the list's schema, serde's external tagging (`{"Variant": ..}`)
//! being the shape of every call: the calls, put side by side in that shape, are parsed,
//! validated and re-asked like any other answer.

use serde_json::{json, Map, Value};

use crate::dialect::lean::{lean, Carrier};
use crate::error::AttemptError;
use crate::schema::{ref_name, resolve};
use crate::wire::ToolCall;
use crate::Instructor;

/// An enum whose variants are tools: each variant holds one type that derives
/// [`Instructor`](crate::Instructor), which is the tool's parameters. Implemented by
/// `#[derive(Instructor)]` with `#[instructor(tools)]`, which checks the enum's shape at
/// compile time; extract a `Vec` of it with [`Client::tool_calls`](crate::Client::tool_calls).
///
/// (Compiled with the `instructor` crate in `docs/answers.md`; this crate does not depend on
/// the derive.)
///
/// ```ignore
/// use instructor::Instructor;
/// use serde::Deserialize;
///
/// /// Look up the weather in a city.
/// #[derive(Debug, Deserialize, Instructor)]
/// struct WeatherQuery { city: String }
///
/// /// Search the web.
/// #[derive(Debug, Deserialize, Instructor)]
/// struct SearchQuery { query: String }
///
/// #[derive(Debug, Deserialize, Instructor)]
/// #[instructor(tools)]
/// enum Action {
///     Weather(WeatherQuery),
///     Search(SearchQuery),
/// }
///
/// # async fn run(client: instructor::Client) -> Result<(), instructor::Error> {
/// let actions: Vec<Action> = client
///     .tool_calls::<Action>()
///     .user("What is the weather in Lisbon, and who won the 2024 Tour de France?")
///     .await?;
/// # Ok(()) }
/// ```
pub trait ToolSet: Instructor {}

/// The tools of a list's element enum, and the way back from a call to a variant.
#[derive(Debug)]
pub(crate) struct Toolbox {
    tools: Vec<Tool>,
}

/// One variant as a tool.
#[derive(Debug)]
pub(crate) struct Tool {
    /// The function name the model calls.
    pub name: String,
    /// The variant's name on the wire, the key of `{"Variant": ..}`.
    pub key: String,
    /// The parameters' schema, with the definitions it refers to: what a re-ask reads a
    /// valid value from.
    pub parameters: Value,
}

impl Toolbox {
    /// The tools of the list schema `list` (`{"type": "array", "items": E}`, `E` an
    /// externally tagged enum of newtype variants), and the `tools` array of the request;
    /// `Err` says why `list` is not such a list.
    pub(crate) fn of(list: &Value) -> Result<(Toolbox, Value), String> {
        let defs = list.get("$defs").and_then(Value::as_object);
        let element = match (list.get("type"), list.get("items")) {
            (Some(t), Some(items)) if t == "array" => resolve(items, defs),
            _ => {
                return Err(need("the type is not a list (extract a `Vec` of the enum)"));
            }
        };
        let branches = element
            .get("oneOf")
            .or_else(|| element.get("anyOf"))
            .and_then(Value::as_array)
            .ok_or_else(|| need("the list's element is not an enum of variants"))?;
        let mut tools = Vec::with_capacity(branches.len());
        let mut sent = Vec::with_capacity(branches.len());
        for branch in branches {
            let (key, inner) = single_property(branch).ok_or_else(|| {
                need(
                    "a variant is not written as `{\"Variant\": ..}` (a unit variant, or a \
                     tagged or untagged enum)",
                )
            })?;
            let body = resolve(inner, defs);
            if body.get("type").and_then(Value::as_str) != Some("object") {
                return Err(need(&format!(
                    "variant `{key}` does not hold a struct: a tool's parameters are an object"
                )));
            }
            let mut parameters = body.as_object().cloned().unwrap_or_default();
            let description = inner
                .get("description")
                .or_else(|| body.get("description"))
                .cloned();
            let used = reachable(body, defs);
            if !used.is_empty() {
                parameters.insert("$defs".into(), Value::Object(used));
            }
            let parameters = Value::Object(parameters);
            let name = tool_name(key);
            if tools.iter().any(|t: &Tool| t.name == name) {
                return Err(need(&format!(
                    "two variants are both called `{name}` as tools"
                )));
            }
            let mut function = Map::new();
            function.insert("name".into(), json!(name));
            if let Some(d) = description.filter(|d| d.as_str().is_some_and(|d| !d.is_empty())) {
                function.insert("description".into(), d);
            }
            function.insert("parameters".into(), lean(&parameters, Carrier::Tool));
            sent.push(json!({ "type": "function", "function": function }));
            tools.push(Tool {
                name,
                key: key.to_owned(),
                parameters,
            });
        }
        if tools.is_empty() {
            return Err(need("the enum has no variants"));
        }
        Ok((Toolbox { tools }, Value::Array(sent)))
    }

    /// The tool the model calls `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&Tool> {
        self.tools.iter().find(|t| t.name == name)
    }

    /// The function names, for messages: `` `Weather`, `Search` ``.
    pub(crate) fn names(&self) -> String {
        let names: Vec<String> = self.tools.iter().map(|t| format!("`{}`", t.name)).collect();
        names.join(", ")
    }

    /// The calls as the list they stand for: `[{"Variant": arguments}, ..]`, in the order
    /// the model made them. A call to a tool that does not exist is the error.
    pub(crate) fn answer(&self, calls: &[ToolCall]) -> Result<String, AttemptError> {
        let mut out = String::from("[");
        for (i, call) in calls.iter().enumerate() {
            let Some(tool) = self.get(&call.function.name) else {
                return Err(AttemptError::UnknownTool {
                    index: i,
                    name: call.function.name.clone(),
                    tools: self.names(),
                });
            };
            if i > 0 {
                out.push(',');
            }
            out.push('{');
            out.push_str(&Value::String(tool.key.clone()).to_string());
            out.push(':');
            let args = call.function.arguments.trim();
            out.push_str(if args.is_empty() { "{}" } else { args });
            out.push('}');
        }
        out.push(']');
        Ok(out)
    }
}

/// "Mode::ParallelTools needs ..., but <why>".
fn need(why: &str) -> String {
    format!(
        "Mode::ParallelTools needs a `Vec` of an enum whose variants each hold one type that \
         derives `Instructor` (derive it with `#[instructor(tools)]` and use \
         `Client::tool_calls`), but {why}"
    )
}

/// The definitions `schema` refers to, directly or through other definitions.
fn reachable(schema: &Value, defs: Option<&Map<String, Value>>) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(defs) = defs else { return out };
    let mut stack = vec![schema];
    while let Some(s) = stack.pop() {
        match s {
            Value::Object(map) => {
                if let Some((name, def)) = ref_name(s).and_then(|n| defs.get_key_value(n)) {
                    if !out.contains_key(name) {
                        out.insert(name.clone(), def.clone());
                        stack.push(def);
                    }
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    out
}

/// `{"type": "object", "properties": {K: S}, "required": [K]}`: `(K, S)`.
fn single_property(branch: &Value) -> Option<(&str, &Value)> {
    let properties = branch.get("properties")?.as_object()?;
    if properties.len() != 1 || branch.get("type")? != "object" {
        return None;
    }
    properties.iter().next().map(|(k, v)| (k.as_str(), v))
}

/// A function or schema name the OpenAI API accepts (`^[a-zA-Z0-9_-]{1,64}$`): other
/// characters become `_`.
pub fn tool_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if out.is_empty() {
        out.push_str("response");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::test_support::{tool_call, weather_variant};

    fn list() -> Value {
        json!({
            "type": "array",
            "items": { "$ref": "#/$defs/Action" },
            "$defs": {
                "Action": { "oneOf": [
                    weather_variant(),
                    { "type": "object", "properties": { "Web search": { "$ref": "#/$defs/Q" } },
                      "required": ["Web search"], "additionalProperties": false }
                ] },
                "Q": { "type": "object", "properties": { "q": { "type": "string" } } }
            }
        })
    }

    #[test]
    fn tool_names() {
        assert_eq!(tool_name("Page_for_User"), "Page_for_User");
        assert_eq!(tool_name("a b<c>"), "a_b_c_");
        assert_eq!(tool_name(""), "response");
        assert_eq!(tool_name(&"x".repeat(100)).len(), 64);
    }

    #[test]
    fn one_tool_per_variant_with_its_own_definitions() {
        let (toolbox, sent) = Toolbox::of(&list()).unwrap();
        assert_eq!(
            sent,
            json!([
                { "type": "function", "function": {
                    "name": "Weather",
                    "description": "Look up the weather.",
                    "parameters": { "type": "object", "properties": { "city": { "type": "string" } }, "required": ["city"] }
                } },
                { "type": "function", "function": {
                    "name": "Web_search",
                    "parameters": { "type": "object", "properties": { "q": { "type": "string" } } }
                } }
            ])
        );
        assert_eq!(toolbox.get("Web_search").unwrap().key, "Web search");
        assert_eq!(toolbox.names(), "`Weather`, `Web_search`");
    }

    #[test]
    fn calls_read_back_as_the_tagged_list() {
        let (toolbox, _) = Toolbox::of(&list()).unwrap();
        let calls = [
            tool_call("", "Web_search", r#"{"q": "tour"}"#),
            tool_call("", "Weather", " "),
        ];
        assert_eq!(
            toolbox.answer(&calls).unwrap(),
            r#"[{"Web search":{"q": "tour"}},{"Weather":{}}]"#
        );
        assert_eq!(
            toolbox.answer(&[tool_call("", "Weather", "{}"), tool_call("", "Mail", "{}")]),
            Err(AttemptError::UnknownTool {
                index: 1,
                name: "Mail".into(),
                tools: "`Weather`, `Web_search`".into(),
            })
        );
    }

    #[test]
    fn what_is_not_a_tool_set_is_refused_with_the_reason() {
        for (schema, why) in [
            (json!({ "type": "object" }), "is not a list"),
            (
                json!({ "type": "array", "items": { "type": "string" } }),
                "not an enum",
            ),
            (
                json!({ "type": "array", "items": { "oneOf": [{ "type": "string", "enum": ["A"] }] } }),
                "unit variant",
            ),
            (
                json!({ "type": "array", "items": { "oneOf": [{ "type": "object",
                    "properties": { "Say": { "type": "string" } }, "required": ["Say"] }] } }),
                "variant `Say` does not hold a struct",
            ),
        ] {
            let err = Toolbox::of(&schema).unwrap_err();
            assert!(err.contains(why), "{err}");
            assert!(err.contains("#[instructor(tools)]"), "{err}");
        }
    }
}
