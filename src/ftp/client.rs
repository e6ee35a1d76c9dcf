//! An FTP client session, sans-IO, behaving like curl (≥ 7.74) and Python's ftplib.
//!
//! The client logs in, carries out a list of [`Operation`]s (`LIST`, `NLST`, `RETR`, `STOR`),
//! each over a fresh data connection set up in the chosen [`DataMode`], then says `QUIT`.
//!
//! What it copies from the real clients, because the lessons depend on it:
//! - **Active** (`PORT`/`EPRT`): it opens a listening socket on its own (possibly private)
//!   address and announces that address; it waits for the server to connect. Like curl, the
//!   accept timeout only starts once the server has said `150`; a `425` ends the wait at once.
//!   In `EPRT` mode a refused `EPRT` makes it retry with `PORT` (curl's "disabling EPRT usage").
//! - **Passive** (`PASV`/`EPSV`): it connects to the port the server names *before* sending the
//!   transfer command. By default it ignores the address inside a 227 reply and reuses the
//!   control connection's address (curl since 7.74, ftplib since 2021 — a hostile server could
//!   otherwise point clients at hosts inside their network); [`ClientSettings::trust_pasv_address`]
//!   restores the classic behaviour.
//! - **Auto**: `EPSV` first, and `PASV` when the server answers anything but 229 (curl).
//! - `PORT` and `PASV` cannot carry IPv6 addresses: on an IPv6 control connection the client
//!   uses `EPRT` and `EPSV` instead, as curl and ftplib do.
//!
//! Left out on purpose: `REST`, `SIZE` before `RETR`, `CWD` navigation (operations name full
//! paths), and `QUIT` after a failure (the client closes the control connection at once; curl
//! would say `QUIT` first, which changes no outcome).

use std::collections::VecDeque;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::codec::{
    AddressError, Command, EpsvArg, Reply, ReplyDecoder, TransferType, parse_extended_passive_reply,
    parse_passive_reply, reply_code as code,
};
use super::{ConnectError, DataEvent, DataId, Engine, FtpTrace, Input, Note, Output, TimerKind};
use crate::time::{Duration, Instant};

/// How the client sets up data connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataMode {
    /// Active: `PORT h1,h2,h3,h4,p1,p2`; the server connects to the client.
    Port,
    /// Extended active: `EPRT |1|addr|port|`, falling back to `PORT` if refused (curl `-P`).
    Eprt,
    /// Passive: `PASV`; the client connects to the address in the 227 reply.
    Pasv,
    /// Extended passive: `EPSV`; the client connects to the port in the 229 reply.
    Epsv,
    /// `EPSV` first, `PASV` if the server does not answer 229 (curl's default).
    Auto,
}

impl DataMode {
    /// Every mode, in the order the comparison table shows them.
    pub const ALL: [DataMode; 5] = [DataMode::Port, DataMode::Eprt, DataMode::Pasv, DataMode::Epsv, DataMode::Auto];

    /// True for the modes where the server opens the data connection.
    pub fn is_active(self) -> bool {
        matches!(self, DataMode::Port | DataMode::Eprt)
    }

    /// Short name as used on the command line (`port`, `eprt`, `pasv`, `epsv`, `auto`).
    pub fn as_str(self) -> &'static str {
        match self {
            DataMode::Port => "port",
            DataMode::Eprt => "eprt",
            DataMode::Pasv => "pasv",
            DataMode::Epsv => "epsv",
            DataMode::Auto => "auto",
        }
    }
}

impl fmt::Display for DataMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing the client does over a data connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// `LIST [path]`: a long directory listing.
    List { path: Option<String> },
    /// `NLST [path]`: names only.
    Nlst { path: Option<String> },
    /// `RETR path`: download a file.
    Retr { path: String },
    /// `STOR path`: upload `contents`.
    Stor { path: String, contents: Vec<u8> },
}

impl Operation {
    fn transfer_type(&self) -> TransferType {
        match self {
            Operation::List { .. } | Operation::Nlst { .. } => TransferType::Ascii,
            Operation::Retr { .. } | Operation::Stor { .. } => TransferType::Image,
        }
    }

    fn command(&self) -> Command {
        match self {
            Operation::List { path } => Command::List(path.clone()),
            Operation::Nlst { path } => Command::Nlst(path.clone()),
            Operation::Retr { path } => Command::Retr(path.clone()),
            Operation::Stor { path, .. } => Command::Stor(path.clone()),
        }
    }

    /// A short description such as `RETR pub/readme.txt`.
    pub fn describe(&self) -> String {
        self.command().to_string()
    }
}

/// Client settings, with curl's defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientSettings {
    /// Where the control connection goes.
    pub server: SocketAddr,
    pub user: String,
    pub password: String,
    pub mode: DataMode,
    pub operations: Vec<Operation>,
    /// Connect to the address inside a 227 reply (the classic behaviour) instead of the control
    /// connection's address (curl ≥ 7.74 `--ftp-skip-pasv-ip` default, ftplib
    /// `trust_server_pasv_ipv4_address = False`).
    pub trust_pasv_address: bool,
    /// Give up on a passive data connect after this long; `None` waits until TCP itself gives up
    /// (about 134 s on Linux 6), which is what curl and ftplib do by default.
    pub data_connect_timeout: Option<Duration>,
    /// Active mode: how long to wait for the server's connection after its 150 (curl: 60 s).
    pub accept_timeout: Duration,
    /// How long to wait for any reply.
    pub reply_timeout: Duration,
    /// Announce this address in `PORT`/`EPRT` instead of our own: what an FTP bounce attack
    /// does to make a server connect to a third host.
    pub announce_address: Option<IpAddr>,
    /// Explicit FTPS: `AUTH TLS` before logging in, then `PBSZ 0` and `PROT P` (RFC 4217).
    pub tls: bool,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            server: SocketAddr::from(([198, 51, 100, 10], 21)),
            user: "anonymous".to_owned(),
            password: "student@example.com".to_owned(),
            mode: DataMode::Auto,
            operations: vec![Operation::List { path: None }],
            trust_pasv_address: false,
            data_connect_timeout: None,
            accept_timeout: Duration::from_secs(60),
            reply_timeout: Duration::from_secs(120),
            announce_address: None,
            tls: false,
        }
    }
}

