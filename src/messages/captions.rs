//! Captions: a headline and one or two plain sentences for each event, written for students.
//! The trace says precisely what happened; a caption says what it *means*. Each function
//! returns `(headline, body)`.

use std::net::{IpAddr, SocketAddr};

use super::places;
use crate::net::packet::Channel;
use crate::net::tcp::TcpState;
use crate::time::Duration;

type Caption = (String, String);

fn caption(headline: impl Into<String>, body: impl Into<String>) -> Caption {
    (headline.into(), body.into())
}

pub fn nothing_here() -> Caption {
    caption("Nothing here", "This session has no event at that position.")
}

pub fn session_starts(control_port: u16, mode: &str) -> Caption {
    caption(
        "The session starts",
        format!(
            "The client will open a control connection to the server's port {control_port} and log in. Every transfer then needs a data connection of its own, set up in {mode} mode."
        ),
    )
}

pub fn settings_changed(description: &str) -> Caption {
    caption("Settings changed mid-session", super::sentence(format!("From here on: {description}")))
}

pub fn control_syn(who: &str, port: u16) -> Caption {
    caption(
        "Opening the control connection",
        format!(
            "{who} sends a SYN, the first packet of a new TCP connection, to port {port}. This control connection will carry every command and reply, and stays open all session."
        ),
    )
}

/// The first SYN of a data connection: the moment every lesson is about.
pub fn data_syn(who: &str, n: u32, from_server: bool, source_port: u16, target: SocketAddr) -> Caption {
    let body = if from_server {
        format!(
            "Active mode: the server starts the data connection itself, from its port {source_port} to {target}, the address the client announced. Watch whether the devices on the client's side let a connection from outside in."
        )
    } else {
        format!(
            "Passive mode: the client starts the data connection itself, to {target}, just as it started the control connection. Watch whether the server's side lets it in."
        )
    };
    caption(format!("{who} opens data connection {n}"), body)
}

pub fn syn_ack(who: &str) -> Caption {
    caption(
        format!("{who} accepts"),
        "A SYN-ACK answers a SYN: \"yes, let's connect\". One more ACK and the connection is established.",
    )
}

pub fn control_segment(who: &str, preview: &str, encrypted: bool) -> Caption {
    let body = if encrypted {
        format!(
            "\"{preview}\" travels inside a TCP segment, encrypted: on the wire it is unreadable to everyone on the way."
        )
    } else {
        format!("\"{preview}\" travels inside a TCP segment, like any other data.")
    };
    caption(format!("{who} sends on the control connection"), body)
}

pub fn data_segment(n: u32, bytes: usize) -> Caption {
    caption(
        format!("Data flows on data connection {n}"),
        format!(
            "{bytes} bytes of the transfer itself. File contents and listings never travel on the control connection."
        ),
    )
}

pub fn fin(who: &str, channel: Channel) -> Caption {
    let body = match channel {
        Channel::Control => "A FIN says \"I have nothing more to send\" on the control connection.".to_owned(),
        Channel::Data(n) => format!(
            "A FIN says \"I have nothing more to send\": for data connection {n} that marks the end of the transfer. Each transfer gets a fresh data connection."
        ),
    };
    caption(format!("{who} closes its side"), body)
}

pub fn rst(who: &str, channel: Channel) -> Caption {
    caption(format!("{who} aborts"), format!("A reset ends the {} at once.", places::channel(channel)))
}

pub fn other_send(who: &str, text: &str) -> Caption {
    caption(format!("{who} sends a packet"), text.to_owned())
}

pub fn source_translated(place: &str, public: SocketAddr, private: SocketAddr) -> Caption {
    caption(
        format!("{place} translates the source address (NAT)"),
        format!(
            "The packet leaves with the router's public address {public} instead of the private {private}. The router notes the pair in its NAT table so the answer can find its way back."
        ),
    )
}

