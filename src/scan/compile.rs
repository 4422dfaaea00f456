//! Compiling a rule set: expansion of each string into the byte patterns it matches, the choice
//! of each pattern's anchor (its atom, see [`super::atoms`]), and the tables both backends search
//! with.
//!
//! Anchors are compared case-folded (ASCII letters lowered), so an anchor hit is a superset of
//! the true matches; every candidate is verified against the full pattern and mask.

use super::atoms;
use super::logic::RuleLogic;
use super::regex::RegexString;
use super::rules::RuleSet;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Pattern flag: fullword.
pub const FLAG_FULLWORD: u32 = 1;
/// Pattern flag: wide (UTF-16LE) form, for the fullword test.
pub const FLAG_WIDE: u32 = 2;
/// Bits of the 3- and 4-byte anchor bitmaps.
pub const BIG_BITMAP_BITS: u32 = 24;

/// One byte pattern to find: a string's plain or wide form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    /// Index of the rule in the rule set.
    pub rule: u32,
    /// Index of the string within the compiled string list.
    pub string: u32,
    /// Values (already masked).
    pub bytes: Vec<u8>,
    /// Per-byte masks.
    pub mask: Vec<u8>,
    /// `FLAG_*` bits.
    pub flags: u32,
    /// Offset of the anchor in the pattern.
    pub anchor_offset: u32,
    /// Anchor length, 0 when the pattern has no literal byte (checked at every position).
    pub anchor_len: u32,
    /// The case-folded anchor bytes, little-endian in a u32.
    pub anchor: u32,
    /// For the anchor pattern of a regular-expression string: which expression, form and
    /// atom (its hits are candidates to verify, not matches).
    pub regex: Option<RegexAnchor>,
}

/// What an anchor pattern of a regular-expression string stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegexAnchor {
    /// Index in [`CompiledRules::regexes`].
    pub regex: u32,
    /// Form (plain or wide) of the expression.
    pub form: u16,
    /// Atom of the form.
    pub split: u16,
}

/// A regular-expression string of a compiled rule set.
#[derive(Clone, Debug)]
pub struct CompiledRegex {
    /// Index of its string in [`CompiledRules::strings`].
    pub string: u32,
    /// The expression.
    pub regex: Arc<RegexString>,
}

/// What a compiled string reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StringInfo {
    /// Caller's rule id.
    pub rule_id: u32,
    /// Caller's string id.
    pub string_id: u32,
}

/// A rule set compiled for scanning.
#[derive(Clone, Debug)]
pub struct CompiledRules {
    /// The patterns, in string order.
    pub patterns: Vec<Pattern>,
    /// The strings the patterns come from.
    pub strings: Vec<StringInfo>,
    /// Caller's rule ids, in rule order.
    pub rule_ids: Vec<u32>,
    /// The regular-expression strings (their anchors are among the patterns).
    pub regexes: Vec<CompiledRegex>,
    /// Indices (in `regexes`) of the expressions without atoms, matched at every position.
    pub unanchored: Vec<u32>,
    /// Longest pattern, bytes.
    pub max_len: usize,
    /// The rule logic of a YARA rule set (None: programmatic rules).
    pub logic: Option<Arc<RuleLogic>>,
}

/// ASCII lower-casing of one byte.
pub const fn fold(b: u8) -> u8 {
    b.to_ascii_lowercase()
}

fn is_letter(b: u8) -> bool {
    b.is_ascii_alphabetic()
}

/// The plain and/or wide forms of a string, with nocase applied.
fn forms(
    bytes: &[u8],
    mask: &[u8],
    nocase: bool,
    wide: bool,
    ascii: bool,
) -> Vec<(Vec<u8>, Vec<u8>, bool)> {
    let (mut values, mut masks) = (bytes.to_vec(), mask.to_vec());
    if nocase {
        for (v, m) in values.iter_mut().zip(masks.iter_mut()) {
            if *m == 0xff && is_letter(*v) {
                *v &= 0xdf;
                *m = 0xdf;
            }
        }
    }
    let mut out = Vec::new();
    if !wide || ascii {
        out.push((values.clone(), masks.clone(), false));
    }
    if wide {
        let wv = values.iter().flat_map(|&v| [v, 0]).collect();
        let wm = masks.iter().flat_map(|&m| [m, 0xff]).collect();
        out.push((wv, wm, true));
    }
    out
}

impl CompiledRules {
    /// Expands and anchors every string of `rules`.
    pub fn compile(rules: &RuleSet) -> Result<Self> {
        if rules.string_count() == 0 && rules.logic().is_none() {
            return Err(Error::invalid(
                "the rule set has no strings; add at least one",
            ));
        }
        let mut patterns = Vec::new();
        let mut strings = Vec::new();
        let mut rule_ids = Vec::new();
        let mut regexes = Vec::new();
        let mut unanchored = Vec::new();
        for (rule_index, rule) in rules.rules().iter().enumerate() {
            rule_ids.push(rule.id);
            for s in &rule.strings {
                let string = strings.len() as u32;
                strings.push(StringInfo {
                    rule_id: rule.id,
                    string_id: s.id,
                });
                if let Some(regex) = &s.regex {
                    let index = regexes.len() as u32;
                    if !regex.anchored {
                        unanchored.push(index);
                    }
                    patterns.extend(regex_anchors(regex, rule_index as u32, string, index));
                    regexes.push(CompiledRegex {
                        string,
                        regex: regex.clone(),
                    });
                    continue;
                }
                let f = s.flags;
                for (bytes, mask, wide) in forms(&s.bytes, &s.mask, f.nocase, f.wide, f.ascii) {
                    let (anchor_offset, anchor_len, anchor) = atoms::choose(&bytes, &mask)
                        .map_or((0, 0, 0), |a| (a.offset, a.len, a.value));
                    let flags = if f.fullword { FLAG_FULLWORD } else { 0 }
                        | if wide { FLAG_WIDE } else { 0 };
                    patterns.push(Pattern {
                        rule: rule_index as u32,
                        string,
                        bytes,
                        mask,
                        flags,
                        anchor_offset,
                        anchor_len,
                        anchor,
                        regex: None,
                    });
                }
            }
        }
        let max_len = patterns.iter().map(|p| p.bytes.len()).max().unwrap_or(1);
        Ok(Self {
            patterns,
            strings,
            rule_ids,
            regexes,
            unanchored,
            max_len,
            logic: rules.logic().cloned(),
        })
    }

