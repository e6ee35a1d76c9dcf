//! The sans-IO engines on real sockets. One [`Session`] drives one engine — an [`FtpServer`]
//! for `ftpsim serve`, an [`FtpClient`] for `ftpsim get/ls/put` — over tokio: it turns socket
//! events into the engine's [`Input`]s and carries out the [`Output`]s it asks for (connect,
//! listen, send, close, timers). The engines do not know they are on real sockets; this module
//! is the only place that does (besides the accept loop in `serve`).
//!
//! What the driver adds, because real sockets need it and a simulation does not:
//! - Backpressure. Every socket is read by its own task into a small bounded channel; the
//!   server's control connection is not read while the engine is busy with a transfer, as
//!   vsftpd does not read it either, so a client that floods commands fills its own TCP window
//!   instead of the server's memory.
//! - Order. The engine's outputs are carried out one after the other, each finished before the
//!   next: a file is written to the data connection, the connection closed, and only then does
//!   the reply that follows go out. The engine says `226` as soon as it has handed the file
//!   over; on a socket that is a promise the driver keeps or replaces. When the sending failed,
//!   the reply after the close is replaced: `426 Failure writing network stream.` when the
//!   client reset the connection, and `421 Data timeout. Reconnect. Sorry.` and the end of the
//!   session when it took no bytes for `data_connection_timeout` (pyftpdlib's words with
//!   `--server pyftpdlib`). Where the engine still holds the connection, it hears a reset
//!   instead and answers itself. The vsftpd profile closes a data connection it sent on as
//!   vsftpd does, with `SO_LINGER`: the reply waits until the client has acknowledged every
//!   byte, or for `data_connection_timeout` at most, after which vsftpd's data alarm
//!   interrupts the close and the reply goes out as planned (measured against vsftpd 3.0.3: a
//!   small download the client never reads is answered `226` after the data timeout).
//! - The limits a real server has, vsftpd's: `idle_session_timeout` (a command must come within
//!   it, counted from the last reply: `421 Timeout.`), `data_connection_timeout` (a data
//!   connection must move bytes within it), and a cap on an upload's size (the connection is cut
//!   and the reply says why: `552 Exceeded storage allocation`).
//! - Uploads written to disk (`ftpsim serve --root`) off the async runtime, before the reply
//!   goes out; a write that fails replaces the `226` (vsftpd: `553`/`451`).
//! - Passive listeners that the engine gives up (a new `PASV`, an accept timeout) are closed
//!   before anything else happens, so a replaced port refuses connections by the time the reply
//!   that replaces it is sent.
//! - Session numbers and seeds: each session gets its own seed for the engine's "random"
//!   passive ports, so that concurrent sessions do not all try the same ports first.
//!
//! Left out: TLS (an engine's `SecureControl` is ignored; `ftpsim serve` does not offer
//! `AUTH TLS`), and the wall-clock dates a real `ls -l` would show (the engine's listing has
//! its fixed date).

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use ftpsim::ftp::client::FtpClient;
use ftpsim::ftp::codec::Reply;
use ftpsim::ftp::server::{FtpServer, ServerProfile};
use ftpsim::ftp::{ConnectError, DataEvent, DataId, Engine, FtpTrace, Input, Note, Output, TimerKind};
use ftpsim::time::Instant as SimInstant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until, timeout};

use crate::files::StoreError;

/// Bytes read from a socket at a time.
const CHUNK: usize = 64 * 1024;

/// How long a write may wait for the peer to take the bytes before the connection counts as
/// dead (a peer that stopped reading), when no data limit says otherwise.
const WRITE_TIMEOUT: StdDuration = StdDuration::from_secs(300);

/// What a session may not exceed.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// vsftpd `idle_session_timeout` (300 s): the longest wait for the next command.
    pub idle: Option<StdDuration>,
    /// vsftpd `data_connection_timeout` (300 s): the longest a data connection may stall, and
    /// the longest a lingering close of one waits for the peer's acknowledgements.
    pub data_stall: Option<StdDuration>,
    /// The largest upload accepted, in bytes; the data connection is cut beyond it.
    pub max_upload: u64,
}

