// SPDX-License-Identifier: GPL-2.0

//! A synchronised connection: the `struct tcp_sock` of Linux from
//! ESTABLISHED to the moment it closes or becomes a timewait sock, and the
//! functions that drive it, composed from the decision modules:
//!
//! * a segment arrives (`tcp_rcv_established()`/`tcp_rcv_state_process()`,
//!   net/ipv4/tcp_input.c): [`TcpConn::rcv`] runs [`super::tcp_validate`]
//!   (PAWS, window, RFC 5961), `tcp_ack()` ([`SendSeq::tcp_ack`], the
//!   retransmission queue, RTT ([`RtoState`]), congestion control
//!   ([`CongState`]), the FIN states of [`tcp_fin`]), `tcp_data_queue()`
//!   ([`Reassembly`]), `tcp_fin()`, then `tcp_data_snd_check()` and
//!   `tcp_ack_snd_check()` ([`DelAck`]);
//! * the application writes (`tcp_sendmsg()`, net/ipv4/tcp.c):
//!   [`TcpConn::send_queue`] then [`TcpConn::push`] (`tcp_push()` →
//!   `tcp_write_xmit()`, [`SendSeq::write_xmit_next`]);
//! * the application reads (`tcp_recvmsg()`): [`TcpConn::recv_copy`] and
//!   `tcp_cleanup_rbuf()` ([`TcpConn::recv_done`]);
//! * timers (net/ipv4/tcp_timer.c): [`TcpConn::retransmit_timer`]
//!   (`tcp_retransmit_timer()` and `tcp_probe_timer()`, one timer as in
//!   Linux's `icsk_retransmit_timer`), [`TcpConn::delack_timer`];
//! * teardown: [`TcpConn::shutdown`], [`TcpConn::close`].
//!
//! Like everything in the core it performs no I/O: segments leave through
//! the caller's [`Tx`], and what the caller must do afterwards (wake
//! readers or writers, re-arm timers, finish the connection, make a
//! timewait sock) accumulates in [`Events`]. Time comes in as [`Now`].
//!
//! # Differences from Linux
//!
//! * The sender does not use SACK information (it is a NewReno sender,
//!   `tcp_is_reno()`), although the receiver generates SACK blocks when
//!   the peer asked for them.
//! * Buffers are byte rings ([`SeqBuf`]) sized for the largest buffer
//!   (pages allocated as bytes arrive): the send buffer autotunes
//!   (`tcp_sndbuf_expand()`) up to `tcp_wmem[2]`, the receive buffer
//!   (`tcp_rcv_space_adjust()`, `tcp_grow_window()`) up to `tcp_rmem[2]`.
//!   Memory is counted in payload bytes, not skb truesize, with the
//!   default `scaling_ratio` (half of `sk_rcvbuf` is window) where Linux
//!   measures it from the skbs it receives.
//! * The retransmission queue holds as many segments as its store fits
//!   ([`rtx_store_bytes`]: a full send buffer's worth, at least
//!   [`RTX_SEGS`]); a full queue stops transmission like a full congestion
//!   window.

use super::errno::Errno;
use super::inet_connection_sock::TCP_RTO_MAX_MS;
use super::seq::SeqNum;
use super::seqbuf::{ChunkStore, SeqBuf, CHUNK};
use super::sock::SkbOverhead;
use super::tcp_cong::{
    AckEvent, AckFlags, AckedSegs, CongState, CongSysctls, Rexmit, RtxQueue, SegState, XmitDone,
};
use super::tcp_delack::{tcp_delack_max, AckSnd, AckSndCtx, DelAck, DelAckSysctls, DelackTimer, RcvSegInfo};
use super::tcp_fin::{fin_acked, rcv_text, tcp_close_state, tcp_fin, FinAckCtx, FinAcked, FinRcv, TextAction};
use super::tcp_fin::{RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK};
use super::tcp_hdr::{TcpFlags, TcpOptions, TcpRepr, TcpSegment};
use super::tcp_input::ChallengeAckQuota;
use super::tcp_minisocks::ChildInit;
use super::tcp_ofo::{DataQueue, Reassembly};
use super::tcp_output::{active_reset_repr, tcp_space_from_win, tcp_win_from_space, TCP_DEFAULT_SCALING_RATIO};
use super::tcp_params::TCPOLEN_TSTAMP_ALIGNED;
use super::tcp_rtt::{retransmit_timer, RtoState, RtoTimer, RttSample, RtxTimerCtx, RtxTimerStep, TCP_RETR1, TCP_RETR2};
use super::tcp_send::{
    probe0_when, retransmit_len, AckInput, AckVerdict, Nagle, Persist, ProbeCtx, ProbeResult, ProbeStep, ProbeTimer,
    SendSeq, Wakeup, Xmit, XmitChunk, XmitParams,
};
use super::tcp_states::*;
use super::tcp_timewait::TimeWaitSock;
use super::tcp_validate::{validate_incoming, Validate, ValidateCtx, ValidateSock, TCP_CHALLENGE_ACK_LIMIT_DEFAULT};
use super::tcp_window::{initialize_rcv_mss, raw_select_window, select_window, tcp_receive_window, RcvWindow, WindowSysctls, TCP_INIT_CWND};

/// Segments the retransmission queue holds at least (two chunks of
/// records).
pub const RTX_SEGS: usize = 512;

/// The bytes of records a retransmission queue needs for a send buffer of
/// `snd_cap` bytes: one record per segment of the smallest MSS a peer may
/// impose in practice (536, `TCP_BASE_MSS`'s default segment), at least
/// [`RTX_SEGS`]. Linux's queue is bounded by the send buffer alone; so is
/// this one now, and a BDP of several MB fills (a 4 MiB buffer: 7,826
/// records, 122 KiB of records when all are in flight, none when idle).
pub const fn rtx_store_bytes(snd_cap: u32) -> usize {
    let per_buffer = (snd_cap as usize).div_ceil(536);
    let records = if per_buffer > RTX_SEGS { per_buffer } else { RTX_SEGS };
    records * SEG_REC
}
/// `MAX_TCP_OPTION_SPACE`, `TCPOLEN_SACK_BASE_ALIGNED`,
/// `TCPOLEN_SACK_PERBLOCK` (include/net/tcp.h).
const MAX_TCP_OPTION_SPACE: u32 = 40;
const TCPOLEN_SACK_BASE_ALIGNED: u32 = 4;
const TCPOLEN_SACK_PERBLOCK: u32 = 8;
/// How many SACK blocks a SACK option fits in `bytes` of option space.
const fn sack_blocks_in(bytes: u32) -> u32 {
    bytes.saturating_sub(TCPOLEN_SACK_BASE_ALIGNED) / TCPOLEN_SACK_PERBLOCK
}

/// Out-of-order ranges kept (Linux bounds the rbtree by memory).
pub const OFO_RANGES: usize = 16;

/// The clocks a step reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    /// The millisecond TCP clock (`tcp_time_stamp_ms()`, `tcp_jiffies32`
    /// in ms): timestamps, RTT, RTO.
    pub ms: u32,
    /// `jiffies` (delayed ACKs).
    pub jiffies: u32,
    /// `ktime_get_seconds()` (PAWS).
    pub secs: u32,
    /// `tcp_mstamp`: the microsecond clock (receive-side RTT and buffer
    /// autotuning).
    pub us: u64,
}

/// The sysctls a connection reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnSysctls {
    /// Congestion control.
    pub cong: CongSysctls,
    /// Window selection.
    pub window: WindowSysctls,
    /// Delayed ACKs.
    pub delack: DelAckSysctls,
    /// `net.ipv4.tcp_retries1`.
    pub retries1: u8,
    /// `net.ipv4.tcp_retries2`.
    pub retries2: u8,
    /// `net.ipv4.tcp_orphan_retries`.
    pub orphan_retries: u8,
    /// `net.ipv4.tcp_invalid_ratelimit` in ms.
    pub invalid_ratelimit_ms: u32,
    /// `net.ipv4.tcp_challenge_ack_limit`.
    pub challenge_ack_limit: u32,
    /// `net.ipv4.tcp_dsack`.
    pub dsack: bool,
    /// `net.ipv4.tcp_fin_timeout` in ms.
    pub fin_timeout_ms: i32,
}

impl ConnSysctls {
    /// Linux's defaults.
    pub const DEFAULT: Self = Self {
        cong: CongSysctls::DEFAULT,
        window: WindowSysctls::DEFAULT,
        delack: DelAckSysctls::DEFAULT,
        retries1: TCP_RETR1,
        retries2: TCP_RETR2,
        orphan_retries: 0,
        invalid_ratelimit_ms: 500,
        challenge_ack_limit: TCP_CHALLENGE_ACK_LIMIT_DEFAULT,
        dsack: true,
        fin_timeout_ms: 60_000,
    };
}

/// How a connection is set up, besides what the handshake negotiated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnParams {
    /// Our port.
    pub lport: u16,
    /// The peer's port.
    pub rport: u16,
    /// `HZ`.
    pub hz: u32,
    /// `sk_rcvbuf` at establishment; `tcp_full_space()` is its window
    /// share ([`tcp_win_from_space`]). The receive store must hold that
    /// plus one window-scale unit, for `rcvbuf_max` if it is set.
    pub rcvbuf: u32,
    /// `Some(tcp_rmem[2])`: the receive buffer is autotuned up to it as the
    /// application reads (`tcp_rcv_space_adjust()`, with
    /// `tcp_moderate_rcvbuf` on and SO_RCVBUF not locked); `None`: it stays.
    pub rcvbuf_max: Option<u32>,
    /// Bytes the application may queue unacknowledged, at most (the send
    /// store's capacity or less): a locked SO_SNDBUF, or `tcp_wmem[2]`.
    pub snd_cap: u32,
    /// `Some(sk_sndbuf)`: the send buffer is autotuned, from this size up
    /// to `snd_cap` as the congestion window grows (`tcp_sndbuf_expand()`);
    /// `None`: SO_SNDBUF is locked and `snd_cap` is the size.
    pub sndbuf_init: Option<u32>,
    /// An active open (connect()); false for an accepted connection.
    pub active: bool,
    /// The path MTU (the route's).
    pub pmtu: u32,
    /// The sysctls, read at establishment.
    pub sysctls: ConnSysctls,
    /// The running kernel's skb sizes: what a segment costs in the send
    /// buffer when it autotunes (`tcp_sndbuf_expand()`).
    pub skb: SkbOverhead,
}

/// Where segments go.
pub trait Tx<S: ChunkStore> {
    /// Sends `repr` with `len` bytes of payload, which are
    /// `buf[seq..seq + len]` (copy them with [`SeqBuf::read`]). With `gso`
    /// non-zero and `len > gso` it is one GSO packet, which the device or
    /// the stack cuts into segments of `gso` bytes (the last may be
    /// shorter) as `tcp_gso_segment()` does: each with `repr`'s header and
    /// its sequence number advanced, PSH and FIN on the last only, CWR on
    /// the first only.
    fn xmit(&mut self, repr: &TcpRepr, buf: &SeqBuf<S>, seq: SeqNum, len: u32, gso: u32);

    /// The most `mss`-byte segments one packet may carry
    /// (`tcp_tso_autosize()`'s cap from `sk_gso_max_size` and
    /// `sk_gso_max_segs`); 1 without GSO.
    fn gso_max_segs(&self, _mss: u32) -> u32 {
        1
    }
}

/// A timer command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TimerCmd {
    /// Leave it.
    #[default]
    Keep,
    /// Stop it.
    Stop,
    /// (Re)arm it to fire in this many milliseconds.
    Reset(u32),
}

/// What the caller must do after a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Events {
    /// New data or EOF for readers (`sk_data_ready`).
    pub readable: bool,
    /// Send space freed (`sk_write_space`).
    pub writable: bool,
    /// The state or shutdown changed (`sk_state_change`).
    pub state_change: bool,
    /// The connection is over: `tcp_done()`, with `Some(err)` to store in
    /// `sk_err` first (a reset, a timeout), `None` for a clean end (e.g.
    /// LAST_ACK acknowledged).
    pub done: Option<Option<Errno>>,
    /// The connection becomes a timewait sock in `substate` (TIME_WAIT,
    /// or FIN_WAIT2 for an orphan) living `timeo_ms` (`tcp_time_wait()`).
    pub time_wait: Option<(u8, u32)>,
    /// The retransmission/probe timer.
    pub rtx_timer: TimerCmd,
    /// The delayed-ACK timer.
    pub delack_timer: TimerCmd,
}

