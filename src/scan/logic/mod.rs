//! Rule logic of compiled YARA rule sets: names, conditions, and how the scanner's byte patterns
//! map back to the rules' strings.
//!
//! Three parts, each in its own module:
//! - [`ir`] (re-exported here): the typed IR of conditions that the YARA front end produces;
//! - `eval`: its evaluation over one input, with YARA's value model (undefined values, loops);
//! - this module: the rules as compiled ([`RuleLogic`]), the mapping from scanner matches to
//!   the rules' strings, and the per-input tally the conditions are evaluated on.
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
//! YARA's per-string limit.

mod eval;
pub mod ir;

pub use ir::{Arith, Comparison, Expr, Iteration, MetaValue, Probe, Quantity, StringRef, TextOp};

use super::bounded::MAX_STRING_MATCHES;
use super::chain::{self, ChainGap, PartMatch};
use super::modules::{Input, Loaded};
use super::regex::verify::ReadRange;
use super::results::Match;
use std::borrow::Cow;

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
    /// [`eval::needs_a_match`]), built on first use.
    pub(crate) needs_match: std::sync::OnceLock<Vec<bool>>,
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
                .map(|r| eval::needs_a_match(&r.condition))
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
            let value = eval::holds(rule, tally, &lists, &modules, &results);
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