pub fn destination_translated(place: &str, public: SocketAddr, inside: SocketAddr) -> Caption {
    caption(
        format!("{place} translates the destination address"),
        format!(
            "{public} is only the public side; the NAT table says the real destination is {inside}, so the router rewrites it and passes the packet on."
        ),
    )
}

pub fn rewritten_passes(place: &str) -> Caption {
    caption(
        format!("{place} passes on a rewritten packet"),
        "The FTP helper changed the text inside; the packet goes on with the new content.",
    )
}

pub fn across_internet(flags: &str, next: &str) -> Caption {
    caption(
        "Across the internet",
        format!("Public addresses are routable: the internet carries the {flags} on towards the {next}."),
    )
}

/// A device lets a new connection's SYN through; `rule` is the rule that allowed it.
pub fn new_connection_allowed(place: &str, target: SocketAddr, next: &str, rule: Option<&str>) -> Caption {
    let why = rule.map(|rule| format!(" ({rule})")).unwrap_or_default();
    caption(
        format!("{place} lets the new connection through"),
        format!("Its rules allow a new connection to {target} here{why}, so the SYN goes on to the {next}."),
    )
}

/// A device lets an expected (RELATED) data connection through.
pub fn related_allowed(place: &str, target: SocketAddr, next: &str) -> Caption {
    caption(
        format!("{place} lets the expected connection in"),
        format!(
            "The FTP helper announced this connection to {target}, so the firewall counts it as RELATED, not as a stranger, and lets the SYN on to the {next}."
        ),
    )
}

pub fn known_connection(place: &str) -> Caption {
    caption(
        format!("{place} forwards it"),
        "This packet belongs to a connection the device already knows, so it passes straight through.",
    )
}

pub fn delivered(who: &str, flags: &str, channel: Channel) -> Caption {
    caption(
        format!("{who} receives it"),
        format!("The {flags} segment of the {} arrives at its destination.", places::channel(channel)),
    )
}

pub fn private_unreachable(ip: IpAddr) -> Caption {
    caption(
        "The internet drops the packet",
        format!(
            "{ip} is a private address. Thousands of home and office networks use the same private addresses, so internet routers have no route to them: the packet cannot go anywhere."
        ),
    )
}

/// A device silently drops the first SYN of a connection.
pub fn syn_dropped(place: &str, rule: &str, reason: &str) -> Caption {
    caption(
        format!("{place} drops the SYN"),
        format!(
            "{place} throws this SYN away without a word ({rule}): {reason}. The sender hears nothing, so it will wait and try again."
        ),
    )
}

/// A device drops a retransmitted SYN: one stop per retry, each saying how long TCP has waited.
pub fn retry_dropped(place: &str, retry: u32, retries: u32, waited: Duration, next: Option<Duration>) -> Caption {
    let then = match next {
        Some(next) => format!(" If nothing comes back, the next try is in {}.", next.rounded_seconds()),
        None => " That was the last try: the sender's TCP will give up if nothing comes back.".to_owned(),
    };
    let place = place.to_ascii_lowercase();
    caption(
        format!("Retry {retry} of {retries}: the {place} drops it again"),
        format!(
            "The sender had waited {} for an answer to its first SYN before sending this copy, and the {place} drops it just like the first.{then}",
            waited.rounded_seconds()
        ),
    )
}

pub fn packet_dropped(place: &str, rule: &str, reason: &str) -> Caption {
    caption(format!("{place} drops the packet"), format!("{place} throws this packet away ({rule}): {reason}."))
}

pub fn rejected(place: &str, rule: &str, reason: &str, answer: &str) -> Caption {
    caption(
        format!("{place} refuses the packet"),
        super::sentence(format!(
            "{} ({rule}). It answers with {answer}, so the sender learns at once instead of waiting",
            super::capitalise(reason)
        )),
    )
}

pub fn syn_retransmitted(who: &str, retry: u32, retries: u32, remote: SocketAddr, next_wait: Duration) -> Caption {
    caption(
        format!("No answer: trying again ({retry} of {retries})"),
        format!(
            "{who} has heard nothing back from {remote}, so it sends the SYN again. The next wait is {}.",
            next_wait.rounded_seconds()
        ),
    )
}

