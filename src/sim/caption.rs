//! Captions: one or two plain sentences for each event, written for students.
//!
//! The trace's own text says precisely what happened (addresses, flags, rule numbers). A
//! caption says what it *means*: why a router rewrites an address, why a firewall drops a
//! packet, what a reply asks the client to do, which retry this is and how long TCP has waited.
//! At the verdict it says why the session failed and which setting would have fixed it. This
//! module chooses what to say; [`crate::messages::captions`] words it.

use serde::Serialize;

use super::scenario::Scenario;
use super::timeline::Timeline;
use super::trace::{EventKind, NodeId, PacketInfo, Role, TraceEvent};
use crate::ftp::codec::{Command, Reply, parse_extended_passive_reply, parse_passive_reply, reply_code};
use crate::ftp::{FtpTrace, Note};
use crate::messages::captions::{self as say, replies};
use crate::messages::{engine, places};
use crate::net::conntrack::NatKind;
use crate::net::device::DeviceEvent;
use crate::net::packet::{Channel, PacketId, PacketKind, is_private};
use crate::net::tcp::TcpState;
use crate::net::tcp::syn_schedule::RETRANSMISSIONS as SYN_RETRIES;
use crate::time::{Duration, Instant};

/// A caption: a short headline and one or two sentences.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Caption {
    pub headline: String,
    pub body: String,
}

impl From<(String, String)> for Caption {
    fn from((headline, body): (String, String)) -> Self {
        Caption { headline, body }
    }
}

/// The caption for event `index` of a timeline.
pub fn for_event(timeline: &Timeline, index: usize) -> Caption {
    let Some(event) = timeline.events().get(index) else {
        return say::nothing_here().into();
    };
    let scenario = timeline.scenario();
    let server_nat = scenario.server_nat_active();
    let label = |node: NodeId| node.label(server_nat);
    let who = label(event.device);
    let home_side = event.device == NodeId::HomeRouter;
    let words = match &event.kind {
        EventKind::SettingsChanged { .. } if index == 0 && !timeline.started_with().console.is_empty() => {
            crate::messages::console::session_starts(scenario.control_port)
        }
        EventKind::SettingsChanged { .. } if index == 0 => {
            say::session_starts(scenario.control_port, crate::messages::settings::mode(scenario.mode))
        }
        EventKind::SettingsChanged { description } => say::settings_changed(description),
        EventKind::PacketSent { packet, .. } => sent_caption(timeline, event, packet, who),
        EventKind::PacketForwarded { packet, before, to, rule } => {
            forwarded_caption(timeline, event, packet, before.as_ref(), *to, rule.as_deref(), server_nat)
        }
        EventKind::PacketDelivered { packet } => say::delivered(who, &packet.flags, packet.channel),
        EventKind::PacketDropped { packet, rule, reason } => {
            let reason = engine::refusal(reason, home_side);
            if event.device == NodeId::Internet && is_private(packet.dst.ip()) {
                say::private_unreachable(packet.dst.ip())
            } else if packet.kind == PacketKind::Syn {
                match syn_attempt(timeline, index, packet.id) {
                    Some(attempt) if attempt.number > 0 => say::retry_dropped(
                        who,
                        attempt.number,
                        SYN_RETRIES,
                        attempt.sent - attempt.first_sent,
                        attempt.next_wait.filter(|_| attempt.number < SYN_RETRIES),
                    ),
                    _ => say::syn_dropped(who, rule, &reason),
                }
            } else {
                say::packet_dropped(who, rule, &reason)
            }
        }
        EventKind::PacketRejected { rule, reason, response, .. } => {
            say::rejected(who, rule, &engine::refusal(reason, home_side), &response.flags)
        }
        EventKind::SynRetransmitted { attempt, next_wait, remote, .. } => {
            say::syn_retransmitted(who, *attempt, SYN_RETRIES, *remote, *next_wait)
        }
        EventKind::TcpState { channel, from, to, local, remote } => match (channel, from, to) {
            (Channel::Data(n), TcpState::SynSent, TcpState::Established) => {
                say::data_connection_open(*n, *local, *remote)
            }
            (Channel::Control, TcpState::SynSent, TcpState::Established) => say::control_connection_open(who),
            (Channel::Data(n), TcpState::SynSent, TcpState::Closed) => {
                let waited =
                    first_syn_time(timeline, index, *channel).map_or(Duration::ZERO, |first| event.time - first);
                say::data_connection_given_up(who, *n, waited)
            }
            _ => say::tcp(who, *channel, *to),
        },
        EventKind::Ftp { role, event: ftp } => ftp_caption(scenario, *role, ftp, who),
        EventKind::Device { event: device_event } => device_caption(who, device_event),
        EventKind::Timer { name, armed: true, deadline, .. } => say::timer_started(who, name, *deadline - event.time),
        EventKind::Timer { name, .. } => say::timer_over(who, name),
        EventKind::Verdict { verdict } => {
            if verdict.is_ok() {
                say::worked(&verdict.summary)
            } else if verdict.cause == Some(super::verdict::Cause::ServerRefusedBounce) {
                say::refused_on_purpose(&verdict.summary)
            } else {
                say::failed(verdict.device.map(label), &verdict.summary, verdict.fix.as_deref())
            }
        }
    };
    words.into()
}

