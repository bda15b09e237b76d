// SPDX-License-Identifier: GPL-2.0

//! When a receiver ACKs: Linux's delayed-ACK engine, `icsk_ack` of
//! `struct inet_connection_sock` ([`DelAck`]) and the functions that drive
//! it:
//!
//! * data arrives: `tcp_event_data_recv()` with `tcp_measure_rcv_mss()`
//!   (net/ipv4/tcp_input.c) adapts the ACK timeout (`ato`) to the
//!   inter-arrival time and starts quick-ACK mode
//!   ([`DelAck::event_data_recv`]);
//! * after a segment is processed: `tcp_ack_snd_check()` /
//!   `__tcp_ack_snd_check()` decide "ACK now", "delay", or (with SACK and
//!   out-of-order data) "compress" ([`DelAck::ack_snd_check`]);
//!   `tcp_send_delayed_ack()` (net/ipv4/tcp_output.c) picks the timer
//!   ([`DelAck::send_delayed_ack`]);
//! * the timer fires: `tcp_delack_timer_handler()` (net/ipv4/tcp_timer.c)
//!   ([`DelAck::delack_timer`]), and the SACK-compression hrtimer
//!   `tcp_compressed_ack_kick()` ([`DelAck::compressed_ack_kick`]);
//! * an ACK goes out: `tcp_event_ack_sent()` ([`DelAck::event_ack_sent`]);
//!   data goes out: `tcp_event_data_sent()`'s ping-pong count;
//! * the application reads: `__tcp_cleanup_rbuf()` (net/ipv4/tcp.c)
//!   ([`DelAck::cleanup_rbuf`]).
//!
//! # Clocks
//!
//! Unlike most of the core, this works in **jiffies** (`tcp_jiffies32`),
//! with the kernel's `HZ` given to [`DelAck::new`]: `ato` is halved and
//! compared with inter-arrival gaps, and the longest delay is "`rto_min`
//! less one jiffy", so milliseconds would round differently from Linux
//! (e.g. the default maximal delay is 196 ms at HZ = 250, 199 ms at
//! HZ = 1000). `ato` never exceeds `TCP_DELACK_MAX`, so it fits the 8-bit
//! field Linux keeps it in. `srtt_us` and `rcv_rtt_us` are in microseconds,
//! scaled by 8 as Linux keeps them.

use super::seq::SeqNum;
use super::tcp_connect::TCP_MAX_QUICKACKS;
use super::tcp_hdr::TcpFlags;
use super::tcp_params::{TCP_MIN_MSS, TCP_MSS_DEFAULT};
use super::tcp_states::{TCP_CLOSE, TCP_LISTEN};

/// `TCP_DELACK_MIN` in jiffies: `HZ / 25` (40 ms), 4 when `HZ < 100`.
pub const fn tcp_delack_min(hz: u32) -> u32 {
    if hz >= 100 {
        hz / 25
    } else {
        4
    }
}

/// `TCP_ATO_MIN` in jiffies (the initial and smallest ACK timeout): as
/// [`tcp_delack_min`].
pub const fn tcp_ato_min(hz: u32) -> u32 {
    tcp_delack_min(hz)
}

/// `TCP_DELACK_MAX` in jiffies: `HZ / 5` (200 ms), the default
/// `icsk_delack_max` and the cap on `ato`.
pub const fn tcp_delack_max_default(hz: u32) -> u32 {
    hz / 5
}

/// `TCP_RTO_MIN` in jiffies: `HZ / 5` (200 ms), the default `icsk_rto_min`.
pub const fn tcp_rto_min(hz: u32) -> u32 {
    hz / 5
}

/// `usecs_to_jiffies(us)`: rounded up (exact for an `HZ` that divides
/// 1 000 000, such as 100, 250 and 1000).
pub const fn usecs_to_jiffies(us: u32, hz: u32) -> u32 {
    (us as u64 * hz as u64).div_ceil(1_000_000) as u32
}
/// `TCP_FASTRETRANS_THRESH`: duplicate ACKs sent at once before SACK
/// compression starts.
pub const TCP_FASTRETRANS_THRESH: u8 = 3;

/// `ICSK_ACK_SCHED`: an ACK is owed.
pub const ICSK_ACK_SCHED: u8 = 1;
/// `ICSK_ACK_TIMER`: the delayed-ACK timer is armed.
pub const ICSK_ACK_TIMER: u8 = 2;
/// `ICSK_ACK_PUSHED`: a small or PSH segment was received.
pub const ICSK_ACK_PUSHED: u8 = 4;
/// `ICSK_ACK_PUSHED2`: a second one.
pub const ICSK_ACK_PUSHED2: u8 = 8;
/// `ICSK_ACK_NOW`: send the next ACK immediately (once).
pub const ICSK_ACK_NOW: u8 = 16;
/// `ICSK_ACK_NOMEM`: the ACK advertises a zero window for lack of memory.
pub const ICSK_ACK_NOMEM: u8 = 32;

/// The sysctls of the ACK engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DelAckSysctls {
    /// `net.ipv4.tcp_pingpong_thresh` (default 1).
    pub pingpong_thresh: u8,
    /// `net.ipv4.tcp_comp_sack_nr` (default 44): most ACKs compressed in a
    /// row (0 disables compression).
    pub comp_sack_nr: u32,
    /// `net.ipv4.tcp_comp_sack_delay_ns` (default 1 ms).
    pub comp_sack_delay_ns: u64,
    /// `net.ipv4.tcp_comp_sack_slack_ns` (default 100 µs).
    pub comp_sack_slack_ns: u64,
    /// `net.ipv4.tcp_backlog_ack_defer` (default 1).
    pub backlog_ack_defer: bool,
}

impl DelAckSysctls {
    /// Linux 6.12 defaults.
    pub const DEFAULT: Self = Self {
        pingpong_thresh: 1,
        comp_sack_nr: 44,
        comp_sack_delay_ns: 1_000_000,
        comp_sack_slack_ns: 100_000,
        backlog_ack_defer: true,
    };
}

impl Default for DelAckSysctls {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Linux `tcp_delack_max(sk)` in jiffies: the longest an ACK may be
/// delayed, `min(icsk_delack_max, max(tcp_rto_min(sk), 2) - 1)`
/// (TCP_BPF_DELACK_MAX and the route's `rto_min` feed the two). With the
/// defaults ([`tcp_delack_max_default`], [`tcp_rto_min`]) it is one jiffy
/// short of 200 ms.
pub const fn tcp_delack_max(icsk_delack_max: u32, rto_min: u32) -> u32 {
    let from_rto_min = if rto_min > 2 { rto_min } else { 2 } - 1;
    if icsk_delack_max < from_rto_min {
        icsk_delack_max
    } else {
        from_rto_min
    }
}

/// The segment facts `tcp_measure_rcv_mss()` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RcvSegInfo {
    /// `skb_shinfo(skb)->gso_size ?: skb->len`: the payload length (the
    /// per-segment size for GRO aggregates).
    pub len: u32,
    /// TCP header length with options (`doff * 4`).
    pub header_len: u32,
    /// The segment's flags (PSH and the `TCP_REMNANT` flags FIN, URG, SYN,
    /// PSH are looked at).
    pub flags: TcpFlags,
}

