//! Rule logic of compiled YARA rule sets: names, conditions, and how the scanner's byte patterns
//! map back to the rules' strings.
//!
//! A YARA string becomes one or more scanner strings ("variants": one per choice of jump length
//! and alternative of a hex string). At each offset a YARA string reports one match, the first
//! variant in priority order that matches there (alternatives in source order, shorter jumps
//! first), as YARA does. After a scan the conditions are evaluated on the per-string tallies.
//!
//! The tally of an input holds, per string, its match count (every match, also past the storage
//! cap), the hits of constant `$x at N` / `$x in (N..M)` probes (checked as matches are counted,
//! so such strings keep no offsets), and, for strings whose offsets a condition inspects
//! (`@x[i]`, `!x[i]`, `#x in`, `$x at e`, loops over them), their (offset, length) pairs up to
//! YARA's per-string limit. Evaluation is a tree walk with YARA's value model: booleans,
//! integers, floats, texts and *undefined* (a read past the end, `@x[i]` past the last match,
//! a division by zero); undefined spreads through arithmetic and comparisons, `not undefined`
//! stays undefined, and a rule whose condition is undefined is false. Loops bind the current
//! string (`for ... of`) or a variable (`for ... in`) in an environment and stop as soon as
//! their quantifier is settled.

use super::bounded::MAX_STRING_MATCHES;
use super::chain::{self, ChainGap, PartMatch};
use super::modules::{
    schema, ArgValue, CallArgs, Input, Kind, Loaded, ModuleExpr, Object, Returned, Step,
};
use super::regex::verify::ReadRange;
use super::results::Match;
use std::borrow::Cow;

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
    fn settled(self, satisfied: u64, seen: u64, total: u64) -> bool {
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
    fn holds<T: PartialOrd + ?Sized>(self, a: &T, b: &T) -> bool {
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

/// A value during evaluation: YARA's booleans, integers, floats, texts, and undefined (a read
/// past the end).
#[derive(Clone, Debug, PartialEq)]
enum Value<'e> {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(Cow<'e, [u8]>),
    Undefined,
}

impl Value<'_> {
    /// Truth in `and` / `or` / rule results: undefined is false, a text is true when not empty.
    fn truthy(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Text(t) => !t.is_empty(),
            Value::Undefined => false,
        }
    }

    /// The number as a float, for arithmetic and comparisons that mix integers and floats.
    fn as_float(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }
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

/// One string of a rule, as declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogicString {
    /// Its identifier including `$` (`$` alone for anonymous strings).
    pub name: String,
    /// Whether it is a hex string (YARA prints hex strings' data as hex bytes).
    pub is_hex: bool,
    /// `private`: its matches count for the condition but are not reported.
    pub private: bool,
    /// Whether the condition needs its matches' offsets and lengths (`@x[i]`, `!x[i]`,
    /// `#x in`, `$x at e`, loops over it): the tally keeps them, up to the per-string cap.
    pub keeps_offsets: bool,
    /// Set when the condition uses the string only as `$x at N` (one N) and it is a literal:
    /// as in YARA, only its match at N is reported.
    pub fixed_offset: Option<u64>,
    /// For a hex string cut at its long jumps (see [`super::chain`]): the gaps between its
    /// parts (one fewer than the parts). Empty for any other string.
    pub chain: Vec<ChainGap>,
    /// The condition only asks whether it matched: a fast-mode scan reports its first match
    /// only (see [`super::ScanOptions::fast`]).
    pub single_match: bool,
}

/// What a scanner string (a variant) is a form of: a string of its rule, the part of it when
/// the string is chained (0 otherwise), and its priority among the forms found at one offset
/// (0 first: alternatives in source order, shorter jumps first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VariantOf {
    /// The string's index in its rule.
    pub string: u32,
    /// The part of a chained string (0 for other strings).
    pub part: u32,
    /// Priority at one offset, 0 highest.
    pub priority: u32,
}

/// One chunk's matches mapped to the rules' strings (see [`RuleLogic::resolve`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    /// Matches of strings, sorted.
    pub matches: Vec<Match>,
    /// Matches of chained strings' parts, sorted, to be joined when the input is complete.
    pub parts: Vec<PartMatch>,
}

/// One rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogicRule {
    /// Its identifier.
    pub name: String,
    /// Its namespace, an index into [`RuleLogic::namespaces`].
    pub namespace: u32,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its `meta:` entries, in source order (keys may repeat, as in YARA).
    pub meta: Vec<(String, MetaValue)>,
    /// `private`: evaluated, never reported.
    pub private: bool,
    /// `global`: when it is false, no rule matches.
    pub global: bool,
    /// Its strings, in declaration order.
    pub strings: Vec<LogicString>,
    /// Scanner string id (the variant) -> the string (and part) it is a form of.
    pub variants: Vec<VariantOf>,
    /// Index of its first string in the rule set's string numbering.
    pub first_string: u32,
    /// Its condition.
    pub condition: Expr,
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

/// The rules of a compiled YARA rule set. Scanner rule ids are the rules' indices.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleLogic {
    /// The rules, in source order.
    pub rules: Vec<LogicRule>,
    /// The offset probes of all conditions.
    pub probes: Vec<Probe>,
    /// Number of strings over all rules.
    pub string_total: u32,
    /// Whether some condition reads input bytes (`uintW`).
    pub reads_input: bool,
    /// The namespaces' names (`default` for rules compiled without one).
    pub namespaces: Vec<String>,
    /// Probe indices per string (rule set numbering), built on first use.
    pub(crate) probes_of: std::sync::OnceLock<Vec<Vec<u32>>>,
    /// Per rule, whether its condition is false when none of its strings matched (see
    /// [`needs_a_match`]), built on first use.
    pub(crate) needs_match: std::sync::OnceLock<Vec<bool>>,
}

