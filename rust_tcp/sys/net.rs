// SPDX-License-Identifier: GPL-2.0

//! Network namespaces, generic over the per-netns state of the protocol
//! above ([`NetData`]): [`Net<N>`], a `struct net` used by reference with
//! the sysctls and address queries the protocol reads; the pernet
//! subsystem whose slot holds each netns's `N`; the netns's LOCAL_IN hook,
//! which hands received packets to `N::rcv`; and its proc file.

use super::bindings as b;
use super::skb::RxSkb;
use core::marker::PhantomData;
use core::pin::Pin;
use core::ptr::NonNull;
use kernel::error::{from_result, to_result};
use kernel::ffi::c_int;
use kernel::init::PinInit;
use kernel::prelude::*;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::sync::Arc;
use kernel::types::Opaque;

/// The per-netns state of a protocol, and what the netns asks of it.
pub(crate) trait NetData: Send + Sync + Sized + 'static {
    /// The protocol's state shared by every netns (its hash tables, as
    /// Linux's `tcp_hashinfo`), made before the first netns's and dropped
    /// after the last one's.
    type Global: Send + Sync + 'static;
    /// The state of a new netns.
    fn new(global: &Arc<Self::Global>) -> impl PinInit<Self, Error>;
    /// The netns is going away: its hook and proc file are gone, every
    /// socket of it is gone; whatever holds no netns reference (timewait
    /// socks) must go now. The state is freed right after.
    fn exit(net: &Net<Self>);
    /// A packet the LOCAL_IN hook saw (softirq, or BHs disabled).
    fn rcv(net: &Net<Self>, skb: &mut RxSkb) -> Verdict;
    /// Writes /proc/net/rust_tcp_stat.
    fn show(net: &Net<Self>, seq: &mut SeqFile);
}

/// What the receive path did with a packet.
pub(crate) enum Verdict {
    /// Not ours: let the stack (the kernel's TCP) have it.
    Accept,
    /// Ours, processed: free it as consumed.
    Consumed,
    /// Ours, dropped (malformed, no room, ...): free it as dropped.
    Dropped,
}

/// The netns sysctls rust_tcp reads (bindgen's `rust_tcp_sysctl`).
pub(crate) use b::rust_tcp_sysctl as Sysctl;

/// `RTN_LOCAL` etc., as `inet_addr_type_table` answers.
pub(crate) mod rtn {
    pub(crate) const LOCAL: u32 = 2;
    pub(crate) const BROADCAST: u32 = 3;
    pub(crate) const MULTICAST: u32 = 5;
}

/// A network namespace whose `N` exists.
///
/// # Invariants
///
/// A `&Net<N>` points to a live netns for the borrow, whose pernet slot
/// holds the `N` stored by [`PernetRegistration<N>`]'s init (not yet freed
/// by its exit).
#[repr(transparent)]
pub(crate) struct Net<N>(Opaque<b::net>, PhantomData<N>);

// SAFETY: a netns is shared by all CPUs; `N` is `Sync`.
unsafe impl<N: NetData> Sync for Net<N> {}

impl<N: NetData> Net<N> {
    /// # Safety
    ///
    /// `raw` must satisfy the type invariant for `'a`.
    pub(super) unsafe fn from_raw<'a>(raw: *mut b::net) -> &'a Self {
        // SAFETY: transparent wrapper; the caller's contract.
        unsafe { &*raw.cast::<Self>() }
    }

    pub(super) fn as_raw(&self) -> *mut b::net {
        self.0.get()
    }

    /// Identity, to tell netns apart in shared tables (`net_eq`).
    pub(crate) fn id(&self) -> usize {
        self.as_raw() as usize
    }

    /// The protocol's state of this netns.
    pub(crate) fn data(&self) -> &N {
        // SAFETY: by the invariant the slot holds the `N` stored by
        // `net_init`, pinned and alive until `net_exit`.
        unsafe { &*(*b::rust_tcp_glue_net_slot(self.as_raw())).cast::<N>() }
    }

    /// A sysctl of this netns.
    pub(crate) fn sysctl(&self, which: Sysctl) -> i32 {
        // SAFETY: the netns is live.
        unsafe { b::rust_tcp_glue_sysctl(self.as_raw(), which) }
    }

    /// Whether `port` is in `ip_local_reserved_ports`.
    pub(crate) fn port_reserved(&self, port: u16) -> bool {
        // SAFETY: the netns is live.
        unsafe { b::rust_tcp_glue_port_reserved(self.as_raw(), port) }
    }

