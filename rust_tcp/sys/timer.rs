// SPDX-License-Identifier: GPL-2.0

//! `timer_list` embedded in the state of the refcounted objects that own
//! them (socks, mini socks: [`TimerHost`]), in the shape of
//! `kernel::workqueue`'s `Work<T>`/`impl_has_work!` and of Linux's
//! `sk_reset_timer`/`sk_stop_timer`: an armed [`SockTimer<H>`] holds a
//! reference on its host, so the host outlives the callback, which
//! receives that reference. `impl_sock_timer!` declares the field of
//! handler `H`; it holds the only `unsafe impl`, so protocol files need
//! none. A timer's type names its callback, and only the field the macro
//! names can be armed, so a callback always finds the object its timer is
//! in.

use super::bindings as b;
use core::marker::PhantomData;
use kernel::init::PinInit;
use core::ptr::NonNull;
use kernel::prelude::*;
use kernel::types::{ARef, AlwaysRefCounted, Opaque};

/// A refcounted object whose protocol state (`Data`, at byte offset
/// `DATA_OFFSET`) holds [`SockTimer`]s: a sock, or a mini sock.
///
/// # Safety
///
/// `DATA_OFFSET` must be the offset of a `Data` inside every `Self`, and a
/// reference (`ARef<Self>`) must keep that `Data` alive.
pub(crate) unsafe trait TimerHost: AlwaysRefCounted + Send + Sync + Sized {
    type Data;
    const DATA_OFFSET: usize;
}

/// A timer embedded in the protocol state of a [`TimerHost`], in the way
/// of `sk_reset_timer`/`sk_stop_timer`: while armed it holds a reference
/// on its host, so the host outlives the callback.
#[repr(transparent)]
pub(crate) struct SockTimer<H>(Opaque<b::timer_list>, PhantomData<H>);

// SAFETY: a timer_list is manipulated only through the timer API, which
// does its own locking.
unsafe impl<H> Send for SockTimer<H> {}
// SAFETY: as above.
unsafe impl<H> Sync for SockTimer<H> {}

/// What a [`SockTimer<Self>`] runs when it fires.
pub(crate) trait SockTimerHandler {
    /// The object whose state the timer lives in.
    type Host: TimerHost;
    /// The timer fired; `host` is the reference the armed timer held.
    fn expired(host: ARef<Self::Host>);
}

/// Where a handler's timer lives in its host's state.
///
/// # Safety
///
/// `FIELD` must be the offset in the host's `Data` of a `SockTimer<Self>`.
/// Implement it with `impl_sock_timer!`, which checks that.
pub(crate) unsafe trait SockTimerField: SockTimerHandler {
    const FIELD: usize;
}

/// Declares `$field` of `$data`, a `SockTimer<$h>`, as the timer whose
/// expiry handler `$h` is.
#[macro_export]
macro_rules! impl_sock_timer {
    ($data:ty, $field:ident, $h:ty) => {
        // The type check goes through a raw pointer, as `impl_has_work!`'s
        // does: through references, deref coercion would also accept a
        // field that only points at a timer (a box), at the wrong offset.
        #[allow(unsafe_code)]
        const _: fn(
            *const <<$h as $crate::sys::timer::SockTimerHandler>::Host as $crate::sys::timer::TimerHost>::Data,
        ) -> *const $crate::sys::timer::SockTimer<$h> =
            // SAFETY: only the field's address is computed; nothing is read.
            |d: *const $data| unsafe { ::core::ptr::addr_of!((*d).$field) };
        #[allow(unsafe_code)]
        // SAFETY: `$field` is a `SockTimer<$h>` of `$h`'s host `Data`
        // (checked just above), and `FIELD` is its offset.
        unsafe impl $crate::sys::timer::SockTimerField for $h {
            const FIELD: usize = ::core::mem::offset_of!($data, $field);
        }
    };
}

impl<H: SockTimerField> SockTimer<H> {
    /// A sock timer that calls `H::expired`.
    pub(crate) fn new() -> impl PinInit<Self> {
        // SAFETY: the closure initialises the whole timer_list in place
        // (timer_setup) and never fails.
        unsafe {
            kernel::init::pin_init_from_closure(move |slot: *mut Self| {
                b::rust_tcp_glue_timer_setup(slot.cast(), Some(run_sock::<H>));
                Ok(())
            })
        }
    }

    fn raw(&self) -> *mut b::timer_list {
        self.0.get()
    }
}

