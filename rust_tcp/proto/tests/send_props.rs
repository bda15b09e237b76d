// SPDX-License-Identifier: GPL-2.0

//! Property tests for the send side: RTT/RTO bounds, the transmit decision,
//! ACK acceptance, socket buffer sizes, and a NewReno sender driven over a
//! lossy link until every byte is delivered.

use proptest::prelude::*;
use rust_tcp_proto::seq::SeqNum;
use rust_tcp_proto::sock::{so_rcvbuf, so_sndbuf};
use rust_tcp_proto::tcp_cong::{
    AckEvent, AckFlags, AckedSegs, CaState, CongState, CongSysctls, Rexmit, RtxQueue, SegState, XmitDone,
};
use rust_tcp_proto::tcp_rtt::{
    retransmit_timer, RtoState, RttSample, RtoTimer, RtxTimerCtx, RtxTimerStep, TCP_RTO_MIN_MS,
};
use rust_tcp_proto::tcp_send::{
    probe0_when, AckInput, AckVerdict, Nagle, Persist, SendSeq, Xmit, XmitParams,
};
use std::collections::{BTreeMap, BinaryHeap};
use std::cmp::Reverse;

mod common;

const RTO_MAX: u32 = 120_000;

fn hz() -> impl Strategy<Value = u32> {
    prop_oneof![Just(100u32), Just(250u32), Just(1000u32)]
}

