//! Devices on the path: rules over packets that return a [`Verdict`] and say why.
//!
//! A [`Middlebox`] is a Linux router or firewall, processing each packet in netfilter's order:
//!
//! 1. **conntrack** — find the packet's connection, or an expectation it fulfils (RELATED), or
//!    start a NEW entry, choosing its address translation (port forward in, masquerade out);
//! 2. **filter** — the forward chain (or the input chain, for packets to the device itself)
//!    accepts, drops or rejects, reading the conntrack state;
//! 3. **NAT** — rewrite addresses as the entry says;
//! 4. **FTP helper** — on control connections it is assigned to, read `PORT`/`EPRT`/`227`/`229`,
//!    create an expectation, and under NAT rewrite the announced address.
//!
//! The [`Internet`] is a stateless router that carries no route to private addresses.
//!
//! Every decision is also reported as [`DeviceEvent`]s in words a student can read.

use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};

use super::alg::{self, Announcement, Reading, Unreadable};
use super::conntrack::{Conntrack, CtState, CtTcpState, Direction, Entry, Expectation, NatKind, Tuple};
use super::firewall::{Action, Chain, Decision, Filter, PacketFacts, Side};
use super::packet::{Body, Channel, Packet, TcpFlags, Unreachable, is_private};
use crate::time::Instant;

/// What a device does with a packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Send it on (possibly rewritten).
    Pass(Packet),
    /// Discard it silently.
    Drop { rule: String, reason: Refusal },
    /// Discard it and send `response` back to the sender.
    Reject { rule: String, reason: Refusal, response: Packet },
}

/// Why a device refused a packet. Devices name the reason and its facts; the layer that shows
/// it chooses the words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "refusal")]
pub enum Refusal {
    /// A new connection from outside that no rule lets in: nobody inside started it, and no
    /// FTP helper announced it.
    NewFromOutside { port: u16 },
    /// A new connection from inside that the rules do not allow.
    NewFromInside { port: u16 },
    /// A packet of a connection in a state the rules do not allow.
    StateNotAllowed { state: CtState },
    /// A packet for the device itself, on a port where nothing listens or is forwarded.
    NothingListens { port: u16 },
    /// An ICMP error about a connection the device does not know.
    UnknownError,
    /// The FTP helper found an announcement it cannot read, and drops it as the kernel does.
    HelperCannotRead { what: Unreadable },
    /// No route to a private address.
    PrivateDestination { ip: IpAddr },
    /// A host received a packet that is not addressed to it.
    NotForThisHost,
    /// Nobody on the path owns the destination address.
    NoRoute { ip: IpAddr },
}

/// What an FTP helper has to say besides its rewrites and expectations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "note")]
pub enum HelperNote {
    /// The announcement names another host than the one that sent it: the helper ignores it.
    NotTheSender { announcement: String, announced: IpAddr, sender: IpAddr },
    /// The control connection is encrypted: this segment carries a PORT, EPRT, 227 or 229 the
    /// helper cannot read (the simulator knows what is inside; the helper does not).
    CannotReadEncrypted { hidden: String },
    /// A new control connection to a port the helper is not assigned to. Narration only: the
    /// kernel's helper says nothing; the simulator says what it will not do, so the class sees
    /// why nothing happens.
    NotWatching { port: u16, watched: Vec<u16> },
}

/// Something a device did or decided while handling a packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "event")]
pub enum DeviceEvent {
    /// A new conntrack entry.
    ConntrackAdded { entry: Entry },
    /// An entry's TCP state changed.
    ConntrackState { id: u32, original: Tuple, state: CtTcpState },
    /// An entry was removed (the connection closed).
    ConntrackRemoved { entry: Entry },
    /// The filter's decision.
    Filtered { state: CtState, decision: Decision },
    /// The source address was translated.
    SourceTranslated { from: SocketAddr, to: SocketAddr },
    /// The destination address was translated.
    DestinationTranslated { from: SocketAddr, to: SocketAddr },
    /// The FTP helper expects a data connection.
    ExpectationAdded { expectation: Expectation, announced_by: String },
    /// A new connection matched an expectation.
    ExpectationUsed { expectation: Expectation },
    /// The FTP helper rewrote a command or reply.
    PayloadRewritten { before: String, after: String },
    /// Anything else about the FTP helper.
    HelperNote { note: HelperNote },
}

/// A device's answer: what happens to the packet, and what it did on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handled {
    pub verdict: Verdict,
    pub events: Vec<DeviceEvent>,
}