/// Whether `e` is false whenever none of its rule's strings matched, whatever the input's
/// size, bytes and the other rules: then a rule without a match need not be evaluated, as
/// yara skips such rules. Conservative: false when unsure.
fn needs_a_match(e: &Expr) -> bool {
    let zero_fails = |op: Comparison, count_left: bool, k: i64| {
        let (a, b): (i64, i64) = if count_left { (0, k) } else { (k, 0) };
        !op.holds(&a, &b)
    };
    match e {
        Expr::Found(_) | Expr::Probe(_) | Expr::FoundAt(..) | Expr::FoundIn(..) => true,
        Expr::Of { quantity, strings } => {
            !strings.is_empty() && !quantity.holds(0, strings.len() as u64)
        }
        Expr::Compare(op, a, b) => match (a.as_ref(), b.as_ref()) {
            (Expr::Count(_), Expr::Int(k)) => zero_fails(*op, true, *k),
            (Expr::Int(k), Expr::Count(_)) => zero_fails(*op, false, *k),
            _ => false,
        },
        Expr::And(items) => items.iter().any(needs_a_match),
        Expr::Or(items) => !items.is_empty() && items.iter().all(needs_a_match),
        _ => false,
    }
}

/// What a scan saw of each string: counts and probe hits, collected before the match limit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    counts: Vec<u64>,
    probes: Vec<bool>,
    /// (string, offset, length) of the matches of strings that keep offsets, at most
    /// [`MAX_STRING_MATCHES`] per string, in the order found.
    offsets: Vec<(u32, u64, u32)>,
}

impl Tally {
    /// Adds what another part of the same input saw.
    pub fn merge(&mut self, other: &Tally) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        for (a, b) in self.probes.iter_mut().zip(&other.probes) {
            *a |= b;
        }
        self.offsets.extend_from_slice(&other.offsets);
    }
}

/// The kept matches of each string, in offset order: what `@x[i]`, `!x[i]`, `#x in` and
/// `$x at e` look at.
struct MatchLists(Vec<(u32, u64, u32)>);

impl MatchLists {
    fn new(tally: &Tally) -> Self {
        let mut all = tally.offsets.clone();
        all.sort_unstable();
        all.dedup();
        Self(all)
    }

    /// The (offset, length) matches of global string `g`.
    fn of(&self, g: u32) -> &[(u32, u64, u32)] {
        let start = self.0.partition_point(|m| m.0 < g);
        let end = self.0.partition_point(|m| m.0 <= g);
        &self.0[start..end]
    }
}

impl RuleLogic {
    /// An empty tally for one input.
    pub fn tally(&self) -> Tally {
        Tally {
            counts: vec![0; self.string_total as usize],
            probes: vec![false; self.probes.len()],
            offsets: Vec::new(),
        }
    }

    /// Probe indices per string (rule set numbering).
    fn probes_of(&self) -> &[Vec<u32>] {
        self.probes_of.get_or_init(|| {
            let mut probes_of = vec![Vec::new(); self.string_total as usize];
            for (i, p) in self.probes.iter().enumerate() {
                probes_of[p.string as usize].push(i as u32);
            }
            probes_of
        })
    }

    /// Maps the scanner's variant matches of one chunk to the rules' string matches: one per
    /// (string, part, offset), the variant of highest priority. Matches of chained strings'
    /// parts come back apart, for [`RuleLogic::join_chains`]. Returns both sorted.
    pub fn resolve(&self, found: Vec<Match>) -> Resolved {
        let mut keyed: Vec<(Match, u32, u32)> = found
            .into_iter()
            .map(|m| {
                let v = self.rules[m.rule_id as usize].variants[m.string_id as usize];
                let string = Match {
                    string_id: v.string,
                    ..m
                };
                (string, v.part, v.priority)
            })
            .collect();
        keyed.sort_unstable_by_key(|&(m, part, priority)| {
            (m.offset, m.rule_id, m.string_id, part, priority, m.length)
        });
        keyed.dedup_by_key(|(m, part, _)| (m.offset, m.rule_id, m.string_id, *part));
        let mut resolved = Resolved::default();
        for (m, part, _) in keyed {
            let string = &self.rules[m.rule_id as usize].strings[m.string_id as usize];
            if !string.chain.is_empty() {
                resolved.parts.push(PartMatch {
                    rule_id: m.rule_id,
                    string_id: m.string_id,
                    part,
                    offset: m.offset,
                    length: m.length,
                });
            } else if string.fixed_offset.is_none_or(|at| at == m.offset) {
                resolved.matches.push(m);
            }
        }
        resolved
    }

