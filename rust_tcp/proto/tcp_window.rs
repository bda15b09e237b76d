// SPDX-License-Identifier: GPL-2.0

//! The receive window: the first one, offered in a SYN or SYN-ACK
//! (`tcp_select_initial_window()`, net/ipv4/tcp_output.c, and a request's
//! `tcp_openreq_init_rwin()`, net/ipv4/tcp_minisocks.c), and the one a
//! synchronised connection advertises: the buffer set-up at establishment
//! (`tcp_init_buffer_space()` and `tcp_initialize_rcv_mss()`,
//! net/ipv4/tcp_input.c) and the window put in every non-SYN segment
//! (`tcp_select_window()` and `__tcp_select_window()`,
//! net/ipv4/tcp_output.c).
//!
//! The initial-window functions live here rather than next to their Linux
//! callers because both the passive open (tcp_input, tcp_minisocks,
//! syncookies) and the active one (tcp_connect) need them: this module
//! depends only on [`super::seq`], [`super::tcp_hdr`] and
//! [`super::tcp_params`], so every handshake module can import it without
//! an import cycle.
//!
//! Buffer sizes enter as windows: `full_space` is `tcp_full_space(sk)`
//! (`sk_rcvbuf` through the socket's `scaling_ratio`, see
//! [`super::tcp_output::tcp_win_from_space`]) and `free_space` is
//! `tcp_space(sk)` (the same of `sk_rcvbuf - backlog - rmem_alloc`); both
//! are C `int`s and may be negative. MPTCP, `SO_RESERVE_MEM` and the
//! `ICSK_ACK_NOMEM` out-of-memory zero window are not modelled.

use super::seq::SeqNum;
use super::tcp_hdr::MAX_WSCALE;
use super::tcp_params::{ListenerParams, SynSysctls, TCPOLEN_TSTAMP_ALIGNED, TCP_MIN_MSS, TCP_MSS_DEFAULT};

/// `TCP_INIT_CWND`.
pub const TCP_INIT_CWND: u32 = 10;
/// Default `net.ipv4.tcp_app_win`.
pub const TCP_APP_WIN_DEFAULT: u8 = 31;
/// `MAX_TCP_WINDOW`: the largest unscaled window offered when
/// `tcp_workaround_signed_windows` is set.
pub const MAX_TCP_WINDOW: u32 = 32767;

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

/// Linux `tcp_openreq_init_rwin(req, sk_listener, dst)`: the request's
/// window clamp, initial window and our window scale.
///
/// `mss` is the advertised MSS ([`super::tcp_input::advertised_mss`]); the
/// window is rounded to `mss - 12` when `tstamp_ok`. The clamp is the
/// listener's TCP_WINDOW_CLAMP, else the route's `window` metric, lowered
/// to the full space when SO_RCVBUF was set. The BPF `RWND_INIT` hook is
/// not modelled (as if it returned 0), so the route's `initrwnd` applies.
pub fn openreq_init_rwin(
    listener: &ListenerParams,
    sysctls: &SynSysctls,
    mss: u16,
    tstamp_ok: bool,
    wscale_ok: bool,
) -> InitialWindow {
    let full_space = listener.full_space;
    let mut window_clamp = if listener.window_clamp != 0 {
        listener.window_clamp
    } else {
        listener.route_window
    };
    // "limit the window selection if the user enforce a smaller rx buffer";
    // the C comparison converts full_space to unsigned.
    if listener.rcvbuf_locked && (window_clamp > full_space as u32 || window_clamp == 0) {
        window_clamp = full_space as u32;
    }
    // `mss - (tstamp_ok ? TCPOLEN_TSTAMP_ALIGNED : 0)` is an int passed as
    // __u32; mss >= 88 in practice, wrap like C otherwise.
    let win_mss = if tstamp_ok {
        u32::from(mss).wrapping_sub(TCPOLEN_TSTAMP_ALIGNED)
    } else {
        u32::from(mss)
    };
    select_initial_window(
        full_space,
        win_mss,
        window_clamp,
        wscale_ok,
        listener.route_initrwnd,
        sysctls,
    )
}

