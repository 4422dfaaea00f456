//! Hex strings: bytes, `??`, nibble wildcards, bounded jumps and alternatives, expanded into the
//! fixed byte + mask patterns the scanner searches for, in YARA's priority order.

use super::cursor::Cursor;
use super::Diagnostic;
use crate::scan::regex::syntax::{ByteSet, Node};
use crate::scan::rules::MAX_STRING_BYTES;
use std::ops::{Deref, DerefMut};

/// Most fixed patterns one hex string may expand to (product of its jump ranges and
/// alternatives).
pub const MAX_VARIANTS: usize = 1024;
/// Deepest nesting of alternatives.
const MAX_DEPTH: usize = 32;

/// One element of a hex string.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    /// A byte with its mask (0xff exact, 0xf0 / 0x0f nibbles, 0x00 `??`).
    Byte { value: u8, mask: u8 },
    /// `[lo-hi]` wildcard bytes.
    Jump { lo: usize, hi: usize },
    /// `( a | b | ... )`.
    Alt(Vec<Vec<Piece>>),
}

/// A fixed pattern: bytes and per-byte masks.
pub type Variant = (Vec<u8>, Vec<u8>);

/// A compiled hex string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HexString {
    /// Its fixed patterns, highest priority first.
    Fixed(Vec<Variant>),
    /// Too many fixed patterns (its jumps and alternatives multiply past [`MAX_VARIANTS`]): the
    /// string as a regular expression, matched as yara matches hex strings (alternatives in
    /// order, jumps lazy: the first alternative and the shortest jump that fit).
    Expression(Node),
}

/// Parses the inside of a hex string that starts at (`line`, `column`) (the `{`), and expands it
/// into its fixed patterns, highest priority first: alternatives in source order, shorter jumps
/// first, earlier choices before later ones.
pub fn compile(body: &str, line: usize, column: usize) -> Result<HexString, Diagnostic> {
    let mut parser = HexParser(Cursor::new(body.as_bytes(), line, column + 1));
    let pieces = parser.sequence(0)?;
    if parser.pos < parser.src.len() {
        return Err(parser.error("unexpected `)` or `|` outside an alternative"));
    }
    if pieces.is_empty() {
        return Err(Diagnostic::syntax(line, column, "empty hex string"));
    }
    for end in [pieces.first(), pieces.last()] {
        if matches!(end, Some(Piece::Jump { .. })) {
            return Err(Diagnostic::syntax(
                line,
                column,
                "a hex string cannot start or end with a jump",
            ));
        }
    }
    let variants = match expand(&pieces) {
        Ok(variants) => variants,
        Err(Expansion::TooMany) => return Ok(HexString::Expression(expression(&pieces))),
        Err(Expansion::TooLong(m)) => return Err(Diagnostic::syntax(line, column, m)),
    };
    if let Some((bytes, _)) = variants.iter().find(|(b, _)| b.len() > MAX_STRING_BYTES) {
        return Err(Diagnostic::syntax(
            line,
            column,
            format!(
                "hex string spans {} bytes; strings have at most {MAX_STRING_BYTES}",
                bytes.len()
            ),
        ));
    }
    Ok(HexString::Fixed(variants))
}

/// `pieces` as a regular-expression tree: `??` and jumps any byte (jumps lazy), nibbles the
/// bytes they allow.
fn expression(pieces: &[Piece]) -> Node {
    let items = pieces
        .iter()
        .map(|piece| match piece {
            Piece::Byte { value, mask: 0xff } => Node::Literal(*value),
            Piece::Byte { value, mask } => {
                Node::Class(ByteSet::from_fn(|b| b & mask == value & mask))
            }
            Piece::Jump { lo, hi } => Node::Repeat {
                node: Box::new(Node::Class(ByteSet::from_fn(|_| true))),
                min: *lo as u32,
                max: Some(*hi as u32),
                greedy: false,
            },
            Piece::Alt(options) => Node::Alt(options.iter().map(|o| expression(o)).collect()),
        })
        .collect();
    Node::Concat(items)
}

/// The hex-string parser: a cursor with the hex rules.
struct HexParser<'a>(Cursor<'a>);

impl<'a> Deref for HexParser<'a> {
    type Target = Cursor<'a>;
    fn deref(&self) -> &Cursor<'a> {
        &self.0
    }
}