/// What `recv_copy` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvState {
    /// Bytes are there to read.
    Data,
    /// None now; more may come.
    Empty,
    /// The peer finished (FIN), or we shut down reading: end of file.
    Eof,
}

#[derive(Clone, Copy, Debug, Default)]
struct Seg {
    seq: SeqNum,
    len: u32,
    fin: bool,
    st: SegState,
    tx_ms: u32,
}

impl Seg {
    fn end(&self) -> SeqNum {
        self.seq.wrapping_add(self.len + u32::from(self.fin))
    }
}

/// Bytes one segment record takes in the retransmission queue's store.
const SEG_REC: usize = 16;

impl Seg {
    fn encode(&self, out: &mut [u8]) {
        if let Some(o) = out.get_mut(..SEG_REC) {
            o[0..4].copy_from_slice(&self.seq.0.to_ne_bytes());
            o[4..8].copy_from_slice(&self.len.to_ne_bytes());
            o[8..12].copy_from_slice(&self.tx_ms.to_ne_bytes());
            o[12] = u8::from(self.fin);
            o[13] = self.st.0;
        }
    }

    fn decode(b: &[u8]) -> Self {
        let w = |i: usize| b.get(i..i + 4).and_then(|x| x.try_into().ok()).map_or(0, u32::from_ne_bytes);
        Seg {
            seq: SeqNum(w(0)),
            len: w(4),
            tx_ms: w(8),
            fin: b.get(12).is_some_and(|&x| x != 0),
            st: SegState(b.get(13).copied().unwrap_or(0)),
        }
    }
}

/// The retransmission queue: sent, unacknowledged segments in order, as
/// fixed-size records in chunks of the caller's store (so a connection is
/// a few hundred bytes, not the 8 KiB of the records: it is built on a
/// kernel stack). Capacity is what the store's chunks hold
/// ([`rtx_store_bytes`]); the chunks
/// that hold them are allocated as the queue grows into them
/// ([`SegRing::room_ready`]) and freed when it empties, so a connection
/// with nothing in flight holds none (as a Linux socket's empty
/// retransmission queue holds no skb).
struct SegRing<S: ChunkStore> {
    store: S,
    cap: usize,
    head: usize,
    len: usize,
}

impl<S: ChunkStore> SegRing<S> {
    fn new(store: S) -> Self {
        let per = CHUNK / SEG_REC;
        Self {
            cap: store.slots() * per,
            store,
            head: 0,
            len: 0,
        }
    }
    /// How many of the next `want` records can be pushed without an
    /// allocation failing: the chunks they fall in are allocated first,
    /// in order, up to the first that cannot be.
    fn room_ready(&mut self, want: usize) -> usize {
        let per = CHUNK / SEG_REC;
        let want = want.min(self.room());
        let mut ready = 0;
        while ready < want {
            let i = self.slot(self.len + ready);
            if self.store.chunk_mut(i / per).is_none() {
                break;
            }
            // The rest of this chunk's records, up to the ring's end.
            let in_chunk = (per - i % per).min(self.cap - i);
            ready = (ready + in_chunk).min(want);
        }
        ready
    }
    /// Chunks allocated now.
    fn allocated(&self) -> usize {
        (0..self.store.slots()).filter(|&j| self.store.chunk(j).is_some()).count()
    }
    fn at(&self, i: usize) -> Seg {
        let per = CHUNK / SEG_REC;
        let off = (i % per) * SEG_REC;
        self.store
            .chunk(i / per)
            .and_then(|c| c.get(off..off + SEG_REC))
            .map_or_else(Seg::default, Seg::decode)
    }
    fn put(&mut self, i: usize, s: &Seg) {
        let per = CHUNK / SEG_REC;
        let off = (i % per) * SEG_REC;
        if let Some(c) = self.store.chunk_mut(i / per) {
            if let Some(o) = c.get_mut(off..off + SEG_REC) {
                s.encode(o);
            }
        }
    }
    fn full(&self) -> bool {
        self.len >= self.cap
    }
    /// Slot of the `k`-th record from the head (0 for an empty ring, so
    /// that no path divides by a zero capacity).
    fn slot(&self, k: usize) -> usize {
        (self.head + k).checked_rem(self.cap).unwrap_or(0)
    }
    fn room(&self) -> usize {
        self.cap - self.len
    }
    fn get(&self, k: usize) -> Option<Seg> {
        (k < self.len).then(|| self.at(self.slot(k)))
    }
    fn set(&mut self, k: usize, s: &Seg) {
        if k < self.len {
            let i = self.slot(k);
            self.put(i, s);
        }
    }
    fn push(&mut self, s: Seg) -> bool {
        if self.room_ready(1) == 0 {
            return false;
        }
        let i = self.slot(self.len);
        self.put(i, &s);
        self.len += 1;
        true
    }
    /// Splits record `k` at `at` into two, both with its marks and send
    /// time (`tcp_fragment()`). O(min(k, len - k)) moves: the short side
    /// of the ring shifts by one. False if the ring is full or `at` is not
    /// inside the record's bytes.
    fn split(&mut self, k: usize, at: SeqNum) -> bool {
        let Some(s) = self.get(k) else { return false };
        let cut = at.0.wrapping_sub(s.seq.0);
        if self.full() || cut == 0 || cut >= s.len {
            return false;
        }
        // The slot the shift moves into must be allocated: the one before
        // the head (the front moves) or the one after the tail.
        let per = CHUNK / SEG_REC;
        let before_head = (self.head + self.cap - 1) % self.cap;
        let front = k < self.len / 2 && self.store.chunk_mut(before_head / per).is_some();
        if !front && self.room_ready(1) == 0 {
            return false;
        }
        let first = Seg { len: cut, fin: false, ..s };
        let second = Seg {
            seq: at,
            len: s.len - cut,
            ..s
        };
        if front {
            // The records before `k` move one slot toward the front.
            self.head = (self.head + self.cap - 1) % self.cap;
            for j in 0..k {
                let v = self.at(self.slot(j + 1));
                let i = self.slot(j);
                self.put(i, &v);
            }
        } else {
            // The records after `k` move one slot toward the tail.
            for j in (k + 1..self.len).rev() {
                let v = self.at(self.slot(j));
                let i = self.slot(j + 1);
                self.put(i, &v);
            }
        }
        self.len += 1;
        let (i, j) = (self.slot(k), self.slot(k + 1));
        self.put(i, &first);
        self.put(j, &second);
        true
    }
    fn pop(&mut self) {
        if self.len > 0 {
            self.head = self.slot(1);
            self.len -= 1;
        }
        if self.len == 0 {
            // Empty: its chunks go, and the next record starts the first.
            for i in 0..self.store.slots() {
                self.store.release(i);
            }
            self.store.release_spares();
            self.head = 0;
        }
    }
}

impl<S: ChunkStore> RtxQueue for SegRing<S> {
    fn walk(&mut self, f: &mut dyn FnMut(&mut SegState) -> bool) {
        for k in 0..self.len {
            let i = self.slot(k);
            let mut seg = self.at(i);
            let before = seg.st;
            let go_on = f(&mut seg.st);
            if seg.st != before {
                self.put(i, &seg);
            }
            if !go_on {
                break;
            }
        }
    }
}

/// `struct tcp_info` (TCP_INFO) as the connection knows it, field for
/// field (`tcp_get_info()`): each is the `tcpi_` field of its name, in the
/// unit its suffix gives; the kernel side lays the struct out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpInfo {
    /// `tcpi_state`.
    pub state: u8,
    /// `tcpi_ca_state`.
    pub ca_state: u8,
    /// `tcpi_retransmits`.
    pub retransmits: u8,
    /// `tcpi_probes`.
    pub probes: u8,
    /// `tcpi_backoff`.
    pub backoff: u8,
    /// `tcpi_options`: `TCPI_OPT_*`.
    pub options: u8,
    /// `tcpi_snd_wscale`.
    pub snd_wscale: u8,
    /// `tcpi_rcv_wscale`.
    pub rcv_wscale: u8,
    /// `tcpi_rto` (µs).
    pub rto_us: u32,
    /// `tcpi_ato` (µs).
    pub ato_us: u32,
    /// `tcpi_snd_mss`.
    pub snd_mss: u32,
    /// `tcpi_rcv_mss`.
    pub rcv_mss: u32,
    /// `tcpi_unacked`.
    pub unacked: u32,
    /// `tcpi_sacked`.
    pub sacked: u32,
    /// `tcpi_lost`.
    pub lost: u32,
    /// `tcpi_retrans`.
    pub retrans: u32,
    /// `tcpi_last_data_sent` (ms).
    pub last_data_sent_ms: u32,
    /// `tcpi_last_data_recv` (ms).
    pub last_data_recv_ms: u32,
    /// `tcpi_last_ack_recv` (ms).
    pub last_ack_recv_ms: u32,
    /// `tcpi_pmtu`.
    pub pmtu: u32,
    /// `tcpi_rcv_ssthresh`.
    pub rcv_ssthresh: u32,
    /// `tcpi_rtt` (µs).
    pub rtt_us: u32,
    /// `tcpi_rttvar` (µs).
    pub rttvar_us: u32,
    /// `tcpi_snd_ssthresh`.
    pub snd_ssthresh: u32,
    /// `tcpi_snd_cwnd`.
    pub snd_cwnd: u32,
    /// `tcpi_advmss`.
    pub advmss: u32,
    /// `tcpi_reordering`.
    pub reordering: u32,
    /// `tcpi_rcv_rtt`: the receiver's RTT estimate (µs).
    pub rcv_rtt_us: u32,
    /// `tcpi_rcv_space`.
    pub rcv_space: u32,
    /// `tcpi_total_retrans`.
    pub total_retrans: u32,
    /// `tcpi_bytes_acked`.
    pub bytes_acked: u64,
    /// `tcpi_bytes_received`.
    pub bytes_received: u64,
    /// `tcpi_segs_out`.
    pub segs_out: u32,
    /// `tcpi_segs_in`.
    pub segs_in: u32,
    /// `tcpi_notsent_bytes`.
    pub notsent_bytes: u32,
    /// `tcpi_min_rtt` (µs).
    pub min_rtt_us: u32,
    /// `tcpi_data_segs_in`.
    pub data_segs_in: u32,
    /// `tcpi_data_segs_out`.
    pub data_segs_out: u32,
    /// `tcpi_delivered`.
    pub delivered: u32,
    /// `tcpi_snd_wnd`.
    pub snd_wnd: u32,
    /// `tcpi_rcv_wnd`.
    pub rcv_wnd: u32,
    /// `tcpi_bytes_sent`.
    pub bytes_sent: u64,
    /// `tcpi_bytes_retrans`.
    pub bytes_retrans: u64,
    /// `tcpi_reord_seen`.
    pub reord_seen: u32,
    /// `tcpi_total_rto`.
    pub total_rto: u16,
    /// `tcpi_total_rto_recoveries`.
    pub total_rto_recoveries: u16,
}

/// `TCPI_OPT_TIMESTAMPS`: timestamps were negotiated.
pub const TCPI_OPT_TIMESTAMPS: u8 = 1;
/// `TCPI_OPT_SACK`: SACK was negotiated.
pub const TCPI_OPT_SACK: u8 = 2;
/// `TCPI_OPT_WSCALE`: window scaling was negotiated.
pub const TCPI_OPT_WSCALE: u8 = 4;

/// The counters of `struct tcp_sock` that only TCP_INFO reads.
#[derive(Clone, Copy, Debug, Default)]
struct Stats {
    segs_in: u32,
    segs_out: u32,
    data_segs_in: u32,
    data_segs_out: u32,
    bytes_acked: u64,
    bytes_received: u64,
    bytes_sent: u64,
    bytes_retrans: u64,
    /// Smallest RTT sample (µs), `u32::MAX` before the first.
    min_rtt_us: u32,
    /// SYN (SYN-ACK) retransmissions of the handshake.
    syn_retrans: u32,
}