impl Limits {
    /// No limits but the upload cap: a client waits as long as its engine says.
    pub fn client() -> Self {
        Limits { idle: None, data_stall: None, max_upload: u64::MAX }
    }
}

/// Engines the driver can run, and what it needs to know of each beyond [`Engine`].
pub trait Driven: Engine + Send {
    /// The server does not read commands while a transfer runs.
    fn reads_control(&self) -> bool {
        true
    }
    /// The session is over once the control connection is closed (server) or the engine has
    /// an outcome and hung up (client).
    fn finished(&self) -> bool;
    /// The contents of a file the engine has just stored (server), to keep beyond the session.
    fn stored_file(&self, _path: &str) -> Option<Arc<[u8]>> {
        None
    }
    /// What a server says instead of its final reply when the data connection it sent a file
    /// or a listing on failed after `sent` bytes (vsftpd: `426 Failure writing network
    /// stream.`). `None` (a client): the engine hears a reset instead.
    fn send_failed_reply(&self, _sent: u64) -> Option<Reply> {
        None
    }
    /// What a server says instead of its reply when an upload went over `limit` bytes.
    fn upload_too_large_reply(&self, _limit: u64) -> Option<Reply> {
        None
    }
    /// What a server says instead of its `226` when an upload could not be written to disk.
    fn store_failed_reply(&self, _error: &StoreError) -> Option<Reply> {
        None
    }
    /// The last words when a data connection stalls beyond the limit.
    fn data_timeout_reply(&self) -> Reply {
        Reply::new(421, "Data timeout. Reconnect. Sorry.")
    }
    /// Closes a data connection it sent on with `SO_LINGER` and replies once the peer has
    /// acknowledged everything (vsftpd), rather than as soon as the kernel has the bytes.
    fn lingers_on_close(&self) -> bool {
        false
    }
}

impl Driven for FtpServer {
    fn reads_control(&self) -> bool {
        !self.is_busy()
    }
    fn finished(&self) -> bool {
        self.is_closed()
    }
    fn stored_file(&self, path: &str) -> Option<Arc<[u8]>> {
        self.files().shared(path)
    }
    fn send_failed_reply(&self, sent: u64) -> Option<Reply> {
        Some(match self.settings().profile {
            ServerProfile::Vsftpd => Reply::new(426, "Failure writing network stream."),
            // pyftpdlib's DTPHandler.handle_close, when its producer still had data.
            ServerProfile::Pyftpdlib => Reply::new(426, format!("Transfer aborted; {sent} bytes transmitted.")),
        })
    }
    fn upload_too_large_reply(&self, limit: u64) -> Option<Reply> {
        // Neither vsftpd nor pyftpdlib has such a cap; RFC 959's 552 is the code for it.
        Some(Reply::new(552, format!("Exceeded storage allocation: this server takes uploads of up to {limit} bytes.")))
    }
    fn store_failed_reply(&self, error: &StoreError) -> Option<Reply> {
        Some(match (self.settings().profile, error) {
            (ServerProfile::Vsftpd, StoreError::Create(_)) => Reply::new(553, "Could not create file."),
            (ServerProfile::Vsftpd, StoreError::Write(_)) => Reply::new(451, "Failure writing to local file."),
            (ServerProfile::Pyftpdlib, StoreError::Create(_)) => Reply::new(550, format!("{}.", error.reason())),
            (ServerProfile::Pyftpdlib, StoreError::Write(_)) => {
                Reply::new(426, format!("{}; transfer aborted.", error.reason()))
            }
        })
    }
    fn lingers_on_close(&self) -> bool {
        // pyftpdlib closes once its producer is empty, without SO_LINGER.
        self.settings().profile == ServerProfile::Vsftpd
    }
    fn data_timeout_reply(&self) -> Reply {
        match self.settings().profile {
            ServerProfile::Vsftpd => Reply::new(421, "Data timeout. Reconnect. Sorry."),
            ServerProfile::Pyftpdlib => Reply::new(421, "Data connection timed out."),
        }
    }
}

