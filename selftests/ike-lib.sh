# SPDX-License-Identifier: GPL-2.0
# Helpers shared by the IKE selftests (sourced after lib.sh).
#
#   ns1 (192.0.2.1) ===== veth ===== ns2 (192.0.2.2)
#    tunnel 10.9.0.1                  tunnel 10.9.0.2
#
# Each side runs one IKE daemon: esptund, strongSwan's charon (swanctl) or
# libreswan's pluto (unpacked into .cache/libreswan, never installed, as it
# conflicts with strongSwan). Daemons start once per boot; cases reload
# their configuration. Runtime files live on the guest's tmpfs, logs are
# copied to $TEST_OUT by ike_cleanup.

IKE_NS1=ike1
IKE_NS2=ike2
IKE_ADDR1=192.0.2.1
IKE_ADDR2=192.0.2.2
IKE_IN1=10.9.0.1
IKE_IN2=10.9.0.2
IKE_DIR=/run/esptun-ike/$TEST_NAME
IKE_PEERS=$TOP/selftests/peers
LSW_ROOT=$TOP/.cache/libreswan
LSW_BIN=$LSW_ROOT/usr/libexec/ipsec

# Configurations hold PSKs: esptund refuses them world-readable, as
# users must keep them.
umask 077
mkdir -p "$IKE_DIR"

ike_log() { echo "# $*"; }

