//! A client named by provider and model, `"anthropic/claude-sonnet-4-5"`: which providers
//! there are, where each one's key and base URL are read from, and the error that names the
//! variable when the key is missing.

use super::OPENAI_BASE_URL;
use super::{Client, ClientBuilder, ANTHROPIC_BASE_URL, ANYSCALE_BASE_URL, GEMINI_BASE_URL};
use crate::error::Error;
use crate::mode::Mode;
use crate::prompt::Prompting;
use crate::provider::Provider;
use crate::server::Server;

/// The providers [`Client::from_provider`] knows, as `name: what it is`.
pub(crate) const PROVIDERS: &str = "openai (chat completions), openai-responses, anthropic, \
     gemini, anyscale, ollama, vllm, llamacpp";

/// How a named provider's client is made: its dialect, where it listens unless a variable
/// says otherwise, which variables hold its key, and its default mode.
struct Named {
    provider: Provider,
    base_url: &'static str,
    /// The variable that replaces `base_url`.
    base_var: &'static str,
    /// The variables the key is read from, in order.
    key_vars: &'static [&'static str],
    /// Whether a key must be found (a local server needs none).
    key_required: bool,
    mode: Mode,
    server: Option<Server>,
    prompting: Option<Prompting>,
}

/// The provider called `name`, if there is one.
fn named(name: &str) -> Option<Named> {
    let hosted = |provider, base_url, base_var, key_vars, mode| Named {
        provider,
        base_url,
        base_var,
        key_vars,
        key_required: true,
        mode,
        server: None,
        prompting: None,
    };
    let local = |base_url, base_var, key_vars, server| Named {
        provider: Provider::OpenAiChat,
        base_url,
        base_var,
        key_vars,
        key_required: false,
        mode: Mode::JsonSchema,
        server: Some(server),
        prompting: None,
    };
    Some(match name.to_ascii_lowercase().as_str() {
        "openai" => hosted(
            Provider::OpenAiChat,
            OPENAI_BASE_URL,
            "OPENAI_BASE_URL",
            &["OPENAI_API_KEY"],
            Mode::Tools,
        ),
        "openai-responses" | "openai_responses" => hosted(
            Provider::OpenAiResponses,
            OPENAI_BASE_URL,
            "OPENAI_BASE_URL",
            &["OPENAI_API_KEY"],
            Mode::JsonSchemaStrict,
        ),
        "anthropic" => Named {
            prompting: Some(Prompting::Plain),
            ..hosted(
                Provider::Anthropic,
                ANTHROPIC_BASE_URL,
                "ANTHROPIC_BASE_URL",
                &["ANTHROPIC_API_KEY"],
                Mode::Tools,
            )
        },
        "gemini" | "google" => hosted(
            Provider::Gemini,
            GEMINI_BASE_URL,
            "GEMINI_BASE_URL",
            &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
            Mode::JsonSchema,
        ),
        "anyscale" => hosted(
            Provider::OpenAiChat,
            ANYSCALE_BASE_URL,
            "ANYSCALE_BASE_URL",
            &["ANYSCALE_API_KEY"],
            Mode::JsonObjectSchema,
        ),
        "ollama" => local(
            "http://127.0.0.1:11434/v1",
            "OLLAMA_BASE_URL",
            &[],
            Server::Ollama,
        ),
        "vllm" => local(
            "http://127.0.0.1:8000/v1",
            "VLLM_BASE_URL",
            &["VLLM_API_KEY"],
            Server::Vllm,
        ),
        "llamacpp" | "llama.cpp" | "llama-cpp" => local(
            "http://127.0.0.1:8080/v1",
            "LLAMACPP_BASE_URL",
            &["LLAMACPP_API_KEY"],
            Server::LlamaCpp,
        ),
        _ => return None,
    })
}