    /// Pattern indices grouped by (anchor length, anchor value); length 0 holds the patterns
    /// without an anchor.
    pub fn anchor_groups(&self) -> BTreeMap<(u32, u32), Vec<u32>> {
        let mut groups: BTreeMap<(u32, u32), Vec<u32>> = BTreeMap::new();
        for (i, p) in self.patterns.iter().enumerate() {
            groups
                .entry((p.anchor_len, p.anchor))
                .or_default()
                .push(i as u32);
        }
        groups
    }
}

/// The anchor patterns of regular expression `index` (of rule `rule`, string `string`): one
/// per atom of each form, the atom's letters in either case when the expression is `nocase`.
fn regex_anchors(
    regex: &RegexString,
    rule: u32,
    string: u32,
    index: u32,
) -> impl Iterator<Item = Pattern> + '_ {
    let nocase = regex.flags().nocase;
    regex.forms.iter().enumerate().flat_map(move |(f, form)| {
        form.splits.iter().enumerate().map(move |(s, split)| {
            let mask: Vec<u8> = split
                .literal
                .iter()
                .map(|&b| if nocase && is_letter(b) { 0xdf } else { 0xff })
                .collect();
            let bytes: Vec<u8> = split
                .literal
                .iter()
                .zip(&mask)
                .map(|(b, m)| b & m)
                .collect();
            let (anchor_offset, anchor_len, anchor) =
                atoms::choose(&bytes, &mask).map_or((0, 0, 0), |a| (a.offset, a.len, a.value));
            Pattern {
                rule,
                string,
                bytes,
                mask,
                flags: 0,
                anchor_offset,
                anchor_len,
                anchor,
                regex: Some(RegexAnchor {
                    regex: index,
                    form: f as u16,
                    split: s as u16,
                }),
            }
        })
    })
}

/// Whether pattern `p` matches `data` at `start` (bytes, masks and fullword boundaries).
pub fn verify(p: &Pattern, data: &[u8], start: usize) -> bool {
    let len = p.bytes.len();
    if start + len > data.len() {
        return false;
    }
    let window = &data[start..start + len];
    if !window
        .iter()
        .zip(&p.bytes)
        .zip(&p.mask)
        .all(|((d, v), m)| d & m == *v)
    {
        return false;
    }
    p.flags & FLAG_FULLWORD == 0 || is_fullword(data, start, len, p.flags & FLAG_WIDE != 0)
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// YARA's fullword rule: no alphanumeric character (wide: alphanumeric followed by a zero)
/// right before or right after the match.
pub fn is_fullword(data: &[u8], start: usize, len: usize, wide: bool) -> bool {
    let end = start + len;
    if wide {
        let before = start >= 2 && data[start - 1] == 0 && is_alnum(data[start - 2]);
        let after = end + 1 < data.len() && is_alnum(data[end]) && data[end + 1] == 0;
        !(before || after)
    } else {
        let before = start >= 1 && is_alnum(data[start - 1]);
        let after = end < data.len() && is_alnum(data[end]);
        !(before || after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::rules::StringFlags;

    #[test]
    fn forms_expand_nocase_and_wide() {
        let mut rs = RuleSet::new();
        let flags = StringFlags {
            nocase: true,
            wide: true,
            ascii: true,
            fullword: false,
        };
        rs.add_string(7, 1, b"a1", &[], flags).unwrap();
        let c = CompiledRules::compile(&rs).unwrap();
        assert_eq!(c.patterns.len(), 2);
        assert_eq!(c.patterns[0].bytes, b"A1");
        assert_eq!(c.patterns[0].mask, [0xdf, 0xff]);
        assert_eq!(c.patterns[1].bytes, b"A\x001\x00");
        assert_eq!(c.max_len, 4);
        for data in [&b"xa1"[..], b"A1", b"a\x001\x00"] {
            let hit = c
                .patterns
                .iter()
                .any(|p| (0..data.len()).any(|s| verify(p, data, s)));
            assert!(hit, "{data:?}");
        }
    }

    #[test]
    fn fullword_boundaries() {
        assert!(is_fullword(b"foo", 0, 3, false));
        assert!(is_fullword(b" foo.", 1, 3, false));
        assert!(!is_fullword(b"xfoo", 1, 3, false));
        assert!(!is_fullword(b"foo1", 0, 3, false));
        assert!(is_fullword(b"f\0o\0", 0, 4, true));
        assert!(!is_fullword(b"a\0f\0o\0", 2, 4, true));
        assert!(is_fullword(b"a\x01f\0o\0", 2, 4, true));
    }
}
