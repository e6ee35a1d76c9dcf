//! TCP-lite: the part of TCP that decides whether FTP's connections open, and how they close.
//!
//! One [`TcpStack`] per host. It keeps listening sockets and connections, speaks the three-way
//! handshake, carries data, closes with FIN, aborts with RST, and retransmits a SYN that got no
//! answer on today's Linux schedule ([`syn_schedule`]: ten retransmissions at about 1, 2, 3, 4,
//! 5, 7, 11, 19, 36 and 68 s, then "connection timed out" at about 134 s). States print
//! their RFC 793 names (`SYN-SENT`, `ESTABLISHED`, `FIN-WAIT-1`, …), and every state change goes
//! through `TcpStack::set_state`, which also reports it, so the trace misses none.
//!
//! Simplified, honestly:
//! - No sequence or acknowledgement numbers, windows, congestion control or options. Links are
//!   lossless and in order; only devices drop packets, and only a lost SYN is retransmitted.
//!   Data segments are not acknowledged one by one (the ACK is taken as piggybacked).
//! - A segment carries at most [`MSS`] payload bytes.
//! - The ACK for a FIN is delayed until the application has had its turn, so an application that
//!   closes at once answers with one FIN-ACK (as Linux usually does), not ACK then FIN.
//! - TIME-WAIT is entered and left in the same instant instead of lasting 2×MSL.
//! - The passive side does not retransmit its SYN-ACK.
//! - A listening socket made for a data connection accepts one connection and then stops
//!   listening (vsftpd and curl close it after `accept`); the control listener stays open.
//! - An ICMP "unreachable" aborts a connection that is still in SYN-SENT at once (Linux does).

use std::collections::VecDeque;

use litemap::LiteMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};

use super::packet::{Body, Channel, Packet, TcpFlags};
use crate::rng;
use crate::time::{Duration, Instant};

/// Largest payload per segment (Ethernet MTU 1500 − 40 bytes of headers).
pub const MSS: usize = 1460;
/// Linux's ephemeral port range (`ip_local_port_range`).
pub const EPHEMERAL_PORTS: (u16, u16) = (32768, 60999);

/// When an unanswered SYN is sent again, and when the connect gives up — the one place these
/// numbers live.
///
/// Linux 6.x with its default sysctls (measured on kernel 6.18 in a network namespace; see
/// FIDELITY.md): the first timeout is `TCP_TIMEOUT_INIT` (1 s); for the first
/// `tcp_syn_linear_timeouts` (4) retransmissions the timeout stays at 1 s, then it doubles each
/// time; a connect in SYN-SENT gives up when the timer comes due after `tcp_syn_retries` +
/// `tcp_syn_linear_timeouts` (10) retransmissions. Each timer is also rounded up to the kernel
/// timer wheel's granularity (with HZ = 1000: 64 ms for timers up to 4 s, 512 ms up to 32 s,
/// 4.096 s beyond), which is why the kernel's retransmissions come at 1.02, 2.05, 3.07 s and not
/// on the second. The measured times were 0, 1.01, 2.04, 3.06, 4.08, 5.11, 7.12, 11.3, 19.5,
/// 35.6, 68.3–69.6 s and ETIMEDOUT at 133.8–135.2 s; this schedule gives 0, 1.02, 2.05, 3.07,
/// 4.10, 5.12, 7.17, 11.20, 19.39, 35.78, 68.03 and 133.57 s.
pub mod syn_schedule {
    use crate::time::Duration;

    /// `net.ipv4.tcp_syn_retries` (default 6).
    pub const TCP_SYN_RETRIES: u32 = 6;
    /// `net.ipv4.tcp_syn_linear_timeouts` (default 4, since Linux 6.7).
    pub const TCP_SYN_LINEAR_TIMEOUTS: u32 = 4;
    /// `TCP_TIMEOUT_INIT`: the first retransmission timeout.
    pub const INITIAL_TIMEOUT: Duration = Duration::from_secs(1);
    /// How many times a SYN is sent again before the connect gives up.
    pub const RETRANSMISSIONS: u32 = TCP_SYN_RETRIES + TCP_SYN_LINEAR_TIMEOUTS;

    /// The wait after the `sent`-th transmission of the SYN (0 = the first SYN) before the
    /// next one, or before giving up after the last.
    pub fn wait_after(sent: u32) -> Duration {
        let doublings = sent.saturating_sub(TCP_SYN_LINEAR_TIMEOUTS).min(7);
        timer_wheel(Duration::from_micros(INITIAL_TIMEOUT.as_micros() << doublings))
    }

