// SPDX-License-Identifier: GPL-2.0

//! Output-side computations of net/ipv4/tcp_output.c needed for passive
//! opens: the initial receive window and window scale
//! (`tcp_select_initial_window()`) and the SYN-ACK header
//! (`tcp_make_synack()` + `tcp_synack_options()`).

use super::request_sock::RequestSock;
use super::tcp_hdr::{TcpFlags, TcpOptions, TcpRepr, MAX_WSCALE};
use super::tcp_input::SynSysctls;

/// `MAX_TCP_WINDOW`: the largest unscaled window offered when
/// `tcp_workaround_signed_windows` is set.
pub const MAX_TCP_WINDOW: u32 = 32767;
/// `TCP_RMEM_TO_WIN_SCALE`: `scaling_ratio` is a fraction of 256.
pub const TCP_RMEM_TO_WIN_SCALE: u32 = 8;
/// `TCP_DEFAULT_SCALING_RATIO` (half of the buffer is window).
pub const TCP_DEFAULT_SCALING_RATIO: u8 = 1 << (TCP_RMEM_TO_WIN_SCALE - 1);

/// Linux `__tcp_win_from_space(scaling_ratio, space)`: how much window a
/// buffer of `space` bytes backs. `tcp_full_space(sk)` is this of
/// `sk_rcvbuf` with the socket's `scaling_ratio` (a listener keeps
/// [`TCP_DEFAULT_SCALING_RATIO`]).
#[inline]
pub const fn tcp_win_from_space(scaling_ratio: u8, space: i32) -> i32 {
    // (s64)space * ratio >> 8 always fits back in an int.
    ((space as i64 * scaling_ratio as i64) >> TCP_RMEM_TO_WIN_SCALE) as i32
}

/// Result of [`select_initial_window`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitialWindow {
    /// The window to offer first (`*rcv_wnd`).
    pub rcv_wnd: u32,
    /// The updated clamp (`*__window_clamp`).
    pub window_clamp: u32,
    /// Our window scale (`*rcv_wscale`).
    pub rcv_wscale: u8,
}

/// `ilog2(v)` as Linux computes it for a run-time `u32`: `fls(v) - 1`,
/// so -1 for 0.
#[inline]
const fn ilog2(v: u32) -> i32 {
    31 - v.leading_zeros() as i32
}

/// Linux `tcp_select_initial_window(sk, space, mss, &rcv_wnd,
/// &window_clamp, wscale_ok, &rcv_wscale, init_rcv_wnd)` (6.12).
///
/// `space` is the buffer space (`tcp_full_space()`), `mss` the segment
/// size the window is rounded to (already reduced by the timestamp option
/// when timestamps are on), `window_clamp` the current clamp (0 = none),
/// `init_rcv_wnd` the route's `initrwnd` in segments (0 = none). The
/// sysctls used are `tcp_workaround_signed_windows`, `tcp_rmem[2]` and
/// `rmem_max`.
pub fn select_initial_window(
    space: i32,
    mss: u32,
    window_clamp: u32,
    wscale_ok: bool,
    init_rcv_wnd: u32,
    sysctls: &SynSysctls,
) -> InitialWindow {
    let mut space: u32 = if space < 0 { 0 } else { space as u32 };
    // "If no clamp set the clamp to the max possible scaled window"
    let window_clamp = if window_clamp == 0 {
        u32::from(u16::MAX) << MAX_WSCALE
    } else {
        window_clamp
    };
    space = space.min(window_clamp);
    // "Quantize space offering to a multiple of mss if possible."
    if space > mss {
        // space > mss >= 0 implies mss could still be 0; rounddown by 0
        // would divide by zero in C too, but Linux never passes mss 0.
        if let Some(rem) = space.checked_rem(mss) {
            space -= rem;
        }
    }
    let mut rcv_wnd = if sysctls.workaround_signed_windows {
        space.min(MAX_TCP_WINDOW)
    } else {
        space
    };
    if init_rcv_wnd != 0 {
        // u32 multiplication, wrapping as in C.
        rcv_wnd = rcv_wnd.min(init_rcv_wnd.wrapping_mul(mss));
    }
    let mut rcv_wscale = 0u8;
    if wscale_ok {
        // "Set window scaling on max possible window"
        let s = space.max(sysctls.tcp_rmem_max).max(sysctls.rmem_max);
        let s = s.min(window_clamp);
        let ws = (ilog2(s) - 15).clamp(0, i32::from(MAX_WSCALE));
        rcv_wscale = ws as u8;
    }
    // "Set the clamp no higher than max representable value"
    let max_repr = u32::from(u16::MAX) << rcv_wscale;
    InitialWindow {
        rcv_wnd,
        window_clamp: max_repr.min(window_clamp),
        rcv_wscale,
    }
}

