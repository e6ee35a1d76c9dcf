//! The network settings' labels, help texts and choices, as the settings form, the pending
//! changes panel and the branch descriptions show them.

use crate::ftp::client::DataMode;

pub const MODE_PORT: &str = "Active (PORT)";
pub const MODE_EPRT: &str = "Extended active (EPRT)";
pub const MODE_PASV: &str = "Passive (PASV)";
pub const MODE_EPSV: &str = "Extended passive (EPSV)";
pub const MODE_AUTO: &str = "Auto (EPSV, then PASV)";

/// A mode as students see it.
pub fn mode(mode: DataMode) -> &'static str {
    match mode {
        DataMode::Port => MODE_PORT,
        DataMode::Eprt => MODE_EPRT,
        DataMode::Pasv => MODE_PASV,
        DataMode::Epsv => MODE_EPSV,
        DataMode::Auto => MODE_AUTO,
    }
}

pub mod groups {
    pub const SESSION: &str = "Session";
    pub const HOME_ROUTER: &str = "Home router";
    pub const SERVER_SIDE: &str = "Server side";
    pub const CLIENT_AND_NETWORK: &str = "Client and network";
}

/// Labels (also the controls' accessible names) and the words a change description uses.
pub mod labels {
    pub const CLIENT: &str = "Client program";
    pub const SERVER: &str = "Server program";
    pub const USER: &str = "User";
    pub const MODE: &str = "Mode";
    pub const OPERATION: &str = "Operation";
    pub const IP: &str = "IP version";
    pub const TRANSFERS: &str = "Transfers";
    pub const CLIENT_FIREWALL: &str = "Client firewall";
    pub const CLIENT_FIREWALL_ACTION: &str = "Client firewall refuses by";
    pub const CLIENT_NAT: &str = "Client NAT";
    pub const CLIENT_ALG: &str = "FTP helper (ALG)";
    pub const SERVER_FIREWALL: &str = "Server firewall";
    pub const SERVER_FIREWALL_ACTION: &str = "Server firewall refuses by";
    pub const SERVER_ALG: &str = "Server FTP helper";
    pub const SERVER_NAT: &str = "Server behind NAT";
    pub const PASV_ADDRESS: &str = "Address in 227";
    pub const PORT_CHECK: &str = "Server checks PORT address";
    pub const TRUST_PASV_ADDRESS: &str = "Client trusts the 227 address";
    pub const SERVER_EPSV: &str = "Server supports EPSV";
    pub const EPSV_REFUSAL: &str = "EPSV refused with";
    pub const CONNECT_TIMEOUT: &str = "Server connect timeout";
    pub const ACCEPT_TIMEOUT: &str = "Server accept timeout";
    pub const CLIENT_TIMEOUT: &str = "Client timeout";
    pub const PORT20: &str = "Server connects from port 20";
    pub const CONTROL_PORT: &str = "Control port";
    pub const HELPER_PORTS: &str = "Helper ports";
    pub const CONTROL_ENCRYPTED: &str = "Encrypted control connection (FTPS)";
    pub const BOUNCE_TO: &str = "Bounce address";
    pub const PRIVATE_DESTINATIONS: &str = "Private destinations";
    pub const LATENCY: &str = "Latency";
    pub const SEED: &str = "Seed";
    pub const CONSOLE: &str = "Typed commands";
}

