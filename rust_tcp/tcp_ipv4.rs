// SPDX-License-Identifier: GPL-2.0

//! The receive path, as `tcp_v4_rcv` and its helpers in net/ipv4/tcp_ipv4.c:
//! find the owner of a segment (ehash, then the listeners), validate it,
//! and hand it to the listener (`tcp_v4_conn_request`), the request
//! (`tcp_check_req`) or the connection.
//!
//! Segments whose owner is not a rust_tcp sock are left to the kernel's
//! TCP untouched (the netfilter verdict is ACCEPT).

use crate::errno::to_error;
use crate::inet_hashtables::{Req, ReqRef, TwRef};
use crate::sys::inet_hash::Hashed;
use crate::sys::minisock::CommonInit;
use crate::netns::{Mib, NetNs};
use crate::proto::af_inet::{check_connect, RouteKind};
use crate::proto::checksum::tcp_v4_verify;
use crate::proto::ip_hdr::{parse_ipv4, Ipv4Packet};
use crate::proto::request_sock::RequestSock as ReqState;
use crate::proto::secure_seq::{secure_tcp_seq_and_ts_off, secure_tcp_ts_off};
use crate::proto::seq::SeqNum;
use crate::proto::siphash::siphash_3u32;
use crate::proto::syncookies::{
    cookie_ecn_ok, cookie_request_from_ack, cookie_request_from_syn, synq_no_recent_overflow, synq_overflow, tcp_cookie_time,
    CookieAck, CookieAckCtx, CookieSynCtx,
};
use crate::proto::tcp_connect::{connect_write_seq, ConnectParams};
use crate::proto::tcp_hdr::{parse, TcpSegment};
use crate::proto::tcp_input::{conn_request_admission, ecn_create_request, listen_rcv, Admission, ListenAction};
use crate::proto::tcp_ipv4::{icmp_errno, parse_icmp_tcp_error, reqsk_ack_repr, rst_for};
use crate::proto::tcp_minisocks::{check_req, child_init, syn_recv_overflow, CheckReqAction, CheckReqCtx, ChildInit};
use crate::proto::tcp_output::{synack_repr, tcp_win_from_space, TCP_DEFAULT_SCALING_RATIO};
use crate::proto::tcp_params::ListenerParams;
use crate::proto::tcp_states::{TCP_CLOSE, TCP_ESTABLISHED, TCP_LISTEN, TCP_SYN_SENT};
use crate::proto::inet_hashtables::BindBucket;
use crate::request_sock::RequestSock;
use crate::sys::net::{Sysctl, Verdict};
use crate::sys::skb::RxSkb;
use crate::sys::sock::{BhLock, SOCK_RCVBUF_LOCK};
use crate::sys::timer;
use crate::sysctl::{full_space, syn_sysctls};
use crate::tcp_output::{send_reset, transmit, transmit_route};
use crate::tcp_sock::{FourTuple, SockRef, TcpSk};

const IPPROTO_TCP: u8 = 6;
const IPPROTO_ICMP: u8 = 1;
/// TCP_TIMEOUT_INIT: the first SYN-ACK retransmission, 1 s.
const TCP_TIMEOUT_INIT_MS: u32 = 1000;

/// The ECN inputs of `tcp_ecn_create_request`.
#[derive(Clone, Copy)]
struct SynEcn {
    ect: bool,
    res1: u8,
}

enum Owner {
    Listener(SockRef),
    Req(ReqRef),
    Est(SockRef),
    Tw(TwRef),
}

