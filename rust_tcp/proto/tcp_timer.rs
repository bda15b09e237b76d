// SPDX-License-Identifier: GPL-2.0

//! The retransmission timer of a connection that has not completed its
//! handshake, from net/ipv4/tcp_timer.c: `tcp_retransmit_timer()` with the
//! SYN_SENT/SYN_RECV parts of `tcp_write_timeout()`,
//! `retransmits_timed_out()`, `tcp_model_timeout()` and
//! `tcp_clamp_rto_to_user_timeout()`.
//!
//! # The SYN schedule of 6.12
//!
//! The first SYN arms the timer for `icsk_rto` = `TCP_TIMEOUT_INIT` (1 s).
//! In SYN_SENT the first `tcp_syn_linear_timeouts` (default 4)
//! retransmissions keep that RTO; after that it doubles each time, capped
//! at `TCP_RTO_MAX` (120 s). The connection fails with ETIMEDOUT when
//! `icsk_retransmits` reaches `syn_retries + tcp_syn_linear_timeouts`, or
//! earlier when the time since the first SYN reaches the model timeout of
//! `syn_retries` exponential retransmissions from 1 s
//! (`((2 << n) - 1)` s up to 6, then + 120 s each), or TCP_USER_TIMEOUT.
//! With the defaults (6 and 4) SYNs leave at 0, 1, 2, 3, 4, 5, 7, 11, 19,
//! 35 and 67 s and connect() fails at 131 s.
//!
//! # Clocks
//!
//! All times are in milliseconds. `now_ms` and [`SynRtx::retrans_stamp`]
//! are `tcp_time_stamp_ms(tp)`, the TCP timestamp clock
//! (`tcp_clock_ms()`, without the per-connection offset) truncated to 32
//! bits; timer lengths are for `inet_csk_reset_xmit_timer()` after
//! `msecs_to_jiffies()`. Linux works in jiffies; every length here is a
//! whole number of jiffies for HZ = 100, 250 or 1000.

use super::inet_connection_sock::{TCP_RTO_MAX_MS, TCP_TIMEOUT_INIT_MS};
use super::seq::SeqNum;

/// Default `net.ipv4.tcp_syn_retries` (`TCP_SYN_RETRIES`).
pub const TCP_SYN_RETRIES: u8 = 6;
/// Default `net.ipv4.tcp_syn_linear_timeouts` (set in
/// `tcp_sk_init()`).
pub const TCP_SYN_LINEAR_TIMEOUTS: u8 = 4;
/// `MAX_TCP_SYNCNT`: upper bound of TCP_SYNCNT and of both sysctls.
pub const MAX_TCP_SYNCNT: u8 = 127;
/// `TCP_TIMEOUT_MIN` in jiffies: the timer an unacceptable ACK in
/// SYN_SENT arms when no retransmission happened yet.
pub const TCP_TIMEOUT_MIN_JIFFIES: u32 = 2;
/// `TCP_RESOURCE_PROBE_INTERVAL` in milliseconds (`HZ / 2`).
pub const TCP_RESOURCE_PROBE_INTERVAL_MS: u32 = 500;

/// The retry limit `tcp_write_timeout()` uses in SYN_SENT and SYN_RECV:
/// the socket's TCP_SYNCNT (`icsk_syn_retries`) if set, else
/// `net.ipv4.tcp_syn_retries`.
#[inline]
pub const fn syn_retries(icsk_syn_retries: u8, sysctl_syn_retries: u8) -> u8 {
    if icsk_syn_retries != 0 {
        icsk_syn_retries
    } else {
        sysctl_syn_retries
    }
}

/// `ilog2()` of a non-zero `u32`; 0 for 0 (never reached: callers pass
/// ratios of at least 1).
const fn ilog2(v: u32) -> u32 {
    if v == 0 {
        0
    } else {
        31 - v.leading_zeros()
    }
}

