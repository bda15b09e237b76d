// SPDX-License-Identifier: GPL-2.0

//! Passive-open input processing from net/ipv4/tcp_input.c: what a
//! listener does with a segment (`tcp_rcv_state_process()` in LISTEN),
//! whether a SYN is admitted (`tcp_conn_request()`), which options it
//! negotiates (`tcp_parse_options()` on a SYN) and the request socket it
//! creates (`tcp_openreq_init()` + `tcp_openreq_init_rwin()`), plus the
//! rate limiters used when replying to out-of-window segments. Its
//! parameters ([`SynSysctls`], [`ListenerParams`]) are in
//! [`super::tcp_params`].

use super::inet_connection_sock::{reqsk_queue_is_full, sk_acceptq_is_full, TCP_TIMEOUT_INIT_MS};
use super::request_sock::RequestSock;
use super::seq::SeqNum;
use super::tcp_hdr::{TcpFlags, TcpSegment};
use super::tcp_params::{ListenerParams, SynSysctls, TCP_MIN_MSS, TCP_MSS_DEFAULT};
use super::tcp_window::openreq_init_rwin;

/// Linux `tcp_dst_advmss(dst)`: the route's advertised MSS, at least
/// [`TCP_MIN_MSS`].
#[inline]
pub const fn tcp_dst_advmss(route_advmss: u32) -> u32 {
    if route_advmss > TCP_MIN_MSS {
        route_advmss
    } else {
        TCP_MIN_MSS
    }
}

/// Linux `tcp_mss_clamp(tp, mss)`: `mss` lowered to TCP_MAXSEG when that
/// is set and smaller.
#[inline]
pub const fn tcp_mss_clamp(user_mss: u16, mss: u16) -> u16 {
    if user_mss != 0 && user_mss < mss {
        user_mss
    } else {
        mss
    }
}

/// The MSS we advertise to a peer reached through a route with
/// `route_advmss`: `tcp_mss_clamp(tp, tcp_dst_advmss(dst))` as in
/// `tcp_make_synack()`/`tcp_openreq_init_rwin()` (the `u32` is narrowed to
/// the `u16` parameter as in C).
#[inline]
pub const fn advertised_mss(user_mss: u16, route_advmss: u32) -> u16 {
    tcp_mss_clamp(user_mss, tcp_dst_advmss(route_advmss) as u16)
}

/// The options of a SYN (or SYN-ACK) as `tcp_parse_options(..., estab = 0)`
/// records them in `struct tcp_options_received`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynOptions {
    /// `mss_clamp`: the MSS option if non-zero (and the SYN bit is set),
    /// lowered to `user_mss`; else [`TCP_MSS_DEFAULT`].
    pub mss_clamp: u16,
    /// A timestamp option was seen and `tcp_timestamps != 0`.
    pub saw_tstamp: bool,
    /// `rcv_tsval` (0 unless `saw_tstamp`).
    pub tsval: u32,
    /// `rcv_tsecr` (0 unless `saw_tstamp`).
    pub tsecr: u32,
    /// A window scale option on a SYN with `tcp_window_scaling` on.
    pub wscale_ok: bool,
    /// The peer's scale, clamped to 14 (0 unless `wscale_ok`).
    pub snd_wscale: u8,
    /// SACK-permitted on a SYN with `tcp_sack` on.
    pub sack_ok: bool,
}

