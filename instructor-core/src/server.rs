//! Which server a client talks to, and what that changes in the requests: the name of the
//! token limit, and how a tool call is forced. The schema forms each server enforces are in
//! `docs/modes.md`.

use serde::Deserialize;

use crate::prompt::Prompting;

/// The kind of server behind a [`Client`](crate::Client). Set it with
/// [`ClientBuilder::server`](crate::ClientBuilder::server), or ask a running server with
/// [`Client::detect_server`](crate::Client::detect_server). Unknown servers are
/// [`Server::Other`], which gets the requests every OpenAI-compatible server reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Server {
    /// OpenAI's API: `max_completion_tokens` (its o-series and GPT-5 refuse `max_tokens`).
    OpenAi,
    /// llama.cpp's `llama-server`: a forced tool call is `tool_choice: "required"` (it ignores
    /// the object form).
    LlamaCpp,
    /// vLLM (also behind Anyscale's platform since 2024).
    Vllm,
    /// SGLang.
    Sglang,
    /// Ollama's OpenAI-compatible endpoint (it ignores `tool_choice` and
    /// `max_completion_tokens`).
    Ollama,
    /// LM Studio: a forced tool call is `tool_choice: "required"` (it refuses the object
    /// form).
    LmStudio,
    /// Anything else.
    #[default]
    Other,
}

impl Server {
    /// What a client for this server writes into the system message by default
    /// ([`ClientBuilder::prompting`](crate::ClientBuilder::prompting) chooses otherwise):
    /// [`Prompting::JsonSchema`] everywhere but OpenAI. On the extraction eval the schema in the
    /// prompt raised a small open model's exact matches from 8/50 to 13/50 for 1.9 times the
    /// tokens (`docs/evals.md`); OpenAI's models read the schema where it is enforced, the
    /// tool or the strict response format, so there it would be paid for on every request
    /// for nothing: [`Prompting::Plain`].
    pub fn default_prompting(self) -> Prompting {
        match self {
            Server::OpenAi => Prompting::Plain,
            _ => Prompting::JsonSchema,
        }
    }

    /// The kind of server at `base_url`, when its host says so (`api.openai.com`); else
    /// [`Server::Other`].
    pub fn from_base_url(base_url: &str) -> Server {
        let host = reqwest::Url::parse(base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
        match host.as_deref() {
            Some("api.openai.com") => Server::OpenAi,
            _ => Server::Other,
        }
    }

    /// The kind of server that wrote a `GET /models` body, from its `owned_by`
    /// (`vllm`, `sglang`, `llamacpp`, `organization_owner` for LM Studio, `library` for
    /// Ollama's own models, `openai`/`system` for OpenAI).
    pub fn from_models_body(body: &str) -> Server {
        #[derive(Deserialize)]
        struct Models {
            #[serde(default)]
            data: Vec<Model>,
        }
        #[derive(Deserialize)]
        struct Model {
            #[serde(default)]
            owned_by: Option<String>,
        }
        let Ok(models) = serde_json::from_str::<Models>(body) else {
            return Server::Other;
        };
        models
            .data
            .iter()
            .filter_map(|m| m.owned_by.as_deref())
            .map(|owner| match owner {
                "vllm" => Server::Vllm,
                "sglang" => Server::Sglang,
                "llamacpp" => Server::LlamaCpp,
                "organization_owner" => Server::LmStudio,
                "library" => Server::Ollama,
                "openai" | "system" | "openai-internal" => Server::OpenAi,
                _ => Server::Other,
            })
            .find(|s| *s != Server::Other)
            .unwrap_or(Server::Other)
    }

    /// The name the token limit is sent under.
    pub(crate) fn max_tokens_field(self) -> MaxTokensField {
        match self {
            Server::OpenAi => MaxTokensField::MaxCompletionTokens,
            _ => MaxTokensField::MaxTokens,
        }
    }

    /// Whether a forced tool call must be written `"required"` rather than naming the
    /// function.
    pub(crate) fn forces_tools_with_required(self) -> bool {
        matches!(self, Server::LlamaCpp | Server::LmStudio)
    }

    /// The server's name in lower case (`openai`, `llama.cpp`, `vllm`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Server::OpenAi => "openai",
            Server::LlamaCpp => "llama.cpp",
            Server::Vllm => "vllm",
            Server::Sglang => "sglang",
            Server::Ollama => "ollama",
            Server::LmStudio => "lm-studio",
            Server::Other => "other",
        }
    }
}

display_as_str!(Server);

/// The name a request's token limit is sent under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MaxTokensField {
    /// `max_tokens`: what every OpenAI-compatible server reads.
    MaxTokens,
    /// `max_completion_tokens`: what OpenAI wants (and vLLM, SGLang, llama.cpp also read).
    MaxCompletionTokens,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_bodies_name_their_server() {
        let body = |owner: &str| {
            format!(
                r#"{{"object":"list","data":[{{"id":"m","object":"model","owned_by":"{owner}"}}]}}"#
            )
        };
        assert_eq!(Server::from_models_body(&body("vllm")), Server::Vllm);
        assert_eq!(Server::from_models_body(&body("sglang")), Server::Sglang);
        assert_eq!(
            Server::from_models_body(&body("llamacpp")),
            Server::LlamaCpp
        );
        assert_eq!(
            Server::from_models_body(&body("organization_owner")),
            Server::LmStudio
        );
        assert_eq!(Server::from_models_body(&body("library")), Server::Ollama);
        assert_eq!(Server::from_models_body(&body("someone")), Server::Other);
        assert_eq!(Server::from_models_body("not json"), Server::Other);
        assert_eq!(Server::from_models_body("{}"), Server::Other);
    }

    #[test]
    fn base_urls_name_openai_only() {
        assert_eq!(
            Server::from_base_url("https://api.openai.com/v1"),
            Server::OpenAi
        );
        assert_eq!(
            Server::from_base_url("http://127.0.0.1:8080/v1"),
            Server::Other
        );
        assert_eq!(Server::from_base_url("::"), Server::Other);
    }
}
