// SPDX-License-Identifier: GPL-2.0

//! Who may bind which local port: `bind()` argument checks (`__inet_bind`,
//! net/ipv4/af_inet.c), the bind conflict test (`inet_bind_conflict` and
//! `inet_csk_bind_conflict`, net/ipv4/inet_connection_sock.c) and the
//! per-port bind bucket with its "fast reuse" shortcuts
//! (`struct inet_bind_bucket`, net/ipv4/inet_hashtables.c, and
//! `inet_csk_get_port`/`inet_csk_update_fastreuse`/`sk_reuseport_match`).
//!
//! # The conflict rule
//!
//! A new socket `sk` conflicts with a socket `sk2` already bound to the same
//! port when all of these hold ([`bind_conflict`]):
//!
//! * their devices overlap: either is unbound (`dev == 0`) or both are the
//!   same device;
//! * their addresses overlap: equal, or either is the wildcard `0.0.0.0`
//!   (`inet_rcv_saddr_equal(sk, sk2, match_wildcard = true)`; explicit
//!   binds reach the same set through `inet_bhash2_addr_any_conflict()` plus
//!   the exact-address `bhash2` bucket);
//! * the reuse flags do not allow sharing. With `relax` and `reuseport_ok`
//!   both true (explicit port), sharing is allowed when both have
//!   SO_REUSEADDR and `sk2` is not listening, or both have SO_REUSEPORT and
//!   `sk2` is in TIME_WAIT or has `sk`'s uid. With both false (port-0
//!   search) nothing may be shared.
//!
//! `reuseport_cb_ok` (the new socket is not in a reuseport group, or the
//! group has closed sockets) is always true for us: a socket joins a group
//! only when it starts listening, after these checks.
//!
//! # Which flags each path uses
//!
//! | caller                                    | relax | reuseport_ok | function                     |
//! |-------------------------------------------|-------|--------------|------------------------------|
//! | `bind()` to port N (`inet_csk_get_port`)  | true  | true         | [`get_port_explicit`]        |
//! | `listen()` re-check (`inet_csk_listen_start` → `get_port(sk, num)`) | true | true | [`usable_for_listen`] |
//! | `bind()` to port 0 / `listen()` unbound (`inet_csk_find_open_port`) | false | false | [`port_usable_for_autobind`] |
//!
//! # The fast-reuse shortcuts can change the answer
//!
//! For an explicit port, `inet_csk_get_port()` skips the conflict scan when
//! `tb->fastreuse > 0 && reuse` or `sk_reuseport_match(tb, sk)`. In 6.12.117
//! `inet_csk_update_fastreuse()` always sees a non-empty `tb->bhash2`
//! (the `bhash2` bucket is linked before it runs), so `fastreuse` is never
//! set above 0 and that shortcut is dead; but `fastreuseport` becomes
//! `FASTREUSEPORT_STRICT` with the uid and address of the last SO_REUSEPORT
//! socket that did not match, and a later socket with that uid whose
//! address is equal to it, or anything when it was the wildcard, skips the
//! scan entirely, even if some *other* owner would conflict (see the test
//! `strict_reuseport_shortcut_skips_conflicting_owner`). To be exact the
//! caller keeps a [`BindBucket`] per port and uses [`get_port_explicit`];
//! [`port_usable_for_bind`] is the full scan alone.

/// State of a socket as the conflict test sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindState {
    /// `TCP_LISTEN`.
    Listen,
    /// `TCP_TIME_WAIT` (a timewait socket keeps its bind-bucket entry).
    TimeWait,
    /// Any other state (bound, connecting, established, closing...).
    Other,
}

/// What the bind conflict test needs to know about one socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BindSock {
    /// Bound address `sk_rcv_saddr`, wire order; `[0, 0, 0, 0]` is the
    /// wildcard.
    pub addr: [u8; 4],
    /// `sk_bound_dev_if` (SO_BINDTODEVICE); 0 when not bound to a device.
    pub dev: i32,
    /// `sk_reuse` (SO_REUSEADDR); a TIME_WAIT socket inherits it.
    pub reuse: bool,
    /// `sk_reuseport` (SO_REUSEPORT); a TIME_WAIT socket inherits it.
    pub reuseport: bool,
    /// `sock_i_uid()`: the uid of the socket's inode, or **0** when the
    /// socket has no `struct socket` (orphaned after close(), or a child
    /// not yet accepted). Not looked at for TIME_WAIT holders.
    pub uid: u32,
    /// Current state.
    pub state: BindState,
}

