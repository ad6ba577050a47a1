#!/bin/sh
# The native sched demo behind `make run` (until the kvm-mini experiment
# replaces it): two sched-load processes share CPU 0; half-way through, a
# host inf-loop is pinned to CPU 0 too; cpu-sampler records CPU 0 all along.
# Every tool reports time relative to the same CLOCK_MONOTONIC instant (--t0),
# so the CSVs share one time axis. Writes results/native-demo/<timestamp>/.
# Whatever ends the run (success, a failing tool, SIGINT/SIGTERM), every tool
# it started is stopped and waited for before it exits: nothing is left behind.
set -eu
BIN=${BIN:-bin}
RESULTS=${RESULTS:-results}
UNITS=${UNITS:-1500}            # per process, 1 ms each: ~3 s alone for two
HOG_START_MS=${HOG_START_MS:-1000}
HOG_MS=${HOG_MS:-1500}

# One directory per run: a second run within the same second gets "-2" and so
# on instead of overwriting the first one's files.
mkdir -p "$RESULTS/native-demo"
ts=$(date -u +%Y%m%d-%H%M%S)
name=$ts
n=1
until mkdir "$RESULTS/native-demo/$name" 2>/dev/null; do
	n=$((n + 1))
	if [ "$n" -gt 100 ]; then
		echo "run-native-demo: cannot create a directory in $RESULTS/native-demo" >&2
		exit 1
	fi
	name="$ts-$n"
done
dir="$RESULTS/native-demo/$name"
echo "run has not finished" > "$dir/INCOMPLETE"
ln -sfn "$name" "$RESULTS/native-demo/latest"

# Background tools still running. SIGTERM makes each of them write what it
# measured and exit (sched-load also stops its workers).
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	pids=""
}
on_exit() {
	rc=$?
	trap '' INT TERM        # a second Ctrl-C must not cut the cleanup short
	cleanup
	if [ -e "$dir/INCOMPLETE" ]; then
		echo "run-native-demo: failed (exit $rc); partial results in $dir" >&2
	fi
}
trap on_exit EXIT
# The signal traps only exit; on_exit cleans up. They run during `wait`, which
# is why sched-load runs in the background too: a foreground command would
# hold a trapped signal back until it has finished.
trap 'echo "run-native-demo: interrupted" >&2; exit 130' INT
trap 'echo "run-native-demo: terminated" >&2; exit 143' TERM

"$BIN/host-facts" --json > "$dir/meta.json.tmp"    # not in an && list: set -e skips those
mv "$dir/meta.json.tmp" "$dir/meta.json"
t0=$("$BIN/host-facts" --monotonic-ns)

"$BIN/cpu-sampler" --t0 "$t0" --interval 100ms --cpus 0 --out "$dir/cpu.csv" &
sampler=$!
pids="$sampler"
"$BIN/inf-loop" --cpu 0 --delay "${HOG_START_MS}ms" --duration "${HOG_MS}ms" &
hog=$!
pids="$pids $hog"

echo "run-native-demo: sched-load: 2 processes x $UNITS units of 1 ms on CPU 0;" \
     "host inf-loop on CPU 0 from ${HOG_START_MS} ms for ${HOG_MS} ms" >&2
"$BIN/sched-load" --t0 "$t0" --procs 2 --cpu 0 --units "$UNITS" --unit-work 1ms \
	--out "$dir/progress.csv" &
load=$!
pids="$pids $load"
wait "$load"
pids="$sampler $hog"
wait "$hog"
pids="$sampler"
kill -INT "$sampler"
wait "$sampler"
pids=""

if [ -x "$BIN/plot-progress" ]; then
	# 4: gnuplot is not installed (plot-progress said so); the data stands
	rc=0
	"$BIN/plot-progress" --in "$dir/progress.csv" --out "$dir/progress" \
		--title "sched-load: 2 processes on CPU 0, host inf-loop on CPU 0" \
		--window "${HOG_START_MS}ms:$((HOG_START_MS + HOG_MS))ms" || rc=$?
	[ "$rc" -eq 0 ] || [ "$rc" -eq 4 ] || exit "$rc"
else
	echo "run-native-demo: no $BIN/plot-progress; not plotting" >&2
fi
rm -f "$dir/INCOMPLETE"
echo "results: $dir"
