//! Helpers the fuzz targets share: cutting an input into the pieces a network would deliver,
//! reading every reply or command out of a byte stream, and serde_json's value as the page's
//! scenario-file value. Nothing here is fuzzed itself.

use ftpsim::ftp::codec::{Command, CommandDecoder, CommandError, MAX_LINE, Reply, ReplyDecoder, ReplyError};
use ftpsim::sim::scenario_file::Json;

/// Where a stream is cut into the reads that deliver it.
#[derive(Clone, Copy, Debug)]
pub enum Cuts {
    /// Pieces of this many bytes (at least one).
    Every(usize),
    /// Two pieces, the first this long.
    At(usize),
}

/// The byte stream a stream target feeds, and where to cut it, from its input. The first byte
/// chooses: below 0x80, the rest is the stream, cut every `first + 1` bytes; from 0x80 on, the
/// rest after three bytes is repeated to a length near `MAX_LINE` (4000 to 4255 bytes, from the
/// next byte) and followed by CRLF and itself once more, and the stream is cut in two where the
/// two bytes after say: lines just under, at and over the limit, with the read boundary
/// anywhere in them, from inputs of any size.
pub fn stream(data: &[u8]) -> Option<(std::borrow::Cow<'_, [u8]>, Cuts)> {
    let (&first, rest) = data.split_first()?;
    if first < 0x80 {
        return Some((rest.into(), Cuts::Every(usize::from(first) + 1)));
    }
    let (head, pattern) = rest.split_at_checked(3)?;
    if pattern.is_empty() {
        return None;
    }
    let length = 4000 + usize::from(head[0]);
    let mut long: Vec<u8> = pattern.iter().copied().cycle().take(length).collect();
    long.extend_from_slice(b"\r\n");
    long.extend_from_slice(pattern);
    let cut = usize::from(u16::from_le_bytes([head[1], head[2]])) % (long.len() + 1);
    Some((long.into(), Cuts::At(cut)))
}

/// `data` cut into the reads `cuts` says.
pub fn pieces(data: &[u8], cuts: Cuts) -> Vec<&[u8]> {
    match cuts {
        Cuts::Every(size) => data.chunks(size.max(1)).collect(),
        Cuts::At(at) => {
            let (first, second) = data.split_at(at.min(data.len()));
            vec![first, second]
        }
    }
}

/// One item a stream decoder gave: a line it read, or why it could not. The length of an
/// over-long line depends on where the reads were cut, so it is left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded<T> {
    Read(T),
    TooLong,
    Other(String),
}

/// Every command in `data`, delivered in the reads `cuts` says.
pub fn commands(data: &[u8], cuts: Cuts) -> Vec<Decoded<Command>> {
    let mut decoder = CommandDecoder::default();
    let mut found = Vec::new();
    for piece in pieces(data, cuts) {
        decoder.push(piece);
        while let Some(next) = decoder.next_command() {
            found.push(match next {
                Ok(command) => Decoded::Read(command),
                Err(CommandError::TooLong { .. }) => Decoded::TooLong,
                Err(error) => Decoded::Other(error.to_string()),
            });
        }
    }
    found
}

/// Every reply in `data`, delivered in the reads `cuts` says.
pub fn replies(data: &[u8], cuts: Cuts) -> Vec<Decoded<Reply>> {
    let mut decoder = ReplyDecoder::default();
    let mut found = Vec::new();
    for piece in pieces(data, cuts) {
        decoder.push(piece);
        while let Some(next) = decoder.next_reply() {
            found.push(match next {
                Ok(reply) => Decoded::Read(reply),
                Err(ReplyError::TooLong { .. }) => Decoded::TooLong,
                Err(error) => Decoded::Other(error.to_string()),
            });
        }
    }
    found
}

/// In one read.
pub const WHOLE: Cuts = Cuts::At(usize::MAX);

/// True when no line of the reply's wire form is longer than the decoders accept.
pub fn fits_a_line(reply: &Reply) -> bool {
    reply.to_string().split("\r\n").all(|line| line.len() <= MAX_LINE)
}

/// The largest whole number a JavaScript number holds exactly (2^53).
pub const JS_EXACT: u64 = 9_007_199_254_740_992;

