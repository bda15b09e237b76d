// SPDX-License-Identifier: GPL-2.0

//! SYN cookies, as net/ipv4/syncookies.c computes and checks them, plus the
//! syncookie clocks of include/net/tcp.h and the cookie branches of
//! `tcp_conn_request()` / `tcp_make_synack()`.
//!
//! Under SYN flood a listener answers a SYN without keeping a request
//! socket: our ISN (the cookie) encodes who the SYN came from, a one-minute
//! counter and which of four MSS values ([`MSSTAB`]) the peer may use. When
//! the peer's ACK comes back, `ack - 1` is checked and the request socket
//! rebuilt from it ([`cookie_request_from_ack`]).
//!
//! # The cookie
//!
//! With `h(c, count) = (u32)siphash_4u32(saddr, daddr, sport << 16 | dport,
//! count, &secret[c])` ([`SyncookieSecret`]) and `sseq` the SYN's sequence
//! number:
//!
//! ```text
//! cookie = h(0, 0) + sseq + (count << 24) + ((h(1, count) + mssind) & 0xffffff)
//! ```
//!
//! all modulo 2^32, where `count` is [`tcp_cookie_time`]. A cookie is
//! accepted while the counter has advanced by less than
//! [`MAX_SYNCOOKIE_AGE`] (so for 60 to 120 seconds).
//!
//! # Direction
//!
//! Unlike [`super::secure_seq`], the cookie hashes the *segment's* fields:
//! `saddr`/`sport` are the peer's (the SYN's and the ACK's source),
//! `daddr`/`dport` ours. Addresses are wire order (`[10, 0, 0, 1]`), ports
//! host order; they are hashed as Linux hashes the raw `__be32`/`__be16`
//! bits ([`be32_bits`], [`be16_bits`]), so on a little-endian machine the
//! 16 bytes hashed are `saddr ‖ daddr ‖ dport (BE) ‖ sport (BE) ‖ count
//! (LE)`.
//!
//! # Options in the timestamp
//!
//! When the SYN carried a timestamp, the low [`TSBITS`] bits of the
//! SYN-ACK's timestamp (before the per-connection `ts_off` is added) record
//! the peer's window scale (4 bits, `0xf` = none), SACK-permitted and ECN
//! ([`cookie_init_timestamp`]); the peer echoes them in the ACK's `tsecr`
//! ([`cookie_timestamp_decode`]). Without a timestamp none of window
//! scaling, SACK or ECN is offered.
//!
//! # Clocks the caller passes
//!
//! * `count`: [`tcp_cookie_time`] of `get_jiffies_64()` and `HZ`;
//! * the overflow stamp ([`synq_overflow`], [`synq_no_recent_overflow`]):
//!   `(u32)jiffies` and `HZ`, kept per listener like Linux's
//!   `rx_opt.ts_recent_stamp` (or per reuseport group);
//! * `now_ms` of the cookie SYN-ACK: `tcp_clock_ms()`, i.e.
//!   `ktime_get_ns() / NSEC_PER_MSEC` (CLOCK_MONOTONIC) as a `u64`, the same
//!   reading then passed (truncated to `u32`) to
//!   [`super::tcp_output::synack_repr`].
//!
//! Cookies validated by a BPF program (`cookie_bpf_check()`), MPTCP and
//! MD5/AO are not modelled. Usec-resolution timestamps need nothing
//! special: `cookie_init_timestamp()` always works on the millisecond
//! clock (and scales its result so that a usec route still sends that
//! millisecond value), and `cookie_tcp_reqsk_alloc()` clears
//! `req_usec_ts`.

use super::request_sock::RequestSock;
use super::secure_seq::{be16_bits, be32_bits};
use super::seq::SeqNum;
use super::siphash::{siphash_4u32, SipKey};
use super::tcp_hdr::{TcpFlags, TcpSegment};
use super::tcp_input::{advertised_mss, parse_syn_options};
use super::tcp_params::{ListenerParams, SynSysctls};
use super::tcp_window::openreq_init_rwin;

/// `COOKIEBITS`: the low 24 bits carry hash + MSS index, the top 8 bits
/// the counter.
pub const COOKIEBITS: u32 = 24;
/// `COOKIEMASK`: `(1 << COOKIEBITS) - 1`.
pub const COOKIEMASK: u32 = (1 << COOKIEBITS) - 1;
/// `MAX_SYNCOOKIE_AGE`: a cookie is valid while the counter has advanced
/// by less than this many periods.
pub const MAX_SYNCOOKIE_AGE: u32 = 2;
/// `TCP_SYNCOOKIE_PERIOD` in seconds (Linux: `60 * HZ` jiffies).
pub const TCP_SYNCOOKIE_PERIOD_SECS: u32 = 60;
/// `TCP_SYNCOOKIE_VALID` in seconds (`MAX_SYNCOOKIE_AGE *
/// TCP_SYNCOOKIE_PERIOD`): how long after a SYN-queue overflow ACKs are
/// tried as cookies.
pub const TCP_SYNCOOKIE_VALID_SECS: u32 = MAX_SYNCOOKIE_AGE * TCP_SYNCOOKIE_PERIOD_SECS;
/// `TSBITS`: low bits of the cookie timestamp that carry options.
pub const TSBITS: u32 = 6;
/// `TS_OPT_WSCALE_MASK`: the peer's window scale; all ones means the SYN
/// had no window scale option.
pub const TS_OPT_WSCALE_MASK: u32 = 0xf;
/// `TS_OPT_SACK`: the SYN offered SACK.
pub const TS_OPT_SACK: u32 = 1 << 4;
/// `TS_OPT_ECN`: ECN was negotiated.
pub const TS_OPT_ECN: u32 = 1 << 5;

/// Linux `msstab[]`: the MSS values a cookie can encode, sorted.
pub const MSSTAB: [u16; 4] = [536, 1300, 1440, 1460];

/// Linux `static siphash_aligned_key_t syncookie_secret[2]`: two SipHash
/// keys, `keys[0]` for the counter-independent hash, `keys[1]` for the
/// counter-dependent one. Linux fills them with random bytes once
/// (`net_get_random_once()`), shared by all namespaces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncookieSecret {
    /// `syncookie_secret[0]` and `syncookie_secret[1]`.
    pub keys: [SipKey; 2],
}

impl SyncookieSecret {
    /// The secret made of two keys.
    #[inline]
    pub const fn new(keys: [SipKey; 2]) -> Self {
        Self { keys }
    }

    /// The secret whose in-memory bytes are `bytes` on a little-endian
    /// machine (the 32 random bytes `net_get_random_once()` fills in).
    pub const fn from_le_bytes(bytes: [u8; 32]) -> Self {
        #[rustfmt::skip]
        let [
            a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15,
            b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15,
        ] = bytes;
        Self {
            keys: [
                SipKey::from_le_bytes([
                    a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15,
                ]),
                SipKey::from_le_bytes([
                    b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15,
                ]),
            ],
        }
    }
}