/// Linux `tcp_model_timeout(sk, boundary, rto_base)` in milliseconds: how
/// long `boundary` retransmissions take when the RTO starts at `rto_base_ms`
/// and doubles up to `TCP_RTO_MAX`.
///
/// Linux computes in `unsigned int` jiffies; this saturates instead of
/// wrapping for absurd inputs (`rto_base_ms == 0` is treated as 1).
pub const fn tcp_model_timeout(boundary: u32, rto_base_ms: u32) -> u32 {
    let base = if rto_base_ms == 0 { 1 } else { rto_base_ms };
    let thresh = ilog2(TCP_RTO_MAX_MS / base);
    let t: u64 = if boundary <= thresh {
        ((2u64 << boundary) - 1) * base as u64
    } else {
        ((2u64 << thresh) - 1) * base as u64 + (boundary - thresh) as u64 * TCP_RTO_MAX_MS as u64
    };
    if t > u32::MAX as u64 {
        u32::MAX
    } else {
        t as u32
    }
}

/// Inputs of the retransmission timer besides [`SynRtx`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynTimerCtx {
    /// `tcp_time_stamp_ms(tp)` when the timer runs (the handler refreshes
    /// `tcp_mstamp` first).
    pub now_ms: u32,
    /// The connection is in SYN_SENT (false: SYN_RECV after a
    /// simultaneous open, which has no linear phase).
    pub syn_sent: bool,
    /// [`syn_retries`] of the socket and netns.
    pub syn_retries: u8,
    /// `net.ipv4.tcp_syn_linear_timeouts`.
    pub linear_timeouts: u8,
    /// TCP_USER_TIMEOUT in milliseconds (`icsk_user_timeout`), 0 = unset.
    pub user_timeout_ms: u32,
}

impl SynTimerCtx {
    /// Defaults for SYN_SENT: 6 retries, 4 linear timeouts, no user
    /// timeout.
    pub const fn syn_sent(now_ms: u32) -> Self {
        Self {
            now_ms,
            syn_sent: true,
            syn_retries: TCP_SYN_RETRIES,
            linear_timeouts: TCP_SYN_LINEAR_TIMEOUTS,
            user_timeout_ms: 0,
        }
    }
}

/// What a timer expiry decides ([`SynRtx::on_timer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynTimerStep {
    /// `tcp_write_err()`: give up. The error is `sk_err_soft` if an ICMP
    /// error was recorded, else `ETIMEDOUT` (`LINUX_MIB_TCPABORTONTIMEOUT`);
    /// `tcp_done()` closes the socket.
    Expire,
    /// Retransmit the SYN (or SYN-ACK), built anew by
    /// [`super::tcp_connect::syn_repr`] with a fresh timestamp, then call
    /// [`SynRtx::after_retransmit`] for the next timer.
    Retransmit,
}

/// The retransmission state of a connection in SYN_SENT/SYN_RECV: the
/// `inet_connection_sock`/`tcp_sock` fields the timer reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynRtx {
    /// `icsk_rto` in milliseconds.
    pub rto_ms: u32,
    /// `icsk_retransmits`: timeouts since the last forward progress.
    pub retransmits: u8,
    /// `icsk_backoff`: how often `rto_ms` was doubled.
    pub backoff: u8,
    /// `total_rto`: timeouts of this connection (drives the linear phase).
    pub total_rto: u16,
    /// `total_retrans`: segments retransmitted.
    pub total_retrans: u32,
    /// `retrans_stamp`: [`SynTimerCtx::now_ms`]'s clock when the first SYN
    /// was sent (`tcp_connect()`); the start of the give-up clock.
    pub retrans_stamp: u32,
    /// `undo_marker`: `snd_una` (our ISN) from the first timeout on
    /// (`tcp_enter_loss()` → `tcp_init_undo()`), 0 before. Linux tests it
    /// for non-zero, so an ISN of 0 leaves it 0 too.
    pub undo_marker: u32,
}

