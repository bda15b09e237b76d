// SPDX-License-Identifier: GPL-2.0

//! Replies sent without a full socket, from net/ipv4/tcp_ipv4.c: the reset
//! of `tcp_v4_send_reset()` and the ACK a request socket sends
//! (`tcp_v4_reqsk_send_ack()` → `tcp_v4_send_ack()`).
//!
//! Both return a [`TcpRepr`] to be emitted with
//! [`super::tcp_hdr::emit`] from the segment's destination address back to
//! its source. MD5/AO signatures are not modelled.

use super::errno::Errno;
use super::request_sock::RequestSock;
use super::seq::SeqNum;
use super::tcp_hdr::{TcpFlags, TcpOptions, TcpRepr, TcpSegment};

/// The reset `tcp_v4_send_reset()` sends in reply to `seg`, or `None` for
/// an RST ("Never send a reset in response to a reset").
///
/// Ports are swapped. If `seg` has ACK: `seq = seg.ack`, flags RST only,
/// ack field 0. Otherwise: `seq = 0`, flags RST|ACK and `ack = seg.seq +
/// SYN + FIN + payload length`. Window 0, no options.
///
/// Linux additionally sends nothing when there is no socket and the
/// packet's route is not `RTN_LOCAL`; that check is the caller's.
pub fn rst_for(seg: &TcpSegment<'_>) -> Option<TcpRepr> {
    if seg.flags.contains(TcpFlags::RST) {
        return None;
    }
    let (seq, ack, flags) = if seg.flags.contains(TcpFlags::ACK) {
        (seg.ack, SeqNum(0), TcpFlags::RST)
    } else {
        // `ntohl(th->seq) + th->syn + th->fin + skb->len - (th->doff << 2)`
        // in u32 arithmetic.
        (
            SeqNum(0),
            seg.seq + (seg.seq_len() as u32),
            TcpFlags::RST | TcpFlags::ACK,
        )
    };
    Some(TcpRepr {
        src_port: seg.dst_port,
        dst_port: seg.src_port,
        seq,
        ack,
        flags,
        window: 0,
        urgent: 0,
        options: TcpOptions::new(),
    })
}

/// The ACK a request socket sends (out-of-window segment or challenge ACK),
/// as `tcp_v4_reqsk_send_ack()` builds it for a listener's request.
///
/// From our port to the peer's; flags ACK; `seq = snt_isn + 1`, `ack =
/// rcv_isn + 1`; window `min(rcv_wnd, 65535) >> rcv_wscale`; a timestamp
/// option `(now_ms + ts_off, ts_recent)` only when `ts_recent != 0`
/// (`tcp_v4_send_ack()` tests `tsecr`, not `tstamp_ok`), laid out NOP NOP
/// TS.
pub fn reqsk_ack_repr(req: &RequestSock, now_ms: u32) -> TcpRepr {
    let mut options = TcpOptions::new();
    if req.ts_recent != 0 {
        options.timestamp = Some((now_ms.wrapping_add(req.ts_off), req.ts_recent));
    }
    // The window is at most 65535, so it fits 16 bits after the shift; a
    // hand-set rcv_wscale of 32 or more gives 0 instead of a shift panic.
    let window = req
        .synack_window()
        .checked_shr(u32::from(req.rcv_wscale))
        .unwrap_or(0) as u16;
    TcpRepr {
        src_port: req.loc_port,
        dst_port: req.rmt_port,
        seq: req.snt_isn + 1,
        ack: req.rcv_nxt(),
        flags: TcpFlags::ACK,
        window,
        urgent: 0,
        options,
    }
}

/// `icmp_err_convert[]` for ICMP_DEST_UNREACH codes 0..=15 (code 4,
/// FRAG_NEEDED, is path MTU discovery, not an error: `None`).
const DEST_UNREACH_ERRNO: [Option<Errno>; 16] = [
    Some(Errno::NetUnreach),  // NET_UNREACH
    Some(Errno::HostUnreach), // HOST_UNREACH
    Some(Errno::NoProtoOpt),  // PROT_UNREACH
    Some(Errno::ConnRefused), // PORT_UNREACH
    None,                     // FRAG_NEEDED
    Some(Errno::OpNotSupp),   // SR_FAILED
    Some(Errno::NetUnreach),  // NET_UNKNOWN
    Some(Errno::HostDown),    // HOST_UNKNOWN
    Some(Errno::NoNet),       // HOST_ISOLATED
    Some(Errno::NetUnreach),  // NET_ANO
    Some(Errno::HostUnreach), // HOST_ANO
    Some(Errno::NetUnreach),  // NET_UNR_TOS
    Some(Errno::HostUnreach), // HOST_UNR_TOS
    Some(Errno::HostUnreach), // PKT_FILTERED
    Some(Errno::HostUnreach), // PREC_VIOLATION
    Some(Errno::HostUnreach), // PREC_CUTOFF
];

