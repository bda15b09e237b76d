// SPDX-License-Identifier: GPL-2.0

//! The active open of a TCP connection, client side, without Fast Open,
//! MD5/AO, MPTCP, SMC, BPF hooks or TCP_REPAIR:
//!
//! * the state `connect()` sets up before the first SYN (`tcp_v4_connect()`
//!   in net/ipv4/tcp_ipv4.c, `tcp_connect_init()` and `tcp_connect()` in
//!   net/ipv4/tcp_output.c): [`ClientSock::connect_init`];
//! * the SYN itself (`tcp_syn_options()`, `tcp_ecn_send_syn()`, the SYN
//!   branch of `__tcp_transmit_skb()`): [`syn_repr`];
//! * what a segment does to a socket in SYN_SENT
//!   (`tcp_rcv_synsent_state_process()` with `tcp_ack()`'s window update,
//!   `tcp_finish_connect()` and `tcp_init_transfer()`, net/ipv4/tcp_input.c):
//!   [`synsent_rcv`];
//! * the MSS bookkeeping both need (`tcp_sync_mss()`, `tcp_mtu_to_mss()`,
//!   `tcp_mtup_init()`, `tcp_advertise_mss()`).
//!
//! The retransmission timer is [`super::tcp_timer::SynRtx`], kept in
//! [`ClientSock::rtx`]; port selection is [`super::inet_hash_connect`].
//!
//! # Clocks
//!
//! `now_ms` is `tcp_time_stamp_ms(tp)`: the millisecond TCP clock
//! (`tcp_clock_ms()`) truncated to 32 bits, without the connection's
//! offset; TCP timestamps carry `now_ms + ts_off`. `now_secs` is
//! `ktime_get_seconds()` truncated to 32 bits (for `ts_recent_stamp`).

use super::seq::SeqNum;
use super::tcp_hdr::{TcpFlags, TcpOptions, TcpRepr, TcpSegment};
use super::tcp_input::{advertised_mss, parse_syn_options, tcp_dst_advmss, SynOptions};
use super::tcp_ipv4::rst_for;
use super::tcp_minisocks::{paws_reject, ChildInit};
use super::tcp_params::{SynSysctls, TCPOLEN_TSTAMP_ALIGNED, TCP_MSS_DEFAULT};
use super::tcp_timer::{SynRtx, SynTimerCtx, SynTimerStep};
use super::tcp_window::{
    init_buffer_space, initialize_rcv_mss, select_initial_window, select_window, RcvWindow,
    WindowSysctls,
};

/// `TCP_MIN_SND_MSS`: default (and minimum) of `net.ipv4.tcp_min_snd_mss`.
pub const TCP_MIN_SND_MSS: u32 = 48;
/// `TCP_BASE_MSS`: default of `net.ipv4.tcp_base_mss`.
pub const TCP_BASE_MSS: u32 = 1024;
/// `TCP_DELACK_MAX` in milliseconds (`HZ / 5`).
pub const TCP_DELACK_MAX_MS: u32 = 200;
/// `TCP_MAX_QUICKACKS`.
pub const TCP_MAX_QUICKACKS: u32 = 16;
/// `sizeof(struct tcphdr)`.
const TCP_HDR_LEN: u16 = 20;
/// `icsk_af_ops->net_header_len` for IPv4 (`sizeof(struct iphdr)`).
const IP_HDR_LEN: i64 = 20;

/// The sysctls an active open reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientSysctls {
    /// Options and buffer sysctls shared with the passive open
    /// (`tcp_timestamps`, `tcp_sack`, `tcp_window_scaling`,
    /// `tcp_workaround_signed_windows`, `tcp_rmem[2]`, `rmem_max`).
    pub syn: SynSysctls,
    /// `net.ipv4.tcp_ecn` (default 2: accept ECN, never ask for it). Only 1
    /// makes the SYN ask.
    pub ecn: u8,
    /// `net.ipv4.tcp_ecn_fallback` (default 1): a retransmitted SYN drops
    /// ECE|CWR (RFC 3168 6.1.1.1).
    pub ecn_fallback: bool,
    /// `net.ipv4.tcp_min_snd_mss` (default 48).
    pub min_snd_mss: u32,
    /// `net.ipv4.tcp_mtu_probing` (default 0; above 1 enables probing from
    /// the start).
    pub mtu_probing: u8,
    /// `net.ipv4.tcp_base_mss` (default 1024).
    pub base_mss: u32,
    /// Window-selection sysctls (`tcp_app_win`, `tcp_shrink_window`; its
    /// `workaround_signed_windows` should equal `syn`'s).
    pub window: WindowSysctls,
}

impl ClientSysctls {
    /// Linux 6.12 defaults (see [`SynSysctls::DEFAULT`]).
    pub const DEFAULT: Self = Self {
        syn: SynSysctls::DEFAULT,
        ecn: 2,
        ecn_fallback: true,
        min_snd_mss: TCP_MIN_SND_MSS,
        mtu_probing: 0,
        base_mss: TCP_BASE_MSS,
        window: WindowSysctls::DEFAULT,
    };
}