impl Driven for FtpClient {
    fn finished(&self) -> bool {
        self.is_done()
    }
}

/// Something that happened on a socket, reported by the task that watches it.
enum Event {
    ControlConnected(TcpStream),
    ControlFailed(ConnectError),
    ControlBytes(Vec<u8>),
    ControlClosed,
    Accepted { id: DataId, stream: TcpStream },
    Connected { id: DataId, stream: TcpStream },
    ConnectFailed { id: DataId, error: ConnectError },
    DataBytes { id: DataId, bytes: Vec<u8> },
    DataClosed { id: DataId },
    DataReset { id: DataId },
}

/// A data connection or listening socket of the engine's.
enum DataSocket {
    /// The task owns the listener; aborting it and awaiting it closes the listener.
    Listening(JoinHandle<()>),
    Connecting(JoinHandle<()>),
    Open(OpenData),
}

/// An open data connection: its write half here, its read half in the task that reads it, which
/// hands it back when told to stop (so that the session decides how the socket is closed).
struct OpenData {
    writer: OwnedWriteHalf,
    reader: JoinHandle<Option<OwnedReadHalf>>,
    stop: oneshot::Sender<()>,
    received: u64,
    sent: u64,
}

/// Closes a socket at once (no lingering), and is done only once it is closed: a listener no
/// longer accepts when this returns.
async fn close_now(socket: DataSocket) {
    match socket {
        DataSocket::Listening(task) | DataSocket::Connecting(task) => {
            task.abort();
            let _ = task.await;
        }
        DataSocket::Open(open) => {
            open.reader.abort();
            let _ = open.reader.await;
            drop(open.writer);
        }
    }
}

/// How a data connection the session was sending on failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SendFailure {
    /// The peer reset it (or it was gone already).
    Reset,
    /// The peer took no bytes for the data limit.
    Stalled,
}

/// How the session ended, beyond what the engine says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The engine finished.
    Normally,
    /// `idle_session_timeout` ran out.
    Idle,
    /// `data_connection_timeout` ran out.
    DataStalled,
}

/// One engine on real sockets.
pub struct Session<E: Driven> {
    engine: E,
    start: Instant,
    limits: Limits,
    events: mpsc::Receiver<Event>,
    events_in: mpsc::Sender<Event>,
    /// The control connection's bytes, read by its own task; `None` once closed.
    control_bytes: Option<mpsc::Receiver<Event>>,
    control_reader: Option<JoinHandle<()>>,
    control_writer: Option<OwnedWriteHalf>,
    data: HashMap<DataId, DataSocket>,
    timers: HashMap<TimerKind, Instant>,
    /// When the next command must have come (idle limit).
    idle_deadline: Option<Instant>,
    /// When a data connection must next move bytes (stall limit).
    stall_deadline: Option<Instant>,
    /// The engine's outputs taken but not yet carried out, oldest first.
    queue: VecDeque<Output>,
    /// Data connections whose sending failed after the engine had closed them on its side:
    /// the bytes sent before. Their close makes the reply that follows a replacement.
    failed_sends: HashMap<DataId, u64>,
    /// Data connections the peer reset while the engine still held them.
    peer_reset: HashSet<DataId>,
    /// The reply to send instead of the engine's next one, and the trace line to show for it.
    replace_reply: Option<Reply>,
    replace_trace: Option<Reply>,
    /// A data connection stalled beyond the limit: the session ends.
    stalled: bool,
    hooks: Hooks,
}

/// Hears every trace event the engine writes (the transcript).
pub type TraceHook = Box<dyn FnMut(&FtpTrace) + Send>;
/// The disk write of an upload, started by a [`StoreHook`].
pub type StoreFuture = Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send>>;
/// Hears of a file the engine stored (an upload), by path and contents, and keeps it (on disk,
/// for later sessions). The driver awaits it before the engine's reply goes out.
pub type StoreHook = Box<dyn FnMut(&str, Arc<[u8]>) -> StoreFuture + Send>;
/// Hears what the driver did on its own (a reply it replaced and why).
pub type NoteHook = Box<dyn FnMut(&str) + Send>;

