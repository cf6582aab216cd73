//! Token budgets, and the meter every answer's tokens go through.
//!
//! A budget counts **prompt + completion tokens** (`Usage::prompt_tokens +
//! Usage::completion_tokens`: cached prompt tokens and reasoning tokens included, since they
//! are part of those two). One rule, checked before every request: a request starts only while
//! the tokens spent are below the budget. A request is never refused for what it *might*
//! cost: nobody knows an answer's length before it is written, so the last request may take
//! the spending past the budget; no request starts after that.
//!
//! There are two budgets, and an extraction may have both:
//!
//! - an extraction's own (`Extract::token_budget`), counting its attempts;
//! - a bulk job's (`ExtractMany::token_budget`), shared by every extraction of the job and
//!   counted as their answers arrive. Requests already in flight when it is spent finish
//!   (their tokens are spent either way); no new request or re-ask starts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::bill::Ledger;
use crate::wire::Usage;

/// The tokens of `usage` a budget counts: prompt + completion.
pub(crate) fn counted(usage: &Usage) -> u64 {
    usage.prompt_tokens.saturating_add(usage.completion_tokens)
}

/// A budget shared by the extractions of one bulk job.
#[derive(Debug)]
pub(crate) struct SharedBudget {
    limit: u64,
    spent: AtomicU64,
}

impl SharedBudget {
    /// A budget of `limit` tokens, none spent.
    pub(crate) fn new(limit: u64) -> Arc<Self> {
        Arc::new(Self {
            limit,
            spent: AtomicU64::new(0),
        })
    }
}

/// The budgets one extraction runs under.
#[derive(Debug, Clone, Default)]
pub(crate) struct Budget {
    /// The extraction's own limit.
    pub tokens: Option<u64>,
    /// The job's, when it is one extraction of a bulk job.
    pub shared: Option<Arc<SharedBudget>>,
}

impl Budget {
    /// `Some((budget, spent))` when a budget is spent: `own` is what this extraction's
    /// attempts used so far.
    pub(crate) fn spent(&self, own: &Usage) -> Option<(u64, u64)> {
        if let Some(limit) = self.tokens {
            let spent = counted(own);
            if spent >= limit {
                return Some((limit, spent));
            }
        }
        let shared = self.shared.as_ref()?;
        let spent = shared.spent.load(Ordering::Acquire);
        (spent >= shared.limit).then_some((shared.limit, spent))
    }
}

/// Where an answer's tokens are counted besides the extraction: the client's bill (under the
/// model asked for) and the bulk job's budget.
#[derive(Debug)]
pub(crate) struct Meter {
    ledger: Arc<Ledger>,
    model: String,
    pub(crate) budget: Budget,
}

impl Meter {
    /// Counts into `ledger` under `model`, within `budget`.
    pub(crate) fn new(ledger: Arc<Ledger>, model: &str, budget: Budget) -> Self {
        Self {
            ledger,
            model: model.to_owned(),
            budget,
        }
    }

    /// Counts one answer.
    pub(crate) fn record(&self, usage: Usage) {
        self.ledger.record(&self.model, usage);
        if let Some(shared) = &self.budget.shared {
            shared.spent.fetch_add(counted(&usage), Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(prompt: u64, completion: u64) -> Usage {
        Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            ..Usage::default()
        }
    }

    #[test]
    fn a_budget_is_spent_once_the_count_reaches_it() {
        let own = Budget {
            tokens: Some(100),
            shared: None,
        };
        assert_eq!(own.spent(&usage(60, 39)), None);
        assert_eq!(own.spent(&usage(60, 40)), Some((100, 100)));
        assert_eq!(Budget::default().spent(&usage(u64::MAX, 1)), None);
    }

    #[test]
    fn a_shared_budget_counts_every_meter() {
        let shared = SharedBudget::new(50);
        let budget = Budget {
            tokens: None,
            shared: Some(shared),
        };
        let ledger = Ledger::new(crate::bill::Prices::new());
        let a = Meter::new(ledger.clone(), "m", budget.clone());
        let b = Meter::new(ledger.clone(), "m", budget.clone());
        a.record(usage(20, 5));
        assert_eq!(budget.spent(&Usage::default()), None);
        b.record(usage(20, 5));
        assert_eq!(budget.spent(&Usage::default()), Some((50, 50)));
        assert_eq!(ledger.report().requests(), 2);
    }
}
