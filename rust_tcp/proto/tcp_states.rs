// SPDX-License-Identifier: GPL-2.0

//! The values of `sk_state` (include/net/tcp_states.h), as the socket
//! layer, /proc and sock_diag read them.

/// `TCP_ESTABLISHED`.
pub const TCP_ESTABLISHED: u8 = 1;
/// `TCP_SYN_SENT`.
pub const TCP_SYN_SENT: u8 = 2;
/// `TCP_SYN_RECV`.
pub const TCP_SYN_RECV: u8 = 3;
/// `TCP_FIN_WAIT1`.
pub const TCP_FIN_WAIT1: u8 = 4;
/// `TCP_FIN_WAIT2`.
pub const TCP_FIN_WAIT2: u8 = 5;
/// `TCP_TIME_WAIT`.
pub const TCP_TIME_WAIT: u8 = 6;
/// `TCP_CLOSE`.
pub const TCP_CLOSE: u8 = 7;
/// `TCP_CLOSE_WAIT`.
pub const TCP_CLOSE_WAIT: u8 = 8;
/// `TCP_LAST_ACK`.
pub const TCP_LAST_ACK: u8 = 9;
/// `TCP_LISTEN`.
pub const TCP_LISTEN: u8 = 10;
/// `TCP_CLOSING`.
pub const TCP_CLOSING: u8 = 11;
/// `TCP_NEW_SYN_RECV` (request sockets in the established hash).
pub const TCP_NEW_SYN_RECV: u8 = 12;

/// `(1 << state) & mask` for a `TCPF_*` mask built from `states`, without
/// overflowing for out-of-range states.
#[inline]
pub fn state_in(state: u8, states: &[u8]) -> bool {
    states.contains(&state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_masks() {
        assert_eq!(
            [TCP_ESTABLISHED, TCP_SYN_SENT, TCP_CLOSE, TCP_LISTEN],
            [1, 2, 7, 10]
        );
        assert!(state_in(TCP_SYN_RECV, &[TCP_SYN_SENT, TCP_SYN_RECV]));
        assert!(!state_in(TCP_CLOSE, &[TCP_SYN_SENT, TCP_SYN_RECV]));
        assert!(!state_in(200, &[]));
    }
}
