// SPDX-License-Identifier: GPL-2.0

//! `struct socket` and the family: the `net_proto_family` registration, its
//! `create` entry, and the `proto_ops` table built from a [`StreamOps`]
//! implementation, in the style of `kernel::net::phy`'s `Adapter`.

use super::bindings as b;
use super::sock::Sock;
use kernel::ffi::{c_int, c_uint};
use core::marker::PhantomData;
use kernel::error::{from_result, to_result};
use kernel::prelude::*;

/// Poll bits (uapi, fixed by ABI; bindgen cannot evaluate the `__force`
/// casts in their C definitions).
pub(crate) mod poll {
    pub(crate) const EPOLLOUT: u32 = 0x0004;
    pub(crate) const EPOLLHUP: u32 = 0x0010;
    pub(crate) const EPOLLWRNORM: u32 = 0x0100;
}

/// What the proto_ops callbacks see of the socket: its sock.
///
/// # Invariants
///
/// `raw` is a socket of our family inside one of its proto_ops callbacks,
/// so the VFS keeps it alive for the duration of the borrow.
pub(crate) struct Socket {
    raw: *mut b::socket,
}

impl Socket {
    /// The socket's sock, or `None` once released.
    fn take_sk(&mut self) -> Option<Sock> {
        // SAFETY: `raw` is live by the invariant; only `release` clears
        // `sk`, and the VFS calls it once.
        let sk = unsafe { core::mem::replace(&mut (*self.raw).sk, core::ptr::null_mut()) };
        // SAFETY: a non-null `sk` is the sock our create attached, whose
        // reference the socket owns and now hands over.
        (!sk.is_null()).then(|| unsafe { Sock::from_raw(sk) })
    }

    /// Runs `f` on the socket's sock without taking its reference.
    pub(crate) fn with_sk<R>(&self, f: impl FnOnce(&Sock) -> R) -> R {
        // SAFETY: outside `release` the socket's sock is attached and held
        // by the socket (invariant); `ManuallyDrop` keeps the reference
        // with the socket.
        let sk = core::mem::ManuallyDrop::new(unsafe { Sock::from_raw((*self.raw).sk) });
        f(&sk)
    }
}

/// A stream protocol's operations; the unlisted proto_ops answer
/// EOPNOTSUPP through the kernel's `sock_no_*`, as long as a later change
/// has not implemented them here.
#[vtable]
pub(crate) trait StreamOps {
    /// close(): tear the connection down and drop the sock.
    fn release(sk: Sock) -> Result;
    /// poll(): the readiness mask after `sock_poll_wait`.
    fn poll(sk: &Sock) -> u32;
}

/// Sets up the socket for a validated (type, protocol) pair.
pub(crate) trait Family {
    /// Checks the socket() arguments as `inet_create` does and answers
    /// `Ok` for a stream socket this family implements.
    fn check_create(sock_type: i32, protocol: i32) -> Result;
    /// Called with the new sock attached.
    fn created(sk: &Sock);
}

struct Adapter<T>(PhantomData<T>);

impl<T: StreamOps> Adapter<T> {
    /// # Safety
    ///
    /// Called by the socket layer as `proto_ops.release`.
    unsafe extern "C" fn release(sock: *mut b::socket) -> c_int {
        from_result(|| {
            // INVARIANT: called by the VFS on a socket of ours.
            let mut s = Socket { raw: sock };
            match s.take_sk() {
                Some(sk) => T::release(sk)?,
                None => (),
            }
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the socket layer as `proto_ops.poll`.
    unsafe extern "C" fn poll(
        file: *mut b::file,
        sock: *mut b::socket,
        wait: *mut b::poll_table_struct,
    ) -> c_uint {
        // SAFETY: the arguments are those of a poll call on our socket;
        // sock_poll_wait registers the caller on the socket's wait queue.
        unsafe { b::sock_poll_wait(file, sock, wait) };
        // INVARIANT: a poll callback on our socket.
        let s = Socket { raw: sock };
        s.with_sk(|sk| T::poll(sk))
    }

    fn ops(family: i32, owner: *mut b::module) -> b::proto_ops {
        b::proto_ops {
            family,
            owner,
            release: Some(Self::release),
            bind: Some(b::sock_no_bind),
            connect: Some(b::sock_no_connect),
            socketpair: Some(b::sock_no_socketpair),
            accept: Some(b::sock_no_accept),
            getname: Some(b::sock_no_getname),
            poll: Some(Self::poll),
            ioctl: Some(b::sock_no_ioctl),
            listen: Some(b::sock_no_listen),
            shutdown: Some(b::sock_no_shutdown),
            sendmsg: Some(b::sock_no_sendmsg),
            recvmsg: Some(b::sock_no_recvmsg),
            mmap: Some(b::sock_no_mmap),
            ..Default::default()
        }
    }
}

/// The registered family. Dropping it unregisters the family, which waits
/// for `create` calls in flight (sock_unregister syncs RCU).
pub(crate) struct FamilyRegistration {
    family: i32,
}

/// The one protocol of the family: `SOCK_STREAM`/`IPPROTO_TCP`.
type Proto = crate::af_rust_tcp::TcpStream;

impl FamilyRegistration {
    /// Registers `family`, whose sockets are [`Proto`]'s.
    pub(crate) fn new(family: i32, module: &'static ThisModule) -> Result<Self> {
        // SAFETY: module init runs alone: the ops table cannot be read
        // before `sock_register` below publishes the family.
        unsafe {
            *b::rust_tcp_glue_stream_ops() = Adapter::<Proto>::ops(family, module.as_ptr().cast());
        }
        // SAFETY: the glue's net_proto_family is a static, registered once.
        to_result(unsafe { b::rust_tcp_glue_family_register(family) })?;
        Ok(Self { family })
    }
}

impl Drop for FamilyRegistration {
    fn drop(&mut self) {
        // SAFETY: registered in `new` with this number.
        unsafe { b::rust_tcp_glue_family_unregister(self.family) }
    }
}

/// The family's `create` for protocol `T`.
fn create<T: StreamOps + Family>(
    net: *mut b::net,
    sock: *mut b::socket,
    protocol: c_int,
    kern: c_int,
) -> Result {
    // SAFETY: `sock` is the new socket the socket layer passes to create.
    let sock_type = unsafe { (*sock).type_ } as i32;
    T::check_create(sock_type, protocol)?;
    // SAFETY: as above; nothing else sees the socket yet.
    unsafe {
        (*sock).state = b::socket_state_SS_UNCONNECTED;
        (*sock).ops = b::rust_tcp_glue_stream_ops();
    }
    let family = family_param();
    // SAFETY: create's arguments, a new socket without a sock.
    let sk = unsafe { Sock::alloc_for(net, sock, family, kern != 0) }?;
    T::created(&sk);
    // The socket owns the reference now: do not put it.
    core::mem::forget(sk);
    Ok(())
}

/// `net_proto_family.create` of our family.
///
/// # Safety
///
/// Called by `__sock_create` with a new socket of our family.
#[no_mangle]
unsafe extern "C" fn rust_tcp_create(
    net: *mut b::net,
    sock: *mut b::socket,
    protocol: c_int,
    kern: c_int,
) -> c_int {
    from_result(|| create::<Proto>(net, sock, protocol, kern).map(|()| 0))
}

/// The `family` module parameter.
pub(crate) fn family_param() -> i32 {
    // SAFETY: reads an int module parameter, fixed after load (mode 0444).
    unsafe { b::rust_tcp_glue_family() }
}