/// Why a session failed, in terms a student can follow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum ClientFailure {
    /// The control connection could not be made.
    ControlConnect { error: ConnectError },
    /// The server closed the control connection unexpectedly.
    ControlClosed,
    /// The server refused a command the client could not work around.
    Refused { command: String, reply: Reply },
    /// The server's reply could not be read (e.g. a 227 without an address).
    UnreadableReply { reply: Reply, problem: String },
    /// Our data connection attempt failed at the TCP level.
    DataConnect { target: SocketAddr, error: ConnectError },
    /// Our data connection attempt took longer than our own limit.
    DataConnectTimeout { target: SocketAddr, after: Duration },
    /// Active mode: the server said 150 but never connected.
    AcceptTimeout { after: Duration },
    /// The server did not reply in time.
    ReplyTimeout { command: String, after: Duration },
    /// The data connection was aborted mid-transfer.
    DataReset,
}

impl fmt::Display for ClientFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientFailure::ControlConnect { error } => {
                write!(f, "could not open the control connection: {error}")
            }
            ClientFailure::ControlClosed => f.write_str("the server closed the control connection"),
            ClientFailure::Refused { command, reply } => {
                write!(f, "the server answered {command} with {} {}", reply.code, reply.text())
            }
            ClientFailure::UnreadableReply { reply, problem } => {
                write!(f, "could not read reply {} {}: {problem}", reply.code, reply.text())
            }
            ClientFailure::DataConnect { target, error } => {
                write!(f, "data connection to {target} failed: {error}")
            }
            ClientFailure::DataConnectTimeout { target, after } => {
                write!(f, "data connection to {target} did not complete within {after}")
            }
            ClientFailure::AcceptTimeout { after } => {
                write!(f, "the server did not connect back within {after} after saying 150")
            }
            ClientFailure::ReplyTimeout { command, after } => {
                write!(f, "no reply to {command} within {after}")
            }
            ClientFailure::DataReset => f.write_str("the data connection was reset mid-transfer"),
        }
    }
}

/// How the session ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum Outcome {
    Completed,
    Failed { failure: ClientFailure },
}

/// What one finished operation moved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferResult {
    pub operation: String,
    /// Bytes received (LIST, NLST, RETR) or sent (STOR).
    pub bytes: Vec<u8>,
}

/// Where the session stands; each variant names what the client is waiting for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Connecting,
    AwaitingGreeting,
    /// `AUTH TLS` sent; waiting for 234.
    SentAuth,
    /// Our ClientHello went out; waiting for the server's answer.
    TlsHandshake,
    SentUser,
    SentPass,
    /// `PBSZ 0` and `PROT P`, after logging in over TLS.
    SentPbsz,
    SentProt,
    SentType,
    /// Active: waiting for our listening socket.
    OpeningListener,
    SentPort {
        command: Command,
    },
    SentPassive {
        command: Command,
    },
    /// Passive: our connect to the server is under way.
    ConnectingData {
        target: SocketAddr,
    },
    /// The transfer command went out; waiting for 150 (and, in active mode, the server).
    SentTransfer {
        command: Command,
    },
    /// 150 came; waiting for the data to finish and 226.
    Transferring {
        command: Command,
        completed: bool,
    },
    SentQuit,
    Done,
}

impl Step {
    fn name(&self) -> String {
        match self {
            Step::Connecting => "CONNECTING".to_owned(),
            Step::AwaitingGreeting => "AWAITING-GREETING".to_owned(),
            Step::SentAuth => "AWAITING-AUTH-REPLY".to_owned(),
            Step::TlsHandshake => "TLS-HANDSHAKE".to_owned(),
            Step::SentPbsz => "AWAITING-PBSZ-REPLY".to_owned(),
            Step::SentProt => "AWAITING-PROT-REPLY".to_owned(),
            Step::SentUser => "AWAITING-USER-REPLY".to_owned(),
            Step::SentPass => "AWAITING-PASS-REPLY".to_owned(),
            Step::SentType => "AWAITING-TYPE-REPLY".to_owned(),
            Step::OpeningListener => "OPENING-LISTENER".to_owned(),
            Step::SentPort { command } | Step::SentPassive { command } => {
                format!("AWAITING-{}-REPLY", command.verb())
            }
            Step::ConnectingData { .. } => "CONNECTING-DATA".to_owned(),
            Step::SentTransfer { .. } => "AWAITING-TRANSFER-START".to_owned(),
            Step::Transferring { .. } => "TRANSFERRING".to_owned(),
            Step::SentQuit => "QUITTING".to_owned(),
            Step::Done => "DONE".to_owned(),
        }
    }
}

/// The data connection (or listening socket) of the current operation.
#[derive(Clone, Debug, PartialEq, Eq)]
struct DataChannel {
    id: DataId,
    listening: Option<SocketAddr>,
    connected: bool,
    peer_closed: bool,
    received: Vec<u8>,
    sent: bool,
}

/// One client session. Feed it [`Input`]s, take [`Output`]s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FtpClient {
    settings: ClientSettings,
    decoder: ReplyDecoder,
    outputs: VecDeque<Output>,
    now: Instant,
    control: Option<(SocketAddr, SocketAddr)>,
    step: Step,
    next_operation: usize,
    transfer_type: Option<TransferType>,
    /// curl remembers a refused EPSV / EPRT for the rest of the session.
    epsv_refused: bool,
    eprt_refused: bool,
    data: Option<DataChannel>,
    next_data_id: u32,
    last_command: Option<Command>,
    last_reply: Option<Reply>,
    outcome: Option<Outcome>,
    /// Shared, so that snapshots of a long session do not copy every finished transfer.
    results: Vec<Arc<TransferResult>>,
}

