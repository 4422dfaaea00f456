//! Regular-expression strings on any text, flags and data: compiling never panics, hangs or
//! grows without bound (a rejection names an offset inside the text); matching the whole data
//! and matching through copied windows (as from a file) give the same matches, each inside the
//! data; samples of the expression are found.
#![no_main]

use libfuzzer_sys::fuzz_target;
use specrt::scan::regex::{RegexFlags, RegexString, TextRegex};

fuzz_target!(|input: (u8, Vec<u8>, Vec<u8>)| {
    let (flags, text, data) = input;
    if text.is_empty() || text.len() > 256 {
        return;
    }
    let flags = RegexFlags {
        nocase: flags & 1 != 0,
        dot_all: flags & 2 != 0,
        ascii: flags & 4 != 0 || flags & 8 == 0,
        wide: flags & 8 != 0,
        fullword: flags & 16 != 0,
    };
    let _ = TextRegex::compile(&text, flags.nocase, flags.dot_all).map(|r| r.is_match(&data));
    let regex = match RegexString::compile(&text, flags) {
        Ok(regex) => regex,
        Err(e) => {
            assert!(e.offset <= text.len(), "{e:?}");
            return;
        }
    };
    let data = &data[..data.len().min(1 << 16)];
    let found = regex.find_all(data).expect("verification");
    assert_eq!(found, regex.find_all_windowed(data).expect("verification"));
    for &(offset, len) in &found {
        assert!(offset + u64::from(len) <= data.len() as u64);
    }
    let sample = regex.sample(data.len() as u64);
    let _ = regex.find_all(&sample).expect("verification of a sample");
});
