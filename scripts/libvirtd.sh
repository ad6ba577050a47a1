#!/bin/sh
# libvirtd.sh: start, stop or show the libvirt daemons (libvirtd, virtlogd)
# that stealscope's libvirt tools and tests talk to through qemu:///system,
# on machines where no init system manages them.
#
#   scripts/libvirtd.sh start [--holder PID]
#   scripts/libvirtd.sh stop  [--holder PID]
#   scripts/libvirtd.sh status
#
# Without systemd, `start` starts virtlogd (domain creation fails without
# it) and libvirtd, each only when none is running, records the PID and
# start time of what it started in $STEALSCOPE_RUN_DIR (default
# /run/stealscope), and waits until the daemon answers (at most
# $STEALSCOPE_LIBVIRTD_TIMEOUT seconds, default 30; the very first start
# probes QEMU for several seconds). `stop` stops only what `start` started,
# by PID, after checking that the PID still belongs to that program and was
# started at the recorded time. Both are idempotent and serialised by a lock.
#
# Holders: a test passes --holder <its pid> to both; `stop` leaves the
# daemons running while another live holder (another test run, or a plain
# `start` by hand, which holds until a plain `stop`) still needs them.
#
# With systemd, libvirtd belongs to systemd: `start` does nothing when it is
# active (else asks systemctl to start it), `stop` never stops it.
#
# This script must never kill a process it did not start, and it changes
# the system only as Debian's libvirt-daemon-system package would (the
# libvirt-qemu account, /var/log/libvirt), which we do not install because
# it brings polkit, a firewall and init scripts along.
#
# Exit status: 0 ok, 1 failure, 2 usage error, 3 (status) not running,
# 4 unsupported here (packages missing, not root).
set -eu
# The daemons and useradd live in sbin, which a test's PATH may lack.
PATH=/usr/local/sbin:/usr/sbin:/sbin:$PATH

prog=libvirtd.sh
URI=qemu:///system
RUN_DIR=${STEALSCOPE_RUN_DIR:-/run/stealscope}
STATE=$RUN_DIR/libvirtd.started       # "<name> <pid> <starttime>" per daemon started
HOLDERS=$RUN_DIR/libvirtd.holders     # one file per holder: "manual" or a PID
LOCK=$RUN_DIR/libvirtd.lock
TIMEOUT=${STEALSCOPE_LIBVIRTD_TIMEOUT:-30}
LOG=/var/log/libvirt/libvirtd.log

say() { echo "$prog: $*" >&2; }
warn() { echo "$prog: warning: $*" >&2; }
die() { echo "$prog: error: $1" >&2; exit "${2:-1}"; }

usage() {
	echo "Usage: $prog start|stop [--holder PID] | status" >&2
	echo "Try the comment at the top of $0 for details." >&2
	exit 2
}

have_systemd() { [ -d /run/systemd/system ]; }

need_root() {
	[ "$(id -u)" = 0 ] || die "must be root to $1 (the system daemon serves $URI)" 4
}

# Seconds since boot with two decimals, for timing the start.
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# Start time of process $1 in clock ticks since boot (field 22 of
# /proc/PID/stat), empty if there is no such process. The command name may
# hold spaces and parentheses, so cut after the last ") ".
starttime_of() {
	[ -r "/proc/$1/stat" ] || return 0
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}

# Is PID $2 still the program $1 that started at $3?
is_same() {
	[ -n "$2" ] && [ -r "/proc/$2/comm" ] || return 1
	[ "$(cat "/proc/$2/comm" 2>/dev/null)" = "$1" ] || return 1
	[ "$(starttime_of "$2")" = "$3" ]
}

# PIDs of running processes named exactly $1, oldest first.
pids_named() { pgrep -x "$1" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }

# The record of daemon $1 that this script started: "<pid> <starttime>", or nothing.
recorded() {
	[ -f "$STATE" ] || return 0
	awk -v n="$1" '$1 == n { print $2, $3 }' "$STATE"
}

