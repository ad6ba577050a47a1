#!/bin/sh
# Run every test binary under DIR (unit first, then integration), print each
# one's cmocka output, and close with one line "N passed, N failed, N skipped"
# summed over all of them. Exit 1 if any test failed or a binary crashed.
# Before that line it repeats, for every failed or skipped test, its name and
# what it printed, so that the end of a long log (all a CI summary may keep)
# says what went wrong.
#
# An integration test binary that fails runs once more, and only its second
# run counts: these tests measure a machine that other tenants share (their
# contention figures are real measurements), so one disturbed run is not a
# verdict. The first run's failures are printed and recapped as RETRIED, so a
# test that needs its second chance often is seen. Unit tests never retry,
# and neither does a run with a sanitizer's report in it.
#
# Under ThreadSanitizer (DIR is build/tsan/tests) every program, the tools
# the tests start included, reads the explained suppressions of
# scripts/tsan.supp (a report makes a program exit 66, failing its test).
# A few binaries cannot run under TSan for a reason of its own; each is
# skipped with that reason printed and is not counted. Nothing else is ever
# skipped here.
set -u
dir=${1:?usage: run-tests.sh BUILD/tests}
passed=0 failed=0 skipped=0 crashed=0
recap=$(mktemp) || exit 1
trap 'rm -f "$recap"' EXIT

# The reason to skip test binary $1 under TSan, or nothing.
tsan_skip_reason() {
	case "$1" in
	test_vcpu_sampler)
		# vcpu-sampler itself starts no thread: TSan has nothing to check there
		echo "TSan's runtime adds threads of its own to every instrumented" \
		     "process, and these tests count the threads of a forked child"
		;;
	esac
}

case "${dir%/}" in */tsan/tests|tsan/tests) tsan=1 ;; *) tsan=0 ;; esac
if [ "$tsan" -eq 1 ]; then
	TSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/tsan.supp ${TSAN_OPTIONS:-}"
	export TSAN_OPTIONS
fi
# Run test binary $1: its output in $out (printed), status in $rc, and in
# $failures each failed, errored (a failed setup or teardown) or skipped
# test's name and the lines it printed since its RUN line (the last 40 of
# them); a failed group setup or teardown likewise; and, for a binary that
# ended without cmocka's closing lines (it crashed), its last 20 lines.
run_one() {
	out=$("$1" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	failures=$(printf '%s\n' "$out" | awk -v bin="${1##*/}" '
		function show(what) {
			print what
			for (i = (n > 40 ? n - 39 : 1); i <= n; i++)
				print "  " buf[i]
			n = 0; name = ""
		}
		/^\[ RUN      \] / { name = $4; n = 0; next }
		/^\[  (FAILED  |SKIPPED |ERROR   )\] / && name != "" && $4 == name {
			show($2 " " bin ": " name); next
		}
		/^\[  FAILED  \] GROUP / { show("FAILED " bin ": group " tolower($5)); next }
		/^\[       OK \] / { n = 0; name = ""; next }
		{ buf[++n] = $0 }')
	if [ "$rc" -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^\[==========\] [0-9]* test(s) run\.'; then
		failures=$(printf '%s\n' "$failures"
			   printf '%s exited with status %s; its last lines:\n' "${1##*/}" "$rc"
			   printf '%s\n' "$out" | tail -n 20 | sed 's/^/  /')
	fi
}

# Whether the last run_one's output holds a sanitizer's report: such a
# finding is never run again (a race that does not recur is still a race).
sanitizer_report() {
	[ "$rc" -eq 66 ] ||
	printf '%s\n' "$out" | grep -qE 'ThreadSanitizer|AddressSanitizer|LeakSanitizer|runtime error:'
}

# Add the counts of the last run_one of $1 to the totals, its failures to
# the recap. cmocka's closing " N FAILED TEST(S)" counts failed and errored
# tests both; a binary that exits non-zero with neither counts as one.
count_one() {
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
	f=$(printf '%s\n' "$out" | sed -n 's/^ \([0-9]*\) FAILED TEST(S)$/\1/p' | tail -n1)
	[ -n "$f" ] ||
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
	s=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -n1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	skipped=$((skipped + ${s:-0}))
	if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
		echo "run-tests: error: $1 exited with status $rc" >&2
		crashed=$((crashed + 1))
	fi
	[ -z "$failures" ] || printf '%s\n' "$failures" >>"$recap"
}

for kind in unit integration; do
	for t in "$dir/$kind"/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *.o|*.d) continue ;; esac
		why=
		[ "$tsan" -eq 0 ] || why=$(tsan_skip_reason "${t##*/}")
		if [ -n "$why" ]; then
			echo "run-tests: skipping ${t##*/} under TSan: $why"
			continue
		fi
		run_one "$t"
		if [ "$rc" -ne 0 ] && [ "$kind" = integration ] && ! sanitizer_report; then
			# An integration test measures a shared machine: a run that
			# another tenant disturbed gets one more try, said here and in
			# the recap, and only the second run counts.
			echo "run-tests: ${t##*/} failed (status $rc): running it once more"
			printf 'RETRIED %s: its first run failed as follows; the second run %s\n' \
				"${t##*/}" "is counted" >>"$recap"
			printf '%s\n' "$failures" | sed 's/^/  /' >>"$recap"
			run_one "$t"
		fi
		count_one "$t"
	done
done
failed=$((failed + crashed))
if [ -s "$recap" ]; then
	echo "run-tests: the tests that failed or were skipped, again:"
	cat "$recap"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
