// SPDX-License-Identifier: GPL-2.0

//! The transmit decisions of a synchronised connection (net/ipv4/tcp_output.c
//! and the send half of tcp_input.c / tcp.c):
//!
//! * what `tcp_write_xmit()` may send now: `tcp_cwnd_test()`,
//!   `tcp_snd_wnd_test()`, `tcp_nagle_test()`/`tcp_nagle_check()` with
//!   Minshall's variant (`tcp_minshall_check()`/`_update()`) and
//!   `tcp_mss_split_point()` ([`SendSeq::write_xmit_next`]);
//! * PSH marking (`forced_push()`, `tcp_mark_push()`, `tcp_push()`) and the
//!   Nagle/TCP_NODELAY/TCP_CORK state (`tp->nonagle`, [`Nagle`]);
//! * the zero-window probe (persist) timer: `tcp_probe_timer()`,
//!   `tcp_send_probe0()`, `tcp_write_wakeup()`, `tcp_probe0_when()`,
//!   `tcp_ack_probe()`, `tcp_check_probe_timer()` ([`Persist`]);
//! * `tcp_ack()`'s acceptance of an ACK and the send-window update
//!   (`tcp_may_update_window()`, `tcp_ack_update_window()`,
//!   `tcp_snd_una_update()`) ([`SendSeq::tcp_ack`]);
//! * how much of a segment a retransmission may carry
//!   (`__tcp_retransmit_skb()`, [`retransmit_len`]);
//! * send-buffer accounting: `tcp_stream_memory_free()`,
//!   `tcp_should_expand_sndbuf()`, `tcp_sndbuf_expand()`, `tcp_new_space()`
//!   and `tcp_check_space()` ([`check_space`]); the generic socket rules
//!   are in [`super::sock`].
//!
//! # The stream model
//!
//! Linux queues unsent data in skbs and, in 6.12, grows the skb at the send
//! head to as many segments as cwnd allows (`tcp_grow_skb()`) before
//! deciding; with GSO the decision is per skb, and its wire effect per
//! segment. This module sees the unsent data as one byte stream from
//! `snd_nxt` to `write_seq` (with a FIN at the end if one is queued) and
//! applies Linux's per-skb rules to the skb `tcp_write_xmit()` would build
//! from it. The result is a chunk of at most `quota * mss` bytes that the
//! caller cuts into segments of `mss_now`. Deliberate differences:
//! `tcp_tso_should_defer()` (TSO/GSO batching that delays a send for up to
//! a millisecond), pacing, TSQ (`tcp_small_queue_check()`), autocorking,
//! MTU probing and urgent data are not modelled.
//!
//! Sequence arithmetic is modulo 2^32 throughout ([`SeqNum`]).

use super::inet_connection_sock::TCP_RTO_MAX_MS;
use super::seq::SeqNum;
use super::sock::SkbOverhead;
use super::tcp_cong::AckFlags;
use super::tcp_rtt::{jiffies_to_msecs, msecs_to_jiffies, tcp_orphan_retries, RtoState, TCP_RTO_MIN_MS};
use super::tcp_timer::{TCP_RESOURCE_PROBE_INTERVAL_MS, TCP_TIMEOUT_MIN_JIFFIES};
use super::tcp_window::TCP_INIT_CWND;

/// `ilog2(TCP_RTO_MAX / TCP_RTO_MIN) + 1`: the most `tcp_probe0_when()`
/// shifts.
const PROBE0_MAX_SHIFT: u8 = 10;

/// `tp->nonagle`: the Nagle state (`TCP_NAGLE_*` bits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Nagle(pub u8);

impl Nagle {
    /// `TCP_NAGLE_OFF`: TCP_NODELAY.
    pub const OFF: u8 = 1;
    /// `TCP_NAGLE_CORK`: TCP_CORK (or MSG_MORE for one push).
    pub const CORK: u8 = 2;
    /// `TCP_NAGLE_PUSH`: send what is queued now, overriding cork.
    pub const PUSH: u8 = 4;

    /// True when any of `bits` is set.
    #[inline]
    pub const fn has(self, bits: u8) -> bool {
        self.0 & bits != 0
    }

    /// `__tcp_sock_set_nodelay()`: on sets `OFF | PUSH` (and Linux then
    /// pushes pending frames), off clears `OFF`.
    pub fn set_nodelay(&mut self, on: bool) {
        if on {
            self.0 |= Self::OFF | Self::PUSH;
        } else {
            self.0 &= !Self::OFF;
        }
    }

    /// `__tcp_sock_set_cork()`: on sets `CORK`; off clears it, sets `PUSH`
    /// if TCP_NODELAY is on (Linux then pushes pending frames).
    pub fn set_cork(&mut self, on: bool) {
        if on {
            self.0 |= Self::CORK;
        } else {
            self.0 &= !Self::CORK;
            if self.has(Self::OFF) {
                self.0 |= Self::PUSH;
            }
        }
    }

    /// `tcp_skb_entail()`: a new skb is queued: `PUSH` is cleared.
    pub fn on_entail(&mut self) {
        self.0 &= !Self::PUSH;
    }

    /// The `nonagle` argument `tcp_push()` passes to
    /// `__tcp_push_pending_frames()`: `CORK` for MSG_MORE, else the
    /// socket's.
    #[inline]
    pub const fn for_push(self, msg_more: bool) -> Nagle {
        if msg_more {
            Nagle(Self::CORK)
        } else {
            self
        }
    }
}

/// Linux `tcp_nagle_check(partial, tp, nonagle)`: true when Nagle (or
/// cork) holds back a segment: it is `partial` (less than an MSS) and
/// either corked, or Nagle is on (`nonagle == 0`) with data in flight and
/// a small segment still unacknowledged (`minshall`, Minshall's variant:
/// only sub-MSS segments block).
#[inline]
pub const fn nagle_check(partial: bool, nonagle: Nagle, packets_out: u32, minshall: bool) -> bool {
    partial && (nonagle.has(Nagle::CORK) || (nonagle.0 == 0 && packets_out != 0 && minshall))
}

/// Linux `tcp_cwnd_test()`: how many segments cwnd allows now; at most
/// half of cwnd per skb ("ensure we have at least 2 GSO packets in
/// flight"), 0 when the window is full.
#[inline]
pub const fn cwnd_test(in_flight: u32, cwnd: u32) -> u32 {
    if in_flight >= cwnd {
        return 0;
    }
    let half = if cwnd >> 1 > 1 { cwnd >> 1 } else { 1 };
    let room = cwnd - in_flight;
    if half < room {
        half
    } else {
        room
    }
}

/// Inputs of [`SendSeq::write_xmit_next`] besides the sequence state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XmitParams {
    /// `mss_now` (`tcp_current_mss()`).
    pub mss_now: u32,
    /// `snd_cwnd`.
    pub cwnd: u32,
    /// `tcp_packets_in_flight()`.
    pub in_flight: u32,
    /// `packets_out`.
    pub packets_out: u32,
    /// The `nonagle` argument of `tcp_write_xmit()`.
    pub nonagle: Nagle,
}

/// A piece of the unsent stream to transmit now: `len` data bytes from
/// `seq` (= `snd_nxt`), then a FIN if `fin`, cut by the caller into
/// `segs` segments of `mss_now` (the last one possibly shorter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XmitChunk {
    /// First sequence number (`snd_nxt`).
    pub seq: SeqNum,
    /// Data bytes.
    pub len: u32,
    /// The FIN goes with the last segment.
    pub fin: bool,
    /// Number of segments (`tcp_skb_pcount()`), at least 1.
    pub segs: u32,
}

impl XmitChunk {
    /// Sequence space consumed (data plus FIN).
    #[inline]
    pub const fn seq_len(&self) -> u32 {
        self.len.saturating_add(self.fin as u32)
    }

    /// The end sequence number (`end_seq`).
    #[inline]
    pub const fn end_seq(&self) -> SeqNum {
        self.seq.wrapping_add(self.seq_len())
    }
}

/// What `tcp_write_xmit()` does next ([`SendSeq::write_xmit_next`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Xmit {
    /// Send this chunk, then [`SendSeq::on_sent`] and account each segment
    /// (`tcp_event_new_data_sent()`,
    /// [`super::tcp_cong::CongState::on_new_data_sent`]), and ask again.
    Send(XmitChunk),
    /// Nothing unsent (`tcp_send_head()` is NULL).
    Idle,
    /// cwnd is full (`tcp_cwnd_test()` == 0).
    CwndLimited,
    /// The first segment does not fit in the peer's window
    /// (`tcp_snd_wnd_test()`; `is_rwnd_limited`).
    RwndLimited,
    /// Held back by Nagle or cork (`tcp_nagle_test()`).
    Nagle,
}

