# esptun: top-level build. The module builds through kbuild, userspace with
# plain make in lib/ (the shared netlink client, first), agent/, tools/ and
# selftests/.

# The kernel build tree. An empty KDIR counts as unset: an outer make may
# have exported it before tools/deps.sh installed the headers, so it is
# searched for whenever this Makefile is read, never exported to sub-makes
# (each one searches again, after the dependency step). SYSROOT moves the
# search (default /).
SYSROOT ?=
KVER_HOST := $(shell uname -r)
ifeq ($(strip $(KDIR)),)
# The running kernel's build tree, else the newest installed Debian headers
# (containers, CI, a host running another kernel).
override KDIR := $(firstword \
	$(patsubst %/Makefile,%,$(wildcard $(SYSROOT)/lib/modules/$(KVER_HOST)/build/Makefile)) \
	$(lastword $(sort $(wildcard $(SYSROOT)/usr/src/linux-headers-*-amd64))))
endif
ifeq ($(strip $(KVER)),)
override KVER := $(patsubst linux-headers-%,%,$(notdir $(realpath $(KDIR))))
endif
unexport KDIR KVER

# kbuild's arguments; recipes name $(MAKE) themselves, so that make passes
# its job slots on.
KBUILD_ARGS = -C $(KDIR) M=$(CURDIR)

PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= /lib/systemd/system

.PHONY: all kdir module userspace lib agent tools selftests install clean \
	lint check check-debug unit demo bench deps uapi-check fuzz soak

all: module userspace

module: kdir
	$(MAKE) $(KBUILD_ARGS) W=1 modules

# One line that says what to install, instead of make's "No such file".
kdir:
	@test -f '$(KDIR)/Makefile' || { echo 'esptun: no kernel build tree found:' \
		'install linux-headers-$(KVER_HOST) (on Debian: linux-headers-amd64,' \
		'or run tools/deps.sh), or pass KDIR=/path/to/build' >&2; exit 1; }

userspace: lib agent tools selftests

lib:
	$(MAKE) -C lib

agent tools: lib
	$(MAKE) -C $@

selftests: lib tools
	$(MAKE) -C selftests

# The systemd unit gets SBINDIR; of the configuration only the example is
# installed, so a user's esptund.conf is never touched.
install: all
	$(MAKE) $(KBUILD_ARGS) INSTALL_MOD_DIR=extra \
		INSTALL_MOD_PATH=$(DESTDIR) modules_install
	[ -n "$(DESTDIR)" ] || depmod -a $(KVER)
	install -D -m 0755 agent/esptund $(DESTDIR)$(SBINDIR)/esptund
	install -D -m 0755 tools/esptun $(DESTDIR)$(SBINDIR)/esptun
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' agent/esptund.service \
		>$(DESTDIR)$(UNITDIR)/esptund.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/esptund.service
	install -D -m 0644 tools/esptun.8 $(DESTDIR)$(MANDIR)/man8/esptun.8
	install -D -m 0644 agent/esptund.8 $(DESTDIR)$(MANDIR)/man8/esptund.8
	install -D -m 0644 agent/esptund.conf.5 \
		$(DESTDIR)$(MANDIR)/man5/esptund.conf.5
	install -D -m 0600 agent/esptund.conf.example \
		$(DESTDIR)$(SYSCONFDIR)/esptun/esptund.conf.example

clean:
	$(if $(wildcard $(KDIR)/Makefile),$(MAKE) $(KBUILD_ARGS) clean)
	$(MAKE) -C lib clean
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

# libFuzzer targets of the agent, FUZZ_SECONDS each (make check runs them
# briefly); what they find is kept in build/fuzz/crashes/.
FUZZ_SECONDS ?= 300
fuzz:
	tools/deps.sh
	tools/fuzz.sh --seconds $(FUZZ_SECONDS)

# Long runs of what make check runs briefly: 100,000 SA add/delete cycles
# under traffic, half an hour of SA churn and 100,000 random netlink
# requests, in the test guest.
SOAK_CYCLES ?= 100000
SOAK_SECONDS ?= 1800
SOAK_NL_ROUNDS ?= 100000
soak:
	ESPTUN_SA_CYCLES=$(SOAK_CYCLES) ESPTUN_CHURN_SECONDS=$(SOAK_SECONDS) \
	ESPTUN_NL_ROUNDS=$(SOAK_NL_ROUNDS) \
	ESPTUN_TEST_TIMEOUT=$$(($(SOAK_SECONDS) + 1800)) \
	ESPTUN_VM_TIMEOUT=$$(($(SOAK_SECONDS) + 3600)) \
		tools/check.sh faults.sh sa-churn.sh nl_policy

# The selftests in a kernel built with KASAN, KFENCE, lockdep, kmemleak and
# debug objects (tools/vm/debug-kernel, cached in .cache/debug-kernel/): the
# module built against it, the whole guest suite, a leak scan at the end.
# Slow under emulation, so not part of check; CHECK_DEBUG picks tests.
CHECK_DEBUG ?= guest
# no5lvl: with QEMU's LA57, one early boot in six logged a KASAN wild
# access in an interrupt during early CPU setup (identify_cpu, before any
# module), failing the boot's kernel-log check for nothing of ours. The
# debug boot therefore does not cover 5-level paging.
check-debug:
	tools/deps.sh --debug-kernel
	root=$$(tools/vm/debug-kernel) && \
	KDIR=$$root/build ESPTUN_VM_ROOT=$$root \
	ESPTUN_VM_APPEND="no5lvl $${ESPTUN_VM_APPEND:-}" \
	ESPTUN_TEST_TIMEOUT=$${ESPTUN_TEST_TIMEOUT:-1800} \
	ESPTUN_VM_TIMEOUT=$${ESPTUN_VM_TIMEOUT:-10800} \
		tools/check.sh $(CHECK_DEBUG)

demo:
	tools/deps.sh
	$(MAKE) all
	tools/vm/run -- $(CURDIR)/tools/demo.sh
	tools/vm/run -- $(CURDIR)/tools/demo-mesh.sh

bench:
	tools/deps.sh
	$(MAKE) all
	tools/vm/run --timeout 3600 --out $(CURDIR)/build/bench -- $(CURDIR)/tools/bench.sh
