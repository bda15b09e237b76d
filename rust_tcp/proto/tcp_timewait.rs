// SPDX-License-Identifier: GPL-2.0

//! TIME_WAIT, the other half of net/ipv4/tcp_minisocks.c: the small state a
//! timewait socket keeps (`struct tcp_timewait_sock`, filled by
//! `tcp_time_wait()`), what it does with each segment
//! (`tcp_timewait_state_process()`), the ACK it sends
//! (`tcp_v4_timewait_ack()`, net/ipv4/tcp_ipv4.c) and what
//! [`super::inet_hash_connect::tcp_twsk_unique`] reads from it to let
//! `connect()` recycle the 4-tuple.
//!
//! A timewait socket stands for a closed connection in one of two
//! substates: `TIME_WAIT` proper (both FINs exchanged; lives
//! [`TCP_TIMEWAIT_LEN_MS`]) or `FIN_WAIT2` (an orphan whose peer has not
//! sent its FIN yet; lives for `tcp_fin_time()`, see
//! [`super::tcp_fin::orphan_close`]). On expiry it is removed silently.
//!
//! # Clocks
//!
//! `now` is `tcp_jiffies32` in the unit of `net.ipv4.tcp_invalid_ratelimit`
//! (ms); `now_secs` is `ktime_get_seconds()` (`ts_recent_stamp`); `now_ms`
//! is the millisecond TCP timestamp clock. TCP_AO/MD5 and microsecond
//! timestamps are not modelled.

use super::inet_hash_connect::TwInfo;
use super::seq::SeqNum;
use super::tcp_hdr::{TcpFlags, TcpOptions, TcpRepr, TcpSegment, HEADER_LEN};
use super::tcp_input::oow_rate_limited;
use super::tcp_minisocks::{paws_reject, tcp_in_window};
use super::tcp_states::{TCP_FIN_WAIT2, TCP_TIME_WAIT};

/// `TCP_TIMEWAIT_LEN` in milliseconds (60 s): how long TIME_WAIT lasts, and
/// how long every retransmitted FIN or ACK restarts it for.
pub const TCP_TIMEWAIT_LEN_MS: u32 = 60_000;

/// The timer `tcp_time_wait(sk, state, timeo)` gives the new timewait
/// socket: TIME_WAIT always gets [`TCP_TIMEWAIT_LEN_MS`]; FIN_WAIT2 gets
/// `timeo`, but at least 3.5 RTOs (`(rto << 2) - (rto >> 1)`, `int`; see
/// [`super::tcp_fin::tcp_fin_time`] on rounding).
pub const fn time_wait_timeo(state: u8, timeo: i32, rto_ms: u32) -> i32 {
    if state == TCP_TIME_WAIT {
        return TCP_TIMEWAIT_LEN_MS as i32;
    }
    let rto = rto_ms as i32;
    let min = rto.wrapping_shl(2).wrapping_sub(rto >> 1);
    if timeo < min {
        min
    } else {
        timeo
    }
}

/// `struct tcp_timewait_sock` (with the `inet_timewait_sock` fields TCP
/// uses), as `tcp_time_wait()` fills it from the full socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeWaitSock {
    /// `tw_substate`: [`TCP_TIME_WAIT`] or [`TCP_FIN_WAIT2`].
    pub substate: u8,
    /// `tw_rcv_saddr` (our address), wire order.
    pub loc_addr: [u8; 4],
    /// `tw_daddr` (the peer), wire order.
    pub rmt_addr: [u8; 4],
    /// Our port (host order).
    pub loc_port: u16,
    /// The peer's port (host order).
    pub rmt_port: u16,
    /// `tw_bound_dev_if`.
    pub bound_dev_if: i32,
    /// `tw_rcv_nxt`: `rcv_nxt` (past the peer's FIN in TIME_WAIT).
    pub rcv_nxt: SeqNum,
    /// `tw_snd_nxt`: `snd_nxt` (past our FIN).
    pub snd_nxt: SeqNum,
    /// `tw_rcv_wnd`: `tcp_receive_window()` when the socket was made.
    pub rcv_wnd: u32,
    /// `tw_rcv_wscale`: our window scale.
    pub rcv_wscale: u8,
    /// `tw_ts_recent`.
    pub ts_recent: u32,
    /// `tw_ts_recent_stamp` (seconds; 0 when timestamps were not in use).
    pub ts_recent_stamp: u32,
    /// `tw_ts_offset`: our timestamp offset (`tsoffset`).
    pub ts_offset: u32,
    /// `tw_last_oow_ack_time` (0 when made).
    pub last_oow_ack_time: u32,
}