/// Entry from the LOCAL_IN hook: is this segment ours, and what to do.
pub(crate) fn rcv(net: &NetNs, skb: &mut RxSkb) -> Verdict {
    if matches!(skb.head(20), Some(h) if h[0] >> 4 == 4 && h[9] == IPPROTO_ICMP) {
        icmp_rcv(net, skb);
        // The stack's ICMP handling goes on (raw sockets, the kernel's TCP).
        return Verdict::Accept;
    }
    // Find the owner from the first bytes alone; a segment that is not ours
    // is not touched (no linearising, no checksum).
    let Some((tuple, iif)) = demux_key(skb) else {
        return Verdict::Accept;
    };
    let rt = net.data();
    // No rust_tcp sock holds the port: the kernel's TCP's segment, let go
    // at the cost of one load (no lock, no hash).
    if !rt.ports.held(tuple.lport) {
        return Verdict::Accept;
    }
    // No lock: RCU lookups, a reference taken on what is found.
    let owner = match rt.tables.lookup_established(net, &tuple) {
        Some(Hashed::Req(r)) => Some(Owner::Req(r)),
        Some(Hashed::Sock(s)) => Some(Owner::Est(s)),
        Some(Hashed::Tw(tw)) => Some(Owner::Tw(tw)),
        None => listener_of(net, &tuple, iif).map(Owner::Listener),
    };
    let Some(owner) = owner else {
        return Verdict::Accept;
    };

    // Ours: from here on the segment is validated before it is trusted.
    let trusted = skb.csum_trusted();
    // A connection's segment waits on its backlog while a process owns the
    // sock (tcp_v4_rcv: bh_lock_sock, sock_owned_by_user, tcp_add_backlog):
    // a sender that holds the socket lock for its whole window never makes
    // this CPU spin.
    let r = if let Owner::Est(s) = &owner {
        match s.bh_lock_or_backlog(skb) {
            BhLock::Locked(_bh) => established_rcv(net, s, skb, trusted),
            BhLock::Queued => return Verdict::Consumed,
            BhLock::Full => {
                rt.inc(Mib::BacklogDrop);
                return Verdict::Dropped;
            }
        }
    } else {
        // A GRO or GSO packet is read in place where its bytes are
        // contiguous, else copied once into a per-CPU buffer: never a
        // reallocation.
        skb.with_flat(|data| segment_rcv(net, owner, data, trusted, &tuple, iif))
    };
    r.unwrap_or_else(|_| {
        rt.inc(Mib::InErrs);
        Verdict::Dropped
    })
}

/// A segment that waited on `sk`'s backlog, handed over by `release_sock`
/// in the process that owned the sock (`tcp_v4_do_rcv` from
/// `sk_backlog_rcv`).
pub(crate) fn backlog_rcv(sk: &TcpSk, skb: &mut RxSkb) {
    let net = sk.net();
    let trusted = skb.csum_trusted();
    if established_rcv(net, sk, skb, trusted).is_err() {
        net.data().inc(Mib::InErrs);
    }
}

/// A segment for `sk`, which owns its 4-tuple, processed now: from the
/// hook under `bh_lock_sock`, or from the backlog by its owner.
fn established_rcv(net: &NetNs, sk: &TcpSk, skb: &mut RxSkb, trusted: bool) -> kernel::error::Result<Verdict> {
    skb.with_flat(|data| match parse_segment(net, data, trusted) {
        Ok((_, seg)) => crate::tcp_input::rcv_state_process(net, sk, &seg),
        Err(v) => v,
    })
}

/// The IPv4 packet `data` as a TCP segment, its checksum verified unless
/// `trusted`; malformed ones are counted and dropped.
fn parse_segment<'d>(net: &NetNs, data: &'d [u8], trusted: bool) -> Result<(Ipv4Packet<'d>, TcpSegment<'d>), Verdict> {
    let rt = net.data();
    let Ok(ip) = parse_ipv4(data) else {
        rt.inc(Mib::InErrs);
        return Err(Verdict::Dropped);
    };
    let Ok(seg) = parse(ip.payload) else {
        rt.inc(Mib::InErrs);
        return Err(Verdict::Dropped);
    };
    if !trusted && !tcp_v4_verify(ip.src, ip.dst, ip.payload) {
        rt.inc(Mib::InCsumErrors);
        return Err(Verdict::Dropped);
    }
    rt.inc(Mib::InSegs);
    Ok((ip, seg))
}

