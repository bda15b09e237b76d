// SPDX-License-Identifier: GPL-2.0

//! `timer_list` inside a reference-counted object, in the shape of
//! `kernel::workqueue`'s `Work<T>`: an armed timer owns one [`Arc`]
//! reference to its object, so the object cannot be freed while the timer
//! is pending or its callback runs; cancelling gives that reference back.

use super::bindings as b;
use kernel::init::PinInit;
use kernel::sync::Arc;
use kernel::types::Opaque;

/// A timer embedded in a `T` that lives in an [`Arc`].
#[repr(transparent)]
pub(crate) struct Timer(Opaque<b::timer_list>);

// SAFETY: a timer_list is manipulated only through the timer API, which
// does its own locking.
unsafe impl Send for Timer {}
// SAFETY: as above.
unsafe impl Sync for Timer {}

/// An object with a [`Timer`] at byte offset `TIMER_OFFSET`.
///
/// # Safety
///
/// `TIMER_OFFSET` must be the offset of a [`Timer`] field of `Self`
/// (`core::mem::offset_of!`), and `timer()` must return that field.
pub(crate) unsafe trait HasTimer: Send + Sync + Sized {
    const TIMER_OFFSET: usize;
    fn timer(&self) -> &Timer;
    /// The timer fired; `this` is the reference the armed timer held.
    fn expired(this: Arc<Self>);
}

impl Timer {
    /// A timer that calls `T::expired` when it fires.
    pub(crate) fn new<T: HasTimer>() -> impl PinInit<Self> {
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

/// (Re)arms `this`'s timer to fire in `ms` milliseconds.
pub(crate) fn arm<T: HasTimer>(this: &Arc<T>, ms: u32) {
    let raw = Arc::into_raw(this.clone());
    // SAFETY: the timer was set up by `Timer::new` and lives as long as the
    // object, which the reference given to it keeps alive.
    let was_pending = unsafe { b::rust_tcp_glue_mod_timer_ms(this.timer().0.get(), ms) } != 0;
    if was_pending {
        // The pending timer already owned a reference: give ours back.
        // SAFETY: `raw` came from `Arc::into_raw` just above.
        drop(unsafe { Arc::from_raw(raw) });
    }
}

/// Deactivates `this`'s timer if pending (`timer_delete`), without waiting
/// for a callback running on another CPU: that callback holds its own
/// reference, so the object outlives it, and it must check, under the lock
/// that made the object unreachable, that it still has work to do before it
/// re-arms. Any context.
pub(crate) fn cancel<T: HasTimer>(this: &Arc<T>) {
    // SAFETY: the timer was set up by `Timer::new`.
    let was_pending = unsafe { b::timer_delete(this.timer().0.get()) } != 0;
    if was_pending {
        // A pending timer owned one reference (from `arm`), which nobody
        // else will release now that it is deactivated: release it through
        // a raw pointer to the object.
        let p = Arc::into_raw(this.clone());
        // SAFETY: `p` came from `Arc::into_raw`; the first `from_raw` takes
        // back the clone, the second the timer's reference, which exists
        // because the timer was pending (and `this` keeps the count > 0).
        unsafe {
            drop(Arc::from_raw(p));
            drop(Arc::from_raw(p));
        }
    }
}

/// [`cancel`], also waiting for a callback running on another CPU
/// (`timer_delete_sync`). Process context, no lock the callback takes held.
pub(crate) fn cancel_sync<T: HasTimer>(this: &Arc<T>) {
    // SAFETY: the timer was set up by `Timer::new`.
    let was_pending = unsafe { b::rust_tcp_glue_timer_delete_sync(this.timer().0.get()) } != 0;
    if was_pending {
        let p = Arc::into_raw(this.clone());
        // SAFETY: as in `cancel`: the clone, then the timer's reference.
        unsafe {
            drop(Arc::from_raw(p));
            drop(Arc::from_raw(p));
        }
    }
}

/// # Safety
///
/// Called by the timer core for a timer set up by `Timer::new::<T>`.
unsafe extern "C" fn run<T: HasTimer>(t: *mut b::timer_list) {
    // SAFETY: the timer lives at `TIMER_OFFSET` inside a `T` in an Arc
    // (`HasTimer`'s contract), and the armed timer owned one reference.
    let this = unsafe { Arc::from_raw(t.cast::<u8>().sub(T::TIMER_OFFSET).cast::<T>()) };
    T::expired(this);
}

/// A timer embedded in a sock's [`crate::tcp::TcpSock`], in the way of
/// `sk_reset_timer`/`sk_stop_timer`: while armed it holds a reference on
/// the sock, so the sock outlives the callback.
#[repr(transparent)]
pub(crate) struct SockTimer(Opaque<b::timer_list>);

// SAFETY: as for `Timer`: only the timer API touches it.
unsafe impl Send for SockTimer {}
// SAFETY: as above.
unsafe impl Sync for SockTimer {}

/// What a [`SockTimer`] runs when it fires.
///
/// # Safety
///
/// `FIELD` must be the byte offset, within `TcpSock`, of the [`SockTimer`]
/// set up with `SockTimer::new::<Self>()`.
pub(crate) unsafe trait SockTimerHandler {
    /// `core::mem::offset_of!(TcpSock, <the timer's field>)`.
    const FIELD: usize;
    /// The timer fired; `sk` is the reference the armed timer held.
    fn expired(sk: super::sock::SockRef);
}

impl SockTimer {
    /// A sock timer that calls `H::expired`.
    pub(crate) fn new<H: SockTimerHandler>() -> impl PinInit<Self> {
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
/// Called by the timer core for a `SockTimer` set up by `SockTimer::new::<H>`
/// inside a sock's `TcpSock`, armed by `Sock::reset_timer` (which took the
/// reference the callback now owns).
unsafe extern "C" fn run_sock<H: SockTimerHandler>(t: *mut b::timer_list) {
    // SAFETY: per the function's contract.
    let sk = unsafe { super::sock::SockRef::from_timer(t, H::FIELD) };
    H::expired(sk);
}
