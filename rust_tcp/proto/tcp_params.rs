// SPDX-License-Identifier: GPL-2.0

//! What a connection is opened with: the sysctls of a passive or active
//! open ([`SynSysctls`]), what a request inherits from its listener and
//! route ([`ListenerParams`]), and the MSS constants of include/net/tcp.h
//! they go with.
//!
//! These sit below every module of the handshake (tcp_input, tcp_minisocks,
//! tcp_output, tcp_connect, syncookies) and of window selection
//! (tcp_window), which all read them, so that none of those has to import
//! another just for its parameters: the proto module graph stays acyclic.
//! This module imports nothing.

/// `TCP_MSS_DEFAULT`: the peer MSS assumed without an MSS option (IPv4).
pub const TCP_MSS_DEFAULT: u16 = 536;
/// `TCP_MIN_MSS`: floor of the route's advertised MSS.
pub const TCP_MIN_MSS: u32 = 88;
/// `TCPOLEN_TSTAMP_ALIGNED`: bytes the timestamp option takes per segment.
pub const TCPOLEN_TSTAMP_ALIGNED: u32 = 12;

/// The sysctls that shape a passive open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynSysctls {
    /// `net.ipv4.tcp_timestamps` (0 off, 1 on with random offsets, 2 on
    /// without offsets).
    pub timestamps: u8,
    /// `net.ipv4.tcp_sack`.
    pub sack: bool,
    /// `net.ipv4.tcp_window_scaling`.
    pub window_scaling: bool,
    /// `net.ipv4.tcp_workaround_signed_windows`.
    pub workaround_signed_windows: bool,
    /// `net.ipv4.tcp_rmem[2]`.
    pub tcp_rmem_max: u32,
    /// `net.core.rmem_max`.
    pub rmem_max: u32,
}

impl SynSysctls {
    /// Linux 6.12 defaults on a machine with enough memory for the 6 MiB
    /// `tcp_rmem[2]` cap; `rmem_max` is `SK_RMEM_MAX` with Debian's x86-64
    /// skb sizes (see [`super::sock::SkbOverhead::sk_wmem_max`]). A
    /// reference for tests: the kernel side reads every field from the
    /// namespace's sysctls.
    pub const DEFAULT: Self = Self {
        timestamps: 1,
        sack: true,
        window_scaling: true,
        workaround_signed_windows: false,
        tcp_rmem_max: 6 * 1024 * 1024,
        rmem_max: 212_992,
    };
}

impl Default for SynSysctls {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What a request socket inherits from its listener and route.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListenerParams {
    /// The listener's TCP_MAXSEG (`tp->rx_opt.user_mss`), 0 when unset.
    pub user_mss: u16,
    /// `dst_metric_advmss(dst)` of the route to the peer (MTU - 40 by
    /// default).
    pub route_advmss: u32,
    /// `tcp_full_space(listener)`, see
    /// [`super::tcp_output::tcp_win_from_space`].
    pub full_space: i32,
    /// The listener's `tp->window_clamp` (TCP_WINDOW_CLAMP), 0 when unset.
    pub window_clamp: u32,
    /// `SOCK_RCVBUF_LOCK` is set in `sk_userlocks` (SO_RCVBUF was used).
    pub rcvbuf_locked: bool,
    /// `dst_metric(dst, RTAX_WINDOW)` (0 unless `ip route ... window`).
    pub route_window: u32,
    /// `dst_metric(dst, RTAX_INITRWND)` (0 unless `ip route ... initrwnd`).
    pub route_initrwnd: u32,
}
