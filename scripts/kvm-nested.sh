#!/bin/sh
# kvm-nested.sh: run a command inside an L1 guest that has a working
# /dev/kvm, on hosts that have none. The L1 guest is Debian's kernel booted
# under QEMU TCG with `-cpu max` (which offers SVM with nested paging), and
# its /init loads irqbypass, kvm, ccp and kvm-amd (kvm-intel does not work
# under TCG: it has no VMX), then runs the command.
#
#   scripts/kvm-nested.sh [OPTION]... -- COMMAND [ARG]...
#
# The command's output (stdout and stderr together) streams back over the
# serial console; this script exits with the command's exit status. Given
# --file, static binaries go into the guest's /bin; given --collect, a
# directory of the guest comes back as a tar over a second serial port.
# A hard timeout always applies and QEMU is always killed when this script
# ends, however it ends.
#
# The image (build/nested/: vmlinuz, base.cpio.gz) is built on first use
# from the linux-image and busybox-static .debs, taken from build/guest/debs
# when the libvirt backend's image builder has already downloaded them, else
# downloaded into build/nested/debs with `apt-get download`. Nothing is
# installed on the host; nothing outside build/nested/ is written.
set -eu

prog=kvm-nested
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$here/build/nested
timeout_s=120
smp=2
mem_mb=512
files=
collect=
tmp=
qpid=

die() {
	echo "$prog: error: $*" >&2
	exit 1
}

usage() {
	cat <<'EOF'
Usage: scripts/kvm-nested.sh [OPTION]... -- COMMAND [ARG]...
Boot an L1 guest with a working /dev/kvm (Debian's kernel under QEMU TCG,
-cpu max, kvm-amd with nested SVM) and run COMMAND in it (with /bin/sh).
Its output streams back; the exit status is COMMAND's.

  --file PATH       copy PATH (a static binary or any file) into the guest's
                    /bin; may be repeated
  --collect G:H     after COMMAND, copy the guest directory G back into the
                    host directory H (created; over a second serial port)
  --timeout SEC     kill QEMU after SEC seconds, 10..3600 (default 120)
  --smp N           L1 vCPUs, 1..8 (default 2)
  --mem MB          L1 memory, 256..4096 (default 512)
  -h, --help        show this help and exit
  -V, --version     show the version and exit

Exit status: COMMAND's; 124 when the timeout killed QEMU, 125 when the
guest did not report a status (it crashed), 1 when the image could not be
built, 2 usage error, 4 when QEMU is not installed.
EOF
}

usage_error() {
	echo "$prog: error: $*" >&2
	echo "Try 'scripts/kvm-nested.sh --help' for more information." >&2
	exit 2
}

