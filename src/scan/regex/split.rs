//! Where an expression is anchored: its atoms, and the split of the expression at each.
//!
//! As in yara, an atom is a run of literal bytes that every match must contain. The
//! expression is cut at the atom's first byte into a *prefix* (what precedes it) and a
//! *suffix* (the atom and what follows). Atoms are taken from the top-level sequence of the
//! expression, and through alternations: `x(abc|def)y` has the atoms `abc` (prefix `x`,
//! suffix `abcy`) and `def` (prefix `x`, suffix `defy`), and a match must contain one of them.
//! A sequence picks its best-quality candidate (the first among equals); an alternation is as
//! good as its worst branch and usable only when every branch has an atom. Literals inside
//! repeats are not used (a repeat's body is not a fixed place of the expression). An
//! expression without any usable atom is checked at every position of the data.

use super::syntax::Node;
use crate::scan::atoms;

/// Longest literal kept as an anchor pattern, bytes.
pub(crate) const MAX_LITERAL: usize = 64;

/// One atom of an expression and the expression cut there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Split {
    /// The literal run that starts at the cut (at most [`MAX_LITERAL`] bytes).
    pub literal: Vec<u8>,
    /// What precedes the cut.
    pub prefix: Node,
    /// The literal and what follows it.
    pub suffix: Node,
}

/// The splits of `root`, one per atom (None: no usable atom). `nocase` compares letters in
/// either case, as the anchors will.
pub(crate) fn splits(root: &Node, nocase: bool) -> Option<Vec<Split>> {
    best(root, nocase).map(|c| c.splits)
}

struct Choice {
    quality: u32,
    splits: Vec<Split>,
}

fn items_of(node: &Node) -> Vec<Node> {
    let mut out = Vec::new();
    flatten(node, &mut out);
    out
}

fn flatten(node: &Node, out: &mut Vec<Node>) {
    match node {
        Node::Concat(items) => items.iter().for_each(|n| flatten(n, out)),
        other => out.push(other.clone()),
    }
}

fn sequence(mut items: Vec<Node>) -> Node {
    match items.len() {
        0 => Node::Empty,
        1 => items.pop().expect("one item"),
        _ => Node::Concat(items),
    }
}

fn joined(before: &[Node], middle: Node, after: &[Node]) -> Node {
    let mut items = before.to_vec();
    flatten(&middle, &mut items);
    items.extend_from_slice(after);
    items.retain(|n| *n != Node::Empty);
    sequence(items)
}

fn literal_quality(bytes: &[u8], nocase: bool) -> u32 {
    let mask: Vec<u8> = bytes
        .iter()
        .map(|b| {
            if nocase && b.is_ascii_alphabetic() {
                0xdf
            } else {
                0xff
            }
        })
        .collect();
    let values: Vec<u8> = bytes.iter().zip(&mask).map(|(b, m)| b & m).collect();
    atoms::choose(&values, &mask).map_or(0, |a| a.quality + 1)
}

fn best(node: &Node, nocase: bool) -> Option<Choice> {
    match node {
        Node::Alt(branches) => {
            let mut quality = u32::MAX;
            let mut splits = Vec::new();
            for b in branches {
                let c = best(b, nocase)?;
                quality = quality.min(c.quality);
                splits.extend(c.splits);
            }
            Some(Choice { quality, splits })
        }
        Node::Concat(_) | Node::Literal(_) => {
            let items = items_of(node);
            let mut chosen: Option<Choice> = None;
            let mut i = 0;
            while i < items.len() {
                let candidate = if let Node::Literal(_) = items[i] {
                    let start = i;
                    let mut run = Vec::new();
                    while let Some(Node::Literal(b)) = items.get(i) {
                        run.push(*b);
                        i += 1;
                    }
                    run.truncate(MAX_LITERAL);
                    Some(Choice {
                        quality: literal_quality(&run, nocase),
                        splits: vec![Split {
                            literal: run,
                            prefix: sequence(items[..start].to_vec()),
                            suffix: sequence(items[start..].to_vec()),
                        }],
                    })
                } else {
                    i += 1;
                    match &items[i - 1] {
                        alt @ Node::Alt(_) => best(alt, nocase).map(|c| Choice {
                            quality: c.quality,
                            splits: c
                                .splits
                                .into_iter()
                                .map(|s| Split {
                                    literal: s.literal,
                                    prefix: joined(&items[..i - 1], s.prefix, &[]),
                                    suffix: joined(&[], s.suffix, &items[i..]),
                                })
                                .collect(),
                        }),
                        _ => None,
                    }
                };
                if let Some(c) = candidate {
                    if chosen.as_ref().is_none_or(|b| c.quality > b.quality) {
                        chosen = Some(c);
                    }
                }
            }
            chosen
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::syntax::parse;
    use super::*;

    fn show(text: &[u8]) -> Vec<(Vec<u8>, Node, Node)> {
        splits(&parse(text).unwrap().root, false)
            .unwrap_or_default()
            .into_iter()
            .map(|s| (s.literal, s.prefix, s.suffix))
            .collect()
    }

    #[test]
    fn sequence_cuts_at_its_best_run() {
        let s = show(br"\d+ab[x-z]KQZV\.exe");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].0, b"KQZV.exe");
        assert_eq!(parse(br"\d+ab[x-z]").unwrap().root, s[0].1);
        assert_eq!(parse(br"KQZV\.exe").unwrap().root, s[0].2);
    }

    #[test]
    fn alternations_give_one_split_per_branch() {
        let s = show(br"[0-9]+(Qwerty|Zx(Jk|Vb))\d");
        let literals: Vec<&[u8]> = s.iter().map(|x| x.0.as_slice()).collect();
        assert_eq!(literals, [&b"Qwerty"[..], b"Zx"]);
        assert_eq!(s[0].1, parse(b"[0-9]+").unwrap().root);
        assert_eq!(s[0].2, parse(br"Qwerty\d").unwrap().root);
        assert_eq!(s[1].2, parse(br"Zx(Jk|Vb)\d").unwrap().root);
        assert!(show(br"(abc|\d+)x*").is_empty());
        assert!(show(br"\w+").is_empty());
        assert!(show(br"(abc)+").is_empty());
    }
}
