// SPDX-License-Identifier: GPL-2.0

//! Property tests for the active open: port search, SYN, SYN_SENT input,
//! SYN timer and window selection.

use proptest::prelude::*;
use rust_tcp_proto::inet_hash_connect::{hash_connect_port, tcp_twsk_unique, PortCheck, TwInfo};
use rust_tcp_proto::seq::SeqNum;
use rust_tcp_proto::tcp_connect::{
    syn_repr, synsent_rcv, ClientSock, ClientState, ClientSysctls, ConnectParams, SynSentAction,
    SynSentCtx,
};
use rust_tcp_proto::tcp_hdr::{emit, parse, TcpFlags, TcpSegment, MAX_WSCALE};
use rust_tcp_proto::tcp_timer::{SynRtx, SynTimerCtx, SynTimerStep};
use rust_tcp_proto::tcp_window::{select_window, tcp_receive_window, RcvWindow, WindowSysctls};
use std::collections::HashSet;

mod common;
use common::{syn_options, syn_sysctls};

fn check_kind() -> impl Strategy<Value = PortCheck> {
    prop_oneof![
        Just(PortCheck::Reserved),
        Just(PortCheck::BoundByBind),
        Just(PortCheck::ConnectShared { unique: false }),
        Just(PortCheck::ConnectShared { unique: true }),
        Just(PortCheck::Free),
    ]
}

proptest! {
    /// The search only returns a port it was told it may take, inside the
    /// range, asks each port at most once, asks ports of `low`'s parity
    /// first, and stops at the first takeable one.
    #[test]
    fn port_search_invariants(
        low in 1u16..=65535,
        span in 0u16..300,
        local: bool,
        off: u64,
        perturb: u32,
        byte: u8,
        kinds in prop::collection::vec(check_kind(), 1..64),
    ) {
        let high = low.saturating_add(span);
        let kind = |p: u16| kinds[p as usize % kinds.len()];
        let mut asked = Vec::new();
        let r = hash_connect_port(low, high, local, off, perturb, || byte, |p| {
            asked.push(p);
            kind(p)
        });
        let set: HashSet<u16> = asked.iter().copied().collect();
        prop_assert_eq!(set.len(), asked.len());
        prop_assert!(asked.iter().all(|&p| (low..=high).contains(&p)));
        let count = u32::from(high - low) + 1;
        prop_assert!(asked.len() as u32 <= count);
        let first_odd = asked.iter().position(|p| (p - low) % 2 == 1);
        if !local {
            // Even offsets (relative to low) strictly before odd ones.
            if let Some(k) = first_odd {
                prop_assert!(asked[k..].iter().all(|p| (p - low) % 2 == 1));
            }
        }
        match r {
            Some(h) => {
                prop_assert_eq!(asked.last().copied(), Some(h.port));
                prop_assert!(kind(h.port).takes());
                prop_assert!(asked[..asked.len() - 1].iter().all(|&p| !kind(p).takes()));
                let step = if local { 1 } else { 2 };
                // `i` counts from 0 again in the second (odd) pass.
                let pass_start = match first_odd {
                    Some(k) if !local && (h.port - low) % 2 == 1 => k,
                    _ => 0,
                };
                let i = (asked.len() - 1 - pass_start) as u32 * step;
                let rnd = (u32::from(byte) >> 5) * step;
                prop_assert_eq!(h.perturb_add, i.max(rnd) + step);
            }
            None => {
                prop_assert!(asked.iter().all(|&p| !kind(p).takes()));
                // A full search misses at most one port (odd counts).
                let all = if local || count == 1 { count } else { count & !1 };
                prop_assert_eq!(asked.len() as u32, all);
            }
        }
    }

    /// With an even number of ports and nothing free, every port is asked.
    #[test]
    fn even_ranges_are_covered(low in 1u16..60000, half in 1u16..200, off: u64, perturb: u32) {
        let high = low + 2 * half - 1;
        let mut asked = HashSet::new();
        let r = hash_connect_port(low, high, false, off, perturb, || 0, |p| {
            asked.insert(p);
            PortCheck::BoundByBind
        });
        prop_assert_eq!(r, None);
        prop_assert_eq!(asked.len(), usize::from(2 * half));
    }

    /// A recycled TIME_WAIT never hands out ISN 0 and needs timestamps.
    #[test]
    fn twsk_unique_props(
        snd_nxt: u32, stamp: u32, now: u32, reuse in 0u8..3, from: bool, fw2: bool, dev in 0i32..3,
    ) {
        let tw = TwInfo {
            fin_wait2: fw2,
            bound_dev_if: dev,
            daddr: [10, 0, 0, 2],
            rcv_saddr: [127, 0, 0, 1],
            ts_recent_stamp: stamp,
            ts_recent: 1,
            snd_nxt: SeqNum(snd_nxt),
        };
        if let Some(r) = tcp_twsk_unique(&tw, reuse, from, now, false) {
            prop_assert!(stamp != 0);
            prop_assert!(r.write_seq != Some(SeqNum(0)));
            if from {
                prop_assert!(reuse != 0 && !fw2);
            }
        } else {
            prop_assert!(stamp == 0 || from);
        }
    }
}