impl DerefMut for HexParser<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl HexParser<'_> {
    /// Pieces up to the end, `|` or `)`.
    fn sequence(&mut self, depth: usize) -> Result<Vec<Piece>, Diagnostic> {
        let mut pieces = Vec::new();
        loop {
            self.skip_space_and_comments()?;
            match self.peek() {
                None | Some(b'|') | Some(b')') => return Ok(pieces),
                Some(b'(') => {
                    if depth >= MAX_DEPTH {
                        return Err(
                            self.error(format!("alternatives nested deeper than {MAX_DEPTH}"))
                        );
                    }
                    self.bump();
                    pieces.push(self.alternatives(depth + 1)?);
                }
                Some(b'[') => pieces.push(self.jump()?),
                Some(b'~') => return Err(self.unsupported("hex `~` (not) operator")),
                Some(_) => pieces.push(self.byte()?),
            }
        }
    }

    fn alternatives(&mut self, depth: usize) -> Result<Piece, Diagnostic> {
        let mut options = Vec::new();
        loop {
            let option = self.sequence(depth)?;
            if self.peek().is_none() {
                return Err(self.error("unterminated alternative: add `)`"));
            }
            if option.is_empty() {
                return Err(self.error("empty alternative"));
            }
            if matches!(option.first(), Some(Piece::Jump { .. }))
                || matches!(option.last(), Some(Piece::Jump { .. }))
            {
                return Err(self.error("an alternative cannot start or end with a jump"));
            }
            options.push(option);
            match self.bump() {
                Some(b'|') => continue,
                Some(b')') => break,
                _ => return Err(self.error("unterminated alternative: add `)`")),
            }
        }
        if options.len() < 2 {
            return Err(self.error("an alternative needs at least two options separated by `|`"));
        }
        Ok(Piece::Alt(options))
    }

    fn number(&mut self) -> Result<Option<usize>, Diagnostic> {
        self.skip_space_and_comments()?;
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        if start == self.pos {
            return Ok(None);
        }
        let digits = std::str::from_utf8(&self.src[start..self.pos]).expect("ASCII digits");
        digits
            .parse::<usize>()
            .ok()
            .filter(|&n| n <= MAX_STRING_BYTES)
            .map(Some)
            .ok_or_else(|| self.error(format!("jump length {digits} exceeds {MAX_STRING_BYTES}")))
    }

    fn jump(&mut self) -> Result<Piece, Diagnostic> {
        self.bump();
        let lo = self.number()?;
        self.skip_space_and_comments()?;
        let (lo, hi) = if self.peek() == Some(b'-') {
            self.bump();
            let hi = self.number()?;
            match (lo, hi) {
                (Some(lo), Some(hi)) => (lo, hi),
                _ => return Err(self.unsupported("unbounded jump")),
            }
        } else {
            match lo {
                Some(n) => (n, n),
                None => return Err(self.error("a jump needs a length: `[n]` or `[n-m]`")),
            }
        };
        self.skip_space_and_comments()?;
        if self.bump() != Some(b']') {
            return Err(self.error("unterminated jump: add `]`"));
        }
        if lo > hi {
            return Err(self.error(format!("jump [{lo}-{hi}] has its bounds reversed")));
        }
        Ok(Piece::Jump { lo, hi })
    }

    fn byte(&mut self) -> Result<Piece, Diagnostic> {
        let mut value = 0u8;
        let mut mask = 0u8;
        for shift in [4, 0] {
            match self.peek() {
                Some(b'?') => {}
                Some(c) if c.is_ascii_hexdigit() => {
                    value |= ((c as char).to_digit(16).expect("hex digit") as u8) << shift;
                    mask |= 0xf << shift;
                }
                Some(c) => {
                    return Err(self.error(format!(
                        "unexpected `{}` in a hex string; use hex digits, `?`, `[n-m]` or `( | )`",
                        c as char
                    )))
                }
                None => return Err(self.error("a hex byte needs two digits")),
            }
            self.bump();
        }
        Ok(Piece::Byte { value, mask })
    }
}

/// Why a hex string has no fixed patterns.
enum Expansion {
    /// More than [`MAX_VARIANTS`].
    TooMany,
    /// Longer than a string may be.
    TooLong(String),
}

