#!/bin/sh
# What `make bench` needs beyond scripts/deps.sh: sysstat, whose collector
# sadc is the baseline of the sampler figures (bench/fig-samplers.c).
#
# Idempotent like scripts/deps.sh: one dpkg-query call decides; as root it
# installs what is missing, otherwise it prints the command and fails.
set -eu

PACKAGES="sysstat"

missing=""
for p in $PACKAGES; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing="$missing $p"
done

[ -z "$missing" ] && exit 0

cmd="apt-get update && apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
	echo "bench deps: error: missing Debian packages:$missing" >&2
	echo "bench deps: run as root:  $cmd" >&2
	exit 1
fi

echo "bench deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "bench deps: done" >&2