/// The send-side sequence state of `tcp_sock`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendSeq {
    /// `snd_una`: oldest unacknowledged sequence number.
    pub snd_una: SeqNum,
    /// `snd_nxt`: next sequence number to send.
    pub snd_nxt: SeqNum,
    /// `write_seq`: end of the data queued by the application, plus one
    /// for a queued FIN.
    pub write_seq: SeqNum,
    /// A FIN ends the queue (`tcp_send_fin()` ran): `write_seq - 1` is its
    /// sequence number.
    pub fin_queued: bool,
    /// `snd_wnd`: the peer's window in bytes (scaled).
    pub snd_wnd: u32,
    /// `snd_wl1`: sequence number of the segment that last updated it.
    pub snd_wl1: SeqNum,
    /// `max_window`: the largest window the peer offered.
    pub max_window: u32,
    /// `rx_opt.snd_wscale`: the peer's window scale.
    pub snd_wscale: u8,
    /// `snd_sml`: end of the last sub-MSS segment sent (Minshall).
    pub snd_sml: SeqNum,
    /// `pushed_seq`: `write_seq` at the last PSH mark.
    pub pushed_seq: SeqNum,
    /// `bytes_acked`: bytes (and SYN) acknowledged so far.
    pub bytes_acked: u64,
    /// `rcv_tstamp`: when the last acceptable ACK arrived (ms clock).
    pub rcv_tstamp: u32,
}

impl SendSeq {
    /// The state at establishment: everything at `snd_una`, the window as
    /// `tcp_ack()` of the handshake left it (`snd_wl1` = the peer's ISN,
    /// `max_window` = `snd_wnd`), one byte (the SYN) acknowledged.
    pub const fn new(snd_una: SeqNum, snd_wnd: u32, snd_wl1: SeqNum, snd_wscale: u8, now_ms: u32) -> Self {
        Self {
            snd_una,
            snd_nxt: snd_una,
            write_seq: snd_una,
            fin_queued: false,
            snd_wnd,
            snd_wl1,
            max_window: snd_wnd,
            snd_wscale,
            snd_sml: snd_una,
            pushed_seq: snd_una,
            bytes_acked: 1,
            rcv_tstamp: now_ms,
        }
    }

    /// `tcp_wnd_end()`: `snd_una + snd_wnd`.
    #[inline]
    pub const fn wnd_end(&self) -> SeqNum {
        self.snd_una.wrapping_add(self.snd_wnd)
    }

    /// Sequence space queued but not sent (data plus an unsent FIN).
    #[inline]
    pub const fn unsent_seq(&self) -> u32 {
        let d = self.write_seq.distance(self.snd_nxt);
        if d > 0 {
            d as u32
        } else {
            0
        }
    }

    /// The FIN is queued and not yet sent.
    #[inline]
    pub const fn fin_unsent(&self) -> bool {
        self.fin_queued && self.unsent_seq() > 0
    }

    /// Data bytes queued but not sent.
    #[inline]
    pub const fn unsent_data(&self) -> u32 {
        self.unsent_seq() - self.fin_unsent() as u32
    }

    /// `tcp_write_queue_empty()`.
    #[inline]
    pub const fn write_queue_empty(&self) -> bool {
        self.unsent_seq() == 0
    }

    /// `tcp_notsent` bytes for `tcp_stream_memory_free()`: `write_seq -
    /// snd_nxt`.
    #[inline]
    pub const fn notsent_bytes(&self) -> u32 {
        self.write_seq.0.wrapping_sub(self.snd_nxt.0)
    }

    /// The application queued `len` more bytes (`tcp_sendmsg()`).
    pub fn queue_data(&mut self, len: u32) {
        self.write_seq = self.write_seq.wrapping_add(len);
    }

    /// `tcp_send_fin()`: a FIN is queued after the data (once).
    pub fn queue_fin(&mut self) {
        if !self.fin_queued {
            self.fin_queued = true;
            self.write_seq = self.write_seq.wrapping_add(1);
        }
    }

    /// `tcp_minshall_check()`: a sub-MSS segment is still unacknowledged.
    #[inline]
    pub const fn minshall_check(&self) -> bool {
        self.snd_sml.after(self.snd_una) && !self.snd_sml.after(self.snd_nxt)
    }

    /// The first segment `tcp_write_xmit()` would try, as `(data bytes,
    /// fin)`: at most `mss` bytes, with the FIN if it is all that is left.
    pub const fn head_segment(&self, mss: u32) -> (u32, bool) {
        let data = self.unsent_data();
        if data <= mss {
            (data, self.fin_unsent())
        } else {
            (mss, false)
        }
    }

    /// One round of Linux `tcp_write_xmit(sk, mss_now, nonagle, 0)` on the
    /// stream model: the chunk that may be sent now, or why not.
    ///
    /// 1. `tcp_cwnd_test()`: `quota` segments (at most half of cwnd).
    /// 2. The send-head skb, grown to `quota * mss` bytes
    ///    (`tcp_grow_skb()`); it is the queue's tail when it holds all that
    ///    is unsent (then it carries the FIN, if queued).
    /// 3. `tcp_snd_wnd_test()`: its first segment (`min(len, mss)` plus the
    ///    FIN) must lie within `snd_una + snd_wnd`.
    /// 4. A one-segment skb must pass `tcp_nagle_test()` (only as the tail:
    ///    earlier skbs cannot grow and are pushed): a full segment or a FIN
    ///    goes; a partial one waits if corked, or with Nagle on while a
    ///    sub-MSS segment is unacknowledged.
    /// 5. A larger skb is cut by `tcp_mss_split_point()`: to the window, and
    ///    if the tail of that is a partial segment Nagle would hold, to the
    ///    last full segment.
    pub fn write_xmit_next(&self, p: &XmitParams) -> Xmit {
        let unsent = self.unsent_seq();
        if unsent == 0 {
            return Xmit::Idle;
        }
        let mss = p.mss_now.max(1);
        let fin_pending = self.fin_unsent();
        let data = unsent - fin_pending as u32;
        let quota = cwnd_test(p.in_flight, p.cwnd);
        if quota == 0 {
            return Xmit::CwndLimited;
        }
        let max_len = u64::from(quota) * u64::from(mss);
        let (len, last) = if u64::from(data) <= max_len {
            (data, true)
        } else {
            (max_len as u32, false)
        };
        let fin = last && fin_pending;
        let wnd_end = self.wnd_end();
        // tcp_snd_wnd_test()
        let first_end = if len > mss {
            self.snd_nxt.wrapping_add(mss)
        } else {
            self.snd_nxt.wrapping_add(len + fin as u32)
        };
        if first_end.after(wnd_end) {
            return Xmit::RwndLimited;
        }
        let segs = tso_segs(len, mss);
        if segs == 1 {
            let nonagle = if last { p.nonagle } else { Nagle(Nagle::PUSH) };
            // tcp_nagle_test(): PUSH, FIN, or !tcp_nagle_check().
            let ok = nonagle.has(Nagle::PUSH)
                || fin
                || !nagle_check(len < mss, nonagle, p.packets_out, self.minshall_check());
            if !ok {
                return Xmit::Nagle;
            }
            return Xmit::Send(XmitChunk {
                seq: self.snd_nxt,
                len,
                fin,
                segs: 1,
            });
        }
        // tcp_mss_split_point()
        let window = wnd_end.0.wrapping_sub(self.snd_nxt.0);
        let max_len = max_len.min(u64::from(u32::MAX)) as u32;
        let limit = if max_len <= window && !last {
            max_len
        } else {
            let needed = len.min(window);
            if max_len <= needed {
                max_len
            } else {
                let partial = needed % mss;
                if nagle_check(partial != 0, p.nonagle, p.packets_out, self.minshall_check()) {
                    needed - partial
                } else {
                    needed
                }
            }
        };
        if len > limit {
            // tso_fragment(): the FIN stays with the remainder.
            Xmit::Send(XmitChunk {
                seq: self.snd_nxt,
                len: limit,
                fin: false,
                segs: tso_segs(limit, mss),
            })
        } else {
            Xmit::Send(XmitChunk {
                seq: self.snd_nxt,
                len,
                fin,
                segs,
            })
        }
    }

    /// After transmitting `c` (new data): `snd_nxt` advances
    /// (`tcp_event_new_data_sent()`) and `tcp_minshall_update()` records a
    /// chunk ending in a partial segment in `snd_sml`.
    pub fn on_sent(&mut self, c: &XmitChunk, mss_now: u32) {
        self.snd_nxt = c.end_seq();
        if u64::from(c.len) < u64::from(c.segs) * u64::from(mss_now.max(1)) {
            self.snd_sml = c.end_seq();
        }
    }

