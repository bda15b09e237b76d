// SPDX-License-Identifier: GPL-2.0

//! The first checks every segment to a synchronised connection passes, from
//! net/ipv4/tcp_input.c: `tcp_validate_incoming()` with PAWS
//! (`tcp_paws_discard()`, `tcp_disordered_ack()`), the sequence window
//! (`tcp_sequence()`), RST handling per RFC 5961 3.2 (`tcp_reset_check()`,
//! the right-most SACK block, `tcp_reset()`), SYN handling per RFC 5961 4.2
//! and the replies they cause: the duplicate ACK (`tcp_send_dupack()`,
//! rate-limited by `tcp_oow_rate_limited()`) and the challenge ACK
//! (`tcp_send_challenge_ack()`: per-socket `__tcp_oow_rate_limited()`, then
//! the per-netns `tcp_challenge_ack_allowed()` budget).
//!
//! [`validate_incoming`] returns one [`Validate`] action; the segment goes on
//! to `tcp_ack()` only on [`Validate::Accept`].
//!
//! # Clocks
//!
//! `now` (rate limits) is `tcp_jiffies32` in the unit of
//! `net.ipv4.tcp_invalid_ratelimit` (milliseconds here, i.e. jiffies at
//! HZ = 1000); `now_secs` is `ktime_get_seconds()` (PAWS) and also stands
//! for `jiffies / HZ` (the challenge-ACK budget's second). `rto_ms` is
//! `icsk_rto` in milliseconds. TCP_AO/MD5, Fast Open, MPTCP and
//! microsecond timestamps are not modelled.

use super::errno::Errno;
use super::seq::SeqNum;
use super::tcp_hdr::{TcpFlags, TcpSegment};
use super::tcp_input::{oow_rate_limited, oow_rate_limited_raw, ChallengeAckQuota};
use super::tcp_minisocks::paws_check;
use super::tcp_states::{
    TCP_CLOSE, TCP_CLOSE_WAIT, TCP_CLOSING, TCP_LAST_ACK, TCP_SYN_RECV, TCP_SYN_SENT,
};
use super::tcp_window::tcp_receive_window;

/// `TCP_PAWS_WINDOW`: replay window (in timestamp ticks) of the PAWS check
/// on a synchronised connection.
pub const TCP_PAWS_WINDOW: i32 = 1;
/// Default `net.ipv4.tcp_invalid_ratelimit` in milliseconds (`HZ / 2`).
pub const TCP_INVALID_RATELIMIT_MS: u32 = 500;
/// Default `net.ipv4.tcp_challenge_ack_limit` (`INT_MAX`: no netns budget).
pub const TCP_CHALLENGE_ACK_LIMIT_DEFAULT: u32 = i32::MAX as u32;

/// Linux `tcp_reset()`'s error for the state the RST found: `ECONNREFUSED`
/// in SYN_SENT, `EPIPE` in CLOSE_WAIT ("the right error as BSD sees it"),
/// `None` in CLOSE (nothing happens), else `ECONNRESET`. The socket then
/// gets `sk_err` and `tcp_done()`.
pub const fn tcp_reset_err(state: u8) -> Option<Errno> {
    match state {
        TCP_SYN_SENT => Some(Errno::ConnRefused),
        TCP_CLOSE_WAIT => Some(Errno::Pipe),
        TCP_CLOSE => None,
        _ => Some(Errno::ConnReset),
    }
}

/// Result of [`tcp_sequence`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqCheck {
    /// Acceptable.
    Ok,
    /// `end_seq` before `rcv_wup` (`SKB_DROP_REASON_TCP_OLD_SEQUENCE`).
    OldSequence,
    /// `seq` after `rcv_nxt + tcp_receive_window()`
    /// (`SKB_DROP_REASON_TCP_INVALID_SEQUENCE`).
    InvalidSequence,
}

/// Linux `tcp_sequence(tp, seq, end_seq)`: the segment overlaps what the
/// window allows, measured from `rcv_wup` on the left ("Peer still did not
/// advance his SND.UNA when we delayed ACK") and the window last advertised
/// on the right. Empty segments at either edge pass.
pub fn tcp_sequence(
    rcv_nxt: SeqNum,
    rcv_wup: SeqNum,
    rcv_wnd: u32,
    seq: SeqNum,
    end_seq: SeqNum,
) -> SeqCheck {
    if end_seq.before(rcv_wup) {
        return SeqCheck::OldSequence;
    }
    if seq.after(rcv_nxt + tcp_receive_window(rcv_wup, rcv_wnd, rcv_nxt)) {
        return SeqCheck::InvalidSequence;
    }
    SeqCheck::Ok
}

