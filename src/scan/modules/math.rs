//! YARA's `math` module: statistics of input ranges and texts, and numeric helpers.
//!
//! The statistics are those of the `ent` randomness test.
//!
//! # What it computes
//!
//! The statistics have an `(offset, size)` overload over the scanned input and a `(text)`
//! overload, in that order:
//!
//! - `entropy`: the Shannon entropy of the bytes, −Σ p·log2 p over the frequencies p of the
//!   byte values, from 0 (one value repeated) to 8 (every value equally often).
//! - `mean`: the arithmetic mean of the bytes. `MEAN_BYTES` (127.5) is the mean of uniformly
//!   random bytes.
//! - `deviation(.., mean)`: the mean absolute deviation of the bytes from `mean`.
//! - `serial_correlation`: how much each byte depends on the one before, about 0 for random
//!   data and near 1 for slowly varying data.
//! - `monte_carlo_pi`: each 6 consecutive bytes are a point (two 24-bit coordinates) in a
//!   square; the share of points inside the inscribed quarter circle, times 4, estimates π.
//!   The result is the estimate's relative error |π̂ − π| / π: small for random data.
//!
//! Then byte counts, over a range or (without one) over the whole input: `count(byte)`,
//! `percentage(byte)` (its share of the bytes) and `mode()` (the most common byte, the
//! smallest one on a tie). And numbers: `in_range(x, lower, upper)` (1 when
//! `lower <= x <= upper`, else 0), `min`, `max`, `to_number(bool)` (0 or 1) and `abs`.
//!
//! # YARA 4.2.3's quirks, kept
//!
//! - Ranges are read as the `hash` module reads them (its `for_range`, shared): a negative
//!   offset or size, or an offset at or past the end, is undefined (so every range
//!   of an empty input is); a range is cut at the end of the input. A size of 0 inside the
//!   input is an empty range, and each function does what its C does with no bytes: `entropy`
//!   is 0, `serial_correlation` is −100000, `count` and `mode` are 0, while `mean`,
//!   `deviation` and `percentage` divide 0 by 0 and `monte_carlo_pi` (which needs 6 bytes)
//!   gives undefined.
//! - A NaN result is undefined: YARA stores a float result and reads a NaN as undefined.
//! - The text overloads of `mean`, `deviation`, `serial_correlation` and `monte_carlo_pi` read
//!   the text as C's signed `char` (x86-64): bytes 0x80..=0xFF are −128..=−1, and
//!   `monte_carlo_pi` then converts them to `unsigned int` (0x80 becomes 0xFFFFFF80, whose
//!   point lies far outside the circle). So `math.mean("\xff\x01")` is 0 while the mean of the
//!   same two bytes of the input is 128. Text `entropy` reads unsigned bytes, as the range
//!   overload does. An empty text has `mean` and `deviation` undefined (0 / 0), `entropy` 0,
//!   `serial_correlation` −100000 and `monte_carlo_pi` undefined.
//! - `serial_correlation` closes the cycle with last × last where `ent` uses last × first, and
//!   gives −100000 when its denominator is 0 (no bytes, or all bytes equal).
//! - `percentage` divides in C's single-precision `float`: the result is rounded to `f32`.
//! - `min` and `max` compare as unsigned 64-bit numbers: `math.min(-1, 5)` is 5.
//! - `abs` of the most negative integer is itself (C's `llabs` wraps on x86-64).
//! - `count` and `percentage` take their byte modulo 256 (C's cast to `uint8_t`).
//! - Byte counts are C's 32-bit counters, which wrap past 2^32 occurrences of one value.
//! - The whole-input `count`, `percentage` and `mode` are undefined for an empty input: the
//!   `yara` command line maps an empty file to no data at all, and YARA's whole-input byte
//!   distribution is undefined for a block without data.

use crate::scan::modules::hash::for_range;
use crate::scan::modules::schema::{member, Arg, Kind, Member, Overload, Ret};
use crate::scan::modules::{CallArgs, Input, Object, Returned};
use std::f64::consts::PI;

