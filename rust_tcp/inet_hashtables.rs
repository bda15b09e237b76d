// SPDX-License-Identifier: GPL-2.0

//! The connection tables, as `net/ipv4/inet_hashtables.c` keeps
//! `tcp_hashinfo`: one set for the module, shared by every netns (each
//! entry carries its netns, and lookups compare it).
//!
//! - `ehash`: connections by 4-tuple: request socks (the SYN queue, state
//!   NEW_SYN_RECV), full socks from SYN_SENT on, and timewait socks. Sized
//!   at load from memory as `tcp_hashinfo.ehash` is (module parameter
//!   `thash_entries`), one spinlock per stripe of buckets for writers, and
//!   looked up under RCU with no lock (`sys::inet_hash` has the scheme).
//! - `lhash2`: listeners by (port, address), so a SYN finds its listener
//!   by looking at listeners of that port and address only, under RCU.
//! - `bhash`: bind buckets by (netns, port), each with its fast-reuse state
//!   and its owners (socks and timewait socks), under a spinlock per
//!   bucket. Owners are kept in vectors with each owner's index stored in
//!   the owner, so releasing a port is O(1) however many children share it
//!   (Linux unlinks an hlist node for the same effect).
//!
//! Lock order: the socket lock, a sock's `inner` lock, a bhash bucket, an
//! ehash or lhash2 stripe, then a request's or timewait sock's state lock.
//! Nothing takes an `inner` lock while holding a table lock.

use crate::inet_timewait_sock::{TimeWait, TwOwner, TwTimer};
use crate::new_spinlock_bh;
use crate::proto::inet_hash_connect::{hash_connect_port, perturb_index, PortCheck, INET_TABLE_PERTURB_SIZE};
use crate::proto::inet_hash_connect::{tcp_twsk_unique, TwReuse};
use crate::proto::inet_hashtables::BindBucket;
use crate::proto::secure_seq::{ephemeral_timeseed, secure_ipv4_port_ephemeral};
use crate::proto::siphash::{siphash_3u32, SipKey};
use crate::proto::tcp_states::TCP_LISTEN;
use crate::request_sock::RequestSock;
use crate::segvec::SegVec;
use crate::sys::inet_hash::{Hashed, LockClass, Member, NullsTable, SkKey};
use crate::sys::kvec::swap_remove;
use crate::sys::lock::SpinLockBh;
use crate::sys::minisock::{MiniCache, MiniSock};
use crate::sys::net::{Net, NetData, Sysctl};
use crate::sys::timer;
use crate::tcp_sock::{FourTuple, SockRef, TcpSk, TcpSock};
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use kernel::alloc::KVec;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::ARef;

/// A timewait sock of these tables.
pub(crate) type TwData = TimeWait<PortMap>;
pub(crate) type Tw = MiniSock<TwData>;
pub(crate) type TwRef = ARef<Tw>;
/// A request sock.
pub(crate) type Req = MiniSock<RequestSock>;
pub(crate) type ReqRef = ARef<Req>;
/// What the ehash finds.
pub(crate) type Entry = Hashed<TcpSock, RequestSock, TwData>;
type Table = NullsTable<TcpSock, RequestSock, TwData>;

/// Bind buckets: at most this many chains (Linux sizes bhash like ehash;
/// ports are 16 bits per netns, so a few thousand chains keep them short).
const BHASH_MAX: u32 = 64 * 1024;
/// lhash2: at most this many (`inet_hashinfo2_init`'s 64 Ki).
const LHASH2_MAX: u32 = 64 * 1024;
/// ehash: at most 512 Ki slots, as `tcp_init` caps it.
const EHASH_MAX: u32 = 512 * 1024;
/// `LISTENING_NULLS_BASE`: where lhash2's nulls values start.
const LISTENING_NULLS_BASE: u32 = 1 << 29;

/// Which local ports have a bind bucket in a netns: one bit per port, set
/// while the port has owners (socks or timewait socks). The receive hook
/// reads it with no lock: a segment to a port no rust_tcp sock holds cannot
/// be ours and goes to the kernel's TCP at the cost of one load, with no
/// lock and no hash. Written only under the port's bhash lock; a reader
/// racing a bind() sees the port free or held, as one arriving a moment
/// earlier or later would.
pub(crate) struct PortMap {
    words: [AtomicU64; 1024],
    /// The netns's timewait socks in the ehash, so that a netns without
    /// any does not walk the ehash when it goes (`purge_tw`).
    tws: AtomicUsize,
    /// Its timewait socks alive (hashed or not), which `purge_tw` waits
    /// for.
    tws_alive: AtomicUsize,
}