/// Which job the retransmission timer does (`icsk_pending`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RtxPending {
    None,
    Retrans,
    Probe,
}

/// A synchronised connection.
pub struct TcpConn<S: ChunkStore> {
    /// `sk_state`: ESTABLISHED, FIN_WAIT1, FIN_WAIT2, CLOSING, CLOSE_WAIT,
    /// LAST_ACK; TIME_WAIT or CLOSE once [`Events`] said so.
    pub state: u8,
    /// `sk_shutdown`.
    pub shutdown: u8,
    /// `SOCK_DEAD`: closed by the application (an orphan).
    pub dead: bool,
    lport: u16,
    rport: u16,
    sysctls: ConnSysctls,
    // ---- send side ----
    /// Send sequence state (`snd_una`, `snd_nxt`, `write_seq`, window).
    pub snd: SendSeq,
    /// Congestion state.
    pub cong: CongState,
    /// RTT estimator and RTO.
    pub rto: RtoState,
    persist: Persist,
    /// TCP_NODELAY/Nagle state (`nonagle`).
    pub nagle: Nagle,
    rtx: SegRing<S>,
    sndbuf: SeqBuf<S>,
    snd_cap: u32,
    /// `sk_sndbuf` as bytes of data: what [`TcpConn::snd_space`] counts
    /// against; at most `snd_cap`.
    sk_sndbuf: u32,
    sndbuf_auto: bool,
    /// Skb sizes for send-buffer autotuning ([`ConnParams::skb`]).
    skb: SkbOverhead,
    /// `SOCK_NOSPACE`: a writer found the send buffer full (and may wait);
    /// an ACK that frees room may then grow it (`tcp_check_space()`).
    nospace: bool,
    /// `mss_cache`: payload bytes per segment, options excluded.
    pub mss: u32,
    mss_clamp: u32,
    pmtu: u32,
    tcp_header_len: u32,
    rtx_pending: RtxPending,
    /// When the retransmission timer is due (ms clock), if armed.
    rtx_due: u32,
    /// `lsndtime`: when data was last sent.
    lsndtime: u32,
    // ---- receive side ----
    /// `rcv_nxt`.
    pub rcv_nxt: SeqNum,
    /// `copied_seq`: the next byte the application reads.
    pub copied_seq: SeqNum,
    win: RcvWindow,
    reasm: Reassembly<OFO_RANGES>,
    rcvbuf: SeqBuf<S>,
    /// `tcp_full_space()`: `sk_rcvbuf`'s window share.
    full_space: i32,
    /// `sk_rcvbuf`, which autotuning raises up to `rcvbuf_max`.
    sk_rcvbuf: u32,
    rcvbuf_max: Option<u32>,
    /// `rcv_rtt_est`: the receiver's RTT estimate.
    rcv_rtt: RcvRttEst,
    /// `rcvq_space`: what the application read in the last RTT.
    rcvq_space: RcvqSpace,
    /// The FIN's sequence number once it is in order (`SOCK_DONE`).
    fin_seq: Option<SeqNum>,
    delack: DelAck,
    advmss: u16,
    // ---- options ----
    /// SACK was negotiated.
    pub sack_ok: bool,
    /// Timestamps were negotiated.
    pub tstamp_ok: bool,
    ts_recent: u32,
    ts_recent_stamp: u32,
    ts_off: u32,
    last_oow_ack_time: u32,
    quota: ChallengeAckQuota,
    /// Segments retransmitted.
    pub retrans_segs: u32,
    wscale_ok: bool,
    stats: Stats,
    ev: Events,
}

/// `rcv_rtt_est`: the receiver's estimate of the round trip, for
/// receive-buffer autotuning (a receiver that only receives has no RTT
/// samples of its own).
#[derive(Clone, Copy, Debug, Default)]
struct RcvRttEst {
    /// The estimate in µs, << 3 (0: none yet).
    rtt_us: u32,
    /// The window-based measurement: the edge that ends it.
    seq: SeqNum,
    /// When it started (µs; 0: not started).
    time_us: u64,
    /// The last `rcv_tsecr` a timestamp measurement saw.
    last_tsecr: u32,
}

impl RcvRttEst {
    /// `tcp_rcv_rtt_update()`: a sample of `sample` µs. The window-based
    /// measurement (`win_dep`) overestimates, so it only lowers the
    /// estimate; timestamp samples are smoothed with gain 1/8.
    fn update(&mut self, sample: u32, win_dep: bool) {
        let old = self.rtt_us;
        let m = sample.saturating_mul(8);
        self.rtt_us = if old == 0 || m < old {
            m
        } else if win_dep {
            return;
        } else {
            old - (old >> 3) + sample
        };
    }
}

/// `rcvq_space`: bytes the application read in the last measured RTT.
#[derive(Clone, Copy, Debug, Default)]
struct RcvqSpace {
    space: u32,
    seq: SeqNum,
    time_us: u64,
}

/// What the peer's timestamp option says (`rx_opt.rcv_tsval`/`rcv_tsecr`).
fn seg_ts(seg: &TcpSegment<'_>) -> Option<(u32, u32)> {
    seg.options.timestamp
}

impl<S: ChunkStore> TcpConn<S> {
    /// The connection as the handshake leaves it (`tcp_finish_connect()`
    /// or `tcp_create_openreq_child()` + the third ACK), with its stores
    /// for sent and received bytes.
    /// `rtx_store` holds the retransmission queue: as many segments as
    /// its chunks fit ([`rtx_store_bytes`]), allocated as they fill.
    pub fn new(init: &ChildInit, p: &ConnParams, snd_store: S, rcv_store: S, rtx_store: S, now: &Now) -> Self {
        let mut rto = RtoState::new(p.hz);
        rto.init_metrics();
        // tcp_rcv_state_process() (SYN_RECV to ESTABLISHED) takes the
        // timestamp option's room off a passive open's advmss, as
        // tcp_rcv_synsent_state_process() did for the active side's.
        let advmss = if !p.active && init.tstamp_ok {
            init.advmss.saturating_sub(TCPOLEN_TSTAMP_ALIGNED as u16)
        } else {
            init.advmss
        };
        let win = RcvWindow {
            rcv_nxt: init.rcv_nxt,
            rcv_wup: init.rcv_nxt,
            rcv_wnd: init.rcv_wnd,
            rcv_ssthresh: init.rcv_ssthresh,
            window_clamp: init.window_clamp,
            rcv_wscale: init.rcv_wscale,
            rcv_mss: u32::from(advmss).min(536),
            advmss,
        };
        let mut c = Self {
            state: TCP_ESTABLISHED,
            shutdown: 0,
            dead: false,
            lport: p.lport,
            rport: p.rport,
            sysctls: p.sysctls,
            snd: SendSeq::new(init.snd_una, init.snd_wnd, init.snd_wl1, init.snd_wscale, now.ms),
            cong: CongState::new(false, &p.sysctls.cong, now.ms),
            rto,
            persist: Persist::default(),
            nagle: Nagle(0),
            rtx: SegRing::new(rtx_store),
            sndbuf: SeqBuf::new(snd_store, init.snd_una),
            snd_cap: 0,
            sk_sndbuf: 0,
            sndbuf_auto: p.sndbuf_init.is_some(),
            skb: p.skb,
            nospace: false,
            mss: 536,
            mss_clamp: u32::from(init.mss_clamp),
            pmtu: p.pmtu,
            tcp_header_len: u32::from(init.tcp_header_len).max(20),
            rtx_pending: RtxPending::None,
            rtx_due: 0,
            lsndtime: now.ms,
            rcv_nxt: init.rcv_nxt,
            copied_seq: init.rcv_nxt,
            win,
            reasm: Reassembly::new(init.sack_ok, p.sysctls.dsack),
            rcvbuf: SeqBuf::new(rcv_store, init.rcv_nxt),
            full_space: tcp_win_from_space(TCP_DEFAULT_SCALING_RATIO, p.rcvbuf.min(i32::MAX as u32) as i32),
            sk_rcvbuf: p.rcvbuf,
            rcvbuf_max: p.rcvbuf_max.map(|m| m.max(p.rcvbuf)),
            rcv_rtt: RcvRttEst::default(),
            rcvq_space: RcvqSpace::default(),
            fin_seq: None,
            delack: DelAck::new(p.hz),
            advmss,
            sack_ok: init.sack_ok,
            tstamp_ok: init.tstamp_ok,
            ts_recent: init.ts_recent,
            ts_recent_stamp: if init.tstamp_ok { now.secs } else { 0 },
            ts_off: init.ts_offset,
            last_oow_ack_time: 0,
            quota: ChallengeAckQuota::default(),
            retrans_segs: 0,
            wscale_ok: init.wscale_ok,
            stats: Stats {
                // The SYN's sequence number was acknowledged
                // (tcp_snd_una_update() in tcp_rcv_synsent_state_process's
                // tcp_ack()); a passive open's SYN-ACK is not counted.
                bytes_acked: u64::from(p.active),
                min_rtt_us: u32::MAX,
                syn_retrans: u32::from(init.total_retrans),
                ..Stats::default()
            },
            ev: Events::default(),
        };
        c.snd.max_window = init.max_window.max(init.snd_wnd);
        c.snd_cap = p.snd_cap.min(c.sndbuf.capacity());
        c.sync_mss();
        // tcp_init_transfer() -> tcp_initialize_rcv_mss(): the receive MSS
        // estimate starts at min(advmss, mss_cache, rcv_wnd / 2, 536), not
        // 0 (with 0, a lone FIN would count as "more than one full frame"
        // and be ACKed at once rather than with our own FIN or data).
        let rcv_mss = initialize_rcv_mss(c.advmss, c.mss, c.win.rcv_wnd);
        c.win.rcv_mss = rcv_mss;
        c.delack.rcv_mss = u16::try_from(rcv_mss).unwrap_or(u16::MAX);
        // tcp_init_buffer_space(): an unlocked buffer starts at the size
        // for the initial window.
        c.sk_sndbuf = match p.sndbuf_init {
            Some(b) => b.min(c.snd_cap),
            None => c.snd_cap,
        };
        if c.sndbuf_auto {
            c.sndbuf_expand();
        }
        // Autotuning stops where the receive store does: its window and
        // one scale unit must fit.
        let cap_win = u64::from(c.rcvbuf.capacity()).saturating_sub(1 << c.win.rcv_wscale.min(14));
        let cap_buf = tcp_space_from_win(TCP_DEFAULT_SCALING_RATIO, cap_win).min(u64::from(u32::MAX)) as u32;
        c.rcvbuf_max = c.rcvbuf_max.map(|m| m.min(cap_buf).max(c.sk_rcvbuf));
        c.rcvq_space = RcvqSpace {
            space: c.win.rcv_ssthresh.min(c.win.rcv_wnd).min(TCP_INIT_CWND * u32::from(c.advmss)),
            seq: c.copied_seq,
            time_us: now.us,
        };
        c
    }

