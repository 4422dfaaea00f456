//! Translation of a parsed expression into `regex-syntax`'s HIR, which `regex-automata` builds
//! its automata from, with the string's modifiers applied:
//! - `nocase`: each ASCII letter also matches its other case;
//! - `s` (dot-all): `.` also matches `\n`;
//! - `wide`: every byte the expression consumes is followed by a zero byte, as yara's wide
//!   matching steps two bytes per character.

use super::syntax::{ByteSet, Node};
use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, Hir, Look, Repetition};

/// How an expression is matched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Mode {
    /// ASCII letters match either case.
    pub nocase: bool,
    /// `.` matches `\n`.
    pub dot_all: bool,
    /// UTF-16LE form: each character followed by a zero byte.
    pub wide: bool,
}

/// The HIR of `node` under `mode`.
pub(crate) fn translate(node: &Node, mode: Mode) -> Hir {
    match node {
        Node::Empty => Hir::empty(),
        Node::Literal(b) => {
            let set = if mode.nocase && b.is_ascii_alphabetic() {
                let mut s = ByteSet::default();
                s.insert(b.to_ascii_lowercase());
                s.insert(b.to_ascii_uppercase());
                s
            } else {
                return character(Hir::literal([*b]), mode);
            };
            character(class(set), mode)
        }
        Node::Class(set) => character(class(folded(*set, mode)), mode),
        Node::NegatedClass(set) => character(class(folded(*set, mode).negated()), mode),
        Node::Any => {
            let set = ByteSet::from_fn(|b| mode.dot_all || b != b'\n');
            character(class(set), mode)
        }
        Node::Start => Hir::look(Look::Start),
        Node::End => Hir::look(Look::End),
        // Unused: expressions with `\b` or `\B` run on the Pike VM (yara's word tests).
        Node::WordBoundary => Hir::look(Look::WordAscii),
        Node::NotWordBoundary => Hir::look(Look::WordAsciiNegate),
        Node::Concat(items) => Hir::concat(items.iter().map(|n| translate(n, mode)).collect()),
        Node::Alt(branches) => {
            Hir::alternation(branches.iter().map(|n| translate(n, mode)).collect())
        }
        Node::Repeat {
            node,
            min,
            max,
            greedy,
        } => Hir::repetition(Repetition {
            min: *min,
            max: *max,
            greedy: *greedy,
            sub: Box::new(translate(node, mode)),
        }),
    }
}

/// `set` with, under `nocase`, each letter's other case.
pub(crate) fn folded(mut set: ByteSet, mode: Mode) -> ByteSet {
    if mode.nocase {
        for b in b'a'..=b'z' {
            let upper = b.to_ascii_uppercase();
            if set.contains(b) || set.contains(upper) {
                set.insert(b);
                set.insert(upper);
            }
        }
    }
    set
}

/// One consumed character: the byte matcher, followed by a zero byte in wide mode.
fn character(byte: Hir, mode: Mode) -> Hir {
    if mode.wide {
        Hir::concat(vec![byte, Hir::literal([0u8])])
    } else {
        byte
    }
}

fn class(set: ByteSet) -> Hir {
    let ranges = set
        .ranges()
        .into_iter()
        .map(|(a, b)| ClassBytesRange::new(a, b));
    Hir::class(Class::Bytes(ClassBytes::new(ranges)))
}
