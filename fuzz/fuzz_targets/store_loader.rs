//! The autotune store loader on any bytes: never panics; a rejection is a positioned parse error
//! or a size limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use specrt::policy::autotune::file::parse_store;
use specrt::Error;

fuzz_target!(|data: &[u8]| {
    match parse_store(data, "fuzz.toml") {
        Ok(_) | Err(Error::TooLarge(_)) => {}
        Err(Error::Parse { line, column, .. }) => assert!(line >= 1 && column >= 1),
        Err(other) => panic!("unexpected error kind: {other}"),
    }
});
