//! The YARA compiler on any source: never panics, hangs or grows without bound; a rejection is a
//! positioned parse error, an unsupported construct, or a size limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use specrt::scan::yara::{compile, CompileOptions};
use specrt::Error;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, source)) = data.split_first() else {
        return;
    };
    let options = CompileOptions {
        skip_unsupported: flags & 1 != 0,
        ..Default::default()
    };
    match compile(source, "fuzz.yar", options) {
        Ok(compiled) => assert!(compiled.rules.logic().is_some()),
        Err(Error::Parse { line, column, .. }) => assert!(line >= 1 && column >= 1),
        Err(Error::Unsupported(message)) => assert!(message.starts_with("fuzz.yar:")),
        Err(Error::TooLarge(_)) | Err(Error::InvalidArgument(_)) => {}
        Err(other) => panic!("unexpected error kind: {other}"),
    }
});
