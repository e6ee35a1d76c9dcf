//! Client engine ↔ server engine over the in-memory loopback: whole sessions in every mode.

use std::net::{IpAddr, SocketAddr};

use ftpsim::ftp::FtpTrace;
use ftpsim::ftp::client::{ClientFailure, ClientSettings, DataMode, Operation, Outcome};
use ftpsim::ftp::codec::Reply;
use ftpsim::ftp::fs::FileTree;
use ftpsim::ftp::loopback::Loopback;
use ftpsim::ftp::server::{EpsvSupport, ServerSettings};
use ftpsim::time::Instant;

const CLIENT_V4: [u8; 4] = [203, 0, 113, 7];
const SERVER_V4: [u8; 4] = [198, 51, 100, 10];

fn full_session(mode: DataMode) -> ClientSettings {
    ClientSettings {
        server: SocketAddr::from((SERVER_V4, 21)),
        mode,
        // The lesson server's local account: anonymous users may not upload.
        user: "demo".into(),
        password: "demo".into(),
        operations: vec![
            Operation::List { path: Some("pub".into()) },
            Operation::Retr { path: "pub/readme.txt".into() },
            Operation::Stor { path: "upload/homework.txt".into(), contents: b"my homework\r\n".to_vec() },
        ],
        ..ClientSettings::default()
    }
}

fn run(client: ClientSettings, server: ServerSettings) -> Loopback {
    let client_ip = IpAddr::from(CLIENT_V4);
    let mut net = Loopback::new(client, client_ip, server, FileTree::default());
    net.run();
    net
}

fn assert_completed(net: &Loopback) {
    assert_eq!(net.client.outcome(), Some(&Outcome::Completed), "transcript:\n{}", net.transcript().join("\n"));
}

#[test]
fn full_session_in_every_mode() {
    for mode in DataMode::ALL {
        let net = run(full_session(mode), ServerSettings::lesson());
        assert_completed(&net);
        let results = net.client.results();
        assert_eq!(results.len(), 3, "{mode}");
        let listing = String::from_utf8_lossy(&results[0].bytes);
        assert!(listing.contains("readme.txt") && listing.contains("lesson-notes.txt"), "{mode}: {listing}");
        assert_eq!(results[1].bytes, FileTree::default().read("/pub/readme.txt").expect("file"), "{mode}");
        assert_eq!(net.server.files().read("/upload/homework.txt"), Ok(&b"my homework\r\n"[..]), "{mode}");

        let transcript = net.transcript();
        let expected_setup = match mode {
            DataMode::Port => "> PORT 203,0,113,7,",
            DataMode::Eprt => "> EPRT |1|203.0.113.7|",
            DataMode::Pasv => "> PASV",
            DataMode::Epsv | DataMode::Auto => "> EPSV",
        };
        let setups = transcript.iter().filter(|line| line.starts_with(expected_setup)).count();
        assert_eq!(setups, 3, "{mode}: one data set-up per transfer\n{}", transcript.join("\n"));
        assert_eq!(transcript.iter().filter(|line| line.starts_with("< 226")).count(), 3, "{mode}");
        assert_eq!(transcript.last().map(String::as_str), Some("< 221 Goodbye."), "{mode}");
    }
}

#[test]
fn the_transcript_of_a_passive_list_reads_like_a_curl_log() {
    // As curl 7.88 against vsftpd 3.0.3 (FIDELITY.md): PWD, CWD into the directory, EPSV…
    // here PASV, connect, then TYPE, then LIST.
    let client = ClientSettings {
        user: "anonymous".into(),
        password: "ftp@example.com".into(),
        operations: vec![Operation::List { path: Some("pub".into()) }],
        ..full_session(DataMode::Pasv)
    };
    let net = run(client, ServerSettings::lesson());
    assert_completed(&net);
    let transcript = net.transcript();
    let expected_start = [
        "< 220 (vsFTPd 3.0.3)",
        "> USER anonymous",
        "< 331 Please specify the password.",
        "> PASS ftp@example.com",
        "< 230 Login successful.",
        "> PWD",
        "< 257 \"/\" is the current directory",
        "> CWD pub",
        "< 250 Directory successfully changed.",
        "> PASV",
    ];
    assert_eq!(&transcript[..10], &expected_start);
    assert!(transcript[10].starts_with("< 227 Entering Passive Mode (198,51,100,10,"));
    assert_eq!(
        &transcript[11..],
        [
            "> TYPE A",
            "< 200 Switching to ASCII mode.",
            "> LIST",
            "< 150 Here comes the directory listing.",
            "< 226 Directory send OK.",
            "> QUIT",
            "< 221 Goodbye."
        ]
    );
}