/// Which try a SYN is, when the connection's first SYN left, and how long TCP waits before
/// the next try.
struct Attempt {
    /// 0 for the first SYN, 1 for the first retry, …
    number: u32,
    first_sent: Instant,
    /// When this copy left.
    sent: Instant,
    next_wait: Option<Duration>,
}

/// Reads the attempt of the SYN with `id` off the trace before event `index`.
fn syn_attempt(timeline: &Timeline, index: usize, id: PacketId) -> Option<Attempt> {
    let events = &timeline.events()[..index];
    let sent = events.iter().rposition(|event| {
        matches!(&event.kind, EventKind::PacketSent { packet, .. } if packet.id == id && packet.kind == PacketKind::Syn)
    })?;
    let EventKind::PacketSent { packet, .. } = &events[sent].kind else {
        return None;
    };
    let channel = packet.channel;
    let is_syn_on_channel = |event: &TraceEvent| matches!(&event.kind, EventKind::PacketSent { packet, .. } if packet.channel == channel && packet.kind == PacketKind::Syn);
    let number = events[..sent].iter().filter(|event| is_syn_on_channel(event)).count() as u32;
    let first_sent =
        events[..=sent].iter().find(|event| is_syn_on_channel(event)).map_or(events[sent].time, |e| e.time);
    // The retransmission announced just before this copy says how long TCP waits next.
    let next_wait = events[..sent].iter().rev().take(4).find_map(|event| match &event.kind {
        EventKind::SynRetransmitted { next_wait, .. } => Some(*next_wait),
        _ => None,
    });
    Some(Attempt { number, first_sent, sent: events[sent].time, next_wait })
}

/// When the first SYN of `channel` left, looking back from event `index`.
fn first_syn_time(timeline: &Timeline, index: usize, channel: Channel) -> Option<Instant> {
    timeline.events()[..index].iter().find_map(|event| match &event.kind {
        EventKind::PacketSent { packet, .. } if packet.channel == channel && packet.kind == PacketKind::Syn => {
            Some(event.time)
        }
        _ => None,
    })
}

fn sent_caption(timeline: &Timeline, event: &TraceEvent, packet: &PacketInfo, who: &str) -> (String, String) {
    match (packet.kind, packet.channel) {
        (PacketKind::Syn, Channel::Control) => say::control_syn(who, packet.dst.port()),
        (PacketKind::Syn, Channel::Data(n)) => {
            let retry = syn_attempt(timeline, event.index + 1, packet.id).filter(|attempt| attempt.number > 0);
            match retry {
                Some(attempt) => say::syn_retransmitted(
                    who,
                    attempt.number,
                    SYN_RETRIES,
                    packet.dst,
                    attempt.next_wait.unwrap_or(Duration::ZERO),
                ),
                None => say::data_syn(who, n, event.device == NodeId::Server, packet.src.port(), packet.dst),
            }
        }
        (PacketKind::SynAck, _) => say::syn_ack(who),
        (PacketKind::Data, Channel::Control) => say::control_segment(who, &packet.preview, packet.encrypted),
        (PacketKind::Data, Channel::Data(n)) => say::data_segment(n, packet.payload_len),
        (PacketKind::Fin, channel) => say::fin(who, channel),
        (PacketKind::Rst, channel) => say::rst(who, channel),
        _ => say::other_send(who, &event.text),
    }
}

fn forwarded_caption(
    timeline: &Timeline,
    event: &TraceEvent,
    packet: &PacketInfo,
    before: Option<&PacketInfo>,
    to: NodeId,
    rule: Option<&str>,
    server_nat: bool,
) -> (String, String) {
    let place = event.device.label(server_nat);
    let next = to.label(server_nat).to_ascii_lowercase();
    match before {
        Some(before) if before.src != packet.src => say::source_translated(place, packet.src, before.src),
        Some(before) if before.dst != packet.dst => say::destination_translated(place, before.dst, packet.dst),
        Some(_) => say::rewritten_passes(place),
        None if event.device == NodeId::Internet => say::across_internet(&packet.flags, &next),
        None if packet.kind == PacketKind::Syn && expected_here(timeline, event) => {
            say::related_allowed(place, packet.dst, &next)
        }
        None if packet.kind == PacketKind::Syn => say::new_connection_allowed(place, packet.dst, &next, rule),
        None => say::known_connection(place),
    }
}

