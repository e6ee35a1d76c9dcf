//! The FTP wire format: commands, replies, and the addresses carried inside them.
//!
//! Everything here is a pure function of bytes: typed [`Command`]s and [`Reply`]s, the streaming
//! decoders that cut a byte stream into lines (a reply may arrive split across several reads),
//! and the four address encodings that make FTP interesting for firewalls:
//!
//! | where            | example                                          | RFC  |
//! |------------------|--------------------------------------------------|------|
//! | `PORT` argument  | `PORT 192,168,1,2,20,80` → 192.168.1.2:5200       | 959  |
//! | `227` reply      | `227 Entering Passive Mode (198,51,100,10,195,80)` | 959  |
//! | `EPRT` argument  | `EPRT \|1\|192.168.1.2\|5200\|` or `\|2\|2001:db8::2\|5200\|` | 2428 |
//! | `229` reply      | `229 Entering Extended Passive Mode (\|\|\|50000\|)` | 2428 |
//!
//! Malformed input never panics: it becomes a [`CommandError`], [`ReplyError`] or
//! [`AddressError`] that says what was expected and what came.
//!
//! Left out on purpose: Telnet option negotiation on the control connection (no real client in
//! our scenarios sends any), `LPRT`/`LPSV`, and the security extensions (`AUTH TLS`, RFC 2228).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4};

use serde::{Deserialize, Serialize};

/// The longest command or reply line accepted, in bytes. A command line counts its line end, as
/// vsftpd's `VSFTP_MAX_COMMAND_LINE` does (4096 bytes up to and including the LF, measured); a
/// reply line does not.
pub const MAX_LINE: usize = 4096;

/// Reply codes this crate sends or reacts to, named after their meaning in RFC 959.
pub mod reply_code {
    /// `125` Data connection already open; transfer starting (pyftpdlib, when it is).
    pub const ALREADY_OPEN: u16 = 125;
    /// `150` File status okay; about to open data connection.
    pub const OPENING_DATA: u16 = 150;
    /// `200` Command okay.
    pub const OK: u16 = 200;
    /// `211` System status, or the `FEAT` list.
    pub const FEATURES: u16 = 211;
    /// `213` File status (the `SIZE` answer).
    pub const FILE_STATUS: u16 = 213;
    /// `215` NAME system type.
    pub const SYSTEM: u16 = 215;
    /// `220` Service ready for new user.
    pub const READY: u16 = 220;
    /// `221` Service closing control connection.
    pub const GOODBYE: u16 = 221;
    /// `225` Data connection open; no transfer in progress.
    pub const NO_TRANSFER: u16 = 225;
    /// `226` Closing data connection; requested file action successful.
    pub const TRANSFER_COMPLETE: u16 = 226;
    /// `227` Entering Passive Mode (h1,h2,h3,h4,p1,p2).
    pub const PASSIVE: u16 = 227;
    /// `229` Entering Extended Passive Mode (|||port|).
    pub const EXTENDED_PASSIVE: u16 = 229;
    /// `230` User logged in, proceed.
    pub const LOGGED_IN: u16 = 230;
    /// `234` Security exchange (TLS) may begin (RFC 4217).
    pub const AUTH_OK: u16 = 234;
    /// `250` Requested file action okay, completed.
    pub const FILE_ACTION_OK: u16 = 250;
    /// `257` "PATHNAME" created / is the current directory.
    pub const PATHNAME: u16 = 257;
    /// `331` User name okay, need password.
    pub const NEED_PASSWORD: u16 = 331;
    /// `421` Service not available, closing control connection; pyftpdlib also uses it when a
    /// data channel timed out, and keeps the control connection open.
    pub const NOT_AVAILABLE: u16 = 421;
    /// `425` Can't open data connection.
    pub const CANT_OPEN_DATA: u16 = 425;
    /// `426` Connection closed; transfer aborted.
    pub const TRANSFER_ABORTED: u16 = 426;
    /// `500` Syntax error, command unrecognized (vsftpd also uses it for a refused `PORT`).
    pub const SYNTAX_ERROR: u16 = 500;
    /// `501` Syntax error in parameters or arguments.
    pub const BAD_ARGUMENT: u16 = 501;
    /// `502` Command not implemented.
    pub const NOT_IMPLEMENTED: u16 = 502;
    /// `503` Bad sequence of commands.
    pub const BAD_SEQUENCE: u16 = 503;
    /// `504` Command not implemented for that parameter.
    pub const BAD_PARAMETER: u16 = 504;
    /// `522` Network protocol not supported (RFC 2428).
    pub const BAD_PROTOCOL: u16 = 522;
    /// `530` Not logged in.
    pub const NOT_LOGGED_IN: u16 = 530;
    /// `550` Requested action not taken; file unavailable.
    pub const FILE_UNAVAILABLE: u16 = 550;
    /// `553` Requested action not taken; file name not allowed.
    pub const NAME_NOT_ALLOWED: u16 = 553;
}

/// Every verb this crate understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Verb {
    User,
    Pass,
    Syst,
    Feat,
    Pwd,
    Cwd,
    Cdup,
    Type,
    Mode,
    Stru,
    Noop,
    Quit,
    Size,
    List,
    Nlst,
    Retr,
    Stor,
    Abor,
    Port,
    Eprt,
    Pasv,
    Epsv,
    Auth,
    Pbsz,
    Prot,
}

impl Verb {
    /// All verbs, in the order `FEAT`-style listings show them.
    pub const ALL: [Verb; 25] = [
        Verb::User,
        Verb::Pass,
        Verb::Syst,
        Verb::Feat,
        Verb::Pwd,
        Verb::Cwd,
        Verb::Cdup,
        Verb::Type,
        Verb::Mode,
        Verb::Stru,
        Verb::Noop,
        Verb::Quit,
        Verb::Size,
        Verb::List,
        Verb::Nlst,
        Verb::Retr,
        Verb::Stor,
        Verb::Abor,
        Verb::Port,
        Verb::Eprt,
        Verb::Pasv,
        Verb::Epsv,
        Verb::Auth,
        Verb::Pbsz,
        Verb::Prot,
    ];