    /// `forced_push()`: more than half the peer's largest window was
    /// written since the last PSH.
    #[inline]
    pub const fn forced_push(&self) -> bool {
        self.write_seq.after(self.pushed_seq.wrapping_add(self.max_window >> 1))
    }

    /// `tcp_mark_push()`: the skb at the tail of the queue gets PSH (the
    /// caller's flag) and `pushed_seq` = `write_seq`.
    pub fn mark_push(&mut self) {
        self.pushed_seq = self.write_seq;
    }

    /// The PSH part of `tcp_push()` at the end of `sendmsg()`: the tail skb
    /// is marked unless MSG_MORE (and no forced push). Returns whether it
    /// was marked. Linux clears PSH from the tail skb again when a later
    /// write appends to it, so the flag ends up on the last skb of each
    /// write.
    pub fn push_mark(&mut self, msg_more: bool) -> bool {
        if !msg_more || self.forced_push() {
            self.mark_push();
            return true;
        }
        false
    }

    /// The acceptance part of Linux `tcp_ack()` with
    /// `tcp_ack_update_window()` and `tcp_snd_una_update()`, for a segment
    /// with `ACK` set.
    ///
    /// * `ack` before `snd_una - min(max_window, bytes_acked)`: too old
    ///   (RFC 5961 5.2): dropped, with a challenge ACK unless
    ///   `no_challenge` (`FLAG_NO_CHALLENGE_ACK`; the caller rate-limits it,
    ///   see [`super::tcp_input::ChallengeAckQuota`]).
    /// * Otherwise before `snd_una`: an old ACK; ACK and window are
    ///   ignored, the segment's data is still processed.
    /// * After `snd_nxt`: acknowledges data never sent; the segment is
    ///   dropped (RFC 793). In ESTABLISHED `tcp_rcv_established()` discards
    ///   it silently; in the states handled by `tcp_rcv_state_process()`
    ///   (FIN_WAIT1 etc.) the caller sends a challenge ACK.
    /// * Else accepted: the window is taken if `tcp_may_update_window()`
    ///   (`ack` advances `snd_una`, or the segment is newer than `snd_wl1`,
    ///   or as new with a larger window or a zero window), `snd_una`
    ///   advances, `icsk_retransmits` and `icsk_probes_out` are cleared and
    ///   `rcv_tstamp` set.
    ///
    /// The window of a non-SYN segment is scaled by `snd_wscale`. Linux's
    /// header-prediction fast path reaches the same state.
    pub fn tcp_ack(&mut self, a: &AckInput, rto: &mut RtoState, persist: &mut Persist) -> AckVerdict {
        let prior_snd_una = self.snd_una;
        if a.ack.before(prior_snd_una) {
            // "do not accept ACK for bytes we never sent."
            let max_window = u64::from(self.max_window).min(self.bytes_acked) as u32;
            if a.ack.before(prior_snd_una.wrapping_sub(max_window)) {
                return AckVerdict::TooOld {
                    challenge: !a.no_challenge,
                };
            }
            return AckVerdict::Old;
        }
        if a.ack.after(self.snd_nxt) {
            return AckVerdict::Unsent;
        }
        let mut flag = AckFlags::default();
        if a.ack.after(prior_snd_una) {
            flag.set(AckFlags::SND_UNA_ADVANCED);
            rto.retransmits = 0;
        }
        if a.seq != a.end_seq {
            flag.set(AckFlags::DATA);
        }
        // tcp_ack_update_window()
        let mut nwin = u32::from(a.window);
        if !a.syn {
            nwin = nwin.checked_shl(u32::from(self.snd_wscale)).unwrap_or(0);
        }
        let mut window_changed = false;
        let mut max_window_grew = false;
        if self.may_update_window(a.ack, a.seq, nwin) {
            flag.set(AckFlags::WIN_UPDATE);
            self.snd_wl1 = a.seq;
            if self.snd_wnd != nwin {
                self.snd_wnd = nwin;
                window_changed = true;
                if nwin > self.max_window {
                    self.max_window = nwin;
                    max_window_grew = true;
                }
            }
        }
        // tcp_snd_una_update()
        let delta = a.ack.0.wrapping_sub(prior_snd_una.0);
        self.bytes_acked = self.bytes_acked.wrapping_add(u64::from(delta));
        self.snd_una = a.ack;
        persist.probes_out = 0;
        self.rcv_tstamp = a.now_ms;
        let fin_acked = self.fin_queued
            && delta != 0
            && self.snd_una == self.write_seq
            && self.snd_nxt == self.write_seq;
        AckVerdict::Accepted(Accepted {
            flag,
            prior_snd_una,
            acked_bytes: delta - fin_acked as u32,
            fin_acked,
            window_changed,
            max_window_grew,
        })
    }

    /// Linux `tcp_may_update_window()` (6.12.117): `ack` advances
    /// `snd_una`, or the segment is newer than the last window update, or
    /// as new and offers a larger window, or a zero window.
    #[inline]
    pub const fn may_update_window(&self, ack: SeqNum, ack_seq: SeqNum, nwin: u32) -> bool {
        ack.after(self.snd_una)
            || ack_seq.after(self.snd_wl1)
            || (ack_seq.0 == self.snd_wl1.0 && (nwin > self.snd_wnd || nwin == 0))
    }

    /// Linux `tcp_write_wakeup()` for the probe timer: if the window has
    /// room at `snd_nxt` and data (or the FIN) waits, send what fits (at
    /// most one MSS; PSH set, `pushed_seq` advanced); otherwise a window
    /// probe: a bare ACK with the old sequence number `snd_una - 1`.
    pub fn write_wakeup(&mut self, mss: u32) -> Wakeup {
        let unsent = self.unsent_seq();
        let wnd_end = self.wnd_end();
        if unsent != 0 && self.snd_nxt.before(wnd_end) {
            let mss = mss.max(1);
            let mut seg_size = wnd_end.0.wrapping_sub(self.snd_nxt.0);
            if self.pushed_seq.before(self.write_seq) {
                self.pushed_seq = self.write_seq;
            }
            let data = self.unsent_data();
            let chunk = if seg_size < unsent || data > mss {
                // "We are probing the opening of a window but the window
                // size is != 0 must have been a result SWS avoidance"
                // tcp_fragment() at seg_size: the FIN stays behind.
                seg_size = seg_size.min(mss);
                XmitChunk {
                    seq: self.snd_nxt,
                    len: seg_size.min(data),
                    fin: false,
                    segs: 1,
                }
            } else {
                XmitChunk {
                    seq: self.snd_nxt,
                    len: data,
                    fin: self.fin_unsent(),
                    segs: 1,
                }
            };
            return Wakeup::Data(chunk);
        }
        Wakeup::Probe {
            seq: self.snd_una.wrapping_sub(1),
        }
    }
}

/// `tcp_set_skb_tso_segs()`: segments of `len` bytes at `mss` (1 for up
/// to one MSS, including 0).
#[inline]
const fn tso_segs(len: u32, mss: u32) -> u32 {
    if len <= mss {
        1
    } else {
        len.div_ceil(mss)
    }
}

/// The parts of an incoming segment [`SendSeq::tcp_ack`] looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckInput {
    /// `TCP_SKB_CB(skb)->seq`.
    pub seq: SeqNum,
    /// `end_seq`: `seq` plus data length, SYN and FIN.
    pub end_seq: SeqNum,
    /// `ack_seq`.
    pub ack: SeqNum,
    /// The raw 16-bit window field.
    pub window: u16,
    /// SYN is set (the window is then not scaled).
    pub syn: bool,
    /// `FLAG_NO_CHALLENGE_ACK` (passed by `tcp_rcv_state_process()`).
    pub no_challenge: bool,
    /// The clock (ms), for `rcv_tstamp`.
    pub now_ms: u32,
}

/// An acceptable ACK ([`AckVerdict::Accepted`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// `FLAG_SND_UNA_ADVANCED`, `FLAG_DATA`, `FLAG_WIN_UPDATE`, to hand to
    /// [`super::tcp_cong::AckEvent::flag`] (with `FLAG_ECE` if the caller
    /// saw an ECN echo).
    pub flag: AckFlags,
    /// `snd_una` before the ACK.
    pub prior_snd_una: SeqNum,
    /// Data bytes newly acknowledged (the FIN not counted).
    pub acked_bytes: u32,
    /// This ACK acknowledged our FIN (FIN_WAIT1 → FIN_WAIT2, CLOSING →
    /// TIME_WAIT, LAST_ACK → CLOSE).
    pub fin_acked: bool,
    /// `snd_wnd` changed: Linux re-checks the fast path and, with data
    /// queued, `tcp_slow_start_after_idle_check()`.
    pub window_changed: bool,
    /// `max_window` grew: Linux re-runs `tcp_sync_mss()` (the MSS is
    /// bounded by half the largest window).
    pub max_window_grew: bool,
}