proptest! {
    /// Whatever the samples, the RTO stays within [TCP_RTO_MIN, TCP_RTO_MAX]
    /// and is a whole number of jiffies, also after timer backoff; srtt is
    /// never 0 after a sample.
    #[test]
    fn rto_always_bounded(
        hz in hz(),
        samples in prop::collection::vec((0u32..400_000_000, 0u32..5000, any::<bool>()), 1..60),
        backoffs in 0usize..20,
    ) {
        let mut r = RtoState::new(hz);
        let mut una = 1u32;
        for (m, adv, ts) in samples {
            una = una.wrapping_add(adv);
            let s = RttSample {
                seq_rtt_us: if ts { None } else { Some(m) },
                ca_rtt_us: None,
                tsecr: if ts { Some(1_000_000u32.wrapping_sub(m / 1000)) } else { None },
                acked: true,
                now_ts: 1_000_000,
            };
            r.ack_update_rtt(&s, SeqNum(una), SeqNum(una.wrapping_add(10_000)));
            prop_assert!(r.srtt_us >= 1);
            prop_assert!(r.rto_ms >= TCP_RTO_MIN_MS && r.rto_ms <= RTO_MAX, "rto {}", r.rto_ms);
            prop_assert_eq!(u64::from(r.rto_ms) * u64::from(hz) % 1000, 0);
            prop_assert!(r.rttvar_us >= r.rto_min_us());
        }
        let ctx = RtxTimerCtx::new(0);
        for _ in 0..backoffs {
            let step = RtxTimerStep::Retransmit { zero_window: false, negative_advice: false };
            let rearm = r.after_timer_retransmit(step, false, 0, &ctx);
            prop_assert!(r.rto_ms >= TCP_RTO_MIN_MS && r.rto_ms <= RTO_MAX);
            prop_assert!(rearm.timer_ms <= RTO_MAX);
        }
        prop_assert!(probe0_when(&r, RTO_MAX) >= TCP_RTO_MIN_MS);
        prop_assert!(probe0_when(&r, RTO_MAX) <= RTO_MAX);
    }

    /// The transmit decision never sends data beyond the peer's window,
    /// nor more segments than cwnd has room for, starts at snd_nxt, and
    /// cuts at most one partial segment (the last).
    #[test]
    fn xmit_respects_windows(
        una in any::<u32>(),
        sent in 0u32..200_000,
        queued in 0u32..300_000,
        fin: bool,
        snd_wnd in prop_oneof![0u32..5000, 0u32..2_000_000],
        mss in 1u32..9000,
        cwnd in 0u32..200,
        in_flight in 0u32..220,
        nonagle in 0u8..8,
        sml_off in 0u32..300_000,
    ) {
        let mut s = SendSeq::new(SeqNum(una), snd_wnd, SeqNum(0), 0, 0);
        s.snd_nxt = SeqNum(una.wrapping_add(sent));
        s.write_seq = s.snd_nxt;
        s.queue_data(queued);
        if fin {
            s.queue_fin();
        }
        s.snd_sml = SeqNum(una.wrapping_add(sml_off));
        let p = XmitParams { mss_now: mss, cwnd, in_flight, packets_out: in_flight, nonagle: Nagle(nonagle) };
        match s.write_xmit_next(&p) {
            Xmit::Send(c) => {
                prop_assert_eq!(c.seq, s.snd_nxt);
                prop_assert!(c.segs >= 1);
                prop_assert!(u64::from(c.segs) <= u64::from(cwnd.saturating_sub(in_flight)));
                prop_assert!(c.len <= s.unsent_data());
                // Data never beyond the right edge of the window.
                prop_assert!(!c.seq.wrapping_add(c.len).after(s.wnd_end()));
                prop_assert!(u64::from(c.len) <= u64::from(c.segs) * u64::from(mss));
                prop_assert!(c.len == 0 || u64::from(c.segs - 1) * u64::from(mss) < u64::from(c.len));
                if c.fin {
                    prop_assert_eq!(c.len, s.unsent_data());
                }
                if c.len == 0 {
                    prop_assert!(c.fin);
                }
            }
            Xmit::Idle => prop_assert!(queued == 0 && !fin),
            Xmit::CwndLimited => prop_assert!(in_flight >= cwnd),
            Xmit::RwndLimited | Xmit::Nagle => {}
        }
    }

    /// ACK acceptance never panics, keeps snd_una between its old value
    /// and snd_nxt, and only changes the window with FLAG_WIN_UPDATE.
    #[test]
    fn ack_acceptance_invariants(
        una in any::<u32>(),
        nxt_off in 0u32..1_000_000,
        ack_off in any::<i32>(),
        seq in any::<u32>(),
        wl1 in any::<u32>(),
        win: u16,
        wscale in 0u8..20,
        syn: bool,
        max_window in any::<u32>(),
        bytes_acked in any::<u64>(),
    ) {
        let mut s = SendSeq::new(SeqNum(una), 1000, SeqNum(wl1), wscale, 0);
        s.snd_nxt = SeqNum(una.wrapping_add(nxt_off));
        s.write_seq = s.snd_nxt;
        s.max_window = max_window;
        s.bytes_acked = bytes_acked;
        let before = s;
        let mut rto = RtoState::new(1000);
        let mut ps = Persist::default();
        let ack = SeqNum(una.wrapping_add(ack_off as u32));
        let a = AckInput { seq: SeqNum(seq), end_seq: SeqNum(seq), ack, window: win, syn, no_challenge: false, now_ms: 5 };
        match s.tcp_ack(&a, &mut rto, &mut ps) {
            AckVerdict::Accepted(acc) => {
                prop_assert!(s.snd_una.between(before.snd_una, before.snd_nxt));
                prop_assert_eq!(acc.prior_snd_una, before.snd_una);
                prop_assert_eq!(acc.flag.has(AckFlags::SND_UNA_ADVANCED), s.snd_una != before.snd_una);
                if !acc.flag.has(AckFlags::WIN_UPDATE) {
                    prop_assert_eq!(s.snd_wnd, before.snd_wnd);
                    prop_assert_eq!(s.snd_wl1, before.snd_wl1);
                }
                prop_assert!(s.max_window >= before.max_window);
            }
            _ => prop_assert_eq!(s, before),
        }
    }

    /// SO_SNDBUF/SO_RCVBUF results are at least the minimum, even when
    /// doubled from a positive value, and never overflow.
    #[test]
    fn socket_buffers(val: i32, max: u32, force: bool) {
        let o = common::SKB;
        let s = so_sndbuf(val, max, force, &o);
        let r = so_rcvbuf(val, max, force, &o);
        prop_assert!(s >= o.sock_min_sndbuf());
        prop_assert!(r >= o.sock_min_rcvbuf());
        prop_assert!(s == o.sock_min_sndbuf() || s % 2 == 0);
        prop_assert!(r == o.sock_min_rcvbuf() || r % 2 == 0);
    }
}

// ---- a sender over a lossy link ----

const MSS: u32 = 1000;
const DELAY: u32 = 10; // one-way, ms
const S: CongSysctls = CongSysctls::DEFAULT;

