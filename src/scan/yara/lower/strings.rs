//! A rule's `strings:` section compiled: modifiers checked as YARA checks them, text strings
//! expanded into fixed patterns (or into the explicit forms of `xor` and `base64`), hex
//! strings compiled by `hex` (parts and gaps when long jumps cut them), regular expressions
//! compiled by [`crate::scan::regex`].

use super::{ChainedPart, LoweredString};
use crate::scan::regex::{RegexFlags, RegexString};
use crate::scan::rules::{StringFlags, MAX_STRING_BYTES};
use crate::scan::yara::ast::{Modifier, ModifierKind, Pos, StringDecl, StringValue};
use crate::scan::yara::{hex, modifiers, Diagnostic};
use std::sync::Arc;

/// The strings of a rule, in declaration order; names may not repeat (but `$` may).
pub fn lower_strings(decls: Vec<StringDecl>) -> Result<Vec<LoweredString>, Diagnostic> {
    let mut out: Vec<LoweredString> = Vec::with_capacity(decls.len());
    for decl in decls {
        if decl.name != "$" && out.iter().any(|s| s.name == decl.name) {
            let message = format!("duplicate string name `{}`", decl.name);
            return Err(Diagnostic::error_at(decl.at, message));
        }
        out.push(lower_string(decl)?);
    }
    Ok(out)
}

/// One string.
fn lower_string(decl: StringDecl) -> Result<LoweredString, Diagnostic> {
    let at = decl.value_at;
    let string = |patterns, flags, private, regex, chained| LoweredString {
        name: decl.name.clone(),
        is_hex: matches!(decl.value, StringValue::Hex(_)),
        patterns,
        flags,
        fixed_offset: None,
        keeps_offsets: false,
        private,
        single_match: true,
        regex,
        chained,
    };
    match &decl.value {
        StringValue::Text(bytes) => {
            let modifiers = TextModifiers::of(&decl.modifiers)?;
            if bytes.is_empty() {
                return Err(Diagnostic::error_at(at, "empty text string"));
            }
            if bytes.len() > MAX_STRING_BYTES {
                return Err(Diagnostic::error_at(
                    at,
                    format!(
                        "text string of {} bytes; at most {MAX_STRING_BYTES}",
                        bytes.len()
                    ),
                ));
            }
            let (patterns, flags) = modifiers.expand(bytes.clone());
            Ok(string(patterns, flags, modifiers.private, None, Vec::new()))
        }
        StringValue::Hex(body) => {
            let mut private = false;
            for m in &decl.modifiers {
                if m.kind != ModifierKind::Private || private {
                    return Err(Diagnostic::error_at(
                        m.at,
                        format!(
                            "hex strings take only the `private` modifier (`{}`)",
                            m.kind.word()
                        ),
                    ));
                }
                private = true;
            }
            let (patterns, regex, chained) = hex_string(body, at)?;
            Ok(string(
                patterns,
                StringFlags::default(),
                private,
                regex,
                chained,
            ))
        }
        StringValue::Regex(literal) => {
            let modifiers = TextModifiers::of(&decl.modifiers)?;
            if modifiers.xor.is_some()
                || modifiers.base64.is_some()
                || modifiers.base64wide.is_some()
            {
                return Err(Diagnostic::error_at(
                    at,
                    "regular expressions take only the nocase, ascii, wide, fullword and \
                     private modifiers",
                ));
            }
            let f = modifiers.flags;
            let flags = RegexFlags {
                nocase: literal.nocase || f.nocase,
                dot_all: literal.dot_all,
                ascii: f.ascii || !f.wide,
                wide: f.wide,
                fullword: f.fullword,
            };
            let regex = RegexString::compile(&literal.text, flags).map_err(|e| {
                let column = Pos {
                    column: at.column + 1 + e.offset,
                    ..at
                };
                Diagnostic::error_at(column, format!("invalid regular expression: {}", e.message))
            })?;
            let regex = Some(Arc::new(regex));
            Ok(string(
                Vec::new(),
                StringFlags::default(),
                modifiers.private,
                regex,
                Vec::new(),
            ))
        }
    }
}

/// The head part's patterns or expression, and the chained parts, of a hex string.
type HexParts = (
    Vec<hex::Variant>,
    Option<Arc<RegexString>>,
    Vec<ChainedPart>,
);

