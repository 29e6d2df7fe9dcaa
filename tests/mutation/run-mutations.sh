#!/usr/bin/env bash
# The mutation check (docs/TESTING.md): applies one-line breakages of README claims, one at a time, to a scratch copy
# of the source and its build folder, rebuilds incrementally and runs the tests that should catch each. A breakage
# the tests do not catch ("SURVIVED") fails the script.
#
# usage: bash tests/mutation/run-mutations.sh [BUILD_DIR]     (BUILD_DIR: an up-to-date build, default ./build)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$repo/build}" && pwd)"
[ -f "$build/CMakeCache.txt" ] || { echo "run-mutations: $build is not a CMake build folder" >&2; exit 2; }
scratch="$(mktemp -d /tmp/dg-mutants.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT

# The scratch copy: sources (tracked files as they are now) and the build folder, objects and timestamps kept, its
# text files re-pointed at the copy so that make rebuilds only what a mutation touches.
echo "run-mutations: copying into $scratch"
(cd "$repo" && git ls-files -z | xargs -0 cp --parents -p -t "$scratch")
cp -a "$build" "$scratch/build"
while IFS= read -r -d '' f; do
    sed -i -e "s#$build#$scratch/build#g" -e "s#$repo#$scratch#g" "$f"
    touch -r "$build/${f#"$scratch/build/"}" "$f" # an edited Makefile must not look newer than the objects
done < <(grep -rlI --null -e "$repo" -e "$build" "$scratch/build")
cd "$scratch"

# name | file | exact line fragment | replacement | tests to run (ctest -R regex) [| test function filter]
mutants=(
  "noise ignores the sample offset|backend/src/diffusion/NoiseSource.cpp|static_cast<uint64_t>(firstSample + i)|static_cast<uint64_t>(i)|TrajectoryTest"
  "Heun without its corrector|backend/src/diffusion/Samplers.cpp|if (tNext == 0.0) return xEuler;|return xEuler;|ReferenceTest"
  "TorchScript denoiser off by a factor 0.9|backend/src/models/TorchScriptModel.h|return m_module.call(x, sigma, classLabels);\n    }\n    ModelInfo info() const override { return m_module.info(); }\n\nprivate:\n    TorchScriptModule m_module;\n};\n\nclass TorchScriptDiscriminator|return m_module.call(x, sigma, classLabels) * 0.9;\n    }\n    ModelInfo info() const override { return m_module.info(); }\n\nprivate:\n    TorchScriptModule m_module;\n};\n\nclass TorchScriptDiscriminator|TorchScriptTest"
  "no cancel check between denoiser and discriminator|backend/src/diffusion/GuidedDenoiser.cpp|    checkCancel(cancel);\n    if (g.weight|    if (g.weight|TrajectoryTest"
  "settings JSON reads rho as the default|backend/src/diffusion/SampleRequest.cpp|sch.rho = readNumber(*o, \"rho\", 7.0);|sch.rho = 7.0;|StudioWindowTest"
  "logit clip ignored|backend/src/diffusion/GuidedDenoiser.cpp|if (std::isfinite(g.logitClip))|if (false)|TorchScriptTest|ReferenceTest"
  "churn gamma not capped|backend/src/diffusion/Schedule.cpp|return std::min(c.churn / steps, std::sqrt(2.0) - 1.0);|return c.churn / steps;|ReferenceTest"
)

caught=0
survived=0
report=""
for m in "${mutants[@]}"; do
    IFS='|' read -r name file from to tests extra <<<"$m"
    cp -p "$file" "$file.orig"
    python3 - "$file" "$from" "$to" <<'EOF'
import sys
path, old, new = sys.argv[1], sys.argv[2].replace("\\n", "\n"), sys.argv[3].replace("\\n", "\n")
text = open(path).read()
if text.count(old) != 1:
    sys.exit(f"run-mutations: '{old}' occurs {text.count(old)} times in {path}")
open(path, "w").write(text.replace(old, new))
EOF
    echo "== mutant: $name ($file)"
    regex="$tests${extra:+|$extra}"
    status=caught
    if ! cmake --build build -j"$(nproc)" >"$scratch/build.log" 2>&1; then
        status="caught (does not compile)"
    elif (cd build && ctest -R "^($regex)\$" --output-on-failure >"$scratch/test.log" 2>&1); then
        status=SURVIVED
    fi
    if [ "$status" = SURVIVED ]; then survived=$((survived + 1)); else caught=$((caught + 1)); fi
    failed=$(grep -o "FAIL!  : [A-Za-z]*::[A-Za-z]*" "$scratch/test.log" 2>/dev/null | sort -u | sed 's/FAIL!  : //' | paste -sd, - || true)
    report+="| $name | \`$file\` | $status | ${failed:-—} |"$'\n'
    echo "   $status ${failed:+($failed)}"
    mv "$file.orig" "$file"
    touch "$file"
done
cmake --build build -j"$(nproc)" >/dev/null 2>&1 || true

echo
echo "| mutant | file | result | tests that failed |"
echo "|---|---|---|---|"
printf "%s" "$report"
echo
echo "run-mutations: $caught caught, $survived survived"
[ "$survived" -eq 0 ]
