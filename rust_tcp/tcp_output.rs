// SPDX-License-Identifier: GPL-2.0

//! Sending segments (net/ipv4/tcp_output.c, and the RST/ACK replies of
//! tcp_ipv4.c): the pure core builds the IP and TCP headers, `sys::skb`
//! routes and sends the packet.

use crate::netns::Mib;
use crate::proto::ip_hdr::{emit_ipv4, Ipv4Repr};
use crate::proto::checksum::Checksum;
use crate::proto::seq::SeqNum;
use crate::proto::seqbuf::SeqBuf;
use crate::proto::tcp_conn::Tx;
use crate::proto::tcp_hdr::{emit, emit_header, TcpFlags, TcpRepr};
use crate::sys::chunks::KStore;
use crate::sys::net::{Net, Sysctl};
use crate::sys::skb::TxSkb;
use crate::proto::tcp_connect::{syn_repr, ClientSock, ConnectParams};
use crate::sys::sock::Sock;
use crate::tcp::FourTuple;
use kernel::prelude::*;

const IPPROTO_TCP: u8 = 6;
const IP_HDR_LEN: usize = 20;

/// Sends `repr` with `payload` on the connection `t` (our side local).
/// `atomic`: called in softirq or under a spinlock.
pub(crate) fn transmit(net: &Net<'_>, t: &FourTuple, oif: i32, repr: &TcpRepr, payload: &[u8], atomic: bool) -> Result {
    transmit_id(net, t, oif, repr, payload, atomic, 0)
}

/// [`transmit`] with IP ID `id`: a connected socket numbers its segments
/// from its random `inet_id`; replies made for no socket (SYN-ACKs of
/// requests, resets) carry 0 with DF, as `ip_select_ident_segs` does.
pub(crate) fn transmit_id(
    net: &Net<'_>,
    t: &FourTuple,
    oif: i32,
    repr: &TcpRepr,
    payload: &[u8],
    atomic: bool,
    id: u16,
) -> Result {
    let tcp_len = repr.header_len() + payload.len();
    let mut skb = TxSkb::alloc(IP_HDR_LEN + tcp_len, atomic)?;
    let buf = skb.put(IP_HDR_LEN + tcp_len)?;
    let ttl = u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_DEFAULT_TTL)).unwrap_or(64);
    let ip = Ipv4Repr {
        src: t.laddr,
        dst: t.raddr,
        protocol: IPPROTO_TCP,
        ttl,
        tos: 0,
        id,
        df: true,
    };
    let (iph, tcp) = buf.split_at_mut(IP_HDR_LEN);
    emit_ipv4(&ip, tcp_len, iph).map_err(|_| EINVAL)?;
    emit(repr, t.laddr, t.raddr, payload, tcp).map_err(|_| EINVAL)?;
    skb.send(net, t.laddr, t.raddr, oif)?;
    net.rtcp().inc(Mib::OutSegs);
    Ok(())
}

/// Sends a reset built by the core (`tcp_v4_send_reset`).
pub(crate) fn send_reset(net: &Net<'_>, t: &FourTuple, oif: i32, rst: &TcpRepr, atomic: bool) {
    if transmit(net, t, oif, rst, &[], atomic).is_ok() {
        net.rtcp().inc(Mib::OutRsts);
    }
}

/// A reset sent by a connected socket (`tcp_send_active_reset`), with its
/// IP ID. Atomic: callers may hold spinlocks.
pub(crate) fn send_reset_id(net: &Net<'_>, t: &FourTuple, oif: i32, rst: &TcpRepr, id: u16) {
    if transmit_id(net, t, oif, rst, &[], true, id).is_ok() {
        net.rtcp().inc(Mib::OutRsts);
    }
}

/// `tcp_connect()`: the active open is set up (`tcp_connect_init`), the
/// SYN goes out and the retransmission timer runs for its RTO (1 s).
/// Linux ignores a failed transmission here: the timer resends.
pub(crate) fn tcp_connect(net: &Net<'_>, sk: &Sock<'_>, t: &FourTuple, params: &ConnectParams) {
    let sysctls = crate::tcp_ipv4::client_sysctls(net);
    let now = crate::sys::clock_ms();
    let cs = ClientSock::connect_init(params, &sysctls, now);
    let syn = syn_repr(&cs, now, &sysctls.syn);
    let oif = sk.bound_dev_if();
    let mut i = sk.tcp().inner.lock();
    i.active = Some(cs);
    // "inet->inet_id = get_random_u16()" in tcp_v4_connect.
    i.inet_id = crate::sys::random_u32() as u16;
    let id = i.next_ip_id();
    // Armed before the SYN leaves: the answer may be processed on another
    // CPU before this one returns, and it finds the timer to stop.
    sk.reset_timer(&sk.tcp().retrans_timer, cs.rtx.rto_ms);
    let _ = transmit_id(net, t, oif, &syn, &[], true, id);
    drop(i);
    net.rtcp().inc(Mib::ActiveOpens);
}

/// A connection's transmitter: segments built by the core leave with the
/// connection's addresses and IP IDs. Used under the sock's spinlock, so
/// allocations are atomic.
pub(crate) struct SockTx<'a> {
    net: &'a Net<'a>,
    t: FourTuple,
    oif: i32,
    id: &'a mut u16,
}

impl<'a> SockTx<'a> {
    pub(crate) fn new(net: &'a Net<'a>, t: FourTuple, oif: i32, id: &'a mut u16) -> Self {
        Self { net, t, oif, id }
    }
}

impl Tx<KStore> for SockTx<'_> {
    fn xmit(&mut self, repr: &TcpRepr, buf: &SeqBuf<KStore>, seq: SeqNum, len: u32) {
        if self.t.raddr == [0; 4] {
            // Closed: out of the tables, nowhere to send.
            return;
        }
        let hlen = repr.header_len();
        let len = len as usize;
        let tcp_len = hlen + len;
        let Ok(mut skb) = TxSkb::alloc(IP_HDR_LEN + tcp_len, true) else { return };
        let Ok(pkt) = skb.put(IP_HDR_LEN + tcp_len) else { return };
        let ttl = u8::try_from(self.net.sysctl(Sysctl::RUST_TCP_SYSCTL_DEFAULT_TTL)).unwrap_or(64);
        let id = *self.id;
        *self.id = id.wrapping_add(1);
        let ip = Ipv4Repr {
            src: self.t.laddr,
            dst: self.t.raddr,
            protocol: IPPROTO_TCP,
            ttl,
            tos: 0,
            id,
            df: true,
        };
        let (iph, tcp) = pkt.split_at_mut(IP_HDR_LEN);
        if emit_ipv4(&ip, tcp_len, iph).is_err() {
            return;
        }
        let (hdr, payload) = tcp.split_at_mut(hlen);
        buf.read(seq, payload);
        let sum = Checksum::of(payload);
        if emit_header(repr, self.t.laddr, self.t.raddr, len, &sum, hdr).is_err() {
            return;
        }
        let rst = repr.flags.contains(TcpFlags::RST);
        if skb.send(self.net, self.t.laddr, self.t.raddr, self.oif).is_ok() {
            self.net.rtcp().inc(Mib::OutSegs);
            if rst {
                self.net.rtcp().inc(Mib::OutRsts);
            }
        }
    }
}
