#!/bin/sh
# Run every test binary under DIR (unit first, then integration), print each
# one's cmocka output, and close with one line "N passed, N failed, N skipped"
# summed over all of them. Exit 1 if any test failed or a binary crashed.
set -u
dir=${1:?usage: run-tests.sh BUILD/tests}
passed=0 failed=0 skipped=0 crashed=0
for kind in unit integration; do
	for t in "$dir/$kind"/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *.o|*.d) continue ;; esac
		out=$("$t" 2>&1)
		rc=$?
		printf '%s\n' "$out"
		p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
		f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
		s=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -n1)
		passed=$((passed + ${p:-0}))
		failed=$((failed + ${f:-0}))
		skipped=$((skipped + ${s:-0}))
		if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
			echo "run-tests: error: $t exited with status $rc" >&2
			crashed=$((crashed + 1))
		fi
	done
done
failed=$((failed + crashed))
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
