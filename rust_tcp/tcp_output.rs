// SPDX-License-Identifier: GPL-2.0

//! Sending segments (net/ipv4/tcp_output.c, and the RST/ACK replies of
//! tcp_ipv4.c): the pure core builds the IP and TCP headers, `sys::skb`
//! routes and sends the packet.

use crate::netns::{Mib, NetNs};
use crate::proto::ip_hdr::{emit_ipv4, Ipv4Repr};
use crate::proto::seq::SeqNum;
use crate::proto::seqbuf::{Piece, SeqBuf, CHUNK};
use crate::proto::tcp_conn::Tx;
use crate::proto::tcp_hdr::{emit, emit_header_partial, TcpFlags, TcpRepr};
use crate::proto::tcp_output::active_reset_repr;
use crate::chunks::KStore;
use crate::sys::net::{Route, Sysctl};
use crate::sys::skb::{PageFrag, TxSkb};
use crate::proto::tcp_connect::{syn_repr, ClientSock, ConnectParams};
use crate::tcp_sock::{FourTuple, Role, TcpSk};
use kernel::prelude::*;

const IPPROTO_TCP: u8 = 6;
const IP_HDR_LEN: usize = 20;

/// How a packet finds its route.
#[derive(Clone, Copy)]
enum Via<'a> {
    /// Looked up for this packet (replies made for no socket).
    Lookup,
    /// The route cached on the connection's sock.
    Sock(&'a TcpSk),
    /// One the caller looked up (a SYN-ACK's, which gave its MSS too).
    Route(&'a Route),
}

/// The one skb builder: an IPv4 packet from `t.laddr` to `t.raddr` with
/// IP ID `id` and `tcp_len` bytes of TCP, which `fill` writes; then routed
/// (on `via`'s cached route, for a connection's own segments) and sent,
/// and counted. `atomic`: called in softirq or under a spinlock.
#[allow(clippy::too_many_arguments)]
fn ip_send(
    net: &NetNs,
    via: Via<'_>,
    t: &FourTuple,
    oif: i32,
    id: u16,
    tcp_len: usize,
    atomic: bool,
    fill: impl FnOnce(&mut [u8]) -> Result,
) -> Result {
    let mut skb = TxSkb::alloc(IP_HDR_LEN + tcp_len, atomic)?;
    let buf = skb.put(IP_HDR_LEN + tcp_len)?;
    let (iph, tcp) = buf.split_at_mut(IP_HDR_LEN);
    emit_ipv4(&ip_repr(net, t, id), tcp_len, iph).map_err(|_| EINVAL)?;
    fill(tcp)?;
    route_and_send(net, skb, via, t, oif)?;
    net.data().inc(Mib::OutSegs);
    Ok(())
}

/// The IPv4 header of our segments: DF, the netns's default TTL.
fn ip_repr(net: &NetNs, t: &FourTuple, id: u16) -> Ipv4Repr {
    Ipv4Repr {
        src: t.laddr,
        dst: t.raddr,
        protocol: IPPROTO_TCP,
        ttl: u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_DEFAULT_TTL)).unwrap_or(64),
        tos: 0,
        id,
        df: true,
    }
}

fn route_and_send(net: &NetNs, skb: TxSkb, via: Via<'_>, t: &FourTuple, oif: i32) -> Result {
    match via {
        Via::Lookup => skb.send(net, t.laddr, t.raddr, oif),
        Via::Sock(sk) => skb.send_sk(sk, t.laddr, t.raddr, oif),
        Via::Route(r) => skb.send_route(net, r),
    }
}

/// Payloads up to this many bytes are copied into the skb's linear area
/// (a request/response's few bytes); larger ones go as fragments that
/// reference the send ring's pages, one GSO packet for several segments.
/// Either way the checksum is left to the device or the stack.
const LINEAR_PAYLOAD: u32 = 256;

/// What a send queue sends for bytes it does not hold.
static ZEROS: [u8; CHUNK] = [0; CHUNK];

/// Sends `repr` with `payload` on the connection `t` (our side local).
/// `atomic`: called in softirq or under a spinlock.
pub(crate) fn transmit(net: &NetNs, t: &FourTuple, oif: i32, repr: &TcpRepr, payload: &[u8], atomic: bool) -> Result {
    transmit_id(net, t, oif, repr, payload, atomic, 0)
}

