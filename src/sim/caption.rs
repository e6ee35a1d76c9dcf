//! Captions: one or two plain sentences for each event, written for students.
//!
//! The trace's own text says precisely what happened (addresses, flags, rule numbers). A
//! caption says what it *means*: why a router rewrites an address, why a firewall drops a
//! packet, what a reply asks the client to do. At the verdict it says why the session failed
//! and which setting would have fixed it.

use serde::Serialize;

use super::scenario::Scenario;
use super::timeline::Timeline;
use super::trace::{EventKind, NodeId, Role, TraceEvent};
use crate::ftp::FtpTrace;
use crate::ftp::codec::{Command, Reply, parse_extended_passive_reply, parse_passive_reply};
use crate::net::device::DeviceEvent;
use crate::net::packet::{Channel, PacketKind, is_private};
use crate::net::tcp::TcpState;

/// A caption: a short headline and one or two sentences.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Caption {
    pub headline: String,
    pub body: String,
}

fn caption(headline: impl Into<String>, body: impl Into<String>) -> Caption {
    Caption { headline: headline.into(), body: body.into() }
}

/// The caption for event `index` of a timeline.
pub fn for_event(timeline: &Timeline, index: usize) -> Caption {
    let Some(event) = timeline.events().get(index) else {
        return caption("Nothing here", "This session has no event at that position.");
    };
    let scenario = timeline.scenario();
    let label = |node: NodeId| node.label(scenario.server_nat_active());
    match &event.kind {
        EventKind::SettingsChanged { .. } if index == 0 => caption(
            "The session starts",
            format!(
                "The client will open a control connection to the server's port {} and log in. Every transfer then needs a data connection of its own — set up in {} mode.",
                scenario.control_port,
                scenario.mode.label()
            ),
        ),
        EventKind::SettingsChanged { description } => {
            caption("Settings changed mid-session", format!("From here on: {description}."))
        }
        EventKind::PacketSent { packet, .. } => {
            let who = label(event.device);
            let (headline, body) = match (packet.kind, packet.channel) {
                (PacketKind::Syn, Channel::Control) => (
                    "Opening the control connection".to_owned(),
                    format!(
                        "{who} sends a SYN, the first packet of a new TCP connection, to port {}. This control connection will carry every command and reply, and stays open all session.",
                        packet.dst.port()
                    ),
                ),
                (PacketKind::Syn, Channel::Data(n)) => (
                    format!("{who} opens data connection {n}"),
                    if event.device == NodeId::Server {
                        format!(
                            "This is active mode: the server starts the data connection, from port {} towards {}. Watch whether the client's side lets it in.",
                            packet.src.port(),
                            packet.dst
                        )
                    } else {
                        format!(
                            "This is passive mode: the client starts the data connection itself, towards {}, just as it started the control connection.",
                            packet.dst
                        )
                    },
                ),
                (PacketKind::SynAck, _) => (
                    format!("{who} accepts"),
                    "A SYN-ACK answers a SYN: \"yes, let's connect\". One more ACK and the connection is established."
                        .to_owned(),
                ),
                (PacketKind::Data, Channel::Control) => (
                    format!("{who} sends on the control connection"),
                    format!("\"{}\" travels inside a TCP segment, like any other data.", packet.preview),
                ),
                (PacketKind::Data, Channel::Data(n)) => (
                    format!("Data on data connection {n}"),
                    format!(
                        "{} bytes of the transfer itself. File contents and listings never travel on the control connection.",
                        packet.payload_len
                    ),
                ),
                (PacketKind::Fin, channel) => (
                    format!("{who} closes its side"),
                    format!("A FIN says \"I have nothing more to send\" on the {channel}."),
                ),
                (PacketKind::Rst, channel) => (format!("{who} aborts"), format!("A reset ends the {channel} at once.")),
                _ => (format!("{who} sends a packet"), event.text.clone()),
            };
            caption(headline, body)
        }
        EventKind::PacketForwarded { packet, before, to, .. } => {
            forwarded_caption(scenario, event, packet, before.as_ref(), *to)
        }
        EventKind::PacketDelivered { packet } => caption(
            format!("{} receives it", label(event.device)),
            format!(
                "The {} {} arrives at its destination.",
                packet.flags,
                match packet.channel {
                    Channel::Control => "segment of the control connection".to_owned(),
                    Channel::Data(n) => format!("segment of data connection {n}"),
                }
            ),
        ),
        EventKind::PacketDropped { packet, rule, reason } => {
            let place = label(event.device);
            let body = if event.device == NodeId::Internet && is_private(packet.dst.ip()) {
                format!(
                    "{} is a private address. Thousands of home and office networks use the same private addresses, so internet routers have no route to them: the packet simply cannot go anywhere.",
                    packet.dst.ip()
                )
            } else if packet.kind == PacketKind::Syn {
                format!(
                    "{place} throws this SYN away silently ({rule}): {reason}. The sender hears nothing and will try again, and again, until it gives up."
                )
            } else {
                format!("{place} throws this packet away ({rule}): {reason}.")
            };
            caption(format!("{place} drops the packet"), body)
        }
        EventKind::PacketRejected { rule, reason, response, .. } => caption(
            format!("{} refuses the packet", label(event.device)),
            format!(
                "{reason} ({rule}). It answers with {}, so the sender learns at once instead of waiting.",
                response.flags
            ),
        ),
        EventKind::SynRetransmitted { attempt, next_wait, remote, .. } => caption(
            format!("No answer — trying again ({attempt} of 6)"),
            format!(
                "{} has heard nothing back from {remote}, so it sends the SYN again. TCP doubles its wait each time; next wait {next_wait}.",
                label(event.device)
            ),
        ),
        EventKind::TcpState { channel, to, .. } => tcp_caption(label(event.device), *channel, *to),
        EventKind::Ftp { role, event: ftp } => ftp_caption(scenario, *role, ftp, event),
        EventKind::Device { event: device_event } => device_caption(label(event.device), device_event),
        EventKind::Timer { name, armed: true, deadline, .. } => caption(
            format!("{} starts a timer", label(event.device)),
            format!("Its {name} runs until {deadline}: if the data connection is not up by then, it gives up."),
        ),
        EventKind::Timer { name, .. } => caption(
            format!("{}: {name} is over", label(event.device)),
            "Time is up. The waiting ends here, and the next event says what the program does about it.".to_owned(),
        ),
        EventKind::Verdict { verdict } => {
            if verdict.is_ok() {
                caption("It worked", verdict.summary.clone())
            } else {
                let fix = verdict.fix.as_deref().map(|fix| format!(" How to fix it: {fix}")).unwrap_or_default();
                caption(
                    format!(
                        "It failed{}",
                        verdict
                            .device
                            .map(|device| format!(" at the {}", label(device).to_ascii_lowercase()))
                            .unwrap_or_default()
                    ),
                    format!("{}{fix}", verdict.summary),
                )
            }
        }
    }
}