/// Linux `tcp_cookie_time()`: `get_jiffies_64() / TCP_SYNCOOKIE_PERIOD`,
/// truncated to `u32`. Pass the 64-bit jiffies and `HZ`; `(seconds, 1)`
/// gives whole minutes of a seconds clock. Returns 0 for `hz == 0` rather
/// than dividing by zero.
#[inline]
pub const fn tcp_cookie_time(jiffies64: u64, hz: u32) -> u32 {
    let period = TCP_SYNCOOKIE_PERIOD_SECS as u64 * hz as u64;
    if period == 0 {
        return 0;
    }
    (jiffies64 / period) as u32
}

/// Linux `time_between32(t, l, h)`: `l <= t <= h` on the 32-bit circle.
#[inline]
const fn time_between32(t: u32, l: u32, h: u32) -> bool {
    h.wrapping_sub(l) >= t.wrapping_sub(l)
}

/// Linux `tcp_synq_overflow(sk)`: records that the listener's SYN queue
/// overflowed (a cookie was sent) at `now_jiffies`, rewriting
/// `*last_overflow` at most once per second (`HZ` jiffies).
///
/// `*last_overflow` is the listener's `rx_opt.ts_recent_stamp` (or the
/// reuseport group's `synq_overflow_ts`; the arithmetic is the same),
/// initially 0; `now_jiffies` is `(u32)jiffies`, `hz` is `HZ`.
#[inline]
pub fn synq_overflow(last_overflow: &mut u32, now_jiffies: u32, hz: u32) {
    let last = *last_overflow;
    if !time_between32(now_jiffies, last, last.wrapping_add(hz)) {
        *last_overflow = now_jiffies;
    }
}

/// Linux `tcp_synq_no_recent_overflow(sk)`: true when the SYN queue has
/// not overflowed within [`TCP_SYNCOOKIE_VALID_SECS`] (so no cookie can be
/// outstanding and an ACK is not tried as one). The window starts one
/// second (`HZ`) before `last_overflow` to tolerate a racing update.
/// Clocks as in [`synq_overflow`].
#[inline]
pub fn synq_no_recent_overflow(last_overflow: u32, now_jiffies: u32, hz: u32) -> bool {
    // TCP_SYNCOOKIE_VALID = MAX_SYNCOOKIE_AGE * 60 * HZ, as u32.
    let valid = TCP_SYNCOOKIE_VALID_SECS.wrapping_mul(hz);
    !time_between32(
        now_jiffies,
        last_overflow.wrapping_sub(hz),
        last_overflow.wrapping_add(valid),
    )
}

/// Linux `cookie_hash(saddr, daddr, sport, dport, count, c)`: the low 32
/// bits of `siphash_4u32(saddr, daddr, sport << 16 | dport, count,
/// &syncookie_secret[c])` (`c` is 0 or 1; anything else uses key 1).
fn cookie_hash(
    saddr: [u8; 4],
    daddr: [u8; 4],
    sport: u16,
    dport: u16,
    count: u32,
    c: usize,
    secret: &SyncookieSecret,
) -> u32 {
    let key = if c == 0 {
        &secret.keys[0]
    } else {
        &secret.keys[1]
    };
    let ports = u32::from(be16_bits(sport)) << 16 | u32::from(be16_bits(dport));
    // The u64 hash is returned as the function's u32: the low half.
    siphash_4u32(be32_bits(saddr), be32_bits(daddr), ports, count, key) as u32
}

/// Linux `secure_tcp_syn_cookie(saddr, daddr, sport, dport, sseq, data)`
/// with `tcp_cookie_time()` passed as `count`: the cookie for a SYN with
/// sequence number `sseq`, carrying the small value `data` (the MSS index).
/// Addresses and ports are the SYN's (peer = source), see the module docs.
#[allow(clippy::too_many_arguments)] // one argument per kernel input, in order
pub fn secure_tcp_syn_cookie(
    saddr: [u8; 4],
    daddr: [u8; 4],
    sport: u16,
    dport: u16,
    sseq: u32,
    data: u32,
    count: u32,
    secret: &SyncookieSecret,
) -> u32 {
    let h0 = cookie_hash(saddr, daddr, sport, dport, 0, 0, secret);
    let h1 = cookie_hash(saddr, daddr, sport, dport, count, 1, secret);
    h0.wrapping_add(sseq)
        .wrapping_add(count << COOKIEBITS)
        .wrapping_add(h1.wrapping_add(data) & COOKIEMASK)
}

/// Linux `check_tcp_syn_cookie(cookie, saddr, daddr, sport, dport, sseq)`
/// with `tcp_cookie_time()` passed as `count`: the `data` a cookie
/// carries, or `None` (Linux: `(__u32)-1`) when its counter is
/// [`MAX_SYNCOOKIE_AGE`] or more periods old (modulo 256). A forged or
/// mismatched cookie usually fails that test; when it does not, the
/// returned data is a pseudo-random 24-bit value the caller must
/// range-check.
#[allow(clippy::too_many_arguments)] // one argument per kernel input, in order
pub fn check_tcp_syn_cookie(
    cookie: u32,
    saddr: [u8; 4],
    daddr: [u8; 4],
    sport: u16,
    dport: u16,
    sseq: u32,
    count: u32,
    secret: &SyncookieSecret,
) -> Option<u32> {
    // "Strip away the layers from the cookie"
    let h0 = cookie_hash(saddr, daddr, sport, dport, 0, 0, secret);
    let cookie = cookie.wrapping_sub(h0.wrapping_add(sseq));
    // "Cookie is now reduced to (count * 2^24) ^ (hash % 2^24)"
    let diff = count.wrapping_sub(cookie >> COOKIEBITS) & (u32::MAX >> COOKIEBITS);
    if diff >= MAX_SYNCOOKIE_AGE {
        return None;
    }
    let h1 = cookie_hash(
        saddr,
        daddr,
        sport,
        dport,
        count.wrapping_sub(diff),
        1,
        secret,
    );
    Some(cookie.wrapping_sub(h1) & COOKIEMASK)
}

/// The MSS index `__cookie_v4_init_sequence()` encodes for a SYN whose
/// `mss_clamp` is `mss`, and the MSS it stands for: the largest [`MSSTAB`]
/// entry not above `mss`, or index 0 (536) when `mss` is below all of
/// them (so the result can exceed a tiny `mss`).
pub fn cookie_mss_index(mss: u16) -> (u32, u16) {
    // for (mssind = ARRAY_SIZE(msstab) - 1; mssind; mssind--)
    //         if (mss >= msstab[mssind]) break;
    match MSSTAB.iter().enumerate().rev().find(|&(_, &m)| mss >= m) {
        Some((ind, &m)) => (ind as u32, m),
        None => (0, MSSTAB[0]),
    }
}

