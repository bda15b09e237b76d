// SPDX-License-Identifier: GPL-2.0

//! `struct sock`, generic over the protocol state it carries: the registered
//! `struct proto` allocates a C sock followed by a `D: SockData` (as
//! `tcp_sock` embeds `inet_sock` embeds `sock`). [`Sock<D>`] is that object
//! used by reference, in the way `kernel::task::Task` is: `&Sock<D>` is a
//! borrow no longer than whatever keeps the sock alive, and
//! `ARef<Sock<D>>` owns a reference (`sock_hold`/`sock_put`). A reference
//! taken from a lockless lookup (`refcount_inc_not_zero`) will be a third
//! way to get an `ARef`, distinct from borrowing.
//!
//! Fields other CPUs write are read and written through raw pointers with
//! volatile accesses (READ_ONCE/WRITE_ONCE); no Rust reference to the C
//! struct's fields is ever created.

use super::bindings as b;
use super::net::{Net, NetData};
use super::skb::RxSkb;
use super::timer::{SockTimer, SockTimerField, TimerHost};
use core::marker::PhantomData;
use core::ptr::{addr_of, addr_of_mut, NonNull};
use kernel::error::to_result;
use kernel::init::PinInit;
use kernel::prelude::*;
use kernel::types::{ARef, AlwaysRefCounted, Opaque};

/// The protocol state a sock carries after its `struct sock`.
pub(crate) trait SockData: Send + Sync + Sized + 'static {
    /// The per-netns state of the protocol (what `sock_net(sk)` leads to).
    type Net: NetData;
    /// The state of a new sock, initialised in place.
    fn new() -> impl PinInit<Self>;
    /// A sock was created (socket() or a passive open); `sk.net()` is live.
    fn created(_sk: &Sock<Self>) {}
    /// The last reference is gone; the state is dropped right after.
    fn destroyed(_sk: &Sock<Self>) {}
    /// A segment that waited on the sock's backlog while a process owned
    /// it ([`Sock::bh_lock_or_backlog`]), handed over by `release_sock` in
    /// that process (the lock still owned, BHs off); freed afterwards.
    fn backlog_rcv(_sk: &Sock<Self>, _skb: &mut RxSkb) {}
}

/// The object the registered `struct proto` allocates: the C sock, then
/// the protocol's state.
#[repr(C)]
struct SockObj<D> {
    sk: b::sock,
    data: D,
}

/// A sock of ours.
///
/// # Invariants
///
/// A `&Sock<D>` points to a live sock allocated from the `struct proto`
/// registered for `D` ([`ProtoRegistration<D>`]), whose `data` was
/// initialised by `D::new()` and is dropped only by `sk_destruct`; someone
/// holds a reference for as long as the borrow lasts.
#[repr(transparent)]
pub(crate) struct Sock<D>(Opaque<SockObj<D>>);

// SAFETY: a sock is shared between CPUs by design: its C fields are read
// with READ_ONCE semantics or written under the lock that protects them,
// and `D` is `Send + Sync`.
unsafe impl<D: SockData> Send for Sock<D> {}
// SAFETY: as above.
unsafe impl<D: SockData> Sync for Sock<D> {}

// SAFETY: `sock_hold`/`sock_put` manage the sock's refcount; the sock is
// freed (through `sk_destruct`) only when it drops to zero.
unsafe impl<D: SockData> AlwaysRefCounted for Sock<D> {
    fn inc_ref(&self) {
        // SAFETY: the sock is live (invariant), so its refcount is > 0.
        unsafe { b::sock_hold(self.raw()) }
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller owns one reference, which it gives up.
        unsafe { b::sock_put(obj.as_ptr().cast()) }
    }
}

/// How long a blocking call may wait: `sock_rcvtimeo`/`sock_sndtimeo`
/// jiffies, updated as the wait goes on.
pub(crate) struct Timeo(kernel::ffi::c_long);

/// A condition a [`Sock::wait`] sleeps for.
pub(crate) trait WaitFor<D: SockData> {
    /// Checked after queueing on the wait queue, so a wakeup is never lost.
    fn ready(sk: &Sock<D>) -> bool;
}

