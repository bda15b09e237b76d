// SPDX-License-Identifier: GPL-2.0

//! `struct sock`: the registered `struct proto` our socks are allocated
//! from, the Rust state ([`TcpSock`]) each carries after its `struct sock`
//! (as `tcp_sock` embeds `inet_sock` embeds `sock`), and the handles the
//! rest of the module uses: [`Sock`] (borrowed) and [`SockRef`] (owns a
//! reference).

use super::bindings as b;
use super::net::Net;
use crate::netns::RtcpNet;
use crate::tcp::TcpSock;
use core::marker::PhantomData;
use core::ops::Deref;
use core::pin::Pin;
use core::ptr::addr_of_mut;
use kernel::error::to_result;
use kernel::init::PinInit;
use kernel::prelude::*;

/// The object our `struct proto` allocates: the C sock, then ours.
#[repr(C)]
struct RtcpSock {
    sk: b::sock,
    tcp: TcpSock,
}

/// Keeps the `struct proto` registered (its slab cache, /proc/net/protocols).
pub(crate) struct ProtoRegistration(());

impl ProtoRegistration {
    pub(crate) fn new() -> Result<Self> {
        let size = u32::try_from(core::mem::size_of::<RtcpSock>()).map_err(|_| EINVAL)?;
        // SAFETY: the glue's struct proto is a static, registered once here.
        to_result(unsafe { b::rust_tcp_glue_proto_register(size) })?;
        Ok(Self(()))
    }
}

impl Drop for ProtoRegistration {
    fn drop(&mut self) {
        // SAFETY: registered in `new`. No sock can exist: each holds a
        // reference on this module, so unload cannot get here before the
        // last one is freed.
        unsafe { b::rust_tcp_glue_proto_unregister() }
    }
}

/// A sock of ours, borrowed: valid for `'a`.
///
/// # Invariants
///
/// `raw` points to a live sock allocated from our `struct proto` (so it is
/// the head of an [`RtcpSock`] whose `tcp` is initialised), and someone
/// holds a reference to it for at least `'a`.
pub(crate) struct Sock<'a> {
    raw: *mut b::sock,
    _p: PhantomData<&'a ()>,
}

// SAFETY: a sock is shared between CPUs by design; every field this type
// touches is either read with READ_ONCE semantics, written under the lock
// that protects it, or lives in `TcpSock`, which is `Sync`.
unsafe impl Send for Sock<'_> {}
// SAFETY: as above.
unsafe impl Sync for Sock<'_> {}

/// How long a blocking call may wait: `sock_rcvtimeo`/`sock_sndtimeo`
/// jiffies, updated as the wait goes on.
pub(crate) struct Timeo(kernel::ffi::c_long);

/// A condition a [`Sock::wait`] sleeps for.
pub(crate) trait WaitFor {
    /// Checked after queueing on the wait queue, so a wakeup is never lost.
    fn ready(sk: &Sock<'_>) -> bool;
}

impl<'a> Sock<'a> {
    /// # Safety
    ///
    /// `raw` must satisfy the type invariant for `'a`.
    pub(super) unsafe fn from_raw(raw: *mut b::sock) -> Self {
        // INVARIANT: the caller's contract.
        Sock {
            raw,
            _p: PhantomData,
        }
    }

    /// Takes a new reference (`sock_hold`).
    pub(crate) fn to_ref(&self) -> SockRef {
        // SAFETY: the sock is live (invariant), so its refcount is > 0.
        unsafe { b::sock_hold(self.raw) };
        // INVARIANT: the reference just taken belongs to the SockRef.
        SockRef {
            sk: Sock {
                raw: self.raw,
                _p: PhantomData,
            },
        }
    }

    /// Identity, for tables that must find "this sock".
    pub(crate) fn id(&self) -> usize {
        self.raw as usize
    }