    /// The verb as it is written on the wire, upper case.
    pub const fn as_str(self) -> &'static str {
        match self {
            Verb::User => "USER",
            Verb::Pass => "PASS",
            Verb::Syst => "SYST",
            Verb::Feat => "FEAT",
            Verb::Pwd => "PWD",
            Verb::Cwd => "CWD",
            Verb::Cdup => "CDUP",
            Verb::Type => "TYPE",
            Verb::Mode => "MODE",
            Verb::Stru => "STRU",
            Verb::Noop => "NOOP",
            Verb::Quit => "QUIT",
            Verb::Size => "SIZE",
            Verb::List => "LIST",
            Verb::Nlst => "NLST",
            Verb::Retr => "RETR",
            Verb::Stor => "STOR",
            Verb::Abor => "ABOR",
            Verb::Port => "PORT",
            Verb::Eprt => "EPRT",
            Verb::Pasv => "PASV",
            Verb::Epsv => "EPSV",
            Verb::Auth => "AUTH",
            Verb::Pbsz => "PBSZ",
            Verb::Prot => "PROT",
        }
    }

    /// Looks a verb up case-insensitively, as servers do (`list`, `List` and `LIST` are one verb).
    pub fn parse(word: &str) -> Option<Verb> {
        Verb::ALL.into_iter().find(|verb| verb.as_str().eq_ignore_ascii_case(word))
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `TYPE` argument: the representation type of transferred data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TransferType {
    /// `TYPE A`: text, line endings converted (used for listings).
    Ascii,
    /// `TYPE I`: bytes as they are ("binary").
    Image,
}

/// `EPSV` argument (RFC 2428 section 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EpsvArg {
    /// Plain `EPSV`: the server picks the protocol of the control connection.
    Any,
    /// `EPSV 1` (IPv4) or `EPSV 2` (IPv6); any other number is kept so the server can answer 522.
    Protocol(u16),
    /// `EPSV ALL`: from now on the client will only use `EPSV`.
    All,
}

/// One FTP command, typed. Formatting and then parsing a command gives the same command back,
/// whatever its argument holds but a LF (which would end the line): a CR is kept, also at the end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    User(String),
    Pass(String),
    Syst,
    Feat,
    Pwd,
    Cwd(String),
    Cdup,
    Type(TransferType),
    /// `MODE S` is the only mode servers support; anything else gets 504.
    Mode(String),
    /// `STRU F` is the only structure servers support; anything else gets 504.
    Stru(String),
    Noop,
    Quit,
    Size(String),
    List(Option<String>),
    Nlst(Option<String>),
    Retr(String),
    Stor(String),
    Abor,
    /// `PORT h1,h2,h3,h4,p1,p2`: "connect to me here" (active mode, IPv4 only).
    Port(SocketAddrV4),
    /// `EPRT |proto|address|port|`: active mode for IPv4 and IPv6.
    Eprt(SocketAddr),
    /// `PASV`: "listen for me, tell me where" (passive mode, IPv4 only).
    Pasv,
    /// `EPSV`: passive mode that answers with a port only.
    Epsv(EpsvArg),
    /// `AUTH TLS`: switch the control connection to TLS (explicit FTPS, RFC 4217).
    Auth(String),
    /// `PBSZ 0`: the protection buffer size TLS needs (always 0).
    Pbsz(String),
    /// `PROT P` (private: data connections encrypted) or `PROT C` (clear).
    Prot(String),
}

impl Command {
    /// The verb of this command.
    pub fn verb(&self) -> Verb {
        match self {
            Command::User(_) => Verb::User,
            Command::Pass(_) => Verb::Pass,
            Command::Syst => Verb::Syst,
            Command::Feat => Verb::Feat,
            Command::Pwd => Verb::Pwd,
            Command::Cwd(_) => Verb::Cwd,
            Command::Cdup => Verb::Cdup,
            Command::Type(_) => Verb::Type,
            Command::Mode(_) => Verb::Mode,
            Command::Stru(_) => Verb::Stru,
            Command::Noop => Verb::Noop,
            Command::Quit => Verb::Quit,
            Command::Size(_) => Verb::Size,
            Command::List(_) => Verb::List,
            Command::Nlst(_) => Verb::Nlst,
            Command::Retr(_) => Verb::Retr,
            Command::Stor(_) => Verb::Stor,
            Command::Abor => Verb::Abor,
            Command::Port(_) => Verb::Port,
            Command::Eprt(_) => Verb::Eprt,
            Command::Pasv => Verb::Pasv,
            Command::Epsv(_) => Verb::Epsv,
            Command::Auth(_) => Verb::Auth,
            Command::Pbsz(_) => Verb::Pbsz,
            Command::Prot(_) => Verb::Prot,
        }
    }

    /// The command a line of `verb` alone is to a server that reads a missing argument as an
    /// empty one, as vsftpd does: `RETR` is a `RETR` of the empty name (`550` once a data
    /// connection is set up), `USER` the empty user. `None` where an empty argument is no value
    /// of the command at all (`TYPE`, `PORT`, `EPRT`).
    pub fn with_empty_argument(verb: Verb) -> Option<Command> {
        let empty = String::new;
        Some(match verb {
            Verb::User => Command::User(empty()),
            Verb::Pass => Command::Pass(empty()),
            Verb::Syst => Command::Syst,
            Verb::Feat => Command::Feat,
            Verb::Pwd => Command::Pwd,
            Verb::Cwd => Command::Cwd(empty()),
            Verb::Cdup => Command::Cdup,
            Verb::Mode => Command::Mode(empty()),
            Verb::Stru => Command::Stru(empty()),
            Verb::Noop => Command::Noop,
            Verb::Quit => Command::Quit,
            Verb::Size => Command::Size(empty()),
            Verb::List => Command::List(None),
            Verb::Nlst => Command::Nlst(None),
            Verb::Retr => Command::Retr(empty()),
            Verb::Stor => Command::Stor(empty()),
            Verb::Abor => Command::Abor,
            Verb::Pasv => Command::Pasv,
            Verb::Epsv => Command::Epsv(EpsvArg::Any),
            Verb::Auth => Command::Auth(empty()),
            Verb::Pbsz => Command::Pbsz(empty()),
            Verb::Prot => Command::Prot(empty()),
            Verb::Type | Verb::Port | Verb::Eprt => return None,
        })
    }

    /// The command as sent on the wire, including the trailing CRLF.
    pub fn to_bytes(&self) -> Vec<u8> {
        format!("{self}\r\n").into_bytes()
    }

