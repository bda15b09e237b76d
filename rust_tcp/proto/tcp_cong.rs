// SPDX-License-Identifier: GPL-2.0

//! Congestion control and loss recovery of a sender without SACK: Reno as
//! net/ipv4/tcp_cong.c has it (`tcp_reno_cong_avoid()`, `tcp_slow_start()`,
//! `tcp_cong_avoid_ai()`, `tcp_reno_ssthresh()`, `tcp_reno_undo_cwnd()`),
//! and the congestion state machine of net/ipv4/tcp_input.c as it runs for
//! a connection that did not negotiate SACK (`tcp_is_reno()`):
//! `tcp_fastretrans_alert()` with its NewReno helpers, `tcp_enter_loss()`,
//! `tcp_enter_recovery()`, `tcp_process_loss()` (with F-RTO), the undo
//! functions, PRR (`tcp_cwnd_reduction()`), `tcp_cong_control()`, and the
//! scoreboard work of `tcp_clean_rtx_queue()`, `tcp_mark_skb_lost()`,
//! `tcp_newreno_mark_lost()` (net/ipv4/tcp_recovery.c),
//! `tcp_xmit_retransmit_queue()` and `tcp_retransmit_skb()`
//! (net/ipv4/tcp_output.c), plus the cwnd bookkeeping of transmission
//! (`tcp_event_new_data_sent()`, `tcp_cwnd_validate()`,
//! `tcp_cwnd_restart()`).
//!
//! # What a Linux 6.12 NewReno sender does
//!
//! * Three duplicate ACKs (`tp->reordering`, `net.ipv4.tcp_reordering` = 3)
//!   mark the head segment lost (`tcp_newreno_mark_lost()`), which starts
//!   `CA_Recovery`: `ssthresh = max(cwnd / 2, 2)`, `high_seq = snd_nxt`,
//!   and the head is retransmitted (fast retransmit). The first and second
//!   duplicate ACK move `CA_Open` to `CA_Disorder`.
//! * During recovery the congestion window follows Proportional Rate
//!   Reduction (RFC 6937, `tcp_cwnd_reduction()`), not RFC 5681's
//!   `ssthresh + 3` inflation and deflation: Linux uses PRR whatever the
//!   SACK setting, so we do too.
//! * A partial ACK (RFC 6582) marks the new head lost and retransmits it,
//!   staying in recovery; an ACK at or past `high_seq` ends it with
//!   `cwnd = ssthresh`, except that an ACK exactly at `high_seq` holds the
//!   state until something above it is acknowledged (RFC 6582's guard
//!   against false fast retransmits, `tcp_is_non_sack_preventing_reopen()`).
//! * A retransmission timeout enters `CA_Loss` (`tcp_enter_loss()`): every
//!   outstanding segment is lost, `cwnd = 1` (packets in flight + 1),
//!   `ssthresh` halved once per episode, then slow start retransmits
//!   the queue as ACKs come in. F-RTO (RFC 5682, `net.ipv4.tcp_frto` = 2)
//!   sends new data after the first advancing ACK and undoes the reduction
//!   if never-retransmitted data is then acknowledged.
//! * Undo (Eifel, RFC 3522): when the echoed timestamp shows the
//!   acknowledged data left before the first retransmission
//!   (`tcp_packet_delayed()`), the reduction is reverted.
//!
//! # Differences from Linux, all deliberate
//!
//! * Linux negotiates SACK and then uses RACK-TLP (RFC 8985) for loss
//!   detection, tail loss probes, SACK scoreboarding and D-SACK undo. None
//!   of that runs for a connection without SACK, and none is modelled: this
//!   is the `tcp_is_reno()` path. The connection must therefore not
//!   negotiate SACK (or must ignore SACK blocks, which then makes it a
//!   NewReno sender Linux would also be with `net.ipv4.tcp_sack = 0`).
//! * At a timeout, Linux's `tcp_timeout_mark_lost()` spares segments sent
//!   within the last RACK reordering window (`tcp_rack_skb_timeout()`); we
//!   mark every outstanding segment lost, as RFC 5681 and Linux with
//!   `net.ipv4.tcp_recovery = 0` do.
//! * ECN (`FLAG_ECE`, `CA_CWR`) is followed as Linux does; MTU probing
//!   (`tcp_mtup_probe_failed()`/`success()`), pacing, TSO deferral,
//!   congestion-control modules other than Reno, BPF and MIB counters are
//!   not modelled.
//! * Segments are one packet each (`tcp_skb_pcount() == 1`): the sender
//!   does not use GSO, so counts in packets are counts of segments.
//!
//! # The scoreboard
//!
//! The retransmission queue stays with the caller; each of its segments
//! carries a [`SegState`] (Linux's `TCP_SKB_CB(skb)->sacked` bits), which
//! this module reads and changes through the [`RtxQueue`] trait while it
//! keeps the counters (`packets_out`, `sacked_out`, `lost_out`,
//! `retrans_out`) in step, exactly as Linux pairs `tcp_sock` counters with
//! skb bits.
//!
//! Times (`now_ms`) are the millisecond TCP clock, see [`super::tcp_rtt`].

use super::seq::SeqNum;
use super::tcp_window::TCP_INIT_CWND;

/// `TCP_INFINITE_SSTHRESH`: the initial `snd_ssthresh`.
pub const TCP_INFINITE_SSTHRESH: u32 = 0x7fff_ffff;
/// `TCP_FASTRETRANS_THRESH`: default `net.ipv4.tcp_reordering`.
pub const TCP_FASTRETRANS_THRESH: u32 = 3;
/// Default `net.ipv4.tcp_max_reordering`.
pub const TCP_MAX_REORDERING: u32 = 300;

/// Sysctls of congestion control and recovery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CongSysctls {
    /// `net.ipv4.tcp_reordering` (default 3): initial `tp->reordering`,
    /// the duplicate-ACK threshold.
    pub reordering: u32,
    /// `net.ipv4.tcp_max_reordering` (default 300).
    pub max_reordering: u32,
    /// `net.ipv4.tcp_frto` (default 2): F-RTO after timeouts.
    pub frto: u8,
    /// `net.ipv4.tcp_recovery & TCP_RACK_LOSS_DETECTION` (default on):
    /// for a connection without SACK it only switches off the classic
    /// `sacked_out + 1 > reordering` test of `tcp_time_to_recover()`,
    /// which `tcp_newreno_mark_lost()` makes redundant.
    pub rack: bool,
    /// `net.ipv4.tcp_slow_start_after_idle` (default 1).
    pub slow_start_after_idle: bool,
}

impl CongSysctls {
    /// Linux 6.12 defaults.
    pub const DEFAULT: Self = Self {
        reordering: TCP_FASTRETRANS_THRESH,
        max_reordering: TCP_MAX_REORDERING,
        frto: 2,
        rack: true,
        slow_start_after_idle: true,
    };
}

impl Default for CongSysctls {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// `icsk_ca_state`. The order matters: Linux compares states with `<`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CaState {
    /// `TCP_CA_Open`: nothing suspicious.
    Open = 0,
    /// `TCP_CA_Disorder`: duplicate ACKs seen, or retransmissions still
    /// out; otherwise like Open.
    Disorder = 1,
    /// `TCP_CA_CWR`: cwnd reduced after an ECN echo.
    Cwr = 2,
    /// `TCP_CA_Recovery`: fast retransmit and recovery.
    Recovery = 3,
    /// `TCP_CA_Loss`: after a retransmission timeout.
    Loss = 4,
}

/// The scoreboard bits of one segment in the retransmission queue
/// (`TCP_SKB_CB(skb)->sacked`, with Linux's bit values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SegState(pub u8);

impl SegState {
    /// `TCPCB_SACKED_ACKED`: never set without SACK.
    pub const SACKED_ACKED: u8 = 1 << 0;
    /// `TCPCB_SACKED_RETRANS`: retransmitted and that copy is in flight.
    pub const SACKED_RETRANS: u8 = 1 << 1;
    /// `TCPCB_LOST`: considered lost.
    pub const LOST: u8 = 1 << 2;
    /// `TCPCB_REPAIRED`: TCP_REPAIR; Linux also sets it with every
    /// successful retransmission (it is part of `TCPCB_RETRANS`).
    pub const REPAIRED: u8 = 1 << 4;
    /// `TCPCB_EVER_RETRANS`: retransmitted at least once (even if the
    /// attempt failed).
    pub const EVER_RETRANS: u8 = 1 << 7;
    /// `TCPCB_RETRANS`.
    pub const RETRANS: u8 = Self::SACKED_RETRANS | Self::EVER_RETRANS | Self::REPAIRED;

    /// True when any of `bits` is set.
    #[inline]
    pub const fn has(self, bits: u8) -> bool {
        self.0 & bits != 0
    }
}

/// Access to the caller's retransmission queue (`sk->tcp_rtx_queue`): the
/// segments sent and not yet acknowledged, oldest (the one holding
/// `snd_una`) first. Its length must equal [`CongState::packets_out`].
pub trait RtxQueue {
    /// Calls `f` on the scoreboard bits of each segment from the head on,
    /// in sequence order, until `f` returns `false` or the queue ends.
    fn walk(&mut self, f: &mut dyn FnMut(&mut SegState) -> bool);
}

impl RtxQueue for [SegState] {
    fn walk(&mut self, f: &mut dyn FnMut(&mut SegState) -> bool) {
        for s in self.iter_mut() {
            if !f(s) {
                break;
            }
        }
    }
}

/// The bits of segment `idx` (0 = head), if there is one.
pub fn seg_at<Q: RtxQueue + ?Sized>(q: &mut Q, idx: usize) -> Option<SegState> {
    let mut i = 0usize;
    let mut out = None;
    q.walk(&mut |s| {
        if i == idx {
            out = Some(*s);
            return false;
        }
        i += 1;
        true
    });
    out
}

/// Applies `f` to segment `idx` (0 = head); false when there is none.
fn with_seg<Q: RtxQueue + ?Sized>(q: &mut Q, idx: usize, f: &mut dyn FnMut(&mut SegState)) -> bool {
    let mut i = 0usize;
    let mut found = false;
    q.walk(&mut |s| {
        if i == idx {
            f(s);
            found = true;
            return false;
        }
        i += 1;
        true
    });
    found
}

/// The `FLAG_*` bits `tcp_ack()` collects about one ACK.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AckFlags(pub u32);

impl AckFlags {
    /// `FLAG_DATA`: the segment carrying the ACK also carried data.
    pub const DATA: u32 = 0x01;
    /// `FLAG_WIN_UPDATE`: `tcp_may_update_window()` accepted its window.
    pub const WIN_UPDATE: u32 = 0x02;
    /// `FLAG_DATA_ACKED`: new data acknowledged.
    pub const DATA_ACKED: u32 = 0x04;
    /// `FLAG_RETRANS_DATA_ACKED`: some of it was retransmitted.
    pub const RETRANS_DATA_ACKED: u32 = 0x08;
    /// `FLAG_SYN_ACKED`: our SYN acknowledged.
    pub const SYN_ACKED: u32 = 0x10;
    /// `FLAG_DATA_SACKED`: never set without SACK.
    pub const DATA_SACKED: u32 = 0x20;
    /// `FLAG_ECE`: ECN echo (`th->ece && !th->syn` with ECN negotiated).
    pub const ECE: u32 = 0x40;
    /// `FLAG_LOST_RETRANS`: never set without RACK.
    pub const LOST_RETRANS: u32 = 0x80;
    /// `FLAG_ORIG_SACK_ACKED`: never-retransmitted data acknowledged.
    pub const ORIG_SACK_ACKED: u32 = 0x200;
    /// `FLAG_SND_UNA_ADVANCED`: `snd_una` moved.
    pub const SND_UNA_ADVANCED: u32 = 0x400;
    /// `FLAG_DSACKING_ACK`: never set without SACK.
    pub const DSACKING_ACK: u32 = 0x800;
    /// `FLAG_SET_XMIT_TIMER`: re-arm the retransmission timer.
    pub const SET_XMIT_TIMER: u32 = 0x1000;
    /// `FLAG_ACKED`.
    pub const ACKED: u32 = Self::DATA_ACKED | Self::SYN_ACKED;
    /// `FLAG_NOT_DUP`.
    pub const NOT_DUP: u32 = Self::DATA | Self::WIN_UPDATE | Self::ACKED;
    /// `FLAG_CA_ALERT`.
    pub const CA_ALERT: u32 = Self::DATA_SACKED | Self::ECE | Self::DSACKING_ACK;
    /// `FLAG_FORWARD_PROGRESS`.
    pub const FORWARD_PROGRESS: u32 = Self::ACKED | Self::DATA_SACKED;

