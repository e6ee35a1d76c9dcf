//! Verdicts: how a run ended, why, who is responsible, and what would fix it.
//!
//! A verdict is read off the finished trace and the client's outcome. For a failure it names
//! the [`Cause`], the device and rule responsible, and the event where it went wrong — the
//! dropped SYN, or the reply that refused — so the page can jump there and the caption can
//! explain it. The `fix` sentence names the setting that would have made the run work.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::scenario::{PASSIVE_RANGE, Scenario, ServerFirewall};
use super::trace::{EventKind, NodeId, Role, TraceEvent};
use crate::ftp::ConnectError;
use crate::ftp::FtpTrace;
use crate::ftp::client::{ClientFailure, FtpClient, Outcome};
use crate::ftp::codec::Command;
use crate::net::packet::{Channel, PacketKind, is_private};

/// Why a run failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// The server refused the address in `PORT`/`EPRT` (500/501/522).
    ServerRefusedAddress,
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
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::ServerRefusedAddress => "server-refused-address",
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

fn blocked_details(event: &TraceEvent) -> (String, String, bool) {
    match &event.kind {
        EventKind::PacketDropped { rule, reason, .. } => (rule.clone(), reason.clone(), false),
        EventKind::PacketRejected { rule, reason, .. } => (rule.clone(), reason.clone(), true),
        _ => (String::new(), String::new(), false),
    }
}

/// The event where the server refused the address in PORT/EPRT.
fn refusal_event(events: &[TraceEvent], code: u16) -> Option<&TraceEvent> {
    events.iter().rev().find(|event| {
        matches!(&event.kind, EventKind::Ftp { role: Role::Server, event: FtpTrace::ReplySent(reply) } if reply.code == code)
    })
}