fn forwarded_caption(
    scenario: &Scenario,
    event: &TraceEvent,
    packet: &super::trace::PacketInfo,
    before: Option<&super::trace::PacketInfo>,
    to: NodeId,
) -> Caption {
    let place = event.device.label(scenario.server_nat_active());
    let next = to.label(scenario.server_nat_active()).to_ascii_lowercase();
    match before {
        Some(before) if before.src != packet.src => caption(
            format!("{place} translates the source address (NAT)"),
            format!(
                "The packet leaves with the router's public address {} instead of the private {}. The router notes the pair in its NAT table so the answer can find its way back.",
                packet.src, before.src
            ),
        ),
        Some(before) if before.dst != packet.dst => caption(
            format!("{place} translates the destination address"),
            format!(
                "{} is only the public side; the NAT table says the real destination is {}, so the router rewrites it and passes the packet on.",
                before.dst, packet.dst
            ),
        ),
        Some(_) => caption(
            format!("{place} passes on a rewritten packet"),
            "The FTP helper changed the text inside; the packet goes on with the new content.".to_owned(),
        ),
        None if event.device == NodeId::Internet => caption(
            "Across the internet",
            format!("Public addresses are routable: the internet carries the {} on towards the {next}.", packet.flags),
        ),
        None if packet.kind == PacketKind::Syn => caption(
            format!("{place} lets the new connection through"),
            format!("The rules allow a new connection to {} here, so the SYN goes on to the {next}.", packet.dst),
        ),
        None => caption(
            format!("{place} forwards it"),
            "This packet belongs to a connection the device already knows, so it passes straight through.".to_owned(),
        ),
    }
}

