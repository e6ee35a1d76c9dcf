//! The questions of one run, generated from its timeline, each with the answer the run gives
//! and the event at which it is asked.
//!
//! Predictions are asked before the run shows their answer: whether the transfer will work
//! when the client sets up the data connection, and where the data connection will go (and
//! what the server reads in PORT) when the announcing line has just been sent. Explanations
//! are asked at the verdict: which device stopped it, which one setting would have made it
//! work, and the NAT table's row for the data connection. A question about something the run
//! never did (no data connection, no NAT row, nothing to fix) is not asked.
//!
//! [`Question::mark`] marks a [`Response`]: right, or wrong with a [`Hint`] that names the
//! event to look at and, where a common mistake explains the answer given, that mistake. A
//! setting picked as the fix is marked by running the engine again with it.
//!
//! Left out on purpose: the words (they are in [`crate::messages::assess`]) and any notion of
//! a score or of tries, which [`super::attempt`] keeps.

use std::net::{IpAddr, SocketAddr};

use super::facts::{self, Announced, Fix};
use crate::ftp::FtpTrace;
use crate::ftp::codec::Command;
use crate::messages::assess as say;
use crate::net::conntrack::NatKind;
use crate::net::device::DeviceEvent;
use crate::net::packet::Channel;
use crate::sim::settings;
use crate::sim::timeline::Timeline;
use crate::sim::trace::{EventKind, NodeId, Role};

/// What a question asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ask {
    /// "Will this transfer work?"
    WillItWork,
    /// "`line` has just been sent: to which address and port will the server (`by_server`) or
    /// the client connect?"
    DataTarget { by_server: bool, line: String },
    /// "What address does the server read in this PORT (or EPRT) command?"
    SeenInPort { line: String },
    /// "Which device stops the data connection?" (a click on the picture)
    WhichDevice,
    /// "Which one setting would make it work?"
    WhichSetting,
    /// "Fill in `router`'s NAT table row for the data connection to or from `peer`."
    NatRow { router: NodeId, peer: SocketAddr },
}

impl Ask {
    /// A short stable name, for progress kept between visits and for tests.
    pub fn name(&self) -> &'static str {
        match self {
            Ask::WillItWork => "works",
            Ask::DataTarget { .. } => "target",
            Ask::SeenInPort { .. } => "seen",
            Ask::WhichDevice => "device",
            Ask::WhichSetting => "setting",
            Ask::NatRow { .. } => "nat",
        }
    }

    /// Predictions are asked before the run shows the answer; explanations at the verdict.
    pub fn is_prediction(&self) -> bool {
        matches!(self, Ask::WillItWork | Ask::DataTarget { .. } | Ask::SeenInPort { .. })
    }
}

/// The answer a run gives to a question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expected {
    YesNo(bool),
    Address(SocketAddr),
    Ip(IpAddr),
    Device(NodeId),
    /// Any one of these is right.
    AnyFix(Vec<Fix>),
    NatRow {
        inside: SocketAddr,
        public: SocketAddr,
    },
}

impl Expected {
    /// A response the run counts as right (the first fix where any of several is right): what
    /// the tests answer with.
    #[cfg(test)]
    pub(crate) fn right_response(&self) -> Response {
        match self {
            Expected::YesNo(works) => Response::YesNo(*works),
            Expected::Address(address) => Response::Address(*address),
            Expected::Ip(ip) => Response::Ip(*ip),
            Expected::Device(device) => Response::Device(*device),
            Expected::AnyFix(fixes) => {
                Response::Setting { key: fixes[0].key.to_owned(), token: fixes[0].token.to_owned() }
            }
            Expected::NatRow { inside, public } => Response::NatRow { inside: *inside, public: *public },
        }
    }
}

/// What a student answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    YesNo(bool),
    Address(SocketAddr),
    Ip(IpAddr),
    Device(NodeId),
    /// A setting's key and the token of its new value (`client-alg`, `on`).
    Setting {
        key: String,
        token: String,
    },
    NatRow {
        inside: SocketAddr,
        public: SocketAddr,
    },
}

