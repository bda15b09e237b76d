// SPDX-License-Identifier: GPL-2.0

//! Keyed initial sequence numbers, timestamp offsets and ephemeral-port
//! offsets, as net/core/secure_seq.c computes them (RFC 6528, RFC 6056).
//!
//! # Linux 6.12.117 has one hash for ISN and timestamp offset
//!
//! This stable kernel has `secure_tcp_seq_and_ts_off()`: a single
//! `siphash_3u32()` whose 64-bit result is read through
//! `union tcp_seq_and_ts_off { struct { u32 seq; u32 ts_off; }; u64 hash64; }`.
//! The ISN is the first `u32` of the union (the low half on a
//! little-endian machine) plus the clock, the timestamp offset the second
//! (the high half), forced to 0 unless `net.ipv4.tcp_timestamps == 1`.
//! There is no separate `secure_tcp_ts_off(saddr, daddr)` any more; our
//! [`secure_tcp_ts_off`] is the `ts_off` half of that union.
//!
//! # How values are passed
//!
//! Linux hands the hash the raw bits of `__be32`/`__be16` values, i.e. the
//! wire bytes as they sit in memory, reinterpreted as native integers. Here:
//!
//! * an address is `[u8; 4]` in wire order (`10.0.0.1` is `[10, 0, 0, 1]`),
//!   and its `__be32` bits are `u32::from_ne_bytes(addr)` ([`be32_bits`]).
//!   From a kernel `__be32` held in a `u32` use `u32::to_ne_bytes`;
//! * a port is a host-order `u16` (`80`), and its `__be16` bits are
//!   `u16::from_ne_bytes(port.to_be_bytes())` ([`be16_bits`]). From a kernel
//!   `__be16` use `u16::from_be(raw)` (i.e. `ntohs`).
//!
//! With that mapping, on a little-endian machine the 12 bytes hashed for an
//! ISN are `saddr ‖ daddr ‖ dport (BE) ‖ sport (BE)`: Linux packs
//! `sport << 16 | dport` into one `u32`, whose little-endian bytes put the
//! destination port first.
//!
//! The caller keeps the 128-bit secret ([`SipKey`]); Linux fills
//! `net_secret` with random bytes once per boot (`net_get_random_once`).
//! Which address is "source" follows Linux: for a SYN we answer,
//! `tcp_v4_init_seq_and_ts_off()` passes the packet's *destination* as
//! `saddr`, i.e. it is always (our address, peer address, our port, peer
//! port).

use super::siphash::{siphash_3u32, siphash_4u32, SipKey};

/// `EPHEMERAL_PORT_SHUFFLE_PERIOD` in seconds (Linux: `10 * HZ` jiffies).
pub const EPHEMERAL_PORT_SHUFFLE_PERIOD_SECS: u32 = 10;

/// The native-integer bits of the `__be32` holding `addr` (wire order),
/// exactly what `(__force u32)addr` gives Linux.
#[inline]
pub const fn be32_bits(addr: [u8; 4]) -> u32 {
    u32::from_ne_bytes(addr)
}

/// The native-integer bits of the `__be16` holding host-order `port`,
/// exactly what `(__force u16)port` gives Linux.
#[inline]
pub const fn be16_bits(port: u16) -> u16 {
    u16::from_ne_bytes(port.to_be_bytes())
}

/// The two halves of `union tcp_seq_and_ts_off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeqAndTsOff {
    /// Initial sequence number: hash half plus the 64 ns clock.
    pub seq: u32,
    /// Offset added to our TCP timestamp clock for this connection (0
    /// unless `tcp_timestamps == 1`).
    pub ts_off: u32,
}

/// Splits a 64-bit hash as `union tcp_seq_and_ts_off` does on this machine:
/// `seq` is the `u32` stored first in memory, `ts_off` the second.
#[inline]
fn split_union(hash64: u64) -> (u32, u32) {
    let [a, b, c, d, e, f, g, h] = hash64.to_ne_bytes();
    (
        u32::from_ne_bytes([a, b, c, d]),
        u32::from_ne_bytes([e, f, g, h]),
    )
}

