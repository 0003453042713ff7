#!/usr/bin/env bash
# Host test of selftests/run.sh with stand-in tests: a test that leaves a
# detached process behind is over when the test itself is (its time is
# not that process's), a test that fails or plans more results than it
# reports is a failure, and each one's time is printed; each TAP line is
# kept again with the seconds at which it came.
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'kill "$(cat "$tmp/daemon.pid" 2>/dev/null)" 2>/dev/null; rm -rf "$tmp"' EXIT

source "$(dirname "$0")/tap.sh"

echo "TAP version 13"
echo "1..5"

# A daemon of the test: its own session, standard streams closed, the
# other descriptors it inherited kept (as iperf3 -D does).
cat >"$tmp/leaves-daemon.sh" <<EOF
#!/usr/bin/env bash
echo "TAP version 13"
echo "1..1"
setsid sleep 60 >/dev/null 2>&1 </dev/null &
echo \$! >"$tmp/daemon.pid"
sleep 0.3
echo "ok 1 started"
EOF
cat >"$tmp/fails.sh" <<'EOF'
#!/usr/bin/env bash
echo "TAP version 13"
echo "1..2"
echo "ok 1 one"
EOF
chmod +x "$tmp/leaves-daemon.sh" "$tmp/fails.sh"

start=$(date +%s%N)
"$TOP/selftests/run.sh" --out "$tmp/out" "$tmp/leaves-daemon.sh" \
	>"$tmp/run.out" 2>&1
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
# Far below the daemon's minute, even at the lowest priority beside the
# test guest.
if [ "$rc" = 0 ] && [ "$ms" -lt 30000 ]; then
	ok "a detached daemon does not hold the run ($ms ms)"
else
	not_ok "a detached daemon does not hold the run" \
		"exit $rc after $ms ms (the daemon lives 60 s)" \
		"$(cat "$tmp/run.out")"
fi
if grep -q '^# leaves-daemon.sh: [0-9.]* s' "$tmp/run.out"; then
	ok "the test's time is printed"
else
	not_ok "the test's time is printed" "$(cat "$tmp/run.out")"
fi
if grep -q '^leaves-daemon.sh [0-9.]* ok$' "$tmp/out/times"; then
	ok "and kept in times"
else
	not_ok "and kept in times" "$(cat "$tmp/out/times" 2>&1)"
fi

# The TAP lines in order, each after a time that never goes back, the
# last one 0.3 s after the others.
if [ "$(cut -d' ' -f2- "$tmp/out/leaves-daemon.sh.when")" = \
     "$(cat "$tmp/out/leaves-daemon.sh.tap")" ] &&
   awk '$1 !~ /^[0-9]+\.[0-9]$/ || $1 + 0 < last { exit 1 } { last = $1 }
	END { exit last < 0.2 }' "$tmp/out/leaves-daemon.sh.when"; then
	ok "each TAP line kept with its time"
else
	not_ok "each TAP line kept with its time" \
		"$(cat "$tmp/out/leaves-daemon.sh.when" 2>&1)"
fi

"$TOP/selftests/run.sh" --out "$tmp/out2" "$tmp/fails.sh" \
	>"$tmp/run2.out" 2>&1
rc=$?
if [ "$rc" != 0 ] && grep -q '^fails.sh [0-9.]* fail$' "$tmp/out2/times"; then
	ok "a test short of its plan fails the run"
else
	not_ok "a test short of its plan fails the run" "exit $rc" \
		"$(cat "$tmp/run2.out")"
fi
exit $failed