impl BindSock {
    /// A bound, non-listening socket without reuse flags, uid 0, no device.
    pub const fn new(addr: [u8; 4]) -> Self {
        Self {
            addr,
            dev: 0,
            reuse: false,
            reuseport: false,
            uid: 0,
            state: BindState::Other,
        }
    }
}

/// The wildcard address `INADDR_ANY`.
pub const INADDR_ANY: [u8; 4] = [0, 0, 0, 0];

/// `ipv4_rcv_saddr_equal(a, b, false, true, true)` as used by
/// `inet_rcv_saddr_equal(sk, sk2, match_wildcard = true)`: equal, or
/// either is the wildcard.
#[inline]
pub fn addr_overlap(a: [u8; 4], b: [u8; 4]) -> bool {
    a == b || a == INADDR_ANY || b == INADDR_ANY
}

/// Linux `inet_bind_conflict(sk, sk2, uid, relax, reuseport_cb_ok = true,
/// reuseport_ok)`: the device and flag part of the test, without the
/// address overlap.
fn flags_conflict(sk: &BindSock, sk2: &BindSock, relax: bool, reuseport_ok: bool) -> bool {
    let dev_overlap = sk.dev == 0 || sk2.dev == 0 || sk.dev == sk2.dev;
    if !dev_overlap {
        return false;
    }
    // uid_eq(sk_uid, sock_i_uid(sk2)) is only evaluated for non-TIME_WAIT
    // holders, which is why TIME_WAIT ignores uid.
    let tw_or_same_uid = sk2.state == BindState::TimeWait || sk.uid == sk2.uid;
    if sk.reuse && sk2.reuse && sk2.state != BindState::Listen {
        !relax || (!reuseport_ok && sk.reuseport && sk2.reuseport && tw_or_same_uid)
    } else {
        !reuseport_ok || !sk.reuseport || !sk2.reuseport || !tw_or_same_uid
    }
}

/// True when `sk` may not share a port with `sk2` (see the module docs):
/// `inet_bind_conflict()` together with the wildcard-matching address
/// overlap test of `inet_csk_bind_conflict()`/`inet_bhash2_conflict()`.
///
/// `sk` is the socket being bound; `sk2` must be a different socket (Linux
/// skips `sk == sk2`).
pub fn bind_conflict(sk: &BindSock, sk2: &BindSock, relax: bool, reuseport_ok: bool) -> bool {
    flags_conflict(sk, sk2, relax, reuseport_ok) && addr_overlap(sk.addr, sk2.addr)
}

/// True when `sk` conflicts with any of `owners` (all other sockets bound
/// to the port in this namespace, TIME_WAIT ones included).
pub fn any_bind_conflict(
    sk: &BindSock,
    owners: &[BindSock],
    relax: bool,
    reuseport_ok: bool,
) -> bool {
    owners
        .iter()
        .any(|sk2| bind_conflict(sk, sk2, relax, reuseport_ok))
}

/// The full conflict scan `inet_csk_get_port()` runs for an explicit port
/// (`relax = true, reuseport_ok = true`): true when `new` may bind next to
/// `owners`. Linux may skip this scan (see [`get_port_explicit`]).
pub fn port_usable_for_bind(new: &BindSock, owners: &[BindSock]) -> bool {
    !any_bind_conflict(new, owners, true, true)
}

/// The test `inet_csk_find_open_port()` applies to each candidate port
/// (`relax = false, reuseport_ok = false`): usable only when no owner
/// overlaps `new` in device and address, whatever the reuse flags.
pub fn port_usable_for_autobind(new: &BindSock, owners: &[BindSock]) -> bool {
    !any_bind_conflict(new, owners, false, false)
}

/// The re-check `listen()` makes on an already bound port
/// (`inet_csk_listen_start()` sets `TCP_LISTEN`, then calls
/// `inet_csk_get_port(sk, inet_num)`): the explicit-port scan with `new`
/// now listening, against every *other* owner of the port.
///
/// `new`'s own state does not enter the flag test, but other listeners do:
/// two SO_REUSEADDR sockets may share a port while bound, but the second
/// `listen()` fails with EADDRINUSE. The listening socket also cannot take
/// the `fastreuse` shortcut (`reuse` is false in LISTEN); the
/// `sk_reuseport_match()` one still applies, see [`get_port_explicit`].
pub fn usable_for_listen(new: &BindSock, others: &[BindSock]) -> bool {
    port_usable_for_bind(new, others)
}

