//! Packet captures of a run: the packets that crossed one point of the path, as Wireshark would
//! have recorded them there, written as a pcap file.
//!
//! [`pcap`] captures at a [`CapturePoint`] — the client's network, the home router's internet
//! side or the server's network — so a class can open the same run at two points and see what
//! NAT and the FTP helper rewrote. The capture reads the run as shown (after any branch), played
//! again with the world recording every packet in full ([`Timeline::replay_wire`]); the trace
//! itself keeps only a summary of each packet.
//!
//! What a capture point sees, like `tcpdump` on that interface: every packet put on its link by
//! either end, stamped when it left (sent from this end) or when it arrived (sent from the other
//! end), in the order the simulator carried them out. A packet dropped before it reached the link
//! never appears; one dropped by the device at the capture point appears, since a capture sees a
//! packet before the firewall does. Timestamps are the simulated clock (microseconds from the
//! start of the run, which a capture shows as 1970-01-01 00:00:00 UTC).
//!
//! TCP-lite keeps no sequence or acknowledgement numbers, so this module numbers each connection
//! as TCP would, from each host's point of view: a SYN draws an initial sequence number from the
//! scenario's seed (a retransmitted SYN reuses it), SYN and FIN count one, data counts its bytes,
//! and every segment acknowledges what its host had received by then. A reset answering a
//! segment is numbered as Linux numbers it (`tcp_v4_send_reset`, `nf_send_reset`): the
//! segment's acknowledgement number, or 0 with an ACK of everything it carried. When the FTP
//! helper changes a segment's length, the device shifts the numbers of the rest of that
//! connection on its far side as Linux's `nf_ct_seq_adjust` does, so each capture point is
//! consistent on its own.
//!
//! Made up, but the same at every point: MAC addresses (locally administered, one per
//! interface), the IPv4 identification (the simulator's packet id), the TTL (64 at the sender,
//! one less for each router passed), the window (64240) and no TCP options. Segments of an
//! encrypted control connection (after `AUTH TLS`) are written as a capture of TLS 1.3 shows
//! them: an application-data record (five-byte header, the bytes and their content type
//! scrambled, a 16-byte tag), so a capture is no way round the encryption. ICMP errors quote the
//! packet they are about, as Linux does, up to 576 bytes (IPv4) or 1280 (IPv6) in all.
//!
//! Crates, both maintained (releases in 2026): `etherparse` for the Ethernet, IPv4, IPv6, TCP and
//! ICMP headers and their checksums, and `pcap-file` for the file. Measured in the release page
//! (gzip total, LZMA-packed wasm; BENCHMARKS.md): this module with both costs 5.3 KB (196.9 →
//! 202.2 KB), 0.5 KB more than the same bytes written by hand. etherparse's `PacketBuilder`
//! would cost 4.2 KB more again (its extension-header machinery): the headers are built from
//! etherparse's header types instead, which write the same bytes.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use etherparse::{
    EtherType, Ethernet2Header, Icmpv4Header, Icmpv4Type, Icmpv6Header, Icmpv6Type, IpNumber, Ipv4Header, Ipv6Header,
    TcpHeader, icmpv4, icmpv6,
};
use litemap::LiteMap;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, Endianness, TsResolution};
use serde::{Deserialize, Serialize};

use super::timeline::Timeline;
use super::trace::NodeId;
use super::world::Wire;
use crate::messages;
use crate::net::packet::{Body, Channel, Packet, PacketId, TcpFlags, Unreachable};
use crate::rng;
use crate::time::Instant;

/// Where a capture is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CapturePoint {
    /// The client's network interface: between the client and the home router, before NAT.
    Client,
    /// The home router's internet (WAN) interface: after NAT and the router's FTP helper.
    Wan,
    /// The server's network interface: after the server's firewall or router.
    Server,
}

impl CapturePoint {
    /// Every capture point, client side first.
    pub const ALL: [CapturePoint; 3] = [CapturePoint::Client, CapturePoint::Wan, CapturePoint::Server];

    /// The token used on the command line and in file names: `client`, `wan`, `server`.
    pub fn as_str(self) -> &'static str {
        match self {
            CapturePoint::Client => "client",
            CapturePoint::Wan => "wan",
            CapturePoint::Server => "server",
        }
    }

    /// Where it is, for people.
    pub fn label(self) -> &'static str {
        match self {
            CapturePoint::Client => messages::capture::CLIENT,
            CapturePoint::Wan => messages::capture::WAN,
            CapturePoint::Server => messages::capture::SERVER,
        }
    }

    /// The interface: the place it belongs to and the neighbour at the other end of its link.
    fn interface(self) -> (NodeId, NodeId) {
        match self {
            CapturePoint::Client => (NodeId::Client, NodeId::HomeRouter),
            CapturePoint::Wan => (NodeId::HomeRouter, NodeId::Internet),
            CapturePoint::Server => (NodeId::Server, NodeId::ServerEdge),
        }
    }
}

impl fmt::Display for CapturePoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A capture point that does not exist.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", messages::capture::unknown_point(got, &CapturePoint::ALL.map(CapturePoint::as_str)))]
pub struct UnknownCapturePoint {
    pub got: String,
}

impl FromStr for CapturePoint {
    type Err = UnknownCapturePoint;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        CapturePoint::ALL
            .into_iter()
            .find(|point| point.as_str() == text)
            .ok_or_else(|| UnknownCapturePoint { got: text.to_owned() })
    }
}

/// One captured packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// When it passed the capture point.
    pub time: Instant,
    /// The simulator's packet: the same id at every point it passed.
    pub packet: PacketId,
    pub channel: Channel,
    /// The Ethernet frame as captured.
    pub bytes: Vec<u8>,
}

/// The run as a pcap file captured at `at`: Ethernet frames, microsecond timestamps.
pub fn pcap(timeline: &Timeline, at: CapturePoint) -> Vec<u8> {
    write_pcap(&frames(timeline, at))
}

/// The largest frame a capture holds (the pcap header's snapshot length).
const SNAPLEN: u32 = 65535;

