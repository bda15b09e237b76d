// SPDX-License-Identifier: GPL-2.0

//! Connection-socket policy from net/ipv4/inet_connection_sock.c and the
//! queue helpers around it: the port-0 search of `bind()`/`listen()`
//! ([`find_open_port`]), SYN- and accept-queue limits, the `listen()`
//! backlog clamp, and the SYN-ACK retransmission timer's decisions.
//!
//! The bind *conflict* rules, also in inet_connection_sock.c, live in
//! [`super::inet_hashtables`] next to the bind buckets they work on.
//!
//! Randomness is always taken from a caller-supplied `FnMut() -> u32`
//! standing for `get_random_u32()`, so that the exact number of draws and
//! their use (including `get_random_u32_below()`'s rejection loop) match
//! Linux.

/// `TCP_TIMEOUT_INIT` in milliseconds (`1 * HZ`): the initial SYN-ACK RTO,
/// which is also `req->timeout` unless a BPF program changed it.
pub const TCP_TIMEOUT_INIT_MS: u32 = 1000;
/// `TCP_RTO_MAX` in milliseconds (`120 * HZ`).
pub const TCP_RTO_MAX_MS: u32 = 120_000;
/// Default `net.ipv4.tcp_synack_retries` (`TCP_SYNACK_RETRIES`).
pub const TCP_SYNACK_RETRIES: u8 = 5;
/// Default `net.core.somaxconn` (`SOMAXCONN`).
pub const SOMAXCONN: u32 = 4096;
/// Default `net.ipv4.ip_local_port_range` low end.
pub const LOCAL_PORT_RANGE_LOW: u16 = 32768;
/// Default `net.ipv4.ip_local_port_range` high end (inclusive).
pub const LOCAL_PORT_RANGE_HIGH: u16 = 60999;

/// Linux `__get_random_u32_below(ceil)`: a uniform value in `0..ceil`
/// from `get_random_u32()` draws, by Lemire's multiply-and-reject method,
/// consuming exactly the draws Linux would.
///
/// `ceil == 0` returns one raw draw, as Linux does.
pub fn random_u32_below(ceil: u32, rand: &mut impl FnMut() -> u32) -> u32 {
    let r = rand();
    if ceil == 0 {
        return r;
    }
    let mut mult = u64::from(ceil) * u64::from(r);
    if (mult as u32) < ceil {
        // `-ceil % ceil` is 2^32 mod ceil computed in 32 bits.
        let bound = ceil.wrapping_neg() % ceil;
        while (mult as u32) < bound {
            mult = u64::from(ceil) * u64::from(rand());
        }
    }
    (mult >> 32) as u32
}