/// serde_json's value as the page's, converted the way `src/ui/files.rs` converts the browser's
/// `JSON.parse` result: a number is a number when it is whole, non-negative and below 2^53
/// (JavaScript numbers are doubles, so `2.0` and `1e2` count and `2^60` does not).
pub fn json_from_serde(value: &serde_json::Value) -> Json {
    match value {
        serde_json::Value::Null => Json::Null,
        serde_json::Value::Bool(flag) => Json::Bool(*flag),
        serde_json::Value::Number(number) => {
            let whole = match (number.as_u64(), number.as_f64()) {
                (Some(whole), _) => Some(whole).filter(|whole| *whole < JS_EXACT),
                (None, Some(float)) if float >= 0.0 && float.fract() == 0.0 && float < JS_EXACT as f64 => {
                    Some(float as u64)
                }
                _ => None,
            };
            whole.map_or(Json::OtherNumber, Json::Number)
        }
        serde_json::Value::String(text) => Json::Text(text.clone()),
        serde_json::Value::Array(items) => Json::List(items.iter().map(json_from_serde).collect()),
        serde_json::Value::Object(fields) => {
            Json::Object(fields.iter().map(|(name, value)| (name.clone(), json_from_serde(value))).collect())
        }
    }
}

/// What the engine targets build their inputs from.
pub mod engine {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

    use arbitrary::{Result, Unstructured};
    use ftpsim::ftp::codec::{ReplyDecoder, reply_code};
    use ftpsim::ftp::{ConnectError, DataEvent, DataId, Output, TimerKind};

