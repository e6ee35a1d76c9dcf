//! The settings of one run, in one serde type with sensible defaults.
//!
//! A [`Scenario`] is what a teacher toggles on the page, what `ftpsim run` flags override, and
//! what a scenario file holds. Every field has a default (a typical home network, passive mode,
//! a server with a firewall that opens the passive range), so a file only needs the fields it
//! changes; an unknown field is an error, not silently ignored. [`Scenario::topology`] turns the
//! settings into the addresses of the five places on the path.
//!
//! Left out on purpose: more than one client, and topologies other than the fixed line
//! client — home router — internet — server edge — server.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::ftp::client::{ClientProfile, DataMode};
use crate::ftp::console::{self, LineError};
use crate::ftp::server::ServerProfile;
use crate::messages::settings::invalid;
use crate::net::device::PrivateDestinations;
use crate::time::Duration;

/// The passive port range of the lesson server (the article's 50000–51000), unless an
/// assignment's variant moves it ([`Numbers::passive_range`]).
pub const PASSIVE_RANGE: (u16, u16) = (50000, 51000);

/// The numbers of a run that change no outcome: the host parts of the addresses, the home
/// network's third byte and the server's passive port range. An assignment's seed varies them
/// ([`crate::assess::variant`]) so that neighbours in a class read different numbers; the
/// default is the article's network. IPv6 addresses take the same host parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Numbers {
    /// The home network is 192.168.`home_net`.0/24 (with NAT).
    pub home_net: u8,
    /// The client's host part on the home network (the router is always .1).
    pub client: u8,
    /// The home router's host part in 203.0.113.0/24.
    pub router_wan: u8,
    /// The server's host part: 198.51.100.`server`, and 10.0.0.`server` behind its own NAT.
    pub server: u8,
    /// The server's passive port range, lowest and highest.
    pub passive_range: (u16, u16),
}

impl Default for Numbers {
    fn default() -> Self {
        Numbers { home_net: 1, client: 2, router_wan: 1, server: 10, passive_range: PASSIVE_RANGE }
    }
}

impl Numbers {
    fn is_default(&self) -> bool {
        *self == Numbers::default()
    }

    /// Host parts from 2 to 254 (.1 is each network's router; the router's WAN side may be .1),
    /// and a passive range of unprivileged ports, lowest first.
    fn check(&self) -> Result<(), ScenarioError> {
        let host = |part: u8, lowest: u8| (lowest..=254).contains(&part);
        let (low, high) = self.passive_range;
        if !(host(self.client, 2) && host(self.router_wan, 1) && host(self.server, 2)) || low < 1024 || high < low {
            return Err(ScenarioError::BadNumbers);
        }
        Ok(())
    }
}

/// IPv4 or IPv6.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IpVersion {
    #[default]
    V4,
    V6,
}

/// What the client transfers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transfer {
    /// `LIST /pub`
    #[default]
    List,
    /// `RETR /pub/lesson-notes.txt`
    Retr,
    /// `STOR /upload/homework.txt`
    Stor,
}

impl Transfer {
    pub const ALL: [Transfer; 3] = [Transfer::List, Transfer::Retr, Transfer::Stor];

    pub fn as_str(self) -> &'static str {
        match self {
            Transfer::List => "list",
            Transfer::Retr => "retr",
            Transfer::Stor => "stor",
        }
    }

    /// The FTP command it uses.
    pub fn verb(self) -> &'static str {
        match self {
            Transfer::List => "LIST",
            Transfer::Retr => "RETR",
            Transfer::Stor => "STOR",
        }
    }
}

/// The firewall in front of the server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerFirewall {
    /// No filtering.
    Off,
    /// New connections allowed to the control port and the passive range.
    #[default]
    PassiveRange,
    /// New connections allowed to the control port only.
    ControlOnly,
}

impl ServerFirewall {
    pub const ALL: [ServerFirewall; 3] =
        [ServerFirewall::Off, ServerFirewall::PassiveRange, ServerFirewall::ControlOnly];

