#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# An xfrm OUT policy that covers the tunnel's outer addresses must not
# touch esptun's ESP: what esptun sends is ESP already, so its outer route
# is looked up without xfrm, for IPv4 as for IPv6. The policies here have
# no state, so xfrm would blackhole whatever it catches (larval_drop).
#
#   netns a                                   netns b
#   esp0 192.168.1.1                          esp0 192.168.2.1
#        \__ va 10.0.0.1 fd00::1 ==== vb 10.0.0.2 fd00::2 __/
#   OUT policies for ESP and UDP to the peer's outer addresses on both
#   sides; raw ESP and ESP in UDP, outer IPv4 and IPv6.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esp-lib.sh"

CASES=("4 none" "4 udp" "6 none" "6 udp")
ktap_plan $((4 + ${#CASES[@]} * 2))

setup() {
	two_sites outer6 || return 1
	# Neighbours first: the policies below would catch nothing of it,
	# but the cases should not wait for resolution either.
	ns a ping -q -c 1 -W 3 10.0.0.2 && ns a ping -q -c 1 -W 3 fd00::2 ||
		return 1
	policies a 10.0.0.1 10.0.0.2 fd00::1 fd00::2 &&
		policies b 10.0.0.2 10.0.0.1 fd00::2 fd00::1 || return 1
	encap_listen_both
}

# policies NS L4 R4 L6 R6: OUT policies for ESP and UDP from L to R, with
# an ESP template no state matches.
policies() {
	local n=$1 p
	for p in esp udp; do
		ip -n "$n" xfrm policy add src "$2/32" dst "$3/32" proto $p dir out \
			tmpl src "$2" dst "$3" proto esp mode tunnel || return 1
		ip -n "$n" xfrm policy add src "$4/128" dst "$5/128" proto $p dir out \
			tmpl src "$4" dst "$5" proto esp mode tunnel || return 1
	done
}

# no_states NS: XfrmOutNoStates of NS.
no_states() {
	ip netns exec "$1" awk '$1 == "XfrmOutNoStates" { print $2 }' \
		/proc/net/xfrm_stat
}

# policy_live NAME NS DST: a datagram from a plain UDP socket to DST is
# caught by the policy (and blackholed for want of a state).
policy_live() {
	local before after
	before=$(no_states "$2")
	echo x | ip netns exec "$2" socat -u - "UDP:$3:9" 2>/dev/null
	after=$(no_states "$2")
	if [ "$after" -gt "$before" ]; then
		ktap_ok "$1"
	else
		ktap_fail "$1" "XfrmOutNoStates $before -> $after"
	fi
}

run_case() {
	local i=$1 outer encap la lb enc k1 k2 ab=$((0x5000 + $1)) ba=$((0x6000 + $1))
	read -r outer encap <<<"${CASES[i]}"
	local name="outer IPv$outer, encap $encap"
	if [ "$outer" = 4 ]; then la=10.0.0.1 lb=10.0.0.2; else la=fd00::1 lb=fd00::2; fi
	enc=(encap none)
	[ "$encap" = udp ] && enc=(encap udp sport 4500 dport 4500)
	mapfile -t k1 < <(alg_words "aead rfc4106(gcm(aes)) KEY20 128")
	mapfile -t k2 < <(alg_words "aead rfc4106(gcm(aes)) KEY20 128")
	ktap_check "$name: SAs added" sh -c '
		set -e
		a() { ip netns exec a "$@"; }
		b() { ip netns exec b "$@"; }
		E=$1 LA=$2 LB=$3 AB=$4 BA=$5 K1=$6 K2=$7
		shift 7
		a "$E" sa flush esp0
		b "$E" sa flush esp0
		a "$E" set esp0 local "$LA" remote "$LB" "$@"
		b "$E" set esp0 local "$LB" remote "$LA" "$@"
		b "$E" sa add esp0 dir in spi "$AB" aead "rfc4106(gcm(aes))" "$K1" 128
		a "$E" sa add esp0 dir in spi "$BA" aead "rfc4106(gcm(aes))" "$K2" 128
		a "$E" sa add esp0 dir out spi "$AB" aead "rfc4106(gcm(aes))" "$K1" 128
		b "$E" sa add esp0 dir out spi "$BA" aead "rfc4106(gcm(aes))" "$K2" 128
	' - "$ESPTUN" $la $lb $ab $ba "${k1[2]}" "${k2[2]}" "${enc[@]}"
	pings "$name: ping through the tunnel" a 192.168.2.1
}

# Not in $(...): the background jobs would keep it waiting.
if ! setup >"$TEST_OUT/setup.log" 2>&1; then
	ktap_fail "setup" "$(cat "$TEST_OUT/setup.log")"
	ktap_finished
fi
ktap_ok "setup"
dmesg_mark
policy_live "IPv4 policy catches a plain UDP socket" a 10.0.0.2
policy_live "IPv6 policy catches a plain UDP socket" a "[fd00::2]"
for i in "${!CASES[@]}"; do
	run_case "$i"
done
ktap_check "kernel log clean" dmesg_clean_since_mark
ktap_finished
