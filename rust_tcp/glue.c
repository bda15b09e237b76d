// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for rust_tcp; see glue.h. No protocol logic lives here.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/net.h>
#include <net/sock.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "glue.h"

static int family = 12;
module_param(family, int, 0444);
MODULE_PARM_DESC(family, "socket family number to register (1..NPROTO-1, default 12)");

int rust_tcp_glue_family(void)
{
	return family;
}

static struct proto rust_tcp_prot = {
	.name = "RUST_TCP",
	.owner = THIS_MODULE,
};

int rust_tcp_glue_proto_register(unsigned int obj_size)
{
	rust_tcp_prot.obj_size = obj_size;
	return proto_register(&rust_tcp_prot, 1);
}

void rust_tcp_glue_proto_unregister(void)
{
	proto_unregister(&rust_tcp_prot);
}

struct proto *rust_tcp_glue_proto(void)
{
	return &rust_tcp_prot;
}

static struct proto_ops rust_tcp_stream_ops;

struct proto_ops *rust_tcp_glue_stream_ops(void)
{
	return &rust_tcp_stream_ops;
}

static struct net_proto_family rust_tcp_family_ops = {
	.create = rust_tcp_create,
	.owner = THIS_MODULE,
};

int rust_tcp_glue_family_register(int fam)
{
	rust_tcp_family_ops.family = fam;
	return sock_register(&rust_tcp_family_ops);
}

void rust_tcp_glue_family_unregister(int fam)
{
	sock_unregister(fam);
}

static unsigned int rust_tcp_net_id __read_mostly;

static int __net_init rust_tcp_pernet_init(struct net *net)
{
	return rust_tcp_net_init(net);
}

static void __net_exit rust_tcp_pernet_exit(struct net *net)
{
	rust_tcp_net_exit(net);
}

static struct pernet_operations rust_tcp_net_ops = {
	.init = rust_tcp_pernet_init,
	.exit = rust_tcp_pernet_exit,
	.id = &rust_tcp_net_id,
	.size = sizeof(void *),
};

int rust_tcp_glue_pernet_register(void)
{
	return register_pernet_subsys(&rust_tcp_net_ops);
}

void rust_tcp_glue_pernet_unregister(void)
{
	unregister_pernet_subsys(&rust_tcp_net_ops);
}

void **rust_tcp_glue_net_slot(const struct net *net)
{
	return net_generic(net, rust_tcp_net_id);
}
