// SPDX-License-Identifier: GPL-2.0

//! rust_tcp: TCP over IPv4 as a socket family of its own.
//!
//! The layout follows `net/ipv4`, in layers that import only downwards
//! (docs/design.md draws them; `scripts/check-layers.py` checks them):
//!
//! - the socket layer: [`af_rust_tcp`] (af_inet.c), the `proto_ops`;
//! - connection-level behaviour: [`tcp_ipv4`] (the receive path and
//!   connect), [`tcp_input`], [`tcp_timer`], [`tcp`] (tcp.c),
//!   [`inet_connection_sock`], [`tcp_minisocks`], [`tcp_output`];
//! - the tables: [`sysctl`], [`netns`], [`inet_hashtables`],
//!   [`inet_timewait_sock`], [`request_sock`], and the sock's own state,
//!   [`tcp_sock`];
//! - [`sys`]: the one layer that calls the kernel's C API, generic over
//!   what sits above it; and [`proto`], the pure protocol core (no I/O, no
//!   `unsafe`, host-tested with `cargo test`).
//!
//! This file wires them: it makes [`tcp_sock::TcpSock`] the state of the
//! family's socks and [`netns::RtcpNet`] the state of each netns, and
//! registers the family with [`af_rust_tcp::TcpStream`] as its operations.
//! Only `sys` may use `unsafe`: the compiler holds that line.

#![deny(unsafe_code)]

use kernel::prelude::*;
use kernel::sync::Arc;

mod af_rust_tcp;
mod chunks;
mod errno;
mod fifo;
mod inet_connection_sock;
mod inet_hashtables;
mod inet_timewait_sock;
mod netns;
pub mod proto;
mod request_sock;
mod segvec;
#[allow(unsafe_code)]
mod sys;
mod sysctl;
mod tcp;
mod tcp_input;
mod tcp_ipv4;
mod tcp_minisocks;
mod tcp_output;
mod tcp_sock;
mod tcp_timer;

use netns::RtcpNet;
use sys::net::{Net, NetData, SeqFile, Verdict};
use sys::skb::RxSkb;
use sys::sock::{Sock, SockData};
use tcp_sock::TcpSock;

module! {
    type: RustTcp,
    name: "rust_tcp",
    author: "rust_tcp developers",
    description: "TCP over IPv4 in a socket family of its own",
    license: "GPL",
}

impl SockData for TcpSock {
    type Net = RtcpNet;

    fn new() -> impl PinInit<Self> {
        TcpSock::new()
    }

    fn created(sk: &Sock<Self>) {
        let net = sk.net();
        // Buffers start at tcp_rmem[1]/tcp_wmem[1], as tcp_init_sock sets
        // them (a child then inherits its listener's).
        sk.init_bufs(
            net.sysctl(sys::net::Sysctl::RUST_TCP_SYSCTL_RMEM_DEFAULT),
            net.sysctl(sys::net::Sysctl::RUST_TCP_SYSCTL_WMEM_DEFAULT),
        );
        net.data().sock_created();
    }

    fn destroyed(sk: &Sock<Self>) {
        sk.net().data().sock_destroyed();
    }

    fn backlog_rcv(sk: &Sock<Self>, skb: &mut RxSkb) {
        tcp_ipv4::backlog_rcv(sk, skb);
    }
}

impl NetData for RtcpNet {
    type Global = inet_hashtables::Hashinfo;

    fn new(tables: &Arc<Self::Global>) -> impl PinInit<Self, Error> {
        sys::alloc::init_from_result(RtcpNet::new(tables))
    }

    fn exit(net: &Net<Self>) {
        RtcpNet::exit(net);
    }

    fn rcv(net: &Net<Self>, skb: &mut RxSkb) -> Verdict {
        tcp_ipv4::rcv(net, skb)
    }

    fn show(net: &Net<Self>, seq: &mut SeqFile) {
        netns::show(net.data(), seq);
    }
}

/// Module state: the family and what it stands on, registered together.
/// Fields drop in order: the registration first (no sock is left after
/// it), then the per-CPU chunk caches the socks' rings used.
struct RustTcp {
    _reg: sys::Registration<af_rust_tcp::TcpStream>,
    _caches: chunks::Caches,
}

impl kernel::Module for RustTcp {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let family = sys::socket::family_param();
        inet_hashtables::init_table_perturb();
        let caches = chunks::Caches::new()?;
        let tables = Arc::new(inet_hashtables::Hashinfo::new()?, GFP_KERNEL)?;
        let reg = sys::Registration::new(family, module, tables).inspect_err(|e| {
            pr_err!("cannot register family {}: error {}\n", family, e.to_errno());
        })?;
        pr_info!("registered socket family {}\n", family);
        Ok(RustTcp { _reg: reg, _caches: caches })
    }
}
