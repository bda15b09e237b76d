// SPDX-License-Identifier: GPL-2.0

//! The local port and 4-tuple of an active open: the ephemeral-port search
//! of `__inet_hash_connect()` (net/ipv4/inet_hashtables.c, RFC 6056 3.3.4
//! "Algorithm 4: Double-Hash Port Selection"), its uniqueness test
//! `__inet_check_established()` and the TIME_WAIT recycling rule it asks
//! TCP about, `tcp_twsk_unique()` (net/ipv4/tcp_ipv4.c).
//!
//! # How the search runs
//!
//! `inet_hash_connect()` computes `port_offset =
//! secure_ipv4_port_ephemeral(saddr, daddr, dport)` (a 64-bit SipHash, see
//! [`super::secure_seq::secure_ipv4_port_ephemeral`]) when the socket has
//! no local port yet. Its low bits pick a slot of the global
//! `table_perturb[]` ([`perturb_index`]); the search starts at
//! `(table_perturb[index] + (port_offset >> 32)) % remaining` from the low
//! end of the range, rounded down to even, walks the even offsets in steps
//! of 2 (wrapping), then the odd ones ([`hash_connect_port`]). On success
//! the slot grows by at least 2, so the next connect to the same
//! destination starts further on.
//!
//! For each candidate the caller answers what the loop body finds
//! ([`PortCheck`]): a reserved port or one whose bind bucket was made by
//! `bind()` is skipped; a bucket made by an earlier `connect()` is shared
//! when the new 4-tuple is unique (TIME_WAIT entries may be recycled,
//! [`check_established`] and [`tcp_twsk_unique`]); a port without a
//! bucket is taken at once.
//!
//! A socket that already has a local port (explicit `bind()`) does not
//! search: Linux runs `__inet_check_established(..., twp = NULL)` on that
//! port alone, where [`tcp_twsk_unique`] is more permissive
//! (`from_hash_connect = false`).

use super::inet_hashtables::BindBucket;
use super::seq::SeqNum;

/// `CONFIG_INET_TABLE_PERTURB_ORDER` of the target kernel (the Kconfig
/// default, and the value in the 6.12.117 test kernel's config).
pub const INET_TABLE_PERTURB_ORDER: u32 = 16;
/// `INET_TABLE_PERTURB_SIZE`: number of `u32` slots in `table_perturb[]`
/// (65536, i.e. 256 KiB, allocated once per boot and filled with random
/// bytes on first use by `get_random_sleepable_once()`).
pub const INET_TABLE_PERTURB_SIZE: usize = 1 << INET_TABLE_PERTURB_ORDER;
/// `LOOPBACK_IFINDEX`.
pub const LOOPBACK_IFINDEX: i32 = 1;
/// Default `net.ipv4.tcp_tw_reuse` (2: loopback only).
pub const TCP_TW_REUSE_DEFAULT: u8 = 2;

/// The `table_perturb[]` slot of a connect: `port_offset &
/// (INET_TABLE_PERTURB_SIZE - 1)`.
#[inline]
pub const fn perturb_index(port_offset: u64) -> usize {
    (port_offset & (INET_TABLE_PERTURB_SIZE as u64 - 1)) as usize
}

/// Linux `inet_sk_get_local_port_range(sk, &low, &high)`: the netns range
/// `net_low..=net_high` (`ip_local_port_range`), narrowed by the socket's
/// IP_LOCAL_PORT_RANGE value `sk_range` (`lo | hi << 16`, 0 = unset): each
/// bound is taken only when it lies inside the netns range. Returns
/// `(low, high, local_ports)` where `local_ports` says IP_LOCAL_PORT_RANGE
/// was set (then the connect search steps by 1 in a single pass).
pub const fn local_port_range(net_low: u16, net_high: u16, sk_range: u32) -> (u16, u16, bool) {
    if sk_range == 0 {
        return (net_low, net_high, false);
    }
    let sk_lo = sk_range as u16;
    let sk_hi = (sk_range >> 16) as u16;
    let mut lo = net_low;
    let mut hi = net_high;
    if lo <= sk_lo && sk_lo <= hi {
        lo = sk_lo;
    }
    if lo <= sk_hi && sk_hi <= hi {
        hi = sk_hi;
    }
    (lo, hi, true)
}