pub fn tcp(who: &str, channel: Channel, to: TcpState) -> Caption {
    let channel_name = places::channel(channel);
    let lower = who.to_ascii_lowercase();
    let body = match to {
        TcpState::SynSent => {
            format!("{who} has sent its SYN for the {channel_name} and waits for an answer (SYN-SENT).")
        }
        TcpState::SynReceived => format!("{who} got a SYN for the {channel_name} and answered it (SYN-RECEIVED)."),
        TcpState::Established => {
            format!("The three-way handshake is complete: the {channel_name} is ESTABLISHED at the {lower}.")
        }
        TcpState::Closed => format!("The {channel_name} is gone at the {lower} (CLOSED)."),
        TcpState::Listen => format!("{who} listens for an incoming connection."),
        other => format!("The {channel_name} is closing at the {lower}: {other}."),
    };
    caption(format!("TCP: {to}"), body)
}

/// The opening end of a data connection sees it established: a key moment.
pub fn data_connection_open(n: u32, from: SocketAddr, to: SocketAddr) -> Caption {
    caption(
        format!("Data connection {n} is open"),
        format!(
            "The handshake went through: {from} and {to} are connected. The transfer can flow, and the control connection stays free for commands."
        ),
    )
}

pub fn control_connection_open(who: &str) -> Caption {
    caption(
        "The control connection is open",
        format!("The three-way handshake is complete. {who} can now read the server's greeting and send commands."),
    )
}

/// The opening end gave up on a data connection that never got an answer.
pub fn data_connection_given_up(who: &str, n: u32, waited: Duration) -> Caption {
    caption(
        format!("{who} gives up on data connection {n}"),
        format!("After {waited} without an answer to any of its SYNs, the connection attempt is abandoned."),
    )
}

pub fn command(verb_headline: &str, body: String) -> Caption {
    caption(verb_headline, body)
}

pub fn login(user: &str) -> Caption {
    caption(format!("Logging in as {user}"), "USER names the account. Anonymous FTP accepts any password.")
}

pub fn password() -> Caption {
    caption(
        "Sending the password",
        "PASS completes the login. Plain FTP sends it unencrypted, for anyone on the way to read.",
    )
}

pub fn transfer_type() -> Caption {
    caption("Choosing the transfer type", "TYPE A (text) for listings, TYPE I (bytes as they are) for files.")
}

pub fn port(addr: SocketAddr, private: bool) -> Caption {
    let whose = if private {
        "It is the client's own address, and a private one: the home router's NAT hides it from the internet."
    } else {
        "It is the client's own address, a public one."
    };
    caption(
        "Active mode: \"connect to me\"",
        format!("The client is listening on {addr} and asks the server to open the data connection to it. {whose}"),
    )
}

pub fn port_bounce(addr: SocketAddr) -> Caption {
    caption(
        "PORT names a third host",
        format!(
            "The client writes {}, somebody else's address, into PORT: it asks the server to connect to a third machine. This is how an FTP bounce attack starts.",
            addr.ip()
        ),
    )
}

pub fn eprt(addr: SocketAddr) -> Caption {
    caption(
        "Extended active mode: \"connect to me\"",
        format!(
            "Like PORT, but in a format that also fits IPv6: the client waits on {addr} for the server to connect."
        ),
    )
}

pub fn pasv() -> Caption {
    caption(
        "Passive mode: \"you listen, I connect\"",
        "The client asks the server to open a port for the data connection and say where it is.",
    )
}

pub fn epsv() -> Caption {
    caption(
        "Extended passive mode",
        "Like PASV, but the server will answer with a port number only: the client reuses the address it already talks to.",
    )
}

pub fn listing() -> Caption {
    caption("Asking for a listing", "The listing will come back over the data connection, not the control connection.")
}

pub fn retrieve(path: &str) -> Caption {
    caption("Asking for a file", format!("RETR {path}: the file will come over the data connection."))
}