/// The mean of uniformly random bytes: the value of `math.MEAN_BYTES`.
pub(crate) const MEAN_BYTES: f64 = 127.5;

/// The arguments of the range overloads: offset and size.
const RANGE: &[Arg] = &[Arg::Int, Arg::Int];

/// The argument of the text overloads.
const TEXT: &[Arg] = &[Arg::Text];

/// The module's constant and functions, in YARA 4.2.3's declaration order.
pub const DECLARATIONS: &[Member] = &[
    member("MEAN_BYTES", Kind::Float),
    member(
        "in_range",
        Kind::Function(&[Overload {
            args: &[Arg::Float, Arg::Float, Arg::Float],
            ret: Ret::Int,
            call: in_range,
        }]),
    ),
    member(
        "deviation",
        Kind::Function(&[
            Overload {
                args: &[Arg::Int, Arg::Int, Arg::Float],
                ret: Ret::Float,
                call: deviation_range,
            },
            Overload {
                args: &[Arg::Text, Arg::Float],
                ret: Ret::Float,
                call: deviation_text,
            },
        ]),
    ),
    member(
        "mean",
        Kind::Function(&[
            Overload {
                args: RANGE,
                ret: Ret::Float,
                call: mean_range,
            },
            Overload {
                args: TEXT,
                ret: Ret::Float,
                call: mean_text,
            },
        ]),
    ),
    member(
        "serial_correlation",
        Kind::Function(&[
            Overload {
                args: RANGE,
                ret: Ret::Float,
                call: serial_correlation_range,
            },
            Overload {
                args: TEXT,
                ret: Ret::Float,
                call: serial_correlation_text,
            },
        ]),
    ),
    member(
        "monte_carlo_pi",
        Kind::Function(&[
            Overload {
                args: RANGE,
                ret: Ret::Float,
                call: monte_carlo_pi_range,
            },
            Overload {
                args: TEXT,
                ret: Ret::Float,
                call: monte_carlo_pi_text,
            },
        ]),
    ),
    member(
        "entropy",
        Kind::Function(&[
            Overload {
                args: RANGE,
                ret: Ret::Float,
                call: entropy_range,
            },
            Overload {
                args: TEXT,
                ret: Ret::Float,
                call: entropy_text,
            },
        ]),
    ),
    member(
        "min",
        Kind::Function(&[Overload {
            args: &[Arg::Int, Arg::Int],
            ret: Ret::Int,
            call: min,
        }]),
    ),
    member(
        "max",
        Kind::Function(&[Overload {
            args: &[Arg::Int, Arg::Int],
            ret: Ret::Int,
            call: max,
        }]),
    ),
    member(
        "to_number",
        // The evaluator passes the boolean as 0 or 1.
        Kind::Function(&[Overload {
            args: &[Arg::Bool],
            ret: Ret::Int,
            call: to_number,
        }]),
    ),
    member(
        "abs",
        Kind::Function(&[Overload {
            args: &[Arg::Int],
            ret: Ret::Int,
            call: abs,
        }]),
    ),
    member(
        "count",
        Kind::Function(&[
            Overload {
                args: &[Arg::Int, Arg::Int, Arg::Int],
                ret: Ret::Int,
                call: count_range,
            },
            Overload {
                args: &[Arg::Int],
                ret: Ret::Int,
                call: count_input,
            },
        ]),
    ),
    member(
        "percentage",
        Kind::Function(&[
            Overload {
                args: &[Arg::Int, Arg::Int, Arg::Int],
                ret: Ret::Float,
                call: percentage_range,
            },
            Overload {
                args: &[Arg::Int],
                ret: Ret::Float,
                call: percentage_input,
            },
        ]),
    ),
    member(
        "mode",
        Kind::Function(&[
            Overload {
                args: RANGE,
                ret: Ret::Int,
                call: mode_range,
            },
            Overload {
                args: &[],
                ret: Ret::Int,
                call: mode_input,
            },
        ]),
    ),
];

