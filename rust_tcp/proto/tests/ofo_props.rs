// SPDX-License-Identifier: GPL-2.0

//! Property tests for receive reassembly (`tcp_ofo`): any arrival order of
//! any segmentation (with duplicates and overlaps) rebuilds the stream, the
//! out-of-order ranges always equal the bytes received beyond `rcv_nxt`, the
//! SACK blocks describe only queued data, and nothing panics.

use proptest::prelude::*;
use rust_tcp_proto::seq::SeqNum;
use rust_tcp_proto::tcp_ofo::{DataQueue, OfoQueue, Reassembly, SackState, TCP_NUM_SACKS};
use std::collections::HashMap;

/// A segment of the test stream: offsets `[start, end)` of the payload, and
/// the FIN (only on segments ending at the stream's end).
#[derive(Clone, Copy, Debug)]
struct Seg {
    start: u32,
    end: u32,
    fin: bool,
}

/// A stream length, a cover of it by consecutive segments, and extra
/// segments (retransmissions, repacketised overlaps).
fn segments() -> impl Strategy<Value = (u32, Vec<Seg>)> {
    (
        1u32..3000,
        prop::collection::vec(1u32..400, 1..20),
        prop::collection::vec((0u32..3000, 1u32..600), 0..12),
        any::<bool>(),
    )
        .prop_map(|(len, cuts, extra, fin)| {
            let mut segs = Vec::new();
            let mut at = 0;
            for c in cuts {
                if at >= len {
                    break;
                }
                let end = (at + c).min(len);
                segs.push(Seg {
                    start: at,
                    end,
                    fin: fin && end == len,
                });
                at = end;
            }
            if at < len {
                segs.push(Seg {
                    start: at,
                    end: len,
                    fin,
                });
            }
            for (s, l) in extra {
                let start = s % len;
                let end = (start + l).min(len);
                segs.push(Seg {
                    start,
                    end,
                    fin: fin && end == len,
                });
            }
            (len, segs)
        })
}

fn check_invariants<const N: usize>(
    q: &Reassembly<N>,
    rcv_nxt: SeqNum,
) -> Result<(), TestCaseError> {
    let r = q.ofo.ranges();
    prop_assert!(r.len() <= N);
    for w in r.windows(2) {
        // Sorted, disjoint and not touching.
        prop_assert!(w[0].end.before(w[1].start), "{:?}", r);
    }
    for x in r {
        prop_assert!(x.start.after(rcv_nxt), "{:?} vs {:?}", x, rcv_nxt);
        prop_assert!(x.end.after(x.start));
    }
    let blocks = q.sack.blocks();
    prop_assert!(blocks.len() <= TCP_NUM_SACKS);
    if !q.sack_ok {
        prop_assert!(blocks.is_empty());
        prop_assert!(q.sack.dsack().is_none());
    }
    for b in blocks {
        // Each SACK block lies within one queued range.
        prop_assert!(
            r.iter().any(|x| !b.0.before(x.start) && !b.1.after(x.end)),
            "block {:?} not in {:?}",
            b,
            r
        );
    }
    Ok(())
}

