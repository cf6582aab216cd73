//! What one run of the eval is made of, before anything runs: the arms (a mode and a
//! prompting strategy each, [`matrix`] builds them) and the [`Settings`] every extraction is
//! sent with. The runner reads them and the report records them; neither is imported back.

use instructor::{Mode, Prompting};
use serde::Serialize;

/// How every extraction is sent. The defaults are the eval's: deterministic sampling, two
/// re-asks, 256 answer tokens.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// Re-asks allowed after an invalid answer.
    pub max_retries: u32,
    /// Sampling temperature.
    pub temperature: f64,
    /// Sampling seed.
    pub seed: u64,
    /// Token limit of each answer.
    pub max_tokens: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_retries: 2,
            temperature: 0.0,
            seed: 42,
            max_tokens: 256,
        }
    }
}

/// One column of the eval: a mode and a prompting strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Arm {
    /// How the schema travels.
    pub mode: Mode,
    /// What the system message says about the answer.
    pub prompting: Prompting,
}

impl std::fmt::Display for Arm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.mode, self.prompting)
    }
}

/// The arms for the given modes and strategies: their cross product; a dimension not given
/// is its default (`Mode::default()`, `Prompting::default()`), except that when neither is
/// given the arms are the default mode with every strategy (the **default matrix**).
///
/// Measured on the shared 2-core machine (docs/evals.md): an arm of the 50 cases in a
/// grammar-enforced mode took about 5 minutes at moderate load (42 under the heaviest); the
/// `tools` arm, whose every answer runs to `max_tokens` with gemma-3-270m, 12 minutes, and
/// `json` half an hour for 31 cases. The 8-arm matrix took over an hour, so the default is the
/// three strategies in the default mode (~17 minutes), and `--mode all` adds the other modes.
pub fn matrix(modes: Option<&[Mode]>, promptings: Option<&[Prompting]>) -> Vec<Arm> {
    let default_mode = [Mode::default()];
    let default_prompting = [Prompting::default()];
    let (modes, promptings): (&[Mode], &[Prompting]) = match (modes, promptings) {
        (None, None) => (&default_mode, &Prompting::ALL),
        (m, p) => (m.unwrap_or(&default_mode), p.unwrap_or(&default_prompting)),
    };
    modes
        .iter()
        .flat_map(|&mode| {
            promptings
                .iter()
                .map(move |&prompting| Arm { mode, prompting })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_matrix_is_every_strategy_in_the_default_mode() {
        let arms = matrix(None, None);
        assert_eq!(arms.len(), Prompting::ALL.len());
        for p in Prompting::ALL {
            assert!(arms.contains(&Arm {
                mode: Mode::default(),
                prompting: p
            }));
        }
        assert_eq!(matrix(None, Some(&Prompting::ALL)), arms);
    }

    #[test]
    fn a_given_dimension_crosses_with_the_others_default() {
        let arms = matrix(Some(&[Mode::Tools, Mode::Json]), None);
        assert_eq!(
            arms,
            vec![
                Arm {
                    mode: Mode::Tools,
                    prompting: Prompting::Plain
                },
                Arm {
                    mode: Mode::Json,
                    prompting: Prompting::Plain
                },
            ]
        );
        let arms = matrix(None, Some(&[Prompting::Compact]));
        assert_eq!(
            arms,
            vec![Arm {
                mode: Mode::JsonSchema,
                prompting: Prompting::Compact
            }]
        );
        let arms = matrix(Some(&[Mode::JsonSchema]), None);
        assert_eq!(
            arms,
            vec![Arm {
                mode: Mode::JsonSchema,
                prompting: Prompting::Plain
            }]
        );
        let arms = matrix(Some(&Mode::ALL), Some(&Prompting::ALL));
        assert_eq!(arms.len(), Mode::ALL.len() * Prompting::ALL.len());
    }
}