impl TwOwner for PortMap {
    fn tw_born(&self) {
        self.tws_alive.fetch_add(1, Ordering::Relaxed);
    }

    fn tw_gone(&self) {
        self.tws_alive.fetch_sub(1, Ordering::Release);
    }
}

impl PortMap {
    /// All ports free, built in place (8 KiB: not on the stack).
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::init(
            kernel::try_init!(Self {
                words <- kernel::init::init_array_from_fn::<_, 1024, AtomicU64, Error>(|_| AtomicU64::new(0)),
                tws: AtomicUsize::new(0),
                tws_alive: AtomicUsize::new(0),
            }? Error),
            GFP_KERNEL,
        )
    }

    /// Whether some rust_tcp sock holds `port`.
    pub(crate) fn held(&self, port: u16) -> bool {
        self.words[usize::from(port >> 6)].load(Ordering::Relaxed) & (1 << (port & 63)) != 0
    }

    fn set(&self, port: u16, on: bool) {
        let w = &self.words[usize::from(port >> 6)];
        let bit = 1u64 << (port & 63);
        if on {
            w.fetch_or(bit, Ordering::Relaxed);
        } else {
            w.fetch_and(!bit, Ordering::Relaxed);
        }
    }
}

/// A sock holding a local port.
pub(crate) struct BindEntry {
    /// `inet_rcv_saddr`: 0.0.0.0 for a wildcard bind.
    pub(crate) addr: [u8; 4],
    pub(crate) sk: SockRef,
}

/// One port's `inet_bind_bucket` in one netns: its fast-reuse state and
/// its owners. It exists while the port has owners.
pub(crate) struct PortBucket {
    net: usize,
    pub(crate) port: u16,
    pub(crate) tb: BindBucket,
    pub(crate) owners: SegVec<BindEntry>,
    /// Timewait socks holding the port (`tb->owners` keeps them too).
    pub(crate) tw: SegVec<TwRef>,
}

type BindChain = KVec<PortBucket>;

/// A locked bhash chain: the buckets of the ports hashing there.
pub(crate) struct BindGuard<'a> {
    chain: kernel::sync::lock::Guard<'a, BindChain, crate::sys::lock::SpinLockBhBackend>,
    net: usize,
    port: u16,
    ports: &'a PortMap,
}

