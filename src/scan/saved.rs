//! Compiled rule sets saved to a file and loaded back, as `yarac` and YARA-X's serialization
//! do, so that a scanner farm compiles its rules once and each process only loads them.
//!
//! File layout (little-endian):
//!
//! | bytes | content |
//! | --- | --- |
//! | 8 | magic `SPECRTRS` |
//! | 4 | format version ([`FORMAT_VERSION`]) |
//! | 8 | payload length |
//! | 8 | FNV-1a 64 checksum of the payload |
//! | n | payload: postcard encoding of the strings and the rule logic |
//!
//! Loading refuses a file of another kind (magic), of another format version, truncated or
//! altered (length and checksum), and then checks every index of the decoded rule logic before
//! the rule set is used, so that even a crafted file with a valid checksum yields an error, never
//! a panic or an out-of-bounds read. Conditions are stored in postfix order, so decoding needs
//! no recursion and nesting is bounded on load as in the compiler.

use super::chain::ChainGap;
use super::gpu::stable_hash;
use super::logic::{
    Arith, Comparison, Expr, Iteration, LogicRule, LogicString, MetaValue, Probe, Quantity,
    RuleLogic, StringRef, TextOp, VariantOf,
};
use super::modules::{self, Module, ModuleExpr, Step, StepShape};
use super::rules::{RuleSet, StringFlags};
use crate::scan::regex::{RegexFlags, RegexString, TextRegex};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The magic bytes that open a saved rule set.
pub const MAGIC: &[u8; 8] = b"SPECRTRS";
/// Version of the file format; files of other versions are refused.
pub const FORMAT_VERSION: u32 = 5;
/// Deepest condition accepted on load (as the compiler's limit).
const MAX_DEPTH: usize = 128;
const HEADER: usize = 8 + 4 + 8 + 8;

/// One programmatic string of the rule set.
#[derive(Serialize, Deserialize)]
struct SavedString {
    rule_id: u32,
    string_id: u32,
    bytes: Vec<u8>,
    mask: Vec<u8>,
    nocase: bool,
    wide: bool,
    ascii: bool,
    fullword: bool,
    /// A regular-expression string: its text and `s` flag (the others are above).
    regex: Option<(Vec<u8>, bool)>,
}

/// One step of a condition in postfix order.
#[derive(Serialize, Deserialize)]
enum Op {
    Bool(bool),
    Int(i64),
    Filesize,
    Found(u32),
    Probe(u32),
    Count(u32),
    /// Pops the offset.
    Read {
        width: u8,
        big_endian: bool,
        signed: bool,
    },
    /// Pops two operands; the code indexes `OPERATORS`.
    Arith(u8),
    Neg,
    BitNot,
    Of {
        quantity: (u8, u64),
        strings: Vec<u32>,
    },
    Rule(u32),
    Not,
    And(u32),
    Or(u32),
    Compare(u8),
    /// The string operands below are `None` for a loop's current string. Pops the index.
    MatchOffset(Option<u32>),
    /// Pops the index.
    MatchLength(Option<u32>),
    /// Pops the bounds.
    CountIn(Option<u32>),
    /// Pops the offset.
    FoundAt(Option<u32>),
    /// Pops the bounds.
    FoundIn(Option<u32>),
    CurrentCount,
    /// Pops the body.
    ForOf {
        quantity: (u8, u64),
        strings: Vec<u32>,
    },
    /// Pops the bounds and the body.
    ForInRange((u8, u64)),
    /// Pops the items and the body.
    ForInList {
        quantity: (u8, u64),
        items: u32,
    },
    Var(u32),
    RulesOf {
        quantity: (u8, u64),
        rules: Vec<u32>,
    },
    /// Pops the operand.
    Defined,
    Float(u64),
    Text(Vec<u8>),
    /// Pops two operands; the code indexes `TEXT_OPS`.
    TextOperator(u8),
    /// Pops the text: `matches` with this expression, `i` and `s` flags.
    Matches(Vec<u8>, bool, bool),
    /// A regular expression argument of a module function: source, `i` and `s` flags.
    Regex(Vec<u8>, bool, bool),
    /// Pops the operands of the steps (indexes, keys, arguments, in order): a module value.
    Module {
        module: String,
        steps: Vec<SavedStep>,
    },
    /// `entrypoint`.
    EntryPoint,
}

/// One step of a saved module expression.
#[derive(Serialize, Deserialize)]
enum SavedStep {
    Field(String),
    /// Takes one operand.
    Index,
    /// Takes one operand.
    Key,
    /// Takes `args` operands.
    Call {
        overload: u32,
        args: u32,
    },
    Length,
    /// Takes one operand.
    KeyAt,
    /// Takes one operand.
    ValueAt,
}

/// A string of a YARA rule (see [`LogicString`]).
#[derive(Serialize, Deserialize)]
struct SavedLogicString {
    name: String,
    is_hex: bool,
    fixed_offset: Option<u64>,
    keeps_offsets: bool,
    private: bool,
    chain: Vec<ChainGap>,
    single_match: bool,
}

