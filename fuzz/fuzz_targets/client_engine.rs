//! The client engine (`FtpClient`, curl- and ftplib-like) in every mode and profile, fed reply
//! bytes in any pieces (raw, or reply lines with the codes it reacts to, 227/229 addresses
//! among them), data events on the connections it asked for (and others), timers and hang-ups,
//! at any virtual times: a hostile or broken server.
//!
//! Invariants: no panic; everything it sends in clear is well-formed commands that read back as
//! themselves; nothing is sent after it closed the control connection; once it has an outcome,
//! it keeps it.
#![no_main]

use std::net::{IpAddr, SocketAddr};

use arbitrary::{Result, Unstructured};
use ftpsim::ftp::client::{ClientProfile, ClientSettings, DataMode, FtpClient, Operation};
use ftpsim::ftp::{ConnectError, Engine, Input};
use ftpsim::time::{Duration, Instant};
use ftpsim_fuzz::engine::{ControlWatch, data_event, data_id, ip, later, reply_line, socket_addr, timer};
use ftpsim_fuzz::{Decoded, WHOLE, commands, trace};
use libfuzzer_sys::fuzz_target;

fn operation(u: &mut Unstructured) -> Result<Operation> {
    let path = u.choose(&["readme.txt", "pub/readme.txt", "pub/lesson-notes.txt", "upload/new.txt"])?.to_string();
    Ok(match u.int_in_range(0..=3)? {
        0 => Operation::List { path: if u.arbitrary()? { Some("pub".to_owned()) } else { None } },
        1 => Operation::Nlst { path: None },
        2 => Operation::Retr { path },
        _ => Operation::Stor { path, contents: u.arbitrary()? },
    })
}

fn settings(u: &mut Unstructured, server: SocketAddr) -> Result<ClientSettings> {
    let profile = *u.choose(&ClientProfile::ALL)?;
    let seconds = |u: &mut Unstructured| -> Result<Option<Duration>> {
        Ok(if u.arbitrary()? { Some(Duration::from_secs(u.int_in_range(1..=300)?)) } else { None })
    };
    let demo = u.arbitrary()?;
    let count = u.int_in_range(1..=3)?;
    Ok(ClientSettings {
        server,
        profile,
        user: if demo { "demo" } else { "anonymous" }.to_owned(),
        password: if demo { "demo" } else { profile.anonymous_password() }.to_owned(),
        mode: *u.choose(&DataMode::ALL)?,
        operations: (0..count).map(|_| operation(u)).collect::<Result<_>>()?,
        trust_pasv_address: u.arbitrary()?,
        connect_timeout: seconds(u)?,
        accept_timeout: seconds(u)?,
        reply_timeout: seconds(u)?,
        announce_address: if u.ratio(1, 8)? { Some(ip(u)?) } else { None },
        tls: u.ratio(1, 4)?,
    })
}

fn next_input(u: &mut Unstructured, watch: &ControlWatch, now: &mut u64) -> Result<Input> {
    *now = later(u, *now)?;
    Ok(match u.int_in_range(0..=15)? {
        0..=2 => Input::ControlBytes(u.arbitrary()?),
        3..=8 => {
            let mut bytes = Vec::new();
            for _ in 0..u.int_in_range(1..=3)? {
                bytes.extend(reply_line(u)?);
            }
            Input::ControlBytes(bytes)
        }
        9..=12 => Input::Data { id: data_id(u, &watch.asked)?, event: data_event(u)? },
        13 => Input::Timer(timer(u)?),
        14 => Input::ControlOpened { local: socket_addr(u)?, peer: socket_addr(u)? },
        _ => Input::ControlClosed,
    })
}

fn drain(client: &mut FtpClient, watch: &mut ControlWatch) {
    while let Some(output) = client.poll_output() {
        trace(&output);
        watch.see(&output);
    }
    let _ = (client.state_name(), client.is_done(), client.last_reply(), client.results().len());
    if let Some(outcome) = client.outcome() {
        let _ = format!("{outcome:?}");
    }
}

fn run(u: &mut Unstructured) -> Result<()> {
    let v6 = u.ratio(1, 4)?;
    let (local, server): (IpAddr, IpAddr) = if v6 {
        ("2001:db8::2".parse().expect("address"), "2001:db8:0:1::10".parse().expect("address"))
    } else {
        let local: [u8; 4] = *u.choose(&[[192, 168, 1, 2], [203, 0, 113, 1]])?;
        (local.into(), [198, 51, 100, 10].into())
    };
    let server = SocketAddr::new(server, 21);
    let settings = settings(u, server)?;
    trace(&settings);
    let mut client = FtpClient::new(settings);
    let mut watch = ControlWatch::default();
    drain(&mut client, &mut watch);
    let mut now = u.int_in_range(0..=3_000_000)?;
    let opened = if u.ratio(15, 16)? {
        Input::ControlOpened { local: SocketAddr::new(local, 40000), peer: server }
    } else {
        Input::ControlFailed(ConnectError::Refused)
    };
    trace(&(now, &opened));
    client.handle(Instant::from_micros(now), opened);
    drain(&mut client, &mut watch);
    let mut had_outcome = false;
    for _ in 0..200 {
        if u.is_empty() {
            break;
        }
        let Ok(input) = next_input(u, &watch, &mut now) else { break };
        trace(&(now, &input));
        client.handle(Instant::from_micros(now), input);
        drain(&mut client, &mut watch);
        assert!(!had_outcome || client.outcome().is_some(), "an outcome, once known, stays");
        had_outcome = client.outcome().is_some();
    }
    for command in commands(&watch.sent, WHOLE) {
        let Decoded::Read(command) = command else { panic!("the client sent an unreadable command: {command:?}") };
        assert_eq!(commands(&command.to_bytes(), WHOLE), [Decoded::Read(command.clone())]);
    }
    assert!(watch.sent.is_empty() || watch.sent.ends_with(b"\r\n"), "the client's last command ends its line");
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
