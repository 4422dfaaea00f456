//! Rules and conditions from YARA tokens.

use super::lexer::{Tok, Token};
use super::{hex, modifiers, CompileOptions, Diagnostic, External, SkippedRule};
use crate::scan::chain::ChainGap;
use crate::scan::logic::{
    Arith, Comparison, Expr, Iteration, MetaValue, Probe, Quantity, StringRef, TextOp,
};
use crate::scan::modules::{self, Leaf, Module, ModuleExpr, Reached, Step, StepShape};
use crate::scan::regex::{RegexFlags, RegexString, TextRegex};
use crate::scan::rules::{StringFlags, MAX_STRING_BYTES};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Deepest nesting of condition expressions.
const MAX_EXPR_DEPTH: usize = 128;

/// Binary integer operators by binding strength, loosest first, as in YARA's grammar.
const ARITH_LEVELS: [&[(&str, Arith)]; 6] = [
    &[("|", Arith::BitOr)],
    &[("^", Arith::BitXor)],
    &[("&", Arith::BitAnd)],
    &[("<<", Arith::Shl), (">>", Arith::Shr)],
    &[("+", Arith::Add), ("-", Arith::Sub)],
    &[("*", Arith::Mul), ("\\", Arith::Div), ("%", Arith::Mod)],
];

/// Words that cannot name a rule.
const KEYWORDS: &[&str] = &[
    "all",
    "and",
    "any",
    "ascii",
    "at",
    "base64",
    "base64wide",
    "condition",
    "contains",
    "defined",
    "endswith",
    "entrypoint",
    "false",
    "filesize",
    "for",
    "fullword",
    "global",
    "icontains",
    "iendswith",
    "iequals",
    "import",
    "in",
    "include",
    "int16",
    "int16be",
    "int32",
    "int32be",
    "int8",
    "int8be",
    "istartswith",
    "matches",
    "meta",
    "nocase",
    "none",
    "not",
    "of",
    "or",
    "private",
    "rule",
    "startswith",
    "strings",
    "them",
    "true",
    "uint16",
    "uint16be",
    "uint32",
    "uint32be",
    "uint8",
    "uint8be",
    "wide",
    "xor",
];

/// One string of a parsed rule.
pub struct ParsedString {
    /// `$name`.
    pub name: String,
    /// Whether it was a hex string.
    pub is_hex: bool,
    /// Its fixed patterns in priority order (one for a text string).
    pub patterns: Vec<hex::Variant>,
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
    pub patterns: Vec<hex::Variant>,
    /// Its expression, when it has too many fixed patterns.
    pub regex: Option<Arc<RegexString>>,
}

/// The modifiers of a text string.
#[derive(Default)]
struct TextModifiers {
    flags: StringFlags,
    /// `xor`'s key range.
    xor: Option<(u8, u8)>,
    /// `base64`'s alphabet.
    base64: Option<[u8; 64]>,
    /// `base64wide`'s alphabet.
    base64wide: Option<[u8; 64]>,
    /// `private`.
    private: bool,
}

impl TextModifiers {
    /// The patterns of `text` and the scanner flags they take: the text itself with the
    /// flags, or the explicit forms of `xor` and `base64` (see `modifiers`).
    fn expand(&self, text: Vec<u8>) -> (Vec<hex::Variant>, StringFlags) {
        let f = self.flags;
        let explicit = StringFlags {
            fullword: f.fullword,
            ..StringFlags::default()
        };
        if let Some(keys) = self.xor {
            return (
                modifiers::xor_patterns(&text, f.ascii, f.wide, keys),
                explicit,
            );
        }
        if self.base64.is_some() || self.base64wide.is_some() {
            let patterns = modifiers::base64_patterns(
                &text,
                f.ascii,
                f.wide,
                self.base64.as_ref(),
                self.base64wide.as_ref(),
            );
            return (patterns, StringFlags::default());
        }
        let mask = vec![0xff; text.len()];
        (vec![(text, mask)], f)
    }
}

/// One parsed rule.
pub struct ParsedRule {
    pub name: String,
    /// Index of its namespace in `Parsed::namespaces`.
    pub namespace: u32,
    pub tags: Vec<String>,
    pub meta: Vec<(String, MetaValue)>,
    pub private: bool,
    pub global: bool,
    pub strings: Vec<ParsedString>,
    pub condition: Expr,
}

/// The parse of all the sources of a compilation.
#[derive(Default)]
pub struct Parsed {
    pub rules: Vec<ParsedRule>,
    pub probes: Vec<Probe>,
    pub skipped: Vec<SkippedRule>,
    pub reads_input: bool,
    /// The namespaces, in order of first use (`ParsedRule::namespace` indexes them).
    pub namespaces: Vec<String>,
}

/// A diagnostic, the rule it is in, and the text it is in (the token's `file`).
pub type Failure = (Diagnostic, Option<String>, u32);

/// What a namespace has defined so far: its rules' names and its imports.
#[derive(Default)]
struct Scope {
    rule_index: HashMap<String, u32>,
    skipped_names: HashSet<String>,
    imported: HashSet<Module>,
    unavailable: HashSet<String>,
}

/// The parser's state across the sources of one compilation: the rules so far, and each
/// namespace's names (rules of one namespace see each other, whatever source declared them).
pub struct Session {
    options: CompileOptions,
    out: Parsed,
    string_base: u32,
    scopes: HashMap<String, Scope>,
}

impl Session {
    /// A compilation with `options`.
    pub fn new(options: CompileOptions) -> Self {
        Self {
            options,
            out: Parsed::default(),
            string_base: 0,
            scopes: HashMap::new(),
        }
    }

    /// Parses `tokens` (ending with `Tok::End`) into `namespace`.
    pub fn parse(&mut self, tokens: &[Token], namespace: &str) -> Result<(), Failure> {
        let ns = match self.out.namespaces.iter().position(|n| n == namespace) {
            Some(i) => i as u32,
            None => {
                self.out.namespaces.push(namespace.to_string());
                (self.out.namespaces.len() - 1) as u32
            }
        };
        let scope = self.scopes.remove(namespace).unwrap_or_default();
        let mut p = Parser {
            tokens,
            pos: 0,
            externals: self.options.externals.iter().cloned().collect(),
            rule_index: scope.rule_index,
            skipped_names: scope.skipped_names,
            imported: scope.imported,
            unavailable: scope.unavailable,
            out: std::mem::take(&mut self.out),
            string_base: self.string_base,
        };
        let result = p.source(self.options.skip_unsupported, ns);
        let file = tokens
            .get(p.pos.min(tokens.len().saturating_sub(1)))
            .map_or(0, |t| t.file);
        self.out = p.out;
        self.string_base = p.string_base;
        self.scopes.insert(
            namespace.to_string(),
            Scope {
                rule_index: p.rule_index,
                skipped_names: p.skipped_names,
                imported: p.imported,
                unavailable: p.unavailable,
            },
        );
        result.map_err(|(d, rule)| (d, rule, file))
    }

    /// The rules of every source parsed.
    pub fn finish(self) -> Parsed {
        self.out
    }
}

impl Parser<'_> {
    /// Parses the statements of one source into namespace `ns`.
    fn source(
        &mut self,
        skip_unsupported: bool,
        ns: u32,
    ) -> Result<(), (Diagnostic, Option<String>)> {
        let p = self;
        while p.tok() != &Tok::End {
            let start = p.pos;
            if p.is_word("import") {
                p.import(skip_unsupported).map_err(|d| (d, None))?;
                continue;
            }
            let mut rule = RuleParse::default();
            match p.rule(&mut rule) {
                Ok(mut parsed) => {
                    parsed.namespace = ns;
                    p.string_base += parsed.strings.len() as u32;
                    p.out.probes.extend(rule.probes);
                    p.out.reads_input |= rule.reads_input;
                    p.rule_index
                        .insert(parsed.name.clone(), p.out.rules.len() as u32);
                    p.out.rules.push(parsed);
                }
                Err(d) if d.unsupported && skip_unsupported && !rule.name.is_empty() => {
                    p.pos = start;
                    p.skip_rule();
                    p.skipped_names.insert(rule.name.clone());
                    p.out.skipped.push(SkippedRule {
                        rule: rule.name,
                        line: d.line,
                        column: d.column,
                        construct: d.message,
                    });
                }
                Err(d) => return Err((d, (!rule.name.is_empty()).then_some(rule.name))),
            }
        }
        Ok(())
    }
}

