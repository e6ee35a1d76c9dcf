//! The FTP helper (an "application layer gateway"): what Linux's `nf_conntrack_ftp` and
//! `nf_nat_ftp` read in, and write back into, the control connection.
//!
//! The helper looks at the *start* of each control-connection segment, as the kernel does:
//!
//! | direction          | starts with | reads                                      |
//! |--------------------|-------------|--------------------------------------------|
//! | client → server    | `PORT `     | six comma-separated numbers                |
//! | client → server    | `EPRT `     | `\|1\|a.b.c.d\|port\|` or `\|2\|v6\|port\|`    |
//! | server → client    | `227 `      | the first six numbers after the code       |
//! | server → client    | `229 `      | `(\|\|\|port\|)`                               |
//!
//! This module only reads and rewrites payloads; [`super::device::Middlebox`] decides what the
//! findings mean (an expectation, a NAT rewrite). Left out on purpose: commands split across two
//! segments (our clients never split a line) and the TCP sequence-number adjustment the kernel
//! makes after changing a payload's length (TCP-lite has no sequence numbers).
//!
//! The helper has its own small readers and writers for the address formats, as the kernel
//! does (`try_rfc959`, `try_eprt`): the network layer knows nothing of the FTP engines above it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4};

/// Untrusted text made safe to quote: control characters left out, at most 40 characters.
fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(40).collect()
}

/// An announcement the helper found but could not read: which one, and the text it read.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", tag = "unreadable")]
pub enum Unreadable {
    /// `PORT` or `227` without six numbers from 0 to 255.
    HostPort { announcement: String, got: String },
    /// `EPRT` that is not `|1|address|port|` or `|2|address|port|`.
    Eprt { got: String },
    /// `229` without a port between its delimiters.
    ExtendedPassive { got: String },
}

/// `h1,h2,h3,h4,p1,p2`, as PORT and 227 write an address.
fn format_host_port(addr: SocketAddrV4) -> String {
    let [h1, h2, h3, h4] = addr.ip().octets();
    let [p1, p2] = addr.port().to_be_bytes();
    format!("{h1},{h2},{h3},{h4},{p1},{p2}")
}

/// Reads `h1,h2,h3,h4,p1,p2`: six numbers from 0 to 255, nothing else.
fn parse_host_port(text: &str, announcement: &str) -> Result<SocketAddrV4, Unreadable> {
    let numbers: Vec<u8> = text.split(',').filter_map(|field| field.trim().parse::<u8>().ok()).collect();
    match numbers.as_slice() {
        [h1, h2, h3, h4, p1, p2] if text.split(',').count() == 6 => {
            Ok(SocketAddrV4::new(Ipv4Addr::new(*h1, *h2, *h3, *h4), u16::from_be_bytes([*p1, *p2])))
        }
        _ => Err(Unreadable::HostPort { announcement: announcement.to_owned(), got: printable(text) }),
    }
}

/// `|1|192.168.1.2|5200|` or `|2|2001:db8::2|5200|`.
fn format_eprt(addr: SocketAddr) -> String {
    let proto = if addr.is_ipv4() { 1 } else { 2 };
    format!("|{proto}|{}|{}|", addr.ip(), addr.port())
}

/// Reads an EPRT argument with any delimiter (RFC 2428).
fn parse_eprt(text: &str) -> Result<SocketAddr, Unreadable> {
    let unreadable = || Unreadable::Eprt { got: printable(text) };
    let delimiter = text.chars().next().filter(|c| ('!'..='~').contains(c)).ok_or_else(unreadable)?;
    let fields: Vec<&str> = text.split(delimiter).collect();
    let ["", proto, ip, port, ""] = fields.as_slice() else {
        return Err(unreadable());
    };
    let ip: IpAddr = match *proto {
        "1" => ip.parse::<Ipv4Addr>().map(IpAddr::V4).map_err(|_| unreadable())?,
        "2" => ip.parse::<Ipv6Addr>().map(IpAddr::V6).map_err(|_| unreadable())?,
        _ => return Err(unreadable()),
    };
    let port = port.parse::<u16>().ok().filter(|port| *port != 0).ok_or_else(unreadable)?;
    Ok(SocketAddr::new(ip, port))
}

/// An address announced on the control connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Announcement {
    /// `PORT h1,h2,h3,h4,p1,p2` from the client.
    Port(SocketAddrV4),
    /// `EPRT |p|addr|port|` from the client.
    Eprt(SocketAddr),
    /// `227 … (h1,h2,h3,h4,p1,p2)` from the server.
    Passive(SocketAddrV4),
    /// `229 … (|||port|)` from the server.
    ExtendedPassive(u16),
}

