// SPDX-License-Identifier: GPL-2.0

//! `timer_list` embedded in the objects that own it, in the shape of
//! `kernel::workqueue`'s `Work<T>`/`impl_has_work!`:
//!
//! - [`Timer<T>`] in a `T` that lives in an [`Arc`]: an armed timer owns one
//!   `Arc` reference, so the object outlives the callback
//!   ([`TimerHandler::expired`] receives that reference). `impl_has_timer!`
//!   declares which field it is.
//! - [`SockTimer<H>`] in a sock's protocol state, as `sk_reset_timer` /
//!   `sk_stop_timer` keep them: an armed timer holds a sock reference.
//!   `impl_sock_timer!` declares the field of handler `H`.
//!
//! The macros hold the only `unsafe impl`s, so protocol files need none.
//! A timer's type names its callback (`Timer<T>` runs `T`'s,
//! `SockTimer<H>` runs `H`'s), and only the field the macro names can be
//! armed, so a callback always finds the object its timer is in.

use super::bindings as b;
use super::sock::{Sock, SockData};
use core::marker::PhantomData;
use kernel::init::PinInit;
use kernel::sync::Arc;
use kernel::types::{ARef, Opaque};

/// A timer embedded in a `T` that lives in an [`Arc`].
#[repr(transparent)]
pub(crate) struct Timer<T>(Opaque<b::timer_list>, PhantomData<T>);

// SAFETY: a timer_list is manipulated only through the timer API, which
// does its own locking.
unsafe impl<T> Send for Timer<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Timer<T> {}

/// An object with a [`Timer<Self>`] at byte offset `TIMER_OFFSET`.
///
/// # Safety
///
/// `TIMER_OFFSET` must be the offset of a `Timer<Self>` field of `Self`.
/// Implement it with `impl_has_timer!`, which checks that.
pub(crate) unsafe trait HasTimer: Send + Sync + Sized {
    const TIMER_OFFSET: usize;
}

/// What a [`Timer<Self>`] does when it fires.
pub(crate) trait TimerHandler: HasTimer {
    /// The timer fired; `this` is the reference the armed timer held.
    fn expired(this: Arc<Self>);
}

/// Declares `$field`, a `Timer<$t>`, as `$t`'s timer.
#[macro_export]
macro_rules! impl_has_timer {
    ($t:ty, $field:ident) => {
        // The type check goes through a raw pointer, as `impl_has_work!`'s
        // does: through references, deref coercion would also accept a
        // field that only points at a timer (a box), at the wrong offset.
        #[allow(unsafe_code)]
        const _: fn(*const $t) -> *const $crate::sys::timer::Timer<$t> =
            // SAFETY: only the field's address is computed; nothing is read.
            |p| unsafe { ::core::ptr::addr_of!((*p).$field) };
        #[allow(unsafe_code)]
        // SAFETY: `$field` is a `Timer<$t>` of `$t` (checked just above),
        // and `TIMER_OFFSET` is its offset.
        unsafe impl $crate::sys::timer::HasTimer for $t {
            const TIMER_OFFSET: usize = ::core::mem::offset_of!($t, $field);
        }
    };
}

impl<T: TimerHandler> Timer<T> {
    /// A timer that calls `T::expired` when it fires.
    pub(crate) fn new() -> impl PinInit<Self> {
        // SAFETY: the closure initialises the whole timer_list in place
        // (timer_setup) and never fails.
        unsafe {
            kernel::init::pin_init_from_closure(move |slot: *mut Self| {
                b::rust_tcp_glue_timer_setup(slot.cast(), Some(run::<T>));
                Ok(())
            })
        }
    }
}

/// The timer of `this`: the one at `TIMER_OFFSET`.
fn timer_of<T: HasTimer>(this: &Arc<T>) -> *mut b::timer_list {
    // SAFETY: `TIMER_OFFSET` is the offset of a `Timer<T>` inside `*this`
    // (`HasTimer`'s contract); a `Timer` is a transparent `timer_list`.
    unsafe { core::ptr::from_ref::<T>(this).cast::<u8>().add(T::TIMER_OFFSET).cast_mut().cast() }
}

/// (Re)arms `this`'s timer to fire in `ms` milliseconds (`mod_timer`).
pub(crate) fn arm<T: TimerHandler>(this: &Arc<T>, ms: u32) {
    let raw = Arc::into_raw(this.clone());
    // SAFETY: the timer was set up by `Timer::new` (a `Timer<T>` can only
    // be made that way) and lives as long as the object, which the
    // reference given to it keeps alive.
    let was_pending = unsafe { b::rust_tcp_glue_mod_timer_ms(timer_of(this), ms) } != 0;
    if was_pending {
        // The pending timer already owned a reference: give ours back.
        // SAFETY: `raw` came from `Arc::into_raw` just above.
        drop(unsafe { Arc::from_raw(raw) });
    }
}