#[derive(Clone, Copy)]
struct Seg {
    seq: u32,
    len: u32,
    fin: bool,
    st: SegState,
    tx_ms: u32,
}

impl Seg {
    fn end(&self) -> u32 {
        self.seq + self.len + self.fin as u32
    }
}

struct Q(Vec<Seg>);

impl RtxQueue for Q {
    fn walk(&mut self, f: &mut dyn FnMut(&mut SegState) -> bool) {
        for s in self.0.iter_mut() {
            if !f(&mut s.st) {
                break;
            }
        }
    }
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    /// Data at the receiver: seq, len, fin, tsval.
    Data(u32, u32, bool, u32),
    /// ACK at the sender: ack, tsecr.
    Ack(u32, u32),
}

struct Sim {
    now: u32,
    ss: SendSeq,
    rto: RtoState,
    cong: CongState,
    ps: Persist,
    q: Q,
    timer: Option<u32>,
    events: BinaryHeap<Reverse<(u32, u64, Ev)>>,
    n: u64,
    drops: Vec<bool>,
    ack_drops: Vec<bool>,
    tx_count: usize,
    ack_count: usize,
    // receiver
    rcv_nxt: u32,
    ofo: BTreeMap<u32, (u32, bool)>,
    ts_recent: u32,
    fin_rcvd: bool,
    total: u32,
}

impl Sim {
    /// A fresh transfer of `total` bytes over a link that drops the data
    /// segments and ACKs whose index is true in `drops` / `ack_drops`.
    fn new(total: u32, drops: Vec<bool>, ack_drops: Vec<bool>) -> Self {
        Sim {
            now: 0,
            ss: SendSeq::new(SeqNum(0), 1 << 20, SeqNum(7), 0, 0),
            rto: RtoState::new(1000),
            cong: CongState::new(false, &S, 0),
            ps: Persist::default(),
            q: Q(Vec::new()),
            timer: None,
            events: BinaryHeap::new(),
            n: 0,
            drops,
            ack_drops,
            tx_count: 0,
            ack_count: 0,
            rcv_nxt: 0,
            ofo: BTreeMap::new(),
            ts_recent: 0,
            fin_rcvd: false,
            total,
        }
    }

    fn check(&mut self) {
        let c = &self.cong;
        assert!(c.snd_cwnd >= 1, "cwnd 0");
        assert!(c.snd_ssthresh >= 2);
        assert_eq!(c.packets_out as usize, self.q.0.len());
        let lost = self.q.0.iter().filter(|s| s.st.has(SegState::LOST)).count();
        let rtx = self.q.0.iter().filter(|s| s.st.has(SegState::SACKED_RETRANS)).count();
        assert_eq!(c.lost_out as usize, lost);
        assert_eq!(c.retrans_out as usize, rtx);
        assert!(c.left_out() <= c.packets_out);
        assert!(self.rto.rto_ms >= TCP_RTO_MIN_MS && self.rto.rto_ms <= RTO_MAX);
        if let Some(first) = self.q.0.first() {
            assert!(first.seq <= self.ss.snd_una.0 && self.ss.snd_una.0 < first.end());
        }
    }

    fn transmit(&mut self, seq: u32, len: u32, fin: bool) {
        let dropped = self.drops.get(self.tx_count).copied().unwrap_or(false);
        self.tx_count += 1;
        if !dropped {
            self.n += 1;
            self.events
                .push(Reverse((self.now + DELAY, self.n, Ev::Data(seq, len, fin, self.now))));
        }
    }

    fn push_new(&mut self, nonagle: Nagle) {
        let mut sent = 0;
        loop {
            let p = XmitParams {
                mss_now: MSS,
                cwnd: self.cong.snd_cwnd,
                in_flight: self.cong.packets_in_flight(),
                packets_out: self.cong.packets_out,
                nonagle,
            };
            let Xmit::Send(c) = self.ss.write_xmit_next(&p) else {
                break;
            };
            assert!(c.segs <= self.cong.snd_cwnd - self.cong.packets_in_flight());
            let mut off = 0;
            for i in 0..c.segs {
                let len = (c.len - off).min(MSS);
                let fin = c.fin && i + 1 == c.segs;
                let seg = Seg {
                    seq: c.seq.0 + off,
                    len,
                    fin,
                    st: SegState::default(),
                    tx_ms: self.now,
                };
                self.q.0.push(seg);
                if self.cong.on_new_data_sent() {
                    self.timer = Some(self.now + self.rto.rto_ms);
                }
                self.transmit(seg.seq, len, fin);
                off += len;
            }
            self.ss.on_sent(&c, MSS);
            sent += c.segs;
        }
        let x = XmitDone {
            snd_una: self.ss.snd_una,
            snd_nxt: self.ss.snd_nxt,
            now_ms: self.now,
            rto_ms: self.rto.rto_ms,
            nospace: false,
        };
        self.cong.after_write_xmit(sent, &x, &S);
    }