/// What the body of `__inet_hash_connect()`'s loop finds for one
/// candidate port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortCheck {
    /// `inet_is_local_reserved_port()` (`ip_local_reserved_ports`): skip.
    Reserved,
    /// The port has a bind bucket made by `bind()`/`listen()`
    /// (`tb->fastreuse >= 0 || tb->fastreuseport >= 0`): skip, whatever
    /// the addresses.
    BoundByBind,
    /// The port has a bucket made by `connect()` (both fast fields -1):
    /// `unique` is the answer of `__inet_check_established()` for the new
    /// 4-tuple on this port ([`check_established`]); taken when unique.
    ConnectShared {
        /// No established socket, and no TIME_WAIT socket that cannot be
        /// recycled, has the 4-tuple.
        unique: bool,
    },
    /// No bind bucket: Linux creates one ([`BindBucket::new_for_connect`])
    /// and takes the port.
    Free,
}

impl PortCheck {
    /// Classifies a port as the loop does: reserved first, then the bind
    /// bucket (`None` = no bucket for the port in this netns), asking
    /// `unique()` only for buckets made by `connect()`.
    pub fn classify(
        reserved: bool,
        bucket: Option<&BindBucket>,
        unique: impl FnOnce() -> bool,
    ) -> Self {
        if reserved {
            return Self::Reserved;
        }
        match bucket {
            None => Self::Free,
            Some(tb) if tb.fastreuse >= 0 || tb.fastreuseport >= 0 => Self::BoundByBind,
            Some(_) => Self::ConnectShared { unique: unique() },
        }
    }

    /// The loop takes this port (`goto ok`).
    #[inline]
    pub const fn takes(self) -> bool {
        matches!(self, Self::Free | Self::ConnectShared { unique: true })
    }
}

/// A port found by [`hash_connect_port`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashConnect {
    /// The local port (host order).
    pub port: u16,
    /// What to add (wrapping) to `table_perturb[index]`: Linux does
    /// `WRITE_ONCE(table_perturb[index], READ_ONCE(table_perturb[index]) +
    /// i + step)` with `i = max(i, get_random_u32_below(8) * step)`, `i`
    /// being how far the loop had walked.
    pub perturb_add: u32,
}

/// The ephemeral-port search of `__inet_hash_connect()` (6.12.117) for a
/// socket without a local port.
///
/// * `low..=high` and `local_ports` are [`local_port_range`]'s result.
///   Without IP_LOCAL_PORT_RANGE (`local_ports == false`) the range is
///   made half-open (`high + 1`), `remaining = high + 1 - low` is rounded
///   down to even (when above 1), the start offset is made even and the
///   walk goes in steps of 2, first over offsets of `low`'s parity, then
///   (offset + 1) over the others. With it, one pass in steps of 1.
/// * `port_offset` is the 64-bit `secure_ipv4_port_ephemeral()`;
///   `perturb` is `READ_ONCE(table_perturb[perturb_index(port_offset)])`.
///   The start is `(perturb + (port_offset >> 32)) % remaining` (u32
///   arithmetic).
/// * `check(port)` is asked for each candidate in Linux's order and must
///   answer as the loop body does ([`PortCheck::classify`]); the search
///   stops at the first port it [`PortCheck::takes`].
/// * `rand_u8` stands for `get_random_u8()`: Linux's
///   `get_random_u32_below(8)` has a constant bound, which the inline
///   fast path serves from one random byte (`8 * byte >> 8`). It is drawn
///   once, only on success.
///
/// Returns `None` for `-EADDRNOTAVAIL` (no port; also for `low > high`,
/// which Linux's validation never lets through). No port is asked twice;
/// as in Linux, when the range has an odd number (> 1) of ports one port of
/// `low`'s parity is never asked (offset 0, or offset `remaining` when the
/// walk starts at 0).
pub fn hash_connect_port(
    low: u16,
    high: u16,
    local_ports: bool,
    port_offset: u64,
    perturb: u32,
    rand_u8: impl FnOnce() -> u8,
    mut check: impl FnMut(u16) -> PortCheck,
) -> Option<HashConnect> {
    if low > high {
        return None;
    }
    let step: u32 = if local_ports { 1 } else { 2 };
    let low = u32::from(low);
    // "high++; [32768, 60999] -> [32768, 61000["
    let high = u32::from(high) + 1;
    let mut remaining = high - low;
    if !local_ports && remaining > 1 {
        remaining &= !1;
    }
    // remaining >= 1 since low <= high.
    let mut offset = perturb.wrapping_add((port_offset >> 32) as u32) % remaining;
    // "In first pass we try ports of @low parity. inet_csk_get_port() does
    // the opposite choice."
    if !local_ports {
        offset &= !1;
    }
    loop {
        // other_parity_scan: port < low + remaining <= 65536 + step.
        let mut port = low + offset;
        let mut i = 0u32;
        while i < remaining {
            if port >= high {
                port -= remaining;
            }
            // low <= port < high <= 65536 here.
            if check(port as u16).takes() {
                // ok: "add a little bit of randomness to the next source
                // port"; `i` is an int, the draw at most 7 * 2.
                let r = (u32::from(rand_u8()) * 8) >> 8;
                let i = i.max(r * step);
                return Some(HashConnect {
                    port: port as u16,
                    perturb_add: i.wrapping_add(step),
                });
            }
            i += step;
            port += step;
        }
        if !local_ports {
            offset += 1;
            if offset & 1 != 0 && remaining > 1 {
                continue;
            }
        }
        return None;
    }
}