/// Linux `__cookie_v4_init_sequence(iph, th, &mss)`: the cookie (our ISN)
/// for a SYN from `saddr:sport` to `daddr:dport` with sequence number
/// `peer_isn` and `mss_clamp` `mss`, and the MSS actually encoded (what
/// Linux writes back to `*mssp`, i.e. `req->mss`). `count` is
/// [`tcp_cookie_time`].
///
/// The caller also records the overflow ([`synq_overflow`]), as
/// `cookie_init_sequence()` does, and counts `LINUX_MIB_SYNCOOKIESSENT`.
#[allow(clippy::too_many_arguments)] // one argument per kernel input, in order
pub fn cookie_v4_init_sequence(
    saddr: [u8; 4],
    daddr: [u8; 4],
    sport: u16,
    dport: u16,
    peer_isn: SeqNum,
    mss: u16,
    count: u32,
    secret: &SyncookieSecret,
) -> (SeqNum, u16) {
    let (mssind, mss_used) = cookie_mss_index(mss);
    let cookie = secure_tcp_syn_cookie(
        saddr, daddr, sport, dport, peer_isn.0, mssind, count, secret,
    );
    (SeqNum(cookie), mss_used)
}

/// Linux `__cookie_v4_check(iph, th)`: for an ACK from `saddr:sport` to
/// `daddr:dport` with acknowledgment number `ack` and sequence number
/// `seq`, the MSS its cookie (`ack - 1`, for the SYN with sequence number
/// `seq - 1`) encodes, or `None` (Linux: 0) when the cookie is too old or
/// does not decode to a valid [`MSSTAB`] index. `count_now` is
/// [`tcp_cookie_time`] now.
///
/// An ACK whose `ack` or `seq` is off by one from the right values still
/// passes when the shifted MSS index stays in range (it then decodes the
/// neighbouring [`MSSTAB`] entry), exactly as in Linux.
#[allow(clippy::too_many_arguments)] // one argument per kernel input, in order
pub fn cookie_v4_check(
    saddr: [u8; 4],
    daddr: [u8; 4],
    sport: u16,
    dport: u16,
    ack: SeqNum,
    seq: SeqNum,
    count_now: u32,
    secret: &SyncookieSecret,
) -> Option<u16> {
    let cookie = (ack - 1).0;
    let sseq = (seq - 1).0;
    let mssind = check_tcp_syn_cookie(cookie, saddr, daddr, sport, dport, sseq, count_now, secret)?;
    MSSTAB.get(mssind as usize).copied()
}

/// The options a cookie carries in its timestamp: what the SYN negotiated
/// (`ireq->wscale_ok`, `snd_wscale`, `sack_ok`, `ecn_ok`). Our own window
/// scale is not encoded; it is recomputed from the route when the ACK
/// arrives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CookieTsOpts {
    /// The peer sent a window scale option (and scaling is enabled).
    pub wscale_ok: bool,
    /// The peer's window scale (`snd_wscale`), 0..=14; meaningful only
    /// with `wscale_ok`.
    pub snd_wscale: u8,
    /// SACK permitted.
    pub sack_ok: bool,
    /// ECN negotiated.
    pub ecn_ok: bool,
}

impl CookieTsOpts {
    /// The [`TSBITS`] option bits `cookie_init_timestamp()` stores: the
    /// window scale (`snd_wscale` is a 4-bit field in Linux, so only its
    /// low 4 bits count; 15 reads back as "no window scaling") or
    /// [`TS_OPT_WSCALE_MASK`], plus [`TS_OPT_SACK`] and [`TS_OPT_ECN`].
    #[inline]
    pub const fn bits(&self) -> u32 {
        let mut options = if self.wscale_ok {
            self.snd_wscale as u32 & TS_OPT_WSCALE_MASK
        } else {
            TS_OPT_WSCALE_MASK
        };
        if self.sack_ok {
            options |= TS_OPT_SACK;
        }
        if self.ecn_ok {
            options |= TS_OPT_ECN;
        }
        options
    }
}

/// Linux `cookie_init_timestamp(req, now)`, in milliseconds: the timestamp
/// clock `now_ms` with its low [`TSBITS`] bits replaced by `opts`, moved
/// back by 2^TSBITS when that would be later than `now_ms`, so that the
/// connection's later timestamps never go backwards.
///
/// `now_ms` is `tcp_ns_to_ts(false, tcp_clock_ns())` = `tcp_clock_ms()`.
/// Linux returns the result in nanoseconds (`ts * NSEC_PER_MSEC`) as the
/// SYN-ACK's departure time, from which `tcp_synack_options()` takes the
/// millisecond value back; the SYN-ACK's tsval is therefore `(u32)ts +
/// ts_off`. The result is at most `now_ms` except during the first 63 ms
/// of the clock, where the subtraction wraps in `u64` as in C. Its low 32
/// bits depend only on the low 32 bits of `now_ms`.
#[inline]
pub const fn cookie_init_timestamp(now_ms: u64, opts: &CookieTsOpts) -> u64 {
    let mut ts = (now_ms >> TSBITS) << TSBITS;
    ts |= opts.bits() as u64;
    if ts > now_ms {
        ts = ts.wrapping_sub(1 << TSBITS);
    }
    ts
}

/// Linux `cookie_timestamp_decode(net, tcp_opt)` plus the `ecn_ok`
/// computed from the same `rcv_tsecr` by `cookie_tcp_reqsk_alloc()`.
///
/// `tsecr` is the ACK's echoed timestamp after `cookie_tcp_check()`
/// subtracted `ts_off` (see [`cookie_request_from_ack`]), or `None` when
/// the ACK carried no timestamp option that `tcp_parse_options()` accepted
/// (then all options are off). Returns `None` ("false") when the echo
/// asks for an option that is now disabled: any timestamp with
/// `tcp_timestamps == 0`, SACK with `tcp_sack` off, window scaling with
/// `tcp_window_scaling` off.
pub fn cookie_timestamp_decode(tsecr: Option<u32>, sysctls: &SynSysctls) -> Option<CookieTsOpts> {
    let Some(options) = tsecr else {
        // tcp_clear_options(); the zeroed rcv_tsecr gives ecn_ok = 0.
        return Some(CookieTsOpts::default());
    };
    if sysctls.timestamps == 0 {
        return None;
    }
    let sack_ok = options & TS_OPT_SACK != 0;
    if sack_ok && !sysctls.sack {
        return None;
    }
    let ecn_ok = options & TS_OPT_ECN != 0;
    let wscale = options & TS_OPT_WSCALE_MASK;
    if wscale == TS_OPT_WSCALE_MASK {
        // "no window scaling"
        return Some(CookieTsOpts {
            wscale_ok: false,
            snd_wscale: 0,
            sack_ok,
            ecn_ok,
        });
    }
    if !sysctls.window_scaling {
        return None;
    }
    Some(CookieTsOpts {
        wscale_ok: true,
        snd_wscale: wscale as u8,
        sack_ok,
        ecn_ok,
    })
}

