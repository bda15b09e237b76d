// SPDX-License-Identifier: GPL-2.0

//! Property tests for the synchronised-state receive checks
//! (`tcp_validate`), teardown (`tcp_fin`), TIME_WAIT (`tcp_timewait`) and
//! the delayed-ACK engine (`tcp_delack`).

use proptest::prelude::*;
use rust_tcp_proto::af_inet::SocketState;
use rust_tcp_proto::errno::Errno;
use rust_tcp_proto::seq::SeqNum;
use rust_tcp_proto::tcp_delack::{
    tcp_ato_min, tcp_delack_max_default, AckSnd, AckSndCtx, DelAck, DelAckSysctls, RcvSegInfo,
};
use rust_tcp_proto::tcp_fin::{
    fin_acked, inet_shutdown, tcp_close_state, tcp_poll, FinAckCtx, PollInput, PollMask,
    SHUTDOWN_MASK,
};
use rust_tcp_proto::tcp_hdr::{TcpFlags, TcpOptions, TcpSegment};
use rust_tcp_proto::tcp_input::ChallengeAckQuota;
use rust_tcp_proto::tcp_states::{TCP_CLOSE, TCP_LISTEN, TCP_SYN_SENT, TCP_TIME_WAIT};
use rust_tcp_proto::tcp_timewait::{TimeWaitSock, TwAction, TwCtx};
use rust_tcp_proto::tcp_validate::{
    tcp_sequence, validate_incoming, SeqCheck, Validate, ValidateCtx, ValidateSock,
};

fn segment(
    seq: u32,
    ack: u32,
    flags: u8,
    window: u16,
    ts: Option<u32>,
    payload: &[u8],
) -> TcpSegment<'_> {
    TcpSegment {
        src_port: 1,
        dst_port: 2,
        seq: SeqNum(seq),
        ack: SeqNum(ack),
        flags: TcpFlags(flags),
        window,
        checksum: 0,
        urgent: 0,
        header_len: if ts.is_some() { 32 } else { 20 },
        options: TcpOptions {
            timestamp: ts.map(|v| (v, 0)),
            ..TcpOptions::new()
        },
        payload,
    }
}

fn vsock() -> impl Strategy<Value = ValidateSock> {
    (
        (
            1u8..=11,
            any::<u32>(),
            0u32..3000,
            0u32..100_000,
            any::<u32>(),
        ),
        (any::<u32>(), 0u32..70_000, 0u8..=14, any::<bool>()),
        (
            any::<u32>(),
            any::<u32>(),
            1u32..130_000,
            any::<Option<u32>>(),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (state, nxt, back, wnd, una),
                (wl1, snd_wnd, ws, tsok),
                (tsr, stamp, rto, maxs, hs),
            )| ValidateSock {
                state,
                rcv_nxt: SeqNum(nxt),
                rcv_wup: SeqNum(nxt.wrapping_sub(back)),
                rcv_wnd: wnd,
                snd_una: SeqNum(una),
                snd_nxt: SeqNum(una.wrapping_add(100)),
                snd_wl1: SeqNum(wl1),
                snd_wnd,
                snd_wscale: ws,
                tstamp_ok: tsok,
                ts_recent: tsr,
                ts_recent_stamp: stamp,
                rto_ms: rto,
                max_sack: maxs.map(SeqNum),
                has_socket: hs,
            },
        )
}

