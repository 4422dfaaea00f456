//! A rule's condition lowered to the typed IR ([`crate::scan::logic::Expr`]).
//!
//! Types follow YARA's checks: integers and floats mix in arithmetic (`+ - * \`) and
//! comparisons, the bitwise operators, `%` and shifts take integers only, texts compare with
//! texts and take the text operators, and anything is a boolean to `and`, `or` and `not`.
//! Integer constants fold as they are lowered (a constant division by zero is an error, as in
//! YARA), which turns `$x at 0x100 + 4` and `$x in (0..filesize_constant)` into offset probes
//! checked while matches are counted. Names resolve in YARA's order: external variables
//! (unless a loop variable shadows them), loop variables, module loop variables, modules,
//! then rules. A module path (`pe.sections[i].name`, `hash.md5(0, 64)`) is checked step by
//! step against the module's declarations.
//!
//! Lowering also records how the condition uses each string: only as `$x at N` (then a
//! literal string matches only at N, as in YARA), through its offsets (`@x`, `!x`, `#x in`,
//! loops: the scanner keeps them), or only for whether it matched (single-match in fast mode).

use super::strings::lower_strings;
use super::{LoweredRule, LoweredString, Scope};
use crate::scan::logic::{Arith, Comparison, Expr, Iteration, Probe, Quantity, StringRef};
use crate::scan::modules::{self, Leaf, Module, ModuleExpr, Reached, Step, StepShape};
use crate::scan::regex::TextRegex;
use crate::scan::yara::ast::{self, Anchor, ExprKind, OfSet, Pos, Quantifier, StringSet};
use crate::scan::yara::{Diagnostic, External};
use std::collections::HashMap;
use std::sync::Arc;

/// The type of an expression, as YARA checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Bool,
    Int,
    Float,
    Text,
}

impl Ty {
    fn is_number(self) -> bool {
        matches!(self, Ty::Int | Ty::Float)
    }

    /// The type in words.
    fn name(self) -> &'static str {
        match self {
            Ty::Bool => "boolean",
            Ty::Int => "integer",
            Ty::Float => "float",
            Ty::Text => "string",
        }
    }
}

/// An IR expression and its type.
type Typed = (Expr, Ty);

/// A module, the steps of a path into it, and where they lead.
type ModulePath = (Module, Vec<Step>, Reached);

/// How a rule's condition uses one of its strings, for YARA's fixed-offset strings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Use {
    #[default]
    Unused,
    /// Only as `$x at N`, always the same N.
    OnlyAt(u64),
    /// Any other way.
    Other,
}

/// A loop variable that stands for a module value: an array item, or a dictionary's key or
/// value at the loop's position.
#[derive(Clone)]
struct ModuleVar {
    name: String,
    module: Module,
    /// The path to the value, with the loop's position variable in it.
    steps: Vec<Step>,
    /// Where the path leads.
    at: Reached,
}

/// The lowering of one rule: what its condition has seen so far.
pub struct RuleLowering<'a> {
    rule_name: &'a str,
    scope: &'a Scope,
    externals: &'a HashMap<String, External>,
    /// Probes of earlier rules (this rule's probes are numbered after them).
    probe_base: usize,
    /// Strings of earlier rules (the rule set's string numbering).
    string_base: u32,
    strings: Vec<LoweredString>,
    /// Where each string is declared.
    declared_at: Vec<Pos>,
    uses: Vec<Use>,
    probes: Vec<Probe>,
    reads_input: bool,
    /// The variables of the enclosing `for ... in` loops, outermost first.
    loop_vars: Vec<String>,
    /// The variables of the enclosing loops over module arrays and dictionaries.
    module_vars: Vec<ModuleVar>,
    /// How many `for ... of` loops enclose the expression being lowered.
    for_of_depth: usize,
    /// Whether the innermost `for ... of` body looks at its string's match offsets.
    current_offsets: bool,
    /// Whether a `for ... of` body counts or locates its string (`#`, `@`, `!`, `at`, `in`):
    /// then, as in yara, no string of the rule is single-match.
    current_not_single: bool,
}

impl<'a> RuleLowering<'a> {
    /// The lowering of rule `rule_name` in `scope`, after `probe_base` probes and
    /// `string_base` strings of earlier rules.
    pub fn new(
        rule_name: &'a str,
        scope: &'a Scope,
        externals: &'a HashMap<String, External>,
        probe_base: usize,
        string_base: u32,
    ) -> Self {
        Self {
            rule_name,
            scope,
            externals,
            probe_base,
            string_base,
            strings: Vec::new(),
            declared_at: Vec::new(),
            uses: Vec::new(),
            probes: Vec::new(),
            reads_input: false,
            loop_vars: Vec::new(),
            module_vars: Vec::new(),
            for_of_depth: 0,
            current_offsets: false,
            current_not_single: false,
        }
    }

