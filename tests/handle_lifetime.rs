//! Freed, reused, foreign and wrongly typed handles through the C ABI. `make test-asan` runs
//! this file with the library built under AddressSanitizer: any read of freed memory while a
//! handle is validated aborts the run with a report.

use specrt::ffi::autotune::*;
use specrt::ffi::last_error::last_error_message;
use specrt::ffi::speculator::*;
use specrt::ffi::status::*;
use specrt::ffi::window::*;
use std::ptr;

fn new_speculator() -> *mut specrt_speculator {
    let mut out = ptr::null_mut();
    assert_eq!(unsafe { specrt_speculator_new(15, &mut out) }, SPECRT_OK);
    out
}

fn assert_invalid(status: specrt_status, mentions: &str) {
    assert_eq!(status, SPECRT_ERROR_INVALID_HANDLE);
    let message = last_error_message();
    assert!(message.contains(mentions), "{message}");
}

#[test]
fn a_freed_handle_is_an_error_on_every_later_call() {
    let speculator = new_speculator();
    let report = specrt::ffi::report::specrt_report {
        committed_tiles: 1,
        rolled_back_tiles: 1,
    };
    assert_eq!(
        unsafe { specrt_speculator_record(speculator, report) },
        SPECRT_OK
    );
    unsafe { specrt_speculator_free(speculator) };

    assert_invalid(
        unsafe { specrt_speculator_record(speculator, report) },
        "already freed",
    );
    assert!(!unsafe { specrt_speculator_should_speculate(speculator) });
    assert!(last_error_message().contains("already freed"));
    assert_eq!(unsafe { specrt_speculator_samples(speculator) }, 0);
    // A second free is refused and frees nothing.
    unsafe { specrt_speculator_free(speculator) };
    assert!(last_error_message().contains("already freed"));
}

#[test]
fn a_freed_handle_stays_invalid_after_its_slot_is_reused() {
    let old = new_speculator();
    unsafe { specrt_speculator_free(old) };
    // New handles take freed slots first; make enough that one takes the old one's.
    let fresh: Vec<_> = (0..64).map(|_| new_speculator()).collect();
    assert!(fresh.iter().all(|&h| h != old));
    assert!(!unsafe { specrt_speculator_should_speculate(old) });
    assert!(last_error_message().contains("already freed"));
    for handle in fresh {
        assert_eq!(unsafe { specrt_speculator_samples(handle) }, 0);
        unsafe { specrt_speculator_free(handle) };
    }
}

#[test]
fn handles_of_another_type_and_plain_pointers_are_refused() {
    let mut store = ptr::null_mut();
    let mut window = ptr::null_mut();
    assert_eq!(unsafe { specrt_autotune_store_new(&mut store) }, SPECRT_OK);
    assert_eq!(unsafe { specrt_paired_window_new(&mut window) }, SPECRT_OK);
    let report = specrt::ffi::report::specrt_report {
        committed_tiles: 1,
        rolled_back_tiles: 1,
    };
    assert_invalid(
        unsafe { specrt_speculator_record(store.cast(), report) },
        "it is a specrt_autotune_store",
    );
    assert_invalid(
        unsafe { specrt_speculator_record(window.cast(), report) },
        "it is a specrt_paired_window",
    );
    // Memory that is not a handle, even memory laid out like the object, is refused unread.
    let lookalike = Box::new([0u64; 8]);
    assert_invalid(
        unsafe { specrt_speculator_record((&*lookalike as *const [u64; 8]).cast(), report) },
        "not a specrt handle",
    );
    // Freeing through the wrong type frees nothing.
    unsafe { specrt_speculator_free(store.cast()) };
    assert!(last_error_message().contains("specrt_autotune_store"));
    assert_eq!(unsafe { specrt_autotune_store_len(store) }, 0);
    unsafe {
        specrt_autotune_store_free(store);
        specrt_paired_window_free(window);
    }
    assert_eq!(unsafe { specrt_autotune_store_len(store) }, 0);
    assert!(last_error_message().contains("already freed"));
}

#[test]
fn handles_made_and_freed_on_many_threads_never_alias() {
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                for round in 0..2_000u32 {
                    let handle = new_speculator();
                    let report = specrt::ffi::report::specrt_report {
                        committed_tiles: round % 7,
                        rolled_back_tiles: 7 - round % 7,
                    };
                    assert_eq!(
                        unsafe { specrt_speculator_record(handle, report) },
                        SPECRT_OK
                    );
                    // Only this thread's record reached this handle.
                    assert_eq!(unsafe { specrt_speculator_samples(handle) }, 1);
                    unsafe { specrt_speculator_free(handle) };
                    assert!(!unsafe { specrt_speculator_should_speculate(handle) });
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}