    /// True when any of `bits` is set.
    #[inline]
    pub const fn has(self, bits: u32) -> bool {
        self.0 & bits != 0
    }

    /// Sets `bits`.
    #[inline]
    pub fn set(&mut self, bits: u32) {
        self.0 |= bits;
    }

    /// Clears `bits`.
    #[inline]
    pub fn clear(&mut self, bits: u32) {
        self.0 &= !bits;
    }
}

/// What the segments an ACK removed from the retransmission queue were:
/// the per-segment part of `tcp_clean_rtx_queue()`. The caller removes
/// every segment whose end is at or before the new `snd_una` (a segment
/// only partly acknowledged stays, as in Linux) and [`AckedSegs::add`]s
/// each one, in order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AckedSegs {
    /// Segments removed (`pkts_acked`).
    pub pkts_acked: u32,
    /// Of those, how many were marked lost (for `lost_out`).
    pub lost: u32,
    /// Of those, how many had a retransmission in flight (`retrans_out`).
    pub retrans: u32,
    /// `FLAG_DATA_ACKED`, `FLAG_SYN_ACKED`, `FLAG_RETRANS_DATA_ACKED` and
    /// `FLAG_ORIG_SACK_ACKED` as collected.
    pub flag: AckFlags,
    /// Transmission time (µs) of the first never-retransmitted segment
    /// (`first_ackt`).
    pub first_ackt_us: Option<u64>,
    /// Transmission time (µs) of the last never-retransmitted segment
    /// (`last_ackt`).
    pub last_ackt_us: Option<u64>,
}

impl AckedSegs {
    /// Accounts one fully acknowledged segment with bits `st`, ending at
    /// `end_seq`, last transmitted at `tx_us` (the skb timestamp in µs),
    /// carrying SYN if `syn`; `high_seq` is [`CongState::high_seq`].
    pub fn add(&mut self, st: SegState, end_seq: SeqNum, tx_us: u64, syn: bool, high_seq: SeqNum) {
        if st.has(SegState::RETRANS) {
            if st.has(SegState::SACKED_RETRANS) {
                self.retrans = self.retrans.saturating_add(1);
            }
            self.flag.set(AckFlags::RETRANS_DATA_ACKED);
        } else if !st.has(SegState::SACKED_ACKED) {
            self.last_ackt_us = Some(tx_us);
            if self.first_ackt_us.is_none() {
                self.first_ackt_us = Some(tx_us);
            }
            if !end_seq.after(high_seq) {
                self.flag.set(AckFlags::ORIG_SACK_ACKED);
            }
        }
        if st.has(SegState::LOST) {
            self.lost = self.lost.saturating_add(1);
        }
        self.pkts_acked = self.pkts_acked.saturating_add(1);
        self.flag
            .set(if syn { AckFlags::SYN_ACKED } else { AckFlags::DATA_ACKED });
    }

    /// `seq_rtt_us` of `tcp_clean_rtx_queue()`: the time since the first
    /// newly acknowledged segment was sent, unless one of them was ever
    /// retransmitted (Karn). `now_us` is `tp->tcp_mstamp`.
    pub fn seq_rtt_us(&self, now_us: u64) -> Option<u32> {
        if self.flag.has(AckFlags::RETRANS_DATA_ACKED) {
            return None;
        }
        self.first_ackt_us.map(|t| clamp_us(now_us.saturating_sub(t)))
    }

    /// `ca_rtt_us`: the same for the last one.
    pub fn ca_rtt_us(&self, now_us: u64) -> Option<u32> {
        if self.flag.has(AckFlags::RETRANS_DATA_ACKED) {
            return None;
        }
        self.last_ackt_us.map(|t| clamp_us(now_us.saturating_sub(t)))
    }
}

fn clamp_us(v: u64) -> u32 {
    if v > u64::from(u32::MAX) {
        u32::MAX
    } else {
        v as u32
    }
}

/// What loss recovery wants sent after an ACK (`REXMIT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rexmit {
    /// `REXMIT_NONE`.
    None,
    /// `REXMIT_LOST`: retransmit lost segments as cwnd allows
    /// ([`CongState::next_retransmit`]).
    Lost,
    /// `REXMIT_NEW`: F-RTO step 2b: send new data first, with Nagle off,
    /// then call [`CongState::frto_new_data_sent`].
    New,
}

/// One ACK as `tcp_ack()` hands it to congestion control.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckEvent {
    /// `snd_una` before the ACK.
    pub prior_snd_una: SeqNum,
    /// `snd_una` after it.
    pub snd_una: SeqNum,
    /// `snd_nxt`.
    pub snd_nxt: SeqNum,
    /// Flags from acceptance and window update (`FLAG_DATA`,
    /// `FLAG_WIN_UPDATE`, `FLAG_SND_UNA_ADVANCED`, `FLAG_ECE`); see
    /// [`super::tcp_send::SendSeq::tcp_ack`].
    pub flag: AckFlags,
    /// The segments the ACK removed from the queue.
    pub acked: AckedSegs,
    /// The echoed timestamp less our offset, if the ACK had a timestamp
    /// option with a non-zero echo.
    pub tsecr: Option<u32>,
    /// `mss_cache`.
    pub mss_cache: u32,
    /// Unsent data is queued and the peer's window reaches past `snd_nxt`
    /// (`!tcp_write_queue_empty(sk) && after(tcp_wnd_end(tp), snd_nxt)`).
    pub can_send_new: bool,
    /// How many pure ACKs this one stands for (`gso_segs` of an
    /// aggregated ACK); 1 normally.
    pub ack_segs: u16,
    /// The clock (`tcp_jiffies32`).
    pub now_ms: u32,
}

/// What [`CongState::on_ack`] decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckOutcome {
    /// What to retransmit or send now (`tcp_xmit_recovery()`).
    pub rexmit: Rexmit,
    /// Re-arm the retransmission timer (`FLAG_SET_XMIT_TIMER` →
    /// [`super::tcp_rtt::RtoState::rearm_rto`]).
    pub set_xmit_timer: bool,
    /// The flags after processing (`FLAG_ORIG_SACK_ACKED` may have been
    /// cleared).
    pub flag: AckFlags,
    /// The ACK counted as a duplicate (`num_dupack`).
    pub num_dupack: u32,
}

/// The congestion-control and recovery state of one connection: the
/// `tcp_sock` fields of Reno and of the recovery state machine, and
/// `icsk_ca_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CongState {
    /// `snd_cwnd` in segments.
    pub snd_cwnd: u32,
    /// `snd_ssthresh`.
    pub snd_ssthresh: u32,
    /// `snd_cwnd_cnt`: additive-increase credit.
    pub snd_cwnd_cnt: u32,
    /// `snd_cwnd_clamp`.
    pub snd_cwnd_clamp: u32,
    /// `snd_cwnd_used`: the most packets outstanding while not
    /// cwnd-limited.
    pub snd_cwnd_used: u32,
    /// `snd_cwnd_stamp`: last cwnd change or full use (ms clock).
    pub snd_cwnd_stamp: u32,
    /// `prior_cwnd`: cwnd when the reduction started.
    pub prior_cwnd: u32,
    /// `prior_ssthresh`: ssthresh to restore on undo (0: no undo of
    /// ssthresh).
    pub prior_ssthresh: u32,
    /// `icsk_ca_state`.
    pub ca_state: CaState,
    /// `high_seq`: `snd_nxt` when recovery, loss or CWR started.
    pub high_seq: SeqNum,
    /// `undo_marker`: `snd_una` when the reduction started; 0 = no undo
    /// possible (Linux's sentinel, so an `snd_una` of 0 disables undo).
    pub undo_marker: u32,
    /// `undo_retrans`: retransmissions not yet proven spurious (-1: none
    /// counted).
    pub undo_retrans: i32,
    /// `reordering`: the duplicate-ACK threshold.
    pub reordering: u32,
    /// `reord_seen`: reordering events seen.
    pub reord_seen: u32,
    /// `packets_out`: segments in the retransmission queue.
    pub packets_out: u32,
    /// `sacked_out`: without SACK, the duplicate ACKs counted since the
    /// last advance of `snd_una` (segments that left the network).
    pub sacked_out: u32,
    /// `lost_out`: segments marked lost.
    pub lost_out: u32,
    /// `retrans_out`: retransmitted segments in flight.
    pub retrans_out: u32,
    /// `delivered`: segments delivered (counted through duplicate ACKs
    /// and advances of `snd_una`).
    pub delivered: u32,
    /// `lost`: segments ever marked lost.
    pub lost: u32,
    /// `prr_delivered`: segments delivered since recovery started.
    pub prr_delivered: u32,
    /// `prr_out`: segments sent since recovery started.
    pub prr_out: u32,
    /// `retrans_stamp`: time (ms) of the first retransmission of the
    /// current episode, 0 = none. Also the start of the give-up clock of
    /// [`super::tcp_rtt`].
    pub retrans_stamp: u32,
    /// `total_retrans`: segments retransmitted.
    pub total_retrans: u32,
    /// `frto`: F-RTO is running for the current timeout.
    pub frto: bool,
    /// `is_cwnd_limited`: the current window was cwnd-limited.
    pub is_cwnd_limited: bool,
    /// `max_packets_out`: most packets outstanding in the current window.
    pub max_packets_out: u32,
    /// `cwnd_usage_seq`: end of the current window for the two above.
    pub cwnd_usage_seq: SeqNum,
    /// `TCP_ECN_OK`: ECN negotiated.
    pub ecn_ok: bool,
    /// `TCP_ECN_QUEUE_CWR`: set CWR on the next new data segment.
    pub ecn_queue_cwr: bool,
}

impl CongState {
    /// The state a connection starts ESTABLISHED with: `tcp_init_sock()`
    /// and `tcp_init_transfer()` (`tcp_init_metrics()` without a cache):
    /// cwnd `TCP_INIT_CWND` (10), or 1 when more than one SYN (SYN-ACK)
    /// was retransmitted (`cwnd_one`, see
    /// [`super::tcp_connect::ConnInit::cwnd_one`]), `ssthresh` infinite,
    /// `reordering` from the sysctl, `CA_Open`.
    pub const fn new(cwnd_one: bool, sysctls: &CongSysctls, now_ms: u32) -> Self {
        Self {
            snd_cwnd: if cwnd_one { 1 } else { TCP_INIT_CWND },
            snd_ssthresh: TCP_INFINITE_SSTHRESH,
            snd_cwnd_cnt: 0,
            snd_cwnd_clamp: u32::MAX,
            snd_cwnd_used: 0,
            snd_cwnd_stamp: now_ms,
            prior_cwnd: 0,
            prior_ssthresh: 0,
            ca_state: CaState::Open,
            high_seq: SeqNum(0),
            undo_marker: 0,
            undo_retrans: -1,
            reordering: sysctls.reordering,
            reord_seen: 0,
            packets_out: 0,
            sacked_out: 0,
            lost_out: 0,
            retrans_out: 0,
            delivered: 0,
            lost: 0,
            prr_delivered: 0,
            prr_out: 0,
            retrans_stamp: 0,
            total_retrans: 0,
            frto: false,
            is_cwnd_limited: false,
            max_packets_out: 0,
            cwnd_usage_seq: SeqNum(0),
            ecn_ok: false,
            ecn_queue_cwr: false,
        }
    }