/// What `tcp_ack()` makes of an ACK ([`SendSeq::tcp_ack`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckVerdict {
    /// Older than the window allows: drop the segment; send a challenge
    /// ACK (rate-limited) if `challenge`.
    TooOld {
        /// Send `tcp_send_challenge_ack()`.
        challenge: bool,
    },
    /// Acknowledges data not yet sent: drop the segment.
    Unsent,
    /// Old duplicate (before `snd_una`): nothing to acknowledge, the
    /// segment's data is processed.
    Old,
    /// Acceptable.
    Accepted(Accepted),
}

/// What [`SendSeq::write_wakeup`] sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wakeup {
    /// New data (with PSH) that fits the window; account it like any new
    /// data (`tcp_event_new_data_sent()` on success).
    Data(XmitChunk),
    /// A zero-window probe: ACK with this sequence number and no data
    /// (`tcp_xmit_probe_skb()`).
    Probe {
        /// `snd_una - 1`.
        seq: SeqNum,
    },
}

/// How a probe transmission went (`tcp_write_wakeup()`'s return value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeResult {
    /// Sent (0), or failed with an error (< 0, e.g. no memory).
    SentOrError,
    /// Dropped by local congestion (> 0, `NET_XMIT_CN`/qdisc drop).
    LocalDrop,
}

/// What to do with the zero-window probe timer (`ICSK_TIME_PROBE0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeTimer {
    /// Leave it as it is.
    Keep,
    /// `inet_csk_clear_xmit_timer(sk, ICSK_TIME_PROBE0)`.
    Clear,
    /// (Re)arm it to fire after this many milliseconds.
    Reset(u32),
}

/// What an expiry of the probe timer decides ([`Persist::on_timer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeStep {
    /// Data is outstanding or nothing waits: probing is over (the RTO
    /// timer covers outstanding data).
    Cancel,
    /// Give up: `tcp_write_err()`.
    Abort,
    /// `tcp_send_probe0()`: [`SendSeq::write_wakeup`], then
    /// [`Persist::after_probe`].
    Probe,
}

/// The inputs of the probe timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProbeCtx {
    /// The clock (ms, `tcp_jiffies32`).
    pub now_ms: u32,
    /// `packets_out`.
    pub packets_out: u32,
    /// Unsent data or FIN is queued (`tcp_send_head()` non-NULL).
    pub send_head: bool,
    /// TCP_USER_TIMEOUT in ms (0 = unset).
    pub user_timeout_ms: u32,
    /// `net.ipv4.tcp_retries2`.
    pub retries2: u8,
    /// `SOCK_DEAD`: orphaned.
    pub dead: bool,
    /// `sk_err_soft != 0`.
    pub soft_error: bool,
    /// `net.ipv4.tcp_orphan_retries`.
    pub orphan_retries: u8,
}

/// The persist-timer state of `inet_connection_sock`: `icsk_probes_out`
/// and `icsk_probes_tstamp`. The backoff is the shared `icsk_backoff` in
/// [`RtoState::backoff`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Persist {
    /// `icsk_probes_out`: probes sent without an ACK in between.
    pub probes_out: u8,
    /// `icsk_probes_tstamp`: when probing started (ms clock), 0 = not
    /// probing (Linux's sentinel).
    pub probes_tstamp: u32,
}

/// Linux `tcp_probe0_base()`: `max(icsk_rto, TCP_RTO_MIN)`.
#[inline]
pub fn probe0_base(rto: &RtoState) -> u32 {
    rto.rto_ms.max(TCP_RTO_MIN_MS)
}

/// Linux `tcp_probe0_when(sk, max_when)`: the probe interval,
/// `tcp_probe0_base() << icsk_backoff` (the shift capped at 10), at most
/// `max_ms`.
pub fn probe0_when(rto: &RtoState, max_ms: u32) -> u32 {
    let shift = rto.backoff.min(PROBE0_MAX_SHIFT);
    let when = u64::from(probe0_base(rto)) << shift;
    when.min(u64::from(max_ms)) as u32
}

/// Linux `tcp_check_probe_timer()` after `tcp_write_xmit()` sent nothing
/// while data waits with nothing in flight (its `true` return): arm the
/// probe timer for `tcp_probe0_base()` unless a timer is pending.
pub fn check_probe_timer(rto: &RtoState, packets_out: u32, timer_pending: bool) -> ProbeTimer {
    if packets_out == 0 && !timer_pending {
        ProbeTimer::Reset(probe0_base(rto))
    } else {
        ProbeTimer::Keep
    }
}

impl Persist {
    /// Linux `tcp_clamp_probe0_to_user_timeout()`: no later than
    /// TCP_USER_TIMEOUT after probing started, but at least
    /// `TCP_TIMEOUT_MIN` (2 jiffies).
    pub fn clamp_to_user_timeout(&self, rto: &RtoState, when_ms: u32, user_timeout_ms: u32, now_ms: u32) -> u32 {
        if user_timeout_ms == 0 || self.probes_tstamp == 0 {
            return when_ms;
        }
        let hz = rto.hz;
        let elapsed = (now_ms.wrapping_sub(self.probes_tstamp) as i32).max(0);
        let user = jiffies_to_msecs(msecs_to_jiffies(u64::from(user_timeout_ms), hz), hz) as i64;
        let min = jiffies_to_msecs(u64::from(TCP_TIMEOUT_MIN_JIFFIES), hz) as i64;
        let remaining = (user - i64::from(elapsed)).max(min);
        remaining.min(i64::from(when_ms)) as u32
    }

    /// Linux `tcp_probe_timer()`: stop when data is in flight or nothing
    /// waits; give up after TCP_USER_TIMEOUT of probing, or when
    /// `probes_out` reached `tcp_retries2` (`tcp_orphan_retries()` for an
    /// orphan, which also gives up once its backed-off RTO reached
    /// `TCP_RTO_MAX` with `icsk_backoff` at that limit); otherwise probe.
    /// As long as the peer answers (each ACK clears `probes_out`), probing
    /// goes on forever (RFC 1122 4.2.2.17). `tcp_out_of_resources()` is
    /// not modelled.
    pub fn on_timer(&mut self, rto: &RtoState, ctx: &ProbeCtx) -> ProbeStep {
        if ctx.packets_out != 0 || !ctx.send_head {
            self.probes_out = 0;
            self.probes_tstamp = 0;
            return ProbeStep::Cancel;
        }
        if self.probes_tstamp == 0 {
            self.probes_tstamp = ctx.now_ms;
        } else if ctx.user_timeout_ms != 0 {
            let elapsed = ctx.now_ms.wrapping_sub(self.probes_tstamp) as i32;
            let user = jiffies_to_msecs(msecs_to_jiffies(u64::from(ctx.user_timeout_ms), rto.hz), rto.hz);
            if i64::from(elapsed) >= user as i64 {
                return ProbeStep::Abort;
            }
        }
        let mut max_probes = ctx.retries2;
        if ctx.dead {
            let alive = rto.rto_backoff_ms(TCP_RTO_MAX_MS) < TCP_RTO_MAX_MS;
            max_probes = tcp_orphan_retries(ctx.orphan_retries, ctx.soft_error, alive);
            if !alive && rto.backoff >= max_probes {
                return ProbeStep::Abort;
            }
        }
        if self.probes_out >= max_probes {
            return ProbeStep::Abort;
        }
        ProbeStep::Probe
    }