    /// The rule's probes and whether its condition reads the input.
    pub fn finish(self) -> (Vec<Probe>, bool) {
        (self.probes, self.reads_input)
    }

    /// Lowers `rule`: its strings, then its condition.
    pub fn rule(&mut self, rule: ast::Rule) -> Result<LoweredRule, Diagnostic> {
        self.declared_at = rule.strings.iter().map(|s| s.at).collect();
        self.strings = lower_strings(rule.strings)?;
        self.uses = vec![Use::Unused; self.strings.len()];
        let (condition, _) = self.expr(&rule.condition)?;
        if let Some(unused) = self.uses.iter().position(|u| *u == Use::Unused) {
            let message = format!(
                "string `{}` of rule `{}` is not used in its condition",
                self.strings[unused].name, self.rule_name
            );
            return Err(Diagnostic::error_at(self.declared_at[unused], message));
        }
        if self.current_not_single {
            for string in &mut self.strings {
                string.single_match = false;
            }
        }
        for (string, use_) in self.strings.iter_mut().zip(&self.uses) {
            let literal =
                string.patterns.len() == 1 && string.patterns[0].1.iter().all(|&m| m == 0xff);
            if let (Use::OnlyAt(at), true) = (use_, literal) {
                string.fixed_offset = Some(*at);
            }
        }
        Ok(LoweredRule {
            name: rule.name,
            namespace: 0,
            tags: rule.tags,
            meta: rule.meta,
            private: rule.private,
            global: rule.global,
            strings: std::mem::take(&mut self.strings),
            condition,
        })
    }

    // ---- strings ----

    /// Records a use of string `index`: `at` for `$x at N`, None for any other use.
    fn used(&mut self, index: u32, at: Option<u64>) {
        let u = &mut self.uses[index as usize];
        *u = match (*u, at) {
            (Use::Unused, Some(n)) => Use::OnlyAt(n),
            (Use::OnlyAt(m), Some(n)) if m == n => Use::OnlyAt(n),
            _ => Use::Other,
        };
    }

    /// The index of string `name` (with its `$`).
    fn string_index(&self, name: &str, at: Pos) -> Result<u32, Diagnostic> {
        if name == "$" {
            return Err(Diagnostic::error_at(
                at,
                "anonymous strings can be used only through `them` or `$*`",
            ));
        }
        self.strings
            .iter()
            .position(|s| s.name == name)
            .map(|i| i as u32)
            .ok_or_else(|| {
                let message = format!("undefined string `{name}` in rule `{}`", self.rule_name);
                Diagnostic::error_at(at, message)
            })
    }

    /// The string `$name` (`#name`, `@name`, `!name`) refers to: `name` is empty for the
    /// current string of a `for ... of` body.
    fn string_ref(&self, name: &str, at: Pos) -> Result<StringRef, Diagnostic> {
        if name.is_empty() {
            if self.for_of_depth == 0 {
                return Err(Diagnostic::error_at(
                    at,
                    "`$`, `#`, `@` and `!` alone are allowed only in a `for ... of` body",
                ));
            }
            return Ok(StringRef::Current);
        }
        Ok(StringRef::Named(
            self.string_index(&format!("${name}"), at)?,
        ))
    }

    /// Notes that the condition counts or locates `string`'s matches, so it is not
    /// single-match.
    fn not_single(&mut self, string: StringRef) {
        match string {
            StringRef::Named(i) => self.strings[i as usize].single_match = false,
            StringRef::Current => self.current_not_single = true,
        }
    }

    /// Notes that the condition needs the matches' offsets of `string`.
    fn keep_offsets(&mut self, string: StringRef) {
        self.not_single(string);
        match string {
            StringRef::Named(i) => {
                self.strings[i as usize].keeps_offsets = true;
                self.used(i, None);
            }
            StringRef::Current => self.current_offsets = true,
        }
    }

    /// An offset probe of string `string` in `lo..=hi` (false when the range is empty).
    fn probe(&mut self, string: u32, lo: i64, hi: i64) -> Expr {
        let global = |v: i64| u64::try_from(v).unwrap_or(0);
        if hi < 0 || hi < lo {
            return Expr::Bool(false);
        }
        let index = self.probe_base + self.probes.len();
        self.probes.push(Probe {
            string: self.string_base + string,
            lo: global(lo),
            hi: global(hi),
        });
        Expr::Probe(index as u32)
    }

    /// `$x at e`: a probe when `x` is named and `e` constant (no offsets kept), else a lookup
    /// in the kept matches.
    fn found_at(&mut self, string: StringRef, at: Expr) -> Expr {
        self.not_single(string);
        match (string, at) {
            (StringRef::Named(i), Expr::Int(at)) => {
                if at < 0 {
                    self.used(i, None);
                    return Expr::Bool(false);
                }
                self.used(i, Some(at as u64));
                self.probe(i, at, at)
            }
            (string, at) => {
                self.keep_offsets(string);
                Expr::FoundAt(string, Box::new(at))
            }
        }
    }

