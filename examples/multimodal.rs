//! Structured data from images, PDFs and audio: each file given on the command line is sent
//! with a question as one user message of parts, and the answer is a `Maybe<Receipt>` (the
//! receipt, or why the file holds none) and a bare list of what else it shows.
//!
//! It needs a server and a model that read what you send; the seed model of
//! `scripts/local-llm` (gemma-3-270m) reads text only, so this example does not run against
//! it. Any of these does:
//!
//! - OpenAI: images, PDFs (`gpt-4o-mini`, `gpt-4.1`), audio (`gpt-4o-audio-preview`);
//! - llama.cpp's server with a vision model and its projector
//!   (`llama-server -m model.gguf --mmproj mmproj.gguf`): images, and audio with an audio
//!   model; it reads images only as `data:` URLs, which is how files are sent;
//! - vLLM with a vision model: images (and audio with an audio model).
//!
//! ```text
//! OPENAI_API_KEY=sk-... INSTRUCTOR_MODEL=gpt-4o-mini \
//!     cargo run --example multimodal -- receipt.png statement.pdf
//! INSTRUCTOR_BASE_URL=http://127.0.0.1:8080/v1 INSTRUCTOR_MODEL=my-vision-model \
//!     cargo run --example multimodal -- receipt.jpg
//! ```
//!
//! A file that cannot be read, is not the kind its name says, or is over the size limit is
//! reported before anything is sent.

use std::path::Path;

use instructor::{Audio, Image, Instructor, Maybe, Part, Pdf};

/// A shop receipt.
#[derive(Debug, serde::Deserialize, Instructor, garde::Validate)]
struct Receipt {
    /// The shop's name, as printed.
    #[garde(length(min = 1))]
    shop: String,
    /// What was bought.
    #[garde(length(min = 1), dive)]
    lines: Vec<Line>,
    /// The total to pay, in the receipt's currency.
    #[garde(range(min = 0.0))]
    total: f64,
}

/// One line of a receipt.
#[derive(Debug, serde::Deserialize, Instructor, garde::Validate)]
struct Line {
    /// The item, as printed.
    #[garde(length(min = 1))]
    item: String,
    /// Its price.
    #[garde(skip)]
    price: f64,
}

/// The file at `path` as a message part, by its extension.
fn part(path: &Path) -> Result<Part, instructor::Error> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    Ok(match ext.as_deref() {
        Some("pdf") => Pdf::from_path(path)?.into(),
        Some("wav" | "mp3") => Audio::from_path(path)?.into(),
        _ => Image::from_path(path)?.into(),
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: cargo run --example multimodal -- FILE [FILE..] (images, PDFs, WAV/MP3)");
        std::process::exit(2);
    }
    let client = instructor::Client::from_env()?;
    for file in &files {
        // Read and checked here, before any request.
        let media = match part(Path::new(file)) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{file}: {e}");
                continue;
            }
        };
        let receipt = client
            .extract::<Maybe<Receipt>>()
            .system("You read documents and report only what they show.")
            .user_parts((
                "Is there a shop receipt in this file? If so, read it.",
                media.clone(),
            ))
            .max_retries(2)
            .await;
        match receipt.map(Maybe::into_result) {
            Ok(Ok(r)) => println!(
                "{file}: {} lines, total {} at {}",
                r.lines.len(),
                r.total,
                r.shop
            ),
            Ok(Err(why)) => println!("{file}: no receipt: {why}"),
            Err(e) => println!("{file}: error: {e}"),
        }
        // A bare type: asked for as {"value": [..]}, handed back as the list.
        let things = client
            .extract::<Vec<String>>()
            .user_parts((
                "Name the things this file shows, one or two words each.",
                media,
            ))
            .max_retries(1)
            .await;
        match things {
            Ok(things) => println!("{file}: shows {}", things.join(", ")),
            Err(e) => println!("{file}: error: {e}"),
        }
    }
    Ok(())
}
