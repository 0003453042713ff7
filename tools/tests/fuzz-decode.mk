# libFuzzer build of `esptun decode` (clang, ASan + UBSan): the decoder's
# files of the CLI and the shared library they use, into $(OUT). Used by
# tools/fuzz.sh:
#
#   make -C tools -f tests/fuzz-decode.mk [OUT=DIR]

CC := clang
OUT ?= $(abspath ../build/fuzz)
PKGS := libnl-genl-3.0 libnl-3.0 gnutls
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
CFLAGS := -O1 -g $(SAN) -fsanitize=fuzzer-no-link -std=gnu11 -Wall \
	-Wno-unused-parameter -D_GNU_SOURCE -I. -I../lib -I../uapi \
	-DCAPTURES_DIR='"$(abspath tests/captures)"' \
	$(shell pkg-config --cflags $(PKGS))
LDLIBS := $(shell pkg-config --libs $(PKGS)) -lpcap

SRCS := $(wildcard decode*.c) pcap_read.c json.c util.c \
	$(wildcard ../lib/*.c ../lib/isakmp/*.c)
OBJS := $(patsubst %.c,$(OUT)/obj-tools/%.o,$(subst ../,up/,$(SRCS)))
HDRS := $(wildcard *.h ../lib/*.h ../lib/isakmp/*.h ../uapi/*.h)

.PHONY: all
all: $(OUT)/fuzz_decode

$(OUT)/obj-tools/up/%.o: ../%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(OUT)/obj-tools/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(OUT)/fuzz_decode: tests/fuzz_decode.c $(OBJS) $(HDRS)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(OBJS) $(LDLIBS)
