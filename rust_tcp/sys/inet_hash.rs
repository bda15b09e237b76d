// SPDX-License-Identifier: GPL-2.0

//! Hash tables of socks looked up without a lock, as Linux's ehash and
//! lhash2 are (`net/ipv4/inet_hashtables.c`): chains of `hlist_nulls`
//! through each object's `sock_common.skc_nulls_node`, a spinlock per
//! stripe of buckets for writers, and readers under RCU alone.
//!
//! The scheme, as `__inet_lookup_established` runs it:
//!
//! - Every object a table holds starts with a `struct sock_common` and
//!   comes from a `SLAB_TYPESAFE_BY_RCU` cache: full socks (the `struct
//!   proto`'s cache), request and timewait socks ([`super::minisock`]).
//!   Freed memory may be reused at once, but only for an object of the same
//!   kind, so a reader may read the key of an object that died (or died and
//!   was reborn) while it looked.
//! - A reader compares the key, takes a reference with
//!   `refcount_inc_not_zero` (which fails on a dead object) and compares the
//!   key again (the object may have been reborn with another key); on a
//!   mismatch it drops the reference and starts over.
//! - Each chain ends in a "nulls" marker holding its bucket's index. An
//!   object may be unhashed and hashed again elsewhere while a reader stands
//!   on it; the reader then ends on another bucket's marker, notices, and
//!   starts over.
//! - The table holds one reference on each object it links, as
//!   `sk_nulls_add_node_rcu` does.
//!
//! An entry's kind is its `skc_state`: `TCP_NEW_SYN_RECV` is a request,
//! `TCP_TIME_WAIT` a timewait sock, anything else a full sock (which never
//! takes either state: [`super::sock::Sock::set_state`] refuses them).

use super::bindings as b;
use super::minisock::{MiniData, MiniSock, REQ_STATE, TW_STATE};
use super::sock::{Sock, SockData};
use core::marker::PhantomData;
use core::ptr::{addr_of, addr_of_mut};
use kernel::prelude::*;
use kernel::types::{ARef, AlwaysRefCounted};

pub(crate) use super::bindings::rust_tcp_lock_class as LockClass;

/// The lookup key of a hashed object, read from its `sock_common`: the
/// netns, addresses, ports (host order), device and state.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct SkKey {
    pub(crate) net: usize,
    /// `skc_daddr`: the peer.
    pub(crate) daddr: [u8; 4],
    /// `skc_rcv_saddr`: the local address (0.0.0.0 for a wildcard).
    pub(crate) rcv_saddr: [u8; 4],
    /// `skc_dport`: the peer's port.
    pub(crate) dport: u16,
    /// `skc_num`: the local port.
    pub(crate) num: u16,
    pub(crate) bound_dev_if: i32,
    pub(crate) state: u8,
}

/// Reads the key of `c` with volatile loads (READ_ONCE): `c` may be
/// changing under us (see the module doc), so each field is a snapshot.
///
/// # Safety
///
/// `c` points into a type-stable object (a live one, or one freed to a
/// TYPESAFE_BY_RCU cache within the reader's RCU section).
unsafe fn read_key(c: *const b::sock_common) -> SkKey {
    // SAFETY: per the contract, the memory stays a `sock_common`; only raw
    // pointers are formed.
    unsafe {
        SkKey {
            net: addr_of!((*c).skc_net.net).read_volatile() as usize,
            daddr: addr_of!((*c).__bindgen_anon_1.__bindgen_anon_1.skc_daddr).read_volatile().to_ne_bytes(),
            rcv_saddr: addr_of!((*c).__bindgen_anon_1.__bindgen_anon_1.skc_rcv_saddr).read_volatile().to_ne_bytes(),
            dport: u16::from_be(addr_of!((*c).__bindgen_anon_3.__bindgen_anon_1.skc_dport).read_volatile()),
            num: addr_of!((*c).__bindgen_anon_3.__bindgen_anon_1.skc_num).read_volatile(),
            bound_dev_if: addr_of!((*c).skc_bound_dev_if).read_volatile(),
            state: addr_of!((*c).skc_state).read_volatile(),
        }
    }
}

/// The hash `c` was linked with (`skc_hash`), read with READ_ONCE.
///
/// # Safety
///
/// As for [`read_key`].
unsafe fn skc_hash(c: *const b::sock_common) -> u32 {
    // SAFETY: the caller's contract.
    unsafe { addr_of!((*c).__bindgen_anon_2.skc_hash).read_volatile() }
}

