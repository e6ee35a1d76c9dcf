//! The page's address: what is on screen, written as a URL fragment that opens the same thing
//! anywhere, and read back.
//!
//! ```text
//! #v=1&lesson=active-nat&client-alg=on&step=42&by=key&quiz=on&sbs=port,pasv&at37.server-alg=on
//! ```
//!
//! - `v` is the format's version (1). A fragment without it is an old link, which only ever
//!   named a lesson (`#lesson=active-nat`); it is read the same way.
//! - `lesson` names the lesson the settings start from; every other setting is written only
//!   when it differs from that lesson (or from the default network), under the key the
//!   settings table gives it (`client-alg=on`, the terminal runner's flags), so links stay
//!   short and readable.
//! - `step` is the event on screen (side by side: the shared step), `by` the step level
//!   (`key`, `packet`, `detail`), `quiz=on` the quiz, `sbs` the two modes side by side,
//!   `embed=on` the embed mode (the stage and its controls without the page's own chrome, for
//!   an `<iframe>` on a course page).
//! - `at<event>.<setting>=<value>` is a branch: the settings changed at that event of the run
//!   (a teacher switching the helper on mid-session). Several branches may follow each other.
//! - `cmd=<line>`, once per line in order, is what a student typed at the console
//!   (`cmd=PORT%2010,0,0,9,4,1&cmd=LIST`). The lines belong to the whole session, branches
//!   included: each goes out when the network is quiet. A link without them reads as before
//!   (version 1 still: nothing an older link says changes meaning), and an older page names
//!   `cmd` as a key it does not know and shows the rest.
//!
//! Reading is forgiving in the way a teacher needs: a part that cannot be read is left out
//! and named in a [`LinkProblem`], and the rest is shown. What it leaves out on purpose: the
//! settings only a scenario file can hold (latency, seed, a bounce address, how the firewalls
//! refuse) when they differ from the lesson's, which a link cannot carry — [`Link::write`]
//! says so instead of writing a link that would show something else.

use crate::ftp::client::DataMode;
use crate::ftp::console::{self, LineError};
use crate::messages::page::link as say;
use crate::sim::lessons;
use crate::sim::scenario::Scenario;
use crate::sim::settings::{self, SETTINGS};
use crate::sim::trace::Level;

/// The version this module writes.
pub const VERSION: u32 = 1;

/// The longest fragment read; anything longer is not a link this page wrote.
pub const MAX_LENGTH: usize = 4096;

/// What a link describes.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// The lesson the settings start from.
    pub lesson: Option<&'static str>,
    /// The settings the run started with.
    pub scenario: Scenario,
    /// Branches: at which event, which settings from then on.
    pub branches: Vec<(usize, Scenario)>,
    pub step: usize,
    pub level: Level,
    pub quiz: bool,
    /// The modes of the two panes, side by side.
    pub compare: Option<(DataMode, DataMode)>,
    /// Changes waiting in the pending panel, as the settings they would make.
    pub pending: Option<Scenario>,
    /// Shown inside another page (an `<iframe>`): the stage and its controls only.
    pub embed: bool,
    /// Questions to answer (`quiz=practice` or `quiz=test`), on a student's variant of the
    /// lesson (`assignment=<seed>`), with a passing score (`pass=<percent>`).
    #[cfg(feature = "assessment")]
    pub assessment: Option<AssessmentLink>,
}

/// The assessment a link asks for.
#[cfg(feature = "assessment")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssessmentLink {
    pub mode: crate::assess::attempt::Mode,
    /// The variant's seed; `None`: the questions are about the link's own settings.
    pub seed: Option<u64>,
    /// The passing score in percent.
    pub passing: Option<u8>,
}

/// A part of a link that could not be read, and was left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkProblem {
    /// Longer than any link this page writes.
    TooLong {
        length: usize,
    },
    /// A version this page does not know (a link from a newer page).
    UnknownVersion {
        got: String,
    },
    UnknownLesson {
        got: String,
    },
    /// A key that is neither a setting nor a part of the format.
    UnknownKey {
        key: String,
    },
    /// A value a setting or part does not take.
    BadValue {
        key: String,
        problem: String,
    },
    /// The settings do not make a valid network together.
    InvalidSettings {
        problem: String,
    },
}

