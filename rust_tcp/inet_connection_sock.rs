// SPDX-License-Identifier: GPL-2.0

//! Connection-oriented socket operations, as net/ipv4/inet_connection_sock.c
//! (and the bind half of af_inet.c): bind and port allocation, listen,
//! accept, tearing a listener down, and the request sock timer.

use crate::errno::to_error;
use crate::fifo::Fifo;
use crate::inet_hashtables::{BindGuard, Req, ReqRef, Tw};
use crate::proto::inet_hashtables::BindBucket;
use crate::netns::{Mib, NetNs};
use crate::proto::errno::Errno;
use crate::proto::inet_connection_sock::{find_open_port, reqsk_timeout, reqsk_timer_decision, TCP_RTO_MAX_MS};
use crate::proto::inet_hashtables::{bind_conflict, check_bind, get_port_explicit_with, AddrKind, BindError, BindSock, BindState};
use crate::proto::tcp_states::{TCP_CLOSE, TCP_LISTEN};
use crate::request_sock::ReqTimer;
use crate::sys::bindings as b;
use crate::sys::errno;
use crate::sys::net::{rtn, Sysctl};
use crate::sys::sock::{WaitFor, SOCK_BINDADDR_LOCK, SOCK_BINDPORT_LOCK};
use crate::sys::timer::{self, SockTimerHandler};
use crate::tcp_output::send_active_reset;
use crate::tcp_sock::{ListenQueue, Role, SockRef, TcpSk, TcpSock};
use kernel::alloc::KVec;
use kernel::prelude::*;

/// The conflict-relevant view of a sock holding (or asking for) a port.
fn bind_view(sk: &TcpSk, addr: [u8; 4], listening: bool) -> BindSock {
    BindSock {
        addr,
        dev: sk.bound_dev_if(),
        reuse: sk.reuse(),
        reuseport: sk.reuseport(),
        uid: sk.uid(),
        state: if listening || sk.state() == TCP_LISTEN {
            BindState::Listen
        } else {
            BindState::Other
        },
    }
}

/// Whether the port-0 search may take `port` for `sk`
/// (`port_usable_for_autobind`: reuseport_ok false, relax false unless
/// retrying under `ip_autobind_reuse`).
fn port_free_for_autobind(g: &BindGuard<'_>, sk: &TcpSk, me: &BindSock, relax: bool) -> bool {
    !g.owners()
        .filter(|o| o.sk.id() != sk.id())
        .any(|o| bind_conflict(me, &bind_view(&o.sk, o.addr, false), relax, false))
        && !g.tws().any(|tw| bind_conflict(me, &tw_view(tw), relax, false))
}

/// What a bind() conflict check sees of a timewait sock (its owners keep
/// the reuse flags and uid of the sock they replaced).
fn tw_view(tw: &Tw) -> BindSock {
    let d = tw.data();
    BindSock {
        addr: d.tuple.laddr,
        dev: d.dev,
        reuse: d.reuse,
        reuseport: d.reuseport,
        uid: d.uid,
        state: BindState::Other,
    }
}

/// `inet_csk_get_port` for an explicit port: the bucket's fast-reuse
/// shortcuts, then the full conflict scan.
fn port_free_explicit(g: &BindGuard<'_>, sk: &TcpSk, me: &BindSock) -> bool {
    let Some(b) = g.bucket() else { return true };
    // Owners other than `sk` itself (listen() re-checks its own port).
    let has_owners = b.owners.iter().any(|o| o.sk.id() != sk.id()) || !b.tw.is_empty();
    get_port_explicit_with(Some(&b.tb), me, has_owners, || {
        !b.owners
            .iter()
            .filter(|o| o.sk.id() != sk.id())
            .any(|o| bind_conflict(me, &bind_view(&o.sk, o.addr, false), true, true))
            && !b.tw.iter().any(|tw| bind_conflict(me, &tw_view(tw), true, true))
    })
}