    /// Our state of this sock (pinned in place for the sock's life).
    pub(crate) fn tcp(&self) -> &'a TcpSock {
        // SAFETY: by the invariant the sock heads an `RtcpSock` whose `tcp`
        // was initialised in place and is never moved until destruct.
        unsafe { &(*self.raw.cast::<RtcpSock>()).tcp }
    }

    /// The sock's network namespace.
    pub(crate) fn net(&self) -> Net<'a> {
        // SAFETY: a live sock holds its netns alive (sk_alloc took a
        // reference, or the netns owns the kernel socket).
        unsafe { Net::from_raw((*self.raw).__sk_common.skc_net.net) }
    }

    /// The netns-wide rust_tcp state of this sock's netns.
    pub(crate) fn netns(&self) -> Pin<&'a RtcpNet> {
        self.net().rtcp()
    }

    /// The TCP state (`sk_state`), read as `inet_sk_state_load` does.
    pub(crate) fn state(&self) -> u8 {
        // SAFETY: `raw` is live; a volatile byte read is READ_ONCE.
        unsafe { core::ptr::read_volatile(&(*self.raw).__sk_common.skc_state) }
    }

    /// Sets `sk_state`. Callers serialise state changes under the sock's
    /// `TcpSock` lock; lockless readers see the old or the new value.
    pub(crate) fn set_state(&self, state: u8) {
        // SAFETY: `raw` is live; a volatile byte write is WRITE_ONCE.
        unsafe { core::ptr::write_volatile(&mut (*self.raw).__sk_common.skc_state, state) }
    }

    /// `sk_shutdown`: which directions are shut down (RCV/SEND_SHUTDOWN).
    pub(crate) fn shutdown(&self) -> u8 {
        // SAFETY: as in `state`.
        unsafe { core::ptr::read_volatile(&(*self.raw).sk_shutdown) }
    }

    /// SO_REUSEADDR (`sk_reuse`).
    pub(crate) fn reuse(&self) -> bool {
        // SAFETY: `raw` is live; the glue reads the bitfield with READ_ONCE.
        unsafe { b::rust_tcp_glue_sk_reuse(self.raw) != 0 }
    }

    /// SO_RCVLOWAT (`sk_rcvlowat`, at least 1).
    pub(crate) fn rcvlowat(&self) -> i32 {
        // SAFETY: `raw` is a live sock (type invariant); a racy int read,
        // READ_ONCE in the glue.
        unsafe { b::rust_tcp_glue_sk_rcvlowat(self.raw) }
    }

    /// SO_REUSEPORT (`sk_reuseport`).
    pub(crate) fn reuseport(&self) -> bool {
        // SAFETY: as in `reuse`.
        unsafe { b::rust_tcp_glue_sk_reuseport(self.raw) != 0 }
    }

    /// Sets SO_REUSEPORT; under the socket lock, as sk_setsockopt does.
    pub(crate) fn set_reuseport(&self, on: bool) {
        // SAFETY: `raw` is live.
        unsafe { b::rust_tcp_glue_sk_set_reuseport(self.raw, on) }
    }

    /// SO_BINDTODEVICE (`sk_bound_dev_if`), 0 when unbound.
    pub(crate) fn bound_dev_if(&self) -> i32 {
        // SAFETY: `raw` is live; READ_ONCE.
        unsafe { core::ptr::read_volatile(&(*self.raw).__sk_common.skc_bound_dev_if) }
    }

    /// The owner's uid (`sk_uid`), in the netns's user namespace.
    pub(crate) fn uid(&self) -> u32 {
        // SAFETY: `raw` is live.
        unsafe { b::rust_tcp_glue_sk_uid(self.raw) }
    }

    /// `sk_rcvbuf`: the receive buffer size.
    pub(crate) fn rcvbuf(&self) -> i32 {
        // SAFETY: `raw` is live; READ_ONCE.
        unsafe { core::ptr::read_volatile(&(*self.raw).sk_rcvbuf) }
    }

    /// `sk_max_ack_backlog`, the listen() backlog.
    pub(crate) fn max_ack_backlog(&self) -> u32 {
        // SAFETY: `raw` is live; READ_ONCE.
        unsafe { core::ptr::read_volatile(&(*self.raw).sk_max_ack_backlog) }
    }

    pub(crate) fn set_max_ack_backlog(&self, v: u32) {
        // SAFETY: `raw` is live; WRITE_ONCE, as inet_listen does.
        unsafe { core::ptr::write_volatile(&mut (*self.raw).sk_max_ack_backlog, v) }
    }

    /// `sk_ack_backlog`: children in the accept queue.
    pub(crate) fn ack_backlog(&self) -> u32 {
        // SAFETY: `raw` is live; READ_ONCE.
        unsafe { core::ptr::read_volatile(&(*self.raw).sk_ack_backlog) }
    }

    /// Writes `sk_ack_backlog`; callers hold the accept queue's lock.
    pub(crate) fn set_ack_backlog(&self, v: u32) {
        // SAFETY: `raw` is live; WRITE_ONCE, as sk_acceptq_added does.
        unsafe { core::ptr::write_volatile(&mut (*self.raw).sk_ack_backlog, v) }
    }

    /// Wakes readers: poll and accept() sleepers (`sk_data_ready`).
    pub(crate) fn data_ready(&self) {
        // SAFETY: `raw` is live; sock_init_data set sk_data_ready.
        unsafe {
            if let Some(f) = (*self.raw).sk_data_ready {
                f(self.raw)
            }
        }
    }

    /// The receive timeout of a blocking call (`sock_rcvtimeo`).
    pub(crate) fn rcvtimeo(&self, nonblock: bool) -> Timeo {
        // SAFETY: `raw` is live.
        Timeo(unsafe { b::rust_tcp_glue_rcvtimeo(self.raw, nonblock) })
    }

    /// Sleeps on the sock's wait queue until `W::ready`, the timeout
    /// (EAGAIN) or a signal (ERESTARTSYS/EINTR). Process context only, with
    /// no spinlock held.
    pub(crate) fn wait<W: WaitFor>(&self, timeo: &mut Timeo, exclusive: bool) -> Result {
        // SAFETY: `raw` is a live sock attached to a socket (the callers are
        // system calls on it), so sk_sleep() is its socket's wait queue.
        to_result(unsafe { b::rust_tcp_glue_wait(self.raw, &mut timeo.0, exclusive, Some(wait_ready::<W>)) })
    }
}

