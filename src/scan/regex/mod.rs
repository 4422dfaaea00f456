//! Regular-expression strings (`$r = /.../is`) and the `matches` operator, with yara's
//! dialect and match semantics.
//!
//! - [`syntax`]: yara's regular-expression dialect, parsed into a small tree;
//! - [`hir`]: that tree as `regex-syntax`'s HIR under a string's modifiers (`nocase`, dot-all,
//!   `wide`);
//! - [`split`]: the atoms of an expression and its cut at each;
//! - [`matcher`]: the forward and backward automata and the verification at a candidate;
//! - [`pike`]: a Pike VM for yara's `\B` and wide `\b`, which lazy DFAs cannot express;
//! - [`dense`] and [`gpu`]: the same automata built whole, and the verification of
//!   candidates on the GPU with them.
//!
//! A regular-expression string takes part in the scan through its atoms: each atom is an
//! anchor pattern searched by the same prefilter as text and hex strings, on the GPU or the
//! CPU. Anchor hits are not matches: once the scan of an input has found them, each is verified
//! against the data around it, on the CPU ([`matcher`]) or, when an input has many and their
//! automata fit, on the GPU ([`gpu`]), which yields yara's matches (offset
//! and length). Where several anchor hits give a match at the same offset, the first length
//! found stays, except for an expression with greedy repeats, where the last one wins: yara's
//! rule, since its greedy expressions are matched from every atom occurrence.

pub(crate) mod dense;
pub mod gpu;
pub(crate) mod hir;
pub(crate) mod matcher;
pub(crate) mod pike;
pub(crate) mod split;
pub(crate) mod syntax;
pub mod verify;

use hir::Mode;
use matcher::Form;

/// How a regular-expression string matches (its trailing flags and its modifiers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RegexFlags {
    /// `i` flag or `nocase`: ASCII letters match either case.
    pub nocase: bool,
    /// `s` flag: `.` matches `\n` too.
    pub dot_all: bool,
    /// Match the plain form (default, or `ascii` with `wide`).
    pub ascii: bool,
    /// Match the UTF-16LE form.
    pub wide: bool,
    /// Match only between non-alphanumeric characters.
    pub fullword: bool,
}

/// A compiled regular-expression string.
#[derive(Debug)]
pub struct RegexString {
    /// The expression's text (between the slashes).
    pub(crate) text: Vec<u8>,
    /// Its flags.
    pub(crate) flags: RegexFlags,
    /// Whether it has greedy repeats (a later length replaces an earlier one at one offset).
    pub(crate) greedy: bool,
    /// Whether it has atoms (otherwise it is matched at every position).
    pub(crate) anchored: bool,
    /// Plain and/or wide forms.
    pub(crate) forms: Vec<Form>,
}

