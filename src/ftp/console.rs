//! A console client, sans-IO: a session in which a student types the commands.
//!
//! [`ConsoleClient`] speaks to its driver like [`super::client::FtpClient`] does (the same
//! [`Input`]s and [`Output`]s). It connects and logs in as the scenario's client would (`USER`,
//! `PASS`; over TLS first `AUTH TLS`, then `PBSZ 0` and `PROT P`), and then does nothing until
//! its driver hands it a typed line ([`ConsoleClient::type_line`]). Each line goes out as typed,
//! with CRLF added, even when it is not a command the codec can read: what the server makes of
//! `garbage` is the lesson. Around the line the console is a helpful raw client, like a student
//! with `telnet` and `nc` side by side:
//!
//! - `PORT`/`EPRT` naming the client's own address: it listens on that port first, so the
//!   server's connection can arrive (or be dropped on the way, as in active mode). Naming
//!   another address opens nothing: whatever the network does with the server's connection
//!   is what happens.
//! - after a `227` or `229` reply, the next `LIST`, `NLST`, `RETR` or `STOR` first connects to
//!   the address announced (the control connection's address unless the scenario trusts the
//!   227 address, as for the scripted clients), then goes out, whether the connection worked
//!   or not.
//! - `STOR` sends [`UPLOAD_CONTENTS`] once the server has said `150` and the data connection is
//!   open; downloads are read to the end.
//!
//! It keeps a [`log`](ConsoleClient::log): each line sent with the replies it got, which is what
//! the page's console shows. Lines are checked by [`check_line`]: at most [`MAX_LINE`] bytes,
//! no control characters, and no `AUTH` (a TLS handshake cannot be typed).
//!
//! Left out on purpose: timers of its own (a person at a console waits; TCP and the server
//! give up by themselves), `REST`/`ABOR` handling, and more than one data connection at a time.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};

use super::codec::{
    Command, Reply, ReplyDecoder, Verb, parse_extended_passive_reply, parse_passive_reply, reply_code as code,
};
use super::{ConnectError, DataEvent, DataId, Engine, FtpTrace, Input, Note, Output};
use crate::time::Instant;

/// The longest line the console takes, in bytes (a PORT or EPRT line is under 60).
pub const MAX_LINE: usize = 100;

/// The most lines one console session takes.
pub const MAX_LINES: usize = 30;

/// What `STOR` uploads from the console.
pub const UPLOAD_CONTENTS: &[u8] = b"Typed at the console.\r\n";

/// Why a line cannot be typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineError {
    /// Nothing but spaces.
    Empty,
    /// Longer than [`MAX_LINE`] bytes.
    TooLong { len: usize, max: usize },
    /// A control character (a line break, a tab, NUL…) at this character position (from 1).
    ControlCharacter { position: usize, code: u32 },
    /// `AUTH`: a TLS handshake cannot be typed.
    Tls,
    /// More than [`MAX_LINES`] lines.
    TooMany { max: usize },
}

/// Checks a line before it is typed: what the console refuses, with the reason.
pub fn check_line(line: &str) -> Result<(), LineError> {
    if line.trim().is_empty() {
        return Err(LineError::Empty);
    }
    if line.len() > MAX_LINE {
        return Err(LineError::TooLong { len: line.len(), max: MAX_LINE });
    }
    if let Some((index, character)) = line.chars().enumerate().find(|(_, character)| character.is_control()) {
        return Err(LineError::ControlCharacter { position: index + 1, code: character as u32 });
    }
    let verb = line.split(' ').next().unwrap_or_default();
    if Verb::parse(verb) == Some(Verb::Auth) {
        return Err(LineError::Tls);
    }
    Ok(())
}

/// What the console does with a typed line: the trace's [`Note::Typed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "plan")]
pub enum Typing {
    /// Sent as typed.
    Send,
    /// Not a command the client's codec reads (the server's trace says why); sent as typed all
    /// the same.
    Unreadable,
    /// `PORT`/`EPRT` naming the client's own address: it listens there, then sends the line.
    ListenFirst { on: SocketAddr },
    /// `PORT`/`EPRT` naming another address than the client's own: nothing of the client's
    /// listens there.
    OtherAddress { announced: SocketAddr, own: IpAddr },
    /// A transfer after `227`/`229`: it connects there first, then sends the line.
    ConnectFirst { to: SocketAddr },
    /// The control connection is closed: the line is not sent.
    NotConnected,
}

