// SPDX-License-Identifier: GPL-2.0

//! Output-side computations of net/ipv4/tcp_output.c: the SYN-ACK header
//! of a passive open (`tcp_make_synack()` + `tcp_synack_options()`), the
//! reset a socket sends when it aborts (`tcp_send_active_reset()`), and how
//! much window a buffer backs (`__tcp_win_from_space()`). The initial window and window scale
//! (`tcp_select_initial_window()`) are in [`super::tcp_window`].

use super::request_sock::RequestSock;
use super::seq::SeqNum;
use super::tcp_hdr::{TcpFlags, TcpOptions, TcpRepr};

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

/// Linux `__tcp_space_from_win(scaling_ratio, win)`: the buffer a window
/// of `win` bytes needs (the inverse of [`tcp_win_from_space`]).
#[inline]
pub const fn tcp_space_from_win(scaling_ratio: u8, win: u64) -> u64 {
    let r = if scaling_ratio == 0 { 1 } else { scaling_ratio as u64 };
    (win << TCP_RMEM_TO_WIN_SCALE) / r
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

/// The segment of `tcp_send_active_reset()`: RST|ACK from our port to
/// the peer's, `seq = snd_nxt`, acknowledging `rcv_nxt`, without options
/// or data. Both a synchronised connection ([`super::tcp_conn::TcpConn`])
/// and one still in SYN_RECV or SYN_SENT (its `snd_nxt`/`rcv_nxt` kept by
/// the caller) abort with it; the window is 0 (Linux puts its current
/// window there, which a reset's receiver ignores).
pub fn active_reset_repr(src_port: u16, dst_port: u16, snd_nxt: SeqNum, rcv_nxt: SeqNum) -> TcpRepr {
    TcpRepr {
        src_port,
        dst_port,
        seq: snd_nxt,
        ack: rcv_nxt,
        flags: TcpFlags::RST.union(TcpFlags::ACK),
        window: 0,
        urgent: 0,
        options: TcpOptions::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_reset_fields() {
        let r = active_reset_repr(5555, 40000, SeqNum(7), SeqNum(u32::MAX));
        assert_eq!((r.src_port, r.dst_port), (5555, 40000));
        assert_eq!((r.seq, r.ack), (SeqNum(7), SeqNum(u32::MAX)));
        assert_eq!(r.flags, TcpFlags::RST | TcpFlags::ACK);
        assert_eq!((r.window, r.urgent), (0, 0));
        assert_eq!(r.options, TcpOptions::new());
        assert_eq!(r.header_len(), 20);
    }

    #[test]
    fn full_space() {
        assert_eq!(tcp_win_from_space(TCP_DEFAULT_SCALING_RATIO, 131072), 65536);
        assert_eq!(tcp_win_from_space(255, i32::MAX), 2_139_095_039);
        assert_eq!(tcp_win_from_space(128, -4), -2);
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