/// Linux `cookie_ecn_ok(net, dst)`: ECN may be kept for a cookie
/// connection when `net.ipv4.tcp_ecn` is non-zero or the route has
/// `features ecn`.
#[inline]
pub const fn cookie_ecn_ok(tcp_ecn: u8, route_ecn: bool) -> bool {
    tcp_ecn != 0 || route_ecn
}

/// Inputs of [`cookie_request_from_syn`] besides the SYN, addresses,
/// listener, sysctls and secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CookieSynCtx {
    /// [`tcp_cookie_time`] now.
    pub count: u32,
    /// The connection's timestamp offset,
    /// `secure_tcp_seq_and_ts_off(...).ts_off` (used only when the SYN has
    /// a timestamp).
    pub ts_off: u32,
    /// The SYN asked for ECN and we agree
    /// ([`super::tcp_input::ecn_create_request`]).
    pub ecn_ok: bool,
    /// `tcp_clock_ms()` at which the SYN-ACK is built; pass `now_ms as
    /// u32` to [`super::tcp_output::synack_repr`]. Only its low 32 bits
    /// affect the SYN-ACK, so a 32-bit reading widened to `u64` gives the
    /// same segment.
    pub now_ms: u64,
}

/// The request socket `tcp_conn_request()` fills in for the SYN `seg`
/// (from `rmt_addr` to our `loc_addr`) when it answers with a cookie
/// (`want_cookie`), for [`super::tcp_output::synack_repr`] to build the
/// SYN-ACK from. Linux frees it right after sending; nothing is queued.
///
/// Differences from [`RequestSock::from_syn`], in Linux's order:
/// * without a timestamp option on the SYN, `tcp_clear_options()` drops
///   window scaling and SACK (the MSS is kept), so the SYN-ACK offers
///   neither;
/// * `ecn_ok` is `ctx.ecn_ok`, cleared without timestamps;
/// * `cookie_init_sequence()`: `snt_isn` is the cookie
///   ([`cookie_v4_init_sequence`]) and `peer_mss` (`req->mss`) is lowered
///   to the [`MSSTAB`] entry the cookie encodes;
/// * with timestamps, the SYN-ACK's tsval is [`cookie_init_timestamp`]`
///   + ts_off` (`tcp_make_synack()` sets the departure time to the cookie
///   timestamp). To make `synack_repr(&req, ctx.now_ms as u32)` emit
///   exactly that, the returned `ts_off` is `ctx.ts_off` plus the
///   (non-positive) distance from `now_ms` back to the cookie timestamp.
///   This `ts_off` is only meant for that SYN-ACK: the connection's real
///   offset is recomputed from the ACK ([`cookie_request_from_ack`]).
///
/// The window, clamp and our window scale come from
/// `tcp_openreq_init_rwin()` as for a normal request. The caller records
/// the overflow with [`synq_overflow`] and counts
/// `LINUX_MIB_SYNCOOKIESSENT`.
pub fn cookie_request_from_syn(
    seg: &TcpSegment<'_>,
    loc_addr: [u8; 4],
    rmt_addr: [u8; 4],
    listener: &ListenerParams,
    sysctls: &SynSysctls,
    secret: &SyncookieSecret,
    ctx: &CookieSynCtx,
) -> RequestSock {
    let mut opt = parse_syn_options(seg, listener.user_mss, sysctls);
    // `if (want_cookie && !tmp_opt.saw_tstamp) tcp_clear_options(&tmp_opt);`
    if !opt.saw_tstamp {
        opt.sack_ok = false;
        opt.wscale_ok = false;
        opt.snd_wscale = 0;
    }
    let tstamp_ok = opt.saw_tstamp;
    // tcp_ecn_create_request(), then `if (!tmp_opt.tstamp_ok)
    // inet_rsk(req)->ecn_ok = 0;`
    let ecn_ok = ctx.ecn_ok && tstamp_ok;
    let (isn, peer_mss) = cookie_v4_init_sequence(
        rmt_addr,
        loc_addr,
        seg.src_port,
        seg.dst_port,
        seg.seq,
        opt.mss_clamp,
        ctx.count,
        secret,
    );
    let mss = advertised_mss(listener.user_mss, listener.route_advmss);
    let win = openreq_init_rwin(listener, sysctls, mss, tstamp_ok, opt.wscale_ok);
    let ts_off = if tstamp_ok {
        let ts = cookie_init_timestamp(
            ctx.now_ms,
            &CookieTsOpts {
                wscale_ok: opt.wscale_ok,
                snd_wscale: opt.snd_wscale,
                sack_ok: opt.sack_ok,
                ecn_ok,
            },
        );
        // synack_repr() sends `now + ts_off`; we want `(u32)ts + ts_off`.
        ctx.ts_off
            .wrapping_add((ts as u32).wrapping_sub(ctx.now_ms as u32))
    } else {
        0
    };
    RequestSock {
        loc_addr,
        rmt_addr,
        loc_port: seg.dst_port,
        rmt_port: seg.src_port,
        rcv_isn: seg.seq,
        snt_isn: isn,
        mss,
        peer_mss,
        snd_wscale: opt.snd_wscale,
        rcv_wscale: win.rcv_wscale,
        wscale_ok: opt.wscale_ok,
        sack_ok: opt.sack_ok,
        tstamp_ok,
        ecn_ok,
        ts_recent: if opt.saw_tstamp { opt.tsval } else { 0 },
        ts_off,
        rcv_wnd: win.rcv_wnd,
        window_clamp: win.window_clamp,
        ..RequestSock::empty()
    }
}

/// Inputs of [`cookie_request_from_ack`] besides the ACK, addresses,
/// listener, sysctls and secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CookieAckCtx {
    /// `net.ipv4.tcp_syncookies`.
    pub syncookies: u8,
    /// [`synq_no_recent_overflow`] of the listener now.
    pub no_recent_overflow: bool,
    /// [`tcp_cookie_time`] now.
    pub count: u32,
    /// `secure_tcp_seq_and_ts_off(...).ts_off` for this connection (our
    /// address, peer address, our port, peer port), 0 unless
    /// `tcp_timestamps == 1`; used only when the ACK echoes a non-zero
    /// timestamp.
    pub ts_off: u32,
    /// [`cookie_ecn_ok`] for the route back to the peer.
    pub ecn_ok: bool,
}

/// What a listener does with a non-SYN segment before ordinary LISTEN
/// processing (`tcp_v4_cookie_check()` → `cookie_v4_check()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CookieAck {
    /// Not tried as a cookie: syncookies off, SYN set, no ACK, RST, or no
    /// recent SYN-queue overflow. The listener processes the segment
    /// (an ACK gets a reset).
    NotTried,
    /// The cookie is invalid (`LINUX_MIB_SYNCOOKIESFAILED`); the listener
    /// processes the segment.
    Failed,
    /// The cookie is valid (`LINUX_MIB_SYNCOOKIESRECV`) but its timestamp
    /// asks for an option that is now disabled; the listener processes the
    /// segment.
    OptionsRejected,
    /// The cookie is valid (`LINUX_MIB_SYNCOOKIESRECV`): the request
    /// socket it stands for. Make the child from it
    /// ([`super::tcp_minisocks::child_init`] with the ACK's window) and
    /// let it process the ACK; if the accept queue is full the ACK is
    /// dropped without a reset.
    Valid(RequestSock),
}

