#!/bin/bash
# Timings for docs/SCALING.md: 1 process x 1 thread, 1 process x 2 threads, 2 ranks x 1 thread (dg launch).
# usage: tests/bench/scaling.sh   (after a build in build/; prints one line per run, wall seconds of the whole command)
here=$(cd "$(dirname "$0")" && pwd)
DG=${DG:-$here/../../build/bin/dg}
export DG_MODELS_DIR=${DG_MODELS_DIR:-$here/../../resources/models}
work=$(mktemp -d); cd "$work"
t() { local s=$(date +%s.%N); "$@" > /dev/null 2>&1 || echo FAILED "$@"; echo "$(echo "$(date +%s.%N) - $s" | bc)"; }
DG_NUM_THREADS=2 $DG gen-fakes --denoiser builtin:fmnist --steps 2 --count 4000 --out cheap.pt > /dev/null 2>&1
G="gen-fakes --denoiser builtin:fmnist --count 200 --batch 50"
echo "genfakes 1x1 $(DG_NUM_THREADS=1 t $DG $G --out a.pt)"
echo "genfakes 1x2 $(DG_NUM_THREADS=2 t $DG $G --out b.pt)"
echo "genfakes 2x1 $(DG_NUM_THREADS=1 t $DG launch --nproc 2 -- dg $G --out c.pt)"
cmp a.pt c.pt && echo "genfakes identical"
D="train-disc --data fmnist --fakes cheap.pt --features $DG_MODELS_DIR/fmnist-classifier.pt --epochs 1 --batch 128 --no-resume"
echo "traindisc 1x1 $(DG_NUM_THREADS=1 t $DG $D --checkpoint d1.pt)"
echo "traindisc 1x2 $(DG_NUM_THREADS=2 t $DG $D --checkpoint d2.pt)"
echo "traindisc 2x1 $(DG_NUM_THREADS=1 t $DG launch --nproc 2 -- dg $D --checkpoint d3.pt)"
DG_NUM_THREADS=1 $DG $D --checkpoint d4.pt 2>&1 | tail -1