impl Announcement {
    /// The announced port.
    pub fn port(self) -> u16 {
        match self {
            Announcement::Port(addr) | Announcement::Passive(addr) => addr.port(),
            Announcement::Eprt(addr) => addr.port(),
            Announcement::ExtendedPassive(port) => port,
        }
    }

    /// What the command or reply is called, for the trace.
    pub fn name(self) -> &'static str {
        match self {
            Announcement::Port(_) => "PORT",
            Announcement::Eprt(_) => "EPRT",
            Announcement::Passive(_) => "227",
            Announcement::ExtendedPassive(_) => "229",
        }
    }
}

/// What the helper found in a segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reading {
    /// Nothing the helper cares about.
    Nothing,
    /// An announcement, and where its address text sits in the payload.
    Found { announcement: Announcement, span: (usize, usize) },
    /// The segment starts like an announcement but cannot be read. The kernel drops such
    /// packets rather than let a half-understood command through.
    Unreadable(Unreadable),
}

/// Reads a client-to-server segment.
pub fn read_command(payload: &[u8]) -> Reading {
    let line_end = payload.iter().position(|&b| b == b'\r' || b == b'\n').unwrap_or(payload.len());
    let starts = |verb: &[u8]| payload.len() >= 5 && payload[..4].eq_ignore_ascii_case(verb) && payload[4] == b' ';
    let argument = || std::str::from_utf8(&payload[5..line_end]).unwrap_or("");
    if starts(b"PORT") {
        return match parse_host_port(argument(), "PORT") {
            Ok(addr) => Reading::Found { announcement: Announcement::Port(addr), span: (5, line_end) },
            Err(error) => Reading::Unreadable(error),
        };
    }
    if starts(b"EPRT") {
        return match parse_eprt(argument()) {
            Ok(addr) => Reading::Found { announcement: Announcement::Eprt(addr), span: (5, line_end) },
            Err(error) => Reading::Unreadable(error),
        };
    }
    Reading::Nothing
}

/// Reads a server-to-client segment.
pub fn read_reply(payload: &[u8]) -> Reading {
    if payload.starts_with(b"227 ") {
        let Some(start) = payload.iter().skip(4).position(u8::is_ascii_digit).map(|offset| offset + 4) else {
            let got = printable(&String::from_utf8_lossy(&payload[4..]));
            return Reading::Unreadable(Unreadable::HostPort { announcement: "227".to_owned(), got });
        };
        let mut end = start;
        let mut commas = 0;
        while end < payload.len() && (payload[end].is_ascii_digit() || (payload[end] == b',' && commas < 5)) {
            if payload[end] == b',' {
                commas += 1;
            }
            end += 1;
        }
        let text = std::str::from_utf8(&payload[start..end]).unwrap_or("");
        return match parse_host_port(text, "227") {
            Ok(addr) => Reading::Found { announcement: Announcement::Passive(addr), span: (start, end) },
            Err(error) => Reading::Unreadable(error),
        };
    }
    if payload.starts_with(b"229 ") {
        let Some(open) = payload.iter().position(|&b| b == b'(') else {
            let got = printable(&String::from_utf8_lossy(&payload[4..]));
            return Reading::Unreadable(Unreadable::ExtendedPassive { got });
        };
        let inside = &payload[open + 1..];
        let delimiter = inside.first().copied().unwrap_or(b'|');
        let digits_start = open + 4;
        let digits_end = payload[digits_start.min(payload.len())..]
            .iter()
            .position(|b| !b.is_ascii_digit())
            .map_or(payload.len(), |offset| digits_start + offset);
        let well_formed = inside.len() >= 4
            && inside[..3].iter().all(|&b| b == delimiter)
            && payload.get(digits_end) == Some(&delimiter)
            && digits_end > digits_start;
        let port = std::str::from_utf8(&payload[digits_start.min(digits_end)..digits_end])
            .ok()
            .and_then(|text| text.parse::<u16>().ok())
            .filter(|port| *port != 0);
        return match port {
            Some(port) if well_formed => {
                Reading::Found { announcement: Announcement::ExtendedPassive(port), span: (digits_start, digits_end) }
            }
            _ => Reading::Unreadable(Unreadable::ExtendedPassive {
                got: printable(&String::from_utf8_lossy(&payload[4..])),
            }),
        };
    }
    Reading::Nothing
}