    /// TCP_INFO now (`tcp_get_info()` for a synchronised connection).
    pub fn info(&self, now: &Now) -> TcpInfo {
        let hz = u64::from(self.delack.hz.max(1));
        let j_us = |j: u32| (u64::from(j) * 1_000_000 / hz).min(u64::from(u32::MAX)) as u32;
        let j_ms = |j: u32| (u64::from(j) * 1000 / hz).min(u64::from(u32::MAX)) as u32;
        let mut options = 0;
        if self.tstamp_ok {
            options |= TCPI_OPT_TIMESTAMPS;
        }
        if self.sack_ok {
            options |= TCPI_OPT_SACK;
        }
        let (snd_wscale, rcv_wscale) = if self.wscale_ok {
            options |= TCPI_OPT_WSCALE;
            (self.snd.snd_wscale, self.win.rcv_wscale)
        } else {
            (0, 0)
        };
        TcpInfo {
            state: self.state,
            ca_state: self.cong.ca_state as u8,
            retransmits: self.rto.retransmits,
            probes: self.persist.probes_out,
            backoff: self.rto.backoff,
            options,
            snd_wscale,
            rcv_wscale,
            rto_us: self.rto.rto_ms.saturating_mul(1000),
            ato_us: j_us(self.delack.ato),
            snd_mss: self.mss,
            rcv_mss: u32::from(self.delack.rcv_mss),
            unacked: self.cong.packets_out,
            sacked: self.cong.sacked_out,
            lost: self.cong.lost_out,
            retrans: self.cong.retrans_out,
            last_data_sent_ms: now.ms.wrapping_sub(self.lsndtime),
            last_data_recv_ms: j_ms(now.jiffies.wrapping_sub(self.delack.lrcvtime)),
            last_ack_recv_ms: now.ms.wrapping_sub(self.snd.rcv_tstamp),
            pmtu: self.pmtu,
            rcv_ssthresh: self.win.rcv_ssthresh,
            rtt_us: self.rto.srtt_us >> 3,
            rttvar_us: self.rto.mdev_us >> 2,
            snd_ssthresh: self.cong.snd_ssthresh,
            snd_cwnd: self.cong.snd_cwnd,
            advmss: u32::from(self.advmss),
            reordering: self.cong.reordering,
            rcv_rtt_us: self.rcv_rtt.rtt_us >> 3,
            rcv_space: self.rcvq_space.space,
            total_retrans: self.retrans_segs.wrapping_add(self.stats.syn_retrans),
            bytes_acked: self.stats.bytes_acked,
            bytes_received: self.stats.bytes_received,
            segs_out: self.stats.segs_out,
            segs_in: self.stats.segs_in,
            notsent_bytes: self.snd.notsent_bytes(),
            min_rtt_us: self.stats.min_rtt_us,
            data_segs_in: self.stats.data_segs_in,
            data_segs_out: self.stats.data_segs_out,
            delivered: self.cong.delivered,
            snd_wnd: self.snd.snd_wnd,
            rcv_wnd: self.win.rcv_wnd,
            bytes_sent: self.stats.bytes_sent,
            bytes_retrans: self.stats.bytes_retrans,
            reord_seen: self.cong.reord_seen,
            total_rto: self.rto.total_rto,
            total_rto_recoveries: self.rto.total_rto_recoveries,
        }
    }

    /// Chunks the connection's stores hold now (its send and receive
    /// rings and its retransmission queue): 0 when idle.
    pub fn chunks_held(&self) -> usize {
        self.sndbuf.allocated() + self.rcvbuf.allocated() + self.rtx.allocated()
    }

    /// Segments the retransmission queue can hold (memory permitting).
    pub fn rtx_capacity(&self) -> usize {
        self.rtx.cap
    }

    /// Takes what the caller must do after the last steps.
    pub fn take_events(&mut self) -> Events {
        core::mem::take(&mut self.ev)
    }

    /// `tcp_sync_mss()` + `tcp_current_mss()`: the payload of a full
    /// segment, from the path MTU, the peer's MSS, our options, and half
    /// the largest window the peer offered (`tcp_bound_to_half_wnd()`).
    fn sync_mss(&mut self) {
        let opts = self.tcp_header_len - 20;
        let mut mss = self.pmtu.saturating_sub(40).min(self.mss_clamp);
        let mw = self.snd.max_window;
        let cutoff = if mw > 536 { mw / 2 } else { mw };
        if cutoff != 0 && mss > cutoff {
            mss = cutoff.max(68 - 40);
        }
        self.mss = mss.saturating_sub(opts).max(8);
    }

    /// `tcp_current_mss()`: the payload of a full segment sent now, the
    /// SACK blocks it will carry taken off [`TcpConn::mss`] (which counts
    /// only the options every segment has), so that header and data still
    /// fit the path MTU: with DF set, a larger segment is dropped by IP.
    pub fn current_mss(&self) -> u32 {
        let pending = self.reasm.option_blocks_pending();
        if pending == 0 {
            return self.mss;
        }
        let room = MAX_TCP_OPTION_SPACE.saturating_sub(self.tcp_header_len - 20);
        let blocks = (pending as u32).min(sack_blocks_in(room));
        if blocks == 0 {
            return self.mss;
        }
        self.mss.saturating_sub(TCPOLEN_SACK_BASE_ALIGNED + blocks * TCPOLEN_SACK_PERBLOCK).max(8)
    }

    /// Bytes the application queued and the peer did not acknowledge.
    pub fn snd_queued(&self) -> u32 {
        self.snd.write_seq.0.wrapping_sub(self.snd.snd_una.0) - u32::from(self.snd.fin_queued && self.fin_unacked())
    }

    fn fin_unacked(&self) -> bool {
        self.snd.fin_queued && self.snd.snd_una != self.snd.write_seq
    }

    /// Room for more application bytes (`sk_stream_memory_free()`).
    pub fn snd_space(&self) -> u32 {
        self.sk_sndbuf.saturating_sub(self.snd_queued())
    }

    /// The send buffer's size now (`sk_sndbuf`, as bytes of data).
    pub fn sndbuf(&self) -> u32 {
        self.sk_sndbuf
    }

    /// A writer found no room (`SOCK_NOSPACE`, set by `tcp_poll()` and
    /// `sk_stream_wait_memory()`).
    pub fn set_nospace(&mut self) {
        self.nospace = true;
    }

    /// `tcp_sndbuf_expand()`: room for two congestion windows (NewReno's
    /// factor: fast recovery may send for a window while another is in
    /// flight), of at least the initial window and reordering + 1
    /// segments, each costed as Linux costs a non-GSO segment in memory
    /// (`per_mss`), up to `snd_cap`.
    fn sndbuf_expand(&mut self) {
        let per_mss = self.skb.tcp_sndmem_per_mss(self.mss_clamp.max(self.mss));
        let nr_segs = self.cong.snd_cwnd.max(TCP_INIT_CWND).max(self.cong.reordering + 1);
        let sndmem = (2 * u64::from(nr_segs)).saturating_mul(per_mss);
        let sndmem = sndmem.min(u64::from(self.snd_cap)) as u32;
        if self.sk_sndbuf < sndmem {
            self.sk_sndbuf = sndmem;
        }
    }

    /// `tcp_check_space()` after an ACK freed room: with a writer that
    /// found none, the buffer may grow (`tcp_new_space()`: not locked, and
    /// the congestion window not full, `tcp_should_expand_sndbuf()`), and
    /// the writer is woken once half the buffer is free
    /// (`sk_stream_write_space()`).
    fn check_space(&mut self) {
        if self.nospace && self.sndbuf_auto && self.cong.packets_in_flight() < self.cong.snd_cwnd {
            self.sndbuf_expand();
        }
        if self.writeable() {
            self.nospace = false;
            self.ev.writable = true;
        }
    }

    /// `sk_stream_is_writeable()`: free space at least half the queued
    /// bytes (`sk_stream_wspace() >= sk_stream_min_wspace()`).
    pub fn writeable(&self) -> bool {
        let q = self.snd_queued();
        self.snd_space() >= q / 2 && self.snd_space() > 0
    }

    /// Bytes received in order and not yet read (`tcp_inq()`).
    pub fn rcv_queued(&self) -> u32 {
        let end = match self.fin_seq {
            Some(f) if f == self.rcv_nxt.wrapping_sub(1) => f,
            _ => self.rcv_nxt,
        };
        end.0.wrapping_sub(self.copied_seq.0)
    }

    /// Fills the connection's part of `tcp_poll()`'s input.
    pub fn poll_fill(&self, p: &mut super::tcp_fin::PollInput) {
        p.copied_seq = self.copied_seq;
        p.rcv_nxt = self.copied_seq.wrapping_add(self.rcv_queued());
        p.rmem_alloc = self.rcv_queued().min(i32::MAX as u32) as i32;
        p.rcv_wup = self.win.rcv_wup;
        p.rcv_wnd = self.win.rcv_wnd;
        p.rcv_mss = u32::from(self.delack.rcv_mss).max(536);
        p.sndbuf = self.sk_sndbuf.min(i32::MAX as u32) as i32;
        p.wmem_queued = self.snd_queued().min(i32::MAX as u32) as i32;
        p.notsent_bytes = self.snd.notsent_bytes();
    }

    /// The peer's FIN was received (and everything before it).
    pub fn fin_rcvd(&self) -> bool {
        self.fin_seq.is_some()
    }

    /// `tcp_space()` as window bytes: the full space less what is held.
    fn free_space(&self) -> i32 {
        let held = u64::from(self.rcv_nxt.0.wrapping_sub(self.copied_seq.0)) + self.reasm.ofo.queued_len();
        (i64::from(self.full_space) - held.min(i64::MAX as u64) as i64).max(0) as i32
    }

    // ---------------------------------------------------------------
    // Output
    // ---------------------------------------------------------------

    /// The header of a segment from us at `seq` with `flags` (ACK is
    /// added), with the window (`tcp_select_window()`), timestamps and
    /// SACK blocks; the ACK it carries is accounted (`tcp_event_ack_sent()`).
    /// `len` payload bytes follow: SACK blocks are limited to what still
    /// fits in a full segment (the data was sized by
    /// [`TcpConn::current_mss`], so this only bites if the blocks grew).
    fn header(&mut self, seq: SeqNum, flags: TcpFlags, len: u32, now: &Now) -> TcpRepr {
        self.stats.segs_out = self.stats.segs_out.wrapping_add(1);
        self.win.rcv_nxt = self.rcv_nxt;
        let free = self.free_space();
        let window = select_window(&mut self.win, free, self.full_space, &self.sysctls.window, false);
        let mut options = TcpOptions::new();
        if self.tstamp_ok {
            options.timestamp = Some((now.ms.wrapping_add(self.ts_off), self.ts_recent));
        }
        if self.sack_ok {
            let fit = sack_blocks_in(self.mss.saturating_sub(len)) as usize;
            let room = options.sack_room().min(fit);
            options.sack_blocks = self.reasm.take_option_blocks(room);
        }
        if self.delack.event_ack_sent(self.rcv_nxt, self.rcv_nxt) || self.delack.pending == 0 {
            self.ev.delack_timer = TimerCmd::Stop;
        }
        TcpRepr {
            src_port: self.lport,
            dst_port: self.rport,
            seq,
            ack: self.rcv_nxt,
            flags: flags.union(TcpFlags::ACK),
            window,
            urgent: 0,
            options,
        }
    }

    /// `tcp_send_ack()`: a pure ACK at `snd_nxt`.
    pub fn send_ack(&mut self, tx: &mut impl Tx<S>, now: &Now) {
        let repr = self.header(self.snd.snd_nxt, TcpFlags::empty(), 0, now);
        tx.xmit(&repr, &self.sndbuf, self.snd.snd_nxt, 0, 0);
    }

    /// Sends `len` bytes at `seq` (plus FIN) from the send ring: one
    /// segment, or with `segs` > 1 one GSO packet of `segs` segments of
    /// `mss` bytes (the last may be shorter).
    fn xmit_data(&mut self, tx: &mut impl Tx<S>, seq: SeqNum, len: u32, fin: bool, now: &Now) {
        self.xmit_data_gso(tx, seq, len, fin, 1, 0, now)
    }

    #[allow(clippy::too_many_arguments)]
    fn xmit_data_gso(&mut self, tx: &mut impl Tx<S>, seq: SeqNum, len: u32, fin: bool, segs: u32, mss: u32, now: &Now) {
        let end = seq.wrapping_add(len);
        let mut flags = TcpFlags::empty();
        if fin {
            flags = flags.union(TcpFlags::FIN);
        }
        // PSH on the segment that empties what the application pushed
        // (`tcp_mark_push()` marks the tail skb of each write).
        if len > 0 && (!end.before(self.snd.pushed_seq) || end == self.snd.write_seq.wrapping_sub(u32::from(self.snd.fin_queued))) {
            flags = flags.union(TcpFlags::PSH);
        }
        let gso = if segs > 1 { mss } else { 0 };
        // The options must fit beside each segment's payload, not the
        // packet's.
        let seg_len = if gso > 0 { len.min(gso) } else { len };
        let repr = self.header(seq, flags, seg_len, now);
        // header() counted one segment.
        self.stats.segs_out = self.stats.segs_out.wrapping_add(segs.saturating_sub(1));
        tx.xmit(&repr, &self.sndbuf, seq, len, gso);
        if len > 0 {
            self.stats.data_segs_out = self.stats.data_segs_out.wrapping_add(segs.max(1));
            self.stats.bytes_sent += u64::from(len);
        }
        self.lsndtime = now.ms;
        self.delack.event_data_sent(now.jiffies);
    }