/// The segment `data` (IP header on), for `owner`, which the demux found.
fn segment_rcv(net: &NetNs, owner: Owner, data: &[u8], trusted: bool, tuple: &FourTuple, iif: i32) -> Verdict {
    let (ip, seg) = match parse_segment(net, data, trusted) {
        Ok(p) => p,
        Err(v) => return v,
    };
    // What ECN negotiation needs beyond the parsed header: the SYN's IP
    // ECN field and the TCP reserved bits (AccECN).
    let ecn = SynEcn {
        ect: ip.tos & 0x3 != 0,
        res1: ip.payload.get(12).map_or(0, |b| b & 0x0f),
    };
    match owner {
        Owner::Listener(l) => listener_rcv(net, &l, &seg, tuple, iif, ecn),
        Owner::Req(r) => request_rcv(net, r, &seg, tuple, iif, ecn),
        Owner::Est(s) => crate::tcp_input::rcv_state_process(net, &s, &seg),
        Owner::Tw(tw) => {
            if let Some(isn) = crate::tcp_minisocks::tcp_timewait_state_process(net, &tw, &seg) {
                // A new SYN for a 4-tuple in TIME_WAIT (TCP_TW_SYN): the
                // timewait sock is gone; a listener may take it.
                let l = listener_of(net, &tuple, iif);
                if let Some(l) = l {
                    return listener_rcv_isn(net, &l, &seg, &tuple, iif, ecn, Some(isn));
                }
                reset(net, &tuple, iif, &seg);
            }
            Verdict::Consumed
        }
    }
}

/// The listener for `tuple` (`__inet_lookup_listener`), a SO_REUSEPORT
/// group chosen from by a keyed hash of the 4-tuple.
fn listener_of(net: &NetNs, tuple: &FourTuple, iif: i32) -> Option<SockRef> {
    let rt = net.data();
    let h = siphash_3u32(
        u32::from_ne_bytes(tuple.raddr),
        u32::from_ne_bytes(tuple.laddr),
        (u32::from(tuple.rport) << 16) | u32::from(tuple.lport),
        &rt.seq_key,
    ) as u32;
    rt.tables.lookup_listener(net, tuple.laddr, tuple.lport, iif, h)
}

/// An ICMP error quoting a segment of one of our connections
/// (`tcp_v4_err`): the connection learns of it. Only error types are
/// looked at further, so echo and the like cost one byte compare.
fn icmp_rcv(net: &NetNs, skb: &mut RxSkb) {
    let Some(h) = skb.head(20) else { return };
    let ihl = usize::from(h[0] & 0x0f) * 4;
    let Some(p) = skb.head(ihl + 2) else { return };
    if icmp_errno(p[ihl], p[ihl + 1]).is_none() {
        return;
    }
    let trusted = skb.csum_trusted();
    let Ok(data) = skb.linear() else { return };
    let Ok(ip) = parse_ipv4(data) else { return };
    let Some(e) = parse_icmp_tcp_error(ip.payload, trusted) else { return };
    let tuple = FourTuple {
        laddr: e.laddr,
        lport: e.lport,
        raddr: e.raddr,
        rport: e.rport,
    };
    if !net.data().ports.held(tuple.lport) {
        return;
    }
    let owner = net.data().tables.lookup_established(net, &tuple);
    if let Some(Hashed::Sock(sk)) = owner {
        crate::tcp_input::icmp_err(&sk, e.seq, e.errno);
    }
}

/// The 4-tuple (our side local) and incoming device of a TCP/IPv4 packet,
/// from its first bytes; `None` for anything else, or too short to tell.
fn demux_key(skb: &mut RxSkb) -> Option<(FourTuple, i32)> {
    let iif = skb.iif();
    let h = skb.head(20)?;
    let ihl = usize::from(h[0] & 0x0f) * 4;
    // Not IPv4 TCP, or a fragment other than the first: not ours (the
    // stack reassembles before LOCAL_IN, so this is defensive).
    if h[0] >> 4 != 4 || h[9] != IPPROTO_TCP || ihl < 20 {
        return None;
    }
    let raddr = [h[12], h[13], h[14], h[15]];
    let laddr = [h[16], h[17], h[18], h[19]];
    let p = skb.head(ihl + 4)?;
    let rport = u16::from_be_bytes([p[ihl], p[ihl + 1]]);
    let lport = u16::from_be_bytes([p[ihl + 2], p[ihl + 3]]);
    Some((
        FourTuple {
            laddr,
            lport,
            raddr,
            rport,
        },
        iif,
    ))
}

