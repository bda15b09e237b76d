/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C side of the unsafe layer: the few things Rust cannot express through
 * bindgen (module_param, static registration tables whose address the kernel
 * keeps, function-like macros). Everything here is called only from rust_tcp/sys/.
 */
#ifndef _RUST_TCP_GLUE_H
#define _RUST_TCP_GLUE_H

#include <linux/types.h>

struct net;
struct socket;
struct sock;
struct proto_ops;

/* Module parameter `family`. */
int rust_tcp_glue_family(void);

/* Registration of the socket family, struct proto and pernet subsystem. */
int rust_tcp_glue_proto_register(unsigned int obj_size);
void rust_tcp_glue_proto_unregister(void);
struct proto *rust_tcp_glue_proto(void);
/* The stream proto_ops, filled by Rust before the family is registered. */
struct proto_ops *rust_tcp_glue_stream_ops(void);
int rust_tcp_glue_family_register(int family);
void rust_tcp_glue_family_unregister(int family);
int rust_tcp_glue_pernet_register(void);
void rust_tcp_glue_pernet_unregister(void);
/* The per-netns slot (one pointer) that the Rust side owns. */
void **rust_tcp_glue_net_slot(const struct net *net);

/* Implemented in Rust (rust_tcp/sys/). */
int rust_tcp_create(struct net *net, struct socket *sock, int protocol, int kern);
int rust_tcp_net_init(struct net *net);
void rust_tcp_net_exit(struct net *net);

#endif /* _RUST_TCP_GLUE_H */
