//! The schema-1 TOML store format: reading with positioned errors, and writing.

use super::record::{is_valid_date, AutotuneRecord};
use super::MAX_STORE_FILE_BYTES;
use crate::policy::key::{AutotuneKey, KeyDigest};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Read;

use std::path::Path;
use toml::Spanned;

/// The schema number this version reads and writes.
pub const SCHEMA: i64 = 1;

/// Records of a store file, in key order.
pub type Records = BTreeMap<AutotuneKey, AutotuneRecord>;

#[derive(Deserialize)]
struct FileIn {
    schema: Option<Spanned<i64>>,
    #[serde(default)]
    record: Vec<RecordIn>,
}

#[derive(Deserialize)]
struct RecordIn {
    key: Spanned<String>,
    adapter: String,
    workgroup_size: [u32; 3],
    unroll: u32,
    tile: [u32; 3],
    recorded_at: Option<Spanned<String>>,
}

#[derive(Serialize)]
struct FileOut<'a> {
    schema: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    record: Vec<RecordOut<'a>>,
}

#[derive(Serialize)]
struct RecordOut<'a> {
    key: String,
    adapter: &'a str,
    workgroup_size: [u32; 3],
    unroll: u32,
    tile: [u32; 3],
    #[serde(skip_serializing_if = "str::is_empty")]
    recorded_at: &'a str,
}

/// Reads and parses the store file at `path`; `Ok(None)` when it does not exist.
pub fn read_store_file(path: &Path) -> Result<Option<Records>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, "opening the autotune store", e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_STORE_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, "reading the autotune store", e))?;
    if bytes.len() as u64 > MAX_STORE_FILE_BYTES {
        return Err(Error::TooLarge(format!(
            "{}: the autotune store is over {} bytes; it is not a store file, or it should be split",
            path.display(),
            MAX_STORE_FILE_BYTES
        )));
    }
    parse_store(&bytes, &path.display().to_string()).map(Some)
}

/// Parses store text; `origin` names the file in errors.
pub fn parse_store(bytes: &[u8], origin: &str) -> Result<Records> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        positioned(
            bytes,
            origin,
            e.valid_up_to(),
            "the file is not valid UTF-8".into(),
        )
    })?;
    let file: FileIn = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        positioned(bytes, origin, at, e.message().trim().to_string())
    })?;
    if let Some(schema) = &file.schema {
        if *schema.get_ref() != SCHEMA {
            return Err(positioned(
                bytes,
                origin,
                schema.span().start,
                format!(
                    "unknown schema {}; this version of specrt reads schema {SCHEMA}",
                    schema.get_ref()
                ),
            ));
        }
    }
    let mut records = Records::new();
    for entry in file.record {
        let digest = KeyDigest::from_hex(entry.key.get_ref()).ok_or_else(|| {
            positioned(
                bytes,
                origin,
                entry.key.span().start,
                format!(
                    "key {:?} is not 32 hexadecimal characters",
                    entry.key.get_ref()
                ),
            )
        })?;
        let recorded_at = match entry.recorded_at {
            Some(date) if !is_valid_date(date.get_ref()) => {
                return Err(positioned(
                    bytes,
                    origin,
                    date.span().start,
                    format!("recorded_at {:?} is not a YYYY-MM-DD date", date.get_ref()),
                ))
            }
            Some(date) => date.into_inner(),
            None => String::new(),
        };
        records.insert(
            AutotuneKey {
                digest,
                adapter: entry.adapter,
            },
            AutotuneRecord {
                workgroup_size: entry.workgroup_size,
                unroll: entry.unroll,
                tile: entry.tile,
                recorded_at,
            },
        );
    }
    Ok(records)
}

/// Renders records as schema-1 TOML.
pub fn render_store(records: &Records) -> String {
    let file = FileOut {
        schema: SCHEMA,
        record: records
            .iter()
            .map(|(k, r)| RecordOut {
                key: k.digest.to_string(),
                adapter: &k.adapter,
                workgroup_size: r.workgroup_size,
                unroll: r.unroll,
                tile: r.tile,
                recorded_at: &r.recorded_at,
            })
            .collect(),
    };
    toml::to_string(&file).expect("store records always serialise")
}

