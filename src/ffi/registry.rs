//! The table of live handles: what makes a freed or foreign handle an error instead of undefined
//! behaviour.
//!
//! A handle given to C is not the address of its object. It is a word that names a *slot* of
//! this table and the *generation* the slot had when the handle was made:
//!
//! ```text
//!   bit 0 ........ 7   HANDLE_MARK (0xA5: odd, so no aligned pointer ever carries it)
//!   bit 8 ... 8+I-1    slot index (I = INDEX_BITS)
//!   the bits above     generation of the slot when the handle was made (wrapping)
//! ```
//!
//! A slot holds a *state* word, `generation << 16 | type tag` (tag 0 = empty), and the address of
//! the object. Making a handle takes a free slot, stores the object's address, then publishes the
//! state with release ordering. Freeing a handle swaps the state to the next generation with tag
//! 0, so every copy of the old handle stops matching, and only then drops the object.
//!
//! Looking a handle up reads only this table: the mark, then the slot's state (acquire), which
//! must equal the handle's generation and the expected type's tag, then the object's address.
//! Slots live in chunks that are allocated on first use and never freed, and chunk pointers sit
//! in a fixed static array, so any word a caller passes, a freed handle, a handle of another
//! type or a stray pointer, is read without touching freed memory. The lookup is a few loads
//! and compares, which keeps the hot policy calls in the nanosecond range.
//!
//! Freeing a handle while another thread still uses it remains the caller's error, as with any
//! C object: the table catches use *after* free, not use *during* free.

use crate::{Error, Result};
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::Mutex;

/// Low byte of every handle word.
const HANDLE_MARK: usize = 0xA5;
/// Bits of a handle word below the slot index.
const MARK_BITS: u32 = 8;
/// Bits of the slot index: 4 Mi live handles on 64-bit targets, 4 Ki on 32-bit ones.
const INDEX_BITS: u32 = if usize::BITS >= 64 { 22 } else { 12 };
/// Bits of the generation carried by a handle word.
const HANDLE_GENERATION_BITS: u32 = usize::BITS - MARK_BITS - INDEX_BITS;
/// Slots per chunk.
const CHUNK_SLOTS: usize = 1024;
/// Chunks the table can hold.
const CHUNK_COUNT: usize = (1 << INDEX_BITS) / CHUNK_SLOTS;
/// Most handles alive at once.
pub(crate) const MAX_LIVE_HANDLES: usize = 1 << INDEX_BITS;
/// Bits of a slot's state below the generation (the type tag).
const TAG_BITS: u32 = 16;
/// The type tag of an empty slot.
const EMPTY: u16 = 0;

/// One entry of the table.
struct Slot {
    /// `generation << TAG_BITS | tag`.
    state: AtomicU64,
    /// The object of the live handle, or null.
    object: AtomicPtr<()>,
}

/// The chunks; a null entry has not been allocated yet.
static CHUNKS: [AtomicPtr<Slot>; CHUNK_COUNT] =
    [const { AtomicPtr::new(ptr::null_mut()) }; CHUNK_COUNT];

/// Slot allocation: the free list and the first index never used.
struct Allocator {
    free: Vec<usize>,
    next_unused: usize,
}

static ALLOCATOR: Mutex<Allocator> = Mutex::new(Allocator {
    free: Vec::new(),
    next_unused: 0,
});

/// What a handle word names, when the lookup fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stale {
    /// The word was never a specrt handle.
    Foreign,
    /// The handle was freed (its slot has moved on to a newer generation).
    Freed,
    /// The handle is live, with this other type tag.
    OtherType(u16),
}

/// The generation, truncated to what a handle word carries.
fn handle_generation(generation: u64) -> usize {
    (generation & ((1u64 << HANDLE_GENERATION_BITS) - 1)) as usize
}

fn encode(index: usize, generation: u64) -> usize {
    HANDLE_MARK | (index << MARK_BITS) | (handle_generation(generation) << (MARK_BITS + INDEX_BITS))
}

/// The slot a handle word names, if its mark is right and its chunk exists.
#[inline(always)]
fn slot_of(word: usize) -> Option<(&'static Slot, usize)> {
    if word & 0xFF != HANDLE_MARK {
        return None;
    }
    let index = (word >> MARK_BITS) & ((1 << INDEX_BITS) - 1);
    let chunk = CHUNKS[index / CHUNK_SLOTS].load(Ordering::Acquire);
    if chunk.is_null() {
        return None;
    }
    // SAFETY: a non-null chunk pointer points at CHUNK_SLOTS slots that are never freed.
    let slot = unsafe { &*chunk.add(index % CHUNK_SLOTS) };
    Some((slot, word >> (MARK_BITS + INDEX_BITS)))
}

/// The object behind `word` when it is a live handle with type `tag`.
#[inline(always)]
pub(crate) fn lookup(word: usize, tag: u16) -> Option<*mut ()> {
    let (slot, generation) = slot_of(word)?;
    let state = slot.state.load(Ordering::Acquire);
    if state as u16 != tag || handle_generation(state >> TAG_BITS) != generation {
        return None;
    }
    Some(slot.object.load(Ordering::Relaxed))
}

