// SPDX-License-Identifier: GPL-2.0

//! Network namespaces: [`Net`], a borrowed `struct net` with the sysctls
//! and address queries rust_tcp uses; the pernet subsystem whose slot holds
//! each netns's pinned [`RtcpNet`]; and the netns's LOCAL_IN hook, which
//! feeds received segments to `tcp_ipv4::rcv`.

use super::bindings as b;
use super::skb::RxSkb;
use crate::netns::RtcpNet;
use core::marker::PhantomData;
use core::pin::Pin;
use kernel::error::{from_result, to_result};
use kernel::ffi::c_int;
use kernel::prelude::*;

/// Keeps the pernet subsystem registered; unregistering runs the exit
/// callback for every live netns, so nothing is left behind.
pub(crate) struct PernetRegistration(());

impl PernetRegistration {
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: the glue's pernet_operations is a static, registered once
        // (module init) and unregistered once, by `Drop` below.
        to_result(unsafe { b::rust_tcp_glue_pernet_register() })?;
        Ok(Self(()))
    }
}

impl Drop for PernetRegistration {
    fn drop(&mut self) {
        // SAFETY: registered in `new`; nothing else unregisters it.
        unsafe { b::rust_tcp_glue_pernet_unregister() }
    }
}

/// The netns sysctls rust_tcp reads (bindgen's `rust_tcp_sysctl`).
pub(crate) use b::rust_tcp_sysctl as Sysctl;

/// `RTN_LOCAL` etc., as `inet_addr_type_table` answers.
pub(crate) mod rtn {
    pub(crate) const LOCAL: u32 = 2;
    pub(crate) const BROADCAST: u32 = 3;
    pub(crate) const MULTICAST: u32 = 5;
}

/// A network namespace, alive for `'a`.
///
/// # Invariants
///
/// `raw` is a live netns for `'a` whose rust_tcp state exists (its pernet
/// init ran and its exit has not).
#[derive(Clone, Copy)]
pub(crate) struct Net<'a> {
    raw: *mut b::net,
    _p: PhantomData<&'a ()>,
}

impl<'a> Net<'a> {
    /// # Safety
    ///
    /// `raw` must satisfy the type invariant for `'a`.
    pub(super) unsafe fn from_raw(raw: *mut b::net) -> Self {
        // INVARIANT: the caller's contract.
        Self {
            raw,
            _p: PhantomData,
        }
    }

    pub(super) fn as_raw(&self) -> *mut b::net {
        self.raw
    }

