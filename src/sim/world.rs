//! The world: two hosts running the FTP engines over TCP-lite, three devices between them, and
//! one event queue ordered by (virtual time, sequence number).
//!
//! ```text
//!   client ──LAN── home router ──WAN── internet ──WAN── server edge ──LAN── server
//!   (FtpClient)    (NAT, firewall,                     (firewall, or NAT     (FtpServer)
//!                   FTP helper)                          router; helper)
//! ```
//!
//! [`World::step`] takes the earliest event off the queue — a packet arriving somewhere, a
//! timer coming due — carries it out, and returns what happened as trace records. Nothing else
//! moves the world, so the same scenario always gives the same records, and a clone of a world
//! is a complete snapshot of every socket, table and FTP state.
//!
//! Left out on purpose: routing beyond the fixed line (a host's only neighbour is its default
//! route; a packet for an address nobody owns is dropped by the internet), and more than one
//! client.

use litemap::LiteMap;
use std::net::{IpAddr, SocketAddr};

use super::scenario::{
    EpsvRefusal, IpVersion, PasvAddress, PortCheck, RefuseWith, Scenario, ScenarioError, ServerFirewall, Topology,
    Transfer, User,
};
use super::trace::{EventKind, NodeId, PacketInfo, Role};
use crate::ftp::client::{ClientProfile, ClientSettings, FtpClient, Operation};
use crate::ftp::console::{ConsoleClient, ConsoleSettings};
use crate::ftp::fs::FileTree;
use crate::ftp::server::{EpsvSupport, FtpServer, ServerSettings};
use crate::ftp::{ConnectError, DataEvent, DataId, Engine, FtpTrace, Input, Output, TimerKind};
use crate::messages::settings::rules;
use crate::messages::{self, trace as say};
use crate::net::conntrack::{CtState, Entry, NatKind};
use crate::net::device::{Device, DeviceEvent, Internet, Middlebox, MiddleboxConfig, PortForward, Refusal, Verdict};
use crate::net::firewall::{Action, Chain, Filter, Rule, Side};
use crate::net::packet::{Channel, Packet, PacketId};
use crate::net::tcp::{self, AppEvent, SocketHandle, StackOutput, TcpStack, TcpState};
use crate::time::{Duration, Instant};

/// The file uploaded by `STOR` lessons.
pub const UPLOAD_CONTENTS: &[u8] = b"Homework: explain why passive mode works behind NAT.\r\n";

/// A host: an address, a TCP stack and an application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host<App> {
    pub address: IpAddr,
    pub stack: TcpStack,
    pub app: App,
}

/// One thing that happened, before the timeline gives it a number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub time: Instant,
    pub device: NodeId,
    pub kind: EventKind,
    pub text: String,
}

/// A packet on a link, in full: what a packet capture needs ([`super::capture`]), where the trace
/// keeps a summary. Recorded only once [`World::record_wire`] was called, so that playing and
/// seeking cost nothing more.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wire {
    /// `from` put `packet` on the link toward `to` at `time`. `answers` is the packet that a
    /// device's reject response (a reset or an ICMP error) answers.
    Sent { time: Instant, from: NodeId, to: NodeId, packet: Packet, answers: Option<PacketId> },
    /// `packet` arrived at `node` over the link from `from` at `time` (before the device or host
    /// decided anything about it).
    Arrived { time: Instant, node: NodeId, from: NodeId, packet: Packet },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Event {
    Start,
    /// The student types the next console line (see [`TYPING_PAUSE`]).
    Type,
    Arrive {
        node: NodeId,
        packet: Packet,
        from: NodeId,
    },
    AppTimer {
        role: Role,
        timer: TimerKind,
    },
    TcpTimer {
        node: NodeId,
        socket: SocketHandle,
    },
}

/// What a socket of a host's TCP stack is for. The stack hands out opaque handles and knows
/// nothing of FTP; the world keeps this map from handle to meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SocketUse {
    /// The server's listening socket on the control port.
    ControlListener,
    Control,
    Data(DataId),
}

/// The FTP engine's view of a failed connect.
fn connect_error(error: tcp::ConnectError) -> ConnectError {
    match error {
        tcp::ConnectError::Refused => ConnectError::Refused,
        tcp::ConnectError::Unreachable => ConnectError::Unreachable,
        tcp::ConnectError::TimedOut => ConnectError::TimedOut,
    }
}

/// Something a program on the path is waiting for, and until when: what the page counts down
/// while a timeout runs ("425 in 52 s").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wait {
    pub who: NodeId,
    pub what: WaitFor,
    pub until: Instant,
}

/// What a [`Wait`] is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitFor {
    /// An FTP engine's timer (vsftpd's `connect_timeout` and `accept_timeout`, the client's own
    /// accept timeout), by its name.
    Timer { timer: TimerKind, name: String },
    /// TCP is retrying a SYN; it gives up at `until`.
    Connect { channel: Channel },
}

/// Settings that cannot change in the middle of a session, because they change addresses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", messages::settings::invalid::needs_restart(setting))]
pub struct NeedsRestart {
    pub setting: &'static str,
}