/// What [`DelAck::ack_snd_check`] reads besides [`DelAck`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckSndCtx {
    /// `tcp_jiffies32`.
    pub now: u32,
    /// `rcv_nxt`.
    pub rcv_nxt: SeqNum,
    /// `rcv_wup`.
    pub rcv_wup: SeqNum,
    /// `copied_seq`.
    pub copied_seq: SeqNum,
    /// `sk_rcvlowat`.
    pub rcvlowat: i32,
    /// `rcv_wnd`.
    pub rcv_wnd: u32,
    /// The out-of-order queue is not empty.
    pub ofo_nonempty: bool,
    /// `tcp_is_sack(tp)`.
    pub sack_ok: bool,
    /// `sock_owned_by_user_nocheck(sk)`: processing from the socket backlog.
    pub owned_by_user: bool,
    /// The SACK-compression hrtimer is queued.
    pub compressed_timer_queued: bool,
    /// `rcv_rtt_est.rtt_us` (<< 3).
    pub rcv_rtt_us: u32,
    /// `srtt_us` (<< 3; 0 = no sample).
    pub srtt_us: u32,
    /// [`tcp_delack_max`] (jiffies).
    pub delack_max: u32,
    /// The sysctls.
    pub sysctls: DelAckSysctls,
}

/// Decision of [`DelAck::ack_snd_check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckSnd {
    /// No ACK owed (data went out with one), or a compressed ACK is already
    /// pending on its hrtimer.
    Nothing,
    /// `tcp_send_ack()` now (then [`DelAck::event_ack_sent`]).
    Now,
    /// Processing from the backlog with `tcp_backlog_ack_defer`: set
    /// `TCP_ACK_DEFERRED`; `tcp_release_cb()` sends the ACK.
    Deferred,
    /// The delayed-ACK timer is (re)armed to fire at this jiffy
    /// ([`DelAck::delack_timer`] then).
    Timer(u32),
    /// SACK compression: start the hrtimer (`compressed_ack_timer`) for
    /// `delay_ns` with `slack_ns` ([`DelAck::compressed_ack_kick`] then).
    CompressTimer {
        /// 5 % of the RTT, at most `tcp_comp_sack_delay_ns`.
        delay_ns: u64,
        /// `tcp_comp_sack_slack_ns`.
        slack_ns: u64,
    },
}

/// Decision of [`DelAck::send_delayed_ack`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DelayedAck {
    /// The armed timer is about to fire anyway: `tcp_send_ack()` now.
    SendNow,
    /// Arm (`sk_reset_timer`) the delayed-ACK timer for this time.
    Timer(u32),
}

/// Decision of [`DelAck::delack_timer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DelackTimer {
    /// Nothing to do.
    Nothing,
    /// Fired early (the timeout moved): re-arm for this time.
    Rearm(u32),
    /// `tcp_send_ack()` (`DelayedACKs`, or the pending compressed ACK).
    SendAck,
}

/// `icsk_ack` (plus `tcp_sock`'s SACK-compression fields): the delayed-ACK
/// state of a connection, and the kernel's `HZ`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DelAck {
    /// The kernel's `HZ` (jiffies per second); fixed.
    pub hz: u32,
    /// `pending`: `ICSK_ACK_*` bits.
    pub pending: u8,
    /// `quick`: ACKs still to send immediately (quick-ACK mode).
    pub quick: u8,
    /// `pingpong`: interactive-session counter.
    pub pingpong: u8,
    /// `retry`.
    pub retry: u8,
    /// `ato`: the current delayed-ACK timeout (jiffies); 0 before any data.
    pub ato: u32,
    /// `timeout`: when the armed timer fires.
    pub timeout: u32,
    /// `lrcvtime`: when data last arrived.
    pub lrcvtime: u32,
    /// `last_seg_size`.
    pub last_seg_size: u16,
    /// `rcv_mss`: the peer's segment size estimate (set by
    /// `tcp_initialize_rcv_mss()`, [`super::tcp_window::initialize_rcv_mss`]).
    pub rcv_mss: u16,
    /// `dst_quick_ack`: the route has `quickack 1` (RTAX_QUICKACK).
    pub dst_quick_ack: bool,
    /// `tp->compressed_ack`: ACKs held back by SACK compression.
    pub compressed_ack: u32,
    /// `tp->compressed_ack_rcv_nxt`.
    pub compressed_ack_rcv_nxt: SeqNum,
    /// `tp->dup_ack_counter`.
    pub dup_ack_counter: u8,
}

impl DelAck {
    /// `inet_csk_delack_init()`: everything 0, for a kernel with `hz`.
    pub const fn new(hz: u32) -> Self {
        Self {
            hz,
            pending: 0,
            quick: 0,
            pingpong: 0,
            retry: 0,
            ato: 0,
            timeout: 0,
            lrcvtime: 0,
            last_seg_size: 0,
            rcv_mss: 0,
            dst_quick_ack: false,
            compressed_ack: 0,
            compressed_ack_rcv_nxt: SeqNum(0),
            dup_ack_counter: 0,
        }
    }

    /// `inet_csk_schedule_ack()`.
    pub fn schedule_ack(&mut self) {
        self.pending |= ICSK_ACK_SCHED;
    }

    /// `inet_csk_ack_scheduled()`.
    pub const fn ack_scheduled(&self) -> bool {
        self.pending & ICSK_ACK_SCHED != 0
    }

    /// `inet_csk_in_pingpong_mode()`.
    pub const fn in_pingpong_mode(&self, thresh: u8) -> bool {
        self.pingpong >= thresh
    }

    /// `inet_csk_enter_pingpong_mode()` (e.g. on the peer's FIN).
    pub fn enter_pingpong_mode(&mut self, thresh: u8) {
        self.pingpong = thresh;
    }

    /// `inet_csk_exit_pingpong_mode()`.
    pub fn exit_pingpong_mode(&mut self) {
        self.pingpong = 0;
    }

    /// `inet_csk_inc_pingpong_cnt()`.
    pub fn inc_pingpong_cnt(&mut self) {
        self.pingpong = self.pingpong.saturating_add(1);
    }

    /// Linux `tcp_incr_quickack(sk, max_quickacks)`: quick-ACK at least
    /// `rcv_wnd / (2 * rcv_mss)` segments (2 if that is 0), at most
    /// `max_quickacks`, never lowering the current count.
    pub fn incr_quickack(&mut self, rcv_wnd: u32, max_quickacks: u32) {
        // rcv_mss is at least TCP_MIN_MSS in Linux; 0 gives 0 here.
        let mut quickacks = rcv_wnd
            .checked_div(2 * u32::from(self.rcv_mss))
            .unwrap_or(0);
        if quickacks == 0 {
            quickacks = 2;
        }
        quickacks = quickacks.min(max_quickacks);
        if quickacks > u32::from(self.quick) {
            self.quick = quickacks as u8;
        }
    }

