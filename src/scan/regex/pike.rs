//! A Pike VM for the expressions with `\b` or `\B`, whose yara semantics a lazy DFA's
//! assertions cannot express.
//!
//! yara's word test in a wide expression looks at two-byte characters: a character is a word
//! character when its first byte is alphanumeric or `_` and its second byte is zero, and `\b`
//! compares the characters on both sides of the position. At the ends of what a direction may
//! read (the data's start and end, and the scan limit) yara's `\b` always holds and `\B` never
//! does, whatever the bytes. `regex-automata`'s assertions look at single bytes, and at the
//! bytes beyond the scan limit, so these expressions run here instead: the expression compiles
//! to a small instruction list (Thompson's construction), and a Pike VM runs it forward with
//! leftmost-first priority (the highest-priority thread that reaches `Match` decides, as the
//! lazy DFA's leftmost-first search does) or backward, reporting every position where some
//! thread matches (the exhaustive backward search). Its cost grows with the expression's size
//! times the bytes read, where a DFA's does not, so only those expressions use it.

use super::hir::{folded, Mode};
use super::matcher::Window;
use super::syntax::{is_word, ByteSet, Node};
use crate::{Error, Result};

/// Most instructions of one program (bounded repeats expand): each byte read costs up to one
/// step per instruction, so this bounds the work per byte.
const MAX_INSTRUCTIONS: usize = 1 << 16;

/// Where an assertion is tested.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Assertion {
    /// `^`: the start of the data.
    Start,
    /// `$`: the end of the data.
    End,
    /// `\b`.
    Boundary,
    /// `\B`.
    NotBoundary,
}

#[derive(Clone, Debug)]
enum Inst {
    /// Consume one byte of the set.
    Byte(ByteSet),
    /// Continue at both, the first preferred.
    Split(u32, u32),
    /// Continue there.
    Jump(u32),
    /// Continue when the assertion holds.
    Assert(Assertion),
    Match,
}

/// One direction of an expression, compiled.
#[derive(Debug)]
pub(crate) struct Pike {
    insts: Vec<Inst>,
    /// Bytes per character (2 for `wide`).
    step: u64,
}

/// What a run may read: the data in `window`, from the anchor `at` up to (forward) or down to
/// (backward) `limit`.
#[derive(Clone, Copy)]
pub(crate) struct Span<'a> {
    /// The data around the run.
    pub window: Window<'a>,
    /// Where the run starts.
    pub at: u64,
    /// The lowest position a backward run reaches, or the highest a forward run reaches.
    pub limit: u64,
}

impl Span<'_> {
    fn byte(&self, p: u64) -> u8 {
        self.window.bytes[(p - self.window.base) as usize]
    }
}

impl Pike {
    /// Compiles `node` under `mode`, reversed for a backward run.
    pub fn compile(node: &Node, mode: Mode, reverse: bool) -> Result<Self> {
        let mut builder = Builder {
            insts: Vec::new(),
            mode,
            reverse,
        };
        builder.emit(node)?;
        builder.push(Inst::Match)?;
        Ok(Self {
            insts: builder.insts,
            step: if mode.wide { 2 } else { 1 },
        })
    }

    /// Whether yara's `\b` holds at `p` of a run over `span`.
    fn boundary(&self, span: &Span, p: u64) -> bool {
        let step = self.step;
        if p == span.limit || (p == span.at && span.at < step) {
            return true;
        }
        let word = |q: u64| -> bool {
            q + step <= span.window.total
                && is_word(span.byte(q))
                && (step == 1 || span.byte(q + 1) == 0)
        };
        word(p) != word(p - step)
    }

    fn holds(&self, a: Assertion, span: &Span, p: u64) -> bool {
        match a {
            Assertion::Start => p == 0,
            Assertion::End => p == span.window.total,
            Assertion::Boundary => self.boundary(span, p),
            Assertion::NotBoundary => !self.boundary(span, p),
        }
    }

    /// Adds `pc` and what it reaches without consuming, at position `p`, to `list` in priority
    /// order.
    fn add(&self, list: &mut Threads, pc: u32, span: &Span, p: u64) {
        let mut stack = vec![pc];
        while let Some(pc) = stack.pop() {
            if !list.insert(pc) {
                continue;
            }
            match &self.insts[pc as usize] {
                Inst::Jump(to) => stack.push(*to),
                Inst::Split(first, second) => {
                    stack.push(*second);
                    stack.push(*first);
                }
                Inst::Assert(a) => {
                    if self.holds(*a, span, p) {
                        stack.push(pc + 1);
                    }
                }
                Inst::Byte(_) | Inst::Match => list.order.push(pc),
            }
        }
    }

    /// Forward, anchored at `span.at`, leftmost-first: the length of the match, if any.
    pub fn forward(&self, span: &Span) -> Option<u64> {
        let mut current = Threads::new(self.insts.len());
        let mut next = Threads::new(self.insts.len());
        self.add(&mut current, 0, span, span.at);
        let mut matched = None;
        let mut p = span.at;
        loop {
            next.clear();
            for &pc in &current.order {
                match &self.insts[pc as usize] {
                    Inst::Match => {
                        matched = Some(p - span.at);
                        break;
                    }
                    Inst::Byte(set) if p < span.limit && set.contains(span.byte(p)) => {
                        self.add(&mut next, pc + 1, span, p + 1);
                    }
                    _ => {}
                }
            }
            if next.order.is_empty() {
                return matched;
            }
            std::mem::swap(&mut current, &mut next);
            p += 1;
        }
    }

