//! The module parsers on hostile inputs: any bytes as a PE or ELF file (the PE fixtures of
//! tests/yara are in the corpus, so headers, section tables and Authenticode signatures are
//! reached), and every math and hash function on ranges the input picks. Never panics, and
//! loading the same input twice gives the same values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use specrt::scan::modules::{
    elf, hash, math, pe, Arg, ArgValue, CallArgs, Input, Kind, Member, Object,
};
use specrt::scan::regex::TextRegex;

/// Calls every overload of every function in `declarations` with arguments drawn from `seed`.
fn call_all(declarations: &[Member], input: &Input<'_>, seed: &[u8]) {
    let number = |i: usize| -> i64 {
        let b = seed.get(i % seed.len().max(1)).copied().unwrap_or(0) as i64;
        match b % 4 {
            0 => b,
            1 => input.size as i64 - b,
            2 => -b,
            _ => (b << 8) | b,
        }
    };
    let module = Object::structure();
    let regex = TextRegex::compile(b"[a-z]+", true, false).expect("a valid expression");
    for member in declarations {
        let Kind::Function(overloads) = member.kind else {
            continue;
        };
        for overload in overloads {
            let args: Vec<ArgValue<'_>> = overload
                .args
                .iter()
                .enumerate()
                .map(|(i, a)| match a {
                    Arg::Int => ArgValue::Int(number(i)),
                    Arg::Bool => ArgValue::Int(number(i) & 1),
                    Arg::Float => ArgValue::Float(number(i) as f64 / 3.0),
                    Arg::Text => ArgValue::Text(&seed[..seed.len().min(64)]),
                    Arg::Regex => ArgValue::Regex(&regex),
                })
                .collect();
            let call = CallArgs {
                module: &module,
                owner: &module,
                input,
                args: &args,
            };
            let _ = (overload.call)(&call);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let read = |start: u64, end: u64| data.get(start as usize..end as usize).map(<[u8]>::to_vec);
    let input = Input {
        size: data.len() as u64,
        read: &read,
        whole: None,
    };
    let first = pe::load(&input);
    assert_eq!(first, pe::load(&input));
    let first = elf::load(&input);
    assert_eq!(first, elf::load(&input));
    let seed = &data[..data.len().min(16)];
    call_all(math::DECLARATIONS, &input, seed);
    call_all(hash::DECLARATIONS, &input, seed);
    call_all(pe::DECLARATIONS, &input, seed);
});
