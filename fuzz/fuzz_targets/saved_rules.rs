//! The loader of saved rule sets on hostile files: any bytes, and any payload behind a valid
//! header (magic, version, length and checksum recomputed, so decoding and validation are
//! reached). Never panics; a rejection is `Error::Format`; a rule set that loads can be
//! compiled into a scanner and scan without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use specrt::scan::gpu::stable_hash;
use specrt::scan::saved::{FORMAT_VERSION, MAGIC};
use specrt::scan::{RuleSet, ScanOptions, Scanner};
use specrt::Error;

fn check(bytes: &[u8]) {
    match RuleSet::from_bytes(bytes) {
        Ok(rules) => {
            if let Ok(scanner) = Scanner::new(None, &rules) {
                let data = b"MZ\x90\x00 abc KEY=1 \x00\x00 token";
                let _ = scanner.scan(data, &ScanOptions::default(), None, None);
            }
        }
        Err(Error::Format(_)) => {}
        Err(other) => panic!("unexpected error kind: {other}"),
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    // The same bytes (past a valid file's header, when they start with one) as the payload of a
    // well-formed header.
    let payload = if data.len() >= 28 && &data[..8] == MAGIC {
        &data[28..]
    } else {
        data
    };
    let mut file = MAGIC.to_vec();
    file.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    file.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    file.extend_from_slice(&stable_hash(payload).to_le_bytes());
    file.extend_from_slice(payload);
    check(&file);
});