/// The shared interface of every device on the path: a rule over packets (turmoil-net's
/// `on_packet → Verdict`). The world hands each arriving packet to the device through it.
pub trait Device {
    /// Handles a packet that arrived from `from` at virtual time `now`.
    fn on_packet(&mut self, now: Instant, packet: Packet, from: Side) -> Handled;
}

/// Inbound destination NAT for a port range (a "port forward").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortForward {
    pub ports: (u16, u16),
    pub to: IpAddr,
}

/// How a middlebox is set up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MiddleboxConfig {
    pub name: String,
    /// The device's own addresses (packets to them are for the device itself).
    pub addresses: Vec<IpAddr>,
    /// Masquerade connections from inside behind this public address.
    pub masquerade: Option<IpAddr>,
    /// Forward these ports arriving at the public address to a host inside.
    pub port_forwards: Vec<PortForward>,
    pub filter: Filter,
    /// The FTP helper, and the control ports it is assigned to (`None`: no helper).
    pub helper_ports: Option<Vec<u16>>,
}

/// A Linux router or firewall: conntrack, filter, NAT and FTP helper.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Middlebox {
    pub config: MiddleboxConfig,
    conntrack: Conntrack,
}

impl Middlebox {
    pub fn new(config: MiddleboxConfig) -> Self {
        Middlebox { config, conntrack: Conntrack::default() }
    }

    /// The connection-tracking table, for the page's device tables.
    pub fn conntrack(&self) -> &Conntrack {
        &self.conntrack
    }

    /// Applies new settings; tracked connections stay (as they do when a rule set is reloaded),
    /// and keep the helper assignment they got when they started, as in netfilter.
    pub fn reconfigure(&mut self, config: MiddleboxConfig) {
        self.config = config;
    }

    fn is_own(&self, ip: IpAddr) -> bool {
        self.config.addresses.contains(&ip)
    }

    /// A public port for `private_port`: the same one if free (Linux keeps it), else the next.
    fn public_port(&self, public: IpAddr, wanted: u16) -> u16 {
        let mut port = wanted;
        for _ in 0..u16::MAX {
            if !self.conntrack.translation_in_use(SocketAddr::new(public, port)) {
                return port;
            }
            port = port.checked_add(1).unwrap_or(1024);
        }
        wanted
    }

    /// The reply tuple (and translation) for a brand-new connection, by the NAT rules.
    fn plan_translation(&self, tuple: Tuple, from: Side) -> (Tuple, Option<NatKind>) {
        let mut reply = tuple.reversed();
        if from == Side::Outside && self.is_own(tuple.dst.ip()) {
            let port = tuple.dst.port();
            if let Some(forward) = self.config.port_forwards.iter().find(|f| (f.ports.0..=f.ports.1).contains(&port)) {
                reply.src = SocketAddr::new(forward.to, port);
                return (reply, Some(NatKind::Destination));
            }
        }
        if let Some(public) = self.config.masquerade
            && from == Side::Inside
            && !self.is_own(tuple.dst.ip())
            && public.is_ipv4() == tuple.src.is_ipv4()
        {
            let port = self.public_port(public, tuple.src.port());
            reply.dst = SocketAddr::new(public, port);
            return (reply, Some(NatKind::Source));
        }
        (reply, None)
    }

    fn on_icmp(&mut self, packet: Packet, from: Side) -> Handled {
        let Body::Icmp { reason, about_src, about_dst } = packet.body.clone() else {
            return Handled { verdict: Verdict::Pass(packet), events: Vec::new() };
        };
        // The error is about a packet that left this device translated; send it to whoever
        // really sent that packet.
        let about = Tuple { src: about_src, dst: about_dst };
        let found = self.conntrack.entries().find_map(|entry| {
            [Direction::Original, Direction::Reply]
                .into_iter()
                .find(|dir| entry.translated(*dir) == about)
                .map(|dir| (entry.clone(), dir))
        });
        let mut events = Vec::new();
        let state = if found.is_some() { CtState::Related } else { CtState::New };
        let facts = PacketFacts { chain: Chain::Forward, from, state, dport: 0 };
        let decision = self.config.filter.decide(&facts);
        events.push(DeviceEvent::Filtered { state, decision: decision.clone() });
        if decision.action != Action::Accept {
            return Handled { verdict: Verdict::Drop { rule: decision.text, reason: Refusal::UnknownError }, events };
        }
        let mut out = packet;
        if let Some((entry, dir)) = found {
            let untranslated = match dir {
                Direction::Original => entry.original,
                Direction::Reply => entry.reply,
            };
            if out.dst != untranslated.src {
                events.push(DeviceEvent::DestinationTranslated { from: out.dst, to: untranslated.src });
            }
            out.dst = SocketAddr::new(untranslated.src.ip(), 0);
            out.body = Body::Icmp { reason, about_src: untranslated.src, about_dst: untranslated.dst };
        }
        Handled { verdict: Verdict::Pass(out), events }
    }

