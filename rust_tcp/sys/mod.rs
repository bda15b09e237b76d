// SPDX-License-Identifier: GPL-2.0

//! The one unsafe layer: every call into the kernel's C API goes through
//! these modules, and each wraps it in a safe type or function. It is the
//! bottom layer, generic over what sits above it in the way
//! `kernel::net::phy` is: a family registration generic over its
//! [`socket::StreamOps`], socks over their protocol state
//! ([`sock::SockData`]), the pernet registration and its LOCAL_IN hook over
//! the per-netns state ([`net::NetData`]), timers over the objects they live
//! in. Nothing here names a module of the crate above; the crate denies
//! `unsafe_code` everywhere but here.

pub(crate) mod bindings;
pub(crate) mod alloc;
pub(crate) mod inet_hash;
pub(crate) mod kvec;
pub(crate) mod lock;
pub(crate) mod minisock;
pub(crate) mod net;
pub(crate) mod page;
pub(crate) mod percpu;
pub(crate) mod skb;
pub(crate) mod sock;
pub(crate) mod socket;
pub(crate) mod timer;

use kernel::error::Error;
use kernel::prelude::*;
use net::PernetRegistration;
use sock::{ProtoRegistration, SockData};
use socket::{FamilyRegistration, StreamOps};

/// The protocol's three registrations, made together so that they agree:
/// the `struct proto` sized for `T::Data`, the pernet state of
/// `T::Data::Net`, then the family whose sockets are `T`'s. Fields drop in
/// order: the family goes first so that no socket can be created while
/// the rest is torn down. Only one can exist (the glue has one of each).
pub(crate) struct Registration<T: StreamOps> {
    _family: FamilyRegistration<T>,
    _pernet: PernetRegistration<<T::Data as SockData>::Net>,
    _proto: ProtoRegistration<T::Data>,
}

static REGISTERED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

impl<T: StreamOps> Registration<T> {
    /// Registers family number `family` (1..NPROTO-1), the protocol's
    /// shared state `global` handed to each netns's.
    pub(crate) fn new(
        family: i32,
        module: &'static ThisModule,
        global: kernel::sync::Arc<<<T::Data as SockData>::Net as net::NetData>::Global>,
    ) -> Result<Self> {
        if family <= 0 || family >= bindings::NPROTO as i32 {
            return Err(EINVAL);
        }
        if REGISTERED.swap(true, core::sync::atomic::Ordering::AcqRel) {
            return Err(EBUSY);
        }
        // SAFETY: `REGISTERED` makes this the only registration; the proto
        // and pernet state exist before the family can create a socket.
        let r = unsafe {
            ProtoRegistration::new().and_then(|proto| {
                let pernet = PernetRegistration::new(global)?;
                let family = FamilyRegistration::new(family, module)?;
                Ok(Self {
                    _family: family,
                    _pernet: pernet,
                    _proto: proto,
                })
            })
        };
        if r.is_err() {
            REGISTERED.store(false, core::sync::atomic::Ordering::Release);
        }
        r
    }
}

impl<T: StreamOps> Drop for Registration<T> {
    fn drop(&mut self) {
        // The fields are dropped after this body; the flag only guards
        // `new`, which cannot run concurrently with module exit.
        REGISTERED.store(false, core::sync::atomic::Ordering::Release);
    }
}

/// An errno that `kernel::error::code` does not name (6.12 lacks many of
/// the networking ones), from bindgen's constant.
pub(crate) fn errno(e: u32) -> Error {
    // `e` is one of the kernel's small positive errno constants, so the
    // negation always fits.
    Error::from_errno(-(e as i32))
}

/// A random u32 (`get_random_u32`).
pub(crate) fn random_u32() -> u32 {
    // SAFETY: no preconditions.
    unsafe { bindings::get_random_u32() }
}

/// A random u64 pair, for hash and ISN secrets (`get_random_bytes`).
pub(crate) fn random_key() -> [u64; 2] {
    let mut k = [0u64; 2];
    // SAFETY: `k` is valid for writes of its 16 bytes.
    unsafe { bindings::get_random_bytes(k.as_mut_ptr().cast(), core::mem::size_of_val(&k)) };
    k
}

/// The monotonic clock in ns (`tcp_clock_ns()`).
pub(crate) fn clock_ns() -> u64 {
    // SAFETY: no preconditions.
    unsafe { bindings::rust_tcp_glue_clock_ns() }
}

/// Milliseconds of CLOCK_MONOTONIC (`tcp_clock_ms`), for TCP timestamps.
pub(crate) fn clock_ms() -> u32 {
    // SAFETY: no preconditions.
    unsafe { bindings::rust_tcp_glue_clock_ms() }
}

/// Nanoseconds of CLOCK_REALTIME, the clock of ISNs (RFC 6528).
pub(crate) fn real_ns() -> u64 {
    // SAFETY: no preconditions.
    unsafe { bindings::rust_tcp_glue_real_ns() }
}

/// `get_jiffies_64()` and `HZ`: the syncookie clock.
pub(crate) fn jiffies64() -> (u64, u32) {
    // SAFETY: no preconditions.
    unsafe { (bindings::rust_tcp_glue_jiffies64(), bindings::rust_tcp_glue_hz()) }
}

/// The `thash_entries` module parameter (0: size tables from memory).
pub(crate) fn inet_hash_param() -> u32 {
    // SAFETY: reads a module parameter.
    unsafe { bindings::rust_tcp_glue_thash_entries() }
}

/// Slots for a hash table sized as `alloc_large_system_hash` sizes
/// Linux's: one per 2^`scale` bytes of memory, at most `max`, a power of
/// two; `param`, if not 0, instead.
pub(crate) fn hash_entries(param: u32, scale: u32, max: u32) -> u32 {
    // SAFETY: a pure computation over totalram_pages().
    unsafe { bindings::rust_tcp_glue_hash_entries(param, scale, max) }
}

/// Lets the scheduler run something else in a long walk or a long system
/// call (`cond_resched`). Process context only, no spinlock held (the
/// socket lock, which is a sleeping lock, may be).
pub(crate) fn cond_resched() {
    // SAFETY: the callers run in process context with no spinlock held.
    unsafe { bindings::rust_tcp_glue_cond_resched() }
}

/// Sleeps `ms` milliseconds (`msleep`). Process context only.
pub(crate) fn msleep(ms: u32) {
    // SAFETY: the callers run in process context (netns exit).
    unsafe { bindings::rust_tcp_glue_msleep(ms) }
}
