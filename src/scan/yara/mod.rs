//! A compiler from YARA source text to a rule set with rule logic.
//!
//! The front end runs in layers, each in its own module:
//! 1. `lexer`: source text to tokens (with line, column and text of origin);
//! 2. [`sources`]: the tokens of each source with its `include`s spliced in, and the namespace
//!    it compiles into;
//! 3. `parser`: tokens to the syntax tree of `ast`, one statement at a time, checking syntax
//!    only, so every valid YARA 4.x source parses whatever it uses;
//! 4. `lower`: each rule's tree to the typed IR of [`crate::scan::logic`]: names resolved,
//!    types checked, constants folded, strings compiled to patterns (`hex`, `modifiers`,
//!    [`crate::scan::regex`]); a construct this build cannot evaluate makes the rule skip
//!    (with [`CompileOptions::skip_unsupported`]) or fails the compilation naming it;
//! 5. `build` (here): the rules' patterns into the scanner's [`RuleSet`], their conditions
//!    into its [`RuleLogic`].
//!
//! Supported: `rule NAME [: tags] { meta: strings: condition: }`, comments, the `private` and
//! `global` rule modifiers; text strings with escapes and `ascii`, `wide`, `nocase`, `fullword`,
//! `xor` and `base64`/`base64wide` (expanded into fixed patterns by `modifiers`); hex strings
//! with bytes, `??`, nibble wildcards, jumps and alternatives (past [`MAX_VARIANTS`] fixed
//! patterns, matched as an expression; cut at jumps over 200 bytes or unbounded ones into
//! parts joined after the scan, see [`crate::scan::chain`]); regular-expression
//! strings (`/.../is` with `nocase`, `ascii`, `wide`, `fullword`, `private`; see
//! [`crate::scan::regex`]) and the `matches` operator; conditions with
//! `any`/`all`/`none`/`N of`/`N% of` them or a string set, `$x`, `#x`, `@x[i]`, `!x[i]`,
//! `#x in (a..b)`, `$x at e`, `$x in (a..b)`, `for ... of` and `for ... in` loops over string
//! sets, integer ranges and lists, `defined`, rule sets in `of`, integer and float expressions
//! with YARA's operators, `uint8/16/32[be](e)` and `int8/16/32[be](e)` at any integer
//! expression, `filesize` (with `KB` / `MB` literals), text literals and operators, external
//! variables ([`CompileOptions::externals`]), comparisons, `and`, `or`, `not`, parentheses and
//! references to earlier rules; `import` and module expressions (members, array items,
//! dictionary keys and function calls, typed against the declarations of
//! [`crate::scan::modules`]); `meta:` entries are kept, typed. Anything else
//! is an error naming its line, column and construct, or, with
//! [`CompileOptions::skip_unsupported`], skips the rule using it.

mod ast;
mod cursor;
mod hex;
pub use hex::MAX_VARIANTS;
mod lexer;
mod lower;
mod modifiers;
mod parser;
pub mod sources;
pub use sources::{FileIncludes, IncludeResolver, NoIncludes, Source};

use super::logic::{RuleLogic, VariantOf};
use super::rules::RuleSet;
use crate::{Error, Result};

/// Largest YARA source accepted, bytes.
pub const MAX_SOURCE_BYTES: usize = 16 << 20;
/// Most pattern bytes a compiled rule set may hold after hex expansion.
pub const MAX_PATTERN_BYTES: usize = 256 << 20;

/// The value of an external variable (`yara -d NAME=VALUE`). Externals are fixed when the
/// rules are compiled: a condition sees the value given here.
#[derive(Clone, Debug, PartialEq)]
pub enum External {
    /// An integer.
    Integer(i64),
    /// A floating-point number.
    Float(f64),
    /// `true` or `false`.
    Boolean(bool),
    /// A text string (any bytes).
    Text(Vec<u8>),
}

/// How to compile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompileOptions {
    /// Skip (and list) rules that use unsupported constructs instead of failing.
    pub skip_unsupported: bool,
    /// External variables by name.
    pub externals: Vec<(String, External)>,
}

/// A rule left out because it uses an unsupported construct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedRule {
    /// The rule's name (empty for a top-level statement such as `import`).
    pub rule: String,
    /// 1-based line of the construct.
    pub line: usize,
    /// 1-based column of the construct.
    pub column: usize,
    /// What the construct is.
    pub construct: String,
}

