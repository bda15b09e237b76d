// SPDX-License-Identifier: GPL-2.0

//! rust_tcp's state of one network namespace, as Linux keeps its TCP
//! tables and counters per netns: the bind and established hashes
//! ([`Hashinfo`]), the hash and ISN secrets, and the MIB counters. The
//! crate root makes it the pernet state (`sys::net::NetData`).

use crate::inet_hashtables::{Hashinfo, PortMap};
use crate::proto::siphash::SipKey;
use crate::proto::syncookies::SyncookieSecret;
use crate::sys::net::{Net, SeqFile};
use crate::sys::percpu::PerCpuCounters;
use kernel::prelude::*;
use kernel::sync::Arc;

/// A network namespace where rust_tcp runs.
pub(crate) type NetNs = Net<RtcpNet>;

/// Counters named after Linux's (`netstat -s`, /proc/net/{snmp,netstat}).
#[derive(Clone, Copy)]
#[repr(usize)]
pub(crate) enum Mib {
    /// Segments received and handed to a rust_tcp socket (InSegs).
    InSegs,
    /// Segments sent (OutSegs).
    OutSegs,
    /// Resets sent (OutRsts).
    OutRsts,
    /// Malformed segments dropped: bad header, length or options (InErrs).
    InErrs,
    /// Segments dropped for a bad checksum (InCsumErrors).
    InCsumErrors,
    /// Passive opens: children created from a request (PassiveOpens).
    PassiveOpens,
    /// SYNs dropped because the accept queue was full (ListenOverflows).
    ListenOverflows,
    /// SYNs or ACKs dropped at a listener for any reason (ListenDrops).
    ListenDrops,
    /// SYNs dropped for a full SYN queue without cookies (TCPReqQFullDrop).
    ReqQFullDrop,
    /// SYN-ACK retransmissions (TCPSynRetrans counts both directions).
    SynRetrans,
    /// Requests that timed out (TCPTimeouts).
    ReqTimeouts,
    /// SYN-ACKs sent with a cookie instead of a request (SyncookiesSent).
    SyncookiesSent,
    /// ACKs that carried a valid cookie (SyncookiesRecv).
    SyncookiesRecv,
    /// ACKs checked as a cookie that failed (SyncookiesFailed).
    SyncookiesFailed,
    /// SYN-queue overflows answered with cookies (TCPReqQFullDoCookies).
    ReqQFullDoCookies,
    /// connect()s that sent a SYN (ActiveOpens).
    ActiveOpens,
    /// Active opens that failed: refused, timed out, reset (AttemptFails).
    AttemptFails,
    /// Segments dropped because the backlog of a sock a process owned was
    /// over its limit (TCPBacklogDrop).
    BacklogDrop,
}

const MIB_COUNT: usize = Mib::BacklogDrop as usize + 1;

/// Names, in [`Mib`] order, for /proc and logs.
pub(crate) const MIB_NAMES: [&str; MIB_COUNT] = [
    "InSegs",
    "OutSegs",
    "OutRsts",
    "InErrs",
    "InCsumErrors",
    "PassiveOpens",
    "ListenOverflows",
    "ListenDrops",
    "TCPReqQFullDrop",
    "TCPSynRetrans",
    "TCPTimeouts",
    "SyncookiesSent",
    "SyncookiesRecv",
    "SyncookiesFailed",
    "TCPReqQFullDoCookies",
    "ActiveOpens",
    "AttemptFails",
    "TCPBacklogDrop",
];

/// Per-netns state.
pub(crate) struct RtcpNet {
    /// The module's tables (shared by every netns).
    pub(crate) tables: Arc<Hashinfo>,
    /// The ports rust_tcp socks hold here, read locklessly by the hook.
    pub(crate) ports: Arc<PortMap>,
    /// The secret of ISNs and timestamp offsets (`net_secret`) and of
    /// listener flow hashes.
    pub(crate) seq_key: SipKey,
    /// The syncookie secrets (`syncookie_secret[2]`).
    pub(crate) cookie_secret: SyncookieSecret,
    /// Socks created and destroyed here (per-CPU, as Linux's
    /// `tcp_sockets_allocated`): their difference is what is alive.
    socks: PerCpuCounters<2>,
    /// Per-CPU, as Linux's `net->mib.tcp_statistics`.
    mib: PerCpuCounters<MIB_COUNT>,
}

impl RtcpNet {
    /// A new netns's state, with fresh secrets.
    pub(crate) fn new(tables: &Arc<Hashinfo>) -> Result<Self> {
        let key = |k: [u64; 2]| SipKey::new(k);
        Ok(Self {
            tables: tables.clone(),
            ports: PortMap::new()?,
            seq_key: key(crate::sys::random_key()),
            cookie_secret: SyncookieSecret::new([key(crate::sys::random_key()), key(crate::sys::random_key())]),
            socks: PerCpuCounters::new()?,
            mib: PerCpuCounters::new()?,
        })
    }

    /// Counts one event.
    pub(crate) fn inc(&self, m: Mib) {
        self.mib.inc(m as usize);
    }

    /// Counts `n` events (a GSO packet's segments).
    pub(crate) fn add(&self, m: Mib, n: u32) {
        self.mib.add(m as usize, u64::from(n));
    }

    /// A counter's value.
    pub(crate) fn get(&self, m: usize) -> u64 {
        self.mib.sum(m)
    }

    /// A sock of this netns was created.
    pub(crate) fn sock_created(&self) {
        self.socks.inc(0);
    }

    /// A sock of this netns was destroyed.
    pub(crate) fn sock_destroyed(&self) {
        self.socks.inc(1);
    }

    /// The netns is going away: its timewait socks go
    /// (`inet_twsk_purge`); every sock holds a netns reference, so none may
    /// be left, and so no other table entry either.
    pub(crate) fn exit(net: &NetNs) {
        let rt = net.data();
        rt.tables.purge_tw(net, &rt.ports);
        let socks = rt.socks.sum(0).wrapping_sub(rt.socks.sum(1));
        if socks != 0 {
            pr_err!("netns exit with {} socks left\n", socks);
        }
    }
}

/// /proc/net/rust_tcp_stat: one "Name value" line per counter.
pub(crate) fn show(rt: &RtcpNet, seq: &mut SeqFile) {
    for (i, name) in MIB_NAMES.iter().enumerate() {
        let mut line = [0u8; 64];
        let n = format_stat(&mut line, name, rt.get(i));
        seq.write(&line[..n]);
    }
}

/// Writes "`name` `value`\n" into `buf`, returning the length (truncated
/// to the buffer, which callers size for the longest name).
pub(crate) fn format_stat(buf: &mut [u8], name: &str, value: u64) -> usize {
    let mut n = 0;
    let mut put = |b: u8, n: &mut usize| {
        if let Some(slot) = buf.get_mut(*n) {
            *slot = b;
            *n += 1;
        }
    };
    for &b in name.as_bytes() {
        put(b, &mut n);
    }
    put(b' ', &mut n);
    let mut digits = [0u8; 20];
    let mut v = value;
    let mut d = 0;
    loop {
        digits[d] = b'0' + (v % 10) as u8;
        d += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    while d > 0 {
        d -= 1;
        put(digits[d], &mut n);
    }
    put(b'\n', &mut n);
    n
}