/// Inputs of [`TimeWaitSock::process`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TwCtx {
    /// `tcp_jiffies32` (rate limit).
    pub now: u32,
    /// `ktime_get_seconds()`.
    pub now_secs: u32,
    /// `net.ipv4.tcp_invalid_ratelimit`.
    pub invalid_ratelimit: u32,
    /// `net.ipv4.tcp_timestamps`: timestamp options are parsed only when
    /// non-zero.
    pub tcp_timestamps: u8,
    /// `net.ipv4.tcp_rfc1337` (default 0): when set, an RST does not kill
    /// TIME_WAIT ("TIME_WAIT assassination").
    pub rfc1337: bool,
}

impl TwCtx {
    /// Default sysctls (500 ms rate limit, timestamps on, rfc1337 off).
    pub const fn new(now: u32, now_secs: u32) -> Self {
        Self {
            now,
            now_secs,
            invalid_ratelimit: 500,
            tcp_timestamps: 1,
            rfc1337: false,
        }
    }
}

/// What a timewait socket does with a segment (`enum tcp_tw_status` plus
/// the timer and lifetime changes around it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TwAction {
    /// `TCP_TW_ACK`: send [`TimeWaitSock::ack_repr`]; with `reschedule`
    /// restart the timer for [`TCP_TIMEWAIT_LEN_MS`] first.
    Ack {
        /// `inet_twsk_reschedule(tw, TCP_TIMEWAIT_LEN)`.
        reschedule: bool,
    },
    /// `TCP_TW_SUCCESS`: drop the segment; with `reschedule` restart the
    /// timer.
    Drop {
        /// `inet_twsk_reschedule(tw, TCP_TIMEWAIT_LEN)`.
        reschedule: bool,
    },
    /// `TCP_TW_SUCCESS` after `inet_twsk_deschedule_put()`: the timewait
    /// socket is gone (an RST); drop the segment.
    Kill,
    /// `TCP_TW_RST`: answer with a reset
    /// ([`super::tcp_ipv4::rst_for`]) and kill the timewait socket.
    Rst,
    /// `TCP_TW_SYN`: a new connection attempt. If a listener matches, kill
    /// the timewait socket and process the SYN there with this ISN
    /// (`TCP_SKB_CB(skb)->tcp_tw_isn`, which also skips the SYN-queue
    /// limits, see [`super::tcp_input::conn_request_admission`]); without
    /// one, send [`TimeWaitSock::ack_repr`] like `TCP_TW_ACK`.
    Syn {
        /// `tw_snd_nxt + 65535 + 2`, 1 instead of 0.
        isn: SeqNum,
    },
}

impl TimeWaitSock {
    /// The timewait socket `tcp_time_wait(sk, substate, timeo)` makes from a
    /// connection (`rcv_window` is `tcp_receive_window(tp)`).
    #[allow(clippy::too_many_arguments)]
    pub const fn new(
        substate: u8,
        loc_addr: [u8; 4],
        rmt_addr: [u8; 4],
        loc_port: u16,
        rmt_port: u16,
        bound_dev_if: i32,
        rcv_nxt: SeqNum,
        snd_nxt: SeqNum,
        rcv_window: u32,
        rcv_wscale: u8,
        ts_recent: u32,
        ts_recent_stamp: u32,
        ts_offset: u32,
    ) -> Self {
        Self {
            substate,
            loc_addr,
            rmt_addr,
            loc_port,
            rmt_port,
            bound_dev_if,
            rcv_nxt,
            snd_nxt,
            rcv_wnd: rcv_window,
            rcv_wscale,
            ts_recent,
            ts_recent_stamp,
            ts_offset,
            last_oow_ack_time: 0,
        }
    }