impl Default for ClientSysctls {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The state of the connection (`sk_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientState {
    /// `TCP_SYN_SENT`: our SYN is out.
    SynSent,
    /// `TCP_SYN_RECV` after a simultaneous open: we answered the peer's SYN
    /// with a SYN-ACK; the rest of the handshake is the synchronised
    /// states' input path (`tcp_rcv_state_process()` case SYN_RECV).
    SynRecv,
}

/// What `connect()` has settled when `tcp_connect()` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectParams {
    /// Our address (`inet_saddr`, from the route unless bound), wire order.
    pub loc_addr: [u8; 4],
    /// The peer's address (`inet_daddr`, after the route lookup: 0.0.0.0
    /// has become 127.0.0.1), wire order.
    pub rmt_addr: [u8; 4],
    /// Our port (`inet_num`, bound or from
    /// [`super::inet_hash_connect::hash_connect_port`]).
    pub loc_port: u16,
    /// The peer's port (host order).
    pub rmt_port: u16,
    /// `tp->write_seq`, our ISN: [`connect_write_seq`] of what the socket
    /// already held (a recycled TIME_WAIT's or a disconnected socket's) and
    /// `secure_tcp_seq_and_ts_off().seq`.
    pub write_seq: SeqNum,
    /// `tp->tsoffset`: `secure_tcp_seq_and_ts_off().ts_off` (0 unless
    /// `tcp_timestamps == 1`), set even when `write_seq` was inherited.
    pub ts_off: u32,
    /// `rx_opt.ts_recent` inherited from a recycled TIME_WAIT socket
    /// ([`super::inet_hash_connect::TwReuse`]), else 0. Our SYN echoes it.
    pub ts_recent: u32,
    /// `rx_opt.ts_recent_stamp` inherited likewise, else 0. When non-zero
    /// the first window is sized for `advmss - 12`.
    pub ts_recent_stamp: u32,
    /// TCP_MAXSEG (`rx_opt.user_mss`), 0 when unset.
    pub user_mss: u16,
    /// `dst_metric_advmss(dst)` of the route (MTU - 40 by default).
    pub route_advmss: u32,
    /// `dst_mtu(dst)`.
    pub route_mtu: u32,
    /// `icsk_ext_hdr_len`: length of the socket's IP options (0 without
    /// IP_OPTIONS).
    pub ext_hdr_len: u16,
    /// `tcp_full_space(sk)`: `sk_rcvbuf` (default `tcp_rmem[1]` = 131072)
    /// through the default scaling ratio, 65536 by default.
    pub full_space: i32,
    /// TCP_WINDOW_CLAMP (`tp->window_clamp`), 0 when unset.
    pub window_clamp: u32,
    /// `SOCK_RCVBUF_LOCK` (SO_RCVBUF was set).
    pub rcvbuf_locked: bool,
    /// `dst_metric(dst, RTAX_WINDOW)`.
    pub route_window: u32,
    /// `dst_metric(dst, RTAX_INITRWND)`.
    pub route_initrwnd: u32,
    /// The route has `features ecn` (`RTAX_FEATURE_ECN`).
    pub route_ecn: bool,
}

/// The ISN `tcp_v4_connect()` uses: the socket's `write_seq` if it is
/// non-zero (set by TIME_WAIT recycling or left by `tcp_disconnect()`),
/// else the keyed `secure_isn`.
#[inline]
pub const fn connect_write_seq(current: SeqNum, secure_isn: u32) -> SeqNum {
    if current.0 != 0 {
        current
    } else {
        SeqNum(secure_isn)
    }
}

/// `tcp_v4_connect()`'s reset of state inherited from an earlier
/// connection of the same socket: true when `ts_recent_stamp != 0` and the
/// destination changed, in which case `ts_recent`, `ts_recent_stamp` and
/// `write_seq` must be zeroed before the port search.
#[inline]
pub fn connect_resets_inherited(
    ts_recent_stamp: u32,
    old_daddr: [u8; 4],
    new_daddr: [u8; 4],
) -> bool {
    ts_recent_stamp != 0 && old_daddr != new_daddr
}

/// The `write_seq` `tcp_disconnect()` leaves (`write_seq + max_window +
/// 2`, 1 instead of 0), which the next `connect()` of the socket uses as
/// its ISN. (`tcp_disconnect()` also zeroes all of `rx_opt`, TCP_MAXSEG
/// included, and `window_clamp`.)
#[inline]
pub fn disconnect_write_seq(write_seq: SeqNum, max_window: u32) -> SeqNum {
    let seq = write_seq + max_window + 2;
    if seq.0 == 0 {
        SeqNum(1)
    } else {
        seq
    }
}

/// A connecting socket: the fields of `struct tcp_sock`/`inet_connection_sock`
/// an active open uses, named after Linux's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientSock {
    /// Our address, wire order.
    pub loc_addr: [u8; 4],
    /// Peer address, wire order.
    pub rmt_addr: [u8; 4],
    /// Our port, host order.
    pub loc_port: u16,
    /// Peer port, host order.
    pub rmt_port: u16,
    /// SYN_SENT or SYN_RECV.
    pub state: ClientState,
    /// Our ISN: the SYN's sequence number (`snd_una`; `snd_nxt` and
    /// `write_seq` are `iss + 1` once the SYN is queued).
    pub iss: SeqNum,
    /// `rcv_nxt`: 0 until the peer's SYN is seen (our SYN's ack field).
    pub rcv_nxt: SeqNum,
    /// `rcv_wup`.
    pub rcv_wup: SeqNum,
    /// `snd_wnd` (0 until the peer's SYN; SYN windows are unscaled).
    pub snd_wnd: u32,
    /// `snd_wl1`.
    pub snd_wl1: SeqNum,
    /// `max_window`: largest window the peer offered.
    pub max_window: u32,
    /// `rx_opt.user_mss` (TCP_MAXSEG), 0 when unset.
    pub user_mss: u16,
    /// `rx_opt.mss_clamp`: the peer's MSS once known, else TCP_MAXSEG or
    /// 536.
    pub mss_clamp: u16,
    /// `advmss`: the MSS we advertise (12 less once timestamps are
    /// negotiated).
    pub advmss: u16,
    /// `icsk_pmtu_cookie`: the path MTU `mss_cache` was computed for.
    pub pmtu: u32,
    /// `icsk_ext_hdr_len`: IP options length.
    pub ext_hdr_len: u16,
    /// `mss_cache`: our current sending MSS, options included except SACK.
    pub mss_cache: u32,
    /// `icsk_mtup.enabled`.
    pub mtup_enabled: bool,
    /// `icsk_mtup.search_low` (an MTU).
    pub mtup_search_low: u32,
    /// `tcp_header_len`: 20, or 32 with timestamps.
    pub tcp_header_len: u16,
    /// `rcv_wnd`: the window offered in the SYN (at most 65535 of it is
    /// expressed).
    pub rcv_wnd: u32,
    /// `rcv_ssthresh`.
    pub rcv_ssthresh: u32,
    /// `window_clamp`.
    pub window_clamp: u32,
    /// `rx_opt.rcv_wscale`: our window scale, offered when
    /// `tcp_window_scaling` is on.
    pub rcv_wscale: u8,
    /// `rx_opt.snd_wscale`: the peer's scale.
    pub snd_wscale: u8,
    /// `rx_opt.wscale_ok`: the peer's SYN carried a window scale.
    pub wscale_ok: bool,
    /// `rx_opt.sack_ok`.
    pub sack_ok: bool,
    /// `rx_opt.tstamp_ok`.
    pub tstamp_ok: bool,
    /// `rx_opt.ts_recent`.
    pub ts_recent: u32,
    /// `rx_opt.ts_recent_stamp` (seconds).
    pub ts_recent_stamp: u32,
    /// `tsoffset`.
    pub ts_off: u32,
    /// `icsk_ack.rcv_mss`.
    pub rcv_mss: u32,
    /// `ecn_flags & TCP_ECN_OK`: we asked for ECN and it is not refused yet.
    pub ecn_ok: bool,
    /// `ecn_flags & TCP_ECN_QUEUE_CWR` (set by a timeout while ECN is on).
    pub ecn_queue_cwr: bool,
    /// The flags of our SYN as queued for (re)transmission: SYN (+ ECE|CWR
    /// when asking for ECN; + ACK after a simultaneous open).
    pub syn_flags: TcpFlags,
    /// Retransmission-timer state.
    pub rtx: SynRtx,
}

impl ClientSock {
    /// `tcp_v4_connect()` from `tcp_set_state(TCP_SYN_SENT)` on, with
    /// `tcp_connect_init()` and `tcp_connect()`: the socket right after the
    /// SYN was queued at `now_ms`. Send [`syn_repr`] and arm the
    /// retransmission timer for `rtx.rto_ms` (1 s).
    ///
    /// In order: `mss_clamp` = TCP_MAXSEG or 536; `tcp_header_len` = 20 +
    /// 12 if `tcp_timestamps`; `tcp_mtup_init()`; `tcp_sync_mss(route_mtu)`;
    /// `window_clamp` = TCP_WINDOW_CLAMP or the route's `window`;
    /// `advmss = tcp_mss_clamp(tcp_dst_advmss())`; the clamp lowered to the
    /// full space under SO_RCVBUF; `tcp_select_initial_window(full_space,
    /// advmss - (ts_recent_stamp ? tcp_header_len - 20 : 0), ...)` with
    /// scaling if `tcp_window_scaling`; `rcv_ssthresh = rcv_wnd`;
    /// `snd_wnd = snd_wl1 = rcv_nxt = 0`; RTO 1 s; ECN asked when
    /// `tcp_ecn == 1` or the route says so.
    pub fn connect_init(p: &ConnectParams, sysctls: &ClientSysctls, now_ms: u32) -> Self {
        let tcp_header_len = if sysctls.syn.timestamps != 0 {
            TCP_HDR_LEN + TCPOLEN_TSTAMP_ALIGNED as u16
        } else {
            TCP_HDR_LEN
        };
        let mut sk = Self {
            loc_addr: p.loc_addr,
            rmt_addr: p.rmt_addr,
            loc_port: p.loc_port,
            rmt_port: p.rmt_port,
            state: ClientState::SynSent,
            iss: p.write_seq,
            rcv_nxt: SeqNum(0),
            rcv_wup: SeqNum(0),
            snd_wnd: 0,
            snd_wl1: SeqNum(0),
            max_window: 0,
            user_mss: p.user_mss,
            // tcp_v4_connect(): TCP_MSS_DEFAULT; tcp_connect_init(): "If
            // user gave his TCP_MAXSEG, record it to clamp".
            mss_clamp: if p.user_mss != 0 {
                p.user_mss
            } else {
                TCP_MSS_DEFAULT
            },
            advmss: 0,
            pmtu: 0,
            ext_hdr_len: p.ext_hdr_len,
            mss_cache: 0,
            mtup_enabled: false,
            mtup_search_low: 0,
            tcp_header_len,
            rcv_wnd: 0,
            rcv_ssthresh: 0,
            window_clamp: 0,
            rcv_wscale: 0,
            snd_wscale: 0,
            wscale_ok: false,
            sack_ok: false,
            tstamp_ok: false,
            ts_recent: p.ts_recent,
            ts_recent_stamp: p.ts_recent_stamp,
            ts_off: p.ts_off,
            rcv_mss: 0,
            ecn_ok: false,
            ecn_queue_cwr: false,
            syn_flags: TcpFlags::SYN,
            rtx: SynRtx::new(now_ms),
        };
        sk.mtup_init(sysctls);
        sk.sync_mss(p.route_mtu, sysctls.min_snd_mss);
        let mut window_clamp = if p.window_clamp != 0 {
            p.window_clamp
        } else {
            p.route_window
        };
        sk.advmss = advertised_mss(p.user_mss, p.route_advmss);
        // "limit the window selection if the user enforce a smaller rx
        // buffer"
        if p.rcvbuf_locked && (window_clamp > p.full_space as u32 || window_clamp == 0) {
            window_clamp = p.full_space as u32;
        }
        // `tp->advmss - (ts_recent_stamp ? tcp_header_len - 20 : 0)`, an
        // int passed as __u32.
        let ts_room = if p.ts_recent_stamp != 0 {
            u32::from(tcp_header_len - TCP_HDR_LEN)
        } else {
            0
        };
        let win = select_initial_window(
            p.full_space,
            u32::from(sk.advmss).wrapping_sub(ts_room),
            window_clamp,
            sysctls.syn.window_scaling,
            p.route_initrwnd,
            &sysctls.syn,
        );
        sk.rcv_wnd = win.rcv_wnd;
        sk.window_clamp = win.window_clamp;
        sk.rcv_wscale = win.rcv_wscale;
        sk.rcv_ssthresh = win.rcv_wnd;
        // tcp_initialize_rcv_mss() (rcv_wnd was still 0 then).
        sk.rcv_mss = initialize_rcv_mss(sk.advmss, sk.mss_cache, 0);
        // tcp_ecn_send_syn()
        if sysctls.ecn == 1 || p.route_ecn {
            sk.syn_flags = TcpFlags::SYN | TcpFlags::ECE | TcpFlags::CWR;
            sk.ecn_ok = true;
        }
        sk
    }

    /// `snd_una`: our ISN until the SYN is acknowledged.
    #[inline]
    pub const fn snd_una(&self) -> SeqNum {
        self.iss
    }

    /// `snd_nxt` (= `write_seq`): `iss + 1` once the SYN is queued.
    #[inline]
    pub fn snd_nxt(&self) -> SeqNum {
        self.iss + 1
    }

    /// Linux `tcp_mtup_init()`: MTU probing on when `tcp_mtu_probing > 1`,
    /// `search_low = tcp_mss_to_mtu(tcp_base_mss)`.
    pub fn mtup_init(&mut self, sysctls: &ClientSysctls) {
        self.mtup_enabled = sysctls.mtu_probing > 1;
        self.mtup_search_low = sysctls
            .base_mss
            .wrapping_add(u32::from(self.tcp_header_len))
            .wrapping_add(u32::from(self.ext_hdr_len))
            .wrapping_add(IP_HDR_LEN as u32);
    }

    /// Linux `tcp_mtu_to_mss(sk, pmtu)`: the sending MSS a path MTU allows
    /// (IP and TCP headers, IP options and the timestamp option off, at
    /// most `mss_clamp`, at least `tcp_min_snd_mss` before the options).
    pub fn mtu_to_mss(&self, pmtu: u32, min_snd_mss: u32) -> i64 {
        // __tcp_mtu_to_mss(); pmtu is an int there.
        let mut mss = i64::from(pmtu as i32) - IP_HDR_LEN - i64::from(TCP_HDR_LEN);
        if mss > i64::from(self.mss_clamp) {
            mss = i64::from(self.mss_clamp);
        }
        mss -= i64::from(self.ext_hdr_len);
        mss = mss.max(i64::from(min_snd_mss as i32));
        mss - i64::from(self.tcp_header_len) + i64::from(TCP_HDR_LEN)
    }

