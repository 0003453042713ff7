# TAP results for the host tests in tools/tests (sourced): ok NAME,
# not_ok NAME [DIAGNOSTIC...], skip NAME WHY; $failed is 1 after a not_ok.
n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=1
	echo "not ok $n - $1"
	shift
	for l in "$@"; do echo "#   $l"; done
}
skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}
