//! A perfect in-memory network that wires one [`FtpClient`] to one [`FtpServer`].
//!
//! It exists to test the two engines against each other without the simulated network of
//! [`crate::sim`]: every byte arrives after a fixed latency and in order, a connection to a
//! listening address always succeeds, and a connection to an address with no listener is
//! refused. Addresses can be *blackholed*: connections to them are silently lost and fail with
//! "timed out" after 133.6 s, which is how long Linux 6 keeps retrying a SYN (`net::tcp::syn_schedule`).
//!
//! Left out on purpose: packets, TCP states, NAT and firewalls — that is what [`crate::sim`] is
//! for.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};

use super::client::{ClientSettings, FtpClient};
use super::fs::FileTree;
use super::server::{FtpServer, ServerSettings};
use super::{ConnectError, DataEvent, DataId, Engine, FtpTrace, Input, Output, TimerKind};
use crate::time::{Duration, Instant};

/// How long Linux retries a SYN before `connect` fails (see `net::tcp::syn_schedule`).
pub const TCP_CONNECT_GIVE_UP: Duration = Duration::from_millis(133_568);

/// Which engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    Client,
    Server,
}

impl Side {
    fn other(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
}

#[derive(Clone, Debug)]
enum Pending {
    Deliver(Side, Input),
    /// A connect to a blackholed address: fails unless cancelled first.
    GiveUpConnect(Side, DataId),
}

/// The loopback network and the two engines on it.
#[derive(Clone, Debug)]
pub struct Loopback {
    pub client: FtpClient,
    pub server: FtpServer,
    client_ip: IpAddr,
    server_control: SocketAddr,
    latency: Duration,
    now: Instant,
    queue: BTreeMap<(Instant, u64), Pending>,
    sequence: u64,
    timers: BTreeMap<(Side, TimerKind), (Instant, u64)>,
    listeners: BTreeMap<SocketAddr, (Side, DataId)>,
    /// Connected data sockets: each end → the other end.
    peers: BTreeMap<(Side, DataId), (Side, DataId)>,
    /// Connects to blackholed addresses still waiting to time out.
    lost_connects: BTreeSet<(Side, DataId)>,
    next_ephemeral_port: u16,
    /// Addresses whose packets are silently lost.
    pub blackholed: BTreeSet<IpAddr>,
    /// Every FTP trace event, in order, with when and where it happened.
    pub log: Vec<(Instant, Side, FtpTrace)>,
}

impl Loopback {
    /// A client at `client_ip` and a server listening on `client.server`, one-way latency 10 ms.
    pub fn new(client: ClientSettings, client_ip: IpAddr, server: ServerSettings, files: FileTree) -> Self {
        let server_control = client.server;
        Loopback {
            client: FtpClient::new(client),
            server: FtpServer::new(server, files),
            client_ip,
            server_control,
            latency: Duration::from_millis(10),
            now: Instant::ZERO,
            queue: BTreeMap::new(),
            sequence: 0,
            timers: BTreeMap::new(),
            listeners: BTreeMap::new(),
            peers: BTreeMap::new(),
            lost_connects: BTreeSet::new(),
            next_ephemeral_port: 40000,
            blackholed: BTreeSet::new(),
            log: Vec::new(),
        }
    }

    /// The current virtual time.
    pub fn now(&self) -> Instant {
        self.now
    }

    fn schedule(&mut self, at: Instant, pending: Pending) -> u64 {
        self.sequence += 1;
        self.queue.insert((at, self.sequence), pending);
        self.sequence
    }

    fn deliver_later(&mut self, side: Side, input: Input) {
        let at = self.now + self.latency;
        self.schedule(at, Pending::Deliver(side, input));
    }

    fn deliver_now(&mut self, side: Side, input: Input) {
        let at = self.now;
        self.schedule(at, Pending::Deliver(side, input));
    }

    fn ephemeral(&mut self, ip: IpAddr) -> SocketAddr {
        loop {
            let port = self.next_ephemeral_port;
            self.next_ephemeral_port = self.next_ephemeral_port.checked_add(1).unwrap_or(40000);
            let addr = SocketAddr::new(ip, port);
            if !self.listeners.contains_key(&addr) {
                return addr;
            }
        }
    }

    fn engine(&mut self, side: Side) -> &mut dyn Engine {
        match side {
            Side::Client => &mut self.client,
            Side::Server => &mut self.server,
        }
    }

    /// Carries out everything both engines have asked for so far.
    fn pump(&mut self) {
        loop {
            let next = match self.client.poll_output() {
                Some(output) => Some((Side::Client, output)),
                None => self.server.poll_output().map(|output| (Side::Server, output)),
            };
            let Some((side, output)) = next else {
                return;
            };
            self.carry_out(side, output);
        }
    }