struct Parser<'a> {
    tokens: &'a [Token],
    pos: usize,
    rule_index: HashMap<String, u32>,
    skipped_names: HashSet<String>,
    /// Modules the source imports.
    imported: HashSet<Module>,
    /// Imported modules this build does not provide (rules using them are unsupported).
    unavailable: HashSet<String>,
    out: Parsed,
    string_base: u32,
    /// External variables by name (constants of the conditions).
    externals: HashMap<String, External>,
}

/// State of the rule being parsed.
#[derive(Default)]
struct RuleParse {
    name: String,
    strings: Vec<ParsedString>,
    referenced: Vec<bool>,
    uses: Vec<Use>,
    probes: Vec<Probe>,
    reads_input: bool,
    depth: usize,
    /// Its `meta:` entries.
    meta: Vec<(String, MetaValue)>,
    /// The variables of the enclosing `for ... in` loops, outermost first.
    loop_vars: Vec<String>,
    /// The variables of the enclosing loops over module arrays and dictionaries.
    module_vars: Vec<ModuleVar>,
    /// How many `for ... of` loops enclose the expression being parsed.
    for_of_depth: usize,
    /// Whether the innermost `for ... of` body looks at its string's match offsets.
    current_offsets: bool,
    /// Whether a `for ... of` body counts or locates its string (`#`, `@`, `!`, `at`, `in`):
    /// then, as in yara, no string of the rule is single-match.
    current_not_single: bool,
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

impl RuleParse {
    /// Records a use of string `index`: `at` for `$x at N`, None for any other use.
    fn used(&mut self, index: usize, at: Option<u64>) {
        self.referenced[index] = true;
        self.uses[index] = match (self.uses[index], at) {
            (Use::Unused, Some(n)) => Use::OnlyAt(n),
            (Use::OnlyAt(m), Some(n)) if m == n => Use::OnlyAt(n),
            _ => Use::Other,
        };
    }
}

/// An expression and whether it is an integer (else a boolean).
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

type Typed = (Expr, Ty);

impl Parser<'_> {
    fn tok(&self) -> &Tok {
        &self.tokens[self.pos].tok
    }

    fn at(&self) -> &Token {
        &self.tokens[self.pos]
    }

    fn advance(&mut self) -> &Token {
        let t = &self.tokens[self.pos];
        if t.tok != Tok::End {
            self.pos += 1;
        }
        t
    }

    fn error(&self, message: impl Into<String>) -> Diagnostic {
        let t = self.at();
        Diagnostic::syntax(t.line, t.column, message)
    }

