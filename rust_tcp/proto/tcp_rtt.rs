// SPDX-License-Identifier: GPL-2.0

//! Round-trip time estimation and the retransmission timeout of a
//! synchronised connection (RFC 6298 as Linux 6.12 does it):
//!
//! * the estimator, `tcp_rtt_estimator()`, `tcp_set_rto()` and the choice
//!   of sample in `tcp_ack_update_rtt()` (net/ipv4/tcp_input.c), with
//!   `__tcp_set_rto()`, `tcp_bound_rto()` and `tcp_rto_min()`
//!   (include/net/tcp.h) and the RTO reset of `tcp_init_metrics()`
//!   (net/ipv4/tcp_metrics.c, without a metrics cache);
//! * the retransmission timer after the handshake: `tcp_retransmit_timer()`
//!   with `tcp_write_timeout()`, `retransmits_timed_out()`,
//!   `tcp_rtx_probe0_timed_out()`, `tcp_orphan_retries()` and
//!   `tcp_clamp_rto_to_user_timeout()` (net/ipv4/tcp_timer.c), and
//!   `tcp_rearm_rto()`.
//!
//! The SYN-phase timer is [`super::tcp_timer::SynRtx`]; its
//! [`tcp_model_timeout`] is reused here. The congestion side of a timeout
//! (`tcp_enter_loss()`) is [`super::tcp_cong::CongState::enter_loss`].
//!
//! # Units
//!
//! Linux keeps `icsk_rto` in jiffies and the estimator in microseconds.
//! Here RTT values are microseconds as in Linux and [`RtoState::rto_ms`] is
//! milliseconds, computed as Linux computes jiffies (`usecs_to_jiffies()`
//! rounds up) for the HZ in [`RtoState::hz`], so that it is always a whole
//! number of jiffies and `msecs_to_jiffies(rto_ms)` gives back exactly
//! Linux's `icsk_rto` (exact for HZ = 100, 250 and 1000). `now_ms` and all
//! timestamps are the millisecond TCP clock `tcp_time_stamp_ms(tp)` (see
//! [`super::tcp_timer`]); `tcp_jiffies32` stamps (`rcv_tstamp`, the timer
//! expiry) are taken on the same clock. Timestamps are millisecond ones
//! (`tcp_usec_ts` off).

use super::inet_connection_sock::{TCP_RTO_MAX_MS, TCP_TIMEOUT_INIT_MS};
use super::seq::SeqNum;
use super::tcp_cong::{CongState, CongSysctls, RtxQueue};
use super::tcp_timer::{tcp_model_timeout, TCP_RESOURCE_PROBE_INTERVAL_MS};

/// `TCP_RTO_MIN` in milliseconds (`HZ / 5`): the default `icsk_rto_min`
/// (and of `net.ipv4.tcp_rto_min_us`), and the base of the give-up model
/// of synchronised connections.
pub const TCP_RTO_MIN_MS: u32 = 200;
/// `TCP_TIMEOUT_FALLBACK` in milliseconds (`3 * HZ`): the RTO after a
/// handshake that gave no RTT sample (RFC 6298 5.7).
pub const TCP_TIMEOUT_FALLBACK_MS: u32 = 3000;
/// `TCP_RETR1`: default `net.ipv4.tcp_retries1`.
pub const TCP_RETR1: u8 = 3;
/// `TCP_RETR2`: default `net.ipv4.tcp_retries2`.
pub const TCP_RETR2: u8 = 15;
/// Default `net.ipv4.tcp_orphan_retries` (0: 8 when the socket is alive).
pub const TCP_ORPHAN_RETRIES: u8 = 0;
/// `USEC_PER_SEC / TCP_TS_HZ`: microseconds per timestamp tick.
const USEC_PER_TS_TICK: u32 = 1000;

/// Linux `usecs_to_jiffies(us)` at `hz` (rounds up; `hz == 0` is taken
/// as 1000).
#[inline]
pub const fn usecs_to_jiffies(us: u64, hz: u32) -> u64 {
    let hz = if hz == 0 { 1000 } else { hz as u64 };
    // ceil(us * hz / 10^6) without overflow for any u64 `us` we can meet:
    // us < 2^44 in practice; saturate otherwise.
    match us.checked_mul(hz) {
        Some(p) => p.div_ceil(1_000_000),
        None => u64::MAX / 1_000_000,
    }
}

/// Linux `jiffies_to_msecs(j)` at `hz` (exact when `hz` divides 1000).
#[inline]
pub const fn jiffies_to_msecs(j: u64, hz: u32) -> u64 {
    let hz = if hz == 0 { 1000 } else { hz as u64 };
    match j.checked_mul(1000) {
        Some(p) => p / hz,
        None => u64::MAX / hz,
    }
}

/// Linux `msecs_to_jiffies(ms)` at `hz` (rounds up).
#[inline]
pub const fn msecs_to_jiffies(ms: u64, hz: u32) -> u64 {
    let hz = if hz == 0 { 1000 } else { hz as u64 };
    match ms.checked_mul(hz) {
        Some(p) => p.div_ceil(1000),
        None => u64::MAX / 1000,
    }
}

/// `usecs_to_jiffies()` expressed back in milliseconds: the microsecond
/// value rounded up to a whole jiffy, saturated to `u32`.
#[inline]
pub const fn usecs_to_jiffy_ms(us: u64, hz: u32) -> u32 {
    let ms = jiffies_to_msecs(usecs_to_jiffies(us, hz), hz);
    if ms > u32::MAX as u64 {
        u32::MAX
    } else {
        ms as u32
    }
}

/// Linux `tcp_rtt_tsopt_us(tp, min_delta)` for millisecond timestamps: the
/// RTT that an echoed timestamp `tsecr` (already less our `tsoffset`)
/// shows at `now_ts` (`tcp_time_stamp_ts(tp)`), in microseconds; a zero
/// delta counts as `min_delta` ticks. `None` (Linux: -1) when the delta is
/// implausibly large (at least `INT_MAX / 1000` ms, i.e. the echo is from
/// the future or 24 days old).
#[inline]
pub const fn rtt_tsopt_us(now_ts: u32, tsecr: u32, min_delta: u32) -> Option<u32> {
    let mut delta = now_ts.wrapping_sub(tsecr);
    if delta < i32::MAX as u32 / USEC_PER_TS_TICK {
        if delta == 0 {
            delta = min_delta;
        }
        // delta < 2147483 and min_delta is 0 or 1: no overflow.
        Some(delta.saturating_mul(USEC_PER_TS_TICK))
    } else {
        None
    }
}