    /// What [`super::inet_hash_connect::tcp_twsk_unique`] reads.
    pub const fn tw_info(&self) -> TwInfo {
        TwInfo {
            fin_wait2: self.substate == TCP_FIN_WAIT2,
            bound_dev_if: self.bound_dev_if,
            daddr: self.rmt_addr,
            rcv_saddr: self.loc_addr,
            ts_recent_stamp: self.ts_recent_stamp,
            ts_recent: self.ts_recent,
            snd_nxt: self.snd_nxt,
        }
    }

    /// The ISN a SYN reopening this pair gets: `tw_snd_nxt + 65535 + 2`,
    /// skipping 0 (also what `tcp_twsk_unique()` gives a recycling
    /// `connect()`).
    pub fn reuse_isn(&self) -> SeqNum {
        let isn = self.snd_nxt + 65535 + 2;
        if isn.0 == 0 {
            SeqNum(1)
        } else {
            isn
        }
    }

    /// `tcp_timewait_check_oow_rate_limit()`: ACK unless rate-limited
    /// (data segments without SYN never are).
    fn oow_ack(&mut self, seg: &TcpSegment<'_>, ctx: &TwCtx, reschedule: bool) -> TwAction {
        if oow_rate_limited(
            seg,
            &mut self.last_oow_ack_time,
            ctx.now,
            ctx.invalid_ratelimit,
        ) {
            TwAction::Drop { reschedule }
        } else {
            TwAction::Ack { reschedule }
        }
    }