/// `tb->fastreuseport` value set when the bucket was empty.
pub const FASTREUSEPORT_ANY: i8 = 1;
/// `tb->fastreuseport` value after a reset by a non-matching socket.
pub const FASTREUSEPORT_STRICT: i8 = 2;

/// The shortcut state of a port's `struct inet_bind_bucket`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BindBucket {
    /// `tb->fastreuse`: > 0 when every owner had SO_REUSEADDR and was not
    /// listening; -1 for buckets created by `connect()`.
    pub fastreuse: i8,
    /// `tb->fastreuseport`: 0, [`FASTREUSEPORT_ANY`],
    /// [`FASTREUSEPORT_STRICT`], or -1 for buckets created by `connect()`.
    pub fastreuseport: i8,
    /// `tb->fastuid`.
    pub fastuid: u32,
    /// `tb->fast_rcv_saddr`, wire order.
    pub fast_rcv_saddr: [u8; 4],
}

impl BindBucket {
    /// A bucket made by `bind()`/`listen()` (`inet_bind_bucket_create()`:
    /// both fast fields 0).
    pub const fn new() -> Self {
        Self {
            fastreuse: 0,
            fastreuseport: 0,
            fastuid: 0,
            fast_rcv_saddr: INADDR_ANY,
        }
    }

    /// A bucket made by `__inet_hash_connect()`, which sets both fast
    /// fields to -1 (and later skips ports whose bucket has either >= 0).
    pub const fn new_for_connect() -> Self {
        Self {
            fastreuse: -1,
            fastreuseport: -1,
            fastuid: 0,
            fast_rcv_saddr: INADDR_ANY,
        }
    }

    /// Linux `sk_reuseport_match(tb, sk)`, for a socket not yet in a
    /// reuseport group (`sk_reuseport_cb == NULL`, always the case at
    /// bind time).
    pub fn reuseport_match(&self, sk: &BindSock) -> bool {
        if self.fastreuseport <= 0 || !sk.reuseport || self.fastuid != sk.uid {
            return false;
        }
        if self.fastreuseport == FASTREUSEPORT_ANY {
            return true;
        }
        // ipv4_rcv_saddr_equal(tb->fast_rcv_saddr, sk->sk_rcv_saddr,
        // ipv6_only_sock(sk), match_sk1_wildcard = true, false): only the
        // bucket's address acts as a wildcard.
        self.fast_rcv_saddr == sk.addr || self.fast_rcv_saddr == INADDR_ANY
    }

    /// Linux `inet_csk_update_fastreuse(tb, sk)`, run after `sk` got the
    /// port. `bhash2_empty` is `hlist_empty(&tb->bhash2)`; from
    /// `inet_csk_get_port()` in 6.12.117 it is always **false** (the
    /// `bhash2` bucket is created and linked first).
    pub fn update_fastreuse(&mut self, sk: &BindSock, bhash2_empty: bool) {
        let reuse = sk.reuse && sk.state != BindState::Listen;
        if bhash2_empty {
            self.fastreuse = i8::from(reuse);
            if sk.reuseport {
                self.set_fast(FASTREUSEPORT_ANY, sk);
            } else {
                self.fastreuseport = 0;
            }
        } else {
            if !reuse {
                self.fastreuse = 0;
            }
            if sk.reuseport {
                // "reset our tb's reuseport settings so that any subsequent
                // sockets that match our current socket will be put on the
                // fast path."
                if !self.reuseport_match(sk) {
                    self.set_fast(FASTREUSEPORT_STRICT, sk);
                }
            } else {
                self.fastreuseport = 0;
            }
        }
    }

    fn set_fast(&mut self, mode: i8, sk: &BindSock) {
        self.fastreuseport = mode;
        self.fastuid = sk.uid;
        self.fast_rcv_saddr = sk.addr;
    }
}

impl Default for BindBucket {
    fn default() -> Self {
        Self::new()
    }
}