    /// Backward from `span.at` (a reversed program): calls `found(start)` for every start
    /// `span.limit <= start <= span.at` whose bytes up to the anchor match, descending.
    pub fn backward(&self, span: &Span, found: &mut dyn FnMut(u64)) {
        let mut current = Threads::new(self.insts.len());
        let mut next = Threads::new(self.insts.len());
        self.add(&mut current, 0, span, span.at);
        let mut p = span.at;
        loop {
            if current
                .order
                .iter()
                .any(|&pc| matches!(self.insts[pc as usize], Inst::Match))
            {
                found(p);
            }
            if p == span.limit {
                return;
            }
            next.clear();
            let b = span.byte(p - 1);
            for &pc in &current.order {
                if let Inst::Byte(set) = &self.insts[pc as usize] {
                    if set.contains(b) {
                        self.add(&mut next, pc + 1, span, p - 1);
                    }
                }
            }
            if next.order.is_empty() {
                return;
            }
            std::mem::swap(&mut current, &mut next);
            p -= 1;
        }
    }
}

/// A run's threads at one position: the instructions seen, and those that consume or match,
/// in priority order.
struct Threads {
    seen: Vec<bool>,
    touched: Vec<u32>,
    order: Vec<u32>,
}

impl Threads {
    fn new(len: usize) -> Self {
        Self {
            seen: vec![false; len],
            touched: Vec::new(),
            order: Vec::new(),
        }
    }

    fn insert(&mut self, pc: u32) -> bool {
        if std::mem::replace(&mut self.seen[pc as usize], true) {
            return false;
        }
        self.touched.push(pc);
        true
    }

    fn clear(&mut self) {
        for pc in self.touched.drain(..) {
            self.seen[pc as usize] = false;
        }
        self.order.clear();
    }
}

struct Builder {
    insts: Vec<Inst>,
    mode: Mode,
    reverse: bool,
}

impl Builder {
    fn push(&mut self, inst: Inst) -> Result<u32> {
        if self.insts.len() >= MAX_INSTRUCTIONS {
            return Err(Error::invalid(format!(
                "regular expression too large: over {MAX_INSTRUCTIONS} instructions"
            )));
        }
        self.insts.push(inst);
        Ok(self.insts.len() as u32 - 1)
    }

    fn here(&self) -> u32 {
        self.insts.len() as u32
    }

    /// One character: a byte of `set`, then a zero byte when wide (in reverse: the other way).
    fn character(&mut self, set: ByteSet) -> Result<()> {
        let zero = ByteSet::from_fn(|b| b == 0);
        match (self.mode.wide, self.reverse) {
            (false, _) => self.push(Inst::Byte(set)).map(drop),
            (true, false) => {
                self.push(Inst::Byte(set))?;
                self.push(Inst::Byte(zero)).map(drop)
            }
            (true, true) => {
                self.push(Inst::Byte(zero))?;
                self.push(Inst::Byte(set)).map(drop)
            }
        }
    }

    fn emit(&mut self, node: &Node) -> Result<()> {
        let mode = self.mode;
        match node {
            Node::Empty => Ok(()),
            Node::Literal(b) => {
                let mut set = ByteSet::default();
                set.insert(*b);
                self.character(folded(set, mode))
            }
            Node::Class(set) => self.character(folded(*set, mode)),
            Node::NegatedClass(set) => self.character(folded(*set, mode).negated()),
            Node::Any => self.character(ByteSet::from_fn(|b| mode.dot_all || b != b'\n')),
            Node::Start => self.push(Inst::Assert(Assertion::Start)).map(drop),
            Node::End => self.push(Inst::Assert(Assertion::End)).map(drop),
            Node::WordBoundary => self.push(Inst::Assert(Assertion::Boundary)).map(drop),
            Node::NotWordBoundary => self.push(Inst::Assert(Assertion::NotBoundary)).map(drop),
            Node::Concat(items) => {
                if self.reverse {
                    items.iter().rev().try_for_each(|n| self.emit(n))
                } else {
                    items.iter().try_for_each(|n| self.emit(n))
                }
            }
            Node::Alt(branches) => {
                let mut exits = Vec::new();
                for (i, branch) in branches.iter().enumerate() {
                    if i + 1 == branches.len() {
                        self.emit(branch)?;
                        break;
                    }
                    let split = self.push(Inst::Split(0, 0))?;
                    self.emit(branch)?;
                    exits.push(self.push(Inst::Jump(0))?);
                    self.insts[split as usize] = Inst::Split(split + 1, self.here());
                }
                let end = self.here();
                for exit in exits {
                    self.insts[exit as usize] = Inst::Jump(end);
                }
                Ok(())
            }
            Node::Repeat {
                node,
                min,
                max,
                greedy,
            } => {
                for _ in 0..*min {
                    self.emit(node)?;
                }
                let choice = |body: u32, exit: u32| {
                    if *greedy {
                        Inst::Split(body, exit)
                    } else {
                        Inst::Split(exit, body)
                    }
                };
                match max {
                    None => {
                        let split = self.push(Inst::Split(0, 0))?;
                        self.emit(node)?;
                        self.push(Inst::Jump(split))?;
                        self.insts[split as usize] = choice(split + 1, self.here());
                    }
                    Some(max) => {
                        let mut splits = Vec::new();
                        for _ in *min..*max {
                            splits.push(self.push(Inst::Split(0, 0))?);
                            self.emit(node)?;
                        }
                        let end = self.here();
                        for split in splits {
                            self.insts[split as usize] = choice(split + 1, end);
                        }
                    }
                }
                Ok(())
            }
        }
    }
}
