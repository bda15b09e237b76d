// SPDX-License-Identifier: GPL-2.0

//! Request-socket processing from net/ipv4/tcp_minisocks.c: the handling
//! of every segment that hits a request in SYN_RECV (`tcp_check_req()`,
//! non-Fast-Open path) and the state a child socket starts from
//! (`tcp_create_openreq_child()`). The initial window of a request
//! (`tcp_openreq_init_rwin()`) is [`super::tcp_window::openreq_init_rwin`],
//! so that tcp_input can use it without importing this module.
//!
//! The PAWS helpers of include/net/tcp.h (`tcp_paws_check()`,
//! `tcp_paws_reject()`) are here too, in the form `tcp_check_req()` uses
//! them.

use super::inet_connection_sock::TCP_RTO_MAX_MS;
use super::request_sock::RequestSock;
use super::seq::SeqNum;
use super::tcp_hdr::{TcpFlags, TcpSegment};
use super::tcp_input::{oow_rate_limited, oow_rate_limited_raw};

/// `TCP_PAWS_WRAP` in seconds (`INT_MAX / USEC_PER_SEC`): a `ts_recent`
/// older than this is not trusted for PAWS.
pub const TCP_PAWS_WRAP_SECS: u32 = 2147;
/// `TCP_PAWS_MSL` in seconds: an RST passes PAWS when `ts_recent` is this
/// old.
pub const TCP_PAWS_MSL_SECS: u32 = 60;

/// Linux `tcp_in_window(seq, end_seq, s_win, e_win)` (tcp_minisocks.c):
/// the segment `[seq, end_seq)` is acceptable for the window `[s_win,
/// e_win)`: it starts exactly at `s_win`, or overlaps the window, or is
/// an empty segment exactly at `e_win`.
pub fn tcp_in_window(seq: SeqNum, end_seq: SeqNum, s_win: SeqNum, e_win: SeqNum) -> bool {
    if seq == s_win {
        return true;
    }
    if end_seq.after(s_win) && seq.before(e_win) {
        return true;
    }
    seq == e_win && seq == end_seq
}

/// Linux `tcp_paws_check(rx_opt, paws_win)` with `ts_recent_stamp` given
/// as its age in seconds (`now - ts_recent_stamp`, modulo 2^32): true when
/// the segment's `tsval` is acceptable.
pub fn paws_check(ts_recent: u32, tsval: u32, ts_recent_age_secs: u32, paws_win: i32) -> bool {
    if (ts_recent.wrapping_sub(tsval) as i32) <= paws_win {
        return true;
    }
    // !time_before32(now, stamp + TCP_PAWS_WRAP)
    if ts_recent_age_secs.wrapping_sub(TCP_PAWS_WRAP_SECS) as i32 >= 0 {
        return true;
    }
    // "Some OSes send SYN and SYNACK messages with tsval=0 tsecr=0 ... Ignore
    // 0 value"
    ts_recent == 0
}

/// Linux `tcp_paws_reject(rx_opt, rst)`: true when PAWS rejects the
/// segment; an RST is let through once `ts_recent` is [`TCP_PAWS_MSL_SECS`]
/// old.
pub fn paws_reject(ts_recent: u32, tsval: u32, ts_recent_age_secs: u32, rst: bool) -> bool {
    if paws_check(ts_recent, tsval, ts_recent_age_secs, 0) {
        return false;
    }
    !(rst && ts_recent_age_secs.wrapping_sub(TCP_PAWS_MSL_SECS) as i32 >= 0)
}

/// Inputs of [`check_req`] besides the request and the segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckReqCtx {
    /// The rate-limit clock (`tcp_jiffies32`), in the same units as
    /// `invalid_ratelimit` and [`RequestSock::last_oow_ack_time`].
    pub now: u32,
    /// `net.ipv4.tcp_invalid_ratelimit` (default 500 ms).
    pub invalid_ratelimit: u32,
    /// `net.ipv4.tcp_timestamps`: timestamp options are parsed (for PAWS
    /// and `ts_recent`) only when non-zero.
    pub tcp_timestamps: u8,
    /// The listener's `rskq_defer_accept` (TCP_DEFER_ACCEPT as a count of
    /// SYN-ACK retransmissions; 0 when unset).
    pub defer_accept: u8,
}

