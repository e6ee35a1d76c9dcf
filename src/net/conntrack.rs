//! Connection tracking, as Linux's netfilter conntrack does it for TCP.
//!
//! Every connection a device forwards gets an entry with two tuples: the *original* direction
//! (as the first packet arrived) and the *reply* direction (what answers will look like after
//! any NAT). A packet is classified before the filter sees it:
//!
//! - **NEW**: the first packets of a connection nobody expected;
//! - **ESTABLISHED**: the connection has seen packets both ways;
//! - **RELATED**: a new connection that a helper announced in advance (an *expectation*), such
//!   as the data connection the FTP helper read out of a `PORT` command.
//!
//! Simplified: a closed connection's entry (TIME_WAIT after FIN both ways and an ACK, CLOSE after
//! a reset) lingers for [`CLOSED_LINGER`] instead of Linux's 120 s (TIME_WAIT) or 10 s (CLOSE),
//! so the tables a class looks at are not crowded by old connections; expectations do not time
//! out.

use litemap::LiteMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};

use super::packet::TcpFlags;
use crate::time::{Duration, Instant};

/// How long a closed connection's entry stays in the table (see the module doc).
pub const CLOSED_LINGER: Duration = Duration::from_secs(2);

/// The addresses of one direction of a TCP connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Tuple {
    pub src: SocketAddr,
    pub dst: SocketAddr,
}

impl Tuple {
    /// The same connection seen from the other end.
    pub fn reversed(self) -> Tuple {
        Tuple { src: self.dst, dst: self.src }
    }
}

impl fmt::Display for Tuple {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} → {}", self.src, self.dst)
    }
}

/// How the filter sees a packet (`ct state` in nftables).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CtState {
    New,
    Established,
    Related,
}

impl fmt::Display for CtState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CtState::New => "NEW",
            CtState::Established => "ESTABLISHED",
            CtState::Related => "RELATED",
        })
    }
}

/// Which way a packet travels relative to its connection's first packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    Original,
    Reply,
}

/// The TCP state conntrack follows (its names, as `conntrack -L` prints them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CtTcpState {
    SynSent,
    SynRecv,
    Established,
    FinWait,
    CloseWait,
    LastAck,
    TimeWait,
    Close,
}

impl fmt::Display for CtTcpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CtTcpState::SynSent => "SYN_SENT",
            CtTcpState::SynRecv => "SYN_RECV",
            CtTcpState::Established => "ESTABLISHED",
            CtTcpState::FinWait => "FIN_WAIT",
            CtTcpState::CloseWait => "CLOSE_WAIT",
            CtTcpState::LastAck => "LAST_ACK",
            CtTcpState::TimeWait => "TIME_WAIT",
            CtTcpState::Close => "CLOSE",
        })
    }
}

/// Address translation attached to an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NatKind {
    /// Source rewritten on the way out (masquerade).
    Source,
    /// Destination rewritten on the way in (port forward, or a helper's expectation).
    Destination,
}

/// One tracked connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: u32,
    pub original: Tuple,
    pub reply: Tuple,
    pub tcp_state: CtTcpState,
    /// Packets have been seen in both directions.
    pub seen_reply: bool,
    /// Created from an expectation.
    pub related: bool,
    /// The FTP helper reads this connection's payload.
    pub helper: bool,
    pub nat: Option<NatKind>,
    /// When the connection reached TIME_WAIT or CLOSE.
    pub closed_at: Option<Instant>,
    fin_original: bool,
    fin_reply: bool,
}

impl Entry {
    /// How the filter classifies a packet of this entry.
    pub fn state_for(&self, direction: Direction) -> CtState {
        if self.seen_reply || direction == Direction::Reply {
            CtState::Established
        } else if self.related {
            CtState::Related
        } else {
            CtState::New
        }
    }

    /// The addresses a packet travelling in `direction` must carry after translation.
    pub fn translated(&self, direction: Direction) -> Tuple {
        match direction {
            Direction::Original => self.reply.reversed(),
            Direction::Reply => self.original.reversed(),
        }
    }

    /// Follows the TCP flags of a packet; returns true when the connection is over.
    fn follow(&mut self, direction: Direction, flags: TcpFlags) -> bool {
        if direction == Direction::Reply {
            self.seen_reply = true;
        }
        if flags.rst {
            self.tcp_state = CtTcpState::Close;
            return true;
        }
        if self.tcp_state == CtTcpState::TimeWait {
            return true;
        }
        match direction {
            Direction::Original if flags.fin => self.fin_original = true,
            Direction::Reply if flags.fin => self.fin_reply = true,
            _ => {}
        }
        self.tcp_state =
            match (self.tcp_state, flags.syn, flags.ack) {
                (CtTcpState::SynSent, true, true) if direction == Direction::Reply => CtTcpState::SynRecv,
                (CtTcpState::SynRecv, false, true) if direction == Direction::Original => CtTcpState::Established,
                (state, ..) if !self.fin_original && !self.fin_reply => state,
                (CtTcpState::Established | CtTcpState::SynRecv, ..) if flags.fin => {
                    if direction == Direction::Original { CtTcpState::FinWait } else { CtTcpState::CloseWait }
                }
                (CtTcpState::FinWait | CtTcpState::CloseWait, ..)
                    if self.fin_original && self.fin_reply && flags.fin =>
                {
                    CtTcpState::LastAck
                }
                (CtTcpState::LastAck, false, true) => CtTcpState::TimeWait,
                (state, ..) => state,
            };
        self.tcp_state == CtTcpState::TimeWait
    }
}

