//! Hex strings: bytes, `??`, nibble wildcards, jumps and alternatives, expanded into the fixed
//! byte + mask patterns the scanner searches for, in YARA's priority order.
//!
//! A jump longer than [`CHAIN_THRESHOLD`] bytes at the top level, or an unbounded one (`[n-]`,
//! `[-]`), cuts the string into parts chained by gaps, as yara does; each part is expanded on
//! its own and the parts' matches are joined after the scan (see [`crate::scan::chain`]).
//! Consecutive jumps are one jump (`[2] [3-4]` is `[5-6]`; see [`merge_jumps`] for where that
//! differs from yara). Inside alternatives, long and unbounded jumps are errors, as in yara.

use super::cursor::Cursor;
use super::Diagnostic;
use crate::scan::chain::{ChainGap, CHAIN_THRESHOLD};
use crate::scan::regex::syntax::{ByteSet, Node};
use crate::scan::rules::MAX_STRING_BYTES;
use std::ops::{Deref, DerefMut};

/// Most fixed patterns one hex string may expand to (product of its jump ranges and
/// alternatives).
pub const MAX_VARIANTS: usize = 1024;
/// Deepest nesting of alternatives.
const MAX_DEPTH: usize = 32;
/// Longest jump bound (yara reads them as C `int`s).
const MAX_JUMP: usize = i32::MAX as usize;

/// One element of a hex string.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    /// A byte with its mask (0xff exact, 0xf0 / 0x0f nibbles, 0x00 `??`).
    Byte { value: u8, mask: u8 },
    /// `[lo-hi]` wildcard bytes (`hi` None: unbounded).
    Jump { lo: usize, hi: Option<usize> },
    /// `( a | b | ... )`.
    Alt(Vec<Vec<Piece>>),
}

/// A fixed pattern: bytes and per-byte masks.
pub type Variant = (Vec<u8>, Vec<u8>);

/// One part of a compiled hex string (the whole string unless long jumps cut it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HexPart {
    /// Its fixed patterns, highest priority first.
    Fixed(Vec<Variant>),
    /// Too many fixed patterns (its jumps and alternatives multiply past [`MAX_VARIANTS`]): the
    /// string as a regular expression, matched as yara matches hex strings (alternatives in
    /// order, jumps lazy: the first alternative and the shortest jump that fit).
    Expression(Node),
}

/// A compiled hex string: its parts in order and the gaps between them (one part and no gap
/// unless long or unbounded jumps cut it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HexString {
    /// The parts, each matched on its own.
    pub parts: Vec<HexPart>,
    /// `gaps[i]` lies between `parts[i]` and `parts[i + 1]`.
    pub gaps: Vec<ChainGap>,
}

/// Parses the inside of a hex string that starts at (`line`, `column`) (the `{`), cuts it at
/// its long jumps and expands each part into its fixed patterns, highest priority first:
/// alternatives in source order, shorter jumps first, earlier choices before later ones.
pub fn compile(body: &str, line: usize, column: usize) -> Result<HexString, Diagnostic> {
    let mut parser = HexParser(Cursor::new(body.as_bytes(), line, column + 1));
    let pieces = merge_jumps(parser.sequence(0)?);
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
    let mut compiled = HexString {
        parts: Vec::new(),
        gaps: Vec::new(),
    };
    for (index, part) in pieces.split(is_chaining_jump).enumerate() {
        if index > 0 {
            compiled.gaps.push(gap_before(&pieces, &compiled.gaps));
        }
        compiled.parts.push(compile_part(part, line, column)?);
    }
    Ok(compiled)
}

/// Whether `piece` is a jump that cuts a hex string into chained parts.
fn is_chaining_jump(piece: &Piece) -> bool {
    match piece {
        Piece::Jump { lo, hi } => {
            *lo as u64 > CHAIN_THRESHOLD || hi.is_none_or(|hi| hi as u64 > CHAIN_THRESHOLD)
        }
        _ => false,
    }
}

