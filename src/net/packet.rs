//! Packets: TCP segments and ICMP "destination unreachable" messages.
//!
//! A [`Packet`] carries the addresses and flags a device looks at, the payload an FTP helper
//! reads, and two pieces of simulation bookkeeping that no real device sees: the [`PacketId`]
//! that lets the page follow one packet across hops (even after NAT rewrote it) and the
//! [`Channel`] it belongs to (the control connection or data connection *n*).
//!
//! Left out on purpose: IP headers beyond addresses (TTL, fragmentation), TCP sequence and
//! acknowledgement numbers, windows and options, and UDP.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};

/// Follows one packet through every hop of its journey.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PacketId(pub u64);

/// Which FTP connection a packet belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    /// The control connection (commands and replies; port 21 by default).
    Control,
    /// The *n*-th data connection of the session, counting from 1.
    Data(u32),
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Channel::Control => f.write_str("control connection"),
            Channel::Data(n) => write!(f, "data connection {n}"),
        }
    }
}

/// TCP flags that TCP-lite uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpFlags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
}

impl TcpFlags {
    pub const SYN: TcpFlags = TcpFlags { syn: true, ack: false, fin: false, rst: false, psh: false };
    pub const SYN_ACK: TcpFlags = TcpFlags { syn: true, ack: true, fin: false, rst: false, psh: false };
    pub const ACK: TcpFlags = TcpFlags { syn: false, ack: true, fin: false, rst: false, psh: false };
    pub const PSH_ACK: TcpFlags = TcpFlags { syn: false, ack: true, fin: false, rst: false, psh: true };
    pub const FIN_ACK: TcpFlags = TcpFlags { syn: false, ack: true, fin: true, rst: false, psh: false };
    pub const RST: TcpFlags = TcpFlags { syn: false, ack: false, fin: false, rst: true, psh: false };
    pub const RST_ACK: TcpFlags = TcpFlags { syn: false, ack: true, fin: false, rst: true, psh: false };
}

impl fmt::Display for TcpFlags {
    /// `SYN`, `SYN-ACK`, `ACK`, `PSH-ACK`, `FIN-ACK`, `RST`: the names students see in Wireshark.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> =
            [(self.syn, "SYN"), (self.rst, "RST"), (self.fin, "FIN"), (self.psh, "PSH"), (self.ack, "ACK")]
                .into_iter()
                .filter_map(|(set, name)| set.then_some(name))
                .collect();
        if names.is_empty() { f.write_str("(no flags)") } else { f.write_str(&names.join("-")) }
    }
}

/// Why an ICMP "destination unreachable" was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unreachable {
    /// No route to the destination network.
    Network,
    /// The destination host is not there.
    Host,
    /// A firewall refused it ("administratively prohibited").
    Prohibited,
}

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unreachable::Network => "network unreachable",
            Unreachable::Host => "host unreachable",
            Unreachable::Prohibited => "administratively prohibited",
        })
    }
}

/// What a packet carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum Body {
    Tcp {
        flags: TcpFlags,
        payload: Vec<u8>,
    },
    /// ICMP destination unreachable about an earlier TCP packet `about_src → about_dst`.
    Icmp {
        reason: Unreachable,
        about_src: SocketAddr,
        about_dst: SocketAddr,
    },
}

/// One packet on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packet {
    pub id: PacketId,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub body: Body,
    pub channel: Channel,
    /// The payload is encrypted (FTP over TLS): devices cannot read it.
    pub encrypted: bool,
    /// Stands in for the acknowledgement number, which TCP-lite does not keep: true when this
    /// segment acknowledges the receiver's FIN.
    pub acks_fin: bool,
}

impl Packet {
    /// A TCP segment; the id is filled in when the packet is put on the wire.
    pub fn tcp(src: SocketAddr, dst: SocketAddr, flags: TcpFlags, payload: Vec<u8>, channel: Channel) -> Self {
        Packet {
            id: PacketId(0),
            src,
            dst,
            body: Body::Tcp { flags, payload },
            channel,
            encrypted: false,
            acks_fin: false,
        }
    }

    /// The TCP flags, or `None` for ICMP.
    pub fn flags(&self) -> Option<TcpFlags> {
        match &self.body {
            Body::Tcp { flags, .. } => Some(*flags),
            Body::Icmp { .. } => None,
        }
    }

    /// The TCP payload (empty for ICMP).
    pub fn payload(&self) -> &[u8] {
        match &self.body {
            Body::Tcp { payload, .. } => payload,
            Body::Icmp { .. } => &[],
        }
    }

    /// True for a connection request: SYN without ACK.
    pub fn is_syn(&self) -> bool {
        self.flags().is_some_and(|flags| flags.syn && !flags.ack)
    }

