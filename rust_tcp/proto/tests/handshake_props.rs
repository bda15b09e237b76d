// SPDX-License-Identifier: GPL-2.0

//! Property tests for the passive-open handshake.

use proptest::prelude::*;
use rust_tcp_proto::checksum::tcp_v4_verify;
use rust_tcp_proto::request_sock::RequestSock;
use rust_tcp_proto::seq::SeqNum;
use rust_tcp_proto::tcp_hdr::{emit, parse, TcpFlags, TcpOptions, TcpSegment, MAX_WSCALE};
use rust_tcp_proto::tcp_params::{ListenerParams, SynSysctls};
use rust_tcp_proto::tcp_ipv4::{reqsk_ack_repr, rst_for};
use rust_tcp_proto::tcp_minisocks::{check_req, CheckReqAction, CheckReqCtx};
use rust_tcp_proto::tcp_output::synack_repr;
use rust_tcp_proto::tcp_window::select_initial_window;

mod common;
use common::syn_options;

fn sysctls() -> impl Strategy<Value = SynSysctls> {
    (
        0u8..3,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |(
                timestamps,
                sack,
                window_scaling,
                workaround_signed_windows,
                tcp_rmem_max,
                rmem_max,
            )| {
                SynSysctls {
                    timestamps,
                    sack,
                    window_scaling,
                    workaround_signed_windows,
                    tcp_rmem_max,
                    rmem_max,
                }
            },
        )
}

const L: [u8; 4] = [10, 0, 0, 1];
const R: [u8; 4] = [10, 0, 0, 2];

fn segment<'a>(
    (sp, dp, seq, ack, flags, win): (u16, u16, u32, u32, u8, u16),
    options: TcpOptions,
    payload: &'a [u8],
) -> TcpSegment<'a> {
    TcpSegment {
        src_port: sp,
        dst_port: dp,
        seq: SeqNum(seq),
        ack: SeqNum(ack),
        flags: TcpFlags(flags),
        window: win,
        checksum: 0,
        urgent: 0,
        header_len: 20 + options.wire_len(),
        options,
        payload,
    }
}

fn listener() -> impl Strategy<Value = ListenerParams> {
    (
        prop_oneof![Just(0u16), 88u16..2000],
        0u32..=65495, // route advmss: at most IP_MAX_MTU - 40
        any::<i32>(),
        prop_oneof![Just(0u32), any::<u32>()],
        any::<bool>(),
        prop_oneof![Just(0u32), any::<u32>()],
        prop_oneof![Just(0u32), 0u32..100],
    )
        .prop_map(
            |(
                user_mss,
                route_advmss,
                full_space,
                window_clamp,
                rcvbuf_locked,
                route_window,
                route_initrwnd,
            )| {
                ListenerParams {
                    user_mss,
                    route_advmss,
                    full_space,
                    window_clamp,
                    rcvbuf_locked,
                    route_window,
                    route_initrwnd,
                }
            },
        )
}

fn request() -> impl Strategy<Value = RequestSock> {
    (
        any::<(u16, u16, u32, u32, u16, u32)>(),
        syn_options(),
        listener(),
        sysctls(),
        any::<(u32, u8, u8)>(),
    )
        .prop_map(
            |((sp, dp, seq, isn, win, ts_off), opts, l, s, (_, nt, nr))| {
                let syn = segment((sp, dp, seq, 0, TcpFlags::SYN.bits(), win), opts, &[]);
                let mut r = RequestSock::from_syn(&syn, L, R, &l, &s, SeqNum(isn), ts_off);
                r.num_timeout = nt % 128;
                r.num_retrans = nr;
                r
            },
        )
}