/// The SYN-ACK for `req`, as `tcp_make_synack()` builds it with the
/// options of `tcp_synack_options()` (no MD5/AO/Fast Open/MPTCP/SMC).
///
/// From our port to the peer's; `seq = snt_isn`, `ack = rcv_isn + 1`;
/// flags SYN|ACK (plus ECE when `ecn_ok`, `tcp_ecn_make_synack()`); window
/// `min(rcv_wnd, 65535)`, never scaled; options MSS (always), window scale
/// `rcv_wscale` if `wscale_ok`, timestamps `(now_ms + ts_off, ts_recent)`
/// if `tstamp_ok`, SACK-permitted if `sack_ok`, laid out by
/// [`super::tcp_hdr::emit`] exactly as `tcp_options_write()` does.
///
/// `now_ms` is `tcp_clock_ms()` (the millisecond TCP timestamp clock,
/// truncated to 32 bits), the value `tcp_skb_timestamp_ts()` gives without
/// usec timestamps.
pub fn synack_repr(req: &RequestSock, now_ms: u32) -> TcpRepr {
    let mut flags = TcpFlags::SYN | TcpFlags::ACK;
    if req.ecn_ok {
        flags |= TcpFlags::ECE;
    }
    let mut options = TcpOptions::new();
    // "We always send an MSS option."
    options.mss = Some(req.mss);
    if req.wscale_ok {
        options.wscale = Some(req.rcv_wscale);
    }
    if req.tstamp_ok {
        options.timestamp = Some((now_ms.wrapping_add(req.ts_off), req.ts_recent));
    }
    options.sack_perm = req.sack_ok;
    TcpRepr {
        src_port: req.loc_port,
        dst_port: req.rmt_port,
        seq: req.snt_isn,
        ack: req.rcv_nxt(),
        flags,
        // "RFC1323: The window in SYN & SYN/ACK segments is never scaled."
        window: req.synack_window() as u16,
        urgent: 0,
        options,
    }
}

#[cfg(test)]
mod tests {
    use super::super::seq::SeqNum;
    use super::*;

    fn defaults() -> SynSysctls {
        SynSysctls::DEFAULT
    }

    #[test]
    fn full_space() {
        assert_eq!(tcp_win_from_space(TCP_DEFAULT_SCALING_RATIO, 131072), 65536);
        assert_eq!(tcp_win_from_space(255, i32::MAX), 2_139_095_039);
        assert_eq!(tcp_win_from_space(128, -4), -2);
    }

    #[test]
    fn ethernet_defaults() {
        // rcvbuf 131072 -> full space 65536; MSS 1460 - 12 with timestamps.
        let w = select_initial_window(65536, 1448, 0, true, 0, &defaults());
        assert_eq!(w.rcv_wnd, 65160); // 45 * 1448, the familiar Linux value
        assert_eq!(w.rcv_wscale, 7); // ilog2(6 MiB) - 15
        assert_eq!(w.window_clamp, 65535 << 7);
        // Without timestamps the window is a multiple of 1460.
        let w = select_initial_window(65536, 1460, 0, true, 0, &defaults());
        assert_eq!(w.rcv_wnd, 64240);
    }

