//! The typed IR of conditions: what [`crate::scan::yara`]'s lowering produces and
//! the `eval` module evaluates. Strings are indices within their rule, rules are indices in the
//! rule set, loop variables are nesting depths; every operator's operands have been type
//! checked, so evaluation needs no names and no type errors.

use crate::scan::modules::ModuleExpr;

/// How many strings of a set an `of` expression asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// `any of`: at least one.
    Any,
    /// `all of`: every one.
    All,
    /// `none of`: none.
    None,
    /// `N of`: at least N (`0 of` means none, as in YARA).
    AtLeast(u64),
    /// `N% of`: at least N percent (`found * 100 >= N * total`, as YARA rounds).
    Percent(u64),
}

impl Quantity {
    /// Whether `satisfied` of `total` items meet the quantity.
    pub fn holds(self, satisfied: u64, total: u64) -> bool {
        match self {
            Quantity::Any => satisfied >= 1,
            Quantity::All => satisfied == total,
            Quantity::None | Quantity::AtLeast(0) => satisfied == 0,
            Quantity::AtLeast(n) => satisfied >= n,
            Quantity::Percent(p) => (satisfied as u128) * 100 >= (p as u128) * (total as u128),
        }
    }

    /// Whether the outcome is settled after `satisfied` of `seen` items (of `total`), so a
    /// loop can stop early.
    pub(super) fn settled(self, satisfied: u64, seen: u64, total: u64) -> bool {
        match self {
            Quantity::Any => satisfied >= 1,
            Quantity::None | Quantity::AtLeast(0) => satisfied >= 1,
            Quantity::All => satisfied < seen,
            Quantity::AtLeast(n) => satisfied >= n,
            Quantity::Percent(_) => seen == total,
        }
    }
}

/// The string an expression is about: one of the rule's, or the one a `for ... of` loop is at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StringRef {
    /// String index within the rule.
    Named(u32),
    /// The innermost `for ... of` loop's string (`$`, `#`, `@`, `!` in its body).
    Current,
}

/// What a `for ... in` loop iterates over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Iteration {
    /// `(lo..hi)`: every integer from lo to hi; undefined when a bound is undefined or lo > hi.
    Range(Box<Expr>, Box<Expr>),
    /// `(a, b, ...)`: each value in order (undefined ones satisfy nothing).
    List(Vec<Expr>),
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Comparison {
    /// `a OP b` for any ordered values: integers, floats (IEEE: every comparison but `!=` with
    /// NaN is false) and texts (byte order).
    pub(super) fn holds<T: PartialOrd + ?Sized>(self, a: &T, b: &T) -> bool {
        match self {
            Comparison::Eq => a == b,
            Comparison::Ne => a != b,
            Comparison::Lt => a < b,
            Comparison::Le => a <= b,
            Comparison::Gt => a > b,
            Comparison::Ge => a >= b,
        }
    }
}

/// Integer operators of conditions, with YARA's semantics: 64-bit two's-complement arithmetic
/// that wraps; `\` and `%` truncate toward zero and are undefined for a zero divisor (and for
/// the one quotient that overflows); shifts by 64 or more give 0, by a negative count are
/// undefined; `>>` is arithmetic (sign-extending), as in YARA's C.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arith {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `\`
    Div,
    /// `%`
    Mod,
    /// `&`
    BitAnd,
    /// `|`
    BitOr,
    /// `^`
    BitXor,
    /// `<<`
    Shl,
    /// `>>`
    Shr,
}

impl Arith {
    /// `a OP b` on floats (`+ - * \\` only; IEEE results, so a zero divisor gives an
    /// infinity, as in YARA); `None` for the integer-only operators.
    pub fn apply_float(self, a: f64, b: f64) -> Option<f64> {
        match self {
            Arith::Add => Some(a + b),
            Arith::Sub => Some(a - b),
            Arith::Mul => Some(a * b),
            Arith::Div => Some(a / b),
            _ => None,
        }
    }

    /// `a OP b`, or `None` where YARA's result is undefined.
    pub fn apply(self, a: i64, b: i64) -> Option<i64> {
        let shift = |f: fn(i64, u32) -> i64| match b {
            ..0 => None,
            0..64 => Some(f(a, b as u32)),
            _ => Some(0),
        };
        match self {
            Arith::Add => Some(a.wrapping_add(b)),
            Arith::Sub => Some(a.wrapping_sub(b)),
            Arith::Mul => Some(a.wrapping_mul(b)),
            Arith::Div => a.checked_div(b),
            Arith::Mod => a.checked_rem(b),
            Arith::BitAnd => Some(a & b),
            Arith::BitOr => Some(a | b),
            Arith::BitXor => Some(a ^ b),
            Arith::Shl => shift(|a, n| a << n),
            Arith::Shr => shift(|a, n| a >> n),
        }
    }
}