    /// Parses one command line, with or without its line end. The line end is the LF and one CR
    /// before it, as vsftpd reads it; any other CR is the line's own, kept in its argument (so
    /// `USER a\r\r\n` is the user `a\r`, and `USER a\r` without a LF is that user too).
    pub fn parse(line: &str) -> Result<Command, CommandError> {
        let line = match line.strip_suffix('\n') {
            Some(line) => line.strip_suffix('\r').unwrap_or(line),
            None => line,
        };
        if line.len() > MAX_LINE {
            return Err(CommandError::TooLong { len: line.len(), max: MAX_LINE });
        }
        if line.is_empty() {
            return Err(CommandError::Empty);
        }
        if line.trim().is_empty() {
            return Err(CommandError::Blank);
        }
        // Like vsftpd: the verb ends at the first space; everything after it is the argument.
        let (word, arg) = match line.split_once(' ') {
            Some((word, arg)) => (word, Some(arg)),
            None => (line, None),
        };
        let verb = Verb::parse(word).ok_or_else(|| CommandError::UnknownVerb { verb: printable(word) })?;
        let arg = arg.filter(|arg| !arg.is_empty());
        let required = |expected: &'static str| -> Result<String, CommandError> {
            arg.map(str::to_owned).ok_or(CommandError::MissingArgument { verb, expected })
        };
        let command = match verb {
            Verb::User => Command::User(required("a user name")?),
            Verb::Pass => Command::Pass(arg.unwrap_or_default().to_owned()),
            Verb::Syst => Command::Syst,
            Verb::Feat => Command::Feat,
            Verb::Pwd => Command::Pwd,
            Verb::Cwd => Command::Cwd(required("a directory")?),
            Verb::Cdup => Command::Cdup,
            Verb::Type => Command::Type(parse_type(&required("A or I")?)?),
            Verb::Mode => Command::Mode(required("a transfer mode such as S")?),
            Verb::Stru => Command::Stru(required("a file structure such as F")?),
            Verb::Noop => Command::Noop,
            Verb::Quit => Command::Quit,
            Verb::Size => Command::Size(required("a file name")?),
            Verb::List => Command::List(arg.map(str::to_owned)),
            Verb::Nlst => Command::Nlst(arg.map(str::to_owned)),
            Verb::Retr => Command::Retr(required("a file name")?),
            Verb::Stor => Command::Stor(required("a file name")?),
            Verb::Abor => Command::Abor,
            Verb::Port => {
                let text = required("h1,h2,h3,h4,p1,p2")?;
                Command::Port(parse_host_port(&text).map_err(|source| CommandError::BadAddress { verb, source })?)
            }
            Verb::Eprt => {
                let text = required("|proto|address|port|")?;
                Command::Eprt(parse_eprt(&text).map_err(|source| CommandError::BadAddress { verb, source })?)
            }
            Verb::Pasv => Command::Pasv,
            Verb::Epsv => Command::Epsv(parse_epsv_arg(arg)?),
            Verb::Auth => Command::Auth(required("a security mechanism such as TLS")?),
            Verb::Pbsz => Command::Pbsz(required("a buffer size (0)")?),
            Verb::Prot => Command::Prot(required("a protection level (C or P)")?),
        };
        Ok(command)
    }
}

impl fmt::Display for Command {
    /// The command line without its CRLF, e.g. `PORT 192,168,1,2,20,80`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = self.verb();
        match self {
            Command::User(arg)
            | Command::Pass(arg)
            | Command::Cwd(arg)
            | Command::Mode(arg)
            | Command::Stru(arg)
            | Command::Size(arg)
            | Command::Retr(arg)
            | Command::Stor(arg)
            | Command::Auth(arg)
            | Command::Pbsz(arg)
            | Command::Prot(arg) => write!(f, "{verb} {arg}"),
            Command::List(Some(arg)) | Command::Nlst(Some(arg)) => write!(f, "{verb} {arg}"),
            Command::Type(TransferType::Ascii) => write!(f, "{verb} A"),
            Command::Type(TransferType::Image) => write!(f, "{verb} I"),
            Command::Port(addr) => write!(f, "{verb} {}", format_host_port(*addr)),
            Command::Eprt(addr) => write!(f, "{verb} {}", format_eprt(*addr)),
            Command::Epsv(EpsvArg::Protocol(proto)) => write!(f, "{verb} {proto}"),
            Command::Epsv(EpsvArg::All) => write!(f, "{verb} ALL"),
            Command::Syst
            | Command::Feat
            | Command::Pwd
            | Command::Cdup
            | Command::Noop
            | Command::Quit
            | Command::List(None)
            | Command::Nlst(None)
            | Command::Abor
            | Command::Pasv
            | Command::Epsv(EpsvArg::Any) => write!(f, "{verb}"),
        }
    }
}

fn parse_type(arg: &str) -> Result<TransferType, CommandError> {
    // "A N" (ASCII, non-print) is what RFC 959 calls the default form; treat it as A.
    let mut words = arg.split(' ');
    match (words.next().map(str::to_ascii_uppercase).as_deref(), words.next()) {
        (Some("A"), None) => Ok(TransferType::Ascii),
        (Some("A"), Some(form)) if form.eq_ignore_ascii_case("N") => Ok(TransferType::Ascii),
        (Some("I"), None) => Ok(TransferType::Image),
        (Some("L"), Some("8")) => Ok(TransferType::Image),
        _ => Err(CommandError::BadArgument { verb: Verb::Type, expected: "A, A N, I or L 8", got: printable(arg) }),
    }
}

fn parse_epsv_arg(arg: Option<&str>) -> Result<EpsvArg, CommandError> {
    match arg {
        None => Ok(EpsvArg::Any),
        Some(text) if text.eq_ignore_ascii_case("ALL") => Ok(EpsvArg::All),
        Some(text) => text.parse::<u16>().map(EpsvArg::Protocol).map_err(|_| CommandError::BadArgument {
            verb: Verb::Epsv,
            expected: "nothing, a protocol number (1 or 2) or ALL",
            got: printable(text),
        }),
    }
}

/// Makes a piece of untrusted input safe to show in a message: control characters escaped and
/// at most 80 characters kept.
fn printable(text: &str) -> String {
    // ASCII escapes only: enough to show control characters, and no Unicode tables in the
    // browser build.
    let mut shown: String = text
        .chars()
        .take(80)
        .flat_map(|c| if c.is_control() { c.escape_default().collect::<Vec<_>>() } else { vec![c] })
        .collect();
    if text.chars().count() > 80 {
        shown.push('…');
    }
    shown
}

/// Why a command line could not be understood. The server turns these into 500 or 501 replies.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("empty command line")]
    Empty,
    /// Spaces (or other white space) and nothing else: vsftpd answers it, unlike an empty line.
    #[error("command line of white space only")]
    Blank,
    #[error("command line of {len} bytes; at most {max} are accepted")]
    TooLong { len: usize, max: usize },
    #[error("command line is not valid UTF-8")]
    NotUtf8,
    #[error("unknown command verb \"{verb}\"")]
    UnknownVerb { verb: String },
    #[error("{verb} needs an argument: expected {expected}, got nothing")]
    MissingArgument { verb: Verb, expected: &'static str },
    #[error("bad {verb} argument: expected {expected}, got \"{got}\"")]
    BadArgument { verb: Verb, expected: &'static str, got: String },
    #[error("bad {verb} address: {source}")]
    BadAddress { verb: Verb, source: AddressError },
}

impl CommandError {
    /// The verb the line started with, when it was a known one.
    pub fn verb(&self) -> Option<Verb> {
        match self {
            CommandError::MissingArgument { verb, .. }
            | CommandError::BadArgument { verb, .. }
            | CommandError::BadAddress { verb, .. } => Some(*verb),
            _ => None,
        }
    }
}

/// Why an address inside `PORT`, `EPRT`, `227` or `229` could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("expected 6 comma-separated numbers, got {got}")]
    WrongFieldCount { got: usize },
    #[error("expected a number from 0 to 255, got \"{got}\"")]
    BadNumber { got: String },
    #[error("expected six numbers such as (198,51,100,10,195,80) in the reply, found none")]
    NoNumbersInReply,
    #[error("expected a delimiter character from '!' to '~', got U+{:04X}", *got as u32)]
    BadDelimiter { got: char },
    #[error("expected |proto|address|port| with 3 fields, got {got}")]
    WrongEprtFieldCount { got: usize },
    #[error("expected network protocol 1 (IPv4) or 2 (IPv6), got \"{got}\"")]
    UnknownProtocol { got: String },
    #[error("expected an IPv{expected} address, got \"{got}\"")]
    BadIp { expected: u8, got: String },
    #[error("expected a port from 1 to 65535, got \"{got}\"")]
    BadPort { got: String },
    #[error("expected (|||port|) in the reply, got \"{got}\"")]
    BadExtendedPassiveReply { got: String },
    #[error("expected reply {expected}, got reply {got}")]
    WrongReplyCode { expected: u16, got: u16 },
}

