//! An FTP server session, sans-IO, that behaves like vsftpd 3.0.3 or like pyftpdlib 2.2
//! ([`ServerProfile`]).
//!
//! One [`FtpServer`] serves one control connection, the way vsftpd forks one process per
//! client. As vsftpd (the default) it follows vsftpd 3.0.3's replies and order of events; the
//! ones that matter for the lessons:
//!
//! - `PORT`/`EPRT` naming an address other than the control connection's peer, or a port below
//!   1024, is refused with `500 Illegal PORT command.` unless [`ServerSettings::port_promiscuous`].
//! - The data connection is made *before* `150`: in active mode the server connects first and
//!   answers `425 Failed to establish connection.` if it cannot within `connect_timeout`; in
//!   passive mode it waits `accept_timeout` for the client to connect.
//! - A passive connection from an address other than the control peer gets
//!   `425 Security: Bad IP connecting.` unless [`ServerSettings::pasv_promiscuous`].
//! - Every transfer needs a fresh `PORT`/`PASV`: the data set-up is used once.
//! - `227` carries [`ServerSettings::pasv_address`] when set, else the control connection's local
//!   address (on IPv6 vsftpd writes `0,0,0,0`, and so do we).
//!
//! - Anonymous users may not upload (`anon_upload_enable=NO`): `550 Permission denied.`
//! - With `port_promiscuous=YES` and `connect_from_port_20=YES` vsftpd cannot bind port 20 on
//!   the code path it then takes (`ftpdataio.c`), and its session dies at the transfer command
//!   with `500 OOPS: vsf_sysutil_bind` and `500 OOPS: priv_sock_get_cmd`.
//!
//! As pyftpdlib (measured against 2.2.0, see FIDELITY.md) it differs where a class would see it:
//! it connects an active data connection at `PORT`/`EPRT` time and answers `200` only once
//! connected (`421 Active data channel timed out.` after its timeout, `425` when refused); it
//! refuses a foreign `PORT` address with `501`; its passive listener times out from `PASV`
//! itself (`421 Passive data channel timed out.`) and the control connection stays open; it
//! answers a transfer command with `125` when the data connection is already open; and its
//! reply texts are its own.
//!
//! Hostile and malformed input gets vsftpd's answers, as its handlers in `postlogin.c` give
//! them; each case `tests/sockets/test_hostile.py` sends was measured against a real vsftpd
//! 3.0.3:
//!
//! - An address it cannot read: `500 Illegal PORT command.`, `500 Bad EPRT command.`, and
//!   `500 Bad EPRT protocol.` for a protocol other than 1 (or 2 on IPv6), which vsftpd checks
//!   before the address, so also for a bare `EPRT`. Either forgets the `PASV` before it.
//!   `EPSV` with an argument other than 1 (2 on IPv6) or `ALL`: `522 Bad network protocol.`
//!   vsftpd reads those numbers with `atoi()` and splits `EPRT` at `|` only, this server
//!   parses strictly (codec): `EPSV 1x`, `EPRT |1|addr|50000` (no last `|`) or a port with
//!   trailing junk are refused here and taken by vsftpd; `EPRT` with another delimiter is
//!   taken here and refused by vsftpd.
//! - `TYPE` other than `A`, `A N`, `I`, `L 8`: `500 Unrecognised TYPE command.`
//! - A line longer than 4096 bytes with its line end: `500 Input line too long.`, and the
//!   session ends. (pyftpdlib's profile answers the same and goes on.)
//! - A line of spaces: `530 Please login with USER and PASS.` before login,
//!   `500 Unknown command.` after (only an empty line is ignored).
//! - A `RETR` or `STOR` refused (`550`, `553`) keeps the `PORT`/`PASV` for the next transfer
//!   command.
//! - `LIST`/`NLST` ignore options up to the first space (`LIST -l /pub` lists /pub); an
//!   argument that is no directory filters the directory before its last `/`, so a missing
//!   directory there lists nothing and ends with `226 Directory send OK.`; only a missing
//!   directory part says `226 Transfer done (but failed to open directory).`
//! - A command without its argument is the command with an empty one (vsftpd has no check for
//!   a missing argument): `RETR`/`STOR` are `425 Use PORT or PASV first.` without a data set-up,
//!   `CWD` is `550 Failed to change directory.`, `SIZE` `550 Could not get file size.`, `USER`
//!   after an anonymous login `530 Can't change from guest user.`
//!
//! pyftpdlib's profile answers an argument it cannot parse with `501` (RFC 959's code for a
//! syntax error in arguments).
//!
//! Left out on purpose: vsftpd's one-second delay after a failed login, `REST`/`APPE`/`MDTM`,
//! ASCII line-ending conversion, the idle and data-stall timeouts (300 s; no lesson runs that
//! long idle), and asynchronous `ABOR` (vsftpd's default also reads `ABOR` only after the
//! transfer, answering `225 No transfer to ABOR.`).

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};

use serde::{Deserialize, Serialize};

use super::codec::{
    AddressError, Command, CommandDecoder, CommandError, EpsvArg, Reply, TransferType, Verb,
    format_extended_passive_text, format_host_port, format_passive_text, reply_code as code,
};
use super::fs::{FileTree, FsError};
use super::{ConnectError, DataEvent, DataId, Engine, FtpTrace, Input, Note, Output, TimerKind};
use crate::rng;
use crate::time::{Duration, Instant};

/// Which real server this session behaves like.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerProfile {
    /// vsftpd 3.0.3, as Debian ships it.
    #[default]
    Vsftpd,
    /// pyftpdlib 2.2 (Python), with its default handler.
    Pyftpdlib,
}

impl ServerProfile {
    pub const ALL: [ServerProfile; 2] = [ServerProfile::Vsftpd, ServerProfile::Pyftpdlib];

    /// `vsftpd` or `pyftpdlib`, as on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ServerProfile::Vsftpd => "vsftpd",
            ServerProfile::Pyftpdlib => "pyftpdlib",
        }
    }

    /// The greeting after `220`.
    pub fn banner(self) -> &'static str {
        match self {
            ServerProfile::Vsftpd => "(vsFTPd 3.0.3)",
            ServerProfile::Pyftpdlib => "pyftpdlib 2.2.0 ready.",
        }
    }

    /// How long it waits for an active connect or a passive accept unless told otherwise
    /// (vsftpd `connect_timeout`/`accept_timeout` 60 s; pyftpdlib `ActiveDTP.timeout` and
    /// `PassiveDTP.timeout` 30 s).
    pub fn default_data_timeout(self) -> Duration {
        match self {
            ServerProfile::Vsftpd => Duration::from_secs(60),
            ServerProfile::Pyftpdlib => Duration::from_secs(30),
        }
    }
}

impl std::fmt::Display for ServerProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the server answers `EPSV`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EpsvSupport {
    /// `229 Entering Extended Passive Mode (|||port|)` (vsftpd).
    Enabled,
    /// `500 Unknown command.`: an old server that has never heard of RFC 2428.
    Refused500,
    /// `502 Command not implemented.`: a server that knows the verb but does not do it.
    Refused502,
}

/// A local account that may log in with a password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub user: String,
    pub password: String,
}

/// Server settings. Each field is named after the vsftpd option it mirrors, and
/// [`ServerSettings::default`] gives vsftpd 3.0.3's compiled-in defaults.
/// [`ServerSettings::lesson`] is what the lessons use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerSettings {
    /// Which server this behaves like; the other settings keep vsftpd's names.
    pub profile: ServerProfile,
    /// Text of the 220 greeting.
    pub banner: String,
    /// `anonymous_enable` (YES): users `anonymous` and `ftp` log in with any password.
    pub anonymous_enable: bool,
    /// `local_enable` (NO): accounts in [`ServerSettings::accounts`] may log in.
    pub local_enable: bool,
    /// Local accounts (vsftpd reads them from the system).
    pub accounts: Vec<Account>,
    /// `write_enable` (NO): whether `STOR` is allowed at all.
    pub write_enable: bool,
    /// `anon_upload_enable` (NO): whether anonymous users may upload.
    pub anon_upload_enable: bool,
    /// `pasv_min_port` (5001; values up to 1024 mean 1024).
    pub pasv_min_port: u16,
    /// `pasv_max_port` (0, meaning 65535).
    pub pasv_max_port: u16,
    /// `pasv_address` (unset): the address written into 227 instead of the server's own.
    pub pasv_address: Option<Ipv4Addr>,
    /// `port_promiscuous` (NO): accept `PORT`/`EPRT` to any address and port.
    pub port_promiscuous: bool,
    /// `pasv_promiscuous` (NO): accept a passive data connection from any address.
    pub pasv_promiscuous: bool,
    /// `connect_from_port_20` (NO; the vsftpd.conf that distributions ship sets YES): active
    /// data connections come from port [`ServerSettings::ftp_data_port`].
    pub connect_from_port_20: bool,
    /// `ftp_data_port` (20).
    pub ftp_data_port: u16,
    /// `connect_timeout` (60 s): how long an active-mode connect may take.
    pub connect_timeout: Duration,
    /// `accept_timeout` (60 s): how long to wait for the client's passive connection.
    pub accept_timeout: Duration,
    /// Whether `EPSV` is understood (vsftpd: yes).
    pub epsv: EpsvSupport,
    /// Seed for the passive port choice (vsftpd picks it at random).
    pub seed: u64,
    /// `ssl_enable` (NO): explicit FTPS, `AUTH TLS` switches the control connection to TLS.
    pub ssl_enable: bool,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            profile: ServerProfile::Vsftpd,
            banner: ServerProfile::Vsftpd.banner().to_owned(),
            anonymous_enable: true,
            local_enable: false,
            accounts: Vec::new(),
            write_enable: false,
            anon_upload_enable: false,
            pasv_min_port: 5001,
            pasv_max_port: 0,
            pasv_address: None,
            port_promiscuous: false,
            pasv_promiscuous: false,
            connect_from_port_20: false,
            ftp_data_port: 20,
            connect_timeout: Duration::from_secs(60),
            accept_timeout: Duration::from_secs(60),
            epsv: EpsvSupport::Enabled,
            seed: 1,
            ssl_enable: false,
        }
    }
}

impl ServerSettings {
    /// The lesson server: vsftpd's defaults plus what a classroom demo server is configured
    /// with — the passive range 50000–51000 from the article, active connections from port 20 as
    /// in the shipped vsftpd.conf, uploads allowed for one demo account (`demo` / `demo`), not
    /// for anonymous users.
    pub fn lesson() -> Self {
        ServerSettings {
            local_enable: true,
            accounts: vec![Account { user: "demo".to_owned(), password: "demo".to_owned() }],
            write_enable: true,
            pasv_min_port: 50000,
            pasv_max_port: 51000,
            connect_from_port_20: true,
            ..ServerSettings::default()
        }
    }

    /// The passive port range vsftpd actually uses for these settings.
    pub fn passive_range(&self) -> (u16, u16) {
        let min = if self.pasv_min_port > 1024 { self.pasv_min_port } else { 1024 };
        let max =
            if self.pasv_max_port >= min && self.pasv_max_port < u16::MAX { self.pasv_max_port } else { u16::MAX };
        (min, max)
    }
}

/// How many ports vsftpd tries before it gives up opening a passive listener.
const PASSIVE_LISTEN_ATTEMPTS: u32 = 9;

/// Whether the control connection speaks TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tls {
    Clear,
    /// 234 was sent; the client's hello comes next.
    Negotiating,
    Secure,
}

/// Where the login stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Login {
    /// The control connection is not open yet.
    WaitingForControl,
    NeedUser,
    NeedPassword {
        user: String,
    },
    LoggedIn {
        anonymous: bool,
    },
    /// QUIT, or the control connection closed.
    Closed,
}