    /// Linux `tcp_sync_mss(sk, pmtu)`: recomputes and returns `mss_cache`
    /// for `pmtu` (remembered in `pmtu`), bounded to half the largest
    /// window the peer offered (`tcp_bound_to_half_wnd()`) and to the
    /// probing floor when MTU probing is on.
    pub fn sync_mss(&mut self, pmtu: u32, min_snd_mss: u32) -> u32 {
        let mut mss = self.mtu_to_mss(pmtu, min_snd_mss);
        // tcp_bound_to_half_wnd(); the cutoff is an int.
        let cutoff = if self.max_window > u32::from(TCP_MSS_DEFAULT) {
            i64::from((self.max_window >> 1) as i32)
        } else {
            i64::from(self.max_window as i32)
        };
        if cutoff != 0 && mss > cutoff {
            // max_t(int, cutoff, 68U - tp->tcp_header_len)
            let floor = i64::from(68u32.wrapping_sub(u32::from(self.tcp_header_len)) as i32);
            mss = cutoff.max(floor);
        }
        self.pmtu = pmtu;
        if self.mtup_enabled {
            mss = mss.min(self.mtu_to_mss(self.mtup_search_low, min_snd_mss));
        }
        // mss_cache is a u32 holding the int.
        self.mss_cache = mss as i32 as u32;
        self.mss_cache
    }

    /// Linux `tcp_advertise_mss()`: lowers `advmss` to the route's current
    /// `tcp_dst_advmss()` if that is smaller, and returns it (the SYN's MSS
    /// option).
    pub fn advertise_mss(&mut self, route_advmss: u32) -> u16 {
        let metric = tcp_dst_advmss(route_advmss);
        if metric < u32::from(self.advmss) {
            self.advmss = metric as u16;
        }
        self.advmss
    }

    /// `tcp_retransmit_timer()` up to the retransmission, for this socket:
    /// [`SynRtx::on_timer`] plus `tcp_enter_loss()`'s
    /// `tcp_ecn_queue_cwr()`. On [`SynTimerStep::Retransmit`] send
    /// [`ClientSock::retransmit_repr`], then call
    /// [`SynRtx::after_retransmit`] on `rtx` for the next timer.
    pub fn on_timer(&mut self, ctx: &SynTimerCtx) -> SynTimerStep {
        let step = self.rtx.on_timer(self.iss, ctx);
        if step == SynTimerStep::Retransmit && self.ecn_ok {
            self.ecn_queue_cwr = true;
        }
        step
    }

    /// The retransmitted SYN (SYN-ACK in SYN_RECV): `__tcp_retransmit_skb()`
    /// first drops ECE|CWR from a SYN that still has both when
    /// `tcp_ecn_fallback` is on (for good: the queued SYN keeps the change),
    /// then the segment is built anew ([`syn_repr`]) with a fresh timestamp.
    pub fn retransmit_repr(&mut self, now_ms: u32, sysctls: &ClientSysctls) -> TcpRepr {
        let syn_ecn = TcpFlags::SYN | TcpFlags::ECE | TcpFlags::CWR;
        if sysctls.ecn_fallback && self.syn_flags.contains(syn_ecn) {
            // tcp_ecn_clear_syn()
            self.syn_flags = self.syn_flags.difference(TcpFlags::ECE | TcpFlags::CWR);
        }
        syn_repr(self, now_ms, &sysctls.syn)
    }

    /// The receive-window fields as [`super::tcp_window`] sees them.
    pub const fn rcv_window(&self) -> RcvWindow {
        RcvWindow {
            rcv_nxt: self.rcv_nxt,
            rcv_wup: self.rcv_wup,
            rcv_wnd: self.rcv_wnd,
            rcv_ssthresh: self.rcv_ssthresh,
            window_clamp: self.window_clamp,
            rcv_wscale: self.rcv_wscale,
            rcv_mss: self.rcv_mss,
            advmss: self.advmss,
        }
    }
}

/// Our SYN as `__tcp_transmit_skb()` sends it from a socket in SYN_SENT
/// (or the SYN-ACK of a simultaneous open from SYN_RECV), options by
/// `tcp_syn_options()`.
///
/// From our port to the peer's; `seq = iss`; `ack = rcv_nxt` (0 in
/// SYN_SENT, where the ACK flag is off); flags [`ClientSock::syn_flags`];
/// window `min(rcv_wnd, 65535)`, never scaled ("RFC1323: The window in SYN
/// & SYN/ACK segments is never scaled"). Options, read from the sysctls
/// at every transmission as Linux does: MSS `advmss` always; timestamps
/// `(now_ms + ts_off, ts_recent)` if `tcp_timestamps != 0`; window scale
/// `rcv_wscale` if `tcp_window_scaling`; SACK-permitted if `tcp_sack`;
/// laid out by [`super::tcp_hdr::emit`] as `tcp_options_write()` does
/// (MSS, SACK_PERM+TS or NOP NOP TS, NOP WSCALE).
pub fn syn_repr(sk: &ClientSock, now_ms: u32, sysctls: &SynSysctls) -> TcpRepr {
    let mut options = TcpOptions::new();
    options.mss = Some(sk.advmss);
    if sysctls.timestamps != 0 {
        options.timestamp = Some((now_ms.wrapping_add(sk.ts_off), sk.ts_recent));
    }
    if sysctls.window_scaling {
        options.wscale = Some(sk.rcv_wscale);
    }
    options.sack_perm = sysctls.sack;
    TcpRepr {
        src_port: sk.loc_port,
        dst_port: sk.rmt_port,
        seq: sk.iss,
        ack: sk.rcv_nxt,
        flags: sk.syn_flags,
        window: sk.rcv_wnd.min(65535) as u16,
        urgent: 0,
        options,
    }
}

/// `tcp_parse_options(net, skb, &tp->rx_opt, estab = 0, ...)` as SYN_SENT
/// runs it, then `rcv_tsecr -= tsoffset` when non-zero: like
/// [`parse_syn_options`], except that without a (non-zero) MSS option on a
/// SYN the clamp stays `mss_clamp` (TCP_MAXSEG or 536) instead of 536.
pub fn synsent_parse_options(
    seg: &TcpSegment<'_>,
    user_mss: u16,
    mss_clamp: u16,
    ts_off: u32,
    sysctls: &SynSysctls,
) -> SynOptions {
    let mut o = parse_syn_options(seg, user_mss, sysctls);
    let syn = seg.flags.contains(TcpFlags::SYN);
    if !(syn && matches!(seg.options.mss, Some(m) if m != 0)) {
        o.mss_clamp = mss_clamp;
    }
    if o.saw_tstamp && o.tsecr != 0 {
        o.tsecr = o.tsecr.wrapping_sub(ts_off);
    }
    o
}

/// Inputs of [`synsent_rcv`] besides the socket and the segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynSentCtx {
    /// `tcp_time_stamp_ms(tp)` (refreshed on entry).
    pub now_ms: u32,
    /// `ktime_get_seconds()`, truncated.
    pub now_secs: u32,
    /// The sysctls.
    pub sysctls: ClientSysctls,
    /// `tcp_full_space(sk)` at establishment (for
    /// `tcp_init_buffer_space()` and the first ACK's window).
    pub full_space: i32,
    /// `tcp_space(sk)`: free receive space (normally `full_space`).
    pub free_space: i32,
    /// `tcp_under_memory_pressure(sk)`.
    pub memory_pressure: bool,
    /// `sk_write_pending || rskq_defer_accept || inet_csk_in_pingpong_mode`:
    /// the final ACK is delayed ("Save one ACK").
    pub delay_ack: bool,
}

impl SynSentCtx {
    /// Default sysctls and buffers (full and free space 65536), no
    /// memory pressure, immediate ACK.
    pub const fn new(now_ms: u32, now_secs: u32) -> Self {
        Self {
            now_ms,
            now_secs,
            sysctls: ClientSysctls::DEFAULT,
            full_space: 65536,
            free_space: 65536,
            memory_pressure: false,
            delay_ack: false,
        }
    }
}

/// The state an actively opened connection starts ESTABLISHED with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnInit {
    /// The fields shared with a passively opened child, taken *after*
    /// `tcp_finish_connect()` (so `window_clamp` and `rcv_ssthresh` went
    /// through `tcp_init_buffer_space()`) and, when [`ConnInit::ack`] is
    /// `Some`, after that ACK's `tcp_select_window()` (`rcv_wnd`).
    /// `snd_una` is `iss + 1` (also `snd_nxt`, `write_seq`); `snd_wnd` is
    /// the SYN-ACK's window, unscaled; `advmss` is 12 less with timestamps
    /// (unlike the passive side).
    pub sock: ChildInit,
    /// `rcv_wup` (`rcv_nxt` once the ACK went out).
    pub rcv_wup: SeqNum,
    /// `icsk_ack.rcv_mss`.
    pub rcv_mss: u32,
    /// `mss_cache`.
    pub mss_cache: u32,
    /// `rx_opt.ts_recent_stamp`: `now_secs` when timestamps were
    /// negotiated (`tcp_store_ts_recent()`), else what the socket had.
    pub ts_recent_stamp: u32,
    /// ECN negotiated: we asked and the SYN-ACK had ECE without CWR
    /// (`tcp_ecn_rcv_synack()`).
    pub ecn_ok: bool,
    /// `TCP_ECN_QUEUE_CWR` is pending (ECN on and the SYN timed out).
    pub ecn_queue_cwr: bool,
    /// `tcp_init_transfer()` starts with a congestion window of 1 instead of
    /// the initial window: more than one SYN retransmission and the undo
    /// marker survived (`total_retrans > 1 && undo_marker`).
    pub cwnd_one: bool,
    /// The ACK to send now (`tcp_send_ack()`), or `None` to schedule a
    /// delayed ACK in [`TCP_DELACK_MAX_MS`] in quick-ACK mode
    /// ([`TCP_MAX_QUICKACKS`]).
    pub ack: Option<TcpRepr>,
}

