#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# esptun against the kernel's own IPsec, the reference nobody here wrote.
#
#   netns es                                  netns xf
#   esp0 (esptun)                             ipsec0 (xfrm, if_id 42)
#   192.168.1.1 fd01::1                       192.168.2.1 fd02::1
#        \__ va 10.0.0.1 fd00::1 ==== vb 10.0.0.2 fd00::2 __/
#
# Every algorithm once, over IPv4 and IPv6 outer, raw ESP and ESP-in-UDP,
# inner traffic of the outer family: pings both ways, a random file
# over TCP with the same SHA-256 at the other end, and esptun's packet and
# inner-byte counters equal to xfrm's for both SAs. Any byte wrong on the
# wire fails xfrm's ICV check or ours. SAs are swapped by flush/add.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esp-lib.sh"

# name outer encap esn enc-args...
CASES=(
	"gcm128|4|none|0|aead rfc4106(gcm(aes)) KEY20 128"
	"gcm256|6|none|0|aead rfc4106(gcm(aes)) KEY36 128"
	"chacha20poly1305|4|udp|0|aead rfc7539esp(chacha20,poly1305) KEY36 128"
	"aes128-sha1|6|udp|0|enc cbc(aes) KEY16 auth-trunc hmac(sha1) KEY20 96"
	"aes192-sha256-esn|4|none|1|enc cbc(aes) KEY24 auth-trunc hmac(sha256) KEY32 128"
	"aes256-sha384|6|none|0|enc cbc(aes) KEY32 auth-trunc hmac(sha384) KEY48 192"
	"aes256-sha512|4|udp|0|enc cbc(aes) KEY32 auth-trunc hmac(sha512) KEY64 256"
	"3des-sha256|4|none|0|enc cbc(des3_ede) KEY24 auth-trunc hmac(sha256) KEY32 128"
	"null-sha256|6|none|0|enc cipher_null KEY0 auth-trunc hmac(sha256) KEY32 128"
	"gcm128-esn|6|udp|1|aead rfc4106(gcm(aes)) KEY20 128"
)
# Per case: 2 pings, 1 transfer, 2 counter comparisons.
ktap_plan $((4 + ${#CASES[@]} * 5))

setup() {
	module_load || return 1
	netns_new es && netns_new xf || return 1
	veth_pair es va xf vb || return 1
	ip -n es addr add 10.0.0.1/24 dev va
	ip -n xf addr add 10.0.0.2/24 dev vb
	ip -n es addr add fd00::1/64 dev va nodad
	ip -n xf addr add fd00::2/64 dev vb nodad

	ip -n es link add esp0 type esptun || return 1
	ip -n es addr add 192.168.1.1/32 dev esp0
	ip -n es addr add fd01::1/128 dev esp0 nodad
	ip -n es link set esp0 up
	ip -n es route add 192.168.2.0/24 dev esp0 src 192.168.1.1
	ip -n es route add fd02::/64 dev esp0 src fd01::1

	ip -n xf link add ipsec0 type xfrm dev vb if_id 42 || return 1
	ip -n xf addr add 192.168.2.1/32 dev ipsec0
	ip -n xf addr add fd02::1/128 dev ipsec0 nodad
	ip -n xf link set ipsec0 up
	ip -n xf route add 192.168.1.0/24 dev ipsec0 src 192.168.2.1
	ip -n xf route add fd01::/64 dev ipsec0 src fd02::1

	# Holders of the UDP_ENCAP_ESPINUDP sockets on 4500, both sides.
	bg_start ip netns exec es "$ESPTUN" encap-listen 4500
	bg_start ip netns exec xf "$ESPTUN" encap-listen 4500
	wait_for -t 5 sh -c "ip netns exec xf ss -Hlun | grep -q ':4500 '"
}

run_case() {
	local i=$1 name outer encap esn spec la lb any4 any6 oa xencap eencap x e
	local spi_ab spi_ba alg_ab alg_ba xesn eout ein ia ib px pe pla plb
	IFS='|' read -r name outer encap esn spec <<<"${CASES[i]}"
	spi_ab=$((0x1000 + i))
	spi_ba=$((0x2000 + i))
	if [ "$outer" = 4 ]; then
		la=10.0.0.1 lb=10.0.0.2 oa=0.0.0.0
	else
		la=fd00::1 lb=fd00::2 oa=::
	fi
	xencap=() eencap=(encap none)
	if [ "$encap" = udp ]; then
		xencap=(encap espinudp 4500 4500 "$oa")
		eencap=(encap udp sport 4500 dport 4500)
	fi
	xesn=(replay-window 64) eout=() ein=(replay-window 64)
	if [ "$esn" = 1 ]; then
		xesn=(flag esn replay-window 64)
		eout=(esn) ein=(replay-window 64 esn)
	fi
	# Different keys per direction, as IKE would derive them.
	mapfile -t alg_ab < <(alg_words "$spec")
	mapfile -t alg_ba < <(alg_words "$spec")

	# The previous case's SAs go in two steps. First each side's outbound
	# SA, so that neither sends any more: a late packet (a delayed TCP
	# ACK) is then dropped by its sender, as esptun's no_sa or xfrm's
	# XfrmOutNoStates. Once what was on the wire has landed, the rest. A
	# side that lost its inbound SA first would count the other's late
	# packet as an unknown SPI (esptun) or XfrmInNoStates (xfrm).
	if [ -n "$PREV_OUT" ]; then
		read -r px pe pla plb <<<"$PREV_OUT"
		ns es "$ESPTUN" sa del esp0 dir out spi "$pe"
		ip -n xf xfrm state deleteall src "$plb" dst "$pla" proto esp spi "$px"
		sleep 0.2
	fi
	ns es "$ESPTUN" sa flush esp0
	ip -n xf xfrm state flush
	ip -n xf xfrm policy flush
	# xfrm's outbound SPI, esptun's outbound SPI, the outer addresses.
	PREV_OUT="$spi_ba $spi_ab $la $lb"

	x=ok
	# esptun's inbound SA first, its outbound one last: each side's first
	# packets (IPv6 router solicitations) must find the other's SA.
	{
		ns es "$ESPTUN" set esp0 local "$la" remote "$lb" "${eencap[@]}" &&
		ns es "$ESPTUN" sa add esp0 dir in spi "$spi_ba" "${alg_ba[@]}" "${ein[@]}" &&
		ip -n xf xfrm state add src "$la" dst "$lb" proto esp spi "$spi_ab" \
			reqid 1 mode tunnel if_id 42 "${alg_ab[@]}" "${xesn[@]}" "${xencap[@]}" &&
		ip -n xf xfrm state add src "$lb" dst "$la" proto esp spi "$spi_ba" \
			reqid 1 mode tunnel if_id 42 "${alg_ba[@]}" "${xesn[@]}" "${xencap[@]}" &&
		for any in 0.0.0.0/0 ::/0; do
			ip -n xf xfrm policy add dir out src "$any" dst "$any" if_id 42 \
				tmpl src "$lb" dst "$la" proto esp reqid 1 mode tunnel &&
			ip -n xf xfrm policy add dir in src "$any" dst "$any" if_id 42 \
				tmpl src "$la" dst "$lb" proto esp reqid 1 mode tunnel ||
				return 1
		done &&
		ns es "$ESPTUN" sa add esp0 dir out spi "$spi_ab" "${alg_ab[@]}" "${eout[@]}"
	} >"$TEST_OUT/$name.setup" 2>&1 || x=fail
	if [ "$x" != ok ]; then
		ktap_fail "$name: setup" "$(cat "$TEST_OUT/$name.setup")"
		for x in 1 2 3 4; do
			ktap_skip "$name" "setup failed"
		done
		return
	fi

	# xfrm's SA takes the inner family of its selector, the outer one
	# here; esptun <-> esptun covers the mixed combinations.
	if [ "$outer" = 4 ]; then
		ia=192.168.1.1 ib=192.168.2.1
	else
		ia=fd01::1 ib=fd02::1
	fi
	pings "$name: ping v$outer esptun -> xfrm" es "$ib"
	pings "$name: ping v$outer xfrm -> esptun" xf "$ia"
	if [ $((i % 2)) = 0 ]; then
		transfer "$name: tcp v$outer esptun -> xfrm" es xf "$ib" 256
	else
		transfer "$name: tcp v$outer xfrm -> esptun" xf es "$ia" 256
	fi
	sleep 0.3
	same_counters "$name: out SA counters equal xfrm's" es esp0 out "$spi_ab" xf
	same_counters "$name: in SA counters equal xfrm's" es esp0 in "$spi_ba" xf
}

# Not in $(...): the background jobs would keep it waiting.
if ! setup >"$TEST_OUT/setup.log" 2>&1; then
	ktap_fail "setup" "$(cat "$TEST_OUT/setup.log")"
	ktap_finished
fi
ktap_ok "setup: esptun and xfrm interface in two namespaces"

# The first use of each algorithm loads crypto modules: not a timing
# problem here, every check waits long enough.
for i in "${!CASES[@]}"; do
	run_case "$i"
done

# xfrm saw no malformed, undecryptable or replayed packet from us.
errs=$(ip netns exec xf cat /proc/net/xfrm_stat | awk '$1 ~ /^XfrmIn/ && $2 != 0')
if [ -z "$errs" ]; then
	ktap_ok "xfrm input error counters all zero"
else
	ktap_fail "xfrm input error counters all zero" "$errs"
fi

# Nor did we see anything bad from xfrm.
bad=$(ip netns exec es "$ESPTUN" -j show | "${PY3[@]}" -c '
import json, sys
n = 0
for d in json.load(sys.stdin):
    for k, v in d["stats"].items():
        n += v if k != "no_sa" else 0
print(n)')
if [ "$bad" = 0 ]; then
	ktap_ok "esptun device drop counters zero"
else
	ktap_fail "esptun device drop counters zero" "$(ip netns exec es "$ESPTUN" show)"
fi
ktap_check "teardown: flush" ip netns exec es "$ESPTUN" sa flush
ktap_finished