fn tcp_caption(who: &str, channel: Channel, to: TcpState) -> Caption {
    let body = match to {
        TcpState::SynSent => format!("{who} has sent its SYN for the {channel} and waits for an answer (SYN-SENT)."),
        TcpState::SynReceived => format!("{who} got a SYN for the {channel} and answered it (SYN-RECEIVED)."),
        TcpState::Established => {
            format!(
                "The three-way handshake is complete: the {channel} is ESTABLISHED at the {}.",
                who.to_ascii_lowercase()
            )
        }
        TcpState::Closed => format!("The {channel} is gone at the {} (CLOSED).", who.to_ascii_lowercase()),
        TcpState::Listen => format!("{who} listens for an incoming connection."),
        other => format!("The {channel} is closing at the {}: {other}.", who.to_ascii_lowercase()),
    };
    caption(format!("TCP: {to}"), body)
}

fn ftp_caption(scenario: &Scenario, role: Role, ftp: &FtpTrace, event: &TraceEvent) -> Caption {
    let who = event.device.label(scenario.server_nat_active());
    match (role, ftp) {
        (Role::Client, FtpTrace::CommandSent(command)) => command_caption(command),
        (Role::Server, FtpTrace::CommandReceived(command)) => caption(
            format!("The server reads: {}", command.verb()),
            match command {
                Command::Port(addr) => format!(
                    "The server is asked to connect to {addr}. It first checks that this is the address the control connection comes from."
                ),
                Command::Eprt(addr) => format!(
                    "The server is asked to connect to {addr}. It first checks that this is the address the control connection comes from."
                ),
                _ => format!("\"{command}\" has crossed the network on the control connection."),
            },
        ),
        (Role::Server, FtpTrace::ReplySent(reply)) => {
            caption(format!("The server answers {}", reply.code), reply_meaning(reply))
        }
        (Role::Client, FtpTrace::ReplyReceived(reply)) => caption(
            format!("The client reads: {} {}", reply.code, reply.lines.first().map(String::as_str).unwrap_or("")),
            reply_meaning(reply),
        ),
        (_, FtpTrace::Note(text)) => caption(format!("{who} decides"), capitalise(text)),
        (_, FtpTrace::State { from, to }) => {
            caption(format!("{who}: {to}"), format!("The FTP program moves on from {from} to {to}."))
        }
        (_, FtpTrace::CommandRejected(why)) => caption("The server cannot read a command", capitalise(why)),
        (_, FtpTrace::ReplyUnreadable(why)) => caption("The client cannot read a reply", capitalise(why)),
        (_, _) => caption(who.to_owned(), event.text.clone()),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.next().map(|c| c.to_ascii_uppercase().to_string()).unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

fn command_caption(command: &Command) -> Caption {
    let (headline, body) = match command {
        Command::User(user) => (format!("Logging in as {user}"), "USER names the account. Anonymous FTP accepts any password.".to_owned()),
        Command::Pass(_) => ("Sending the password".to_owned(), "PASS completes the login. Note that plain FTP sends it unencrypted.".to_owned()),
        Command::Type(_) => ("Choosing the transfer type".to_owned(), "TYPE A (text) for listings, TYPE I (bytes as they are) for files.".to_owned()),
        Command::Port(addr) => (
            "Active mode: \"connect to me\"".to_owned(),
            format!("The client is listening on {addr} and asks the server to open the data connection to it. The address inside the command is the client's own — private if the client is behind NAT."),
        ),
        Command::Eprt(addr) => (
            "Extended active mode: \"connect to me\"".to_owned(),
            format!("Like PORT, but in a format that also fits IPv6: the client waits on {addr} for the server to connect."),
        ),
        Command::Pasv => (
            "Passive mode: \"you listen, I connect\"".to_owned(),
            "The client asks the server to open a port for the data connection and say where it is.".to_owned(),
        ),
        Command::Epsv(_) => (
            "Extended passive mode".to_owned(),
            "Like PASV, but the server will answer with a port number only: the client reuses the address it already talks to.".to_owned(),
        ),
        Command::List(_) | Command::Nlst(_) => (
            "Asking for a listing".to_owned(),
            "The listing will come back over the data connection, not the control connection.".to_owned(),
        ),
        Command::Retr(path) => ("Asking for a file".to_owned(), format!("RETR {path}: the file will come over the data connection.")),
        Command::Stor(path) => ("Uploading a file".to_owned(), format!("STOR {path}: the client will send the file over the data connection.")),
        Command::Quit => ("Saying goodbye".to_owned(), "QUIT ends the session; then the control connection closes.".to_owned()),
        other => (format!("The client sends {}", other.verb()), format!("\"{other}\" goes out on the control connection.")),
    };
    caption(headline, body)
}

fn reply_meaning(reply: &Reply) -> String {
    match reply.code {
        220 => "The server greets the client: the control connection works.".to_owned(),
        331 => "The user name is accepted; now the password.".to_owned(),
        230 => "Logged in.".to_owned(),
        200 if reply.text().contains("PORT") || reply.text().contains("EPRT") => {
            "The server accepts the address. It will connect there when a transfer starts.".to_owned()
        }
        200 => "OK.".to_owned(),
        227 => match parse_passive_reply(reply) {
            Ok(addr) if is_private(std::net::IpAddr::V4(*addr.ip())) => format!(
                "The server says: connect to {addr}. But {} is a private address — the server's own address behind its NAT router.",
                addr.ip()
            ),
            Ok(addr) => format!(
                "The server opened a port and says: connect to {addr}. The six numbers are the address and the port, port = p1 × 256 + p2."
            ),
            Err(_) => "The server says where to connect, but its reply cannot be read.".to_owned(),
        },
        229 => match parse_extended_passive_reply(reply) {
            Ok(port) => format!(
                "The server opened port {port}. No address in the reply: the client connects to the same address as the control connection."
            ),
            Err(_) => "The server opened a port, but its reply cannot be read.".to_owned(),
        },
        150 => "The data connection is up and the transfer starts now.".to_owned(),
        226 => {
            "The transfer is complete and the data connection is closed. The control connection stays open for more."
                .to_owned()
        }
        221 => "Goodbye: the session ends.".to_owned(),
        425 => "\"Can't open data connection\": the server could not set up the data connection.".to_owned(),
        500 | 501 if reply.text().contains("PORT") || reply.text().contains("EPRT") => {
            "Refused: vsftpd only connects back to the address the control connection comes from, and this is not it."
                .to_owned()
        }
        500 | 502 => "The server does not understand or support this command.".to_owned(),
        530 => "Login refused.".to_owned(),
        550 | 553 => "The file operation was refused.".to_owned(),
        code if code >= 400 => "The server reports a failure.".to_owned(),
        _ => "The server answers on the control connection.".to_owned(),
    }
}

fn device_caption(who: &str, event: &DeviceEvent) -> Caption {
    match event {
        DeviceEvent::ConntrackAdded { entry } if entry.related => caption(
            format!("{who}: an expected connection"),
            "The connection tracker marks it RELATED: the FTP helper announced it, so the firewall lets it in even though it comes from outside.".to_owned(),
        ),
        DeviceEvent::ConntrackAdded { entry } => match entry.nat {
            Some(crate::net::conntrack::NatKind::Source) => caption(
                format!("{who}: new NAT mapping"),
                format!("{} ↔ {}. The router remembers which inside address belongs to this public port, so answers can be sent back.", entry.original.src, entry.reply.dst),
            ),
            Some(crate::net::conntrack::NatKind::Destination) => caption(
                format!("{who}: forwarding a port"),
                format!("Connections to {} are passed on to {} inside.", entry.original.dst, entry.reply.src),
            ),
            None => caption(format!("{who} tracks a new connection"), format!("{} is now in the connection table.", entry.original)),
        },
        DeviceEvent::ConntrackRemoved { entry } => {
            caption(format!("{who} forgets a connection"), format!("{} has closed, so its entry is removed.", entry.original))
        }
        DeviceEvent::ExpectationAdded { expectation, announced_by } => caption(
            format!("{who}'s FTP helper reads the {announced_by}"),
            format!(
                "The helper understands FTP: it saw where the data connection will go and now expects a connection from {} to {}. When it comes, the firewall will treat it as RELATED and let it in.",
                expectation.src_ip, expectation.dst
            ),
        ),
        DeviceEvent::ExpectationUsed { .. } => caption(
            format!("{who}: the expected connection arrives"),
            "This is the connection the FTP helper announced, so it is RELATED, not an unknown NEW connection.".to_owned(),
        ),
        DeviceEvent::PayloadRewritten { before, after } => caption(
            format!("{who}'s FTP helper rewrites the message"),
            format!("\"{before}\" becomes \"{after}\": the private address inside the text is replaced by the public one, which the other side can actually reach."),
        ),
        DeviceEvent::HelperNote { text } => caption(format!("{who}'s FTP helper"), capitalise(text)),
        DeviceEvent::ConntrackState { original, state, .. } => {
            caption(format!("{who} follows the connection"), format!("{original} is now {state} in the connection table."))
        }
        DeviceEvent::Filtered { decision, .. } => caption(format!("{who} applies its rules"), capitalise(&decision.text)),
        DeviceEvent::SourceTranslated { from, to } | DeviceEvent::DestinationTranslated { from, to } => {
            caption(format!("{who} translates an address"), format!("{from} becomes {to}."))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ftp::client::DataMode;

    fn captions(scenario: &Scenario) -> Vec<Caption> {
        let timeline = Timeline::run(scenario).expect("valid");
        (0..timeline.len()).map(|index| for_event(&timeline, index)).collect()
    }

    #[test]
    fn every_event_of_every_lesson_has_a_caption() {
        for lesson in crate::sim::lessons::all() {
            for caption in captions(&lesson.scenario) {
                assert!(!caption.headline.is_empty() && !caption.body.is_empty(), "{}", lesson.id);
                assert!(
                    !caption.body.contains("Debug") && !caption.body.contains('{'),
                    "{}: {}",
                    lesson.id,
                    caption.body
                );
            }
        }
    }

    #[test]
    fn the_failure_caption_explains_and_offers_a_fix() {
        let all = captions(&Scenario { mode: DataMode::Port, client_nat: false, ..Scenario::default() });
        let last = all.last().expect("verdict caption");
        assert_eq!(last.headline, "It failed at the home router");
        assert!(last.body.contains("How to fix it:"), "{}", last.body);
        assert!(all.iter().any(|caption| caption.headline == "Home router drops the packet"));
    }

    #[test]
    fn a_private_227_address_is_pointed_out() {
        let scenario = Scenario { server_nat: true, trust_pasv_address: true, ..Scenario::default() };
        let all = captions(&scenario);
        assert!(all.iter().any(|caption| caption.body.contains("10.0.0.10 is a private address")));
    }
}