/// Writes frames as a pcap file (little-endian, microsecond timestamps, Ethernet).
pub fn write_pcap(frames: &[Frame]) -> Vec<u8> {
    let header = PcapHeader {
        snaplen: SNAPLEN,
        datalink: DataLink::ETHERNET,
        ts_resolution: TsResolution::MicroSecond,
        endianness: Endianness::Little,
        ..PcapHeader::default()
    };
    let mut writer = PcapWriter::with_header(Vec::new(), header).expect("writing to memory cannot fail");
    for frame in frames {
        // A span since the start of the run (core's Duration is plain arithmetic; no clock is
        // read), within the 32-bit seconds a pcap record holds.
        let micros = frame.time.as_micros().min(u64::from(u32::MAX) * 1_000_000);
        let timestamp = core::time::Duration::from_micros(micros);
        let length = u32::try_from(frame.bytes.len()).unwrap_or(u32::MAX);
        let packet = PcapPacket::new(timestamp, length, &frame.bytes);
        // A frame holds at most one segment of TCP-lite (MSS 1460) or an ICMP error of at most
        // 1280 bytes, with headers: far below the snapshot length. Memory takes every write.
        writer.write_packet(&packet).expect("a frame fits the snapshot length and memory takes it");
    }
    writer.into_writer()
}

/// Every packet that passed `at`, in the order it passed.
pub fn frames(timeline: &Timeline, at: CapturePoint) -> Vec<Frame> {
    let (here, there) = at.interface();
    // Addresses cannot change in a branch (World::apply refuses), so the final world's hold.
    let topology = *timeline.final_world().topology();
    let mut numbers = Numbering::new(timeline.started_with().seed, topology.client, topology.server);
    let mut frames = Vec::new();
    timeline.replay_wire(|wire| match wire {
        Wire::Sent { time, from, to, packet, answers } => {
            let on_link = numbers.sent(from, &packet, answers);
            if (from, to) == (here, there) {
                frames.extend(numbers.frame(time, &packet, &on_link, mac(from, to), mac(to, from)));
            }
        }
        Wire::Arrived { time, node, from, packet } => {
            let on_link = numbers.arrived(node, &packet);
            if (node, from) == (here, there) {
                frames.extend(numbers.frame(time, &packet, &on_link, mac(from, node), mac(node, from)));
            }
        }
    });
    frames
}

/// The MAC address of `node`'s interface toward `toward`: locally administered, unicast, and
/// naming both ends (`02:00:00:00:01:02` is the client's, toward the home router).
fn mac(node: NodeId, toward: NodeId) -> [u8; 6] {
    [0x02, 0, 0, 0, node.position() as u8 + 1, toward.position() as u8 + 1]
}

/// The TTL (hop limit) a packet leaves its sender with: Linux's default.
const INITIAL_TTL: u8 = 64;
/// The window every segment advertises: Linux's first window for a 1460-byte MSS.
const WINDOW: u16 = 64240;
/// A TLS 1.3 record's overhead around the bytes it protects: the inner content type and the tag.
const TLS_TAG: usize = 16;

/// A segment's numbers on the link it is on, and what its numbering depends on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Numbers {
    seq: u32,
    ack: u32,
    /// The connection, numbered in the order connections were opened.
    conn: u32,
    /// Numbered in the client-side host's sequence space: sent by it, or a device's reset
    /// standing in for it (answering the server side).
    from_client: bool,
    flags: TcpFlags,
    /// The payload's length on the wire.
    len: u32,
    /// Routers passed since it was sent.
    routers: u8,
}

impl Numbers {
    /// The sequence number after this segment: its data, and one each for SYN and FIN.
    fn end(&self) -> u32 {
        self.seq.wrapping_add(self.len).wrapping_add(u32::from(self.flags.syn) + u32::from(self.flags.fin))
    }

    /// The numbers of a reset answering this segment, as Linux gives them: the segment's
    /// acknowledgement number if it had one, else 0 and an acknowledgement of all it carried.
    fn reset_answer(&self) -> (u32, u32) {
        if self.flags.ack { (self.ack, 0) } else { (0, self.end()) }
    }
}

/// One host's end of one connection.
#[derive(Clone, Copy, Debug, Default)]
struct End {
    conn: u32,
    /// Our initial sequence number, once we sent a SYN or SYN-ACK.
    isn: Option<u32>,
    snd_nxt: u32,
    /// The peer's initial sequence number, once its SYN or SYN-ACK arrived.
    peer_isn: Option<u32>,
    rcv_nxt: u32,
    /// The last segment that arrived on it (what a reset answers).
    last_received: Option<Numbers>,
}

/// The state of one direction of one connection at one device after its FTP helper changed a
/// segment's length: Linux's `struct nf_ct_seqadj`.
#[derive(Clone, Copy, Debug, Default)]
struct SeqAdjust {
    correction_pos: u32,
    offset_before: i32,
    offset_after: i32,
}

/// `a` comes after `b` in sequence space (Linux's `after()`).
fn after(a: u32, b: u32) -> bool {
    (b.wrapping_sub(a) as i32) < 0
}

fn shift(value: u32, by: i32) -> u32 {
    value.wrapping_add_signed(by)
}

/// Numbers every packet of a run as it goes (see the module doc).
struct Numbering {
    seed: u64,
    client: IpAddr,
    server: IpAddr,
    next_conn: u32,
    ends: LiteMap<(NodeId, SocketAddr, SocketAddr), End>,
    /// Each packet's numbers on the last link it was put on, while it is on its way.
    on_wire: LiteMap<PacketId, Numbers>,
    /// The packet a device has just taken: forgotten unless the device passes it on.
    at_device: Option<PacketId>,
    /// Per device, connection and direction.
    adjust: LiteMap<(NodeId, u32, bool), SeqAdjust>,
    /// The packet that arrived at a device last: what a reject response answers and quotes.
    last_arrived: Option<Packet>,
    /// The packet each ICMP error quotes, with its numbers.
    quotes: LiteMap<PacketId, (Packet, Numbers)>,
}

