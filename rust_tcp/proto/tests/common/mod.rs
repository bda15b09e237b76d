// SPDX-License-Identifier: GPL-2.0

//! Strategies shared by the handshake, syncookie and connect property tests.

// Each test crate includes this module and uses only some of it.
#![allow(dead_code)]

use proptest::prelude::*;
use rust_tcp_proto::tcp_hdr::{TcpOptions, MAX_WSCALE};
use rust_tcp_proto::sock::SkbOverhead;
use rust_tcp_proto::tcp_params::SynSysctls;

/// The options a SYN may carry, each present or not.
pub fn syn_options() -> impl Strategy<Value = TcpOptions> {
    (
        any::<Option<u16>>(),
        prop::option::of(0..=MAX_WSCALE),
        any::<bool>(),
        any::<Option<(u32, u32)>>(),
    )
        .prop_map(|(mss, wscale, sack_perm, timestamp)| TcpOptions {
            mss,
            wscale,
            sack_perm,
            timestamp,
            ..TcpOptions::new()
        })
}

/// The sysctls that shape a passive or active open.
pub fn syn_sysctls() -> impl Strategy<Value = SynSysctls> {
    (0u8..3, any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(timestamps, sack, window_scaling, workaround_signed_windows)| SynSysctls {
            timestamps,
            sack,
            window_scaling,
            workaround_signed_windows,
            ..SynSysctls::DEFAULT
        },
    )
}

/// The skb sizes of Debian 12's linux-image-6.12 on x86-64, which the
/// expected buffer sizes of the tests (SO_SNDBUF minimum 4608, initial
/// send buffer 87040, ...) assume.
pub const SKB: SkbOverhead = SkbOverhead {
    skb_aligned: 256,
    shinfo_aligned: 320,
    max_tcp_header: 320,
};
