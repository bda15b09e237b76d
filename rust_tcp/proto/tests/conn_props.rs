// SPDX-License-Identifier: GPL-2.0

//! Two [`TcpConn`]s over a simulated link that loses, duplicates, delays
//! and reorders segments: every byte written arrives, in order, once, and
//! both sides close cleanly. Segments go through the wire format (emit,
//! then parse) on the way.

use proptest::prelude::*;
use rust_tcp_proto::errno::Errno;
use rust_tcp_proto::seq::SeqNum;
use rust_tcp_proto::seqbuf::{ChunkStore, SeqBuf, CHUNK};
use rust_tcp_proto::tcp_conn::{rtx_store_bytes, ConnParams, ConnSysctls, Now, RecvState, TcpConn, TimerCmd, Tx, RTX_SEGS};
use rust_tcp_proto::tcp_hdr::{emit, parse, TcpFlags, TcpRepr};
use rust_tcp_proto::tcp_minisocks::ChildInit;
use rust_tcp_proto::tcp_output::active_reset_repr;
use rust_tcp_proto::tcp_states::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

mod common;

const A: [u8; 4] = [10, 0, 1, 1];
const B: [u8; 4] = [10, 0, 1, 2];
const HZ: u32 = 250;
const PMTU: u32 = 1500;

/// The tests' store. Its new chunks are not zeroed but filled with 0xA5,
/// as the kernel's store hands out chunks a busy ring freed with their old
/// bytes: a connection that read a byte it never wrote would show it.
struct VecStore(Vec<Option<Box<[u8; CHUNK]>>>);

impl ChunkStore for VecStore {
    fn slots(&self) -> usize {
        self.0.len()
    }
    fn chunk(&self, i: usize) -> Option<&[u8]> {
        self.0.get(i)?.as_deref().map(|c| &c[..])
    }
    fn chunk_mut(&mut self, i: usize) -> Option<&mut [u8]> {
        Some(&mut self.0.get_mut(i)?.get_or_insert_with(|| Box::new([0xA5; CHUNK]))[..])
    }
    fn release(&mut self, i: usize) {
        if let Some(s) = self.0.get_mut(i) {
            *s = None;
        }
    }
}

fn store(bytes: usize) -> VecStore {
    VecStore((0..bytes.div_ceil(CHUNK)).map(|_| None).collect())
}

/// Collects what a step sends, as segments on the wire: GSO packets of
/// up to `.3` segments (1: no GSO) are cut as the stack would; `.4`
/// counts the packets handed over.
#[derive(Default)]
struct Out(Vec<Vec<u8>>, [u8; 4], [u8; 4], u32, u32);

impl Tx<VecStore> for Out {
    fn xmit(&mut self, repr: &TcpRepr, buf: &SeqBuf<VecStore>, seq: SeqNum, len: u32, gso: u32) {
        if gso > 0 && len > gso {
            // tcp_gso_segment(): each segment the header with its own
            // sequence number, PSH and FIN on the last, CWR on the first.
            let mut off = 0;
            while off < len {
                let n = (len - off).min(gso);
                let mut r = *repr;
                r.seq = repr.seq.wrapping_add(off);
                if off + n < len {
                    r.flags = r.flags.difference(TcpFlags::PSH.union(TcpFlags::FIN));
                }
                if off > 0 {
                    r.flags = r.flags.difference(TcpFlags::CWR);
                }
                self.push_segment(&r, buf, seq.wrapping_add(off), n);
                off += n;
            }
            self.4 += 1;
            return;
        }
        self.4 += 1;
        self.push_segment(repr, buf, seq, len);
    }

    fn gso_max_segs(&self, mss: u32) -> u32 {
        // tcp_tso_autosize()'s cap: 64 KiB less MAX_TCP_HEADER.
        self.3.min((65536 - 1 - 320) / mss.max(1)).max(1)
    }
}

impl Out {
    fn new(l: [u8; 4], r: [u8; 4], gso: u32) -> Self {
        Out(Vec::new(), l, r, gso, 0)
    }

