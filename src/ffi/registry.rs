//! The table of live handles: what makes a freed or foreign handle an error instead of undefined
//! behaviour.
//!
//! A handle given to C is not the address of its object. It is a word that names its type, a
//! *slot* of this table and the *generation* the slot had when the handle was made:
//!
//! ```text
//!   bits 0 .. M-1      HANDLE_MARK (odd, so no aligned pointer ever carries it)
//!   bits M .. 2M-1     type tag
//!   next I bits        slot index
//!   the bits above     generation of the slot (counts its reuses)
//! ```
//!
//! M is 8 and I 22 on 64-bit targets (4 Mi live handles, 26 bits of generation); 4 and 10 on
//! 32-bit ones (1 Ki live handles, 14 bits). A slot whose generation would wrap is retired
//! instead of reused, so no freed handle ever matches a later one.
//!
//! A slot holds the word of its live handle and the address of the object. Making a handle
//! takes a free slot, stores the object's address, then publishes the word with release
//! ordering. Freeing a handle swaps the slot's word for the same word with the FREED_BIT set
//! (a bit no handle word has), so every copy of the handle stops matching, and only then drops
//! the object; the slot's next handle carries the next generation.
//!
//! Looking a handle up for type T reads only this table: the word's low 16 bits must be the mark
//! and T's tag, and the slot's word (acquire) must equal the handle word, which checks type,
//! index and generation in one compare; then comes the object's address. The first chunk of
//! slots is static; the others are allocated on first use and never freed, and their pointers
//! sit in a fixed static array, so any word a caller passes, a freed handle, a handle of another type or a stray
//! pointer, is read without touching freed memory. The lookup is a few loads and compares,
//! which keeps the hot policy calls in the nanosecond range.
//!
//! Freeing a handle while another thread still uses it remains the caller's error, as with any
//! C object: the table catches use *after* free, not use *during* free.

use crate::{Error, Result};
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Bits of the mark, and of the type tag.
const MARK_BITS: u32 = if usize::BITS >= 64 { 8 } else { 4 };
const MARK_MASK: usize = (1 << MARK_BITS) - 1;
/// The low bits of every handle word.
const HANDLE_MARK: usize = 0xA5 & MARK_MASK;
/// Set in a slot's word once its handle is freed; clear in every handle word (HANDLE_MARK has
/// it clear).
const FREED_BIT: usize = 0x02;
/// Bits of a handle word below the slot index: the mark and the type tag.
const INDEX_SHIFT: u32 = 2 * MARK_BITS;
/// Bits of the slot index: 4 Mi live handles on 64-bit targets, 1 Ki on 32-bit ones.
const INDEX_BITS: u32 = if usize::BITS >= 64 { 22 } else { 10 };
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;
/// Where the generation starts in a handle word.
const GENERATION_SHIFT: u32 = INDEX_SHIFT + INDEX_BITS;
/// The last generation a slot serves before it is retired.
const LAST_GENERATION: usize = usize::MAX >> GENERATION_SHIFT;
/// Slots per chunk.
const CHUNK_SLOTS: usize = 1024;
/// Chunks the table can hold.
const CHUNK_COUNT: usize = (1usize << INDEX_BITS).div_ceil(CHUNK_SLOTS);
/// Most handles alive at once.
pub(crate) const MAX_LIVE_HANDLES: usize = 1 << INDEX_BITS;

/// One entry of the table.
struct Slot {
    /// The word of the slot's last handle (FREED_BIT set once freed); 0 if never used.
    word: AtomicUsize,
    /// The object of the live handle, or null.
    object: AtomicPtr<()>,
}

impl Slot {
    const fn empty() -> Self {
        Slot {
            word: AtomicUsize::new(0),
            object: AtomicPtr::new(ptr::null_mut()),
        }
    }
}

/// The first chunk, static: the common case of fewer than CHUNK_SLOTS live handles needs no
/// chunk pointer.
static FIRST_CHUNK: [Slot; CHUNK_SLOTS] = [const { Slot::empty() }; CHUNK_SLOTS];

/// The other chunks; a null entry has not been allocated yet (entry 0 stays null: its slots
/// are FIRST_CHUNK).
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

/// What a word that is not a live handle of the expected type is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stale {
    /// The word was never a specrt handle.
    Foreign,
    /// The handle was freed (its slot may hold a newer handle since).
    Freed,
    /// A live handle with this other type tag.
    OtherType(u8),
}

