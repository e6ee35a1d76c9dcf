//! `ftpsim serve`: the simulator's server engine on real TCP, for real clients (FileZilla, curl,
//! Python's ftplib, lftp). One [`FtpServer`] per control connection, driven by
//! [`crate::driver::Session`]; this module accepts connections, applies the server-wide limits
//! (vsftpd's `max_clients` and `max_per_ip`) and hands each session its settings, its files and
//! its own seed.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use ftpsim::ftp::fs::FileTree;
use ftpsim::ftp::server::{Account, EpsvSupport, FtpServer, ServerProfile, ServerSettings};
use ftpsim::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use crate::driver::{Ended, Hooks, Limits, Session};
use crate::files::{self, StoreError};
use crate::transcript::{Format, Stream, Transcript};

/// `ftpsim serve`'s options.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Where to listen. Loopback unless told otherwise.
    #[arg(long, default_value = "127.0.0.1:2121")]
    pub listen: SocketAddr,
    /// Serve this directory instead of the lesson files, confined to it.
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Let accounts given with --user upload (anonymous users never may, as in vsftpd).
    #[arg(long)]
    pub writable: bool,
    /// An account that may log in, NAME:PASSWORD (repeatable).
    #[arg(long = "user", value_parser = parse_account)]
    pub users: Vec<Account>,
    /// Which server to behave like.
    #[arg(long, value_enum, default_value_t = Profile::Vsftpd)]
    pub server: Profile,
    /// The passive port range, FIRST-LAST (vsftpd pasv_min_port, pasv_max_port).
    #[arg(long, value_parser = parse_range, default_value = "50000-51000")]
    pub passive_ports: (u16, u16),
    /// The address to write into 227 replies (vsftpd pasv_address); default: the server's own.
    #[arg(long)]
    pub pasv_address: Option<Ipv4Addr>,
    /// Refuse PORT/EPRT to another host or a port below 1024 (strict), or connect anywhere (off).
    #[arg(long, value_enum, default_value_t = PortCheck::Strict)]
    pub port_check: PortCheck,
    /// Connect active data connections from port 20 (needs root; vsftpd connect_from_port_20).
    #[arg(long, value_enum, default_value_t = OnOff::Off)]
    pub port20: OnOff,
    /// Understand EPSV.
    #[arg(long, value_enum, default_value_t = OnOff::On)]
    pub epsv: OnOff,
    /// Seconds to connect an active data connection (vsftpd connect_timeout; pyftpdlib 30).
    #[arg(long)]
    pub connect_timeout: Option<u64>,
    /// Seconds to wait for a passive data connection (vsftpd accept_timeout; pyftpdlib 30).
    #[arg(long)]
    pub accept_timeout: Option<u64>,
    /// Seconds a session may wait for its next command (vsftpd idle_session_timeout).
    #[arg(long, default_value_t = 300)]
    pub idle_timeout: u64,
    /// Seconds a data connection may stall (vsftpd data_connection_timeout).
    #[arg(long, default_value_t = 300)]
    pub data_timeout: u64,
    /// Most sessions at once; 0 for no limit (vsftpd max_clients).
    #[arg(long, default_value_t = 0)]
    pub max_clients: usize,
    /// Most sessions at once from one address; 0 for no limit (vsftpd max_per_ip).
    #[arg(long, default_value_t = 0)]
    pub max_per_ip: usize,
    /// The largest upload accepted, in bytes (an upload is held in memory until it is complete);
    /// a larger one is cut off and answered 552.
    #[arg(long, default_value_t = 100_000_000)]
    pub max_upload: u64,
    /// How to print the transcript.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    Vsftpd,
    Pyftpdlib,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PortCheck {
    Strict,
    Off,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

fn parse_account(text: &str) -> Result<Account, String> {
    match text.split_once(':') {
        Some((user, password)) if !user.is_empty() && !user.contains(char::is_whitespace) => {
            Ok(Account { user: user.to_owned(), password: password.to_owned() })
        }
        _ => Err(format!("expected NAME:PASSWORD, got \"{text}\"")),
    }
}

fn parse_range(text: &str) -> Result<(u16, u16), String> {
    let parse = |part: &str| part.trim().parse::<u16>().ok().filter(|port| *port >= 1024);
    match text.split_once('-').map(|(low, high)| (parse(low), parse(high))) {
        Some((Some(low), Some(high))) if low <= high => Ok((low, high)),
        _ => Err(format!("expected two ports from 1024 to 65535 such as 50000-50100, got \"{text}\"")),
    }
}

/// The settings of every session, as the flags say.
fn settings(args: &ServeArgs) -> ServerSettings {
    let profile = match args.server {
        Profile::Vsftpd => ServerProfile::Vsftpd,
        Profile::Pyftpdlib => ServerProfile::Pyftpdlib,
    };
    let seconds = |value: Option<u64>| value.map_or_else(|| profile.default_data_timeout(), Duration::from_secs);
    ServerSettings {
        profile,
        banner: profile.banner().to_owned(),
        local_enable: !args.users.is_empty(),
        accounts: args.users.clone(),
        write_enable: args.writable,
        pasv_min_port: args.passive_ports.0,
        pasv_max_port: args.passive_ports.1,
        pasv_address: args.pasv_address,
        port_promiscuous: args.port_check == PortCheck::Off,
        connect_from_port_20: args.port20 == OnOff::On,
        connect_timeout: seconds(args.connect_timeout),
        accept_timeout: seconds(args.accept_timeout),
        epsv: if args.epsv == OnOff::On { EpsvSupport::Enabled } else { EpsvSupport::Refused500 },
        ..ServerSettings::default()
    }
}

/// Sessions open now, in all and per address.
#[derive(Default)]
struct Occupancy {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

/// Runs the server until Ctrl-C. Returns the exit status.
pub async fn serve(args: ServeArgs) -> i32 {
    let tree = match &args.root {
        Some(root) => match files::load(root, args.writable) {
            Ok(tree) => tree,
            Err(error) => {
                eprintln!("error: {error}");
                return 2;
            }
        },
        None => {
            let mut tree = FileTree::default();
            if !args.writable {
                tree.insert_dir("/upload", false);
            }
            tree
        }
    };
    let listener = match TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("error: cannot listen on {}: {error}", args.listen);
            return 2;
        }
    };
    let local = listener.local_addr().unwrap_or(args.listen);
    crate::transcript::write_line(
        Stream::Stdout,
        &match args.format {
            Format::Text => format!("ftpsim serve: listening on {local} as {}", settings(&args).profile),
            Format::Json => serde_json::json!({ "event": "listening", "address": local.to_string() }).to_string(),
        },
    );
    let tree = Arc::new(Mutex::new(tree));
    let occupancy = Arc::new(Mutex::new(Occupancy::default()));
    let base_seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.as_nanos() as u64)
        .unwrap_or(0x5eed);
    let limits = Limits {
        idle: (args.idle_timeout > 0).then(|| StdDuration::from_secs(args.idle_timeout)),
        data_stall: (args.data_timeout > 0).then(|| StdDuration::from_secs(args.data_timeout)),
        max_upload: args.max_upload,
    };
    let settings = settings(&args);
    let mut session_number = 0u64;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = tokio::signal::ctrl_c() => return 0,
        };
        let Ok((mut stream, peer)) = accepted else { continue };
        session_number += 1;
        let transcript = Transcript::new(args.format, Stream::Stdout, session_number, Some(peer));
        // vsftpd's max_clients and max_per_ip: say why, and close.
        let refusal = {
            let mut open = occupancy.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let from_peer = open.per_address.get(&peer.ip()).copied().unwrap_or(0);
            if args.max_clients > 0 && open.total >= args.max_clients {
                Some("421 There are too many connected users, please try later.\r\n")
            } else if args.max_per_ip > 0 && from_peer >= args.max_per_ip {
                Some("421 There are too many connections from your internet address.\r\n")
            } else {
                open.total += 1;
                *open.per_address.entry(peer.ip()).or_insert(0) += 1;
                None
            }
        };
        if let Some(reply) = refusal {
            transcript.event("refused: too many sessions");
            tokio::spawn(async move {
                let _ = tokio::time::timeout(StdDuration::from_secs(5), stream.write_all(reply.as_bytes())).await;
            });
            continue;
        }
        let session_settings =
            ServerSettings { seed: base_seed ^ session_number.wrapping_mul(0x9e37_79b9_7f4a_7c15), ..settings.clone() };
        let files = tree.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        let engine = FtpServer::new(session_settings, files);
        let shared_tree = Arc::clone(&tree);
        let root = args.root.clone();
        let occupancy = Arc::clone(&occupancy);
        tokio::spawn(async move {
            transcript.event("connected");
            let format = transcript.format;
            let mut trace = transcript;
            let notes = Transcript::new(format, Stream::Stdout, session_number, Some(peer));
            let hooks = Hooks {
                trace: Box::new(move |event| trace.trace(event)),
                stored: Box::new(move |path, contents| {
                    let (root, tree, path) = (root.clone(), Arc::clone(&shared_tree), path.to_owned());
                    Box::pin(async move {
                        if let Some(root) = root {
                            // Off the runtime's workers: a 100 MB write must not stall other sessions.
                            let (at, bytes) = (path.clone(), Arc::clone(&contents));
                            match tokio::task::spawn_blocking(move || files::store(&root, &at, &bytes)).await {
                                Ok(Ok(())) => {}
                                Ok(Err(error)) => return Err(error),
                                Err(_) => {
                                    return Err(StoreError::Write(std::io::Error::other(
                                        "the disk write was cut short",
                                    )));
                                }
                            }
                        }
                        // New sessions see the upload too (only once it is on disk).
                        tree.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert_file(&path, contents);
                        Ok(())
                    })
                }),
                note: Box::new(move |what| notes.event(what)),
            };
            let mut session = Session::new(engine, limits, hooks);
            session.attach_control(stream);
            let (_, ended) = session.run().await;
            let closing = Transcript::new(format, Stream::Stdout, session_number, Some(peer));
            closing.event(match ended {
                Ended::Normally => "closed",
                Ended::Idle => "closed (idle timeout)",
                Ended::DataStalled => "closed (data connection stalled)",
            });
            let mut open = occupancy.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            open.total = open.total.saturating_sub(1);
            if let Some(count) = open.per_address.get_mut(&peer.ip()) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    open.per_address.remove(&peer.ip());
                }
            }
        });
    }
}
