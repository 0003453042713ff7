#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Parallel crypto. Between two esptun devices (esp-lib.sh two_sites) on a
# guest with more than one CPU: devices start with parallel on, and the
# SAs added to them report it and the transform that serves them. Files
# cross both ways intact with GCM and with CBC+HMAC, every packet sent is
# received, and no replay, ICV or format drop is counted. 10,000 numbered
# UDP datagrams sent as fast as possible arrive in the order they were
# sent (the workers finish out of order, delivery must not), and the ESP
# sequence numbers on the wire only ever grow. "parallel off" applies to
# SAs added afterwards and leaves the existing ones as they are; bad
# values are refused and change nothing. The lower link deleted under a
# flood three times leaves a working tunnel. The kernel log stays clean.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esp-lib.sh"

ktap_plan 24

# sas_add SPEC: SAs 0x100 (a -> b) and 0x200 (b -> a) with fresh keys.
sas_add() {
	local -a ab ba
	mapfile -t ab < <(alg_words "$1")
	mapfile -t ba < <(alg_words "$1")
	ns a "$ESPTUN" sa add esp0 dir out spi 0x100 "${ab[@]}" &&
	ns b "$ESPTUN" sa add esp0 dir in spi 0x100 "${ab[@]}" &&
	ns b "$ESPTUN" sa add esp0 dir out spi 0x200 "${ba[@]}" &&
	ns a "$ESPTUN" sa add esp0 dir in spi 0x200 "${ba[@]}"
}

sas_flush() {
	ns a "$ESPTUN" sa flush esp0 && ns b "$ESPTUN" sa flush esp0
}

# dev_field NS KEY: a top-level field of esp0 in "esptun -j show".
dev_field() {
	ip netns exec "$1" "$ESPTUN" -j show esp0 | "${PY3[@]}" -c '
import json, sys
print(json.dumps(json.load(sys.stdin)[0].get(sys.argv[1])))' "$2"
}

# all_parallel WANT [DRIVER-PART]: the four SAs report parallel = WANT and
# a driver (whose name holds DRIVER-PART).
all_parallel() {
	local want=$1 part=${2:-} i p v ok=0
	local -a va vb val
	local -a who=("a/out/0x100" "b/in/0x100" "b/out/0x200" "a/in/0x200")
	mapfile -t va < <(sa_values a esp0 out:0x100:parallel out:0x100:driver \
		in:0x200:parallel in:0x200:driver)
	mapfile -t vb < <(sa_values b esp0 in:0x100:parallel in:0x100:driver \
		out:0x200:parallel out:0x200:driver)
	val=("${va[0]:-}" "${va[1]:-}" "${vb[0]:-}" "${vb[1]:-}"
	     "${vb[2]:-}" "${vb[3]:-}" "${va[2]:-}" "${va[3]:-}")
	SEEN=
	for i in 0 1 2 3; do
		p=${val[2 * i]} v=${val[2 * i + 1]}
		SEEN="$SEEN ${who[i]}=$p,$v"
		[ "$p" = "$want" ] && [ -n "$v" ] && [ "$v" != null ] &&
			[ "$v" != '""' ] && [[ $v == *"$part"* ]] || ok=1
	done
	return $ok
}

# no_drops: no replay, ICV or format drop on either inbound SA.
no_drops() {
	local f n s v i ok=0
	local -a got
	DROPS=
	for v in "b 0x100" "a 0x200"; do
		read -r n s <<<"$v"
		mapfile -t got < <(sa_values "$n" esp0 "in:$s:stats.replay" \
			"in:$s:stats.icv_fail" "in:$s:stats.format")
		i=0
		for f in replay icv_fail format; do
			DROPS="$DROPS $n/$s/$f=${got[i]:-}"
			[ "${got[i]:-}" = 0 ] || ok=1
			i=$((i + 1))
		done
	done
	return $ok
}

