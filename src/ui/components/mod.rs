//! The page's parts, each a Yew function component.

pub mod controls;
pub mod panels;
pub mod tables;
pub mod topology;
pub mod transcript;
