//! The bill: the tokens a client's requests used, per model, and what they cost at the
//! prices the user gave ([`Prices`], set with
//! [`ClientBuilder::prices`](crate::ClientBuilder::prices)). Nothing is priced by the SDK
//! itself: a model without a price has no cost (`None`), never a guess.
//!
//! Money is a plain `f64` in whatever unit the prices are written in (USD, EUR, credits):
//! a [`Price`] is that unit per million tokens.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use crate::setters::setters;
use crate::wire::Usage;

/// What one model's tokens cost, in a unit of money per million tokens.
///
/// ```
/// use instructor_core::bill::Price;
/// // $0.15 per million prompt tokens, $0.60 per million answer tokens, cached prompt
/// // tokens at half price.
/// let price = Price::per_million_tokens(0.15, 0.60).cached_input(0.075);
/// assert_eq!(price.input(), 0.15);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    input: f64,
    output: f64,
    cached_input: Option<f64>,
    cache_write: Option<f64>,
}

impl Price {
    /// `input` per million prompt tokens and `output` per million answer tokens (reasoning
    /// tokens are answer tokens). Cached prompt tokens cost `input` too unless
    /// [`cached_input`](Self::cached_input) says otherwise; tokens written to a prompt
    /// cache the same unless [`cache_write`](Self::cache_write) does.
    pub fn per_million_tokens(input: f64, output: f64) -> Self {
        Self {
            input,
            output,
            cached_input: None,
            cache_write: None,
        }
    }

    setters! {
        /// The price per million prompt tokens read from the provider's prompt cache
        /// ([`Usage::cached_tokens`]).
        fn cached_input(per_million: f64) { cached_input = Some(per_million) }

        /// The price per million prompt tokens written to the provider's prompt cache
        /// ([`Usage::cache_creation_tokens`], Anthropic's cache writes).
        fn cache_write(per_million: f64) { cache_write = Some(per_million) }
    }

    /// The price per million prompt tokens.
    pub fn input(&self) -> f64 {
        self.input
    }

    /// The price per million answer tokens.
    pub fn output(&self) -> f64 {
        self.output
    }

    /// What `usage` costs at this price. The prompt tokens are split three ways: those
    /// read from the cache, those written to it, and the rest (`prompt_tokens` counts all
    /// three, as every dialect reports it).
    pub fn cost(&self, usage: &Usage) -> Cost {
        let cached = u64::from(usage.cached_tokens);
        let written = u64::from(usage.cache_creation_tokens);
        let plain = usage.prompt_tokens.saturating_sub(cached + written);
        let m = |tokens: u64, price: f64| tokens as f64 * price / 1_000_000.0;
        Cost {
            input: m(plain, self.input),
            cached_input: m(cached, self.cached_input.unwrap_or(self.input)),
            cache_write: m(written, self.cache_write.unwrap_or(self.input)),
            output: m(usage.completion_tokens, self.output),
        }
    }
}

/// The price table: a [`Price`] per model name, matched exactly (the name a request asks
/// for, `gpt-4o-mini`, not a dated snapshot the server may answer with unless that is the
/// name asked). Set it with [`ClientBuilder::prices`](crate::ClientBuilder::prices).
///
/// ```
/// use instructor_core::bill::{Price, Prices};
/// let prices = Prices::new()
///     .model("gpt-4o-mini", Price::per_million_tokens(0.15, 0.60).cached_input(0.075))
///     .model("claude-sonnet-4-5", Price::per_million_tokens(3.0, 15.0).cache_write(3.75));
/// assert!(prices.get("gpt-4o-mini").is_some());
/// assert!(prices.get("gpt-4o").is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Prices {
    models: HashMap<String, Price>,
}

impl Prices {
    /// An empty table: nothing has a cost.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the price of `model`.
    pub fn model(mut self, model: impl Into<String>, price: Price) -> Self {
        self.models.insert(model.into(), price);
        self
    }

    /// The price of `model`, if the table has it.
    pub fn get(&self, model: &str) -> Option<&Price> {
        self.models.get(model)
    }

    /// What `usage` of `model` costs; `None` for a model the table does not have.
    pub fn cost(&self, model: &str, usage: &Usage) -> Option<Cost> {
        self.get(model).map(|p| p.cost(usage))
    }
}

/// What some tokens cost, by kind, in the unit of the [`Prices`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct Cost {
    /// The prompt tokens neither read from nor written to a cache.
    pub input: f64,
    /// The prompt tokens read from the prompt cache.
    pub cached_input: f64,
    /// The prompt tokens written to the prompt cache.
    pub cache_write: f64,
    /// The answer tokens (reasoning included).
    pub output: f64,
}

