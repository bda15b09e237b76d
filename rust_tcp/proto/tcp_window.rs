// SPDX-License-Identifier: GPL-2.0

//! The receive window a synchronised connection advertises: the buffer
//! set-up at establishment (`tcp_init_buffer_space()` and
//! `tcp_initialize_rcv_mss()`, net/ipv4/tcp_input.c) and the window put in
//! every non-SYN segment (`tcp_select_window()` and
//! `__tcp_select_window()`, net/ipv4/tcp_output.c).
//!
//! Buffer sizes enter as windows: `full_space` is `tcp_full_space(sk)`
//! (`sk_rcvbuf` through the socket's `scaling_ratio`, see
//! [`super::tcp_output::tcp_win_from_space`]) and `free_space` is
//! `tcp_space(sk)` (the same of `sk_rcvbuf - backlog - rmem_alloc`); both
//! are C `int`s and may be negative. MPTCP, `SO_RESERVE_MEM` and the
//! `ICSK_ACK_NOMEM` out-of-memory zero window are not modelled.

use super::seq::SeqNum;
use super::tcp_input::{TCP_MIN_MSS, TCP_MSS_DEFAULT};
use super::tcp_output::MAX_TCP_WINDOW;

/// `TCP_INIT_CWND`.
pub const TCP_INIT_CWND: u32 = 10;
/// Default `net.ipv4.tcp_app_win`.
pub const TCP_APP_WIN_DEFAULT: u8 = 31;

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