/// True when the device let this SYN in because its FTP helper expected it (the expectation
/// is used in the same step, just before the forward).
fn expected_here(timeline: &Timeline, event: &TraceEvent) -> bool {
    timeline.events()[..event.index]
        .iter()
        .rev()
        .take_while(|earlier| earlier.time == event.time && earlier.device == event.device)
        .any(|earlier| matches!(earlier.kind, EventKind::Device { event: DeviceEvent::ExpectationUsed { .. } }))
}

fn ftp_caption(scenario: &Scenario, role: Role, ftp: &FtpTrace, who: &str) -> (String, String) {
    match (role, ftp) {
        (Role::Client, FtpTrace::CommandSent(command)) => command_caption(scenario, command),
        (Role::Client, FtpTrace::Note(Note::Typed { line, typing })) => {
            crate::messages::console::typed_caption(line, typing)
        }
        (Role::Server, FtpTrace::CommandReceived(command)) => match command {
            Command::Port(addr) => say::server_reads_address("PORT", std::net::SocketAddr::V4(*addr)),
            Command::Eprt(addr) => say::server_reads_address("EPRT", *addr),
            _ => say::server_reads(&command.verb().to_string(), &command.to_string()),
        },
        (Role::Server, FtpTrace::ReplySent(reply)) => say::server_answers(reply.code, reply_meaning(reply)),
        (Role::Client, FtpTrace::ReplyReceived(reply)) => {
            say::client_reads(reply.code, reply.lines.first().map(String::as_str).unwrap_or(""), reply_meaning(reply))
        }
        (_, FtpTrace::Note(note)) => say::decides(who, &engine::note(note)),
        (_, FtpTrace::State { from, to }) => say::ftp_state(who, from, to),
        (_, FtpTrace::CommandRejected(why)) => say::command_unreadable(why),
        (_, FtpTrace::ReplyUnreadable(why)) => say::reply_unreadable(why),
        (Role::Client, FtpTrace::CommandReceived(_) | FtpTrace::ReplySent(_))
        | (Role::Server, FtpTrace::CommandSent(_) | FtpTrace::ReplyReceived(_)) => say::other_send(who, ""),
    }
}

fn command_caption(scenario: &Scenario, command: &Command) -> (String, String) {
    match command {
        Command::User(user) => say::login(user),
        Command::Pass(_) => say::password(),
        Command::Type(_) => say::transfer_type(),
        Command::Port(addr) if scenario.bounce_to == Some(std::net::IpAddr::V4(*addr.ip())) => {
            say::port_bounce(std::net::SocketAddr::V4(*addr))
        }
        Command::Port(addr) => say::port(std::net::SocketAddr::V4(*addr), is_private(std::net::IpAddr::V4(*addr.ip()))),
        Command::Eprt(addr) if scenario.bounce_to == Some(addr.ip()) => say::port_bounce(*addr),
        Command::Eprt(addr) => say::eprt(*addr),
        Command::Pasv => say::pasv(),
        Command::Epsv(_) => say::epsv(),
        Command::List(_) | Command::Nlst(_) => say::listing(),
        Command::Retr(path) => say::retrieve(path),
        Command::Stor(path) => say::store(path),
        Command::Quit => say::quit(),
        other => say::other_command(&other.verb().to_string(), &other.to_string()),
    }
}

fn reply_meaning(reply: &Reply) -> String {
    let about_address = reply.text().contains("PORT") || reply.text().contains("EPRT");
    match reply.code {
        220 => replies::GREETING.to_owned(),
        331 => replies::USER_OK.to_owned(),
        230 => replies::LOGGED_IN.to_owned(),
        234 => replies::TLS_GO.to_owned(),
        200 if about_address => replies::ADDRESS_ACCEPTED.to_owned(),
        200 => replies::OK.to_owned(),
        reply_code::PASSIVE => match parse_passive_reply(reply) {
            Ok(addr) if is_private(std::net::IpAddr::V4(*addr.ip())) => replies::passive_private(addr),
            Ok(addr) => replies::passive(addr),
            Err(_) => replies::UNREADABLE_227.to_owned(),
        },
        reply_code::EXTENDED_PASSIVE => match parse_extended_passive_reply(reply) {
            Ok(port) => replies::extended_passive(port),
            Err(_) => replies::UNREADABLE_229.to_owned(),
        },
        150 => replies::OPENING.to_owned(),
        226 => replies::COMPLETE.to_owned(),
        221 => replies::GOODBYE.to_owned(),
        425 => replies::CANT_OPEN.to_owned(),
        500 | 501 if about_address => replies::ADDRESS_REFUSED.to_owned(),
        500 | 502 => replies::NOT_SUPPORTED.to_owned(),
        530 => replies::LOGIN_REFUSED.to_owned(),
        550 | 553 => replies::FILE_REFUSED.to_owned(),
        code if code >= 400 => replies::FAILURE.to_owned(),
        _ => replies::OTHER.to_owned(),
    }
}