pub fn store(path: &str) -> Caption {
    caption("Uploading a file", format!("STOR {path}: the client will send the file over the data connection."))
}

pub fn quit() -> Caption {
    caption("Saying goodbye", "QUIT ends the session; then the control connection closes.")
}

pub fn auth_tls() -> Caption {
    caption(
        "Asking for encryption",
        "AUTH TLS asks the server to switch the control connection to TLS (explicit FTPS). From the 234 reply on, everything on it is encrypted.",
    )
}

pub fn other_command(verb: &str, command: &str) -> Caption {
    caption(format!("The client sends {verb}"), format!("\"{command}\" goes out on the control connection."))
}

pub fn server_reads_address(verb: &str, addr: SocketAddr) -> Caption {
    caption(
        format!("The server reads: {verb}"),
        format!(
            "The server is asked to connect to {addr}. It first checks that this is the address the control connection comes from."
        ),
    )
}

pub fn server_reads(verb: &str, command: &str) -> Caption {
    caption(
        format!("The server reads: {verb}"),
        format!("\"{command}\" has crossed the network on the control connection."),
    )
}

pub fn server_answers(code: u16, meaning: String) -> Caption {
    caption(format!("The server answers {code}"), meaning)
}

pub fn client_reads(code: u16, text: &str, meaning: String) -> Caption {
    caption(format!("The client reads: {code} {text}"), meaning)
}

pub fn decides(who: &str, note: &str) -> Caption {
    caption(format!("{who} decides"), super::sentence(super::capitalise(note)))
}

pub fn ftp_state(who: &str, from: &str, to: &str) -> Caption {
    caption(format!("{who}: {to}"), format!("The FTP program moves on from {from} to {to}."))
}

pub fn command_unreadable(why: &str) -> Caption {
    caption("The server cannot read a command", super::sentence(super::capitalise(why)))
}

pub fn reply_unreadable(why: &str) -> Caption {
    caption("The client cannot read a reply", super::sentence(super::capitalise(why)))
}

/// What a reply code means.
pub mod replies {
    use std::net::SocketAddrV4;

    pub const GREETING: &str = "The server greets the client: the control connection works.";
    pub const USER_OK: &str = "The user name is accepted; now the password.";
    pub const LOGGED_IN: &str = "Logged in.";
    pub const ADDRESS_ACCEPTED: &str = "The server accepts the address. It will connect there when a transfer starts.";
    pub const OK: &str = "OK.";
    pub const TLS_GO: &str =
        "The server agrees: both sides now negotiate TLS, and from here on the control connection is encrypted.";
    pub const UNREADABLE_227: &str = "The server says where to connect, but its reply cannot be read.";
    pub const UNREADABLE_229: &str = "The server opened a port, but its reply cannot be read.";
    pub const OPENING: &str = "The data connection is up and the transfer starts now.";
    pub const COMPLETE: &str =
        "The transfer is complete and the data connection is closed. The control connection stays open for more.";
    pub const GOODBYE: &str = "Goodbye: the session ends.";
    pub const CANT_OPEN: &str = "\"Can't open data connection\": the server could not set up the data connection.";
    pub const ADDRESS_REFUSED: &str =
        "Refused: vsftpd only connects back to the address the control connection comes from, and this is not it.";
    pub const NOT_SUPPORTED: &str = "The server does not understand or support this command.";
    pub const LOGIN_REFUSED: &str = "Login refused.";
    pub const FILE_REFUSED: &str = "The file operation was refused.";
    pub const FAILURE: &str = "The server reports a failure.";
    pub const OTHER: &str = "The server answers on the control connection.";

    pub fn passive_private(addr: SocketAddrV4) -> String {
        format!(
            "The server says: connect to {addr}. But {} is a private address: the server's own address behind its NAT router.",
            addr.ip()
        )
    }

    pub fn passive(addr: SocketAddrV4) -> String {
        format!(
            "The server opened a port and says: connect to {addr}. The six numbers are the address and the port, port = p1 × 256 + p2."
        )
    }

