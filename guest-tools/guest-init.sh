#!/bin/sh
# guest-init.sh: /init of the stealscope guest image (busybox sh), the guest
# side of one repetition of `stealscope run --backend libvirt`; the contract
# with the host is docs/guest-protocol.md.
#
# It reads the stealscope.* settings from the kernel command line, starts
# sched-load (one per guest CPU, with that CPU's tasks) and cpu-sampler at
# the agreed instant t0, sends their CSV over the serial console between
# marker lines and powers the guest off. It must never hang and never end
# without trying to power off: every wait is bounded by a guard that powers
# off on its own, a bad or missing setting is an `error` line and a non-zero
# `exit` status, and should /init itself die, the kernel panics and
# panic=-1 reboots, which ends the domain as well.
# shellcheck disable=SC2154   # the P_KEY settings are assigned by eval
PATH=/bin
export PATH
umask 022
set -f                                  # the command line is split, never globbed

ID=-                                    # until stealscope.id is known to be good
status=0

# One protocol line: "@@stealscope ID WORDS...".
say() {
	echo "@@stealscope $ID $*"
}

# The exit line, then power off. poweroff -f returns only when the reboot
# system call failed; exiting PID 1 then panics the kernel (panic=-1).
finish() {
	say exit "$1"
	poweroff -f
	exit "$1"
}

fail() {
	st=$1
	shift
	say error "$*"
	finish "$st"
}

# ---- the machine --------------------------------------------------------------
mount -t proc proc /proc 2>/dev/null
echo "1 1 1 1" >/proc/sys/kernel/printk 2>/dev/null   # no kernel chatter on ttyS0
mount -t sysfs sysfs /sys 2>/dev/null
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mount -t tmpfs -o mode=0755 tmpfs /dev
[ -c /dev/null ] || mknod -m 0666 /dev/null c 1 3
mount -t tmpfs -o mode=1777 tmpfs /tmp 2>/dev/null

# ---- the settings (stealscope.KEY=VALUE on the kernel command line) ------------
KEYS="id vcpus workload tasks units unit_work duration interval margin"
cmdline=
[ -r /proc/cmdline ] && read -r cmdline </proc/cmdline
bad=
for w in $cmdline; do
	case "$w" in
	stealscope.*) ;;
	*) continue ;;
	esac
	k=${w%%=*}
	k=${k#stealscope.}
	case "$w" in
	*=*) v=${w#*=} ;;
	*) bad=${bad:-"stealscope.$k has no value"}; continue ;;
	esac
	case " $KEYS " in
	*" $k "*) ;;
	*) bad=${bad:-"unknown setting stealscope.$k"}; continue ;;
	esac
	if eval "[ -n \"\${P_$k+set}\" ]"; then
		bad=${bad:-"stealscope.$k is given twice"}
		continue
	fi
	eval "P_$k=\$v"
done

case "${P_id-}" in
*[!0-9a-fA-F]*|'') ;;
*) [ ${#P_id} -ge 8 ] && [ ${#P_id} -le 16 ] && ID=$P_id ;;
esac
version=$(sched-load --version 2>/dev/null)
version=${version##* }
# The firmware leaves the console mid-line (SeaBIOS ends with bare escape
# sequences): a newline first, so that the hello line starts a line.
echo
say hello "${version:-unknown}" "$(uname -r)"
[ "$ID" != - ] || fail 2 "stealscope.id: '${P_id-}' is not 8-16 hex digits"
[ -z "$bad" ] || fail 2 "$bad"

# check_int KEY MIN MAX: stealscope.KEY is a plain decimal integer in [MIN, MAX].
check_int() {
	eval "v=\${P_$1-}"
	case "$v" in
	'') fail 2 "stealscope.$1 is missing" ;;
	*[!0-9]*) fail 2 "stealscope.$1: '$v' is not a non-negative integer" ;;
	0?*) fail 2 "stealscope.$1: '$v' has a leading zero" ;;
	esac
	[ ${#v} -le 18 ] && [ $((v >= $2 && v <= $3)) = 1 ] ||
		fail 2 "stealscope.$1: '$v' is out of range [$2, $3]"
}

S=1000000000                            # ns per second
check_int vcpus 1 1024
check_int tasks 0 $((P_vcpus * 1024))   # sched-load takes up to 1024 per CPU
check_int units 0 10000000
check_int unit_work 1000 $((10 * S))    # sched-load's --unit-work: 1us..10s
check_int duration 1000000 $((3600 * S))
check_int interval 1000000 $((3600 * S))
check_int margin 0 $((60 * S))          # --t0/--start-at: at most a minute ahead
vcpus=$P_vcpus tasks=$P_tasks units=$P_units unit_work=$P_unit_work
duration=$P_duration interval=$P_interval margin=$P_margin
workload=${P_workload-}
case "$workload" in
sched) [ "$tasks" -ge 1 ] || fail 2 "stealscope.tasks: the sched workload needs at least 1 task" ;;
inf-loop|idle) ;;
'') fail 2 "stealscope.workload is missing" ;;
*) fail 2 "stealscope.workload: '$workload' is not sched, inf-loop or idle" ;;
esac
online=$(nproc 2>/dev/null)
[ "$online" = "$vcpus" ] ||
	fail 1 "stealscope.vcpus is $vcpus but the guest has ${online:-?} CPUs online"

