//! The trace: every event of a run, in order, in data and in words.
//!
//! The animation, the transcript, the captions, the terminal runner and the tests all read this
//! one list. Each [`TraceEvent`] says when it happened, at which place on the path, what kind of
//! event it is (with the details a drawing needs), and a sentence a student can read.

use std::fmt;
use std::net::SocketAddr;

use litemap::LiteMap;
use serde::{Deserialize, Serialize};

use crate::ftp::FtpTrace;
use crate::messages::places;
use crate::net::device::{DeviceEvent, Refusal};
use crate::net::packet::{Channel, Packet, PacketId, PacketKind};
use crate::net::tcp::TcpState;
use crate::sim::verdict::Verdict;
use crate::time::{Duration, Instant};

/// The five places on the path, left (client) to right (server).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeId {
    Client,
    HomeRouter,
    Internet,
    ServerEdge,
    Server,
}

impl NodeId {
    pub const ALL: [NodeId; 5] =
        [NodeId::Client, NodeId::HomeRouter, NodeId::Internet, NodeId::ServerEdge, NodeId::Server];

    /// Position on the path, 0 (client) to 4 (server).
    pub fn position(self) -> usize {
        self as usize
    }

    /// The id used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeId::Client => "client",
            NodeId::HomeRouter => "home-router",
            NodeId::Internet => "internet",
            NodeId::ServerEdge => "server-edge",
            NodeId::Server => "server",
        }
    }

    /// The name students see. The server edge is a firewall, or a router when it does NAT.
    pub fn label(self, server_nat: bool) -> &'static str {
        match self {
            NodeId::Client => places::CLIENT,
            NodeId::HomeRouter => places::HOME_ROUTER,
            NodeId::Internet => places::INTERNET,
            NodeId::ServerEdge if server_nat => places::SERVER_ROUTER,
            NodeId::ServerEdge => places::SERVER_FIREWALL,
            NodeId::Server => places::SERVER,
        }
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which FTP engine an FTP event comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Client,
    Server,
}

/// A packet as the trace records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketInfo {
    pub id: PacketId,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub kind: PacketKind,
    /// `SYN`, `PSH-ACK`, … or `ICMP`.
    pub flags: String,
    pub channel: Channel,
    pub payload_len: usize,
    /// The payload in short: an FTP line, or a byte count.
    pub preview: String,
    /// The payload is encrypted on the wire (TLS on the control connection): devices on the way
    /// see only scrambled bytes. The preview still shows what is inside, for the class.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub encrypted: bool,
    /// Every line of a readable control-channel segment that holds more than one (a multi-line
    /// reply, or two replies sent together); the preview shows only the first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
}

/// The lines of a cleartext control segment, when there is more than one.
fn control_lines(packet: &Packet) -> Vec<String> {
    if packet.channel != Channel::Control || packet.encrypted {
        return Vec::new();
    }
    let Ok(text) = std::str::from_utf8(packet.payload()) else {
        return Vec::new();
    };
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    if lines.len() > 1 { lines } else { Vec::new() }
}

impl PacketInfo {
    pub fn of(packet: &Packet) -> Self {
        PacketInfo {
            id: packet.id,
            src: packet.src,
            dst: packet.dst,
            kind: packet.kind(),
            flags: packet.flags().map_or_else(|| "ICMP".to_owned(), |flags| flags.to_string()),
            channel: packet.channel,
            payload_len: packet.payload().len(),
            preview: if packet.payload().is_empty() { String::new() } else { packet.payload_preview() },
            encrypted: packet.encrypted && !packet.payload().is_empty(),
            lines: control_lines(packet),
        }
    }

