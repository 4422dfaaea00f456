//! YARA's `console` module: `console.log(...)` and `console.hex(...)` write a message and are
//! true, so a condition can trace values as it runs (`and console.log("size: ", filesize)`).
//!
//! Messages are formatted as YARA 4.2.3 formats them: a text's bytes outside printable ASCII
//! as `\xNN` (lowercase hex); an integer in decimal; a float with six decimals (`%f`);
//! `hex` as `0x` and the integer's two's-complement lowercase hex; a leading message text is
//! written as a C string (up to its first zero byte). They are collected in evaluation order
//! into the scan result ([`crate::scan::ScanResult::console`]), where yara hands them to its
//! callback; `specrt-scan` prints them as yara does, one per line.

use super::schema::{member, Arg, Kind, Member, Overload, Ret};
use super::{CallArgs, Returned};

/// The module's functions.
pub const DECLARATIONS: &[Member] = &[
    member(
        "log",
        Kind::Function(&[
            overload(&[Arg::Text], log_text),
            overload(&[Arg::Text, Arg::Text], log_text_with_message),
            overload(&[Arg::Int], log_integer),
            overload(&[Arg::Text, Arg::Int], log_integer_with_message),
            overload(&[Arg::Float], log_float),
            overload(&[Arg::Text, Arg::Float], log_float_with_message),
        ]),
    ),
    member(
        "hex",
        Kind::Function(&[
            overload(&[Arg::Int], hex),
            overload(&[Arg::Text, Arg::Int], hex_with_message),
        ]),
    ),
];

const fn overload(args: &'static [Arg], call: fn(&CallArgs<'_>) -> Option<Returned>) -> Overload {
    Overload {
        args,
        ret: Ret::Int,
        call,
    }
}

/// A text as YARA logs it: printable ASCII as is, other bytes as `\xNN`.
fn escaped(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for &b in text {
        if (0x20..0x7f).contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
        }
    }
    out
}

/// A message prefix as C's `%s` prints it: up to the first zero byte.
fn prefix(text: &[u8]) -> &[u8] {
    text.split(|&b| b == 0).next().unwrap_or(&[])
}

/// A float as C's `%f` prints it.
fn float_text(f: f64) -> String {
    if f.is_nan() {
        if f.is_sign_negative() { "-nan" } else { "nan" }.to_string()
    } else if f.is_infinite() {
        if f < 0.0 { "-inf" } else { "inf" }.to_string()
    } else {
        format!("{f:.6}")
    }
}

fn logged(message: Vec<u8>) -> Option<Returned> {
    Some(Returned::Logged(message))
}

fn log_text(call: &CallArgs<'_>) -> Option<Returned> {
    logged(escaped(call.text(0)))
}

fn log_text_with_message(call: &CallArgs<'_>) -> Option<Returned> {
    let mut message = prefix(call.text(0)).to_vec();
    message.extend_from_slice(&escaped(call.text(1)));
    logged(message)
}

fn log_integer(call: &CallArgs<'_>) -> Option<Returned> {
    logged(call.int(0).to_string().into_bytes())
}

fn log_integer_with_message(call: &CallArgs<'_>) -> Option<Returned> {
    let mut message = prefix(call.text(0)).to_vec();
    message.extend_from_slice(call.int(1).to_string().as_bytes());
    logged(message)
}

fn log_float(call: &CallArgs<'_>) -> Option<Returned> {
    logged(float_text(call.float(0)).into_bytes())
}

fn log_float_with_message(call: &CallArgs<'_>) -> Option<Returned> {
    let mut message = prefix(call.text(0)).to_vec();
    message.extend_from_slice(float_text(call.float(1)).as_bytes());
    logged(message)
}

fn hex(call: &CallArgs<'_>) -> Option<Returned> {
    logged(format!("0x{:x}", call.int(0) as u64).into_bytes())
}

fn hex_with_message(call: &CallArgs<'_>) -> Option<Returned> {
    let mut message = prefix(call.text(0)).to_vec();
    message.extend_from_slice(format!("0x{:x}", call.int(1) as u64).as_bytes());
    logged(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::modules::{ArgValue, Input, Object};

    fn message(name: &str, overload: usize, args: &[ArgValue<'_>]) -> Vec<u8> {
        let read = |_: u64, _: u64| None;
        let input = Input {
            size: 0,
            read: &read,
            whole: None,
        };
        let root = Object::structure();
        let Some(Member {
            kind: Kind::Function(overloads),
            ..
        }) = DECLARATIONS.iter().find(|m| m.name == name)
        else {
            panic!("{name}");
        };
        let call = CallArgs {
            module: &root,
            owner: &root,
            input: &input,
            args,
        };
        match (overloads[overload].call)(&call) {
            Some(Returned::Logged(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn messages_are_formatted_as_yara_formats_them() {
        use ArgValue::{Float, Int, Text};
        assert_eq!(
            message("log", 0, &[Text(b"a\x00b\xff\n")]),
            b"a\\x00b\\xff\\x0a"
        );
        assert_eq!(
            message("log", 1, &[Text(b"k=\x00ignored"), Text(b"v")]),
            b"k=v"
        );
        assert_eq!(message("log", 2, &[Int(-42)]), b"-42");
        assert_eq!(message("log", 3, &[Text(b"n: "), Int(7)]), b"n: 7");
        assert_eq!(message("log", 4, &[Float(1.5)]), b"1.500000");
        assert_eq!(
            message("log", 5, &[Text(b"f="), Float(f64::INFINITY)]),
            b"f=inf"
        );
        assert_eq!(message("hex", 0, &[Int(-1)]), b"0xffffffffffffffff");
        assert_eq!(message("hex", 1, &[Text(b"h "), Int(255)]), b"h 0xff");
    }
}
