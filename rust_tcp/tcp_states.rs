// SPDX-License-Identifier: GPL-2.0

//! TCP states as `sk_state` holds them (include/net/tcp_states.h), so
//! /proc, sock_diag and poll read ours as they read Linux's.

pub(crate) const ESTABLISHED: u8 = 1;
pub(crate) const SYN_SENT: u8 = 2;
pub(crate) const SYN_RECV: u8 = 3;
pub(crate) const CLOSE: u8 = 7;
pub(crate) const LISTEN: u8 = 10;
pub(crate) const FIN_WAIT1: u8 = 4;
pub(crate) const FIN_WAIT2: u8 = 5;
pub(crate) const TIME_WAIT: u8 = 6;
pub(crate) const CLOSE_WAIT: u8 = 8;
pub(crate) const LAST_ACK: u8 = 9;
pub(crate) const CLOSING: u8 = 11;