/// Replies with a reset if the core says one is due (`tcp_v4_send_reset`).
fn reset(net: &NetNs, t: &FourTuple, oif: i32, seg: &TcpSegment<'_>) {
    if let Some(rst) = rst_for(seg) {
        send_reset(net, t, oif, &rst, true);
    }
}

/// A segment to a listener (`tcp_rcv_state_process` in LISTEN).
fn listener_rcv(net: &NetNs, l: &TcpSk, seg: &TcpSegment<'_>, t: &FourTuple, iif: i32, ecn: SynEcn) -> Verdict {
    listener_rcv_isn(net, l, seg, t, iif, ecn, None)
}

/// [`listener_rcv`] with the ISN a timewait sock chose for a SYN that
/// reopens its 4-tuple (`tw_isn`).
fn listener_rcv_isn(
    net: &NetNs,
    l: &TcpSk,
    seg: &TcpSegment<'_>,
    t: &FourTuple,
    iif: i32,
    ecn: SynEcn,
    tw_isn: Option<SeqNum>,
) -> Verdict {
    match listen_rcv(seg.flags) {
        // An ACK for nothing we know: a cookie if the SYN queue overflowed
        // lately (tcp_v4_cookie_check), else a reset, as Linux answers it.
        ListenAction::SendRst => {
            if !cookie_ack(net, l, seg, t) {
                reset(net, t, iif, seg);
            }
        }
        ListenAction::Discard => (),
        ListenAction::ConnRequest => conn_request(net, l, seg, t, iif, ecn, tw_isn),
    }
    Verdict::Consumed
}

/// What a request inherits from its listener and the route to the peer.
fn listener_params(l: &TcpSk, user_mss: u16, advmss: u16) -> ListenerParams {
    ListenerParams {
        user_mss,
        route_advmss: u32::from(advmss),
        // tcp_full_space(): a listener keeps the default scaling ratio.
        full_space: tcp_win_from_space(TCP_DEFAULT_SCALING_RATIO, l.rcvbuf()),
        ..ListenerParams::default()
    }
}

/// An ACK to a listener: a SYN cookie? (`tcp_v4_cookie_check`,
/// `cookie_v4_check`). True if it was handled (a child was made, or the
/// ACK dropped for a full accept queue); false means answer with a reset.
fn cookie_ack(net: &NetNs, l: &TcpSk, seg: &TcpSegment<'_>, t: &FourTuple) -> bool {
    let rt = net.data();
    let (j, hz) = crate::sys::jiffies64();
    let (last, user_mss) = {
        let i = l.data().inner.lock();
        (i.listen_queue().map_or(0, |q| q.last_overflow), i.user_mss)
    };
    let sysctls = syn_sysctls(net);
    let oif = l.bound_dev_if();
    let Ok(advmss) = net.route_advmss(t.laddr, t.raddr, oif) else { return false };
    let ctx = CookieAckCtx {
        syncookies: u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_SYNCOOKIES)).unwrap_or(1),
        no_recent_overflow: synq_no_recent_overflow(last, j as u32, hz),
        count: tcp_cookie_time(j, hz),
        ts_off: secure_tcp_ts_off(t.laddr, t.raddr, t.lport, t.rport, &rt.seq_key, sysctls.timestamps),
        ecn_ok: cookie_ecn_ok(u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_TCP_ECN)).unwrap_or(2), false),
    };
    let params = listener_params(l, user_mss, advmss);
    match cookie_request_from_ack(seg, t.laddr, t.raddr, &params, &sysctls, &rt.cookie_secret, &ctx) {
        CookieAck::NotTried => false,
        CookieAck::Failed => {
            rt.inc(Mib::SyncookiesFailed);
            false
        }
        CookieAck::OptionsRejected => {
            rt.inc(Mib::SyncookiesRecv);
            false
        }
        CookieAck::Valid(req) => {
            rt.inc(Mib::SyncookiesRecv);
            if crate::proto::inet_connection_sock::sk_acceptq_is_full(l.ack_backlog(), l.max_ack_backlog()) {
                rt.inc(Mib::ListenOverflows);
                rt.inc(Mib::ListenDrops);
                return true;
            }
            let init = child_init(&req, seg.window);
            make_child(net, l, t, &init, None);
            true
        }
    }
}