    /// The addresses of the lessons' networks: the client's private and public ones, the
    /// server's, a third host (a bounce target) and IPv6 ones. Events use these, so that the
    /// engines' address checks see both their own peers and strangers.
    pub const IPS: [IpAddr; 7] = [
        IpAddr::V4(Ipv4Addr::new(192, 168, 1, 2)),
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, 1)),
        IpAddr::V4(Ipv4Addr::new(198, 51, 100, 10)),
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)),
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 77)),
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2)),
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 0, 0, 0, 10)),
    ];

    pub fn ip(u: &mut Unstructured) -> Result<IpAddr> {
        if u.ratio(1, 16)? { Ok(IpAddr::V6(Ipv6Addr::from(u.arbitrary::<u128>()?))) } else { u.choose(&IPS).copied() }
    }

    /// An address with a port a socket can have (never 0: a driver reports real ports).
    pub fn socket_addr(u: &mut Unstructured) -> Result<SocketAddr> {
        let port = if u.arbitrary()? { u.int_in_range(50000..=51000)? } else { u.int_in_range(1..=u16::MAX)? };
        Ok(SocketAddr::new(ip(u)?, port))
    }

    /// A data-connection id: one the engine asked for, mostly, or any.
    pub fn data_id(u: &mut Unstructured, asked: &[DataId]) -> Result<DataId> {
        if !asked.is_empty() && u.ratio(7, 8)? { u.choose(asked).copied() } else { Ok(DataId(u.int_in_range(0..=8)?)) }
    }

    pub fn data_event(u: &mut Unstructured) -> Result<DataEvent> {
        Ok(match u.int_in_range(0..=7)? {
            0 => DataEvent::Listening { local: socket_addr(u)? },
            1 => DataEvent::ListenFailed,
            2 | 3 => DataEvent::Connected { local: socket_addr(u)?, peer: socket_addr(u)? },
            4 => DataEvent::ConnectFailed(*u.choose(&[
                ConnectError::Refused,
                ConnectError::Unreachable,
                ConnectError::TimedOut,
            ])?),
            5 => DataEvent::Bytes(u.arbitrary()?),
            6 => DataEvent::Closed,
            _ => DataEvent::Reset,
        })
    }

    pub fn timer(u: &mut Unstructured) -> Result<TimerKind> {
        u.choose(&[TimerKind::DataConnect, TimerKind::DataAccept, TimerKind::Reply]).copied()
    }

    /// The next virtual time: mostly soon after `now`, now and then minutes or hours later.
    pub fn later(u: &mut Unstructured, now: u64) -> Result<u64> {
        let step: u64 = match u.int_in_range(0..=3)? {
            0 => 0,
            1 => u.int_in_range(0..=50_000)?,
            2 => u.int_in_range(0..=200_000_000)?,
            _ => u.int_in_range(0..=10_000_000_000)?,
        };
        Ok(now.saturating_add(step))
    }

    /// Watches what an engine sends on its control connection and when it closes it.
    #[derive(Default)]
    pub struct ControlWatch {
        /// Data ids the engine asked for (`Listen`, `Connect`).
        pub asked: Vec<DataId>,
        /// Everything sent in clear, in order.
        pub sent: Vec<u8>,
        pub secure: bool,
        pub closed: bool,
    }

    impl ControlWatch {
        /// Notes one output; fails on a send after the engine closed its control connection.
        pub fn see(&mut self, output: &Output) {
            match output {
                Output::SendControl(bytes) => {
                    assert!(
                        !self.closed,
                        "sent {:?} after closing the control connection",
                        String::from_utf8_lossy(bytes)
                    );
                    // The TLS handshake's stand-in record, and what follows it, is not FTP text.
                    if !self.secure && !bytes.starts_with(&[0x16, 0x03]) {
                        self.sent.extend_from_slice(bytes);
                    }
                }
                Output::SecureControl => self.secure = true,
                Output::CloseControl => self.closed = true,
                Output::Listen { id, .. } | Output::Connect { id, .. } if !self.asked.contains(id) => {
                    self.asked.push(*id);
                }
                _ => {}
            }
        }
    }

    /// A server reply line: a code the client reacts to (or any), `' '` or `'-'`, and a text;
    /// 227 and 229 replies carry an address or a port often enough to be followed.
    pub fn reply_line(u: &mut Unstructured) -> Result<Vec<u8>> {
        const CODES: [u16; 22] = [
            125, 150, 200, 211, 213, 220, 221, 226, 227, 229, 230, 234, 250, 257, 331, 421, 425, 426, 500, 502, 530,
            550,
        ];
        let code = if u.ratio(7, 8)? { *u.choose(&CODES)? } else { u.int_in_range(0..=999)? };
        let separator = if u.ratio(1, 6)? { "-" } else { " " };
        let text = match code {
            reply_code::PASSIVE if u.arbitrary()? => {
                let addr = match socket_addr(u)? {
                    SocketAddr::V4(v4) => v4,
                    SocketAddr::V6(v6) => std::net::SocketAddrV4::new(Ipv4Addr::LOCALHOST, v6.port()),
                };
                ftpsim::ftp::codec::format_passive_text(addr)
            }
            reply_code::EXTENDED_PASSIVE if u.arbitrary()? => {
                ftpsim::ftp::codec::format_extended_passive_text(u.arbitrary()?)
            }
            _ => u.arbitrary()?,
        };
        Ok(format!("{code:03}{separator}{text}\r\n").into_bytes())
    }

    /// Every reply in what a server sent is well formed.
    pub fn assert_replies(sent: &[u8]) {
        let mut decoder = ReplyDecoder::default();
        decoder.push(sent);
        while let Some(reply) = decoder.next_reply() {
            let reply = reply.unwrap_or_else(|error| panic!("the server sent an unreadable reply: {error}"));
            assert!((100..600).contains(&reply.code), "{reply:?}");
        }
        assert!(sent.is_empty() || sent.ends_with(b"\r\n"), "the server's last reply ends its line");
    }
}

/// True when `FTPSIM_FUZZ_STRICT` is set: the targets then also fail on the known, reported
/// problems they otherwise step around (FUZZING.md lists them), so that
/// `scripts/fuzz.sh regressions` shows which are still there.
pub fn strict() -> bool {
    static STRICT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *STRICT.get_or_init(|| std::env::var_os("FTPSIM_FUZZ_STRICT").is_some())
}

/// Prints what a target feeds an engine when `FTPSIM_FUZZ_TRACE` is set (to read a crash).
pub fn trace(what: &dyn std::fmt::Debug) {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *TRACE.get_or_init(|| std::env::var_os("FTPSIM_FUZZ_TRACE").is_some()) {
        eprintln!("{what:?}");
    }
}