# Does the record for $1 name a process that is still that daemon?
started_here_alive() {
	# shellcheck disable=SC2046 # "<pid> <starttime>" splits into two words
	set -- "$1" $(recorded "$1")
	[ $# -eq 3 ] && is_same "$1" "$2" "$3"
}

answering() { timeout 5 virsh -q -c "$URI" uri >/dev/null 2>&1; }

lock() {
	mkdir -p "$RUN_DIR" "$HOLDERS"
	exec 9>>"$LOCK"
	flock -w 90 9 || die "another $prog has held $LOCK for 90 s"
}

# ---- holders ---------------------------------------------------------------

holder_file() { echo "$HOLDERS/$1"; }

add_holder() {
	if [ "$1" = manual ]; then
		: >"$(holder_file manual)"
	else
		starttime_of "$1" >"$(holder_file "$1")"
	fi
}

# Remove holder files of processes that are gone; print the live ones.
live_holders() {
	for f in "$HOLDERS"/*; do
		[ -e "$f" ] || continue
		h=${f##*/}
		if [ "$h" = manual ]; then
			printf '%s ' manual
		elif is_same "$(cat "/proc/$h/comm" 2>/dev/null || true)" "$h" "$(cat "$f")"; then
			printf '%s ' "pid $h"
		else
			rm -f "$f"
		fi
	done
}

# ---- start -----------------------------------------------------------------

# What Debian's libvirt-daemon-system would have set up. Its QEMU driver
# runs QEMU as libvirt-qemu:libvirt-qemu (compiled in) and refuses to
# initialise when those accounts do not exist.
prepare_system() {
	install -d -m 0700 /var/log/libvirt
	if dpkg-query -W -f='${db:Status-Status}' libvirt-daemon-driver-qemu 2>/dev/null |
	   grep -qx installed; then
		if ! getent group libvirt-qemu >/dev/null; then
			groupadd --system libvirt-qemu
			say "created the system group libvirt-qemu (QEMU runs as it)"
		fi
		if ! getent passwd libvirt-qemu >/dev/null; then
			grp=libvirt-qemu
			getent group kvm >/dev/null && grp=kvm
			useradd --system --gid "$grp" --groups libvirt-qemu \
				--home-dir /var/lib/libvirt --no-create-home \
				--shell /usr/sbin/nologin --comment "Libvirt Qemu" libvirt-qemu
			say "created the system user libvirt-qemu (QEMU runs as it)"
		fi
	fi
}

# Start daemon $1 (-d: it forks and returns once it is up) and record it.
start_daemon() {
	name=$1
	pidfile=/run/$name.pid
	# Not with our lock: a daemon keeping fd 9 would hold it for ever.
	"$name" -d 9>&- || return 1
	pid=$(cat "$pidfile" 2>/dev/null || true)
	st=$(starttime_of "$pid")
	if [ -z "$pid" ] || ! is_same "$name" "$pid" "$st"; then
		say "$name -d returned but $pidfile names no running $name"
		return 1
	fi
	echo "$name $pid $st" >>"$STATE"
	say "started $name (pid $pid)"
}

