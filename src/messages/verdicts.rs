//! How a run ended, why, and which setting would have made it work.

use std::net::SocketAddr;

/// The cause of a failure in words, for the verdict panel (the JSON keeps the kebab-case id).
pub mod causes {
    pub const SERVER_REFUSED_ADDRESS: &str = "the server refused the address in PORT or EPRT";
    pub const SERVER_REFUSED_BOUNCE: &str = "the server refused to connect to a third host";
    pub const SERVER_DATA_CONNECT_TIMEOUT: &str = "the server's data connection got no answer";
    pub const CLIENT_DATA_CONNECT_TIMEOUT: &str = "the client's data connection got no answer";
    pub const ADDRESS_UNREACHABLE: &str = "the data connection went to an address nobody can reach";
    pub const DATA_CONNECTION_REFUSED: &str = "the data connection was refused";
    pub const SERVER_REFUSED_DATA_PEER: &str = "the server refused a data connection from another address";
    pub const CLIENT_ACCEPT_TIMEOUT: &str = "the server never connected back";
    pub const LOGIN_REFUSED: &str = "the login was refused";
    pub const CONTROL_CONNECT_FAILED: &str = "the control connection could not be opened";
    pub const COMMAND_REFUSED: &str = "the server refused a command";
    pub const REPLY_TIMEOUT: &str = "the server stopped answering";
    pub const CONTROL_CLOSED: &str = "the control connection broke off";
    pub const STALLED: &str = "the session never finished";
    pub const SERVER_CANNOT_BIND_PORT_20: &str = "the server could not bind port 20 and its session died";
}

/// The rule blamed when the server refuses an address: vsftpd's or pyftpdlib's setting.
pub fn rule_port_check(setting: &str) -> String {
    format!("{setting}: PORT/EPRT must name the control connection's own address")
}

pub const RULE_PORT20: &str = "port_promiscuous=YES with connect_from_port_20=YES";

pub const CANNOT_BIND_PORT_20: &str = "vsftpd accepted the address in PORT (port_promiscuous=YES), but with that setting it opens the data connection without the privilege to bind port 20 (connect_from_port_20=YES). The bind fails, vsftpd answers 500 OOPS and its session process dies.";
pub const FIX_PORT20: &str = "Turn off connect_from_port_20 on the server (or port_promiscuous), or use passive mode.";

pub fn completed(transfers: usize) -> String {
    format!(
        "The session completed: {} over {}, all commanded through one control connection.",
        super::count(transfers, "transfer", "transfers"),
        super::count(transfers, "data connection", "data connections")
    )
}

pub const STALLED_BY_LIMIT: &str = "The run was stopped by the simulator's step limit before the session ended.";
pub const STALLED_IDLE: &str =
    "The session never finished: nothing was left to happen, yet the client was still waiting.";

pub fn refused_bounce(code: u16, verb: &str, announced: &str, server: &str) -> String {
    format!(
        "The server answered {code}: the {verb} command names {announced}, a third host, not the client itself. {server} refuses this so that nobody can use it to attack other hosts (an FTP bounce)."
    )
}

pub fn refused_private(code: u16, verb: &str, announced: &str, server: &str) -> String {
    format!(
        "The server answered {code}: the {verb} command names {announced}, the client's private address behind the home router's NAT, while the control connection comes from the router's public address. {server} refuses an address that is not the control connection's."
    )
}

pub fn refused_other(code: u16, verb: &str, announced: &str) -> String {
    format!(
        "The server answered {code}: the {verb} command names {announced}, not the address the control connection comes from."
    )
}

pub const FIX_BOUNCE: &str =
    "Nothing to fix: this refusal is the protection working. A normal client announces its own address.";
pub const FIX_HELPER_BLIND_ENCRYPTED: &str = "The FTP helper cannot read an encrypted control connection, so it could not rewrite the address. Use passive mode.";
pub const FIX_HELPER_SWITCHED_ON_LATE: &str = "The FTP helper was switched on after the control connection opened, so it never read it (Linux helpers only follow connections that start after them). Restart the session with the helper on, or use passive mode.";
pub const FIX_PASSIVE_OR_HELPER_REWRITE: &str = "Use passive mode (PASV or EPSV), or turn on the FTP helper (ALG) on the home router so it rewrites the address to the public one.";
pub const FIX_PASSIVE_OR_HELPER_ADMIT: &str =
    "Use passive mode, or turn on the FTP helper (ALG) on the home router so it lets the announced data connection in.";
pub const FIX_PASSIVE_OR_HELPER_PUBLIC: &str =
    "Use passive mode, or turn on the FTP helper on the home router so PORT carries the public address.";