/// The state a child socket starts from: `tcp_create_openreq_child()`
/// plus the `ts_recent` update at the end of `tcp_check_req()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChildInit {
    /// `rcv_nxt` (also `rcv_wup` and `copied_seq`): `rcv_isn + 1`.
    pub rcv_nxt: SeqNum,
    /// `snd_una` (also `snd_sml`, `snd_nxt`, `snd_up`, `write_seq`,
    /// `pushed_seq`): `snt_isn + 1`.
    pub snd_una: SeqNum,
    /// `snd_wl1` (`tcp_init_wl(tp, rcv_isn)`).
    pub snd_wl1: SeqNum,
    /// `snd_wnd`: the ACK's window shifted by the peer's scale (if scaling).
    pub snd_wnd: u32,
    /// `max_window`: equal to `snd_wnd`.
    pub max_window: u32,
    /// `rcv_wnd` (`rsk_rcv_wnd`).
    pub rcv_wnd: u32,
    /// `rcv_ssthresh` (`rsk_rcv_wnd`).
    pub rcv_ssthresh: u32,
    /// `window_clamp`; at most 65535 without window scaling.
    pub window_clamp: u32,
    /// `rx_opt.wscale_ok`.
    pub wscale_ok: bool,
    /// `rx_opt.snd_wscale` (0 without scaling).
    pub snd_wscale: u8,
    /// `rx_opt.rcv_wscale` (0 without scaling).
    pub rcv_wscale: u8,
    /// `rx_opt.sack_ok`.
    pub sack_ok: bool,
    /// `rx_opt.tstamp_ok`; when set the caller also sets `ts_recent_stamp`
    /// to the current second (else 0).
    pub tstamp_ok: bool,
    /// `rx_opt.ts_recent`.
    pub ts_recent: u32,
    /// `tsoffset` (`ts_off`).
    pub ts_offset: u32,
    /// `rx_opt.mss_clamp`: the peer's MSS (`req->mss`).
    pub mss_clamp: u16,
    /// `advmss`: the MSS we advertised.
    pub advmss: u16,
    /// `tcp_header_len`: 20, or 32 with timestamps.
    pub tcp_header_len: u16,
    /// `total_retrans` (`num_retrans`).
    pub total_retrans: u8,
    /// `total_rto` (`num_timeout`; Linux also sets `undo_marker` and the
    /// RTO timing fields when it is non-zero).
    pub total_rto: u8,
}

/// What to do with a segment that matched a request socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckReqAction {
    /// Pure retransmitted SYN, not rate-limited: retransmit the SYN-ACK
    /// (`inet_rtx_syn_ack()`: `num_retrans += 1` if sent) and, if sent,
    /// move a pending SYN-ACK timer to `now + req.timeout(TCP_RTO_MAX)`.
    /// The segment is dropped.
    ResendSynAck,
    /// Unacceptable ACK (`ack != snt_isn + 1`): the segment goes to the
    /// listener, which answers it with a reset
    /// ([`super::tcp_ipv4::rst_for`]). The request is kept.
    SendRst,
    /// Out of window or PAWS-rejected: send the request's ACK
    /// ([`super::tcp_ipv4::reqsk_ack_repr`]) and drop the segment.
    SendAck,
    /// In-window RST not at `rcv_nxt` (RFC 5961): send the request's ACK if
    /// the namespace's [`super::tcp_input::ChallengeAckQuota`] allows
    /// (`LINUX_MIB_TCPCHALLENGEACK`); drop the segment.
    ChallengeAck,
    /// Drop the segment silently; the request stays.
    Drop,
    /// TCP_DEFER_ACCEPT: a bare ACK was dropped and `req.acked` set
    /// (`LINUX_MIB_TCPDEFERACCEPTDROP`).
    DeferAcceptDrop,
    /// `embryonic_reset`: unlink and free the request (`EmbryonicRsts`;
    /// `AttemptFails` when caused by RST/SYN) and, if `send_rst`, answer
    /// the segment with [`super::tcp_ipv4::rst_for`].
    DropRequest {
        /// The segment was not itself an RST.
        send_rst: bool,
    },
    /// The handshake completes: create the child (`syn_recv_sock`), unless
    /// the accept queue is full (then see [`syn_recv_overflow`]).
    CreateChild(ChildInit),
}

