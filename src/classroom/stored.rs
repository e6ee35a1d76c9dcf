//! What the page keeps in the browser between visits: the link of what was last on screen,
//! the presenter's preferences, and scenarios the teacher saved under a name.
//!
//! Stored as one JSON record under [`KEY`], with the schema's version in it:
//!
//! ```json
//! {"version": 1, "last": "v=1&lesson=active-nat&step=12",
//!  "presenter": {"on": false, "speed": 1, "by": "key"},
//!  "saved": [{"name": "Room 12", "scenario": {"mode": "port", "client_alg": true}}]}
//! ```
//!
//! The browser parses the text (`JSON.parse`, no serde in the page) and this module reads the
//! parsed value; natively [`decode`] does both, for tests and the fuzzer. A record this module
//! cannot read — damaged, hand-edited, or written by a newer page — is never dropped in silence:
//! the page moves it aside under [`SET_ASIDE_KEY`], starts afresh and says so
//! ([`StoredProblem`]). Records of older versions are migrated in [`read`]; version 1 is the first,
//! so there is nothing older yet.
//!
//! What it leaves out: the browser calls (`ui`), and the run itself — a reload replays the run
//! from the link, which is shorter and always agrees with the engine.

use crate::messages::page::stored as say;
use crate::sim::scenario::Scenario;
use crate::sim::scenario_file::{self, Json};
use crate::sim::trace::Level;

/// The localStorage key of the record.
pub const KEY: &str = "ftpsim";
/// Where an unreadable record is moved, so nothing is lost.
pub const SET_ASIDE_KEY: &str = "ftpsim.unreadable";
/// The schema version this module writes.
pub const VERSION: u64 = 1;
/// The most scenarios kept under a name.
pub const MAX_SAVED: usize = 40;
/// The longest name of a saved scenario, in characters.
pub const MAX_NAME: usize = 60;
/// The longest record read: 40 scenarios of about 1 KB each, and room to spare.
pub const MAX_LENGTH: usize = 128 * 1024;

/// How the presenter likes the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preferences {
    /// Presenter mode (large type) is on.
    pub presenter: bool,
    /// The playback speed, an index into the page's speeds.
    pub speed: usize,
    /// The step level the arrow keys move by.
    pub level: Level,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences { presenter: false, speed: 1, level: Level::Key }
    }
}

/// A scenario the teacher saved under a name.
#[derive(Clone, Debug, PartialEq)]
pub struct Saved {
    pub name: String,
    pub scenario: Scenario,
}

/// Everything the page keeps.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stored {
    /// The link of what was on screen, opened when the page's address has none.
    pub last: Option<String>,
    pub preferences: Preferences,
    pub saved: Vec<Saved>,
}

/// Why a stored record could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoredProblem {
    #[error("{}", say::too_long(*.length, MAX_LENGTH))]
    TooLong { length: usize },
    #[error("{}", say::NOT_JSON)]
    NotJson,
    #[error("{}", say::newer(*.version, VERSION))]
    Newer { version: u64 },
    /// A field is missing or holds the wrong kind of value.
    #[error("{}", say::wrong_field(.field, .expected))]
    WrongField { field: String, expected: &'static str },
    /// A saved scenario that is no longer a valid network.
    #[error("{}", say::bad_scenario(.name, .problem))]
    BadScenario { name: String, problem: String },
}

/// Why a scenario was not saved under a name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SaveProblem {
    #[error("{}", say::NO_NAME)]
    NoName,
    #[error("{}", say::name_too_long(MAX_NAME))]
    NameTooLong,
    #[error("{}", say::too_many(MAX_SAVED))]
    TooMany,
}

const LEVELS: [(Level, &str); 3] = [(Level::Key, "key"), (Level::Packet, "packet"), (Level::Detail, "detail")];

impl Stored {
    /// Saves `scenario` as `name` (surrounding spaces trimmed); a scenario already saved under
    /// that name is replaced, in its place.
    pub fn save(&mut self, name: &str, scenario: &Scenario) -> Result<(), SaveProblem> {
        let name = name.trim();
        if name.is_empty() {
            return Err(SaveProblem::NoName);
        }
        if name.chars().count() > MAX_NAME {
            return Err(SaveProblem::NameTooLong);
        }
        let saved = Saved { name: name.to_owned(), scenario: scenario.clone() };
        let full = self.saved.len() >= MAX_SAVED;
        match self.saved.iter_mut().find(|kept| kept.name == name) {
            Some(kept) => *kept = saved,
            None if full => return Err(SaveProblem::TooMany),
            None => self.saved.push(saved),
        }
        Ok(())
    }