/// The receive-window fields of `struct tcp_sock` (and
/// `icsk_ack.rcv_mss`) that window selection reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RcvWindow {
    /// `rcv_nxt`.
    pub rcv_nxt: SeqNum,
    /// `rcv_wup`: `rcv_nxt` when the window was last advertised.
    pub rcv_wup: SeqNum,
    /// `rcv_wnd`: the window last advertised (unscaled bytes).
    pub rcv_wnd: u32,
    /// `rcv_ssthresh`: the current window growth limit.
    pub rcv_ssthresh: u32,
    /// `window_clamp`: the largest window ever offered.
    pub window_clamp: u32,
    /// `rx_opt.rcv_wscale`: our window scale.
    pub rcv_wscale: u8,
    /// `icsk_ack.rcv_mss`: estimate of the peer's segment size.
    pub rcv_mss: u32,
    /// `advmss`: the MSS we advertised (reduced by 12 on the active side
    /// when timestamps are on).
    pub advmss: u16,
}

/// Sysctls of window selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowSysctls {
    /// `net.ipv4.tcp_app_win` (default 31).
    pub app_win: u8,
    /// `net.ipv4.tcp_shrink_window` (default 0).
    pub shrink_window: bool,
    /// `net.ipv4.tcp_workaround_signed_windows` (default 0).
    pub workaround_signed_windows: bool,
}

impl WindowSysctls {
    /// Linux defaults.
    pub const DEFAULT: Self = Self {
        app_win: TCP_APP_WIN_DEFAULT,
        shrink_window: false,
        workaround_signed_windows: false,
    };
}