/// Linux `tcp_tsval_replay(sk)` (millisecond timestamps):
/// `icsk_rto * 1200 / HZ`, the most the peer's TSval can have advanced in
/// one RTO for a clock of up to 1200 Hz. Computed from `rto_ms` (exact for
/// HZ = 1000).
pub const fn tcp_tsval_replay(rto_ms: u32) -> u32 {
    (rto_ms as u64 * 1200 / 1000) as u32
}

/// Linux `tcp_may_update_window(tp, ack, ack_seq, nwin)`: the segment is
/// newer for the send window (RFC 793 SND.WL1/SND.WL2 test).
pub fn tcp_may_update_window(
    snd_una: SeqNum,
    snd_wl1: SeqNum,
    snd_wnd: u32,
    ack: SeqNum,
    ack_seq: SeqNum,
    nwin: u32,
) -> bool {
    ack.after(snd_una)
        || ack_seq.after(snd_wl1)
        || (ack_seq == snd_wl1 && (nwin > snd_wnd || nwin == 0))
}

/// What [`validate_incoming`] reads from the socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidateSock {
    /// `sk_state` (a synchronised state).
    pub state: u8,
    /// `rcv_nxt`.
    pub rcv_nxt: SeqNum,
    /// `rcv_wup`.
    pub rcv_wup: SeqNum,
    /// `rcv_wnd`.
    pub rcv_wnd: u32,
    /// `snd_una`.
    pub snd_una: SeqNum,
    /// `snd_nxt`.
    pub snd_nxt: SeqNum,
    /// `snd_wl1`.
    pub snd_wl1: SeqNum,
    /// `snd_wnd`.
    pub snd_wnd: u32,
    /// `rx_opt.snd_wscale`.
    pub snd_wscale: u8,
    /// `rx_opt.tstamp_ok`: timestamp options are parsed (and PAWS applies)
    /// only when negotiated.
    pub tstamp_ok: bool,
    /// `rx_opt.ts_recent`.
    pub ts_recent: u32,
    /// `rx_opt.ts_recent_stamp` (seconds).
    pub ts_recent_stamp: u32,
    /// `icsk_rto` in milliseconds.
    pub rto_ms: u32,
    /// With SACK and at least one SACK block: the highest right edge of
    /// `selective_acks[]` ([`super::tcp_ofo::Reassembly::max_sack`]); an RST
    /// exactly there resets.
    pub max_sack: Option<SeqNum>,
    /// `sk->sk_socket != NULL` (a SYN_RECV socket of a simultaneous open,
    /// not a passive child).
    pub has_socket: bool,
}

/// Clocks and sysctls [`validate_incoming`] uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidateCtx {
    /// `tcp_jiffies32`, in the unit of `invalid_ratelimit`.
    pub now: u32,
    /// `ktime_get_seconds()` (and `jiffies / HZ`).
    pub now_secs: u32,
    /// `net.ipv4.tcp_invalid_ratelimit`.
    pub invalid_ratelimit: u32,
    /// `net.ipv4.tcp_challenge_ack_limit`.
    pub challenge_ack_limit: u32,
    /// `tcp_is_sack(tp) && net.ipv4.tcp_dsack`: a duplicate ACK for old
    /// data carries a D-SACK.
    pub dsack: bool,
}

impl ValidateCtx {
    /// Default sysctls (500 ms rate limit, unlimited challenge ACKs,
    /// D-SACK on).
    pub const fn new(now: u32, now_secs: u32) -> Self {
        Self {
            now,
            now_secs,
            invalid_ratelimit: TCP_INVALID_RATELIMIT_MS,
            challenge_ack_limit: TCP_CHALLENGE_ACK_LIMIT_DEFAULT,
            dsack: true,
        }
    }
}

/// Why a segment was not accepted (the `SKB_DROP_REASON_*` of
/// `tcp_validate_incoming()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// None of ACK, RST, SYN (`TCP_FLAGS`): both callers of
    /// `tcp_validate_incoming()` (`tcp_rcv_established()`'s slow path and
    /// `tcp_rcv_state_process()`) discard such a segment first.
    NoFlags,
    /// PAWS rejected it (`TCP_RFC7323_PAWS`, `PAWSEstabRejected`).
    Paws,
    /// Wholly before `rcv_wup` (`TCP_OLD_SEQUENCE`).
    OldSequence,
    /// Beyond the window (`TCP_INVALID_SEQUENCE`).
    InvalidSequence,
    /// In-window RST not at an acceptable sequence number (`TCP_RESET`).
    Reset,
    /// SYN on a synchronised connection (`TCP_INVALID_SYN`,
    /// `TCPSYNChallenge`).
    InvalidSyn,
}