    /// The route type of `addr` in this netns (see [`rtn`]).
    pub(crate) fn addr_type(&self, addr: [u8; 4]) -> u32 {
        // SAFETY: the netns is live; the address goes as __be32.
        unsafe { b::rust_tcp_glue_addr_type(self.as_raw(), u32::from_ne_bytes(addr)) }
    }

    /// CAP_NET_BIND_SERVICE in the netns's user namespace.
    pub(crate) fn can_bind_service(&self) -> bool {
        // SAFETY: the netns is live.
        unsafe { b::rust_tcp_glue_can_bind_service(self.as_raw()) }
    }

    /// `tcp_v4_connect`'s route lookup towards `daddr` from `saddr` (the
    /// bound address, or 0 to let the route choose).
    pub(crate) fn route_connect(&self, daddr: [u8; 4], oif: i32, saddr: [u8; 4]) -> Result<RouteConnect> {
        let mut src = u32::from_ne_bytes(saddr);
        let mut dst = u32::from_ne_bytes(daddr);
        let (mut advmss, mut mtu) = (0, 0);
        // SAFETY: the netns is live; the outputs are valid for writes.
        to_result(unsafe {
            b::rust_tcp_glue_route_connect(self.as_raw(), &mut dst, oif, &mut src, &mut advmss, &mut mtu)
        })?;
        Ok(RouteConnect {
            saddr: src.to_ne_bytes(),
            daddr: dst.to_ne_bytes(),
            advmss: u32::try_from(advmss).unwrap_or(0),
            mtu,
        })
    }

    /// The route from `saddr` to `daddr` (out of `oif` if not 0), held:
    /// one lookup for what is learnt from it and what is sent on it.
    pub(crate) fn route_output(&self, saddr: [u8; 4], daddr: [u8; 4], oif: i32) -> Result<Route> {
        let mut dst = core::ptr::null_mut();
        // SAFETY: the netns is live; addresses as __be32; `dst` is valid
        // for a write, and on success holds a reference that is ours.
        to_result(unsafe {
            b::rust_tcp_glue_route_output(self.as_raw(), u32::from_ne_bytes(saddr), u32::from_ne_bytes(daddr), oif, &mut dst)
        })?;
        // INVARIANT: a route with a reference we own.
        NonNull::new(dst).map(|dst| Route { dst }).ok_or(EINVAL)
    }

    /// The advertised MSS of the route from `saddr` to `daddr`.
    pub(crate) fn route_advmss(&self, saddr: [u8; 4], daddr: [u8; 4], oif: i32) -> Result<u16> {
        Ok(self.route_output(saddr, daddr, oif)?.advmss())
    }
}

/// A route (`struct dst_entry`) and the reference that keeps it.
///
/// INVARIANT: `dst` is a live route on which this value holds one
/// reference, dropped with it.
pub(crate) struct Route {
    dst: NonNull<b::dst_entry>,
}

impl Route {
    /// `dst_metric_advmss`.
    pub(crate) fn advmss(&self) -> u16 {
        // SAFETY: the route is live (the invariant).
        let mss = unsafe { b::rust_tcp_glue_dst_advmss(self.dst.as_ptr()) };
        u16::try_from(mss.max(0)).unwrap_or(u16::MAX)
    }

    pub(super) fn as_raw(&self) -> *mut b::dst_entry {
        self.dst.as_ptr()
    }
}

impl Drop for Route {
    fn drop(&mut self) {
        // SAFETY: the reference is ours (the invariant) and goes here.
        unsafe { b::rust_tcp_glue_dst_release(self.dst.as_ptr()) }
    }
}

/// What `tcp_v4_connect` learns from the route.
pub(crate) struct RouteConnect {
    /// The source address (the bound one, or the route's choice).
    pub(crate) saddr: [u8; 4],
    /// The destination (`fl4->daddr`: 0.0.0.0 becomes a local address).
    pub(crate) daddr: [u8; 4],
    /// `dst_metric_advmss`.
    pub(crate) advmss: u32,
    /// `dst_mtu`.
    pub(crate) mtu: u32,
}

/// The proc file being shown.
///
/// # Invariants
///
/// `raw` is the seq_file of a show callback in progress.
pub(crate) struct SeqFile {
    raw: *mut b::seq_file,
}

impl SeqFile {
    /// Appends `bytes` (`seq_write`).
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        // SAFETY: `raw` is live (invariant); `bytes` is initialised.
        unsafe { b::rust_tcp_glue_seq_write(self.raw, bytes.as_ptr().cast(), bytes.len()) };
    }
}

