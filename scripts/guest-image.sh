#!/bin/sh
# guest-image.sh: build the guest image of the libvirt backend
# (docs/guest-protocol.md): Debian's kernel taken from its linux-image .deb,
# and an initramfs holding busybox-static, the guest's /init and the static
# guest tools. Run by `make guest-image`, which builds the static tools first.
#
#   scripts/guest-image.sh --out DIR --tools DIR --init FILE --tools-version VER
#
# Writes DIR/vmlinuz, DIR/initramfs.cpio.gz and DIR/IMAGE, and keeps the
# downloaded .debs in DIR/debs so that a rebuild never downloads again. Only
# what is out of date is rebuilt; every file is written under a temporary
# name and renamed, so an interrupted build leaves the previous image (or
# none), never half of one. Nothing is installed on the host: the .debs are
# fetched with `apt-get download` and unpacked with dpkg-deb.
#
# This script must never touch anything outside DIR (and /tmp-like temporary
# directories of its own under DIR), and never run `apt-get install`.
# shellcheck disable=SC3013   # test -nt: dash, bash and busybox all have it
set -eu

prog=guest-image
out='' tools='' init='' version=

die() {
	echo "$prog: error: $*" >&2
	exit 1
}

note() {
	echo "$prog: $*" >&2
}

usage() {
	cat <<'EOF'
Usage: scripts/guest-image.sh --out DIR --tools DIR --init FILE --tools-version VER
Build the guest image of `stealscope run --backend libvirt` in DIR:
vmlinuz (from Debian's linux-image .deb), initramfs.cpio.gz (busybox-static,
FILE as /init, the static sched-load, cpu-sampler and host-facts of DIR
--tools) and IMAGE (what went in). Only what is out of date is rebuilt;
downloaded .debs are kept in DIR/debs. Normally run by `make guest-image`.

  --out DIR       where the image goes (build/guest)
  --tools DIR     the static guest tools
  --init FILE     the guest's /init (guest-tools/guest-init.sh)
  --tools-version VER
                  the guest tools' version, recorded in IMAGE
  -h, --help      show this help and exit
  -V, --version   show this script's version and exit

Exit status: 0 ok, 1 failure (no network, no space, a broken .deb),
2 usage error.
EOF
}

usage_error() {
	echo "$prog: error: $*" >&2
	echo "Try 'scripts/guest-image.sh --help' for more information." >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--out|--tools|--init|--tools-version)
		[ $# -ge 2 ] || usage_error "option '$1' needs a value"
		[ -n "$2" ] || usage_error "$1: empty value"
		case "$1" in
		--out) out=$2 ;;
		--tools) tools=$2 ;;
		--init) init=$2 ;;
		--tools-version) version=$2 ;;
		esac
		shift 2
		;;
	-h|--help) usage; exit 0 ;;
	-V|--version) echo "guest-image.sh (stealscope)"; exit 0 ;;
	*) usage_error "unknown argument '$1'" ;;
	esac
done
[ -n "$out" ] || usage_error "--out is required"
[ -n "$tools" ] || usage_error "--tools is required"
[ -n "$init" ] || usage_error "--init is required"
[ -n "$version" ] || usage_error "--tools-version is required"

GUEST_TOOLS="sched-load cpu-sampler host-facts"
[ -r "$init" ] || die "cannot read the init script $init"
for t in $GUEST_TOOLS; do
	[ -x "$tools/$t" ] || die "no static $t in $tools (run make guest-image)"
done
for c in apt-get apt-cache dpkg-deb cpio gzip; do
	command -v "$c" >/dev/null 2>&1 ||
		die "$c is not installed (scripts/deps.sh installs what is missing)"
done

debs="$out/debs"
mkdir -p "$debs" || die "cannot create $debs"
# One build at a time in DIR: two `make check` runs may start together.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$out/.lock"
	flock 9
fi

