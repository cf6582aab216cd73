//! What a run found: one [`CaseResult`] per case and arm, an [`ArmSummary`] per arm, and
//! their renderings (a line per case, the figures table, the per-shape table, JSON).
//!
//! Exact match: the extracted value, serialized by its Rust type, equals the expected value
//! after the same round trip (read as the type, validated, written back). So number spelling
//! (`30` or `30.0` for an `f64`), key order and an absent optional field versus `null` do not
//! matter; everything else does: strings are compared as they are (case, spaces,
//! punctuation), lists in order.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use instructor::Usage;
use serde::Serialize;
use serde_json::Value;

use crate::arms::{Arm, Settings};

/// How one extraction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A valid value equal to the expected one.
    Pass,
    /// A valid value, but not the expected one.
    Wrong,
    /// No value: the SDK returned an error.
    Error,
}

/// Tokens, as the server counted them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tokens {
    /// Prompt tokens.
    pub prompt: u64,
    /// Answer tokens.
    pub completion: u64,
    /// Their total, as reported.
    pub total: u64,
}

impl From<Usage> for Tokens {
    fn from(u: Usage) -> Self {
        Tokens {
            prompt: u.prompt_tokens,
            completion: u.completion_tokens,
            total: u.total_tokens,
        }
    }
}

impl std::ops::AddAssign for Tokens {
    fn add_assign(&mut self, o: Tokens) {
        self.prompt += o.prompt;
        self.completion += o.completion;
        self.total += o.total;
    }
}

/// One case in one arm.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// The case id.
    pub id: String,
    /// Its shape.
    pub shape: String,
    /// Its type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The mode's name.
    pub mode: String,
    /// The strategy's name.
    pub prompting: String,
    /// How it ended.
    pub outcome: Outcome,
    /// The expected value.
    pub expected: Value,
    /// What came back: the value; for an error, the last reply when there was one (the JSON
    /// when it parses, else the text).
    pub got: Option<Value>,
    /// The error, when no valid value came back.
    pub error: Option<String>,
    /// Its kind (`retries_exhausted`, `truncated`, `api`, ...).
    pub error_kind: Option<String>,
    /// Requests made (1 + re-asks); 0 when none could be sent.
    pub attempts: u32,
    /// Why each rejected answer was rejected, in order.
    pub attempt_errors: Vec<String>,
    /// Tokens of every attempt.
    pub tokens: Tokens,
    /// Wall time of the extraction, in milliseconds.
    pub wall_ms: u64,
    /// 1 when the accepted answer was a reply the SDK repaired before parsing (a fence,
    /// trailing commas, ...), else 0; a failed case has no accepted answer. `None` in reports
    /// written before the SDK reported repairs.
    pub repairs: Option<u32>,
}

impl CaseResult {
    /// `PASS`, or `FAIL` with what came back.
    pub fn line(&self) -> String {
        let arm = format!("{}/{}", self.mode, self.prompting);
        let attempts = match self.attempts {
            1 => "1 attempt".to_owned(),
            n => format!("{n} attempts"),
        };
        match self.outcome {
            Outcome::Pass => format!(
                "PASS {arm} {} ({attempts}): {}",
                self.id,
                compact(self.got.as_ref())
            ),
            Outcome::Wrong => format!(
                "FAIL {arm} {} ({attempts}): got {} expected {}",
                self.id,
                compact(self.got.as_ref()),
                compact(Some(&self.expected))
            ),
            Outcome::Error => {
                let mut s = format!(
                    "FAIL {arm} {} ({attempts}): {}",
                    self.id,
                    self.error.as_deref().unwrap_or("error")
                );
                if let Some(got) = &self.got {
                    let _ = write!(s, "; last reply: {}", shorten(&compact(Some(got)), 200));
                }
                s
            }
        }
    }
}

