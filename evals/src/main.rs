//! `instructor-evals`: runs the extraction eval against an OpenAI-compatible server.
//! See `--help`, or `scripts/eval` to run it against the local model.

use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use instructor::{Mode, Prompting};
use instructor_evals::{matrix, CaseFile, Event, Runner, Settings, Target};

const HELP: &str = "\
instructor-evals: the extraction eval of instructor-rs

USAGE: instructor-evals [OPTIONS]

The server: --base-url or INSTRUCTOR_BASE_URL, --model or INSTRUCTOR_MODEL, the key in
INSTRUCTOR_API_KEY (optional). scripts/eval starts the local model and sets them.

OPTIONS:
  --mode <m,..|all>        modes: json_schema, json_schema_strict, json_object_schema, tools,
                           json, md_json
  --prompting <p,..|all>   strategies: plain, json_schema, compact
                           Neither: the default mode (json_schema) with every strategy.
                           One: crossed with the other's default (json_schema, plain).
                           Both: their cross product. `--mode all` adds every other mode.
  --cases <filter>         cases whose id contains, or whose shape or type is, one of the
                           comma-separated words
  --max-retries <n>        re-asks after an invalid answer (default 2)
  --max-tokens <n>         token limit of each answer (default 256)
  --timeout <secs>         limit of one HTTP request (default 300)
  --json <file>            also write the report as JSON
  --record <file>          write every HTTP response as replay JSON (for evals/replay/)
  --list                   list the cases and exit
  --dry-run                print the first request body of each case in each arm (JSON
                           lines), send nothing
  --quiet                  no per-case lines, no progress bar
  -h, --help               this text
";

struct Args {
    base_url: Option<String>,
    model: Option<String>,
    modes: Option<Vec<Mode>>,
    promptings: Option<Vec<Prompting>>,
    cases: String,
    settings: Settings,
    timeout: u64,
    json: Option<String>,
    record: Option<String>,
    list: bool,
    dry_run: bool,
    quiet: bool,
}

