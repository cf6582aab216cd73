#[derive(serde::Deserialize, instructor::Instructor)]
struct WeatherQuery {
    city: String,
}

#[derive(serde::Deserialize, instructor::Instructor)]
#[instructor(tools)]
enum Action {
    Weather(WeatherQuery),
    Search { query: String },
    Stop,
}

#[derive(serde::Deserialize, instructor::Instructor)]
#[instructor(tools)]
struct NotAnEnum {
    city: String,
}

fn main() {}
