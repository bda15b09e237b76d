// SPDX-License-Identifier: GPL-2.0

//! The per-netns hash tables, as `net/ipv4/inet_hashtables.c` keeps them:
//!
//! - `bhash`: bound socks by local port. A bucket holds every sock bound to
//!   any port hashing there, with its bound address; conflict checks and the
//!   listener lookup read only the buckets of one port. (Linux adds bhash2,
//!   keyed by port and address; with the few owners a port has here, one
//!   bucket walk gives the same answers.)
//! - `ehash`: connections by 4-tuple: request socks (the SYN queue, state
//!   NEW_SYN_RECV in Linux) and established socks.
//!
//! Both live under one BH spinlock per netns ([`Hashinfo`], which the
//! netns state and every timewait sock hold). Inserting may allocate
//! (GFP_ATOMIC), as Linux's bind buckets do. The timewait socks' table
//! operations (their timer, kill, purge) are here too, as
//! inet_timewait_sock.c keeps them.

use crate::proto::inet_hash_connect::{hash_connect_port, perturb_index, PortCheck, INET_TABLE_PERTURB_SIZE};
use crate::proto::inet_hashtables::BindBucket;
use crate::proto::secure_seq::{ephemeral_timeseed, secure_ipv4_port_ephemeral};
use crate::sys::net::{Net, NetData, Sysctl};
use core::sync::atomic::{AtomicU32, Ordering};
use crate::proto::siphash::{siphash_3u32, SipKey};
use crate::inet_timewait_sock::TimeWait;
use crate::proto::inet_hash_connect::{tcp_twsk_unique, TwReuse};
use crate::proto::tcp_states::TCP_LISTEN;
use crate::request_sock::RequestSock;
use crate::sys::kvec::swap_remove;
use crate::sys::lock::SpinLockBh;
use crate::sys::timer::{self, TimerHandler};
use crate::tcp_sock::{FourTuple, SockRef, TcpSk};
use kernel::alloc::KVec;
use kernel::prelude::*;
use kernel::sync::Arc;

/// The tables of a netns and their lock (`inet_hashinfo`).
pub(crate) type Hashinfo = SpinLockBh<Tables>;
/// Timewait socks, hashed in a [`Hashinfo`].
pub(crate) type Tw = TimeWait<Hashinfo>;

const BHASH_SIZE: usize = 256;
const EHASH_SIZE: usize = 1024;

/// A sock holding a local port.
pub(crate) struct BindEntry {
    /// `inet_rcv_saddr`: 0.0.0.0 for a wildcard bind.
    pub(crate) addr: [u8; 4],
    pub(crate) sk: SockRef,
}

/// One port's `inet_bind_bucket`: its fast-reuse state and its owners.
/// It exists while the port has owners.
pub(crate) struct PortBucket {
    pub(crate) port: u16,
    pub(crate) tb: BindBucket,
    pub(crate) owners: KVec<BindEntry>,
    /// Timewait socks holding the port (`tb->owners` keeps them too).
    pub(crate) tw: KVec<Arc<Tw>>,
}

/// What a 4-tuple leads to.
#[derive(Clone)]
pub(crate) enum Ehash {
    /// A request sock: a SYN answered, the final ACK not yet seen.
    Req(Arc<RequestSock>),
    /// A synchronised connection's sock.
    Est(SockRef),
    /// A connection in TIME_WAIT (or an orphan's FIN_WAIT2).
    Tw(Arc<Tw>),
}

struct EhashEntry {
    key: FourTuple,
    ent: Ehash,
}

/// The tables of one netns.
pub(crate) struct Tables {
    bhash: KVec<KVec<PortBucket>>,
    ehash: KVec<KVec<EhashEntry>>,
    hash_key: SipKey,
}

impl Tables {
    pub(crate) fn new(hash_key: SipKey) -> Result<Self> {
        let mut bhash = KVec::with_capacity(BHASH_SIZE, GFP_KERNEL)?;
        for _ in 0..BHASH_SIZE {
            bhash.push(KVec::new(), GFP_KERNEL)?;
        }
        let mut ehash = KVec::with_capacity(EHASH_SIZE, GFP_KERNEL)?;
        for _ in 0..EHASH_SIZE {
            ehash.push(KVec::new(), GFP_KERNEL)?;
        }
        Ok(Self {
            bhash,
            ehash,
            hash_key,
        })
    }

