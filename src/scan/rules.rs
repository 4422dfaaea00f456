//! The programmatic rule set: rules with ids, each with strings given as bytes, a per-byte mask
//! and flags.

use super::logic::RuleLogic;
use super::regex::RegexString;
use crate::{Error, Result};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Longest string, in bytes before `wide` expansion.
pub const MAX_STRING_BYTES: usize = 4096;
/// Most strings in one rule set.
pub const MAX_STRINGS: usize = 1 << 20;

/// How a string matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StringFlags {
    /// ASCII letters match in either case (bytes whose mask is 0xff only).
    pub nocase: bool,
    /// Match the UTF-16LE form: each byte followed by a zero byte.
    pub wide: bool,
    /// Also match the plain form when `wide` is set (YARA's `ascii wide`).
    pub ascii: bool,
    /// Match only when not preceded or followed by an alphanumeric character.
    pub fullword: bool,
}

/// One string of a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleString {
    /// Caller's id of the string (unique within its rule).
    pub id: u32,
    /// Byte values.
    pub bytes: Vec<u8>,
    /// Per-byte mask: a data byte `d` matches `bytes[i]` when `d & mask[i] == bytes[i] & mask[i]`
    /// (0xff exact, 0x00 any byte, 0xf0 / 0x0f nibbles).
    pub mask: Vec<u8>,
    /// Flags.
    pub flags: StringFlags,
    /// A regular-expression string (then `bytes` and `mask` are empty).
    pub regex: Option<Arc<RegexString>>,
}

/// A rule: an id and its strings. A programmatic rule (no YARA condition) matches when any of
/// its strings does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Caller's rule id.
    pub id: u32,
    /// Its strings.
    pub strings: Vec<RuleString>,
}

/// Rules under construction.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    rule_index: HashMap<u32, usize>,
    string_ids: HashSet<(u32, u32)>,
    logic: Option<Arc<RuleLogic>>,
}

impl RuleSet {
    /// An empty rule set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a string to rule `rule_id` (created on first use). `mask` may be empty for an exact
    /// string; otherwise it has one byte per pattern byte.
    pub fn add_string(
        &mut self,
        rule_id: u32,
        string_id: u32,
        bytes: &[u8],
        mask: &[u8],
        flags: StringFlags,
    ) -> Result<()> {
        if self.logic.is_some() {
            return Err(Error::invalid(
                "a rule set compiled from YARA source takes no programmatic strings; add them \
                 to the YARA source or use a separate rule set",
            ));
        }
        if bytes.is_empty() || bytes.len() > MAX_STRING_BYTES {
            return Err(Error::invalid(format!(
                "string {string_id} of rule {rule_id} has {} bytes; strings have 1 to {MAX_STRING_BYTES}",
                bytes.len()
            )));
        }
        if !mask.is_empty() && mask.len() != bytes.len() {
            return Err(Error::invalid(format!(
                "string {string_id} of rule {rule_id}: the mask has {} bytes, the string {}",
                mask.len(),
                bytes.len()
            )));
        }
        let mask = if mask.is_empty() {
            vec![0xff; bytes.len()]
        } else {
            mask.to_vec()
        };
        let string = RuleString {
            id: string_id,
            bytes: bytes.iter().zip(&mask).map(|(b, m)| b & m).collect(),
            mask,
            flags,
            regex: None,
        };
        self.push_string(rule_id, string)
    }

    /// Adds the regular-expression string `regex` to rule `rule_id` (YARA rule sets).
    pub(crate) fn add_regex(
        &mut self,
        rule_id: u32,
        string_id: u32,
        regex: Arc<RegexString>,
    ) -> Result<()> {
        let string = RuleString {
            id: string_id,
            bytes: Vec::new(),
            mask: Vec::new(),
            flags: StringFlags::default(),
            regex: Some(regex),
        };
        self.push_string(rule_id, string)
    }

    fn push_string(&mut self, rule_id: u32, string: RuleString) -> Result<()> {
        let string_id = string.id;
        if self.string_ids.len() >= MAX_STRINGS {
            return Err(Error::TooLarge(format!(
                "a rule set holds at most {MAX_STRINGS} strings"
            )));
        }
        if !self.string_ids.insert((rule_id, string_id)) {
            return Err(Error::invalid(format!(
                "rule {rule_id} already has a string {string_id}"
            )));
        }
        let next = self.rules.len();
        let index = *self.rule_index.entry(rule_id).or_insert(next);
        if index == next {
            self.rules.push(Rule {
                id: rule_id,
                strings: Vec::new(),
            });
        }
        self.rules[index].strings.push(string);
        Ok(())
    }

    /// The rules in insertion order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Number of strings (for a YARA rule set: the fixed patterns its strings expand to).
    pub fn string_count(&self) -> usize {
        self.string_ids.len()
    }

    /// The rule logic of a rule set compiled from YARA source.
    pub fn logic(&self) -> Option<&Arc<RuleLogic>> {
        self.logic.as_ref()
    }

    /// Attaches the rule logic of compiled YARA source; the set takes no more strings.
    pub(crate) fn set_logic(&mut self, logic: RuleLogic) {
        self.logic = Some(Arc::new(logic));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_count_and_length_limits_are_enforced() {
        let mut rules = RuleSet::new();
        let flags = StringFlags::default();
        for id in 0..MAX_STRINGS as u32 {
            rules.add_string(id >> 10, id, b"x", &[], flags).unwrap();
        }
        let e = rules.add_string(0, u32::MAX, b"x", &[], flags).unwrap_err();
        assert!(matches!(e, Error::TooLarge(_)), "{e}");
        assert_eq!(rules.string_count(), MAX_STRINGS);
        let mut rules = RuleSet::new();
        let long = vec![b'a'; MAX_STRING_BYTES + 1];
        assert!(matches!(
            rules.add_string(0, 0, &long, &[], flags),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            rules.add_string(0, 0, b"", &[], flags),
            Err(Error::InvalidArgument(_))
        ));
        rules
            .add_string(0, 0, &long[..MAX_STRING_BYTES], &[], flags)
            .unwrap();
    }
}