/// A SYN to a listener (`tcp_conn_request`): admit it into the SYN queue
/// as a request sock and answer with a SYN-ACK.
fn conn_request(
    net: &NetNs,
    l: &TcpSk,
    seg: &TcpSegment<'_>,
    t: &FourTuple,
    _iif: i32,
    ecn: SynEcn,
    tw_isn: Option<SeqNum>,
) {
    let rt = net.data();
    let (qlen, user_mss) = {
        let i = l.data().inner.lock();
        (i.listen_queue().map_or(0, |q| q.syn_qlen), i.user_mss)
    };
    let adm = conn_request_admission(
        qlen,
        l.max_ack_backlog(),
        l.ack_backlog(),
        u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_SYNCOOKIES)).unwrap_or(1),
        net.sysctl(Sysctl::RUST_TCP_SYSCTL_MAX_SYN_BACKLOG) as u32,
        false,
        false,
    );
    match adm {
        Admission::Accept => (),
        Admission::DropAcceptQueueFull => {
            rt.inc(Mib::ListenOverflows);
            rt.inc(Mib::ListenDrops);
            return;
        }
        Admission::DropSynQueueFull | Admission::DropReservedForProven => {
            rt.inc(Mib::ReqQFullDrop);
            rt.inc(Mib::ListenDrops);
            return;
        }
        Admission::Cookie => (),
    }
    let want_cookie = matches!(adm, Admission::Cookie);
    let oif = if l.bound_dev_if() != 0 { l.bound_dev_if() } else { 0 };
    // One lookup serves the MSS and the SYN-ACK (route_req).
    let Ok(route) = net.route_output(t.laddr, t.raddr, oif) else {
        rt.inc(Mib::ListenDrops);
        return;
    };
    let advmss = route.advmss();
    let tcp_timestamps = u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_TIMESTAMPS)).unwrap_or(1);
    let s = secure_tcp_seq_and_ts_off(t.laddr, t.raddr, t.lport, t.rport, &rt.seq_key, tcp_timestamps, crate::sys::real_ns());
    let (isn, ts_off) = (tw_isn.map_or(s.seq, |x| x.0), s.ts_off);
    let sysctls = syn_sysctls(net);
    let params = listener_params(l, user_mss, advmss);
    let now = crate::sys::clock_ms();
    // ECN is negotiated in the handshake as Linux does (the data path does
    // not mark or react to CE yet).
    let tcp_ecn = u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_TCP_ECN)).unwrap_or(2);
    let ecn_ok = ecn_create_request(seg.flags, ecn.res1, ecn.ect, tcp_ecn, false);
    if want_cookie {
        // A SYN-ACK whose ISN is the cookie, and no request: the state
        // comes back with the ACK (tcp_conn_request with want_cookie).
        rt.inc(Mib::ReqQFullDoCookies);
        let (j, hz) = crate::sys::jiffies64();
        let ctx = CookieSynCtx {
            count: tcp_cookie_time(j, hz),
            ts_off,
            ecn_ok,
            now_ms: u64::from(now),
        };
        let st = cookie_request_from_syn(seg, t.laddr, t.raddr, &params, &sysctls, &rt.cookie_secret, &ctx);
        if let Some(q) = l.data().inner.lock().listen_queue_mut() {
            synq_overflow(&mut q.last_overflow, j as u32, hz);
        }
        if transmit_route(net, &route, t, &synack_repr(&st, now)).is_ok() {
            rt.inc(Mib::SyncookiesSent);
        }
        return;
    }
    let mut st = ReqState::from_syn(seg, t.laddr, t.raddr, &params, &sysctls, SeqNum(isn), ts_off);
    st.ecn_ok = ecn_ok;
    let synack = synack_repr(&st, now);
    let key = CommonInit {
        laddr: t.laddr,
        lport: t.lport,
        raddr: t.raddr,
        rport: t.rport,
        bound_dev_if: oif,
    };
    let Ok(req) = rt.tables.req_cache.alloc(net, &key, RequestSock::new(l.into(), *t, oif, st)) else {
        rt.inc(Mib::ListenDrops);
        return;
    };
    {
        // Under the listener's lock, checked LISTEN: a listener closing
        // sets CLOSE under this lock and then drains its requests, so it
        // finds this one, or this one is never made.
        let mut i = l.data().inner.lock();
        let Some(q) = i.listen_queue_mut() else { return };
        if l.state() != TCP_LISTEN || rt.tables.ehash_insert_req(net, &req).is_err() {
            return;
        }
        q.syn_qlen += 1;
        q.syn_young += 1;
        // Armed while still the listener's, before any unhash can run
        // (those take the listener's lock first, and cancel it).
        timer::reset(&*req, &req.data().timer, TCP_TIMEOUT_INIT_MS);
    }
    let _ = transmit_route(net, &route, t, &synack);
}

