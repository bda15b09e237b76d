// SPDX-License-Identifier: GPL-2.0

//! Mini socks: the small objects Linux hashes beside full socks, as
//! `request_sock` and `inet_timewait_sock` are. Each starts with a
//! `struct sock_common` (its hash key, state, hash linkage and refcount, in
//! the same layout as a sock's), followed by the protocol's state `T`.
//!
//! They come from a `SLAB_TYPESAFE_BY_RCU` cache ([`MiniCache<T>`]), as
//! Linux's `request_sock_TCP` and `tw_sock_TCP` do: a freed object's memory
//! may be reused at once, but only for another `MiniSock<T>`, and it
//! returns to the page allocator only after an RCU grace period. A lockless
//! lookup may therefore read the `sock_common` of an object that was freed
//! (or freed and reused) meanwhile; it takes a reference only with
//! `refcount_inc_not_zero` and then checks the key again (see
//! `super::inet_hash`). Everything else (`T`) is touched only through a
//! reference.

use super::bindings as b;
use super::net::{Net, NetData};
use super::timer::TimerHost;
use core::marker::PhantomData;
use core::ptr::{addr_of, addr_of_mut, NonNull};
use kernel::init::PinInit;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::{ARef, AlwaysRefCounted, Opaque};

/// What a mini sock's `sock_common` says of it: the hash key, as Linux
/// stores it (addresses and the remote port in network order, the local
/// port in host order).
#[derive(Clone, Copy)]
pub(crate) struct CommonInit {
    pub(crate) laddr: [u8; 4],
    pub(crate) lport: u16,
    pub(crate) raddr: [u8; 4],
    pub(crate) rport: u16,
    pub(crate) bound_dev_if: i32,
}

/// The state a mini sock carries, and the `skc_state` its kind always has
/// (`TCP_NEW_SYN_RECV` for a request, `TCP_TIME_WAIT` for a timewait sock):
/// written by [`MiniCache::alloc`], never changed, so that a table can tell
/// the kinds apart from the state alone (`super::inet_hash`).
pub(crate) trait MiniData: Send + Sync + Sized + 'static {
    const STATE: u8;
}

/// `skc_state` of requests, and of timewait socks.
pub(crate) const REQ_STATE: u8 = b::TCP_NEW_SYN_RECV as u8;
pub(crate) const TW_STATE: u8 = b::TCP_TIME_WAIT as u8;

#[repr(C)]
struct MiniObj<T> {
    common: b::sock_common,
    /// The cache it came from, to free it to.
    cache: *mut b::kmem_cache,
    data: T,
}

/// A mini sock carrying a `T`, used by reference; `ARef<MiniSock<T>>`
/// owns a reference (`skc_refcnt`).
///
/// # Invariants
///
/// A `&MiniSock<T>` points to an object allocated by a [`MiniCache<T>`]
/// whose `data` is initialised and whose refcount someone holds for as
/// long as the borrow lasts.
#[repr(transparent)]
pub(crate) struct MiniSock<T>(Opaque<MiniObj<T>>);

// SAFETY: shared between CPUs by design: the C fields are read with
// READ_ONCE semantics or written before the object is published, and `T`
// is `Send + Sync`.
unsafe impl<T: Send + Sync> Send for MiniSock<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for MiniSock<T> {}

// SAFETY: `skc_refcnt` counts the references; the object is freed (its
// `data` dropped, its memory returned to the cache) when it drops to zero.
unsafe impl<T: Send + Sync> AlwaysRefCounted for MiniSock<T> {
    fn inc_ref(&self) {
        // SAFETY: the object is live (invariant), so its count is > 0.
        unsafe { b::rust_tcp_glue_refcount_inc(self.common()) }
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        let p = obj.as_ptr().cast::<MiniObj<T>>();
        // SAFETY: the caller gives up one reference to a live object.
        if unsafe { b::rust_tcp_glue_refcount_dec_and_test(addr_of_mut!((*p).common)) } {
            // SAFETY: that was the last reference: nothing can reach `data`
            // any more (a lookup's `refcount_inc_not_zero` fails on zero),
            // so it is dropped once, here; the memory goes back to the
            // cache it came from, where lookups may still read its
            // `sock_common` until a grace period passes (TYPESAFE_BY_RCU).
            unsafe {
                core::ptr::drop_in_place(addr_of_mut!((*p).data));
                b::rust_tcp_glue_cache_free((*p).cache, p.cast());
            }
        }
    }
}

// SAFETY: `data` is at this offset of every mini sock, and a reference
// keeps it alive.
unsafe impl<T: Send + Sync> TimerHost for MiniSock<T> {
    type Data = T;
    const DATA_OFFSET: usize = core::mem::offset_of!(MiniObj<T>, data);
}

impl<T: Send + Sync> MiniSock<T> {
    /// The protocol state.
    pub(crate) fn data(&self) -> &T {
        // SAFETY: initialised before the object was published and dropped
        // only after the last reference (invariant).
        unsafe { &*addr_of!((*self.0.get()).data) }
    }

    pub(super) fn common(&self) -> *mut b::sock_common {
        // SAFETY: only the address is computed.
        unsafe { addr_of_mut!((*self.0.get()).common) }
    }