    fn bbucket(port: u16) -> usize {
        usize::from(port) % BHASH_SIZE
    }

    /// `inet_ehashfn`: a keyed hash, so a peer cannot aim at one bucket.
    fn ebucket(&self, t: &FourTuple) -> usize {
        let ports = (u32::from(t.lport) << 16) | u32::from(t.rport);
        let h = siphash_3u32(u32::from_ne_bytes(t.laddr), u32::from_ne_bytes(t.raddr), ports, &self.hash_key);
        (h as usize) % EHASH_SIZE
    }

    /// The bind bucket of `port`, if the port has owners.
    pub(crate) fn port_bucket(&self, port: u16) -> Option<&PortBucket> {
        self.bhash[Self::bbucket(port)].iter().find(|b| b.port == port)
    }

    pub(crate) fn port_bucket_mut(&mut self, port: u16) -> Option<&mut PortBucket> {
        self.bhash[Self::bbucket(port)].iter_mut().find(|b| b.port == port)
    }

    /// The socks bound to `port`.
    pub(crate) fn port_owners(&self, port: u16) -> impl Iterator<Item = &BindEntry> {
        self.port_bucket(port).into_iter().flat_map(|b| b.owners.iter())
    }

    /// Records that `e.sk` holds `port`, creating the port's bucket if
    /// needed; `update` then sees the bucket (`inet_csk_update_fastreuse`).
    pub(crate) fn bind_insert(&mut self, port: u16, e: BindEntry, update: impl FnOnce(&mut BindBucket)) -> Result {
        self.bind_insert_with(port, e, BindBucket::new(), update)
    }

    /// [`Tables::bind_insert`], with `fresh` as the bucket if the port has
    /// none yet (`connect()` makes its buckets with both fast-reuse fields
    /// at -1).
    pub(crate) fn bind_insert_with(
        &mut self,
        port: u16,
        e: BindEntry,
        fresh: BindBucket,
        update: impl FnOnce(&mut BindBucket),
    ) -> Result {
        let chain = &mut self.bhash[Self::bbucket(port)];
        let i = match chain.iter().position(|b| b.port == port) {
            Some(i) => i,
            None => {
                chain.push(
                    PortBucket {
                        port,
                        tb: fresh,
                        owners: KVec::new(),
                        tw: KVec::new(),
                    },
                    GFP_ATOMIC,
                )?;
                chain.len() - 1
            }
        };
        let b = &mut chain[i];
        let r = b.owners.push(e, GFP_ATOMIC);
        if r.is_ok() {
            update(&mut b.tb);
        }
        if b.owners.is_empty() && b.tw.is_empty() {
            // A bucket created for nothing goes away again.
            let _ = swap_remove(chain, i);
        }
        Ok(r?)
    }

    /// Releases the port `sk` holds; the entry is returned so its sock
    /// reference is dropped after the lock. The last owner takes the
    /// bucket with it (`inet_bind_bucket_destroy`).
    pub(crate) fn bind_remove(&mut self, port: u16, sk: &TcpSk) -> Option<BindEntry> {
        let chain = &mut self.bhash[Self::bbucket(port)];
        let bi = chain.iter().position(|b| b.port == port)?;
        let owners = &mut chain[bi].owners;
        let i = owners.iter().position(|e| e.sk.id() == sk.id())?;
        let e = swap_remove(owners, i);
        if owners.is_empty() && chain[bi].tw.is_empty() {
            let _ = swap_remove(chain, bi);
        }
        e
    }

    /// Records that timewait sock `tw` holds `port` (whose bucket exists:
    /// the connection it replaces holds it).
    pub(crate) fn bind_add_tw(&mut self, port: u16, tw: Arc<Tw>) -> Result {
        let b = self.port_bucket_mut(port).ok_or(EINVAL)?;
        b.tw.push(tw, GFP_ATOMIC)?;
        Ok(())
    }