    /// The end of Linux `tcp_send_probe0()` after [`SendSeq::write_wakeup`]
    /// went out: if data is now in flight or nothing waits, probing stops
    /// (`probes_out`, `icsk_backoff` and the stamp cleared); otherwise one
    /// more probe is counted and the timer re-armed at
    /// [`probe0_when`] with `icsk_backoff` + 1 (up to `tcp_retries2`), or
    /// `TCP_RESOURCE_PROBE_INTERVAL` after a local drop, clamped to
    /// TCP_USER_TIMEOUT.
    pub fn after_probe(
        &mut self,
        rto: &mut RtoState,
        ctx: &ProbeCtx,
        result: ProbeResult,
        packets_out: u32,
        write_queue_empty: bool,
    ) -> ProbeTimer {
        if packets_out != 0 || write_queue_empty {
            // "Cancel probe timer, if it is not required."
            self.probes_out = 0;
            rto.backoff = 0;
            self.probes_tstamp = 0;
            return ProbeTimer::Keep;
        }
        self.probes_out = self.probes_out.wrapping_add(1);
        let timeout = match result {
            ProbeResult::SentOrError => {
                if rto.backoff < ctx.retries2 {
                    rto.backoff += 1;
                }
                probe0_when(rto, TCP_RTO_MAX_MS)
            }
            // "Let senders fight for local resources conservatively."
            ProbeResult::LocalDrop => TCP_RESOURCE_PROBE_INTERVAL_MS,
        };
        ProbeTimer::Reset(self.clamp_to_user_timeout(rto, timeout, ctx.user_timeout_ms, ctx.now_ms))
    }

    /// Linux `tcp_ack_probe()`: an ACK while nothing was outstanding. If
    /// the first queued segment now fits the window, probing stops
    /// (`icsk_backoff` and the stamp cleared, timer cleared; the caller
    /// then sends, `tcp_data_snd_check()`); otherwise the probe timer is
    /// re-armed at the current backoff. Nothing to do when nothing waits.
    pub fn ack_probe(&mut self, s: &SendSeq, rto: &mut RtoState, mss: u32, user_timeout_ms: u32, now_ms: u32) -> ProbeTimer {
        if s.write_queue_empty() {
            return ProbeTimer::Keep;
        }
        let (len, fin) = s.head_segment(mss);
        let end = s.snd_nxt.wrapping_add(len + fin as u32);
        if !end.after(s.wnd_end()) {
            rto.backoff = 0;
            self.probes_tstamp = 0;
            ProbeTimer::Clear
        } else {
            let when = probe0_when(rto, TCP_RTO_MAX_MS);
            ProbeTimer::Reset(self.clamp_to_user_timeout(rto, when, user_timeout_ms, now_ms))
        }
    }
}

/// Linux `__tcp_retransmit_skb()`'s sizing of a retransmission of the
/// segment `[seg_seq, seg_seq + seg_len)` (already trimmed to `snd_una` if
/// partly acknowledged, `tcp_trim_head()`): `Some(len)` bytes to send now
/// (the rest is split off, `tcp_fragment()`), or `None` when the peer
/// shrank its window below the segment and it is not the head
/// (`-EAGAIN`). A head segment beyond a zero window goes out whole (one
/// MSS) as a window probe.
pub fn retransmit_len(seg_seq: SeqNum, seg_len: u32, snd_una: SeqNum, snd_wnd: u32, mss: u32) -> Option<u32> {
    let mss = mss.max(1);
    let mut avail = i64::from(snd_una.wrapping_add(snd_wnd).0.wrapping_sub(seg_seq.0) as i32);
    if avail <= 0 {
        if seg_seq != snd_una {
            return None;
        }
        avail = i64::from(mss);
    }
    // len = cur_mss * segs with segs = 1 (one segment per skb).
    let mut len = i64::from(mss);
    if len > avail {
        len = avail - avail % i64::from(mss);
        if len == 0 {
            len = avail;
        }
    }
    Some((i64::from(seg_len)).min(len) as u32)
}

/// Linux `tcp_stream_memory_free(sk, wake)`: unsent bytes (doubled for a
/// wakeup) below `tcp_notsent_lowat()` (TCP_NOTSENT_LOWAT, else
/// `net.ipv4.tcp_notsent_lowat`, default `u32::MAX`).
#[inline]
pub const fn tcp_stream_memory_free(notsent_bytes: u32, notsent_lowat: u32, wake: bool) -> bool {
    notsent_bytes.wrapping_shl(wake as u32) < notsent_lowat
}

/// Inputs of send-buffer growth and the write-space wakeup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SndBufCtx {
    /// `sk_sndbuf`.
    pub sndbuf: i32,
    /// `sk_wmem_queued`: truesize of the write and retransmission queues.
    pub wmem_queued: i32,
    /// `SOCK_SNDBUF_LOCK`: SO_SNDBUF was set.
    pub sndbuf_locked: bool,
    /// `tcp_under_memory_pressure()`.
    pub memory_pressure: bool,
    /// `sk_memory_allocated(sk) >= sk_prot_mem_limits(sk, 0)` (soft
    /// global limit, `tcp_mem[0]`).
    pub above_mem_low: bool,
    /// `tcp_packets_in_flight()`.
    pub in_flight: u32,
    /// `snd_cwnd`.
    pub cwnd: u32,
    /// `reordering`.
    pub reordering: u32,
    /// `rx_opt.mss_clamp`.
    pub mss_clamp: u32,
    /// `mss_cache`.
    pub mss_cache: u32,
    /// `net.ipv4.tcp_wmem[2]`.
    pub tcp_wmem_max: i32,
    /// `write_seq - snd_nxt`.
    pub notsent_bytes: u32,
    /// `tcp_notsent_lowat(tp)`.
    pub notsent_lowat: u32,
}

/// Linux `tcp_should_expand_sndbuf()`: not when SO_SNDBUF was set, under
/// memory pressure or above the soft limit, or when cwnd is full.
/// (`SO_RESERVE_MEM`'s adjustment under pressure is not modelled.)
pub const fn should_expand_sndbuf(c: &SndBufCtx) -> bool {
    !c.sndbuf_locked && !c.memory_pressure && !c.above_mem_low && c.in_flight < c.cwnd
}

/// Linux `tcp_sndbuf_expand()`: room for twice
/// `max(10, cwnd, reordering + 1)` worst-case (one skb per MSS) segments,
/// at most `tcp_wmem[2]`; never shrinks. Returns the new `sk_sndbuf`.
///
/// Each segment costs [`SkbOverhead::tcp_sndmem_per_mss`]: with Debian's
/// x86-64 sizes and MSS 1460 `roundup_pow_of_two(1460 + 320 + 320) + 256`
/// = 4352 bytes, so a new connection gets 87040.
pub fn sndbuf_expand(c: &SndBufCtx, o: &SkbOverhead) -> i32 {
    let per_mss = o.tcp_sndmem_per_mss(c.mss_clamp.max(c.mss_cache));
    let nr_segs = u64::from(TCP_INIT_CWND.max(c.cwnd).max(c.reordering.saturating_add(1)));
    // Reno has no sndbuf_expand hook: factor 2 ("Fast Recovery").
    let sndmem = (2 * nr_segs).saturating_mul(per_mss).min(i32::MAX as u64) as i32;
    if c.sndbuf < sndmem {
        sndmem.min(c.tcp_wmem_max)
    } else {
        c.sndbuf
    }
}

/// What [`check_space`] decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckSpace {
    /// The new `sk_sndbuf` if it grew.
    pub new_sndbuf: Option<i32>,
    /// `sk_stream_write_space()`: the socket is writeable again (wake
    /// writers with `EPOLLOUT`, clear `SOCK_NOSPACE`).
    pub wake: bool,
}

