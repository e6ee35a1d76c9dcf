//! Verdicts: how a run ended, why, who is responsible, and what would fix it.
//!
//! A verdict is read off the finished trace and the client's outcome. For a failure it names
//! the [`Cause`], the device and rule responsible, and the event where it went wrong — the
//! dropped SYN, or the reply that refused — so the page can jump there and the caption can
//! explain it. The `fix` sentence names the setting that would have made the run work.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::scenario::{Scenario, ServerFirewall};
use super::trace::{EventKind, NodeId, Role, TraceEvent};
use super::world::World;
use crate::ftp::ConnectError;
use crate::ftp::FtpTrace;
use crate::ftp::client::{ClientFailure, FtpClient, Outcome};
use crate::ftp::codec::{Command, Reply};
use crate::ftp::console::{ConsoleClient, Entry, Sender};
use crate::ftp::server::ServerProfile;
use crate::messages::{engine, verdicts as say};
use crate::net::packet::{Channel, PacketKind, is_private};

/// Why a run failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// The server refused the address in `PORT`/`EPRT` (500/501/522).
    ServerRefusedAddress,
    /// The server refused `PORT`/`EPRT` naming a third host: the bounce protection working.
    ServerRefusedBounce,
    /// The server's active-mode connect got no answer and it said 425.
    ServerDataConnectTimeout,
    /// The client's passive-mode connect got no answer.
    ClientDataConnectTimeout,
    /// The data connection was aimed at an address that cannot be reached (a private address).
    AddressUnreachable,
    /// A firewall or closed port answered the data connection with a reset.
    DataConnectionRefused,
    /// The server refused a passive connection from an unexpected address (425 Security).
    ServerRefusedDataPeer,
    /// Active mode: the server said 150 but never connected.
    ClientAcceptTimeout,
    /// USER/PASS refused.
    LoginRefused,
    /// The control connection could not be opened.
    ControlConnectFailed,
    /// Another command was refused.
    CommandRefused,
    /// The server stopped answering.
    ReplyTimeout,
    /// The control connection went away.
    ControlClosed,
    /// The run hit the simulator's step limit without finishing.
    Stalled,
    /// vsftpd with `port_promiscuous=YES` and `connect_from_port_20=YES`: its session died with
    /// `500 OOPS` at the transfer command.
    ServerCannotBindPort20,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::ServerRefusedAddress => "server-refused-address",
            Cause::ServerRefusedBounce => "server-refused-bounce",
            Cause::ServerDataConnectTimeout => "server-data-connect-timeout",
            Cause::ClientDataConnectTimeout => "client-data-connect-timeout",
            Cause::AddressUnreachable => "address-unreachable",
            Cause::DataConnectionRefused => "data-connection-refused",
            Cause::ServerRefusedDataPeer => "server-refused-data-peer",
            Cause::ClientAcceptTimeout => "client-accept-timeout",
            Cause::LoginRefused => "login-refused",
            Cause::ControlConnectFailed => "control-connect-failed",
            Cause::CommandRefused => "command-refused",
            Cause::ReplyTimeout => "reply-timeout",
            Cause::ControlClosed => "control-closed",
            Cause::Stalled => "stalled",
            Cause::ServerCannotBindPort20 => "server-cannot-bind-port20",
        }
    }
}