/// The RTT measurements one ACK offers `tcp_ack_update_rtt()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RttSample {
    /// `seq_rtt_us`: the time since the first segment newly acknowledged
    /// by this ACK was sent, when none of the acknowledged segments was
    /// ever retransmitted (Karn's rule: `tcp_clean_rtx_queue()` drops the
    /// sample on `FLAG_RETRANS_DATA_ACKED`). See
    /// [`super::tcp_cong::AckedSegs::seq_rtt_us`].
    pub seq_rtt_us: Option<u32>,
    /// `ca_rtt_us`: the same for the last newly acknowledged segment (only
    /// reported back, for a congestion module's `pkts_acked`).
    pub ca_rtt_us: Option<u32>,
    /// The ACK's echoed timestamp less our `tsoffset`, when it had a
    /// timestamp option with a non-zero echo (`saw_tstamp && rcv_tsecr`).
    pub tsecr: Option<u32>,
    /// `FLAG_ACKED`: the ACK acknowledged data or our SYN.
    pub acked: bool,
    /// `tcp_time_stamp_ts(tp)`: the timestamp clock now (without offset).
    pub now_ts: u32,
}

/// The RTT estimator and retransmission timeout of one connection: the
/// `tcp_sock` fields `srtt_us`, `mdev_us`, `mdev_max_us`, `rttvar_us`,
/// `rtt_seq`, `total_rto`, `total_rto_recoveries` and the
/// `inet_connection_sock` fields `icsk_rto`, `icsk_rto_min`,
/// `icsk_backoff` and `icsk_retransmits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtoState {
    /// `srtt_us`: smoothed RTT in microseconds, scaled by 8 (`<< 3`); 0
    /// until the first sample.
    pub srtt_us: u32,
    /// `mdev_us`: mean deviation in microseconds, scaled by 4 (`<< 2`).
    pub mdev_us: u32,
    /// `mdev_max_us`: the largest `mdev_us` of the current round trip.
    pub mdev_max_us: u32,
    /// `rttvar_us`: the smoothed deviation used for the RTO (RFC 6298's
    /// 4 * RTTVAR, never below `tcp_rto_min`).
    pub rttvar_us: u32,
    /// `rtt_seq`: `snd_nxt` when the current round trip started.
    pub rtt_seq: SeqNum,
    /// `icsk_rto` in milliseconds (a whole number of jiffies).
    pub rto_ms: u32,
    /// `tcp_rto_min(sk)` in milliseconds: `icsk_rto_min`
    /// (`net.ipv4.tcp_rto_min_us`, default [`TCP_RTO_MIN_MS`]) unless the
    /// route locks `RTAX_RTO_MIN`.
    pub rto_min_ms: u32,
    /// `icsk_backoff`: RTO doublings (and zero-window probe backoff) since
    /// the last valid RTT sample.
    pub backoff: u8,
    /// `icsk_retransmits`: timeouts since the last forward progress.
    pub retransmits: u8,
    /// `total_rto`: timeouts of this connection.
    pub total_rto: u16,
    /// `total_rto_recoveries`: timeouts that started a recovery episode.
    pub total_rto_recoveries: u16,
    /// `HZ` of the kernel (the jiffy the RTO is rounded to).
    pub hz: u32,
}

impl RtoState {
    /// `tcp_init_sock()`: RTO `TCP_TIMEOUT_INIT` (1 s), `mdev_us` 1 s, no
    /// sample yet, `icsk_rto_min` [`TCP_RTO_MIN_MS`].
    pub const fn new(hz: u32) -> Self {
        Self {
            srtt_us: 0,
            mdev_us: TCP_TIMEOUT_INIT_MS * 1000,
            mdev_max_us: 0,
            rttvar_us: 0,
            rtt_seq: SeqNum(0),
            rto_ms: TCP_TIMEOUT_INIT_MS,
            rto_min_ms: TCP_RTO_MIN_MS,
            backoff: 0,
            retransmits: 0,
            total_rto: 0,
            total_rto_recoveries: 0,
            hz,
        }
    }

    /// `tcp_rto_min_us(sk)`.
    #[inline]
    pub const fn rto_min_us(&self) -> u32 {
        self.rto_min_ms.saturating_mul(1000)
    }

    /// Linux `tcp_rtt_estimator(sk, mrtt_us)`: feeds one RTT sample (in
    /// microseconds) into Jacobson's estimator, with Linux's variations:
    /// a falling RTT moves `mdev` with gain 1/32 instead of 1/4 (Eifel-like),
    /// and `rttvar` follows the largest `mdev` of each round trip (rising
    /// at once, decaying by 1/4 per round), never below `tcp_rto_min`. A
    /// round trip ends when `snd_una` passes `rtt_seq`.
    ///
    /// `snd_una` is the value after this ACK, `snd_nxt` the current one.
    pub fn rtt_estimator(&mut self, mrtt_us: u32, snd_una: SeqNum, snd_nxt: SeqNum) {
        let mut m = i64::from(mrtt_us);
        let mut srtt = i64::from(self.srtt_us);
        let rto_min_us = self.rto_min_us();
        if srtt != 0 {
            m -= srtt >> 3; // m is now error in rtt est
            srtt += m; // rtt = 7/8 rtt + 1/8 new
            let mdev = i64::from(self.mdev_us);
            if m < 0 {
                m = -m; // m is now abs(error)
                m -= mdev >> 2; // similar update on mdev
                // "we use finer gain for mdev in this case (alpha*beta)"
                if m > 0 {
                    m >>= 3;
                }
            } else {
                m -= mdev >> 2;
            }
            self.mdev_us = clamp_u32(mdev + m); // mdev = 3/4 mdev + 1/4 new
            if self.mdev_us > self.mdev_max_us {
                self.mdev_max_us = self.mdev_us;
                if self.mdev_max_us > self.rttvar_us {
                    self.rttvar_us = self.mdev_max_us;
                }
            }
            if snd_una.after(self.rtt_seq) {
                if self.mdev_max_us < self.rttvar_us {
                    self.rttvar_us -= (self.rttvar_us - self.mdev_max_us) >> 2;
                }
                self.rtt_seq = snd_nxt;
                self.mdev_max_us = rto_min_us;
            }
        } else {
            // "no previous measure."
            srtt = m << 3; // take the measured time to be rtt
            self.mdev_us = clamp_u32(m << 1); // make sure rto = 3*rtt
            self.rttvar_us = self.mdev_us.max(rto_min_us);
            self.mdev_max_us = self.rttvar_us;
            self.rtt_seq = snd_nxt;
        }
        // Linux stores the sum in a u32; samples that large (over 8
        // minutes) do not occur, so saturate rather than wrap.
        self.srtt_us = clamp_u32(srtt).max(1);
    }