    /// Releases the port `tw` holds; the last holder takes the bucket.
    pub(crate) fn bind_remove_tw(&mut self, port: u16, tw: &Arc<Tw>) -> Option<Arc<Tw>> {
        let chain = &mut self.bhash[Self::bbucket(port)];
        let bi = chain.iter().position(|b| b.port == port)?;
        let i = chain[bi].tw.iter().position(|x| Arc::ptr_eq(x, tw))?;
        let e = swap_remove(&mut chain[bi].tw, i);
        if chain[bi].owners.is_empty() && chain[bi].tw.is_empty() {
            let _ = swap_remove(chain, bi);
        }
        e
    }

    /// The timewait socks holding `port`.
    pub(crate) fn port_tw(&self, port: u16) -> impl Iterator<Item = &Arc<Tw>> {
        self.port_bucket(port).into_iter().flat_map(|b| b.tw.iter())
    }

    /// Some timewait sock of the netns, if any is left (netns exit).
    pub(crate) fn any_tw(&self) -> Option<Arc<Tw>> {
        self.ehash.iter().flat_map(|b| b.iter()).find_map(|e| match &e.ent {
            Ehash::Tw(tw) => Some(tw.clone()),
            _ => None,
        })
    }

    /// `__inet_check_established()` for a connect() to `t`: free, or
    /// taken only by a timewait sock that `tcp_twsk_unique()` lets us
    /// recycle (returned, to be killed, with what the new connection takes
    /// from it). `None`: not unique.
    pub(crate) fn check_established(
        &self,
        t: &FourTuple,
        tw_reuse: u8,
        from_hash_connect: bool,
        now_secs: u32,
    ) -> Option<Option<(Arc<Tw>, TwReuse)>> {
        match self.ehash_lookup(t) {
            None => Some(None),
            Some(Ehash::Tw(tw)) => {
                let info = tw.state.lock().tw_info();
                tcp_twsk_unique(&info, tw_reuse, from_hash_connect, now_secs, false).map(|r| Some((tw, r)))
            }
            Some(_) => None,
        }
    }

    /// The listener a segment for `daddr:dport` goes to, as
    /// `__inet_lookup_listener` picks it: a listener bound to `daddr` beats
    /// a wildcard one; among equals, one bound to the incoming device beats
    /// an unbound one; a SO_REUSEPORT group is chosen from by `hash`.
    pub(crate) fn lookup_listener(&self, daddr: [u8; 4], dport: u16, iif: i32, hash: u32) -> Option<SockRef> {
        for pass_addr in [daddr, [0; 4]] {
            let mut best: Option<(&BindEntry, u32)> = None;
            let mut matches = 0u32;
            for e in self.port_owners(dport) {
                if e.addr != pass_addr || e.sk.state() != TCP_LISTEN {
                    continue;
                }
                let dev = e.sk.bound_dev_if();
                if dev != 0 && dev != iif {
                    continue;
                }
                let score = if dev != 0 { 2 } else { 1 };
                match best {
                    Some((_, s)) if s > score => (),
                    Some((_, s)) if s == score => matches += 1,
                    _ => {
                        best = Some((e, score));
                        matches = 1;
                    }
                }
            }
            let Some((first, score)) = best else { continue };
            if matches > 1 && first.sk.reuseport() {
                // reuseport_select_sock: reciprocal_scale(hash, n) over the
                // group, here the best-scoring reuseport listeners in bind
                // order.
                let pick = ((u64::from(hash) * u64::from(matches)) >> 32) as u32;
                let mut i = 0;
                for e in self.port_owners(dport) {
                    let dev = e.sk.bound_dev_if();
                    let s = if dev != 0 { 2 } else { 1 };
                    if e.addr == pass_addr
                        && e.sk.state() == TCP_LISTEN
                        && (dev == 0 || dev == iif)
                        && s == score
                    {
                        if i == pick && e.sk.reuseport() {
                            return Some(e.sk.clone());
                        }
                        i += 1;
                    }
                }
            }
            return Some(first.sk.clone());
        }
        None
    }

    /// The connection or request for `t`.
    pub(crate) fn ehash_lookup(&self, t: &FourTuple) -> Option<Ehash> {
        self.ehash[self.ebucket(t)]
            .iter()
            .find(|e| e.key == *t)
            .map(|e| e.ent.clone())
    }