/// Moves `this`'s timer to fire in `ms` milliseconds if it is still
/// pending, and does nothing otherwise (`mod_timer_pending`, as
/// `inet_twsk_reschedule` uses it): a timer that fired, or was cancelled,
/// stays so. Returns whether it was re-armed. The pending timer keeps the
/// reference it owns.
pub(crate) fn rearm_pending<T: TimerHandler>(this: &Arc<T>, ms: u32) -> bool {
    // SAFETY: as in `arm`; no reference changes hands, since a timer that
    // is modified was pending and owned one already.
    unsafe { b::rust_tcp_glue_mod_timer_pending_ms(timer_of(this), ms) != 0 }
}

/// Deactivates `this`'s timer if pending (`timer_delete`), without waiting
/// for a callback running on another CPU: that callback holds its own
/// reference, so the object outlives it, and it must check, under the lock
/// that made the object unreachable, that it still has work to do before it
/// re-arms. Any context.
pub(crate) fn cancel<T: TimerHandler>(this: &Arc<T>) {
    // SAFETY: the timer was set up by `Timer::new`.
    let was_pending = unsafe { b::timer_delete(timer_of(this)) } != 0;
    if was_pending {
        release_timer_ref(this);
    }
}

/// [`cancel`], also waiting for a callback running on another CPU
/// (`timer_delete_sync`). Process context, no lock the callback takes held.
pub(crate) fn cancel_sync<T: TimerHandler>(this: &Arc<T>) {
    // SAFETY: the timer was set up by `Timer::new`.
    let was_pending = unsafe { b::rust_tcp_glue_timer_delete_sync(timer_of(this)) } != 0;
    if was_pending {
        release_timer_ref(this);
    }
}

/// Drops the reference a pending timer owned, now that it was deactivated.
fn release_timer_ref<T>(this: &Arc<T>) {
    let p = Arc::into_raw(this.clone());
    // SAFETY: `p` came from `Arc::into_raw`; the first `from_raw` takes
    // back the clone, the second the timer's reference, which exists
    // because the timer was pending (and `this` keeps the count > 0).
    unsafe {
        drop(Arc::from_raw(p));
        drop(Arc::from_raw(p));
    }
}

/// # Safety
///
/// Called by the timer core for a timer set up by `Timer::<T>::new`, which
/// lives at `TIMER_OFFSET` of a `T` in an `Arc` and was armed by `arm`.
unsafe extern "C" fn run<T: TimerHandler>(t: *mut b::timer_list) {
    // SAFETY: per the function's contract, the armed timer owned one
    // reference, which passes to the handler.
    let this = unsafe { Arc::from_raw(t.cast::<u8>().sub(T::TIMER_OFFSET).cast::<T>()) };
    T::expired(this);
}

/// A timer embedded in a sock's protocol state (`H::Data`), in the way of
/// `sk_reset_timer`/`sk_stop_timer`: while armed it holds a reference on
/// the sock, so the sock outlives the callback.
#[repr(transparent)]
pub(crate) struct SockTimer<H>(Opaque<b::timer_list>, PhantomData<H>);

// SAFETY: as for `Timer`: only the timer API touches it.
unsafe impl<H> Send for SockTimer<H> {}
// SAFETY: as above.
unsafe impl<H> Sync for SockTimer<H> {}

/// What a [`SockTimer<Self>`] runs when it fires.
pub(crate) trait SockTimerHandler {
    /// The sock state the timer lives in.
    type Data: SockData;
    /// The timer fired; `sk` is the reference the armed timer held.
    fn expired(sk: ARef<Sock<Self::Data>>);
}

/// Where a handler's timer lives in its sock state.
///
/// # Safety
///
/// `FIELD` must be the offset in `Self::Data` of a `SockTimer<Self>`.
/// Implement it with `impl_sock_timer!`, which checks that.
pub(crate) unsafe trait SockTimerField: SockTimerHandler {
    const FIELD: usize;
}

/// Declares `$field` of `$data`, a `SockTimer<$h>`, as the timer whose
/// expiry handler `$h` is.
#[macro_export]
macro_rules! impl_sock_timer {
    ($data:ty, $field:ident, $h:ty) => {
        // Through a raw pointer, as in `impl_has_timer!`.
        #[allow(unsafe_code)]
        const _: fn(*const <$h as $crate::sys::timer::SockTimerHandler>::Data) -> *const $crate::sys::timer::SockTimer<$h> =
            // SAFETY: only the field's address is computed; nothing is read.
            |d: *const $data| unsafe { ::core::ptr::addr_of!((*d).$field) };
        #[allow(unsafe_code)]
        // SAFETY: `$field` is a `SockTimer<$h>` of `$h`'s `Data` (checked
        // just above), and `FIELD` is its offset.
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

    pub(super) fn raw(&self) -> *mut b::timer_list {
        self.0.get()
    }
}

/// # Safety
///
/// Called by the timer core for a `SockTimer<H>` armed by
/// `Sock::reset_timer`, which checked that it is the one at `H::FIELD` of a
/// sock's state and took the reference the callback now owns.
unsafe extern "C" fn run_sock<H: SockTimerField>(t: *mut b::timer_list) {
    // SAFETY: per the function's contract.
    let sk = unsafe { Sock::<H::Data>::from_timer(t, H::FIELD) };
    H::expired(sk);
}
