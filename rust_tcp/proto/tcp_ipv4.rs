// SPDX-License-Identifier: GPL-2.0

//! Replies sent without a full socket, from net/ipv4/tcp_ipv4.c: the reset
//! of `tcp_v4_send_reset()` and the ACK a request socket sends
//! (`tcp_v4_reqsk_send_ack()` → `tcp_v4_send_ack()`).
//!
//! Both return a [`TcpRepr`] to be emitted with
//! [`super::tcp_hdr::emit`] from the segment's destination address back to
//! its source. MD5/AO signatures are not modelled.

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

#[cfg(test)]
mod tests {
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
}