/// A parse error at byte offset `at` of `bytes`, with 1-based line and column.
fn positioned(bytes: &[u8], origin: &str, at: usize, message: String) -> Error {
    let (line, column) = line_column(bytes, at);
    Error::Parse {
        origin: origin.to_string(),
        line,
        column,
        message,
    }
}

/// 1-based line and column (in characters) of byte offset `at`.
pub fn line_column(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = &bytes[..at.min(bytes.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"schema = 1

[[record]]
key = "0123456789abcdef0123456789abcdef"
adapter = "portable-vk-rtx5090"
workgroup_size = [128, 1, 1]
unroll = 4
tile = [16, 16, 1]
recorded_at = "2026-05-02"
"#;

    fn err(text: &str) -> String {
        parse_store(text.as_bytes(), "s.toml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reads_the_spec_sample_and_writes_it_back_identically() {
        let records = parse_store(SAMPLE.as_bytes(), "s").unwrap();
        assert_eq!(records.len(), 1);
        let (k, r) = records.iter().next().unwrap();
        assert_eq!(k.digest.to_string(), "0123456789abcdef0123456789abcdef");
        assert_eq!(k.adapter, "portable-vk-rtx5090");
        assert_eq!(
            (r.workgroup_size, r.unroll, r.tile),
            ([128, 1, 1], 4, [16, 16, 1])
        );
        assert_eq!(r.recorded_at, "2026-05-02");
        assert_eq!(render_store(&records), SAMPLE);
    }

    #[test]
    fn schema_and_date_may_be_absent() {
        let text = SAMPLE
            .replace("schema = 1\n", "")
            .replace("recorded_at = \"2026-05-02\"\n", "");
        let records = parse_store(text.as_bytes(), "s").unwrap();
        assert_eq!(records.values().next().unwrap().recorded_at, "");
        assert!(parse_store(b"", "s").unwrap().is_empty());
    }

    #[test]
    fn errors_name_file_and_position() {
        assert!(err("schema = 2\n").starts_with("s.toml:1:10: unknown schema 2"));
        let bad_key = SAMPLE.replace("0123456789abcdef0123456789abcdef", "xyz");
        assert!(
            err(&bad_key).starts_with("s.toml:4:7: key \"xyz\""),
            "{}",
            err(&bad_key)
        );
        let bad_type = SAMPLE.replace("unroll = 4", "unroll = \"four\"");
        assert!(
            err(&bad_type).starts_with("s.toml:7:"),
            "{}",
            err(&bad_type)
        );
        let bad_date = SAMPLE.replace("2026-05-02", "May 2nd");
        assert!(
            err(&bad_date).starts_with("s.toml:9:15:"),
            "{}",
            err(&bad_date)
        );
        assert!(err("[[record]\n").starts_with("s.toml:1:"));
        assert!(err("\u{0}\u{ff}").starts_with("s.toml:1:"));
        assert!(parse_store(&[0x80, 0x81], "s")
            .unwrap_err()
            .to_string()
            .contains("UTF-8"));
        let missing = SAMPLE.replace("tile = [16, 16, 1]\n", "");
        assert!(err(&missing).contains("tile"), "{}", err(&missing));
    }

    #[test]
    fn oversized_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.toml");
        let mut text = String::from("schema = 1\n");
        while text.len() as u64 <= MAX_STORE_FILE_BYTES {
            text.push_str("# padding padding padding padding padding padding padding\n");
        }
        std::fs::write(&path, text).unwrap();
        let e = read_store_file(&path).unwrap_err().to_string();
        assert!(e.contains("big.toml") && e.contains("over"), "{e}");
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column(b"ab\ncd", 4), (2, 2));
        assert_eq!(line_column("é=\n".as_bytes(), 2), (1, 2));
        assert_eq!(line_column(b"x", 99), (1, 2));
    }
}