    /// Linux `__tcp_set_rto(tp)`: `srtt + 4 * rttvar` rounded up to a
    /// jiffy, without backoff or bounds, in milliseconds.
    #[inline]
    pub const fn raw_rto_ms(&self) -> u32 {
        let us = (self.srtt_us >> 3) as u64 + self.rttvar_us as u64;
        usecs_to_jiffy_ms(us, self.hz)
    }

    /// Linux `tcp_bound_rto(sk)`: at most `TCP_RTO_MAX`.
    #[inline]
    pub fn bound_rto(&mut self) {
        if self.rto_ms > TCP_RTO_MAX_MS {
            self.rto_ms = TCP_RTO_MAX_MS;
        }
    }

    /// Linux `tcp_set_rto(sk)`: the RTO from the estimator, bounded above
    /// by `TCP_RTO_MAX`. No lower clamp is needed: `rttvar_us` is never
    /// below `tcp_rto_min`.
    pub fn set_rto(&mut self) {
        self.rto_ms = self.raw_rto_ms();
        self.bound_rto();
    }

    /// Linux `tcp_ack_update_rtt()`: picks the sample of an ACK and, if
    /// there is one, runs the estimator, recomputes the RTO and clears
    /// `icsk_backoff` ("RFC6298: only reset backoff on valid RTT
    /// measurement"). Returns whether a sample was taken.
    ///
    /// The ACK-timing sample is preferred ("broken middle-boxes or peers
    /// may corrupt TS-ECR fields"); the timestamp echo is used only when
    /// Karn's rule (or the lack of newly acknowledged data) left none,
    /// and only if the ACK acknowledged something (RTTM rule of RFC 7323).
    /// The `rtt_min` filter (`tcp_update_rtt_min()`), used only by
    /// RACK and pacing, is not modelled.
    pub fn ack_update_rtt(&mut self, s: &RttSample, snd_una: SeqNum, snd_nxt: SeqNum) -> bool {
        let mut seq_rtt = s.seq_rtt_us;
        if seq_rtt.is_none() && s.acked {
            if let Some(tsecr) = s.tsecr {
                seq_rtt = rtt_tsopt_us(s.now_ts, tsecr, 1);
            }
        }
        let Some(m) = seq_rtt else {
            return false;
        };
        self.rtt_estimator(m, snd_una, snd_nxt);
        self.set_rto();
        self.backoff = 0;
        true
    }

    /// The RTO part of `tcp_init_metrics()` (run by `tcp_init_transfer()`
    /// when the connection becomes established) without a metrics cache:
    /// if the handshake gave no RTT sample (`srtt_us == 0`, e.g. the SYN or
    /// SYN-ACK was retransmitted), RTO, `rttvar`, `mdev` and `mdev_max` all
    /// become `TCP_TIMEOUT_FALLBACK` (3 s); otherwise nothing changes.
    pub fn init_metrics(&mut self) {
        if self.srtt_us == 0 {
            let us = TCP_TIMEOUT_FALLBACK_MS * 1000;
            self.rttvar_us = us;
            self.mdev_us = us;
            self.mdev_max_us = us;
            self.rto_ms = TCP_TIMEOUT_FALLBACK_MS;
        }
    }

    /// Linux `inet_csk_rto_backoff(icsk, max_when)`: `icsk_rto <<
    /// icsk_backoff`, at most `max_ms`.
    #[inline]
    pub const fn rto_backoff_ms(&self, max_ms: u32) -> u32 {
        let when = if self.backoff >= 32 {
            u64::MAX
        } else {
            (self.rto_ms as u64) << self.backoff
        };
        if when > max_ms as u64 {
            max_ms
        } else {
            when as u32
        }
    }

    /// Linux `tcp_rearm_rto(sk)` (without Fast Open, RACK reordering
    /// timer or loss probe): after forward progress the retransmission
    /// timer restarts at the current RTO, or stops when nothing is
    /// outstanding.
    #[inline]
    pub const fn rearm_rto(&self, packets_out: u32) -> RtoTimer {
        if packets_out == 0 {
            RtoTimer::Clear
        } else {
            RtoTimer::Reset(self.rto_ms)
        }
    }

    /// Linux `retransmits_timed_out(sk, boundary, timeout)` for a
    /// synchronised connection (model base `TCP_RTO_MIN`): true when at
    /// least one timeout happened and `timeout_ms` (0: the time
    /// `boundary` exponential retransmissions from 200 ms take) has passed
    /// since `retrans_stamp`, the first retransmission.
    pub const fn timed_out(&self, retrans_stamp: u32, boundary: u32, timeout_ms: u32, now_ms: u32) -> bool {
        if self.retransmits == 0 {
            return false;
        }
        let timeout = if timeout_ms == 0 {
            tcp_model_timeout(boundary, TCP_RTO_MIN_MS)
        } else {
            timeout_ms
        };
        now_ms.wrapping_sub(retrans_stamp).wrapping_sub(timeout) as i32 >= 0
    }

    /// Linux `tcp_clamp_rto_to_user_timeout()` in milliseconds: the RTO,
    /// but no later than TCP_USER_TIMEOUT after `retrans_stamp` (one
    /// jiffy when that has passed).
    pub const fn clamp_rto_to_user_timeout(&self, retrans_stamp: u32, user_timeout_ms: u32, now_ms: u32) -> u32 {
        if user_timeout_ms == 0 {
            return self.rto_ms;
        }
        let elapsed = now_ms.wrapping_sub(retrans_stamp);
        let remaining = user_timeout_ms.wrapping_sub(elapsed) as i32;
        if remaining <= 0 {
            // "user timeout has passed; fire ASAP": one jiffy.
            return jiffies_to_msecs(1, self.hz) as u32;
        }
        // min_t(u32, icsk_rto, msecs_to_jiffies(remaining)) in jiffies.
        let rem_ms = jiffies_to_msecs(msecs_to_jiffies(remaining as u64, self.hz), self.hz);
        if rem_ms < self.rto_ms as u64 {
            rem_ms as u32
        } else {
            self.rto_ms
        }
    }