/// A problem with an expression: its offset in the text and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegexError {
    /// Byte offset in the expression's text.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl RegexString {
    /// Compiles the text between the slashes of a regular-expression string.
    pub fn compile(text: &[u8], flags: RegexFlags) -> std::result::Result<Self, RegexError> {
        let parsed = syntax::parse(text).map_err(|e| RegexError {
            offset: e.offset,
            message: e.message,
        })?;
        if parsed.greedy && parsed.lazy {
            return Err(RegexError {
                offset: 0,
                message: "greedy and ungreedy quantifiers can't be mixed in a regular expression"
                    .into(),
            });
        }
        let splits = matcher::splits_of(&parsed.root, flags.nocase);
        let mut forms = Vec::new();
        for wide in [false, true] {
            if (wide && !flags.wide) || (!wide && flags.wide && !flags.ascii) {
                continue;
            }
            let mode = Mode {
                nocase: flags.nocase,
                dot_all: flags.dot_all,
                wide,
            };
            let form = Form::build(
                &parsed.root,
                splits.as_deref().unwrap_or(&[]),
                mode,
                flags.fullword,
            )
            .map_err(|e| RegexError {
                offset: 0,
                message: e.to_string(),
            })?;
            forms.push(form);
        }
        Ok(Self {
            text: text.to_vec(),
            flags,
            greedy: parsed.greedy,
            anchored: splits.is_some(),
            forms,
        })
    }

    /// A byte string the expression matches (in its first form), drawn from `seed`: each
    /// alternative, class member and repeat count chosen at random (repeats at most three
    /// times past their minimum). For building test data; anchors and `\b` are not arranged
    /// for, so an expression using them may not match its sample in every context.
    pub fn sample(&self, seed: u64) -> Vec<u8> {
        let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n.max(1)
        };
        let parsed = syntax::parse(&self.text).expect("compiled, so it parses");
        let mut out = Vec::new();
        sample_node(&parsed.root, self.flags, &mut next, &mut out);
        if self.flags.wide && !self.flags.ascii {
            out = out.iter().flat_map(|&b| [b, 0]).collect();
        }
        out
    }

    /// A hex string's expression (see `yara::hex`), matched with its jumps lazy and `.` any
    /// byte; its text is the equivalent yara regular expression, so it saves like any other.
    pub(crate) fn from_hex(root: &syntax::Node) -> std::result::Result<Self, RegexError> {
        let mut text = Vec::new();
        render(root, &mut text);
        let flags = RegexFlags {
            dot_all: true,
            ascii: true,
            ..Default::default()
        };
        Self::compile(&text, flags)
    }

    /// Every match of the expression in `data`, as yara reports them: (offset, length),
    /// ascending. Anchors are searched naively (the scanner searches them with its
    /// prefilter); for checking and tests.
    pub fn find_all(&self, data: &[u8]) -> crate::Result<Vec<(u64, u32)>> {
        let read = |start: u64, end: u64| {
            data.get(start as usize..end as usize)
                .map(std::borrow::Cow::Borrowed)
        };
        self.find_all_through(data, &read)
    }

    /// [`RegexString::find_all`], the verification reading copies of just the windows it
    /// asks for, as from a file: the same matches (tests of the window logic).
    #[doc(hidden)]
    pub fn find_all_windowed(&self, data: &[u8]) -> crate::Result<Vec<(u64, u32)>> {
        let read = |start: u64, end: u64| {
            data.get(start as usize..end as usize)
                .map(|w| std::borrow::Cow::Owned(w.to_vec()))
        };
        self.find_all_through(data, &read)
    }

    fn find_all_through(
        &self,
        data: &[u8],
        read: &verify::ReadRange,
    ) -> crate::Result<Vec<(u64, u32)>> {
        let nocase = self.flags.nocase;
        let mut candidates = Vec::new();
        for (f, form) in self.forms.iter().enumerate() {
            for (s, split) in form.splits.iter().enumerate() {
                let lit = &split.literal;
                for at in 0..data.len().saturating_sub(lit.len() - 1) {
                    let window = &data[at..at + lit.len()];
                    let hit = if nocase {
                        window.eq_ignore_ascii_case(lit)
                    } else {
                        window == lit.as_slice()
                    };
                    if hit {
                        candidates.push(verify::Candidate {
                            atom_end: (at + split.atom_end as usize) as u64,
                            offset: at as u64,
                            regex: 0,
                            form: f as u16,
                            split: s as u16,
                        });
                    }
                }
            }
        }
        let unanchored: &[u32] = if self.anchored { &[] } else { &[0] };
        let found = verify::verify(
            &[self],
            unanchored,
            candidates,
            gpu::GpuVerified::default(),
            data.len() as u64,
            read,
        )?;
        Ok(found.matches.get(&0).cloned().unwrap_or_default())
    }

    /// The expression's text.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// Its flags.
    pub fn flags(&self) -> RegexFlags {
        self.flags
    }
}

impl PartialEq for RegexString {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text && self.flags == other.flags
    }
}

impl Eq for RegexString {}

/// Appends `node` as yara regular-expression text (bytes as `\xHH`, sets as classes, `.`
/// for every byte under the dot-all flag).
fn render(node: &syntax::Node, out: &mut Vec<u8>) {
    use syntax::Node;
    let hex = |b: u8, out: &mut Vec<u8>| out.extend_from_slice(format!("\\x{b:02X}").as_bytes());
    let grouped = |node: &Node, out: &mut Vec<u8>| {
        out.push(b'(');
        render(node, out);
        out.push(b')');
    };
    match node {
        Node::Empty => {}
        Node::Literal(b) => hex(*b, out),
        Node::Class(set) if set.0 == [u64::MAX; 4] => out.push(b'.'),
        Node::Class(set) | Node::NegatedClass(set) => {
            out.push(b'[');
            if matches!(node, Node::NegatedClass(_)) {
                out.push(b'^');
            }
            for (first, last) in set.ranges() {
                hex(first, out);
                if last > first {
                    out.push(b'-');
                    hex(last, out);
                }
            }
            out.push(b']');
        }
        Node::Any => out.push(b'.'),
        Node::Start => out.push(b'^'),
        Node::End => out.push(b'$'),
        Node::WordBoundary => out.extend_from_slice(b"\\b"),
        Node::NotWordBoundary => out.extend_from_slice(b"\\B"),
        Node::Concat(items) => {
            for item in items {
                match item {
                    Node::Alt(_) | Node::Concat(_) => grouped(item, out),
                    _ => render(item, out),
                }
            }
        }
        Node::Alt(branches) => {
            for (i, branch) in branches.iter().enumerate() {
                if i > 0 {
                    out.push(b'|');
                }
                render(branch, out);
            }
        }
        Node::Repeat {
            node,
            min,
            max,
            greedy,
        } => {
            match node.as_ref() {
                Node::Literal(_) | Node::Class(_) | Node::NegatedClass(_) | Node::Any => {
                    render(node, out)
                }
                other => grouped(other, out),
            }
            let bounds = match max {
                Some(max) => format!("{{{min},{max}}}"),
                None => format!("{{{min},}}"),
            };
            out.extend_from_slice(bounds.as_bytes());
            if !greedy {
                out.push(b'?');
            }
        }
    }
}