/// What the next transfer command will use for its data connection.
#[derive(Clone, Debug, PartialEq, Eq)]
enum DataPlan {
    None,
    /// `PORT`/`EPRT` accepted: connect to this address.
    Active {
        target: SocketAddr,
    },
    /// pyftpdlib: `PORT`/`EPRT` came and the server is connecting now; `200` follows the connect.
    ActiveConnecting {
        id: DataId,
    },
    /// pyftpdlib: the active data connection is open, waiting for a transfer command.
    ActiveOpen {
        id: DataId,
        peer: SocketAddr,
    },
    /// `PASV`/`EPSV`: a listening socket, opening or open.
    Passive {
        id: DataId,
        extended: bool,
        phase: PassivePhase,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum PassivePhase {
    /// `Listen` asked for; the reply goes out once the socket is open.
    Opening {
        attempt: u32,
    },
    Listening {
        local: SocketAddr,
    },
    /// A client connected (the kernel accepts before vsftpd calls `accept`).
    Accepted {
        local: SocketAddr,
        peer: SocketAddr,
    },
}

/// The transfer a command asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Job {
    /// `filter`: list only the entries of the directory `path` whose names match it.
    List {
        path: String,
        filter: Option<String>,
        names_only: bool,
    },
    Retr {
        path: String,
        shown_as: String,
    },
    Stor {
        path: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum TransferPhase {
    /// Active mode: connecting to the client.
    Connecting,
    /// Passive mode: waiting for the client to connect.
    Accepting,
    /// `STOR`: receiving the file.
    Receiving { received: Vec<u8> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Transfer {
    id: DataId,
    job: Job,
    phase: TransferPhase,
}

/// One server session. Feed it [`Input`]s, take [`Output`]s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FtpServer {
    settings: ServerSettings,
    files: FileTree,
    decoder: CommandDecoder,
    outputs: VecDeque<Output>,
    now: Instant,
    /// (local, peer) of the control connection.
    control: Option<(SocketAddr, SocketAddr)>,
    login: Login,
    cwd: String,
    transfer_type: TransferType,
    epsv_all: bool,
    plan: DataPlan,
    transfer: Option<Transfer>,
    next_data_id: u32,
    passive_ports_drawn: u64,
    tls: Tls,
}

impl FtpServer {
    /// A session that will serve `files`, waiting for its control connection.
    pub fn new(settings: ServerSettings, files: FileTree) -> Self {
        FtpServer {
            settings,
            files,
            decoder: CommandDecoder::default(),
            outputs: VecDeque::new(),
            now: Instant::ZERO,
            control: None,
            login: Login::WaitingForControl,
            tls: Tls::Clear,
            cwd: "/".to_owned(),
            transfer_type: TransferType::Ascii,
            epsv_all: false,
            plan: DataPlan::None,
            transfer: None,
            next_data_id: 1,
            passive_ports_drawn: 0,
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &ServerSettings {
        &self.settings
    }

    /// Changes settings mid-session (a teacher flipping a toggle); they apply from the next
    /// command on.
    pub fn set_settings(&mut self, settings: ServerSettings) {
        self.settings = settings;
    }

    /// The file tree, including anything uploaded.
    pub fn files(&self) -> &FileTree {
        &self.files
    }

    /// The state name the trace shows, in upper case like TCP's states.
    pub fn state_name(&self) -> String {
        match &self.login {
            Login::WaitingForControl => "WAITING-FOR-CONTROL".to_owned(),
            Login::NeedUser => "AWAITING-USER".to_owned(),
            Login::NeedPassword { .. } => "AWAITING-PASSWORD".to_owned(),
            Login::Closed => "CLOSED".to_owned(),
            Login::LoggedIn { .. } => match (&self.transfer, &self.plan) {
                (Some(Transfer { phase: TransferPhase::Connecting, .. }), _) => "CONNECTING-DATA".to_owned(),
                (Some(Transfer { phase: TransferPhase::Accepting, .. }), _) => "ACCEPTING-DATA".to_owned(),
                (Some(Transfer { phase: TransferPhase::Receiving { .. }, .. }), _) => "RECEIVING-DATA".to_owned(),
                (None, DataPlan::None) => "LOGGED-IN".to_owned(),
                (None, DataPlan::Active { .. }) => "PORT-READY".to_owned(),
                (None, DataPlan::ActiveConnecting { .. }) => "CONNECTING-DATA".to_owned(),
                (None, DataPlan::ActiveOpen { .. }) => "DATA-CONNECTION-OPEN".to_owned(),
                (None, DataPlan::Passive { phase: PassivePhase::Opening { .. }, .. }) => "OPENING-PASSIVE".to_owned(),
                (None, DataPlan::Passive { .. }) => "PASSIVE-LISTENING".to_owned(),
            },
        }
    }

    /// The passive listening address in use, if any (for the device tables).
    pub fn passive_listener(&self) -> Option<SocketAddr> {
        match &self.plan {
            DataPlan::Passive {
                phase: PassivePhase::Listening { local } | PassivePhase::Accepted { local, .. },
                ..
            } => Some(*local),
            _ => None,
        }
    }

    fn new_data_id(&mut self) -> DataId {
        let id = DataId(self.next_data_id);
        self.next_data_id += 1;
        id
    }

    fn emit(&mut self, output: Output) {
        self.outputs.push_back(output);
    }

    fn note(&mut self, note: Note) {
        self.emit(Output::Trace(FtpTrace::Note(note)));
    }

    fn reply(&mut self, code: u16, text: impl Into<String>) {
        self.send_reply(Reply::new(code, text));
    }

    fn send_reply(&mut self, reply: Reply) {
        self.emit(Output::SendControl(reply.to_bytes()));
        self.emit(Output::Trace(FtpTrace::ReplySent(reply)));
    }

    fn local_ip(&self) -> Option<IpAddr> {
        self.control.map(|(local, _)| local.ip())
    }

    fn peer_ip(&self) -> Option<IpAddr> {
        self.control.map(|(_, peer)| peer.ip())
    }

    /// True while a command is being carried out and further commands wait, as they do in
    /// vsftpd's single-threaded session process (a driver on real sockets stops reading then).
    pub fn is_busy(&self) -> bool {
        self.busy()
    }

    /// True once the session is over (QUIT, or the control connection closed).
    pub fn is_closed(&self) -> bool {
        self.login == Login::Closed
    }

    fn busy(&self) -> bool {
        self.transfer.is_some()
            || matches!(
                self.plan,
                DataPlan::Passive { phase: PassivePhase::Opening { .. }, .. } | DataPlan::ActiveConnecting { .. }
            )
    }

    fn process_commands(&mut self) {
        while !self.busy() && self.login != Login::Closed {
            match self.decoder.next_command() {
                None => break,
                Some(Ok(command)) => {
                    self.emit(Output::Trace(FtpTrace::CommandReceived(command.clone())));
                    self.on_command(command);
                }
                Some(Err(error)) => match self.read_as_vsftpd(&error) {
                    Some(command) => {
                        self.emit(Output::Trace(FtpTrace::CommandReceived(command.clone())));
                        self.on_command(command);
                    }
                    None => {
                        self.emit(Output::Trace(FtpTrace::CommandRejected(error.to_string())));
                        self.on_bad_command(error);
                    }
                },
            }
        }
    }

    /// vsftpd reads a command without its argument as one with an empty argument, and answers
    /// it as such: `RETR` is `425 Use PORT or PASV first.` (or `550` with a data set-up), `CWD`
    /// and `SIZE` fail with `550`, `USER` after an anonymous login is
    /// `530 Can't change from guest user.` (measured, tests/sockets/test_hostile.py).
    fn read_as_vsftpd(&self, error: &CommandError) -> Option<Command> {
        match (self.settings.profile, error) {
            (ServerProfile::Vsftpd, CommandError::MissingArgument { verb, .. }) => Command::with_empty_argument(*verb),
            _ => None,
        }
    }

    fn on_bad_command(&mut self, error: CommandError) {
        match self.settings.profile {
            ServerProfile::Vsftpd => self.on_bad_command_vsftpd(error),
            ServerProfile::Pyftpdlib => self.on_bad_command_pyftpdlib(error),
        }
    }

    /// A line vsftpd could not take as a command. vsftpd has no parser in front of its
    /// commands: each handler reads its argument as it comes, so the answers are the handlers'
    /// own (`postlogin.c`), and every one of them is `500`.
    fn on_bad_command_vsftpd(&mut self, error: CommandError) {
        let logged_in = matches!(self.login, Login::LoggedIn { .. });
        let allowed_before_login = matches!(error.verb(), Some(Verb::User | Verb::Pass | Verb::Feat | Verb::Quit));
        match error {
            // vsftpd ignores empty lines ("to avoid NAT device bugs").
            CommandError::Empty => {}
            // vsf_cmdio_write_exit: the reply, then the session process exits.
            CommandError::TooLong { .. } => {
                self.reply(code::SYNTAX_ERROR, "Input line too long.");
                self.emit(Output::CloseControl);
                self.close_session();
            }
            _ if !logged_in && !allowed_before_login => {
                self.reply(code::NOT_LOGGED_IN, "Please login with USER and PASS.")
            }
            // A line of spaces is a command with an empty name, unknown (an empty line alone
            // is ignored).
            CommandError::UnknownVerb { .. } | CommandError::NotUtf8 | CommandError::Blank => {
                self.reply(code::SYNTAX_ERROR, "Unknown command.")
            }
            // PORT is not even read once EPSV ALL was sent (it falls to the commands vsftpd
            // refuses with 550).
            CommandError::MissingArgument { verb: Verb::Port, .. }
            | CommandError::BadAddress { verb: Verb::Port, .. }
                if self.epsv_all =>
            {
                self.reply(code::FILE_UNAVAILABLE, "Permission denied.")
            }
            // handle_port and handle_eprt forget the data set-up before they read the address.
            CommandError::MissingArgument { verb: Verb::Port, .. }
            | CommandError::BadAddress { verb: Verb::Port, .. } => {
                self.drop_plan();
                self.reply(code::SYNTAX_ERROR, "Illegal PORT command.")
            }
            CommandError::MissingArgument { verb: Verb::Eprt, .. } => {
                // An empty protocol field reads as protocol 0.
                self.drop_plan();
                self.reply(code::SYNTAX_ERROR, "Bad EPRT protocol.")
            }
            CommandError::BadAddress { verb: Verb::Eprt, source } => {
                self.drop_plan();
                // vsftpd checks the protocol before it reads the address: |2| on an IPv4
                // session is a bad protocol whatever follows.
                let on_ipv6 = self.local_ip().is_some_and(|ip| ip.is_ipv6());
                let bad_protocol = source.is_unsupported_protocol()
                    || (!on_ipv6 && matches!(source, AddressError::BadIp { expected: 6, .. }));
                let text = if bad_protocol { "Bad EPRT protocol." } else { "Bad EPRT command." };
                self.reply(code::SYNTAX_ERROR, text)
            }
            CommandError::BadArgument { verb: Verb::Epsv, .. } => match self.settings.epsv {
                EpsvSupport::Refused500 => self.reply(code::SYNTAX_ERROR, "Unknown command."),
                EpsvSupport::Refused502 => self.reply(code::NOT_IMPLEMENTED, "Command not implemented."),
                // vsftpd reads the argument with atoi(): anything but 1 (or 2 on IPv6) is 522.
                EpsvSupport::Enabled => self.reply(code::BAD_PROTOCOL, "Bad network protocol."),
            },
            CommandError::MissingArgument { verb: Verb::Type, .. }
            | CommandError::BadArgument { verb: Verb::Type, .. } => {
                self.reply(code::SYNTAX_ERROR, "Unrecognised TYPE command.")
            }
            CommandError::MissingArgument { .. }
            | CommandError::BadArgument { .. }
            | CommandError::BadAddress { .. } => {
                self.reply(code::BAD_ARGUMENT, "Syntax error in parameters or arguments.")
            }
        }
    }

    /// A line pyftpdlib could not take as a command: `500` for an unknown verb, `501` for an
    /// argument it cannot use.
    fn on_bad_command_pyftpdlib(&mut self, error: CommandError) {
        let logged_in = matches!(self.login, Login::LoggedIn { .. });
        let allowed_before_login = matches!(error.verb(), Some(Verb::User | Verb::Pass | Verb::Feat | Verb::Quit));
        match error {
            CommandError::Empty | CommandError::Blank => {}
            CommandError::TooLong { .. } => self.reply(code::SYNTAX_ERROR, "Input line too long."),
            _ if !logged_in && !allowed_before_login => {
                self.reply(code::NOT_LOGGED_IN, "Please login with USER and PASS.")
            }
            CommandError::UnknownVerb { .. } | CommandError::NotUtf8 => {
                self.reply(code::SYNTAX_ERROR, "Unknown command.")
            }
            CommandError::BadAddress { verb: Verb::Eprt, source } if source.is_unsupported_protocol() => {
                self.reply(code::BAD_PROTOCOL, "Bad EPRT protocol.")
            }
            CommandError::MissingArgument { verb, .. }
            | CommandError::BadArgument { verb, .. }
            | CommandError::BadAddress { verb, .. } => {
                let text = match verb {
                    Verb::Port => "Illegal PORT command.",
                    Verb::Eprt => "Bad EPRT command.",
                    Verb::Type => "Unrecognised TYPE command.",
                    Verb::Epsv => "Bad network protocol.",
                    _ => "Syntax error in parameters or arguments.",
                };
                self.reply(code::BAD_ARGUMENT, text)
            }
        }
    }

    fn on_command(&mut self, command: Command) {
        match (&self.login, command) {
            (_, Command::Quit) => self.quit(),
            (_, Command::Auth(mechanism)) if self.settings.ssl_enable => self.on_auth(&mechanism),
            (_, Command::Pbsz(_)) if self.settings.ssl_enable => match self.tls {
                Tls::Secure => self.reply(code::OK, "PBSZ set to 0."),
                _ => self.reply(code::BAD_SEQUENCE, "PBSZ needs a secure connection."),
            },
            (_, Command::Prot(level)) if self.settings.ssl_enable => {
                match (self.tls, level.to_ascii_uppercase().as_str()) {
                    (Tls::Secure, "P") => self.reply(code::OK, "PROT now Private."),
                    (Tls::Secure, "C") => self.reply(code::OK, "PROT now Clear."),
                    (Tls::Secure, _) => self.reply(code::BAD_PARAMETER, "PROT not supported."),
                    _ => self.reply(code::BAD_SEQUENCE, "PROT needs a secure connection."),
                }
            }
            (_, Command::Feat) => self.send_feat(),
            (Login::NeedUser | Login::NeedPassword { .. }, Command::User(user)) => self.on_user(user),
            (Login::NeedUser, Command::Pass(_)) => self.reply(code::BAD_SEQUENCE, "Login with USER first."),
            (Login::NeedPassword { user }, Command::Pass(password)) => {
                let user = user.clone();
                self.on_pass(&user, &password)
            }
            (Login::LoggedIn { .. }, command) => self.on_logged_in_command(command),
            (_, _) => self.reply(code::NOT_LOGGED_IN, "Please login with USER and PASS."),
        }
    }

    /// `AUTH TLS` (and the names older clients use), as vsftpd with `ssl_enable=YES` answers.
    fn on_auth(&mut self, mechanism: &str) {
        if self.tls != Tls::Clear {
            return self.reply(code::BAD_SEQUENCE, "Already using TLS.");
        }
        if ["TLS", "TLS-C", "SSL", "TLS-P"].iter().any(|known| mechanism.eq_ignore_ascii_case(known)) {
            self.reply(code::AUTH_OK, "Proceed with negotiation.");
            self.tls = Tls::Negotiating;
        } else {
            self.reply(code::BAD_PARAMETER, "Unknown AUTH type.");
        }
    }

    fn quit(&mut self) {
        self.reply(code::GOODBYE, "Goodbye.");
        self.emit(Output::CloseControl);
        self.close_session();
    }

    fn on_user(&mut self, user: String) {
        let anonymous = is_anonymous(&user);
        if anonymous && !self.settings.anonymous_enable {
            self.reply(code::NOT_LOGGED_IN, "This FTP server does not allow anonymous logins.");
        } else if !anonymous && !self.settings.local_enable {
            self.reply(code::NOT_LOGGED_IN, "This FTP server is anonymous only.");
        } else {
            let text = match self.settings.profile {
                ServerProfile::Vsftpd => "Please specify the password.",
                ServerProfile::Pyftpdlib => "Username ok, send password.",
            };
            self.reply(code::NEED_PASSWORD, text);
            self.login = Login::NeedPassword { user };
        }
    }

    fn on_pass(&mut self, user: &str, password: &str) {
        let anonymous = is_anonymous(user);
        let accepted = anonymous
            || self.settings.accounts.iter().any(|account| account.user == user && account.password == password);
        if accepted {
            self.reply(code::LOGGED_IN, "Login successful.");
            self.login = Login::LoggedIn { anonymous };
        } else {
            let text = match self.settings.profile {
                ServerProfile::Vsftpd => "Login incorrect.",
                ServerProfile::Pyftpdlib => "Authentication failed.",
            };
            self.reply(code::NOT_LOGGED_IN, text);
            self.login = Login::NeedUser;
        }
    }

    fn send_feat(&mut self) {
        let mut lines = vec!["Features:".to_owned(), " EPRT".to_owned()];
        if self.settings.epsv == EpsvSupport::Enabled {
            lines.push(" EPSV".to_owned());
        }
        lines.extend([" PASV", " SIZE", " UTF8", "End"].map(str::to_owned));
        self.send_reply(Reply::multi(code::FEATURES, lines));
    }

    fn on_logged_in_command(&mut self, command: Command) {
        match command {
            Command::User(_) => self.reply(code::NOT_LOGGED_IN, "Can't change from guest user."),
            Command::Pass(_) => self.reply(code::LOGGED_IN, "Already logged in."),
            Command::Syst => self.reply(code::SYSTEM, "UNIX Type: L8"),
            Command::Pwd => {
                let quoted = self.cwd.replace('"', "\"\"");
                let text = match self.settings.profile {
                    ServerProfile::Vsftpd => format!("\"{quoted}\" is the current directory"),
                    ServerProfile::Pyftpdlib => format!("\"{quoted}\" is the current directory."),
                };
                self.reply(code::PATHNAME, text)
            }
            Command::Cwd(dir) => self.change_dir(&dir),
            Command::Cdup => self.change_dir(".."),
            Command::Type(kind) => {
                self.transfer_type = kind;
                let text = match (self.settings.profile, kind) {
                    (ServerProfile::Vsftpd, TransferType::Ascii) => "Switching to ASCII mode.",
                    (ServerProfile::Vsftpd, TransferType::Image) => "Switching to Binary mode.",
                    (ServerProfile::Pyftpdlib, TransferType::Ascii) => "Type set to: ASCII.",
                    (ServerProfile::Pyftpdlib, TransferType::Image) => "Type set to: Binary.",
                };
                self.reply(code::OK, text)
            }
            Command::Mode(mode) if mode.eq_ignore_ascii_case("S") => self.reply(code::OK, "Mode set to S."),
            Command::Mode(_) => self.reply(code::BAD_PARAMETER, "Bad MODE command."),
            Command::Stru(stru) if stru.eq_ignore_ascii_case("F") => self.reply(code::OK, "Structure set to F."),
            Command::Stru(_) => self.reply(code::BAD_PARAMETER, "Bad STRU command."),
            Command::Noop => self.reply(code::OK, "NOOP ok."),
            Command::Size(_)
                if self.settings.profile == ServerProfile::Pyftpdlib && self.transfer_type == TransferType::Ascii =>
            {
                self.reply(code::FILE_UNAVAILABLE, "SIZE not allowed in ASCII mode.")
            }
            Command::Size(name) => {
                let path = FileTree::resolve(&self.cwd, &name);
                match self.files.read(&path) {
                    Ok(contents) => {
                        let size = contents.len();
                        self.reply(code::FILE_STATUS, size.to_string())
                    }
                    Err(_) => self.reply(code::FILE_UNAVAILABLE, "Could not get file size."),
                }
            }
            Command::Abor => self.reply(code::NO_TRANSFER, "No transfer to ABOR."),
            Command::Port(target) => self.on_port(SocketAddr::V4(target), Verb::Port),
            Command::Eprt(target) => self.on_port(target, Verb::Eprt),
            Command::Pasv => self.on_passive(false),
            Command::Epsv(arg) => self.on_epsv(arg),
            // Only with ssl_enable (handled before login); without it vsftpd knows none of them.
            Command::Auth(_) | Command::Pbsz(_) | Command::Prot(_) => {
                self.reply(code::SYNTAX_ERROR, "Unknown command.")
            }
            Command::List(arg) => self.on_list(arg, false),
            Command::Nlst(arg) => self.on_list(arg, true),
            Command::Retr(name) => {
                let path = FileTree::resolve(&self.cwd, &name);
                self.start_transfer(Job::Retr { path, shown_as: name });
            }
            Command::Stor(name) => {
                let path = FileTree::resolve(&self.cwd, &name);
                self.start_transfer(Job::Stor { path });
            }
            Command::Quit => self.quit(),
            Command::Feat => self.send_feat(),
        }
    }

    fn change_dir(&mut self, dir: &str) {
        let path = FileTree::resolve(&self.cwd, dir);
        let profile = self.settings.profile;
        // An empty name is no directory (vsftpd's chdir("") fails), not the current one.
        if !dir.is_empty() && self.files.is_dir(&path) {
            let text = match profile {
                ServerProfile::Vsftpd => "Directory successfully changed.".to_owned(),
                ServerProfile::Pyftpdlib => format!("\"{path}\" is the current directory."),
            };
            self.cwd = path;
            self.reply(code::FILE_ACTION_OK, text);
        } else {
            let text = match profile {
                ServerProfile::Vsftpd => "Failed to change directory.",
                ServerProfile::Pyftpdlib => "No such file or directory.",
            };
            self.reply(code::FILE_UNAVAILABLE, text);
        }
    }

    fn on_list(&mut self, arg: Option<String>, names_only: bool) {
        let (path, filter) = match self.settings.profile {
            ServerProfile::Vsftpd => self.vsftpd_list_target(arg.as_deref().unwrap_or_default()),
            ServerProfile::Pyftpdlib => {
                // `LIST -la` and friends: ls options are ignored.
                let dir = arg.filter(|arg| !arg.starts_with('-')).unwrap_or_else(|| ".".to_owned());
                (FileTree::resolve(&self.cwd, &dir), None)
            }
        };
        self.start_transfer(Job::List { path, filter, names_only });
    }

    /// What vsftpd's `handle_dir_common` lists for a `LIST`/`NLST` argument: options (a leading
    /// `-`) run to the first space and are ignored, the rest is a directory (`LIST -l /pub`
    /// lists /pub), or else a name filter on the directory before its last `/` (the current
    /// one without a `/`): `LIST /no-such-dir` lists the root, filtered to nothing.
    fn vsftpd_list_target(&self, arg: &str) -> (String, Option<String>) {
        let filter = match arg.strip_prefix('-') {
            Some(options) => options.split_once(' ').map_or("", |(_, rest)| rest),
            None => arg,
        };
        let whole = FileTree::resolve(&self.cwd, filter);
        if filter.is_empty() || self.files.is_dir(&whole) {
            return (whole, None);
        }
        let (dir, pattern) = match filter.rsplit_once('/') {
            Some(("", pattern)) => ("/", pattern),
            Some((dir, pattern)) => (dir, pattern),
            None => (".", filter),
        };
        let pattern = Some(pattern.to_owned()).filter(|pattern| !pattern.is_empty());
        (FileTree::resolve(&self.cwd, dir), pattern)
    }

    /// The listing of `path`, only the entries whose names pass `filter` when there is one.
    fn listing(&self, path: &str, filter: Option<&str>, names_only: bool) -> Result<String, FsError> {
        let Some(filter) = filter else {
            return if names_only { self.files.list_names(path) } else { self.files.list_long(path) };
        };
        if !self.files.is_dir(path) {
            return Err(FsError::NotADirectory { path: path.to_owned() });
        }
        // Both listings have one line per entry, in the same order.
        let names = self.files.list_names(path)?;
        let lines = if names_only { names.clone() } else { self.files.list_long(path)? };
        Ok(names
            .split_inclusive("\r\n")
            .zip(lines.split_inclusive("\r\n"))
            .filter(|(name, _)| passes_filter(name.trim_end_matches("\r\n"), filter))
            .map(|(_, line)| line)
            .collect())
    }

    /// Forgets the current data set-up, closing a passive listener if one is open.
    fn drop_plan(&mut self) {
        match std::mem::replace(&mut self.plan, DataPlan::None) {
            DataPlan::Passive { id, .. } | DataPlan::ActiveConnecting { id } | DataPlan::ActiveOpen { id, .. } => {
                self.emit(Output::CloseData { id });
                self.emit(Output::CancelTimer { timer: TimerKind::DataConnect });
                self.emit(Output::CancelTimer { timer: TimerKind::DataAccept });
            }
            DataPlan::None | DataPlan::Active { .. } => {}
        }
    }

    fn on_port(&mut self, target: SocketAddr, verb: Verb) {
        if self.epsv_all && verb == Verb::Port {
            self.reply(code::FILE_UNAVAILABLE, "Permission denied.");
            return;
        }
        self.drop_plan();
        let peer_ip = self.peer_ip();
        if verb == Verb::Eprt && peer_ip.is_some_and(|peer| peer.is_ipv4() != target.is_ipv4()) {
            let code = match self.settings.profile {
                ServerProfile::Vsftpd => code::SYNTAX_ERROR,
                ServerProfile::Pyftpdlib => code::BAD_PROTOCOL,
            };
            self.reply(code, "Bad EPRT protocol.");
            return;
        }
        if !self.settings.port_promiscuous {
            let same_host = peer_ip == Some(target.ip());
            if !same_host || target.port() < 1024 {
                self.note(if same_host {
                    Note::RefusingPrivilegedPort { verb, target }
                } else {
                    Note::RefusingAddress { verb, target, control_peer: peer_ip }
                });
                return match self.settings.profile {
                    ServerProfile::Vsftpd => self.reply(code::SYNTAX_ERROR, format!("Illegal {verb} command.")),
                    ServerProfile::Pyftpdlib if same_host => self.reply(
                        code::BAD_ARGUMENT,
                        format!("PORT against the privileged port \"{}\" refused.", target.port()),
                    ),
                    ServerProfile::Pyftpdlib => self.reply(
                        code::BAD_ARGUMENT,
                        format!("Rejected data connection to foreign address {}:{}.", target.ip(), target.port()),
                    ),
                };
            }
        }
        if self.settings.profile == ServerProfile::Pyftpdlib {
            // pyftpdlib connects now, from an ephemeral port, and says 200 once connected.
            let Some(local_ip) = self.local_ip() else {
                return;
            };
            let id = self.new_data_id();
            self.emit(Output::Connect { id, from: SocketAddr::new(local_ip, 0), to: target });
            self.emit(Output::SetTimer { timer: TimerKind::DataConnect, at: self.now + self.settings.connect_timeout });
            self.plan = DataPlan::ActiveConnecting { id };
            return;
        }
        self.plan = DataPlan::Active { target };
        let text = match verb {
            Verb::Eprt => "EPRT command successful. Consider using EPSV.",
            _ => "PORT command successful. Consider using PASV.",
        };
        self.reply(code::OK, text);
    }

    fn on_epsv(&mut self, arg: EpsvArg) {
        let pyftpdlib = self.settings.profile == ServerProfile::Pyftpdlib;
        match self.settings.epsv {
            EpsvSupport::Refused500 if pyftpdlib => {
                return self.reply(code::SYNTAX_ERROR, "Command \"EPSV\" not understood.");
            }
            EpsvSupport::Refused500 => return self.reply(code::SYNTAX_ERROR, "Unknown command."),
            EpsvSupport::Refused502 if pyftpdlib => return self.reply(code::NOT_IMPLEMENTED, "EPSV not implemented."),
            EpsvSupport::Refused502 => return self.reply(code::NOT_IMPLEMENTED, "Command not implemented."),
            EpsvSupport::Enabled => {}
        }
        let on_ipv6 = self.local_ip().is_some_and(|ip| ip.is_ipv6());
        match arg {
            EpsvArg::All => {
                self.epsv_all = true;
                self.reply(code::OK, "EPSV ALL ok.")
            }
            EpsvArg::Protocol(proto) if !(1..=2).contains(&proto) || (proto == 2 && !on_ipv6) => {
                self.reply(code::BAD_PROTOCOL, "Bad network protocol.")
            }
            EpsvArg::Protocol(_) | EpsvArg::Any => self.on_passive(true),
        }
    }

    fn on_passive(&mut self, extended: bool) {
        if self.epsv_all && !extended {
            self.reply(code::FILE_UNAVAILABLE, "Permission denied.");
            return;
        }
        self.drop_plan();
        let id = self.new_data_id();
        self.plan = DataPlan::Passive { id, extended, phase: PassivePhase::Opening { attempt: 1 } };
        self.listen_passive(id);
    }

    fn listen_passive(&mut self, id: DataId) {
        let Some(local_ip) = self.local_ip() else {
            return;
        };
        let (min, max) = self.settings.passive_range();
        let port = rng::in_range(self.settings.seed, self.passive_ports_drawn, min, max);
        self.passive_ports_drawn += 1;
        self.emit(Output::Listen { id, on: SocketAddr::new(local_ip, port) });
    }

    fn on_passive_listening(&mut self, local: SocketAddr) {
        let DataPlan::Passive { extended, phase, .. } = &mut self.plan else {
            return;
        };
        let extended = *extended;
        *phase = PassivePhase::Listening { local };
        let pyftpdlib = self.settings.profile == ServerProfile::Pyftpdlib;
        if pyftpdlib {
            // pyftpdlib's passive listener times out on its own, counted from PASV.
            self.emit(Output::SetTimer { timer: TimerKind::DataAccept, at: self.now + self.settings.accept_timeout });
        }
        if extended {
            let text = if pyftpdlib {
                format!("Entering extended passive mode (|||{}|).", local.port())
            } else {
                format_extended_passive_text(local.port())
            };
            self.reply(code::EXTENDED_PASSIVE, text);
            return;
        }
        // vsftpd writes pasv_address when set, else its own address; on IPv6 it cannot express
        // either and writes 0,0,0,0.
        let shown_ip = match local.ip() {
            IpAddr::V4(own) => self.settings.pasv_address.unwrap_or(own),
            IpAddr::V6(own) => own.to_ipv4_mapped().unwrap_or(Ipv4Addr::UNSPECIFIED),
        };
        if let Some(public) = self.settings.pasv_address.filter(|_| local.is_ipv4()) {
            self.note(Note::AnnouncingPasvAddress { public, own: local.ip() });
        }
        let announced = SocketAddrV4::new(shown_ip, local.port());
        let text = if pyftpdlib {
            format!("Entering passive mode ({}).", format_host_port(announced))
        } else {
            format_passive_text(announced)
        };
        self.reply(code::PASSIVE, text);
    }

    fn on_passive_listen_failed(&mut self, id: DataId) {
        let DataPlan::Passive { phase: PassivePhase::Opening { attempt }, .. } = &mut self.plan else {
            return;
        };
        if *attempt < PASSIVE_LISTEN_ATTEMPTS {
            *attempt += 1;
            self.listen_passive(id);
        } else {
            self.plan = DataPlan::None;
            self.reply(code::CANT_OPEN_DATA, "Failed to enter passive mode: no free port in the passive range.");
        }
    }

    /// LIST / NLST / RETR / STOR: check, then get the data connection, then 150.
    fn start_transfer(&mut self, job: Job) {
        let pyftpdlib = self.settings.profile == ServerProfile::Pyftpdlib;
        if matches!(self.plan, DataPlan::None) && !pyftpdlib {
            self.reply(code::CANT_OPEN_DATA, "Use PORT or PASV first.");
            return;
        }
        let anonymous = matches!(self.login, Login::LoggedIn { anonymous: true });
        // Both servers check the file and the permission before they touch the data connection.
        // A refusal keeps vsftpd's data set-up for the next transfer command (handle_retr and
        // handle_upload_common return before their cleanup; measured for RETR and STOR);
        // pyftpdlib's profile closes it.
        let refusal = match &job {
            Job::Retr { path, .. } if self.files.read(path).is_err() => {
                let text = if pyftpdlib { "No such file or directory." } else { "Failed to open file." };
                Some((code::FILE_UNAVAILABLE, text))
            }
            Job::Stor { .. } if !self.settings.write_enable || (anonymous && !self.settings.anon_upload_enable) => {
                let text = if pyftpdlib { "Not enough privileges." } else { "Permission denied." };
                Some((code::FILE_UNAVAILABLE, text))
            }
            Job::Stor { path } if self.files.check_writable(path).is_err() => {
                Some((code::NAME_NOT_ALLOWED, "Could not create file."))
            }
            _ => None,
        };
        if let Some((code, text)) = refusal {
            if pyftpdlib {
                self.drop_plan();
            }
            return self.reply(code, text);
        }
        match std::mem::replace(&mut self.plan, DataPlan::None) {
            DataPlan::None => {
                // pyftpdlib without PORT or PASV: it says 150 and waits for a connection that
                // never comes.
                self.reply(code::OPENING_DATA, "File status okay. About to open data connection.");
            }
            DataPlan::Active { .. } if self.settings.port_promiscuous && self.settings.connect_from_port_20 => {
                // vsftpd takes its unprivileged path when port_promiscuous is set, cannot bind
                // port 20 there, and its session process dies.
                self.note(Note::CannotBindPort20 { port: self.settings.ftp_data_port });
                // The dying session writes both at once; they usually reach the client together.
                let first = Reply::new(code::SYNTAX_ERROR, "OOPS: vsf_sysutil_bind");
                let second = Reply::new(code::SYNTAX_ERROR, "OOPS: priv_sock_get_cmd");
                let mut bytes = first.to_bytes();
                bytes.extend_from_slice(&second.to_bytes());
                self.emit(Output::SendControl(bytes));
                self.emit(Output::Trace(FtpTrace::ReplySent(first)));
                self.emit(Output::Trace(FtpTrace::ReplySent(second)));
                self.emit(Output::CloseControl);
                self.close_session();
            }
            DataPlan::Active { target } => {
                let Some(local_ip) = self.local_ip() else {
                    return;
                };
                let id = self.new_data_id();
                let port = if self.settings.connect_from_port_20 { self.settings.ftp_data_port } else { 0 };
                self.emit(Output::Connect { id, from: SocketAddr::new(local_ip, port), to: target });
                self.emit(Output::SetTimer {
                    timer: TimerKind::DataConnect,
                    at: self.now + self.settings.connect_timeout,
                });
                self.transfer = Some(Transfer { id, job, phase: TransferPhase::Connecting });
            }
            DataPlan::ActiveConnecting { id } => {
                // Not reached: commands wait while pyftpdlib connects.
                self.plan = DataPlan::ActiveConnecting { id };
            }
            DataPlan::ActiveOpen { id, peer } => {
                self.transfer = Some(Transfer { id, job, phase: TransferPhase::Accepting });
                self.on_data_connected(peer, true);
            }
            DataPlan::Passive { id, phase, .. } => match phase {
                PassivePhase::Accepted { peer, .. } => {
                    self.transfer = Some(Transfer { id, job, phase: TransferPhase::Accepting });
                    self.on_data_connected(peer, true);
                }
                PassivePhase::Listening { .. } | PassivePhase::Opening { .. } => {
                    if pyftpdlib {
                        // Its passive timer has been running since PASV.
                        self.reply(code::OPENING_DATA, "File status okay. About to open data connection.");
                    } else {
                        self.emit(Output::SetTimer {
                            timer: TimerKind::DataAccept,
                            at: self.now + self.settings.accept_timeout,
                        });
                    }
                    self.transfer = Some(Transfer { id, job, phase: TransferPhase::Accepting });
                }
            },
        }
    }

    /// The data connection of the current transfer is up: check the peer, send the
    /// preliminary reply (pyftpdlib says 125 when the connection was there before the command,
    /// and has already said 150 otherwise), move data.
    fn on_data_connected(&mut self, peer: SocketAddr, was_open: bool) {
        let Some(transfer) = self.transfer.take() else {
            return;
        };
        let id = transfer.id;
        let pyftpdlib = self.settings.profile == ServerProfile::Pyftpdlib;
        self.emit(Output::CancelTimer { timer: TimerKind::DataConnect });
        self.emit(Output::CancelTimer { timer: TimerKind::DataAccept });
        if transfer.phase == TransferPhase::Accepting
            && !self.settings.pasv_promiscuous
            && self.peer_ip() != Some(peer.ip())
        {
            self.note(Note::ForeignDataPeer { peer: peer.ip() });
            self.emit(Output::CloseData { id });
            let text = if pyftpdlib {
                format!("Rejected data connection from foreign address {}:{}.", peer.ip(), peer.port())
            } else {
                "Security: Bad IP connecting.".to_owned()
            };
            return self.reply(code::CANT_OPEN_DATA, text);
        }
        if pyftpdlib && was_open {
            self.reply(code::ALREADY_OPEN, "Data connection already open. Transfer starting.");
        }
        let done = if pyftpdlib { "Transfer complete." } else { "Directory send OK." };
        match transfer.job {
            Job::List { path, filter, names_only } => {
                if !pyftpdlib {
                    self.reply(code::OPENING_DATA, "Here comes the directory listing.");
                }
                let listing = self.listing(&path, filter.as_deref(), names_only);
                match listing {
                    Ok(text) => {
                        if !text.is_empty() {
                            self.emit(Output::SendData { id, bytes: text.into_bytes() });
                        }
                        self.emit(Output::CloseData { id });
                        self.reply(code::TRANSFER_COMPLETE, done);
                    }
                    Err(_) => {
                        self.emit(Output::CloseData { id });
                        self.reply(code::TRANSFER_COMPLETE, "Transfer done (but failed to open directory).");
                    }
                }
            }
            Job::Retr { path, shown_as } => {
                let contents = self.files.read(&path).map(<[u8]>::to_vec).unwrap_or_default();
                if !pyftpdlib {
                    // vsftpd says BINARY whatever the TYPE: it does no ASCII conversion by default.
                    self.reply(
                        code::OPENING_DATA,
                        format!("Opening BINARY mode data connection for {shown_as} ({} bytes).", contents.len()),
                    );
                }
                if !contents.is_empty() {
                    self.emit(Output::SendData { id, bytes: contents });
                }
                self.emit(Output::CloseData { id });
                self.reply(code::TRANSFER_COMPLETE, "Transfer complete.");
            }
            Job::Stor { path } => {
                if !pyftpdlib {
                    self.reply(code::OPENING_DATA, "Ok to send data.");
                }
                self.transfer = Some(Transfer {
                    id,
                    job: Job::Stor { path },
                    phase: TransferPhase::Receiving { received: Vec::new() },
                });
            }
        }
    }

    fn on_data_failed(&mut self, why: Note) {
        let Some(transfer) = self.transfer.take() else {
            return;
        };
        self.emit(Output::CancelTimer { timer: TimerKind::DataConnect });
        self.emit(Output::CancelTimer { timer: TimerKind::DataAccept });
        self.emit(Output::CloseData { id: transfer.id });
        self.note(why);
        self.reply(code::CANT_OPEN_DATA, "Failed to establish connection.");
    }

    /// pyftpdlib's active connect, made at PORT time, ended: 200 when it is up; 425 when it was
    /// refused; 421 when its timer ran out (see [`FtpServer::on_timer`]).
    fn on_active_connect_done(&mut self, id: DataId, result: Result<SocketAddr, ConnectError>) {
        self.emit(Output::CancelTimer { timer: TimerKind::DataConnect });
        match result {
            Ok(peer) => {
                self.plan = DataPlan::ActiveOpen { id, peer };
                self.reply(code::OK, "Active data connection established.");
            }
            Err(error) => {
                self.plan = DataPlan::None;
                self.emit(Output::CloseData { id });
                self.note(Note::DataConnectFailed { error });
                self.reply(code::CANT_OPEN_DATA, "Can't connect to specified address.");
            }
        }
    }

    fn on_data_event(&mut self, id: DataId, event: DataEvent) {
        let transfer_id = self.transfer.as_ref().map(|transfer| transfer.id);
        let plan_id = match &self.plan {
            DataPlan::Passive { id, .. } | DataPlan::ActiveConnecting { id } | DataPlan::ActiveOpen { id, .. } => {
                Some(*id)
            }
            _ => None,
        };
        let active_connecting = matches!(self.plan, DataPlan::ActiveConnecting { .. });
        match event {
            DataEvent::Connected { peer, .. } if active_connecting && plan_id == Some(id) => {
                self.on_active_connect_done(id, Ok(peer))
            }
            DataEvent::ConnectFailed(error) if active_connecting && plan_id == Some(id) => {
                self.on_active_connect_done(id, Err(error))
            }
            DataEvent::Listening { local } if plan_id == Some(id) => self.on_passive_listening(local),
            DataEvent::ListenFailed if plan_id == Some(id) => self.on_passive_listen_failed(id),
            DataEvent::Connected { local, peer } if plan_id == Some(id) => {
                if let DataPlan::Passive { phase, .. } = &mut self.plan {
                    *phase = PassivePhase::Accepted { local, peer };
                }
                if self.settings.profile == ServerProfile::Pyftpdlib {
                    self.emit(Output::CancelTimer { timer: TimerKind::DataAccept });
                }
            }
            DataEvent::Connected { peer, .. } if transfer_id == Some(id) => self.on_data_connected(peer, false),
            DataEvent::ConnectFailed(error) if transfer_id == Some(id) => {
                self.on_data_failed(Note::DataConnectFailed { error })
            }
            DataEvent::Bytes(bytes) if transfer_id == Some(id) => {
                if let Some(Transfer { phase: TransferPhase::Receiving { received }, .. }) = &mut self.transfer {
                    received.extend_from_slice(&bytes);
                }
            }
            DataEvent::Closed if transfer_id == Some(id) => self.on_upload_finished(),
            DataEvent::Reset if transfer_id == Some(id) => {
                if let Some(transfer) = self.transfer.take() {
                    self.emit(Output::CloseData { id: transfer.id });
                    self.reply(code::TRANSFER_ABORTED, "Failure reading network stream.");
                }
            }
            // Events for connections this session no longer cares about (a listener replaced by
            // a newer PASV, the tail of a finished transfer) change nothing.
            _ => {}
        }
    }

    fn on_upload_finished(&mut self) {
        let Some(Transfer { id, job: Job::Stor { path }, phase: TransferPhase::Receiving { received } }) =
            self.transfer.take()
        else {
            return;
        };
        self.emit(Output::CloseData { id });
        let size = received.len();
        match self.files.write(&path, received) {
            Ok(()) => {
                self.note(Note::Stored { bytes: size, path });
                self.reply(code::TRANSFER_COMPLETE, "Transfer complete.")
            }
            Err(_) => {
                self.note(Note::StoreFailed { path });
                self.reply(code::NAME_NOT_ALLOWED, "Could not create file.")
            }
        }
    }

    fn on_timer(&mut self, timer: TimerKind) {
        if self.settings.profile == ServerProfile::Pyftpdlib {
            return self.on_pyftpdlib_timer(timer);
        }
        let phase = self.transfer.as_ref().map(|transfer| &transfer.phase);
        match (timer, phase) {
            (TimerKind::DataConnect, Some(TransferPhase::Connecting)) => {
                let after = self.settings.connect_timeout;
                self.on_data_failed(Note::ConnectTimeout { after })
            }
            (TimerKind::DataAccept, Some(TransferPhase::Accepting)) => {
                let after = self.settings.accept_timeout;
                self.on_data_failed(Note::AcceptTimeout { after })
            }
            _ => {}
        }
    }

    /// pyftpdlib's data channel timers: the active connect (from PORT) and the passive
    /// listener (from PASV). Each ends with 421, and the control connection stays open.
    fn on_pyftpdlib_timer(&mut self, timer: TimerKind) {
        let after = match timer {
            TimerKind::DataConnect => self.settings.connect_timeout,
            _ => self.settings.accept_timeout,
        };
        match (timer, &self.plan) {
            (TimerKind::DataConnect, DataPlan::ActiveConnecting { .. }) => {
                self.drop_plan();
                self.note(Note::ConnectTimeout { after });
                self.reply(code::NOT_AVAILABLE, "Active data channel timed out.");
            }
            (TimerKind::DataAccept, DataPlan::Passive { phase: PassivePhase::Listening { .. }, .. }) => {
                self.drop_plan();
                if let Some(transfer) = self.transfer.take() {
                    self.emit(Output::CloseData { id: transfer.id });
                }
                self.note(Note::AcceptTimeout { after });
                self.reply(code::NOT_AVAILABLE, "Passive data channel timed out.");
            }
            (TimerKind::DataAccept, DataPlan::None)
                if self.transfer.as_ref().is_some_and(|t| t.phase == TransferPhase::Accepting) =>
            {
                // A transfer waiting on the listener (150 sent): the listener times out the same.
                if let Some(transfer) = self.transfer.take() {
                    self.emit(Output::CloseData { id: transfer.id });
                }
                self.note(Note::AcceptTimeout { after });
                self.reply(code::NOT_AVAILABLE, "Passive data channel timed out.");
            }
            _ => {}
        }
    }

    fn close_session(&mut self) {
        self.login = Login::Closed;
        self.drop_plan();
        if let Some(transfer) = self.transfer.take() {
            self.emit(Output::CloseData { id: transfer.id });
        }
        self.emit(Output::CancelTimer { timer: TimerKind::DataConnect });
        self.emit(Output::CancelTimer { timer: TimerKind::DataAccept });
    }
}

/// Whether a file name passes a listing filter: `*` stands for any run of characters, `?` for
/// one, anything else for itself. (vsftpd's `vsf_filename_passes_filter` also reads `{a,b}`
/// lists, left out here.)
fn passes_filter(name: &str, filter: &str) -> bool {
    let name: Vec<char> = name.chars().collect();
    let filter: Vec<char> = filter.chars().collect();
    // Iterative wildcard matching, backtracking only to the last `*`.
    let (mut at_name, mut at_filter) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while at_name < name.len() {
        match filter.get(at_filter) {
            Some('*') => {
                last_star = Some((at_filter, at_name));
                at_filter += 1;
            }
            Some(&wanted) if wanted == '?' || wanted == name[at_name] => {
                at_name += 1;
                at_filter += 1;
            }
            _ => match last_star {
                Some((star, matched)) => {
                    last_star = Some((star, matched + 1));
                    at_filter = star + 1;
                    at_name = matched + 1;
                }
                None => return false,
            },
        }
    }
    filter[at_filter..].iter().all(|&c| c == '*')
}

fn is_anonymous(user: &str) -> bool {
    user.eq_ignore_ascii_case("anonymous") || user.eq_ignore_ascii_case("ftp")
}

impl Engine for FtpServer {
    fn handle(&mut self, now: Instant, input: Input) {
        self.now = now;
        let before = self.state_name();
        match input {
            Input::ControlOpened { local, peer } if self.login == Login::WaitingForControl => {
                self.control = Some((local, peer));
                self.login = Login::NeedUser;
                let banner = self.settings.banner.clone();
                self.reply(code::READY, banner);
            }
            Input::ControlBytes(_) if self.tls == Tls::Negotiating && self.login != Login::Closed => {
                // The client's hello: answer it, and speak TLS from now on. (Once the session is
                // closed, a hello that still comes is not answered: nothing is sent after the close.)
                self.emit(Output::SendControl(super::tls_hello(false)));
                self.emit(Output::SecureControl);
                self.note(Note::TlsEstablished);
                self.tls = Tls::Secure;
            }
            Input::ControlBytes(bytes) => self.decoder.push(&bytes),
            Input::ControlClosed => {
                // vsftpd's session process exits when the client hangs up, closing its end too.
                if self.login != Login::Closed {
                    self.emit(Output::CloseControl);
                }
                self.close_session();
            }
            Input::Data { id, event } => self.on_data_event(id, event),
            Input::Timer(timer) => self.on_timer(timer),
            Input::ControlOpened { .. } | Input::ControlFailed(_) => {}
        }
        self.process_commands();
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

    const SERVER: &str = "198.51.100.10:21";
    const CLIENT: &str = "203.0.113.1:40000";

    fn addr(text: &str) -> SocketAddr {
        text.parse().expect("test address")
    }

    fn server_with(settings: ServerSettings) -> FtpServer {
        let mut server = FtpServer::new(settings, FileTree::default());
        server.handle(Instant::ZERO, Input::ControlOpened { local: addr(SERVER), peer: addr(CLIENT) });
        server
    }

    fn drain(server: &mut FtpServer) -> Vec<Output> {
        std::iter::from_fn(|| server.poll_output()).collect()
    }

    fn replies(outputs: &[Output]) -> Vec<String> {
        outputs
            .iter()
            .filter_map(|output| match output {
                Output::Trace(FtpTrace::ReplySent(reply)) => Some(reply.to_string().trim_end().to_owned()),
                _ => None,
            })
            .collect()
    }

    /// Sends command lines and returns the replies they produced.
    fn say(server: &mut FtpServer, lines: &str) -> Vec<String> {
        drain(server);
        server.handle(Instant::ZERO, Input::ControlBytes(lines.as_bytes().to_vec()));
        replies(&drain(server))
    }

    fn logged_in(settings: ServerSettings) -> FtpServer {
        let mut server = server_with(settings);
        say(&mut server, "USER anonymous\r\nPASS guest@\r\n");
        server
    }

    /// Logged in as the lesson server's local account, which may upload.
    fn logged_in_as_demo(settings: ServerSettings) -> FtpServer {
        let mut server = server_with(settings);
        say(&mut server, "USER demo\r\nPASS demo\r\n");
        server
    }

    #[test]
    fn greets_like_vsftpd() {
        let mut server = server_with(ServerSettings::default());
        let outputs = drain(&mut server);
        assert_eq!(replies(&outputs), ["220 (vsFTPd 3.0.3)"]);
        assert!(outputs.contains(&Output::Trace(FtpTrace::State {
            from: "WAITING-FOR-CONTROL".into(),
            to: "AWAITING-USER".into()
        })));
    }

    #[test]
    fn anonymous_login() {
        let mut server = server_with(ServerSettings::default());
        assert_eq!(say(&mut server, "USER anonymous\r\n"), ["331 Please specify the password."]);
        assert_eq!(server.state_name(), "AWAITING-PASSWORD");
        assert_eq!(say(&mut server, "PASS me@example.com\r\n"), ["230 Login successful."]);
        assert_eq!(server.state_name(), "LOGGED-IN");
        assert_eq!(say(&mut server, "USER other\r\n"), ["530 Can't change from guest user."]);
        assert_eq!(say(&mut server, "PASS x\r\n"), ["230 Already logged in."]);
    }

    #[test]
    fn demo_account_and_wrong_password() {
        let mut server = server_with(ServerSettings::lesson());
        assert_eq!(
            say(&mut server, "USER demo\r\nPASS nope\r\n"),
            ["331 Please specify the password.", "530 Login incorrect."]
        );
        assert_eq!(server.state_name(), "AWAITING-USER");
        assert_eq!(
            say(&mut server, "USER demo\r\nPASS demo\r\n"),
            ["331 Please specify the password.", "230 Login successful."]
        );
        let mut anonymous_only = server_with(ServerSettings::default());
        assert_eq!(say(&mut anonymous_only, "USER demo\r\n"), ["530 This FTP server is anonymous only."]);
    }

    #[test]
    fn commands_before_login_get_530_and_wrong_order_503() {
        let mut server = server_with(ServerSettings::default());
        assert_eq!(say(&mut server, "PASS x\r\n"), ["503 Login with USER first."]);
        for line in ["LIST\r\n", "PASV\r\n", "PORT 1,2,3,4,5,6\r\n", "SYST\r\n", "XYZZY\r\n", "RETR\r\n"] {
            assert_eq!(say(&mut server, line), ["530 Please login with USER and PASS."], "{line:?}");
        }
        assert_eq!(say(&mut server, "FEAT\r\n").len(), 1);
    }

    #[test]
    fn simple_commands_after_login() {
        let mut server = logged_in(ServerSettings::default());
        let cases = [
            ("SYST", "215 UNIX Type: L8"),
            ("PWD", "257 \"/\" is the current directory"),
            ("CWD pub", "250 Directory successfully changed."),
            ("PWD", "257 \"/pub\" is the current directory"),
            ("CWD nowhere", "550 Failed to change directory."),
            ("SIZE readme.txt", "213 150"),
            ("SIZE nothing", "550 Could not get file size."),
            ("CDUP", "250 Directory successfully changed."),
            ("PWD", "257 \"/\" is the current directory"),
            ("TYPE I", "200 Switching to Binary mode."),
            ("type a", "200 Switching to ASCII mode."),
            ("TYPE X", "500 Unrecognised TYPE command."),
            ("MODE S", "200 Mode set to S."),
            ("MODE B", "504 Bad MODE command."),
            ("STRU F", "200 Structure set to F."),
            ("STRU R", "504 Bad STRU command."),
            ("NOOP", "200 NOOP ok."),
            ("ABOR", "225 No transfer to ABOR."),
            ("XYZZY", "500 Unknown command."),
            ("RETR", "425 Use PORT or PASV first."),
            ("LIST", "425 Use PORT or PASV first."),
            ("EPSV ALL", "200 EPSV ALL ok."),
            ("PASV", "550 Permission denied."),
            ("PORT 203,0,113,1,200,0", "550 Permission denied."),
        ];
        for (line, expected) in cases {
            assert_eq!(say(&mut server, &format!("{line}\r\n")), [expected], "{line}");
        }
    }

    /// Each expectation checked against a real vsftpd 3.0.3 (tests/sockets/test_hostile.py).
    #[test]
    fn commands_without_their_argument_are_read_with_an_empty_one() {
        let mut server = logged_in(ServerSettings::lesson());
        let cases = [
            ("RETR", "425 Use PORT or PASV first."),
            ("STOR", "425 Use PORT or PASV first."),
            ("CWD", "550 Failed to change directory."),
            ("SIZE", "550 Could not get file size."),
            ("TYPE", "500 Unrecognised TYPE command."),
            ("USER", "530 Can't change from guest user."),
            ("MODE", "504 Bad MODE command."),
            ("STRU", "504 Bad STRU command."),
        ];
        for (line, expected) in cases {
            assert_eq!(say(&mut server, &format!("{line}\r\n")), [expected], "{line}");
        }
        assert_eq!(say(&mut server, "PWD\r\n"), ["257 \"/\" is the current directory"], "CWD went nowhere");
        // With a data set-up, the empty name is no file.
        passive_ready(&mut server);
        assert_eq!(say(&mut server, "RETR\r\n"), ["550 Failed to open file."]);
        // Before login, USER without a name is a user like any other.
        let mut fresh = server_with(ServerSettings::default());
        assert_eq!(say(&mut fresh, "USER\r\n"), ["530 This FTP server is anonymous only."]);
        assert_eq!(say(&mut fresh, "RETR\r\n"), ["530 Please login with USER and PASS."]);
        // pyftpdlib's profile keeps its 501.
        let mut pyftpdlib = logged_in(pyftpdlib());
        assert_eq!(say(&mut pyftpdlib, "RETR\r\n"), ["501 Syntax error in parameters or arguments."]);
    }

    #[test]
    fn feat_lists_the_extensions() {
        let mut server = server_with(ServerSettings::default());
        drain(&mut server);
        assert_eq!(
            say(&mut server, "FEAT\r\n"),
            ["211-Features:\r\n EPRT\r\n EPSV\r\n PASV\r\n SIZE\r\n UTF8\r\n211 End"]
        );
        let mut old = server_with(ServerSettings { epsv: EpsvSupport::Refused502, ..ServerSettings::default() });
        assert!(!say(&mut old, "FEAT\r\n")[0].contains("EPSV"));
    }

    #[test]
    fn port_to_the_control_peer_is_accepted() {
        let mut server = logged_in(ServerSettings::default());
        assert_eq!(
            say(&mut server, "PORT 203,0,113,1,195,80\r\n"),
            ["200 PORT command successful. Consider using PASV."]
        );
        assert_eq!(server.state_name(), "PORT-READY");
        assert_eq!(
            say(&mut server, "EPRT |1|203.0.113.1|50001|\r\n"),
            ["200 EPRT command successful. Consider using EPSV."]
        );
    }

    #[test]
    fn port_to_another_address_or_a_low_port_is_illegal() {
        let mut server = logged_in(ServerSettings::default());
        assert_eq!(say(&mut server, "PORT 192,168,1,2,195,80\r\n"), ["500 Illegal PORT command."]);
        assert_eq!(say(&mut server, "PORT 203,0,113,1,0,80\r\n"), ["500 Illegal PORT command."]);
        assert_eq!(say(&mut server, "EPRT |1|192.168.1.2|50000|\r\n"), ["500 Illegal EPRT command."]);
        assert_eq!(say(&mut server, "EPRT |2|2001:db8::2|50000|\r\n"), ["500 Bad EPRT protocol."]);
        assert_eq!(server.state_name(), "LOGGED-IN");
        let mut promiscuous = logged_in(ServerSettings { port_promiscuous: true, ..ServerSettings::default() });
        assert_eq!(
            say(&mut promiscuous, "PORT 192,168,1,2,195,80\r\n"),
            ["200 PORT command successful. Consider using PASV."]
        );
    }

    /// Each expectation checked against a real vsftpd 3.0.3 (tests/sockets/test_hostile.py).
    #[test]
    fn malformed_port_eprt_and_epsv_get_vsftpds_answers() {
        let mut server = logged_in(ServerSettings::default());
        let cases = [
            ("PORT 1,2,3", "500 Illegal PORT command."),
            ("PORT a,b,c,d,e,f", "500 Illegal PORT command."),
            ("PORT 127,0,0,1,300,1", "500 Illegal PORT command."),
            ("PORT 127,0,0,1,-1,5", "500 Illegal PORT command."),
            ("PORT", "500 Illegal PORT command."),
            ("EPRT", "500 Bad EPRT protocol."),
            ("EPRT garbage", "500 Bad EPRT command."),
            ("EPRT |1|nonsense|5|", "500 Bad EPRT command."),
            ("EPRT |1|203.0.113.1|99999|", "500 Bad EPRT command."),
            ("EPRT |1|203.0.113.1||", "500 Bad EPRT command."),
            ("EPRT |9|x|1|", "500 Bad EPRT protocol."),
            ("EPRT |2|::1|50000|", "500 Bad EPRT protocol."),
            ("EPRT |2|nonsense|50000|", "500 Bad EPRT protocol."),
            ("EPSV 2", "522 Bad network protocol."),
            ("EPSV 3", "522 Bad network protocol."),
            ("EPSV x", "522 Bad network protocol."),
            ("TYPE X", "500 Unrecognised TYPE command."),
        ];
        for (line, expected) in cases {
            assert_eq!(say(&mut server, &format!("{line}\r\n")), [expected], "{line}");
            assert_eq!(server.state_name(), "LOGGED-IN", "{line} sets nothing up");
        }
    }

    #[test]
    fn a_malformed_port_or_eprt_forgets_the_pasv_before_it() {
        for line in ["PORT 1,2,3\r\n", "EPRT garbage\r\n", "EPRT |9|x|1|\r\n"] {
            let mut server = logged_in(ServerSettings::lesson());
            let (id, _) = passive_ready(&mut server);
            server.handle(Instant::ZERO, Input::ControlBytes(line.as_bytes().to_vec()));
            let outputs = drain(&mut server);
            assert!(outputs.contains(&Output::CloseData { id }), "{line:?}: {outputs:?}");
            assert_eq!(server.state_name(), "LOGGED-IN", "{line:?}");
        }
        // After EPSV ALL, PORT is refused before its address is read.
        let mut server = logged_in(ServerSettings::lesson());
        say(&mut server, "EPSV ALL\r\n");
        assert_eq!(say(&mut server, "PORT 1,2,3\r\n"), ["550 Permission denied."]);
    }

    #[test]
    fn pasv_listens_then_answers_227_with_its_own_or_the_public_address() {
        let mut server = logged_in(ServerSettings::lesson());
        let outputs = {
            drain(&mut server);
            server.handle(Instant::ZERO, Input::ControlBytes(b"PASV\r\n".to_vec()));
            drain(&mut server)
        };
        let Some(Output::Listen { id, on }) = outputs.iter().find(|o| matches!(o, Output::Listen { .. })).cloned()
        else {
            panic!("no Listen in {outputs:?}");
        };
        assert!((50000..=51000).contains(&on.port()));
        assert_eq!(on.ip(), addr(SERVER).ip());
        assert!(replies(&outputs).is_empty(), "227 waits for the listener");
        assert_eq!(server.state_name(), "OPENING-PASSIVE");
        server.handle(Instant::ZERO, Input::Data { id, event: DataEvent::Listening { local: on } });
        let [p1, p2] = on.port().to_be_bytes();
        assert_eq!(replies(&drain(&mut server)), [format!("227 Entering Passive Mode (198,51,100,10,{p1},{p2}).")]);
        assert_eq!(server.passive_listener(), Some(on));

        let public = Ipv4Addr::new(203, 0, 113, 99);
        let mut natted = logged_in(ServerSettings { pasv_address: Some(public), ..ServerSettings::lesson() });
        natted.handle(Instant::ZERO, Input::ControlBytes(b"PASV\r\n".to_vec()));
        let Some(Output::Listen { id, on }) =
            drain(&mut natted).into_iter().find(|o| matches!(o, Output::Listen { .. }))
        else {
            panic!("no Listen");
        };
        natted.handle(Instant::ZERO, Input::Data { id, event: DataEvent::Listening { local: on } });
        assert!(replies(&drain(&mut natted))[0].starts_with("227 Entering Passive Mode (203,0,113,99,"));
    }

    #[test]
    fn passive_port_in_use_is_retried_elsewhere() {
        let mut server = logged_in(ServerSettings::lesson());
        server.handle(Instant::ZERO, Input::ControlBytes(b"EPSV\r\n".to_vec()));
        for _ in 0..PASSIVE_LISTEN_ATTEMPTS {
            let Some(Output::Listen { id, .. }) =
                drain(&mut server).into_iter().find(|o| matches!(o, Output::Listen { .. }))
            else {
                panic!("expected another Listen");
            };
            server.handle(Instant::ZERO, Input::Data { id, event: DataEvent::ListenFailed });
        }
        let outputs = drain(&mut server);
        assert!(replies(&outputs)[0].starts_with("425 Failed to enter passive mode"));
    }

    #[test]
    fn epsv_support_settings() {
        let mut refusing = logged_in(ServerSettings { epsv: EpsvSupport::Refused500, ..ServerSettings::default() });
        assert_eq!(say(&mut refusing, "EPSV\r\n"), ["500 Unknown command."]);
        let mut not_implemented =
            logged_in(ServerSettings { epsv: EpsvSupport::Refused502, ..ServerSettings::default() });
        assert_eq!(say(&mut not_implemented, "EPSV\r\n"), ["502 Command not implemented."]);
        let mut server = logged_in(ServerSettings::default());
        assert_eq!(say(&mut server, "EPSV 2\r\n"), ["522 Bad network protocol."]);
        assert_eq!(say(&mut server, "EPSV 3\r\n"), ["522 Bad network protocol."]);
        assert_eq!(say(&mut server, "EPSV x\r\n"), ["522 Bad network protocol."]);
        assert_eq!(say(&mut refusing, "EPSV x\r\n"), ["500 Unknown command."]);
        assert_eq!(say(&mut not_implemented, "EPSV x\r\n"), ["502 Command not implemented."]);
    }

    #[test]
    fn pasv_on_ipv6_writes_zeros_like_vsftpd() {
        let mut server = FtpServer::new(ServerSettings::lesson(), FileTree::default());
        server.handle(
            Instant::ZERO,
            Input::ControlOpened { local: addr("[2001:db8:2::10]:21"), peer: addr("[2001:db8:1::2]:40000") },
        );
        say(&mut server, "USER ftp\r\nPASS x\r\n");
        server.handle(Instant::ZERO, Input::ControlBytes(b"PASV\r\n".to_vec()));
        let Some(Output::Listen { id, on }) =
            drain(&mut server).into_iter().find(|o| matches!(o, Output::Listen { .. }))
        else {
            panic!("no Listen");
        };
        server.handle(Instant::ZERO, Input::Data { id, event: DataEvent::Listening { local: on } });
        assert!(replies(&drain(&mut server))[0].starts_with("227 Entering Passive Mode (0,0,0,0,"));
        assert_eq!(say(&mut server, "PORT 1,2,3,4,200,0\r\n"), ["500 Illegal PORT command."]);
        assert_eq!(
            say(&mut server, "EPRT |2|2001:db8:1::2|50000|\r\n"),
            ["200 EPRT command successful. Consider using EPSV."]
        );
    }

    /// Drives one active-mode LIST up to the connect, returning the Connect output.
    fn active_list(server: &mut FtpServer) -> (DataId, SocketAddr, SocketAddr) {
        say(server, "PORT 203,0,113,1,195,80\r\n");
        server.handle(Instant::ZERO, Input::ControlBytes(b"LIST\r\n".to_vec()));
        let outputs = drain(server);
        assert!(replies(&outputs).is_empty(), "no 150 before the data connection: {outputs:?}");
        let Some(Output::Connect { id, from, to }) = outputs.into_iter().find(|o| matches!(o, Output::Connect { .. }))
        else {
            panic!("no Connect");
        };
        (id, from, to)
    }

    #[test]
    fn active_list_connects_first_then_150_data_226() {
        let mut server = logged_in(ServerSettings::lesson());
        let (id, from, to) = active_list(&mut server);
        assert_eq!(from, addr("198.51.100.10:20"), "connect_from_port_20");
        assert_eq!(to, addr("203.0.113.1:50000"));
        assert_eq!(server.state_name(), "CONNECTING-DATA");
        server
            .handle(Instant::from_micros(5), Input::Data { id, event: DataEvent::Connected { local: from, peer: to } });
        let outputs = drain(&mut server);
        assert_eq!(replies(&outputs), ["150 Here comes the directory listing.", "226 Directory send OK."]);
        assert!(
            outputs.iter().any(|o| matches!(o, Output::SendData { bytes, .. } if bytes.starts_with(b"drwxr-xr-x")))
        );
        assert!(outputs.contains(&Output::CloseData { id }));
        assert_eq!(server.state_name(), "LOGGED-IN", "the PORT is used up");
        assert_eq!(say(&mut server, "LIST\r\n"), ["425 Use PORT or PASV first."]);
    }

    #[test]
    fn active_connect_that_times_out_gives_425() {
        let mut server = logged_in(ServerSettings::default());
        let (id, from, _) = active_list(&mut server);
        assert_eq!(from.port(), 0, "vsftpd's default connects from any port");
        server.handle(Instant::from_micros(60_000_000), Input::Timer(TimerKind::DataConnect));
        let outputs = drain(&mut server);
        assert_eq!(replies(&outputs), ["425 Failed to establish connection."]);
        assert!(outputs.contains(&Output::CloseData { id }));
    }

    #[test]
    fn active_connect_refused_or_unreachable_gives_425_at_once() {
        for error in [
            crate::ftp::ConnectError::Refused,
            crate::ftp::ConnectError::Unreachable,
            crate::ftp::ConnectError::TimedOut,
        ] {
            let mut server = logged_in(ServerSettings::default());
            let (id, _, _) = active_list(&mut server);
            server.handle(Instant::ZERO, Input::Data { id, event: DataEvent::ConnectFailed(error) });
            assert_eq!(replies(&drain(&mut server)), ["425 Failed to establish connection."], "{error}");
        }
    }

    fn passive_ready(server: &mut FtpServer) -> (DataId, SocketAddr) {
        drain(server);
        server.handle(Instant::ZERO, Input::ControlBytes(b"PASV\r\n".to_vec()));
        let Some(Output::Listen { id, on }) = drain(server).into_iter().find(|o| matches!(o, Output::Listen { .. }))
        else {
            panic!("no Listen");
        };
        server.handle(Instant::ZERO, Input::Data { id, event: DataEvent::Listening { local: on } });
        drain(server);
        (id, on)
    }

    #[test]
    fn passive_retr_after_the_client_connected() {
        let mut server = logged_in(ServerSettings::lesson());
        let (id, local) = passive_ready(&mut server);
        server.handle(
            Instant::ZERO,
            Input::Data { id, event: DataEvent::Connected { local, peer: addr("203.0.113.1:40001") } },
        );
        let outputs = {
            server.handle(Instant::ZERO, Input::ControlBytes(b"RETR pub/readme.txt\r\n".to_vec()));
            drain(&mut server)
        };
        assert_eq!(
            replies(&outputs),
            ["150 Opening BINARY mode data connection for pub/readme.txt (150 bytes).", "226 Transfer complete."]
        );
    }

    #[test]
    fn passive_list_waits_for_the_client_then_times_out() {
        let mut server = logged_in(ServerSettings::lesson());
        passive_ready(&mut server);
        assert_eq!(say(&mut server, "LIST\r\n"), Vec::<String>::new());
        assert_eq!(server.state_name(), "ACCEPTING-DATA");
        assert_eq!(say(&mut server, "NOOP\r\n"), Vec::<String>::new(), "commands wait while a transfer runs");
        server.handle(Instant::from_micros(60_000_000), Input::Timer(TimerKind::DataAccept));
        assert_eq!(replies(&drain(&mut server)), ["425 Failed to establish connection.", "200 NOOP ok."]);
    }

    #[test]
    fn passive_connection_from_a_stranger_is_refused() {
        let mut server = logged_in(ServerSettings::lesson());
        let (id, local) = passive_ready(&mut server);
        server.handle(
            Instant::ZERO,
            Input::Data { id, event: DataEvent::Connected { local, peer: addr("192.0.2.66:1234") } },
        );
        assert_eq!(say(&mut server, "LIST\r\n"), ["425 Security: Bad IP connecting."]);
    }

    #[test]
    fn stor_receives_until_close_and_stores_the_file() {
        let mut server = logged_in_as_demo(ServerSettings::lesson());
        let (id, local) = passive_ready(&mut server);
        server.handle(
            Instant::ZERO,
            Input::Data { id, event: DataEvent::Connected { local, peer: addr("203.0.113.1:40002") } },
        );
        assert_eq!(say(&mut server, "STOR upload/hello.txt\r\n"), ["150 Ok to send data."]);
        assert_eq!(server.state_name(), "RECEIVING-DATA");
        server.handle(Instant::ZERO, Input::Data { id, event: DataEvent::Bytes(b"hello ".to_vec()) });
        server.handle(Instant::ZERO, Input::Data { id, event: DataEvent::Bytes(b"world".to_vec()) });
        server.handle(Instant::ZERO, Input::Data { id, event: DataEvent::Closed });
        assert_eq!(replies(&drain(&mut server)), ["226 Transfer complete."]);
        assert_eq!(server.files().read("/upload/hello.txt"), Ok(&b"hello world"[..]));
    }

    #[test]
    fn transfers_that_cannot_start_are_refused_before_the_data_connection() {
        let mut server = logged_in_as_demo(ServerSettings::lesson());
        passive_ready(&mut server);
        assert_eq!(say(&mut server, "RETR missing.txt\r\n"), ["550 Failed to open file."]);
        assert_eq!(say(&mut server, "STOR pub/x.txt\r\n"), ["553 Could not create file."]);
        // vsftpd's anon_upload_enable=NO: anonymous users may not upload, even where demo may.
        let mut anonymous = logged_in(ServerSettings::lesson());
        passive_ready(&mut anonymous);
        assert_eq!(say(&mut anonymous, "STOR upload/x.txt\r\n"), ["550 Permission denied."]);
        let mut read_only = logged_in(ServerSettings::default());
        passive_ready(&mut read_only);
        assert_eq!(say(&mut read_only, "STOR upload/x.txt\r\n"), ["550 Permission denied."]);
    }

    /// Measured against a real vsftpd 3.0.3 (tests/sockets/test_hostile.py).
    #[test]
    fn a_refused_transfer_keeps_the_data_set_up() {
        let mut server = logged_in(ServerSettings::lesson());
        let (id, local) = passive_ready(&mut server);
        server.handle(Instant::ZERO, Input::ControlBytes(b"RETR missing.txt\r\nSTOR upload/x.txt\r\n".to_vec()));
        let outputs = drain(&mut server);
        assert_eq!(replies(&outputs), ["550 Failed to open file.", "550 Permission denied."]);
        assert!(!outputs.contains(&Output::CloseData { id }), "the listener stays: {outputs:?}");
        assert_eq!(server.passive_listener(), Some(local));
        server.handle(
            Instant::ZERO,
            Input::Data { id, event: DataEvent::Connected { local, peer: addr("203.0.113.1:40004") } },
        );
        assert_eq!(say(&mut server, "NLST\r\n"), ["150 Here comes the directory listing.", "226 Directory send OK."]);
        assert_eq!(say(&mut server, "LIST\r\n"), ["425 Use PORT or PASV first."], "used once");
        // The same for PORT.
        say(&mut server, "PORT 203,0,113,1,195,80\r\n");
        assert_eq!(say(&mut server, "RETR missing.txt\r\n"), ["550 Failed to open file."]);
        assert_eq!(server.state_name(), "PORT-READY");
        // pyftpdlib's profile closes it.
        let mut server = logged_in(pyftpdlib());
        let (id, _) = passive_ready(&mut server);
        server.handle(Instant::ZERO, Input::ControlBytes(b"RETR missing.txt\r\n".to_vec()));
        let outputs = drain(&mut server);
        assert_eq!(replies(&outputs), ["550 No such file or directory."]);
        assert!(outputs.contains(&Output::CloseData { id }));
    }

    /// One LIST or NLST through a connected passive data connection: the replies and the data.
    fn list(server: &mut FtpServer, line: &str) -> (Vec<String>, String) {
        let (id, local) = passive_ready(server);
        server.handle(
            Instant::ZERO,
            Input::Data { id, event: DataEvent::Connected { local, peer: addr("203.0.113.1:40003") } },
        );
        server.handle(Instant::ZERO, Input::ControlBytes(format!("{line}\r\n").into_bytes()));
        let outputs = drain(server);
        let data = outputs
            .iter()
            .filter_map(|output| match output {
                Output::SendData { bytes, .. } => Some(String::from_utf8_lossy(bytes).into_owned()),
                _ => None,
            })
            .collect();
        (replies(&outputs), data)
    }

    /// The two cases marked in tests/sockets/test_hostile.py were measured against a real
    /// vsftpd 3.0.3; the rest follows its handle_dir_common.
    #[test]
    fn list_reads_options_then_a_directory_or_a_filter_like_vsftpd() {
        let mut server = logged_in(ServerSettings::lesson());
        let listed = |server: &mut FtpServer, line: &str| list(server, line).1;
        let pub_listing = listed(&mut server, "LIST /pub");
        assert!(pub_listing.contains(" readme.txt\r\n") && pub_listing.contains(" lesson-notes.txt\r\n"));
        assert_eq!(listed(&mut server, "LIST -l /pub"), pub_listing, "measured");
        assert_eq!(listed(&mut server, "LIST -la pub"), pub_listing);
        assert!(listed(&mut server, "LIST -la").contains(" upload\r\n"), "options alone: the current directory");
        let sent = ["150 Here comes the directory listing.", "226 Directory send OK."];
        assert_eq!(list(&mut server, "LIST /no-such-directory"), (sent.map(str::to_owned).to_vec(), String::new()));
        assert_eq!(list(&mut server, "LIST nowhere"), (sent.map(str::to_owned).to_vec(), String::new()));
        let failed = ["150 Here comes the directory listing.", "226 Transfer done (but failed to open directory)."];
        assert_eq!(list(&mut server, "LIST /no/such"), (failed.map(str::to_owned).to_vec(), String::new()));
        assert_eq!(list(&mut server, "LIST pub/readme.txt/x").0, failed);
        // A filter picks entries, directories shown as themselves.
        let readme = listed(&mut server, "LIST pub/readme.txt");
        assert!(readme.starts_with("-rw-r--r--") && readme.ends_with(" readme.txt\r\n") && readme.lines().count() == 1);
        assert_eq!(listed(&mut server, "LIST /pub/*.txt"), pub_listing);
        assert_eq!(listed(&mut server, "NLST /pub/r?adme*"), "readme.txt\r\n");
        let dirs = listed(&mut server, "LIST u*");
        assert!(dirs.starts_with("drwxrwxrwx") && dirs.ends_with(" upload\r\n"), "{dirs}");
        assert_eq!(list(&mut server, "LIST ../../etc"), (sent.map(str::to_owned).to_vec(), String::new()));
    }

    #[test]
    fn listing_filters_match_like_shell_wildcards() {
        for (name, filter, expected) in [
            ("readme.txt", "readme.txt", true),
            ("readme.txt", "*.txt", true),
            ("readme.txt", "*", true),
            ("readme.txt", "r?adme.*", true),
            ("readme.txt", "*e*e*", true),
            ("readme.txt", "readme", false),
            ("readme.txt", "*.bin", false),
            ("readme.txt", "?", false),
            ("", "*", true),
            ("", "?", false),
            ("aab", "*ab", true),
        ] {
            assert_eq!(passes_filter(name, filter), expected, "{name:?} {filter:?}");
        }
    }

    #[test]
    fn quit_closes_and_later_bytes_are_ignored() {
        let mut server = logged_in(ServerSettings::default());
        server.handle(Instant::ZERO, Input::ControlBytes(b"QUIT\r\nNOOP\r\n".to_vec()));
        let outputs = drain(&mut server);
        assert_eq!(replies(&outputs), ["221 Goodbye."]);
        assert!(outputs.contains(&Output::CloseControl));
        assert_eq!(server.state_name(), "CLOSED");
    }

    #[test]
    fn a_hello_after_the_control_connection_closed_during_auth_tls_is_not_answered() {
        let settings = ServerSettings { ssl_enable: true, ..pyftpdlib() };
        let mut server = server_with(settings);
        assert_eq!(say(&mut server, "AUTH TLS\r\n"), ["234 Proceed with negotiation."]);
        server.handle(Instant::ZERO, Input::ControlClosed);
        assert!(drain(&mut server).contains(&Output::CloseControl));
        server.handle(Instant::ZERO, Input::ControlBytes(vec![0x16, 0x03, 0x01]));
        assert_eq!(drain(&mut server), [], "nothing is sent or noted after the close");
        assert_eq!(server.state_name(), "CLOSED");
    }

    /// Measured against a real vsftpd 3.0.3 (tests/sockets/test_hostile.py).
    #[test]
    fn a_line_of_spaces_is_answered_but_an_empty_line_is_not() {
        let mut server = server_with(ServerSettings::default());
        assert_eq!(say(&mut server, "   \r\n"), ["530 Please login with USER and PASS."]);
        assert_eq!(say(&mut server, "\r\n\n"), Vec::<String>::new());
        say(&mut server, "USER anonymous\r\nPASS guest@\r\n");
        assert_eq!(say(&mut server, "   \r\n"), ["500 Unknown command."]);
        assert_eq!(say(&mut server, " \r\n"), ["500 Unknown command."]);
        assert_eq!(say(&mut server, "\r\n"), Vec::<String>::new());
        // pyftpdlib's profile ignores both.
        let mut pyftpdlib = logged_in(pyftpdlib());
        assert_eq!(say(&mut pyftpdlib, "   \r\n\r\n"), Vec::<String>::new());
    }

    #[test]
    fn garbage_and_empty_lines_never_panic() {
        let mut server = logged_in(ServerSettings::default());
        assert_eq!(say(&mut server, "\r\n"), Vec::<String>::new());
        assert_eq!(say(&mut server, "\u{0}\u{1}\r\n"), ["500 Unknown command."]);
        let mut long = vec![b'N'; 5000];
        long.extend_from_slice(b"\r\n");
        server.handle(Instant::ZERO, Input::ControlBytes(long));
        assert_eq!(replies(&drain(&mut server)), ["500 Input line too long."]);
    }

    /// Measured against a real vsftpd 3.0.3 (tests/sockets/test_hostile.py).
    #[test]
    fn an_overlong_line_ends_the_session_after_500() {
        let mut line = b"NOOP ".to_vec();
        line.resize(4094, b'A');
        line.extend_from_slice(b"\r\n");
        let mut server = logged_in(ServerSettings::default());
        assert_eq!(say(&mut server, std::str::from_utf8(&line).expect("ascii")), ["200 NOOP ok."], "4096 bytes");
        line.insert(5, b'A');
        line.extend_from_slice(b"NOOP\r\n");
        drain(&mut server);
        server.handle(Instant::ZERO, Input::ControlBytes(line));
        let outputs = drain(&mut server);
        assert_eq!(replies(&outputs), ["500 Input line too long."], "4097 bytes, and nothing after it");
        assert!(outputs.contains(&Output::CloseControl));
        assert!(server.is_closed());
        // Before login too, and with no line end at all.
        let mut server = server_with(ServerSettings::default());
        drain(&mut server);
        server.handle(Instant::ZERO, Input::ControlBytes(vec![b'B'; 1 << 16]));
        assert_eq!(replies(&drain(&mut server)), ["500 Input line too long."]);
        assert!(server.is_closed());
        // pyftpdlib's profile goes on.
        let mut server = logged_in(pyftpdlib());
        server.handle(Instant::ZERO, Input::ControlBytes(vec![b'B'; 5000]));
        assert_eq!(say(&mut server, "\r\nNOOP\r\n"), ["200 NOOP ok."]);
        assert!(!server.is_closed());
    }

    #[test]
    fn passive_range_follows_vsftpd_rules() {
        assert_eq!(ServerSettings::default().passive_range(), (5001, 65535));
        assert_eq!(ServerSettings::lesson().passive_range(), (50000, 51000));
        let low = ServerSettings { pasv_min_port: 80, pasv_max_port: 90, ..ServerSettings::default() };
        assert_eq!(low.passive_range(), (1024, 65535));
    }

    fn pyftpdlib() -> ServerSettings {
        ServerSettings {
            profile: ServerProfile::Pyftpdlib,
            banner: ServerProfile::Pyftpdlib.banner().to_owned(),
            connect_timeout: Duration::from_secs(4),
            accept_timeout: Duration::from_secs(4),
            ..ServerSettings::lesson()
        }
    }

    #[test]
    fn pyftpdlib_speaks_its_own_words() {
        let mut server = server_with(pyftpdlib());
        assert_eq!(replies(&drain(&mut server)), ["220 pyftpdlib 2.2.0 ready."]);
        assert_eq!(say(&mut server, "USER anonymous\r\n"), ["331 Username ok, send password."]);
        assert_eq!(say(&mut server, "PASS anonymous@\r\n"), ["230 Login successful."]);
        assert_eq!(say(&mut server, "PWD\r\n"), ["257 \"/\" is the current directory."]);
        assert_eq!(say(&mut server, "CWD pub\r\n"), ["250 \"/pub\" is the current directory."]);
        assert_eq!(say(&mut server, "TYPE A\r\n"), ["200 Type set to: ASCII."]);
        assert_eq!(say(&mut server, "SIZE lesson-notes.txt\r\n"), ["550 SIZE not allowed in ASCII mode."]);
        assert_eq!(say(&mut server, "TYPE I\r\n"), ["200 Type set to: Binary."]);
        let size = FileTree::default().read("/pub/lesson-notes.txt").map(<[u8]>::len).expect("lesson file");
        assert_eq!(say(&mut server, "SIZE lesson-notes.txt\r\n"), [format!("213 {size}")]);
        assert_eq!(say(&mut server, "STOR x.txt\r\n"), ["550 Not enough privileges."]);
    }

    #[test]
    fn pyftpdlib_refuses_a_foreign_port_address_with_501() {
        let mut server = logged_in(pyftpdlib());
        assert_eq!(
            say(&mut server, "PORT 192,168,1,2,200,10\r\n"),
            ["501 Rejected data connection to foreign address 192.168.1.2:51210."]
        );
    }

    #[test]
    fn pyftpdlib_connects_at_port_time_and_says_200_once_connected_then_125() {
        let mut server = logged_in(pyftpdlib());
        drain(&mut server);
        server.handle(Instant::ZERO, Input::ControlBytes(b"PORT 203,0,113,1,200,10\r\n".to_vec()));
        let outputs = drain(&mut server);
        assert!(replies(&outputs).is_empty(), "no reply before the connect");
        let Some(Output::Connect { id, from, to }) = outputs.into_iter().find(|o| matches!(o, Output::Connect { .. }))
        else {
            panic!("pyftpdlib connects at PORT time");
        };
        assert_eq!((from.port(), to), (0, addr("203.0.113.1:51210")), "from an ephemeral port");
        assert_eq!(say(&mut server, "LIST\r\n"), Vec::<String>::new(), "commands wait while it connects");
        server.handle(
            Instant::ZERO,
            Input::Data { id, event: DataEvent::Connected { local: addr("198.51.100.10:40000"), peer: to } },
        );
        assert_eq!(
            replies(&drain(&mut server)),
            [
                "200 Active data connection established.",
                "125 Data connection already open. Transfer starting.",
                "226 Transfer complete."
            ]
        );
    }

    #[test]
    fn pyftpdlib_data_channels_time_out_with_421_and_the_session_goes_on() {
        let mut server = logged_in(pyftpdlib());
        say(&mut server, "PORT 203,0,113,1,200,10\r\n");
        server.handle(Instant::from_micros(4_000_000), Input::Timer(TimerKind::DataConnect));
        assert_eq!(replies(&drain(&mut server)), ["421 Active data channel timed out."]);
        assert_eq!(say(&mut server, "NOOP\r\n"), ["200 NOOP ok."], "the control connection stays open");
        let replies_to_pasv = say(&mut server, "PASV\r\n");
        assert!(replies_to_pasv.is_empty(), "the listener opens first");
        let mut server = logged_in(pyftpdlib());
        passive_ready(&mut server);
        server.handle(Instant::from_micros(4_000_000), Input::Timer(TimerKind::DataAccept));
        assert_eq!(replies(&drain(&mut server)), ["421 Passive data channel timed out."]);
    }

    #[test]
    fn pyftpdlib_refused_active_connect_is_425() {
        let mut server = logged_in(pyftpdlib());
        drain(&mut server);
        server.handle(Instant::ZERO, Input::ControlBytes(b"PORT 203,0,113,1,200,10\r\n".to_vec()));
        let Some(Output::Connect { id, .. }) =
            drain(&mut server).into_iter().find(|o| matches!(o, Output::Connect { .. }))
        else {
            panic!("no connect");
        };
        server.handle(Instant::ZERO, Input::Data { id, event: DataEvent::ConnectFailed(ConnectError::Refused) });
        assert_eq!(replies(&drain(&mut server)), ["425 Can't connect to specified address."]);
    }

    #[test]
    fn vsftpd_with_port_promiscuous_and_port_20_dies_at_the_transfer_command() {
        let settings = ServerSettings { port_promiscuous: true, ..ServerSettings::lesson() };
        let mut server = logged_in(settings);
        assert_eq!(
            say(&mut server, "PORT 192,168,1,2,200,10\r\n"),
            ["200 PORT command successful. Consider using PASV."]
        );
        drain(&mut server);
        server.handle(Instant::ZERO, Input::ControlBytes(b"LIST\r\n".to_vec()));
        let outputs = drain(&mut server);
        assert_eq!(replies(&outputs), ["500 OOPS: vsf_sysutil_bind", "500 OOPS: priv_sock_get_cmd"]);
        assert!(outputs.contains(&Output::CloseControl));
        assert!(!outputs.iter().any(|o| matches!(o, Output::Connect { .. })), "no data connection is attempted");
        // Without port 20 it connects wherever PORT says.
        let settings =
            ServerSettings { port_promiscuous: true, connect_from_port_20: false, ..ServerSettings::lesson() };
        let mut server = logged_in(settings);
        say(&mut server, "PORT 192,168,1,2,200,10\r\n");
        server.handle(Instant::ZERO, Input::ControlBytes(b"LIST\r\n".to_vec()));
        assert!(
            drain(&mut server)
                .iter()
                .any(|o| matches!(o, Output::Connect { to, .. } if *to == addr("192.168.1.2:51210")))
        );
    }
}