    /// Linux `tcp_timewait_state_process(tw, skb, th, &tw_isn)` (6.12.117).
    ///
    /// PAWS: when the segment has options, the socket has a
    /// `ts_recent_stamp`, `tcp_timestamps` is on and a timestamp is present,
    /// `tcp_paws_reject()` against `ts_recent` (an RST passes once
    /// `ts_recent` is 60 s old).
    ///
    /// Substate FIN_WAIT2 repeats `tcp_rcv_state_process()`: PAWS-rejected
    /// or outside `[rcv_nxt, rcv_nxt + rcv_wnd]` (`tcp_in_window()`) → ACK
    /// (rate-limited); RST → kill; SYN at or after `rcv_nxt` → reset; no
    /// ACK, nothing new or empty → drop; anything but exactly the FIN at
    /// `rcv_nxt` → reset ("new data after half-duplex close"); the FIN →
    /// TIME_WAIT, `rcv_nxt` past it, `ts_recent` updated, timer
    /// [`TCP_TIMEWAIT_LEN_MS`], ACK.
    ///
    /// TIME_WAIT: an empty segment or RST exactly at `rcv_nxt` passing PAWS
    /// → an RST kills (unless `tcp_rfc1337`), anything else restarts the
    /// timer; `ts_recent` is updated; dropped. A SYN without RST/ACK that
    /// passes PAWS and has a `seq` after `rcv_nxt` or a newer timestamp →
    /// [`TwAction::Syn`]. Otherwise, unless RST: the timer restarts when
    /// PAWS rejected it or it has ACK ("If it is ACKless SYN it may be both
    /// old duplicate and new good SYN"), and it is ACKed (rate-limited). An
    /// RST is dropped.
    pub fn process(&mut self, seg: &TcpSegment<'_>, ctx: &TwCtx) -> TwAction {
        let flags = seg.flags;
        let rst = flags.contains(TcpFlags::RST);
        let syn = flags.contains(TcpFlags::SYN);
        let ack = flags.contains(TcpFlags::ACK);
        let fin = flags.contains(TcpFlags::FIN);
        let seq = seg.seq;
        let end_seq = seq + (seg.seq_len() as u32);
        let rcv_nxt = self.rcv_nxt;

        let mut tsval = None;
        let mut paws_rej = false;
        if seg.header_len > HEADER_LEN && self.ts_recent_stamp != 0 && ctx.tcp_timestamps != 0 {
            if let Some((v, _)) = seg.options.timestamp {
                tsval = Some(v);
                let age = ctx.now_secs.wrapping_sub(self.ts_recent_stamp);
                paws_rej = paws_reject(self.ts_recent, v, age, rst);
            }
        }

        if self.substate == TCP_FIN_WAIT2 {
            // "Just repeat all the checks of tcp_rcv_state_process()"
            if paws_rej || !tcp_in_window(seq, end_seq, rcv_nxt, rcv_nxt + self.rcv_wnd) {
                return self.oow_ack(seg, ctx, false);
            }
            if rst {
                return TwAction::Kill;
            }
            if syn && !seq.before(rcv_nxt) {
                return TwAction::Rst;
            }
            // "Dup ACK?"
            if !ack || !end_seq.after(rcv_nxt) || end_seq == seq {
                return TwAction::Drop { reschedule: false };
            }
            // "New data or FIN. If new data arrive after half-duplex close,
            // reset."
            if !fin || end_seq != rcv_nxt + 1 {
                return TwAction::Rst;
            }
            // "FIN arrived, enter true time-wait state."
            self.substate = TCP_TIME_WAIT;
            self.rcv_nxt = end_seq;
            if let Some(v) = tsval {
                self.ts_recent_stamp = ctx.now_secs;
                self.ts_recent = v;
            }
            return TwAction::Ack { reschedule: true };
        }

        // "Now real TIME-WAIT state."
        if !paws_rej && seq == rcv_nxt && (seq == end_seq || rst) {
            // "In window segment, it may be only reset or bare ack."
            let mut reschedule = false;
            if rst {
                if !ctx.rfc1337 {
                    return TwAction::Kill;
                }
            } else {
                reschedule = true;
            }
            if let Some(v) = tsval {
                self.ts_recent = v;
                self.ts_recent_stamp = ctx.now_secs;
            }
            return TwAction::Drop { reschedule };
        }

        if syn
            && !rst
            && !ack
            && !paws_rej
            && (seq.after(rcv_nxt)
                || tsval.is_some_and(|v| (self.ts_recent.wrapping_sub(v) as i32) < 0))
        {
            return TwAction::Syn {
                isn: self.reuse_isn(),
            };
        }

        if !rst {
            return self.oow_ack(seg, ctx, paws_rej || ack);
        }
        TwAction::Drop { reschedule: false }
    }