pub const FIX_PASSIVE: &str = "Use passive mode.";
pub const FIX_SAME_ADDRESS: &str = "Make both connections leave through the same public address.";
pub const FIX_LOGIN: &str = "Log in as anonymous, or with the demo account demo / demo.";
pub const FIX_NO_EPSV_ON_IPV6: &str = "This server does not understand EPSV, and on IPv6 PASV cannot carry the address, so there is no passive mode to fall back to. Use active mode (EPRT) from a network that lets it in, or a server that supports EPSV.";
pub const FIX_SERVER_NAT: &str = "Any one of these fixes it: use EPSV (its reply carries no address); set the server's public address for 227 (vsftpd pasv_address); turn on the FTP helper on the server's router; or use a client that reuses the control connection's address (curl since 7.74, Python's ftplib).";
pub const FIX_LET_IT_THROUGH: &str = "Let the data connection through the device that dropped it.";

pub fn fix_helper_not_watching(watched: &str, plural: bool, port: u16) -> String {
    format!(
        "The home router's FTP helper only watches port{} {watched}, but this server listens on {port}. Assign the helper to port {port} too, or use passive mode.",
        if plural { "s" } else { "" }
    )
}

pub fn fix_helper_port(port: u16) -> String {
    format!("The FTP helper does not watch port {port}. Assign it to that port, or use passive mode.")
}

pub fn fix_open_passive_range(low: u16, high: u16) -> String {
    format!("Open the passive port range {low}–{high} on the server firewall.")
}

pub fn fix_open_passive_range_or_helper(low: u16, high: u16) -> String {
    format!(
        "Open the passive port range {low}–{high} on the server firewall, or turn on the FTP helper on the server side so it lets the announced data connection in."
    )
}

pub fn foreign_data_peer(command: &str) -> String {
    format!(
        "The server refused the data connection for {command}: it came from an address other than the control connection's."
    )
}

pub fn server_gave_up(command: &str, code: u16) -> String {
    format!("The server could not open the data connection for {command} and answered {code}.")
}

/// Who gave up, how long it waited, and with which reply: "vsftpd" / "connect_timeout" / 425.
pub struct GaveUp<'a> {
    pub server: &'a str,
    pub timeout: &'a str,
    pub code: u16,
}

pub fn active_unreachable(target: &str, by: &GaveUp) -> String {
    format!(
        "The server tried to connect back to {target}, the private address the client announced; the internet cannot deliver to a private address, so {} gave up with {}.",
        by.server, by.code
    )
}

pub fn active_refused(place: &str, rule: &str, by: &GaveUp) -> String {
    format!(
        "The server's connection back to the client was refused by the {place} ({rule}), so {} answered {} at once.",
        by.server, by.code
    )
}

pub fn active_dropped(place: &str, rule: &str, reason: &str, by: &GaveUp) -> String {
    format!(
        "The server tried to open the data connection back to the client, but the {place} dropped its SYN ({rule}: {reason}). After {} {} gave up with {}.",
        by.timeout, by.server, by.code
    )
}

pub const FIX_SERVER_HELPER_BLIND_ENCRYPTED: &str = "The server's FTP helper cannot read an encrypted control connection, so it never saw the 227 or 229 reply. Open the passive port range on the server firewall instead.";

pub fn passive_unreachable(target: SocketAddr) -> String {
    format!(
        "The client tried to connect to {target}, the address inside the server's 227 reply. It is the server's private address behind its NAT router: nothing on the internet can reach it."
    )
}

pub fn passive_refused(target: SocketAddr, place: Option<&str>) -> String {
    let by = place.map(|place| format!(" by the {place}")).unwrap_or_default();
    format!("The client's data connection to {target} was refused{by}.")
}

pub fn passive_timeout(target: SocketAddr, place: Option<&str>) -> String {
    let at = place.map(|place| format!(" The {place} dropped its SYN every time.")).unwrap_or_default();
    format!("The client's data connection to {target} never got an answer.{at}")
}

pub fn accept_timeout(after: &str) -> String {
    format!("The server said 150 but its data connection never arrived within {after}.")
}

pub fn login_refused(code: u16, text: &str) -> String {
    super::sentence(format!("The server refused the login: {code} {}", text.trim_end_matches('.')))
}

/// The fix for a transfer command sent with no data connection set up (typed at the console).
pub const FIX_DATA_SET_UP_FIRST: &str = "Set up the data connection first: send PASV or EPSV (or a PORT or EPRT \
     the server accepts), then the command that transfers.";

pub fn command_refused(command: &str, code: u16, text: &str) -> String {
    super::sentence(format!("The server answered {command} with {code} {}", text.trim_end_matches('.')))
}

pub fn control_connect_failed(error: &str) -> String {
    format!("The control connection could not be opened: {error}.")
}

pub fn reply_timeout(command: &str, after: &str) -> String {
    format!("The server did not answer {command} within {after}.")
}

pub fn broke_off(failure: &str) -> String {
    super::sentence(format!("The session broke off: {failure}"))
}

/// Added to the summary of a run whose settings changed mid-session.
pub fn branched(description: &str) -> String {
    super::sentence(format!(" The settings were changed mid-session ({description})"))
}
