//! The server's command parser: `Command::parse` on one line, and `CommandDecoder` on a byte
//! stream cut into reads of any size.
//!
//! The first byte says how the stream is cut, or makes it a line near `MAX_LINE` long
//! (`ftpsim_fuzz::stream`).
//!
//! Invariants: no panic; an error's message can be written; the decoder reads the same commands
//! however the stream is cut; a command read from the wire, written back with `to_bytes` and
//! read again is the same command.
#![no_main]

use ftpsim::ftp::codec::Command;
use ftpsim_fuzz::{Decoded, WHOLE, commands, stream};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((stream, cuts)) = stream(data) else { return };
    let stream = &stream[..];
    if let Ok(line) = std::str::from_utf8(stream) {
        match Command::parse(line) {
            Ok(command) => {
                let _ = command.verb();
                let _ = command.to_string();
            }
            Err(error) => {
                let _ = error.to_string();
                let _ = error.verb();
            }
        }
    }
    let whole = commands(stream, WHOLE);
    let cut = commands(stream, cuts);
    assert_eq!(whole, cut, "the same commands however the stream is cut ({cuts:?})");
    for item in whole {
        if let Decoded::Read(command) = item {
            let again = commands(&command.to_bytes(), WHOLE);
            assert_eq!(again, [Decoded::Read(command.clone())], "{command:?} written and read back");
        }
    }
});
