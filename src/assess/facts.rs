//! What a run shows, read off its timeline: the ends of the control connection, the address
//! and port announced for the data connection (as sent and as read), where and why it stopped,
//! and every single setting that would have made it work. The printed worksheet
//! ([`crate::picture::handout`]) and the generated questions ([`super::questions`]) both ask
//! about these facts, so both read them here.
//!
//! Nothing here is written per lesson: each fact comes from the trace, and each fix is a fresh
//! run of the engine with one setting changed.

use std::net::{IpAddr, SocketAddr};

use crate::ftp::FtpTrace;
use crate::ftp::codec::{Command, Reply, parse_extended_passive_reply, parse_passive_reply, reply_code};
use crate::messages::trace::reply_text;
use crate::net::packet::Channel;
use crate::sim::scenario::Scenario;
use crate::sim::settings::{Kind, SETTINGS, Setting};
use crate::sim::timeline::Timeline;
use crate::sim::trace::{EventKind, NodeId, Role};
use crate::sim::verdict::Cause;

/// An address and port written inside a command or a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Announced {
    /// `None` for 229, which carries a port only.
    pub address: Option<IpAddr>,
    pub port: u16,
    /// Written as six numbers (PORT, 227): the port is p1 × 256 + p2.
    pub two_numbers: bool,
}

/// A control-connection line with an address inside, as one end wrote or read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Said {
    pub line: String,
    /// The event where it was sent or read.
    pub event: usize,
    pub announced: Announced,
}

/// The first address announced for a data connection: by the client in PORT/EPRT, or by the
/// server in 227/229.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    /// The server announces (passive modes).
    pub by_server: bool,
    pub sent: Said,
    /// As the other end read it; `None` when it never arrived.
    pub received: Option<Said>,
}

/// One setting changed to one value, that makes the run work on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fix {
    /// The setting's key (`client-alg`).
    pub key: &'static str,
    pub setting: &'static str,
    /// The value's words (`on`, `Passive (PASV)`).
    pub value: &'static str,
    /// The value's token, as the form and the command line take it.
    pub token: &'static str,
}

/// The worksheet's answers, read off one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answers {
    /// The control connection's ends as the client sees them: (client, server).
    pub control: Option<(SocketAddr, SocketAddr)>,
    /// The client's end as the server sees it (after NAT), and the event that shows it.
    pub seen_as: Option<(SocketAddr, usize)>,
    pub announcement: Option<Announcement>,
    pub works: bool,
    /// The device the verdict names; `None` when it works.
    pub stopped_at: Option<NodeId>,
    pub cause: Option<Cause>,
    /// Where it went wrong.
    pub stop_event: Option<usize>,
    /// Every single change of a page setting whose fresh run works (empty when it works).
    pub fixes: Vec<Fix>,
}

fn in_command(command: &Command) -> Option<Announced> {
    match command {
        Command::Port(address) => {
            Some(Announced { address: Some(IpAddr::V4(*address.ip())), port: address.port(), two_numbers: true })
        }
        Command::Eprt(address) => {
            Some(Announced { address: Some(address.ip()), port: address.port(), two_numbers: false })
        }
        _ => None,
    }
}

fn in_reply(reply: &Reply) -> Option<Announced> {
    match reply.code {
        reply_code::PASSIVE => parse_passive_reply(reply).ok().map(|address| Announced {
            address: Some(IpAddr::V4(*address.ip())),
            port: address.port(),
            two_numbers: true,
        }),
        reply_code::EXTENDED_PASSIVE => {
            parse_extended_passive_reply(reply).ok().map(|port| Announced { address: None, port, two_numbers: false })
        }
        _ => None,
    }
}