/// What a segment does to a socket in SYN_SENT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynSentAction {
    /// `reset_and_undo`: answer with `rst` (`tcp_v4_send_reset()`, i.e.
    /// [`rst_for`]: `seq = seg.ack`, RST; `None` when the segment was
    /// itself an RST) and drop it; the connection goes on.
    Reset {
        /// The reset to send, if any.
        rst: Option<TcpRepr>,
        /// An unacceptable ACK before any retransmission re-arms the SYN
        /// timer to this many jiffies (`TCP_TIMEOUT_MIN`): "Previous
        /// FIN/ACK or RST/ACK might be ignored."
        rearm_jiffies: Option<u32>,
        /// The cause was PAWS (`LINUX_MIB_PAWSACTIVEREJECTED`): the
        /// SYN-ACK echoed a timestamp we did not send.
        paws: bool,
    },
    /// An RST acknowledging our SYN: `tcp_reset()` → `ECONNREFUSED`,
    /// `tcp_done()`.
    Refused,
    /// Drop the segment, nothing changes.
    Drop,
    /// Our SYN is acknowledged and the peer's SYN seen: ESTABLISHED.
    Established(ConnInit),
    /// A SYN without ACK (simultaneous open, or a connect to ourselves):
    /// the socket is now in SYN_RECV; send this SYN-ACK (`seq = iss`, `ack
    /// = seg.seq + 1`). Its retransmissions use [`ClientSock::on_timer`]
    /// with `syn_sent = false` and [`ClientSock::retransmit_repr`].
    SynRecv(TcpRepr),
}

/// Linux `tcp_rcv_synsent_state_process()` (6.12.117, no Fast Open) for
/// `seg` arriving at `sk` in SYN_SENT, with what follows it in
/// `tcp_rcv_state_process()`.
///
/// With ACK: `ack` must satisfy `snd_una < ack <= snd_nxt`, i.e. be
/// `iss + 1`, else [`SynSentAction::Reset`]; a non-zero `tsecr` (less our
/// offset) must lie in `[retrans_stamp, now_ms]`, else `Reset` with
/// `paws`; then RST → [`SynSentAction::Refused`]; no SYN → `Drop`; SYN →
/// `Established`: ECN verdict, `tcp_ack()` (our SYN acked, the window
/// taken unscaled into `snd_wnd`/`max_window`, `snd_wl1 = seq`),
/// `rcv_nxt = seq + 1`, scaling dropped unless the SYN-ACK had a window
/// scale (clamp then at most 65535), timestamps on if it had one
/// (`tcp_header_len` 32, `advmss - 12`, `ts_recent`), `tcp_sync_mss()`,
/// `tcp_initialize_rcv_mss()`, `tcp_init_transfer()` (buffer space, MTU
/// probing), and the ACK (`seq = iss + 1`, `ack = rcv_nxt`, window from
/// `tcp_select_window()`, timestamps if on) unless delayed. Data and FIN
/// on a SYN-ACK are discarded, as Linux does without Fast Open.
///
/// Without ACK: RST → `Drop`; PAWS against an inherited `ts_recent` (only
/// when `ts_recent_stamp != 0`) → `Drop`; SYN → [`SynSentAction::SynRecv`];
/// anything else → `Drop`.
///
/// `sk` is updated as Linux updates the socket for `Established` and
/// `SynRecv`, and left alone otherwise (Linux undoes its option parse).
/// Called on a socket not in SYN_SENT it returns `Drop`.
pub fn synsent_rcv(sk: &mut ClientSock, seg: &TcpSegment<'_>, ctx: &SynSentCtx) -> SynSentAction {
    if sk.state != ClientState::SynSent {
        return SynSentAction::Drop;
    }
    let sysctls = &ctx.sysctls;
    let opt = synsent_parse_options(seg, sk.user_mss, sk.mss_clamp, sk.ts_off, &sysctls.syn);
    let flags = seg.flags;
    let (ack, rst, syn) = (
        flags.contains(TcpFlags::ACK),
        flags.contains(TcpFlags::RST),
        flags.contains(TcpFlags::SYN),
    );

    if ack {
        // "If SEG.ACK =< ISS, or SEG.ACK > SND.NXT, send a reset (unless
        // the RST bit is set, if so drop the segment and return)"
        if !seg.ack.after(sk.snd_una()) || seg.ack.after(sk.snd_nxt()) {
            return SynSentAction::Reset {
                rst: rst_for(seg),
                rearm_jiffies: sk.rtx.bad_ack_rearm_jiffies(),
                paws: false,
            };
        }
        if opt.saw_tstamp
            && opt.tsecr != 0
            && !SeqNum(opt.tsecr).between(SeqNum(sk.rtx.retrans_stamp), SeqNum(ctx.now_ms))
        {
            return SynSentAction::Reset {
                rst: rst_for(seg),
                rearm_jiffies: None,
                paws: true,
            };
        }
        // "If the RST bit is set: If the ACK was acceptable then signal the
        // user 'error: connection reset'"
        if rst {
            return SynSentAction::Refused;
        }
        // "fifth, if neither of the SYN or RST bits is set then drop the
        // segment and return."
        if !syn {
            return SynSentAction::Drop;
        }
        return SynSentAction::Established(synack_established(sk, seg, &opt, ctx));
    }

    // No ACK in the segment.
    if rst {
        return SynSentAction::Drop;
    }
    if sk.ts_recent_stamp != 0 && opt.saw_tstamp {
        let age = ctx.now_secs.wrapping_sub(sk.ts_recent_stamp);
        if paws_reject(sk.ts_recent, opt.tsval, age, false) {
            return SynSentAction::Drop;
        }
    }
    if !syn {
        return SynSentAction::Drop;
    }
    // "We see SYN without ACK. It is attempt of simultaneous connect with
    // crossed SYNs. Particularly, it can be connect to self."
    commit_options(sk, &opt);
    sk.state = ClientState::SynRecv;
    if opt.saw_tstamp {
        sk.tstamp_ok = true;
        sk.ts_recent = opt.tsval;
        sk.ts_recent_stamp = ctx.now_secs;
        sk.tcp_header_len = TCP_HDR_LEN + TCPOLEN_TSTAMP_ALIGNED as u16;
    } else {
        sk.tcp_header_len = TCP_HDR_LEN;
    }
    sk.rcv_nxt = seg.seq + 1;
    sk.rcv_wup = sk.rcv_nxt;
    sk.snd_wnd = u32::from(seg.window);
    sk.snd_wl1 = seg.seq;
    sk.max_window = sk.snd_wnd;
    // tcp_ecn_rcv_syn(): keep ECN only if the SYN had ECE and CWR.
    if sk.ecn_ok && !flags.contains(TcpFlags::ECE | TcpFlags::CWR) {
        sk.ecn_ok = false;
    }
    sk.mtup_init(sysctls);
    sk.sync_mss(sk.pmtu, sysctls.min_snd_mss);
    sk.rcv_mss = initialize_rcv_mss(sk.advmss, sk.mss_cache, sk.rcv_wnd);
    // tcp_send_synack(): the queued SYN becomes a SYN-ACK, with
    // tcp_ecn_send_synack().
    if !sk.syn_flags.contains(TcpFlags::ACK) {
        sk.syn_flags = sk.syn_flags.union(TcpFlags::ACK).difference(TcpFlags::CWR);
        if !sk.ecn_ok {
            sk.syn_flags = sk.syn_flags.difference(TcpFlags::ECE);
        }
    }
    SynSentAction::SynRecv(syn_repr(sk, ctx.now_ms, &sysctls.syn))
}

/// What a segment does to an actively opened socket in SYN_RECV (after
/// crossed SYNs: [`SynSentAction::SynRecv`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynRecvAction {
    /// Drop the segment, nothing changes.
    Drop,
    /// Send this ACK and drop the segment: the duplicate ACK for an
    /// out-of-window or PAWS-rejected segment (`tcp_send_dupack()`), or the
    /// challenge ACK for a SYN or an inexact in-window RST (RFC 5961,
    /// `tcp_send_challenge_ack()`).
    Ack(TcpRepr),
    /// "send one RST": the ACK is unacceptable; answer with [`rst_for`].
    Reset(Option<TcpRepr>),
    /// An RST at exactly `rcv_nxt`: `tcp_reset()` (ECONNRESET in SYN_RECV)
    /// and `tcp_done()`.
    ResetByPeer,
    /// The peer acknowledged our SYN-ACK: ESTABLISHED. Nothing is sent
    /// ([`ConnInit::ack`] is `None` and no delayed ACK is due: the
    /// segment carried nothing to acknowledge).
    Established(ConnInit),
}

/// The ACK a synchronised socket sends now (`tcp_send_ack()`): `seq =
/// snd_nxt`, `ack = rcv_nxt`, the window from `tcp_select_window()`,
/// timestamps if on.
fn ack_now(sk: &mut ClientSock, ctx: &SynSentCtx) -> TcpRepr {
    let mut w = sk.rcv_window();
    let window = select_window(
        &mut w,
        ctx.free_space,
        ctx.full_space,
        &ctx.sysctls.window,
        ctx.memory_pressure,
    );
    sk.rcv_wnd = w.rcv_wnd;
    sk.rcv_wup = w.rcv_wup;
    let mut options = TcpOptions::new();
    if sk.tstamp_ok {
        options.timestamp = Some((ctx.now_ms.wrapping_add(sk.ts_off), sk.ts_recent));
    }
    TcpRepr {
        src_port: sk.loc_port,
        dst_port: sk.rmt_port,
        seq: sk.snd_nxt(),
        ack: sk.rcv_nxt,
        flags: TcpFlags::ACK,
        window,
        urgent: 0,
        options,
    }
}