    pub fn extended_passive(port: u16) -> String {
        format!(
            "The server opened port {port}. No address in the reply: the client connects to the same address as the control connection."
        )
    }
}

pub fn related_entry(who: &str) -> Caption {
    caption(
        format!("{who}: an expected connection"),
        "The connection tracker marks it RELATED: the FTP helper announced it, so the firewall lets it in even though it comes from outside.",
    )
}

pub fn nat_entry(who: &str, inside: SocketAddr, public: SocketAddr) -> Caption {
    caption(
        format!("{who}: new NAT mapping"),
        format!(
            "{inside} ↔ {public}. The router remembers which inside address belongs to this public port, so answers can be sent back."
        ),
    )
}

pub fn forward_entry(who: &str, public: SocketAddr, inside: SocketAddr) -> Caption {
    caption(format!("{who}: forwarding a port"), format!("Connections to {public} are passed on to {inside} inside."))
}

pub fn tracked_entry(who: &str, connection: &str) -> Caption {
    caption(format!("{who} tracks a new connection"), format!("{connection} is now in the connection table."))
}

pub fn entry_removed(who: &str, connection: &str) -> Caption {
    caption(format!("{who} forgets a connection"), format!("{connection} has closed, so its entry is removed."))
}

pub fn expectation(who: &str, announced_by: &str, from: &str, to: SocketAddr) -> Caption {
    caption(
        format!("{who}'s FTP helper reads the {announced_by}"),
        format!(
            "The helper understands FTP: it saw where the data connection will go and now expects a connection from {from} to {to}. When it comes, the firewall will treat it as RELATED and let it in."
        ),
    )
}

pub fn expectation_used(who: &str) -> Caption {
    caption(
        format!("{who}: the expected connection arrives"),
        "This is the connection the FTP helper announced, so it is RELATED, not an unknown NEW connection.",
    )
}

pub fn payload_rewritten(who: &str, before: &str, after: &str) -> Caption {
    caption(
        format!("{who}'s FTP helper rewrites the message"),
        format!(
            "\"{before}\" becomes \"{after}\": the private address inside the text is replaced by the public one, which the other side can actually reach."
        ),
    )
}

pub fn helper_note(who: &str, note: &str) -> Caption {
    caption(format!("{who}'s FTP helper"), super::sentence(super::capitalise(note)))
}

pub fn conntrack_state(who: &str, connection: &str, state: &str) -> Caption {
    caption(format!("{who} follows the connection"), format!("{connection} is now {state} in the connection table."))
}

pub fn filtered(who: &str, decision: &str) -> Caption {
    caption(format!("{who} applies its rules"), super::sentence(super::capitalise(decision)))
}

pub fn address_translated(who: &str, from: SocketAddr, to: SocketAddr) -> Caption {
    caption(format!("{who} translates an address"), format!("{from} becomes {to}."))
}

pub fn timer_started(who: &str, name: &str, after: Duration) -> Caption {
    caption(
        format!("{who} starts a timer"),
        format!("Its {name} runs for {after}: if the data connection is not up by then, it gives up."),
    )
}

pub fn timer_over(who: &str, name: &str) -> Caption {
    caption(
        format!("{who}: {name} is over"),
        "Time is up. The waiting ends here, and the next event says what the program does about it.",
    )
}

pub fn worked(summary: &str) -> Caption {
    caption("It worked", summary.to_owned())
}

pub fn failed(place: Option<&str>, summary: &str, fix: Option<&str>) -> Caption {
    let headline = match place {
        Some(place) => format!("It failed at the {}", place.to_ascii_lowercase()),
        None => "It failed".to_owned(),
    };
    let fix = fix.map(|fix| format!(" How to fix it: {fix}")).unwrap_or_default();
    caption(headline, format!("{summary}{fix}"))
}

/// The server refused on purpose, protecting a third host: nothing is broken.
pub fn refused_on_purpose(summary: &str) -> Caption {
    caption("The server refused, as it should", summary.to_owned())
}