/// Linux `tcp_check_space()` with `tcp_new_space()` and
/// `sk_stream_write_space()`, run after an ACK freed space or data was
/// sent: only when a writer is waiting (`SOCK_NOSPACE`); the buffer grows
/// if it may ([`should_expand_sndbuf`], [`sndbuf_expand`]) and writers are
/// woken when `__sk_stream_is_writeable(sk, 1)`: free space at least half
/// the queued amount, below `sndbuf`, and [`tcp_stream_memory_free`] with
/// `wake`.
pub fn check_space(nospace: bool, c: &SndBufCtx, o: &SkbOverhead) -> CheckSpace {
    if !nospace {
        return CheckSpace {
            new_sndbuf: None,
            wake: false,
        };
    }
    let mut sndbuf = c.sndbuf;
    let mut new_sndbuf = None;
    if should_expand_sndbuf(c) {
        let n = sndbuf_expand(c, o);
        if n != sndbuf {
            new_sndbuf = Some(n);
            sndbuf = n;
        }
    }
    let wake = super::sock::sk_stream_is_writeable(sndbuf, c.wmem_queued)
        && tcp_stream_memory_free(c.notsent_bytes, c.notsent_lowat, true);
    CheckSpace { new_sndbuf, wake }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 1448;

    fn seq() -> SendSeq {
        SendSeq::new(SeqNum(1000), 65535, SeqNum(5000), 0, 0)
    }

    fn params(cwnd: u32, in_flight: u32) -> XmitParams {
        XmitParams {
            mss_now: MSS,
            cwnd,
            in_flight,
            packets_out: in_flight,
            nonagle: Nagle(0),
        }
    }

    fn send(c: Xmit) -> XmitChunk {
        match c {
            Xmit::Send(c) => c,
            other => panic!("expected Send, got {other:?}"),
        }
    }

    #[test]
    fn cwnd_quota() {
        assert_eq!(cwnd_test(0, 10), 5);
        assert_eq!(cwnd_test(8, 10), 2);
        assert_eq!(cwnd_test(10, 10), 0);
        assert_eq!(cwnd_test(11, 10), 0);
        assert_eq!(cwnd_test(0, 1), 1);
        assert_eq!(cwnd_test(0, 3), 1);
        assert_eq!(cwnd_test(0, 0), 0);
    }

    #[test]
    fn initial_burst_is_cwnd_in_half_cwnd_chunks() {
        let mut s = seq();
        s.queue_data(100_000);
        let mut p = params(10, 0);
        let mut sent = 0;
        let mut chunks = 0;
        loop {
            match s.write_xmit_next(&p) {
                Xmit::Send(c) => {
                    assert_eq!(c.seq, s.snd_nxt);
                    assert!(!c.fin);
                    s.on_sent(&c, MSS);
                    p.in_flight += c.segs;
                    p.packets_out += c.segs;
                    sent += c.len;
                    chunks += 1;
                }
                Xmit::CwndLimited => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!((sent, chunks), (10 * MSS, 2));
        // Full segments only: no Minshall mark.
        assert_eq!(s.snd_sml, SeqNum(1000));
    }

    #[test]
    fn nagle_minshall_and_cork() {
        let mut s = seq();
        s.queue_data(100);
        // Nothing in flight: a small segment goes.
        let c = send(s.write_xmit_next(&params(10, 0)));
        assert_eq!((c.len, c.segs, c.fin), (100, 1, false));
        s.on_sent(&c, MSS);
        assert_eq!(s.snd_sml, SeqNum(1100));
        // Another small write while it is unacknowledged: Nagle holds it.
        s.queue_data(100);
        assert_eq!(s.write_xmit_next(&params(10, 1)), Xmit::Nagle);
        // TCP_NODELAY: goes.
        let mut p = params(10, 1);
        p.nonagle = Nagle(Nagle::OFF);
        assert!(matches!(s.write_xmit_next(&p), Xmit::Send(_)));
        // Minshall: once the small segment is acknowledged, the next small
        // one goes although full segments are in flight.
        s.snd_una = SeqNum(1100);
        assert!(!s.minshall_check());
        assert!(matches!(s.write_xmit_next(&params(10, 3)), Xmit::Send(_)));
        // Cork holds partial segments even with nothing in flight...
        let mut p = params(10, 0);
        p.nonagle = Nagle(Nagle::CORK | Nagle::OFF);
        assert_eq!(s.write_xmit_next(&p), Xmit::Nagle);
        // ...but not full ones, nor a FIN.
        s.queue_data(2000);
        let c = send(s.write_xmit_next(&p));
        assert_eq!((c.len, c.segs), (MSS, 1));
        let mut t = s;
        t.on_sent(&c, MSS);
        assert_eq!(t.write_xmit_next(&p), Xmit::Nagle);
        t.queue_fin();
        let c = send(t.write_xmit_next(&p));
        assert_eq!((c.len, c.fin), (2100 - MSS, true));
        // PUSH overrides cork.
        let mut q = s;
        q.snd_nxt = SeqNum(1100 + MSS);
        let mut pp = p;
        pp.nonagle = Nagle(Nagle::CORK | Nagle::PUSH);
        assert!(matches!(q.write_xmit_next(&pp), Xmit::Send(_)));
    }

    #[test]
    fn nagle_state_transitions() {
        let mut n = Nagle::default();
        n.set_nodelay(true);
        assert_eq!(n, Nagle(Nagle::OFF | Nagle::PUSH));
        n.on_entail();
        assert_eq!(n, Nagle(Nagle::OFF));
        n.set_cork(true);
        assert_eq!(n, Nagle(Nagle::OFF | Nagle::CORK));
        n.set_cork(false);
        assert_eq!(n, Nagle(Nagle::OFF | Nagle::PUSH));
        n.set_nodelay(false);
        assert_eq!(n, Nagle(Nagle::PUSH));
        assert_eq!(Nagle(0).for_push(true), Nagle(Nagle::CORK));
        assert_eq!(Nagle(Nagle::OFF).for_push(false), Nagle(Nagle::OFF));
        assert!(nagle_check(true, Nagle(0), 1, true));
        assert!(!nagle_check(true, Nagle(0), 0, true));
        assert!(!nagle_check(true, Nagle(Nagle::PUSH), 1, true));
        assert!(!nagle_check(false, Nagle(Nagle::CORK), 1, true));
        assert!(nagle_check(true, Nagle(Nagle::CORK | Nagle::OFF), 0, false));
    }

    #[test]
    fn receive_window_limits() {
        let mut s = seq();
        s.snd_wnd = 3000;
        s.queue_data(10_000);
        // quota 5 * 1448 = 7240 > window 3000: split to the window, the
        // partial tail (104) kept back by Nagle? Nothing in flight: sent.
        let c = send(s.write_xmit_next(&params(10, 0)));
        assert_eq!((c.len, c.segs), (3000, 3));
        // With a small segment unacknowledged, only full segments.
        let mut t = s;
        t.snd_sml = SeqNum(1000);
        t.snd_una = SeqNum(900);
        t.snd_wnd = 3100;
        let c = send(t.write_xmit_next(&params(10, 1)));
        assert_eq!((c.len, c.segs), (2 * MSS, 2));
        // Window smaller than a segment: nothing (until the probe timer).
        let mut u = s;
        u.snd_wnd = 1000;
        assert_eq!(u.write_xmit_next(&params(10, 0)), Xmit::RwndLimited);
        // ...unless all that is left fits.
        let mut v = seq();
        v.snd_wnd = 1000;
        v.queue_data(999);
        v.queue_fin();
        let c = send(v.write_xmit_next(&params(10, 0)));
        assert_eq!((c.len, c.fin, c.end_seq()), (999, true, SeqNum(2000)));
        // One byte short for the FIN: rwnd-limited.
        v.snd_wnd = 999;
        assert_eq!(v.write_xmit_next(&params(10, 0)), Xmit::RwndLimited);
        // Zero window.
        v.snd_wnd = 0;
        assert_eq!(v.write_xmit_next(&params(10, 0)), Xmit::RwndLimited);
    }

    #[test]
    fn fin_handling() {
        let mut s = seq();
        s.queue_fin();
        assert_eq!((s.unsent_seq(), s.unsent_data(), s.fin_unsent()), (1, 0, true));
        // FIN alone: a zero-length segment, Nagle does not apply.
        let c = send(s.write_xmit_next(&params(10, 3)));
        assert_eq!((c.len, c.fin, c.segs), (0, true, 1));
        s.on_sent(&c, MSS);
        assert_eq!(s.snd_nxt, SeqNum(1001));
        assert_eq!(s.write_xmit_next(&params(10, 3)), Xmit::Idle);
        assert!(s.write_queue_empty());
        // Queued twice: once.
        s.queue_fin();
        assert_eq!(s.write_seq, SeqNum(1001));
        // Data + FIN beyond the quota: the FIN waits for the last chunk.
        let mut t = seq();
        t.queue_data(10 * MSS);
        t.queue_fin();
        let c = send(t.write_xmit_next(&params(10, 0)));
        assert_eq!((c.len, c.fin), (5 * MSS, false));
        t.on_sent(&c, MSS);
        let c = send(t.write_xmit_next(&params(10, 5)));
        assert_eq!((c.len, c.fin, c.segs), (5 * MSS, true, 5));
    }

    #[test]
    fn push_marks() {
        let mut s = seq();
        s.max_window = 10_000;
        s.queue_data(100);
        assert!(s.push_mark(false));
        assert_eq!(s.pushed_seq, SeqNum(1100));
        s.queue_data(4000);
        assert!(!s.forced_push());
        assert!(!s.push_mark(true));
        s.queue_data(1001);
        // 5101 - 1100 = 5001 > 5000: forced even with MSG_MORE.
        assert!(s.forced_push());
        assert!(s.push_mark(true));
        assert_eq!(s.pushed_seq, SeqNum(6101));
    }

    fn ack_in(ack: u32, seq_: u32, win: u16) -> AckInput {
        AckInput {
            seq: SeqNum(seq_),
            end_seq: SeqNum(seq_),
            ack: SeqNum(ack),
            window: win,
            syn: false,
            no_challenge: false,
            now_ms: 77,
        }
    }

    #[test]
    fn ack_acceptance() {
        let mut s = seq();
        s.queue_data(5000);
        s.snd_nxt = SeqNum(6000);
        s.bytes_acked = 1;
        let mut rto = RtoState::new(1000);
        let mut ps = Persist {
            probes_out: 3,
            probes_tstamp: 9,
        };
        rto.retransmits = 4;
        // Beyond snd_nxt.
        assert_eq!(s.tcp_ack(&ack_in(6001, 5000, 100), &mut rto, &mut ps), AckVerdict::Unsent);
        // Before snd_una by more than min(max_window, bytes_acked) = 1.
        assert_eq!(
            s.tcp_ack(&ack_in(998, 5000, 100), &mut rto, &mut ps),
            AckVerdict::TooOld { challenge: true }
        );
        assert_eq!(s.tcp_ack(&ack_in(999, 5000, 100), &mut rto, &mut ps), AckVerdict::Old);
        let mut nc = ack_in(998, 5000, 100);
        nc.no_challenge = true;
        assert_eq!(s.tcp_ack(&nc, &mut rto, &mut ps), AckVerdict::TooOld { challenge: false });
        assert_eq!((rto.retransmits, ps.probes_out), (4, 3));
        // Advancing ACK with a new window.
        let v = s.tcp_ack(&ack_in(3000, 5001, 30000), &mut rto, &mut ps);
        let AckVerdict::Accepted(a) = v else { panic!() };
        assert!(a.flag.has(AckFlags::SND_UNA_ADVANCED | AckFlags::WIN_UPDATE));
        assert!(!a.flag.has(AckFlags::DATA));
        assert_eq!((a.acked_bytes, a.fin_acked, a.window_changed, a.max_window_grew), (2000, false, true, false));
        assert_eq!((s.snd_una, s.snd_wnd, s.snd_wl1, s.bytes_acked), (SeqNum(3000), 30000, SeqNum(5001), 2001));
        assert_eq!((rto.retransmits, ps.probes_out, s.rcv_tstamp), (0, 0, 77));
        // Now old ACKs up to 2001 bytes back are tolerated.
        assert_eq!(s.tcp_ack(&ack_in(1000, 5001, 100), &mut rto, &mut ps), AckVerdict::Old);
        // Duplicate ACK from an older segment: window not taken.
        let AckVerdict::Accepted(a) = s.tcp_ack(&ack_in(3000, 4000, 100), &mut rto, &mut ps) else { panic!() };
        assert_eq!((a.flag, s.snd_wnd), (AckFlags::default(), 30000));
        // Same wl1: only a larger window...
        let AckVerdict::Accepted(a) = s.tcp_ack(&ack_in(3000, 5001, 20000), &mut rto, &mut ps) else { panic!() };
        assert!(!a.flag.has(AckFlags::WIN_UPDATE));
        let AckVerdict::Accepted(a) = s.tcp_ack(&ack_in(3000, 5001, 40000), &mut rto, &mut ps) else { panic!() };
        assert!(a.flag.has(AckFlags::WIN_UPDATE) && a.window_changed && !a.max_window_grew);
        // ...or a zero window (6.12.117) counts.
        let AckVerdict::Accepted(a) = s.tcp_ack(&ack_in(3000, 5001, 0), &mut rto, &mut ps) else { panic!() };
        assert!(a.flag.has(AckFlags::WIN_UPDATE));
        assert_eq!(s.snd_wnd, 0);
        // Data on the segment.
        let mut d = ack_in(3000, 5001, 0);
        d.end_seq = SeqNum(5101);
        let AckVerdict::Accepted(a) = s.tcp_ack(&d, &mut rto, &mut ps) else { panic!() };
        assert!(a.flag.has(AckFlags::DATA));
        // Scaled windows; SYN windows are not scaled.
        s.snd_wscale = 7;
        let AckVerdict::Accepted(a) = s.tcp_ack(&ack_in(3000, 5200, 502), &mut rto, &mut ps) else { panic!() };
        assert_eq!((s.snd_wnd, a.max_window_grew), (64256, false));
        let AckVerdict::Accepted(a) = s.tcp_ack(&ack_in(3000, 5201, 1000), &mut rto, &mut ps) else { panic!() };
        assert_eq!((s.snd_wnd, s.max_window, a.max_window_grew), (128_000, 128_000, true));
        let mut syn = ack_in(3000, 5300, 502);
        syn.syn = true;
        let AckVerdict::Accepted(_) = s.tcp_ack(&syn, &mut rto, &mut ps) else { panic!() };
        assert_eq!(s.snd_wnd, 502);
    }

    #[test]
    fn fin_acknowledgment() {
        let mut s = seq();
        s.queue_data(10);
        s.queue_fin();
        s.snd_nxt = s.write_seq;
        let mut rto = RtoState::new(1000);
        let mut ps = Persist::default();
        let AckVerdict::Accepted(a) = s.tcp_ack(&ack_in(1010, 1, 100), &mut rto, &mut ps) else { panic!() };
        assert_eq!((a.acked_bytes, a.fin_acked), (10, false));
        let AckVerdict::Accepted(a) = s.tcp_ack(&ack_in(1011, 1, 100), &mut rto, &mut ps) else { panic!() };
        assert_eq!((a.acked_bytes, a.fin_acked), (0, true));
        // A duplicate of it does not acknowledge it again.
        let AckVerdict::Accepted(a) = s.tcp_ack(&ack_in(1011, 1, 100), &mut rto, &mut ps) else { panic!() };
        assert!(!a.fin_acked);
    }

    #[test]
    fn probe_backoff_schedule() {
        let mut rto = RtoState::new(1000);
        rto.rto_ms = 201;
        let mut ps = Persist::default();
        let mut s = seq();
        s.snd_wnd = 0;
        s.queue_data(100);
        let ctx = ProbeCtx {
            now_ms: 1000,
            packets_out: 0,
            send_head: true,
            user_timeout_ms: 0,
            retries2: 15,
            dead: false,
            soft_error: false,
            orphan_retries: 0,
        };
        assert_eq!(check_probe_timer(&rto, 0, false), ProbeTimer::Reset(201));
        assert_eq!(check_probe_timer(&rto, 0, true), ProbeTimer::Keep);
        let mut timers = [0u32; 12];
        for t in timers.iter_mut() {
            assert_eq!(ps.on_timer(&rto, &ctx), ProbeStep::Probe);
            assert_eq!(s.write_wakeup(MSS), Wakeup::Probe { seq: SeqNum(999) });
            let ProbeTimer::Reset(ms) = ps.after_probe(&mut rto, &ctx, ProbeResult::SentOrError, 0, false) else {
                panic!()
            };
            *t = ms;
        }
        assert_eq!(
            timers,
            [402, 804, 1608, 3216, 6432, 12864, 25728, 51456, 102912, 120000, 120000, 120000]
        );
        assert_eq!((ps.probes_out, rto.backoff, ps.probes_tstamp), (12, 12, 1000));
        // Without ACKs the 16th expiry gives up (probes_out 15 >= 15).
        for _ in 12..15 {
            assert_eq!(ps.on_timer(&rto, &ctx), ProbeStep::Probe);
            ps.after_probe(&mut rto, &ctx, ProbeResult::SentOrError, 0, false);
        }
        assert_eq!(rto.backoff, 15);
        assert_eq!(ps.on_timer(&rto, &ctx), ProbeStep::Abort);
        // An ACK (even keeping the window shut) clears probes_out: probing
        // goes on indefinitely at the capped interval.
        let AckVerdict::Accepted(_) = s.tcp_ack(&ack_in(1000, 5000, 0), &mut rto, &mut ps) else { panic!() };
        assert_eq!(ps.probes_out, 0);
        assert_eq!(ps.ack_probe(&s, &mut rto, MSS, 0, 2000), ProbeTimer::Reset(120_000));
        assert_eq!(ps.on_timer(&rto, &ctx), ProbeStep::Probe);
        // The window opens: probing stops.
        let AckVerdict::Accepted(_) = s.tcp_ack(&ack_in(1000, 5001, 1000), &mut rto, &mut ps) else { panic!() };
        assert_eq!(ps.ack_probe(&s, &mut rto, MSS, 0, 2000), ProbeTimer::Clear);
        assert_eq!((rto.backoff, ps.probes_tstamp), (0, 0));
        // Cancel when data is in flight.
        assert_eq!(
            ps.on_timer(&rto, &ProbeCtx { packets_out: 1, ..ctx }),
            ProbeStep::Cancel
        );
        // Local drop: 500 ms, no backoff.
        let mut r2 = RtoState::new(1000);
        let mut p2 = Persist::default();
        p2.on_timer(&r2, &ctx);
        assert_eq!(
            p2.after_probe(&mut r2, &ctx, ProbeResult::LocalDrop, 0, false),
            ProbeTimer::Reset(500)
        );
        assert_eq!((r2.backoff, p2.probes_out), (0, 1));
        // The probe sent data (window had room): stop.
        assert_eq!(p2.after_probe(&mut r2, &ctx, ProbeResult::SentOrError, 1, false), ProbeTimer::Keep);
        assert_eq!((r2.backoff, p2.probes_out, p2.probes_tstamp), (0, 0, 0));
    }

    #[test]
    fn probe_user_timeout_and_orphans() {
        let mut rto = RtoState::new(1000);
        rto.rto_ms = 200;
        let mut ps = Persist::default();
        let ctx = ProbeCtx {
            now_ms: 10_000,
            packets_out: 0,
            send_head: true,
            user_timeout_ms: 3000,
            retries2: 15,
            dead: false,
            soft_error: false,
            orphan_retries: 0,
        };
        assert_eq!(ps.on_timer(&rto, &ctx), ProbeStep::Probe);
        assert_eq!(ps.probes_tstamp, 10_000);
        // Timer clamped to what is left of the user timeout.
        rto.backoff = 5;
        let later = ProbeCtx { now_ms: 12_500, ..ctx };
        assert_eq!(ps.after_probe(&mut rto, &later, ProbeResult::SentOrError, 0, false), ProbeTimer::Reset(500));
        let late = ProbeCtx { now_ms: 12_999, ..ctx };
        assert_eq!(ps.clamp_to_user_timeout(&rto, 5000, 3000, late.now_ms), 2);
        assert_eq!(ps.on_timer(&rto, &late), ProbeStep::Probe);
        assert_eq!(ps.on_timer(&rto, &ProbeCtx { now_ms: 13_000, ..ctx }), ProbeStep::Abort);
        // Orphan: 8 probes while the backed-off RTO is below 120 s.
        let mut ps = Persist::default();
        let mut rto = RtoState::new(1000);
        rto.rto_ms = 200;
        let dead = ProbeCtx {
            dead: true,
            user_timeout_ms: 0,
            ..ctx
        };
        let mut n = 0;
        while ps.on_timer(&rto, &dead) == ProbeStep::Probe {
            ps.after_probe(&mut rto, &dead, ProbeResult::SentOrError, 0, false);
            n += 1;
        }
        assert_eq!(n, 8);
        // Not alive (200 << 10 > 120 s) and backoff >= 0 retries: abort.
        let mut r = RtoState::new(1000);
        r.rto_ms = 200;
        r.backoff = 10;
        assert_eq!(Persist::default().on_timer(&r, &ProbeCtx { soft_error: true, ..dead }), ProbeStep::Abort);
    }

    #[test]
    fn probe_intervals() {
        let mut rto = RtoState::new(1000);
        rto.rto_ms = 50; // below TCP_RTO_MIN: base 200
        assert_eq!(probe0_base(&rto), 200);
        rto.backoff = 3;
        assert_eq!(probe0_when(&rto, TCP_RTO_MAX_MS), 1600);
        rto.backoff = 200;
        assert_eq!(probe0_when(&rto, TCP_RTO_MAX_MS), 120_000);
        assert_eq!(probe0_when(&rto, u32::MAX), 200 << 10);
    }

    #[test]
    fn wakeup_sends_into_small_window() {
        let mut s = seq();
        s.snd_wnd = 500;
        s.queue_data(3000);
        let w = s.write_wakeup(MSS);
        assert_eq!(
            w,
            Wakeup::Data(XmitChunk {
                seq: SeqNum(1000),
                len: 500,
                fin: false,
                segs: 1
            })
        );
        assert_eq!(s.pushed_seq, SeqNum(4000));
        // Big window, lots of data: one MSS.
        s.snd_wnd = 100_000;
        let Wakeup::Data(c) = s.write_wakeup(MSS) else { panic!() };
        assert_eq!(c.len, MSS);
        // Everything fits: data and FIN.
        let mut t = seq();
        t.queue_data(100);
        t.queue_fin();
        let Wakeup::Data(c) = t.write_wakeup(MSS) else { panic!() };
        assert_eq!((c.len, c.fin), (100, true));
        // Window covers the data but not the FIN.
        t.snd_wnd = 100;
        let Wakeup::Data(c) = t.write_wakeup(MSS) else { panic!() };
        assert_eq!((c.len, c.fin), (100, false));
        // Nothing queued: window probe.
        let mut u = seq();
        assert_eq!(u.write_wakeup(MSS), Wakeup::Probe { seq: SeqNum(999) });
    }

    #[test]
    fn retransmission_sizes() {
        // Normal: the whole segment.
        assert_eq!(retransmit_len(SeqNum(1000), 1448, SeqNum(1000), 65535, MSS), Some(1448));
        // Window shrank to 1000 bytes past the head: cut to it.
        assert_eq!(retransmit_len(SeqNum(1000), 1448, SeqNum(1000), 1000, MSS), Some(1000));
        // Zero window: the head goes whole as a probe; others wait.
        assert_eq!(retransmit_len(SeqNum(1000), 1448, SeqNum(1000), 0, MSS), Some(1448));
        assert_eq!(retransmit_len(SeqNum(2448), 1448, SeqNum(1000), 1448, MSS), None);
        // A small segment is not grown.
        assert_eq!(retransmit_len(SeqNum(1000), 10, SeqNum(1000), 65535, MSS), Some(10));
    }

    #[test]
    fn send_buffer() {
        let o = super::super::sock::tests::SKB_TEST;
        let c = SndBufCtx {
            sndbuf: 16384,
            wmem_queued: 0,
            sndbuf_locked: false,
            memory_pressure: false,
            above_mem_low: false,
            in_flight: 0,
            cwnd: 10,
            reordering: 3,
            mss_clamp: 1460,
            mss_cache: 1448,
            tcp_wmem_max: 4 * 1024 * 1024,
            notsent_bytes: 0,
            notsent_lowat: u32::MAX,
        };
        // The famous 87040.
        assert_eq!(sndbuf_expand(&c, &o), 87040);
        // cwnd 100: 2 * 100 * 4352.
        assert_eq!(sndbuf_expand(&SndBufCtx { cwnd: 100, ..c }, &o), 870_400);
        // Capped by tcp_wmem[2], never shrinks.
        assert_eq!(sndbuf_expand(&SndBufCtx { cwnd: 1000, ..c }, &o), 4 * 1024 * 1024);
        assert_eq!(sndbuf_expand(&SndBufCtx { sndbuf: 100_000, ..c }, &o), 100_000);
        // Loopback MSS 65483 (clamp 65495): 2^17 + 256 per segment.
        assert_eq!(
            sndbuf_expand(&SndBufCtx { mss_clamp: 65495, mss_cache: 65483, ..c }, &o),
            20 * (131_072 + 256)
        );
        assert!(should_expand_sndbuf(&c));
        assert!(!should_expand_sndbuf(&SndBufCtx { in_flight: 10, ..c }));
        assert!(!should_expand_sndbuf(&SndBufCtx { sndbuf_locked: true, ..c }));
        assert!(!should_expand_sndbuf(&SndBufCtx { memory_pressure: true, ..c }));
        // check_space: only with a waiting writer.
        assert_eq!(check_space(false, &c, &o), CheckSpace { new_sndbuf: None, wake: false });
        assert_eq!(check_space(true, &c, &o), CheckSpace { new_sndbuf: Some(87040), wake: true });
        // Queued 60000 of 87040: free 27040 < 30000: no wakeup.
        let full = SndBufCtx {
            sndbuf: 87040,
            wmem_queued: 60000,
            in_flight: 10,
            ..c
        };
        assert_eq!(check_space(true, &full, &o), CheckSpace { new_sndbuf: None, wake: false });
        let ok = SndBufCtx { wmem_queued: 58000, ..full };
        assert!(check_space(true, &ok, &o).wake);
        // TCP_NOTSENT_LOWAT 16384: woken only below 8192 unsent.
        let low = SndBufCtx {
            notsent_lowat: 16384,
            notsent_bytes: 8192,
            ..ok
        };
        assert!(!check_space(true, &low, &o).wake);
        assert!(tcp_stream_memory_free(8191, 16384, true));
        assert!(tcp_stream_memory_free(16383, 16384, false));
    }
}
