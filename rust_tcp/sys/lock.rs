// SPDX-License-Identifier: GPL-2.0

//! A spinlock that also disables bottom halves: the lock for every table the
//! receive path (softirq) shares with system calls (process context).
//! `kernel::sync::SpinLock` takes plain `spin_lock`, which would deadlock
//! when a softirq on the same CPU wants a lock its interrupted task holds.

use super::bindings as b;
use kernel::sync::lock::{Backend, Lock};

/// A [`Lock`] taken with `spin_lock_bh`.
pub(crate) type SpinLockBh<T> = Lock<T, SpinLockBhBackend>;

/// Creates a [`SpinLockBh`] initialiser with its own lockdep class.
#[macro_export]
macro_rules! new_spinlock_bh {
    ($inner:expr, $name:literal) => {
        $crate::sys::lock::SpinLockBh::new(
            $inner,
            kernel::c_str!($name),
            kernel::static_lock_class!(),
        )
    };
}

/// The [`Backend`] of [`SpinLockBh`].
pub(crate) struct SpinLockBhBackend;

// SAFETY: `spin_lock_bh` gives mutual exclusion until `spin_unlock_bh`; the
// state is a `spinlock_t` initialised by `__spin_lock_init` before any use,
// as `Lock::new` guarantees by calling `init` first.
unsafe impl Backend for SpinLockBhBackend {
    type State = kernel::bindings::spinlock_t;
    type GuardState = ();

    unsafe fn init(
        ptr: *mut Self::State,
        name: *const kernel::ffi::c_char,
        key: *mut kernel::bindings::lock_class_key,
    ) {
        // SAFETY: the caller guarantees `ptr` is valid for writes and that
        // `name` and `key` live forever, which is what lockdep requires.
        unsafe { kernel::bindings::__spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: the caller guarantees `ptr` is an initialised spinlock;
        // both bindings name the same C type `spinlock_t`.
        unsafe { b::spin_lock_bh(ptr.cast()) }
    }

    unsafe fn unlock(ptr: *mut Self::State, _guard_state: &Self::GuardState) {
        // SAFETY: the caller owns the lock, taken by `lock` above with BHs
        // disabled, so it is released the same way.
        unsafe { b::spin_unlock_bh(ptr.cast()) }
    }
}