fn parse_list<T: Copy>(
    value: &str,
    all: &[T],
    parse: impl Fn(&str) -> Result<T, instructor::Error>,
) -> Result<Vec<T>, String> {
    if value.trim() == "all" {
        return Ok(all.to_vec());
    }
    value
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| parse(s).map_err(|e| e.to_string()))
        .collect()
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        base_url: std::env::var("INSTRUCTOR_BASE_URL")
            .ok()
            .filter(|s| !s.is_empty()),
        model: std::env::var("INSTRUCTOR_MODEL")
            .ok()
            .filter(|s| !s.is_empty()),
        modes: None,
        promptings: None,
        cases: String::new(),
        settings: Settings::default(),
        timeout: 300,
        json: None,
        record: None,
        list: false,
        dry_run: false,
        quiet: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let (flag, inline) = match flag.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (flag, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        let number = |v: String| v.parse::<u64>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                std::process::exit(0);
            }
            "--base-url" => a.base_url = Some(value()?),
            "--model" => a.model = Some(value()?),
            "--mode" => a.modes = Some(parse_list(&value()?, &Mode::ALL, str::parse)?),
            "--prompting" => {
                a.promptings = Some(parse_list(&value()?, &Prompting::ALL, str::parse)?)
            }
            "--cases" => a.cases = value()?,
            "--max-retries" => a.settings.max_retries = number(value()?)? as u32,
            "--max-tokens" => a.settings.max_tokens = number(value()?)? as u32,
            "--timeout" => a.timeout = number(value()?)?,
            "--json" => a.json = Some(value()?),
            "--record" => a.record = Some(value()?),
            "--list" => a.list = true,
            "--dry-run" => a.dry_run = true,
            "--quiet" => a.quiet = true,
            other => return Err(format!("unknown option `{other}` (see --help)")),
        }
    }
    Ok(a)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("instructor-evals: {e}");
            return ExitCode::from(2);
        }
    };
    let file = CaseFile::builtin();
    let cases = file.filtered(&args.cases);
    if args.list {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        for c in &cases {
            let text = c.text.replace('\n', " / ");
            // A closed pipe (`| head`) ends the listing quietly.
            if writeln!(
                out,
                "{:<32} {:<10} {:<16} {text}",
                c.id, c.shape, c.type_name
            )
            .is_err()
            {
                break;
            }
        }
        return ExitCode::SUCCESS;
    }
    if cases.is_empty() {
        eprintln!(
            "instructor-evals: no case matches `{}` (see --list)",
            args.cases
        );
        return ExitCode::from(2);
    }
    let (Some(base_url), Some(model)) = (args.base_url, args.model) else {
        eprintln!("instructor-evals: set --base-url and --model (or INSTRUCTOR_BASE_URL and INSTRUCTOR_MODEL), or use scripts/eval");
        return ExitCode::from(2);
    };
    let arms = matrix(args.modes.as_deref(), args.promptings.as_deref());
    let target = Target {
        base_url,
        api_key: std::env::var("INSTRUCTOR_API_KEY").unwrap_or_default(),
        model,
        timeout: Duration::from_secs(args.timeout),
    };
    let runner = match Runner::connect(target.clone(), args.record.is_some()).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("instructor-evals: {e}");
            return ExitCode::from(2);
        }
    };
    if args.dry_run {
        for (id, arm, body) in runner.dry_run(&file.system, &cases, &arms, &args.settings) {
            let body = body.unwrap_or_else(|e| serde_json::json!({ "error": e }));
            let line = serde_json::json!({"case": id, "mode": arm.mode.as_str(), "prompting": arm.prompting.as_str(), "body": body});
            println!("{line}");
        }
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "instructor-evals: {} case(s) x {} arm(s) against {} ({}, server: {}), max_retries {}, max_tokens {}",
        cases.len(),
        arms.len(),
        target.base_url,
        target.model,
        runner.server(),
        args.settings.max_retries,
        args.settings.max_tokens,
    );

    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new((cases.len() * arms.len()) as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("[{elapsed_precise}] {bar:30} {pos}/{len} (eta {eta}) {msg}")
            .expect("the template is valid"),
    );
    let quiet = args.quiet;
    let mut arms_done = Vec::new();
    let mut on_event = |e: Event<'_>| match e {
        Event::Started { arm, case, .. } => bar.set_message(format!("{arm} {}", case.id)),
        Event::Finished(r) => {
            if !quiet {
                // Not `bar.println`: a hidden bar (stderr not a terminal) would drop the line.
                bar.suspend(|| println!("{}", r.line()));
            }
            bar.inc(1);
        }
        // A long run that is stopped keeps what it measured: the files are written after
        // every arm (marked partial), and again in full at the end.
        Event::ArmFinished { summary, results } => {
            arms_done.push(summary.clone());
            if let Some(path) = &args.json {
                let partial =
                    serde_json::json!({"partial": true, "arms": arms_done, "results": results});
                let _ = std::fs::write(path, partial.to_string() + "\n");
            }
            if let Some(path) = &args.record {
                let entries =
                    serde_json::to_string_pretty(&runner.recording()).expect("serializes");
                let _ = std::fs::write(path, entries + "\n");
            }
        }
    };
    let report = runner
        .run(&file.system, &cases, &arms, &args.settings, &mut on_event)
        .await;
    bar.finish_and_clear();

    println!();
    println!(
        "{} | {} | server {} | {} case(s) | max_retries {} | temperature {} | seed {} | max_tokens {}",
        report.meta.date,
        report.meta.model,
        report.meta.server,
        report.meta.cases,
        report.meta.settings.max_retries,
        report.meta.settings.temperature,
        report.meta.settings.seed,
        report.meta.settings.max_tokens,
    );
    println!();
    print!("{}", report.figures_table());
    println!();
    println!("Exact matches per shape:");
    println!();
    print!("{}", report.shapes_table());

    let mut code = ExitCode::SUCCESS;
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).expect("the report serializes");
        if let Err(e) = std::fs::write(path, text + "\n") {
            eprintln!("instructor-evals: writing {path}: {e}");
            code = ExitCode::FAILURE;
        }
    }
    if let Some(path) = &args.record {
        let entries = runner.take_recording();
        let text = serde_json::to_string_pretty(&entries).expect("the recording serializes");
        if let Err(e) = std::fs::write(path, text + "\n") {
            eprintln!("instructor-evals: writing {path}: {e}");
            code = ExitCode::FAILURE;
        }
    }
    code
}