fn compact(v: Option<&Value>) -> String {
    match v {
        Some(v) => v.to_string(),
        None => "nothing".into(),
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let cut: String = s.chars().take(max).collect();
    format!("{cut}...")
}

/// The figures of one arm.
#[derive(Debug, Clone, Serialize)]
pub struct ArmSummary {
    /// The mode's name.
    pub mode: String,
    /// The strategy's name.
    pub prompting: String,
    /// Cases run.
    pub cases: usize,
    /// Exact matches.
    pub passed: usize,
    /// Valid values that were not the expected one.
    pub wrong: usize,
    /// Extractions that ended in an error.
    pub errors: usize,
    /// `passed / cases`.
    pub exact_match_rate: f64,
    /// Requests per case, over every case.
    pub mean_attempts: f64,
    /// Tokens of every attempt of every case.
    pub tokens: Tokens,
    /// `tokens.total / passed`; `None` when nothing passed.
    pub tokens_per_right_answer: Option<f64>,
    /// Wall time of the arm, in milliseconds.
    pub wall_ms: u64,
    /// Accepted answers that were repaired, over the arm; `None` for old reports.
    pub repairs: Option<u32>,
}

impl ArmSummary {
    /// The figures of `results`, all of `arm`.
    pub fn of(arm: Arm, results: &[CaseResult], wall: Duration) -> ArmSummary {
        let cases = results.len();
        let count = |o: Outcome| results.iter().filter(|r| r.outcome == o).count();
        let passed = count(Outcome::Pass);
        let mut tokens = Tokens::default();
        for r in results {
            tokens += r.tokens;
        }
        let attempts: u64 = results.iter().map(|r| u64::from(r.attempts)).sum();
        let repairs = results
            .iter()
            .map(|r| r.repairs)
            .try_fold(0u32, |acc, r| r.map(|n| acc + n));
        ArmSummary {
            mode: arm.mode.to_string(),
            prompting: arm.prompting.to_string(),
            cases,
            passed,
            wrong: count(Outcome::Wrong),
            errors: count(Outcome::Error),
            exact_match_rate: ratio(passed as f64, cases),
            mean_attempts: ratio(attempts as f64, cases),
            tokens,
            tokens_per_right_answer: (passed > 0).then(|| tokens.total as f64 / passed as f64),
            wall_ms: wall.as_millis() as u64,
            repairs: if cases == 0 { None } else { repairs },
        }
    }
}

fn ratio(n: f64, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n / d as f64
    }
}

/// Where and how the run was made.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    /// The UTC day it started (`2026-11-25`).
    pub date: String,
    /// The model.
    pub model: String,
    /// The server's base URL.
    pub base_url: String,
    /// The kind of server detected.
    pub server: String,
    /// Sampling and re-ask settings.
    pub settings: Settings,
    /// Cases per arm.
    pub cases: usize,
    /// The system message.
    pub system: String,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Where and how.
    pub meta: Meta,
    /// One summary per arm, in the order run.
    pub arms: Vec<ArmSummary>,
    /// Every case in every arm.
    pub results: Vec<CaseResult>,
}

impl Report {
    /// The summary of `mode`/`prompting`, if it ran.
    pub fn arm(&self, mode: &str, prompting: &str) -> Option<&ArmSummary> {
        self.arms
            .iter()
            .find(|a| a.mode == mode && a.prompting == prompting)
    }

    /// The figures, one row per arm, as a Markdown table.
    pub fn figures_table(&self) -> String {
        let show_repairs = self.arms.iter().any(|a| a.repairs.is_some());
        let mut s = String::from(
            "| mode | prompting | exact match | wrong | error | mean attempts | tokens per right answer | tokens (all attempts) | wall time |",
        );
        if show_repairs {
            s.push_str(" repaired |");
        }
        s.push_str("\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        if show_repairs {
            s.push_str(" --- |");
        }
        s.push('\n');
        for a in &self.arms {
            let tpr = match a.tokens_per_right_answer {
                Some(t) => format!("{t:.0}"),
                None => "-".into(),
            };
            let _ = write!(
                s,
                "| {} | {} | {}/{} ({:.0}%) | {} | {} | {:.2} | {} | {} | {} |",
                a.mode,
                a.prompting,
                a.passed,
                a.cases,
                a.exact_match_rate * 100.0,
                a.wrong,
                a.errors,
                a.mean_attempts,
                tpr,
                a.tokens.total,
                duration(a.wall_ms),
            );
            if show_repairs {
                let _ = write!(s, " {} |", a.repairs.map_or("-".into(), |n| n.to_string()));
            }
            s.push('\n');
        }
        s
    }

