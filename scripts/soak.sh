#!/bin/sh
# Soak test of the host samplers (`make soak`; never part of `make check` or
# CI): cpu-sampler on CPU 0 for SOAK_SECONDS (default 600) at a 10 ms
# interval and, at the same time, vcpu-sampler on the one thread of an
# inf-loop spinning at 25% duty on the last CPU. For each it checks that
#   - the sequence numbers run 1..N (N = duration / interval) and every gap
#     is matched by a deadline overrun the tool reported on stderr
#     ("K deadline overruns (M intervals skipped)"): one gap per overrun,
#     M missing numbers in all;
#   - the rows number N minus the skipped intervals;
#   - VmRSS, read from /proc/<pid>/status every SOAK_RSS_EVERY seconds
#     (default 5), stays flat: its maximum is at most SOAK_RSS_SLACK_KB
#     (default 512) above the first reading;
# and prints a short report (first/max/last VmRSS included). Then kvm-mini
# runs as long (a hog on its CPU for the middle third) and must drop no
# progress record: in process where /dev/kvm opens, else nested in an L1
# guest under QEMU TCG (scripts/kvm-nested.sh); the report says why when
# neither can run.
#
# Usage: scripts/soak.sh [BINDIR]   (default bin; `make soak` passes it)
# Exit status: 0 every check passed, 1 a check or a tool failed, 2 bad
# settings. It kills only the processes it started, and removes its work
# directory (the CSVs, stderr and VmRSS readings) unless a check failed or
# SOAK_KEEP=1.
set -u

bindir=${1:-bin}
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${SOAK_SECONDS:-600}
rss_every=${SOAK_RSS_EVERY:-5}
rss_slack_kb=${SOAK_RSS_SLACK_KB:-512}
interval_ms=10
duty=25

for v in seconds rss_every rss_slack_kb; do
	eval "val=\$$v"
	case "$val" in
	''|*[!0-9]*|0*)
		echo "soak: error: $v must be a positive whole number, not '$val'" >&2
		exit 2
		;;
	esac
done
for t in cpu-sampler vcpu-sampler inf-loop host-facts; do
	if [ ! -x "$bindir/$t" ]; then
		echo "soak: error: $bindir/$t not built (run make first)" >&2
		exit 2
	fi
done

ncpus=$(getconf _NPROCESSORS_ONLN)
spin_cpu=$((ncpus - 1))
nint=$((seconds * 1000 / interval_ms))
work=$(mktemp -d /tmp/stealscope-soak-XXXXXX) || exit 1
spin_pid= cs_pid= vs_pid= mon_pid=

# Only what this script started, by pid.
cleanup() {
	for p in $mon_pid $cs_pid $vs_pid $spin_pid; do
		kill "$p" 2>/dev/null
	done
}
trap 'cleanup; exit 1' INT TERM
trap cleanup EXIT

# VmRSS in kB of pid $1, or nothing once it has exited (a zombie has none).
vmrss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# Append "VmRSS" readings of pids $1 (to $work/$2.rss) and $3 (to
# $work/$4.rss) every $rss_every s until both have exited.
monitor_rss() {
	sleep 1
	while :; do
		alive=0
		for pair in "$1:$2" "$3:$4"; do
			kb=$(vmrss_kb "${pair%%:*}")
			[ -n "$kb" ] || continue
			echo "$kb" >>"$work/${pair#*:}.rss"
			alive=1
		done
		[ "$alive" -eq 1 ] || break
		sleep "$rss_every"
	done
}

echo "soak: ${seconds}s at ${interval_ms}ms ($nint intervals): cpu-sampler on CPU 0," \
     "vcpu-sampler on an inf-loop (${duty}% duty) on CPU $spin_cpu; work dir $work"

"$bindir/inf-loop" --cpu "$spin_cpu" --duty "$duty" --duration "$((seconds + 60))s" \
	2>"$work/inf-loop.err" &