proptest! {
    #[test]
    fn validate_never_panics_and_is_consistent(
        sk in vsock(),
        off in any::<i32>(),
        ack in any::<u32>(),
        flags in any::<u8>(),
        window in any::<u16>(),
        ts in any::<Option<u32>>(),
        len in 0usize..40,
        now in any::<u32>(),
        now_secs in any::<u32>(),
        limit in prop_oneof![Just(i32::MAX as u32), any::<u32>()],
        last in any::<u32>(),
    ) {
        let payload = vec![0u8; len];
        let seq = sk.rcv_nxt.0.wrapping_add(off as u32);
        let seg = segment(seq, ack, flags, window, ts, &payload);
        let mut last_oow = last;
        let mut quota = ChallengeAckQuota::default();
        let mut ctx = ValidateCtx::new(now, now_secs);
        ctx.challenge_ack_limit = limit;
        let mut st = now | 1;
        let mut rand = move || {
            st ^= st << 13;
            st ^= st >> 17;
            st ^= st << 5;
            st
        };
        let got = validate_incoming(&sk, &seg, &mut last_oow, &mut quota, &ctx, &mut rand);
        let rst = flags & 0x04 != 0;
        let syn = flags & 0x02 != 0;
        let end = SeqNum(seq) + seg.seq_len() as u32;
        let seq_ok = tcp_sequence(sk.rcv_nxt, sk.rcv_wup, sk.rcv_wnd, SeqNum(seq), end) == SeqCheck::Ok;
        match got {
            Validate::Accept => {
                prop_assert!(seq_ok);
                prop_assert!(!rst);
            }
            Validate::Reset { .. } => {
                prop_assert!(rst);
                prop_assert!(sk.state != TCP_CLOSE);
            }
            Validate::DupAck { quickack, dsack, .. } => {
                prop_assert!(!rst && !syn);
                if let Some(d) = dsack {
                    prop_assert!(quickack);
                    prop_assert_eq!(d.0, SeqNum(seq));
                    prop_assert!(!d.1.after(sk.rcv_nxt));
                }
            }
            Validate::ChallengeAck { .. } => prop_assert!(rst || syn),
            Validate::Drop { .. } => {}
        }
        // An RST exactly at rcv_nxt always resets (PAWS is ignored for RSTs).
        if sk.state != TCP_CLOSE {
            let r = segment(sk.rcv_nxt.0, 0, 0x04, 0, ts, &[]);
            let mut l = last;
            let got = validate_incoming(&sk, &r, &mut l, &mut quota, &ctx, &mut rand);
            prop_assert!(matches!(got, Validate::Reset { .. }), "{:?}", got);
        }
    }

    #[test]
    fn shutdown_how_validation(how in any::<i32>(), state in 0u8..16) {
        let got = inet_shutdown(how, state, SocketState::Connected);
        if (0..=2).contains(&how) {
            prop_assert!(got.is_ok());
        } else {
            prop_assert_eq!(got, Err(Errno::Inval));
        }
        let cs = tcp_close_state(state);
        // Only ESTABLISHED, SYN_RECV and CLOSE_WAIT send a FIN.
        prop_assert_eq!(cs.send_fin, matches!(state, 1 | 3 | 8));
    }

    #[test]
    fn poll_never_panics(
        state in 0u8..16,
        shutdown in 0u8..4,
        nums in any::<(u32, u32, i32, i32, i32, u32, u32)>(),
        more in any::<(i32, i32, u32, u32, bool, bool, bool, bool)>(),
    ) {
        let (nxt, copied, lowat, rmem, rcvbuf, wnd, mss) = nums;
        let (sndbuf, wq, notsent, lowat2, mp, err, eq, acc) = more;
        let p = PollInput {
            state,
            sk_shutdown: shutdown,
            accept_queue_nonempty: acc,
            rcv_nxt: SeqNum(nxt),
            copied_seq: SeqNum(copied),
            rcvlowat: lowat.max(0),
            urg_at_copied: err,
            urg_valid: eq,
            memory_pressure: mp,
            rmem_alloc: rmem,
            rcvbuf,
            rcv_wup: SeqNum(nxt),
            rcv_wnd: wnd,
            rcv_mss: mss,
            sndbuf,
            wmem_queued: wq,
            notsent_bytes: notsent,
            notsent_lowat: lowat2,
            sk_err: err,
            error_queue_nonempty: eq,
        };
        let m = tcp_poll(&p).mask;
        if state == TCP_LISTEN {
            prop_assert!((PollMask::IN | PollMask::RDNORM).contains(m), "{:?}", m);
        } else {
            prop_assert_eq!(m.pollhup(), shutdown == SHUTDOWN_MASK || state == TCP_CLOSE);
            if state == TCP_SYN_SENT && shutdown == 0 {
                prop_assert!(PollMask::ERR.contains(m), "{:?}", m);
            }
        }
    }

    #[test]
    fn fin_acked_never_panics(state in 0u8..16, all in any::<bool>(), dead in any::<bool>(),
        linger2 in any::<i32>(), fin_time in any::<i32>(), user in any::<bool>(),
        seq in any::<u32>(), len in any::<u32>(), fin in any::<bool>(), nxt in any::<u32>()) {
        let _ = fin_acked(&FinAckCtx {
            state,
            all_acked: all,
            dead,
            linger2,
            fin_time,
            owned_by_user: user,
            seq: SeqNum(seq),
            end_seq: SeqNum(seq.wrapping_add(len)),
            fin,
            rcv_nxt: SeqNum(nxt),
        });
    }

    #[test]
    fn timewait_never_panics_and_isn_nonzero(
        fin_wait2 in any::<bool>(),
        nums in any::<(u32, u32, u32, u8, u32, u32)>(),
        segs in prop::collection::vec((any::<i32>(), any::<u8>(), any::<Option<u32>>(), 0usize..8, 0u32..2000, 0u32..200), 1..20),
        rfc1337 in any::<bool>(),
    ) {
        let (rnxt, snxt, wnd, ws, tsr, stamp) = nums;
        let mut t = TimeWaitSock::new(
            if fin_wait2 { 5 } else { TCP_TIME_WAIT },
            [127, 0, 0, 1], [127, 0, 0, 1], 1, 2, 0,
            SeqNum(rnxt), SeqNum(snxt), wnd, ws, tsr, stamp, 0,
        );
        let mut now = 0u32;
        let mut secs = stamp;
        for (off, flags, ts, len, dt, dsecs) in segs {
            now = now.wrapping_add(dt);
            secs = secs.wrapping_add(dsecs);
            let payload = vec![0u8; len];
            let s = segment(t.rcv_nxt.0.wrapping_add(off as u32), 0, flags, 0, ts, &payload);
            let mut ctx = TwCtx::new(now, secs);
            ctx.rfc1337 = rfc1337;
            let got = t.process(&s, &ctx);
            match got {
                TwAction::Syn { isn } => {
                    prop_assert!(isn.0 != 0);
                    prop_assert_eq!(flags & 0x16, 0x02);
                    prop_assert_eq!(t.substate, TCP_TIME_WAIT);
                }
                TwAction::Kill => prop_assert!(flags & 0x04 != 0),
                _ => {}
            }
            let a = t.ack_repr(&s, now);
            prop_assert_eq!(a.seq, t.snd_nxt);
            prop_assert_eq!(a.ack, t.rcv_nxt);
            if got == TwAction::Kill || got == TwAction::Rst {
                break;
            }
        }
    }

    #[test]
    fn delack_ato_stays_in_8_bits(
        ops in prop::collection::vec((0u8..6, 0u32..3000, 1u32..130_000, 0u32..2000, any::<bool>()), 1..80),
        pingpong_thresh in 1u8..4,
        hz in prop_oneof![Just(100u32), Just(250), Just(300), Just(1000)],
    ) {
        let mut d = DelAck { rcv_mss: 536, ..DelAck::new(hz) };
        let mut now = 0u32;
        let sys = DelAckSysctls { pingpong_thresh, ..DelAckSysctls::DEFAULT };
        for (op, dt, rto, len, flag) in ops {
            now = now.wrapping_add(dt);
            match op {
                0 => {
                    let seg = RcvSegInfo { len, header_len: 32, flags: TcpFlags(if flag { 0x18 } else { 0x10 }) };
                    d.event_data_recv(&seg, now, rto, 65_535, 1448, 32);
                }
                1 => {
                    let ctx = AckSndCtx {
                        now,
                        rcv_nxt: SeqNum(len),
                        rcv_wup: SeqNum(0),
                        copied_seq: SeqNum(0),
                        rcvlowat: 1,
                        rcv_wnd: 65_535,
                        ofo_nonempty: flag,
                        sack_ok: true,
                        owned_by_user: false,
                        compressed_timer_queued: flag,
                        rcv_rtt_us: rto,
                        srtt_us: rto,
                        delack_max: 199,
                        sysctls: sys,
                    };
                    if d.ack_snd_check(&ctx, true, || len) == AckSnd::Now {
                        let _ = d.event_ack_sent(SeqNum(len), SeqNum(len));
                    }
                }
                2 => { let _ = d.delack_timer(now, 1, rto, pingpong_thresh); }
                3 => d.event_data_sent(now),
                4 => d.enter_quickack_mode(len * 40, 16),
                _ => { let _ = d.send_delayed_ack(now, rto, 199, pingpong_thresh); }
            }
            // ato never exceeds TCP_DELACK_MAX, so Linux's 8-bit field
            // holds it (HZ <= 1000).
            prop_assert!(d.ato <= tcp_delack_max_default(hz).max(tcp_ato_min(hz)), "ato {}", d.ato);
            prop_assert!(d.ato <= 255);
            prop_assert!(d.quick <= 16);
        }
    }
}