#[derive(Serialize, Deserialize)]
struct SavedRule {
    name: String,
    namespace: u32,
    tags: Vec<String>,
    meta: Vec<(String, MetaValue)>,
    private: bool,
    global: bool,
    strings: Vec<SavedLogicString>,
    variants: Vec<VariantOf>,
    first_string: u32,
    condition: Vec<Op>,
}

#[derive(Serialize, Deserialize)]
struct SavedLogic {
    rules: Vec<SavedRule>,
    probes: Vec<(u32, u64, u64)>,
    string_total: u32,
    reads_input: bool,
    namespaces: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    strings: Vec<SavedString>,
    logic: Option<SavedLogic>,
}

const COMPARISONS: [Comparison; 6] = [
    Comparison::Eq,
    Comparison::Ne,
    Comparison::Lt,
    Comparison::Le,
    Comparison::Gt,
    Comparison::Ge,
];

/// Text operators by their code in saved files.
const TEXT_OPS: [TextOp; 7] = [
    TextOp::Contains,
    TextOp::IContains,
    TextOp::StartsWith,
    TextOp::IStartsWith,
    TextOp::EndsWith,
    TextOp::IEndsWith,
    TextOp::IEquals,
];

/// Integer operators by their code in saved files.
const OPERATORS: [Arith; 10] = [
    Arith::Add,
    Arith::Sub,
    Arith::Mul,
    Arith::Div,
    Arith::Mod,
    Arith::BitAnd,
    Arith::BitOr,
    Arith::BitXor,
    Arith::Shl,
    Arith::Shr,
];

fn quantity_code(q: Quantity) -> (u8, u64) {
    match q {
        Quantity::Any => (0, 0),
        Quantity::All => (1, 0),
        Quantity::None => (2, 0),
        Quantity::AtLeast(n) => (3, n),
        Quantity::Percent(n) => (4, n),
    }
}

fn quantity_of(code: (u8, u64)) -> Option<Quantity> {
    Some(match code {
        (0, _) => Quantity::Any,
        (1, _) => Quantity::All,
        (2, _) => Quantity::None,
        (3, n) => Quantity::AtLeast(n),
        (4, n) => Quantity::Percent(n),
        _ => return None,
    })
}

fn string_code(r: StringRef) -> Option<u32> {
    match r {
        StringRef::Named(s) => Some(s),
        StringRef::Current => None,
    }
}

/// Appends `e` in postfix order.
fn flatten(e: &Expr, out: &mut Vec<Op>) {
    match e {
        Expr::Bool(b) => out.push(Op::Bool(*b)),
        Expr::Int(i) => out.push(Op::Int(*i)),
        Expr::Float(bits) => out.push(Op::Float(*bits)),
        Expr::Text(t) => out.push(Op::Text(t.clone())),
        Expr::TextOp(op, a, b) => {
            flatten(a, out);
            flatten(b, out);
            let code = TEXT_OPS.iter().position(|c| c == op).expect("listed") as u8;
            out.push(Op::TextOperator(code));
        }
        Expr::Matches(text, regex) => {
            flatten(text, out);
            let (source, nocase, dot_all) = regex.source();
            out.push(Op::Matches(source.to_vec(), nocase, dot_all));
        }
        Expr::Regex(regex) => {
            let (source, nocase, dot_all) = regex.source();
            out.push(Op::Regex(source.to_vec(), nocase, dot_all));
        }
        Expr::Module(m) => {
            let mut steps = Vec::with_capacity(m.steps.len());
            for step in &m.steps {
                steps.push(match step {
                    Step::Field(name) => SavedStep::Field(name.clone()),
                    Step::Index(e) => {
                        flatten(e, out);
                        SavedStep::Index
                    }
                    Step::Key(e) => {
                        flatten(e, out);
                        SavedStep::Key
                    }
                    Step::Length => SavedStep::Length,
                    Step::KeyAt(e) => {
                        flatten(e, out);
                        SavedStep::KeyAt
                    }
                    Step::ValueAt(e) => {
                        flatten(e, out);
                        SavedStep::ValueAt
                    }
                    Step::Call { overload, args } => {
                        for a in args {
                            flatten(a, out);
                        }
                        SavedStep::Call {
                            overload: *overload,
                            args: args.len() as u32,
                        }
                    }
                });
            }
            out.push(Op::Module {
                module: m.module.name().to_string(),
                steps,
            });
        }
        Expr::Filesize => out.push(Op::Filesize),
        Expr::EntryPoint => out.push(Op::EntryPoint),
        Expr::Found(s) => out.push(Op::Found(*s)),
        Expr::Probe(p) => out.push(Op::Probe(*p)),
        Expr::Count(s) => out.push(Op::Count(*s)),
        Expr::Read {
            offset,
            width,
            big_endian,
            signed,
        } => {
            flatten(offset, out);
            out.push(Op::Read {
                width: *width,
                big_endian: *big_endian,
                signed: *signed,
            });
        }
        Expr::Arith(op, a, b) => {
            flatten(a, out);
            flatten(b, out);
            let code = OPERATORS.iter().position(|c| c == op).expect("listed") as u8;
            out.push(Op::Arith(code));
        }
        Expr::Neg(inner) => {
            flatten(inner, out);
            out.push(Op::Neg);
        }
        Expr::BitNot(inner) => {
            flatten(inner, out);
            out.push(Op::BitNot);
        }
        Expr::Of { quantity, strings } => out.push(Op::Of {
            quantity: quantity_code(*quantity),
            strings: strings.clone(),
        }),
        Expr::Rule(r) => out.push(Op::Rule(*r)),
        Expr::Not(inner) => {
            flatten(inner, out);
            out.push(Op::Not);
        }
        Expr::And(items) | Expr::Or(items) => {
            for i in items {
                flatten(i, out);
            }
            let n = items.len() as u32;
            out.push(if matches!(e, Expr::And(_)) {
                Op::And(n)
            } else {
                Op::Or(n)
            });
        }
        Expr::Compare(op, a, b) => {
            flatten(a, out);
            flatten(b, out);
            let code = COMPARISONS.iter().position(|c| c == op).expect("listed") as u8;
            out.push(Op::Compare(code));
        }
        Expr::MatchOffset(r, index) => {
            flatten(index, out);
            out.push(Op::MatchOffset(string_code(*r)));
        }
        Expr::MatchLength(r, index) => {
            flatten(index, out);
            out.push(Op::MatchLength(string_code(*r)));
        }
        Expr::CountIn(r, lo, hi) => {
            flatten(lo, out);
            flatten(hi, out);
            out.push(Op::CountIn(string_code(*r)));
        }
        Expr::FoundAt(r, at) => {
            flatten(at, out);
            out.push(Op::FoundAt(string_code(*r)));
        }
        Expr::FoundIn(r, lo, hi) => {
            flatten(lo, out);
            flatten(hi, out);
            out.push(Op::FoundIn(string_code(*r)));
        }
        Expr::CurrentCount => out.push(Op::CurrentCount),
        Expr::ForOf {
            quantity,
            strings,
            body,
        } => {
            flatten(body, out);
            out.push(Op::ForOf {
                quantity: quantity_code(*quantity),
                strings: strings.clone(),
            });
        }
        Expr::ForIn {
            quantity,
            iteration,
            body,
        } => {
            let quantity = quantity_code(*quantity);
            match iteration {
                Iteration::Range(lo, hi) => {
                    flatten(lo, out);
                    flatten(hi, out);
                    flatten(body, out);
                    out.push(Op::ForInRange(quantity));
                }
                Iteration::List(items) => {
                    for item in items {
                        flatten(item, out);
                    }
                    flatten(body, out);
                    out.push(Op::ForInList {
                        quantity,
                        items: items.len() as u32,
                    });
                }
            }
        }
        Expr::Var(depth) => out.push(Op::Var(*depth)),
        Expr::RulesOf { quantity, rules } => out.push(Op::RulesOf {
            quantity: quantity_code(*quantity),
            rules: rules.clone(),
        }),
        Expr::Defined(inner) => {
            flatten(inner, out);
            out.push(Op::Defined);
        }
    }
}