impl Cause {
    /// The cause in words, for students.
    pub fn words(self) -> &'static str {
        use crate::messages::verdicts::causes::*;
        match self {
            Cause::ServerRefusedAddress => SERVER_REFUSED_ADDRESS,
            Cause::ServerRefusedBounce => SERVER_REFUSED_BOUNCE,
            Cause::ServerDataConnectTimeout => SERVER_DATA_CONNECT_TIMEOUT,
            Cause::ClientDataConnectTimeout => CLIENT_DATA_CONNECT_TIMEOUT,
            Cause::AddressUnreachable => ADDRESS_UNREACHABLE,
            Cause::DataConnectionRefused => DATA_CONNECTION_REFUSED,
            Cause::ServerRefusedDataPeer => SERVER_REFUSED_DATA_PEER,
            Cause::ClientAcceptTimeout => CLIENT_ACCEPT_TIMEOUT,
            Cause::LoginRefused => LOGIN_REFUSED,
            Cause::ControlConnectFailed => CONTROL_CONNECT_FAILED,
            Cause::CommandRefused => COMMAND_REFUSED,
            Cause::ReplyTimeout => REPLY_TIMEOUT,
            Cause::ControlClosed => CONTROL_CLOSED,
            Cause::Stalled => STALLED,
            Cause::ServerCannotBindPort20 => SERVER_CANNOT_BIND_PORT_20,
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// "ok" or "fail".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunOutcome {
    Ok,
    Fail,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub outcome: RunOutcome,
    /// The last reply code the client received, if any.
    pub final_reply: Option<u16>,
    pub cause: Option<Cause>,
    /// The device responsible.
    pub device: Option<NodeId>,
    /// The rule or setting responsible, in words.
    pub rule: Option<String>,
    /// The index of the event where it went wrong.
    pub event: Option<usize>,
    /// What happened, in one or two sentences.
    pub summary: String,
    /// Which setting would make it work.
    pub fix: Option<String>,
    /// Transfers completed out of those asked for.
    pub transfers_done: usize,
    pub transfers_asked: usize,
}

impl Verdict {
    pub fn is_ok(&self) -> bool {
        self.outcome == RunOutcome::Ok
    }

    /// The headline the page's verdict panel and the printed sheets give, and whether it is good
    /// news (the transfer worked, or the server refused a bounce on purpose).
    pub fn headline(&self, server_nat: bool) -> (String, bool) {
        use crate::messages::page::verdict as words;
        if self.is_ok() {
            (words::COMPLETED.to_owned(), true)
        } else if self.cause == Some(Cause::ServerRefusedBounce) {
            (words::REFUSED_ON_PURPOSE.to_owned(), true)
        } else {
            (words::failed_at(self.device.map(|device| device.label(server_nat))), false)
        }
    }

