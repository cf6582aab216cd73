// A variant's type that does not derive `Instructor`: the field and the derive say so.
#[derive(serde::Deserialize)]
struct WeatherQuery {
    city: String,
}

#[derive(serde::Deserialize, instructor::Instructor)]
#[instructor(tools)]
enum Action {
    Weather(WeatherQuery),
}

// Variants that do not hold one type: each is named.
#[derive(serde::Deserialize, instructor::Instructor)]
struct ForecastQuery {
    city: String,
}

#[derive(serde::Deserialize, instructor::Instructor)]
#[instructor(tools)]
enum Command {
    Forecast(ForecastQuery),
    Search { query: String },
    Stop,
}

// Not an enum at all.
#[derive(serde::Deserialize, instructor::Instructor)]
#[instructor(tools)]
struct NotAnEnum {
    city: String,
}

fn main() {}