/// What `tcp_twsk_unique()` reads from a TIME_WAIT socket
/// (`struct tcp_timewait_sock`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TwInfo {
    /// `tw_substate == TCP_FIN_WAIT2` (an orphaned FIN_WAIT2 connection
    /// kept as a timewait socket): never recycled by `connect()`'s search.
    pub fin_wait2: bool,
    /// `tw_bound_dev_if`.
    pub bound_dev_if: i32,
    /// `tw_daddr` (the peer), wire order.
    pub daddr: [u8; 4],
    /// `tw_rcv_saddr` (our address), wire order.
    pub rcv_saddr: [u8; 4],
    /// `tw_ts_recent_stamp`: second (`ktime_get_seconds()`, truncated to
    /// 32 bits) of the last timestamp seen; 0 when timestamps were not in
    /// use.
    pub ts_recent_stamp: u32,
    /// `tw_ts_recent`.
    pub ts_recent: u32,
    /// `tw_snd_nxt`.
    pub snd_nxt: SeqNum,
}

/// The state a connecting socket takes over from a recycled TIME_WAIT
/// socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TwReuse {
    /// New `tp->write_seq` (our ISN): `tw_snd_nxt + 65535 + 2`, 1 instead
    /// of 0. `None` under TCP_REPAIR, which keeps its own.
    pub write_seq: Option<SeqNum>,
    /// New `rx_opt.ts_recent` (`None` under TCP_REPAIR).
    pub ts_recent: Option<u32>,
    /// New `rx_opt.ts_recent_stamp` (`None` under TCP_REPAIR).
    pub ts_recent_stamp: Option<u32>,
}

/// `ipv4_is_loopback()`: 127.0.0.0/8.
#[inline]
pub const fn ipv4_is_loopback(addr: [u8; 4]) -> bool {
    addr[0] == 127
}

/// Linux `tcp_twsk_unique(sk, sktw, twp)`: may the connecting socket take
/// the 4-tuple of TIME_WAIT socket `tw`? `Some` = yes (`return 1`), with
/// the state to copy.
///
/// * `tw_reuse` is `net.ipv4.tcp_tw_reuse` (0 off, 1 on, 2 default: only
///   when the device is loopback or either address is 127/8); a
///   FIN_WAIT2 substate turns it off.
/// * `from_hash_connect` is `twp != NULL`: true during the ephemeral
///   search, false when checking an explicitly bound port.
/// * `now_secs` is `ktime_get_seconds()` truncated to 32 bits.
/// * `repair` is `tp->repair` (TCP_REPAIR).
///
/// The rule: `tw.ts_recent_stamp != 0` (timestamps were in use) and either
/// the port was bound explicitly, or reuse is on and at least one second
/// has passed (`time_after32(now, ts_recent_stamp)`). Linux also fails
/// when the timewait socket's refcount already dropped to zero (a race the
/// caller sees as "not unique").
pub fn tcp_twsk_unique(
    tw: &TwInfo,
    tw_reuse: u8,
    from_hash_connect: bool,
    now_secs: u32,
    repair: bool,
) -> Option<TwReuse> {
    let mut reuse = tw_reuse;
    if tw.fin_wait2 {
        reuse = 0;
    }
    if reuse == 2 {
        // "Still does not detect *everything* that goes through lo, since
        // we require a loopback src or dst address or direct binding to
        // 'lo' interface."
        let loopback = tw.bound_dev_if == LOOPBACK_IFINDEX
            || ipv4_is_loopback(tw.daddr)
            || ipv4_is_loopback(tw.rcv_saddr);
        if !loopback {
            reuse = 0;
        }
    }
    let stamp = tw.ts_recent_stamp;
    // time_after32(now, stamp): (s32)(stamp - now) < 0.
    let after = (stamp.wrapping_sub(now_secs) as i32) < 0;
    if stamp != 0 && (!from_hash_connect || (reuse != 0 && after)) {
        if repair {
            return Some(TwReuse {
                write_seq: None,
                ts_recent: None,
                ts_recent_stamp: None,
            });
        }
        let mut seq = tw.snd_nxt + 65535 + 2;
        if seq.0 == 0 {
            seq = SeqNum(1);
        }
        return Some(TwReuse {
            write_seq: Some(seq),
            ts_recent: Some(tw.ts_recent),
            ts_recent_stamp: Some(stamp),
        });
    }
    None
}