    /// Arms the retransmission timer for `ms` as `job`.
    fn arm_rtx(&mut self, job: RtxPending, ms: u32, now: &Now) {
        self.rtx_pending = job;
        self.rtx_due = now.ms.wrapping_add(ms);
        self.ev.rtx_timer = TimerCmd::Reset(ms);
    }

    fn clear_rtx(&mut self) {
        if self.rtx_pending != RtxPending::None {
            self.rtx_pending = RtxPending::None;
            self.ev.rtx_timer = TimerCmd::Stop;
        }
    }

    /// `tcp_write_xmit()`: new data and a queued FIN, as the windows and
    /// Nagle allow. Returns whether anything went out.
    fn write_xmit(&mut self, tx: &mut impl Tx<S>, nonagle: Nagle, now: &Now) -> bool {
        let mut sent = 0u32;
        let mss_now = self.current_mss();
        loop {
            // A full retransmission queue stops transmission like cwnd.
            if self.rtx.full() {
                break;
            }
            let p = XmitParams {
                mss_now,
                cwnd: self.cong.snd_cwnd,
                in_flight: self.cong.packets_in_flight(),
                packets_out: self.cong.packets_out,
                nonagle,
            };
            let c = match self.snd.write_xmit_next(&p) {
                Xmit::Send(c) => c,
                _ => break,
            };
            // Records for as many segments as the queue's memory allows.
            let segs = c.segs.min(self.rtx.room_ready(c.segs as usize) as u32);
            if segs == 0 {
                break;
            }
            let c = if segs < c.segs {
                XmitChunk {
                    seq: c.seq,
                    len: segs * mss_now,
                    fin: false,
                    segs,
                }
            } else {
                c
            };
            // One record per segment (what loss recovery and SACK work
            // on), and as few packets as GSO allows: as Linux's skb of
            // `tcp_tso_autosize()` segments, cut by the device or the stack.
            let per_packet = tx.gso_max_segs(mss_now).max(1);
            let mut off = 0;
            let mut i = 0;
            while i < c.segs {
                let n = (c.segs - i).min(per_packet);
                let start = off;
                for j in i..i + n {
                    let len = (c.len - off).min(mss_now);
                    let fin = c.fin && j + 1 == c.segs;
                    let seq = c.seq.wrapping_add(off);
                    self.rtx.push(Seg {
                        seq,
                        len,
                        fin,
                        st: SegState::default(),
                        tx_ms: now.ms,
                    });
                    if self.cong.on_new_data_sent() || self.rtx_pending != RtxPending::Retrans {
                        // tcp_event_new_data_sent(): the first segment in
                        // flight starts the RTO (a probe timer gives way).
                        if self.rtx_pending != RtxPending::Retrans {
                            let rto = self.rto.rto_ms;
                            self.arm_rtx(RtxPending::Retrans, rto, now);
                        }
                    }
                    off += len;
                }
                let fin = c.fin && i + n == c.segs;
                self.xmit_data_gso(tx, c.seq.wrapping_add(start), off - start, fin, n, mss_now, now);
                i += n;
            }
            self.snd.on_sent(&c, mss_now);
            sent += c.segs;
        }
        let x = XmitDone {
            snd_una: self.snd.snd_una,
            snd_nxt: self.snd.snd_nxt,
            now_ms: now.ms,
            rto_ms: self.rto.rto_ms,
            nospace: false,
        };
        self.cong.after_write_xmit(sent, &x, &self.sysctls.cong);
        if sent == 0 {
            self.check_probe_timer(now);
        }
        sent > 0
    }

    /// `tcp_check_probe_timer()`: nothing in flight, data waiting, and
    /// none could go: the peer's window is too small; probe it.
    fn check_probe_timer(&mut self, now: &Now) {
        if self.cong.packets_out == 0 && !self.snd.write_queue_empty() && self.rtx_pending == RtxPending::None {
            // TCP_RTO_MAX: the longest probe interval.
            let when = probe0_when(&self.rto, TCP_RTO_MAX_MS);
            self.arm_rtx(RtxPending::Probe, when, now);
        }
    }

    /// `tcp_push()`/`__tcp_push_pending_frames()` after the application
    /// queued data (`nonagle` from TCP_NODELAY/TCP_CORK and MSG_MORE).
    pub fn push(&mut self, tx: &mut impl Tx<S>, now: &Now) {
        if self.snd.write_queue_empty() || matches!(self.state, TCP_CLOSE | TCP_TIME_WAIT) {
            return;
        }
        let nagle = self.nagle;
        self.write_xmit(tx, nagle, now);
    }

    /// Retransmits the lost segments cwnd allows
    /// (`tcp_xmit_retransmit_queue()`).
    fn retransmit_lost(&mut self, tx: &mut impl Tx<S>, now: &Now) {
        while let Some(k) = self.cong.next_retransmit(&mut self.rtx) {
            if !self.retransmit_one(tx, k, now) {
                break;
            }
        }
    }

    /// `tcp_retransmit_skb()` of queue entry `k`. False if it could not go.
    fn retransmit_one(&mut self, tx: &mut impl Tx<S>, k: usize, now: &Now) -> bool {
        let Some(s) = self.rtx.get(k) else { return false };
        let una = self.snd.snd_una;
        let start = if s.seq.before(una) { una } else { s.seq };
        let data_len = s.seq.wrapping_add(s.len).0.wrapping_sub(start.0);
        let len = if data_len == 0 {
            Some(0)
        } else {
            retransmit_len(start, data_len, una, self.snd.snd_wnd, self.current_mss())
        };
        let Some(len) = len else { return false };
        if len < data_len && self.rtx.split(k, start.wrapping_add(len)) {
            // tcp_fragment(): the rest becomes a segment of its own, with
            // the same marks, retransmitted in its turn. (With the queue
            // full it stays in the record, sent again as the new head
            // once the first part is acknowledged, or at the next RTO.)
            self.cong.on_fragment(s.st);
        }
        let mut m = self.rtx.get(k).unwrap_or(s);
        let fin = m.fin && len == data_len;
        m.tx_ms = now.ms;
        self.rtx.set(k, &m);
        self.cong.on_retransmit(&mut self.rtx, k, now.ms, true);
        self.xmit_data(tx, start, len, fin, now);
        self.retrans_segs += 1;
        self.stats.bytes_retrans += u64::from(len);
        true
    }

    // ---------------------------------------------------------------
    // Application side
    // ---------------------------------------------------------------

    /// `tcp_sendmsg()`'s copy: queues as much of `data` as there is room
    /// for; returns how much. The caller then calls [`TcpConn::push`].
    pub fn send_queue(&mut self, data: &[u8], msg_more: bool) -> usize {
        let mut rest = data;
        let n = self.send_queue_with(data.len(), |dst| {
            dst.copy_from_slice(&rest[..dst.len()]);
            rest = &rest[dst.len()..];
            dst.len()
        });
        if n > 0 {
            self.push_mark(msg_more);
        }
        n
    }

    /// Queues up to `max` bytes (at most the send buffer's room) that
    /// `fill` copies straight into the send ring, piece by piece, each
    /// returning how much it filled (a short fill ends the write: the
    /// source faulted). Returns the bytes queued. The caller marks the
    /// write's end with [`TcpConn::push_mark`] once it knows whether more
    /// follows.
    pub fn send_queue_with(&mut self, max: usize, fill: impl FnMut(&mut [u8]) -> usize) -> usize {
        let n = (self.snd_space() as usize).min(max);
        if n == 0 {
            return 0;
        }
        let Ok(got) = self.sndbuf.write_with(self.snd.write_seq, n, fill) else {
            return 0;
        };
        self.snd.queue_data(got as u32);
        got
    }

    /// The end of a write (`tcp_push()`'s flags): PSH on the last byte
    /// queued unless `msg_more` (MSG_MORE, or more of the call to come)
    /// and no push is forced.
    pub fn push_mark(&mut self, msg_more: bool) {
        self.snd.push_mark(msg_more);
    }

    /// What a read finds now.
    pub fn recv_state(&self) -> RecvState {
        if self.rcv_queued() > 0 {
            RecvState::Data
        } else if self.fin_rcvd() || self.shutdown & RCV_SHUTDOWN != 0 {
            RecvState::Eof
        } else {
            RecvState::Empty
        }
    }

    /// Copies up to `out.len()` unread bytes at `copied_seq + skip`
    /// without consuming them; returns how many.
    pub fn recv_copy(&self, skip: u32, out: &mut [u8]) -> usize {
        let mut at = 0;
        self.recv_copy_with(skip, out.len(), |src| {
            out[at..at + src.len()].copy_from_slice(src);
            at += src.len();
            src.len()
        })
    }

    /// Hands up to `max` unread bytes at `copied_seq + skip` to `f`, the
    /// ring's contiguous pieces in order, without consuming them; `f`
    /// returns how many of each it took (a short take ends the copy: the
    /// destination faulted). Returns the bytes taken.
    pub fn recv_copy_with(&self, skip: u32, max: usize, mut f: impl FnMut(&[u8]) -> usize) -> usize {
        let avail = self.rcv_queued().saturating_sub(skip) as usize;
        let n = avail.min(max);
        let mut done = 0;
        let _ = self.rcvbuf.read_with(self.copied_seq.wrapping_add(skip), n, |src| {
            let k = f(src).min(src.len());
            done += k;
            if k < src.len() { Err(()) } else { Ok(()) }
        });
        done
    }

    /// The application consumed `n` bytes (`tcp_recvmsg()` then
    /// `tcp_cleanup_rbuf()`): the window may have opened enough to say so.
    pub fn recv_done(&mut self, n: u32, tx: &mut impl Tx<S>, now: &Now) {
        let n = n.min(self.rcv_queued());
        self.copied_seq = self.copied_seq.wrapping_add(n);
        if n > 0 && self.state != TCP_CLOSE {
            self.rcv_space_adjust(now);
        }
        if self.rcv_queued() == 0 && self.reasm.ofo.ranges().is_empty() {
            // Read up to rcv_nxt (or its FIN) with nothing out of order: the
            // ring holds nothing (an idle connection keeps no page).
            self.rcvbuf.drain_to(self.copied_seq);
        } else {
            self.rcvbuf.advance(self.copied_seq);
        }
        if self.state == TCP_CLOSE || n == 0 {
            return;
        }
        let rcv_window_now = tcp_receive_window(self.win.rcv_wup, self.win.rcv_wnd, self.rcv_nxt);
        let held = self.rcv_nxt.0.wrapping_sub(self.copied_seq.0) as i32;
        let free = self.free_space();
        let full = self.full_space;
        let mut w = self.win;
        w.rcv_nxt = self.rcv_nxt;
        let ws = self.sysctls.window.shrink_window;
        let send = self.delack.cleanup_rbuf(
            n as i32,
            self.rcv_nxt,
            self.win.rcv_wup,
            rcv_window_now,
            self.win.window_clamp,
            held,
            self.shutdown & RCV_SHUTDOWN != 0,
            self.sysctls.delack.pingpong_thresh,
            || raw_select_window(&mut w, free, full, ws, false),
        );
        if send {
            self.send_ack(tx, now);
        }
    }

    /// `tcp_shutdown()` with SEND_SHUTDOWN in `how`: a FIN after the data.
    /// `how` also sets the `sk_shutdown` bits.
    pub fn shutdown(&mut self, how: u8, tx: &mut impl Tx<S>, now: &Now) {
        self.shutdown |= how & SHUTDOWN_MASK;
        if how & SEND_SHUTDOWN != 0 && matches!(self.state, TCP_ESTABLISHED | TCP_CLOSE_WAIT) {
            self.send_fin(tx, now);
        }
    }

    /// `tcp_close_state()` + `tcp_send_fin()`.
    fn send_fin(&mut self, tx: &mut impl Tx<S>, now: &Now) {
        let cs = tcp_close_state(self.state);
        self.set_state(cs.new_state);
        if cs.send_fin && !self.snd.fin_queued {
            self.snd.queue_fin();
            self.write_xmit(tx, Nagle(Nagle::OFF), now);
        }
    }

