#!/bin/sh
# Run the libFuzzer targets built by `make fuzz-build`, each for a fixed time.
#
#   tests/fuzz/run-fuzz.sh BUILD_DIR SECONDS TARGET:MAXLEN...
#
# Each target runs on a fresh copy of its seed corpus (tests/fuzz/corpus/T/ is
# copied to BUILD_DIR/corpus-run/T/, which libFuzzer may grow; the committed
# seeds are never written). Its log goes to BUILD_DIR/logs/T.log and any input
# that crashes, trips a sanitizer, leaks, times out or breaks an invariant to
# BUILD_DIR/artifacts/T-*. Prints one line per target with libFuzzer's
# execution count ("Done N runs"), then a total; exits 1 on any finding, 2 on
# a usage error.
set -eu

if [ $# -lt 3 ]; then
	echo "usage: $0 BUILD_DIR SECONDS TARGET:MAXLEN..." >&2
	exit 2
fi
build=$1
secs=$2
shift 2
case $secs in
'' | *[!0-9]* | 0)
	echo "run-fuzz: error: FUZZ_SECONDS must be a positive integer, not '$secs'" >&2
	exit 2
	;;
esac

# Stack traces need llvm-symbolizer; Debian installs it versioned (llvm-14).
if ! command -v llvm-symbolizer >/dev/null 2>&1; then
	for s in llvm-symbolizer-14 /usr/lib/llvm-14/bin/llvm-symbolizer; do
		if command -v "$s" >/dev/null 2>&1; then
			ASAN_SYMBOLIZER_PATH=$(command -v "$s")
			export ASAN_SYMBOLIZER_PATH
			break
		fi
	done
fi

mkdir -p "$build/logs" "$build/artifacts" "$build/corpus-run"
ntargets=0
total=0
findings=0
for spec in "$@"; do
	t=${spec%%:*}
	maxlen=${spec#*:}
	bin=$build/fuzz_$t
	seeds=tests/fuzz/corpus/$t
	run=$build/corpus-run/$t
	log=$build/logs/$t.log

	rm -rf "$run"
	mkdir -p "$run"
	if [ -d "$seeds" ]; then
		cp "$seeds"/* "$run"/
	fi
	rm -f "$build/artifacts/$t"-*

	rc=0
	"$bin" -max_total_time="$secs" -max_len="$maxlen" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
		"$run" >"$log" 2>&1 || rc=$?

	# "Done N runs in S second(s)" ends a clean run; after a finding, the
	# last "#N" status line is the best count there is.
	runs=$(sed -n 's/^Done \([0-9][0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
	done_line=$runs
	if [ -z "$runs" ]; then
		runs=$(sed -n 's/^#\([0-9][0-9]*\)[^0-9].*/\1/p' "$log" | tail -n 1)
	fi
	ntargets=$((ntargets + 1))
	total=$((total + ${runs:-0}))
	artifacts=$(find "$build/artifacts" -name "$t-*" -type f | head -n 5)
	if [ "$rc" -ne 0 ] || [ -z "$done_line" ] || [ -n "$artifacts" ]; then
		findings=$((findings + 1))
		echo "fuzz: $t: FINDING after about ${runs:-?} executions (exit $rc), log $log" >&2
		for a in $artifacts; do
			echo "fuzz: $t: reproduce with: $bin $a" >&2
		done
		# The report and the frames of project code, not libFuzzer's or libc's.
		grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: |.*runtime error|    #[0-9]+ )' "$log" |
			grep -v -E '__sanitizer|fuzzer::|libc\.so|libc_start|pthread_kill|raise\.c|abort\.c|fuzz_fail| in main | in _start ' |
			head -n 20 | sed "s/^/fuzz: $t: /" >&2 || true
	else
		echo "fuzz: $t: $runs executions in ${secs}s, no finding"
	fi
done

echo "fuzz: $ntargets targets, $total total executions, $findings findings"
[ "$findings" -eq 0 ]
