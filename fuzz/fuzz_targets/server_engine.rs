//! The server engine (`FtpServer`, vsftpd- and pyftpdlib-like) under settings of any kind, fed
//! control bytes in any pieces (raw, or command lines with any argument, or PORT/EPRT to
//! addresses of the lessons' networks and strangers), data events on the connections it asked
//! for (and others), timers and hang-ups, at any virtual times.
//!
//! Invariants: no panic; everything it sends in clear is well-formed replies, each line ended;
//! nothing is sent after it closed the control connection; once closed it says it is.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use arbitrary::{Result, Unstructured};
use ftpsim::ftp::codec::{format_eprt, format_host_port};
use ftpsim::ftp::fs::FileTree;
use ftpsim::ftp::server::{Account, EpsvSupport, FtpServer, ServerProfile, ServerSettings};
use ftpsim::ftp::{Engine, Input};
use ftpsim::time::{Duration, Instant};
use ftpsim_fuzz::engine::{ControlWatch, assert_replies, data_event, data_id, later, socket_addr, timer};
use ftpsim_fuzz::trace;
use libfuzzer_sys::fuzz_target;

const VERBS: [&str; 26] = [
    "USER", "PASS", "SYST", "FEAT", "PWD", "CWD", "CDUP", "TYPE", "MODE", "STRU", "NOOP", "QUIT", "SIZE", "LIST",
    "NLST", "RETR", "STOR", "ABOR", "PORT", "EPRT", "PASV", "EPSV", "AUTH", "PBSZ", "PROT", "HELP",
];
const ARGS: [&str; 12] = [
    "anonymous",
    "demo",
    "ftp",
    "/pub",
    "pub/readme.txt",
    "readme.txt",
    "/upload/new.txt",
    "..",
    "I",
    "A",
    "ALL",
    "TLS",
];

fn settings(u: &mut Unstructured) -> Result<ServerSettings> {
    let base = if u.arbitrary()? { ServerSettings::lesson() } else { ServerSettings::default() };
    let profile = *u.choose(&ServerProfile::ALL)?;
    let seconds = |u: &mut Unstructured| -> Result<Duration> { Ok(Duration::from_secs(u.int_in_range(0..=120)?)) };
    Ok(ServerSettings {
        profile,
        banner: profile.banner().to_owned(),
        anonymous_enable: u.arbitrary()?,
        local_enable: u.arbitrary()?,
        accounts: vec![Account { user: "demo".to_owned(), password: "demo".to_owned() }],
        write_enable: u.arbitrary()?,
        anon_upload_enable: u.arbitrary()?,
        pasv_min_port: if u.arbitrary()? { base.pasv_min_port } else { u.arbitrary()? },
        pasv_max_port: if u.arbitrary()? { base.pasv_max_port } else { u.arbitrary()? },
        pasv_address: if u.arbitrary()? { Some(Ipv4Addr::from(u.arbitrary::<u32>()?)) } else { None },
        port_promiscuous: u.arbitrary()?,
        pasv_promiscuous: u.arbitrary()?,
        connect_from_port_20: u.arbitrary()?,
        ftp_data_port: if u.arbitrary()? { 20 } else { u.arbitrary()? },
        connect_timeout: seconds(u)?,
        accept_timeout: seconds(u)?,
        epsv: *u.choose(&[EpsvSupport::Enabled, EpsvSupport::Refused500, EpsvSupport::Refused502])?,
        seed: u.arbitrary()?,
        ssl_enable: u.arbitrary()?,
    })
}

/// Bytes on the control connection: raw, a command line, or PORT/EPRT to some address.
fn control_bytes(u: &mut Unstructured) -> Result<Vec<u8>> {
    Ok(match u.int_in_range(0..=5)? {
        0 => u.arbitrary()?,
        1 | 2 => {
            let verb = u.choose(&VERBS)?;
            let arg: String = if u.arbitrary()? { u.choose(&ARGS)?.to_string() } else { u.arbitrary()? };
            let end = if u.ratio(7, 8)? { "\r\n" } else { "\n" };
            format!("{verb} {arg}{end}").into_bytes()
        }
        3 => match socket_addr(u)? {
            SocketAddr::V4(addr) => format!("PORT {}\r\n", format_host_port(addr)).into_bytes(),
            addr => format!("EPRT {}\r\n", format_eprt(addr)).into_bytes(),
        },
        4 => format!("EPRT {}\r\n", format_eprt(socket_addr(u)?)).into_bytes(),
        _ => {
            let user = u.choose(&["anonymous", "demo"])?;
            format!("USER {user}\r\nPASS demo\r\n").into_bytes()
        }
    })
}

fn next_input(u: &mut Unstructured, watch: &ControlWatch, now: &mut u64) -> Result<Input> {
    *now = later(u, *now)?;
    Ok(match u.int_in_range(0..=15)? {
        0..=8 => Input::ControlBytes(control_bytes(u)?),
        9..=12 => Input::Data { id: data_id(u, &watch.asked)?, event: data_event(u)? },
        13 => Input::Timer(timer(u)?),
        14 => Input::ControlOpened { local: socket_addr(u)?, peer: socket_addr(u)? },
        _ => Input::ControlClosed,
    })
}

fn drain(server: &mut FtpServer, watch: &mut ControlWatch) {
    while let Some(output) = server.poll_output() {
        trace(&output);
        watch.see(&output);
    }
    let _ = (server.state_name(), server.is_busy(), server.passive_listener());
}

fn run(u: &mut Unstructured) -> Result<()> {
    let settings = settings(u)?;
    trace(&settings);
    let mut server = FtpServer::new(settings, FileTree::default());
    let mut watch = ControlWatch::default();
    let v6 = u.ratio(1, 4)?;
    let (local, peer): (IpAddr, IpAddr) = if v6 {
        ("2001:db8:0:1::10".parse().expect("address"), "2001:db8::2".parse().expect("address"))
    } else {
        let peer: [u8; 4] = *u.choose(&[[203, 0, 113, 1], [192, 168, 1, 2]])?;
        ([198, 51, 100, 10].into(), peer.into())
    };
    let mut now = 0u64;
    server.handle(
        Instant::ZERO,
        Input::ControlOpened { local: SocketAddr::new(local, 21), peer: SocketAddr::new(peer, 40000) },
    );
    drain(&mut server, &mut watch);
    for _ in 0..200 {
        if u.is_empty() {
            break;
        }
        let Ok(input) = next_input(u, &watch, &mut now) else { break };
        trace(&(now, &input));
        let closing = input == Input::ControlClosed;
        server.handle(Instant::from_micros(now), input);
        drain(&mut server, &mut watch);
        if closing {
            assert!(server.is_closed(), "a hang-up ends the session");
        }
    }
    assert_replies(&watch.sent);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