    fn set_state(&mut self, s: u8) {
        if self.state != s {
            self.state = s;
            self.ev.state_change = true;
        }
    }

    /// `tcp_close()` after `data_was_unread`/SO_LINGER were ruled out:
    /// the FIN goes (if not yet), the socket becomes an orphan. What is
    /// left runs on timers and segments: an orphan in FIN_WAIT2 turns into
    /// a timewait sock at once.
    pub fn close(&mut self, tx: &mut impl Tx<S>, now: &Now) {
        self.shutdown = SHUTDOWN_MASK;
        self.dead = true;
        if matches!(self.state, TCP_ESTABLISHED | TCP_CLOSE_WAIT) {
            self.send_fin(tx, now);
        }
        if self.state == TCP_FIN_WAIT2 {
            let tmo = self.sysctls.fin_timeout_ms.max(0) as u32;
            self.ev.time_wait = Some((TCP_FIN_WAIT2, tmo));
        }
    }

    /// An RST for an abort (`tcp_send_active_reset()`): the repr to send,
    /// [`active_reset_repr`] at this connection's `snd_nxt` and `rcv_nxt`.
    pub fn active_reset(&self) -> TcpRepr {
        active_reset_repr(self.lport, self.rport, self.snd.snd_nxt, self.rcv_nxt)
    }

    /// Unread data exists (`data_was_unread` of `__tcp_close()`).
    pub fn data_was_unread(&self) -> bool {
        self.rcv_queued() > 0
    }

    /// The FIN we sent was acknowledged.
    pub fn fin_acked(&self) -> bool {
        self.snd.fin_queued && self.snd.snd_una == self.snd.write_seq
    }

    /// The timewait sock that takes this connection's place in
    /// `substate` (`tcp_time_wait()`); `loc_addr`/`rmt_addr` and `dev` are
    /// the sock's. Without timestamps the stamp is 0: no PAWS, no reuse.
    pub fn time_wait_sock(&self, substate: u8, loc_addr: [u8; 4], rmt_addr: [u8; 4], dev: i32) -> TimeWaitSock {
        TimeWaitSock::new(
            substate,
            loc_addr,
            rmt_addr,
            self.lport,
            self.rport,
            dev,
            self.rcv_nxt,
            self.snd.snd_nxt,
            self.win.rcv_wnd,
            self.win.rcv_wscale,
            self.ts_recent,
            if self.tstamp_ok { self.ts_recent_stamp } else { 0 },
            self.ts_off,
        )
    }

    // ---------------------------------------------------------------
    // Input
    // ---------------------------------------------------------------

    /// A segment for this connection.
    pub fn rcv(&mut self, seg: &TcpSegment<'_>, tx: &mut impl Tx<S>, now: &Now, rand: impl FnMut() -> u32) {
        if self.state == TCP_CLOSE || self.state == TCP_TIME_WAIT {
            return;
        }
        // tcp_segs_in().
        self.stats.segs_in = self.stats.segs_in.wrapping_add(1);
        if !seg.payload.is_empty() {
            self.stats.data_segs_in = self.stats.data_segs_in.wrapping_add(1);
        }
        let vs = ValidateSock {
            state: self.state,
            rcv_nxt: self.rcv_nxt,
            rcv_wup: self.win.rcv_wup,
            rcv_wnd: self.win.rcv_wnd,
            snd_una: self.snd.snd_una,
            snd_nxt: self.snd.snd_nxt,
            snd_wl1: self.snd.snd_wl1,
            snd_wnd: self.snd.snd_wnd,
            snd_wscale: self.snd.snd_wscale,
            tstamp_ok: self.tstamp_ok,
            ts_recent: self.ts_recent,
            ts_recent_stamp: self.ts_recent_stamp,
            rto_ms: self.rto.rto_ms,
            max_sack: if self.sack_ok { self.reasm.max_sack() } else { None },
            has_socket: !self.dead,
        };
        let vctx = ValidateCtx {
            now: now.ms,
            now_secs: now.secs,
            invalid_ratelimit: self.sysctls.invalid_ratelimit_ms,
            challenge_ack_limit: self.sysctls.challenge_ack_limit,
            dsack: self.sack_ok && self.sysctls.dsack,
        };
        match validate_incoming(&vs, seg, &mut self.last_oow_ack_time, &mut self.quota, &vctx, rand) {
            Validate::Accept => (),
            Validate::Drop { .. } => return,
            Validate::DupAck { quickack, dsack, .. } => {
                if let Some((s, e)) = dsack {
                    self.reasm.dsack_set(s, e);
                }
                if quickack {
                    self.delack.enter_quickack_mode(self.win.rcv_wnd, 16);
                }
                self.send_ack(tx, now);
                return;
            }
            Validate::ChallengeAck { .. } => {
                self.send_ack(tx, now);
                return;
            }
            Validate::Reset { err } => {
                self.reset(err);
                return;
            }
        }
        if !seg.flags.contains(TcpFlags::ACK) {
            return;
        }
        // tcp_replace_ts_recent(): a timestamp at or before the left edge
        // of the window, not older than the one we hold.
        if let (true, Some((tsval, _))) = (self.tstamp_ok, seg_ts(seg)) {
            if !seg.seq.after(self.win.rcv_wup) && (tsval.wrapping_sub(self.ts_recent) as i32) >= 0 {
                self.ts_recent = tsval;
                self.ts_recent_stamp = now.secs;
            }
        }
        let len = seg.payload.len() as u32;
        let fin = seg.flags.contains(TcpFlags::FIN);
        let end_seq = seg.seq.wrapping_add(len + u32::from(fin));
        let a = AckInput {
            seq: seg.seq,
            end_seq,
            ack: seg.ack,
            window: seg.window,
            syn: false,
            no_challenge: false,
            now_ms: now.ms,
        };
        match self.snd.tcp_ack(&a, &mut self.rto, &mut self.persist) {
            AckVerdict::TooOld { challenge } => {
                if challenge && self.quota.allowed(self.sysctls.challenge_ack_limit, now.secs, || 0) {
                    self.send_ack(tx, now);
                }
                return;
            }
            AckVerdict::Unsent => {
                return;
            }
            AckVerdict::Old => (),
            AckVerdict::Accepted(acc) => {
                if acc.max_window_grew {
                    self.sync_mss();
                }
                self.ack_accepted(acc.flag, acc.prior_snd_una, seg, tx, now);
                if self.ev.done.is_some() || self.ev.time_wait.is_some() {
                    return;
                }
                if acc.fin_acked || self.fin_acked() {
                    let ctx = FinAckCtx {
                        state: self.state,
                        all_acked: self.fin_acked(),
                        dead: self.dead,
                        linger2: 0,
                        fin_time: self.sysctls.fin_timeout_ms,
                        owned_by_user: false,
                        seq: seg.seq,
                        end_seq,
                        fin,
                        rcv_nxt: self.rcv_nxt,
                    };
                    match fin_acked(&ctx) {
                        FinAcked::Continue => (),
                        FinAcked::FinWait2 { keepalive } => {
                            self.set_state(TCP_FIN_WAIT2);
                            self.shutdown |= SEND_SHUTDOWN;
                            if let Some(t) = keepalive {
                                // An orphan: the rest of FIN_WAIT2 is spent
                                // as a timewait sock (Linux runs the
                                // keepalive timer first when the timeout
                                // exceeds TIME_WAIT's; same total).
                                if !fin {
                                    self.ev.time_wait = Some((TCP_FIN_WAIT2, t.max(1)));
                                    return;
                                }
                            }
                        }
                        FinAcked::FinWait2TimeWait { timeo } => {
                            self.set_state(TCP_FIN_WAIT2);
                            self.ev.time_wait = Some((TCP_FIN_WAIT2, timeo.max(1) as u32));
                            return;
                        }
                        FinAcked::Abort => {
                            let rst = self.active_reset();
                            tx.xmit(&rst, &self.sndbuf, rst.seq, 0, 0);
                            self.finish(None);
                            return;
                        }
                        FinAcked::TimeWait => {
                            self.set_state(TCP_TIME_WAIT);
                            self.ev.time_wait = Some((TCP_TIME_WAIT, 0));
                            return;
                        }
                        FinAcked::Close => {
                            self.finish(None);
                            return;
                        }
                    }
                }
            }
        }
        self.rcv_rtt_measure_ts(seg, now);
        // Data and FIN (tcp_data_queue()), in the states that take them.
        if len > 0 || fin {
            match rcv_text(self.state, self.shutdown, seg.seq, end_seq, fin, self.rcv_nxt) {
                TextAction::Queue => self.data_queue(seg, tx, now),
                TextAction::Ignore => (),
                TextAction::Reset { err } => {
                    let rst = self.active_reset();
                    tx.xmit(&rst, &self.sndbuf, rst.seq, 0, 0);
                    self.reset(err);
                    return;
                }
            }
            if self.ev.time_wait.is_some() || self.ev.done.is_some() {
                return;
            }
        }
        // tcp_data_snd_check(), then tcp_ack_snd_check().
        self.push(tx, now);
        self.ack_snd_check(tx, now);
    }

    /// `tcp_reset()`: the peer reset the connection.
    fn reset(&mut self, err: Errno) {
        self.finish(Some(err));
    }

    /// `tcp_done()`: the connection is over.
    fn finish(&mut self, err: Option<Errno>) {
        self.set_state(TCP_CLOSE);
        self.shutdown = SHUTDOWN_MASK;
        self.ev.done = Some(err);
        self.ev.readable = true;
        self.ev.writable = true;
        self.clear_rtx();
        self.ev.delack_timer = TimerCmd::Stop;
    }

    /// The rest of `tcp_ack()` for an acceptable ACK: the retransmission
    /// queue is cleaned, the RTT sampled, congestion control run, lost
    /// segments retransmitted and the timer re-armed.
    fn ack_accepted(&mut self, flag: AckFlags, prior_snd_una: SeqNum, seg: &TcpSegment<'_>, tx: &mut impl Tx<S>, now: &Now) {
        let una = self.snd.snd_una;
        self.stats.bytes_acked += u64::from(una.0.wrapping_sub(prior_snd_una.0));
        let mut acked = AckedSegs::default();
        while let Some(h) = self.rtx.get(0) {
            if !h.end().after(una) {
                acked.add(h.st, h.end(), u64::from(h.tx_ms) * 1000, false, self.cong.high_seq);
                self.rtx.pop();
            } else {
                if h.seq.before(una) {
                    // tcp_trim_head(): a partly acknowledged segment.
                    let mut m = h;
                    let cut = una.0.wrapping_sub(m.seq.0).min(m.len);
                    m.seq = una;
                    m.len -= cut;
                    self.rtx.set(0, &m);
                }
                break;
            }
        }
        let data_end = self.snd.write_seq.wrapping_sub(u32::from(self.snd.fin_queued));
        let base = if una.after(data_end) { data_end } else { una };
        let freed = base != self.sndbuf.base();
        if base == data_end {
            // Every byte queued is acknowledged: the ring holds nothing.
            self.sndbuf.drain_to(base);
        } else {
            self.sndbuf.advance(base);
        }
        let tsecr = seg_ts(seg)
            .filter(|_| self.tstamp_ok)
            .map(|(_, ecr)| ecr)
            .filter(|&e| e != 0)
            .map(|e| e.wrapping_sub(self.ts_off));
        let now_us = u64::from(now.ms) * 1000;
        let sample = RttSample {
            seq_rtt_us: acked.seq_rtt_us(now_us),
            ca_rtt_us: acked.ca_rtt_us(now_us),
            tsecr,
            acked: acked.flag.has(AckFlags::ACKED),
            now_ts: now.ms,
        };
        if let Some(r) = sample.seq_rtt_us {
            self.stats.min_rtt_us = self.stats.min_rtt_us.min(r);
        }
        self.rto.ack_update_rtt(&sample, una, self.snd.snd_nxt);
        let ev = AckEvent {
            prior_snd_una,
            snd_una: una,
            snd_nxt: self.snd.snd_nxt,
            flag,
            acked,
            tsecr,
            mss_cache: self.mss,
            can_send_new: !self.snd.write_queue_empty() && self.snd.wnd_end().after(self.snd.snd_nxt),
            ack_segs: 1,
            now_ms: now.ms,
        };
        let out = self.cong.on_ack(&mut self.rtx, &ev, &self.sysctls.cong);
        if out.set_xmit_timer || self.cong.packets_out == 0 {
            match self.rto.rearm_rto(self.cong.packets_out) {
                RtoTimer::Clear => {
                    if self.rtx_pending == RtxPending::Retrans {
                        self.clear_rtx();
                    }
                }
                RtoTimer::Reset(ms) => self.arm_rtx(RtxPending::Retrans, ms, now),
            }
        }
        // tcp_ack_probe(): an ACK while probing may open the window.
        if self.rtx_pending == RtxPending::Probe || self.cong.packets_out == 0 {
            match self.persist.ack_probe(&self.snd, &mut self.rto, self.mss, 0, now.ms) {
                ProbeTimer::Keep => (),
                ProbeTimer::Clear => {
                    if self.rtx_pending == RtxPending::Probe {
                        self.clear_rtx();
                    }
                }
                ProbeTimer::Reset(ms) => {
                    if self.cong.packets_out == 0 {
                        self.arm_rtx(RtxPending::Probe, ms, now);
                    }
                }
            }
        }
        match out.rexmit {
            Rexmit::Lost => self.retransmit_lost(tx, now),
            Rexmit::New => {
                self.write_xmit(tx, Nagle(Nagle::OFF), now);
                if self.cong.frto_new_data_sent(self.snd.snd_nxt) {
                    self.retransmit_lost(tx, now);
                }
            }
            Rexmit::None => (),
        }
        if freed {
            self.check_space();
        }
    }

