// SPDX-License-Identifier: GPL-2.0

//! SipHash-2-4, bit for bit as Linux computes it (lib/siphash.c).
//!
//! Linux keys its TCP initial sequence numbers, timestamp offsets and
//! ephemeral port offsets with SipHash-2-4 over a per-boot secret
//! (net/core/secure_seq.c, see [`super::secure_seq`]). To produce the same
//! numbers from the same secret we must hash exactly the same 64-bit words,
//! so besides the byte-slice [`siphash`] this module offers the fixed-width
//! helpers with Linux's argument packing: [`siphash_3u32`] hashes
//! `(b << 32 | a)` as one word and `c` as the 4-byte tail, which is the
//! same as hashing the 12 little-endian bytes of `a`, `b`, `c`.
//!
//! Only SipHash-2-4 is provided; HalfSipHash (`hsiphash`) is not used by
//! TCP.

/// The 128-bit SipHash key, as Linux's `siphash_key_t { u64 key[2]; }`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SipKey {
    /// `key[0]`: XORed into `v0` and `v2`.
    pub k0: u64,
    /// `key[1]`: XORed into `v1` and `v3`.
    pub k1: u64,
}

impl SipKey {
    /// The key Linux would hold as `siphash_key_t { .key = { k[0], k[1] } }`.
    #[inline]
    pub const fn new(key: [u64; 2]) -> Self {
        Self {
            k0: key[0],
            k1: key[1],
        }
    }

    /// The key whose in-memory bytes are `bytes` on a little-endian machine
    /// (e.g. the 16 random bytes `net_get_random_once()` fills in).
    #[inline]
    pub const fn from_le_bytes(bytes: [u8; 16]) -> Self {
        let [a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7] = bytes;
        Self {
            k0: u64::from_le_bytes([a0, a1, a2, a3, a4, a5, a6, a7]),
            k1: u64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7]),
        }
    }
}

/// The four SipHash state words plus the pending final block `b`, which
/// starts as `len << 56` (Linux's `PREAMBLE(len)`).
struct State {
    v0: u64,
    v1: u64,
    v2: u64,
    v3: u64,
    b: u64,
}

impl State {
    /// `PREAMBLE(len)`: the "somepseudorandomlygeneratedbytes" constants
    /// (`SIPHASH_CONST_0..3`) XORed with the key, and the length byte.
    fn new(len: u64, key: &SipKey) -> Self {
        Self {
            v0: 0x736f_6d65_7073_6575 ^ key.k0,
            v1: 0x646f_7261_6e64_6f6d ^ key.k1,
            v2: 0x6c79_6765_6e65_7261 ^ key.k0,
            v3: 0x7465_6462_7974_6573 ^ key.k1,
            b: len << 56,
        }
    }

    /// `SIPHASH_PERMUTATION` (one SipRound).
    fn round(&mut self) {
        self.v0 = self.v0.wrapping_add(self.v1);
        self.v1 = self.v1.rotate_left(13) ^ self.v0;
        self.v0 = self.v0.rotate_left(32);
        self.v2 = self.v2.wrapping_add(self.v3);
        self.v3 = self.v3.rotate_left(16) ^ self.v2;
        self.v0 = self.v0.wrapping_add(self.v3);
        self.v3 = self.v3.rotate_left(21) ^ self.v0;
        self.v2 = self.v2.wrapping_add(self.v1);
        self.v1 = self.v1.rotate_left(17) ^ self.v2;
        self.v2 = self.v2.rotate_left(32);
    }

    /// Absorbs one full 64-bit message word with two rounds (the "2" of
    /// SipHash-2-4).
    fn compress(&mut self, m: u64) {
        self.v3 ^= m;
        self.round();
        self.round();
        self.v0 ^= m;
    }

    /// `POSTAMBLE`: absorbs the final block, then four finalisation rounds.
    fn finish(mut self) -> u64 {
        let b = self.b;
        self.compress(b);
        self.v2 ^= 0xff;
        self.round();
        self.round();
        self.round();
        self.round();
        (self.v0 ^ self.v1) ^ (self.v2 ^ self.v3)
    }
}

/// SipHash-2-4 of `data` (Linux `siphash(data, len, key)`).
///
/// Full 8-byte words are read little-endian; the 0..7 leftover bytes go
/// into the low bytes of the final block, whose top byte is the length
/// modulo 256.
pub fn siphash(data: &[u8], key: &SipKey) -> u64 {
    // `(u64)len << 56` keeps only the low byte of the length.
    let mut st = State::new(data.len() as u64, key);
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let mut m = [0u8; 8];
        m.copy_from_slice(w);
        st.compress(u64::from_le_bytes(m));
    }
    let mut tail = [0u8; 8];
    let rest = words.remainder();
    if let Some(dst) = tail.get_mut(..rest.len()) {
        dst.copy_from_slice(rest);
    }
    st.b |= u64::from_le_bytes(tail);
    st.finish()
}

