# SPDX-License-Identifier: GPL-2.0
#
# rust_tcp — TCP over IPv4 as a Linux socket family, in Rust.
#
#   make run                 boot the test kernel and run the demo
#   make check               everything: setup, kernel, module, host and guest tests
#   make vm-run CMD='...'    run a command in the guest with the module loaded
#   make modules KDIR=...    build rust_tcp.ko against any CONFIG_RUST kernel tree
#
# Without KDIR the cached debug kernel (scripts/build-kernel.sh) is used.

FLAVOUR ?= debug
RUSTC_KERNEL := /usr/bin/rustc
BINDGEN ?= $(HOME)/.cargo/bin/bindgen
KMAKE := $(MAKE) LLVM=-19 RUSTC=$(RUSTC_KERNEL) HOSTRUSTC=$(RUSTC_KERNEL) BINDGEN=$(BINDGEN)

.PHONY: all modules setup kernel clean check run vm-run host-test selftests bench

all: modules

setup:
	@./scripts/setup-host.sh

kernel: setup
	@./scripts/build-kernel.sh $(FLAVOUR)

ifeq ($(KDIR),)
modules: kernel
	$(KMAKE) -C "$$(./scripts/build-kernel.sh $(FLAVOUR))" M=$(CURDIR) modules
else
modules:
	$(KMAKE) -C $(KDIR) M=$(CURDIR) modules
endif

host-test: setup
	cd rust_tcp/proto && cargo test --quiet

selftests:
	$(MAKE) -C selftests

check: setup
	@./scripts/check.sh

run: setup
	@./scripts/run-demo.sh

vm-run: modules selftests
	@./scripts/vm.sh --flavour $(FLAVOUR) -- "$(CMD)"

bench: setup
	@./scripts/bench.sh $(BENCH_ARGS)

clean:
	rm -f rust_tcp/bindings_generated.rs rust_tcp/bindings_wrap.c
	find . -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd' \
		-o -name '*.rmeta' -o -name '*.d' | grep -v '/target/' | xargs rm -f
	rm -f Module.symvers modules.order
	$(MAKE) -C selftests clean
