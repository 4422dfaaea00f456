//! Tokens of YARA source text, with their line and column.

use super::cursor::Cursor;
use super::Diagnostic;
use std::ops::{Deref, DerefMut};

/// Longest identifier YARA accepts, characters.
const MAX_IDENTIFIER: usize = 128;

/// A token's kind and payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// A keyword or identifier.
    Ident(String),
    /// `$name`, `$` or `$name*` (the star only in string sets).
    StringId {
        /// The name without `$`.
        name: String,
        /// Followed by `*`.
        wildcard: bool,
    },
    /// `#name`.
    CountId(String),
    /// `@name`.
    OffsetId(String),
    /// `!name`.
    LengthId(String),
    /// An integer literal, suffixes applied.
    Int(i64),
    /// A floating-point literal (`1.5`), as the bits of its `f64`.
    Float(u64),
    /// A double-quoted text string, escapes resolved.
    Text(Vec<u8>),
    /// The inside of a hex string `{ ... }` (after `=`).
    Hex(String),
    /// A regular expression `/.../flags` (after `=` or `matches`).
    Regex {
        /// The text between the slashes, as written.
        text: Vec<u8>,
        /// The `i` flag.
        nocase: bool,
        /// The `s` flag.
        dot_all: bool,
    },
    /// Punctuation or an operator.
    Punct(&'static str),
    /// End of input.
    End,
}

/// A token and where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub tok: Tok,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Which source text it comes from: 0 for the source itself, others for the files it
    /// includes (see `sources`).
    pub file: u32,
}

/// Operators and punctuation, longest first.
const PUNCTS: &[&str] = &[
    "..", "==", "!=", "<=", ">=", "<<", ">>", "{", "}", "(", ")", "[", "]", ":", "=", ",", "<",
    ">", "*", "|", "+", "-", "%", "&", "^", "~", "\\", ".",
];

/// Splits `source` into tokens. Hex strings and regular expressions are recognised after `=`.
pub fn tokenize(source: &[u8]) -> Result<Vec<Token>, Diagnostic> {
    let mut lexer = Lexer(Cursor::new(source, 1, 1));
    let mut tokens: Vec<Token> = Vec::new();
    loop {
        lexer.skip_space_and_comments()?;
        let (line, column) = (lexer.line, lexer.column);
        let after_assign = matches!(
            tokens.last(),
            Some(Token {
                tok: Tok::Punct("="),
                ..
            })
        );
        // A `/` that cannot be a division (after `matches`, or opening a function argument)
        // starts a regular expression.
        let after_matches = matches!(
            tokens.last(),
            Some(Token { tok: Tok::Ident(w), .. }) if w == "matches"
        ) || matches!(
            tokens.last(),
            Some(Token {
                tok: Tok::Punct("(" | ","),
                ..
            })
        );
        let tok = match lexer.peek() {
            None => Tok::End,
            Some(b'{') if after_assign => lexer.hex()?,
            Some(b'/') if after_assign || after_matches => lexer.regex()?,
            Some(_) => lexer.token()?,
        };
        let end = tok == Tok::End;
        tokens.push(Token {
            tok,
            line,
            column,
            file: 0,
        });
        if end {
            return Ok(tokens);
        }
    }
}

/// The tokenizer: a cursor with the token rules.
struct Lexer<'a>(Cursor<'a>);

impl<'a> Deref for Lexer<'a> {
    type Target = Cursor<'a>;
    fn deref(&self) -> &Cursor<'a> {
        &self.0
    }
}