/// What a table of `<D, R, W>` links: a `Sock<D>`, a request
/// `MiniSock<R>` or a timewait `MiniSock<W>`, through its `sock_common`.
/// Only these (`allowed`) are ever linked, so a table never holds an
/// object whose state would name another type.
///
/// # Safety
///
/// `common` must return the `sock_common` at the start of the object; the
/// object must come from a TYPESAFE_BY_RCU cache of its kind; when
/// `allowed()`, its `skc_state` says its kind (as `Hashed::from_common`
/// reads it) for as long as it lives.
pub(crate) unsafe trait Member<D, R, W>: AlwaysRefCounted {
    fn common(&self) -> *mut b::sock_common;
    /// Whether a table of `<D, R, W>` may link this type.
    fn allowed() -> bool;
}

// SAFETY: a sock starts with its `sock_common`; the proto's cache is
// TYPESAFE_BY_RCU (glue.c); a full sock never takes a mini sock's state
// (`Sock::set_state`).
unsafe impl<D: SockData, R: MiniData, W: MiniData> Member<D, R, W> for Sock<D> {
    fn common(&self) -> *mut b::sock_common {
        self.raw_common()
    }

    fn allowed() -> bool {
        true
    }
}

// SAFETY: see `MiniSock`: the `sock_common` comes first, the cache is
// TYPESAFE_BY_RCU, and `MiniCache::alloc` writes `T::STATE`, never
// changed. `allowed` admits `T` only as the table's request type with the
// request state, or as its timewait type with the timewait state.
unsafe impl<D: SockData, R: MiniData, W: MiniData, T: MiniData> Member<D, R, W> for MiniSock<T> {
    fn common(&self) -> *mut b::sock_common {
        MiniSock::common(self)
    }

    fn allowed() -> bool {
        use core::any::TypeId;
        let t = TypeId::of::<T>();
        (t == TypeId::of::<R>() && T::STATE == REQ_STATE) || (t == TypeId::of::<W>() && T::STATE == TW_STATE)
    }
}

/// Puts a reference taken on `c` before its type is trusted: by the kind
/// its state says, without building a typed handle.
///
/// # Safety
///
/// The caller owns a reference to the live object `c` of a table of
/// `<D, R, W>` (whose kinds `from_common` describes).
unsafe fn put_common<D: SockData, R: MiniData, W: MiniData>(c: *mut b::sock_common) {
    // SAFETY: the caller's contract; the typed handle is dropped at once,
    // and the put only touches the refcount unless it was the last one,
    // which it cannot be for a sock whose `D` is not yet built (its
    // creator holds a reference until `D` is).
    drop(unsafe { Hashed::<D, R, W>::from_common(c) });
}

/// A referenced entry of a table: the three kinds Linux's ehash holds.
pub(crate) enum Hashed<D: SockData, R: MiniData, W: MiniData> {
    Sock(ARef<Sock<D>>),
    Req(ARef<MiniSock<R>>),
    Tw(ARef<MiniSock<W>>),
}

impl<D: SockData, R: MiniData, W: MiniData> Hashed<D, R, W> {
    /// Takes over a reference to the object at `c`, by its kind.
    ///
    /// # Safety
    ///
    /// The caller owns a reference to the live object `c` of a table of
    /// `<D, R, W>` (so a request is a `MiniSock<R>`, a timewait sock a
    /// `MiniSock<W>`, anything else a `Sock<D>`), which passes to the
    /// result.
    unsafe fn from_common(c: *mut b::sock_common) -> Self {
        // SAFETY: the caller's contract; the state of a live object says
        // its kind and never changes between kinds.
        unsafe {
            match addr_of!((*c).skc_state).read_volatile() {
                REQ_STATE => Self::Req(MiniSock::from_common(c)),
                TW_STATE => Self::Tw(MiniSock::from_common(c)),
                _ => Self::Sock(Sock::from_common(c)),
            }
        }
    }
}

/// A table of `Sock<D>`s, `MiniSock<R>` requests and `MiniSock<W>`
/// timewait socks.
pub(crate) struct NullsTable<D, R, W> {
    t: b::rust_tcp_nulls_table,
    _p: PhantomData<(D, R, W)>,
}

// SAFETY: the arrays are shared by design: chains change only under their
// stripe's lock, and are read under RCU with READ_ONCE.
unsafe impl<D, R, W> Send for NullsTable<D, R, W> {}
// SAFETY: as above.
unsafe impl<D, R, W> Sync for NullsTable<D, R, W> {}

/// An RCU read-side critical section.
struct RcuGuard;