/// An ICMP error about one of our TCP segments: the connection it names
/// (the quoted header, from our side) and the errno it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpTcpError {
    /// Our address and port (the quoted segment's source).
    pub laddr: [u8; 4],
    /// Our port.
    pub lport: u16,
    /// The peer's address (the quoted segment's destination).
    pub raddr: [u8; 4],
    /// The peer's port.
    pub rport: u16,
    /// The quoted segment's sequence number.
    pub seq: SeqNum,
    /// The error it reports (`icmp_err_convert`, `tcp_v4_err`).
    pub errno: Errno,
}

/// The error an ICMP message reports to TCP, as `tcp_v4_err()` maps it:
/// DEST_UNREACH by `icmp_err_convert[]` (FRAG_NEEDED and codes above 15:
/// none), TIME_EXCEEDED → EHOSTUNREACH, PARAMETERPROB → EPROTO; anything
/// else (SOURCE_QUENCH, REDIRECT, echo...) is not an error.
pub fn icmp_errno(icmp_type: u8, code: u8) -> Option<Errno> {
    match icmp_type {
        3 => DEST_UNREACH_ERRNO.get(usize::from(code)).copied().flatten(),
        11 => Some(Errno::HostUnreach),
        12 => Some(Errno::Proto),
        _ => None,
    }
}

