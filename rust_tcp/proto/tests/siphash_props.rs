// SPDX-License-Identifier: GPL-2.0

//! Property tests for SipHash and the keyed sequence numbers.

use proptest::prelude::*;
use rust_tcp_proto::secure_seq::{
    be16_bits, be32_bits, secure_ipv4_port_ephemeral, secure_tcp_seq, secure_tcp_seq_and_ts_off,
    secure_tcp_ts_off,
};
use rust_tcp_proto::siphash::{
    siphash, siphash_1u32, siphash_1u64, siphash_2u32, siphash_2u64, siphash_3u32, siphash_3u64,
    siphash_4u32, siphash_4u64, SipKey,
};

fn key() -> impl Strategy<Value = SipKey> {
    any::<[u64; 2]>().prop_map(SipKey::new)
}

fn le32(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn le64(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

proptest! {
    /// Linux's fixed-width helpers hash the little-endian bytes of their
    /// arguments, as lib/siphash_kunit.c checks.
    #[test]
    fn helpers_are_byte_hashes(k in key(), a: u32, b: u32, c: u32, d: u32,
                               x: u64, y: u64, z: u64, w: u64) {
        prop_assert_eq!(siphash_1u32(a, &k), siphash(&le32(&[a]), &k));
        prop_assert_eq!(siphash_2u32(a, b, &k), siphash(&le32(&[a, b]), &k));
        prop_assert_eq!(siphash_3u32(a, b, c, &k), siphash(&le32(&[a, b, c]), &k));
        prop_assert_eq!(siphash_4u32(a, b, c, d, &k), siphash(&le32(&[a, b, c, d]), &k));
        prop_assert_eq!(siphash_1u64(x, &k), siphash(&le64(&[x]), &k));
        prop_assert_eq!(siphash_2u64(x, y, &k), siphash(&le64(&[x, y]), &k));
        prop_assert_eq!(siphash_3u64(x, y, z, &k), siphash(&le64(&[x, y, z]), &k));
        prop_assert_eq!(siphash_4u64(x, y, z, w, &k), siphash(&le64(&[x, y, z, w]), &k));
    }

    #[test]
    fn any_length_hashes(k in key(), data in prop::collection::vec(any::<u8>(), 0..300)) {
        // Deterministic and sensitive to the last byte.
        let h = siphash(&data, &k);
        prop_assert_eq!(h, siphash(&data, &k));
        if let Some(&last) = data.last() {
            let mut other = data.clone();
            *other.last_mut().unwrap() = last ^ 1;
            prop_assert_ne!(h, siphash(&other, &k));
        }
    }

    /// The ISN hashes the same 12 bytes Linux lays out: the two __be32
    /// addresses, then the u32 `sport << 16 | dport` of __be16 bits.
    #[test]
    fn isn_layout(k in key(), sa: [u8; 4], da: [u8; 4], sp: u16, dp: u16, ns: u64) {
        let ports = u32::from(be16_bits(sp)) << 16 | u32::from(be16_bits(dp));
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&be32_bits(sa).to_le_bytes());
        bytes.extend_from_slice(&be32_bits(da).to_le_bytes());
        bytes.extend_from_slice(&ports.to_le_bytes());
        let h = siphash(&bytes, &k).to_ne_bytes();
        let seq = u32::from_ne_bytes([h[0], h[1], h[2], h[3]]);
        let off = u32::from_ne_bytes([h[4], h[5], h[6], h[7]]);
        let st = secure_tcp_seq_and_ts_off(sa, da, sp, dp, &k, 1, ns);
        prop_assert_eq!(st.seq, seq.wrapping_add((ns >> 6) as u32));
        prop_assert_eq!(st.ts_off, off);
        prop_assert_eq!(secure_tcp_seq(sa, da, sp, dp, &k, ns), st.seq);
        prop_assert_eq!(secure_tcp_ts_off(sa, da, sp, dp, &k, 1), off);
        prop_assert_eq!(secure_tcp_seq_and_ts_off(sa, da, sp, dp, &k, 0, ns).ts_off, 0);
        prop_assert_eq!(secure_tcp_seq_and_ts_off(sa, da, sp, dp, &k, 2, ns).seq, st.seq);
    }

    #[test]
    fn ephemeral_layout(k in key(), sa: [u8; 4], da: [u8; 4], dp: u16, seed: u32) {
        let bytes = le32(&[be32_bits(sa), be32_bits(da), u32::from(be16_bits(dp)), seed]);
        prop_assert_eq!(secure_ipv4_port_ephemeral(sa, da, dp, &k, seed), siphash(&bytes, &k));
    }
}