/// What the caller wants to hear of a session.
pub struct Hooks {
    pub trace: TraceHook,
    pub stored: StoreHook,
    pub note: NoteHook,
}

impl Hooks {
    /// A store hook that keeps nothing (a client).
    pub fn keep_nothing() -> StoreHook {
        Box::new(|_, _| Box::pin(async { Ok(()) }))
    }
}

impl<E: Driven> Session<E> {
    /// A session for `engine`.
    pub fn new(engine: E, limits: Limits, hooks: Hooks) -> Self {
        let (events_in, events) = mpsc::channel(8);
        Session {
            engine,
            start: Instant::now(),
            limits,
            events,
            events_in,
            control_bytes: None,
            control_reader: None,
            control_writer: None,
            data: HashMap::new(),
            timers: HashMap::new(),
            idle_deadline: None,
            stall_deadline: None,
            queue: VecDeque::new(),
            failed_sends: HashMap::new(),
            peer_reset: HashSet::new(),
            replace_reply: None,
            replace_trace: None,
            stalled: false,
            hooks,
        }
    }

    fn now(&self) -> SimInstant {
        SimInstant::from_micros(u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX))
    }

    fn feed(&mut self, input: Input) {
        let now = self.now();
        self.engine.handle(now, input);
    }

    /// Hands an accepted control connection to the engine (server side).
    pub fn attach_control(&mut self, stream: TcpStream) {
        let (local, peer) = match (stream.local_addr(), stream.peer_addr()) {
            (Ok(local), Ok(peer)) => (local, peer),
            _ => return,
        };
        self.open_control(stream);
        self.feed(Input::ControlOpened { local, peer });
    }

    fn open_control(&mut self, stream: TcpStream) {
        let _ = stream.set_nodelay(true);
        let (reader, writer) = stream.into_split();
        let (bytes_in, bytes) = mpsc::channel(1);
        self.control_reader = Some(tokio::spawn(read_control(reader, bytes_in)));
        self.control_bytes = Some(bytes);
        self.control_writer = Some(writer);
        self.idle_deadline = self.limits.idle.map(|idle| Instant::now() + idle);
    }

    fn close_control(&mut self) {
        if let Some(reader) = self.control_reader.take() {
            reader.abort();
        }
        self.control_bytes = None;
        self.control_writer = None;
        self.idle_deadline = None;
    }

    /// Runs the session to its end.
    pub async fn run(mut self) -> (E, Ended) {
        let ended = loop {
            self.carry_out_outputs().await;
            if self.stalled {
                let reply = self.engine.data_timeout_reply();
                self.say_and_hang_up(reply).await;
                break Ended::DataStalled;
            }
            if self.engine.finished() {
                break Ended::Normally;
            }
            let timer = self.timers.iter().min_by_key(|(_, at)| **at).map(|(kind, at)| (*kind, *at));
            let reads_control = self.engine.reads_control();
            // A transfer is under way when the engine waits on an open data connection; then the
            // data limit counts, else the idle limit (a data connection opened after PASV and not
            // used yet does not stop the idle clock, as in vsftpd, which accepts it only later).
            let any_data = self.data.values().any(|socket| matches!(socket, DataSocket::Open(_)));
            let transferring = any_data && !reads_control;
            let stall = self.stall_deadline.filter(|_| transferring);
            let idle = self.idle_deadline.filter(|_| reads_control);
            tokio::select! {
                Some(event) = self.events.recv() => self.on_event(event).await,
                Some(event) = next(&mut self.control_bytes), if reads_control => self.on_event(event).await,
                () = sleep_until_opt(timer.map(|(_, at)| at)), if timer.is_some() => {
                    if let Some((kind, _)) = timer {
                        self.timers.remove(&kind);
                        self.feed(Input::Timer(kind));
                    }
                }
                () = sleep_until_opt(idle), if idle.is_some() => {
                    self.say_and_hang_up(Reply::new(421, "Timeout.")).await;
                    break Ended::Idle;
                }
                () = sleep_until_opt(stall), if stall.is_some() => {
                    self.stalled = true;
                }
            }
        };
        self.close_control();
        for (_, socket) in self.data.drain() {
            close_now(socket).await;
        }
        (self.engine, ended)
    }

    /// vsftpd's last words on a limit, then the end of the session.
    async fn say_and_hang_up(&mut self, reply: Reply) {
        if let Some(writer) = self.control_writer.as_mut() {
            let _ = timeout(StdDuration::from_secs(5), writer.write_all(&reply.to_bytes())).await;
            (self.hooks.trace)(&FtpTrace::ReplySent(reply));
        }
        self.close_control();
    }

    async fn on_event(&mut self, event: Event) {
        match event {
            Event::ControlConnected(stream) => {
                if let (Ok(local), Ok(peer)) = (stream.local_addr(), stream.peer_addr()) {
                    self.open_control(stream);
                    self.feed(Input::ControlOpened { local, peer });
                }
            }
            Event::ControlFailed(error) => self.feed(Input::ControlFailed(error)),
            Event::ControlBytes(bytes) => self.feed(Input::ControlBytes(bytes)),
            Event::ControlClosed => {
                self.close_control();
                self.feed(Input::ControlClosed);
            }
            Event::Accepted { id, stream } | Event::Connected { id, stream } => self.data_opened(id, stream),
            Event::ConnectFailed { id, error } => {
                self.data.remove(&id);
                self.feed(Input::Data { id, event: DataEvent::ConnectFailed(error) });
            }
            Event::DataBytes { id, bytes } => {
                self.stall_deadline = self.limits.data_stall.map(|stall| Instant::now() + stall);
                let over = match self.data.get_mut(&id) {
                    Some(DataSocket::Open(open)) => {
                        open.received += bytes.len() as u64;
                        open.received > self.limits.max_upload
                    }
                    _ => return,
                };
                if over {
                    // Cut the connection; the engine hears a reset, as if the peer had aborted,
                    // and its reply is replaced by one that says why.
                    if let Some(socket) = self.data.remove(&id) {
                        close_now(socket).await;
                    }
                    let limit = self.limits.max_upload;
                    (self.hooks.note)(&format!("{id}: upload cut after more than {limit} bytes (--max-upload)"));
                    self.replace_reply = self.engine.upload_too_large_reply(limit);
                    self.feed(Input::Data { id, event: DataEvent::Reset });
                } else {
                    self.feed(Input::Data { id, event: DataEvent::Bytes(bytes) });
                }
            }
            Event::DataClosed { id } => {
                if self.data.contains_key(&id) {
                    self.feed(Input::Data { id, event: DataEvent::Closed });
                }
            }
            Event::DataReset { id } => {
                if let Some(socket) = self.data.remove(&id) {
                    close_now(socket).await;
                    self.peer_reset.insert(id);
                    self.feed(Input::Data { id, event: DataEvent::Reset });
                }
            }
        }
    }

    fn data_opened(&mut self, id: DataId, stream: TcpStream) {
        if !self.data.contains_key(&id) {
            return; // closed by the engine meanwhile: the connection is dropped, unused
        }
        let (local, peer) = match (stream.local_addr(), stream.peer_addr()) {
            (Ok(local), Ok(peer)) => (local, peer),
            _ => return,
        };
        let (reader, writer) = stream.into_split();
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(read_data(id, reader, self.events_in.clone(), stopped));
        self.data.insert(id, DataSocket::Open(OpenData { writer, reader: task, stop, received: 0, sent: 0 }));
        self.stall_deadline = self.limits.data_stall.map(|stall| Instant::now() + stall);
        self.feed(Input::Data { id, event: DataEvent::Connected { local, peer } });
    }

    /// The next output to carry out: what was taken already, then what the engine has added.
    fn next_output(&mut self) -> Option<Output> {
        while let Some(output) = self.engine.poll_output() {
            self.queue.push_back(output);
        }
        self.queue.pop_front()
    }

    /// Carries out everything the engine asked for, including what that makes it ask next, each
    /// output finished before the next. Stops early when a data connection stalled.
    async fn carry_out_outputs(&mut self) {
        while let Some(output) = self.next_output() {
            match output {
                Output::ConnectControl { to } => {
                    let events = self.events_in.clone();
                    tokio::spawn(async move {
                        let event = match TcpStream::connect(to).await {
                            Ok(stream) => Event::ControlConnected(stream),
                            Err(error) => Event::ControlFailed(connect_error(&error)),
                        };
                        let _ = events.send(event).await;
                    });
                }
                Output::SendControl(bytes) => self.send_control(bytes).await,
                Output::CloseControl => {
                    if let Some(mut writer) = self.control_writer.take() {
                        let _ = timeout(StdDuration::from_secs(5), writer.shutdown()).await;
                    }
                    self.close_control();
                }
                Output::Listen { id, on } => self.listen(id, on).await,
                Output::Connect { id, from, to } => self.connect(id, from, to),
                Output::SendData { id, bytes } => self.send_data(id, &bytes).await,
                Output::CloseData { id } => self.close_data(id).await,
                Output::SetTimer { timer, at } => {
                    let at = self.start + StdDuration::from_micros(at.as_micros());
                    self.timers.insert(timer, at);
                }
                Output::CancelTimer { timer } => {
                    self.timers.remove(&timer);
                }
                Output::SecureControl => {}
                Output::Trace(event) => self.trace(event).await,
            }
            if self.stalled {
                return;
            }
        }
        // A replacement is for a reply the engine gives in the same breath; never a later one.
        self.replace_reply = None;
        self.replace_trace = None;
    }

    async fn send_control(&mut self, bytes: Vec<u8>) {
        let bytes = match self.replace_reply.take() {
            Some(reply) => {
                let bytes = reply.to_bytes();
                self.replace_trace = Some(reply);
                bytes
            }
            None => bytes,
        };
        let Some(writer) = self.control_writer.as_mut() else { return };
        if matches!(timeout(WRITE_TIMEOUT, writer.write_all(&bytes)).await, Ok(Ok(()))) {
            // vsftpd arms its idle alarm when it starts waiting for the next command.
            self.idle_deadline = self.limits.idle.map(|idle| Instant::now() + idle);
        } else {
            self.close_control();
            self.feed(Input::ControlClosed);
        }
    }

    async fn trace(&mut self, event: FtpTrace) {
        if matches!(event, FtpTrace::CommandReceived(_) | FtpTrace::CommandRejected(_)) {
            self.idle_deadline = self.limits.idle.map(|idle| Instant::now() + idle);
        }
        if let FtpTrace::Note(Note::Stored { path, .. }) = &event
            && let Some(contents) = self.engine.stored_file(path)
        {
            let path = path.clone();
            (self.hooks.trace)(&event);
            // The reply that follows waits for the disk.
            if let Err(error) = (self.hooks.stored)(&path, contents).await {
                (self.hooks.note)(&format!("could not write the upload {path} under the root: {error}"));
                self.replace_reply = self.engine.store_failed_reply(&error);
            }
            return;
        }
        let event = match event {
            FtpTrace::ReplySent(reply) => FtpTrace::ReplySent(self.replace_trace.take().unwrap_or(reply)),
            other => other,
        };
        (self.hooks.trace)(&event);
    }

    /// Writes bytes on a data connection, in pieces, each within the data limit.
    async fn send_data(&mut self, id: DataId, bytes: &[u8]) {
        let stall = self.limits.data_stall.unwrap_or(WRITE_TIMEOUT);
        let Some(DataSocket::Open(open)) = self.data.get_mut(&id) else {
            if self.peer_reset.remove(&id) {
                // Reset by the peer before the engine sent on it.
                self.send_failed(id, 0, SendFailure::Reset).await;
            }
            return;
        };
        let mut failure = None;
        // Written in pieces, so that a slow peer is measured against the stall limit per piece
        // (progress, as vsftpd's data alarm measures it), not for the whole file at once.
        for piece in bytes.chunks(CHUNK) {
            match timeout(stall, open.writer.write_all(piece)).await {
                Ok(Ok(())) => open.sent += piece.len() as u64,
                Ok(Err(_)) => {
                    failure = Some(SendFailure::Reset);
                    break;
                }
                Err(_) => {
                    failure = Some(SendFailure::Stalled);
                    break;
                }
            }
        }
        if let Some(failure) = failure {
            let sent = open.sent;
            self.send_failed(id, sent, failure).await;
        } else {
            self.stall_deadline = self.limits.data_stall.map(|stall| Instant::now() + stall);
        }
    }

    /// A data connection the session sent on failed.
    async fn send_failed(&mut self, id: DataId, sent: u64, failure: SendFailure) {
        if let Some(socket) = self.data.remove(&id) {
            close_now(socket).await;
        }
        if failure == SendFailure::Stalled && self.limits.data_stall.is_some() {
            (self.hooks.note)(&format!("{id}: no progress for the data timeout after {sent} bytes"));
            self.stalled = true;
            return;
        }
        let engine_let_go =
            self.queue.iter().any(|output| matches!(output, Output::CloseData { id: closing } if *closing == id));
        if engine_let_go && self.engine.send_failed_reply(sent).is_some() {
            // The engine has finished with the connection and queued its final reply after the
            // close: that reply is replaced when the close comes.
            (self.hooks.note)(&format!("{id}: the client reset the data connection after {sent} bytes"));
            self.failed_sends.insert(id, sent);
        } else {
            self.feed(Input::Data { id, event: DataEvent::Reset });
        }
    }

    /// The engine is done with a data connection (after sending all of a file, after the
    /// peer's end of an upload) or a listener: close it, and only then go on.
    async fn close_data(&mut self, id: DataId) {
        self.peer_reset.remove(&id);
        if let Some(sent) = self.failed_sends.remove(&id) {
            self.replace_reply = self.engine.send_failed_reply(sent);
            return;
        }
        let linger = self.limits.data_stall.filter(|_| self.engine.lingers_on_close());
        let acknowledged = match self.data.remove(&id) {
            Some(DataSocket::Open(open)) => finish_sending(open, linger).await,
            Some(socket) => {
                close_now(socket).await;
                true
            }
            None => true,
        };
        if !acknowledged {
            // vsftpd's data alarm interrupts its lingering close, and it replies as planned.
            (self.hooks.note)(&format!("{id}: the client had not acknowledged every byte within the data timeout"));
        }
    }

    async fn listen(&mut self, id: DataId, on: SocketAddr) {
        match TcpListener::bind(on).await.and_then(|listener| Ok((listener.local_addr()?, listener))) {
            Ok((local, listener)) => {
                let events = self.events_in.clone();
                let task = tokio::spawn(async move {
                    // Every listener of the engines accepts one connection, then stops.
                    if let Ok((stream, _)) = listener.accept().await {
                        drop(listener);
                        let _ = events.send(Event::Accepted { id, stream }).await;
                    }
                });
                self.data.insert(id, DataSocket::Listening(task));
                self.feed(Input::Data { id, event: DataEvent::Listening { local } });
            }
            Err(_) => self.feed(Input::Data { id, event: DataEvent::ListenFailed }),
        }
    }

    fn connect(&mut self, id: DataId, from: SocketAddr, to: SocketAddr) {
        let events = self.events_in.clone();
        let task = tokio::spawn(async move {
            let event = match connect_from(from, to).await {
                Ok(stream) => Event::Connected { id, stream },
                Err(error) => Event::ConnectFailed { id, error: connect_error(&error) },
            };
            let _ = events.send(event).await;
        });
        self.data.insert(id, DataSocket::Connecting(task));
    }
}