    /// `$x in (lo..hi)`: a probe when `x` is named and the bounds constant, else a lookup in
    /// the kept matches.
    fn found_in(&mut self, string: StringRef, lo: Expr, hi: Expr) -> Expr {
        self.not_single(string);
        match (string, lo, hi) {
            (StringRef::Named(i), Expr::Int(lo), Expr::Int(hi)) => self.probe(i, lo, hi),
            (string, lo, hi) => {
                self.keep_offsets(string);
                Expr::FoundIn(string, Box::new(lo), Box::new(hi))
            }
        }
    }

    /// `them` or `($a, $b*, ...)`: string indices, each once, in declaration order of the set.
    fn string_set(&self, set: &StringSet) -> Result<Vec<u32>, Diagnostic> {
        let items = match set {
            StringSet::Them(at) => {
                if self.strings.is_empty() {
                    let message = format!("rule `{}` has no strings for `them`", self.rule_name);
                    return Err(Diagnostic::error_at(*at, message));
                }
                return Ok((0..self.strings.len() as u32).collect());
            }
            StringSet::Items(items) => items,
        };
        let mut set = Vec::new();
        for item in items {
            if item.other_kind {
                return Err(Diagnostic::unsupported_at(item.at, "rule sets after `of`"));
            }
            let before = set.len();
            for (i, s) in self.strings.iter().enumerate() {
                let hit = if item.wildcard {
                    s.name.starts_with(&item.name)
                } else {
                    s.name == item.name && item.name != "$"
                };
                if hit && !set.contains(&(i as u32)) {
                    set.push(i as u32);
                }
            }
            if set.len() == before && !item.wildcard {
                self.string_index(&item.name, item.at)?;
            }
            if set.len() == before && item.wildcard {
                let message = format!("no string matches `{}*`", item.name);
                return Err(Diagnostic::error_at(item.at, message));
            }
        }
        Ok(set)
    }

    /// `(rule, prefix*, ...)`: indices of earlier rules, each once, in order of definition.
    fn rule_set(&self, items: &[ast::SetItem]) -> Result<Vec<u32>, Diagnostic> {
        let scope = self.scope;
        let mut set: Vec<u32> = Vec::new();
        for item in items {
            let name = &item.name;
            if item.wildcard {
                if scope
                    .skipped_names
                    .iter()
                    .any(|s| s.starts_with(name.as_str()))
                {
                    let what = format!("a reference to skipped rules `{name}*`");
                    return Err(Diagnostic::unsupported_at(item.at, &what));
                }
                let mut matching: Vec<u32> = scope
                    .rule_index
                    .iter()
                    .filter(|(n, _)| n.starts_with(name.as_str()))
                    .map(|(_, &i)| i)
                    .collect();
                if matching.is_empty() {
                    let message = format!("no rule matches `{name}*`");
                    return Err(Diagnostic::error_at(item.at, message));
                }
                matching.sort_unstable();
                for i in matching {
                    if !set.contains(&i) {
                        set.push(i);
                    }
                }
            } else if let Some(&i) = scope.rule_index.get(name) {
                if !set.contains(&i) {
                    set.push(i);
                }
            } else {
                return Err(self.unknown_name(name, item.at));
            }
        }
        Ok(set)
    }

    /// The error for a name that is no rule: unsupported when it names a skipped rule.
    fn unknown_name(&self, name: &str, at: Pos) -> Diagnostic {
        if self.scope.skipped_names.contains(name) {
            let what = format!("a reference to the skipped rule `{name}`");
            return Diagnostic::unsupported_at(at, &what);
        }
        Diagnostic::error_at(
            at,
            format!("undefined identifier `{name}` (rules must be defined before they are used)"),
        )
    }

    // ---- expressions ----

    /// An integer expression (an offset, an index, a range bound).
    fn int_operand(&mut self, e: &ast::Expr, what: &str) -> Result<Expr, Diagnostic> {
        match self.expr(e)? {
            (e, Ty::Int) => Ok(e),
            _ => Err(Diagnostic::error_at(
                e.at,
                format!("expected an integer {what}"),
            )),
        }
    }

    /// `(lo..hi)` with integer bounds.
    fn range(&mut self, range: &ast::Range) -> Result<(Expr, Expr), Diagnostic> {
        let lo = self.int_operand(&range.lo, "range bound")?;
        let hi = self.int_operand(&range.hi, "range bound")?;
        Ok((lo, hi))
    }

    /// A quantifier's value: constants only.
    fn quantity(&mut self, q: &Quantifier) -> Result<Quantity, Diagnostic> {
        let mut constant = |e: &ast::Expr| match self.int_operand(e, "quantifier")? {
            Expr::Int(n) => Ok(n),
            _ => Err(Diagnostic::unsupported_at(
                e.at,
                "a quantifier that is not a constant",
            )),
        };
        Ok(match q {
            Quantifier::Any => Quantity::Any,
            Quantifier::All => Quantity::All,
            Quantifier::None => Quantity::None,
            Quantifier::Count(e) => Quantity::AtLeast(constant(e)?.max(0) as u64),
            Quantifier::Percent(e) => {
                let n = constant(e)?;
                if !(1..=100).contains(&n) {
                    return Err(Diagnostic::error_at(
                        e.at,
                        "a percentage must be between 1 and 100",
                    ));
                }
                Quantity::Percent(n as u64)
            }
        })
    }