/// What to look at after a wrong answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hint {
    /// The event that shows the answer.
    LookAt { event: usize },
    /// The address given is the one inside the line, but a helper rewrote the line first.
    HelperRewrote { event: usize },
    /// The address given is the router's public one: NAT changes packet headers, not the
    /// text inside a command, unless a helper rewrites it.
    NatLeavesTextAlone { event: usize },
    /// The address given is the one in 227, but this client connects to the address of the
    /// control connection instead.
    ClientIgnoresAddress { event: usize },
    /// The address is right and the port is not: p1 × 256 + p2.
    PortArithmetic { event: usize },
    /// A fresh run with that setting changed still fails, at this device.
    StillFails { device: Option<NodeId> },
    /// That is the value the setting already has, or no setting of the page.
    NotAChange,
    /// The two halves of the NAT row are the wrong way round.
    Swapped { event: usize },
    /// The answer is of another kind than the question asks for.
    WrongKind,
}

/// A response marked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mark {
    Right,
    Wrong(Hint),
}

impl Mark {
    pub fn is_right(&self) -> bool {
        *self == Mark::Right
    }
}

/// One question about a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub ask: Ask,
    /// The event at which it is asked; the class may not go past it until it is answered.
    pub asked_at: usize,
    pub expected: Expected,
    /// The event that shows the answer.
    pub shown_at: usize,
    /// The line that announced the data connection, for the hints about an address.
    announcing: Option<Announcing>,
}

/// What the hints about an address need of the line that announced the data connection, kept
/// with the question so that marking an answer reads nothing off the run again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Announcing {
    /// The event where it was sent.
    event: usize,
    /// The address and port inside it, as sent.
    said: Announced,
    /// The server announced (227/229), not the client (PORT/EPRT).
    by_server: bool,
    /// The event where a helper rewrote it on the way, if one did.
    rewritten_at: Option<usize>,
}

/// The first event where the client sets up a data connection (PORT, EPRT, PASV or EPSV sent):
/// the moment of the first prediction.
pub fn setup_point(timeline: &Timeline) -> Option<usize> {
    timeline.events().iter().position(|event| {
        matches!(
            &event.kind,
            EventKind::Ftp {
                role: Role::Client,
                event: FtpTrace::CommandSent(Command::Port(_) | Command::Eprt(_) | Command::Pasv | Command::Epsv(_))
            }
        )
    })
}

/// The first SYN of the first data connection, as its sender put it on the wire: (event,
/// sender, destination).
fn data_connection_attempt(timeline: &Timeline) -> Option<(usize, NodeId, SocketAddr)> {
    timeline.events().iter().enumerate().find_map(|(index, event)| match &event.kind {
        EventKind::PacketSent { packet, .. } if matches!(packet.channel, Channel::Data(_)) => {
            Some((index, event.device, packet.dst))
        }
        _ => None,
    })
}

/// The first helper rewrite of a control line after `from`.
fn rewrite_after(timeline: &Timeline, from: usize) -> Option<usize> {
    timeline.events().iter().enumerate().skip(from).find_map(|(index, event)| {
        matches!(&event.kind, EventKind::Device { event: DeviceEvent::PayloadRewritten { .. } }).then_some(index)
    })
}

/// The NAT row a router made for the first data connection: (event, router, inside, public,
/// the other end).
fn data_nat_row(timeline: &Timeline) -> Option<(usize, NodeId, SocketAddr, SocketAddr, SocketAddr)> {
    let control_port = timeline.scenario().control_port;
    timeline.events().iter().enumerate().find_map(|(index, event)| {
        let EventKind::Device { event: DeviceEvent::ConntrackAdded { entry } } = &event.kind else { return None };
        let is_control = entry.original.dst.port() == control_port || entry.original.src.port() == control_port;
        let (inside, public, peer) = match entry.nat? {
            NatKind::Source => (entry.original.src, entry.reply.dst, entry.original.dst),
            _ => (entry.reply.src, entry.original.dst, entry.original.src),
        };
        (!is_control).then_some((index, event.device, inside, public, peer))
    })
}

