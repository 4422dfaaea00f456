//! Creating and dropping contexts and scanners many times in one process: nothing accumulates
//! (a host that recreates its context after device loss must be able to do so indefinitely).

mod common;

use specrt::scan::{RuleSet, ScanOptions, Scanner, StringFlags};
use std::sync::Arc;

#[test]
fn contexts_and_scanners_can_be_recreated_many_times() {
    let mut rules = RuleSet::new();
    rules
        .add_string(1, 0, b"abcd", &[], StringFlags::default())
        .unwrap();
    let rounds: usize = std::env::var("SPECRT_CHURN_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    for round in 0..rounds {
        let Some(ctx) = common::context() else { return };
        let ctx = Arc::new(ctx);
        let scanner = Scanner::new(Some(ctx.clone()), &rules).unwrap();
        let result = scanner
            .scan(
                b"xxabcdxx",
                &ScanOptions {
                    backend: common::gpu_backend(&scanner),
                    ..Default::default()
                },
                None,
                None,
            )
            .unwrap();
        assert_eq!(result.matches.len(), 1, "round {round}");
        drop(scanner);
        assert_eq!(
            Arc::strong_count(&ctx),
            1,
            "the scanner released its context"
        );
    }
}
