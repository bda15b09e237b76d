// SPDX-License-Identifier: GPL-2.0

//! The netns sysctls rust_tcp reads, gathered into the parameter structs
//! of the pure core. Read at the moment they matter, as Linux reads
//! `net->ipv4.sysctl_*`: a change applies to the next SYN, connect() or
//! connection.

use crate::netns::NetNs;
use crate::proto::tcp_conn::ConnSysctls;
use crate::proto::tcp_connect::ClientSysctls;
use crate::proto::tcp_output::{tcp_win_from_space, TCP_DEFAULT_SCALING_RATIO};
use crate::proto::tcp_params::SynSysctls;
use crate::proto::tcp_window::WindowSysctls;
use crate::sys::net::Sysctl;
use crate::tcp_sock::TcpSk;

/// A sysctl as `T`, or `default` when its value does not fit (the
/// sysctl tables bound them, so this is defensive).
fn get<T: TryFrom<i32>>(net: &NetNs, s: Sysctl, default: T) -> T {
    T::try_from(net.sysctl(s)).unwrap_or(default)
}

/// What shapes a passive open's options and window.
pub(crate) fn syn_sysctls(net: &NetNs) -> SynSysctls {
    SynSysctls {
        timestamps: get(net, Sysctl::RUST_TCP_SYSCTL_TIMESTAMPS, 1),
        sack: net.sysctl(Sysctl::RUST_TCP_SYSCTL_SACK) != 0,
        window_scaling: net.sysctl(Sysctl::RUST_TCP_SYSCTL_WINDOW_SCALING) != 0,
        workaround_signed_windows: net.sysctl(Sysctl::RUST_TCP_SYSCTL_WORKAROUND_SIGNED_WINDOWS) != 0,
        tcp_rmem_max: net.sysctl(Sysctl::RUST_TCP_SYSCTL_RMEM_MAX_TCP) as u32,
        rmem_max: net.sysctl(Sysctl::RUST_TCP_SYSCTL_CORE_RMEM_MAX) as u32,
    }
}

/// What an active open reads.
pub(crate) fn client_sysctls(net: &NetNs) -> ClientSysctls {
    ClientSysctls {
        syn: syn_sysctls(net),
        ecn: get(net, Sysctl::RUST_TCP_SYSCTL_TCP_ECN, 2),
        ecn_fallback: net.sysctl(Sysctl::RUST_TCP_SYSCTL_ECN_FALLBACK) != 0,
        min_snd_mss: get(net, Sysctl::RUST_TCP_SYSCTL_MIN_SND_MSS, 48),
        mtu_probing: get(net, Sysctl::RUST_TCP_SYSCTL_MTU_PROBING, 0),
        base_mss: get(net, Sysctl::RUST_TCP_SYSCTL_BASE_MSS, 1024),
        window: WindowSysctls {
            app_win: get(net, Sysctl::RUST_TCP_SYSCTL_APP_WIN, 31),
            shrink_window: net.sysctl(Sysctl::RUST_TCP_SYSCTL_SHRINK_WINDOW) != 0,
            workaround_signed_windows: net.sysctl(Sysctl::RUST_TCP_SYSCTL_WORKAROUND_SIGNED_WINDOWS) != 0,
        },
    }
}

/// What a synchronised connection reads.
pub(crate) fn conn_sysctls(net: &NetNs) -> ConnSysctls {
    let mut s = ConnSysctls::DEFAULT;
    s.window = client_sysctls(net).window;
    s.fin_timeout_ms = net.sysctl(Sysctl::RUST_TCP_SYSCTL_FIN_TIMEOUT_MS);
    s.retries1 = get(net, Sysctl::RUST_TCP_SYSCTL_RETRIES1, 3);
    s.retries2 = get(net, Sysctl::RUST_TCP_SYSCTL_RETRIES2, 15);
    s.orphan_retries = get(net, Sysctl::RUST_TCP_SYSCTL_ORPHAN_RETRIES, 0);
    s.invalid_ratelimit_ms = net.sysctl(Sysctl::RUST_TCP_SYSCTL_INVALID_RATELIMIT_MS) as u32;
    s
}

/// `tcp_full_space()` of a sock: its receive buffer as window.
pub(crate) fn full_space(sk: &TcpSk) -> i32 {
    win_from_space(u32::try_from(sk.rcvbuf()).unwrap_or(0))
}

/// The window a receive buffer of `space` bytes backs.
pub(crate) fn win_from_space(space: u32) -> i32 {
    tcp_win_from_space(TCP_DEFAULT_SCALING_RATIO, space.min(i32::MAX as u32) as i32)
}

/// TIME_WAIT's length now (ms): read at every (re)arm, so a change
/// applies to running timewait socks too.
pub(crate) fn timewait_len(net: &NetNs) -> u32 {
    get(net, Sysctl::RUST_TCP_SYSCTL_TCP_TIMEWAIT_LEN_MS, 60_000u32).max(1)
}