/// [`transmit`] on `route`, which the caller looked up (as
/// tcp_conn_request's `route_req` serves both the MSS and the SYN-ACK).
pub(crate) fn transmit_route(net: &NetNs, route: &Route, t: &FourTuple, repr: &TcpRepr) -> Result {
    ip_send(net, Via::Route(route), t, 0, 0, repr.header_len(), true, |tcp| {
        emit(repr, t.laddr, t.raddr, &[], tcp).map(|_| ()).map_err(|_| EINVAL)
    })
}

/// [`transmit`] with IP ID `id`: a connected socket numbers its segments
/// from its random `inet_id`; replies made for no socket (SYN-ACKs of
/// requests, resets) carry 0 with DF, as `ip_select_ident_segs` does.
pub(crate) fn transmit_id(
    net: &NetNs,
    t: &FourTuple,
    oif: i32,
    repr: &TcpRepr,
    payload: &[u8],
    atomic: bool,
    id: u16,
) -> Result {
    let tcp_len = repr.header_len() + payload.len();
    ip_send(net, Via::Lookup, t, oif, id, tcp_len, atomic, |tcp| {
        emit(repr, t.laddr, t.raddr, payload, tcp).map(|_| ()).map_err(|_| EINVAL)
    })
}

/// Sends a reset built by the core (`tcp_v4_send_reset`).
pub(crate) fn send_reset(net: &NetNs, t: &FourTuple, oif: i32, rst: &TcpRepr, atomic: bool) {
    if transmit(net, t, oif, rst, &[], atomic).is_ok() {
        net.data().inc(Mib::OutRsts);
    }
}

/// `tcp_send_active_reset()`: RST|ACK at `snd_nxt` acking what we got,
/// from a synchronised connection or an active open in SYN_RECV (crossed
/// SYNs), with the socket's IP ID. Nothing for any other role. Atomic:
/// callers may hold spinlocks.
pub(crate) fn send_active_reset(sk: &TcpSk) {
    let (tuple, rst, id) = {
        let mut i = sk.data().inner.lock();
        let Some(tuple) = i.tuple else { return };
        let rst = match &i.role {
            Role::Synced(c) => c.active_reset(),
            Role::Connecting(cs) => active_reset_repr(tuple.lport, tuple.rport, cs.snd_nxt(), cs.rcv_nxt),
            Role::Closed | Role::Listen(_) => return,
        };
        (tuple, rst, i.next_ip_id())
    };
    let net = sk.net();
    if transmit_id(net, &tuple, sk.bound_dev_if(), &rst, &[], true, id).is_ok() {
        net.data().inc(Mib::OutRsts);
    }
}

/// `tcp_connect()`: the active open is set up (`tcp_connect_init`), the
/// SYN goes out and the retransmission timer runs for its RTO (1 s).
/// Linux ignores a failed transmission here: the timer resends.
pub(crate) fn tcp_connect(net: &NetNs, sk: &TcpSk, t: &FourTuple, params: &ConnectParams) {
    let sysctls = crate::sysctl::client_sysctls(net);
    let now = crate::sys::clock_ms();
    let cs = ClientSock::connect_init(params, &sysctls, now);
    let syn = syn_repr(&cs, now, &sysctls.syn);
    let oif = sk.bound_dev_if();
    let rto = cs.rtx.rto_ms;
    // A route cached for an earlier connection of this sock is not this
    // one's (tcp_v4_connect sets the new one up).
    sk.dst_reset();
    let mut i = sk.data().inner.lock();
    i.role = Role::Connecting(cs);
    // "inet->inet_id = get_random_u16()" in tcp_v4_connect.
    i.inet_id = crate::sys::random_u32() as u16;
    let id = i.next_ip_id();
    // Armed before the SYN leaves: the answer may be processed on another
    // CPU before this one returns, and it finds the timer to stop.
    sk.reset_timer(&sk.data().retrans_timer, rto);
    let _ = transmit_id(net, t, oif, &syn, &[], true, id);
    drop(i);
    net.data().inc(Mib::ActiveOpens);
}

/// A connection's transmitter: segments built by the core leave with the
/// connection's addresses and IP IDs, their payload in the connection's
/// page fragments. Used under the sock's spinlock, so allocations are
/// atomic.
pub(crate) struct SockTx<'a> {
    sk: &'a TcpSk,
    net: &'a NetNs,
    t: FourTuple,
    oif: i32,
    id: &'a mut u16,
    frag: &'a mut PageFrag,
}

