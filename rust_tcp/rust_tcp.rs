// SPDX-License-Identifier: GPL-2.0

//! rust_tcp: TCP over IPv4 as a socket family of its own.
//!
//! The layout follows `net/ipv4`: [`af_rust_tcp`] is the socket layer
//! (af_inet.c), [`netns`] the per-netns tables, [`proto`] the pure protocol
//! core (no I/O, no `unsafe`, host-tested with `cargo test`), and [`sys`] the
//! one layer that calls the kernel's C API.

use kernel::prelude::*;

mod af_rust_tcp;
mod fifo;
mod inet_connection_sock;
mod inet_hashtables;
mod inet_timewait_sock;
mod netns;
pub mod proto;
mod request_sock;
mod sys;
mod tcp;
mod tcp_input;
mod tcp_ipv4;
mod tcp_output;
mod tcp_states;
mod tcp_timer;

module! {
    type: RustTcp,
    name: "rust_tcp",
    author: "rust_tcp developers",
    description: "TCP over IPv4 in a socket family of its own",
    license: "GPL",
}

/// Module state. Fields drop in order: the family goes first so no socket
/// can be created while the rest is torn down.
struct RustTcp {
    _family: sys::socket::FamilyRegistration,
    _pernet: sys::net::PernetRegistration,
    _proto: sys::sock::ProtoRegistration,
}

impl kernel::Module for RustTcp {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let family = sys::socket::family_param();
        // AF_UNSPEC (0) is never a family; NPROTO bounds the kernel's table.
        if family <= 0 || family >= sys::bindings::NPROTO as i32 {
            pr_err!("family={} is outside 1..{}\n", family, sys::bindings::NPROTO - 1);
            return Err(EINVAL);
        }
        inet_hashtables::init_table_perturb();
        let proto = sys::sock::ProtoRegistration::new()?;
        let pernet = sys::net::PernetRegistration::new()?;
        let fam = sys::socket::FamilyRegistration::new(family, module).inspect_err(|e| {
            pr_err!("cannot register family {}: error {}\n", family, e.to_errno());
        })?;
        pr_info!("registered socket family {}\n", family);
        Ok(RustTcp {
            _family: fam,
            _pernet: pernet,
            _proto: proto,
        })
    }
}
