#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# SA lifetimes, esptun <-> esptun over raw ESP (IPv4):
#
#   netns a: esp0 192.168.1.1 -- va 10.0.0.1 ==== vb 10.0.0.2 -- esp0 192.168.2.1 :netns b
#
# Seconds since add: soft and hard limits raise soft-expire and
# hard-expire events with that reason, with or without traffic, and the
# SA is gone afterwards; an SA with only a soft limit keeps working.
# Packet, byte and use-seconds limits under traffic, sequence exhaustion
# and acquire rate limiting are sa-lifetime.sh's.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esp-lib.sh"
GCM="aead rfc4106(gcm(aes))"

ktap_plan 9

setup() {
	two_sites
}

K1=$(hexkey 20)
K2=$(hexkey 20)
# sas "A-OUT-ARGS" "B-IN-ARGS": a fresh pair 0x7001 (a->b), 0x7002 (b->a).
sas() {
	# shellcheck disable=SC2086
	ns a "$ESPTUN" sa flush esp0 && ns b "$ESPTUN" sa flush esp0 &&
	ns a "$ESPTUN" sa add esp0 dir out spi 0x7001 $GCM "$K1" 128 $1 &&
	ns b "$ESPTUN" sa add esp0 dir in spi 0x7001 $GCM "$K1" 128 $2 &&
	ns b "$ESPTUN" sa add esp0 dir out spi 0x7002 $GCM "$K2" 128 &&
	ns a "$ESPTUN" sa add esp0 dir in spi 0x7002 $GCM "$K2" 128
}

# event NAME FILE REGEX: the monitor saw a matching line (within 10 s).
event() {
	if wait_for -t 10 grep -Eq "$3" "$2"; then
		ktap_ok "$1"
	else
		ktap_fail "$1" "no line matching \"$3\" in:
$(cat "$2")"
	fi
}

gone() {
	local s
	s=$(sa_stat "$2" esp0 "$3" "$4" packets)
	if [ "$s" = none ]; then
		ktap_ok "$1"
	else
		ktap_fail "$1" "SA $3 $4 still there with $s packets"
	fi
}

if ! setup >"$TEST_OUT/setup.log" 2>&1; then
	ktap_fail "setup" "$(cat "$TEST_OUT/setup.log")"
	ktap_finished
fi
dmesg_mark
mon_a=$TEST_OUT/monitor.a
mon_b=$TEST_OUT/monitor.b
# Events sent before a monitor joined the group are lost for it, and a
# 1 s soft limit fires before a slow emulator has started one.
if monitor_start a "$mon_a" && monitor_start b "$mon_b"; then
	ktap_ok "monitors listening"
else
	ktap_fail "monitors listening" "$(cat "$mon_a.err" "$mon_b.err")"
fi

# Seconds since add: soft 1, hard 4 (apart enough for a loaded
# emulator), no traffic needed.
ktap_check "add-seconds: SAs added" \
	sas "lifetime soft add-seconds 1 lifetime hard add-seconds 4" ""
event "add-seconds: soft-expire event" "$mon_a" "^soft-expire dev esp0 dir out spi 0x00007001.*reason add-seconds"
event "add-seconds: hard-expire event" "$mon_a" "^hard-expire dev esp0 dir out spi 0x00007001.*reason add-seconds"
gone "add-seconds: the SA is gone" a out 0x7001

# Soft only, on b's in SA: the event comes, traffic goes on.
ktap_check "soft only: SAs added" \
	sas "" "lifetime soft add-seconds 1"
event "soft only: soft-expire event" "$mon_b" "^soft-expire dev esp0 dir in spi 0x00007001.*reason add-seconds"
pings "soft only: the SA still carries traffic" a 192.168.2.1

ktap_check "kernel log clean" dmesg_clean_since_mark
ktap_finished