# numbered COUNT: a sends COUNT datagrams numbered 0.., b records their
# numbers; prints "received inversions". The receiver waits up to 60 s for
# the first one (in the debug kernel it came more than 5 s after the bind:
# the sender's interpreter starts only then), then 5 s between them.
numbered() {
	ip netns exec b timeout 120 "${PY3[@]}" - >"$TEST_OUT/recv.txt" <<'PY' &
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)
s.bind(("192.168.2.1", 7000))
s.settimeout(60)
got, inv, last = 0, 0, -1
try:
    while True:
        n = struct.unpack("!I", s.recv(2048)[:4])[0]
        if n == 0xffffffff:
            break
        s.settimeout(5)
        got += 1
        inv += n < last
        last = n
except socket.timeout:
    pass
print(got, inv)
PY
	local pid=$!
	wait_for -t 5 sh -c "ip netns exec b ss -Hlun | grep -q ':7000 '"
	ip netns exec a "${PY3[@]}" - "$1" <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
pad = b"x" * 200
for i in range(int(sys.argv[1])):
    while True:
        try:
            s.sendto(struct.pack("!I", i) + pad, ("192.168.2.1", 7000))
            break
        except OSError:
            time.sleep(0.001)
time.sleep(1)
for _ in range(3):
    s.sendto(struct.pack("!I", 0xffffffff), ("192.168.2.1", 7000))
PY
	wait "$pid"
	cat "$TEST_OUT/recv.txt"
}

# seq_in_order PCAP SPI: the ESP sequence numbers of SPI in the capture
# only grow; prints "packets drops-in-order".
seq_in_order() {
	"${PY3[@]}" - "$1" "$2" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
spi = int(sys.argv[2], 0)
off, n, bad, last = 24, 0, 0, 0
while off + 16 <= len(data):
    incl = struct.unpack("<I", data[off + 8:off + 12])[0]
    pkt = data[off + 16:off + 16 + incl]
    off += 16 + incl
    if len(pkt) < 14 + 20 + 8 or pkt[12:14] != b"\x08\x00" or pkt[23] != 50:
        continue
    ihl = (pkt[14] & 15) * 4
    s, q = struct.unpack("!II", pkt[14 + ihl:14 + ihl + 8])
    if s != spi:
        continue
    n += 1
    bad += q <= last
    last = q
print(n, bad)
PY
}

if ! two_sites >"$TEST_OUT/setup.log" 2>&1; then
	ktap_fail "setup" "$(cat "$TEST_OUT/setup.log")"
	ktap_finished
fi
dmesg_mark
cpus=$(nproc)
if [ "$(dev_field a parallel)" = true ] && [ "$cpus" -gt 1 ]; then
	ktap_ok "a new device has parallel on ($cpus CPUs)"
else
	ktap_fail "a new device has parallel on" \
		"parallel $(dev_field a parallel) with $cpus CPUs"
fi