/// Every question `timeline` can answer, in the order they are asked.
pub fn questions(timeline: &Timeline) -> Vec<Question> {
    let facts = facts::answers(timeline);
    let verdict = timeline.verdict();
    let last = timeline.events().len().saturating_sub(1);
    let verdict_at = verdict.event.unwrap_or(last);
    let plain = |ask: Ask, asked_at: usize, expected: Expected, shown_at: usize| Question {
        ask,
        asked_at,
        expected,
        shown_at,
        announcing: None,
    };
    let mut found = Vec::new();
    if let Some(at) = setup_point(timeline) {
        found.push(plain(Ask::WillItWork, at, Expected::YesNo(facts.works), verdict_at));
    }
    if let Some(announcement) = &facts.announcement {
        let sent = announcement.sent.event;
        let rewritten_at = rewrite_after(timeline, sent).filter(|at| {
            announcement
                .received
                .as_ref()
                .is_some_and(|received| *at < received.event && received.line != announcement.sent.line)
        });
        let announcing = Some(Announcing {
            event: sent,
            said: announcement.sent.announced,
            by_server: announcement.by_server,
            rewritten_at,
        });
        if let Some((attempt, sender, target)) = data_connection_attempt(timeline) {
            let by_server = sender == NodeId::Server;
            if by_server != announcement.by_server {
                found.push(Question {
                    announcing,
                    ..plain(
                        Ask::DataTarget { by_server, line: announcement.sent.line.clone() },
                        sent,
                        Expected::Address(target),
                        attempt,
                    )
                });
            }
        }
        if let (false, Some(received)) = (announcement.by_server, &announcement.received)
            && let Some(address) = received.announced.address
        {
            found.push(Question {
                announcing,
                ..plain(
                    Ask::SeenInPort { line: announcement.sent.line.clone() },
                    sent,
                    Expected::Ip(address),
                    received.event,
                )
            });
        }
    }
    if let (false, Some(device)) = (facts.works, facts.stopped_at) {
        found.push(plain(
            Ask::WhichDevice,
            verdict_at,
            Expected::Device(device),
            facts.stop_event.unwrap_or(verdict_at),
        ));
    }
    if !facts.works && !facts.fixes.is_empty() {
        found.push(plain(Ask::WhichSetting, verdict_at, Expected::AnyFix(facts.fixes.clone()), verdict_at));
    }
    if let Some((at, router, inside, public, peer)) = data_nat_row(timeline) {
        found.push(plain(Ask::NatRow { router, peer }, verdict_at, Expected::NatRow { inside, public }, at));
    }
    found
}

impl Question {
    /// Marks `response` against the run's answer. `timeline` is the run asked about: a setting
    /// picked as the fix is tried on a fresh run of its scenario.
    pub fn mark(&self, response: &Response, timeline: &Timeline) -> Mark {
        let look = Hint::LookAt { event: self.shown_at };
        match (&self.expected, response) {
            (Expected::YesNo(truth), Response::YesNo(given)) => mark(truth == given, look),
            (Expected::Device(truth), Response::Device(given)) => mark(truth == given, look),
            (Expected::Address(truth), Response::Address(given)) => {
                if truth == given {
                    return Mark::Right;
                }
                Mark::Wrong(self.address_hint(given.ip(), Some(given.port()), *truth, timeline))
            }
            (Expected::Ip(truth), Response::Ip(given)) => {
                if truth == given {
                    return Mark::Right;
                }
                let truth = SocketAddr::new(*truth, 0);
                Mark::Wrong(self.address_hint(*given, None, truth, timeline))
            }
            (Expected::AnyFix(fixes), Response::Setting { key, token }) => {
                if fixes.iter().any(|fix| fix.key == key && fix.token == token) {
                    return Mark::Right;
                }
                Mark::Wrong(still_fails(timeline, key, token))
            }
            (Expected::NatRow { inside, public }, Response::NatRow { inside: given_inside, public: given_public }) => {
                if (inside, public) == (given_inside, given_public) {
                    Mark::Right
                } else if (inside, public) == (given_public, given_inside) {
                    Mark::Wrong(Hint::Swapped { event: self.shown_at })
                } else {
                    Mark::Wrong(look)
                }
            }
            _ => Mark::Wrong(Hint::WrongKind),
        }
    }