    /// `SYN 192.168.1.2:40000 → 198.51.100.10:21 [PORT …]`
    pub fn summary(&self) -> String {
        let mut text = format!("{} {} → {}", self.flags, self.src, self.dst);
        if !self.preview.is_empty() {
            text.push_str(&format!(" [{}]", self.preview));
        }
        text
    }
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum EventKind {
    /// A host put a packet on the link toward `to`.
    PacketSent { packet: PacketInfo, to: NodeId },
    /// A device passed a packet on toward `to`, possibly rewritten (`before` is the packet as it
    /// arrived, when it differs).
    PacketForwarded { packet: PacketInfo, to: NodeId, rule: Option<String>, before: Option<PacketInfo> },
    /// A device discarded a packet: `rule` is the rule that decided, `reason` what it saw.
    PacketDropped { packet: PacketInfo, rule: String, reason: Refusal },
    /// A device discarded a packet and answered with `response` (a reset or ICMP error), which
    /// leaves toward `response_to`.
    PacketRejected {
        packet: PacketInfo,
        rule: String,
        reason: Refusal,
        response: PacketInfo,
        response_to: Option<NodeId>,
    },
    /// A host received a packet.
    PacketDelivered { packet: PacketInfo },
    /// A SYN got no answer and is sent again.
    SynRetransmitted { local: SocketAddr, remote: SocketAddr, attempt: u32, next_wait: Duration },
    /// A TCP connection changed state.
    TcpState { local: SocketAddr, remote: SocketAddr, channel: Channel, from: TcpState, to: TcpState },
    /// An FTP engine sent, received or decided something.
    Ftp { role: Role, event: FtpTrace },
    /// A device's tables changed, or its FTP helper acted.
    Device { event: DeviceEvent },
    /// An application timer was armed (`armed`) or came due.
    Timer { role: Role, name: String, armed: bool, deadline: Instant },
    /// A teacher changed a setting mid-session.
    SettingsChanged { description: String },
    /// The run is over.
    Verdict { verdict: Box<Verdict> },
}

/// How much an event matters when stepping: the page can step by the coarser levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// TCP state changes, conntrack bookkeeping, timers being armed.
    Detail,
    /// Packets moving.
    Packet,
    /// FTP commands and replies, drops, helper actions, the verdict.
    Key,
}

impl EventKind {
    /// The kebab-case name of the kind, as in JSON.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::PacketSent { .. } => "packet-sent",
            EventKind::PacketForwarded { .. } => "packet-forwarded",
            EventKind::PacketDropped { .. } => "packet-dropped",
            EventKind::PacketRejected { .. } => "packet-rejected",
            EventKind::PacketDelivered { .. } => "packet-delivered",
            EventKind::SynRetransmitted { .. } => "syn-retransmitted",
            EventKind::TcpState { .. } => "tcp-state",
            EventKind::Ftp { .. } => "ftp",
            EventKind::Device { .. } => "device",
            EventKind::Timer { .. } => "timer",
            EventKind::SettingsChanged { .. } => "settings-changed",
            EventKind::Verdict { .. } => "verdict",
        }
    }

    /// The packet this event is about, if any.
    pub fn packet(&self) -> Option<&PacketInfo> {
        match self {
            EventKind::PacketSent { packet, .. }
            | EventKind::PacketForwarded { packet, .. }
            | EventKind::PacketDropped { packet, .. }
            | EventKind::PacketRejected { packet, .. }
            | EventKind::PacketDelivered { packet } => Some(packet),
            _ => None,
        }
    }
}

/// Assigns each event its stepping [`Level`], reading the run in order.
///
/// Most kinds of event have a fixed level. A connection's packets depend on what came before:
/// the first SYN of a connection is a key moment, and so is every device's decision on a data
/// connection's first SYN; a retransmitted SYN becomes a key moment only where it is dropped
/// (one stop per retry); the first data segment and the first FIN of each data connection are
/// key moments, the rest of the transfer is not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Levels {
    /// SYNs sent so far on each channel.
    syns_sent: LiteMap<Channel, u32>,
    /// The attempt number (0 = the first SYN) of every SYN still on its way.
    syn_attempts: LiteMap<PacketId, u32>,
    /// The highest data channel whose first data segment has been seen (channels are numbered
    /// in order, so one number replaces a set).
    data_seen_upto: u32,
    /// The same for the first FIN.
    fin_seen_upto: u32,
}

