//! An FTP client session, sans-IO, that behaves like curl 7.88 or like Python 3.11's ftplib
//! ([`ClientProfile`]).
//!
//! The client logs in, carries out a list of [`Operation`]s (`LIST`, `NLST`, `RETR`, `STOR`),
//! each over a fresh data connection set up in the chosen [`DataMode`], then says `QUIT`. The
//! two profiles differ in the ways a capture shows (measured in FIDELITY.md):
//!
//! | | curl 7.88 (`--ftp-method multicwd`) | ftplib (`retrlines`, `retrbinary`, `storbinary`) |
//! |---|---|---|
//! | anonymous password | `ftp@example.com` | `anonymous@` |
//! | after logging in | `PWD`, then `CWD` into the file's directory | nothing |
//! | each transfer | data set-up, then `TYPE` if it changed, `SIZE` before `RETR`, then the command with the file name | `TYPE` every time, then data set-up, then the command with the path as given |
//! | passive | connects, and only then sends `TYPE`… | connects, then sends the command |
//! | `EPSV` refused (any reply but 229) | falls back to `PASV` | — (uses `PASV` on IPv4) |
//! | `EPSV` data connection fails | disables `EPSV` and tries `PASV` on the same session | — |
//! | `EPRT` refused | opens a new listening port and sends `PORT` | — (uses `PORT` on IPv4) |
//! | its connect timeout | one budget from the start of the session (`--connect-timeout`) | per connect (`timeout=`) |
//! | reply and accept timeouts | 120 s for a reply, 60 s for the server to connect after `150` | its `timeout`, or none |
//! | after a failure | `QUIT` after an error reply (not after 421, a failed connect or a timeout) | `QUIT` always, as a `with` block does |
//! | a `421` | gives up at once ("We got a 421 - timeout") | an error like any 4xx |
//!
//! Both reuse the control connection's address instead of the one inside a 227 reply (curl
//! since 7.74, ftplib since 2021: a hostile server could otherwise point clients at hosts inside
//! their network); [`ClientSettings::trust_pasv_address`] restores the classic behaviour. Both
//! use `EPRT`/`EPSV` on IPv6, where `PORT` and `PASV` cannot carry the address. Like the real
//! clients, the engine reads a reply only when it waits for one: a reply that arrives while it
//! connects a data connection waits in the buffer, and is read as the answer to the next
//! command.
//!
//! Left out on purpose: `REST`, `MDTM`, `EPSV ALL`, curl's `nocwd`/`singlecwd` methods, and
//! ftplib's `NLST`-based helpers.

use std::collections::VecDeque;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::codec::{
    AddressError, Command, EpsvArg, Reply, ReplyDecoder, TransferType, parse_extended_passive_reply,
    parse_passive_reply, reply_code as code,
};
use super::shared_list::SharedList;
use super::{ConnectError, DataEvent, DataId, Engine, FtpTrace, Input, Note, Output, TimerKind};
use crate::time::{Duration, Instant};

/// Which real client this session behaves like.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientProfile {
    /// curl 7.88 (`curl ftp://…`), the default.
    #[default]
    Curl,
    /// Python 3.11's `ftplib`, used in a `with FTP() as ftp:` block.
    Ftplib,
}

impl ClientProfile {
    pub const ALL: [ClientProfile; 2] = [ClientProfile::Curl, ClientProfile::Ftplib];

    /// `curl` or `ftplib`, as on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientProfile::Curl => "curl",
            ClientProfile::Ftplib => "ftplib",
        }
    }

    /// The password it sends for an anonymous login.
    pub fn anonymous_password(self) -> &'static str {
        match self {
            ClientProfile::Curl => "ftp@example.com",
            ClientProfile::Ftplib => "anonymous@",
        }
    }

    /// Whether it can set up data connections in `mode` on IPv4 (ftplib has no `EPRT` or
    /// `EPSV` there; on IPv6 it uses nothing else).
    pub fn has_mode_on_ipv4(self, mode: DataMode) -> bool {
        match self {
            ClientProfile::Curl => true,
            ClientProfile::Ftplib => !matches!(mode, DataMode::Eprt | DataMode::Epsv),
        }
    }
}

impl fmt::Display for ClientProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the client sets up data connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataMode {
    /// Active: `PORT h1,h2,h3,h4,p1,p2`; the server connects to the client (curl
    /// `--ftp-port - --disable-eprt`, ftplib `set_pasv(False)`).
    Port,
    /// Extended active: `EPRT |1|addr|port|`, falling back to `PORT` if refused (curl `-P -`).
    Eprt,
    /// Passive: `PASV`; the client connects to the port in the 227 reply (curl
    /// `--disable-epsv`, ftplib's default).
    Pasv,
    /// Extended passive: `EPSV`; the client connects to the port in the 229 reply. curl falls
    /// back to `PASV` when `EPSV` is refused or its data connection fails.
    Epsv,
    /// The client's default: curl's `EPSV` then `PASV`; ftplib's `PASV`.
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

/// One thing the client does over a data connection. Paths are relative to the login
/// directory, as in a URL (`pub/lesson-notes.txt`).
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

    /// The command with the path as given (ftplib).
    fn command(&self) -> Command {
        match self {
            Operation::List { path } => Command::List(path.clone()),
            Operation::Nlst { path } => Command::Nlst(path.clone()),
            Operation::Retr { path } => Command::Retr(path.clone()),
            Operation::Stor { path, .. } => Command::Stor(path.clone()),
        }
    }

    /// The directories curl changes into (`pub/lesson-notes.txt` → `pub`; a listing's path is
    /// a directory), and the command it then sends with the bare file name.
    fn curl_steps(&self) -> (Vec<String>, Command) {
        let split = |path: &str| -> (Vec<String>, String) {
            let mut parts: Vec<String> = path.split('/').filter(|part| !part.is_empty()).map(str::to_owned).collect();
            let file = parts.pop().unwrap_or_default();
            (parts, file)
        };
        let dirs = |path: &Option<String>| -> Vec<String> {
            path.as_deref().unwrap_or("").split('/').filter(|part| !part.is_empty()).map(str::to_owned).collect()
        };
        match self {
            Operation::List { path } => (dirs(path), Command::List(None)),
            Operation::Nlst { path } => (dirs(path), Command::Nlst(None)),
            Operation::Retr { path } => {
                let (dirs, file) = split(path);
                (dirs, Command::Retr(file))
            }
            Operation::Stor { path, .. } => {
                let (dirs, file) = split(path);
                (dirs, Command::Stor(file))
            }
        }
    }

