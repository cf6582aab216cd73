mod as_cents {
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let dollars: f64 = serde::Deserialize::deserialize(d)?;
        Ok((dollars * 100.0).round() as u64)
    }
}

#[derive(serde::Deserialize, instructor::Instructor)]
struct Invoice {
    #[serde(with = "as_cents")]
    total: u64,
}

fn main() {}