    /// `tcp_update_rto_stats()`: one more timeout.
    pub fn update_rto_stats(&mut self) {
        if self.retransmits == 0 {
            self.total_rto_recoveries = self.total_rto_recoveries.wrapping_add(1);
        }
        self.retransmits = self.retransmits.wrapping_add(1);
        self.total_rto = self.total_rto.wrapping_add(1);
    }

    /// Linux `tcp_write_timeout()` for a synchronised connection: whether
    /// to give up (after `tcp_retries2` worth of backoff time, or
    /// TCP_USER_TIMEOUT, since the first retransmission; orphans use
    /// `tcp_orphan_retries()`), and whether `tcp_retries1` worth has passed
    /// (black-hole detection: MTU probing and `__dst_negative_advice()`).
    /// `tcp_out_of_resources()` for orphans is not modelled.
    pub fn write_timeout(&self, retrans_stamp: u32, ctx: &RtxTimerCtx) -> WriteTimeout {
        let negative_advice = self.timed_out(retrans_stamp, u32::from(ctx.retries1), 0, ctx.now_ms);
        let mut retry_until = u32::from(ctx.retries2);
        if ctx.dead {
            let alive = self.rto_ms < TCP_RTO_MAX_MS;
            retry_until = u32::from(tcp_orphan_retries(ctx.orphan_retries, ctx.soft_error, alive));
        }
        let expired = self.timed_out(retrans_stamp, retry_until, ctx.user_timeout_ms, ctx.now_ms);
        WriteTimeout {
            expired,
            negative_advice,
        }
    }

    /// Linux `tcp_rtx_probe0_timed_out()`: whether a connection whose
    /// peer shrank the window to zero under outstanding data gives up.
    /// `rtx_delta_ms` is the time since the first retransmission (or the
    /// head's transmission).
    pub fn rtx_probe0_timed_out(&self, rtx_delta_ms: u32, ctx: &RtxTimerCtx) -> bool {
        // int timeout = TCP_RTO_MAX * 2, in jiffies; kept in ms here.
        let mut timeout = u64::from(TCP_RTO_MAX_MS) * 2;
        if ctx.user_timeout_ms != 0 {
            // "it does not want win 0 packets to 'reset the timer' while
            // retransmits are not making progress."
            if rtx_delta_ms > ctx.user_timeout_ms {
                return true;
            }
            let user = jiffies_to_msecs(msecs_to_jiffies(u64::from(ctx.user_timeout_ms), self.hz), self.hz);
            timeout = timeout.min(user);
        }
        // rcv_delta = icsk_timeout - rcv_tstamp, may be negative.
        let rcv_delta = i64::from(ctx.timer_due_ms.wrapping_sub(ctx.rcv_tstamp_ms) as i32);
        if rcv_delta <= timeout as i64 {
            return false;
        }
        let rtx = jiffies_to_msecs(msecs_to_jiffies(u64::from(rtx_delta_ms), self.hz), self.hz);
        rtx > timeout
    }

    /// The end of `tcp_retransmit_timer()` once the head segment has been
    /// retransmitted (see [`retransmit_timer`]): the next timer and RTO.
    ///
    /// `local_drop` is `tcp_retransmit_skb() > 0` (the local qdisc refused
    /// the segment): the timer is then `TCP_RESOURCE_PROBE_INTERVAL` and
    /// nothing backs off (ignored after a zero-window retransmission, as in
    /// Linux). Otherwise (`out_reset_timer`) the RTO doubles up to
    /// `TCP_RTO_MAX` with `icsk_backoff` + 1, and the timer is that RTO
    /// clamped to TCP_USER_TIMEOUT. `dst_reset` says that `tcp_retries1 + 1`
    /// worth of time has passed (`__sk_dst_reset()`: look the route up
    /// again). Thin-stream linear timeouts (`tcp_thin_linear_timeouts`,
    /// default off) are not modelled.
    pub fn after_timer_retransmit(
        &mut self,
        step: RtxTimerStep,
        local_drop: bool,
        retrans_stamp: u32,
        ctx: &RtxTimerCtx,
    ) -> RtxRearm {
        let zero_window = matches!(step, RtxTimerStep::Retransmit { zero_window: true, .. });
        if local_drop && !zero_window {
            return RtxRearm {
                timer_ms: TCP_RESOURCE_PROBE_INTERVAL_MS,
                dst_reset: false,
            };
        }
        self.backoff = self.backoff.wrapping_add(1);
        self.rto_ms = self.rto_ms.saturating_mul(2).min(TCP_RTO_MAX_MS);
        let timer_ms = self.clamp_rto_to_user_timeout(retrans_stamp, ctx.user_timeout_ms, ctx.now_ms);
        let dst_reset = self.timed_out(retrans_stamp, u32::from(ctx.retries1) + 1, 0, ctx.now_ms);
        RtxRearm { timer_ms, dst_reset }
    }
}

/// Saturates an `i64` into `u32`.
#[inline]
const fn clamp_u32(v: i64) -> u32 {
    if v < 0 {
        0
    } else if v > u32::MAX as i64 {
        u32::MAX
    } else {
        v as u32
    }
}

/// Linux `tcp_orphan_retries(sk, alive)`: the retry limit of an orphaned
/// socket: `net.ipv4.tcp_orphan_retries`, 0 after an ICMP error on a socket
/// that is not alive, and 8 (over 100 s at the minimal RTO) when that
/// leaves 0 for a socket that is alive.
#[inline]
pub const fn tcp_orphan_retries(sysctl: u8, soft_error: bool, alive: bool) -> u8 {
    let mut retries = sysctl;
    if soft_error && !alive {
        retries = 0;
    }
    if retries == 0 && alive {
        retries = 8;
    }
    retries
}

/// What to do with the retransmission timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtoTimer {
    /// `inet_csk_clear_xmit_timer(sk, ICSK_TIME_RETRANS)`.
    Clear,
    /// (Re)arm it to fire after this many milliseconds.
    Reset(u32),
}