/// Reads a field of the C sock with READ_ONCE semantics.
macro_rules! read_once {
    ($self:ident, $($field:tt)+) => {
        {
            // Some callers are inside an `unsafe` block of their own.
            #[allow(unused_unsafe)]
            // SAFETY: `raw()` is a live sock (type invariant); the access
            // goes through a raw pointer, volatile as READ_ONCE.
            let v = unsafe { addr_of!((*$self.raw()).$($field)+).read_volatile() };
            v
        }
    };
}

/// Writes a field of the C sock with WRITE_ONCE semantics.
macro_rules! write_once {
    ($self:ident, $v:expr, $($field:tt)+) => {
        // SAFETY: as in `read_once!`; writers serialise as each caller's
        // documentation says, lockless readers see the old or new value.
        unsafe { addr_of_mut!((*$self.raw()).$($field)+).write_volatile($v) }
    };
}

impl<D: SockData> Sock<D> {
    /// # Safety
    ///
    /// `raw` must satisfy the type invariant for `'a`.
    unsafe fn from_raw<'a>(raw: *mut b::sock) -> &'a Self {
        // SAFETY: `Sock<D>` is a transparent wrapper of the object that
        // starts with `raw`; the caller's contract covers the rest.
        unsafe { &*raw.cast::<Self>() }
    }

    pub(super) fn raw(&self) -> *mut b::sock {
        self.0.get().cast()
    }

    /// Forgets the route cached for the sock's connection
    /// (`sk_dst_reset`): its addresses are changing.
    pub(crate) fn dst_reset(&self) {
        // SAFETY: `raw()` is live; sk_dst_reset swaps the cache atomically.
        unsafe { b::rust_tcp_glue_sk_dst_reset(self.raw()) }
    }

    /// Identity, for tables that must find "this sock".
    pub(crate) fn id(&self) -> usize {
        self.raw() as usize
    }

    /// The protocol's state of this sock.
    pub(crate) fn data(&self) -> &D {
        // SAFETY: initialised by `init_tail` before the sock was shared and
        // dropped only in `sk_destruct`, after the last reference; it is
        // never moved (pinned in the slab object).
        unsafe { &*addr_of!((*self.0.get()).data) }
    }

    /// The sock's network namespace.
    pub(crate) fn net(&self) -> &Net<D::Net> {
        // SAFETY: a live sock holds its netns (sk_alloc took a reference,
        // or the netns owns the kernel socket), and socks of `D` exist only
        // in netns where `D::Net`'s state is registered (one registration
        // ties them, `super::Registration`).
        unsafe { Net::from_raw(read_once!(self, __sk_common.skc_net.net)) }
    }

    /// The TCP state (`sk_state`), read as `inet_sk_state_load` does.
    pub(crate) fn state(&self) -> u8 {
        read_once!(self, __sk_common.skc_state)
    }

    /// Sets `sk_state`. Callers serialise state changes under the sock's
    /// protocol lock; lockless readers see the old or the new value. A
    /// full sock never takes `TCP_TIME_WAIT` or `TCP_NEW_SYN_RECV`: in the
    /// hash tables those states mean a mini sock (`super::inet_hash`).
    pub(crate) fn set_state(&self, state: u8) {
        if matches!(u32::from(state), b::TCP_TIME_WAIT | b::TCP_NEW_SYN_RECV) {
            pr_warn!("a full sock cannot take state {}\n", state);
            return;
        }
        write_once!(self, state, __sk_common.skc_state)
    }

    /// Sets the lookup key of `sock_common` (`inet_daddr`, `inet_dport`,
    /// `inet_rcv_saddr`, `inet_num`), before the sock is hashed by it.
    /// Under the socket lock or before the sock is shared; lockless
    /// readers (lookups) check the key again once they hold a reference.
    pub(crate) fn set_key(&self, laddr: [u8; 4], lport: u16, raddr: [u8; 4], rport: u16) {
        write_once!(self, u32::from_ne_bytes(raddr), __sk_common.__bindgen_anon_1.__bindgen_anon_1.skc_daddr);
        write_once!(self, u32::from_ne_bytes(laddr), __sk_common.__bindgen_anon_1.__bindgen_anon_1.skc_rcv_saddr);
        write_once!(self, rport.to_be(), __sk_common.__bindgen_anon_3.__bindgen_anon_1.skc_dport);
        write_once!(self, lport, __sk_common.__bindgen_anon_3.__bindgen_anon_1.skc_num);
    }