/// A hex string `{ body }` whose body starts at `at`.
fn hex_string(body: &str, at: Pos) -> Result<HexParts, Diagnostic> {
    let compiled = hex::compile(body, at.line, at.column).map_err(|d| d.in_file(at.file))?;
    let mut parts = compiled.parts.into_iter().map(|part| match part {
        hex::HexPart::Fixed(patterns) => Ok((patterns, None)),
        hex::HexPart::Expression(node) => RegexString::from_hex(&node)
            .map(|regex| (Vec::new(), Some(Arc::new(regex))))
            .map_err(|e| Diagnostic::error_at(at, e.message)),
    });
    let (patterns, regex) = parts.next().expect("a hex string has a part")?;
    let chained = compiled
        .gaps
        .into_iter()
        .zip(parts)
        .map(|(gap, part)| {
            part.map(|(patterns, regex)| ChainedPart {
                gap,
                patterns,
                regex,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok((patterns, regex, chained))
}

/// The modifiers of a text or regex string, checked.
#[derive(Default)]
struct TextModifiers {
    flags: StringFlags,
    /// `xor`'s key range.
    xor: Option<(u8, u8)>,
    /// `base64`'s alphabet.
    base64: Option<[u8; 64]>,
    /// `base64wide`'s alphabet.
    base64wide: Option<[u8; 64]>,
    /// `private`.
    private: bool,
}

impl TextModifiers {
    /// The modifiers as written, refusing repeats and the combinations YARA refuses.
    fn of(written: &[Modifier]) -> Result<Self, Diagnostic> {
        let mut m = TextModifiers::default();
        let mut seen: Vec<&str> = Vec::new();
        for modifier in written {
            let word = modifier.kind.word();
            if seen.contains(&word) {
                return Err(Diagnostic::error_at(
                    modifier.at,
                    format!("duplicate modifier `{word}`"),
                ));
            }
            seen.push(word);
            match &modifier.kind {
                ModifierKind::Ascii => m.flags.ascii = true,
                ModifierKind::Wide => m.flags.wide = true,
                ModifierKind::Nocase => m.flags.nocase = true,
                ModifierKind::Fullword => m.flags.fullword = true,
                ModifierKind::Private => m.private = true,
                ModifierKind::Xor(lo, hi) => m.xor = Some((*lo, *hi)),
                ModifierKind::Base64(alphabet) => m.base64 = Some(*alphabet),
                ModifierKind::Base64Wide(alphabet) => m.base64wide = Some(*alphabet),
            }
        }
        let Some(start) = written.first().map(|m| m.at) else {
            return Ok(m);
        };
        let has = |w: &str| seen.contains(&w);
        let conflict = if has("xor") && has("nocase") {
            Some("xor nocase")
        } else if m.base64.is_some() || m.base64wide.is_some() {
            ["nocase", "xor", "fullword"]
                .into_iter()
                .find(|w| has(w))
                .map(|_| "base64 with nocase, xor or fullword")
        } else {
            None
        };
        if let Some(what) = conflict {
            return Err(Diagnostic::error_at(
                start,
                format!("invalid modifier combination: {what}"),
            ));
        }
        if let (Some(a), Some(b)) = (&m.base64, &m.base64wide) {
            if a != b {
                return Err(Diagnostic::error_at(
                    start,
                    "base64 and base64wide with different alphabets",
                ));
            }
        }
        if m.xor.is_some() && m.flags.wide && m.flags.fullword {
            return Err(Diagnostic::unsupported_at(
                start,
                "`xor` with `wide` and `fullword`",
            ));
        }
        Ok(m)
    }

    /// The patterns of `text` and the scanner flags they take: the text itself with the
    /// flags, or the explicit forms of `xor` and `base64` (see `modifiers`).
    fn expand(&self, text: Vec<u8>) -> (Vec<hex::Variant>, StringFlags) {
        let f = self.flags;
        let explicit = StringFlags {
            fullword: f.fullword,
            ..StringFlags::default()
        };
        if let Some(keys) = self.xor {
            return (
                modifiers::xor_patterns(&text, f.ascii, f.wide, keys),
                explicit,
            );
        }
        if self.base64.is_some() || self.base64wide.is_some() {
            let patterns = modifiers::base64_patterns(
                &text,
                f.ascii,
                f.wide,
                self.base64.as_ref(),
                self.base64wide.as_ref(),
            );
            return (patterns, StringFlags::default());
        }
        let mask = vec![0xff; text.len()];
        (vec![(text, mask)], f)
    }
}
