// SPDX-License-Identifier: GPL-2.0

//! TCP states as `sk_state` holds them (include/net/tcp_states.h), so
//! /proc, sock_diag and poll read ours as they read Linux's.

pub(crate) const ESTABLISHED: u8 = 1;
pub(crate) const SYN_SENT: u8 = 2;
pub(crate) const SYN_RECV: u8 = 3;
pub(crate) const CLOSE: u8 = 7;
pub(crate) const LISTEN: u8 = 10;