    fn push_segment(&mut self, repr: &TcpRepr, buf: &SeqBuf<VecStore>, seq: SeqNum, len: u32) {
        let mut payload = vec![0u8; len as usize];
        buf.read(seq, &mut payload);
        let mut wire = vec![0u8; 60 + payload.len()];
        let n = emit(repr, self.1, self.2, &payload, &mut wire).unwrap();
        // DF is set on every segment: one that does not fit the path MTU
        // (1500, less the IP header) would be dropped by IP, every time.
        assert!(n <= PMTU as usize - 20, "a {n}-byte segment ({len} bytes of data, {} of header) exceeds the path MTU", n - len as usize);
        wire.truncate(n);
        self.0.push(wire);
    }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 16) as u32
    }
    fn chance(&mut self, pct: u32) -> bool {
        self.next() % 1000 < pct * 10
    }
}

fn pattern(i: u64, side: u8) -> u8 {
    let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(side);
    (x >> 29) as u8
}

struct End {
    c: TcpConn<VecStore>,
    to_send: u64,
    sent: u64,
    shut: bool,
    got: u64,
    eof: bool,
    rtx_at: Option<u32>,
    del_at: Option<u32>,
    done: Option<Option<Errno>>,
    tw: Option<u8>,
    side: u8,
    laddr: [u8; 4],
    raddr: [u8; 4],
    read_chunk: usize,
    /// The largest send buffer seen.
    max_sndbuf: u32,
    /// Pieces copied so far by side 1's faulting writer and reader.
    faults: u32,
}

fn init(iss: u32, irs: u32, wnd: u32, wscale: u8) -> ChildInit {
    ChildInit {
        rcv_nxt: SeqNum(irs.wrapping_add(1)),
        snd_una: SeqNum(iss.wrapping_add(1)),
        snd_wl1: SeqNum(irs),
        snd_wnd: wnd,
        max_window: wnd,
        rcv_wnd: 65535,
        rcv_ssthresh: 65535,
        window_clamp: 65535 << wscale,
        wscale_ok: true,
        snd_wscale: wscale,
        rcv_wscale: wscale,
        sack_ok: true,
        tstamp_ok: true,
        ts_recent: 1,
        ts_offset: iss,
        mss_clamp: 1460,
        advmss: 1460,
        tcp_header_len: 32,
        total_retrans: 0,
        total_rto: 0,
    }
}

fn now(ms: u32) -> Now {
    Now {
        ms,
        jiffies: ms / (1000 / HZ),
        secs: ms / 1000,
        us: u64::from(ms) * 1000,
    }
}

fn params(l: u16, r: u16, rcv_space: i32) -> ConnParams {
    ConnParams {
        lport: l,
        rport: r,
        hz: HZ,
        rcvbuf: 2 * rcv_space as u32,
        rcvbuf_max: None,
        snd_cap: 256 * 1024,
        sndbuf_init: None,
        active: l == 1,
        pmtu: PMTU,
        sysctls: ConnSysctls::DEFAULT,
        skb: common::SKB,
    }
}

impl End {
    fn new(c: TcpConn<VecStore>, to_send: u64, side: u8, laddr: [u8; 4], raddr: [u8; 4], read_chunk: usize) -> Self {
        End {
            c,
            to_send,
            sent: 0,
            shut: false,
            got: 0,
            eof: false,
            rtx_at: None,
            del_at: None,
            done: None,
            tw: None,
            side,
            laddr,
            raddr,
            read_chunk,
            max_sndbuf: 0,
            faults: 0,
        }
    }

    fn out(&self) -> Out {
        Out::new(self.laddr, self.raddr, if self.side == 0 { 1 } else { 44 })
    }

    fn apply(&mut self, t: u32) {
        self.max_sndbuf = self.max_sndbuf.max(self.c.sndbuf());
        let ev = self.c.take_events();
        match ev.rtx_timer {
            TimerCmd::Keep => (),
            TimerCmd::Stop => self.rtx_at = None,
            TimerCmd::Reset(ms) => self.rtx_at = Some(t + ms),
        }
        match ev.delack_timer {
            TimerCmd::Keep => (),
            TimerCmd::Stop => self.del_at = None,
            TimerCmd::Reset(ms) => self.del_at = Some(t + ms),
        }
        if let Some(e) = ev.done {
            self.done = Some(e);
            self.rtx_at = None;
            self.del_at = None;
        }
        if let Some((st, _)) = ev.time_wait {
            self.tw = Some(st);
            self.rtx_at = None;
            self.del_at = None;
        }
    }

    fn closed(&self) -> bool {
        self.done.is_some() || self.tw.is_some()
    }

