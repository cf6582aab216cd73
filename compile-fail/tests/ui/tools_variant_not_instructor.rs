#[derive(serde::Deserialize)]
struct WeatherQuery {
    city: String,
}

#[derive(serde::Deserialize, instructor::Instructor)]
#[instructor(tools)]
enum Action {
    Weather(WeatherQuery),
}

fn main() {}