    /// `tcp_data_queue()` and `tcp_fin()`.
    fn data_queue(&mut self, seg: &TcpSegment<'_>, tx: &mut impl Tx<S>, now: &Now) {
        let mut len = seg.payload.len() as u32;
        let mut fin = seg.flags.contains(TcpFlags::FIN);
        // What the receive ring can hold from this segment on: the window
        // never offers more, but a peer may overrun it.
        let room = self
            .rcvbuf
            .base()
            .wrapping_add(self.rcvbuf.capacity())
            .0
            .wrapping_sub(seg.seq.0);
        if (room as i32) < 0 {
            self.send_ack(tx, now);
            return;
        }
        if len > room {
            len = room;
            fin = false;
        }
        // The pages the bytes go to, before the segment is accounted: with
        // no memory (GFP_ATOMIC in softirq) it is dropped, as Linux drops
        // what tcp_try_rmem_schedule() refuses, and the peer resends it.
        let from = if seg.seq.before(self.rcv_nxt) { self.rcv_nxt } else { seg.seq };
        let new_len = seg.seq.wrapping_add(len).0.wrapping_sub(from.0);
        if (new_len as i32) > 0 && self.rcvbuf.reserve(from, new_len as usize).is_err() {
            return;
        }
        let wnd_left = tcp_receive_window(self.win.rcv_wup, self.win.rcv_wnd, self.rcv_nxt);
        let payload = &seg.payload[..len as usize];
        match self.reasm.data_queue(self.rcv_nxt, wnd_left, seg.seq, len, fin) {
            DataQueue::Empty => (),
            DataQueue::InOrder(io) => {
                let skip = io.skip.min(len) as usize;
                let _ = self.rcvbuf.write(seg.seq.wrapping_add(skip as u32), &payload[skip..]);
                self.stats.bytes_received += u64::from(io.rcv_nxt.0.wrapping_sub(self.rcv_nxt.0));
                self.rcv_nxt = io.rcv_nxt;
                self.win.rcv_nxt = io.rcv_nxt;
                if io.data {
                    let info = RcvSegInfo {
                        len,
                        header_len: seg.header_len as u32,
                        flags: seg.flags,
                    };
                    self.delack.event_data_recv(
                        &info,
                        now.jiffies,
                        (u64::from(self.rto.rto_ms) * u64::from(self.rto.hz) / 1000) as u32,
                        self.win.rcv_wnd,
                        self.advmss,
                        self.tcp_header_len,
                    );
                    // The rest of tcp_event_data_recv().
                    self.rcv_rtt_measure(now);
                    if len >= 128 {
                        self.grow_window(len);
                    }
                    self.ev.readable = true;
                }
                if io.gap_filled {
                    self.delack.pending |= super::tcp_delack::ICSK_ACK_NOW;
                }
                if io.fin {
                    self.fin_rcvd_now(tx, now);
                }
            }
            DataQueue::OutOfOrder { duplicate, .. } => {
                if !duplicate {
                    let _ = self.rcvbuf.write(seg.seq, payload);
                }
                // "Disable header prediction" and ACK at once: the peer's
                // fast retransmit counts on duplicate ACKs.
                self.delack.schedule_ack();
                self.delack.pending |= super::tcp_delack::ICSK_ACK_NOW;
            }
            DataQueue::OfoDropped | DataQueue::OldData | DataQueue::OutOfWindow { .. } => {
                self.delack.enter_quickack_mode(self.win.rcv_wnd, 16);
                self.delack.schedule_ack();
                self.delack.pending |= super::tcp_delack::ICSK_ACK_NOW;
            }
        }
    }

    /// `tcp_rcv_rtt_measure()`: the window-based RTT sample, for a
    /// receiver without timestamps: the time until data from a window
    /// beyond the last measurement's start arrives.
    fn rcv_rtt_measure(&mut self, now: &Now) {
        if self.rcv_rtt.time_us != 0 {
            if self.rcv_nxt.before(self.rcv_rtt.seq) {
                return;
            }
            let delta = now.us.saturating_sub(self.rcv_rtt.time_us).clamp(1, u64::from(u32::MAX)) as u32;
            self.rcv_rtt.update(delta, true);
        }
        self.rcv_rtt.seq = self.rcv_nxt.wrapping_add(self.win.rcv_wnd);
        self.rcv_rtt.time_us = now.us;
    }

    /// `tcp_rcv_rtt_measure_ts()`: a full-sized segment echoing a new
    /// timestamp of ours samples the RTT (ms resolution: the TS clock).
    fn rcv_rtt_measure_ts(&mut self, seg: &TcpSegment<'_>, now: &Now) {
        let Some((_, tsecr)) = seg_ts(seg).filter(|_| self.tstamp_ok) else { return };
        if tsecr == self.rcv_rtt.last_tsecr {
            return;
        }
        self.rcv_rtt.last_tsecr = tsecr;
        let len = seg.payload.len() as u32 + u32::from(seg.flags.contains(TcpFlags::FIN));
        if len < u32::from(self.delack.rcv_mss) {
            return;
        }
        // tcp_rtt_tsopt_us(tp, 0).
        let delta = now.ms.wrapping_add(self.ts_off).wrapping_sub(tsecr);
        if delta > 0 && delta < (i32::MAX as u32) / 1000 {
            self.rcv_rtt.update(delta * 1000, false);
        }
    }

    /// `tcp_grow_window()` for an in-order segment of `len` bytes: the
    /// window's growth limit `rcv_ssthresh` rises towards the clamp and
    /// the free space, by two segments or twice this one. Linux first
    /// checks the skb's truesize against its length (a wasteful driver's
    /// skbs would overrun the buffer); the ring keeps payload bytes only,
    /// so that check always passes here.
    fn grow_window(&mut self, len: u32) {
        let room = i64::from(self.win.window_clamp).min(i64::from(self.free_space())) - i64::from(self.win.rcv_ssthresh);
        if room <= 0 {
            return;
        }
        let incr = (2 * u32::from(self.advmss)).max(2 * len);
        self.win.rcv_ssthresh += (room as u32).min(incr);
        self.delack.quick |= 1;
    }

    /// `tcp_rcv_space_adjust()`, after the application read: once per
    /// receive RTT, if it read more than in the last one, the receive
    /// buffer grows to what twice that (plus room for the sender's growth)
    /// needs, within `tcp_rmem[2]` (`rcvbuf_max`); the window clamp and
    /// the full space follow. Linux's `copied` is an int compared with the
    /// u32 space (so a negative one, more queued than read, counts as
    /// huge); here it counts as nothing read.
    fn rcv_space_adjust(&mut self, now: &Now) {
        let time = now.us.saturating_sub(self.rcvq_space.time_us);
        if self.rcv_rtt.rtt_us == 0 || time < u64::from(self.rcv_rtt.rtt_us >> 3) {
            return;
        }
        let read = i64::from(self.copied_seq.0.wrapping_sub(self.rcvq_space.seq.0) as i32);
        let inq = i64::from(self.rcv_nxt.0.wrapping_sub(self.copied_seq.0) as i32);
        let copied = read - inq;
        let space = i64::from(self.rcvq_space.space);
        if copied > space {
            if let Some(max) = self.rcvbuf_max {
                let copied = copied as u64;
                let mut rcvwin = (copied << 1) + 16 * u64::from(self.advmss);
                let grow = rcvwin * (copied - space as u64) / (space as u64).max(1);
                rcvwin += grow << 1;
                let rcvbuf = tcp_space_from_win(TCP_DEFAULT_SCALING_RATIO, rcvwin).min(u64::from(max)) as u32;
                if rcvbuf > self.sk_rcvbuf {
                    self.sk_rcvbuf = rcvbuf;
                    self.full_space = tcp_win_from_space(TCP_DEFAULT_SCALING_RATIO, rcvbuf.min(i32::MAX as u32) as i32);
                    self.win.window_clamp = self.full_space as u32;
                }
            }
            self.rcvq_space.space = copied.min(i64::from(u32::MAX)) as u32;
        }
        self.rcvq_space.seq = self.copied_seq;
        self.rcvq_space.time_us = now.us;
    }

    /// `sk_rcvbuf` now (SO_RCVBUF): grown by autotuning.
    pub fn rcvbuf(&self) -> u32 {
        self.sk_rcvbuf
    }

    /// The buffer sizes autotuning owns, for the sock to publish
    /// (`sk_sndbuf`, `sk_rcvbuf`): `None` for one the user locked.
    pub fn autotuned_bufs(&self) -> (Option<u32>, Option<u32>) {
        (self.sndbuf_auto.then_some(self.sk_sndbuf), self.rcvbuf_max.map(|_| self.sk_rcvbuf))
    }

    /// `tcp_fin()`: the peer's FIN is in order.
    fn fin_rcvd_now(&mut self, tx: &mut impl Tx<S>, now: &Now) {
        self.fin_seq = Some(self.rcv_nxt.wrapping_sub(1));
        self.delack.schedule_ack();
        self.shutdown |= RCV_SHUTDOWN;
        self.ev.readable = true;
        self.ev.state_change = true;
        match tcp_fin(self.state) {
            FinRcv::CloseWait => {
                self.set_state(TCP_CLOSE_WAIT);
                self.delack.enter_pingpong_mode(self.sysctls.delack.pingpong_thresh);
            }
            FinRcv::Closing => {
                // Simultaneous close: ACK the FIN now.
                self.set_state(TCP_CLOSING);
                self.send_ack(tx, now);
            }
            FinRcv::TimeWait => {
                self.send_ack(tx, now);
                self.set_state(TCP_TIME_WAIT);
                self.ev.time_wait = Some((TCP_TIME_WAIT, 0));
            }
            FinRcv::Stay | FinRcv::Impossible => (),
        }
    }

    /// `tcp_ack_snd_check()`.
    fn ack_snd_check(&mut self, tx: &mut impl Tx<S>, now: &Now) {
        let srtt = self.rto.srtt_us;
        let delack_max = tcp_delack_max(
            super::tcp_delack::tcp_delack_max_default(self.delack.hz),
            super::tcp_delack::tcp_rto_min(self.delack.hz),
        );
        let ctx = AckSndCtx {
            now: now.jiffies,
            rcv_nxt: self.rcv_nxt,
            rcv_wup: self.win.rcv_wup,
            copied_seq: self.copied_seq,
            rcvlowat: 1,
            rcv_wnd: self.win.rcv_wnd,
            ofo_nonempty: !self.reasm.ofo.ranges().is_empty(),
            sack_ok: false,
            owned_by_user: false,
            compressed_timer_queued: false,
            rcv_rtt_us: self.rcv_rtt.rtt_us,
            srtt_us: srtt,
            delack_max,
            sysctls: self.sysctls.delack,
        };
        let free = self.free_space();
        let full = self.full_space;
        let mut w = self.win;
        w.rcv_nxt = self.rcv_nxt;
        let shrink = self.sysctls.window.shrink_window;
        match self.delack.ack_snd_check(&ctx, true, || raw_select_window(&mut w, free, full, shrink, false)) {
            AckSnd::Nothing => (),
            AckSnd::Now | AckSnd::Deferred | AckSnd::CompressTimer { .. } => self.send_ack(tx, now),
            AckSnd::Timer(deadline) => {
                let j = deadline.wrapping_sub(now.jiffies).min(self.delack.hz.max(1) * 2);
                let ms = (u64::from(j) * 1000).div_ceil(u64::from(self.delack.hz.max(1))) as u32;
                self.ev.delack_timer = TimerCmd::Reset(ms.max(1));
            }
        }
    }