/// The module's values, the same for every input: `MEAN_BYTES`.
pub fn load(_: &Input<'_>) -> Object {
    let mut root = Object::structure();
    root.set("MEAN_BYTES", MEAN_BYTES);
    root
}

/// A float result: NaN (0 / 0) is undefined, as YARA reads it.
fn float(value: f64) -> Option<Returned> {
    (!value.is_nan()).then_some(Returned::Float(value))
}

/// A byte of a text as YARA's C reads `s->c_string[i]`: a signed `char` on x86-64.
fn signed(byte: u8) -> f64 {
    f64::from(byte as i8)
}

/// How many times each byte value occurs, in C's 32-bit counters (which wrap).
type Counts = [u32; 256];

/// Adds the bytes of `bytes` to `counts`.
fn tally(counts: &mut Counts, bytes: &[u8]) {
    for &b in bytes {
        let slot = &mut counts[usize::from(b)];
        *slot = slot.wrapping_add(1);
    }
}

/// The number of bytes `counts` counted (YARA's `size_t` sum of the counters).
fn total(counts: &Counts) -> u64 {
    counts.iter().map(|&c| u64::from(c)).sum()
}

/// The byte counts of the range whose offset and size are arguments `first` and `first + 1`.
fn range_counts(call: &CallArgs<'_>, first: usize) -> Option<Counts> {
    let mut counts = [0; 256];
    for_range(call.input, call.int(first), call.int(first + 1), |block| {
        tally(&mut counts, block)
    })?;
    Some(counts)
}

/// The byte counts of the whole input: undefined for an empty input, whose empty file the
/// `yara` command line maps to no data (see the module documentation).
fn input_counts(input: &Input<'_>) -> Option<Counts> {
    if input.size == 0 {
        return None;
    }
    let mut counts = [0; 256];
    input
        .blocks(0, input.size, |block| tally(&mut counts, block))
        .then_some(counts)
}

/// Σ weight(byte) × count(byte) / Σ count(byte), summed over every byte value in order (counts
/// of 0 included) as YARA's range `mean` and `deviation` do.
fn weighted_mean(counts: &Counts, weight: impl Fn(f64) -> f64) -> Option<Returned> {
    let mut sum = 0.0;
    let mut total = 0u64;
    for (byte, &count) in counts.iter().enumerate() {
        total += u64::from(count);
        sum += weight(byte as f64) * f64::from(count);
    }
    float(sum / total as f64)
}

/// Σ value(signed byte) / length over a text, as YARA's text `mean` and `deviation` do.
fn text_mean(text: &[u8], value: impl Fn(f64) -> f64) -> Option<Returned> {
    let sum = text.iter().fold(0.0, |sum, &b| sum + value(signed(b)));
    float(sum / text.len() as f64)
}

/// `deviation(offset, size, mean)`.
fn deviation_range(call: &CallArgs<'_>) -> Option<Returned> {
    let mean = call.float(2);
    weighted_mean(&range_counts(call, 0)?, |byte| (byte - mean).abs())
}

/// `deviation(text, mean)`.
fn deviation_text(call: &CallArgs<'_>) -> Option<Returned> {
    let mean = call.float(1);
    text_mean(call.text(0), |byte| (byte - mean).abs())
}

/// `mean(offset, size)`.
fn mean_range(call: &CallArgs<'_>) -> Option<Returned> {
    weighted_mean(&range_counts(call, 0)?, |byte| byte)
}

/// `mean(text)`.
fn mean_text(call: &CallArgs<'_>) -> Option<Returned> {
    text_mean(call.text(0), |byte| byte)
}

/// The running sums of `ent`'s serial correlation coefficient, as YARA computes it.
#[derive(Default)]
struct SerialCorrelation {
    /// Values seen.
    n: u64,
    /// The last value (0 before the first).
    last: f64,
    /// Σ previous × value.
    products: f64,
    /// Σ value.
    sum: f64,
    /// Σ value².
    squares: f64,
}