# ---- a guard: whatever hangs, the guest powers off ------------------------------
# guard SECONDS WHAT: in the background, after SECONDS say so and power off.
guard() {
	(
		sleep "$1"
		say error "guard: $2 still not done after $1 s; powering off"
		say exit 1
		poweroff -f
	) &
	guard_pid=$!
}

unguard() {
	kill "$guard_pid" 2>/dev/null
}

# Twice the run plus a minute: TCG is slow, and so is a host under contention.
guard $(((2 * (margin + duration) + S - 1) / S + 60)) "the guest tools"

# ---- the run ------------------------------------------------------------------------
now=$(host-facts --monotonic-ns 2>/tmp/host-facts.err) ||
	fail 1 "host-facts --monotonic-ns failed: $(head -n 1 /tmp/host-facts.err)"
case "$now" in
''|*[!0-9]*) fail 1 "host-facts --monotonic-ns printed '$now', not a number of ns" ;;
esac
t0=$((now + margin))
say go "$t0" "$margin"

# cpu-sampler from now (t_ns < 0 before t0) to one interval past the end.
cpu-sampler --interval "${interval}ns" --duration "$((margin + duration + interval))ns" \
	--t0 "$t0" --out /tmp/cpu.csv 2>/tmp/cpu-sampler.err </dev/null &
jobs_started="$!:cpu-sampler"

c=0
while [ "$c" -lt "$vcpus" ]; do
	case "$workload" in
	sched)
		# the tasks j < tasks with j % vcpus == c
		n=$(((tasks - c + vcpus - 1) / vcpus))
		if [ "$n" -gt 0 ]; then
			set -- --procs "$n" --unit-work "${unit_work}ns"
			[ "$units" -eq 0 ] || set -- "$@" --units "$units"
		fi
		;;
	inf-loop)
		# a busy loop from t0 to the end: one process of 1 ms units,
		# whose stamps nobody needs
		n=1
		set -- --procs 1 --unit-work 1ms
		;;
	*)
		n=0
		;;
	esac
	if [ "$n" -gt 0 ]; then
		sched-load --verbose "$@" --cpu "$c" --start-at "$t0" --duration "${duration}ns" \
			--out "/tmp/progress-$c.csv" 2>"/tmp/sched-load-$c.err" </dev/null &
		jobs_started="$jobs_started $!:sched-load-$c"
	fi
	c=$((c + 1))
done

# Wait for every tool; the first non-zero status is the guest's.
for j in $jobs_started; do
	pid=${j%%:*}
	tool=${j#*:}
	wait "$pid"
	st=$?
	errf=/tmp/$tool.err
	if [ "$st" -ne 0 ]; then
		[ "$status" -ne 0 ] || status=$st
		msg=$(grep -m 1 ': error: ' "$errf" 2>/dev/null)
		[ -n "$msg" ] || msg=$(tail -n 1 "$errf" 2>/dev/null)
		case "$tool" in
		sched-load-*) name="sched-load --cpu ${tool#sched-load-}" ;;
		*) name=$tool ;;
		esac
		say error "$name exited with status $st: ${msg:-no message}"
	fi
	# the tools' diagnostics go to the serial log, outside the protocol
	[ -s "$errf" ] && sed "s/^/guest: /" "$errf"
done
unguard

# ---- progress.csv: every CPU's rows, with vcpu and the global task number --------
out=/tmp/progress.csv
echo "vcpu,proc,unit,t_ns,progress_pct" >"$out"
if [ "$workload" = sched ]; then
	c=0
	while [ "$c" -lt "$vcpus" ] && [ "$c" -lt "$tasks" ]; do
		f=/tmp/progress-$c.csv
		if ! [ -s "$f" ]; then
			say error "sched-load --cpu $c wrote no progress.csv"
			[ "$status" -ne 0 ] || status=1
		elif [ "$(head -n 1 "$f")" != "proc,unit,t_ns,progress_pct" ]; then
			say error "sched-load --cpu $c: unexpected CSV header '$(head -n 1 "$f")'"
			[ "$status" -ne 0 ] || status=1
		else
			# local process p on CPU c is global task c + p * vcpus
			awk -F, -v c="$c" -v n="$vcpus" \
				'NR > 1 { printf "%d,%d,%s\n", c, c + $1 * n, substr($0, length($1) + 2) }' \
				"$f" >>"$out"
		fi
		c=$((c + 1))
	done
fi

# ---- send the files ------------------------------------------------------------------
# send NAME PATH: the file framed by file/endfile lines; LINES counts its lines.
send() {
	if ! [ -f "$2" ]; then
		say error "$1 was not written"
		[ "$status" -ne 0 ] || status=1
		return
	fi
	n=$(wc -l <"$2")
	say file "$1"
	cat "$2"
	say endfile "$1" "$n"
}

# Sending is bounded too: a minute plus 10 kB/s (a real 115200-baud line).
bytes=$(cat /tmp/progress.csv /tmp/cpu.csv 2>/dev/null | wc -c)
guard $((60 + bytes / 10000)) "sending the CSV"
send progress.csv /tmp/progress.csv
send cpu.csv /tmp/cpu.csv
unguard
finish "$status"
