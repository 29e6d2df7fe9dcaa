#!/usr/bin/env bash
# Builds the libFuzzer targets with clang against the main build and runs each for SECONDS on its corpus
# (tests/fuzz/corpus/NAME, seeds written by the project's own tools). CTest runs it with a short time (label fuzz);
# run it by hand with a longer one:  tests/fuzz/run-fuzz.sh build 600
# New inputs the fuzzer finds go to a scratch copy of the corpus, not into the repository. The seed is fixed (1) so that
# CTest's short run walks the same inputs every time; DG_FUZZ_SEED=0 lets libFuzzer pick one (longer runs by hand).
set -euo pipefail
build=$(realpath "${1:-build}")
seconds=${2:-12}
here=$(cd "$(dirname "$0")" && pwd)
out="$build/fuzz"
cmake -S "$here" -B "$out" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DDG_BACKEND_LIB="$build/backend/libdg_backend.a" > "$out.configure.log" 2>&1 ||
    { cat "$out.configure.log"; exit 1; }
cmake --build "$out" -j"$(nproc)" > "$out.build.log" 2>&1 || { tail -40 "$out.build.log"; exit 1; }
status=0
for name in tensor_file idx png settings_json checkpoint_meta score_json; do
    scratch=$(mktemp -d)
    cp -r "$here/corpus/$name/." "$scratch/"
    echo "== fuzz_$name for ${seconds} s ($(ls "$scratch" | wc -l) seeds)"
    # ASan's leak check is off: LibTorch keeps global allocations alive on purpose.
    if ! ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 DG_NUM_THREADS=1 \
        "$out/fuzz_$name" -max_total_time="$seconds" -seed="${DG_FUZZ_SEED:-1}" -timeout=10 -rss_limit_mb=4096 -max_len=262144 \
        -print_final_stats=1 -artifact_prefix="$out/crash-$name-" "$scratch" > "$out/$name.log" 2>&1; then
        echo "fuzz_$name: FOUND A PROBLEM (artifact in $out, log $out/$name.log)"
        tail -30 "$out/$name.log"
        status=1
    else
        grep -E "stat::number_of_executed_units|cov:" "$out/$name.log" | tail -2
    fi
    rm -rf "$scratch"
done
exit $status