/// Every fixed pattern of `pieces`, in priority order.
fn expand(pieces: &[Piece]) -> Result<Vec<Variant>, Expansion> {
    let mut variants: Vec<Variant> = vec![(Vec::new(), Vec::new())];
    for piece in pieces {
        let options: Vec<Variant> = match piece {
            Piece::Byte { value, mask } => vec![(vec![*value], vec![*mask])],
            Piece::Jump { lo, hi } => (*lo..=*hi).map(|n| (vec![0; n], vec![0; n])).collect(),
            Piece::Alt(alternatives) => {
                let mut all = Vec::new();
                for option in alternatives {
                    all.extend(expand(option)?);
                    check_count(all.len())?;
                }
                all
            }
        };
        check_count(variants.len().saturating_mul(options.len()))?;
        if let [(b, m)] = options.as_slice() {
            // One option (a byte, or a fixed jump): extended in place, not copied.
            for (bytes, mask) in &mut variants {
                bytes.extend_from_slice(b);
                mask.extend_from_slice(m);
            }
        } else {
            variants = variants
                .iter()
                .flat_map(|(bytes, mask)| {
                    options.iter().map(move |(b, m)| {
                        let mut bytes = bytes.clone();
                        let mut mask = mask.clone();
                        bytes.extend_from_slice(b);
                        mask.extend_from_slice(m);
                        (bytes, mask)
                    })
                })
                .collect();
        }
        if variants.iter().any(|(b, _)| b.len() > MAX_STRING_BYTES) {
            return Err(Expansion::TooLong(format!(
                "hex string spans more than {MAX_STRING_BYTES} bytes"
            )));
        }
    }
    Ok(variants)
}

fn check_count(n: usize) -> Result<(), Expansion> {
    if n > MAX_VARIANTS {
        return Err(Expansion::TooMany);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variants(body: &str) -> Vec<Variant> {
        match compile(body, 1, 1).unwrap() {
            HexString::Fixed(v) => v,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn strings_past_the_variant_limit_become_expressions() {
        let any = || Box::new(Node::Class(ByteSet::from_fn(|_| true)));
        let jump = |min, max| Node::Repeat {
            node: any(),
            min,
            max: Some(max),
            greedy: false,
        };
        assert_eq!(
            compile("41 [0-40] 4? [0-40] ( 42 | ?? )", 1, 1).unwrap(),
            HexString::Expression(Node::Concat(vec![
                Node::Literal(0x41),
                jump(0, 40),
                Node::Class(ByteSet::from_fn(|b| b >> 4 == 4)),
                jump(0, 40),
                Node::Alt(vec![
                    Node::Concat(vec![Node::Literal(0x42)]),
                    Node::Concat(vec![Node::Class(ByteSet::from_fn(|_| true))]),
                ]),
            ]))
        );
    }

    #[test]
    fn bytes_wildcards_and_nibbles() {
        assert_eq!(
            variants(" 4D 5a ?? 4? ?f "),
            vec![(
                vec![0x4d, 0x5a, 0, 0x40, 0x0f],
                vec![0xff, 0xff, 0, 0xf0, 0x0f]
            )]
        );
    }

    #[test]
    fn jumps_and_alternatives_expand_in_priority_order() {
        let v = variants("41 [1-2] 42 ( 43 | 44 45 ) 46");
        let bytes: Vec<Vec<u8>> = v.into_iter().map(|(b, _)| b).collect();
        assert_eq!(
            bytes,
            vec![
                vec![0x41, 0, 0x42, 0x43, 0x46],
                vec![0x41, 0, 0x42, 0x44, 0x45, 0x46],
                vec![0x41, 0, 0, 0x42, 0x43, 0x46],
                vec![0x41, 0, 0, 0x42, 0x44, 0x45, 0x46],
            ]
        );
        assert_eq!(variants("41 ( 42 | ( 43 | 44 ) 45 ) // c\n 46").len(), 3);
    }

    #[test]
    fn errors() {
        for (body, needle) in [
            ("[1] 41", "start or end"),
            ("41 [2-1] 42", "reversed"),
            ("41 [2-] 42", "unbounded jump"),
            ("41 ( 42 ) 43", "at least two"),
            ("41 ( 42 | ", "unterminated"),
            ("4", "two digits"),
            ("41 zz", "unexpected `z`"),
            ("41 ~42", "`~`"),
            ("41 [4096] 42", "more than 4096"),
            ("", "empty"),
        ] {
            let e = compile(body, 3, 7).unwrap_err();
            assert!(e.message.contains(needle), "{body}: {}", e.message);
        }
        let nested = format!("41 {} 42 {}", "( 41 ".repeat(40), "| 42 ) ".repeat(40));
        assert!(compile(&nested, 1, 1)
            .unwrap_err()
            .message
            .contains("nested"));
    }
}