/// Linux `cookie_v4_check(sk, skb)` for the non-BPF path
/// (`cookie_tcp_check()`, `cookie_tcp_reqsk_alloc()`,
/// `cookie_tcp_reqsk_init()`): whether the segment `seg` from `rmt_addr`
/// to our `loc_addr` completes a cookie handshake, and the request socket
/// it stands for.
///
/// `listener` describes the listener and the route back to the peer
/// (Linux looks the route up again here). The request has:
/// `rcv_isn = seq - 1`, `snt_isn = ack - 1`; `peer_mss` the MSS from the
/// cookie ([`cookie_v4_check`]); `mss` our advertised MSS (the child's
/// `advmss`); with a timestamp option, `tstamp_ok`, `ts_recent = tsval`,
/// and window scaling, SACK and ECN from [`cookie_timestamp_decode`] of
/// `tsecr - ts_off` (Linux subtracts `ts_off` only when `tsecr != 0`, and
/// keeps `ts_off = 0` otherwise); ECN also needs `ctx.ecn_ok`. The window,
/// clamp and our scale are `tcp_select_initial_window()` run as
/// `cookie_v4_check()` does: on the cookie MSS, not reduced for
/// timestamps (unlike a normal request).
pub fn cookie_request_from_ack(
    seg: &TcpSegment<'_>,
    loc_addr: [u8; 4],
    rmt_addr: [u8; 4],
    listener: &ListenerParams,
    sysctls: &SynSysctls,
    secret: &SyncookieSecret,
    ctx: &CookieAckCtx,
) -> CookieAck {
    let flags = seg.flags;
    // tcp_v4_cookie_check(): `if (!th->syn)`; cookie_v4_check():
    // `!sysctl_tcp_syncookies || !th->ack || th->rst`.
    if flags.contains(TcpFlags::SYN)
        || ctx.syncookies == 0
        || !flags.contains(TcpFlags::ACK)
        || flags.contains(TcpFlags::RST)
    {
        return CookieAck::NotTried;
    }
    if ctx.no_recent_overflow {
        return CookieAck::NotTried;
    }
    let Some(peer_mss) = cookie_v4_check(
        rmt_addr,
        loc_addr,
        seg.src_port,
        seg.dst_port,
        seg.ack,
        seg.seq,
        ctx.count,
        secret,
    ) else {
        return CookieAck::Failed;
    };
    // tcp_parse_options(net, skb, &tcp_opt, 0, NULL) on a non-SYN: only
    // the timestamp counts, and only with tcp_timestamps on.
    let tstamp = if sysctls.timestamps != 0 {
        seg.options.timestamp
    } else {
        None
    };
    let mut ts_off = 0;
    let tsecr = match tstamp {
        Some((_, tsecr)) if tsecr != 0 => {
            ts_off = ctx.ts_off;
            Some(tsecr.wrapping_sub(ts_off))
        }
        Some((_, tsecr)) => Some(tsecr),
        None => None,
    };
    let Some(opts) = cookie_timestamp_decode(tsecr, sysctls) else {
        return CookieAck::OptionsRejected;
    };
    let tstamp_ok = tstamp.is_some();
    // "Try to redo what tcp_v4_send_synack did": the same clamp rules,
    // on req->mss with no timestamp adjustment.
    let win = openreq_init_rwin(listener, sysctls, peer_mss, false, opts.wscale_ok);
    CookieAck::Valid(RequestSock {
        loc_addr,
        rmt_addr,
        loc_port: seg.dst_port,
        rmt_port: seg.src_port,
        rcv_isn: seg.seq - 1,
        snt_isn: seg.ack - 1,
        mss: advertised_mss(listener.user_mss, listener.route_advmss),
        peer_mss,
        snd_wscale: opts.snd_wscale,
        rcv_wscale: win.rcv_wscale,
        wscale_ok: opts.wscale_ok,
        sack_ok: opts.sack_ok,
        tstamp_ok,
        // `ireq->ecn_ok &= cookie_ecn_ok(net, &rt->dst);`
        ecn_ok: opts.ecn_ok && ctx.ecn_ok,
        ts_recent: match tstamp {
            Some((tsval, _)) => tsval,
            None => 0,
        },
        ts_off,
        rcv_wnd: win.rcv_wnd,
        window_clamp: win.window_clamp,
        ..RequestSock::empty()
    })
}

#[cfg(test)]
mod tests {
    use super::super::siphash::siphash;
    use super::super::tcp_hdr::TcpOptions;
    use super::super::tcp_minisocks::child_init;
    use super::super::tcp_output::synack_repr;
    use super::*;

    /// Keys 0x00..0x1f, the first being lib/siphash_kunit.c's test key.
    fn secret() -> SyncookieSecret {
        let mut b = [0u8; 32];
        for (i, v) in b.iter_mut().enumerate() {
            *v = i as u8;
        }
        SyncookieSecret::from_le_bytes(b)
    }

    /// The peer (SYN source) and us.
    const P: [u8; 4] = [10, 0, 0, 2];
    const U: [u8; 4] = [10, 0, 0, 1];
    const PP: u16 = 40000;
    const UP: u16 = 80;
    const ISN: u32 = 0x0d25_6c95;
    const COUNT: u32 = 28_333_333;

    #[test]
    fn secret_layout() {
        let s = secret();
        assert_eq!(
            s.keys[0],
            SipKey::new([0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908])
        );
        assert_eq!(
            s.keys[1],
            SipKey::new([0x1716_1514_1312_1110, 0x1f1e_1d1c_1b1a_1918])
        );
        assert_eq!(SyncookieSecret::new(s.keys), s);
    }

