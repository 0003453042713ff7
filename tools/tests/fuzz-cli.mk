# libFuzzer build of the esptun command line (clang, ASan + UBSan): every
# file of the CLI, main renamed esptun_main, with tests/ipc_record.c in
# place of ipc.c so that nothing reaches netlink. Used by tools/fuzz.sh:
#
#   make -C tools -f tests/fuzz-cli.mk [OUT=DIR]

CC := clang
OUT ?= $(abspath ../build/fuzz)
PKGS := libnl-genl-3.0 libnl-route-3.0 libnl-3.0 gnutls
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
CFLAGS := -O1 -g $(SAN) -fsanitize=fuzzer-no-link -std=gnu11 -Wall \
	-Wno-unused-parameter -D_GNU_SOURCE -I. -I../lib -I../uapi \
	$(shell pkg-config --cflags $(PKGS))
LDLIBS := $(shell pkg-config --libs $(PKGS)) -lpcap

SRCS := $(filter-out ipc.c,$(wildcard *.c)) tests/ipc_record.c \
	$(wildcard ../lib/*.c ../lib/isakmp/*.c)
OBJS := $(patsubst %.c,$(OUT)/obj-cli/%.o,$(subst ../,up/,$(SRCS)))
HDRS := $(wildcard *.h tests/*.h ../lib/*.h ../lib/isakmp/*.h ../uapi/*.h)

.PHONY: all
all: $(OUT)/fuzz_cli

$(OUT)/obj-cli/esptun.o: esptun.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Dmain=esptun_main -c -o $@ $<

$(OUT)/obj-cli/up/%.o: ../%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(OUT)/obj-cli/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(OUT)/fuzz_cli: tests/fuzz_cli.c $(OBJS) $(HDRS)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(OBJS) $(LDLIBS)