fn params(isn: u32, mss: u16, mtu: u32, space: i32) -> ConnectParams {
    ConnectParams {
        loc_addr: [10, 0, 0, 1],
        rmt_addr: [10, 0, 0, 2],
        loc_port: 40000,
        rmt_port: 80,
        write_seq: SeqNum(isn),
        ts_off: 0x1234,
        ts_recent: 0,
        ts_recent_stamp: 0,
        user_mss: mss,
        route_advmss: mtu.saturating_sub(40),
        route_mtu: mtu,
        ext_hdr_len: 0,
        full_space: space,
        window_clamp: 0,
        rcvbuf_locked: false,
        route_window: 0,
        route_initrwnd: 0,
        route_ecn: false,
    }
}

proptest! {
    /// Any segment in SYN_SENT: no panic; ESTABLISHED only for SYN+ACK
    /// without RST acking exactly iss + 1; SYN_RECV only for a SYN without
    /// ACK/RST; the socket changes only on those two outcomes.
    #[test]
    fn synsent_rcv_props(
        isn: u32,
        mss in 0u16..2000,
        mtu in 68u32..70000,
        space in -10i32..1_000_000,
        sys in syn_sysctls(),
        ecn in 0u8..3,
        seq: u32,
        ack_off in prop_oneof![Just(1u32), Just(0u32), Just(2u32), any::<u32>()],
        flags: u8,
        win: u16,
        opts in syn_options(),
        now_ms: u32,
        now_secs: u32,
        delay: bool,
        retrans in 0u8..3,
    ) {
        let csys = ClientSysctls { syn: sys, ecn, ..ClientSysctls::DEFAULT };
        let mut c = ClientSock::connect_init(&params(isn, mss, mtu, space), &csys, now_ms.wrapping_sub(10));
        for k in 0..retrans {
            let t = SynTimerCtx::syn_sent(now_ms.wrapping_sub(5).wrapping_add(u32::from(k)));
            if c.on_timer(&t) == SynTimerStep::Retransmit {
                let _ = c.retransmit_repr(t.now_ms, &csys);
                let _ = c.rtx.after_retransmit(false, &t);
            }
        }
        let before = c;
        let seg = TcpSegment {
            src_port: 80,
            dst_port: 40000,
            seq: SeqNum(seq),
            ack: SeqNum(isn.wrapping_add(ack_off)),
            flags: TcpFlags(flags),
            window: win,
            checksum: 0,
            urgent: 0,
            header_len: 20 + opts.wire_len(),
            options: opts,
            payload: &[],
        };
        let ctx = SynSentCtx {
            sysctls: csys,
            full_space: space,
            free_space: space,
            delay_ack: delay,
            ..SynSentCtx::new(now_ms, now_secs)
        };
        let f = TcpFlags(flags);
        let a = synsent_rcv(&mut c, &seg, &ctx);
        match a {
            SynSentAction::Established(e) => {
                prop_assert!(f.contains(TcpFlags::ACK | TcpFlags::SYN) && !f.contains(TcpFlags::RST));
                prop_assert_eq!(ack_off, 1);
                prop_assert_eq!(e.sock.snd_una, SeqNum(isn.wrapping_add(1)));
                prop_assert_eq!(e.sock.rcv_nxt, SeqNum(seq.wrapping_add(1)));
                prop_assert_eq!(e.sock.snd_wnd, u32::from(win));
                if !e.sock.wscale_ok {
                    prop_assert_eq!((e.sock.snd_wscale, e.sock.rcv_wscale), (0, 0));
                    prop_assert!(e.sock.window_clamp <= 65535);
                }
                prop_assert_eq!(e.ack.is_none(), delay);
                if let Some(r) = e.ack {
                    prop_assert_eq!(r.flags, TcpFlags::ACK);
                    prop_assert_eq!(r.seq, SeqNum(isn.wrapping_add(1)));
                    let mut buf = [0u8; 60];
                    prop_assert!(emit(&r, [10, 0, 0, 1], [10, 0, 0, 2], &[], &mut buf).is_ok());
                }
            }
            SynSentAction::SynRecv(r) => {
                prop_assert!(f.contains(TcpFlags::SYN) && !f.intersects(TcpFlags::ACK | TcpFlags::RST));
                prop_assert_eq!(c.state, ClientState::SynRecv);
                prop_assert_eq!((r.seq, r.ack), (SeqNum(isn), SeqNum(seq.wrapping_add(1))));
                prop_assert!(r.flags.contains(TcpFlags::SYN | TcpFlags::ACK));
                prop_assert!(!r.flags.contains(TcpFlags::CWR));
            }
            SynSentAction::Reset { rst, .. } => {
                prop_assert!(f.contains(TcpFlags::ACK));
                prop_assert_eq!(rst.is_some(), !f.contains(TcpFlags::RST));
                if let Some(r) = rst {
                    prop_assert_eq!((r.seq, r.flags), (seg.ack, TcpFlags::RST));
                }
                prop_assert_eq!(c, before);
            }
            SynSentAction::Refused => {
                prop_assert!(f.contains(TcpFlags::ACK | TcpFlags::RST));
                prop_assert_eq!(ack_off, 1);
                prop_assert_eq!(c, before);
            }
            SynSentAction::Drop => prop_assert_eq!(c, before),
        }
    }

    /// The SYN is well formed, carries the options the sysctls ask for, an
    /// unscaled window, and parses back to itself.
    #[test]
    fn syn_emits_and_parses(
        isn: u32, mss in 0u16..2000, mtu in 68u32..70000, space in -10i32..10_000_000,
        sys in syn_sysctls(), now: u32,
    ) {
        let csys = ClientSysctls { syn: sys, ..ClientSysctls::DEFAULT };
        let c = ClientSock::connect_init(&params(isn, mss, mtu, space), &csys, now);
        let s = syn_repr(&c, now, &sys);
        prop_assert_eq!(s.flags, TcpFlags::SYN);
        prop_assert_eq!(u32::from(s.window), c.rcv_wnd.min(65535));
        prop_assert!(s.options.mss.is_some());
        prop_assert_eq!(s.options.timestamp.is_some(), sys.timestamps != 0);
        prop_assert_eq!(s.options.wscale.is_some(), sys.window_scaling);
        prop_assert_eq!(s.options.sack_perm, sys.sack);
        prop_assert!(c.rcv_wscale <= MAX_WSCALE);
        if !sys.window_scaling {
            prop_assert_eq!(c.rcv_wscale, 0);
        }
        let mut buf = [0u8; 60];
        let n = emit(&s, c.loc_addr, c.rmt_addr, &[], &mut buf).unwrap();
        let back = parse(&buf[..n]).unwrap();
        prop_assert_eq!(back.repr(), s);
    }

    /// The SYN timer: RTOs never shrink and never exceed 120 s, and the
    /// connection always gives up within the retry limit.
    #[test]
    fn syn_timer_props(retries in 1u8..=20, linear in 0u8..=10, user in prop_oneof![Just(0u32), 1u32..600_000], start: u32) {
        let mut r = SynRtx::new(start);
        let mut now = start.wrapping_add(r.rto_ms);
        let mut last = 0u32;
        let mut n = 0u32;
        loop {
            let ctx = SynTimerCtx {
                now_ms: now,
                syn_sent: true,
                syn_retries: retries,
                linear_timeouts: linear,
                user_timeout_ms: user,
            };
            match r.on_timer(SeqNum(1), &ctx) {
                SynTimerStep::Expire => break,
                SynTimerStep::Retransmit => {
                    n += 1;
                    prop_assert!(n <= u32::from(retries) + u32::from(linear));
                    let t = r.after_retransmit(false, &ctx);
                    prop_assert!((1..=120_000).contains(&t));
                    if user == 0 {
                        prop_assert!(r.rto_ms >= last);
                    }
                    last = r.rto_ms;
                    now = now.wrapping_add(t);
                }
            }
        }
        prop_assert_eq!(u32::from(r.retransmits), n);
    }

    /// Window selection never panics, fits the scale, and never takes back
    /// an offered window unless shrinking is allowed.
    #[test]
    fn select_window_props(
        rcv_wnd in 0u32..(1 << 24), ssthresh: u32, clamp: u32, ws in 0u8..=14,
        rcv_mss in 0u32..70000, advmss: u16, nxt_adv in 0u32..(1 << 24),
        free: i32, full: i32, shrink: bool, workaround: bool, pressure: bool,
    ) {
        let mut w = RcvWindow {
            rcv_nxt: SeqNum(1000u32.wrapping_add(nxt_adv)),
            rcv_wup: SeqNum(1000),
            rcv_wnd,
            rcv_ssthresh: ssthresh,
            window_clamp: clamp,
            rcv_wscale: ws,
            rcv_mss,
            advmss,
        };
        let cur = tcp_receive_window(w.rcv_wup, w.rcv_wnd, w.rcv_nxt);
        let s = WindowSysctls { app_win: 31, shrink_window: shrink, workaround_signed_windows: workaround };
        let win = select_window(&mut w, free, full, &s, pressure);
        prop_assert_eq!(w.rcv_wup, w.rcv_nxt);
        if !shrink || ws == 0 {
            prop_assert!(w.rcv_wnd >= cur);
        }
        if ws == 0 && workaround {
            prop_assert!(win <= 32767);
        }
        // What goes on the wire never exceeds the window recorded.
        prop_assert!(u64::from(win) << ws <= u64::from(w.rcv_wnd));
    }
}
