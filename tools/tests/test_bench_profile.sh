#!/usr/bin/env bash
# Host test of tools/bench-profile.py, which turns "make bench"'s perf
# samples into CPU cost per megabyte by kind of work: a made-up report of
# two paths gives exactly the costs worked out by hand, an esptun function
# whose name speaks of crypto counts as esptun's, whether perf names its
# module or the kernel, idle counts in no column, and a report line of a
# path not asked for is ignored.
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

source "$(dirname "$0")/tap.sh"

echo "TAP version 13"
echo "1..4"

# 499 samples are one CPU-second (perf's -F 499); one run of 2 s at
# 8 Mbit/s is 2 MB, so 499 samples cost 500 ms/MB.
cat >"$tmp/report" <<'R'
ep-gcm     30.00%      998  [kernel.kallsyms]  [k] gf128mul_4k_lle
ep-gcm     20.00%      499  [kernel.kallsyms]  [k] default_idle
ep-gcm     10.00%      250  [esptun]           [k] esptun_aead_done
ep-gcm     10.00%      249  [kernel.kallsyms]  [k] esptun_gcm_iv
ep-gcm     10.00%      499  [kernel.kallsyms]  [k] copy_user_generic_string
ep-gcm     10.00%      499  [kernel.kallsyms]  [k] tcp_ack
ep-gcm     10.00%      499  libc.so.6          [.] __memcpy_avx_unaligned
ep-gcm     10.00%      499  [kernel.kallsyms]  [k] padata_do_serial
xf-gcm     50.00%      499  [esp4]             [k] esp_output_tail
xf-gcm     50.00%      998  [aes_generic]      [k] aes_encrypt
wg         50.00%      998  [wireguard]        [k] wg_packet_encrypt
R
printf '%s\n' "ep-gcm tcp1 8 1.50" "xf-gcm tcp1 16 1.20" "xf-gcm udp64 9 1.00" \
	"wg tcp1 8 1.00" >"$tmp/res"

if ! python3 "$TOP/tools/bench-profile.py" "$tmp/report" "$tmp/res" 1 2 2 \
	ep-gcm xf-gcm >"$tmp/out" 2>"$tmp/err"; then
	for t in "ran" "ep-gcm" "xf-gcm" "paths"; do
		not_ok "bench-profile $t" "$(cat "$tmp/err")"
	done
	exit 1
fi
ok "bench-profile ran"

# row PATH: the path's row of the cost table.
row() {
	grep "^| $1 | [0-9]" "$tmp/out"
}

want='| ep-gcm | 8 | 1.50 | 500.00 | 0.00 | 0.00 | 1000.00 | 500.00 | 500.00 | 500.00 | 500.00 | 3500.00 |'
if [ "$(row ep-gcm)" = "$want" ]; then
	ok "bench-profile ep-gcm costs by kind"
else
	not_ok "bench-profile ep-gcm costs by kind" "want $want" "got  $(row ep-gcm)" \
		"$(head -8 "$tmp/out" | tail -2)"
fi
# 16 Mbit/s for 2 s is 4 MB: 499 samples are 250 ms/MB; udp64 is not tcp1.
want='| xf-gcm | 16 | 1.20 | 0.00 | 0.00 | 250.00 | 500.00 | 0.00 | 0.00 | 0.00 | 0.00 | 750.00 |'
if [ "$(row xf-gcm)" = "$want" ]; then
	ok "bench-profile xf-gcm costs by kind"
else
	not_ok "bench-profile xf-gcm costs by kind" "want $want" "got  $(row xf-gcm)"
fi
if ! grep -q "wg" "$tmp/out" && [ "$(grep -c '^## ' "$tmp/out")" = 2 ]; then
	ok "bench-profile only the paths asked for"
else
	not_ok "bench-profile only the paths asked for" "$(grep -n 'wg\|^## ' "$tmp/out")"
fi
exit $failed
