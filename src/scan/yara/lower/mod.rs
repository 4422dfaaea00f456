//! From the syntax tree to the typed IR: names resolved, types checked, constants folded, and
//! strings compiled to patterns.
//!
//! A compilation is a [`Session`]: sources are added one by one, each parsed statement by
//! statement and each statement lowered at once, so rules see the rules defined before them
//! (YARA's rule order) and errors come in source order. A namespace's [`Scope`] (its rules'
//! names and its imports) lives across sources.
//!
//! Lowering a rule does, in one walk over its tree:
//! - **strings** (`strings`): text strings expanded by their modifiers into fixed patterns,
//!   hex strings compiled (cut into chained parts at long jumps), regular expressions compiled;
//! - **conditions** (`condition`): every name resolved (string, rule, external variable, loop
//!   variable, module member), every operator checked against YARA's types (integer, float,
//!   text, boolean), integer constants folded (`$x at 0x10 + 2` is a probe), and the uses of
//!   each string recorded for the scanner: which strings keep their match offsets, which are
//!   single-match (fast mode), which match only at one fixed offset.
//!
//! What YARA accepts but this build cannot evaluate (a module it lacks, a non-constant `for`
//! quantifier, ...) is an *unsupported* diagnostic: with [`super::CompileOptions::skip_unsupported`]
//! the rule is left out and listed, and rules that refer to it are left out in turn; without
//! it, the compilation fails naming the construct.

mod condition;
mod strings;

use super::ast::{Pos, Rule, Statement};
use super::lexer::Token;
use super::parser::Parser;
use super::{CompileOptions, Diagnostic, External, SkippedRule};
use crate::scan::chain::ChainGap;
use crate::scan::logic::{Expr, MetaValue, Probe};
use crate::scan::modules::Module;
use crate::scan::regex::RegexString;
use crate::scan::rules::StringFlags;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// One string of a lowered rule.
pub struct LoweredString {
    /// `$name`.
    pub name: String,
    /// Whether it was a hex string.
    pub is_hex: bool,
    /// Its fixed patterns in priority order (one for a text string).
    pub patterns: Vec<super::hex::Variant>,
    /// Scanner flags.
    pub flags: StringFlags,
    /// Only its match at this offset counts (see `LogicString::fixed_offset`).
    pub fixed_offset: Option<u64>,
    /// The condition needs its matches' offsets (see `LogicString::keeps_offsets`).
    pub keeps_offsets: bool,
    /// `private`: matches count but are not reported.
    pub private: bool,
    /// The condition only asks whether it matched (`$x`, `of`): in fast mode its first match
    /// is enough (yara's `STRING_FLAGS_SINGLE_MATCH`).
    pub single_match: bool,
    /// A regular-expression string, or the expression of a hex string (or of its first part)
    /// with too many fixed patterns (then `patterns` is empty).
    pub regex: Option<Arc<RegexString>>,
    /// The parts after the first of a hex string cut at long jumps (`patterns` or `regex` is
    /// then its first part); empty for other strings.
    pub chained: Vec<ChainedPart>,
}

/// A part after the first of a chained hex string (see [`crate::scan::chain`]).
pub struct ChainedPart {
    /// Its distance from the end of the previous part.
    pub gap: ChainGap,
    /// Its fixed patterns in priority order (empty when `regex` is set).
    pub patterns: Vec<super::hex::Variant>,
    /// Its expression, when it has too many fixed patterns.
    pub regex: Option<Arc<RegexString>>,
}

/// One lowered rule.
pub struct LoweredRule {
    /// Its identifier.
    pub name: String,
    /// Index of its namespace in `Lowered::namespaces`.
    pub namespace: u32,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its `meta:` entries.
    pub meta: Vec<(String, MetaValue)>,
    /// `private`.
    pub private: bool,
    /// `global`.
    pub global: bool,
    /// Its strings.
    pub strings: Vec<LoweredString>,
    /// Its condition, typed.
    pub condition: Expr,
}

/// The rules of all the sources of a compilation.
#[derive(Default)]
pub struct Lowered {
    /// The rules kept, in order.
    pub rules: Vec<LoweredRule>,
    /// The offset probes of every condition (`Expr::Probe` indexes them).
    pub probes: Vec<Probe>,
    /// Rules left out for unsupported constructs.
    pub skipped: Vec<SkippedRule>,
    /// Whether some condition reads the input (`uintW`, modules).
    pub reads_input: bool,
    /// The namespaces, in order of first use (`LoweredRule::namespace` indexes them).
    pub namespaces: Vec<String>,
}

/// A diagnostic and the rule it is in.
pub type Failure = (Diagnostic, Option<String>);