/// A segment for a request sock (`tcp_check_req`).
fn request_rcv(net: &NetNs, req: ReqRef, seg: &TcpSegment<'_>, t: &FourTuple, iif: i32, ecn: SynEcn) -> Verdict {
    let rt = net.data();
    let d = req.data();
    let l = &d.listener;
    if l.state() != TCP_LISTEN {
        // The listener closed (or is closing) with the request still
        // hashed: as tcp_v4_rcv, the request goes
        // (inet_csk_reqsk_queue_drop_and_put) and the segment is looked
        // up again, so a new listener on the port answers it (a reset, or
        // a cookie's child), or nobody does (a reset). Keeping the request
        // would swallow the peer's segments until the close drains it.
        drop_request(net, &req);
        return match listener_of(net, t, iif) {
            Some(nl) => listener_rcv(net, &nl, seg, t, iif, ecn),
            None => {
                reset(net, t, iif, seg);
                Verdict::Consumed
            }
        };
    }
    let now = crate::sys::clock_ms();
    let ctx = CheckReqCtx {
        now,
        invalid_ratelimit: net.sysctl(Sysctl::RUST_TCP_SYSCTL_INVALID_RATELIMIT_MS) as u32,
        tcp_timestamps: u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_TIMESTAMPS)).unwrap_or(1),
        defer_accept: 0,
    };
    let mut action = check_req(&mut d.state.lock(), seg, &ctx);
    if let CheckReqAction::CreateChild(_) = action {
        if crate::proto::inet_connection_sock::sk_acceptq_is_full(l.ack_backlog(), l.max_ack_backlog()) {
            // The accept queue is full: drop the ACK and let the SYN-ACK
            // timer retry, or reset the peer (tcp_abort_on_overflow).
            rt.inc(Mib::ListenOverflows);
            rt.inc(Mib::ListenDrops);
            let abort = net.sysctl(Sysctl::RUST_TCP_SYSCTL_ABORT_ON_OVERFLOW) != 0;
            action = syn_recv_overflow(&mut d.state.lock(), abort);
        }
    }
    match action {
        CheckReqAction::Drop | CheckReqAction::DeferAcceptDrop => (),
        CheckReqAction::ResendSynAck => {
            let synack = synack_repr(&d.state.lock(), now);
            if transmit(net, &d.tuple, d.oif, &synack, &[], true).is_ok() {
                rt.inc(Mib::SynRetrans);
            }
        }
        CheckReqAction::SendAck | CheckReqAction::ChallengeAck => {
            let ack = reqsk_ack_repr(&d.state.lock(), now);
            let _ = transmit(net, &d.tuple, d.oif, &ack, &[], true);
        }
        CheckReqAction::SendRst => reset(net, &d.tuple, d.oif, seg),
        CheckReqAction::DropRequest { send_rst } => {
            drop_request(net, &req);
            if send_rst {
                reset(net, &d.tuple, d.oif, seg);
            }
        }
        CheckReqAction::CreateChild(init) => make_child(net, l, &d.tuple, &init, Some(&req)),
    }
    Verdict::Consumed
}

