//! # ftpsim — FTP active and passive modes, simulated for the classroom
//!
//! A real FTP client and server (sans-IO state machines) talk over a simulated network of a
//! home router (NAT, stateful firewall, FTP helper), the internet, and a server firewall. Every
//! run is deterministic, can be stepped and rewound, and ends with a verdict that says why it
//! failed, which device was responsible, and what would fix it.
//!
//! | module     | layer                                                                  |
//! |------------|------------------------------------------------------------------------|
//! | [`time`]   | virtual time; nothing reads a wall clock                               |
//! | [`rng`]    | seeded pseudo-random numbers (passive and ephemeral ports)             |
//! | [`ftp`]    | sans-IO FTP: codec, client, server, file tree; knows nothing of networks |
//! | [`messages`] | every sentence a student reads, ready for translation                |
//! | [`net`]    | sans-IO network: packets, TCP-lite, conntrack, firewall, NAT, FTP helper |
//! | [`sim`]    | the world, its deterministic timeline, verdicts, lessons, the matrix    |
//! | [`assess`] | questions generated from a run, variants per student, attempts and scores |
//! | [`classroom`] | the teacher's session: timeline, cursor, toggles, quiz, side by side |
//! | [`picture`] | markup of the read-only views (topology, ladder, transcript, tables)  |
//! | `ui`       | the browser app (wasm32 only): a thin Yew view over the classroom        |
//!
//! The engine modules never import a web crate, never read a clock and never do I/O, so
//! `cargo test` on the host tests all of the logic.

pub mod assess;
pub mod classroom;
pub mod ftp;
pub mod messages;
pub mod net;
pub mod picture;
pub mod rng;
pub mod sim;
pub mod time;

#[cfg(target_arch = "wasm32")]
pub mod ui;

/// The engine version shown in the app and the terminal runner.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