    // ---- include/net/tcp.h helpers ----

    /// `tcp_left_out()`: `sacked_out + lost_out`.
    #[inline]
    pub const fn left_out(&self) -> u32 {
        self.sacked_out.saturating_add(self.lost_out)
    }

    /// `tcp_packets_in_flight()`: `packets_out - left_out + retrans_out`
    /// (saturating where Linux would warn and wrap).
    #[inline]
    pub const fn packets_in_flight(&self) -> u32 {
        self.packets_out
            .saturating_sub(self.left_out())
            .saturating_add(self.retrans_out)
    }

    /// `tcp_in_slow_start()`.
    #[inline]
    pub const fn in_slow_start(&self) -> bool {
        self.snd_cwnd < self.snd_ssthresh
    }

    /// `tcp_in_initial_slowstart()`.
    #[inline]
    pub const fn in_initial_slowstart(&self) -> bool {
        self.snd_ssthresh >= TCP_INFINITE_SSTHRESH
    }

    /// `tcp_in_cwnd_reduction()`: in CWR or Recovery.
    #[inline]
    pub const fn in_cwnd_reduction(&self) -> bool {
        matches!(self.ca_state, CaState::Cwr | CaState::Recovery)
    }

    /// `tcp_current_ssthresh()`: during a reduction `ssthresh`, else at
    /// least three quarters of cwnd.
    #[inline]
    pub const fn current_ssthresh(&self) -> u32 {
        if self.in_cwnd_reduction() {
            self.snd_ssthresh
        } else {
            let q = (self.snd_cwnd >> 1) + (self.snd_cwnd >> 2);
            if self.snd_ssthresh > q {
                self.snd_ssthresh
            } else {
                q
            }
        }
    }

    /// `tcp_is_cwnd_limited()`: the window was fully used, or, in slow
    /// start, less than twice what was used ("ensure cwnd grows to twice
    /// what was ACKed").
    #[inline]
    pub const fn is_cwnd_limited(&self) -> bool {
        if self.is_cwnd_limited {
            return true;
        }
        if self.in_slow_start() {
            return (self.snd_cwnd as u64) < 2 * self.max_packets_out as u64;
        }
        false
    }

    fn set_cwnd(&mut self, v: u32) {
        // tcp_snd_cwnd_set() warns on 0; every caller here keeps v >= 1.
        self.snd_cwnd = v;
    }

    // ---- tcp_cong.c: Reno ----

    /// Linux `tcp_slow_start(tp, acked)`: cwnd grows by one per acked
    /// segment up to `ssthresh` (and the clamp); returns the credit left
    /// over for congestion avoidance.
    pub fn slow_start(&mut self, acked: u32) -> u32 {
        let cwnd = self.snd_cwnd.saturating_add(acked).min(self.snd_ssthresh);
        let used = cwnd.saturating_sub(self.snd_cwnd);
        let left = acked.saturating_sub(used);
        self.set_cwnd(cwnd.min(self.snd_cwnd_clamp));
        left
    }

    /// Linux `tcp_cong_avoid_ai(tp, w, acked)`: cwnd grows by one per `w`
    /// acked segments (`w` is cwnd for Reno). `w == 0` is taken as 1.
    pub fn cong_avoid_ai(&mut self, w: u32, acked: u32) {
        let w = w.max(1);
        // "If credits accumulated at a higher w, apply them gently now."
        if self.snd_cwnd_cnt >= w {
            self.snd_cwnd_cnt = 0;
            self.set_cwnd(self.snd_cwnd.saturating_add(1));
        }
        self.snd_cwnd_cnt = self.snd_cwnd_cnt.saturating_add(acked);
        if self.snd_cwnd_cnt >= w {
            let delta = self.snd_cwnd_cnt / w;
            self.snd_cwnd_cnt -= delta * w;
            self.set_cwnd(self.snd_cwnd.saturating_add(delta));
        }
        self.set_cwnd(self.snd_cwnd.min(self.snd_cwnd_clamp));
    }

    /// Linux `tcp_reno_cong_avoid(sk, ack, acked)`: nothing unless
    /// cwnd-limited; slow start below `ssthresh`, then additive increase
    /// of one segment per window.
    pub fn reno_cong_avoid(&mut self, acked: u32) {
        if !self.is_cwnd_limited() {
            return;
        }
        let mut acked = acked;
        if self.in_slow_start() {
            acked = self.slow_start(acked);
            if acked == 0 {
                return;
            }
        }
        self.cong_avoid_ai(self.snd_cwnd, acked);
    }

    /// Linux `tcp_reno_ssthresh()`: half the congestion window, at least
    /// 2. (RFC 5681 says half the flight size; Linux uses cwnd.)
    #[inline]
    pub const fn reno_ssthresh(&self) -> u32 {
        let h = self.snd_cwnd >> 1;
        if h > 2 {
            h
        } else {
            2
        }
    }

    /// Linux `tcp_reno_undo_cwnd()`: `max(cwnd, prior_cwnd)`.
    #[inline]
    pub const fn reno_undo_cwnd(&self) -> u32 {
        if self.snd_cwnd > self.prior_cwnd {
            self.snd_cwnd
        } else {
            self.prior_cwnd
        }
    }

    // ---- PRR and CWR ----

    fn ecn_queue_cwr(&mut self) {
        if self.ecn_ok {
            self.ecn_queue_cwr = true;
        }
    }

    /// Linux `tcp_init_cwnd_reduction()`: starts a reduction (Recovery or
    /// CWR) at `snd_nxt`: `ssthresh` from Reno, PRR counters cleared.
    pub fn init_cwnd_reduction(&mut self, snd_nxt: SeqNum) {
        self.high_seq = snd_nxt;
        self.snd_cwnd_cnt = 0;
        self.prior_cwnd = self.snd_cwnd;
        self.prr_delivered = 0;
        self.prr_out = 0;
        self.snd_ssthresh = self.reno_ssthresh();
        self.ecn_queue_cwr();
    }

    /// Linux `tcp_cwnd_reduction(sk, newly_acked_sacked, newly_lost,
    /// flag)`: Proportional Rate Reduction (RFC 6937). While more than
    /// `ssthresh` is in flight, send `ssthresh / prior_cwnd` of what was
    /// delivered; below it, slow-start back up to `ssthresh` (one extra
    /// segment when `snd_una` advanced without new losses). The first call
    /// always allows one segment: the fast retransmission.
    pub fn cwnd_reduction(&mut self, newly_acked_sacked: u32, newly_lost: u32, flag: AckFlags) {
        if newly_acked_sacked == 0 || self.prior_cwnd == 0 {
            return;
        }
        let in_flight = i64::from(self.packets_in_flight());
        let delta = i64::from(self.snd_ssthresh) - in_flight;
        self.prr_delivered = self.prr_delivered.saturating_add(newly_acked_sacked);
        let prr_delivered = i64::from(self.prr_delivered);
        let prr_out = i64::from(self.prr_out);
        let mut sndcnt: i64;
        if delta < 0 {
            let dividend = u64::from(self.snd_ssthresh) * u64::from(self.prr_delivered)
                + u64::from(self.prior_cwnd)
                - 1;
            sndcnt = (dividend / u64::from(self.prior_cwnd)) as i64 - prr_out;
        } else {
            sndcnt = (prr_delivered - prr_out).max(i64::from(newly_acked_sacked));
            if flag.has(AckFlags::SND_UNA_ADVANCED) && newly_lost == 0 {
                sndcnt += 1;
            }
            sndcnt = sndcnt.min(delta);
        }
        // "Force a fast retransmit upon entering fast recovery"
        sndcnt = sndcnt.max(if self.prr_out != 0 { 0 } else { 1 });
        let cwnd = (in_flight + sndcnt).clamp(0, i64::from(u32::MAX));
        self.set_cwnd(cwnd as u32);
    }

    /// Linux `tcp_end_cwnd_reduction()`: after CWR, or a recovery that was
    /// not undone, cwnd becomes `ssthresh`.
    pub fn end_cwnd_reduction(&mut self, now_ms: u32) {
        if self.snd_ssthresh < TCP_INFINITE_SSTHRESH && (self.ca_state == CaState::Cwr || self.undo_marker != 0) {
            self.set_cwnd(self.snd_ssthresh);
            self.snd_cwnd_stamp = now_ms;
        }
    }

    /// Linux `tcp_enter_cwr()`: an ECN echo (or local congestion) reduces
    /// cwnd without undo.
    pub fn enter_cwr(&mut self, snd_nxt: SeqNum) {
        self.prior_ssthresh = 0;
        if self.ca_state < CaState::Cwr {
            self.undo_marker = 0;
            self.init_cwnd_reduction(snd_nxt);
            self.ca_state = CaState::Cwr;
        }
    }

    // ---- NewReno "SACK" emulation ----

    /// `tcp_limit_reno_sacked()`: duplicate ACKs cannot account for more
    /// segments than are outstanding besides the holes.
    fn limit_reno_sacked(&mut self) -> bool {
        let holes = self.lost_out.max(1).min(self.packets_out);
        if self.sacked_out.saturating_add(holes) > self.packets_out {
            self.sacked_out = self.packets_out.saturating_sub(holes);
            return true;
        }
        false
    }

    /// `tcp_check_reno_reordering()`: more duplicate ACKs than segments
    /// means reordering (or a broken receiver).
    fn check_reno_reordering(&mut self, addend: u32, sysctls: &CongSysctls) {
        if !self.limit_reno_sacked() {
            return;
        }
        self.reordering = self.packets_out.saturating_add(addend).min(sysctls.max_reordering);
        self.reord_seen = self.reord_seen.wrapping_add(1);
    }

    /// `tcp_add_reno_sack()`: counts `num_dupack` duplicate ACKs.
    pub fn add_reno_sack(&mut self, num_dupack: u32, sysctls: &CongSysctls) {
        if num_dupack != 0 {
            let prior = self.sacked_out;
            self.sacked_out = self.sacked_out.saturating_add(num_dupack);
            self.check_reno_reordering(0, sysctls);
            let delivered = i64::from(self.sacked_out) - i64::from(prior);
            if delivered > 0 {
                self.delivered = self.delivered.wrapping_add(delivered as u32);
            }
        }
    }

    /// `tcp_remove_reno_sacks()`: an advance of `snd_una` by `acked`
    /// segments: one of them filled the hole, the rest had been counted by
    /// duplicate ACKs.
    pub fn remove_reno_sacks(&mut self, acked: u32, sysctls: &CongSysctls) {
        if acked > 0 {
            let d = (i64::from(acked) - i64::from(self.sacked_out)).max(1);
            self.delivered = self.delivered.wrapping_add(d as u32);
            if acked > self.sacked_out {
                self.sacked_out = 0;
            } else {
                self.sacked_out -= acked - 1;
            }
        }
        self.check_reno_reordering(acked, sysctls);
    }

    // ---- scoreboard ----

    /// Linux `tcp_mark_skb_lost()`: marks one segment lost; a segment lost
    /// again after its retransmission loses its retransmission mark.
    pub fn mark_skb_lost(&mut self, st: &mut SegState) {
        if st.has(SegState::SACKED_ACKED) {
            return;
        }
        if st.has(SegState::LOST) {
            if st.has(SegState::SACKED_RETRANS) {
                // "Account for retransmits that are lost again"
                st.0 &= !SegState::SACKED_RETRANS;
                self.retrans_out = self.retrans_out.saturating_sub(1);
                self.lost = self.lost.wrapping_add(1);
            }
        } else {
            self.lost_out = self.lost_out.saturating_add(1);
            st.0 |= SegState::LOST;
            self.lost = self.lost.wrapping_add(1);
        }
    }