impl BindGuard<'_> {
    /// The port's bucket, if it has owners.
    pub(crate) fn bucket(&self) -> Option<&PortBucket> {
        self.chain.iter().find(|b| b.net == self.net && b.port == self.port)
    }

    pub(crate) fn bucket_mut(&mut self) -> Option<&mut PortBucket> {
        let (net, port) = (self.net, self.port);
        self.chain.iter_mut().find(|b| b.net == net && b.port == port)
    }

    /// The socks bound to the port.
    pub(crate) fn owners(&self) -> impl Iterator<Item = &BindEntry> {
        self.bucket().into_iter().flat_map(|b| b.owners.iter())
    }

    /// The timewait socks holding the port.
    pub(crate) fn tws(&self) -> impl Iterator<Item = &TwRef> {
        self.bucket().into_iter().flat_map(|b| b.tw.iter())
    }

    /// The index of the port's bucket, made with `fresh` if needed.
    fn bucket_index(&mut self, fresh: BindBucket) -> Result<usize> {
        let (net, port) = (self.net, self.port);
        if let Some(i) = self.chain.iter().position(|b| b.net == net && b.port == port) {
            return Ok(i);
        }
        self.chain.push(
            PortBucket {
                net,
                port,
                tb: fresh,
                owners: SegVec::new(),
                tw: SegVec::new(),
            },
            GFP_ATOMIC,
        )?;
        self.ports.set(port, true);
        Ok(self.chain.len() - 1)
    }

    /// Drops bucket `i` if nothing holds the port any more
    /// (`inet_bind_bucket_destroy`).
    fn gc(&mut self, i: usize) {
        if self.chain[i].owners.is_empty() && self.chain[i].tw.is_empty() {
            let port = self.chain[i].port;
            drop(swap_remove(&mut self.chain, i));
            self.ports.set(port, false);
        }
    }

    /// Records that `sk` holds the port on `addr`, creating the bucket
    /// with `fresh` if needed; `update` then sees the bucket
    /// (`inet_csk_update_fastreuse`).
    pub(crate) fn insert(&mut self, addr: [u8; 4], sk: &TcpSk, fresh: BindBucket, update: impl FnOnce(&mut BindBucket)) -> Result {
        let i = self.bucket_index(fresh)?;
        let b = &mut self.chain[i];
        let r = b.owners.push(BindEntry { addr, sk: sk.into() }, GFP_ATOMIC);
        match r {
            Ok(()) => {
                sk.data().bind_idx.store(b.owners.len() - 1, Ordering::Relaxed);
                update(&mut b.tb);
                Ok(())
            }
            Err(e) => {
                self.gc(i);
                Err(e.into())
            }
        }
    }

    /// Releases the port `sk` holds; the entry is returned so its sock
    /// reference is dropped after the lock. O(1): the entry's index is in
    /// the sock.
    pub(crate) fn remove(&mut self, sk: &TcpSk) -> Option<BindEntry> {
        let (net, port) = (self.net, self.port);
        let bi = self.chain.iter().position(|b| b.net == net && b.port == port)?;
        let owners = &mut self.chain[bi].owners;
        let mut i = sk.data().bind_idx.load(Ordering::Relaxed);
        if owners.get(i).map(|e| e.sk.id()) != Some(sk.id()) {
            // Not where it says (not an owner here): look, to be safe.
            i = owners.iter().position(|e| e.sk.id() == sk.id())?;
        }
        let e = owners.swap_remove(i);
        if let Some(moved) = owners.get(i) {
            moved.sk.data().bind_idx.store(i, Ordering::Relaxed);
        }
        self.gc(bi);
        e
    }

    /// Records that timewait sock `tw` holds the port (whose bucket exists:
    /// the connection it replaces holds it).
    pub(crate) fn insert_tw(&mut self, tw: &TwRef) -> Result {
        let b = self.bucket_mut().ok_or(EINVAL)?;
        b.tw.push(tw.clone(), GFP_ATOMIC)?;
        tw.data().bind_idx.store(b.tw.len() - 1, Ordering::Relaxed);
        Ok(())
    }

    /// Releases the port `tw` holds; the last holder takes the bucket.
    pub(crate) fn remove_tw(&mut self, tw: &Tw) -> Option<TwRef> {
        let (net, port) = (self.net, self.port);
        let bi = self.chain.iter().position(|b| b.net == net && b.port == port)?;
        let list = &mut self.chain[bi].tw;
        let mut i = tw.data().bind_idx.load(Ordering::Relaxed);
        if list.get(i).map(|x| x.id()) != Some(tw.id()) {
            i = list.iter().position(|x| x.id() == tw.id())?;
        }
        let e = list.swap_remove(i);
        if let Some(moved) = list.get(i) {
            moved.data().bind_idx.store(i, Ordering::Relaxed);
        }
        self.gc(bi);
        e
    }
}

/// The module's tables, and the caches of the mini socks they hold.
pub(crate) struct Hashinfo {
    ehash: Table,
    /// Listeners only (by port and address).
    lhash2: Table,
    bhash: KVec<Pin<KBox<SpinLockBh<BindChain>>>>,
    /// `inet_ehash_secret`: a peer cannot aim at one chain.
    secret: SipKey,
    pub(crate) req_cache: MiniCache<RequestSock>,
    pub(crate) tw_cache: MiniCache<TwData>,
}

/// The key of an ehash lookup: the connection from our side, in `net`.
fn ehash_match(net: usize, t: &FourTuple) -> impl Fn(&SkKey) -> bool + '_ {
    move |k| {
        k.net == net && k.num == t.lport && k.dport == t.rport && k.rcv_saddr == t.laddr && k.daddr == t.raddr
    }
}