/// The payload with the announced address replaced by `new`, the way `nf_nat_ftp` writes it.
pub fn rewrite(payload: &[u8], announcement: Announcement, span: (usize, usize), new: SocketAddr) -> Vec<u8> {
    let replacement = match (announcement, new) {
        (Announcement::Port(_) | Announcement::Passive(_), SocketAddr::V4(v4)) => format_host_port(v4),
        (Announcement::Eprt(_), _) => format_eprt(new),
        (Announcement::ExtendedPassive(_), _) => new.port().to_string(),
        // A v6 address cannot go into PORT or 227; leave the text as it was.
        (Announcement::Port(_) | Announcement::Passive(_), SocketAddr::V6(_)) => {
            return payload.to_vec();
        }
    };
    let (start, end) = span;
    let mut out = Vec::with_capacity(payload.len() + 8);
    out.extend_from_slice(&payload[..start]);
    out.extend_from_slice(replacement.as_bytes());
    out.extend_from_slice(&payload[end..]);
    out
}

/// What announcement an encrypted segment hides, read from its plaintext (which the simulator
/// knows and the helper does not): `PORT`, `EPRT`, `227` or `229`.
pub fn hidden_announcement(plaintext: &[u8], from_client: bool) -> Option<String> {
    let reading = if from_client { read_command(plaintext) } else { read_reply(plaintext) };
    match reading {
        Reading::Found { announcement, .. } => Some(announcement.name().to_owned()),
        Reading::Nothing | Reading::Unreadable(_) => None,
    }
}

/// The first line of a payload, for showing a rewrite as before → after.
pub fn first_line(payload: &[u8]) -> String {
    let text = String::from_utf8_lossy(payload);
    text.lines().next().unwrap_or("").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> SocketAddrV4 {
        text.parse().expect("addr")
    }

    #[test]
    fn reads_port_and_eprt_from_the_client() {
        assert_eq!(
            read_command(b"PORT 192,168,1,2,20,80\r\n"),
            Reading::Found { announcement: Announcement::Port(v4("192.168.1.2:5200")), span: (5, 22) }
        );
        assert_eq!(
            read_command(b"port 192,168,1,2,20,80\r\n"),
            Reading::Found { announcement: Announcement::Port(v4("192.168.1.2:5200")), span: (5, 22) }
        );
        let Reading::Found { announcement, .. } = read_command(b"EPRT |1|192.168.1.2|5200|\r\n") else {
            panic!("EPRT not read");
        };
        assert_eq!(announcement, Announcement::Eprt("192.168.1.2:5200".parse().expect("addr")));
        assert_eq!(read_command(b"LIST\r\n"), Reading::Nothing);
        assert_eq!(read_command(b"PORTS\r\n"), Reading::Nothing);
        assert!(matches!(read_command(b"PORT 1,2,3\r\n"), Reading::Unreadable(_)));
    }

    #[test]
    fn reads_227_and_229_from_the_server() {
        let reply = b"227 Entering Passive Mode (10,0,0,10,195,80).\r\n";
        assert_eq!(
            read_reply(reply),
            Reading::Found { announcement: Announcement::Passive(v4("10.0.0.10:50000")), span: (27, 43) }
        );
        assert_eq!(
            read_reply(b"229 Entering Extended Passive Mode (|||50000|)\r\n"),
            Reading::Found { announcement: Announcement::ExtendedPassive(50000), span: (39, 44) }
        );
        assert_eq!(read_reply(b"226 Transfer complete.\r\n"), Reading::Nothing);
        assert!(matches!(read_reply(b"229 Entering Extended Passive Mode (|||x|)\r\n"), Reading::Unreadable(_)));
        assert!(matches!(read_reply(b"227 nothing here\r\n"), Reading::Unreadable(_)));
    }

    #[test]
    fn rewrites_only_the_address() {
        let public: SocketAddr = "203.0.113.1:5200".parse().expect("addr");
        let payload = b"PORT 192,168,1,2,20,80\r\n";
        let Reading::Found { announcement, span } = read_command(payload) else { panic!("not read") };
        assert_eq!(rewrite(payload, announcement, span, public), b"PORT 203,0,113,1,20,80\r\n");

        let payload = b"EPRT |1|192.168.1.2|5200|\r\n";
        let Reading::Found { announcement, span } = read_command(payload) else { panic!("not read") };
        assert_eq!(rewrite(payload, announcement, span, public), b"EPRT |1|203.0.113.1|5200|\r\n");

        let payload = b"227 Entering Passive Mode (10,0,0,10,195,80).\r\n";
        let Reading::Found { announcement, span } = read_reply(payload) else { panic!("not read") };
        let server: SocketAddr = "198.51.100.10:50000".parse().expect("addr");
        assert_eq!(
            rewrite(payload, announcement, span, server),
            b"227 Entering Passive Mode (198,51,100,10,195,80).\r\n"
        );
        assert_eq!(first_line(b"227 a\r\nb"), "227 a");
    }
}