/// `tcp_clear_options()` + `tmp_opt.mss_clamp = af_ops->mss_clamp` +
/// `tcp_parse_options(net, skb, &tmp_opt, 0, ...)` with `tmp_opt.user_mss`
/// set, as `tcp_conn_request()` runs them.
///
/// MSS, window scale and SACK-permitted only count when the segment has the
/// SYN bit; timestamps whenever `tcp_timestamps` is non-zero. (The header
/// parser already clamps the window scale to 14 and keeps the last copy of
/// a repeated option, as Linux does.)
pub fn parse_syn_options(seg: &TcpSegment<'_>, user_mss: u16, sysctls: &SynSysctls) -> SynOptions {
    let syn = seg.flags.contains(TcpFlags::SYN);
    let o = &seg.options;
    let mut mss_clamp = TCP_MSS_DEFAULT;
    if let (true, Some(in_mss)) = (syn, o.mss) {
        if in_mss != 0 {
            mss_clamp = tcp_mss_clamp(user_mss, in_mss);
        }
    }
    let (wscale_ok, snd_wscale) = match (syn && sysctls.window_scaling, o.wscale) {
        (true, Some(ws)) => (true, ws),
        _ => (false, 0),
    };
    let (saw_tstamp, tsval, tsecr) = match (sysctls.timestamps != 0, o.timestamp) {
        (true, Some((v, e))) => (true, v, e),
        _ => (false, 0, 0),
    };
    SynOptions {
        mss_clamp,
        saw_tstamp,
        tsval,
        tsecr,
        wscale_ok,
        snd_wscale,
        sack_ok: syn && sysctls.sack && o.sack_perm,
    }
}

impl RequestSock {
    /// The request socket `tcp_conn_request()` creates for the SYN `seg`
    /// (non-cookie, non-Fast-Open path), from `rmt_addr` to our
    /// `loc_addr`.
    ///
    /// Mirrors: option negotiation of [`parse_syn_options`]
    /// (`tmp_opt.tstamp_ok = tmp_opt.saw_tstamp`); `tcp_openreq_init()`
    /// (`rcv_isn = seq`, `ts_recent = tsval` when seen, `req->mss =
    /// mss_clamp`, `acked = ecn_ok = 0`); `ts_off` kept only with
    /// timestamps (pass `secure_tcp_seq_and_ts_off().ts_off`); `snt_isn`
    /// (pass its `seq`); and `tcp_openreq_init_rwin()` for the window, clamp
    /// and our scale (window sized for `mss - 12` with timestamps).
    ///
    /// ECN is never negotiated here (`ecn_ok = false`); BPF hooks and
    /// TCP_SAVE_SYN are not modelled.
    pub fn from_syn(
        seg: &TcpSegment<'_>,
        loc_addr: [u8; 4],
        rmt_addr: [u8; 4],
        listener: &ListenerParams,
        sysctls: &SynSysctls,
        snt_isn: SeqNum,
        ts_off: u32,
    ) -> Self {
        let opt = parse_syn_options(seg, listener.user_mss, sysctls);
        let tstamp_ok = opt.saw_tstamp;
        let mss = advertised_mss(listener.user_mss, listener.route_advmss);
        let win = openreq_init_rwin(listener, sysctls, mss, tstamp_ok, opt.wscale_ok);
        Self {
            loc_addr,
            rmt_addr,
            loc_port: seg.dst_port,
            rmt_port: seg.src_port,
            rcv_isn: seg.seq,
            snt_isn,
            mss,
            peer_mss: opt.mss_clamp,
            snd_wscale: opt.snd_wscale,
            rcv_wscale: win.rcv_wscale,
            wscale_ok: opt.wscale_ok,
            sack_ok: opt.sack_ok,
            tstamp_ok,
            ecn_ok: false,
            ts_recent: if opt.saw_tstamp { opt.tsval } else { 0 },
            // `if (tmp_opt.tstamp_ok) tcp_rsk(req)->ts_off = st.ts_off;`
            ts_off: if tstamp_ok { ts_off } else { 0 },
            rcv_wnd: win.rcv_wnd,
            window_clamp: win.window_clamp,
            num_retrans: 0,
            num_timeout: 0,
            acked: false,
            last_oow_ack_time: 0,
            timeout_ms: TCP_TIMEOUT_INIT_MS,
        }
    }
}