impl<'a> SockTx<'a> {
    pub(crate) fn new(sk: &'a TcpSk, net: &'a NetNs, t: FourTuple, oif: i32, id: &'a mut u16, frag: &'a mut PageFrag) -> Self {
        Self { sk, net, t, oif, id, frag }
    }

    /// A segment, or a GSO packet of `segs` segments of `gso` bytes: its
    /// payload copied from the ring into the skb's linear area (`linear`: a
    /// few bytes) or, otherwise, referenced in the ring's pages as
    /// fragments, and the checksum left to the device or the stack
    /// (`tcp_transmit_skb` of an skb `tcp_sendmsg` filled from
    /// `sk_page_frag`, `__tcp_v4_send_check`).
    #[allow(clippy::too_many_arguments)]
    fn xmit_skb(&mut self, repr: &TcpRepr, buf: &SeqBuf<KStore>, seq: SeqNum, len: u32, gso: u32, segs: u32, id: u16, linear: bool) -> Result {
        let t = self.t;
        let hlen = repr.header_len();
        let inline = if linear { len as usize } else { 0 };
        let mut skb = TxSkb::alloc(IP_HDR_LEN + hlen + inline, true)?;
        let hdrs = skb.put(IP_HDR_LEN + hlen + inline)?;
        let (iph, tcp) = hdrs.split_at_mut(IP_HDR_LEN);
        emit_ipv4(&ip_repr(self.net, &t, id), hlen + len as usize, iph).map_err(|_| EINVAL)?;
        let (hdr, payload) = tcp.split_at_mut(hlen);
        emit_header_partial(repr, t.laddr, t.raddr, len as usize, hdr).map_err(|_| EINVAL)?;
        if linear {
            buf.read(seq, payload);
        } else {
            // The ring's pages themselves, referenced by the packet: the
            // bytes were copied once, from the user into the ring. Bytes
            // the ring does not hold (none on a sound send queue) go as
            // zeros copied into page fragments, as read_with gives them.
            let frag = &mut *self.frag;
            buf.locate_with(seq, len as usize, |store, piece| match piece {
                Piece::Chunk { slot, start, len } => match store.page(slot) {
                    Some(page) => skb.append_page(page, start, len),
                    None => skb.append_frags(frag, &ZEROS[..len], true),
                },
                Piece::Hole(n) => (0..n).step_by(CHUNK).try_for_each(|k| skb.append_frags(frag, &ZEROS[..(n - k).min(CHUNK)], true)),
            })?;
        }
        skb.tcp_offload(IP_HDR_LEN as u32, gso, segs)?;
        route_and_send(self.net, skb, Via::Sock(self.sk), &t, self.oif)?;
        self.net.data().add(Mib::OutSegs, segs);
        Ok(())
    }
}

impl Tx<KStore> for SockTx<'_> {
    fn gso_max_segs(&self, mss: u32) -> u32 {
        // tcp_tso_autosize() without pacing: as much as a legacy GSO packet
        // carries (GSO_LEGACY_MAX_SIZE - 1 - MAX_TCP_HEADER), in the
        // device's limit (GSO_MAX_SEGS); a device that cannot take it gets
        // the packet cut in software (validate_xmit_skb).
        let max = crate::sys::skb::gso_max_payload();
        (max / mss.max(1)).clamp(1, 64)
    }

    fn xmit(&mut self, repr: &TcpRepr, buf: &SeqBuf<KStore>, seq: SeqNum, len: u32, gso: u32) {
        if self.t.raddr == [0; 4] {
            // Closed: out of the tables, nowhere to send.
            return;
        }
        let segs = if gso > 0 && len > gso { len.div_ceil(gso) } else { 1 };
        // ip_select_ident_segs(): a GSO packet's segments number on from
        // `id` (inet_gso_segment gives each its own).
        let id = *self.id;
        *self.id = id.wrapping_add(segs as u16);
        let sent = self.xmit_skb(repr, buf, seq, len, gso, segs, id, len <= LINEAR_PAYLOAD);
        if sent.is_ok() && repr.flags.contains(TcpFlags::RST) {
            self.net.data().inc(Mib::OutRsts);
        }
    }
}
