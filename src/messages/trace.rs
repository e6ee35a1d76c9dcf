//! The trace's one-line account of each event: what happened, precisely, with addresses,
//! flags and rules. The transcript, the terminal runner and the snapshot tests read these.
//! `who` is a place name from [`super::places`].

use std::net::SocketAddr;

use super::engine;
use super::places;
use crate::ftp::codec::{Command, Reply};
use crate::ftp::{FtpTrace, Note};
use crate::net::device::{HelperNote, Refusal};
use crate::net::packet::{Channel, PacketKind};
use crate::net::tcp::TcpState;
use crate::time::Duration;

/// "The session starts: Active (PORT) mode, IPv4; home router: …"
pub fn session_starts(settings: &str) -> String {
    format!("The session starts: {settings}.")
}

/// The settings of a run in one line, for the first event.
#[allow(clippy::too_many_arguments)]
pub fn settings_line(
    mode: &str,
    ip: &str,
    firewall: bool,
    nat: bool,
    helper: bool,
    server_firewall: &str,
    server_nat: bool,
) -> String {
    format!(
        "{mode} mode, {ip}; home router: firewall {}, NAT {}, FTP helper {}; server firewall {server_firewall}{}",
        super::on_off(firewall),
        super::on_off(nat),
        super::on_off(helper),
        if server_nat { ", server behind NAT" } else { "" }
    )
}

/// The teacher changed settings mid-session (a branch).
pub fn settings_changed(description: &str) -> String {
    format!("The teacher changes the settings here: {description}. The session continues from this moment.")
}

/// Added to a branch's description when an FTP helper was switched on.
pub const HELPER_SWITCHED_ON_LATE: &str = " (as in Linux, an FTP helper only follows connections that start after it is switched on: the control connection already open stays unwatched)";

/// The verdict event.
pub fn verdict(ok: bool, summary: &str) -> String {
    if ok { format!("Verdict: {summary}") } else { format!("Verdict: failed. {summary}") }
}

/// A client-side timer's name (the server's carry vsftpd's option names).
pub const CLIENT_CONNECT_TIMEOUT: &str = "data connect timeout";
pub const CLIENT_ACCEPT_TIMEOUT: &str = "accept timeout";
pub const CLIENT_REPLY_TIMEOUT: &str = "reply timeout";

pub fn timer_ran_out(who: &str, name: &str, after: Duration) -> String {
    format!("{who}: {name} ran out ({after}).")
}

pub fn timer_armed(who: &str, name: &str, after: Duration) -> String {
    format!("{who} starts its {name}: it will wait up to {after}.")
}

pub fn listening(who: &str, local: SocketAddr) -> String {
    format!("{who} opens a listening socket on {local}, waiting for the data connection.")
}

pub fn tcp_state(
    who: &str,
    channel: Channel,
    local: SocketAddr,
    remote: SocketAddr,
    from: TcpState,
    to: TcpState,
) -> String {
    format!("{who}: the {} {local} ↔ {remote} goes from {from} to {to}.", places::channel(channel))
}

pub fn syn_retransmitted(
    who: &str,
    local: SocketAddr,
    remote: SocketAddr,
    attempt: u32,
    of: u32,
    next_wait: Duration,
) -> String {
    format!(
        "{who} has had no answer to its SYN {local} → {remote} and sends it again (retry {attempt} of {of}); next wait {next_wait}."
    )
}

/// Why a host sends a packet: " to open the data connection 1".
pub fn purpose(kind: PacketKind, channel: Channel) -> String {
    let channel_name = places::channel(channel);
    match kind {
        PacketKind::Syn => format!(" to open the {channel_name}"),
        PacketKind::SynAck => format!(" to accept the {channel_name}"),
        PacketKind::Ack => format!(" on the {channel_name}"),
        PacketKind::Data if channel == Channel::Control => String::new(),
        PacketKind::Data => format!(", part of the transfer on the {channel_name}"),
        PacketKind::Fin => format!(" to close its side of the {channel_name}"),
        PacketKind::Rst => format!(" to abort the {channel_name}"),
        PacketKind::Icmp => String::new(),
    }
}

pub fn sends(who: &str, summary: &str, purpose: &str) -> String {
    format!("{who} sends {summary}{purpose}.")
}

pub fn receives(who: &str, summary: &str) -> String {
    format!("{who} receives {summary}.")
}

pub fn discards(who: &str, summary: &str, reason: &Refusal) -> String {
    format!("{who} discards {summary}: {}.", engine::refusal(reason, true))
}

/// "Home router forwards SYN …, having rewritten the source … (NAT) — allowed by rule 2: …."
pub fn forwards(
    who: &str,
    summary: &str,
    source: Option<(SocketAddr, SocketAddr)>,
    destination: Option<(SocketAddr, SocketAddr)>,
    allowed_by: Option<&str>,
) -> String {
    let mut text = format!("{who} forwards {summary}");
    if let Some((before, after)) = source {
        text.push_str(&format!(", having rewritten the source {before} → {after} (NAT)"));
    }
    if let Some((before, after)) = destination {
        text.push_str(&format!(", having rewritten the destination {before} → {after} (NAT)"));
    }
    if let Some(rule) = allowed_by {
        text.push_str(&format!(" — allowed by {rule}"));
    }
    text.push('.');
    text
}