/// Linux `siphash_1u64(first, key)`: the hash of the 8 little-endian bytes
/// of `first`.
pub fn siphash_1u64(first: u64, key: &SipKey) -> u64 {
    let mut st = State::new(8, key);
    st.compress(first);
    st.finish()
}

/// Linux `siphash_2u64(first, second, key)`.
pub fn siphash_2u64(first: u64, second: u64, key: &SipKey) -> u64 {
    let mut st = State::new(16, key);
    st.compress(first);
    st.compress(second);
    st.finish()
}

/// Linux `siphash_3u64(first, second, third, key)`.
pub fn siphash_3u64(first: u64, second: u64, third: u64, key: &SipKey) -> u64 {
    let mut st = State::new(24, key);
    st.compress(first);
    st.compress(second);
    st.compress(third);
    st.finish()
}

/// Linux `siphash_4u64(first, second, third, forth, key)`.
pub fn siphash_4u64(first: u64, second: u64, third: u64, forth: u64, key: &SipKey) -> u64 {
    let mut st = State::new(32, key);
    st.compress(first);
    st.compress(second);
    st.compress(third);
    st.compress(forth);
    st.finish()
}

/// Linux `siphash_1u32(first, key)`: a 4-byte message, all in the final
/// block.
pub fn siphash_1u32(first: u32, key: &SipKey) -> u64 {
    let mut st = State::new(4, key);
    st.b |= u64::from(first);
    st.finish()
}

/// Linux `siphash_2u32(a, b, key)` = `siphash_1u64((u64)b << 32 | a)`.
pub fn siphash_2u32(a: u32, b: u32, key: &SipKey) -> u64 {
    siphash_1u64(u64::from(b) << 32 | u64::from(a), key)
}

/// Linux `siphash_3u32(first, second, third, key)`: `(second << 32 |
/// first)` is one full word and `third` the 4-byte tail of a 12-byte
/// message.
pub fn siphash_3u32(first: u32, second: u32, third: u32, key: &SipKey) -> u64 {
    let combined = u64::from(second) << 32 | u64::from(first);
    let mut st = State::new(12, key);
    st.compress(combined);
    st.b |= u64::from(third);
    st.finish()
}