/// The outcome of [`RtoState::write_timeout`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteTimeout {
    /// Give up: `tcp_write_err()` (`sk_err_soft` or `ETIMEDOUT`).
    pub expired: bool,
    /// `tcp_retries1` worth of time has passed: `tcp_mtu_probing()` (if
    /// `net.ipv4.tcp_mtu_probing`) and `__dst_negative_advice()`.
    pub negative_advice: bool,
}

/// The inputs of the retransmission timer of a synchronised connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtxTimerCtx {
    /// `tcp_time_stamp_ms(tp)` when the timer runs.
    pub now_ms: u32,
    /// `icsk_timeout`: when the timer was due (same clock).
    pub timer_due_ms: u32,
    /// `rcv_tstamp`: when the last ACK was received (same clock).
    pub rcv_tstamp_ms: u32,
    /// The transmission time of the head of the retransmission queue
    /// (`tcp_skb_timestamp_ts()`), used when `retrans_stamp` is 0.
    pub head_tx_ms: u32,
    /// `snd_wnd`: the peer's window (scaled).
    pub snd_wnd: u32,
    /// `SOCK_DEAD`: the socket is orphaned (closed by the application).
    pub dead: bool,
    /// `sk_err_soft != 0`: an ICMP error was recorded.
    pub soft_error: bool,
    /// TCP_USER_TIMEOUT in milliseconds, 0 = unset.
    pub user_timeout_ms: u32,
    /// `net.ipv4.tcp_retries1`.
    pub retries1: u8,
    /// `net.ipv4.tcp_retries2`.
    pub retries2: u8,
    /// `net.ipv4.tcp_orphan_retries`.
    pub orphan_retries: u8,
}

impl RtxTimerCtx {
    /// Defaults: retries 3/15, orphan retries 0, no user timeout, not
    /// orphaned, no soft error, an open window of 65535 bytes, the last ACK
    /// and the head's transmission at `now_ms`.
    pub const fn new(now_ms: u32) -> Self {
        Self {
            now_ms,
            timer_due_ms: now_ms,
            rcv_tstamp_ms: now_ms,
            head_tx_ms: now_ms,
            snd_wnd: 65535,
            dead: false,
            soft_error: false,
            user_timeout_ms: 0,
            retries1: TCP_RETR1,
            retries2: TCP_RETR2,
            orphan_retries: TCP_ORPHAN_RETRIES,
        }
    }
}

/// What an expiry of the retransmission timer decides
/// ([`retransmit_timer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtxTimerStep {
    /// Nothing is outstanding (`!packets_out`): do nothing.
    Idle,
    /// Give up: `tcp_write_err()` (`sk_err_soft` or `ETIMEDOUT`),
    /// `tcp_done()`.
    Expire,
    /// Retransmit the head of the retransmission queue (`tcp_retransmit_skb(
    /// sk, head, 1)`, accounted with
    /// [`super::tcp_cong::CongState::on_retransmit`] at index 0), then call
    /// [`RtoState::after_timer_retransmit`] for the next timer.
    Retransmit {
        /// The peer's window is zero: the retransmission doubles as a
        /// window probe and the connection does not time out the usual way
        /// (`tcp_retransmit_timer()`'s "receiver dastardly shrinks window").
        zero_window: bool,
        /// [`WriteTimeout::negative_advice`].
        negative_advice: bool,
    },
}

/// The timer [`RtoState::after_timer_retransmit`] arms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtxRearm {
    /// Milliseconds until the retransmission timer fires again.
    pub timer_ms: u32,
    /// `__sk_dst_reset()`: `tcp_retries1 + 1` worth of time passed.
    pub dst_reset: bool,
}