    /// A regular expression literal, compiled for `matches` and module functions.
    fn regex(literal: &ast::RegexLiteral) -> Result<TextRegex, Diagnostic> {
        TextRegex::compile(&literal.text, literal.nocase, literal.dot_all).map_err(|e| {
            let at = Pos {
                column: literal.at.column + 1 + e.offset,
                ..literal.at
            };
            Diagnostic::error_at(at, format!("invalid regular expression: {}", e.message))
        })
    }

    fn expr(&mut self, e: &ast::Expr) -> Result<Typed, Diagnostic> {
        let at = e.at;
        Ok(match &e.kind {
            ExprKind::Bool(b) => (Expr::Bool(*b), Ty::Bool),
            ExprKind::Int(v) => (Expr::Int(*v), Ty::Int),
            ExprKind::Float(bits) => (Expr::Float(*bits), Ty::Float),
            ExprKind::Text(t) => (Expr::Text(t.clone()), Ty::Text),
            ExprKind::Regex(_) => {
                return Err(Diagnostic::error_at(
                    at,
                    "unexpected string literal in a condition",
                ))
            }
            ExprKind::Filesize => (Expr::Filesize, Ty::Int),
            ExprKind::Entrypoint => {
                // Deprecated in YARA in favour of `pe.entry_point` / `elf.entry_point`, and
                // still evaluated: the entry point's file offset of a PE or ELF input.
                self.reads_input = true;
                (Expr::EntryPoint, Ty::Int)
            }
            ExprKind::Ident(name) => return self.ident(e, name),
            ExprKind::Member(..) | ExprKind::Index(..) | ExprKind::Call(..) => {
                let (module, steps, reached) = self.path(e)?;
                return self.module_value(module, steps, reached, at);
            }
            ExprKind::StringMatch { name, anchor } => {
                let string = self.string_ref(name, at)?;
                let found = match anchor {
                    Some(Anchor::At(offset)) => {
                        let offset = self.int_operand(offset, "offset")?;
                        self.found_at(string, offset)
                    }
                    Some(Anchor::In(range)) => {
                        if let StringRef::Named(i) = string {
                            self.used(i, None);
                        }
                        let (lo, hi) = self.range(range)?;
                        self.found_in(string, lo, hi)
                    }
                    None => match string {
                        StringRef::Named(i) => {
                            self.used(i, None);
                            Expr::Found(i)
                        }
                        StringRef::Current => Expr::Compare(
                            Comparison::Gt,
                            Box::new(Expr::CurrentCount),
                            Box::new(Expr::Int(0)),
                        ),
                    },
                };
                (found, Ty::Bool)
            }
            ExprKind::StringCount { name, range } => {
                let string = self.string_ref(name, at)?;
                if let Some(range) = range {
                    let (lo, hi) = self.range(range)?;
                    self.keep_offsets(string);
                    return Ok((Expr::CountIn(string, Box::new(lo), Box::new(hi)), Ty::Int));
                }
                self.not_single(string);
                match string {
                    StringRef::Named(i) => {
                        self.used(i, None);
                        (Expr::Count(i), Ty::Int)
                    }
                    StringRef::Current => (Expr::CurrentCount, Ty::Int),
                }
            }
            ExprKind::StringOffset { name, index } | ExprKind::StringLength { name, index } => {
                let string = self.string_ref(name, at)?;
                let index = match index {
                    Some(index) => self.int_operand(index, "match index")?,
                    None => Expr::Int(1),
                };
                self.keep_offsets(string);
                let index = Box::new(index);
                match e.kind {
                    ExprKind::StringOffset { .. } => (Expr::MatchOffset(string, index), Ty::Int),
                    _ => (Expr::MatchLength(string, index), Ty::Int),
                }
            }
            ExprKind::Read {
                width,
                signed,
                big_endian,
                offset,
            } => {
                let offset = match self.expr(offset)? {
                    (offset, Ty::Int) => offset,
                    _ => {
                        let word = format!(
                            "{}int{}{}",
                            if *signed { "" } else { "u" },
                            *width as u32 * 8,
                            if *big_endian { "be" } else { "" }
                        );
                        return Err(Diagnostic::error_at(
                            offset.at,
                            format!("`{word}` needs an integer offset"),
                        ));
                    }
                };
                self.reads_input = true;
                let read = Expr::Read {
                    offset: Box::new(offset),
                    width: *width,
                    big_endian: *big_endian,
                    signed: *signed,
                };
                (read, Ty::Int)
            }
            ExprKind::Not(inner) => (Expr::Not(Box::new(self.expr(inner)?.0)), Ty::Bool),
            ExprKind::Defined(inner) => (Expr::Defined(Box::new(self.expr(inner)?.0)), Ty::Bool),
            ExprKind::And(items) => (Expr::And(self.all(items)?), Ty::Bool),
            ExprKind::Or(items) => (Expr::Or(self.all(items)?), Ty::Bool),
            ExprKind::Compare(op, left, right) => self.compare(*op, left, right, at)?,
            ExprKind::TextOp(op, left, right) => {
                let (left, lt) = self.expr(left)?;
                let (right, rt) = self.expr(right)?;
                if lt != Ty::Text || rt != Ty::Text {
                    return Err(Diagnostic::error_at(
                        at,
                        "text operators need texts on both sides",
                    ));
                }
                (Expr::TextOp(*op, Box::new(left), Box::new(right)), Ty::Bool)
            }
            ExprKind::Matches(left, literal) => {
                let (left, ty) = self.expr(left)?;
                let regex = Self::regex(literal)?;
                if ty != Ty::Text {
                    return Err(Diagnostic::error_at(
                        at,
                        "`matches` needs a text on its left",
                    ));
                }
                (Expr::Matches(Box::new(left), Arc::new(regex)), Ty::Bool)
            }
            ExprKind::Arith(op, left, right) => self.arith(*op, left, right, at)?,
            ExprKind::Neg(inner) | ExprKind::BitNot(inner) => {
                self.unary(matches!(e.kind, ExprKind::Neg(_)), inner, at)?
            }
            ExprKind::Of {
                quantifier,
                set,
                anchor,
            } => {
                let quantity = self.quantity(quantifier)?;
                let of = match set {
                    OfSet::Rules(items) => {
                        if anchor.is_some() {
                            return Err(Diagnostic::unsupported_at(at, "`of ... in/at` ranges"));
                        }
                        let rules = self.rule_set(items)?;
                        Expr::RulesOf { quantity, rules }
                    }
                    OfSet::Strings(set) => {
                        let strings = self.string_set(set)?;
                        if anchor.is_some() {
                            return Err(Diagnostic::unsupported_at(at, "`of ... in/at` ranges"));
                        }
                        for &s in &strings {
                            self.used(s, None);
                        }
                        Expr::Of { quantity, strings }
                    }
                };
                (of, Ty::Bool)
            }
            ExprKind::ForOf {
                quantifier,
                strings,
                body,
            } => {
                let quantity = self.quantity(quantifier)?;
                let strings = self.string_set(strings)?;
                self.for_of_depth += 1;
                let outer = std::mem::take(&mut self.current_offsets);
                let body = self.expr(body);
                self.for_of_depth -= 1;
                let uses_offsets = std::mem::replace(&mut self.current_offsets, outer);
                let (body, _) = body?;
                for &s in &strings {
                    self.used(s, None);
                    if uses_offsets {
                        self.strings[s as usize].keeps_offsets = true;
                    }
                }
                let body = Box::new(body);
                (
                    Expr::ForOf {
                        quantity,
                        strings,
                        body,
                    },
                    Ty::Bool,
                )
            }
            ExprKind::ForIn {
                quantifier,
                vars,
                iterable,
                body,
            } => return self.for_in(quantifier, vars, iterable, body),
            ExprKind::With { .. } => {
                return Err(Diagnostic::unsupported_at(
                    at,
                    "`with` declarations (YARA-X)",
                ))
            }
        })
    }

