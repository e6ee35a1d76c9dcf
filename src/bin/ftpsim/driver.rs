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
//! - The limits a real server has, vsftpd's: `idle_session_timeout` (a command must come within
//!   it: `421 Timeout.`), `data_connection_timeout` (a data connection must move bytes within
//!   it: `421 Data timeout. Reconnect. Sorry.`), and a cap on an upload's size.
//! - Session numbers and seeds: each session gets its own seed for the engine's "random"
//!   passive ports, so that concurrent sessions do not all try the same ports first.
//!
//! Left out: TLS (an engine's `SecureControl` is ignored; `ftpsim serve` does not offer
//! `AUTH TLS`), and the wall-clock dates a real `ls -l` would show (the engine's listing has
//! its fixed date).

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use ftpsim::ftp::client::FtpClient;
use ftpsim::ftp::server::FtpServer;
use ftpsim::ftp::{ConnectError, DataEvent, DataId, Engine, FtpTrace, Input, Note, Output, TimerKind};
use ftpsim::time::Instant as SimInstant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until, timeout};

/// Bytes read from a socket at a time.
const CHUNK: usize = 64 * 1024;

/// How long a write may wait for the peer to take the bytes before the connection counts as
/// dead (a peer that stopped reading).
const WRITE_TIMEOUT: StdDuration = StdDuration::from_secs(300);

/// What a session may not exceed.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// vsftpd `idle_session_timeout` (300 s): the longest wait for the next command.
    pub idle: Option<StdDuration>,
    /// vsftpd `data_connection_timeout` (300 s): the longest a data connection may stall.
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
    Listening(JoinHandle<()>),
    Connecting(JoinHandle<()>),
    Open { writer: OwnedWriteHalf, reader: JoinHandle<()>, received: u64 },
}

impl DataSocket {
    fn abort(&self) {
        match self {
            DataSocket::Listening(task) | DataSocket::Connecting(task) | DataSocket::Open { reader: task, .. } => {
                task.abort()
            }
        }
    }
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
    hooks: Hooks,
}

/// Hears every trace event the engine writes (the transcript).
pub type TraceHook = Box<dyn FnMut(&FtpTrace) + Send>;
/// Hears of a file the engine stored (an upload), by path and contents.
pub type StoreHook = Box<dyn FnMut(&str, Arc<[u8]>) + Send>;

