//! Scenario files on the page: the same JSON `ftpsim run --scenario` reads and writes, without
//! serde in the browser build (serde_json's deserialiser of a `Scenario` costs the page 17 KB of
//! its download budget; this costs well under 2).
//!
//! The browser parses the text (`JSON.parse`) into a [`Json`] value; this module turns it into
//! a [`Scenario`] through the settings table, the way the form and the terminal runner's flags
//! do, plus the few fields only a file holds (latency, seed, a bounce address, how the firewalls
//! refuse). Unknown fields are refused, as serde's `deny_unknown_fields` does. Writing goes the
//! other way and gives the text serde would give. Native tests check both against serde.

use std::net::IpAddr;

use super::scenario::{Latency, Numbers, RefuseWith, Scenario, ScenarioError};
use super::settings::{self, Kind};
use crate::messages::settings::file as say;
use crate::time::Duration;

/// A parsed JSON value, as much of JSON as a scenario file uses.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// Whole numbers only: no field of a scenario has a fraction.
    Number(u64),
    /// A number with a fraction, or negative: always refused.
    OtherNumber,
    Text(String),
    List(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses JSON text natively (the terminal runner, tests, the fuzzer). The page parses with
    /// the browser's `JSON.parse` instead, which costs it nothing to download.
    pub fn parse(text: &str) -> Option<Json> {
        serde_json::from_str::<serde_json::Value>(text).ok().map(|value| Json::from(&value))
    }
}

impl From<&serde_json::Value> for Json {
    fn from(value: &serde_json::Value) -> Json {
        match value {
            serde_json::Value::Null => Json::Null,
            serde_json::Value::Bool(flag) => Json::Bool(*flag),
            serde_json::Value::Number(number) => number.as_u64().map_or(Json::OtherNumber, Json::Number),
            serde_json::Value::String(text) => Json::Text(text.clone()),
            serde_json::Value::Array(items) => Json::List(items.iter().map(Json::from).collect()),
            serde_json::Value::Object(fields) => {
                Json::Object(fields.iter().map(|(name, value)| (name.clone(), Json::from(value))).collect())
            }
        }
    }
}

/// Reads a scenario from a parsed file; missing fields take their defaults.
pub fn read(value: &Json) -> Result<Scenario, ScenarioError> {
    let Json::Object(fields) = value else {
        return Err(ScenarioError::Json(say::NOT_AN_OBJECT.to_owned()));
    };
    let mut scenario = Scenario::default();
    for (name, value) in fields {
        read_field(&mut scenario, name, value).map_err(ScenarioError::Json)?;
    }
    scenario.validate()?;
    Ok(scenario)
}

fn read_field(scenario: &mut Scenario, name: &str, value: &Json) -> Result<(), String> {
    let key = name.replace('_', "-");
    if let Some(setting) = settings::find(&key) {
        let token = token(setting.kind, value).ok_or_else(|| say::wrong_type(name, &setting.expected()))?;
        let change = setting.parse(&token).map_err(|error| error.to_string())?;
        change.apply(scenario);
        return Ok(());
    }
    match (name, value) {
        ("client_firewall_action", Json::Text(text)) => scenario.client_firewall_action = refuse_with(name, text)?,
        ("server_firewall_action", Json::Text(text)) => scenario.server_firewall_action = refuse_with(name, text)?,
        ("bounce_to", Json::Null) => scenario.bounce_to = None,
        ("bounce_to", Json::Text(text)) => {
            scenario.bounce_to = Some(text.parse::<IpAddr>().map_err(|_| say::wrong_type(name, say::AN_ADDRESS))?)
        }
        ("seed", Json::Number(seed)) => scenario.seed = *seed,
        ("console", Json::List(items)) => {
            scenario.console.clear();
            for item in items {
                let Json::Text(line) = item else { return Err(say::wrong_type(name, say::LINES)) };
                scenario.console.push(line.clone());
            }
        }
        ("latency", Json::Object(parts)) => {
            let mut latency = Latency::default();
            for (part, value) in parts {
                let micros = match value {
                    Json::Number(micros) => Duration::from_micros(*micros),
                    _ => return Err(say::wrong_type(part, say::MICROSECONDS)),
                };
                match part.as_str() {
                    "lan" => latency.lan = micros,
                    "wan" => latency.wan = micros,
                    other => return Err(say::unknown_field(&format!("latency.{other}"))),
                }
            }
            scenario.latency = latency;
        }
        ("numbers", Json::Object(parts)) => scenario.numbers = numbers(parts)?,
        (
            "client_firewall_action"
            | "server_firewall_action"
            | "bounce_to"
            | "seed"
            | "latency"
            | "console"
            | "numbers",
            _,
        ) => {
            return Err(say::wrong_type(name, say::expected_for(name)));
        }
        _ => return Err(say::unknown_field(name)),
    }
    Ok(())
}