    /// How long a connect waits in all before it fails with "connection timed out".
    pub fn give_up_after() -> Duration {
        (0..=RETRANSMISSIONS).map(wait_after).fold(Duration::ZERO, |total, wait| total + wait)
    }

    /// A timer rounded up to the kernel timer wheel's granularity at that distance (HZ = 1000:
    /// level 2 up to 4.03 s in 64 ms steps, level 3 up to 32.3 s in 512 ms steps, then 4.096 s).
    fn timer_wheel(timeout: Duration) -> Duration {
        let millis = timeout.as_micros().div_ceil(1000);
        let granularity = match millis {
            0..=63 => 1,
            64..=503 => 8,
            504..=4031 => 64,
            4032..=32255 => 512,
            _ => 4096,
        };
        Duration::from_millis(millis.div_ceil(granularity) * granularity)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_schedule_is_linux_6_with_default_sysctls() {
            let mut at = Duration::ZERO;
            let mut times = vec![0];
            for sent in 0..RETRANSMISSIONS {
                at = at + wait_after(sent);
                times.push(at.as_micros() / 1000);
            }
            assert_eq!(times, [0, 1024, 2048, 3072, 4096, 5120, 7168, 11200, 19392, 35776, 68032]);
            assert_eq!(give_up_after(), Duration::from_millis(133_568));
        }
    }
}

/// How long a connect waits for an answer before it fails with "connection timed out".
pub fn syn_give_up_after() -> Duration {
    syn_schedule::give_up_after()
}

/// TCP connection states (RFC 793).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TcpState {
    #[serde(rename = "CLOSED")]
    Closed,
    #[serde(rename = "LISTEN")]
    Listen,
    #[serde(rename = "SYN-SENT")]
    SynSent,
    #[serde(rename = "SYN-RECEIVED")]
    SynReceived,
    #[serde(rename = "ESTABLISHED")]
    Established,
    #[serde(rename = "FIN-WAIT-1")]
    FinWait1,
    #[serde(rename = "FIN-WAIT-2")]
    FinWait2,
    #[serde(rename = "CLOSE-WAIT")]
    CloseWait,
    #[serde(rename = "CLOSING")]
    Closing,
    #[serde(rename = "LAST-ACK")]
    LastAck,
    #[serde(rename = "TIME-WAIT")]
    TimeWait,
}

impl fmt::Display for TcpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TcpState::Closed => "CLOSED",
            TcpState::Listen => "LISTEN",
            TcpState::SynSent => "SYN-SENT",
            TcpState::SynReceived => "SYN-RECEIVED",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait1 => "FIN-WAIT-1",
            TcpState::FinWait2 => "FIN-WAIT-2",
            TcpState::CloseWait => "CLOSE-WAIT",
            TcpState::Closing => "CLOSING",
            TcpState::LastAck => "LAST-ACK",
            TcpState::TimeWait => "TIME-WAIT",
        })
    }
}

/// An opaque handle to one socket of a stack (a listener or a connection), handed out by
/// [`TcpStack::listen`] and [`TcpStack::connect`] (smoltcp's `SocketHandle`). The stack knows
/// nothing of what a socket is for; the layer above keeps its own map from handle to meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SocketHandle(u32);

/// Why a connection attempt failed, as the operating system reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConnectError {
    /// A reset answered the SYN: `ECONNREFUSED`.
    Refused,
    /// An ICMP unreachable answered the SYN: `ENETUNREACH` / `EHOSTUNREACH`.
    Unreachable,
    /// No answer after every SYN retransmission: `ETIMEDOUT`.
    TimedOut,
}

/// What the application learns from its stack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppEvent {
    /// Our connection attempt completed.
    Connected {
        local: SocketAddr,
        peer: SocketAddr,
    },
    /// A peer connected to the listening socket `listener`; this new connection has a handle of
    /// its own.
    Accepted {
        listener: SocketHandle,
        local: SocketAddr,
        peer: SocketAddr,
    },
    ConnectFailed(ConnectError),
    Bytes(Vec<u8>),
    /// The peer sent FIN.
    Closed,
    /// The peer sent RST.
    Reset,
}

