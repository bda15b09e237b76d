// SPDX-License-Identifier: GPL-2.0

//! Property tests for SYN cookies.
//!
//! A few properties ("a wrong tuple is rejected") hold only up to a hash
//! collision: a mismatched cookie passes `check_tcp_syn_cookie()` with
//! probability about 2/256 * 4/2^24 per case, as in Linux.

use proptest::prelude::*;
use rust_tcp_proto::seq::SeqNum;
use rust_tcp_proto::siphash::siphash;
use rust_tcp_proto::syncookies::{
    cookie_init_timestamp, cookie_mss_index, cookie_request_from_ack, cookie_request_from_syn,
    cookie_timestamp_decode, cookie_v4_check, cookie_v4_init_sequence, synq_no_recent_overflow,
    synq_overflow, tcp_cookie_time, CookieAck, CookieAckCtx, CookieSynCtx, CookieTsOpts,
    SyncookieSecret, COOKIEMASK, MSSTAB, TSBITS,
};
use rust_tcp_proto::tcp_hdr::{emit, parse, TcpFlags, TcpOptions, TcpSegment, MAX_WSCALE};
use rust_tcp_proto::tcp_params::{ListenerParams, SynSysctls};
use rust_tcp_proto::tcp_minisocks::child_init;
use rust_tcp_proto::tcp_output::synack_repr;

mod common;
use common::{syn_options, syn_sysctls};

fn secret() -> impl Strategy<Value = SyncookieSecret> {
    any::<[u8; 32]>().prop_map(SyncookieSecret::from_le_bytes)
}

/// A segment's addresses and ports: (saddr, daddr, sport, dport).
type Tuple = ([u8; 4], [u8; 4], u16, u16);

fn init(t: Tuple, isn: u32, mss: u16, count: u32, s: &SyncookieSecret) -> (SeqNum, u16) {
    cookie_v4_init_sequence(t.0, t.1, t.2, t.3, SeqNum(isn), mss, count, s)
}

fn check(t: Tuple, ack: SeqNum, seq: SeqNum, count: u32, s: &SyncookieSecret) -> Option<u16> {
    cookie_v4_check(t.0, t.1, t.2, t.3, ack, seq, count, s)
}

/// `cookie_hash()` from the bytes Linux hashes on a little-endian machine:
/// saddr, daddr, dport (BE), sport (BE), count (LE).
fn ref_hash(t: Tuple, count: u32, c: usize, s: &SyncookieSecret) -> u32 {
    let mut b = Vec::with_capacity(16);
    b.extend_from_slice(&t.0);
    b.extend_from_slice(&t.1);
    b.extend_from_slice(&t.3.to_be_bytes());
    b.extend_from_slice(&t.2.to_be_bytes());
    b.extend_from_slice(&count.to_le_bytes());
    siphash(&b, &s.keys[c]) as u32
}

/// `__cookie_v4_check()` written out again from syncookies.c.
fn ref_check(t: Tuple, ack: u32, seq: u32, count: u32, s: &SyncookieSecret) -> Option<u16> {
    let cookie = ack.wrapping_sub(1);
    let sseq = seq.wrapping_sub(1);
    let c = cookie.wrapping_sub(ref_hash(t, 0, 0, s).wrapping_add(sseq));
    let diff = count.wrapping_sub(c >> 24) & 0xff;
    if diff >= 2 {
        return None;
    }
    let data = c.wrapping_sub(ref_hash(t, count.wrapping_sub(diff), 1, s)) & 0xff_ffff;
    MSSTAB.get(data as usize).copied()
}

/// The cookie's low 24 bits after removing the first hash and `sseq`:
/// `(h(1, count) + mssind) & COOKIEMASK`.
fn low_bits(t: Tuple, cookie: SeqNum, isn: u32, s: &SyncookieSecret) -> u32 {
    cookie
        .0
        .wrapping_sub(ref_hash(t, 0, 0, s))
        .wrapping_sub(isn)
        & COOKIEMASK
}

fn ts_opts() -> impl Strategy<Value = CookieTsOpts> {
    (
        prop::option::of(0..=MAX_WSCALE),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(ws, sack_ok, ecn_ok)| CookieTsOpts {
            wscale_ok: ws.is_some(),
            snd_wscale: ws.unwrap_or(0),
            sack_ok,
            ecn_ok,
        })
}