    fn carry_out(&mut self, side: Side, output: Output) {
        match output {
            Output::ConnectControl { to } => {
                if to == self.server_control {
                    let local = self.ephemeral(self.client_ip);
                    self.deliver_later(Side::Server, Input::ControlOpened { local: to, peer: local });
                    self.deliver_later(Side::Client, Input::ControlOpened { local, peer: to });
                } else {
                    self.deliver_later(Side::Client, Input::ControlFailed(ConnectError::Refused));
                }
            }
            Output::SendControl(bytes) => self.deliver_later(side.other(), Input::ControlBytes(bytes)),
            // A perfect network: encryption changes nothing on it.
            Output::SecureControl => {}
            Output::CloseControl => self.deliver_later(side.other(), Input::ControlClosed),
            Output::Listen { id, on } => {
                let local = if on.port() == 0 { self.ephemeral(on.ip()) } else { on };
                let event = if let std::collections::btree_map::Entry::Vacant(e) = self.listeners.entry(local) {
                    e.insert((side, id));
                    DataEvent::Listening { local }
                } else {
                    DataEvent::ListenFailed
                };
                self.deliver_now(side, Input::Data { id, event });
            }
            Output::Connect { id, from, to } => self.connect(side, id, from, to),
            Output::SendData { id, bytes } => {
                if let Some(&(peer_side, peer_id)) = self.peers.get(&(side, id)) {
                    self.deliver_later(peer_side, Input::Data { id: peer_id, event: DataEvent::Bytes(bytes) });
                }
            }
            Output::CloseData { id } => {
                self.listeners.retain(|_, owner| *owner != (side, id));
                self.lost_connects.remove(&(side, id));
                if let Some((peer_side, peer_id)) = self.peers.remove(&(side, id)) {
                    self.deliver_later(peer_side, Input::Data { id: peer_id, event: DataEvent::Closed });
                }
            }
            Output::SetTimer { timer, at } => {
                if let Some(old) = self.timers.remove(&(side, timer)) {
                    self.queue.remove(&old);
                }
                let sequence = self.schedule(at, Pending::Deliver(side, Input::Timer(timer)));
                self.timers.insert((side, timer), (at, sequence));
            }
            Output::CancelTimer { timer } => {
                if let Some(old) = self.timers.remove(&(side, timer)) {
                    self.queue.remove(&old);
                }
            }
            Output::Trace(trace) => self.log.push((self.now, side, trace)),
        }
    }

    fn connect(&mut self, side: Side, id: DataId, from: SocketAddr, to: SocketAddr) {
        if self.blackholed.contains(&to.ip()) {
            self.lost_connects.insert((side, id));
            let at = self.now + TCP_CONNECT_GIVE_UP;
            self.schedule(at, Pending::GiveUpConnect(side, id));
            return;
        }
        let Some((listener_side, listener_id)) = self.listeners.remove(&to) else {
            self.deliver_later(side, Input::Data { id, event: DataEvent::ConnectFailed(ConnectError::Refused) });
            return;
        };
        let from = if from.port() == 0 { self.ephemeral(from.ip()) } else { from };
        self.peers.insert((side, id), (listener_side, listener_id));
        self.peers.insert((listener_side, listener_id), (side, id));
        self.deliver_later(side, Input::Data { id, event: DataEvent::Connected { local: from, peer: to } });
        self.deliver_later(
            listener_side,
            Input::Data { id: listener_id, event: DataEvent::Connected { local: to, peer: from } },
        );
    }

    /// Runs until nothing is left to happen (or a generous step limit is reached).
    pub fn run(&mut self) {
        for _ in 0..100_000 {
            self.pump();
            let Some(((at, _), pending)) = self.queue.pop_first() else {
                return;
            };
            self.now = at;
            match pending {
                Pending::Deliver(side, input) => {
                    if let Input::Timer(timer) = input {
                        self.timers.remove(&(side, timer));
                    }
                    let now = self.now;
                    self.engine(side).handle(now, input);
                }
                Pending::GiveUpConnect(side, id) => {
                    if self.lost_connects.remove(&(side, id)) {
                        let now = self.now;
                        let event = DataEvent::ConnectFailed(ConnectError::TimedOut);
                        self.engine(side).handle(now, Input::Data { id, event });
                    }
                }
            }
        }
    }

    /// The control conversation as the client saw it: `> COMMAND` and `< reply` lines.
    pub fn transcript(&self) -> Vec<String> {
        self.log
            .iter()
            .filter_map(|(_, side, trace)| match (side, trace) {
                (Side::Client, FtpTrace::CommandSent(command)) => Some(format!("> {command}")),
                (Side::Client, FtpTrace::ReplyReceived(reply)) => {
                    Some(format!("< {}", reply.to_string().trim_end().replace("\r\n", "\n")))
                }
                _ => None,
            })
            .collect()
    }
}
