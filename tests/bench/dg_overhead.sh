#!/usr/bin/env bash
# Measures Discriminator Guidance's step overhead (guided step time / unguided step time) with `dg sample`:
# a built-in 2-D toy and a TorchScript image U-Net + CNN discriminator written by Python. Best of REPEATS runs.
# usage: tests/bench/dg_overhead.sh [BUILD_DIR] [REPEATS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
repeats=${2:-3}
dg="$build/bin/dg"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$here/make_bench_models.py" "$work" >&2

# Prints the best total sampling time (seconds) of `dg sample "$@"` over the repeats.
best() {
    local t bestT=""
    for _ in $(seq "$repeats"); do
        t=$("$dg" sample "$@" --out "$work/out.pt" --quiet | sed -n 's/.*(\([0-9.e+-]*\) s)$/\1/p')
        if [ -z "$bestT" ] || awk "BEGIN{exit !($t < $bestT)}"; then bestT=$t; fi
    done
    echo "$bestT"
}

printf "%-34s %6s %12s %12s %9s\n" "model" "batch" "unguided s" "guided s" "overhead"
row() {
    local label=$1 batch=$2; shift 2
    local plain guided
    plain=$(best "$@" --count "$batch")
    guided=$(best "$@" --count "$batch" --discriminator "$DISC" --dg-weight 1)
    printf "%-34s %6s %12.4f %12.4f %8.2fx\n" "$label" "$batch" "$plain" "$guided" "$(awk "BEGIN{print $guided/$plain}")"
}
DISC=builtin:ring8-disc row "toy ring8 (builtin mixtures)" 1024 --denoiser builtin:ring8-model
DISC="$work/discriminator.pt" row "TorchScript U-Net + CNN disc" 1 --denoiser "$work/denoiser.pt"
DISC="$work/discriminator.pt" row "TorchScript U-Net + CNN disc" 16 --denoiser "$work/denoiser.pt"
echo "(18 Heun steps = 35 evaluations per sample; $(nproc) cores; $("$dg" --version))"