/// The port-0 search of `inet_csk_find_open_port()` (6.12), used by
/// `bind()` to port 0 and by `listen()` on an unbound socket.
///
/// * `low..=high` is the local port range (`inet_sk_get_local_port_range`,
///   i.e. `ip_local_port_range` possibly narrowed by `IP_LOCAL_PORT_RANGE`).
/// * `reuse` is `sk->sk_reuse == SK_CAN_REUSE` (SO_REUSEADDR): the range is
///   then split in two and the lower half searched completely first.
/// * `rand` stands for `get_random_u32()`; one `get_random_u32_below()` per
///   half searched.
/// * `usable(port)` is asked for every candidate in Linux's order and must
///   answer what the loop body decides: `false` for
///   `inet_is_local_reserved_port()` ports and ports with a bind conflict
///   (see [`super::inet_hashtables::port_usable_for_autobind`]).
///
/// Each pass starts at an odd offset from its low end (connect() prefers
/// even offsets), walks that parity in steps of 2 with wrap-around, then
/// the other parity. A pass covers `high - low` rounded down to even ports,
/// so with an odd count one port of the pass is never tried; a one-port
/// range is asked twice (once per parity), exactly like Linux.
///
/// `net.ipv4.ip_autobind_reuse` (a further relaxed pass) is not modelled.
/// Returns `None` when no port is usable, or when `low > high` (Linux's
/// sysctl and sockopt validation never let that through).
pub fn find_open_port(
    low: u16,
    high: u16,
    reuse: bool,
    mut rand: impl FnMut() -> u32,
    mut usable: impl FnMut(u16) -> bool,
) -> Option<u16> {
    if low > high {
        return None;
    }
    // attempt_half = (sk->sk_reuse == SK_CAN_REUSE) ? 1 : 0
    let mut attempt_half: u8 = if reuse { 1 } else { 0 };
    loop {
        // other_half_scan: high++ makes the range half-open.
        let mut lo = u32::from(low);
        let mut hi = u32::from(high) + 1;
        if hi - lo < 4 {
            attempt_half = 0;
        }
        if attempt_half != 0 {
            let half = lo + (((hi - lo) >> 2) << 1);
            if attempt_half == 1 {
                hi = half;
            } else {
                lo = half;
            }
        }
        let mut remaining = hi - lo;
        if remaining > 1 {
            remaining &= !1;
        }
        // "__inet_hash_connect() favors ports having @low parity. We do the
        // opposite to not pollute connect() users."
        let mut offset = random_u32_below(remaining, &mut rand) | 1;
        loop {
            // other_parity_scan
            let mut port = lo.wrapping_add(offset);
            let mut i = 0u32;
            while i < remaining {
                if port >= hi {
                    port = port.wrapping_sub(remaining);
                }
                // port < hi <= 65536 here.
                if usable(port as u16) {
                    return Some(port as u16);
                }
                i += 2;
                port = port.wrapping_add(2);
            }
            offset = offset.wrapping_sub(1);
            if offset & 1 != 0 {
                break;
            }
        }
        if attempt_half == 1 {
            // "OK we now try the upper half of the range"
            attempt_half = 2;
            continue;
        }
        return None;
    }
}

/// Linux `inet_csk_reqsk_queue_is_full()`: the SYN queue (request sockets
/// of a listener) is full when its length is **greater than** the backlog.
#[inline]
pub const fn reqsk_queue_is_full(qlen: u32, max_ack_backlog: u32) -> bool {
    qlen > max_ack_backlog
}

/// Linux `sk_acceptq_is_full()`: the accept queue is full when its length
/// is **greater than** the backlog, so it holds `backlog + 1` children.
#[inline]
pub const fn sk_acceptq_is_full(ack_backlog: u32, max_ack_backlog: u32) -> bool {
    ack_backlog > max_ack_backlog
}

/// The `sk_max_ack_backlog` that `listen(fd, backlog)` installs
/// (`__sys_listen_socket()` then `__inet_listen_sk()`).
///
/// Linux compares `(unsigned int)backlog > somaxconn`, so a negative
/// backlog is huge and becomes `somaxconn`; 0 stays 0 (which still admits
/// one child, see [`sk_acceptq_is_full`]). `somaxconn` is
/// `net.core.somaxconn` (never negative: its sysctl has a minimum of 0).
#[inline]
pub const fn listen_backlog(backlog: i32, somaxconn: u32) -> u32 {
    let b = backlog as u32;
    if b > somaxconn {
        somaxconn
    } else {
        b
    }
}

/// `max_syn_ack_retries` as `reqsk_timer_handler()` picks it: the
/// listener's `TCP_SYNCNT` (`icsk_syn_retries`) if set, else
/// `net.ipv4.tcp_synack_retries`.
#[inline]
pub const fn max_syn_ack_retries(icsk_syn_retries: u8, sysctl_synack_retries: u8) -> u8 {
    if icsk_syn_retries != 0 {
        icsk_syn_retries
    } else {
        sysctl_synack_retries
    }
}

