//! Prints the trace of a scenario given as JSON (a debugging aid; `ftpsim run` is the real tool).
use ftpsim::sim::scenario::Scenario;
use ftpsim::sim::timeline::Timeline;
fn main() {
    let json = std::env::args().nth(1).unwrap_or_else(|| "{}".into());
    let scenario = Scenario::from_json(&json).expect("scenario");
    let timeline = Timeline::run(&scenario).expect("timeline");
    for event in timeline.events() {
        println!("{:>4} {}", event.index, event.to_line());
    }
    println!("{}", serde_json::to_string_pretty(timeline.verdict()).expect("json"));
}