/// Linux `tcp_ecn_create_request()`: whether a request answers an ECN
/// setup SYN (ECE and CWR both set) with ECE. `ect` is "the SYN's IP
/// header carried ECT(0)/ECT(1)/CE", `res1` the SYN's reserved header bits
/// (non-zero means AccECN), `tcp_ecn` the sysctl (default 2), `route_ecn`
/// the route's `features ecn` flag. Congestion-control and BPF demands for
/// ECN are not modelled.
pub fn ecn_create_request(
    syn_flags: TcpFlags,
    res1: u8,
    ect: bool,
    tcp_ecn: u8,
    route_ecn: bool,
) -> bool {
    if !syn_flags.contains(TcpFlags::ECE | TcpFlags::CWR) {
        return false;
    }
    let ecn_ok = tcp_ecn != 0 || route_ecn;
    (!ect || res1 != 0) && ecn_ok
}

/// What `tcp_conn_request()` does with a SYN before allocating anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Create a request socket and send a SYN-ACK.
    Accept,
    /// Answer with a syncookie SYN-ACK and keep no state
    /// (`LINUX_MIB_TCPREQQFULLDOCOOKIES` when the queue was full).
    Cookie,
    /// SYN queue full and syncookies off: drop
    /// (`LINUX_MIB_TCPREQQFULLDROP`, then ListenDrops).
    DropSynQueueFull,
    /// Accept queue full: drop (ListenOverflows, then ListenDrops).
    DropAcceptQueueFull,
    /// Syncookies off and the last quarter of `tcp_max_syn_backlog` is
    /// reserved for peers proven alive (ListenDrops).
    DropReservedForProven,
}

/// The admission checks of `tcp_conn_request()` (6.12), in order.
///
/// * `syn_queue_len`: `inet_csk_reqsk_queue_len()`; `max_ack_backlog`: the
///   listen backlog; `accept_queue_len`: `sk_ack_backlog`.
/// * `syncookies`: `net.ipv4.tcp_syncookies` (0, 1, 2).
/// * `max_syn_backlog`: `net.ipv4.tcp_max_syn_backlog` (an `int` in Linux;
///   the bits are reinterpreted as such).
/// * `peer_proven`: `tcp_peer_is_proven(req, dst)` (TCP metrics know the
///   peer); only consulted in the reserved-quarter check.
/// * `from_timewait`: the SYN reopened a TIME_WAIT connection
///   (`TCP_SKB_CB(skb)->tcp_tw_isn != 0`): the SYN-queue limit, cookies
///   and the reserved quarter are skipped, the accept-queue limit is not.
///
/// Order: SYN queue full (`qlen > backlog`) or `syncookies == 2` → cookie
/// if `syncookies != 0`, else drop; then accept queue full (`len >
/// backlog`) drops even a cookie; then, without cookies, the reserved
/// quarter: `max_syn_backlog - qlen < max_syn_backlog / 4` drops unless the
/// peer is proven.
pub fn conn_request_admission(
    syn_queue_len: u32,
    max_ack_backlog: u32,
    accept_queue_len: u32,
    syncookies: u8,
    max_syn_backlog: u32,
    peer_proven: bool,
    from_timewait: bool,
) -> Admission {
    let mut want_cookie = false;
    if !from_timewait && (syncookies == 2 || reqsk_queue_is_full(syn_queue_len, max_ack_backlog)) {
        // tcp_syn_flood_action(): cookies whenever the sysctl is non-zero.
        if syncookies == 0 {
            return Admission::DropSynQueueFull;
        }
        want_cookie = true;
    }
    if sk_acceptq_is_full(accept_queue_len, max_ack_backlog) {
        return Admission::DropAcceptQueueFull;
    }
    if !want_cookie && !from_timewait {
        // int arithmetic: `max_syn_backlog - inet_csk_reqsk_queue_len(sk) <
        // (max_syn_backlog >> 2)`.
        let max = i64::from(max_syn_backlog as i32);
        let qlen = i64::from(syn_queue_len as i32);
        if syncookies == 0 && max - qlen < (max >> 2) && !peer_proven {
            return Admission::DropReservedForProven;
        }
    }
    if want_cookie {
        Admission::Cookie
    } else {
        Admission::Accept
    }
}

