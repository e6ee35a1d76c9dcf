//! The engines on real loopback sockets, with no program but `ftpsim` itself: `ftpsim serve`
//! answering `ftpsim get/ls/put` in every mode and both client profiles, and raw sessions for
//! what a well-behaved client never does (resetting or not reading a download, uploading too
//! much or onto a link, replacing a passive port under load). The suites against curl, ftplib,
//! lftp, pyftpdlib and vsftpd are in tests/sockets/ (run by scripts/test.sh); the replies
//! asserted here were measured there against vsftpd 3.0.3 and pyftpdlib.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A running `ftpsim serve`, killed when dropped.
struct Server {
    child: Child,
    address: SocketAddr,
    root: PathBuf,
}

impl Server {
    fn start(name: &str, extra: &[&str]) -> Server {
        Server::start_with(name, "41000-41999", extra, |_| {})
    }

    /// A server on its own passive ports, its root prepared by `setup` before it starts.
    fn start_with(name: &str, passive: &str, extra: &[&str], setup: impl FnOnce(&Path)) -> Server {
        let root = std::env::temp_dir().join(format!("ftpsim-sockets-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("pub")).expect("root");
        std::fs::create_dir_all(root.join("upload")).expect("upload dir");
        let binary: Vec<u8> = (0..300_000u32).map(|n| (n % 251) as u8).collect();
        std::fs::write(root.join("pub/data.bin"), &binary).expect("file");
        setup(&root);
        let mut child = Command::new(env!("CARGO_BIN_EXE_ftpsim"))
            .args(["serve", "--listen", "127.0.0.1:0", "--root"])
            .arg(&root)
            .args(["--writable", "--user", "demo:demo", "--passive-ports", passive])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("ftpsim serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let address = first
            .rsplit(" on ")
            .next()
            .and_then(|rest| rest.split(' ').next())
            .and_then(|text| text.parse().ok())
            .unwrap_or_else(|| panic!("no address in {first:?}"));
        // Keep draining the transcript so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, address, root }
    }

    fn url(&self, path: &str) -> String {
        format!("ftp://{}/{path}", self.address)
    }

    fn account_url(&self, path: &str) -> String {
        format!("ftp://demo:demo@{}/{path}", self.address)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn ftpsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ftpsim")).args(args).output().expect("ftpsim runs")
}

fn profiles_and_modes() -> Vec<(&'static str, &'static str)> {
    let mut all = Vec::new();
    for mode in ["port", "eprt", "pasv", "epsv", "auto"] {
        all.push(("curl", mode));
        if matches!(mode, "port" | "pasv" | "auto") {
            all.push(("ftplib", mode));
        }
    }
    all
}

#[test]
fn get_ls_and_put_work_against_serve_in_every_mode() {
    let server = Server::start("modes", &[]);
    let expected = std::fs::read(server.root.join("pub/data.bin")).expect("file");
    for (client, mode) in profiles_and_modes() {
        let out = std::env::temp_dir().join(format!("ftpsim-get-{client}-{mode}-{}", std::process::id()));
        let get = ftpsim(&[
            "get",
            &server.url("pub/data.bin"),
            "-o",
            out.to_str().unwrap_or_default(),
            "--mode",
            mode,
            "--client",
            client,
        ]);
        assert_eq!(get.status.code(), Some(0), "{client} {mode}: {}", String::from_utf8_lossy(&get.stderr));
        assert_eq!(std::fs::read(&out).expect("downloaded"), expected, "{client} {mode}");
        let _ = std::fs::remove_file(&out);

        let ls = ftpsim(&["ls", &server.url("pub/"), "--mode", mode, "--client", client]);
        assert_eq!(ls.status.code(), Some(0), "{client} {mode}");
        assert!(String::from_utf8_lossy(&ls.stdout).contains("data.bin"), "{client} {mode}");

        let upload = std::env::temp_dir().join(format!("up-{client}-{mode}.txt"));
        std::fs::write(&upload, format!("uploaded by {client} in {mode}\n")).expect("local file");
        let put = ftpsim(&[
            "put",
            upload.to_str().unwrap_or_default(),
            &server.account_url("upload/"),
            "--mode",
            mode,
            "--client",
            client,
        ]);
        assert_eq!(put.status.code(), Some(0), "{client} {mode}: {}", String::from_utf8_lossy(&put.stderr));
        let stored =
            std::fs::read_to_string(server.root.join(format!("upload/up-{client}-{mode}.txt"))).expect("stored");
        assert_eq!(stored, format!("uploaded by {client} in {mode}\n"));
        let _ = std::fs::remove_file(&upload);
    }
}

#[test]
fn failures_exit_1_with_the_reply_and_bad_arguments_exit_2() {
    let server = Server::start("failures", &[]);
    let missing = ftpsim(&["get", &server.url("pub/nothing.txt"), "-o", "/dev/null"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("550"), "{}", String::from_utf8_lossy(&missing.stderr));
    let upload = std::env::temp_dir().join(format!("anon-{}.txt", std::process::id()));
    std::fs::write(&upload, "x").expect("local file");
    let anonymous = ftpsim(&["put", upload.to_str().unwrap_or_default(), &server.url("upload/")]);
    assert_eq!(anonymous.status.code(), Some(1), "anonymous users may not upload");
    assert!(!server.root.join(format!("upload/anon-{}.txt", std::process::id())).exists());
    let _ = std::fs::remove_file(&upload);
    for bad in
        [vec!["get", "http://example.org/x"], vec!["get", "ftp://host/a%0d%0aDELE%20b"], vec!["ls", "ftp://:99999/"]]
    {
        assert_eq!(ftpsim(&bad).status.code(), Some(2), "{bad:?}");
    }
}

/// Reads replies until one that starts with `code ` (a final line), or fails after a while.
fn expect_reply(reader: &mut impl BufRead, code: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        let read = reader.read_line(&mut line).expect("a reply");
        assert!(read > 0, "the server closed before {code}");
        if line.starts_with(&format!("{code} ")) {
            return line;
        }
        assert!(line.len() > 3 && line.as_bytes()[3] == b'-', "expected {code}, got {line:?}");
    }
}

#[test]
fn a_raw_session_gets_vsftpds_answers_and_nothing_escapes_the_root() {
    let server = Server::start("raw", &[]);
    let stream = TcpStream::connect(server.address).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut writer = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    expect_reply(&mut reader, "220");
    writer.write_all(b"LIST\r\n").expect("write");
    expect_reply(&mut reader, "530");
    writer.write_all(&[0xff, 0xfe, b'\r', b'\n']).expect("write");
    expect_reply(&mut reader, "530");
    writer.write_all(b"USER anonymous\r\nPASS x@y\r\n").expect("write");
    expect_reply(&mut reader, "331");
    expect_reply(&mut reader, "230");
    // A line over vsftpd's 4096 bytes: 500, and the session ends, as in vsftpd.
    let long = format!("NOOP {}\r\n", "x".repeat(10_000));
    writer.write_all(long.as_bytes()).expect("write");
    expect_reply(&mut reader, "500");
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
    assert_eq!(rest, b"", "nothing after 500 Input line too long.");
    let stream = TcpStream::connect(server.address).expect("connects again");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut writer = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    expect_reply(&mut reader, "220");
    writer.write_all(b"USER anonymous\r\nPASS x@y\r\n").expect("write");
    expect_reply(&mut reader, "331");
    expect_reply(&mut reader, "230");
    writer.write_all(b"PORT 192,0,2,9,200,10\r\n").expect("write");
    assert!(expect_reply(&mut reader, "500").contains("Illegal PORT"));
    writer.write_all(b"CWD ../../../..\r\nPWD\r\n").expect("write");
    expect_reply(&mut reader, "250");
    assert!(expect_reply(&mut reader, "257").contains("\"/\""), "still at the root");
    writer.write_all(b"SIZE ../../etc/passwd\r\n").expect("write");
    expect_reply(&mut reader, "550");
    writer.write_all(b"QUIT\r\n").expect("write");
    expect_reply(&mut reader, "221");
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
    // And the server still serves.
    let ls = ftpsim(&["ls", &server.url("pub/")]);
    assert_eq!(ls.status.code(), Some(0));
    assert!(Path::new(&server.root).exists());
}

/// A raw control connection: lines out, whole replies in.
struct Ftp {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Ftp {
    fn connect(server: &Server) -> Ftp {
        let stream = TcpStream::connect(server.address).expect("connects");
        stream.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
        let writer = stream.try_clone().expect("clone");
        let mut ftp = Ftp { reader: BufReader::new(stream), writer };
        assert!(ftp.reply().starts_with("220 "));
        ftp
    }

    fn login(server: &Server, user: &str, password: &str) -> Ftp {
        let mut ftp = Ftp::connect(server);
        assert!(ftp.ask(&format!("USER {user}")).starts_with("331 "));
        assert!(ftp.ask(&format!("PASS {password}")).starts_with("230 "));
        ftp
    }

    fn send(&mut self, line: &str) {
        self.writer.write_all(format!("{line}\r\n").as_bytes()).expect("sends");
    }

    /// The next reply, as its last line without the line end.
    fn reply(&mut self) -> String {
        let mut line = String::new();
        loop {
            line.clear();
            let read = self.reader.read_line(&mut line).expect("a reply");
            assert!(read > 0, "the server closed the connection");
            if line.len() > 3 && line.as_bytes()[3] == b' ' {
                return line.trim_end().to_owned();
            }
        }
    }

    fn ask(&mut self, line: &str) -> String {
        self.send(line);
        self.reply()
    }

    /// PASV, and the address in its reply.
    fn pasv(&mut self) -> SocketAddr {
        let reply = self.ask("PASV");
        let numbers: Vec<u16> = reply
            .split(['(', ')'])
            .nth(1)
            .unwrap_or_default()
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect();
        assert_eq!(numbers.len(), 6, "not a 227 reply: {reply}");
        SocketAddr::from(([127, 0, 0, 1], numbers[4] * 256 + numbers[5]))
    }

    /// True when the server closes the control connection with nothing more to say.
    fn closed(&mut self) -> bool {
        let mut rest = Vec::new();
        let ended = match self.reader.read_to_end(&mut rest) {
            Ok(_) => true,
            Err(error) => matches!(error.kind(), std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe),
        };
        ended && rest.is_empty()
    }
}

/// A data connection of a client that can take little (a 4 KB receive buffer), and with
/// `reset` one whose close is a reset (SO_LINGER 0), as a client that vanishes.
fn narrow_data_connection(to: SocketAddr, reset: bool) -> TcpStream {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_io().build().expect("runtime");
    let stream = runtime
        .block_on(async {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.set_recv_buffer_size(4096)?;
            if reset {
                socket.set_zero_linger()?;
            }
            socket.connect(to).await?.into_std()
        })
        .expect("connects");
    stream.set_nonblocking(false).expect("blocking");
    stream.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    stream
}

fn write_big_files(root: &Path) {
    let big: Vec<u8> = (0..16u32 << 20).map(|n| (n.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(root.join("pub/big.bin"), big).expect("big file");
    std::fs::write(root.join("pub/medium.bin"), vec![7u8; 64 << 10]).expect("medium file");
}

#[test]
fn ftplib_has_no_eprt_or_epsv_on_ipv4_as_in_the_simulator() {
    for (command, mode) in [("get", "eprt"), ("get", "epsv"), ("ls", "eprt"), ("ls", "epsv")] {
        let out = ftpsim(&[command, "ftp://127.0.0.1:9/pub/x.txt", "--client", "ftplib", "--mode", mode]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command} --mode {mode}: {stderr}");
        assert!(
            stderr.contains(&format!("ftplib has no {mode} mode on IPv4"))
                && stderr.contains("choose port, pasv or auto"),
            "{stderr}"
        );
    }
}

#[test]
fn a_download_the_client_resets_is_answered_426_and_the_session_goes_on() {
    for (profile, want) in [("vsftpd", "426 Failure writing network stream."), ("pyftpdlib", "426 Transfer aborted; ")]
    {
        let passive = if profile == "vsftpd" { "42000-42099" } else { "42100-42199" };
        let server = Server::start_with(&format!("reset-{profile}"), passive, &["--server", profile], write_big_files);
        let mut ftp = Ftp::login(&server, "anonymous", "guest@example.com");
        ftp.ask("TYPE I");
        let mut data = narrow_data_connection(ftp.pasv(), true);
        assert!(ftp.ask("RETR pub/big.bin").starts_with("1"));
        let mut some = [0u8; 16];
        data.read_exact(&mut some).expect("some data");
        drop(data); // a reset
        let reply = ftp.reply();
        assert!(reply.starts_with(want), "{profile}: {reply}");
        if profile == "pyftpdlib" {
            assert!(reply.ends_with(" bytes transmitted."), "{reply}");
        }
        assert!(ftp.ask("NOOP").starts_with("200 "));
    }
}

#[test]
fn a_download_never_read_ends_in_421_or_in_226_after_the_lingering_close() {
    let server = Server::start_with("unread", "42200-42299", &["--data-timeout", "1"], write_big_files);
    // 16 MB: the writes stall; no progress for the data timeout ends the session, as in vsftpd.
    let mut ftp = Ftp::login(&server, "anonymous", "guest@example.com");
    ftp.ask("TYPE I");
    let data = narrow_data_connection(ftp.pasv(), false);
    assert!(ftp.ask("RETR pub/big.bin").starts_with("150 "));
    let started = Instant::now();
    assert_eq!(ftp.reply(), "421 Data timeout. Reconnect. Sorry.");
    assert!(started.elapsed() >= Duration::from_millis(900), "421 after {:?}", started.elapsed());
    assert!(ftp.closed(), "the session goes on after 421 Data timeout");
    drop(data);
    // 64 KB: the writes fit in the buffers; the close lingers for the client's acknowledgements
    // until the data timeout, then 226 as vsftpd says it, and the session goes on.
    let mut ftp = Ftp::login(&server, "anonymous", "guest@example.com");
    ftp.ask("TYPE I");
    let data = narrow_data_connection(ftp.pasv(), false);
    let started = Instant::now();
    assert!(ftp.ask("RETR pub/medium.bin").starts_with("150 "));
    assert_eq!(ftp.reply(), "226 Transfer complete.");
    assert!(started.elapsed() >= Duration::from_millis(900), "226 after {:?}", started.elapsed());
    assert_eq!(ftp.ask("NOOP"), "200 NOOP ok.");
    drop(data);
    // Read, the same file is answered at once.
    let mut data = narrow_data_connection(ftp.pasv(), false);
    let started = Instant::now();
    assert!(ftp.ask("RETR pub/medium.bin").starts_with("150 "));
    let mut body = Vec::new();
    data.read_to_end(&mut body).expect("the file");
    assert_eq!(body.len(), 64 << 10);
    assert_eq!(ftp.reply(), "226 Transfer complete.");
    assert!(started.elapsed() < Duration::from_millis(800), "226 after {:?}", started.elapsed());
}

#[test]
fn the_idle_clock_starts_again_after_a_long_transfer() {
    let server = Server::start_with("idle", "42300-42399", &["--idle-timeout", "1"], write_big_files);
    let mut ftp = Ftp::login(&server, "anonymous", "guest@example.com");
    ftp.ask("TYPE I");
    let mut data = narrow_data_connection(ftp.pasv(), false);
    assert!(ftp.ask("RETR pub/big.bin").starts_with("150 "));
    // The transfer takes longer than the idle timeout: the client waits before reading.
    std::thread::sleep(Duration::from_millis(2500));
    let mut body = Vec::new();
    data.read_to_end(&mut body).expect("the file");
    assert_eq!(body.len(), 16 << 20);
    assert_eq!(ftp.reply(), "226 Transfer complete.");
    assert_eq!(ftp.ask("NOOP"), "200 NOOP ok.", "the idle limit counts from the last reply");
}

#[test]
fn an_upload_over_the_cap_is_cut_and_answered_552_with_the_limit() {
    let server = Server::start_with("cap", "42400-42499", &["--max-upload", "100000"], |_| {});
    let mut ftp = Ftp::login(&server, "demo", "demo");
    ftp.ask("TYPE I");
    let mut data = TcpStream::connect(ftp.pasv()).expect("data");
    assert_eq!(ftp.ask("STOR upload/too-big.bin"), "150 Ok to send data.");
    // The server cuts the connection once past the cap: the rest may not go out.
    let _ = data.write_all(&vec![1u8; 1 << 20]);
    drop(data);
    let reply = ftp.reply();
    assert!(reply.starts_with("552 ") && reply.contains("100000 bytes"), "{reply}");
    assert_eq!(ftp.ask("NOOP"), "200 NOOP ok.");
    assert!(!server.root.join("upload/too-big.bin").exists());
    // Under the cap, fine.
    let mut data = TcpStream::connect(ftp.pasv()).expect("data");
    assert_eq!(ftp.ask("STOR upload/small.bin"), "150 Ok to send data.");
    data.write_all(&[2u8; 100_000]).expect("sent");
    drop(data);
    assert_eq!(ftp.reply(), "226 Transfer complete.");
    assert_eq!(std::fs::read(server.root.join("upload/small.bin")).expect("stored").len(), 100_000);
}

#[test]
fn uploads_never_go_through_a_link_on_disk() {
    let outside = std::env::temp_dir().join(format!("ftpsim-sockets-outside-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&outside);
    std::fs::create_dir_all(&outside).expect("outside");
    std::fs::write(outside.join("secret.txt"), "keep").expect("secret");
    let target = outside.clone();
    let server = Server::start_with("links", "42500-42599", &[], move |root| {
        std::os::unix::fs::symlink(target.join("secret.txt"), root.join("upload/link.txt")).expect("link");
        std::fs::create_dir_all(root.join("later")).expect("dir");
    });
    let local = std::env::temp_dir().join(format!("ftpsim-sockets-local-{}.txt", std::process::id()));
    std::fs::write(&local, "overwritten?").expect("local file");
    let local = local.to_str().unwrap_or_default().to_owned();

    // A name that is a link when the server starts: refused before any data, as vsftpd does.
    let put = ftpsim(&["put", &local, &server.account_url("upload/link.txt")]);
    let stderr = String::from_utf8_lossy(&put.stderr);
    assert_eq!(put.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("553"), "{stderr}");
    assert!(!stderr.contains("150"), "refused before the data connection: {stderr}");
    assert_eq!(std::fs::read_to_string(outside.join("secret.txt")).expect("secret"), "keep");

    // A directory that became a link after the server read the tree: the disk write is refused
    // (553 after the data), nothing lands outside, and later sessions are not offered the file.
    std::fs::remove_dir(server.root.join("later")).expect("rmdir");
    std::os::unix::fs::symlink(&outside, server.root.join("later")).expect("link");
    let put = ftpsim(&["put", &local, &server.account_url("later/escape.txt")]);
    let stderr = String::from_utf8_lossy(&put.stderr);
    assert_eq!(put.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("553 Could not create file."), "{stderr}");
    assert!(!outside.join("escape.txt").exists(), "written through the link");
    let ls = ftpsim(&["ls", &server.url("later/")]);
    assert!(!String::from_utf8_lossy(&ls.stdout).contains("escape.txt"), "offered although not stored");
    let _ = std::fs::remove_file(&local);
    let _ = std::fs::remove_dir_all(&outside);
}

#[test]
fn a_replaced_passive_port_refuses_at_once_even_under_load() {
    let server = Server::start_with("pasv", "42600-42799", &[], |_| {});
    let stop = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|_| {
            let (stop, address) = (Arc::clone(&stop), server.address);
            std::thread::spawn(move || {
                let Ok(stream) = TcpStream::connect(address) else { return };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let Ok(mut writer) = stream.try_clone() else { return };
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                let _ = writer.write_all(b"USER anonymous\r\nPASS x@y\r\n");
                while !stop.load(Ordering::Relaxed) {
                    if writer.write_all("NOOP\r\n".repeat(200).as_bytes()).is_err() {
                        return;
                    }
                    for _ in 0..200 {
                        line.clear();
                        if !matches!(reader.read_line(&mut line), Ok(n) if n > 0) {
                            return;
                        }
                    }
                }
            })
        })
        .collect();
    let mut ftp = Ftp::login(&server, "anonymous", "guest@example.com");
    let mut refused = 0;
    for _ in 0..100 {
        let (first, second) = (ftp.pasv(), ftp.pasv());
        if first != second {
            assert!(TcpStream::connect(first).is_err(), "the replaced port {first} still took a connection");
            refused += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    for thread in load {
        let _ = thread.join();
    }
    assert!(refused >= 90, "only {refused} PASV pairs with two ports");
}