    /// Identity, for "this very object" checks.
    pub(crate) fn id(&self) -> usize {
        self.0.get() as usize
    }

    /// Takes over a reference to the object whose `sock_common` is `c`.
    ///
    /// # Safety
    ///
    /// `c` is the `sock_common` of a live `MiniSock<T>` and the caller
    /// owns one reference to it, which passes to the result.
    pub(super) unsafe fn from_common(c: *mut b::sock_common) -> ARef<Self> {
        // SAFETY: `common` is the first field of the `repr(C)` object, so
        // the pointers coincide; the caller's contract covers the rest.
        unsafe { ARef::from_raw(NonNull::new_unchecked(c.cast::<Self>())) }
    }
}

/// A `SLAB_TYPESAFE_BY_RCU` cache of `MiniSock<T>`s.
pub(crate) struct MiniCache<T> {
    cache: NonNull<b::kmem_cache>,
    _p: PhantomData<T>,
}

// SAFETY: a kmem_cache is used from any CPU through its own API.
unsafe impl<T> Send for MiniCache<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for MiniCache<T> {}

impl<T: MiniData> MiniCache<T> {
    /// Creates the cache (`/proc/slabinfo` shows it as `name`).
    pub(crate) fn new(name: &'static CStr) -> Result<Self> {
        let size = u32::try_from(core::mem::size_of::<MiniObj<T>>()).map_err(|_| EINVAL)?;
        let align = u32::try_from(core::mem::align_of::<MiniObj<T>>()).map_err(|_| EINVAL)?;
        // SAFETY: `name` is a static NUL-terminated string.
        let c = unsafe { b::rust_tcp_glue_cache_create(name.as_char_ptr(), size, align) };
        Ok(Self {
            cache: NonNull::new(c).ok_or(ENOMEM)?,
            _p: PhantomData,
        })
    }

    /// A new mini sock in `net` with `key` and state `data`; the one
    /// reference returned is its only one. GFP_ATOMIC (softirq).
    pub(crate) fn alloc<N: NetData>(&self, net: &Net<N>, key: &CommonInit, data: impl PinInit<T>) -> Result<ARef<MiniSock<T>>> {
        // SAFETY: a valid cache.
        let p = unsafe { b::rust_tcp_glue_cache_alloc(self.cache.as_ptr()) }.cast::<MiniObj<T>>();
        if p.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: `p` is an object of this cache: either fresh memory no
        // lookup can reach, or a freed `MiniSock<T>` whose refcount is 0,
        // which lookups may still be reading. So: the refcount stays 0
        // until the end; `skc_nulls_node.next` is left as it is (a reader
        // may be walking through it); every other field a lookup reads is
        // written with volatile stores; `pprev` = NULL marks it unhashed.
        unsafe {
            let c = addr_of_mut!((*p).common);
            b::rust_tcp_glue_refcount_publish_zero(c);
            addr_of_mut!((*c).__bindgen_anon_1.__bindgen_anon_1.skc_daddr).write_volatile(u32::from_ne_bytes(key.raddr));
            addr_of_mut!((*c).__bindgen_anon_1.__bindgen_anon_1.skc_rcv_saddr).write_volatile(u32::from_ne_bytes(key.laddr));
            addr_of_mut!((*c).__bindgen_anon_3.__bindgen_anon_1.skc_dport).write_volatile(key.rport.to_be());
            addr_of_mut!((*c).__bindgen_anon_3.__bindgen_anon_1.skc_num).write_volatile(key.lport);
            addr_of_mut!((*c).skc_family).write_volatile(b::AF_INET as u16);
            addr_of_mut!((*c).skc_state).write_volatile(T::STATE);
            addr_of_mut!((*c).skc_bound_dev_if).write_volatile(key.bound_dev_if);
            addr_of_mut!((*c).skc_net.net).write_volatile(net.as_raw());
            addr_of_mut!((*c).__bindgen_anon_6.skc_nulls_node.pprev).write_volatile(core::ptr::null_mut());
            addr_of_mut!((*p).cache).write(self.cache.as_ptr());
        }
        // SAFETY: `data` is uninitialised memory of the object, valid for
        // writes and never moved while the object lives.
        match unsafe { data.__pinned_init(addr_of_mut!((*p).data)) } {
            Ok(()) => (),
            Err(e) => match e {},
        }
        // SAFETY: every field is written; the refcount goes to 1 with
        // release ordering, so a lookup whose (acquire) increment succeeds
        // sees them all.
        unsafe {
            b::rust_tcp_glue_refcount_publish(addr_of_mut!((*p).common), 1);
            Ok(ARef::from_raw(NonNull::new_unchecked(p.cast::<MiniSock<T>>())))
        }
    }
}

impl<T> Drop for MiniCache<T> {
    fn drop(&mut self) {
        // SAFETY: created in `new`. Every object's last reference is gone
        // (their owners went before the module's registrations), but the
        // last put may still be finishing in a timer callback (softirq,
        // an RCU read-side section), between dropping the data and freeing
        // the memory: a grace period waits it out. kmem_cache_destroy then
        // waits for the cache's own RCU frees.
        unsafe {
            b::rust_tcp_glue_synchronize_rcu();
            b::rust_tcp_glue_cache_destroy(self.cache.as_ptr());
        }
    }
}