    pub(super) fn raw_common(&self) -> *mut b::sock_common {
        // SAFETY: only the address is computed.
        unsafe { addr_of_mut!((*self.raw()).__sk_common) }
    }

    /// Takes over a reference to the sock whose `sock_common` is `c`.
    ///
    /// # Safety
    ///
    /// `c` is the `sock_common` of a live sock of ours (type invariant)
    /// and the caller owns one reference to it, which passes to the result.
    pub(super) unsafe fn from_common(c: *mut b::sock_common) -> ARef<Self> {
        // SAFETY: `__sk_common` is the first field of `struct sock`; the
        // caller's contract covers the rest.
        unsafe { ARef::from_raw(NonNull::new_unchecked(c.cast::<Self>())) }
    }

    /// `sk_shutdown`: which directions are shut down (RCV/SEND_SHUTDOWN).
    pub(crate) fn shutdown(&self) -> u8 {
        read_once!(self, sk_shutdown)
    }

    /// Sets `sk_shutdown` (RCV_SHUTDOWN | SEND_SHUTDOWN bits).
    pub(crate) fn set_shutdown(&self, v: u8) {
        write_once!(self, v, sk_shutdown)
    }

    /// SO_REUSEADDR (`sk_reuse`).
    pub(crate) fn reuse(&self) -> bool {
        // SAFETY: `raw()` is live; the glue reads the bitfield.
        unsafe { b::rust_tcp_glue_sk_reuse(self.raw()) != 0 }
    }

    /// SO_REUSEPORT (`sk_reuseport`).
    pub(crate) fn reuseport(&self) -> bool {
        // SAFETY: as in `reuse`.
        unsafe { b::rust_tcp_glue_sk_reuseport(self.raw()) != 0 }
    }

    /// Sets SO_REUSEPORT; under the socket lock, as sk_setsockopt does.
    pub(crate) fn set_reuseport(&self, on: bool) {
        // SAFETY: `raw()` is live.
        unsafe { b::rust_tcp_glue_sk_set_reuseport(self.raw(), on) }
    }

    /// SO_RCVLOWAT (`sk_rcvlowat`, at least 1).
    pub(crate) fn rcvlowat(&self) -> i32 {
        // SAFETY: `raw()` is live; READ_ONCE in the glue.
        unsafe { b::rust_tcp_glue_sk_rcvlowat(self.raw()) }
    }

    /// SO_BINDTODEVICE (`sk_bound_dev_if`), 0 when unbound.
    pub(crate) fn bound_dev_if(&self) -> i32 {
        read_once!(self, __sk_common.skc_bound_dev_if)
    }

    /// The owner's uid (`sk_uid`), in the netns's user namespace.
    pub(crate) fn uid(&self) -> u32 {
        // SAFETY: `raw()` is live.
        unsafe { b::rust_tcp_glue_sk_uid(self.raw()) }
    }

    /// `sk_rcvbuf`: the receive buffer size.
    pub(crate) fn rcvbuf(&self) -> i32 {
        read_once!(self, sk_rcvbuf)
    }

    /// `sk_sndbuf`: the send buffer size.
    pub(crate) fn sndbuf(&self) -> i32 {
        read_once!(self, sk_sndbuf)
    }

    /// Sets the buffer sizes a new sock starts with (`tcp_init_sock`:
    /// `tcp_rmem[1]`, `tcp_wmem[1]`); for `SockData::created`.
    pub(crate) fn init_bufs(&self, rcvbuf: i32, sndbuf: i32) {
        write_once!(self, rcvbuf, sk_rcvbuf);
        write_once!(self, sndbuf, sk_sndbuf);
    }

    /// Publishes an autotuned receive buffer size (`tcp_rcv_space_adjust`
    /// writes `sk_rcvbuf`; SO_RCVBUF reads it).
    pub(crate) fn set_rcvbuf(&self, v: i32) {
        write_once!(self, v, sk_rcvbuf);
    }

    /// Publishes an autotuned send buffer size (`tcp_sndbuf_expand`).
    pub(crate) fn set_sndbuf(&self, v: i32) {
        write_once!(self, v, sk_sndbuf);
    }

