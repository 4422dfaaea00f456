//! YARA's `string` module (YARA 4.3 and later; not in 4.2.3): conversions of texts.
//!
//! - `string.to_int(text)`: the integer the text writes, in C's notation: decimal, hexadecimal
//!   after `0x`, octal after a leading `0` (`"0x10"` and `"020"` are both 16).
//! - `string.to_int(text, base)`: the integer in `base`, 2 to 36 (digits `0`-`9` then `a`-`z`
//!   or `A`-`Z`), or 0 for C's notation as above; base 16 also accepts a `0x` prefix.
//! - `string.length(text)`: the number of bytes of the text.
//!
//! # C's `strtoll`, as YARA calls it
//!
//! `to_int` is defined only when C's `strtoll` reads the whole text without error:
//!
//! - leading white space (space, `\t`, `\n`, `\v`, `\f`, `\r`) is skipped, then an optional
//!   `+` or `-`, then the digits; anything after the digits, trailing white space included,
//!   makes the result undefined, and so does a text without digits (`""`, `"-"`, `"0x"`);
//! - a value outside the 64-bit signed range is undefined (`strtoll` reports `ERANGE`), but
//!   `"-9223372036854775808"` is defined;
//! - a base other than 0 or 2 to 36 is undefined;
//! - YARA hands `strtoll` the text as a C string, so the text ends at its first NUL byte:
//!   `to_int("12\0xyz")` is 12. `length` counts every byte, NULs included.
//!
//! C23's `0b` binary prefix is not accepted (`to_int("0b1", 0)` is undefined), as in the C
//! library's classic `strtoll`.

use crate::scan::modules::schema::{member, Arg, Kind, Member, Overload, Ret};
use crate::scan::modules::{CallArgs, Returned};

/// The module's functions, in YARA's declaration order.
pub const DECLARATIONS: &[Member] = &[
    member(
        "to_int",
        Kind::Function(&[
            Overload {
                args: &[Arg::Text],
                ret: Ret::Int,
                call: to_int,
            },
            Overload {
                args: &[Arg::Text, Arg::Int],
                ret: Ret::Int,
                call: to_int_base,
            },
        ]),
    ),
    member(
        "length",
        Kind::Function(&[Overload {
            args: &[Arg::Text],
            ret: Ret::Int,
            call: length,
        }]),
    ),
];

/// `to_int(text)`: the text in C's notation (base 0).
fn to_int(call: &CallArgs<'_>) -> Option<Returned> {
    strtoll(call.text(0), 0).map(Returned::Int)
}

/// `to_int(text, base)`.
fn to_int_base(call: &CallArgs<'_>) -> Option<Returned> {
    let base = u32::try_from(call.int(1)).ok()?;
    if base != 0 && !(2..=36).contains(&base) {
        return None;
    }
    strtoll(call.text(0), base).map(Returned::Int)
}

/// `length(text)`.
fn length(call: &CallArgs<'_>) -> Option<Returned> {
    Some(Returned::Int(call.text(0).len() as i64))
}