/// A connection a helper announced: "a connection from `src_ip` to `dst` is coming; let it in
/// as RELATED (and send it to `nat_to` if set)".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expectation {
    pub id: u32,
    /// The entry of the control connection that announced it.
    pub master: u32,
    pub src_ip: IpAddr,
    pub dst: SocketAddr,
    /// Where the expected connection really goes (the private address before NAT).
    pub nat_to: Option<SocketAddr>,
}

impl Expectation {
    fn matches(&self, tuple: Tuple) -> bool {
        tuple.src.ip() == self.src_ip && tuple.dst == self.dst
    }
}

/// The table of one device.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Conntrack {
    entries: LiteMap<u32, Entry>,
    expectations: LiteMap<u32, Expectation>,
    next_id: u32,
}

impl Conntrack {
    /// The entry a packet with these addresses belongs to, and which way it travels.
    pub fn lookup(&self, tuple: Tuple) -> Option<(u32, Direction)> {
        self.entries.values().find_map(|entry| {
            if entry.original == tuple {
                Some((entry.id, Direction::Original))
            } else if entry.reply == tuple {
                Some((entry.id, Direction::Reply))
            } else {
                None
            }
        })
    }

    /// The entry with this id.
    pub fn get(&self, id: u32) -> Option<&Entry> {
        self.entries.get(&id)
    }

    /// All entries, oldest first.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// All pending expectations, oldest first.
    pub fn expectations(&self) -> impl Iterator<Item = &Expectation> {
        self.expectations.values()
    }

    /// True when some entry or expectation already uses `addr` as a translated address, so a
    /// new translation must pick another port.
    pub fn translation_in_use(&self, addr: SocketAddr) -> bool {
        self.entries.values().any(|entry| entry.reply.dst == addr || entry.reply.src == addr)
            || self.expectations.values().any(|expectation| expectation.dst == addr)
    }

    fn next_id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    /// Takes the expectation this new connection fulfils, if any.
    pub fn take_expectation(&mut self, tuple: Tuple) -> Option<Expectation> {
        let id = self
            .expectations
            .values()
            .find(|expectation| expectation.matches(tuple))
            .map(|expectation| expectation.id)?;
        self.expectations.remove(&id)
    }

    /// Adds an entry for a new connection and returns its id.
    pub fn insert(&mut self, original: Tuple, reply: Tuple, related: bool, helper: bool, nat: Option<NatKind>) -> u32 {
        let id = self.next_id();
        let entry = Entry {
            id,
            original,
            reply,
            tcp_state: CtTcpState::SynSent,
            seen_reply: false,
            related,
            helper,
            nat,
            closed_at: None,
            fin_original: false,
            fin_reply: false,
        };
        self.entries.insert(id, entry);
        id
    }

    /// Removes an entry (and the expectations it announced).
    pub fn remove(&mut self, id: u32) -> Option<Entry> {
        self.expectations.retain(|_, expectation| expectation.master != id);
        self.entries.remove(&id)
    }

    /// Records a packet's flags at `now`; returns the entry's new TCP state and whether the
    /// connection is over (the entry then lingers; see [`Conntrack::purge`]).
    pub fn follow(
        &mut self,
        id: u32,
        direction: Direction,
        flags: TcpFlags,
        now: Instant,
    ) -> Option<(CtTcpState, bool)> {
        let entry = self.entries.get_mut(&id)?;
        let over = entry.follow(direction, flags);
        if over && entry.closed_at.is_none() {
            entry.closed_at = Some(now);
            self.expectations.retain(|_, expectation| expectation.master != id);
        }
        Some((entry.tcp_state, over))
    }

    /// Removes entries of connections that closed at least [`CLOSED_LINGER`] before `now`.
    pub fn purge(&mut self, now: Instant) -> Vec<Entry> {
        let expired: Vec<u32> = self
            .entries
            .values()
            .filter(|entry| entry.closed_at.is_some_and(|closed| now.saturating_since(closed) >= CLOSED_LINGER))
            .map(|entry| entry.id)
            .collect();
        expired.into_iter().filter_map(|id| self.remove(id)).collect()
    }

