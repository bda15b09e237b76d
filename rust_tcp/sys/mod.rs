// SPDX-License-Identifier: GPL-2.0

//! The one unsafe layer: every call into the kernel's C API goes through
//! these modules, and each wraps it in a safe type or function. Protocol
//! logic above (`af_rust_tcp`, `netns`, `proto`) contains no `unsafe`.

pub(crate) mod bindings;
pub(crate) mod lock;
pub(crate) mod net;
pub(crate) mod sock;
pub(crate) mod socket;

use kernel::error::Error;

/// An errno that `kernel::error::code` does not name (6.12 lacks many of
/// the networking ones), from bindgen's constant.
pub(crate) fn errno(e: u32) -> Error {
    // `e` is one of the kernel's small positive errno constants, so the
    // negation always fits.
    Error::from_errno(-(e as i32))
}