/// Linux `tcp_check_req(sk, skb, req, fastopen = false, ...)` (6.12.117):
/// classifies `seg` for the request `req`, updating the request's rate-limit
/// time and `acked` flag as Linux does.
///
/// The branches, in Linux's order:
/// 1. Timestamp option (if `tcp_timestamps != 0`): PAWS against
///    `req.ts_recent`, with `ts_recent_stamp = now - reqsk_timeout(req,
///    TCP_RTO_MAX)`.
/// 2. `seq == rcv_isn` and exactly SYN among RST/SYN/ACK and not PAWS
///    rejected: retransmitted SYN → [`CheckReqAction::ResendSynAck`], or
///    `Drop` when rate-limited.
/// 3. ACK without RST and `ack != snt_isn + 1` → `SendRst`.
/// 4. PAWS reject or not `tcp_in_window(seq, end_seq, rcv_nxt, rcv_nxt +
///    min(rcv_wnd, 65535))` → `SendAck` unless RST or rate-limited
///    (then `Drop`).
/// 5. `seq == rcv_isn`: the SYN bit is ignored from here on.
/// 6. RST with `seq != rcv_nxt` → `ChallengeAck` (or `Drop` if
///    rate-limited).
/// 7. RST or SYN → `DropRequest`, with a reset unless RST.
/// 8. No ACK → `Drop`.
/// 9. `num_timeout < defer_accept` and no data/FIN → `DeferAcceptDrop`.
/// 10. `CreateChild`.
pub fn check_req(req: &mut RequestSock, seg: &TcpSegment<'_>, ctx: &CheckReqCtx) -> CheckReqAction {
    let all = seg.flags;
    let mut syn = all.contains(TcpFlags::SYN);
    let rst = all.contains(TcpFlags::RST);
    let ack = all.contains(TcpFlags::ACK);
    let rcv_nxt = req.rcv_nxt();
    // TCP_SKB_CB(skb)->end_seq = seq + syn + fin + payload length.
    let end_seq = seg.seq + (seg.seq_len() as u32);

    // Step 1: timestamps and PAWS.
    let tstamp = if ctx.tcp_timestamps != 0 {
        seg.options.timestamp
    } else {
        None
    };
    let paws_rej = match tstamp {
        Some((tsval, _)) => {
            let age = req.timeout(TCP_RTO_MAX_MS) / 1000;
            paws_reject(req.ts_recent, tsval, age, rst)
        }
        None => false,
    };

    // Step 2: "Check for pure retransmitted SYN."
    if seg.seq == req.rcv_isn && syn && !rst && !ack && !paws_rej {
        if oow_rate_limited(
            seg,
            &mut req.last_oow_ack_time,
            ctx.now,
            ctx.invalid_ratelimit,
        ) {
            return CheckReqAction::Drop;
        }
        return CheckReqAction::ResendSynAck;
    }

    // Step 3: "Invalid ACK: reset will be sent by listening socket."
    if ack && !rst && seg.ack != req.snt_isn + 1 {
        return CheckReqAction::SendRst;
    }

    // Step 4: "RFC793: first check sequence number".
    let e_win = rcv_nxt + req.synack_window();
    if paws_rej || !tcp_in_window(seg.seq, end_seq, rcv_nxt, e_win) {
        // "Out of window: send ACK and drop."
        if !rst
            && !oow_rate_limited(
                seg,
                &mut req.last_oow_ack_time,
                ctx.now,
                ctx.invalid_ratelimit,
            )
        {
            return CheckReqAction::SendAck;
        }
        return CheckReqAction::Drop;
    }

    // Step 5: "Truncate SYN, it is out of window starting at rcv_isn + 1."
    if seg.seq == req.rcv_isn {
        syn = false;
    }

    // Step 6: RFC 5961 3.2 / RFC 9293 3.10.7.4 challenge ACK.
    if rst && seg.seq != rcv_nxt {
        if oow_rate_limited_raw(&mut req.last_oow_ack_time, ctx.now, ctx.invalid_ratelimit) {
            return CheckReqAction::Drop;
        }
        return CheckReqAction::ChallengeAck;
    }

    // Step 7: "second check the RST bit" and "fourth, check the SYN bit".
    if rst || syn {
        return CheckReqAction::DropRequest { send_rst: !rst };
    }

    // Step 8: "If ACK not set, just silently drop the packet."
    if !ack {
        return CheckReqAction::Drop;
    }

    // Step 9: "While TCP_DEFER_ACCEPT is active, drop bare ACK."
    if req.num_timeout < ctx.defer_accept && end_seq == req.rcv_isn + 1 {
        req.acked = true;
        return CheckReqAction::DeferAcceptDrop;
    }

    // Step 10: create the child; ts_recent from this ACK when it is not
    // beyond rcv_nxt.
    let mut child = child_init(req, seg.window);
    if let Some((tsval, _)) = tstamp {
        if !seg.seq.after(rcv_nxt) {
            child.ts_recent = tsval;
        }
    }
    CheckReqAction::CreateChild(child)
}