    pub fn as_str(self) -> &'static str {
        match self {
            ServerFirewall::Off => "off",
            ServerFirewall::PassiveRange => "passive-range",
            ServerFirewall::ControlOnly => "control-only",
        }
    }
}

/// Which address the server writes into its 227 reply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PasvAddress {
    /// Its own address (private when the server is behind NAT): vsftpd without `pasv_address`.
    #[default]
    Private,
    /// The public address, configured with vsftpd's `pasv_address`.
    Public,
}

/// The server's check that `PORT`/`EPRT` names the control connection's own address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortCheck {
    /// Refuse other addresses and ports below 1024 (vsftpd `port_promiscuous=NO`).
    #[default]
    Strict,
    /// Connect wherever `PORT` says (`port_promiscuous=YES`).
    Off,
}

/// What the client's firewall does with packets it does not allow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefuseWith {
    /// Drop silently: the sender retries and eventually times out.
    #[default]
    Drop,
    /// Answer with a TCP reset: the sender learns at once.
    Reject,
}

/// Who logs in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum User {
    /// `anonymous`, with the client's own anonymous password.
    #[default]
    Anonymous,
    /// The lesson server's local account `demo` (password `demo`), which may upload.
    Demo,
}

/// How a server without EPSV refuses it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum EpsvRefusal {
    /// `500`: the server has never heard of the command.
    #[default]
    #[serde(rename = "500")]
    Unknown500,
    /// `502`: it knows the command but does not implement it.
    #[serde(rename = "502")]
    NotImplemented502,
}

/// One-way link latencies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Latency {
    /// Client ↔ home router, and server edge ↔ server.
    pub lan: Duration,
    /// Home router ↔ internet ↔ server edge.
    pub wan: Duration,
}

impl Default for Latency {
    fn default() -> Self {
        Latency { lan: Duration::from_millis(1), wan: Duration::from_millis(10) }
    }
}

