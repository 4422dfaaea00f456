//! The store loader on hostile input: no input panics, hangs or overflows the stack; every
//! rejection is a positioned parse error.

use proptest::prelude::*;
use specrt::policy::autotune::file::parse_store;
use specrt::Error;

const VALID: &str = r#"schema = 1

[[record]]
key = "0123456789abcdef0123456789abcdef"
adapter = "portable-vk-rtx5090"
workgroup_size = [128, 1, 1]
unroll = 4
tile = [16, 16, 1]
recorded_at = "2026-05-02"
"#;

fn assert_clean_outcome(bytes: &[u8]) {
    match parse_store(bytes, "fuzz.toml") {
        Ok(_) => {}
        Err(Error::Parse { line, column, .. }) => assert!(line >= 1 && column >= 1),
        Err(other) => panic!("unexpected error kind: {other}"),
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for open in ["[", "{a=", "[[", "a.", "{"] {
        let text = format!("x = {}", open.repeat(200_000));
        assert_clean_outcome(text.as_bytes());
    }
}

#[test]
fn long_lines_and_many_records_stay_fast() {
    let big = VALID.replace("portable-vk-rtx5090", &"a".repeat(1_000_000));
    assert_clean_outcome(big.as_bytes());
    let many = VALID.repeat(2_000).replace("schema = 1\n", "");
    let records = parse_store(many.as_bytes(), "many.toml").unwrap();
    assert_eq!(records.len(), 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        assert_clean_outcome(&bytes);
    }

    #[test]
    fn mutated_valid_files(edits in proptest::collection::vec((0usize..VALID.len(), any::<u8>()), 1..8),
                           cut in 0usize..=VALID.len()) {
        let mut bytes = VALID.as_bytes().to_vec();
        for (at, byte) in edits {
            bytes[at] = byte;
        }
        bytes.truncate(cut.max(1));
        assert_clean_outcome(&bytes);
    }

    #[test]
    fn toml_shaped_noise(text in "(schema|record|key|adapter|unroll|tile|\\[|\\]|=|\"|,|\\{|\\}|[0-9]|\n| ){0,200}") {
        assert_clean_outcome(text.as_bytes());
    }
}