    /// Each of `items`.
    fn all(&mut self, items: &[ast::Expr]) -> Result<Vec<Expr>, Diagnostic> {
        items.iter().map(|e| Ok(self.expr(e)?.0)).collect()
    }

    /// A comparison: numbers with numbers, or texts with texts.
    fn compare(
        &mut self,
        op: Comparison,
        left: &ast::Expr,
        right: &ast::Expr,
        at: Pos,
    ) -> Result<Typed, Diagnostic> {
        let (left, lt) = self.expr(left)?;
        let (right, rt) = self.expr(right)?;
        let comparable = (lt.is_number() && rt.is_number()) || (lt == Ty::Text && rt == Ty::Text);
        if !comparable {
            return Err(Diagnostic::error_at(
                at,
                "a comparison needs integers on both sides (`#x`, `filesize`, `uintN(..)` or \
                 a number; floats mix with integers), or texts on both sides",
            ));
        }
        Ok((Expr::Compare(op, Box::new(left), Box::new(right)), Ty::Bool))
    }

    /// A binary arithmetic or bitwise operator, folded when both sides are integer constants.
    fn arith(
        &mut self,
        op: Arith,
        left: &ast::Expr,
        right: &ast::Expr,
        at: Pos,
    ) -> Result<Typed, Diagnostic> {
        let (left, lt) = self.expr(left)?;
        let (right, rt) = self.expr(right)?;
        let floats_allowed = matches!(op, Arith::Add | Arith::Sub | Arith::Mul | Arith::Div);
        let both_int = lt == Ty::Int && rt == Ty::Int;
        if !(both_int || floats_allowed && lt.is_number() && rt.is_number()) {
            return Err(Diagnostic::error_at(
                at,
                format!(
                    "`{}` needs integers on both sides{}",
                    symbol(op),
                    if floats_allowed { " (or floats)" } else { "" }
                ),
            ));
        }
        if !both_int {
            return Ok((Expr::Arith(op, Box::new(left), Box::new(right)), Ty::Float));
        }
        let folded = match (&left, &right) {
            (Expr::Int(_), Expr::Int(0)) if matches!(op, Arith::Div | Arith::Mod) => {
                return Err(Diagnostic::error_at(at, "division by zero"));
            }
            (Expr::Int(a), Expr::Int(b)) => op.apply(*a, *b).map(Expr::Int),
            _ => None,
        };
        let e = folded.unwrap_or_else(|| Expr::Arith(op, Box::new(left), Box::new(right)));
        Ok((e, Ty::Int))
    }

