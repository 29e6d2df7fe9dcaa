#!/usr/bin/env bash
# Peak resident memory of `dg sample` against the sample count, and the time from SIGINT/SIGTERM to exit
# (issue "Interactive speed at any size"; docs/PERFORMANCE.md "Bounded batches"). Not part of CTest.
# Usage: tests/bench/batch_memory.sh BUILD_DIR [STEPS of the memory runs, default 1]
set -euo pipefail
build=${1:?usage: batch_memory.sh BUILD_DIR [STEPS]}
steps=${2:-1}
dg="$build/bin/dg"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pair=(--denoiser builtin:fmnist --discriminator builtin:fmnist-disc --dg-weight 2)
export DG_NUM_THREADS=${DG_NUM_THREADS:-1}

peak() { # COUNT [extra flags]: prints peak RSS in MB and wall seconds
    local count=$1; shift
    /usr/bin/time -f "%M %e" -o "$work/time" "$dg" sample "${pair[@]}" --steps "$steps" --count "$count" --quiet --out "$work/s.pt" "$@" \
        > /dev/null
    awk '{ printf "%.0f MB  %.1f s", $1 / 1024, $2 }' "$work/time"
}

cancel() { # COUNT SIGNAL: seconds from the signal to the exit (the signal 3 s after the start)
    local count=$1 sig=$2
    "$dg" sample "${pair[@]}" --steps 18 --count "$count" --quiet --out "$work/c.pt" 2> "$work/err" &
    local pid=$!
    sleep 3
    local t0 t1
    t0=$(date +%s.%N)
    kill "-$sig" "$pid"
    wait "$pid" || true
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l | xargs printf "%.2f s (%s)" && printf " %s" "$(tail -1 "$work/err")"
}

echo "dg sample, builtin:fmnist + fmnist-disc, DG w=2, DG_NUM_THREADS=$DG_NUM_THREADS; memory at $steps Heun step(s) (a batch"
echo "keeps its states until it ends: steps x batch, small), cancel at 18 steps"
for count in 200 2000 20000; do
    echo "count $count, default batch: $(peak "$count")"
done
for count in 200 2000; do
    echo "count $count, one batch (--batch $count, as before): $(peak "$count" --batch "$count")"
done
for count in 200 2000 20000; do
    for sig in INT TERM; do echo "count $count, SIG$sig after 3 s: exit after $(cancel "$count" "$sig")"; done
done