/// Checks that each call of `m` passes as many arguments as its overload takes, with the
/// regular expressions exactly where the overload takes them.
fn check_calls(m: &ModuleExpr) -> std::result::Result<(), String> {
    let shapes = m.steps.iter().map(|s| match s {
        Step::Field(name) => StepShape::Field(name),
        Step::Index(_) => StepShape::Index,
        Step::Key(_) => StepShape::Key,
        Step::Length => StepShape::Length,
        Step::KeyAt(_) => StepShape::KeyAt,
        Step::ValueAt(_) => StepShape::ValueAt,
        Step::Call { overload, .. } => StepShape::Call(*overload),
    });
    let mut at = modules::Reached::Root;
    for (shape, step) in shapes.zip(&m.steps) {
        if let (
            modules::Reached::Kind(modules::Kind::Function(overloads)),
            Step::Call { overload, args },
        ) = (at, step)
        {
            let declared = overloads
                .get(*overload as usize)
                .map_or(&[][..], |o| o.args);
            let fits = declared.len() == args.len()
                && declared
                    .iter()
                    .zip(args)
                    .all(|(d, a)| (*d == modules::Arg::Regex) == matches!(a, Expr::Regex(_)));
            if !fits {
                return Err(format!(
                    "a call of a `{}` function with arguments its overload does not take",
                    m.module.name()
                ));
            }
        }
        at = modules::follow(m.module, at, shape).map_err(|e| e.message)?;
    }
    Ok(())
}

