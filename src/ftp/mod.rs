//! Sans-IO FTP: the client and server state machines and their wire format.
//!
//! Neither engine touches a socket, a clock or a random source. A driver (the simulated network
//! in [`crate::sim`], or the in-memory [`loopback`] used by tests) feeds each engine [`Input`]s
//! with the current virtual time and carries out the [`Output`]s it asks for. Both roles share
//! this one vocabulary:
//!
//! ```text
//!   driver ──handle(now, Input)──▶ engine ──poll_output()──▶ Output ──▶ driver
//! ```
//!
//! | module       | what it holds                                                     |
//! |--------------|-------------------------------------------------------------------|
//! | [`codec`]    | commands, replies, `PORT`/`227`/`EPRT`/`229` addresses             |
//! | [`server`]   | a vsftpd-like server session and its settings                      |
//! | [`client`]   | a client in one of five data-connection modes (curl-like)          |
//! | [`console`]  | a client that sends what a student types, as a raw client would    |
//! | [`fs`]       | the server's small in-memory file tree                             |
//! | [`loopback`] | a perfect in-memory network that wires a client to a server       |
//!
//! Left out on purpose: anything about networks (that is [`crate::net`]), TLS, and
//! more than one client per server session.

pub mod client;
pub mod codec;
pub mod console;
pub mod fs;
pub mod loopback;
pub mod server;
mod shared_list;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use serde::{Deserialize, Serialize};

use crate::time::{Duration, Instant};
use client::ClientFailure;
use codec::{Command, Reply, Verb};

/// Names one data connection (or listening socket) an engine asked for. Each engine numbers its
/// own from 1; the driver keeps the mapping to real (simulated) sockets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DataId(pub u32);

impl fmt::Display for DataId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "data#{}", self.0)
    }
}

/// Why a connection attempt failed, as the operating system would report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConnectError {
    /// The peer (or a firewall on its behalf) answered with a reset: `ECONNREFUSED`.
    Refused,
    /// No route, or an ICMP unreachable came back: `ENETUNREACH` / `EHOSTUNREACH`.
    Unreachable,
    /// No answer after all SYN retransmissions: `ETIMEDOUT`.
    TimedOut,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConnectError::Refused => "connection refused",
            ConnectError::Unreachable => "network unreachable",
            ConnectError::TimedOut => "connection timed out",
        })
    }
}

/// Something that happened on a data connection or listening socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataEvent {
    /// The listening socket asked for with [`Output::Listen`] is open at `local`.
    Listening { local: SocketAddr },
    /// The address asked for is already in use.
    ListenFailed,
    /// The connection is established: either our connect completed, or a peer connected to our
    /// listening socket (which then stops listening: every listener accepts one connection).
    Connected { local: SocketAddr, peer: SocketAddr },
    /// Our connection attempt failed.
    ConnectFailed(ConnectError),
    /// Bytes arrived.
    Bytes(Vec<u8>),
    /// The peer finished sending (FIN); every byte before it has been delivered.
    Closed,
    /// The peer aborted the connection (RST).
    Reset,
}

/// Timers an engine can arm. At most one of each kind is pending per engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TimerKind {
    /// Server: the active-mode connect has taken too long (vsftpd `connect_timeout`).
    /// Client: the passive-mode connect has taken too long.
    DataConnect,
    /// Server: no client connected to the passive port (vsftpd `accept_timeout`).
    /// Client: the server never connected back in active mode.
    DataAccept,
    /// Client: the server has not replied to a command.
    Reply,
}

impl fmt::Display for TimerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimerKind::DataConnect => "data-connect",
            TimerKind::DataAccept => "data-accept",
            TimerKind::Reply => "reply",
        })
    }
}

/// What a driver tells an engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Input {
    /// The control connection is established.
    ControlOpened { local: SocketAddr, peer: SocketAddr },
    /// Client only: the control connection could not be made.
    ControlFailed(ConnectError),
    /// Bytes arrived on the control connection.
    ControlBytes(Vec<u8>),
    /// The peer closed the control connection.
    ControlClosed,
    /// Something happened on a data connection or listening socket.
    Data { id: DataId, event: DataEvent },
    /// A timer armed with [`Output::SetTimer`] is due.
    Timer(TimerKind),
}

/// What an engine asks its driver to do, or tells it about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Output {
    /// Client only: open the control connection.
    ConnectControl { to: SocketAddr },
    /// Send bytes on the control connection.
    SendControl(Vec<u8>),
    /// Close the control connection.
    CloseControl,
    /// Open a listening socket at `on` (port 0: any free ephemeral port).
    Listen { id: DataId, on: SocketAddr },
    /// Open a data connection from `from` (port 0: any free ephemeral port) to `to`.
    Connect { id: DataId, from: SocketAddr, to: SocketAddr },
    /// Send bytes on a data connection.
    SendData { id: DataId, bytes: Vec<u8> },
    /// Close a data connection after what was sent (FIN), stop a connection attempt, or stop a
    /// listening socket.
    CloseData { id: DataId },
    /// Deliver [`Input::Timer`] at `at` unless cancelled or re-armed before.
    SetTimer { timer: TimerKind, at: Instant },
    /// Forget a pending timer.
    CancelTimer { timer: TimerKind },
    /// Something worth showing in the trace.
    Trace(FtpTrace),
    /// This engine's side of the control connection now speaks TLS: everything it sends on it
    /// from here on is encrypted (explicit FTPS, after `AUTH TLS` and the handshake).
    SecureControl,
}