/// The low 16 bits of every handle word of type `tag`.
#[inline(always)]
fn type_bits(tag: u8) -> usize {
    HANDLE_MARK | (tag as usize) << MARK_BITS
}

/// The slot a handle word names, if its mark is right and its chunk exists.
#[inline(always)]
fn slot_of(word: usize) -> Option<&'static Slot> {
    if word & MARK_MASK != HANDLE_MARK {
        return None;
    }
    let index = (word >> INDEX_SHIFT) & INDEX_MASK;
    if index < CHUNK_SLOTS {
        return Some(&FIRST_CHUNK[index]);
    }
    let chunk = CHUNKS[index / CHUNK_SLOTS].load(Ordering::Acquire);
    if chunk.is_null() {
        return None;
    }
    // SAFETY: a non-null chunk pointer points at CHUNK_SLOTS slots that are never freed.
    Some(unsafe { &*chunk.add(index % CHUNK_SLOTS) })
}

/// The object behind `word` when it is a live handle with type `tag`.
#[inline(always)]
pub(crate) fn lookup(word: usize, tag: u8) -> Option<*mut ()> {
    if word & ((1 << INDEX_SHIFT) - 1) != type_bits(tag) {
        return None;
    }
    let slot = slot_of(word)?;
    if slot.word.load(Ordering::Acquire) != word {
        return None;
    }
    Some(slot.object.load(Ordering::Relaxed))
}

/// What `word` is, when [`lookup`] found no live handle of the expected type there.
pub(crate) fn diagnose(word: usize) -> Stale {
    let Some(slot) = slot_of(word) else {
        return Stale::Foreign;
    };
    match slot.word.load(Ordering::Acquire) {
        0 => Stale::Foreign,
        live if live == word => Stale::OtherType((word >> MARK_BITS & MARK_MASK) as u8),
        _ => Stale::Freed,
    }
}

/// Registers `object` with type `tag` (non-zero, below `1 << MARK_BITS`) and returns its handle
/// word.
pub(crate) fn insert(object: *mut (), tag: u8) -> Result<usize> {
    debug_assert!(tag != 0 && (tag as usize) <= MARK_MASK);
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
                if index >= CHUNK_SLOTS && chunk.load(Ordering::Acquire).is_null() {
                    let slots: Box<[Slot]> = (0..CHUNK_SLOTS).map(|_| Slot::empty()).collect();
                    chunk.store(Box::leak(slots).as_mut_ptr(), Ordering::Release);
                }
                allocator.next_unused += 1;
                index
            }
        }
    };
    let slot = slot_of(HANDLE_MARK | index << INDEX_SHIFT).expect("the chunk was allocated");
    // The slot is free and owned by this call: no other thread publishes into it.
    let previous = slot.word.load(Ordering::Relaxed);
    let generation = if previous == 0 {
        0
    } else {
        (previous >> GENERATION_SHIFT) + 1
    };
    let word = type_bits(tag) | index << INDEX_SHIFT | generation << GENERATION_SHIFT;
    slot.object.store(object, Ordering::Relaxed);
    slot.word.store(word, Ordering::Release);
    Ok(word)
}

/// Unregisters the live handle `word` of type `tag` and returns its object, which the caller
/// now owns; else what the word is.
pub(crate) fn remove(word: usize, tag: u8) -> std::result::Result<*mut (), Stale> {
    if word & ((1 << INDEX_SHIFT) - 1) != type_bits(tag) {
        return Err(diagnose(word));
    }
    let slot = slot_of(word).ok_or(Stale::Foreign)?;
    // Only the live handle's own word is swapped out: a stale or foreign word, or a handle
    // another thread freed first, fails here and is diagnosed.
    if slot
        .word
        .compare_exchange(word, word | FREED_BIT, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return Err(diagnose(word));
    }
    let object = slot.object.swap(ptr::null_mut(), Ordering::Relaxed);
    if word >> GENERATION_SHIFT < LAST_GENERATION {
        ALLOCATOR
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .free
            .push((word >> INDEX_SHIFT) & INDEX_MASK);
    }
    Ok(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: u8 = 0x71;
    const OTHER: u8 = 0x72;

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
            if (word ^ old) & ((1 << GENERATION_SHIFT) - 1) == 0 {
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