    /// `tcp_timeout_mark_lost()` without SACK and without RACK's sparing of
    /// recent segments: duplicate-ACK count cleared, every segment lost.
    pub fn timeout_mark_lost<Q: RtxQueue + ?Sized>(&mut self, q: &mut Q) {
        self.sacked_out = 0;
        let mut me = *self;
        q.walk(&mut |s| {
            me.mark_skb_lost(s);
            true
        });
        *self = me;
    }

    /// Linux `tcp_newreno_mark_lost()`: the head is lost after
    /// `reordering` duplicate ACKs (before recovery), or after a partial
    /// ACK in recovery.
    pub fn newreno_mark_lost<Q: RtxQueue + ?Sized>(&mut self, q: &mut Q, snd_una_advanced: bool) {
        let state = self.ca_state;
        if (state < CaState::Recovery && self.sacked_out >= self.reordering)
            || (state == CaState::Recovery && snd_una_advanced)
        {
            let mut me = *self;
            with_seg(q, 0, &mut |s| {
                if !s.has(SegState::LOST) {
                    me.mark_skb_lost(s);
                }
            });
            *self = me;
        }
    }

    /// `tcp_any_retrans_done()`: a retransmission is in flight, or the
    /// head was ever retransmitted.
    pub fn any_retrans_done<Q: RtxQueue + ?Sized>(&self, q: &mut Q) -> bool {
        if self.retrans_out != 0 {
            return true;
        }
        matches!(seg_at(q, 0), Some(s) if s.has(SegState::EVER_RETRANS))
    }

    fn retrans_stamp_cleanup<Q: RtxQueue + ?Sized>(&mut self, q: &mut Q) {
        if !self.any_retrans_done(q) {
            self.retrans_stamp = 0;
        }
    }

    /// `tcp_init_undo()`: remember where the reduction started.
    fn init_undo(&mut self, snd_una: SeqNum) {
        self.undo_marker = snd_una.0;
        self.undo_retrans = self.retrans_out as i32;
        if self.undo_retrans == 0 {
            self.undo_retrans = -1;
        }
    }

    /// `tcp_packet_delayed()`: the ACK's echoed timestamp is older than the
    /// first retransmission, so the original got through (Eifel).
    pub fn packet_delayed(&self, snd_una: SeqNum, tsecr: Option<u32>) -> bool {
        if self.retrans_stamp != 0 {
            return matches!(tsecr, Some(e) if SeqNum(e).before(SeqNum(self.retrans_stamp)));
        }
        // (1) non-SACK: tcp_is_non_sack_preventing_reopen() cleared
        // retrans_stamp at high_seq.
        if !snd_una.before(self.high_seq) {
            return false;
        }
        true
    }

    /// `tcp_may_undo()`.
    pub fn may_undo(&self, snd_una: SeqNum, tsecr: Option<u32>) -> bool {
        self.undo_marker != 0 && (self.undo_retrans == 0 || self.packet_delayed(snd_una, tsecr))
    }

    /// Linux `tcp_undo_cwnd_reduction()`: restore cwnd and ssthresh (if an
    /// ssthresh was saved), optionally forget the loss marks.
    pub fn undo_cwnd_reduction<Q: RtxQueue + ?Sized>(&mut self, q: &mut Q, unmark_loss: bool, now_ms: u32) {
        if unmark_loss {
            q.walk(&mut |s| {
                s.0 &= !SegState::LOST;
                true
            });
            self.lost_out = 0;
        }
        if self.prior_ssthresh != 0 {
            self.set_cwnd(self.reno_undo_cwnd());
            if self.prior_ssthresh > self.snd_ssthresh {
                self.snd_ssthresh = self.prior_ssthresh;
                self.ecn_queue_cwr = false;
            }
        }
        self.snd_cwnd_stamp = now_ms;
        self.undo_marker = 0;
    }

    /// `tcp_is_non_sack_preventing_reopen()`: at exactly `high_seq` hold
    /// the state until something above it is acknowledged (RFC 6582).
    fn non_sack_preventing_reopen<Q: RtxQueue + ?Sized>(&mut self, q: &mut Q, snd_una: SeqNum) -> bool {
        if snd_una == self.high_seq {
            if !self.any_retrans_done(q) {
                self.retrans_stamp = 0;
            }
            return true;
        }
        false
    }

    /// Linux `tcp_try_undo_recovery()`: at the end of Recovery or Loss.
    /// Returns true when the state is held (see above).
    fn try_undo_recovery<Q: RtxQueue + ?Sized>(&mut self, q: &mut Q, ev: &AckEvent) -> bool {
        if self.may_undo(ev.snd_una, ev.tsecr) {
            // "Happy end! We did not retransmit anything or our original
            // transmission succeeded."
            self.undo_cwnd_reduction(q, false, ev.now_ms);
        }
        if self.non_sack_preventing_reopen(q, ev.snd_una) {
            return true;
        }
        self.ca_state = CaState::Open;
        false
    }

    /// Linux `tcp_try_undo_dsack()`: never succeeds without D-SACK
    /// (`undo_retrans` cannot reach 0), kept for fidelity.
    fn try_undo_dsack<Q: RtxQueue + ?Sized>(&mut self, q: &mut Q, now_ms: u32) -> bool {
        if self.undo_marker != 0 && self.undo_retrans == 0 {
            self.undo_cwnd_reduction(q, false, now_ms);
            return true;
        }
        false
    }

    /// Linux `tcp_try_undo_loss()`: after a timeout that proved spurious.
    fn try_undo_loss<Q: RtxQueue + ?Sized>(&mut self, q: &mut Q, frto_undo: bool, ev: &AckEvent) -> bool {
        if frto_undo || self.may_undo(ev.snd_una, ev.tsecr) {
            self.undo_cwnd_reduction(q, true, ev.now_ms);
            // Linux also clears icsk_retransmits here; for a connection
            // without SACK this only happens on an ACK that advanced
            // snd_una, which tcp_ack() already made clear it.
            if self.non_sack_preventing_reopen(q, ev.snd_una) {
                return true;
            }
            if frto_undo {
                self.ca_state = CaState::Open;
            }
            return true;
        }
        false
    }

    /// Linux `tcp_try_undo_partial()`: a partial ACK in Recovery that the
    /// timestamps show was a delayed original. Returns true when nothing
    /// more is to be done for this ACK.
    fn try_undo_partial<Q: RtxQueue + ?Sized>(&mut self, q: &mut Q, ev: &AckEvent, sysctls: &CongSysctls) -> bool {
        if self.undo_marker != 0 && self.packet_delayed(ev.snd_una, ev.tsecr) {
            // tcp_check_sack_reordering(sk, prior_snd_una, 1): without SACK
            // the highest "SACKed" sequence is snd_una.
            self.check_reordering_from(ev.prior_snd_una, ev.snd_una, ev.mss_cache, sysctls);
            if self.retrans_out != 0 {
                return true;
            }
            self.retrans_stamp_cleanup(q);
            self.undo_cwnd_reduction(q, true, ev.now_ms);
            self.try_keep_open(q, ev.snd_nxt);
        }
        false
    }

    /// `tcp_check_sack_reordering(sk, low_seq, ts)` with `fack` = `snd_una`.
    fn check_reordering_from(&mut self, low_seq: SeqNum, fack: SeqNum, mss: u32, sysctls: &CongSysctls) {
        if !low_seq.before(fack) {
            return;
        }
        let metric = fack.0.wrapping_sub(low_seq.0);
        if mss != 0 && u64::from(metric) > u64::from(self.reordering) * u64::from(mss) {
            let segs = u64::from(metric).div_ceil(u64::from(mss));
            self.reordering = (segs.min(u64::from(sysctls.max_reordering))) as u32;
        }
        self.reord_seen = self.reord_seen.wrapping_add(1);
    }

    /// Linux `tcp_try_keep_open()`: Disorder while anything is counted
    /// out or retransmitted, else Open.
    fn try_keep_open<Q: RtxQueue + ?Sized>(&mut self, q: &mut Q, snd_nxt: SeqNum) {
        let state = if self.left_out() != 0 || self.any_retrans_done(q) {
            CaState::Disorder
        } else {
            CaState::Open
        };
        if self.ca_state != state {
            self.ca_state = state;
            self.high_seq = snd_nxt;
        }
    }

    /// Linux `tcp_try_to_open()`.
    fn try_to_open<Q: RtxQueue + ?Sized>(&mut self, q: &mut Q, flag: AckFlags, snd_nxt: SeqNum) {
        self.retrans_stamp_cleanup(q);
        if flag.has(AckFlags::ECE) {
            self.enter_cwr(snd_nxt);
        }
        if self.ca_state != CaState::Cwr {
            self.try_keep_open(q, snd_nxt);
        }
    }

    /// Linux `tcp_time_to_recover()` without SACK.
    fn time_to_recover(&self, sysctls: &CongSysctls) -> bool {
        // "Trick#1: The loss is proven."
        if self.lost_out != 0 {
            return true;
        }
        // "Not-A-Trick#2 : Classic rule..."
        !sysctls.rack && self.sacked_out.saturating_add(1) > self.reordering
    }

    /// Linux `tcp_enter_recovery()`: fast retransmit starts.
    pub fn enter_recovery<Q: RtxQueue + ?Sized>(&mut self, q: &mut Q, snd_una: SeqNum, snd_nxt: SeqNum, ece_ack: bool) {
        // "Start the clock with our fast retransmit, for undo and
        // ETIMEDOUT."
        self.retrans_stamp_cleanup(q);
        self.prior_ssthresh = 0;
        self.init_undo(snd_una);
        if !self.in_cwnd_reduction() {
            if !ece_ack {
                self.prior_ssthresh = self.current_ssthresh();
            }
            self.init_cwnd_reduction(snd_nxt);
        }
        self.ca_state = CaState::Recovery;
    }

    /// Linux `tcp_enter_loss()` (called by the retransmission timer before
    /// it retransmits the head): every segment lost, `ssthresh` reduced
    /// unless already reduced in this episode, cwnd = packets in flight +
    /// 1, `CA_Loss` until `high_seq` (= `snd_nxt`) is acknowledged, F-RTO
    /// armed. `icsk_retransmits` is [`super::tcp_rtt::RtoState::retransmits`]
    /// before this timeout is counted.
    pub fn enter_loss<Q: RtxQueue + ?Sized>(
        &mut self,
        q: &mut Q,
        snd_una: SeqNum,
        snd_nxt: SeqNum,
        icsk_retransmits: u8,
        sysctls: &CongSysctls,
        now_ms: u32,
    ) {
        let new_recovery = self.ca_state < CaState::Recovery;
        let prior_state = self.ca_state;
        self.timeout_mark_lost(q);
        // "Reduce ssthresh if it has not yet been made inside this window."
        if self.ca_state <= CaState::Disorder
            || !self.high_seq.after(snd_una)
            || (self.ca_state == CaState::Loss && icsk_retransmits == 0)
        {
            self.prior_ssthresh = self.current_ssthresh();
            self.prior_cwnd = self.snd_cwnd;
            self.snd_ssthresh = self.reno_ssthresh();
            self.init_undo(snd_una);
        }
        self.set_cwnd(self.packets_in_flight().saturating_add(1));
        self.snd_cwnd_cnt = 0;
        self.snd_cwnd_stamp = now_ms;
        // "Timeout in disordered state after receiving substantial DUPACKs
        // suggests that the degree of reordering is over-estimated." The
        // duplicate-ACK count was just cleared, so without SACK this never
        // applies; kept for fidelity.
        if prior_state <= CaState::Disorder && self.sacked_out >= sysctls.reordering {
            self.reordering = self.reordering.min(sysctls.reordering);
        }
        self.ca_state = CaState::Loss;
        self.high_seq = snd_nxt;
        self.ecn_queue_cwr();
        // F-RTO RFC5682 sec 3.1 step 1 (no MTU probe is ever in flight).
        self.frto = sysctls.frto != 0 && (new_recovery || icsk_retransmits != 0);
    }