    /// `-e` (integers and floats) or `~e` (integers), folded on constants.
    fn unary(&mut self, negate: bool, inner: &ast::Expr, at: Pos) -> Result<Typed, Diagnostic> {
        let (inner, ty) = self.expr(inner)?;
        if negate && ty == Ty::Float {
            let e = match inner {
                Expr::Float(bits) => Expr::Float((-f64::from_bits(bits)).to_bits()),
                e => Expr::Neg(Box::new(e)),
            };
            return Ok((e, Ty::Float));
        }
        if ty != Ty::Int {
            return Err(Diagnostic::error_at(
                at,
                format!("`{}` needs an integer", if negate { "-" } else { "~" }),
            ));
        }
        let e = match (negate, inner) {
            (true, Expr::Int(v)) => Expr::Int(v.wrapping_neg()),
            (false, Expr::Int(v)) => Expr::Int(!v),
            (true, e) => Expr::Neg(Box::new(e)),
            (false, e) => Expr::BitNot(Box::new(e)),
        };
        Ok((e, Ty::Int))
    }

    // ---- names and modules ----

    /// A name: an external variable, a loop variable, a module value or a rule.
    fn ident(&mut self, e: &ast::Expr, name: &str) -> Result<Typed, Diagnostic> {
        let is_loop_var = self.loop_vars.iter().any(|v| v == name);
        if let (Some(external), false) = (self.externals.get(name), is_loop_var) {
            return Ok(match external {
                External::Integer(i) => (Expr::Int(*i), Ty::Int),
                External::Float(f) => (Expr::Float(f.to_bits()), Ty::Float),
                External::Boolean(b) => (Expr::Bool(*b), Ty::Bool),
                External::Text(t) => (Expr::Text(t.clone()), Ty::Text),
            });
        }
        if is_loop_var {
            let depth = self
                .loop_vars
                .iter()
                .rposition(|v| v == name)
                .expect("found");
            return Ok((Expr::Var(depth as u32), Ty::Int));
        }
        if let Some(root) = self.module_root(name, e.at) {
            let (module, steps, reached) = root?;
            return self.module_value(module, steps, reached, e.at);
        }
        match self.scope.rule_index.get(name) {
            Some(&index) => Ok((Expr::Rule(index), Ty::Bool)),
            None => Err(self.unknown_name(name, e.at)),
        }
    }

    /// Where a module path that starts at `name` (at `at`) begins: a module loop variable's
    /// value, an imported module, or, for an imported module this build lacks, an unsupported
    /// construct. None when `name` is no module.
    fn module_root(&self, name: &str, at: Pos) -> Option<Result<ModulePath, Diagnostic>> {
        if let Some(v) = self.module_vars.iter().rev().find(|v| v.name == name) {
            return Some(Ok((v.module, v.steps.clone(), v.at)));
        }
        if let Some(m) = Module::named(name).filter(|m| self.scope.imported.contains(m)) {
            return Some(Ok((m, Vec::new(), Reached::Root)));
        }
        self.scope.unavailable.contains(name).then(|| {
            let what = format!("the module `{name}`");
            Err(Diagnostic::unsupported_at(at, &what))
        })
    }