/// Who sent a line of the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sender {
    /// The connection itself: the server's greeting answers it.
    Connection,
    /// The console, logging in as the scenario's client would.
    Login,
    /// The student.
    Typed,
}

/// One line of the console's log: what was sent and every reply that answered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub line: String,
    pub sender: Sender,
    pub replies: Vec<Reply>,
    /// Bytes that came over the data connection of this line (a listing, a file).
    pub received: usize,
    /// Bytes the console sent over it (`STOR`).
    pub uploaded: usize,
    /// The data connection the console opened for this line failed.
    pub data_failed: Option<(SocketAddr, ConnectError)>,
    /// False when the line was not sent (the control connection was closed).
    pub sent: bool,
    /// `LIST`, `NLST`, `RETR` or `STOR`: a transfer over a data connection.
    pub transfer: bool,
}

impl Entry {
    fn new(line: String, sender: Sender) -> Self {
        Entry {
            line,
            sender,
            replies: Vec::new(),
            received: 0,
            uploaded: 0,
            data_failed: None,
            sent: true,
            transfer: false,
        }
    }

    /// The last reply that is not `1xx`: the line's answer.
    pub fn final_reply(&self) -> Option<&Reply> {
        self.replies.iter().rev().find(|reply| !reply.is_preliminary())
    }
}

/// The console's settings: where to connect and how to log in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleSettings {
    pub server: SocketAddr,
    pub user: String,
    pub password: String,
    /// Explicit FTPS: `AUTH TLS` before logging in, `PBSZ 0` and `PROT P` after.
    pub tls: bool,
    /// Connect to the address inside a 227 reply instead of the control connection's.
    pub trust_pasv_address: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Connecting,
    AwaitingGreeting,
    SentAuth,
    TlsHandshake,
    SentUser,
    SentPass,
    SentPbsz,
    SentProt,
    /// Logged in (or not: the student may log in by hand); waits for typed lines.
    Ready,
    Closed,
}

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Connecting => "CONNECTING",
            Step::AwaitingGreeting => "AWAITING-GREETING",
            Step::SentAuth => "AWAITING-AUTH-REPLY",
            Step::TlsHandshake => "TLS-HANDSHAKE",
            Step::SentUser => "AWAITING-USER-REPLY",
            Step::SentPass => "AWAITING-PASS-REPLY",
            Step::SentPbsz => "AWAITING-PBSZ-REPLY",
            Step::SentProt => "AWAITING-PROT-REPLY",
            Step::Ready => "AT-THE-PROMPT",
            Step::Closed => "CLOSED",
        }
    }
}

/// The data connection or listening socket of the current line.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Data {
    id: DataId,
    /// Where it connects (passive), before it is open.
    connecting_to: Option<SocketAddr>,
    open: bool,
    /// The peer has closed its side.
    peer_closed: bool,
    /// `STOR`: the upload went out.
    uploaded: bool,
}

/// A console session. Feed it [`Input`]s and typed lines, take [`Output`]s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleClient {
    settings: ConsoleSettings,
    decoder: ReplyDecoder,
    outputs: VecDeque<Output>,
    now: Instant,
    /// (local, peer) of the control connection while it is open.
    control: Option<(SocketAddr, SocketAddr)>,
    step: Step,
    log: Vec<Entry>,
    /// Lines handed over by the driver, sent or not.
    typed: usize,
    /// Where the last 227/229 said to connect, until a transfer uses it.
    passive: Option<SocketAddr>,
    data: Option<Data>,
    next_data_id: u32,
    /// A typed line waiting for its data connection to open (or fail).
    held: Option<(String, Option<Command>)>,
    /// The verb of the last typed line sent, while its answer is awaited.
    awaiting: Option<Verb>,
    /// `STOR`: the server said 150.
    upload_wanted: bool,
    /// The control connection could not be opened.
    control_failed: Option<ConnectError>,
    /// A typed line went out and its answer (a reply that is not 1xx) has not come yet.
    unanswered: bool,
}