    /// Linux `tcp_process_loss()` without SACK: an ACK in `CA_Loss`.
    fn process_loss<Q: RtxQueue + ?Sized>(
        &mut self,
        q: &mut Q,
        flag: AckFlags,
        num_dupack: u32,
        rexmit: &mut Rexmit,
        ev: &AckEvent,
        sysctls: &CongSysctls,
    ) {
        let recovered = !ev.snd_una.before(self.high_seq);
        if flag.has(AckFlags::SND_UNA_ADVANCED) && self.try_undo_loss(q, false, ev) {
            return;
        }
        if self.frto {
            // "Step 3.b. A timeout is spurious if not all data are lost,
            // i.e., never-retransmitted data are (s)acked."
            if flag.has(AckFlags::ORIG_SACK_ACKED) && self.try_undo_loss(q, true, ev) {
                return;
            }
            if ev.snd_nxt.after(self.high_seq) {
                if flag.has(AckFlags::DATA_SACKED) || num_dupack != 0 {
                    self.frto = false; // "Step 3.a. loss was real"
                }
            } else if flag.has(AckFlags::SND_UNA_ADVANCED) && !recovered {
                self.high_seq = ev.snd_nxt;
                // "Step 2.b. Try send new data (but deferred until cwnd is
                // updated in tcp_ack())."
                if ev.can_send_new {
                    *rexmit = Rexmit::New;
                    return;
                }
                self.frto = false;
            }
        }
        if recovered {
            // "F-RTO RFC5682 sec 3.1 step 2.a and 1st part of step 3.a"
            self.try_undo_recovery(q, ev);
            return;
        }
        // "A Reno DUPACK means new data in F-RTO step 2.b above are
        // delivered. Lower inflight to clock out (re)transmissions."
        if ev.snd_nxt.after(self.high_seq) && num_dupack != 0 {
            self.add_reno_sack(num_dupack, sysctls);
        } else if flag.has(AckFlags::SND_UNA_ADVANCED) {
            self.sacked_out = 0;
        }
        *rexmit = Rexmit::Lost;
    }

    /// `tcp_identify_packet_loss()` without SACK.
    fn identify_packet_loss<Q: RtxQueue + ?Sized>(&mut self, q: &mut Q, flag: AckFlags) {
        if self.packets_out == 0 {
            return;
        }
        self.newreno_mark_lost(q, flag.has(AckFlags::SND_UNA_ADVANCED));
    }

    /// The `default:` branch of `tcp_fastretrans_alert()` (Open, Disorder,
    /// CWR, and Loss once undone). Returns false when it returned early.
    fn alert_default<Q: RtxQueue + ?Sized>(
        &mut self,
        q: &mut Q,
        flag: AckFlags,
        num_dupack: u32,
        ev: &AckEvent,
        sysctls: &CongSysctls,
    ) -> bool {
        if flag.has(AckFlags::SND_UNA_ADVANCED) {
            self.sacked_out = 0;
        }
        self.add_reno_sack(num_dupack, sysctls);
        if self.ca_state <= CaState::Disorder {
            self.try_undo_dsack(q, ev.now_ms);
        }
        self.identify_packet_loss(q, flag);
        if !self.time_to_recover(sysctls) {
            self.try_to_open(q, flag, ev.snd_nxt);
            return false;
        }
        // "Otherwise enter Recovery state"
        self.enter_recovery(q, ev.snd_una, ev.snd_nxt, flag.has(AckFlags::ECE));
        true
    }

    /// Linux `tcp_fastretrans_alert()` for a connection without SACK:
    /// runs on every duplicate ACK, ECN echo, and every ACK outside
    /// `CA_Open`, and moves the state machine.
    pub fn fastretrans_alert<Q: RtxQueue + ?Sized>(
        &mut self,
        q: &mut Q,
        num_dupack: u32,
        flag: &mut AckFlags,
        rexmit: &mut Rexmit,
        ev: &AckEvent,
        sysctls: &CongSysctls,
    ) {
        let f = *flag;
        let ece_ack = f.has(AckFlags::ECE);
        if self.packets_out == 0 && self.sacked_out != 0 {
            self.sacked_out = 0;
        }
        // "A. ECE, hence prohibit cwnd undoing, the reduction is required."
        if ece_ack {
            self.prior_ssthresh = 0;
        }
        // B. (SACK reneging) does not apply.
        // "D. Check state exit conditions. State can be terminated when
        // high_seq is ACKed."
        if self.ca_state == CaState::Open {
            self.retrans_stamp = 0;
        } else if !ev.snd_una.before(self.high_seq) {
            match self.ca_state {
                // "CWR is to be held something *above* high_seq is ACKed
                // for CWR bit to reach receiver."
                CaState::Cwr if ev.snd_una != self.high_seq => {
                    self.end_cwnd_reduction(ev.now_ms);
                    self.ca_state = CaState::Open;
                }
                CaState::Recovery => {
                    self.sacked_out = 0;
                    if self.try_undo_recovery(q, ev) {
                        return;
                    }
                    self.end_cwnd_reduction(ev.now_ms);
                }
                _ => {}
            }
        }
        // E. Process state.
        match self.ca_state {
            CaState::Recovery => {
                if !f.has(AckFlags::SND_UNA_ADVANCED) {
                    self.add_reno_sack(num_dupack, sysctls);
                } else if self.try_undo_partial(q, ev, sysctls) {
                    return;
                }
                if self.try_undo_dsack(q, ev.now_ms) {
                    self.try_to_open(q, f, ev.snd_nxt);
                }
                self.identify_packet_loss(q, f);
                if self.ca_state != CaState::Recovery {
                    if !self.time_to_recover(sysctls) {
                        return;
                    }
                    // "Undo reverts the recovery state. If loss is evident,
                    // starts a new recovery (e.g. reordering then loss);"
                    self.enter_recovery(q, ev.snd_una, ev.snd_nxt, ece_ack);
                }
            }
            CaState::Loss => {
                self.process_loss(q, f, num_dupack, rexmit, ev, sysctls);
                self.identify_packet_loss(q, f);
                if self.ca_state != CaState::Open {
                    return;
                }
                // "Change state if cwnd is undone or retransmits are lost"
                if !self.alert_default(q, f, num_dupack, ev, sysctls) {
                    return;
                }
            }
            _ => {
                if !self.alert_default(q, f, num_dupack, ev, sysctls) {
                    return;
                }
            }
        }
        *rexmit = Rexmit::Lost;
    }

    /// Linux `tcp_may_raise_cwnd()`.
    fn may_raise_cwnd(&self, flag: AckFlags, sysctls: &CongSysctls) -> bool {
        if self.reordering > sysctls.reordering {
            return flag.has(AckFlags::FORWARD_PROGRESS);
        }
        flag.has(AckFlags::DATA_ACKED)
    }

    /// Linux `tcp_cong_control()` for Reno: PRR during a reduction, else
    /// Reno growth when in-order data was acknowledged.
    pub fn cong_control(&mut self, acked_sacked: u32, newly_lost: u32, flag: AckFlags, sysctls: &CongSysctls, now_ms: u32) {
        if self.in_cwnd_reduction() {
            self.cwnd_reduction(acked_sacked, newly_lost, flag);
        } else if self.may_raise_cwnd(flag, sysctls) {
            self.reno_cong_avoid(acked_sacked);
            self.snd_cwnd_stamp = now_ms;
        }
    }

    /// The congestion part of Linux `tcp_ack()` for an acceptable ACK (see
    /// [`super::tcp_send::SendSeq::tcp_ack`]) once the caller has removed the
    /// acknowledged segments from `q` and summed them up in `ev.acked`:
    /// the counters of `tcp_clean_rtx_queue()`, the NewReno duplicate-ACK
    /// accounting, `tcp_fastretrans_alert()` when the ACK is "dubious"
    /// (`tcp_ack_is_dubious()`), and `tcp_cong_control()`.
    ///
    /// The RTT sample is taken separately
    /// ([`super::tcp_rtt::RtoState::ack_update_rtt`]). Afterwards the caller
    /// re-arms the retransmission timer if [`AckOutcome::set_xmit_timer`]
    /// and carries out [`AckOutcome::rexmit`] (`tcp_xmit_recovery()`).
    ///
    /// When nothing was outstanding before the ACK (`!prior_packets`),
    /// Linux skips all of this (`no_queue`, where the zero-window probe
    /// timer is dealt with instead); so does this function.
    pub fn on_ack<Q: RtxQueue + ?Sized>(&mut self, q: &mut Q, ev: &AckEvent, sysctls: &CongSysctls) -> AckOutcome {
        let mut flag = AckFlags(ev.flag.0 | ev.acked.flag.0);
        let mut out = AckOutcome {
            rexmit: Rexmit::None,
            set_xmit_timer: false,
            flag,
            num_dupack: 0,
        };
        let prior_packets = self.packets_out;
        if prior_packets == 0 {
            return out;
        }
        let prior_delivered = self.delivered;
        let prior_lost = self.lost;

        // tcp_clean_rtx_queue()
        let a = &ev.acked;
        self.packets_out = self.packets_out.saturating_sub(a.pkts_acked);
        self.lost_out = self.lost_out.saturating_sub(a.lost);
        self.retrans_out = self.retrans_out.saturating_sub(a.retrans);
        if a.flag.has(AckFlags::SYN_ACKED) {
            self.retrans_stamp = 0;
        }
        if flag.has(AckFlags::ACKED) {
            flag.set(AckFlags::SET_XMIT_TIMER);
            self.remove_reno_sacks(a.pkts_acked, sysctls);
            // "If any of the cumulatively ACKed segments was retransmitted,
            // non-SACK case cannot confirm that progress was due to
            // original transmission"
            if flag.has(AckFlags::RETRANS_DATA_ACKED) {
                flag.clear(AckFlags::ORIG_SACK_ACKED);
            }
        }

        let mut rexmit = Rexmit::None;
        // tcp_ack_is_dubious()
        if !flag.has(AckFlags::NOT_DUP) || flag.has(AckFlags::CA_ALERT) || self.ca_state != CaState::Open {
            let mut num_dupack = 0;
            if !flag.has(AckFlags::SND_UNA_ADVANCED | AckFlags::NOT_DUP | AckFlags::DSACKING_ACK) {
                num_dupack = 1;
                // "Consider if pure acks were aggregated"
                if !flag.has(AckFlags::DATA) {
                    num_dupack = u32::from(ev.ack_segs.max(1));
                }
            }
            out.num_dupack = num_dupack;
            self.fastretrans_alert(q, num_dupack, &mut flag, &mut rexmit, ev, sysctls);
        }
        let delivered = self.delivered.wrapping_sub(prior_delivered);
        let lost = self.lost.wrapping_sub(prior_lost);
        self.cong_control(delivered, lost, flag, sysctls, ev.now_ms);
        out.rexmit = rexmit;
        out.set_xmit_timer = flag.has(AckFlags::SET_XMIT_TIMER);
        out.flag = flag;
        out
    }

    // ---- transmission ----

    /// The next segment `tcp_xmit_retransmit_queue()` would retransmit now:
    /// the first lost segment without a retransmission in flight, if cwnd
    /// has room and not every lost segment is retransmitted already.
    /// Returns its index in `q` (0 = head). After sending it, call
    /// [`CongState::on_retransmit`]; stop when this returns `None` or the
    /// transmission failed.
    pub fn next_retransmit<Q: RtxQueue + ?Sized>(&self, q: &mut Q) -> Option<usize> {
        if self.packets_out == 0 {
            return None;
        }
        if self.snd_cwnd <= self.packets_in_flight() {
            return None;
        }
        if self.retrans_out >= self.lost_out {
            return None;
        }
        let mut i = 0usize;
        let mut found = None;
        q.walk(&mut |s| {
            if s.has(SegState::LOST) && !s.has(SegState::SACKED_ACKED | SegState::SACKED_RETRANS) {
                found = Some(i);
                return false;
            }
            i += 1;
            true
        });
        found
    }