    /// `sk_max_ack_backlog`, the listen() backlog.
    pub(crate) fn max_ack_backlog(&self) -> u32 {
        read_once!(self, sk_max_ack_backlog)
    }

    /// Sets `sk_max_ack_backlog`, as inet_listen does.
    pub(crate) fn set_max_ack_backlog(&self, v: u32) {
        write_once!(self, v, sk_max_ack_backlog)
    }

    /// `sk_ack_backlog`: children in the accept queue.
    pub(crate) fn ack_backlog(&self) -> u32 {
        read_once!(self, sk_ack_backlog)
    }

    /// Writes `sk_ack_backlog`; callers hold the accept queue's lock.
    pub(crate) fn set_ack_backlog(&self, v: u32) {
        write_once!(self, v, sk_ack_backlog)
    }

    /// `sk_err`, read without clearing it (poll's EPOLLERR).
    pub(crate) fn err(&self) -> i32 {
        read_once!(self, sk_err)
    }

    /// Stores `err` (positive errno, 0 clears) in `sk_err` without waking
    /// anyone; callers wake after the state it explains is published.
    pub(crate) fn write_err(&self, err: i32) {
        write_once!(self, err, sk_err)
    }

    /// `sock_error()`: the pending error (positive), cleared; 0 if none.
    pub(crate) fn take_err(&self) -> i32 {
        // SAFETY: `raw()` is live; sock_error exchanges sk_err atomically.
        -unsafe { b::rust_tcp_glue_sock_error(self.raw()) }
    }

    /// `sk_userlocks`.
    pub(crate) fn userlocks(&self) -> u8 {
        read_once!(self, sk_userlocks)
    }

    /// Sets `sk_userlocks`; under the socket lock, as bind() does.
    pub(crate) fn set_userlocks(&self, v: u8) {
        write_once!(self, v, sk_userlocks)
    }

    /// `sk_disconnects`: how often the socket was disconnected, so a
    /// sleeper can tell it happened meanwhile.
    pub(crate) fn disconnects(&self) -> i32 {
        read_once!(self, sk_disconnects)
    }

    /// `sk_disconnects++`, under the socket lock.
    pub(crate) fn inc_disconnects(&self) {
        let v = self.disconnects().wrapping_add(1);
        write_once!(self, v, sk_disconnects)
    }

    /// `SOCK_DEAD`: the socket was closed (`sock_orphan` ran).
    pub(crate) fn dead(&self) -> bool {
        // SAFETY: `raw()` is live.
        unsafe { b::rust_tcp_glue_sk_dead(self.raw()) }
    }

    /// SO_LINGER: `Some(jiffies)` when set.
    pub(crate) fn linger(&self) -> Option<Timeo> {
        let mut t = 0;
        // SAFETY: `raw()` is live; `t` is valid for writes.
        unsafe { b::rust_tcp_glue_linger(self.raw(), &mut t) }.then_some(Timeo(t))
    }

    /// Wakes readers: poll and accept() sleepers (`sk_data_ready`).
    pub(crate) fn data_ready(&self) {
        let f = read_once!(self, sk_data_ready);
        if let Some(f) = f {
            // SAFETY: `raw()` is live; sock_init_data set the callback.
            unsafe { f(self.raw()) }
        }
    }

    /// Wakes writers: poll/epoll for EPOLLOUT and blocked senders
    /// (`sk_stream_write_space`).
    pub(crate) fn write_space(&self) {
        // SAFETY: `raw()` is live.
        unsafe { b::rust_tcp_glue_write_space(self.raw()) }
    }

    /// Wakes everything sleeping on the socket (`sk_state_change`).
    pub(crate) fn state_change(&self) {
        // SAFETY: `raw()` is live; sock_init_data set sk_state_change.
        unsafe { b::rust_tcp_glue_sk_state_change(self.raw()) }
    }

    /// `sk_error_report`: wakes waiters and poll with EPOLLERR.
    pub(crate) fn error_report(&self) {
        // SAFETY: `raw()` is live.
        unsafe { b::rust_tcp_glue_sk_error_report(self.raw()) }
    }