/// The output of a compilation.
#[derive(Clone, Debug)]
pub struct CompiledSource {
    /// The rule set (rule ids are the kept rules' indices, in source order).
    pub rules: RuleSet,
    /// Rules skipped under [`CompileOptions::skip_unsupported`].
    pub skipped: Vec<SkippedRule>,
}

/// A problem at a place in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// Whether the problem is an unsupported (valid YARA) construct rather than a syntax error.
    pub unsupported: bool,
    /// Which text of the compilation it is in: 0 for the source, others for its includes.
    pub file: u32,
}

impl Diagnostic {
    /// A syntax or semantic error.
    pub fn syntax(line: usize, column: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            column,
            message: message.into(),
            unsupported: false,
            file: 0,
        }
    }

    /// A YARA construct this compiler does not support.
    pub fn unsupported(line: usize, column: usize, construct: &str) -> Self {
        Self {
            line,
            column,
            message: construct.to_string(),
            unsupported: true,
            file: 0,
        }
    }

    /// A syntax or semantic error at `at`.
    pub(crate) fn error_at(at: ast::Pos, message: impl Into<String>) -> Self {
        Self {
            file: at.file,
            ..Self::syntax(at.line, at.column, message)
        }
    }

    /// An unsupported construct at `at`.
    pub(crate) fn unsupported_at(at: ast::Pos, construct: &str) -> Self {
        Self {
            file: at.file,
            ..Self::unsupported(at.line, at.column, construct)
        }
    }

    /// The same problem, in text `file` (for diagnostics of sub-parsers that count lines
    /// within one text).
    pub(crate) fn in_file(self, file: u32) -> Self {
        Self { file, ..self }
    }

    pub(crate) fn into_error(self, origin: &str, rule: Option<&str>) -> Error {
        let in_rule = rule.map_or(String::new(), |r| format!(" (rule `{r}`)"));
        if self.unsupported {
            Error::Unsupported(format!(
                "{origin}:{}:{}: unsupported construct: {}{in_rule}; remove it, or compile with the \
                 skip-unsupported option to leave such rules out",
                self.line, self.column, self.message
            ))
        } else {
            Error::Parse {
                origin: origin.to_string(),
                line: self.line,
                column: self.column,
                message: format!("{}{in_rule}", self.message),
            }
        }
    }
}

/// Compiles YARA `source` (named `origin` in messages) into the `default` namespace; its
/// `include` statements read files relative to `origin`'s directory.
pub fn compile(source: &[u8], origin: &str, options: CompileOptions) -> Result<CompiledSource> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(Error::TooLarge(format!(
            "{origin}: {} bytes of YARA source; at most {MAX_SOURCE_BYTES}",
            source.len()
        )));
    }
    let source = Source {
        text: source.to_vec(),
        origin: origin.to_string(),
        namespace: DEFAULT_NAMESPACE.to_string(),
    };
    compile_sources(&[source], options, &mut FileIncludes)
}

/// yara's namespace for rules added without one.
pub const DEFAULT_NAMESPACE: &str = "default";

/// Compiles several sources into one rule set, in order (see [`Compiler`]). `includes` finds
/// the texts of `include` statements.
pub fn compile_sources(
    sources: &[Source],
    options: CompileOptions,
    includes: &mut dyn IncludeResolver,
) -> Result<CompiledSource> {
    let mut compiler = Compiler::new(options);
    for source in sources {
        compiler.add_with(source, includes)?;
    }
    compiler.build()
}

/// A compilation of several sources, added one at a time (yara's `YR_COMPILER`): rules of one
/// namespace see each other's names across sources (a name may not repeat within a
/// namespace), rules of different namespaces do not, and a false `global` rule hides the rules
/// of its own namespace only, as in yara. Each source is parsed when added, so its errors come
/// from [`Compiler::add`]; after an error the compiler refuses further sources.
pub struct Compiler {
    session: lower::Session,
    origin: Option<String>,
    failed: bool,
}

impl Compiler {
    /// An empty compilation with `options`.
    pub fn new(options: CompileOptions) -> Self {
        Self {
            session: lower::Session::new(options),
            origin: None,
            failed: false,
        }
    }