/// Closes an open data connection after what was sent: FIN, and — with `linger`, when bytes
/// were sent on it — a lingering close, done once the peer has acknowledged everything or
/// after `linger` (vsftpd sets `SO_LINGER` on its data sockets and closes them blocking, until
/// its data alarm interrupts the close). False when the linger time ran out.
async fn finish_sending(open: OpenData, linger: Option<StdDuration>) -> bool {
    let OpenData { mut writer, reader, stop, sent, .. } = open;
    drop(stop);
    let read_half = reader.await.ok().flatten();
    let (Some(limit), Some(read_half)) = (linger.filter(|_| sent > 0), read_half) else {
        let _ = timeout(StdDuration::from_secs(5), writer.shutdown()).await;
        return true;
    };
    let Ok(stream) = read_half.reunite(writer) else {
        return true; // not one socket (cannot happen): both halves dropped, closed plainly
    };
    let Ok(stream) = stream.into_std() else {
        return true;
    };
    let limit = StdDuration::from_secs(limit.as_secs().max(1));
    tokio::task::spawn_blocking(move || linger_close(stream, limit)).await.unwrap_or(true)
}

/// Closes a data socket the way vsftpd does, on a blocking thread: with `SO_LINGER` for `limit`,
/// so that `close` sends the FIN after the queued bytes and returns once the peer has
/// acknowledged them all (or reset the connection), or after `limit`. True when it returned
/// before the limit.
fn linger_close(stream: std::net::TcpStream, limit: StdDuration) -> bool {
    let _ = stream.set_nonblocking(false);
    let socket = TcpSocket::from_std_stream(stream);
    // `SO_LINGER` makes the close block the thread that drops the socket: wanted here, on a
    // blocking thread of the runtime's pool, never on one of its workers.
    #[allow(deprecated)]
    if socket.set_linger(Some(limit)).is_err() {
        return true;
    }
    let started = std::time::Instant::now();
    drop(socket);
    // The kernel counts the linger time in its own ticks; a close that came back within a
    // small margin of the limit ran out of it.
    started.elapsed() + StdDuration::from_millis(50) < limit
}