    /// A short description such as `RETR pub/readme.txt`.
    pub fn describe(&self) -> String {
        self.command().to_string()
    }
}

/// Client settings. [`ClientSettings::default`] is curl with its defaults;
/// [`ClientSettings::ftplib`] is ftplib.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientSettings {
    /// Where the control connection goes.
    pub server: SocketAddr,
    pub profile: ClientProfile,
    pub user: String,
    pub password: String,
    pub mode: DataMode,
    pub operations: Vec<Operation>,
    /// Connect to the address inside a 227 reply (the classic behaviour; curl
    /// `--no-ftp-skip-pasv-ip`, ftplib `trust_server_pasv_ipv4_address = True`) instead of the
    /// control connection's address.
    pub trust_pasv_address: bool,
    /// The client's own connect timeout. curl counts one budget from the start of the session
    /// (`--connect-timeout`); ftplib gives each connect this long (`timeout=`). `None` waits
    /// until TCP itself gives up (about 134 s on Linux 6), which is what both do by default.
    pub connect_timeout: Option<Duration>,
    /// Active mode: how long to wait for the server's connection after its 150 (curl: 60 s).
    pub accept_timeout: Option<Duration>,
    /// How long to wait for any reply (curl: 120 s; ftplib: its `timeout`, or forever).
    pub reply_timeout: Option<Duration>,
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
            profile: ClientProfile::Curl,
            user: "anonymous".to_owned(),
            password: ClientProfile::Curl.anonymous_password().to_owned(),
            mode: DataMode::Auto,
            operations: vec![Operation::List { path: None }],
            trust_pasv_address: false,
            connect_timeout: None,
            accept_timeout: Some(Duration::from_secs(60)),
            reply_timeout: Some(Duration::from_secs(120)),
            announce_address: None,
            tls: false,
        }
    }
}

impl ClientSettings {
    /// Python's ftplib with socket timeout `timeout` (`None`: ftplib's default, no timeout):
    /// the timeout bounds each connect, each reply and the wait for an active connection.
    pub fn ftplib(timeout: Option<Duration>) -> Self {
        ClientSettings {
            profile: ClientProfile::Ftplib,
            password: ClientProfile::Ftplib.anonymous_password().to_owned(),
            connect_timeout: timeout,
            accept_timeout: timeout,
            reply_timeout: timeout,
            ..ClientSettings::default()
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
    /// curl asks where it landed before it changes directory.
    SentPwd,
    /// curl's `CWD` into one directory of the path (`None`: back to where it logged in).
    SentCwd {
        dir: Option<String>,
    },
    SentType,
    /// Active: waiting for our listening socket.
    OpeningListener,
    SentPort {
        command: Command,
    },
    SentPassive {
        command: Command,
    },
    /// Passive: our connect to the server is under way (after `EPSV` when `via_epsv`).
    ConnectingData {
        target: SocketAddr,
        via_epsv: bool,
    },
    /// curl's `SIZE` before `RETR`.
    SentSize,
    /// The transfer command went out; waiting for 150 (and, in active mode, the server).
    SentTransfer {
        command: Command,
    },
    /// 150 came; waiting for the data to finish and 226.
    Transferring {
        command: Command,
        completed: bool,
    },
    /// `QUIT` went out; after a failure the client reads one reply and hangs up.
    SentQuit {
        after_failure: bool,
    },
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
            Step::SentPwd => "AWAITING-PWD-REPLY".to_owned(),
            Step::SentCwd { .. } => "AWAITING-CWD-REPLY".to_owned(),
            Step::SentType => "AWAITING-TYPE-REPLY".to_owned(),
            Step::OpeningListener => "OPENING-LISTENER".to_owned(),
            Step::SentPort { command } | Step::SentPassive { command } => {
                format!("AWAITING-{}-REPLY", command.verb())
            }
            Step::ConnectingData { .. } => "CONNECTING-DATA".to_owned(),
            Step::SentSize => "AWAITING-SIZE-REPLY".to_owned(),
            Step::SentTransfer { .. } => "AWAITING-TRANSFER-START".to_owned(),
            Step::Transferring { .. } => "TRANSFERRING".to_owned(),
            Step::SentQuit { .. } => "QUITTING".to_owned(),
            Step::Done => "DONE".to_owned(),
        }
    }

    /// True while the client reads the control connection. While it connects a data
    /// connection or opens a listener it does not: replies wait in the buffer.
    fn reads_replies(&self) -> bool {
        !matches!(
            self,
            Step::Connecting | Step::TlsHandshake | Step::OpeningListener | Step::ConnectingData { .. } | Step::Done
        )
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

impl DataChannel {
    fn new(id: DataId) -> Self {
        DataChannel { id, listening: None, connected: false, peer_closed: false, received: Vec::new(), sent: false }
    }
}

/// How far the current operation has come before its transfer command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Progress {
    /// ftplib: `TYPE` answered for this operation.
    type_sent: bool,
    /// The data connection is set up: connected (passive) or announced and accepted (active).
    data_ready: bool,
    /// curl: `SIZE` answered (`RETR` only).
    sized: bool,
}

/// One client session. Feed it [`Input`]s, take [`Output`]s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FtpClient {
    /// Shared between clones: the operations list grows with the session, and every snapshot of
    /// a long session would otherwise copy all of it.
    settings: Arc<ClientSettings>,
    decoder: ReplyDecoder,
    outputs: VecDeque<Output>,
    now: Instant,
    /// When the session began: curl's connect timeout counts from here.
    started: Instant,
    control: Option<(SocketAddr, SocketAddr)>,
    step: Step,
    next_operation: usize,
    progress: Progress,
    transfer_type: Option<TransferType>,
    /// curl: the directories it has changed into, from where it logged in.
    cwd: Vec<String>,
    /// curl remembers a refused (or failed) EPSV and a refused EPRT for the rest of the session.
    epsv_refused: bool,
    eprt_refused: bool,
    data: Option<DataChannel>,
    next_data_id: u32,
    last_command: Option<Command>,
    last_reply: Option<Reply>,
    outcome: Option<Outcome>,
    /// Newest first; shared, so that snapshots of a long session do not copy every finished
    /// transfer.
    results: SharedList<TransferResult>,
}