impl Levels {
    /// The level of the next event of the run.
    pub fn observe(&mut self, kind: &EventKind) -> Level {
        match kind {
            EventKind::PacketSent { packet, .. } => match (packet.kind, packet.channel) {
                (PacketKind::Syn, channel) => {
                    let sent = self.syns_sent.get(&channel).copied().unwrap_or(0);
                    self.syns_sent.insert(channel, sent + 1);
                    self.syn_attempts.insert(packet.id, sent);
                    if sent == 0 { Level::Key } else { Level::Packet }
                }
                (PacketKind::Data, Channel::Data(n)) if n > self.data_seen_upto => {
                    self.data_seen_upto = n;
                    Level::Key
                }
                (PacketKind::Fin, Channel::Data(n)) if n > self.fin_seen_upto => {
                    self.fin_seen_upto = n;
                    Level::Key
                }
                _ => Level::Packet,
            },
            EventKind::PacketForwarded { packet, .. } => {
                let first_data_syn = packet.kind == PacketKind::Syn
                    && packet.channel != Channel::Control
                    && self.syn_attempts.get(&packet.id) == Some(&0);
                if first_data_syn { Level::Key } else { Level::Packet }
            }
            EventKind::PacketDelivered { packet } => {
                self.syn_attempts.remove(&packet.id);
                Level::Packet
            }
            EventKind::PacketDropped { packet, .. } | EventKind::PacketRejected { packet, .. } => {
                self.syn_attempts.remove(&packet.id);
                Level::Key
            }
            EventKind::SynRetransmitted { .. } => Level::Packet,
            EventKind::TcpState { channel, from, to, .. } => match (from, to) {
                // The connection is up at the end that opened it, or that end gave up.
                (TcpState::SynSent, TcpState::Established) => Level::Key,
                (TcpState::SynSent, TcpState::Closed) if *channel != Channel::Control => Level::Key,
                _ => Level::Detail,
            },
            EventKind::Ftp { event: FtpTrace::State { .. }, .. } => Level::Detail,
            EventKind::Ftp {
                role: Role::Client,
                event: FtpTrace::CommandSent(_) | FtpTrace::ReplyReceived(_) | FtpTrace::Note(_),
            } => Level::Key,
            EventKind::Ftp { role: Role::Server, event: FtpTrace::Note(_) } => Level::Key,
            EventKind::Ftp { .. } => Level::Packet,
            EventKind::Device {
                event:
                    DeviceEvent::PayloadRewritten { .. }
                    | DeviceEvent::ExpectationAdded { .. }
                    | DeviceEvent::ExpectationUsed { .. }
                    | DeviceEvent::HelperNote { .. },
            } => Level::Key,
            EventKind::Device { .. } => Level::Detail,
            EventKind::Timer { armed: false, .. } => Level::Key,
            EventKind::Timer { armed: true, .. } => Level::Detail,
            EventKind::SettingsChanged { .. } | EventKind::Verdict { .. } => Level::Key,
        }
    }
}

/// One event of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEvent {
    /// Position in the trace, from 0.
    pub index: usize,
    /// Virtual time in microseconds since the start.
    pub time: Instant,
    /// Where it happened.
    pub device: NodeId,
    /// How much it matters when stepping (see [`Levels`]).
    pub level: Level,
    #[serde(flatten)]
    pub kind: EventKind,
    /// What happened, in a sentence.
    pub text: String,
}

impl TraceEvent {
    /// `  0.021 s  home-router   text`
    pub fn to_line(&self) -> String {
        format!("{:>9}  {:<12} {}", self.time.to_string(), self.device.as_str(), self.text)
    }
}

/// One line of the control conversation as it crossed the client's wire: a command the client
/// sent, or a reply that reached it (read or not: a client busy connecting reads it later, and
/// one that has hung up never does). This is what a packet capture on the client shows, and
/// what the fidelity harness compares with real captures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DialogueLine {
    /// Virtual time in microseconds.
    pub time: Instant,
    pub from: Role,
    /// The command, or the reply's first line.
    pub line: String,
}

