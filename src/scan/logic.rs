//! Rule logic of compiled YARA rule sets: names, conditions, and how the scanner's byte patterns
//! map back to the rules' strings.
//!
//! A YARA string becomes one or more scanner strings ("variants": one per choice of jump length
//! and alternative of a hex string). At each offset a YARA string reports one match, the first
//! variant in priority order that matches there (alternatives in source order, shorter jumps
//! first), as YARA does. After a scan the conditions are evaluated on the per-string tallies.

use super::results::Match;

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
    fn holds(self, a: i64, b: i64) -> bool {
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
    /// `filesize`: the input's length.
    Filesize,
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
    /// `not e`.
    Not(Box<Expr>),
    /// `a and b and ...`.
    And(Vec<Expr>),
    /// `a or b or ...`.
    Or(Vec<Expr>),
    /// `a OP b` on integers.
    Compare(Comparison, Box<Expr>, Box<Expr>),
}

/// A value during evaluation: YARA's booleans, integers, and undefined (a read past the end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Value {
    Bool(bool),
    Int(i64),
    Undefined,
}

impl Value {
    /// Truth in `and` / `or` / rule results: undefined is false.
    fn truthy(self) -> bool {
        match self {
            Value::Bool(b) => b,
            Value::Int(i) => i != 0,
            Value::Undefined => false,
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
    /// Set when the condition uses the string only as `$x at N` (one N) and it is a literal:
    /// as in YARA, only its match at N is reported.
    pub fixed_offset: Option<u64>,
}

/// One rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogicRule {
    /// Its identifier.
    pub name: String,
    /// Its tags.
    pub tags: Vec<String>,
    /// `private`: evaluated, never reported.
    pub private: bool,
    /// `global`: when it is false, no rule matches.
    pub global: bool,
    /// Its strings, in declaration order.
    pub strings: Vec<LogicString>,
    /// Scanner string id (the variant) -> (string index in the rule, priority).
    pub variants: Vec<(u32, u32)>,
    /// Index of its first string in the rule set's string numbering.
    pub first_string: u32,
    /// Its condition.
    pub condition: Expr,
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
    /// Probe indices per string (rule set numbering), built on first use.
    pub(crate) probes_of: std::sync::OnceLock<Vec<Vec<u32>>>,
}

/// What a scan saw of each string: counts and probe hits, collected before the match limit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    counts: Vec<u64>,
    probes: Vec<bool>,
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
    }
}

impl RuleLogic {
    /// An empty tally for one input.
    pub fn tally(&self) -> Tally {
        Tally {
            counts: vec![0; self.string_total as usize],
            probes: vec![false; self.probes.len()],
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
    /// (string, offset), the variant of highest priority. Returns them sorted.
    pub fn resolve(&self, found: Vec<Match>) -> Vec<Match> {
        let mut keyed: Vec<(Match, u32)> = found
            .into_iter()
            .map(|m| {
                let (string, priority) =
                    self.rules[m.rule_id as usize].variants[m.string_id as usize];
                (
                    Match {
                        string_id: string,
                        ..m
                    },
                    priority,
                )
            })
            .collect();
        keyed.sort_unstable_by_key(|&(m, priority)| {
            (m.offset, m.rule_id, m.string_id, priority, m.length)
        });
        keyed.dedup_by_key(|(m, _)| (m.offset, m.rule_id, m.string_id));
        keyed
            .into_iter()
            .map(|(m, _)| m)
            .filter(|m| {
                let string = &self.rules[m.rule_id as usize].strings[m.string_id as usize];
                string.fixed_offset.is_none_or(|at| at == m.offset)
            })
            .collect()
    }

    /// Counts `n` matches of scanner string `variant` of rule `rule` past the storage cap (no
    /// offsets: probes do not see them); returns the string's index in its rule.
    pub fn count_past_cap(&self, tally: &mut Tally, rule: u32, variant: u32, n: u64) -> u32 {
        let r = &self.rules[rule as usize];
        let (string, _) = r.variants[variant as usize];
        tally.counts[(r.first_string + string) as usize] += n;
        string
    }

    /// Adds resolved matches to `tally`.
    pub fn count(&self, tally: &mut Tally, matches: &[Match]) {
        let probes_of = self.probes_of();
        for m in matches {
            let g = (self.rules[m.rule_id as usize].first_string + m.string_id) as usize;
            tally.counts[g] += 1;
            for &p in &probes_of[g] {
                let probe = self.probes[p as usize];
                if (probe.lo..=probe.hi).contains(&m.offset) {
                    tally.probes[p as usize] = true;
                }
            }
        }
    }

    /// The reported rules that match an input of `size` bytes: `read(offset, width)` gives
    /// input bytes for `uintW` (None past the end). Private rules are left out, and when a
    /// global rule is false no rule matches.
    pub fn evaluate(
        &self,
        tally: &Tally,
        size: u64,
        read: &dyn Fn(u64, usize) -> Option<Vec<u8>>,
    ) -> Vec<u32> {
        let mut results: Vec<bool> = Vec::with_capacity(self.rules.len());
        for rule in &self.rules {
            let eval = Evaluation {
                rule,
                tally,
                size,
                read,
                earlier: &results,
            };
            let value = eval.value(&rule.condition).truthy();
            results.push(value);
        }
        let globals_hold = self
            .rules
            .iter()
            .zip(&results)
            .all(|(rule, &hit)| !rule.global || hit);
        if !globals_hold {
            return Vec::new();
        }
        self.rules
            .iter()
            .zip(&results)
            .enumerate()
            .filter(|(_, (rule, &hit))| hit && !rule.private)
            .map(|(i, _)| i as u32)
            .collect()
    }
}

/// One rule's condition being evaluated.
struct Evaluation<'a> {
    rule: &'a LogicRule,
    tally: &'a Tally,
    size: u64,
    read: &'a dyn Fn(u64, usize) -> Option<Vec<u8>>,
    earlier: &'a [bool],
}

impl Evaluation<'_> {
    fn count(&self, string: u32) -> u64 {
        self.tally.counts[(self.rule.first_string + string) as usize]
    }