/// Whether `t` is the timer at `H::FIELD` of `host`'s state: only that one
/// may be armed, since its callback finds the host from there.
fn owns_timer<H: SockTimerField>(host: &H::Host, t: &SockTimer<H>) -> bool {
    let at = core::ptr::from_ref(host) as usize + <H::Host as TimerHost>::DATA_OFFSET + H::FIELD;
    let ok = at == t.raw() as usize;
    if !ok {
        pr_warn!("sock timer outside its field: not armed\n");
    }
    ok
}

/// Gives up one reference on `host` that a timer owned.
///
/// # Safety
///
/// The caller owns that reference (the timer was pending and is not any
/// more, or a reference taken for it was not needed).
unsafe fn put_timer_ref<T: TimerHost>(host: &T) {
    // SAFETY: the caller's contract: one reference is ours to drop.
    drop(unsafe { ARef::from_raw(NonNull::from(host)) });
}

/// (Re)arms `t`, a timer of `host`'s state, to fire in `ms`
/// (`sk_reset_timer`): an armed timer holds a reference on `host`.
pub(crate) fn reset<H: SockTimerField>(host: &H::Host, t: &SockTimer<H>, ms: u32) {
    if !owns_timer(host, t) {
        return;
    }
    // The timer's reference, taken before it can fire.
    core::mem::forget(ARef::from(host));
    // SAFETY: `t` is the timer at `H::FIELD` of this live host (checked),
    // set up by `SockTimer::new`.
    if unsafe { b::rust_tcp_glue_mod_timer_ms(t.raw(), ms) } != 0 {
        // Already pending: it held a reference already.
        // SAFETY: the reference forgotten just above.
        unsafe { put_timer_ref(host) };
    }
}

/// Moves `t` to fire in `ms` if it is still pending, and does nothing
/// otherwise (`mod_timer_pending`, as `inet_twsk_reschedule` uses it): a
/// timer that fired, or was cancelled, stays so. Returns whether it was
/// re-armed; the pending timer keeps the reference it owns.
pub(crate) fn rearm_pending<H: SockTimerField>(host: &H::Host, t: &SockTimer<H>, ms: u32) -> bool {
    // SAFETY: as in `reset`; no reference changes hands.
    owns_timer(host, t) && unsafe { b::rust_tcp_glue_mod_timer_pending_ms(t.raw(), ms) != 0 }
}

/// Stops `t` if pending (`sk_stop_timer`), dropping its reference, without
/// waiting for a callback running on another CPU (which holds its own
/// reference, and must check under the lock that unhashed its host that it
/// still has work to do). Any context.
pub(crate) fn stop<H: SockTimerField>(host: &H::Host, t: &SockTimer<H>) {
    // SAFETY: `timer_delete` takes a set-up timer_list.
    stop_with(host, t, |raw| unsafe { b::timer_delete(raw) })
}

/// [`stop`], also waiting for a callback running on another CPU
/// (`timer_delete_sync`). Process context, no lock the callback takes held.
pub(crate) fn stop_sync<H: SockTimerField>(host: &H::Host, t: &SockTimer<H>) {
    // SAFETY: as in `stop`.
    stop_with(host, t, |raw| unsafe { b::rust_tcp_glue_timer_delete_sync(raw) })
}

/// Deactivates `t` with `delete` (which returns non-zero if it was
/// pending) and drops the reference a pending timer held.
fn stop_with<H: SockTimerField>(host: &H::Host, t: &SockTimer<H>, delete: impl FnOnce(*mut b::timer_list) -> i32) {
    if !owns_timer(host, t) {
        return;
    }
    if delete(t.raw()) != 0 {
        // SAFETY: `t` belongs to this live host; a pending timer held one
        // reference, which nobody else will drop once it is deactivated.
        unsafe { put_timer_ref(host) };
    }
}

/// # Safety
///
/// Called by the timer core for a `SockTimer<H>` armed by [`reset`], which
/// checked that it is the one at `H::FIELD` of its host's state and took
/// the reference the callback now owns.
unsafe extern "C" fn run_sock<H: SockTimerField>(t: *mut b::timer_list) {
    let off = <H::Host as TimerHost>::DATA_OFFSET + H::FIELD;
    // SAFETY: per the function's contract, the timer lives `off` bytes
    // into a live host, and the armed timer's reference passes to us.
    let host = unsafe { ARef::from_raw(NonNull::new_unchecked(t.cast::<u8>().sub(off).cast::<H::Host>())) };
    H::expired(host);
}