/// Parses an ICMP message (`icmp`: from its type byte to the end) that
/// quotes a TCP segment: the checksum must verify (unless `csum_trusted`),
/// the quoted IP header must be a TCP one with at least the 8 bytes of
/// ports and sequence RFC 792 guarantees. `None` for anything else.
pub fn parse_icmp_tcp_error(icmp: &[u8], csum_trusted: bool) -> Option<IcmpTcpError> {
    let (&icmp_type, rest) = icmp.split_first()?;
    let code = *rest.first()?;
    let errno = icmp_errno(icmp_type, code)?;
    if !csum_trusted && super::checksum::internet_checksum(icmp) != 0 {
        return None;
    }
    let inner = icmp.get(8..)?;
    let vihl = *inner.first()?;
    let ihl = usize::from(vihl & 0x0f) * 4;
    if vihl >> 4 != 4 || ihl < 20 || *inner.get(9)? != 6 {
        return None;
    }
    let a = |i: usize| -> Option<[u8; 4]> { inner.get(i..i + 4)?.try_into().ok() };
    let th = inner.get(ihl..ihl + 8)?;
    Some(IcmpTcpError {
        laddr: a(12)?,
        raddr: a(16)?,
        lport: u16::from_be_bytes([th[0], th[1]]),
        rport: u16::from_be_bytes([th[2], th[3]]),
        seq: SeqNum(u32::from_be_bytes([th[4], th[5], th[6], th[7]])),
        errno,
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    fn seg(flags: TcpFlags, payload: &[u8]) -> TcpSegment<'_> {
        TcpSegment {
            src_port: 40000,
            dst_port: 80,
            seq: SeqNum(u32::MAX),
            ack: SeqNum(777),
            flags,
            window: 100,
            checksum: 0,
            urgent: 0,
            header_len: 20,
            options: TcpOptions::new(),
            payload,
        }
    }

    #[test]
    fn no_reset_for_reset() {
        assert_eq!(rst_for(&seg(TcpFlags::RST, &[])), None);
        assert_eq!(rst_for(&seg(TcpFlags::RST | TcpFlags::ACK, &[])), None);
    }

    #[test]
    fn reset_for_ack() {
        let r = rst_for(&seg(TcpFlags::ACK | TcpFlags::PSH, b"abc")).unwrap();
        assert_eq!((r.src_port, r.dst_port), (80, 40000));
        assert_eq!(
            (r.seq, r.ack, r.flags),
            (SeqNum(777), SeqNum(0), TcpFlags::RST)
        );
        assert_eq!(r.window, 0);
        assert_eq!(r.header_len(), 20);
    }

    #[test]
    fn reset_for_non_ack() {
        let r = rst_for(&seg(TcpFlags::SYN, &[])).unwrap();
        assert_eq!((r.seq, r.ack), (SeqNum(0), SeqNum(0)));
        assert_eq!(r.flags, TcpFlags::RST | TcpFlags::ACK);
        let r = rst_for(&seg(TcpFlags::SYN | TcpFlags::FIN, b"hello")).unwrap();
        assert_eq!(r.ack, SeqNum(6));
        let r = rst_for(&seg(TcpFlags::empty(), &[])).unwrap();
        assert_eq!(r.ack, SeqNum(u32::MAX));
    }

    #[test]
    fn request_ack() {
        let mut q = RequestSock::empty();
        q.loc_port = 80;
        q.rmt_port = 40000;
        q.snt_isn = SeqNum(u32::MAX);
        q.rcv_isn = SeqNum(41);
        q.rcv_wnd = 65160;
        q.rcv_wscale = 7;
        let a = reqsk_ack_repr(&q, 1000);
        assert_eq!(
            (a.seq, a.ack, a.flags),
            (SeqNum(0), SeqNum(42), TcpFlags::ACK)
        );
        assert_eq!(a.window, 509); // 65160 >> 7
        assert_eq!(a.options, TcpOptions::new());
        q.ts_recent = 5;
        q.ts_off = 10;
        let a = reqsk_ack_repr(&q, 1000);
        assert_eq!(a.options.timestamp, Some((1010, 5)));
        assert_eq!(a.header_len(), 32);
    }
    /// An ICMP error (type, code) quoting our SYN 10.0.0.1:40000 ->
    /// 10.0.0.2:80, seq 0x01020304, with a valid checksum.
    fn icmp(t: u8, code: u8) -> std::vec::Vec<u8> {
        let mut m = std::vec![t, code, 0, 0, 0, 0, 0, 0];
        let mut ip = std::vec![0x45, 0, 0, 60, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        ip.extend_from_slice(&[0x9c, 0x40, 0, 80, 1, 2, 3, 4]);
        m.extend_from_slice(&ip);
        let c = super::super::checksum::internet_checksum(&m);
        m[2..4].copy_from_slice(&c.to_be_bytes());
        m
    }

    #[test]
    fn icmp_errors_as_tcp_v4_err() {
        let e = parse_icmp_tcp_error(&icmp(3, 1), false).unwrap();
        assert_eq!((e.laddr, e.lport, e.raddr, e.rport), ([10, 0, 0, 1], 40000, [10, 0, 0, 2], 80));
        assert_eq!((e.seq, e.errno), (SeqNum(0x0102_0304), Errno::HostUnreach));
        assert_eq!(parse_icmp_tcp_error(&icmp(3, 3), false).unwrap().errno, Errno::ConnRefused);
        assert_eq!(parse_icmp_tcp_error(&icmp(3, 0), false).unwrap().errno, Errno::NetUnreach);
        assert_eq!(parse_icmp_tcp_error(&icmp(11, 0), false).unwrap().errno, Errno::HostUnreach);
        assert_eq!(parse_icmp_tcp_error(&icmp(12, 0), false).unwrap().errno, Errno::Proto);
        // icmp_err_convert[] code by code.
        use Errno::*;
        let table = [
            Some(NetUnreach),
            Some(HostUnreach),
            Some(NoProtoOpt),
            Some(ConnRefused),
            None,
            Some(OpNotSupp),
            Some(NetUnreach),
            Some(HostDown),
            Some(NoNet),
            Some(NetUnreach),
            Some(HostUnreach),
            Some(NetUnreach),
            Some(HostUnreach),
            Some(HostUnreach),
            Some(HostUnreach),
            Some(HostUnreach),
        ];
        for (code, want) in table.iter().enumerate() {
            assert_eq!(icmp_errno(3, code as u8), *want, "3/{code}");
        }
        // Not errors for TCP: FRAG_NEEDED (PMTU), unknown codes, quench, echo.
        for (t, c) in [(3, 4), (3, 16), (4, 0), (0, 0), (8, 0), (5, 1)] {
            assert_eq!(parse_icmp_tcp_error(&icmp(t, c), false), None, "{t}/{c}");
        }
    }

    #[test]
    fn icmp_malformed_is_ignored() {
        let good = icmp(3, 1);
        let mut bad = good.clone();
        bad[2] ^= 1;
        assert_eq!(parse_icmp_tcp_error(&bad, false), None);
        // The checksum is not checked when the device vouched for it.
        assert!(parse_icmp_tcp_error(&bad, true).is_some());
        // Truncated quote, a UDP quote, and every shorter prefix.
        assert_eq!(parse_icmp_tcp_error(&good[..good.len() - 1], true), None);
        let mut udp = good.clone();
        udp[8 + 9] = 17;
        assert_eq!(parse_icmp_tcp_error(&udp, true), None);
        for n in 0..good.len() {
            assert_eq!(parse_icmp_tcp_error(&good[..n], true), None);
        }
    }
}
