//! The sources of one compilation: YARA texts, each in a namespace, and the texts their
//! `include` statements name.
//!
//! `include "name"` splices the tokens of another text in place of the statement, as yara's
//! lexer does, so an included file's rules join the namespace of the source that includes it.
//! An [`IncludeResolver`] finds the text: [`FileIncludes`] reads files relative to the including
//! file's directory (the current directory for a source that is not a file), as yara's default
//! does; an engine may resolve names itself (from memory, a database) or refuse includes with
//! [`NoIncludes`]. Includes nest at most [`MAX_INCLUDE_DEPTH`] deep, which also ends cycles, and
//! all the texts of one source together stay within [`super::MAX_SOURCE_BYTES`]. Every token
//! remembers which text it came from, so an error names the included file and its line.

use super::lexer::{tokenize, Tok, Token};
use super::{Diagnostic, MAX_SOURCE_BYTES};
use crate::{Error, Result};
use std::path::Path;

/// Deepest nesting of `include` (yara's `YR_MAX_INCLUDE_DEPTH`).
pub(crate) const MAX_INCLUDE_DEPTH: usize = 16;

/// One YARA source of a compilation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The text.
    pub text: Vec<u8>,
    /// Its name in messages; for a file, its path (includes are found from its directory).
    pub origin: String,
    /// The namespace its rules go into (`default` for yara's default).
    pub namespace: String,
}

/// Finds the text that an `include` statement names.
pub trait IncludeResolver {
    /// The (origin, text) of `name`, included from the text named `from`; a message when it
    /// cannot be had.
    fn include(&mut self, name: &str, from: &str)
        -> std::result::Result<(String, Vec<u8>), String>;
}

/// Includes read from files: a relative name is found from the including file's directory.
/// Only regular files are read (a FIFO or a device could block the compilation).
#[derive(Clone, Copy, Debug, Default)]
pub struct FileIncludes;

impl IncludeResolver for FileIncludes {
    fn include(
        &mut self,
        name: &str,
        from: &str,
    ) -> std::result::Result<(String, Vec<u8>), String> {
        let named = Path::new(name);
        let path = match Path::new(from).parent() {
            Some(dir) if named.is_relative() => dir.join(named),
            _ => named.to_path_buf(),
        };
        let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        // Only regular files: a FIFO, a terminal or `/dev/stdin` would block the compiler.
        let meta = file
            .metadata()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if !meta.is_file() {
            return Err(format!("{}: not a regular file", path.display()));
        }
        let mut text = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(&file, MAX_SOURCE_BYTES as u64 + 1),
            &mut text,
        )
        .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok((path.display().to_string(), text))
    }
}

/// Includes refused: an `include` statement is an error.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoIncludes;

impl IncludeResolver for NoIncludes {
    fn include(&mut self, _: &str, _: &str) -> std::result::Result<(String, Vec<u8>), String> {
        Err("includes are disabled for this compilation".into())
    }
}

/// The tokens of `source` with its includes spliced in (ending with `Tok::End`). `origins`
/// receives the name of every text, indexed by the tokens' `file`.
pub(super) fn tokens_of(
    source: &Source,
    origins: &mut Vec<String>,
    resolver: &mut dyn IncludeResolver,
) -> Result<Vec<Token>> {
    let mut budget = MAX_SOURCE_BYTES;
    let mut tokens = Vec::new();
    splice(
        &source.text,
        &source.origin,
        origins,
        resolver,
        0,
        &mut budget,
        &mut tokens,
    )?;
    Ok(tokens)
}

/// Appends the tokens of `text` (named `origin`), includes expanded; only the outermost text
/// (`depth` 0) keeps its `End`.
fn splice(
    text: &[u8],
    origin: &str,
    origins: &mut Vec<String>,
    resolver: &mut dyn IncludeResolver,
    depth: usize,
    budget: &mut usize,
    out: &mut Vec<Token>,
) -> Result<()> {
    if text.len() > *budget {
        return Err(Error::TooLarge(format!(
            "{origin}: the source and its includes exceed {MAX_SOURCE_BYTES} bytes"
        )));
    }
    *budget -= text.len();
    let file = origins.len() as u32;
    origins.push(origin.to_string());
    let tokens = tokenize(text).map_err(|d| d.into_error(origin, None))?;
    let mut i = 0;
    while i < tokens.len() {
        let token = &tokens[i];
        match (&token.tok, tokens.get(i + 1).map(|t| &t.tok)) {
            (Tok::End, _) if depth > 0 => break,
            (Tok::Ident(word), Some(Tok::Text(name))) if word == "include" => {
                let at = |message: String| {
                    Diagnostic::syntax(token.line, token.column, message).into_error(origin, None)
                };
                if depth + 1 >= MAX_INCLUDE_DEPTH {
                    return Err(at(format!(
                        "includes nest deeper than {MAX_INCLUDE_DEPTH} (an include cycle?)"
                    )));
                }
                let name = String::from_utf8_lossy(name).into_owned();
                let (included, text) = resolver
                    .include(&name, origin)
                    .map_err(|m| at(format!("cannot include `{name}`: {m}")))?;
                splice(&text, &included, origins, resolver, depth + 1, budget, out)?;
                i += 2;
            }
            _ => {
                out.push(Token {
                    file,
                    ..token.clone()
                });
                i += 1;
            }
        }
    }
    Ok(())
}
