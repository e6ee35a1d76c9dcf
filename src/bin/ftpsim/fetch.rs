//! `ftpsim get`, `ftpsim ls` and `ftpsim put`: the simulator's client engine on real TCP,
//! against any FTP server. The engine is the one the page animates, with its profile (curl or
//! ftplib) and its data-connection mode; the transcript goes to stderr, a listing to stdout.
//!
//! Exit status: 0 when the transfer completed, 1 when it failed (the reply or the connection
//! problem is printed), 2 for bad arguments.

use std::net::SocketAddr;
use std::path::PathBuf;

use ftpsim::ftp::client::{ClientProfile, ClientSettings, DataMode, FtpClient, Operation, Outcome};
use ftpsim::sim::scenario::ScenarioError;
use ftpsim::time::Duration;

use crate::driver::{Hooks, Limits, Session};
use crate::transcript::{Format, Stream, Transcript};

/// An `ftp://[user[:password]@]host[:port]/path` URL, taken apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FtpUrl {
    pub user: Option<String>,
    pub password: Option<String>,
    pub host: String,
    pub port: u16,
    /// The path after the host, without its leading `/`, percent-decoded.
    pub path: String,
}

/// Why a URL was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("expected a URL starting with ftp://, got \"{0}\"")]
    NotFtp(String),
    #[error("no host in \"{0}\"")]
    NoHost(String),
    #[error("bad port in \"{0}\": expected a number from 1 to 65535")]
    BadPort(String),
    #[error("bad percent-encoding in \"{0}\"")]
    BadEncoding(String),
    #[error("a line break or NUL in \"{0}\" cannot go into an FTP command")]
    ControlCharacter(String),
}

impl FtpUrl {
    pub fn parse(text: &str) -> Result<FtpUrl, UrlError> {
        let rest = text
            .strip_prefix("ftp://")
            .or_else(|| text.strip_prefix("FTP://"))
            .ok_or_else(|| UrlError::NotFtp(text.to_owned()))?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((credentials, host_port)) => (Some(credentials), host_port),
            None => (None, authority),
        };
        let (user, password) = match credentials {
            Some(credentials) => match credentials.split_once(':') {
                Some((user, password)) => (Some(decode(user, text)?), Some(decode(password, text)?)),
                None => (Some(decode(credentials, text)?), None),
            },
            None => (None, None),
        };
        let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
            // [2001:db8::1]:21
            let (host, after) = bracketed.split_once(']').ok_or_else(|| UrlError::NoHost(text.to_owned()))?;
            (host.to_owned(), after.strip_prefix(':'))
        } else {
            match host_port.rsplit_once(':') {
                Some((host, port)) => (host.to_owned(), Some(port)),
                None => (host_port.to_owned(), None),
            }
        };
        if host.is_empty() {
            return Err(UrlError::NoHost(text.to_owned()));
        }
        let port = match port {
            Some(port) => {
                port.parse::<u16>().ok().filter(|port| *port != 0).ok_or_else(|| UrlError::BadPort(text.to_owned()))?
            }
            None => 21,
        };
        Ok(FtpUrl { user, password, host, port, path: decode(path, text)? })
    }
}

/// Percent-decoding; a CR, LF or NUL would end the command early, so none may come out.
fn decode(part: &str, url: &str) -> Result<String, UrlError> {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = part.get(index + 1..index + 3).ok_or_else(|| UrlError::BadEncoding(url.to_owned()))?;
            let value = u8::from_str_radix(hex, 16).map_err(|_| UrlError::BadEncoding(url.to_owned()))?;
            out.push(value);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    if out.iter().any(|byte| matches!(byte, b'\r' | b'\n' | 0)) {
        return Err(UrlError::ControlCharacter(url.to_owned()));
    }
    String::from_utf8(out).map_err(|_| UrlError::BadEncoding(url.to_owned()))
}

/// What to do.
pub enum Job {
    Get { output: Option<PathBuf> },
    List,
    Put { file: PathBuf },
}

/// The options `get`, `ls` and `put` share.
#[derive(clap::Args, Debug)]
pub struct ClientArgs {
    /// How to set up the data connection.
    #[arg(long, value_enum, default_value_t = Mode::Auto)]
    pub mode: Mode,
    /// Which client to behave like.
    #[arg(long, value_enum, default_value_t = Profile::Curl)]
    pub client: Profile,
    /// Seconds to give a connect (curl --connect-timeout, ftplib timeout); none by default.
    #[arg(long)]
    pub timeout: Option<u64>,
    /// Connect to the address inside a 227 reply instead of the control connection's.
    #[arg(long)]
    pub trust_pasv_address: bool,
    /// How to print the transcript (on stderr).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    Port,
    Eprt,
    Pasv,
    Epsv,
    Auto,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    Curl,
    Ftplib,
}