/// One-line help shown with each control.
pub mod help {
    pub const CLIENT: &str =
        "Which real client the simulated one behaves like: its commands, their order and when it gives up.";
    pub const SERVER: &str = "Which real server the simulated one behaves like: its replies and when it connects.";
    pub const USER: &str = "Anonymous, or the server's demo account (password demo), which may upload.";
    pub const EPSV_REFUSAL: &str =
        "The reply of a server without EPSV: 500 (unknown command) or 502 (not implemented).";
    pub const CONNECT_TIMEOUT: &str =
        "Seconds the server tries to connect in active mode (vsftpd connect_timeout; default 60, pyftpdlib 30).";
    pub const ACCEPT_TIMEOUT: &str =
        "Seconds the server waits for the client in passive mode (vsftpd accept_timeout; default 60, pyftpdlib 30).";
    pub const CLIENT_TIMEOUT: &str = "Seconds the client gives a connect (curl --connect-timeout, ftplib timeout); none: TCP gives up after about 134 s.";
    pub const PORT20: &str = "vsftpd connect_from_port_20: active data connections come from port 20.";
    pub const HELPER_PORTS: &str = "The control ports the FTP helpers watch, separated by commas (Linux: 21).";
    pub const PRIVATE_DESTINATIONS: &str =
        "What the internet does with a packet to a private address: drop it, or answer that there is no route.";
    pub const MODE: &str = "How the client sets up each data connection: active modes ask the server to connect back, passive modes connect to the server.";
    pub const OPERATION: &str = "What the client transfers over the data connection.";
    pub const IP: &str = "IPv6 has no NAT: every host has a public address. PORT and PASV cannot carry IPv6 addresses.";
    pub const CLIENT_FIREWALL: &str = "A stateful firewall on the home router refuses new connections from outside.";
    pub const CLIENT_NAT: &str = "The home router shares one public address (IPv4 only).";
    pub const CLIENT_ALG: &str = "The home router reads PORT and EPRT and lets the announced connection in.";
    pub const SERVER_FIREWALL: &str = "Which new connections the server's firewall lets in.";
    pub const SERVER_ALG: &str = "The server's firewall or router reads 227 and 229 replies.";
    pub const SERVER_NAT: &str = "The server has a private address behind its own router (IPv4 only).";
    pub const PASV_ADDRESS: &str = "Which address the server writes into its 227 reply (vsftpd pasv_address).";
    pub const PORT_CHECK: &str = "vsftpd port_promiscuous=NO: refuse PORT to any address but the client's own.";
    pub const TRUST_PASV_ADDRESS: &str =
        "Classic behaviour; curl since 7.74 and ftplib reuse the control connection's address instead.";
    pub const SERVER_EPSV: &str = "Old servers refuse EPSV.";
    pub const CONTROL_PORT: &str = "The server's control port. The FTP helpers watch port 21 only.";
    pub const CONTROL_ENCRYPTED: &str =
        "FTP over TLS (AUTH TLS): the FTP helpers can no longer read PORT, EPRT, 227 or 229.";
    pub const TRANSFERS: &str = "How many times the transfer is repeated in one session.";
}

/// Why a control is greyed out.
pub mod unavailable {
    pub const NOT_IN_FTPLIB: &str = "ftplib uses EPRT and EPSV only on IPv6.";
    pub const PORT20_VSFTPD_ONLY: &str = "Only vsftpd connects from port 20.";
    pub const EPSV_REFUSAL_NEEDS_NO_EPSV: &str = "Only matters when the server does not support EPSV.";
    pub const NAT_NEEDS_IPV4: &str = "NAT is an IPv4 tool: with IPv6 every host has a public address.";
    pub const PASV_ADDRESS_NEEDS_SERVER_NAT: &str = "Only matters when the server is behind NAT.";
}

/// Choices of the multi-valued settings.
pub mod choices {
    pub const CURL: &str = "curl 7.88";
    pub const FTPLIB: &str = "Python ftplib";
    pub const VSFTPD: &str = "vsftpd 3.0.3";
    pub const PYFTPDLIB: &str = "pyftpdlib 2.2";
    pub const ANONYMOUS: &str = "anonymous";
    pub const DEMO: &str = "demo";
    pub const DEFAULT: &str = "default";
    pub const LIST: &str = "List a directory (LIST)";
    pub const RETR: &str = "Download a file (RETR)";
    pub const STOR: &str = "Upload a file (STOR)";
    pub const IPV4: &str = "IPv4";
    pub const IPV6: &str = "IPv6";
    pub const FIREWALL_OFF: &str = "Off";
    pub const FIREWALL_PASSIVE_RANGE: &str = "Passive range open";
    pub const FIREWALL_CONTROL_ONLY: &str = "Control port only";
    pub const PASV_PRIVATE: &str = "Server's own";
    pub const PASV_PUBLIC: &str = "Public (pasv_address)";
    pub const STRICT: &str = "strict";
    pub const CHECK_OFF: &str = "off";
    pub const DROPPING: &str = "dropping";
    pub const REJECTING: &str = "rejecting";
    pub const DROPPED: &str = "dropped";
    pub const UNREACHABLE: &str = "unreachable";
    pub const NONE: &str = "none";
}

/// "client firewall on → off": one changed setting, for the pending panel and branch notes.
pub fn change(name: &str, before: &str, after: &str) -> String {
    format!("{name} {before} → {after}")
}

pub const NOTHING_CHANGED: &str = "nothing changed";

/// "LAN 1 ms, WAN 10 ms"
pub fn latency(lan: &str, wan: &str) -> String {
    format!("LAN {lan}, WAN {wan}")
}

/// What a setting expects, for error messages.
pub mod expected {
    pub fn either(on: &str, off: &str) -> String {
        format!("{on} or {off}")
    }