/// What a stack asks its host to do, or reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StackOutput {
    /// Put this packet on the wire.
    Send(Packet),
    /// Tell the application about one of its sockets.
    App(SocketHandle, AppEvent),
    /// Retransmission timer for `socket` at `at` (replaces any earlier one).
    SetTimer(SocketHandle, Instant),
    CancelTimer(SocketHandle),
    /// A connection changed state.
    StateChanged {
        socket: SocketHandle,
        local: SocketAddr,
        remote: SocketAddr,
        channel: Channel,
        from: TcpState,
        to: TcpState,
    },
    /// A SYN was sent again.
    Retransmitted {
        local: SocketAddr,
        remote: SocketAddr,
        attempt: u32,
        next_wait: Duration,
    },
}

/// One connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub handle: SocketHandle,
    /// While the connection is being opened (SYN-SENT): when TCP will give up if no answer
    /// comes.
    pub gives_up_at: Option<Instant>,
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub state: TcpState,
    pub channel: Channel,
    /// The listening socket that accepted it (passive open), if any.
    pub listener: Option<SocketHandle>,
    syn_retries: u32,
    /// A FIN arrived whose ACK has not been sent yet (see the module doc).
    ack_pending: bool,
    /// The peer's FIN has arrived: every segment we send from now on acknowledges it.
    fin_received: bool,
}

/// A listening socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listener {
    pub handle: SocketHandle,
    pub local: SocketAddr,
    /// Stops listening after accepting one connection.
    pub one_shot: bool,
}

/// Why a listen or connect request could not be carried out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SocketError {
    #[error("address {0} is already in use")]
    AddressInUse(SocketAddr),
    #[error("no free ephemeral port on {0}")]
    NoFreePort(IpAddr),
}

/// One host's TCP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpStack {
    connections: LiteMap<SocketHandle, Connection>,
    listeners: LiteMap<SocketAddr, Listener>,
    next_socket: u32,
    seed: u64,
    ephemeral_drawn: u64,
    outputs: VecDeque<StackOutput>,
}

impl TcpStack {
    /// An empty stack; `seed` decides which ephemeral ports it picks.
    pub fn new(seed: u64) -> Self {
        TcpStack {
            connections: LiteMap::new(),
            listeners: LiteMap::new(),
            next_socket: 1,
            seed,
            ephemeral_drawn: 0,
            outputs: VecDeque::new(),
        }
    }

    /// The next output, oldest first.
    pub fn poll_output(&mut self) -> Option<StackOutput> {
        self.outputs.pop_front()
    }

    /// Every open connection, in creation order.
    pub fn connections(&self) -> impl Iterator<Item = &Connection> {
        self.connections.values()
    }

    /// Every listening socket, in address order.
    pub fn listeners(&self) -> impl Iterator<Item = &Listener> {
        self.listeners.values()
    }

    fn in_use(&self, local: SocketAddr) -> bool {
        self.listeners.contains_key(&local) || self.connections.values().any(|conn| conn.local == local)
    }

    /// A free port in the ephemeral range, chosen from the seed like Linux's randomised choice.
    fn ephemeral(&mut self, ip: IpAddr) -> Result<SocketAddr, SocketError> {
        let (low, high) = EPHEMERAL_PORTS;
        let start = rng::in_range(self.seed, self.ephemeral_drawn, low, high);
        self.ephemeral_drawn += 1;
        let span = u32::from(high - low) + 1;
        (0..span)
            .map(|offset| low + ((u32::from(start - low) + offset) % span) as u16)
            .map(|port| SocketAddr::new(ip, port))
            .find(|addr| !self.in_use(*addr))
            .ok_or(SocketError::NoFreePort(ip))
    }

    fn new_handle(&mut self) -> SocketHandle {
        let handle = SocketHandle(self.next_socket);
        self.next_socket += 1;
        handle
    }

    fn emit(&mut self, output: StackOutput) {
        self.outputs.push_back(output);
    }

    /// The one place a connection changes state; it also reports the change.
    fn set_state(&mut self, id: SocketHandle, to: TcpState) {
        let Some(conn) = self.connections.get_mut(&id) else {
            return;
        };
        let from = conn.state;
        if from == to {
            return;
        }
        conn.state = to;
        let (local, remote, channel) = (conn.local, conn.remote, conn.channel);
        if to == TcpState::Closed {
            self.connections.remove(&id);
        }
        self.emit(StackOutput::StateChanged { socket: id, local, remote, channel, from, to });
    }

    fn send_segment(&mut self, id: SocketHandle, flags: TcpFlags, payload: Vec<u8>) {
        if let Some(conn) = self.connections.get(&id) {
            let mut packet = Packet::tcp(conn.local, conn.remote, flags, payload, conn.channel);
            packet.acks_fin = conn.fin_received;
            self.emit(StackOutput::Send(packet));
        }
    }