    /// Joins the part matches an input's scan kept into the matches of their chained strings
    /// (see [`super::chain`]), sorted.
    pub fn join_chains(&self, mut parts: Vec<PartMatch>) -> Vec<Match> {
        parts.sort_unstable_by_key(|p| (p.rule_id, p.string_id, p.part));
        let mut joined = Vec::new();
        for group in parts.chunk_by(|a, b| (a.rule_id, a.string_id) == (b.rule_id, b.string_id)) {
            let (rule_id, string_id) = (group[0].rule_id, group[0].string_id);
            let string = &self.rules[rule_id as usize].strings[string_id as usize];
            let mut lists = vec![Vec::new(); string.chain.len() + 1];
            for p in group {
                if let Some(list) = lists.get_mut(p.part as usize) {
                    list.push((p.offset, p.length));
                }
            }
            joined.extend(
                chain::join(&mut lists, &string.chain)
                    .into_iter()
                    .filter(|&(offset, _)| string.fixed_offset.is_none_or(|at| at == offset))
                    .map(|(offset, length)| Match {
                        offset,
                        rule_id,
                        string_id,
                        length,
                    }),
            );
        }
        joined.sort_unstable();
        joined
    }

    /// The index in its rule of scanner string `variant` of rule `rule`.
    pub fn string_of(&self, rule: u32, variant: u32) -> u32 {
        self.rules[rule as usize].variants[variant as usize].string
    }

    /// `matches` without those of `private` strings (counted, never reported).
    pub fn without_private(&self, mut matches: Vec<Match>) -> Vec<Match> {
        matches.retain(|m| !self.rules[m.rule_id as usize].strings[m.string_id as usize].private);
        matches
    }

    /// Counts `n` matches of scanner string `variant` of rule `rule` past the storage cap (no
    /// offsets: probes do not see them); returns the string's index in its rule. Matches of a
    /// chained string's part are not the string's: they are lost, not counted.
    pub fn count_past_cap(&self, tally: &mut Tally, rule: u32, variant: u32, n: u64) -> u32 {
        let r = &self.rules[rule as usize];
        let string = r.variants[variant as usize].string;
        if r.strings[string as usize].chain.is_empty() {
            tally.counts[(r.first_string + string) as usize] += n;
        }
        string
    }

    /// Adds resolved matches to `tally`.
    pub fn count(&self, tally: &mut Tally, matches: &[Match]) {
        let probes_of = self.probes_of();
        for m in matches {
            let rule = &self.rules[m.rule_id as usize];
            let g = (rule.first_string + m.string_id) as usize;
            tally.counts[g] += 1;
            if rule.strings[m.string_id as usize].keeps_offsets
                && tally.counts[g] <= MAX_STRING_MATCHES as u64
            {
                tally.offsets.push((g as u32, m.offset, m.length));
            }
            for &p in &probes_of[g] {
                let probe = self.probes[p as usize];
                if (probe.lo..=probe.hi).contains(&m.offset) {
                    tally.probes[p as usize] = true;
                }
            }
        }
    }

    /// The reported rules that match an input of `size` bytes: `read(start, end)` gives
    /// input bytes for `uintW` and modules (None when they cannot be read). Private rules are
    /// left out, and when a global rule is false no rule matches.
    pub fn evaluate(&self, tally: &Tally, size: u64, read: &ReadRange<'_>) -> Vec<u32> {
        self.evaluate_logged(tally, size, read, None).0
    }

    /// [`RuleLogic::evaluate`], and the messages the `console` module wrote, in order;
    /// `whole` is the input when it is in memory (modules then parse it in place).
    pub fn evaluate_logged(
        &self,
        tally: &Tally,
        size: u64,
        read: &ReadRange<'_>,
        whole: Option<&[u8]>,
    ) -> (Vec<u32>, Vec<Vec<u8>>) {
        let mut results: Vec<bool> = Vec::with_capacity(self.rules.len());
        let lists = MatchLists::new(tally);
        let reader = |start: u64, end: u64| read(start, end).map(Cow::into_owned);
        let modules = Loaded::new(Input {
            size,
            read: &reader,
            whole,
        });
        let compute = || -> Vec<bool> {
            self.rules
                .iter()
                .map(|r| needs_a_match(&r.condition))
                .collect()
        };
        let mut needs_match = std::borrow::Cow::Borrowed(self.needs_match.get_or_init(compute));
        if needs_match.len() != self.rules.len() {
            needs_match = std::borrow::Cow::Owned(compute());
        }
        for (rule, &needs_match) in self.rules.iter().zip(needs_match.iter()) {
            let first = rule.first_string as usize;
            let strings = first..first + rule.strings.len();
            if needs_match
                && tally
                    .counts
                    .get(strings)
                    .is_none_or(|c| c.iter().all(|&n| n == 0))
            {
                results.push(false);
                continue;
            }
            let eval = Evaluation {
                rule,
                tally,
                lists: &lists,
                modules: &modules,
                earlier: &results,
            };
            let value = eval.value(&rule.condition, &mut Env::default()).truthy();
            results.push(value);
        }
        // A false global rule hides every rule of its namespace.
        let hidden: Vec<u32> = self
            .rules
            .iter()
            .zip(&results)
            .filter(|(rule, &hit)| rule.global && !hit)
            .map(|(rule, _)| rule.namespace)
            .collect();
        let console = modules.into_console();
        let matching = self
            .rules
            .iter()
            .zip(&results)
            .enumerate()
            .filter(|(_, (rule, &hit))| hit && !rule.private && !hidden.contains(&rule.namespace))
            .map(|(i, _)| i as u32)
            .collect();
        (matching, console)
    }
}

/// The value of a missing dictionary item.
static UNDEFINED_OBJECT: Object = Object::Undefined;

/// One rule's condition being evaluated.
struct Evaluation<'a, 'm> {
    rule: &'a LogicRule,
    tally: &'a Tally,
    lists: &'a MatchLists,
    /// The input's size and bytes, and its module values.
    modules: &'a Loaded<'m>,
    earlier: &'a [bool],
}

