//! The YARA grammar: tokens to the syntax tree of [`super::ast`], one statement at a time.
//!
//! A recursive-descent parser over YARA 4.x's grammar, with its operator precedence (loosest
//! first): `or`, `and`, `not` / `defined`, comparisons and text operators, `|`, `^`, `&`,
//! shifts, `+ -`, `* \ %`, unary `- ~`, then primaries. It checks syntax only: names are not
//! resolved and types not checked here (that is [`super::lower`]'s job), so every valid source
//! parses whatever it uses. Two ambiguities of the grammar are settled by looking ahead:
//! `N of` / `N% of` (a quantifier, not a number or a modulo), and `of (name, ...)` (a rule set
//! when the first item is a plain name). Expressions nest at most [`MAX_EXPR_DEPTH`] deep,
//! counting chains of left-associative operators, so the tree stays shallow enough for the
//! passes that walk it recursively.

use super::ast::{
    Anchor, Expr, ExprKind, Iterable, Modifier, ModifierKind, OfSet, Pos, Quantifier, Range,
    RegexLiteral, Rule, SetItem, Statement, StringDecl, StringSet, StringValue,
};
use super::lexer::{Tok, Token};
use super::{modifiers, Diagnostic};
use crate::scan::logic::{Arith, Comparison, MetaValue, TextOp};

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

/// Words that cannot name a rule, a variable or a tag.
pub(super) const KEYWORDS: &[&str] = &[
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

/// The words of string modifiers.
const MODIFIER_WORDS: &[&str] = &[
    "ascii",
    "wide",
    "nocase",
    "fullword",
    "private",
    "xor",
    "base64",
    "base64wide",
];

/// A parser over the tokens of one source (ending with `Tok::End`).
pub struct Parser<'a> {
    tokens: &'a [Token],
    pos: usize,
    depth: usize,
    /// The name of the rule being parsed, once read.
    rule_name: Option<String>,
    /// Parsing a `for` loop's quantifier: `of` after it belongs to the loop.
    in_quantifier: bool,
}

impl<'a> Parser<'a> {
    /// A parser at the first token.
    pub fn new(tokens: &'a [Token]) -> Self {
        Self {
            tokens,
            pos: 0,
            depth: 0,
            rule_name: None,
            in_quantifier: false,
        }
    }

    /// The next statement, or None at the end of the source.
    pub fn statement(&mut self) -> Result<Option<Statement>, Diagnostic> {
        self.rule_name = None;
        match self.tok() {
            Tok::End => Ok(None),
            Tok::Ident(w) if w == "import" => self.import().map(Some),
            _ => self.rule().map(|r| Some(Statement::Rule(r))),
        }
    }

    /// The name of the rule the last statement was (or is, after an error), for messages.
    pub fn rule_name(&self) -> Option<&str> {
        self.rule_name.as_deref()
    }

    fn tok(&self) -> &Tok {
        &self.tokens[self.pos].tok
    }

    /// Where the current token is.
    fn here(&self) -> Pos {
        let t = &self.tokens[self.pos];
        Pos {
            line: t.line,
            column: t.column,
            file: t.file,
        }
    }

    fn advance(&mut self) -> &Token {
        let t = &self.tokens[self.pos];
        if t.tok != Tok::End {
            self.pos += 1;
        }
        t
    }