    /// Opens a listening socket. Port 0 picks a free ephemeral port. Returns its handle and the
    /// address it listens on.
    pub fn listen(&mut self, on: SocketAddr, one_shot: bool) -> Result<(SocketHandle, SocketAddr), SocketError> {
        let local = if on.port() == 0 { self.ephemeral(on.ip())? } else { on };
        if self.in_use(local) {
            return Err(SocketError::AddressInUse(local));
        }
        let handle = self.new_handle();
        self.listeners.insert(local, Listener { handle, local, one_shot });
        Ok((handle, local))
    }

    /// Starts a connection: sends SYN and arms the retransmission timer. Port 0 in `from` picks
    /// a free ephemeral port; a fixed port may be shared with other connections to other peers
    /// (like vsftpd's port 20 with `SO_REUSEADDR`).
    pub fn connect(
        &mut self,
        now: Instant,
        from: SocketAddr,
        to: SocketAddr,
        channel: Channel,
    ) -> Result<SocketHandle, SocketError> {
        let local = if from.port() == 0 { self.ephemeral(from.ip())? } else { from };
        if self.connections.values().any(|conn| conn.local == local && conn.remote == to) {
            return Err(SocketError::AddressInUse(local));
        }
        let id = self.new_handle();
        let conn = Connection {
            handle: id,
            gives_up_at: Some(now + syn_give_up_after()),
            local,
            remote: to,
            state: TcpState::Closed,
            channel,
            listener: None,
            syn_retries: 0,
            ack_pending: false,
            fin_received: false,
        };
        self.connections.insert(id, conn);
        self.set_state(id, TcpState::SynSent);
        self.send_segment(id, TcpFlags::SYN, Vec::new());
        self.emit(StackOutput::SetTimer(id, now + syn_schedule::wait_after(0)));
        Ok(id)
    }

    /// Sends application bytes, cut into segments of at most [`MSS`] bytes.
    pub fn send(&mut self, id: SocketHandle, bytes: &[u8]) {
        let sendable = matches!(
            self.connections.get(&id).map(|conn| conn.state),
            Some(TcpState::Established | TcpState::CloseWait)
        );
        if !sendable {
            return;
        }
        for chunk in bytes.chunks(MSS) {
            self.send_segment(id, TcpFlags::PSH_ACK, chunk.to_vec());
        }
    }

    /// The application is done with a socket: FIN for a connection (after what it sent), stop
    /// a listener, or give up a connection attempt still in SYN-SENT.
    pub fn close(&mut self, id: SocketHandle) {
        self.listeners.retain(|_, listener| listener.handle != id);
        let Some(conn) = self.connections.get_mut(&id) else {
            return;
        };
        // Our FIN-ACK acknowledges any FIN still waiting for its ACK: one segment, not two.
        conn.ack_pending = false;
        match conn.state {
            TcpState::SynSent => {
                self.emit(StackOutput::CancelTimer(id));
                self.set_state(id, TcpState::Closed);
            }
            TcpState::SynReceived | TcpState::Established => {
                self.send_segment(id, TcpFlags::FIN_ACK, Vec::new());
                self.set_state(id, TcpState::FinWait1);
            }
            TcpState::CloseWait => {
                self.send_segment(id, TcpFlags::FIN_ACK, Vec::new());
                self.set_state(id, TcpState::LastAck);
            }
            TcpState::Closed
            | TcpState::Listen
            | TcpState::FinWait1
            | TcpState::FinWait2
            | TcpState::Closing
            | TcpState::LastAck
            | TcpState::TimeWait => {}
        }
    }

    /// Sends the ACKs for FINs that the application did not answer with a close of its own.
    pub fn flush_acks(&mut self) {
        let pending: Vec<SocketHandle> =
            self.connections.values().filter(|conn| conn.ack_pending).map(|conn| conn.handle).collect();
        for id in pending {
            if let Some(conn) = self.connections.get_mut(&id) {
                conn.ack_pending = false;
            }
            self.send_segment(id, TcpFlags::ACK, Vec::new());
        }
    }