    /// The module, steps and place that the path `e` (a name followed by members, indexes
    /// and calls) leads to, each step checked against the module's declarations.
    fn path(&mut self, e: &ast::Expr) -> Result<ModulePath, Diagnostic> {
        let shape_error = |e: modules::StepError, at: Pos| {
            if e.not_provided {
                Diagnostic::unsupported_at(at, &e.message)
            } else {
                Diagnostic::error_at(at, e.message)
            }
        };
        match &e.kind {
            ExprKind::Ident(name) => {
                if let Some(root) = self.module_root(name, e.at) {
                    return root;
                }
                // Not a module: an error naming what it is.
                self.ident(e, name)?;
                Err(Diagnostic::error_at(
                    e.at,
                    format!("`{name}` is not a module: it has no members, items or calls"),
                ))
            }
            ExprKind::Member(object, name) => {
                let (module, mut steps, at) = self.path(object)?;
                let at = modules::follow(module, at, StepShape::Field(name))
                    .map_err(|err| shape_error(err, e.at))?;
                steps.push(Step::Field(name.clone()));
                Ok((module, steps, at))
            }
            ExprKind::Index(object, index) => {
                let (module, mut steps, at) = self.path(object)?;
                let is_dict = matches!(at, Reached::Kind(modules::Kind::Dict(_)));
                let shape = if is_dict {
                    StepShape::Key
                } else {
                    StepShape::Index
                };
                let at =
                    modules::follow(module, at, shape).map_err(|err| shape_error(err, e.at))?;
                let (value, ty) = self.expr(index)?;
                if ty != if is_dict { Ty::Text } else { Ty::Int } {
                    return Err(Diagnostic::error_at(
                        index.at,
                        if is_dict {
                            "a dictionary key must be a string"
                        } else {
                            "an array index must be an integer"
                        },
                    ));
                }
                steps.push(if is_dict {
                    Step::Key(value)
                } else {
                    Step::Index(value)
                });
                Ok((module, steps, at))
            }
            ExprKind::Call(function, arguments) => {
                let (module, mut steps, at) = self.path(function)?;
                let Reached::Kind(modules::Kind::Function(overloads)) = at else {
                    let message = format!("{} cannot be called", at.describe());
                    return Err(Diagnostic::error_at(e.at, message));
                };
                let mut args = Vec::new();
                // The argument types; None for a regular expression literal.
                let mut types: Vec<Option<Ty>> = Vec::new();
                for argument in arguments {
                    if let ExprKind::Regex(literal) = &argument.kind {
                        args.push(Expr::Regex(Arc::new(Self::regex(literal)?)));
                        types.push(None);
                        continue;
                    }
                    let (arg, ty) = self.expr(argument)?;
                    args.push(arg);
                    types.push(Some(ty));
                }
                let fits = |o: &modules::Overload| {
                    o.args.len() == types.len()
                        && o.args.iter().zip(&types).all(|(a, t)| match a {
                            modules::Arg::Int => *t == Some(Ty::Int),
                            modules::Arg::Bool => *t == Some(Ty::Bool),
                            modules::Arg::Float => *t == Some(Ty::Float),
                            modules::Arg::Text => *t == Some(Ty::Text),
                            modules::Arg::Regex => t.is_none(),
                        })
                };
                let Some(overload) = overloads.iter().position(fits) else {
                    return Err(Diagnostic::error_at(
                        e.at,
                        format!(
                            "wrong arguments for a function of module `{}`: none of its forms \
                             takes ({})",
                            module.name(),
                            types
                                .iter()
                                .map(|t| t.map_or("regular expression", Ty::name))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                };
                let at = modules::follow(module, at, StepShape::Call(overload as u32))
                    .map_err(|err| shape_error(err, e.at))?;
                steps.push(Step::Call {
                    overload: overload as u32,
                    args,
                });
                Ok((module, steps, at))
            }
            _ => Err(Diagnostic::error_at(e.at, "expected a module value")),
        }
    }

    /// A module value from a path: an error when the path ends at a structure, an array, a
    /// dictionary or a function.
    fn module_value(
        &mut self,
        module: Module,
        steps: Vec<Step>,
        reached: Reached,
        at: Pos,
    ) -> Result<Typed, Diagnostic> {
        let ty = match reached.leaf() {
            Some(Leaf::Int) => Ty::Int,
            Some(Leaf::Float) => Ty::Float,
            Some(Leaf::Text) => Ty::Text,
            Some(Leaf::Bool) => Ty::Bool,
            None => {
                return Err(Diagnostic::error_at(
                    at,
                    format!(
                        "{} of module `{}` is not a value (use a member, an item or a call)",
                        reached.describe(),
                        module.name()
                    ),
                ))
            }
        };
        self.reads_input = true;
        Ok((Expr::Module(Box::new(ModuleExpr { module, steps })), ty))
    }

    // ---- loops ----

    /// `for Q name in (range or list) : (body)`, or a loop over a module value.
    fn for_in(
        &mut self,
        quantifier: &Quantifier,
        vars: &[(String, Pos)],
        iterable: &ast::Iterable,
        body: &ast::Expr,
    ) -> Result<Typed, Diagnostic> {
        let quantity = self.quantity(quantifier)?;
        for (name, at) in vars {
            if self.loop_vars.contains(name) || self.module_vars.iter().any(|v| &v.name == name) {
                let message = format!("duplicated loop identifier `{name}`");
                return Err(Diagnostic::error_at(*at, message));
            }
        }
        let iteration = match iterable {
            ast::Iterable::Value(value) => return self.for_in_module(quantity, vars, value, body),
            _ if vars.len() > 1 => {
                return Err(Diagnostic::error_at(
                    vars[1].1,
                    "two loop variables iterate over a dictionary",
                ))
            }
            ast::Iterable::Range(range) => {
                let (lo, hi) = self.range(range)?;
                Iteration::Range(Box::new(lo), Box::new(hi))
            }
            ast::Iterable::List(items) => {
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    match self.expr(item)? {
                        (value, Ty::Int) => values.push(value),
                        // yara 4.2 refuses them; later versions loop over texts.
                        (_, Ty::Text) => {
                            return Err(Diagnostic::unsupported_at(
                                item.at,
                                "a loop over texts (`for any s in (\"a\", \"b\")`)",
                            ))
                        }
                        _ => {
                            return Err(Diagnostic::error_at(
                                item.at,
                                "expected an integer loop value",
                            ))
                        }
                    }
                }
                Iteration::List(values)
            }
        };
        self.loop_vars.push(vars[0].0.clone());
        let body = self.expr(body);
        self.loop_vars.pop();
        let body = Box::new(body?.0);
        Ok((
            Expr::ForIn {
                quantity,
                iteration,
                body,
            },
            Ty::Bool,
        ))
    }

    /// `for Q x in pe.sections : (...)` (an array: `x` is each item) and
    /// `for Q k, v in pe.version_info : (...)` (a dictionary: each key and value), as a loop
    /// over the items' positions: `x` stands for `pe.sections[i]`. An empty or undefined
    /// array makes the loop undefined (false), as in YARA.
    fn for_in_module(
        &mut self,
        quantity: Quantity,
        vars: &[(String, Pos)],
        value: &ast::Expr,
        body: &ast::Expr,
    ) -> Result<Typed, Diagnostic> {
        let start = path_start(value);
        let (module, steps, reached) = self.path(value)?;
        let (item, is_dict) = match reached {
            Reached::Kind(modules::Kind::Array(item)) => (*item, false),
            Reached::Kind(modules::Kind::Dict(item)) => (*item, true),
            _ => {
                return Err(Diagnostic::error_at(
                    start,
                    format!(
                        "{} of module `{}` cannot be iterated",
                        reached.describe(),
                        module.name()
                    ),
                ))
            }
        };
        if vars.len() != 1 + is_dict as usize {
            return Err(Diagnostic::error_at(
                start,
                if is_dict {
                    "a loop over a dictionary takes two variables (key, value)"
                } else {
                    "a loop over an array takes one variable"
                },
            ));
        }
        // The position, a hidden integer variable at this loop's depth.
        let depth = self.loop_vars.len() as u32;
        self.loop_vars.push(format!("\0{}", vars[0].0));
        let position = || Expr::Var(depth);
        let with = |last: Step| {
            let mut path = steps.clone();
            path.push(last);
            path
        };
        let var = |name: &str, last: Step, at: Reached| ModuleVar {
            name: name.to_string(),
            module,
            steps: with(last),
            at,
        };
        if is_dict {
            let kinds = [modules::Kind::Text, item];
            let keys = var(&vars[0].0, Step::KeyAt(position()), Reached::Kind(kinds[0]));
            let values = var(
                &vars[1].0,
                Step::ValueAt(position()),
                Reached::Kind(kinds[1]),
            );
            self.module_vars.extend([keys, values]);
        } else {
            let items = var(&vars[0].0, Step::Index(position()), Reached::Kind(item));
            self.module_vars.push(items);
        }
        let body = self.expr(body);
        self.module_vars
            .truncate(self.module_vars.len() - vars.len());
        self.loop_vars.pop();
        let (body, _) = body?;
        self.reads_input = true;
        let length = Expr::Module(Box::new(ModuleExpr {
            module,
            steps: with(Step::Length),
        }));
        let last = Expr::Arith(Arith::Sub, Box::new(length), Box::new(Expr::Int(1)));
        Ok((
            Expr::ForIn {
                quantity,
                iteration: Iteration::Range(Box::new(Expr::Int(0)), Box::new(last)),
                body: Box::new(body),
            },
            Ty::Bool,
        ))
    }
}

/// Where a module path starts: the position of its first name.
fn path_start(e: &ast::Expr) -> Pos {
    match &e.kind {
        ExprKind::Member(object, _) | ExprKind::Index(object, _) | ExprKind::Call(object, _) => {
            path_start(object)
        }
        _ => e.at,
    }
}

/// The operator's symbol, for messages.
fn symbol(op: Arith) -> &'static str {
    match op {
        Arith::Add => "+",
        Arith::Sub => "-",
        Arith::Mul => "*",
        Arith::Div => "\\",
        Arith::Mod => "%",
        Arith::BitAnd => "&",
        Arith::BitOr => "|",
        Arith::BitXor => "^",
        Arith::Shl => "<<",
        Arith::Shr => ">>",
    }
}
