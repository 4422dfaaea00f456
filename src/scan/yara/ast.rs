//! The syntax tree of YARA sources: what the parser builds, before any name is resolved or
//! type checked.
//!
//! The tree follows the YARA 4.x grammar and nothing else: an identifier is just a name (a
//! rule, an external variable, a loop variable or a module, decided later), `a.b[i](x)` is a
//! chain of member, index and call nodes whatever `a` is, and a quantifier is any expression.
//! [`super::lower`] then turns each rule into the typed IR of [`crate::scan::logic`], and
//! rejects there what the source means but this build cannot evaluate, so one unsupported
//! construct costs one rule, never the source. Every node keeps the position of the token it
//! starts at (or of its operator), for error messages.

use crate::scan::logic::{Arith, Comparison, MetaValue, TextOp};

/// A place in the sources of a compilation: line and column (1-based) in text `file` (0 for
/// the source itself, others for the texts it includes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Which text (see `sources`).
    pub file: u32,
}

/// A top-level statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    /// `import "name"`.
    Import {
        /// The module's name.
        name: String,
        /// Where the name is.
        at: Pos,
    },
    /// A rule.
    Rule(Rule),
}

/// `[private] [global] rule NAME [: tags] { meta: strings: condition: }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Its identifier.
    pub name: String,
    /// Where the identifier is.
    pub name_at: Pos,
    /// `private`.
    pub private: bool,
    /// `global`.
    pub global: bool,
    /// Its tags, each once.
    pub tags: Vec<String>,
    /// Its `meta:` entries in order.
    pub meta: Vec<(String, MetaValue)>,
    /// Its `strings:` declarations in order.
    pub strings: Vec<StringDecl>,
    /// Its condition.
    pub condition: Expr,
}

/// `$name = value modifiers`.
#[derive(Clone, Debug, PartialEq)]
pub struct StringDecl {
    /// The identifier with its `$` (`$` alone for an anonymous string).
    pub name: String,
    /// Where the identifier is.
    pub at: Pos,
    /// The value.
    pub value: StringValue,
    /// Where the value starts.
    pub value_at: Pos,
    /// The modifiers, as written.
    pub modifiers: Vec<Modifier>,
}

/// A string's value.
#[derive(Clone, Debug, PartialEq)]
pub enum StringValue {
    /// `"text"`, escapes resolved.
    Text(Vec<u8>),
    /// `{ ... }`: the text between the braces.
    Hex(String),
    /// `/.../flags`.
    Regex(RegexLiteral),
}

/// A regular expression literal `/text/is`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegexLiteral {
    /// The text between the slashes, as written.
    pub text: Vec<u8>,
    /// The `i` flag.
    pub nocase: bool,
    /// The `s` flag.
    pub dot_all: bool,
    /// Where its opening slash is.
    pub at: Pos,
}

/// A string modifier and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Modifier {
    /// Which.
    pub kind: ModifierKind,
    /// Where its word is.
    pub at: Pos,
}

/// The string modifiers of YARA 4.x.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModifierKind {
    /// `ascii`
    Ascii,
    /// `wide`
    Wide,
    /// `nocase`
    Nocase,
    /// `fullword`
    Fullword,
    /// `private`
    Private,
    /// `xor`, `xor(k)` or `xor(lo-hi)`: the key range (0-255 without arguments).
    Xor(u8, u8),
    /// `base64` or `base64("alphabet")`.
    Base64([u8; 64]),
    /// `base64wide` or `base64wide("alphabet")`.
    Base64Wide([u8; 64]),
}

impl ModifierKind {
    /// The modifier's keyword.
    pub fn word(&self) -> &'static str {
        match self {
            ModifierKind::Ascii => "ascii",
            ModifierKind::Wide => "wide",
            ModifierKind::Nocase => "nocase",
            ModifierKind::Fullword => "fullword",
            ModifierKind::Private => "private",
            ModifierKind::Xor(..) => "xor",
            ModifierKind::Base64(_) => "base64",
            ModifierKind::Base64Wide(_) => "base64wide",
        }
    }
}

/// An expression of a condition and where it is: its first token, or its operator for
/// operators, members (`.name`), indexes (`[`) and calls (`(`).
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub at: Pos,
}

/// `(lo..hi)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Range {
    /// The first value.
    pub lo: Box<Expr>,
    /// The last value.
    pub hi: Box<Expr>,
}