/// Every setting of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    /// Which client: curl 7.88 or Python's ftplib.
    pub client: ClientProfile,
    /// Which server: vsftpd 3.0.3 or pyftpdlib 2.2.
    pub server: ServerProfile,
    /// Who logs in.
    pub user: User,
    pub ip: IpVersion,
    /// How the client sets up data connections.
    pub mode: DataMode,
    /// What the client transfers.
    pub command: Transfer,
    /// How many times the transfer is repeated in the session (long sessions for benchmarks).
    pub transfers: u32,
    /// Stateful firewall on the home router: new inbound connections are refused.
    pub client_firewall: bool,
    /// How the client firewall refuses.
    pub client_firewall_action: RefuseWith,
    /// The home router translates the client's private address (IPv4 only).
    pub client_nat: bool,
    /// The home router's FTP helper (ALG).
    pub client_alg: bool,
    pub server_firewall: ServerFirewall,
    /// How the server firewall refuses.
    pub server_firewall_action: RefuseWith,
    /// An FTP helper on the server's firewall or router.
    pub server_alg: bool,
    /// The server sits behind its own NAT router that forwards the control port and the passive
    /// range (IPv4 only).
    pub server_nat: bool,
    pub pasv_address: PasvAddress,
    pub port_check: PortCheck,
    /// The client connects to the address in a 227 reply (classic) instead of the control
    /// connection's address (curl ≥ 7.74, ftplib).
    pub trust_pasv_address: bool,
    /// The server understands EPSV; when off it refuses it with [`Scenario::epsv_refusal`].
    pub server_epsv: bool,
    pub epsv_refusal: EpsvRefusal,
    /// vsftpd `connect_timeout` in seconds (pyftpdlib: its active data channel timeout); `None`
    /// is the server's default (vsftpd 60 s, pyftpdlib 30 s).
    pub connect_timeout: Option<u32>,
    /// vsftpd `accept_timeout` in seconds (pyftpdlib: its passive data channel timeout).
    pub accept_timeout: Option<u32>,
    /// The client's own connect timeout in seconds (curl `--connect-timeout`, ftplib
    /// `timeout=`, which also bounds its replies); `None`: TCP gives up on its own.
    pub client_timeout: Option<u32>,
    /// vsftpd `connect_from_port_20` (on, as Debian's vsftpd.conf ships it).
    pub port20: bool,
    /// The server's control port.
    pub control_port: u16,
    /// Control ports the FTP helpers watch (Linux's default: 21 only).
    pub helper_ports: Vec<u16>,
    /// The control connection is encrypted (FTPS): helpers cannot read it.
    pub control_encrypted: bool,
    /// Announce this address in PORT/EPRT instead of the client's own (an FTP bounce attempt).
    pub bounce_to: Option<IpAddr>,
    /// What the internet does with packets to private addresses.
    pub private_destinations: PrivateDestinations,
    pub latency: Latency,
    /// Seed for every "random" choice (ephemeral and passive ports).
    pub seed: u64,
    /// Host parts of the addresses and the passive range: the numbers an assignment varies.
    #[serde(skip_serializing_if = "Numbers::is_default")]
    pub numbers: Numbers,
    /// Lines a student typed at the console, in order. When there are any, the client is a
    /// console ([`crate::ftp::console`]): it logs in, then sends each line once the network is
    /// quiet, instead of running the operation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub console: Vec<String>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            client: ClientProfile::Curl,
            server: ServerProfile::Vsftpd,
            user: User::Anonymous,
            ip: IpVersion::V4,
            mode: DataMode::Pasv,
            command: Transfer::List,
            transfers: 1,
            client_firewall: true,
            client_firewall_action: RefuseWith::Drop,
            client_nat: true,
            client_alg: false,
            server_firewall: ServerFirewall::PassiveRange,
            server_firewall_action: RefuseWith::Drop,
            server_alg: false,
            server_nat: false,
            pasv_address: PasvAddress::Private,
            port_check: PortCheck::Strict,
            trust_pasv_address: false,
            server_epsv: true,
            epsv_refusal: EpsvRefusal::Unknown500,
            connect_timeout: None,
            accept_timeout: None,
            client_timeout: None,
            port20: true,
            control_port: 21,
            helper_ports: vec![21],
            control_encrypted: false,
            bounce_to: None,
            private_destinations: PrivateDestinations::Drop,
            latency: Latency::default(),
            seed: 2026,
            numbers: Numbers::default(),
            console: Vec::new(),
        }
    }
}

/// One setting changed: what a toggle on the page does, and what a lesson is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Client(ClientProfile),
    Server(ServerProfile),
    User(User),
    Mode(DataMode),
    Operation(Transfer),
    Ip(IpVersion),
    ClientFirewall(bool),
    ClientNat(bool),
    ClientAlg(bool),
    ServerFirewall(ServerFirewall),
    ServerAlg(bool),
    ServerNat(bool),
    PasvAddress(PasvAddress),
    TrustPasvAddress(bool),
    PortCheck(PortCheck),
    ServerEpsv(bool),
    ControlPort(u16),
    ControlEncrypted(bool),
    BounceTo(IpAddr),
    Transfers(u32),
    EpsvRefusal(EpsvRefusal),
    ConnectTimeout(Option<u32>),
    AcceptTimeout(Option<u32>),
    ClientTimeout(Option<u32>),
    Port20(bool),
    HelperPorts(PortList),
    PrivateDestinations(PrivateDestinations),
}

/// A short list of ports, small enough to copy (the FTP helper's ports).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortList {
    ports: [u16; PortList::MAX],
    len: usize,
}

impl PortList {
    /// The most ports a list holds.
    pub const MAX: usize = 8;

    /// The list, or `None` when there are too many ports.
    pub fn new(ports: &[u16]) -> Option<PortList> {
        let mut list = PortList { ports: [0; PortList::MAX], len: ports.len() };
        list.ports.get_mut(..ports.len())?.copy_from_slice(ports);
        Some(list)
    }