/// Everything on the path, and the queue of what happens next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct World {
    scenario: Scenario,
    topology: Topology,
    now: Instant,
    client: Host<FtpClient>,
    home_router: Middlebox,
    internet: Internet,
    server_edge: Middlebox,
    server: Host<FtpServer>,
    queue: LiteMap<(Instant, u64), Event>,
    sequence: u64,
    next_packet: u64,
    next_channel: u32,
    app_timers: LiteMap<(Role, TimerKind), (Instant, u64)>,
    tcp_timers: LiteMap<(NodeId, SocketHandle), (Instant, u64)>,
    sockets: LiteMap<(Role, SocketHandle), SocketUse>,
    closed_sockets: Vec<(Role, SocketHandle)>,
    /// Each side's end of the control connection speaks TLS (after `AUTH TLS`).
    client_tls: bool,
    server_tls: bool,
    records: Vec<Record>,
    /// Every packet on every link, while recorded for a capture (see [`Wire`]).
    wire: Option<Vec<Wire>>,
    /// The console the student types into, when the scenario has typed lines: it stands in for
    /// the scripted client, which then never starts.
    console: Option<ConsoleClient>,
}

/// How long after the network falls quiet the student's next console line goes out. A line is
/// typed once no packet is on its way and the console waits for nothing (its last line was
/// answered); timers may still run, as pyftpdlib's passive timer does after `PASV`. So a run
/// with one more line is the run without it up to that moment, and the events before keep
/// their numbers.
pub const TYPING_PAUSE: Duration = Duration::from_secs(1);

fn console_settings(scenario: &Scenario, topology: &Topology) -> ConsoleSettings {
    let client = client_settings(scenario, topology);
    ConsoleSettings {
        server: client.server,
        user: client.user,
        password: client.password,
        tls: client.tls,
        trust_pasv_address: client.trust_pasv_address,
    }
}

/// The operations the client carries out for a scenario.
fn operations(scenario: &Scenario) -> Vec<Operation> {
    (0..scenario.transfers)
        .map(|n| match scenario.command {
            Transfer::List => Operation::List { path: Some("pub".to_owned()) },
            Transfer::Retr => Operation::Retr { path: "pub/lesson-notes.txt".to_owned() },
            Transfer::Stor => Operation::Stor {
                path: if n == 0 { "upload/homework.txt".to_owned() } else { format!("upload/homework-{}.txt", n + 1) },
                contents: UPLOAD_CONTENTS.to_vec(),
            },
        })
        .collect()
}

fn client_settings(scenario: &Scenario, topology: &Topology) -> ClientSettings {
    let timeout = scenario.client_timeout.map(|seconds| Duration::from_secs(u64::from(seconds)));
    let base = match scenario.client {
        ClientProfile::Curl => ClientSettings { connect_timeout: timeout, ..ClientSettings::default() },
        ClientProfile::Ftplib => ClientSettings::ftplib(timeout),
    };
    let (user, password) = match scenario.user {
        User::Anonymous => ("anonymous", scenario.client.anonymous_password()),
        User::Demo => ("demo", "demo"),
    };
    ClientSettings {
        server: SocketAddr::new(topology.server_public, scenario.control_port),
        user: user.to_owned(),
        password: password.to_owned(),
        mode: scenario.mode,
        operations: operations(scenario),
        trust_pasv_address: scenario.trust_pasv_address,
        announce_address: scenario.bounce_to,
        tls: scenario.control_encrypted,
        ..base
    }
}

fn server_settings(scenario: &Scenario, topology: &Topology) -> ServerSettings {
    let pasv_address = match (scenario.pasv_address, topology.server_public) {
        (PasvAddress::Public, IpAddr::V4(public)) => Some(public),
        _ => None,
    };
    let profile = scenario.server;
    let seconds = |setting: Option<u32>| {
        setting.map_or_else(|| profile.default_data_timeout(), |seconds| Duration::from_secs(u64::from(seconds)))
    };
    ServerSettings {
        profile,
        banner: profile.banner().to_owned(),
        pasv_min_port: scenario.numbers.passive_range.0,
        pasv_max_port: scenario.numbers.passive_range.1,
        pasv_address,
        port_promiscuous: scenario.port_check == PortCheck::Off,
        connect_from_port_20: scenario.port20,
        connect_timeout: seconds(scenario.connect_timeout),
        accept_timeout: seconds(scenario.accept_timeout),
        epsv: match (scenario.server_epsv, scenario.epsv_refusal) {
            (true, _) => EpsvSupport::Enabled,
            (false, EpsvRefusal::Unknown500) => EpsvSupport::Refused500,
            (false, EpsvRefusal::NotImplemented502) => EpsvSupport::Refused502,
        },
        seed: scenario.seed,
        ssl_enable: scenario.control_encrypted,
        ..ServerSettings::lesson()
    }
}

fn accept_rule(
    comment: &str,
    chain: Chain,
    from: Option<Side>,
    states: Vec<CtState>,
    dport: Option<(u16, u16)>,
) -> Rule {
    Rule { comment: comment.to_owned(), chain, from, states, dport, action: Action::Accept }
}

fn home_router_config(scenario: &Scenario, topology: &Topology) -> MiddleboxConfig {
    let filter = if scenario.client_firewall {
        let refuse = match scenario.client_firewall_action {
            RefuseWith::Drop => Action::Drop,
            RefuseWith::Reject => Action::Reject,
        };
        let answers = vec![CtState::Established, CtState::Related];
        Filter {
            rules: vec![
                accept_rule(rules::ANSWERS_HOME, Chain::Forward, None, answers.clone(), None),
                accept_rule(rules::FROM_INSIDE, Chain::Forward, Some(Side::Inside), Vec::new(), None),
                accept_rule(rules::ANSWERS_ROUTER, Chain::Input, None, answers, None),
                accept_rule(rules::LAN_TO_ROUTER, Chain::Input, Some(Side::Inside), Vec::new(), None),
            ],
            forward_policy: refuse,
            input_policy: refuse,
        }
    } else {
        Filter::open()
    };
    MiddleboxConfig {
        name: NodeId::HomeRouter.as_str().to_owned(),
        addresses: vec![topology.router_lan, topology.router_wan],
        masquerade: scenario.client_nat_active().then_some(topology.router_wan),
        port_forwards: Vec::new(),
        filter,
        helper_ports: scenario.client_alg.then(|| scenario.helper_ports.clone()),
    }
}