/// Linux `inet_csk_get_port(sk, snum)` for `snum != 0` (explicit `bind()`
/// and the `listen()` re-check): true when `new` gets the port.
///
/// `bucket` is the port's bind bucket (`None` when the port has none, in
/// which case there are no owners and Linux creates one); `owners` are all
/// other sockets bound to the port. On success the caller must run
/// `bucket.update_fastreuse(new, false)` (on a [`BindBucket::new`] bucket
/// if there was none) and add `new` to the owners.
///
/// `SK_FORCE_REUSE` (kernel-internal) is not modelled.
pub fn get_port_explicit(bucket: Option<&BindBucket>, new: &BindSock, owners: &[BindSock]) -> bool {
    get_port_explicit_with(bucket, new, !owners.is_empty(), || port_usable_for_bind(new, owners))
}

/// [`get_port_explicit`] with the owners scan given lazily: `usable` is
/// [`port_usable_for_bind`] over the port's owners, run only when the
/// bucket's fast-reuse state does not decide (so a caller with many owners
/// need not gather them).
pub fn get_port_explicit_with(bucket: Option<&BindBucket>, new: &BindSock, has_owners: bool, usable: impl FnOnce() -> bool) -> bool {
    // reuse = sk->sk_reuse && sk->sk_state != TCP_LISTEN
    let reuse = new.reuse && new.state != BindState::Listen;
    let skip_check = match bucket {
        Some(tb) if has_owners => (tb.fastreuse > 0 && reuse) || tb.reuseport_match(new),
        _ => false,
    };
    skip_check || usable()
}

/// `AF_UNSPEC`.
pub const AF_UNSPEC: u16 = 0;
/// `AF_INET`.
pub const AF_INET: u16 = 2;
/// `sizeof(struct sockaddr_in)`.
pub const SOCKADDR_IN_LEN: usize = 16;

/// The route type of the address being bound
/// (`inet_addr_type_table(net, addr, tb_id)`, see [`fixed_addr_kind`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrKind {
    /// `RTN_LOCAL`: one of this host's addresses.
    Local,
    /// `RTN_MULTICAST`.
    Multicast,
    /// `RTN_BROADCAST` (including 0.0.0.0/8 and 255.255.255.255).
    Broadcast,
    /// `INADDR_ANY` (Linux reports `RTN_BROADCAST` for it; either way it
    /// is accepted by value).
    Any,
    /// Anything else (`RTN_UNICAST`, ...): not bindable without
    /// `ip_nonlocal_bind`/IP_FREEBIND/IP_TRANSPARENT.
    Other,
}

/// The route types `__inet_dev_addr_type()` decides before consulting the
/// local routing table: 0.0.0.0 is [`AddrKind::Any`], the rest of
/// 0.0.0.0/8 and 255.255.255.255 are broadcast, 224.0.0.0/4 multicast.
/// `None` means "look it up in the local table" (`RTN_LOCAL` for our own
/// addresses, `RTN_BROADCAST` for subnet broadcasts, else
/// [`AddrKind::Other`]).
pub fn fixed_addr_kind(addr: [u8; 4]) -> Option<AddrKind> {
    match addr {
        INADDR_ANY => Some(AddrKind::Any),
        [0, ..] | [255, 255, 255, 255] => Some(AddrKind::Broadcast),
        [224..=239, ..] => Some(AddrKind::Multicast),
        _ => None,
    }
}

/// Why `bind()` is refused before any port is looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindError {
    /// `EINVAL`: address too short, or the socket is already bound / not
    /// closed.
    Inval,
    /// `EAFNOSUPPORT`: not AF_INET (AF_UNSPEC only with INADDR_ANY).
    AfNoSupport,
    /// `EADDRNOTAVAIL`: not a local, multicast or broadcast address and
    /// non-local binds are not allowed.
    AddrNotAvail,
    /// `EACCES`: privileged port without CAP_NET_BIND_SERVICE.
    Access,
}

