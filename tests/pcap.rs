//! Packet captures read by Wireshark (issue 10). Each lesson below is captured at every point and
//! decoded with `tshark`, which must find: the FTP commands and replies the trace shows crossing
//! that point (the transcript, at the client), `ftp-data` for the data connections, its own NAT
//! flags (`ftp.active.nat`, `ftp.passive.nat`) exactly where the address inside PORT or 227
//! differs from the packet's, good IP and TCP checksums, no TCP analysis findings but the
//! retransmitted SYNs, and the simulated times.
//!
//! Runs when tshark is installed (`scripts/tools.sh test` installs it) and says it skipped
//! otherwise, except under CI (the `CI` variable set), where a missing tshark fails.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::Command;

use ftpsim::net::device::PrivateDestinations;
use ftpsim::net::packet::{Channel, PacketId};
use ftpsim::sim::capture::{self, CapturePoint, Frame};
use ftpsim::sim::lessons;
use ftpsim::sim::scenario::{RefuseWith, Scenario};
use ftpsim::sim::timeline::Timeline;
use ftpsim::sim::trace::{EventKind, NodeId, PacketInfo};
use serde_json::Value;

/// Wireshark's expert severities (epan/proto.h).
const WARNING: u64 = 0x0060_0000;
const ERROR: u64 = 0x0080_0000;

/// True when tshark runs; a missing tshark fails under CI and skips elsewhere.
fn tshark_present() -> bool {
    let found = Command::new("tshark").arg("--version").output().is_ok_and(|output| output.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "tshark is not installed; scripts/tools.sh test installs it (Debian's tshark)"
        );
        eprintln!("skipped: tshark is not installed (Debian's tshark; scripts/tools.sh test installs it)");
    }
    found
}

/// One decoded frame: each field tshark gave, with all its values.
struct Decoded {
    fields: BTreeMap<String, Vec<String>>,
}

impl Decoded {
    fn all(&self, field: &str) -> &[String] {
        self.fields.get(field).map_or(&[], Vec::as_slice)
    }
    fn first(&self, field: &str) -> Option<&str> {
        self.all(field).first().map(String::as_str)
    }
    fn has(&self, field: &str) -> bool {
        !self.all(field).is_empty()
    }
    /// The FTP lines tshark read in this frame: `USER anonymous`, `331 Please specify…`.
    fn ftp_lines(&self) -> Vec<String> {
        let join = |head: &str, arg: Option<&String>| match arg {
            Some(arg) if !arg.is_empty() => format!("{head} {arg}"),
            _ => head.to_owned(),
        };
        let commands = self.all("ftp.request.command");
        let codes = self.all("ftp.response.code");
        let mut lines: Vec<String> =
            commands.iter().enumerate().map(|(i, command)| join(command, self.all("ftp.request.arg").get(i))).collect();
        lines.extend(codes.iter().enumerate().map(|(i, code)| join(code, self.all("ftp.response.arg").get(i))));
        lines
    }
}

const FIELDS: &[&str] = &[
    "frame.time_epoch",
    "frame.protocols",
    "ip.src",
    "ipv6.src",
    "ip.checksum.status",
    "tcp.checksum.status",
    "icmp.checksum.status",
    "tcp.len",
    "tcp.flags.syn",
    "tcp.flags.ack",
    "tcp.flags.reset",
    "tcp.analysis.flags",
    "tcp.analysis.retransmission",
    "_ws.expert.severity",
    "_ws.expert.message",
    "ftp.request.command",
    "ftp.request.arg",
    "ftp.response.code",
    "ftp.response.arg",
    "ftp.active.nat",
    "ftp.passive.nat",
];