    /// A SYN retransmission timer came due.
    pub fn on_timer(&mut self, now: Instant, id: SocketHandle) {
        let Some(conn) = self.connections.get_mut(&id) else {
            return;
        };
        if conn.state != TcpState::SynSent {
            return;
        }
        if conn.syn_retries >= syn_schedule::RETRANSMISSIONS {
            self.set_state(id, TcpState::Closed);
            self.emit(StackOutput::App(id, AppEvent::ConnectFailed(ConnectError::TimedOut)));
            return;
        }
        conn.syn_retries += 1;
        let next_wait = syn_schedule::wait_after(conn.syn_retries);
        let (attempt, local, remote) = (conn.syn_retries, conn.local, conn.remote);
        self.emit(StackOutput::Retransmitted { local, remote, attempt, next_wait });
        self.send_segment(id, TcpFlags::SYN, Vec::new());
        self.emit(StackOutput::SetTimer(id, now + next_wait));
    }

    /// A packet addressed to this host arrived.
    pub fn on_packet(&mut self, packet: Packet) {
        match &packet.body {
            Body::Icmp { about_src, about_dst, .. } => self.on_unreachable(*about_src, *about_dst),
            Body::Tcp { flags, payload } => self.on_segment(&packet, *flags, payload.clone()),
        }
    }

    fn on_unreachable(&mut self, about_src: SocketAddr, about_dst: SocketAddr) {
        let found = self
            .connections
            .values()
            .find(|conn| conn.local == about_src && conn.remote == about_dst && conn.state == TcpState::SynSent)
            .map(|conn| conn.handle);
        if let Some(id) = found {
            self.emit(StackOutput::CancelTimer(id));
            self.set_state(id, TcpState::Closed);
            self.emit(StackOutput::App(id, AppEvent::ConnectFailed(ConnectError::Unreachable)));
        }
    }

    fn on_segment(&mut self, packet: &Packet, flags: TcpFlags, payload: Vec<u8>) {
        let existing = self
            .connections
            .values()
            .find(|conn| conn.local == packet.dst && conn.remote == packet.src)
            .map(|conn| conn.handle);
        let Some(id) = existing else {
            return self.on_segment_without_connection(packet, flags);
        };
        let Some(conn) = self.connections.get(&id) else {
            return;
        };
        let (state, local, remote, listener) = (conn.state, conn.local, conn.remote, conn.listener);
        if flags.rst {
            self.emit(StackOutput::CancelTimer(id));
            self.set_state(id, TcpState::Closed);
            let event = if state == TcpState::SynSent {
                AppEvent::ConnectFailed(ConnectError::Refused)
            } else {
                AppEvent::Reset
            };
            if state != TcpState::SynReceived {
                self.emit(StackOutput::App(id, event));
            }
            return;
        }
        match state {
            TcpState::SynSent if flags.syn && flags.ack => {
                if let Some(conn) = self.connections.get_mut(&id) {
                    conn.gives_up_at = None;
                }
                self.emit(StackOutput::CancelTimer(id));
                self.set_state(id, TcpState::Established);
                self.send_segment(id, TcpFlags::ACK, Vec::new());
                self.emit(StackOutput::App(id, AppEvent::Connected { local, peer: remote }));
            }
            TcpState::SynReceived if flags.ack && !flags.syn => {
                self.set_state(id, TcpState::Established);
                let event = match listener {
                    Some(listener) => AppEvent::Accepted { listener, local, peer: remote },
                    None => AppEvent::Connected { local, peer: remote },
                };
                self.emit(StackOutput::App(id, event));
                self.deliver(id, flags, payload, packet.acks_fin);
            }
            TcpState::Established | TcpState::FinWait1 | TcpState::FinWait2 => {
                self.deliver(id, flags, payload, packet.acks_fin)
            }
            TcpState::LastAck if packet.acks_fin => self.set_state(id, TcpState::Closed),
            TcpState::Closing if packet.acks_fin => self.time_wait(id),
            _ => {}
        }
    }

    /// Payload and FIN handling for a synchronised connection. `acks_fin` says whether the
    /// segment acknowledges our own FIN (see [`Packet::acks_fin`]).
    fn deliver(&mut self, id: SocketHandle, flags: TcpFlags, payload: Vec<u8>, acks_fin: bool) {
        if !payload.is_empty() {
            self.emit(StackOutput::App(id, AppEvent::Bytes(payload)));
        }
        let Some(state) = self.connections.get(&id).map(|conn| conn.state) else {
            return;
        };
        if flags.fin
            && let Some(conn) = self.connections.get_mut(&id)
        {
            conn.fin_received = true;
        }
        match (state, flags.fin) {
            (TcpState::Established, true) => {
                if let Some(conn) = self.connections.get_mut(&id) {
                    conn.ack_pending = true;
                }
                self.set_state(id, TcpState::CloseWait);
                self.emit(StackOutput::App(id, AppEvent::Closed));
            }
            (TcpState::FinWait1, true) => {
                self.send_segment(id, TcpFlags::ACK, Vec::new());
                if acks_fin {
                    self.set_state(id, TcpState::FinWait2);
                    self.time_wait(id);
                } else {
                    // Both sides closed at the same moment (RFC 793's simultaneous close).
                    self.set_state(id, TcpState::Closing);
                }
                self.emit(StackOutput::App(id, AppEvent::Closed));
            }
            (TcpState::FinWait2, true) => {
                self.send_segment(id, TcpFlags::ACK, Vec::new());
                self.time_wait(id);
                self.emit(StackOutput::App(id, AppEvent::Closed));
            }
            (TcpState::FinWait1, false) if acks_fin => self.set_state(id, TcpState::FinWait2),
            _ => {}
        }
    }