    /// The ACK `tcp_v4_timewait_ack()` sends in reply to `seg`: ports
    /// swapped, `seq = tw_snd_nxt`, `ack = tw_rcv_nxt`, flags ACK, window
    /// `tw_rcv_wnd >> tw_rcv_wscale` (as `htons()` truncates it), and a
    /// timestamp `(now_ms + ts_offset, ts_recent)` only when `ts_recent !=
    /// 0` (`tcp_v4_send_ack()` tests `tsecr`).
    pub fn ack_repr(&self, seg: &TcpSegment<'_>, now_ms: u32) -> TcpRepr {
        let mut options = TcpOptions::new();
        if self.ts_recent != 0 {
            options.timestamp = Some((now_ms.wrapping_add(self.ts_offset), self.ts_recent));
        }
        let window = self
            .rcv_wnd
            .checked_shr(u32::from(self.rcv_wscale))
            .unwrap_or(0) as u16;
        TcpRepr {
            src_port: seg.dst_port,
            dst_port: seg.src_port,
            seq: self.snd_nxt,
            ack: self.rcv_nxt,
            flags: TcpFlags::ACK,
            window,
            urgent: 0,
            options,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::inet_hash_connect::tcp_twsk_unique;
    use super::*;

    const RNXT: u32 = 5000;
    const SNXT: u32 = 9000;
    const A: TcpFlags = TcpFlags::ACK;
    const F: TcpFlags = TcpFlags::FIN;
    const R: TcpFlags = TcpFlags::RST;
    const S: TcpFlags = TcpFlags::SYN;

    fn tw(substate: u8) -> TimeWaitSock {
        TimeWaitSock::new(
            substate,
            [10, 0, 0, 1],
            [10, 0, 0, 2],
            5555,
            40000,
            0,
            SeqNum(RNXT),
            SeqNum(SNXT),
            64_256,
            7,
            700,
            100,
            33,
        )
    }

    fn seg(seq: u32, flags: TcpFlags, ts: Option<u32>, payload: &[u8]) -> TcpSegment<'_> {
        TcpSegment {
            src_port: 40000,
            dst_port: 5555,
            seq: SeqNum(seq),
            ack: SeqNum(SNXT),
            flags,
            window: 100,
            checksum: 0,
            urgent: 0,
            header_len: if ts.is_some() { 32 } else { 20 },
            options: TcpOptions {
                timestamp: ts.map(|v| (v, 1)),
                ..TcpOptions::new()
            },
            payload,
        }
    }

    fn ctx() -> TwCtx {
        TwCtx::new(10_000, 110)
    }

    #[test]
    fn timeouts() {
        assert_eq!(time_wait_timeo(TCP_TIME_WAIT, 0, 200), 60_000);
        assert_eq!(time_wait_timeo(TCP_TIME_WAIT, 5, 100_000), 60_000);
        assert_eq!(time_wait_timeo(TCP_FIN_WAIT2, 60_000, 200), 60_000);
        assert_eq!(time_wait_timeo(TCP_FIN_WAIT2, 100, 200), 700);
        let _ = time_wait_timeo(TCP_FIN_WAIT2, i32::MIN, u32::MAX);
    }

    #[test]
    fn retransmitted_fin_is_acked() {
        let mut t = tw(TCP_TIME_WAIT);
        // The peer's FIN again (seq rcv_nxt - 1): out of window → ACK and
        // restart the timer.
        let s = seg(RNXT - 1, F | A, Some(800), &[]);
        assert_eq!(t.process(&s, &ctx()), TwAction::Ack { reschedule: true });
        // A FIN occupies sequence space, so it is never rate-limited
        // ("Data packets without SYNs are not likely part of an ACK loop").
        let mut c = ctx();
        c.now += 100;
        assert_eq!(t.process(&s, &c), TwAction::Ack { reschedule: true });
        // FINs left the limiter untouched; old pure ACKs are limited to one
        // per 500 ms (the timer is restarted either way).
        assert_eq!(t.last_oow_ack_time, 0);
        let old_ack = seg(RNXT - 1, A, Some(800), &[]);
        assert_eq!(t.process(&old_ack, &c), TwAction::Ack { reschedule: true });
        c.now += 499;
        assert_eq!(t.process(&old_ack, &c), TwAction::Drop { reschedule: true });
        c.now += 1;
        assert_eq!(t.process(&old_ack, &c), TwAction::Ack { reschedule: true });
        // The ACK: seq = snd_nxt, ack = rcv_nxt, window scaled, timestamp.
        let a = t.ack_repr(&s, 1_000);
        assert_eq!((a.src_port, a.dst_port), (5555, 40000));
        assert_eq!((a.seq, a.ack, a.flags), (SeqNum(SNXT), SeqNum(RNXT), A));
        assert_eq!(a.window, (64_256 >> 7) as u16);
        assert_eq!(a.options.timestamp, Some((1_033, 700)));
        // Without timestamps no option.
        let mut t2 = tw(TCP_TIME_WAIT);
        t2.ts_recent = 0;
        assert_eq!(t2.ack_repr(&s, 1_000).options.timestamp, None);
    }

    #[test]
    fn bare_ack_and_rst_at_rcv_nxt() {
        let mut t = tw(TCP_TIME_WAIT);
        assert_eq!(
            t.process(&seg(RNXT, A, Some(900), &[]), &ctx()),
            TwAction::Drop { reschedule: true }
        );
        assert_eq!((t.ts_recent, t.ts_recent_stamp), (900, 110));
        // RST kills TIME_WAIT...
        assert_eq!(t.process(&seg(RNXT, R, None, &[]), &ctx()), TwAction::Kill);
        // ...unless tcp_rfc1337.
        let mut c = ctx();
        c.rfc1337 = true;
        let mut t = tw(TCP_TIME_WAIT);
        assert_eq!(
            t.process(&seg(RNXT, R, Some(901), &[]), &c),
            TwAction::Drop { reschedule: false }
        );
        assert_eq!(t.ts_recent, 901);
        // An RST elsewhere is dropped.
        let mut t = tw(TCP_TIME_WAIT);
        assert_eq!(
            t.process(&seg(RNXT + 10, R, None, &[]), &ctx()),
            TwAction::Drop { reschedule: false }
        );
        // Data at rcv_nxt: not a bare ACK, ACKed.
        assert_eq!(
            t.process(&seg(RNXT, A, None, b"late"), &ctx()),
            TwAction::Ack { reschedule: true }
        );
    }

    #[test]
    fn new_syn_reopens() {
        // Higher sequence number.
        let mut t = tw(TCP_TIME_WAIT);
        let got = t.process(&seg(RNXT + 1, S, None, &[]), &ctx());
        assert_eq!(
            got,
            TwAction::Syn {
                isn: SeqNum(SNXT + 65_537)
            }
        );
        // Lower sequence number but newer timestamp.
        assert_eq!(
            t.process(&seg(RNXT - 1000, S, Some(701), &[]), &ctx()),
            TwAction::Syn {
                isn: SeqNum(SNXT + 65_537)
            }
        );
        // Lower sequence, same timestamp: an old duplicate; ACKless, so no
        // reschedule, but answered with an ACK.
        let mut t = tw(TCP_TIME_WAIT);
        assert_eq!(
            t.process(&seg(RNXT - 1000, S, Some(700), &[]), &ctx()),
            TwAction::Ack { reschedule: false }
        );
        // Lower sequence, no timestamp at all.
        let mut t = tw(TCP_TIME_WAIT);
        assert_eq!(
            t.process(&seg(RNXT - 1000, S, None, &[]), &ctx()),
            TwAction::Ack { reschedule: false }
        );
        // SYN at exactly rcv_nxt is not "after": ACK.
        let mut t = tw(TCP_TIME_WAIT);
        assert_eq!(
            t.process(&seg(RNXT, S, None, &[]), &ctx()),
            TwAction::Ack { reschedule: false }
        );
        // SYN|ACK: never a new connection.
        let mut t = tw(TCP_TIME_WAIT);
        assert_eq!(
            t.process(&seg(RNXT + 1, S | A, None, &[]), &ctx()),
            TwAction::Ack { reschedule: true }
        );
        // ISN wrap: 0 becomes 1.
        let mut t = tw(TCP_TIME_WAIT);
        t.snd_nxt = SeqNum(0u32.wrapping_sub(65_537));
        assert_eq!(t.reuse_isn(), SeqNum(1));
    }

    #[test]
    fn paws_in_time_wait() {
        let mut t = tw(TCP_TIME_WAIT);
        // Old timestamp: PAWS-rejected SYN with higher seq is not accepted;
        // answered (timer restarted since paws_reject).
        assert_eq!(
            t.process(&seg(RNXT + 1, S, Some(600), &[]), &ctx()),
            TwAction::Ack { reschedule: true }
        );
        // A bare ACK at rcv_nxt failing PAWS is not the "in window" case.
        let mut t = tw(TCP_TIME_WAIT);
        assert_eq!(
            t.process(&seg(RNXT, A, Some(600), &[]), &ctx()),
            TwAction::Ack { reschedule: true }
        );
        assert_eq!(t.ts_recent, 700);
        // PAWS-failing RST: young ts_recent → dropped; 60 s old → kills.
        let mut t = tw(TCP_TIME_WAIT);
        assert_eq!(
            t.process(&seg(RNXT, R, Some(600), &[]), &ctx()),
            TwAction::Drop { reschedule: false }
        );
        let mut c = ctx();
        c.now_secs = 160;
        assert_eq!(t.process(&seg(RNXT, R, Some(600), &[]), &c), TwAction::Kill);
        // No PAWS when timestamps were not in use, or the sysctl is off.
        let mut t = tw(TCP_TIME_WAIT);
        t.ts_recent_stamp = 0;
        assert_eq!(
            t.process(&seg(RNXT + 1, S, Some(600), &[]), &ctx()),
            TwAction::Syn {
                isn: SeqNum(SNXT + 65_537)
            }
        );
        let mut t = tw(TCP_TIME_WAIT);
        let mut c = ctx();
        c.tcp_timestamps = 0;
        assert!(matches!(
            t.process(&seg(RNXT + 1, S, Some(600), &[]), &c),
            TwAction::Syn { .. }
        ));
    }

    #[test]
    fn fin_wait2_substate() {
        // The peer's FIN arrives: TIME_WAIT, ACK, restart.
        let mut t = tw(TCP_FIN_WAIT2);
        assert_eq!(
            t.process(&seg(RNXT, F | A, Some(750), &[]), &ctx()),
            TwAction::Ack { reschedule: true }
        );
        assert_eq!(t.substate, TCP_TIME_WAIT);
        assert_eq!(t.rcv_nxt, SeqNum(RNXT + 1));
        assert_eq!((t.ts_recent, t.ts_recent_stamp), (750, 110));
        assert!(!t.tw_info().fin_wait2);
        // Data after our close: reset.
        let mut t = tw(TCP_FIN_WAIT2);
        assert_eq!(
            t.process(&seg(RNXT, A, None, b"more"), &ctx()),
            TwAction::Rst
        );
        assert_eq!(
            t.process(&seg(RNXT, F | A, None, b"d"), &ctx()),
            TwAction::Rst
        );
        // Duplicate ACK, no ACK flag, empty: dropped.
        assert_eq!(
            t.process(&seg(RNXT, A, None, &[]), &ctx()),
            TwAction::Drop { reschedule: false }
        );
        assert_eq!(
            t.process(&seg(RNXT, F, None, &[]), &ctx()),
            TwAction::Drop { reschedule: false }
        );
        // RST in window kills.
        assert_eq!(
            t.process(&seg(RNXT + 5, R, None, &[]), &ctx()),
            TwAction::Kill
        );
        // SYN in window at/after rcv_nxt: reset.
        let mut t = tw(TCP_FIN_WAIT2);
        assert_eq!(t.process(&seg(RNXT, S, None, &[]), &ctx()), TwAction::Rst);
        // Out of window: ACK (rate-limited).
        assert_eq!(
            t.process(&seg(RNXT + 70_000, A, None, &[]), &ctx()),
            TwAction::Ack { reschedule: false }
        );
        assert_eq!(
            t.process(&seg(RNXT + 70_000, A, None, &[]), &ctx()),
            TwAction::Drop { reschedule: false }
        );
        // Out-of-window RST: rate limiter too (Linux does not special-case
        // it here), but never killed.
        let mut t = tw(TCP_FIN_WAIT2);
        assert_eq!(
            t.process(&seg(RNXT + 70_000, R, None, &[]), &ctx()),
            TwAction::Ack { reschedule: false }
        );
        assert_eq!(t.substate, TCP_FIN_WAIT2);
        assert!(t.tw_info().fin_wait2);
    }

    #[test]
    fn recycle_for_connect() {
        let t = tw(TCP_TIME_WAIT);
        let info = t.tw_info();
        assert_eq!(info.daddr, [10, 0, 0, 2]);
        assert_eq!(info.rcv_saddr, [10, 0, 0, 1]);
        assert_eq!((info.ts_recent, info.ts_recent_stamp), (700, 100));
        // tcp_tw_reuse=1, a second later: recycled with the same ISN rule.
        let r = tcp_twsk_unique(&info, 1, true, 101, false).unwrap();
        assert_eq!(r.write_seq, Some(t.reuse_isn()));
        assert_eq!(r.ts_recent, Some(700));
        // The FIN_WAIT2 substate is never recycled by the port search.
        let info = tw(TCP_FIN_WAIT2).tw_info();
        assert_eq!(tcp_twsk_unique(&info, 1, true, 101, false), None);
    }
}