    // Expected values from an independent Python SipHash-2-4 (checked
    // against the kunit vectors) over the 16 bytes Linux hashes on x86-64.
    #[cfg(target_endian = "little")]
    #[test]
    fn hand_computed_hashes() {
        let s = secret();
        assert_eq!(cookie_hash(P, U, PP, UP, 0, 0, &s), 0xeda6_ba56);
        assert_eq!(cookie_hash(P, U, PP, UP, COUNT, 1, &s), 0xff9f_0cd8);
        // saddr ‖ daddr ‖ dport BE ‖ sport BE ‖ count LE.
        let mut bytes = [0u8; 16];
        bytes[..4].copy_from_slice(&P);
        bytes[4..8].copy_from_slice(&U);
        bytes[8..10].copy_from_slice(&UP.to_be_bytes());
        bytes[10..12].copy_from_slice(&PP.to_be_bytes());
        bytes[12..].copy_from_slice(&COUNT.to_le_bytes());
        assert_eq!(siphash(&bytes, &s.keys[1]) as u32, 0xff9f_0cd8);
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn hand_computed_cookies() {
        let s = secret();
        let init = |mss| cookie_v4_init_sequence(P, U, PP, UP, SeqNum(ISN), mss, COUNT, &s);
        // h0 + isn + (count << 24) + ((h1 + ind) & mask):
        // 0xeda6ba56 + 0x0d256c95 + 0x15000000 + 0x9f0cd8 + ind.
        assert_eq!(init(1460), (SeqNum(0x106b_33c6), 1460));
        assert_eq!(init(9000), (SeqNum(0x106b_33c6), 1460));
        assert_eq!(init(1459), (SeqNum(0x106b_33c5), 1440));
        assert_eq!(init(1400), (SeqNum(0x106b_33c4), 1300));
        assert_eq!(init(1300), (SeqNum(0x106b_33c4), 1300));
        assert_eq!(init(600), (SeqNum(0x106b_33c3), 536));
        assert_eq!(init(100), (SeqNum(0x106b_33c3), 536));
        let chk = |ack: u32, seq: u32, now| {
            cookie_v4_check(P, U, PP, UP, SeqNum(ack), SeqNum(seq), now, &s)
        };
        assert_eq!(chk(0x106b_33c7, ISN + 1, COUNT), Some(1460));
        assert_eq!(chk(0x106b_33c7, ISN + 1, COUNT + 1), Some(1460));
        assert_eq!(chk(0x106b_33c7, ISN + 1, COUNT + 2), None);
        assert_eq!(chk(0x106b_33c7, ISN + 1, COUNT - 1), None);
        assert_eq!(chk(0x106b_33c4, ISN + 1, COUNT), Some(536));
        // Off by one: index 3 + 1 is out of range; index 3 - 1 is 1440.
        assert_eq!(chk(0x106b_33c8, ISN + 1, COUNT), None);
        assert_eq!(chk(0x106b_33c7, ISN + 2, COUNT), Some(1440));
        assert_eq!(chk(0x106b_33c4, ISN, COUNT), Some(1300));
        assert_eq!(chk(0x106b_33c4, ISN + 2, COUNT), None);
        // Wrong direction.
        assert_eq!(
            cookie_v4_check(
                U,
                P,
                UP,
                PP,
                SeqNum(0x106b_33c7),
                SeqNum(ISN + 1),
                COUNT,
                &s
            ),
            None
        );
        // The low-level pair.
        assert_eq!(
            secure_tcp_syn_cookie(P, U, PP, UP, ISN, 2, COUNT, &s),
            0x106b_33c5
        );
        assert_eq!(
            check_tcp_syn_cookie(0x106b_33c5, P, U, PP, UP, ISN, COUNT, &s),
            Some(2)
        );
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn counter_wraps() {
        let s = secret();
        let (c, m) = cookie_v4_init_sequence(P, U, PP, UP, SeqNum(u32::MAX), 1440, u32::MAX, &s);
        assert_eq!((c, m), (SeqNum(0xecc7_9b90), 1440));
        for now in [u32::MAX, 0] {
            assert_eq!(
                cookie_v4_check(P, U, PP, UP, c + 1, SeqNum(0), now, &s),
                Some(1440)
            );
        }
        assert_eq!(cookie_v4_check(P, U, PP, UP, c + 1, SeqNum(0), 1, &s), None);
    }

    #[test]
    fn mss_index() {
        assert_eq!(cookie_mss_index(0), (0, 536));
        assert_eq!(cookie_mss_index(535), (0, 536));
        assert_eq!(cookie_mss_index(536), (0, 536));
        assert_eq!(cookie_mss_index(1299), (0, 536));
        assert_eq!(cookie_mss_index(1300), (1, 1300));
        assert_eq!(cookie_mss_index(1439), (1, 1300));
        assert_eq!(cookie_mss_index(1440), (2, 1440));
        assert_eq!(cookie_mss_index(1452), (2, 1440));
        assert_eq!(cookie_mss_index(1460), (3, 1460));
        assert_eq!(cookie_mss_index(u16::MAX), (3, 1460));
    }

    #[test]
    fn cookie_time() {
        assert_eq!(tcp_cookie_time(0, 250), 0);
        assert_eq!(tcp_cookie_time(14_999, 250), 0);
        assert_eq!(tcp_cookie_time(15_000, 250), 1);
        assert_eq!(tcp_cookie_time(119, 1), 1);
        assert_eq!(tcp_cookie_time(120, 1), 2);
        assert_eq!(tcp_cookie_time(u64::MAX, 0), 0);
        // Linux's first jiffies_64 (INITIAL_JIFFIES = 2^32 - 300 * HZ).
        assert_eq!(tcp_cookie_time((1 << 32) - 300 * 1000, 1000), 71_577);
        // Truncated to u32 like the C return.
        assert_eq!(tcp_cookie_time(60 * (1u64 << 32) + 60 * 5, 1), 5);
    }

    #[test]
    fn overflow_clock() {
        let hz = 250;
        let mut last = 0;
        // Linux's jiffies start 300 s before the 32-bit wrap.
        let boot = 0u32.wrapping_sub(300 * hz);
        assert!(synq_no_recent_overflow(last, boot, hz));
        synq_overflow(&mut last, boot, hz);
        assert_eq!(last, boot);
        // Not rewritten within one second...
        synq_overflow(&mut last, boot + hz, hz);
        assert_eq!(last, boot);
        // ...then rewritten.
        synq_overflow(&mut last, boot + hz + 1, hz);
        assert_eq!(last, boot + hz + 1);
        let last = boot;
        // Recent from HZ before the stamp to 120 s after it, inclusive.
        assert!(synq_no_recent_overflow(last, boot - hz - 1, hz));
        assert!(!synq_no_recent_overflow(last, boot - hz, hz));
        assert!(!synq_no_recent_overflow(last, boot, hz));
        assert!(!synq_no_recent_overflow(
            last,
            boot.wrapping_add(120 * hz),
            hz
        ));
        assert!(synq_no_recent_overflow(
            last,
            boot.wrapping_add(120 * hz + 1),
            hz
        ));
        // Across the 32-bit wrap.
        assert!(!synq_no_recent_overflow(u32::MAX - 10, 100, hz));
    }

    #[test]
    fn timestamp_bits() {
        let o = |wscale: Option<u8>, sack_ok, ecn_ok| CookieTsOpts {
            wscale_ok: wscale.is_some(),
            snd_wscale: wscale.unwrap_or(0),
            sack_ok,
            ecn_ok,
        };
        assert_eq!(o(None, false, false).bits(), 0x0f);
        assert_eq!(o(Some(7), true, false).bits(), 0x17);
        assert_eq!(o(Some(0), false, true).bits(), 0x20);
        assert_eq!(o(Some(14), true, true).bits(), 0x3e);
        assert_eq!(o(Some(0x17), false, false).bits(), 0x07);
        // 1_000_000 is a multiple of 64: any non-zero options go back 64.
        assert_eq!(
            cookie_init_timestamp(1_000_000, &o(Some(7), true, false)),
            999_959
        );
        assert_eq!(
            cookie_init_timestamp(1_000_000, &o(Some(0), false, false)),
            1_000_000
        );
        assert_eq!(
            cookie_init_timestamp(1_000_063, &o(Some(7), true, false)),
            1_000_023
        );
        assert_eq!(
            cookie_init_timestamp(1_000_023, &o(Some(7), true, false)),
            1_000_023
        );
        assert_eq!(
            cookie_init_timestamp(1_000_022, &o(Some(7), true, false)),
            999_959
        );
        // u64 arithmetic: bits above 32 are kept.
        assert_eq!(
            cookie_init_timestamp((1 << 32) + 5, &o(None, false, false)),
            (1 << 32) - 49
        );
        // The first 63 ms wrap as in C.
        assert_eq!(
            cookie_init_timestamp(3, &o(None, false, false)),
            0u64.wrapping_sub(49)
        );
    }

    #[test]
    fn timestamp_decode() {
        let on = SynSysctls::DEFAULT;
        let d = |tsecr, s: &SynSysctls| cookie_timestamp_decode(tsecr, s);
        assert_eq!(d(None, &on), Some(CookieTsOpts::default()));
        assert_eq!(
            d(Some(999_959), &on),
            Some(CookieTsOpts {
                wscale_ok: true,
                snd_wscale: 7,
                sack_ok: true,
                ecn_ok: false
            })
        );
        assert_eq!(
            d(Some(0x2f), &on),
            Some(CookieTsOpts {
                ecn_ok: true,
                ..CookieTsOpts::default()
            })
        );
        // A zero echo decodes as window scale 0.
        assert_eq!(
            d(Some(0), &on),
            Some(CookieTsOpts {
                wscale_ok: true,
                ..CookieTsOpts::default()
            })
        );
        // Disabled options refuse the cookie.
        let no_ts = SynSysctls {
            timestamps: 0,
            ..on
        };
        assert_eq!(d(Some(0x0f), &no_ts), None);
        assert_eq!(d(None, &no_ts), Some(CookieTsOpts::default()));
        let no_sack = SynSysctls { sack: false, ..on };
        assert_eq!(d(Some(0x1f), &no_sack), None);
        assert!(d(Some(0x0f), &no_sack).is_some());
        let no_ws = SynSysctls {
            window_scaling: false,
            ..on
        };
        assert_eq!(d(Some(0x07), &no_ws), None);
        assert!(d(Some(0x2f), &no_ws).is_some());
        assert!(cookie_ecn_ok(2, false) && cookie_ecn_ok(0, true) && !cookie_ecn_ok(0, false));
    }

    fn seg(flags: TcpFlags, seq: u32, ack: u32, options: TcpOptions) -> TcpSegment<'static> {
        TcpSegment {
            src_port: PP,
            dst_port: UP,
            seq: SeqNum(seq),
            ack: SeqNum(ack),
            flags,
            window: 502,
            checksum: 0,
            urgent: 0,
            header_len: 20 + options.wire_len(),
            options,
            payload: &[],
        }
    }

    fn eth() -> ListenerParams {
        ListenerParams {
            route_advmss: 1460,
            full_space: 65536,
            ..ListenerParams::default()
        }
    }

    fn syn_opts(ts: Option<(u32, u32)>) -> TcpOptions {
        TcpOptions {
            mss: Some(1400),
            wscale: Some(10),
            sack_perm: true,
            timestamp: ts,
            ..TcpOptions::new()
        }
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn syn_with_timestamps() {
        let s = secret();
        let sysctls = SynSysctls::DEFAULT;
        let syn = seg(TcpFlags::SYN, ISN, 0, syn_opts(Some((0x210a_d2cf, 0))));
        let ctx = CookieSynCtx {
            count: COUNT,
            ts_off: 0x1000_0000,
            ecn_ok: true,
            now_ms: 1_000_000,
        };
        let r = cookie_request_from_syn(&syn, U, P, &eth(), &sysctls, &s, &ctx);
        assert_eq!(r.snt_isn, SeqNum(0x106b_33c4)); // index 1: 1300
        assert_eq!((r.mss, r.peer_mss), (1460, 1300));
        assert!(r.wscale_ok && r.sack_ok && r.tstamp_ok && r.ecn_ok);
        assert_eq!((r.snd_wscale, r.rcv_wscale), (10, 7));
        assert_eq!(r.ts_recent, 0x210a_d2cf);
        // Window as a normal request: 45 * 1448.
        assert_eq!(r.rcv_wnd, 65160);
        // Options 10 | SACK | ECN = 0x3a > 0: 1_000_000 - 64 + 0x3a.
        let synack = synack_repr(&r, ctx.now_ms as u32);
        assert_eq!(synack.seq, SeqNum(0x106b_33c4));
        assert_eq!(synack.ack, SeqNum(ISN + 1));
        assert_eq!(synack.options.mss, Some(1460));
        assert_eq!(synack.options.wscale, Some(7));
        assert!(synack.options.sack_perm);
        assert!(synack.flags.contains(TcpFlags::ECE));
        assert_eq!(
            synack.options.timestamp,
            Some((999_994 + 0x1000_0000, 0x210a_d2cf))
        );

        // The peer's ACK echoes that timestamp.
        let ack = seg(
            TcpFlags::ACK,
            ISN + 1,
            0x106b_33c5,
            TcpOptions {
                timestamp: Some((0x210a_d2d0, 999_994 + 0x1000_0000)),
                ..TcpOptions::new()
            },
        );
        let actx = CookieAckCtx {
            syncookies: 1,
            no_recent_overflow: false,
            count: COUNT + 1,
            ts_off: 0x1000_0000,
            ecn_ok: true,
        };
        let CookieAck::Valid(q) = cookie_request_from_ack(&ack, U, P, &eth(), &sysctls, &s, &actx)
        else {
            panic!("cookie not accepted");
        };
        assert_eq!((q.rcv_isn, q.snt_isn), (SeqNum(ISN), SeqNum(0x106b_33c4)));
        assert_eq!(
            (q.loc_addr, q.rmt_addr, q.loc_port, q.rmt_port),
            (U, P, UP, PP)
        );
        assert_eq!((q.mss, q.peer_mss), (1460, 1300));
        assert!(q.wscale_ok && q.sack_ok && q.tstamp_ok && q.ecn_ok);
        assert_eq!((q.snd_wscale, q.rcv_wscale), (10, 7));
        assert_eq!((q.ts_recent, q.ts_off), (0x210a_d2d0, 0x1000_0000));
        // Window on the cookie MSS, no timestamp reduction: 65536 / 1300.
        assert_eq!(q.rcv_wnd, 50 * 1300);
        assert_eq!(q.window_clamp, 65535 << 7);
        assert_eq!((q.num_retrans, q.num_timeout, q.acked), (0, 0, false));
        let child = child_init(&q, ack.window);
        assert_eq!(child.rcv_nxt, SeqNum(ISN + 1));
        assert_eq!(child.snd_una, SeqNum(0x106b_33c5));
        assert_eq!(child.snd_wnd, 502 << 10);
        assert_eq!((child.mss_clamp, child.advmss), (1300, 1460));
        assert_eq!(child.ts_offset, 0x1000_0000);
        assert_eq!(child.ts_recent, 0x210a_d2d0);

        // Route without ECN and tcp_ecn = 0: ECN dropped on the ACK side.
        let q2 = cookie_request_from_ack(
            &ack,
            U,
            P,
            &eth(),
            &sysctls,
            &s,
            &CookieAckCtx {
                ecn_ok: false,
                ..actx
            },
        );
        assert!(matches!(q2, CookieAck::Valid(q) if !q.ecn_ok));
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn syn_without_timestamps() {
        let s = secret();
        let sysctls = SynSysctls::DEFAULT;
        let syn = seg(TcpFlags::SYN, ISN, 0, syn_opts(None));
        let ctx = CookieSynCtx {
            count: COUNT,
            ts_off: 0x1000_0000,
            ecn_ok: true,
            now_ms: 1_000_000,
        };
        let r = cookie_request_from_syn(&syn, U, P, &eth(), &sysctls, &s, &ctx);
        assert!(!r.wscale_ok && !r.sack_ok && !r.tstamp_ok && !r.ecn_ok);
        assert_eq!(
            (r.snd_wscale, r.rcv_wscale, r.ts_off, r.ts_recent),
            (0, 0, 0, 0)
        );
        assert_eq!((r.mss, r.peer_mss), (1460, 1300));
        assert_eq!((r.rcv_wnd, r.window_clamp), (64240, 65535));
        let synack = synack_repr(&r, 1_000_000);
        assert_eq!(synack.options.mss, Some(1460));
        assert_eq!(synack.options.wscale, None);
        assert_eq!(synack.options.timestamp, None);
        assert!(!synack.options.sack_perm);
        assert_eq!(synack.flags, TcpFlags::SYN | TcpFlags::ACK);

        let ack = seg(TcpFlags::ACK, ISN + 1, 0x106b_33c5, TcpOptions::new());
        let actx = CookieAckCtx {
            syncookies: 1,
            no_recent_overflow: false,
            count: COUNT,
            ts_off: 0x1000_0000,
            ecn_ok: true,
        };
        let CookieAck::Valid(q) = cookie_request_from_ack(&ack, U, P, &eth(), &sysctls, &s, &actx)
        else {
            panic!("cookie not accepted");
        };
        assert!(!q.wscale_ok && !q.sack_ok && !q.tstamp_ok && !q.ecn_ok);
        assert_eq!((q.ts_off, q.ts_recent, q.rcv_wscale), (0, 0, 0));
        assert_eq!((q.rcv_wnd, q.window_clamp), (50 * 1300, 65535));
    }

    #[test]
    fn ack_gates() {
        let s = secret();
        let sysctls = SynSysctls::DEFAULT;
        let (c, _) = cookie_v4_init_sequence(P, U, PP, UP, SeqNum(ISN), 1460, COUNT, &s);
        let ctx = CookieAckCtx {
            syncookies: 1,
            no_recent_overflow: false,
            count: COUNT,
            ts_off: 0,
            ecn_ok: false,
        };
        let run = |flags, ctx: &CookieAckCtx| {
            let a = seg(flags, ISN + 1, (c + 1).0, TcpOptions::new());
            cookie_request_from_ack(&a, U, P, &eth(), &sysctls, &s, ctx)
        };
        assert!(matches!(run(TcpFlags::ACK, &ctx), CookieAck::Valid(_)));
        assert!(matches!(
            run(TcpFlags::ACK | TcpFlags::PSH | TcpFlags::FIN, &ctx),
            CookieAck::Valid(_)
        ));
        for f in [
            TcpFlags::ACK | TcpFlags::SYN,
            TcpFlags::ACK | TcpFlags::RST,
            TcpFlags::PSH,
            TcpFlags::empty(),
        ] {
            assert_eq!(run(f, &ctx), CookieAck::NotTried);
        }
        let off = CookieAckCtx {
            syncookies: 0,
            ..ctx
        };
        assert_eq!(run(TcpFlags::ACK, &off), CookieAck::NotTried);
        let quiet = CookieAckCtx {
            no_recent_overflow: true,
            ..ctx
        };
        assert_eq!(run(TcpFlags::ACK, &quiet), CookieAck::NotTried);
        let late = CookieAckCtx {
            count: COUNT + 2,
            ..ctx
        };
        assert_eq!(run(TcpFlags::ACK, &late), CookieAck::Failed);
    }

    #[test]
    fn ack_timestamp_quirks() {
        let s = secret();
        let sysctls = SynSysctls::DEFAULT;
        let (c, _) = cookie_v4_init_sequence(P, U, PP, UP, SeqNum(ISN), 1460, COUNT, &s);
        let ctx = CookieAckCtx {
            syncookies: 1,
            no_recent_overflow: false,
            count: COUNT,
            ts_off: 0x55,
            ecn_ok: true,
        };
        let run = |ts, sysctls: &SynSysctls| {
            let opts = TcpOptions {
                timestamp: ts,
                ..TcpOptions::new()
            };
            let a = seg(TcpFlags::ACK, ISN + 1, (c + 1).0, opts);
            cookie_request_from_ack(&a, U, P, &eth(), sysctls, &s, &ctx)
        };
        // tsecr 0: ts_off not subtracted and kept 0; decodes as wscale 0.
        let CookieAck::Valid(q) = run(Some((9, 0)), &sysctls) else {
            panic!();
        };
        assert!(q.tstamp_ok && q.wscale_ok && !q.sack_ok && !q.ecn_ok);
        assert_eq!((q.snd_wscale, q.ts_off, q.ts_recent), (0, 0, 9));
        // ts_off subtracted from a non-zero echo: 0x55 + 0x2f -> no
        // wscale, ECN.
        let CookieAck::Valid(q) = run(Some((9, 0x84)), &sysctls) else {
            panic!();
        };
        assert!(q.tstamp_ok && !q.wscale_ok && !q.sack_ok && q.ecn_ok);
        assert_eq!((q.ts_off, q.rcv_wscale), (0x55, 0));
        // SACK echoed but tcp_sack now off.
        let no_sack = SynSysctls {
            sack: false,
            ..sysctls
        };
        assert_eq!(
            run(Some((9, 0x55 + 0x1f)), &no_sack),
            CookieAck::OptionsRejected
        );
        // tcp_timestamps off: the option is not parsed at all.
        let no_ts = SynSysctls {
            timestamps: 0,
            ..sysctls
        };
        let CookieAck::Valid(q) = run(Some((9, 0x84)), &no_ts) else {
            panic!();
        };
        assert!(!q.tstamp_ok && !q.ecn_ok && !q.wscale_ok);
        assert_eq!((q.ts_off, q.ts_recent), (0, 0));
    }
}
