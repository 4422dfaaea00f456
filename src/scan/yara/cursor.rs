//! A position in YARA source text (byte offset, line, column) and the whitespace and comments
//! that both the lexer and the hex-string parser skip.

use super::Diagnostic;

/// Source bytes and where reading stands.
pub struct Cursor<'a> {
    /// The text.
    pub src: &'a [u8],
    /// Byte offset of the next character.
    pub pos: usize,
    /// 1-based line of the next character.
    pub line: usize,
    /// 1-based column of the next character.
    pub column: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `src`, which begins at (`line`, `column`) of the source.
    pub fn new(src: &'a [u8], line: usize, column: usize) -> Self {
        Self {
            src,
            pos: 0,
            line,
            column,
        }
    }

    /// The next character.
    pub fn peek(&self) -> Option<u8> {
        self.peek_at(0)
    }

    /// The character `ahead` after the next one.
    pub fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    /// Consumes the next character.
    pub fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.pos += 1;
        if c == b'\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    /// A syntax error here.
    pub fn error(&self, message: impl Into<String>) -> Diagnostic {
        Diagnostic::syntax(self.line, self.column, message)
    }

    /// An unsupported construct here.
    pub fn unsupported(&self, construct: &str) -> Diagnostic {
        Diagnostic::unsupported(self.line, self.column, construct)
    }

    /// Skips whitespace, `//` line comments and `/* */` block comments.
    pub fn skip_space_and_comments(&mut self) -> Result<(), Diagnostic> {
        loop {
            match (self.peek(), self.peek_at(1)) {
                (Some(c), _) if c.is_ascii_whitespace() => {
                    self.bump();
                }
                (Some(b'/'), Some(b'/')) => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.bump();
                    }
                }
                (Some(b'/'), Some(b'*')) => {
                    let opened = self.error("unterminated comment: add `*/`");
                    self.bump();
                    self.bump();
                    loop {
                        match (self.peek(), self.peek_at(1)) {
                            (Some(b'*'), Some(b'/')) => {
                                self.bump();
                                self.bump();
                                break;
                            }
                            (Some(_), _) => {
                                self.bump();
                            }
                            (None, _) => return Err(opened),
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }
}