    fn error(&self, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error_at(self.here(), message)
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

    /// `import "name"`.
    fn import(&mut self) -> Result<Statement, Diagnostic> {
        self.advance();
        let at = self.here();
        let Tok::Text(name) = self.tok().clone() else {
            return Err(self.error(format!(
                "expected a module name in quotes after `import`, found {}",
                describe(self.tok())
            )));
        };
        self.advance();
        Ok(Statement::Import {
            name: String::from_utf8_lossy(&name).into_owned(),
            at,
        })
    }

    fn rule(&mut self) -> Result<Rule, Diagnostic> {
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
        let name_at = self.here();
        let name = self.identifier("a rule name")?;
        self.rule_name = Some(name.clone());
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
        let mut meta = Vec::new();
        if self.is_word("meta") {
            self.advance();
            self.expect_punct(":")?;
            meta = self.meta()?;
        }
        let mut strings = Vec::new();
        if self.is_word("strings") {
            self.advance();
            self.expect_punct(":")?;
            strings = self.strings()?;
        }
        self.expect_word("condition")?;
        self.expect_punct(":")?;
        let condition = self.expr()?;
        self.expect_punct("}")?;
        Ok(Rule {
            name,
            name_at,
            private,
            global,
            tags,
            meta,
            strings,
            condition,
        })
    }

    fn meta(&mut self) -> Result<Vec<(String, MetaValue)>, Diagnostic> {
        let mut meta = Vec::new();
        while let Tok::Ident(w) = self.tok() {
            if w == "strings" || w == "condition" {
                break;
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
            meta.push((key, value));
        }
        Ok(meta)
    }

    fn strings(&mut self) -> Result<Vec<StringDecl>, Diagnostic> {
        let mut strings = Vec::new();
        while let Tok::StringId { name, wildcard } = self.tok().clone() {
            if wildcard {
                return Err(self.error("a string's name cannot end with `*`"));
            }
            let at = self.here();
            self.advance();
            self.expect_punct("=")?;
            let value_at = self.here();
            let value = match self.tok().clone() {
                Tok::Text(bytes) => StringValue::Text(bytes),
                Tok::Hex(body) => StringValue::Hex(body),
                Tok::Regex {
                    text,
                    nocase,
                    dot_all,
                } => StringValue::Regex(RegexLiteral {
                    text,
                    nocase,
                    dot_all,
                    at: value_at,
                }),
                other => {
                    return Err(self.error(format!(
                        "expected a text string, hex string or regular expression, found {}",
                        describe(&other)
                    )))
                }
            };
            self.advance();
            let modifiers = self.modifiers()?;
            strings.push(StringDecl {
                name: format!("${name}"),
                at,
                value,
                value_at,
                modifiers,
            });
        }
        if strings.is_empty() {
            return Err(self.error("`strings:` declares no string"));
        }
        Ok(strings)
    }

    /// The modifiers after a string's value, with their arguments.
    fn modifiers(&mut self) -> Result<Vec<Modifier>, Diagnostic> {
        let mut out = Vec::new();
        while let Tok::Ident(word) = self.tok().clone() {
            if !MODIFIER_WORDS.contains(&word.as_str()) {
                break;
            }
            let at = self.here();
            self.advance();
            let kind = match word.as_str() {
                "ascii" => ModifierKind::Ascii,
                "wide" => ModifierKind::Wide,
                "nocase" => ModifierKind::Nocase,
                "fullword" => ModifierKind::Fullword,
                "private" => ModifierKind::Private,
                "xor" => {
                    let (lo, hi) = self.xor_range()?;
                    ModifierKind::Xor(lo, hi)
                }
                "base64" => ModifierKind::Base64(self.base64_alphabet()?),
                _ => ModifierKind::Base64Wide(self.base64_alphabet()?),
            };
            out.push(Modifier { kind, at });
        }
        Ok(out)
    }

    /// The key range after `xor`: `(k)`, `(lo-hi)`, or none (0-255).
    fn xor_range(&mut self) -> Result<(u8, u8), Diagnostic> {
        if !self.is_punct("(") {
            return Ok((0, 255));
        }
        self.advance();
        let at = self.here();
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
            return Err(Diagnostic::error_at(
                at,
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
        let at = self.here();
        let Tok::Text(text) = self.tok().clone() else {
            return Err(self.error("expected a base64 alphabet (a text string)"));
        };
        self.advance();
        self.expect_punct(")")?;
        text.try_into()
            .map_err(|_| Diagnostic::error_at(at, "a base64 alphabet has 64 characters"))
    }

    // ---- conditions ----

    /// Runs `f` one level deeper, refusing expressions nested past [`MAX_EXPR_DEPTH`].
    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, Diagnostic>,
    ) -> Result<T, Diagnostic> {
        if self.depth >= MAX_EXPR_DEPTH {
            return Err(self.error(format!(
                "condition nested deeper than {MAX_EXPR_DEPTH} levels"
            )));
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    /// A node of `kind` at `at`.
    fn node(kind: ExprKind, at: Pos) -> Expr {
        Expr { kind, at }
    }

    fn expr(&mut self) -> Result<Expr, Diagnostic> {
        self.nested(|p| {
            let at = p.here();
            let first = p.and_expr()?;
            if !p.is_word("or") {
                return Ok(first);
            }
            let mut items = vec![first];
            while p.is_word("or") {
                p.advance();
                items.push(p.and_expr()?);
            }
            Ok(Self::node(ExprKind::Or(items), at))
        })
    }

    fn and_expr(&mut self) -> Result<Expr, Diagnostic> {
        let at = self.here();
        let first = self.not_expr()?;
        if !self.is_word("and") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.is_word("and") {
            self.advance();
            items.push(self.not_expr()?);
        }
        Ok(Self::node(ExprKind::And(items), at))
    }

    fn not_expr(&mut self) -> Result<Expr, Diagnostic> {
        let at = self.here();
        for (word, kind) in [
            ("not", ExprKind::Not as fn(Box<Expr>) -> ExprKind),
            ("defined", ExprKind::Defined),
        ] {
            if self.is_word(word) {
                self.advance();
                let inner = self.nested(|p| p.not_expr())?;
                return Ok(Self::node(kind(Box::new(inner)), at));
            }
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, Diagnostic> {
        let left = self.operand()?;
        let at = self.here();
        let op = match self.tok() {
            Tok::Punct("==") => Comparison::Eq,
            Tok::Punct("!=") => Comparison::Ne,
            Tok::Punct("<") => Comparison::Lt,
            Tok::Punct("<=") => Comparison::Le,
            Tok::Punct(">") => Comparison::Gt,
            Tok::Punct(">=") => Comparison::Ge,
            Tok::Ident(w) if w == "matches" => {
                self.advance();
                let regex_at = self.here();
                let Tok::Regex {
                    text,
                    nocase,
                    dot_all,
                } = self.tok().clone()
                else {
                    return Err(self.error("`matches` needs a regular expression `/.../`"));
                };
                self.advance();
                let regex = RegexLiteral {
                    text,
                    nocase,
                    dot_all,
                    at: regex_at,
                };
                return Ok(Self::node(ExprKind::Matches(Box::new(left), regex), at));
            }
            Tok::Ident(w) if TextOp::named(w).is_some() => {
                let op = TextOp::named(w).expect("named");
                self.advance();
                let right = self.operand()?;
                let kind = ExprKind::TextOp(op, Box::new(left), Box::new(right));
                return Ok(Self::node(kind, at));
            }
            _ => return Ok(left),
        };
        self.advance();
        let right = self.operand()?;
        Ok(Self::node(
            ExprKind::Compare(op, Box::new(left), Box::new(right)),
            at,
        ))
    }

    /// An operand of a comparison: integer operators over unary expressions.
    fn operand(&mut self) -> Result<Expr, Diagnostic> {
        self.arith(0)
    }

    /// Binary operators of `ARITH_LEVELS[level]` and tighter, left-associative.
    fn arith(&mut self, level: usize) -> Result<Expr, Diagnostic> {
        let Some(operators) = ARITH_LEVELS.get(level) else {
            return self.unary();
        };
        let mut left = self.arith(level + 1)?;
        let depth = self.depth;
        let out = loop {
            let op = match self.tok() {
                Tok::Punct(p) => operators.iter().find(|(s, _)| s == p).copied(),
                _ => None,
            };
            let percent_of = self.word_ahead(1, "of");
            let Some((_, op)) = op.filter(|(s, _)| *s != "%" || !percent_of) else {
                break Ok(left);
            };
            let at = self.here();
            self.advance();
            // Each operator of the chain deepens the (left-leaning) tree by one.
            let right = match self.nested(|p| p.arith(level + 1)) {
                Ok(right) => right,
                Err(e) => break Err(e),
            };
            self.depth += 1;
            left = Self::node(ExprKind::Arith(op, Box::new(left), Box::new(right)), at);
        };
        self.depth = depth;
        out
    }

    /// `-e`, `~e` or a primary expression.
    fn unary(&mut self) -> Result<Expr, Diagnostic> {
        let kind: fn(Box<Expr>) -> ExprKind = match self.tok() {
            Tok::Punct("-") => ExprKind::Neg,
            Tok::Punct("~") => ExprKind::BitNot,
            _ => return self.primary(),
        };
        let at = self.here();
        self.advance();
        let inner = self.nested(|p| p.unary())?;
        Ok(Self::node(kind(Box::new(inner)), at))
    }

    /// A primary expression, or `e of set` / `e% of set` when it is a quantifier (yara's
    /// `for_expression`: any primary expression).
    fn primary(&mut self) -> Result<Expr, Diagnostic> {
        let at = self.here();
        let e = self.primary_value()?;
        if self.in_quantifier {
            return Ok(e);
        }
        if self.is_word("of") {
            return self.of(Quantifier::Count(Box::new(e)), at);
        }
        if self.is_punct("%") && self.word_ahead(1, "of") {
            self.advance();
            return self.of(Quantifier::Percent(Box::new(e)), at);
        }
        Ok(e)
    }

    fn primary_value(&mut self) -> Result<Expr, Diagnostic> {
        let at = self.here();
        let node = |kind| Self::node(kind, at);
        match self.tok().clone() {
            Tok::Int(v) => {
                self.advance();
                Ok(node(ExprKind::Int(v)))
            }
            Tok::Punct("(") => {
                self.advance();
                let quantifier = std::mem::take(&mut self.in_quantifier);
                let inner = self.nested(|p| p.expr());
                self.in_quantifier = quantifier;
                let inner = inner?;
                self.expect_punct(")")?;
                Ok(inner)
            }
            Tok::StringId { name, wildcard } => {
                if wildcard {
                    return Err(self.error("`$x*` is allowed only in string sets"));
                }
                self.advance();
                let anchor = self.anchor()?;
                Ok(node(ExprKind::StringMatch { name, anchor }))
            }
            Tok::CountId(name) => {
                self.advance();
                let range = if self.is_word("in") {
                    self.advance();
                    Some(self.range()?)
                } else {
                    None
                };
                Ok(node(ExprKind::StringCount { name, range }))
            }
            Tok::OffsetId(name) => {
                self.advance();
                let index = self.match_index()?;
                Ok(node(ExprKind::StringOffset { name, index }))
            }
            Tok::LengthId(name) => {
                self.advance();
                let index = self.match_index()?;
                Ok(node(ExprKind::StringLength { name, index }))
            }
            Tok::Ident(word) => self.word_primary(&word, at),
            Tok::Text(text) => {
                self.advance();
                Ok(node(ExprKind::Text(text)))
            }
            Tok::Float(bits) => {
                self.advance();
                Ok(node(ExprKind::Float(bits)))
            }
            Tok::Regex {
                text,
                nocase,
                dot_all,
            } => {
                self.advance();
                Ok(node(ExprKind::Regex(RegexLiteral {
                    text,
                    nocase,
                    dot_all,
                    at,
                })))
            }
            Tok::Hex(_) => Err(self.error("unexpected string literal in a condition")),
            other => Err(self.error(format!(
                "expected an expression, found {}",
                describe(&other)
            ))),
        }
    }

    /// `at e` or `in (a..b)` after a string or a set, if present.
    fn anchor(&mut self) -> Result<Option<Anchor>, Diagnostic> {
        if self.is_word("at") {
            self.advance();
            let at = self.nested(|p| p.operand())?;
            return Ok(Some(Anchor::At(Box::new(at))));
        }
        if self.is_word("in") {
            self.advance();
            return Ok(Some(Anchor::In(self.range()?)));
        }
        Ok(None)
    }

    /// `[i]` after `@x` or `!x`, if present.
    fn match_index(&mut self) -> Result<Option<Box<Expr>>, Diagnostic> {
        if !self.is_punct("[") {
            return Ok(None);
        }
        self.advance();
        let index = self.nested(|p| p.operand())?;
        self.expect_punct("]")?;
        Ok(Some(Box::new(index)))
    }

    fn word_primary(&mut self, word: &str, at: Pos) -> Result<Expr, Diagnostic> {
        let node = |kind| Self::node(kind, at);
        match word {
            "true" | "false" => {
                self.advance();
                Ok(node(ExprKind::Bool(word == "true")))
            }
            "filesize" => {
                self.advance();
                Ok(node(ExprKind::Filesize))
            }
            "entrypoint" => {
                self.advance();
                Ok(node(ExprKind::Entrypoint))
            }
            "any" | "all" | "none" => {
                self.advance();
                let quantifier = match word {
                    "any" => Quantifier::Any,
                    "all" => Quantifier::All,
                    _ => Quantifier::None,
                };
                self.of(quantifier, at)
            }
            "uint8" | "uint16" | "uint32" | "uint8be" | "uint16be" | "uint32be" | "int8"
            | "int16" | "int32" | "int8be" | "int16be" | "int32be" => {
                self.advance();
                self.expect_punct("(")?;
                let offset = self.nested(|p| p.operand())?;
                self.expect_punct(")")?;
                let width = word
                    .trim_start_matches('u')
                    .trim_start_matches("int")
                    .trim_end_matches("be")
                    .parse::<u8>()
                    .expect("width")
                    / 8;
                Ok(node(ExprKind::Read {
                    width,
                    signed: !word.starts_with('u'),
                    big_endian: word.ends_with("be"),
                    offset: Box::new(offset),
                }))
            }
            "for" => {
                self.advance();
                self.for_loop(at)
            }
            "them" => Err(self.error("`them` is allowed only after `of`")),
            // YARA-X's `with`; in YARA 4 the word is a name, as it stays where no `name =` follows.
            "with"
                if matches!(self.ahead(1), Some(Tok::Ident(_)))
                    && matches!(self.ahead(2), Some(Tok::Punct("="))) =>
            {
                self.advance();
                self.with(at)
            }
            _ if KEYWORDS.contains(&word) => {
                Err(self.error(format!("unexpected keyword `{word}`")))
            }
            _ => self.postfix(),
        }
    }

    /// A name and the members (`.m`), indexes (`[e]`) and calls (`(args)`) that follow it.
    fn postfix(&mut self) -> Result<Expr, Diagnostic> {
        let depth = self.depth;
        let out = self.postfix_chain();
        self.depth = depth;
        out
    }

    /// [`Self::postfix`]; each step of the chain deepens the tree by one.
    fn postfix_chain(&mut self) -> Result<Expr, Diagnostic> {
        let at = self.here();
        let name = self.identifier("a name")?;
        let mut e = Self::node(ExprKind::Ident(name), at);
        loop {
            let mut at = self.here();
            let kind = if self.is_punct(".") {
                self.advance();
                let Tok::Ident(member) = self.tok().clone() else {
                    return Err(self.error(format!(
                        "expected a member name after `.`, found {}",
                        describe(self.tok())
                    )));
                };
                at = self.here();
                self.advance();
                ExprKind::Member(Box::new(e), member)
            } else if self.is_punct("[") {
                self.advance();
                let index = self.nested(|p| p.expr())?;
                self.expect_punct("]")?;
                ExprKind::Index(Box::new(e), Box::new(index))
            } else if self.is_punct("(") {
                self.advance();
                let mut args = Vec::new();
                while !self.is_punct(")") {
                    if !args.is_empty() {
                        self.expect_punct(",")?;
                    }
                    args.push(self.nested(|p| p.expr())?);
                }
                self.advance();
                ExprKind::Call(Box::new(e), args)
            } else {
                return Ok(e);
            };
            e = self.nested(|_| Ok(Self::node(kind, at)))?;
            self.depth += 1;
        }
    }

    /// `(lo..hi)`.
    fn range(&mut self) -> Result<Range, Diagnostic> {
        self.expect_punct("(")?;
        let lo = self.nested(|p| p.operand())?;
        self.expect_punct("..")?;
        let hi = self.nested(|p| p.operand())?;
        self.expect_punct(")")?;
        Ok(Range {
            lo: Box::new(lo),
            hi: Box::new(hi),
        })
    }

    /// The quantifier of a `for` loop: `any`, `all`, `none`, `N` or `N%`.
    fn quantifier(&mut self) -> Result<Quantifier, Diagnostic> {
        for (word, quantifier) in [
            ("any", Quantifier::Any),
            ("all", Quantifier::All),
            ("none", Quantifier::None),
        ] {
            if self.is_word(word) {
                self.advance();
                return Ok(quantifier);
            }
        }
        let at = self.here();
        // `N of` and `N% of`: the number alone (as an operand, `N of ...` would parse as an
        // `of` expression).
        if let Tok::Int(n) = *self.tok() {
            let number = Box::new(Self::node(ExprKind::Int(n), at));
            if self.word_ahead(1, "of") {
                self.advance();
                return Ok(Quantifier::Count(number));
            }
            if matches!(self.ahead(1), Some(Tok::Punct("%"))) && self.word_ahead(2, "of") {
                self.advance();
                self.advance();
                return Ok(Quantifier::Percent(number));
            }
        }
        self.in_quantifier = true;
        let n = self.nested(|p| p.operand());
        self.in_quantifier = false;
        let n = Box::new(n?);
        if self.is_punct("%") {
            self.advance();
            return Ok(Quantifier::Percent(n));
        }
        Ok(Quantifier::Count(n))
    }

    /// `for Q of set : (body)` or `for Q name[, name] in iterable : (body)`, after `for`.
    fn for_loop(&mut self, at: Pos) -> Result<Expr, Diagnostic> {
        let quantifier = self.quantifier()?;
        if self.is_word("of") {
            self.advance();
            let strings = self.string_set()?;
            let body = self.loop_body()?;
            return Ok(Self::node(
                ExprKind::ForOf {
                    quantifier,
                    strings,
                    body,
                },
                at,
            ));
        }
        let mut vars = Vec::new();
        loop {
            let var_at = self.here();
            let name = match self.tok() {
                Tok::Ident(w) if !KEYWORDS.contains(&w.as_str()) => w.clone(),
                other if vars.is_empty() => {
                    return Err(self.error(format!(
                        "expected `of` or a loop variable after the quantifier, found {}",
                        describe(other)
                    )))
                }
                other => {
                    return Err(self.error(format!(
                        "expected a second loop variable, found {}",
                        describe(other)
                    )))
                }
            };
            self.advance();
            vars.push((name, var_at));
            if vars.len() == 2 || !self.is_punct(",") {
                break;
            }
            self.advance();
        }
        self.expect_word("in")?;
        let iterable = if self.is_punct("(") {
            self.advance();
            let first = self.nested(|p| p.operand())?;
            let iterable = if self.is_punct("..") {
                self.advance();
                let hi = self.nested(|p| p.operand())?;
                Iterable::Range(Range {
                    lo: Box::new(first),
                    hi: Box::new(hi),
                })
            } else {
                let mut items = vec![first];
                while self.is_punct(",") {
                    self.advance();
                    items.push(self.nested(|p| p.operand())?);
                }
                Iterable::List(items)
            };
            self.expect_punct(")")?;
            iterable
        } else if matches!(self.tok(), Tok::Ident(w) if !KEYWORDS.contains(&w.as_str())) {
            Iterable::Value(Box::new(self.nested(|p| p.postfix())?))
        } else {
            return Err(self.error(format!(
                "expected `(` or a module array or dictionary after `in`, found {}",
                describe(self.tok())
            )));
        };
        let body = self.loop_body()?;
        Ok(Self::node(
            ExprKind::ForIn {
                quantifier,
                vars,
                iterable,
                body,
            },
            at,
        ))
    }

    /// `with name = e, ... : (body)`, after `with`.
    fn with(&mut self, at: Pos) -> Result<Expr, Diagnostic> {
        let mut bindings = Vec::new();
        loop {
            let name_at = self.here();
            let name = self.identifier("a name to bind")?;
            self.expect_punct("=")?;
            let value = self.nested(|p| p.expr())?;
            bindings.push((name, name_at, value));
            if !self.is_punct(",") {
                break;
            }
            self.advance();
        }
        let body = self.loop_body()?;
        Ok(Self::node(ExprKind::With { bindings, body }, at))
    }

    /// `: (body)` of a loop.
    fn loop_body(&mut self) -> Result<Box<Expr>, Diagnostic> {
        self.expect_punct(":")?;
        self.expect_punct("(")?;
        let body = self.nested(|p| p.expr())?;
        self.expect_punct(")")?;
        Ok(Box::new(body))
    }

    /// `of set` after a quantifier, with its anchor.
    fn of(&mut self, quantifier: Quantifier, at: Pos) -> Result<Expr, Diagnostic> {
        self.expect_word("of")?;
        let set = if self.is_punct("(") && matches!(self.ahead(1), Some(Tok::Ident(_))) {
            OfSet::Rules(self.rule_set()?)
        } else {
            OfSet::Strings(self.string_set()?)
        };
        let anchor = self.anchor()?;
        Ok(Self::node(
            ExprKind::Of {
                quantifier,
                set,
                anchor,
            },
            at,
        ))
    }

    /// `(rule, prefix*, ...)`.
    fn rule_set(&mut self) -> Result<Vec<SetItem>, Diagnostic> {
        self.expect_punct("(")?;
        let mut set = Vec::new();
        loop {
            let at = self.here();
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
            }
            set.push(SetItem {
                name,
                wildcard,
                other_kind: false,
                at,
            });
            if !self.is_punct(",") {
                self.expect_punct(")")?;
                return Ok(set);
            }
            self.advance();
        }
    }

    /// `them` or `($a, $b*, ...)`.
    fn string_set(&mut self) -> Result<StringSet, Diagnostic> {
        let at = self.here();
        if self.is_word("them") {
            self.advance();
            return Ok(StringSet::Them(at));
        }
        if !self.is_punct("(") {
            return Err(self.error(format!(
                "expected `them` or a string set after `of`, found {}",
                describe(self.tok())
            )));
        }
        self.advance();
        let mut set = Vec::new();
        loop {
            let at = self.here();
            let item = match self.tok().clone() {
                Tok::StringId { name, wildcard } => SetItem {
                    name: format!("${name}"),
                    wildcard,
                    other_kind: false,
                    at,
                },
                Tok::Ident(name) => SetItem {
                    name,
                    wildcard: false,
                    other_kind: true,
                    at,
                },
                other => {
                    return Err(self.error(format!(
                        "expected a string identifier in the set, found {}",
                        describe(&other)
                    )))
                }
            };
            self.advance();
            if item.other_kind && self.is_punct("*") {
                self.advance();
            }
            set.push(item);
            if !self.is_punct(",") {
                self.expect_punct(")")?;
                return Ok(StringSet::Items(set));
            }
            self.advance();
        }
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