impl Default for WindowSysctls {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Linux `tcp_receive_window()`: what is left of the window last
/// advertised, `rcv_wup + rcv_wnd - rcv_nxt`, at least 0.
#[inline]
pub const fn tcp_receive_window(rcv_wup: SeqNum, rcv_wnd: u32, rcv_nxt: SeqNum) -> u32 {
    let win = rcv_wup.0.wrapping_add(rcv_wnd).wrapping_sub(rcv_nxt.0) as i32;
    if win < 0 {
        0
    } else {
        win as u32
    }
}

/// Linux `tcp_initialize_rcv_mss()`: the first guess of the peer's segment
/// size, `min(advmss, mss_cache, rcv_wnd / 2, 536)`, at least 88.
#[inline]
pub const fn initialize_rcv_mss(advmss: u16, mss_cache: u32, rcv_wnd: u32) -> u32 {
    let mut hint = advmss as u32;
    if mss_cache < hint {
        hint = mss_cache;
    }
    if rcv_wnd / 2 < hint {
        hint = rcv_wnd / 2;
    }
    if (TCP_MSS_DEFAULT as u32) < hint {
        hint = TCP_MSS_DEFAULT as u32;
    }
    if hint < TCP_MIN_MSS {
        hint = TCP_MIN_MSS;
    }
    hint
}

/// The receive half of Linux `tcp_init_buffer_space()` (run by
/// `tcp_init_transfer()` when a connection becomes established): bounds
/// `window_clamp` by the full space, reserving `1 / 2^app_win` of it for
/// the application and at least one segment, then `rcv_ssthresh` by the
/// clamp. `full_space` is `tcp_full_space(sk)` at that moment.
pub fn init_buffer_space(w: &mut RcvWindow, full_space: i32, app_win: u8) {
    let maxwin = i64::from(full_space);
    let advmss = i64::from(w.advmss);
    // `tp->window_clamp >= maxwin`: u32 against int, compared unsigned.
    if w.window_clamp >= full_space as u32 {
        w.window_clamp = full_space as u32;
        if app_win != 0 && maxwin > 4 * advmss {
            // int arithmetic; app_win <= 31 by the sysctl's bounds.
            let reserve = maxwin >> app_win.min(31);
            w.window_clamp = (maxwin - reserve).max(4 * advmss) as u32;
        }
    }
    // "Force reservation of one segment."
    if app_win != 0
        && u64::from(w.window_clamp) > (2 * advmss) as u64
        && (w.window_clamp.wrapping_add(u32::from(w.advmss))) > full_space as u32
    {
        w.window_clamp = (2 * advmss).max(maxwin - advmss) as u32;
    }
    w.rcv_ssthresh = w.rcv_ssthresh.min(w.window_clamp);
}

/// `ALIGN(x, 1 << ws)` on an `int`.
fn align_up(x: i64, ws: u8) -> i64 {
    let a = 1i64 << ws.min(30);
    (x + a - 1) & !(a - 1)
}

/// `round_down(x, 1 << ws)` on an `int`.
fn round_down(x: i64, ws: u8) -> i64 {
    let a = 1i64 << ws.min(30);
    x & !(a - 1)
}

/// Linux `__tcp_select_window(sk)`: the window we would like to offer now,
/// in bytes. `free_space` is `tcp_space(sk)`, `allowed_space`
/// `tcp_full_space(sk)`; `memory_pressure` is
/// `tcp_under_memory_pressure(sk)` (then `rcv_ssthresh` drops to at most
/// `4 * advmss` when space is short).
pub fn raw_select_window(
    w: &mut RcvWindow,
    free_space: i32,
    allowed_space: i32,
    shrink_window: bool,
    memory_pressure: bool,
) -> u32 {
    let mut mss = i64::from(w.rcv_mss);
    let mut free = i64::from(free_space);
    let allowed = i64::from(allowed_space);
    // min_t(int, tp->window_clamp, allowed_space)
    let full = i64::from(w.window_clamp as i32).min(allowed);
    let ws = w.rcv_wscale;
    if mss > full {
        mss = full;
        if mss <= 0 {
            return 0;
        }
    }
    if shrink_window && ws != 0 {
        // shrink_window_allowed: "new window should always be an exact
        // multiple of scaling factor"
        free = round_down(free, ws);
        if free < (full >> 1) {
            if memory_pressure {
                w.rcv_ssthresh = w.rcv_ssthresh.min(4 * u32::from(w.advmss));
            }
            if free < (allowed >> 4) || free < mss || free < (1i64 << ws.min(30)) {
                return 0;
            }
        }
        let ssthresh = i64::from(w.rcv_ssthresh);
        // `free_space > tp->rcv_ssthresh`: int against u32, unsigned.
        if (free as u32 as i64) > ssthresh {
            free = align_up(ssthresh, ws);
        }
        return free as u32;
    }
    // "do not allow window to shrink"
    if free < (full >> 1) {
        if memory_pressure {
            w.rcv_ssthresh = w.rcv_ssthresh.min(4 * u32::from(w.advmss));
        }
        // "free_space might become our new window, make sure we don't
        // increase it due to wscale."
        free = round_down(free, ws);
        if free < (allowed >> 4) || free < mss {
            return 0;
        }
    }
    let ssthresh = i64::from(w.rcv_ssthresh);
    if (free as u32 as i64) > ssthresh {
        free = ssthresh;
    }
    let window = if ws != 0 {
        // "Advertise enough space so that it won't get scaled away."
        align_up(free, ws)
    } else {
        let mut window = i64::from(w.rcv_wnd as i32);
        // "Get the largest window that is a nice multiple of mss."
        if window <= free - mss || window > free {
            window = if mss > 0 { free - free % mss } else { free };
        } else if mss == full && free > window + (full >> 1) {
            window = free;
        }
        window
    };
    window as u32
}

/// Linux `tcp_select_window(sk)`: the 16-bit window field of an outgoing
/// non-SYN segment. Never shrinks an offered window (unless
/// `tcp_shrink_window` with scaling), records the new window in
/// `rcv_wnd`/`rcv_wup`, caps it at what the scale can express (32767
/// without scaling under `tcp_workaround_signed_windows`) and scales it.
pub fn select_window(
    w: &mut RcvWindow,
    free_space: i32,
    allowed_space: i32,
    sysctls: &WindowSysctls,
    memory_pressure: bool,
) -> u16 {
    let ws = u32::from(w.rcv_wscale.min(31));
    let cur_win = tcp_receive_window(w.rcv_wup, w.rcv_wnd, w.rcv_nxt);
    let mut new_win = raw_select_window(
        w,
        free_space,
        allowed_space,
        sysctls.shrink_window,
        memory_pressure,
    );
    if new_win < cur_win && (!sysctls.shrink_window || ws == 0) {
        // "Never shrink the offered window"
        let a = 1u32 << ws;
        new_win = cur_win.wrapping_add(a - 1) & !(a - 1);
    }
    w.rcv_wnd = new_win;
    w.rcv_wup = w.rcv_nxt;
    let cap = if ws == 0 && sysctls.workaround_signed_windows {
        MAX_TCP_WINDOW
    } else {
        u32::from(u16::MAX).checked_shl(ws).unwrap_or(0)
    };
    // "RFC1323 scaling applied"; at most 65535 after the shift.
    (new_win.min(cap) >> ws) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> SynSysctls {
        SynSysctls::DEFAULT
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
    fn rwin_from_listener() {
        let s = SynSysctls::DEFAULT;
        let mut l = ListenerParams {
            route_advmss: 1460,
            full_space: 65536,
            ..ListenerParams::default()
        };
        let w = openreq_init_rwin(&l, &s, 1460, true, true);
        assert_eq!((w.rcv_wnd, w.rcv_wscale), (65160, 7));
        // SO_RCVBUF: clamp to full space.
        l.rcvbuf_locked = true;
        l.full_space = 4608;
        let w = openreq_init_rwin(&l, &s, 1460, true, true);
        assert_eq!(w.window_clamp, 4608);
        assert_eq!(w.rcv_wnd, 4344);
        assert_eq!(w.rcv_wscale, 0);
        // Route window metric used when the socket has no clamp.
        let l = ListenerParams {
            route_window: 10_000,
            full_space: 65536,
            ..ListenerParams::default()
        };
        let w = openreq_init_rwin(&l, &s, 1460, false, true);
        assert_eq!((w.rcv_wnd, w.window_clamp), (8760, 10_000));
        // Tiny mss with timestamps wraps like C rather than panicking.
        let _ = openreq_init_rwin(&l, &s, 5, true, true);
    }

    /// An active open on Ethernet with default buffers, right after the
    /// SYN-ACK: advmss 1448 (timestamps), rcv_wnd 64240, scale 7.
    fn eth() -> RcvWindow {
        RcvWindow {
            rcv_nxt: SeqNum(1001),
            rcv_wup: SeqNum(1001),
            rcv_wnd: 64240,
            rcv_ssthresh: 64240,
            window_clamp: 65535 << 7,
            rcv_wscale: 7,
            rcv_mss: 536,
            advmss: 1448,
        }
    }

    #[test]
    fn buffer_space_defaults() {
        let mut w = eth();
        init_buffer_space(&mut w, 65536, 31);
        // maxwin 65536 > 4 * 1448: clamp 65536, then one segment reserved:
        // max(2896, 65536 - 1448) = 64088.
        assert_eq!(w.window_clamp, 64088);
        assert_eq!(w.rcv_ssthresh, 64088);
        // tcp_app_win 0: no reservation at all.
        let mut w = eth();
        init_buffer_space(&mut w, 65536, 0);
        assert_eq!((w.window_clamp, w.rcv_ssthresh), (65536, 64240));
        // app_win 1: half reserved (the segment reservation then holds).
        let mut w = eth();
        init_buffer_space(&mut w, 65536, 1);
        assert_eq!((w.window_clamp, w.rcv_ssthresh), (32768, 32768));
        let mut w = eth();
        w.window_clamp = 20_000;
        init_buffer_space(&mut w, 65536, 31);
        assert_eq!((w.window_clamp, w.rcv_ssthresh), (20_000, 20_000));
    }

    #[test]
    fn first_ack_window_is_502() {
        // The familiar "win 502" of a Linux client's third packet.
        let mut w = eth();
        init_buffer_space(&mut w, 65536, 31);
        // __tcp_select_window: ALIGN(min(65536, 64088), 128) = 64128, less
        // than the 64240 offered in the SYN: never shrink, so
        // ALIGN(64240, 128) = 64256 -> 502.
        assert_eq!(raw_select_window(&mut w, 65536, 65536, false, false), 64128);
        let win = select_window(&mut w, 65536, 65536, &WindowSysctls::DEFAULT, false);
        assert_eq!(win, 502);
        assert_eq!(w.rcv_wnd, 64256);
        assert_eq!(w.rcv_wup, w.rcv_nxt);
    }

    #[test]
    fn unscaled_windows() {
        let mut w = eth();
        w.rcv_wscale = 0;
        w.window_clamp = 65535;
        w.rcv_wnd = 64240;
        w.rcv_mss = 1460;
        // window 64240 is within one mss of free space 65535: kept.
        assert_eq!(raw_select_window(&mut w, 65536, 65536, false, false), 64240);
        // More than one mss below: rounded down to a multiple of mss.
        w.rcv_wnd = 10_000;
        w.rcv_ssthresh = 65535;
        assert_eq!(
            raw_select_window(&mut w, 65536, 65536, false, false),
            65535 - 65535 % 1460
        );
        // Signed-window workaround caps at 32767.
        let s = WindowSysctls {
            workaround_signed_windows: true,
            ..WindowSysctls::DEFAULT
        };
        w.rcv_wnd = 0;
        assert_eq!(select_window(&mut w, 65536, 65536, &s, false), 32767);
    }

    #[test]
    fn low_space_and_zero_window() {
        let mut w = eth();
        // Free space below 1/16 of the buffer: zero window, but the offered
        // window is never shrunk: ALIGN(64240, 128) >> 7.
        assert_eq!(raw_select_window(&mut w, 1000, 65536, false, false), 0);
        assert_eq!(
            select_window(&mut w, 1000, 65536, &WindowSysctls::DEFAULT, false),
            502
        );
        // Once the window was used up, zero it is.
        w.rcv_nxt = w.rcv_wup + w.rcv_wnd;
        assert_eq!(
            select_window(&mut w, 1000, 65536, &WindowSysctls::DEFAULT, false),
            0
        );
        // With tcp_shrink_window the window may shrink at once.
        let mut w = eth();
        let s = WindowSysctls {
            shrink_window: true,
            ..WindowSysctls::DEFAULT
        };
        assert_eq!(select_window(&mut w, 1000, 65536, &s, false), 0);
        // Memory pressure lowers rcv_ssthresh to 4 * advmss.
        let mut w = eth();
        let _ = raw_select_window(&mut w, 20_000, 65536, false, true);
        assert_eq!(w.rcv_ssthresh, 4 * 1448);
        // Negative or zero space does not panic.
        let mut w = eth();
        assert_eq!(raw_select_window(&mut w, -5, -5, false, false), 0);
        w.rcv_mss = 0;
        w.rcv_wscale = 0;
        let _ = raw_select_window(&mut w, i32::MIN, i32::MAX, false, true);
        w.rcv_wscale = 200;
        let _ = select_window(&mut w, i32::MAX, i32::MAX, &s, true);
    }

    #[test]
    fn rcv_mss_guess() {
        assert_eq!(initialize_rcv_mss(1448, 1448, 64240), 536);
        assert_eq!(initialize_rcv_mss(1448, 1448, 400), 200);
        assert_eq!(initialize_rcv_mss(1448, 1448, 0), 88);
        assert_eq!(initialize_rcv_mss(100, 1448, 64240), 100);
        assert_eq!(tcp_receive_window(SeqNum(10), 5, SeqNum(20)), 0);
        assert_eq!(tcp_receive_window(SeqNum(u32::MAX), 10, SeqNum(3)), 6);
    }
}
