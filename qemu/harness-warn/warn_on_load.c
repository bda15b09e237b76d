// SPDX-License-Identifier: GPL-2.0
/*
 * The harness's own test: a module whose load triggers a kernel WARNING.
 * `make check` boots a guest that loads it and passes only if the log check
 * reports the WARNING, proving a bad kernel log fails a run.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init warn_on_load_init(void)
{
	WARN(1, "rust_tcp harness self-test: deliberate warning\n");
	return 0;
}

static void __exit warn_on_load_exit(void)
{
}

module_init(warn_on_load_init);
module_exit(warn_on_load_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rust_tcp test harness: provokes a WARNING on load");
