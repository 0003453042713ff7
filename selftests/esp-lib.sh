# SPDX-License-Identifier: GPL-2.0
# Helpers of the ESP data-path selftests, on top of lib.sh: keys, SA
# counters from "esptun -j show" and "ip -s xfrm state", file transfers.

# hexkey BYTES: 0x followed by BYTES random bytes in hex ("" for 0 bytes).
hexkey() {
	if [ "$1" -eq 0 ]; then
		echo '""'
		return
	fi
	printf '0x%s\n' "$(head -c "$1" /dev/urandom | od -An -tx1 -v | tr -d ' \n')"
}

# alg_words SPEC: the algorithm part of "esptun sa add", one word per line
# for mapfile; KEYn becomes a fresh n-byte key (KEY0 an empty line, read
# into an empty argument).
alg_words() {
	local w
	for w in $1; do
		case $w in
		KEY0) echo ;;
		KEY*) hexkey "${w#KEY}" ;;
		*) echo "$w" ;;
		esac
	done
}

# Counters from "esptun show" text: an SA's ("sa: DIR spi 0x%08x", its
# "  local: ADDR" and "  counters: NAME N, NAME N") or, with dir empty,
# the device's "  drops: NAME N, ..." line; the JSON names with '-' for
# '_', a counter not shown is 0. awk, not python: each python start costs
# a second under emulation, and these are read often.
SHOW_COUNTERS_AWK='
function take(line,   n, i, kv, w) {
	n = split(line, kv, ", ")
	for (i = 1; i <= n; i++) {
		split(kv[i], w, " ")
		c[w[1]] = w[2]
	}
	found = 1
}
/^device: / { indev = ($2 == dev); insa = 0; next }
indev && dir == "" && /^  drops: / { take(substr($0, 10)); exit }
/^sa: / { insa = indev && dir != "" && $2 == dir && $4 == spi; at = ""; next }
insa && /^  local: / { at = $2 }
insa && /^  counters: / && (local == "" || at == local) {
	take(substr($0, 13))
	exit
}
END {
	if (!found) { print "none"; exit }
	n = split(fields, f, " ")
	out = ""
	for (i = 1; i <= n; i++)
		out = out (i > 1 ? " " : "") (f[i] in c ? c[f[i]] : 0)
	print out
}'

# sa_counters NS DEV DIR SPI "FIELD..." [LOCAL]: the SA's counters named,
# space-separated on one line, or "none" without such an SA.
sa_counters() {
	ip netns exec "$1" "$ESPTUN" show "$2" 2>/dev/null |
		awk -v dev="$2" -v dir="$3" -v spi="$(printf '0x%08x' "$4")" \
			-v fields="${5//_/-}" -v local="${6:-}" "$SHOW_COUNTERS_AWK"
}

# sa_stat NS DEV DIR SPI FIELD [LOCAL]: one counter of an esptun SA
# ("packets", "bytes", "replay", "icv_fail", ...), or "none" without such
# an SA; LOCAL picks one of several inbound SAs sharing the SPI.
sa_stat() {
	sa_counters "$1" "$2" "$3" "$4" "$5" "${6:-}"
}

# sa_pb NS DEV DIR SPI: "BYTES PACKETS" of an esptun SA, one snapshot.
sa_pb() {
	sa_counters "$1" "$2" "$3" "$4" "bytes packets"
}

# sa_values NS DEV DIR:SPI:KEY...: several fields of esptun SAs from one
# read, one line each: a top-level KEY as json, stats.NAME as a number
# (0 when absent), "none" for an SA that is not there. Every process
# start costs under emulation; a check reading many fields uses this.
sa_values() {
	local ns=$1 dev=$2
	shift 2
	ip netns exec "$ns" "$ESPTUN" -j show "$dev" | "${PY3[@]}" -c '
import json, sys
dev = sys.argv[1]
sas = [sa for x in json.load(sys.stdin) if x["ifname"] == dev
       for sa in x["sas"]]
for spec in sys.argv[2:]:
    d, spi, key = spec.split(":", 2)
    sa = next((sa for sa in sas
               if sa["dir"] == d and sa["spi"] == int(spi, 0)), None)
    if sa is None:
        print("none")
    elif key.startswith("stats."):
        print(sa["stats"].get(key[6:], 0))
    else:
        print(json.dumps(sa.get(key)))' "$dev" "$@"
}

# sa_field NS DEV DIR SPI KEY: a top-level field of an esptun SA (json).
sa_field() {
	ip netns exec "$1" "$ESPTUN" -j show "$2" | "${PY3[@]}" -c '
import json, sys
dev, d, spi, key = sys.argv[1], sys.argv[2], int(sys.argv[3], 0), sys.argv[4]
for x in json.load(sys.stdin):
    if x["ifname"] != dev:
        continue
    for sa in x["sas"]:
        if sa["dir"] == d and sa["spi"] == spi:
            print(json.dumps(sa.get(key)))
            sys.exit(0)
print("none")' "$2" "$3" "$4" "$5"
}

# dev_stat NS DEV FIELD: a device-level esptun counter ("none" without
# DEV).
dev_stat() {
	ip netns exec "$1" "$ESPTUN" show "$2" 2>/dev/null |
		awk -v dev="$2" -v dir= -v fields="${3//_/-}" "$SHOW_COUNTERS_AWK"
}