    /// Why an address (and port) given may be wrong: the common mistakes first.
    fn address_hint(&self, given: IpAddr, port: Option<u16>, truth: SocketAddr, timeline: &Timeline) -> Hint {
        let look = Hint::LookAt { event: self.shown_at };
        let Some(Announcing { event: announced_at, said, by_server, rewritten_at }) = self.announcing else {
            return look;
        };
        if given == truth.ip() {
            return match port {
                Some(port) if port != truth.port() && said.two_numbers => Hint::PortArithmetic { event: announced_at },
                _ => look,
            };
        }
        if let (Some(rewritten_at), Some(inside)) = (rewritten_at, said.address)
            && given == inside
        {
            return Hint::HelperRewrote { event: rewritten_at };
        }
        let router_wan = timeline.scenario().topology().router_wan;
        if !by_server && given == router_wan && timeline.scenario().client_nat_active() {
            return Hint::NatLeavesTextAlone { event: announced_at };
        }
        if by_server && said.address == Some(given) && !timeline.scenario().trust_pasv_address {
            return Hint::ClientIgnoresAddress { event: announced_at };
        }
        look
    }
}

impl Question {
    /// The question as the student reads it; `server_nat` names the server's edge as the
    /// picture does.
    pub fn words(&self, server_nat: bool) -> String {
        match &self.ask {
            Ask::WillItWork => say::WILL_IT_WORK.to_owned(),
            Ask::DataTarget { by_server, line } => say::data_target(*by_server, line),
            Ask::SeenInPort { line } => say::seen_in_port(line),
            Ask::WhichDevice => say::WHICH_DEVICE.to_owned(),
            Ask::WhichSetting => say::WHICH_SETTING.to_owned(),
            Ask::NatRow { router, peer } => {
                say::nat_row(&router.label(server_nat).to_ascii_lowercase(), &peer.to_string())
            }
        }
    }

    /// The answer as the answer key prints it.
    pub fn answer_words(&self, server_nat: bool) -> String {
        match &self.expected {
            Expected::YesNo(works) => say::yes_no(*works).to_owned(),
            Expected::Address(address) => address.to_string(),
            Expected::Ip(ip) => ip.to_string(),
            Expected::Device(device) => device.label(server_nat).to_owned(),
            Expected::AnyFix(fixes) => {
                let fixes: Vec<String> =
                    fixes.iter().map(|fix| crate::messages::page::handout::fix(fix.setting, fix.value)).collect();
                say::any_of(&fixes)
            }
            Expected::NatRow { inside, public } => say::nat_row_answer(&inside.to_string(), &public.to_string()),
        }
    }
}

impl Hint {
    /// The event the hint points at, if it points at one.
    pub fn event(&self) -> Option<usize> {
        match *self {
            Hint::LookAt { event }
            | Hint::HelperRewrote { event }
            | Hint::NatLeavesTextAlone { event }
            | Hint::ClientIgnoresAddress { event }
            | Hint::PortArithmetic { event }
            | Hint::Swapped { event } => Some(event),
            Hint::StillFails { .. } | Hint::NotAChange | Hint::WrongKind => None,
        }
    }

