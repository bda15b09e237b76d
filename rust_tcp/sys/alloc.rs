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

/// A per-CPU stack of freed `KBox<T>`s, for objects a connection frees and
/// allocates again at a high rate (a round trip empties a ring and the next
/// one fills it). [`CpuCache::take`] and [`CpuCache::put`] touch only this
/// CPU's stack (at most 32 objects), so they are a few instructions where
/// kmalloc and kfree of an object freed on another CPU than it was
/// allocated on take the slab's slow paths, and a reused object need not
/// be cleared again. Objects come back as they were put: a `T` valid then.
///
/// A `static`, inert until [`CpuCache::init`]; its [`CpuCacheReg`] frees
/// what it holds when dropped.
pub(crate) struct CpuCache<T> {
    pcpu: core::sync::atomic::AtomicPtr<core::ffi::c_void>,
    _t: core::marker::PhantomData<KBox<T>>,
}

// SAFETY: the stacks hand `KBox<T>`s from one CPU's context to another's,
// which `T: Send` allows; each stack is touched only by its own CPU with BH
// off (the glue), and the pointer is set before first use and cleared only
// when nothing can use it any more (see `CpuCacheReg`).
unsafe impl<T: Send> Sync for CpuCache<T> {}

impl<T> CpuCache<T> {
    /// An inert cache: `take` finds nothing and `put` frees, until `init`.
    pub(crate) const fn new() -> Self {
        Self { pcpu: core::sync::atomic::AtomicPtr::new(core::ptr::null_mut()), _t: core::marker::PhantomData }
    }

    fn stacks(&self) -> *mut core::ffi::c_void {
        self.pcpu.load(core::sync::atomic::Ordering::Acquire)
    }

    /// Allocates the per-CPU stacks (process context, at module load). The
    /// returned guard must be dropped only when nothing can call `take` or
    /// `put` any more: at module exit, after every sock is gone.
    pub(crate) fn init(&'static self) -> Result<CpuCacheReg<T>> {
        // SAFETY: no preconditions; the stacks come zeroed (all empty).
        let p = unsafe { super::bindings::rust_tcp_glue_cpucache_alloc() };
        if p.is_null() {
            return Err(ENOMEM);
        }
        self.pcpu.store(p, core::sync::atomic::Ordering::Release);
        Ok(CpuCacheReg { cache: self })
    }

    /// An object this CPU freed before, if its stack holds one.
    pub(crate) fn take(&self) -> Option<KBox<T>> {
        let pc = self.stacks();
        if pc.is_null() {
            return None;
        }
        // SAFETY: `pc` is the live per-CPU stacks (cleared only after the
        // last user, see `init`); the glue pops with BH off.
        let obj = unsafe { super::bindings::rust_tcp_glue_cpucache_pop(pc) }.cast::<T>();
        if obj.is_null() {
            return None;
        }
        // SAFETY: every pointer on the stacks came from `KBox::into_raw` of
        // a `KBox<T>` in `put` and is popped once: ownership comes back.
        Some(unsafe { KBox::from_raw(obj) })
    }

    /// Keeps `b` on this CPU's stack, or frees it if the stack is full.
    pub(crate) fn put(&self, b: KBox<T>) {
        drop(self.keep(b));
    }

    /// Keeps `b` on this CPU's stack, or hands it back if the stack is full
    /// (or the cache inert).
    pub(crate) fn keep(&self, b: KBox<T>) -> Option<KBox<T>> {
        let pc = self.stacks();
        if pc.is_null() {
            return Some(b);
        }
        let obj = KBox::into_raw(b);
        // SAFETY: as in `take`; the stack owns `obj` if the push succeeds.
        if unsafe { super::bindings::rust_tcp_glue_cpucache_push(pc, obj.cast()) } {
            return None;
        }
        // SAFETY: not pushed: `obj` is still ours, from `into_raw`.
        Some(unsafe { KBox::from_raw(obj) })
    }
}

/// The live stacks of a [`CpuCache`]; dropping it frees every object they
/// hold and the stacks, and leaves the cache inert.
pub(crate) struct CpuCacheReg<T: 'static> {
    cache: &'static CpuCache<T>,
}

impl<T> Drop for CpuCacheReg<T> {
    fn drop(&mut self) {
        let pc = self.cache.pcpu.swap(core::ptr::null_mut(), core::sync::atomic::Ordering::AcqRel);
        if pc.is_null() {
            return;
        }
        loop {
            // SAFETY: `pc` is the stacks `init` allocated; by `init`'s
            // contract no CPU pushes or pops any more.
            let obj = unsafe { super::bindings::rust_tcp_glue_cpucache_drain(pc) }.cast::<T>();
            if obj.is_null() {
                break;
            }
            // SAFETY: from `KBox::into_raw` in `put`, popped once.
            drop(unsafe { KBox::from_raw(obj) });
        }
        // SAFETY: empty now, and nothing uses it (above).
        unsafe { super::bindings::rust_tcp_glue_cpucache_free(pc) };
    }
}
