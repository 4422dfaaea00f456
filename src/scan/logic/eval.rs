//! Evaluation of the typed IR over one input: a tree walk with YARA's value model.
//!
//! Values are booleans, integers, floats, texts and *undefined* (a read past the end, `@x[i]`
//! past the last match, a division by zero, a module value the input lacks); undefined spreads
//! through arithmetic and comparisons, `not undefined` stays undefined, and a rule whose
//! condition is undefined is false. Loops bind the current string (`for ... of`) or a variable
//! (`for ... in`) in an environment and stop as soon as their quantifier is settled; all the
//! loops of one condition share a budget of [`MAX_LOOP_ITERATIONS`].

use super::ir::{Comparison, Expr, Iteration, Quantity, StringRef};
use super::{LogicRule, MatchLists, Tally};
use crate::scan::modules::{
    schema, ArgValue, CallArgs, Kind, Loaded, ModuleExpr, Object, Returned, Step,
};
use std::borrow::Cow;

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

/// Whether `e` is false whenever none of its rule's strings matched, whatever the input's
/// size, bytes and the other rules: then a rule without a match need not be evaluated, as
/// yara skips such rules. Conservative: false when unsure.
pub(super) fn needs_a_match(e: &Expr) -> bool {
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

/// Whether `rule`'s condition holds: `earlier` holds the results of the rules before it,
/// `lists` the kept matches of `tally`, `modules` the input and its module values.
pub(super) fn holds(
    rule: &LogicRule,
    tally: &Tally,
    lists: &MatchLists,
    modules: &Loaded<'_>,
    earlier: &[bool],
) -> bool {
    let evaluation = Evaluation {
        rule,
        tally,
        lists,
        modules,
        earlier,
    };
    evaluation
        .value(&rule.condition, &mut Env::default())
        .truthy()
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