    pub fn as_slice(&self) -> &[u16] {
        &self.ports[..self.len]
    }
}

impl Change {
    /// Makes the change. The result may be invalid (a control port in the passive range);
    /// [`Scenario::validate`] says so.
    pub fn apply(self, scenario: &mut Scenario) {
        match self {
            Change::Client(client) => scenario.client = client,
            Change::Server(server) => scenario.server = server,
            Change::User(user) => scenario.user = user,
            Change::Mode(mode) => scenario.mode = mode,
            Change::Operation(command) => scenario.command = command,
            Change::Ip(ip) => scenario.ip = ip,
            Change::ClientFirewall(on) => scenario.client_firewall = on,
            Change::ClientNat(on) => scenario.client_nat = on,
            Change::ClientAlg(on) => scenario.client_alg = on,
            Change::ServerFirewall(firewall) => scenario.server_firewall = firewall,
            Change::ServerAlg(on) => scenario.server_alg = on,
            Change::ServerNat(on) => scenario.server_nat = on,
            Change::PasvAddress(address) => scenario.pasv_address = address,
            Change::TrustPasvAddress(on) => scenario.trust_pasv_address = on,
            Change::PortCheck(check) => scenario.port_check = check,
            Change::ServerEpsv(on) => scenario.server_epsv = on,
            Change::ControlPort(port) => scenario.control_port = port,
            Change::ControlEncrypted(on) => scenario.control_encrypted = on,
            Change::BounceTo(ip) => scenario.bounce_to = Some(ip),
            Change::Transfers(n) => scenario.transfers = n,
            Change::EpsvRefusal(refusal) => scenario.epsv_refusal = refusal,
            Change::ConnectTimeout(seconds) => scenario.connect_timeout = seconds,
            Change::AcceptTimeout(seconds) => scenario.accept_timeout = seconds,
            Change::ClientTimeout(seconds) => scenario.client_timeout = seconds,
            Change::Port20(on) => scenario.port20 = on,
            Change::HelperPorts(ports) => scenario.helper_ports = ports.as_slice().to_vec(),
            Change::PrivateDestinations(what) => scenario.private_destinations = what,
        }
    }
}

/// Why a scenario cannot be run.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    #[error("{}", invalid::control_port(range.0, range.1, *got))]
    BadControlPort { got: u16, range: (u16, u16) },
    #[error("{}", invalid::NUMBERS)]
    BadNumbers,
    #[error("{}", invalid::transfers(*max, *got))]
    BadTransfers { got: u32, max: u32 },
    /// More transfers than a player with less memory than the terminal runner takes (the page).
    #[error("{}", invalid::too_long_for_page(*max, *got, MAX_TRANSFERS))]
    TooLongForPage { got: u32, max: u32 },
    #[error("{}", invalid::bounce_address(ip, &got.to_string()))]
    BadBounceAddress { ip: &'static str, got: IpAddr },
    #[error("{}", invalid::HELPER_PORT)]
    BadHelperPort,
    #[error("{}", invalid::mode_not_in_client(client.as_str(), mode.as_str()))]
    ModeNotInClient { client: ClientProfile, mode: DataMode },
    #[error("{}", invalid::timeout(MAX_TIMEOUT, *got))]
    BadTimeout { got: u32 },
    #[error("{}", invalid::unreadable_file(_0))]
    Json(String),
    #[error("{}", invalid::file_too_large(*got, *max))]
    TooLarge { got: usize, max: usize },
    /// A typed line the console would not take (`number` counts from 1).
    #[error("{}", crate::messages::console::bad_line(*number, problem))]
    BadConsoleLine { number: usize, problem: LineError },
}

/// Debug output is the message itself: it is what a developer needs to read, and the browser
/// build then needs no second formatter for these errors.
impl fmt::Debug for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScenarioError({self})")
    }
}

