//! The automata of one regular-expression string, and its verification at a candidate.
//!
//! yara matches a regular expression from each occurrence of one of its atoms (see
//! [`super::split`]), in two directions:
//! 1. **forward**, the suffix (atom included) is matched from the atom's position with
//!    leftmost-first priority (the first alternative and the greedy or lazy choice of each
//!    repeat decide, as in Perl), which gives one length `F`;
//! 2. **backward**, the prefix is matched in reverse from the atom's position *exhaustively*:
//!    every `k` such that the `k` bytes before the atom match the whole prefix gives a match
//!    starting `k` bytes before the atom, of length `k + F`.
//!
//! Each direction reads at most [`SCAN_LIMIT`] bytes (yara's `YR_RE_SCAN_LIMIT`), so a match
//! is at most twice that long. `^`, `$` and `\b` see the real data around the window. Both
//! directions run on lazy DFAs (`regex-automata`'s hybrid DFA, its cache per thread): the
//! forward one reports the leftmost-first end, the backward one is stepped byte by byte and
//! every match state it passes is a start. Expressions with `\b` or `\B`, whose yara
//! semantics these automata cannot express (two-byte characters when `wide`, and a test that
//! holds or fails at the scan limit whatever the bytes beyond), run both directions on the Pike
//! VM of [`super::pike`] instead. An expression without an atom is matched forward from every
//! position.

use super::hir::{translate, Mode};
use super::pike::{Pike, Span};
use super::split::{self, Split};
use super::syntax::Node;
use crate::scan::compile::is_fullword;
use crate::{Error, Result};
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::hybrid::LazyStateID;
use regex_automata::nfa::thompson;
use regex_automata::util::start::Config as StartConfig;
use regex_automata::{Anchored, Input, MatchKind};

/// Most bytes one direction of a match reads (yara's `YR_RE_SCAN_LIMIT`).
pub(crate) const SCAN_LIMIT: usize = 4096;
/// Bytes of context a verification window needs on each side of a candidate (the scan limit,
/// the anchor, and the bytes the fullword and look-around tests read).
pub(crate) const WINDOW_CONTEXT: u64 = SCAN_LIMIT as u64 + super::split::MAX_LITERAL as u64 * 2 + 4;
/// Memory a lazy DFA may use for its states, per cache.
const CACHE_CAPACITY: usize = 4 << 20;
/// Largest automaton (NFA) one direction of an expression may compile to, bytes: nested
/// counted repeats (`((a{999}){999}){999}`) are refused instead of exhausting memory.
pub(crate) const MAX_AUTOMATON_BYTES: usize = 8 << 20;

/// A direction's automaton: a lazy DFA, or for the look-around that yara defines otherwise
/// (see [`super::pike`]) a Pike VM.
#[derive(Debug)]
pub(crate) enum Automaton {
    Lazy(Box<DFA>),
    Pike(Pike),
}

impl Automaton {
    /// `pike`: the whole expression needs the Pike VM (then every part of it runs there).
    fn build(node: &Node, mode: Mode, reverse: bool, pike: bool) -> Result<Self> {
        if pike {
            return Pike::compile(node, mode, reverse).map(Self::Pike);
        }
        let hir = translate(node, mode);
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .nfa_size_limit(Some(MAX_AUTOMATON_BYTES))
                    .reverse(reverse)
                    .utf8(false)
                    .which_captures(thompson::WhichCaptures::None),
            )
            .build_from_hir(&hir)
            .map_err(|e| Error::invalid(format!("regular expression too large: {e}")))?;
        let kind = if reverse {
            MatchKind::All
        } else {
            MatchKind::LeftmostFirst
        };
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(kind)
                    .cache_capacity(CACHE_CAPACITY)
                    .skip_cache_capacity_check(true),
            )
            .build_from_nfa(nfa)
            .map_err(|e| Error::invalid(format!("regular expression: {e}")))?;
        Ok(Self::Lazy(Box::new(dfa)))
    }

    /// A fresh cache for this automaton (None: it needs none).
    pub fn cache(&self) -> Option<Cache> {
        match self {
            Self::Lazy(dfa) => Some(dfa.create_cache()),
            Self::Pike(_) => None,
        }
    }
}

/// Whether an expression (or part of one) needs the Pike VM: `\b` or `\B` (yara's word
/// tests hold or fail at the scan limit whatever the bytes beyond it, which a lazy DFA reads).
pub(crate) fn needs_pike(node: &Node) -> bool {
    node.any(&|n| matches!(n, Node::WordBoundary | Node::NotWordBoundary))
}
/// One atom's anchor and the automata of the expression cut there.
#[derive(Debug)]
pub(crate) struct SplitProgram {
    /// The anchor's bytes in this form (wide: each followed by a zero).
    pub literal: Vec<u8>,
    /// Where its atom (the anchor's best window, as the prefilter picks it) ends in the
    /// literal: yara verifies candidates in the order their atoms end in the data.
    pub atom_end: u32,
    /// The suffix, forward.
    pub forward: Automaton,
    /// The prefix, reversed (None: the atom starts the expression).
    pub backward: Option<Automaton>,
    /// What precedes the atom (for the GPU's dense automata, built on demand).
    pub prefix: Node,
    /// The atom and what follows it.
    pub suffix: Node,
}

