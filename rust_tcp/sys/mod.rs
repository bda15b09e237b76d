// SPDX-License-Identifier: GPL-2.0

//! The one unsafe layer: every call into the kernel's C API goes through
//! these modules, and each wraps it in a safe type or function. Protocol
//! logic above (`af_rust_tcp`, `netns`, `proto`) contains no `unsafe`.

pub(crate) mod bindings;
pub(crate) mod chunks;
pub(crate) mod kvec;
pub(crate) mod lock;
pub(crate) mod net;
pub(crate) mod skb;
pub(crate) mod sock;
pub(crate) mod socket;
pub(crate) mod timer;

use kernel::error::Error;

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