/// `next()` on an optional receiver: pending forever when there is none.
async fn next(receiver: &mut Option<mpsc::Receiver<Event>>) -> Option<Event> {
    match receiver {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn connect_from(from: SocketAddr, to: SocketAddr) -> io::Result<TcpStream> {
    let socket = if to.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    if from.port() != 0 || !from.ip().is_unspecified() {
        // vsftpd binds its data port (20) with SO_REUSEADDR, so that it can be used again at once.
        socket.set_reuseaddr(true)?;
        socket.bind(from)?;
    }
    let stream = socket.connect(to).await?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

fn connect_error(error: &io::Error) -> ConnectError {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => ConnectError::Refused,
        io::ErrorKind::TimedOut => ConnectError::TimedOut,
        _ => ConnectError::Unreachable,
    }
}

async fn read_control(mut reader: OwnedReadHalf, out: mpsc::Sender<Event>) {
    let mut buffer = vec![0; CHUNK];
    loop {
        match reader.read(&mut buffer).await {
            Ok(0) | Err(_) => {
                let _ = out.send(Event::ControlClosed).await;
                return;
            }
            Ok(n) => {
                if out.send(Event::ControlBytes(buffer[..n].to_vec())).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Reads a data connection into events until its end, or until told to stop; returns the read
/// half (`None` once the channel is gone).
async fn read_data(
    id: DataId,
    mut reader: OwnedReadHalf,
    out: mpsc::Sender<Event>,
    mut stop: oneshot::Receiver<()>,
) -> Option<OwnedReadHalf> {
    loop {
        // Each read gets a buffer of its own that becomes the event: no copy.
        let mut buffer = Vec::with_capacity(CHUNK);
        let event = tokio::select! {
            _ = &mut stop => return Some(reader),
            read = reader.read_buf(&mut buffer) => match read {
                Ok(0) => Event::DataClosed { id },
                Ok(_) => Event::DataBytes { id, bytes: buffer },
                Err(_) => Event::DataReset { id },
            },
        };
        let more = matches!(event, Event::DataBytes { .. });
        tokio::select! {
            _ = &mut stop => return Some(reader),
            sent = out.send(event) => {
                if sent.is_err() {
                    return None;
                }
            }
        }
        if !more {
            return Some(reader);
        }
    }
}
