// SPDX-License-Identifier: GPL-2.0

//! Pure protocol core of rust_tcp: TCP over IPv4 without any I/O.
//!
//! Everything here is plain computation on integers and byte slices: TCP
//! sequence-number arithmetic ([`seq`]), the Internet checksum ([`checksum`])
//! and the TCP header wire format ([`tcp_hdr`]). It depends on `core` only
//! (no `alloc`, no `std`), contains no `unsafe`, and never panics on any
//! input, so the same files are compiled into the kernel module and into a
//! host crate (`rust_tcp/proto/Cargo.toml`) where they are unit- and
//! property-tested with `cargo test`.

pub mod checksum;
pub mod create;
pub mod seq;
pub mod tcp_hdr;