/// An assignment's numbers: host parts (0–255) and the passive range as two ports.
fn numbers(parts: &[(String, Json)]) -> Result<Numbers, String> {
    let mut numbers = Numbers::default();
    for (part, value) in parts {
        let byte = |value: &Json| match value {
            Json::Number(number) => u8::try_from(*number).ok(),
            _ => None,
        };
        let port = |value: &Json| match value {
            Json::Number(number) => u16::try_from(*number).ok(),
            _ => None,
        };
        let read = match (part.as_str(), value) {
            ("home_net", _) => byte(value).map(|n| numbers.home_net = n),
            ("client", _) => byte(value).map(|n| numbers.client = n),
            ("router_wan", _) => byte(value).map(|n| numbers.router_wan = n),
            ("server", _) => byte(value).map(|n| numbers.server = n),
            ("passive_range", Json::List(items)) => match items.as_slice() {
                [low, high] => port(low).zip(port(high)).map(|range| numbers.passive_range = range),
                _ => None,
            },
            ("passive_range", _) => None,
            _ => return Err(say::unknown_field(&format!("numbers.{part}"))),
        };
        read.ok_or_else(|| say::wrong_type(part, say::NUMBERS))?;
    }
    Ok(numbers)
}

/// The value as the token the setting's parser reads: `true` → `on`, `null` → `default`…
fn token(kind: Kind, value: &Json) -> Option<String> {
    match (kind, value) {
        // An on/off switch is a boolean in a file; the PORT check (strict/off) is a word.
        (Kind::Switch { on: "on", off }, Json::Bool(flag)) => Some(if *flag { "on" } else { off }.to_owned()),
        (Kind::Switch { on, .. }, Json::Text(text)) if on != "on" => Some(text.clone()),
        (Kind::Choice(_), Json::Text(text)) => Some(text.clone()),
        (Kind::Number { .. } | Kind::OptionalNumber { .. }, Json::Number(number)) => Some(number.to_string()),
        (Kind::OptionalNumber { none, .. }, Json::Null) => Some(none.to_owned()),
        (Kind::Ports, Json::List(items)) => {
            let ports: Option<Vec<String>> = items
                .iter()
                .map(|item| match item {
                    Json::Number(port) => Some(port.to_string()),
                    _ => None,
                })
                .collect();
            ports.map(|ports| ports.join(","))
        }
        _ => None,
    }
}

fn refuse_with(name: &str, text: &str) -> Result<RefuseWith, String> {
    match text {
        "drop" => Ok(RefuseWith::Drop),
        "reject" => Ok(RefuseWith::Reject),
        _ => Err(say::wrong_type(name, "\"drop\" or \"reject\"")),
    }
}

/// serde's order of a scenario's fields. Those that are rows of the settings table are written
/// from the table (`client_nat` is the row `client-nat`); the rest are the file's own.
const FIELDS: [&str; 33] = [
    "client",
    "server",
    "user",
    "ip",
    "mode",
    "command",
    "transfers",
    "client_firewall",
    "client_firewall_action",
    "client_nat",
    "client_alg",
    "server_firewall",
    "server_firewall_action",
    "server_alg",
    "server_nat",
    "pasv_address",
    "port_check",
    "trust_pasv_address",
    "server_epsv",
    "epsv_refusal",
    "connect_timeout",
    "accept_timeout",
    "client_timeout",
    "port20",
    "control_port",
    "helper_ports",
    "control_encrypted",
    "bounce_to",
    "private_destinations",
    "latency",
    "seed",
    "numbers",
    "console",
];