/// Loop iterations one rule's condition may run, all its loops together. A loop that would
/// go past it is undefined (false), so a hostile rule such as `for all i in (0..0x7fff...) :
/// (true)` cannot stall a scan; rules over match counts (at most 1,000,000 per string) or file
/// offsets of ordinary files stay far below it.
pub(crate) const MAX_LOOP_ITERATIONS: u64 = 1 << 26;

/// The bindings of the loops around an expression: the current string of the innermost
/// `for ... of`, the values of the `for ... in` variables, outermost first, and the iterations
/// left to the condition's loops.
struct Env {
    current: Option<u32>,
    vars: Vec<i64>,
    iterations_left: u64,
}

impl Default for Env {
    fn default() -> Self {
        Self {
            current: None,
            vars: Vec::new(),
            iterations_left: MAX_LOOP_ITERATIONS,
        }
    }
}

impl<'a> Evaluation<'a, '_> {
    fn size(&self) -> u64 {
        self.modules.input().size
    }

    fn count(&self, string: u32) -> u64 {
        self.tally.counts[(self.rule.first_string + string) as usize]
    }

    /// The rule's string index `r` names here (None: `$` outside a loop, or a bad index).
    fn string(&self, r: StringRef, env: &Env) -> Option<u32> {
        let s = match r {
            StringRef::Named(s) => s,
            StringRef::Current => env.current?,
        };
        ((s as usize) < self.rule.strings.len()).then_some(s)
    }

    /// The kept (string, offset, length) matches of string `r`, in offset order.
    fn matches(&self, r: StringRef, env: &Env) -> &[(u32, u64, u32)] {
        match self.string(r, env) {
            Some(s) => self.lists.of(self.rule.first_string + s),
            None => &[],
        }
    }

    fn int(&self, e: &'a Expr, env: &mut Env) -> Option<i64> {
        match self.value(e, env) {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The i-th match (from 1) of `r`, where `index` evaluates to a valid i.
    fn nth(&self, r: StringRef, index: &'a Expr, env: &mut Env) -> Option<(u64, u32)> {
        let i = self.int(index, env)?;
        let at = usize::try_from(i).ok()?.checked_sub(1)?;
        self.matches(r, env).get(at).map(|m| (m.1, m.2))
    }

    /// The kept matches of `r` with offsets in `lo..=hi` (None when a bound is undefined).
    fn in_range(&self, r: StringRef, lo: &'a Expr, hi: &'a Expr, env: &mut Env) -> Option<usize> {
        let (lo, hi) = (self.int(lo, env)?, self.int(hi, env)?);
        let all = self.matches(r, env);
        let from = all.partition_point(|m| (m.1 as i128) < lo as i128);
        let to = all.partition_point(|m| (m.1 as i128) <= hi as i128);
        Some(to.saturating_sub(from))
    }

    /// A module value: the steps walked over the module's declarations and its values for
    /// this input together; undefined where the input defines nothing.
    fn module_value(&self, m: &'a ModuleExpr, env: &mut Env) -> Value<'a> {
        let root = self.modules.root(m.module);
        let (mut object, mut owner) = (root, root);
        let mut kind: Option<Kind> = None;
        for step in &m.steps {
            match step {
                Step::Field(name) => {
                    let member = match kind {
                        None => m.module.member(name),
                        Some(Kind::Struct(members)) => schema::find(members, name),
                        _ => None,
                    };
                    let Some(member) = member else {
                        return Value::Undefined;
                    };
                    if let Kind::Constant(value) = member.kind {
                        return Value::Int(value);
                    }
                    kind = Some(member.kind);
                    owner = object;
                    object = object.member(name);
                }
                Step::Index(index) => {
                    let (Some(Kind::Array(item)), Some(i)) = (kind, self.int(index, env)) else {
                        return Value::Undefined;
                    };
                    kind = Some(*item);
                    object = object.item(i);
                }
                Step::Key(key) => {
                    let Some(Kind::Dict(item)) = kind else {
                        return Value::Undefined;
                    };
                    let Value::Text(key) = self.value(key, env) else {
                        return Value::Undefined;
                    };
                    kind = Some(*item);
                    object = object.entry(&key);
                }
                Step::Length => {
                    return match kind {
                        Some(Kind::Array(_) | Kind::Dict(_)) => Value::Int(object.len() as i64),
                        _ => Value::Undefined,
                    };
                }
                Step::KeyAt(position) => {
                    let (Some(Kind::Dict(_)), Some(i)) = (kind, self.int(position, env)) else {
                        return Value::Undefined;
                    };
                    return match object.entry_at(i) {
                        Some((key, _)) => Value::Text(Cow::Borrowed(key)),
                        None => Value::Undefined,
                    };
                }
                Step::ValueAt(position) => {
                    let (Some(Kind::Dict(item)), Some(i)) = (kind, self.int(position, env)) else {
                        return Value::Undefined;
                    };
                    kind = Some(*item);
                    object = object.entry_at(i).map_or(&UNDEFINED_OBJECT, |(_, v)| v);
                }
                Step::Call { overload, args } => {
                    let Some(Kind::Function(overloads)) = kind else {
                        return Value::Undefined;
                    };
                    let Some(overload) = overloads.get(*overload as usize) else {
                        return Value::Undefined;
                    };
                    let values: Vec<Value<'a>> = args.iter().map(|a| self.value(a, env)).collect();
                    let mut passed = Vec::with_capacity(values.len());
                    for (arg, v) in args.iter().zip(&values) {
                        if let Expr::Regex(regex) = arg {
                            passed.push(ArgValue::Regex(regex));
                            continue;
                        }
                        passed.push(match v {
                            Value::Int(i) => ArgValue::Int(*i),
                            Value::Bool(b) => ArgValue::Int(*b as i64),
                            Value::Float(f) => ArgValue::Float(*f),
                            Value::Text(t) => ArgValue::Text(t),
                            // An undefined argument makes the call undefined, as in YARA.
                            Value::Undefined => return Value::Undefined,
                        });
                    }
                    let call = CallArgs {
                        module: root,
                        owner,
                        input: self.modules.input(),
                        args: &passed,
                    };
                    return match (overload.call)(&call) {
                        Some(Returned::Int(i)) => Value::Int(i),
                        // A NaN float is YARA's undefined.
                        Some(Returned::Float(f)) if !f.is_nan() => Value::Float(f),
                        Some(Returned::Text(t)) => Value::Text(Cow::Owned(t)),
                        Some(Returned::Bool(b)) => Value::Bool(b),
                        Some(Returned::Logged(message)) => {
                            self.modules.log(message);
                            Value::Int(1)
                        }
                        Some(Returned::Float(_)) | None => Value::Undefined,
                    };
                }
            }
        }
        match object {
            Object::Int(i) => Value::Int(*i),
            Object::Float(f) if !f.is_nan() => Value::Float(*f),
            Object::Text(t) => Value::Text(Cow::Borrowed(t)),
            _ => Value::Undefined,
        }
    }

    /// Counts the items for which `body` holds, stopping once `quantity` is settled.
    fn quantify(
        &self,
        quantity: Quantity,
        total: u64,
        env: &mut Env,
        mut item: impl FnMut(&Self, u64, &mut Env) -> bool,
    ) -> Value<'static> {
        let mut satisfied = 0;
        for seen in 1..=total {
            if env.iterations_left == 0 {
                return Value::Undefined;
            }
            env.iterations_left -= 1;
            if item(self, seen - 1, env) {
                satisfied += 1;
            }
            if quantity.settled(satisfied, seen, total) {
                break;
            }
        }
        Value::Bool(quantity.holds(satisfied, total))
    }

    fn value(&self, e: &'a Expr, env: &mut Env) -> Value<'a> {
        match e {
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Int(i) => Value::Int(*i),
            Expr::Float(bits) => Value::Float(f64::from_bits(*bits)),
            Expr::Text(t) => Value::Text(Cow::Borrowed(t)),
            Expr::Module(m) => self.module_value(m, env),
            Expr::Regex(_) => Value::Undefined,
            Expr::TextOp(op, a, b) => match (self.value(a, env), self.value(b, env)) {
                (Value::Text(x), Value::Text(y)) => Value::Bool(op.holds(&x, &y)),
                _ => Value::Undefined,
            },
            Expr::Matches(text, regex) => match self.value(text, env) {
                Value::Text(t) => Value::Bool(regex.is_match(&t)),
                _ => Value::Undefined,
            },
            Expr::Filesize => Value::Int(i64::try_from(self.size()).unwrap_or(i64::MAX)),
            Expr::EntryPoint => match self.modules.entry_point() {
                Some(offset) => Value::Int(offset as i64),
                None => Value::Undefined,
            },
            Expr::Found(s) => Value::Bool(self.count(*s) > 0),
            Expr::Probe(p) => Value::Bool(self.tally.probes[*p as usize]),
            Expr::Count(s) => Value::Int(i64::try_from(self.count(*s)).unwrap_or(i64::MAX)),
            Expr::Read {
                offset,
                width,
                big_endian,
                signed,
            } => {
                let Some(at) = self.int(offset, env) else {
                    return Value::Undefined;
                };
                let Ok(at) = u64::try_from(at) else {
                    return Value::Undefined;
                };
                match self.modules.read_int_bytes(at, *width as u64) {
                    Some(bytes) => {
                        let bytes = &bytes[..*width as usize];
                        let fold = |acc: u64, b: &u8| acc << 8 | *b as u64;
                        let v = if *big_endian {
                            bytes.iter().fold(0, fold)
                        } else {
                            bytes.iter().rev().fold(0, fold)
                        };
                        let bits = 64 - 8 * *width as u32;
                        Value::Int(if *signed {
                            ((v << bits) as i64) >> bits
                        } else {
                            v as i64
                        })
                    }
                    None => Value::Undefined,
                }
            }
            Expr::Arith(op, a, b) => match (self.value(a, env), self.value(b, env)) {
                (Value::Int(x), Value::Int(y)) => {
                    op.apply(x, y).map_or(Value::Undefined, Value::Int)
                }
                (x, y) => match (x.as_float(), y.as_float()) {
                    (Some(x), Some(y)) => {
                        op.apply_float(x, y).map_or(Value::Undefined, Value::Float)
                    }
                    _ => Value::Undefined,
                },
            },
            Expr::Neg(inner) => match self.value(inner, env) {
                Value::Int(x) => Value::Int(x.wrapping_neg()),
                Value::Float(x) => Value::Float(-x),
                _ => Value::Undefined,
            },
            Expr::BitNot(inner) => match self.value(inner, env) {
                Value::Int(x) => Value::Int(!x),
                _ => Value::Undefined,
            },
            Expr::Of { quantity, strings } => {
                let found = strings.iter().filter(|&&s| self.count(s) > 0).count() as u64;
                Value::Bool(quantity.holds(found, strings.len() as u64))
            }
            Expr::Rule(r) => Value::Bool(self.earlier.get(*r as usize).copied().unwrap_or(false)),
            Expr::RulesOf { quantity, rules } => {
                let earlier = |r: &&u32| self.earlier.get(**r as usize).copied().unwrap_or(false);
                let true_rules = rules.iter().filter(earlier).count() as u64;
                Value::Bool(quantity.holds(true_rules, rules.len() as u64))
            }
            Expr::Defined(inner) => Value::Bool(self.value(inner, env) != Value::Undefined),
            Expr::Not(inner) => match self.value(inner, env) {
                Value::Undefined => Value::Undefined,
                v => Value::Bool(!v.truthy()),
            },
            Expr::And(items) => Value::Bool(items.iter().all(|i| self.value(i, env).truthy())),
            Expr::Or(items) => Value::Bool(items.iter().any(|i| self.value(i, env).truthy())),
            Expr::Compare(op, a, b) => match (self.value(a, env), self.value(b, env)) {
                (Value::Int(x), Value::Int(y)) => Value::Bool(op.holds(&x, &y)),
                (Value::Bool(x), Value::Bool(y)) => Value::Bool(op.holds(&x, &y)),
                (Value::Text(x), Value::Text(y)) => Value::Bool(op.holds(&*x, &*y)),
                (x, y) => match (x.as_float(), y.as_float()) {
                    (Some(x), Some(y)) => Value::Bool(op.holds(&x, &y)),
                    _ => Value::Undefined,
                },
            },
            Expr::MatchOffset(r, index) => match self.nth(*r, index, env) {
                Some((offset, _)) => Value::Int(i64::try_from(offset).unwrap_or(i64::MAX)),
                None => Value::Undefined,
            },
            Expr::MatchLength(r, index) => match self.nth(*r, index, env) {
                Some((_, length)) => Value::Int(length as i64),
                None => Value::Undefined,
            },
            Expr::CountIn(r, lo, hi) => match self.in_range(*r, lo, hi, env) {
                Some(n) => Value::Int(n as i64),
                None => Value::Undefined,
            },
            Expr::FoundAt(r, at) => match self.int(at, env) {
                Some(at) => Value::Bool(
                    self.matches(*r, env)
                        .iter()
                        .any(|m| m.1 as i128 == at as i128),
                ),
                None => Value::Undefined,
            },
            Expr::FoundIn(r, lo, hi) => match self.in_range(*r, lo, hi, env) {
                Some(n) => Value::Bool(n > 0),
                None => Value::Undefined,
            },
            Expr::CurrentCount => match self.string(StringRef::Current, env) {
                Some(s) => Value::Int(i64::try_from(self.count(s)).unwrap_or(i64::MAX)),
                None => Value::Undefined,
            },
            Expr::ForOf {
                quantity,
                strings,
                body,
            } => {
                let outer = env.current;
                let result = self.quantify(*quantity, strings.len() as u64, env, |ev, i, env| {
                    env.current = Some(strings[i as usize]);
                    ev.value(body, env).truthy()
                });
                env.current = outer;
                result
            }
            Expr::ForIn {
                quantity,
                iteration,
                body,
            } => {
                let bound = |ev: &Self, value: Option<i64>, env: &mut Env| {
                    let Some(value) = value else { return false };
                    env.vars.push(value);
                    let holds = ev.value(body, env).truthy();
                    env.vars.pop();
                    holds
                };
                match iteration {
                    Iteration::Range(lo, hi) => {
                        let (Some(lo), Some(hi)) = (self.int(lo, env), self.int(hi, env)) else {
                            return Value::Undefined;
                        };
                        if lo > hi {
                            return Value::Undefined;
                        }
                        let total = (hi as i128 - lo as i128 + 1).min(u64::MAX as i128) as u64;
                        self.quantify(*quantity, total, env, |ev, i, env| {
                            bound(ev, Some(lo.wrapping_add(i as i64)), env)
                        })
                    }
                    Iteration::List(items) => {
                        self.quantify(*quantity, items.len() as u64, env, |ev, i, env| {
                            let value = ev.int(&items[i as usize], env);
                            bound(ev, value, env)
                        })
                    }
                }
            }
            Expr::Var(depth) => match env.vars.get(*depth as usize) {
                Some(&v) => Value::Int(v),
                None => Value::Undefined,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(condition: Expr, strings: usize) -> LogicRule {
        LogicRule {
            name: "r".into(),
            namespace: 0,
            tags: Vec::new(),
            meta: Vec::new(),
            private: false,
            global: false,
            strings: (0..strings)
                .map(|i| LogicString {
                    name: format!("$s{i}"),
                    is_hex: false,
                    fixed_offset: None,
                    keeps_offsets: true,
                    private: false,
                    chain: Vec::new(),
                    single_match: false,
                })
                .collect(),
            variants: (0..strings as u32).map(|i| variant(i, 0, 0)).collect(),
            first_string: 0,
            condition,
        }
    }

    fn variant(string: u32, part: u32, priority: u32) -> VariantOf {
        VariantOf {
            string,
            part,
            priority,
        }
    }

    fn m(offset: u64, rule_id: u32, string_id: u32, length: u32) -> Match {
        Match {
            offset,
            rule_id,
            string_id,
            length,
        }
    }

    #[test]
    fn resolve_keeps_the_first_variant_per_offset() {
        let mut r = rule(Expr::Bool(true), 1);
        r.variants = vec![variant(0, 0, 1), variant(0, 0, 0), variant(0, 0, 2)];
        let logic = RuleLogic {
            rules: vec![r],
            string_total: 1,
            ..Default::default()
        };
        let out = logic.resolve(vec![
            m(5, 0, 0, 7),
            m(5, 0, 1, 9),
            m(5, 0, 2, 3),
            m(2, 0, 2, 3),
        ]);
        assert_eq!(out.matches, vec![m(2, 0, 0, 3), m(5, 0, 0, 9)]);
        assert!(out.parts.is_empty());
    }

    #[test]
    fn chained_parts_are_kept_apart_and_joined() {
        // String 0 is chained: variants 0 and 1 are its head's two forms, 2 its tail.
        let mut r = rule(Expr::Bool(true), 2);
        r.strings[0].chain = vec![ChainGap {
            min: 300,
            max: None,
        }];
        r.variants = vec![
            variant(0, 0, 0),
            variant(0, 0, 1),
            variant(0, 1, 0),
            variant(1, 0, 0),
        ];
        let logic = RuleLogic {
            rules: vec![r],
            string_total: 2,
            ..Default::default()
        };
        let out = logic.resolve(vec![
            m(10, 0, 1, 4),
            m(10, 0, 0, 2),
            m(400, 0, 2, 3),
            m(7, 0, 3, 1),
        ]);
        assert_eq!(out.matches, vec![m(7, 0, 1, 1)]);
        let part = |part, offset, length| PartMatch {
            rule_id: 0,
            string_id: 0,
            part,
            offset,
            length,
        };
        assert_eq!(out.parts, vec![part(0, 10, 2), part(1, 400, 3)]);
        // A count past the cap of a part is not the string's.
        let mut tally = logic.tally();
        logic.count_past_cap(&mut tally, 0, 2, 5);
        assert_eq!(tally.counts, vec![0, 0]);
        assert_eq!(logic.join_chains(out.parts), vec![m(10, 0, 0, 393)]);
    }

    fn read(offset: Expr, width: u8, big_endian: bool, signed: bool) -> Expr {
        Expr::Read {
            offset: Box::new(offset),
            width,
            big_endian,
            signed,
        }
    }

    /// A range reader over `data`.
    fn reader<'d>(data: &'d [u8]) -> impl Fn(u64, u64) -> Option<Cow<'d, [u8]>> + 'd {
        move |start, end| data.get(start as usize..end as usize).map(Cow::Borrowed)
    }

    /// The value of `e` on `data` (no strings), through a rule `e == expected`.
    fn holds(e: Expr, expected: i64, data: &[u8]) -> bool {
        let condition = Expr::Compare(Comparison::Eq, Box::new(e), Box::new(Expr::Int(expected)));
        let logic = RuleLogic {
            rules: vec![rule(condition, 0)],
            ..Default::default()
        };
        logic.evaluate(&logic.tally(), data.len() as u64, &reader(data)) == vec![0]
    }

    fn arith(op: Arith, a: Expr, b: Expr) -> Expr {
        Expr::Arith(op, Box::new(a), Box::new(b))
    }

    #[test]
    fn integer_operators_follow_yara() {
        let int = Expr::Int;
        assert_eq!(Arith::Div.apply(-7, 2), Some(-3));
        assert_eq!(Arith::Mod.apply(-7, 2), Some(-1));
        assert_eq!(Arith::Div.apply(1, 0), None);
        assert_eq!(Arith::Mod.apply(1, 0), None);
        assert_eq!(Arith::Div.apply(i64::MIN, -1), None);
        assert_eq!(Arith::Add.apply(i64::MAX, 1), Some(i64::MIN));
        assert_eq!(Arith::Shl.apply(1, 63), Some(i64::MIN));
        assert_eq!(Arith::Shl.apply(1, 64), Some(0));
        assert_eq!(Arith::Shr.apply(-8, 1), Some(-4));
        assert_eq!(Arith::Shr.apply(-8, 64), Some(0));
        assert_eq!(Arith::Shl.apply(1, -1), None);
        assert!(holds(
            arith(Arith::BitXor, int(0b1100), int(0b1010)),
            0b0110,
            b""
        ));
        assert!(holds(Expr::BitNot(Box::new(int(0))), -1, b""));
        assert!(holds(Expr::Neg(Box::new(Expr::Filesize)), -3, b"abc"));
        // Undefined propagates: neither `== 0` nor `!= 0` holds.
        let undefined = arith(Arith::Div, int(1), int(0));
        assert!(!holds(undefined.clone(), 0, b""));
        let ne = Expr::Compare(Comparison::Ne, Box::new(undefined), Box::new(int(0)));
        let logic = RuleLogic {
            rules: vec![rule(ne, 0)],
            ..Default::default()
        };
        assert!(logic.evaluate(&logic.tally(), 0, &|_, _| None).is_empty());
    }

    #[test]
    fn loops_stop_once_settled_and_follow_yaras_quantities() {
        let int = Expr::Int;
        let range = |lo: i64, hi: i64| Iteration::Range(Box::new(int(lo)), Box::new(int(hi)));
        let var_is =
            |v: i64| Expr::Compare(Comparison::Eq, Box::new(Expr::Var(0)), Box::new(int(v)));
        let for_in = |quantity, iteration, body| Expr::ForIn {
            quantity,
            iteration,
            body: Box::new(body),
        };
        let truth = |e: Expr| {
            let logic = RuleLogic {
                rules: vec![rule(e, 0)],
                ..Default::default()
            };
            logic.evaluate(&logic.tally(), 0, &|_, _| None) == vec![0]
        };
        // A range of 2^63 values: `any` stops at the first hit, `all` at the first miss.
        assert!(truth(for_in(Quantity::Any, range(0, i64::MAX), var_is(3))));
        assert!(!truth(for_in(Quantity::All, range(0, i64::MAX), var_is(0))));
        // A loop that never settles stops at the iteration budget: undefined, not a stall.
        let settled_late = for_in(Quantity::All, range(0, i64::MAX), Expr::Bool(true));
        assert!(!truth(settled_late));
        let nested = for_in(
            Quantity::Any,
            range(0, 1 << 20),
            for_in(Quantity::All, range(0, 1 << 27), Expr::Bool(true)),
        );
        assert!(!truth(nested));
        let within = for_in(Quantity::All, range(1, 1000), Expr::Bool(true));
        assert!(truth(within));
        // An empty range is undefined, whatever the quantity.
        assert!(!truth(for_in(
            Quantity::None,
            range(5, 1),
            Expr::Bool(true)
        )));
        assert!(truth(for_in(
            Quantity::AtLeast(2),
            range(1, 3),
            Expr::Bool(true)
        )));
        assert!(!truth(for_in(
            Quantity::AtLeast(4),
            range(1, 3),
            Expr::Bool(true)
        )));
        assert!(Quantity::Percent(33).holds(1, 3) && !Quantity::Percent(34).holds(1, 3));
        // `@`, `#` and `$` alone outside a loop are undefined, never a panic.
        assert!(!truth(Expr::CurrentCount));
        assert!(!truth(Expr::Var(7)));
    }

    #[test]
    fn reads_take_expressions_and_sign_extend() {
        // A PE-like layout: the header offset at 0x3c, then a 16-bit field behind it.
        let mut data = vec![0u8; 0x90];
        data[0x3c] = 0x80;
        data[0x80..0x84].copy_from_slice(b"PE\0\0");
        data[0x84] = 0xfe;
        data[0x85] = 0xff;
        let nested = |delta: i64, width: u8, signed: bool| {
            read(
                arith(
                    Arith::Add,
                    read(Expr::Int(0x3c), 4, false, false),
                    Expr::Int(delta),
                ),
                width,
                false,
                signed,
            )
        };
        assert!(holds(nested(0, 4, false), 0x4550, &data));
        assert!(holds(nested(4, 2, true), -2, &data));
        assert!(holds(nested(4, 2, false), 0xfffe, &data));
        assert!(holds(nested(4, 1, true), -2, &data));
        assert!(holds(read(Expr::Int(0x84), 2, true, true), -257, &data));
        // Past the end, or at a negative offset: undefined.
        assert!(!holds(nested(0x10, 4, false), 0, &data));
        assert!(!holds(read(Expr::Int(-1), 1, false, false), 0, &data));
    }

    #[test]
    fn undefined_reads_are_false_and_not_undefined_stays_false() {
        let read_past_end = Expr::Compare(
            Comparison::Eq,
            Box::new(read(Expr::Int(100), 4, false, false)),
            Box::new(Expr::Int(0)),
        );
        let logic = RuleLogic {
            rules: vec![
                rule(read_past_end.clone(), 0),
                rule(Expr::Not(Box::new(read_past_end.clone())), 0),
                rule(
                    Expr::Or(vec![
                        read_past_end,
                        Expr::Compare(
                            Comparison::Eq,
                            Box::new(read(Expr::Int(0), 2, true, false)),
                            Box::new(Expr::Int(0x4d5a)),
                        ),
                    ]),
                    0,
                ),
            ],
            ..Default::default()
        };
        let data = b"MZ\x90\x00";
        assert_eq!(logic.evaluate(&logic.tally(), 4, &reader(data)), vec![2]);
    }

    #[test]
    fn counts_probes_quantifiers_and_globals() {
        let mut counted = rule(
            Expr::And(vec![
                Expr::Compare(
                    Comparison::Eq,
                    Box::new(Expr::Count(0)),
                    Box::new(Expr::Int(2)),
                ),
                Expr::Probe(0),
                Expr::Of {
                    quantity: Quantity::AtLeast(0),
                    strings: vec![1],
                },
            ]),
            2,
        );
        counted.private = true;
        let referencing = rule(Expr::Rule(0), 0);
        let mut logic = RuleLogic {
            rules: vec![counted, referencing],
            probes: vec![Probe {
                string: 0,
                lo: 10,
                hi: 20,
            }],
            string_total: 2,
            ..Default::default()
        };
        let mut tally = logic.tally();
        logic.count(&mut tally, &[m(3, 0, 0, 1), m(15, 0, 0, 1)]);
        let none = |_: u64, _: u64| None;
        assert_eq!(logic.evaluate(&tally, 30, &none), vec![1]);
        let mut global = rule(
            Expr::Compare(
                Comparison::Gt,
                Box::new(Expr::Filesize),
                Box::new(Expr::Int(100)),
            ),
            0,
        );
        global.global = true;
        logic.rules.push(global);
        assert_eq!(logic.evaluate(&tally, 30, &none), Vec::<u32>::new());
    }
}