    /// A short cell for tables: `ok`, or the failing reply code, or the cause.
    pub fn cell(&self) -> String {
        match (self.outcome, self.final_reply, self.cause) {
            (RunOutcome::Ok, ..) => "ok".to_owned(),
            (
                RunOutcome::Fail,
                _,
                Some(Cause::ClientDataConnectTimeout | Cause::AddressUnreachable | Cause::ClientAcceptTimeout),
            ) => "timeout".to_owned(),
            (RunOutcome::Fail, Some(code), _) if code >= 400 => code.to_string(),
            (RunOutcome::Fail, _, Some(cause)) => cause.as_str().to_owned(),
            (RunOutcome::Fail, ..) => "fail".to_owned(),
        }
    }
}

/// The first drop or reject of a data-connection SYN on `channel`, if any.
fn first_blocked_syn(events: &[TraceEvent], channel: Channel) -> Option<&TraceEvent> {
    events.iter().find(|event| match &event.kind {
        EventKind::PacketDropped { packet, .. } | EventKind::PacketRejected { packet, .. } => {
            packet.channel == channel && packet.kind == PacketKind::Syn
        }
        _ => false,
    })
}

/// The data channel of the last data connection attempted.
fn last_data_channel(events: &[TraceEvent]) -> Option<Channel> {
    events.iter().rev().find_map(|event| match &event.kind {
        EventKind::PacketSent { packet, .. }
            if packet.kind == PacketKind::Syn && packet.channel != Channel::Control =>
        {
            Some(packet.channel)
        }
        _ => None,
    })
}

/// The rule, the reason in words and whether it was a reject, of a blocked SYN.
fn blocked_details(event: &TraceEvent) -> (String, String, bool) {
    let home_side = event.device == NodeId::HomeRouter;
    match &event.kind {
        EventKind::PacketDropped { rule, reason, .. } => (rule.clone(), engine::refusal(reason, home_side), false),
        EventKind::PacketRejected { rule, reason, .. } => (rule.clone(), engine::refusal(reason, home_side), true),
        _ => (String::new(), String::new(), false),
    }
}

/// The event where the server refused the address in PORT/EPRT.
fn refusal_event(events: &[TraceEvent], code: u16) -> Option<&TraceEvent> {
    events.iter().rev().find(|event| {
        matches!(&event.kind, EventKind::Ftp { role: Role::Server, event: FtpTrace::ReplySent(reply) } if reply.code == code)
    })
}

/// Reads the verdict off a finished run. `started_with` is the settings the run began with,
/// which differ from `scenario` when a teacher changed them mid-session (a branch).
pub fn judge(
    scenario: &Scenario,
    started_with: &Scenario,
    world: &World,
    events: &[TraceEvent],
    stalled: bool,
) -> Verdict {
    let console = world.console();
    let ending = match console {
        Some(console) => console_ending(console, stalled),
        None => Ending::of(&world.client().app, scenario),
    };
    let mut verdict = judge_run(scenario, started_with, &ending, events, stalled);
    if let Some(console) = console.filter(|_| verdict.is_ok()) {
        let typed: Vec<&Entry> = console.log().iter().filter(|entry| entry.sender == Sender::Typed).collect();
        let reply = typed.last().and_then(|entry| entry.final_reply()).map(crate::messages::trace::reply_text);
        verdict.summary = crate::messages::console::verdict_summary(typed.len(), reply.as_deref());
    }
    if started_with != scenario {
        verdict.summary.push_str(&say::branched(&super::timeline::describe_changes(started_with, scenario)));
    }
    verdict
}

/// What the client's side of a run came to: the facts a verdict is read from.
struct Ending {
    outcome: Option<Outcome>,
    final_reply: Option<u16>,
    transfers_done: usize,
    transfers_asked: usize,
}

impl Ending {
    fn of(client: &FtpClient, scenario: &Scenario) -> Ending {
        Ending {
            outcome: client.outcome().cloned(),
            final_reply: client.last_reply().map(|reply| reply.code),
            transfers_done: client.transfers_done(),
            transfers_asked: scenario.transfers as usize,
        }
    }
}

/// A console session is judged by its last typed line: the data connection the console opened
/// for it failed, or the server refused it, or it went through.
fn console_ending(console: &ConsoleClient, stalled: bool) -> Ending {
    let typed: Vec<&Entry> = console.log().iter().filter(|entry| entry.sender == Sender::Typed).collect();
    let last = typed.last();
    let last_reply = last.and_then(|entry| entry.final_reply());
    let outcome = match (console.control_failed(), last) {
        (Some(error), _) => Some(Outcome::Failed { failure: ClientFailure::ControlConnect { error } }),
        (None, Some(Entry { data_failed: Some((target, error)), .. })) => {
            Some(Outcome::Failed { failure: ClientFailure::DataConnect { target: *target, error: *error } })
        }
        (None, Some(entry)) => last_reply.filter(|reply| reply.is_failure()).map(|reply| {
            // As the codec reads it (`port …` is `PORT …`), for the causes that look at the verb.
            let command =
                Command::parse(&entry.line).map_or_else(|_| entry.line.clone(), |command| command.to_string());
            Outcome::Failed { failure: ClientFailure::Refused { command, reply: reply.clone() } }
        }),
        (None, None) => None,
    };
    let transfers = typed.iter().filter(|entry| entry.transfer);
    Ending {
        outcome: outcome.or(Some(Outcome::Completed)).filter(|_| !stalled),
        final_reply: last_reply.map(|reply| reply.code),
        transfers_done: transfers.clone().filter(|entry| entry.final_reply().is_some_and(Reply::is_completion)).count(),
        transfers_asked: transfers.count(),
    }
}

fn judge_run(
    scenario: &Scenario,
    started_with: &Scenario,
    client: &Ending,
    events: &[TraceEvent],
    stalled: bool,
) -> Verdict {
    // A helper switched on mid-session never watches the control connection already open.
    let helper_on_late = scenario.client_alg && !started_with.client_alg;
    let final_reply = client.final_reply;
    let transfers_done = client.transfers_done;
    let transfers_asked = client.transfers_asked;
    let base = Verdict {
        outcome: RunOutcome::Fail,
        final_reply,
        cause: None,
        device: None,
        rule: None,
        event: None,
        summary: String::new(),
        fix: None,
        transfers_done,
        transfers_asked,
    };
    let failure = match &client.outcome {
        Some(Outcome::Completed) => {
            return Verdict { outcome: RunOutcome::Ok, summary: say::completed(transfers_done), ..base };
        }
        Some(Outcome::Failed { failure }) => failure.clone(),
        None => {
            return Verdict {
                cause: Some(Cause::Stalled),
                summary: if stalled { say::STALLED_BY_LIMIT } else { say::STALLED_IDLE }.to_owned(),
                ..base
            };
        }
    };
    let data_channel = last_data_channel(events);
    let blocked = data_channel.and_then(|channel| first_blocked_syn(events, channel));
    let label = |node: NodeId| node.label(scenario.server_nat_active());

    match &failure {
        ClientFailure::Refused { command, reply }
            if (command.starts_with("PORT") || command.starts_with("EPRT"))
                && matches!(reply.code, 500 | 501 | 522) =>
        {
            let announced = Command::parse(command).ok().and_then(|parsed| match parsed {
                Command::Port(addr) => Some(std::net::SocketAddr::V4(addr)),
                Command::Eprt(addr) => Some(addr),
                _ => None,
            });
            let event = refusal_event(events, reply.code).map(|event| event.index);
            let (summary, fix) = explain_refused_address(scenario, helper_on_late, command, reply.code, announced);
            let bounce = scenario.bounce_to.is_some_and(|ip| announced.is_some_and(|addr| addr.ip() == ip));
            let setting = match scenario.server {
                ServerProfile::Vsftpd => "port_promiscuous=NO",
                ServerProfile::Pyftpdlib => "permit_foreign_addresses=False",
            };
            Verdict {
                cause: Some(if bounce { Cause::ServerRefusedBounce } else { Cause::ServerRefusedAddress }),
                device: Some(NodeId::Server),
                rule: Some(say::rule_port_check(setting)),
                event,
                summary,
                fix: Some(fix),
                ..base
            }
        }
        ClientFailure::Refused { command, reply } if reply.code == 425 && reply.text().contains("Security") => {
            Verdict {
                cause: Some(Cause::ServerRefusedDataPeer),
                device: Some(NodeId::Server),
                rule: Some("pasv_promiscuous=NO".to_owned()),
                event: refusal_event(events, 425).map(|event| event.index),
                summary: say::foreign_data_peer(command),
                fix: Some(say::FIX_SAME_ADDRESS.to_owned()),
                ..base
            }
        }
        ClientFailure::Refused { reply, .. } if reply.code == 500 && reply.text().starts_with("OOPS") => Verdict {
            cause: Some(Cause::ServerCannotBindPort20),
            device: Some(NodeId::Server),
            rule: Some(say::RULE_PORT20.to_owned()),
            event: refusal_event(events, reply.code).map(|event| event.index),
            summary: say::CANNOT_BIND_PORT_20.to_owned(),
            fix: Some(say::FIX_PORT20.to_owned()),
            ..base
        },
        // The server gave up on its active connect: vsftpd's 425, or pyftpdlib's 421 ("Active
        // data channel timed out") or 425 (refused).
        ClientFailure::Refused { command, reply }
            if (reply.code == 425 && !no_data_set_up(reply))
                || (reply.code == 421 && scenario.mode.is_active() && blocked.is_some()) =>
        {
            let gave_up = say::GaveUp {
                server: scenario.server.as_str(),
                timeout: match scenario.server {
                    ServerProfile::Vsftpd => "connect_timeout",
                    ServerProfile::Pyftpdlib => "its data channel timeout",
                },
                code: reply.code,
            };
            let Some(blocked) = blocked else {
                return Verdict {
                    cause: Some(Cause::ServerDataConnectTimeout),
                    device: Some(NodeId::Server),
                    event: refusal_event(events, reply.code).map(|event| event.index),
                    summary: say::server_gave_up(command, reply.code),
                    ..base
                };
            };
            let (rule, reason, rejected) = blocked_details(blocked);
            let place = label(blocked.device).to_ascii_lowercase();
            let target = blocked.kind.packet().map(|packet| packet.dst);
            let private_target = target.is_some_and(|addr| is_private(addr.ip()));
            let (cause, summary) = if blocked.device == NodeId::Internet && private_target {
                (
                    Cause::AddressUnreachable,
                    say::active_unreachable(&target.map(|addr| addr.to_string()).unwrap_or_default(), &gave_up),
                )
            } else if rejected {
                (Cause::DataConnectionRefused, say::active_refused(&place, &rule, &gave_up))
            } else {
                (Cause::ServerDataConnectTimeout, say::active_dropped(&place, &rule, &reason, &gave_up))
            };
            Verdict {
                cause: Some(cause),
                device: Some(blocked.device),
                rule: Some(rule),
                event: Some(blocked.index),
                summary,
                fix: Some(fix_for_blocked_active(scenario, helper_on_late, blocked.device)),
                ..base
            }
        }
        // curl read pyftpdlib's 421 ("Passive data channel timed out") after its own connect
        // had failed: the data connection is what failed.
        ClientFailure::Refused { reply, .. } if reply.code == 421 && blocked.is_some() => {
            let target = blocked.and_then(|event| event.kind.packet()).map(|packet| packet.dst);
            passive_verdict(scenario, target, ConnectError::TimedOut, blocked, base)
        }
        ClientFailure::DataConnect { target, .. } | ClientFailure::DataConnectTimeout { target, .. } => {
            let error = match &failure {
                ClientFailure::DataConnect { error, .. } => *error,
                _ => ConnectError::TimedOut,
            };
            passive_verdict(scenario, Some(*target), error, blocked, base)
        }
        ClientFailure::AcceptTimeout { after } => Verdict {
            cause: Some(Cause::ClientAcceptTimeout),
            device: blocked.map(|event| event.device),
            event: blocked.map(|event| event.index),
            summary: say::accept_timeout(&after.to_string()),
            fix: Some(say::FIX_PASSIVE.to_owned()),
            ..base
        },
        ClientFailure::Refused { command, reply } if command.starts_with("USER") || command.starts_with("PASS") => {
            Verdict {
                cause: Some(Cause::LoginRefused),
                device: Some(NodeId::Server),
                event: refusal_event(events, reply.code).map(|event| event.index),
                summary: say::login_refused(reply.code, &reply.text()),
                fix: Some(say::FIX_LOGIN.to_owned()),
                ..base
            }
        }
        ClientFailure::Refused { command, reply } => Verdict {
            cause: Some(Cause::CommandRefused),
            device: Some(NodeId::Server),
            event: refusal_event(events, reply.code).map(|event| event.index),
            summary: say::command_refused(command, reply.code, &reply.text()),
            // On IPv4 curl falls back to PASV by itself; on IPv6 PASV cannot carry the address.
            fix: if matches!(reply.code, 500 | 502) && command.starts_with("EPSV") {
                Some(say::FIX_NO_EPSV_ON_IPV6.to_owned())
            } else if no_data_set_up(reply) {
                Some(say::FIX_DATA_SET_UP_FIRST.to_owned())
            } else {
                None
            },
            ..base
        },
        ClientFailure::ControlConnect { error } => Verdict {
            cause: Some(Cause::ControlConnectFailed),
            summary: say::control_connect_failed(engine::connect_error(*error)),
            ..base
        },
        ClientFailure::ReplyTimeout { command, after } => Verdict {
            cause: Some(Cause::ReplyTimeout),
            summary: say::reply_timeout(command, &after.to_string()),
            ..base
        },
        ClientFailure::ControlClosed | ClientFailure::DataReset | ClientFailure::UnreadableReply { .. } => {
            Verdict { cause: Some(Cause::ControlClosed), summary: say::broke_off(&engine::failure(&failure)), ..base }
        }
    }
}

/// A passive data connection that failed, at `target` (where the client connected).
fn passive_verdict(
    scenario: &Scenario,
    target: Option<std::net::SocketAddr>,
    error: ConnectError,
    blocked: Option<&TraceEvent>,
    base: Verdict,
) -> Verdict {
    let (device, rule, event, rejected) = match blocked {
        Some(event) => {
            let (rule, _, rejected) = blocked_details(event);
            (Some(event.device), Some(rule), Some(event.index), rejected)
        }
        None => (None, None, None, false),
    };
    let private_target = target.is_some_and(|target| is_private(target.ip()));
    let cause = if private_target && device == Some(NodeId::Internet) || error == ConnectError::Unreachable {
        Cause::AddressUnreachable
    } else if rejected || error == ConnectError::Refused {
        Cause::DataConnectionRefused
    } else {
        Cause::ClientDataConnectTimeout
    };
    let target = target.unwrap_or_else(|| std::net::SocketAddr::from(([0, 0, 0, 0], 0)));
    let (summary, fix) = explain_passive_failure(scenario, target, cause, device);
    Verdict { cause: Some(cause), device, rule, event, summary, fix: Some(fix), ..base }
}

fn explain_refused_address(
    scenario: &Scenario,
    helper_on_late: bool,
    command: &str,
    code: u16,
    announced: Option<std::net::SocketAddr>,
) -> (String, String) {
    let verb = &command[..4.min(command.len())];
    let announced_ip = announced.map(|addr| addr.ip().to_string()).unwrap_or_default();
    let private = announced.is_some_and(|addr| is_private(addr.ip()));
    let bounce = scenario.bounce_to.is_some_and(|ip| announced.is_some_and(|addr| addr.ip() == ip));
    let server = scenario.server.as_str();
    let summary = if bounce {
        say::refused_bounce(code, verb, &announced_ip, server)
    } else if private {
        say::refused_private(code, verb, &announced_ip, server)
    } else {
        say::refused_other(code, verb, &announced_ip)
    };
    let helper_watches = scenario.helper_ports.contains(&scenario.control_port);
    let fix = if bounce {
        say::FIX_BOUNCE.to_owned()
    } else if helper_on_late {
        say::FIX_HELPER_SWITCHED_ON_LATE.to_owned()
    } else if scenario.client_alg && scenario.control_encrypted {
        say::FIX_HELPER_BLIND_ENCRYPTED.to_owned()
    } else if scenario.client_alg && !helper_watches {
        say::fix_helper_not_watching(
            &engine::join(&scenario.helper_ports),
            scenario.helper_ports.len() != 1,
            scenario.control_port,
        )
    } else {
        say::FIX_PASSIVE_OR_HELPER_REWRITE.to_owned()
    };
    (summary, fix)
}

fn fix_for_blocked_active(scenario: &Scenario, helper_on_late: bool, device: NodeId) -> String {
    match device {
        NodeId::HomeRouter if helper_on_late => say::FIX_HELPER_SWITCHED_ON_LATE.to_owned(),
        NodeId::HomeRouter if scenario.client_alg && scenario.control_encrypted => {
            say::FIX_HELPER_BLIND_ENCRYPTED.to_owned()
        }
        NodeId::HomeRouter if scenario.client_alg && !scenario.helper_ports.contains(&scenario.control_port) => {
            say::fix_helper_port(scenario.control_port)
        }
        NodeId::HomeRouter => say::FIX_PASSIVE_OR_HELPER_ADMIT.to_owned(),
        NodeId::Internet => say::FIX_PASSIVE_OR_HELPER_PUBLIC.to_owned(),
        _ => say::FIX_PASSIVE.to_owned(),
    }
}

fn explain_passive_failure(
    scenario: &Scenario,
    target: std::net::SocketAddr,
    cause: Cause,
    device: Option<NodeId>,
) -> (String, String) {
    let label = |node: NodeId| node.label(scenario.server_nat_active()).to_ascii_lowercase();
    let place = device.map(label);
    let (low, high) = scenario.numbers.passive_range;
    match cause {
        Cause::AddressUnreachable => (say::passive_unreachable(target), say::FIX_SERVER_NAT.to_owned()),
        Cause::DataConnectionRefused => {
            (say::passive_refused(target, place.as_deref()), say::fix_open_passive_range(low, high))
        }
        _ => {
            let at_server =
                scenario.server_firewall == ServerFirewall::ControlOnly || device == Some(NodeId::ServerEdge);
            let fix = if at_server && scenario.server_alg && scenario.control_encrypted {
                say::FIX_SERVER_HELPER_BLIND_ENCRYPTED.to_owned()
            } else if at_server {
                say::fix_open_passive_range_or_helper(low, high)
            } else {
                say::FIX_LET_IT_THROUGH.to_owned()
            };
            (say::passive_timeout(target, place.as_deref()), fix)
        }
    }
}
/// vsftpd's 425 for a transfer command with no PORT, EPRT, PASV or EPSV accepted before it (a
/// student at the console): no data connection was ever tried, so none failed.
fn no_data_set_up(reply: &Reply) -> bool {
    reply.code == 425 && reply.text().starts_with("Use PORT or PASV first")
}
