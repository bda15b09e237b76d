// SPDX-License-Identifier: GPL-2.0

//! `struct socket` and the family: the `net_proto_family` registration, its
//! `create` entry, and the `proto_ops` table built from a [`StreamOps`]
//! implementation, in the style of `kernel::net::phy`'s `Adapter`.

use super::bindings as b;
use super::sock::{Sock, SockData, SockLockGuard};
use kernel::ffi::{c_int, c_uint};
use kernel::types::ARef;
use core::marker::PhantomData;
use kernel::error::{from_result, to_result};
use kernel::prelude::*;

/// A local or peer address for getsockname()/getpeername().
pub(crate) struct Name {
    pub(crate) addr: [u8; 4],
    pub(crate) port: u16,
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
    fn take_sk<D: SockData>(&mut self) -> Option<ARef<Sock<D>>> {
        // SAFETY: `raw` is live by the invariant; only `release` clears
        // `sk`, and the VFS calls it once.
        let sk = unsafe { core::mem::replace(&mut (*self.raw).sk, core::ptr::null_mut()) };
        // SAFETY: a non-null `sk` is the sock our create attached, whose
        // reference the socket owns and now hands over.
        (!sk.is_null()).then(|| unsafe { Sock::from_socket_ref(sk) })
    }

    /// Runs `f` on the socket's sock without taking a reference.
    fn with_sk<D: SockData, R>(&self, f: impl FnOnce(&Sock<D>) -> R) -> R {
        // SAFETY: outside `release` the socket's sock is attached and held
        // by the socket for the whole callback (invariant); our family's
        // sockets carry `D` socks (one registration ties them).
        let sk = unsafe { Sock::<D>::from_socket((*self.raw).sk) };
        f(sk)
    }
}