/// What a listening socket does with a segment that matched no request or
/// established socket (`tcp_rcv_state_process()`, case `TCP_LISTEN`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListenAction {
    /// An ACK: `tcp_v4_do_rcv()` answers with a reset
    /// ([`super::tcp_ipv4::rst_for`]). With syncookies, an ACK arriving
    /// shortly after a SYN-queue overflow is first tried as a cookie
    /// (`tcp_v4_cookie_check()`), which is not modelled here.
    SendRst,
    /// Dropped silently: RST, SYN+FIN, or no SYN at all.
    Discard,
    /// A SYN: run `conn_request` ([`conn_request_admission`] and
    /// [`RequestSock::from_syn`]); SYNs to broadcast/multicast routes are
    /// dropped first by `tcp_v4_conn_request()`.
    ConnRequest,
}

/// `tcp_rcv_state_process()` for a listener: ACK first, then RST, then SYN
/// (refusing SYN+FIN).
pub fn listen_rcv(flags: TcpFlags) -> ListenAction {
    if flags.contains(TcpFlags::ACK) {
        ListenAction::SendRst
    } else if flags.contains(TcpFlags::RST) {
        ListenAction::Discard
    } else if flags.contains(TcpFlags::SYN) {
        if flags.contains(TcpFlags::FIN) {
            ListenAction::Discard
        } else {
            ListenAction::ConnRequest
        }
    } else {
        ListenAction::Discard
    }
}

/// Linux `__tcp_oow_rate_limited()`: true (do not reply) when a reply was
/// sent less than `ratelimit` ago; otherwise records `now` in `last` and
/// returns false. `now`, `*last` and `ratelimit` share one clock
/// (`tcp_jiffies32` and `net.ipv4.tcp_invalid_ratelimit`, default 500 ms);
/// `*last == 0` means "never".
pub fn oow_rate_limited_raw(last: &mut u32, now: u32, ratelimit: u32) -> bool {
    if *last != 0 {
        let elapsed = now.wrapping_sub(*last) as i32;
        if 0 <= elapsed && (elapsed as u32) < ratelimit {
            return true;
        }
    }
    *last = now;
    false
}

/// Linux `tcp_oow_rate_limited()`: like [`oow_rate_limited_raw`], except
/// that data segments without SYN are never limited ("not likely part of
/// an ACK loop") and then leave `last` alone.
pub fn oow_rate_limited(seg: &TcpSegment<'_>, last: &mut u32, now: u32, ratelimit: u32) -> bool {
    let has_data = seg.seq_len() != 0;
    if has_data && !seg.flags.contains(TcpFlags::SYN) {
        return false;
    }
    oow_rate_limited_raw(last, now, ratelimit)
}

/// The per-namespace RFC 5961 challenge-ACK budget
/// (`net->ipv4.tcp_challenge_timestamp` / `tcp_challenge_count`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChallengeAckQuota {
    /// Second of the current budget (`jiffies / HZ`).
    pub timestamp: u32,
    /// Challenge ACKs left in this second.
    pub count: u32,
}