impl Cost {
    /// The four parts together.
    pub fn total(&self) -> f64 {
        self.input + self.cached_input + self.cache_write + self.output
    }
}

impl std::ops::Add for Cost {
    type Output = Cost;
    fn add(self, o: Cost) -> Cost {
        Cost {
            input: self.input + o.input,
            cached_input: self.cached_input + o.cached_input,
            cache_write: self.cache_write + o.cache_write,
            output: self.output + o.output,
        }
    }
}

/// One model's line of a [`UsageReport`].
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ModelUsage {
    /// Answers read from the model (each attempt of each extraction whose response came
    /// back with a success status; a request that failed at the transport, or with an
    /// error status, used no tokens and is not counted).
    pub requests: u64,
    /// Their tokens, summed.
    pub usage: Usage,
    /// What they cost, when the client's [`Prices`] has the model.
    pub cost: Option<Cost>,
}

/// What a client's requests used, per model: [`Client::usage`](crate::Client::usage).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct UsageReport {
    /// One line per model asked for, by name.
    pub models: BTreeMap<String, ModelUsage>,
}

impl UsageReport {
    /// Every model's tokens together.
    pub fn usage(&self) -> Usage {
        let mut all = Usage::default();
        for line in self.models.values() {
            all += line.usage;
        }
        all
    }

    /// Every model's answers together.
    pub fn requests(&self) -> u64 {
        self.models.values().map(|m| m.requests).sum()
    }

    /// What everything cost: `None` when a model that was used has no price (a sum that
    /// leaves some out would understate the bill).
    pub fn cost(&self) -> Option<Cost> {
        self.models
            .values()
            .try_fold(Cost::default(), |sum, line| Some(sum + line.cost?))
    }
}

/// The running totals of one client, shared by its clones (one lock per answer).
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    prices: Prices,
    models: Mutex<HashMap<String, (u64, Usage)>>,
}

impl Ledger {
    /// An empty ledger that prices with `prices`.
    pub(crate) fn new(prices: Prices) -> Arc<Self> {
        Arc::new(Self {
            prices,
            models: Mutex::default(),
        })
    }

    /// Counts one answer of `model`.
    pub(crate) fn record(&self, model: &str, usage: Usage) {
        let mut models = self.models.lock().unwrap_or_else(|e| e.into_inner());
        match models.get_mut(model) {
            Some((requests, sum)) => {
                *requests += 1;
                *sum += usage;
            }
            None => {
                models.insert(model.to_owned(), (1, usage));
            }
        }
    }

    /// The price table.
    pub(crate) fn prices(&self) -> &Prices {
        &self.prices
    }

    /// The totals so far.
    pub(crate) fn report(&self) -> UsageReport {
        let models = self.models.lock().unwrap_or_else(|e| e.into_inner());
        UsageReport {
            models: models
                .iter()
                .map(|(model, (requests, usage))| {
                    let line = ModelUsage {
                        requests: *requests,
                        usage: *usage,
                        cost: self.prices.cost(model, usage),
                    };
                    (model.clone(), line)
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(prompt: u64, completion: u64, cached: u32, written: u32) -> Usage {
        Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: prompt + completion,
            cached_tokens: cached,
            cache_creation_tokens: written,
            ..Usage::default()
        }
    }

    #[test]
    fn a_price_splits_the_prompt_by_cache() {
        let price = Price::per_million_tokens(2.0, 8.0)
            .cached_input(0.5)
            .cache_write(2.5);
        let cost = price.cost(&usage(1_000_000, 500_000, 200_000, 100_000));
        assert_eq!(cost.input, 1.4);
        assert_eq!(cost.cached_input, 0.1);
        assert_eq!(cost.cache_write, 0.25);
        assert_eq!(cost.output, 4.0);
        assert_eq!(cost.total(), 5.75);
    }

    #[test]
    fn without_cache_prices_cached_tokens_cost_the_input_price() {
        // A price of a million per million: a cost of one per token.
        let cost = Price::per_million_tokens(1e6, 1e6).cost(&usage(10, 0, 4, 0));
        assert_eq!((cost.input, cost.cached_input), (6.0, 4.0));
    }

    #[test]
    fn an_unknown_model_has_no_cost_and_no_total() {
        let ledger = Ledger::new(Prices::new().model("a", Price::per_million_tokens(1.0, 1.0)));
        ledger.record("a", usage(10, 5, 0, 0));
        assert!(ledger.report().cost().is_some());
        ledger.record("b", usage(10, 5, 0, 0));
        let report = ledger.report();
        assert_eq!(report.models["b"].cost, None);
        assert_eq!(report.cost(), None);
        assert_eq!(report.requests(), 2);
        assert_eq!(report.usage().prompt_tokens, 20);
    }
}