# xfrm_cur NS SPI: "BYTES PACKETS" of the xfrm state with that SPI.
xfrm_cur() {
	ip -n "$1" -s xfrm state | awk -v spi="$(printf '0x%08x' "$2")" '
		$1 == "proto" && $2 == "esp" { cur = (index($4, spi) == 1) }
		cur && /lifetime current:/ { getline; gsub(/\(bytes\),|\(packets\)/, ""); print $1, $2; exit }'
}

# same_counters NAME NS_ESPTUN DEV DIR SPI NS_XFRM: esptun's and xfrm's
# packet and byte counters of one SA agree (and are not zero). Packets
# still in flight (TCP teardown) get a few moments to land.
same_counters() {
	local name=$1 e x i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		e=$(sa_pb "$2" "$3" "$4" "$5")
		x=$(xfrm_cur "$6" "$5")
		[ "$e" = "$x" ] && break
		sleep 0.3
	done
	if [ "$e" = "$x" ] && [ "${e#* }" != 0 ] && [ "$e" != none ]; then
		ktap_ok "$name: bytes, packets $e"
	else
		ktap_fail "$name" "esptun bytes/packets: $e, xfrm: $x"
	fi
}

# transfer NAME NS_SRC NS_DST DST_ADDR KIB: a random file over TCP (socat)
# from NS_SRC to NS_DST arrives with the same SHA-256.
transfer() {
	local name=$1 src=$2 dst=$3 addr=$4 kib=$5 in out pid a b
	in=$TEST_OUT/${name//[^A-Za-z0-9.-]/_}.in
	out=${in%.in}.out
	rand_file "$in" "$kib"
	rm -f "$out"
	ip netns exec "$dst" timeout 60 socat -u TCP6-LISTEN:5001,reuseaddr,ipv6only=0 \
		"OPEN:$out,creat,trunc" &
	pid=$!
	wait_for -t 5 sh -c "ip netns exec $dst ss -Hltn | grep -q ':5001 '"
	case $addr in
	*:*) addr="[$addr]" ;;
	esac
	ip netns exec "$src" timeout 60 socat -u "OPEN:$in" "TCP:$addr:5001,connect-timeout=10"
	wait "$pid"
	a=$(sha256sum <"$in" | cut -d' ' -f1)
	b=$(sha256sum <"$out" 2>/dev/null | cut -d' ' -f1)
	if [ "$a" = "$b" ]; then
		ktap_ok "$name: ${kib} KiB, sha256 ${a:0:16}..."
	else
		ktap_fail "$name" "sha256 sent $a, received ${b:-nothing} ($(stat -c %s "$out" 2>/dev/null) bytes)"
	fi
}

# counters_match NAME SPI FROM TO [MIN]: FROM's out SA and TO's in SA
# agree (after packets still in flight have landed) on at least MIN
# packets (default 1).
counters_match() {
	local name=$1 spi=$2 min=${5:-1} o n i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		o=$(sa_pb "$3" esp0 out "$spi")
		n=$(sa_pb "$4" esp0 in "$spi")
		[ "$o" = "$n" ] && break
		sleep 0.3
	done
	if [ "$o" = "$n" ] && [ "$o" != none ] && [ "${o#* }" -ge "$min" ]; then
		ktap_ok "$name: bytes, packets $o"
	else
		ktap_fail "$name" "out bytes/packets $o, in $n"
	fi
}

# pings NAME NS ADDR: three echo requests get answered.
pings() {
	ktap_check "$1" ip netns exec "$2" ping -q -c 3 -i 0.2 -W 3 "$3"
}

# two_sites [outer6]: netns a (10.0.0.1, inner 192.168.1.1) and b
# (10.0.0.2, inner 192.168.2.1) joined by veth va--vb, each with an esptun
# device esp0 set to the other side and a route to the other's inner /24;
# no SAs yet. outer6 adds fd00::1 and fd00::2 on the veth, for tunnels
# over IPv6.
two_sites() {
	module_load || return 1
	netns_new a && netns_new b || return 1
	veth_pair a va b vb || return 1
	ip -n a addr add 10.0.0.1/24 dev va
	ip -n b addr add 10.0.0.2/24 dev vb
	if [ "${1:-}" = outer6 ]; then
		ip -n a addr add fd00::1/64 dev va nodad
		ip -n b addr add fd00::2/64 dev vb nodad
	fi
	for n in a b; do
		# No IPv6 on the tunnel: router solicitations would be packets
		# the counts here do not expect.
		ip netns exec $n sysctl -qw net.ipv6.conf.default.disable_ipv6=1
		ip -n $n link add esp0 type esptun || return 1
		ip -n $n link set esp0 up
	done
	ip -n a addr add 192.168.1.1/32 dev esp0
	ip -n a route add 192.168.2.0/24 dev esp0 src 192.168.1.1
	ip -n b addr add 192.168.2.1/32 dev esp0
	ip -n b route add 192.168.1.0/24 dev esp0 src 192.168.2.1
	ns a "$ESPTUN" set esp0 local 10.0.0.1 remote 10.0.0.2 &&
	ns b "$ESPTUN" set esp0 local 10.0.0.2 remote 10.0.0.1
}

# encap_listen_both: "esptun encap-listen 4500" in a and b, returning once
# both sockets are bound (ESP in UDP is only received while one is held).
encap_listen_both() {
	bg_start ip netns exec a "$ESPTUN" encap-listen 4500
	bg_start ip netns exec b "$ESPTUN" encap-listen 4500
	wait_for -t 5 sh -c "ip netns exec a ss -Hlun | grep -q ':4500 '" &&
		wait_for -t 5 sh -c "ip netns exec b ss -Hlun | grep -q ':4500 '"
}