    pub fn one_of(tokens: &str) -> String {
        format!("one of {tokens}")
    }

    pub fn number(min: u32, max: u32) -> String {
        format!("a whole number from {min} to {max}")
    }

    pub fn number_or(min: u32, max: u32, none: &str) -> String {
        format!("a whole number from {min} to {max}, or {none}")
    }

    pub fn ports() -> String {
        "ports from 1 to 65535 separated by commas, such as 21,2121".to_owned()
    }

    /// "Mode: expected one of …, got "sideways""
    pub fn refused(label: &str, expected: &str, got: &str) -> String {
        format!("{label}: expected {expected}, got \"{got}\"")
    }
}

/// Why a set of settings cannot run.
pub mod invalid {
    pub fn control_port(low: u16, high: u16, got: u16) -> String {
        format!("the control port must be from 1 to 65535 and outside the passive range {low}-{high}, got {got}")
    }

    pub fn transfers(max: u32, got: u32) -> String {
        format!("transfers must be from 1 to {max}, got {got}")
    }

    pub fn too_long_for_page(max: u32, got: u32, terminal_max: u32) -> String {
        format!(
            "a session of {got} transfers is too long for a browser tab (at most {max}); ftpsim run plays up to {terminal_max}"
        )
    }

    pub fn bounce_address(ip: &str, got: &str) -> String {
        format!("the bounce address must be of the same IP version as the network ({ip}), got {got}")
    }

    pub const NUMBERS: &str =
        "host numbers must be 2-254 (the router's outside one 1-254), the passive range 1024 up, lowest first";

    pub const HELPER_PORT: &str = "the helper watches one to eight ports, each from 1 to 65535";

    pub fn mode_not_in_client(client: &str, mode: &str) -> String {
        format!("{client} has no {mode} mode on IPv4 (it uses EPRT and EPSV only on IPv6); choose port, pasv or auto")
    }

    pub fn timeout(max: u32, got: u32) -> String {
        format!("a timeout must be from 1 to {max} seconds, got {got}")
    }

    pub fn file_too_large(got: usize, max: usize) -> String {
        format!("the file is {got} bytes long; a scenario file has at most {max}")
    }

    pub fn unreadable_file(why: &str) -> String {
        format!("could not read the scenario: {why}")
    }

    /// A branch that would change addresses.
    pub fn needs_restart(setting: &str) -> String {
        format!("{setting} changes the network's addresses; restart the session to change it")
    }
}

/// The comments of the firewall rules the routers are set up with; the trace quotes them.
pub mod rules {
    pub const ANSWERS_HOME: &str = "answers to connections, and connections the FTP helper announced";
    pub const FROM_INSIDE: &str = "anything started from inside";
    pub const ANSWERS_ROUTER: &str = "answers to the router's own connections";
    pub const LAN_TO_ROUTER: &str = "the home network may talk to the router";
    pub const ANSWERS_SERVER: &str = "answers to connections, and connections an FTP helper announced";
    pub const SERVER_OUTGOING: &str = "the server's own outgoing connections";
    pub const CONTROL_PORT: &str = "new connections to the FTP control port";
    pub const PASSIVE_RANGE: &str = "new connections to the passive port range";
    pub const NO_TRANSLATION: &str = "no translation for this address and port";
}

/// Why a scenario file could not be read.
pub mod file {
    pub const NOT_AN_OBJECT: &str = "expected a JSON object of settings, such as {\"mode\": \"port\"}";
    pub const AN_ADDRESS: &str = "an IP address such as \"192.0.2.99\", or null";
    pub const MICROSECONDS: &str = "a whole number of microseconds";
    pub const LINES: &str = "a list of typed lines such as [\"EPSV\", \"LIST\"]";
    pub const NUMBERS: &str = "a host number (0-255), or two ports such as [50000, 51000]";

    pub fn wrong_type(field: &str, expected: &str) -> String {
        format!("{field}: expected {expected}")
    }

    pub fn unknown_field(field: &str) -> String {
        format!("unknown field `{field}`")
    }

    /// What the fields that only a file holds take.
    pub fn expected_for(field: &str) -> &'static str {
        match field {
            "bounce_to" => AN_ADDRESS,
            "seed" => "a whole number",
            "latency" => "an object such as {\"lan\": 1000, \"wan\": 10000}",
            "console" => LINES,
            "numbers" => "an object such as {\"client\": 2}",
            _ => "\"drop\" or \"reject\"",
        }
    }
}