impl RcuGuard {
    fn new() -> Self {
        // SAFETY: no preconditions; ended by `drop`.
        unsafe { b::rust_tcp_glue_rcu_read_lock() };
        Self
    }
}

impl Drop for RcuGuard {
    fn drop(&mut self) {
        // SAFETY: begun by `new`.
        unsafe { b::rust_tcp_glue_rcu_read_unlock() };
    }
}

fn is_a_nulls(p: *mut b::hlist_nulls_node) -> bool {
    p as usize & 1 != 0
}

fn nulls_value(p: *mut b::hlist_nulls_node) -> usize {
    p as usize >> 1
}

/// The `sock_common` whose `skc_nulls_node` is `n`.
fn common_of(n: *mut b::hlist_nulls_node) -> *mut b::sock_common {
    n.cast::<u8>().wrapping_sub(core::mem::offset_of!(b::sock_common, __bindgen_anon_6)).cast()
}

/// Whether `c` is linked in a chain (`!hlist_nulls_unhashed`).
///
/// # Safety
///
/// `c` is a live object's `sock_common`.
unsafe fn hashed(c: *mut b::sock_common) -> bool {
    // SAFETY: the caller's contract.
    !unsafe { addr_of!((*c).__bindgen_anon_6.skc_nulls_node.pprev).read_volatile() }.is_null()
}

impl<D: SockData, R: MiniData, W: MiniData> NullsTable<D, R, W> {
    /// A table of `entries` slots (rounded up to a power of two), its
    /// locks of lockdep class `class`, its chains ending in nulls values
    /// from `nulls_base` on (tables whose entries can move into one
    /// another must not share values). Process context.
    pub(crate) fn new(entries: u32, class: LockClass, nulls_base: u32) -> Result<Self> {
        // The kinds must be told apart by state (`Hashed::from_common`).
        if R::STATE != REQ_STATE || W::STATE != TW_STATE {
            return Err(EINVAL);
        }
        let mut t = b::rust_tcp_nulls_table::default();
        // SAFETY: `t` is valid for writes; the glue fills it or fails.
        kernel::error::to_result(unsafe { b::rust_tcp_glue_nulls_table_init(&mut t, entries, class, nulls_base) })?;
        Ok(Self { t, _p: PhantomData })
    }

    /// The number of slots.
    pub(crate) fn slots(&self) -> u32 {
        self.t.mask + 1
    }

    /// The bytes the slots take.
    pub(crate) fn bytes(&self) -> u32 {
        self.t.bytes
    }

    fn head(&self, slot: u32) -> *mut b::hlist_nulls_head {
        // SAFETY: `slot <= mask`, within the array of `mask + 1` heads.
        unsafe { self.t.heads.add((slot & self.t.mask) as usize) }
    }