/// The child's initial state per `tcp_create_openreq_child()`, given the
/// completing ACK's (unscaled) window. `ts_recent` is the request's when
/// timestamps were negotiated, else 0 (before [`check_req`]'s update).
pub fn child_init(req: &RequestSock, ack_window: u16) -> ChildInit {
    let (snd_wscale, rcv_wscale, window_clamp) = if req.wscale_ok {
        (req.snd_wscale, req.rcv_wscale, req.window_clamp)
    } else {
        (0, 0, req.window_clamp.min(65535))
    };
    // snd_wscale is at most 14 when it comes from parse_syn_options(); an
    // out-of-range value set by hand gives 0 instead of a shift panic.
    let snd_wnd = u32::from(ack_window)
        .checked_shl(u32::from(snd_wscale))
        .unwrap_or(0);
    ChildInit {
        rcv_nxt: req.rcv_nxt(),
        snd_una: req.snt_isn + 1,
        snd_wl1: req.rcv_isn,
        snd_wnd,
        max_window: snd_wnd,
        rcv_wnd: req.rcv_wnd,
        rcv_ssthresh: req.rcv_wnd,
        window_clamp,
        wscale_ok: req.wscale_ok,
        snd_wscale,
        rcv_wscale,
        sack_ok: req.sack_ok,
        tstamp_ok: req.tstamp_ok,
        ts_recent: if req.tstamp_ok { req.ts_recent } else { 0 },
        ts_offset: req.ts_off,
        mss_clamp: req.peer_mss,
        advmss: req.mss,
        tcp_header_len: if req.tstamp_ok { 32 } else { 20 },
        total_retrans: req.num_retrans,
        total_rto: req.num_timeout,
    }
}

/// `tcp_check_req()`'s `listen_overflow` path, taken when
/// `tcp_v4_syn_recv_sock()` finds the accept queue full
/// (`sk_acceptq_is_full()`) after [`CheckReqAction::CreateChild`]: with
/// `tcp_abort_on_overflow == 0` the request is marked `acked` and the ACK
/// dropped (the SYN-ACK timer will retry); otherwise the request is
/// dropped with a reset.
pub fn syn_recv_overflow(req: &mut RequestSock, abort_on_overflow: bool) -> CheckReqAction {
    if !abort_on_overflow {
        req.acked = true;
        return CheckReqAction::Drop;
    }
    CheckReqAction::DropRequest { send_rst: true }
}

#[cfg(test)]
mod tests {
    use super::super::tcp_hdr::TcpOptions;
    use super::*;

    const ISN: u32 = 1000; // peer's
    const OUR: u32 = 5000;

    fn req() -> RequestSock {
        let mut r = RequestSock::empty();
        r.rcv_isn = SeqNum(ISN);
        r.snt_isn = SeqNum(OUR);
        r.rcv_wnd = 65160;
        r.window_clamp = 65535 << 7;
        r.mss = 1460;
        r.peer_mss = 1460;
        r.wscale_ok = true;
        r.snd_wscale = 10;
        r.rcv_wscale = 7;
        r.sack_ok = true;
        r.tstamp_ok = true;
        r.ts_recent = 100;
        r.ts_off = 7;
        r
    }

    fn ctx() -> CheckReqCtx {
        CheckReqCtx {
            now: 10_000,
            invalid_ratelimit: 500,
            tcp_timestamps: 1,
            defer_accept: 0,
        }
    }