/// What one SYN-ACK timer expiry decides for a request socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReqskTimerDecision {
    /// Give up: unlink and free the request.
    pub expire: bool,
    /// Retransmit the SYN-ACK (when not expiring).
    pub resend: bool,
    /// The retry limit after young/old pruning (for diagnostics/tests).
    pub max_retries: i32,
}

/// Decisions of `reqsk_timer_handler()` + `syn_ack_recalc()` (6.12) for a
/// request whose timer fired.
///
/// Inputs: the listener's SYN-queue length `qlen` and count of `young`
/// requests (never timed out), its `max_ack_backlog`, the retry limit from
/// [`max_syn_ack_retries`], this request's `num_timeout`, the listener's
/// `rskq_defer_accept` (TCP_DEFER_ACCEPT converted to a retransmission
/// count) and the request's `acked` flag (a bare ACK was dropped while
/// deferring, or the accept queue was full).
///
/// When the queue is more than half full (`qlen * 2 > max(8, backlog)`),
/// old requests lose retries: the limit drops by one for each doubling of
/// `2 * young` still not above `qlen`, down to 2.
///
/// The caller then does what the handler does:
/// * `expire` → drop the request;
/// * otherwise, if `resend`, retransmit (`num_retrans += 1` on success);
///   if that send *fails* and the request is not `acked`, drop it too;
/// * otherwise (not resending, sent, or `acked`): if `num_timeout` was 0,
///   decrement `young`; increment `num_timeout` (a 7-bit field in Linux)
///   and re-arm the timer for [`reqsk_timeout_from`]`(timeout,
///   num_timeout, TCP_RTO_MAX)` using the incremented count.
pub fn reqsk_timer_decision(
    qlen: u32,
    young: u32,
    max_ack_backlog: u32,
    max_syn_ack_retries: u8,
    num_timeout: u8,
    defer_accept: u8,
    acked: bool,
) -> ReqskTimerDecision {
    let mut max_retries = i32::from(max_syn_ack_retries);
    // "we reserve half of room for young embrions; and abort old ones
    // without pity, if old ones are about to clog our table."
    let thresh = if max_ack_backlog > 8 {
        max_ack_backlog
    } else {
        8
    };
    if (u64::from(qlen) << 1) > u64::from(thresh) {
        let mut young2 = u64::from(young) << 1;
        while max_retries > 2 {
            if u64::from(qlen) < young2 {
                break;
            }
            max_retries -= 1;
            young2 = young2.saturating_mul(2);
        }
    }

    // syn_ack_recalc()
    let nt = i32::from(num_timeout);
    let (expire, resend) = if defer_accept == 0 {
        (nt >= max_retries, true)
    } else {
        let defer = i32::from(defer_accept);
        let expire = nt >= max_retries && (!acked || nt >= defer);
        // "Do not resend while waiting for data after ACK, start to resend
        // on end of deferring period to give last chance for data or ACK
        // to create established socket."
        let resend = !acked || nt >= defer - 1;
        (expire, resend)
    };
    ReqskTimerDecision {
        expire,
        resend,
        max_retries,
    }
}

/// Linux `reqsk_timeout(req, max_timeout)`: `min(req->timeout <<
/// num_timeout, max_timeout)`, in whatever unit both are given.
///
/// Linux shifts a `u64`; a shift that would lose bits (only possible with
/// absurd retry sysctls) saturates to `max_timeout` here instead of being
/// undefined.
pub const fn reqsk_timeout_from(timeout: u32, num_timeout: u8, max_timeout: u32) -> u32 {
    let t = timeout as u64;
    let shifted = if t == 0 {
        0
    } else if num_timeout >= 64 || t > (u64::MAX >> num_timeout) {
        u64::MAX
    } else {
        t << num_timeout
    };
    if shifted < max_timeout as u64 {
        shifted as u32
    } else {
        max_timeout
    }
}