/// # Safety
///
/// Called by `rust_tcp_glue_wait` with the sock it waits on.
unsafe extern "C" fn wait_ready<W: WaitFor>(sk: *mut b::sock) -> bool {
    // SAFETY: the waiter holds the sock for the duration of the wait.
    W::ready(&unsafe { Sock::from_raw(sk) })
}

/// A sock reference that is ours: dropping it puts it (`sock_put`).
///
/// Dropping the last reference frees the sock, so a `SockRef` must not be
/// dropped while holding that same sock's `TcpSock` lock.
pub(crate) struct SockRef {
    sk: Sock<'static>,
}

impl Deref for SockRef {
    type Target = Sock<'static>;
    fn deref(&self) -> &Sock<'static> {
        &self.sk
    }
}

impl Clone for SockRef {
    fn clone(&self) -> Self {
        self.sk.to_ref()
    }
}

impl Drop for SockRef {
    fn drop(&mut self) {
        // SAFETY: we own one reference (type invariant of the inner Sock).
        unsafe { b::sock_put(self.sk.raw) }
    }
}

/// Holds the socket lock (`lock_sock`/`release_sock`): serialises system
/// calls on one socket, as Linux's proto_ops do.
pub(crate) struct SockLockGuard<'a> {
    raw: *mut b::sock,
    _p: PhantomData<&'a ()>,
}

impl Drop for SockLockGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: taken by `Sock::lock_sock` on a sock live for `'a`.
        unsafe { b::release_sock(self.raw) }
    }
}