impl Numbering {
    fn new(seed: u64, client: IpAddr, server: IpAddr) -> Self {
        Numbering {
            seed,
            client,
            server,
            next_conn: 0,
            ends: LiteMap::new(),
            on_wire: LiteMap::new(),
            at_device: None,
            adjust: LiteMap::new(),
            last_arrived: None,
            quotes: LiteMap::new(),
        }
    }

    fn new_conn(&mut self) -> u32 {
        self.next_conn += 1;
        self.next_conn
    }

    /// The initial sequence number of one side of connection `conn`, from the scenario's seed.
    fn isn(&self, conn: u32, from_client: bool) -> u32 {
        rng::mix(self.seed ^ 0x15a5_0000, u64::from(conn) * 2 + u64::from(from_client)) as u32
    }

    /// `from` put `packet` on a link: its numbers there.
    fn sent(&mut self, from: NodeId, packet: &Packet, answers: Option<PacketId>) -> Numbers {
        let taken = self.at_device.take();
        let numbers = match (from, answers) {
            (NodeId::Client | NodeId::Server, _) => self.host_sent(from, packet),
            (_, Some(answered)) => self.device_answered(packet, answered),
            (_, None) => self.device_forwarded(from, packet),
        };
        // A packet the device did not pass on (it dropped or answered it) goes no further.
        if let Some(taken) = taken.filter(|taken| *taken != packet.id) {
            self.on_wire.remove(&taken);
        }
        self.on_wire.insert(packet.id, numbers);
        numbers
    }

    fn host_sent(&mut self, host: NodeId, packet: &Packet) -> Numbers {
        let flags = packet.flags().unwrap_or_default();
        let len = wire_len(packet);
        let from_client = host == NodeId::Client;
        let key = (host, packet.src, packet.dst);
        let mut numbers = Numbers { flags, len, from_client, ..Numbers::default() };
        let end = self.ends.get(&key).copied();
        if flags.rst {
            // TCP-lite resets only segments that found no connection: answer the last one.
            let answered = end.and_then(|end| end.last_received).unwrap_or_default();
            (numbers.seq, numbers.ack) = answered.reset_answer();
            numbers.conn = end.map_or(answered.conn, |end| end.conn);
            return numbers;
        }
        let mut end = match end {
            // A retransmitted SYN: nothing has come back yet, the same number goes again.
            Some(end) if flags.syn && !flags.ack && end.peer_isn.is_none() && end.isn.is_some() => end,
            Some(end) if !flags.syn || flags.ack => end,
            _ => End { conn: self.new_conn(), ..End::default() },
        };
        if flags.syn {
            let isn = match end.isn {
                Some(isn) => isn,
                None => {
                    let isn = self.isn(end.conn, from_client);
                    end.isn = Some(isn);
                    isn
                }
            };
            end.snd_nxt = isn.wrapping_add(1);
            numbers.seq = isn;
        } else {
            numbers.seq = end.snd_nxt;
            end.snd_nxt = numbers.end();
        }
        numbers.ack = if flags.ack { end.rcv_nxt } else { 0 };
        numbers.conn = end.conn;
        self.ends.insert(key, end);
        numbers
    }

    /// A device's reset or ICMP error answering the packet that just arrived there.
    fn device_answered(&mut self, packet: &Packet, answered: PacketId) -> Numbers {
        let original = self.on_wire.get(&answered).copied().unwrap_or_default();
        let mut numbers = Numbers {
            conn: original.conn,
            // It travels back toward the sender, numbered in the other direction.
            from_client: !original.from_client,
            flags: packet.flags().unwrap_or_default(),
            ..Numbers::default()
        };
        match &packet.body {
            Body::Tcp { .. } => (numbers.seq, numbers.ack) = original.reset_answer(),
            Body::Icmp { .. } => {
                if let Some(quoted) = self.last_arrived.clone().filter(|quoted| quoted.id == answered) {
                    self.quotes.insert(packet.id, (quoted, original));
                }
            }
        }
        numbers
    }

    /// A device passed a packet on, perhaps rewritten: NAT leaves the numbers alone, but a
    /// helper that changed the payload's length shifts the rest of the connection.
    fn device_forwarded(&mut self, device: NodeId, packet: &Packet) -> Numbers {
        let Some(mut numbers) = self.on_wire.get(&packet.id).copied() else {
            return Numbers { flags: packet.flags().unwrap_or_default(), len: wire_len(packet), ..Numbers::default() };
        };
        numbers.routers = numbers.routers.saturating_add(1);
        if matches!(packet.body, Body::Icmp { .. }) {
            return numbers;
        }
        let this_way = (device, numbers.conn, numbers.from_client);
        let other_way = (device, numbers.conn, !numbers.from_client);
        let len = wire_len(packet);
        if len != numbers.len {
            // Linux's nf_ct_seqadj_set: one correction point per direction, moved forward.
            let delta = len.wrapping_sub(numbers.len) as i32;
            let adjust = self.adjust.get(&this_way).copied().unwrap_or_default();
            if adjust.offset_before == adjust.offset_after || after(numbers.seq, adjust.correction_pos) {
                self.adjust.insert(
                    this_way,
                    SeqAdjust {
                        correction_pos: numbers.seq,
                        offset_before: adjust.offset_after,
                        offset_after: adjust.offset_after.wrapping_add(delta),
                    },
                );
            }
            numbers.len = len;
        }
        // Linux's nf_ct_seq_adjust.
        if let Some(adjust) = self.adjust.get(&this_way) {
            let offset =
                if after(numbers.seq, adjust.correction_pos) { adjust.offset_after } else { adjust.offset_before };
            numbers.seq = shift(numbers.seq, offset);
        }
        if numbers.flags.ack
            && let Some(adjust) = self.adjust.get(&other_way)
        {
            let offset = if after(shift(numbers.ack, -adjust.offset_before), adjust.correction_pos) {
                adjust.offset_after
            } else {
                adjust.offset_before
            };
            numbers.ack = shift(numbers.ack, -offset);
        }
        numbers
    }

