// SPDX-License-Identifier: GPL-2.0

//! Host build of the rust_tcp protocol core.
//!
//! The kernel module compiles `mod.rs` (and the files it names) directly as
//! its `proto` module; this file only exists so that the same sources form a
//! standalone `no_std` crate that `cargo test` can exercise on the host.
//! Keep everything of substance in `mod.rs` and its submodules.

#![no_std]
#![forbid(unsafe_code)]

// A module loaded through `#[path]` owns its directory, so the `pub mod x;`
// declarations inside mod.rs resolve to files next to it, exactly as they do
// when the kernel crate loads it with `#[path = "proto/mod.rs"] mod proto;`.
#[path = "mod.rs"]
mod inner;

pub use inner::*;
