// SPDX-License-Identifier: GPL-2.0

//! Pure protocol core of rust_tcp: TCP over IPv4 without any I/O.
//!
//! Everything here is plain computation on integers and byte slices: TCP
//! sequence-number arithmetic ([`seq`]), the Internet checksum ([`checksum`]),
//! the IPv4 and TCP header wire formats ([`ip_hdr`], [`tcp_hdr`]), keyed
//! ISNs ([`siphash`], [`secure_seq`]), bind and port-allocation rules
//! ([`inet_hashtables`], [`inet_connection_sock`]) and the passive-open
//! handshake ([`request_sock`], [`tcp_input`], [`tcp_minisocks`],
//! [`tcp_output`], [`tcp_ipv4`]; their parameters in [`tcp_params`]), the
//! active open ([`af_inet`], [`inet_hash_connect`], [`tcp_connect`],
//! [`tcp_timer`]) and receive windows ([`tcp_window`]). The established connection's core (issue 5
//! groundwork, not yet used by the kernel side): segment acceptance and
//! RFC 5961 ([`tcp_validate`]), reassembly and SACK blocks ([`tcp_ofo`]),
//! delayed ACKs ([`tcp_delack`]), teardown and poll ([`tcp_fin`]),
//! TIME_WAIT ([`tcp_timewait`]), the RTT estimator and RTO ([`tcp_rtt`]),
//! Reno/NewReno congestion control and recovery ([`tcp_cong`]), transmit
//! decisions, window probes and send-buffer space ([`tcp_send`]) and socket
//! buffer sizing ([`sock`]). Files are named after the Linux file
//! whose logic they mirror. It depends on `core` only (no `alloc`, no
//! `std`), contains no `unsafe`, and never panics on any input, so the same
//! files are compiled into the kernel module and into a host crate
//! (`rust_tcp/proto/Cargo.toml`) where they are unit- and property-tested
//! with `cargo test`.
//!
//! Nothing here depends on the kernel's ABI or configuration, which vary
//! by architecture and build: errors are [`errno::Errno`] names, poll
//! events a [`tcp_fin::PollMask`], and structure sizes
//! ([`sock::SkbOverhead`]) come from the caller; the kernel side maps each
//! to its own values in one place. The modules import one another without
//! cycles (scripts/check-layers.py checks it).

pub mod af_inet;
pub mod checksum;
pub mod create;
pub mod errno;
pub mod inet_connection_sock;
pub mod inet_hash_connect;
pub mod inet_hashtables;
pub mod ip_hdr;
pub mod request_sock;
pub mod secure_seq;
pub mod seq;
pub mod seqbuf;
pub mod siphash;
pub mod sock;
pub mod syncookies;
pub mod tcp_cong;
pub mod tcp_conn;
pub mod tcp_connect;
pub mod tcp_delack;
pub mod tcp_fin;
pub mod tcp_hdr;
pub mod tcp_input;
pub mod tcp_ipv4;
pub mod tcp_minisocks;
pub mod tcp_ofo;
pub mod tcp_output;
pub mod tcp_params;
pub mod tcp_rtt;
pub mod tcp_send;
pub mod tcp_states;
pub mod tcp_timer;
pub mod tcp_timewait;
pub mod tcp_validate;
pub mod tcp_window;