/// One socket of the established hash whose 4-tuple (and device) equals
/// the new connection's (`inet_match()` succeeded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EhashMatch<'a> {
    /// A full or request socket: the 4-tuple is taken.
    Sock,
    /// A TIME_WAIT socket.
    TimeWait(&'a TwInfo),
}

/// Result of [`check_established`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Established {
    /// No match: hash the socket in (`return 0`).
    Unique,
    /// The (first) match is a TIME_WAIT socket that [`tcp_twsk_unique`]
    /// lets go: hash the socket in, apply the [`TwReuse`], unlink the
    /// timewait socket from the established hash
    /// (`LINUX_MIB_TIMEWAITRECYCLED`) and later from its bind bucket, then
    /// deschedule it.
    RecycleTimeWait(TwReuse),
    /// `-EADDRNOTAVAIL`.
    NotUnique,
}

/// Linux `__inet_check_established()` over the sockets of the bucket whose
/// 4-tuple matches, in chain order: the first match decides. A TIME_WAIT
/// match is recycled when [`tcp_twsk_unique`] agrees; any other outcome of
/// a match is "not unique".
pub fn check_established<'a>(
    matches: impl IntoIterator<Item = EhashMatch<'a>>,
    tw_reuse: u8,
    from_hash_connect: bool,
    now_secs: u32,
    repair: bool,
) -> Established {
    match matches.into_iter().next() {
        None => Established::Unique,
        Some(EhashMatch::TimeWait(tw)) => {
            match tcp_twsk_unique(tw, tw_reuse, from_hash_connect, now_secs, repair) {
                Some(r) => Established::RecycleTimeWait(r),
                None => Established::NotUnique,
            }
        }
        Some(EhashMatch::Sock) => Established::NotUnique,
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn trace(low: u16, high: u16, local: bool, off: u64, perturb: u32) -> Vec<u16> {
        let mut asked = Vec::new();
        let r = hash_connect_port(
            low,
            high,
            local,
            off,
            perturb,
            || 0,
            |p| {
                asked.push(p);
                PortCheck::Reserved
            },
        );
        assert_eq!(r, None);
        asked
    }

    #[test]
    fn default_range_order() {
        // remaining = 61000 - 32768 = 28232. port_offset high half 100,
        // perturb 1: offset 101 % 28232 = 101 -> 100 (even first).
        let off = 100u64 << 32 | 0x1234;
        let asked = trace(32768, 60999, false, off, 1);
        assert_eq!(asked.len(), 28232);
        assert_eq!(&asked[..3], &[32868, 32870, 32872]);
        assert!(asked[..14116].iter().all(|p| (p - 32768) % 2 == 0));
        assert!(asked[14116..].iter().all(|p| (p - 32768) % 2 == 1));
        // Second pass starts at offset 101.
        assert_eq!(asked[14116], 32869);
        let mut s = asked.clone();
        s.sort_unstable();
        s.dedup();
        assert_eq!(s.len(), 28232);
        // Wrap: the 14066th candidate of the first pass (i = 28132) is
        // 32868 + 28132 = 61000 -> 32768.
        assert_eq!(asked[14066], 32768);
        assert_eq!(asked[14065], 60998);
    }

    #[test]
    fn offset_is_modulo_remaining_in_u32() {
        // perturb + (port_offset >> 32) wraps in u32: 0xffff_ffff + 3 = 2.
        let asked = trace(32768, 60999, false, 3u64 << 32, u32::MAX);
        assert_eq!(asked[0], 32770);
        // 28233 % 28232 = 1 -> 0.
        let asked = trace(32768, 60999, false, 28233u64 << 32, 0);
        assert_eq!(asked[0], 32768);
    }

    #[test]
    fn odd_count_skips_one_port() {
        // [1, 3]: remaining 3 -> 2. First pass offset 0: port 1 only;
        // second pass offset 1: port 2. Port 3 is never asked.
        assert_eq!(trace(1, 3, false, 0, 0), [1, 2]);
        // [1, 5], start offset 2: 3, 5 (offset 4 = remaining, below high,
        // not wrapped); then 4, 6 - 4 = 2. Port 1 is never asked.
        assert_eq!(trace(1, 5, false, 2u64 << 32, 0), [3, 5, 4, 2]);
        // One port: remaining 1, a single pass (offset 1 is odd but
        // remaining == 1 stops).
        assert_eq!(trace(5, 5, false, 0, 0), [5]);
        // Two ports: offset 1 rounds down to 0.
        assert_eq!(trace(5, 6, false, 1u64 << 32, 0), [5, 6]);
    }

    #[test]
    fn local_range_single_pass_step_one() {
        // IP_LOCAL_PORT_RANGE: remaining 10, offset 7 kept odd.
        let asked = trace(100, 109, true, 7u64 << 32, 0);
        assert_eq!(asked, [107, 108, 109, 100, 101, 102, 103, 104, 105, 106]);
    }

    #[test]
    fn success_and_perturbation() {
        let mut asked = 0;
        // Skip 3 candidates, take the 4th: i = 6 at the take.
        let r = hash_connect_port(
            32768,
            60999,
            false,
            0,
            0,
            || 0x5f, // 8 * 0x5f >> 8 = 2 -> 4 < 6
            |p| {
                asked += 1;
                if p == 32774 {
                    PortCheck::Free
                } else {
                    PortCheck::BoundByBind
                }
            },
        );
        assert_eq!(asked, 4);
        assert_eq!(
            r,
            Some(HashConnect {
                port: 32774,
                perturb_add: 8
            })
        );
        // First candidate taken: i = 0, random byte 0xff -> 7 * 2 = 14.
        let r = hash_connect_port(32768, 60999, false, 0, 0, || 0xff, |_| PortCheck::Free);
        assert_eq!(r.map(|h| (h.port, h.perturb_add)), Some((32768, 16)));
        let r = hash_connect_port(32768, 60999, false, 0, 0, || 0x1f, |_| PortCheck::Free);
        assert_eq!(r.map(|h| h.perturb_add), Some(2));
        // Step 1 with IP_LOCAL_PORT_RANGE: 7 * 1 + 1.
        let r = hash_connect_port(100, 200, true, 0, 0, || 0xe0, |_| PortCheck::Free);
        assert_eq!(r.map(|h| (h.port, h.perturb_add)), Some((100, 8)));
        // Connect-made bucket: taken only if unique.
        let r = hash_connect_port(
            10,
            13,
            false,
            0,
            0,
            || 0,
            |p| PortCheck::ConnectShared { unique: p == 11 },
        );
        assert_eq!(r.map(|h| (h.port, h.perturb_add)), Some((11, 2)));
        assert_eq!(
            hash_connect_port(2, 1, false, 0, 0, || 0, |_| PortCheck::Free),
            None
        );
    }

    #[test]
    fn classify_buckets() {
        let bind = BindBucket::new();
        let conn = BindBucket::new_for_connect();
        assert_eq!(
            PortCheck::classify(true, None, || true),
            PortCheck::Reserved
        );
        assert_eq!(PortCheck::classify(false, None, || false), PortCheck::Free);
        assert_eq!(
            PortCheck::classify(false, Some(&bind), || true),
            PortCheck::BoundByBind
        );
        let mut half = conn;
        half.fastreuseport = 0;
        assert_eq!(
            PortCheck::classify(false, Some(&half), || true),
            PortCheck::BoundByBind
        );
        assert_eq!(
            PortCheck::classify(false, Some(&conn), || false),
            PortCheck::ConnectShared { unique: false }
        );
        assert!(PortCheck::classify(false, Some(&conn), || true).takes());
    }

    #[test]
    fn port_range_option() {
        assert_eq!(local_port_range(32768, 60999, 0), (32768, 60999, false));
        let r = |lo: u32, hi: u32| local_port_range(32768, 60999, lo | hi << 16);
        assert_eq!(r(40000, 50000), (40000, 50000, true));
        // Out-of-range bounds are ignored, but the option still counts.
        assert_eq!(r(1000, 50000), (32768, 50000, true));
        assert_eq!(r(40000, 0), (40000, 60999, true));
        assert_eq!(r(0, 65535), (32768, 60999, true));
        assert_eq!(perturb_index(0x1234_5678_9abc_def0), 0xdef0);
    }

    fn tw(stamp: u32) -> TwInfo {
        TwInfo {
            fin_wait2: false,
            bound_dev_if: 0,
            daddr: [10, 0, 0, 2],
            rcv_saddr: [10, 0, 0, 1],
            ts_recent_stamp: stamp,
            ts_recent: 777,
            snd_nxt: SeqNum(1000),
        }
    }

    #[test]
    fn twsk_unique_rules() {
        let t = tw(100);
        let yes = Some(TwReuse {
            write_seq: Some(SeqNum(1000 + 65537)),
            ts_recent: Some(777),
            ts_recent_stamp: Some(100),
        });
        // tw_reuse 1, one second later.
        assert_eq!(tcp_twsk_unique(&t, 1, true, 101, false), yes);
        // Same second: no.
        assert_eq!(tcp_twsk_unique(&t, 1, true, 100, false), None);
        // Default 2 needs loopback.
        assert_eq!(tcp_twsk_unique(&t, 2, true, 200, false), None);
        let mut lo = t;
        lo.daddr = [127, 0, 0, 1];
        assert!(tcp_twsk_unique(&lo, 2, true, 200, false).is_some());
        let mut lo = t;
        lo.rcv_saddr = [127, 1, 2, 3];
        assert!(tcp_twsk_unique(&lo, 2, true, 200, false).is_some());
        let mut lo = t;
        lo.bound_dev_if = LOOPBACK_IFINDEX;
        assert!(tcp_twsk_unique(&lo, 2, true, 200, false).is_some());
        // Off.
        assert_eq!(tcp_twsk_unique(&t, 0, true, 200, false), None);
        // FIN_WAIT2 substate: off during the search...
        let mut f = t;
        f.fin_wait2 = true;
        assert_eq!(tcp_twsk_unique(&f, 1, true, 200, false), None);
        // ...but an explicitly bound port only needs timestamps.
        assert_eq!(tcp_twsk_unique(&f, 0, false, 100, false), yes);
        // No timestamps: never.
        assert_eq!(tcp_twsk_unique(&tw(0), 1, false, 200, false), None);
        // Wrap to 0 gives 1.
        let mut w = t;
        w.snd_nxt = SeqNum(0u32.wrapping_sub(65537));
        assert_eq!(
            tcp_twsk_unique(&w, 1, true, 101, false).and_then(|r| r.write_seq),
            Some(SeqNum(1))
        );
        // Repair keeps its own values.
        assert_eq!(
            tcp_twsk_unique(&t, 1, true, 101, true),
            Some(TwReuse {
                write_seq: None,
                ts_recent: None,
                ts_recent_stamp: None
            })
        );
        // time_after32 wraps: stamp near 2^32, now small.
        assert!(tcp_twsk_unique(&tw(u32::MAX), 1, true, 3, false).is_some());
    }

    #[test]
    fn established_check() {
        let t = tw(100);
        let old = tw(0);
        assert_eq!(
            check_established([], 1, true, 200, false),
            Established::Unique
        );
        assert_eq!(
            check_established([EhashMatch::Sock], 1, true, 200, false),
            Established::NotUnique
        );
        assert!(matches!(
            check_established([EhashMatch::TimeWait(&t)], 1, true, 200, false),
            Established::RecycleTimeWait(_)
        ));
        assert_eq!(
            check_established([EhashMatch::TimeWait(&old)], 1, true, 200, false),
            Established::NotUnique
        );
        // The first match decides.
        assert_eq!(
            check_established(
                [EhashMatch::Sock, EhashMatch::TimeWait(&t)],
                1,
                true,
                200,
                false
            ),
            Established::NotUnique
        );
    }
}