/// A setting's value as JSON: an on/off switch as a boolean, numbers bare, a missing number as
/// `null`, ports as a list, any other word quoted.
fn json_value(kind: Kind, token: String) -> String {
    match kind {
        Kind::Switch { on: "on", .. } => (token == "on").to_string(),
        Kind::Number { .. } => token,
        Kind::OptionalNumber { none, .. } if token == none => "null".to_owned(),
        Kind::OptionalNumber { .. } => token,
        Kind::Ports if token.is_empty() => "[]".to_owned(),
        Kind::Ports => format!("[\n    {}\n  ]", token.replace(',', ",\n    ")),
        Kind::Switch { .. } | Kind::Choice(_) => format!("\"{token}\""),
    }
}

/// The scenario as a file: every field, in the order and form serde writes them.
pub fn write(scenario: &Scenario) -> String {
    let refuse = |with: RefuseWith| if with == RefuseWith::Drop { "\"drop\"" } else { "\"reject\"" }.to_owned();
    let mut text = String::from("{");
    for name in FIELDS {
        let value = match settings::find(&name.replace('_', "-")) {
            Some(setting) => json_value(setting.kind, setting.stored(scenario)),
            None => match name {
                "client_firewall_action" => refuse(scenario.client_firewall_action),
                "server_firewall_action" => refuse(scenario.server_firewall_action),
                "bounce_to" => scenario.bounce_to.map_or_else(|| "null".to_owned(), |ip| format!("\"{ip}\"")),
                "latency" => format!(
                    "{{\n    \"lan\": {},\n    \"wan\": {}\n  }}",
                    scenario.latency.lan.as_micros(),
                    scenario.latency.wan.as_micros()
                ),
                "seed" => scenario.seed.to_string(),
                // Written only when they differ from the article's, as serde skips them then.
                "numbers" if scenario.numbers != Numbers::default() => {
                    let Numbers { home_net, client, router_wan, server, passive_range: (low, high) } = scenario.numbers;
                    format!(
                        "{{\n    \"home_net\": {home_net},\n    \"client\": {client},\n    \"router_wan\": {router_wan},\n    \"server\": {server},\n    \"passive_range\": [\n      {low},\n      {high}\n    ]\n  }}"
                    )
                }
                // Written only when there are any, as serde skips an empty list.
                "console" if !scenario.console.is_empty() => {
                    let lines: Vec<String> =
                        scenario.console.iter().map(|line| format!("\n    {}", json_string(line))).collect();
                    format!("[{}\n  ]", lines.join(","))
                }
                _ => continue,
            },
        };
        text.push_str(&format!("\n  \"{name}\": {value},"));
    }
    text.pop();
    text.push_str("\n}");
    text
}

