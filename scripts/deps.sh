#!/bin/sh
# Install the Debian packages stealscope needs, and nothing else.
#
# Idempotent: one dpkg-query call decides; when everything is present it does
# nothing else (well under 2 s). As root it installs what is missing with
# apt-get; otherwise it prints the exact command and fails.
#
# Usage: scripts/deps.sh [PACKAGE]...: the packages named are needed too
# (bench/deps.sh adds what `make bench` needs).
set -eu

PACKAGES="gcc make pkg-config libc6-dev libvirt-dev libcsv-dev libcmocka-dev gnuplot-nox"
# The libvirt daemon with its QEMU driver and TCG QEMU (scripts/libvirtd.sh,
# tests/integration/test_libvirt.c), virsh for its readiness check and
# pgrep for its process checks, binutils for the test's multiboot guest.
PACKAGES="$PACKAGES libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients"
PACKAGES="$PACKAGES qemu-system-x86 binutils procps"
# make guest-image (scripts/guest-image.sh): cpio packs the initramfs; the
# static guest tools link libc6-dev's and libcsv-dev's static libraries, and
# binutils' strip trims them; apt-get and dpkg-deb are always there.
PACKAGES="$PACKAGES cpio"
# stealscope watch --listen: the /metrics HTTP server.
PACKAGES="$PACKAGES libmicrohttpd-dev"
# promtool (`promtool check metrics`) validates the Prometheus exposition in
# the samplers' tests: Debian ships it only inside prometheus (~22 MB to fetch
# with its dependencies). Under systemd the package enables its own server
# (port 9090); `systemctl disable --now prometheus` if that is unwanted.
PACKAGES="$PACKAGES prometheus"
# make fuzz: clang with libFuzzer and the sanitizer runtimes (not pulled in by
# clang without recommends), llvm-symbolizer for readable stack traces.
PACKAGES="$PACKAGES clang libclang-rt-14-dev llvm-14"
PACKAGES="$PACKAGES $*"

missing=""
for p in $PACKAGES; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing="$missing $p"
done

[ -z "$missing" ] && exit 0

cmd="apt-get update && apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: error: missing Debian packages:$missing" >&2
	echo "deps: run as root:  $cmd" >&2
	exit 1
fi

echo "deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done" >&2