fn server_edge_config(scenario: &Scenario, topology: &Topology) -> MiddleboxConfig {
    let control = (scenario.control_port, scenario.control_port);
    let filter = match scenario.server_firewall {
        ServerFirewall::Off => Filter::open(),
        firewall => {
            let answers = vec![CtState::Established, CtState::Related];
            let mut rules = vec![
                accept_rule(rules::ANSWERS_SERVER, Chain::Forward, None, answers.clone(), None),
                accept_rule(rules::SERVER_OUTGOING, Chain::Forward, Some(Side::Inside), Vec::new(), None),
                accept_rule(
                    rules::CONTROL_PORT,
                    Chain::Forward,
                    Some(Side::Outside),
                    vec![CtState::New],
                    Some(control),
                ),
            ];
            if firewall == ServerFirewall::PassiveRange {
                rules.push(accept_rule(
                    rules::PASSIVE_RANGE,
                    Chain::Forward,
                    Some(Side::Outside),
                    vec![CtState::New],
                    Some(scenario.numbers.passive_range),
                ));
            }
            rules.push(accept_rule(rules::ANSWERS_ROUTER, Chain::Input, None, answers, None));
            let refuse = match scenario.server_firewall_action {
                RefuseWith::Drop => Action::Drop,
                RefuseWith::Reject => Action::Reject,
            };
            Filter { rules, forward_policy: refuse, input_policy: refuse }
        }
    };
    let nat = scenario.server_nat_active();
    MiddleboxConfig {
        name: NodeId::ServerEdge.as_str().to_owned(),
        addresses: if nat {
            topology.edge_lan.into_iter().chain([topology.server_public]).collect()
        } else {
            Vec::new()
        },
        masquerade: nat.then_some(topology.server_public),
        port_forwards: if nat {
            vec![
                PortForward { ports: control, to: topology.server },
                PortForward { ports: scenario.numbers.passive_range, to: topology.server },
            ]
        } else {
            Vec::new()
        },
        filter,
        helper_ports: scenario.server_alg.then(|| scenario.helper_ports.clone()),
    }
}

impl World {
    /// A world at time zero, ready to run `scenario`.
    pub fn new(scenario: &Scenario) -> Result<World, ScenarioError> {
        scenario.validate()?;
        let topology = scenario.topology();
        let mut server_stack = TcpStack::new(scenario.seed ^ 0x5e);
        let mut sockets = LiteMap::new();
        // The control listener is the server's own; it cannot clash in an empty stack.
        if let Ok((handle, _)) = server_stack.listen(SocketAddr::new(topology.server, scenario.control_port), false) {
            sockets.insert((Role::Server, handle), SocketUse::ControlListener);
        }
        let mut world = World {
            scenario: scenario.clone(),
            topology,
            now: Instant::ZERO,
            client: Host {
                address: topology.client,
                stack: TcpStack::new(scenario.seed ^ 0xc1),
                app: FtpClient::new(client_settings(scenario, &topology)),
            },
            home_router: Middlebox::new(home_router_config(scenario, &topology)),
            internet: Internet { address: topology.internet, private_destinations: scenario.private_destinations },
            server_edge: Middlebox::new(server_edge_config(scenario, &topology)),
            server: Host {
                address: topology.server,
                stack: server_stack,
                app: FtpServer::new(server_settings(scenario, &topology), FileTree::default()),
            },
            queue: LiteMap::new(),
            sequence: 0,
            next_packet: 1,
            next_channel: 1,
            app_timers: LiteMap::new(),
            tcp_timers: LiteMap::new(),
            sockets,
            closed_sockets: Vec::new(),
            client_tls: false,
            server_tls: false,
            records: Vec::new(),
            wire: None,
            console: (!scenario.console.is_empty()).then(|| ConsoleClient::new(console_settings(scenario, &topology))),
        };
        world.schedule(Instant::ZERO, Event::Start);
        Ok(world)
    }