/// `inet_csk_get_port`: takes `port` (0: any free one, as
/// `inet_csk_find_open_port` searches, each candidate looked at under its
/// bucket's lock) for `sk` on `addr`. `listening` is the listen() re-check.
/// Returns the port.
fn get_port(net: &NetNs, sk: &TcpSk, addr: [u8; 4], port: u16, listening: bool) -> Result<u16> {
    let rt = net.data();
    let me = bind_view(sk, addr, listening);
    let lock = |p: u16| rt.tables.bind_lock(net, &rt.ports, p);
    if port == 0 {
        let low = net.sysctl(Sysctl::RUST_TCP_SYSCTL_PORT_LOW);
        let high = net.sysctl(Sysctl::RUST_TCP_SYSCTL_PORT_HIGH);
        let (low, high) = (u16::try_from(low).map_err(|_| EINVAL)?, u16::try_from(high).map_err(|_| EINVAL)?);
        // Each candidate is looked at, and the one found taken, under its
        // bucket's lock, as `inet_csk_find_open_port` returns holding it.
        let mut failed: Option<Error> = None;
        let mut search = |relax: bool| {
            find_open_port(low, high, me.reuse, crate::sys::random_u32, |p| {
                if net.port_reserved(p) {
                    return false;
                }
                let mut g = lock(p);
                if !port_free_for_autobind(&g, sk, &me, relax) {
                    return false;
                }
                match g.insert(addr, sk, BindBucket::new(), |tb| tb.update_fastreuse(&me, false)) {
                    Ok(()) => true,
                    Err(e) => {
                        failed = Some(e);
                        false
                    }
                }
            })
        };
        // With ip_autobind_reuse, an exhausted range is searched again with
        // relax (SO_REUSEADDR sharing allowed): connect() can still tell
        // such sockets apart by destination.
        let found = search(false).or_else(|| {
            (net.sysctl(Sysctl::RUST_TCP_SYSCTL_AUTOBIND_REUSE) != 0)
                .then(|| search(true))
                .flatten()
        });
        return found.ok_or_else(|| failed.unwrap_or_else(|| errno(b::EADDRINUSE)));
    }
    let mut g = lock(port);
    let already = g.owners().any(|o| o.sk.id() == sk.id());
    if !port_free_explicit(&g, sk, &me) {
        return Err(errno(b::EADDRINUSE));
    }
    if already {
        // listen() on a bound port: the bucket learns the new state.
        if let Some(b) = g.bucket_mut() {
            b.tb.update_fastreuse(&me, false);
        }
    } else {
        // In 6.12 the bhash2 bucket is linked before the update, so it never
        // sees an empty one (see proto::inet_hashtables).
        g.insert(addr, sk, BindBucket::new(), |tb| tb.update_fastreuse(&me, false))?;
    }
    Ok(port)
}

/// Reads a `struct sockaddr_in` the socket layer copied in.
pub(crate) struct SockaddrIn {
    pub(crate) family: u16,
    pub(crate) port: u16,
    pub(crate) addr: [u8; 4],
}

impl SockaddrIn {
    pub(crate) fn parse(raw: &[u8]) -> Option<Self> {
        let fam = raw.get(0..2)?;
        let port = raw.get(2..4)?;
        let addr = raw.get(4..8)?;
        Some(Self {
            family: u16::from_ne_bytes([fam[0], fam[1]]),
            port: u16::from_be_bytes([port[0], port[1]]),
            addr: [addr[0], addr[1], addr[2], addr[3]],
        })
    }
}

/// bind() (`inet_bind`, `__inet_bind`). The caller holds the socket lock.
pub(crate) fn bind(sk: &TcpSk, raw: &[u8], addr_len: usize) -> Result {
    let net = sk.net();
    let sa = SockaddrIn::parse(raw);
    let (family, port, addr) = sa.as_ref().map_or((0, 0, [0; 4]), |s| (s.family, s.port, s.addr));
    let kind = match net.addr_type(addr) {
        _ if addr == [0; 4] => AddrKind::Any,
        rtn::LOCAL => AddrKind::Local,
        rtn::MULTICAST => AddrKind::Multicast,
        rtn::BROADCAST => AddrKind::Broadcast,
        _ => AddrKind::Other,
    };
    let already_bound = sk.state() != TCP_CLOSE || sk.data().inner.lock().num != 0;
    check_bind(
        addr_len,
        family,
        addr,
        port,
        kind,
        net.sysctl(Sysctl::RUST_TCP_SYSCTL_IP_NONLOCAL_BIND) != 0,
        net.can_bind_service(),
        u16::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_IP_PROT_SOCK)).unwrap_or(u16::MAX),
        already_bound,
    )
    .map_err(|e| match e {
        BindError::Inval => EINVAL,
        BindError::AfNoSupport => to_error(Errno::AfNoSupport),
        BindError::AddrNotAvail => errno(b::EADDRNOTAVAIL),
        BindError::Access => EACCES,
    })?;
    // IP_BIND_ADDRESS_NO_PORT: the address now, the port at connect().
    let no_port = port == 0 && sk.data().inner.lock().bind_address_no_port;
    let num = if no_port { 0 } else { get_port(net, sk, addr, port, false)? };
    let mut inner = sk.data().inner.lock();
    inner.rcv_saddr = addr;
    inner.num = num;
    inner.sport = num;
    drop(inner);
    // What bind() chose stays through a disconnect (sk_userlocks).
    let mut locks = sk.userlocks() & !(SOCK_BINDADDR_LOCK | SOCK_BINDPORT_LOCK);
    if addr != [0; 4] {
        locks |= SOCK_BINDADDR_LOCK;
    }
    if port != 0 {
        locks |= SOCK_BINDPORT_LOCK;
    }
    sk.set_userlocks(locks);
    Ok(())
}