    /// The kind of packet, for drawing it.
    pub fn kind(&self) -> PacketKind {
        match &self.body {
            Body::Icmp { .. } => PacketKind::Icmp,
            Body::Tcp { flags, payload } => {
                if flags.rst {
                    PacketKind::Rst
                } else if flags.syn && flags.ack {
                    PacketKind::SynAck
                } else if flags.syn {
                    PacketKind::Syn
                } else if flags.fin {
                    PacketKind::Fin
                } else if !payload.is_empty() {
                    PacketKind::Data
                } else {
                    PacketKind::Ack
                }
            }
        }
    }

    /// One line describing the packet: flags, addresses, and the first line of any payload.
    pub fn summary(&self) -> String {
        match &self.body {
            Body::Icmp { reason, about_src, about_dst } => {
                format!("ICMP {reason} {} → {} (about {about_src} → {about_dst})", self.src.ip(), self.dst.ip())
            }
            Body::Tcp { flags, payload } => {
                let mut text = format!("{flags} {} → {}", self.src, self.dst);
                if !payload.is_empty() {
                    text.push_str(&format!(" [{}]", self.payload_preview()));
                }
                text
            }
        }
    }

    /// What the payload says, shortened: an FTP line as text, file data as a byte count.
    pub fn payload_preview(&self) -> String {
        let payload = self.payload();
        if self.encrypted {
            return format!("{} encrypted bytes", payload.len());
        }
        // A TLS record header: a handshake, as a capture would show it.
        if payload.starts_with(&[0x16, 0x03]) {
            return format!("TLS handshake, {} bytes", payload.len());
        }
        match (self.channel, std::str::from_utf8(payload)) {
            (Channel::Control, Ok(text)) => {
                let first = text.lines().next().unwrap_or("");
                let more = text.trim_end().lines().count() > 1;
                if more { format!("{first} …") } else { first.to_owned() }
            }
            _ => format!("{} bytes", payload.len()),
        }
    }
}

/// A packet's kind, as the animation draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PacketKind {
    Syn,
    SynAck,
    Ack,
    Data,
    Fin,
    Rst,
    Icmp,
}

/// True for addresses the internet does not route: RFC 1918, loopback, link-local, CGNAT
/// shared space (RFC 6598) and IPv6 unique-local/link-local.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private() || v4.is_loopback() || v4.is_link_local() || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().expect("test address")
    }

    #[test]
    fn flags_print_like_wireshark() {
        assert_eq!(TcpFlags::SYN.to_string(), "SYN");
        assert_eq!(TcpFlags::SYN_ACK.to_string(), "SYN-ACK");
        assert_eq!(TcpFlags::PSH_ACK.to_string(), "PSH-ACK");
        assert_eq!(TcpFlags::FIN_ACK.to_string(), "FIN-ACK");
        assert_eq!(TcpFlags::RST_ACK.to_string(), "RST-ACK");
        assert_eq!(TcpFlags::default().to_string(), "(no flags)");
    }

    #[test]
    fn kinds_and_summaries() {
        let port = Packet::tcp(
            addr("192.168.1.2:40000"),
            addr("198.51.100.10:21"),
            TcpFlags::PSH_ACK,
            b"PORT 192,168,1,2,20,80\r\n".to_vec(),
            Channel::Control,
        );
        assert_eq!(port.kind(), PacketKind::Data);
        assert_eq!(port.summary(), "PSH-ACK 192.168.1.2:40000 → 198.51.100.10:21 [PORT 192,168,1,2,20,80]");
        let data =
            Packet::tcp(addr("1.2.3.4:20"), addr("5.6.7.8:9"), TcpFlags::PSH_ACK, vec![0; 1460], Channel::Data(1));
        assert_eq!(data.payload_preview(), "1460 bytes");
        let syn = Packet::tcp(addr("1.2.3.4:20"), addr("5.6.7.8:9"), TcpFlags::SYN, vec![], Channel::Data(1));
        assert!(syn.is_syn());
        assert_eq!(syn.kind(), PacketKind::Syn);
        let encrypted = Packet { encrypted: true, ..port };
        assert_eq!(encrypted.payload_preview(), "24 encrypted bytes");
    }

    #[test]
    fn private_addresses() {
        for private in ["192.168.1.2", "10.0.0.10", "172.16.5.4", "100.64.0.1", "127.0.0.1", "fd00::1", "fe80::1"] {
            assert!(is_private(private.parse().expect("ip")), "{private}");
        }
        for public in ["203.0.113.1", "198.51.100.10", "8.8.8.8", "2001:db8:1::2"] {
            assert!(!is_private(public.parse().expect("ip")), "{public}");
        }
    }
}