    /// The record as JSON text.
    pub fn write(&self) -> String {
        let (level, by) =
            LEVELS.iter().find(|(level, _)| *level == self.preferences.level).copied().unwrap_or(LEVELS[0]);
        debug_assert_eq!(level, self.preferences.level);
        let last = self.last.as_deref().map_or_else(|| "null".to_owned(), quote);
        let saved: Vec<String> = self
            .saved
            .iter()
            .map(|saved| {
                // The scenario file's own text, one level in.
                let scenario = scenario_file::write(&saved.scenario).replace('\n', "\n    ");
                format!("{{\"name\": {}, \"scenario\": {scenario}}}", quote(&saved.name))
            })
            .collect();
        format!(
            "{{\"version\": {VERSION}, \"last\": {last},\n \"presenter\": {{\"on\": {}, \"speed\": {}, \"by\": \"{by}\"}},\n \"saved\": [{}]}}",
            self.preferences.presenter,
            self.preferences.speed,
            saved.join(",\n  ")
        )
    }
}

/// A JSON string literal.
fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for character in text.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            // `<` too, so the record can never close a script element if it is ever shown.
            character if (character as u32) < 0x20 || character == '<' => {
                quoted.push_str(&format!("\\u{:04x}", character as u32))
            }
            character => quoted.push(character),
        }
    }
    quoted.push('"');
    quoted
}

fn field<'a>(fields: &'a [(String, Json)], name: &str) -> Option<&'a Json> {
    fields.iter().find(|(key, _)| key == name).map(|(_, value)| value)
}

fn wrong(field: &str, expected: &'static str) -> StoredProblem {
    StoredProblem::WrongField { field: field.to_owned(), expected }
}

/// Reads a record the browser parsed; older versions are migrated, anything else refused.
pub fn read(value: &Json) -> Result<Stored, StoredProblem> {
    let Json::Object(fields) = value else {
        return Err(wrong("record", say::AN_OBJECT));
    };
    let version = match field(fields, "version") {
        Some(Json::Number(version)) => *version,
        _ => return Err(wrong("version", say::A_NUMBER)),
    };
    match version {
        1 => read_version_1(fields),
        // Version 0 was never written; a newer page's record is kept aside for it.
        0 => Err(wrong("version", say::A_NUMBER)),
        newer => Err(StoredProblem::Newer { version: newer }),
    }
}

fn read_version_1(fields: &[(String, Json)]) -> Result<Stored, StoredProblem> {
    let mut stored = Stored::default();
    for (name, value) in fields {
        match (name.as_str(), value) {
            ("version", _) => {}
            ("last", Json::Null) => stored.last = None,
            ("last", Json::Text(link)) if link.len() <= super::link::MAX_LENGTH => stored.last = Some(link.clone()),
            ("last", _) => return Err(wrong("last", say::A_LINK)),
            ("presenter", Json::Object(preferences)) => stored.preferences = read_preferences(preferences)?,
            ("presenter", _) => return Err(wrong("presenter", say::AN_OBJECT)),
            ("saved", Json::List(items)) if items.len() <= MAX_SAVED => {
                for item in items {
                    stored.saved.push(read_saved(item)?);
                }
            }
            ("saved", _) => return Err(wrong("saved", say::A_LIST)),
            // Fields of a later minor change are ignored rather than refused: the record is
            // the visitor's, and what this page knows of it is still good.
            _ => {}
        }
    }
    Ok(stored)
}

fn read_preferences(fields: &[(String, Json)]) -> Result<Preferences, StoredProblem> {
    let mut preferences = Preferences::default();
    for (name, value) in fields {
        match (name.as_str(), value) {
            ("on", Json::Bool(on)) => preferences.presenter = *on,
            ("speed", Json::Number(speed)) if *speed < 16 => preferences.speed = *speed as usize,
            ("by", Json::Text(by)) => {
                preferences.level = LEVELS
                    .iter()
                    .find(|(_, name)| name == by)
                    .map(|(level, _)| *level)
                    .ok_or_else(|| wrong("presenter.by", say::A_LEVEL))?
            }
            ("on", _) => return Err(wrong("presenter.on", say::TRUE_OR_FALSE)),
            ("speed", _) => return Err(wrong("presenter.speed", say::A_SPEED)),
            ("by", _) => return Err(wrong("presenter.by", say::A_LEVEL)),
            _ => {}
        }
    }
    Ok(preferences)
}

fn read_saved(item: &Json) -> Result<Saved, StoredProblem> {
    let Json::Object(fields) = item else {
        return Err(wrong("saved", say::AN_OBJECT));
    };
    let name = match field(fields, "name") {
        Some(Json::Text(name)) if !name.trim().is_empty() && name.chars().count() <= MAX_NAME => name.clone(),
        _ => return Err(wrong("saved.name", say::A_NAME)),
    };
    let scenario = field(fields, "scenario").ok_or_else(|| wrong("saved.scenario", say::AN_OBJECT))?;
    let scenario = scenario_file::read(scenario)
        .map_err(|error| StoredProblem::BadScenario { name: name.clone(), problem: error.to_string() })?;
    Ok(Saved { name, scenario })
}

