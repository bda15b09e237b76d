// SPDX-License-Identifier: GPL-2.0

//! Property tests for bind conflicts and the port-0 search.

use proptest::prelude::*;
use rust_tcp_proto::inet_connection_sock::{find_open_port, random_u32_below};
use rust_tcp_proto::inet_hashtables::{
    addr_overlap, bind_conflict, get_port_explicit, port_usable_for_autobind, port_usable_for_bind,
    BindBucket, BindSock, BindState,
};
use std::collections::HashMap;

fn addr() -> impl Strategy<Value = [u8; 4]> {
    prop_oneof![
        Just([0, 0, 0, 0]),
        Just([127, 0, 0, 1]),
        Just([10, 0, 0, 1]),
        Just([10, 0, 0, 2]),
    ]
}

fn state() -> impl Strategy<Value = BindState> {
    prop_oneof![
        Just(BindState::Other),
        Just(BindState::Listen),
        Just(BindState::TimeWait)
    ]
}

fn sock() -> impl Strategy<Value = BindSock> {
    (
        addr(),
        0i32..3,
        any::<bool>(),
        any::<bool>(),
        0u32..3,
        state(),
    )
        .prop_map(|(addr, dev, reuse, reuseport, uid, state)| BindSock {
            addr,
            dev,
            reuse,
            reuseport,
            uid,
            state,
        })
}

proptest! {
    /// A conflict needs overlapping addresses and devices.
    #[test]
    fn conflict_needs_overlap(a in sock(), b in sock(), relax: bool, rp: bool) {
        if bind_conflict(&a, &b, relax, rp) {
            prop_assert!(addr_overlap(a.addr, b.addr));
            prop_assert!(a.dev == 0 || b.dev == 0 || a.dev == b.dev);
        }
    }

    /// The port-0 search is the strictest test: whatever it accepts an
    /// explicit bind accepts too; and it refuses exactly the overlapping
    /// owners.
    #[test]
    fn autobind_is_stricter(new in sock(), owners in prop::collection::vec(sock(), 0..5)) {
        if port_usable_for_autobind(&new, &owners) {
            prop_assert!(port_usable_for_bind(&new, &owners));
        }
        let overlap = owners.iter().any(|o| addr_overlap(new.addr, o.addr)
            && (new.dev == 0 || o.dev == 0 || new.dev == o.dev));
        prop_assert_eq!(port_usable_for_autobind(&new, &owners), !overlap);
    }

    /// The bucket shortcuts only ever allow more than the full scan, and
    /// never for a socket without SO_REUSEPORT (fastreuse is dead in
    /// 6.12.117).
    #[test]
    fn shortcuts_only_relax(seq in prop::collection::vec(sock(), 1..8)) {
        let mut tb: Option<BindBucket> = None;
        let mut owners: Vec<BindSock> = Vec::new();
        for s in seq {
            let full = port_usable_for_bind(&s, &owners);
            let got = get_port_explicit(tb.as_ref(), &s, &owners);
            if full {
                prop_assert!(got);
            }
            if got && !full {
                prop_assert!(s.reuseport);
            }
            if got {
                tb.get_or_insert_with(BindBucket::new).update_fastreuse(&s, false);
                owners.push(s);
            }
        }
    }

    #[test]
    fn below_in_range(ceil in 1u32.., draws in prop::collection::vec(any::<u32>(), 1..20)) {
        let mut it = draws.iter().copied().chain(std::iter::repeat(u32::MAX));
        let v = random_u32_below(ceil, &mut || it.next().unwrap());
        prop_assert!(v < ceil);
    }

    /// Every candidate lies in the range, the first is an odd offset from
    /// the low end of its pass, no port is asked twice in a pass (ranges of
    /// two or more ports), the whole pass is asked on exhaustion, and the
    /// answer is the first usable candidate.
    #[test]
    fn port_search(low in 1u16..65000, len in 0u16..300, reuse: bool,
                   r1 in 1u32.., r2 in 1u32.., usable_mod in 0u16..50) {
        let high = low.saturating_add(len);
        let mut draws = [r1, r2].into_iter().chain(std::iter::repeat(1));
        let mut asked = Vec::new();
        let res = find_open_port(low, high, reuse, || draws.next().unwrap(), |p| {
            asked.push(p);
            usable_mod != 0 && p % 50 == usable_mod
        });
        prop_assert!(asked.iter().all(|&p| (low..=high).contains(&p)));
        prop_assert!(!asked.is_empty());
        if let Some(p) = res {
            prop_assert_eq!(Some(&p), asked.last());
            prop_assert!(asked[..asked.len() - 1].iter().all(|&q| q % 50 != usable_mod));
        }
        let count = u32::from(high - low) + 1;
        let split = reuse && count >= 4;
        // Both the whole range and the lower half start at `low`.
        prop_assert_eq!((asked[0] - low) % 2, if count == 1 { 0 } else { 1 });
        if res.is_none() && count >= 2 {
            let mut seen: HashMap<u16, u32> = HashMap::new();
            for &p in &asked {
                *seen.entry(p).or_default() += 1;
            }
            prop_assert!(seen.values().all(|&n| n == 1));
            let expected = if split {
                let half = ((count >> 2) << 1) as usize;
                let upper = count as usize - half;
                half + (upper & !1)
            } else {
                (count & !1) as usize
            };
            prop_assert_eq!(asked.len(), expected);
        }
    }
}