impl<'a> Sock<'a> {
    /// Takes the socket lock (may sleep).
    pub(crate) fn lock_sock(&self) -> SockLockGuard<'a> {
        // SAFETY: `raw` is live for `'a`; process context (a system call).
        unsafe { b::lock_sock_nested(self.raw, 0) };
        SockLockGuard {
            raw: self.raw,
            _p: PhantomData,
        }
    }

    /// `sk_err`, read without clearing it (poll's EPOLLERR).
    pub(crate) fn err(&self) -> i32 {
        // SAFETY: `raw` is live; READ_ONCE.
        unsafe { core::ptr::read_volatile(&(*self.raw).sk_err) }
    }
}

impl Timeo {
    /// The time ran out (or there was none: non-blocking).
    pub(crate) fn is_zero(&self) -> bool {
        self.0 == 0
    }

    /// No timeout at all (`MAX_SCHEDULE_TIMEOUT`).
    pub(crate) fn is_infinite(&self) -> bool {
        // SAFETY: a pure comparison with a C constant.
        unsafe { b::rust_tcp_glue_timeo_infinite(self.0) }
    }
}

/// `SOCK_BINDADDR_LOCK`/`SOCK_BINDPORT_LOCK` of `sk_userlocks`: bind()
/// chose the address / the port, so a disconnect keeps it.
pub(crate) const SOCK_BINDADDR_LOCK: u8 = 4;
pub(crate) const SOCK_BINDPORT_LOCK: u8 = 8;
/// `SOCK_SNDBUF_LOCK`: SO_SNDBUF was set.
pub(crate) const SOCK_SNDBUF_LOCK: u8 = 1;
/// `SOCK_RCVBUF_LOCK`: SO_RCVBUF was set.
pub(crate) const SOCK_RCVBUF_LOCK: u8 = 2;

impl<'a> Sock<'a> {
    /// The send timeout of a blocking call (`sock_sndtimeo`).
    pub(crate) fn sndtimeo(&self, nonblock: bool) -> Timeo {
        // SAFETY: `raw` is live.
        Timeo(unsafe { b::rust_tcp_glue_sndtimeo(self.raw, nonblock) })
    }

    /// With the socket lock held, sleeps with it released until
    /// `W::ready`, a signal or the timeout (`inet_wait_for_connect`);
    /// `timeo` keeps what is left. Returns whether a signal is pending.
    pub(crate) fn wait_locked<W: WaitFor>(&self, _g: &SockLockGuard<'_>, timeo: &mut Timeo) -> bool {
        // SAFETY: `raw` is live and attached to a socket (a system call on
        // it), and the caller holds its socket lock, which the glue drops
        // and retakes around each sleep.
        unsafe { b::rust_tcp_glue_wait_locked(self.raw, &mut timeo.0, Some(wait_ready::<W>)) }
    }

    /// Wakes everything sleeping on the socket (`sk_state_change`).
    pub(crate) fn state_change(&self) {
        // SAFETY: `raw` is live; sock_init_data set sk_state_change.
        unsafe { b::rust_tcp_glue_sk_state_change(self.raw) }
    }

    /// `sk_error_report`: wakes waiters and poll with EPOLLERR.
    pub(crate) fn error_report(&self) {
        // SAFETY: `raw` is live.
        unsafe { b::rust_tcp_glue_sk_error_report(self.raw) }
    }

    /// Stores `err` (positive errno, 0 clears) in `sk_err` without waking
    /// anyone; callers wake after the state it explains is published.
    pub(crate) fn write_err(&self, err: u32) {
        // SAFETY: `raw` is live; WRITE_ONCE.
        unsafe { core::ptr::write_volatile(&mut (*self.raw).sk_err, err as i32) }
    }

    /// `sock_error()`: the pending error (positive), cleared; 0 if none.
    pub(crate) fn take_err(&self) -> i32 {
        // SAFETY: `raw` is live; sock_error exchanges sk_err atomically.
        -unsafe { b::rust_tcp_glue_sock_error(self.raw) }
    }

