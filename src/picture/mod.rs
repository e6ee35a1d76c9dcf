//! What the page draws, computed natively: the topology picture (laid out so no label overlaps
//! another, written as SVG with maud), the rows of the ladder diagram, the lines of the
//! transcript, the device tables, the printed handout, worksheet and answer key, and the
//! `<iframe>` code that embeds the page in a course page.
//!
//! Nothing here touches the browser. The page's Yew components turn the ladder rows and the
//! transcript lines into keyed, clickable elements; the topology and the tables are read-only
//! markup the page puts in place as one node per panel. Every text goes through maud, which
//! escapes it by construction: nothing a user types ever becomes markup.

pub mod embed;
pub mod handout;
pub mod ladder;
pub mod qr;
pub mod tables;
pub mod text;
pub mod topology;
pub mod transcript;