    /// TIME-WAIT is shown, then left at once (see the module doc).
    fn time_wait(&mut self, id: SocketHandle) {
        self.set_state(id, TcpState::TimeWait);
        self.set_state(id, TcpState::Closed);
    }

    fn on_segment_without_connection(&mut self, packet: &Packet, flags: TcpFlags) {
        if flags.syn
            && !flags.ack
            && let Some(listener) = self.listeners.get(&packet.dst).cloned()
        {
            let id = self.new_handle();
            let conn = Connection {
                handle: id,
                gives_up_at: None,
                local: packet.dst,
                remote: packet.src,
                state: TcpState::Listen,
                channel: packet.channel,
                listener: Some(listener.handle),
                syn_retries: 0,
                ack_pending: false,
                fin_received: false,
            };
            self.connections.insert(id, conn);
            if listener.one_shot {
                self.listeners.remove(&packet.dst);
            }
            self.set_state(id, TcpState::SynReceived);
            self.send_segment(id, TcpFlags::SYN_ACK, Vec::new());
            return;
        }
        if !flags.rst {
            // Nothing listens here: a closed port answers with a reset.
            let reset = if flags.ack { TcpFlags::RST } else { TcpFlags::RST_ACK };
            self.emit(StackOutput::Send(Packet::tcp(packet.dst, packet.src, reset, Vec::new(), packet.channel)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().expect("test address")
    }

    fn drain(stack: &mut TcpStack) -> Vec<StackOutput> {
        std::iter::from_fn(|| stack.poll_output()).collect()
    }

    fn sent(outputs: &[StackOutput]) -> Vec<Packet> {
        outputs
            .iter()
            .filter_map(|output| match output {
                StackOutput::Send(packet) => Some(packet.clone()),
                _ => None,
            })
            .collect()
    }

    fn states(outputs: &[StackOutput]) -> Vec<String> {
        outputs
            .iter()
            .filter_map(|output| match output {
                StackOutput::StateChanged { from, to, .. } => Some(format!("{from}→{to}")),
                _ => None,
            })
            .collect()
    }

    /// Passes every packet one stack sends to the other, until both are quiet.
    fn exchange(a: &mut TcpStack, b: &mut TcpStack) -> (Vec<StackOutput>, Vec<StackOutput>) {
        let (mut all_a, mut all_b) = (Vec::new(), Vec::new());
        loop {
            let out_a = drain(a);
            for packet in sent(&out_a) {
                b.on_packet(packet);
            }
            let out_b = drain(b);
            for packet in sent(&out_b) {
                a.on_packet(packet);
            }
            a.flush_acks();
            b.flush_acks();
            let quiet = out_a.is_empty() && out_b.is_empty();
            all_a.extend(out_a);
            all_b.extend(out_b);
            if quiet {
                return (all_a, all_b);
            }
        }
    }

    #[test]
    fn states_print_their_rfc_names() {
        assert_eq!(TcpState::SynSent.to_string(), "SYN-SENT");
        assert_eq!(TcpState::FinWait1.to_string(), "FIN-WAIT-1");
        assert_eq!(TcpState::CloseWait.to_string(), "CLOSE-WAIT");
        assert_eq!(TcpState::TimeWait.to_string(), "TIME-WAIT");
    }

    #[test]
    fn three_way_handshake_data_and_close() {
        let mut client = TcpStack::new(1);
        let mut server = TcpStack::new(2);
        let (listener, _) = server.listen(addr("198.51.100.10:21"), false).expect("listen");
        let dialled = client
            .connect(Instant::ZERO, addr("192.168.1.2:0"), addr("198.51.100.10:21"), Channel::Control)
            .expect("connect");
        let (out_client, out_server) = exchange(&mut client, &mut server);
        assert_eq!(
            sent(&out_client).iter().map(|p| p.flags().expect("tcp").to_string()).collect::<Vec<_>>(),
            ["SYN", "ACK"]
        );
        assert_eq!(
            sent(&out_server).iter().map(|p| p.flags().expect("tcp").to_string()).collect::<Vec<_>>(),
            ["SYN-ACK"]
        );
        assert_eq!(states(&out_client), ["CLOSED→SYN-SENT", "SYN-SENT→ESTABLISHED"]);
        assert_eq!(states(&out_server), ["LISTEN→SYN-RECEIVED", "SYN-RECEIVED→ESTABLISHED"]);
        let accepted = out_server
            .iter()
            .find_map(|o| match o {
                StackOutput::App(handle, AppEvent::Accepted { listener: from, .. }) if *from == listener => {
                    Some(*handle)
                }
                _ => None,
            })
            .expect("the listener accepted a connection with a handle of its own");
        assert_ne!(accepted, listener);
        assert!(
            out_client.iter().any(|o| matches!(o, StackOutput::App(h, AppEvent::Connected { .. }) if *h == dialled))
        );
        let local = client.connections().next().expect("connection").local;
        assert!((32768..=60999).contains(&local.port()));

        server.send(accepted, &vec![b'x'; 3000]);
        server.close(accepted);
        let out_server = drain(&mut server);
        let segments = sent(&out_server);
        assert_eq!(segments.iter().map(|p| p.payload().len()).collect::<Vec<_>>(), [1460, 1460, 80, 0]);
        for packet in segments {
            client.on_packet(packet);
        }
        let out_client = drain(&mut client);
        let received: usize = out_client
            .iter()
            .map(|o| match o {
                StackOutput::App(_, AppEvent::Bytes(bytes)) => bytes.len(),
                _ => 0,
            })
            .sum();
        assert_eq!(received, 3000);
        assert!(out_client.contains(&StackOutput::App(dialled, AppEvent::Closed)));
        // The application closes at once: one FIN-ACK answers the FIN.
        client.close(dialled);
        client.flush_acks();
        let (out_client, out_server) = exchange(&mut client, &mut server);
        assert_eq!(
            sent(&out_client).iter().map(|p| p.flags().expect("tcp").to_string()).collect::<Vec<_>>(),
            ["FIN-ACK"]
        );
        assert_eq!(states(&out_client), ["CLOSE-WAIT→LAST-ACK", "LAST-ACK→CLOSED"]);
        assert_eq!(states(&out_server), ["FIN-WAIT-1→FIN-WAIT-2", "FIN-WAIT-2→TIME-WAIT", "TIME-WAIT→CLOSED"]);
        assert_eq!(client.connections().count() + server.connections().count(), 0);
    }

    #[test]
    fn fin_without_an_application_close_gets_a_plain_ack() {
        let mut a = TcpStack::new(1);
        let mut b = TcpStack::new(2);
        b.listen(addr("10.0.0.2:21"), false).expect("listen");
        let dialled =
            a.connect(Instant::ZERO, addr("10.0.0.1:0"), addr("10.0.0.2:21"), Channel::Control).expect("connect");
        exchange(&mut a, &mut b);
        a.close(dialled);
        let (_, out_b) = exchange(&mut a, &mut b);
        assert_eq!(sent(&out_b).iter().map(|p| p.flags().expect("tcp").to_string()).collect::<Vec<_>>(), ["ACK"]);
        assert_eq!(states(&out_b), ["ESTABLISHED→CLOSE-WAIT"]);
    }

    #[test]
    fn syn_to_a_closed_port_is_refused() {
        let mut client = TcpStack::new(1);
        let mut server = TcpStack::new(2);
        let dialled = client
            .connect(Instant::ZERO, addr("10.0.0.1:0"), addr("10.0.0.2:5000"), Channel::Data(1))
            .expect("connect");
        let (out_client, out_server) = exchange(&mut client, &mut server);
        assert_eq!(sent(&out_server)[0].flags(), Some(TcpFlags::RST_ACK));
        assert!(out_client.contains(&StackOutput::App(dialled, AppEvent::ConnectFailed(ConnectError::Refused))));
    }

    #[test]
    fn unanswered_syn_is_retried_like_linux_6_then_times_out_at_134_s() {
        let mut stack = TcpStack::new(1);
        let id =
            stack.connect(Instant::ZERO, addr("10.0.0.1:0"), addr("10.9.9.9:5000"), Channel::Data(1)).expect("connect");
        let mut now = Instant::ZERO;
        let mut syn_times = vec![now];
        let mut outputs = drain(&mut stack);
        while let Some(at) = outputs.iter().find_map(|o| match o {
            StackOutput::SetTimer(_, at) => Some(*at),
            _ => None,
        }) {
            now = at;
            stack.on_timer(now, id);
            outputs = drain(&mut stack);
            if !sent(&outputs).is_empty() {
                syn_times.push(now);
            }
        }
        // As measured on Linux 6.18: 0, 1.01, 2.04, 3.06, 4.08, 5.11, 7.12, 11.3, 19.5, 35.6,
        // 68.3–69.6 s, and ETIMEDOUT at 133.8–135.2 s (FIDELITY.md).
        let millis: Vec<u64> = syn_times.iter().map(|t| t.as_micros() / 1_000).collect();
        assert_eq!(millis, [0, 1024, 2048, 3072, 4096, 5120, 7168, 11200, 19392, 35776, 68032]);
        assert_eq!(now, Instant::from_micros(133_568_000));
        assert!(outputs.contains(&StackOutput::App(id, AppEvent::ConnectFailed(ConnectError::TimedOut))));
    }

    #[test]
    fn icmp_unreachable_aborts_a_connect_at_once() {
        let mut stack = TcpStack::new(1);
        let dialled = stack
            .connect(Instant::ZERO, addr("198.51.100.10:20"), addr("192.168.1.2:5000"), Channel::Data(1))
            .expect("connect");
        drain(&mut stack);
        let icmp = Packet {
            id: super::super::packet::PacketId(0),
            src: addr("198.18.0.1:0"),
            dst: addr("198.51.100.10:0"),
            body: Body::Icmp {
                reason: super::super::packet::Unreachable::Network,
                about_src: addr("198.51.100.10:20"),
                about_dst: addr("192.168.1.2:5000"),
            },
            channel: Channel::Data(1),
            encrypted: false,
            acks_fin: false,
        };
        stack.on_packet(icmp);
        let outputs = drain(&mut stack);
        assert!(outputs.contains(&StackOutput::App(dialled, AppEvent::ConnectFailed(ConnectError::Unreachable))));
    }

    #[test]
    fn data_listeners_accept_once_and_ports_are_not_shared() {
        let mut server = TcpStack::new(1);
        let (_, local) = server.listen(addr("198.51.100.10:50000"), true).expect("listen");
        assert_eq!(server.listen(local, true), Err(SocketError::AddressInUse(local)));
        let mut first = TcpStack::new(2);
        first.connect(Instant::ZERO, addr("203.0.113.1:0"), local, Channel::Data(1)).expect("connect");
        exchange(&mut first, &mut server);
        assert_eq!(server.listeners().count(), 0);
        let mut second = TcpStack::new(3);
        second.connect(Instant::ZERO, addr("203.0.113.2:0"), local, Channel::Data(1)).expect("connect");
        let (out_second, _) = exchange(&mut second, &mut server);
        assert!(
            out_second.iter().any(|o| matches!(o, StackOutput::App(_, AppEvent::ConnectFailed(ConnectError::Refused))))
        );
    }

    #[test]
    fn closing_a_connect_attempt_stops_it_quietly() {
        let mut stack = TcpStack::new(1);
        let dialled =
            stack.connect(Instant::ZERO, addr("10.0.0.1:0"), addr("10.9.9.9:1"), Channel::Data(1)).expect("connect");
        drain(&mut stack);
        stack.close(dialled);
        let outputs = drain(&mut stack);
        assert!(sent(&outputs).is_empty());
        assert_eq!(states(&outputs), ["SYN-SENT→CLOSED"]);
        assert_eq!(stack.connections().count(), 0);
    }

    #[test]
    fn reset_reaches_the_application() {
        let mut a = TcpStack::new(1);
        let mut b = TcpStack::new(2);
        b.listen(addr("10.0.0.2:21"), false).expect("listen");
        a.connect(Instant::ZERO, addr("10.0.0.1:0"), addr("10.0.0.2:21"), Channel::Control).expect("connect");
        exchange(&mut a, &mut b);
        let conn = a.connections().next().expect("connection").clone();
        let accepted = b.connections().next().expect("accepted connection").handle;
        b.on_packet(Packet::tcp(conn.local, conn.remote, TcpFlags::RST, vec![], Channel::Control));
        let outputs = drain(&mut b);
        assert!(outputs.contains(&StackOutput::App(accepted, AppEvent::Reset)));
    }
}