    /// Sets `sk_shutdown` (RCV_SHUTDOWN | SEND_SHUTDOWN bits).
    pub(crate) fn set_shutdown(&self, v: u8) {
        // SAFETY: `raw` is live; WRITE_ONCE.
        unsafe { core::ptr::write_volatile(&mut (*self.raw).sk_shutdown, v) }
    }

    /// `sk_userlocks`.
    pub(crate) fn userlocks(&self) -> u8 {
        // SAFETY: `raw` is live; READ_ONCE.
        unsafe { core::ptr::read_volatile(&(*self.raw).sk_userlocks) }
    }

    /// Sets `sk_userlocks`; under the socket lock, as bind() does.
    pub(crate) fn set_userlocks(&self, v: u8) {
        // SAFETY: `raw` is live; WRITE_ONCE.
        unsafe { core::ptr::write_volatile(&mut (*self.raw).sk_userlocks, v) }
    }

    /// `sk_disconnects`: how often the socket was disconnected, so a
    /// sleeper can tell it happened meanwhile.
    pub(crate) fn disconnects(&self) -> i32 {
        // SAFETY: `raw` is live; READ_ONCE.
        unsafe { core::ptr::read_volatile(&(*self.raw).sk_disconnects) }
    }

    /// `sk_disconnects++`, under the socket lock.
    pub(crate) fn inc_disconnects(&self) {
        let v = self.disconnects().wrapping_add(1);
        // SAFETY: `raw` is live; WRITE_ONCE.
        unsafe { core::ptr::write_volatile(&mut (*self.raw).sk_disconnects, v) }
    }
}

impl<'a> Sock<'a> {
    /// (Re)arms `t`, a timer of this sock's `TcpSock`, to fire in `ms`
    /// (`sk_reset_timer`): an armed timer holds a sock reference.
    pub(crate) fn reset_timer(&self, t: &super::timer::SockTimer, ms: u32) {
        // SAFETY: `raw` is live, so its refcount is > 0; `t` belongs to it.
        unsafe {
            b::sock_hold(self.raw);
            if b::rust_tcp_glue_mod_timer_ms(t.raw(), ms) != 0 {
                // Already pending: it held a reference already.
                b::sock_put(self.raw);
            }
        }
    }

    /// Stops `t` if pending (`sk_stop_timer`), dropping its reference.
    pub(crate) fn stop_timer(&self, t: &super::timer::SockTimer) {
        // SAFETY: `t` belongs to this live sock; a pending timer held one
        // reference, which nobody else will drop once it is deactivated.
        unsafe {
            if b::timer_delete(t.raw()) != 0 {
                b::sock_put(self.raw);
            }
        }
    }
}

impl SockRef {
    /// The reference an armed sock timer held, in its callback.
    ///
    /// # Safety
    ///
    /// `t` is the timer at byte offset `field` of a sock's `TcpSock`,
    /// firing after `Sock::reset_timer` took a reference for it.
    pub(super) unsafe fn from_timer(t: *mut b::timer_list, field: usize) -> Self {
        let off = core::mem::offset_of!(RtcpSock, tcp) + field;
        // SAFETY: the timer lives at `off` inside an `RtcpSock`, which
        // starts with its `struct sock`; the reference is the timer's.
        let raw = unsafe { t.cast::<u8>().sub(off).cast::<b::sock>() };
        // INVARIANT: the armed timer owned this reference.
        SockRef {
            sk: Sock {
                raw,
                _p: PhantomData,
            },
        }
    }

    /// Takes over the reference a socket holds on its sock.
    ///
    /// # Safety
    ///
    /// `raw` is the sock of a socket being released: the socket's reference
    /// passes to the returned value.
    pub(super) unsafe fn from_socket_ref(raw: *mut b::sock) -> Self {
        // INVARIANT: the caller's contract.
        SockRef {
            sk: Sock {
                raw,
                _p: PhantomData,
            },
        }
    }