# Scratch space beside the outputs, so the final renames stay on one file
# system. Made here, before any $(...) subshell: their traps do not clean up.
tmp=
cleanup() {
	[ -z "$tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
tmp=$(mktemp -d "$out/.tmp.XXXXXX") || die "cannot create a temporary directory in $out"
chmod 0755 "$tmp"                       # apt-get download's _apt must reach into it

# Fail early, with the numbers, rather than half-way through an unpack.
need_space() {
	avail_kb=$(df -Pk "$out" | awk 'NR == 2 { print $4 }')
	case "$avail_kb" in
	''|*[!0-9]*) return 0 ;;
	esac
	[ "$avail_kb" -ge $(($1 * 1024)) ] ||
		die "not enough space in $out: $((avail_kb / 1024)) MB free, about $1 MB needed"
}

# Newer-than test that is false when the reference does not exist.
newer() {
	[ -e "$2" ] && [ "$1" -nt "$2" ]
}

# The file in DIR/debs holding package $1 (newest version when several), or nothing.
cached_deb() {
	ls -1t "$debs/$1"_*.deb 2>/dev/null | head -n 1
}

lists_present() {
	ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1
}

apt_update() {
	note "apt-get update (the package lists are missing or do not know $1)"
	log="$tmp/apt-update.log"
	apt-get update -qq >"$log" 2>&1 ||
		die "apt-get update failed (no network?): $(tail -n 3 "$log" | tr '\n' ' ')"
}

# apt's last error line in log $1, without the "E: " (its whole log if none).
apt_error() {
	e=$(grep '^E: ' "$1" | tail -n 1)
	if [ -n "$e" ]; then
		echo "${e#E: }"
	else
		tr '\n' ' ' <"$1"
	fi
}

# Download package $1 into DIR/debs (atomically: a half download stays in
# scratch space). Runs `apt-get update` once when apt does not know it.
download_deb() {
	pkg=$1
	need_space 200
	dl="$tmp/dl-$pkg"
	mkdir -p "$dl"
	# apt-get download drops root to _apt, who must be able to write here.
	chown _apt "$dl" 2>/dev/null || true
	log="$tmp/apt-download.log"
	note "downloading $pkg"
	if ! (cd "$dl" && apt-get download -q "$pkg") >"$log" 2>&1; then
		if grep -q -e "Unable to locate package" -e "Can't select" -e "no installation candidate" \
			"$log"; then
			apt_update "$pkg"
			(cd "$dl" && apt-get download -q "$pkg") >"$log" 2>&1 ||
				die "cannot download $pkg: $(apt_error "$log")"
		elif grep -q "No space left" "$log"; then
			die "cannot download $pkg: no space left in $out"
		else
			die "cannot download $pkg (no network?): $(apt_error "$log")"
		fi
	fi
	f=$(ls -1 "$dl"/"$pkg"_*.deb 2>/dev/null | head -n 1)
	[ -n "$f" ] || die "apt-get download $pkg left no .deb in $dl"
	dpkg-deb --info "$f" >/dev/null 2>&1 || die "the download of $pkg is not a valid .deb"
	mv -f "$f" "$debs/" || die "cannot move $f into $debs"
	cached_deb "$pkg"
}

# The current linux-image-*-amd64 package that linux-image-amd64 depends on.
# apt-cache takes about a second, so the answer is remembered in
# DIR/debs/kernel-package until apt's lists change.
kernel_package() {
	memo="$debs/kernel-package"
	stale=0
	for l in /var/lib/apt/lists/*_Packages*; do
		[ -e "$l" ] || continue
		if ! [ -s "$memo" ] || [ "$l" -nt "$memo" ]; then
			stale=1
			break
		fi
	done
	if [ -s "$memo" ] && [ "$stale" = 0 ]; then
		cat "$memo"
		return 0
	fi
	k=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
	if [ -z "$k" ] && [ -s "$memo" ]; then
		note "apt cannot resolve linux-image-amd64 now; keeping $(cat "$memo")"
		cat "$memo"
		return 0
	fi
	if [ -z "$k" ]; then
			apt_update linux-image-amd64
		k=$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
		[ -n "$k" ] || die "apt knows no linux-image-*-amd64 that linux-image-amd64 depends on"
	fi
	printf '%s\n' "$k" >"$tmp/kernel-package"
	mv -f "$tmp/kernel-package" "$memo"
	echo "$k"
}

# The .deb of package $1: the cached one, else downloaded.
get_deb() {
	d=$(cached_deb "$1")
	if [ -z "$d" ]; then
		lists_present || apt_update "$1"
		d=$(download_deb "$1")
	fi
	echo "$d"
}

# The value of key $1 in the current IMAGE file, or nothing.
image_key() {
	[ -r "$out/IMAGE" ] && sed -n "s/^$1=//p" "$out/IMAGE" | head -n 1
	return 0
}

kpkg=$(kernel_package)
kdeb=$(get_deb "$kpkg")
bdeb=$(get_deb busybox-static)
# The version of the package in .deb $1: key $2 of IMAGE when IMAGE is newer
# and records package $3 (dpkg-deb takes a tenth of a second per call, and a
# no-op rebuild should stay fast), else what the .deb says.
deb_version() {
	v=
	if newer "$out/IMAGE" "$1" && [ "$(image_key "${2%%_*}_package")" = "$3" ]; then
		v=$(image_key "$2")
	fi
	[ -n "$v" ] || v=$(dpkg-deb -f "$1" Version) || die "cannot read the version of $1"
	echo "$v"
}

kver=$(deb_version "$kdeb" kernel_version "$kpkg")
bver=$(deb_version "$bdeb" busybox_version busybox-static)
changed=0

# ---- the kernel ---------------------------------------------------------------
krel=$(image_key kernel_release)
if [ -z "$krel" ] || [ "$(image_key kernel_package)" != "$kpkg" ] ||
	! [ -s "$out/vmlinuz" ] || newer "$kdeb" "$out/vmlinuz"; then
	need_space 100
	note "extracting the kernel of $kpkg $kver"
	# Only ./boot is unpacked: the rest of the package (its ~400 MB of
	# modules) is never written to disk. The guest needs no module: the
	# serial console, ACPI power-off and initramfs support are built in.
	kx="$tmp/kernel"
	mkdir -p "$kx"
	dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$kx" --wildcards './boot/vmlinuz-*' ||
		die "cannot extract /boot/vmlinuz-* from $kdeb"
	set -- "$kx"/boot/vmlinuz-*
	[ $# -eq 1 ] && [ -s "$1" ] || die "$kdeb holds no single /boot/vmlinuz-*"
	krel=${1##*/vmlinuz-}
	cp "$1" "$out/vmlinuz.tmp.$$" && mv -f "$out/vmlinuz.tmp.$$" "$out/vmlinuz" ||
		die "cannot write $out/vmlinuz"
	rm -rf "$kx"
	changed=1
fi

# ---- the initramfs ---------------------------------------------------------------
rebuild=0
img="$out/initramfs.cpio.gz"
if ! [ -s "$img" ] || newer "$init" "$img" || newer "$bdeb" "$img" || newer "$0" "$img"; then
	rebuild=1
fi
for t in $GUEST_TOOLS; do
	newer "$tools/$t" "$img" && rebuild=1
done
if [ "$rebuild" = 1 ]; then
	need_space 50
	note "building the initramfs (busybox $bver)"
	bx="$tmp/busybox"
	mkdir -p "$bx"
	dpkg-deb -x "$bdeb" "$bx" || die "cannot unpack $bdeb"
	[ -x "$bx/bin/busybox" ] || die "$bdeb holds no /bin/busybox"
	root="$tmp/root"
	mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/etc"
	cp "$bx/bin/busybox" "$root/bin/busybox"
	rm -rf "$bx"
	# Every applet as a link in /bin (busybox is static: it runs here too).
	for a in $("$root/bin/busybox" --list); do
		[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
	done
	[ -e "$root/bin/sh" ] || die "busybox $bver has no sh applet"
	# Without their debug information the tools are a third of the size.
	for t in $GUEST_TOOLS; do
		if command -v strip >/dev/null 2>&1; then
			strip --strip-debug -o "$root/bin/$t" "$tools/$t" || die "strip $tools/$t failed"
		else
			cp "$tools/$t" "$root/bin/$t"
		fi
	done
	cp "$init" "$root/init"
	chmod 0755 "$root/init"
	# The kernel opens /dev/console for /init before anything is mounted.
	# Its built-in initramfs has the node already; ours adds it where we may.
	mknod -m 0600 "$root/dev/console" c 5 1 2>/dev/null || true
	(cd "$root" && find . -print | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) >"$tmp/initramfs.cpio" ||
		die "cpio failed"
	gzip -9n <"$tmp/initramfs.cpio" >"$img.tmp.$$" || { rm -f "$img.tmp.$$"; die "gzip failed"; }
	mv -f "$img.tmp.$$" "$img" || die "cannot write $img"
	rm -rf "$root" "$tmp/initramfs.cpio"
	changed=1
fi

# ---- IMAGE: what went in, written last ----------------------------------------------
if [ "$changed" = 1 ] || ! [ -s "$out/IMAGE" ] ||
	[ "$(image_key guest_tools_version)" != "$version" ]; then
	{
		echo "kernel_package=$kpkg"
		echo "kernel_version=$kver"
		echo "kernel_release=$krel"
		echo "busybox_package=busybox-static"
		echo "busybox_version=$bver"
		echo "built_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "guest_tools_version=$version"
	} >"$out/IMAGE.tmp.$$" && mv -f "$out/IMAGE.tmp.$$" "$out/IMAGE" ||
		die "cannot write $out/IMAGE"
	note "$out: vmlinuz ($krel), initramfs.cpio.gz ($(wc -c <"$img") bytes), IMAGE"
fi