/// The TLS handshake, in the byte counts a real one has. The simulator does not encrypt: these
/// stand for the ClientHello and for the server's answer (ServerHello, certificate, Finished),
/// each behind the five-byte TLS record header a capture shows.
pub fn tls_hello(from_client: bool) -> Vec<u8> {
    let length: usize = if from_client { 512 } else { 1400 };
    let mut bytes = vec![0x16, 0x03, if from_client { 0x01 } else { 0x03 }];
    bytes.extend_from_slice(&(length as u16).to_be_bytes());
    bytes.resize(5 + length, 0);
    bytes
}

/// An FTP-level event, in a form that the transcript, the captions and the tests can read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FtpTrace {
    CommandSent(Command),
    CommandReceived(Command),
    /// The server could not understand a command line; the text says why.
    CommandRejected(String),
    ReplySent(Reply),
    ReplyReceived(Reply),
    /// The client could not understand a reply line; the text says why.
    ReplyUnreadable(String),
    /// The engine's state changed; states print in upper case like TCP's.
    State {
        from: String,
        to: String,
    },
    /// A decision worth showing.
    Note(Note),
}

/// A decision an engine took that is worth showing. The engines only name the decision and its
/// facts; the layer that shows it chooses the words (`crate::messages`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "note")]
pub enum Note {
    /// Client: the session failed and the client stops.
    GivingUp { failure: ClientFailure },
    /// Client: PASV was asked for on IPv6, which it cannot carry; EPSV goes instead.
    PasvNeedsIpv4,
    /// Client: PORT was asked for on IPv6; EPRT goes instead.
    PortNeedsIpv4,
    /// Client: announcing another host's address (an FTP bounce attempt).
    AnnouncingOther { announced: IpAddr, own: IpAddr },
    /// Client: the server refused EPRT; trying PORT (curl's "disabling EPRT usage").
    EprtRefused { code: u16 },
    /// Client: the server refused EPSV; trying PASV.
    EpsvRefused { code: u16 },
    /// Client: the data connection after EPSV failed; curl disables EPSV and tries PASV on the
    /// same session ("Failed EPSV attempt. Disabling EPSV").
    EpsvConnectFailed,
    /// Client: a reply that fits nothing it is waiting for.
    UnexpectedReply { code: u16, state: String },
    /// Client: the 227 reply names another address than the control connection's, and the
    /// client connects there (the classic behaviour).
    TrustingPassiveAddress { announced: IpAddr, control: IpAddr },
    /// Client: … and the client reuses the control connection's address instead (curl ≥ 7.74,
    /// ftplib).
    IgnoringPassiveAddress { announced: IpAddr, control: IpAddr },
    /// Client: no listening socket could be opened for an active-mode data connection.
    ListenFailed,
    /// Server: refusing the address in PORT/EPRT (vsftpd `port_promiscuous=NO`).
    RefusingAddress { verb: Verb, target: SocketAddr, control_peer: Option<IpAddr> },
    /// Server: refusing a privileged port in PORT/EPRT.
    RefusingPrivilegedPort { verb: Verb, target: SocketAddr },
    /// Server: writing its configured public address into 227 (vsftpd `pasv_address`).
    AnnouncingPasvAddress { public: Ipv4Addr, own: IpAddr },
    /// Server: a passive data connection came from another host than the control connection's
    /// (vsftpd `pasv_promiscuous=NO`).
    ForeignDataPeer { peer: IpAddr },
    /// Server: its active-mode connect failed.
    DataConnectFailed { error: ConnectError },
    /// Server: gave up connecting after `connect_timeout`.
    ConnectTimeout { after: Duration },
    /// Server: no connection to the passive port within `accept_timeout`.
    AcceptTimeout { after: Duration },
    /// Server: vsftpd with `port_promiscuous=YES` and `connect_from_port_20=YES` cannot bind
    /// the data port, and its session ends with `500 OOPS`.
    CannotBindPort20 { port: u16 },
    /// Server: an upload was stored.
    Stored { bytes: usize, path: String },
    /// Server: an upload could not be stored.
    StoreFailed { path: String },
    /// Either side: the TLS handshake on the control connection is done; it is encrypted now.
    TlsEstablished,
    /// Console: the student typed `line`; what the console does with it.
    Typed { line: String, typing: console::Typing },
}

/// The interface both engines share, so drivers can treat them alike.
pub trait Engine {
    /// Feeds one input at virtual time `now`.
    fn handle(&mut self, now: Instant, input: Input);
    /// The next output, oldest first; `None` when there is nothing more to do until new input.
    fn poll_output(&mut self) -> Option<Output>;
}