/// listen() (`inet_listen`, `inet_csk_listen_start`); `backlog` is already
/// clamped to somaxconn by the socket layer. The caller holds the socket
/// lock.
pub(crate) fn listen(sk: &TcpSk, backlog: u32) -> Result {
    let old = sk.state();
    if old != TCP_CLOSE && old != TCP_LISTEN {
        return Err(EINVAL);
    }
    // The accept queue holds backlog + 1 (sk_acceptq_is_full is `>`).
    let cap = usize::try_from(backlog).unwrap_or(usize::MAX).saturating_add(1);
    let buf = Fifo::buffer(cap, GFP_KERNEL)?;
    sk.set_max_ack_backlog(backlog);
    if old == TCP_LISTEN {
        // A second listen() only changes the backlog.
        let old_buf = sk.data().inner.lock().listen_queue_mut().map(|q| q.accept_queue.grow(buf));
        drop(old_buf);
        return Ok(());
    }
    let net = sk.net();
    let rt = net.data();
    let (addr, num) = {
        let i = sk.data().inner.lock();
        (i.rcv_saddr, i.num)
    };
    // The state is LISTEN while the port is re-checked, as in Linux, so a
    // listening holder conflicts even under SO_REUSEADDR.
    sk.set_state(TCP_LISTEN);
    match get_port(net, sk, addr, num, true) {
        Ok(port) => {
            let mut i = sk.data().inner.lock();
            i.num = port;
            i.sport = port;
            let old_role = core::mem::replace(&mut i.role, Role::Listen(ListenQueue::new(buf)));
            drop(i);
            sk.set_ack_backlog(0);
            drop(old_role);
            // Findable by SYNs from now on (`__inet_hash`).
            if let Err(e) = rt.tables.listen_hash(sk, addr, port) {
                listen_stop(sk);
                return Err(e);
            }
            Ok(())
        }
        Err(e) => {
            sk.set_state(TCP_CLOSE);
            Err(e)
        }
    }
}

struct AcceptReady;

impl WaitFor<TcpSock> for AcceptReady {
    fn ready(sk: &TcpSk) -> bool {
        sk.state() != TCP_LISTEN || sk.ack_backlog() > 0
    }
}

/// accept() (`inet_csk_accept`): the oldest child of the accept queue.
pub(crate) fn accept(sk: &TcpSk, nonblock: bool) -> Result<SockRef> {
    let mut timeo = sk.rcvtimeo(nonblock);
    loop {
        {
            let mut i = sk.data().inner.lock();
            if sk.state() != TCP_LISTEN {
                return Err(EINVAL);
            }
            if let Some(child) = i.listen_queue_mut().and_then(|q| q.accept_queue.pop()) {
                sk.set_ack_backlog(sk.ack_backlog().saturating_sub(1));
                return Ok(child);
            }
        }
        sk.wait::<AcceptReady>(&mut timeo, true)?;
    }
}

/// Releases the port `sk` holds, if any.
pub(crate) fn unbind(sk: &TcpSk) {
    let num = sk.data().inner.lock().num;
    if num == 0 {
        return;
    }
    let net = sk.net();
    let rt = net.data();
    let entry = rt.tables.bind_lock(net, &rt.ports, num).remove(sk);
    // The entry's sock reference is put here, outside the lock.
    drop(entry);
}