/// Linux `tcp_rcv_state_process()` for an actively opened socket in
/// SYN_RECV (no request sock, no Fast Open), 6.12.117:
///
/// 1. neither ACK, RST nor SYN → `Drop`;
/// 2. `tcp_validate_incoming()`: PAWS against `ts_recent` (timestamps on)
///    → duplicate ACK unless RST; `tcp_sequence()` (`end_seq` before
///    `rcv_wup`, or `seq` after `rcv_nxt + tcp_receive_window()`) → a
///    challenge ACK for a SYN, a duplicate ACK otherwise, nothing for an
///    RST; an RST at `rcv_nxt` → [`SynRecvAction::ResetByPeer`], any other
///    RST → challenge ACK; a SYN → challenge ACK, except the SYN-ACK that
///    answers our SYN-ACK (`seq + 1 == rcv_nxt`, `ack == snd_nxt`, no
///    payload), which goes on;
/// 3. `tcp_ack()`: an ACK after `snd_nxt` or before `snd_una` is
///    unacceptable → [`SynRecvAction::Reset`]; otherwise ESTABLISHED with
///    `snd_una = ack` (Linux takes `ack == snd_una` too), `snd_wnd =
///    window << snd_wscale`, `snd_wl1 = seq`, `advmss` 12 less with
///    timestamps, `tcp_initialize_rcv_mss()`, `tcp_init_transfer()`.
///
/// Deliberate simplifications: challenge ACKs and duplicate ACKs are not
/// rate limited here (the caller applies `tcp_invalid_ratelimit`), PAWS
/// does not make the `tcp_disordered_ack()` exception, and data on the
/// completing segment is not queued (it is retransmitted by the peer).
pub fn synrecv_rcv(sk: &mut ClientSock, seg: &TcpSegment<'_>, ctx: &SynSentCtx) -> SynRecvAction {
    if sk.state != ClientState::SynRecv {
        return SynRecvAction::Drop;
    }
    let f = seg.flags;
    let (ack, rst, syn) = (
        f.contains(TcpFlags::ACK),
        f.contains(TcpFlags::RST),
        f.contains(TcpFlags::SYN),
    );
    if !ack && !rst && !syn {
        return SynRecvAction::Drop;
    }
    // Step 1: PAWS.
    if sk.tstamp_ok {
        if let Some((tsval, _)) = seg.options.timestamp {
            let age = ctx.now_secs.wrapping_sub(sk.ts_recent_stamp);
            if paws_reject(sk.ts_recent, tsval, age, rst) {
                return if rst {
                    SynRecvAction::Drop
                } else {
                    SynRecvAction::Ack(ack_now(sk, ctx))
                };
            }
        }
    }
    // Step 2: the sequence window.
    let end_seq = seg.seq + seg.seq_len() as u32;
    let rcv_win = sk
        .rcv_wup
        .0
        .wrapping_add(sk.rcv_wnd)
        .wrapping_sub(sk.rcv_nxt.0);
    let rcv_win = if (rcv_win as i32) < 0 { 0 } else { rcv_win };
    if end_seq.before(sk.rcv_wup) || seg.seq.after(sk.rcv_nxt + rcv_win) {
        if rst {
            return SynRecvAction::Drop;
        }
        return SynRecvAction::Ack(ack_now(sk, ctx));
    }
    // Step 3: RST (RFC 5961 3.2).
    if rst {
        if seg.seq == sk.rcv_nxt {
            return SynRecvAction::ResetByPeer;
        }
        return SynRecvAction::Ack(ack_now(sk, ctx));
    }
    // Step 4: SYN (RFC 5961 4.2).
    if syn {
        let answer = ack
            && seg.payload.is_empty()
            && seg.seq + 1 == sk.rcv_nxt
            && seg.ack == sk.snd_nxt();
        if !answer {
            return SynRecvAction::Ack(ack_now(sk, ctx));
        }
    }
    // Step 5: the ACK.
    if seg.ack.after(sk.snd_nxt()) || seg.ack.before(sk.snd_una()) {
        return SynRecvAction::Reset(rst_for(seg));
    }
    sk.snd_wnd = u32::from(seg.window) << sk.snd_wscale.min(14);
    sk.snd_wl1 = seg.seq;
    if sk.snd_wnd > sk.max_window {
        sk.max_window = sk.snd_wnd;
    }
    sk.rtx.retransmits = 0;
    sk.rtx.retrans_stamp = 0;
    if sk.tstamp_ok {
        sk.advmss = sk.advmss.wrapping_sub(TCPOLEN_TSTAMP_ALIGNED as u16);
        if let Some((tsval, _)) = seg.options.timestamp {
            sk.ts_recent = tsval;
            sk.ts_recent_stamp = ctx.now_secs;
        }
    }
    sk.rcv_mss = initialize_rcv_mss(sk.advmss, sk.mss_cache, sk.rcv_wnd);
    let mut w = sk.rcv_window();
    init_buffer_space(&mut w, ctx.full_space, ctx.sysctls.window.app_win);
    sk.rcv_ssthresh = w.rcv_ssthresh;
    sk.window_clamp = w.window_clamp;
    let mut init = conn_init(sk, false, None);
    init.sock.snd_una = seg.ack;
    SynRecvAction::Established(init)
}

/// Stores the parsed SYN options in `rx_opt`.
fn commit_options(sk: &mut ClientSock, opt: &SynOptions) {
    sk.mss_clamp = opt.mss_clamp;
    sk.wscale_ok = opt.wscale_ok;
    sk.snd_wscale = opt.snd_wscale;
    sk.sack_ok = opt.sack_ok;
}

/// The SYN-ACK branch of `tcp_rcv_synsent_state_process()` and
/// `tcp_finish_connect()`.
fn synack_established(
    sk: &mut ClientSock,
    seg: &TcpSegment<'_>,
    opt: &SynOptions,
    ctx: &SynSentCtx,
) -> ConnInit {
    let sysctls = &ctx.sysctls;
    commit_options(sk, opt);
    // tcp_ecn_rcv_synack(): refused unless ECE without CWR.
    if sk.ecn_ok && (!seg.flags.contains(TcpFlags::ECE) || seg.flags.contains(TcpFlags::CWR)) {
        sk.ecn_ok = false;
    }
    // tcp_init_wl()
    sk.snd_wl1 = seg.seq;
    // tcp_try_undo_spurious_syn(): "The timeout is spurious if the ACK's
    // timestamp option echo value matches the original SYN timestamp."
    if sk.rtx.undo_marker != 0
        && sk.rtx.retrans_stamp != 0
        && opt.saw_tstamp
        && sk.rtx.retrans_stamp == opt.tsecr
    {
        sk.rtx.undo_marker = 0;
    }
    // tcp_ack(sk, skb, FLAG_SLOWPATH): snd_una advances (retransmits = 0),
    // tcp_ack_update_window() with the SYN's unscaled window, the SYN
    // leaves the retransmit queue (retrans_stamp = 0).
    sk.rtx.retransmits = 0;
    let nwin = u32::from(seg.window);
    sk.snd_wl1 = seg.seq;
    if sk.snd_wnd != nwin {
        sk.snd_wnd = nwin;
        if nwin > sk.max_window {
            sk.max_window = nwin;
            sk.sync_mss(sk.pmtu, sysctls.min_snd_mss);
        }
    }
    sk.rtx.retrans_stamp = 0;

    sk.rcv_nxt = seg.seq + 1;
    sk.rcv_wup = sk.rcv_nxt;
    // "RFC1323: The window in SYN & SYN/ACK segments is never scaled."
    sk.snd_wnd = nwin;
    if !sk.wscale_ok {
        sk.snd_wscale = 0;
        sk.rcv_wscale = 0;
        sk.window_clamp = sk.window_clamp.min(65535);
    }
    if opt.saw_tstamp {
        sk.tstamp_ok = true;
        sk.tcp_header_len = TCP_HDR_LEN + TCPOLEN_TSTAMP_ALIGNED as u16;
        sk.advmss = sk.advmss.wrapping_sub(TCPOLEN_TSTAMP_ALIGNED as u16);
        // tcp_store_ts_recent()
        sk.ts_recent = opt.tsval;
        sk.ts_recent_stamp = ctx.now_secs;
    } else {
        sk.tcp_header_len = TCP_HDR_LEN;
    }
    sk.sync_mss(sk.pmtu, sysctls.min_snd_mss);
    sk.rcv_mss = initialize_rcv_mss(sk.advmss, sk.mss_cache, sk.rcv_wnd);

    // tcp_finish_connect() -> tcp_init_transfer(): tcp_mtup_init(), the
    // initial cwnd, tcp_init_buffer_space().
    sk.mtup_init(sysctls);
    let cwnd_one = sk.rtx.total_retrans > 1 && sk.rtx.undo_marker != 0;
    let mut w = sk.rcv_window();
    init_buffer_space(&mut w, ctx.full_space, sysctls.window.app_win);
    sk.rcv_wnd = w.rcv_wnd;
    sk.rcv_wup = w.rcv_wup;
    sk.rcv_ssthresh = w.rcv_ssthresh;
    sk.window_clamp = w.window_clamp;
    // tcp_send_ack(): seq = tcp_acceptable_seq() = snd_nxt here.
    let ack = (!ctx.delay_ack).then(|| ack_now(sk, ctx));

    conn_init(sk, cwnd_one, ack)
}

