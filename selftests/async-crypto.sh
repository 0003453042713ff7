#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Asynchronous crypto. The crypto API may finish a request later, from
# another CPU (-EINPROGRESS, or -EBUSY when backlogged). pcrypt instances
# of the SA algorithms, registered through the crypto user API as
# administrators do for IPsec, outrank the synchronous implementations, so
# every esptun packet both ways completes in a callback. Between two
# esptun devices (esp-lib.sh two_sites), with GCM and with CBC+HMAC:
# esptun's SAs take the pcrypt transforms (their reference counts in
# /proc/crypto grow by one per SA), files cross both ways intact, every
# packet sent is received, and flushing the SAs gives the transforms
# back. Then a flood of UDP for a few seconds: the SAs and the device
# report a crypto-busy drop counter (what a full crypto queue drops, as
# requests never wait in the backlog), the kernel's skbs go back to about
# where they were, and the tunnel still carries a file. pcrypt goes again
# at the end.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esp-lib.sh"

# name  esptun algorithm words  crypto API name
CASES=(
	"gcm|aead rfc4106(gcm(aes)) KEY20 128|rfc4106(gcm(aes))"
	"cbc-sha256|enc cbc(aes) KEY16 auth-trunc hmac(sha256) KEY32 128|authenc(hmac(sha256),cbc(aes))"
)
ktap_plan $((3 + ${#CASES[@]} * 9))

# pcrypt_add NAME: instantiate pcrypt(NAME) (an AEAD) with CRYPTO_MSG_NEWALG,
# then find it in /proc/crypto. The request names the template by
# algorithm, not by driver, so the kernel answers ENOENT after creating
# the instance (it looks for the result under the name asked for); what
# counts is that the instance is there.
pcrypt_add() {
	pcrypt_newalg "$1" && wait_for -t 5 refs_known "$1"
}

refs_known() {
	[ -n "$(pcrypt_refs "$1")" ]
}

pcrypt_newalg() {
	"${PY3[@]}" - "pcrypt($1)" <<'EOF'
import os, socket, struct, sys
NETLINK_CRYPTO, CRYPTO_MSG_NEWALG = 21, 0x10
CRYPTO_ALG_TYPE_AEAD, CRYPTO_ALG_TYPE_MASK = 0x3, 0xf
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_CRYPTO)
alg = struct.pack("64s64s64sIIII", sys.argv[1].encode(), b"", b"",
                  CRYPTO_ALG_TYPE_AEAD, CRYPTO_ALG_TYPE_MASK, 0, 0)
s.send(struct.pack("=IHHII", 16 + len(alg), CRYPTO_MSG_NEWALG, 1 | 4, 1, 0)
       + alg)
err = struct.unpack("=i", s.recv(4096)[16:20])[0]
if err not in (0, -2, -17):
    sys.exit("%s: %s" % (sys.argv[1], os.strerror(-err)))
EOF
}

# pcrypt_refs NAME: refcnt of the pcrypt instance of NAME in /proc/crypto.
pcrypt_refs() {
	awk -v name="$1" '
		$1 == "name" { n = $3 }
		$1 == "driver" { d = $3 }
		$1 == "refcnt" && n == name && d ~ /^pcrypt\(/ { print $3; exit }
	' /proc/crypto
}

# all_received: each direction's inbound SA received what the other side's
# outbound SA sent, and the transfers made it more than a handful.
all_received() {
	local out_a in_b out_b in_a
	out_a=$(sa_stat a esp0 out 0x100 packets)
	in_b=$(sa_stat b esp0 in 0x100 packets)
	out_b=$(sa_stat b esp0 out 0x200 packets)
	in_a=$(sa_stat a esp0 in 0x200 packets)
	COUNTS="a->b $out_a/$in_b, b->a $out_b/$in_a"
	[ "$out_a" = "$in_b" ] && [ "$out_b" = "$in_a" ] &&
		[ "${out_a:-0}" -gt 300 ] 2>/dev/null
}

# busy_counted NS SPI DIR: the SA and the device report crypto_busy.
busy_counted() {
	ip netns exec "$1" "$ESPTUN" -j show esp0 | "${PY3[@]}" -c '
import json, sys
spi, d = int(sys.argv[1], 0), sys.argv[2]
for x in json.load(sys.stdin):
    sas = [s for s in x["sas"] if s["spi"] == spi and s["dir"] == d]
    print("sa", sas[0]["stats"]["crypto_busy"], "dev", x["stats"]["crypto_busy"])
' "$2" "$3"
}

# skbs: allocated objects of the skb head cache.
skbs() {
	awk '$1 == "skbuff_head_cache" { print $2 }' /proc/slabinfo
}

skbs_back() {
	[ "$(skbs)" -le $(($1 + 2000)) ]
}

# flood SECONDS: a sends 1000-byte UDP datagrams to b as fast as it can.
flood() {
	ip netns exec a timeout $(($1 + 10)) "${PY3[@]}" - "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
end, data = time.monotonic() + float(sys.argv[1]), b"x" * 1000
while time.monotonic() < end:
    for _ in range(100):
        try:
            s.sendto(data, ("192.168.2.1", 9))
        except OSError:
            pass
PY
}

refs_are() {
	[ "$(pcrypt_refs "$1")" = "$2" ]
}

setup() {
	modprobe pcrypt && modprobe crypto_user || return 1
	two_sites
}

if ! setup >"$TEST_OUT/setup.log" 2>&1; then
	ktap_fail "setup" "$(cat "$TEST_OUT/setup.log")"
	ktap_finished
fi
ktap_ok "setup: pcrypt loaded, two sites"
dmesg_mark

run_case() {
	local name api spec ab ba r0 r1
	IFS='|' read -r name spec api <<<"$1"
	mapfile -t ab < <(alg_words "$spec")
	mapfile -t ba < <(alg_words "$spec")

	ktap_check "$name: pcrypt($api) instantiated" pcrypt_add "$api"
	r0=$(pcrypt_refs "$api")
	{
		ns a "$ESPTUN" sa add esp0 dir out spi 0x100 "${ab[@]}" &&
		ns b "$ESPTUN" sa add esp0 dir in spi 0x100 "${ab[@]}" &&
		ns b "$ESPTUN" sa add esp0 dir out spi 0x200 "${ba[@]}" &&
		ns a "$ESPTUN" sa add esp0 dir in spi 0x200 "${ba[@]}"
	} >"$TEST_OUT/$name.sas" 2>&1
	r1=$(pcrypt_refs "$api")
	if [ -n "$r0" ] && [ "$r1" = $((r0 + 4)) ]; then
		ktap_ok "$name: the four SAs use pcrypt ($r0 -> $r1 references)"
	else
		ktap_fail "$name: the four SAs use pcrypt" \
			"references ${r0:-none} -> ${r1:-none}; $(cat "$TEST_OUT/$name.sas")"
	fi

	transfer "$name: tcp a -> b" a b 192.168.2.1 512
	transfer "$name: tcp b -> a" b a 192.168.1.1 256
	# The last ACKs of the transfers may still be on their way.
	if wait_for -t 5 all_received; then
		ktap_ok "$name: every packet sent was received ($COUNTS)"
	else
		ktap_fail "$name: every packet sent was received" "$COUNTS"
	fi

	local s0 c
	s0=$(skbs)
	flood 4
	if c=$(busy_counted a 0x100 out 2>&1) &&
	   c="$c; $(busy_counted b 0x100 in 2>&1)"; then
		ktap_ok "$name: flood: crypto-busy drops reported ($c)"
	else
		ktap_fail "$name: flood: crypto-busy drops reported" "$c"
	fi
	if wait_for -t 20 skbs_back "$s0"; then
		ktap_ok "$name: flood: skbs back to $(skbs) (from $s0)"
	else
		ktap_fail "$name: flood: skbs back" "$s0 before, $(skbs) after"
	fi
	transfer "$name: tcp a -> b after the flood" a b 192.168.2.1 128

	ns a "$ESPTUN" sa flush esp0
	ns b "$ESPTUN" sa flush esp0
	ktap_check "$name: flushing gives the transforms back" \
		wait_for -t 10 refs_are "$api" "$r0"
}

for c in "${CASES[@]}"; do
	run_case "$c"
done

# Left registered, the pcrypt instances would serve xfrm's SAs in the
# tests that follow in this boot as well; Linux 6.1's xfrm interfaces then
# lost device references ("waiting for ipsec7 to become free. Usage count
# = -25"). Unloading pcrypt removes them.
no_pcrypt() {
	modprobe -r pcrypt && ! grep -q '^driver *: pcrypt(' /proc/crypto
}
ktap_check "pcrypt unloaded, no pcrypt transform left" wait_for -t 10 no_pcrypt
ktap_check "kernel log clean" dmesg_clean_since_mark
ktap_finished