/// What a namespace has defined so far: its rules' names and its imports.
#[derive(Default)]
struct Scope {
    /// Kept rules by name.
    rule_index: HashMap<String, u32>,
    /// Rules left out, which other rules may not use.
    skipped_names: HashSet<String>,
    /// Modules imported and provided.
    imported: HashSet<Module>,
    /// Modules imported that this build does not provide (rules using them are unsupported).
    unavailable: HashSet<String>,
}

/// The lowering state across the sources of one compilation: the rules so far, and each
/// namespace's names (rules of one namespace see each other, whatever source declared them).
pub struct Session {
    /// Skip rules with unsupported constructs (see [`CompileOptions::skip_unsupported`]).
    skip_unsupported: bool,
    /// External variables by name.
    externals: HashMap<String, External>,
    out: Lowered,
    /// Strings declared so far over all rules (the rule set's string numbering).
    string_base: u32,
    scopes: HashMap<String, Scope>,
}

impl Session {
    /// A compilation with `options`.
    pub fn new(options: CompileOptions) -> Self {
        Self {
            skip_unsupported: options.skip_unsupported,
            externals: options.externals.into_iter().collect(),
            out: Lowered::default(),
            string_base: 0,
            scopes: HashMap::new(),
        }
    }

    /// Parses and lowers `tokens` (ending with `Tok::End`) into `namespace`.
    pub fn add(&mut self, tokens: &[Token], namespace: &str) -> Result<(), Failure> {
        let ns = match self.out.namespaces.iter().position(|n| n == namespace) {
            Some(i) => i as u32,
            None => {
                self.out.namespaces.push(namespace.to_string());
                (self.out.namespaces.len() - 1) as u32
            }
        };
        let mut scope = self.scopes.remove(namespace).unwrap_or_default();
        let result = self.statements(tokens, &mut scope, ns);
        self.scopes.insert(namespace.to_string(), scope);
        result
    }

    /// The rules of every source added.
    pub fn finish(self) -> Lowered {
        self.out
    }

    /// Parses and lowers the statements of one source.
    fn statements(&mut self, tokens: &[Token], scope: &mut Scope, ns: u32) -> Result<(), Failure> {
        let mut parser = Parser::new(tokens);
        loop {
            let statement = parser
                .statement()
                .map_err(|d| (d, parser.rule_name().map(str::to_string)))?;
            match statement {
                None => return Ok(()),
                Some(Statement::Import { name, at }) => {
                    self.import(scope, name, at).map_err(|d| (d, None))?
                }
                Some(Statement::Rule(rule)) => self.rule(scope, rule, ns)?,
            }
        }
    }

    /// `import "name"`: a module this build does not provide is an error, or, when skipping
    /// unsupported constructs, makes only the rules that use it skip.
    fn import(&mut self, scope: &mut Scope, name: String, at: Pos) -> Result<(), Diagnostic> {
        match Module::named(&name) {
            Some(module) => {
                scope.imported.insert(module);
            }
            None if self.skip_unsupported => {
                scope.unavailable.insert(name);
            }
            None => {
                return Err(Diagnostic::unsupported_at(
                    at,
                    &format!("the module `{name}`"),
                ))
            }
        }
        Ok(())
    }

    /// Lowers one rule, or skips it (listed) when it uses an unsupported construct and the
    /// options say so.
    fn rule(&mut self, scope: &mut Scope, rule: Rule, ns: u32) -> Result<(), Failure> {
        if scope.rule_index.contains_key(&rule.name) || scope.skipped_names.contains(&rule.name) {
            let message = format!("duplicate rule name `{}`", rule.name);
            return Err((Diagnostic::error_at(rule.name_at, message), Some(rule.name)));
        }
        let name = rule.name.clone();
        let mut lowering = condition::RuleLowering::new(
            &name,
            scope,
            &self.externals,
            self.out.probes.len(),
            self.string_base,
        );
        match lowering.rule(rule) {
            Ok(mut lowered) => {
                let (probes, reads_input) = lowering.finish();
                lowered.namespace = ns;
                self.string_base += lowered.strings.len() as u32;
                self.out.probes.extend(probes);
                self.out.reads_input |= reads_input;
                scope.rule_index.insert(name, self.out.rules.len() as u32);
                self.out.rules.push(lowered);
                Ok(())
            }
            Err(d) if d.unsupported && self.skip_unsupported => {
                scope.skipped_names.insert(name.clone());
                self.out.skipped.push(SkippedRule {
                    rule: name,
                    line: d.line,
                    column: d.column,
                    construct: d.message,
                });
                Ok(())
            }
            Err(d) => Err((d, Some(name))),
        }
    }
}
