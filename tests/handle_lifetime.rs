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

/// Leaves a last error that no check below expects, so that each check sees its own call's.
fn reset_last_error() {
    let report = specrt::ffi::report::specrt_report {
        committed_tiles: 0,
        rolled_back_tiles: 0,
    };
    let status = unsafe { specrt_speculator_record(ptr::null(), report) };
    assert_eq!(status, SPECRT_ERROR_NULL_POINTER);
    assert!(!last_error_message().contains("freed"));
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
    reset_last_error();
    assert!(!unsafe { specrt_speculator_should_speculate(speculator) });
    assert!(last_error_message().contains("already freed"));
    reset_last_error();
    assert_eq!(unsafe { specrt_speculator_samples(speculator) }, 0);
    assert!(last_error_message().contains("already freed"));
    // A second free is refused and frees nothing.
    reset_last_error();
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
    reset_last_error();
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
    // Freeing through the wrong type frees nothing: the store still answers without an error.
    unsafe { specrt_speculator_free(store.cast()) };
    assert!(last_error_message().contains("specrt_autotune_store"));
    reset_last_error();
    assert_eq!(unsafe { specrt_autotune_store_len(store) }, 0);
    assert!(!last_error_message().contains("specrt_autotune_store"));
    unsafe {
        specrt_autotune_store_free(store);
        specrt_paired_window_free(window);
    }
    reset_last_error();
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

#[test]
fn two_threads_freeing_one_handle_free_it_once() {
    for _ in 0..200 {
        let handle = new_speculator() as usize;
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    reset_last_error();
                    barrier.wait();
                    unsafe { specrt_speculator_free(handle as *mut specrt_speculator) };
                    last_error_message().contains("already freed")
                })
            })
            .collect();
        let refused: Vec<bool> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        // Exactly one thread freed it; the other was told it was already freed.
        assert_eq!(refused.iter().filter(|&&r| r).count(), 1, "{refused:?}");
    }
}