    /// rust_tcp's state of this netns.
    pub(crate) fn rtcp(&self) -> Pin<&'a RtcpNet> {
        // SAFETY: by the invariant the slot holds the `RtcpNet` stored by
        // `rust_tcp_net_init`, pinned and alive until `rust_tcp_net_exit`.
        unsafe {
            let p = (*b::rust_tcp_glue_net_slot(self.raw)).cast::<RtcpNet>();
            Pin::new_unchecked(&*p)
        }
    }

    /// A sysctl of this netns.
    pub(crate) fn sysctl(&self, which: Sysctl) -> i32 {
        // SAFETY: `raw` is live.
        unsafe { b::rust_tcp_glue_sysctl(self.raw, which) }
    }

    /// Whether `port` is in `ip_local_reserved_ports`.
    pub(crate) fn port_reserved(&self, port: u16) -> bool {
        // SAFETY: `raw` is live.
        unsafe { b::rust_tcp_glue_port_reserved(self.raw, port) }
    }

    /// The route type of `addr` in this netns (see [`rtn`]).
    pub(crate) fn addr_type(&self, addr: [u8; 4]) -> u32 {
        // SAFETY: `raw` is live; the address goes as __be32.
        unsafe { b::rust_tcp_glue_addr_type(self.raw, u32::from_ne_bytes(addr)) }
    }

    /// CAP_NET_BIND_SERVICE in the netns's user namespace.
    pub(crate) fn can_bind_service(&self) -> bool {
        // SAFETY: `raw` is live.
        unsafe { b::rust_tcp_glue_can_bind_service(self.raw) }
    }

    /// `tcp_v4_connect`'s route lookup towards `daddr` from `saddr` (the
    /// bound address, or 0 to let the route choose).
    pub(crate) fn route_connect(&self, daddr: [u8; 4], oif: i32, saddr: [u8; 4]) -> Result<RouteConnect> {
        let mut src = u32::from_ne_bytes(saddr);
        let mut dst = u32::from_ne_bytes(daddr);
        let (mut advmss, mut mtu) = (0, 0);
        // SAFETY: `raw` is live; the outputs are valid for writes.
        to_result(unsafe {
            b::rust_tcp_glue_route_connect(self.raw, &mut dst, oif, &mut src, &mut advmss, &mut mtu)
        })?;
        Ok(RouteConnect {
            saddr: src.to_ne_bytes(),
            daddr: dst.to_ne_bytes(),
            advmss: u32::try_from(advmss).unwrap_or(0),
            mtu,
        })
    }

    /// The advertised MSS of the route from `saddr` to `daddr`.
    pub(crate) fn route_advmss(&self, saddr: [u8; 4], daddr: [u8; 4], oif: i32) -> Result<u16> {
        // SAFETY: `raw` is live; addresses as __be32.
        let mss = unsafe {
            b::rust_tcp_glue_route_advmss(self.raw, u32::from_ne_bytes(saddr), u32::from_ne_bytes(daddr), oif)
        };
        to_result(mss)?;
        Ok(u16::try_from(mss).unwrap_or(u16::MAX))
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

/// Pernet init: allocate this netns's state, then start receiving.
///
/// # Safety
///
/// Called by the pernet core with a netns being set up.
#[no_mangle]
unsafe extern "C" fn rust_tcp_net_init(net: *mut b::net) -> c_int {
    from_result(|| {
        let key = |k: [u64; 2]| crate::proto::siphash::SipKey::new(k);
        let tables = crate::inet_hashtables::Tables::new(key(super::random_key()))?;
        let data = KBox::pin_init(
            RtcpNet::new(
                tables,
                key(super::random_key()),
                crate::proto::syncookies::SyncookieSecret::new([key(super::random_key()), key(super::random_key())]),
            ),
            GFP_KERNEL,
        )?;
        // SAFETY: the box is turned back into a `Pin<KBox>` only in
        // `rust_tcp_net_exit` and never moved meanwhile.
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

/// Pernet exit: stop receiving, then free this netns's state.
///
/// # Safety
///
/// Called by the pernet core once per netns whose init succeeded, after
/// every socket of the netns is gone.
#[no_mangle]
unsafe extern "C" fn rust_tcp_net_exit(net: *mut b::net) {
    // SAFETY: registered by init; unregistering waits for hooks in flight
    // (synchronize_net), so no `rust_tcp_rcv` runs on this netns after it,
    // and removing the proc entry waits for its readers.
    unsafe {
        b::rust_tcp_glue_nf_unregister(net);
        b::rust_tcp_glue_proc_unregister(net);
    }
    // Timewait socks hold no netns reference: they go first.
    // SAFETY: `net` is live until this function returns.
    crate::inet_timewait_sock::purge(&unsafe { Net::from_raw(net) });
    // SAFETY: `net` is a netns in its exit; its slot holds what init stored.
    let slot = unsafe { &mut *b::rust_tcp_glue_net_slot(net) };
    let raw = core::mem::replace(slot, core::ptr::null_mut()).cast::<RtcpNet>();
    // SAFETY: `raw` came from `KBox::into_raw` in init and is dropped once.
    let data = unsafe { Pin::new_unchecked(KBox::from_raw(raw)) };
    data.as_ref().exit();
}

/// A netns pointer held without a reference, by objects the netns's exit
/// destroys first (timewait socks, as Linux's `tw_net`).
///
/// # Invariants
///
/// `raw` is a netns that outlives this value: whoever holds one is purged
/// by `rust_tcp_net_exit` before the netns is freed.
pub(crate) struct NetRef {
    raw: *mut b::net,
}

// SAFETY: a netns is shared by all CPUs; this is a pointer to one.
unsafe impl Send for NetRef {}
// SAFETY: as above.
unsafe impl Sync for NetRef {}

impl NetRef {
    /// A pointer to `net` that does not keep it alive.
    ///
    /// # Safety
    ///
    /// The value must be dropped before `net` is freed: its holder must be
    /// one of the objects `rust_tcp_net_exit` destroys (today timewait
    /// socks, by `inet_timewait_sock::purge`).
    pub(crate) unsafe fn new(net: &Net<'_>) -> Self {
        // INVARIANT: the caller's contract.
        Self { raw: net.raw }
    }

    pub(crate) fn get(&self) -> Net<'_> {
        // SAFETY: the netns outlives `self` (type invariant).
        unsafe { Net::from_raw(self.raw) }
    }
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

/// The LOCAL_IN hook's call into the receive path.
///
/// # Safety
///
/// Called from the hook (softirq, or process context with BHs disabled)
/// with the hook's netns and skb.
#[no_mangle]
unsafe extern "C" fn rust_tcp_rcv(net: *mut b::net, skb: *mut b::sk_buff) -> c_int {
    // SAFETY: the hook runs only between nf_register and nf_unregister,
    // while the netns state exists; the skb is the hook's.
    let (net, mut rx) = unsafe { (Net::from_raw(net), RxSkb::from_raw(skb)) };
    match crate::tcp_ipv4::rcv(&net, &mut rx) {
        Verdict::Accept => 0,
        // SAFETY: returning 1 (NF_STOLEN) makes the skb ours to free.
        Verdict::Consumed => {
            unsafe { b::consume_skb(rx.as_raw()) };
            1
        }
        // SAFETY: as above.
        Verdict::Dropped => {
            unsafe { b::kfree_skb(rx.as_raw()) };
            1
        }
    }
}

/// Shows /proc/net/rust_tcp_stat: one "Name value" line per counter.
///
/// # Safety
///
/// Called by the seq_file core with a proc file of a netns whose state
/// exists (the file is removed before the state in `rust_tcp_net_exit`).
#[no_mangle]
unsafe extern "C" fn rust_tcp_stat_show(seq: *mut b::seq_file, net: *mut b::net) {
    // SAFETY: per the function's contract.
    let net = unsafe { Net::from_raw(net) };
    let rt = net.rtcp();
    for (i, name) in crate::netns::MIB_NAMES.iter().enumerate() {
        let mut line = [0u8; 64];
        let n = crate::netns::format_stat(&mut line, name, rt.get(i));
        // SAFETY: `seq` is the file being shown; `line[..n]` is initialised.
        unsafe { b::rust_tcp_glue_seq_write(seq, line.as_ptr().cast(), n) };
    }
}