fn sample_node(
    node: &syntax::Node,
    flags: RegexFlags,
    next: &mut dyn FnMut(u64) -> u64,
    out: &mut Vec<u8>,
) {
    use syntax::Node;
    let mut member = |set: &syntax::ByteSet, next: &mut dyn FnMut(u64) -> u64| {
        let members: Vec<u8> = (0..=255u8).filter(|&b| set.contains(b)).collect();
        if !members.is_empty() {
            out.push(members[next(members.len() as u64) as usize]);
        }
    };
    match node {
        Node::Literal(b) if flags.nocase && next(2) == 1 => member(
            &syntax::ByteSet::from_fn(|c| c.eq_ignore_ascii_case(b)),
            next,
        ),
        Node::Literal(b) => out.push(*b),
        Node::Class(set) => member(set, next),
        Node::NegatedClass(set) => {
            let folded = syntax::ByteSet::from_fn(|c| {
                set.contains(c)
                    || (flags.nocase && set.contains(c.to_ascii_lowercase()))
                    || (flags.nocase && set.contains(c.to_ascii_uppercase()))
            });
            member(&folded.negated(), next)
        }
        Node::Any => member(
            &syntax::ByteSet::from_fn(|c| flags.dot_all || c != b'\n'),
            next,
        ),
        Node::Concat(items) => {
            for item in items {
                sample_node(item, flags, next, out);
            }
        }
        Node::Alt(branches) => {
            let pick = next(branches.len() as u64) as usize;
            sample_node(&branches[pick], flags, next, out);
        }
        Node::Repeat { node, min, max, .. } => {
            let extra = max.map_or(3, |m| (m - min).min(3));
            for _ in 0..min + next(u64::from(extra) + 1) as u32 {
                sample_node(node, flags, next, out);
            }
        }
        Node::Empty | Node::Start | Node::End | Node::WordBoundary | Node::NotWordBoundary => {}
    }
}

/// A regular expression for the `matches` operator: found anywhere in a text.
#[derive(Debug)]
pub struct TextRegex {
    text: Vec<u8>,
    flags: RegexFlags,
    engine: TextEngine,
}

/// How a [`TextRegex`] runs: `regex-automata`'s meta regex, or the Pike VM for `\b` and `\B`
/// (yara's word tests at the ends of the text and of the scan limit).
#[derive(Debug)]
enum TextEngine {
    Meta(Box<regex_automata::meta::Regex>),
    Pike(pike::Pike),
}

impl TextRegex {
    /// Compiles the text between the slashes, with the `i` (nocase) and `s` (dot-all) flags.
    pub fn compile(
        text: &[u8],
        nocase: bool,
        dot_all: bool,
    ) -> std::result::Result<Self, RegexError> {
        let parsed = syntax::parse(text).map_err(|e| RegexError {
            offset: e.offset,
            message: e.message,
        })?;
        let mode = Mode {
            nocase,
            dot_all,
            wide: false,
        };
        let too_large = |e: String| RegexError {
            offset: 0,
            message: format!("regular expression too large: {e}"),
        };
        let engine = if matcher::needs_pike(&parsed.root) {
            TextEngine::Pike(
                pike::Pike::compile(&parsed.root, mode, false)
                    .map_err(|e| too_large(e.to_string()))?,
            )
        } else {
            let hir = hir::translate(&parsed.root, mode);
            let regex = regex_automata::meta::Regex::builder()
                .configure(
                    regex_automata::meta::Regex::config()
                        .nfa_size_limit(Some(matcher::MAX_AUTOMATON_BYTES))
                        .utf8_empty(false)
                        .which_captures(regex_automata::nfa::thompson::WhichCaptures::None),
                )
                .build_from_hir(&hir)
                .map_err(|e| too_large(e.to_string()))?;
            TextEngine::Meta(Box::new(regex))
        };
        Ok(Self {
            text: text.to_vec(),
            flags: RegexFlags {
                nocase,
                dot_all,
                ..Default::default()
            },
            engine,
        })
    }

    /// Whether the expression occurs in `haystack`.
    pub fn is_match(&self, haystack: &[u8]) -> bool {
        match &self.engine {
            TextEngine::Meta(regex) => regex.is_match(haystack),
            // As yara: tried from every position, each run reading at most the scan limit.
            TextEngine::Pike(pike) => {
                let total = haystack.len() as u64;
                (0..=total).any(|at| {
                    let span = pike::Span {
                        window: matcher::Window {
                            bytes: haystack,
                            base: 0,
                            total,
                        },
                        at,
                        limit: total.min(at + matcher::SCAN_LIMIT as u64),
                    };
                    pike.forward(&span).is_some()
                })
            }
        }
    }

    /// The expression's text and its (nocase, dot-all) flags.
    pub fn source(&self) -> (&[u8], bool, bool) {
        (&self.text, self.flags.nocase, self.flags.dot_all)
    }
}

impl PartialEq for TextRegex {
    fn eq(&self, other: &Self) -> bool {
        self.source() == other.source()
    }
}

impl Eq for TextRegex {}

#[cfg(test)]
mod tests;
