//! The world and its timeline: scenarios, the event-driven simulation, the trace, verdicts.
//!
//! | module         | what it holds                                                       |
//! |----------------|---------------------------------------------------------------------|
//! | [`capture`]    | pcap captures of a run at the client, the router's WAN or the server  |
//! | [`scenario`]   | every setting of a run, in one serde type                             |
//! | [`scenario_file`] | scenario files on the page, read and written through the table     |
//! | [`settings`]   | the one table of settings behind the form, the parser and the flags   |
//! | [`world`]      | hosts + devices + one event queue; one step = one queued event        |
//! | [`trace`]      | the events of a run, in data and in words                             |
//! | [`timeline`]   | a whole run, with snapshots to seek, step back and branch             |
//! | [`verdict`]    | completed, or failed with a cause, a device and the event at fault    |
//! | [`lessons`]    | the preset scenarios with their titles and introductions              |
//! | [`matrix`]     | every combination of toggles × modes, the comparison table            |

pub mod caption;
pub mod capture;
pub mod lessons;
pub mod matrix;
pub mod scenario;
pub mod scenario_file;
pub mod scene;
pub mod settings;
pub mod timeline;
pub mod trace;
pub mod verdict;
pub mod world;