    /// The hint as the student reads it.
    pub fn words(&self, server_nat: bool) -> String {
        match *self {
            Hint::LookAt { event } => say::look_at(event),
            Hint::HelperRewrote { event } => say::helper_rewrote(event),
            Hint::NatLeavesTextAlone { event } => say::nat_leaves_text_alone(event),
            Hint::ClientIgnoresAddress { event } => say::client_ignores_address(event),
            Hint::PortArithmetic { event } => say::port_arithmetic(event),
            Hint::StillFails { device } => {
                say::still_fails(device.map(|device| device.label(server_nat).to_ascii_lowercase()).as_deref())
            }
            Hint::NotAChange => say::NOT_A_CHANGE.to_owned(),
            Hint::Swapped { event } => say::swapped(event),
            Hint::WrongKind => say::WRONG_KIND.to_owned(),
        }
    }
}

fn mark(right: bool, hint: Hint) -> Mark {
    if right { Mark::Right } else { Mark::Wrong(hint) }
}

/// The hint for a setting that is not one of the fixes: a fresh run with it, and where that
/// run stops.
fn still_fails(timeline: &Timeline, key: &str, token: &str) -> Hint {
    let scenario = timeline.scenario();
    let Some(setting) = settings::find(key).filter(|setting| setting.on_page) else { return Hint::NotAChange };
    let Ok(change) = setting.parse(token) else { return Hint::NotAChange };
    let mut changed = scenario.clone();
    change.apply(&mut changed);
    if changed == *scenario {
        return Hint::NotAChange;
    }
    let device = Timeline::run(&changed).ok().and_then(|run| run.verdict().device);
    Hint::StillFails { device }
}

/// Why a typed answer could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    #[error("{}", crate::messages::assess::NOT_AN_ADDRESS_AND_PORT)]
    NotAnAddressAndPort,
    #[error("{}", crate::messages::assess::NOT_AN_ADDRESS)]
    NotAnAddress,
}

/// The longest typed answer read (an IPv6 address with a port is under 50 characters).
pub const MAX_TYPED: usize = 80;

/// Reads an address and port as a student may type it: `198.51.100.10:50001`,
/// `198.51.100.10 50001`, `198.51.100.10 port 50001`, `[2001:db8::10]:50001`, or the six
/// numbers of PORT and 227 (`198,51,100,10,195,81`).
pub fn read_address_and_port(text: &str) -> Result<SocketAddr, ResponseError> {
    let text = text.trim();
    if text.len() > MAX_TYPED {
        return Err(ResponseError::NotAnAddressAndPort);
    }
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Ok(address);
    }
    if let Some([a, b, c, d, high, low]) = comma_bytes(text.trim_matches(['(', ')'])).as_deref() {
        let port = u16::from(*high) << 8 | u16::from(*low);
        return Ok(SocketAddr::new(IpAddr::from([*a, *b, *c, *d]), port));
    }
    let words: Vec<&str> = text.split_whitespace().filter(|word| !word.eq_ignore_ascii_case("port")).collect();
    if let [address, port] = words.as_slice() {
        let address = address.trim_end_matches([',', ':']).trim_matches(['[', ']']);
        if let (Ok(ip), Ok(port)) = (address.parse::<IpAddr>(), port.parse::<u16>()) {
            return Ok(SocketAddr::new(ip, port));
        }
    }
    Err(ResponseError::NotAnAddressAndPort)
}

/// Reads an address as a student may type it: `192.168.1.2`, or the first four of PORT's six
/// numbers (`192,168,1,2`); a port after it is ignored.
pub fn read_address(text: &str) -> Result<IpAddr, ResponseError> {
    let text = text.trim();
    if text.len() > MAX_TYPED {
        return Err(ResponseError::NotAnAddress);
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(ip);
    }
    if let Ok(address) = read_address_and_port(text) {
        return Ok(address.ip());
    }
    if let Some([a, b, c, d]) = comma_bytes(text).as_deref() {
        return Ok(IpAddr::from([*a, *b, *c, *d]));
    }
    Err(ResponseError::NotAnAddress)
}

/// Numbers from 0 to 255 between commas (`192,168,1,2`), as PORT and 227 write an address;
/// `None` if any part is not one.
fn comma_bytes(text: &str) -> Option<Vec<u8>> {
    text.split(',').map(|part| part.trim().parse::<u8>().ok()).collect()
}