impl AddressError {
    /// True when the address was well formed but named a protocol the peer does not support
    /// (RFC 2428 asks for reply 522 in that case).
    pub fn is_unsupported_protocol(&self) -> bool {
        matches!(self, AddressError::UnknownProtocol { .. })
    }
}

/// Formats an IPv4 socket address the way `PORT` and `227` carry it: `h1,h2,h3,h4,p1,p2` where
/// port = p1 × 256 + p2.
pub fn format_host_port(addr: SocketAddrV4) -> String {
    let [h1, h2, h3, h4] = addr.ip().octets();
    let [p1, p2] = addr.port().to_be_bytes();
    format!("{h1},{h2},{h3},{h4},{p1},{p2}")
}

/// Parses `h1,h2,h3,h4,p1,p2` (spaces around the numbers are tolerated).
pub fn parse_host_port(text: &str) -> Result<SocketAddrV4, AddressError> {
    let fields: Vec<&str> = text.split(',').collect();
    if fields.len() != 6 {
        return Err(AddressError::WrongFieldCount { got: fields.len() });
    }
    let mut numbers = [0u8; 6];
    for (number, field) in numbers.iter_mut().zip(&fields) {
        let field = field.trim();
        *number = field
            .parse::<u8>()
            .ok()
            .filter(|_| field.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| AddressError::BadNumber { got: printable(field) })?;
    }
    let [h1, h2, h3, h4, p1, p2] = numbers;
    Ok(SocketAddrV4::new(Ipv4Addr::new(h1, h2, h3, h4), u16::from_be_bytes([p1, p2])))
}

/// Formats an `EPRT` argument: `|1|192.168.1.2|5200|` or `|2|2001:db8::2|5200|`.
pub fn format_eprt(addr: SocketAddr) -> String {
    let proto = if addr.is_ipv4() { 1 } else { 2 };
    format!("|{proto}|{}|{}|", addr.ip(), addr.port())
}

/// Parses an `EPRT` argument with any delimiter RFC 2428 allows (ASCII 33 to 126).
pub fn parse_eprt(text: &str) -> Result<SocketAddr, AddressError> {
    let delimiter = text.chars().next().ok_or(AddressError::WrongEprtFieldCount { got: 0 })?;
    if !('!'..='~').contains(&delimiter) {
        return Err(AddressError::BadDelimiter { got: delimiter });
    }
    let fields: Vec<&str> = text.split(delimiter).collect();
    // "|1|addr|port|" splits into ["", "1", "addr", "port", ""].
    let [first, proto, ip, port, last] = fields.as_slice() else {
        return Err(AddressError::WrongEprtFieldCount { got: fields.len().saturating_sub(2) });
    };
    if !first.is_empty() || !last.is_empty() {
        return Err(AddressError::WrongEprtFieldCount { got: fields.len().saturating_sub(2) });
    }
    let ip: IpAddr = match *proto {
        "1" => ip
            .parse::<Ipv4Addr>()
            .map(IpAddr::V4)
            .map_err(|_| AddressError::BadIp { expected: 4, got: printable(ip) })?,
        "2" => ip
            .parse::<Ipv6Addr>()
            .map(IpAddr::V6)
            .map_err(|_| AddressError::BadIp { expected: 6, got: printable(ip) })?,
        other => {
            return Err(AddressError::UnknownProtocol { got: printable(other) });
        }
    };
    Ok(SocketAddr::new(ip, parse_port(port)?))
}

fn parse_port(text: &str) -> Result<u16, AddressError> {
    text.parse::<u16>()
        .ok()
        .filter(|port| *port != 0 && text.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| AddressError::BadPort { got: printable(text) })
}

/// The text of a 227 reply the way vsftpd writes it.
pub fn format_passive_text(addr: SocketAddrV4) -> String {
    format!("Entering Passive Mode ({}).", format_host_port(addr))
}

/// Reads the address out of a 227 reply. Like curl and Python's ftplib it looks for the first
/// run of six comma-separated numbers anywhere in the text, because servers differ in the words
/// and brackets around them (`=h1,h2,...`, `(h1,h2,...)`, a trailing dot or none).
pub fn parse_passive_reply(reply: &Reply) -> Result<SocketAddrV4, AddressError> {
    if reply.code != reply_code::PASSIVE {
        return Err(AddressError::WrongReplyCode { expected: reply_code::PASSIVE, got: reply.code });
    }
    let text = reply.text();
    let bytes = text.as_bytes();
    for (start, byte) in bytes.iter().enumerate() {
        let starts_number = byte.is_ascii_digit() && (start == 0 || !bytes[start - 1].is_ascii_digit());
        if !starts_number {
            continue;
        }
        let candidate: String = text[start..].chars().take_while(|c| c.is_ascii_digit() || *c == ',').collect();
        let fields: Vec<&str> = candidate.trim_end_matches(',').split(',').collect();
        if fields.len() >= 6 {
            return parse_host_port(&fields[..6].join(","));
        }
    }
    Err(AddressError::NoNumbersInReply)
}

/// The text of a 229 reply the way vsftpd writes it.
pub fn format_extended_passive_text(port: u16) -> String {
    format!("Entering Extended Passive Mode (|||{port}|)")
}

/// Reads the port out of a 229 reply: `(<d><d><d>port<d>)` with any delimiter `d`.
pub fn parse_extended_passive_reply(reply: &Reply) -> Result<u16, AddressError> {
    if reply.code != reply_code::EXTENDED_PASSIVE {
        return Err(AddressError::WrongReplyCode { expected: reply_code::EXTENDED_PASSIVE, got: reply.code });
    }
    let text = reply.text();
    let bad = || AddressError::BadExtendedPassiveReply { got: printable(&text) };
    let open = text.find('(').ok_or_else(bad)?;
    let close = text[open..].find(')').map(|offset| open + offset).ok_or_else(bad)?;
    let inside = &text[open + 1..close];
    let delimiter = inside.chars().next().ok_or_else(bad)?;
    let fields: Vec<&str> = inside.split(delimiter).collect();
    match fields.as_slice() {
        ["", "", "", port, ""] => parse_port(port),
        _ => Err(bad()),
    }
}