impl LinkProblem {
    pub fn text(&self) -> String {
        match self {
            LinkProblem::TooLong { length } => say::too_long(*length, MAX_LENGTH),
            LinkProblem::UnknownVersion { got } => say::unknown_version(got, VERSION),
            LinkProblem::UnknownLesson { got } => say::unknown_lesson(got),
            LinkProblem::UnknownKey { key } => say::unknown_key(key),
            LinkProblem::BadValue { key, problem } => say::bad_value(key, problem),
            LinkProblem::InvalidSettings { problem } => say::invalid_settings(problem),
        }
    }
}

/// The link of something that cannot be written as a link.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", say::cannot_write(.fields))]
pub struct Unlinkable {
    /// The settings a link cannot carry.
    pub fields: String,
}

const LEVELS: [(Level, &str); 3] = [(Level::Key, "key"), (Level::Packet, "packet"), (Level::Detail, "detail")];

impl Link {
    /// A link to a network at its first event, stepped by key moments, with nothing else on.
    pub fn at_start(lesson: Option<&'static str>, scenario: Scenario) -> Link {
        Link {
            lesson,
            scenario,
            branches: Vec::new(),
            step: 0,
            level: Level::Key,
            quiz: false,
            compare: None,
            pending: None,
            embed: false,
            #[cfg(feature = "assessment")]
            assessment: None,
        }
    }

    /// The fragment (without `#`).
    pub fn write(&self) -> Result<String, Unlinkable> {
        let base = base_scenario(self.lesson);
        let mut parts = vec![format!("v={VERSION}")];
        if let Some(lesson) = self.lesson {
            parts.push(format!("lesson={lesson}"));
        }
        check_linkable(&base, &self.scenario)?;
        parts.extend(differences(&base, &self.scenario, ""));
        parts.extend(self.scenario.console.iter().map(|line| typed_part(line)));
        let mut previous = &self.scenario;
        for (at, scenario) in &self.branches {
            check_linkable(previous, scenario)?;
            parts.extend(differences(previous, scenario, &format!("at{at}.")));
            previous = scenario;
        }
        if let Some(pending) = &self.pending {
            check_linkable(previous, pending)?;
            parts.extend(differences(previous, pending, "pending."));
        }
        if self.step > 0 {
            parts.push(format!("step={}", self.step));
        }
        if self.level != Level::Key {
            let name = LEVELS.iter().find(|(level, _)| *level == self.level).map_or("key", |(_, name)| name);
            parts.push(format!("by={name}"));
        }
        if self.quiz {
            parts.push("quiz=on".to_owned());
        }
        #[cfg(feature = "assessment")]
        if let Some(assessment) = self.assessment {
            parts.push(format!("quiz={}", assessment.mode.as_str()));
            parts.extend(assessment.seed.map(|seed| format!("assignment={seed}")));
            parts.extend(assessment.passing.map(|percent| format!("pass={percent}")));
        }
        if let Some((left, right)) = self.compare {
            parts.push(format!("sbs={},{}", left.as_str(), right.as_str()));
        }
        if self.embed {
            parts.push("embed=on".to_owned());
        }
        Ok(parts.join("&"))
    }