    fn unsupported(&self, construct: &str) -> Diagnostic {
        let t = self.at();
        Diagnostic::unsupported(t.line, t.column, construct)
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.tok(), Tok::Ident(w) if w == word)
    }

    /// The token `k` places after the current one.
    fn ahead(&self, k: usize) -> Option<&Tok> {
        self.tokens.get(self.pos + k).map(|t| &t.tok)
    }

    /// Whether the token `k` places ahead is the word `word`.
    fn word_ahead(&self, k: usize, word: &str) -> bool {
        matches!(self.ahead(k), Some(Tok::Ident(w)) if w == word)
    }

    fn is_punct(&self, punct: &str) -> bool {
        matches!(self.tok(), Tok::Punct(p) if *p == punct)
    }

    fn expect_punct(&mut self, punct: &str) -> Result<(), Diagnostic> {
        if self.is_punct(punct) {
            self.advance();
            Ok(())
        } else {
            Err(self.error(format!(
                "expected `{punct}`, found {}",
                describe(self.tok())
            )))
        }
    }

    fn expect_word(&mut self, word: &str) -> Result<(), Diagnostic> {
        if self.is_word(word) {
            self.advance();
            Ok(())
        } else {
            Err(self.error(format!("expected `{word}`, found {}", describe(self.tok()))))
        }
    }

    fn identifier(&mut self, what: &str) -> Result<String, Diagnostic> {
        match self.tok().clone() {
            Tok::Ident(w) if !KEYWORDS.contains(&w.as_str()) => {
                self.advance();
                Ok(w)
            }
            other => Err(self.error(format!("expected {what}, found {}", describe(&other)))),
        }
    }

    /// An integer expression (an offset, an index, a range bound).
    fn int_operand(&mut self, r: &mut RuleParse, what: &str) -> Result<Expr, Diagnostic> {
        let at = self.at().clone();
        match self.nested(r, |p, r| p.operand(r))? {
            (e, Ty::Int) => Ok(e),
            _ => Err(Diagnostic::syntax(
                at.line,
                at.column,
                format!("expected an integer {what}"),
            )),
        }
    }

    /// The string `$name` (`#name`, `@name`, `!name`) refers to: `name` is empty for the
    /// current string of a `for ... of` body.
    fn string_ref(&self, r: &RuleParse, name: &str) -> Result<StringRef, Diagnostic> {
        if name.is_empty() {
            if r.for_of_depth == 0 {
                return Err(self
                    .error("`$`, `#`, `@` and `!` alone are allowed only in a `for ... of` body"));
            }
            return Ok(StringRef::Current);
        }
        Ok(StringRef::Named(
            self.string_index(r, &format!("${name}"))? as u32
        ))
    }

    /// Notes that the condition counts or locates `string`'s matches, so it is not
    /// single-match.
    fn not_single(r: &mut RuleParse, string: StringRef) {
        match string {
            StringRef::Named(i) => r.strings[i as usize].single_match = false,
            StringRef::Current => r.current_not_single = true,
        }
    }

    /// Notes that the condition needs the matches' offsets of `string`.
    fn keep_offsets(r: &mut RuleParse, string: StringRef) {
        Self::not_single(r, string);
        match string {
            StringRef::Named(i) => {
                r.strings[i as usize].keeps_offsets = true;
                r.used(i as usize, None);
            }
            StringRef::Current => r.current_offsets = true,
        }
    }

    /// `import "name"`. A module this build does not provide is an error, or, when skipping
    /// unsupported constructs, makes only the rules that use it skip.
    fn import(&mut self, skip_unsupported: bool) -> Result<(), Diagnostic> {
        self.advance();
        let Tok::Text(name) = self.tok().clone() else {
            return Err(self.error(format!(
                "expected a module name in quotes after `import`, found {}",
                describe(self.tok())
            )));
        };
        let name = String::from_utf8_lossy(&name).into_owned();
        match Module::named(&name) {
            Some(module) => {
                self.imported.insert(module);
            }
            None if skip_unsupported => {
                self.unavailable.insert(name);
            }
            None => return Err(self.unsupported(&format!("the module `{name}`"))),
        }
        self.advance();
        Ok(())
    }

    /// The regular expression literal `/.../is` at the current token.
    fn regex_literal(&mut self) -> Result<TextRegex, Diagnostic> {
        let at = self.at().clone();
        let Tok::Regex {
            text,
            nocase,
            dot_all,
        } = at.tok
        else {
            return Err(self.error("expected a regular expression `/.../`"));
        };
        self.advance();
        TextRegex::compile(&text, nocase, dot_all).map_err(|e| {
            Diagnostic::syntax(
                at.line,
                at.column + 1 + e.offset,
                format!("invalid regular expression: {}", e.message),
            )
        })
    }

    /// A module expression starting at the module's name: members, indexes, keys and calls,
    /// each checked against the module's declarations.
    fn module_expr(&mut self, r: &mut RuleParse, module: Module) -> Result<Typed, Diagnostic> {
        self.advance();
        let (steps, at) = self.module_path(r, module, Vec::new(), Reached::Root)?;
        self.module_value(r, module, steps, at)
    }

    /// A module value from a path: an error when the path ends at a structure, an array, a
    /// dictionary or a function.
    fn module_value(
        &mut self,
        r: &mut RuleParse,
        module: Module,
        steps: Vec<Step>,
        at: Reached,
    ) -> Result<Typed, Diagnostic> {
        let ty = match at.leaf() {
            Some(Leaf::Int) => Ty::Int,
            Some(Leaf::Float) => Ty::Float,
            Some(Leaf::Text) => Ty::Text,
            Some(Leaf::Bool) => Ty::Bool,
            None => {
                return Err(self.error(format!(
                    "{} of module `{}` is not a value (use a member, an item or a call)",
                    at.describe(),
                    module.name()
                )))
            }
        };
        r.reads_input = true;
        Ok((Expr::Module(Box::new(ModuleExpr { module, steps })), ty))
    }

    /// The members, indexes, keys and calls that follow a module path (`steps`, which lead to
    /// `at`), each checked against the module's declarations.
    fn module_path(
        &mut self,
        r: &mut RuleParse,
        module: Module,
        mut steps: Vec<Step>,
        mut at: Reached,
    ) -> Result<(Vec<Step>, Reached), Diagnostic> {
        loop {
            let shape_error = |p: &Self, e: modules::StepError| {
                if e.not_provided {
                    p.unsupported(&e.message)
                } else {
                    p.error(e.message)
                }
            };
            if self.is_punct(".") {
                self.advance();
                let Tok::Ident(name) = self.tok().clone() else {
                    return Err(self.error(format!(
                        "expected a member name after `.`, found {}",
                        describe(self.tok())
                    )));
                };
                at = modules::follow(module, at, StepShape::Field(&name))
                    .map_err(|e| shape_error(self, e))?;
                self.advance();
                steps.push(Step::Field(name));
            } else if self.is_punct("[") {
                let is_dict = matches!(at, Reached::Kind(modules::Kind::Dict(_)));
                let shape = if is_dict {
                    StepShape::Key
                } else {
                    StepShape::Index
                };
                at = modules::follow(module, at, shape).map_err(|e| shape_error(self, e))?;
                self.advance();
                let index_at = self.at().clone();
                let (index, ty) = self.nested(r, |p, r| p.expr(r))?;
                let wanted = if is_dict { Ty::Text } else { Ty::Int };
                if ty != wanted {
                    return Err(Diagnostic::syntax(
                        index_at.line,
                        index_at.column,
                        if is_dict {
                            "a dictionary key must be a string"
                        } else {
                            "an array index must be an integer"
                        },
                    ));
                }
                self.expect_punct("]")?;
                steps.push(if is_dict {
                    Step::Key(index)
                } else {
                    Step::Index(index)
                });
            } else if self.is_punct("(") {
                let Reached::Kind(modules::Kind::Function(overloads)) = at else {
                    return Err(self.error(format!("{} cannot be called", at.describe())));
                };
                let call_at = self.at().clone();
                self.advance();
                let mut args = Vec::new();
                // The argument types; None for a regular expression literal.
                let mut types: Vec<Option<Ty>> = Vec::new();
                while !self.is_punct(")") {
                    if !args.is_empty() {
                        self.expect_punct(",")?;
                    }
                    if let Tok::Regex { .. } = self.tok() {
                        args.push(Expr::Regex(Arc::new(self.regex_literal()?)));
                        types.push(None);
                        continue;
                    }
                    let (arg, ty) = self.nested(r, |p, r| p.expr(r))?;
                    args.push(arg);
                    types.push(Some(ty));
                }
                self.advance();
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
                    return Err(Diagnostic::syntax(
                        call_at.line,
                        call_at.column,
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
                at = modules::follow(module, at, StepShape::Call(overload as u32))
                    .map_err(|e| shape_error(self, e))?;
                steps.push(Step::Call {
                    overload: overload as u32,
                    args,
                });
            } else {
                break;
            }
        }
        Ok((steps, at))
    }

    /// Skips a rule whose header starts at the current token: up to its closing brace.
    fn skip_rule(&mut self) {
        while !self.is_punct("{") && self.tok() != &Tok::End {
            self.advance();
        }
        let mut depth = 0usize;
        while self.tok() != &Tok::End {
            match self.advance().tok {
                Tok::Punct("{") => depth += 1,
                Tok::Punct("}") => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }

    fn rule(&mut self, r: &mut RuleParse) -> Result<ParsedRule, Diagnostic> {
        let (mut private, mut global) = (false, false);
        loop {
            if self.is_word("private") && !private {
                private = true;
            } else if self.is_word("global") && !global {
                global = true;
            } else {
                break;
            }
            self.advance();
        }
        self.expect_word("rule")?;
        let name_at = self.pos;
        r.name = self.identifier("a rule name")?;
        if self.rule_index.contains_key(&r.name) || self.skipped_names.contains(&r.name) {
            self.pos = name_at;
            return Err(self.error(format!("duplicate rule name `{}`", r.name)));
        }
        let mut tags = Vec::new();
        if self.is_punct(":") {
            self.advance();
            while let Tok::Ident(_) = self.tok() {
                let tag = self.identifier("a tag")?;
                if tags.contains(&tag) {
                    return Err(self.error(format!("duplicate tag `{tag}`")));
                }
                tags.push(tag);
            }
            if tags.is_empty() {
                return Err(self.error("expected a tag after `:`"));
            }
        }
        self.expect_punct("{")?;
        if self.is_word("meta") {
            self.advance();
            self.expect_punct(":")?;
            self.meta(r)?;
        }
        if self.is_word("strings") {
            self.advance();
            self.expect_punct(":")?;
            self.strings(r)?;
        }
        self.expect_word("condition")?;
        self.expect_punct(":")?;
        let (condition, _) = self.expr(r)?;
        self.expect_punct("}")?;
        if let Some(unused) = r.referenced.iter().position(|used| !used) {
            let name = &r.strings[unused].name;
            return Err(self.error(format!(
                "string `{name}` of rule `{}` is not used in its condition",
                r.name
            )));
        }
        if r.current_not_single {
            for string in &mut r.strings {
                string.single_match = false;
            }
        }
        for (string, use_) in r.strings.iter_mut().zip(&r.uses) {
            let literal =
                string.patterns.len() == 1 && string.patterns[0].1.iter().all(|&m| m == 0xff);
            if let (Use::OnlyAt(at), true) = (use_, literal) {
                string.fixed_offset = Some(*at);
            }
        }
        Ok(ParsedRule {
            name: r.name.clone(),
            namespace: 0,
            tags,
            meta: std::mem::take(&mut r.meta),
            private,
            global,
            strings: std::mem::take(&mut r.strings),
            condition,
        })
    }

    fn meta(&mut self, r: &mut RuleParse) -> Result<(), Diagnostic> {
        while let Tok::Ident(w) = self.tok() {
            if w == "strings" || w == "condition" {
                return Ok(());
            }
            let key = w.clone();
            self.advance();
            self.expect_punct("=")?;
            let negative = self.is_punct("-");
            if negative {
                self.advance();
            }
            let value = match self.tok() {
                Tok::Int(v) if negative => MetaValue::Integer(v.wrapping_neg()),
                Tok::Int(v) => MetaValue::Integer(*v),
                Tok::Text(t) if !negative => MetaValue::Text(t.clone()),
                Tok::Ident(w) if !negative && (w == "true" || w == "false") => {
                    MetaValue::Boolean(w == "true")
                }
                other => {
                    return Err(self.error(format!(
                        "expected a text, integer or boolean meta value, found {}",
                        describe(other)
                    )))
                }
            };
            self.advance();
            r.meta.push((key, value));
        }
        Ok(())
    }

    fn strings(&mut self, r: &mut RuleParse) -> Result<(), Diagnostic> {
        while let Tok::StringId { name, wildcard } = self.tok().clone() {
            if wildcard {
                return Err(self.error("a string's name cannot end with `*`"));
            }
            let name = format!("${name}");
            if name != "$" && r.strings.iter().any(|s| s.name == name) {
                return Err(self.error(format!("duplicate string name `{name}`")));
            }
            self.advance();
            self.expect_punct("=")?;
            let value_at = self.at().clone();
            let string = match value_at.tok {
                Tok::Text(bytes) => {
                    self.advance();
                    let modifiers = self.text_modifiers()?;
                    if bytes.is_empty() {
                        return Err(Diagnostic::syntax(
                            value_at.line,
                            value_at.column,
                            "empty text string",
                        ));
                    }
                    if bytes.len() > MAX_STRING_BYTES {
                        return Err(Diagnostic::syntax(
                            value_at.line,
                            value_at.column,
                            format!(
                                "text string of {} bytes; at most {MAX_STRING_BYTES}",
                                bytes.len()
                            ),
                        ));
                    }
                    let (patterns, flags) = modifiers.expand(bytes);
                    ParsedString {
                        name,
                        is_hex: false,
                        patterns,
                        flags,
                        fixed_offset: None,
                        keeps_offsets: false,
                        private: modifiers.private,
                        single_match: true,
                        regex: None,
                        chained: Vec::new(),
                    }
                }
                Tok::Hex(body) => {
                    self.advance();
                    let mut private = false;
                    while let Some(m) = self.modifier_word() {
                        if m != "private" || private {
                            return Err(self.error(format!(
                                "hex strings take only the `private` modifier (`{m}`)"
                            )));
                        }
                        private = true;
                        self.advance();
                    }
                    let compiled = hex::compile(&body, value_at.line, value_at.column)?;
                    let mut parts = compiled.parts.into_iter().map(|part| match part {
                        hex::HexPart::Fixed(patterns) => Ok((patterns, None)),
                        hex::HexPart::Expression(node) => RegexString::from_hex(&node)
                            .map(|regex| (Vec::new(), Some(Arc::new(regex))))
                            .map_err(|e| {
                                Diagnostic::syntax(value_at.line, value_at.column, e.message)
                            }),
                    });
                    let (patterns, regex) = parts.next().expect("a hex string has a part")?;
                    let chained = compiled
                        .gaps
                        .into_iter()
                        .zip(parts)
                        .map(|(gap, part)| {
                            part.map(|(patterns, regex)| ChainedPart {
                                gap,
                                patterns,
                                regex,
                            })
                        })
                        .collect::<Result<_, _>>()?;
                    ParsedString {
                        name,
                        is_hex: true,
                        patterns,
                        flags: StringFlags::default(),
                        fixed_offset: None,
                        keeps_offsets: false,
                        private,
                        single_match: true,
                        regex,
                        chained,
                    }
                }
                Tok::Regex {
                    text,
                    nocase,
                    dot_all,
                } => {
                    self.advance();
                    let modifiers = self.text_modifiers()?;
                    if modifiers.xor.is_some()
                        || modifiers.base64.is_some()
                        || modifiers.base64wide.is_some()
                    {
                        return Err(Diagnostic::syntax(
                            value_at.line,
                            value_at.column,
                            "regular expressions take only the nocase, ascii, wide, fullword and \
                             private modifiers",
                        ));
                    }
                    let f = modifiers.flags;
                    let flags = RegexFlags {
                        nocase: nocase || f.nocase,
                        dot_all,
                        ascii: f.ascii || !f.wide,
                        wide: f.wide,
                        fullword: f.fullword,
                    };
                    let regex = RegexString::compile(&text, flags).map_err(|e| {
                        let column = value_at.column + 1 + e.offset;
                        if e.unsupported {
                            Diagnostic::unsupported(value_at.line, column, &e.message)
                        } else {
                            Diagnostic::syntax(
                                value_at.line,
                                column,
                                format!("invalid regular expression: {}", e.message),
                            )
                        }
                    })?;
                    ParsedString {
                        name,
                        is_hex: false,
                        patterns: Vec::new(),
                        flags: StringFlags::default(),
                        fixed_offset: None,
                        keeps_offsets: false,
                        private: modifiers.private,
                        single_match: true,
                        regex: Some(Arc::new(regex)),
                        chained: Vec::new(),
                    }
                }
                other => {
                    return Err(self.error(format!(
                        "expected a text string, hex string or regular expression, found {}",
                        describe(&other)
                    )))
                }
            };
            r.strings.push(string);
            r.referenced.push(false);
            r.uses.push(Use::Unused);
        }
        if r.strings.is_empty() {
            return Err(self.error("`strings:` declares no string"));
        }
        Ok(())
    }

    fn modifier_word(&self) -> Option<String> {
        match self.tok() {
            Tok::Ident(w)
                if [
                    "ascii",
                    "wide",
                    "nocase",
                    "fullword",
                    "private",
                    "xor",
                    "base64",
                    "base64wide",
                ]
                .contains(&w.as_str()) =>
            {
                Some(w.clone())
            }
            _ => None,
        }
    }

    fn text_modifiers(&mut self) -> Result<TextModifiers, Diagnostic> {
        let mut m = TextModifiers::default();
        let mut seen: Vec<String> = Vec::new();
        let start = self.at().clone();
        while let Some(word) = self.modifier_word() {
            if seen.contains(&word) {
                return Err(self.error(format!("duplicate modifier `{word}`")));
            }
            self.advance();
            match word.as_str() {
                "ascii" => m.flags.ascii = true,
                "wide" => m.flags.wide = true,
                "nocase" => m.flags.nocase = true,
                "fullword" => m.flags.fullword = true,
                "private" => m.private = true,
                "xor" => m.xor = Some(self.xor_range()?),
                _ => {
                    let alphabet = self.base64_alphabet()?;
                    if word == "base64" {
                        m.base64 = Some(alphabet);
                    } else {
                        m.base64wide = Some(alphabet);
                    }
                }
            }
            seen.push(word);
        }
        let has = |w: &str| seen.iter().any(|s| s == w);
        let conflict = if has("xor") && has("nocase") {
            Some("xor nocase")
        } else if m.base64.is_some() || m.base64wide.is_some() {
            ["nocase", "xor", "fullword"]
                .into_iter()
                .find(|w| has(w))
                .map(|_| "base64 with nocase, xor or fullword")
        } else {
            None
        };
        if let Some(what) = conflict {
            return Err(Diagnostic::syntax(
                start.line,
                start.column,
                format!("invalid modifier combination: {what}"),
            ));
        }
        if let (Some(a), Some(b)) = (&m.base64, &m.base64wide) {
            if a != b {
                return Err(Diagnostic::syntax(
                    start.line,
                    start.column,
                    "base64 and base64wide with different alphabets",
                ));
            }
        }
        if m.xor.is_some() && m.flags.wide && m.flags.fullword {
            return Err(Diagnostic::unsupported(
                start.line,
                start.column,
                "`xor` with `wide` and `fullword`",
            ));
        }
        Ok(m)
    }

    /// The key range after `xor`: `(k)`, `(lo-hi)`, or none (0-255).
    fn xor_range(&mut self) -> Result<(u8, u8), Diagnostic> {
        if !self.is_punct("(") {
            return Ok((0, 255));
        }
        self.advance();
        let at = self.at().clone();
        let key = |p: &mut Self| -> Result<u8, Diagnostic> {
            match p.tok() {
                Tok::Int(v) if (0..=255).contains(v) => {
                    let v = *v as u8;
                    p.advance();
                    Ok(v)
                }
                _ => Err(p.error("xor keys are integers from 0 to 255")),
            }
        };
        let lo = key(self)?;
        let hi = if self.is_punct("-") {
            self.advance();
            key(self)?
        } else {
            lo
        };
        self.expect_punct(")")?;
        if lo > hi {
            return Err(Diagnostic::syntax(
                at.line,
                at.column,
                "xor range: the lower bound exceeds the upper bound",
            ));
        }
        Ok((lo, hi))
    }

    /// The alphabet after `base64` / `base64wide`: `("64 characters")`, or the standard one.
    fn base64_alphabet(&mut self) -> Result<[u8; 64], Diagnostic> {
        if !self.is_punct("(") {
            return Ok(*modifiers::STANDARD_ALPHABET);
        }
        self.advance();
        let at = self.at().clone();
        let Tok::Text(text) = self.tok().clone() else {
            return Err(self.error("expected a base64 alphabet (a text string)"));
        };
        self.advance();
        self.expect_punct(")")?;
        text.try_into().map_err(|_| {
            Diagnostic::syntax(at.line, at.column, "a base64 alphabet has 64 characters")
        })
    }

    // ---- conditions ----

    fn nested<T>(
        &mut self,
        r: &mut RuleParse,
        f: impl FnOnce(&mut Self, &mut RuleParse) -> Result<T, Diagnostic>,
    ) -> Result<T, Diagnostic> {
        if r.depth >= MAX_EXPR_DEPTH {
            return Err(self.error(format!(
                "condition nested deeper than {MAX_EXPR_DEPTH} levels"
            )));
        }
        r.depth += 1;
        let out = f(self, r);
        r.depth -= 1;
        out
    }

    fn expr(&mut self, r: &mut RuleParse) -> Result<Typed, Diagnostic> {
        self.nested(r, |p, r| {
            let first = p.and_expr(r)?;
            if !p.is_word("or") {
                return Ok(first);
            }
            let mut items = vec![first.0];
            while p.is_word("or") {
                p.advance();
                items.push(p.and_expr(r)?.0);
            }
            Ok((Expr::Or(items), Ty::Bool))
        })
    }

    fn and_expr(&mut self, r: &mut RuleParse) -> Result<Typed, Diagnostic> {
        let first = self.not_expr(r)?;
        if !self.is_word("and") {
            return Ok(first);
        }
        let mut items = vec![first.0];
        while self.is_word("and") {
            self.advance();
            items.push(self.not_expr(r)?.0);
        }
        Ok((Expr::And(items), Ty::Bool))
    }

    fn not_expr(&mut self, r: &mut RuleParse) -> Result<Typed, Diagnostic> {
        if self.is_word("not") {
            self.advance();
            let (inner, _) = self.nested(r, |p, r| p.not_expr(r))?;
            return Ok((Expr::Not(Box::new(inner)), Ty::Bool));
        }
        if self.is_word("defined") {
            self.advance();
            let (inner, _) = self.nested(r, |p, r| p.not_expr(r))?;
            return Ok((Expr::Defined(Box::new(inner)), Ty::Bool));
        }
        self.comparison(r)
    }

    fn comparison(&mut self, r: &mut RuleParse) -> Result<Typed, Diagnostic> {
        let left = self.operand(r)?;
        let op = match self.tok() {
            Tok::Punct("==") => Comparison::Eq,
            Tok::Punct("!=") => Comparison::Ne,
            Tok::Punct("<") => Comparison::Lt,
            Tok::Punct("<=") => Comparison::Le,
            Tok::Punct(">") => Comparison::Gt,
            Tok::Punct(">=") => Comparison::Ge,
            Tok::Ident(w) if w == "matches" => {
                let op_at = self.at().clone();
                self.advance();
                if !matches!(self.tok(), Tok::Regex { .. }) {
                    return Err(self.error("`matches` needs a regular expression `/.../`"));
                }
                let regex = self.regex_literal()?;
                if left.1 != Ty::Text {
                    return Err(Diagnostic::syntax(
                        op_at.line,
                        op_at.column,
                        "`matches` needs a text on its left",
                    ));
                }
                let e = Expr::Matches(Box::new(left.0), Arc::new(regex));
                return Ok((e, Ty::Bool));
            }
            Tok::Ident(w) if TextOp::named(w).is_some() => {
                let op = TextOp::named(w).expect("named");
                let op_at = self.at().clone();
                self.advance();
                let right = self.operand(r)?;
                if left.1 != Ty::Text || right.1 != Ty::Text {
                    return Err(Diagnostic::syntax(
                        op_at.line,
                        op_at.column,
                        "text operators need texts on both sides",
                    ));
                }
                let e = Expr::TextOp(op, Box::new(left.0), Box::new(right.0));
                return Ok((e, Ty::Bool));
            }
            _ => return Ok(left),
        };
        let op_at = self.at().clone();
        self.advance();
        let right = self.operand(r)?;
        let comparable = (left.1.is_number() && right.1.is_number())
            || (left.1 == Ty::Text && right.1 == Ty::Text);
        if !comparable {
            return Err(Diagnostic::syntax(
                op_at.line,
                op_at.column,
                "a comparison needs integers on both sides (`#x`, `filesize`, `uintN(..)` or \
                 a number; floats mix with integers), or texts on both sides",
            ));
        }
        Ok((
            Expr::Compare(op, Box::new(left.0), Box::new(right.0)),
            Ty::Bool,
        ))
    }

    /// An operand of a comparison: integer operators over unary expressions.
    fn operand(&mut self, r: &mut RuleParse) -> Result<Typed, Diagnostic> {
        let value = self.arith(r, 0)?;
        if self.is_punct(".") || self.is_punct("[") {
            return Err(self.unsupported("modules, arrays and field access"));
        }
        Ok(value)
    }

    /// Binary integer operators of `ARITH_LEVELS[level]` and tighter, left-associative;
    /// constant operands are folded.
    fn arith(&mut self, r: &mut RuleParse, level: usize) -> Result<Typed, Diagnostic> {
        let Some(operators) = ARITH_LEVELS.get(level) else {
            return self.unary(r);
        };
        let mut left = self.arith(r, level + 1)?;
        loop {
            let op = match self.tok() {
                Tok::Punct(p) => operators.iter().find(|(s, _)| s == p).copied(),
                _ => None,
            };
            let percent_of = self.word_ahead(1, "of");
            let Some((symbol, op)) = op.filter(|(s, _)| *s != "%" || !percent_of) else {
                return Ok(left);
            };
            let at = self.at().clone();
            self.advance();
            let right = self.nested(r, |p, r| p.arith(r, level + 1))?;
            let floats_allowed = matches!(op, Arith::Add | Arith::Sub | Arith::Mul | Arith::Div);
            let both_int = left.1 == Ty::Int && right.1 == Ty::Int;
            let numbers = left.1.is_number() && right.1.is_number();
            if !(both_int || floats_allowed && numbers) {
                return Err(Diagnostic::syntax(
                    at.line,
                    at.column,
                    format!(
                        "`{symbol}` needs integers on both sides{}",
                        if floats_allowed { " (or floats)" } else { "" }
                    ),
                ));
            }
            if !both_int {
                let e = Expr::Arith(op, Box::new(left.0), Box::new(right.0));
                left = (e, Ty::Float);
                continue;
            }
            let folded = match (&left.0, &right.0) {
                (Expr::Int(_), Expr::Int(0)) if matches!(op, Arith::Div | Arith::Mod) => {
                    return Err(Diagnostic::syntax(at.line, at.column, "division by zero"));
                }
                (Expr::Int(a), Expr::Int(b)) => op.apply(*a, *b).map(Expr::Int),
                _ => None,
            };
            let e = folded.unwrap_or_else(|| Expr::Arith(op, Box::new(left.0), Box::new(right.0)));
            left = (e, Ty::Int);
        }
    }

    /// `-e`, `~e` or a primary expression.
    fn unary(&mut self, r: &mut RuleParse) -> Result<Typed, Diagnostic> {
        let negate = match self.tok() {
            Tok::Punct("-") => true,
            Tok::Punct("~") => false,
            _ => return self.primary(r),
        };
        let at = self.at().clone();
        self.advance();
        let (inner, ty) = self.nested(r, |p, r| p.unary(r))?;
        if negate && ty == Ty::Float {
            let e = match inner {
                Expr::Float(bits) => Expr::Float((-f64::from_bits(bits)).to_bits()),
                e => Expr::Neg(Box::new(e)),
            };
            return Ok((e, Ty::Float));
        }
        if ty != Ty::Int {
            return Err(Diagnostic::syntax(
                at.line,
                at.column,
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

    fn string_index(&self, r: &RuleParse, name: &str) -> Result<usize, Diagnostic> {
        if name == "$" {
            return Err(self.error("anonymous strings can be used only through `them` or `$*`"));
        }
        r.strings
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| self.error(format!("undefined string `{name}` in rule `{}`", r.name)))
    }

    fn probe(&mut self, r: &mut RuleParse, string: usize, lo: i64, hi: i64) -> Expr {
        let global = |v: i64| u64::try_from(v).unwrap_or(0);
        let index = self.out.probes.len() + r.probes.len();
        if hi < 0 || hi < lo {
            return Expr::Bool(false);
        }
        r.probes.push(Probe {
            string: self.string_base + string as u32,
            lo: global(lo),
            hi: global(hi),
        });
        Expr::Probe(index as u32)
    }

    fn primary(&mut self, r: &mut RuleParse) -> Result<Typed, Diagnostic> {
        let token = self.at().clone();
        match token.tok {
            Tok::Int(v) => {
                self.advance();
                if self.is_word("of") {
                    let quantity = Quantity::AtLeast(v.max(0) as u64);
                    return self.of(r, quantity);
                }
                if self.is_punct("%") && self.word_ahead(1, "of") {
                    self.advance();
                    let quantity = self.percent(v, &token)?;
                    return self.of(r, quantity);
                }
                Ok((Expr::Int(v), Ty::Int))
            }
            Tok::Punct("(") => {
                self.advance();
                let inner = self.nested(r, |p, r| p.expr(r))?;
                self.expect_punct(")")?;
                Ok(inner)
            }
            Tok::StringId { name, wildcard } => {
                if wildcard {
                    return Err(self.error("`$x*` is allowed only in string sets"));
                }
                let string = self.string_ref(r, &name)?;
                self.advance();
                if self.is_word("at") {
                    self.advance();
                    let at = self.int_operand(r, "offset")?;
                    return Ok((self.found_at(r, string, at), Ty::Bool));
                }
                if let StringRef::Named(i) = string {
                    r.used(i as usize, None);
                }
                if self.is_word("in") {
                    self.advance();
                    let (lo, hi) = self.range(r)?;
                    return Ok((self.found_in(r, string, lo, hi), Ty::Bool));
                }
                Ok(match string {
                    StringRef::Named(i) => (Expr::Found(i), Ty::Bool),
                    StringRef::Current => (
                        Expr::Compare(
                            Comparison::Gt,
                            Box::new(Expr::CurrentCount),
                            Box::new(Expr::Int(0)),
                        ),
                        Ty::Bool,
                    ),
                })
            }
            Tok::CountId(name) => {
                let string = self.string_ref(r, &name)?;
                self.advance();
                if self.is_word("in") {
                    self.advance();
                    let (lo, hi) = self.range(r)?;
                    Self::keep_offsets(r, string);
                    return Ok((Expr::CountIn(string, Box::new(lo), Box::new(hi)), Ty::Int));
                }
                Self::not_single(r, string);
                Ok(match string {
                    StringRef::Named(i) => {
                        r.used(i as usize, None);
                        (Expr::Count(i), Ty::Int)
                    }
                    StringRef::Current => (Expr::CurrentCount, Ty::Int),
                })
            }
            Tok::OffsetId(ref name) | Tok::LengthId(ref name) => {
                let string = self.string_ref(r, name)?;
                self.advance();
                let index = if self.is_punct("[") {
                    self.advance();
                    let index = self.int_operand(r, "match index")?;
                    self.expect_punct("]")?;
                    index
                } else {
                    Expr::Int(1)
                };
                Self::keep_offsets(r, string);
                let index = Box::new(index);
                Ok(match token.tok {
                    Tok::OffsetId(_) => (Expr::MatchOffset(string, index), Ty::Int),
                    _ => (Expr::MatchLength(string, index), Ty::Int),
                })
            }
            Tok::Ident(word) => self.word_primary(r, &word),
            Tok::Text(text) => {
                self.advance();
                Ok((Expr::Text(text), Ty::Text))
            }
            Tok::Float(bits) => {
                self.advance();
                Ok((Expr::Float(bits), Ty::Float))
            }
            Tok::Regex { .. } | Tok::Hex(_) => {
                Err(self.error("unexpected string literal in a condition"))
            }
            other => Err(self.error(format!(
                "expected an expression, found {}",
                describe(&other)
            ))),
        }
    }

    fn word_primary(&mut self, r: &mut RuleParse, word: &str) -> Result<Typed, Diagnostic> {
        match word {
            "true" | "false" => {
                self.advance();
                Ok((Expr::Bool(word == "true"), Ty::Bool))
            }
            "filesize" => {
                self.advance();
                Ok((Expr::Filesize, Ty::Int))
            }
            "any" | "all" | "none" => {
                self.advance();
                let quantity = match word {
                    "any" => Quantity::Any,
                    "all" => Quantity::All,
                    _ => Quantity::None,
                };
                self.of(r, quantity)
            }
            "uint8" | "uint16" | "uint32" | "uint8be" | "uint16be" | "uint32be" | "int8"
            | "int16" | "int32" | "int8be" | "int16be" | "int32be" => {
                self.advance();
                self.expect_punct("(")?;
                let at = self.at().clone();
                let (offset, ty) = self.nested(r, |p, r| p.operand(r))?;
                if ty != Ty::Int {
                    return Err(Diagnostic::syntax(
                        at.line,
                        at.column,
                        format!("`{word}` needs an integer offset"),
                    ));
                }
                self.expect_punct(")")?;
                r.reads_input = true;
                let signed = !word.starts_with('u');
                let width = word
                    .trim_start_matches('u')
                    .trim_start_matches("int")
                    .trim_end_matches("be")
                    .parse::<u8>()
                    .expect("width")
                    / 8;
                Ok((
                    Expr::Read {
                        offset: Box::new(offset),
                        width,
                        big_endian: word.ends_with("be"),
                        signed,
                    },
                    Ty::Int,
                ))
            }
            "for" => {
                self.advance();
                self.for_loop(r)
            }
            "entrypoint" => {
                // Deprecated in YARA in favour of `pe.entry_point` / `elf.entry_point`, and
                // still evaluated: the entry point's file offset of a PE or ELF input.
                self.advance();
                r.reads_input = true;
                Ok((Expr::EntryPoint, Ty::Int))
            }
            "them" => Err(self.error("`them` is allowed only after `of`")),
            _ if KEYWORDS.contains(&word) => {
                Err(self.error(format!("unexpected keyword `{word}`")))
            }
            _ if self.externals.contains_key(word) && !r.loop_vars.iter().any(|v| v == word) => {
                self.advance();
                Ok(match &self.externals[word] {
                    External::Integer(i) => (Expr::Int(*i), Ty::Int),
                    External::Float(f) => (Expr::Float(f.to_bits()), Ty::Float),
                    External::Boolean(b) => (Expr::Bool(*b), Ty::Bool),
                    External::Text(t) => (Expr::Text(t.clone()), Ty::Text),
                })
            }
            _ if r.loop_vars.iter().any(|v| v == word) => {
                self.advance();
                let depth = r.loop_vars.iter().rposition(|v| v == word).expect("found");
                Ok((Expr::Var(depth as u32), Ty::Int))
            }
            _ if r.module_vars.iter().any(|v| v.name == word) => {
                let var = r
                    .module_vars
                    .iter()
                    .rev()
                    .find(|v| v.name == word)
                    .expect("found")
                    .clone();
                self.advance();
                let (steps, at) = self.module_path(r, var.module, var.steps, var.at)?;
                self.module_value(r, var.module, steps, at)
            }
            _ if Module::named(word).is_some_and(|m| self.imported.contains(&m)) => {
                let module = Module::named(word).expect("checked");
                self.module_expr(r, module)
            }
            _ if self.unavailable.contains(word) => {
                Err(self.unsupported(&format!("the module `{word}`")))
            }
            _ => {
                if let Some(&index) = self.rule_index.get(word) {
                    self.advance();
                    return Ok((Expr::Rule(index), Ty::Bool));
                }
                if self.skipped_names.contains(word) {
                    return Err(
                        self.unsupported(&format!("a reference to the skipped rule `{word}`"))
                    );
                }
                Err(self.error(format!(
                    "undefined identifier `{word}` (rules must be defined before they are used)"
                )))
            }
        }
    }

    /// `(lo..hi)` with integer expressions.
    fn range(&mut self, r: &mut RuleParse) -> Result<(Expr, Expr), Diagnostic> {
        self.expect_punct("(")?;
        let lo = self.int_operand(r, "range bound")?;
        self.expect_punct("..")?;
        let hi = self.int_operand(r, "range bound")?;
        self.expect_punct(")")?;
        Ok((lo, hi))
    }

    /// `$x at e`: a probe when `x` is named and `e` constant (no offsets kept), else a lookup
    /// in the kept matches.
    fn found_at(&mut self, r: &mut RuleParse, string: StringRef, at: Expr) -> Expr {
        Self::not_single(r, string);
        match (string, at) {
            (StringRef::Named(i), Expr::Int(at)) => {
                if at < 0 {
                    r.used(i as usize, None);
                    return Expr::Bool(false);
                }
                r.used(i as usize, Some(at as u64));
                self.probe(r, i as usize, at, at)
            }
            (string, at) => {
                Self::keep_offsets(r, string);
                Expr::FoundAt(string, Box::new(at))
            }
        }
    }

    /// `$x in (lo..hi)`: a probe when `x` is named and the bounds constant, else a lookup in
    /// the kept matches.
    fn found_in(&mut self, r: &mut RuleParse, string: StringRef, lo: Expr, hi: Expr) -> Expr {
        Self::not_single(r, string);
        match (string, lo, hi) {
            (StringRef::Named(i), Expr::Int(lo), Expr::Int(hi)) => {
                self.probe(r, i as usize, lo, hi)
            }
            (string, lo, hi) => {
                Self::keep_offsets(r, string);
                Expr::FoundIn(string, Box::new(lo), Box::new(hi))
            }
        }
    }

    /// The quantity `N%` (after the `%`), N from 1 to 100 as YARA requires.
    fn percent(&self, n: i64, at: &Token) -> Result<Quantity, Diagnostic> {
        if !(1..=100).contains(&n) {
            return Err(Diagnostic::syntax(
                at.line,
                at.column,
                "a percentage must be between 1 and 100",
            ));
        }
        Ok(Quantity::Percent(n as u64))
    }

    /// The quantifier of a `for` loop: `any`, `all`, `none`, `N` or `N%`.
    fn quantifier(&mut self, r: &mut RuleParse) -> Result<Quantity, Diagnostic> {
        for (word, quantity) in [
            ("any", Quantity::Any),
            ("all", Quantity::All),
            ("none", Quantity::None),
        ] {
            if self.is_word(word) {
                self.advance();
                return Ok(quantity);
            }
        }
        let at = self.at().clone();
        // `N of` and `N% of`: the number alone (as an operand, `N of ...` would parse as an
        // `of` expression).
        if let Tok::Int(n) = at.tok {
            if self.word_ahead(1, "of") {
                self.advance();
                return Ok(Quantity::AtLeast(n.max(0) as u64));
            }
            if matches!(self.ahead(1), Some(Tok::Punct("%"))) && self.word_ahead(2, "of") {
                self.advance();
                self.advance();
                return self.percent(n, &at);
            }
        }
        let n = match self.int_operand(r, "quantifier")? {
            Expr::Int(n) => n,
            _ => {
                return Err(Diagnostic::unsupported(
                    at.line,
                    at.column,
                    "a non-constant `for` quantifier",
                ))
            }
        };
        if self.is_punct("%") {
            self.advance();
            return self.percent(n, &at);
        }
        Ok(Quantity::AtLeast(n.max(0) as u64))
    }

    /// `for Q of set : (body)` or `for Q name in (range or list) : (body)`, after `for`.
    fn for_loop(&mut self, r: &mut RuleParse) -> Result<Typed, Diagnostic> {
        let quantity = self.quantifier(r)?;
        if self.is_word("of") {
            self.advance();
            let strings = self.string_set(r)?;
            self.expect_punct(":")?;
            self.expect_punct("(")?;
            r.for_of_depth += 1;
            let outer = std::mem::take(&mut r.current_offsets);
            let body = self.nested(r, |p, r| p.expr(r));
            r.for_of_depth -= 1;
            let uses_offsets = std::mem::replace(&mut r.current_offsets, outer);
            let (body, _) = body?;
            self.expect_punct(")")?;
            for &s in &strings {
                r.used(s as usize, None);
                if uses_offsets {
                    r.strings[s as usize].keeps_offsets = true;
                }
            }
            let body = Box::new(body);
            return Ok((
                Expr::ForOf {
                    quantity,
                    strings,
                    body,
                },
                Ty::Bool,
            ));
        }
        let name = match self.tok() {
            Tok::Ident(w) if !KEYWORDS.contains(&w.as_str()) => w.clone(),
            other => {
                return Err(self.error(format!(
                    "expected `of` or a loop variable after the quantifier, found {}",
                    describe(other)
                )))
            }
        };
        if r.loop_vars.contains(&name) || r.module_vars.iter().any(|v| v.name == name) {
            return Err(self.error(format!("duplicated loop identifier `{name}`")));
        }
        self.advance();
        let mut names = vec![name.clone()];
        if self.is_punct(",") {
            self.advance();
            names.push(self.identifier("a second loop variable")?);
        }
        self.expect_word("in")?;
        if !self.is_punct("(") {
            return self.for_in_module(r, quantity, names);
        }
        if names.len() > 1 {
            return Err(self.error("two loop variables iterate over a dictionary"));
        }
        self.advance();
        let first = self.int_operand(r, "loop value")?;
        let iteration = if self.is_punct("..") {
            self.advance();
            let hi = self.int_operand(r, "range bound")?;
            Iteration::Range(Box::new(first), Box::new(hi))
        } else {
            let mut items = vec![first];
            while self.is_punct(",") {
                self.advance();
                items.push(self.int_operand(r, "loop value")?);
            }
            Iteration::List(items)
        };
        self.expect_punct(")")?;
        self.expect_punct(":")?;
        self.expect_punct("(")?;
        r.loop_vars.push(name);
        let body = self.nested(r, |p, r| p.expr(r));
        r.loop_vars.pop();
        let (body, _) = body?;
        self.expect_punct(")")?;
        let body = Box::new(body);
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
        r: &mut RuleParse,
        quantity: Quantity,
        names: Vec<String>,
    ) -> Result<Typed, Diagnostic> {
        let at_token = self.at().clone();
        // The iterated value starts at a module or at an enclosing loop's module variable.
        let start = match self.tok() {
            Tok::Ident(w) => match r.module_vars.iter().rev().find(|v| &v.name == w) {
                Some(v) => Some((v.module, v.steps.clone(), v.at)),
                None => Module::named(w)
                    .filter(|m| self.imported.contains(m))
                    .map(|m| (m, Vec::new(), Reached::Root)),
            },
            _ => None,
        };
        let Some((module, steps, at)) = start else {
            return Err(self.error(format!(
                "expected `(` or a module array or dictionary after `in`, found {}",
                describe(self.tok())
            )));
        };
        self.advance();
        let (steps, at) = self.module_path(r, module, steps, at)?;
        let (item, is_dict) = match at {
            Reached::Kind(modules::Kind::Array(item)) => (*item, false),
            Reached::Kind(modules::Kind::Dict(item)) => (*item, true),
            _ => {
                return Err(Diagnostic::syntax(
                    at_token.line,
                    at_token.column,
                    format!(
                        "{} of module `{}` cannot be iterated",
                        at.describe(),
                        module.name()
                    ),
                ))
            }
        };
        if names.len() != 1 + is_dict as usize {
            return Err(Diagnostic::syntax(
                at_token.line,
                at_token.column,
                if is_dict {
                    "a loop over a dictionary takes two variables (key, value)"
                } else {
                    "a loop over an array takes one variable"
                },
            ));
        }
        self.expect_punct(":")?;
        self.expect_punct("(")?;
        // The position, a hidden integer variable at this loop's depth.
        let depth = r.loop_vars.len() as u32;
        r.loop_vars.push(format!("\0{}", names[0]));
        let position = || Expr::Var(depth);
        let with = |last: Step| {
            let mut path = steps.clone();
            path.push(last);
            path
        };
        let pushed = names.len();
        if is_dict {
            r.module_vars.push(ModuleVar {
                name: names[0].clone(),
                module,
                steps: with(Step::KeyAt(position())),
                at: Reached::Kind(modules::Kind::Text),
            });
            r.module_vars.push(ModuleVar {
                name: names[1].clone(),
                module,
                steps: with(Step::ValueAt(position())),
                at: Reached::Kind(item),
            });
        } else {
            r.module_vars.push(ModuleVar {
                name: names[0].clone(),
                module,
                steps: with(Step::Index(position())),
                at: Reached::Kind(item),
            });
        }
        let body = self.nested(r, |p, r| p.expr(r));
        r.module_vars.truncate(r.module_vars.len() - pushed);
        r.loop_vars.pop();
        let (body, _) = body?;
        self.expect_punct(")")?;
        r.reads_input = true;
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

    fn of(&mut self, r: &mut RuleParse, quantity: Quantity) -> Result<Typed, Diagnostic> {
        self.expect_word("of")?;
        if self.is_punct("(") && matches!(self.ahead(1), Some(Tok::Ident(_))) {
            let rules = self.rule_set()?;
            return Ok((Expr::RulesOf { quantity, rules }, Ty::Bool));
        }
        let strings = self.string_set(r)?;
        if self.is_word("in") || self.is_word("at") {
            return Err(self.unsupported("`of ... in/at` ranges"));
        }
        for &s in &strings {
            r.used(s as usize, None);
        }
        Ok((Expr::Of { quantity, strings }, Ty::Bool))
    }

    /// `(rule, prefix*, ...)`: indices of earlier rules, each once, in order of definition.
    fn rule_set(&mut self) -> Result<Vec<u32>, Diagnostic> {
        self.expect_punct("(")?;
        let mut set: Vec<u32> = Vec::new();
        loop {
            let Tok::Ident(name) = self.tok().clone() else {
                return Err(self.error(format!(
                    "expected a rule name in the set, found {}",
                    describe(self.tok())
                )));
            };
            self.advance();
            let wildcard = self.is_punct("*");
            if wildcard {
                self.advance();
                if self.skipped_names.iter().any(|s| s.starts_with(&name)) {
                    return Err(
                        self.unsupported(&format!("a reference to skipped rules `{name}*`"))
                    );
                }
                let mut matching: Vec<u32> = self
                    .rule_index
                    .iter()
                    .filter(|(n, _)| n.starts_with(&name))
                    .map(|(_, &i)| i)
                    .collect();
                if matching.is_empty() {
                    return Err(self.error(format!("no rule matches `{name}*`")));
                }
                matching.sort_unstable();
                set.extend(
                    matching
                        .into_iter()
                        .filter(|i| !set.contains(i))
                        .collect::<Vec<_>>(),
                );
            } else if let Some(&i) = self.rule_index.get(&name) {
                if !set.contains(&i) {
                    set.push(i);
                }
            } else if self.skipped_names.contains(&name) {
                return Err(self.unsupported(&format!("a reference to the skipped rule `{name}`")));
            } else {
                return Err(self.error(format!(
                    "undefined identifier `{name}` (rules must be defined before they are used)"
                )));
            }
            if self.is_punct(",") {
                self.advance();
                continue;
            }
            self.expect_punct(")")?;
            return Ok(set);
        }
    }

    /// `them` or `($a, $b*, ...)`: string indices, each once, in declaration order of the set.
    fn string_set(&mut self, r: &mut RuleParse) -> Result<Vec<u32>, Diagnostic> {
        let strings: Vec<u32> = if self.is_word("them") {
            self.advance();
            if r.strings.is_empty() {
                return Err(self.error(format!("rule `{}` has no strings for `them`", r.name)));
            }
            (0..r.strings.len() as u32).collect()
        } else if self.is_punct("(") {
            self.advance();
            let mut set = Vec::new();
            loop {
                match self.tok().clone() {
                    Tok::StringId { name, wildcard } => {
                        let prefix = format!("${name}");
                        let before = set.len();
                        for (i, s) in r.strings.iter().enumerate() {
                            let hit = if wildcard {
                                s.name.starts_with(&prefix)
                            } else {
                                s.name == prefix && prefix != "$"
                            };
                            if hit && !set.contains(&(i as u32)) {
                                set.push(i as u32);
                            }
                        }
                        if set.len() == before && !wildcard {
                            self.string_index(r, &prefix)?;
                        }
                        if set.len() == before && wildcard {
                            return Err(self.error(format!("no string matches `{prefix}*`")));
                        }
                        self.advance();
                    }
                    Tok::Ident(_) => return Err(self.unsupported("rule sets after `of`")),
                    other => {
                        return Err(self.error(format!(
                            "expected a string identifier in the set, found {}",
                            describe(&other)
                        )))
                    }
                }
                if self.is_punct(",") {
                    self.advance();
                    continue;
                }
                self.expect_punct(")")?;
                break;
            }
            set
        } else {
            return Err(self.error(format!(
                "expected `them` or a string set after `of`, found {}",
                describe(self.tok())
            )));
        };
        Ok(strings)
    }
}

/// A token for an error message.
fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Ident(w) => format!("`{w}`"),
        Tok::StringId { name, .. } => format!("`${name}`"),
        Tok::CountId(n) => format!("`#{n}`"),
        Tok::OffsetId(n) => format!("`@{n}`"),
        Tok::LengthId(n) => format!("`!{n}`"),
        Tok::Int(v) => format!("`{v}`"),
        Tok::Float(bits) => format!("`{}`", f64::from_bits(*bits)),
        Tok::Text(_) => "a text string".into(),
        Tok::Hex(_) => "a hex string".into(),
        Tok::Regex { .. } => "a regular expression".into(),
        Tok::Punct(p) => format!("`{p}`"),
        Tok::End => "the end of the source".into(),
    }
}