/// The gap of the next chaining jump of `pieces` after the `done` ones.
fn gap_before(pieces: &[Piece], done: &[ChainGap]) -> ChainGap {
    let jump = pieces
        .iter()
        .filter(|p| is_chaining_jump(p))
        .nth(done.len())
        .expect("one chaining jump per cut");
    let Piece::Jump { lo, hi } = jump else {
        unreachable!("chaining pieces are jumps")
    };
    ChainGap {
        min: *lo as u64,
        max: hi.map(|hi| hi as u64),
    }
}

/// `pieces` with each run of consecutive jumps replaced by one jump spanning their sum
/// (`[2] [3-4]` is `[5-6]`, `[300] [2-4]` is `[302-304]`).
///
/// yara keeps such runs apart: where a long jump cuts the string, the short jumps beside it
/// stay at the start or end of a part, and whether yara then finds the longer choices of them
/// depends on the order in which it met earlier matches (a part's match found backwards from
/// its atom may discard a head that a longer choice would have reached). The sum is what yara
/// finds once earlier matches are pending, which is the usual state in a real file.
fn merge_jumps(pieces: Vec<Piece>) -> Vec<Piece> {
    let mut merged: Vec<Piece> = Vec::with_capacity(pieces.len());
    for piece in pieces {
        match (merged.last_mut(), &piece) {
            (Some(Piece::Jump { lo, hi }), Piece::Jump { lo: lo2, hi: hi2 }) => {
                *lo = lo.saturating_add(*lo2);
                *hi = hi.zip(*hi2).map(|(a, b)| a.saturating_add(b));
            }
            _ => merged.push(piece),
        }
    }
    merged
}