impl Hashinfo {
    /// The tables, sized from memory as Linux sizes `tcp_hashinfo`.
    pub(crate) fn new() -> Result<Self> {
        let param = crate::sys::inet_hash_param();
        let ehash = Table::new(crate::sys::hash_entries(param, 17, EHASH_MAX), LockClass::RUST_TCP_LOCK_EHASH, 0)?;
        // lhash2 as inet_hashinfo2_init: one slot per 2 MB, at most 64 Ki.
        // Its nulls values start at LISTENING_NULLS_BASE: a lookup standing
        // on a sock reborn as a listener must not mistake a listener chain
        // for its own.
        let lhash2 = Table::new(
            crate::sys::hash_entries(param, 21, LHASH2_MAX),
            LockClass::RUST_TCP_LOCK_LHASH2,
            LISTENING_NULLS_BASE,
        )?;
        let nb = ehash.slots().min(BHASH_MAX);
        let mut bhash = KVec::with_capacity(nb as usize, GFP_KERNEL)?;
        for _ in 0..nb {
            bhash.push(KBox::pin_init(new_spinlock_bh!(KVec::new(), "rust_tcp_bhash"), GFP_KERNEL)?, GFP_KERNEL)?;
        }
        pr_info!(
            "established hash table entries: {} ({} bytes), listen hash {}, bind hash {}\n",
            ehash.slots(),
            ehash.bytes(),
            lhash2.slots(),
            nb
        );
        Ok(Self {
            ehash,
            lhash2,
            bhash,
            secret: SipKey::new(crate::sys::random_key()),
            req_cache: MiniCache::new(kernel::c_str!("rust_tcp_request_sock"))?,
            tw_cache: MiniCache::new(kernel::c_str!("rust_tcp_tw_sock"))?,
        })
    }

    /// Mixes a netns into a hash (`net_hash_mix`).
    fn net_mix(net: usize) -> u32 {
        (net >> 6) as u32 ^ (net >> 38) as u32
    }

    /// `inet_ehashfn`: keyed, so a peer cannot aim at one chain.
    fn ehashfn(&self, net: usize, t: &FourTuple) -> u32 {
        let ports = (u32::from(t.lport) << 16) | u32::from(t.rport);
        siphash_3u32(
            u32::from_ne_bytes(t.laddr) ^ Self::net_mix(net),
            u32::from_ne_bytes(t.raddr),
            ports,
            &self.secret,
        ) as u32
    }

    /// `ipv4_portaddr_hash`: the lhash2 chain of (`addr`, `port`).
    fn lhash2fn(&self, net: usize, addr: [u8; 4], port: u16) -> u32 {
        siphash_3u32(u32::from_ne_bytes(addr), u32::from(port), Self::net_mix(net), &self.secret) as u32
    }

    /// The bhash chain of `port` in `net`, locked.
    pub(crate) fn bind_lock<'a, N: NetData>(&'a self, net: &Net<N>, ports: &'a PortMap, port: u16) -> BindGuard<'a> {
        self.bind_lock_id(net.id(), ports, port)
    }

    fn bind_lock_id<'a>(&'a self, net: usize, ports: &'a PortMap, port: u16) -> BindGuard<'a> {
        let h = siphash_3u32(u32::from(port), Self::net_mix(net), 0, &self.secret) as u32;
        let i = (h as usize) & (self.bhash.len() - 1);
        BindGuard {
            chain: self.bhash[i].lock(),
            net,
            port,
            ports,
        }
    }

    /// The connection, request or timewait sock of `t` in `net`, with no
    /// lock (`__inet_lookup_established`).
    pub(crate) fn lookup_established<N: NetData>(&self, net: &Net<N>, t: &FourTuple) -> Option<Entry> {
        self.ehash.lookup(self.ehashfn(net.id(), t), ehash_match(net.id(), t))
    }

    /// Hashes `sk`'s connection `t` unless the 4-tuple is taken
    /// (`inet_ehash_insert`): EADDRINUSE.
    pub(crate) fn ehash_insert<N: NetData>(&self, net: &Net<N>, t: &FourTuple, sk: &TcpSk) -> Result {
        sk.set_key(t.laddr, t.lport, t.raddr, t.rport);
        self.ehash_insert_unique(net, t, sk)
    }