/// A server reply: a three-digit code and one or more lines of text.
///
/// A multi-line reply (`211-Features:` … `211 End`) keeps every line; `lines[0]` is the text of
/// the first line and the last element the text of the closing line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    /// A single-line reply. Line breaks in `text` become spaces so the reply stays one line.
    pub fn new(code: u16, text: impl Into<String>) -> Self {
        Reply { code, lines: vec![one_line(text.into())] }
    }

    /// A multi-line reply; `lines` must hold at least the first and the last line.
    pub fn multi(code: u16, lines: impl IntoIterator<Item = String>) -> Self {
        let mut lines: Vec<String> = lines.into_iter().map(one_line).collect();
        if lines.is_empty() {
            lines.push(String::new());
        }
        Reply { code, lines }
    }

    /// All the text, lines joined with `\n`.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// 1xx: the action has started, another reply will follow.
    pub fn is_preliminary(&self) -> bool {
        (100..200).contains(&self.code)
    }

    /// 2xx: the action completed.
    pub fn is_completion(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// 3xx: more information is needed (e.g. the password).
    pub fn is_intermediate(&self) -> bool {
        (300..400).contains(&self.code)
    }

    /// 4xx or 5xx: the command failed.
    pub fn is_failure(&self) -> bool {
        self.code >= 400
    }

    /// The reply as sent on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

impl fmt::Display for Reply {
    /// The wire form, every line ending in CRLF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code;
        match self.lines.as_slice() {
            [] => write!(f, "{code} \r\n"),
            [only] => write!(f, "{code} {only}\r\n"),
            [first, middle @ .., last] => {
                write!(f, "{code}-{first}\r\n")?;
                for line in middle {
                    // A middle line that looked like the closing line would end the reply early.
                    if needs_escape(line, code) {
                        write!(f, " {line}\r\n")?;
                    } else {
                        write!(f, "{line}\r\n")?;
                    }
                }
                write!(f, "{code} {last}\r\n")
            }
        }
    }
}

fn one_line(text: String) -> String {
    if text.contains(['\r', '\n']) { text.replace(['\r', '\n'], " ") } else { text }
}

/// True when `line` (text after the code position) would be read as the closing line of a
/// multi-line reply with `code`: "ddd " or exactly "ddd".
fn closes_multiline(line: &str, code: u16) -> bool {
    let Some(rest) = line.strip_prefix(&code.to_string()) else {
        return false;
    };
    rest.is_empty() || rest.starts_with(' ')
}

/// A middle line is written with one extra leading space when, without its leading spaces, it
/// would read as the closing line; the decoder removes exactly that space again.
fn needs_escape(line: &str, code: u16) -> bool {
    closes_multiline(line.trim_start_matches(' '), code)
}

/// Why reply bytes could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("expected a reply line starting with a three-digit code, got \"{got}\"")]
    Malformed { got: String },
    #[error("reply line of more than {max} bytes")]
    TooLong { max: usize },
}

/// Cuts a byte stream into lines ending in LF (a CR before it is dropped). Bytes may arrive in
/// any pieces; a line is only returned once it is complete, and the lines (and over-long lines)
/// returned are the same however the stream was cut. Each byte is looked at once, however small
/// the reads: the search for the LF goes on where the last one stopped.
#[derive(Clone, Debug, Default)]
pub struct LineBuffer {
    /// Received bytes; those before `start` were returned already.
    pending: Vec<u8>,
    /// Where the bytes not yet returned begin in `pending`.
    start: usize,
    /// How many bytes from `start` on are known to hold no LF.
    scanned: usize,
    /// Set after an over-long line, until its end is seen, so its tail is not read as a line.
    discarding: bool,
    /// Whether [`MAX_LINE`] includes the line end (CR and LF), as for commands.
    counts_line_end: bool,
}

/// Two buffers are equal when they will return the same lines, wherever their search stopped.
impl PartialEq for LineBuffer {
    fn eq(&self, other: &Self) -> bool {
        self.unread() == other.unread()
            && self.discarding == other.discarding
            && self.counts_line_end == other.counts_line_end
    }
}

impl Eq for LineBuffer {}

impl LineBuffer {
    /// A buffer whose lines may hold [`MAX_LINE`] bytes including their line end.
    pub fn counting_line_end() -> Self {
        LineBuffer { counts_line_end: true, ..LineBuffer::default() }
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 {
            self.pending.drain(..self.start);
            self.start = 0;
        }
        self.pending.extend_from_slice(bytes);
    }

    fn unread(&self) -> &[u8] {
        &self.pending[self.start..]
    }

    fn clear(&mut self) {
        self.pending.clear();
        self.start = 0;
        self.scanned = 0;
    }

    /// True when `unread`, which holds no LF, is the start of a line over [`MAX_LINE`] bytes
    /// whatever comes next. A reply line does not count its line end, so a last CR may still be
    /// the one before the LF: `MAX_LINE` bytes and a CR may yet be a line.
    fn too_long_unended(&self, unread: &[u8]) -> bool {
        if self.counts_line_end {
            // At least the LF is still to come.
            unread.len() >= MAX_LINE
        } else {
            unread.strip_suffix(b"\r").unwrap_or(unread).len() > MAX_LINE
        }
    }

    /// The next complete line, `Err(len)` for a line over [`MAX_LINE`] bytes (dropped; reported
    /// as soon as the bytes received make it too long whatever comes next), or `None` when no
    /// complete line is buffered.
    pub fn next_line(&mut self) -> Option<Result<Vec<u8>, usize>> {
        loop {
            let unread = self.unread();
            let Some(found) = unread[self.scanned..].iter().position(|&b| b == b'\n') else {
                if self.discarding {
                    // The over-long line's tail: nothing of it is kept.
                    self.clear();
                    return None;
                }
                if self.too_long_unended(unread) {
                    let len = unread.len();
                    self.clear();
                    self.discarding = true;
                    return Some(Err(len));
                }
                self.scanned = unread.len();
                return None;
            };
            let with_end = self.scanned + found + 1;
            let line = &unread[..with_end - 1];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let len = if self.counts_line_end { with_end } else { line.len() };
            let line = (len <= MAX_LINE && !self.discarding).then(|| line.to_vec());
            self.start += with_end;
            self.scanned = 0;
            if self.start == self.pending.len() {
                self.clear();
            }
            if std::mem::take(&mut self.discarding) {
                continue;
            }
            return Some(line.ok_or(len));
        }
    }
}

/// Reads commands from the control connection, server side. A line may hold [`MAX_LINE`] bytes
/// with its line end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandDecoder {
    lines: LineBuffer,
}

impl Default for CommandDecoder {
    fn default() -> Self {
        CommandDecoder { lines: LineBuffer::counting_line_end() }
    }
}