    /// Adds an expectation and returns it.
    pub fn expect(&mut self, master: u32, src_ip: IpAddr, dst: SocketAddr, nat_to: Option<SocketAddr>) -> Expectation {
        let id = self.next_id();
        let expectation = Expectation { id, master, src_ip, dst, nat_to };
        self.expectations.insert(id, expectation.clone());
        expectation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuple(src: &str, dst: &str) -> Tuple {
        Tuple { src: src.parse().expect("addr"), dst: dst.parse().expect("addr") }
    }

    #[test]
    fn a_connection_goes_from_new_to_established_and_is_removed_when_closed() {
        let mut table = Conntrack::default();
        let original = tuple("192.168.1.2:40000", "198.51.100.10:21");
        let reply = tuple("198.51.100.10:21", "203.0.113.1:40000");
        let id = table.insert(original, reply, false, true, Some(NatKind::Source));
        assert_eq!(table.lookup(original), Some((id, Direction::Original)));
        assert_eq!(table.lookup(reply), Some((id, Direction::Reply)));
        assert_eq!(table.lookup(original.reversed()), None);
        let entry = table.get(id).expect("entry");
        assert_eq!(entry.state_for(Direction::Original), CtState::New);
        assert_eq!(entry.translated(Direction::Original), tuple("203.0.113.1:40000", "198.51.100.10:21"));
        assert_eq!(entry.translated(Direction::Reply), tuple("198.51.100.10:21", "192.168.1.2:40000"));

        let t = Instant::ZERO;
        table.follow(id, Direction::Original, TcpFlags::SYN, t);
        assert_eq!(table.follow(id, Direction::Reply, TcpFlags::SYN_ACK, t), Some((CtTcpState::SynRecv, false)));
        assert_eq!(table.get(id).expect("entry").state_for(Direction::Original), CtState::Established);
        assert_eq!(table.follow(id, Direction::Original, TcpFlags::ACK, t), Some((CtTcpState::Established, false)));
        assert_eq!(table.follow(id, Direction::Original, TcpFlags::FIN_ACK, t), Some((CtTcpState::FinWait, false)));
        assert_eq!(table.follow(id, Direction::Reply, TcpFlags::FIN_ACK, t), Some((CtTcpState::LastAck, false)));
        assert_eq!(table.follow(id, Direction::Original, TcpFlags::ACK, t), Some((CtTcpState::TimeWait, true)));
        // The closed entry lingers, still matching stray packets, then goes.
        assert_eq!(table.follow(id, Direction::Reply, TcpFlags::ACK, t), Some((CtTcpState::TimeWait, true)));
        assert!(table.purge(Instant::from_micros(1_000_000)).is_empty());
        assert_eq!(table.purge(Instant::from_micros(2_000_000)).len(), 1);
        assert_eq!(table.entries().count(), 0);
    }

    #[test]
    fn reset_removes_at_once() {
        let mut table = Conntrack::default();
        let original = tuple("1.1.1.1:1000", "2.2.2.2:21");
        let id = table.insert(original, original.reversed(), false, false, None);
        assert_eq!(
            table.follow(id, Direction::Reply, TcpFlags::RST_ACK, Instant::ZERO),
            Some((CtTcpState::Close, true))
        );
        assert_eq!(table.purge(Instant::from_micros(2_000_000)).len(), 1);
        assert!(table.get(id).is_none());
    }

    #[test]
    fn expectations_make_related_connections_and_die_with_their_master() {
        let mut table = Conntrack::default();
        let control = tuple("192.168.1.2:40000", "198.51.100.10:21");
        let master =
            table.insert(control, tuple("198.51.100.10:21", "203.0.113.1:40000"), false, true, Some(NatKind::Source));
        let public: SocketAddr = "203.0.113.1:5200".parse().expect("addr");
        table.expect(
            master,
            "198.51.100.10".parse().expect("ip"),
            public,
            Some("192.168.1.2:5200".parse().expect("addr")),
        );
        assert!(table.translation_in_use(public));
        assert!(table.take_expectation(tuple("192.0.2.9:20", "203.0.113.1:5200")).is_none(), "wrong source");
        let found = table.take_expectation(tuple("198.51.100.10:20", "203.0.113.1:5200")).expect("expected");
        assert_eq!(found.master, master);
        assert_eq!(table.expectations().count(), 0);

        table.expect(master, "198.51.100.10".parse().expect("ip"), public, None);
        table.remove(master);
        assert_eq!(table.expectations().count(), 0);
    }

    #[test]
    fn related_until_the_reply_is_seen() {
        let mut table = Conntrack::default();
        let data = tuple("198.51.100.10:20", "203.0.113.1:5200");
        let id =
            table.insert(data, tuple("192.168.1.2:5200", "198.51.100.10:20"), true, false, Some(NatKind::Destination));
        assert_eq!(table.get(id).expect("entry").state_for(Direction::Original), CtState::Related);
        table.follow(id, Direction::Reply, TcpFlags::SYN_ACK, Instant::ZERO);
        assert_eq!(table.get(id).expect("entry").state_for(Direction::Original), CtState::Established);
    }
}
