//! A client from the environment: which variables name the base URL, the key, the model
//! and the mode, and the error that names them when they are missing.

use super::builder::is_loopback_url;
use super::named::env_builder;
use super::{Client, ANYSCALE_BASE_URL, OPENAI_BASE_URL};
use crate::error::Error;
use crate::mode::Mode;

impl Client {
    /// A client configured from the environment:
    ///
    /// - base URL: `INSTRUCTOR_BASE_URL`, else `OPENAI_BASE_URL`, else Anyscale when the key
    ///   came from `ANYSCALE_API_KEY`, else OpenAI;
    /// - key: `INSTRUCTOR_API_KEY`, else `ANYSCALE_API_KEY`, else `OPENAI_API_KEY`; may be
    ///   absent only for a loopback base URL (a local server);
    /// - default model: `INSTRUCTOR_MODEL`, if set;
    /// - default mode: `INSTRUCTOR_MODE` (`json_schema`, `json_schema_strict`,
    ///   `json_object_schema`, `tools`, `json`, `md_json`), else [`Mode::Tools`] for OpenAI,
    ///   [`Mode::JsonObjectSchema`] for Anyscale, and [`Mode::JsonSchema`] otherwise.
    ///
    /// With `INSTRUCTOR_PROVIDER` set (a provider of [`Client::from_provider`]: `anthropic`,
    /// `gemini`, `openai-responses`, ...), the client speaks that provider's dialect with its
    /// defaults; its key is `INSTRUCTOR_API_KEY`, else the provider's own variable
    /// (`ANTHROPIC_API_KEY`, ...), its base URL `INSTRUCTOR_BASE_URL`, else the provider's;
    /// `INSTRUCTOR_MODEL` and `INSTRUCTOR_MODE` apply as above.
    ///
    /// The error names the variables to set.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    pub(crate) fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        if let Some(name) = get("INSTRUCTOR_PROVIDER") {
            let mut b = env_builder(&name, &get)?;
            if let Some(m) = get("INSTRUCTOR_MODE") {
                let mode = m
                    .parse::<Mode>()
                    .map_err(|e| Error::Config(format!("INSTRUCTOR_MODE: {e}")))?;
                b = b.default_mode(mode);
            }
            if let Some(model) = get("INSTRUCTOR_MODEL") {
                b = b.default_model(model);
            }
            return b.build();
        }
        let key = ["INSTRUCTOR_API_KEY", "ANYSCALE_API_KEY", "OPENAI_API_KEY"]
            .into_iter()
            .find_map(|name| get(name).map(|v| (name, v)));
        let base = get("INSTRUCTOR_BASE_URL").or_else(|| get("OPENAI_BASE_URL"));
        let base =
            match (base, &key) {
                (Some(b), _) => b,
                (None, Some(("ANYSCALE_API_KEY", _))) => ANYSCALE_BASE_URL.to_owned(),
                (None, Some(_)) => OPENAI_BASE_URL.to_owned(),
                (None, None) => return Err(Error::Config(
                    "no API key: set INSTRUCTOR_API_KEY (or ANYSCALE_API_KEY / OPENAI_API_KEY), \
                     or INSTRUCTOR_BASE_URL to a local server"
                        .into(),
                )),
            };
        let mode = match get("INSTRUCTOR_MODE") {
            Some(m) => m
                .parse::<Mode>()
                .map_err(|e| Error::Config(format!("INSTRUCTOR_MODE: {e}")))?,
            None if base.trim_end_matches('/') == OPENAI_BASE_URL => Mode::Tools,
            None if base.trim_end_matches('/') == ANYSCALE_BASE_URL => Mode::JsonObjectSchema,
            None => Mode::JsonSchema,
        };
        let mut b = Self::builder().base_url(base.clone()).default_mode(mode);
        match key {
            Some((_, k)) => b = b.api_key(k),
            None if !is_loopback_url(&base) => {
                return Err(Error::Config(format!(
                    "no API key for {base}: set INSTRUCTOR_API_KEY (or ANYSCALE_API_KEY / OPENAI_API_KEY)"
                )))
            }
            None => {}
        }
        if let Some(model) = get("INSTRUCTOR_MODEL") {
            b = b.default_model(model);
        }
        b.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::test_env as env;

    #[test]
    fn from_env_rules() {
        let c = Client::from_lookup(env(&[("ANYSCALE_API_KEY", "esecret_1")])).unwrap();
        assert_eq!(c.base_url(), ANYSCALE_BASE_URL);
        assert_eq!(c.default_mode(), Mode::JsonObjectSchema);
        let c = Client::from_lookup(env(&[
            ("OPENAI_API_KEY", "sk-1"),
            ("INSTRUCTOR_MODEL", "m"),
        ]))
        .unwrap();
        assert_eq!(c.base_url(), OPENAI_BASE_URL);
        assert_eq!(c.default_mode(), Mode::Tools);
        assert_eq!(c.default_model(), Some("m"));
        let c = Client::from_lookup(env(&[
            ("INSTRUCTOR_BASE_URL", "http://127.0.0.1:8080/v1/"),
            ("INSTRUCTOR_MODE", "md_json"),
        ]))
        .unwrap();
        assert_eq!(c.base_url(), "http://127.0.0.1:8080/v1");
        assert_eq!(c.default_mode(), Mode::MdJson);
        let e = Client::from_lookup(env(&[])).unwrap_err().to_string();
        assert!(e.contains("INSTRUCTOR_API_KEY"), "{e}");
        let e = Client::from_lookup(env(&[("INSTRUCTOR_BASE_URL", "https://x.example/v1")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("INSTRUCTOR_API_KEY") && e.contains("x.example"),
            "{e}"
        );
        let e = Client::from_lookup(env(&[("OPENAI_API_KEY", "k"), ("INSTRUCTOR_MODE", "xml")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("INSTRUCTOR_MODE"), "{e}");
    }

    #[test]
    fn instructor_provider_picks_the_dialect() {
        let c = Client::from_lookup(env(&[
            ("INSTRUCTOR_PROVIDER", "anthropic"),
            ("ANTHROPIC_API_KEY", "sk-ant-1234"),
            ("INSTRUCTOR_MODEL", "claude-sonnet-4-5"),
        ]))
        .unwrap();
        assert_eq!(c.dialect().name(), "anthropic");
        assert_eq!(c.default_model(), Some("claude-sonnet-4-5"));
        assert_eq!(c.default_mode(), Mode::Tools);
        let c = Client::from_lookup(env(&[
            ("INSTRUCTOR_PROVIDER", "openai-responses"),
            ("INSTRUCTOR_BASE_URL", "http://127.0.0.1:8080/v1"),
            ("INSTRUCTOR_API_KEY", "sk-local-1234"),
            ("INSTRUCTOR_MODE", "json_schema"),
        ]))
        .unwrap();
        assert_eq!(c.base_url(), "http://127.0.0.1:8080/v1");
        assert_eq!(c.api_key(), Some("sk-local-1234"));
        assert_eq!(c.default_mode(), Mode::JsonSchema);
        let e = Client::from_lookup(env(&[("INSTRUCTOR_PROVIDER", "gemini")])).unwrap_err();
        assert!(
            e.to_string()
                .contains("INSTRUCTOR_PROVIDER=gemini: no API key: set GEMINI_API_KEY"),
            "{e}"
        );
        let e = Client::from_lookup(env(&[("INSTRUCTOR_PROVIDER", "bedrock")])).unwrap_err();
        assert!(e.to_string().contains("unknown provider"), "{e}");
    }
}
