//! Model checking of the speculator's lock-free update with loom: under every interleaving of
//! concurrent `record` calls no sample is lost and the final state is one that some sequential
//! order of the same reports produces. Run with `make test-loom`
//! (`RUSTFLAGS="--cfg loom" cargo test --no-default-features --test loom_speculator`).
#![cfg(loom)]

use loom::sync::Arc;
use specrt::policy::speculator::AdaptiveSpeculator;
use specrt::policy::SpeculationReport;

/// (commit rate, enabled) after recording `reports` in this order.
fn sequential(reports: &[SpeculationReport]) -> (u32, bool) {
    let s = AdaptiveSpeculator::new(50);
    for r in reports {
        s.record(*r);
    }
    (s.commit_rate_ppm(), s.should_speculate())
}

fn permutations(items: &[SpeculationReport]) -> Vec<Vec<SpeculationReport>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(i);
        for mut tail in permutations(&rest) {
            tail.insert(0, first);
            out.push(tail);
        }
    }
    out
}

#[test]
fn concurrent_records_lose_nothing() {
    // A falling then rising hit rate, so that the enabled flag flips along some orders.
    let reports = [
        SpeculationReport::new(0, 100),
        SpeculationReport::new(100, 0),
        SpeculationReport::new(10, 90),
    ];
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(3);
    model.check(move || {
        // Loom's atomics exist only inside the model, so the sequential outcomes are computed here.
        let outcomes: Vec<(u32, bool)> = permutations(&reports)
            .iter()
            .map(|p| sequential(p))
            .collect();
        let s = Arc::new(AdaptiveSpeculator::new(50));
        let threads: Vec<_> = reports
            .iter()
            .map(|&r| {
                let s = s.clone();
                loom::thread::spawn(move || s.record(r))
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(s.samples(), reports.len() as u64);
        let state = (s.commit_rate_ppm(), s.should_speculate());
        assert!(
            outcomes.contains(&state),
            "{state:?} is no sequential outcome"
        );
    });
}