impl SynRtx {
    /// The state `tcp_connect_init()` + `tcp_connect()` leave: RTO 1 s
    /// (`tcp_timeout_init()` without BPF), counters cleared
    /// (`tcp_clear_retrans()`), `retrans_stamp` = the first SYN's time.
    /// The timer is then armed for `rto_ms`.
    pub const fn new(now_ms: u32) -> Self {
        Self {
            rto_ms: TCP_TIMEOUT_INIT_MS,
            retransmits: 0,
            backoff: 0,
            total_rto: 0,
            total_retrans: 0,
            retrans_stamp: now_ms,
            undo_marker: 0,
        }
    }

    /// Linux `retransmits_timed_out(sk, boundary, timeout)` in SYN states
    /// (`rto_base = tcp_timeout_init() = 1 s`), for millisecond timestamps
    /// (`tcp_usec_ts` off).
    pub const fn timed_out(&self, boundary: u32, timeout_ms: u32, now_ms: u32) -> bool {
        if self.retransmits == 0 {
            return false;
        }
        let timeout = if timeout_ms == 0 {
            tcp_model_timeout(boundary, TCP_TIMEOUT_INIT_MS)
        } else {
            timeout_ms
        };
        // (s32)(tcp_time_stamp_ts(tp) - start_ts - timeout) >= 0
        now_ms
            .wrapping_sub(self.retrans_stamp)
            .wrapping_sub(timeout) as i32
            >= 0
    }

    /// The start of `tcp_retransmit_timer()` for a SYN_SENT or SYN_RECV
    /// socket with its SYN (SYN-ACK) outstanding: `tcp_write_timeout()`,
    /// then, when not giving up, `tcp_enter_loss()`'s undo marker and
    /// `tcp_update_rto_stats()`.
    ///
    /// `snd_una` is the connection's `snd_una` (the ISN).
    pub fn on_timer(&mut self, snd_una: SeqNum, ctx: &SynTimerCtx) -> SynTimerStep {
        // tcp_write_timeout(): retry_until = icsk_syn_retries ?:
        // sysctl_tcp_syn_retries; SYN_SENT adds the linear timeouts.
        let retry_until = u32::from(ctx.syn_retries);
        let mut max_retransmits = retry_until;
        if ctx.syn_sent {
            max_retransmits += u32::from(ctx.linear_timeouts);
        }
        let mut expired = u32::from(self.retransmits) >= max_retransmits;
        if !expired {
            expired = self.timed_out(retry_until, ctx.user_timeout_ms, ctx.now_ms);
        }
        if expired {
            return SynTimerStep::Expire;
        }
        // tcp_enter_loss(): only the first timeout (CA_Open) runs
        // tcp_init_undo(); later ones find CA_Loss with retransmits != 0
        // and high_seq = snd_nxt after snd_una.
        if self.retransmits == 0 {
            self.undo_marker = snd_una.0;
        }
        // tcp_update_rto_stats(); icsk_retransmits is a __u8.
        self.retransmits = self.retransmits.wrapping_add(1);
        self.total_rto = self.total_rto.wrapping_add(1);
        SynTimerStep::Retransmit
    }