/// Why `word` is not a live handle with type `tag` (call after [`lookup`] failed).
pub(crate) fn diagnose(word: usize) -> Stale {
    let Some((slot, generation)) = slot_of(word) else {
        return Stale::Foreign;
    };
    let state = slot.state.load(Ordering::Acquire);
    let slot_generation = state >> TAG_BITS;
    if slot_generation == 0 {
        // Never handed out: generations start at 1.
        Stale::Foreign
    } else if handle_generation(slot_generation) == generation && state as u16 != EMPTY {
        Stale::OtherType(state as u16)
    } else {
        Stale::Freed
    }
}

/// Registers `object` with type `tag` and returns its handle word.
pub(crate) fn insert(object: *mut (), tag: u16) -> Result<usize> {
    debug_assert_ne!(tag, EMPTY);
    let index = {
        let mut allocator = ALLOCATOR.lock().unwrap_or_else(|e| e.into_inner());
        match allocator.free.pop() {
            Some(index) => index,
            None => {
                let index = allocator.next_unused;
                if index >= MAX_LIVE_HANDLES {
                    return Err(Error::OutOfMemory(format!(
                        "{MAX_LIVE_HANDLES} specrt handles are alive; free the ones no longer used"
                    )));
                }
                let chunk = &CHUNKS[index / CHUNK_SLOTS];
                if chunk.load(Ordering::Acquire).is_null() {
                    let slots: Box<[Slot]> = (0..CHUNK_SLOTS)
                        .map(|_| Slot {
                            state: AtomicU64::new(0),
                            object: AtomicPtr::new(ptr::null_mut()),
                        })
                        .collect();
                    chunk.store(Box::leak(slots).as_mut_ptr(), Ordering::Release);
                }
                allocator.next_unused += 1;
                index
            }
        }
    };
    let (slot, _) = slot_of(encode(index, 0)).expect("the slot's chunk was just allocated");
    // The slot is empty and owned by this call: no other thread publishes into it.
    let generation = (slot.state.load(Ordering::Relaxed) >> TAG_BITS).max(1);
    slot.object.store(object, Ordering::Relaxed);
    slot.state
        .store(generation << TAG_BITS | u64::from(tag), Ordering::Release);
    Ok(encode(index, generation))
}

/// Unregisters the live handle `word` of type `tag` and returns its object, which the caller
/// now owns; else why it is not such a handle.
pub(crate) fn remove(word: usize, tag: u16) -> std::result::Result<*mut (), Stale> {
    let Some((slot, generation)) = slot_of(word) else {
        return Err(Stale::Foreign);
    };
    let state = slot.state.load(Ordering::Acquire);
    if state as u16 != tag || handle_generation(state >> TAG_BITS) != generation {
        return Err(diagnose(word));
    }
    let next = (((state >> TAG_BITS) + 1) & (u64::MAX >> TAG_BITS)).max(1) << TAG_BITS;
    if slot
        .state
        .compare_exchange(
            state,
            next | u64::from(EMPTY),
            Ordering::AcqRel,
            Ordering::Acquire,
        )
        .is_err()
    {
        // Another thread freed it first.
        return Err(Stale::Freed);
    }
    let object = slot.object.swap(ptr::null_mut(), Ordering::Relaxed);
    let index = (word >> MARK_BITS) & ((1 << INDEX_BITS) - 1);
    ALLOCATOR
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .free
        .push(index);
    Ok(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: u16 = 0x7001;
    const OTHER: u16 = 0x7002;

    #[test]
    fn live_freed_foreign_and_other_type_words_are_told_apart() {
        let mut value = 5u32;
        let object = (&mut value as *mut u32).cast::<()>();
        let word = insert(object, TAG).unwrap();
        assert_eq!(lookup(word, TAG), Some(object));
        assert_eq!(lookup(word, OTHER), None);
        assert_eq!(diagnose(word), Stale::OtherType(TAG));
        assert_eq!(remove(word, OTHER), Err(Stale::OtherType(TAG)));
        assert_eq!(remove(word, TAG), Ok(object));
        assert_eq!(lookup(word, TAG), None);
        assert_eq!(diagnose(word), Stale::Freed);
        assert_eq!(remove(word, TAG), Err(Stale::Freed));
        // An aligned address is never a handle.
        assert_eq!(diagnose(&value as *const u32 as usize), Stale::Foreign);
        assert_eq!(diagnose(0), Stale::Foreign);
    }

    #[test]
    fn a_reused_slot_does_not_revive_old_handles() {
        let mut first = 1u8;
        let mut second = 2u8;
        let old = insert((&mut first as *mut u8).cast(), TAG).unwrap();
        remove(old, TAG).unwrap();
        // Handles of other tests may take the freed slot first; insert until one reuses it.
        let mut words = Vec::new();
        let reused = loop {
            let word = insert((&mut second as *mut u8).cast(), TAG).unwrap();
            words.push(word);
            if (word ^ old) & ((1 << (MARK_BITS + INDEX_BITS)) - 1) == 0 {
                break word;
            }
            assert!(words.len() < 10_000, "the freed slot was never reused");
        };
        assert_ne!(reused, old);
        assert_eq!(lookup(old, TAG), None);
        assert_eq!(diagnose(old), Stale::Freed);
        assert!(lookup(reused, TAG).is_some());
        for word in words {
            remove(word, TAG).unwrap();
        }
    }
}