    fn value(&self, e: &Expr) -> Value {
        match e {
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Int(i) => Value::Int(*i),
            Expr::Filesize => Value::Int(i64::try_from(self.size).unwrap_or(i64::MAX)),
            Expr::Found(s) => Value::Bool(self.count(*s) > 0),
            Expr::Probe(p) => Value::Bool(self.tally.probes[*p as usize]),
            Expr::Count(s) => Value::Int(i64::try_from(self.count(*s)).unwrap_or(i64::MAX)),
            Expr::Read {
                offset,
                width,
                big_endian,
                signed,
            } => {
                let Value::Int(at) = self.value(offset) else {
                    return Value::Undefined;
                };
                let Ok(at) = u64::try_from(at) else {
                    return Value::Undefined;
                };
                match (self.read)(at, *width as usize) {
                    Some(bytes) if bytes.len() == *width as usize => {
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
                    _ => Value::Undefined,
                }
            }
            Expr::Arith(op, a, b) => match (self.value(a), self.value(b)) {
                (Value::Int(x), Value::Int(y)) => {
                    op.apply(x, y).map_or(Value::Undefined, Value::Int)
                }
                _ => Value::Undefined,
            },
            Expr::Neg(inner) => match self.value(inner) {
                Value::Int(x) => Value::Int(x.wrapping_neg()),
                _ => Value::Undefined,
            },
            Expr::BitNot(inner) => match self.value(inner) {
                Value::Int(x) => Value::Int(!x),
                _ => Value::Undefined,
            },
            Expr::Of { quantity, strings } => {
                let found = strings.iter().filter(|&&s| self.count(s) > 0).count() as u64;
                Value::Bool(match quantity {
                    Quantity::Any => found >= 1,
                    Quantity::All => found == strings.len() as u64,
                    Quantity::None | Quantity::AtLeast(0) => found == 0,
                    Quantity::AtLeast(n) => found >= *n,
                })
            }
            Expr::Rule(r) => Value::Bool(self.earlier.get(*r as usize).copied().unwrap_or(false)),
            Expr::Not(inner) => match self.value(inner) {
                Value::Undefined => Value::Undefined,
                v => Value::Bool(!v.truthy()),
            },
            Expr::And(items) => Value::Bool(items.iter().all(|i| self.value(i).truthy())),
            Expr::Or(items) => Value::Bool(items.iter().any(|i| self.value(i).truthy())),
            Expr::Compare(op, a, b) => match (self.value(a), self.value(b)) {
                (Value::Int(x), Value::Int(y)) => Value::Bool(op.holds(x, y)),
                (Value::Bool(x), Value::Bool(y)) => Value::Bool(op.holds(x as i64, y as i64)),
                _ => Value::Undefined,
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
            tags: Vec::new(),
            private: false,
            global: false,
            strings: (0..strings)
                .map(|i| LogicString {
                    name: format!("$s{i}"),
                    is_hex: false,
                    fixed_offset: None,
                })
                .collect(),
            variants: (0..strings as u32).map(|i| (i, 0)).collect(),
            first_string: 0,
            condition,
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
        r.variants = vec![(0, 1), (0, 0), (0, 2)];
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
        assert_eq!(out, vec![m(2, 0, 0, 3), m(5, 0, 0, 9)]);
    }

    fn read(offset: Expr, width: u8, big_endian: bool, signed: bool) -> Expr {
        Expr::Read {
            offset: Box::new(offset),
            width,
            big_endian,
            signed,
        }
    }

    /// The value of `e` on `data` (no strings), through a rule `e == expected`.
    fn holds(e: Expr, expected: i64, data: &[u8]) -> bool {
        let condition = Expr::Compare(Comparison::Eq, Box::new(e), Box::new(Expr::Int(expected)));
        let logic = RuleLogic {
            rules: vec![rule(condition, 0)],
            ..Default::default()
        };
        let read = |o: u64, w: usize| {
            let o = usize::try_from(o).ok()?;
            data.get(o..o.checked_add(w)?).map(<[u8]>::to_vec)
        };
        logic.evaluate(&logic.tally(), data.len() as u64, &read) == vec![0]
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
        let read = |o: u64, w: usize| data.get(o as usize..o as usize + w).map(<[u8]>::to_vec);
        assert_eq!(logic.evaluate(&logic.tally(), 4, &read), vec![2]);
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
        let none = |_: u64, _: usize| None;
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