impl FtpClient {
    /// A client that will connect to `settings.server` as soon as its driver polls it.
    pub fn new(settings: ClientSettings) -> Self {
        let mut outputs = VecDeque::new();
        outputs.push_back(Output::ConnectControl { to: settings.server });
        if let Some(limit) = settings.connect_timeout {
            outputs.push_back(Output::SetTimer { timer: TimerKind::DataConnect, at: Instant::ZERO + limit });
        }
        FtpClient {
            settings: Arc::new(settings),
            decoder: ReplyDecoder::default(),
            outputs,
            now: Instant::ZERO,
            started: Instant::ZERO,
            control: None,
            step: Step::Connecting,
            next_operation: 0,
            progress: Progress::default(),
            transfer_type: None,
            cwd: Vec::new(),
            epsv_refused: false,
            eprt_refused: false,
            data: None,
            next_data_id: 1,
            last_command: None,
            last_reply: None,
            outcome: None,
            results: SharedList::default(),
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    /// Changes settings mid-session (a teacher switching the mode); the next data connection
    /// uses them. The server address and the operations already done stay as they were.
    pub fn set_settings(&mut self, settings: ClientSettings) {
        self.settings = Arc::new(ClientSettings { server: self.settings.server, ..settings });
    }

    /// How the session ended, once it has.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// The last reply received before the session ended, if any.
    pub fn last_reply(&self) -> Option<&Reply> {
        self.last_reply.as_ref()
    }

    /// What each finished operation moved, in order. Gathered on each call: the results are kept
    /// newest first, in a list that clones of the client share.
    pub fn results(&self) -> Vec<&TransferResult> {
        let mut results: Vec<&TransferResult> = self.results.iter().collect();
        results.reverse();
        results
    }

    /// How many operations have finished.
    pub fn transfers_done(&self) -> usize {
        self.results.len()
    }

    /// True once the session is over and the control connection closed.
    pub fn is_done(&self) -> bool {
        self.step == Step::Done
    }

    /// The state name the trace shows.
    pub fn state_name(&self) -> String {
        match (&self.step, &self.outcome) {
            (Step::Done, Some(Outcome::Failed { .. })) => "FAILED".to_owned(),
            (step, _) => step.name(),
        }
    }

    fn curl(&self) -> bool {
        self.settings.profile == ClientProfile::Curl
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
        if let Some(limit) = self.settings.reply_timeout {
            self.emit(Output::SetTimer { timer: TimerKind::Reply, at: self.now + limit });
        }
    }

    fn control_is_ipv6(&self) -> bool {
        self.control.is_some_and(|(local, _)| local.is_ipv6())
    }

    fn new_data_id(&mut self) -> DataId {
        let id = DataId(self.next_data_id);
        self.next_data_id += 1;
        id
    }

    fn close_data(&mut self) {
        if let Some(data) = self.data.take() {
            self.emit(Output::CloseData { id: data.id });
        }
        self.emit(Output::CancelTimer { timer: TimerKind::DataConnect });
    }

    /// Whether the client says `QUIT` after this failure: curl only after an error reply it can
    /// go on from (not a refused login, not 421) or an accept timeout (curl's `ftp_done` keeps the
    /// control connection only then); ftplib whenever the control connection is still up, as
    /// its `with` block's exit does.
    fn quits_after(&self, failure: &ClientFailure) -> bool {
        if self.control.is_none() {
            return false;
        }
        match self.settings.profile {
            ClientProfile::Curl => match failure {
                ClientFailure::Refused { command, reply } => {
                    reply.code != code::NOT_AVAILABLE && !command.starts_with("USER") && !command.starts_with("PASS")
                }
                ClientFailure::UnreadableReply { .. } | ClientFailure::AcceptTimeout { .. } => true,
                _ => false,
            },
            ClientProfile::Ftplib => {
                !matches!(failure, ClientFailure::ControlConnect { .. } | ClientFailure::ControlClosed)
            }
        }
    }

    fn fail(&mut self, failure: ClientFailure) {
        self.note(Note::GivingUp { failure: failure.clone() });
        self.close_data();
        for timer in [TimerKind::Reply, TimerKind::DataAccept] {
            self.emit(Output::CancelTimer { timer });
        }
        let quit = self.quits_after(&failure);
        self.outcome = Some(Outcome::Failed { failure });
        if quit {
            self.send(Command::Quit);
            self.step = Step::SentQuit { after_failure: true };
        } else {
            self.hang_up();
        }
    }

    /// Closes the control connection (if open) and ends the session.
    fn hang_up(&mut self) {
        if self.control.take().is_some() {
            self.emit(Output::CloseControl);
        }
        self.emit(Output::CancelTimer { timer: TimerKind::Reply });
        self.step = Step::Done;
    }

    fn send_user(&mut self) {
        let user = self.settings.user.clone();
        self.send(Command::User(user));
        self.step = Step::SentUser;
    }

    /// Logged in (and, over TLS, protected): curl asks where it is; ftplib starts at once.
    fn logged_in(&mut self) {
        if self.curl() {
            self.send(Command::Pwd);
            self.step = Step::SentPwd;
        } else {
            self.advance();
        }
    }

    fn current_operation(&self) -> Option<&Operation> {
        self.settings.operations.get(self.next_operation)
    }

    /// Takes the next step of the current operation, in the profile's order, or says QUIT when
    /// all are done.
    fn advance(&mut self) {
        let Some(operation) = self.current_operation().cloned() else {
            self.send(Command::Quit);
            self.step = Step::SentQuit { after_failure: false };
            return;
        };
        let wanted = operation.transfer_type();
        if !self.curl() {
            // ftplib: TYPE every time, then the data connection, then the command as given.
            if !self.progress.type_sent {
                self.send(Command::Type(wanted));
                self.step = Step::SentType;
            } else if !self.progress.data_ready {
                self.set_up_data();
            } else {
                self.send_transfer_command(operation.command());
            }
            return;
        }
        // curl: into the directory, the data connection, TYPE if it changed, SIZE, the command.
        let (dirs, command) = operation.curl_steps();
        if self.cwd != dirs {
            let dir = if dirs.starts_with(&self.cwd) { Some(dirs[self.cwd.len()].clone()) } else { None };
            self.send(Command::Cwd(dir.clone().unwrap_or_else(|| "/".to_owned())));
            self.step = Step::SentCwd { dir };
        } else if !self.progress.data_ready {
            self.set_up_data();
        } else if self.transfer_type != Some(wanted) {
            self.send(Command::Type(wanted));
            self.step = Step::SentType;
        } else if let (Command::Retr(name), false) = (&command, self.progress.sized) {
            self.send(Command::Size(name.clone()));
            self.step = Step::SentSize;
        } else {
            self.send_transfer_command(command);
        }
    }

    /// The data-connection command this operation starts with, given the profile, the mode and
    /// what the server has refused so far.
    fn set_up_data(&mut self) {
        let ipv6 = self.control_is_ipv6();
        let extended = Command::Epsv(EpsvArg::Any);
        let passive_command = match (self.settings.profile, self.settings.mode) {
            (_, DataMode::Port | DataMode::Eprt) => None,
            (_, _) if ipv6 => Some(extended),
            (ClientProfile::Curl, DataMode::Epsv | DataMode::Auto) if !self.epsv_refused => Some(extended),
            (_, DataMode::Pasv | DataMode::Epsv | DataMode::Auto) => Some(Command::Pasv),
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
        self.data = Some(DataChannel::new(id));
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
            (DataMode::Eprt, SocketAddr::V4(_)) => self.curl() && !self.eprt_refused,
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

    fn send_transfer_command(&mut self, command: Command) {
        self.send(command.clone());
        self.step = Step::SentTransfer { command };
    }

    fn connect_passive(&mut self, target: SocketAddr, via_epsv: bool) {
        let Some((local, _)) = self.control else {
            return;
        };
        let deadline = self.settings.connect_timeout.map(|limit| match self.settings.profile {
            ClientProfile::Curl => self.started + limit,
            ClientProfile::Ftplib => self.now + limit,
        });
        if let (Some(deadline), Some(limit)) = (deadline, self.settings.connect_timeout)
            && deadline <= self.now
        {
            // curl's one budget is spent (an EPSV attempt used it up): it gives up without a SYN.
            return self.fail(ClientFailure::DataConnectTimeout { target, after: limit });
        }
        let id = self.new_data_id();
        self.data = Some(DataChannel::new(id));
        self.emit(Output::Connect { id, from: SocketAddr::new(local.ip(), 0), to: target });
        if let Some(at) = deadline {
            self.emit(Output::SetTimer { timer: TimerKind::DataConnect, at });
        }
        self.step = Step::ConnectingData { target, via_epsv };
    }

    /// A passive data connection failed. curl, after EPSV, disables EPSV and tries PASV on the
    /// same session ("Failed EPSV attempt"); otherwise the session fails.
    fn passive_connect_failed(&mut self, failure: ClientFailure, via_epsv: bool) {
        if self.curl() && via_epsv && !self.control_is_ipv6() {
            self.close_data();
            self.note(Note::EpsvConnectFailed);
            self.epsv_refused = true;
            self.send(Command::Pasv);
            self.step = Step::SentPassive { command: Command::Pasv };
        } else {
            self.fail(failure);
        }
    }

    /// Reads the replies waiting in the buffer, as long as the client is reading.
    fn read_replies(&mut self) {
        while self.step.reads_replies() {
            match self.decoder.next_reply() {
                None => break,
                Some(Ok(reply)) => self.on_reply(reply),
                Some(Err(error)) => self.emit(Output::Trace(FtpTrace::ReplyUnreadable(error.to_string()))),
            }
        }
    }

    fn on_reply(&mut self, reply: Reply) {
        self.emit(Output::Trace(FtpTrace::ReplyReceived(reply.clone())));
        if self.outcome.is_none() {
            // After a failure the reply to QUIT is not the one the session ended on.
            self.last_reply = Some(reply.clone());
        }
        if !reply.is_preliminary() {
            self.emit(Output::CancelTimer { timer: TimerKind::Reply });
        }
        if let Step::SentQuit { after_failure } = self.step {
            if !after_failure {
                self.outcome = Some(Outcome::Completed);
            }
            return self.hang_up();
        }
        if self.curl() && reply.code == code::NOT_AVAILABLE {
            // curl gives up on any 421, whatever it was waiting for ("We got a 421 - timeout").
            return self.fail(ClientFailure::Refused { command: self.last_command_text(), reply });
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
            Step::SentProt if reply.is_completion() => self.logged_in(),
            Step::SentUser if reply.code == code::NEED_PASSWORD => {
                let password = self.settings.password.clone();
                self.send(Command::Pass(password));
                self.step = Step::SentPass;
            }
            Step::SentUser | Step::SentPass if reply.code == code::LOGGED_IN => self.logged_in(),
            // curl reads the entry path and goes on whatever it is.
            Step::SentPwd if reply.is_completion() => self.advance(),
            Step::SentCwd { dir } if reply.is_completion() => {
                match dir {
                    Some(dir) => self.cwd.push(dir),
                    None => self.cwd.clear(),
                }
                self.advance();
            }
            Step::SentType if reply.is_completion() => {
                self.transfer_type = self.current_operation().map(Operation::transfer_type);
                self.progress.type_sent = true;
                self.advance();
            }
            // curl only wants the size for its progress meter: any answer will do.
            Step::SentSize => {
                self.progress.sized = true;
                self.advance();
            }
            Step::SentPort { .. } if reply.is_completion() => {
                self.progress.data_ready = true;
                self.advance();
            }
            Step::SentPort { command: Command::Eprt(SocketAddr::V4(_)) } if self.curl() => {
                // curl: "disabling EPRT usage", and a new listening socket for PORT.
                self.note(Note::EprtRefused { code: reply.code });
                self.eprt_refused = true;
                self.close_data();
                self.set_up_data();
            }
            Step::SentPassive { command: Command::Pasv } if reply.code == code::PASSIVE => {
                match parse_passive_reply(&reply) {
                    Ok(announced) => {
                        let target = self.passive_target(SocketAddr::V4(announced));
                        self.connect_passive(target, false);
                    }
                    Err(error) => self.unreadable(reply, &error),
                }
            }
            Step::SentPassive { command: Command::Epsv(_) } if reply.code == code::EXTENDED_PASSIVE => {
                match (parse_extended_passive_reply(&reply), self.control) {
                    (Ok(port), Some((_, peer))) => self.connect_passive(SocketAddr::new(peer.ip(), port), true),
                    (Err(error), _) => self.unreadable(reply, &error),
                    (Ok(_), None) => {}
                }
            }
            Step::SentPassive { command: Command::Epsv(_) } if self.curl() && !self.control_is_ipv6() => {
                self.note(Note::EpsvRefused { code: reply.code });
                self.epsv_refused = true;
                self.send(Command::Pasv);
                self.step = Step::SentPassive { command: Command::Pasv };
            }
            Step::SentTransfer { command } if reply.is_preliminary() => {
                let connected = self.data.as_ref().is_some_and(|data| data.connected);
                if let (false, true, Some(limit)) =
                    (connected, self.settings.mode.is_active(), self.settings.accept_timeout)
                {
                    self.emit(Output::SetTimer { timer: TimerKind::DataAccept, at: self.now + limit });
                }
                if let Some(limit) = self.settings.reply_timeout {
                    self.emit(Output::SetTimer { timer: TimerKind::Reply, at: self.now + limit });
                }
                self.step = Step::Transferring { command, completed: false };
                self.send_upload_if_ready();
            }
            Step::SentTransfer { command } | Step::Transferring { command, .. } if reply.is_completion() => {
                self.step = Step::Transferring { command, completed: true };
                self.finish_operation_if_done();
            }
            Step::Transferring { completed: false, command } | Step::SentTransfer { command } if reply.is_failure() => {
                self.fail(ClientFailure::Refused { command: command.to_string(), reply })
            }
            Step::SentUser
            | Step::SentPass
            | Step::SentAuth
            | Step::SentPbsz
            | Step::SentProt
            | Step::SentPwd
            | Step::SentCwd { .. }
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
            | Step::SentQuit { .. }
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
        let peer = self.control.map(|(_, peer)| peer);
        let (target, note) = passive_target(announced, peer, self.settings.trust_pasv_address);
        if let Some(note) = note {
            self.note(note);
        }
        target
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
        self.results.push(TransferResult { operation: operation.describe(), bytes });
        self.emit(Output::CancelTimer { timer: TimerKind::DataAccept });
        self.next_operation += 1;
        self.progress = Progress::default();
        self.advance();
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
                    self.progress.data_ready = true;
                    self.advance();
                }
                self.send_upload_if_ready();
            }
            DataEvent::ConnectFailed(error) => {
                if let Step::ConnectingData { target, via_epsv } = self.step {
                    self.passive_connect_failed(ClientFailure::DataConnect { target, error }, via_epsv);
                }
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
        match (timer, &self.step) {
            (TimerKind::Reply, Step::SentQuit { after_failure: true }) => self.hang_up(),
            _ if self.outcome.is_some() => {}
            (TimerKind::DataConnect, Step::Connecting) => {
                self.fail(ClientFailure::ControlConnect { error: ConnectError::TimedOut });
            }
            (TimerKind::DataConnect, Step::ConnectingData { target, via_epsv }) => {
                let (target, via_epsv) = (*target, *via_epsv);
                let after = self.settings.connect_timeout.unwrap_or_default();
                self.passive_connect_failed(ClientFailure::DataConnectTimeout { target, after }, via_epsv);
            }
            (TimerKind::DataAccept, Step::Transferring { .. })
                if !self.data.as_ref().is_some_and(|data| data.connected) =>
            {
                let after = self.settings.accept_timeout.unwrap_or_default();
                self.fail(ClientFailure::AcceptTimeout { after });
            }
            (TimerKind::Reply, step) => {
                let command = match step {
                    Step::SentPort { command } | Step::SentPassive { command } | Step::SentTransfer { command } => {
                        command.to_string()
                    }
                    other => other.name(),
                };
                let after = self.settings.reply_timeout.unwrap_or_default();
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
                // The connect timeout has done its job for the control connection; curl's budget
                // still counts from the start when it connects a data connection.
                self.emit(Output::CancelTimer { timer: TimerKind::DataConnect });
                if let Some(limit) = self.settings.reply_timeout {
                    self.emit(Output::SetTimer { timer: TimerKind::Reply, at: now + limit });
                }
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
            Input::ControlBytes(bytes) => self.decoder.push(&bytes),
            Input::ControlClosed => {
                self.control = None;
                match self.step {
                    Step::SentQuit { after_failure } => {
                        if !after_failure {
                            self.outcome = Some(Outcome::Completed);
                        }
                        self.step = Step::Done;
                    }
                    _ if self.outcome.is_none() => self.fail(ClientFailure::ControlClosed),
                    _ => self.step = Step::Done,
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
        self.read_replies();
        let after = self.state_name();
        if after != before {
            self.emit(Output::Trace(FtpTrace::State { from: before, to: after }));
        }
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }
}

/// Where a client connects after a 227 that announced `announced`, its control connection
/// going to `peer`: the announced address when it is the control connection's (or there is
/// none); otherwise the announced address if the client trusts it
/// ([`ClientSettings::trust_pasv_address`]), else the control connection's address with the
/// announced port; with the note that says which when they differ. Shared by the scripted
/// client and the console's.
pub(crate) fn passive_target(
    announced: SocketAddr,
    peer: Option<SocketAddr>,
    trust: bool,
) -> (SocketAddr, Option<Note>) {
    let Some(peer) = peer.filter(|peer| peer.ip() != announced.ip()) else {
        return (announced, None);
    };
    if trust {
        (announced, Some(Note::TrustingPassiveAddress { announced: announced.ip(), control: peer.ip() }))
    } else {
        (
            SocketAddr::new(peer.ip(), announced.port()),
            Some(Note::IgnoringPassiveAddress { announced: announced.ip(), control: peer.ip() }),
        )
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
        reply_at(client, Instant::ZERO, line)
    }

    fn reply_at(client: &mut FtpClient, now: Instant, line: &str) -> Vec<Output> {
        client.handle(now, Input::ControlBytes(format!("{line}\r\n").into_bytes()));
        drain(client)
    }

    fn connected(settings: ClientSettings) -> FtpClient {
        let mut client = FtpClient::new(ClientSettings { server: addr(SERVER), ..settings });
        assert_eq!(drain(&mut client)[0], Output::ConnectControl { to: addr(SERVER) });
        client.handle(Instant::ZERO, Input::ControlOpened { local: addr(LOCAL), peer: addr(SERVER) });
        drain(&mut client);
        client
    }

    fn curl(mode: DataMode, operation: Operation) -> ClientSettings {
        ClientSettings { mode, operations: vec![operation], ..ClientSettings::default() }
    }

    fn ftplib(mode: DataMode, operation: Operation) -> ClientSettings {
        ClientSettings { mode, operations: vec![operation], ..ClientSettings::ftplib(None) }
    }

    fn list_pub() -> Operation {
        Operation::List { path: Some("pub".to_owned()) }
    }

    fn retr_notes() -> Operation {
        Operation::Retr { path: "pub/lesson-notes.txt".to_owned() }
    }

    /// Logged in (and, for curl, in `pub`): the outputs of the last reply, which start the data
    /// set-up.
    fn at_data_setup(settings: ClientSettings) -> (FtpClient, Vec<Output>) {
        let curl = settings.profile == ClientProfile::Curl;
        let mut client = connected(settings);
        reply(&mut client, "220 (vsFTPd 3.0.3)");
        reply(&mut client, "331 Please specify the password.");
        reply(&mut client, "230 Login successful.");
        let outputs = if curl {
            let outputs = reply(&mut client, "257 \"/\" is the current directory");
            if sent(&outputs).iter().any(|command| command.starts_with("CWD")) {
                reply(&mut client, "250 Directory successfully changed.")
            } else {
                outputs
            }
        } else {
            reply(&mut client, "200 Switching to ASCII mode.")
        };
        (client, outputs)
    }

    fn listen_id(outputs: &[Output]) -> DataId {
        match outputs.iter().find(|o| matches!(o, Output::Listen { .. })) {
            Some(Output::Listen { id, .. }) => *id,
            _ => panic!("no Listen in {outputs:?}"),
        }
    }

    fn connect_of(outputs: &[Output]) -> (DataId, SocketAddr) {
        match outputs.iter().find(|o| matches!(o, Output::Connect { .. })) {
            Some(Output::Connect { id, to, .. }) => (*id, *to),
            _ => panic!("no Connect in {outputs:?}"),
        }
    }

    fn failure(client: &FtpClient) -> &ClientFailure {
        match client.outcome() {
            Some(Outcome::Failed { failure }) => failure,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn curl_logs_in_then_asks_pwd_and_changes_into_the_directory() {
        let mut client = connected(curl(DataMode::Epsv, retr_notes()));
        assert_eq!(client.state_name(), "AWAITING-GREETING");
        assert_eq!(sent(&reply(&mut client, "220 (vsFTPd 3.0.3)")), ["USER anonymous"]);
        assert_eq!(sent(&reply(&mut client, "331 Please specify the password.")), ["PASS ftp@example.com"]);
        assert_eq!(sent(&reply(&mut client, "230 Login successful.")), ["PWD"]);
        assert_eq!(sent(&reply(&mut client, "257 \"/\" is the current directory")), ["CWD pub"]);
        assert_eq!(sent(&reply(&mut client, "250 Directory successfully changed.")), ["EPSV"]);
    }

    #[test]
    fn ftplib_logs_in_and_sends_type_first() {
        let mut client = connected(ftplib(DataMode::Pasv, list_pub()));
        assert_eq!(sent(&reply(&mut client, "220 (vsFTPd 3.0.3)")), ["USER anonymous"]);
        assert_eq!(sent(&reply(&mut client, "331 Please specify the password.")), ["PASS anonymous@"]);
        assert_eq!(sent(&reply(&mut client, "230 Login successful.")), ["TYPE A"]);
        assert_eq!(sent(&reply(&mut client, "200 Switching to ASCII mode.")), ["PASV"]);
        let (id, to) = connect_of(&reply(&mut client, "227 Entering Passive Mode (198,51,100,10,195,80)."));
        client.handle(Instant::ZERO, Input::Data { id, event: DataEvent::Connected { local: addr(LOCAL), peer: to } });
        assert_eq!(sent(&drain(&mut client)), ["LIST pub"], "ftplib sends the path as given");
    }

    #[test]
    fn a_user_that_needs_no_password_skips_pass() {
        let mut client = connected(ClientSettings::default());
        reply(&mut client, "220 hi");
        assert_eq!(sent(&reply(&mut client, "230 Welcome, no password needed.")), ["PWD"]);
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
        assert!(outputs.contains(&Output::CloseControl), "curl does not QUIT after a refused login");
        assert!(sent(&outputs).is_empty());
        assert_eq!(client.state_name(), "FAILED");
        assert!(
            matches!(failure(&client), ClientFailure::Refused { command, reply } if command == "USER anonymous" && reply.code == 530)
        );
    }

    #[test]
    fn curl_active_announces_then_sets_type_and_size_before_retr() {
        let (mut client, outputs) = at_data_setup(curl(DataMode::Port, retr_notes()));
        let id = listen_id(&outputs);
        assert_eq!(client.state_name(), "OPENING-LISTENER");
        client
            .handle(Instant::ZERO, Input::Data { id, event: DataEvent::Listening { local: addr("192.168.1.2:5200") } });
        assert_eq!(sent(&drain(&mut client)), ["PORT 192,168,1,2,20,80"]);
        assert_eq!(sent(&reply(&mut client, "200 PORT command successful. Consider using PASV.")), ["TYPE I"]);
        assert_eq!(sent(&reply(&mut client, "200 Switching to Binary mode.")), ["SIZE lesson-notes.txt"]);
        assert_eq!(sent(&reply(&mut client, "213 3480")), ["RETR lesson-notes.txt"]);
        assert_eq!(client.state_name(), "AWAITING-TRANSFER-START");
    }

    #[test]
    fn curl_quits_after_an_error_reply_and_hangs_up_after_221() {
        let (mut client, outputs) = at_data_setup(curl(DataMode::Port, list_pub()));
        let id = listen_id(&outputs);
        client
            .handle(Instant::ZERO, Input::Data { id, event: DataEvent::Listening { local: addr("192.168.1.2:5200") } });
        reply(&mut client, "200 PORT command successful. Consider using PASV.");
        assert_eq!(sent(&reply(&mut client, "200 Switching to ASCII mode.")), ["LIST"]);
        let outputs = reply(&mut client, "425 Failed to establish connection.");
        assert!(outputs.contains(&Output::CloseData { id }), "the listener is closed");
        assert_eq!(sent(&outputs), ["QUIT"]);
        assert!(
            matches!(failure(&client), ClientFailure::Refused { command, reply } if command == "LIST" && reply.code == 425)
        );
        let outputs = reply(&mut client, "221 Goodbye.");
        assert!(outputs.contains(&Output::CloseControl));
        assert_eq!(client.state_name(), "FAILED");
        assert!(matches!(failure(&client), ClientFailure::Refused { .. }), "QUIT does not change the outcome");
    }

    #[test]
    fn active_accept_timeout_starts_at_150() {
        let (mut client, outputs) = at_data_setup(curl(DataMode::Port, Operation::List { path: None }));
        let id = listen_id(&outputs);
        client
            .handle(Instant::ZERO, Input::Data { id, event: DataEvent::Listening { local: addr("192.168.1.2:5200") } });
        reply(&mut client, "200 PORT command successful.");
        let after_type = reply(&mut client, "200 Switching to ASCII mode.");
        assert!(!after_type.iter().any(|o| matches!(o, Output::SetTimer { timer: TimerKind::DataAccept, .. })));
        let after_150 = reply(&mut client, "150 Here comes the directory listing.");
        assert!(after_150.iter().any(|o| matches!(o, Output::SetTimer { timer: TimerKind::DataAccept, .. })));
        client.handle(Instant::from_micros(60_000_000), Input::Timer(TimerKind::DataAccept));
        assert!(matches!(failure(&client), ClientFailure::AcceptTimeout { .. }));
    }

    #[test]
    fn curl_eprt_refused_falls_back_to_port_on_a_new_listening_port() {
        let (mut client, outputs) = at_data_setup(curl(DataMode::Eprt, list_pub()));
        let first = listen_id(&outputs);
        client.handle(
            Instant::ZERO,
            Input::Data { id: first, event: DataEvent::Listening { local: addr("192.168.1.2:5200") } },
        );
        assert_eq!(sent(&drain(&mut client)), ["EPRT |1|192.168.1.2|5200|"]);
        let outputs = reply(&mut client, "500 Illegal EPRT command.");
        assert!(outputs.contains(&Output::CloseData { id: first }), "the EPRT listener is closed");
        let second = listen_id(&outputs);
        assert_ne!(first, second);
        client.handle(
            Instant::ZERO,
            Input::Data { id: second, event: DataEvent::Listening { local: addr("192.168.1.2:5300") } },
        );
        assert_eq!(sent(&drain(&mut client)), ["PORT 192,168,1,2,20,180"]);
        let outputs = reply(&mut client, "500 Illegal PORT command.");
        assert_eq!(sent(&outputs), ["QUIT"]);
        assert!(
            matches!(failure(&client), ClientFailure::Refused { command, reply } if command == "PORT 192,168,1,2,20,180" && reply.code == 500)
        );
    }

    #[test]
    fn pasv_connects_to_the_control_address_by_default() {
        let (mut client, outputs) = at_data_setup(curl(DataMode::Pasv, list_pub()));
        assert_eq!(sent(&outputs), ["PASV"]);
        let outputs = reply(&mut client, "227 Entering Passive Mode (10,0,0,10,195,80).");
        assert_eq!(connect_of(&outputs).1, addr("198.51.100.10:50000"));
        assert!(
            outputs
                .iter()
                .any(|o| matches!(o, Output::Trace(FtpTrace::Note(Note::IgnoringPassiveAddress { announced, .. })) if announced.to_string() == "10.0.0.10"))
        );
        assert_eq!(client.state_name(), "CONNECTING-DATA");
    }

    #[test]
    fn a_classic_client_trusts_the_227_address() {
        let settings = ClientSettings { trust_pasv_address: true, ..curl(DataMode::Pasv, list_pub()) };
        let (mut client, _) = at_data_setup(settings);
        let outputs = reply(&mut client, "227 Entering Passive Mode (10,0,0,10,195,80).");
        assert_eq!(connect_of(&outputs).1, addr("10.0.0.10:50000"));
    }

    #[test]
    fn curl_passive_connects_then_sends_type_then_the_command() {
        let (mut client, _) = at_data_setup(curl(DataMode::Epsv, list_pub()));
        let outputs = reply(&mut client, "229 Entering Extended Passive Mode (|||50000|)");
        let (id, to) = connect_of(&outputs);
        assert_eq!(to, addr("198.51.100.10:50000"));
        assert!(sent(&outputs).is_empty());
        client.handle(Instant::ZERO, Input::Data { id, event: DataEvent::Connected { local: addr(LOCAL), peer: to } });
        assert_eq!(sent(&drain(&mut client)), ["TYPE A"]);
        assert_eq!(sent(&reply(&mut client, "200 Switching to ASCII mode.")), ["LIST"]);
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
    fn curl_falls_back_to_pasv_on_any_non_229_in_epsv_and_auto() {
        for mode in [DataMode::Epsv, DataMode::Auto] {
            for refusal in ["500 Unknown command.", "502 Command not implemented."] {
                let (mut client, outputs) = at_data_setup(curl(mode, list_pub()));
                assert_eq!(sent(&outputs), ["EPSV"]);
                assert_eq!(sent(&reply(&mut client, refusal)), ["PASV"], "{mode} {refusal}");
                assert_eq!(client.state_name(), "AWAITING-PASV-REPLY");
            }
        }
    }

    #[test]
    fn curl_retries_with_pasv_when_the_epsv_data_connection_fails() {
        for error in [ConnectError::TimedOut, ConnectError::Refused, ConnectError::Unreachable] {
            let (mut client, _) = at_data_setup(curl(DataMode::Epsv, list_pub()));
            let (id, _) = connect_of(&reply(&mut client, "229 Entering Extended Passive Mode (|||50000|)"));
            client.handle(Instant::ZERO, Input::Data { id, event: DataEvent::ConnectFailed(error) });
            let outputs = drain(&mut client);
            assert_eq!(sent(&outputs), ["PASV"], "{error}");
            assert!(outputs.iter().any(|o| matches!(o, Output::Trace(FtpTrace::Note(Note::EpsvConnectFailed)))));
            let (id, to) = connect_of(&reply(&mut client, "227 Entering Passive Mode (198,51,100,10,195,81)."));
            assert_eq!(to, addr("198.51.100.10:50001"));
            client.handle(Instant::ZERO, Input::Data { id, event: DataEvent::ConnectFailed(error) });
            let outputs = drain(&mut client);
            assert!(sent(&outputs).is_empty(), "no QUIT after a failed connect");
            assert!(outputs.contains(&Output::CloseControl));
            assert_eq!(failure(&client), &ClientFailure::DataConnect { target: to, error });
        }
    }

    #[test]
    fn curl_connect_timeout_is_one_budget_from_the_start() {
        let settings =
            ClientSettings { connect_timeout: Some(Duration::from_secs(6)), ..curl(DataMode::Epsv, list_pub()) };
        let (mut client, _) = at_data_setup(settings);
        let outputs = reply(&mut client, "229 Entering Extended Passive Mode (|||50000|)");
        assert!(
            outputs.contains(&Output::SetTimer { timer: TimerKind::DataConnect, at: Instant::from_micros(6_000_000) }),
            "the deadline counts from the start of the session: {outputs:?}"
        );
        client.handle(Instant::from_micros(6_000_000), Input::Timer(TimerKind::DataConnect));
        assert_eq!(sent(&drain(&mut client)), ["PASV"]);
        let outputs =
            reply_at(&mut client, Instant::from_micros(6_010_000), "227 Entering Passive Mode (198,51,100,10,195,81).");
        assert!(!outputs.iter().any(|o| matches!(o, Output::Connect { .. })), "the budget is spent: no SYN");
        assert!(matches!(failure(&client), ClientFailure::DataConnectTimeout { .. }));
    }

    #[test]
    fn ftplib_connect_timeout_counts_per_connect_and_it_quits_after_any_failure() {
        let settings = ClientSettings {
            mode: DataMode::Pasv,
            operations: vec![list_pub()],
            ..ClientSettings::ftplib(Some(Duration::from_secs(6)))
        };
        let mut client = connected(settings);
        for line in ["220 hi", "331 pw", "230 ok", "200 ascii"] {
            reply_at(&mut client, Instant::from_micros(1_000_000), line);
        }
        let outputs =
            reply_at(&mut client, Instant::from_micros(1_000_000), "227 Entering Passive Mode (198,51,100,10,195,80).");
        assert!(
            outputs.contains(&Output::SetTimer { timer: TimerKind::DataConnect, at: Instant::from_micros(7_000_000) })
        );
        client.handle(Instant::from_micros(7_000_000), Input::Timer(TimerKind::DataConnect));
        assert_eq!(sent(&drain(&mut client)), ["QUIT"]);
        assert!(matches!(failure(&client), ClientFailure::DataConnectTimeout { .. }));
    }

    #[test]
    fn replies_wait_while_the_client_connects_and_curl_gives_up_on_421() {
        // pyftpdlib's passive listener times out (421) while curl is still connecting to it.
        let (mut client, _) = at_data_setup(curl(DataMode::Epsv, list_pub()));
        let (id, _) = connect_of(&reply(&mut client, "229 Entering extended passive mode (|||50000|)."));
        let outputs = reply(&mut client, "421 Passive data channel timed out.");
        assert!(!outputs.iter().any(|o| matches!(o, Output::Trace(FtpTrace::ReplyReceived(_)))), "not read yet");
        client.handle(Instant::ZERO, Input::Data { id, event: DataEvent::ConnectFailed(ConnectError::TimedOut) });
        let outputs = drain(&mut client);
        assert_eq!(sent(&outputs), ["PASV"]);
        assert!(
            outputs.iter().any(|o| matches!(o, Output::Trace(FtpTrace::ReplyReceived(reply)) if reply.code == 421))
        );
        assert!(outputs.contains(&Output::CloseControl), "curl hangs up after a 421, without QUIT");
        assert!(matches!(failure(&client), ClientFailure::Refused { reply, .. } if reply.code == 421));
    }

    #[test]
    fn own_reply_timeout() {
        let mut silent = connected(ClientSettings::default());
        silent.handle(Instant::from_micros(120_000_000), Input::Timer(TimerKind::Reply));
        assert!(matches!(failure(&silent), ClientFailure::ReplyTimeout { .. }));
        // ftplib without a timeout sets no reply timer at all.
        let mut patient = FtpClient::new(ClientSettings::ftplib(None));
        assert!(!drain(&mut patient).iter().any(|o| matches!(o, Output::SetTimer { .. })));
    }

    #[test]
    fn an_unreadable_227_is_a_clear_failure() {
        let (mut client, _) = at_data_setup(curl(DataMode::Pasv, list_pub()));
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
            ..curl(DataMode::Port, Operation::List { path: None })
        });
        drain(&mut client);
        client.handle(
            Instant::ZERO,
            Input::ControlOpened { local: addr("[2001:db8:1::2]:40000"), peer: addr("[2001:db8:2::10]:21") },
        );
        for line in ["220 hi", "331 pw", "230 ok"] {
            reply(&mut client, line);
        }
        let outputs = reply(&mut client, "257 \"/\"");
        let id = listen_id(&outputs);
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
        let operation = Operation::Stor { path: "upload/a.txt".into(), contents: b"abc".to_vec() };
        let (mut client, outputs) = at_data_setup(curl(DataMode::Epsv, operation));
        assert_eq!(sent(&outputs), ["EPSV"]);
        let (id, to) = connect_of(&reply(&mut client, "229 Entering Extended Passive Mode (|||50000|)"));
        client.handle(Instant::ZERO, Input::Data { id, event: DataEvent::Connected { local: addr(LOCAL), peer: to } });
        assert_eq!(sent(&drain(&mut client)), ["TYPE I"]);
        assert_eq!(sent(&reply(&mut client, "200 Switching to Binary mode.")), ["STOR a.txt"]);
        let outputs = reply(&mut client, "150 Ok to send data.");
        assert!(outputs.contains(&Output::SendData { id, bytes: b"abc".to_vec() }));
        assert!(outputs.contains(&Output::CloseData { id }));
        assert_eq!(sent(&reply(&mut client, "226 Transfer complete.")), ["QUIT"]);
    }

    #[test]
    fn names_and_modes() {
        assert_eq!(DataMode::ALL.map(DataMode::as_str), ["port", "eprt", "pasv", "epsv", "auto"]);
        assert!(DataMode::Eprt.is_active() && !DataMode::Epsv.is_active());
        assert_eq!(DataMode::Auto.to_string(), "auto");
        assert_eq!(ClientProfile::ALL.map(ClientProfile::as_str), ["curl", "ftplib"]);
        assert!(!ClientProfile::Ftplib.has_mode_on_ipv4(DataMode::Epsv));
        assert!(ClientProfile::Curl.has_mode_on_ipv4(DataMode::Eprt));
    }
}