    /// Exact matches per shape (rows) and arm (columns), as a Markdown table.
    pub fn shapes_table(&self) -> String {
        let mut shapes: Vec<&str> = Vec::new();
        for r in &self.results {
            if !shapes.contains(&r.shape.as_str()) {
                shapes.push(&r.shape);
            }
        }
        let mut s = String::from("| shape |");
        for a in &self.arms {
            let _ = write!(s, " {}/{} |", a.mode, a.prompting);
        }
        s.push_str("\n| --- |");
        for _ in &self.arms {
            s.push_str(" --- |");
        }
        s.push('\n');
        for shape in shapes {
            let _ = write!(s, "| {shape} |");
            for a in &self.arms {
                let of_arm = self
                    .results
                    .iter()
                    .filter(|r| r.shape == shape && r.mode == a.mode && r.prompting == a.prompting);
                let (n, pass) = of_arm.fold((0, 0), |(n, p), r| {
                    (n + 1, p + usize::from(r.outcome == Outcome::Pass))
                });
                let _ = write!(s, " {pass}/{n} |");
            }
            s.push('\n');
        }
        s
    }
}

/// `12.3 s`, `4 min 05 s`.
pub fn duration(ms: u64) -> String {
    let secs = ms as f64 / 1000.0;
    if secs < 60.0 {
        format!("{secs:.1} s")
    } else {
        let whole = secs.round() as u64;
        format!("{} min {:02} s", whole / 60, whole % 60)
    }
}

/// The UTC day of `t`, `YYYY-MM-DD`.
pub fn utc_date(t: SystemTime) -> String {
    let days = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0) as i64;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use instructor::{Mode, Prompting};
    use serde_json::json;

    fn result(outcome: Outcome, attempts: u32, total: u64) -> CaseResult {
        CaseResult {
            id: "c".into(),
            shape: "people".into(),
            type_name: "Person".into(),
            mode: "json_schema".into(),
            prompting: "plain".into(),
            outcome,
            expected: json!({"name": "Jason", "age": 20}),
            got: Some(json!({"name": "jason", "age": 20})),
            error: (outcome == Outcome::Error).then(|| "boom".into()),
            error_kind: None,
            attempts,
            attempt_errors: vec![],
            tokens: Tokens {
                prompt: total - 10,
                completion: 10,
                total,
            },
            wall_ms: 5,
            repairs: None,
        }
    }

    #[test]
    fn an_arm_counts_tokens_of_every_attempt_against_right_answers_only() {
        let arm = Arm {
            mode: Mode::JsonSchema,
            prompting: Prompting::Plain,
        };
        let results = [
            result(Outcome::Pass, 1, 100),
            result(Outcome::Wrong, 1, 120),
            result(Outcome::Error, 3, 380),
            result(Outcome::Pass, 2, 200),
        ];
        let a = ArmSummary::of(arm, &results, Duration::from_millis(1500));
        assert_eq!((a.cases, a.passed, a.wrong, a.errors), (4, 2, 1, 1));
        assert_eq!(a.exact_match_rate, 0.5);
        assert_eq!(a.mean_attempts, 7.0 / 4.0);
        assert_eq!(a.tokens.total, 800);
        assert_eq!(a.tokens.completion, 40);
        assert_eq!(a.tokens_per_right_answer, Some(400.0));
        assert_eq!(a.repairs, None);
        let none = ArmSummary::of(arm, &results[1..3], Duration::ZERO);
        assert_eq!(none.tokens_per_right_answer, None);
    }

    #[test]
    fn lines_say_pass_or_fail_with_what_came_back() {
        let pass = result(Outcome::Pass, 1, 100);
        assert_eq!(
            pass.line(),
            r#"PASS json_schema/plain c (1 attempt): {"name":"jason","age":20}"#
        );
        let wrong = result(Outcome::Wrong, 2, 100);
        assert_eq!(
            wrong.line(),
            r#"FAIL json_schema/plain c (2 attempts): got {"name":"jason","age":20} expected {"name":"Jason","age":20}"#
        );
        let err = result(Outcome::Error, 3, 100);
        assert!(err
            .line()
            .starts_with("FAIL json_schema/plain c (3 attempts): boom; last reply: {"));
    }

    #[test]
    fn dates_and_durations_read_as_people_write_them() {
        assert_eq!(utc_date(UNIX_EPOCH), "1970-01-01");
        assert_eq!(
            utc_date(UNIX_EPOCH + Duration::from_secs(1_709_251_200)),
            "2024-03-01"
        );
        assert_eq!(duration(1234), "1.2 s");
        assert_eq!(duration(245_000), "4 min 05 s");
    }
}