/// Keeps the pernet subsystem registered; unregistering runs the exit
/// callback for every live netns, so nothing is left behind.
pub(crate) struct PernetRegistration<N: NetData>(PhantomData<N>);

/// The registration's `Arc<N::Global>` (from `Arc::into_raw`), for
/// `net_init`: set before the subsystem is registered, taken back after it
/// is unregistered. One registration at a time uses it.
static GLOBAL: AtomicPtr<core::ffi::c_void> = AtomicPtr::new(core::ptr::null_mut());
/// `TypeId::of::<N>` of the registration's `N`, so [`global`] hands the
/// pointer out only as the type it is.
static GLOBAL_TYPE: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());

/// The registration's shared state (what `NetData::new` receives), for code
/// that runs with no netns at hand, such as a timewait sock's timer. `None`
/// unless `N`'s registration is live; every netns's exit has run before it
/// ends, so what a netns owns (and purges at exit) can rely on it.
pub(crate) fn global<N: NetData>() -> Option<Arc<N::Global>> {
    let t = GLOBAL_TYPE.load(Ordering::Acquire);
    if t.is_null() {
        return None;
    }
    // SAFETY: only `PernetRegistration::new` stores here, a
    // `fn() -> TypeId` (cast to a data pointer and back).
    let type_of: fn() -> core::any::TypeId = unsafe { core::mem::transmute::<*mut (), fn() -> core::any::TypeId>(t) };
    if type_of() != core::any::TypeId::of::<N>() {
        return None;
    }
    let p = GLOBAL.load(Ordering::Acquire).cast::<N::Global>().cast_const();
    if p.is_null() {
        return None;
    }
    // SAFETY: `p` came from `Arc::into_raw` of an `Arc<N::Global>` (the
    // type check above), and the registration keeps that reference until
    // it ends, after which no caller can run (see above). We take a new
    // reference without giving up the registration's.
    let g = core::mem::ManuallyDrop::new(unsafe { Arc::from_raw(p) });
    Some((*g).clone())
}

impl<N: NetData> PernetRegistration<N> {
    /// # Safety
    ///
    /// At most one registration exists at a time (the glue has one pernet
    /// subsystem and one slot); `super::Registration` keeps it so.
    pub(super) unsafe fn new(global: Arc<N::Global>) -> Result<Self> {
        GLOBAL.store(Arc::into_raw(global).cast_mut().cast(), Ordering::Release);
        let type_of: fn() -> core::any::TypeId = core::any::TypeId::of::<N>;
        GLOBAL_TYPE.store(type_of as *mut (), Ordering::Release);
        let cbs = b::rust_tcp_glue_pernet_cbs {
            init: Some(net_init::<N>),
            exit: Some(net_exit::<N>),
            rcv: Some(rcv::<N>),
            stat_show: Some(stat_show::<N>),
        };
        // SAFETY: the glue copies the callbacks and registers its static
        // pernet_operations once; `Drop` unregisters it.
        if let Err(e) = to_result(unsafe { b::rust_tcp_glue_pernet_register(&cbs) }) {
            drop(take_global::<N>());
            return Err(e);
        }
        Ok(Self(PhantomData))
    }
}

/// Takes back the reference `GLOBAL` holds.
fn take_global<N: NetData>() -> Option<Arc<N::Global>> {
    GLOBAL_TYPE.store(core::ptr::null_mut(), Ordering::Release);
    let p = GLOBAL.swap(core::ptr::null_mut(), Ordering::AcqRel);
    // SAFETY: a non-null `GLOBAL` came from `Arc::into_raw` of this
    // registration's `Arc<N::Global>` (one registration at a time).
    (!p.is_null()).then(|| unsafe { Arc::from_raw(p.cast::<N::Global>().cast_const()) })
}

impl<N: NetData> Drop for PernetRegistration<N> {
    fn drop(&mut self) {
        // SAFETY: registered in `new`; nothing else unregisters it. Every
        // netns's exit has run when it returns, so no init needs GLOBAL.
        // A timer callback (softirq: an RCU read-side section) that took a
        // reference from `global()` may still be finishing with it: a
        // grace period waits it out, so the registration's is the last.
        unsafe {
            b::rust_tcp_glue_pernet_unregister();
            b::rust_tcp_glue_synchronize_rcu();
        }
        drop(take_global::<N>());
    }
}