/// The unscaled hash behind the ISN and timestamp offset.
fn seq_hash(saddr: [u8; 4], daddr: [u8; 4], sport: u16, dport: u16, key: &SipKey) -> u64 {
    // secure_tcp_seq_and_ts_off(): `(__force u32)sport << 16 |
    // (__force u32)dport`.
    let ports = u32::from(be16_bits(sport)) << 16 | u32::from(be16_bits(dport));
    siphash_3u32(be32_bits(saddr), be32_bits(daddr), ports, key)
}

/// Linux `seq_scale()`: adds the real-time clock in 64 ns units
/// (`ktime_get_real_ns() >> 6`), modulo 2^32.
#[inline]
pub const fn seq_scale(seq: u32, now_real_ns: u64) -> u32 {
    // The C sum is done in u64 and truncated to the u32 return type.
    seq.wrapping_add((now_real_ns >> 6) as u32)
}

/// Linux `secure_tcp_seq_and_ts_off(net, saddr, daddr, sport, dport)`.
///
/// `saddr`/`daddr` in wire order, ports host order, both from our side
/// (local address, remote address, local port, remote port).
/// `tcp_timestamps` is `net.ipv4.tcp_timestamps`; `now_real_ns` is
/// `ktime_get_real_ns()` (CLOCK_REALTIME in nanoseconds).
pub fn secure_tcp_seq_and_ts_off(
    saddr: [u8; 4],
    daddr: [u8; 4],
    sport: u16,
    dport: u16,
    key: &SipKey,
    tcp_timestamps: u8,
    now_real_ns: u64,
) -> SeqAndTsOff {
    let (seq, ts_off) = split_union(seq_hash(saddr, daddr, sport, dport, key));
    SeqAndTsOff {
        seq: seq_scale(seq, now_real_ns),
        ts_off: if tcp_timestamps != 1 { 0 } else { ts_off },
    }
}

/// Linux `secure_tcp_seq(saddr, daddr, sport, dport)`: the ISN part of
/// [`secure_tcp_seq_and_ts_off`].
pub fn secure_tcp_seq(
    saddr: [u8; 4],
    daddr: [u8; 4],
    sport: u16,
    dport: u16,
    key: &SipKey,
    now_real_ns: u64,
) -> u32 {
    let (seq, _) = split_union(seq_hash(saddr, daddr, sport, dport, key));
    seq_scale(seq, now_real_ns)
}

/// The timestamp-offset part of [`secure_tcp_seq_and_ts_off`] (there is
/// no separate Linux function in 6.12.117, see the module docs): 0 unless
/// `tcp_timestamps == 1`.
pub fn secure_tcp_ts_off(
    saddr: [u8; 4],
    daddr: [u8; 4],
    sport: u16,
    dport: u16,
    key: &SipKey,
    tcp_timestamps: u8,
) -> u32 {
    if tcp_timestamps != 1 {
        return 0;
    }
    split_union(seq_hash(saddr, daddr, sport, dport, key)).1
}

/// `jiffies / EPHEMERAL_PORT_SHUFFLE_PERIOD` as the `unsigned int
/// timeseed` Linux hashes (truncated to 32 bits like the C argument).
///
/// `hz` is the kernel's `HZ`; returns 0 for `hz == 0` rather than dividing
/// by zero.
#[inline]
pub const fn ephemeral_timeseed(jiffies: u64, hz: u32) -> u32 {
    let period = EPHEMERAL_PORT_SHUFFLE_PERIOD_SECS as u64 * hz as u64;
    if period == 0 {
        return 0;
    }
    (jiffies / period) as u32
}

/// Linux `secure_ipv4_port_ephemeral(saddr, daddr, dport)`: the full
/// 64-bit value (`__inet_hash_connect()` uses both halves: the low bits
/// pick the perturbation slot, the high 32 bits are the port offset).
///
/// `timeseed` is [`ephemeral_timeseed`] of the current jiffies.
pub fn secure_ipv4_port_ephemeral(
    saddr: [u8; 4],
    daddr: [u8; 4],
    dport: u16,
    key: &SipKey,
    timeseed: u32,
) -> u64 {
    // siphash_4u32(saddr, daddr, (__force u16)dport, timeseed): the port's
    // __be16 bits zero-extended to u32.
    siphash_4u32(
        be32_bits(saddr),
        be32_bits(daddr),
        u32::from(be16_bits(dport)),
        timeseed,
        key,
    )
}

