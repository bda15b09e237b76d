// SPDX-License-Identifier: GPL-2.0

//! Sending segments (net/ipv4/tcp_output.c, and the RST/ACK replies of
//! tcp_ipv4.c): the pure core builds the IP and TCP headers, `sys::skb`
//! routes and sends the packet.

use crate::netns::Mib;
use crate::proto::ip_hdr::{emit_ipv4, Ipv4Repr};
use crate::proto::tcp_hdr::{emit, TcpRepr};
use crate::sys::net::{Net, Sysctl};
use crate::sys::skb::TxSkb;
use crate::tcp::FourTuple;
use kernel::prelude::*;

const IPPROTO_TCP: u8 = 6;
const IP_HDR_LEN: usize = 20;

/// Sends `repr` with `payload` on the connection `t` (our side local).
/// `atomic`: called in softirq or under a spinlock.
pub(crate) fn transmit(net: &Net<'_>, t: &FourTuple, oif: i32, repr: &TcpRepr, payload: &[u8], atomic: bool) -> Result {
    let tcp_len = repr.header_len() + payload.len();
    let mut skb = TxSkb::alloc(IP_HDR_LEN + tcp_len, atomic)?;
    let buf = skb.put(IP_HDR_LEN + tcp_len)?;
    let ttl = u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_DEFAULT_TTL)).unwrap_or(64);
    // Linux sends handshake and reset segments with DF and IP ID 0
    // (ip_build_and_send_pkt, ip_send_unicast_reply).
    let ip = Ipv4Repr {
        src: t.laddr,
        dst: t.raddr,
        protocol: IPPROTO_TCP,
        ttl,
        tos: 0,
        id: 0,
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