/// Reads the verdict off a finished run.
pub fn judge(scenario: &Scenario, client: &FtpClient, events: &[TraceEvent], stalled: bool) -> Verdict {
    let final_reply = client.last_reply().map(|reply| reply.code);
    let transfers_done = client.results().len();
    let transfers_asked = scenario.transfers as usize;
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
    let failure = match client.outcome() {
        Some(Outcome::Completed) => {
            let noun = if transfers_done == 1 { "transfer" } else { "transfers" };
            return Verdict {
                outcome: RunOutcome::Ok,
                summary: format!(
                    "The session completed: {transfers_done} {noun} over {} data connection{}, all commanded through one control connection.",
                    transfers_done,
                    if transfers_done == 1 { "" } else { "s" }
                ),
                ..base
            };
        }
        Some(Outcome::Failed { failure }) => failure.clone(),
        None => {
            return Verdict {
                cause: Some(Cause::Stalled),
                summary: if stalled {
                    "The run was stopped by the simulator's step limit before the session ended.".to_owned()
                } else {
                    "The session never finished: nothing was left to happen, yet the client was still waiting."
                        .to_owned()
                },
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
            let (summary, fix) = explain_refused_address(scenario, command, reply.code, announced);
            Verdict {
                cause: Some(Cause::ServerRefusedAddress),
                device: Some(NodeId::Server),
                rule: Some("port_promiscuous=NO: PORT/EPRT must name the control connection's own address".to_owned()),
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
                summary: format!(
                    "The server refused the data connection for {command}: it came from an address other than the control connection's."
                ),
                fix: Some("Make both connections leave through the same public address.".to_owned()),
                ..base
            }
        }
        ClientFailure::Refused { command, reply } if reply.code == 425 => {
            let Some(blocked) = blocked else {
                return Verdict {
                    cause: Some(Cause::ServerDataConnectTimeout),
                    device: Some(NodeId::Server),
                    event: refusal_event(events, 425).map(|event| event.index),
                    summary: format!("The server could not open the data connection for {command} and answered 425."),
                    ..base
                };
            };
            let (rule, reason, rejected) = blocked_details(blocked);
            let target = blocked.kind.packet().map(|packet| packet.dst);
            let private_target = target.is_some_and(|addr| is_private(addr.ip()));
            let (cause, summary) = if blocked.device == NodeId::Internet && private_target {
                (
                    Cause::AddressUnreachable,
                    format!(
                        "The server tried to connect back to {}, the private address the client announced; the internet cannot deliver to a private address, so vsftpd gave up with 425.",
                        target.map(|addr| addr.to_string()).unwrap_or_default()
                    ),
                )
            } else if rejected {
                (
                    Cause::DataConnectionRefused,
                    format!(
                        "The server's connection back to the client was refused by the {} ({rule}), so vsftpd answered 425 at once.",
                        label(blocked.device).to_ascii_lowercase()
                    ),
                )
            } else {
                (
                    Cause::ServerDataConnectTimeout,
                    format!(
                        "The server tried to open the data connection back to the client, but the {} dropped its SYN ({rule}: {reason}). After connect_timeout vsftpd gave up with 425.",
                        label(blocked.device).to_ascii_lowercase()
                    ),
                )
            };
            Verdict {
                cause: Some(cause),
                device: Some(blocked.device),
                rule: Some(rule),
                event: Some(blocked.index),
                summary,
                fix: Some(fix_for_blocked_active(scenario, blocked.device)),
                ..base
            }
        }
        ClientFailure::DataConnect { target, .. } | ClientFailure::DataConnectTimeout { target, .. } => {
            let error = match &failure {
                ClientFailure::DataConnect { error, .. } => *error,
                _ => ConnectError::TimedOut,
            };
            let (device, rule, event, rejected) = match blocked {
                Some(event) => {
                    let (rule, _, rejected) = blocked_details(event);
                    (Some(event.device), Some(rule), Some(event.index), rejected)
                }
                None => (None, None, None, false),
            };
            let private_target = is_private(target.ip());
            let cause = if private_target && device == Some(NodeId::Internet) || error == ConnectError::Unreachable {
                Cause::AddressUnreachable
            } else if rejected || error == ConnectError::Refused {
                Cause::DataConnectionRefused
            } else {
                Cause::ClientDataConnectTimeout
            };
            let (summary, fix) = explain_passive_failure(scenario, *target, cause, device);
            Verdict { cause: Some(cause), device, rule, event, summary, fix: Some(fix), ..base }
        }
        ClientFailure::AcceptTimeout { after } => Verdict {
            cause: Some(Cause::ClientAcceptTimeout),
            device: blocked.map(|event| event.device),
            event: blocked.map(|event| event.index),
            summary: format!("The server said 150 but its data connection never arrived within {after}."),
            fix: Some("Use passive mode.".to_owned()),
            ..base
        },
        ClientFailure::Refused { command, reply } if command.starts_with("USER") || command.starts_with("PASS") => {
            Verdict {
                cause: Some(Cause::LoginRefused),
                device: Some(NodeId::Server),
                event: refusal_event(events, reply.code).map(|event| event.index),
                summary: format!(
                    "The server refused the login: {} {}.",
                    reply.code,
                    reply.text().trim_end_matches('.')
                ),
                fix: Some("Log in as anonymous, or with the demo account demo / demo.".to_owned()),
                ..base
            }
        }
        ClientFailure::Refused { command, reply } => Verdict {
            cause: Some(Cause::CommandRefused),
            device: Some(NodeId::Server),
            event: refusal_event(events, reply.code).map(|event| event.index),
            summary: format!(
                "The server answered {command} with {} {}.",
                reply.code,
                reply.text().trim_end_matches('.')
            ),
            fix: (reply.code == 500 && command.starts_with("EPSV"))
                .then(|| "Use Auto mode: it falls back to PASV when the server does not understand EPSV.".to_owned()),
            ..base
        },
        ClientFailure::ControlConnect { error } => Verdict {
            cause: Some(Cause::ControlConnectFailed),
            summary: format!("The control connection could not be opened: {error}."),
            ..base
        },
        ClientFailure::ReplyTimeout { command, after } => Verdict {
            cause: Some(Cause::ReplyTimeout),
            summary: format!("The server did not answer {command} within {after}."),
            ..base
        },
        ClientFailure::ControlClosed | ClientFailure::DataReset | ClientFailure::UnreadableReply { .. } => {
            Verdict { cause: Some(Cause::ControlClosed), summary: format!("The session broke off: {failure}."), ..base }
        }
    }
}

fn explain_refused_address(
    scenario: &Scenario,
    command: &str,
    code: u16,
    announced: Option<std::net::SocketAddr>,
) -> (String, String) {
    let verb = &command[..4.min(command.len())];
    let announced_ip = announced.map(|addr| addr.ip().to_string()).unwrap_or_else(|| "an address".to_owned());
    let private = announced.is_some_and(|addr| is_private(addr.ip()));
    let summary = if scenario.bounce_to.is_some() {
        format!(
            "The server answered {code}: the {verb} command names {announced_ip}, a third host, not the client itself. vsftpd refuses this so nobody can use it to attack other hosts (an FTP bounce)."
        )
    } else if private {
        format!(
            "The server answered {code}: the {verb} command names {announced_ip}, the client's private address behind the home router's NAT, while the control connection comes from the router's public address. vsftpd refuses an address that is not the control connection's."
        )
    } else {
        format!(
            "The server answered {code}: the {verb} command names {announced_ip}, not the address the control connection comes from."
        )
    };
    let helper_watches = scenario.helper_ports.contains(&scenario.control_port);
    let fix = if scenario.bounce_to.is_some() {
        "Nothing to fix: this refusal is the protection working. A normal client announces its own address.".to_owned()
    } else if scenario.client_alg && scenario.control_encrypted {
        "The FTP helper cannot read an encrypted control connection, so it could not rewrite the address. Use passive mode.".to_owned()
    } else if scenario.client_alg && !helper_watches {
        format!(
            "The home router's FTP helper only watches port{} {}, but this server listens on {}. Assign the helper to port {} too, or use passive mode.",
            if scenario.helper_ports.len() == 1 { "" } else { "s" },
            join_ports(&scenario.helper_ports),
            scenario.control_port,
            scenario.control_port
        )
    } else {
        "Use passive mode (PASV or EPSV), or turn on the FTP helper (ALG) on the home router so it rewrites the address to the public one.".to_owned()
    };
    (summary, fix)
}

fn join_ports(ports: &[u16]) -> String {
    let texts: Vec<String> = ports.iter().map(u16::to_string).collect();
    texts.join(", ")
}

fn fix_for_blocked_active(scenario: &Scenario, device: NodeId) -> String {
    match device {
        NodeId::HomeRouter if scenario.client_alg && !scenario.helper_ports.contains(&scenario.control_port) => format!(
            "The FTP helper does not watch port {}. Assign it to that port, or use passive mode.",
            scenario.control_port
        ),
        NodeId::HomeRouter => {
            "Use passive mode, or turn on the FTP helper (ALG) on the home router so it lets the announced data connection in.".to_owned()
        }
        NodeId::Internet => {
            "Use passive mode, or turn on the FTP helper on the home router so PORT carries the public address.".to_owned()
        }
        _ => "Use passive mode.".to_owned(),
    }
}

fn explain_passive_failure(
    scenario: &Scenario,
    target: std::net::SocketAddr,
    cause: Cause,
    device: Option<NodeId>,
) -> (String, String) {
    let label = |node: NodeId| node.label(scenario.server_nat_active()).to_ascii_lowercase();
    match cause {
        Cause::AddressUnreachable => (
            format!(
                "The client connected to {target}, the address inside the server's 227 reply. It is the server's private address behind its NAT router: nothing on the internet can reach it."
            ),
            "Any one of these fixes it: use EPSV (its reply carries no address); set the server's public address for 227 (vsftpd pasv_address); turn on the FTP helper on the server's router; or use a client that reuses the control connection's address (curl since 7.74, Python's ftplib).".to_owned(),
        ),
        Cause::DataConnectionRefused => (
            format!(
                "The client's data connection to {target} was refused{}.",
                device.map(|node| format!(" by the {}", label(node))).unwrap_or_default()
            ),
            format!("Open the passive port range {}–{} on the server firewall.", PASSIVE_RANGE.0, PASSIVE_RANGE.1),
        ),
        _ => {
            let at = device.map(|node| format!(" The {} dropped its SYN every time.", label(node))).unwrap_or_default();
            let fix = if scenario.server_firewall == ServerFirewall::ControlOnly || device == Some(NodeId::ServerEdge) {
                format!(
                    "Open the passive port range {}–{} on the server firewall, or turn on the FTP helper on the server side so it lets the announced data connection in.",
                    PASSIVE_RANGE.0, PASSIVE_RANGE.1
                )
            } else {
                "Let the data connection through the device that dropped it.".to_owned()
            };
            (format!("The client's data connection to {target} never got an answer.{at}"), fix)
        }
    }
}