/// The automata of one form (plain or wide) of an expression.
#[derive(Debug)]
pub(crate) struct Form {
    /// How it matches (`mode.wide`: the wide form).
    pub mode: Mode,
    /// Matches must be whole words (yara's `fullword`).
    pub fullword: bool,
    /// One program per atom; empty when the expression has no atom.
    pub splits: Vec<SplitProgram>,
    /// The whole expression, forward (used when it has no atom).
    pub whole: Automaton,
    /// The whole expression reversed, unanchored (when it has no atom): a backward scan of the
    /// data passes a match state exactly where some match starts.
    pub starts: Option<Automaton>,
}

/// The two caches of one split (or of a form's whole expression).
pub(crate) struct SplitCaches {
    forward: Option<Cache>,
    backward: Option<Cache>,
}

/// Where a verification reads: `bytes` are the data from offset `base`, of `total` bytes.
#[derive(Clone, Copy)]
pub(crate) struct Window<'a> {
    /// The bytes.
    pub bytes: &'a [u8],
    /// Data offset of `bytes[0]`.
    pub base: u64,
    /// Length of the whole data.
    pub total: u64,
}

impl Form {
    /// Builds the form's automata.
    pub fn build(root: &Node, splits: &[Split], mode: Mode, fullword: bool) -> Result<Self> {
        let pike = needs_pike(root);
        let widen = |bytes: &[u8]| -> Vec<u8> {
            if mode.wide {
                bytes.iter().flat_map(|&b| [b, 0]).collect()
            } else {
                bytes.to_vec()
            }
        };
        let splits = splits
            .iter()
            .map(|s| {
                let literal = widen(&s.literal);
                let mask: Vec<u8> = literal
                    .iter()
                    .map(|b| {
                        if mode.nocase && b.is_ascii_alphabetic() {
                            0xdf
                        } else {
                            0xff
                        }
                    })
                    .collect();
                let values: Vec<u8> = literal.iter().zip(&mask).map(|(b, m)| b & m).collect();
                let atom_end = crate::scan::atoms::choose(&values, &mask)
                    .map_or(literal.len() as u32, |a| a.offset + a.len);
                Ok(SplitProgram {
                    atom_end,
                    literal,
                    forward: Automaton::build(&s.suffix, mode, false, pike)?,
                    backward: match s.prefix {
                        Node::Empty => None,
                        ref prefix => Some(Automaton::build(prefix, mode, true, pike)?),
                    },
                    prefix: s.prefix.clone(),
                    suffix: s.suffix.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let entered = entered_as_yara_does(root);
        let starts = if splits.is_empty() {
            Some(Automaton::build(&entered, mode, true, pike)?)
        } else {
            None
        };
        Ok(Self {
            mode,
            fullword,
            whole: Automaton::build(&entered, mode, false, pike)?,
            starts,
            splits,
        })
    }

    /// Caches for split `split` (None: the whole expression).
    pub fn caches(&self, split: Option<usize>) -> SplitCaches {
        match split {
            Some(i) => SplitCaches {
                forward: self.splits[i].forward.cache(),
                backward: self.splits[i].backward.as_ref().and_then(Automaton::cache),
            },
            None => SplitCaches {
                forward: self.whole.cache(),
                backward: self.starts.as_ref().and_then(Automaton::cache),
            },
        }
    }

    /// Verifies the candidate at data offset `at` of split `split` (None: the whole
    /// expression from `at`): calls `found(start, length)` for each match.
    pub fn verify(
        &self,
        split: Option<usize>,
        window: Window,
        at: u64,
        caches: &mut SplitCaches,
        found: &mut dyn FnMut(u64, u32),
    ) -> Result<()> {
        let step = if self.mode.wide { 2 } else { 1 };
        let local = |offset: u64| (offset - window.base) as usize;
        let mut found = |start: u64, len: u32| {
            if !self.fullword
                || is_fullword(window.bytes, local(start), len as usize, self.mode.wide)
            {
                found(start, len)
            }
        };
        let round = |n: u64| n - n % step;
        let forward_len = round((window.total - at).min(SCAN_LIMIT as u64));
        let lo = at - round(at.min(SCAN_LIMIT as u64));
        let (forward, backward) = match split {
            Some(i) => (&self.splits[i].forward, self.splits[i].backward.as_ref()),
            None => (&self.whole, None),
        };
        let (forward, cache) = match (forward, caches.forward.as_mut()) {
            (Automaton::Lazy(dfa), Some(cache)) => (dfa, cache),
            (Automaton::Pike(pike), _) => {
                let span = |limit| Span { window, at, limit };
                let Some(forward_matched) = pike.forward(&span(at + forward_len)) else {
                    return Ok(());
                };
                // A form's automata are all Pike VMs or all lazy DFAs.
                if let Some(Automaton::Pike(back)) = backward {
                    back.backward(&span(lo), &mut |start| {
                        found(start, (at - start + forward_matched) as u32)
                    });
                } else {
                    found(at, forward_matched as u32);
                }
                return Ok(());
            }
            (Automaton::Lazy(_), None) => return Ok(()),
        };
        let input = Input::new(window.bytes)
            .span(local(at)..local(at + forward_len))
            .anchored(Anchored::Yes);
        let end = forward
            .try_search_fwd(cache, &input)
            .map_err(|e| Error::invalid(format!("regular expression search: {e}")))?;
        let Some(end) = end else {
            return Ok(());
        };
        let forward_matched = (end.offset() - local(at)) as u32;
        let (Some(Automaton::Lazy(dfa)), Some(cache)) = (backward, caches.backward.as_mut()) else {
            found(at, forward_matched);
            return Ok(());
        };
        let fail = |e: regex_automata::hybrid::CacheError| {
            Error::invalid(format!("regular expression search: {e}"))
        };
        let config = StartConfig::new()
            .anchored(Anchored::Yes)
            .look_behind(window.bytes.get(local(at)).copied());
        let mut sid = dfa
            .start_state(cache, &config)
            .map_err(|e| Error::invalid(format!("regular expression search: {e}")))?;
        let mut pos = at;
        loop {
            if pos == lo {
                sid = if lo == 0 {
                    dfa.next_eoi_state(cache, sid).map_err(fail)?
                } else {
                    dfa.next_state(cache, sid, window.bytes[local(lo) - 1])
                        .map_err(fail)?
                };
                if sid.is_match() {
                    found(lo, (at - lo) as u32 + forward_matched);
                }
                return Ok(());
            }
            sid = dfa
                .next_state(cache, sid, window.bytes[local(pos) - 1])
                .map_err(fail)?;
            if sid.is_match() {
                found(pos, (at - pos) as u32 + forward_matched);
            }
            if sid.is_dead() || sid.is_quit() {
                return Ok(());
            }
            pos -= 1;
        }
    }
}

impl Form {
    /// For an expression without atoms: scans `lo..hi` of the data backwards and calls
    /// `found(offset)` (descending) where a match may start. `state` carries the scan from one
    /// window to the one before it (None: `hi` is where the scan begins).
    pub fn match_starts(
        &self,
        window: Window,
        lo: u64,
        hi: u64,
        state: &mut Option<LazyStateID>,
        caches: &mut SplitCaches,
        found: &mut dyn FnMut(u64),
    ) -> Result<()> {
        if let Automaton::Pike(_) = self.whole {
            // Every position may start a match: the forward run decides.
            for at in (lo..hi).rev() {
                found(at);
            }
            return Ok(());
        }
        let (Some(Automaton::Lazy(dfa)), Some(cache)) =
            (self.starts.as_ref(), caches.backward.as_mut())
        else {
            return Ok(());
        };
        let fail = |e: String| Error::invalid(format!("regular expression search: {e}"));
        let local = |offset: u64| (offset - window.base) as usize;
        let mut sid = match *state {
            Some(sid) => sid,
            None => {
                let after = (hi < window.total).then(|| window.bytes[local(hi)]);
                let config = StartConfig::new().anchored(Anchored::No).look_behind(after);
                dfa.start_state(cache, &config)
                    .map_err(|e| fail(e.to_string()))?
            }
        };
        let mut pos = hi;
        while pos > lo {
            sid = dfa
                .next_state(cache, sid, window.bytes[local(pos) - 1])
                .map_err(|e| fail(e.to_string()))?;
            if sid.is_match() {
                found(pos);
            }
            pos -= 1;
        }
        if lo == 0 {
            let end = dfa
                .next_eoi_state(cache, sid)
                .map_err(|e| fail(e.to_string()))?;
            if end.is_match() {
                found(0);
            }
        }
        *state = Some(sid);
        Ok(())
    }
}

/// `root` as yara runs it from a position when it has no atom. yara enters the expression at
/// the code of its first element, and for a first element `e?` or `e{0,1}` (`e` not `.`) its
/// emitter points that code past the optional's split, into `e`: so `e` is required there
/// (`/[a-z]?[0-9]/` does not match a lone digit in yara 4). Matched the same way here.
pub(crate) fn entered_as_yara_does(root: &Node) -> Node {
    match root {
        Node::Concat(items) if !items.is_empty() => {
            let mut items = items.clone();
            items[0] = entered_as_yara_does(&items[0]);
            Node::Concat(items)
        }
        Node::Repeat {
            node,
            min: 0,
            max: Some(1),
            ..
        } if **node != Node::Any => entered_as_yara_does(node),
        other => other.clone(),
    }
}

/// The splits of `root`, one per atom (None when it has no usable atom).
pub(crate) fn splits_of(root: &Node, nocase: bool) -> Option<Vec<Split>> {
    split::splits(root, nocase)
}
