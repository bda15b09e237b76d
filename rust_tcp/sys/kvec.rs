// SPDX-License-Identifier: GPL-2.0

//! What 6.12's `KVec` lacks and our tables need: removing elements.

use kernel::alloc::KVec;

/// Removes and returns element `i`, moving the last element into its place
/// (O(1), order not kept). `None` if `i` is out of bounds.
pub(crate) fn swap_remove<T>(v: &mut KVec<T>, i: usize) -> Option<T> {
    let last = v.len().checked_sub(1)?;
    if i > last {
        return None;
    }
    v.as_mut_slice().swap(i, last);
    // SAFETY: `last < len`, so the element is initialised; after reading it
    // out, shrinking the length by one forgets it without dropping it, so
    // it is owned exactly once, by the returned value.
    unsafe {
        let item = core::ptr::read(v.as_ptr().add(last));
        v.set_len(last);
        Some(item)
    }
}