/// A stream protocol's operations; the unlisted proto_ops answer
/// EOPNOTSUPP through the kernel's `sock_no_*`, as long as a later change
/// has not implemented them here.
#[vtable]
pub(crate) trait StreamOps {
    /// The state of this protocol's socks.
    type Data: SockData;
    /// Checks the socket() arguments as `inet_create` does and answers
    /// `Ok` for a stream socket this family implements.
    fn check_create(sock_type: i32, protocol: i32) -> Result;
    /// close(): tear the connection down; dropping `sk` puts the socket's
    /// reference.
    fn release(sk: ARef<Sock<Self::Data>>) -> Result;
    /// poll(): the readiness mask after `sock_poll_wait`.
    fn poll(sk: &Sock<Self::Data>) -> u32;
    /// bind(): `addr` is the copied-in sockaddr, `addr_len` its length.
    /// Called under the socket lock.
    fn bind(sk: &Sock<Self::Data>, addr: &[u8], addr_len: usize) -> Result;
    /// listen(): `backlog` already clamped to somaxconn by the socket layer.
    /// Called under the socket lock; `sock_state_ok` is false unless the
    /// socket is SS_UNCONNECTED.
    fn listen(sk: &Sock<Self::Data>, backlog: u32, sock_state_ok: bool) -> Result;
    /// accept(): a connected child.
    fn accept(sk: &Sock<Self::Data>, nonblock: bool) -> Result<ARef<Sock<Self::Data>>>;
    /// connect(): `addr` is the copied-in sockaddr, `addr_len` its length,
    /// `state` the socket's `socket->state`, which the method updates as
    /// `__inet_stream_connect` does. Called under the socket lock `g`,
    /// which a blocking connect releases while it sleeps.
    fn connect(
        sk: &Sock<Self::Data>,
        g: &SockLockGuard<'_, Self::Data>,
        state: &mut SocketState,
        addr: &[u8],
        addr_len: usize,
        nonblock: bool,
    ) -> Result;
    /// getsockname() (`peer` false) or getpeername().
    fn getname(sk: &Sock<Self::Data>, peer: bool) -> Result<Name>;
    /// setsockopt() of an int option the socket core does not handle for
    /// us: SO_REUSEPORT, and every level other than SOL_SOCKET. Called
    /// under the socket lock.
    fn setsockopt(sk: &Sock<Self::Data>, level: i32, optname: i32, val: i32) -> Result;
    /// getsockopt() of an option at a level other than SOL_SOCKET
    /// (which the socket core answers itself).
    fn getsockopt(sk: &Sock<Self::Data>, level: i32, optname: i32) -> Result<OptVal>;
    /// sendmsg()/write(): `flags` are the MSG_* flags. Called under the
    /// socket lock `g`, which a blocking send releases while it sleeps.
    fn sendmsg(sk: &Sock<Self::Data>, g: &SockLockGuard<'_, Self::Data>, msg: &mut Msg, flags: i32) -> Result<usize>;
    /// recvmsg()/read(), as `sendmsg`.
    fn recvmsg(sk: &Sock<Self::Data>, g: &SockLockGuard<'_, Self::Data>, msg: &mut Msg, flags: i32) -> Result<usize>;
    /// shutdown(): `state` is `socket->state`, updated as `inet_shutdown`
    /// does. Called under the socket lock.
    fn shutdown(sk: &Sock<Self::Data>, how: i32, state: &mut SocketState) -> Result;
    /// ioctl() of a command whose answer is an int (`tcp_ioctl`): the
    /// value, or `None` for a command the protocol does not know (the
    /// socket core then tries its device ioctls).
    fn ioctl(sk: &Sock<Self::Data>, cmd: u32) -> Result<Option<i32>>;
}

/// A getsockopt() answer.
pub(crate) enum OptVal {
    /// An int option.
    Int(i32),
    /// TCP_INFO.
    TcpInfo(TcpInfo),
}

/// `struct rust_tcp_info` (glue.h), which the glue turns into `struct
/// tcp_info` (whose bitfields Rust cannot lay out).
pub(crate) use b::rust_tcp_info as TcpInfo;

/// The data of a sendmsg()/recvmsg() call: its `msghdr`'s iterator over
/// the caller's buffers.
///
/// # Invariants
///
/// `raw` is the msghdr of a sendmsg/recvmsg call in progress.
pub(crate) struct Msg {
    raw: *mut b::msghdr,
}

impl Msg {
    /// Bytes left to copy (`msg_data_left`).
    pub(crate) fn left(&self) -> usize {
        // SAFETY: `raw` is live (invariant).
        unsafe { b::rust_tcp_glue_msg_left(self.raw) }
    }

    /// Copies the caller's next bytes into `buf` without sleeping (page
    /// faults disabled, so callable under a spinlock); returns how many,
    /// fewer than asked where the caller's memory is not present or not
    /// valid: [`Msg::fault_in`] then tells which.
    pub(crate) fn copy_from_atomic(&mut self, buf: &mut [u8]) -> usize {
        // SAFETY: `raw` is live; `buf` is valid for `buf.len()` writes. The
        // copy cannot sleep (pagefault_disable in the glue).
        unsafe { b::rust_tcp_glue_msg_copy_from_atomic(self.raw, buf.as_mut_ptr().cast(), buf.len()) }
    }

    /// Copies `buf` to the caller's next bytes without sleeping; returns
    /// how many (see [`Msg::copy_from_atomic`]).
    pub(crate) fn copy_to_atomic(&mut self, buf: &[u8]) -> usize {
        // SAFETY: `raw` is live; `buf` is valid for `buf.len()` reads.
        unsafe { b::rust_tcp_glue_msg_copy_to_atomic(self.raw, buf.as_ptr().cast(), buf.len()) }
    }

    /// Faults in the caller's next `len` bytes (for reading them, or for
    /// writing them if `write`), sleeping as needed: how many are now
    /// present from the start; 0 means the address is bad (EFAULT). Call
    /// with no spinlock held.
    pub(crate) fn fault_in(&mut self, len: usize, write: bool) -> usize {
        // SAFETY: `raw` is live; the iterator is only probed, not advanced.
        unsafe { b::rust_tcp_glue_msg_fault_in(self.raw, len, write) }
    }
}

/// `MSG_*` flags (uapi, fixed by ABI).
pub(crate) mod msg {
    pub(crate) const OOB: i32 = 0x1;
    pub(crate) const PEEK: i32 = 0x2;
    pub(crate) const TRUNC: i32 = 0x20;
    pub(crate) const ERRQUEUE: i32 = 0x2000;
    pub(crate) const DONTWAIT: i32 = 0x40;
    pub(crate) const WAITALL: i32 = 0x100;
    pub(crate) const NOSIGNAL: i32 = 0x4000;
    pub(crate) const MORE: i32 = 0x8000;
}

/// The `EPOLL*` bits a poll mask is made of (the kernel's, through the
/// glue's constants).
pub(crate) mod epoll {
    use super::b;
    pub(crate) const IN: u32 = b::rust_tcp_epoll_RUST_TCP_EPOLLIN as u32;
    pub(crate) const PRI: u32 = b::rust_tcp_epoll_RUST_TCP_EPOLLPRI as u32;
    pub(crate) const OUT: u32 = b::rust_tcp_epoll_RUST_TCP_EPOLLOUT as u32;
    pub(crate) const ERR: u32 = b::rust_tcp_epoll_RUST_TCP_EPOLLERR as u32;
    pub(crate) const HUP: u32 = b::rust_tcp_epoll_RUST_TCP_EPOLLHUP as u32;
    pub(crate) const RDNORM: u32 = b::rust_tcp_epoll_RUST_TCP_EPOLLRDNORM as u32;
    pub(crate) const WRNORM: u32 = b::rust_tcp_epoll_RUST_TCP_EPOLLWRNORM as u32;
    pub(crate) const RDHUP: u32 = b::rust_tcp_epoll_RUST_TCP_EPOLLRDHUP as u32;
}

/// `SOL_SOCKET` and `SO_REUSEPORT` (asm-generic/socket.h on x86).
pub(crate) const SOL_SOCKET: i32 = 1;
pub(crate) const SO_REUSEPORT: i32 = 15;

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

    /// # Safety
    ///
    /// Called by the socket layer as `proto_ops.bind`: `addr` points to a
    /// `sockaddr_storage` whose first `len` (0..=128) bytes were copied in.
    unsafe extern "C" fn bind(sock: *mut b::socket, addr: *mut b::sockaddr, len: c_int) -> c_int {
        from_result(|| {
            let len = usize::try_from(len).map_err(|_| EINVAL)?.min(128);
            // SAFETY: per the function's contract.
            let raw = unsafe { core::slice::from_raw_parts(addr.cast::<u8>(), len) };
            // INVARIANT: a bind callback on our socket.
            let s = Socket { raw: sock };
            s.with_sk(|sk| {
                let _g = sk.lock_sock();
                T::bind(sk, raw, len)
            })?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the socket layer as `proto_ops.listen`.
    unsafe extern "C" fn listen(sock: *mut b::socket, backlog: c_int) -> c_int {
        from_result(|| {
            // SAFETY: the socket is live for the callback.
            let ok = unsafe { (*sock).state } == b::socket_state_SS_UNCONNECTED;
            // INVARIANT: a listen callback on our socket.
            let s = Socket { raw: sock };
            s.with_sk(|sk| {
                let _g = sk.lock_sock();
                T::listen(sk, u32::try_from(backlog).unwrap_or(0), ok)
            })?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the socket layer as `proto_ops.accept`, with `newsock` a
    /// fresh socket whose ops and type are already ours.
    unsafe extern "C" fn accept(
        sock: *mut b::socket,
        newsock: *mut b::socket,
        arg: *mut b::proto_accept_arg,
    ) -> c_int {
        from_result(|| {
            // SAFETY: `arg` is the caller's accept argument.
            let nonblock = unsafe { (*arg).flags } & (b::O_NONBLOCK as i32) != 0;
            // INVARIANT: an accept callback on our socket.
            let s = Socket { raw: sock };
            let child = s.with_sk(|sk| T::accept(sk, nonblock))?;
            // SAFETY: `newsock` is fresh; grafting hands it the child's
            // reference.
            unsafe {
                Sock::graft(child, newsock);
                (*newsock).state = b::socket_state_SS_CONNECTED;
                b::rust_tcp_glue_custom_sockopt(newsock);
            }
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the socket layer as `proto_ops.getname`, with `addr` room
    /// for a `sockaddr_storage`.
    unsafe extern "C" fn getname(sock: *mut b::socket, addr: *mut b::sockaddr, peer: c_int) -> c_int {
        from_result(|| {
            // INVARIANT: a getname callback on our socket.
            let s = Socket { raw: sock };
            let name = s.with_sk(|sk| T::getname(sk, peer != 0))?;
            let mut sin = [0u8; 16];
            sin[0..2].copy_from_slice(&(b::AF_INET as u16).to_ne_bytes());
            sin[2..4].copy_from_slice(&name.port.to_be_bytes());
            sin[4..8].copy_from_slice(&name.addr);
            // SAFETY: `addr` has room for 128 bytes; we write 16.
            unsafe { core::ptr::copy_nonoverlapping(sin.as_ptr(), addr.cast::<u8>(), sin.len()) };
            Ok(sin.len() as c_int)
        })
    }

    /// # Safety
    ///
    /// Called by the socket layer as `proto_ops.setsockopt` (for SOL_SOCKET
    /// too: our sockets set SOCK_CUSTOM_SOCKOPT).
    unsafe extern "C" fn setsockopt(
        sock: *mut b::socket,
        level: c_int,
        optname: c_int,
        optval: b::sockptr_t,
        optlen: c_uint,
    ) -> c_int {
        from_result(|| {
            if level == SOL_SOCKET && optname != SO_REUSEPORT {
                // SAFETY: the arguments of this setsockopt call, as the
                // socket core would have passed them itself.
                return to_result(unsafe { b::sock_setsockopt(sock, level, optname, optval, optlen) }).map(|()| 0);
            }
            let mut val = 0;
            // SAFETY: `optval`/`optlen` describe the caller's buffer.
            to_result(unsafe { b::rust_tcp_glue_sockopt_int(optval, optlen, &mut val) })?;
            // INVARIANT: a setsockopt callback on our socket.
            let s = Socket { raw: sock };
            s.with_sk(|sk| {
                let _g = sk.lock_sock();
                T::setsockopt(sk, level, optname, val)
            })?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the socket layer as `proto_ops.connect`: `addr` points to
    /// a `sockaddr_storage` whose first `len` (0..=128) bytes were copied
    /// in; `flags` are the file's flags.
    unsafe extern "C" fn connect(sock: *mut b::socket, addr: *mut b::sockaddr, len: c_int, flags: c_int) -> c_int {
        from_result(|| {
            let len = usize::try_from(len).map_err(|_| EINVAL)?.min(128);
            // SAFETY: per the function's contract.
            let raw = unsafe { core::slice::from_raw_parts(addr.cast::<u8>(), len) };
            let nonblock = flags & (b::O_NONBLOCK as i32) != 0;
            // INVARIANT: a connect callback on our socket.
            let s = Socket { raw: sock };
            s.with_sk(|sk| {
                let g = sk.lock_sock();
                // SAFETY: `socket->state` is written under the socket lock,
                // which we hold, as inet_stream_connect does.
                let mut state = from_ss(unsafe { (*sock).state });
                let r = T::connect(sk, &g, &mut state, raw, len, nonblock);
                // SAFETY: as above.
                unsafe { (*sock).state = to_ss(state) };
                r
            })?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the socket layer as `proto_ops.getsockopt` with the
    /// caller's user buffers.
    unsafe extern "C" fn getsockopt(
        sock: *mut b::socket,
        level: c_int,
        optname: c_int,
        optval: *mut kernel::ffi::c_char,
        optlen: *mut c_int,
    ) -> c_int {
        from_result(|| {
            // INVARIANT: a getsockopt callback on our socket.
            let s = Socket { raw: sock };
            let val = s.with_sk(|sk| {
                let _g = sk.lock_sock();
                T::getsockopt(sk, level, optname)
            })?;
            match val {
                // SAFETY: `optval`/`optlen` are the caller's user pointers.
                OptVal::Int(v) => to_result(unsafe { b::rust_tcp_glue_getsockopt_int(optval, optlen, v) })?,
                OptVal::TcpInfo(i) => {
                    // SAFETY: as above; `i` is a live struct.
                    to_result(unsafe { b::rust_tcp_glue_getsockopt_tcp_info(optval, optlen, &i) })?
                }
            }
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the socket layer as `proto_ops.sendmsg`.
    unsafe extern "C" fn sendmsg(sock: *mut b::socket, m: *mut b::msghdr, _len: usize) -> c_int {
        from_result(|| {
            // SAFETY: `m` is this call's msghdr.
            let flags = unsafe { (*m).msg_flags } as i32;
            // INVARIANT: a sendmsg call in progress.
            let mut msg = Msg { raw: m };
            // INVARIANT: a sendmsg callback on our socket.
            let s = Socket { raw: sock };
            // The socket layer already folded the file's O_NONBLOCK into
            // MSG_DONTWAIT in `flags`.
            let n = s.with_sk(|sk| {
                let g = sk.lock_sock();
                T::sendmsg(sk, &g, &mut msg, flags)
            })?;
            Ok(n.min(i32::MAX as usize) as c_int)
        })
    }

    /// # Safety
    ///
    /// Called by the socket layer as `proto_ops.recvmsg`.
    unsafe extern "C" fn recvmsg(sock: *mut b::socket, m: *mut b::msghdr, _len: usize, flags: c_int) -> c_int {
        from_result(|| {
            // INVARIANT: a recvmsg call in progress.
            let mut msg = Msg { raw: m };
            // INVARIANT: a recvmsg callback on our socket.
            let s = Socket { raw: sock };
            let n = s.with_sk(|sk| {
                let g = sk.lock_sock();
                T::recvmsg(sk, &g, &mut msg, flags)
            })?;
            // SAFETY: `m` is this call's msghdr; TCP returns no address.
            unsafe { (*m).msg_namelen = 0 };
            Ok(n.min(i32::MAX as usize) as c_int)
        })
    }

    /// # Safety
    ///
    /// Called by the socket layer as `proto_ops.ioctl`: `arg` is the
    /// caller's argument, a user pointer for the commands answered here.
    unsafe extern "C" fn ioctl(sock: *mut b::socket, cmd: c_uint, arg: kernel::ffi::c_ulong) -> c_int {
        from_result(|| {
            // INVARIANT: an ioctl callback on our socket.
            let s = Socket { raw: sock };
            match s.with_sk(|sk| T::ioctl(sk, cmd))? {
                // SAFETY: `arg` is the caller's user pointer (put_user
                // checks it).
                Some(v) => to_result(unsafe { b::rust_tcp_glue_put_user_int(arg, v) }).map(|()| 0),
                None => Err(super::errno(b::ENOIOCTLCMD)),
            }
        })
    }

    /// # Safety
    ///
    /// Called by the socket layer as `proto_ops.shutdown`.
    unsafe extern "C" fn shutdown(sock: *mut b::socket, how: c_int) -> c_int {
        from_result(|| {
            // INVARIANT: a shutdown callback on our socket.
            let s = Socket { raw: sock };
            s.with_sk(|sk| {
                let _g = sk.lock_sock();
                // SAFETY: `socket->state` is written under the socket lock.
                let mut state = from_ss(unsafe { (*sock).state });
                let r = T::shutdown(sk, how, &mut state);
                // SAFETY: as above.
                unsafe { (*sock).state = to_ss(state) };
                r
            })?;
            Ok(0)
        })
    }

    fn ops(family: i32, owner: *mut b::module) -> b::proto_ops {
        b::proto_ops {
            family,
            owner,
            release: Some(Self::release),
            bind: Some(Self::bind),
            connect: Some(Self::connect),
            socketpair: Some(b::sock_no_socketpair),
            accept: Some(Self::accept),
            getname: Some(Self::getname),
            poll: Some(Self::poll),
            ioctl: Some(Self::ioctl),
            listen: Some(Self::listen),
            setsockopt: Some(Self::setsockopt),
            getsockopt: Some(Self::getsockopt),
            shutdown: Some(Self::shutdown),
            sendmsg: Some(Self::sendmsg),
            recvmsg: Some(Self::recvmsg),
            mmap: Some(b::sock_no_mmap),
            ..Default::default()
        }
    }
}

/// `socket->state` (`SS_*`): where a socket is in connect()/shutdown(),
/// which the protocol updates as `__inet_stream_connect` does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SocketState {
    Free,
    Unconnected,
    Connecting,
    Connected,
    Disconnecting,
}

fn from_ss(s: b::socket_state) -> SocketState {
    match s {
        b::socket_state_SS_UNCONNECTED => SocketState::Unconnected,
        b::socket_state_SS_CONNECTING => SocketState::Connecting,
        b::socket_state_SS_CONNECTED => SocketState::Connected,
        b::socket_state_SS_DISCONNECTING => SocketState::Disconnecting,
        _ => SocketState::Free,
    }
}

fn to_ss(s: SocketState) -> b::socket_state {
    match s {
        SocketState::Free => b::socket_state_SS_FREE,
        SocketState::Unconnected => b::socket_state_SS_UNCONNECTED,
        SocketState::Connecting => b::socket_state_SS_CONNECTING,
        SocketState::Connected => b::socket_state_SS_CONNECTED,
        SocketState::Disconnecting => b::socket_state_SS_DISCONNECTING,
    }
}

/// The registered family, whose sockets are `T`'s. Dropping it
/// unregisters the family, which waits for `create` calls in flight
/// (sock_unregister syncs RCU).
pub(crate) struct FamilyRegistration<T> {
    family: i32,
    _t: PhantomData<T>,
}

impl<T: StreamOps> FamilyRegistration<T> {
    /// Registers `family`.
    ///
    /// # Safety
    ///
    /// At most one registration exists at a time (the glue has one
    /// `proto_ops` and one `net_proto_family`), and `T::Data`'s proto and
    /// pernet state are registered first; `super::Registration` keeps it so.
    pub(super) unsafe fn new(family: i32, module: &'static ThisModule) -> Result<Self> {
        // SAFETY: module init runs alone: the ops table cannot be read
        // before `sock_register` below publishes the family.
        unsafe {
            *b::rust_tcp_glue_stream_ops() = Adapter::<T>::ops(family, module.as_ptr().cast());
        }
        // SAFETY: the glue's net_proto_family is a static, registered once.
        to_result(unsafe { b::rust_tcp_glue_family_register(family, Some(create::<T>)) })?;
        Ok(Self { family, _t: PhantomData })
    }
}

impl<T> Drop for FamilyRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: registered in `new` with this number.
        unsafe { b::rust_tcp_glue_family_unregister(self.family) }
    }
}

/// `net_proto_family.create` of our family.
///
/// # Safety
///
/// Called by `__sock_create` with a new socket of our family.
unsafe extern "C" fn create<T: StreamOps>(
    net: *mut b::net,
    sock: *mut b::socket,
    protocol: c_int,
    kern: c_int,
) -> c_int {
    from_result(|| {
        // SAFETY: `sock` is the new socket the socket layer passes to create.
        let sock_type = unsafe { (*sock).type_ } as i32;
        T::check_create(sock_type, protocol)?;
        // SAFETY: as above; nothing else sees the socket yet.
        unsafe {
            (*sock).state = b::socket_state_SS_UNCONNECTED;
            (*sock).ops = b::rust_tcp_glue_stream_ops();
            b::rust_tcp_glue_custom_sockopt(sock);
        }
        let family = family_param();
        // SAFETY: create's arguments, a new socket without a sock; the
        // socket keeps its own reference, ours is dropped here.
        drop(unsafe { Sock::<T::Data>::alloc_for_socket(net, sock, family, kern != 0) }?);
        Ok(0)
    })
}

/// The `family` module parameter.
pub(crate) fn family_param() -> i32 {
    // SAFETY: reads an int module parameter, fixed after load (mode 0444).
    unsafe { b::rust_tcp_glue_family() }
}