/// A condition expression. Strings are indices within their rule; rules are rule indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// `true` / `false`.
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A floating-point literal or external, as the bits of its `f64`.
    Float(u64),
    /// A text literal or external.
    Text(Vec<u8>),
    /// `a OP b` on texts.
    TextOp(TextOp, Box<Expr>, Box<Expr>),
    /// `text matches /regex/`: the expression occurs in the text.
    Matches(Box<Expr>, std::sync::Arc<crate::scan::regex::TextRegex>),
    /// `filesize`: the input's length.
    Filesize,
    /// `entrypoint`: the file offset of a PE or ELF input's entry point, as YARA's deprecated
    /// keyword computes it; undefined for other inputs.
    EntryPoint,
    /// `$x`: the string matched at least once.
    Found(u32),
    /// `$x at N` or `$x in (N..M)`: index into the rule set's offset probes.
    Probe(u32),
    /// `#x`: the number of matches.
    Count(u32),
    /// `uintW(e)` / `intW(e)` and their `be` forms: `width` bytes (1, 2 or 4) at the offset
    /// `e` evaluates to; undefined when `e` is undefined, negative, or the bytes lie past the
    /// end of the input.
    Read {
        /// Input offset (an integer expression).
        offset: Box<Expr>,
        /// Bytes read.
        width: u8,
        /// Big-endian (`be` forms).
        big_endian: bool,
        /// Sign-extended (`intW` forms).
        signed: bool,
    },
    /// `a OP b` on integers.
    Arith(Arith, Box<Expr>, Box<Expr>),
    /// `-e`.
    Neg(Box<Expr>),
    /// `~e`.
    BitNot(Box<Expr>),
    /// `Q of (set)`.
    Of {
        /// How many.
        quantity: Quantity,
        /// The strings of the set.
        strings: Vec<u32>,
    },
    /// A reference to an earlier rule.
    Rule(u32),
    /// `Q of (rule, prefix*, ...)`: how many of these earlier rules are true.
    RulesOf {
        /// How many.
        quantity: Quantity,
        /// Indices of earlier rules.
        rules: Vec<u32>,
    },
    /// `defined e`: whether `e` has a value.
    Defined(Box<Expr>),
    /// `not e`.
    Not(Box<Expr>),
    /// `a and b and ...`.
    And(Vec<Expr>),
    /// `a or b or ...`.
    Or(Vec<Expr>),
    /// `a OP b` on integers.
    Compare(Comparison, Box<Expr>, Box<Expr>),
    /// `@x[i]`: the offset of the i-th match (from 1, in offset order); undefined past the
    /// last stored one.
    MatchOffset(StringRef, Box<Expr>),
    /// `!x[i]`: the length of the i-th match.
    MatchLength(StringRef, Box<Expr>),
    /// `#x in (lo..hi)`: the number of matches whose offset lies in the range.
    CountIn(StringRef, Box<Expr>, Box<Expr>),
    /// `$x at e` for a non-constant `e`, or of a loop's string.
    FoundAt(StringRef, Box<Expr>),
    /// `$x in (lo..hi)` for non-constant bounds, or of a loop's string.
    FoundIn(StringRef, Box<Expr>, Box<Expr>),
    /// `#` (and, compared with 0, `$`) in a `for ... of` body: the loop string's match count.
    CurrentCount,
    /// `for Q of (set) : (body)`.
    ForOf {
        /// How many strings must satisfy the body.
        quantity: Quantity,
        /// The strings of the set.
        strings: Vec<u32>,
        /// Evaluated with each string as the current one.
        body: Box<Expr>,
    },
    /// `for Q name in iteration : (body)`.
    ForIn {
        /// How many values must satisfy the body.
        quantity: Quantity,
        /// The values.
        iteration: Iteration,
        /// Evaluated with each value bound to the loop's variable.
        body: Box<Expr>,
    },
    /// A `for ... in` loop's variable, by nesting depth (0: the outermost loop).
    Var(u32),
    /// A module's value or function result (`pe.entry_point`, `hash.md5(0, 64)`).
    Module(Box<ModuleExpr>),
    /// A regular expression literal passed to a module function (`pe.exports(/^Dll/)`); it
    /// has no value of its own.
    Regex(std::sync::Arc<crate::scan::regex::TextRegex>),
}

/// Operators on texts: `contains`, `startswith`, `endswith`, `iequals` and their
/// case-insensitive (ASCII) forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextOp {
    /// `contains`
    Contains,
    /// `icontains`
    IContains,
    /// `startswith`
    StartsWith,
    /// `istartswith`
    IStartsWith,
    /// `endswith`
    EndsWith,
    /// `iendswith`
    IEndsWith,
    /// `iequals`
    IEquals,
}

impl TextOp {
    /// The operator named `word`, if it is one.
    pub fn named(word: &str) -> Option<Self> {
        Some(match word {
            "contains" => TextOp::Contains,
            "icontains" => TextOp::IContains,
            "startswith" => TextOp::StartsWith,
            "istartswith" => TextOp::IStartsWith,
            "endswith" => TextOp::EndsWith,
            "iendswith" => TextOp::IEndsWith,
            "iequals" => TextOp::IEquals,
            _ => return None,
        })
    }

    /// `a OP b`.
    pub fn holds(self, a: &[u8], b: &[u8]) -> bool {
        let fold = |t: &[u8]| t.to_ascii_lowercase();
        match self {
            TextOp::Contains => b.is_empty() || a.windows(b.len()).any(|w| w == b),
            TextOp::IContains => TextOp::Contains.holds(&fold(a), &fold(b)),
            TextOp::StartsWith => a.starts_with(b),
            TextOp::IStartsWith => fold(a).starts_with(&fold(b)),
            TextOp::EndsWith => a.ends_with(b),
            TextOp::IEndsWith => fold(a).ends_with(&fold(b)),
            TextOp::IEquals => a.eq_ignore_ascii_case(b),
        }
    }
}

/// The value of a rule's `meta:` entry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MetaValue {
    /// An integer (`version = 2`, `offset = -0x10`).
    Integer(i64),
    /// `true` or `false`.
    Boolean(bool),
    /// A text string, escapes decoded (it may hold any byte).
    Text(Vec<u8>),
}

/// `$x at N` / `$x in (N..M)`: does string `string` (rule set numbering) match at an offset in
/// `lo..=hi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    /// The string, rule set numbering.
    pub string: u32,
    /// First offset.
    pub lo: u64,
    /// Last offset.
    pub hi: u64,
}