fn decode(file: &PathBuf) -> Vec<Decoded> {
    let mut command = Command::new("tshark");
    command.args(["-r"]).arg(file).args([
        "-o",
        "tcp.check_checksum:TRUE",
        "-o",
        "ip.check_checksum:TRUE",
        "-o",
        "tcp.analyze_sequence_numbers:TRUE",
        "-T",
        "json",
    ]);
    for field in FIELDS {
        command.args(["-e", field]);
    }
    let output = command.output().expect("tshark runs");
    assert!(output.status.success(), "tshark failed: {}", String::from_utf8_lossy(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).expect("tshark writes JSON");
    json.as_array()
        .expect("a list of frames")
        .iter()
        .map(|frame| {
            let layers = frame["_source"]["layers"].as_object().cloned().unwrap_or_default();
            let fields = layers
                .into_iter()
                .map(|(name, values)| {
                    let values = values
                        .as_array()
                        .map(|values| values.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                        .unwrap_or_default();
                    (name, values)
                })
                .collect();
            Decoded { fields }
        })
        .collect()
}

/// The control lines the trace shows crossing a capture point, in order: what left from its end
/// toward the other, and what came over its link from the other end.
fn trace_lines(timeline: &Timeline, at: CapturePoint) -> Vec<String> {
    let (here, there) = match at {
        CapturePoint::Client => (NodeId::Client, NodeId::HomeRouter),
        CapturePoint::Wan => (NodeId::HomeRouter, NodeId::Internet),
        CapturePoint::Server => (NodeId::Server, NodeId::ServerEdge),
    };
    // The link each packet was last put on.
    let mut last_link: BTreeMap<PacketId, (NodeId, NodeId)> = BTreeMap::new();
    let mut crossing: Vec<PacketInfo> = Vec::new();
    for event in timeline.events() {
        let arrived_from_there =
            |packet: &PacketInfo| event.device == here && last_link.get(&packet.id) == Some(&(there, here));
        match &event.kind {
            EventKind::PacketSent { packet, to } | EventKind::PacketForwarded { packet, to, before: None, .. } => {
                if arrived_from_there(packet) {
                    crossing.push(packet.clone());
                }
                if (event.device, *to) == (here, there) {
                    crossing.push(packet.clone());
                }
                last_link.insert(packet.id, (event.device, *to));
            }
            EventKind::PacketForwarded { packet, to, before: Some(before), .. } => {
                if arrived_from_there(packet) {
                    crossing.push(before.clone());
                }
                if (event.device, *to) == (here, there) {
                    crossing.push(packet.clone());
                }
                last_link.insert(packet.id, (event.device, *to));
            }
            EventKind::PacketDelivered { packet } | EventKind::PacketDropped { packet, .. }
                if arrived_from_there(packet) =>
            {
                crossing.push(packet.clone());
            }
            EventKind::PacketRejected { packet, response, response_to, .. } => {
                if arrived_from_there(packet) {
                    crossing.push(packet.clone());
                }
                if let Some(to) = response_to {
                    if (event.device, *to) == (here, there) {
                        crossing.push(response.clone());
                    }
                    last_link.insert(response.id, (event.device, *to));
                }
            }
            _ => {}
        }
    }
    crossing
        .iter()
        .filter(|packet| {
            packet.channel == Channel::Control
                && packet.payload_len > 0
                && !packet.encrypted
                && !packet.preview.starts_with("TLS handshake")
        })
        .flat_map(|packet| if packet.lines.is_empty() { vec![packet.preview.clone()] } else { packet.lines.clone() })
        .collect()
}

/// The address inside a PORT command or a 227 reply.
fn announced(line: &str) -> Option<IpAddr> {
    let numbers = if let Some(rest) = line.strip_prefix("PORT ") {
        rest.trim()
    } else if line.starts_with("227 ") {
        line.split('(').nth(1)?.split(')').next()?
    } else {
        return None;
    };
    let parts: Vec<u8> = numbers.split(',').map(|n| n.trim().parse().ok()).collect::<Option<_>>()?;
    (parts.len() == 6).then(|| IpAddr::from([parts[0], parts[1], parts[2], parts[3]]))
}

struct Case {
    name: &'static str,
    timeline: Timeline,
    /// Wireshark's NAT flags expected at the client, the WAN and the server, in order.
    nat_flags: [&'static [bool]; 3],
}

fn lesson(id: &str) -> Scenario {
    lessons::find(id).expect("a lesson").scenario
}

fn refusing(mut scenario: Scenario) -> Scenario {
    scenario.client_firewall_action = RefuseWith::Reject;
    scenario.server_firewall_action = RefuseWith::Reject;
    scenario.private_destinations = PrivateDestinations::Unreachable;
    scenario
}

fn cases() -> Vec<Case> {
    let case = |name: &'static str, scenario: Scenario, nat_flags: [&'static [bool]; 3]| Case {
        name,
        timeline: Timeline::run(&scenario).expect("a valid scenario"),
        nat_flags,
    };
    vec![
        // Active mode behind NAT without a helper: PORT carries the private address past the
        // router (vsftpd refuses it), so Wireshark flags it beyond the router, not before.
        case("active-nat", lesson("active-nat"), [&[false], &[true], &[true]]),
        // The helper rewrote PORT: nothing to flag anywhere.
        case("active-nat-helper", lesson("active-nat-helper"), [&[false], &[false], &[false]]),
        // Passive mode through the home network: works, no NAT inside any line.
        case("passive-nat-firewall", lesson("passive-nat-firewall"), [&[false], &[false], &[false]]),
        // The server's private address in 227 reaches the client (who ignores it).
        case("server-nat-modern-client", lesson("server-nat-modern-client"), [&[true], &[true], &[false]]),
        // The server router's helper rewrites 227 (four bytes longer): seq/ack shift past it.
        case("server-nat-helper", lesson("server-nat-helper"), [&[false], &[false], &[false]]),
        // The home firewall drops the server's data connection: retransmitted SYNs.
        case("active-client-firewall", lesson("active-client-firewall"), [&[false], &[false], &[false]]),
        // The same, refused with a reset; and a private 227 address answered by ICMP.
        case(
            "active-client-firewall-reject",
            refusing(lesson("active-client-firewall")),
            [&[false], &[false], &[false]],
        ),
        case(
            "server-nat-classic-client-icmp",
            refusing(lesson("server-nat-classic-client")),
            [&[true], &[true], &[false]],
        ),
        case("epsv-ipv6", lesson("epsv-ipv6"), [&[], &[], &[]]),
    ]
}

#[test]
fn wireshark_reads_every_capture_as_the_simulator_ran_it() {
    if !tshark_present() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("ftpsim-pcap-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let cases = cases();
    let mut captures: Vec<(&Case, usize, CapturePoint, Vec<Frame>, PathBuf)> = Vec::new();
    for case in &cases {
        for (point, at) in CapturePoint::ALL.into_iter().enumerate() {
            let frames: Vec<Frame> = capture::frames(&case.timeline, at);
            let file = dir.join(format!("{}-{at}.pcap", case.name));
            std::fs::write(&file, capture::write_pcap(&frames)).expect("the capture is written");
            captures.push((case, point, at, frames, file));
        }
    }
    // tshark takes most of a second per file: read them side by side.
    let all_decoded: Vec<Vec<Decoded>> = std::thread::scope(|scope| {
        let readers: Vec<_> = captures.iter().map(|(.., file)| scope.spawn(move || decode(file))).collect();
        readers.into_iter().map(|reader| reader.join().expect("tshark's output is read")).collect()
    });
    let _ = std::fs::remove_dir_all(&dir);
    let mut data_frames = 0;
    let mut retransmissions = 0;
    let mut resets = 0;
    for ((case, point, at, frames, _), decoded) in captures.iter().zip(all_decoded) {
        let (point, at) = (*point, *at);
        {
            let what = format!("{} at {at}", case.name);
            assert_eq!(decoded.len(), frames.len(), "{what}: every frame is read");

            // The simulated clock.
            for (frame, decoded) in frames.iter().zip(&decoded) {
                let epoch = decoded.first("frame.time_epoch").expect("a time");
                let (seconds, fraction) = epoch.split_once('.').expect("seconds.fraction");
                let micros: u64 = seconds.parse::<u64>().expect("seconds") * 1_000_000
                    + fraction[..6].parse::<u64>().expect("microseconds");
                assert_eq!(micros, frame.time.as_micros(), "{what}: frame time");
            }

            // The conversation as the trace shows it at this point.
            let read: Vec<String> = decoded.iter().flat_map(Decoded::ftp_lines).collect();
            assert_eq!(read, trace_lines(&case.timeline, at), "{what}: FTP commands and replies");
            if at == CapturePoint::Client {
                let transcript: Vec<String> =
                    ftpsim::sim::trace::dialogue(case.timeline.events()).into_iter().map(|line| line.line).collect();
                assert_eq!(read, transcript, "{what}: the transcript");
            }

            // Wireshark's NAT flags (present only when set): on each PORT and 227 exactly where
            // the address inside differs from the packet's.
            let mut flags = Vec::new();
            for decoded in &decoded {
                let Some(inside) = decoded.ftp_lines().iter().find_map(|line| announced(line)) else { continue };
                let source: IpAddr = decoded.first("ip.src").and_then(|ip| ip.parse().ok()).expect("IPv4");
                let flag = ["ftp.active.nat", "ftp.passive.nat"].iter().any(|field| decoded.first(field) == Some("1"));
                assert_eq!(flag, inside != source, "{what}: {:?}", decoded.ftp_lines());
                flags.push(flag);
            }
            assert_eq!(flags, case.nat_flags[point], "{what}: NAT flags");

            // Data connections decode as ftp-data, unless the announcement Wireshark follows
            // named another address than the one the client used (flagged above).
            let passive_nat = decoded.iter().any(|decoded| decoded.first("ftp.passive.nat") == Some("1"));
            for (frame, decoded) in frames.iter().zip(&decoded) {
                let carries_data = decoded.first("tcp.len").is_some_and(|len| len != "0");
                if matches!(frame.channel, Channel::Data(_)) && carries_data && !passive_nat {
                    let protocols = decoded.first("frame.protocols").unwrap_or_default();
                    assert!(protocols.split(':').any(|p| p == "ftp-data"), "{what}: data frame reads as {protocols}");
                    data_frames += 1;
                }
            }

            for (number, decoded) in decoded.iter().enumerate() {
                let frame = number + 1;
                // Checksums: verified and good (1) wherever there is one.
                for field in ["ip.checksum.status", "tcp.checksum.status", "icmp.checksum.status"] {
                    for status in decoded.all(field) {
                        assert_eq!(status, "1", "{what}: frame {frame}: {field}");
                    }
                }
                // Sequence analysis finds nothing but a SYN sent again.
                if decoded.has("tcp.analysis.flags") {
                    assert_eq!(
                        decoded.first("tcp.flags.syn"),
                        Some("1"),
                        "{what}: frame {frame}: {:?}",
                        decoded.fields
                    );
                    assert!(decoded.has("tcp.analysis.retransmission"), "{what}: frame {frame}: {:?}", decoded.fields);
                    retransmissions += 1;
                }
                // No errors; the only warning is a reset, on a reset.
                let severities = decoded.all("_ws.expert.severity");
                let messages = decoded.all("_ws.expert.message");
                for (severity, message) in severities.iter().zip(messages) {
                    let severity: u64 = severity.parse().expect("a severity");
                    assert!(severity < ERROR, "{what}: frame {frame}: {message}");
                    if severity >= WARNING {
                        assert_eq!(message, "Connection reset (RST)", "{what}: frame {frame}");
                        assert_eq!(decoded.first("tcp.flags.reset"), Some("1"));
                        resets += 1;
                    }
                }
            }
        }
    }
    assert!(data_frames > 10, "data frames checked: {data_frames}");
    assert!(retransmissions > 10, "retransmitted SYNs seen: {retransmissions}");
    assert!(resets > 0, "resets seen: {resets}");
}

#[test]
fn the_capture_files_are_the_same_every_time() {
    let scenario = lesson("active-nat-helper");
    let first = Timeline::run(&scenario).expect("valid");
    let second = Timeline::run(&scenario).expect("valid");
    for at in CapturePoint::ALL {
        assert_eq!(capture::pcap(&first, at), capture::pcap(&second, at), "{at}");
    }
}

#[test]
fn ftpsim_run_writes_the_capture_asked_for() {
    let dir = std::env::temp_dir().join(format!("ftpsim-pcap-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let timeline = Timeline::run(&lesson("active-nat")).expect("valid");
    for at in CapturePoint::ALL {
        let file = dir.join(format!("{at}.pcap"));
        let output = Command::new(env!("CARGO_BIN_EXE_ftpsim"))
            .args(["run", "--preset", "active-nat", "--detail", "key", "--pcap"])
            .arg(&file)
            .args(["--capture-at", at.as_str()])
            .output()
            .expect("ftpsim runs");
        // The lesson fails (exit 1), and the capture is written all the same.
        assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(std::fs::read(&file).expect("the capture"), capture::pcap(&timeline, at), "{at}");
    }
    // The client's network unless told otherwise.
    let file = dir.join("default.pcap");
    let output = Command::new(env!("CARGO_BIN_EXE_ftpsim"))
        .args(["run", "--preset", "active-nat", "--pcap"])
        .arg(&file)
        .output()
        .expect("ftpsim runs");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(std::fs::read(&file).expect("the capture"), capture::pcap(&timeline, CapturePoint::Client));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ftpsim_run_refuses_bad_capture_flags() {
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_ftpsim")).args(["run"]).args(args).output().expect("ftpsim runs");
        (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let (code, error) = run(&["--pcap", "x.pcap", "--capture-at", "lan"]);
    assert_eq!(code, Some(2));
    assert!(error.contains("unknown capture point \"lan\"; expected one of: client, wan, server"), "{error}");
    let (code, error) = run(&["--capture-at", "wan"]);
    assert_eq!(code, Some(2));
    assert!(error.contains("--pcap <FILE>"), "{error}");
    let (code, error) = run(&["--pcap", "/nonexistent-dir/x.pcap"]);
    assert_eq!(code, Some(2));
    assert!(error.contains("cannot write the capture /nonexistent-dir/x.pcap"), "{error}");
}