/// One part (no chaining jump inside): its fixed patterns, or an expression when they would
/// be more than [`MAX_VARIANTS`].
fn compile_part(pieces: &[Piece], line: usize, column: usize) -> Result<HexPart, Diagnostic> {
    let variants = match expand(pieces) {
        Ok(variants) => variants,
        Err(Expansion::TooMany) => return Ok(HexPart::Expression(expression(pieces))),
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
    Ok(HexPart::Fixed(variants))
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
                max: hi.map(|hi| hi as u32),
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
            if let Some(Piece::Jump { hi, .. }) = option.iter().find(|p| is_chaining_jump(p)) {
                return Err(self.error(match hi {
                    None => "unbounded jumps are not allowed inside alternatives (`|`)".to_string(),
                    Some(_) => format!(
                        "jumps over {CHAIN_THRESHOLD} bytes are not allowed inside alternatives \
                         (`|`)"
                    ),
                }));
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
            .filter(|&n| n <= MAX_JUMP)
            .map(Some)
            .ok_or_else(|| self.error(format!("jump length {digits} exceeds {MAX_JUMP}")))
    }

    fn jump(&mut self) -> Result<Piece, Diagnostic> {
        self.bump();
        let lo = self.number()?;
        self.skip_space_and_comments()?;
        let (lo, hi) = if self.peek() == Some(b'-') {
            self.bump();
            match (lo, self.number()?) {
                (None, Some(_)) => {
                    return Err(self.error("a jump needs a length: `[n]`, `[n-m]` or `[n-]`"))
                }
                (lo, hi) => (lo.unwrap_or(0), hi),
            }
        } else {
            match lo {
                Some(0) => return Err(self.error("invalid jump length `[0]`")),
                Some(n) => (n, Some(n)),
                None => return Err(self.error("a jump needs a length: `[n]`, `[n-m]` or `[n-]`")),
            }
        };
        self.skip_space_and_comments()?;
        if self.bump() != Some(b']') {
            return Err(self.error("unterminated jump: add `]`"));
        }
        if hi.is_some_and(|hi| lo > hi) {
            return Err(self.error(format!(
                "jump [{lo}-{}] has its bounds reversed",
                hi.unwrap_or_default()
            )));
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
            Piece::Jump { lo, hi } => {
                let hi = hi.expect("unbounded jumps chain");
                check_count(hi - lo + 1)?;
                (*lo..=hi).map(|n| (vec![0; n], vec![0; n])).collect()
            }
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
        let compiled = compile(body, 1, 1).unwrap();
        assert!(compiled.gaps.is_empty(), "{body} chains");
        match compiled.parts.as_slice() {
            [HexPart::Fixed(v)] => v.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn long_and_unbounded_jumps_cut_the_string_into_chained_parts() {
        // A fixed part from its bytes, `None` for `??`.
        let fixed = |bytes: &[Option<u8>]| {
            let value = bytes.iter().map(|b| b.unwrap_or(0)).collect();
            let mask = bytes
                .iter()
                .map(|b| if b.is_some() { 0xff } else { 0 })
                .collect();
            HexPart::Fixed(vec![(value, mask)])
        };
        let gap = |min, max| ChainGap { min, max };
        let compiled =
            compile("4D 5A [201] 50 [2-3] [-] [4] 45 [200] 46 [10-300] 47", 1, 1).unwrap();
        // `45 [200] 46` is not cut: 200 is not over the threshold.
        let mut middle = vec![Some(0x45)];
        middle.extend([None; 200]);
        middle.push(Some(0x46));
        assert_eq!(
            compiled.parts,
            vec![
                fixed(&[Some(0x4d), Some(0x5a)]),
                fixed(&[Some(0x50)]),
                fixed(&middle),
                fixed(&[Some(0x47)]),
            ]
        );
        assert_eq!(
            compiled.gaps,
            vec![gap(201, Some(201)), gap(6, None), gap(10, Some(300))]
        );
        assert_eq!(
            compile("41 [2-4] [300] 42", 1, 1).unwrap().gaps,
            vec![gap(302, Some(304))]
        );
        // Short consecutive jumps are one jump: `[2] [3-4]` expands like `[5-6]`.
        assert_eq!(variants("41 [2] [3-4] 42"), variants("41 [5-6] 42"));
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
            HexString {
                parts: vec![HexPart::Expression(Node::Concat(vec![
                    Node::Literal(0x41),
                    jump(0, 40),
                    Node::Class(ByteSet::from_fn(|b| b >> 4 == 4)),
                    jump(0, 40),
                    Node::Alt(vec![
                        Node::Concat(vec![Node::Literal(0x42)]),
                        Node::Concat(vec![Node::Class(ByteSet::from_fn(|_| true))]),
                    ]),
                ]))],
                gaps: Vec::new(),
            }
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
            ("41 [300-] ", "start or end"),
            ("41 [2-1] 42", "reversed"),
            ("41 [0] 42", "invalid jump length"),
            ("41 [-5] 42", "needs a length"),
            (
                "41 ( 42 [2-] 43 | 44 ) 45",
                "unbounded jumps are not allowed inside",
            ),
            ("41 ( 42 [201] 43 | 44 ) 45", "jumps over 200"),
            ("41 [99999999999] 42", "exceeds"),
            ("41 ( 42 ) 43", "at least two"),
            ("41 ( 42 | ", "unterminated"),
            ("4", "two digits"),
            ("41 zz", "unexpected `z`"),
            ("41 ~42", "`~`"),
            (
                "41 [150] 42 [150] 43 [150] 44 [150] 45 [150] 46 [150] 47 [150] 48 [150] 49 \
              [150] 4A [150] 4B [150] 4C [150] 4D [150] 4E [150] 4F [150] 50 [150] 51 \
              [150] 52 [150] 53 [150] 54 [150] 55 [150] 56 [150] 57 [150] 58 [150] 59 \
              [150] 5A [150] 5B [150] 5C [150] 5D",
                "more than 4096",
            ),
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
