// SPDX-License-Identifier: GPL-2.0

//! The data of a TCP request socket (a connection in SYN_RECV that has no
//! full socket yet): what Linux keeps in `struct request_sock`,
//! `struct inet_request_sock` and `struct tcp_request_sock`
//! (include/net/request_sock.h, include/net/inet_sock.h,
//! include/linux/tcp.h), reduced to the fields TCP/IPv4 without Fast Open,
//! syncookies, MD5/AO or MPTCP uses.
//!
//! A request is created from a SYN by [`RequestSock::from_syn`]
//! ([`super::tcp_input`]), answered with [`super::tcp_output::synack_repr`],
//! and checked against later segments by [`super::tcp_minisocks::check_req`].

use super::inet_connection_sock::{reqsk_timeout_from, TCP_TIMEOUT_INIT_MS};
use super::seq::SeqNum;

/// A request socket. All fields are plain data; Linux's name is given for
/// each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestSock {
    /// Our address, wire order (`ir_loc_addr`).
    pub loc_addr: [u8; 4],
    /// Peer address, wire order (`ir_rmt_addr`).
    pub rmt_addr: [u8; 4],
    /// Our port, host order (`ir_num`).
    pub loc_port: u16,
    /// Peer port, host order (`ntohs(ir_rmt_port)`).
    pub rmt_port: u16,
    /// The peer's ISN, the SYN's sequence number (`rcv_isn`); we expect
    /// `rcv_isn + 1` next (`rcv_nxt`).
    pub rcv_isn: SeqNum,
    /// Our ISN, the SYN-ACK's sequence number (`snt_isn`).
    pub snt_isn: SeqNum,
    /// The MSS we advertise: `tcp_mss_clamp(listener, tcp_dst_advmss(dst))`,
    /// i.e. `max(route advmss, 88)` lowered to TCP_MAXSEG if set. Linux
    /// recomputes it for every SYN-ACK from the route; it is also the
    /// child's `advmss`.
    pub mss: u16,
    /// The peer's MSS (Linux `req->mss`, from `rx_opt.mss_clamp`): its MSS
    /// option lowered to TCP_MAXSEG, or 536 without a (non-zero) option.
    pub peer_mss: u16,
    /// The peer's window scale (`snd_wscale`), meaningful if `wscale_ok`.
    pub snd_wscale: u8,
    /// Our window scale (`rcv_wscale`); 0 unless `wscale_ok`.
    pub rcv_wscale: u8,
    /// Both sides scale windows (`wscale_ok`).
    pub wscale_ok: bool,
    /// SACK permitted (`sack_ok`).
    pub sack_ok: bool,
    /// Timestamps negotiated (`tstamp_ok`).
    pub tstamp_ok: bool,
    /// ECN negotiated (`ecn_ok`): sets ECE on the SYN-ACK. [`RequestSock::from_syn`]
    /// leaves it false; see [`super::tcp_input::ecn_create_request`].
    pub ecn_ok: bool,
    /// The peer's last timestamp value (`req->ts_recent`), 0 without
    /// timestamps.
    pub ts_recent: u32,
    /// Our timestamp offset for this connection (`ts_off`), 0 without
    /// timestamps.
    pub ts_off: u32,
    /// The receive window we offer (`rsk_rcv_wnd`); SYN-ACKs carry at most
    /// 65535 of it.
    pub rcv_wnd: u32,
    /// The largest window we will ever offer (`rsk_window_clamp`).
    pub window_clamp: u32,
    /// SYN-ACK retransmissions sent (`num_retrans`).
    pub num_retrans: u8,
    /// SYN-ACK timer expiries so far (`num_timeout`, 7 bits in Linux).
    pub num_timeout: u8,
    /// The peer ACKed our SYN-ACK but we kept waiting (`acked`): a bare ACK
    /// dropped under TCP_DEFER_ACCEPT, or the accept queue was full.
    pub acked: bool,
    /// Time of the last out-of-window reply, for rate limiting
    /// (`last_oow_ack_time`, in the caller's clock units; 0 = never).
    pub last_oow_ack_time: u32,
    /// Base SYN-ACK timeout in ms (`req->timeout`, `TCP_TIMEOUT_INIT`).
    pub timeout_ms: u32,
}

impl RequestSock {
    /// The peer's next expected sequence number (`tcp_rsk(req)->rcv_nxt`,
    /// which is `rcv_isn + 1` without Fast Open).
    #[inline]
    pub fn rcv_nxt(&self) -> SeqNum {
        self.rcv_isn + 1
    }

    /// Linux `tcp_synack_window()`: the window a SYN-ACK (or an ACK from the
    /// request) can express, `min(rcv_wnd, 65535)`.
    #[inline]
    pub const fn synack_window(&self) -> u32 {
        if self.rcv_wnd < 65535 {
            self.rcv_wnd
        } else {
            65535
        }
    }

    /// Linux `reqsk_timeout(req, max_timeout_ms)`: `timeout_ms <<
    /// num_timeout`, capped.
    #[inline]
    pub const fn timeout(&self, max_timeout_ms: u32) -> u32 {
        reqsk_timeout_from(self.timeout_ms, self.num_timeout, max_timeout_ms)
    }

    /// An all-zero request with the default timeout, for building test
    /// fixtures or filling in by hand.
    pub const fn empty() -> Self {
        Self {
            loc_addr: [0; 4],
            rmt_addr: [0; 4],
            loc_port: 0,
            rmt_port: 0,
            rcv_isn: SeqNum(0),
            snt_isn: SeqNum(0),
            mss: 0,
            peer_mss: 0,
            snd_wscale: 0,
            rcv_wscale: 0,
            wscale_ok: false,
            sack_ok: false,
            tstamp_ok: false,
            ecn_ok: false,
            ts_recent: 0,
            ts_off: 0,
            rcv_wnd: 0,
            window_clamp: 0,
            num_retrans: 0,
            num_timeout: 0,
            acked: false,
            last_oow_ack_time: 0,
            timeout_ms: TCP_TIMEOUT_INIT_MS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        let mut r = RequestSock::empty();
        r.rcv_isn = SeqNum(u32::MAX);
        assert_eq!(r.rcv_nxt(), SeqNum(0));
        r.rcv_wnd = 65160;
        assert_eq!(r.synack_window(), 65160);
        r.rcv_wnd = 1 << 20;
        assert_eq!(r.synack_window(), 65535);
        assert_eq!(r.timeout(120_000), 1000);
        r.num_timeout = 3;
        assert_eq!(r.timeout(120_000), 8000);
        assert_eq!(r.timeout(5000), 5000);
    }
}