    /// Allocates a sock of `family` in `net` for `sock`, and attaches it.
    ///
    /// # Safety
    ///
    /// `net` and `sock` come from the `create` callback of our family:
    /// `sock` is a new socket with no sock attached.
    pub(super) unsafe fn alloc_for_socket(
        net: *mut b::net,
        sock: *mut b::socket,
        family: i32,
        kern: bool,
    ) -> Result<Self> {
        // SAFETY: the caller's contract.
        let sk = unsafe { alloc(net, family, kernel::bindings::GFP_KERNEL, kern)? };
        // SAFETY: `sock` has no sock yet and `sk` was just allocated;
        // sock_init_data links them and sets the generic defaults. The
        // socket now holds the allocation's reference; we take another.
        unsafe {
            b::sock_init_data(sock, sk.raw);
            init_tail(sk.raw);
            b::sock_hold(sk.raw);
        }
        Ok(sk)
    }

    /// Allocates a sock for a connection accepted by `listener`, in softirq
    /// context, not yet attached to any socket. The returned reference is
    /// the sock's only one.
    pub(crate) fn alloc_child(listener: &Sock<'_>) -> Result<Self> {
        // SAFETY: the listener is live and holds its netns; the child gets
        // its own netns reference from sk_alloc.
        unsafe {
            let raw_net = (*listener.raw).__sk_common.skc_net.net;
            let family = i32::from((*listener.raw).__sk_common.skc_family);
            let sk = alloc(raw_net, family, kernel::bindings::GFP_ATOMIC, false)?;
            b::sock_init_data(core::ptr::null_mut(), sk.raw);
            init_tail(sk.raw);
            // The listener's socket options (sk_clone_lock's copy).
            b::rust_tcp_glue_sk_inherit(sk.raw, listener.raw);
            Ok(sk)
        }
    }

    /// Attaches this (child) sock to the socket accept() returns
    /// (`sock_graft`), which takes over this reference.
    ///
    /// # Safety
    ///
    /// `newsock` is the fresh socket of an accept() call on our family.
    pub(super) unsafe fn graft(self, newsock: *mut b::socket) {
        let sk = core::mem::ManuallyDrop::new(self);
        // SAFETY: the caller's contract; the sock has no socket yet.
        unsafe {
            b::sock_graft(sk.raw, newsock);
            (*newsock).sk = sk.raw;
        }
    }

    /// Detaches the sock from its socket and drops the socket's reference:
    /// the end of `release`.
    pub(crate) fn orphan(self) {
        // SAFETY: we own the socket's reference; after sock_orphan the sock
        // no longer points at the socket, and our drop puts it.
        unsafe {
            b::lock_sock_nested(self.raw, 0);
            b::sock_orphan(self.raw);
            b::release_sock(self.raw);
        }
    }
}

/// # Safety
///
/// `net` must be live.
unsafe fn alloc(net: *mut b::net, family: i32, gfp: u32, kern: bool) -> Result<SockRef> {
    // SAFETY: `net` is live (the caller's contract); `sk_alloc` zeroes the
    // object and takes a netns reference unless `kern`.
    let sk = unsafe { b::sk_alloc(net, family, gfp, b::rust_tcp_glue_proto(), kern as i32) };
    if sk.is_null() {
        return Err(super::errno(b::ENOBUFS));
    }
    // INVARIANT: the reference from sk_alloc is the SockRef's. The tail is
    // initialised by the caller (`init_tail`) before any other use.
    Ok(SockRef {
        sk: Sock {
            raw: sk,
            _p: PhantomData,
        },
    })
}