/// What the caller wants to hear of a session.
pub struct Hooks {
    pub trace: TraceHook,
    pub stored: StoreHook,
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
            if self.engine.finished() {
                break Ended::Normally;
            }
            let timer = self.timers.iter().min_by_key(|(_, at)| **at).map(|(kind, at)| (*kind, *at));
            let any_data = self.data.values().any(|socket| matches!(socket, DataSocket::Open { .. }));
            let stall = self.stall_deadline.filter(|_| any_data);
            let idle = self.idle_deadline.filter(|_| !any_data && self.engine.reads_control());
            let reads_control = self.engine.reads_control();
            tokio::select! {
                Some(event) = self.events.recv() => self.on_event(event),
                Some(event) = next(&mut self.control_bytes), if reads_control => self.on_event(event),
                () = sleep_until_opt(timer.map(|(_, at)| at)), if timer.is_some() => {
                    if let Some((kind, _)) = timer {
                        self.timers.remove(&kind);
                        self.feed(Input::Timer(kind));
                    }
                }
                () = sleep_until_opt(idle), if idle.is_some() => {
                    self.say_and_hang_up(b"421 Timeout.\r\n").await;
                    break Ended::Idle;
                }
                () = sleep_until_opt(stall), if stall.is_some() => {
                    self.say_and_hang_up(b"421 Data timeout. Reconnect. Sorry.\r\n").await;
                    break Ended::DataStalled;
                }
            }
        };
        self.close_control();
        for (_, socket) in self.data.drain() {
            socket.abort();
        }
        (self.engine, ended)
    }

    /// vsftpd's last words on a limit, then the end of the session.
    async fn say_and_hang_up(&mut self, reply: &[u8]) {
        if let Some(writer) = self.control_writer.as_mut() {
            let _ = timeout(StdDuration::from_secs(5), writer.write_all(reply)).await;
        }
        self.close_control();
    }

    fn on_event(&mut self, event: Event) {
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
                    Some(DataSocket::Open { received, .. }) => {
                        *received += bytes.len() as u64;
                        *received > self.limits.max_upload
                    }
                    _ => return,
                };
                if over {
                    // Cut the connection: the engine hears a reset, as if the peer had aborted.
                    if let Some(socket) = self.data.remove(&id) {
                        socket.abort();
                    }
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
                    socket.abort();
                    self.feed(Input::Data { id, event: DataEvent::Reset });
                }
            }
        }
    }

    fn data_opened(&mut self, id: DataId, stream: TcpStream) {
        if !self.data.contains_key(&id) {
            return; // closed by the engine meanwhile
        }
        let (local, peer) = match (stream.local_addr(), stream.peer_addr()) {
            (Ok(local), Ok(peer)) => (local, peer),
            _ => return,
        };
        let (reader, writer) = stream.into_split();
        let task = tokio::spawn(read_data(id, reader, self.events_in.clone()));
        self.data.insert(id, DataSocket::Open { writer, reader: task, received: 0 });
        self.stall_deadline = self.limits.data_stall.map(|stall| Instant::now() + stall);
        self.feed(Input::Data { id, event: DataEvent::Connected { local, peer } });
    }

    /// Carries out everything the engine asked for, including what that makes it ask next.
    async fn carry_out_outputs(&mut self) {
        while let Some(output) = self.engine.poll_output() {
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
                Output::SendControl(bytes) => {
                    let Some(writer) = self.control_writer.as_mut() else { continue };
                    if !matches!(timeout(WRITE_TIMEOUT, writer.write_all(&bytes)).await, Ok(Ok(()))) {
                        self.close_control();
                        self.feed(Input::ControlClosed);
                    }
                }
                Output::CloseControl => {
                    if let Some(mut writer) = self.control_writer.take() {
                        let _ = timeout(StdDuration::from_secs(5), writer.shutdown()).await;
                    }
                    self.close_control();
                }
                Output::Listen { id, on } => self.listen(id, on).await,
                Output::Connect { id, from, to } => self.connect(id, from, to),
                Output::SendData { id, bytes } => {
                    let stall = self.limits.data_stall.unwrap_or(WRITE_TIMEOUT);
                    let Some(DataSocket::Open { writer, .. }) = self.data.get_mut(&id) else { continue };
                    // Written in pieces, so that a slow peer is measured against the stall limit
                    // per piece, not for the whole file at once.
                    let mut failed = false;
                    for piece in bytes.chunks(CHUNK) {
                        if !matches!(timeout(stall, writer.write_all(piece)).await, Ok(Ok(()))) {
                            failed = true;
                            break;
                        }
                        self.stall_deadline = self.limits.data_stall.map(|stall| Instant::now() + stall);
                    }
                    if failed {
                        if let Some(socket) = self.data.remove(&id) {
                            socket.abort();
                        }
                        self.feed(Input::Data { id, event: DataEvent::Reset });
                    }
                }
                // The engines close a data connection when they are done with it (after sending
                // all of a file, or after the peer's end of an upload): flush, FIN, and forget it.
                Output::CloseData { id } => match self.data.remove(&id) {
                    Some(DataSocket::Open { mut writer, reader, .. }) => {
                        let _ = timeout(StdDuration::from_secs(5), writer.shutdown()).await;
                        reader.abort();
                    }
                    Some(socket) => socket.abort(),
                    None => {}
                },
                Output::SetTimer { timer, at } => {
                    let at = self.start + StdDuration::from_micros(at.as_micros());
                    self.timers.insert(timer, at);
                }
                Output::CancelTimer { timer } => {
                    self.timers.remove(&timer);
                }
                Output::SecureControl => {}
                Output::Trace(event) => {
                    if matches!(event, FtpTrace::CommandReceived(_) | FtpTrace::CommandRejected(_)) {
                        self.idle_deadline = self.limits.idle.map(|idle| Instant::now() + idle);
                    }
                    if let FtpTrace::Note(Note::Stored { path, .. }) = &event
                        && let Some(contents) = self.engine.stored_file(path)
                    {
                        (self.hooks.stored)(path, contents);
                    }
                    (self.hooks.trace)(&event);
                }
            }
        }
    }

    async fn listen(&mut self, id: DataId, on: SocketAddr) {
        match TcpListener::bind(on).await.and_then(|listener| Ok((listener.local_addr()?, listener))) {
            Ok((local, listener)) => {
                let events = self.events_in.clone();
                let task = tokio::spawn(async move {
                    // Every listener of the engines accepts one connection, then stops.
                    if let Ok((stream, _)) = listener.accept().await {
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

async fn read_data(id: DataId, mut reader: OwnedReadHalf, out: mpsc::Sender<Event>) {
    let mut buffer = vec![0; CHUNK];
    loop {
        match reader.read(&mut buffer).await {
            Ok(0) => {
                let _ = out.send(Event::DataClosed { id }).await;
                return;
            }
            Err(_) => {
                let _ = out.send(Event::DataReset { id }).await;
                return;
            }
            Ok(n) => {
                if out.send(Event::DataBytes { id, bytes: buffer[..n].to_vec() }).await.is_err() {
                    return;
                }
            }
        }
    }
}