#[test]
fn demo_account_logs_in() {
    let client = ClientSettings { user: "demo".into(), password: "demo".into(), ..full_session(DataMode::Auto) };
    assert_completed(&run(client, ServerSettings::lesson()));
}

#[test]
fn wrong_password_fails_with_530() {
    let client = ClientSettings { user: "demo".into(), password: "guess".into(), ..full_session(DataMode::Auto) };
    let net = run(client, ServerSettings::lesson());
    let Some(Outcome::Failed { failure: ClientFailure::Refused { command, reply } }) = net.client.outcome() else {
        panic!("expected a refusal, got {:?}", net.client.outcome());
    };
    assert_eq!(command, "PASS guess");
    assert_eq!(reply, &Reply::new(530, "Login incorrect."));
}

#[test]
fn auto_mode_falls_back_to_pasv_when_epsv_is_refused() {
    for epsv in [EpsvSupport::Refused500, EpsvSupport::Refused502] {
        let net = run(full_session(DataMode::Auto), ServerSettings { epsv, ..ServerSettings::lesson() });
        assert_completed(&net);
        let transcript = net.transcript();
        // EPSV once; after the refusal the client remembers and uses PASV for every transfer.
        assert_eq!(transcript.iter().filter(|line| *line == "> EPSV").count(), 1);
        assert_eq!(transcript.iter().filter(|line| *line == "> PASV").count(), 3);
    }
}

#[test]
fn curl_in_epsv_mode_falls_back_to_pasv_like_ftp_pasv() {
    // curl --ftp-pasv sends EPSV first and PASV when it is refused (measured: FIDELITY.md).
    for epsv in [EpsvSupport::Refused500, EpsvSupport::Refused502] {
        let net = run(full_session(DataMode::Epsv), ServerSettings { epsv, ..ServerSettings::lesson() });
        assert_completed(&net);
        assert_eq!(net.transcript().iter().filter(|line| *line == "> EPSV").count(), 1);
    }
}

#[test]
fn ftplib_sessions_complete_in_its_modes_with_its_command_order() {
    for mode in [DataMode::Port, DataMode::Pasv, DataMode::Auto] {
        let client = ClientSettings {
            mode,
            user: "demo".into(),
            password: "demo".into(),
            operations: full_session(mode).operations,
            ..ClientSettings::ftplib(None)
        };
        let net = run(client, ServerSettings::lesson());
        assert_completed(&net);
        let commands: Vec<String> = net
            .transcript()
            .iter()
            .filter_map(|line| line.strip_prefix("> "))
            .map(|command| command.split(' ').next().unwrap_or("").to_owned())
            .collect();
        let setup = if mode == DataMode::Port { "PORT" } else { "PASV" };
        let expected: Vec<&str> =
            vec!["USER", "PASS", "TYPE", setup, "LIST", "TYPE", setup, "RETR", "TYPE", setup, "STOR", "QUIT"];
        assert_eq!(commands, expected, "{mode}");
    }
}