/// The value of `text` as C's `strtoll(text, &end, base)` reads it, when it reads all of the
/// text (up to its first NUL) without error; `base` is 0 or 2 to 36.
fn strtoll(text: &[u8], base: u32) -> Option<i64> {
    let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    let text = &text[..end];
    // C's `isspace` in the "C" locale: space, \t, \n, \v, \f and \r.
    let start = text
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t'..=b'\r'))
        .unwrap_or(text.len());
    let (negative, rest) = match text[start..].split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, &text[start..]),
    };
    let magnitude = magnitude(rest, base)?;
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// The number `text` writes after the sign, with C's prefixes for `base` 0 and 16: `None` when
/// there is no digit, when a byte is not a digit of the base, or past `u64::MAX`.
fn magnitude(text: &[u8], base: u32) -> Option<u64> {
    let mut rest = text;
    let mut base = base;
    if rest.first() == Some(&b'0') {
        if (base == 0 || base == 16) && matches!(rest.get(1), Some(b'x' | b'X')) {
            // After "0x" `strtoll` needs a hexadecimal digit; without one it reads just the
            // "0" and stops at the "x", which is not the end of the text: undefined either way.
            rest = &rest[2..];
            base = 16;
        } else if base == 0 {
            base = 8;
        }
    } else if base == 0 {
        base = 10;
    }
    if rest.is_empty() {
        return None;
    }
    rest.iter().try_fold(0u64, |value, &b| {
        let digit = char::from(b).to_digit(base)?;
        value
            .checked_mul(u64::from(base))?
            .checked_add(u64::from(digit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::modules::hash::tests::call;
    use crate::scan::modules::ArgValue;

    fn to_int(text: &[u8]) -> Option<i64> {
        match call(DECLARATIONS, "to_int", 0, b"", &[ArgValue::Text(text)]) {
            Some(Returned::Int(i)) => Some(i),
            None => None,
            other => panic!("to_int returned {other:?}"),
        }
    }

    fn to_int_base(text: &[u8], base: i64) -> Option<i64> {
        let args = [ArgValue::Text(text), ArgValue::Int(base)];
        match call(DECLARATIONS, "to_int", 1, b"", &args) {
            Some(Returned::Int(i)) => Some(i),
            None => None,
            other => panic!("to_int returned {other:?}"),
        }
    }

    #[test]
    fn c_notation() {
        assert_eq!(to_int(b"1234"), Some(1234));
        assert_eq!(to_int(b"-1"), Some(-1));
        assert_eq!(to_int(b"+7"), Some(7));
        assert_eq!(to_int(b"0"), Some(0));
        assert_eq!(to_int(b"-0"), Some(0));
        assert_eq!(to_int(b"0x10"), Some(16));
        assert_eq!(to_int(b"0XfF"), Some(255));
        assert_eq!(to_int(b"-0x10"), Some(-16));
        assert_eq!(to_int(b"010"), Some(8));
        assert_eq!(to_int(b"08"), None);
        assert_eq!(to_int(b"0b1"), None);
    }

    #[test]
    fn leading_white_space_only() {
        assert_eq!(to_int(b" \t\n\x0b\x0c\r42"), Some(42));
        assert_eq!(to_int(b"42 "), None);
        assert_eq!(to_int(b"- 7"), None);
        assert_eq!(to_int(b"12abc"), None);
    }

    #[test]
    fn texts_without_digits_are_undefined() {
        let texts: [&[u8]; 7] = [b"", b" ", b"-", b"+", b"0x", b"0xg", b"x1"];
        for text in texts {
            assert_eq!(to_int(text), None, "{text:?}");
        }
    }

    #[test]
    fn the_64_bit_range() {
        assert_eq!(to_int(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(to_int(b"9223372036854775808"), None);
        assert_eq!(to_int(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(to_int(b"-9223372036854775809"), None);
        assert_eq!(to_int(b"0x7fffffffffffffff"), Some(i64::MAX));
        assert_eq!(to_int(b"0xffffffffffffffff"), None);
        assert_eq!(to_int(b"99999999999999999999999"), None);
    }

    #[test]
    fn the_text_ends_at_its_first_nul() {
        assert_eq!(to_int(b"12\0xyz"), Some(12));
        assert_eq!(to_int(b"\x0012"), None);
    }

    #[test]
    fn bases() {
        assert_eq!(to_int_base(b"ff", 16), Some(255));
        assert_eq!(to_int_base(b"0xff", 16), Some(255));
        assert_eq!(to_int_base(b"0xff", 0), Some(255));
        assert_eq!(to_int_base(b"10", 0), Some(10));
        assert_eq!(to_int_base(b"017", 10), Some(17));
        assert_eq!(to_int_base(b"101", 2), Some(5));
        assert_eq!(to_int_base(b"12", 2), None);
        assert_eq!(to_int_base(b"z", 36), Some(35));
        assert_eq!(to_int_base(b"Z", 36), Some(35));
        // "0x" is a prefix only in bases 0 and 16: in base 36 "x" is the digit 33.
        assert_eq!(to_int_base(b"0x1", 36), Some(33 * 36 + 1));
        assert_eq!(to_int_base(b"-zz", 36), Some(-(35 * 36 + 35)));
    }

    #[test]
    fn bases_outside_2_to_36_are_undefined() {
        for base in [1, 37, -1, -16, i64::MAX] {
            assert_eq!(to_int_base(b"10", base), None, "{base}");
        }
    }

    #[test]
    fn length_counts_every_byte() {
        let length = |text: &[u8]| call(DECLARATIONS, "length", 0, b"", &[ArgValue::Text(text)]);
        assert_eq!(length(b"abc"), Some(Returned::Int(3)));
        assert_eq!(length(b""), Some(Returned::Int(0)));
        assert_eq!(length(b"a\0b"), Some(Returned::Int(3)));
        assert_eq!(length(b"\xff\xfe"), Some(Returned::Int(2)));
    }
}
