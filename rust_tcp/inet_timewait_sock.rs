// SPDX-License-Identifier: GPL-2.0

//! TIME_WAIT (net/ipv4/inet_timewait_sock.c and the timewait half of
//! tcp_minisocks.c).

use crate::sys::sock::Sock;

/// `tcp_time_wait()`: the connection ends in `substate`.
pub(crate) fn time_wait(sk: &Sock<'_>, _substate: u8, _timeo_ms: u32) {
    crate::tcp::conn_done(sk, 0);
}