    /// Linux `tcp_enter_quickack_mode(sk, max_quickacks)`: more quick ACKs,
    /// leave ping-pong mode, `ato = TCP_ATO_MIN`.
    pub fn enter_quickack_mode(&mut self, rcv_wnd: u32, max_quickacks: u32) {
        self.incr_quickack(rcv_wnd, max_quickacks);
        self.exit_pingpong_mode();
        self.ato = tcp_ato_min(self.hz);
    }

    /// Linux `tcp_in_quickack_mode()`: the route asks for it, or quick ACKs
    /// are left and the session is not interactive.
    pub const fn in_quickack_mode(&self, pingpong_thresh: u8) -> bool {
        self.dst_quick_ack || (self.quick != 0 && !self.in_pingpong_mode(pingpong_thresh))
    }

    /// Linux `tcp_dec_quickack_mode()` (an ACK went out): one quick ACK
    /// used if one was owed; when none are left, `ato = TCP_ATO_MIN`.
    pub fn dec_quickack_mode(&mut self) {
        if self.quick != 0 {
            let pkts = u8::from(self.ack_scheduled());
            if pkts >= self.quick {
                self.quick = 0;
                self.ato = tcp_ato_min(self.hz);
            } else {
                self.quick -= pkts;
            }
        }
    }

    /// Linux `tcp_event_ack_sent(sk, rcv_nxt)`: an ACK for `acked` went
    /// out. Pending compressed ACKs are dropped (returns true when the
    /// SACK-compression hrtimer must be cancelled); unless `acked` differs
    /// from `rcv_nxt` (DCTCP's special ACK), a quick ACK is used up and the
    /// delayed-ACK timer cleared (`pending = 0`, `retry = 0`).
    pub fn event_ack_sent(&mut self, acked: SeqNum, rcv_nxt: SeqNum) -> bool {
        let cancel = self.compressed_ack != 0;
        self.compressed_ack = 0;
        if acked != rcv_nxt {
            return cancel;
        }
        self.dec_quickack_mode();
        self.pending = 0;
        self.retry = 0;
        cancel
    }

    /// The ping-pong part of `tcp_event_data_sent()`: data sent within
    /// `ato` of the last received data counts as an interactive reply.
    pub fn event_data_sent(&mut self, now: u32) {
        if now.wrapping_sub(self.lrcvtime) < self.ato {
            self.inc_pingpong_cnt();
        }
    }

    /// Linux `tcp_measure_rcv_mss(sk, skb)`: a segment of at least `rcv_mss`
    /// sets `rcv_mss` to `min(len, advmss)` (and `ICSK_ACK_PUSHED` with
    /// PSH); a smaller one that still looks full-sized (header included: at
    /// least 556 bytes, or 108 without FIN/URG/SYN/PSH) counts, less
    /// `tcp_header_len`, as the new `rcv_mss` when two in a row agree;
    /// otherwise it marks `ICSK_ACK_PUSHED` (a second one `PUSHED2`).
    ///
    /// The `scaling_ratio` refresh Linux does when `rcv_mss` changes
    /// (from `skb->truesize`) is not modelled.
    pub fn measure_rcv_mss(&mut self, seg: &RcvSegInfo, advmss: u16, tcp_header_len: u32) {
        let lss = self.last_seg_size;
        self.last_seg_size = 0;
        let len = seg.len;
        if len >= u32::from(self.rcv_mss) {
            self.rcv_mss = len.min(u32::from(advmss)) as u16;
            if seg.flags.contains(TcpFlags::PSH) {
                self.pending |= ICSK_ACK_PUSHED;
            }
            return;
        }
        let len = len.wrapping_add(seg.header_len);
        let remnant = TcpFlags::FIN | TcpFlags::URG | TcpFlags::SYN | TcpFlags::PSH;
        if len >= u32::from(TCP_MSS_DEFAULT) + 20
            || (len >= TCP_MIN_MSS + 20 && !seg.flags.intersects(remnant))
        {
            let len = len.wrapping_sub(tcp_header_len);
            self.last_seg_size = len as u16;
            if len == u32::from(lss) {
                self.rcv_mss = len as u16;
                return;
            }
        }
        if self.pending & ICSK_ACK_PUSHED != 0 {
            self.pending |= ICSK_ACK_PUSHED2;
        }
        self.pending |= ICSK_ACK_PUSHED;
    }

    /// Linux `tcp_event_data_recv(sk, skb)` for a segment with payload,
    /// queued in order: schedule an ACK, [`DelAck::measure_rcv_mss`], then
    /// adapt `ato` to the gap `m` since the previous data: the first data
    /// starts quick-ACK mode (`TCP_MAX_QUICKACKS`) with `ato =
    /// TCP_ATO_MIN`; `m <= TCP_ATO_MIN / 2` → `ato = ato / 2 + TCP_ATO_MIN
    /// / 2`; `m < ato` → `min(ato / 2 + m, rto, TCP_DELACK_MAX)`; `m > rto`
    /// ("sender failed to restart window") → more quick ACKs.
    ///
    /// RTT measurement, ECN and window growth that Linux also does here are
    /// the caller's.
    pub fn event_data_recv(
        &mut self,
        seg: &RcvSegInfo,
        now: u32,
        rto: u32,
        rcv_wnd: u32,
        advmss: u16,
        tcp_header_len: u32,
    ) {
        let ato_min = tcp_ato_min(self.hz);
        self.schedule_ack();
        self.measure_rcv_mss(seg, advmss, tcp_header_len);
        if self.ato == 0 {
            // "The _first_ data packet received, initialize delayed ACK
            // engine."
            self.incr_quickack(rcv_wnd, TCP_MAX_QUICKACKS);
            self.ato = ato_min;
        } else {
            let m = now.wrapping_sub(self.lrcvtime) as i32;
            if i64::from(m) <= i64::from(ato_min / 2) {
                // "The fastest case is the first."
                self.ato = (self.ato >> 1) + ato_min / 2;
            } else if i64::from(m) < i64::from(self.ato) {
                self.ato = ((self.ato >> 1).wrapping_add(m as u32))
                    .min(rto)
                    .min(tcp_delack_max_default(self.hz));
            } else if (m as u32) > rto {
                // "Too long gap. Apparently sender failed to restart
                // window, so that we send ACKs quickly."
                self.incr_quickack(rcv_wnd, TCP_MAX_QUICKACKS);
            }
        }
        self.lrcvtime = now;
    }

