//! The page's words: controls, headings, panels, the quiz, notices, and the labels drawn on
//! the topology, the ladder and the transcript.

pub const TITLE: &str = "FTP: active vs passive";

/// Words drawn on the topology next to a device about what it just did.
pub mod callouts {
    use std::net::SocketAddr;

    pub fn dropped(flags: &str, target: SocketAddr) -> String {
        format!("✕ drops {flags} → {target}")
    }

    pub fn refused(flags: &str, target: SocketAddr, answer: &str) -> String {
        format!("✕ refuses {flags} → {target}, answers {answer}")
    }

    pub fn source(before: SocketAddr, after: SocketAddr) -> String {
        format!("source {before} → {after}")
    }

    pub fn destination(before: SocketAddr, after: SocketAddr) -> String {
        format!("destination {before} → {after}")
    }

    pub const REWRITTEN: &str = "↓ rewritten by the FTP helper";

    pub fn expects(from: &str, to: SocketAddr) -> String {
        format!("FTP helper expects {from} → {to}")
    }
}
