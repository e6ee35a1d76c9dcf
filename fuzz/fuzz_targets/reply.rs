//! The client's reply parser: `ReplyDecoder` on a byte stream cut into reads of any size
//! (multi-line replies, escaped middle lines, over-long lines), and the address readers on
//! every reply it reads.
//!
//! The first byte says how the stream is cut, or makes it a line near `MAX_LINE` long
//! (`ftpsim_fuzz::stream`).
//!
//! Invariants: no panic; the decoder reads the same replies however the stream is cut; a reply
//! read from the wire, written back with `to_bytes` and read again is the same reply (when its
//! wire lines still fit `MAX_LINE`: invalid UTF-8 read as U+FFFD grows on the way back).
#![no_main]

use ftpsim::ftp::codec::{parse_extended_passive_reply, parse_passive_reply};
use ftpsim_fuzz::{Decoded, WHOLE, fits_a_line, replies, stream};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((stream, cuts)) = stream(data) else { return };
    let whole = replies(&stream, WHOLE);
    let cut = replies(&stream, cuts);
    assert_eq!(whole, cut, "the same replies however the stream is cut ({cuts:?})");
    for item in whole {
        if let Decoded::Read(reply) = item {
            assert!((100..600).contains(&reply.code), "{reply:?}");
            assert!(!reply.lines.is_empty(), "{reply:?}");
            let _ = parse_passive_reply(&reply).map_err(|error| error.to_string());
            let _ = parse_extended_passive_reply(&reply).map_err(|error| error.to_string());
            if fits_a_line(&reply) {
                let again = replies(&reply.to_bytes(), WHOLE);
                assert_eq!(again, [Decoded::Read(reply.clone())], "{reply:?} written and read back");
            }
        }
    }
});