# Stop everything this script started, libvirtd first.
stop_started() {
	for name in libvirtd virtlogd; do
		# shellcheck disable=SC2046 # "<pid> <starttime>" splits into two words
		set -- $(recorded "$name")
		[ $# -eq 2 ] || continue
		pid=$1 st=$2
		if ! is_same "$name" "$pid" "$st"; then
			say "$name (pid $pid) started here is no longer running; nothing to stop"
			continue
		fi
		kill -TERM "$pid" 2>/dev/null || true
		i=0
		while is_same "$name" "$pid" "$st" && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if is_same "$name" "$pid" "$st"; then
			warn "$name (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			sleep 0.2
		fi
		say "stopped $name (pid $pid)"
	done
	rm -f "$STATE"
	left=$(pgrep -f 'qemu-system.* -name guest=' 2>/dev/null | tr '\n' ' ' || true)
	[ -z "$left" ] ||
		warn "QEMU processes of libvirt domains outlive libvirtd: pid(s) $left"
}

wait_ready() {
	t0=$(uptime_s)
	deadline=$(awk -v t="$t0" -v d="$TIMEOUT" 'BEGIN { print t + d }')
	while ! answering; do
		if ! pgrep -x libvirtd >/dev/null 2>&1; then
			say "libvirtd exited; the end of $LOG:"
			tail -n 5 "$LOG" >&2 2>/dev/null || true
			return 1
		fi
		if awk -v now="$(uptime_s)" -v d="$deadline" 'BEGIN { exit !(now >= d) }'; then
			say "$URI did not answer within $TIMEOUT s (see $LOG)"
			return 1
		fi
		sleep 0.2
	done
	say "$URI answers ($(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }') s)"
}

cmd_start() {
	holder=$1
	if have_systemd; then
		# virtqemud: the modular daemon of newer distributions, same URI.
		if systemctl is-active --quiet libvirtd.service ||
		   systemctl is-active --quiet libvirtd.socket ||
		   systemctl is-active --quiet virtqemud.socket; then
			say "libvirt's daemon is active under systemd; nothing to do"
			return 0
		fi
		need_root "start libvirtd"
		say "starting libvirtd with systemctl"
		systemctl start libvirtd.service || die "systemctl start libvirtd failed"
		wait_ready || exit 1
		return 0
	fi
	need_root "start libvirtd"
	for b in libvirtd virtlogd virsh; do
		command -v "$b" >/dev/null 2>&1 ||
			die "$b is not installed; install the packages with scripts/deps.sh" 4
	done
	lock
	running=$(pids_named libvirtd)
	if [ -n "$running" ]; then
		if started_here_alive libvirtd; then
			say "libvirtd is running (pid $running, started by this script)"
		else
			say "libvirtd is running (pid $running, not started by this script); using it"
		fi
		[ -n "$(pids_named virtlogd)" ] ||
			warn "virtlogd is not running: creating domains will fail (start it: virtlogd -d)"
	else
		# A record from a daemon that died is stale.
		rm -f "$STATE"
		prepare_system
		if [ -z "$(pids_named virtlogd)" ]; then
			start_daemon virtlogd || { stop_started; die "could not start virtlogd"; }
		fi
		start_daemon libvirtd || { stop_started; die "could not start libvirtd (see $LOG)"; }
	fi
	if ! wait_ready; then
		stop_started
		exit 1
	fi
	add_holder "$holder"
}

cmd_stop() {
	holder=$1
	if have_systemd; then
		say "libvirtd is managed by systemd here; not stopping it"
		return 0
	fi
	if [ ! -d "$RUN_DIR" ]; then
		say "nothing was started by this script; nothing to stop"
		return 0
	fi
	need_root "stop libvirtd"
	lock
	rm -f "$(holder_file "$holder")"
	others=$(live_holders)
	if [ ! -f "$STATE" ]; then
		say "nothing started by this script is running; nothing to stop"
		return 0
	fi
	if [ -n "$others" ]; then
		say "still needed by: ${others% }; leaving the daemons running"
		return 0
	fi
	stop_started
}

show() {
	name=$1
	pids=$(pids_named "$name")
	if [ -z "$pids" ]; then
		echo "$name: not running"
	elif started_here_alive "$name"; then
		echo "$name: running, pid $pids (started by $prog)"
	else
		echo "$name: running, pid $pids (not started by $prog)"
	fi
}

cmd_status() {
	if have_systemd; then
		echo "init: systemd (libvirtd: $(systemctl is-active libvirtd.service 2>/dev/null || true))"
	else
		echo "init: not systemd"
	fi
	show virtlogd
	show libvirtd
	if [ -d "$HOLDERS" ]; then
		h=$(live_holders 2>/dev/null || true)
		h=${h% }
		echo "holders: ${h:-none}"
	fi
	if command -v virsh >/dev/null 2>&1 && answering; then
		echo "$URI: answering"
		return 0
	fi
	echo "$URI: not answering"
	return 3
}

[ $# -ge 1 ] || usage
cmd=$1
shift
holder=manual
if [ $# -eq 2 ] && [ "$1" = --holder ] && [ "$cmd" != status ]; then
	case $2 in
	'' | *[!0-9]* | 0) die "--holder: '$2' is not a process id" 2 ;;
	esac
	# A holder that has gone may still be released (a watchdog does that).
	[ "$cmd" = stop ] || [ -d "/proc/$2" ] || die "--holder: no process $2" 2
	holder=$2
	shift 2
fi
[ $# -eq 0 ] || usage
case $cmd in
start) cmd_start "$holder" ;;
stop) cmd_stop "$holder" ;;
status) cmd_status ;;
*) usage ;;
esac