/// # Safety
///
/// `sk` is a sock just allocated from our proto and passed through
/// `sock_init_data` (which resets `sk_destruct`), its tail uninitialised.
unsafe fn init_tail(sk: *mut b::sock) {
    // SAFETY: a new sock: nothing else sees it yet; its netns is live.
    unsafe {
        (*sk).sk_protocol = b::IPPROTO_TCP as u16;
        (*sk).sk_type = 1; // SOCK_STREAM
        (*sk).sk_destruct = Some(rust_tcp_sk_destruct);
        // Buffers start at tcp_rmem[1]/tcp_wmem[1], as tcp_init_sock sets.
        let net = Sock::from_raw(sk).net();
        (*sk).sk_rcvbuf = net.sysctl(super::net::Sysctl::RUST_TCP_SYSCTL_RMEM_DEFAULT);
        (*sk).sk_sndbuf = net.sysctl(super::net::Sysctl::RUST_TCP_SYSCTL_WMEM_DEFAULT);
    }
    // SAFETY: the slab object is `size_of::<RtcpSock>()` bytes, so the
    // tail is in bounds; it is written once, here, and dropped once, in
    // `rust_tcp_sk_destruct`.
    let slot = unsafe { addr_of_mut!((*sk.cast::<RtcpSock>()).tcp) };
    // SAFETY: `slot` is valid for writes and pinned for the sock's life.
    match unsafe { TcpSock::new().__pinned_init(slot) } {
        Ok(()) => (),
        Err(e) => match e {},
    }
    // SAFETY: the sock is live; its netns state exists while it does.
    unsafe { Sock::from_raw(sk) }.netns().sock_created();
}

/// `sk_destruct` of our socks: runs once, when the last reference is put.
///
/// # Safety
///
/// Called by `__sk_destruct` with a sock of ours that nothing else uses.
unsafe extern "C" fn rust_tcp_sk_destruct(sk: *mut b::sock) {
    // SAFETY: the sock is still whole here (its netns reference is dropped
    // after this callback) and no other reference exists.
    let s = unsafe { Sock::from_raw(sk) };
    s.netns().sock_destroyed();
    // SAFETY: the tail was initialised by `init_tail` and nothing can use
    // it any more: this is the last reference.
    unsafe { core::ptr::drop_in_place(addr_of_mut!((*sk.cast::<RtcpSock>()).tcp)) };
}

impl<'a> Sock<'a> {
    /// Wakes writers: poll/epoll for EPOLLOUT and blocked senders
    /// (`sk_stream_write_space`).
    pub(crate) fn write_space(&self) {
        // SAFETY: `raw` is live.
        unsafe { b::rust_tcp_glue_write_space(self.raw) }
    }

    /// `SOCK_DEAD`: the socket was closed (`sock_orphan` ran).
    pub(crate) fn dead(&self) -> bool {
        // SAFETY: `raw` is live.
        unsafe { b::rust_tcp_glue_sk_dead(self.raw) }
    }

    /// SO_LINGER: `Some(jiffies)` when set.
    pub(crate) fn linger(&self) -> Option<Timeo> {
        let mut t = 0;
        // SAFETY: `raw` is live; `t` is valid for writes.
        unsafe { b::rust_tcp_glue_linger(self.raw, &mut t) }.then_some(Timeo(t))
    }
}

impl Timeo {
    /// The errno of a wait a signal interrupted (`sock_intr_errno`).
    pub(crate) fn intr_errno(&self) -> Error {
        // SAFETY: a pure function of the value.
        Error::from_errno(unsafe { b::rust_tcp_glue_intr_errno(self.0) })
    }
}

/// `signal_pending(current)`.
pub(crate) fn signal_pending() -> bool {
    // SAFETY: no preconditions.
    unsafe { b::rust_tcp_glue_signal_pending() }
}

impl<'a> Sock<'a> {
    /// `sk_sndbuf`: the send buffer size.
    pub(crate) fn sndbuf(&self) -> i32 {
        // SAFETY: `raw` is live; READ_ONCE.
        unsafe { core::ptr::read_volatile(&(*self.raw).sk_sndbuf) }
    }
}

/// Raises SIGPIPE in the calling task (`send_sig(SIGPIPE, current, 0)`).
pub(crate) fn sigpipe() {
    // SAFETY: process context (a system call).
    unsafe { b::rust_tcp_glue_sigpipe() }
}
