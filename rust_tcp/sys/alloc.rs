// SPDX-License-Identifier: GPL-2.0

//! Allocation helpers 6.12's `kernel::alloc` lacks.

use kernel::alloc::flags::__GFP_ZERO;
use kernel::prelude::*;

/// A zeroed `[u8; N]` on the heap, allocated in place (an array built on
/// the stack and moved would cost `N` bytes of kernel stack). GFP_ATOMIC:
/// callers run in softirq or under spinlocks.
pub(crate) fn zeroed_bytes<const N: usize>() -> Option<KBox<[u8; N]>> {
    let b = KBox::<[u8; N]>::new_uninit(GFP_ATOMIC | __GFP_ZERO).ok()?;
    // SAFETY: __GFP_ZERO zeroed the allocation, and all-zero bytes are a
    // valid `[u8; N]`.
    Some(unsafe { b.assume_init() })
}

/// An initialiser that moves in a value built fallibly beforehand, for
/// state that needs no pinning but is asked for as a [`PinInit`].
pub(crate) fn init_from_result<T>(r: Result<T>) -> impl PinInit<T, Error> {
    // SAFETY: on `Ok` the closure writes a valid `T` into `slot` (which the
    // caller guarantees valid for writes) and returns `Ok`; on `Err` it
    // writes nothing and the slot is left uninitialised, as allowed.
    unsafe {
        kernel::init::pin_init_from_closure(move |slot: *mut T| {
            slot.write(r?);
            Ok(())
        })
    }
}