impl SerialCorrelation {
    fn push(&mut self, value: f64) {
        self.products += self.last * value;
        self.sum += value;
        self.squares += value * value;
        self.last = value;
        self.n += 1;
    }

    /// The coefficient: (n·Σxy − (Σx)²) / (n·Σx² − (Σx)²), where Σxy wraps around with
    /// last × last (YARA's slip for `ent`'s last × first), and −100000 when the denominator
    /// is 0.
    fn value(&self) -> f64 {
        let products = self.products + self.last * self.last;
        let sum_squared = self.sum * self.sum;
        let n = self.n as f64;
        let denominator = n * self.squares - sum_squared;
        if denominator == 0.0 {
            -100000.0
        } else {
            (n * products - sum_squared) / denominator
        }
    }
}

/// `serial_correlation(offset, size)`.
fn serial_correlation_range(call: &CallArgs<'_>) -> Option<Returned> {
    let mut scc = SerialCorrelation::default();
    for_range(call.input, call.int(0), call.int(1), |block| {
        for &b in block {
            scc.push(f64::from(b));
        }
    })?;
    float(scc.value())
}

/// `serial_correlation(text)`.
fn serial_correlation_text(call: &CallArgs<'_>) -> Option<Returned> {
    let mut scc = SerialCorrelation::default();
    for &b in call.text(0) {
        scc.push(signed(b));
    }
    float(scc.value())
}

/// The square of the largest 24-bit coordinate: points within it are inside the circle.
const IN_CIRCLE: f64 = 16_777_215.0 * 16_777_215.0;

/// The running state of `ent`'s Monte Carlo estimate of π, as YARA computes it.
#[derive(Default)]
struct MonteCarloPi {
    /// The values of the current group of 6.
    group: [u32; 6],
    /// Where the next value goes in `group`.
    slot: usize,
    /// Complete groups (points) seen.
    points: i64,
    /// Points inside the circle.
    inside: i64,
}

impl MonteCarloPi {
    fn push(&mut self, value: u32) {
        self.group[self.slot] = value;
        if self.slot < 5 {
            self.slot += 1;
            return;
        }
        self.slot = 0;
        let coordinate = |values: &[u32]| {
            values
                .iter()
                .fold(0.0, |c: f64, &v| c * 256.0 + f64::from(v))
        };
        let x = coordinate(&self.group[..3]);
        let y = coordinate(&self.group[3..]);
        self.points += 1;
        if x * x + y * y <= IN_CIRCLE {
            self.inside += 1;
        }
    }

    /// |π̂ − π| / π, undefined without a complete point.
    fn value(&self) -> Option<Returned> {
        if self.points == 0 {
            return None;
        }
        let estimate = 4.0 * (self.inside as f64 / self.points as f64);
        float(((estimate - PI) / PI).abs())
    }
}

/// `monte_carlo_pi(offset, size)`.
fn monte_carlo_pi_range(call: &CallArgs<'_>) -> Option<Returned> {
    let mut monte = MonteCarloPi::default();
    for_range(call.input, call.int(0), call.int(1), |block| {
        for &b in block {
            monte.push(u32::from(b));
        }
    })?;
    monte.value()
}

/// `monte_carlo_pi(text)`: each byte is C's `(unsigned int)` of a signed `char`.
fn monte_carlo_pi_text(call: &CallArgs<'_>) -> Option<Returned> {
    let mut monte = MonteCarloPi::default();
    for &b in call.text(0) {
        monte.push(b as i8 as u32);
    }
    monte.value()
}

/// The Shannon entropy, in bits per byte, of `total` bytes counted in `counts`.
fn entropy(counts: &Counts, total: f64) -> f64 {
    let mut entropy = 0.0;
    for &count in counts {
        if count != 0 {
            let p = f64::from(count) / total;
            entropy -= p * p.log2();
        }
    }
    entropy
}