impl DerefMut for Lexer<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Lexer<'_> {
    fn word(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            self.bump();
        }
        String::from_utf8_lossy(&self.src[start..self.pos]).into_owned()
    }

    fn identifier(&mut self, what: &str) -> Result<String, Diagnostic> {
        let word = self.word();
        if word.len() > MAX_IDENTIFIER {
            return Err(self.error(format!("{what} is longer than {MAX_IDENTIFIER} characters")));
        }
        Ok(word)
    }

    fn token(&mut self) -> Result<Tok, Diagnostic> {
        let c = self.peek().expect("called with input left");
        match c {
            b'$' => {
                self.bump();
                let name = self.identifier("a string identifier")?;
                let wildcard = self.peek() == Some(b'*');
                if wildcard {
                    self.bump();
                }
                Ok(Tok::StringId { name, wildcard })
            }
            b'#' | b'@' => {
                self.bump();
                let name = self.identifier("a string identifier")?;
                Ok(if c == b'#' {
                    Tok::CountId(name)
                } else {
                    Tok::OffsetId(name)
                })
            }
            // `!x` and, in a `for ... of` body, `!` alone; `!=` is an operator.
            b'!' if self.peek_at(1) != Some(b'=') => {
                self.bump();
                Ok(Tok::LengthId(self.identifier("a string identifier")?))
            }
            b'"' => self.text(),
            b'0'..=b'9' => self.number(),
            c if c.is_ascii_alphabetic() || c == b'_' => {
                Ok(Tok::Ident(self.identifier("an identifier")?))
            }
            _ => {
                for p in PUNCTS {
                    if self.src[self.pos..].starts_with(p.as_bytes()) {
                        for _ in 0..p.len() {
                            self.bump();
                        }
                        return Ok(Tok::Punct(p));
                    }
                }
                Err(self.error(format!("unexpected character {}", describe(c))))
            }
        }
    }

    fn number(&mut self) -> Result<Tok, Diagnostic> {
        let (line, column) = (self.line, self.column);
        let word = self.word();
        // `1.5` is a float; `0..5` is a range.
        if word.bytes().all(|b| b.is_ascii_digit())
            && self.peek() == Some(b'.')
            && self.peek_at(1).is_some_and(|b| b.is_ascii_digit())
        {
            self.bump();
            let fraction = self.word();
            let text = format!("{word}.{fraction}");
            return text
                .parse::<f64>()
                .map(|v| Tok::Float(v.to_bits()))
                .map_err(|_| {
                    Diagnostic::syntax(line, column, format!("`{text}` is not a number"))
                });
        }
        let overflow = || Diagnostic::syntax(line, column, format!("integer `{word}` overflows"));
        let (digits, radix) =
            if let Some(hex) = word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) {
                (hex.to_string(), 16)
            } else if let Some(oct) = word.strip_prefix("0o") {
                (oct.to_string(), 8)
            } else {
                let (digits, scale) = if let Some(d) = word.strip_suffix("KB") {
                    (d, 1024)
                } else if let Some(d) = word.strip_suffix("MB") {
                    (d, 1024 * 1024)
                } else {
                    (word.as_str(), 1)
                };
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    let v: i64 = digits.parse().map_err(|_| overflow())?;
                    return v.checked_mul(scale).map(Tok::Int).ok_or_else(overflow);
                }
                return Err(Diagnostic::syntax(
                    line,
                    column,
                    format!("`{word}` is not an integer"),
                ));
            };
        if digits.is_empty() {
            return Err(Diagnostic::syntax(
                line,
                column,
                format!("`{word}` is not an integer"),
            ));
        }
        i64::from_str_radix(&digits, radix)
            .map(Tok::Int)
            .map_err(|e| match e.kind() {
                std::num::IntErrorKind::PosOverflow => overflow(),
                _ => Diagnostic::syntax(line, column, format!("`{word}` is not an integer")),
            })
    }

    fn text(&mut self) -> Result<Tok, Diagnostic> {
        let (line, column) = (self.line, self.column);
        self.bump();
        let mut out = Vec::new();
        loop {
            let c = match self.peek() {
                None | Some(b'\n') => {
                    return Err(Diagnostic::syntax(
                        line,
                        column,
                        "unterminated text string: add the closing `\"`",
                    ))
                }
                Some(c) => c,
            };
            let (eline, ecolumn) = (self.line, self.column);
            self.bump();
            match c {
                b'"' => return Ok(Tok::Text(out)),
                b'\\' => {
                    let escaped = self.bump();
                    let value = match escaped {
                        Some(b'"') => b'"',
                        Some(b'\\') => b'\\',
                        Some(b't') => b'\t',
                        Some(b'n') => b'\n',
                        Some(b'r') => b'\r',
                        Some(b'x') => {
                            let hi = self.bump().and_then(hex_digit);
                            let lo = self.bump().and_then(hex_digit);
                            match (hi, lo) {
                                (Some(h), Some(l)) => h << 4 | l,
                                _ => {
                                    return Err(Diagnostic::syntax(
                                        eline,
                                        ecolumn,
                                        "`\\x` needs two hex digits",
                                    ))
                                }
                            }
                        }
                        other => {
                            return Err(Diagnostic::syntax(
                                eline,
                                ecolumn,
                                format!(
                                    "unknown escape `\\{}`; use \\\" \\\\ \\t \\n \\r or \\xHH",
                                    other.map_or(String::new(), |b| (b as char).to_string())
                                ),
                            ))
                        }
                    };
                    out.push(value);
                }
                c => out.push(c),
            }
        }
    }

    /// The inside of `{ ... }`; comments in it are kept for the hex parser to skip.
    fn hex(&mut self) -> Result<Tok, Diagnostic> {
        let (line, column) = (self.line, self.column);
        self.bump();
        let start = self.pos;
        while let Some(c) = self.peek() {
            match (c, self.peek_at(1)) {
                (b'}', _) => {
                    let body = String::from_utf8_lossy(&self.src[start..self.pos]).into_owned();
                    self.bump();
                    return Ok(Tok::Hex(body));
                }
                (b'/', Some(b'*' | b'/')) => self.skip_space_and_comments()?,
                _ => {
                    self.bump();
                }
            }
        }
        Err(Diagnostic::syntax(
            line,
            column,
            "unterminated hex string: add `}`",
        ))
    }

    fn regex(&mut self) -> Result<Tok, Diagnostic> {
        let (line, column) = (self.line, self.column);
        self.bump();
        let start = self.pos;
        loop {
            match self.bump() {
                None | Some(b'\n') => {
                    return Err(Diagnostic::syntax(
                        line,
                        column,
                        "unterminated regular expression",
                    ))
                }
                Some(b'\\') => {
                    self.bump();
                }
                Some(b'/') => break,
                Some(_) => {}
            }
        }
        let text = self.src[start..self.pos - 1].to_vec();
        if text.is_empty() {
            return Err(Diagnostic::syntax(line, column, "empty regular expression"));
        }
        let (mut nocase, mut dot_all) = (false, false);
        while let Some(c) = self.peek().filter(|&c| c == b'i' || c == b's') {
            if c == b'i' {
                nocase = true;
            } else {
                dot_all = true;
            }
            self.bump();
        }
        Ok(Tok::Regex {
            text,
            nocase,
            dot_all,
        })
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// A byte for an error message.
fn describe(c: u8) -> String {
    if c.is_ascii_graphic() {
        format!("`{}`", c as char)
    } else {
        format!("0x{c:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        tokenize(src.as_bytes())
            .unwrap()
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn tokens_positions_and_literals() {
        let toks = tokenize(b"rule a {\n  $x = \"a\\x41\\\"\" // c\n}").unwrap();
        assert_eq!(
            toks[3].tok,
            Tok::StringId {
                name: "x".into(),
                wildcard: false
            }
        );
        assert_eq!((toks[3].line, toks[3].column), (2, 3));
        assert_eq!(toks[5].tok, Tok::Text(b"aA\"".to_vec()));
        assert_eq!(
            kinds("0x10 2KB 1MB 0o17 $a* #b @c !d { } .."),
            vec![
                Tok::Int(16),
                Tok::Int(2048),
                Tok::Int(1 << 20),
                Tok::Int(15),
                Tok::StringId {
                    name: "a".into(),
                    wildcard: true
                },
                Tok::CountId("b".into()),
                Tok::OffsetId("c".into()),
                Tok::LengthId("d".into()),
                Tok::Punct("{"),
                Tok::Punct("}"),
                Tok::Punct(".."),
                Tok::End
            ]
        );
        assert_eq!(
            kinds("= { 41 /* } */ 42 }"),
            vec![
                Tok::Punct("="),
                Tok::Hex(" 41 /* } */ 42 ".into()),
                Tok::End
            ]
        );
        assert_eq!(
            kinds("= /a\\/b/is x"),
            vec![
                Tok::Punct("="),
                Tok::Regex {
                    text: b"a\\/b".to_vec(),
                    nocase: true,
                    dot_all: true
                },
                Tok::Ident("x".into()),
                Tok::End
            ]
        );
    }

    #[test]
    fn errors_name_the_place() {
        let e = tokenize(b"rule a\n  \"abc").unwrap_err();
        assert_eq!((e.line, e.column), (2, 3));
        assert!(e.message.contains("unterminated"));
        assert!(tokenize(b"99999999999999999999")
            .unwrap_err()
            .message
            .contains("overflows"));
        assert!(tokenize(b"\"\\q\"")
            .unwrap_err()
            .message
            .contains("unknown escape"));
        assert!(tokenize(b"/* open").is_err());
        assert!(tokenize(b"\x01").is_err());
    }
}