    #[test]
    fn loopback_defaults() {
        // lo: advmss 65495, minus 12 for timestamps.
        let w = select_initial_window(65536, 65483, 0, true, 0, &defaults());
        assert_eq!(w.rcv_wnd, 65483);
        assert_eq!(w.rcv_wscale, 7);
    }

    #[test]
    fn no_wscale_and_clamps() {
        let w = select_initial_window(65536, 1448, 0, false, 0, &defaults());
        assert_eq!((w.rcv_wnd, w.rcv_wscale, w.window_clamp), (65160, 0, 65535));
        // A user clamp bounds the window.
        let w = select_initial_window(65536, 1000, 20_000, true, 0, &defaults());
        assert_eq!(w.rcv_wnd, 20_000);
        assert_eq!(w.rcv_wscale, 0); // ilog2(20000) = 14 < 15
        assert_eq!(w.window_clamp, 20_000);
        // Signed-window workaround.
        let mut s = defaults();
        s.workaround_signed_windows = true;
        let w = select_initial_window(65536, 1448, 0, true, 0, &s);
        assert_eq!(w.rcv_wnd, 32767);
        // Route initrwnd in segments.
        let w = select_initial_window(65536, 1448, 0, true, 10, &defaults());
        assert_eq!(w.rcv_wnd, 14480);
        // Space below mss: not rounded.
        let w = select_initial_window(1000, 1448, 0, true, 0, &defaults());
        assert_eq!(w.rcv_wnd, 1000);
        // Negative space and mss 0 do not panic.
        let w = select_initial_window(-5, 0, 0, true, 0, &defaults());
        assert_eq!(w.rcv_wnd, 0);
        let w = select_initial_window(100, 0, 0, true, u32::MAX, &defaults());
        assert_eq!(w.rcv_wnd, 0);
        // Huge buffers cap the scale at 14.
        let mut s = defaults();
        s.tcp_rmem_max = u32::MAX;
        let w = select_initial_window(i32::MAX, 1448, 0, true, 0, &s);
        assert_eq!(w.rcv_wscale, 14);
        assert_eq!(w.window_clamp, 65535 << 14);
        // wscale 0 when every input is tiny.
        let mut s = defaults();
        s.tcp_rmem_max = 0;
        s.rmem_max = 0;
        let w = select_initial_window(0, 1448, 0, true, 0, &s);
        assert_eq!(w.rcv_wscale, 0);
    }

    #[test]
    fn synack_fields() {
        let mut r = RequestSock::empty();
        r.loc_port = 5555;
        r.rmt_port = 40000;
        r.snt_isn = SeqNum(1000);
        r.rcv_isn = SeqNum(u32::MAX);
        r.mss = 1460;
        r.rcv_wnd = 65160;
        let s = synack_repr(&r, 7);
        assert_eq!((s.src_port, s.dst_port), (5555, 40000));
        assert_eq!((s.seq, s.ack), (SeqNum(1000), SeqNum(0)));
        assert_eq!(s.flags, TcpFlags::SYN | TcpFlags::ACK);
        assert_eq!(s.window, 65160);
        assert_eq!(s.options.mss, Some(1460));
        assert_eq!(s.options.wscale, None);
        assert_eq!(s.options.timestamp, None);
        assert!(!s.options.sack_perm);

        r.wscale_ok = true;
        r.rcv_wscale = 7;
        r.tstamp_ok = true;
        r.ts_off = u32::MAX;
        r.ts_recent = 0x1234;
        r.sack_ok = true;
        r.ecn_ok = true;
        r.rcv_wnd = 1 << 20;
        let s = synack_repr(&r, 10);
        assert_eq!(s.window, 65535);
        assert_eq!(s.flags, TcpFlags::SYN | TcpFlags::ACK | TcpFlags::ECE);
        assert_eq!(s.options.wscale, Some(7));
        assert_eq!(s.options.timestamp, Some((9, 0x1234)));
        assert!(s.options.sack_perm);
        assert_eq!(s.header_len(), 40);
    }
}
