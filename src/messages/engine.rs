//! The FTP engines' notes, the devices' refusals and the FTP helpers' notes, in words. The
//! engines and devices name a decision and its facts ([`Note`], [`Refusal`], [`HelperNote`]);
//! these functions say it.

use std::net::IpAddr;

use crate::ftp::client::ClientFailure;
use crate::ftp::{ConnectError, Note};
use crate::net::alg::Unreadable;
use crate::net::conntrack::CtState;
use crate::net::device::{HelperNote, Refusal};

/// An engine's note, as a clause that follows "Client: " or "Server: ".
pub fn note(note: &Note) -> String {
    match note {
        Note::GivingUp { failure: why } => format!("gives up: {}", failure(why)),
        Note::PasvNeedsIpv4 => "PASV cannot carry an IPv6 address, so it uses EPSV instead".to_owned(),
        Note::PortNeedsIpv4 => "PORT cannot carry an IPv6 address, so it uses EPRT instead".to_owned(),
        Note::AnnouncingOther { announced, own } => {
            format!(
                "writes {announced}, another host's address, where its own address {own} belongs (a bounce attempt)"
            )
        }
        Note::EprtRefused { code } => format!(
            "sees EPRT refused with {code}, so it stops using EPRT, opens a new listening port and announces it with PORT, as curl does"
        ),
        Note::EpsvRefused { code } => {
            format!("sees EPSV refused with {code}, so it falls back to PASV, as curl does")
        }
        Note::EpsvConnectFailed => "could not open the data connection after EPSV, so it stops using EPSV and asks again with PASV on the same control connection, as curl does".to_owned(),
        Note::UnexpectedReply { code, state } => format!("did not expect the reply {code} while {state}"),
        Note::TrustingPassiveAddress { announced, control } => format!(
            "trusts the 227 reply, which names {announced}, not {control} where the control connection goes, and connects there (the classic behaviour)"
        ),
        Note::IgnoringPassiveAddress { announced, control } => format!(
            "ignores {announced} from the 227 reply and connects to {control}, the address the control connection already uses (as curl since 7.74 and Python's ftplib do)"
        ),
        Note::ListenFailed => "could not open a listening socket for the data connection".to_owned(),
        Note::RefusingAddress { verb, target, control_peer } => match control_peer {
            Some(peer) => format!(
                "refuses {verb} {target}: {} is not {peer}, the address the control connection comes from (vsftpd port_promiscuous=NO)",
                target.ip()
            ),
            None => format!("refuses {verb} {target}: it is not the control connection's address"),
        },
        Note::RefusingPrivilegedPort { verb, target } => {
            format!("refuses {verb} {target}: port {} is a privileged port (below 1024)", target.port())
        }
        Note::AnnouncingPasvAddress { public, own } => {
            format!("writes its public address {public} into 227 instead of its own {own} (vsftpd pasv_address)")
        }
        Note::ForeignDataPeer { peer } => format!(
            "refuses the data connection from {peer}: it does not come from the control connection's address (vsftpd pasv_promiscuous=NO)"
        ),
        Note::DataConnectFailed { error } => format!("could not open the data connection: {}", connect_error(*error)),
        Note::ConnectTimeout { after } => {
            format!("gives up connecting to the client after connect_timeout ({after})")
        }
        Note::AcceptTimeout { after } => {
            format!("no client connected to the passive port within accept_timeout ({after})")
        }
        Note::CannotBindPort20 { port } => format!(
            "cannot bind port {port} for the data connection: with port_promiscuous=YES vsftpd takes a path without the privilege to do so, and its session ends (500 OOPS)"
        ),
        Note::Stored { bytes, path } => format!("stored {bytes} bytes as {path}"),
        Note::StoreFailed { path } => format!("could not store {path}"),
        Note::TlsEstablished => {
            "finishes the TLS handshake: from here on its side of the control connection is encrypted".to_owned()
        }
        Note::Typed { line, typing } => super::console::typed(line, typing),
    }
}

/// A connect error as the operating system reports it.
pub fn connect_error(error: ConnectError) -> &'static str {
    match error {
        ConnectError::Refused => "connection refused",
        ConnectError::Unreachable => "network unreachable",
        ConnectError::TimedOut => "connection timed out",
    }
}