    /// The settings in force.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The addresses on the path.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The current virtual time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// True when nothing is left to happen.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.next_line().is_none()
    }

    /// The console session, when the student types the client's commands.
    pub fn console(&self) -> Option<&ConsoleClient> {
        self.console.as_ref()
    }

    /// The client program's state name: the console's or the scripted client's.
    pub fn client_state(&self) -> String {
        match &self.console {
            Some(console) => console.state_name(),
            None => self.client.app.state_name(),
        }
    }

    /// The console line still to be typed, if any.
    fn next_line(&self) -> Option<&String> {
        self.console.as_ref().and_then(|console| self.scenario.console.get(console.typed()))
    }

    /// True when the next console line should be typed: nothing but timers is queued and the
    /// console waits for nothing, or nothing at all can happen any more.
    fn line_due(&self) -> bool {
        let Some(console) = &self.console else {
            return false;
        };
        let quiet = self.queue.values().all(|event| matches!(event, Event::AppTimer { .. } | Event::TcpTimer { .. }));
        self.next_line().is_some() && (self.queue.is_empty() || (quiet && !console.is_waiting()))
    }

    /// From now on, keeps every packet that crosses a link or arrives somewhere, in full, until
    /// [`World::take_wire`] takes them (packet captures; see [`Wire`]).
    pub fn record_wire(&mut self) {
        self.wire.get_or_insert_with(Vec::new);
    }

    /// The packets recorded since the last call, oldest first (none unless
    /// [`World::record_wire`] was called).
    pub fn take_wire(&mut self) -> Vec<Wire> {
        self.wire.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// The client host.
    pub fn client(&self) -> &Host<FtpClient> {
        &self.client
    }

    /// The server host.
    pub fn server(&self) -> &Host<FtpServer> {
        &self.server
    }

    /// The home router.
    pub fn home_router(&self) -> &Middlebox {
        &self.home_router
    }

    /// The server's firewall or router.
    pub fn server_edge(&self) -> &Middlebox {
        &self.server_edge
    }

    /// What the programs are waiting for right now, soonest first. The reply timer every
    /// command arms is left out: it never runs out in these lessons and would only distract.
    pub fn waits(&self) -> Vec<Wait> {
        let mut waits: Vec<Wait> = self
            .app_timers
            .iter()
            .filter(|((_, timer), _)| *timer != TimerKind::Reply)
            .map(|((role, timer), (until, _))| Wait {
                who: role_node(*role),
                what: WaitFor::Timer { timer: *timer, name: self.timer_name(*role, *timer).0 },
                until: *until,
            })
            .collect();
        for (node, stack) in [(NodeId::Client, &self.client.stack), (NodeId::Server, &self.server.stack)] {
            for conn in stack.connections() {
                if let Some(until) = conn.gives_up_at.filter(|_| conn.state == TcpState::SynSent) {
                    waits.push(Wait { who: node, what: WaitFor::Connect { channel: conn.channel }, until });
                }
            }
        }
        // Insertion sort: a handful of waits, and far less code in the browser build than a
        // general sort.
        for i in 1..waits.len() {
            let mut j = i;
            while j > 0 && waits[j - 1].until > waits[j].until {
                waits.swap(j - 1, j);
                j -= 1;
            }
        }
        waits
    }

    /// The human name of a place, as this scenario calls it.
    pub fn label(&self, node: NodeId) -> &'static str {
        node.label(self.scenario.server_nat_active())
    }

    fn schedule(&mut self, at: Instant, event: Event) -> u64 {
        self.sequence += 1;
        self.queue.insert((at, self.sequence), event);
        self.sequence
    }

    /// Takes a timer's event off the queue, if it was on it.
    fn unschedule(&mut self, key: Option<(Instant, u64)>) {
        if let Some(key) = key {
            self.queue.remove(&key);
        }
    }

    fn record(&mut self, device: NodeId, kind: EventKind, text: String) {
        self.records.push(Record { time: self.now, device, kind, text: messages::sentence(text) });
    }

    /// Carries out the next event; `None` when the run is over.
    pub fn step(&mut self) -> Option<Vec<Record>> {
        if self.line_due() {
            self.schedule(self.now + TYPING_PAUSE, Event::Type);
        }
        let key = *self.queue.first()?.0;
        let event = self.queue.remove(&key)?;
        let (at, _) = key;
        self.now = at;
        match event {
            Event::Start => {
                self.record(
                    NodeId::Client,
                    EventKind::SettingsChanged { description: self.scenario.describe() },
                    say::session_starts(&self.scenario_sentence()),
                );
                self.pump(Role::Client);
                self.drain_stack(Role::Client);
            }
            Event::Type => {
                let now = self.now;
                if let (Some(line), Some(console)) = (self.next_line().cloned(), self.console.as_mut()) {
                    console.type_line(now, &line);
                }
                self.pump(Role::Client);
                self.drain_stack(Role::Client);
            }
            Event::Arrive { node, packet, from } => self.arrive(node, packet, from),
            Event::AppTimer { role, timer } => {
                self.app_timers.remove(&(role, timer));
                let (name, after) = self.timer_name(role, timer);
                let who = self.label(role_node(role));
                self.record(
                    role_node(role),
                    EventKind::Timer { role, name: name.clone(), armed: false, deadline: self.now },
                    say::timer_ran_out(who, &name, after),
                );
                self.feed(role, Input::Timer(timer));
                self.drain_stack(role);
            }
            Event::TcpTimer { node, socket } => {
                self.tcp_timers.remove(&(node, socket));
                let role = if node == NodeId::Client { Role::Client } else { Role::Server };
                let now = self.now;
                self.host_stack(role).on_timer(now, socket);
                self.drain_stack(role);
            }
        }
        Some(std::mem::take(&mut self.records))
    }

    fn scenario_sentence(&self) -> String {
        let s = &self.scenario;
        say::settings_line(
            messages::settings::mode(s.mode),
            match s.ip {
                IpVersion::V4 => messages::settings::choices::IPV4,
                IpVersion::V6 => messages::settings::choices::IPV6,
            },
            s.client_firewall,
            s.client_nat_active(),
            s.client_alg,
            s.server_firewall.as_str(),
            s.server_nat_active(),
        )
    }

    fn timer_name(&self, role: Role, timer: TimerKind) -> (String, Duration) {
        let client = self.client.app.settings();
        let server = self.server.app.settings();
        match (role, timer) {
            (Role::Server, TimerKind::DataConnect) => ("connect_timeout".to_owned(), server.connect_timeout),
            (Role::Server, TimerKind::DataAccept) => ("accept_timeout".to_owned(), server.accept_timeout),
            (Role::Client, TimerKind::DataConnect) => {
                (say::CLIENT_CONNECT_TIMEOUT.to_owned(), client.connect_timeout.unwrap_or_default())
            }
            (Role::Client, TimerKind::DataAccept) => {
                (say::CLIENT_ACCEPT_TIMEOUT.to_owned(), client.accept_timeout.unwrap_or_default())
            }
            (_, TimerKind::Reply) => (say::CLIENT_REPLY_TIMEOUT.to_owned(), client.reply_timeout.unwrap_or_default()),
        }
    }

    fn host_stack(&mut self, role: Role) -> &mut TcpStack {
        match role {
            Role::Client => &mut self.client.stack,
            Role::Server => &mut self.server.stack,
        }
    }

    fn host_address(&self, role: Role) -> IpAddr {
        match role {
            Role::Client => self.client.address,
            Role::Server => self.server.address,
        }
    }

    /// The sockets of `role`'s stack that serve `usage`.
    fn sockets_for(&self, role: Role, usage: SocketUse) -> Vec<SocketHandle> {
        self.sockets
            .iter()
            .filter(|((owner, _), used)| *owner == role && **used == usage)
            .map(|((_, h), _)| *h)
            .collect()
    }

    fn send_on(&mut self, role: Role, usage: SocketUse, bytes: &[u8]) {
        for handle in self.sockets_for(role, usage) {
            self.host_stack(role).send(handle, bytes);
        }
    }

    /// Closes every socket of `role` that serves `usage`; listeners are forgotten at once,
    /// connections when they reach CLOSED.
    fn close_all(&mut self, role: Role, usage: SocketUse) {
        for handle in self.sockets_for(role, usage) {
            let listening = self.host_stack(role).listeners().any(|listener| listener.handle == handle);
            self.host_stack(role).close(handle);
            if listening {
                self.sockets.remove(&(role, handle));
            }
        }
    }

    /// Gives an input to an FTP engine and carries out what it asks for.
    fn feed(&mut self, role: Role, input: Input) {
        self.hand_over(role, input);
        self.pump(role);
    }

    fn poll_engine(&mut self, role: Role) -> Option<Output> {
        match (role, &mut self.console) {
            (Role::Client, Some(console)) => console.poll_output(),
            (Role::Client, None) => self.client.app.poll_output(),
            (Role::Server, _) => self.server.app.poll_output(),
        }
    }

    /// Carries out an engine's outputs until it has none.
    fn pump(&mut self, role: Role) {
        let now = self.now;
        let address = self.host_address(role);
        while let Some(output) = self.poll_engine(role) {
            match output {
                Output::ConnectControl { to } => {
                    match self.host_stack(role).connect(now, SocketAddr::new(address, 0), to, Channel::Control) {
                        Ok(handle) => {
                            self.sockets.insert((role, handle), SocketUse::Control);
                        }
                        Err(_) => self.hand_over(role, Input::ControlFailed(ConnectError::Refused)),
                    }
                }
                Output::SendControl(bytes) => self.send_on(role, SocketUse::Control, &bytes),
                Output::CloseControl => self.close_all(role, SocketUse::Control),
                Output::Listen { id, on } => {
                    let event = match self.host_stack(role).listen(on, true) {
                        Ok((handle, local)) => {
                            self.sockets.insert((role, handle), SocketUse::Data(id));
                            let who = self.label(role_node(role));
                            self.record(
                                role_node(role),
                                EventKind::TcpState {
                                    local,
                                    remote: SocketAddr::new(local.ip(), 0),
                                    channel: Channel::Data(self.next_channel),
                                    from: TcpState::Closed,
                                    to: TcpState::Listen,
                                },
                                say::listening(who, local),
                            );
                            DataEvent::Listening { local }
                        }
                        Err(_) => DataEvent::ListenFailed,
                    };
                    self.hand_over(role, Input::Data { id, event });
                }
                Output::Connect { id, from, to } => {
                    let channel = Channel::Data(self.next_channel);
                    self.next_channel += 1;
                    match self.host_stack(role).connect(now, from, to, channel) {
                        Ok(handle) => {
                            self.sockets.insert((role, handle), SocketUse::Data(id));
                        }
                        Err(_) => self.hand_over(
                            role,
                            Input::Data { id, event: DataEvent::ConnectFailed(ConnectError::Refused) },
                        ),
                    }
                }
                Output::SendData { id, bytes } => self.send_on(role, SocketUse::Data(id), &bytes),
                Output::CloseData { id } => self.close_all(role, SocketUse::Data(id)),
                Output::SetTimer { timer, at } => {
                    let old = self.app_timers.remove(&(role, timer));
                    self.unschedule(old);
                    let sequence = self.schedule(at, Event::AppTimer { role, timer });
                    self.app_timers.insert((role, timer), (at, sequence));
                    if timer != TimerKind::Reply {
                        let (name, after) = self.timer_name(role, timer);
                        let who = self.label(role_node(role));
                        self.record(
                            role_node(role),
                            EventKind::Timer { role, name: name.clone(), armed: true, deadline: at },
                            say::timer_armed(who, &name, after),
                        );
                    }
                }
                Output::CancelTimer { timer } => {
                    let old = self.app_timers.remove(&(role, timer));
                    self.unschedule(old);
                }
                Output::Trace(event) => {
                    let text = self.ftp_text(role, &event);
                    self.record(role_node(role), EventKind::Ftp { role, event }, text);
                }
                Output::SecureControl => match role {
                    Role::Client => self.client_tls = true,
                    Role::Server => self.server_tls = true,
                },
            }
        }
    }

    /// Gives an input to an FTP engine without carrying out its outputs. [`World::pump`] uses it
    /// for inputs that answer an output (a listener opened): the pump loop then carries out what
    /// the engine asks for next, in order, and the engine never re-enters itself.
    fn hand_over(&mut self, role: Role, input: Input) {
        let now = self.now;
        match (role, &mut self.console) {
            (Role::Client, Some(console)) => console.handle(now, input),
            (Role::Client, None) => self.client.app.handle(now, input),
            (Role::Server, _) => self.server.app.handle(now, input),
        }
    }

    /// Carries out everything a host's TCP stack asks for, including what its application does
    /// in response, until the host is quiet.
    fn drain_stack(&mut self, role: Role) {
        loop {
            while let Some(output) = self.host_stack(role).poll_output() {
                self.carry_out_stack(role, output);
            }
            // ACKs for FINs the application did not answer with a FIN of its own.
            self.host_stack(role).flush_acks();
            let Some(output) = self.host_stack(role).poll_output() else {
                for socket in std::mem::take(&mut self.closed_sockets) {
                    self.sockets.remove(&socket);
                }
                return;
            };
            self.carry_out_stack(role, output);
        }
    }

    fn carry_out_stack(&mut self, role: Role, output: StackOutput) {
        let node = role_node(role);
        match output {
            StackOutput::Send(packet) => self.host_send(role, packet),
            StackOutput::App(handle, event) => {
                // A connection a listener accepted serves what the listener served.
                if let AppEvent::Accepted { listener, .. } = event {
                    let usage = match self.sockets.get(&(role, listener)) {
                        Some(SocketUse::ControlListener) => Some(SocketUse::Control),
                        other => other.copied(),
                    };
                    if let Some(usage) = usage {
                        self.sockets.insert((role, handle), usage);
                    }
                    // A one-shot listener has done its work.
                    if !self.host_stack(role).listeners().any(|open| open.handle == listener) {
                        self.sockets.remove(&(role, listener));
                    }
                }
                let Some(usage) = self.sockets.get(&(role, handle)).copied() else {
                    return;
                };
                let input = match (usage, event) {
                    (SocketUse::ControlListener, _) => return,
                    (
                        SocketUse::Control,
                        AppEvent::Connected { local, peer } | AppEvent::Accepted { local, peer, .. },
                    ) => Input::ControlOpened { local, peer },
                    (SocketUse::Control, AppEvent::ConnectFailed(error)) => Input::ControlFailed(connect_error(error)),
                    (SocketUse::Control, AppEvent::Bytes(bytes)) => Input::ControlBytes(bytes),
                    (SocketUse::Control, AppEvent::Closed | AppEvent::Reset) => Input::ControlClosed,
                    (
                        SocketUse::Data(id),
                        AppEvent::Connected { local, peer } | AppEvent::Accepted { local, peer, .. },
                    ) => Input::Data { id, event: DataEvent::Connected { local, peer } },
                    (SocketUse::Data(id), AppEvent::ConnectFailed(error)) => {
                        Input::Data { id, event: DataEvent::ConnectFailed(connect_error(error)) }
                    }
                    (SocketUse::Data(id), AppEvent::Bytes(bytes)) => Input::Data { id, event: DataEvent::Bytes(bytes) },
                    (SocketUse::Data(id), AppEvent::Closed) => Input::Data { id, event: DataEvent::Closed },
                    (SocketUse::Data(id), AppEvent::Reset) => Input::Data { id, event: DataEvent::Reset },
                };
                self.feed(role, input);
            }
            StackOutput::SetTimer(socket, at) => {
                let old = self.tcp_timers.remove(&(node, socket));
                self.unschedule(old);
                let sequence = self.schedule(at, Event::TcpTimer { node, socket });
                self.tcp_timers.insert((node, socket), (at, sequence));
            }
            StackOutput::CancelTimer(socket) => {
                let old = self.tcp_timers.remove(&(node, socket));
                self.unschedule(old);
            }
            StackOutput::StateChanged { socket, local, remote, channel, from, to } => {
                if to == TcpState::Closed {
                    // Forgotten once the stack is quiet: its last words (a failed connect, a
                    // reset) still have to reach the engine.
                    self.closed_sockets.push((role, socket));
                }
                let who = self.label(node);
                self.record(
                    node,
                    EventKind::TcpState { local, remote, channel, from, to },
                    say::tcp_state(who, channel, local, remote, from, to),
                );
            }
            StackOutput::Retransmitted { local, remote, attempt, next_wait } => {
                let who = self.label(node);
                self.record(
                    node,
                    EventKind::SynRetransmitted { local, remote, attempt, next_wait },
                    say::syn_retransmitted(
                        who,
                        local,
                        remote,
                        attempt,
                        crate::net::tcp::syn_schedule::RETRANSMISSIONS,
                        next_wait,
                    ),
                );
            }
        }
    }

    fn new_packet_id(&mut self) -> PacketId {
        let id = PacketId(self.next_packet);
        self.next_packet += 1;
        id
    }

    fn host_send(&mut self, role: Role, mut packet: Packet) {
        packet.id = self.new_packet_id();
        // TLS covers the control connection once this side has finished its handshake, and the
        // data connections once both have (the client asks for PROT P right after login).
        let secured = match role {
            Role::Client => self.client_tls,
            Role::Server => self.server_tls,
        };
        packet.encrypted = match packet.channel {
            Channel::Control => secured,
            Channel::Data(_) => self.client_tls && self.server_tls,
        };
        let from = role_node(role);
        let to = match role {
            Role::Client => NodeId::HomeRouter,
            Role::Server => NodeId::ServerEdge,
        };
        let who = self.label(from);
        let info = PacketInfo::of(&packet);
        let text = say::sends(who, &info.summary(), &say::purpose(packet.kind(), packet.channel));
        self.record(from, EventKind::PacketSent { packet: info, to }, text);
        self.transmit(from, to, packet, None);
    }

    /// Puts `packet` on the link from `from` to `to`; `answers` names the packet a device's
    /// reject response answers (kept for captures only).
    fn transmit(&mut self, from: NodeId, to: NodeId, packet: Packet, answers: Option<PacketId>) {
        if let Some(wire) = &mut self.wire {
            wire.push(Wire::Sent { time: self.now, from, to, packet: packet.clone(), answers });
        }
        let lan = matches!(
            (from.min(to), from.max(to)),
            (NodeId::Client, NodeId::HomeRouter) | (NodeId::ServerEdge, NodeId::Server)
        );
        let latency = if lan { self.scenario.latency.lan } else { self.scenario.latency.wan };
        let at = self.now + latency;
        self.schedule(at, Event::Arrive { node: to, packet, from });
    }

    /// The place that owns an address, if any.
    fn owner(&self, ip: IpAddr) -> Option<NodeId> {
        if ip == self.client.address {
            Some(NodeId::Client)
        } else if self.home_router.config.addresses.contains(&ip) {
            Some(NodeId::HomeRouter)
        } else if ip == self.internet.address {
            Some(NodeId::Internet)
        } else if self.server_edge.config.addresses.contains(&ip) {
            Some(NodeId::ServerEdge)
        } else if ip == self.server.address {
            Some(NodeId::Server)
        } else {
            None
        }
    }

    /// The next place toward `dst` from `at`, or `None` when `dst` is at `at` or nowhere.
    fn next_hop(&self, at: NodeId, dst: IpAddr) -> Option<NodeId> {
        // Addresses nobody owns are routed toward the internet, which knows no more.
        let target = self.owner(dst).unwrap_or(NodeId::Internet).position();
        let here = at.position();
        let next = match target.cmp(&here) {
            std::cmp::Ordering::Equal => return None,
            std::cmp::Ordering::Less => here - 1,
            std::cmp::Ordering::Greater => here + 1,
        };
        NodeId::ALL.get(next).copied()
    }

    fn arrive(&mut self, node: NodeId, packet: Packet, from: NodeId) {
        if let Some(wire) = &mut self.wire {
            wire.push(Wire::Arrived { time: self.now, node, from, packet: packet.clone() });
        }
        match node {
            NodeId::Client | NodeId::Server => {
                let role = if node == NodeId::Client { Role::Client } else { Role::Server };
                let info = PacketInfo::of(&packet);
                let who = self.label(node);
                if packet.dst.ip() != self.host_address(role) {
                    let reason = Refusal::NotForThisHost;
                    let text = say::discards(who, &info.summary(), &reason);
                    let rule = messages::engine::refusal(&reason, true);
                    self.record(node, EventKind::PacketDropped { packet: info, rule, reason }, text);
                    return;
                }
                self.record(
                    node,
                    EventKind::PacketDelivered { packet: info.clone() },
                    say::receives(who, &info.summary()),
                );
                self.host_stack(role).on_packet(packet);
                self.drain_stack(role);
            }
            NodeId::HomeRouter | NodeId::Internet | NodeId::ServerEdge => self.through_device(node, packet, from),
        }
    }

    /// The device at a place on the path; hosts are not devices.
    fn device_mut(&mut self, node: NodeId) -> Option<&mut dyn Device> {
        match node {
            NodeId::HomeRouter => Some(&mut self.home_router),
            NodeId::Internet => Some(&mut self.internet),
            NodeId::ServerEdge => Some(&mut self.server_edge),
            NodeId::Client | NodeId::Server => None,
        }
    }

    fn through_device(&mut self, node: NodeId, packet: Packet, from: NodeId) {
        // The home router's inside is the client side; the server edge's inside is the server's.
        let side = match node {
            NodeId::HomeRouter if from == NodeId::Client => Side::Inside,
            NodeId::ServerEdge if from == NodeId::Server => Side::Inside,
            _ => Side::Outside,
        };
        let now = self.now;
        let Some(device) = self.device_mut(node) else {
            return;
        };
        let handled = device.on_packet(now, packet.clone(), side);
        let accepted_by = handled.events.iter().find_map(|event| match event {
            DeviceEvent::Filtered { decision, .. } if decision.action == Action::Accept => Some(decision.text.clone()),
            _ => None,
        });
        for event in handled.events {
            self.record_device_event(node, event);
        }
        let who = self.label(node);
        match handled.verdict {
            Verdict::Pass(out) => {
                let Some(to) = self.next_hop(node, out.dst.ip()) else {
                    let info = PacketInfo::of(&out);
                    let rule = "no route".to_owned();
                    let reason = Refusal::NoRoute { ip: out.dst.ip() };
                    let text = say::drops(who, &info.summary(), None, &rule, &reason, node == NodeId::HomeRouter);
                    self.record(node, EventKind::PacketDropped { packet: info, rule, reason }, text);
                    return;
                };
                let info = PacketInfo::of(&out);
                let before = (out.src != packet.src || out.dst != packet.dst || out.payload() != packet.payload())
                    .then(|| PacketInfo::of(&packet));
                let source =
                    before.as_ref().filter(|before| before.src != info.src).map(|before| (before.src, info.src));
                let destination =
                    before.as_ref().filter(|before| before.dst != info.dst).map(|before| (before.dst, info.dst));
                let allowed_by = accepted_by.as_deref().filter(|_| packet.is_syn() && node != NodeId::Internet);
                let text = say::forwards(who, &info.summary(), source, destination, allowed_by);
                self.record(node, EventKind::PacketForwarded { packet: info, to, rule: accepted_by, before }, text);
                self.transmit(node, to, out, None);
            }
            Verdict::Drop { rule, reason } => {
                let info = PacketInfo::of(&packet);
                let home_side = node == NodeId::HomeRouter;
                let text = say::drops(who, &info.summary(), Some(packet.channel), &rule, &reason, home_side);
                self.record(node, EventKind::PacketDropped { packet: info, rule, reason }, text);
            }
            Verdict::Reject { rule, reason, mut response } => {
                let info = PacketInfo::of(&packet);
                response.id = self.new_packet_id();
                let answer = PacketInfo::of(&response);
                let text =
                    say::rejects(who, &info.summary(), &answer.flags, &rule, &reason, node == NodeId::HomeRouter);
                let response_to = self.next_hop(node, response.dst.ip());
                self.record(
                    node,
                    EventKind::PacketRejected { packet: info, rule, reason, response: answer, response_to },
                    text,
                );
                if let Some(to) = response_to {
                    self.transmit(node, to, response, Some(packet.id));
                }
            }
        }
    }

    fn record_device_event(&mut self, node: NodeId, event: DeviceEvent) {
        let who = self.label(node);
        let text = match &event {
            // Folded into the forward / drop sentence.
            DeviceEvent::Filtered { .. }
            | DeviceEvent::SourceTranslated { .. }
            | DeviceEvent::DestinationTranslated { .. }
            | DeviceEvent::ConntrackState { .. } => return,
            DeviceEvent::ConntrackAdded { entry } => say::starts_tracking(who, &conntrack_words(entry), entry.related),
            DeviceEvent::ConntrackRemoved { entry } => say::forgets(who, &conntrack_words(entry)),
            DeviceEvent::ExpectationAdded { expectation, announced_by } => say::expectation_added(
                who,
                announced_by,
                &expectation.src_ip.to_string(),
                expectation.dst,
                expectation.nat_to,
            ),
            DeviceEvent::ExpectationUsed { expectation } => say::expectation_used(who, expectation.dst),
            DeviceEvent::PayloadRewritten { before, after } => say::payload_rewritten(who, before, after),
            DeviceEvent::HelperNote { note } => say::helper_note(who, note),
        };
        self.record(node, EventKind::Device { event }, text);
    }

    fn ftp_text(&self, role: Role, event: &FtpTrace) -> String {
        say::ftp(self.label(role_node(role)), event)
    }

    /// Applies changed settings in the middle of a session (a branch). Devices get their new
    /// rules at once (existing connections stay tracked); the engines use the new settings from
    /// their next command. Settings that change addresses need a restart instead.
    pub fn apply(&mut self, scenario: &Scenario) -> Result<(), NeedsRestart> {
        let old = &self.scenario;
        use messages::settings::labels;
        // A different program or user is a different session, not a branch of this one.
        let checks: [(&'static str, bool); 10] = [
            (labels::CLIENT, old.client != scenario.client),
            (labels::SERVER, old.server != scenario.server),
            (labels::USER, old.user != scenario.user),
            (labels::IP, old.ip != scenario.ip),
            (labels::CLIENT_NAT, old.client_nat_active() != scenario.client_nat_active()),
            (labels::SERVER_NAT, old.server_nat_active() != scenario.server_nat_active()),
            (labels::CONTROL_PORT, old.control_port != scenario.control_port),
            (labels::OPERATION, old.command != scenario.command || old.transfers != scenario.transfers),
            (labels::SEED, old.seed != scenario.seed || old.latency != scenario.latency),
            // Typing into a scripted session, or the reverse, is another session too.
            (labels::CONSOLE, old.console.is_empty() != scenario.console.is_empty()),
        ];
        if let Some((setting, _)) = checks.into_iter().find(|(_, changed)| *changed) {
            return Err(NeedsRestart { setting });
        }
        let topology = self.topology;
        self.home_router.reconfigure(home_router_config(scenario, &topology));
        self.server_edge.reconfigure(server_edge_config(scenario, &topology));
        self.internet.private_destinations = scenario.private_destinations;
        self.client.app.set_settings(client_settings(scenario, &topology));
        if let Some(console) = &mut self.console {
            console.set_trust_pasv_address(scenario.trust_pasv_address);
        }
        self.server.app.set_settings(server_settings(scenario, &topology));
        self.scenario = scenario.clone();
        Ok(())
    }
}

fn role_node(role: Role) -> NodeId {
    match role {
        Role::Client => NodeId::Client,
        Role::Server => NodeId::Server,
    }
}

/// What a conntrack entry is, in words: a NAT mapping, a port forwarding or a connection.
fn conntrack_words(entry: &Entry) -> String {
    match entry.nat {
        Some(NatKind::Source) => say::nat_mapping(entry.original.src, entry.reply.dst, entry.original.dst),
        Some(NatKind::Destination) => say::port_forwarding(entry.original.dst, entry.reply.src),
        None => say::tracked_connection(&entry.original.to_string()),
    }
}