spin_pid=$!
sleep 0.2
if ! kill -0 "$spin_pid" 2>/dev/null; then
	echo "soak: error: inf-loop did not start: $(cat "$work/inf-loop.err")" >&2
	exit 1
fi

"$bindir/cpu-sampler" --cpus 0 --interval "${interval_ms}ms" --duration "${seconds}s" \
	--out "$work/cpu.csv" 2>"$work/cpu.err" &
cs_pid=$!
# inf-loop is single-threaded: its pid is its only thread's id
"$bindir/vcpu-sampler" --tid "$spin_pid" --interval "${interval_ms}ms" \
	--duration "${seconds}s" --out "$work/vcpu.csv" 2>"$work/vcpu.err" &
vs_pid=$!
monitor_rss "$cs_pid" cpu "$vs_pid" vcpu &
mon_pid=$!

wait "$cs_pid"
cs_rc=$?
cs_pid=
wait "$vs_pid"
vs_rc=$?
vs_pid=
wait "$mon_pid"
mon_pid=
kill "$spin_pid" 2>/dev/null
wait "$spin_pid" 2>/dev/null
spin_pid=

failed=0

# Check sampler $1 (tool name), output $work/$2.csv, stderr $work/$2.err,
# exit status $3; print its lines of the report.
check() {
	tool=$1 name=$2 rc=$3
	csv=$work/$name.csv err=$work/$name.err
	echo "soak: $tool"
	if [ "$rc" -ne 0 ] || [ ! -s "$csv" ]; then
		echo "  FAIL: exited $rc; stderr:"
		sed 's/^/    /' "$err"
		failed=1
		return
	fi
	# "<tool>: warning: K deadline overruns (M intervals skipped)", if any
	over=$(sed -n 's/.*: \([0-9]*\) deadline overruns (\([0-9]*\) intervals skipped).*/\1 \2/p' \
		"$err")
	set -- ${over:-0 0}
	overruns=$1 skipped=$2
	# rows, first and last seq, gaps, numbers missing in 1..N, a gap at the
	# end (the run stopped on an overrun past N), rows out of order
	set -- $(awk -F, -v n="$nint" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seq") c = i; next }
		{
			s = $c + 0; rows++
			if (rows == 1) { first = s; prev = 0 }
			if (s <= prev) bad++
			else if (s != prev + 1) { gaps++; missing += s - prev - 1 }
			prev = s
		}
		END {
			tail = 0
			if (prev < n) { gaps++; missing += n - prev; tail = 1 }
			if (prev > n) bad++
			printf "%d %d %d %d %d %d %d\n", rows, first, prev, gaps, missing, tail, bad
		}' "$csv")
	rows=$1 first=$2 last=$3 gaps=$4 missing=$5 tail=$6 bad=$7
	want=$((nint - skipped))
	verdict=ok
	# every overrun leaves exactly one gap; a last one past N may skip more
	# than the numbers left
	if [ "$bad" -ne 0 ] || [ "$gaps" -ne "$overruns" ] ||
	   { [ "$tail" -eq 0 ] && [ "$missing" -ne "$skipped" ]; } ||
	   { [ "$tail" -eq 1 ] && [ "$missing" -gt "$skipped" ]; } ||
	   { [ "$tail" -eq 0 ] && [ "$rows" -ne "$want" ]; }; then
		verdict=FAIL
		failed=1
	fi
	echo "  samples: $rows rows, want $nint - $skipped skipped = $want; seq $first..$last," \
	     "$bad out of order: $verdict"
	echo "  overruns: $overruns reported ($skipped intervals skipped); $gaps gaps" \
	     "($missing numbers missing): $verdict"
	if [ ! -s "$work/$name.rss" ]; then
		echo "  VmRSS: FAIL: no reading"
		failed=1
		return
	fi
	set -- $(awk 'NR == 1 { first = $1; max = $1 } $1 > max { max = $1 }
		END { print first, max, $1, NR }' "$work/$name.rss")
	verdict=ok
	if [ $(($2 - $1)) -gt "$rss_slack_kb" ]; then
		verdict=FAIL
		failed=1
	fi
	echo "  VmRSS kB: first $1, max $2, last $3 ($4 readings every ${rss_every}s," \
	     "growth allowed ${rss_slack_kb}): $verdict"
}

check cpu-sampler cpu "$cs_rc"
check "vcpu-sampler --tid (inf-loop)" vcpu "$vs_rc"

# kvm-mini: a 10-minute run dropping no progress record, where it can run
kvm_err=$("$bindir/host-facts" --json |
	sed -n 's/.*"kvm_dev_error": "\(.*\)".*/\1/p')
# Its records: meta.json counts what was dropped (guest ring full, host
# buffer full), overwritten or rejected; every one must be 0, and each task's
# unit numbers in progress.csv must run 0, 1, 2, ... without a gap.
km_check() {	# km_check DIR: 0 when no progress record was lost
	_meta=$1/meta.json
	[ -s "$_meta" ] && [ -s "$1/progress.csv" ] || {
		echo "  FAIL: no meta.json or progress.csv in $1"; return 1; }
	_lost=$(grep -o '"\(dropped_guest\|dropped_host\|overwritten\|rejected\)": *[0-9]*' \
		"$_meta" | awk -F: '{ n += $2 } END { print n + 0 }')
	_gaps=$(awk -F, 'NR > 1 { k = $2 "/" $3; if ((k in last) && $4 != last[k] + 1) g++;
		last[k] = $4; n++ } END { printf "%d %d", g + 0, n + 0 }' "$1/progress.csv")
	echo "  records: ${_gaps#* } progress stamps; lost in meta.json: $_lost;" \
	     "unit gaps: ${_gaps% *}"
	[ "$_lost" -eq 0 ] && [ "${_gaps% *}" -eq 0 ]
}

# kvm-mini runs pinned to CPU 0 with a hog on CPU 0 for the middle third, so
# the ring also sees the stalls of contention.
km_args="--vcpus 1 --pin 0 --tasks 2 --duration ${seconds}s --interval 10ms \
--hog 0:$((seconds / 3))s:$((seconds / 3))s"
echo "soak: kvm-mini"
if [ -z "$kvm_err" ] && [ -x "$bindir/kvm-mini" ]; then
	# shellcheck disable=SC2086
	if "$bindir/kvm-mini" $km_args --out "$work/km" >"$work/km.out" 2>&1; then
		km_check "$work/km" || failed=1
	else
		echo "  FAIL: kvm-mini exited $? (see $work/km.out)"; failed=1
	fi
elif command -v qemu-system-x86_64 >/dev/null 2>&1 &&
     [ -x "$here/scripts/kvm-nested.sh" ] && [ -x "$here/build/nested/bin/kvm-mini" ]; then
	echo "  /dev/kvm cannot be opened ($kvm_err): kvm-mini runs nested, in an L1" \
	     "guest under QEMU TCG (scripts/kvm-nested.sh)"
	# shellcheck disable=SC2086
	if "$here/scripts/kvm-nested.sh" --timeout $((seconds + 300)) \
		--file "$here/build/nested/bin/kvm-mini" --collect "/tmp/km:$work/km" \
		-- kvm-mini $km_args --out /tmp/km >"$work/km.out" 2>&1; then
		km_check "$work/km" || failed=1
	else
		echo "  FAIL: kvm-mini (nested) exited $? (see $work/km.out)"; failed=1
	fi
else
	echo "  not runnable here: kvm-mini needs /dev/kvm, which cannot be opened" \
	     "($kvm_err), and the nested route (qemu-system-x86_64," \
	     "build/nested/bin/kvm-mini: make build/nested/bin/kvm-mini) is not there either"
fi

if [ "$failed" -ne 0 ]; then
	echo "soak: FAILED (outputs kept in $work)"
	exit 1
fi
if [ "${SOAK_KEEP:-0}" = 1 ]; then
	echo "soak: passed (outputs kept in $work)"
	exit 0
fi
rm -rf "$work"
echo "soak: passed"