/// The verdict of [`validate_incoming`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validate {
    /// Go on with the segment (`tcp_ack()`, data, FIN).
    Accept,
    /// Drop it. `ack_skipped`: an ACK was due but rate-limited
    /// (`TCPACKSkippedPAWS`/`Seq`/`Challenge`), or the challenge-ACK budget
    /// was used up.
    Drop {
        /// Why.
        reason: DropReason,
        /// A reply was suppressed by a rate limit.
        ack_skipped: bool,
    },
    /// `tcp_send_dupack()`: send an ACK now, then drop. When the segment
    /// had data starting before `rcv_nxt` (`DelayedACKLost`), `quickack`
    /// asks for `tcp_enter_quickack_mode(TCP_MAX_QUICKACKS)` and `dsack` is
    /// the D-SACK to set first ([`super::tcp_ofo::SackState::dsack_set`];
    /// only when [`ValidateCtx::dsack`]).
    DupAck {
        /// Why.
        reason: DropReason,
        /// Enter quick-ACK mode.
        quickack: bool,
        /// D-SACK block for the ACK.
        dsack: Option<(SeqNum, SeqNum)>,
    },
    /// `tcp_send_challenge_ack()` let an ACK through (`TCPChallengeACK`):
    /// send it, then drop.
    ChallengeAck {
        /// Why.
        reason: DropReason,
    },
    /// `tcp_reset()`: the connection is reset with `err` as `sk_err`
    /// (see [`tcp_reset_err`]), `tcp_done()`; the segment is dropped.
    Reset {
        /// `ECONNRESET`, `EPIPE` or `ECONNREFUSED`.
        err: Errno,
    },
}

/// Linux `tcp_disordered_ack()`: a PAWS-failing segment that is a pure,
/// in-sequence duplicate ACK not updating the window, with a timestamp
/// within the replay window, is let through.
fn disordered_ack(sk: &ValidateSock, seg: &TcpSegment<'_>, end_seq: SeqNum, tsval: u32) -> bool {
    let seq = seg.seq;
    let ack = seg.ack;
    let nwin = u32::from(seg.window)
        .checked_shl(u32::from(sk.snd_wscale))
        .unwrap_or(0);
    seg.flags.contains(TcpFlags::ACK)
        && seq == end_seq
        && seq == sk.rcv_nxt
        && ack == sk.snd_una
        && !tcp_may_update_window(sk.snd_una, sk.snd_wl1, sk.snd_wnd, ack, seq, nwin)
        // `(s32)(ts_recent - rcv_tsval) <= tcp_tsval_replay(sk)`: s32
        // against u32 is compared unsigned in C.
        && sk.ts_recent.wrapping_sub(tsval) <= tcp_tsval_replay(sk.rto_ms)
}

/// Linux `tcp_paws_discard(sk, skb)` for a segment with timestamp `tsval`.
pub fn paws_discard(sk: &ValidateSock, seg: &TcpSegment<'_>, tsval: u32, now_secs: u32) -> bool {
    let end_seq = seg.seq + (seg.seq_len() as u32);
    let age = now_secs.wrapping_sub(sk.ts_recent_stamp);
    !paws_check(sk.ts_recent, tsval, age, TCP_PAWS_WINDOW)
        && !disordered_ack(sk, seg, end_seq, tsval)
}

/// Linux `tcp_reset_check()`: an RST at `rcv_nxt - 1` after the peer's FIN
/// (CLOSE_WAIT, LAST_ACK, CLOSING) resets, since some stacks send it with
/// the FIN's sequence number.
pub fn tcp_reset_check(state: u8, rcv_nxt: SeqNum, seq: SeqNum) -> bool {
    seq == rcv_nxt - 1 && matches!(state, TCP_CLOSE_WAIT | TCP_LAST_ACK | TCP_CLOSING)
}

/// `tcp_send_challenge_ack()`: the per-socket out-of-window limit first,
/// then the netns budget.
fn challenge_ack(
    reason: DropReason,
    last_oow_ack_time: &mut u32,
    quota: &mut ChallengeAckQuota,
    ctx: &ValidateCtx,
    rand: impl FnMut() -> u32,
) -> Validate {
    if oow_rate_limited_raw(last_oow_ack_time, ctx.now, ctx.invalid_ratelimit) {
        return Validate::Drop {
            reason,
            ack_skipped: true,
        };
    }
    if quota.allowed(ctx.challenge_ack_limit, ctx.now_secs, rand) {
        return Validate::ChallengeAck { reason };
    }
    Validate::Drop {
        reason,
        ack_skipped: true,
    }
}