    /// The application: write what fits, read what is there.
    fn app(&mut self, t: u32, o: &mut Out) {
        let n = now(t);
        // A closed connection (TIME_WAIT, reset) keeps what it received
        // readable, as Linux's sock does after tcp_done().
        while !self.closed() && self.sent < self.to_send {
            let k = ((self.to_send - self.sent) as usize).min(3000);
            let buf: Vec<u8> = (0..k as u64).map(|i| pattern(self.sent + i, self.side)).collect();
            let q = if self.side == 0 {
                self.c.send_queue(&buf, false)
            } else {
                // Side 1 writes as sendmsg() does, straight into the ring
                // from a source that faults: every third piece is half
                // filled, which ends that write short.
                let (mut at, faults) = (0, &mut self.faults);
                let q = self.c.send_queue_with(buf.len(), |dst| {
                    *faults += 1;
                    let n = if *faults % 3 == 0 { dst.len() / 2 } else { dst.len() };
                    dst[..n].copy_from_slice(&buf[at..at + n]);
                    at += n;
                    n
                });
                self.c.push_mark(false);
                q
            };
            if q == 0 {
                // As sendmsg() before it waits (SOCK_NOSPACE).
                self.c.set_nospace();
                break;
            }
            self.sent += q as u64;
            self.c.push(o, &n);
        }
        if !self.closed() && self.sent == self.to_send && !self.shut {
            self.shut = true;
            self.c.shutdown(2, o, &n);
        }
        loop {
            let mut buf = vec![0u8; self.read_chunk];
            match self.c.recv_state() {
                RecvState::Data => {
                    let k = if self.side == 0 {
                        self.c.recv_copy(0, &mut buf)
                    } else {
                        // As recvmsg() copies to user memory that faults:
                        // every third piece is half taken.
                        let (mut at, faults) = (0, &mut self.faults);
                        self.c.recv_copy_with(0, buf.len(), |src| {
                            *faults += 1;
                            let n = if *faults % 3 == 0 { src.len() / 2 } else { src.len() };
                            buf[at..at + n].copy_from_slice(&src[..n]);
                            at += n;
                            n
                        })
                    };
                    for (i, b) in buf[..k].iter().enumerate() {
                        assert_eq!(*b, pattern(self.got + i as u64, 1 - self.side), "byte {}", self.got + i as u64);
                    }
                    self.got += k as u64;
                    self.c.recv_done(k as u32, o, &n);
                }
                RecvState::Eof => {
                    self.eof = true;
                    break;
                }
                RecvState::Empty => break,
            }
        }
        self.apply(t);
    }
}

struct Link {
    loss: u32,
    dup: u32,
    reorder: u32,
    delay: u32,
}

fn run(total_a: u64, total_b: u64, link: Link, seed: u64, rcv_space: i32, read_chunk: usize) -> (End, End, u32) {
    run_snd(total_a, total_b, link, seed, rcv_space, read_chunk, 256 * 1024)
}

#[allow(clippy::too_many_arguments)]
fn run_snd(total_a: u64, total_b: u64, link: Link, seed: u64, rcv_space: i32, read_chunk: usize, snd: usize) -> (End, End, u32) {
    run_cfg(total_a, total_b, link, seed, rcv_space, read_chunk, snd, None, None)
}