    /// The end of `tcp_retransmit_timer()` after the retransmission of
    /// [`SynTimerStep::Retransmit`]: counts it (`total_retrans`, done by
    /// `__tcp_retransmit_skb()` before transmitting) and returns the next
    /// timer length in milliseconds.
    ///
    /// `local_drop` is `tcp_retransmit_skb() > 0` (the local qdisc dropped
    /// the segment): the timer is then `TCP_RESOURCE_PROBE_INTERVAL` and the
    /// RTO is left alone. Otherwise (`out_reset_timer`): the RTO doubles
    /// (capped at `TCP_RTO_MAX`, `icsk_backoff` + 1) unless in SYN_SENT with
    /// `total_rto <= linear_timeouts`, and the timer is that RTO clamped to
    /// what is left of TCP_USER_TIMEOUT (1 ms, i.e. one jiffy, when it has
    /// passed).
    pub fn after_retransmit(&mut self, local_drop: bool, ctx: &SynTimerCtx) -> u32 {
        self.total_retrans = self.total_retrans.wrapping_add(1);
        if local_drop {
            return TCP_RESOURCE_PROBE_INTERVAL_MS;
        }
        if !ctx.syn_sent || self.total_rto > u16::from(ctx.linear_timeouts) {
            // "Use normal (exponential) backoff unless linear timeouts are
            // activated."
            self.backoff = self.backoff.wrapping_add(1);
            self.rto_ms = self.rto_ms.saturating_mul(2).min(TCP_RTO_MAX_MS);
        }
        self.clamp_rto_to_user_timeout(ctx)
    }

    /// Linux `tcp_clamp_rto_to_user_timeout()` in milliseconds.
    pub const fn clamp_rto_to_user_timeout(&self, ctx: &SynTimerCtx) -> u32 {
        if ctx.user_timeout_ms == 0 {
            return self.rto_ms;
        }
        let elapsed = ctx.now_ms.wrapping_sub(self.retrans_stamp);
        let remaining = ctx.user_timeout_ms.wrapping_sub(elapsed) as i32;
        if remaining <= 0 {
            // "user timeout has passed; fire ASAP": one jiffy.
            return 1;
        }
        let remaining = remaining as u32;
        if remaining < self.rto_ms {
            remaining
        } else {
            self.rto_ms
        }
    }