    /// Adds `source`, its includes read from files beside it ([`FileIncludes`]).
    pub fn add(&mut self, source: &Source) -> Result<()> {
        self.add_with(source, &mut FileIncludes)
    }

    /// Adds `source`, its includes found by `includes`.
    pub fn add_with(&mut self, source: &Source, includes: &mut dyn IncludeResolver) -> Result<()> {
        if self.failed {
            return Err(Error::invalid(
                "an earlier source of this compilation failed; start a new one",
            ));
        }
        self.failed = true;
        if source.text.len() > MAX_SOURCE_BYTES {
            return Err(Error::TooLarge(format!(
                "{}: {} bytes of YARA source; at most {MAX_SOURCE_BYTES}",
                source.origin,
                source.text.len()
            )));
        }
        let mut origins = Vec::new();
        let tokens = sources::tokens_of(source, &mut origins, includes)?;
        self.session
            .add(&tokens, &source.namespace)
            .map_err(|(d, rule)| {
                let origin = origins.get(d.file as usize).unwrap_or(&source.origin);
                d.into_error(origin, rule.as_deref())
            })?;
        self.origin.get_or_insert_with(|| source.origin.clone());
        self.failed = false;
        Ok(())
    }

    /// The rule set of every source added.
    pub fn build(self) -> Result<CompiledSource> {
        if self.failed {
            return Err(Error::invalid(
                "an earlier source of this compilation failed; start a new one",
            ));
        }
        let origin = self.origin.unwrap_or_else(|| "rules".into());
        build(self.session.finish(), &origin)
    }
}

/// Turns parsed rules into the scanner's rule set and the rule logic.
fn build(parsed: lower::Lowered, origin: &str) -> Result<CompiledSource> {
    let mut rules = RuleSet::new();
    let mut logic = RuleLogic {
        probes: parsed.probes,
        ..Default::default()
    };
    let mut pattern_bytes = 0usize;
    for (index, rule) in parsed.rules.into_iter().enumerate() {
        let rule_id = index as u32;
        let mut variants = Vec::new();
        for (string_index, string) in rule.strings.iter().enumerate() {
            let head = (&string.patterns, &string.regex);
            let rest = string.chained.iter().map(|p| (&p.patterns, &p.regex));
            for (part, (patterns, regex)) in std::iter::once(head).chain(rest).enumerate() {
                let of = |priority: usize| VariantOf {
                    string: string_index as u32,
                    part: part as u32,
                    priority: priority as u32,
                };
                if let Some(regex) = regex {
                    rules.add_regex(rule_id, variants.len() as u32, regex.clone())?;
                    variants.push(of(0));
                }
                for (priority, (bytes, mask)) in patterns.iter().enumerate() {
                    pattern_bytes += bytes.len();
                    if pattern_bytes > MAX_PATTERN_BYTES {
                        return Err(Error::TooLarge(format!(
                            "{origin}: the strings expand to more than {MAX_PATTERN_BYTES} \
                             pattern bytes; narrow hex jumps or split the rule set"
                        )));
                    }
                    let flags = if part == 0 {
                        string.flags
                    } else {
                        Default::default()
                    };
                    rules.add_string(rule_id, variants.len() as u32, bytes, mask, flags)?;
                    variants.push(of(priority));
                }
            }
        }
        logic.rules.push(super::logic::LogicRule {
            name: rule.name,
            namespace: rule.namespace,
            tags: rule.tags,
            meta: rule.meta,
            private: rule.private,
            global: rule.global,
            strings: rule
                .strings
                .into_iter()
                .map(|s| super::logic::LogicString {
                    name: s.name,
                    is_hex: s.is_hex,
                    fixed_offset: s.fixed_offset,
                    keeps_offsets: s.keeps_offsets,
                    private: s.private,
                    chain: s.chained.iter().map(|p| p.gap).collect(),
                    single_match: s.single_match,
                })
                .collect(),
            variants,
            first_string: logic.string_total,
            condition: rule.condition,
        });
        logic.string_total += logic.rules[index].strings.len() as u32;
    }
    logic.reads_input = parsed.reads_input;
    logic.namespaces = parsed.namespaces;
    rules.set_logic(logic);
    Ok(CompiledSource {
        rules,
        skipped: parsed.skipped,
    })
}

#[cfg(test)]
mod tests;