/// `entropy(offset, size)`.
fn entropy_range(call: &CallArgs<'_>) -> Option<Returned> {
    let counts = range_counts(call, 0)?;
    float(entropy(&counts, total(&counts) as f64))
}

/// `entropy(text)`.
fn entropy_text(call: &CallArgs<'_>) -> Option<Returned> {
    let text = call.text(0);
    let mut counts = [0; 256];
    tally(&mut counts, text);
    float(entropy(&counts, text.len() as f64))
}

/// `in_range(x, lower, upper)`: 1 when `lower <= x <= upper`, else 0.
fn in_range(call: &CallArgs<'_>) -> Option<Returned> {
    let (x, lower, upper) = (call.float(0), call.float(1), call.float(2));
    Some(Returned::Int((lower..=upper).contains(&x).into()))
}

/// `min(a, b)`, compared as unsigned numbers.
fn min(call: &CallArgs<'_>) -> Option<Returned> {
    let (a, b) = (call.int(0) as u64, call.int(1) as u64);
    Some(Returned::Int(a.min(b) as i64))
}

/// `max(a, b)`, compared as unsigned numbers.
fn max(call: &CallArgs<'_>) -> Option<Returned> {
    let (a, b) = (call.int(0) as u64, call.int(1) as u64);
    Some(Returned::Int(a.max(b) as i64))
}

/// `to_number(bool)`: 1 for true, 0 for false.
fn to_number(call: &CallArgs<'_>) -> Option<Returned> {
    Some(Returned::Int((call.int(0) != 0).into()))
}

/// `abs(i)`, wrapping for the most negative integer.
fn abs(call: &CallArgs<'_>) -> Option<Returned> {
    Some(Returned::Int(call.int(0).wrapping_abs()))
}

/// How many bytes of `counts` are `byte` modulo 256.
fn count(counts: &Counts, byte: i64) -> Option<Returned> {
    Some(Returned::Int(counts[usize::from(byte as u8)].into()))
}

/// `count(byte, offset, size)`.
fn count_range(call: &CallArgs<'_>) -> Option<Returned> {
    count(&range_counts(call, 1)?, call.int(0))
}

/// `count(byte)` over the whole input.
fn count_input(call: &CallArgs<'_>) -> Option<Returned> {
    count(&input_counts(call.input)?, call.int(0))
}

/// The share of `byte` (modulo 256) among the bytes of `counts`, divided in `f32` as YARA's C
/// divides.
fn percentage(counts: &Counts, byte: i64) -> Option<Returned> {
    let count = i64::from(counts[usize::from(byte as u8)]);
    let total = total(counts) as i64;
    float(f64::from(count as f32 / total as f32))
}

/// `percentage(byte, offset, size)`.
fn percentage_range(call: &CallArgs<'_>) -> Option<Returned> {
    percentage(&range_counts(call, 1)?, call.int(0))
}

/// `percentage(byte)` over the whole input.
fn percentage_input(call: &CallArgs<'_>) -> Option<Returned> {
    percentage(&input_counts(call.input)?, call.int(0))
}

/// The most common byte of `counts`, the smallest on a tie (0 when nothing was counted).
fn mode(counts: &Counts) -> Option<Returned> {
    let mut most = 0;
    for (byte, &count) in counts.iter().enumerate() {
        if count > counts[most] {
            most = byte;
        }
    }
    Some(Returned::Int(most as i64))
}

/// `mode(offset, size)`.
fn mode_range(call: &CallArgs<'_>) -> Option<Returned> {
    mode(&range_counts(call, 0)?)
}