/// The rule `rule` (of `rules_before` earlier rules, `strings` strings, `probes` probes) from
/// its postfix condition, every index checked.
fn rebuild(ops: Vec<Op>, strings: u32, probes: u32, rules_before: u32) -> Result<Expr> {
    let bad = |what: String| Error::Format(format!("corrupt condition: {what}"));
    let string = |s: u32| {
        if s < strings {
            Ok(s)
        } else {
            Err(bad(format!("string {s} of {strings}")))
        }
    };
    let string_ref = |r: Option<u32>| match r {
        Some(s) => string(s).map(StringRef::Named),
        None => Ok(StringRef::Current),
    };
    // (expression, depth)
    let mut stack: Vec<(Expr, usize)> = Vec::new();
    let pop = |stack: &mut Vec<(Expr, usize)>, n: usize| {
        if n == 0 || n > stack.len() {
            return Err(bad("an operator without its operands".into()));
        }
        Ok(stack.split_off(stack.len() - n))
    };
    // The operand of a unary node, and the node's depth.
    let unary = |stack: &mut Vec<(Expr, usize)>| {
        let (e, d) = pop(stack, 1)?.pop().expect("one");
        Ok::<_, Error>((Box::new(e), d + 1))
    };
    // The two operands of a binary node, and the node's depth.
    let binary = |stack: &mut Vec<(Expr, usize)>| {
        let mut ab = pop(stack, 2)?;
        let (b, db) = ab.pop().expect("two");
        let (a, da) = ab.pop().expect("two");
        Ok::<_, Error>((Box::new(a), Box::new(b), da.max(db) + 1))
    };
    let quantity =
        |code: (u8, u64)| quantity_of(code).ok_or_else(|| bad(format!("quantity {}", code.0)));
    let string_set = |set: Vec<u32>| set.into_iter().map(string).collect::<Result<Vec<_>>>();
    for op in ops {
        let leaf = |e| Ok::<_, Error>((e, 1));
        let (e, depth) = match op {
            Op::Bool(b) => leaf(Expr::Bool(b))?,
            Op::Int(i) => leaf(Expr::Int(i))?,
            Op::Float(bits) => leaf(Expr::Float(bits))?,
            Op::Text(t) => leaf(Expr::Text(t))?,
            Op::TextOperator(code) => {
                let op = *TEXT_OPS
                    .get(code as usize)
                    .ok_or_else(|| bad(format!("text operator {code}")))?;
                let (a, b, depth) = binary(&mut stack)?;
                (Expr::TextOp(op, a, b), depth)
            }
            Op::Filesize => leaf(Expr::Filesize)?,
            Op::EntryPoint => leaf(Expr::EntryPoint)?,
            Op::Found(s) => leaf(Expr::Found(string(s)?))?,
            Op::Count(s) => leaf(Expr::Count(string(s)?))?,
            Op::Probe(p) if p < probes => leaf(Expr::Probe(p))?,
            Op::Probe(p) => return Err(bad(format!("probe {p} of {probes}"))),
            Op::Read {
                width,
                big_endian,
                signed,
            } if matches!(width, 1 | 2 | 4) => {
                let (offset, depth) = unary(&mut stack)?;
                let read = Expr::Read {
                    offset,
                    width,
                    big_endian,
                    signed,
                };
                (read, depth)
            }
            Op::Read { width, .. } => return Err(bad(format!("a read of {width} bytes"))),
            Op::Arith(code) => {
                let op = *OPERATORS
                    .get(code as usize)
                    .ok_or_else(|| bad(format!("operator {code}")))?;
                let (a, b, depth) = binary(&mut stack)?;
                (Expr::Arith(op, a, b), depth)
            }
            Op::Neg | Op::BitNot => {
                let (inner, depth) = unary(&mut stack)?;
                let e = if matches!(op, Op::Neg) {
                    Expr::Neg(inner)
                } else {
                    Expr::BitNot(inner)
                };
                (e, depth)
            }
            Op::Of {
                quantity: q,
                strings,
            } => leaf(Expr::Of {
                quantity: quantity(q)?,
                strings: string_set(strings)?,
            })?,
            Op::Rule(r) if r < rules_before => leaf(Expr::Rule(r))?,
            Op::Rule(r) => return Err(bad(format!("rule {r} is not an earlier rule"))),
            Op::Not => {
                let (inner, depth) = unary(&mut stack)?;
                (Expr::Not(inner), depth)
            }
            Op::And(n) | Op::Or(n) => {
                let is_and = matches!(op, Op::And(_));
                let items = pop(&mut stack, n as usize)?;
                let depth = items.iter().map(|(_, d)| *d).max().unwrap_or(0) + 1;
                let items: Vec<Expr> = items.into_iter().map(|(e, _)| e).collect();
                let e = if is_and {
                    Expr::And(items)
                } else {
                    Expr::Or(items)
                };
                (e, depth)
            }
            Op::MatchOffset(r) | Op::MatchLength(r) | Op::FoundAt(r) => {
                let r = string_ref(r)?;
                let (operand, depth) = unary(&mut stack)?;
                let e = match op {
                    Op::MatchOffset(_) => Expr::MatchOffset(r, operand),
                    Op::MatchLength(_) => Expr::MatchLength(r, operand),
                    _ => Expr::FoundAt(r, operand),
                };
                (e, depth)
            }
            Op::CountIn(r) | Op::FoundIn(r) => {
                let r = string_ref(r)?;
                let (lo, hi, depth) = binary(&mut stack)?;
                let e = if matches!(op, Op::CountIn(_)) {
                    Expr::CountIn(r, lo, hi)
                } else {
                    Expr::FoundIn(r, lo, hi)
                };
                (e, depth)
            }
            Op::CurrentCount => leaf(Expr::CurrentCount)?,
            Op::RulesOf { quantity: q, rules } => {
                if let Some(r) = rules.iter().find(|&&r| r >= rules_before) {
                    return Err(bad(format!("rule {r} is not an earlier rule")));
                }
                leaf(Expr::RulesOf {
                    quantity: quantity(q)?,
                    rules,
                })?
            }
            Op::Defined => {
                let (inner, depth) = unary(&mut stack)?;
                (Expr::Defined(inner), depth)
            }
            Op::Matches(source, nocase, dot_all) => {
                let regex = TextRegex::compile(&source, nocase, dot_all)
                    .map_err(|e| bad(format!("regular expression: {}", e.message)))?;
                let (inner, depth) = unary(&mut stack)?;
                (Expr::Matches(inner, std::sync::Arc::new(regex)), depth)
            }
            Op::Var(depth) => leaf(Expr::Var(depth))?,
            Op::Regex(source, nocase, dot_all) => {
                let regex = TextRegex::compile(&source, nocase, dot_all)
                    .map_err(|e| bad(format!("regular expression: {}", e.message)))?;
                leaf(Expr::Regex(std::sync::Arc::new(regex)))?
            }
            Op::Module { module, steps } => {
                let module = Module::named(&module)
                    .ok_or_else(|| bad(format!("unknown module `{module}`")))?;
                let shapes = steps.iter().map(|s| match s {
                    SavedStep::Field(name) => StepShape::Field(name),
                    SavedStep::Index => StepShape::Index,
                    SavedStep::Key => StepShape::Key,
                    SavedStep::Call { overload, .. } => StepShape::Call(*overload),
                    SavedStep::Length => StepShape::Length,
                    SavedStep::KeyAt => StepShape::KeyAt,
                    SavedStep::ValueAt => StepShape::ValueAt,
                });
                let reached = modules::reach(module, shapes).map_err(|e| bad(e.message))?;
                if reached.leaf().is_none() {
                    return Err(bad(format!(
                        "a module expression ends at {}",
                        reached.describe()
                    )));
                }
                let operands: usize = steps
                    .iter()
                    .map(|s| match s {
                        SavedStep::Field(_) | SavedStep::Length => 0,
                        SavedStep::Index
                        | SavedStep::Key
                        | SavedStep::KeyAt
                        | SavedStep::ValueAt => 1,
                        SavedStep::Call { args, .. } => *args as usize,
                    })
                    .sum();
                let popped = if operands == 0 {
                    Vec::new()
                } else {
                    pop(&mut stack, operands)?
                };
                let depth = popped.iter().map(|(_, d)| *d).max().unwrap_or(0) + 1;
                let mut operands = popped.into_iter().map(|(e, _)| e);
                let mut next = || {
                    operands
                        .next()
                        .ok_or_else(|| bad("a missing operand".into()))
                };
                let mut rebuilt = Vec::with_capacity(steps.len());
                for step in steps {
                    rebuilt.push(match step {
                        SavedStep::Field(name) => Step::Field(name),
                        SavedStep::Index => Step::Index(next()?),
                        SavedStep::Key => Step::Key(next()?),
                        SavedStep::Length => Step::Length,
                        SavedStep::KeyAt => Step::KeyAt(next()?),
                        SavedStep::ValueAt => Step::ValueAt(next()?),
                        SavedStep::Call { overload, args } => Step::Call {
                            overload,
                            args: (0..args).map(|_| next()).collect::<Result<_>>()?,
                        },
                    });
                }
                let e = Expr::Module(Box::new(ModuleExpr {
                    module,
                    steps: rebuilt,
                }));
                if let Expr::Module(m) = &e {
                    check_calls(m).map_err(bad)?;
                }
                (e, depth)
            }
            Op::ForOf {
                quantity: q,
                strings,
            } => {
                let (quantity, strings) = (quantity(q)?, string_set(strings)?);
                let (body, depth) = unary(&mut stack)?;
                let e = Expr::ForOf {
                    quantity,
                    strings,
                    body,
                };
                (e, depth)
            }
            Op::ForInRange(q) | Op::ForInList { quantity: q, .. } => {
                let quantity = quantity(q)?;
                let n = match op {
                    Op::ForInList { items, .. } => items as usize,
                    _ => 2,
                };
                let mut operands = pop(&mut stack, n + 1)?;
                let (body, db) = operands.pop().expect("body");
                let depth = operands.iter().map(|(_, d)| *d).max().unwrap_or(0).max(db) + 1;
                let mut items: Vec<Expr> = operands.into_iter().map(|(e, _)| e).collect();
                let iteration = if matches!(op, Op::ForInRange(_)) {
                    let hi = items.pop().expect("two");
                    let lo = items.pop().expect("two");
                    Iteration::Range(Box::new(lo), Box::new(hi))
                } else {
                    Iteration::List(items)
                };
                let body = Box::new(body);
                let e = Expr::ForIn {
                    quantity,
                    iteration,
                    body,
                };
                (e, depth)
            }
            Op::Compare(code) => {
                let op = *COMPARISONS
                    .get(code as usize)
                    .ok_or_else(|| bad(format!("comparison {code}")))?;
                let (a, b, depth) = binary(&mut stack)?;
                (Expr::Compare(op, a, b), depth)
            }
        };
        if depth > MAX_DEPTH {
            return Err(bad(format!("nested more than {MAX_DEPTH} deep")));
        }
        stack.push((e, depth));
    }
    match (stack.pop(), stack.is_empty()) {
        (Some((e, _)), true) => Ok(e),
        _ => Err(bad("not exactly one expression".into())),
    }
}