/// [`run_snd`] with autotuned send buffers starting at `sndbuf_init`
/// (`Some`), or `snd` bytes each (`None`); receive buffers autotuned up to
/// `rcvbuf_max` if set.
#[allow(clippy::too_many_arguments)]
fn run_cfg(
    total_a: u64,
    total_b: u64,
    link: Link,
    seed: u64,
    rcv_space: i32,
    read_chunk: usize,
    snd: usize,
    sndbuf_init: Option<u32>,
    rcvbuf_max: Option<u32>,
) -> (End, End, u32) {
    let mut rng = Rng(seed | 1);
    let t0 = now(0);
    let mut pa = params(1, 2, rcv_space);
    pa.snd_cap = snd as u32;
    pa.sndbuf_init = sndbuf_init;
    let mut pb = params(2, 1, rcv_space);
    pb.snd_cap = snd as u32;
    pb.sndbuf_init = sndbuf_init;
    pa.rcvbuf_max = rcvbuf_max;
    pb.rcvbuf_max = rcvbuf_max;
    let rcv_store = (rcv_space as usize).max(rcvbuf_max.map_or(0, |m| m as usize / 2)) + 8192;
    let ca = TcpConn::new(&init(1000, 5000, 65535 << 7, 7), &pa, store(snd), store(rcv_store), store(8192), &t0);
    let cb = TcpConn::new(&init(5000, 1000, 65535 << 7, 7), &pb, store(snd), store(rcv_store), store(8192), &t0);
    let mut ends = [End::new(ca, total_a, 0, A, B, read_chunk), End::new(cb, total_b, 1, B, A, read_chunk)];
    // (time, seq no, destination, packet)
    let mut net: BinaryHeap<Reverse<(u32, u64, usize, Vec<u8>)>> = BinaryHeap::new();
    let mut n = 0u64;
    let mut t = 0u32;
    let mut send = |from: usize, o: Out, t: u32, net: &mut BinaryHeap<Reverse<(u32, u64, usize, Vec<u8>)>>, rng: &mut Rng| {
        for p in o.0 {
            if rng.chance(link.loss) {
                continue;
            }
            let copies = if rng.chance(link.dup) { 2 } else { 1 };
            for _ in 0..copies {
                let d = if rng.chance(link.reorder) { 1 } else { link.delay };
                n += 1;
                net.push(Reverse((t + d, n, 1 - from, p.clone())));
            }
        }
    };
    for i in 0..2 {
        let mut o = ends[i].out();
        ends[i].app(0, &mut o);
        send(i, o, 0, &mut net, &mut rng);
    }
    for _ in 0..5_000_000 {
        if ends.iter().all(|e| e.closed() && e.eof) {
            break;
        }
        // Next event: a packet, or a timer.
        let mut next = net.peek().map(|Reverse((at, ..))| *at);
        for e in &ends {
            for x in [e.rtx_at, e.del_at].into_iter().flatten() {
                next = Some(next.map_or(x, |y: u32| y.min(x)));
            }
        }
        let Some(at) = next else { break };
        assert!(at >= t);
        t = at;
        assert!(t < 3_600_000, "no progress after an hour: a={} b={}", ends[0].got, ends[1].got);
        if let Some(Reverse((pt, ..))) = net.peek() {
            if *pt == t {
                let Reverse((_, _, to, pkt)) = net.pop().unwrap();
                let e = &mut ends[to];
                let mut o = e.out();
                if !e.closed() {
                    let seg = parse(&pkt).unwrap();
                    e.c.rcv(&seg, &mut o, &now(t), || 4);
                    e.apply(t);
                    e.app(t, &mut o);
                }
                send(to, o, t, &mut net, &mut rng);
                continue;
            }
        }
        for i in 0..2 {
            let e = &mut ends[i];
            let mut o = e.out();
            if e.rtx_at == Some(t) {
                e.rtx_at = None;
                e.c.retransmit_timer(&mut o, &now(t));
                e.apply(t);
            }
            if e.del_at == Some(t) {
                e.del_at = None;
                e.c.delack_timer(&mut o, &now(t));
                e.apply(t);
            }
            e.app(t, &mut o);
            send(i, o, t, &mut net, &mut rng);
        }
    }
    let [a, b] = ends;
    (a, b, t)
}

fn check(a: &End, b: &End, total_a: u64, total_b: u64) {
    assert_eq!(b.got, total_a, "b got");
    assert_eq!(a.got, total_b, "a got");
    assert!(a.eof && b.eof);
    // Both sides sent a FIN and the sequence numbers agree.
    assert_eq!(a.c.rcv_nxt, b.c.snd.write_seq);
    assert_eq!(b.c.rcv_nxt, a.c.snd.write_seq);
}

#[test]
fn clean_link_exchange_and_close() {
    let (a, b, t) = run(1_000_000, 300_000, Link { loss: 0, dup: 0, reorder: 0, delay: 10 }, 7, 65535, 7000);
    check(&a, &b, 1_000_000, 300_000);
    assert_eq!(a.c.rtx_capacity(), 512);
    // Everything acknowledged and read: neither side keeps a page.
    assert_eq!((a.c.chunks_held(), b.c.chunks_held()), (0, 0));
    // B finished first: its FIN made A CLOSE_WAIT, A's FIN then went
    // LAST_ACK and closed cleanly when B acknowledged it from TIME_WAIT.
    assert_eq!(a.done, Some(None));
    assert_eq!(a.tw, None);
    assert_eq!(b.done, None);
    assert_eq!(b.tw, Some(TCP_TIME_WAIT));
    assert_eq!(a.c.retrans_segs + b.c.retrans_segs, 0);
    assert!(t < 10_000, "took {t} ms");
}