    /// Reads a fragment (with or without `#`). Never fails: what cannot be read is left out and
    /// listed; with nothing readable it is the default network at its first event.
    pub fn read(fragment: &str) -> (Link, Vec<LinkProblem>) {
        let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
        let mut problems = Vec::new();
        let mut link = Link::at_start(None, Scenario::default());
        if fragment.len() > MAX_LENGTH {
            problems.push(LinkProblem::TooLong { length: fragment.len() });
            return (link, problems);
        }
        let pairs: Vec<(String, String)> = fragment
            .split('&')
            .filter(|part| !part.is_empty())
            .map(|part| {
                let (key, value) = part.split_once('=').unwrap_or((part, ""));
                (decode(key), decode(value))
            })
            .collect();
        if let Some((_, version)) = pairs.iter().find(|(key, _)| key == "v")
            && version != &VERSION.to_string()
        {
            problems.push(LinkProblem::UnknownVersion { got: clip(version) });
        }
        if let Some((_, id)) = pairs.iter().find(|(key, _)| key == "lesson") {
            match lessons::find(id) {
                Some(lesson) => {
                    link.lesson = Some(lesson.id);
                    link.scenario = lesson.scenario;
                }
                None => problems.push(LinkProblem::UnknownLesson { got: clip(id) }),
            }
        }
        let mut branch_points: Vec<usize> = Vec::new();
        let mut has_pending = false;
        #[cfg(feature = "assessment")]
        let mut assessment = Partial::default();
        for (key, value) in &pairs {
            let bad = |problem: String| LinkProblem::BadValue { key: clip(key), problem };
            match key.as_str() {
                "v" | "lesson" => {}
                "step" => match value.parse::<usize>() {
                    Ok(step) => link.step = step,
                    Err(_) => problems.push(bad(say::NOT_A_STEP.to_owned())),
                },
                "by" => match LEVELS.iter().find(|(_, name)| name == value) {
                    Some((level, _)) => link.level = *level,
                    None => problems.push(bad(say::expected_one_of("key, packet, detail"))),
                },
                #[cfg(feature = "assessment")]
                "quiz" if value != "on" => match crate::assess::attempt::Mode::parse(value) {
                    Some(mode) => assessment.mode = Some(mode),
                    None => problems.push(bad(say::expected_one_of("on, practice, test"))),
                },
                #[cfg(feature = "assessment")]
                "assignment" => match value.parse::<u64>() {
                    Ok(seed) => assessment.seed = Some(seed),
                    Err(_) => problems.push(bad(say::NOT_A_SEED.to_owned())),
                },
                #[cfg(feature = "assessment")]
                "pass" => match value.parse::<u8>().ok().filter(|percent| *percent <= 100) {
                    Some(percent) => assessment.passing = Some(percent),
                    None => problems.push(bad(say::expected_one_of("0 to 100"))),
                },
                "quiz" => link.quiz = value == "on",
                // Written `embed=on`; a hand-made `#embed`, `embed=1` or `embed=true` means it too.
                "embed" => link.embed = !matches!(value.as_str(), "off" | "0" | "false" | "no"),
                "cmd" => match console::check_line(value) {
                    Ok(()) if link.scenario.console.len() < console::MAX_LINES => {
                        link.scenario.console.push(value.clone())
                    }
                    Ok(()) => problems.push(bad(crate::messages::console::line_error(&LineError::TooMany {
                        max: console::MAX_LINES,
                    }))),
                    Err(error) => problems.push(bad(crate::messages::console::line_error(&error))),
                },
                "sbs" => match value.split_once(',').map(|(left, right)| (mode(left), mode(right))) {
                    Some((Some(left), Some(right))) => link.compare = Some((left, right)),
                    _ => problems.push(bad(say::expected_one_of("two modes such as port,pasv"))),
                },
                _ => {
                    // A pending change, a branch's setting, or a setting of the run.
                    if let Some(setting_key) = key.strip_prefix("pending.") {
                        match settings::find(setting_key).map(|setting| setting.parse(value)) {
                            Some(Ok(_)) => has_pending = true,
                            Some(Err(error)) => problems.push(bad(error.to_string())),
                            None => problems.push(LinkProblem::UnknownKey { key: clip(key) }),
                        }
                        continue;
                    }
                    let (branch_at, setting_key) = match key.strip_prefix("at").and_then(|rest| rest.split_once('.')) {
                        Some((at, setting)) => match at.parse::<usize>() {
                            Ok(at) => (Some(at), setting),
                            Err(_) => {
                                problems.push(LinkProblem::UnknownKey { key: clip(key) });
                                continue;
                            }
                        },
                        None => (None, key.as_str()),
                    };
                    let Some(setting) = settings::find(setting_key) else {
                        problems.push(LinkProblem::UnknownKey { key: clip(key) });
                        continue;
                    };
                    let change = match setting.parse(value) {
                        Ok(change) => change,
                        Err(error) => {
                            problems.push(bad(error.to_string()));
                            continue;
                        }
                    };
                    match branch_at {
                        None => change.apply(&mut link.scenario),
                        // Applied below, on the settings in force at that point, in order (kept
                        // sorted as they come: no sort routine in the browser build).
                        Some(at) if !branch_points.contains(&at) => {
                            let place =
                                branch_points.iter().position(|known| *known > at).unwrap_or(branch_points.len());
                            branch_points.insert(place, at);
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        if let Err(error) = link.scenario.validate() {
            problems.push(LinkProblem::InvalidSettings { problem: error.to_string() });
            // The typed lines were checked one by one; they stay.
            let console = std::mem::take(&mut link.scenario.console);
            link.scenario = Scenario { console, ..base_scenario(link.lesson) };
            branch_points.clear();
        }
        // Each branch changes the settings in force before it: replay the written keys on them.
        let mut previous = link.scenario.clone();
        for at in branch_points {
            let mut scenario = previous.clone();
            for (key, value) in &pairs {
                let Some(setting_key) = key.strip_prefix(&format!("at{at}.")) else { continue };
                if let Some(change) = settings::find(setting_key).and_then(|setting| setting.parse(value).ok()) {
                    change.apply(&mut scenario);
                }
            }
            match scenario.validate() {
                Ok(()) => {
                    link.branches.push((at, scenario.clone()));
                    previous = scenario;
                }
                Err(error) => problems.push(LinkProblem::InvalidSettings { problem: error.to_string() }),
            }
        }
        #[cfg(feature = "assessment")]
        {
            link.assessment =
                assessment.mode.map(|mode| AssessmentLink { mode, seed: assessment.seed, passing: assessment.passing });
        }
        if has_pending {
            let mut pending = previous;
            for (key, value) in &pairs {
                if let Some(change) =
                    key.strip_prefix("pending.").and_then(settings::find).and_then(|setting| setting.parse(value).ok())
                {
                    change.apply(&mut pending);
                }
            }
            match pending.validate() {
                Ok(()) => link.pending = Some(pending),
                Err(error) => problems.push(LinkProblem::InvalidSettings { problem: error.to_string() }),
            }
        }
        (link, problems)
    }
}

/// The assessment's parts as they are read, in any order.
#[cfg(feature = "assessment")]
#[derive(Default)]
struct Partial {
    mode: Option<crate::assess::attempt::Mode>,
    seed: Option<u64>,
    passing: Option<u8>,
}

fn base_scenario(lesson: Option<&str>) -> Scenario {
    lesson.and_then(lessons::find).map(|lesson| lesson.scenario).unwrap_or_default()
}

fn mode(token: &str) -> Option<DataMode> {
    DataMode::ALL.into_iter().find(|mode| mode.as_str() == token)
}

/// `key=value` for each setting of the table whose value differs, in table order. Values are
/// as the scenario holds them ([`settings::Setting::stored`]), not as the form shows them: NAT
/// on IPv6 shows off but is carried as it is, so the link opens the same scenario.
fn differences(from: &Scenario, to: &Scenario, prefix: &str) -> Vec<String> {
    SETTINGS
        .iter()
        .filter_map(|setting| {
            let value = setting.stored(to);
            (setting.stored(from) != value).then(|| format!("{prefix}{}={}", setting.key, encode(&value)))
        })
        .collect()
}

/// The settings a link cannot carry must be as in the base (names them when they are not).
fn check_linkable(base: &Scenario, scenario: &Scenario) -> Result<(), Unlinkable> {
    // Typed lines are carried by their own keys.
    let mut carried = Scenario { console: scenario.console.clone(), ..base.clone() };
    for setting in &SETTINGS {
        if let Ok(change) = setting.parse(&setting.stored(scenario)) {
            change.apply(&mut carried);
        }
    }
    if carried == *scenario {
        return Ok(());
    }
    let differing: Vec<&str> = base
        .in_words()
        .into_iter()
        .zip(scenario.in_words())
        .filter(|(before, after)| before != after)
        .map(|((name, _), _)| name)
        .collect();
    Err(Unlinkable { fields: differing.join(", ") })
}

/// The part of a link that carries one typed line: `cmd=PORT%2010,0,0,9,4,1`.
pub fn typed_part(line: &str) -> String {
    format!("cmd={}", encode(line))
}

/// Percent-encodes what is not plain in a fragment value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b',' | b'~' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// Percent-decoding; a broken escape is kept as it is (and then fails as a value).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%')
            .then(|| text.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                index += 3;
            }
            None => {
                out.push(bytes[index]);
                index += 1;
            }
        }
    }
    // Not UTF-8: no setting or lesson has such a name, so an empty value fails where it is used.
    String::from_utf8(out).unwrap_or_default()
}

/// At most 60 characters of something a visitor typed, for a message.
fn clip(text: &str) -> String {
    text.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::{Change, IpVersion, ServerFirewall};

    fn link(lesson: Option<&'static str>, scenario: Scenario) -> Link {
        Link::at_start(lesson, scenario)
    }

    #[test]
    fn a_lesson_link_is_short_and_reads_back() {
        let lesson = lessons::find("active-nat").expect("lesson");
        let written = link(Some(lesson.id), lesson.scenario.clone()).write().expect("linkable");
        assert_eq!(written, "v=1&lesson=active-nat");
        let (read, problems) = Link::read(&format!("#{written}"));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(read, link(Some(lesson.id), lesson.scenario));
    }

    #[test]
    fn everything_on_screen_round_trips() {
        let lesson = lessons::find("active-nat").expect("lesson");
        let mut scenario = lesson.scenario.clone();
        Change::ServerFirewall(ServerFirewall::ControlOnly).apply(&mut scenario);
        let mut branched = scenario.clone();
        Change::ClientAlg(true).apply(&mut branched);
        let mut again = branched.clone();
        Change::Mode(DataMode::Pasv).apply(&mut again);
        let mut waiting = again.clone();
        Change::ClientNat(false).apply(&mut waiting);
        let original = Link {
            lesson: Some(lesson.id),
            scenario,
            branches: vec![(37, branched), (90, again)],
            step: 120,
            level: Level::Packet,
            quiz: true,
            compare: Some((DataMode::Port, DataMode::Epsv)),
            pending: Some(waiting),
            embed: true,
            #[cfg(feature = "assessment")]
            assessment: None,
        };
        let written = original.write().expect("linkable");
        assert_eq!(
            written,
            "v=1&lesson=active-nat&server-firewall=control-only&at37.client-alg=on&at90.mode=pasv&pending.client-nat=off&step=120&by=packet&quiz=on&sbs=port,epsv&embed=on"
        );
        let (read, problems) = Link::read(&written);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(read, original);
    }

    #[test]
    fn an_old_lesson_link_still_opens() {
        let (read, problems) = Link::read("#lesson=passive-nat-firewall");
        assert!(problems.is_empty());
        assert_eq!(read.lesson, Some("passive-nat-firewall"));
    }

    #[test]
    fn unreadable_parts_are_named_and_the_rest_is_shown() {
        let (read, problems) =
            Link::read("v=1&lesson=active-nat&client-alg=maybe&colour=blue&step=-3&by=fast&mode=pasv&<script>=1");
        assert_eq!(read.lesson, Some("active-nat"));
        assert_eq!(read.scenario.mode, DataMode::Pasv, "the readable setting is kept");
        assert_eq!(read.step, 0);
        let texts: Vec<String> = problems.iter().map(LinkProblem::text).collect();
        assert_eq!(problems.len(), 5, "{texts:?}");
        assert!(texts.iter().any(|text| text.contains("client-alg")), "{texts:?}");
        assert!(texts.iter().any(|text| text.contains("<script>")), "named as text: {texts:?}");
        let (_, problems) = Link::read(&"x".repeat(MAX_LENGTH + 1));
        assert_eq!(problems, [LinkProblem::TooLong { length: MAX_LENGTH + 1 }]);
        let (read, problems) = Link::read("v=1&control-port=50500");
        assert!(matches!(problems.as_slice(), [LinkProblem::InvalidSettings { .. }]));
        assert_eq!(read.scenario, Scenario::default(), "invalid settings fall back to the base");
        let (_, problems) = Link::read("v=9&lesson=active-nat");
        assert!(matches!(problems.as_slice(), [LinkProblem::UnknownVersion { .. }]));
    }

    #[test]
    fn what_a_link_cannot_carry_is_said() {
        let scenario = Scenario { seed: 7, ..Scenario::default() };
        let error = link(None, scenario).write().expect_err("the seed is not in the settings table");
        assert!(error.to_string().contains("Seed"), "{error}");
    }

    #[test]
    fn typed_lines_round_trip_in_order_through_branches() {
        let lesson = lessons::find("active-nat").expect("lesson");
        let lines = ["PORT 10,0,0,9,4,1", "LIST", "RETR a&b=c%d #e", "CWD ..", "<script>x</script>", "RETR café"];
        let scenario = Scenario { console: lines.map(str::to_owned).to_vec(), ..lesson.scenario.clone() };
        let mut branched = scenario.clone();
        Change::ClientAlg(true).apply(&mut branched);
        let original = Link { branches: vec![(70, branched)], step: 80, ..link(Some(lesson.id), scenario) };
        let written = original.write().expect("linkable");
        assert!(
            written.starts_with(
                "v=1&lesson=active-nat&cmd=PORT%2010,0,0,9,4,1&cmd=LIST&cmd=RETR%20a%26b%3Dc%25d%20%23e&cmd=CWD%20..&cmd=%3Cscript%3Ex%3C%2Fscript%3E&cmd=RETR%20caf%C3%A9&at70.client-alg=on"
            ),
            "{written}"
        );
        let (read, problems) = Link::read(&written);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(read, original, "the branch carries the same lines");
    }

    #[test]
    fn a_typed_line_that_cannot_be_typed_is_named_and_the_others_kept() {
        let (read, problems) =
            Link::read("v=1&cmd=EPSV&cmd=LIST%0D%0ADELE%20x&cmd=AUTH%20TLS&cmd=&cmd=LIST&control-port=50500");
        assert_eq!(read.scenario.console, ["EPSV", "LIST"]);
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(
            problems.iter().take(3).all(|problem| matches!(problem, LinkProblem::BadValue { key, .. } if key == "cmd"))
        );
        let texts: Vec<String> = problems.iter().map(LinkProblem::text).collect();
        assert!(texts[0].contains("control character"), "{texts:?}");
        // Links written before the console read as they always did.
        let (old, problems) = Link::read("v=1&lesson=active-nat&client-alg=on&step=42");
        assert!(problems.is_empty());
        assert!(old.scenario.console.is_empty());
    }

    #[test]
    fn nat_on_ipv6_is_carried_as_the_scenario_holds_it() {
        // IPv6 from the default network: NAT stays on underneath (it has no effect there).
        let (read, problems) = Link::read("v=1&ip=v6");
        assert!(problems.is_empty(), "{problems:?}");
        assert!(read.scenario.client_nat);
        assert_eq!(read.write().as_deref(), Ok("v=1&ip=v6"));
        // The lesson on IPv6 has client NAT on, and links as itself.
        let (lesson, problems) = Link::read("#lesson=epsv-ipv6");
        assert!(problems.is_empty(), "{problems:?}");
        assert!(lesson.scenario.client_nat);
        assert_eq!(lesson.write().as_deref(), Ok("v=1&lesson=epsv-ipv6"));
        // Turned off there, it stays off.
        let mut off = lesson.clone();
        Change::ClientNat(false).apply(&mut off.scenario);
        let written = off.write().expect("linkable");
        assert_eq!(written, "v=1&lesson=epsv-ipv6&client-nat=off");
        assert_eq!(Link::read(&written), (off, Vec::new()));
        // And in branches and changes waiting, each lesson on either IP version, NAT on or off.
        for lesson in lessons::all() {
            for (ip, nat) in [(IpVersion::V4, true), (IpVersion::V6, true), (IpVersion::V6, false)] {
                let mut branched = lesson.scenario.clone();
                for change in [Change::Ip(ip), Change::ClientNat(nat), Change::ServerNat(!nat)] {
                    change.apply(&mut branched);
                }
                if branched.validate().is_err() {
                    continue;
                }
                let mut waiting = branched.clone();
                Change::ServerNat(nat).apply(&mut waiting);
                // A branch that changes nothing is not written.
                let branches = if branched == lesson.scenario { Vec::new() } else { vec![(5, branched.clone())] };
                let original =
                    Link { branches, pending: Some(waiting), ..link(Some(lesson.id), lesson.scenario.clone()) };
                let written = original.write().unwrap_or_else(|error| panic!("{}: {error}", lesson.id));
                assert_eq!(Link::read(&written), (original, Vec::new()), "{written}");
            }
        }
        for (client_nat, server_nat) in [(false, false), (false, true), (true, false), (true, true)] {
            let scenario = Scenario { ip: IpVersion::V6, client_nat, server_nat, ..Scenario::default() };
            let alone = link(None, scenario);
            let written = alone.write().expect("linkable");
            assert_eq!(Link::read(&written), (alone, Vec::new()), "{written}");
        }
    }

    #[test]
    fn values_are_encoded() {
        assert_eq!(encode("21,2121"), "21,2121");
        assert_eq!(encode("a b&c"), "a%20b%26c");
        assert_eq!(decode("a%20b%26c"), "a b&c");
        assert_eq!(decode("%zz"), "%zz");
    }
}
