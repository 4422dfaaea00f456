//! The counter tail parser on any bytes: never panics; what it accepts encodes back to the same
//! last 8 bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use specrt::policy::{encode_counter_tail, parse_counter_tail};

fuzz_target!(|data: &[u8]| {
    if let Ok(report) = parse_counter_tail(data) {
        assert_eq!(&encode_counter_tail(report)[..], &data[data.len() - 8..]);
    }
});