#[test]
fn simultaneous_close_both_time_wait() {
    let (a, b, _) = run(50_000, 50_000, Link { loss: 0, dup: 0, reorder: 0, delay: 10 }, 7, 65535, 70000);
    check(&a, &b, 50_000, 50_000);
    assert_eq!((a.done, b.done), (None, None));
    assert_eq!((a.tw, b.tw), (Some(TCP_TIME_WAIT), Some(TCP_TIME_WAIT)));
}

#[test]
fn one_byte_and_empty() {
    let (a, b, _) = run(1, 0, Link { loss: 0, dup: 0, reorder: 0, delay: 5 }, 3, 65535, 1);
    check(&a, &b, 1, 0);
}

#[test]
fn lossy_link_delivers_everything() {
    let (a, b, t) = run(2_000_000, 500_000, Link { loss: 5, dup: 1, reorder: 25, delay: 20 }, 99, 65535, 4096);
    check(&a, &b, 2_000_000, 500_000);
    assert!(a.c.retrans_segs > 0);
    assert!(t < 600_000, "took {t} ms");
}

#[test]
fn small_receive_buffer_and_slow_reader() {
    let (a, b, _) = run(300_000, 0, Link { loss: 1, dup: 0, reorder: 0, delay: 3 }, 5, 8192, 100);
    check(&a, &b, 300_000, 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn any_link_any_sizes(
        total_a in 0u64..200_000,
        total_b in 0u64..50_000,
        loss in 0u32..15,
        dup in 0u32..5,
        reorder in 0u32..40,
        delay in 1u32..50,
        seed: u64,
        space in prop_oneof![Just(4096i32), Just(65535i32), Just(200_000i32)],
        read_chunk in 1usize..20_000,
    ) {
        let (a, b, _) = run(total_a, total_b, Link { loss, dup, reorder, delay }, seed, space, read_chunk);
        check(&a, &b, total_a, total_b);
    }
}

/// The reset a connection aborts with (`tcp_send_active_reset()`):
/// RST|ACK at `snd_nxt`, after what was sent, acknowledging `rcv_nxt`;
/// the same segment as [`active_reset_repr`] builds for a socket that has
/// no [`TcpConn`] yet.
#[test]
fn active_reset_at_snd_nxt() {
    let t0 = now(0);
    let mut c = TcpConn::new(&init(1000, 5000, 65535, 0), &params(1, 2, 65535), store(65536), store(65536 + 8192), store(8192), &t0);
    let mut o = Out::new(A, B, 1);
    assert_eq!(c.send_queue(&[7u8; 3000], false), 3000);
    c.push(&mut o, &t0);
    assert_eq!(c.snd.snd_nxt, SeqNum(1001 + 3000));
    let r = c.active_reset();
    assert_eq!(r, active_reset_repr(1, 2, SeqNum(4001), SeqNum(5001)));
    assert_eq!(r.flags, TcpFlags::RST | TcpFlags::ACK);
    // It goes through the wire format as a bare 20-byte header.
    let mut wire = [0u8; 60];
    assert_eq!(emit(&r, A, B, &[], &mut wire), Ok(20));
}

/// With GSO a write's segments leave as few packets, each as many
/// segments as cwnd's quota and the size cap allow; cut as the stack cuts
/// them, they are exactly the segments a sender without GSO sends (same
/// sequence numbers, payload, PSH only on the write's last), and each one
/// has its own retransmission record.
#[test]
fn gso_packets_are_the_same_segments() {
    let run = |gso: u32| {
        let t0 = now(0);
        let mut c = TcpConn::new(&init(1000, 5000, 65535, 0), &params(1, 2, 65535), store(65536), store(65536 + 8192), store(8192), &t0);
        let mut o = Out::new(A, B, gso);
        let data: Vec<u8> = (0..20_000u32).map(|i| (i * 31 + 7) as u8).collect();
        assert_eq!(c.send_queue(&data, false), data.len());
        c.push(&mut o, &t0);
        (o, c.snd.snd_nxt, (c.info(&t0).unacked, c.info(&t0).segs_out, c.info(&t0).data_segs_out))
    };
    let (plain, nxt_plain, out_plain) = run(1);
    let (gso, nxt_gso, out_gso) = run(44);
    assert_eq!(nxt_plain, nxt_gso);
    assert_eq!(out_plain, out_gso);
    assert_eq!(plain.0, gso.0);
    // Initial cwnd 10: tcp_cwnd_test() lets half of it go per round, so
    // two packets of 5 segments, against 10 single segments.
    assert_eq!(plain.0.len(), 10);
    assert_eq!((plain.4, gso.4), (10, 2));
    let psh: Vec<bool> = gso.0.iter().map(|w| parse(w).unwrap().repr().flags.contains(TcpFlags::PSH)).collect();
    assert!(psh.iter().all(|p| !p), "no segment ends the write yet: {psh:?}");
}

/// The retransmission queue is sized by the send buffer (Linux's is
/// bounded by it alone): with a 4 MiB buffer, an 8 MiB peer window and a
/// congestion window of 2000, 2000 segments go out, where a queue of
/// RTX_SEGS records stopped at 512 (about 740 KB in flight).
#[test]
fn rtx_queue_fills_a_long_fat_path() {
    assert_eq!(rtx_store_bytes(64 * 1024), RTX_SEGS * 16);
    let cap = 4u32 << 20;
    let t0 = now(0);
    let p = ConnParams { snd_cap: cap, ..params(1, 2, 65535) };
    let mut c = TcpConn::new(&init(1000, 5000, 8 << 20, 7), &p, store(cap as usize + CHUNK), store(65536 + 8192), store(rtx_store_bytes(cap)), &t0);
    assert!(c.rtx_capacity() >= (cap / 536) as usize);
    c.cong.snd_cwnd = 2000;
    let data = vec![0x5au8; 3 << 20];
    assert_eq!(c.send_queue(&data, false), data.len());
    let mut o = Out::new(A, B, 44);
    c.push(&mut o, &t0);
    let info = c.info(&t0);
    assert_eq!(info.unacked, 2000);
    assert!(u64::from(info.unacked) * u64::from(info.snd_mss) > 740_000 * 3);
}

/// An established connection (ISN 1000, peer's 5000) given an RST from
/// the peer at `seq`; what it sent back.
fn conn_after_rst(seq: u32) -> (TcpConn<VecStore>, Out) {
    let mut c = TcpConn::new(&init(1000, 5000, 65535, 0), &params(1, 2, 65535), store(65536), store(65536 + 8192), store(8192), &now(0));
    let mut o = Out::new(A, B, 1);
    let rst = TcpRepr {
        src_port: 2,
        dst_port: 1,
        seq: SeqNum(seq),
        ack: SeqNum(0),
        flags: TcpFlags::RST,
        window: 0,
        urgent: 0,
        options: Default::default(),
    };
    deliver(&mut c, &mut o, &rst, 10);
    (c, o)
}

/// Hands `c` the segment `repr` from the peer (B to A, no payload) at `ms`.
fn deliver(c: &mut TcpConn<VecStore>, o: &mut Out, repr: &TcpRepr, ms: u32) {
    let mut wire = [0u8; 60];
    let n = emit(repr, B, A, &[], &mut wire).unwrap();
    c.rcv(&parse(&wire[..n]).unwrap(), o, &now(ms), || 4);
}

#[test]
fn reset_is_reported() {
    // An RST exactly at rcv_nxt: the connection is reset.
    let (mut c, _) = conn_after_rst(5001);
    let ev = c.take_events();
    assert_eq!(ev.done, Some(Some(Errno::ConnReset)));
    assert_eq!(c.state, TCP_CLOSE);
}

#[test]
fn in_window_rst_gets_challenge_ack() {
    let (mut c, o) = conn_after_rst(5101);
    assert_eq!(c.take_events().done, None);
    assert_eq!(c.state, TCP_ESTABLISHED);
    assert_eq!(o.0.len(), 1);
    let ack = parse(&o.0[0]).unwrap();
    assert_eq!(ack.flags, TcpFlags::ACK);
    assert_eq!(ack.ack, SeqNum(5001));
    assert_eq!(ack.seq, SeqNum(1001));
}


/// Big rings and windows, as the kernel has them (4 MiB send ring, a
/// 3 MiB receive window: the retransmission queue's 512 segments are the
/// limit), over the netem link of the selftests, both directions at once.
#[test]
fn big_windows_lossy_full_duplex() {
    for seed in 1..4u64 {
        let (a, b, t) = run_snd(4 << 20, 4 << 20, Link { loss: 5, dup: 1, reorder: 25, delay: 20 }, seed, 3 << 20, 65536, 4 << 20);
        check(&a, &b, 4 << 20, 4 << 20);
        assert!(t < 1_200_000, "took {t} ms");
    }
}

/// Send-buffer autotuning (`tcp_sndbuf_expand()`): an unlocked buffer
/// starts at 2 x 10 segments of 4352 bytes (Linux's cost of a 1460-byte
/// segment: 1460 + 320 + 320 rounded up to 4096, plus 256), grows with the
/// congestion window while a writer waits for room, and stops at the cap.
#[test]
fn send_buffer_grows_with_cwnd() {
    let t0 = now(0);
    let mut p = params(1, 2, 1 << 20);
    p.snd_cap = 4 << 20;
    p.sndbuf_init = Some(16384);
    let c = TcpConn::new(&init(1000, 5000, 65535 << 7, 7), &p, store(4 << 20), store(1 << 20), store(8192), &t0);
    assert_eq!(c.sndbuf(), 2 * 10 * 4352);
    let mut p = params(1, 2, 1 << 20);
    p.snd_cap = 50_000;
    p.sndbuf_init = Some(16384);
    let c = TcpConn::new(&init(1000, 5000, 65535 << 7, 7), &p, store(4 << 20), store(1 << 20), store(8192), &t0);
    assert_eq!(c.sndbuf(), 50_000, "capped");
    // Locked (SO_SNDBUF): the size given, never more.
    // (A 100 000-byte store is 25 chunks, one kept free: 98 304 bytes.)
    let (a, _, _) = run_cfg(2 << 20, 0, Link { loss: 0, dup: 0, reorder: 0, delay: 5 }, 7, 1 << 20, 65536, 100_000, None, None);
    assert_eq!((a.max_sndbuf, a.c.sndbuf()), (98_304, 98_304));
    // Unlocked over a clean path: it grows past the initial size, to at
    // most the cap, and every byte arrives.
    let (a, b, _) = run_cfg(8 << 20, 0, Link { loss: 0, dup: 0, reorder: 0, delay: 5 }, 7, 3 << 20, 65536, 4 << 20, Some(16384), None);
    assert_eq!(b.got, 8 << 20);
    assert!(a.max_sndbuf > 2 * 10 * 4352, "grew: {}", a.max_sndbuf);
    assert!(a.max_sndbuf <= 4 << 20);
    // A whole number of segment costs, or the cap (the 4 MiB store less
    // the chunk kept free), which the receiver's growing window lets the
    // congestion window reach.
    assert!(a.max_sndbuf % 4352 == 0 || a.max_sndbuf == (4 << 20) - 4096, "{}", a.max_sndbuf);
    assert!(a.c.sndbuf() >= 2 * a.c.cong.snd_cwnd.min(100) * 4352 || a.c.sndbuf() == 4 << 20);
}

/// Receive-buffer autotuning (`tcp_rcv_space_adjust()` with
/// `tcp_grow_window()`): over a 40 ms round trip a receiver that starts
/// at Linux's `tcp_rmem[1]` (131072: a 64 KiB window) and reads as fast
/// as data comes grows its buffer towards `tcp_rmem[2]` (6 MiB), its
/// window clamp and growth limit with it, measures the round trip from
/// the timestamps it echoes, and so moves 16 MiB in well under half the
/// time it takes with the buffer fixed (one 64 KiB window per round
/// trip: 256 round trips, over 10 s).
#[test]
fn receive_buffer_autotunes() {
    let link = || Link { loss: 0, dup: 0, reorder: 0, delay: 20 };
    let n = 16u64 << 20;
    let (_, fixed, t_fixed) = run_cfg(n, 0, link(), 5, 65536, 1 << 20, 4 << 20, None, None);
    assert_eq!(fixed.got, n);
    assert_eq!(fixed.c.rcvbuf(), 131072, "not autotuned: stays");
    assert!(t_fixed > 10_000, "{t_fixed} ms");
    let (_, b, t) = run_cfg(n, 0, link(), 5, 65536, 1 << 20, 4 << 20, None, Some(6 << 20));
    assert_eq!(b.got, n);
    let i = b.c.info(&now(t));
    assert!(b.c.rcvbuf() > 1 << 20 && b.c.rcvbuf() <= 6 << 20, "rcvbuf {}", b.c.rcvbuf());
    assert!(i.rcv_space > 256 * 1024, "rcv_space {}", i.rcv_space);
    assert!((39_000..=45_000).contains(&i.rcv_rtt_us), "rcv_rtt {} us", i.rcv_rtt_us);
    assert!(i.rcv_ssthresh > 1 << 20, "rcv_ssthresh {}", i.rcv_ssthresh);
    assert!(t * 2 < t_fixed, "{t} ms autotuned, {t_fixed} ms fixed");
}

/// TCP_INFO's counters after a clean one-way transfer and close: every
/// byte sent once and acknowledged (plus the SYN and the FIN), received
/// once (plus the FIN), no retransmission; the options negotiated.
#[test]
fn tcp_info_counts_a_clean_transfer() {
    let n = 100_000u64;
    let (a, b, t) = run(n, 0, Link { loss: 0, dup: 0, reorder: 0, delay: 5 }, 3, 1 << 20, 65536);
    let ia = a.c.info(&now(t));
    let ib = b.c.info(&now(t));
    assert_eq!(ia.bytes_sent, n);
    assert_eq!(ia.bytes_retrans, 0);
    assert_eq!(ia.total_retrans, 0);
    // A (port 1) is the active side: its SYN counts.
    assert_eq!(ia.bytes_acked, 1 + n + 1);
    assert_eq!(ib.bytes_received, n + 1);
    assert_eq!(ib.bytes_acked, 1);
    assert_eq!((ia.advmss, ib.advmss), (1460, 1448));
    assert_eq!(ia.bytes_received, 1);
    assert_eq!(ia.data_segs_out, ib.data_segs_in);
    assert!(u64::from(ia.data_segs_out) >= n.div_ceil(1448));
    assert_eq!(ia.options, 7);
    assert_eq!((ia.snd_wscale, ia.rcv_wscale), (7, 7));
    assert_eq!(ia.snd_mss, 1448);
    assert_eq!((ia.unacked, ia.lost, ia.retrans), (0, 0, 0));
    assert!(ia.min_rtt_us >= 10_000 && ia.min_rtt_us != u32::MAX, "{}", ia.min_rtt_us);
    assert!(ia.rtt_us >= 10_000);
}

/// A lone FIN (no data before it) is ACKed by our own FIN when the
/// application closes at once, as Linux does: tcp_initialize_rcv_mss()
/// starts the receive MSS estimate at 536, so the FIN is not "more than one
/// full frame", and tcp_fin()'s pingpong mode delays its ACK. On the wire:
/// one FIN|ACK acknowledging the peer's FIN, not an ACK then a FIN (with
/// the estimate at 0, the ACK went at once: a segment more per connection).
#[test]
fn lone_fin_is_acked_by_our_fin() {
    // The kernel's buffers (tcp_rmem[1] 131072): room for more window than
    // the handshake's, so a window update would not be the reason either.
    let mut c = TcpConn::new(&init(1000, 5000, 65535, 0), &params(2, 1, 1 << 20), store(1 << 20), store((2 << 20) + 8192), store(8192), &now(0));
    let mut o = Out::new(A, B, 1);
    let fin = TcpRepr {
        src_port: 1,
        dst_port: 2,
        seq: SeqNum(5001),
        ack: SeqNum(1001),
        flags: TcpFlags::FIN | TcpFlags::ACK,
        window: 65535,
        urgent: 0,
        options: Default::default(),
    };
    deliver(&mut c, &mut o, &fin, 10);
    assert_eq!(c.state, TCP_CLOSE_WAIT);
    assert_eq!(o.0.len(), 0, "the FIN's ACK waits for our reply");
    assert!(matches!(c.take_events().delack_timer, TimerCmd::Reset(_)));
    c.close(&mut o, &now(11));
    assert_eq!(c.state, TCP_LAST_ACK);
    assert_eq!(o.0.len(), 1);
    let ours = parse(&o.0[0]).unwrap();
    assert_eq!(ours.flags, TcpFlags::FIN | TcpFlags::ACK);
    assert_eq!((ours.seq, ours.ack), (SeqNum(1001), SeqNum(5002)));
}