    /// Accounts a retransmission of segment `idx` of `q` at `now_ms`
    /// (`tcp_retransmit_skb()`, and `prr_out` of
    /// `tcp_xmit_retransmit_queue()`); `sent` is whether the transmission
    /// succeeded. The segment becomes `EVER_RETRANS` either way, and
    /// `SACKED_RETRANS` (in flight) if sent. The first attempt of an
    /// episode sets `retrans_stamp`.
    ///
    /// Returns true when it was the head: `tcp_xmit_retransmit_queue()`
    /// then re-arms the retransmission timer to the current RTO (the
    /// timeout path arms its own).
    pub fn on_retransmit<Q: RtxQueue + ?Sized>(&mut self, q: &mut Q, idx: usize, now_ms: u32, sent: bool) -> bool {
        let mut ok = false;
        let found = with_seg(q, idx, &mut |s| {
            s.0 |= SegState::EVER_RETRANS;
            if sent {
                // Linux sets all of TCPCB_RETRANS, REPAIRED included.
                s.0 |= SegState::RETRANS;
                ok = true;
            }
        });
        if !found {
            return false;
        }
        // __tcp_retransmit_skb() counts the attempt.
        self.total_retrans = self.total_retrans.wrapping_add(1);
        if ok {
            self.retrans_out = self.retrans_out.saturating_add(1);
            if self.in_cwnd_reduction() {
                self.prr_out = self.prr_out.saturating_add(1);
            }
        }
        // "Save stamp of the first (attempted) retransmit."
        if self.retrans_stamp == 0 {
            self.retrans_stamp = now_ms;
        }
        if self.undo_retrans < 0 {
            self.undo_retrans = 0;
        }
        self.undo_retrans = self.undo_retrans.saturating_add(1);
        idx == 0
    }

    /// The end of `tcp_xmit_recovery()` for [`Rexmit::New`]: after pushing
    /// new data (Nagle off), if `snd_nxt` passed `high_seq` F-RTO goes on
    /// and nothing is retransmitted (false); otherwise F-RTO is off and the
    /// lost segments are retransmitted (true).
    pub fn frto_new_data_sent(&mut self, snd_nxt: SeqNum) -> bool {
        if snd_nxt.after(self.high_seq) {
            return false;
        }
        self.frto = false;
        true
    }

    /// `tcp_event_new_data_sent()`'s accounting: one new segment entered
    /// the retransmission queue (with [`SegState::default`] bits). Returns
    /// true when it is the only one outstanding: the retransmission timer
    /// must be armed (`tcp_rearm_rto()`).
    pub fn on_new_data_sent(&mut self) -> bool {
        let prior = self.packets_out;
        self.packets_out = self.packets_out.saturating_add(1);
        prior == 0
    }

    /// A queued segment with bits `st` was split in two
    /// (`tcp_fragment()` → `tcp_adjust_pcount()`): one more packet out,
    /// and one more in each count its marks put it in.
    pub fn on_fragment(&mut self, st: SegState) {
        self.packets_out = self.packets_out.saturating_add(1);
        if st.has(SegState::LOST) {
            self.lost_out = self.lost_out.saturating_add(1);
        }
        if st.has(SegState::SACKED_RETRANS) {
            self.retrans_out = self.retrans_out.saturating_add(1);
        }
        if st.has(SegState::SACKED_ACKED) {
            self.sacked_out = self.sacked_out.saturating_add(1);
        }
    }

    /// The end of `tcp_write_xmit()`: PRR counts `sent_pkts` new segments,
    /// and `tcp_cwnd_validate()` tracks whether the window is used up
    /// (is_cwnd_limited: packets in flight reached cwnd) for
    /// [`CongState::is_cwnd_limited`], and shrinks an unused window after
    /// an idle RTO (RFC 2861, `tcp_cwnd_application_limited()`, only when
    /// the application is not blocked on the send buffer: `!nospace`).
    pub fn after_write_xmit(&mut self, sent_pkts: u32, x: &XmitDone, sysctls: &CongSysctls) {
        let is_cwnd_limited = self.packets_in_flight() >= self.snd_cwnd;
        if sent_pkts != 0 || is_cwnd_limited {
            self.cwnd_validate(is_cwnd_limited, x, sysctls);
        }
        if sent_pkts != 0 && self.in_cwnd_reduction() {
            self.prr_out = self.prr_out.saturating_add(sent_pkts);
        }
    }

    /// Linux `tcp_cwnd_validate(sk, is_cwnd_limited)`.
    pub fn cwnd_validate(&mut self, is_cwnd_limited: bool, x: &XmitDone, sysctls: &CongSysctls) {
        if !x.snd_una.before(self.cwnd_usage_seq)
            || is_cwnd_limited
            || (!self.is_cwnd_limited && self.packets_out > self.max_packets_out)
        {
            self.is_cwnd_limited = is_cwnd_limited;
            self.max_packets_out = self.packets_out;
            self.cwnd_usage_seq = x.snd_nxt;
        }
        if self.is_cwnd_limited() {
            // "Network is feed fully."
            self.snd_cwnd_used = 0;
            self.snd_cwnd_stamp = x.now_ms;
        } else {
            // "Network starves."
            if self.packets_out > self.snd_cwnd_used {
                self.snd_cwnd_used = self.packets_out;
            }
            if sysctls.slow_start_after_idle && x.now_ms.wrapping_sub(self.snd_cwnd_stamp) as i32 >= x.rto_ms as i32 {
                self.cwnd_application_limited(x.nospace, x.now_ms);
            }
        }
    }

    /// Linux `tcp_cwnd_application_limited()` (RFC 2861): a window not
    /// filled for an RTO shrinks half-way to what was used.
    fn cwnd_application_limited(&mut self, nospace: bool, now_ms: u32) {
        if self.ca_state == CaState::Open && !nospace {
            let init_win = TCP_INIT_CWND.min(self.snd_cwnd_clamp);
            let win_used = self.snd_cwnd_used.max(init_win);
            if win_used < self.snd_cwnd {
                self.snd_ssthresh = self.current_ssthresh();
                self.set_cwnd(((u64::from(self.snd_cwnd) + u64::from(win_used)) >> 1) as u32);
            }
            self.snd_cwnd_used = 0;
        }
        self.snd_cwnd_stamp = now_ms;
    }

    /// Linux `tcp_slow_start_after_idle_check()` (called when new data is
    /// queued, `tcp_skb_entail()`, and when the peer's window changes with
    /// data queued): after more than an RTO without sending anything and
    /// with nothing outstanding, restart from the initial window
    /// (`tcp_cwnd_restart()`: halve cwnd per idle RTO, not below
    /// `min(10, cwnd)`). `lsndtime` is when data was last sent.
    pub fn slow_start_after_idle_check(&mut self, now_ms: u32, lsndtime: u32, rto_ms: u32, sysctls: &CongSysctls) {
        if !sysctls.slow_start_after_idle || self.packets_out != 0 {
            return;
        }
        let delta = now_ms.wrapping_sub(lsndtime) as i32;
        if i64::from(delta) > i64::from(rto_ms) {
            self.cwnd_restart(delta, rto_ms, now_ms);
        }
    }

    /// Linux `tcp_cwnd_restart(sk, delta)`.
    pub fn cwnd_restart(&mut self, delta: i32, rto_ms: u32, now_ms: u32) {
        let mut restart_cwnd = TCP_INIT_CWND.min(self.snd_cwnd_clamp);
        let mut cwnd = self.snd_cwnd;
        self.snd_ssthresh = self.current_ssthresh();
        restart_cwnd = restart_cwnd.min(cwnd);
        let mut delta = i64::from(delta);
        let rto = i64::from(rto_ms.max(1));
        loop {
            delta -= rto;
            if !(delta > 0 && cwnd > restart_cwnd) {
                break;
            }
            cwnd >>= 1;
        }
        self.set_cwnd(cwnd.max(restart_cwnd));
        self.snd_cwnd_stamp = now_ms;
        self.snd_cwnd_used = 0;
    }
}