/// Why a client session failed, as a clause.
pub fn failure(failure: &ClientFailure) -> String {
    match failure {
        ClientFailure::ControlConnect { error } => {
            format!("could not open the control connection ({})", connect_error(*error))
        }
        ClientFailure::ControlClosed => "the server closed the control connection".to_owned(),
        ClientFailure::Refused { command, reply } => {
            format!("the server answered {command} with {} {}", reply.code, reply.text())
        }
        ClientFailure::UnreadableReply { reply, problem } => {
            format!("could not read the reply {} {} ({problem})", reply.code, reply.text())
        }
        ClientFailure::DataConnect { target, error } => {
            format!("the data connection to {target} failed ({})", connect_error(*error))
        }
        ClientFailure::DataConnectTimeout { target, after } => {
            format!("the data connection to {target} did not open within {after}")
        }
        ClientFailure::AcceptTimeout { after } => {
            format!("the server did not connect back within {after} of saying 150")
        }
        ClientFailure::ReplyTimeout { command, after } => format!("no reply to {command} within {after}"),
        ClientFailure::DataReset => "the data connection was reset in the middle of the transfer".to_owned(),
    }
}

/// Why a device refused a packet, as a clause. `home_side` says whether the device guards a
/// home network (a new connection from outside there is one "nobody inside asked for") or a
/// server (where it is one "no rule opens").
pub fn refusal(refusal: &Refusal, home_side: bool) -> String {
    match refusal {
        Refusal::NewFromOutside { .. } if home_side => {
            "a new connection from outside that nobody inside asked for".to_owned()
        }
        Refusal::NewFromOutside { port } => {
            format!("a new connection to port {port}, and no rule opens that port to the outside")
        }
        Refusal::NewFromInside { port } => {
            format!("a new connection from inside to port {port}, which the rules do not allow")
        }
        Refusal::StateNotAllowed { state } => format!("the rules do not allow {} packets here", ct_state(*state)),
        Refusal::NothingListens { port } => format!("nothing on this device listens on port {port}"),
        Refusal::UnknownError => "an error message about a connection this device does not know".to_owned(),
        Refusal::HelperCannotRead { what } => format!(
            "the FTP helper cannot read this announcement ({}) and drops it, as the kernel does",
            unreadable(what)
        ),
        Refusal::PrivateDestination { ip } => format!(
            "{ip} is a private address: it only means something inside one local network, and internet routers carry no route to it"
        ),
        Refusal::NotForThisHost => "it is not addressed to this host".to_owned(),
        Refusal::NoRoute { ip } => format!("there is no host with the address {ip} on this network"),
    }
}

/// What the helper could not read.
fn unreadable(what: &Unreadable) -> String {
    match what {
        Unreadable::HostPort { announcement, got } => {
            format!("{announcement}: expected six numbers from 0 to 255 separated by commas, got \"{got}\"")
        }
        Unreadable::Eprt { got } => format!("EPRT: expected |1|address|port| or |2|address|port|, got \"{got}\""),
        Unreadable::ExtendedPassive { got } => format!("229: expected (|||port|), got \"{got}\""),
    }
}

fn ct_state(state: CtState) -> &'static str {
    match state {
        CtState::New => "NEW",
        CtState::Established => "ESTABLISHED",
        CtState::Related => "RELATED",
    }
}

/// An FTP helper's note, as a clause.
pub fn helper_note(note: &HelperNote) -> String {
    match note {
        HelperNote::NotTheSender { announcement, announced, sender } => format!(
            "{announcement} names {announced}, which is not {sender}, the host that sent it; the helper ignores it"
        ),
        HelperNote::CannotReadEncrypted { hidden } => format!(
            "this encrypted segment carries the {hidden}, but the helper sees only scrambled bytes: it cannot read the address, expect the data connection or rewrite anything"
        ),
        HelperNote::NotWatching { port, watched } => format!(
            "this control connection goes to port {port}, but the helper only watches port{} {}: it will not read anything on it",
            if watched.len() == 1 { "" } else { "s" },
            join(watched)
        ),
    }
}

/// "21, 2121"
pub fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// "a private address" / "a public address", for the announced address in a caption.
pub fn address_kind(private: bool) -> &'static str {
    if private { "a private address" } else { "a public address" }
}

/// The IP address, as it appears in a sentence.
pub fn ip(ip: IpAddr) -> String {
    ip.to_string()
}