    /// The timer an unacceptable ACK arms in SYN_SENT ("Previous FIN/ACK or
    /// RST/ACK might be ignored."): `TCP_TIMEOUT_MIN` jiffies when no
    /// retransmission happened yet, else the timer is left as is.
    #[inline]
    pub const fn bad_ack_rearm_jiffies(&self) -> Option<u32> {
        if self.retransmits == 0 {
            Some(TCP_TIMEOUT_MIN_JIFFIES)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// Runs the timer from a SYN sent at 0 until it expires; returns the
    /// send times of the retransmissions and the expiry time.
    fn schedule(retries: u8, linear: u8, user: u32, syn_sent: bool) -> (Vec<u32>, u32) {
        let mut r = SynRtx::new(0);
        let mut now = r.rto_ms;
        let mut sent = Vec::new();
        loop {
            let ctx = SynTimerCtx {
                now_ms: now,
                syn_sent,
                syn_retries: retries,
                linear_timeouts: linear,
                user_timeout_ms: user,
            };
            match r.on_timer(SeqNum(42), &ctx) {
                SynTimerStep::Expire => return (sent, now),
                SynTimerStep::Retransmit => {
                    sent.push(now);
                    now += r.after_retransmit(false, &ctx);
                }
            }
        }
    }

    fn secs(v: &[u32]) -> Vec<u32> {
        v.iter().map(|s| s * 1000).collect()
    }

    #[test]
    fn default_syn_schedule() {
        let (sent, exp) = schedule(6, 4, 0, true);
        assert_eq!(sent, secs(&[1, 2, 3, 4, 5, 7, 11, 19, 35, 67]));
        assert_eq!(exp, 131_000);
    }

    #[test]
    fn without_linear_timeouts() {
        // The pre-6.7 schedule: 1, 3, 7, 15, 31, 63, give up at 127 s.
        let (sent, exp) = schedule(6, 0, 0, true);
        assert_eq!(sent, secs(&[1, 3, 7, 15, 31, 63]));
        assert_eq!(exp, 127_000);
        // SYN_RECV (simultaneous open) ignores the linear phase.
        let (sent, exp) = schedule(6, 4, 0, false);
        assert_eq!(sent, secs(&[1, 3, 7, 15, 31, 63]));
        assert_eq!(exp, 127_000);
    }

    #[test]
    fn small_syncnt_expires_by_time() {
        // TCP_SYNCNT 1: max 5 retransmissions, but the model timeout is
        // 3 s, reached at the third expiry.
        let (sent, exp) = schedule(1, 4, 0, true);
        assert_eq!(sent, secs(&[1, 2]));
        assert_eq!(exp, 3000);
        let (sent, exp) = schedule(2, 4, 0, true);
        assert_eq!(sent, secs(&[1, 2, 3, 4, 5]));
        assert_eq!(exp, 7000);
        // 0 linear timeouts, 1 retry: 1 s then give up at 3 s.
        let (sent, exp) = schedule(1, 0, 0, true);
        assert_eq!(sent, secs(&[1]));
        assert_eq!(exp, 3000);
    }

    #[test]
    fn rto_cap_and_many_retries() {
        // 10 retries, no linear phase: 1 2 4 ... 64 then 120 capped.
        let (sent, exp) = schedule(10, 0, 0, true);
        assert_eq!(sent, secs(&[1, 3, 7, 15, 31, 63, 127, 247, 367, 487]));
        // Model timeout: 127 + 4 * 120 = 607 s.
        assert_eq!(tcp_model_timeout(10, 1000), 607_000);
        assert_eq!(exp, 607_000);
    }

    #[test]
    fn user_timeout() {
        // TCP_USER_TIMEOUT 2500 ms: timers clamp to what is left, and the
        // connection expires at the first expiry past it.
        let (sent, exp) = schedule(6, 4, 2500, true);
        assert_eq!(sent, secs(&[1, 2]));
        assert_eq!(exp, 2500);
        let mut r = SynRtx::new(0);
        let ctx = SynTimerCtx {
            user_timeout_ms: 100,
            ..SynTimerCtx::syn_sent(5000)
        };
        assert_eq!(r.clamp_rto_to_user_timeout(&ctx), 1);
        r.retrans_stamp = 4950;
        assert_eq!(r.clamp_rto_to_user_timeout(&ctx), 50);
    }

    #[test]
    fn model_timeout_values() {
        assert_eq!(tcp_model_timeout(0, 1000), 1000);
        assert_eq!(tcp_model_timeout(6, 1000), 127_000);
        assert_eq!(tcp_model_timeout(7, 1000), 247_000);
        // TCP_RTO_MIN base (established sockets): thresh ilog2(600) = 9.
        assert_eq!(tcp_model_timeout(15, 200), 1023 * 200 + 6 * 120_000);
        assert_eq!(tcp_model_timeout(u32::MAX, 0), u32::MAX);
    }

    #[test]
    fn counters_and_undo() {
        let mut r = SynRtx::new(10);
        let ctx = SynTimerCtx::syn_sent(1010);
        assert_eq!(r.bad_ack_rearm_jiffies(), Some(2));
        assert_eq!(r.on_timer(SeqNum(77), &ctx), SynTimerStep::Retransmit);
        assert_eq!((r.retransmits, r.total_rto, r.undo_marker), (1, 1, 77));
        assert_eq!(r.after_retransmit(false, &ctx), 1000);
        assert_eq!((r.total_retrans, r.backoff), (1, 0));
        assert_eq!(r.bad_ack_rearm_jiffies(), None);
        // Local drop: probe interval, no backoff, still counted.
        let ctx = SynTimerCtx::syn_sent(2010);
        assert_eq!(r.on_timer(SeqNum(99), &ctx), SynTimerStep::Retransmit);
        assert_eq!(r.undo_marker, 77);
        assert_eq!(r.after_retransmit(true, &ctx), 500);
        assert_eq!((r.total_retrans, r.rto_ms), (2, 1000));
        assert_eq!(syn_retries(0, 6), 6);
        assert_eq!(syn_retries(3, 6), 3);
    }
}