/// Linux `siphash_4u32(a, b, c, d, key)` = `siphash_2u64((u64)b << 32 | a,
/// (u64)d << 32 | c)`.
pub fn siphash_4u32(a: u32, b: u32, c: u32, d: u32, key: &SipKey) -> u64 {
    siphash_2u64(
        u64::from(b) << 32 | u64::from(a),
        u64::from(d) << 32 | u64::from(c),
        key,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `test_key_siphash` of lib/siphash_kunit.c.
    const KEY: SipKey = SipKey::new([0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908]);

    /// `test_vectors_siphash` of lib/siphash_kunit.c: entry `i` is the hash
    /// of the bytes `0, 1, ..., i - 1`.
    #[rustfmt::skip]
    const VECTORS: [u64; 64] = [
        0x726fdb47dd0e0e31, 0x74f839c593dc67fd, 0x0d6c8009d9a94f5a,
        0x85676696d7fb7e2d, 0xcf2794e0277187b7, 0x18765564cd99a68d,
        0xcbc9466e58fee3ce, 0xab0200f58b01d137, 0x93f5f5799a932462,
        0x9e0082df0ba9e4b0, 0x7a5dbbc594ddb9f3, 0xf4b32f46226bada7,
        0x751e8fbc860ee5fb, 0x14ea5627c0843d90, 0xf723ca908e7af2ee,
        0xa129ca6149be45e5, 0x3f2acc7f57c29bdb, 0x699ae9f52cbe4794,
        0x4bc1b3f0968dd39c, 0xbb6dc91da77961bd, 0xbed65cf21aa2ee98,
        0xd0f2cbb02e3b67c7, 0x93536795e3a33e88, 0xa80c038ccd5ccec8,
        0xb8ad50c6f649af94, 0xbce192de8a85b8ea, 0x17d835b85bbb15f3,
        0x2f2e6163076bcfad, 0xde4daaaca71dc9a5, 0xa6a2506687956571,
        0xad87a3535c49ef28, 0x32d892fad841c342, 0x7127512f72f27cce,
        0xa7f32346f95978e3, 0x12e0b01abb051238, 0x15e034d40fa197ae,
        0x314dffbe0815a3b4, 0x027990f029623981, 0xcadcd4e59ef40c4d,
        0x9abfd8766a33735c, 0x0e3ea96b5304a7d0, 0xad0c42d6fc585992,
        0x187306c89bc215a9, 0xd4a60abcf3792b95, 0xf935451de4f21df2,
        0xa9538f0419755787, 0xdb9acddff56ca510, 0xd06c98cd5c0975eb,
        0xe612a3cb9ecba951, 0xc766e62cfcadaf96, 0xee64435a9752fe72,
        0xa192d576b245165a, 0x0a8787bf8ecb74b2, 0x81b3e73d20b49b6f,
        0x7fa8220ba3b2ecea, 0x245731c13ca42499, 0xb78dbfaf3a8d83bd,
        0xea1ad565322a1a0b, 0x60e61c23a3795013, 0x6606d7e446282b93,
        0x6ca4ecb15c5f91e1, 0x9f626da15c9625f3, 0xe51b38608ef25f57,
        0x958a324ceb064572,
    ];

    fn input() -> [u8; 64] {
        let mut v = [0u8; 64];
        for (i, b) in v.iter_mut().enumerate() {
            *b = i as u8;
        }
        v
    }

    #[test]
    fn kunit_byte_vectors() {
        let inp = input();
        for (i, &want) in VECTORS.iter().enumerate() {
            assert_eq!(siphash(&inp[..i], &KEY), want, "length {i}");
            // Linux also checks an unaligned copy; slices have no
            // alignment requirement here, but check a shifted copy anyway.
            let mut shifted = [0u8; 65];
            shifted[1..=i].copy_from_slice(&inp[..i]);
            assert_eq!(siphash(&shifted[1..=i], &KEY), want);
        }
    }

    #[test]
    fn kunit_word_helpers() {
        // The exact calls of siphash_test() in lib/siphash_kunit.c.
        assert_eq!(siphash_1u64(0x0706050403020100, &KEY), VECTORS[8]);
        assert_eq!(
            siphash_2u64(0x0706050403020100, 0x0f0e0d0c0b0a0908, &KEY),
            VECTORS[16]
        );
        assert_eq!(
            siphash_3u64(
                0x0706050403020100,
                0x0f0e0d0c0b0a0908,
                0x1716151413121110,
                &KEY
            ),
            VECTORS[24]
        );
        assert_eq!(
            siphash_4u64(
                0x0706050403020100,
                0x0f0e0d0c0b0a0908,
                0x1716151413121110,
                0x1f1e1d1c1b1a1918,
                &KEY
            ),
            VECTORS[32]
        );
        assert_eq!(siphash_1u32(0x03020100, &KEY), VECTORS[4]);
        assert_eq!(siphash_2u32(0x03020100, 0x07060504, &KEY), VECTORS[8]);
        assert_eq!(
            siphash_3u32(0x03020100, 0x07060504, 0x0b0a0908, &KEY),
            VECTORS[12]
        );
        assert_eq!(
            siphash_4u32(0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c, &KEY),
            VECTORS[16]
        );
    }

    #[test]
    fn helpers_equal_bytes_of_their_words() {
        let key = SipKey::new([0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210]);
        let (a, b, c, d) = (0xdead_beefu32, 0x0102_0304u32, 0xa5a5_5a5au32, 7u32);
        let mut bytes = [0u8; 16];
        bytes[0..4].copy_from_slice(&a.to_le_bytes());
        bytes[4..8].copy_from_slice(&b.to_le_bytes());
        bytes[8..12].copy_from_slice(&c.to_le_bytes());
        bytes[12..16].copy_from_slice(&d.to_le_bytes());
        assert_eq!(siphash_1u32(a, &key), siphash(&bytes[..4], &key));
        assert_eq!(siphash_2u32(a, b, &key), siphash(&bytes[..8], &key));
        assert_eq!(siphash_3u32(a, b, c, &key), siphash(&bytes[..12], &key));
        assert_eq!(siphash_4u32(a, b, c, d, &key), siphash(&bytes, &key));
    }

    #[test]
    fn key_from_bytes() {
        let mut raw = [0u8; 16];
        for (i, b) in raw.iter_mut().enumerate() {
            *b = i as u8;
        }
        assert_eq!(SipKey::from_le_bytes(raw), KEY);
    }

    #[test]
    fn long_input_length_wraps_in_final_byte() {
        // 256 + 3 bytes: the length byte is 3, as Linux's `len << 56`.
        let data = [0x5au8; 259];
        let a = siphash(&data, &KEY);
        assert_ne!(a, siphash(&data[..258], &KEY));
    }
}
