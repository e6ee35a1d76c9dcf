//! The engines on real loopback sockets, with no program but `ftpsim` itself: `ftpsim serve`
//! answering `ftpsim get/ls/put` in every mode and both client profiles. The suites against
//! curl, ftplib, lftp, pyftpdlib and vsftpd are in tests/sockets/ (run by scripts/test.sh).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `ftpsim serve`, killed when dropped.
struct Server {
    child: Child,
    address: SocketAddr,
    root: PathBuf,
}

impl Server {
    fn start(name: &str, extra: &[&str]) -> Server {
        let root = std::env::temp_dir().join(format!("ftpsim-sockets-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("pub")).expect("root");
        std::fs::create_dir_all(root.join("upload")).expect("upload dir");
        let binary: Vec<u8> = (0..300_000u32).map(|n| (n % 251) as u8).collect();
        std::fs::write(root.join("pub/data.bin"), &binary).expect("file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_ftpsim"))
            .args(["serve", "--listen", "127.0.0.1:0", "--root"])
            .arg(&root)
            .args(["--writable", "--user", "demo:demo", "--passive-ports", "41000-41999"])
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
