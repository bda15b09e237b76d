// SPDX-License-Identifier: GPL-2.0

//! Allocation helpers 6.12's `kernel::alloc` lacks.

use kernel::prelude::*;

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

/// An owned object a [`CpuCache`] can keep as a pointer.
///
/// # Safety
///
/// `into_ptr` must return a non-null pointer that `from_ptr` turns back
/// into the same object (ownership and all).
pub(crate) unsafe trait Cacheable: Sized + Send {
    /// Gives up ownership into a pointer.
    fn into_ptr(self) -> *mut core::ffi::c_void;
    /// # Safety
    ///
    /// `p` must come from [`Cacheable::into_ptr`] of this type, and be
    /// used so once.
    unsafe fn from_ptr(p: *mut core::ffi::c_void) -> Self;
}

// SAFETY: `KBox::into_raw` is non-null and `from_raw` takes it back.
unsafe impl<T: Send> Cacheable for KBox<T> {
    fn into_ptr(self) -> *mut core::ffi::c_void {
        KBox::into_raw(self).cast()
    }

    unsafe fn from_ptr(p: *mut core::ffi::c_void) -> Self {
        // SAFETY: the caller's contract: a `KBox<T>` from `into_raw`.
        unsafe { KBox::from_raw(p.cast()) }
    }
}

// SAFETY: `PageBuf::into_raw` is the page's (non-null) address with our
// reference, and `from_raw` takes both back.
unsafe impl Cacheable for super::page::PageBuf {
    fn into_ptr(self) -> *mut core::ffi::c_void {
        self.into_raw().cast()
    }

    unsafe fn from_ptr(p: *mut core::ffi::c_void) -> Self {
        // SAFETY: the caller's contract: from `into_raw`, once.
        unsafe { Self::from_raw(p.cast()) }
    }
}

/// A per-CPU stack of freed objects (boxes, pages), for those a connection frees and
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
    _t: core::marker::PhantomData<T>,
}

// SAFETY: the stacks hand `T`s from one CPU's context to another's, which
// `T: Send` allows; each stack is touched only by its own CPU with BH off
// (the glue), and the stacks are freed only after their pointer is cleared
// and an RCU grace period has passed (`CpuCacheReg::drop`).
unsafe impl<T: Cacheable> Sync for CpuCache<T> {}

impl<T: Cacheable> CpuCache<T> {
    /// An inert cache: `take` finds nothing and `put` frees, until `init`.
    pub(crate) const fn new() -> Self {
        Self { pcpu: core::sync::atomic::AtomicPtr::new(core::ptr::null_mut()), _t: core::marker::PhantomData }
    }

    /// The stacks' pointer, for the glue to read with BH off.
    fn slot(&self) -> *mut *mut core::ffi::c_void {
        self.pcpu.as_ptr()
    }

    /// Allocates the per-CPU stacks (process context, at module load). When
    /// the returned guard is dropped the cache is inert again (`take` finds
    /// nothing, `put` frees), and what it held is freed.
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
    pub(crate) fn take(&self) -> Option<T> {
        // SAFETY: `slot` is this cache's pointer cell, which lives as long
        // as the (static) cache; the glue reads it and pops with BH off, an
        // RCU read-side section that `CpuCacheReg::drop` waits out.
        let obj = unsafe { super::bindings::rust_tcp_glue_cpucache_pop(self.slot()) };
        if obj.is_null() {
            return None;
        }
        // SAFETY: every pointer on the stacks came from `into_ptr` of a `T`
        // in `keep` and is popped once: ownership comes back.
        Some(unsafe { T::from_ptr(obj) })
    }

    /// Keeps `b` on this CPU's stack, or frees it if the stack is full.
    pub(crate) fn put(&self, b: T) {
        drop(self.keep(b));
    }

    /// Keeps `b` on this CPU's stack, or hands it back if the stack is full
    /// (or the cache inert).
    pub(crate) fn keep(&self, b: T) -> Option<T> {
        let obj = b.into_ptr();
        // SAFETY: as in `take`; the stack owns `obj` if the push succeeds.
        if unsafe { super::bindings::rust_tcp_glue_cpucache_push(self.slot(), obj) } {
            return None;
        }
        // SAFETY: not pushed: `obj` is still ours, from `into_ptr`.
        Some(unsafe { T::from_ptr(obj) })
    }
}

/// The live stacks of a [`CpuCache`]; dropping it frees every object they
/// hold and the stacks, and leaves the cache inert.
pub(crate) struct CpuCacheReg<T: Cacheable + 'static> {
    cache: &'static CpuCache<T>,
}

impl<T: Cacheable> Drop for CpuCacheReg<T> {
    fn drop(&mut self) {
        let pc = self.cache.pcpu.swap(core::ptr::null_mut(), core::sync::atomic::Ordering::AcqRel);
        if pc.is_null() {
            return;
        }
        // A CPU that read the pointer before the swap is in a BH-off
        // section (an RCU reader) until it is done with the stacks.
        // SAFETY: process context (module exit), no lock held.
        unsafe { super::bindings::rust_tcp_glue_synchronize_rcu() };
        loop {
            // SAFETY: `pc` is the stacks `init` allocated; no CPU can reach
            // them any more (cleared, then a grace period).
            let obj = unsafe { super::bindings::rust_tcp_glue_cpucache_drain(pc) };
            if obj.is_null() {
                break;
            }
            // SAFETY: from `into_ptr` in `keep`, popped once.
            drop(unsafe { T::from_ptr(obj) });
        }
        // SAFETY: empty now, and nothing uses it (above).
        unsafe { super::bindings::rust_tcp_glue_cpucache_free(pc) };
    }
}