/// Takes a request out of the SYN queue for good
/// (`inet_csk_reqsk_queue_drop`).
fn drop_request(net: &NetNs, req: &Req) {
    let rt = net.data();
    let d = req.data();
    let old = {
        let mut i = d.listener.data().inner.lock();
        let old = rt.tables.ehash_remove_req(req);
        if old.is_some() {
            let young = d.state.lock().num_timeout == 0;
            if let Some(q) = i.listen_queue_mut() {
                q.req_gone(young);
            }
        }
        old
    };
    if old.is_some() {
        timer::stop(req, &d.timer);
    }
    drop(old);
}

/// Makes the child sock of a completed handshake on `t` and queues it on
/// listener `l`: in place of request `req` in the ehash
/// (`tcp_v4_syn_recv_sock`, `inet_csk_complete_hashdance`), or (a cookie)
/// of nothing.
fn make_child(net: &NetNs, l: &TcpSk, t: &FourTuple, init: &ChildInit, req: Option<&Req>) {
    let rt = net.data();
    let Ok(child) = l.alloc_child() else {
        rt.inc(Mib::ListenDrops);
        return;
    };
    let nodelay = l.data().inner.lock().nodelay;
    {
        let mut ci = child.data().inner.lock();
        ci.rcv_saddr = t.laddr;
        ci.num = t.lport;
        ci.sport = t.lport;
        ci.tuple = Some(*t);
        // "newinet->inet_id = get_random_u16()" (tcp_v4_syn_recv_sock).
        ci.inet_id = crate::sys::random_u32() as u16;
        // Inherited from the listener (inet_csk_clone_lock copies it).
        ci.nodelay = nodelay;
        if crate::tcp::conn_init(&child, &mut ci, init, u32::from(init.advmss) + 40, false).is_err() {
            drop(ci);
            rt.inc(Mib::ListenDrops);
            return;
        }
    }
    child.set_state(TCP_ESTABLISHED);
    // The child holds the listener's port too (__inet_inherit_port); not
    // yet findable, so the port comes first.
    if rt.tables.bind_lock(net, &rt.ports, t.lport).insert(t.laddr, &child, BindBucket::new(), |_| ()).is_err() {
        child.set_state(TCP_CLOSE);
        rt.inc(Mib::ListenDrops);
        return;
    }
    let abandon = |child: &TcpSk| {
        let e = rt.tables.ehash_remove(child);
        let b = rt.tables.bind_lock(net, &rt.ports, t.lport).remove(child);
        child.set_state(TCP_CLOSE);
        drop((e, b));
    };
    let mut i = l.data().inner.lock();
    // Closed meanwhile: no more children (listen_stop sets CLOSE under
    // this lock before it empties the queue). As inet_child_forget, the
    // child resets the peer (its disconnect in ESTABLISHED) and goes, and
    // so does the request (inet_csk_reqsk_queue_drop): the peer learns
    // now, not after its retransmissions find the request drained.
    if l.state() != TCP_LISTEN {
        drop(i);
        crate::tcp_output::send_active_reset(&child);
        abandon(&child);
        if let Some(r) = req {
            drop_request(net, r);
        }
        return;
    }
    let (hashed, old) = match req {
        Some(r) => {
            let young = r.data().state.lock().num_timeout == 0;
            // The request may have been dropped meanwhile (timer, RST):
            // then no child either.
            let res = rt.tables.with_req_hashed(r, |g| rt.tables.replace_req(g, &child));
            match res {
                Some((true, old)) => {
                    if let Some(q) = i.listen_queue_mut() {
                        q.req_gone(young);
                    }
                    (true, old)
                }
                Some((false, old)) => {
                    if old.is_some() {
                        if let Some(q) = i.listen_queue_mut() {
                            q.req_gone(young);
                        }
                    }
                    (false, old)
                }
                None => (false, None),
            }
        }
        None => (rt.tables.ehash_insert(net, t, &child).is_ok(), None),
    };
    if !hashed {
        drop(i);
        abandon(&child);
        if let Some(r) = req.filter(|_| old.is_some()) {
            timer::stop(r, &r.data().timer);
        }
        drop(old);
        return;
    }
    // Room was reserved at listen() (capacity backlog + 1) and checked
    // by sk_acceptq_is_full before; only a race with another CPU can
    // find it full, and then the child goes as if never made.
    let queued = i.listen_queue_mut().map(|q| q.accept_queue.push(child.clone()));
    if matches!(queued, Some(Ok(()))) {
        l.set_ack_backlog(l.ack_backlog() + 1);
        drop(i);
    } else {
        drop(i);
        abandon(&child);
        rt.inc(Mib::ListenOverflows);
    }
    if let Some(r) = req {
        timer::stop(r, &r.data().timer);
    }
    drop(old);
    if matches!(queued, Some(Ok(()))) {
        rt.inc(Mib::PassiveOpens);
        l.data_ready();
    }
}