    /// Adds `t`; fails with EADDRINUSE if the 4-tuple is taken.
    pub(crate) fn ehash_insert(&mut self, t: FourTuple, ent: Ehash) -> Result {
        let b = self.ebucket(&t);
        if self.ehash[b].iter().any(|e| e.key == t) {
            return Err(crate::sys::errno(crate::sys::bindings::EADDRINUSE));
        }
        self.ehash[b].push(EhashEntry { key: t, ent }, GFP_ATOMIC)?;
        Ok(())
    }

    /// Replaces the entry of `t` (a request turning into its child, as
    /// `inet_ehash_insert` with `osk` does); the old entry is returned.
    pub(crate) fn ehash_replace(&mut self, t: &FourTuple, ent: Ehash) -> Option<Ehash> {
        let b = self.ebucket(t);
        let e = self.ehash[b].iter_mut().find(|e| e.key == *t)?;
        Some(core::mem::replace(&mut e.ent, ent))
    }

    /// Removes `t` if `pred` accepts its entry.
    pub(crate) fn ehash_remove(&mut self, t: &FourTuple, pred: impl Fn(&Ehash) -> bool) -> Option<Ehash> {
        let b = self.ebucket(t);
        let i = self.ehash[b].iter().position(|e| e.key == *t && pred(&e.ent))?;
        swap_remove(&mut self.ehash[b], i).map(|e| e.ent)
    }

    /// Moves every request of `listener` out of the table into `out`
    /// (listener close). Stops early if `out` cannot grow; the caller
    /// repeats until nothing is left.
    pub(crate) fn drain_requests(&mut self, listener: &TcpSk, out: &mut KVec<Arc<RequestSock>>) -> bool {
        for b in self.ehash.iter_mut() {
            let mut i = 0;
            while i < b.len() {
                let mine = matches!(&b[i].ent, Ehash::Req(r) if r.listener.id() == listener.id());
                if !mine {
                    i += 1;
                    continue;
                }
                if out.len() == out.capacity() {
                    return false;
                }
                if let Some(EhashEntry { ent: Ehash::Req(r), .. }) = swap_remove(b, i) {
                    // Capacity checked above: cannot fail.
                    let _ = out.push(r, GFP_ATOMIC);
                }
            }
        }
        true
    }
}

/// `table_perturb[]`: one global table, as Linux keeps it, so successive
/// connects to one destination start their port search further on
/// (RFC 6056 algorithm 4). Racy updates are harmless, as in Linux.
static TABLE_PERTURB: [AtomicU32; INET_TABLE_PERTURB_SIZE] = [const { AtomicU32::new(0) }; INET_TABLE_PERTURB_SIZE];

/// Fills `table_perturb[]` with random values (Linux does it on the first
/// connect; module load is our first chance).
pub(crate) fn init_table_perturb() {
    for slot in TABLE_PERTURB.iter() {
        slot.store(crate::sys::random_u32(), Ordering::Relaxed);
    }
}