pub fn drops(
    who: &str,
    summary: &str,
    channel: Option<Channel>,
    rule: &str,
    reason: &Refusal,
    home_side: bool,
) -> String {
    let channel = channel.map(|channel| format!(" ({})", places::channel(channel))).unwrap_or_default();
    format!("{who} drops {summary}{channel}: {rule} — {}.", engine::refusal(reason, home_side))
}

pub fn rejects(who: &str, summary: &str, answer: &str, rule: &str, reason: &Refusal, home_side: bool) -> String {
    format!("{who} refuses {summary} and answers with {answer}: {rule} — {}.", engine::refusal(reason, home_side))
}

/// What a new or removed conntrack entry is: "the NAT mapping a ↔ b (for c)".
pub fn nat_mapping(inside: SocketAddr, public: SocketAddr, peer: SocketAddr) -> String {
    format!("the NAT mapping {inside} ↔ {public} (for {peer})")
}

pub fn port_forwarding(public: SocketAddr, inside: SocketAddr) -> String {
    format!("the forwarding {public} → {inside}")
}

pub fn tracked_connection(connection: &str) -> String {
    format!("the connection {connection}")
}

pub fn starts_tracking(who: &str, what: &str, related: bool) -> String {
    let how = if related { " (RELATED: announced by the FTP helper)" } else { "" };
    format!("{who} starts tracking {what}{how}.")
}

pub fn forgets(who: &str, what: &str) -> String {
    format!("{who} forgets {what}: the connection has closed.")
}

pub fn expectation_added(
    who: &str,
    announced_by: &str,
    from: &str,
    to: SocketAddr,
    then_to: Option<SocketAddr>,
) -> String {
    let redirect = then_to.map(|to| format!(" and send it on to {to}")).unwrap_or_default();
    format!(
        "{who}'s FTP helper read the {announced_by} and now expects a connection from {from} to {to}: it will let it in as RELATED{redirect}."
    )
}

pub fn expectation_used(who: &str, to: SocketAddr) -> String {
    format!("{who}: this new connection to {to} is the one the FTP helper expected, so it counts as RELATED.")
}

pub fn payload_rewritten(who: &str, before: &str, after: &str) -> String {
    format!("{who}'s FTP helper rewrites \"{before}\" into \"{after}\" so the address inside is the public one.")
}

pub fn helper_note(who: &str, note: &HelperNote) -> String {
    format!("{who}'s FTP helper: {}.", engine::helper_note(note))
}

/// An FTP engine's event.
pub fn ftp(who: &str, event: &FtpTrace) -> String {
    super::sentence(match event {
        FtpTrace::CommandSent(command) => {
            format!("{who} sends the command {}{}", shown(command), explain_command(command))
        }
        FtpTrace::CommandReceived(command) => {
            format!("{who} receives the command {}{}", shown(command), explain_command(command))
        }
        FtpTrace::CommandRejected(why) => format!("{who} cannot read a command: {why}"),
        FtpTrace::ReplySent(reply) => format!("{who} replies {}{}", reply_text(reply), explain_reply(reply)),
        FtpTrace::ReplyReceived(reply) => {
            format!("{who} receives the reply {}{}", reply_text(reply), explain_reply(reply))
        }
        FtpTrace::ReplyUnreadable(why) => format!("{who} cannot read a reply line: {why}"),
        FtpTrace::State { from, to } => format!("{who}'s FTP session goes from {from} to {to}"),
        FtpTrace::Note(note) => note_line(who, note),
    })
}

/// A command in a sentence; quoted when it ends with a full stop (`CWD ..`), which the sentence's
/// own full stop would otherwise swallow.
fn shown(command: &Command) -> String {
    let text = command.to_string();
    if text.ends_with('.') { format!("\"{text}\"") } else { text }
}

/// "Client gives up: …", "Server refuses PORT …".
pub fn note_line(who: &str, note: &Note) -> String {
    super::sentence(format!("{who} {}", engine::note(note)))
}

/// A reply on one line: `227 Entering Passive Mode (…)`, or the first of several lines.
pub fn reply_text(reply: &Reply) -> String {
    match reply.lines.as_slice() {
        [only] => format!("{} {only}", reply.code),
        lines => {
            format!("{} {} … ({} lines)", reply.code, lines.first().map(String::as_str).unwrap_or(""), lines.len())
        }
    }
}

/// What a command's address means, e.g. ` (= 192.168.1.2:5200: "connect to me here")`.
pub fn explain_command(command: &Command) -> String {
    match command {
        Command::Port(addr) => format!(" (= {addr}: \"connect to me here\")"),
        Command::Eprt(addr) => format!(" (= {addr}: \"connect to me here\")"),
        Command::Pasv => " (\"open a port for me and tell me where\")".to_owned(),
        Command::Epsv(_) => " (\"open a port for me and tell me its number\")".to_owned(),
        _ => String::new(),
    }
}

/// What a reply's address means, e.g. ` (= 198.51.100.10:50000)`.
pub fn explain_reply(reply: &Reply) -> String {
    use crate::ftp::codec::{parse_extended_passive_reply, parse_passive_reply, reply_code};
    match reply.code {
        reply_code::PASSIVE => parse_passive_reply(reply).map(|addr| format!(" (= {addr})")).unwrap_or_default(),
        reply_code::EXTENDED_PASSIVE => parse_extended_passive_reply(reply)
            .map(|port| format!(" (= port {port} on the server)"))
            .unwrap_or_default(),
        _ => String::new(),
    }
}