    /// Finds the entry whose key `matches` accepts in the chain of `hash`,
    /// and takes a reference to it, with no lock (RCU): the lookup of
    /// `__inet_lookup_established`. `matches` must be a pure function of
    /// the key.
    pub(crate) fn lookup(&self, hash: u32, matches: impl Fn(&SkKey) -> bool) -> Option<Hashed<D, R, W>> {
        let slot = hash & self.t.mask;
        let _rcu = RcuGuard::new();
        'begin: loop {
            // SAFETY: the head is in the array; READ_ONCE of its pointer.
            let mut pos = unsafe { addr_of!((*self.head(slot)).first).read_volatile() };
            while !is_a_nulls(pos) {
                let c = common_of(pos);
                // SAFETY: `c` was linked in this table during our RCU
                // section, so it is type-stable memory (module doc).
                let candidate = unsafe { skc_hash(c) } == hash && matches(&unsafe { read_key(c) });
                if candidate {
                    // SAFETY: as above. A zero count is a dead object, whose
                    // entry is leaving; Linux gives up there too.
                    if !unsafe { b::rust_tcp_glue_refcount_inc_not_zero(c) } {
                        return None;
                    }
                    // SAFETY: we hold a reference: the object is live. It
                    // may have been unhashed (a request that became its
                    // child, a killed timewait sock) or reborn with another
                    // key: then it is not the answer; again.
                    if !unsafe { hashed(c) } || !matches(&unsafe { read_key(c) }) {
                        // SAFETY: the reference just taken.
                        unsafe { put_common::<D, R, W>(c) };
                        continue 'begin;
                    }
                    // SAFETY: live, hashed, the key checked with the
                    // reference held: an entry of this table.
                    return Some(unsafe { Hashed::from_common(c) });
                }
                // SAFETY: READ_ONCE of the link of a type-stable node.
                pos = unsafe { addr_of!((*pos).next).read_volatile() };
            }
            // Ended on another chain's marker: an entry moved; again.
            if nulls_value(pos) != (self.t.nulls_base + slot) as usize {
                continue 'begin;
            }
            return None;
        }
    }

    /// Every entry of the chain of `hash` that `keep` accepts, with no
    /// lock (RCU), as `f` sees them: `keep` looks at keys only, `f` gets
    /// a reference to each entry kept (one still live, key checked again).
    /// For lhash2's scoring walks. A walk that ends on another chain's
    /// marker is not repeated: `f` may have seen some entries twice or
    /// missed some, as a walk racing a listen() or close() may.
    pub(crate) fn for_each_rcu(&self, hash: u32, keep: impl Fn(&SkKey) -> bool, mut f: impl FnMut(&Hashed<D, R, W>)) {
        let _rcu = RcuGuard::new();
        // SAFETY: as in `lookup`.
        let mut pos = unsafe { addr_of!((*self.head(hash)).first).read_volatile() };
        while !is_a_nulls(pos) {
            let c = common_of(pos);
            // SAFETY: as in `lookup`.
            if keep(&unsafe { read_key(c) }) && unsafe { b::rust_tcp_glue_refcount_inc_not_zero(c) } {
                // SAFETY: live (we hold a reference); as in `lookup`.
                if unsafe { hashed(c) } && keep(&unsafe { read_key(c) }) {
                    // SAFETY: as in `lookup`.
                    f(&unsafe { Hashed::from_common(c) });
                } else {
                    // SAFETY: the reference just taken.
                    unsafe { put_common::<D, R, W>(c) };
                }
            }
            // SAFETY: as in `lookup`.
            pos = unsafe { addr_of!((*pos).next).read_volatile() };
        }
    }

    /// Locks the stripe of `hash`'s bucket (BH off) for changes.
    pub(crate) fn lock(&self, hash: u32) -> Bucket<'_, D, R, W> {
        let slot = hash & self.t.mask;
        // SAFETY: the stripe index is within the lock array.
        let lock = unsafe { self.t.locks.add((slot & self.t.lock_mask) as usize) };
        // SAFETY: an initialised spinlock, released by `Bucket::drop`.
        unsafe { b::spin_lock_bh(lock) };
        Bucket { table: self, slot, lock }
    }

    /// Unlinks `e` if it is linked (`sk_nulls_del_node_init_rcu`),
    /// returning the table's reference, to be dropped after the lock.
    pub(crate) fn remove<E: Member<D, R, W>>(&self, e: &E) -> Option<ARef<E>> {
        // SAFETY: `e` is live; its hash was written when it was linked.
        let hash = unsafe { skc_hash(e.common()) };
        self.lock(hash).remove(e)
    }
}

impl<D, R, W> Drop for NullsTable<D, R, W> {
    fn drop(&mut self) {
        // SAFETY: allocated in `new`; every entry was removed (each holds
        // a reference on the module, or is purged with its netns).
        unsafe { b::rust_tcp_glue_nulls_table_free(&mut self.t) }
    }
}

/// A locked bucket stripe of a [`NullsTable`], for one bucket.
pub(crate) struct Bucket<'a, D, R, W> {
    table: &'a NullsTable<D, R, W>,
    slot: u32,
    lock: *mut b::spinlock_t,
}