    // ---------------------------------------------------------------
    // Timers
    // ---------------------------------------------------------------

    /// The delayed-ACK timer fired.
    pub fn delack_timer(&mut self, tx: &mut impl Tx<S>, now: &Now) {
        let rto_j = (u64::from(self.rto.rto_ms) * u64::from(self.delack.hz) / 1000) as u32;
        match self.delack.delack_timer(now.jiffies, self.state, rto_j, self.sysctls.delack.pingpong_thresh) {
            DelackTimer::Nothing => (),
            DelackTimer::Rearm(deadline) => {
                let j = deadline.wrapping_sub(now.jiffies);
                let ms = (u64::from(j) * 1000).div_ceil(u64::from(self.delack.hz.max(1))) as u32;
                self.ev.delack_timer = TimerCmd::Reset(ms.max(1));
            }
            DelackTimer::SendAck => self.send_ack(tx, now),
        }
    }

    /// The retransmission timer fired (`tcp_write_timer_handler()`): a
    /// retransmission timeout, or a zero-window probe.
    pub fn retransmit_timer(&mut self, tx: &mut impl Tx<S>, now: &Now) {
        let job = self.rtx_pending;
        self.rtx_pending = RtxPending::None;
        if matches!(self.state, TCP_CLOSE | TCP_TIME_WAIT) {
            return;
        }
        // Fired early (a re-arm raced with the expiry): wait the rest.
        let early = self.rtx_due.wrapping_sub(now.ms) as i32;
        if job != RtxPending::None && early > 0 {
            self.arm_rtx(job, early as u32, now);
            return;
        }
        match job {
            RtxPending::None => (),
            RtxPending::Probe => self.probe_timer(tx, now),
            RtxPending::Retrans => self.rto_timer(tx, now),
        }
    }

    fn rto_timer(&mut self, tx: &mut impl Tx<S>, now: &Now) {
        let ctx = RtxTimerCtx {
            now_ms: now.ms,
            timer_due_ms: self.rtx_due,
            rcv_tstamp_ms: self.snd.rcv_tstamp,
            head_tx_ms: self.rtx.get(0).map_or(now.ms, |s| s.tx_ms),
            snd_wnd: self.snd.snd_wnd,
            dead: self.dead,
            soft_error: false,
            user_timeout_ms: 0,
            retries1: self.sysctls.retries1,
            retries2: self.sysctls.retries2,
            orphan_retries: self.sysctls.orphan_retries,
        };
        let (una, nxt) = (self.snd.snd_una, self.snd.snd_nxt);
        let step = retransmit_timer(&mut self.rto, &mut self.cong, &mut self.rtx, una, nxt, &self.sysctls.cong, &ctx);
        match step {
            RtxTimerStep::Idle => (),
            RtxTimerStep::Expire => {
                let rst_needed = self.dead;
                if rst_needed {
                    let rst = self.active_reset();
                    tx.xmit(&rst, &self.sndbuf, rst.seq, 0, 0);
                }
                self.finish(Some(Errno::TimedOut));
            }
            RtxTimerStep::Retransmit { .. } => {
                self.retransmit_one(tx, 0, now);
                let r = self.rto.after_timer_retransmit(step, false, self.cong.retrans_stamp, &ctx);
                self.arm_rtx(RtxPending::Retrans, r.timer_ms, now);
            }
        }
    }

    fn probe_timer(&mut self, tx: &mut impl Tx<S>, now: &Now) {
        let ctx = ProbeCtx {
            now_ms: now.ms,
            packets_out: self.cong.packets_out,
            send_head: !self.snd.write_queue_empty(),
            user_timeout_ms: 0,
            retries2: self.sysctls.retries2,
            dead: self.dead,
            soft_error: false,
            orphan_retries: self.sysctls.orphan_retries,
        };
        match self.persist.on_timer(&self.rto, &ctx) {
            ProbeStep::Cancel => (),
            ProbeStep::Abort => {
                let rst = self.active_reset();
                tx.xmit(&rst, &self.sndbuf, rst.seq, 0, 0);
                self.finish(Some(Errno::TimedOut));
            }
            ProbeStep::Probe => {
                let mss_now = self.current_mss();
                match self.snd.write_wakeup(mss_now) {
                    Wakeup::Data(c) => {
                        // New data that fits: it is ordinary data now.
                        // Without memory for its record nothing goes, as
                        // tcp_write_wakeup() fails when tcp_fragment()
                        // cannot allocate: the probe timer comes again.
                        let queued = self.rtx.push(Seg {
                            seq: c.seq,
                            len: c.len,
                            fin: c.fin,
                            st: SegState::default(),
                            tx_ms: now.ms,
                        });
                        if queued {
                            self.cong.on_new_data_sent();
                            self.xmit_data(tx, c.seq, c.len, c.fin, now);
                            self.snd.on_sent(&c, mss_now);
                        }
                    }
                    Wakeup::Probe { seq } => {
                        let repr = self.header(seq, TcpFlags::empty(), 0, now);
                        tx.xmit(&repr, &self.sndbuf, seq, 0, 0);
                    }
                }
                let wq_empty = self.snd.write_queue_empty();
                match self.persist.after_probe(&mut self.rto, &ctx, ProbeResult::SentOrError, self.cong.packets_out, wq_empty) {
                    ProbeTimer::Reset(ms) => self.arm_rtx(RtxPending::Probe, ms, now),
                    ProbeTimer::Clear | ProbeTimer::Keep => {
                        if self.cong.packets_out > 0 {
                            let rto = self.rto.rto_ms;
                            self.arm_rtx(RtxPending::Retrans, rto, now);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seqbuf::tests::VecStore;

    fn seg(seq: u32, len: u32) -> Seg {
        Seg {
            seq: SeqNum(seq),
            len,
            fin: false,
            st: SegState(SegState::LOST),
            tx_ms: 7,
        }
    }

    fn ring(n: u32, cap_chunks: usize) -> SegRing<VecStore> {
        let mut r = SegRing::new(VecStore::new(cap_chunks));
        // Start the ring away from slot 0 so that both shifts wrap (an
        // emptied ring starts again at 0, so the first records go last).
        let lead = 3.min(r.cap - n as usize);
        for _ in 0..lead {
            assert!(r.push(seg(0, 1)));
        }
        for i in 0..n {
            assert!(r.push(seg(1000 * i, 1000)));
        }
        for _ in 0..lead {
            r.pop();
        }
        r
    }

    /// A store that allocates at most `max` chunks at once.
    struct Limited {
        inner: VecStore,
        max: usize,
    }

    impl ChunkStore for Limited {
        fn slots(&self) -> usize {
            self.inner.slots()
        }
        fn chunk(&self, i: usize) -> Option<&[u8]> {
            self.inner.chunk(i)
        }
        fn chunk_mut(&mut self, i: usize) -> Option<&mut [u8]> {
            let held = (0..self.inner.slots()).filter(|&j| self.inner.chunk(j).is_some()).count();
            if self.inner.chunk(i).is_none() && held >= self.max {
                return None;
            }
            self.inner.chunk_mut(i)
        }
        fn release(&mut self, i: usize) {
            self.inner.release(i)
        }
    }

    #[test]
    fn chunks_come_as_the_queue_grows_and_go_when_it_empties() {
        let per = CHUNK / SEG_REC;
        let mut r = SegRing::new(VecStore::new(2));
        assert_eq!((r.cap, r.allocated()), (2 * per, 0));
        assert!(r.push(seg(0, 1)));
        assert_eq!(r.allocated(), 1);
        for i in 1..=per as u32 {
            assert!(r.push(seg(i, 1)));
        }
        assert_eq!(r.allocated(), 2);
        for _ in 0..per {
            r.pop();
        }
        assert_eq!((r.len, r.allocated()), (1, 2));
        r.pop();
        assert_eq!((r.len, r.head, r.allocated()), (0, 0, 0));
    }

    #[test]
    fn a_chunk_that_cannot_be_allocated_refuses_records() {
        let per = CHUNK / SEG_REC;
        let mut r = SegRing::new(Limited { inner: VecStore::new(2), max: 1 });
        assert_eq!(r.room_ready(per + 10), per);
        for i in 0..per as u32 {
            assert!(r.push(seg(i, 1)));
        }
        assert!(!r.push(seg(9999, 1)));
        assert_eq!(r.len, per);
        // One gone from the head: the tail is still in the chunk that
        // cannot be had.
        r.pop();
        assert_eq!(r.room_ready(1), 0);
        assert!(!r.push(seg(9999, 1)));
        assert_eq!(r.get(per - 2).map(|s| s.seq.0), Some(per as u32 - 1));
    }

    #[test]
    fn split_near_the_head_shifts_the_tail_when_the_front_slot_is_unallocated() {
        let mut r = SegRing::new(Limited { inner: VecStore::new(2), max: 1 });
        for i in 0..10u32 {
            assert!(r.push(seg(1000 * i, 1000)));
        }
        // The slot before the head (the ring's last) is in the second chunk.
        assert!(r.split(1, SeqNum(1300)));
        assert_eq!(r.len, 11);
        assert_eq!(r.allocated(), 1);
        let got: std::vec::Vec<(u32, u32)> = (0..r.len).map(|k| r.get(k).map(|s| (s.seq.0, s.len)).unwrap()).collect();
        assert_eq!(&got[..4], &[(0, 1000), (1000, 300), (1300, 700), (2000, 1000)]);
        assert_eq!(got[10], (9000, 1000));
    }

    fn seqs(r: &SegRing<VecStore>) -> std::vec::Vec<(u32, u32)> {
        (0..r.len).map(|k| r.get(k).map(|s| (s.seq.0, s.len)).unwrap()).collect()
    }

    extern crate std;

    #[test]
    fn split_near_head_and_near_tail_keeps_order() {
        for k in [0usize, 1, 5, 8, 9] {
            let mut r = ring(10, 1);
            assert!(r.split(k, SeqNum(1000 * k as u32 + 300)));
            assert_eq!(r.len, 11);
            let mut want = std::vec::Vec::new();
            for i in 0..10u32 {
                if i as usize == k {
                    want.push((1000 * i, 300));
                    want.push((1000 * i + 300, 700));
                } else {
                    want.push((1000 * i, 1000));
                }
            }
            assert_eq!(seqs(&r), want, "split of record {k}");
            let b = r.get(k + 1).unwrap();
            assert_eq!((b.st, b.tx_ms), (SegState(SegState::LOST), 7));
        }
    }

    #[test]
    fn split_moves_fin_to_the_second_part() {
        let mut r = ring(2, 1);
        let mut last = r.get(1).unwrap();
        last.fin = true;
        r.set(1, &last);
        assert!(r.split(1, SeqNum(1500)));
        assert!(!r.get(1).unwrap().fin);
        assert!(r.get(2).unwrap().fin);
        assert_eq!(r.get(2).unwrap().end(), SeqNum(2001));
    }

    #[test]
    fn split_refused_when_full_or_outside() {
        let per = (CHUNK / SEG_REC) as u32;
        let mut r = ring(per, 1);
        assert!(r.full());
        assert!(!r.split(0, SeqNum(500)));
        let mut r = ring(3, 1);
        assert!(!r.split(1, SeqNum(1000)));
        assert!(!r.split(1, SeqNum(2000)));
        assert!(!r.split(3, SeqNum(3500)));
        assert_eq!(r.len, 3);
    }
}