    fn seg(seq: u32, ack: u32, flags: TcpFlags, ts: Option<u32>, payload: &[u8]) -> TcpSegment<'_> {
        TcpSegment {
            src_port: 40000,
            dst_port: 5555,
            seq: SeqNum(seq),
            ack: SeqNum(ack),
            flags,
            window: 502,
            checksum: 0,
            urgent: 0,
            header_len: 32,
            options: TcpOptions {
                timestamp: ts.map(|v| (v, 0)),
                ..TcpOptions::new()
            },
            payload,
        }
    }

    const A: TcpFlags = TcpFlags::ACK;
    const S: TcpFlags = TcpFlags::SYN;
    const R: TcpFlags = TcpFlags::RST;
    const F: TcpFlags = TcpFlags::FIN;

    #[test]
    fn completes_handshake() {
        let mut r = req();
        let got = check_req(&mut r, &seg(ISN + 1, OUR + 1, A, Some(150), &[]), &ctx());
        let CheckReqAction::CreateChild(c) = got else {
            panic!("{got:?}")
        };
        assert_eq!(c.rcv_nxt, SeqNum(ISN + 1));
        assert_eq!(c.snd_una, SeqNum(OUR + 1));
        assert_eq!(c.snd_wl1, SeqNum(ISN));
        assert_eq!(c.snd_wnd, 502 << 10);
        assert_eq!(c.max_window, 502 << 10);
        assert_eq!((c.rcv_wnd, c.rcv_ssthresh), (65160, 65160));
        assert_eq!(c.window_clamp, 65535 << 7);
        assert_eq!((c.snd_wscale, c.rcv_wscale), (10, 7));
        assert_eq!(c.ts_recent, 150);
        assert_eq!(c.ts_offset, 7);
        assert_eq!((c.mss_clamp, c.advmss, c.tcp_header_len), (1460, 1460, 32));
        // ACK with data also completes.
        let mut r = req();
        let got = check_req(&mut r, &seg(ISN + 1, OUR + 1, A, Some(150), b"hi"), &ctx());
        assert!(matches!(got, CheckReqAction::CreateChild(_)));
    }

    #[test]
    fn child_without_scaling_or_timestamps() {
        let mut r = req();
        r.wscale_ok = false;
        r.tstamp_ok = false;
        r.ts_recent = 0;
        let c = child_init(&r, 1000);
        assert_eq!((c.snd_wnd, c.snd_wscale, c.rcv_wscale), (1000, 0, 0));
        assert_eq!(c.window_clamp, 65535);
        assert_eq!((c.ts_recent, c.tcp_header_len), (0, 20));
    }

    #[test]
    fn ts_recent_not_updated_beyond_rcv_nxt() {
        // An ACK whose seq is after rcv_nxt (in window) keeps req's value.
        let mut r = req();
        let got = check_req(&mut r, &seg(ISN + 2, OUR + 1, A, Some(150), &[]), &ctx());
        let CheckReqAction::CreateChild(c) = got else {
            panic!("{got:?}")
        };
        assert_eq!(c.ts_recent, 100);
    }

    #[test]
    fn retransmitted_syn() {
        let mut r = req();
        let s = seg(ISN, 0, S, Some(100), &[]);
        assert_eq!(check_req(&mut r, &s, &ctx()), CheckReqAction::ResendSynAck);
        assert_eq!(r.last_oow_ack_time, 10_000);
        // Rate-limited within 500.
        let mut c = ctx();
        c.now = 10_499;
        assert_eq!(check_req(&mut r, &s, &c), CheckReqAction::Drop);
        c.now = 10_500;
        assert_eq!(check_req(&mut r, &s, &c), CheckReqAction::ResendSynAck);
        // SYN|FIN still counts as "pure" (only RST/SYN/ACK are looked at).
        let mut r = req();
        assert_eq!(
            check_req(&mut r, &seg(ISN, 0, S | F, None, &[]), &ctx()),
            CheckReqAction::ResendSynAck
        );
        // PAWS-rejected SYN retransmission is not answered with a SYN-ACK:
        // it is out of window (seq = rcv_isn, end = rcv_isn + 1 is not
        // after rcv_nxt) and PAWS-rejected -> ACK.
        let mut r = req();
        assert_eq!(
            check_req(&mut r, &seg(ISN, 0, S, Some(50), &[]), &ctx()),
            CheckReqAction::SendAck
        );
    }

    #[test]
    fn different_syn() {
        // A SYN with another ISN inside the window resets the request.
        let mut r = req();
        assert_eq!(
            check_req(&mut r, &seg(ISN + 10, 0, S, None, &[]), &ctx()),
            CheckReqAction::DropRequest { send_rst: true }
        );
        // Outside the window: ACK.
        let mut r = req();
        assert_eq!(
            check_req(&mut r, &seg(ISN + 100_000, 0, S, None, &[]), &ctx()),
            CheckReqAction::SendAck
        );
        // SYN|ACK with the right ACK at rcv_isn: without data its end_seq is
        // rcv_nxt, which tcp_in_window() refuses (the "crossed SYNs" comment
        // in tcp_check_req() predates that check) -> ACK.
        let mut r = req();
        assert_eq!(
            check_req(&mut r, &seg(ISN, OUR + 1, S | A, None, &[]), &ctx()),
            CheckReqAction::SendAck
        );
        // With data it overlaps the window, the SYN is truncated and the
        // child is created.
        let mut r = req();
        assert!(matches!(
            check_req(&mut r, &seg(ISN, OUR + 1, S | A, None, b"x"), &ctx()),
            CheckReqAction::CreateChild(_)
        ));
    }

    #[test]
    fn bad_ack_resets_via_listener() {
        let mut r = req();
        for ackno in [OUR, OUR + 2, 0] {
            assert_eq!(
                check_req(&mut r, &seg(ISN + 1, ackno, A, None, &[]), &ctx()),
                CheckReqAction::SendRst
            );
        }
        // Bad ACK beats out-of-window.
        assert_eq!(
            check_req(&mut r, &seg(ISN + 100_000, 1, A, None, &[]), &ctx()),
            CheckReqAction::SendRst
        );
        // With RST the ACK value is not checked.
        assert_eq!(
            check_req(&mut r, &seg(ISN + 1, 1, A | R, None, &[]), &ctx()),
            CheckReqAction::DropRequest { send_rst: false }
        );
    }

    #[test]
    fn out_of_window() {
        let mut r = req();
        let s = seg(ISN + 70_000, OUR + 1, A, None, &[]);
        assert_eq!(check_req(&mut r, &s, &ctx()), CheckReqAction::SendAck);
        assert_eq!(check_req(&mut r, &s, &ctx()), CheckReqAction::Drop);
        // Data segments are never rate-limited.
        let s = seg(ISN + 70_000, OUR + 1, A, None, b"x");
        assert_eq!(check_req(&mut r, &s, &ctx()), CheckReqAction::SendAck);
        // Old segment (before rcv_nxt, empty).
        let mut r = req();
        assert_eq!(
            check_req(&mut r, &seg(ISN, OUR + 1, A, None, &[]), &ctx()),
            CheckReqAction::SendAck
        );
        // Window edge: seq == rcv_nxt + 65160 with no data is acceptable.
        let mut r = req();
        assert!(matches!(
            check_req(&mut r, &seg(ISN + 1 + 65160, OUR + 1, A, None, &[]), &ctx()),
            CheckReqAction::CreateChild(_)
        ));
        let mut r = req();
        assert_eq!(
            check_req(
                &mut r,
                &seg(ISN + 1 + 65160, OUR + 1, A, None, b"x"),
                &ctx()
            ),
            CheckReqAction::SendAck
        );
        // RST out of window: silently dropped.
        let mut r = req();
        assert_eq!(
            check_req(&mut r, &seg(ISN + 70_000, 0, R, None, &[]), &ctx()),
            CheckReqAction::Drop
        );
        // The window is capped at 65535 however large rcv_wnd is.
        let mut r = req();
        r.rcv_wnd = 1 << 20;
        assert_eq!(
            check_req(&mut r, &seg(ISN + 1 + 65536, OUR + 1, A, None, &[]), &ctx()),
            CheckReqAction::SendAck
        );
    }

    #[test]
    fn paws() {
        // tsval behind ts_recent: rejected -> ACK.
        let mut r = req();
        assert_eq!(
            check_req(&mut r, &seg(ISN + 1, OUR + 1, A, Some(99), &[]), &ctx()),
            CheckReqAction::SendAck
        );
        // Equal is fine.
        let mut r = req();
        assert!(matches!(
            check_req(&mut r, &seg(ISN + 1, OUR + 1, A, Some(100), &[]), &ctx()),
            CheckReqAction::CreateChild(_)
        ));
        // ts_recent 0 never rejects.
        let mut r = req();
        r.ts_recent = 0;
        assert!(matches!(
            check_req(
                &mut r,
                &seg(ISN + 1, OUR + 1, A, Some(0x8000_0000), &[]),
                &ctx()
            ),
            CheckReqAction::CreateChild(_)
        ));
        // Timestamps disabled: option ignored entirely.
        let mut r = req();
        let mut c = ctx();
        c.tcp_timestamps = 0;
        let got = check_req(&mut r, &seg(ISN + 1, OUR + 1, A, Some(99), &[]), &c);
        let CheckReqAction::CreateChild(ch) = got else {
            panic!("{got:?}")
        };
        assert_eq!(ch.ts_recent, 100);
        // PAWS-rejected RST: dropped silently while young...
        let mut r = req();
        assert_eq!(
            check_req(&mut r, &seg(ISN + 1, 0, R, Some(99), &[]), &ctx()),
            CheckReqAction::Drop
        );
        // ...accepted once reqsk_timeout >= 60 s (num_timeout 6: 64 s).
        r.num_timeout = 6;
        assert_eq!(
            check_req(&mut r, &seg(ISN + 1, 0, R, Some(99), &[]), &ctx()),
            CheckReqAction::DropRequest { send_rst: false }
        );
        r.num_timeout = 5;
        assert_eq!(
            check_req(&mut r, &seg(ISN + 1, 0, R, Some(99), &[]), &ctx()),
            CheckReqAction::Drop
        );
        assert!(paws_check(5, 1, TCP_PAWS_WRAP_SECS, 0));
        assert!(!paws_check(5, 1, TCP_PAWS_WRAP_SECS - 1, 0));
        assert!(paws_check(5, 4, 0, 1));
    }

    #[test]
    fn rst_handling() {
        // Exact RST: request dropped, no reply.
        let mut r = req();
        assert_eq!(
            check_req(&mut r, &seg(ISN + 1, 0, R, None, &[]), &ctx()),
            CheckReqAction::DropRequest { send_rst: false }
        );
        // In-window, not exact: challenge ACK, rate-limited.
        let mut r = req();
        let s = seg(ISN + 5, 0, R, None, &[]);
        assert_eq!(check_req(&mut r, &s, &ctx()), CheckReqAction::ChallengeAck);
        assert_eq!(check_req(&mut r, &s, &ctx()), CheckReqAction::Drop);
        // RST|SYN at rcv_nxt: dropped without a reset.
        let mut r = req();
        assert_eq!(
            check_req(&mut r, &seg(ISN + 1, 0, R | S, None, &[]), &ctx()),
            CheckReqAction::DropRequest { send_rst: false }
        );
    }

    #[test]
    fn no_ack_and_defer_accept() {
        let mut r = req();
        assert_eq!(
            check_req(
                &mut r,
                &seg(ISN + 1, 0, TcpFlags::empty(), None, b"d"),
                &ctx()
            ),
            CheckReqAction::Drop
        );
        let mut c = ctx();
        c.defer_accept = 2;
        let mut r = req();
        assert_eq!(
            check_req(&mut r, &seg(ISN + 1, OUR + 1, A, None, &[]), &c),
            CheckReqAction::DeferAcceptDrop
        );
        assert!(r.acked);
        // Data (or FIN) completes despite TCP_DEFER_ACCEPT.
        let mut r = req();
        assert!(matches!(
            check_req(&mut r, &seg(ISN + 1, OUR + 1, A, None, b"GET"), &c),
            CheckReqAction::CreateChild(_)
        ));
        let mut r = req();
        assert!(matches!(
            check_req(&mut r, &seg(ISN + 1, OUR + 1, A | F, None, &[]), &c),
            CheckReqAction::CreateChild(_)
        ));
        // Deferring ends once num_timeout reaches defer_accept.
        let mut r = req();
        r.num_timeout = 2;
        assert!(matches!(
            check_req(&mut r, &seg(ISN + 1, OUR + 1, A, None, &[]), &c),
            CheckReqAction::CreateChild(_)
        ));
    }

    #[test]
    fn overflow() {
        let mut r = req();
        assert_eq!(syn_recv_overflow(&mut r, false), CheckReqAction::Drop);
        assert!(r.acked);
        let mut r = req();
        assert_eq!(
            syn_recv_overflow(&mut r, true),
            CheckReqAction::DropRequest { send_rst: true }
        );
        assert!(!r.acked);
    }

    #[test]
    fn in_window_edges() {
        let w = |s, e| tcp_in_window(SeqNum(s), SeqNum(e), SeqNum(10), SeqNum(20));
        assert!(w(10, 10));
        assert!(w(5, 11));
        assert!(!w(5, 10));
        assert!(w(19, 25));
        assert!(!w(20, 21));
        assert!(w(20, 20));
        assert!(!w(21, 21));
    }
}