fn device_caption(who: &str, event: &DeviceEvent) -> (String, String) {
    match event {
        DeviceEvent::ConntrackAdded { entry } if entry.related => say::related_entry(who),
        DeviceEvent::ConntrackAdded { entry } => match entry.nat {
            Some(NatKind::Source) => say::nat_entry(who, entry.original.src, entry.reply.dst),
            Some(NatKind::Destination) => say::forward_entry(who, entry.original.dst, entry.reply.src),
            None => say::tracked_entry(who, &entry.original.to_string()),
        },
        DeviceEvent::ConntrackRemoved { entry } => say::entry_removed(who, &entry.original.to_string()),
        DeviceEvent::ExpectationAdded { expectation, announced_by } => {
            say::expectation(who, announced_by, &expectation.src_ip.to_string(), expectation.dst)
        }
        DeviceEvent::ExpectationUsed { .. } => say::expectation_used(who),
        DeviceEvent::PayloadRewritten { before, after } => say::payload_rewritten(who, before, after),
        DeviceEvent::HelperNote { note } => say::helper_note(who, &engine::helper_note(note)),
        DeviceEvent::ConntrackState { original, state, .. } => {
            say::conntrack_state(who, &original.to_string(), &state.to_string())
        }
        DeviceEvent::Filtered { decision, .. } => say::filtered(who, &decision.text),
        DeviceEvent::SourceTranslated { from, to } | DeviceEvent::DestinationTranslated { from, to } => {
            say::address_translated(who, *from, *to)
        }
    }
}

/// The name of a connection for a sentence ("data connection 2").
pub fn channel_name(channel: Channel) -> String {
    places::channel(channel)
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
                    !caption.body.contains("Debug") && !caption.body.contains('{') && !caption.body.contains(".."),
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
        assert!(all.iter().any(|caption| caption.headline == "Home router drops the SYN"));
    }

    #[test]
    fn each_retry_is_its_own_stop_with_how_long_tcp_has_waited() {
        let timeline =
            Timeline::run(&Scenario { mode: DataMode::Port, client_nat: false, ..Scenario::default() }).expect("valid");
        let drops: Vec<Caption> = timeline
            .events()
            .iter()
            .filter(|event| matches!(event.kind, EventKind::PacketDropped { .. }))
            .map(|event| for_event(&timeline, event.index))
            .collect();
        assert!(drops.len() >= 6, "the first SYN and its retries are dropped");
        assert_eq!(drops[0].headline, "Home router drops the SYN");
        assert_eq!(drops[1].headline, "Retry 1 of 10: the home router drops it again");
        assert!(drops[1].body.contains("waited 1 s"), "{}", drops[1].body);
        assert!(drops[2].body.contains("waited 2 s"), "{}", drops[2].body);
        let headlines: std::collections::BTreeSet<&str> = drops.iter().map(|c| c.headline.as_str()).collect();
        assert_eq!(headlines.len(), drops.len(), "no two stops say the same");
    }

    #[test]
    fn a_private_227_address_is_pointed_out() {
        let scenario = Scenario { server_nat: true, trust_pasv_address: true, ..Scenario::default() };
        let all = captions(&scenario);
        assert!(all.iter().any(|caption| caption.body.contains("10.0.0.10 is a private address")));
    }

    #[test]
    fn the_bounce_lesson_names_a_third_host_and_does_not_blame_the_server() {
        let lesson = crate::sim::lessons::find("port-bounce").expect("lesson");
        let all = captions(&lesson.scenario);
        assert!(all.iter().any(|caption| caption.headline == "PORT names a third host"));
        assert!(all.iter().all(|caption| !caption.body.contains("the client's own")));
        assert_eq!(all.last().map(|caption| caption.headline.as_str()), Some("The server refused, as it should"));
    }
}
