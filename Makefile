# esptun: top-level build. The module builds through kbuild, userspace with
# plain make in agent/, tools/ and selftests/.

KVER_HOST := $(shell uname -r)
# Newest installed Debian kernel headers, used when the running kernel's
# build tree is missing (containers, CI, a host running another kernel).
KDIR_DEBIAN := $(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64)))
ifneq ($(wildcard /lib/modules/$(KVER_HOST)/build/Makefile),)
KDIR ?= /lib/modules/$(KVER_HOST)/build
else
KDIR ?= $(KDIR_DEBIAN)
endif
KVER ?= $(patsubst linux-headers-%,%,$(notdir $(realpath $(KDIR))))

PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin

export KDIR KVER

.PHONY: all module userspace agent tools selftests install clean lint \
	check unit demo bench deps uapi-check

all: module userspace

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

userspace: agent tools selftests

agent tools:
	$(MAKE) -C $@

selftests: tools
	$(MAKE) -C selftests

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=extra \
		INSTALL_MOD_PATH=$(DESTDIR) modules_install
	[ -n "$(DESTDIR)" ] || depmod -a $(KVER)
	install -D -m 0755 agent/esptund $(DESTDIR)$(SBINDIR)/esptund
	install -D -m 0755 tools/esptun $(DESTDIR)$(SBINDIR)/esptun

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C agent clean
	$(MAKE) -C tools clean
	$(MAKE) -C selftests clean

deps:
	tools/deps.sh

# Host unit tests only (no guest).
unit: userspace
	tools/check.sh --unit-only

# Everything: deps, build, host unit tests, guest selftests, interop.
check:
	tools/check.sh

lint:
	tools/lint.sh

demo:
	tools/deps.sh
	$(MAKE) all
	tools/vm/run -- $(CURDIR)/tools/demo.sh

bench:
	tools/deps.sh
	$(MAKE) all
	tools/vm/run -- $(CURDIR)/tools/bench.sh