/// `mode()` over the whole input.
fn mode_input(call: &CallArgs<'_>) -> Option<Returned> {
    mode(&input_counts(call.input)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::modules::hash::tests::call;
    use crate::scan::modules::ArgValue;

    /// Overload `index` of `name` over the input `data`.
    fn math(name: &str, index: usize, data: &[u8], args: &[ArgValue<'_>]) -> Option<Returned> {
        call(DECLARATIONS, name, index, data, args)
    }

    /// The range overload of a statistic over `data[offset..offset + size]`.
    fn range(name: &str, data: &[u8], offset: i64, size: i64) -> Option<Returned> {
        math(name, 0, data, &[ArgValue::Int(offset), ArgValue::Int(size)])
    }

    /// The text overload of a statistic of `text`.
    fn text(name: &str, text: &[u8]) -> Option<Returned> {
        math(name, 1, b"", &[ArgValue::Text(text)])
    }

    fn float(value: f64) -> Option<Returned> {
        Some(Returned::Float(value))
    }

    fn int(value: i64) -> Option<Returned> {
        Some(Returned::Int(value))
    }

    /// `|estimate - π| / π`, the result of `monte_carlo_pi`.
    fn pi_error(estimate: f64) -> Option<Returned> {
        float(((estimate - PI) / PI).abs())
    }

    #[test]
    fn declarations_follow_yara() {
        let names: Vec<_> = DECLARATIONS.iter().map(|m| m.name).collect();
        assert_eq!(
            names,
            [
                "MEAN_BYTES",
                "in_range",
                "deviation",
                "mean",
                "serial_correlation",
                "monte_carlo_pi",
                "entropy",
                "min",
                "max",
                "to_number",
                "abs",
                "count",
                "percentage",
                "mode",
            ]
        );
        let Kind::Function(mode) = DECLARATIONS[13].kind else {
            panic!("mode is a function");
        };
        assert_eq!(mode[0].args, RANGE);
        assert!(mode[1].args.is_empty());
    }

    #[test]
    fn mean_bytes_is_a_value() {
        let input = Input {
            size: 0,
            read: &|_, _| None,
            whole: None,
        };
        assert_eq!(load(&input).member("MEAN_BYTES"), &Object::Float(127.5));
    }

    #[test]
    fn entropy_of_every_byte_once_is_8() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(range("entropy", &all, 0, 256), float(8.0));
        assert_eq!(text("entropy", &all), float(8.0));
        assert_eq!(range("entropy", &all, 0, 4), float(2.0));
        assert_eq!(text("entropy", b"aabb"), float(1.0));
        assert_eq!(text("entropy", b"aaaa"), float(0.0));
        assert_eq!(text("entropy", b""), float(0.0));
        assert_eq!(range("entropy", b"abc", 1, 0), float(0.0));
        assert_eq!(range("entropy", b"", 0, 0), None);
    }

    #[test]
    fn mean_and_deviation() {
        assert_eq!(range("mean", b"\x00\x02\x04", 0, 3), float(2.0));
        assert_eq!(range("mean", b"\x00\x02\x04", 1, 100), float(3.0));
        assert_eq!(text("mean", b"\x00\x02\x04"), float(2.0));
        let deviation = |data: &[u8], mean: f64| {
            let args = [
                ArgValue::Int(0),
                ArgValue::Int(data.len() as i64),
                ArgValue::Float(mean),
            ];
            let range = math("deviation", 0, data, &args);
            let text = math(
                "deviation",
                1,
                b"",
                &[ArgValue::Text(data), ArgValue::Float(mean)],
            );
            (range, text)
        };
        assert_eq!(deviation(b"\x00\x0a", 5.0), (float(5.0), float(5.0)));
        assert_eq!(deviation(b"\x00\x0a", 0.0), (float(5.0), float(5.0)));
    }

    #[test]
    fn texts_are_read_as_signed_chars() {
        assert_eq!(range("mean", b"\xff\x01", 0, 2), float(128.0));
        assert_eq!(text("mean", b"\xff\x01"), float(0.0));
        let args = [ArgValue::Text(b"\xff"), ArgValue::Float(0.0)];
        assert_eq!(math("deviation", 1, b"", &args), float(1.0));
        let args = [ArgValue::Int(0), ArgValue::Int(1), ArgValue::Float(0.0)];
        assert_eq!(math("deviation", 0, b"\xff", &args), float(255.0));
    }

    #[test]
    fn divisions_of_nothing_are_undefined() {
        assert_eq!(text("mean", b""), None);
        assert_eq!(range("mean", b"abc", 1, 0), None);
        let args = [ArgValue::Text(b""), ArgValue::Float(1.0)];
        assert_eq!(math("deviation", 1, b"", &args), None);
        let args = [ArgValue::Int(0), ArgValue::Int(0), ArgValue::Float(1.0)];
        assert_eq!(math("deviation", 0, b"abc", &args), None);
    }

    #[test]
    fn serial_correlation_closes_with_last_times_last() {
        // Σxy = 1·2 + 2·2 = 6 (ent would add 2·1), Σx = 3, Σx² = 5:
        // (2·6 − 9) / (2·5 − 9) = 3.
        assert_eq!(range("serial_correlation", b"\x01\x02", 0, 2), float(3.0));
        assert_eq!(text("serial_correlation", b"\x01\x02"), float(3.0));
        // Bytes 255, 1: Σxy = 255 + 1, Σx = 256, Σx² = 65026.
        let expected = (2.0 * 256.0 - 65536.0) / (2.0 * 65026.0 - 65536.0);
        assert_eq!(
            range("serial_correlation", b"\xff\x01", 0, 2),
            float(expected)
        );
        // As signed chars, −1 and 1: Σxy = −1 + 1 = 0, Σx = 0, Σx² = 2: 0 / 4.
        assert_eq!(text("serial_correlation", b"\xff\x01"), float(0.0));
    }

    #[test]
    fn serial_correlation_without_variance_is_minus_100000() {
        assert_eq!(range("serial_correlation", b"aaaa", 0, 4), float(-100000.0));
        assert_eq!(range("serial_correlation", b"abc", 1, 0), float(-100000.0));
        assert_eq!(text("serial_correlation", b""), float(-100000.0));
        assert_eq!(range("serial_correlation", b"", 0, 0), None);
    }

    #[test]
    fn monte_carlo_pi_counts_points_of_six_bytes() {
        // (0, 0) is inside the circle: π̂ = 4.
        assert_eq!(range("monte_carlo_pi", &[0; 6], 0, 6), pi_error(4.0));
        assert_eq!(text("monte_carlo_pi", &[0; 6]), pi_error(4.0));
        // (0xFFFFFF, 0xFFFFFF) is outside: π̂ = 0, an error of exactly 1.
        assert_eq!(range("monte_carlo_pi", &[0xff; 6], 0, 6), float(1.0));
        // One point in, one out; the 5 bytes after the last point are ignored.
        let mut data = vec![0u8; 6];
        data.extend([0xff; 11]);
        assert_eq!(range("monte_carlo_pi", &data, 0, 17), pi_error(2.0));
        // Fewer than 6 bytes: no point.
        assert_eq!(range("monte_carlo_pi", &[0; 5], 0, 5), None);
        assert_eq!(range("monte_carlo_pi", &[0; 9], 4, 100), None);
        assert_eq!(text("monte_carlo_pi", b""), None);
    }

    #[test]
    fn monte_carlo_pi_of_texts_converts_signed_chars_to_unsigned() {
        // The input's 0x808080 coordinates lie inside the circle, the text's 0xFFFFFF80 ones
        // far outside.
        assert_eq!(range("monte_carlo_pi", &[0x80; 6], 0, 6), pi_error(4.0));
        assert_eq!(text("monte_carlo_pi", &[0x80; 6]), float(1.0));
    }

    #[test]
    fn monte_carlo_pi_groups_run_across_blocks() {
        // 1 MiB + 2 bytes are 174763 points; the point at 1 MiB − 4 straddles the first
        // block's end and is the only one outside the circle.
        let mut data = vec![0u8; (1 << 20) + 2];
        data[(1 << 20) - 4..].fill(0xff);
        let size = data.len() as i64;
        let estimate = 4.0 * (174_762.0 / 174_763.0);
        assert_eq!(range("monte_carlo_pi", &data, 0, size), pi_error(estimate));
    }

    #[test]
    fn counts_percentages_and_modes() {
        let data = b"abracadabra";
        let count = |args: &[ArgValue<'_>]| math("count", usize::from(args.len() == 1), data, args);
        assert_eq!(count(&[ArgValue::Int(97)]), int(5));
        assert_eq!(count(&[ArgValue::Int(97 + 256)]), int(5));
        assert_eq!(count(&[ArgValue::Int(b'z'.into())]), int(0));
        let abra = [ArgValue::Int(97), ArgValue::Int(0), ArgValue::Int(4)];
        assert_eq!(count(&abra), int(2));
        let nothing = [ArgValue::Int(97), ArgValue::Int(3), ArgValue::Int(0)];
        assert_eq!(count(&nothing), int(0));

        let percentage = math("percentage", 1, data, &[ArgValue::Int(97)]);
        assert_eq!(percentage, float(f64::from(5.0f32 / 11.0f32)));
        assert_ne!(percentage, float(5.0 / 11.0));
        assert_eq!(math("percentage", 0, data, &abra), float(0.5));
        assert_eq!(math("percentage", 0, data, &nothing), None);

        assert_eq!(math("mode", 1, data, &[]), int(97));
        // "br": a tie, the smaller byte wins.
        assert_eq!(range("mode", data, 1, 2), int(98));
        assert_eq!(range("mode", data, 1, 0), int(0));
        assert_eq!(range("mode", data, 11, 1), None);
    }

    #[test]
    fn whole_input_counts_of_an_empty_input_are_undefined() {
        assert_eq!(math("count", 1, b"", &[ArgValue::Int(0)]), None);
        assert_eq!(math("percentage", 1, b"", &[ArgValue::Int(0)]), None);
        assert_eq!(math("mode", 1, b"", &[]), None);
    }

    #[test]
    fn ranges_outside_the_input_are_undefined() {
        for name in [
            "mean",
            "serial_correlation",
            "monte_carlo_pi",
            "entropy",
            "mode",
        ] {
            assert_eq!(range(name, b"abcdefgh", -1, 8), None, "{name}");
            assert_eq!(range(name, b"abcdefgh", 0, -1), None, "{name}");
            assert_eq!(range(name, b"abcdefgh", 8, 1), None, "{name}");
        }
        let args = [ArgValue::Int(97), ArgValue::Int(-1), ArgValue::Int(1)];
        assert_eq!(math("count", 0, b"a", &args), None);
    }

    #[test]
    fn numbers() {
        let floats = |x: f64, lower: f64, upper: f64| {
            let args = [
                ArgValue::Float(x),
                ArgValue::Float(lower),
                ArgValue::Float(upper),
            ];
            math("in_range", 0, b"", &args)
        };
        assert_eq!(floats(0.5, 0.0, 1.0), int(1));
        assert_eq!(floats(1.0, 0.0, 1.0), int(1));
        assert_eq!(floats(2.0, 0.0, 1.0), int(0));
        assert_eq!(floats(f64::NAN, 0.0, 1.0), int(0));

        let ints =
            |name: &str, a: i64, b: i64| math(name, 0, b"", &[ArgValue::Int(a), ArgValue::Int(b)]);
        assert_eq!(ints("min", 2, 3), int(2));
        assert_eq!(ints("max", 2, 3), int(3));
        // Compared as unsigned numbers.
        assert_eq!(ints("min", -1, 5), int(5));
        assert_eq!(ints("max", -1, 5), int(-1));

        let one = |name: &str, a: i64| math(name, 0, b"", &[ArgValue::Int(a)]);
        assert_eq!(one("to_number", 0), int(0));
        assert_eq!(one("to_number", 1), int(1));
        assert_eq!(one("to_number", 7), int(1));
        assert_eq!(one("abs", -5), int(5));
        assert_eq!(one("abs", 5), int(5));
        assert_eq!(one("abs", i64::MIN), int(i64::MIN));
    }
}