/// [`reqsk_timeout_from`] with the default `req->timeout` of
/// [`TCP_TIMEOUT_INIT_MS`]: 1 s, 2 s, 4 s, ... capped at `max_timeout_ms`
/// (normally [`TCP_RTO_MAX_MS`]).
#[inline]
pub const fn reqsk_timeout(num_timeout: u8, max_timeout_ms: u32) -> u32 {
    reqsk_timeout_from(TCP_TIMEOUT_INIT_MS, num_timeout, max_timeout_ms)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// A `get_random_u32()` replaying fixed values (then ones). A draw of 0
    /// is always rejected by `get_random_u32_below()` unless the bound is a
    /// power of two, so 1 is the "smallest" useful draw (it yields 0).
    fn seq_rng(vals: &[u32]) -> impl FnMut() -> u32 + '_ {
        let mut it = vals.iter();
        move || it.next().copied().unwrap_or(1)
    }

    fn trace(low: u16, high: u16, reuse: bool, r: &[u32]) -> Vec<u16> {
        let mut asked = Vec::new();
        let res = find_open_port(low, high, reuse, seq_rng(r), |p| {
            asked.push(p);
            false
        });
        assert_eq!(res, None);
        asked
    }

    #[test]
    fn below_matches_lemire() {
        let mut r = seq_rng(&[1, u32::MAX, 0x8000_0001]);
        assert_eq!(random_u32_below(28232, &mut r), 0);
        assert_eq!(random_u32_below(28232, &mut r), 28231);
        assert_eq!(random_u32_below(28232, &mut r), 14116);
        // ceil 0: the raw draw.
        let mut r = seq_rng(&[77]);
        assert_eq!(random_u32_below(0, &mut r), 77);
        // ceil 1: always 0.
        let mut r = seq_rng(&[u32::MAX]);
        assert_eq!(random_u32_below(1, &mut r), 0);
        // Rejection: ceil 3, bound = 2^32 mod 3 = 1. rand 0 gives a low
        // half of 0 < 1, so a second draw is taken.
        let mut calls = 0;
        let mut r = || {
            calls += 1;
            if calls == 1 {
                0
            } else {
                u32::MAX
            }
        };
        assert_eq!(random_u32_below(3, &mut r), 2);
        assert_eq!(calls, 2);
    }

    #[test]
    fn default_range_full_scan_without_reuse() {
        let asked = trace(LOCAL_PORT_RANGE_LOW, LOCAL_PORT_RANGE_HIGH, false, &[1]);
        // [32768, 61000[ has 28232 ports, an even count: each asked once.
        assert_eq!(asked.len(), 28232);
        let mut sorted = asked.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 28232);
        assert_eq!(sorted[0], 32768);
        assert_eq!(sorted[28231], 60999);
        // rand 1: offset 0 | 1 = 1, so odd offsets first from low + 1.
        assert_eq!(&asked[..3], &[32769, 32771, 32773]);
        // The odd-offset half comes entirely before the even one.
        assert!(asked[..14116].iter().all(|p| (p - 32768) % 2 == 1));
        assert!(asked[14116..].iter().all(|p| (p - 32768) % 2 == 0));
        assert_eq!(asked[14116], 32768);
    }

    #[test]
    fn wraps_inside_the_pass() {
        // rand = MAX: offset = 28231 | 1 = 28231 -> first port 60999, then
        // 61001 wraps to 32769.
        let asked = trace(
            LOCAL_PORT_RANGE_LOW,
            LOCAL_PORT_RANGE_HIGH,
            false,
            &[u32::MAX],
        );
        assert_eq!(&asked[..3], &[60999, 32769, 32771]);
        // Other parity starts at offset 28230.
        assert_eq!(asked[14116], 60998);
        assert_eq!(asked[14117], 32768);
    }

    #[test]
    fn reuse_searches_lower_half_first() {
        let asked = trace(LOCAL_PORT_RANGE_LOW, LOCAL_PORT_RANGE_HIGH, true, &[1, 1]);
        // half = 32768 + ((28232 >> 2) << 1) = 46884.
        assert_eq!(asked.len(), 28232);
        assert!(asked[..14116].iter().all(|&p| (32768..46884).contains(&p)));
        assert!(asked[14116..].iter().all(|&p| (46884..61000).contains(&p)));
        assert_eq!(asked[0], 32769);
        assert_eq!(asked[14116], 46885);
        let mut sorted = asked.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 28232);
    }

    #[test]
    fn one_random_draw_per_half() {
        let mut draws = 0;
        let r = || {
            draws += 1;
            0x4000_0001
        };
        let _ = find_open_port(32768, 60999, true, r, |_| false);
        assert_eq!(draws, 2);
        let mut draws = 0;
        let r = || {
            draws += 1;
            0x4000_0001
        };
        let _ = find_open_port(32768, 60999, false, r, |_| false);
        assert_eq!(draws, 1);
    }

    #[test]
    fn returns_first_usable_and_stops() {
        let mut asked = 0;
        let got = find_open_port(
            1000,
            1999,
            false,
            || 1,
            |p| {
                asked += 1;
                p == 1005
            },
        );
        assert_eq!(got, Some(1005));
        assert_eq!(asked, 3); // 1001, 1003, 1005
    }

    #[test]
    fn tiny_ranges() {
        // One port: asked once per parity, i.e. twice.
        assert_eq!(trace(5000, 5000, false, &[]), [5000, 5000]);
        assert_eq!(trace(5000, 5000, true, &[]), [5000, 5000]);
        // Two ports (high - low < 4 after ++): no halves even with reuse.
        assert_eq!(trace(5000, 5001, true, &[1]), [5001, 5000]);
        // Three ports: remaining 3 -> 2; one port is never tried.
        let a = trace(5000, 5002, false, &[1]);
        assert_eq!(a, [5001, 5000]);
        let a = trace(5000, 5002, false, &[u32::MAX]);
        assert_eq!(a, [5001, 5000]);
        // Five ports with reuse: halves [5000,5002[ and [5002,5005[.
        let a = trace(5000, 5004, true, &[1, u32::MAX]);
        assert_eq!(a, [5001, 5000, 5003, 5002]);
        let a = trace(5000, 5004, true, &[1, 1]);
        assert_eq!(a, [5001, 5000, 5003, 5002]);
        // Whole u16 space does not overflow.
        let a = trace(0, u16::MAX, false, &[u32::MAX]);
        assert_eq!(a.len(), 65536);
        assert_eq!(a[0], 65535);
        // Inverted range.
        assert_eq!(find_open_port(10, 9, false, || 1, |_| true), None);
    }

    #[test]
    fn queue_limits() {
        assert!(!reqsk_queue_is_full(128, 128));
        assert!(reqsk_queue_is_full(129, 128));
        assert!(!sk_acceptq_is_full(0, 0));
        assert!(sk_acceptq_is_full(1, 0));
        assert!(!sk_acceptq_is_full(5, 5));
        assert!(sk_acceptq_is_full(6, 5));
    }

    #[test]
    fn backlog_clamp() {
        assert_eq!(listen_backlog(10, SOMAXCONN), 10);
        assert_eq!(listen_backlog(0, SOMAXCONN), 0);
        assert_eq!(listen_backlog(5000, SOMAXCONN), 4096);
        assert_eq!(listen_backlog(-1, SOMAXCONN), 4096);
        assert_eq!(listen_backlog(i32::MIN, 100), 100);
        assert_eq!(listen_backlog(4096, 4096), 4096);
        assert_eq!(listen_backlog(7, 0), 0);
    }

    #[test]
    fn synack_timeouts() {
        assert_eq!(reqsk_timeout(0, TCP_RTO_MAX_MS), 1000);
        assert_eq!(reqsk_timeout(5, TCP_RTO_MAX_MS), 32_000);
        assert_eq!(reqsk_timeout(6, TCP_RTO_MAX_MS), 64_000);
        assert_eq!(reqsk_timeout(7, TCP_RTO_MAX_MS), 120_000);
        assert_eq!(reqsk_timeout(127, TCP_RTO_MAX_MS), 120_000);
        assert_eq!(reqsk_timeout_from(0, 200, 5), 0);
        assert_eq!(reqsk_timeout_from(u32::MAX, 40, u32::MAX), u32::MAX);
        // Default tcp_synack_retries = 5: sent at 0, 1, 3, 7, 15, 31 s and
        // the request expires at 63 s.
        let mut t = 0;
        for n in 0..=5u8 {
            t += reqsk_timeout(n, TCP_RTO_MAX_MS);
        }
        assert_eq!(t, 63_000);
    }

    #[test]
    fn timer_plain() {
        let d = |nt| reqsk_timer_decision(1, 1, 128, 5, nt, 0, false);
        for nt in 0..5 {
            assert_eq!(
                d(nt),
                ReqskTimerDecision {
                    expire: false,
                    resend: true,
                    max_retries: 5
                }
            );
        }
        assert!(d(5).expire);
        assert_eq!(max_syn_ack_retries(0, 5), 5);
        assert_eq!(max_syn_ack_retries(3, 5), 3);
    }

    #[test]
    fn timer_prunes_old_requests() {
        // Not more than half full: max(8, backlog) = 128, qlen * 2 = 128.
        assert_eq!(
            reqsk_timer_decision(64, 0, 128, 5, 0, 0, false).max_retries,
            5
        );
        // More than half full and no young requests: down to 2.
        let d = reqsk_timer_decision(65, 0, 128, 5, 2, 0, false);
        assert_eq!(d.max_retries, 2);
        assert!(d.expire);
        // young = 20 -> 40 <= 65 -> 4 (young 80) -> 65 < 80 stops at 4.
        assert_eq!(
            reqsk_timer_decision(65, 20, 128, 5, 0, 0, false).max_retries,
            4
        );
        // young = 40 -> 80 > 65: no pruning.
        assert_eq!(
            reqsk_timer_decision(65, 40, 128, 5, 0, 0, false).max_retries,
            5
        );
        // Small backlogs use 8: qlen 5 * 2 = 10 > 8.
        assert_eq!(reqsk_timer_decision(5, 0, 1, 5, 0, 0, false).max_retries, 2);
        assert_eq!(reqsk_timer_decision(4, 0, 1, 5, 0, 0, false).max_retries, 5);
        // A limit of 2 or less is never pruned further.
        assert_eq!(
            reqsk_timer_decision(1000, 0, 1, 1, 0, 0, false).max_retries,
            1
        );
        // Large young counts do not overflow.
        assert_eq!(
            reqsk_timer_decision(u32::MAX, u32::MAX, 0, 255, 0, 0, false).max_retries,
            255
        );
        assert_eq!(
            reqsk_timer_decision(u32::MAX, 1, 0, 255, 0, 0, false).max_retries,
            224
        );
    }

    #[test]
    fn timer_defer_accept() {
        // defer 3 (TCP_DEFER_ACCEPT rounded to 3 retransmissions), max 5.
        let d = |nt, acked| reqsk_timer_decision(1, 1, 128, 5, nt, 3, acked);
        // Not acked: like the plain case.
        assert!(d(0, false).resend && !d(0, false).expire);
        assert!(d(5, false).expire);
        // Acked: silent until num_timeout >= defer - 1.
        assert!(!d(0, true).resend);
        assert!(!d(1, true).resend);
        assert!(d(2, true).resend);
        // Expiry needs both limits: num_timeout >= max and >= defer.
        assert!(d(5, true).expire);
        let d = |nt, acked| reqsk_timer_decision(1, 1, 128, 2, nt, 6, acked);
        assert!(!d(3, true).expire);
        assert!(d(6, true).expire);
        assert!(d(2, false).expire);
    }
}