/// What [`CongState::after_write_xmit`] needs besides the counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XmitDone {
    /// `snd_una`.
    pub snd_una: SeqNum,
    /// `snd_nxt` after the transmissions.
    pub snd_nxt: SeqNum,
    /// The clock (`tcp_jiffies32`, ms).
    pub now_ms: u32,
    /// `icsk_rto` in milliseconds.
    pub rto_ms: u32,
    /// `SOCK_NOSPACE`: a writer is waiting for send-buffer space.
    pub nospace: bool,
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;
    use std::vec::Vec;

    const MSS: u32 = 1000;
    const S: CongSysctls = CongSysctls::DEFAULT;

    /// A sender with `n` segments of MSS bytes out from `una`, and its
    /// queue.
    struct Flow {
        c: CongState,
        q: Vec<SegState>,
        una: u32,
        nxt: u32,
        now: u32,
    }

    impl Flow {
        fn new(cwnd: u32, n: u32) -> Self {
            let mut c = CongState::new(false, &S, 0);
            c.snd_cwnd = cwnd;
            let mut f = Flow {
                c,
                q: Vec::new(),
                una: 1000,
                nxt: 1000,
                now: 0,
            };
            f.send(n);
            f
        }

        fn send(&mut self, n: u32) {
            for _ in 0..n {
                self.c.on_new_data_sent();
                self.q.push(SegState::default());
                self.nxt += MSS;
            }
            let x = XmitDone {
                snd_una: SeqNum(self.una),
                snd_nxt: SeqNum(self.nxt),
                now_ms: self.now,
                rto_ms: 1000,
                nospace: false,
            };
            self.c.after_write_xmit(n, &x, &S);
        }

        /// An ACK for `ack` (cumulative), `dup` when it is a pure
        /// duplicate, optional timestamp echo.
        fn ack(&mut self, ack: u32, tsecr: Option<u32>) -> AckOutcome {
            self.now += 1;
            let prior = self.una;
            let mut acked = AckedSegs::default();
            let n = (ack - self.una) / MSS;
            for i in 0..n {
                let st = self.q.remove(0);
                acked.add(st, SeqNum(prior + (i + 1) * MSS), 0, false, self.c.high_seq);
            }
            self.una = ack;
            let mut flag = AckFlags::default();
            if ack != prior {
                flag.set(AckFlags::SND_UNA_ADVANCED | AckFlags::WIN_UPDATE);
            }
            let ev = AckEvent {
                prior_snd_una: SeqNum(prior),
                snd_una: SeqNum(ack),
                snd_nxt: SeqNum(self.nxt),
                flag,
                acked,
                tsecr,
                mss_cache: MSS,
                can_send_new: false,
                ack_segs: 1,
                now_ms: self.now,
            };
            self.c.on_ack(&mut self.q[..], &ev, &S)
        }

        /// Retransmits what recovery allows; returns the indexes sent.
        fn retransmit(&mut self) -> Vec<usize> {
            let mut v = Vec::new();
            while let Some(i) = self.c.next_retransmit(&mut self.q[..]) {
                self.c.on_retransmit(&mut self.q[..], i, self.now, true);
                v.push(i);
                assert!(v.len() < 1000);
            }
            v
        }

        fn check(&self) {
            assert_eq!(self.c.packets_out as usize, self.q.len());
            let lost = self.q.iter().filter(|s| s.has(SegState::LOST)).count();
            let rtx = self.q.iter().filter(|s| s.has(SegState::SACKED_RETRANS)).count();
            assert_eq!(self.c.lost_out as usize, lost);
            assert_eq!(self.c.retrans_out as usize, rtx);
            assert!(self.c.left_out() <= self.c.packets_out);
            assert!(self.c.snd_cwnd >= 1);
        }
    }

    #[test]
    fn reno_primitives() {
        let mut c = CongState::new(false, &S, 0);
        assert_eq!((c.snd_cwnd, c.snd_ssthresh, c.reordering), (10, TCP_INFINITE_SSTHRESH, 3));
        assert_eq!(CongState::new(true, &S, 0).snd_cwnd, 1);
        // Slow start: +acked, capped at ssthresh, leftover returned.
        c.snd_ssthresh = 14;
        assert_eq!(c.slow_start(3), 0);
        assert_eq!(c.snd_cwnd, 13);
        assert_eq!(c.slow_start(3), 2);
        assert_eq!(c.snd_cwnd, 14);
        // Clamp.
        c.snd_cwnd_clamp = 12;
        c.snd_cwnd = 10;
        assert_eq!(c.slow_start(5), 1);
        assert_eq!(c.snd_cwnd, 12);
        // AI: one per w.
        let mut c = CongState::new(false, &S, 0);
        c.snd_cwnd = 20;
        for _ in 0..19 {
            c.cong_avoid_ai(20, 1);
        }
        assert_eq!((c.snd_cwnd, c.snd_cwnd_cnt), (20, 19));
        c.cong_avoid_ai(20, 1);
        assert_eq!((c.snd_cwnd, c.snd_cwnd_cnt), (21, 0));
        // Stretch ACK of 45 at w = 21: +2, 3 left.
        c.cong_avoid_ai(21, 45);
        assert_eq!((c.snd_cwnd, c.snd_cwnd_cnt), (23, 3));
        // Credits from a higher w applied gently.
        c.snd_cwnd_cnt = 30;
        c.cong_avoid_ai(23, 0);
        assert_eq!((c.snd_cwnd, c.snd_cwnd_cnt), (24, 0));
        c.cong_avoid_ai(0, 5);
        assert!(c.snd_cwnd >= 24);
        // ssthresh and undo.
        let mut c = CongState::new(false, &S, 0);
        c.snd_cwnd = 3;
        assert_eq!(c.reno_ssthresh(), 2);
        c.snd_cwnd = 41;
        assert_eq!(c.reno_ssthresh(), 20);
        c.prior_cwnd = 50;
        assert_eq!(c.reno_undo_cwnd(), 50);
        c.prior_cwnd = 5;
        assert_eq!(c.reno_undo_cwnd(), 41);
        // current_ssthresh: 3/4 cwnd outside reductions.
        c.snd_ssthresh = 10;
        assert_eq!(c.current_ssthresh(), 30);
        c.ca_state = CaState::Recovery;
        assert_eq!(c.current_ssthresh(), 10);
    }

    #[test]
    fn reno_growth_needs_cwnd_limited() {
        let mut c = CongState::new(false, &S, 0);
        // Not cwnd limited, nothing was ever out: no growth.
        c.reno_cong_avoid(2);
        assert_eq!(c.snd_cwnd, 10);
        // In slow start "cwnd < 2 * max_packets_out" counts as limited.
        c.max_packets_out = 6;
        c.reno_cong_avoid(2);
        assert_eq!(c.snd_cwnd, 12);
        c.max_packets_out = 5;
        c.reno_cong_avoid(2);
        assert_eq!(c.snd_cwnd, 12);
        c.is_cwnd_limited = true;
        c.snd_ssthresh = 13;
        // Crosses ssthresh: 1 to slow start, 2 left for AI.
        c.reno_cong_avoid(3);
        assert_eq!((c.snd_cwnd, c.snd_cwnd_cnt), (13, 2));
    }

    #[test]
    fn slow_start_through_acks() {
        let mut f = Flow::new(10, 10);
        assert!(f.c.is_cwnd_limited);
        assert_eq!(f.c.max_packets_out, 10);
        // Delayed ACKs, two segments each: +2 per ACK.
        for i in 1..=5 {
            let o = f.ack(1000 + 2 * MSS * i, None);
            assert_eq!(o.rexmit, Rexmit::None);
            assert!(o.set_xmit_timer);
            assert_eq!(o.num_dupack, 0);
        }
        assert_eq!(f.c.snd_cwnd, 20);
        assert_eq!(f.c.delivered, 10);
        assert_eq!(f.c.ca_state, CaState::Open);
        f.check();
    }

    /// cwnd 10, 10 segments out, the first lost: the dupack sequence of a
    /// Linux 6.12 NewReno sender with PRR.
    #[test]
    fn fast_retransmit_and_prr() {
        let mut f = Flow::new(10, 10);
        let o = f.ack(1000, None);
        assert_eq!((o.num_dupack, o.rexmit), (1, Rexmit::None));
        assert_eq!((f.c.ca_state, f.c.sacked_out, f.c.high_seq), (CaState::Disorder, 1, SeqNum(11000)));
        f.ack(1000, None);
        assert_eq!((f.c.ca_state, f.c.sacked_out), (CaState::Disorder, 2));
        assert_eq!(f.c.snd_cwnd, 10);
        // Third duplicate: head lost, Recovery, ssthresh 5.
        let o = f.ack(1000, None);
        assert_eq!(o.rexmit, Rexmit::Lost);
        assert_eq!(f.c.ca_state, CaState::Recovery);
        assert_eq!((f.c.snd_ssthresh, f.c.prior_cwnd, f.c.prior_ssthresh), (5, 10, TCP_INFINITE_SSTHRESH));
        assert_eq!((f.c.lost_out, f.c.undo_marker, f.c.undo_retrans), (1, 1000, -1));
        // PRR: in flight 10 - 3 - 1 = 6 > ssthresh: ceil(5 * 1 / 10) = 1
        // -> cwnd 7, room for the fast retransmission of the head.
        assert_eq!(f.c.snd_cwnd, 7);
        assert_eq!(f.c.packets_in_flight(), 6);
        assert_eq!(f.retransmit(), vec![0]);
        assert_eq!((f.c.retrans_out, f.c.prr_out, f.c.retrans_stamp), (1, 1, 3));
        assert_eq!(f.retransmit(), Vec::<usize>::new());
        f.check();
        // Four more duplicates (segments 5..8): prr_delivered 2..5;
        // sndcnt = ceil(5 * d / 10) - 1 -> 0, 1 (d=3: 2-1), ...
        let mut cwnds = Vec::new();
        for _ in 0..4 {
            let o = f.ack(1000, None);
            assert_eq!(o.rexmit, Rexmit::Lost);
            cwnds.push((f.c.packets_in_flight(), f.c.snd_cwnd));
            // Send new data as cwnd allows (one segment each time room).
            while f.c.packets_in_flight() < f.c.snd_cwnd {
                f.send(1);
            }
        }
        // Dupack 4 (prr_delivered 2): sacked 4, lost 1, retrans 1: in
        // flight 6 > ssthresh: ceil(5 * 2 / 10) - prr_out 1 = 0 -> cwnd 6.
        assert_eq!(cwnds[0], (6, 6));
        // Dupack 5: in flight 5 = ssthresh: min(delta 0, ...) = 0 -> 5.
        assert_eq!(cwnds[1], (5, 5));
        // Below ssthresh PRR slow-starts: one new segment per duplicate.
        assert_eq!(cwnds[2], (4, 5));
        assert_eq!(cwnds[3], (4, 5));
        assert_eq!(f.c.prr_out, 3);
        assert_eq!(f.nxt, 13000);
        f.check();
        assert_eq!(f.c.high_seq, SeqNum(11000));
        // Full ACK of everything up to high_seq and beyond: exit Recovery,
        // cwnd = ssthresh; the same ACK then grows it in congestion
        // avoidance by 4/5 of a segment (credit only).
        let o = f.ack(11000 + MSS, None);
        assert_eq!(f.c.ca_state, CaState::Open);
        assert_eq!((f.c.snd_cwnd, f.c.snd_cwnd_cnt), (5, 4));
        assert_eq!(o.rexmit, Rexmit::None);
        assert_eq!(f.c.sacked_out, 0);
        f.check();
    }

    #[test]
    fn partial_ack_retransmits_next_hole() {
        let mut f = Flow::new(10, 10);
        for _ in 0..3 {
            f.ack(1000, None);
        }
        assert_eq!(f.retransmit(), vec![0]);
        // Segments 1 and 4 were lost: the retransmission of 1 yields a
        // partial ACK up to 4 (2 and 3 arrived).
        for _ in 0..5 {
            f.ack(1000, None);
        }
        let o = f.ack(1000 + 3 * MSS, None);
        assert_eq!(f.c.ca_state, CaState::Recovery);
        assert_eq!(o.rexmit, Rexmit::Lost);
        // New head marked lost and retransmitted.
        assert!(f.q[0].has(SegState::LOST));
        assert_eq!(f.c.lost_out, 1);
        assert_eq!(f.retransmit(), vec![0]);
        assert!(o.set_xmit_timer);
        f.check();
        // Ack exactly at high_seq: held in Recovery (RFC 6582).
        let o = f.ack(11000, None);
        assert_eq!(f.c.ca_state, CaState::Recovery);
        assert_eq!(o.rexmit, Rexmit::None);
        assert_eq!(f.c.packets_out, 0);
        // Something above high_seq: Open with cwnd = ssthresh.
        f.send(2);
        f.ack(11000 + MSS, None);
        assert_eq!((f.c.ca_state, f.c.snd_cwnd), (CaState::Open, 5));
        f.check();
    }

    #[test]
    fn eifel_undo_of_recovery() {
        // Reordering, not loss: the delayed original arrives, the full ACK
        // echoes a timestamp older than the fast retransmission.
        let mut f = Flow::new(10, 10);
        for _ in 0..3 {
            f.ack(1000, None);
        }
        f.now = 100;
        assert_eq!(f.retransmit(), vec![0]);
        assert_eq!(f.c.retrans_stamp, 100);
        f.send(1);
        let o = f.ack(f.nxt, Some(50));
        assert_eq!(f.c.ca_state, CaState::Open);
        // cwnd back to max(cwnd, prior_cwnd) = 10, ssthresh restored; then
        // the same ACK slow-starts by the 8 segments it newly delivered
        // (11 acknowledged, 3 already counted by duplicate ACKs).
        assert_eq!((f.c.snd_cwnd, f.c.snd_ssthresh), (18, TCP_INFINITE_SSTHRESH));
        assert_eq!(f.c.undo_marker, 0);
        assert_eq!(o.rexmit, Rexmit::None);
        // Without the echo the reduction stands.
        let mut g = Flow::new(10, 10);
        for _ in 0..3 {
            g.ack(1000, None);
        }
        g.now = 100;
        g.retransmit();
        g.send(1);
        g.ack(g.nxt, Some(150));
        // cwnd = ssthresh = 5, then +1 for 8 delivered in avoidance.
        assert_eq!((g.c.ca_state, g.c.snd_cwnd, g.c.snd_ssthresh, g.c.snd_cwnd_cnt), (CaState::Open, 6, 5, 3));
    }

    #[test]
    fn partial_undo_on_delayed_packet() {
        let mut f = Flow::new(10, 10);
        for _ in 0..3 {
            f.ack(1000, None);
        }
        f.now = 100;
        f.retransmit();
        // Partial ACK echoing a timestamp from before the retransmission:
        // the hole was filled by the delayed original. Reordering grows to
        // the 4 segments acknowledged, the reduction is undone, Open, and
        // (reordering above the sysctl) cwnd grows on forward progress:
        // 10 + 1 delivered.
        let o = f.ack(1000 + 4 * MSS, Some(50));
        assert_eq!((f.c.reordering, f.c.reord_seen), (4, 1));
        assert_eq!(f.c.ca_state, CaState::Open);
        assert_eq!((f.c.snd_cwnd, f.c.snd_ssthresh, f.c.lost_out), (11, TCP_INFINITE_SSTHRESH, 0));
        assert_eq!((o.rexmit, f.c.retrans_stamp), (Rexmit::None, 0));
        f.check();
    }

    #[test]
    fn timeout_and_loss_recovery() {
        let mut f = Flow::new(20, 8);
        f.c.snd_ssthresh = 30;
        f.c.enter_loss(&mut f.q[..], SeqNum(f.una), SeqNum(f.nxt), 0, &S, 5);
        assert_eq!(f.c.ca_state, CaState::Loss);
        assert_eq!((f.c.snd_cwnd, f.c.snd_ssthresh, f.c.prior_ssthresh, f.c.prior_cwnd), (1, 10, 30, 20));
        assert_eq!((f.c.lost_out, f.c.high_seq, f.c.undo_marker), (8, SeqNum(f.nxt), 1000));
        assert!(f.c.frto);
        f.check();
        // The timer retransmits the head.
        f.c.on_retransmit(&mut f.q[..], 0, 5, true);
        assert_eq!(f.c.packets_in_flight(), 1);
        // A second timeout in the same episode: ssthresh not halved again.
        f.c.enter_loss(&mut f.q[..], SeqNum(f.una), SeqNum(f.nxt), 1, &S, 10);
        assert_eq!((f.c.snd_ssthresh, f.c.snd_cwnd, f.c.retrans_out), (10, 1, 0));
        f.c.on_retransmit(&mut f.q[..], 0, 10, true);
        f.check();
        // ACK of the head (retransmitted: no F-RTO undo); F-RTO step 2b
        // would send new data, but there is none: slow start retransmits.
        let o = f.ack(1000 + MSS, None);
        assert_eq!(o.rexmit, Rexmit::Lost);
        assert!(!f.c.frto);
        assert_eq!(f.c.snd_cwnd, 2);
        assert_eq!(f.retransmit(), vec![0, 1]);
        let o = f.ack(1000 + 3 * MSS, None);
        assert_eq!(f.c.snd_cwnd, 4);
        assert_eq!(o.rexmit, Rexmit::Lost);
        assert_eq!(f.retransmit(), vec![0, 1, 2, 3]);
        f.check();
        // Everything acknowledged: back to Open; the 6 segments grow cwnd
        // in slow start, up to ssthresh.
        let end = f.nxt;
        f.send(1);
        f.ack(end + MSS, None);
        assert_eq!(f.c.ca_state, CaState::Open);
        assert_eq!(f.c.snd_cwnd, 10);
        f.check();
    }

    #[test]
    fn frto_detects_spurious_timeout() {
        let mut f = Flow::new(10, 6);
        f.c.enter_loss(&mut f.q[..], SeqNum(f.una), SeqNum(f.nxt), 0, &S, 5);
        f.c.on_retransmit(&mut f.q[..], 0, 5, true);
        // First ACK acks the (original) head: F-RTO 2b: send new data.
        let mut o;
        {
            let prior = f.una;
            let mut acked = AckedSegs::default();
            let st = f.q.remove(0);
            acked.add(st, SeqNum(prior + MSS), 0, false, f.c.high_seq);
            f.una += MSS;
            let ev = AckEvent {
                prior_snd_una: SeqNum(prior),
                snd_una: SeqNum(f.una),
                snd_nxt: SeqNum(f.nxt),
                flag: AckFlags(AckFlags::SND_UNA_ADVANCED),
                acked,
                tsecr: None,
                mss_cache: MSS,
                can_send_new: true,
                ack_segs: 1,
                now_ms: 6,
            };
            o = f.c.on_ack(&mut f.q[..], &ev, &S);
        }
        assert_eq!(o.rexmit, Rexmit::New);
        assert_eq!(f.c.high_seq, SeqNum(f.nxt));
        f.send(2);
        assert!(!f.c.frto_new_data_sent(SeqNum(f.nxt)));
        // Next ACK covers never-retransmitted data: spurious, undo.
        o = f.ack(1000 + 3 * MSS, None);
        assert_eq!(f.c.ca_state, CaState::Open);
        // cwnd undone to 10, then slow start for the 2 segments.
        assert_eq!((f.c.snd_cwnd, f.c.snd_ssthresh, f.c.lost_out), (12, TCP_INFINITE_SSTHRESH, 0));
        assert!(f.q.iter().all(|s| !s.has(SegState::LOST)));
        let _ = o;
        f.check();
    }

    #[test]
    fn reordering_detection_by_excess_dupacks() {
        // 2 segments out, 2 duplicate ACKs: more than can be explained
        // besides the hole.
        let mut f = Flow::new(10, 2);
        f.ack(1000, None);
        f.ack(1000, None);
        // sacked_out limited to packets_out - holes = 1; reordering = 2.
        assert_eq!((f.c.sacked_out, f.c.reordering), (1, 2));
        f.check();
    }

    #[test]
    fn ecn_echo_enters_cwr() {
        let mut f = Flow::new(10, 10);
        f.c.ecn_ok = true;
        let prior = f.una;
        let mut acked = AckedSegs::default();
        acked.add(f.q.remove(0), SeqNum(prior + MSS), 0, false, f.c.high_seq);
        f.una += MSS;
        let ev = AckEvent {
            prior_snd_una: SeqNum(prior),
            snd_una: SeqNum(f.una),
            snd_nxt: SeqNum(f.nxt),
            flag: AckFlags(AckFlags::SND_UNA_ADVANCED | AckFlags::ECE),
            acked,
            tsecr: None,
            mss_cache: MSS,
            can_send_new: false,
            ack_segs: 1,
            now_ms: 1,
        };
        f.c.on_ack(&mut f.q[..], &ev, &S);
        assert_eq!(f.c.ca_state, CaState::Cwr);
        assert_eq!((f.c.snd_ssthresh, f.c.prior_ssthresh, f.c.undo_marker), (5, 0, 0));
        assert!(f.c.ecn_queue_cwr);
        // CWR ends strictly above high_seq with cwnd = ssthresh (5), then
        // the 10 acknowledged segments add 2 in congestion avoidance.
        f.send(1);
        f.ack(f.nxt, None);
        assert_eq!((f.c.ca_state, f.c.snd_cwnd), (CaState::Open, 7));
    }

    #[test]
    fn retransmit_accounting() {
        let mut c = CongState::new(false, &S, 0);
        let mut q = [SegState(SegState::LOST), SegState(SegState::LOST), SegState::default()];
        c.packets_out = 3;
        c.lost_out = 2;
        c.snd_cwnd = 1;
        // cwnd 1, in flight 1: no room.
        assert_eq!(c.next_retransmit(&mut q[..]), None);
        c.snd_cwnd = 3;
        assert_eq!(c.next_retransmit(&mut q[..]), Some(0));
        // A failed attempt: EVER_RETRANS and retrans_stamp, no retrans_out.
        assert!(c.on_retransmit(&mut q[..], 0, 77, false));
        assert_eq!((q[0], c.retrans_out, c.retrans_stamp, c.undo_retrans), (SegState(0x84), 0, 77, 1));
        assert!(!c.on_retransmit(&mut q[..], 1, 80, true));
        assert_eq!((q[1], c.retrans_out, c.retrans_stamp), (SegState(0x96), 1, 77));
        assert!(!c.on_retransmit(&mut q[..], 9, 80, true));
        assert_eq!(c.total_retrans, 2);
        // Lost again while retransmitted: retrans mark dropped.
        let mut s = q[1];
        c.mark_skb_lost(&mut s);
        assert_eq!((s, c.retrans_out, c.lost_out), (SegState(0x94), 0, 2));
        // Acked-segment summary and Karn.
        let mut a = AckedSegs::default();
        a.add(SegState::default(), SeqNum(10), 100, false, SeqNum(5));
        a.add(SegState::default(), SeqNum(20), 200, false, SeqNum(5));
        assert_eq!(a.seq_rtt_us(1000), Some(900));
        assert_eq!(a.ca_rtt_us(1000), Some(800));
        assert!(!a.flag.has(AckFlags::ORIG_SACK_ACKED));
        a.add(SegState(0x96), SeqNum(30), 300, false, SeqNum(50));
        assert_eq!(a.seq_rtt_us(1000), None);
        assert_eq!((a.pkts_acked, a.lost, a.retrans), (3, 1, 1));
        let mut b = AckedSegs::default();
        b.add(SegState::default(), SeqNum(10), 100, true, SeqNum(50));
        assert!(b.flag.has(AckFlags::SYN_ACKED | AckFlags::ORIG_SACK_ACKED));
        assert!(!b.flag.has(AckFlags::DATA_ACKED));
    }

    #[test]
    fn cwnd_restart_after_idle() {
        let mut c = CongState::new(false, &S, 0);
        c.snd_cwnd = 80;
        c.snd_ssthresh = 40;
        // Idle 2.5 RTOs: halved twice (80 -> 20), ssthresh 3/4 * 80 = 60.
        c.slow_start_after_idle_check(2500, 0, 1000, &S);
        assert_eq!((c.snd_cwnd, c.snd_ssthresh), (20, 60));
        // Not idle long enough: unchanged.
        c.slow_start_after_idle_check(4000, 3500, 1000, &S);
        assert_eq!(c.snd_cwnd, 20);
        // Long idle: down to the initial window.
        c.slow_start_after_idle_check(100_000, 0, 1000, &S);
        assert_eq!(c.snd_cwnd, 10);
        // Outstanding data: no restart.
        c.snd_cwnd = 80;
        c.packets_out = 1;
        c.slow_start_after_idle_check(100_000, 0, 1000, &S);
        assert_eq!(c.snd_cwnd, 80);
    }

    #[test]
    fn application_limited_shrinks_cwnd() {
        let mut c = CongState::new(false, &S, 0);
        c.snd_cwnd = 40;
        c.packets_out = 4;
        c.max_packets_out = 4;
        c.snd_ssthresh = 20;
        let x = XmitDone {
            snd_una: SeqNum(0),
            snd_nxt: SeqNum(4000),
            now_ms: 1500,
            rto_ms: 1000,
            nospace: false,
        };
        c.after_write_xmit(1, &x, &S);
        // Used at most 10 (init window floor): cwnd (40 + 10) / 2 = 25,
        // ssthresh max(20, 30) = 30.
        assert_eq!((c.snd_cwnd, c.snd_ssthresh, c.snd_cwnd_used, c.snd_cwnd_stamp), (25, 30, 0, 1500));
        // A blocked writer prevents it.
        let mut d = CongState::new(false, &S, 0);
        d.snd_cwnd = 40;
        d.packets_out = 4;
        d.snd_ssthresh = 20;
        d.after_write_xmit(1, &XmitDone { nospace: true, ..x }, &S);
        assert_eq!((d.snd_cwnd, d.snd_cwnd_used), (40, 4));
        // cwnd-limited: usage recorded.
        let mut e = CongState::new(false, &S, 0);
        e.packets_out = 10;
        e.after_write_xmit(10, &x, &S);
        assert!(e.is_cwnd_limited && e.is_cwnd_limited());
        assert_eq!((e.max_packets_out, e.cwnd_usage_seq), (10, SeqNum(4000)));
    }

    #[test]
    fn no_queue_ack_is_ignored() {
        let mut c = CongState::new(false, &S, 0);
        let before = c;
        let ev = AckEvent {
            prior_snd_una: SeqNum(1),
            snd_una: SeqNum(1),
            snd_nxt: SeqNum(1),
            flag: AckFlags::default(),
            acked: AckedSegs::default(),
            tsecr: None,
            mss_cache: MSS,
            can_send_new: false,
            ack_segs: 1,
            now_ms: 1,
        };
        let o = c.on_ack(&mut [][..], &ev, &S);
        assert_eq!(o.rexmit, Rexmit::None);
        assert!(!o.set_xmit_timer);
        assert_eq!(c, before);
    }
}
