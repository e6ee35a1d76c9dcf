//! The words around packet captures: where each capture point is, and a capture point that
//! does not exist.

/// The client's own network, between the client and the home router.
pub const CLIENT: &str = "Client's network (before the home router)";
/// The home router's internet side, after its NAT.
pub const WAN: &str = "Home router's internet side (after NAT)";
/// The server's own network, after the server's firewall or router.
pub const SERVER: &str = "Server's network (after its firewall)";

/// `unknown capture point "lan"; expected one of: client, wan, server`
pub fn unknown_point(got: &str, expected: &[&str]) -> String {
    format!("unknown capture point \"{got}\"; expected one of: {}", expected.join(", "))
}