/// The checks of `inet_bind_sk()` and `__inet_bind()` in their order,
/// before the port itself is taken:
///
/// 1. `addr_len < sizeof(struct sockaddr_in)` → `EINVAL` (lengths outside
///    `0..=128` were already refused with `EINVAL` by the generic
///    `move_addr_to_kernel()`);
/// 2. `sin_family != AF_INET`: `EAFNOSUPPORT`, unless it is `AF_UNSPEC`
///    with `INADDR_ANY`;
/// 3. `inet_addr_valid_or_nonlocal()`: `nonlocal_ok` (`ip_nonlocal_bind`,
///    IP_FREEBIND or IP_TRANSPARENT), `INADDR_ANY`, or a local, multicast
///    or broadcast address, else `EADDRNOTAVAIL`;
/// 4. `port != 0 && port < unpriv_port_start` (`ip_unprivileged_port_start`,
///    `inet_port_requires_bind_service()`) without `can_bind_service`
///    (CAP_NET_BIND_SERVICE in the netns' user namespace) → `EACCES`;
/// 5. `already_bound` (`sk_state != TCP_CLOSE || inet_num != 0`) →
///    `EINVAL`.
///
/// `addr` is wire order and `port` host order (`ntohs(sin_port)`).
#[allow(clippy::too_many_arguments)] // one argument per kernel input, in order
pub fn check_bind(
    addr_len: usize,
    sin_family: u16,
    addr: [u8; 4],
    port: u16,
    addr_kind: AddrKind,
    nonlocal_ok: bool,
    can_bind_service: bool,
    unpriv_port_start: u16,
    already_bound: bool,
) -> Result<(), BindError> {
    if addr_len < SOCKADDR_IN_LEN {
        return Err(BindError::Inval);
    }
    if sin_family != AF_INET && (sin_family != AF_UNSPEC || addr != INADDR_ANY) {
        // "Compatibility games : accept AF_UNSPEC (mapped to AF_INET) only
        // if s_addr is INADDR_ANY."
        return Err(BindError::AfNoSupport);
    }
    let valid = nonlocal_ok
        || addr == INADDR_ANY
        || matches!(
            addr_kind,
            AddrKind::Local | AddrKind::Multicast | AddrKind::Broadcast
        );
    if !valid {
        return Err(BindError::AddrNotAvail);
    }
    if port != 0 && port < unpriv_port_start && !can_bind_service {
        return Err(BindError::Access);
    }
    if already_bound {
        return Err(BindError::Inval);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    const ANY: [u8; 4] = INADDR_ANY;
    const LO: [u8; 4] = [127, 0, 0, 1];
    const TEN: [u8; 4] = [10, 0, 0, 1];

    #[derive(Clone, Copy, Debug)]
    struct Flags {
        reuse: bool,
        reuseport: bool,
    }
    const NONE: Flags = Flags {
        reuse: false,
        reuseport: false,
    };
    const RA: Flags = Flags {
        reuse: true,
        reuseport: false,
    };
    const RP: Flags = Flags {
        reuse: false,
        reuseport: true,
    };
    const BOTH: Flags = Flags {
        reuse: true,
        reuseport: true,
    };

    fn sock(addr: [u8; 4], f: Flags, uid: u32, state: BindState) -> BindSock {
        BindSock {
            addr,
            dev: 0,
            reuse: f.reuse,
            reuseport: f.reuseport,
            uid,
            state,
        }
    }

    /// The rule as the reference document words it, written independently
    /// of the Linux-shaped code: conflict when device and address overlap
    /// and neither "both SO_REUSEADDR, holder not listening" nor "both
    /// SO_REUSEPORT, holder TIME_WAIT or same uid" holds.
    fn doc_rule(new: &BindSock, h: &BindSock) -> bool {
        let overlap = new.addr == h.addr || new.addr == ANY || h.addr == ANY;
        let dev = new.dev == 0 || h.dev == 0 || new.dev == h.dev;
        let by_addr = new.reuse && h.reuse && h.state != BindState::Listen;
        let by_port =
            new.reuseport && h.reuseport && (h.state == BindState::TimeWait || h.uid == new.uid);
        overlap && dev && !(by_addr || by_port)
    }

    #[test]
    fn explicit_bind_matrix() {
        let addrs = [ANY, LO, TEN];
        let flags = [NONE, RA, RP, BOTH];
        let states = [BindState::Other, BindState::Listen, BindState::TimeWait];
        let mut n = 0;
        for ha in addrs {
            for na in addrs {
                for hf in flags {
                    for nf in flags {
                        for hs in states {
                            for nuid in [1000, 1001] {
                                let h = sock(ha, hf, 1000, hs);
                                let new = sock(na, nf, nuid, BindState::Other);
                                let want = !doc_rule(&new, &h);
                                assert_eq!(
                                    port_usable_for_bind(&new, &[h]),
                                    want,
                                    "holder {h:?} new {new:?}"
                                );
                                // Without shortcuts get_port agrees.
                                assert_eq!(get_port_explicit(None, &new, &[h]), want);
                                n += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(n, 9 * 16 * 3 * 2);
    }

    /// Hand-derived rows, each explained from `inet_bind_conflict()`.
    #[test]
    fn explicit_bind_rows() {
        use BindState::{Listen, Other, TimeWait};
        // (holder addr, holder flags, holder state, new addr, new flags,
        //  same uid, usable)
        type Row = ([u8; 4], Flags, BindState, [u8; 4], Flags, bool, bool);
        let rows: &[Row] = &[
            // Wildcard holder overlaps every address; no flags: conflict.
            (ANY, NONE, Other, LO, NONE, true, false),
            (LO, NONE, Other, ANY, NONE, true, false),
            // Different specific addresses never overlap.
            (LO, NONE, Listen, TEN, NONE, false, true),
            // Both SO_REUSEADDR and holder only bound: first branch, relax
            // → no conflict.
            (ANY, RA, Other, LO, RA, false, true),
            (LO, RA, Other, LO, RA, false, true),
            // Holder listening: falls to the else branch, no SO_REUSEPORT →
            // conflict.
            (LO, RA, Listen, LO, RA, true, false),
            (ANY, RA, Listen, TEN, RA, true, false),
            // Only the new socket has SO_REUSEADDR: conflict.
            (LO, NONE, Other, LO, RA, true, false),
            // SO_REUSEPORT on both, same uid: fine even with a listener.
            (LO, RP, Listen, LO, RP, true, true),
            (ANY, RP, Other, TEN, RP, true, true),
            // ... different uid: conflict, unless the holder is TIME_WAIT.
            (LO, RP, Listen, LO, RP, false, false),
            (LO, RP, Other, LO, RP, false, false),
            (LO, RP, TimeWait, LO, RP, false, true),
            // Both flags, different uid: SO_REUSEADDR saves a bound holder,
            // not a listening one.
            (LO, BOTH, Other, LO, BOTH, false, true),
            (LO, BOTH, Listen, LO, BOTH, false, false),
            (LO, BOTH, Listen, LO, BOTH, true, true),
            // TIME_WAIT holder without flags still blocks a plain bind.
            (LO, NONE, TimeWait, LO, NONE, true, false),
            (LO, RA, TimeWait, LO, RA, false, true),
        ];
        for &(ha, hf, hs, na, nf, same, want) in rows {
            let h = sock(ha, hf, 1000, hs);
            let new = sock(na, nf, if same { 1000 } else { 1001 }, BindState::Other);
            assert_eq!(port_usable_for_bind(&new, &[h]), want, "{h:?} {new:?}");
        }
    }

    #[test]
    fn devices() {
        let mut h = sock(LO, NONE, 0, BindState::Other);
        let mut new = h;
        h.dev = 2;
        new.dev = 3;
        assert!(port_usable_for_bind(&new, &[h]));
        assert!(port_usable_for_autobind(&new, &[h]));
        new.dev = 2;
        assert!(!port_usable_for_bind(&new, &[h]));
        new.dev = 0;
        assert!(!port_usable_for_bind(&new, &[h]));
    }

    #[test]
    fn autobind_never_shares() {
        for f in [NONE, RA, RP, BOTH] {
            for s in [BindState::Other, BindState::Listen, BindState::TimeWait] {
                let h = sock(ANY, f, 0, s);
                let new = sock(LO, f, 0, BindState::Other);
                assert!(!port_usable_for_autobind(&new, &[h]));
                let h = sock(TEN, f, 0, s);
                assert!(port_usable_for_autobind(&new, &[h]));
            }
        }
        assert!(port_usable_for_autobind(
            &sock(ANY, NONE, 0, BindState::Other),
            &[]
        ));
    }

    #[test]
    fn listen_recheck() {
        // Two SO_REUSEADDR sockets share 127.0.0.1:p while bound...
        let a = sock(LO, RA, 1000, BindState::Other);
        let b = sock(LO, RA, 1000, BindState::Other);
        assert!(port_usable_for_bind(&b, &[a]));
        // ...the first listen() is fine (the other is only bound)...
        let a_listen = BindSock {
            state: BindState::Listen,
            ..a
        };
        assert!(usable_for_listen(&a_listen, &[b]));
        // ...the second gets EADDRINUSE.
        let b_listen = BindSock {
            state: BindState::Listen,
            ..b
        };
        assert!(!usable_for_listen(&b_listen, &[a_listen]));
        // With SO_REUSEPORT and the same uid both may listen.
        let a = sock(LO, RP, 1000, BindState::Listen);
        let b = sock(LO, RP, 1000, BindState::Listen);
        assert!(usable_for_listen(&b, &[a]));
    }

    #[test]
    fn fastreuse_is_never_set_in_6_12_117() {
        let mut tb = BindBucket::new();
        let a = sock(LO, RA, 1000, BindState::Other);
        // inet_csk_get_port always passes a non-empty bhash2.
        tb.update_fastreuse(&a, false);
        assert_eq!(tb.fastreuse, 0);
        assert_eq!(tb.fastreuseport, 0);
        // Had bhash2 been empty (older kernels), fastreuse would be 1.
        let mut old = BindBucket::new();
        old.update_fastreuse(&a, true);
        assert_eq!(old.fastreuse, 1);
    }

    #[test]
    fn reuseport_bucket_states() {
        let mut tb = BindBucket::new();
        let a = sock(LO, RP, 1000, BindState::Other);
        tb.update_fastreuse(&a, false);
        assert_eq!(tb.fastreuseport, FASTREUSEPORT_STRICT);
        assert_eq!((tb.fastuid, tb.fast_rcv_saddr), (1000, LO));
        // Same uid and address: match.
        assert!(tb.reuseport_match(&sock(LO, RP, 1000, BindState::Other)));
        // Wildcard new socket does not match a specific fast address.
        assert!(!tb.reuseport_match(&sock(ANY, RP, 1000, BindState::Other)));
        assert!(!tb.reuseport_match(&sock(LO, RP, 1001, BindState::Other)));
        assert!(!tb.reuseport_match(&sock(LO, RA, 1000, BindState::Other)));
        // A socket without SO_REUSEPORT clears it.
        tb.update_fastreuse(&sock(TEN, NONE, 1000, BindState::Other), false);
        assert_eq!(tb.fastreuseport, 0);
        assert!(!tb.reuseport_match(&a));
        // ANY (only reachable with an empty bhash2) ignores addresses.
        let mut any = BindBucket::new();
        any.update_fastreuse(&a, true);
        assert_eq!(any.fastreuseport, FASTREUSEPORT_ANY);
        assert!(any.reuseport_match(&sock(TEN, RP, 1000, BindState::Other)));
        // Connect buckets never match.
        assert!(!BindBucket::new_for_connect().reuseport_match(&a));
        assert_eq!(BindBucket::default(), BindBucket::new());
    }

    /// The divergence described in the module docs, step by step.
    #[test]
    fn strict_reuseport_shortcut_skips_conflicting_owner() {
        let t = sock(TEN, BOTH, 2, BindState::Other);
        let s = sock(ANY, BOTH, 1, BindState::Other);
        let n = sock(TEN, RP, 1, BindState::Other);

        // T binds first: bucket created, STRICT(uid 2, 10.0.0.1).
        assert!(get_port_explicit(None, &t, &[]));
        let mut tb = BindBucket::new();
        tb.update_fastreuse(&t, false);
        // S (uid 1, wildcard) passes the scan thanks to SO_REUSEADDR on
        // both, and resets the bucket to STRICT(uid 1, 0.0.0.0).
        assert!(!tb.reuseport_match(&s));
        assert!(get_port_explicit(Some(&tb), &s, &[t]));
        tb.update_fastreuse(&s, false);
        assert_eq!((tb.fastuid, tb.fast_rcv_saddr), (1, ANY));
        // N (uid 1, 10.0.0.1, SO_REUSEPORT only) would conflict with T
        // (different uid, N lacks SO_REUSEADDR)...
        assert!(!port_usable_for_bind(&n, &[t, s]));
        // ...but sk_reuseport_match() lets Linux skip the scan.
        assert!(get_port_explicit(Some(&tb), &n, &[t, s]));
    }

    #[test]
    fn fixed_kinds() {
        assert_eq!(fixed_addr_kind(ANY), Some(AddrKind::Any));
        assert_eq!(fixed_addr_kind([0, 1, 2, 3]), Some(AddrKind::Broadcast));
        assert_eq!(fixed_addr_kind([255; 4]), Some(AddrKind::Broadcast));
        assert_eq!(fixed_addr_kind([224, 0, 0, 1]), Some(AddrKind::Multicast));
        assert_eq!(
            fixed_addr_kind([239, 255, 255, 255]),
            Some(AddrKind::Multicast)
        );
        assert_eq!(fixed_addr_kind([240, 0, 0, 1]), None);
        assert_eq!(fixed_addr_kind(LO), None);
    }

    #[test]
    fn bind_argument_checks_in_order() {
        use AddrKind::*;
        use BindError::*;
        let ok = |len, fam, addr, port, kind, nl, cap, start, bound| {
            check_bind(len, fam, addr, port, kind, nl, cap, start, bound)
        };
        // EINVAL for a short address beats everything else.
        assert_eq!(
            ok(15, 99, TEN, 80, Other, false, false, 1024, true),
            Err(Inval)
        );
        assert_eq!(
            ok(0, AF_INET, ANY, 0, Any, false, false, 1024, false),
            Err(Inval)
        );
        // Family.
        assert_eq!(
            ok(16, 10, ANY, 0, Any, false, false, 1024, false),
            Err(AfNoSupport)
        );
        assert_eq!(
            ok(16, AF_UNSPEC, LO, 0, Local, false, false, 1024, false),
            Err(AfNoSupport)
        );
        assert_eq!(
            ok(16, AF_UNSPEC, ANY, 0, Any, false, false, 1024, false),
            Ok(())
        );
        // Family beats the address check.
        assert_eq!(
            ok(16, 10, TEN, 80, Other, false, false, 1024, true),
            Err(AfNoSupport)
        );
        // Address validity.
        assert_eq!(
            ok(16, AF_INET, TEN, 80, Other, false, false, 1024, true),
            Err(AddrNotAvail)
        );
        assert_eq!(
            ok(16, AF_INET, TEN, 5000, Other, true, false, 1024, false),
            Ok(())
        );
        for kind in [Local, Multicast, Broadcast] {
            assert_eq!(
                ok(16, AF_INET, TEN, 5000, kind, false, false, 1024, false),
                Ok(())
            );
        }
        // INADDR_ANY is accepted by value, whatever kind the caller found.
        assert_eq!(
            ok(16, AF_INET, ANY, 5000, Other, false, false, 1024, false),
            Ok(())
        );
        // EACCES before "already bound".
        assert_eq!(
            ok(16, AF_INET, LO, 80, Local, false, false, 1024, true),
            Err(Access)
        );
        assert_eq!(
            ok(16, AF_INET, LO, 80, Local, false, true, 1024, false),
            Ok(())
        );
        assert_eq!(
            ok(16, AF_INET, LO, 1024, Local, false, false, 1024, false),
            Ok(())
        );
        assert_eq!(
            ok(16, AF_INET, LO, 0, Local, false, false, 1024, false),
            Ok(())
        );
        assert_eq!(
            ok(16, AF_INET, LO, 80, Local, false, false, 0, false),
            Ok(())
        );
        // Already bound last.
        assert_eq!(
            ok(16, AF_INET, LO, 0, Local, false, false, 1024, true),
            Err(Inval)
        );
        assert_eq!(
            ok(128, AF_INET, LO, 8080, Local, false, false, 1024, false),
            Ok(())
        );
    }

    #[test]
    fn several_owners() {
        let owners: Vec<BindSock> = [
            sock(LO, RA, 1, BindState::Other),
            sock(TEN, NONE, 1, BindState::Listen),
        ]
        .to_vec();
        assert!(port_usable_for_bind(
            &sock(LO, RA, 2, BindState::Other),
            &owners
        ));
        assert!(!port_usable_for_bind(
            &sock(ANY, RA, 2, BindState::Other),
            &owners
        ));
        assert!(port_usable_for_bind(
            &sock([10, 0, 0, 2], NONE, 2, BindState::Other),
            &owners
        ));
    }
}