impl RuleSet {
    /// The rule set as the bytes of a saved file (see the module documentation).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let strings = self
            .rules()
            .iter()
            .flat_map(|r| {
                r.strings.iter().map(|s| match &s.regex {
                    Some(regex) => {
                        let f = regex.flags();
                        SavedString {
                            rule_id: r.id,
                            string_id: s.id,
                            bytes: Vec::new(),
                            mask: Vec::new(),
                            nocase: f.nocase,
                            wide: f.wide,
                            ascii: f.ascii,
                            fullword: f.fullword,
                            regex: Some((regex.text().to_vec(), f.dot_all)),
                        }
                    }
                    None => SavedString {
                        rule_id: r.id,
                        string_id: s.id,
                        bytes: s.bytes.clone(),
                        mask: s.mask.clone(),
                        nocase: s.flags.nocase,
                        wide: s.flags.wide,
                        ascii: s.flags.ascii,
                        fullword: s.flags.fullword,
                        regex: None,
                    },
                })
            })
            .collect();
        let logic = self.logic().map(|l| SavedLogic {
            rules: l
                .rules
                .iter()
                .map(|r| {
                    let mut condition = Vec::new();
                    flatten(&r.condition, &mut condition);
                    SavedRule {
                        name: r.name.clone(),
                        namespace: r.namespace,
                        tags: r.tags.clone(),
                        meta: r.meta.clone(),
                        private: r.private,
                        global: r.global,
                        strings: r
                            .strings
                            .iter()
                            .map(|s| SavedLogicString {
                                name: s.name.clone(),
                                is_hex: s.is_hex,
                                fixed_offset: s.fixed_offset,
                                keeps_offsets: s.keeps_offsets,
                                private: s.private,
                                chain: s.chain.clone(),
                                single_match: s.single_match,
                            })
                            .collect(),
                        variants: r.variants.clone(),
                        first_string: r.first_string,
                        condition,
                    }
                })
                .collect(),
            probes: l.probes.iter().map(|p| (p.string, p.lo, p.hi)).collect(),
            string_total: l.string_total,
            reads_input: l.reads_input,
            namespaces: l.namespaces.clone(),
        });
        let payload = postcard::to_stdvec(&Saved { strings, logic })
            .map_err(|e| Error::invalid(format!("encoding the rule set: {e}")))?;
        let mut out = Vec::with_capacity(HEADER + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&stable_hash(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        Ok(out)
    }

    /// A rule set from the bytes of a saved file; `Error::Format` for anything else.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bad = |what: &str| Error::Format(what.to_string());
        if bytes.len() < 8 || &bytes[..8] != MAGIC {
            return Err(bad(
                "not a specrt compiled rule set (no SPECRTRS magic); compile the YARA source",
            ));
        }
        if bytes.len() < HEADER {
            return Err(bad("truncated compiled rule set (incomplete header)"));
        }
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8"));
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4"));
        if version != FORMAT_VERSION {
            return Err(Error::Format(format!(
                "compiled rule set of format {version}; this specrt reads format \
                 {FORMAT_VERSION}: compile the rules again"
            )));
        }
        let payload = &bytes[HEADER..];
        if word(12) != payload.len() as u64 {
            return Err(Error::Format(format!(
                "truncated or extended compiled rule set: {} payload bytes, the header says {}",
                payload.len(),
                word(12)
            )));
        }
        if word(20) != stable_hash(payload) {
            return Err(bad("corrupt compiled rule set (checksum mismatch)"));
        }
        let saved: Saved = postcard::from_bytes(payload)
            .map_err(|e| Error::Format(format!("corrupt compiled rule set: {e}")))?;
        let mut rules = RuleSet::new();
        for s in saved.strings {
            let added = match s.regex {
                Some((text, dot_all)) => {
                    let flags = RegexFlags {
                        nocase: s.nocase,
                        dot_all,
                        ascii: s.ascii,
                        wide: s.wide,
                        fullword: s.fullword,
                    };
                    let regex = RegexString::compile(&text, flags).map_err(|e| {
                        Error::Format(format!(
                            "corrupt compiled rule set: regular expression: {}",
                            e.message
                        ))
                    })?;
                    rules.add_regex(s.rule_id, s.string_id, std::sync::Arc::new(regex))
                }
                None => {
                    let flags = StringFlags {
                        nocase: s.nocase,
                        wide: s.wide,
                        ascii: s.ascii,
                        fullword: s.fullword,
                    };
                    rules.add_string(s.rule_id, s.string_id, &s.bytes, &s.mask, flags)
                }
            };
            added.map_err(|e| Error::Format(format!("corrupt compiled rule set: {e}")))?;
        }
        if let Some(logic) = saved.logic {
            let logic = rebuild_logic(logic, rules.string_count())?;
            // Every scanner string must name a rule and one of its variants.
            for r in rules.rules() {
                let variants = logic
                    .rules
                    .get(r.id as usize)
                    .map_or(0, |l| l.variants.len());
                if let Some(s) = r.strings.iter().find(|s| s.id as usize >= variants) {
                    return Err(Error::Format(format!(
                        "corrupt compiled rule set: string {} of rule {} has no variant",
                        s.id, r.id
                    )));
                }
            }
            rules.set_logic(logic);
        }
        Ok(rules)
    }