/// `tcp_oow_rate_limited()` then `tcp_send_dupack()`.
fn dupack(
    reason: DropReason,
    sk: &ValidateSock,
    seg: &TcpSegment<'_>,
    end_seq: SeqNum,
    last_oow_ack_time: &mut u32,
    ctx: &ValidateCtx,
) -> Validate {
    if oow_rate_limited(seg, last_oow_ack_time, ctx.now, ctx.invalid_ratelimit) {
        return Validate::Drop {
            reason,
            ack_skipped: true,
        };
    }
    let mut quickack = false;
    let mut dsack = None;
    if end_seq != seg.seq && seg.seq.before(sk.rcv_nxt) {
        quickack = true;
        if ctx.dsack {
            let end = if end_seq.after(sk.rcv_nxt) {
                sk.rcv_nxt
            } else {
                end_seq
            };
            dsack = Some((seg.seq, end));
        }
    }
    Validate::DupAck {
        reason,
        quickack,
        dsack,
    }
}

/// Linux `tcp_validate_incoming(sk, skb, th, syn_inerr)` (6.12.117) for a
/// segment to a connection in a synchronised state (ESTABLISHED and later,
/// or SYN_RECV of a simultaneous open), in Linux's order:
///
/// 0. (The callers' check) no ACK, RST or SYN → silent drop.
/// 1. PAWS (timestamp present and `tstamp_ok`): a failing non-RST segment
///    is answered with a challenge ACK if SYN, else with a rate-limited
///    duplicate ACK, and dropped; an RST goes on.
/// 2. [`tcp_sequence`]: out of window, a non-RST segment gets the same
///    (challenge ACK for SYN, else duplicate ACK); an RST is dropped,
///    except at `rcv_nxt - 1` after a FIN ([`tcp_reset_check`]), which
///    resets.
/// 3. RST: at `rcv_nxt`, at `rcv_nxt - 1` after a FIN, or at the highest
///    SACK right edge → [`Validate::Reset`]; elsewhere in the window → a
///    challenge ACK.
/// 4. SYN → challenge ACK, except the crossed SYN-ACK of a simultaneous
///    open in SYN_RECV (`sk_socket` set, ACK, no data, `seq + 1 ==
///    rcv_nxt`, `ack == snd_nxt`), which is accepted.
///
/// `last_oow_ack_time` is `tp->last_oow_ack_time`; `quota` the netns
/// [`ChallengeAckQuota`]; `rand` stands for `get_random_u32()` (it must vary:
/// the draw is by rejection sampling; called only
/// when a new challenge-ACK second starts with a finite limit).
pub fn validate_incoming(
    sk: &ValidateSock,
    seg: &TcpSegment<'_>,
    last_oow_ack_time: &mut u32,
    quota: &mut ChallengeAckQuota,
    ctx: &ValidateCtx,
    rand: impl FnMut() -> u32,
) -> Validate {
    let flags = seg.flags;
    let rst = flags.contains(TcpFlags::RST);
    let syn = flags.contains(TcpFlags::SYN);
    let end_seq = seg.seq + (seg.seq_len() as u32);

    if !flags.intersects(TcpFlags::ACK | TcpFlags::RST | TcpFlags::SYN) {
        return Validate::Drop {
            reason: DropReason::NoFlags,
            ack_skipped: false,
        };
    }

    // "RFC1323: H1. Apply PAWS check first."
    let tsval = if sk.tstamp_ok {
        seg.options.timestamp.map(|t| t.0)
    } else {
        None
    };
    if let Some(tsval) = tsval {
        if paws_discard(sk, seg, tsval, ctx.now_secs) && !rst {
            if syn {
                return challenge_ack(DropReason::InvalidSyn, last_oow_ack_time, quota, ctx, rand);
            }
            return dupack(DropReason::Paws, sk, seg, end_seq, last_oow_ack_time, ctx);
        }
        // "Reset is accepted even if it did not pass PAWS."
    }

    // "Step 1: check sequence number"
    let reason = match tcp_sequence(sk.rcv_nxt, sk.rcv_wup, sk.rcv_wnd, seg.seq, end_seq) {
        SeqCheck::Ok => None,
        SeqCheck::OldSequence => Some(DropReason::OldSequence),
        SeqCheck::InvalidSequence => Some(DropReason::InvalidSequence),
    };
    if let Some(reason) = reason {
        if !rst {
            if syn {
                return challenge_ack(DropReason::InvalidSyn, last_oow_ack_time, quota, ctx, rand);
            }
            return dupack(reason, sk, seg, end_seq, last_oow_ack_time, ctx);
        }
        if tcp_reset_check(sk.state, sk.rcv_nxt, seg.seq) {
            return reset(sk.state, reason);
        }
        return Validate::Drop {
            reason,
            ack_skipped: false,
        };
    }

    // "Step 2: check RST bit"
    if rst {
        if seg.seq == sk.rcv_nxt
            || tcp_reset_check(sk.state, sk.rcv_nxt, seg.seq)
            || sk.max_sack == Some(seg.seq)
        {
            return reset(sk.state, DropReason::Reset);
        }
        return challenge_ack(DropReason::Reset, last_oow_ack_time, quota, ctx, rand);
    }

    // "step 4: Check for a SYN" (RFC 5961 4.2)
    if syn {
        if sk.state == TCP_SYN_RECV
            && sk.has_socket
            && flags.contains(TcpFlags::ACK)
            && seg.seq + 1 == end_seq
            && seg.seq + 1 == sk.rcv_nxt
            && seg.ack == sk.snd_nxt
        {
            return Validate::Accept;
        }
        return challenge_ack(DropReason::InvalidSyn, last_oow_ack_time, quota, ctx, rand);
    }
    Validate::Accept
}