# GCM goes last: the order test below runs through its SAs. A kernel with
# AES-NI built in names the CBC driver cbc-aes-aesni, not cbc(...).
for spec in "cbc-sha256|cbc|enc cbc(aes) KEY16 auth-trunc hmac(sha256) KEY32 128" \
	    "gcm|gcm|aead rfc4106(gcm(aes)) KEY20 128"; do
	name=${spec%%|*}
	drv=${spec#*|}
	drv=${drv%%|*}
	if sas_add "${spec##*|}" >"$TEST_OUT/$name.sas" 2>&1 &&
		all_parallel true "$drv"; then
		ktap_ok "$name: the SAs run parallel:$SEEN"
	else
		ktap_fail "$name: the SAs run parallel" \
			"$SEEN $(cat "$TEST_OUT/$name.sas")"
	fi
	transfer "$name: tcp a -> b" a b 192.168.2.1 1024
	transfer "$name: tcp b -> a" b a 192.168.1.1 512
	counters_match "$name: a -> b every packet sent received" 0x100 a b 300
	counters_match "$name: b -> a every packet sent received" 0x200 b a 300
	ktap_check "$name: no replay, ICV or format drop" no_drops
	[ "$name" = gcm ] || sas_flush
done

# Order: numbered datagrams through the GCM SAs, with the wire captured.
# Headers only, into a large buffer: the capture must keep up with the burst.
tcpdump_start b vb "$TEST_OUT/order.pcap" -s 80 -B 65536 esp
r=$(numbered 10000)
tcpdump_stop "$TEST_OUT/order.pcap"
read -r got inv <<<"$r"
if [ "${got:-0}" -ge 5000 ] && [ "$inv" = 0 ]; then
	ktap_ok "10000 numbered datagrams: $got received, none out of order"
else
	ktap_fail "10000 numbered datagrams in order" "received ${got:-?}, inversions ${inv:-?}"
fi
w=$(seq_in_order "$TEST_OUT/order.pcap" 0x100)
read -r seen bad <<<"$w"
if [ "${seen:-0}" -ge 5000 ] && [ "$bad" = 0 ]; then
	ktap_ok "ESP sequence numbers on the wire only grow ($seen packets)"
else
	ktap_fail "ESP sequence numbers on the wire only grow" "$seen packets, $bad out of order"
fi
ktap_check "after the burst: no replay, ICV or format drop" no_drops
sas_flush

# Off: new SAs inline, existing ones unchanged.
sas_add "aead rfc4106(gcm(aes)) KEY20 128" >/dev/null 2>&1
ns a "$ESPTUN" set esp0 parallel off
ns b "$ESPTUN" set esp0 parallel off
if [ "$(dev_field a parallel)" = false ] && all_parallel true; then
	ktap_ok "parallel off: the existing SAs keep parallel crypto"
else
	ktap_fail "parallel off: the existing SAs keep parallel crypto" "$SEEN"
fi
sas_flush
sas_add "aead rfc4106(gcm(aes)) KEY20 128" >/dev/null 2>&1
ktap_check "parallel off: SAs added afterwards run inline" all_parallel false
transfer "inline: tcp a -> b" a b 192.168.2.1 512

# Bad values: refused, nothing changed.
out=$(ns a "$ESPTUN" set esp0 parallel 2 2>&1)
if [ $? -ne 0 ] && [ "$(dev_field a parallel)" = false ] &&
   [[ $out == *parallel* ]]; then
	ktap_ok "\"parallel 2\" refused, nothing changed ($out)"
else
	ktap_fail "\"parallel 2\" refused" "$out; parallel $(dev_field a parallel)"
fi
ns a "$ESPTUN" set esp0 parallel on
if [ "$(dev_field a parallel)" = true ]; then
	ktap_ok "parallel on again"
else
	ktap_fail "parallel on again" "$(dev_field a parallel)"
fi
# The lower link goes away while received packets wait on the workers:
# the packet path holds only the esptun device then, nothing reads the
# freed veth (the kernel log check below).
ns b "$ESPTUN" set esp0 parallel on
sas_flush
sas_add "aead rfc4106(gcm(aes)) KEY20 128" >/dev/null 2>&1
ktap_check "parallel again for the link deletions" all_parallel true
udp_flood() {	# SECONDS
	ip netns exec a timeout $(($1 + 5)) "${PY3[@]}" - "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end, data = time.monotonic() + float(sys.argv[1]), b"x" * 1000
while time.monotonic() < end:
    try:
        s.sendto(data, ("192.168.2.1", 9))
    except OSError:
        pass
PY
}
for i in 1 2 3; do
	udp_flood 3 &
	fp=$!
	sleep 1.5
	ip -n b link del vb
	wait $fp
	veth_pair a va b vb &&
		ip -n a addr add 10.0.0.1/24 dev va &&
		ip -n b addr add 10.0.0.2/24 dev vb
done
transfer "lower link deleted under a flood, three times: tcp a -> b" \
	a b 192.168.2.1 256
ktap_check "kernel log clean" dmesg_clean_since_mark
ktap_finished