impl CommandDecoder {
    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.lines.push(bytes);
    }

    /// The next complete command, or why it could not be read.
    pub fn next_command(&mut self) -> Option<Result<Command, CommandError>> {
        let line = match self.lines.next_line()? {
            Ok(line) => line,
            Err(len) => return Some(Err(CommandError::TooLong { len, max: MAX_LINE })),
        };
        Some(match String::from_utf8(line) {
            Ok(text) => Command::parse(&text),
            Err(_) => Err(CommandError::NotUtf8),
        })
    }
}

/// Reads replies from the control connection, client side, including multi-line replies and
/// replies split across several reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplyDecoder {
    lines: LineBuffer,
    /// The code and lines so far of a multi-line reply whose closing line has not come yet.
    open: Option<(u16, Vec<String>)>,
}

impl ReplyDecoder {
    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.lines.push(bytes);
    }

    /// The next complete reply, or why a line could not be read.
    pub fn next_reply(&mut self) -> Option<Result<Reply, ReplyError>> {
        loop {
            let line = match self.lines.next_line()? {
                Ok(line) => String::from_utf8_lossy(&line).into_owned(),
                Err(_) => return Some(Err(ReplyError::TooLong { max: MAX_LINE })),
            };
            if let Some((code, mut lines)) = self.open.take() {
                if closes_multiline(&line, code) {
                    lines.push(line.get(4..).unwrap_or("").to_owned());
                    return Some(Ok(Reply { code, lines }));
                }
                // Undo the formatter's escape of middle lines that look like the closing one.
                let kept = match line.strip_prefix(' ') {
                    Some(rest) if needs_escape(rest, code) => rest.to_owned(),
                    _ => line,
                };
                lines.push(kept);
                self.open = Some((code, lines));
                continue;
            }
            let Some(code) = leading_code(&line) else {
                return Some(Err(ReplyError::Malformed { got: printable(&line) }));
            };
            let text = line.get(4..).unwrap_or("").to_owned();
            match line.as_bytes().get(3) {
                Some(b'-') => self.open = Some((code, vec![text])),
                None | Some(b' ') => {
                    return Some(Ok(Reply { code, lines: vec![text] }));
                }
                Some(_) => {
                    return Some(Err(ReplyError::Malformed { got: printable(&line) }));
                }
            }
        }
    }
}