/// Pernet init: allocate this netns's `N`, then start receiving.
///
/// # Safety
///
/// Called by the pernet core with a netns being set up.
unsafe extern "C" fn net_init<N: NetData>(net: *mut b::net) -> c_int {
    from_result(|| {
        let p = GLOBAL.load(Ordering::Acquire).cast::<N::Global>().cast_const();
        // SAFETY: set by `PernetRegistration::new` before registering, and
        // taken back only after unregistering, which no init outlives; the
        // `ManuallyDrop` leaves the registration's reference where it is.
        let global = core::mem::ManuallyDrop::new(unsafe { Arc::from_raw(p) });
        let data = KBox::pin_init(N::new(&global), GFP_KERNEL)?;
        // SAFETY: the box is turned back into a `Pin<KBox>` only in
        // `net_exit` and never moved meanwhile.
        let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(data) });
        // SAFETY: the pernet core gives this netns a zeroed slot of
        // `sizeof(void *)`, ours alone.
        unsafe { *b::rust_tcp_glue_net_slot(net) = raw.cast() };
        // SAFETY: the state the hook and the proc file read now exists.
        let r = to_result(unsafe { b::rust_tcp_glue_proc_register(net) }).and_then(|()| {
            // SAFETY: as above.
            to_result(unsafe { b::rust_tcp_glue_nf_register(net) }).inspect_err(|_| {
                // SAFETY: registered just above.
                unsafe { b::rust_tcp_glue_proc_unregister(net) }
            })
        });
        if let Err(e) = r {
            // SAFETY: the hook is not registered, so nothing can see `raw`.
            unsafe {
                *b::rust_tcp_glue_net_slot(net) = core::ptr::null_mut();
                drop(KBox::from_raw(raw));
            }
            return Err(e);
        }
        Ok(0)
    })
}

/// Pernet exit: stop receiving, let `N` clean up, then free it.
///
/// # Safety
///
/// Called by the pernet core once per netns whose init succeeded, after
/// every socket of the netns is gone.
unsafe extern "C" fn net_exit<N: NetData>(net: *mut b::net) {
    // SAFETY: registered by init; unregistering waits for hooks in flight
    // (synchronize_net), so no `rcv` runs on this netns after it, and
    // removing the proc entry waits for its readers.
    unsafe {
        b::rust_tcp_glue_nf_unregister(net);
        b::rust_tcp_glue_proc_unregister(net);
    }
    // SAFETY: `net` is live and its `N` exists until the end of this call.
    N::exit(unsafe { Net::<N>::from_raw(net) });
    // SAFETY: `net` is a netns in its exit; its slot holds what init stored.
    let slot = unsafe { &mut *b::rust_tcp_glue_net_slot(net) };
    let raw = core::mem::replace(slot, core::ptr::null_mut()).cast::<N>();
    // SAFETY: `raw` came from `KBox::into_raw` in init and is dropped once.
    drop(unsafe { Pin::new_unchecked(KBox::from_raw(raw)) });
}

/// The LOCAL_IN hook's call into the receive path.
///
/// # Safety
///
/// Called from the hook (softirq, or process context with BHs disabled)
/// with the hook's netns and skb.
unsafe extern "C" fn rcv<N: NetData>(net: *mut b::net, skb: *mut b::sk_buff) -> c_int {
    // SAFETY: the hook runs only between nf_register and nf_unregister,
    // while the netns state exists; the skb is the hook's.
    let (net, mut rx) = unsafe { (Net::<N>::from_raw(net), RxSkb::from_raw(skb)) };
    let v = N::rcv(net, &mut rx);
    if rx.stolen() {
        // On a sock's backlog: release_sock frees it (NF_STOLEN).
        return 1;
    }
    match v {
        Verdict::Accept => 0,
        Verdict::Consumed => {
            // SAFETY: returning 1 (NF_STOLEN) makes the skb ours to free.
            unsafe { b::consume_skb(rx.as_raw()) };
            1
        }
        Verdict::Dropped => {
            // SAFETY: as above.
            unsafe { b::kfree_skb(rx.as_raw()) };
            1
        }
    }
}

/// Shows /proc/net/rust_tcp_stat.
///
/// # Safety
///
/// Called by the seq_file core with a proc file of a netns whose state
/// exists (the file is removed before the state in `net_exit`).
unsafe extern "C" fn stat_show<N: NetData>(seq: *mut b::seq_file, net: *mut b::net) {
    // SAFETY: per the function's contract.
    let net = unsafe { Net::<N>::from_raw(net) };
    // INVARIANT: the show callback of `seq` is running.
    let mut f = SeqFile { raw: seq };
    N::show(net, &mut f);
}