    /// `packet` arrived at `node`: its numbers on the link it came over. A host's TCP takes in
    /// what was addressed to it.
    fn arrived(&mut self, node: NodeId, packet: &Packet) -> Numbers {
        if let Some(taken) = self.at_device.take() {
            self.on_wire.remove(&taken);
        }
        let numbers = self.on_wire.get(&packet.id).copied().unwrap_or_default();
        let address = match node {
            NodeId::Client => self.client,
            NodeId::Server => self.server,
            _ => {
                self.at_device = Some(packet.id);
                self.last_arrived = Some(packet.clone());
                return numbers;
            }
        };
        // The end of its journey.
        self.on_wire.remove(&packet.id);
        if packet.dst.ip() != address {
            return numbers;
        }
        if let Body::Icmp { about_src, about_dst, .. } = packet.body {
            // An unreachable aborts a connection still opening (TCP-lite, like Linux).
            let key = (node, about_src, about_dst);
            if self.ends.get(&key).is_some_and(|end| end.peer_isn.is_none()) {
                self.ends.remove(&key);
            }
            return numbers;
        }
        let key = (node, packet.dst, packet.src);
        let flags = numbers.flags;
        let existing = self.ends.get(&key).copied();
        let mut end = match existing {
            // A new connection request (a SYN with another number than the one we know).
            None => End { conn: numbers.conn, ..End::default() },
            Some(end) if flags.syn && !flags.ack && end.peer_isn != Some(numbers.seq) => {
                End { conn: numbers.conn, ..End::default() }
            }
            Some(end) => end,
        };
        if flags.syn {
            end.peer_isn = Some(numbers.seq);
            end.rcv_nxt = numbers.end();
        } else if end.peer_isn.is_some() && after(numbers.end(), end.rcv_nxt) {
            end.rcv_nxt = numbers.end();
        }
        end.last_received = Some(numbers);
        if flags.rst {
            // The connection is gone; a reset for a later segment on the same addresses answers
            // that segment, which arrives first.
            end.isn = None;
            end.peer_isn = None;
        }
        self.ends.insert(key, end);
        numbers
    }

    /// The frame of `packet` with these numbers, between these MAC addresses.
    fn frame(&self, time: Instant, packet: &Packet, numbers: &Numbers, src: [u8; 6], dst: [u8; 6]) -> Option<Frame> {
        let ttl = INITIAL_TTL.saturating_sub(numbers.routers);
        let id = packet.id.0 as u16;
        let (protocol, transport) = match &packet.body {
            Body::Tcp { .. } => (IpNumber::TCP, tcp_segment(packet.src, packet.dst, numbers, &wire_payload(packet))?),
            Body::Icmp { reason, about_src, about_dst } => {
                let quote = self.quote(packet.id, *about_src, *about_dst);
                icmp_message(packet.src.ip(), packet.dst.ip(), *reason, &quote)?
            }
        };
        let ip = ip_header(packet.src.ip(), packet.dst.ip(), protocol, ttl, id, transport.len())?;
        let ether_type = if packet.src.is_ipv4() { EtherType::IPV4 } else { EtherType::IPV6 };
        let mut bytes = Ethernet2Header { source: src, destination: dst, ether_type }.to_bytes().to_vec();
        bytes.extend_from_slice(&ip);
        bytes.extend_from_slice(&transport);
        Some(Frame { time, packet: packet.id, channel: packet.channel, bytes })
    }

    /// What an ICMP error quotes: the packet it is about as it left its sender's side of the
    /// device that answered (addresses as the error names them on this link), cut to fit.
    fn quote(&self, icmp: PacketId, about_src: SocketAddr, about_dst: SocketAddr) -> Vec<u8> {
        let Some((quoted, numbers)) = self.quotes.get(&icmp) else {
            return Vec::new();
        };
        let ttl = INITIAL_TTL.saturating_sub(numbers.routers);
        let Some(segment) = tcp_segment(about_src, about_dst, numbers, &wire_payload(quoted)) else {
            return Vec::new();
        };
        let id = quoted.id.0 as u16;
        let Some(mut bytes) = ip_header(about_src.ip(), about_dst.ip(), IpNumber::TCP, ttl, id, segment.len()) else {
            return Vec::new();
        };
        bytes.extend_from_slice(&segment);
        // The whole error within 576 bytes (IPv4, RFC 1812) or 1280 (IPv6, RFC 4443).
        let room = if about_src.is_ipv4() { 576 - 20 - 8 } else { 1280 - 40 - 8 };
        bytes.truncate(room);
        bytes
    }
}

/// The IP header before `len` bytes of `protocol`: IPv4 (don't fragment for TCP, as Linux's TCP
/// sends) or IPv6; `None` for mixed versions, which no packet of the simulator has.
fn ip_header(src: IpAddr, dst: IpAddr, protocol: IpNumber, ttl: u8, id: u16, len: usize) -> Option<Vec<u8>> {
    match (src, dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            let mut header = Ipv4Header {
                identification: id,
                dont_fragment: protocol == IpNumber::TCP,
                time_to_live: ttl,
                protocol,
                source: src.octets(),
                destination: dst.octets(),
                ..Ipv4Header::default()
            };
            header.set_payload_len(len).ok()?;
            header.header_checksum = header.calc_header_checksum();
            Some(header.to_bytes().to_vec())
        }
        (IpAddr::V6(src), IpAddr::V6(dst)) => {
            let mut header = Ipv6Header {
                next_header: protocol,
                hop_limit: ttl,
                source: src.octets(),
                destination: dst.octets(),
                ..Ipv6Header::default()
            };
            header.set_payload_length(len).ok()?;
            Some(header.to_bytes().to_vec())
        }
        _ => None,
    }
}