/// What an FTP event announces: from the client's commands or the server's replies as `sent`,
/// from what the other end read otherwise.
fn announced(kind: &EventKind, sent: bool) -> Option<(bool, String, Announced)> {
    match kind {
        EventKind::Ftp { role: Role::Client, event: FtpTrace::CommandSent(command) } if sent => {
            in_command(command).map(|found| (false, command.to_string(), found))
        }
        EventKind::Ftp { role: Role::Server, event: FtpTrace::ReplySent(reply) } if sent => {
            in_reply(reply).map(|found| (true, reply_text(reply), found))
        }
        EventKind::Ftp { role: Role::Server, event: FtpTrace::CommandReceived(command) } if !sent => {
            in_command(command).map(|found| (false, command.to_string(), found))
        }
        EventKind::Ftp { role: Role::Client, event: FtpTrace::ReplyReceived(reply) } if !sent => {
            in_reply(reply).map(|found| (true, reply_text(reply), found))
        }
        _ => None,
    }
}

fn announcement(timeline: &Timeline) -> Option<Announcement> {
    let events = timeline.events();
    let (at, (by_server, line, found)) =
        events.iter().enumerate().find_map(|(at, event)| announced(&event.kind, true).map(|found| (at, found)))?;
    let received = events.iter().enumerate().skip(at + 1).find_map(|(index, event)| {
        announced(&event.kind, false).filter(|(server, ..)| *server == by_server).map(|(_, line, announced)| Said {
            line,
            event: index,
            announced,
        })
    });
    Some(Announcement { by_server, sent: Said { line, event: at, announced: found }, received })
}

/// The words of a setting's value.
pub fn value_words(setting: &Setting, token: &str) -> Option<&'static str> {
    match setting.kind {
        Kind::Switch { on, .. } => Some(crate::messages::on_off(token == on)),
        Kind::Choice(choices) => choices.iter().find(|choice| choice.token == token).map(|choice| choice.label),
        Kind::Number { .. } | Kind::OptionalNumber { .. } | Kind::Ports => None,
    }
}

/// Every single change of a page setting (a switch flipped, another choice) under which a
/// fresh run of `scenario` works.
pub fn fixes(scenario: &Scenario) -> Vec<Fix> {
    single_changes(scenario)
        .into_iter()
        .filter(|(_, changed)| Timeline::run(changed).is_ok_and(|run| run.verdict().is_ok()))
        .map(|(fix, _)| fix)
        .collect()
}

/// Every single change of a page setting (a switch flipped, another choice) that changes
/// `scenario`, with the scenario it makes: what a student may pick as the fix.
pub fn single_changes(scenario: &Scenario) -> Vec<(Fix, Scenario)> {
    let mut found = Vec::new();
    for setting in SETTINGS.iter().filter(|setting| setting.on_page && setting.unavailable(scenario).is_none()) {
        let current = setting.value(scenario);
        for token in setting.tokens().into_iter().filter(|token| *token != current) {
            let (Ok(change), Some(value)) = (setting.parse(token), value_words(setting, token)) else {
                continue;
            };
            let mut changed = scenario.clone();
            change.apply(&mut changed);
            if changed != *scenario {
                found.push((Fix { key: setting.key, setting: setting.label, value, token }, changed));
            }
        }
    }
    found
}

/// Reads the worksheet's answers off `timeline`; the fixes are fresh runs of its settings.
pub fn answers(timeline: &Timeline) -> Answers {
    let mut control = None;
    let mut seen_as = None;
    for (index, event) in timeline.events().iter().enumerate() {
        if let EventKind::TcpState { local, remote, channel: Channel::Control, .. } = &event.kind {
            match event.device {
                NodeId::Client if control.is_none() => control = Some((*local, *remote)),
                NodeId::Server if seen_as.is_none() => seen_as = Some((*remote, index)),
                _ => {}
            }
        }
    }
    let verdict = timeline.verdict();
    let works = verdict.is_ok();
    Answers {
        control,
        seen_as,
        announcement: announcement(timeline),
        works,
        stopped_at: if works { None } else { verdict.device },
        cause: verdict.cause,
        stop_event: verdict.event,
        fixes: if works { Vec::new() } else { fixes(timeline.scenario()) },
    }
}