number() {
	case "$2" in
	'' | *[!0-9]*) usage_error "$1: '$2' is not a number" ;;
	esac
	[ "$2" -ge "$3" ] && [ "$2" -le "$4" ] || usage_error "$1: '$2' is out of range [$3, $4]"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--file)
		[ $# -ge 2 ] || usage_error "option '--file' needs a value"
		[ -f "$2" ] || usage_error "--file: '$2' is not a file"
		files="$files $2"
		shift 2 ;;
	--collect)
		[ $# -ge 2 ] || usage_error "option '--collect' needs a value"
		case "$2" in
		/*:?*) collect=$2 ;;
		*) usage_error "--collect: '$2' is not GUEST_ABS_DIR:HOST_DIR" ;;
		esac
		shift 2 ;;
	--timeout)
		[ $# -ge 2 ] || usage_error "option '--timeout' needs a value"
		number --timeout "$2" 10 3600; timeout_s=$2; shift 2 ;;
	--smp)
		[ $# -ge 2 ] || usage_error "option '--smp' needs a value"
		number --smp "$2" 1 8; smp=$2; shift 2 ;;
	--mem)
		[ $# -ge 2 ] || usage_error "option '--mem' needs a value"
		number --mem "$2" 256 4096; mem_mb=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	-V | --version) echo "kvm-nested.sh (stealscope) 0.1.0"; exit 0 ;;
	--) shift; break ;;
	*) usage_error "unknown option '$1'" ;;
	esac
done
[ $# -gt 0 ] || usage_error "no COMMAND given (after --)"

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "$prog: error: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)" >&2
	exit 4
fi

# ---- the image ------------------------------------------------------------
deb_of() {                             # deb_of PATTERN: the first matching .deb
	for d in "$here/build/guest/debs" "$dir/debs"; do
		for f in "$d"/$1; do
			[ -f "$f" ] && { echo "$f"; return 0; }
		done
	done
	return 1
}

build_image() {
	mkdir -p "$dir/debs"
	kdeb=$(deb_of 'linux-image-6.*-amd64_*.deb') || {
		kpkg=$(apt-cache depends linux-image-amd64 |
		       sed -n 's/.*Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
		[ -n "$kpkg" ] || die "cannot tell the kernel package of linux-image-amd64"
		(cd "$dir/debs" && apt-get download "$kpkg" >&2) || die "apt-get download $kpkg failed"
		kdeb=$(deb_of 'linux-image-6.*-amd64_*.deb') || die "no kernel .deb after download"
	}
	bdeb=$(deb_of 'busybox-static_*.deb') || {
		(cd "$dir/debs" && apt-get download busybox-static >&2) ||
			die "apt-get download busybox-static failed"
		bdeb=$(deb_of 'busybox-static_*.deb') || die "no busybox-static .deb after download"
	}
	work=$(mktemp -d "$dir/build.XXXXXX")
	dpkg-deb -x "$kdeb" "$work/k"
	dpkg-deb -x "$bdeb" "$work/bb"
	kver=$(ls "$work/k/lib/modules" | head -n1)
	r=$work/root
	mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/lib/modules"
	cp "$work/bb/bin/busybox" "$r/bin/busybox"
	m=$work/k/lib/modules/$kver/kernel
	for ko in virt/lib/irqbypass.ko arch/x86/kvm/kvm.ko drivers/crypto/ccp/ccp.ko \
		  arch/x86/kvm/kvm-amd.ko; do
		[ -f "$m/$ko" ] || die "$kdeb has no $ko"
		cp "$m/$ko" "$r/lib/modules/"
	done
	cat >"$r/init" <<'EOF'
#!/bin/busybox sh
# The L1 guest's /init (written by scripts/kvm-nested.sh).
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
for m in irqbypass kvm ccp kvm-amd; do
	insmod /lib/modules/$m.ko || echo "KVM-NESTED: insmod $m failed"
done
echo "KVM-NESTED: begin"
cd /tmp
sh /cmd
rc=$?
echo "KVM-NESTED: rc=$rc"
if [ -f /collect ]; then
	stty -F /dev/ttyS1 raw -echo 2>/dev/null
	(cd "$(cat /collect)" && tar cf - .) >/dev/ttyS1
	sleep 1
fi
echo "KVM-NESTED: end"
poweroff -f
EOF
	chmod 755 "$r/init"
	(cd "$r" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$work/base.cpio.gz"
	cp "$work/k/boot/vmlinuz-$kver" "$work/vmlinuz"
	mv "$work/vmlinuz" "$dir/vmlinuz"
	mv "$work/base.cpio.gz" "$dir/base.cpio.gz"
	echo "$kver $(basename "$kdeb") $(basename "$bdeb")" >"$dir/IMAGE"
	rm -rf "$work"
}

mkdir -p "$dir"
if [ ! -f "$dir/base.cpio.gz" ] || [ ! -f "$dir/vmlinuz" ] || [ "$0" -nt "$dir/base.cpio.gz" ]; then
	build_image
fi

# ---- this run ---------------------------------------------------------------
cleanup() {
	[ -n "$qpid" ] && kill -9 "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	[ -n "$tmp" ] && rm -rf "$tmp"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tmp=$(mktemp -d "$dir/run.XXXXXX")
mkdir -p "$tmp/root/bin"
for f in $files; do
	cp "$f" "$tmp/root/bin/"
done
{
	printf 'export PATH=/bin\n'
	for a in "$@"; do
		printf "'%s' " "$(printf '%s' "$a" | sed "s/'/'\\\\''/g")"
	done
	printf '\n'
} >"$tmp/root/cmd"
if [ -n "$collect" ]; then
	printf '%s\n' "${collect%%:*}" >"$tmp/root/collect"
fi
(cd "$tmp/root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$tmp/extra.cpio.gz"
cat "$dir/base.cpio.gz" "$tmp/extra.cpio.gz" >"$tmp/initrd"
: >"$tmp/ttyS1"

# QEMU dies with this script even when the script is SIGKILLed (a test's own
# timeout, the OOM killer), where no trap runs: setpriv sets its parent-death
# signal (the parent is this shell) before it execs QEMU.
pdeath=
if setpriv --help 2>/dev/null | grep -q -- --pdeathsig; then
	pdeath="setpriv --pdeathsig KILL"
fi
$pdeath qemu-system-x86_64 -accel tcg -cpu max -smp "$smp" -m "$mem_mb" -display none \
	-monitor none -no-reboot -serial stdio -serial "file:$tmp/ttyS1" \
	-kernel "$dir/vmlinuz" -initrd "$tmp/initrd" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1" </dev/null >"$tmp/console" 2>&1 &
qpid=$!

# Stream the command's part of the console as it comes, until QEMU ends.
(
	tail -n +1 -f "$tmp/console" --pid="$qpid" 2>/dev/null |
	tr -d '\r' | sed -n '/^KVM-NESTED: begin$/,/^KVM-NESTED: rc=/{/^KVM-NESTED: /!p}'
) &
spid=$!

# The deadline is on the clock (whole seconds since boot, from /proc/uptime):
# counting the loop's turns would stretch it on a loaded machine, past the
# caller's own timeout.
read -r up _ </proc/uptime
deadline=$((${up%.*} + timeout_s))
while kill -0 "$qpid" 2>/dev/null; do
	read -r up _ </proc/uptime
	if [ "${up%.*}" -ge "$deadline" ]; then
		kill -9 "$qpid" 2>/dev/null
		wait "$qpid" 2>/dev/null || true
		qpid=
		wait "$spid" 2>/dev/null || true
		echo "$prog: error: timed out after ${timeout_s}s; QEMU killed; the end of" \
		     "the guest's console:" >&2
		tr -d '\r' <"$tmp/console" | tail -n 20 >&2
		exit 124
	fi
	sleep 0.1
done
wait "$qpid" 2>/dev/null || true
qpid=
wait "$spid" 2>/dev/null || true

rc=$(tr -d '\r' <"$tmp/console" | sed -n 's/^KVM-NESTED: rc=\([0-9]*\)$/\1/p' | tail -n1)
tr -d '\r' <"$tmp/console" | grep '^KVM-NESTED: insmod' >&2 || true
if [ -z "$rc" ]; then
	echo "$prog: error: the guest reported no exit status; the end of its console:" >&2
	tr -d '\r' <"$tmp/console" | tail -n 20 >&2
	exit 125
fi
if [ -n "$collect" ]; then
	hostdir=${collect#*:}
	mkdir -p "$hostdir"
	tar xf "$tmp/ttyS1" -C "$hostdir" ||
		{ echo "$prog: error: the collected directory did not come back whole" >&2; exit 1; }
fi
exit "$rc"