    /// Hashes request `req` unless its 4-tuple is taken.
    pub(crate) fn ehash_insert_req<N: NetData>(&self, net: &Net<N>, req: &Req) -> Result {
        self.ehash_insert_unique(net, &req.data().tuple, req)
    }

    /// Links `e` (whose key is `t`) unless the 4-tuple is taken.
    fn ehash_insert_unique<N: NetData, E: Member<TcpSock, RequestSock, TwData>>(&self, net: &Net<N>, t: &FourTuple, e: &E) -> Result {
        let h = self.ehashfn(net.id(), t);
        let mut b = self.ehash.lock(h);
        if b.find(ehash_match(net.id(), t)).is_some() {
            return Err(crate::sys::errno(crate::sys::bindings::EADDRINUSE));
        }
        b.insert(e, h)
    }

    /// Whether `req` is still hashed, and if so runs `f` under its
    /// chain's lock (which whoever unhashes it takes first).
    pub(crate) fn with_req_hashed<R>(&self, req: &Req, f: impl FnOnce(&mut ReqHashed<'_>) -> R) -> Option<R> {
        let t = &req.data().tuple;
        let net = req_net(req);
        let h = self.ehashfn(net, t);
        let b = self.ehash.lock(h);
        let mine = matches!(b.find(ehash_match(net, t)), Some(Hashed::Req(r)) if r.id() == req.id());
        if !mine {
            return None;
        }
        let mut g = ReqHashed { b, req };
        Some(f(&mut g))
    }

    /// Unhashes `sk` (the ehash half of `inet_unhash`); the table's
    /// reference is returned, to drop after the caller's locks.
    pub(crate) fn ehash_remove(&self, sk: &TcpSk) -> Option<SockRef> {
        self.ehash.remove(sk)
    }

    /// Unhashes request `req`.
    pub(crate) fn ehash_remove_req(&self, req: &Req) -> Option<ReqRef> {
        self.ehash.remove(req)
    }

    /// Takes every request of `listener` out of the ehash (listener
    /// close), into `out`; false if `out` filled up (call again).
    /// Starts at slot `*from` and leaves there the slot to resume from.
    /// Process context: it yields the CPU between chains.
    pub(crate) fn drain_requests(&self, listener: &TcpSk, from: &mut u32, out: &mut KVec<ReqRef>) -> bool {
        let (net, port) = (listener.net().id(), listener.data().inner.lock().num);
        while *from < self.ehash.slots() {
            let slot = *from;
            let mut b = self.ehash.lock(slot);
            loop {
                if out.len() == out.capacity() {
                    return false;
                }
                let found = b.find_entry(
                    |k| k.net == net && k.num == port,
                    |e| matches!(e, Hashed::Req(r) if r.data().listener.id() == listener.id()),
                );
                let Some(Hashed::Req(r)) = found else { break };
                if let Some(table_ref) = b.remove(&*r) {
                    // Capacity checked above: cannot fail.
                    let _ = out.push(table_ref, GFP_ATOMIC);
                }
            }
            drop(b);
            *from += 1;
            if *from % 256 == 0 {
                crate::sys::cond_resched();
            }
        }
        true
    }

    /// `__inet_check_established()` for a connect() to `t`: free, or
    /// taken only by a timewait sock that `tcp_twsk_unique()` lets us
    /// recycle (returned, with what the new connection takes from it).
    /// `None`: not unique. With `sk`, the connection is hashed in the same
    /// critical section (and a recycled timewait sock unhashed).
    #[allow(clippy::too_many_arguments)]
    fn check_established<N: NetData>(
        &self,
        net: &Net<N>,
        t: &FourTuple,
        tw_reuse: u8,
        from_hash_connect: bool,
        now_secs: u32,
        sk: Option<&TcpSk>,
    ) -> Option<Option<(TwRef, TwReuse)>> {
        let h = self.ehashfn(net.id(), t);
        let mut b = self.ehash.lock(h);
        let recycle = match b.find(ehash_match(net.id(), t)) {
            None => None,
            Some(Hashed::Tw(tw)) => {
                let info = tw.data().state.lock().tw_info();
                let r = tcp_twsk_unique(&info, tw_reuse, from_hash_connect, now_secs, false)?;
                Some((tw, r))
            }
            Some(_) => return None,
        };
        if let Some(sk) = sk {
            sk.set_key(t.laddr, t.lport, t.raddr, t.rport);
            match &recycle {
                // The connection takes the timewait sock's place in one
                // step (inet_ehash_insert with the tw as `osk`); the
                // timewait sock's port and timer are let go by the caller.
                Some((tw, _)) => {
                    let old = b.replace(&**tw, sk, h)?;
                    tw.data().ports.tws.fetch_sub(1, Ordering::Relaxed);
                    drop(b);
                    drop(old);
                }
                None => b.insert(sk, h).ok()?,
            }
        }
        Some(recycle)
    }

    /// The listener a segment for `daddr:dport` goes to, as
    /// `__inet_lookup_listener` picks it, with no lock: the listeners of
    /// (`daddr`, `dport`), then of (0.0.0.0, `dport`). A listener bound to
    /// the incoming device beats an unbound one; a SO_REUSEPORT group is
    /// chosen from by `hash`.
    pub(crate) fn lookup_listener<N: NetData>(&self, net: &Net<N>, daddr: [u8; 4], dport: u16, iif: i32, hash: u32) -> Option<SockRef> {
        let id = net.id();
        for addr in [daddr, [0; 4]] {
            let keep = |k: &SkKey| {
                k.net == id
                    && k.num == dport
                    && k.rcv_saddr == addr
                    && k.state == TCP_LISTEN as u8
                    && (k.bound_dev_if == 0 || k.bound_dev_if == iif)
            };
            let score = |sk: &TcpSk| if sk.bound_dev_if() != 0 { 2 } else { 1 };
            // compute_score over the chain: the best, and how many
            // reuseport listeners share it.
            let mut best: Option<(SockRef, u32)> = None;
            let mut group = 0u32;
            let h = self.lhash2fn(id, addr, dport);
            self.lhash2.for_each_rcu(h, keep, |e| {
                let Hashed::Sock(sk) = e else { return };
                let s = score(sk);
                match &best {
                    Some((_, bs)) if *bs > s => (),
                    Some((b, bs)) if *bs == s => {
                        if b.reuseport() && sk.reuseport() {
                            group += 1;
                        }
                    }
                    _ => {
                        best = Some((sk.clone(), s));
                        group = 1;
                    }
                }
            });
            let Some((first, s)) = best else { continue };
            if group > 1 && first.reuseport() {
                // reuseport_select_sock: reciprocal_scale(hash, n) over the
                // group, in chain order.
                let pick = ((u64::from(hash) * u64::from(group)) >> 32) as u32;
                let mut i = 0u32;
                let mut chosen = None;
                self.lhash2.for_each_rcu(h, keep, |e| {
                    let Hashed::Sock(sk) = e else { return };
                    if chosen.is_none() && sk.reuseport() && score(sk) == s {
                        if i == pick {
                            chosen = Some(sk.clone());
                        }
                        i += 1;
                    }
                });
                if let Some(c) = chosen {
                    return Some(c);
                }
            }
            return Some(first);
        }
        None
    }

    /// Hashes listener `sk` on (`addr`, `port`) (`__inet_hash`).
    pub(crate) fn listen_hash(&self, sk: &TcpSk, addr: [u8; 4], port: u16) -> Result {
        sk.set_key(addr, port, [0; 4], 0);
        let h = self.lhash2fn(sk.net().id(), addr, port);
        // At the tail: a SO_REUSEPORT group is picked from in listen()
        // order, as its `sock_reuseport` array keeps it.
        self.lhash2.lock(h).insert_tail(sk, h)
    }

    /// Unhashes listener `sk`.
    pub(crate) fn listen_unhash(&self, sk: &TcpSk) -> Option<SockRef> {
        self.lhash2.remove(sk)
    }

    /// Replaces `req` by its child `child` in the ehash (`inet_ehash_insert`
    /// with `osk`), under the chain's lock; false if `req` was unhashed
    /// meanwhile (and then nothing is inserted).
    pub(crate) fn replace_req(&self, g: &mut ReqHashed<'_>, child: &TcpSk) -> (bool, Option<ReqRef>) {
        let t = g.req.data().tuple;
        child.set_key(t.laddr, t.lport, t.raddr, t.rport);
        let h = self.ehashfn(child.net().id(), &t);
        // One step: a lookup finds the request or the child, never neither.
        match g.b.replace(g.req, child, h) {
            Some(old) => (true, Some(old)),
            None => (false, None),
        }
    }

    /// Replaces `sk` by timewait sock `tw` in the ehash
    /// (`inet_twsk_hashdance_schedule`); false if `sk` was not hashed. The
    /// sock's table reference is returned.
    pub(crate) fn replace_with_tw(&self, sk: &TcpSk, tw: &TwRef, t: &FourTuple, ms: u32) -> (bool, Option<SockRef>) {
        let h = self.ehashfn(sk.net().id(), t);
        let mut b = self.ehash.lock(h);
        // One step, so a lookup finds the sock or the timewait sock.
        let Some(old) = b.replace(sk, &**tw, h) else { return (false, None) };
        tw.data().ports.tws.fetch_add(1, Ordering::Relaxed);
        // Armed under the lock that hashed it, so an unhash (which takes
        // the lock first) finds it to cancel.
        timer::reset(&**tw, &tw.data().timer, ms);
        (true, Some(old))
    }

    /// `inet_twsk_deschedule_put()`: the timewait sock goes now.
    pub(crate) fn kill_tw<N: NetData>(&self, net: &Net<N>, ports: &PortMap, tw: &Tw) {
        let e = self.unhash_tw(tw);
        let b = self.bind_lock(net, ports, tw.data().tuple.lport).remove_tw(tw);
        timer::stop(tw, &tw.data().timer);
        drop((e, b));
    }

    /// Takes timewait sock `tw` out of the ehash, counted.
    fn unhash_tw(&self, tw: &Tw) -> Option<TwRef> {
        let e = self.ehash.remove(tw);
        if e.is_some() {
            tw.data().ports.tws.fetch_sub(1, Ordering::Relaxed);
        }
        e
    }

    /// `inet_twsk_purge()`: netns `net` is going away; every timewait
    /// sock of it goes, its timer stopped and waited for. The ehash is
    /// walked only if the netns has any (no socks are left to make more).
    pub(crate) fn purge_tw<N: NetData>(&self, net: &Net<N>, ports: &PortMap) {
        let id = net.id();
        for slot in 0..self.ehash.slots() {
            if ports.tws.load(Ordering::Relaxed) == 0 {
                break;
            }
            loop {
                let found = {
                    let mut b = self.ehash.lock(slot);
                    let f = b.find_entry(|k| k.net == id, |e| matches!(e, Hashed::Tw(_)));
                    match f {
                        Some(Hashed::Tw(tw)) => {
                            let r = b.remove(&*tw);
                            if r.is_some() {
                                ports.tws.fetch_sub(1, Ordering::Relaxed);
                            }
                            Some((tw, r))
                        }
                        _ => None,
                    }
                };
                let Some((tw, table_ref)) = found else { break };
                let b = self.bind_lock(net, ports, tw.data().tuple.lport).remove_tw(&tw);
                timer::stop_sync(&*tw, &tw.data().timer);
                drop((table_ref, b, tw));
            }
            if slot % 256 == 255 {
                crate::sys::cond_resched();
            }
        }
        // A timer that unhashed its timewait sock just before we looked
        // may still hold it: wait until the last one is freed (it takes a
        // moment), so that nothing of this netns outlives its exit.
        while ports.tws_alive.load(Ordering::Acquire) != 0 {
            crate::sys::msleep(1);
        }
    }
}

/// The netns id a request was made in (its listener's).
fn req_net(req: &Req) -> usize {
    req.data().listener.net().id()
}

/// A request found still hashed, its chain locked.
pub(crate) struct ReqHashed<'a> {
    b: crate::sys::inet_hash::Bucket<'a, TcpSock, RequestSock, TwData>,
    req: &'a Req,
}