impl ConsoleClient {
    /// A console that connects to `settings.server` as soon as its driver polls it.
    pub fn new(settings: ConsoleSettings) -> Self {
        let mut outputs = VecDeque::new();
        outputs.push_back(Output::ConnectControl { to: settings.server });
        ConsoleClient {
            settings,
            decoder: ReplyDecoder::default(),
            outputs,
            now: Instant::ZERO,
            control: None,
            step: Step::Connecting,
            log: Vec::new(),
            typed: 0,
            passive: None,
            data: None,
            next_data_id: 1,
            held: None,
            awaiting: None,
            upload_wanted: false,
            control_failed: None,
            unanswered: false,
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &ConsoleSettings {
        &self.settings
    }

    /// Changes settings mid-session (a branch): only whether the 227 address is trusted can
    /// change; the server and the login stay as they were.
    pub fn set_trust_pasv_address(&mut self, trust: bool) {
        self.settings.trust_pasv_address = trust;
    }

    /// Every line sent so far with the replies it got, oldest first.
    pub fn log(&self) -> &[Entry] {
        &self.log
    }

    /// How many typed lines the driver has handed over.
    pub fn typed(&self) -> usize {
        self.typed
    }

    /// True while the control connection is open (a typed line would go out).
    pub fn is_connected(&self) -> bool {
        self.control.is_some() && self.step != Step::Closed
    }

    /// True while the console waits for something before the student would type again: the
    /// login, a data connection it opens, or the answer to the last line.
    pub fn is_waiting(&self) -> bool {
        match self.step {
            Step::Closed => false,
            Step::Ready => self.unanswered || self.held.is_some(),
            _ => true,
        }
    }

    /// Why the control connection could not be opened, if it could not.
    pub fn control_failed(&self) -> Option<ConnectError> {
        self.control_failed
    }

    /// The state name the trace shows.
    pub fn state_name(&self) -> String {
        self.step.name().to_owned()
    }

    fn emit(&mut self, output: Output) {
        self.outputs.push_back(output);
    }

    fn note(&mut self, note: Note) {
        self.emit(Output::Trace(FtpTrace::Note(note)));
    }

    /// Sends a line the console made up itself (logging in).
    fn send_own(&mut self, command: Command, step: Step) {
        self.log.push(Entry::new(command.to_string(), Sender::Login));
        self.emit(Output::SendControl(command.to_bytes()));
        self.emit(Output::Trace(FtpTrace::CommandSent(command)));
        self.step = step;
    }

    /// Sends a typed line as typed; the trace shows the command when the codec reads it.
    fn send_typed(&mut self, line: &str, command: Option<Command>) {
        self.emit(Output::SendControl(format!("{line}\r\n").into_bytes()));
        self.unanswered = true;
        self.awaiting = command.as_ref().map(Command::verb);
        if let Some(command) = command {
            self.emit(Output::Trace(FtpTrace::CommandSent(command)));
        }
    }

    fn new_data_id(&mut self) -> DataId {
        let id = DataId(self.next_data_id);
        self.next_data_id += 1;
        id
    }

    fn close_data(&mut self) {
        // An upload closed its side when it went out.
        if let Some(data) = self.data.take().filter(|data| !data.uploaded) {
            self.emit(Output::CloseData { id: data.id });
        }
        self.upload_wanted = false;
    }

    fn current(&mut self) -> Option<&mut Entry> {
        self.log.last_mut()
    }

    /// The student typed `line`: send it (after opening what it needs), or say why not.
    pub fn type_line(&mut self, now: Instant, line: &str) {
        self.now = now;
        let before = self.step;
        self.typed += 1;
        self.log.push(Entry::new(line.to_owned(), Sender::Typed));
        let Some((local, _)) = self.control.filter(|_| self.step != Step::Closed) else {
            if let Some(entry) = self.current() {
                entry.sent = false;
            }
            self.note(Note::Typed { line: line.to_owned(), typing: Typing::NotConnected });
            return;
        };
        // Whatever the login came to, the prompt is the student's now.
        self.step = Step::Ready;
        let parsed = Command::parse(line);
        let transfer = matches!(parsed, Ok(Command::List(_) | Command::Nlst(_) | Command::Retr(_) | Command::Stor(_)));
        if let Some(entry) = self.current() {
            entry.transfer = transfer;
        }
        let typing = match &parsed {
            Err(_) => Typing::Unreadable,
            Ok(Command::Port(v4)) => self.announce(SocketAddr::V4(*v4), local),
            Ok(Command::Eprt(addr)) => self.announce(*addr, local),
            _ => match self.passive.take_if(|_| transfer) {
                Some(target) => {
                    self.close_data();
                    Typing::ConnectFirst { to: target }
                }
                None => Typing::Send,
            },
        };
        self.note(Note::Typed { line: line.to_owned(), typing });
        let command = parsed.ok();
        match typing {
            Typing::ListenFirst { on } => {
                let id = self.new_data_id();
                self.data = Some(Data { id, connecting_to: None, open: false, peer_closed: false, uploaded: false });
                self.emit(Output::Listen { id, on });
                self.send_typed(line, command);
            }
            Typing::ConnectFirst { to } => {
                let id = self.new_data_id();
                self.data =
                    Some(Data { id, connecting_to: Some(to), open: false, peer_closed: false, uploaded: false });
                self.emit(Output::Connect { id, from: SocketAddr::new(local.ip(), 0), to });
                self.held = Some((line.to_owned(), command));
            }
            _ => self.send_typed(line, command),
        }
        self.trace_state(before);
    }

    /// `PORT`/`EPRT` naming `announced`: a listener when it is our own address.
    fn announce(&mut self, announced: SocketAddr, local: SocketAddr) -> Typing {
        // A new announcement replaces whatever data connection was set up before.
        self.close_data();
        self.passive = None;
        if announced.ip() == local.ip() {
            Typing::ListenFirst { on: announced }
        } else {
            Typing::OtherAddress { announced, own: local.ip() }
        }
    }

    /// Where to connect after a 227: the announced address, or the control connection's.
    fn passive_target(&mut self, announced: SocketAddr) -> SocketAddr {
        let peer = self.control.map(|(_, peer)| peer);
        let (target, note) = super::client::passive_target(announced, peer, self.settings.trust_pasv_address);
        if let Some(note) = note {
            self.note(note);
        }
        target
    }

    fn release_held(&mut self) {
        if let Some((line, command)) = self.held.take() {
            self.send_typed(&line, command);
        }
    }

    fn read_replies(&mut self) {
        while !matches!(self.step, Step::Connecting | Step::TlsHandshake) {
            match self.decoder.next_reply() {
                None => break,
                Some(Ok(reply)) => self.on_reply(reply),
                // The simulated servers send none; a console would show the raw line.
                Some(Err(_)) => {}
            }
        }
    }

    fn on_reply(&mut self, reply: Reply) {
        self.emit(Output::Trace(FtpTrace::ReplyReceived(reply.clone())));
        if let Some(entry) = self.current() {
            entry.replies.push(reply.clone());
        }
        match self.step {
            Step::AwaitingGreeting if reply.code == code::READY && self.settings.tls => {
                self.send_own(Command::Auth("TLS".to_owned()), Step::SentAuth)
            }
            Step::AwaitingGreeting if reply.code == code::READY => self.send_user(),
            Step::SentAuth if reply.code == code::AUTH_OK => {
                self.emit(Output::SendControl(super::tls_hello(true)));
                self.step = Step::TlsHandshake;
            }
            Step::SentUser if reply.code == code::NEED_PASSWORD => {
                let password = self.settings.password.clone();
                self.send_own(Command::Pass(password), Step::SentPass);
            }
            Step::SentUser | Step::SentPass if reply.code == code::LOGGED_IN && self.settings.tls => {
                self.send_own(Command::Pbsz("0".to_owned()), Step::SentPbsz)
            }
            Step::SentPbsz if reply.is_completion() => self.send_own(Command::Prot("P".to_owned()), Step::SentProt),
            // Logged in, or refused: either way the prompt is the student's now.
            Step::AwaitingGreeting
            | Step::SentAuth
            | Step::SentUser
            | Step::SentPass
            | Step::SentPbsz
            | Step::SentProt => self.step = Step::Ready,
            Step::Ready => {
                self.unanswered &= reply.is_preliminary();
                self.on_typed_reply(&reply);
            }
            Step::Connecting | Step::TlsHandshake | Step::Closed => {}
        }
    }

    fn send_user(&mut self) {
        let user = self.settings.user.clone();
        self.send_own(Command::User(user), Step::SentUser);
    }

    /// A reply to a typed line: remember a passive address, upload after 150, tidy up after a
    /// final answer.
    fn on_typed_reply(&mut self, reply: &Reply) {
        if reply.code == code::PASSIVE {
            if let Ok(announced) = parse_passive_reply(reply) {
                self.close_data();
                self.passive = Some(self.passive_target(SocketAddr::V4(announced)));
            }
            return;
        }
        if reply.code == code::EXTENDED_PASSIVE {
            if let (Ok(port), Some((_, peer))) = (parse_extended_passive_reply(reply), self.control) {
                self.close_data();
                self.passive = Some(SocketAddr::new(peer.ip(), port));
            }
            return;
        }
        let transfer = matches!(self.awaiting, Some(Verb::List | Verb::Nlst | Verb::Retr | Verb::Stor));
        if reply.is_preliminary() {
            if self.awaiting == Some(Verb::Stor) {
                self.upload_wanted = true;
                self.upload_if_ready();
            }
            return;
        }
        let announcing = matches!(self.awaiting, Some(Verb::Port | Verb::Eprt));
        self.awaiting = None;
        // A refused announcement, or a transfer whose data connection failed (425, 426), leaves
        // nothing to wait for on the data side. After other refusals (550 for a missing file)
        // the server keeps the PORT or PASV for the next transfer, and so does the console; a
        // completed transfer closes when the server's side does.
        let data_failed = matches!(reply.code, code::CANT_OPEN_DATA | code::TRANSFER_ABORTED);
        if (announcing && reply.is_failure()) || (transfer && data_failed) {
            self.close_data();
        }
    }

    fn upload_if_ready(&mut self) {
        let Some(data) = self.data.as_mut().filter(|data| data.open && !data.uploaded) else {
            return;
        };
        if !self.upload_wanted {
            return;
        }
        data.uploaded = true;
        let id = data.id;
        self.emit(Output::SendData { id, bytes: UPLOAD_CONTENTS.to_vec() });
        self.emit(Output::CloseData { id });
        if let Some(entry) = self.current() {
            entry.uploaded += UPLOAD_CONTENTS.len();
        }
        if self.data.as_ref().is_some_and(|data| data.peer_closed) {
            self.data = None;
        }
    }

    fn on_data_event(&mut self, id: DataId, event: DataEvent) {
        let Some(data) = self.data.clone().filter(|data| data.id == id) else {
            return;
        };
        match event {
            DataEvent::Listening { .. } => {}
            DataEvent::ListenFailed => {
                self.data = None;
                self.note(Note::ListenFailed);
            }
            DataEvent::Connected { .. } => {
                self.data = Some(Data { open: true, connecting_to: None, ..data });
                self.release_held();
                self.upload_if_ready();
            }
            DataEvent::ConnectFailed(error) => {
                let target = data.connecting_to.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
                self.data = None;
                if let Some(entry) = self.current() {
                    entry.data_failed = Some((target, error));
                }
                self.note(Note::DataConnectFailed { error });
                // The line goes out all the same: the server's answer is part of the lesson.
                self.release_held();
            }
            DataEvent::Bytes(bytes) => {
                if let Some(entry) = self.current() {
                    entry.received += bytes.len();
                }
            }
            DataEvent::Closed => {
                // Our side closes too, unless an upload is still to go out over it.
                if data.open && !data.uploaded && self.awaiting == Some(Verb::Stor) {
                    self.data = Some(Data { peer_closed: true, ..data });
                } else {
                    self.close_data();
                }
            }
            DataEvent::Reset => {
                // The connection is gone: nothing to close.
                self.data = None;
                self.upload_wanted = false;
            }
        }
    }

    fn trace_state(&mut self, before: Step) {
        if self.step != before {
            self.emit(Output::Trace(FtpTrace::State {
                from: before.name().to_owned(),
                to: self.step.name().to_owned(),
            }));
        }
    }
}

impl Engine for ConsoleClient {
    fn handle(&mut self, now: Instant, input: Input) {
        self.now = now;
        let before = self.step;
        match input {
            Input::ControlOpened { local, peer } if self.step == Step::Connecting => {
                self.control = Some((local, peer));
                self.log.push(Entry::new(String::new(), Sender::Connection));
                self.step = Step::AwaitingGreeting;
            }
            Input::ControlFailed(error) if self.step == Step::Connecting => {
                self.control_failed = Some(error);
                self.step = Step::Closed;
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
                self.close_data();
                self.held = None;
                self.step = Step::Closed;
            }
            Input::Data { id, event } => self.on_data_event(id, event),
            Input::ControlOpened { .. } | Input::ControlFailed(_) | Input::Timer(_) => {}
        }
        self.read_replies();
        self.trace_state(before);
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }
}