proptest! {
    #[test]
    fn initial_window_bounds(space: i32, mss in 1u32.., clamp: u32, ws: bool, init: u32, s in sysctls()) {
        let w = select_initial_window(space, mss, clamp, ws, init, &s);
        prop_assert!(w.rcv_wscale <= MAX_WSCALE);
        prop_assert!(w.rcv_wnd <= space.max(0) as u32);
        prop_assert!(w.window_clamp <= u32::from(u16::MAX) << w.rcv_wscale);
        if !ws {
            prop_assert_eq!(w.rcv_wscale, 0);
        }
    }

    /// Every request built from any SYN answers with a SYN-ACK that emits,
    /// verifies and parses back to the negotiated options.
    #[test]
    fn synack_emits(r in request(), now: u32) {
        let repr = synack_repr(&r, now);
        let mut buf = [0u8; 60];
        let n = emit(&repr, L, R, &[], &mut buf).unwrap();
        prop_assert!(tcp_v4_verify(L, R, &buf[..n]));
        let back = parse(&buf[..n]).unwrap();
        prop_assert_eq!(back.flags, TcpFlags::SYN | TcpFlags::ACK);
        prop_assert_eq!(back.seq, r.snt_isn);
        prop_assert_eq!(back.ack, r.rcv_isn + 1);
        prop_assert_eq!(back.options.mss, Some(r.mss));
        prop_assert_eq!(back.options.sack_perm, r.sack_ok);
        prop_assert_eq!(back.options.wscale.is_some(), r.wscale_ok);
        prop_assert_eq!(back.options.timestamp.is_some(), r.tstamp_ok);
        prop_assert!(u32::from(back.window) <= r.rcv_wnd);
        // tcp_dst_advmss() floors at 88 and TCP_MAXSEG cannot go lower.
        prop_assert!(r.mss >= 88);
        let ack = reqsk_ack_repr(&r, now);
        prop_assert!(emit(&ack, L, R, &[], &mut buf).is_ok());
    }

    /// What check_req decides is consistent with the segment it was given.
    #[test]
    fn check_req_invariants(mut r in request(),
                            hdr in any::<(u16, u16, u32, u32, u8, u16)>(),
                            near_seq in prop::option::of(0u32..4), near_ack in any::<bool>(),
                            opts in syn_options(), payload in prop::collection::vec(any::<u8>(), 0..4),
                            now: u32, ts in 0u8..3, defer in 0u8..4) {
        let (sp, dp, mut seq, mut ackno, flags, win) = hdr;
        // Bias towards the interesting region around the ISNs.
        if let Some(d) = near_seq {
            seq = r.rcv_isn.0.wrapping_add(d);
        }
        if near_ack {
            ackno = r.snt_isn.0.wrapping_add(1);
        }
        let seg = segment((sp, dp, seq, ackno, flags, win), opts, &payload);
        let ctx = CheckReqCtx { now, invalid_ratelimit: 500, tcp_timestamps: ts, defer_accept: defer };
        let before = r;
        let f = seg.flags;
        let a = check_req(&mut r, &seg, &ctx);
        match a {
            CheckReqAction::ResendSynAck => {
                prop_assert!(f.contains(TcpFlags::SYN));
                prop_assert!(!f.intersects(TcpFlags::ACK | TcpFlags::RST));
                prop_assert_eq!(seg.seq, before.rcv_isn);
            }
            CheckReqAction::SendRst => {
                prop_assert!(f.contains(TcpFlags::ACK) && !f.contains(TcpFlags::RST));
                prop_assert_ne!(seg.ack, before.snt_isn + 1);
            }
            CheckReqAction::SendAck => prop_assert!(!f.contains(TcpFlags::RST)),
            CheckReqAction::ChallengeAck => {
                prop_assert!(f.contains(TcpFlags::RST));
                prop_assert_ne!(seg.seq, before.rcv_isn + 1);
            }
            CheckReqAction::DropRequest { send_rst } => {
                prop_assert_eq!(send_rst, !f.contains(TcpFlags::RST));
                prop_assert!(f.intersects(TcpFlags::RST | TcpFlags::SYN));
            }
            CheckReqAction::DeferAcceptDrop => {
                prop_assert!(r.acked);
                prop_assert!(before.num_timeout < defer);
            }
            CheckReqAction::CreateChild(c) => {
                prop_assert!(f.contains(TcpFlags::ACK) && !f.contains(TcpFlags::RST));
                prop_assert_eq!(seg.ack, before.snt_isn + 1);
                prop_assert!(!f.contains(TcpFlags::SYN) || seg.seq == before.rcv_isn);
                prop_assert_eq!(c.rcv_nxt, before.rcv_isn + 1);
                prop_assert_eq!(c.snd_una, before.snt_isn + 1);
            }
            CheckReqAction::Drop => {}
        }
        // Only the rate-limit time and `acked` ever change.
        let mut r2 = r;
        r2.last_oow_ack_time = before.last_oow_ack_time;
        r2.acked = before.acked;
        prop_assert_eq!(r2, before);
    }

    #[test]
    fn reset_replies(hdr in any::<(u16, u16, u32, u32, u8, u16)>(), opts in syn_options(),
                     payload in prop::collection::vec(any::<u8>(), 0..8)) {
        let seg = segment(hdr, opts, &payload);
        match rst_for(&seg) {
            None => prop_assert!(seg.flags.contains(TcpFlags::RST)),
            Some(r) => {
                prop_assert!(!seg.flags.contains(TcpFlags::RST));
                prop_assert_eq!((r.src_port, r.dst_port), (seg.dst_port, seg.src_port));
                prop_assert!(r.flags.contains(TcpFlags::RST));
                prop_assert_eq!(r.window, 0);
                if seg.flags.contains(TcpFlags::ACK) {
                    prop_assert_eq!((r.seq, r.flags), (seg.ack, TcpFlags::RST));
                } else {
                    prop_assert_eq!(r.ack, seg.seq + seg.seq_len() as u32);
                    prop_assert_eq!(r.flags, TcpFlags::RST | TcpFlags::ACK);
                }
                let mut buf = [0u8; 20];
                prop_assert_eq!(emit(&r, L, R, &[], &mut buf), Ok(20));
            }
        }
    }
}