/// The [`ConnInit`] of `sk` as it stands.
fn conn_init(sk: &ClientSock, cwnd_one: bool, ack: Option<TcpRepr>) -> ConnInit {
    let sat_u8 = |v: u32| if v > 255 { 255 } else { v as u8 };
    ConnInit {
        sock: ChildInit {
            rcv_nxt: sk.rcv_nxt,
            snd_una: sk.snd_nxt(),
            snd_wl1: sk.snd_wl1,
            snd_wnd: sk.snd_wnd,
            max_window: sk.max_window,
            rcv_wnd: sk.rcv_wnd,
            rcv_ssthresh: sk.rcv_ssthresh,
            window_clamp: sk.window_clamp,
            wscale_ok: sk.wscale_ok,
            snd_wscale: sk.snd_wscale,
            rcv_wscale: sk.rcv_wscale,
            sack_ok: sk.sack_ok,
            tstamp_ok: sk.tstamp_ok,
            ts_recent: sk.ts_recent,
            ts_offset: sk.ts_off,
            mss_clamp: sk.mss_clamp,
            advmss: sk.advmss,
            tcp_header_len: sk.tcp_header_len,
            total_retrans: sat_u8(sk.rtx.total_retrans),
            total_rto: sat_u8(u32::from(sk.rtx.total_rto)),
        },
        rcv_wup: sk.rcv_wup,
        rcv_mss: sk.rcv_mss,
        mss_cache: sk.mss_cache,
        ts_recent_stamp: sk.ts_recent_stamp,
        ecn_ok: sk.ecn_ok,
        ecn_queue_cwr: sk.ecn_ok && sk.ecn_queue_cwr,
        cwnd_one,
        ack,
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::tcp_hdr::{emit, parse};
    use super::*;
    use std::vec;

    const L: [u8; 4] = [10, 0, 0, 1];
    const R: [u8; 4] = [10, 0, 0, 2];
    const ISS: u32 = 0x1000_0000;
    const PEER: u32 = 0x5000_0000;
    const OFF: u32 = 0x0100_0000;

    fn eth() -> ConnectParams {
        ConnectParams {
            loc_addr: L,
            rmt_addr: R,
            loc_port: 40000,
            rmt_port: 80,
            write_seq: SeqNum(ISS),
            ts_off: OFF,
            ts_recent: 0,
            ts_recent_stamp: 0,
            user_mss: 0,
            route_advmss: 1460,
            route_mtu: 1500,
            ext_hdr_len: 0,
            full_space: 65536,
            window_clamp: 0,
            rcvbuf_locked: false,
            route_window: 0,
            route_initrwnd: 0,
            route_ecn: false,
        }
    }

    fn client() -> ClientSock {
        ClientSock::connect_init(&eth(), &ClientSysctls::DEFAULT, 1000)
    }

    fn seg(flags: TcpFlags, seq: u32, ack: u32, options: TcpOptions) -> TcpSegment<'static> {
        TcpSegment {
            src_port: 80,
            dst_port: 40000,
            seq: SeqNum(seq),
            ack: SeqNum(ack),
            flags,
            window: 65160,
            checksum: 0,
            urgent: 0,
            header_len: 20 + options.wire_len(),
            options,
            payload: &[],
        }
    }

    fn synack_opts(tsecr: u32) -> TcpOptions {
        TcpOptions {
            mss: Some(1460),
            wscale: Some(7),
            sack_perm: true,
            timestamp: Some((0xabcd, tsecr)),
            ..TcpOptions::new()
        }
    }

    /// A client that saw crossed SYNs (peer ISN PEER, with timestamps).
    fn crossed() -> (ClientSock, SynSentCtx) {
        let mut c = client();
        let ctx = SynSentCtx::new(1500, 100);
        let syn = seg(TcpFlags::SYN, PEER, 0, synack_opts(0));
        assert!(matches!(synsent_rcv(&mut c, &syn, &ctx), SynSentAction::SynRecv(_)));
        assert_eq!(c.state, ClientState::SynRecv);
        (c, ctx)
    }

    fn ts(tsval: u32) -> TcpOptions {
        TcpOptions {
            timestamp: Some((tsval, 0)),
            ..TcpOptions::new()
        }
    }

    #[test]
    fn synrecv_ack_establishes() {
        let (mut c, ctx) = crossed();
        let mut a = seg(TcpFlags::ACK, PEER + 1, ISS + 1, ts(0xabce));
        a.window = 500;
        let SynRecvAction::Established(init) = synrecv_rcv(&mut c, &a, &ctx) else {
            panic!("not established");
        };
        assert_eq!(init.ack, None);
        assert_eq!(init.sock.snd_una, SeqNum(ISS + 1));
        assert_eq!(init.sock.rcv_nxt, SeqNum(PEER + 1));
        // Scaled by the peer's wscale 7; timestamps take 12 off advmss.
        assert_eq!(init.sock.snd_wnd, 500 << 7);
        assert_eq!(init.sock.advmss, 1448);
        assert_eq!(init.sock.ts_recent, 0xabce);
        assert!(init.sock.tstamp_ok && init.sock.sack_ok && init.sock.wscale_ok);
        // Linux also takes an ACK of snd_una (tcp_ack: not before it).
        let (mut c, ctx) = crossed();
        let a = seg(TcpFlags::ACK, PEER + 1, ISS, ts(0xabce));
        assert!(matches!(synrecv_rcv(&mut c, &a, &ctx), SynRecvAction::Established(_)));
    }

    #[test]
    fn synrecv_bad_ack_is_reset() {
        for ack in [ISS + 2, ISS - 1, ISS + 0x4000_0000] {
            let (mut c, ctx) = crossed();
            let a = seg(TcpFlags::ACK, PEER + 1, ack, ts(0xabce));
            let SynRecvAction::Reset(Some(r)) = synrecv_rcv(&mut c, &a, &ctx) else {
                panic!("ack {ack:#x} accepted");
            };
            assert_eq!((r.seq, r.flags), (SeqNum(ack), TcpFlags::RST));
            assert_eq!(c.state, ClientState::SynRecv);
        }
    }

    #[test]
    fn synrecv_rst_exact_or_challenged() {
        let (mut c, ctx) = crossed();
        let r = seg(TcpFlags::RST, PEER + 1, 0, TcpOptions::new());
        assert_eq!(synrecv_rcv(&mut c, &r, &ctx), SynRecvAction::ResetByPeer);
        let (mut c, ctx) = crossed();
        let r = seg(TcpFlags::RST, PEER + 100, 0, TcpOptions::new());
        let SynRecvAction::Ack(a) = synrecv_rcv(&mut c, &r, &ctx) else {
            panic!("in-window RST not challenged");
        };
        assert_eq!((a.seq, a.ack, a.flags), (SeqNum(ISS + 1), SeqNum(PEER + 1), TcpFlags::ACK));
        // Outside the window: silently dropped.
        let r = seg(TcpFlags::RST, PEER + 0x1000_0000, 0, TcpOptions::new());
        assert_eq!(synrecv_rcv(&mut c, &r, &ctx), SynRecvAction::Drop);
    }

    #[test]
    fn synrecv_syn_challenged_unless_answer() {
        let (mut c, ctx) = crossed();
        let syn = seg(TcpFlags::SYN, PEER, 0, synack_opts(0));
        assert!(matches!(synrecv_rcv(&mut c, &syn, &ctx), SynRecvAction::Ack(_)));
        // The peer's SYN-ACK to our SYN-ACK completes the open.
        let sa = seg(TcpFlags::SYN | TcpFlags::ACK, PEER, ISS + 1, synack_opts(0));
        assert!(matches!(synrecv_rcv(&mut c, &sa, &ctx), SynRecvAction::Established(_)));
        // Neither ACK, RST nor SYN: dropped.
        let (mut c, ctx) = crossed();
        let f = seg(TcpFlags::FIN, PEER + 1, 0, TcpOptions::new());
        assert_eq!(synrecv_rcv(&mut c, &f, &ctx), SynRecvAction::Drop);
        // Not in SYN_RECV: dropped.
        let mut c = client();
        let a = seg(TcpFlags::ACK, PEER + 1, ISS + 1, TcpOptions::new());
        assert_eq!(synrecv_rcv(&mut c, &a, &ctx), SynRecvAction::Drop);
    }

    #[test]
    fn synrecv_out_of_window_dupack_and_paws() {
        let (mut c, ctx) = crossed();
        let a = seg(TcpFlags::ACK, PEER + 0x2000_0000, ISS + 1, ts(0xabce));
        let SynRecvAction::Ack(r) = synrecv_rcv(&mut c, &a, &ctx) else {
            panic!("out-of-window segment not answered");
        };
        assert_eq!(r.options.timestamp, Some((1500 + OFF, 0xabcd)));
        // An older timestamp than ts_recent (0xabcd): PAWS, duplicate ACK.
        let a = seg(TcpFlags::ACK, PEER + 1, ISS + 1, ts(0xabcc));
        assert!(matches!(synrecv_rcv(&mut c, &a, &ctx), SynRecvAction::Ack(_)));
        assert_eq!(c.state, ClientState::SynRecv);
    }

    #[test]
    fn connect_init_defaults() {
        let c = client();
        assert_eq!(c.state, ClientState::SynSent);
        assert_eq!(
            (c.iss, c.snd_una(), c.snd_nxt()),
            (SeqNum(ISS), SeqNum(ISS), SeqNum(ISS + 1))
        );
        assert_eq!((c.advmss, c.mss_clamp, c.tcp_header_len), (1460, 536, 32));
        // mss_cache: min(1500 - 40, 536) - 12.
        assert_eq!((c.mss_cache, c.pmtu), (524, 1500));
        // No ts_recent_stamp: the window is sized for the full 1460.
        assert_eq!((c.rcv_wnd, c.rcv_wscale), (64240, 7));
        assert_eq!((c.window_clamp, c.rcv_ssthresh), (65535 << 7, 64240));
        assert_eq!(c.syn_flags, TcpFlags::SYN);
        assert!(!c.ecn_ok);
        assert_eq!((c.rtx.rto_ms, c.rtx.retrans_stamp), (1000, 1000));
        // Inherited timestamps (TIME_WAIT recycling): sized for 1448.
        let mut p = eth();
        p.ts_recent_stamp = 5;
        p.ts_recent = 77;
        let c = ClientSock::connect_init(&p, &ClientSysctls::DEFAULT, 0);
        assert_eq!(c.rcv_wnd, 65160);
        assert_eq!(
            syn_repr(&c, 0, &SynSysctls::DEFAULT).options.timestamp,
            Some((OFF, 77))
        );
        // TCP_MAXSEG becomes the clamp and the advertised MSS.
        let mut p = eth();
        p.user_mss = 1000;
        let c = ClientSock::connect_init(&p, &ClientSysctls::DEFAULT, 0);
        assert_eq!((c.advmss, c.mss_clamp, c.mss_cache), (1000, 1000, 988));
        // Loopback.
        let mut p = eth();
        p.route_advmss = 65495;
        p.route_mtu = 65536;
        let c = ClientSock::connect_init(&p, &ClientSysctls::DEFAULT, 0);
        assert_eq!((c.advmss, c.rcv_wnd, c.rcv_wscale), (65495, 65495, 7));
    }

    #[test]
    fn syn_bytes_match_linux() {
        let c = client();
        let s = syn_repr(&c, 0x2222_0000, &SynSysctls::DEFAULT);
        assert_eq!(s.window, 64240);
        assert_eq!(
            (s.seq, s.ack, s.flags),
            (SeqNum(ISS), SeqNum(0), TcpFlags::SYN)
        );
        let mut buf = [0u8; 60];
        let n = emit(&s, L, R, &[], &mut buf).unwrap();
        assert_eq!(n, 40);
        let tsval = 0x2222_0000u32.wrapping_add(OFF).to_be_bytes();
        let mut want = vec![0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a];
        want.extend_from_slice(&tsval);
        want.extend_from_slice(&[0, 0, 0, 0, 0x01, 0x03, 0x03, 0x07]);
        assert_eq!(&buf[20..40], &want[..]);
        assert_eq!(&buf[12..16], &[0xa0, 0x02, 0xfa, 0xf0]);
        // Sysctls off: MSS only.
        let off = SynSysctls {
            timestamps: 0,
            sack: false,
            window_scaling: false,
            ..SynSysctls::DEFAULT
        };
        let s = syn_repr(&c, 0, &off);
        assert_eq!(s.header_len(), 24);
        // SACK without timestamps: NOP NOP SACK_PERM.
        let s = syn_repr(
            &c,
            0,
            &SynSysctls {
                timestamps: 0,
                ..SynSysctls::DEFAULT
            },
        );
        let n = emit(&s, L, R, &[], &mut buf).unwrap();
        assert_eq!(&buf[20..n], &[2, 4, 5, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7]);
    }

    #[test]
    fn ecn_syn_and_fallback() {
        let s = ClientSysctls {
            ecn: 1,
            ..ClientSysctls::DEFAULT
        };
        let mut c = ClientSock::connect_init(&eth(), &s, 0);
        let ecn = TcpFlags::SYN | TcpFlags::ECE | TcpFlags::CWR;
        assert_eq!(syn_repr(&c, 0, &s.syn).flags, ecn);
        assert!(c.ecn_ok);
        // Retransmission drops ECE|CWR for good.
        assert_eq!(
            c.on_timer(&SynTimerCtx::syn_sent(1000)),
            SynTimerStep::Retransmit
        );
        assert!(c.ecn_queue_cwr);
        assert_eq!(c.retransmit_repr(1000, &s).flags, TcpFlags::SYN);
        assert_eq!(c.syn_flags, TcpFlags::SYN);
        // Without fallback they stay.
        let nf = ClientSysctls {
            ecn_fallback: false,
            ..s
        };
        let mut c = ClientSock::connect_init(&eth(), &nf, 0);
        assert_eq!(c.retransmit_repr(1000, &nf).flags, ecn);
        // Route feature.
        let mut p = eth();
        p.route_ecn = true;
        assert!(ClientSock::connect_init(&p, &ClientSysctls::DEFAULT, 0).ecn_ok);
    }

    #[test]
    fn established_from_linux_like_synack() {
        let mut c = client();
        // tsecr = our tsval at 1000 ms.
        let sa = seg(
            TcpFlags::SYN | TcpFlags::ACK,
            PEER,
            ISS + 1,
            synack_opts(1000 + OFF),
        );
        let ctx = SynSentCtx::new(1020, 50);
        let SynSentAction::Established(e) = synsent_rcv(&mut c, &sa, &ctx) else {
            panic!("not established");
        };
        let s = e.sock;
        assert_eq!(
            (s.snd_una, s.rcv_nxt, s.snd_wl1),
            (SeqNum(ISS + 1), SeqNum(PEER + 1), SeqNum(PEER))
        );
        assert_eq!((s.snd_wnd, s.max_window), (65160, 65160));
        assert_eq!((s.snd_wscale, s.rcv_wscale, s.wscale_ok), (7, 7, true));
        assert!(s.sack_ok && s.tstamp_ok);
        assert_eq!(
            (s.ts_recent, s.ts_offset, e.ts_recent_stamp),
            (0xabcd, OFF, 50)
        );
        assert_eq!((s.mss_clamp, s.advmss, s.tcp_header_len), (1460, 1448, 32));
        assert_eq!((e.mss_cache, e.rcv_mss), (1448, 536));
        // tcp_init_buffer_space() and the ACK's window.
        assert_eq!(
            (s.window_clamp, s.rcv_ssthresh, s.rcv_wnd),
            (64088, 64088, 64256)
        );
        assert_eq!((s.total_retrans, s.total_rto), (0, 0));
        assert!(!e.ecn_ok && !e.cwnd_one);
        let a = e.ack.unwrap();
        assert_eq!(
            (a.seq, a.ack, a.flags, a.window),
            (SeqNum(ISS + 1), SeqNum(PEER + 1), TcpFlags::ACK, 502)
        );
        assert_eq!(a.options.timestamp, Some((1020 + OFF, 0xabcd)));
        assert_eq!(a.header_len(), 32);
        assert_eq!(c.rtx.retrans_stamp, 0);
        // The parse round trip of a real wire SYN-ACK gives the same.
        let mut wire = [0u8; 60];
        let n = emit(&sa.repr(), R, L, &[], &mut wire).unwrap();
        let mut c2 = client();
        assert!(matches!(
            synsent_rcv(&mut c2, &parse(&wire[..n]).unwrap(), &ctx),
            SynSentAction::Established(e2) if e2 == e
        ));
    }

    #[test]
    fn synack_without_options() {
        let mut c = client();
        let sa = seg(
            TcpFlags::SYN | TcpFlags::ACK,
            PEER,
            ISS + 1,
            TcpOptions::new(),
        );
        let SynSentAction::Established(e) = synsent_rcv(&mut c, &sa, &SynSentCtx::new(1020, 50))
        else {
            panic!();
        };
        let s = e.sock;
        assert!(!s.wscale_ok && !s.sack_ok && !s.tstamp_ok);
        assert_eq!((s.snd_wscale, s.rcv_wscale), (0, 0));
        // No MSS option: 536; no timestamps: header 20, advmss stays.
        assert_eq!(
            (s.mss_clamp, s.advmss, s.tcp_header_len, e.mss_cache),
            (536, 1460, 20, 536)
        );
        // Clamp limited to 65535, then the buffer: 65535 >= 65536 is false,
        // one segment reserved: max(2920, 65536 - 1460).
        assert_eq!(s.window_clamp, 64076);
        let a = e.ack.unwrap();
        // Unscaled: the offered 64240 is above the free space (capped at
        // rcv_ssthresh 64076), so __tcp_select_window() picks
        // rounddown(64076, 536) = 63784; that would shrink the window, so
        // 64240 stays.
        assert_eq!(a.window, 64240);
        assert_eq!(a.options, TcpOptions::new());
        // Delayed ACK.
        let mut c = client();
        let ctx = SynSentCtx {
            delay_ack: true,
            ..SynSentCtx::new(1020, 50)
        };
        let SynSentAction::Established(e) = synsent_rcv(&mut c, &sa, &ctx) else {
            panic!();
        };
        assert_eq!((e.ack, e.sock.rcv_wnd), (None, 64240));
    }

    #[test]
    fn bad_acks_reset() {
        for ack in [ISS, ISS + 2, ISS.wrapping_sub(1), 0] {
            let mut c = client();
            let before = c;
            let a = synsent_rcv(
                &mut c,
                &seg(TcpFlags::SYN | TcpFlags::ACK, PEER, ack, synack_opts(0)),
                &SynSentCtx::new(1020, 5),
            );
            let SynSentAction::Reset {
                rst: Some(r),
                rearm_jiffies,
                paws,
            } = a
            else {
                panic!("{a:?}");
            };
            assert_eq!(
                (r.seq, r.flags, r.dst_port),
                (SeqNum(ack), TcpFlags::RST, 80)
            );
            assert_eq!((rearm_jiffies, paws), (Some(2), false));
            assert_eq!(c, before);
        }
        // RST with a bad ACK: no reset back, but the timer is still re-armed.
        let mut c = client();
        assert_eq!(
            synsent_rcv(
                &mut c,
                &seg(TcpFlags::RST | TcpFlags::ACK, 0, ISS, TcpOptions::new()),
                &SynSentCtx::new(1020, 5)
            ),
            SynSentAction::Reset {
                rst: None,
                rearm_jiffies: Some(2),
                paws: false
            }
        );
        // After a retransmission, no re-arm.
        let mut c = client();
        let _ = c.on_timer(&SynTimerCtx::syn_sent(2000));
        let a = synsent_rcv(
            &mut c,
            &seg(TcpFlags::ACK, 0, 5, TcpOptions::new()),
            &SynSentCtx::new(2020, 5),
        );
        assert!(matches!(
            a,
            SynSentAction::Reset {
                rearm_jiffies: None,
                ..
            }
        ));
    }

    #[test]
    fn paws_on_synack() {
        let ctx = SynSentCtx::new(1020, 5);
        let sa = |tsecr| {
            seg(
                TcpFlags::SYN | TcpFlags::ACK,
                PEER,
                ISS + 1,
                synack_opts(tsecr),
            )
        };
        // Echo older than our first SYN, or from the future: reset.
        for tsecr in [999 + OFF, 1021 + OFF] {
            let mut c = client();
            assert!(matches!(
                synsent_rcv(&mut c, &sa(tsecr), &ctx),
                SynSentAction::Reset {
                    paws: true,
                    rearm_jiffies: None,
                    rst: Some(_)
                }
            ));
        }
        // Bounds are inclusive; a 0 echo is not checked.
        for tsecr in [1000 + OFF, 1020 + OFF, 0] {
            let mut c = client();
            assert!(matches!(
                synsent_rcv(&mut c, &sa(tsecr), &ctx),
                SynSentAction::Established(_)
            ));
        }
        // With tcp_timestamps = 0 the option is ignored entirely.
        let mut c = client();
        let mut ctx0 = ctx;
        ctx0.sysctls.syn.timestamps = 0;
        let SynSentAction::Established(e) = synsent_rcv(&mut c, &sa(5), &ctx0) else {
            panic!();
        };
        assert!(!e.sock.tstamp_ok);
    }

    #[test]
    fn rst_and_other_flags() {
        let ctx = SynSentCtx::new(1020, 5);
        let mut c = client();
        assert_eq!(
            synsent_rcv(
                &mut c,
                &seg(TcpFlags::RST | TcpFlags::ACK, 0, ISS + 1, TcpOptions::new()),
                &ctx
            ),
            SynSentAction::Refused
        );
        assert_eq!(
            synsent_rcv(&mut c, &seg(TcpFlags::RST, 0, 0, TcpOptions::new()), &ctx),
            SynSentAction::Drop
        );
        assert_eq!(
            synsent_rcv(
                &mut c,
                &seg(TcpFlags::ACK, 0, ISS + 1, TcpOptions::new()),
                &ctx
            ),
            SynSentAction::Drop
        );
        assert_eq!(
            synsent_rcv(&mut c, &seg(TcpFlags::FIN, 0, 0, TcpOptions::new()), &ctx),
            SynSentAction::Drop
        );
        assert_eq!(
            synsent_rcv(
                &mut c,
                &seg(TcpFlags::empty(), 0, 0, TcpOptions::new()),
                &ctx
            ),
            SynSentAction::Drop
        );
        assert_eq!(c, client());
        // RST|SYN without ACK: dropped as an RST.
        assert_eq!(
            synsent_rcv(
                &mut c,
                &seg(TcpFlags::RST | TcpFlags::SYN, 0, 0, TcpOptions::new()),
                &ctx
            ),
            SynSentAction::Drop
        );
    }

    #[test]
    fn simultaneous_open() {
        let mut c = client();
        let syn = seg(TcpFlags::SYN, PEER, 0, synack_opts(0));
        let a = synsent_rcv(&mut c, &syn, &SynSentCtx::new(1500, 7));
        let SynSentAction::SynRecv(r) = a else {
            panic!("{a:?}");
        };
        assert_eq!(c.state, ClientState::SynRecv);
        assert_eq!(
            (r.seq, r.ack, r.flags),
            (SeqNum(ISS), SeqNum(PEER + 1), TcpFlags::SYN | TcpFlags::ACK)
        );
        assert_eq!(r.window, 64240);
        assert_eq!(r.options.timestamp, Some((1500 + OFF, 0xabcd)));
        assert_eq!(
            (r.options.mss, r.options.wscale, r.options.sack_perm),
            (Some(1460), Some(7), true)
        );
        assert_eq!(
            (c.snd_wnd, c.max_window, c.snd_wl1),
            (65160, 65160, SeqNum(PEER))
        );
        assert!(c.tstamp_ok && c.wscale_ok && c.sack_ok);
        assert_eq!(
            (c.ts_recent, c.ts_recent_stamp, c.mss_clamp),
            (0xabcd, 7, 1460)
        );
        // A second segment is not for synsent_rcv any more.
        assert_eq!(
            synsent_rcv(&mut c, &syn, &SynSentCtx::new(1500, 7)),
            SynSentAction::Drop
        );
        // ECN: kept only when the SYN had ECE|CWR.
        let s = ClientSysctls {
            ecn: 1,
            ..ClientSysctls::DEFAULT
        };
        let ctx = SynSentCtx {
            sysctls: s,
            ..SynSentCtx::new(1500, 7)
        };
        let mut c = ClientSock::connect_init(&eth(), &s, 1000);
        let mut e = syn;
        e.flags = TcpFlags::SYN | TcpFlags::ECE | TcpFlags::CWR;
        let SynSentAction::SynRecv(r) = synsent_rcv(&mut c, &e, &ctx) else {
            panic!();
        };
        assert_eq!(r.flags, TcpFlags::SYN | TcpFlags::ACK | TcpFlags::ECE);
        let mut c = ClientSock::connect_init(&eth(), &s, 1000);
        let SynSentAction::SynRecv(r) = synsent_rcv(&mut c, &syn, &ctx) else {
            panic!();
        };
        assert_eq!(r.flags, TcpFlags::SYN | TcpFlags::ACK);
    }

    #[test]
    fn paws_on_crossed_syn_with_inherited_ts() {
        let mut p = eth();
        p.ts_recent = 1_000_000;
        p.ts_recent_stamp = 100;
        let mut c = ClientSock::connect_init(&p, &ClientSysctls::DEFAULT, 0);
        let mut o = synack_opts(0);
        o.timestamp = Some((999_999, 0));
        let syn = seg(TcpFlags::SYN, PEER, 0, o);
        assert_eq!(
            synsent_rcv(&mut c, &syn, &SynSentCtx::new(0, 110)),
            SynSentAction::Drop
        );
        // 24.8 days later ts_recent is too old to trust.
        assert!(matches!(
            synsent_rcv(&mut c, &syn, &SynSentCtx::new(0, 100 + 2147)),
            SynSentAction::SynRecv(_)
        ));
    }

    #[test]
    fn retransmitted_syn_then_synack() {
        let mut c = client();
        // Two timeouts: undo marker = ISS, two retransmissions.
        for now in [2000, 3000] {
            let t = SynTimerCtx::syn_sent(now);
            assert_eq!(c.on_timer(&t), SynTimerStep::Retransmit);
            let r = c.retransmit_repr(now, &ClientSysctls::DEFAULT);
            assert_eq!(r.options.timestamp, Some((now + OFF, 0)));
            assert_eq!(c.rtx.after_retransmit(false, &t), 1000);
        }
        assert_eq!((c.rtx.undo_marker, c.rtx.total_retrans), (ISS, 2));
        // SYN-ACK echoing the last retransmission: cwnd restarts at 1.
        let sa = seg(
            TcpFlags::SYN | TcpFlags::ACK,
            PEER,
            ISS + 1,
            synack_opts(3000 + OFF),
        );
        let mut c1 = c;
        let SynSentAction::Established(e) = synsent_rcv(&mut c1, &sa, &SynSentCtx::new(3010, 9))
        else {
            panic!();
        };
        assert!(e.cwnd_one);
        assert_eq!((e.sock.total_retrans, e.sock.total_rto), (2, 2));
        // Echoing the original SYN: the timeout was spurious.
        let sa = seg(
            TcpFlags::SYN | TcpFlags::ACK,
            PEER,
            ISS + 1,
            synack_opts(1000 + OFF),
        );
        let SynSentAction::Established(e) = synsent_rcv(&mut c, &sa, &SynSentCtx::new(3010, 9))
        else {
            panic!();
        };
        assert!(!e.cwnd_one);
    }

    #[test]
    fn mss_helpers() {
        let mut c = client();
        // Tiny peer window bounds the MSS to half of it.
        c.max_window = 1000;
        c.mss_clamp = 1460;
        assert_eq!(c.sync_mss(1500, 48), 500);
        c.max_window = 400;
        assert_eq!(c.sync_mss(1500, 48), 400);
        c.max_window = 40;
        // max(cutoff, 68 - 32)
        assert_eq!(c.sync_mss(1500, 48), 40);
        c.max_window = 20;
        assert_eq!(c.sync_mss(1500, 48), 36);
        // Tiny MTU: tcp_min_snd_mss floor, then options.
        c.max_window = 0;
        assert_eq!(c.sync_mss(68, 48), 36);
        // MTU probing from the start: search_low = 1024 + 32 + 20.
        let s = ClientSysctls {
            mtu_probing: 2,
            ..ClientSysctls::DEFAULT
        };
        let mut p = eth();
        p.user_mss = 9000;
        p.route_mtu = 9000;
        p.route_advmss = 8960;
        let c = ClientSock::connect_init(&p, &s, 0);
        assert_eq!(c.mtup_search_low, 1076);
        assert_eq!(c.mss_cache, 1024);
        // advertise_mss only lowers.
        let mut c = client();
        assert_eq!(c.advertise_mss(9000), 1460);
        assert_eq!(c.advertise_mss(1400), 1400);
        assert_eq!(c.advertise_mss(10), 88);
    }

    #[test]
    fn write_seq_helpers() {
        assert_eq!(connect_write_seq(SeqNum(0), 5), SeqNum(5));
        assert_eq!(connect_write_seq(SeqNum(9), 5), SeqNum(9));
        assert_eq!(disconnect_write_seq(SeqNum(100), 65535), SeqNum(65637));
        assert_eq!(disconnect_write_seq(SeqNum(u32::MAX - 1), 0), SeqNum(1));
        assert!(connect_resets_inherited(1, L, R));
        assert!(!connect_resets_inherited(0, L, R));
        assert!(!connect_resets_inherited(1, R, R));
    }
}
