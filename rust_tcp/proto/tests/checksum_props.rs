// SPDX-License-Identifier: GPL-2.0

//! Property tests for the Internet checksum.

use proptest::prelude::*;
use rust_tcp_proto::checksum::{tcp_v4_checksum, tcp_v4_verify, Checksum};

/// Reference: RFC 1071 word by word with zero padding, folded at the end.
fn naive_fold(data: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    for pair in data.chunks(2) {
        let hi = u64::from(pair[0]);
        let lo = pair.get(1).copied().map_or(0, u64::from);
        sum += (hi << 8) | lo;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

fn data_and_cuts() -> impl Strategy<Value = (Vec<u8>, Vec<usize>)> {
    prop::collection::vec(any::<u8>(), 0..600).prop_flat_map(|d| {
        let n = d.len();
        (Just(d), prop::collection::vec(0..=n, 0..6))
    })
}

proptest! {
    #[test]
    fn matches_naive(data in prop::collection::vec(any::<u8>(), 0..2000)) {
        prop_assert_eq!(Checksum::of(&data).fold(), naive_fold(&data));
    }

    #[test]
    fn chunking_is_invisible((data, mut cuts) in data_and_cuts()) {
        cuts.sort_unstable();
        let whole = Checksum::of(&data);
        let mut chunked = Checksum::new();
        let mut appended = Checksum::new();
        let mut prev = 0;
        for &c in cuts.iter().chain(core::iter::once(&data.len())) {
            chunked.add_bytes(&data[prev..c]);
            appended.append(&Checksum::of(&data[prev..c]));
            prev = c;
        }
        prop_assert_eq!(chunked.fold(), whole.fold());
        prop_assert_eq!(appended.fold(), whole.fold());
        prop_assert_eq!(chunked.is_odd(), data.len() % 2 == 1);
        prop_assert_eq!(appended.is_odd(), data.len() % 2 == 1);
    }

    #[test]
    fn stored_checksum_verifies(
        saddr: [u8; 4],
        daddr: [u8; 4],
        mut seg in prop::collection::vec(any::<u8>(), 20..1500),
        flip in any::<(prop::sample::Index, u8)>(),
    ) {
        seg[16] = 0;
        seg[17] = 0;
        let c = tcp_v4_checksum(saddr, daddr, &seg);
        seg[16..18].copy_from_slice(&c.to_be_bytes());
        prop_assert!(tcp_v4_verify(saddr, daddr, &seg));
        // Any single-bit error is detected.
        let (idx, bit) = flip;
        let i = idx.index(seg.len());
        seg[i] ^= 1 << (bit % 8);
        prop_assert!(!tcp_v4_verify(saddr, daddr, &seg));
    }
}