fn leading_code(line: &str) -> Option<u16> {
    let digits = line.get(..3)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !(b'1'..=b'5').contains(&digits.as_bytes()[0]) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> SocketAddrV4 {
        text.parse().expect("test address")
    }

    #[test]
    fn verbs_are_case_insensitive() {
        assert_eq!(Command::parse("list\r\n"), Ok(Command::List(None)));
        assert_eq!(Command::parse("Retr notes.txt"), Ok(Command::Retr("notes.txt".into())));
        assert_eq!(Command::parse("ePsV aLl"), Ok(Command::Epsv(EpsvArg::All)));
    }

    #[test]
    fn every_verb_formats_and_parses_back() {
        let commands = [
            Command::User("anonymous".into()),
            Command::Pass("guest@example.com".into()),
            Command::Pass(String::new()),
            Command::Syst,
            Command::Feat,
            Command::Pwd,
            Command::Cwd("/pub".into()),
            Command::Cdup,
            Command::Type(TransferType::Ascii),
            Command::Type(TransferType::Image),
            Command::Mode("S".into()),
            Command::Stru("F".into()),
            Command::Noop,
            Command::Quit,
            Command::Size("readme.txt".into()),
            Command::List(None),
            Command::List(Some("-la".into())),
            Command::Nlst(None),
            Command::Nlst(Some("pub".into())),
            Command::Retr("readme.txt".into()),
            Command::Stor("upload/notes.txt".into()),
            Command::Abor,
            Command::Port(v4("192.168.1.2:5200")),
            Command::Eprt("192.168.1.2:5200".parse().expect("addr")),
            Command::Eprt("[2001:db8::2]:5200".parse().expect("addr")),
            Command::Pasv,
            Command::Epsv(EpsvArg::Any),
            Command::Epsv(EpsvArg::Protocol(2)),
            Command::Epsv(EpsvArg::All),
        ];
        for command in commands {
            let wire = String::from_utf8(command.to_bytes()).expect("ascii");
            assert!(wire.ends_with("\r\n"), "{wire:?}");
            assert_eq!(Command::parse(&wire), Ok(command.clone()), "{wire:?}");
        }
    }

    #[test]
    fn port_encodes_port_as_p1_times_256_plus_p2() {
        assert_eq!(Command::Port(v4("192.168.1.100:5200")).to_string(), "PORT 192,168,1,100,20,80");
        assert_eq!(parse_host_port("203,0,113,50,192,5"), Ok(v4("203.0.113.50:49157")));
        assert_eq!(parse_host_port(" 10, 0,0,1 ,0,21"), Ok(v4("10.0.0.1:21")));
    }

    #[test]
    fn bad_port_arguments_say_what_was_expected() {
        assert_eq!(parse_host_port("1,2,3,4,5"), Err(AddressError::WrongFieldCount { got: 5 }));
        assert_eq!(parse_host_port("1,2,3,4,5,256"), Err(AddressError::BadNumber { got: "256".into() }));
        assert_eq!(parse_host_port("1,2,3,4,5,+6"), Err(AddressError::BadNumber { got: "+6".into() }));
        let err = Command::parse("PORT 1,2,3").expect_err("too few numbers");
        assert_eq!(err.verb(), Some(Verb::Port));
        assert_eq!(err.to_string(), "bad PORT address: expected 6 comma-separated numbers, got 3");
    }

    #[test]
    fn eprt_accepts_any_delimiter_from_rfc_2428() {
        let expected: SocketAddr = "132.235.1.2:6275".parse().expect("addr");
        assert_eq!(parse_eprt("|1|132.235.1.2|6275|"), Ok(expected));
        assert_eq!(parse_eprt("!1!132.235.1.2!6275!"), Ok(expected));
        let v6: SocketAddr = "[1080::8:800:200c:417a]:5282".parse().expect("addr");
        assert_eq!(parse_eprt("|2|1080::8:800:200C:417A|5282|"), Ok(v6));
    }

    #[test]
    fn eprt_errors_name_the_problem() {
        assert_eq!(parse_eprt("|3|1.2.3.4|5|"), Err(AddressError::UnknownProtocol { got: "3".into() }));
        assert!(parse_eprt("|3|1.2.3.4|5|").expect_err("proto").is_unsupported_protocol());
        assert_eq!(parse_eprt("|1|::1|5|"), Err(AddressError::BadIp { expected: 4, got: "::1".into() }));
        assert_eq!(parse_eprt("|1|1.2.3.4|0|"), Err(AddressError::BadPort { got: "0".into() }));
        assert_eq!(parse_eprt("|1|1.2.3.4|5"), Err(AddressError::WrongEprtFieldCount { got: 2 }));
        assert_eq!(parse_eprt(" 1 1.2.3.4 5 "), Err(AddressError::BadDelimiter { got: ' ' }));
        assert_eq!(parse_eprt(""), Err(AddressError::WrongEprtFieldCount { got: 0 }));
    }

    #[test]
    fn passive_reply_is_found_among_extra_text() {
        let addr = v4("203.0.113.50:49157");
        for text in [
            "Entering Passive Mode (203,0,113,50,192,5).",
            "Entering Passive Mode 203,0,113,50,192,5",
            "=203,0,113,50,192,5",
            "Passive mode on, port 7 (203,0,113,50,192,5)",
        ] {
            assert_eq!(parse_passive_reply(&Reply::new(227, text)), Ok(addr), "{text}");
        }
        assert_eq!(parse_passive_reply(&Reply::new(227, "no numbers")), Err(AddressError::NoNumbersInReply));
        assert_eq!(
            parse_passive_reply(&Reply::new(229, "(|||5|)")),
            Err(AddressError::WrongReplyCode { expected: 227, got: 229 })
        );
        assert_eq!(
            Reply::new(227, format_passive_text(addr)).to_string(),
            "227 Entering Passive Mode (203,0,113,50,192,5).\r\n"
        );
    }

    #[test]
    fn extended_passive_reply_gives_the_port() {
        let reply = Reply::new(229, format_extended_passive_text(49157));
        assert_eq!(reply.to_string(), "229 Entering Extended Passive Mode (|||49157|)\r\n");
        assert_eq!(parse_extended_passive_reply(&reply), Ok(49157));
        assert_eq!(parse_extended_passive_reply(&Reply::new(229, "ok (!!!6446!)")), Ok(6446));
        assert!(parse_extended_passive_reply(&Reply::new(229, "ok (|||x|)")).is_err());
        assert!(parse_extended_passive_reply(&Reply::new(229, "ok |||5|")).is_err());
        assert!(parse_extended_passive_reply(&Reply::new(229, "ok (||5|)")).is_err());
    }

    #[test]
    fn unknown_and_malformed_commands_become_errors() {
        assert_eq!(Command::parse("XYZZY now"), Err(CommandError::UnknownVerb { verb: "XYZZY".into() }));
        assert_eq!(Command::parse("\r\n"), Err(CommandError::Empty));
        assert_eq!(Command::parse("   \r\n"), Err(CommandError::Blank));
        assert_eq!(Command::parse(" "), Err(CommandError::Blank));
        assert_eq!(
            Command::parse("RETR"),
            Err(CommandError::MissingArgument { verb: Verb::Retr, expected: "a file name" })
        );
        assert!(matches!(Command::parse("TYPE X"), Err(CommandError::BadArgument { verb: Verb::Type, .. })));
        assert!(matches!(Command::parse("EPSV 1x"), Err(CommandError::BadArgument { verb: Verb::Epsv, .. })));
        assert_eq!(Command::parse("TYPE A N"), Ok(Command::Type(TransferType::Ascii)));
        assert_eq!(Command::parse("TYPE L 8"), Ok(Command::Type(TransferType::Image)));
    }

    #[test]
    fn a_missing_argument_can_be_read_as_an_empty_one() {
        for verb in Verb::ALL {
            let Err(CommandError::MissingArgument { verb: missing, .. }) = Command::parse(verb.as_str()) else {
                continue;
            };
            assert_eq!(missing, verb);
            let empty = Command::with_empty_argument(verb);
            if let Some(command) = &empty {
                assert_eq!(command.verb(), verb);
                assert_eq!(command.to_string().trim_end(), verb.as_str(), "{command:?} is the verb alone");
            }
            assert_eq!(empty.is_none(), matches!(verb, Verb::Type | Verb::Port | Verb::Eprt), "{verb}");
        }
        assert_eq!(Command::with_empty_argument(Verb::Retr), Some(Command::Retr(String::new())));
    }

    #[test]
    fn multiline_reply_round_trips() {
        let feat =
            Reply::multi(211, ["Features:".to_owned(), " EPSV".to_owned(), " PASV".to_owned(), "End".to_owned()]);
        assert_eq!(feat.to_string(), "211-Features:\r\n EPSV\r\n PASV\r\n211 End\r\n");
        let mut decoder = ReplyDecoder::default();
        decoder.push(&feat.to_bytes());
        assert_eq!(decoder.next_reply(), Some(Ok(feat)));
        assert_eq!(decoder.next_reply(), None);
    }

    #[test]
    fn a_reply_split_across_reads_is_returned_once_complete() {
        let mut decoder = ReplyDecoder::default();
        for piece in ["2", "20 (vsFTPd", " 3.0.3)\r", "\n211-a\r\n b\r\n21", "1 c\r\n"] {
            decoder.push(piece.as_bytes());
        }
        assert_eq!(decoder.next_reply(), Some(Ok(Reply::new(220, "(vsFTPd 3.0.3)"))));
        let expected = Reply::multi(211, ["a".to_owned(), " b".to_owned(), "c".to_owned()]);
        assert_eq!(decoder.next_reply(), Some(Ok(expected)));
        assert_eq!(decoder.next_reply(), None);
    }

    #[test]
    fn middle_lines_that_look_like_the_end_are_escaped() {
        let tricky = Reply::multi(211, ["a".to_owned(), "211 not the end".to_owned(), "end".to_owned()]);
        let mut decoder = ReplyDecoder::default();
        decoder.push(&tricky.to_bytes());
        assert_eq!(decoder.next_reply(), Some(Ok(tricky)));
    }

    #[test]
    fn malformed_reply_lines_are_errors_and_reading_goes_on() {
        let mut decoder = ReplyDecoder::default();
        decoder.push(b"hello\r\n2x0 nope\r\n200 fine\r\n");
        assert!(matches!(decoder.next_reply(), Some(Err(ReplyError::Malformed { .. }))));
        assert!(matches!(decoder.next_reply(), Some(Err(ReplyError::Malformed { .. }))));
        assert_eq!(decoder.next_reply(), Some(Ok(Reply::new(200, "fine"))));
    }

    #[test]
    fn over_long_lines_are_dropped_whole() {
        let mut decoder = CommandDecoder::default();
        decoder.push(&vec![b'A'; MAX_LINE + 10]);
        assert!(matches!(decoder.next_command(), Some(Err(CommandError::TooLong { .. }))));
        decoder.push(b"AAAA\r\nNOOP\r\n");
        assert_eq!(decoder.next_command(), Some(Ok(Command::Noop)));
        assert_eq!(decoder.next_command(), None);
    }

    #[test]
    fn a_command_line_may_hold_4096_bytes_with_its_line_end() {
        let line = |len: usize, end: &[u8]| {
            let mut bytes = b"NOOP ".to_vec();
            bytes.resize(len - end.len(), b'A');
            bytes.extend_from_slice(end);
            bytes
        };
        let mut decoder = CommandDecoder::default();
        decoder.push(&line(MAX_LINE, b"\r\n"));
        decoder.push(&line(MAX_LINE, b"\n"));
        decoder.push(&line(MAX_LINE + 1, b"\r\n"));
        decoder.push(&line(MAX_LINE + 1, b"\n"));
        assert!(matches!(decoder.next_command(), Some(Ok(Command::Noop))));
        assert!(matches!(decoder.next_command(), Some(Ok(Command::Noop))));
        assert_eq!(decoder.next_command(), Some(Err(CommandError::TooLong { len: MAX_LINE + 1, max: MAX_LINE })));
        assert_eq!(decoder.next_command(), Some(Err(CommandError::TooLong { len: MAX_LINE + 1, max: MAX_LINE })));
        assert_eq!(decoder.next_command(), None);
        // 4096 bytes without a line end can only become a longer line: too long at once.
        decoder.push(&[b'A'; MAX_LINE - 1]);
        assert_eq!(decoder.next_command(), None);
        decoder.push(b"A");
        assert!(matches!(decoder.next_command(), Some(Err(CommandError::TooLong { .. }))));
        // A reply line may hold 4096 bytes without its line end.
        let mut replies = ReplyDecoder::default();
        let mut reply = b"200 ".to_vec();
        reply.resize(MAX_LINE, b'x');
        reply.extend_from_slice(b"\r\n");
        replies.push(&reply);
        assert!(matches!(replies.next_reply(), Some(Ok(Reply { code: 200, .. }))));
    }

    #[test]
    fn only_the_cr_before_the_lf_ends_a_command_line() {
        // vsftpd drops the LF and one CR before it; any other CR is the argument's.
        let mut decoder = CommandDecoder::default();
        decoder.push(b"USER a\r\r\r\nRETR a\rb\r\nUSER c\n");
        let user = Command::User("a\r\r".into());
        assert_eq!(decoder.next_command(), Some(Ok(user.clone())));
        assert_eq!(decoder.next_command(), Some(Ok(Command::Retr("a\rb".into()))));
        assert_eq!(decoder.next_command(), Some(Ok(Command::User("c".into()))));
        assert_eq!(decoder.next_command(), None);
        // Written and read again, it is the same command.
        assert_eq!(user.to_bytes(), b"USER a\r\r\r\n");
        decoder.push(&user.to_bytes());
        assert_eq!(decoder.next_command(), Some(Ok(user.clone())));
        assert_eq!(Command::parse(&user.to_string()), Ok(user.clone()));
        // `parse` takes a line with or without its line end alike.
        assert_eq!(Command::parse("USER a\r\r\r\n"), Ok(user));
        assert_eq!(Command::parse("USER a\r"), Ok(Command::User("a\r".into())));
        assert_eq!(Command::parse("USER a\r\n"), Ok(Command::User("a".into())));
        assert_eq!(Command::parse("USER a\n"), Ok(Command::User("a".into())));
    }

    /// Every line `buffer` gives for `stream` delivered in `pieces` (over-long lines as `None`).
    fn lines_in_pieces(mut buffer: LineBuffer, stream: &[u8], pieces: &[usize]) -> Vec<Option<Vec<u8>>> {
        let mut lines = Vec::new();
        let mut rest = stream;
        for &size in pieces.iter().chain(std::iter::once(&usize::MAX)) {
            let (piece, after) = rest.split_at(size.min(rest.len()));
            rest = after;
            buffer.push(piece);
            while let Some(line) = buffer.next_line() {
                lines.push(line.ok());
            }
        }
        lines
    }

    #[test]
    fn lines_are_the_same_however_the_stream_is_cut() {
        let line = |len: usize, end: &[u8]| [vec![b'A'; len], end.to_vec(), b"x\r\n".to_vec()].concat();
        for buffer in [LineBuffer::default(), LineBuffer::counting_line_end()] {
            for len in MAX_LINE - 3..=MAX_LINE + 2 {
                for end in [&b"\r\n"[..], b"\n", b"\r\r\n", b"\rA\n"] {
                    let stream = line(len, end);
                    let whole = lines_in_pieces(buffer.clone(), &stream, &[]);
                    for cut in len - 1..=len + end.len() {
                        let cut_once = lines_in_pieces(buffer.clone(), &stream, &[cut]);
                        assert_eq!(cut_once, whole, "{len} bytes, {end:?}, cut at {cut}");
                    }
                    let bytewise = lines_in_pieces(buffer.clone(), &stream, &vec![1; stream.len()]);
                    assert_eq!(bytewise, whole, "{len} bytes, {end:?}, one byte per read");
                }
            }
        }
    }

    #[test]
    fn a_reply_line_of_4096_bytes_is_read_when_the_read_ends_between_cr_and_lf() {
        let mut line = b"200 ".to_vec();
        line.resize(MAX_LINE, b'x');
        let mut decoder = ReplyDecoder::default();
        decoder.push(&line);
        decoder.push(b"\r");
        assert_eq!(decoder.next_reply(), None);
        decoder.push(b"\n");
        assert!(matches!(decoder.next_reply(), Some(Ok(Reply { code: 200, .. }))));
        // One more byte, and it is too long before the LF comes.
        line.push(b'x');
        decoder.push(&line);
        decoder.push(b"\r");
        assert_eq!(decoder.next_reply(), Some(Err(ReplyError::TooLong { max: MAX_LINE })));
        decoder.push(b"\n200 ok\r\n");
        assert_eq!(decoder.next_reply(), Some(Ok(Reply::new(200, "ok"))));
    }

    #[test]
    fn a_line_read_one_byte_at_a_time_is_searched_once() {
        let mut buffer = LineBuffer::default();
        for count in 1..=MAX_LINE {
            buffer.push(b"A");
            assert_eq!(buffer.next_line(), None);
            // The next search starts after the bytes already searched.
            assert_eq!((buffer.scanned, buffer.unread().len()), (count, count));
        }
        buffer.push(b"\r\nB\n");
        assert_eq!(buffer.next_line(), Some(Ok(vec![b'A'; MAX_LINE])));
        assert_eq!(buffer.next_line(), Some(Ok(b"B".to_vec())));
        assert_eq!((buffer.pending.len(), buffer.scanned), (0, 0));
        // Where a search stopped makes no difference to what a buffer is.
        let mut cut = LineBuffer::default();
        cut.push(b"ab");
        assert_eq!(cut.next_line(), None);
        cut.push(b"c");
        let mut whole = LineBuffer::default();
        whole.push(b"abc");
        assert_eq!(cut, whole);
    }

    #[test]
    fn non_utf8_commands_are_errors() {
        let mut decoder = CommandDecoder::default();
        decoder.push(b"RETR \xff\xfe\r\n");
        assert_eq!(decoder.next_command(), Some(Err(CommandError::NotUtf8)));
    }

    #[test]
    fn reply_classes() {
        assert!(Reply::new(150, "x").is_preliminary());
        assert!(Reply::new(226, "x").is_completion());
        assert!(Reply::new(331, "x").is_intermediate());
        assert!(Reply::new(425, "x").is_failure());
        assert_eq!(Reply::new(200, "two\r\nlines").lines, vec!["two  lines".to_owned()]);
    }
}