    fn retransmit_lost(&mut self) {
        while let Some(i) = self.cong.next_retransmit(&mut self.q) {
            let s = self.q.0[i];
            self.q.0[i].tx_ms = self.now;
            if self.cong.on_retransmit(&mut self.q, i, self.now, true) {
                self.timer = Some(self.now + self.rto.rto_ms);
            }
            // Retransmit from snd_una if the head was partly acknowledged.
            let start = s.seq.max(self.ss.snd_una.0);
            self.transmit(start, s.seq + s.len - start, s.fin);
        }
    }

    fn on_ack(&mut self, ack: u32, tsecr: u32) {
        let a = AckInput {
            seq: SeqNum(7),
            end_seq: SeqNum(7),
            ack: SeqNum(ack),
            window: 65535,
            syn: false,
            no_challenge: false,
            now_ms: self.now,
        };
        let AckVerdict::Accepted(acc) = self.ss.tcp_ack(&a, &mut self.rto, &mut self.ps) else {
            return;
        };
        let mut acked = AckedSegs::default();
        while let Some(f) = self.q.0.first().copied() {
            if f.end() <= ack {
                acked.add(f.st, SeqNum(f.end()), u64::from(f.tx_ms) * 1000, false, self.cong.high_seq);
                self.q.0.remove(0);
            } else {
                break;
            }
        }
        let now_us = u64::from(self.now) * 1000;
        let sample = RttSample {
            seq_rtt_us: acked.seq_rtt_us(now_us),
            ca_rtt_us: acked.ca_rtt_us(now_us),
            tsecr: Some(tsecr),
            acked: acked.flag.has(AckFlags::ACKED),
            now_ts: self.now,
        };
        self.rto.ack_update_rtt(&sample, self.ss.snd_una, self.ss.snd_nxt);
        let ev = AckEvent {
            prior_snd_una: acc.prior_snd_una,
            snd_una: self.ss.snd_una,
            snd_nxt: self.ss.snd_nxt,
            flag: acc.flag,
            acked,
            tsecr: Some(tsecr),
            mss_cache: MSS,
            can_send_new: !self.ss.write_queue_empty() && self.ss.wnd_end().after(self.ss.snd_nxt),
            ack_segs: 1,
            now_ms: self.now,
        };
        let out = self.cong.on_ack(&mut self.q, &ev, &S);
        if out.set_xmit_timer {
            self.timer = match self.rto.rearm_rto(self.cong.packets_out) {
                RtoTimer::Clear => None,
                RtoTimer::Reset(ms) => Some(self.now + ms),
            };
        }
        self.check();
        match out.rexmit {
            Rexmit::Lost => self.retransmit_lost(),
            Rexmit::New => {
                self.push_new(Nagle(Nagle::OFF));
                if self.cong.frto_new_data_sent(self.ss.snd_nxt) {
                    self.retransmit_lost();
                }
            }
            Rexmit::None => {}
        }
        self.push_new(Nagle(0));
        self.check();
    }

    fn on_timer(&mut self) {
        self.timer = None;
        let ctx = RtxTimerCtx::new(self.now);
        let step = retransmit_timer(
            &mut self.rto,
            &mut self.cong,
            &mut self.q,
            self.ss.snd_una,
            self.ss.snd_nxt,
            &S,
            &ctx,
        );
        match step {
            RtxTimerStep::Idle => {}
            RtxTimerStep::Expire => panic!("connection timed out at {}", self.now),
            RtxTimerStep::Retransmit { .. } => {
                assert_eq!(self.cong.ca_state, CaState::Loss);
                let s = self.q.0[0];
                self.q.0[0].tx_ms = self.now;
                self.cong.on_retransmit(&mut self.q, 0, self.now, true);
                let start = s.seq.max(self.ss.snd_una.0);
                self.transmit(start, s.seq + s.len - start, s.fin);
                let r = self.rto.after_timer_retransmit(step, false, self.cong.retrans_stamp, &ctx);
                self.timer = Some(self.now + r.timer_ms);
            }
        }
        self.check();
    }