/// A TCP segment: the 20-byte header (no options) with its checksum, and the payload.
fn tcp_segment(src: SocketAddr, dst: SocketAddr, numbers: &Numbers, payload: &[u8]) -> Option<Vec<u8>> {
    let flags = numbers.flags;
    // A reset advertises no window.
    let mut header = TcpHeader::new(src.port(), dst.port(), numbers.seq, if flags.rst { 0 } else { WINDOW });
    header.syn = flags.syn;
    header.fin = flags.fin;
    header.rst = flags.rst;
    header.psh = flags.psh;
    header.ack = flags.ack;
    header.acknowledgment_number = if flags.ack { numbers.ack } else { 0 };
    header.checksum = match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => header.calc_checksum_ipv4_raw(s.octets(), d.octets(), payload).ok()?,
        (IpAddr::V6(s), IpAddr::V6(d)) => header.calc_checksum_ipv6_raw(s.octets(), d.octets(), payload).ok()?,
        _ => return None,
    };
    let mut segment = header.to_bytes().to_vec();
    segment.extend_from_slice(payload);
    Some(segment)
}

/// An ICMP (or ICMPv6) destination unreachable quoting `quote`, and its protocol number.
fn icmp_message(src: IpAddr, dst: IpAddr, reason: Unreachable, quote: &[u8]) -> Option<(IpNumber, Vec<u8>)> {
    let (protocol, mut message) = match (src, dst) {
        (IpAddr::V4(_), IpAddr::V4(_)) => {
            let code = match reason {
                Unreachable::Network => icmpv4::DestUnreachableHeader::Network,
                Unreachable::Host => icmpv4::DestUnreachableHeader::Host,
                Unreachable::Prohibited => icmpv4::DestUnreachableHeader::FilterProhibited,
            };
            let header = Icmpv4Header::with_checksum(Icmpv4Type::DestinationUnreachable(code), quote);
            (IpNumber::ICMP, header.to_bytes().to_vec())
        }
        (IpAddr::V6(src), IpAddr::V6(dst)) => {
            let code = match reason {
                Unreachable::Network => icmpv6::DestUnreachableCode::NoRoute,
                Unreachable::Host => icmpv6::DestUnreachableCode::Address,
                Unreachable::Prohibited => icmpv6::DestUnreachableCode::Prohibited,
            };
            let kind = Icmpv6Type::DestinationUnreachable(code);
            let header = Icmpv6Header::with_checksum(kind, src.octets(), dst.octets(), quote).ok()?;
            (IpNumber::IPV6_ICMP, header.to_bytes().to_vec())
        }
        _ => return None,
    };
    message.extend_from_slice(quote);
    Some((protocol, message))
}

/// The payload's length on the wire.
fn wire_len(packet: &Packet) -> u32 {
    wire_payload(packet).len() as u32
}