/// `inet_hash_connect()` under the tables lock: the local port of a
/// connect() from `saddr` to `daddr:dport`, with `sk` hashed into the
/// ehash (and, for a searched port, into the port's bind bucket).
///
/// A socket with a port already (`bound`, from bind()) keeps it if the
/// 4-tuple is unique (`__inet_check_established`); otherwise the search of
/// `__inet_hash_connect` runs over `ip_local_port_range`, skipping
/// reserved ports and ports bind() holds, sharing ports that earlier
/// connects hold when the 4-tuple differs. EADDRNOTAVAIL when nothing is
/// left.
#[allow(clippy::too_many_arguments)]
pub(crate) fn inet_hash_connect<N: NetData>(
    t: &mut Tables,
    net: &Net<N>,
    seq_key: &SipKey,
    sk: &TcpSk,
    saddr: [u8; 4],
    daddr: [u8; 4],
    dport: u16,
    bound: u16,
) -> Result<(u16, Option<TwReuse>)> {
    let tuple = |lport| FourTuple {
        laddr: saddr,
        lport,
        raddr: daddr,
        rport: dport,
    };
    let not_avail = || crate::sys::errno(crate::sys::bindings::EADDRNOTAVAIL);
    let tw_reuse = u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_TW_REUSE)).unwrap_or(2);
    let now_secs = crate::tcp_sock::now().secs;
    if bound != 0 {
        let Some(recycle) = t.check_established(&tuple(bound), tw_reuse, false, now_secs) else {
            return Err(not_avail());
        };
        let reuse = recycle_tw(t, recycle);
        t.ehash_insert(tuple(bound), Ehash::Est(sk.into()))?;
        return Ok((bound, reuse));
    }
    let low = u16::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_PORT_LOW)).map_err(|_| EINVAL)?;
    let high = u16::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_PORT_HIGH)).map_err(|_| EINVAL)?;
    let (j, hz) = crate::sys::jiffies64();
    let offset = secure_ipv4_port_ephemeral(saddr, daddr, dport, seq_key, ephemeral_timeseed(j, hz));
    let slot = &TABLE_PERTURB[perturb_index(offset)];
    let found = {
        let t: &Tables = t;
        hash_connect_port(
            low,
            high,
            false,
            offset,
            slot.load(Ordering::Relaxed),
            || crate::sys::random_u32() as u8,
            |p| {
                PortCheck::classify(net.port_reserved(p), t.port_bucket(p).map(|b| &b.tb), || {
                    t.check_established(&tuple(p), tw_reuse, true, now_secs).is_some()
                })
            },
        )
    }
    .ok_or_else(not_avail)?;
    let port = found.port;
    let recycle = t.check_established(&tuple(port), tw_reuse, true, now_secs).flatten();
    let reuse = recycle_tw(t, recycle);
    let entry = BindEntry {
        addr: saddr,
        sk: sk.into(),
    };
    t.bind_insert_with(port, entry, BindBucket::new_for_connect(), |_| ())?;
    if let Err(e) = t.ehash_insert(tuple(port), Ehash::Est(sk.into())) {
        // Cannot be taken (checked under this lock): only allocation fails.
        // The entry goes back; the lock-held put is not the last reference
        // (the caller holds the sock).
        drop(t.bind_remove(port, sk));
        return Err(e);
    }
    slot.store(slot.load(Ordering::Relaxed).wrapping_add(found.perturb_add), Ordering::Relaxed);
    Ok((port, reuse))
}

/// Kills the timewait sock a connect() recycles (`inet_twsk_deschedule_put`
/// in `__inet_check_established`), returning what the new connection takes
/// from it.
fn recycle_tw(t: &mut Tables, r: Option<(Arc<Tw>, TwReuse)>) -> Option<TwReuse> {
    let (tw, reuse) = r?;
    let e = t.ehash_remove(&tw.tuple, |e| matches!(e, Ehash::Tw(x) if Arc::ptr_eq(x, &tw)));
    let b = t.bind_remove_tw(tw.tuple.lport, &tw);
    timer::cancel(&tw);
    drop((e, b));
    Some(reuse)
}

crate::impl_has_timer!(Tw, timer);

impl TimerHandler for Tw {
    /// `tw_timer_handler()`: out of the tables, silently.
    fn expired(this: Arc<Self>) {
        let removed = unhash_tw(&mut this.hashinfo.lock(), &this);
        drop(removed);
    }
}

/// Takes `tw` out of the ehash and its bind bucket; the table references
/// are returned to be dropped after the lock.
pub(crate) fn unhash_tw(t: &mut Tables, tw: &Arc<Tw>) -> (Option<Ehash>, Option<Arc<Tw>>) {
    let e = t.ehash_remove(&tw.tuple, |e| matches!(e, Ehash::Tw(x) if Arc::ptr_eq(x, tw)));
    let b = t.bind_remove_tw(tw.tuple.lport, tw);
    (e, b)
}

/// `inet_twsk_deschedule_put()`: the timewait sock goes now.
pub(crate) fn kill_tw(tw: &Arc<Tw>) {
    let removed = unhash_tw(&mut tw.hashinfo.lock(), tw);
    timer::cancel(tw);
    drop(removed);
}

/// `inet_twsk_purge()`: the netns is going away; every timewait sock
/// goes, its timer stopped and waited for.
pub(crate) fn purge_tw(hashinfo: &Hashinfo) {
    loop {
        let Some(tw) = hashinfo.lock().any_tw() else { break };
        let removed = unhash_tw(&mut hashinfo.lock(), &tw);
        timer::cancel_sync(&tw);
        drop(removed);
    }
}