    /// The receive timeout of a blocking call (`sock_rcvtimeo`).
    pub(crate) fn rcvtimeo(&self, nonblock: bool) -> Timeo {
        // SAFETY: `raw()` is live.
        Timeo(unsafe { b::rust_tcp_glue_rcvtimeo(self.raw(), nonblock) })
    }

    /// The send timeout of a blocking call (`sock_sndtimeo`).
    pub(crate) fn sndtimeo(&self, nonblock: bool) -> Timeo {
        // SAFETY: `raw()` is live.
        Timeo(unsafe { b::rust_tcp_glue_sndtimeo(self.raw(), nonblock) })
    }

    /// Sleeps on the sock's wait queue until `W::ready`, the timeout
    /// (EAGAIN) or a signal (ERESTARTSYS/EINTR). Process context only, with
    /// no spinlock held, on a sock attached to a socket (a system call).
    pub(crate) fn wait<W: WaitFor<D>>(&self, timeo: &mut Timeo, exclusive: bool) -> Result {
        // SAFETY: `raw()` is live; the callers are system calls on its
        // socket, so sk_sleep() is that socket's wait queue.
        to_result(unsafe { b::rust_tcp_glue_wait(self.raw(), &mut timeo.0, exclusive, Some(wait_ready::<D, W>)) })
    }

    /// Takes the socket lock (`lock_sock`; may sleep).
    pub(crate) fn lock_sock(&self) -> SockLockGuard<'_, D> {
        // SAFETY: `raw()` is live for the borrow; process context.
        unsafe { b::lock_sock_nested(self.raw(), 0) };
        SockLockGuard { sk: self }
    }

    /// With the socket lock held, sleeps with it released until
    /// `W::ready`, a signal or the timeout (`inet_wait_for_connect`);
    /// `timeo` keeps what is left. Returns whether a signal is pending.
    pub(crate) fn wait_locked<W: WaitFor<D>>(&self, g: &SockLockGuard<'_, D>, timeo: &mut Timeo) -> bool {
        debug_assert_eq!(g.sk.id(), self.id());
        // SAFETY: `raw()` is live and attached to a socket (a system call
        // on it holds the lock `g`), which the glue drops and retakes
        // around each sleep.
        unsafe { b::rust_tcp_glue_wait_locked(self.raw(), &mut timeo.0, Some(wait_ready::<D, W>)) }
    }

    /// (Re)arms `t`, a timer of this sock's state, to fire in `ms`
    /// (`sk_reset_timer`): an armed timer holds a sock reference.
    pub(crate) fn reset_timer<H: SockTimerField<Host = Self>>(&self, t: &SockTimer<H>, ms: u32) {
        super::timer::reset(self, t, ms)
    }

    /// Stops `t` if pending (`sk_stop_timer`), dropping its reference.
    pub(crate) fn stop_timer<H: SockTimerField<Host = Self>>(&self, t: &SockTimer<H>) {
        super::timer::stop(self, t)
    }
}

// SAFETY: `data` sits at this offset of every sock of ours (`SockObj<D>`),
// and a sock reference keeps the whole object alive.
unsafe impl<D: SockData> TimerHost for Sock<D> {
    type Data = D;
    const DATA_OFFSET: usize = core::mem::offset_of!(SockObj<D>, data);
}

/// # Safety
///
/// Called by the glue's wait loops with the sock being waited on, which
/// the waiter holds.
unsafe extern "C" fn wait_ready<D: SockData, W: WaitFor<D>>(sk: *mut b::sock) -> bool {
    // SAFETY: per the function's contract.
    W::ready(unsafe { Sock::<D>::from_raw(sk) })
}

/// What [`Sock::bh_lock_or_backlog`] did with a segment.
pub(crate) enum BhLock<'a, D: SockData> {
    /// No process owns the sock: the segment is processed now, under the
    /// sock's spinlock (`bh_lock_sock`), which the guard releases.
    Locked(BhSockGuard<'a, D>),
    /// A process owns the sock: the segment waits on its backlog for
    /// `release_sock` ([`SockData::backlog_rcv`]); the skb is gone.
    Queued,
    /// The backlog is over its limit: the caller drops the segment
    /// (TCPBacklogDrop).
    Full,
}