/// The expressions of YARA conditions.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// `true` / `false`.
    Bool(bool),
    /// An integer literal (`KB` / `MB` applied).
    Int(i64),
    /// A floating-point literal, as the bits of its `f64`.
    Float(u64),
    /// A text literal.
    Text(Vec<u8>),
    /// A regular expression literal (valid only as a function's argument).
    Regex(RegexLiteral),
    /// `filesize`.
    Filesize,
    /// `entrypoint`.
    Entrypoint,
    /// A name: a rule, an external variable, a loop variable or a module.
    Ident(String),
    /// `object.name`.
    Member(Box<Expr>, String),
    /// `object[index]`.
    Index(Box<Expr>, Box<Expr>),
    /// `function(arguments)`.
    Call(Box<Expr>, Vec<Expr>),
    /// `$x`, `$x at e`, `$x in (a..b)`; the name is empty for `$` in a `for ... of` body.
    StringMatch {
        /// The name without `$`.
        name: String,
        /// Where it must match.
        anchor: Option<Anchor>,
    },
    /// `#x` or `#x in (a..b)`.
    StringCount {
        /// The name without `#`.
        name: String,
        /// The offsets counted.
        range: Option<Range>,
    },
    /// `@x` or `@x[i]`.
    StringOffset {
        /// The name without `@`.
        name: String,
        /// Which match (from 1; the first when absent).
        index: Option<Box<Expr>>,
    },
    /// `!x` or `!x[i]`.
    StringLength {
        /// The name without `!`.
        name: String,
        /// Which match (from 1; the first when absent).
        index: Option<Box<Expr>>,
    },
    /// `intW(e)`, `uintW(e)` and their `be` forms.
    Read {
        /// Bytes read: 1, 2 or 4.
        width: u8,
        /// `int` forms.
        signed: bool,
        /// `be` forms.
        big_endian: bool,
        /// The offset.
        offset: Box<Expr>,
    },
    /// `not e`.
    Not(Box<Expr>),
    /// `defined e`.
    Defined(Box<Expr>),
    /// `a and b and ...`.
    And(Vec<Expr>),
    /// `a or b or ...`.
    Or(Vec<Expr>),
    /// `a OP b` with `==`, `!=`, `<`, `<=`, `>`, `>=`.
    Compare(Comparison, Box<Expr>, Box<Expr>),
    /// `a contains b` and the other text operators.
    TextOp(TextOp, Box<Expr>, Box<Expr>),
    /// `a matches /regex/`.
    Matches(Box<Expr>, RegexLiteral),
    /// `a OP b` with an arithmetic or bitwise operator.
    Arith(Arith, Box<Expr>, Box<Expr>),
    /// `-e`.
    Neg(Box<Expr>),
    /// `~e`.
    BitNot(Box<Expr>),
    /// `Q of set`, `Q of set in (a..b)`, `Q of set at e`.
    Of {
        /// How many.
        quantifier: Quantifier,
        /// Of what.
        set: OfSet,
        /// Where the strings must match (YARA 4.3).
        anchor: Option<Anchor>,
    },
    /// `for Q of strings : (body)`.
    ForOf {
        /// How many strings must satisfy the body.
        quantifier: Quantifier,
        /// The strings.
        strings: StringSet,
        /// The body.
        body: Box<Expr>,
    },
    /// `with name = e, ... : (body)` (YARA-X): names bound to expressions in the body.
    With {
        /// The names, where they are, and their expressions.
        bindings: Vec<(String, Pos, Expr)>,
        /// The body.
        body: Box<Expr>,
    },
    /// `for Q a[, b] in iterable : (body)`.
    ForIn {
        /// How many values must satisfy the body.
        quantifier: Quantifier,
        /// The loop variables and where they are.
        vars: Vec<(String, Pos)>,
        /// What they run over.
        iterable: Iterable,
        /// The body.
        body: Box<Expr>,
    },
}

/// `at e` or `in (a..b)` after a string or a set.
#[derive(Clone, Debug, PartialEq)]
pub enum Anchor {
    /// `at e`.
    At(Box<Expr>),
    /// `in (a..b)`.
    In(Range),
}

/// The quantifier of `of` and `for`.
#[derive(Clone, Debug, PartialEq)]
pub enum Quantifier {
    /// `any`.
    Any,
    /// `all`.
    All,
    /// `none`.
    None,
    /// `e`: at least that many.
    Count(Box<Expr>),
    /// `e%`: at least that share.
    Percent(Box<Expr>),
}

/// The set after `of`.
#[derive(Clone, Debug, PartialEq)]
pub enum OfSet {
    /// Strings: `them` or `($a, $b*)`.
    Strings(StringSet),
    /// Rules: `(rule, prefix*)`.
    Rules(Vec<SetItem>),
}

/// A set of strings.
#[derive(Clone, Debug, PartialEq)]
pub enum StringSet {
    /// `them`, and where it is.
    Them(Pos),
    /// `($a, $b*, ...)`.
    Items(Vec<SetItem>),
}

/// An item of a set: a name, or a prefix with `*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetItem {
    /// The name (strings with their `$`).
    pub name: String,
    /// Followed by `*`: every name starting with `name`.
    pub wildcard: bool,
    /// A rule name in a string set (or a string in a rule set).
    pub other_kind: bool,
    /// Where it is.
    pub at: Pos,
}

/// What a `for ... in` loop runs over.
#[derive(Clone, Debug, PartialEq)]
pub enum Iterable {
    /// `(lo..hi)`.
    Range(Range),
    /// `(a, b, ...)`.
    List(Vec<Expr>),
    /// A module array or dictionary.
    Value(Box<Expr>),
}