/// Runs one client session. Returns the exit status.
pub async fn fetch(url: &str, job: Job, args: &ClientArgs) -> i32 {
    let url = match FtpUrl::parse(url) {
        Ok(url) => url,
        Err(error) => {
            eprintln!("error: {error}");
            return 2;
        }
    };
    let (operation, local_file) = match &job {
        Job::Get { output } => {
            if url.path.is_empty() || url.path.ends_with('/') {
                eprintln!("error: `get` needs a file in the URL, such as ftp://host/pub/notes.txt");
                return 2;
            }
            let name = url.path.rsplit('/').next().unwrap_or("download").to_owned();
            (Operation::Retr { path: url.path.clone() }, Some(output.clone().unwrap_or_else(|| PathBuf::from(name))))
        }
        Job::List => {
            let path = url.path.trim_end_matches('/').to_owned();
            (Operation::List { path: (!path.is_empty()).then_some(path) }, None)
        }
        Job::Put { file } => {
            let contents = match std::fs::read(file) {
                Ok(contents) => contents,
                Err(error) => {
                    eprintln!("error: cannot read {}: {error}", file.display());
                    return 2;
                }
            };
            let Some(name) = file.file_name().and_then(|name| name.to_str()) else {
                eprintln!("error: {} has no file name to upload as", file.display());
                return 2;
            };
            // A URL ending in / names the directory to upload into.
            let path = if url.path.is_empty() || url.path.ends_with('/') {
                format!("{}{name}", url.path)
            } else {
                url.path.clone()
            };
            (Operation::Stor { path, contents }, None)
        }
    };
    let server = match tokio::net::lookup_host((url.host.as_str(), url.port)).await.map(|mut found| found.next()) {
        Ok(Some(address)) => address,
        _ => {
            eprintln!("error: cannot resolve {}", url.host);
            return 2;
        }
    };
    let profile = match args.client {
        Profile::Curl => ClientProfile::Curl,
        Profile::Ftplib => ClientProfile::Ftplib,
    };
    let mode = match args.mode {
        Mode::Port => DataMode::Port,
        Mode::Eprt => DataMode::Eprt,
        Mode::Pasv => DataMode::Pasv,
        Mode::Epsv => DataMode::Epsv,
        Mode::Auto => DataMode::Auto,
    };
    // The simulator's rule and words: ftplib speaks EPRT and EPSV only on IPv6.
    if server.is_ipv4() && !profile.has_mode_on_ipv4(mode) {
        eprintln!("error: {}", ScenarioError::ModeNotInClient { client: profile, mode });
        return 2;
    }
    let timeout = args.timeout.map(Duration::from_secs);
    let base = match profile {
        ClientProfile::Curl => ClientSettings { connect_timeout: timeout, ..ClientSettings::default() },
        ClientProfile::Ftplib => ClientSettings::ftplib(timeout),
    };
    let settings = ClientSettings {
        server,
        user: url.user.clone().unwrap_or_else(|| "anonymous".to_owned()),
        password: url.password.clone().unwrap_or_else(|| profile.anonymous_password().to_owned()),
        mode,
        operations: vec![operation],
        trust_pasv_address: args.trust_pasv_address,
        ..base
    };
    run_client(settings, server, local_file, &job, args.format).await
}

async fn run_client(
    settings: ClientSettings,
    server: SocketAddr,
    local_file: Option<PathBuf>,
    job: &Job,
    format: Format,
) -> i32 {
    let mut transcript = Transcript::new(format, Stream::Stderr, 1, Some(server));
    let notes = Transcript::new(format, Stream::Stderr, 1, Some(server));
    let hooks = Hooks {
        trace: Box::new(move |event| transcript.trace(event)),
        stored: Hooks::keep_nothing(),
        note: Box::new(move |what| notes.event(what)),
    };
    let (client, _) = Session::new(FtpClient::new(settings), Limits::client(), hooks).run().await;
    match client.outcome() {
        Some(Outcome::Completed) => {
            let received: &[u8] = client.results().first().map(|result| result.bytes.as_slice()).unwrap_or_default();
            match (job, local_file) {
                (Job::Get { .. }, Some(path)) => {
                    if let Err(error) = std::fs::write(&path, received) {
                        eprintln!("error: cannot write {}: {error}", path.display());
                        return 1;
                    }
                    eprintln!("saved {} bytes to {}", received.len(), path.display());
                }
                (Job::List, _) => {
                    crate::transcript::write_line(Stream::Stdout, String::from_utf8_lossy(received).trim_end())
                }
                _ => {}
            }
            0
        }
        Some(Outcome::Failed { failure }) => {
            eprintln!("failed: {failure}");
            1
        }
        None => {
            eprintln!("failed: the session ended without an outcome");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_taken_apart() {
        let url = FtpUrl::parse("ftp://demo:s%40cret@127.0.0.1:2121/pub/notes%20v2.txt").expect("valid");
        assert_eq!(url.user.as_deref(), Some("demo"));
        assert_eq!(url.password.as_deref(), Some("s@cret"));
        assert_eq!((url.host.as_str(), url.port), ("127.0.0.1", 2121));
        assert_eq!(url.path, "pub/notes v2.txt");
        let v6 = FtpUrl::parse("ftp://[::1]/").expect("valid");
        assert_eq!((v6.host.as_str(), v6.port, v6.path.as_str()), ("::1", 21, ""));
        assert_eq!(FtpUrl::parse("ftp://host").map(|url| url.path), Ok(String::new()));
    }

    #[test]
    fn bad_urls_say_why() {
        assert_eq!(FtpUrl::parse("http://host/x"), Err(UrlError::NotFtp("http://host/x".into())));
        assert!(matches!(FtpUrl::parse("ftp:///x"), Err(UrlError::NoHost(_))));
        assert!(matches!(FtpUrl::parse("ftp://host:99999/x"), Err(UrlError::BadPort(_))));
        assert!(matches!(FtpUrl::parse("ftp://host/%zz"), Err(UrlError::BadEncoding(_))));
        assert!(matches!(FtpUrl::parse("ftp://host/a%0d%0aDELE%20b"), Err(UrlError::ControlCharacter(_))));
    }
}