/// The payload as a capture shows it: the bytes themselves, or for an encrypted segment a TLS
/// 1.3 application-data record of the same bytes, scrambled by a keystream of the packet's id
/// (the same at every point it passes).
fn wire_payload(packet: &Packet) -> Cow<'_, [u8]> {
    let payload = packet.payload();
    if !packet.encrypted || payload.is_empty() {
        return Cow::Borrowed(payload);
    }
    // The bytes, the inner content type (application data), the tag.
    let protected = payload.len() + 1 + TLS_TAG;
    let mut record = vec![0x17, 0x03, 0x03];
    record.extend_from_slice(&(protected as u16).to_be_bytes());
    let inner = payload.iter().copied().chain([0x17]).chain([0; TLS_TAG]);
    record.extend(inner.enumerate().map(|(i, byte)| {
        let word = rng::mix(packet.id.0, (i / 8) as u64);
        byte ^ (word >> (8 * (i % 8))) as u8
    }));
    Cow::Owned(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::device::PrivateDestinations;
    use crate::sim::lessons;
    use crate::sim::scenario::{RefuseWith, Scenario};
    use crate::sim::trace::EventKind;

    fn run(id: &str) -> Timeline {
        Timeline::run(&lessons::find(id).expect("lesson").scenario).expect("valid lesson")
    }

    /// Every firewall answers with a reset and the internet with an ICMP error.
    fn refusing(id: &str) -> Timeline {
        let mut scenario: Scenario = lessons::find(id).expect("lesson").scenario;
        scenario.client_firewall_action = RefuseWith::Reject;
        scenario.server_firewall_action = RefuseWith::Reject;
        scenario.private_destinations = PrivateDestinations::Unreachable;
        Timeline::run(&scenario).expect("valid scenario")
    }

    /// A frame taken apart by hand, independently of the crates that wrote it.
    #[derive(Debug)]
    struct Parsed {
        src: IpAddr,
        dst: IpAddr,
        ttl: u8,
        protocol: u8,
        /// The IP payload (TCP or ICMP header and what follows).
        transport: Vec<u8>,
        ip_header_ok: bool,
    }

    impl Parsed {
        fn ports(&self) -> (u16, u16) {
            (
                u16::from_be_bytes([self.transport[0], self.transport[1]]),
                u16::from_be_bytes([self.transport[2], self.transport[3]]),
            )
        }
        fn seq(&self) -> u32 {
            u32::from_be_bytes(self.transport[4..8].try_into().expect("4 bytes"))
        }
        fn ack(&self) -> u32 {
            u32::from_be_bytes(self.transport[8..12].try_into().expect("4 bytes"))
        }
        fn flags(&self) -> u8 {
            self.transport[13]
        }
        fn payload(&self) -> &[u8] {
            &self.transport[usize::from(self.transport[12] >> 4) * 4..]
        }
        /// The sequence space the segment takes: its data, and one each for SYN and FIN.
        fn end(&self) -> u32 {
            let syn_fin = u32::from(self.flags() & 0x02 != 0) + u32::from(self.flags() & 0x01 != 0);
            self.seq().wrapping_add(self.payload().len() as u32).wrapping_add(syn_fin)
        }
    }

    /// RFC 1071's one's-complement sum, folded.
    fn ones_complement(chunks: &[&[u8]]) -> u16 {
        let mut sum: u32 = 0;
        for chunk in chunks {
            let mut words = chunk.chunks(2);
            for word in &mut words {
                let high = u32::from(word[0]) << 8;
                let low = word.get(1).copied().map_or(0, u32::from);
                sum += high | low;
            }
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        !(sum as u16)
    }

    fn parse(bytes: &[u8]) -> Parsed {
        let ether_type = u16::from_be_bytes([bytes[12], bytes[13]]);
        let ip = &bytes[14..];
        match ether_type {
            0x0800 => {
                let header_len = usize::from(ip[0] & 0x0f) * 4;
                let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
                assert_eq!(total, ip.len(), "IPv4 total length");
                let src: [u8; 4] = ip[12..16].try_into().expect("4 bytes");
                let dst: [u8; 4] = ip[16..20].try_into().expect("4 bytes");
                Parsed {
                    src: IpAddr::from(src),
                    dst: IpAddr::from(dst),
                    ttl: ip[8],
                    protocol: ip[9],
                    transport: ip[header_len..].to_vec(),
                    ip_header_ok: ones_complement(&[&ip[..header_len]]) == 0,
                }
            }
            0x86dd => {
                let length = usize::from(u16::from_be_bytes([ip[4], ip[5]]));
                assert_eq!(length + 40, ip.len(), "IPv6 payload length");
                let src: [u8; 16] = ip[8..24].try_into().expect("16 bytes");
                let dst: [u8; 16] = ip[24..40].try_into().expect("16 bytes");
                Parsed {
                    src: IpAddr::from(src),
                    dst: IpAddr::from(dst),
                    ttl: ip[7],
                    protocol: ip[6],
                    transport: ip[40..].to_vec(),
                    ip_header_ok: true,
                }
            }
            other => panic!("unexpected ether type {other:#06x}"),
        }
    }

    /// The transport checksum over the pseudo-header, which sums to zero when it is right.
    fn transport_checksum_ok(parsed: &Parsed) -> bool {
        let length = parsed.transport.len() as u32;
        let ip = |address: IpAddr| match address {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.octets().to_vec(),
        };
        match (parsed.protocol, parsed.src) {
            // ICMPv4 has no pseudo-header.
            (1, _) => ones_complement(&[&parsed.transport]) == 0,
            (_, IpAddr::V4(_)) => {
                let pseudo =
                    [ip(parsed.src), ip(parsed.dst), vec![0, parsed.protocol], (length as u16).to_be_bytes().to_vec()]
                        .concat();
                ones_complement(&[&pseudo, &parsed.transport]) == 0
            }
            (_, IpAddr::V6(_)) => {
                let pseudo =
                    [ip(parsed.src), ip(parsed.dst), length.to_be_bytes().to_vec(), vec![0, 0, 0, parsed.protocol]]
                        .concat();
                ones_complement(&[&pseudo, &parsed.transport]) == 0
            }
        }
    }

    fn all_frames(timeline: &Timeline) -> Vec<(CapturePoint, Vec<Frame>)> {
        CapturePoint::ALL.into_iter().map(|at| (at, frames(timeline, at))).collect()
    }

    #[test]
    fn capture_points_read_and_print_their_tokens() {
        for point in CapturePoint::ALL {
            assert_eq!(point.to_string().parse::<CapturePoint>(), Ok(point));
            assert!(!point.label().is_empty());
        }
        let error = "lan".parse::<CapturePoint>().expect_err("no such point");
        assert_eq!(error.to_string(), "unknown capture point \"lan\"; expected one of: client, wan, server");
    }

    #[test]
    fn the_file_is_a_pcap_with_the_simulated_times() {
        let timeline = run("passive-nat-firewall");
        let frames = frames(&timeline, CapturePoint::Wan);
        let file = write_pcap(&frames);
        // Little-endian magic, version 2.4, snapshot length, Ethernet.
        assert_eq!(file[..8], [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]);
        assert_eq!(file[16..24], [0xff, 0xff, 0, 0, 1, 0, 0, 0]);
        let mut offset = 24;
        for frame in &frames {
            let word = |at: usize| u32::from_le_bytes(file[offset + at..offset + at + 4].try_into().expect("4 bytes"));
            let micros = u64::from(word(0)) * 1_000_000 + u64::from(word(4));
            assert_eq!(micros, frame.time.as_micros());
            assert_eq!(word(8) as usize, frame.bytes.len());
            assert_eq!(word(12) as usize, frame.bytes.len());
            assert_eq!(file[offset + 16..offset + 16 + frame.bytes.len()], frame.bytes[..]);
            offset += 16 + frame.bytes.len();
        }
        assert_eq!(offset, file.len());
        assert_eq!(pcap(&timeline, CapturePoint::Wan), file);
    }

    #[test]
    fn checksums_are_valid_everywhere() {
        let timelines = [
            run("active-nat-helper"),
            run("server-nat-helper"),
            run("epsv-ipv6"),
            run("encrypted-control"),
            refusing("active-client-firewall"),
            refusing("server-nat-classic-client"),
            refusing("passive-server-firewall-closed"),
        ];
        let mut icmp = 0;
        let mut resets = 0;
        for timeline in &timelines {
            for (at, frames) in all_frames(timeline) {
                assert!(!frames.is_empty());
                for frame in &frames {
                    let parsed = parse(&frame.bytes);
                    assert!(parsed.ip_header_ok, "{at}: IPv4 header checksum of {:?}", frame.packet);
                    assert!(transport_checksum_ok(&parsed), "{at}: checksum of {:?}", frame.packet);
                    icmp += usize::from(parsed.protocol != 6);
                    resets += usize::from(parsed.protocol == 6 && parsed.flags() & 0x04 != 0);
                }
            }
        }
        assert!(icmp > 0 && resets > 0, "the refusing runs have ICMP errors ({icmp}) and resets ({resets})");
    }

    #[test]
    fn a_checksum_test_can_fail() {
        let frames = frames(&run("open-network"), CapturePoint::Client);
        let mut bytes = frames[3].bytes.clone();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x20;
        assert!(!transport_checksum_ok(&parse(&bytes)));
        bytes[14 + 8] = 1; // TTL
        assert!(!parse(&bytes).ip_header_ok);
    }

    /// Each direction of each connection at a point: sequence numbers follow the bytes (a
    /// retransmitted SYN repeats the first), and acknowledgements never run ahead of what
    /// the other side had sent past that point.
    fn assert_consistent(at: CapturePoint, frames: &[Frame]) {
        struct Direction {
            isn: u32,
            next: u32,
            last_ack: Option<u32>,
        }
        let mut directions: LiteMap<(SocketAddr, SocketAddr), Direction> = LiteMap::new();
        for frame in frames {
            let parsed = parse(&frame.bytes);
            if parsed.protocol != 6 {
                continue;
            }
            let (sport, dport) = parsed.ports();
            let key = (SocketAddr::new(parsed.src, sport), SocketAddr::new(parsed.dst, dport));
            let flags = parsed.flags();
            let (syn, rst, ack) = (flags & 0x02 != 0, flags & 0x04 != 0, flags & 0x10 != 0);
            if rst {
                continue;
            }
            match directions.get_mut(&key) {
                Some(direction) if syn => {
                    assert_eq!(parsed.seq(), direction.isn, "{at}: a repeated SYN keeps its number ({key:?})")
                }
                Some(direction) => {
                    assert_eq!(parsed.seq(), direction.next, "{at}: {key:?} continues where it was");
                    direction.next = parsed.end();
                }
                None => {
                    assert!(syn, "{at}: {key:?} starts with a SYN");
                    directions.insert(key, Direction { isn: parsed.seq(), next: parsed.end(), last_ack: None });
                }
            }
            if ack {
                let reverse = (key.1, key.0);
                let sent = directions.get(&reverse).map(|other| other.next).expect("the other side spoke first");
                assert!(!after(parsed.ack(), sent), "{at}: {key:?} acknowledges only what was sent");
                let direction = directions.get_mut(&key).expect("known");
                if let Some(last) = direction.last_ack {
                    assert!(!after(last, parsed.ack()), "{at}: acknowledgements never go back");
                }
                direction.last_ack = Some(parsed.ack());
            }
        }
    }

    #[test]
    fn sequence_numbers_are_consistent_at_every_point() {
        for id in ["active-nat-helper", "passive-nat-firewall", "server-nat-helper", "epsv-ipv6", "encrypted-control"] {
            for (at, frames) in all_frames(&run(id)) {
                assert_consistent(at, &frames);
            }
        }
        for (at, frames) in all_frames(&refusing("active-client-firewall")) {
            assert_consistent(at, &frames);
        }
    }

    #[test]
    fn a_retransmitted_syn_keeps_its_number_and_is_seen_only_where_it_went() {
        // The home router's firewall drops the server's data connection: every try reaches the
        // home router's internet side, none the client.
        let timeline = run("active-client-firewall");
        let data_syns = |at: CapturePoint| -> Vec<u32> {
            frames(&timeline, at)
                .iter()
                .filter(|frame| frame.channel == Channel::Data(1))
                .map(|frame| parse(&frame.bytes))
                .filter(|parsed| parsed.flags() & 0x12 == 0x02)
                .map(|parsed| parsed.seq())
                .collect()
        };
        let at_wan = data_syns(CapturePoint::Wan);
        assert!(at_wan.len() > 1, "the SYN is sent again");
        assert!(at_wan.iter().all(|seq| *seq == at_wan[0]));
        assert_eq!(data_syns(CapturePoint::Server), at_wan);
        assert!(data_syns(CapturePoint::Client).is_empty());
    }

    #[test]
    fn a_reset_answers_a_syn_as_linux_does() {
        let timeline = refusing("active-client-firewall");
        let frames = frames(&timeline, CapturePoint::Wan);
        let parsed: Vec<Parsed> = frames.iter().map(|frame| parse(&frame.bytes)).collect();
        let reset = parsed.iter().position(|p| p.protocol == 6 && p.flags() & 0x04 != 0).expect("a reset");
        let syn = parsed[..reset].iter().rev().find(|p| p.flags() & 0x12 == 0x02).expect("the SYN it answers");
        assert_eq!(parsed[reset].flags() & 0x14, 0x14, "RST-ACK");
        assert_eq!(parsed[reset].seq(), 0);
        assert_eq!(parsed[reset].ack(), syn.seq().wrapping_add(1));
        assert_eq!(parsed[reset].ports(), (syn.ports().1, syn.ports().0));
    }

    #[test]
    fn an_icmp_error_quotes_the_packet_with_the_addresses_of_its_side() {
        let timeline = refusing("server-nat-classic-client");
        for (at, expected_inner_src) in [(CapturePoint::Client, "192.168.1.2"), (CapturePoint::Wan, "203.0.113.1")] {
            let frames = frames(&timeline, at);
            let icmp = frames.iter().map(|frame| parse(&frame.bytes)).find(|p| p.protocol == 1).expect("an ICMP error");
            assert_eq!(icmp.transport[0..2], [3, 0], "{at}: network unreachable");
            let quoted = &icmp.transport[8..];
            assert_eq!(IpAddr::from(<[u8; 4]>::try_from(&quoted[12..16]).expect("4")).to_string(), expected_inner_src);
            assert_eq!(IpAddr::from(<[u8; 4]>::try_from(&quoted[16..20]).expect("4")).to_string(), "10.0.0.10");
        }
        assert!(frames(&timeline, CapturePoint::Server).iter().all(|frame| parse(&frame.bytes).protocol == 6));
    }

    #[test]
    fn a_rewrite_that_changes_the_length_shifts_the_rest_of_the_connection() {
        // The server router's helper writes the public address into 227: four bytes longer.
        let timeline = run("server-nat-helper");
        let at_server = frames(&timeline, CapturePoint::Server);
        let at_wan = frames(&timeline, CapturePoint::Wan);
        let reply = |frames: &[Frame]| {
            frames.iter().position(|frame| parse(&frame.bytes).payload().starts_with(b"227 ")).expect("the 227 reply")
        };
        let (server_227, wan_227) = (reply(&at_server), reply(&at_wan));
        let grown = parse(&at_wan[wan_227].bytes).payload().len() - parse(&at_server[server_227].bytes).payload().len();
        assert_eq!(grown, 4);
        let mut checked = 0;
        for frame in at_server.iter().skip(server_227 + 1).filter(|frame| frame.channel == Channel::Control) {
            let Some(there) = at_wan.iter().find(|other| other.packet == frame.packet) else { continue };
            let (here, there) = (parse(&frame.bytes), parse(&there.bytes));
            if here.src == IpAddr::from([10, 0, 0, 10]) {
                assert_eq!(there.seq(), here.seq().wrapping_add(4), "the server's later bytes move up");
            } else {
                assert_eq!(here.ack(), there.ack().wrapping_sub(4), "the client's acknowledgements move down");
            }
            checked += 1;
        }
        assert!(checked > 4, "{checked}");
        // Before the rewrite both points agree.
        for frame in &at_server[..server_227] {
            let there = at_wan.iter().find(|other| other.packet == frame.packet).expect("seen at both points");
            assert_eq!(parse(&frame.bytes).seq(), parse(&there.bytes).seq());
        }
    }

    #[test]
    fn frames_are_the_packets_that_passed_when_they_passed() {
        let timeline = run("active-nat-helper");
        let client = frames(&timeline, CapturePoint::Client);
        let expected: Vec<(Instant, PacketId)> = timeline
            .events()
            .iter()
            .filter(|event| event.device == NodeId::Client)
            .filter_map(|event| match &event.kind {
                EventKind::PacketSent { packet, .. } | EventKind::PacketDelivered { packet } => {
                    Some((event.time, packet.id))
                }
                _ => None,
            })
            .collect();
        let got: Vec<(Instant, PacketId)> = client.iter().map(|frame| (frame.time, frame.packet)).collect();
        assert_eq!(got, expected);
        // The same packets carry the same TTLs: 64 from the client, less one per router on the way in.
        for frame in &client {
            let parsed = parse(&frame.bytes);
            let expected_ttl = if parsed.src == IpAddr::from([192, 168, 1, 2]) { 64 } else { 61 };
            assert_eq!(parsed.ttl, expected_ttl);
        }
    }

    #[test]
    fn a_branched_run_is_captured_as_shown() {
        // Start in active mode behind NAT, then switch to passive mode once logged in.
        let timeline = run("active-nat");
        let logged_in = timeline
            .events()
            .iter()
            .position(|event| matches!(&event.kind, EventKind::PacketDelivered { packet } if packet.preview.starts_with("230")))
            .expect("the client logs in");
        let mut scenario = timeline.scenario().clone();
        scenario.mode = crate::ftp::client::DataMode::Pasv;
        let branched = timeline.branch(logged_in, &scenario).expect("a branch");
        let commands = |timeline: &Timeline| -> Vec<String> {
            frames(timeline, CapturePoint::Wan)
                .iter()
                .map(|frame| String::from_utf8_lossy(parse(&frame.bytes).payload()).into_owned())
                .filter(|text| text.starts_with("PORT") || text.starts_with("PASV"))
                .collect()
        };
        assert_eq!(commands(&timeline).len(), 1);
        assert!(commands(&timeline)[0].starts_with("PORT 192,168,1,2,"));
        assert_eq!(commands(&branched), ["PASV\r\n"]);
        let sent_by_client = |timeline: &Timeline| -> Vec<PacketId> {
            timeline
                .events()
                .iter()
                .filter_map(|event| match &event.kind {
                    EventKind::PacketSent { packet, .. } if event.device == NodeId::Client => Some(packet.id),
                    _ => None,
                })
                .collect()
        };
        let client: Vec<PacketId> = frames(&branched, CapturePoint::Client)
            .iter()
            .filter(|frame| parse(&frame.bytes).src == IpAddr::from([192, 168, 1, 2]))
            .map(|frame| frame.packet)
            .collect();
        assert_eq!(client, sent_by_client(&branched));
        assert_ne!(sent_by_client(&branched), sent_by_client(&timeline));
        for (at, frames) in all_frames(&branched) {
            assert_consistent(at, &frames);
        }
    }

    #[test]
    fn encrypted_segments_are_tls_records_alike_everywhere() {
        let timeline = run("encrypted-control");
        let records = |at: CapturePoint| -> Vec<Vec<u8>> {
            frames(&timeline, at)
                .iter()
                .map(|frame| parse(&frame.bytes).payload().to_vec())
                .filter(|payload| payload.starts_with(&[0x17, 0x03, 0x03]))
                .collect()
        };
        let at_client = records(CapturePoint::Client);
        assert!(!at_client.is_empty());
        assert_eq!(records(CapturePoint::Server), at_client);
        let encrypted: Vec<&crate::sim::trace::PacketInfo> = timeline
            .events()
            .iter()
            .filter(|event| event.device == NodeId::Client)
            .filter_map(|event| match &event.kind {
                EventKind::PacketSent { packet, .. } if packet.encrypted => Some(packet),
                _ => None,
            })
            .collect();
        let sent: Vec<usize> = encrypted.iter().map(|packet| packet.payload_len + 5 + 1 + TLS_TAG).collect();
        let client_records: Vec<usize> = frames(&timeline, CapturePoint::Client)
            .iter()
            .map(|frame| parse(&frame.bytes))
            .filter(|parsed| parsed.src == IpAddr::from([192, 168, 1, 2]) && parsed.payload().starts_with(&[0x17]))
            .map(|parsed| parsed.payload().len())
            .collect();
        assert_eq!(client_records, sent);
        // Nothing of the plain text shows.
        assert!(at_client.iter().all(|record| !record.windows(4).any(|window| window == b"RETR" || window == b"PORT")));
    }

    #[test]
    fn sequence_helpers_wrap() {
        assert!(after(1, 0));
        assert!(after(0, u32::MAX));
        assert!(!after(u32::MAX, 0));
        assert_eq!(shift(u32::MAX, 2), 1);
        assert_eq!(shift(1, -2), u32::MAX);
    }
}