    /// Saves the rule set to `path` (written to a temporary file, then renamed).
    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = self.to_bytes()?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut file = tempfile::NamedTempFile::new_in(dir)
            .map_err(|e| Error::io(path, "creating the compiled rule file", e))?;
        std::io::Write::write_all(&mut file, &bytes)
            .map_err(|e| Error::io(path, "writing the compiled rule file", e))?;
        // Readable by the other processes of a scanner farm, like a compiler's output.
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::io(path, "setting the compiled rule file's permissions", e))?;
        file.persist(path)
            .map_err(|e| Error::io(path, "saving the compiled rule file", e.error))?;
        Ok(())
    }

    /// Loads a rule set saved by [`RuleSet::save`].
    pub fn load(path: &Path) -> Result<Self> {
        let bytes =
            std::fs::read(path).map_err(|e| Error::io(path, "reading the compiled rules", e))?;
        Self::from_bytes(&bytes).map_err(|e| match e {
            Error::Format(m) => Error::Format(format!("{}: {m}", path.display())),
            e => e,
        })
    }
}

/// The rule logic of a saved file, every index checked against `string_count` scanner strings.
fn rebuild_logic(saved: SavedLogic, string_count: usize) -> Result<RuleLogic> {
    let bad = |what: String| Error::Format(format!("corrupt compiled rule set: {what}"));
    let probes = saved.probes.len() as u32;
    let mut logic = RuleLogic {
        string_total: saved.string_total,
        reads_input: saved.reads_input,
        namespaces: saved.namespaces,
        ..Default::default()
    };
    for &(string, lo, hi) in &saved.probes {
        if string >= saved.string_total {
            return Err(bad(format!("probe on string {string}")));
        }
        logic.probes.push(Probe { string, lo, hi });
    }
    let mut variant_total = 0usize;
    // Rules number their strings consecutively, as the compiler does, so the total (which sizes
    // every tally) is exactly the strings the rules declare.
    let mut next_string = 0u64;
    for (index, r) in saved.rules.into_iter().enumerate() {
        let strings = r.strings.len() as u32;
        if r.first_string as u64 != next_string {
            return Err(bad(format!(
                "rule {index} does not number its strings in order"
            )));
        }
        next_string += strings as u64;
        if next_string > saved.string_total as u64 {
            return Err(bad(format!("rule {index} has strings past the total")));
        }
        let parts_of = |v: &VariantOf| r.strings.get(v.string as usize).map(|s| s.chain.len());
        if r.variants
            .iter()
            .any(|v| parts_of(v).is_none_or(|gaps| v.part as usize > gaps))
        {
            return Err(bad(format!("rule {index} maps a variant to no string")));
        }
        if r.namespace as usize >= logic.namespaces.len() {
            return Err(bad(format!("rule {index} is in no namespace")));
        }
        variant_total += r.variants.len();
        let condition = rebuild(r.condition, strings, probes, index as u32)?;
        logic.rules.push(LogicRule {
            name: r.name,
            namespace: r.namespace,
            tags: r.tags,
            meta: r.meta,
            private: r.private,
            global: r.global,
            strings: r
                .strings
                .into_iter()
                .map(|s| LogicString {
                    name: s.name,
                    is_hex: s.is_hex,
                    fixed_offset: s.fixed_offset,
                    keeps_offsets: s.keeps_offsets,
                    private: s.private,
                    chain: s.chain,
                    single_match: s.single_match,
                })
                .collect(),
            variants: r.variants,
            first_string: r.first_string,
            condition,
        });
    }
    if next_string != saved.string_total as u64 {
        return Err(bad(format!(
            "{} strings declared for {next_string} in the rules",
            saved.string_total
        )));
    }
    if variant_total != string_count {
        return Err(bad(format!(
            "{variant_total} string variants for {string_count} strings"
        )));
    }
    Ok(logic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::yara::{compile, CompileOptions};

    const SOURCE: &str = r#"
        global rule g { condition: filesize >= 0 }
        private rule p { strings: $a = "abc" nocase condition: $a }
        rule r : tag1 tag2 {
            meta: x = 1
            strings: $h = { 4D 5A ( 90 | 91 ) [1-2] 00 } $w = "key" wide ascii fullword
            condition: p and (#h > 1 or not $w at 10) and uint16be(0) == 0x4d5a and 1 of them
                and int16(uint32(0x3c) + 0x5c) * -2 \ #h % 7 != (~filesize << 1 | 3 ^ 1 & 2 >> 1)
                and for all i in (1..#h) : (@h[i] > 0 and !h[i] < 9 and $h at @h[i])
                and for any of them : (# > 0 and $ in (0..filesize) and #h in (0..@ + 1) > 0)
                and 50% of them and for 1 v in (1, 2, filesize) : (v == 2)
                and "abc" icontains "B" and filesize * 1.5 > -2.5 and defined (1 \ (filesize - 1))
        }"#;

    fn compiled() -> RuleSet {
        compile(SOURCE.as_bytes(), "t.yar", CompileOptions::default())
            .unwrap()
            .rules
    }

    #[test]
    fn round_trip_keeps_strings_and_logic() {
        let rules = compiled();
        let loaded = RuleSet::from_bytes(&rules.to_bytes().unwrap()).unwrap();
        assert_eq!(loaded.rules(), rules.rules());
        assert_eq!(**loaded.logic().unwrap(), **rules.logic().unwrap());
        let mut programmatic = RuleSet::new();
        programmatic
            .add_string(3, 9, b"ab", &[0xff, 0xdf], StringFlags::default())
            .unwrap();
        let loaded = RuleSet::from_bytes(&programmatic.to_bytes().unwrap()).unwrap();
        assert_eq!(loaded.rules(), programmatic.rules());
        assert!(loaded.logic().is_none());
    }

    #[test]
    fn foreign_truncated_and_altered_files_are_refused() {
        let bytes = compiled().to_bytes().unwrap();
        let message = |b: &[u8]| match RuleSet::from_bytes(b) {
            Err(Error::Format(m)) => m,
            other => panic!("{:?}", other.map(|_| ())),
        };
        assert!(message(b"rule a { condition: true }").contains("magic"));
        assert!(message(&bytes[..20]).contains("header"));
        assert!(message(&bytes[..bytes.len() - 1]).contains("truncated"));
        let mut version = bytes.clone();
        version[8] = 9;
        assert!(message(&version).contains("format 9"));
        for at in [HEADER, bytes.len() / 2, bytes.len() - 1] {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x40;
            assert!(message(&flipped).contains("checksum"));
        }
    }

    #[test]
    fn crafted_files_with_valid_checksums_are_checked() {
        let saved_numbered = |strings: Vec<SavedString>,
                              condition: Vec<Op>,
                              first_string: u32,
                              string_total: u32| {
            let logic = SavedLogic {
                rules: vec![SavedRule {
                    name: "r".into(),
                    namespace: 0,
                    tags: vec![],
                    meta: vec![],
                    private: false,
                    global: false,
                    strings: vec![SavedLogicString {
                        name: "$a".into(),
                        is_hex: false,
                        fixed_offset: None,
                        keeps_offsets: false,
                        private: false,
                        chain: vec![],
                        single_match: false,
                    }],
                    variants: vec![VariantOf {
                        string: 0,
                        part: 0,
                        priority: 0,
                    }],
                    first_string,
                    condition,
                }],
                probes: vec![],
                string_total,
                reads_input: false,
                namespaces: vec!["default".into()],
            };
            let payload = postcard::to_stdvec(&Saved {
                strings,
                logic: Some(logic),
            })
            .unwrap();
            let mut out = MAGIC.to_vec();
            out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
            out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
            out.extend_from_slice(&stable_hash(&payload).to_le_bytes());
            out.extend_from_slice(&payload);
            RuleSet::from_bytes(&out)
        };
        let saved = |strings, condition| saved_numbered(strings, condition, 0, 1);
        let one = || {
            vec![SavedString {
                rule_id: 0,
                string_id: 0,
                bytes: b"x".to_vec(),
                mask: vec![0xff],
                nocase: false,
                wide: false,
                ascii: false,
                fullword: false,
                regex: None,
            }]
        };
        assert!(saved(one(), vec![Op::Found(0)]).is_ok());
        // A regular expression that does not compile is a corrupt file.
        let bad_regex = vec![SavedString {
            bytes: Vec::new(),
            mask: Vec::new(),
            regex: Some((b"a(".to_vec(), false)),
            ..one().remove(0)
        }];
        assert!(matches!(
            saved(bad_regex, vec![Op::Found(0)]),
            Err(Error::Format(_))
        ));
        let too_deep: Vec<Op> = std::iter::once(Op::Found(0))
            .chain((0..200).map(|_| Op::Not))
            .collect();
        for bad in [
            vec![Op::Found(1)],
            vec![Op::Probe(0)],
            vec![Op::Rule(0)],
            vec![Op::Not],
            vec![],
            vec![Op::Found(0), Op::Found(0)],
            vec![Op::Found(0), Op::Compare(9)],
            vec![
                Op::Int(0),
                Op::Read {
                    width: 3,
                    big_endian: false,
                    signed: false,
                },
            ],
            vec![Op::Read {
                width: 4,
                big_endian: false,
                signed: true,
            }],
            vec![Op::Int(1), Op::Arith(1)],
            vec![Op::Int(1), Op::Int(2), Op::Arith(10)],
            vec![Op::Neg],
            too_deep,
        ] {
            assert!(matches!(saved(one(), bad), Err(Error::Format(_))));
        }
        // A string total that is not the strings the rules declare (it sizes every tally), and
        // strings numbered out of order.
        for (first, total) in [(0, 1 << 28), (1, 2), (0, 0)] {
            assert!(matches!(
                saved_numbered(one(), vec![Op::Found(0)], first, total),
                Err(Error::Format(_))
            ));
        }
        // A string that the logic does not account for.
        let mut two = one();
        two.extend(one().into_iter().map(|s| SavedString { string_id: 1, ..s }));
        assert!(matches!(
            saved(two, vec![Op::Found(0)]),
            Err(Error::Format(_))
        ));
    }
}