impl ReqHashed<'_> {
    /// Unhashes the request; the table's reference is returned.
    pub(crate) fn unhash(&mut self) -> Option<ReqRef> {
        self.b.remove(self.req)
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

/// `inet_hash_connect()`: the local port of a connect() from `saddr` to
/// `daddr:dport`, with `sk` hashed into the ehash (and, for a searched
/// port, into the port's bind bucket). Returns the port and what a
/// recycled timewait sock hands over.
///
/// A socket with a port already (`bound`, from bind()) keeps it if the
/// 4-tuple is unique (`__inet_check_established`); otherwise the search of
/// `__inet_hash_connect` runs over `ip_local_port_range`, skipping
/// reserved ports and ports bind() holds, sharing ports that earlier
/// connects hold when the 4-tuple differs. Each port is looked at, and the
/// one chosen taken, under that port's lock. EADDRNOTAVAIL when nothing is
/// left.
#[allow(clippy::too_many_arguments)]
pub(crate) fn inet_hash_connect<N: NetData>(
    hi: &Hashinfo,
    net: &Net<N>,
    ports: &PortMap,
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
        let recycle = hi
            .check_established(net, &tuple(bound), tw_reuse, false, now_secs, Some(sk))
            .ok_or_else(not_avail)?;
        return Ok((bound, recycle_tw(hi, net, ports, recycle)));
    }
    let low = u16::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_PORT_LOW)).map_err(|_| EINVAL)?;
    let high = u16::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_PORT_HIGH)).map_err(|_| EINVAL)?;
    let (j, hz) = crate::sys::jiffies64();
    let offset = secure_ipv4_port_ephemeral(saddr, daddr, dport, seq_key, ephemeral_timeseed(j, hz));
    let slot = &TABLE_PERTURB[perturb_index(offset)];
    // Each candidate is looked at under its bucket's lock, and the one the
    // search takes is taken under that same lock (the `goto ok` of
    // `__inet_hash_connect`, which holds `head->lock`): into the bucket,
    // then into the ehash if the 4-tuple is unique there.
    let mut claimed: Option<Option<(TwRef, TwReuse)>> = None;
    let mut failed: Option<Error> = None;
    let found = hash_connect_port(
        low,
        high,
        false,
        offset,
        slot.load(Ordering::Relaxed),
        || crate::sys::random_u32() as u8,
        |p| {
            let mut g = hi.bind_lock(net, ports, p);
            let c = PortCheck::classify(net.port_reserved(p), g.bucket().map(|b| &b.tb), || true);
            if !c.takes() {
                return c;
            }
            if let Err(e) = g.insert(saddr, sk, BindBucket::new_for_connect(), |_| ()) {
                failed = Some(e);
                return PortCheck::Reserved;
            }
            match hi.check_established(net, &tuple(p), tw_reuse, true, now_secs, Some(sk)) {
                Some(recycle) => {
                    claimed = Some(recycle);
                    c
                }
                None => {
                    let e = g.remove(sk);
                    drop(g);
                    drop(e);
                    PortCheck::ConnectShared { unique: false }
                }
            }
        },
    );
    let (Some(found), Some(recycle)) = (found, claimed) else {
        return Err(failed.unwrap_or_else(not_avail));
    };
    slot.store(slot.load(Ordering::Relaxed).wrapping_add(found.perturb_add), Ordering::Relaxed);
    Ok((found.port, recycle_tw(hi, net, ports, recycle)))
}

/// Lets go of the timewait sock a connect() recycled (already out of the
/// ehash): its port and its timer. Returns what the connection takes.
fn recycle_tw<N: NetData>(hi: &Hashinfo, net: &Net<N>, ports: &PortMap, r: Option<(TwRef, TwReuse)>) -> Option<TwReuse> {
    let (tw, reuse) = r?;
    let b = hi.bind_lock(net, ports, tw.data().tuple.lport).remove_tw(&tw);
    timer::stop(&*tw, &tw.data().timer);
    drop(b);
    Some(reuse)
}

crate::impl_sock_timer!(TwData, timer, TwTimer);

impl Hashinfo {
    /// `tw_timer_handler()`: the timewait sock goes out of the tables,
    /// silently.
    pub(crate) fn tw_expired(&self, tw: TwRef) {
        let d = tw.data();
        let e = self.unhash_tw(&tw);
        // The timewait sock holds no netns reference, but its port map is
        // its own to keep, and the bucket is found by the netns's identity.
        let r = self.bind_lock_id(d.net_id, &d.ports, d.tuple.lport).remove_tw(&tw);
        drop((e, r));
    }
}

