#!/bin/sh
# What `make bench` needs beyond scripts/deps.sh: sysstat, whose collector
# sadc is the baseline of the sampler figures (bench/fig-samplers.c).
# scripts/deps.sh checks for it with the rest and installs what is missing
# (as root; otherwise it prints the apt-get command and fails).
set -eu
exec "$(dirname "$0")/../scripts/deps.sh" sysstat