# ike_render TEMPLATE OUT KEY=VALUE...: replaces each @KEY@ in TEMPLATE.
ike_render() {
	local in=$1 out=$2 kv k v expr=()
	shift 2
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		v=${v//\\/\\\\}
		v=${v//|/\\|}
		v=${v//&/\\&}
		expr+=(-e "s|@$k@|$v|g")
	done
	sed "${expr[@]}" "$in" >"$out"
	if grep -q '@[A-Z_]*@' "$out"; then
		echo "ike_render: unreplaced placeholder in $out:" >&2
		grep '@[A-Z_]*@' "$out" >&2
		return 1
	fi
}

# Two namespaces joined by a veth pair, addresses up; everything this
# file started is stopped at exit.
ike_topo() {
	netns_new $IKE_NS1 || return 1
	netns_new $IKE_NS2 || return 1
	veth_pair $IKE_NS1 veth1 $IKE_NS2 veth2 || return 1
	ip -n $IKE_NS1 addr add $IKE_ADDR1/24 dev veth1
	ip -n $IKE_NS2 addr add $IKE_ADDR2/24 dev veth2
	cleanup_add ike_cleanup
}

# The first SA with an algorithm costs seconds under emulation (modules
# load, transforms get instantiated): pay that once per boot, before any
# negotiation runs against a peer's retransmission timer.
ike_warmup() {
	local ns=ike-warm k16 k20 k32 k36 a crypto
	# Instances stay registered once made: an earlier test of this boot
	# paid already when /proc/crypto lists all three.
	crypto=$(</proc/crypto)
	for a in 'rfc4106(gcm(aes))' 'authenc(hmac(sha1),cbc(aes))' \
		'authenc(hmac(sha256),cbc(aes))' ''; do
		[ -z "$a" ] && return 0
		[[ $crypto == *": $a"$'\n'* ]] || break
	done
	k16=0x$(printf '%032x' 1)
	k20=0x$(printf '%040x' 1)
	k32=0x$(printf '%064x' 1)
	k36=0x$(printf '%072x' 1)
	ip netns add $ns || return 1
	ip -n $ns xfrm state add src 198.51.100.1 dst 198.51.100.2 proto esp \
		spi 0x1001 mode tunnel aead 'rfc4106(gcm(aes))' $k36 128
	ip -n $ns xfrm state add src 198.51.100.1 dst 198.51.100.2 proto esp \
		spi 0x1002 mode tunnel enc 'cbc(aes)' $k16 \
		auth-trunc 'hmac(sha1)' $k20 96
	ip -n $ns xfrm state add src 198.51.100.1 dst 198.51.100.2 proto esp \
		spi 0x1003 mode tunnel enc 'cbc(aes)' $k32 \
		auth-trunc 'hmac(sha256)' $k32 128
	ip netns del $ns
}

# ike_wait_path PATH [SECONDS]: waits up to SECONDS (default 30) of wall
# time for PATH to exist.
ike_wait_path() {
	wait_for -t "${2:-30}" test -e "$1"
}

# An xfrm interface for a peer that does not create its own (strongSwan):
# ike_xfrmi NS DEV IFID LOWER INNER PEER_INNER
ike_xfrmi() {
	ip -n "$1" link add "$2" type xfrm dev "$4" if_id "$3"
	ip -n "$1" addr add "$5" peer "$6" dev "$2"
	ip -n "$1" link set "$2" up
}

# Pings the other side's inner address through the tunnel.
# ike_ping NS DST [COUNT]
ike_ping() {
	ip netns exec "$1" ping -c "${3:-2}" -i 0.3 -W 2 -q "$2"
}

# Sends a random file of KIB KiB through the tunnel over TCP and compares
# SHA-256: ike_transfer SRC_NS DST_NS DST_ADDR KIB
ike_transfer() {
	local src=$1 dst=$2 addr=$3 kib=$4 f=$IKE_DIR/xfer
	local port=$((20000 + RANDOM % 10000)) pid want got
	head -c $((kib * 1024)) /dev/urandom >"$f.in"
	rm -f "$f.out"
	ip netns exec "$dst" socat -u TCP-LISTEN:$port,reuseaddr \
		CREATE:"$f.out" &
	pid=$!
	wait_for -t 5 sh -c "ip netns exec $dst ss -Hltn 'sport = :$port' | grep -q ."
	if ! ip netns exec "$src" timeout 60 socat -u FILE:"$f.in" \
		TCP:"$addr":$port,connect-timeout=5; then
		kill $pid 2>/dev/null
		wait $pid 2>/dev/null
		echo "transfer: sender failed"
		return 1
	fi
	wait $pid
	want=$(sha256sum <"$f.in" | cut -d' ' -f1)
	got=$(sha256sum <"$f.out" 2>/dev/null | cut -d' ' -f1)
	if [ "$want" != "$got" ]; then
		echo "transfer: sha256 $got, want $want"
		return 1
	fi
}

# ---- strongSwan (charon + swanctl) ----

SWAN_DIR=$IKE_DIR/swan
SWAN_NS=
SWAN_PID=

swan() {
	ip netns exec "$SWAN_NS" env STRONGSWAN_CONF="$SWAN_DIR/strongswan.conf" \
		swanctl "$@"
}

# swan_start NS: charon in NS, once per boot. SWAN_CHARON_OPTS, lines
# of "name = value", go into its charon section.
swan_start() {
	local opt
	SWAN_NS=$1
	mkdir -p "$SWAN_DIR"
	ike_render "$IKE_PEERS/strongswan.conf.in" "$SWAN_DIR/strongswan.conf" \
		DIR="$SWAN_DIR" || return 1
	while read -r opt; do
		[ -n "$opt" ] && sed -i "/^charon {\$/a\\\t$opt" \
			"$SWAN_DIR/strongswan.conf"
	done <<<"${SWAN_CHARON_OPTS:-}"
	ip netns exec "$SWAN_NS" env STRONGSWAN_CONF="$SWAN_DIR/strongswan.conf" \
		/usr/lib/ipsec/charon >"$SWAN_DIR/charon.out" 2>&1 &
	SWAN_PID=$!
	if ! ike_wait_path "$SWAN_DIR/charon.vici" 60; then
		echo "charon did not start:"
		tail -5 "$SWAN_DIR/charon.out"
		return 1
	fi
}

# swan_conf LOCAL REMOTE PSK IKE ESP IFID [AGGRESSIVE]: (re)loads the one
# connection; AGGRESSIVE yes for Aggressive Mode (default no).
# SWAN_REAUTH, SWAN_CHILD_REKEY and SWAN_CHILD_LIFE change its timers
# (default: nothing renewed during a test).
swan_conf() {
	ike_render "$IKE_PEERS/swanctl.conf.in" "$SWAN_DIR/swanctl.conf" \
		LOCAL="$1" REMOTE="$2" PSK="$3" IKE="$4" ESP="$5" IFID="$6" \
		AGGR="${7:-no}" \
		REAUTH="${SWAN_REAUTH:-4h}" \
		CHILD_REKEY="${SWAN_CHILD_REKEY:-1h}" \
		CHILD_LIFE="${SWAN_CHILD_LIFE:-2h}" ||
		return 1
	swan --terminate --ike esptun --force >/dev/null 2>&1
	swan --load-all --clear --noprompt --file "$SWAN_DIR/swanctl.conf" \
		>"$SWAN_DIR/load.out" 2>&1 || { cat "$SWAN_DIR/load.out"; return 1; }
}

swan_up() {
	swan --initiate --child esptun --timeout 30
}

swan_down() {
	swan --terminate --ike esptun --force --timeout 10
}

# Prints "SPI_IN SPI_OUT" (hex, 8 digits) of the first CHILD_SA.
swan_spis() {	# [RAW]: from a "swanctl --list-sas --raw" already read
	local raw=${1:-} in out
	[ -n "$raw" ] || raw=$(swan --list-sas --raw 2>/dev/null)
	in=$(grep -o 'spi-in=[0-9a-f]*' <<<"$raw" | head -1 | cut -d= -f2)
	out=$(grep -o 'spi-out=[0-9a-f]*' <<<"$raw" | head -1 | cut -d= -f2)
	[ -n "$in" ] && [ -n "$out" ] || return 1
	printf '%08x %08x\n' $((16#$in)) $((16#$out))
}

# charon's log since the last swan_mark: swan_log_has TEXT.
SWAN_MARK=0
swan_mark() {
	SWAN_MARK=$(wc -l <"$SWAN_DIR/charon.log")
}

swan_log_has() {
	tail -n +$((SWAN_MARK + 1)) "$SWAN_DIR/charon.log" | grep -qF -- "$1"
}

# Number of IKE_SAs charon holds for the conn (established or not).
swan_n_ike() {
	swan --list-sas --raw 2>/dev/null | grep -o 'esptun {uniqueid' | wc -l
}

swan_stop() {
	[ -n "$SWAN_PID" ] || return 0
	kill "$SWAN_PID" 2>/dev/null
	wait "$SWAN_PID" 2>/dev/null
	SWAN_PID=
}

# ---- libreswan (pluto + whack), run from the unpacked package ----

LSW_DIR=$IKE_DIR/lsw
LSW_NS=
LSW_PID=

lsw() {
	ip netns exec "$LSW_NS" "$LSW_BIN/whack" --rundir "$LSW_DIR/run" "$@"
}

# Renders ipsec.conf and ipsec.secrets:
# lsw_render LOCAL REMOTE PSK IKE ESP PFS IFID [AGGRESSIVE]
# LSW_SALIFETIME, LSW_IKELIFETIME, LSW_REKEY, LSW_REKEYMARGIN and
# LSW_REKEYFUZZ change its timers (default: no rekeying during a test);
# LSW_SENDVID=yes makes pluto send its own vendor ID.
# pluto runs no updown script, as charon installs no routes here: the
# tests route into ipsecN themselves. pluto runs the script to its end
# before it answers anything else, and its own _updown.xfrm takes seconds
# per SA in a slow guest (20 s in the debug kernel), long enough for a
# peer's DPD to find pluto dead.
# LSW_CONF_IN names another template (ipsec-cert.conf.in: certificates,
# with LSW_CERT the NSS nickname of pluto's own and LSW_RIGHTID the
# peer's DN, and LSW_RTO its retransmit-timeout, default 10s;
# ipsec-xauth.conf.in: XAuth and Mode Config server, LSW_POOL its address
# range).
lsw_render() {
	ike_render "${LSW_CONF_IN:-$IKE_PEERS/ipsec.conf.in}" \
		"$LSW_DIR/ipsec.conf" \
		DIR="$LSW_DIR" LOCAL="$1" REMOTE="$2" IKE="$4" ESP="$5" \
		PFS="$6" IFID="$7" AGGR="${8:-no}" \
		UPDOWN=/bin/true \
		SALIFE="${LSW_SALIFETIME:-1h}" IKELIFE="${LSW_IKELIFETIME:-1h}" \
		REKEY="${LSW_REKEY:-no}" MARGIN="${LSW_REKEYMARGIN:-540s}" \
		FUZZ="${LSW_REKEYFUZZ:-100%}" \
		CERT="${LSW_CERT:-}" RIGHTID="${LSW_RIGHTID:-}" \
		RTO="${LSW_RTO:-10s}" SENDVID="${LSW_SENDVID:-no}" \
		POOL="${LSW_POOL:-}" || return 1
	# IKE or ESP "default": the line left out, pluto's own proposals.
	sed -i -e '/^\tike=default$/d' -e '/^\tphase2alg=default$/d' \
		"$LSW_DIR/ipsec.conf"
	ike_render "$IKE_PEERS/ipsec.secrets.in" "$LSW_DIR/ipsec.secrets" \
		LOCAL="$1" REMOTE="$2" PSK="$3" || return 1
	chmod 600 "$LSW_DIR/ipsec.secrets"
}

lsw_available() {
	[ -x "$LSW_BIN/pluto" ] || { echo "libreswan not unpacked in $LSW_ROOT (tools/deps.sh)"; return 1; }
	local miss
	miss=$(ldd "$LSW_BIN/pluto" 2>/dev/null | grep 'not found')
	[ -z "$miss" ] || { echo "pluto lacks libraries: $miss"; return 1; }
}

# lsw_start NS LOCAL REMOTE PSK IKE ESP PFS IFID [AGGRESSIVE]: pluto in NS,
# once per boot.
lsw_start() {
	LSW_NS=$1
	shift
	mkdir -p "$LSW_DIR/run" "$LSW_DIR/nss"
	lsw_render "$@" || return 1
	# An NSS database lsw_nss_pki filled is kept.
	[ -e "$LSW_DIR/nss/cert9.db" ] ||
		certutil -N -d "sql:$LSW_DIR/nss" --empty-password || return 1
	# pluto runs addconn from this fixed path (the guest's / is an overlay).
	if [ ! -e /usr/libexec/ipsec/addconn ]; then
		mkdir -p /usr/libexec
		rm -rf /usr/libexec/ipsec
		ln -s "$LSW_BIN" /usr/libexec/ipsec
	fi
	ip netns exec "$LSW_NS" "$LSW_BIN/pluto" --nofork \
		--config "$LSW_DIR/ipsec.conf" --rundir "$LSW_DIR/run" \
		--secretsfile "$LSW_DIR/ipsec.secrets" \
		--ipsecdir "$LSW_DIR" --nssdir "$LSW_DIR/nss" \
		--logfile "$LSW_DIR/pluto.log" \
		>"$LSW_DIR/pluto.out" 2>&1 &
	LSW_PID=$!
	if ! ike_wait_path "$LSW_DIR/run/pluto.ctl" 60; then
		echo "pluto did not start:"
		tail -5 "$LSW_DIR/pluto.out" "$LSW_DIR/pluto.log" 2>/dev/null
		return 1
	fi
	lsw --listen >/dev/null 2>&1
	lsw_load
}

# lsw_nss_pki NICK CA CERT KEY (PEM files): pluto's NSS database, made
# before lsw_start, with the CA trusted to issue peers' certificates and
# CERT with its KEY under NICK (imported as PKCS#12, NSS's only way in for
# a key).
lsw_nss_pki() {
	local db=sql:$LSW_DIR/nss
	mkdir -p "$LSW_DIR/nss"
	certutil -N -d "$db" --empty-password &&
		certutil -A -d "$db" -n lsw-ca -t "CT,," -a -i "$2" &&
		openssl pkcs12 -export -in "$3" -inkey "$4" -name "$1" \
			-passout pass: -out "$LSW_DIR/$1.p12" &&
		pk12util -i "$LSW_DIR/$1.p12" -d "$db" -W "" >/dev/null
}

# Reloads the connection from the rendered files.
lsw_load() {
	lsw --delete --name esptun >/dev/null 2>&1
	lsw --rereadsecrets >/dev/null 2>&1
	ip netns exec "$LSW_NS" "$LSW_BIN/addconn" --config "$LSW_DIR/ipsec.conf" \
		--ctlsocket "$LSW_DIR/run/pluto.ctl" esptun >"$LSW_DIR/addconn.out" 2>&1 ||
		{ cat "$LSW_DIR/addconn.out"; return 1; }
}

# lsw_conf LOCAL REMOTE PSK IKE ESP PFS IFID [AGGRESSIVE]
lsw_conf() {
	lsw_render "$@" && lsw_load
}

lsw_up() {
	timeout 60 "$LSW_BIN/whack" --rundir "$LSW_DIR/run" --name esptun \
		--initiate
}

lsw_down() {
	lsw --name esptun --terminate
}

# Prints "SPI_IN SPI_OUT" of the established IPsec SA, from pluto's
# status: "esp.OUT@PEER esp.IN@ME" (the SPI each side receives with).
lsw_spis() {
	local line in out
	line=$(lsw --status 2>/dev/null | grep -m1 ' esp\.[0-9a-f]*@')
	[ -n "$line" ] || return 1
	out=$(grep -o 'esp\.[0-9a-f]*@[0-9a-f.:]*' <<<"$line" | sed -n 1p)
	in=$(grep -o 'esp\.[0-9a-f]*@[0-9a-f.:]*' <<<"$line" | sed -n 2p)
	out=${out#esp.}
	in=${in#esp.}
	printf '%08x %08x\n' $((16#${in%@*})) $((16#${out%@*}))
}

# "STATE_MAIN_I4" style lines of pluto for the conn.
lsw_states() {
	lsw --status 2>/dev/null | grep -o 'STATE_[A-Z0-9_]*'
}

# IPsec SAs pluto reports as up (ipsec trafficstatus).
lsw_n_traffic() {
	lsw --trafficstatus 2>/dev/null | grep -c 'type=ESP'
}

# The inner address on pluto's own xfrm interface (created at first up).
lsw_inner() {
	local dev=ipsec$1
	ip -n "$LSW_NS" link set "$dev" up 2>/dev/null || return 1
	ip -n "$LSW_NS" addr replace "$2" peer "$3" dev "$dev"
}

lsw_stop() {
	[ -n "$LSW_PID" ] || return 0
	lsw --shutdown >/dev/null 2>&1
	kill "$LSW_PID" 2>/dev/null
	wait "$LSW_PID" 2>/dev/null
	LSW_PID=
}

# xfrm states in a netns ("SPI" per line, hex).
ike_xfrm_spis() {
	ip -n "$1" xfrm state 2>/dev/null | awk '$3 == "spi" { print $4 }' |
		sed 's/^0x//'
}

ike_cleanup() {
	esptund_stop_all
	swan_stop
	lsw_stop
	# Logs and configurations of every daemon, for whoever debugs a failure.
	cp "$SWAN_DIR"/*.log "$SWAN_DIR"/*.out "$SWAN_DIR"/*.conf \
		"$LSW_DIR"/*.log "$LSW_DIR"/*.out "$LSW_DIR"/ipsec.conf \
		"$IKE_DIR"/*.log "$IKE_DIR"/*.conf "$TEST_OUT/" 2>/dev/null
	true
}

# ---- esptund ----

declare -A ESPTUND_PID ESPTUND_NS

# esptund_conf NAME LOCAL REMOTE PSK IKE ESP START [KEY=VALUE...]: writes
# $IKE_DIR/NAME.conf with one conn "peer" on interface esp0.
esptund_conf() {
	local name=$1 f=$IKE_DIR/$1.conf kv
	shift
	{
		echo "[global]"
		echo "log = debug"
		echo "control = $IKE_DIR/$name.sock"
		echo "[conn peer]"
		echo "interface = esp0"
		echo "local = $1"
		echo "remote = $2"
		echo "psk = \"$3\""
		# Empty: the key is left out (its default, or a profile's).
		[ -z "$4" ] || echo "ike = $4"
		[ -z "$5" ] || echo "esp = $5"
		echo "start = $6"
		shift 6
		for kv in "$@"; do
			echo "${kv%%=*} = ${kv#*=}"
		done
	} >"$f.new"
	mv "$f.new" "$f"
}

# ike_start_before_peer CMD...: esptund a in $IKE_NS1 (a start = initiate
# conn) starts first and fails its first negotiation, then CMD starts the
# peer; the output of both in $IKE_DIR/start.out. Not in a subshell, such
# as ktap_check's: the daemons' pids would be lost.
ike_start_before_peer() {
	esptund_start a $IKE_NS1 >"$IKE_DIR/start.out" 2>&1 || return 1
	esptund_inner $IKE_NS1 $IKE_IN1 $IKE_IN2
	wait_for -t 20 esptund_log_has a "no response to MM1" >/dev/null
	"$@" >>"$IKE_DIR/start.out" 2>&1
}

# esptund_start NAME NS: runs esptund in NS (foreground, debug log to
# $IKE_DIR/NAME.log) and waits for its control socket.
esptund_start() {
	local name=$1 n=$2
	rm -f "$IKE_DIR/$name.sock"
	ip netns exec "$n" "$ESPTUND" -f -c "$IKE_DIR/$name.conf" \
		>>"$IKE_DIR/$name.log" 2>&1 &
	ESPTUND_PID[$name]=$!
	ESPTUND_NS[$name]=$n
	if ! ike_wait_path "$IKE_DIR/$name.sock" 30; then
		echo "esptund $name did not start:"
		tail -5 "$IKE_DIR/$name.log"
		return 1
	fi
}

# eike NAME ARGS...: esptun ike against daemon NAME.
eike() {
	local name=$1
	shift
	"$ESPTUN" ike -s "$IKE_DIR/$name.sock" "$@"
}

# The log of daemon NAME since the last esptund_mark NAME.
declare -A ESPTUND_MARK
esptund_mark() {
	ESPTUND_MARK[$1]=$(wc -l <"$IKE_DIR/$1.log")
}

esptund_log() {
	tail -n +$((${ESPTUND_MARK[$1]:-0} + 1)) "$IKE_DIR/$1.log"
}

# esptund_log_has NAME TEXT: TEXT is in the log since the mark.
esptund_log_has() {
	esptund_log "$1" | grep -qF -- "$2"
}

# esptund_established NAME: the SPI pairs ("IN OUT") NAME's log says it
# established since the mark, in order.
esptund_established() {
	esptund_log "$1" |
		sed -n 's/.*IPsec SA established for [^:]*: in \([0-9a-f]*\) out \([0-9a-f]*\),.*/\1 \2/p'
}

# Prints "SPI_IN SPI_OUT" of the conn's first QM_ACTIVE SA.
esptund_spis() {
	eike "$1" status 2>/dev/null |
		awk '$1 == "child" && $2 == "QM_ACTIVE:" { print $5, $7; exit }' |
		grep .
}

# Number of SAs the module holds on esp0 in NS ("esptun show" lines "spi").
esptun_n_sas() {
	ip netns exec "$1" "$ESPTUN" -j show esp0 2>/dev/null |
		grep -o "\"enc\"" | wc -l
}

esptun_no_sas() {
	[ "$(esptun_n_sas "$1")" = 0 ]
}

# esptund_stop NAME: SIGTERM, then its exit status.
esptund_stop() {
	local pid=${ESPTUND_PID[$1]:-} rc
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	unset "ESPTUND_PID[$1]"
	return $rc
}

esptund_stop_all() {
	local n
	for n in "${!ESPTUND_PID[@]}"; do
		esptund_stop "$n"
	done
}

# The inner addresses on our tunnel device (created by esptund). IPv6 off
# inside: its router solicitations and MLD reports would raise acquire
# events of their own and blur the ones a test provokes.
esptund_inner() {
	ip netns exec "$1" sysctl -qw net.ipv6.conf.esp0.disable_ipv6=1
	ip -n "$1" addr replace "$2" peer "$3" dev esp0 &&
		ip -n "$1" link set esp0 up
}

# ike_spis_agree OURS THEIRS: "IN OUT" of one side equals "OUT IN" of the
# other; prints both on failure.
ike_spis_agree() {
	local a_in a_out b_in b_out
	read -r a_in a_out <<<"$1"
	read -r b_in b_out <<<"$2"
	if [ -n "$a_in" ] && [ "$a_in" = "$b_out" ] && [ "$a_out" = "$b_in" ]; then
		return 0
	fi
	echo "SPIs differ: ours '$1', peer's '$2'"
	return 1
}

# ike_small_path MTU [delete]: the path between ns1 and ns2 takes datagrams
# of MTU bytes and drops IP fragments before reassembly (prerouting ahead
# of defragmentation), both ways; with delete, fragments pass again.
ike_small_path() {
	local ns dev
	for ns in $IKE_NS1 $IKE_NS2; do
		dev=veth1
		[ $ns = $IKE_NS2 ] && dev=veth2
		ip -n $ns link set $dev mtu "$1" || return 1
		if [ "${2:-add}" = delete ]; then
			ip netns exec $ns nft delete table ip frags || return 1
			continue
		fi
		ip netns exec $ns nft -f - <<-NFT || return 1
		table ip frags {
			chain pre {
				type filter hook prerouting priority -500;
				ip frag-off & 0x3fff != 0 counter drop
			}
		}
		NFT
	done
}
ike_frags_dropped() {
	local n=0 ns c
	for ns in $IKE_NS1 $IKE_NS2; do
		c=$(ip netns exec $ns nft list chain ip frags pre |
			sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
		n=$((n + ${c:-0}))
	done
	echo $n
}
