# libFuzzer builds of the agent's code (clang, ASan + UBSan), one program
# per tests/fuzz_*.c, into $(OUT). Used by tools/fuzz.sh:
#
#   make -C agent -f tests/fuzz.mk [OUT=DIR]

CC := clang
OUT ?= $(abspath ../build/fuzz)
PKGS := libnl-genl-3.0 libnl-route-3.0 libnl-3.0 gnutls nettle hogweed
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
CFLAGS := -O1 -g $(SAN) -fsanitize=fuzzer-no-link -std=gnu11 -Wall \
	-Wno-unused-parameter -D_GNU_SOURCE -fno-strict-aliasing \
	-I. -I../uapi -I../lib \
	$(shell pkg-config --cflags $(PKGS))
LDLIBS := $(shell pkg-config --libs $(PKGS)) -lgmp

# The agent's code and the shared userspace library, as esptund links it.
SRCS := $(filter-out ./main.c ./tests/%,$(shell find . -name '*.c')) \
	$(wildcard ../lib/*.c ../lib/isakmp/*.c)
OBJS := $(patsubst %.c,$(OUT)/obj/%.o,$(subst ../,up/,$(SRCS)))
HDRS := $(shell find . ../uapi ../lib -name '*.h')
TARGETS := $(patsubst tests/%.c,$(OUT)/%,$(wildcard tests/fuzz_*.c))

.PHONY: all
all: $(TARGETS)

$(OUT)/obj/up/%.o: ../%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(OUT)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(OUT)/%: tests/%.c $(OBJS) $(HDRS)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(OBJS) $(LDLIBS)