/// A JSON string as serde_json writes it. Typed lines hold no control characters (the console
/// refuses them), so only quotes and backslashes need escaping; the rest is written as it is.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            character if (character as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", character as u32)),
            character => out.push(character),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::lessons;

    fn parse(text: &str) -> Json {
        Json::parse(text).expect("valid JSON")
    }

    #[test]
    fn every_lesson_writes_as_serde_does_and_reads_back() {
        for lesson in lessons::all() {
            let written = write(&lesson.scenario);
            let serde_text = serde_json::to_string_pretty(&lesson.scenario).expect("serialises");
            assert_eq!(written, serde_text, "{}", lesson.id);
            assert_eq!(read(&parse(&written)), Ok(lesson.scenario.clone()), "{}", lesson.id);
            assert_eq!(Scenario::from_json(&written), Ok(lesson.scenario), "the terminal runner reads it");
        }
    }

    #[test]
    fn typed_console_lines_write_as_serde_does_and_read_back() {
        let scenario = Scenario {
            console: [
                "PORT 10,0,0,9,4,1",
                "RETR \"quoted\" and \\back\\slash",
                "CWD ..",
                "<script>x</script>",
                "RETR café",
            ]
            .map(str::to_owned)
            .to_vec(),
            ..Scenario::default()
        };
        let written = write(&scenario);
        assert_eq!(written, serde_json::to_string_pretty(&scenario).expect("serialises"));
        assert_eq!(read(&parse(&written)), Ok(scenario.clone()));
        assert_eq!(Scenario::from_json(&written), Ok(scenario));
        let text = r#"{"console": ["EPSV", "LIST"]}"#;
        assert_eq!(read(&parse(text)), Scenario::from_json(text));
        for bad in [r#"{"console": "LIST"}"#, r#"{"console": [1]}"#, r#"{"console": ["AUTH TLS"]}"#] {
            assert!(read(&parse(bad)).is_err(), "{bad}");
            assert!(Scenario::from_json(bad).is_err(), "serde refuses it too: {bad}");
        }
    }

    #[test]
    fn an_assignments_numbers_write_as_serde_does_and_read_back() {
        let numbers = Numbers { home_net: 42, client: 17, router_wan: 200, server: 99, passive_range: (40000, 40100) };
        let scenario = Scenario { numbers, ..Scenario::default() };
        let written = write(&scenario);
        assert_eq!(written, serde_json::to_string_pretty(&scenario).expect("serialises"));
        assert_eq!(read(&parse(&written)), Ok(scenario.clone()));
        assert_eq!(Scenario::from_json(&written), Ok(scenario));
        let text = r#"{"numbers": {"client": 9}}"#;
        assert_eq!(read(&parse(text)), Scenario::from_json(text));
        for (bad, expected) in [
            (r#"{"numbers": {"client": 256}}"#, "client"),
            (r#"{"numbers": {"client": 1}}"#, "host numbers"),
            (r#"{"numbers": {"passive_range": [51000, 50000]}}"#, "passive range"),
            (r#"{"numbers": {"passive_range": [80, 90]}}"#, "passive range"),
            (r#"{"numbers": {"passive_range": 50000}}"#, "passive_range"),
            (r#"{"numbers": {"colour": 1}}"#, "numbers.colour"),
            (r#"{"numbers": {"passive_range": [20, 30000]}, "control_port": 2121}"#, "passive range"),
            (r#"{"numbers": {"passive_range": [2000, 3000]}, "control_port": 2121}"#, "control port"),
        ] {
            let error = read(&parse(bad)).expect_err(bad).to_string();
            assert!(error.contains(expected), "{bad}: {error}");
            assert!(Scenario::from_json(bad).is_err(), "serde refuses it too: {bad}");
        }
    }

    #[test]
    fn a_partial_file_reads_as_serde_reads_it() {
        for text in [
            r#"{"mode": "port", "client_alg": true}"#,
            r#"{"client": "ftplib", "server": "pyftpdlib", "client_timeout": 6, "helper_ports": [21, 2121]}"#,
            r#"{"epsv_refusal": "502", "server_epsv": false, "connect_timeout": null, "port_check": "off"}"#,
            r#"{"latency": {"lan": 0, "wan": 5000}, "seed": 7, "bounce_to": "192.0.2.99", "server_firewall_action": "reject"}"#,
        ] {
            assert_eq!(read(&parse(text)), Scenario::from_json(text), "{text}");
        }
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        for (text, expected) in [
            (r#"{"colour": "blue"}"#, "colour"),
            (r#"{"mode": "sideways"}"#, "sideways"),
            (r#"{"client_nat": "yes"}"#, "client_nat"),
            (r#"{"control_port": 2.5}"#, "control_port"),
            (r#"{"control_port": 50500}"#, "passive range"),
            (r#"{"latency": {"lan": -1}}"#, "lan"),
            (r#"[1, 2]"#, "object"),
            (r#"{"helper_ports": [21, "x"]}"#, "helper_ports"),
        ] {
            let error = read(&parse(text)).expect_err(text).to_string();
            assert!(error.contains(expected), "{text}: {error}");
            assert!(Scenario::from_json(text).is_err(), "serde refuses it too: {text}");
        }
    }
}