impl ChallengeAckQuota {
    /// Linux `tcp_challenge_ack_allowed()`: `ack_limit` is
    /// `net.ipv4.tcp_challenge_ack_limit` (default `INT_MAX`, meaning
    /// unlimited), `now_secs` is `jiffies / HZ`, `rand` stands for
    /// `get_random_u32()`. Each new second draws a budget uniformly in
    /// `[limit/2, limit*3/2)` (rounded as Linux does).
    pub fn allowed(
        &mut self,
        ack_limit: u32,
        now_secs: u32,
        mut rand: impl FnMut() -> u32,
    ) -> bool {
        if ack_limit == i32::MAX as u32 {
            return true;
        }
        if now_secs != self.timestamp {
            let half = (ack_limit.wrapping_add(1)) >> 1;
            self.timestamp = now_secs;
            // get_random_u32_inclusive(half, ack_limit + half - 1)
            let ceil = ack_limit.wrapping_add(half).wrapping_sub(1);
            let span = ceil.wrapping_sub(half).wrapping_add(1);
            self.count = half.wrapping_add(super::inet_connection_sock::random_u32_below(
                span, &mut rand,
            ));
        }
        if self.count > 0 {
            self.count -= 1;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tcp_hdr::{parse, TcpOptions};
    use super::*;

    fn syn(options: TcpOptions) -> TcpSegment<'static> {
        TcpSegment {
            src_port: 40000,
            dst_port: 5555,
            seq: SeqNum(0x0d25_6c95),
            ack: SeqNum(0),
            flags: TcpFlags::SYN,
            window: 64240,
            checksum: 0,
            urgent: 0,
            header_len: 40,
            options,
            payload: &[],
        }
    }

    fn full_opts() -> TcpOptions {
        TcpOptions {
            mss: Some(1460),
            wscale: Some(10),
            sack_perm: true,
            timestamp: Some((0x210a_d2cf, 0)),
            ..TcpOptions::new()
        }
    }

    fn eth_listener() -> ListenerParams {
        ListenerParams {
            route_advmss: 1460,
            full_space: 65536,
            ..ListenerParams::default()
        }
    }

    #[test]
    fn option_negotiation() {
        let s = SynSysctls::DEFAULT;
        let o = parse_syn_options(&syn(full_opts()), 0, &s);
        assert_eq!(
            o,
            SynOptions {
                mss_clamp: 1460,
                saw_tstamp: true,
                tsval: 0x210a_d2cf,
                tsecr: 0,
                wscale_ok: true,
                snd_wscale: 10,
                sack_ok: true
            }
        );
        // Sysctls off.
        let off = SynSysctls {
            timestamps: 0,
            sack: false,
            window_scaling: false,
            ..s
        };
        let o = parse_syn_options(&syn(full_opts()), 0, &off);
        assert!(!o.saw_tstamp && !o.sack_ok && !o.wscale_ok);
        assert_eq!((o.snd_wscale, o.tsval), (0, 0));
        // No MSS, or MSS 0: 536. user_mss lowers a present MSS only.
        let mut opts = full_opts();
        opts.mss = None;
        assert_eq!(parse_syn_options(&syn(opts), 100, &s).mss_clamp, 536);
        opts.mss = Some(0);
        assert_eq!(parse_syn_options(&syn(opts), 0, &s).mss_clamp, 536);
        assert_eq!(
            parse_syn_options(&syn(full_opts()), 1000, &s).mss_clamp,
            1000
        );
        assert_eq!(
            parse_syn_options(&syn(full_opts()), 2000, &s).mss_clamp,
            1460
        );
        // Without the SYN bit only the timestamp counts.
        let mut seg = syn(full_opts());
        seg.flags = TcpFlags::ACK;
        let o = parse_syn_options(&seg, 0, &s);
        assert_eq!(
            (o.mss_clamp, o.wscale_ok, o.sack_ok, o.saw_tstamp),
            (536, false, false, true)
        );
    }

    #[test]
    fn request_from_real_linux_syn() {
        // The SYN of tcp_hdr.rs's tests, as captured from Linux.
        let wire = [
            0xbb, 0x08, 0x15, 0xb3, 0x0d, 0x25, 0x6c, 0x95, 0, 0, 0, 0, 0xa0, 0x02, 0xfa, 0xf0,
            0xfa, 0x1f, 0, 0, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x21, 0x0a, 0xd2,
            0xcf, 0, 0, 0, 0, 0x01, 0x03, 0x03, 0x0a,
        ];
        let seg = parse(&wire).unwrap();
        let r = RequestSock::from_syn(
            &seg,
            [10, 77, 0, 2],
            [10, 77, 0, 1],
            &eth_listener(),
            &SynSysctls::DEFAULT,
            SeqNum(0x6247_1c6b),
            0xabcd,
        );
        assert_eq!((r.loc_port, r.rmt_port), (5555, 0xbb08));
        assert_eq!(r.rcv_isn, SeqNum(0x0d25_6c95));
        assert_eq!(r.snt_isn, SeqNum(0x6247_1c6b));
        assert_eq!((r.mss, r.peer_mss), (1460, 1460));
        assert!(r.wscale_ok && r.sack_ok && r.tstamp_ok && !r.ecn_ok);
        assert_eq!((r.snd_wscale, r.rcv_wscale), (10, 7));
        assert_eq!((r.ts_recent, r.ts_off), (0x210a_d2cf, 0xabcd));
        assert_eq!(r.rcv_wnd, 65160);
        assert_eq!(r.window_clamp, 65535 << 7);
        assert_eq!((r.num_retrans, r.num_timeout, r.acked), (0, 0, false));
        assert_eq!(r.timeout_ms, 1000);
    }

    #[test]
    fn request_without_options() {
        let r = RequestSock::from_syn(
            &syn(TcpOptions::new()),
            [1, 1, 1, 1],
            [2, 2, 2, 2],
            &eth_listener(),
            &SynSysctls::DEFAULT,
            SeqNum(1),
            0xabcd,
        );
        assert_eq!(r.peer_mss, 536);
        assert!(!r.wscale_ok && !r.sack_ok && !r.tstamp_ok);
        assert_eq!((r.rcv_wscale, r.ts_off, r.ts_recent), (0, 0, 0));
        // No timestamps: window in whole 1460-byte segments, clamp 65535.
        assert_eq!(r.rcv_wnd, 64240);
        assert_eq!(r.window_clamp, 65535);
    }

    #[test]
    fn user_mss_and_route() {
        let mut l = eth_listener();
        l.user_mss = 1000;
        let r = RequestSock::from_syn(
            &syn(full_opts()),
            [1, 1, 1, 1],
            [2, 2, 2, 2],
            &l,
            &SynSysctls::DEFAULT,
            SeqNum(1),
            0,
        );
        assert_eq!((r.mss, r.peer_mss), (1000, 1000));
        assert_eq!(r.rcv_wnd, 65536 / 988 * 988);
        assert_eq!(advertised_mss(0, 40), 88);
        assert_eq!(advertised_mss(0, 65495), 65495);
        assert_eq!(advertised_mss(536, 65495), 536);
    }

    #[test]
    fn ecn_decision() {
        let ec = TcpFlags::SYN | TcpFlags::ECE | TcpFlags::CWR;
        assert!(ecn_create_request(ec, 0, false, 2, false));
        assert!(!ecn_create_request(ec, 0, true, 2, false));
        assert!(ecn_create_request(ec, 1, true, 2, false));
        assert!(!ecn_create_request(ec, 0, false, 0, false));
        assert!(ecn_create_request(ec, 0, false, 0, true));
        assert!(!ecn_create_request(
            TcpFlags::SYN | TcpFlags::ECE,
            0,
            false,
            1,
            false
        ));
    }

    #[test]
    fn admission_order() {
        use Admission::*;
        let a = conn_request_admission;
        // Normal.
        assert_eq!(a(0, 128, 0, 1, 1024, false, false), Accept);
        // SYN queue full (qlen > backlog): cookie or drop.
        assert_eq!(a(128, 128, 0, 1, 1024, false, false), Accept);
        assert_eq!(a(129, 128, 0, 1, 1024, false, false), Cookie);
        assert_eq!(a(129, 128, 0, 0, 1024, false, false), DropSynQueueFull);
        // syncookies = 2: always cookies.
        assert_eq!(a(0, 128, 0, 2, 1024, false, false), Cookie);
        // Accept queue full (len > backlog) drops, even a cookie.
        assert_eq!(a(0, 128, 129, 1, 1024, false, false), DropAcceptQueueFull);
        assert_eq!(a(0, 128, 128, 1, 1024, false, false), Accept);
        assert_eq!(a(500, 128, 129, 2, 1024, false, false), DropAcceptQueueFull);
        // SYN-queue drop is decided before the accept queue.
        assert_eq!(a(129, 128, 129, 0, 1024, false, false), DropSynQueueFull);
        // Reserved quarter: only with syncookies = 0.
        // 1024 - 769 = 255 < 256 -> reserved.
        assert_eq!(
            a(769, 4096, 0, 0, 1024, false, false),
            DropReservedForProven
        );
        assert_eq!(a(769, 4096, 0, 0, 1024, true, false), Accept);
        assert_eq!(a(768, 4096, 0, 0, 1024, false, false), Accept);
        assert_eq!(a(769, 4096, 0, 1, 1024, false, false), Accept);
        // From TIME_WAIT: queue limit, cookies and reserve skipped.
        assert_eq!(a(5000, 128, 0, 2, 1024, false, true), Accept);
        assert_eq!(a(5000, 128, 0, 0, 1024, false, true), Accept);
        assert_eq!(a(0, 128, 129, 0, 1024, false, true), DropAcceptQueueFull);
        // Odd sysctl values do not overflow.
        assert_eq!(a(u32::MAX, u32::MAX, 0, 0, u32::MAX, false, false), Accept);
        assert_eq!(a(0, 0, 0, 0, 0, false, false), Accept);
        assert_eq!(a(1, 1, 0, 0, 0, false, false), DropReservedForProven);
    }

    #[test]
    fn listen_actions() {
        use ListenAction::*;
        assert_eq!(listen_rcv(TcpFlags::SYN), ConnRequest);
        assert_eq!(listen_rcv(TcpFlags::SYN | TcpFlags::PSH), ConnRequest);
        assert_eq!(listen_rcv(TcpFlags::SYN | TcpFlags::FIN), Discard);
        assert_eq!(listen_rcv(TcpFlags::SYN | TcpFlags::ACK), SendRst);
        assert_eq!(listen_rcv(TcpFlags::ACK | TcpFlags::RST), SendRst);
        assert_eq!(listen_rcv(TcpFlags::RST | TcpFlags::SYN), Discard);
        assert_eq!(listen_rcv(TcpFlags::FIN), Discard);
        assert_eq!(listen_rcv(TcpFlags::empty()), Discard);
    }

    #[test]
    fn rate_limit() {
        let mut last = 0;
        assert!(!oow_rate_limited_raw(&mut last, 1000, 500));
        assert_eq!(last, 1000);
        assert!(oow_rate_limited_raw(&mut last, 1499, 500));
        assert_eq!(last, 1000);
        assert!(!oow_rate_limited_raw(&mut last, 1500, 500));
        assert_eq!(last, 1500);
        // Clock going backwards (negative elapsed) is not limited.
        assert!(!oow_rate_limited_raw(&mut last, 1400, 500));
        // Data without SYN is exempt and does not touch `last`.
        let data = [1u8, 2, 3];
        let mut seg = syn(TcpOptions::new());
        seg.flags = TcpFlags::ACK;
        seg.payload = &data;
        let mut last = 1400;
        assert!(!oow_rate_limited(&seg, &mut last, 1401, 500));
        assert_eq!(last, 1400);
        seg.payload = &[];
        assert!(oow_rate_limited(&seg, &mut last, 1401, 500));
    }

    #[test]
    fn challenge_quota() {
        let mut q = ChallengeAckQuota::default();
        assert!(q.allowed(i32::MAX as u32, 5, || 0));
        assert_eq!(q, ChallengeAckQuota::default());
        // limit 4: half 2, budget in [2, 5]; draw 1 -> 0 -> budget 2.
        assert!(q.allowed(4, 7, || 1));
        assert!(q.allowed(4, 7, || 1));
        assert!(!q.allowed(4, 7, || 1));
        // Next second: new budget. u32::MAX draw -> 3 -> budget 5.
        for _ in 0..5 {
            assert!(q.allowed(4, 8, || u32::MAX));
        }
        assert!(!q.allowed(4, 8, || u32::MAX));
        // limit 0: Linux draws get_random_u32_inclusive(0, U32_MAX), i.e. a
        // raw u32 budget.
        let mut q = ChallengeAckQuota::default();
        assert!(q.allowed(0, 1, || 1));
        assert!(!q.allowed(0, 1, || 1));
    }
}