impl Client {
    /// A client for `"provider/model"`, its key read from the provider's usual variable:
    ///
    /// | provider | dialect | key | base URL (variable that replaces it) | default mode |
    /// | --- | --- | --- | --- | --- |
    /// | `openai` | chat completions | `OPENAI_API_KEY` | OpenAI (`OPENAI_BASE_URL`) | `Tools` |
    /// | `openai-responses` | Responses | `OPENAI_API_KEY` | OpenAI (`OPENAI_BASE_URL`) | `JsonSchemaStrict` |
    /// | `anthropic` | Messages | `ANTHROPIC_API_KEY` | Anthropic (`ANTHROPIC_BASE_URL`) | `Tools` |
    /// | `gemini` | generateContent | `GEMINI_API_KEY`, else `GOOGLE_API_KEY` | Gemini (`GEMINI_BASE_URL`) | `JsonSchema` |
    /// | `anyscale` | chat completions | `ANYSCALE_API_KEY` | Anyscale (`ANYSCALE_BASE_URL`) | `JsonObjectSchema` |
    /// | `ollama` | chat completions | none | `http://127.0.0.1:11434/v1` (`OLLAMA_BASE_URL`) | `JsonSchema` |
    /// | `vllm` | chat completions | `VLLM_API_KEY`, if set | `http://127.0.0.1:8000/v1` (`VLLM_BASE_URL`) | `JsonSchema` |
    /// | `llamacpp` | chat completions | `LLAMACPP_API_KEY`, if set | `http://127.0.0.1:8080/v1` (`LLAMACPP_BASE_URL`) | `JsonSchema` |
    ///
    /// The model is everything after the first `/` (`vllm/meta-llama/Llama-3.1-8B-Instruct`)
    /// and becomes the client's default model. Any other OpenAI-compatible server:
    /// [`Client::openai_compatible`].
    ///
    /// ```no_run
    /// # fn f() -> Result<(), instructor_core::Error> {
    /// let client = instructor_core::Client::from_provider("anthropic/claude-sonnet-4-5")?;
    /// # Ok(()) }
    /// ```
    ///
    /// The error names what is wrong: an unknown provider (and the ones there are), no model,
    /// or the variable to set for the key.
    pub fn from_provider(spec: &str) -> Result<Self, Error> {
        Self::from_provider_lookup(spec, |name| {
            std::env::var(name).ok().filter(|v| !v.trim().is_empty())
        })
    }

    pub(crate) fn from_provider_lookup(
        spec: &str,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        let (name, model) = spec.split_once('/').unwrap_or((spec, ""));
        let named = named(name.trim()).ok_or_else(|| {
            Error::Config(format!(
                "from_provider(\"{spec}\"): unknown provider `{name}`; the providers are \
                 {PROVIDERS}, or use Client::openai_compatible for another server"
            ))
        })?;
        let model = model.trim();
        if model.is_empty() {
            return Err(Error::Config(format!(
                "from_provider(\"{spec}\"): no model: write it after the provider, \
                 \"{name}/MODEL\""
            )));
        }
        let builder = named.builder(&get, &format!("from_provider(\"{spec}\")"))?;
        builder.default_model(model).build()
    }
}

/// The builder of the provider `name` (from `INSTRUCTOR_PROVIDER`) for [`Client::from_env`]:
/// `INSTRUCTOR_API_KEY` and `INSTRUCTOR_BASE_URL`, when set, win over the provider's own
/// variables.
pub(crate) fn env_builder(
    name: &str,
    get: &impl Fn(&str) -> Option<String>,
) -> Result<ClientBuilder, Error> {
    let context = format!("INSTRUCTOR_PROVIDER={name}");
    let named = named(name.trim()).ok_or_else(|| {
        Error::Config(format!(
            "{context}: unknown provider; the providers are {PROVIDERS}"
        ))
    })?;
    let overlay = |var: &str| {
        if named.key_vars.contains(&var) {
            get("INSTRUCTOR_API_KEY").or_else(|| get(var))
        } else if var == named.base_var {
            get("INSTRUCTOR_BASE_URL").or_else(|| get(var))
        } else {
            get(var)
        }
    };
    named.builder(&overlay, &context)
}