/// Reads a record from its text: the native path (tests, the fuzzer); the page parses with
/// the browser's `JSON.parse` and calls [`read`].
pub fn decode(text: &str) -> Result<Stored, StoredProblem> {
    if text.len() > MAX_LENGTH {
        return Err(StoredProblem::TooLong { length: text.len() });
    }
    let value = Json::parse(text).ok_or(StoredProblem::NotJson)?;
    read(&value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::lessons;

    fn sample() -> Stored {
        let mut stored = Stored {
            last: Some("v=1&lesson=active-nat&step=12".to_owned()),
            preferences: Preferences { presenter: true, speed: 3, level: Level::Packet },
            saved: Vec::new(),
        };
        for lesson in lessons::all().into_iter().take(3) {
            stored.save(lesson.id, &lesson.scenario).expect("saves");
        }
        stored.save("Room 12 \"NAT\" <b>\\ test</b>\n", &Scenario::default()).expect("saves");
        stored
    }

    #[test]
    fn a_record_reads_back_as_written() {
        let stored = sample();
        let text = stored.write();
        assert_eq!(decode(&text), Ok(stored.clone()));
        assert!(!text.contains("<b>"), "a name never carries markup-like text unescaped: {text}");
        serde_json::from_str::<serde_json::Value>(&text).expect("the record is JSON");
        assert_eq!(decode(&Stored::default().write()), Ok(Stored::default()));
    }

    #[test]
    fn saving_under_a_name_replaces_trims_and_refuses_what_it_must() {
        let mut stored = Stored::default();
        stored.save("  Lab 1 ", &Scenario::default()).expect("saves");
        let port = Scenario { mode: crate::ftp::client::DataMode::Port, ..Scenario::default() };
        stored.save("Lab 1", &port).expect("replaces");
        assert_eq!(stored.saved.len(), 1);
        assert_eq!(stored.saved[0].scenario, port);
        assert_eq!(stored.save("   ", &port), Err(SaveProblem::NoName));
        assert_eq!(stored.save(&"x".repeat(MAX_NAME + 1), &port), Err(SaveProblem::NameTooLong));
        for index in 1..MAX_SAVED {
            stored.save(&format!("Lab {}", index + 1), &port).expect("room for it");
        }
        assert_eq!(stored.save("one more", &port), Err(SaveProblem::TooMany));
        assert!(stored.save("Lab 3", &port).is_ok(), "replacing needs no room");
    }

    #[test]
    fn unreadable_records_say_what_is_wrong() {
        for (text, expected) in [
            ("", StoredProblem::NotJson),
            ("{\"version\": 1", StoredProblem::NotJson),
            ("[1, 2]", wrong("record", say::AN_OBJECT)),
            ("{}", wrong("version", say::A_NUMBER)),
            ("{\"version\": \"1\"}", wrong("version", say::A_NUMBER)),
            ("{\"version\": 7}", StoredProblem::Newer { version: 7 }),
            ("{\"version\": 1, \"last\": 5}", wrong("last", say::A_LINK)),
            ("{\"version\": 1, \"presenter\": {\"speed\": 99}}", wrong("presenter.speed", say::A_SPEED)),
            ("{\"version\": 1, \"presenter\": {\"by\": \"leap\"}}", wrong("presenter.by", say::A_LEVEL)),
            ("{\"version\": 1, \"saved\": [{\"name\": \"\"}]}", wrong("saved.name", say::A_NAME)),
            ("{\"version\": 1, \"saved\": {}}", wrong("saved", say::A_LIST)),
        ] {
            assert_eq!(decode(text), Err(expected), "{text}");
        }
        let bad = decode("{\"version\": 1, \"saved\": [{\"name\": \"x\", \"scenario\": {\"mode\": \"sideways\"}}]}");
        assert!(matches!(&bad, Err(StoredProblem::BadScenario { name, .. }) if name == "x"), "{bad:?}");
        assert!(bad.expect_err("bad").to_string().contains("sideways"));
        let long = format!("{{\"version\": 1, \"last\": \"{}\"}}", "a".repeat(MAX_LENGTH));
        assert_eq!(decode(&long), Err(StoredProblem::TooLong { length: long.len() }));
    }

    #[test]
    fn unknown_fields_of_a_known_version_are_ignored() {
        let stored = decode("{\"version\": 1, \"colour\": \"blue\", \"presenter\": {\"on\": true, \"font\": 3}}");
        assert_eq!(stored.map(|stored| stored.preferences.presenter), Ok(true));
    }
}