    /// Linux `tcp_ack_snd_check()` (`ofo_possible`) and
    /// `__tcp_ack_snd_check(sk, ofo_possible)`, run after a segment was
    /// processed. `select_window` computes `__tcp_select_window(sk)` (see
    /// [`super::tcp_window::raw_select_window`]); it is called only when
    /// Linux would.
    ///
    /// No ACK owed → [`AckSnd::Nothing`]. ACK now when more than one
    /// `rcv_mss` arrived since the last window update and either fewer than
    /// SO_RCVLOWAT bytes are unread or the window would not shrink; or in
    /// quick-ACK mode; or `ICSK_ACK_NOW` (from the backlog with
    /// `tcp_backlog_ack_defer`: [`AckSnd::Deferred`]). Otherwise, without
    /// out-of-order data, a delayed ACK ([`DelAck::send_delayed_ack`]).
    /// With it: no SACK or `tcp_comp_sack_nr` reached → now; the first
    /// [`TCP_FASTRETRANS_THRESH`] duplicate ACKs for one `rcv_nxt` → now;
    /// then compressed, the hrtimer for 5 % of the (receive or smoothed,
    /// whichever is lower) RTT, at most `tcp_comp_sack_delay_ns`.
    pub fn ack_snd_check(
        &mut self,
        ctx: &AckSndCtx,
        ofo_possible: bool,
        select_window: impl FnOnce() -> u32,
    ) -> AckSnd {
        if !self.ack_scheduled() {
            // "We sent a data segment already."
            return AckSnd::Nothing;
        }
        let s = &ctx.sysctls;
        let rcv_mss = u32::from(self.rcv_mss);
        let full_frame = ctx.rcv_nxt.0.wrapping_sub(ctx.rcv_wup.0) > rcv_mss
            && (ctx.rcv_nxt.0.wrapping_sub(ctx.copied_seq.0) < ctx.rcvlowat as u32
                || select_window() >= ctx.rcv_wnd);
        if full_frame
            || self.in_quickack_mode(s.pingpong_thresh)
            || self.pending & ICSK_ACK_NOW != 0
        {
            if ctx.owned_by_user && s.backlog_ack_defer {
                return AckSnd::Deferred;
            }
            return AckSnd::Now;
        }
        if !ofo_possible || !ctx.ofo_nonempty {
            return match self.send_delayed_ack(
                ctx.now,
                ctx.srtt_us,
                ctx.delack_max,
                s.pingpong_thresh,
            ) {
                DelayedAck::SendNow => AckSnd::Now,
                DelayedAck::Timer(t) => AckSnd::Timer(t),
            };
        }
        if !ctx.sack_ok || self.compressed_ack >= s.comp_sack_nr {
            return AckSnd::Now;
        }
        if self.compressed_ack_rcv_nxt != ctx.rcv_nxt {
            self.compressed_ack_rcv_nxt = ctx.rcv_nxt;
            self.dup_ack_counter = 0;
        }
        if self.dup_ack_counter < TCP_FASTRETRANS_THRESH {
            self.dup_ack_counter += 1;
            return AckSnd::Now;
        }
        self.compressed_ack = self.compressed_ack.saturating_add(1);
        if ctx.compressed_timer_queued {
            return AckSnd::Nothing;
        }
        // "compress ack timer : 5 % of rtt, but no more than
        // tcp_comp_sack_delay_ns"
        let mut rtt = ctx.rcv_rtt_us;
        if ctx.srtt_us != 0 && ctx.srtt_us < rtt {
            rtt = ctx.srtt_us;
        }
        let delay_ns = s.comp_sack_delay_ns.min(u64::from(rtt) * (1000 >> 3) / 20);
        AckSnd::CompressTimer {
            delay_ns,
            slack_ns: s.comp_sack_slack_ns,
        }
    }

    /// Linux `tcp_send_delayed_ack(sk)`: `ato`, when above
    /// `TCP_DELACK_MIN`, is capped at `HZ / 2` (`TCP_DELACK_MAX` when
    /// interactive or after a pushed segment) and at the smoothed RTT (at
    /// least `TCP_DELACK_MIN`); then always at `delack_max`
    /// ([`tcp_delack_max`]).
    /// An armed timer due within `ato / 4` makes the ACK go now; an earlier
    /// armed timeout is kept.
    pub fn send_delayed_ack(
        &mut self,
        now: u32,
        srtt_us: u32,
        delack_max: u32,
        pingpong_thresh: u8,
    ) -> DelayedAck {
        let delack_min = tcp_delack_min(self.hz);
        let mut ato = self.ato;
        if ato > delack_min {
            let mut max_ato = self.hz / 2;
            if self.in_pingpong_mode(pingpong_thresh) || self.pending & ICSK_ACK_PUSHED != 0 {
                max_ato = tcp_delack_max_default(self.hz);
            }
            // "Slow path, intersegment interval is "high"."
            if srtt_us != 0 {
                let rtt = usecs_to_jiffies(srtt_us >> 3, self.hz).max(delack_min);
                if rtt < max_ato {
                    max_ato = rtt;
                }
            }
            ato = ato.min(max_ato);
        }
        ato = ato.min(delack_max);
        let mut timeout = now.wrapping_add(ato);
        if self.pending & ICSK_ACK_TIMER != 0 {
            // "If delack timer is about to expire, send ACK now."
            // time_before_eq(icsk_ack.timeout, jiffies + (ato >> 2))
            if (now.wrapping_add(ato >> 2).wrapping_sub(self.timeout) as i32) >= 0 {
                return DelayedAck::SendNow;
            }
            // !time_before(timeout, icsk_ack.timeout)
            if (timeout.wrapping_sub(self.timeout) as i32) >= 0 {
                timeout = self.timeout;
            }
        }
        self.pending |= ICSK_ACK_SCHED | ICSK_ACK_TIMER;
        self.timeout = timeout;
        DelayedAck::Timer(timeout)
    }

    /// Linux `tcp_delack_timer_handler(sk)` at `now`: nothing in CLOSE or
    /// LISTEN; a compressed ACK pending → send it
    /// ([`DelAck::sack_compress_send_ack`]); no timer armed → nothing; fired
    /// before `timeout` → re-arm; else the timer is done and, if an ACK is
    /// owed, it goes out ("Delayed ACK missed"): `ato` doubles (at most
    /// `rto` and `TCP_DELACK_MAX`), or an interactive session leaves
    /// ping-pong mode with `ato = TCP_ATO_MIN`.
    pub fn delack_timer(
        &mut self,
        now: u32,
        state: u8,
        rto: u32,
        pingpong_thresh: u8,
    ) -> DelackTimer {
        if state == TCP_CLOSE || state == TCP_LISTEN {
            return DelackTimer::Nothing;
        }
        if self.sack_compress_send_ack() {
            return DelackTimer::SendAck;
        }
        if self.pending & ICSK_ACK_TIMER == 0 {
            return DelackTimer::Nothing;
        }
        // time_after(icsk_ack.timeout, jiffies)
        if (now.wrapping_sub(self.timeout) as i32) < 0 {
            return DelackTimer::Rearm(self.timeout);
        }
        self.pending &= !ICSK_ACK_TIMER;
        if self.ack_scheduled() {
            if !self.in_pingpong_mode(pingpong_thresh) {
                // "Delayed ACK missed: inflate ATO."
                self.ato = (self.ato << 1)
                    .min(rto)
                    .min(tcp_delack_max_default(self.hz));
            } else {
                // "Delayed ACK missed: leave pingpong mode and deflate ATO."
                self.exit_pingpong_mode();
                self.ato = tcp_ato_min(self.hz);
            }
            return DelackTimer::SendAck;
        }
        DelackTimer::Nothing
    }