/// The longest timeout a setting may ask for, in seconds (an hour: longer teaches nothing more).
pub const MAX_TIMEOUT: u32 = 3600;

/// The most transfers one session may repeat.
pub const MAX_TRANSFERS: u32 = 10_000;

impl Scenario {
    /// The scenario as the JSON file `ftpsim run --scenario` reads (every field, pretty).
    pub fn to_json(&self) -> String {
        // Serialising plain data cannot fail; an empty object would still read as the default.
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// The longest scenario file read, in bytes (a real one is about 1 KB).
    pub const MAX_JSON: usize = 64 * 1024;

    /// Reads a scenario from a JSON object; missing fields take their defaults, unknown ones are
    /// errors, and JSON that is not an object is refused with the page's words.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        if text.len() > Scenario::MAX_JSON {
            return Err(ScenarioError::TooLarge { got: text.len(), max: Scenario::MAX_JSON });
        }
        let json_error = |error: serde_json::Error| ScenarioError::Json(error.to_string());
        // serde's derived reader also takes a struct as the list of its fields' values, in order
        // (`[]`, `["ftplib"]`): a file is an object, or it is refused as the page refuses it.
        if !text.trim_start_matches([' ', '\t', '\n', '\r']).starts_with('{') {
            serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(json_error)?;
            return Err(ScenarioError::Json(crate::messages::settings::file::NOT_AN_OBJECT.to_owned()));
        }
        let scenario: Scenario = serde_json::from_str(text).map_err(json_error)?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Checks the settings make sense together.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.numbers.check()?;
        let (low, high) = self.numbers.passive_range;
        if self.control_port == 0 || (low..=high).contains(&self.control_port) {
            return Err(ScenarioError::BadControlPort { got: self.control_port, range: (low, high) });
        }
        if self.transfers == 0 || self.transfers > MAX_TRANSFERS {
            return Err(ScenarioError::BadTransfers { got: self.transfers, max: MAX_TRANSFERS });
        }
        if let Some(target) = self.bounce_to {
            let v4 = self.ip == IpVersion::V4;
            if target.is_ipv4() != v4 {
                return Err(ScenarioError::BadBounceAddress { ip: if v4 { "IPv4" } else { "IPv6" }, got: target });
            }
        }
        if self.helper_ports.contains(&0) || self.helper_ports.is_empty() || self.helper_ports.len() > PortList::MAX {
            return Err(ScenarioError::BadHelperPort);
        }
        if self.ip == IpVersion::V4 && !self.client.has_mode_on_ipv4(self.mode) {
            return Err(ScenarioError::ModeNotInClient { client: self.client, mode: self.mode });
        }
        for seconds in [self.connect_timeout, self.accept_timeout, self.client_timeout].into_iter().flatten() {
            if !(1..=MAX_TIMEOUT).contains(&seconds) {
                return Err(ScenarioError::BadTimeout { got: seconds });
            }
        }
        if self.console.len() > console::MAX_LINES {
            let problem = LineError::TooMany { max: console::MAX_LINES };
            return Err(ScenarioError::BadConsoleLine { number: console::MAX_LINES + 1, problem });
        }
        for (index, line) in self.console.iter().enumerate() {
            console::check_line(line)
                .map_err(|problem| ScenarioError::BadConsoleLine { number: index + 1, problem })?;
        }
        Ok(())
    }

    /// NAT is an IPv4 tool: with IPv6 every host has a public address.
    pub fn client_nat_active(&self) -> bool {
        self.client_nat && self.ip == IpVersion::V4
    }

    /// See [`Scenario::client_nat_active`].
    pub fn server_nat_active(&self) -> bool {
        self.server_nat && self.ip == IpVersion::V4
    }

    /// The addresses these settings give each place on the path.
    pub fn topology(&self) -> Topology {
        let Numbers { home_net, client, router_wan, server, .. } = self.numbers;
        match self.ip {
            IpVersion::V4 => {
                let (client, router_lan) = if self.client_nat_active() {
                    (Ipv4Addr::new(192, 168, home_net, client), Ipv4Addr::new(192, 168, home_net, 1))
                } else {
                    (Ipv4Addr::new(192, 0, 2, client), Ipv4Addr::new(192, 0, 2, 1))
                };
                let server_public = Ipv4Addr::new(198, 51, 100, server);
                let (server, edge_lan) = if self.server_nat_active() {
                    (Ipv4Addr::new(10, 0, 0, server), Some(Ipv4Addr::new(10, 0, 0, 1).into()))
                } else {
                    (server_public, None)
                };
                Topology {
                    client: client.into(),
                    router_lan: router_lan.into(),
                    router_wan: Ipv4Addr::new(203, 0, 113, router_wan).into(),
                    internet: Ipv4Addr::new(198, 18, 0, 1).into(),
                    server_public: server_public.into(),
                    edge_lan,
                    server: server.into(),
                }
            }
            IpVersion::V6 => {
                // 2001:db8:<net>::<host>, the documentation prefix, with the host part's decimal
                // digits written as they are (.10 in IPv4 is ::10 here), which students read alike.
                let v6 = |net: u16, host: u8| {
                    let digits = u16::from(host / 100) << 8 | u16::from(host / 10 % 10) << 4 | u16::from(host % 10);
                    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, net, 0, 0, 0, 0, digits))
                };
                Topology {
                    client: v6(1, client),
                    router_lan: v6(1, 1),
                    router_wan: v6(0xffff, router_wan),
                    internet: v6(0xff00, 1),
                    server_public: v6(2, server),
                    edge_lan: None,
                    server: v6(2, server),
                }
            }
        }
    }

    /// Every setting and its value in words, always in the same order (for describing what a
    /// teacher changed).
    pub fn in_words(&self) -> Vec<(&'static str, String)> {
        use crate::messages::settings::{choices, labels, latency};
        let on = |flag: bool| crate::messages::on_off(flag).to_owned();
        let ports: Vec<String> = self.helper_ports.iter().map(u16::to_string).collect();
        let seconds = |value: Option<u32>| value.map_or_else(|| choices::DEFAULT.to_owned(), |n| format!("{n} s"));
        vec![
            (labels::CLIENT, self.client.as_str().to_owned()),
            (labels::SERVER, self.server.as_str().to_owned()),
            (labels::USER, if self.user == User::Demo { choices::DEMO } else { choices::ANONYMOUS }.to_owned()),
            (labels::IP, if self.ip == IpVersion::V4 { choices::IPV4 } else { choices::IPV6 }.to_owned()),
            (labels::MODE, crate::messages::settings::mode(self.mode).to_owned()),
            (labels::OPERATION, self.command.verb().to_owned()),
            (labels::TRANSFERS, self.transfers.to_string()),
            (labels::CLIENT_FIREWALL, on(self.client_firewall)),
            (
                labels::CLIENT_FIREWALL_ACTION,
                if self.client_firewall_action == RefuseWith::Drop { choices::DROPPING } else { choices::REJECTING }
                    .to_owned(),
            ),
            (labels::CLIENT_NAT, on(self.client_nat)),
            (labels::CLIENT_ALG, on(self.client_alg)),
            (labels::SERVER_FIREWALL, self.server_firewall.as_str().to_owned()),
            (
                labels::SERVER_FIREWALL_ACTION,
                if self.server_firewall_action == RefuseWith::Drop { choices::DROPPING } else { choices::REJECTING }
                    .to_owned(),
            ),
            (labels::SERVER_ALG, on(self.server_alg)),
            (labels::SERVER_NAT, on(self.server_nat)),
            (
                labels::PASV_ADDRESS,
                if self.pasv_address == PasvAddress::Private { choices::PASV_PRIVATE } else { choices::PASV_PUBLIC }
                    .to_owned(),
            ),
            (
                labels::PORT_CHECK,
                if self.port_check == PortCheck::Strict { choices::STRICT } else { choices::CHECK_OFF }.to_owned(),
            ),
            (labels::TRUST_PASV_ADDRESS, on(self.trust_pasv_address)),
            (labels::SERVER_EPSV, on(self.server_epsv)),
            (labels::EPSV_REFUSAL, if self.epsv_refusal == EpsvRefusal::Unknown500 { "500" } else { "502" }.to_owned()),
            (labels::CONNECT_TIMEOUT, seconds(self.connect_timeout)),
            (labels::ACCEPT_TIMEOUT, seconds(self.accept_timeout)),
            (
                labels::CLIENT_TIMEOUT,
                self.client_timeout.map_or_else(|| choices::NONE.to_owned(), |n| format!("{n} s")),
            ),
            (labels::PORT20, on(self.port20)),
            (labels::CONTROL_PORT, self.control_port.to_string()),
            (labels::HELPER_PORTS, ports.join(", ")),
            (labels::CONTROL_ENCRYPTED, on(self.control_encrypted)),
            (labels::BOUNCE_TO, self.bounce_to.map_or_else(|| choices::NONE.to_owned(), |ip| ip.to_string())),
            (
                labels::PRIVATE_DESTINATIONS,
                if self.private_destinations == PrivateDestinations::Drop {
                    choices::DROPPED
                } else {
                    choices::UNREACHABLE
                }
                .to_owned(),
            ),
            (labels::LATENCY, latency(&self.latency.lan.to_string(), &self.latency.wan.to_string())),
            (labels::SEED, self.seed.to_string()),
        ]
    }

    /// A short, stable description of the toggles, e.g. for table rows.
    pub fn describe(&self) -> String {
        let on = |flag: bool| if flag { "on" } else { "off" };
        format!(
            "{} mode={} client-firewall={} client-nat={} client-alg={} server-firewall={} server-alg={} server-nat={}",
            match self.ip {
                IpVersion::V4 => "v4",
                IpVersion::V6 => "v6",
            },
            self.mode,
            on(self.client_firewall),
            on(self.client_nat),
            on(self.client_alg),
            self.server_firewall.as_str(),
            on(self.server_alg),
            on(self.server_nat)
        )
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Where everything is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topology {
    pub client: IpAddr,
    pub router_lan: IpAddr,
    pub router_wan: IpAddr,
    pub internet: IpAddr,
    /// The address clients use for the server.
    pub server_public: IpAddr,
    /// The server router's inside address, when the server is behind NAT.
    pub edge_lan: Option<IpAddr>,
    /// The server's own address (private when behind NAT).
    pub server: IpAddr,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_a_home_network_in_passive_mode() {
        let scenario = Scenario::default();
        assert_eq!(scenario.validate(), Ok(()));
        let topology = scenario.topology();
        assert_eq!(topology.client.to_string(), "192.168.1.2");
        assert_eq!(topology.router_wan.to_string(), "203.0.113.1");
        assert_eq!(topology.server.to_string(), "198.51.100.10");
    }

    #[test]
    fn a_partial_file_fills_in_defaults_and_unknown_fields_are_errors() {
        let scenario = Scenario::from_json(r#"{"mode": "port", "client_alg": true}"#).expect("valid");
        assert_eq!(scenario.mode, DataMode::Port);
        assert!(scenario.client_alg && scenario.client_nat);
        let error = Scenario::from_json(r#"{"mode": "port", "colour": "blue"}"#).expect_err("unknown field");
        assert!(error.to_string().contains("unknown field `colour`"), "{error}");
        let error = Scenario::from_json(r#"{"mode": "sideways"}"#).expect_err("bad mode");
        assert!(error.to_string().contains("unknown variant `sideways`"), "{error}");
        assert!(Scenario::from_json("not json").is_err());
    }

    #[test]
    fn bad_settings_are_refused_with_the_reason() {
        let bad_port = Scenario { control_port: 50001, ..Scenario::default() };
        assert_eq!(bad_port.validate(), Err(ScenarioError::BadControlPort { got: 50001, range: PASSIVE_RANGE }));
        let no_transfers = Scenario { transfers: 0, ..Scenario::default() };
        assert!(no_transfers.validate().expect_err("zero").to_string().contains("transfers must be from 1"));
        let mixed = Scenario { bounce_to: Some("2001:db8::1".parse().expect("ip")), ..Scenario::default() };
        assert!(mixed.validate().is_err());
    }

    #[test]
    fn server_nat_and_ipv6_topologies() {
        let natted = Scenario { server_nat: true, ..Scenario::default() }.topology();
        assert_eq!(natted.server.to_string(), "10.0.0.10");
        assert_eq!(natted.server_public.to_string(), "198.51.100.10");
        let v6 = Scenario { ip: IpVersion::V6, client_nat: true, server_nat: true, ..Scenario::default() };
        assert!(!v6.client_nat_active() && !v6.server_nat_active());
        assert_eq!(v6.topology().client.to_string(), "2001:db8:1::2");
        assert_eq!(v6.topology().server.to_string(), "2001:db8:2::10");
    }

    #[test]
    fn an_assignments_numbers_change_every_address_but_the_internets() {
        let numbers = Numbers { home_net: 42, client: 17, router_wan: 200, server: 99, passive_range: (40000, 40100) };
        let natted = Scenario { numbers, ..Scenario::default() }.topology();
        assert_eq!(
            (natted.client.to_string(), natted.router_lan.to_string()),
            ("192.168.42.17".into(), "192.168.42.1".into())
        );
        assert_eq!(natted.router_wan.to_string(), "203.0.113.200");
        assert_eq!(natted.server.to_string(), "198.51.100.99");
        let both = Scenario { numbers, server_nat: true, client_nat: false, ..Scenario::default() }.topology();
        assert_eq!((both.client.to_string(), both.server.to_string()), ("192.0.2.17".into(), "10.0.0.99".into()));
        let v6 = Scenario { numbers, ip: IpVersion::V6, ..Scenario::default() }.topology();
        assert_eq!((v6.client.to_string(), v6.server.to_string()), ("2001:db8:1::17".into(), "2001:db8:2::99".into()));
        assert_eq!(v6.router_wan.to_string(), "2001:db8:ffff::200");
        assert_eq!(natted.internet, Scenario::default().topology().internet);
    }

    #[test]
    fn scenario_round_trips_through_json() {
        let scenario = Scenario { mode: DataMode::Eprt, server_nat: true, ..Scenario::default() };
        let text = serde_json::to_string(&scenario).expect("serialises");
        assert_eq!(Scenario::from_json(&text), Ok(scenario));
    }

    #[test]
    fn a_scenario_file_is_an_object_or_refused_as_the_page_refuses_it() {
        use crate::sim::scenario_file::{self, Json};
        let not_an_object = Err(ScenarioError::Json(crate::messages::settings::file::NOT_AN_OBJECT.to_owned()));
        let lists = ["[   ] ", r#"["ftplib", "pyftpdlib", "demo", "v4", "port"]"#];
        for text in lists.into_iter().chain(["\n 42", "\"port\"", "null", "true"]) {
            assert_eq!(Scenario::from_json(text), not_an_object, "{text}");
            let page = Json::parse(text).expect("JSON");
            assert_eq!(scenario_file::read(&page), not_an_object, "the page: {text}");
        }
        // What is not JSON at all, or an object serde refuses, still gets serde's own words.
        let Err(ScenarioError::Json(error)) = Scenario::from_json("[1,") else { panic!("not JSON") };
        assert!(error.starts_with("EOF while parsing"), "{error}");
        let Err(ScenarioError::Json(error)) = Scenario::from_json(r#"{"mode": "port", "mode": "port"}"#) else {
            panic!("a field twice")
        };
        assert!(error.contains("duplicate field `mode`"), "{error}");
        assert_eq!(Scenario::from_json(" \r\n\t{}"), Ok(Scenario::default()));
    }
}