/// The control conversation on the client's wire, in order. Encrypted segments (FTPS) are left
/// out: a capture cannot read them either.
pub fn dialogue(events: &[TraceEvent]) -> Vec<DialogueLine> {
    events
        .iter()
        .filter(|event| event.device == NodeId::Client)
        .flat_map(|event| {
            let (packet, from) = match &event.kind {
                EventKind::PacketSent { packet, .. } => (packet, Role::Client),
                EventKind::PacketDelivered { packet } => (packet, Role::Server),
                _ => return Vec::new(),
            };
            let readable = packet.channel == Channel::Control
                && packet.payload_len > 0
                && !packet.encrypted
                && !packet.preview.starts_with("TLS handshake");
            if !readable {
                return Vec::new();
            }
            let lines: Vec<&str> = if packet.lines.is_empty() {
                vec![packet.preview.as_str()]
            } else {
                first_lines_of_replies(&packet.lines)
            };
            lines.into_iter().map(|line| DialogueLine { time: event.time, from, line: line.to_owned() }).collect()
        })
        .collect()
}

/// The first line of each reply in a segment: a multi-line reply (`211-Features:` … `211 End`)
/// counts once, and two replies sent together count twice.
fn first_lines_of_replies(lines: &[String]) -> Vec<&str> {
    let mut firsts = Vec::new();
    let mut open: Option<&str> = None;
    for line in lines {
        match open {
            // Inside a multi-line reply: it ends at "<code> ".
            Some(code) => {
                if line.starts_with(code) && line.as_bytes().get(3) == Some(&b' ') {
                    open = None;
                }
            }
            None => {
                firsts.push(line.as_str());
                if line.as_bytes().get(3) == Some(&b'-') {
                    open = line.get(..3);
                }
            }
        }
    }
    firsts
}