/// `tcp_v4_connect()`: route, source address, local port and 4-tuple,
/// ISN, then the SYN (`tcp_connect`). The caller holds the socket lock and
/// has checked the socket is unconnected and closed.
pub(crate) fn v4_connect(sk: &TcpSk, raw: &[u8], addr_len: usize) -> kernel::error::Result {
    let sa = crate::inet_connection_sock::SockaddrIn::parse(raw);
    let (family, dport, daddr) = sa.as_ref().map_or((0, 0, [0; 4]), |s| (s.family, s.port, s.addr));
    // Length and family first; the route decides the rest.
    check_connect(addr_len, family, Ok(RouteKind::Unicast)).map_err(to_error)?;
    let net = sk.net();
    let rt = net.data();
    let (bound_addr, bound_port, user_mss, write_seq) = {
        let i = sk.data().inner.lock();
        (i.rcv_saddr, i.num, i.user_mss, i.write_seq)
    };
    let route = net.route_connect(daddr, sk.bound_dev_if(), bound_addr)?;
    let saddr = if bound_addr == [0; 4] { route.saddr } else { bound_addr };
    let daddr = route.daddr;
    sk.set_state(TCP_SYN_SENT);
    let (tuple, tw_recycled) =
        match crate::inet_hashtables::inet_hash_connect(&rt.tables, net, &rt.ports, &rt.seq_key, sk, saddr, daddr, dport, bound_port) {
            Ok((port, reuse)) => {
                let mut i = sk.data().inner.lock();
                let tuple = FourTuple {
                    laddr: saddr,
                    lport: port,
                    raddr: daddr,
                    rport: dport,
                };
                i.num = port;
                i.sport = port;
                i.rcv_saddr = saddr;
                i.tuple = Some(tuple);
                (tuple, reuse)
            }
            Err(e) => {
                sk.set_state(TCP_CLOSE);
                return Err(e);
            }
        };
    let timestamps = u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_TIMESTAMPS)).unwrap_or(1);
    let s = secure_tcp_seq_and_ts_off(saddr, daddr, tuple.lport, dport, &rt.seq_key, timestamps, crate::sys::real_ns());
    let params = ConnectParams {
        loc_addr: saddr,
        rmt_addr: daddr,
        loc_port: tuple.lport,
        rmt_port: dport,
        // A recycled TIME_WAIT hands over its sequence space and
        // timestamps (tcp_twsk_unique).
        write_seq: match tw_recycled.and_then(|r| r.write_seq) {
            Some(ws) => ws,
            None => connect_write_seq(SeqNum(write_seq), s.seq),
        },
        ts_off: s.ts_off,
        ts_recent: tw_recycled.and_then(|r| r.ts_recent).unwrap_or(0),
        ts_recent_stamp: tw_recycled.and_then(|r| r.ts_recent_stamp).unwrap_or(0),
        user_mss,
        route_advmss: route.advmss,
        route_mtu: route.mtu,
        ext_hdr_len: 0,
        full_space: full_space(sk),
        window_clamp: 0,
        rcvbuf_locked: sk.userlocks() & SOCK_RCVBUF_LOCK != 0,
        route_window: 0,
        route_initrwnd: 0,
        route_ecn: false,
    };
    crate::tcp_output::tcp_connect(net, sk, &tuple, &params);
    Ok(())
}