    fn on_data(&mut self, seq: u32, len: u32, fin: bool, tsval: u32) {
        assert!(seq + len <= self.total);
        // RFC 7323: TS.Recent from segments at or before the left edge.
        if seq <= self.rcv_nxt {
            self.ts_recent = tsval;
        }
        if seq + len + fin as u32 > self.rcv_nxt {
            self.ofo.insert(seq, (len, fin));
        }
        while let Some((&s, &(l, f))) = self.ofo.iter().next() {
            if s > self.rcv_nxt {
                break;
            }
            self.ofo.remove(&s);
            let end = s + l + f as u32;
            if end > self.rcv_nxt {
                self.rcv_nxt = end;
                if f {
                    self.fin_rcvd = true;
                }
            }
        }
        let dropped = self.ack_drops.get(self.ack_count).copied().unwrap_or(false);
        self.ack_count += 1;
        if !dropped {
            self.n += 1;
            self.events
                .push(Reverse((self.now + DELAY, self.n, Ev::Ack(self.rcv_nxt, self.ts_recent))));
        }
    }

    fn run(&mut self) {
        self.ss.queue_data(self.total);
        self.ss.queue_fin();
        self.push_new(Nagle(0));
        for _ in 0..200_000 {
            if self.fin_rcvd && self.q.0.is_empty() {
                return;
            }
            let next_ev = self.events.peek().map(|Reverse((t, _, _))| *t);
            match (next_ev, self.timer) {
                (Some(t), Some(tt)) if tt < t => {
                    self.now = tt;
                    self.on_timer();
                }
                (None, Some(tt)) => {
                    self.now = tt;
                    self.on_timer();
                }
                (Some(_), _) => {
                    let Reverse((t, _, ev)) = self.events.pop().unwrap();
                    self.now = t;
                    match ev {
                        Ev::Data(s, l, f, ts) => self.on_data(s, l, f, ts),
                        Ev::Ack(a, e) => self.on_ack(a, e),
                    }
                }
                (None, None) => panic!("stalled: una {} nxt {}", self.ss.snd_una.0, self.ss.snd_nxt.0),
            }
        }
        panic!("did not finish");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A NewReno sender over a link that loses data and ACKs (by the
    /// given patterns, then nothing) delivers every byte and the FIN, with
    /// the scoreboard consistent and cwnd >= 1 throughout.
    #[test]
    fn lossy_link_delivers_everything(
        segs in 1u32..80,
        drops in prop::collection::vec(prop::bool::weighted(0.15), 0..150),
        ack_drops in prop::collection::vec(prop::bool::weighted(0.1), 0..150),
    ) {
        let total = segs * MSS - 123;
        let mut sim = Sim::new(total, drops, ack_drops);
        sim.ss.snd_sml = SeqNum(0);
        sim.ss.bytes_acked = 1;
        sim.run();
        prop_assert_eq!(sim.rcv_nxt, total + 1);
        prop_assert_eq!(sim.ss.snd_una.0, total + 1);
        prop_assert_eq!(sim.cong.packets_out, 0);
    }
}

#[test]
fn lossless_transfer_is_fast_and_grows_cwnd() {
    let total = 200 * MSS;
    let mut sim = Sim::new(total, Vec::new(), Vec::new());
    sim.run();
    // Slow start from 10 doubles per 20 ms round: 10+20+40+80 = 150
    // segments in 4 rounds, the rest in the 5th: done within 6 RTTs.
    assert!(sim.now <= 6 * 2 * DELAY, "took {} ms", sim.now);
    assert_eq!(sim.tx_count, 201);
    assert!(sim.cong.snd_cwnd > 100);
    assert_eq!(sim.cong.total_retrans, 0);
    // RTT 20 ms: srtt 20 ms, RTO = 20 + max(rttvar, 200) ms.
    assert_eq!(sim.rto.srtt_us >> 3, 20_000);
    assert_eq!(sim.rto.rto_ms, 220);
}

#[test]
fn single_loss_recovers_by_fast_retransmit() {
    let total = 40 * MSS;
    let mut drops = vec![false; 40];
    drops[3] = true;
    let mut sim = Sim::new(total, drops, Vec::new());
    sim.run();
    // One retransmission, no timeout (RTO would be at least 1 s here).
    assert_eq!(sim.cong.total_retrans, 1);
    assert_eq!(sim.rto.total_rto, 0);
    assert!(sim.now < 200, "took {} ms", sim.now);
    // The reduction stuck: the three in-order ACKs before the loss had
    // grown cwnd to 13, so ssthresh = 13 / 2.
    assert_eq!(sim.cong.snd_ssthresh, 6);
    assert_eq!(sim.cong.ca_state, CaState::Open);
}

// ---- no panics on arbitrary state ----

fn ca_state(v: u32) -> CaState {
    match v % 5 {
        0 => CaState::Open,
        1 => CaState::Disorder,
        2 => CaState::Cwr,
        3 => CaState::Recovery,
        _ => CaState::Loss,
    }
}

/// Any `u32` read as a small-ish or an extreme value.
fn wild() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..64, Just(u32::MAX), Just(u32::MAX - 1), Just(0x7fff_ffff), any::<u32>()]
}

