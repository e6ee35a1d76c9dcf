//! Property tests: the parsers never panic, and formatting then parsing gives back what went in.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4};

use ftpsim::ftp::client::{ClientSettings, FtpClient};
use ftpsim::ftp::codec::{
    Command, CommandDecoder, EpsvArg, Reply, ReplyDecoder, TransferType, format_eprt, format_extended_passive_text,
    format_host_port, format_passive_text, parse_eprt, parse_extended_passive_reply, parse_host_port,
    parse_passive_reply,
};
use ftpsim::ftp::fs::FileTree;
use ftpsim::ftp::server::{FtpServer, ServerSettings};
use ftpsim::ftp::{Engine, Input};
use ftpsim::time::Instant;
use proptest::prelude::*;

/// An argument as a client could send it: printable, no CR/LF, not empty.
fn argument() -> impl Strategy<Value = String> {
    "[!-~][ -~]{0,40}"
}

fn socket_v4() -> impl Strategy<Value = SocketAddrV4> {
    (any::<u32>(), any::<u16>()).prop_map(|(ip, port)| SocketAddrV4::new(Ipv4Addr::from(ip), port))
}

fn socket_any() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<u32>(), 1..=u16::MAX).prop_map(|(ip, port)| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)),
        (any::<u128>(), 1..=u16::MAX).prop_map(|(ip, port)| SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port)),
    ]
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        argument().prop_map(Command::User),
        prop_oneof![Just(String::new()), argument()].prop_map(Command::Pass),
        Just(Command::Syst),
        Just(Command::Feat),
        Just(Command::Pwd),
        argument().prop_map(Command::Cwd),
        Just(Command::Cdup),
        prop_oneof![Just(TransferType::Ascii), Just(TransferType::Image)].prop_map(Command::Type),
        argument().prop_map(Command::Mode),
        argument().prop_map(Command::Stru),
        Just(Command::Noop),
        Just(Command::Quit),
        argument().prop_map(Command::Size),
        proptest::option::of(argument()).prop_map(Command::List),
        proptest::option::of(argument()).prop_map(Command::Nlst),
        argument().prop_map(Command::Retr),
        argument().prop_map(Command::Stor),
        argument().prop_map(Command::Auth),
        argument().prop_map(Command::Pbsz),
        argument().prop_map(Command::Prot),
        Just(Command::Abor),
        socket_v4().prop_map(Command::Port),
        socket_any().prop_map(Command::Eprt),
        Just(Command::Pasv),
        prop_oneof![Just(EpsvArg::Any), Just(EpsvArg::All), any::<u16>().prop_map(EpsvArg::Protocol)]
            .prop_map(Command::Epsv),
    ]
}

fn reply() -> impl Strategy<Value = Reply> {
    let text = "[ -~]{0,60}";
    // Middle lines may be anything printable, including lines that look like a closing line.
    (100u16..=599, proptest::collection::vec(text, 1..6)).prop_map(|(code, lines)| Reply::multi(code, lines))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn command_format_then_parse_is_identity(command in command()) {
        let wire = String::from_utf8(command.to_bytes()).expect("commands are text");
        prop_assert_eq!(Command::parse(&wire), Ok(command.clone()));
        let mut decoder = CommandDecoder::default();
        decoder.push(wire.as_bytes());
        prop_assert_eq!(decoder.next_command(), Some(Ok(command)));
    }

    #[test]
    fn reply_format_then_parse_is_identity(reply in reply(), split in 0usize..200) {
        let wire = reply.to_bytes();
        let split = split.min(wire.len());
        let mut decoder = ReplyDecoder::default();
        decoder.push(&wire[..split]);
        let early = decoder.next_reply();
        decoder.push(&wire[split..]);
        let parsed = early.or_else(|| decoder.next_reply());
        prop_assert_eq!(parsed, Some(Ok(reply)));
        prop_assert_eq!(decoder.next_reply(), None);
    }

    #[test]
    fn host_port_round_trips(addr in socket_v4()) {
        prop_assert_eq!(parse_host_port(&format_host_port(addr)), Ok(addr));
        let passive = Reply::new(227, format_passive_text(addr));
        prop_assert_eq!(parse_passive_reply(&passive), Ok(addr));
    }

    #[test]
    fn eprt_round_trips(addr in socket_any()) {
        prop_assert_eq!(parse_eprt(&format_eprt(addr)), Ok(addr));
    }

    #[test]
    fn extended_passive_round_trips(port in 1..=u16::MAX) {
        let reply = Reply::new(229, format_extended_passive_text(port));
        prop_assert_eq!(parse_extended_passive_reply(&reply), Ok(port));
    }

    #[test]
    fn parsers_never_panic_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = Command::parse(&text);
        let _ = parse_host_port(&text);
        let _ = parse_eprt(&text);
        let _ = parse_passive_reply(&Reply::new(227, text.clone()));
        let _ = parse_extended_passive_reply(&Reply::new(229, text.clone()));
        let mut commands = CommandDecoder::default();
        commands.push(&bytes);
        while commands.next_command().is_some() {}
        let mut replies = ReplyDecoder::default();
        replies.push(&bytes);
        while replies.next_reply().is_some() {}
    }

    #[test]
    fn the_server_never_panics_on_control_bytes(chunks in proptest::collection::vec(
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..80),
            command().prop_map(|command| command.to_bytes()),
        ], 0..12)) {
        let mut server = FtpServer::new(ServerSettings::lesson(), FileTree::default());
        let local: SocketAddr = "198.51.100.10:21".parse().expect("addr");
        let peer: SocketAddr = "203.0.113.1:40000".parse().expect("addr");
        server.handle(Instant::ZERO, Input::ControlOpened { local, peer });
        server.handle(Instant::ZERO, Input::ControlBytes(b"USER ftp\r\nPASS x\r\n".to_vec()));
        for chunk in chunks {
            server.handle(Instant::ZERO, Input::ControlBytes(chunk));
            while server.poll_output().is_some() {}
        }
    }

    #[test]
    fn the_client_never_panics_on_reply_bytes(chunks in proptest::collection::vec(
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..80),
            reply().prop_map(|reply| reply.to_bytes()),
        ], 0..12)) {
        let mut client = FtpClient::new(ClientSettings::default());
        let local: SocketAddr = "192.168.1.2:40000".parse().expect("addr");
        let peer: SocketAddr = "198.51.100.10:21".parse().expect("addr");
        client.handle(Instant::ZERO, Input::ControlOpened { local, peer });
        for chunk in chunks {
            client.handle(Instant::ZERO, Input::ControlBytes(chunk));
            while client.poll_output().is_some() {}
        }
    }
}