/// When the client gave up, if it did.
pub fn failed_at(events: &[TraceEvent]) -> Option<Instant> {
    events
        .iter()
        .find(|event| {
            matches!(
                &event.kind,
                EventKind::Ftp { role: Role::Client, event: FtpTrace::Note(crate::ftp::Note::GivingUp { .. }) }
            )
        })
        .map(|event| event.time)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(id: u64, kind: PacketKind, channel: Channel) -> PacketInfo {
        PacketInfo {
            id: PacketId(id),
            src: "192.168.1.2:40000".parse().expect("address"),
            dst: "198.51.100.10:20".parse().expect("address"),
            kind,
            flags: String::new(),
            channel,
            payload_len: 0,
            preview: String::new(),
            encrypted: false,
            lines: Vec::new(),
        }
    }

    fn sent(id: u64, kind: PacketKind, channel: Channel) -> EventKind {
        EventKind::PacketSent { packet: packet(id, kind, channel), to: NodeId::HomeRouter }
    }

    fn forwarded(id: u64, kind: PacketKind, channel: Channel) -> EventKind {
        EventKind::PacketForwarded { packet: packet(id, kind, channel), to: NodeId::Internet, rule: None, before: None }
    }

    fn dropped(id: u64, channel: Channel) -> EventKind {
        EventKind::PacketDropped {
            packet: packet(id, PacketKind::Syn, channel),
            rule: "drop".to_owned(),
            reason: Refusal::NewFromOutside { port: 40000 },
        }
    }

    #[test]
    fn the_first_syn_of_a_data_connection_and_every_decision_on_it_are_key_moments() {
        let mut levels = Levels::default();
        let data = Channel::Data(1);
        assert_eq!(levels.observe(&sent(1, PacketKind::Syn, data)), Level::Key);
        assert_eq!(levels.observe(&forwarded(1, PacketKind::Syn, data)), Level::Key);
        assert_eq!(levels.observe(&forwarded(1, PacketKind::Syn, data)), Level::Key);
        assert_eq!(
            levels.observe(&EventKind::PacketDelivered { packet: packet(1, PacketKind::Syn, data) }),
            Level::Packet
        );
        // The SYN-ACK and ACK are plain packets; the connection coming up is key.
        assert_eq!(levels.observe(&sent(2, PacketKind::SynAck, data)), Level::Packet);
        assert_eq!(levels.observe(&forwarded(2, PacketKind::SynAck, data)), Level::Packet);
        let up = EventKind::TcpState {
            local: "192.168.1.2:40000".parse().expect("address"),
            remote: "198.51.100.10:20".parse().expect("address"),
            channel: data,
            from: TcpState::SynSent,
            to: TcpState::Established,
        };
        assert_eq!(levels.observe(&up), Level::Key);
    }

    #[test]
    fn control_connection_forwards_are_not_key_moments() {
        let mut levels = Levels::default();
        assert_eq!(levels.observe(&sent(1, PacketKind::Syn, Channel::Control)), Level::Key);
        assert_eq!(levels.observe(&forwarded(1, PacketKind::Syn, Channel::Control)), Level::Packet);
    }

    #[test]
    fn each_retry_is_one_stop_where_it_is_dropped() {
        let mut levels = Levels::default();
        let data = Channel::Data(1);
        assert_eq!(levels.observe(&sent(1, PacketKind::Syn, data)), Level::Key);
        assert_eq!(levels.observe(&dropped(1, data)), Level::Key);
        for (id, attempt) in (2..8).zip(1..) {
            let retry = EventKind::SynRetransmitted {
                local: "198.51.100.10:20".parse().expect("address"),
                remote: "203.0.113.5:40000".parse().expect("address"),
                attempt,
                next_wait: Duration::from_secs(1),
            };
            assert_eq!(levels.observe(&retry), Level::Packet);
            assert_eq!(levels.observe(&sent(id, PacketKind::Syn, data)), Level::Packet, "retry {attempt} leaving");
            assert_eq!(levels.observe(&forwarded(id, PacketKind::Syn, data)), Level::Packet, "retry {attempt} passing");
            assert_eq!(levels.observe(&dropped(id, data)), Level::Key, "retry {attempt} dropped");
        }
        let gave_up = EventKind::TcpState {
            local: "198.51.100.10:20".parse().expect("address"),
            remote: "203.0.113.5:40000".parse().expect("address"),
            channel: data,
            from: TcpState::SynSent,
            to: TcpState::Closed,
        };
        assert_eq!(levels.observe(&gave_up), Level::Key);
    }

    #[test]
    fn only_the_first_data_segment_and_first_fin_of_each_data_connection_are_key() {
        let mut levels = Levels::default();
        for n in 1..=2 {
            let data = Channel::Data(n);
            let base = u64::from(n) * 100;
            assert_eq!(levels.observe(&sent(base, PacketKind::Data, data)), Level::Key, "first data of {n}");
            assert_eq!(levels.observe(&sent(base + 1, PacketKind::Data, data)), Level::Packet, "second data of {n}");
            assert_eq!(levels.observe(&sent(base + 2, PacketKind::Fin, data)), Level::Key, "first FIN of {n}");
            assert_eq!(levels.observe(&sent(base + 3, PacketKind::Fin, data)), Level::Packet, "second FIN of {n}");
        }
        // Control-connection data is a plain packet: its FTP line is the key moment.
        assert_eq!(levels.observe(&sent(900, PacketKind::Data, Channel::Control)), Level::Packet);
    }

    #[test]
    fn timers_are_key_when_they_come_due_not_when_armed() {
        let mut levels = Levels::default();
        let timer = |armed| EventKind::Timer {
            role: Role::Server,
            name: "data connection".to_owned(),
            armed,
            deadline: Instant::from_micros(0),
        };
        assert_eq!(levels.observe(&timer(true)), Level::Detail);
        assert_eq!(levels.observe(&timer(false)), Level::Key);
    }

    #[test]
    fn a_segment_with_two_replies_is_two_dialogue_lines_and_a_multiline_reply_is_one() {
        let lines = |text: &str| text.lines().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            first_lines_of_replies(&lines("500 OOPS: vsf_sysutil_bind\r\n500 OOPS: priv_sock_get_cmd\r\n")),
            ["500 OOPS: vsf_sysutil_bind", "500 OOPS: priv_sock_get_cmd"]
        );
        assert_eq!(
            first_lines_of_replies(&lines("211-Features:\r\n EPRT\r\n211 End\r\n226 Done\r\n")),
            ["211-Features:", "226 Done"]
        );
    }
}