fn cong_from(v: &[u32], flags: u8) -> CongState {
    let mut c = CongState::new(flags & 1 != 0, &S, v[0]);
    c.snd_cwnd = v[1];
    c.snd_ssthresh = v[2];
    c.snd_cwnd_cnt = v[3];
    c.snd_cwnd_clamp = v[4];
    c.snd_cwnd_used = v[5];
    c.prior_cwnd = v[6];
    c.prior_ssthresh = v[7];
    c.ca_state = ca_state(v[8]);
    c.high_seq = SeqNum(v[9]);
    c.undo_marker = v[10];
    c.undo_retrans = v[11] as i32;
    c.reordering = v[12];
    c.packets_out = v[13];
    c.sacked_out = v[14];
    c.lost_out = v[15];
    c.retrans_out = v[16];
    c.delivered = v[17];
    c.lost = v[18];
    c.prr_delivered = v[19];
    c.prr_out = v[20];
    c.retrans_stamp = v[21];
    c.total_retrans = v[22];
    c.max_packets_out = v[23];
    c.cwnd_usage_seq = SeqNum(v[24]);
    c.frto = flags & 2 != 0;
    c.is_cwnd_limited = flags & 4 != 0;
    c.ecn_ok = flags & 8 != 0;
    c
}

proptest! {
    /// Congestion control, the timers and the send decisions never panic
    /// (no overflow, no division by zero) whatever state they are given.
    #[test]
    fn no_panic_on_arbitrary_state(
        v in prop::collection::vec(wild(), 40),
        flags: u8,
        q in prop::collection::vec(any::<u8>(), 0..20),
        acked_bits in prop::collection::vec(any::<u8>(), 0..6),
        tsecr: Option<u32>,
        hz in hz(),
        ret: (u8, u8, u8),
    ) {
        let mut c = cong_from(&v, flags);
        let mut qs: Vec<SegState> = q.iter().map(|b| SegState(*b)).collect();
        let mut acked = AckedSegs::default();
        for (i, b) in acked_bits.iter().enumerate() {
            acked.add(SegState(*b), SeqNum(v[25].wrapping_add(i as u32)), u64::from(v[26]), b & 1 != 0, c.high_seq);
        }
        let _ = acked.seq_rtt_us(u64::from(v[27]));
        let ev = AckEvent {
            prior_snd_una: SeqNum(v[28]),
            snd_una: SeqNum(v[29]),
            snd_nxt: SeqNum(v[30]),
            flag: AckFlags(v[31]),
            acked,
            tsecr,
            mss_cache: v[32],
            can_send_new: flags & 16 != 0,
            ack_segs: v[33] as u16,
            now_ms: v[34],
        };
        let mut c1 = c;
        let _ = c1.on_ack(&mut qs[..], &ev, &S);
        let _ = c1.next_retransmit(&mut qs[..]);
        let _ = c1.on_retransmit(&mut qs[..], v[35] as usize % 24, v[36], flags & 32 != 0);
        let mut c2 = c;
        c2.enter_loss(&mut qs[..], SeqNum(v[29]), SeqNum(v[30]), ret.0, &S, v[34]);
        c2.cwnd_reduction(v[35], v[36], AckFlags(v[31]));
        c2.reno_cong_avoid(v[37]);
        c2.slow_start_after_idle_check(v[34], v[38], v[39], &S);
        let x = XmitDone { snd_una: SeqNum(v[28]), snd_nxt: SeqNum(v[30]), now_ms: v[34], rto_ms: v[39], nospace: flags & 64 != 0 };
        c.after_write_xmit(v[37], &x, &S);
        let _ = c.frto_new_data_sent(SeqNum(v[30]));

        let mut r = RtoState::new(hz);
        r.srtt_us = v[0];
        r.mdev_us = v[1];
        r.mdev_max_us = v[2];
        r.rttvar_us = v[3];
        r.rto_ms = v[4];
        r.rto_min_ms = v[5];
        r.backoff = v[6] as u8;
        r.retransmits = v[7] as u8;
        r.rtt_estimator(v[8], SeqNum(v[9]), SeqNum(v[10]));
        r.set_rto();
        let ctx = RtxTimerCtx {
            now_ms: v[11],
            timer_due_ms: v[12],
            rcv_tstamp_ms: v[13],
            head_tx_ms: v[14],
            snd_wnd: v[15] & 1,
            dead: flags & 128 != 0,
            soft_error: flags & 1 != 0,
            user_timeout_ms: v[16],
            retries1: ret.0,
            retries2: ret.1,
            orphan_retries: ret.2,
        };
        let mut c3 = cong_from(&v, flags);
        let step = retransmit_timer(&mut r, &mut c3, &mut qs[..], SeqNum(v[17]), SeqNum(v[18]), &S, &ctx);
        let _ = r.after_timer_retransmit(step, flags & 2 != 0, v[19], &ctx);
        let _ = r.rto_backoff_ms(v[20]);
        let _ = probe0_when(&r, v[21]);

        let mut s = SendSeq::new(SeqNum(v[22]), v[23], SeqNum(v[24]), v[25] as u8, v[26]);
        s.snd_nxt = SeqNum(v[27]);
        s.write_seq = SeqNum(v[28]);
        s.fin_queued = flags & 4 != 0;
        s.max_window = v[29];
        s.pushed_seq = SeqNum(v[30]);
        s.snd_sml = SeqNum(v[31]);
        let p = XmitParams { mss_now: v[32], cwnd: v[33], in_flight: v[34], packets_out: v[35], nonagle: Nagle(flags) };
        if let Xmit::Send(ch) = s.write_xmit_next(&p) {
            s.on_sent(&ch, v[32]);
        }
        let _ = s.forced_push();
        let _ = s.push_mark(flags & 8 != 0);
        let _ = s.write_wakeup(v[36]);
        let mut ps = Persist { probes_out: v[37] as u8, probes_tstamp: v[38] };
        let pctx = rust_tcp_proto::tcp_send::ProbeCtx {
            now_ms: v[39],
            packets_out: v[0] & 1,
            send_head: flags & 16 != 0,
            user_timeout_ms: v[1],
            retries2: ret.1,
            dead: flags & 32 != 0,
            soft_error: flags & 64 != 0,
            orphan_retries: ret.2,
        };
        let _ = ps.on_timer(&r, &pctx);
        let _ = ps.after_probe(&mut r, &pctx, rust_tcp_proto::tcp_send::ProbeResult::SentOrError, v[2] & 1, flags & 1 != 0);
        let _ = ps.ack_probe(&s, &mut r, v[3], v[4], v[5]);
        let _ = rust_tcp_proto::tcp_send::retransmit_len(SeqNum(v[6]), v[7], SeqNum(v[8]), v[9], v[10]);
        let a = AckInput { seq: SeqNum(v[11]), end_seq: SeqNum(v[12]), ack: SeqNum(v[13]), window: v[14] as u16, syn: flags & 2 != 0, no_challenge: false, now_ms: v[15] };
        s.bytes_acked = u64::from(v[16]) << 32;
        let _ = s.tcp_ack(&a, &mut r, &mut ps);
    }
}