/// Aborts a child that was never accepted (`inet_child_forget`: its
/// `tcp_disconnect`): RST to the peer, out of the tables, its port given
/// back.
fn child_forget(sk: &TcpSk) {
    // tcp_send_active_reset: RST|ACK at snd_nxt, acking what we got.
    send_active_reset(sk);
    let (tuple, role) = {
        let mut i = sk.data().inner.lock();
        sk.set_state(TCP_CLOSE);
        (i.tuple.take(), core::mem::replace(&mut i.role, Role::Closed))
    };
    sk.stop_timer(&sk.data().retrans_timer);
    sk.stop_timer(&sk.data().delack_timer);
    drop(role);
    if tuple.is_some() {
        // The ehash half of `inet_unhash`; the table's reference is
        // dropped after the lock.
        drop(sk.net().data().tables.ehash_remove(sk));
    }
    unbind(sk);
}

/// Stops listening (`inet_csk_listen_stop`): pending requests die, queued
/// children are reset; the role becomes [`Role::Closed`].
pub(crate) fn listen_stop(sk: &TcpSk) {
    let qlen = {
        // Under the sock's lock, so the receive path, which checks LISTEN
        // under the same lock before it hashes a request or queues a
        // child, does neither any more.
        let i = sk.data().inner.lock();
        sk.set_state(TCP_CLOSE);
        i.listen_queue().map_or(0, |q| q.syn_qlen)
    };
    let rt = sk.net().data();
    // Out of lhash2: no SYN finds it any more.
    drop(rt.tables.listen_unhash(sk));
    // Its requests die with it; with none (the count is exact under the
    // lock above, and no more can come), the ehash need not be walked.
    let mut from = 0;
    while qlen > 0 {
        let Ok(mut reqs) = KVec::with_capacity(32, GFP_KERNEL) else { break };
        let done = rt.tables.drain_requests(sk, &mut from, &mut reqs);
        for r in reqs.iter() {
            timer::stop(&**r, &r.data().timer);
        }
        drop(reqs);
        if done {
            break;
        }
    }
    loop {
        let child = sk.data().inner.lock().listen_queue_mut().and_then(|q| q.accept_queue.pop());
        let Some(child) = child else { break };
        sk.set_ack_backlog(sk.ack_backlog().saturating_sub(1));
        child_forget(&child);
    }
    let role = core::mem::replace(&mut sk.data().inner.lock().role, Role::Closed);
    drop(role);
}

impl SockTimerHandler for ReqTimer {
    type Host = Req;

    fn expired(req: ReqRef) {
        reqsk_timer_handler(req);
    }
}

/// The SYN-ACK timer of a request (`reqsk_timer_handler`).
fn reqsk_timer_handler(req: ReqRef) {
    let d = req.data();
    let l = &d.listener;
    let net = l.net();
    let rt = net.data();
    let max_retries = u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_SYNACK_RETRIES)).unwrap_or(5);
    let mut i = l.data().inner.lock();
    let listening = l.state() == TCP_LISTEN;
    let (qlen, young) = i.listen_queue().map_or((0, 0), |q| (q.syn_qlen, q.syn_young));
    // Under the request's chain lock, and only if still hashed: unhashed
    // meanwhile (listener closed, final ACK, RST), there is nothing to do.
    let gone = rt.tables.with_req_hashed(&req, |g| {
        let mut st = d.state.lock();
        let dec = reqsk_timer_decision(qlen, young, l.max_ack_backlog(), max_retries, st.num_timeout, 0, st.acked);
        let mut expire = dec.expire || !listening;
        if !expire && dec.resend {
            let synack = crate::proto::tcp_output::synack_repr(&st, crate::sys::clock_ms());
            if crate::tcp_output::transmit(net, &d.tuple, d.oif, &synack, &[], true).is_ok() {
                st.num_retrans = st.num_retrans.saturating_add(1);
                rt.inc(Mib::SynRetrans);
            } else if !st.acked {
                // inet_rtx_syn_ack failed and nothing was acked: give up.
                expire = true;
            }
        }
        if expire {
            return Some((g.unhash(), st.num_timeout == 0));
        }
        let first = st.num_timeout == 0;
        st.num_timeout = st.num_timeout.saturating_add(1);
        let ms = reqsk_timeout(st.num_timeout, TCP_RTO_MAX_MS);
        drop(st);
        // Re-armed under the chain lock: whoever unhashes the request
        // next takes the lock first and then stops this timer.
        timer::reset(&*req, &d.timer, ms);
        if first {
            if let Some(q) = i.listen_queue_mut() {
                q.syn_young = q.syn_young.saturating_sub(1);
            }
        }
        None
    });
    if let Some(Some((old, young))) = gone {
        if let Some(q) = i.listen_queue_mut() {
            q.req_gone(young);
        }
        drop(i);
        rt.inc(Mib::ReqTimeouts);
        drop(old);
    }
}