/// Holds `bh_lock_sock`: no process can take ownership meanwhile.
pub(crate) struct BhSockGuard<'a, D: SockData> {
    sk: &'a Sock<D>,
}

impl<D: SockData> Drop for BhSockGuard<'_, D> {
    fn drop(&mut self) {
        // SAFETY: taken by `bh_lock_or_backlog` on a sock live for `'a`.
        unsafe { b::rust_tcp_glue_bh_unlock_sock(self.sk.raw()) }
    }
}

impl<D: SockData> Sock<D> {
    /// `tcp_v4_rcv`'s test for a segment `skb` (lent by the hook, BHs off):
    /// processed now if no process owns the sock, else queued on its
    /// backlog (`tcp_add_backlog`), so that a process holding the socket
    /// lock never makes the softirq wait.
    pub(crate) fn bh_lock_or_backlog(&self, skb: &mut RxSkb) -> BhLock<'_, D> {
        if skb.stolen() {
            return BhLock::Full;
        }
        // SAFETY: `raw()` is live for the borrow; the skb is the lender's
        // (not stolen), handed over only when the glue queues it.
        match unsafe { b::rust_tcp_glue_bh_lock_or_backlog(self.raw(), skb.as_raw()) } {
            0 => BhLock::Locked(BhSockGuard { sk: self }),
            1 => {
                skb.set_stolen();
                BhLock::Queued
            }
            _ => BhLock::Full,
        }
    }

    /// Processes the segments waiting on the backlog now
    /// (`sk_flush_backlog`), as a long send does between its copies.
    pub(crate) fn flush_backlog(&self, g: &SockLockGuard<'_, D>) {
        debug_assert_eq!(g.sk.id(), self.id());
        // SAFETY: `raw()` is live and its lock is ours (`g`).
        unsafe { b::rust_tcp_glue_flush_backlog(self.raw()) }
    }
}

/// Holds the socket lock (`lock_sock`/`release_sock`): serialises system
/// calls on one socket, as Linux's proto_ops do.
pub(crate) struct SockLockGuard<'a, D: SockData> {
    sk: &'a Sock<D>,
}

impl<D: SockData> Drop for SockLockGuard<'_, D> {
    fn drop(&mut self) {
        // SAFETY: taken by `Sock::lock_sock` on a sock live for `'a`.
        unsafe { b::release_sock(self.sk.raw()) }
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

    /// The errno of a wait a signal interrupted (`sock_intr_errno`).
    pub(crate) fn intr_errno(&self) -> Error {
        // SAFETY: a pure function of the value.
        Error::from_errno(unsafe { b::rust_tcp_glue_intr_errno(self.0) })
    }
}

/// `sk_userlocks` bits: `SOCK_SNDBUF_LOCK`/`SOCK_RCVBUF_LOCK` (SO_SNDBUF /
/// SO_RCVBUF were set), `SOCK_BINDADDR_LOCK`/`SOCK_BINDPORT_LOCK` (bind()
/// chose the address / the port, so a disconnect keeps it).
pub(crate) const SOCK_SNDBUF_LOCK: u8 = b::SOCK_SNDBUF_LOCK as u8;
pub(crate) const SOCK_RCVBUF_LOCK: u8 = b::SOCK_RCVBUF_LOCK as u8;
pub(crate) const SOCK_BINDADDR_LOCK: u8 = b::SOCK_BINDADDR_LOCK as u8;
pub(crate) const SOCK_BINDPORT_LOCK: u8 = b::SOCK_BINDPORT_LOCK as u8;
/// `sk_shutdown` bits and their union.
pub(crate) const RCV_SHUTDOWN: u8 = b::RCV_SHUTDOWN as u8;
pub(crate) const SEND_SHUTDOWN: u8 = b::SEND_SHUTDOWN as u8;
pub(crate) const SHUTDOWN_MASK: u8 = b::SHUTDOWN_MASK as u8;

/// `signal_pending(current)`.
pub(crate) fn signal_pending() -> bool {
    // SAFETY: no preconditions.
    unsafe { b::rust_tcp_glue_signal_pending() }
}

/// Raises SIGPIPE in the calling task (`send_sig(SIGPIPE, current, 0)`).
pub(crate) fn sigpipe() {
    // SAFETY: process context (a system call).
    unsafe { b::rust_tcp_glue_sigpipe() }
}

