#!/bin/bash
# dg-lab's CPU use while idle (docs/PERFORMANCE.md): start it on a private Xvfb display, let its first run finish
# (WARM seconds, default 20), then read its CPU time over 10 s from /proc. Usage: lab_idle.sh [DG-LAB [ARGS...]]
set -eu
BIN=${1:-build/bin/dg-lab}
[ $# -gt 0 ] && shift
DISPLAY_NUMBER=${DISPLAY_NUMBER:-57}
Xvfb :$DISPLAY_NUMBER -screen 0 1280x800x24 >/dev/null 2>&1 &
XVFB=$!
trap 'kill $XVFB 2>/dev/null || true' EXIT
sleep 1
HOME=$(mktemp -d) DISPLAY=:$DISPLAY_NUMBER "$BIN" "$@" >/dev/null 2>&1 &
LAB=$!
sleep "${WARM:-20}"
ticks() { awk '{print $14 + $15}' /proc/$LAB/stat; }
t0=$(ticks)
sleep 10
t1=$(ticks)
kill $LAB
echo "dg-lab idle: $((t1 - t0)) CPU ticks in 10 s = $(awk -v t=$((t1 - t0)) -v hz=$(getconf CLK_TCK) 'BEGIN { printf "%.1f", 100 * t / hz / 10 }') % of one core"