proptest! {
    #[test]
    fn any_order_reassembles(
        (len, segs) in segments(),
        isn in any::<u32>(),
        sack_ok in any::<bool>(),
        seed in any::<u64>(),
    ) {
        // A permutation of the segments from the seed (Fisher-Yates).
        let mut segs = segs;
        let mut st = seed | 1;
        for i in (1..segs.len()).rev() {
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            let j = (st % (i as u64 + 1)) as usize;
            segs.swap(i, j);
        }
        let stream: Vec<u8> = (0..len).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let fin_at_end = segs.iter().any(|s| s.fin);
        let isn = SeqNum(isn);
        let mut q: Reassembly<64> = Reassembly::new(sack_ok, true);
        let mut rcv_nxt = isn;
        // Offsets (from isn) received so far; the FIN is offset `len`.
        let mut got = vec![false; len as usize + 1];
        let mut store: HashMap<u32, u8> = HashMap::new();
        let mut out: Vec<u8> = Vec::new();
        let mut fins = 0;
        let wnd_end = isn + len + 1000;
        for s in &segs {
            let seq = isn + s.start;
            let plen = s.end - s.start;
            let payload = &stream[s.start as usize..s.end as usize];
            let left = wnd_end.0.wrapping_sub(rcv_nxt.0);
            let before = rcv_nxt;
            match q.data_queue(rcv_nxt, left, seq, plen, s.fin) {
                DataQueue::InOrder(io) => {
                    prop_assert!(!io.rcv_nxt.before(before));
                    out.extend_from_slice(&payload[io.skip as usize..]);
                    let data_end = io.rcv_nxt - u32::from(io.fin);
                    let mut at = seq + plen;
                    while at.before(data_end) {
                        let off = at.0.wrapping_sub(isn.0);
                        let b = store.get(&off).copied();
                        prop_assert!(b.is_some(), "byte {} missing", off);
                        out.push(b.unwrap_or(0));
                        at += 1;
                    }
                    if io.fin {
                        fins += 1;
                    }
                    rcv_nxt = io.rcv_nxt;
                }
                DataQueue::OutOfOrder { pruned, .. } => {
                    prop_assert!(pruned.is_none());
                    for (i, b) in payload.iter().enumerate() {
                        store.insert(s.start + i as u32, *b);
                    }
                }
                DataQueue::OldData => {
                    prop_assert!(!(seq + plen + u32::from(s.fin)).after(rcv_nxt));
                }
                other => prop_assert!(false, "unexpected {:?}", other),
            }
            for o in s.start..s.end + u32::from(s.fin) {
                got[o as usize] = true;
            }
            check_invariants(&q, rcv_nxt)?;
            if fins == 0 {
                // The ranges are exactly the received offsets beyond rcv_nxt.
                let nxt_off = rcv_nxt.0.wrapping_sub(isn.0);
                let mut model = Vec::new();
                let mut o = nxt_off;
                while o <= len {
                    if got[o as usize] {
                        let a = o;
                        while o <= len && got[o as usize] {
                            o += 1;
                        }
                        model.push((a, o));
                    } else {
                        o += 1;
                    }
                }
                let ranges: Vec<(u32, u32)> = q
                    .ofo
                    .ranges()
                    .iter()
                    .map(|r| (r.start.0.wrapping_sub(isn.0), r.end.0.wrapping_sub(isn.0)))
                    .collect();
                prop_assert_eq!(ranges, model);
            }
        }
        prop_assert_eq!(rcv_nxt, isn + len + u32::from(fin_at_end));
        prop_assert_eq!(&out[..], &stream[..]);
        prop_assert_eq!(fins, u32::from(fin_at_end));
        prop_assert!(q.ofo.is_empty());
        prop_assert_eq!(q.sack.num_sacks(), 0);
    }

    #[test]
    fn arbitrary_traffic_keeps_invariants(
        ops in prop::collection::vec((0u32..8000, 0u32..1600, any::<bool>(), 0u32..6000), 1..60),
        isn in any::<u32>(),
        sack_ok in any::<bool>(),
        dsack in any::<bool>(),
    ) {
        let mut q: Reassembly<3> = Reassembly::new(sack_ok, dsack);
        let mut rcv_nxt = SeqNum(isn);
        for (off, len, fin, wnd) in ops {
            // Segments from 2000 before rcv_nxt to 6000 after it.
            let seq = rcv_nxt + off - 2000;
            match q.data_queue(rcv_nxt, wnd, seq, len, fin) {
                DataQueue::InOrder(io) => {
                    prop_assert!(io.rcv_nxt.after(rcv_nxt) || (len == 0 && !fin));
                    prop_assert!(io.skip <= len);
                    rcv_nxt = io.rcv_nxt;
                }
                DataQueue::OutOfOrder { .. } => {
                    prop_assert!(seq.after(rcv_nxt));
                    prop_assert!(seq.before(rcv_nxt + wnd));
                }
                DataQueue::Empty => prop_assert!(len == 0 && !fin),
                DataQueue::OldData => prop_assert!(!(seq + len + u32::from(fin)).after(rcv_nxt)),
                DataQueue::OutOfWindow { zero_window } => {
                    prop_assert!(zero_window == (wnd == 0) || !zero_window);
                }
                DataQueue::OfoDropped => {}
            }
            check_invariants(&q, rcv_nxt)?;
            if let Some(d) = q.sack.dsack() {
                prop_assert!(sack_ok && dsack);
                prop_assert!(d.1.after(d.0));
            }
            let blocks = q.take_option_blocks(3);
            prop_assert!(blocks.len() <= 3);
        }
    }

    #[test]
    fn raw_structures_never_panic(
        ops in prop::collection::vec((any::<u32>(), any::<u32>(), any::<bool>(), 0u8..6), 0..80),
    ) {
        let mut q: OfoQueue<2> = OfoQueue::new();
        let mut z: OfoQueue<0> = OfoQueue::new();
        let mut sk = SackState::new();
        let mut r: Reassembly<1> = Reassembly::new(true, true);
        for (a, b, f, op) in ops {
            let (a, b) = (SeqNum(a), SeqNum(b));
            match op {
                0 => {
                    let _ = q.make_room(a, b);
                    let _ = q.insert(a, b, f);
                    let _ = z.insert(a, b, f);
                }
                1 => {
                    let _ = q.drain(a, |_, _| {});
                }
                2 => {
                    let _ = sk.new_ofo_skb(a, b);
                    sk.dsack_extend(b, a);
                }
                3 => sk.remove(a, f),
                4 => {
                    let _ = sk.take_option_blocks(b.0 as usize);
                    let _ = sk.max_sack();
                }
                _ => {
                    let _ = r.data_queue(a, b.0, b, a.0, f);
                    let _ = r.send_dupack(a, b, a);
                }
            }
            prop_assert!(q.len() <= 2);
            prop_assert!(z.is_empty());
            prop_assert!(sk.num_sacks() <= TCP_NUM_SACKS);
            prop_assert!(r.ofo.len() <= 1);
        }
    }
}