impl<D: SockData, R: MiniData, W: MiniData> Bucket<'_, D, R, W> {
    /// The first entry of this bucket whose key `matches` accepts, with a
    /// reference. Entries are stable under the lock; one whose count
    /// already fell to zero is on its way out and skipped.
    pub(crate) fn find(&self, matches: impl Fn(&SkKey) -> bool) -> Option<Hashed<D, R, W>> {
        self.find_entry(matches, |_| true)
    }

    /// The first entry of this bucket whose key `key` accepts and which
    /// `pick` then accepts (looking at the entry itself, with a reference
    /// held), with a reference.
    pub(crate) fn find_entry(
        &self,
        key: impl Fn(&SkKey) -> bool,
        pick: impl Fn(&Hashed<D, R, W>) -> bool,
    ) -> Option<Hashed<D, R, W>> {
        // SAFETY: as in `find`.
        unsafe {
            let mut pos = addr_of!((*self.table.head(self.slot)).first).read_volatile();
            while !is_a_nulls(pos) {
                let c = common_of(pos);
                if key(&read_key(c)) && b::rust_tcp_glue_refcount_inc_not_zero(c) {
                    let e = Hashed::from_common(c);
                    if pick(&e) {
                        return Some(e);
                    }
                    // Not the last reference: the table holds one.
                    drop(e);
                }
                pos = addr_of!((*pos).next).read_volatile();
            }
        }
        None
    }

    /// Links `e` at the head of the bucket with `hash` as its hash, taking
    /// a reference for the table. EBUSY if it is linked already (in this
    /// table or another of the same node).
    pub(crate) fn insert<E: Member<D, R, W>>(&mut self, e: &E, hash: u32) -> Result {
        self.link(e, hash, false)
    }

    /// [`Bucket::insert`] at the tail: the chain keeps insertion order
    /// (listeners, so a SO_REUSEPORT group is in listen() order).
    pub(crate) fn insert_tail<E: Member<D, R, W>>(&mut self, e: &E, hash: u32) -> Result {
        self.link(e, hash, true)
    }

    fn link<E: Member<D, R, W>>(&mut self, e: &E, hash: u32, tail: bool) -> Result {
        if !E::allowed() || hash & self.table.t.mask != self.slot {
            return Err(EINVAL);
        }
        let c = e.common();
        // SAFETY: `e` is live; linking changes only its node (under this
        // lock) and its neighbours', published with rcu_assign_pointer.
        unsafe {
            if hashed(c) {
                return Err(EBUSY);
            }
            addr_of_mut!((*c).__bindgen_anon_2.skc_hash).write_volatile(hash);
            core::mem::forget(ARef::from(e));
            if tail {
                b::rust_tcp_glue_nulls_add_tail(self.table.head(self.slot), c);
            } else {
                b::rust_tcp_glue_nulls_add(self.table.head(self.slot), c);
            }
        }
        Ok(())
    }

    /// Unlinks `e` if it is linked in this bucket, returning the table's
    /// reference (drop it after the lock).
    pub(crate) fn remove<E: Member<D, R, W>>(&mut self, e: &E) -> Option<ARef<E>> {
        let c = e.common();
        // SAFETY: `e` is live; its hash was written under a bucket lock
        // when it was linked, and it is unlinked only under the same one.
        unsafe {
            if !self.linked_here(c) {
                return None;
            }
            b::rust_tcp_glue_nulls_del(c);
            Some(ARef::from_raw(core::ptr::NonNull::from(e)))
        }
    }

    /// Puts `new` in `old`'s place in one step (`sk_nulls_replace_node_init_rcu`,
    /// as `inet_ehash_insert` with `osk` and the timewait hashdance do), so
    /// a lockless lookup finds one or the other, never neither. `new`
    /// takes `hash` (it must hash to this bucket, as `old` does). Returns
    /// the table's reference to `old`; `None` (nothing changed) if `old`
    /// is not linked here or `new` is linked somewhere.
    pub(crate) fn replace<E: Member<D, R, W>, F: Member<D, R, W>>(&mut self, old: &E, new: &F, hash: u32) -> Option<ARef<E>> {
        let (oc, nc) = (old.common(), new.common());
        if !F::allowed() || hash & self.table.t.mask != self.slot {
            return None;
        }
        // SAFETY: both live; the chain changes under this lock only, and
        // readers see the node swapped with rcu_assign_pointer.
        unsafe {
            if !self.linked_here(oc) || hashed(nc) {
                return None;
            }
            addr_of_mut!((*nc).__bindgen_anon_2.skc_hash).write_volatile(hash);
            core::mem::forget(ARef::from(new));
            b::rust_tcp_glue_nulls_replace(oc, nc);
            Some(ARef::from_raw(core::ptr::NonNull::from(old)))
        }
    }

    /// Whether `c` is linked in this bucket's chain. An object linked in
    /// another table through the same node (a listener in lhash2, asked to
    /// leave the ehash) must not be unlinked under this table's lock.
    ///
    /// # Safety
    ///
    /// `c` is a live object's `sock_common`.
    unsafe fn linked_here(&self, c: *mut b::sock_common) -> bool {
        // SAFETY: the caller's contract; the chain is stable under the
        // lock.
        unsafe {
            if !hashed(c) || skc_hash(c) & self.table.t.mask != self.slot {
                return false;
            }
            let mut pos = addr_of!((*self.table.head(self.slot)).first).read_volatile();
            while !is_a_nulls(pos) {
                if common_of(pos) == c {
                    return true;
                }
                pos = addr_of!((*pos).next).read_volatile();
            }
        }
        false
    }
}

impl<D, R, W> Drop for Bucket<'_, D, R, W> {
    fn drop(&mut self) {
        // SAFETY: taken in `NullsTable::lock`.
        unsafe { b::spin_unlock_bh(self.lock) };
    }
}
