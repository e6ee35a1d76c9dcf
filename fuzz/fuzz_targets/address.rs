//! The four address encodings: `PORT`'s `h1,h2,h3,h4,p1,p2`, `EPRT`'s `|proto|address|port|`,
//! the 227 reply's six numbers anywhere in its text and the 229 reply's `(|||port|)`.
//!
//! Invariants: no panic; every address read, written back in its encoding and read again is the
//! same address; any address written is read back as itself.
#![no_main]

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4};

use ftpsim::ftp::codec::{
    Reply, format_eprt, format_extended_passive_text, format_host_port, format_passive_text, parse_eprt,
    parse_extended_passive_reply, parse_host_port, parse_passive_reply, reply_code,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Any address written is read back (the first 22 bytes, when there are that many).
    if let Some(bytes) = data.get(..22) {
        let v4 = SocketAddrV4::new(
            Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]),
            u16::from_be_bytes([bytes[4], bytes[5]]),
        );
        assert_eq!(parse_host_port(&format_host_port(v4)), Ok(v4));
        assert_eq!(parse_passive_reply(&Reply::new(reply_code::PASSIVE, format_passive_text(v4))), Ok(v4));
        let v6: [u8; 16] = bytes[6..22].try_into().expect("16 bytes");
        for ip in [(*v4.ip()).into(), Ipv6Addr::from(v6).into()] {
            let port = v4.port();
            let addr = SocketAddr::new(ip, port);
            if port != 0 {
                assert_eq!(parse_eprt(&format_eprt(addr)), Ok(addr));
                let text = format_extended_passive_text(port);
                assert_eq!(parse_extended_passive_reply(&Reply::new(reply_code::EXTENDED_PASSIVE, text)), Ok(port));
            }
        }
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(addr) = parse_host_port(text) {
        assert_eq!(parse_host_port(&format_host_port(addr)), Ok(addr), "PORT {text:?}");
    }
    if let Err(error) = parse_eprt(text).map(|addr| {
        assert_eq!(parse_eprt(&format_eprt(addr)), Ok(addr), "EPRT {text:?}");
    }) {
        let _ = error.to_string();
        let _ = error.is_unsupported_protocol();
    }
    // The reply text as one line and as the lines of a multi-line reply, under the right code
    // and a wrong one.
    for code in [reply_code::PASSIVE, reply_code::EXTENDED_PASSIVE] {
        for reply in [Reply::new(code, text), Reply::multi(code, text.split('\n').map(str::to_owned))] {
            match parse_passive_reply(&reply) {
                Ok(addr) => {
                    let written = Reply::new(reply_code::PASSIVE, format_passive_text(addr));
                    assert_eq!(parse_passive_reply(&written), Ok(addr), "227 {text:?}");
                }
                Err(error) => drop(error.to_string()),
            }
            match parse_extended_passive_reply(&reply) {
                Ok(port) => {
                    let written = Reply::new(reply_code::EXTENDED_PASSIVE, format_extended_passive_text(port));
                    assert_eq!(parse_extended_passive_reply(&written), Ok(port), "229 {text:?}");
                }
                Err(error) => drop(error.to_string()),
            }
        }
    }
});