/// Keeps the `struct proto` registered (its slab cache, /proc/net/protocols),
/// sized for socks carrying a `D`.
pub(crate) struct ProtoRegistration<D>(PhantomData<D>);

impl<D: SockData> ProtoRegistration<D> {
    /// # Safety
    ///
    /// At most one registration exists at a time (the glue has one
    /// `struct proto`); `super::Registration` keeps it so.
    pub(super) unsafe fn new() -> Result<Self> {
        let size = u32::try_from(core::mem::size_of::<SockObj<D>>()).map_err(|_| EINVAL)?;
        // SAFETY: the glue's struct proto is a static, registered once here.
        to_result(unsafe { b::rust_tcp_glue_proto_register(size) })?;
        Ok(Self(PhantomData))
    }
}

impl<D> Drop for ProtoRegistration<D> {
    fn drop(&mut self) {
        // SAFETY: registered in `new`. No sock can exist: each holds a
        // reference on this module, so unload cannot get here before the
        // last one is freed.
        unsafe { b::rust_tcp_glue_proto_unregister() }
    }
}

impl<D: SockData> Sock<D> {
    /// Takes over the reference a socket holds on its sock.
    ///
    /// # Safety
    ///
    /// `raw` is the sock of a socket being released: the socket's reference
    /// passes to the returned value.
    pub(super) unsafe fn from_socket_ref(raw: *mut b::sock) -> ARef<Self> {
        // SAFETY: the caller's contract; socks are never null here.
        unsafe { ARef::from_raw(NonNull::new_unchecked(raw.cast())) }
    }

    /// The sock of a socket, borrowed for a callback on that socket.
    ///
    /// # Safety
    ///
    /// `raw` is the attached sock of a socket of our family whose callback
    /// is running (the socket holds the sock for the whole callback).
    pub(super) unsafe fn from_socket<'a>(raw: *mut b::sock) -> &'a Self {
        // SAFETY: the caller's contract.
        unsafe { Self::from_raw(raw) }
    }

    /// Allocates a sock in `net` for `sock`, and attaches it.
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
    ) -> Result<ARef<Self>> {
        // SAFETY: the caller's contract.
        let sk = unsafe { alloc::<D>(net, family, kernel::bindings::GFP_KERNEL, kern)? };
        // SAFETY: `sock` has no sock yet and `sk` was just allocated;
        // sock_init_data links them and sets the generic defaults. The
        // socket now holds the allocation's reference; we take another.
        unsafe {
            b::sock_init_data(sock, sk.as_ptr());
            init_tail::<D>(sk.as_ptr());
            b::sock_hold(sk.as_ptr());
            Ok(ARef::from_raw(sk.cast()))
        }
    }

    /// Allocates a sock for a connection accepted by this listener, in
    /// softirq context, not yet attached to any socket. The returned
    /// reference is the sock's only one.
    pub(crate) fn alloc_child(&self) -> Result<ARef<Self>> {
        // SAFETY: the listener is live and holds its netns; the child gets
        // its own netns reference from sk_alloc.
        unsafe {
            let raw_net = read_once!(self, __sk_common.skc_net.net);
            let family = i32::from(read_once!(self, __sk_common.skc_family));
            let sk = alloc::<D>(raw_net, family, kernel::bindings::GFP_ATOMIC, false)?;
            b::sock_init_data(core::ptr::null_mut(), sk.as_ptr());
            init_tail::<D>(sk.as_ptr());
            // The listener's socket options (sk_clone_lock's copy).
            b::rust_tcp_glue_sk_inherit(sk.as_ptr(), self.raw());
            Ok(ARef::from_raw(sk.cast()))
        }
    }

    /// Attaches this (child) sock to the socket accept() returns
    /// (`sock_graft`), which takes over the reference.
    ///
    /// # Safety
    ///
    /// `newsock` is the fresh socket of an accept() call on our family.
    pub(super) unsafe fn graft(this: ARef<Self>, newsock: *mut b::socket) {
        let raw = ARef::into_raw(this).as_ptr().cast::<b::sock>();
        // SAFETY: the caller's contract; the sock has no socket yet.
        unsafe {
            b::sock_graft(raw, newsock);
            (*newsock).sk = raw;
        }
    }

    /// Detaches the sock from its socket (`sock_orphan`), the end of
    /// `release`; the caller then drops the socket's reference.
    pub(crate) fn orphan(&self) {
        // SAFETY: `raw()` is live; after sock_orphan the sock no longer
        // points at the socket.
        unsafe {
            b::lock_sock_nested(self.raw(), 0);
            b::sock_orphan(self.raw());
            b::release_sock(self.raw());
        }
    }
}