impl FtpClient {
    /// A client that will connect to `settings.server` as soon as its driver polls it.
    pub fn new(settings: ClientSettings) -> Self {
        let mut outputs = VecDeque::new();
        outputs.push_back(Output::ConnectControl { to: settings.server });
        FtpClient {
            settings,
            decoder: ReplyDecoder::default(),
            outputs,
            now: Instant::ZERO,
            control: None,
            step: Step::Connecting,
            next_operation: 0,
            transfer_type: None,
            epsv_refused: false,
            eprt_refused: false,
            data: None,
            next_data_id: 1,
            last_command: None,
            last_reply: None,
            outcome: None,
            results: Vec::new(),
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    /// Changes settings mid-session (a teacher switching the mode); the next data connection
    /// uses them. The server address and the operations already done stay as they were.
    pub fn set_settings(&mut self, settings: ClientSettings) {
        self.settings = ClientSettings { server: self.settings.server, ..settings };
    }

    /// How the session ended, once it has.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// The last reply received, if any.
    pub fn last_reply(&self) -> Option<&Reply> {
        self.last_reply.as_ref()
    }

    /// What each finished operation moved.
    pub fn results(&self) -> &[Arc<TransferResult>] {
        &self.results
    }

    /// The state name the trace shows.
    pub fn state_name(&self) -> String {
        match (&self.step, &self.outcome) {
            (Step::Done, Some(Outcome::Failed { .. })) => "FAILED".to_owned(),
            (step, _) => step.name(),
        }
    }

    fn emit(&mut self, output: Output) {
        self.outputs.push_back(output);
    }

    fn note(&mut self, note: Note) {
        self.emit(Output::Trace(FtpTrace::Note(note)));
    }

    fn send(&mut self, command: Command) {
        self.emit(Output::SendControl(command.to_bytes()));
        self.emit(Output::Trace(FtpTrace::CommandSent(command.clone())));
        self.last_command = Some(command);
        self.emit(Output::SetTimer { timer: TimerKind::Reply, at: self.now + self.settings.reply_timeout });
    }

    fn control_is_ipv6(&self) -> bool {
        self.control.is_some_and(|(local, _)| local.is_ipv6())
    }

    fn new_data_id(&mut self) -> DataId {
        let id = DataId(self.next_data_id);
        self.next_data_id += 1;
        id
    }

    fn fail(&mut self, failure: ClientFailure) {
        self.note(Note::GivingUp { failure: failure.clone() });
        if let Some(data) = self.data.take() {
            self.emit(Output::CloseData { id: data.id });
        }
        for timer in [TimerKind::Reply, TimerKind::DataConnect, TimerKind::DataAccept] {
            self.emit(Output::CancelTimer { timer });
        }
        if self.control.is_some() {
            self.emit(Output::CloseControl);
        }
        self.outcome = Some(Outcome::Failed { failure });
        self.step = Step::Done;
    }

    fn send_user(&mut self) {
        let user = self.settings.user.clone();
        self.send(Command::User(user));
        self.step = Step::SentUser;
    }

    fn current_operation(&self) -> Option<&Operation> {
        self.settings.operations.get(self.next_operation)
    }

    /// Starts the next operation, or says QUIT when all are done.
    fn next(&mut self) {
        let Some(operation) = self.current_operation() else {
            self.send(Command::Quit);
            self.step = Step::SentQuit;
            return;
        };
        let wanted = operation.transfer_type();
        if self.transfer_type != Some(wanted) {
            self.send(Command::Type(wanted));
            self.step = Step::SentType;
        } else {
            self.set_up_data();
        }
    }

    /// The data-connection command this operation starts with, given the mode and what the
    /// server has refused so far.
    fn set_up_data(&mut self) {
        let ipv6 = self.control_is_ipv6();
        let passive_command = match self.settings.mode {
            DataMode::Port | DataMode::Eprt => None,
            DataMode::Pasv if !ipv6 => Some(Command::Pasv),
            DataMode::Auto if self.epsv_refused && !ipv6 => Some(Command::Pasv),
            DataMode::Pasv | DataMode::Epsv | DataMode::Auto => Some(Command::Epsv(EpsvArg::Any)),
        };
        if let Some(command) = passive_command {
            if ipv6 && self.settings.mode == DataMode::Pasv {
                self.note(Note::PasvNeedsIpv4);
            }
            self.send(command.clone());
            self.step = Step::SentPassive { command };
            return;
        }
        let Some((local, _)) = self.control else {
            return;
        };
        let id = self.new_data_id();
        self.data = Some(DataChannel {
            id,
            listening: None,
            connected: false,
            peer_closed: false,
            received: Vec::new(),
            sent: false,
        });
        self.emit(Output::Listen { id, on: SocketAddr::new(local.ip(), 0) });
        self.step = Step::OpeningListener;
    }

    /// Announces our listening socket with PORT or EPRT.
    fn announce_listener(&mut self, listening: SocketAddr) {
        let local = match self.settings.announce_address {
            Some(other) if other.is_ipv4() == listening.is_ipv4() => {
                self.note(Note::AnnouncingOther { announced: other, own: listening.ip() });
                SocketAddr::new(other, listening.port())
            }
            _ => listening,
        };
        let use_eprt = match (self.settings.mode, local) {
            (_, SocketAddr::V6(_)) => true,
            (DataMode::Eprt, SocketAddr::V4(_)) => !self.eprt_refused,
            _ => false,
        };
        if self.settings.mode == DataMode::Port && local.is_ipv6() {
            self.note(Note::PortNeedsIpv4);
        }
        let command = match local {
            SocketAddr::V4(v4) if !use_eprt => Command::Port(v4),
            _ => Command::Eprt(local),
        };
        self.send(command.clone());
        self.step = Step::SentPort { command };
    }

    fn send_transfer_command(&mut self) {
        let Some(command) = self.current_operation().map(Operation::command) else {
            return;
        };
        self.send(command.clone());
        self.step = Step::SentTransfer { command };
    }

    fn connect_passive(&mut self, target: SocketAddr) {
        let Some((local, _)) = self.control else {
            return;
        };
        let id = self.new_data_id();
        self.data = Some(DataChannel {
            id,
            listening: None,
            connected: false,
            peer_closed: false,
            received: Vec::new(),
            sent: false,
        });
        self.emit(Output::Connect { id, from: SocketAddr::new(local.ip(), 0), to: target });
        if let Some(limit) = self.settings.data_connect_timeout {
            self.emit(Output::SetTimer { timer: TimerKind::DataConnect, at: self.now + limit });
        }
        self.step = Step::ConnectingData { target };
    }

    fn on_reply(&mut self, reply: Reply) {
        self.emit(Output::Trace(FtpTrace::ReplyReceived(reply.clone())));
        self.last_reply = Some(reply.clone());
        if !reply.is_preliminary() {
            self.emit(Output::CancelTimer { timer: TimerKind::Reply });
        }
        match std::mem::replace(&mut self.step, Step::Done) {
            Step::AwaitingGreeting if reply.code == code::READY && self.settings.tls => {
                self.send(Command::Auth("TLS".to_owned()));
                self.step = Step::SentAuth;
            }
            Step::AwaitingGreeting if reply.code == code::READY => self.send_user(),
            Step::SentAuth if reply.code == code::AUTH_OK => {
                // The handshake's records are not FTP lines: they go out as they are.
                self.emit(Output::SendControl(super::tls_hello(true)));
                self.step = Step::TlsHandshake;
            }
            Step::SentUser | Step::SentPass if reply.code == code::LOGGED_IN && self.settings.tls => {
                self.send(Command::Pbsz("0".to_owned()));
                self.step = Step::SentPbsz;
            }
            Step::SentPbsz if reply.is_completion() => {
                self.send(Command::Prot("P".to_owned()));
                self.step = Step::SentProt;
            }
            Step::SentProt if reply.is_completion() => self.next(),
            Step::SentUser if reply.code == code::NEED_PASSWORD => {
                let password = self.settings.password.clone();
                self.send(Command::Pass(password));
                self.step = Step::SentPass;
            }
            Step::SentUser | Step::SentPass if reply.code == code::LOGGED_IN => self.next(),
            Step::SentType if reply.is_completion() => {
                self.transfer_type = self.current_operation().map(Operation::transfer_type);
                self.set_up_data();
            }
            Step::SentPort { .. } if reply.is_completion() => self.send_transfer_command(),
            Step::SentPort { command: Command::Eprt(SocketAddr::V4(local)) } => {
                self.note(Note::EprtRefused { code: reply.code });
                self.eprt_refused = true;
                let command = Command::Port(local);
                self.send(command.clone());
                self.step = Step::SentPort { command };
            }
            Step::SentPassive { command: Command::Pasv } if reply.code == code::PASSIVE => {
                match parse_passive_reply(&reply) {
                    Ok(announced) => {
                        let target = self.passive_target(SocketAddr::V4(announced));
                        self.connect_passive(target);
                    }
                    Err(error) => self.unreadable(reply, &error),
                }
            }
            Step::SentPassive { command: Command::Epsv(_) } if reply.code == code::EXTENDED_PASSIVE => {
                match (parse_extended_passive_reply(&reply), self.control) {
                    (Ok(port), Some((_, peer))) => self.connect_passive(SocketAddr::new(peer.ip(), port)),
                    (Err(error), _) => self.unreadable(reply, &error),
                    (Ok(_), None) => {}
                }
            }
            Step::SentPassive { command: Command::Epsv(_) }
                if self.settings.mode == DataMode::Auto && !self.control_is_ipv6() =>
            {
                self.note(Note::EpsvRefused { code: reply.code });
                self.epsv_refused = true;
                self.send(Command::Pasv);
                self.step = Step::SentPassive { command: Command::Pasv };
            }
            Step::SentTransfer { command } if reply.is_preliminary() => {
                let connected = self.data.as_ref().is_some_and(|data| data.connected);
                if !connected && self.settings.mode.is_active() {
                    self.emit(Output::SetTimer {
                        timer: TimerKind::DataAccept,
                        at: self.now + self.settings.accept_timeout,
                    });
                }
                self.emit(Output::SetTimer { timer: TimerKind::Reply, at: self.now + self.settings.reply_timeout });
                self.step = Step::Transferring { command, completed: false };
                self.send_upload_if_ready();
            }
            Step::SentTransfer { command } | Step::Transferring { command, .. } if reply.is_completion() => {
                self.step = Step::Transferring { command, completed: true };
                self.finish_operation_if_done();
            }
            Step::SentQuit => {
                self.emit(Output::CloseControl);
                self.control = None;
                self.outcome = Some(Outcome::Completed);
            }
            Step::Transferring { completed: false, command } | Step::SentTransfer { command } if reply.is_failure() => {
                self.fail(ClientFailure::Refused { command: command.to_string(), reply })
            }
            Step::SentUser
            | Step::SentPass
            | Step::SentAuth
            | Step::SentPbsz
            | Step::SentProt
            | Step::SentType
            | Step::SentPort { .. }
            | Step::SentPassive { .. }
            | Step::AwaitingGreeting => self.fail(ClientFailure::Refused { command: self.last_command_text(), reply }),
            step @ (Step::Transferring { .. } | Step::SentTransfer { .. }) => {
                // Preliminary replies after the first (e.g. a second 150) change nothing.
                self.step = step;
            }
            step @ (Step::Connecting
            | Step::TlsHandshake
            | Step::OpeningListener
            | Step::ConnectingData { .. }
            | Step::Done) => {
                self.note(Note::UnexpectedReply { code: reply.code, state: step.name() });
                self.step = step;
            }
        }
    }

    /// The command a failure reply answered, for messages.
    fn last_command_text(&self) -> String {
        self.last_command.as_ref().map_or_else(|| "the connection".to_owned(), ToString::to_string)
    }

    fn unreadable(&mut self, reply: Reply, error: &AddressError) {
        self.fail(ClientFailure::UnreadableReply { reply, problem: error.to_string() });
    }

    /// Chooses where to connect after a 227: the announced address, or the control address.
    fn passive_target(&mut self, announced: SocketAddr) -> SocketAddr {
        let Some((_, peer)) = self.control else {
            return announced;
        };
        if announced.ip() == peer.ip() {
            return announced;
        }
        if self.settings.trust_pasv_address {
            self.note(Note::TrustingPassiveAddress { announced: announced.ip(), control: peer.ip() });
            announced
        } else {
            self.note(Note::IgnoringPassiveAddress { announced: announced.ip(), control: peer.ip() });
            SocketAddr::new(peer.ip(), announced.port())
        }
    }

    fn send_upload_if_ready(&mut self) {
        let ready = matches!(self.step, Step::Transferring { .. });
        let Some(Operation::Stor { contents, .. }) = self.current_operation().cloned() else {
            return;
        };
        let Some(data) = self.data.as_mut().filter(|data| ready && data.connected && !data.sent) else {
            return;
        };
        data.sent = true;
        let id = data.id;
        if !contents.is_empty() {
            self.emit(Output::SendData { id, bytes: contents });
        }
        self.emit(Output::CloseData { id });
    }

    fn finish_operation_if_done(&mut self) {
        let Step::Transferring { completed: true, .. } = self.step else {
            return;
        };
        let Some(operation) = self.current_operation().cloned() else {
            return;
        };
        let data_done = match (&operation, &self.data) {
            (Operation::Stor { .. }, Some(data)) => data.sent,
            (_, Some(data)) => data.peer_closed,
            (_, None) => true,
        };
        if !data_done {
            return;
        }
        let bytes = match (operation.clone(), self.data.take()) {
            (Operation::Stor { contents, .. }, _) => contents,
            (_, Some(data)) => data.received,
            (_, None) => Vec::new(),
        };
        self.results.push(Arc::new(TransferResult { operation: operation.describe(), bytes }));
        self.emit(Output::CancelTimer { timer: TimerKind::DataAccept });
        self.next_operation += 1;
        self.next();
    }

    fn on_data_event(&mut self, id: DataId, event: DataEvent) {
        if self.data.as_ref().map(|data| data.id) != Some(id) {
            return;
        }
        match event {
            DataEvent::Listening { local } => {
                if let Some(data) = self.data.as_mut() {
                    data.listening = Some(local);
                }
                if self.step == Step::OpeningListener {
                    self.announce_listener(local);
                }
            }
            DataEvent::ListenFailed => {
                self.note(Note::ListenFailed);
                self.fail(ClientFailure::DataConnect {
                    target: SocketAddr::from(([0, 0, 0, 0], 0)),
                    error: ConnectError::Refused,
                });
            }
            DataEvent::Connected { .. } => {
                if let Some(data) = self.data.as_mut() {
                    data.connected = true;
                }
                self.emit(Output::CancelTimer { timer: TimerKind::DataConnect });
                self.emit(Output::CancelTimer { timer: TimerKind::DataAccept });
                if matches!(self.step, Step::ConnectingData { .. }) {
                    self.send_transfer_command();
                }
                self.send_upload_if_ready();
            }
            DataEvent::ConnectFailed(error) => {
                let target = match self.step {
                    Step::ConnectingData { target } => target,
                    _ => SocketAddr::from(([0, 0, 0, 0], 0)),
                };
                self.fail(ClientFailure::DataConnect { target, error });
            }
            DataEvent::Bytes(bytes) => {
                if let Some(data) = self.data.as_mut() {
                    data.received.extend_from_slice(&bytes);
                }
            }
            DataEvent::Closed => {
                if let Some(data) = self.data.as_mut() {
                    data.peer_closed = true;
                }
                if !matches!(self.current_operation(), Some(Operation::Stor { .. })) {
                    self.emit(Output::CloseData { id });
                }
                self.finish_operation_if_done();
            }
            DataEvent::Reset => self.fail(ClientFailure::DataReset),
        }
    }

    fn on_timer(&mut self, timer: TimerKind) {
        if self.outcome.is_some() {
            return;
        }
        match (timer, &self.step) {
            (TimerKind::DataConnect, Step::ConnectingData { target }) => {
                let target = *target;
                let after = self.settings.data_connect_timeout.unwrap_or_default();
                self.fail(ClientFailure::DataConnectTimeout { target, after });
            }
            (TimerKind::DataAccept, Step::Transferring { .. })
                if !self.data.as_ref().is_some_and(|data| data.connected) =>
            {
                let after = self.settings.accept_timeout;
                self.fail(ClientFailure::AcceptTimeout { after });
            }
            (TimerKind::Reply, step) => {
                let command = match step {
                    Step::SentPort { command } | Step::SentPassive { command } | Step::SentTransfer { command } => {
                        command.to_string()
                    }
                    other => other.name(),
                };
                let after = self.settings.reply_timeout;
                self.fail(ClientFailure::ReplyTimeout { command, after });
            }
            _ => {}
        }
    }
}

impl Engine for FtpClient {
    fn handle(&mut self, now: Instant, input: Input) {
        self.now = now;
        let before = self.state_name();
        match input {
            Input::ControlOpened { local, peer } if self.step == Step::Connecting => {
                self.control = Some((local, peer));
                self.step = Step::AwaitingGreeting;
                self.emit(Output::SetTimer { timer: TimerKind::Reply, at: now + self.settings.reply_timeout });
            }
            Input::ControlFailed(error) if self.step == Step::Connecting => {
                self.fail(ClientFailure::ControlConnect { error });
            }
            Input::ControlBytes(_) if self.step == Step::TlsHandshake => {
                // The server's side of the handshake: from here on, everything is encrypted.
                self.emit(Output::SecureControl);
                self.note(Note::TlsEstablished);
                self.send_user();
            }
            Input::ControlBytes(bytes) => {
                self.decoder.push(&bytes);
                while self.outcome.is_none() {
                    match self.decoder.next_reply() {
                        None => break,
                        Some(Ok(reply)) => self.on_reply(reply),
                        Some(Err(error)) => self.emit(Output::Trace(FtpTrace::ReplyUnreadable(error.to_string()))),
                    }
                }
            }
            Input::ControlClosed => {
                self.control = None;
                if self.outcome.is_none() {
                    if self.step == Step::SentQuit {
                        self.outcome = Some(Outcome::Completed);
                        self.step = Step::Done;
                    } else {
                        self.fail(ClientFailure::ControlClosed);
                    }
                }
            }
            Input::Data { id, event } => {
                if self.outcome.is_none() {
                    self.on_data_event(id, event);
                }
            }
            Input::Timer(timer) => self.on_timer(timer),
            Input::ControlOpened { .. } | Input::ControlFailed(_) => {}
        }
        if self.outcome.is_some() {
            self.step = Step::Done;
        }
        let after = self.state_name();
        if after != before {
            self.emit(Output::Trace(FtpTrace::State { from: before, to: after }));
        }
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCAL: &str = "192.168.1.2:40000";
    const SERVER: &str = "198.51.100.10:21";

    fn addr(text: &str) -> SocketAddr {
        text.parse().expect("test address")
    }

    fn drain(client: &mut FtpClient) -> Vec<Output> {
        std::iter::from_fn(|| client.poll_output()).collect()
    }

    fn sent(outputs: &[Output]) -> Vec<String> {
        outputs
            .iter()
            .filter_map(|output| match output {
                Output::Trace(FtpTrace::CommandSent(command)) => Some(command.to_string()),
                _ => None,
            })
            .collect()
    }

    fn reply(client: &mut FtpClient, line: &str) -> Vec<Output> {
        client.handle(Instant::ZERO, Input::ControlBytes(format!("{line}\r\n").into_bytes()));
        drain(client)
    }

    fn connected(settings: ClientSettings) -> FtpClient {
        let mut client = FtpClient::new(ClientSettings { server: addr(SERVER), ..settings });
        assert_eq!(drain(&mut client), [Output::ConnectControl { to: addr(SERVER) }]);
        client.handle(Instant::ZERO, Input::ControlOpened { local: addr(LOCAL), peer: addr(SERVER) });
        drain(&mut client);
        client
    }

    /// A client logged in, with TYPE answered, waiting at its first data set-up.
    fn at_data_setup(mode: DataMode) -> (FtpClient, Vec<Output>) {
        let mut client = connected(ClientSettings { mode, ..ClientSettings::default() });
        reply(&mut client, "220 (vsFTPd 3.0.3)");
        reply(&mut client, "331 Please specify the password.");
        reply(&mut client, "230 Login successful.");
        let outputs = reply(&mut client, "200 Switching to ASCII mode.");
        (client, outputs)
    }

    fn failure(client: &FtpClient) -> &ClientFailure {
        match client.outcome() {
            Some(Outcome::Failed { failure }) => failure,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn logs_in_step_by_step() {
        let mut client = connected(ClientSettings::default());
        assert_eq!(client.state_name(), "AWAITING-GREETING");
        assert_eq!(sent(&reply(&mut client, "220 (vsFTPd 3.0.3)")), ["USER anonymous"]);
        assert_eq!(client.state_name(), "AWAITING-USER-REPLY");
        assert_eq!(sent(&reply(&mut client, "331 Please specify the password.")), ["PASS student@example.com"]);
        assert_eq!(client.state_name(), "AWAITING-PASS-REPLY");
        assert_eq!(sent(&reply(&mut client, "230 Login successful.")), ["TYPE A"]);
        assert_eq!(client.state_name(), "AWAITING-TYPE-REPLY");
    }

    #[test]
    fn a_user_that_needs_no_password_skips_pass() {
        let mut client = connected(ClientSettings::default());
        reply(&mut client, "220 hi");
        assert_eq!(sent(&reply(&mut client, "230 Welcome, no password needed.")), ["TYPE A"]);
    }

    #[test]
    fn a_multiline_greeting_is_one_reply() {
        let mut client = connected(ClientSettings::default());
        let outputs = reply(&mut client, "220-Welcome\r\n to the lesson\r\n220 Go ahead");
        assert_eq!(sent(&outputs), ["USER anonymous"]);
    }

    #[test]
    fn refused_login_fails_and_closes_the_control_connection() {
        let mut client = connected(ClientSettings::default());
        reply(&mut client, "220 hi");
        let outputs = reply(&mut client, "530 This FTP server is anonymous only.");
        assert!(outputs.contains(&Output::CloseControl));
        assert_eq!(client.state_name(), "FAILED");
        assert!(
            matches!(failure(&client), ClientFailure::Refused { command, reply } if command == "USER anonymous" && reply.code == 530)
        );
    }

    #[test]
    fn active_mode_listens_on_its_own_address_and_announces_it() {
        let (mut client, outputs) = at_data_setup(DataMode::Port);
        let Some(Output::Listen { id, on }) = outputs.iter().find(|o| matches!(o, Output::Listen { .. })).cloned()
        else {
            panic!("no Listen in {outputs:?}");
        };
        assert_eq!(on, addr("192.168.1.2:0"));
        assert_eq!(client.state_name(), "OPENING-LISTENER");
        client
            .handle(Instant::ZERO, Input::Data { id, event: DataEvent::Listening { local: addr("192.168.1.2:5200") } });
        assert_eq!(sent(&drain(&mut client)), ["PORT 192,168,1,2,20,80"]);
        assert_eq!(client.state_name(), "AWAITING-PORT-REPLY");
        assert_eq!(sent(&reply(&mut client, "200 PORT command successful. Consider using PASV.")), ["LIST"]);
        assert_eq!(client.state_name(), "AWAITING-TRANSFER-START");
    }

    #[test]
    fn active_mode_waits_for_425_and_fails_with_it() {
        let (mut client, outputs) = at_data_setup(DataMode::Port);
        let Some(Output::Listen { id, .. }) = outputs.into_iter().find(|o| matches!(o, Output::Listen { .. })) else {
            panic!("no Listen");
        };
        client
            .handle(Instant::ZERO, Input::Data { id, event: DataEvent::Listening { local: addr("192.168.1.2:5200") } });
        reply(&mut client, "200 PORT command successful. Consider using PASV.");
        let outputs = reply(&mut client, "425 Failed to establish connection.");
        assert!(outputs.contains(&Output::CloseData { id }), "the listener is closed");
        assert!(
            matches!(failure(&client), ClientFailure::Refused { command, reply } if command == "LIST" && reply.code == 425)
        );
        assert_eq!(client.last_reply().map(|reply| reply.code), Some(425));
    }

    #[test]
    fn active_accept_timeout_starts_at_150() {
        let (mut client, outputs) = at_data_setup(DataMode::Port);
        let Some(Output::Listen { id, .. }) = outputs.into_iter().find(|o| matches!(o, Output::Listen { .. })) else {
            panic!("no Listen");
        };
        client
            .handle(Instant::ZERO, Input::Data { id, event: DataEvent::Listening { local: addr("192.168.1.2:5200") } });
        let after_port = reply(&mut client, "200 PORT command successful.");
        assert!(!after_port.iter().any(|o| matches!(o, Output::SetTimer { timer: TimerKind::DataAccept, .. })));
        let after_150 = reply(&mut client, "150 Here comes the directory listing.");
        assert!(after_150.iter().any(|o| matches!(o, Output::SetTimer { timer: TimerKind::DataAccept, .. })));
        client.handle(Instant::from_micros(60_000_000), Input::Timer(TimerKind::DataAccept));
        assert!(matches!(failure(&client), ClientFailure::AcceptTimeout { .. }));
    }

    #[test]
    fn eprt_refused_falls_back_to_port_like_curl() {
        let (mut client, outputs) = at_data_setup(DataMode::Eprt);
        let Some(Output::Listen { id, .. }) = outputs.into_iter().find(|o| matches!(o, Output::Listen { .. })) else {
            panic!("no Listen");
        };
        client
            .handle(Instant::ZERO, Input::Data { id, event: DataEvent::Listening { local: addr("192.168.1.2:5200") } });
        assert_eq!(sent(&drain(&mut client)), ["EPRT |1|192.168.1.2|5200|"]);
        assert_eq!(sent(&reply(&mut client, "500 Illegal EPRT command.")), ["PORT 192,168,1,2,20,80"]);
        reply(&mut client, "500 Illegal PORT command.");
        assert!(
            matches!(failure(&client), ClientFailure::Refused { command, reply } if command == "PORT 192,168,1,2,20,80" && reply.code == 500)
        );
    }

    #[test]
    fn pasv_connects_to_the_control_address_by_default() {
        let (mut client, outputs) = at_data_setup(DataMode::Pasv);
        assert_eq!(sent(&outputs), ["PASV"]);
        let outputs = reply(&mut client, "227 Entering Passive Mode (10,0,0,10,195,80).");
        let connect = outputs.iter().find_map(|o| match o {
            Output::Connect { to, .. } => Some(*to),
            _ => None,
        });
        assert_eq!(connect, Some(addr("198.51.100.10:50000")));
        assert!(
            outputs
                .iter()
                .any(|o| matches!(o, Output::Trace(FtpTrace::Note(Note::IgnoringPassiveAddress { announced, .. })) if announced.to_string() == "10.0.0.10"))
        );
        assert_eq!(client.state_name(), "CONNECTING-DATA");
    }

    #[test]
    fn a_classic_client_trusts_the_227_address() {
        let mut client =
            connected(ClientSettings { mode: DataMode::Pasv, trust_pasv_address: true, ..ClientSettings::default() });
        for line in ["220 hi", "331 pw", "230 ok", "200 ascii"] {
            reply(&mut client, line);
        }
        let outputs = reply(&mut client, "227 Entering Passive Mode (10,0,0,10,195,80).");
        assert!(outputs.iter().any(|o| matches!(o, Output::Connect { to, .. } if *to == addr("10.0.0.10:50000"))));
    }

    #[test]
    fn passive_sends_the_transfer_command_only_once_connected() {
        let (mut client, _) = at_data_setup(DataMode::Epsv);
        let outputs = reply(&mut client, "229 Entering Extended Passive Mode (|||50000|)");
        let Some(Output::Connect { id, to, .. }) =
            outputs.iter().find(|o| matches!(o, Output::Connect { .. })).cloned()
        else {
            panic!("no Connect");
        };
        assert_eq!(to, addr("198.51.100.10:50000"));
        assert!(sent(&outputs).is_empty());
        client.handle(
            Instant::ZERO,
            Input::Data { id, event: DataEvent::Connected { local: addr("192.168.1.2:40001"), peer: to } },
        );
        assert_eq!(sent(&drain(&mut client)), ["LIST"]);
        reply(&mut client, "150 Here comes the directory listing.");
        assert_eq!(client.state_name(), "TRANSFERRING");
        client.handle(Instant::ZERO, Input::Data { id, event: DataEvent::Bytes(b"a\r\n".to_vec()) });
        client.handle(Instant::ZERO, Input::Data { id, event: DataEvent::Closed });
        assert_eq!(sent(&reply(&mut client, "226 Directory send OK.")), ["QUIT"]);
        assert_eq!(client.results()[0].bytes, b"a\r\n");
        let outputs = reply(&mut client, "221 Goodbye.");
        assert!(outputs.contains(&Output::CloseControl));
        assert_eq!(client.outcome(), Some(&Outcome::Completed));
        assert_eq!(client.state_name(), "DONE");
    }

    #[test]
    fn auto_mode_falls_back_to_pasv_on_any_non_229() {
        for refusal in ["500 Unknown command.", "502 Command not implemented."] {
            let (mut client, outputs) = at_data_setup(DataMode::Auto);
            assert_eq!(sent(&outputs), ["EPSV"]);
            assert_eq!(sent(&reply(&mut client, refusal)), ["PASV"]);
            assert_eq!(client.state_name(), "AWAITING-PASV-REPLY");
        }
    }

    #[test]
    fn passive_connect_failures_are_reported_with_the_target() {
        for error in [ConnectError::TimedOut, ConnectError::Refused, ConnectError::Unreachable] {
            let (mut client, _) = at_data_setup(DataMode::Pasv);
            let outputs = reply(&mut client, "227 Entering Passive Mode (198,51,100,10,195,80).");
            let Some(Output::Connect { id, .. }) = outputs.into_iter().find(|o| matches!(o, Output::Connect { .. }))
            else {
                panic!("no Connect");
            };
            client.handle(Instant::ZERO, Input::Data { id, event: DataEvent::ConnectFailed(error) });
            assert_eq!(failure(&client), &ClientFailure::DataConnect { target: addr("198.51.100.10:50000"), error },);
        }
    }

    #[test]
    fn own_connect_timeout_and_reply_timeout() {
        let settings = ClientSettings {
            mode: DataMode::Pasv,
            data_connect_timeout: Some(Duration::from_secs(5)),
            ..ClientSettings::default()
        };
        let mut client = connected(settings);
        for line in ["220 hi", "331 pw", "230 ok", "200 ascii"] {
            reply(&mut client, line);
        }
        let outputs = reply(&mut client, "227 Entering Passive Mode (198,51,100,10,195,80).");
        assert!(outputs.iter().any(|o| matches!(o, Output::SetTimer { timer: TimerKind::DataConnect, .. })));
        client.handle(Instant::from_micros(5_000_000), Input::Timer(TimerKind::DataConnect));
        assert!(matches!(failure(&client), ClientFailure::DataConnectTimeout { .. }));

        let mut silent = connected(ClientSettings::default());
        silent.handle(Instant::from_micros(120_000_000), Input::Timer(TimerKind::Reply));
        assert!(matches!(failure(&silent), ClientFailure::ReplyTimeout { .. }));
    }

    #[test]
    fn an_unreadable_227_is_a_clear_failure() {
        let (mut client, _) = at_data_setup(DataMode::Pasv);
        reply(&mut client, "227 Entering Passive Mode (somewhere).");
        assert!(
            matches!(failure(&client), ClientFailure::UnreadableReply { problem, .. } if problem.contains("six numbers"))
        );
    }

    #[test]
    fn control_failures() {
        let mut client = FtpClient::new(ClientSettings::default());
        drain(&mut client);
        client.handle(Instant::ZERO, Input::ControlFailed(ConnectError::Refused));
        assert_eq!(failure(&client), &ClientFailure::ControlConnect { error: ConnectError::Refused });

        let mut dropped = connected(ClientSettings::default());
        dropped.handle(Instant::ZERO, Input::ControlClosed);
        assert_eq!(failure(&dropped), &ClientFailure::ControlClosed);
    }

    #[test]
    fn ipv6_uses_eprt_and_epsv() {
        let mut client = FtpClient::new(ClientSettings {
            server: addr("[2001:db8:2::10]:21"),
            mode: DataMode::Port,
            ..ClientSettings::default()
        });
        drain(&mut client);
        client.handle(
            Instant::ZERO,
            Input::ControlOpened { local: addr("[2001:db8:1::2]:40000"), peer: addr("[2001:db8:2::10]:21") },
        );
        for line in ["220 hi", "331 pw", "230 ok"] {
            reply(&mut client, line);
        }
        let outputs = reply(&mut client, "200 ascii");
        let Some(Output::Listen { id, .. }) = outputs.into_iter().find(|o| matches!(o, Output::Listen { .. })) else {
            panic!("no Listen");
        };
        client.handle(
            Instant::ZERO,
            Input::Data { id, event: DataEvent::Listening { local: addr("[2001:db8:1::2]:5200") } },
        );
        let outputs = drain(&mut client);
        assert_eq!(sent(&outputs), ["EPRT |2|2001:db8:1::2|5200|"]);
        assert!(outputs.iter().any(|o| matches!(o, Output::Trace(FtpTrace::Note(Note::PortNeedsIpv4)))));
    }

    #[test]
    fn stor_sends_after_150_and_connection() {
        let settings = ClientSettings {
            mode: DataMode::Epsv,
            operations: vec![Operation::Stor { path: "upload/a.txt".into(), contents: b"abc".to_vec() }],
            ..ClientSettings::default()
        };
        let mut client = connected(settings);
        for line in ["220 hi", "331 pw", "230 ok"] {
            reply(&mut client, line);
        }
        assert_eq!(sent(&reply(&mut client, "200 Switching to Binary mode.")), ["EPSV"]);
        let outputs = reply(&mut client, "229 Entering Extended Passive Mode (|||50000|)");
        let Some(Output::Connect { id, to, .. }) = outputs.into_iter().find(|o| matches!(o, Output::Connect { .. }))
        else {
            panic!("no Connect");
        };
        client.handle(Instant::ZERO, Input::Data { id, event: DataEvent::Connected { local: addr(LOCAL), peer: to } });
        assert_eq!(sent(&drain(&mut client)), ["STOR upload/a.txt"]);
        let outputs = reply(&mut client, "150 Ok to send data.");
        assert!(outputs.contains(&Output::SendData { id, bytes: b"abc".to_vec() }));
        assert!(outputs.contains(&Output::CloseData { id }));
        assert_eq!(sent(&reply(&mut client, "226 Transfer complete.")), ["QUIT"]);
    }

    #[test]
    fn mode_names() {
        assert_eq!(DataMode::ALL.map(DataMode::as_str), ["port", "eprt", "pasv", "epsv", "auto"]);
        assert!(DataMode::Eprt.is_active() && !DataMode::Epsv.is_active());
        assert_eq!(DataMode::Auto.to_string(), "auto");
    }
}
