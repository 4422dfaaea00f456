//! YARA's `time` module: `time.now()`, the current time.
//!
//! `now()` is the number of whole seconds since the Unix epoch (1970-01-01 00:00:00 UTC), as
//! C's `time(NULL)` gives it, read at each call.
//!
//! YARA makes the result undefined when `time` fails; here a system clock set before the epoch
//! is the only failure, and gives undefined as well.

use crate::scan::modules::schema::{member, Kind, Member, Overload, Ret};
use crate::scan::modules::{CallArgs, Returned};
use std::time::{SystemTime, UNIX_EPOCH};

/// The module's function.
pub const DECLARATIONS: &[Member] = &[member(
    "now",
    Kind::Function(&[Overload {
        args: &[],
        ret: Ret::Int,
        call: now,
    }]),
)];

/// `now()`: seconds since the epoch.
fn now(_: &CallArgs<'_>) -> Option<Returned> {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
    i64::try_from(since.as_secs()).ok().map(Returned::Int)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::modules::hash::tests::call;

    fn seconds() -> i64 {
        let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        since.as_secs() as i64
    }

    #[test]
    fn now_is_the_current_time_in_seconds() {
        let before = seconds();
        let Some(Returned::Int(now)) = call(DECLARATIONS, "now", 0, b"", &[]) else {
            panic!("now() is an integer");
        };
        let after = seconds();
        assert!(
            (before..=after).contains(&now),
            "{before} <= {now} <= {after}"
        );
        // Later than 2020-09-13 (1.6e9 seconds).
        assert!(now > 1_600_000_000);
    }
}