/// # Safety
///
/// `net` must be live.
unsafe fn alloc<D: SockData>(net: *mut b::net, family: i32, gfp: u32, kern: bool) -> Result<NonNull<b::sock>> {
    // SAFETY: `net` is live (the caller's contract); `sk_alloc` zeroes the
    // object and takes a netns reference unless `kern`.
    let sk = unsafe { b::sk_alloc(net, family, gfp, b::rust_tcp_glue_proto(), kern as i32) };
    NonNull::new(sk).ok_or(super::errno(b::ENOBUFS))
}

/// # Safety
///
/// `sk` is a sock just allocated from our proto and passed through
/// `sock_init_data` (which resets `sk_destruct`), its tail uninitialised.
unsafe fn init_tail<D: SockData>(sk: *mut b::sock) {
    // SAFETY: a new sock: nothing else sees it yet; its netns is live.
    unsafe {
        (*sk).sk_protocol = b::IPPROTO_TCP as u16;
        (*sk).sk_type = 1; // SOCK_STREAM
        (*sk).sk_destruct = Some(sk_destruct::<D>);
        (*sk).sk_backlog_rcv = Some(backlog_rcv::<D>);
        b::rust_tcp_glue_sk_init(sk);
    }
    // SAFETY: the slab object is `size_of::<SockObj<D>>()` bytes, so the
    // tail is in bounds; it is written once, here, and dropped once, in
    // `sk_destruct`.
    let slot = unsafe { addr_of_mut!((*sk.cast::<SockObj<D>>()).data) };
    // SAFETY: `slot` is valid for writes and pinned for the sock's life.
    match unsafe { D::new().__pinned_init(slot) } {
        Ok(()) => (),
        Err(e) => match e {},
    }
    // SAFETY: the sock is live and its state initialised.
    D::created(unsafe { Sock::<D>::from_raw(sk) });
}

/// `sk_backlog_rcv` of our socks: `__release_sock` hands over, one by one,
/// the segments queued while the calling process owned the sock.
///
/// # Safety
///
/// Called by `__release_sock` (process context, BHs on) with a sock of
/// ours that the caller owns and holds, and an skb that is now ours.
unsafe extern "C" fn backlog_rcv<D: SockData>(sk: *mut b::sock, skb: *mut b::sk_buff) -> core::ffi::c_int {
    // SAFETY: per the function's contract; BHs off as for a segment in
    // softirq (the per-CPU state the receive path uses stays ours).
    unsafe {
        b::rust_tcp_glue_local_bh_disable();
        let mut rx = RxSkb::from_raw(skb);
        D::backlog_rcv(Sock::<D>::from_raw(sk), &mut rx);
        b::rust_tcp_glue_local_bh_enable();
        if !rx.stolen() {
            b::consume_skb(skb);
        }
    }
    0
}

/// `sk_destruct` of our socks: runs once, when the last reference is put.
///
/// # Safety
///
/// Called by `__sk_destruct` with a sock of ours that nothing else uses.
unsafe extern "C" fn sk_destruct<D: SockData>(sk: *mut b::sock) {
    // SAFETY: the sock is still whole here (its netns reference is dropped
    // after this callback) and no other reference exists.
    D::destroyed(unsafe { Sock::<D>::from_raw(sk) });
    // SAFETY: the last reference is gone, so nothing reads the route
    // cache; its reference is dropped here as inet_sock_destruct does.
    unsafe { b::rust_tcp_glue_sk_dst_release(sk) };
    // SAFETY: the tail was initialised by `init_tail` and nothing can use
    // it any more: this is the last reference.
    unsafe { core::ptr::drop_in_place(addr_of_mut!((*sk.cast::<SockObj<D>>()).data)) };
}