/// `goto reset`: `tcp_reset()` ([`tcp_reset_err`]); in CLOSE nothing is reset and the
/// segment is just dropped.
fn reset(state: u8, reason: DropReason) -> Validate {
    match tcp_reset_err(state) {
        Some(err) => Validate::Reset { err },
        None => Validate::Drop {
            reason,
            ack_skipped: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::tcp_hdr::TcpOptions;
    use super::super::tcp_states::{TCP_ESTABLISHED, TCP_FIN_WAIT1};
    use super::*;

    const NXT: u32 = 10_000;
    const UNA: u32 = 50_000;
    const A: TcpFlags = TcpFlags::ACK;
    const R: TcpFlags = TcpFlags::RST;
    const S: TcpFlags = TcpFlags::SYN;

    fn sock() -> ValidateSock {
        ValidateSock {
            state: TCP_ESTABLISHED,
            rcv_nxt: SeqNum(NXT),
            rcv_wup: SeqNum(NXT),
            rcv_wnd: 1000,
            snd_una: SeqNum(UNA),
            snd_nxt: SeqNum(UNA),
            snd_wl1: SeqNum(NXT),
            snd_wnd: 5000,
            snd_wscale: 0,
            tstamp_ok: true,
            ts_recent: 1000,
            ts_recent_stamp: 100,
            rto_ms: 200,
            max_sack: None,
            has_socket: true,
        }
    }

    fn seg(seq: u32, ack: u32, flags: TcpFlags, ts: Option<u32>, payload: &[u8]) -> TcpSegment<'_> {
        TcpSegment {
            src_port: 1,
            dst_port: 2,
            seq: SeqNum(seq),
            ack: SeqNum(ack),
            flags,
            window: 5000,
            checksum: 0,
            urgent: 0,
            header_len: if ts.is_some() { 32 } else { 20 },
            options: TcpOptions {
                timestamp: ts.map(|v| (v, 0)),
                ..TcpOptions::new()
            },
            payload,
        }
    }

    struct Env {
        last: u32,
        quota: ChallengeAckQuota,
        ctx: ValidateCtx,
    }

    impl Env {
        fn new() -> Self {
            Self {
                last: 0,
                quota: ChallengeAckQuota::default(),
                ctx: ValidateCtx::new(5000, 110),
            }
        }

        fn run(&mut self, sk: &ValidateSock, s: &TcpSegment<'_>) -> Validate {
            validate_incoming(sk, s, &mut self.last, &mut self.quota, &self.ctx, || 0)
        }
    }

    const fn drop(reason: DropReason) -> Validate {
        Validate::Drop {
            reason,
            ack_skipped: false,
        }
    }

    const fn skipped(reason: DropReason) -> Validate {
        Validate::Drop {
            reason,
            ack_skipped: true,
        }
    }

    #[test]
    fn reset_errors() {
        assert_eq!(tcp_reset_err(TCP_SYN_SENT), Some(Errno::ConnRefused));
        assert_eq!(tcp_reset_err(TCP_CLOSE_WAIT), Some(Errno::Pipe));
        assert_eq!(tcp_reset_err(TCP_CLOSE), None);
        for st in [
            TCP_ESTABLISHED,
            TCP_SYN_RECV,
            TCP_FIN_WAIT1,
            TCP_LAST_ACK,
            TCP_CLOSING,
        ] {
            assert_eq!(tcp_reset_err(st), Some(Errno::ConnReset));
        }
    }

    #[test]
    fn sequence_window() {
        let f = |seq: u32, end: u32| {
            tcp_sequence(
                SeqNum(NXT),
                SeqNum(NXT - 100),
                1100,
                SeqNum(seq),
                SeqNum(end),
            )
        };
        // rcv_wup = NXT - 100, window left = 1000: [NXT-100, NXT+1000].
        assert_eq!(f(NXT - 100, NXT - 100), SeqCheck::Ok);
        assert_eq!(f(NXT - 200, NXT - 101), SeqCheck::OldSequence);
        assert_eq!(f(NXT - 200, NXT - 100), SeqCheck::Ok);
        assert_eq!(f(NXT + 1000, NXT + 1000), SeqCheck::Ok);
        assert_eq!(f(NXT + 1000, NXT + 1500), SeqCheck::Ok);
        assert_eq!(f(NXT + 1001, NXT + 1001), SeqCheck::InvalidSequence);
        // A shrunk-to-nothing window still takes rcv_nxt itself.
        assert_eq!(
            tcp_sequence(SeqNum(NXT), SeqNum(NXT), 0, SeqNum(NXT), SeqNum(NXT + 10)),
            SeqCheck::Ok
        );
        assert_eq!(
            tcp_sequence(
                SeqNum(NXT),
                SeqNum(NXT),
                0,
                SeqNum(NXT + 1),
                SeqNum(NXT + 10)
            ),
            SeqCheck::InvalidSequence
        );
    }

    #[test]
    fn accepts_normal_segments() {
        let mut e = Env::new();
        let sk = sock();
        assert_eq!(
            e.run(&sk, &seg(NXT, UNA, A, Some(1001), b"data")),
            Validate::Accept
        );
        assert_eq!(
            e.run(&sk, &seg(NXT + 500, UNA, A, None, b"x")),
            Validate::Accept
        );
        // Timestamps not negotiated: the option is ignored entirely.
        let mut sk2 = sock();
        sk2.tstamp_ok = false;
        assert_eq!(
            e.run(&sk2, &seg(NXT, UNA, A, Some(1), b"d")),
            Validate::Accept
        );
    }

    #[test]
    fn paws_rejects_with_dupack() {
        let mut e = Env::new();
        let sk = sock();
        // tsval 998 < ts_recent 1000 - PAWS window 1: rejected, data segment
        // not rate-limited.
        let s = seg(NXT, UNA, A, Some(998), b"data");
        let want = Validate::DupAck {
            reason: DropReason::Paws,
            quickack: false,
            dsack: None,
        };
        assert_eq!(e.run(&sk, &s), want);
        assert_eq!(e.run(&sk, &s), want);
        // tsval 999 is inside TCP_PAWS_WINDOW.
        assert_eq!(
            e.run(&sk, &seg(NXT, UNA, A, Some(999), b"d")),
            Validate::Accept
        );
        // A stale ts_recent (older than TCP_PAWS_WRAP) is not trusted.
        let mut e2 = Env::new();
        e2.ctx.now_secs = 100 + 2147;
        assert_eq!(e2.run(&sk, &s), Validate::Accept);
        // PAWS-failing RST goes on to the sequence checks and resets.
        assert_eq!(
            e.run(&sk, &seg(NXT, 0, R, Some(5), &[])),
            Validate::Reset { err: Errno::ConnReset }
        );
    }

    #[test]
    fn paws_pure_acks_rate_limited() {
        let mut e = Env::new();
        let sk = sock();
        // Pure ACK, new window: not a "disordered ack", rejected.
        let mut s = seg(NXT, UNA, A, Some(500), &[]);
        s.window = 6000;
        assert_eq!(
            e.run(&sk, &s),
            Validate::DupAck {
                reason: DropReason::Paws,
                quickack: false,
                dsack: None
            }
        );
        assert_eq!(e.last, 5000);
        // Within 500 ms: skipped.
        e.ctx.now = 5499;
        assert_eq!(e.run(&sk, &s), skipped(DropReason::Paws));
        e.ctx.now = 5500;
        assert!(matches!(e.run(&sk, &s), Validate::DupAck { .. }));
    }

    #[test]
    fn disordered_ack_passes_paws() {
        let mut e = Env::new();
        let sk = sock();
        // Duplicate pure ACK at rcv_nxt, same window, tsval within the
        // replay window (rto 200 ms -> 240 ticks).
        let s = seg(NXT, UNA, A, Some(1000 - 240), &[]);
        assert_eq!(e.run(&sk, &s), Validate::Accept);
        let s = seg(NXT, UNA, A, Some(1000 - 241), &[]);
        assert!(matches!(e.run(&sk, &s), Validate::DupAck { .. }));
        // Not a duplicate ACK (acks new data): rejected.
        let mut e = Env::new();
        let s = seg(NXT, UNA + 1, A, Some(990), &[]);
        assert!(matches!(e.run(&sk, &s), Validate::DupAck { .. }));
        // Not at rcv_nxt: rejected.
        let mut e = Env::new();
        let s = seg(NXT + 1, UNA, A, Some(990), &[]);
        assert!(matches!(e.run(&sk, &s), Validate::DupAck { .. }));
        // Zero window updates the window ("!nwin"): rejected.
        let mut s = seg(NXT, UNA, A, Some(990), &[]);
        s.window = 0;
        let mut e = Env::new();
        assert!(matches!(e.run(&sk, &s), Validate::DupAck { .. }));
        // Window scaled: 5000 >> ... 1250 << 2 = 5000 = snd_wnd: no update.
        let mut sk2 = sock();
        sk2.snd_wscale = 2;
        let mut s = seg(NXT, UNA, A, Some(990), &[]);
        s.window = 1250;
        assert_eq!(e.run(&sk2, &s), Validate::Accept);
        assert_eq!(tcp_tsval_replay(200), 240);
        assert_eq!(tcp_tsval_replay(1000), 1200);
    }

    #[test]
    fn paws_syn_gets_challenge() {
        let mut e = Env::new();
        let sk = sock();
        let s = seg(NXT, 0, S, Some(5), &[]);
        assert_eq!(
            e.run(&sk, &s),
            Validate::ChallengeAck {
                reason: DropReason::InvalidSyn
            }
        );
        // Per-socket limit shared with dupacks.
        assert_eq!(e.run(&sk, &s), skipped(DropReason::InvalidSyn));
    }

    #[test]
    fn out_of_window_dupack_and_dsack() {
        let mut e = Env::new();
        let sk = sock();
        // Old retransmitted data: dupack with D-SACK and quick-ACK mode.
        let s = seg(NXT - 100, UNA, A, None, &[0; 50]);
        assert_eq!(
            e.run(&sk, &s),
            Validate::DupAck {
                reason: DropReason::OldSequence,
                quickack: true,
                dsack: Some((SeqNum(NXT - 100), SeqNum(NXT - 50)))
            }
        );
        // D-SACK off: still quick ACK.
        e.ctx.dsack = false;
        assert_eq!(
            e.run(&sk, &s),
            Validate::DupAck {
                reason: DropReason::OldSequence,
                quickack: true,
                dsack: None
            }
        );
        // Beyond the window.
        e.ctx.dsack = true;
        let s = seg(NXT + 1001, UNA, A, None, b"x");
        assert_eq!(
            e.run(&sk, &s),
            Validate::DupAck {
                reason: DropReason::InvalidSequence,
                quickack: false,
                dsack: None
            }
        );
        // Out-of-window pure ACKs are rate-limited.
        let s = seg(NXT + 5000, UNA, A, None, &[]);
        assert!(matches!(e.run(&sk, &s), Validate::DupAck { .. }));
        assert_eq!(e.run(&sk, &s), skipped(DropReason::InvalidSequence));
        // Out-of-window SYN: challenge ACK path.
        let mut e = Env::new();
        assert_eq!(
            e.run(&sk, &seg(NXT + 5000, 0, S, None, &[])),
            Validate::ChallengeAck {
                reason: DropReason::InvalidSyn
            }
        );
    }

    #[test]
    fn rst_rfc5961() {
        let sk = sock();
        // Exact: reset.
        let mut e = Env::new();
        assert_eq!(
            e.run(&sk, &seg(NXT, 0, R, None, &[])),
            Validate::Reset { err: Errno::ConnReset }
        );
        // In window, not exact: challenge ACK, then per-socket limited.
        assert_eq!(
            e.run(&sk, &seg(NXT + 1, 0, R, None, &[])),
            Validate::ChallengeAck {
                reason: DropReason::Reset
            }
        );
        assert_eq!(
            e.run(&sk, &seg(NXT + 1, 0, R, None, &[])),
            skipped(DropReason::Reset)
        );
        // An RST with payload is limited all the same (raw limiter).
        e.ctx.now += 1;
        assert_eq!(
            e.run(&sk, &seg(NXT + 1, 0, R, None, b"junk")),
            skipped(DropReason::Reset)
        );
        // Out of window: silently dropped.
        let mut e = Env::new();
        assert_eq!(
            e.run(&sk, &seg(NXT + 2000, 0, R, None, &[])),
            drop(DropReason::InvalidSequence)
        );
        assert_eq!(
            e.run(&sk, &seg(NXT - 500, 0, R, None, &[])),
            drop(DropReason::OldSequence)
        );
        assert_eq!(e.last, 0);
        // At the highest SACK edge: reset.
        let mut sk2 = sock();
        sk2.max_sack = Some(SeqNum(NXT + 700));
        assert_eq!(
            e.run(&sk2, &seg(NXT + 700, 0, R, None, &[])),
            Validate::Reset { err: Errno::ConnReset }
        );
        // In CLOSE_WAIT the error is EPIPE, and rcv_nxt - 1 is accepted
        // (RST with the FIN's sequence number), even though it is before
        // rcv_wup.
        let mut cw = sock();
        cw.state = TCP_CLOSE_WAIT;
        assert_eq!(
            e.run(&cw, &seg(NXT - 1, 0, R, None, &[])),
            Validate::Reset { err: Errno::Pipe }
        );
        cw.rcv_wup = SeqNum(NXT - 1);
        assert_eq!(
            e.run(&cw, &seg(NXT - 1, 0, R, None, &[])),
            Validate::Reset { err: Errno::Pipe }
        );
        // ...but not in ESTABLISHED.
        assert_eq!(
            e.run(&sk, &seg(NXT - 1, 0, R, None, &[])),
            drop(DropReason::OldSequence)
        );
        // In CLOSE: nothing to reset.
        let mut cl = sock();
        cl.state = TCP_CLOSE;
        assert_eq!(
            e.run(&cl, &seg(NXT, 0, R, None, &[])),
            drop(DropReason::Reset)
        );
    }

    #[test]
    fn challenge_ack_netns_budget() {
        let sk = sock();
        let mut e = Env::new();
        e.ctx.challenge_ack_limit = 2;
        // Budget for second 110 drawn in [1, 2]: rand 0 -> 1.
        assert!(matches!(
            e.run(&sk, &seg(NXT + 1, 0, R, None, &[])),
            Validate::ChallengeAck { .. }
        ));
        e.ctx.now += 1000;
        assert_eq!(
            e.run(&sk, &seg(NXT + 1, 0, R, None, &[])),
            skipped(DropReason::Reset)
        );
        // Next second: a new budget.
        e.ctx.now += 1000;
        e.ctx.now_secs += 1;
        assert!(matches!(
            e.run(&sk, &seg(NXT + 1, 0, R, None, &[])),
            Validate::ChallengeAck { .. }
        ));
    }

    #[test]
    fn syn_in_window() {
        let sk = sock();
        let mut e = Env::new();
        assert_eq!(
            e.run(&sk, &seg(NXT, 0, S, None, &[])),
            Validate::ChallengeAck {
                reason: DropReason::InvalidSyn
            }
        );
        // Crossed SYN-ACK of a simultaneous open in SYN_RECV: accepted.
        let mut sr = sock();
        sr.state = TCP_SYN_RECV;
        let s = seg(NXT - 1, UNA, S | A, None, &[]);
        let mut e = Env::new();
        assert_eq!(e.run(&sr, &s), Validate::Accept);
        // A passive child (no struct socket) challenges it.
        sr.has_socket = false;
        assert!(matches!(e.run(&sr, &s), Validate::ChallengeAck { .. }));
        // Wrong ack: challenged.
        let mut sr = sock();
        sr.state = TCP_SYN_RECV;
        let mut e = Env::new();
        assert!(matches!(
            e.run(&sr, &seg(NXT - 1, UNA + 1, S | A, None, &[])),
            Validate::ChallengeAck { .. }
        ));
        // SYN|RST at rcv_nxt: RST wins.
        let mut e = Env::new();
        assert_eq!(
            e.run(&sk, &seg(NXT, 0, S | R, None, &[])),
            Validate::Reset { err: Errno::ConnReset }
        );
    }

    #[test]
    fn no_flags_dropped_first() {
        let mut e = Env::new();
        let sk = sock();
        // Even beyond the window and PAWS-failing: no reply at all.
        let s = seg(NXT + 5000, 0, TcpFlags::FIN | TcpFlags::PSH, Some(1), b"x");
        assert_eq!(e.run(&sk, &s), drop(DropReason::NoFlags));
        assert_eq!(e.last, 0);
    }

    #[test]
    fn may_update_window() {
        let (una, wl1) = (SeqNum(100), SeqNum(200));
        assert!(tcp_may_update_window(una, wl1, 10, SeqNum(101), wl1, 10));
        assert!(tcp_may_update_window(una, wl1, 10, una, SeqNum(201), 10));
        assert!(tcp_may_update_window(una, wl1, 10, una, wl1, 11));
        assert!(tcp_may_update_window(una, wl1, 10, una, wl1, 0));
        assert!(!tcp_may_update_window(una, wl1, 10, una, wl1, 10));
        assert!(!tcp_may_update_window(una, wl1, 10, una, SeqNum(199), 100));
    }
}