    /// Linux `tcp_sack_compress_send_ack()`: if ACKs are being compressed,
    /// cancel the hrtimer and send one now (true).
    pub fn sack_compress_send_ack(&mut self) -> bool {
        if self.compressed_ack == 0 {
            return false;
        }
        self.compressed_ack = 0;
        true
    }

    /// Linux `tcp_compressed_ack_kick()` (socket not owned by the user):
    /// the SACK-compression hrtimer fired; send the held-back ACK (true)
    /// if there is one.
    pub fn compressed_ack_kick(&mut self) -> bool {
        if self.compressed_ack == 0 {
            return false;
        }
        self.compressed_ack -= 1;
        true
    }

    /// Linux `__tcp_cleanup_rbuf(sk, copied)` after the application read
    /// `copied` bytes: true when an ACK should go now. With an ACK owed:
    /// more than one `rcv_mss` arrived since the last window update, or the
    /// read emptied the receive memory (`rmem_alloc == 0`) after a pushed
    /// segment (`PUSHED2`, or `PUSHED` outside ping-pong mode). Otherwise,
    /// when reading and not shut down for reading, and the window left is at
    /// most half the clamp: `select_window` (`__tcp_select_window()`) is
    /// non-zero and at least twice the window left.
    #[allow(clippy::too_many_arguments)]
    pub fn cleanup_rbuf(
        &self,
        copied: i32,
        rcv_nxt: SeqNum,
        rcv_wup: SeqNum,
        rcv_window_now: u32,
        window_clamp: u32,
        rmem_alloc: i32,
        rcv_shutdown: bool,
        pingpong_thresh: u8,
        select_window: impl FnOnce() -> u32,
    ) -> bool {
        let mut time_to_ack = false;
        if self.ack_scheduled() {
            let pushed = self.pending & ICSK_ACK_PUSHED2 != 0
                || (self.pending & ICSK_ACK_PUSHED != 0 && !self.in_pingpong_mode(pingpong_thresh));
            if rcv_nxt.0.wrapping_sub(rcv_wup.0) > u32::from(self.rcv_mss)
                || (copied > 0 && pushed && rmem_alloc == 0)
            {
                time_to_ack = true;
            }
        }
        if copied > 0
            && !time_to_ack
            && !rcv_shutdown
            && rcv_window_now.wrapping_mul(2) <= window_clamp
        {
            let new_window = select_window();
            if new_window != 0 && new_window >= rcv_window_now.wrapping_mul(2) {
                time_to_ack = true;
            }
        }
        time_to_ack
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TS: u32 = 32; // tcp_header_len with timestamps

    /// HZ = 1000: jiffies are milliseconds.
    fn fresh() -> DelAck {
        DelAck {
            rcv_mss: 536,
            ..DelAck::new(1000)
        }
    }

    fn data(len: u32, flags: TcpFlags) -> RcvSegInfo {
        RcvSegInfo {
            len,
            header_len: TS,
            flags,
        }
    }

    fn snd_ctx(now: u32) -> AckSndCtx {
        AckSndCtx {
            now,
            rcv_nxt: SeqNum(1000),
            rcv_wup: SeqNum(1000),
            copied_seq: SeqNum(1000),
            rcvlowat: 1,
            rcv_wnd: 65_535,
            ofo_nonempty: false,
            sack_ok: true,
            owned_by_user: false,
            compressed_timer_queued: false,
            rcv_rtt_us: 0,
            srtt_us: 0,
            delack_max: tcp_delack_max(tcp_delack_max_default(1000), tcp_rto_min(1000)),
            sysctls: DelAckSysctls::DEFAULT,
        }
    }

    #[test]
    fn hz_constants() {
        assert_eq!((tcp_delack_min(1000), tcp_ato_min(1000)), (40, 40));
        assert_eq!((tcp_delack_min(250), tcp_delack_max_default(250)), (10, 50));
        assert_eq!((tcp_delack_min(100), tcp_rto_min(100)), (4, 20));
        assert_eq!(tcp_delack_min(64), 4);
        assert_eq!(usecs_to_jiffies(4_001, 250), 2);
        assert_eq!(usecs_to_jiffies(4_000, 250), 1);
        assert_eq!(usecs_to_jiffies(0, 250), 0);
        assert_eq!(usecs_to_jiffies(1, 1000), 1);
        // The default maximal delay: one jiffy short of 200 ms.
        assert_eq!(
            tcp_delack_max(tcp_delack_max_default(1000), tcp_rto_min(1000)),
            199
        );
        assert_eq!(
            tcp_delack_max(tcp_delack_max_default(250), tcp_rto_min(250)),
            49
        );
        assert_eq!(tcp_delack_max(200, 200), 199);
        assert_eq!(tcp_delack_max(50, 200), 50);
        assert_eq!(tcp_delack_max(200, 0), 1);
        assert_eq!(tcp_delack_max(200, 1000), 200);
    }

    #[test]
    fn quickack_counts() {
        let mut d = fresh();
        // 65535 / 1072 = 61, capped at 16.
        d.incr_quickack(65_535, TCP_MAX_QUICKACKS);
        assert_eq!(d.quick, 16);
        // Never lowered.
        d.incr_quickack(1000, TCP_MAX_QUICKACKS);
        assert_eq!(d.quick, 16);
        let mut d = fresh();
        d.incr_quickack(3000, TCP_MAX_QUICKACKS);
        assert_eq!(d.quick, 2);
        let mut d = fresh();
        d.incr_quickack(100, TCP_MAX_QUICKACKS);
        assert_eq!(d.quick, 2);
        d.incr_quickack(100, 1);
        assert_eq!(d.quick, 2);
        let mut d = fresh();
        d.incr_quickack(100, 1);
        assert_eq!(d.quick, 1);
        // rcv_mss 0 does not divide by zero.
        let mut d = DelAck::new(1000);
        d.incr_quickack(65_535, 16);
        assert_eq!(d.quick, 2);
        // enter_quickack_mode also resets pingpong and ato.
        let mut d = fresh();
        d.pingpong = 3;
        d.ato = 150;
        d.enter_quickack_mode(65_535, TCP_MAX_QUICKACKS);
        assert_eq!((d.quick, d.pingpong, d.ato), (16, 0, 40));
        // Sending ACKs uses them up, the last one deflates ato.
        d.schedule_ack();
        d.ato = 100;
        for left in (0..16u8).rev() {
            d.schedule_ack();
            d.dec_quickack_mode();
            assert_eq!(d.quick, left);
        }
        assert_eq!(d.ato, 40);
        // Without an ACK owed nothing is used.
        let mut d = fresh();
        d.quick = 3;
        d.dec_quickack_mode();
        assert_eq!(d.quick, 3);
    }

    #[test]
    fn measure_rcv_mss_full_and_small() {
        let mut d = fresh();
        d.measure_rcv_mss(&data(1448, TcpFlags::ACK), 1448, TS);
        assert_eq!(d.rcv_mss, 1448);
        assert_eq!(d.pending, 0);
        // PSH on a full segment marks PUSHED.
        d.measure_rcv_mss(&data(1448, TcpFlags::ACK | TcpFlags::PSH), 1448, TS);
        assert_eq!(d.pending, ICSK_ACK_PUSHED);
        // Capped at advmss.
        let mut d = fresh();
        d.measure_rcv_mss(&data(9000, TcpFlags::ACK), 1448, TS);
        assert_eq!(d.rcv_mss, 1448);
        // Small segments: PUSHED, then PUSHED2.
        let mut d = fresh();
        d.rcv_mss = 1448;
        d.measure_rcv_mss(&data(10, TcpFlags::ACK | TcpFlags::PSH), 1448, TS);
        assert_eq!(d.pending, ICSK_ACK_PUSHED);
        d.measure_rcv_mss(&data(10, TcpFlags::ACK | TcpFlags::PSH), 1448, TS);
        assert_eq!(d.pending, ICSK_ACK_PUSHED | ICSK_ACK_PUSHED2);
        // Two equal "full-looking" smaller segments (path MSS shrank):
        // 1000 + 32 >= 556: len 1000 recorded, the second one sets rcv_mss.
        let mut d = fresh();
        d.rcv_mss = 1448;
        d.measure_rcv_mss(&data(1000, TcpFlags::ACK), 1448, TS);
        assert_eq!((d.last_seg_size, d.rcv_mss), (1000, 1448));
        assert_eq!(d.pending, ICSK_ACK_PUSHED);
        d.pending = 0;
        d.measure_rcv_mss(&data(1000, TcpFlags::ACK), 1448, TS);
        assert_eq!((d.rcv_mss, d.pending), (1000, 0));
        // 100 bytes + 32 without PSH is >= 88 + 20: counts; with PSH not.
        let mut d = fresh();
        d.measure_rcv_mss(&data(100, TcpFlags::ACK), 1448, TS);
        assert_eq!(d.last_seg_size, 100);
        d.measure_rcv_mss(&data(100, TcpFlags::ACK | TcpFlags::PSH), 1448, TS);
        assert_eq!((d.last_seg_size, d.rcv_mss), (0, 536));
    }

    #[test]
    fn ato_adapts_to_arrivals() {
        let mut d = fresh();
        let seg = data(100, TcpFlags::ACK | TcpFlags::PSH);
        // First data: quick-ACK mode, ato 40.
        d.event_data_recv(&seg, 1000, 200, 65_535, 1448, TS);
        assert!(d.ack_scheduled());
        assert_eq!((d.ato, d.quick, d.lrcvtime), (40, 16, 1000));
        // 10 ms later (<= 20): ato/2 + 20.
        d.event_data_recv(&seg, 1010, 200, 65_535, 1448, TS);
        assert_eq!(d.ato, 40);
        // 30 ms later (< ato 40): min(20 + 30, rto, 200) = 50.
        d.event_data_recv(&seg, 1040, 200, 65_535, 1448, TS);
        assert_eq!(d.ato, 50);
        // rto caps it.
        d.ato = 180;
        d.event_data_recv(&seg, 1040 + 150, 120, 65_535, 1448, TS);
        assert_eq!(d.ato, 120);
        // DELACK_MAX caps it.
        d.ato = 250;
        d.event_data_recv(&seg, 1190 + 240, 1000, 65_535, 1448, TS);
        assert_eq!(d.ato, 200);
        // A gap longer than the RTO: more quick ACKs.
        d.quick = 0;
        d.event_data_recv(&seg, 1430 + 5000, 200, 65_535, 1448, TS);
        assert_eq!(d.quick, 16);
        assert_eq!(d.ato, 200);
        // Between ato and rto: nothing changes.
        d.quick = 0;
        d.ato = 40;
        d.event_data_recv(&seg, 6430 + 100, 200, 65_535, 1448, TS);
        assert_eq!((d.ato, d.quick, d.lrcvtime), (40, 0, 6530));
    }

    #[test]
    fn ack_now_rules() {
        // Nothing owed.
        let mut d = fresh();
        assert_eq!(d.ack_snd_check(&snd_ctx(0), true, || 0), AckSnd::Nothing);
        // Quick-ACK mode.
        let mut d = fresh();
        d.schedule_ack();
        d.quick = 2;
        assert_eq!(d.ack_snd_check(&snd_ctx(0), true, || 0), AckSnd::Now);
        // ...not while interactive.
        d.pingpong = 1;
        d.ato = 40;
        assert_eq!(d.ack_snd_check(&snd_ctx(0), true, || 0), AckSnd::Timer(40));
        // ICSK_ACK_NOW.
        let mut d = fresh();
        d.schedule_ack();
        d.pending |= ICSK_ACK_NOW;
        assert_eq!(d.ack_snd_check(&snd_ctx(0), true, || 0), AckSnd::Now);
        // From the backlog: deferred.
        let mut c = snd_ctx(0);
        c.owned_by_user = true;
        assert_eq!(d.ack_snd_check(&c, true, || 0), AckSnd::Deferred);
        c.sysctls.backlog_ack_defer = false;
        assert_eq!(d.ack_snd_check(&c, true, || 0), AckSnd::Now);
        // Two segments' worth unacknowledged, window not shrinking: now.
        let mut d = fresh();
        d.schedule_ack();
        d.ato = 40;
        let mut c = snd_ctx(0);
        c.rcv_nxt = SeqNum(1000 + 537);
        assert_eq!(d.ack_snd_check(&c, true, || 65_535), AckSnd::Now);
        // The window would shrink (the bytes are unread): delay.
        assert_eq!(d.ack_snd_check(&c, true, || 65_000), AckSnd::Timer(40));
        // ...unless fewer than SO_RCVLOWAT bytes are waiting (here none:
        // the application read them all).
        c.copied_seq = c.rcv_nxt;
        assert_eq!(d.ack_snd_check(&c, true, || panic!()), AckSnd::Now);
        c.copied_seq = SeqNum(1000);
        c.rcvlowat = 600;
        assert_eq!(d.ack_snd_check(&c, true, || panic!()), AckSnd::Now);
        // Exactly one rcv_mss is not "more than one full frame".
        let mut d = fresh();
        d.schedule_ack();
        d.ato = 40;
        let mut c = snd_ctx(0);
        c.rcv_nxt = SeqNum(1000 + 536);
        assert_eq!(d.ack_snd_check(&c, true, || panic!()), AckSnd::Timer(40));
    }

    #[test]
    fn delayed_ack_timer_choice() {
        let dmax = tcp_delack_max(200, 200);
        // ato 40 (not above DELACK_MIN): 40 ms.
        let mut d = fresh();
        d.ato = 40;
        assert_eq!(
            d.send_delayed_ack(1000, 0, dmax, 1),
            DelayedAck::Timer(1040)
        );
        assert_eq!(d.pending, ICSK_ACK_SCHED | ICSK_ACK_TIMER);
        // ato 200, bulk: capped by delack_max 199.
        let mut d = fresh();
        d.ato = 200;
        assert_eq!(
            d.send_delayed_ack(1000, 0, dmax, 1),
            DelayedAck::Timer(1199)
        );
        // ...and by the RTT (srtt 60.5 ms << 3, rounded up to 61).
        let mut d = fresh();
        d.ato = 200;
        assert_eq!(
            d.send_delayed_ack(1000, 60_500 << 3, dmax, 1),
            DelayedAck::Timer(1061)
        );
        // ...and by 200 ms once a pushed segment was seen (else 500).
        let mut d = fresh();
        d.ato = 200;
        d.pending = ICSK_ACK_PUSHED;
        assert_eq!(
            d.send_delayed_ack(1000, 0, 1000, 1),
            DelayedAck::Timer(1200)
        );
        let mut d = fresh();
        d.ato = 255;
        assert_eq!(
            d.send_delayed_ack(1000, 0, 1000, 1),
            DelayedAck::Timer(1255)
        );
        // ...but not below DELACK_MIN (srtt 100 µs).
        let mut d = fresh();
        d.ato = 200;
        assert_eq!(
            d.send_delayed_ack(1000, 100 << 3, dmax, 1),
            DelayedAck::Timer(1040)
        );
        // An earlier armed timeout is kept.
        let mut d = fresh();
        d.ato = 100;
        assert_eq!(
            d.send_delayed_ack(1000, 0, dmax, 1),
            DelayedAck::Timer(1100)
        );
        assert_eq!(
            d.send_delayed_ack(1050, 0, dmax, 1),
            DelayedAck::Timer(1100)
        );
        // Due within ato/4: send now.
        assert_eq!(d.send_delayed_ack(1075, 0, dmax, 1), DelayedAck::SendNow);
        // A later armed timeout is pulled in.
        let mut d = fresh();
        d.ato = 100;
        d.pending = ICSK_ACK_TIMER;
        d.timeout = 5000;
        assert_eq!(
            d.send_delayed_ack(1000, 0, dmax, 1),
            DelayedAck::Timer(1100)
        );
    }

    #[test]
    fn delack_timer_fires() {
        let mut d = fresh();
        d.ato = 60;
        d.schedule_ack();
        assert_eq!(d.send_delayed_ack(1000, 0, 199, 1), DelayedAck::Timer(1060));
        // Early: re-arm.
        assert_eq!(d.delack_timer(1059, 1, 200, 1), DelackTimer::Rearm(1060));
        // Due: send, ato doubles.
        assert_eq!(d.delack_timer(1060, 1, 200, 1), DelackTimer::SendAck);
        assert_eq!(d.ato, 120);
        assert_eq!(d.pending & ICSK_ACK_TIMER, 0);
        // Timer not armed any more.
        assert_eq!(d.delack_timer(2000, 1, 200, 1), DelackTimer::Nothing);
        // Doubling is capped by rto and DELACK_MAX.
        let mut d = fresh();
        d.ato = 120;
        d.schedule_ack();
        let _ = d.send_delayed_ack(0, 0, 199, 1);
        assert_eq!(d.delack_timer(500, 1, 220, 1), DelackTimer::SendAck);
        assert_eq!(d.ato, 200);
        // Interactive: leave ping-pong mode, ato back to 40.
        let mut d = fresh();
        d.ato = 120;
        d.pingpong = 1;
        d.schedule_ack();
        let _ = d.send_delayed_ack(0, 0, 199, 1);
        assert_eq!(d.delack_timer(500, 1, 220, 1), DelackTimer::SendAck);
        assert_eq!((d.ato, d.pingpong), (40, 0));
        // ACK already sent (pending cleared by event_ack_sent): nothing.
        let mut d = fresh();
        d.ato = 40;
        d.schedule_ack();
        let _ = d.send_delayed_ack(0, 0, 199, 1);
        assert!(!d.event_ack_sent(SeqNum(5), SeqNum(5)));
        assert_eq!(d.delack_timer(500, 1, 200, 1), DelackTimer::Nothing);
        // CLOSE/LISTEN: nothing.
        let mut d = fresh();
        d.pending = ICSK_ACK_TIMER | ICSK_ACK_SCHED;
        assert_eq!(d.delack_timer(500, TCP_CLOSE, 200, 1), DelackTimer::Nothing);
        assert_eq!(
            d.delack_timer(500, TCP_LISTEN, 200, 1),
            DelackTimer::Nothing
        );
    }

    #[test]
    fn sack_compression() {
        let mut d = fresh();
        d.ato = 40;
        let mut c = snd_ctx(0);
        c.ofo_nonempty = true;
        c.rcv_rtt_us = 8 * 10_000; // 10 ms
                                   // The first three duplicate ACKs for one rcv_nxt go at once.
        for _ in 0..3 {
            d.schedule_ack();
            assert_eq!(d.ack_snd_check(&c, true, || 0), AckSnd::Now);
        }
        // Then compressed: 5 % of 10 ms = 500 µs.
        d.schedule_ack();
        assert_eq!(
            d.ack_snd_check(&c, true, || 0),
            AckSnd::CompressTimer {
                delay_ns: 500_000,
                slack_ns: 100_000
            }
        );
        assert_eq!(d.compressed_ack, 1);
        c.compressed_timer_queued = true;
        assert_eq!(d.ack_snd_check(&c, true, || 0), AckSnd::Nothing);
        assert_eq!(d.compressed_ack, 2);
        // The hrtimer fires: one ACK, counted down.
        assert!(d.compressed_ack_kick());
        assert_eq!(d.compressed_ack, 1);
        // A long RTT is capped at 1 ms; a smaller srtt wins.
        let mut c2 = c;
        c2.compressed_timer_queued = false;
        c2.rcv_rtt_us = 8 * 1_000_000;
        assert_eq!(
            d.ack_snd_check(&c2, true, || 0),
            AckSnd::CompressTimer {
                delay_ns: 1_000_000,
                slack_ns: 100_000
            }
        );
        c2.srtt_us = 8 * 2_000;
        assert_eq!(
            d.ack_snd_check(&c2, true, || 0),
            AckSnd::CompressTimer {
                delay_ns: 100_000,
                slack_ns: 100_000
            }
        );
        // Sending an ACK clears the compression (and asks to cancel).
        assert!(d.event_ack_sent(SeqNum(1000), SeqNum(1000)));
        assert_eq!(d.compressed_ack, 0);
        // rcv_nxt moved: the duplicate count restarts.
        let mut c3 = c2;
        c3.rcv_nxt = SeqNum(2000);
        c3.rcv_wup = SeqNum(2000);
        c3.copied_seq = SeqNum(2000);
        d.schedule_ack();
        assert_eq!(d.ack_snd_check(&c3, true, || 0), AckSnd::Now);
        assert_eq!(d.dup_ack_counter, 1);
        // Without SACK, or with tcp_comp_sack_nr reached, or ofo_possible
        // false: not compressed.
        let mut d = fresh();
        d.ato = 40;
        d.schedule_ack();
        d.dup_ack_counter = 3;
        d.compressed_ack_rcv_nxt = SeqNum(1000);
        let mut c4 = c;
        c4.sack_ok = false;
        assert_eq!(d.ack_snd_check(&c4, true, || 0), AckSnd::Now);
        c4.sack_ok = true;
        c4.sysctls.comp_sack_nr = 0;
        assert_eq!(d.ack_snd_check(&c4, true, || 0), AckSnd::Now);
        assert_eq!(d.ack_snd_check(&c, false, || 0), AckSnd::Timer(40));
        // A compressed ACK makes the delack timer send it.
        let mut d = fresh();
        d.compressed_ack = 4;
        assert_eq!(d.delack_timer(0, 1, 200, 1), DelackTimer::SendAck);
        assert_eq!(d.compressed_ack, 0);
        assert!(!d.sack_compress_send_ack());
        assert!(!d.compressed_ack_kick());
    }

    #[test]
    fn pingpong_and_ack_sent() {
        let mut d = fresh();
        d.ato = 40;
        d.lrcvtime = 1000;
        d.event_data_sent(1039);
        assert_eq!(d.pingpong, 1);
        assert!(d.in_pingpong_mode(1));
        d.event_data_sent(1040);
        assert_eq!(d.pingpong, 1);
        d.pingpong = 255;
        d.inc_pingpong_cnt();
        assert_eq!(d.pingpong, 255);
        d.enter_pingpong_mode(1);
        assert_eq!(d.pingpong, 1);
        // A DCTCP-style ACK for another rcv_nxt leaves the timer alone.
        let mut d = fresh();
        d.schedule_ack();
        d.pending |= ICSK_ACK_TIMER;
        d.quick = 2;
        assert!(!d.event_ack_sent(SeqNum(1), SeqNum(2)));
        assert_eq!((d.pending, d.quick), (ICSK_ACK_SCHED | ICSK_ACK_TIMER, 2));
        assert!(!d.event_ack_sent(SeqNum(2), SeqNum(2)));
        assert_eq!((d.pending, d.quick), (0, 1));
        // Route quickack.
        let mut d = fresh();
        d.dst_quick_ack = true;
        d.pingpong = 5;
        assert!(d.in_quickack_mode(1));
    }

    #[test]
    fn ack_after_read() {
        let mut d = fresh();
        d.schedule_ack();
        let (nxt, wup) = (SeqNum(2000), SeqNum(1000));
        // More than one rcv_mss unacknowledged.
        assert!(d.cleanup_rbuf(100, nxt, wup, 60_000, 65_535, 500, false, 1, || 0));
        // Small pushed segment, buffer drained, not interactive.
        let wup = SeqNum(1900);
        d.pending |= ICSK_ACK_PUSHED;
        assert!(d.cleanup_rbuf(100, nxt, wup, 60_000, 65_535, 0, false, 1, || 0));
        assert!(!d.cleanup_rbuf(100, nxt, wup, 60_000, 65_535, 10, false, 1, || 0));
        d.pingpong = 1;
        assert!(!d.cleanup_rbuf(100, nxt, wup, 60_000, 65_535, 0, false, 1, || 0));
        d.pending |= ICSK_ACK_PUSHED2;
        assert!(d.cleanup_rbuf(100, nxt, wup, 60_000, 65_535, 0, false, 1, || 0));
        // Window update: the window left is at most half the clamp and the
        // new one at least twice it.
        let d = fresh();
        assert!(d.cleanup_rbuf(100, nxt, wup, 20_000, 65_535, 0, false, 1, || 40_000));
        assert!(!d.cleanup_rbuf(100, nxt, wup, 20_000, 65_535, 0, false, 1, || 39_999));
        assert!(!d.cleanup_rbuf(100, nxt, wup, 40_000, 65_535, 0, false, 1, || panic!()));
        assert!(!d.cleanup_rbuf(100, nxt, wup, 20_000, 65_535, 0, true, 1, || panic!()));
        assert!(!d.cleanup_rbuf(0, nxt, wup, 20_000, 65_535, 0, false, 1, || panic!()));
        // A zero window reopening: 0 left, any new window counts.
        assert!(d.cleanup_rbuf(1, nxt, wup, 0, 65_535, 0, false, 1, || 1));
        assert!(!d.cleanup_rbuf(1, nxt, wup, 0, 65_535, 0, false, 1, || 0));
    }

    #[test]
    fn hz_250_arithmetic() {
        // 4 ms jiffies: ATO_MIN 10, DELACK_MAX 50, HZ/2 125.
        let mut d = DelAck {
            rcv_mss: 536,
            ..DelAck::new(250)
        };
        let seg = data(100, TcpFlags::ACK);
        d.event_data_recv(&seg, 100, 50, 65_535, 1448, TS);
        assert_eq!(d.ato, 10);
        // 5 jiffies later (<= ATO_MIN / 2): 10/2 + 5 = 10.
        d.event_data_recv(&seg, 105, 50, 65_535, 1448, TS);
        assert_eq!(d.ato, 10);
        // Odd values halve as Linux's do: ato 11, gap 8 -> 5 + 8 = 13.
        d.ato = 11;
        d.event_data_recv(&seg, 113, 50, 65_535, 1448, TS);
        assert_eq!(d.ato, 13);
        // The delayed ACK of a bulk transfer waits 49 jiffies (196 ms).
        let dmax = tcp_delack_max(tcp_delack_max_default(250), tcp_rto_min(250));
        d.ato = 50;
        d.pending = ICSK_ACK_SCHED;
        assert_eq!(
            d.send_delayed_ack(1000, 0, dmax, 1),
            DelayedAck::Timer(1049)
        );
        // srtt 30 ms: 8 jiffies, raised to DELACK_MIN 10.
        let mut d2 = d;
        d2.pending = 0;
        assert_eq!(
            d2.send_delayed_ack(1000, 30_000 << 3, dmax, 1),
            DelayedAck::Timer(1010)
        );
        // srtt 45 ms: 11.25 -> 12 jiffies.
        let mut d2 = d;
        d2.pending = 0;
        assert_eq!(
            d2.send_delayed_ack(1000, 45_000 << 3, dmax, 1),
            DelayedAck::Timer(1012)
        );
        // The timer fires: ato doubles, capped at DELACK_MAX (50).
        assert_eq!(d.delack_timer(1049, 1, 100, 1), DelackTimer::SendAck);
        assert_eq!(d.ato, 50);
        // Quick-ACK mode resets ato to 10.
        d.enter_quickack_mode(65_535, TCP_MAX_QUICKACKS);
        assert_eq!(d.ato, 10);
    }
}
