//! The same extraction in every mode, to see which ones a server supports.
//!
//! ```text
//! INSTRUCTOR_BASE_URL=http://127.0.0.1:8080/v1 INSTRUCTOR_MODEL=my-model \
//!     cargo run --example modes            # all five modes
//! cargo run --example modes -- tools md_json   # only these
//! ```

use instructor::{Instructor, Mode};

/// A product mentioned in the text.
#[derive(Debug, serde::Deserialize, Instructor)]
struct Product {
    /// The product's name.
    name: String,
    /// Price in euros.
    price: f64,
    /// Whether it is in stock, when the text says.
    in_stock: Option<bool>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = instructor::Client::from_env()?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let modes: Vec<Mode> = if args.is_empty() {
        Mode::ALL.to_vec()
    } else {
        args.iter().map(|a| a.parse()).collect::<Result<_, _>>()?
    };

    for mode in modes {
        let result = client
            .extract::<Product>()
            .mode(mode)
            .user("The Rustacean plush costs 19.90 EUR and ships today.")
            .max_retries(1)
            .send_with_extraction()
            .await;
        match result {
            Ok((product, completion)) => println!(
                "{:>18}: {product:?} ({} attempt(s), {} tokens)",
                mode.as_str(),
                completion.attempts.len(),
                completion.usage.total_tokens
            ),
            Err(e) => println!("{:>18}: error: {e}", mode.as_str()),
        }
    }
    Ok(())
}