    /// Runs the FTP helper over a control-connection segment that passed the filter.
    fn help(
        &mut self,
        entry: &Entry,
        direction: Direction,
        out: &mut Packet,
        events: &mut Vec<DeviceEvent>,
    ) -> Result<(), Unreadable> {
        let reading = match direction {
            Direction::Original => alg::read_command(out.payload()),
            Direction::Reply => alg::read_reply(out.payload()),
        };
        let (announcement, span) = match reading {
            Reading::Nothing => return Ok(()),
            Reading::Unreadable(what) => return Err(what),
            Reading::Found { announcement, span } => (announcement, span),
        };
        // Who announced, as this device saw it before any translation, and who will connect.
        let (announcer, connector, public_ip) = match direction {
            Direction::Original => (entry.original.src.ip(), entry.reply.src.ip(), entry.reply.dst.ip()),
            Direction::Reply => (entry.reply.src.ip(), entry.original.src.ip(), entry.original.dst.ip()),
        };
        let announced = match announcement {
            Announcement::Port(addr) | Announcement::Passive(addr) => SocketAddr::V4(addr),
            Announcement::Eprt(addr) => addr,
            Announcement::ExtendedPassive(port) => SocketAddr::new(announcer, port),
        };
        if announced.ip() != announcer {
            events.push(DeviceEvent::HelperNote {
                note: HelperNote::NotTheSender {
                    announcement: announcement.name().to_owned(),
                    announced: announced.ip(),
                    sender: announcer,
                },
            });
            return Ok(());
        }
        let translated = public_ip != announcer;
        let public = if translated {
            SocketAddr::new(public_ip, self.public_port(public_ip, announced.port()))
        } else {
            announced
        };
        let expectation = self.conntrack.expect(entry.id, connector, public, translated.then_some(announced));
        events.push(DeviceEvent::ExpectationAdded { expectation, announced_by: announcement.name().to_owned() });
        if translated || public.port() != announced.port() {
            let before = alg::first_line(out.payload());
            let rewritten = alg::rewrite(out.payload(), announcement, span, public);
            if let Body::Tcp { payload, .. } = &mut out.body {
                *payload = rewritten;
            }
            let after = alg::first_line(out.payload());
            if before != after {
                events.push(DeviceEvent::PayloadRewritten { before, after });
            }
        }
        Ok(())
    }
}