fn listener() -> impl Strategy<Value = ListenerParams> {
    (
        prop_oneof![Just(0u16), 88u16..2000],
        0u32..=65495,
        any::<i32>(),
        prop_oneof![Just(0u32), any::<u32>()],
        any::<bool>(),
        prop_oneof![Just(0u32), 0u32..100],
    )
        .prop_map(
            |(user_mss, route_advmss, full_space, window_clamp, rcvbuf_locked, route_initrwnd)| {
                ListenerParams {
                    user_mss,
                    route_advmss,
                    full_space,
                    window_clamp,
                    rcvbuf_locked,
                    route_window: 0,
                    route_initrwnd,
                }
            },
        )
}

fn segment(
    tuple: (u16, u16, u32, u32),
    flags: TcpFlags,
    window: u16,
    options: TcpOptions,
) -> TcpSegment<'static> {
    TcpSegment {
        src_port: tuple.0,
        dst_port: tuple.1,
        seq: SeqNum(tuple.2),
        ack: SeqNum(tuple.3),
        flags,
        window,
        checksum: 0,
        urgent: 0,
        header_len: 20 + options.wire_len(),
        options,
        payload: &[],
    }
}

proptest! {
    /// A cookie checks out, giving the MSS it encoded, in its own minute
    /// and the next.
    #[test]
    fn init_then_check(t: Tuple, isn: u32, mss: u16, count: u32, next: bool, s in secret()) {
        let (cookie, used) = init(t, isn, mss, count, &s);
        prop_assert_eq!(used, cookie_mss_index(mss).1);
        prop_assert!(MSSTAB.contains(&used));
        // The largest entry not above mss, else the smallest.
        prop_assert!(used <= mss || used == MSSTAB[0]);
        prop_assert!(MSSTAB.iter().all(|&m| m <= used || m > mss));
        let now = count.wrapping_add(u32::from(next));
        prop_assert_eq!(check(t, cookie + 1, SeqNum(isn) + 1, now, &s), Some(used));
    }

    /// Matches an independent byte-level model of syncookies.c, for
    /// cookies and for arbitrary ACKs.
    #[cfg(target_endian = "little")]
    #[test]
    fn matches_reference(t: Tuple, isn: u32, mss: u16, count: u32, s in secret(),
                         ack: u32, seq: u32, now: u32, dnow in 0u32..3) {
        let (cookie, used) = init(t, isn, mss, count, &s);
        let ind = cookie_mss_index(mss).0;
        let want = ref_hash(t, 0, 0, &s)
            .wrapping_add(isn)
            .wrapping_add(count << 24)
            .wrapping_add(ref_hash(t, count, 1, &s).wrapping_add(ind) & 0xff_ffff);
        prop_assert_eq!(cookie, SeqNum(want));
        let n = count.wrapping_add(dnow);
        prop_assert_eq!(
            check(t, cookie + 1, SeqNum(isn) + 1, n, &s),
            ref_check(t, want.wrapping_add(1), isn.wrapping_add(1), n, &s)
        );
        prop_assert_eq!(ref_check(t, want.wrapping_add(1), isn.wrapping_add(1), count, &s), Some(used));
        prop_assert_eq!(
            check(t, SeqNum(ack), SeqNum(seq), now, &s),
            ref_check(t, ack, seq, now, &s)
        );
    }

    /// Two or more minutes old (or from the future), modulo the 8 counter
    /// bits the cookie keeps: always rejected.
    #[test]
    fn too_old(t: Tuple, isn: u32, mss: u16, count: u32, age in 2u32..=255, wraps: u32,
               s in secret()) {
        let (cookie, _) = init(t, isn, mss, count, &s);
        let now = count.wrapping_add(age).wrapping_add(wraps << 8);
        prop_assert_eq!(check(t, cookie + 1, SeqNum(isn) + 1, now, &s), None);
    }

    /// Any change to the four-tuple invalidates the cookie (up to a hash
    /// collision).
    #[test]
    fn other_tuple(t: Tuple, u: Tuple, which in 0usize..5, isn: u32, mss: u16, count: u32,
                   next: bool, s in secret()) {
        let (cookie, _) = init(t, isn, mss, count, &s);
        let other = match which {
            0 => (u.0, t.1, t.2, t.3),
            1 => (t.0, u.1, t.2, t.3),
            2 => (t.0, t.1, u.2, t.3),
            3 => (t.0, t.1, t.2, u.3),
            // The reverse direction.
            _ => (t.1, t.0, t.3, t.2),
        };
        prop_assume!(other != t);
        let now = count.wrapping_add(u32::from(next));
        prop_assert_eq!(check(other, cookie + 1, SeqNum(isn) + 1, now, &s), None);
    }

    /// An `ack` or `seq` off by one moves the MSS index by one: rejected
    /// at the end of the table, otherwise the neighbouring MSS (Linux
    /// behaves the same; the window checks of the child catch the rest).
    #[test]
    fn off_by_one(t: Tuple, isn: u32, mss: u16, count: u32, next: bool, s in secret()) {
        let (cookie, _) = init(t, isn, mss, count, &s);
        let ind = cookie_mss_index(mss).0 as usize;
        // Exclude the 2 in 2^24 cookies whose low bits carry into the
        // counter byte.
        let low = low_bits(t, cookie, isn, &s);
        prop_assume!(low != 0 && low != COOKIEMASK);
        let now = count.wrapping_add(u32::from(next));
        let up = MSSTAB.get(ind + 1).copied();
        let down = ind.checked_sub(1).and_then(|i| MSSTAB.get(i).copied());
        let ack = cookie + 1;
        let seq = SeqNum(isn) + 1;
        prop_assert_eq!(check(t, ack + 1, seq, now, &s), up);
        prop_assert_eq!(check(t, ack - 1, seq, now, &s), down);
        prop_assert_eq!(check(t, ack, seq + 1, now, &s), down);
        prop_assert_eq!(check(t, ack, seq - 1, now, &s), up);
        if ind == 3 {
            prop_assert_eq!(check(t, ack + 1, seq, now, &s), None);
        }
        if ind == 0 {
            prop_assert_eq!(check(t, ack, seq + 1, now, &s), None);
        }
    }

    /// The cookie timestamp is the latest clock value not after `now_ms`
    /// whose low bits are the options, and decodes back to them.
    #[test]
    fn timestamp_round_trip(o in ts_opts(), now in 64u64.., off: u32) {
        let ts = cookie_init_timestamp(now, &o);
        prop_assert!(ts <= now);
        prop_assert!(now - ts < 1 << TSBITS);
        prop_assert_eq!(ts & ((1 << TSBITS) - 1), u64::from(o.bits()));
        let all_on = SynSysctls::DEFAULT;
        // What the peer echoes, minus the offset cookie_tcp_check() removes.
        let tsecr = (ts as u32).wrapping_add(off).wrapping_sub(off);
        prop_assert_eq!(cookie_timestamp_decode(Some(tsecr), &all_on), Some(o));
        // A 32-bit clock gives the same 32-bit timestamp.
        prop_assert_eq!(cookie_init_timestamp(u64::from(now as u32), &o) as u32, ts as u32);
        // The low bits survive even the wrapping first 63 ms.
        let early = cookie_init_timestamp(now % 64, &o);
        prop_assert_eq!(early & 63, u64::from(o.bits()));
    }

    /// Every combination of options, exhaustively at one clock value.
    #[test]
    fn timestamp_all_options(now in 64u64..) {
        for ws in (0..=MAX_WSCALE).map(Some).chain([None]) {
            for bits in 0..4u8 {
                let o = CookieTsOpts {
                    wscale_ok: ws.is_some(),
                    snd_wscale: ws.unwrap_or(0),
                    sack_ok: bits & 1 != 0,
                    ecn_ok: bits & 2 != 0,
                };
                let ts = cookie_init_timestamp(now, &o);
                prop_assert!(ts <= now && now - ts < 64);
                prop_assert_eq!(
                    cookie_timestamp_decode(Some(ts as u32), &SynSysctls::DEFAULT),
                    Some(o)
                );
            }
        }
    }

    /// A SYN answered with a cookie and the peer's ACK to that SYN-ACK
    /// rebuild the same request.
    #[test]
    fn handshake_round_trip(sp: u16, dp: u16, isn: u32, win: u16, opts in syn_options(),
                            l in listener(), sys in syn_sysctls(), s in secret(), count: u32,
                            next: bool, ts_off: u32, ecn_syn: bool, ecn_route: bool,
                            now_ms: u64, peer_tsval: u32) {
        const L: [u8; 4] = [192, 168, 0, 1];
        const R: [u8; 4] = [192, 168, 0, 77];
        let syn = segment((sp, dp, isn, 0), TcpFlags::SYN, win, opts);
        let ctx = CookieSynCtx { count, ts_off, ecn_ok: ecn_syn, now_ms };
        let r = cookie_request_from_syn(&syn, L, R, &l, &sys, &s, &ctx);
        prop_assert_eq!(r.rcv_isn, SeqNum(isn));
        prop_assert!(MSSTAB.contains(&r.peer_mss));
        // Without timestamps nothing else is offered.
        if !r.tstamp_ok {
            prop_assert!(!r.wscale_ok && !r.sack_ok && !r.ecn_ok);
        }

        let repr = synack_repr(&r, now_ms as u32);
        let mut buf = [0u8; 60];
        let n = emit(&repr, L, R, &[], &mut buf).unwrap();
        let synack = parse(&buf[..n]).unwrap();
        prop_assert_eq!(synack.seq, r.snt_isn);
        prop_assert_eq!(synack.options.mss, Some(r.mss));
        let tsecr = match synack.options.timestamp {
            Some((tsval, _)) => {
                let o = CookieTsOpts {
                    wscale_ok: r.wscale_ok,
                    snd_wscale: r.snd_wscale,
                    sack_ok: r.sack_ok,
                    ecn_ok: r.ecn_ok,
                };
                let ts = cookie_init_timestamp(now_ms, &o);
                prop_assert_eq!(tsval, (ts as u32).wrapping_add(ts_off));
                // Linux does not remove ts_off from a zero echo.
                prop_assume!(tsval != 0);
                Some(tsval)
            }
            None => None,
        };

        let ack_opts = TcpOptions {
            timestamp: tsecr.map(|e| (peer_tsval, e)),
            ..TcpOptions::new()
        };
        let ack = segment((sp, dp, isn.wrapping_add(1), synack.seq.0.wrapping_add(1)),
                          TcpFlags::ACK, win, ack_opts);
        let actx = CookieAckCtx {
            syncookies: 1,
            no_recent_overflow: false,
            count: count.wrapping_add(u32::from(next)),
            ts_off,
            ecn_ok: ecn_route,
        };
        let q = match cookie_request_from_ack(&ack, L, R, &l, &sys, &s, &actx) {
            CookieAck::Valid(q) => q,
            other => return Err(TestCaseError::fail(format!("{other:?}"))),
        };
        prop_assert_eq!((q.loc_addr, q.rmt_addr, q.loc_port, q.rmt_port),
                        (r.loc_addr, r.rmt_addr, r.loc_port, r.rmt_port));
        prop_assert_eq!((q.rcv_isn, q.snt_isn), (r.rcv_isn, r.snt_isn));
        prop_assert_eq!((q.mss, q.peer_mss), (r.mss, r.peer_mss));
        prop_assert_eq!((q.wscale_ok, q.snd_wscale), (r.wscale_ok, r.snd_wscale));
        prop_assert_eq!((q.sack_ok, q.tstamp_ok), (r.sack_ok, r.tstamp_ok));
        prop_assert_eq!(q.ecn_ok, r.ecn_ok && ecn_route);
        prop_assert_eq!(q.ts_off, if r.tstamp_ok { ts_off } else { 0 });
        prop_assert_eq!(q.ts_recent, if r.tstamp_ok { peer_tsval } else { 0 });
        prop_assert!(q.rcv_wscale <= MAX_WSCALE);
        if !q.wscale_ok {
            prop_assert_eq!(q.rcv_wscale, 0);
        }
        let child = child_init(&q, win);
        prop_assert_eq!(child.rcv_nxt, SeqNum(isn) + 1);
        prop_assert_eq!(child.snd_una, r.snt_isn + 1);
        prop_assert_eq!(child.mss_clamp, r.peer_mss);

        // Too late, and not after a recent overflow.
        let late = CookieAckCtx { count: count.wrapping_add(2), ..actx };
        prop_assert_eq!(cookie_request_from_ack(&ack, L, R, &l, &sys, &s, &late),
                        CookieAck::Failed);
        let quiet = CookieAckCtx { no_recent_overflow: true, ..actx };
        prop_assert_eq!(cookie_request_from_ack(&ack, L, R, &l, &sys, &s, &quiet),
                        CookieAck::NotTried);
    }

    /// The overflow stamp is rewritten at most once per second and keeps
    /// ACKs eligible for 120 s.
    #[test]
    fn overflow_stamp(last: u32, now: u32, hz in 1u32..=1000, later: u32) {
        let mut l = last;
        synq_overflow(&mut l, now, hz);
        prop_assert!(l == last || l == now);
        prop_assert!(now.wrapping_sub(l) <= hz);
        // A stamp not refreshed (less than HZ old) covers 119 s from now.
        let later = later % (119 * hz + 1);
        prop_assert!(!synq_no_recent_overflow(l, now.wrapping_add(later), hz));
        prop_assert!(synq_no_recent_overflow(now, now.wrapping_add(120 * hz + 1), hz));
        prop_assert!(synq_no_recent_overflow(now, now.wrapping_sub(hz + 1), hz));
    }

    #[test]
    fn cookie_clock(j: u64, hz in 1u32..=1000) {
        let c = tcp_cookie_time(j, hz);
        prop_assert_eq!(c, (j / (60 * u64::from(hz))) as u32);
        prop_assert_eq!(tcp_cookie_time(j, 0), 0);
    }
}