#[test]
fn active_mode_to_an_unreachable_client_ends_in_425_after_connect_timeout() {
    let client_ip = IpAddr::from(CLIENT_V4);
    let mut net = Loopback::new(full_session(DataMode::Port), client_ip, ServerSettings::lesson(), FileTree::default());
    net.blackholed.insert(client_ip);
    net.run();
    let Some(Outcome::Failed { failure: ClientFailure::Refused { command, reply } }) = net.client.outcome() else {
        panic!("expected 425, got {:?}", net.client.outcome());
    };
    assert_eq!(command, "LIST", "curl changed into pub first");
    assert_eq!(reply, &Reply::new(425, "Failed to establish connection."));
    // The server waited connect_timeout (60 s) after receiving LIST.
    let sent_425_at = net
        .log
        .iter()
        .find_map(|(at, _, trace)| matches!(trace, FtpTrace::ReplySent(reply) if reply.code == 425).then_some(*at))
        .expect("a 425 was sent");
    assert!(sent_425_at >= Instant::from_micros(60_000_000), "{sent_425_at}");
    assert!(sent_425_at < Instant::from_micros(61_000_000), "{sent_425_at}");
}

#[test]
fn passive_connect_to_a_silent_port_times_out_at_the_client() {
    let server_ip = IpAddr::from(SERVER_V4);
    let client_ip = IpAddr::from(CLIENT_V4);
    let mut net = Loopback::new(full_session(DataMode::Pasv), client_ip, ServerSettings::lesson(), FileTree::default());
    net.blackholed.insert(server_ip);
    net.run();
    // The control connection is not affected by the blackhole in the loopback (it is set up
    // without packets); only the data connect is lost, so TCP gives up after about 134 s.
    let Some(Outcome::Failed { failure: ClientFailure::DataConnect { target, error } }) = net.client.outcome() else {
        panic!("expected a data connect failure, got {:?}", net.client.outcome());
    };
    assert_eq!(target.ip(), server_ip);
    assert_eq!(error.to_string(), "connection timed out");
}

#[test]
fn a_client_timeout_setting_shortens_the_wait() {
    let client_ip = IpAddr::from(CLIENT_V4);
    let settings =
        ClientSettings { connect_timeout: Some(ftpsim::time::Duration::from_secs(5)), ..full_session(DataMode::Epsv) };
    let mut net = Loopback::new(settings, client_ip, ServerSettings::lesson(), FileTree::default());
    net.blackholed.insert(IpAddr::from(SERVER_V4));
    net.run();
    assert!(matches!(
        net.client.outcome(),
        Some(Outcome::Failed { failure: ClientFailure::DataConnectTimeout { .. } })
    ));
}

#[test]
fn ipv6_session_uses_the_extended_commands() {
    let server: SocketAddr = "[2001:db8:2::10]:21".parse().expect("addr");
    for mode in DataMode::ALL {
        let client = ClientSettings { server, ..full_session(mode) };
        let client_ip: IpAddr = "2001:db8:1::2".parse().expect("addr");
        let mut net = Loopback::new(client, client_ip, ServerSettings::lesson(), FileTree::default());
        net.run();
        assert_completed(&net);
        let transcript = net.transcript();
        assert!(!transcript.iter().any(|line| line.starts_with("> PORT") || line.starts_with("> PASV")), "{mode}");
        let extended = if mode.is_active() { "> EPRT |2|2001:db8:1::2|" } else { "> EPSV" };
        assert_eq!(transcript.iter().filter(|line| line.starts_with(extended)).count(), 3, "{mode}");
    }
}

#[test]
fn a_missing_file_fails_with_550_before_any_data_connection() {
    let client = ClientSettings {
        operations: vec![Operation::Retr { path: "nope.txt".into() }],
        ..full_session(DataMode::Pasv)
    };
    let net = run(client, ServerSettings::lesson());
    let Some(Outcome::Failed { failure: ClientFailure::Refused { reply, .. } }) = net.client.outcome() else {
        panic!("expected 550, got {:?}", net.client.outcome());
    };
    assert_eq!(reply.code, 550);
}

#[test]
fn same_settings_same_log() {
    let first = run(full_session(DataMode::Eprt), ServerSettings::lesson());
    let second = run(full_session(DataMode::Eprt), ServerSettings::lesson());
    assert_eq!(first.log, second.log);
}
