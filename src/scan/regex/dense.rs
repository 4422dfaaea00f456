//! Fully built (dense) automata of the expressions that fit a bound, flattened into the tables
//! the GPU verification kernel (`shaders/scan_regex.wgsl`) walks.
//!
//! The CPU verifies with lazy DFAs, which build states as the data needs them. A GPU lane
//! cannot, so an atom's two automata go to the GPU only when their DFAs can be built whole
//! within [`MAX_STATES`] states, and only when the expression has no look-around (`^`, `$`,
//! `\b`, `\B`), whose tests read bytes outside the path the automaton walks. Everything else
//! stays on the CPU.
//!
//! # Table layout
//!
//! All automata share one array of 32-bit words. An automaton is a byte-class map (256 class
//! numbers, four per word) and, per state, one row of `classes` transition entries. An entry
//! is the word offset of the next state's row, with [`ACCEPT`] set when that state is
//! accepting; [`DEAD`] is the state no match can leave. A state is *accepting* when the bytes
//! read so far form a match: for the forward automaton (leftmost-first) the last accepting
//! position before the dead state is where the match ends, as the CPU's search reports; for
//! the backward automaton (every match) each accepting position is a match start. This is
//! `regex-automata`'s rule that a DFA's match states are delayed by one byte, read one step
//! earlier: a state is accepting when its end-of-input transition leads to a match state.

use super::hir::{translate, Mode};
use super::syntax::Node;
use regex_automata::dfa::{dense, Automaton as _, StartKind};
use regex_automata::nfa::thompson;
use regex_automata::util::primitives::StateID;
use regex_automata::{Anchored, MatchKind};
use std::collections::HashMap;

/// Set in a transition entry when the state it leads to is accepting.
pub(crate) const ACCEPT: u32 = 0x8000_0000;
/// The transition entry of the dead state.
pub(crate) const DEAD: u32 = 0x7fff_ffff;
/// No backward automaton (the atom starts the expression).
pub(crate) const NO_AUTOMATON: u32 = u32::MAX;
/// Most states of one automaton on the GPU.
pub(crate) const MAX_STATES: usize = 1024;
/// Most memory the determinization of one automaton may use, bytes.
const DETERMINIZE_LIMIT: usize = 1 << 20;
/// Most words of all the tables together.
pub(crate) const MAX_TABLE_WORDS: usize = 16 << 20;

/// `SplitTable::flags`: the wide form (steps of two bytes).
pub(crate) const FLAG_WIDE: u32 = 1;
/// `SplitTable::flags`: matches must be whole words.
pub(crate) const FLAG_FULLWORD: u32 = 2;

/// One atom's automata in the tables, as `RegexSplit` in the kernel.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct SplitTable {
    /// Word offset of the forward automaton's byte classes.
    pub forward_classes: u32,
    /// The forward automaton's start entry.
    pub forward_start: u32,
    /// Word offset of the backward automaton's byte classes ([`NO_AUTOMATON`]: none).
    pub backward_classes: u32,
    /// The backward automaton's start entry.
    pub backward_start: u32,
    /// [`FLAG_WIDE`], [`FLAG_FULLWORD`].
    pub flags: u32,
    /// Padding to 32 bytes.
    pub _pad: [u32; 3],
}

/// The tables of every atom that fits, and where each is.
#[derive(Debug, Default)]
pub(crate) struct DenseTables {
    /// Per fitting atom, its automata.
    pub splits: Vec<SplitTable>,
    /// Byte classes and transition rows of every automaton.
    pub words: Vec<u32>,
    /// (expression, form, atom) -> index in `splits`.
    pub index: HashMap<(u32, u16, u16), u32>,
}