/// Linux `tcp_retransmit_timer()` for a synchronised connection without
/// Fast Open, up to the retransmission: checks for giving up, enters
/// `CA_Loss` (`tcp_enter_loss()`: every outstanding segment lost, `cwnd`
/// 1, `ssthresh` halved once per episode) and counts the timeout.
///
/// With a zero peer window and a live socket the connection only gives up
/// when no ACK came for twice `TCP_RTO_MAX` (or TCP_USER_TIMEOUT) and the
/// retransmissions have lasted as long (`tcp_rtx_probe0_timed_out()`), and
/// the timeout is not counted in `icsk_retransmits`.
pub fn retransmit_timer<Q: RtxQueue + ?Sized>(
    rto: &mut RtoState,
    cong: &mut CongState,
    q: &mut Q,
    snd_una: SeqNum,
    snd_nxt: SeqNum,
    sysctls: &CongSysctls,
    ctx: &RtxTimerCtx,
) -> RtxTimerStep {
    if cong.packets_out == 0 {
        return RtxTimerStep::Idle;
    }
    if ctx.snd_wnd == 0 && !ctx.dead {
        let start = if cong.retrans_stamp != 0 {
            cong.retrans_stamp
        } else {
            ctx.head_tx_ms
        };
        let rtx_delta = ctx.now_ms.wrapping_sub(start);
        if rto.rtx_probe0_timed_out(rtx_delta, ctx) {
            return RtxTimerStep::Expire;
        }
        cong.enter_loss(q, snd_una, snd_nxt, rto.retransmits, sysctls, ctx.now_ms);
        return RtxTimerStep::Retransmit {
            zero_window: true,
            negative_advice: false,
        };
    }
    let wt = rto.write_timeout(cong.retrans_stamp, ctx);
    if wt.expired {
        return RtxTimerStep::Expire;
    }
    cong.enter_loss(q, snd_una, snd_nxt, rto.retransmits, sysctls, ctx.now_ms);
    rto.update_rto_stats();
    RtxTimerStep::Retransmit {
        zero_window: false,
        negative_advice: wt.negative_advice,
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::tcp_cong::{CaState, SegState};
    use super::*;
    use std::vec;
    use std::vec::Vec;

    fn est(hz: u32) -> RtoState {
        RtoState::new(hz)
    }

    #[test]
    fn jiffy_conversions() {
        assert_eq!(usecs_to_jiffies(201_000, 1000), 201);
        assert_eq!(usecs_to_jiffies(201_000, 250), 51);
        assert_eq!(usecs_to_jiffies(201_000, 100), 21);
        assert_eq!(usecs_to_jiffies(0, 250), 0);
        assert_eq!(usecs_to_jiffy_ms(201_000, 250), 204);
        assert_eq!(usecs_to_jiffy_ms(201_001, 1000), 202);
        assert_eq!(msecs_to_jiffies(1, 100), 1);
        assert_eq!(jiffies_to_msecs(3, 300), 10);
        assert_eq!(usecs_to_jiffies(u64::MAX, 1000), u64::MAX / 1_000_000);
    }

    #[test]
    fn first_sample() {
        // Loopback SYN RTT of 50 us at HZ=1000: srtt 400 (<<3), mdev 100,
        // rttvar max(100, 200000) = 200 ms, RTO ceil(50 + 200000 us) = 201 ms
        // (the "rto:201" ss shows on loopback).
        let mut r = est(1000);
        r.rtt_estimator(50, SeqNum(1), SeqNum(1));
        assert_eq!((r.srtt_us, r.mdev_us, r.rttvar_us, r.mdev_max_us), (400, 100, 200_000, 200_000));
        assert_eq!(r.rtt_seq, SeqNum(1));
        r.set_rto();
        assert_eq!(r.rto_ms, 201);
        // The same at HZ=250: 51 jiffies.
        let mut r = est(250);
        r.rtt_estimator(50, SeqNum(1), SeqNum(1));
        r.set_rto();
        assert_eq!(r.rto_ms, 204);
        // A 100 ms RTT: srtt 800000, mdev 200000, rttvar 200000 -> 300 ms
        // (RFC 6298: 3 * RTT for the first sample when above rto_min).
        let mut r = est(1000);
        r.rtt_estimator(100_000, SeqNum(1), SeqNum(1));
        r.set_rto();
        assert_eq!((r.srtt_us, r.mdev_us, r.rttvar_us), (800_000, 200_000, 200_000));
        assert_eq!(r.rto_ms, 300);
        // 200 ms: mdev 400000 > rto_min: rto = 200 + 400 = 600 ms.
        let mut r = est(1000);
        r.rtt_estimator(200_000, SeqNum(1), SeqNum(1));
        r.set_rto();
        assert_eq!(r.rto_ms, 600);
        // A zero sample still leaves srtt at least 1.
        let mut r = est(1000);
        r.rtt_estimator(0, SeqNum(1), SeqNum(1));
        assert_eq!(r.srtt_us, 1);
    }

    #[test]
    fn later_samples() {
        let mut r = est(1000);
        r.rtt_estimator(100_000, SeqNum(1000), SeqNum(1000));
        // Same round (snd_una not after rtt_seq): rising RTT 140 ms.
        // m = 140000 - 100000 = 40000; srtt = 840000; m -= 200000/4 ->
        // -10000; mdev = 190000; mdev_max stays 200000.
        r.rtt_estimator(140_000, SeqNum(1000), SeqNum(5000));
        assert_eq!((r.srtt_us, r.mdev_us, r.mdev_max_us, r.rttvar_us), (840_000, 190_000, 200_000, 200_000));
        assert_eq!(r.rtt_seq, SeqNum(1000));
        // Falling RTT 20 ms, new round (snd_una 1001 after 1000):
        // m = 20000 - 105000 = -85000; srtt = 755000; |m| - 47500 = 37500
        // >> 3 = 4687; mdev 194687 (< mdev_max 200000); rttvar decays by
        // (200000 - 200000) >> 2 = 0; rtt_seq = snd_nxt, mdev_max = rto_min.
        r.rtt_estimator(20_000, SeqNum(1001), SeqNum(9000));
        assert_eq!((r.srtt_us, r.mdev_us), (755_000, 194_687));
        assert_eq!((r.rtt_seq, r.mdev_max_us, r.rttvar_us), (SeqNum(9000), 200_000, 200_000));
        // A spike: m = 1000000 - 94375 = 905625; srtt 1660625; m -= 48671
        // -> 856954; mdev 1051641 > mdev_max: rttvar follows at once.
        r.rtt_estimator(1_000_000, SeqNum(1002), SeqNum(9000));
        assert_eq!((r.srtt_us, r.mdev_us, r.mdev_max_us, r.rttvar_us), (1_660_625, 1_051_641, 1_051_641, 1_051_641));
        r.set_rto();
        // 1660625 / 8 = 207578 + 1051641 = 1259219 us -> 1260 ms.
        assert_eq!(r.rto_ms, 1260);
        // Next round: mdev_max reset, rttvar decays a quarter of the excess.
        r.rtt_estimator(207_578, SeqNum(9001), SeqNum(9500));
        assert_eq!(r.mdev_max_us, 200_000);
        // mdev: m = 207578 - 207578 = 0; m -= 262910 -> mdev 788731.
        // mdev_max (1051641) < rttvar? equal: no decay then reset.
        assert_eq!((r.mdev_us, r.rttvar_us), (788_731, 1_051_641));
        r.rtt_estimator(207_578, SeqNum(9501), SeqNum(9600));
        // mdev 788731 - 197182 = 591549 > mdev_max 200000 -> mdev_max
        // 591549; new round: rttvar -= (1051641 - 591549) >> 2 = 115023.
        assert_eq!((r.mdev_us, r.rttvar_us, r.mdev_max_us), (591_549, 936_618, 200_000));
    }

    #[test]
    fn rto_bounds() {
        // Huge sample: capped at TCP_RTO_MAX.
        let mut r = est(1000);
        r.rtt_estimator(100_000_000, SeqNum(1), SeqNum(1));
        r.set_rto();
        assert_eq!(r.rto_ms, TCP_RTO_MAX_MS);
        // Tiny samples never go below rto_min.
        let mut r = est(1000);
        for i in 0..100u32 {
            r.rtt_estimator(1, SeqNum(i), SeqNum(i + 1));
            r.set_rto();
            assert!(r.rto_ms >= TCP_RTO_MIN_MS);
        }
        assert_eq!(r.rto_ms, 201);
        // A lower route rto_min (e.g. 5 ms) lets it go lower.
        let mut r = est(1000);
        r.rto_min_ms = 5;
        r.rtt_estimator(100, SeqNum(1), SeqNum(1));
        r.set_rto();
        assert_eq!(r.rto_ms, 6);
    }

    #[test]
    fn sample_choice() {
        let mut r = est(1000);
        r.backoff = 3;
        // Karn: no ACK-timing sample and no timestamp -> nothing.
        let s = RttSample {
            seq_rtt_us: None,
            ca_rtt_us: None,
            tsecr: None,
            acked: true,
            now_ts: 5000,
        };
        assert!(!r.ack_update_rtt(&s, SeqNum(10), SeqNum(20)));
        assert_eq!((r.srtt_us, r.backoff, r.rto_ms), (0, 3, 1000));
        // Timestamp echo 4900 at 5000: 100 ms sample even for
        // retransmitted data; backoff cleared.
        let s = RttSample {
            tsecr: Some(4900),
            ..s
        };
        assert!(r.ack_update_rtt(&s, SeqNum(10), SeqNum(20)));
        assert_eq!((r.srtt_us, r.backoff, r.rto_ms), (800_000, 0, 300));
        // The ACK-timing sample wins over the echo.
        let mut r = est(1000);
        let s = RttSample {
            seq_rtt_us: Some(30_000),
            ..s
        };
        assert!(r.ack_update_rtt(&s, SeqNum(10), SeqNum(20)));
        assert_eq!(r.srtt_us, 240_000);
        // Echo only counts when the ACK acknowledged something.
        let mut r = est(1000);
        let s = RttSample {
            seq_rtt_us: None,
            acked: false,
            tsecr: Some(4900),
            ..s
        };
        assert!(!r.ack_update_rtt(&s, SeqNum(10), SeqNum(20)));
        // Echo equal to now: one tick (1 ms); from the future: ignored.
        assert_eq!(rtt_tsopt_us(5000, 5000, 1), Some(1000));
        assert_eq!(rtt_tsopt_us(5000, 5000, 0), Some(0));
        assert_eq!(rtt_tsopt_us(5000, 5001, 1), None);
        assert_eq!(rtt_tsopt_us(5000, 5000u32.wrapping_sub(2_147_482), 1), Some(2_147_482_000));
        assert_eq!(rtt_tsopt_us(5000, 5000u32.wrapping_sub(2_147_483), 1), None);
    }

    #[test]
    fn init_metrics_fallback() {
        let mut r = est(1000);
        r.init_metrics();
        assert_eq!((r.rto_ms, r.rttvar_us, r.mdev_us, r.mdev_max_us), (3000, 3_000_000, 3_000_000, 3_000_000));
        // With a handshake sample nothing changes.
        let mut r = est(1000);
        r.rtt_estimator(50, SeqNum(1), SeqNum(1));
        r.set_rto();
        let before = r;
        r.init_metrics();
        assert_eq!(r, before);
    }

    #[test]
    fn backoff_and_rearm() {
        let mut r = est(1000);
        r.rto_ms = 200;
        r.backoff = 4;
        assert_eq!(r.rto_backoff_ms(TCP_RTO_MAX_MS), 3200);
        r.backoff = 10;
        assert_eq!(r.rto_backoff_ms(TCP_RTO_MAX_MS), TCP_RTO_MAX_MS);
        r.backoff = 200;
        assert_eq!(r.rto_backoff_ms(TCP_RTO_MAX_MS), TCP_RTO_MAX_MS);
        assert_eq!(r.rearm_rto(0), RtoTimer::Clear);
        assert_eq!(r.rearm_rto(3), RtoTimer::Reset(200));
    }

    #[test]
    fn orphan_retries() {
        assert_eq!(tcp_orphan_retries(0, false, true), 8);
        assert_eq!(tcp_orphan_retries(0, false, false), 0);
        assert_eq!(tcp_orphan_retries(5, true, false), 0);
        assert_eq!(tcp_orphan_retries(5, true, true), 5);
        assert_eq!(tcp_orphan_retries(2, false, false), 2);
    }

    /// Runs the timer of a connection with `n` segments outstanding since
    /// `t0` and no ACK ever coming back; returns the expiry times that
    /// retransmitted and the time it gave up.
    fn blackhole(rto0: u32, ctx0: RtxTimerCtx) -> (Vec<u32>, u32, RtoState, CongState) {
        let mut rto = est(1000);
        rto.rto_ms = rto0;
        let mut cong = CongState::new(false, &CongSysctls::DEFAULT, 0);
        let mut q = [SegState::default(); 4];
        cong.packets_out = 4;
        let mut now = rto0;
        let mut sent = Vec::new();
        let sysctls = CongSysctls::DEFAULT;
        loop {
            let ctx = RtxTimerCtx {
                now_ms: now,
                timer_due_ms: now,
                ..ctx0
            };
            let step = retransmit_timer(&mut rto, &mut cong, &mut q[..], SeqNum(1000), SeqNum(5000), &sysctls, &ctx);
            match step {
                RtxTimerStep::Idle => panic!("idle"),
                RtxTimerStep::Expire => return (sent, now, rto, cong),
                RtxTimerStep::Retransmit { .. } => {
                    sent.push(now);
                    cong.on_retransmit(&mut q[..], 0, now, true);
                    let rearm = rto.after_timer_retransmit(step, false, cong.retrans_stamp, &ctx);
                    now += rearm.timer_ms;
                }
            }
        }
    }

    #[test]
    fn established_give_up_schedule() {
        // RTO 200 ms, tcp_retries2 = 15: the model time is 924.6 s from the
        // first retransmission (at 200 ms); expiries at 200 << k capped at
        // 120 s. The one at 924600 is 200 ms short, so a 16th
        // retransmission goes out and the connection fails at 1044.6 s.
        let (sent, exp, rto, cong) = blackhole(200, RtxTimerCtx::new(0));
        assert_eq!(
            sent,
            vec![
                200, 600, 1400, 3000, 6200, 12600, 25400, 51000, 102200, 204600, 324600, 444600, 564600, 684600,
                804600, 924600
            ]
        );
        assert_eq!(exp, 1_044_600);
        assert_eq!((rto.retransmits, rto.total_rto, rto.backoff), (16, 16, 16));
        assert_eq!(rto.rto_ms, TCP_RTO_MAX_MS);
        assert_eq!(cong.retrans_stamp, 200);
        assert_eq!(cong.ca_state, CaState::Loss);
        assert_eq!(cong.total_retrans, 16);
    }

    #[test]
    fn retries2_and_user_timeout() {
        // tcp_retries2 = 5: model 63 * 200 = 12.6 s after the first
        // retransmission (at 200): the expiry at 12600 still retransmits.
        let ctx = RtxTimerCtx {
            retries2: 5,
            ..RtxTimerCtx::new(0)
        };
        let (sent, exp, _, _) = blackhole(200, ctx);
        assert_eq!(sent, vec![200, 600, 1400, 3000, 6200, 12600]);
        assert_eq!(exp, 25400);
        // TCP_USER_TIMEOUT 1000 ms: timers clamp to what is left.
        let ctx = RtxTimerCtx {
            user_timeout_ms: 1000,
            ..RtxTimerCtx::new(0)
        };
        let (sent, exp, _, _) = blackhole(200, ctx);
        assert_eq!(sent, vec![200, 600]);
        assert_eq!(exp, 1200);
        // Orphaned: tcp_orphan_retries 0 -> 8 while alive.
        let ctx = RtxTimerCtx {
            dead: true,
            ..RtxTimerCtx::new(0)
        };
        let (sent, exp, _, _) = blackhole(200, ctx);
        assert_eq!(sent.len(), 9);
        // Model(8) = 511 * 200 = 102200 after 200: expires at 204600.
        assert_eq!(exp, 204_600);
    }

    #[test]
    fn timer_details() {
        let mut rto = est(1000);
        let mut cong = CongState::new(false, &CongSysctls::DEFAULT, 0);
        let mut q = [SegState::default(); 2];
        let sysctls = CongSysctls::DEFAULT;
        let ctx = RtxTimerCtx::new(1000);
        // Nothing outstanding.
        assert_eq!(
            retransmit_timer(&mut rto, &mut cong, &mut q[..], SeqNum(1), SeqNum(1), &sysctls, &ctx),
            RtxTimerStep::Idle
        );
        cong.packets_out = 2;
        let step = retransmit_timer(&mut rto, &mut cong, &mut q[..], SeqNum(1), SeqNum(3000), &sysctls, &ctx);
        assert_eq!(
            step,
            RtxTimerStep::Retransmit {
                zero_window: false,
                negative_advice: false
            }
        );
        assert_eq!((rto.retransmits, rto.total_rto_recoveries), (1, 1));
        // Local drop: resource probe interval, no backoff.
        let r = rto.after_timer_retransmit(step, true, 1000, &ctx);
        assert_eq!(r.timer_ms, 500);
        assert_eq!((rto.backoff, rto.rto_ms), (0, 1000));
        let r = rto.after_timer_retransmit(step, false, 1000, &ctx);
        assert_eq!((r.timer_ms, rto.backoff, rto.rto_ms), (2000, 1, 2000));
        // retries1 + 1 = 4 -> model 31 * 200 = 6.2 s from the first
        // retransmission; retries1 = 3 -> 3 s.
        assert!(!r.dst_reset);
        let late = RtxTimerCtx::new(7199);
        assert!(!rto.after_timer_retransmit(step, false, 1000, &late).dst_reset);
        let late = RtxTimerCtx::new(7200);
        assert!(rto.after_timer_retransmit(step, false, 1000, &late).dst_reset);
        assert!(rto.write_timeout(1000, &RtxTimerCtx::new(4000)).negative_advice);
        assert!(!rto.write_timeout(1000, &RtxTimerCtx::new(3999)).negative_advice);
    }

    #[test]
    fn zero_window_timeouts() {
        let mut rto = est(1000);
        rto.rto_ms = 200;
        let mut cong = CongState::new(false, &CongSysctls::DEFAULT, 0);
        let mut q = [SegState::default(); 1];
        cong.packets_out = 1;
        let sysctls = CongSysctls::DEFAULT;
        // Window 0, last ACK just now: probe-like retransmission, not
        // counted in icsk_retransmits, RTO still backs off.
        let ctx = RtxTimerCtx {
            snd_wnd: 0,
            ..RtxTimerCtx::new(1000)
        };
        let step = retransmit_timer(&mut rto, &mut cong, &mut q[..], SeqNum(1), SeqNum(2), &sysctls, &ctx);
        assert_eq!(
            step,
            RtxTimerStep::Retransmit {
                zero_window: true,
                negative_advice: false
            }
        );
        assert_eq!(rto.retransmits, 0);
        assert_eq!(cong.ca_state, CaState::Loss);
        // A local drop does not shorten the zero-window timer.
        let r = rto.after_timer_retransmit(step, true, 0, &ctx);
        assert_eq!((r.timer_ms, rto.backoff), (400, 1));
        // No ACK for more than 240 s and retransmitting for more than
        // 240 s: give up.
        let ctx = RtxTimerCtx {
            snd_wnd: 0,
            timer_due_ms: 300_000,
            rcv_tstamp_ms: 50_000,
            head_tx_ms: 50_000,
            ..RtxTimerCtx::new(300_000)
        };
        cong.retrans_stamp = 0;
        assert!(rto.rtx_probe0_timed_out(250_000, &ctx));
        assert_eq!(
            retransmit_timer(&mut rto, &mut cong, &mut q[..], SeqNum(1), SeqNum(2), &sysctls, &ctx),
            RtxTimerStep::Expire
        );
        // ACKs still arriving (rcv_delta small): never.
        let alive = RtxTimerCtx {
            rcv_tstamp_ms: 299_000,
            ..ctx
        };
        assert!(!rto.rtx_probe0_timed_out(1_000_000, &alive));
        // Exactly 240 s of retransmission is not more than 240 s.
        assert!(!rto.rtx_probe0_timed_out(240_000, &ctx));
        // User timeout: retransmitting longer than it -> give up at once.
        let user = RtxTimerCtx {
            user_timeout_ms: 5000,
            ..alive
        };
        assert!(rto.rtx_probe0_timed_out(5001, &user));
        assert!(!rto.rtx_probe0_timed_out(5000, &user));
        // An orphan with a zero window takes the normal path.
        let dead = RtxTimerCtx { dead: true, ..ctx };
        let step = retransmit_timer(&mut rto, &mut cong, &mut q[..], SeqNum(1), SeqNum(2), &sysctls, &dead);
        assert!(matches!(step, RtxTimerStep::Retransmit { zero_window: false, .. }));
    }

    #[test]
    fn user_timeout_clamp() {
        let mut r = est(250);
        r.rto_ms = 2000;
        assert_eq!(r.clamp_rto_to_user_timeout(0, 0, 100), 2000);
        assert_eq!(r.clamp_rto_to_user_timeout(0, 1000, 500), 500);
        // 499 ms left -> rounded up to whole jiffies (125 * 4 ms).
        assert_eq!(r.clamp_rto_to_user_timeout(0, 1000, 501), 500);
        assert_eq!(r.clamp_rto_to_user_timeout(0, 1000, 1000), 4);
        assert_eq!(r.clamp_rto_to_user_timeout(0, 1000, 5000), 4);
    }
}