impl Named {
    /// The builder of this provider's client, its key and base URL read with `get`;
    /// `context` begins an error's message.
    fn builder(
        &self,
        get: &impl Fn(&str) -> Option<String>,
        context: &str,
    ) -> Result<ClientBuilder, Error> {
        let base = get(self.base_var).unwrap_or_else(|| self.base_url.to_owned());
        let mut b = Client::builder()
            .provider(self.provider)
            .base_url(base)
            .default_mode(self.mode);
        match self.key_vars.iter().find_map(|var| get(var)) {
            Some(key) => b = b.api_key(key),
            None if self.key_required => {
                return Err(Error::Config(format!(
                    "{context}: no API key: set {}",
                    self.key_vars.join(" (or ")
                        + &")".repeat(self.key_vars.len().saturating_sub(1))
                )))
            }
            None => {}
        }
        if let Some(server) = self.server {
            b = b.server(server);
        }
        if let Some(prompting) = self.prompting {
            b = b.prompting(prompting);
        }
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::test_env as env;

    #[test]
    fn each_provider_gets_its_dialect_key_url_and_mode() {
        let keys = env(&[
            ("OPENAI_API_KEY", "sk-openai-1234"),
            ("ANTHROPIC_API_KEY", "sk-ant-1234"),
            ("GOOGLE_API_KEY", "g-1234"),
            ("ANYSCALE_API_KEY", "esecret_1234"),
        ]);
        let cases = [
            (
                "openai/gpt-4o-mini",
                OPENAI_BASE_URL,
                Mode::Tools,
                Provider::OpenAiChat,
            ),
            (
                "openai-responses/gpt-5",
                OPENAI_BASE_URL,
                Mode::JsonSchemaStrict,
                Provider::OpenAiResponses,
            ),
            (
                "anthropic/claude-sonnet-4-5",
                ANTHROPIC_BASE_URL,
                Mode::Tools,
                Provider::Anthropic,
            ),
            (
                "gemini/gemini-2.5-flash",
                GEMINI_BASE_URL,
                Mode::JsonSchema,
                Provider::Gemini,
            ),
            (
                "anyscale/mistralai/Mixtral-8x7B-Instruct-v0.1",
                ANYSCALE_BASE_URL,
                Mode::JsonObjectSchema,
                Provider::OpenAiChat,
            ),
            (
                "ollama/llama3.2",
                "http://127.0.0.1:11434/v1",
                Mode::JsonSchema,
                Provider::OpenAiChat,
            ),
            (
                "vllm/meta-llama/Llama-3.1-8B-Instruct",
                "http://127.0.0.1:8000/v1",
                Mode::JsonSchema,
                Provider::OpenAiChat,
            ),
            (
                "llamacpp/gemma-3-270m",
                "http://127.0.0.1:8080/v1",
                Mode::JsonSchema,
                Provider::OpenAiChat,
            ),
        ];
        for (spec, base, mode, provider) in cases {
            let c = Client::from_provider_lookup(spec, &keys).unwrap();
            assert_eq!(c.base_url(), base, "{spec}");
            assert_eq!(c.default_mode(), mode, "{spec}");
            assert_eq!(c.dialect().name(), provider.name(), "{spec}");
            let model = spec.split_once('/').unwrap().1;
            assert_eq!(c.default_model(), Some(model), "{spec}");
        }
        let anthropic = Client::from_provider_lookup("anthropic/claude", &keys).unwrap();
        assert_eq!(anthropic.prompting(), Prompting::Plain);
        assert_eq!(anthropic.api_key(), Some("sk-ant-1234"));
        let gemini = Client::from_provider_lookup("gemini/g", &keys).unwrap();
        assert_eq!(gemini.api_key(), Some("g-1234"));
        assert_eq!(
            Client::from_provider_lookup("ollama/m", &keys)
                .unwrap()
                .server(),
            Server::Ollama
        );
    }

    #[test]
    fn base_urls_are_replaced_by_their_variables() {
        let vars = env(&[
            ("ANTHROPIC_API_KEY", "sk-ant-1234"),
            ("ANTHROPIC_BASE_URL", "http://127.0.0.1:9001"),
            ("VLLM_BASE_URL", "http://10.1.2.3:8000/v1"),
        ]);
        let c = Client::from_provider_lookup("anthropic/claude", &vars).unwrap();
        assert_eq!(c.base_url(), "http://127.0.0.1:9001");
        // No key for a vLLM server that wants none: plain http to another host is fine.
        let v = Client::from_provider_lookup("vllm/m", &vars).unwrap();
        assert_eq!(v.base_url(), "http://10.1.2.3:8000/v1");
        assert_eq!(v.api_key(), None);
    }

    #[test]
    fn errors_name_the_variable_the_provider_and_the_model() {
        let none = env(&[]);
        let e = Client::from_provider_lookup("anthropic/claude", &none).unwrap_err();
        assert!(e.to_string().contains("set ANTHROPIC_API_KEY"), "{e}");
        let e = Client::from_provider_lookup("gemini/g", &none).unwrap_err();
        assert!(
            e.to_string()
                .contains("set GEMINI_API_KEY (or GOOGLE_API_KEY)"),
            "{e}"
        );
        let e = Client::from_provider_lookup("mistral/large", &none).unwrap_err();
        assert!(
            e.to_string().contains("unknown provider `mistral`")
                && e.to_string().contains("openai-responses"),
            "{e}"
        );
        let e = Client::from_provider_lookup("openai", &none).unwrap_err();
        assert!(e.to_string().contains("no model"), "{e}");
        let e = Client::from_provider_lookup("ollama/", &none).unwrap_err();
        assert!(e.to_string().contains("\"ollama/MODEL\""), "{e}");
    }
}
