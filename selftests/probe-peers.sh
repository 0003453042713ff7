#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# selftest-timeout: 300
# esptun probe against strongSwan's charon and libreswan's pluto as the
# peer (ns2), one after the other: each answers the probe's MM1 on UDP 500
# and on UDP 4500 with its MM2, so both paths read "ok"; with UDP 4500
# dropped on the way to charon, that path reads "no answer".
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike-lib.sh"

PSK=probe-peers-key
IKE=aes128-sha256-modp2048
ESP=aes128-sha1
IFID=43
N_TESTS=6

ktap_plan $N_TESTS

if ! module_load; then
	for ((i = 0; i < N_TESTS; i++)); do
		ktap_skip "probe-peers-$i" "esptun.ko could not be loaded"
	done
	ktap_finished
fi

ike_topo || exit 1

# probe: esptun probe of conn peer from esptund in ns1; OUT and RC set.
probe() {
	OUT=$(ip netns exec $IKE_NS1 "$ESPTUN" probe -s "$IKE_DIR/a.sock" \
		peer 2>&1)
	RC=$?
}

# expect TEST RC TEXT...: the last probe exited RC and said every TEXT.
expect() {
	local name=$1 rc=$2 t
	shift 2
	for t in "$@"; do
		if [ "$RC" != "$rc" ] || [[ $OUT != *"$t"* ]]; then
			ktap_fail "$name" "$(printf 'want exit %s and "%s"; got exit %s:\n%s' \
				"$rc" "$t" "$RC" "$OUT")"
			return
		fi
	done
	ktap_ok "$name"
}

esptund_conf a $IKE_ADDR1 $IKE_ADDR2 $PSK $IKE $ESP listen
ktap_check "esptund-start" esptund_start a $IKE_NS1
eike a down peer >/dev/null 2>&1

# strongSwan.
if [ ! -x /usr/lib/ipsec/charon ]; then
	for t in start answers 4500-dropped; do
		ktap_skip "strongswan-$t" "strongSwan's charon is not installed"
	done
elif swan_start $IKE_NS2 >"$IKE_DIR/swan.out" 2>&1 &&
     swan_conf $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha256-modp2048 \
	aes128-sha1 $IFID >>"$IKE_DIR/swan.out" 2>&1; then
	ktap_ok "strongswan-start"
	probe
	expect "strongswan-answers" 0 "UDP 500:  ok (MM2 in " \
		"UDP 4500: ok (MM2 in " "UDP 500 and 4500 pass to $IKE_ADDR2"
	ip netns exec $IKE_NS2 nft -f - <<EOT
table inet probe {
	chain in {
		type filter hook input priority 0;
		udp dport 4500 drop
	}
}
EOT
	probe
	expect "strongswan-4500-dropped" 1 "UDP 500:  ok (MM2 in " \
		"UDP 4500: no answer (MM1 sent 2 times)"
	ip netns exec $IKE_NS2 nft delete table inet probe
	swan_stop
else
	ktap_fail "strongswan-start" "$(cat "$IKE_DIR/swan.out")"
	ktap_skip "strongswan-answers" "charon did not start"
	ktap_skip "strongswan-4500-dropped" "charon did not start"
fi

# libreswan.
if ! why=$(lsw_available); then
	ktap_skip "libreswan-start" "$why"
	ktap_skip "libreswan-answers" "$why"
elif lsw_start $IKE_NS2 $IKE_ADDR2 $IKE_ADDR1 $PSK aes128-sha2_256-modp2048 \
	"aes128-sha1;modp2048" yes $IFID >"$IKE_DIR/lsw.out" 2>&1; then
	ktap_ok "libreswan-start"
	probe
	expect "libreswan-answers" 0 "UDP 500:  ok (" "UDP 4500: ok (" \
		"UDP 500 and 4500 pass to $IKE_ADDR2"
	lsw_stop
else
	ktap_fail "libreswan-start" "$(cat "$IKE_DIR/lsw.out")"
	ktap_skip "libreswan-answers" "pluto did not start"
fi

ktap_finished