impl Device for Middlebox {
    fn on_packet(&mut self, now: Instant, packet: Packet, from: Side) -> Handled {
        let mut events: Vec<DeviceEvent> =
            self.conntrack.purge(now).into_iter().map(|entry| DeviceEvent::ConntrackRemoved { entry }).collect();
        let Some(flags) = packet.flags() else {
            let mut handled = self.on_icmp(packet, from);
            events.append(&mut handled.events);
            handled.events = events;
            return handled;
        };
        let tuple = Tuple { src: packet.src, dst: packet.dst };
        let (id, direction, fresh) = match self.conntrack.lookup(tuple) {
            Some((id, direction)) => (id, direction, false),
            None => {
                let expected = self.conntrack.take_expectation(tuple);
                let (reply, nat) = match expected.as_ref().and_then(|expectation| expectation.nat_to) {
                    Some(target) => (Tuple { src: target, dst: tuple.src }, Some(NatKind::Destination)),
                    None => self.plan_translation(tuple, from),
                };
                let helper = expected.is_none()
                    && self.config.helper_ports.as_ref().is_some_and(|ports| ports.contains(&tuple.dst.port()));
                let id = self.conntrack.insert(tuple, reply, expected.is_some(), helper, nat);
                if let Some(expectation) = expected {
                    events.push(DeviceEvent::ExpectationUsed { expectation });
                }
                (id, Direction::Original, true)
            }
        };
        let Some(entry) = self.conntrack.get(id).cloned() else {
            return Handled { verdict: Verdict::Pass(packet), events };
        };
        let state = entry.state_for(direction);
        let translated = entry.translated(direction);
        let for_device = self.is_own(translated.dst.ip());
        let chain = if for_device { Chain::Input } else { Chain::Forward };
        let decision = self.config.filter.decide(&PacketFacts { chain, from, state, dport: translated.dst.port() });
        events.push(DeviceEvent::Filtered { state, decision: decision.clone() });
        let refuse =
            |events: Vec<DeviceEvent>, conntrack: &mut Conntrack, action: Action, rule: String, reason: Refusal| {
                if fresh {
                    // An unconfirmed entry dies with its first packet, as in netfilter.
                    conntrack.remove(id);
                }
                let verdict = if action == Action::Reject {
                    let flags = if flags.ack { TcpFlags::RST } else { TcpFlags::RST_ACK };
                    let response = Packet::tcp(packet.dst, packet.src, flags, Vec::new(), packet.channel);
                    Verdict::Reject { rule, reason, response }
                } else {
                    Verdict::Drop { rule, reason }
                };
                Handled { verdict, events }
            };
        match decision.action {
            Action::Drop | Action::Reject => {
                let port = translated.dst.port();
                let reason = match (state, from) {
                    (CtState::New, Side::Outside) => Refusal::NewFromOutside { port },
                    (CtState::New, Side::Inside) => Refusal::NewFromInside { port },
                    _ => Refusal::StateNotAllowed { state },
                };
                return refuse(events, &mut self.conntrack, decision.action, decision.text, reason);
            }
            Action::Accept => {}
        }
        if for_device && !flags.rst {
            let reason = Refusal::NothingListens { port: translated.dst.port() };
            let rule = "no translation".to_owned();
            return refuse(events, &mut self.conntrack, Action::Reject, rule, reason);
        }
        let mut out = packet.clone();
        out.src = translated.src;
        out.dst = translated.dst;
        if out.src != packet.src {
            events.push(DeviceEvent::SourceTranslated { from: packet.src, to: out.src });
        }
        if out.dst != packet.dst {
            events.push(DeviceEvent::DestinationTranslated { from: packet.dst, to: out.dst });
        }
        if fresh {
            events.push(DeviceEvent::ConntrackAdded { entry: entry.clone() });
        }
        let before = entry.tcp_state;
        if let Some((state, _)) = self.conntrack.follow(id, direction, flags, now)
            && state != before
            && !fresh
        {
            events.push(DeviceEvent::ConntrackState { id, original: entry.original, state });
        }
        if fresh
            && out.channel == Channel::Control
            && let Some(watched) = self.config.helper_ports.as_ref().filter(|ports| !ports.contains(&tuple.dst.port()))
        {
            events.push(DeviceEvent::HelperNote {
                note: HelperNote::NotWatching { port: tuple.dst.port(), watched: watched.clone() },
            });
        }
        if entry.helper && !out.payload().is_empty() {
            if out.encrypted {
                // The helper cannot read the segment; the class is told only where an
                // announcement hides inside, which is the moment that matters.
                if let Some(hidden) = alg::hidden_announcement(out.payload(), direction == Direction::Original) {
                    events.push(DeviceEvent::HelperNote { note: HelperNote::CannotReadEncrypted { hidden } });
                }
            } else if let Err(what) = self.help(&entry, direction, &mut out, &mut events) {
                return Handled {
                    verdict: Verdict::Drop { rule: "FTP helper".into(), reason: Refusal::HelperCannotRead { what } },
                    events,
                };
            }
        }
        Handled { verdict: Verdict::Pass(out), events }
    }
}

/// What the internet does with packets to private addresses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrivateDestinations {
    /// Discard them silently (bogon filtering): the sender waits and times out.
    #[default]
    Drop,
    /// Answer "network unreachable": the sender gives up at once.
    Unreachable,
}

/// The internet between the two sides: routes public addresses, has no route to private ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Internet {
    pub address: IpAddr,
    pub private_destinations: PrivateDestinations,
}

impl Device for Internet {
    fn on_packet(&mut self, _now: Instant, packet: Packet, _from: Side) -> Handled {
        if !is_private(packet.dst.ip()) {
            return Handled { verdict: Verdict::Pass(packet), events: Vec::new() };
        }
        let rule = "no route to private addresses".to_owned();
        let reason = Refusal::PrivateDestination { ip: packet.dst.ip() };
        let verdict = match (self.private_destinations, &packet.body) {
            (PrivateDestinations::Unreachable, Body::Tcp { .. }) => {
                let response = Packet {
                    src: SocketAddr::new(self.address, 0),
                    dst: SocketAddr::new(packet.src.ip(), 0),
                    body: Body::Icmp { reason: Unreachable::Network, about_src: packet.src, about_dst: packet.dst },
                    ..packet.clone()
                };
                Verdict::Reject { rule, reason, response }
            }
            _ => Verdict::Drop { rule, reason },
        };
        Handled { verdict, events: Vec::new() }
    }
}