impl DenseTables {
    /// Adds the automata of one atom (`prefix` before it, `suffix` from it) when both fit;
    /// returns whether they did.
    pub fn add(
        &mut self,
        key: (u32, u16, u16),
        prefix: &Node,
        suffix: &Node,
        mode: Mode,
        fullword: bool,
    ) -> bool {
        if prefix.has_look_around() || suffix.has_look_around() {
            return false;
        }
        let mark = self.words.len();
        let Some((forward_classes, forward_start)) = self.add_automaton(suffix, mode, false) else {
            return false;
        };
        let backward = match prefix {
            Node::Empty => Some((NO_AUTOMATON, 0)),
            prefix => self.add_automaton(prefix, mode, true),
        };
        let Some((backward_classes, backward_start)) = backward else {
            self.words.truncate(mark);
            return false;
        };
        let mut flags = 0;
        if mode.wide {
            flags |= FLAG_WIDE;
        }
        if fullword {
            flags |= FLAG_FULLWORD;
        }
        self.index.insert(key, self.splits.len() as u32);
        self.splits.push(SplitTable {
            forward_classes,
            forward_start,
            backward_classes,
            backward_start,
            flags,
            _pad: [0; 3],
        });
        true
    }

    /// Builds one direction's DFA and appends it: (classes offset, start entry), or None when
    /// it does not fit.
    fn add_automaton(&mut self, node: &Node, mode: Mode, reverse: bool) -> Option<(u32, u32)> {
        let dfa = build(node, mode, reverse)?;
        let start = dfa.universal_start_state(Anchored::Yes)?;
        let classes = dfa.byte_classes();
        let stride = classes.alphabet_len();
        // Class representatives, indexed by class (the end-of-input class has none).
        let mut representative = vec![None; stride];
        for b in 0..=255u8 {
            representative[classes.get(b) as usize].get_or_insert(b);
        }
        // Number the states reachable from the start, breadth first.
        let mut numbered: HashMap<StateID, usize> = HashMap::new();
        let mut order = Vec::new();
        let mut visit = |sid: StateID, order: &mut Vec<StateID>| -> Option<()> {
            if dfa.is_dead_state(sid) || numbered.contains_key(&sid) {
                return Some(());
            }
            if dfa.is_quit_state(sid) || order.len() >= MAX_STATES {
                return None;
            }
            numbered.insert(sid, order.len());
            order.push(sid);
            Some(())
        };
        visit(start, &mut order)?;
        let mut next = 0;
        while next < order.len() {
            let sid = order[next];
            for &b in representative.iter().flatten() {
                visit(dfa.next_state(sid, b), &mut order)?;
            }
            next += 1;
        }
        let base = self.words.len();
        let rows = base + 64;
        if rows + order.len() * stride > MAX_TABLE_WORDS {
            return None;
        }
        let entry = |sid: StateID| -> u32 {
            if dfa.is_dead_state(sid) {
                return DEAD;
            }
            let row = (rows + numbered[&sid] * stride) as u32;
            if dfa.is_match_state(dfa.next_eoi_state(sid)) {
                row | ACCEPT
            } else {
                row
            }
        };
        for word in 0..64 {
            let packed = (0..4).fold(0u32, |acc, i| {
                acc | (classes.get((word * 4 + i) as u8) as u32) << (8 * i)
            });
            self.words.push(packed);
        }
        for &sid in &order {
            for class in &representative {
                self.words.push(match class {
                    Some(b) => entry(dfa.next_state(sid, *b)),
                    None => DEAD,
                });
            }
        }
        Some((base as u32, entry(start)))
    }
}

/// The dense DFA of one direction, or None when it exceeds the bounds.
fn build(node: &Node, mode: Mode, reverse: bool) -> Option<dense::DFA<Vec<u32>>> {
    let hir = translate(node, mode);
    let nfa = thompson::Compiler::new()
        .configure(
            thompson::Config::new()
                .nfa_size_limit(Some(super::matcher::MAX_AUTOMATON_BYTES))
                .reverse(reverse)
                .utf8(false)
                .which_captures(thompson::WhichCaptures::None),
        )
        .build_from_hir(&hir)
        .ok()?;
    let kind = if reverse {
        MatchKind::All
    } else {
        MatchKind::LeftmostFirst
    };
    dense::Builder::new()
        .configure(
            dense::Config::new()
                .match_kind(kind)
                .start_kind(StartKind::Anchored)
                .byte_classes(true)
                .minimize(false)
                .determinize_size_limit(Some(DETERMINIZE_LIMIT))
                .dfa_size_limit(Some(MAX_STATES * 257 * 4)),
        )
        .build_from_nfa(&nfa)
        .ok()
}