#[cfg(test)]
mod tests {
    use super::super::siphash::siphash;
    use super::*;

    const KEY: SipKey = SipKey::new([0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908]);
    const A: [u8; 4] = [10, 0, 0, 1];
    const B: [u8; 4] = [10, 0, 0, 2];

    // Expected values computed by an independent Python SipHash-2-4 (checked
    // against the kunit vectors) over the bytes Linux would hash on x86-64:
    // 0a000001 0a000002 0050 9c40 (saddr, daddr, dport BE, sport BE).
    const HASH: u64 = 0x5c19_e6e0_e0d3_9452;

    #[cfg(target_endian = "little")]
    #[test]
    fn hand_computed_isn_and_ts_off() {
        let bytes = [10, 0, 0, 1, 10, 0, 0, 2, 0x00, 0x50, 0x9c, 0x40];
        assert_eq!(siphash(&bytes, &KEY), HASH);
        assert_eq!(seq_hash(A, B, 40000, 80, &KEY), HASH);

        let now = 1_700_000_000_123_456_789u64;
        let st = secure_tcp_seq_and_ts_off(A, B, 40000, 80, &KEY, 1, now);
        assert_eq!(st.seq, 0xd9c9_ab86);
        assert_eq!(st.seq, 0xe0d3_9452u32.wrapping_add((now >> 6) as u32));
        assert_eq!(st.ts_off, 0x5c19_e6e0);
        assert_eq!(secure_tcp_seq(A, B, 40000, 80, &KEY, now), st.seq);
        assert_eq!(secure_tcp_ts_off(A, B, 40000, 80, &KEY, 1), st.ts_off);
        // tcp_timestamps 0 or 2: no random offset.
        assert_eq!(
            secure_tcp_seq_and_ts_off(A, B, 40000, 80, &KEY, 2, now).ts_off,
            0
        );
        assert_eq!(secure_tcp_ts_off(A, B, 40000, 80, &KEY, 0), 0);
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn hand_computed_ephemeral() {
        assert_eq!(
            secure_ipv4_port_ephemeral(A, B, 80, &KEY, 12345),
            0x42eb_1e54_7105_3ef4
        );
        // Same as the 16 bytes saddr, daddr, dport BE + 2 zero bytes, seed LE.
        let mut bytes = [0u8; 16];
        bytes[..4].copy_from_slice(&A);
        bytes[4..8].copy_from_slice(&B);
        bytes[8..10].copy_from_slice(&80u16.to_be_bytes());
        bytes[12..].copy_from_slice(&12345u32.to_le_bytes());
        assert_eq!(siphash(&bytes, &KEY), 0x42eb_1e54_7105_3ef4);
    }

    #[test]
    fn bit_mapping() {
        #[cfg(target_endian = "little")]
        {
            assert_eq!(be32_bits([10, 0, 0, 1]), 0x0100_000a);
            assert_eq!(be16_bits(80), 0x5000);
        }
        assert_eq!(be32_bits(A).to_ne_bytes(), A);
        assert_eq!(u16::from_be(be16_bits(40000)), 40000);
    }

    #[test]
    fn clock_scale_wraps() {
        assert_eq!(seq_scale(u32::MAX, 64), 0);
        assert_eq!(seq_scale(5, 63), 5);
        assert_eq!(seq_scale(0, (1u64 << 38) + 128), 2);
        assert_eq!(seq_scale(7, u64::MAX), 7u32.wrapping_add(u32::MAX));
    }

    #[test]
    fn ports_and_direction_matter() {
        let s = |sa, da, sp, dp| secure_tcp_seq(sa, da, sp, dp, &KEY, 0);
        assert_ne!(s(A, B, 1, 2), s(A, B, 2, 1));
        assert_ne!(s(A, B, 1, 2), s(B, A, 1, 2));
    }

    #[test]
    fn timeseed() {
        assert_eq!(ephemeral_timeseed(0, 250), 0);
        assert_eq!(ephemeral_timeseed(2499, 250), 0);
        assert_eq!(ephemeral_timeseed(2500, 250), 1);
        assert_eq!(ephemeral_timeseed(u64::MAX, 0), 0);
        assert_eq!(ephemeral_timeseed(10_000 * (1u64 << 32), 1000), 0);
    }
}
