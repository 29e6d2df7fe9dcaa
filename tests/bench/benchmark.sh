#!/usr/bin/env bash
# The side-by-side benchmark of docs/PERFORMANCE.md: dg versus a plain PyTorch loop in Python on the very same networks
# (exported by `dg export --torchscript`), the same thread count, best of REPEATS, all in one run; then compute
# efficiency against LibTorch's matrix-product ceiling and the dg-studio rows. Not part of the CTest run.
# usage: tests/bench/benchmark.sh [BUILD_DIR] [REPEATS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
repeats=${2:-3}
dg="$build/bin/dg"
py=/usr/bin/python3
threads=$(nproc)
export DG_NUM_THREADS=$threads
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$dg" export --torchscript "$work/fmnist" --denoiser builtin:fmnist --discriminator builtin:fmnist-disc >/dev/null
"$dg" export --torchscript "$work/toy" --denoiser builtin:ring8-mlp --discriminator builtin:ring8-mlp-disc >/dev/null

# Best sampling seconds of `dg sample "$@"` (dg prints the summed step times).
dg_seconds() {
    local t best=""
    for _ in $(seq "$repeats"); do
        t=$("$dg" sample "$@" --out "$work/out.pt" --quiet | sed -n 's/.*(\([0-9.e+-]*\) s)$/\1/p')
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    done
    echo "$best"
}
py_rate() { "$py" "$here/python_sampler.py" "$@" --repeats "$repeats" --threads "$threads" | awk '{print $1}'; }

echo "## Sampling throughput (18 Heun steps, images/s; DG: w = w2 = 1 at both Heun evaluations; $threads threads)"
echo
echo "| model | batch | DG | dg (C++ modules) | dg (TorchScript files) | Python loop | dg ÷ Python |"
echo "|---|---:|---|---:|---:|---:|---:|"
row() {
    local label=$1 dir=$2 native_d=$3 native_q=$4 batch=$5 w=$6
    local dargs=(--denoiser "$native_d" --count "$batch") targs=(--denoiser "$dir/denoiser.pt" --count "$batch")
    if [ "$w" != 0 ]; then
        dargs+=(--discriminator "$native_q" --dg-weight "$w")
        targs+=(--discriminator "$dir/discriminator.pt" --dg-weight "$w")
    fi
    local s_native s_ts r_py
    s_native=$(dg_seconds "${dargs[@]}")
    s_ts=$(dg_seconds "${targs[@]}")
    r_py=$(py_rate "$dir/denoiser.pt" "$dir/discriminator.pt" "$batch" "$w")
    echo "$r_py" >"$dir/python-rate-$batch-$w" # reused by the DG overhead table
    awk -v l="$label" -v b="$batch" -v w="$w" -v a="$s_native" -v t="$s_ts" -v p="$r_py" 'BEGIN {
        printf "| %s | %d | %s | %.2f | %.2f | %.2f | %.2f× |\n", l, b, (w == 0 ? "off" : "on"), b / a, b / t, p, (b / a) / p }'
}
for b in 1 16 64; do
    for w in 0 1; do row "Fashion-MNIST U-Net + disc" "$work/fmnist" builtin:fmnist builtin:fmnist-disc "$b" "$w"; done
done
for b in 1 16 64 4096; do
    for w in 0 1; do row "ring8 MLP pair (toy)" "$work/toy" builtin:ring8-mlp builtin:ring8-mlp-disc "$b" "$w"; done
done

echo
echo "## DG overhead (guided step time ÷ unguided, dg, C++ modules)"
echo
echo "| model | batch | unguided s | guided s | overhead | Python loop's overhead (same networks) |"
echo "|---|---:|---:|---:|---:|---:|"
for b in 1 16 64; do
    u=$(dg_seconds --denoiser builtin:fmnist --count "$b")
    g=$(dg_seconds --denoiser builtin:fmnist --discriminator builtin:fmnist-disc --dg-weight 1 --count "$b")
    pu=$(cat "$work/fmnist/python-rate-$b-0")
    pg=$(cat "$work/fmnist/python-rate-$b-1")
    awk -v b="$b" -v u="$u" -v g="$g" -v pu="$pu" -v pg="$pg" 'BEGIN {
        printf "| Fashion-MNIST pair | %d | %.3f | %.3f | %.2f× | %.2f× |\n", b, u, g, g / u, pu / pg }'
done

echo
echo "## Discriminator training throughput (toy MLP, batch 256, 20,000 fakes, samples/s)"
echo
"$dg" gen-fakes --denoiser builtin:ring8-mlp --count 20000 --batch 5000 --seed 5 --out "$work/fakes.pt" >/dev/null 2>&1
dg_train=$( (cd "$work" && "$dg" train-disc --data toy:ring8 --fakes fakes.pt --checkpoint d.pt --no-resume --epochs 8 \
    --batch 256 2>&1) | sed -n 's/^done: \([0-9]*\) iterations.* \([0-9.]*\) s of training.*/\1 \2/p')
read -r its secs <<<"$dg_train"
py_train=$("$py" "$here/python_train_disc.py" "$work/fakes.pt" "$its" 256 --threads "$threads" --repeats "$repeats" | awk '{print $1}')
echo "| | dg train-disc | Python loop | dg ÷ Python |"
echo "|---|---:|---:|---:|"
awk -v n="$its" -v s="$secs" -v p="$py_train" 'BEGIN { printf "| samples/s (%d iterations; dg includes its per-epoch held-out evaluation and checkpoints) | %.0f | %.0f | %.2f× |\n", n, n * 256 / s, p, (n * 256 / s) / p }'

echo
echo "## Compute efficiency (U-Net forward, batch 64)"
echo
read -r gflop ceiling <<<"$("$py" "$here/flops.py" "$work/fmnist/denoiser.pt" 64 --threads "$threads")"
u64=$(dg_seconds --denoiser builtin:fmnist --count 64)
awk -v f="$gflop" -v c="$ceiling" -v s="$u64" 'BEGIN {
    per = s / 35; rate = f / per
    printf "| U-Net forward | %.2f GFLOP per batch of 64 | %.1f ms per forward in dg | %.1f GFLOP/s | matmul ceiling %.1f GFLOP/s | %.0f %% of the ceiling |\n", f, per * 1000, rate, c, 100 * rate / c }'

echo
echo "## dg-studio (Xvfb, llvmpipe)"
echo
if [ -x "$build/tests/StudioWindowTest" ] && command -v xvfb-run >/dev/null; then
    XDG_CONFIG_HOME="$work/config" xvfb-run -a -s "-screen 0 1600x1000x24" "$build/tests/StudioWindowTest" \
        guiThreadStaysResponsive 2>&1 | sed -n 's/^QINFO  : StudioWindowTest::guiThreadStaysResponsive() /- /p'
    mem=$( { XDG_CONFIG_HOME="$work/config" /usr/bin/time -v xvfb-run -a -s "-screen 0 1600x1000x24" "$build/bin/dg-studio" \
        --reset-settings --count 64 --compare --screenshot "$work/shot.png" >/dev/null; } 2>&1 |
        sed -n 's/.*Maximum resident set size (kbytes): //p')
    echo "- peak memory, Fashion-MNIST run of 64 samples recorded at all 19 steps with the unguided companion: $((mem / 1024)) MB"
fi
echo
echo "($(date -u +%F), $("$dg" --version), $threads threads, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
